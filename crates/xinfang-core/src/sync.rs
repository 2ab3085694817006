//! The desk's bookkeeping of its exchange with the county hub: the state the sync worker of
//! `xinfang-server` reads and writes between its requests (`sync_state`, `county_inbox`;
//! migration 0013). Nothing here speaks to the network: the worker does the HTTP, and calls
//! these short reads and writes with the register lock held only for their duration.
//!
//! None of this is events: the link's state is no fact about the register, like `sessions`.
//!
//! USB bundles (migration 0015): [`export_bundle`] writes this centre's events above the mark,
//! signed with the centre's key (`sync_keys`, made once); [`import_bundle`] applies a hub
//! bundle signed with the hub key the desk trusts (learned at enrolment, from a first bundle
//! with a valid enrolment proof, or set by an administrator). `xinfang_sync::bundle` has the
//! format and the trust.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;
use xinfang_sync::{
    EnrolRequest, Payload, Routed, WireEvent,
    bundle::{self, BundleEnrolment, CentreBundle, Contents, SigningKey},
    is_syncable, wire_form,
};

use crate::{
    Result, audit,
    clock::fmt_utc,
    events::{Event, EventBody},
    projection,
    register::{Register, SYSTEM_ACTOR},
};

/// The stored sync state (the one row of `sync_state`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// The hub's base URL (`http://host:port`), once configured.
    pub hub_url: Option<String>,
    /// A one-time enrolment code not yet redeemed.
    pub enrolment_code: Option<String>,
    /// The bearer credential the hub gave this centre.
    pub credential: Option<String>,
    /// The hub's id of this centre.
    pub hub_centre_id: Option<String>,
    /// The hub's acknowledged mark of this centre's origin, as last heard.
    pub acknowledged: i64,
    /// The hub cursor of the last event pulled.
    pub pull_cursor: i64,
    /// When the worker last tried.
    pub last_attempt: Option<String>,
    /// When a run last completed without error.
    pub last_success: Option<String>,
    /// The last error's code (the hub's, or `unreachable`, `rejected`, …).
    pub last_error_code: Option<String>,
    /// The last error's Chinese message.
    pub last_error_message: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<String>,
    /// Set by `sync_request`: run now.
    pub requested_at: Option<String>,
    /// The hub's bundle signing key (hex), once trusted.
    pub hub_public_key: Option<String>,
    /// `created_at` of the newest hub bundle applied.
    pub last_hub_bundle_at: Option<String>,
    /// The pinned SHA-256 of the hub's TLS certificate (64 lower-case hex digits), for an
    /// `https://` hub (migration 0016).
    pub hub_fingerprint: Option<String>,
}

/// Reads the sync state.
pub fn state(register: &Register) -> Result<State> {
    let state = register
        .conn()
        .query_row(
            "SELECT hub_url, enrolment_code, credential, hub_centre_id, acknowledged, pull_cursor,
                    last_attempt, last_success, last_error_code, last_error_message,
                    last_error_at, requested_at, hub_public_key, last_hub_bundle_at,
                    hub_fingerprint
             FROM sync_state WHERE id = 1",
            [],
            |r| {
                Ok(State {
                    hub_url: r.get(0)?,
                    enrolment_code: r.get(1)?,
                    credential: r.get(2)?,
                    hub_centre_id: r.get(3)?,
                    acknowledged: r.get(4)?,
                    pull_cursor: r.get(5)?,
                    last_attempt: r.get(6)?,
                    last_success: r.get(7)?,
                    last_error_code: r.get(8)?,
                    last_error_message: r.get(9)?,
                    last_error_at: r.get(10)?,
                    requested_at: r.get(11)?,
                    hub_public_key: r.get(12)?,
                    last_hub_bundle_at: r.get(13)?,
                    hub_fingerprint: r.get(14)?,
                })
            },
        )
        .optional()?;
    Ok(state.unwrap_or_default())
}

/// Stores the hub URL and, when given, a new enrolment code (which drops the old credential:
/// the centre enrols again, and the hub key it knew is forgotten: a new enrolment teaches it
/// again). Asks for a run at once.
pub fn configure(register: &Register, hub_url: &str, enrolment_code: Option<&str>) -> Result<()> {
    let now = fmt_utc(register.now());
    let conn = register.conn();
    conn.execute(
        "UPDATE sync_state SET hub_url = ?1, requested_at = ?2 WHERE id = 1",
        params![hub_url, now],
    )?;
    if let Some(code) = enrolment_code {
        conn.execute(
            "UPDATE sync_state SET enrolment_code = ?1, credential = NULL, hub_centre_id = NULL,
                    acknowledged = 0, hub_public_key = NULL, last_hub_bundle_at = NULL
             WHERE id = 1",
            [code],
        )?;
    }
    Ok(())
}

/// Stores the pinned fingerprint of the hub's certificate (`None` for a plain-HTTP hub).
pub fn set_hub_fingerprint(register: &Register, fingerprint: Option<&str>) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET hub_fingerprint = ?1 WHERE id = 1",
        [fingerprint],
    )?;
    Ok(())
}

/// Stores a one-time enrolment code for a centre with no network (no hub address needed): the
/// next bundle carries the proof of it. Like a new code in [`configure`], it starts a new
/// enrolment: the old credential and hub key are dropped.
pub fn set_enrolment_code(register: &Register, code: &str) -> Result<()> {
    if bundle::normalise_code(code).is_empty() {
        return Err(crate::Error::required("enrolment_code", "注册码"));
    }
    register.conn().execute(
        "UPDATE sync_state SET enrolment_code = ?1, credential = NULL, hub_centre_id = NULL,
                acknowledged = 0, hub_public_key = NULL, last_hub_bundle_at = NULL
         WHERE id = 1",
        [code.trim()],
    )?;
    Ok(())
}

/// Asks the worker to run now.
pub fn request(register: &Register) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET requested_at = ?1 WHERE id = 1",
        [fmt_utc(register.now())],
    )?;
    Ok(())
}

/// Marks the start of a run: the attempt time, and the request (if any) taken.
pub fn record_attempt(register: &Register) -> Result<()> {
    // What there is to do as the run starts, so the sync panel can show how far it has got
    // (migration 0018): the events waiting now, and the inbox as it stands.
    let local = local_seq(register)?;
    register.conn().execute(
        "UPDATE sync_state SET last_attempt = ?1, requested_at = NULL,
                run_waiting = max(0, ?2 - acknowledged),
                run_inbox = (SELECT count(*) FROM county_inbox)
         WHERE id = 1",
        params![fmt_utc(register.now()), local],
    )?;
    Ok(())
}

/// What to send to `POST /api/v1/enrol`, when there is a code and no credential yet.
pub fn enrol_request(register: &Register) -> Result<Option<EnrolRequest>> {
    let state = state(register)?;
    let (Some(code), None) = (state.enrolment_code, state.credential) else {
        return Ok(None);
    };
    let centre = register.centre()?;
    Ok(Some(EnrolRequest {
        credential_hash: enrol_credential(register)?
            .map(|credential| bundle::sha256_hex(&credential)),
        code,
        origin: centre.origin,
        centre_code: centre.code.clone(),
        centre_name: centre.name.clone(),
        public_key: public_key(register)?,
    }))
}

/// The credential this centre chooses for its network enrolment (`bundle::enrol_credential`,
/// from its signing key, the code and its origin): the same on every retry, so an enrolment
/// whose answer was lost can be repeated. `None` without a code or a key pair yet.
pub fn enrol_credential(register: &Register) -> Result<Option<String>> {
    let Some(code) = state(register)?.enrolment_code else {
        return Ok(None);
    };
    let secret: Option<String> = register
        .conn()
        .query_row("SELECT signing_key FROM sync_keys WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let origin = register.centre()?.origin;
    Ok(secret.map(|secret| bundle::enrol_credential(&secret, &code, origin)))
}

/// Stores the credential of a successful enrolment; the code is spent.
pub fn record_enrolled(register: &Register, centre_id: Uuid, credential: &str) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET credential = ?1, hub_centre_id = ?2, enrolment_code = NULL,
                acknowledged = 0, pull_cursor = 0
         WHERE id = 1",
        params![credential, centre_id.to_string()],
    )?;
    Ok(())
}

/// Stores the hub's bundle key as the enrolment answered it (TLS or the LAN vouches for it).
pub fn record_hub_key(register: &Register, hub_public_key: &str) -> Result<()> {
    if !bundle::is_public_key(hub_public_key) {
        return Err(crate::Error::Internal(format!(
            "the hub sent an unusable public key {hub_public_key}"
        )));
    }
    register.conn().execute(
        "UPDATE sync_state SET hub_public_key = ?1 WHERE id = 1",
        [hub_public_key],
    )?;
    Ok(())
}

/// Stores the hub's acknowledged mark (as `GET /mark` or a push answered it). The hub is the
/// authority: a hub restored from an older backup moves the mark back, and the events above it
/// are sent again.
pub fn record_mark(register: &Register, acknowledged: i64) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET acknowledged = ?1 WHERE id = 1",
        [acknowledged],
    )?;
    Ok(())
}

/// Writes the audit trail's head into the event log (`audit.anchored`) if it moved since the
/// newest anchor, so the push or bundle that follows carries it to the county; returns whether
/// it wrote one. Called by the sync just before it pushes and by the bundle export.
///
/// The anchor is no audited operation of its own (nobody's action), so anchoring never moves
/// the head and a quiet centre writes no anchors.
pub fn anchor_audit(register: &mut Register) -> Result<bool> {
    let Some((audit_seq, audit_hash)) = audit::head(register.conn())? else {
        return Ok(false);
    };
    let origin = register.centre()?.origin.to_string();
    if audit::newest_anchor(register.conn(), &origin)?
        .is_some_and(|(_, seq, hash)| seq == audit_seq && hash == audit_hash)
    {
        return Ok(false);
    }
    // A trail that no longer holds the newest anchor's row (cut back, or lost with a restore
    // from an older backup whose events were then taken back from the hub) is left as
    // `verify` finds it: an anchor written over the break would hide it.
    if !audit::check_anchor(register.conn())?.is_empty() {
        return Ok(false);
    }
    register.write(SYSTEM_ACTOR, |w| {
        w.record(EventBody::AuditAnchored {
            audit_seq,
            audit_hash,
        })
    })?;
    Ok(true)
}

/// The id of this centre's own event at `seq`, if the register has one.
pub fn own_event_id(register: &Register, seq: i64) -> Result<Option<Uuid>> {
    let origin = register.centre()?.origin;
    let id: Option<String> = register
        .conn()
        .query_row(
            "SELECT id FROM events WHERE origin = ?1 AND seq = ?2",
            params![origin.to_string(), seq],
            |r| r.get(0),
        )
        .optional()?;
    Ok(id.and_then(|id| Uuid::parse_str(&id).ok()))
}

/// What [`take_back_own`] did with one batch of the hub's copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakenBack {
    /// This many events went back into the log and the tables.
    Taken(usize),
    /// The event at `seq` is a private kind (`user.*`) that travels without its payload, so
    /// the hub's copy cannot rebuild it; nothing from it on was taken.
    Private {
        /// Its seq.
        seq: i64,
        /// Its kind.
        kind: String,
    },
}

/// Puts the hub's copies of this centre's own events, the ones a restore from an older backup
/// lost, back into the log as they were (id, seq, actor, time and payload unchanged) and
/// applies them to the tables, as replay would; one audit row records it. One transaction.
///
/// The caller has checked that the register is a prefix of the hub's copy: the hub's event at
/// [`local_seq`] is this register's own. Each event must carry this origin and the next seq;
/// anything else is refused and nothing of the batch is kept. Events before the first private
/// one are taken; see [`TakenBack::Private`].
pub fn take_back_own(register: &mut Register, events: &[WireEvent]) -> Result<TakenBack> {
    let origin = register.centre()?.origin;
    let mut next = local_seq(register)? + 1;
    let now = register.now();
    let tx = register.conn().unchecked_transaction()?;
    let mut taken = 0;
    let mut stopped = None;
    for wire in events {
        if wire.origin != origin || wire.seq != next {
            return Err(crate::Error::Internal(format!(
                "县级枢纽取回的事件不接续本机：期望本中心第 {next} 号，收到 {} 的第 {} 号",
                wire.origin, wire.seq
            )));
        }
        if !is_syncable(&wire.kind) {
            stopped = Some(TakenBack::Private {
                seq: wire.seq,
                kind: wire.kind.clone(),
            });
            break;
        }
        let event = Event {
            id: wire.id,
            origin,
            seq: wire.seq,
            actor: wire.actor.clone(),
            at: DateTime::parse_from_rfc3339(&wire.at)
                .map_err(|e| crate::Error::Internal(format!("event time {}: {e}", wire.at)))?
                .with_timezone(&Utc),
            body: EventBody::join(&wire.kind, wire.payload.value())?,
        };
        tx.prepare_cached(
            "INSERT INTO events (id, origin, seq, actor, at, kind, schema_version, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            wire.id.to_string(),
            origin.to_string(),
            wire.seq,
            wire.actor,
            wire.at,
            wire.kind,
            wire.schema_version,
            wire.payload.as_str(),
        ])?;
        projection::apply(&tx, &event, true)?;
        taken += 1;
        next += 1;
    }
    if taken > 0 {
        let first = next - taken as i64;
        let entry = audit::Entry {
            username: SYSTEM_ACTOR.into(),
            detail: format!(
                "本机登记簿从较早的备份恢复，缺少已上报县级的事件；从县级枢纽取回第 {first}–{} 号事件 {taken} 条",
                next - 1
            ),
            ..audit::Entry::new(None, "县级枢纽", "sync_take_back")
        };
        audit::record(&tx, now, &entry)?;
    }
    tx.commit()?;
    Ok(stopped.unwrap_or(TakenBack::Taken(taken)))
}

/// Up to `limit` of this centre's own events with seq above `after`, in seq order, in the form
/// they travel in (`xinfang_sync::wire_form`: `user.*` without payload).
pub fn outbox(register: &Register, after: i64, limit: usize) -> Result<Vec<WireEvent>> {
    let origin = register.centre()?.origin;
    let mut stmt = register.conn().prepare_cached(
        "SELECT id, seq, actor, at, kind, schema_version, payload FROM events
         WHERE origin = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![origin.to_string(), after, limit as i64], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, u32>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (id, seq, actor, at, kind, schema_version, payload) = row?;
        let id = Uuid::parse_str(&id)
            .map_err(|e| crate::Error::Internal(format!("event id {id}: {e}")))?;
        events.push(wire_form(WireEvent {
            id,
            origin,
            seq,
            actor,
            at,
            kind,
            schema_version,
            // Kept as the stored text: the push neither reads nor rebuilds it.
            payload: Payload::from_text(payload)?,
        }));
    }
    Ok(events)
}

/// Stores pulled events in the inbox (a known id is left as it is) and the cursor to pull
/// after next time, in one transaction. Returns how many were new.
pub fn record_pulled(register: &Register, events: &[Routed], next: i64) -> Result<usize> {
    let tx = register.conn().unchecked_transaction()?;
    let added = insert_pulled(register, events, next)?;
    tx.commit()?;
    Ok(added)
}

/// The inbox rows and cursor of [`record_pulled`], inside the caller's transaction.
fn insert_pulled(register: &Register, events: &[Routed], next: i64) -> Result<usize> {
    let now = fmt_utc(register.now());
    let conn = register.conn();
    let mut added = 0;
    {
        let mut insert = conn.prepare_cached(
            "INSERT OR IGNORE INTO county_inbox
                 (cursor, id, origin, seq, kind, payload, at, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for routed in events {
            let event = &routed.event;
            added += insert.execute(params![
                routed.cursor,
                event.id.to_string(),
                event.origin.to_string(),
                event.seq,
                event.kind,
                event.payload.as_str(),
                event.at,
                now,
            ])?;
        }
    }
    let cursor = events.iter().map(|r| r.cursor).max().unwrap_or(0).max(next);
    conn.execute(
        "UPDATE sync_state SET pull_cursor = max(pull_cursor, ?1) WHERE id = 1",
        [cursor],
    )?;
    Ok(added)
}

/// Whether the inbox holds the event `id` pulled at `cursor` (`None`: whether the cursor is 0,
/// where no event sits). The sync worker asks it of the hub's [`xinfang_sync::Anchor`]: a hub
/// with another event there (or none) is not the log this centre pulled from.
pub fn pulled_at(register: &Register, cursor: i64, id: Option<Uuid>) -> Result<bool> {
    let Some(id) = id else {
        return Ok(cursor == 0);
    };
    Ok(register.conn().query_row(
        "SELECT EXISTS (SELECT 1 FROM county_inbox WHERE cursor = ?1 AND id = ?2)",
        params![cursor, id.to_string()],
        |r| r.get(0),
    )?)
}

/// The county event last pulled at `cursor` (after a restart from 0 the inbox can hold an
/// earlier hub's event at the same cursor too; the newest row is the current hub's).
pub fn pulled_id_at(register: &Register, cursor: i64) -> Result<Option<Uuid>> {
    if cursor <= 0 {
        return Ok(None);
    }
    let id: Option<String> = register
        .conn()
        .query_row(
            "SELECT id FROM county_inbox WHERE cursor = ?1 ORDER BY rowid DESC LIMIT 1",
            [cursor],
            |r| r.get(0),
        )
        .optional()?;
    Ok(id.and_then(|id| Uuid::parse_str(&id).ok()))
}

/// Pulls again from the start: the hub's log is not the one the cursor points into (restored
/// from an older backup). The inbox keeps what it has; events it knows are not taken twice.
pub fn restart_pull(register: &Register) -> Result<()> {
    register
        .conn()
        .execute("UPDATE sync_state SET pull_cursor = 0 WHERE id = 1", [])?;
    Ok(())
}

/// A run that completed: the time, and no error.
pub fn record_success(register: &Register) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET last_success = ?1, last_error_code = NULL,
                last_error_message = NULL, last_error_at = NULL
         WHERE id = 1",
        [fmt_utc(register.now())],
    )?;
    Ok(())
}

/// A run that failed, with the hub's code and Chinese message (or the desk's own).
pub fn record_error(register: &Register, code: &str, message: &str) -> Result<()> {
    register.conn().execute(
        "UPDATE sync_state SET last_error_code = ?1, last_error_message = ?2, last_error_at = ?3
         WHERE id = 1",
        params![code, message, fmt_utc(register.now())],
    )?;
    Ok(())
}

/// The highest seq of this centre's own events (0 for none).
pub fn local_seq(register: &Register) -> Result<i64> {
    let origin = register.centre()?.origin;
    Ok(register.conn().query_row(
        "SELECT coalesce(max(seq), 0) FROM events WHERE origin = ?1",
        [origin.to_string()],
        |r| r.get(0),
    )?)
}

/// The centre's bundle signing key: the stored one, or — the first time — one made from
/// `fresh` (32 bytes the caller drew from the system's randomness) and stored.
pub fn signing_key(register: &Register, fresh: [u8; 32]) -> Result<SigningKey> {
    let made = bundle::signing_key(fresh);
    register.conn().execute(
        "INSERT OR IGNORE INTO sync_keys (id, signing_key, public_key, created_at)
         VALUES (1, ?1, ?2, ?3)",
        params![
            bundle::hex(&fresh),
            bundle::public_key_hex(&made),
            fmt_utc(register.now())
        ],
    )?;
    let stored: String =
        register
            .conn()
            .query_row("SELECT signing_key FROM sync_keys WHERE id = 1", [], |r| {
                r.get(0)
            })?;
    let secret = bundle::unhex::<32>(&stored).ok_or_else(|| {
        crate::Error::Internal("the stored signing key is not 32 bytes of hex".into())
    })?;
    Ok(bundle::signing_key(secret))
}

/// The centre's public key (hex), if its key pair was made.
pub fn public_key(register: &Register) -> Result<Option<String>> {
    Ok(register
        .conn()
        .query_row("SELECT public_key FROM sync_keys WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

fn bundle_refusal(code: &'static str, message: impl Into<String>) -> crate::Error {
    crate::Error::field(code, "bundle", message)
}

impl From<bundle::BundleError> for crate::Error {
    fn from(err: bundle::BundleError) -> crate::Error {
        bundle_refusal(err.code(), err.message_zh())
    }
}

/// What `export_bundle` wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BundleExport {
    /// The mark the events start above.
    pub acknowledged: i64,
    /// Events in the bundle.
    pub events: usize,
    /// The highest seq in it (the mark, when empty).
    pub through: i64,
    /// Whether it carries the enrolment proof (the hub may not know this centre's key yet).
    pub enrolment: bool,
    /// This centre's public key (hex).
    pub public_key: String,
}

/// A signed bundle of this centre's events above the hub's mark as last heard, for a USB
/// stick. While an enrolment code is stored it also carries the proof of it, and the hash of a
/// credential for later network sync (made from `fresh_credential` the first time and kept).
/// `fresh_key` is used only if the centre has no key pair yet.
pub fn export_bundle(
    register: &Register,
    fresh_key: [u8; 32],
    fresh_credential: [u8; 32],
) -> Result<(Vec<u8>, BundleExport)> {
    let key = signing_key(register, fresh_key)?;
    let public_key = bundle::public_key_hex(&key);
    let state = state(register)?;
    let centre = register.centre()?;
    let events = outbox(register, state.acknowledged, bundle::MAX_BUNDLE_EVENTS + 1)?;
    if events.len() > bundle::MAX_BUNDLE_EVENTS {
        return Err(bundle::BundleError::TooManyEvents {
            count: (local_seq(register)? - state.acknowledged).max(0) as usize,
        }
        .into());
    }
    let enrolment = match &state.enrolment_code {
        Some(code) => {
            let credential = match &state.credential {
                Some(credential) => credential.clone(),
                None => {
                    // The desk chooses its credential; the hub only ever sees its hash.
                    let credential = format!("xfhub1_{}", bundle::hex(&fresh_credential));
                    register.conn().execute(
                        "UPDATE sync_state SET credential = ?1 WHERE id = 1",
                        [&credential],
                    )?;
                    credential
                }
            };
            Some(BundleEnrolment {
                centre_name: centre.name.clone(),
                code_proof: bundle::code_proof(
                    &bundle::code_hash(code),
                    &public_key,
                    centre.origin,
                ),
                credential_hash: bundle::sha256_hex(credential.trim()),
            })
        }
        None => None,
    };
    let summary = BundleExport {
        acknowledged: state.acknowledged,
        events: events.len(),
        through: events.last().map_or(state.acknowledged, |e| e.seq),
        enrolment: enrolment.is_some(),
        public_key,
    };
    let contents = Contents::ToHub(CentreBundle {
        origin: centre.origin,
        centre_code: centre.code.clone(),
        created_at: fmt_utc(register.now()),
        acknowledged: state.acknowledged,
        pull_cursor: state.pull_cursor,
        pull_anchor: pulled_id_at(register, state.pull_cursor)?,
        enrolment,
        events,
    });
    Ok((bundle::seal(&contents, &key)?, summary))
}

/// What `import_bundle` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BundleImport {
    /// County events in the bundle.
    pub events: usize,
    /// Of those, new to the inbox.
    pub inbox_added: usize,
    /// The mark before.
    pub acknowledged_before: i64,
    /// The mark after.
    pub acknowledged: i64,
    /// Whether the bundle's mark was applied (it is not for a bundle older than the newest
    /// applied, e.g. the same bundle again).
    pub mark_applied: bool,
    /// Whether the hub key was learned from this bundle.
    pub hub_key_learned: bool,
    /// Whether the hub has more routed events for a next bundle.
    pub more: bool,
}

/// Applies a bundle the hub wrote for this centre: county events into the inbox (a known id is
/// left as it is), the pull cursor, and the hub's mark (from the newest hub bundle only). It
/// must be for this register's origin and signed by the trusted hub key; with no key trusted
/// yet, by a key the bundle's enrolment proof vouches for, or the one an administrator passes
/// as `trust_hub_key` after comparing fingerprints. A refusal changes nothing.
pub fn import_bundle(
    register: &Register,
    bytes: &[u8],
    trust_hub_key: Option<&str>,
) -> Result<BundleImport> {
    let opened = bundle::open(bytes)?;
    let Contents::ToCentre(contents) = opened.contents else {
        return Err(bundle_refusal(
            "bundle_wrong_direction",
            "这是接待中心写给县级枢纽的同步包，应在县级枢纽用 xinfang-hub bundle import 导入，未做任何更改",
        ));
    };
    let centre = register.centre()?;
    if contents.centre_origin != centre.origin {
        return Err(bundle_refusal(
            "bundle_wrong_centre",
            format!(
                "该同步包是县级枢纽写给另一个登记簿（{}）的，不是本中心（{}）的，未做任何更改",
                contents.centre_origin, centre.origin
            ),
        ));
    }
    let state = state(register)?;
    let signer = opened.signer.as_str();
    let wrong_signer = |known: &str| {
        bundle_refusal(
            "bundle_wrong_signer",
            format!(
                "同步包不是用本中心认可的县级枢纽密钥签署的（认可的指纹 {}，本包 {}）：可能是伪造的包，已拒绝，未做任何更改",
                bundle::fingerprint(known),
                bundle::fingerprint(signer)
            ),
        )
    };
    let learned = match (trust_hub_key, &state.hub_public_key) {
        (Some(given), _) => {
            let given = given.trim().to_ascii_lowercase();
            if !bundle::is_public_key(&given) {
                return Err(crate::Error::field(
                    "invalid_hub_key",
                    "trust_hub_key",
                    "县级枢纽公钥格式不对（须为 64 位十六进制，见 xinfang-hub key）",
                ));
            }
            if !bundle::same_secret(&given, signer) {
                return Err(wrong_signer(&given));
            }
            state.hub_public_key.as_deref() != Some(signer)
        }
        (None, Some(known)) => {
            if !bundle::same_secret(known, signer) {
                return Err(wrong_signer(known));
            }
            false
        }
        (None, None) => {
            let vouched = match (&state.enrolment_code, &contents.enrolment_proof) {
                (Some(code), Some(proof)) => bundle::same_secret(
                    &bundle::enrolment_proof(&bundle::code_hash(code), signer, centre.origin),
                    proof,
                ),
                _ => false,
            };
            if !vouched {
                return Err(bundle_refusal(
                    "bundle_hub_key_unknown",
                    format!(
                        "本中心尚不认识县级枢纽的签名密钥，无法确认该同步包来自县级枢纽：请与县信访局电话核对公钥指纹 {}，再用 --trust-hub-key 导入；未做任何更改",
                        bundle::fingerprint(signer)
                    ),
                ));
            }
            true
        }
    };

    let tx = register.conn().unchecked_transaction()?;
    let before = state.acknowledged;
    let inbox_added = insert_pulled(register, &contents.events, 0)?;
    // Bundles can arrive late or twice: only the newest one's mark speaks for the hub (which
    // may move it back, after a restore from an older backup; the events are then sent again).
    let mark_applied = state
        .last_hub_bundle_at
        .as_deref()
        .is_none_or(|last| contents.created_at.as_str() > last);
    if mark_applied {
        tx.execute(
            "UPDATE sync_state SET acknowledged = ?1, last_hub_bundle_at = ?2 WHERE id = 1",
            params![contents.acknowledged, contents.created_at],
        )?;
    }
    tx.execute(
        "UPDATE sync_state SET hub_centre_id = ?1 WHERE id = 1",
        [contents.centre_id.to_string()],
    )?;
    if learned {
        tx.execute(
            "UPDATE sync_state SET hub_public_key = ?1 WHERE id = 1",
            [signer],
        )?;
    }
    if contents.enrolment_proof.is_some() {
        // The hub has this centre's key and credential hash: the code is spent.
        tx.execute(
            "UPDATE sync_state SET enrolment_code = NULL WHERE id = 1",
            [],
        )?;
    }
    tx.commit()?;
    Ok(BundleImport {
        events: contents.events.len(),
        inbox_added,
        acknowledged_before: before,
        acknowledged: if mark_applied {
            contents.acknowledged
        } else {
            before
        },
        mark_applied,
        hub_key_learned: learned,
        more: contents.more,
    })
}
