//! Fuzzes the county exchange's decoders: a push batch as the hub reads it, and each pulled
//! event as the desk reads it into its register's event type. No input may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xinfang_sync::{PullResponse, PushRequest, contiguous_mark, wire_form};

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = serde_json::from_slice::<PushRequest>(data) {
        let seqs: Vec<i64> = batch.events.iter().map(|e| e.seq).collect();
        let mark = contiguous_mark(0, seqs);
        assert!(mark >= 0);
        for event in batch.events {
            let _ = wire_form(event);
        }
    }
    if let Ok(pulled) = serde_json::from_slice::<PullResponse>(data) {
        for routed in pulled.events {
            let tagged = serde_json::json!({
                "kind": routed.event.kind,
                "payload": routed.event.payload,
            });
            let _ = serde_json::from_value::<xinfang_core::events::EventBody>(tagged);
        }
    }
});
