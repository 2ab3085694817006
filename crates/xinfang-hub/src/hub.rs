//! The rules of the county hub, once, over any [`Store`]: adding, enrolling and revoking
//! centres, authenticating a credential, push (idempotent, held above a gap, acknowledged up to
//! the contiguous mark), pull of what is routed to a centre, publishing county events, and the
//! request log. The HTTP adapter and the CLI only parse and call these.

use std::time::Duration;

use chrono::DateTime;
use uuid::Uuid;
use xinfang_sync::lookup::{self, CentreMatter, PersonMattersRequest, PersonMattersResponse};
use xinfang_sync::{
    Anchor, EnrolRequest, EnrolResponse, MarkResponse, OwnEventsResponse, PullResponse,
    PushRequest, PushResponse, Rejected, WireEvent, codes, contiguous_mark, is_syncable, wire_form,
};

use crate::{
    Error, Result,
    clock::{Clock, fmt_utc, parse_utc},
    secret,
    store::{Arrival, Centre, LogEntry, NewCentre, Outcome, Store, Tx},
};

/// How long an enrolment code may be redeemed after `centre add`.
pub const ENROL_CODE_VALID_HOURS: i64 = 72;
/// The most events one push may carry; larger batches are refused whole (`batch_too_large`).
pub const MAX_BATCH: usize = 10_000;
/// Events per pull when the centre does not say.
pub const DEFAULT_PULL_LIMIT: usize = 500;
/// The most events one pull returns.
pub const MAX_PULL_LIMIT: usize = 5_000;
/// The `actor` of events the county publishes from the admin CLI.
pub const COUNTY_ACTOR: &str = "county";

/// The hub: a store and a clock.
pub struct Hub {
    pub(crate) store: Box<dyn Store>,
    pub(crate) clock: Box<dyn Clock>,
    faults: Faults,
}

/// Pauses inside a push, for tests that kill the hub at a chosen moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Wait this long inside the push transaction, before it commits.
    pub before_commit: Option<Duration>,
    /// Wait this long after the commit, before the answer goes back.
    pub after_commit: Option<Duration>,
}

/// A centre just added, with the one-time code that is shown once and never stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AddedCentre {
    /// The new centre.
    pub centre: Centre,
    /// The enrolment code to hand to the centre.
    pub enrolment_code: String,
}

/// Where a published event goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One centre.
    Centre(Uuid),
    /// Every centre, including those enrolled later (reference data).
    All,
}

/// What `publish` stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Published {
    /// The hub cursor of the event.
    pub cursor: i64,
    /// The event.
    pub event: WireEvent,
    /// The centre it is routed to; `None` for all.
    pub to: Option<Uuid>,
}

/// Where a centre stands, for `centre list` and the status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CentreState {
    /// Added, code not yet redeemed.
    Pending,
    /// Code not redeemed in time.
    CodeExpired,
    /// Enrolled and in service.
    Enrolled,
    /// Revoked.
    Revoked,
}

impl CentreState {
    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            CentreState::Pending => "待注册",
            CentreState::CodeExpired => "注册码已过期",
            CentreState::Enrolled => "已注册",
            CentreState::Revoked => "已撤销",
        }
    }
}

/// One centre with its sync figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CentreStatus {
    /// The centre.
    pub centre: Centre,
    /// Its state.
    pub state: CentreState,
    /// The acknowledged mark of its origin.
    pub acknowledged: i64,
    /// How many of its events wait above a gap.
    pub held: usize,
    /// Its latest request that carried an error code.
    pub last_error: Option<LogEntry>,
}

/// A request log line to record (the hub adds the time).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `POST /api/v1/push`.
    pub endpoint: &'a str,
    /// The centre, when known.
    pub centre_id: Option<Uuid>,
    /// Peer address.
    pub remote: Option<String>,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> Error {
    Error::BadInput {
        field: field.into(),
        message: message.into(),
    }
}

/// The page size a pull or take-back asked for, [`DEFAULT_PULL_LIMIT`] if none; `verb` names
/// the request in the refusal.
fn page_limit(limit: Option<usize>, verb: &str) -> Result<usize> {
    let limit = limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if limit == 0 || limit > MAX_PULL_LIMIT {
        return Err(bad(
            "limit",
            format!("每次{verb}条数须在 1～{MAX_PULL_LIMIT} 之间"),
        ));
    }
    Ok(limit)
}

impl Hub {
    /// A hub over `store` with `clock`.
    pub fn new(store: Box<dyn Store>, clock: Box<dyn Clock>) -> Hub {
        Hub {
            store,
            clock,
            faults: Faults::default(),
        }
    }

    /// Opens (creating if needed) the SQLite store in data directory `dir` with the wall clock.
    pub fn open_sqlite(dir: &std::path::Path) -> Result<Hub> {
        let mut clock = crate::clock::SystemClock;
        let store = crate::store::sqlite::SqliteStore::open_dir(dir, || {
            (clock.next_id(), fmt_utc(clock.now()))
        })?;
        Ok(Hub::new(Box::new(store), Box::new(clock)))
    }

    /// Connects to (migrating if needed) the PostgreSQL database `url` names, with the wall
    /// clock.
    pub fn open_postgres(url: &str) -> Result<Hub> {
        let mut clock = crate::clock::SystemClock;
        let store =
            crate::store::postgres::PgStore::open(url, || (clock.next_id(), fmt_utc(clock.now())))?;
        Ok(Hub::new(Box::new(store), Box::new(clock)))
    }

    /// Fault injection for tests: pause inside every push (before and/or after its commit), so
    /// a test can kill the process with a batch half-way, or stored but not yet acknowledged.
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Where the data lives.
    pub fn describe(&self) -> String {
        self.store.describe()
    }

    /// Flushes the store on shutdown.
    pub fn checkpoint(&mut self) -> Result<()> {
        self.store.checkpoint()
    }

    pub(crate) fn now(&self) -> String {
        fmt_utc(self.clock.now())
    }

    /// The hub's own origin.
    pub fn origin(&mut self) -> Result<Uuid> {
        self.store.begin()?.hub_origin()
    }

    /// Adds a centre and returns its one-time enrolment code (valid 72 hours).
    pub fn add_centre(&mut self, code: &str, name: &str) -> Result<AddedCentre> {
        let code = code.trim();
        if code.is_empty() || code.len() > 20 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("code", "中心代码须为 1～20 位字母或数字（如 XF3301）"));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad("name", "请填写中心名称（不超过 100 字）"));
        }
        let enrolment_code = secret::new_enrolment_code()?;
        let now = self.clock.now();
        let new = NewCentre {
            id: self.clock.next_id(),
            code: code.to_owned(),
            name: name.to_owned(),
            created_at: fmt_utc(now),
            enrol_code_hash: secret::hash_code(&enrolment_code),
            enrol_expires_at: fmt_utc(now + chrono::Duration::hours(ENROL_CODE_VALID_HOURS)),
        };
        let mut tx = self.store.begin()?;
        if tx.live_centre_with_code(code)?.is_some() {
            return Err(Error::CentreCodeTaken(code.to_owned()));
        }
        tx.insert_centre(&new)?;
        let centre = tx
            .centre(new.id)?
            .ok_or_else(|| Error::Internal("centre vanished after insert".into()))?;
        tx.commit()?;
        Ok(AddedCentre {
            centre,
            enrolment_code,
        })
    }

    /// Every centre with its figures, oldest first.
    pub fn centres(&mut self) -> Result<Vec<CentreStatus>> {
        let now = self.clock.now();
        let mut tx = self.store.begin()?;
        let mut out = Vec::new();
        for centre in tx.centres()? {
            let state = if centre.revoked_at.is_some() {
                CentreState::Revoked
            } else if centre.enrolled_at.is_some() {
                CentreState::Enrolled
            } else if code_expired(&centre, now) {
                CentreState::CodeExpired
            } else {
                CentreState::Pending
            };
            let (acknowledged, held) = match centre.origin {
                Some(origin) => (tx.mark(origin)?, tx.held_seqs(origin)?.len()),
                None => (0, 0),
            };
            let last_error = tx.last_error(centre.id)?;
            out.push(CentreStatus {
                centre,
                state,
                acknowledged,
                held,
                last_error,
            });
        }
        Ok(out)
    }

    /// A centre by id.
    pub fn centre(&mut self, id: Uuid) -> Result<Centre> {
        self.store.begin()?.centre(id)?.ok_or(Error::NotFound {
            what: "接待中心",
            id: id.to_string(),
        })
    }

    /// The centre a credential was issued to, revoked or not (for the log).
    pub fn centre_for_credential(&mut self, credential: &str) -> Result<Option<Centre>> {
        self.store
            .begin()?
            .centre_by_credential(&secret::hash(credential.trim()))
    }

    /// The centre an enrolment code was issued to, used or not (for the log).
    pub fn centre_for_enrol_code(&mut self, code: &str) -> Result<Option<Centre>> {
        self.store
            .begin()?
            .centre_by_enrol_code(&secret::hash_code(code))
    }

    /// Revokes a centre: its credential (and an unused code) stop working at once. Revoking
    /// twice changes nothing and keeps the first time.
    pub fn revoke(&mut self, id: Uuid) -> Result<Centre> {
        let now = self.now();
        let mut tx = self.store.begin()?;
        if tx.centre(id)?.is_none() {
            return Err(Error::NotFound {
                what: "接待中心",
                id: id.to_string(),
            });
        }
        tx.set_revoked(id, &now)?;
        let centre = tx
            .centre(id)?
            .ok_or_else(|| Error::Internal("centre vanished".into()))?;
        tx.commit()?;
        Ok(centre)
    }

    /// Redeems a one-time enrolment code. A wrong, used, expired or revoked code is refused
    /// and changes nothing.
    pub fn enrol(&mut self, request: &EnrolRequest) -> Result<(Centre, EnrolResponse)> {
        if request.origin.is_nil() {
            return Err(bad("origin", "登记簿标识不能为空"));
        }
        if let Some(key) = &request.public_key
            && !xinfang_sync::bundle::is_public_key(key)
        {
            return Err(bad(
                "public_key",
                "本中心的签名公钥格式不对（须为 64 位小写十六进制的 ed25519 公钥）",
            ));
        }
        let chosen = request.credential_hash.as_deref().map(str::trim);
        if chosen.is_some_and(|hash| {
            hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }) {
            return Err(bad(
                "credential_hash",
                "本中心凭据的摘要格式不对（须为 64 位小写十六进制的 SHA-256）",
            ));
        }
        let now = self.clock.now();
        let at = fmt_utc(now);
        // A centre that chose its credential is told an empty one: it has its own.
        let credential = match chosen {
            Some(_) => String::new(),
            None => secret::new_credential()?,
        };
        let mut tx = self.store.begin()?;
        let centre = tx
            .centre_by_enrol_code(&secret::hash_code(&request.code))?
            .ok_or(Error::EnrolCodeUnknown)?;
        if let Some(used) = &centre.enrolled_at {
            // The same centre again, after the answer to its enrolment was lost on the way:
            // same origin, same credential of its own choosing. It is answered as it was then.
            let retry = match chosen {
                Some(hash) => {
                    centre.revoked_at.is_none()
                        && centre.origin == Some(request.origin)
                        && tx
                            .centre_by_credential(hash)?
                            .is_some_and(|c| c.id == centre.id)
                }
                None => false,
            };
            if !retry {
                return Err(Error::EnrolCodeUsed { at: used.clone() });
            }
            let hub_public_key = crate::bundle::hub_key(&mut *tx)?;
            tx.commit()?;
            let response = EnrolResponse {
                centre_id: centre.id,
                credential,
                hub_public_key: Some(xinfang_sync::bundle::public_key_hex(&hub_public_key)),
            };
            return Ok((centre, response));
        }
        if let Some(revoked) = &centre.revoked_at {
            return Err(Error::Revoked {
                code: centre.code.clone(),
                at: revoked.clone(),
            });
        }
        if code_expired(&centre, now) {
            return Err(Error::EnrolCodeExpired {
                at: centre.enrol_expires_at,
            });
        }
        if request.centre_code.trim() != centre.code {
            return Err(Error::CentreMismatch {
                found: request.centre_code.trim().to_owned(),
                expected: centre.code,
            });
        }
        if request.origin == tx.hub_origin()?
            || tx.live_centre_with_origin(request.origin)?.is_some()
        {
            return Err(Error::OriginTaken(request.origin));
        }
        let credential_hash = chosen.map_or_else(|| secret::hash(&credential), str::to_owned);
        tx.set_enrolled(centre.id, request.origin, &credential_hash, &at)?;
        if let Some(key) = &request.public_key {
            tx.set_centre_key(centre.id, key, None)?;
        }
        let hub_public_key = crate::bundle::hub_key(&mut *tx)?;
        let centre = tx
            .centre(centre.id)?
            .ok_or_else(|| Error::Internal("centre vanished".into()))?;
        tx.commit()?;
        let response = EnrolResponse {
            centre_id: centre.id,
            credential,
            hub_public_key: Some(xinfang_sync::bundle::public_key_hex(&hub_public_key)),
        };
        Ok((centre, response))
    }

    /// The enrolled, unrevoked centre a bearer credential belongs to.
    pub fn authenticate(&mut self, credential: Option<&str>) -> Result<Centre> {
        let credential = credential
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(Error::Unauthenticated)?;
        let centre = self
            .store
            .begin()?
            .centre_by_credential(&secret::hash(credential))?
            .ok_or(Error::Unauthenticated)?;
        if let Some(at) = &centre.revoked_at {
            return Err(Error::Revoked {
                code: centre.code.clone(),
                at: at.clone(),
            });
        }
        if centre.origin.is_none() {
            return Err(Error::Unauthenticated);
        }
        Ok(centre)
    }

    /// The acknowledged mark of the centre's origin.
    pub fn mark(&mut self, centre: &Centre) -> Result<MarkResponse> {
        let origin = enrolled_origin(centre)?;
        let mut tx = self.store.begin()?;
        let acknowledged = tx.mark(origin)?;
        let id = match acknowledged {
            0 => None,
            seq => tx.id_at(origin, seq)?,
        };
        Ok(MarkResponse { acknowledged, id })
    }

    /// Takes a batch from `centre` in one transaction.
    ///
    /// Every event must carry the centre's origin, or the whole batch is refused
    /// (`wrong_origin`) and nothing is stored. Then, in seq order: an id the hub has with the
    /// same content is a no-op; with other content it is rejected (`conflicting_event`) and the
    /// stored one stays; a seq taken by another id is rejected (`conflicting_seq`); anything
    /// else is held, and everything held up to the new contiguous mark moves into the log.
    pub fn push(&mut self, centre: &Centre, request: PushRequest) -> Result<PushResponse> {
        let origin = enrolled_origin(centre)?;
        if request.events.len() > MAX_BATCH {
            return Err(Error::BatchTooLarge {
                count: request.events.len(),
                max: MAX_BATCH,
            });
        }
        if let Some((idx, event)) = request
            .events
            .iter()
            .enumerate()
            .find(|(_, e)| e.origin != origin)
        {
            return Err(Error::WrongOrigin {
                field: format!("events[{idx}].origin"),
                found: event.origin,
                expected: origin,
            });
        }
        // What the hub keeps is the wire form, whatever the desk sent: no password hash lands
        // here even from a desk that forgot to withhold it.
        let mut events: Vec<WireEvent> = request.events.into_iter().map(wire_form).collect();
        events.sort_by_key(|e| e.seq);
        let now = self.now();
        let faults = self.faults;
        let mut tx = self.store.begin()?;
        let before = tx.mark(origin)?;
        // With nothing held for this origin, an event that extends the log goes straight into
        // it: the same row `take_held` would move there, without writing and deleting it in
        // `held` first. That is every event of an ordinary in-order push.
        let nothing_held = tx.held_seqs(origin)?.is_empty();
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        let known = tx.known_ids(&ids)?;
        let mut seen = std::collections::HashSet::with_capacity(events.len());
        let mut next = before + 1;
        let mut rejected = Vec::new();
        let mut kept_seqs = Vec::new();
        // The in-order events, appended together after the loop (one statement on PostgreSQL).
        let mut in_order = Vec::new();
        for event in &events {
            if event.seq < 1 || event.kind.trim().is_empty() {
                rejected.push(reject(
                    event,
                    codes::INVALID_EVENT,
                    format!(
                        "事件 {} 不完整（序号须从 1 起，类型不能为空），未保存",
                        event.id
                    ),
                ));
                continue;
            }
            // Only an id the store already had, or one earlier in this batch, is looked up:
            // the rest are new.
            let new = !known.contains(&event.id) && seen.insert(event.id);
            if !(new && nothing_held && event.seq == next) {
                // A lookup in the store follows: what this batch has appended so far must be
                // there first.
                tx.append_all(&in_order)?;
                in_order.clear();
            }
            if !new && let Some(found) = tx.find_event(event.id)? {
                if found.event == *event {
                    if found.held {
                        kept_seqs.push(event.seq);
                    }
                } else {
                    rejected.push(reject(
                        event,
                        codes::CONFLICTING_EVENT,
                        format!(
                            "事件 {}（序号 {}）与县级已收到的同一事件内容不同，未保存；县级保留先收到的版本，请联系系统管理员核查",
                            event.id, event.seq
                        ),
                    ));
                }
                continue;
            }
            let arrival = Arrival {
                event,
                pushed_by: Some(centre.id),
                received_at: &now,
            };
            // The log holds exactly the seqs below `next` of this origin and nothing is held, so no
            // other event can have this seq yet: the seq lookup is skipped too.
            if nothing_held && event.seq == next {
                in_order.push(arrival);
                next += 1;
                continue;
            }
            if let Some(other) = tx.id_at(origin, event.seq)? {
                rejected.push(reject(
                    event,
                    codes::CONFLICTING_SEQ,
                    format!(
                        "序号 {} 在县级已有另一事件（{other}），本事件 {} 未保存，请联系系统管理员核查",
                        event.seq, event.id
                    ),
                ));
                continue;
            }
            tx.hold(&arrival)?;
            kept_seqs.push(event.seq);
        }
        tx.append_all(&in_order)?;
        // Anything else waits in `held`; whatever is now contiguous with the log moves on into
        // it in seq order.
        let appended = next - 1;
        let acknowledged = contiguous_mark(appended, tx.held_seqs(origin)?);
        if acknowledged > appended {
            let held = tx.take_held(origin, acknowledged)?;
            let arrivals: Vec<Arrival<'_>> = held
                .iter()
                .map(|h| Arrival {
                    event: &h.event,
                    pushed_by: h.pushed_by,
                    received_at: &h.received_at,
                })
                .collect();
            tx.append_all(&arrivals)?;
        }
        if acknowledged > before {
            tx.set_mark(origin, acknowledged)?;
        }
        kept_seqs.retain(|seq| *seq > acknowledged);
        kept_seqs.dedup();
        if let Some(delay) = faults.before_commit {
            std::thread::sleep(delay);
        }
        tx.commit()?;
        if let Some(delay) = faults.after_commit {
            std::thread::sleep(delay);
        }
        Ok(PushResponse {
            acknowledged,
            held: kept_seqs,
            rejected,
        })
    }

    /// Events routed to `centre` (or to all centres) after `after`, in cursor order.
    pub fn pull(
        &mut self,
        centre: &Centre,
        after: i64,
        limit: Option<usize>,
    ) -> Result<PullResponse> {
        enrolled_origin(centre)?;
        if after < 0 {
            return Err(bad("after", "游标不能为负数"));
        }
        let limit = page_limit(limit, "拉取")?;
        // Read from one before `after`, so the same query says what is routed at `after`
        // itself: the anchor a centre checks its cursor against (`xinfang_sync::Anchor`).
        let mut events = self
            .store
            .begin()?
            .routed(centre.id, (after - 1).max(0), limit + 2)?;
        let at_after = match events.first() {
            Some(first) if after > 0 && first.cursor == after => Some(events.remove(0).event.id),
            _ => None,
        };
        let more = events.len() > limit;
        events.truncate(limit);
        let next = events.last().map_or(after, |r| r.cursor);
        Ok(PullResponse {
            events,
            next,
            more,
            anchor: Some(Anchor {
                cursor: after,
                id: at_after,
            }),
        })
    }

    /// The hub's copies of `centre`'s own events with seq above `after`, at most `limit`
    /// (default [`DEFAULT_PULL_LIMIT`]), and the id it has at `after` itself. Only the
    /// authenticated centre's origin is ever read: a centre gets back what it pushed, nothing
    /// of anyone else's. Private kinds come as they were stored, without payload.
    pub fn own_events(
        &mut self,
        centre: &Centre,
        after: i64,
        limit: Option<usize>,
    ) -> Result<OwnEventsResponse> {
        let origin = enrolled_origin(centre)?;
        if after < 0 {
            return Err(bad("after", "事件序号不能为负数"));
        }
        let limit = page_limit(limit, "取回")?;
        // From one before `after`, so the same read says which event the hub has at `after`.
        let mut events = self
            .store
            .begin()?
            .own_events(origin, (after - 1).max(0), limit + 2)?;
        let at_after = match events.first() {
            Some(first) if after > 0 && first.seq == after => Some(events.remove(0).id),
            _ => None,
        };
        events.retain(|e| e.seq > after);
        let more = events.len() > limit;
        events.truncate(limit);
        Ok(OwnEventsResponse {
            events,
            more,
            at_after,
        })
    }

    /// The cross-centre person lookup: matters of the person with `id_number` at centres
    /// other than the asking one, from what those centres pushed. Only where, when, which
    /// class and which steps; 检举控告 matters are left out (`xinfang_sync::lookup`).
    pub fn person_matters(
        &mut self,
        centre: &Centre,
        request: PersonMattersRequest,
    ) -> Result<PersonMattersResponse> {
        let asking = enrolled_origin(centre)?;
        let id_number = request.id_number.trim().to_ascii_uppercase();
        if !lookup::plausible_id_number(&id_number) {
            return Err(bad("id_number", "证件号码应为 6～32 位字母或数字"));
        }
        // Scans of the log: a lookup is a person's explicit question at check-in, not a hot
        // path, and the log is the only place the hub keeps centres' data.
        const SCAN: usize = 1_000;
        let mut tx = self.store.begin()?;
        let names: std::collections::HashMap<Uuid, (String, String)> = tx
            .centres()?
            .into_iter()
            .filter_map(|c| c.origin.map(|o| (o, (c.code, c.name))))
            .collect();
        let mut persons: Vec<(Uuid, String)> = Vec::new();
        for kind in ["person.registered", "person.updated"] {
            for event in tx.events_where(kind, None, "id_number", &id_number, SCAN)? {
                let payload = event.payload.value();
                let person = payload.get("person_id").and_then(|v| v.as_str());
                if let Some(person) = person
                    && event.origin != asking
                    && !persons
                        .iter()
                        .any(|(o, p)| *o == event.origin && p == person)
                {
                    persons.push((event.origin, person.to_owned()));
                }
            }
        }
        let mut matters = Vec::new();
        for (origin, person) in &persons {
            for event in tx.events_mentioning(*origin, "matter.registered", person, SCAN)? {
                let payload = event.payload.value();
                let names_person = payload
                    .get("petitioners")
                    .and_then(|p| p.as_array())
                    .is_some_and(|list| {
                        list.iter()
                            .any(|p| p.get("person_id").and_then(|v| v.as_str()) == Some(person))
                    });
                let class = payload
                    .get("matter_class")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let Some(matter_id) = payload.get("matter_id").and_then(|v| v.as_str()) else {
                    continue;
                };
                if !names_person || class == "accusation" {
                    continue;
                }
                let steps = tx
                    .events_where(
                        "matter.step_recorded",
                        Some(*origin),
                        "matter_id",
                        matter_id,
                        SCAN,
                    )?
                    .into_iter()
                    .filter_map(|s| {
                        s.payload
                            .value()
                            .get("kind")
                            .and_then(|k| k.as_str())
                            .map(str::to_owned)
                    })
                    .collect();
                let (centre_code, centre_name) = names.get(origin).cloned().unwrap_or_default();
                matters.push(CentreMatter {
                    centre_code,
                    centre_name,
                    received_at: payload
                        .get("received_at")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned(),
                    matter_class: class.to_owned(),
                    steps,
                });
            }
        }
        drop(tx);
        matters.sort_by(|a, b| b.received_at.cmp(&a.received_at));
        let truncated = matters.len() > lookup::MAX_MATTERS;
        matters.truncate(lookup::MAX_MATTERS);
        Ok(PersonMattersResponse { matters, truncated })
    }

    /// Stores a county event with the hub's own origin and the next hub seq, routed to one
    /// centre or to all, so they can pull it.
    pub fn publish(
        &mut self,
        to: Target,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<Published> {
        let kind = kind.trim();
        if kind.is_empty() {
            return Err(bad("kind", "请填写事件类型（如 county.assignment）"));
        }
        if !is_syncable(kind) {
            return Err(Error::NotSyncable(kind.to_owned()));
        }
        if !payload.is_object() {
            return Err(bad("payload", "事件内容须为 JSON 对象"));
        }
        // A malformed 交办 or 督办 is refused here, to the county administrator who can fix it,
        // rather than at a township desk days later.
        xinfang_sync::county::check(kind, &payload)
            .map_err(|invalid| bad(format!("payload.{}", invalid.field), invalid.message))?;
        let now = self.now();
        let id = self.clock.next_id();
        let mut tx = self.store.begin()?;
        let to = match to {
            Target::All => None,
            Target::Centre(centre_id) => {
                let centre = tx.centre(centre_id)?.ok_or(Error::NotFound {
                    what: "接待中心",
                    id: centre_id.to_string(),
                })?;
                if let Some(at) = centre.revoked_at {
                    return Err(Error::Revoked {
                        code: centre.code,
                        at,
                    });
                }
                Some(centre_id)
            }
        };
        let origin = tx.hub_origin()?;
        let seq = tx.mark(origin)? + 1;
        let county = County {
            origin,
            to,
            now: &now,
        };
        let (cursor, event) = county.append(tx.as_mut(), id, seq, kind, payload)?;
        tx.set_mark(origin, seq)?;
        tx.commit()?;
        Ok(Published { cursor, event, to })
    }

    /// Stores many county events routed to one target in one transaction (a county loading a
    /// backlog, and `xinfang bench sync`); each as [`Hub::publish`] would.
    pub fn publish_batch(
        &mut self,
        to: Target,
        items: Vec<(String, serde_json::Value)>,
    ) -> Result<usize> {
        let now = self.now();
        let mut ids = Vec::with_capacity(items.len());
        for (kind, payload) in &items {
            if kind.trim().is_empty() || !is_syncable(kind.trim()) || !payload.is_object() {
                return Err(bad(
                    "kind",
                    format!("无法发布 {kind}：类型为空、不可同步或内容不是 JSON 对象"),
                ));
            }
            xinfang_sync::county::check(kind.trim(), payload)
                .map_err(|invalid| bad(format!("payload.{}", invalid.field), invalid.message))?;
            ids.push(self.clock.next_id());
        }
        let mut tx = self.store.begin()?;
        let to = match to {
            Target::All => None,
            Target::Centre(id) => Some(
                tx.centre(id)?
                    .filter(|c| c.revoked_at.is_none())
                    .ok_or(Error::NotFound {
                        what: "在用的接待中心",
                        id: id.to_string(),
                    })?
                    .id,
            ),
        };
        let origin = tx.hub_origin()?;
        let mut seq = tx.mark(origin)?;
        let count = items.len();
        let county = County {
            origin,
            to,
            now: &now,
        };
        for ((kind, payload), id) in items.into_iter().zip(ids) {
            seq += 1;
            county.append(tx.as_mut(), id, seq, kind.trim(), payload)?;
        }
        tx.set_mark(origin, seq)?;
        tx.commit()?;
        Ok(count)
    }

    /// Records one request in the log (and as the centre's last contact).
    pub fn log(
        &mut self,
        request: &Request<'_>,
        status: u16,
        outcome: Outcome,
        code: Option<&str>,
        message: Option<String>,
    ) -> Result<()> {
        let entry = LogEntry {
            id: 0,
            at: self.now(),
            centre_id: request.centre_id,
            endpoint: request.endpoint.to_owned(),
            status,
            outcome,
            code: code.map(str::to_owned),
            message,
            remote: request.remote.clone(),
        };
        let mut tx = self.store.begin()?;
        tx.append_log(&entry)?;
        tx.commit()
    }

    /// The newest log lines, of one centre if given.
    pub fn log_entries(&mut self, centre: Option<Uuid>, limit: usize) -> Result<Vec<LogEntry>> {
        self.store.begin()?.log_entries(centre, limit)
    }
}

fn code_expired(centre: &Centre, now: DateTime<chrono::Utc>) -> bool {
    // An unreadable expiry counts as expired: refusing is the safe side.
    parse_utc(&centre.enrol_expires_at).is_none_or(|expires| now >= expires)
}

fn enrolled_origin(centre: &Centre) -> Result<Uuid> {
    centre.origin.ok_or(Error::Unauthenticated)
}

fn reject(event: &WireEvent, code: &str, message: String) -> Rejected {
    Rejected {
        id: event.id,
        seq: event.seq,
        code: code.to_owned(),
        message,
    }
}

/// Where county events of one publication go: the hub's own origin, the target centre (or
/// all), and the time they are stamped with.
struct County<'a> {
    origin: Uuid,
    to: Option<Uuid>,
    now: &'a str,
}

impl County<'_> {
    /// Appends one county event at `seq` and routes it; the caller moves the origin's mark.
    fn append(
        &self,
        tx: &mut dyn Tx,
        id: Uuid,
        seq: i64,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<(i64, WireEvent)> {
        let event = WireEvent {
            id,
            origin: self.origin,
            seq,
            actor: COUNTY_ACTOR.into(),
            at: self.now.to_owned(),
            kind: kind.to_owned(),
            schema_version: 1,
            payload: payload.into(),
        };
        let cursor = tx.append(&Arrival {
            event: &event,
            pushed_by: None,
            received_at: self.now,
        })?;
        tx.route(cursor, self.to, self.now)?;
        Ok((cursor, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{clock::FixedClock, store::tests::Backend};

    struct Fixture {
        hub: Hub,
        clock: FixedClock,
        // After `hub`: the store closes before its file or database goes.
        _backend: Backend,
    }

    /// A hub on SQLite, or on a fresh PostgreSQL database when the run names a server.
    fn fixture() -> Fixture {
        let backend = Backend::from_env();
        let clock = FixedClock::new(parse_utc("2026-11-28T07:30:00.000Z").expect("instant"));
        let store = backend
            .open(|| (Uuid::from_u128(0xC0), "2026-11-28T07:30:00.000Z".into()))
            .expect("store");
        Fixture {
            hub: Hub::new(store, Box::new(clock.clone())),
            clock,
            _backend: backend,
        }
    }

    fn enrolled(hub: &mut Hub, code: &str, origin: u128) -> Centre {
        let added = hub
            .add_centre(code, "某某县信访局来访接待中心")
            .expect("add");
        let (centre, response) = hub
            .enrol(&EnrolRequest {
                code: added.enrolment_code,
                origin: Uuid::from_u128(origin),
                centre_code: code.into(),
                centre_name: "某某县信访局来访接待中心".into(),
                public_key: None,
                credential_hash: None,
            })
            .expect("enrol");
        assert_eq!(
            hub.authenticate(Some(&response.credential)).expect("auth"),
            centre
        );
        centre
    }

    fn event(origin: u128, seq: i64) -> WireEvent {
        WireEvent {
            id: Uuid::from_u128(origin << 32 | seq as u128),
            origin: Uuid::from_u128(origin),
            seq,
            actor: "u1".into(),
            at: "2026-11-28T07:30:00.000Z".into(),
            kind: "matter.registered".into(),
            schema_version: 1,
            payload: serde_json::json!({"seq": seq}).into(),
        }
    }

    fn push(hub: &mut Hub, centre: &Centre, seqs: &[i64]) -> PushResponse {
        let origin = centre.origin.expect("origin").as_u128();
        hub.push(
            centre,
            PushRequest {
                events: seqs.iter().map(|s| event(origin, *s)).collect(),
            },
        )
        .expect("push")
    }

    #[test]
    fn an_enrolment_code_expires_after_72_hours_and_works_once() {
        let mut f = fixture();
        let added = f.hub.add_centre("XF3301", "甲中心").expect("add");
        let request = EnrolRequest {
            code: added.enrolment_code.to_lowercase(),
            origin: Uuid::from_u128(1),
            centre_code: "XF3301".into(),
            centre_name: "甲中心".into(),
            public_key: None,
            credential_hash: None,
        };
        f.clock.advance(chrono::Duration::hours(72));
        let err = f.hub.enrol(&request).expect_err("expired");
        assert_eq!(err.code(), "enrolment_code_expired");
        assert_eq!(
            f.hub.centres().expect("list")[0].state,
            CentreState::CodeExpired
        );

        let added = f.hub.add_centre("XF3302", "乙中心").expect("add");
        let mut request = EnrolRequest {
            code: added.enrolment_code,
            origin: Uuid::from_u128(2),
            centre_code: "XF3399".into(),
            centre_name: "乙中心".into(),
            public_key: None,
            credential_hash: None,
        };
        assert_eq!(
            f.hub.enrol(&request).expect_err("code").code(),
            "centre_code_mismatch"
        );
        request.centre_code = "XF3302".into();
        f.clock.advance(chrono::Duration::hours(71));
        f.hub.enrol(&request).expect("just in time");
        let err = f.hub.enrol(&request).expect_err("replay");
        assert_eq!(err.code(), "enrolment_code_used");
        let bogus = EnrolRequest {
            code: "0000-0000-0000-0000-0000".into(),
            ..request
        };
        assert_eq!(
            f.hub.enrol(&bogus).expect_err("unknown").code(),
            "enrolment_code_unknown"
        );
    }

    #[test]
    fn an_enrolment_whose_answer_was_lost_can_be_sent_again_with_the_centres_own_credential() {
        let mut f = fixture();
        let added = f.hub.add_centre("XF3301", "甲中心").expect("add");
        let own = "xfhub1_chosen-by-the-desk";
        let request = EnrolRequest {
            code: added.enrolment_code,
            origin: Uuid::from_u128(1),
            centre_code: "XF3301".into(),
            centre_name: "甲中心".into(),
            public_key: None,
            credential_hash: Some(secret::hash(own)),
        };
        let (first, answer) = f.hub.enrol(&request).expect("enrol");
        assert_eq!(answer.credential, "", "the desk has its own");
        let (again, _) = f.hub.enrol(&request).expect("the same request again");
        assert_eq!(again.id, first.id, "the same centre, not a second one");
        assert_eq!(f.hub.authenticate(Some(own)).expect("auth").id, first.id);
        let other_desk = EnrolRequest {
            credential_hash: Some(secret::hash("xfhub1_someone-else")),
            ..request.clone()
        };
        assert_eq!(
            f.hub.enrol(&other_desk).expect_err("used").code(),
            "enrolment_code_used",
            "only the holder of the credential may repeat it"
        );
        let other_origin = EnrolRequest {
            origin: Uuid::from_u128(2),
            ..request.clone()
        };
        assert_eq!(
            f.hub.enrol(&other_origin).expect_err("used").code(),
            "enrolment_code_used"
        );
        let bad_hash = EnrolRequest {
            credential_hash: Some("not-hex".into()),
            ..request
        };
        assert_eq!(
            f.hub.enrol(&bad_hash).expect_err("bad").field().as_deref(),
            Some("credential_hash")
        );
    }

    #[test]
    fn an_origin_belongs_to_one_live_centre_and_a_revoked_one_gives_it_up() {
        let mut f = fixture();
        let first = enrolled(&mut f.hub, "XF3301", 1);
        let added = f.hub.add_centre("XF3302", "乙中心").expect("add");
        let mut request = EnrolRequest {
            code: added.enrolment_code,
            origin: Uuid::from_u128(1),
            centre_code: "XF3302".into(),
            centre_name: "乙中心".into(),
            public_key: None,
            credential_hash: None,
        };
        assert_eq!(
            f.hub.enrol(&request).expect_err("taken").code(),
            "origin_taken"
        );
        request.origin = Uuid::from_u128(0xC0);
        assert_eq!(
            f.hub.enrol(&request).expect_err("hub's own").code(),
            "origin_taken"
        );
        assert_eq!(
            f.hub.add_centre("XF3301", "重复").expect_err("code").code(),
            "centre_code_taken"
        );
        f.hub.revoke(first.id).expect("revoke");
        // The same desk, after a lost credential: a new centre entry takes the origin over.
        let again = enrolled(&mut f.hub, "XF3301", 1);
        assert_ne!(again.id, first.id);
    }

    #[test]
    fn push_holds_above_a_gap_and_acknowledges_when_it_fills() {
        let mut f = fixture();
        let centre = enrolled(&mut f.hub, "XF3301", 1);
        let r = push(&mut f.hub, &centre, &[2, 1, 5, 4, 4]);
        assert_eq!(r.acknowledged, 2);
        assert_eq!(r.held, [4, 5]);
        assert!(r.rejected.is_empty());
        let r = push(&mut f.hub, &centre, &[5, 1]);
        assert_eq!((r.acknowledged, r.held.as_slice()), (2, &[5][..]), "dups");
        let r = push(&mut f.hub, &centre, &[3]);
        assert_eq!(r.acknowledged, 5);
        assert!(r.held.is_empty());
        let mark = f.hub.mark(&centre).expect("mark");
        assert_eq!(mark.acknowledged, 5);
        assert_eq!(
            mark.id,
            Some(event(1, 5).id),
            "the event at the mark names itself"
        );
        let status = &f.hub.centres().expect("list")[0];
        assert_eq!((status.acknowledged, status.held), (5, 0));
    }

    #[test]
    fn an_event_twice_in_one_in_order_batch_is_taken_once_and_a_changed_copy_is_rejected() {
        // The batch's new ids skip the per-event lookup; a repeat inside the batch must not.
        let mut f = fixture();
        let centre = enrolled(&mut f.hub, "XF3301", 1);
        let r = push(&mut f.hub, &centre, &[1, 2, 2]);
        assert_eq!((r.acknowledged, r.rejected.len()), (2, 0), "{r:?}");
        let mut changed = event(1, 3);
        changed.payload = serde_json::json!({"seq": 3, "edited": true}).into();
        let r = f
            .hub
            .push(
                &centre,
                PushRequest {
                    events: vec![event(1, 3), changed, event(1, 4)],
                },
            )
            .expect("push");
        assert_eq!(r.acknowledged, 4);
        let codes: Vec<&str> = r.rejected.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["conflicting_event"]);
        let mut tx = f.hub.store.begin().expect("tx");
        let stored = tx.find_event(event(1, 3).id).expect("find").expect("kept");
        assert_eq!(stored.event, event(1, 3), "the first copy is the one kept");
    }

    #[test]
    fn push_rejects_a_changed_event_and_a_taken_seq_but_keeps_the_rest() {
        let mut f = fixture();
        let centre = enrolled(&mut f.hub, "XF3301", 1);
        push(&mut f.hub, &centre, &[1, 2]);
        let mut changed = event(1, 2);
        changed.payload = serde_json::json!({"seq": 2, "edited": true}).into();
        let mut imposter = event(1, 1);
        imposter.id = Uuid::from_u128(99);
        let r = f
            .hub
            .push(
                &centre,
                PushRequest {
                    events: vec![changed, imposter, event(1, 3)],
                },
            )
            .expect("push");
        assert_eq!(r.acknowledged, 3, "the good event still counts");
        let codes: Vec<&str> = r.rejected.iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["conflicting_seq", "conflicting_event"]);
        let mut tx = f.hub.store.begin().expect("tx");
        let stored = tx.find_event(event(1, 2).id).expect("find").expect("kept");
        assert_eq!(stored.event, event(1, 2), "the stored one is unchanged");
        assert!(tx.find_event(Uuid::from_u128(99)).expect("find").is_none());
    }

    #[test]
    fn a_wrong_origin_refuses_the_whole_batch() {
        let mut f = fixture();
        let centre = enrolled(&mut f.hub, "XF3301", 1);
        let err = f
            .hub
            .push(
                &centre,
                PushRequest {
                    events: vec![event(1, 1), event(2, 1)],
                },
            )
            .expect_err("refused");
        assert_eq!(err.code(), "wrong_origin");
        assert_eq!(err.field().as_deref(), Some("events[1].origin"));
        assert_eq!(f.hub.mark(&centre).expect("mark").acknowledged, 0);
        assert!(
            f.hub
                .store
                .begin()
                .expect("tx")
                .find_event(event(1, 1).id)
                .expect("find")
                .is_none()
        );
    }

    #[test]
    fn user_events_are_kept_without_their_payload_and_pass_the_mark() {
        let mut f = fixture();
        let centre = enrolled(&mut f.hub, "XF3301", 1);
        let mut user = event(1, 2);
        user.kind = "user.created".into();
        user.payload = serde_json::json!({"password_hash": "$argon2id$secret"}).into();
        let r = f
            .hub
            .push(
                &centre,
                PushRequest {
                    events: vec![event(1, 1), user.clone(), event(1, 3)],
                },
            )
            .expect("push");
        assert_eq!(r.acknowledged, 3);
        let stored = f
            .hub
            .store
            .begin()
            .expect("tx")
            .find_event(user.id)
            .expect("find");
        assert_eq!(
            stored.expect("kept").event.payload,
            serde_json::Value::Null.into()
        );
        let r = f
            .hub
            .push(&centre, PushRequest { events: vec![user] })
            .expect("again");
        assert!(r.rejected.is_empty(), "the same event again is a no-op");
        assert_eq!(
            f.hub
                .publish(Target::All, "user.created", serde_json::json!({}))
                .expect_err("county cannot publish one")
                .code(),
            "not_syncable"
        );
    }

    #[test]
    fn a_malformed_directive_is_refused_at_publish_and_nothing_is_stored() {
        let mut f = fixture();
        let a = enrolled(&mut f.hub, "XF3301", 1);
        for (kind, payload, field) in [
            (
                "county.assignment",
                serde_json::json!({"from_unit": "某县信访局", "matter": {}}),
                "payload.payload",
            ),
            (
                "county.forward",
                serde_json::json!({"reference": "转〔2026〕1号", "from_unit": "某县信访局",
                    "due_on": "12月20日", "matter": {}}),
                "payload.due_on",
            ),
            (
                "county.reminder",
                serde_json::json!({"reference": "催〔2026〕1号", "from_unit": "某县信访局",
                    "matter_id": Uuid::nil(), "message": " "}),
                "payload.message",
            ),
        ] {
            let err = f
                .hub
                .publish(Target::Centre(a.id), kind, payload.clone())
                .expect_err("malformed");
            assert_eq!(err.code(), "bad_input", "{kind}");
            assert!(err.to_string().contains(field), "{kind}: {err}");
            let err = f
                .hub
                .publish_batch(Target::Centre(a.id), vec![(kind.to_owned(), payload)])
                .expect_err("malformed in a batch too");
            assert_eq!(err.code(), "bad_input", "{kind}");
        }
        assert!(f.hub.pull(&a, 0, None).expect("pull").events.is_empty());
    }

    #[test]
    fn pull_gives_a_centre_its_routes_and_the_common_ones_in_order() {
        let mut f = fixture();
        let a = enrolled(&mut f.hub, "XF3301", 1);
        let b = enrolled(&mut f.hub, "XF3302", 2);
        push(&mut f.hub, &a, &[1, 2]);
        let p1 = f
            .hub
            .publish(
                Target::Centre(a.id),
                "county.notice",
                serde_json::json!({"n": 1}),
            )
            .expect("publish");
        f.hub
            .publish(
                Target::Centre(b.id),
                "county.notice",
                serde_json::json!({"n": 2}),
            )
            .expect("publish");
        let p3 = f
            .hub
            .publish(Target::All, "county.calendar", serde_json::json!({"n": 3}))
            .expect("publish");
        assert_eq!((p1.event.seq, p3.event.seq), (1, 3), "the hub's own seq");
        let pulled = f.hub.pull(&a, 0, Some(1)).expect("pull");
        assert_eq!(pulled.events.len(), 1);
        assert!(pulled.more);
        assert_eq!(pulled.events[0].event, p1.event);
        let rest = f.hub.pull(&a, pulled.next, None).expect("pull");
        let cursors: Vec<i64> = rest.events.iter().map(|r| r.cursor).collect();
        assert_eq!(cursors, [p3.cursor]);
        assert!(!rest.more);
        assert_eq!(
            rest.anchor.and_then(|a| a.id),
            Some(p1.event.id),
            "the anchor names the event at the cursor the pull started after"
        );
        let none = f.hub.pull(&a, rest.next, None).expect("pull");
        assert!(none.events.is_empty());
        assert_eq!(none.next, rest.next);
        assert_eq!(none.anchor.and_then(|a| a.id), Some(p3.event.id));
        let first = f.hub.pull(&a, 0, None).expect("pull");
        assert_eq!(first.anchor.map(|a| (a.cursor, a.id)), Some((0, None)));
        assert_eq!(first.events.len(), 2);
        let between = f.hub.pull(&a, p1.cursor + 1, None).expect("pull");
        assert_eq!(
            between.anchor.and_then(|a| a.id),
            None,
            "nothing routed to this centre sits at that cursor"
        );
        assert_eq!(between.events.len(), 1);
        assert_eq!(
            f.hub.pull(&a, 0, Some(0)).expect_err("limit").code(),
            "bad_input"
        );
    }

    #[test]
    fn revoking_stops_the_credential_at_once() {
        let mut f = fixture();
        let added = f.hub.add_centre("XF3301", "甲中心").expect("add");
        let (centre, response) = f
            .hub
            .enrol(&EnrolRequest {
                code: added.enrolment_code,
                origin: Uuid::from_u128(1),
                centre_code: "XF3301".into(),
                centre_name: "甲中心".into(),
                public_key: None,
                credential_hash: None,
            })
            .expect("enrol");
        f.hub.revoke(centre.id).expect("revoke");
        let first = f.hub.centre(centre.id).expect("centre").revoked_at;
        f.hub.revoke(centre.id).expect("again");
        assert_eq!(f.hub.centre(centre.id).expect("centre").revoked_at, first);
        let err = f
            .hub
            .authenticate(Some(&response.credential))
            .expect_err("revoked");
        assert_eq!(err.code(), "revoked");
        assert_eq!(
            f.hub
                .authenticate(Some("xfhub1_nope"))
                .expect_err("unknown")
                .code(),
            "unauthenticated"
        );
        assert_eq!(
            f.hub.revoke(Uuid::from_u128(5)).expect_err("none").code(),
            "not_found"
        );
    }
}
