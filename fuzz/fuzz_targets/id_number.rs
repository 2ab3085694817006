//! Fuzzes the ID-number and phone parsers and the search-text parser with arbitrary text: no
//! input may panic, and an accepted ID number must parse again to itself.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use xinfang_core::domain::{
    idcard::{LegacyPolicy, parse_id_number},
    phone::parse_phone,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date");
    for policy in [LegacyPolicy::Convert, LegacyPolicy::Reject] {
        if let Ok(parsed) = parse_id_number(text, today, policy) {
            // Normal form is a fixed point: what the register stores reads back the same.
            let again =
                parse_id_number(parsed.as_str(), today, policy).expect("normal form parses");
            assert_eq!(again.as_str(), parsed.as_str());
        }
    }
    let _ = parse_phone(text);
    let _ = xinfang_core::search::parse_query(text);
});
