//! What the hub keeps, behind a trait so the embedded SQLite store (`sqlite`, the default) and
//! the PostgreSQL store (`postgres`, `--database postgres://…`) answer to the same rules.
//!
//! A [`Store`] hands out transactions; a [`Tx`] offers small primitives (find, hold, append,
//! route, mark). The rules of the exchange — which events are accepted, held, refused, and what
//! is acknowledged — live once, in `crate::hub`, on top of these primitives, so a second store
//! only has to keep data, not re-implement sync. Dropping a `Tx` without `commit` rolls it back.
//!
//! Both stores give out the same numbers: a transaction holds the write lock from `begin`, and
//! an appended event's cursor is one more than the highest in the log, so cursors have no gaps
//! and rise in commit order (the `tests` module checks it on whichever store the run names).

pub mod postgres;
pub mod sqlite;
#[cfg(test)]
pub(crate) mod tests;

use uuid::Uuid;
use xinfang_sync::{Routed, WireEvent};

use crate::Result;

/// A store of the hub's data.
pub trait Store: Send {
    /// Starts a transaction that takes the write lock at once (so two writers queue instead of
    /// failing half-way).
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>>;
    /// Flushes the write-ahead log into the main file (on shutdown).
    fn checkpoint(&mut self) -> Result<()>;
    /// Where the data lives, for people (`SQLite /var/lib/xinfang-hub/hub.db`).
    fn describe(&self) -> String;
}

/// One transaction of the store.
pub trait Tx {
    /// Makes everything done in this transaction durable.
    fn commit(self: Box<Self>) -> Result<()>;

    /// The hub's own origin: the `origin` of events the county publishes.
    fn hub_origin(&mut self) -> Result<Uuid>;

    /// Adds a centre that has not enrolled yet.
    fn insert_centre(&mut self, centre: &NewCentre) -> Result<()>;
    /// A centre by id.
    fn centre(&mut self, id: Uuid) -> Result<Option<Centre>>;
    /// The centre whose credential hashes to `hash`.
    fn centre_by_credential(&mut self, hash: &str) -> Result<Option<Centre>>;
    /// The centre whose enrolment code hashes to `hash` (used or not).
    fn centre_by_enrol_code(&mut self, hash: &str) -> Result<Option<Centre>>;
    /// The centre in service (not revoked) with this code.
    fn live_centre_with_code(&mut self, code: &str) -> Result<Option<Centre>>;
    /// The centre in service (not revoked) enrolled with this origin.
    fn live_centre_with_origin(&mut self, origin: Uuid) -> Result<Option<Centre>>;
    /// Every centre, oldest first.
    fn centres(&mut self) -> Result<Vec<Centre>>;
    /// Records a redeemed enrolment: the origin and the credential's hash.
    fn set_enrolled(
        &mut self,
        id: Uuid,
        origin: Uuid,
        credential_hash: &str,
        at: &str,
    ) -> Result<()>;
    /// Revokes a centre.
    fn set_revoked(&mut self, id: Uuid, at: &str) -> Result<()>;

    /// The event with this id, stored or held.
    fn find_event(&mut self, id: Uuid) -> Result<Option<Found>>;
    /// Which of `ids` are stored or held: one question for a whole push batch, so the events
    /// that are new (nearly all of them) need no lookup of their own.
    fn known_ids(&mut self, ids: &[Uuid]) -> Result<std::collections::HashSet<Uuid>>;
    /// The id of the event at `origin`/`seq`, stored or held.
    fn id_at(&mut self, origin: Uuid, seq: i64) -> Result<Option<Uuid>>;
    /// Keeps an event that arrived above a gap.
    fn hold(&mut self, arrival: &Arrival<'_>) -> Result<()>;
    /// The seqs held for `origin`, ascending.
    fn held_seqs(&mut self, origin: Uuid) -> Result<Vec<i64>>;
    /// Removes and returns the held events of `origin` with seq ≤ `through`, in seq order.
    fn take_held(&mut self, origin: Uuid, through: i64) -> Result<Vec<HeldEvent>>;
    /// Appends an event to the log; returns the cursor it was given.
    fn append(&mut self, arrival: &Arrival<'_>) -> Result<i64>;
    /// Appends events to the log in the order given, as `append` one by one would. A store
    /// whose every statement is a round trip to a server does it in one.
    fn append_all(&mut self, arrivals: &[Arrival<'_>]) -> Result<()> {
        for arrival in arrivals {
            self.append(arrival)?;
        }
        Ok(())
    }
    /// The acknowledged mark of `origin` (0 when nothing arrived).
    fn mark(&mut self, origin: Uuid) -> Result<i64>;
    /// Sets the acknowledged mark of `origin`.
    fn set_mark(&mut self, origin: Uuid, mark: i64) -> Result<()>;

    /// Lets `to` (or every centre, for `None`) pull the event at `cursor`.
    fn route(&mut self, cursor: i64, to: Option<Uuid>, at: &str) -> Result<()>;
    /// Events routed to `centre` (or to all) with cursor > `after`, ascending, at most `limit`.
    fn routed(&mut self, centre: Uuid, after: i64, limit: usize) -> Result<Vec<Routed>>;

    /// Logged events of `origin` with seq > `after`, seq ascending, at most `limit`: the hub's
    /// copy given back to a centre restored from an older backup.
    fn own_events(&mut self, origin: Uuid, after: i64, limit: usize) -> Result<Vec<WireEvent>>;

    /// Logged events of kind `kind`, from `origin` or (for `None`) from any origin, whose
    /// payload has the top-level string `field` equal to `value`, in cursor order, at most
    /// `limit`. For the cross-centre person lookup; `field` is one of the hub's own constants,
    /// never caller input.
    fn events_where(
        &mut self,
        kind: &str,
        origin: Option<Uuid>,
        field: &'static str,
        value: &str,
        limit: usize,
    ) -> Result<Vec<WireEvent>>;
    /// Logged events of `origin` and `kind` whose payload text contains `needle` (an id), in
    /// cursor order, at most `limit`: candidates the caller checks properly.
    fn events_mentioning(
        &mut self,
        origin: Uuid,
        kind: &str,
        needle: &str,
        limit: usize,
    ) -> Result<Vec<WireEvent>>;

    /// Records one request; a request of a known centre also counts as its last contact.
    fn append_log(&mut self, entry: &LogEntry) -> Result<()>;
    /// The newest `limit` log entries (of one centre, if given), newest first.
    fn log_entries(&mut self, centre: Option<Uuid>, limit: usize) -> Result<Vec<LogEntry>>;
    /// The newest log entry of `centre` that carries an error code.
    fn last_error(&mut self, centre: Uuid) -> Result<Option<LogEntry>>;

    /// The hub's ed25519 secret key (hex), if one was made.
    fn hub_signing_key(&mut self) -> Result<Option<String>>;
    /// Stores the hub's secret key unless one is already set (then the stored one stays).
    fn set_hub_signing_key(&mut self, secret_hex: &str) -> Result<()>;
    /// A centre's bundle keys and cursor.
    fn centre_keys(&mut self, id: Uuid) -> Result<CentreKeys>;
    /// Stores a centre's public key and, for an enrolment by bundle, the hub's proof.
    fn set_centre_key(&mut self, id: Uuid, public_key: &str, proof: Option<&str>) -> Result<()>;
    /// Raises the cursor the centre reported having (never lowers it).
    fn set_bundle_cursor(&mut self, id: Uuid, cursor: i64) -> Result<()>;

    /// Starts the centre's bundles back from the beginning (its cursor points into a log this
    /// hub no longer has).
    fn reset_bundle_cursor(&mut self, id: Uuid) -> Result<()>;
}

/// What the hub keeps of a centre for USB bundles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreKeys {
    /// The centre's ed25519 public key (hex), once known.
    pub public_key: Option<String>,
    /// SHA-256 of its enrolment code: the key of the bundle enrolment proofs.
    pub enrol_code_hash: String,
    /// The proof the hub's bundles carry, for a centre that enrolled by bundle.
    pub enrol_proof: Option<String>,
    /// The hub cursor the centre last reported having.
    pub bundle_cursor: i64,
}

/// A centre as the hub knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Centre {
    /// The hub's id of the centre.
    pub id: Uuid,
    /// Centre code (XF3301).
    pub code: String,
    /// Centre name.
    pub name: String,
    /// When the administrator added it.
    pub created_at: String,
    /// Until when its enrolment code may be redeemed.
    pub enrol_expires_at: String,
    /// When the code was redeemed.
    pub enrolled_at: Option<String>,
    /// Its register's origin, from enrolment.
    pub origin: Option<Uuid>,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// Its last request.
    pub last_contact: Option<String>,
}

/// A centre being added.
#[derive(Debug, Clone)]
pub struct NewCentre {
    /// New UUIDv7.
    pub id: Uuid,
    /// Centre code.
    pub code: String,
    /// Centre name.
    pub name: String,
    /// Now.
    pub created_at: String,
    /// SHA-256 of the normalised enrolment code.
    pub enrol_code_hash: String,
    /// Expiry of the code.
    pub enrol_expires_at: String,
}

/// An event arriving: what it is, who pushed it (`None` for the county's own), and when.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// The event, in wire form.
    pub event: &'a WireEvent,
    /// The centre that pushed it.
    pub pushed_by: Option<Uuid>,
    /// When it reached the hub.
    pub received_at: &'a str,
}

/// An event found by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The event as stored.
    pub event: WireEvent,
    /// Whether it is held above a gap rather than in the log.
    pub held: bool,
}

/// A held event taken out to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldEvent {
    /// The event.
    pub event: WireEvent,
    /// Who pushed it.
    pub pushed_by: Option<Uuid>,
    /// When it first reached the hub.
    pub received_at: String,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done (a push may still have refused single events; `code` says so).
    Ok,
    /// Refused: the caller's doing (4xx).
    Refused,
    /// Failed: the hub's doing (5xx).
    Failed,
}

impl Outcome {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }

    /// From the stored form.
    pub fn parse(text: &str) -> Outcome {
        match text {
            "ok" => Outcome::Ok,
            "refused" => Outcome::Refused,
            _ => Outcome::Failed,
        }
    }

    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Outcome::Ok => "成功",
            Outcome::Refused => "拒绝",
            Outcome::Failed => "失败",
        }
    }
}

/// One line of the request log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogEntry {
    /// Row id (0 before it is stored).
    pub id: i64,
    /// When.
    pub at: String,
    /// The centre, when the request proved or named one.
    pub centre_id: Option<Uuid>,
    /// `POST /api/v1/push`.
    pub endpoint: String,
    /// HTTP status sent.
    pub status: u16,
    /// How it ended.
    pub outcome: Outcome,
    /// Error code, when there was one.
    pub code: Option<String>,
    /// The Chinese message, or a summary of what was done.
    pub message: Option<String>,
    /// Peer address.
    pub remote: Option<String>,
}
