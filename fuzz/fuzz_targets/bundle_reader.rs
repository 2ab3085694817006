//! Fuzzes the USB bundle reader: arbitrary files are refused without a panic; contents decoded
//! from the input are sealed and must open to themselves, and any changed byte of a sealed
//! bundle must be refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xinfang_sync::bundle::{Contents, open, seal, signing_key};

fuzz_target!(|data: &[u8]| {
    let _ = open(data);
    let Ok(contents) = serde_json::from_slice::<Contents>(data) else {
        return;
    };
    let key = signing_key([7; 32]);
    let Ok(sealed) = seal(&contents, &key) else {
        return;
    };
    let opened = open(&sealed).expect("a bundle sealed here opens");
    assert_eq!(opened.contents, contents);
    let mut tampered = sealed;
    let at = data.len() % tampered.len();
    tampered[at] ^= 0x01;
    assert!(
        open(&tampered).is_err(),
        "a changed byte at {at} was accepted"
    );
});
