//! Sync wire types and the pure rules of the exchange between a centre and the county hub.
//!
//! Architecture invariant: no IO and no SQLite here; values in, values out. The hub and the
//! centre's sync client both build on these types, so their tests are plain data.
//!
//! The exchange, as the hub serves it (`crates/xinfang-hub`):
//!
//! - `POST /api/v1/enrol` with [`EnrolRequest`] → [`EnrolResponse`] (the one-time code buys a
//!   credential, sent as `Authorization: Bearer` on every later request);
//! - `GET /api/v1/mark` → [`MarkResponse`] (where to resume pushing);
//! - `POST /api/v1/push` with [`PushRequest`] → [`PushResponse`];
//! - `GET /api/v1/pull?after=CURSOR&limit=N` → [`PullResponse`];
//! - any refusal is a [`WireError`] with a 4xx/5xx status.
//!
//! Without a network the same events travel as signed files: [`bundle`].

#![warn(missing_docs)]

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod bundle;
pub mod county;
pub mod lookup;

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
    pub payload: Payload,
}

/// An event's payload, kept as the JSON text it was written or received as.
///
/// Why not a `serde_json::Value`: a push carries a hundred thousand payloads that neither side
/// looks inside: the desk reads them as text from its log and the hub stores them as text.
/// Building a tree of each on the way in and writing it out again was most of the push's work
/// (`xinfang bench sync`). The text is checked to be JSON when it is read; `value` parses it
/// for the few who need the contents.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Payload(Box<serde_json::value::RawValue>);

impl Payload {
    /// JSON `null`: the payload of an event that travels without one (`wire_form`).
    pub fn null() -> Payload {
        Payload::from_text("null".to_owned()).unwrap_or_else(|_| unreachable!("null is JSON"))
    }

    /// A payload from stored text; refused if the text is not JSON.
    pub fn from_text(text: String) -> Result<Payload, serde_json::Error> {
        serde_json::value::RawValue::from_string(text).map(Payload)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The contents as a value.
    pub fn value(&self) -> serde_json::Value {
        // The text was checked to be JSON when this was made, so this parse cannot fail
        // short of the nesting limit, which serialising a value never reaches.
        serde_json::from_str(self.0.get()).unwrap_or_default()
    }

    /// Whether it is JSON `null`.
    pub fn is_null(&self) -> bool {
        self.0.get().trim() == "null"
    }
}

impl From<&serde_json::Value> for Payload {
    fn from(value: &serde_json::Value) -> Payload {
        // A value always serialises; its text is JSON by construction.
        Payload::from_text(value.to_string()).unwrap_or_else(|_| Payload::null())
    }
}

impl From<serde_json::Value> for Payload {
    fn from(value: serde_json::Value) -> Payload {
        Payload::from(&value)
    }
}

/// Equal when the JSON is: the same text, or failing that the same value (a store may hand
/// back the text with other spacing or key order than it was given).
impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.as_str() == other.as_str() || self.value() == other.value()
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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

/// Kind prefixes whose payloads never leave the centre: user accounts, password changes and
/// sessions carry password hashes and sign-in state that the county has no use for.
pub const PRIVATE_KIND_PREFIXES: &[&str] = &["user.", "session."];

/// Whether an event of `kind` may travel with its payload. `user.*` (and `session.*`) may not.
pub fn is_syncable(kind: &str) -> bool {
    !PRIVATE_KIND_PREFIXES
        .iter()
        .any(|prefix| kind.starts_with(prefix))
}

/// The form in which an event goes on the wire: unchanged if [`is_syncable`], otherwise with its
/// payload replaced by JSON `null`.
///
/// Why not leave such events out altogether: `seq` is gap-free per origin and the hub only
/// acknowledges a contiguous run, so a missing `user.created` at seq 7 would stop the mark at 6
/// for ever. The placeholder keeps the sequence whole and carries nothing private (id, time,
/// actor and kind only). The hub applies the same function to what it receives, so a desk that
/// forgets still never leaves a password hash at the county. Applying it twice changes nothing.
pub fn wire_form(mut event: WireEvent) -> WireEvent {
    if !is_syncable(&event.kind) {
        event.payload = Payload::null();
    }
    event
}

/// Stable codes of the per-event refusals in [`PushResponse::rejected`]. Add, never rename.
pub mod codes {
    /// The hub already has an event with this id and different content; the stored one stays.
    pub const CONFLICTING_EVENT: &str = "conflicting_event";
    /// The hub already has a different event at this origin and seq.
    pub const CONFLICTING_SEQ: &str = "conflicting_seq";
    /// The event is malformed (seq below 1, empty kind).
    pub const INVALID_EVENT: &str = "invalid_event";
}

/// A refusal on the wire, the same shape as the desk's API errors: `{code, message, field}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    /// Stable machine code; clients decide on this, never on `message`.
    pub code: String,
    /// Chinese text for the person at the desk or the hub.
    pub message: String,
    /// Input field the error belongs to, when there is one (`events[3].origin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `POST /api/v1/enrol`: a centre redeems the one-time code the county administrator gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The one-time enrolment code printed by `xinfang-hub centre add` (dashes optional).
    pub code: String,
    /// The centre register's origin: every event it writes carries it.
    pub origin: Uuid,
    /// The centre's code as set in its register; must be the one the county enrolled.
    pub centre_code: String,
    /// The centre's name as set in its register (informational).
    pub centre_name: String,
    /// The centre's ed25519 public key (hex), so the hub can check its USB bundles later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// SHA-256 (hex) of a credential the centre chose itself ([`bundle::enrol_credential`]).
    /// Why: an enrolment whose answer is lost on the way has spent the code, and with a
    /// credential only the hub knew, the centre could never sync again without a new code.
    /// With its own, it sends the same request again and the hub, seeing the same origin and
    /// credential, answers as before instead of `enrolment_code_used`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_hash: Option<String>,
}

/// The answer to a successful enrolment. The credential is shown once and never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// The hub's id of this centre.
    pub centre_id: Uuid,
    /// The bearer credential for every later request; empty when the centre chose its own
    /// ([`EnrolRequest::credential_hash`]).
    pub credential: String,
    /// The hub's ed25519 public key (hex), with which it signs its USB bundles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub_public_key: Option<String>,
}

/// `POST /api/v1/push`: events of the authenticated centre's origin, in any order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The batch; the hub applies it in one transaction.
    pub events: Vec<WireEvent>,
}

/// One event of a push that the hub refused; everything else in the batch still counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    /// The refused event's id.
    pub id: Uuid,
    /// Its seq.
    pub seq: i64,
    /// Stable code, one of [`codes`].
    pub code: String,
    /// Chinese explanation for the sync panel.
    pub message: String,
}

/// The hub's answer to a push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// The highest seq such that the hub has every event `1..=acknowledged` of this origin.
    pub acknowledged: i64,
    /// Seqs from this batch that the hub keeps above a gap; acknowledged once the gap fills.
    pub held: Vec<i64>,
    /// Events of this batch that were refused and not stored.
    pub rejected: Vec<Rejected>,
}

/// `GET /api/v1/mark`: where the centre should resume pushing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkResponse {
    /// The highest contiguous seq the hub has of this centre's origin (0 for none).
    pub acknowledged: i64,
    /// The id of the event the hub has at `acknowledged` (absent at 0 and from older hubs).
    /// Why: a register restored from an older backup writes new events under seqs the hub
    /// already has from before; without this the centre would take the mark, never send those
    /// new events, and show nothing waiting. With it, it sees the hub's event at the mark is
    /// not its own and stops instead (`register_behind_hub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
}

/// One event routed to the pulling centre, with the hub's arrival cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routed {
    /// The hub's arrival sequence of the event; pull again with `after` = the largest seen.
    pub cursor: i64,
    /// The event.
    pub event: WireEvent,
}

/// `GET /api/v1/pull?after=CURSOR&limit=N`: what is routed to this centre after the cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Routed events in cursor order.
    pub events: Vec<Routed>,
    /// The cursor to send as `after` next time (the last event's, or `after` if none).
    pub next: i64,
    /// Whether more routed events wait after `next`.
    pub more: bool,
    /// What the hub's log holds at `after` now, so the centre can tell it is still pulling
    /// from the log it pulled from before; absent from hubs older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Anchor>,
}

/// The event routed to the pulling centre at the cursor a pull started after.
///
/// Why: a hub restored from an older backup has forgotten the events after the backup and
/// gives their cursors to new ones, so a centre whose cursor is past the backup would skip
/// the new events for ever. The centre knows which event it pulled at its cursor; if the hub
/// has another one there (or none), the log is not the one it pulled from, and it pulls again
/// from the start (the inbox takes a known id once). The hub's highest cursor alone would not
/// do: other centres' pushes move it past this centre's cursor before this centre looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The `after` of the pull.
    pub cursor: i64,
    /// The id of the event routed to this centre at `cursor`; `None` if there is none (or
    /// `cursor` is 0).
    pub id: Option<Uuid>,
}

/// `GET /api/v1/own?after=SEQ&limit=N`: the hub's copies of the calling centre's own events
/// with seq above `after`, in seq order, in their wire form.
///
/// Why: a register restored from an older backup has lost the events it wrote after that
/// backup, but the hub kept every one it acknowledged. A register that wrote nothing since the
/// restore is a strict prefix of the hub's copy and can take the rest back verbatim (ids, seqs,
/// actors and times unchanged), so nothing confirmed to a clerk stays lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnEventsResponse {
    /// The events, seq ascending, at most `limit`.
    pub events: Vec<WireEvent>,
    /// Whether more wait after the last one.
    pub more: bool,
    /// The id of the hub's event at seq `after` (`None` at 0 or if the hub has none there):
    /// the centre checks it is its own before it takes anything after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_after: Option<Uuid>,
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

    fn event(kind: &str, payload: serde_json::Value) -> WireEvent {
        WireEvent {
            id: Uuid::from_u128(7),
            origin: Uuid::from_u128(1),
            seq: 7,
            actor: "system".into(),
            at: "2026-11-28T07:30:00.000Z".into(),
            kind: kind.into(),
            schema_version: 1,
            payload: payload.into(),
        }
    }

    #[test]
    fn user_events_are_not_syncable_and_travel_without_their_payload() {
        for kind in [
            "user.created",
            "user.password_changed",
            "user.active_changed",
            "session.opened",
        ] {
            assert!(!is_syncable(kind), "{kind}");
            let hash = serde_json::json!({"password_hash": "$argon2id$v=19$secret"});
            let wire = wire_form(event(kind, hash));
            assert_eq!(wire.payload, serde_json::Value::Null.into(), "{kind}");
            assert_eq!(wire.seq, 7, "the seq stays so the mark can pass it");
            assert_eq!(wire_form(wire.clone()), wire, "idempotent");
        }
        for kind in ["matter.registered", "county.assignment", "users", "userx.y"] {
            assert!(is_syncable(kind), "{kind}");
            let payload = serde_json::json!({"matter_id": "m"});
            assert_eq!(
                wire_form(event(kind, payload.clone())).payload,
                payload.into(),
                "{kind}"
            );
        }
    }

    #[test]
    fn wire_types_round_trip_as_the_hub_sends_them() {
        let pull = PullResponse {
            events: vec![Routed {
                cursor: 3,
                event: event("county.assignment", serde_json::json!({"unit": "县住建局"})),
            }],
            next: 3,
            more: false,
            anchor: Some(Anchor {
                cursor: 0,
                id: None,
            }),
        };
        let text = serde_json::to_string(&pull).expect("serialise");
        assert_eq!(
            serde_json::from_str::<PullResponse>(&text).expect("parse"),
            pull
        );
        let older: PullResponse =
            serde_json::from_str(r#"{"events":[],"next":0,"more":false}"#).expect("parse");
        assert_eq!(older.anchor, None, "an older hub's answer still parses");
        let error: WireError =
            serde_json::from_str(r#"{"code":"revoked","message":"已撤销"}"#).expect("parse");
        assert_eq!(error.field, None);
        assert!(
            serde_json::from_str::<PushRequest>(r#"{"events":[],"extra":1}"#).is_err(),
            "unknown fields are refused, not ignored"
        );
    }
}
