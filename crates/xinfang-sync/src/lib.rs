//! Sync wire types and the pure rules of the exchange between a centre and the county hub.
//!
//! Architecture invariant: no IO and no SQLite here; values in, values out. The hub and the
//! centre's sync client both build on these types, so their tests are plain data.

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One event as it travels between a centre and the hub. Fields only ever grow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireEvent {
    /// UUIDv7 of the event.
    pub id: Uuid,
    /// The centre that wrote it.
    pub origin: Uuid,
    /// Per-origin sequence, gap-free from 1.
    pub seq: i64,
    /// User id of the actor.
    pub actor: String,
    /// RFC 3339 UTC time.
    pub at: String,
    /// Event kind.
    pub kind: String,
    /// Payload schema version.
    pub schema_version: u32,
    /// JSON payload.
    pub payload: serde_json::Value,
}

/// The highest `seq` such that every event `1..=seq` is present: what the hub acknowledges.
/// Out-of-order arrivals above a gap are held, not acknowledged, until the gap fills.
pub fn contiguous_mark(acknowledged: i64, mut received: Vec<i64>) -> i64 {
    received.sort_unstable();
    received.dedup();
    let mut mark = acknowledged;
    for seq in received {
        if seq == mark + 1 {
            mark = seq;
        } else if seq > mark + 1 {
            break;
        }
    }
    mark
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mark_stops_at_the_first_gap() {
        assert_eq!(
            contiguous_mark(0, vec![1, 2, 4, 5]),
            2,
            "4 and 5 wait for 3"
        );
        assert_eq!(contiguous_mark(2, vec![3, 4, 5]), 5);
        assert_eq!(
            contiguous_mark(5, vec![1, 2, 3]),
            5,
            "old events do not move the mark back"
        );
        assert_eq!(
            contiguous_mark(0, vec![2, 2, 1]),
            2,
            "duplicates count once"
        );
    }
}
