//! `Register`: one open register file with its clock, id source and code tables, and the write
//! path every operation goes through (`Register::write` → `Writer::record`).
//!
//! One user action is one transaction: the events and their projection rows commit together or
//! not at all, and `synchronous=FULL` means a committed action survives power loss.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction};
use uuid::Uuid;

use crate::{
    Error, Result, audit,
    clock::{Clock, IdGen},
    db,
    domain::{
        calendar::{Calendar, CalendarDay, CalendarYear},
        codes::CodeTables,
    },
    events::{self, Event, EventBody},
    projection,
};

/// The centre this register belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Centre {
    /// Origin id of every event written here.
    pub origin: Uuid,
    /// Short code used in case numbers (e.g. `XF3301`).
    pub code: String,
    /// Name (登记部门), e.g. 某某县信访局来访接待中心.
    pub name: String,
}

/// An open register.
pub struct Register {
    conn: Connection,
    clock: Box<dyn Clock>,
    ids: Box<dyn IdGen>,
    codes: Arc<CodeTables>,
    calendar: Arc<Calendar>,
    centre: Option<Centre>,
    /// The engine and the letter-font setting it was loaded with.
    letters: Option<(String, Arc<xinfang_letters::Engine>)>,
    letters_dir: Option<PathBuf>,
    printer: Option<Arc<dyn Printer>>,
    /// The audit row of the operation in progress, until a write takes it into its
    /// transaction (see `audit`).
    audit: Option<audit::Entry>,
}

/// Sends a PDF to a printer. The core never spawns processes; adapters inject one (the server's
/// prints through CUPS `lp`).
pub trait Printer: Send + Sync {
    /// Prints `copies` of `pdf` on `printer` (a queue name; empty = the system default).
    fn print(&self, pdf: &[u8], printer: &str, copies: u32) -> std::result::Result<(), String>;
    /// The printers that can be chosen, default first.
    fn printers(&self) -> Vec<String>;
}

/// Which user is acting, as far as the event log is concerned.
pub const SYSTEM_ACTOR: &str = "system";

impl Register {
    /// Opens (creating and migrating if needed) the register at `path`.
    pub fn open(path: &Path, clock: Box<dyn Clock>, ids: Box<dyn IdGen>) -> Result<Register> {
        Register::from_connection(db::open(path)?, clock, ids)
    }

    /// A register in memory, for unit tests.
    pub fn open_in_memory(clock: Box<dyn Clock>, ids: Box<dyn IdGen>) -> Result<Register> {
        let mut conn = Connection::open_in_memory()?;
        db::configure(&conn)?;
        db::migrate(&mut conn)?;
        Register::from_connection(conn, clock, ids)
    }

    /// Wraps an already configured and migrated connection.
    pub fn from_connection(
        mut conn: Connection,
        clock: Box<dyn Clock>,
        ids: Box<dyn IdGen>,
    ) -> Result<Register> {
        // Every write reads first (the next seq, the audit head, a case's state). A deferred
        // transaction that read before another connection's commit cannot upgrade to write
        // and fails at once with "database is locked"; taking the write lock at BEGIN lets the
        // busy timeout wait out a backup's or a tool's row instead of failing a clerk's save.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let mut register = Register {
            conn,
            clock,
            ids,
            codes: Arc::new(CodeTables::bundled()),
            calendar: Arc::new(Calendar::bundled()),
            centre: None,
            letters: None,
            letters_dir: None,
            printer: None,
            audit: None,
        };
        register.centre = register.load_centre()?;
        register.reload_calendar()?;
        Ok(register)
    }

    /// Rebuilds the working-day calendar from the bundled years, the years an administrator
    /// imported (which replace bundled ones of the same number) and the county overlay.
    pub fn reload_calendar(&mut self) -> Result<()> {
        let mut calendar = Calendar::bundled();
        let mut stmt = self
            .conn
            .prepare("SELECT body FROM calendar_years ORDER BY year")?;
        let bodies = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        for body in bodies {
            let year: CalendarYear = serde_json::from_str(&body)?;
            calendar
                .replace_year(year)
                .map_err(|e| Error::Internal(e.message_zh()))?;
        }
        let mut stmt = self
            .conn
            .prepare("SELECT date, kind, name FROM calendar_overlay ORDER BY date")?;
        let overlay = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        let mut days = Vec::with_capacity(overlay.len());
        for (date, kind, name) in overlay {
            days.push(CalendarDay {
                date: chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                    .map_err(|e| Error::Internal(format!("bad overlay date {date}: {e}")))?,
                kind: serde_json::from_value(serde_json::Value::String(kind))?,
                name,
            });
        }
        if !days.is_empty() {
            calendar = calendar
                .with_overlay(days)
                .map_err(|e| Error::Internal(e.message_zh()))?;
        }
        self.calendar = Arc::new(calendar);
        Ok(())
    }

    fn load_centre(&self) -> Result<Option<Centre>> {
        self.conn
            .query_row(
                "SELECT origin, code, name FROM centre WHERE id = 1",
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .map(|(origin, code, name)| -> Result<Centre> {
                Ok(Centre {
                    origin: Uuid::parse_str(&origin)
                        .map_err(|e| Error::Internal(format!("bad origin: {e}")))?,
                    code,
                    name,
                })
            })
            .transpose()
    }

    /// Replaces the code tables (an administrator's folder of JSON files).
    pub fn set_codes(&mut self, codes: CodeTables) {
        self.codes = Arc::new(codes);
    }

    /// The code tables in force.
    pub fn codes(&self) -> &CodeTables {
        &self.codes
    }

    /// Replaces the working-day calendar (imported years, the county overlay). Clocks already
    /// started keep their stored due dates; `clocks_calendar_check` lists those that would move.
    pub fn set_calendar(&mut self, calendar: Calendar) {
        self.calendar = Arc::new(calendar);
    }

    /// The working-day calendar in force.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// Where an administrator's fonts and templates (`fonts/`, `templates/`) live, usually the
    /// data directory. Takes effect at the next document.
    pub fn set_letters_dir(&mut self, dir: Option<PathBuf>) {
        self.letters_dir = dir;
        self.letters = None;
    }

    /// The letter engine, loaded on first use (fonts are read once, about 50 ms) and again when
    /// an administrator chooses another letter font.
    pub fn letters(&mut self) -> Result<Arc<xinfang_letters::Engine>> {
        let font_path = crate::api::Settings::load(&self.conn)?
            .letter_font_path
            .trim()
            .to_owned();
        if let Some((loaded_with, engine)) = &self.letters
            && *loaded_with == font_path
        {
            return Ok(engine.clone());
        }
        let to_error = |e: xinfang_letters::Error| {
            Error::field(e.code(), e.field().unwrap_or("kind"), e.message_zh())
        };
        let dir = self.letters_dir.as_deref();
        let mut fonts = xinfang_letters::FontSet::load(dir).map_err(to_error)?;
        if !font_path.is_empty() {
            let font = xinfang_letters::Font::from_file(Path::new(&font_path), 0).map_err(|e| {
                Error::field(
                    "invalid_font",
                    "letter_font_path",
                    format!("设置中的文书字体无法使用：{}", e.message_zh()),
                )
            })?;
            fonts = fonts.with_letter_font(font);
        }
        let templates =
            xinfang_letters::Templates::load(dir.map(|d| d.join("templates")).as_deref())
                .map_err(to_error)?;
        let engine = Arc::new(xinfang_letters::Engine::new(fonts, templates));
        self.letters = Some((font_path, engine.clone()));
        Ok(engine)
    }

    /// Sets how documents are printed.
    pub fn set_printer(&mut self, printer: Arc<dyn Printer>) {
        self.printer = Some(printer);
    }

    /// The printer, if the adapter gave one.
    pub fn printer(&self) -> Option<Arc<dyn Printer>> {
        self.printer.clone()
    }

    /// The centre, once initialised.
    pub fn centre(&self) -> Result<&Centre> {
        self.centre.as_ref().ok_or(Error::NotInitialised)
    }

    /// Read access to the database.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Now, from the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Creates the centre record; the first event of every register.
    pub fn init_centre(&mut self, code: &str, name: &str) -> Result<Centre> {
        if self.centre.is_some() {
            return Err(Error::Conflict {
                field: "centre".into(),
                message: "登记簿已经初始化过".into(),
            });
        }
        let origin = self.ids.next_id();
        let now = self.clock.now();
        let tx = self.conn.transaction()?;
        let id = self.ids.next_id();
        let event = events::append(
            &tx,
            id,
            origin,
            SYSTEM_ACTOR,
            now,
            EventBody::CentreInitialised {
                code: code.to_owned(),
                name: name.to_owned(),
            },
        )?;
        projection::apply(&tx, &event, true)?;
        tx.commit()?;
        self.centre = self.load_centre()?;
        self.centre().cloned()
    }

    /// Runs one user action as one transaction, recording events as `actor`.
    pub fn write<T>(
        &mut self,
        actor: &str,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        self.run(actor, true, f)
    }

    /// Like `write`, but leaves the search index alone; for bulk loads, which call
    /// `search::reindex` once at the end.
    pub fn write_unindexed<T>(
        &mut self,
        actor: &str,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        self.run(actor, false, f)
    }

    fn run<T>(
        &mut self,
        actor: &str,
        index_search: bool,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
    ) -> Result<T> {
        let centre = self.centre.clone().ok_or(Error::NotInitialised)?;
        let now = self.clock.now();
        let tx = self.conn.transaction()?;
        let mut writer = Writer {
            tx,
            ids: self.ids.as_mut(),
            codes: self.codes.clone(),
            calendar: self.calendar.clone(),
            centre,
            actor: actor.to_owned(),
            now,
            index_search,
            recorded: Vec::new(),
            recorded_object: None,
            want_object: self.audit.as_ref().is_some_and(|e| e.object.is_empty()),
        };
        let out = f(&mut writer)?;
        // The first write of an audited operation carries its row: the change and the record
        // of it commit together. A write that recorded no event is not a change to audit.
        if !writer.recorded.is_empty()
            && let Some(mut entry) = self.audit.take()
        {
            let first = writer.recorded[0].0;
            let last = writer.recorded[writer.recorded.len() - 1].0;
            let mut kinds: Vec<&str> = writer.recorded.iter().map(|r| r.1).collect();
            kinds.dedup();
            entry.detail = format!("事件 {first}–{last}：{}", kinds.join("、"));
            if entry.object.is_empty() {
                entry.object = writer
                    .recorded_object
                    .take()
                    .map(|o| o.1)
                    .unwrap_or_default();
            }
            audit::record(&writer.tx, now, &entry)?;
        }
        writer.tx.commit()?;
        Ok(out)
    }

    /// Hands the audit row of the operation about to run to the write path.
    pub fn set_pending_audit(&mut self, entry: Option<audit::Entry>) {
        self.audit = entry;
    }

    /// The audit row no write has taken (the operation wrote nothing, or failed).
    pub fn take_pending_audit(&mut self) -> Option<audit::Entry> {
        self.audit.take()
    }

    /// The desk the operation in progress was called from (empty outside `ops::call`).
    pub fn caller_desk(&self) -> &str {
        self.audit.as_ref().map_or("", |e| e.desk.as_str())
    }

    /// A fresh id (for things that are not events, like session tokens).
    pub fn next_id(&mut self) -> Uuid {
        self.ids.next_id()
    }

    /// Checkpoints the WAL into the main file; called on clean shutdown.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}

/// The open transaction of one user action.
pub struct Writer<'a> {
    tx: Transaction<'a>,
    ids: &'a mut dyn IdGen,
    codes: Arc<CodeTables>,
    calendar: Arc<Calendar>,
    centre: Centre,
    actor: String,
    now: DateTime<Utc>,
    index_search: bool,
    /// `(seq, kind)` of each event recorded so far, for the audit row.
    recorded: Vec<(i64, &'static str)>,
    /// The most specific object the events name (rank, id), for an audit row whose input
    /// named none.
    recorded_object: Option<(usize, String)>,
    want_object: bool,
}

impl Writer<'_> {
    /// Appends an event and applies it to the projections.
    pub fn record(&mut self, body: EventBody) -> Result<Event> {
        let id = self.ids.next_id();
        let event = events::append(
            &self.tx,
            id,
            self.centre.origin,
            &self.actor,
            self.now,
            body,
        )?;
        projection::apply(&self.tx, &event, self.index_search)?;
        if self.want_object {
            let payload = serde_json::to_value(&event.body)?;
            let found = payload.get("payload").and_then(audit::ranked_object_of);
            if let Some(found) = found
                && self
                    .recorded_object
                    .as_ref()
                    .is_none_or(|best| found.0 < best.0)
            {
                self.recorded_object = Some(found);
            }
        }
        self.recorded.push((event.seq, event.body.kind()));
        Ok(event)
    }

    /// The transaction, for reads that must see this action's own writes.
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    /// A fresh id.
    pub fn next_id(&mut self) -> Uuid {
        self.ids.next_id()
    }

    /// The time of this action.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The acting user id.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The centre.
    pub fn centre(&self) -> &Centre {
        &self.centre
    }

    /// Code tables in force.
    pub fn codes(&self) -> &CodeTables {
        &self.codes
    }

    /// The working-day calendar in force.
    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The next local case number for the year of `received`: `<centre>-<yyyy>-<seq:06>`.
    /// Unique without any network because only this register writes numbers with its code.
    pub fn next_case_number(&self, year: i32) -> Result<String> {
        let last: i64 = self
            .tx
            .prepare_cached(
                "SELECT coalesce((SELECT last FROM case_counters
                   WHERE centre_code = ?1 AND year = ?2), 0)",
            )?
            .query_row(rusqlite::params![self.centre.code, year], |r| r.get(0))?;
        Ok(format_case_number(&self.centre.code, year, last + 1))
    }
}

/// `XF3301-2026-000042`.
pub fn format_case_number(centre: &str, year: i32, seq: i64) -> String {
    format!("{centre}-{year}-{seq:06}")
}

/// Splits a case number into centre code, year and sequence.
pub fn parse_case_number(number: &str) -> Option<(String, i32, i64)> {
    let mut parts = number.rsplitn(3, '-');
    let seq = parts.next()?.parse().ok()?;
    let year = parts.next()?.parse().ok()?;
    let centre = parts.next()?;
    (!centre.is_empty()).then(|| (centre.to_owned(), year, seq))
}
