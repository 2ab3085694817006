//! Fuzzes the operation JSON decoder: arbitrary bytes, parsed as JSON the way the HTTP adapter
//! does, decoded as the input of every operation. Refusals are fine; a panic is a failure.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xinfang_core::ops::OPERATIONS;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    for op in OPERATIONS {
        if let Err(error) = (op.decode_only)(value.clone()) {
            // Every refusal can be shown: a code and a Chinese message.
            let api = error.to_api();
            assert!(!api.code.is_empty() && !api.message.is_empty());
        }
    }
});
