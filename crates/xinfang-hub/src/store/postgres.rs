//! The PostgreSQL store (`xinfang-hub … --database postgres://user@host/db`): the same tables
//! and the same answers as `store::sqlite`, for a county that keeps the hub in a database
//! server it already runs and backs up.
//!
//! Migrations are the numbered files in `schemas/hub/postgres/`, one for each SQLite migration
//! of the same name. Each is applied in a transaction of its own and recorded in
//! `hub_migrations`; a database a newer hub migrated is refused before anything is written.
//!
//! Why the synchronous `postgres` client: the HTTP adapter already runs every store call on
//! tokio's blocking threads (`spawn_blocking` in `http::run`, one request at a time behind the
//! hub's mutex) and the admin commands run with no runtime at all. The client drives its
//! connection on a small runtime of its own, which is fine on those threads but panics on a
//! thread that is driving the server's runtime. Only two things of the store happen there, at
//! shutdown: `checkpoint`, which does not touch the connection, and the drop of the last
//! `Hub`, which [`PgStore`]'s `Drop` moves to a thread of its own. `tokio-postgres` would need
//! the same bridge from the synchronous `Store` trait, written by hand.
//!
//! TLS: a URL with `sslmode=verify-full&sslrootcert=FILE` (libpq's words, so a county's
//! database administrator writes what they already know) connects over rustls, checking the
//! server's certificate chain against the authority in FILE and its name against the URL's
//! host. The client does not understand `sslrootcert` or the `verify-*` modes, so
//! [`parse_config`] takes them out of the URL first. There is no unchecked encryption: a
//! `require` or `verify-*` without `sslrootcert` is refused rather than taken as libpq's
//! "encrypt but trust whoever answers", and with `sslrootcert` the connection never falls back
//! to plain text. Without either the connection is plain, as before: right for a Unix socket
//! on the same machine. The test command's cluster takes TLS only, on a loopback port.
//!
//! The write lock: every transaction takes a transaction-level advisory lock before anything
//! else, as SQLite's `BEGIN IMMEDIATE` takes the write lock, so two writers (`serve` and an
//! admin command, or two hub processes on one database) queue instead of interleaving. Under
//! it, in READ COMMITTED, every statement sees all that was committed before, and the numbers
//! the hub hands out — `events.cursor`, `request_log.id` — are max + 1 in the transaction:
//! gap-free and increasing in commit order, like SQLite's rowids. A sequence would not do: it
//! leaves a hole at every rolled-back push.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use postgres::{
    Client, Config, IsolationLevel, NoTls, Row, Statement, Transaction,
    config::{Host, SslMode},
    types::ToSql,
};
use tokio_postgres_rustls::MakeRustlsConnect;
use uuid::Uuid;
use xinfang_sync::{Routed, WireEvent};

use super::{
    Arrival, Centre, CentreKeys, Found, HeldEvent, LogEntry, NewCentre, Outcome, Store, Tx,
};
use crate::{Error, Result};

/// Every PostgreSQL hub migration, in order, named as the SQLite migration it mirrors.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../../schemas/hub/postgres/0001_init.sql"),
    ),
    (
        "0002_bundle_keys",
        include_str!("../../../../schemas/hub/postgres/0002_bundle_keys.sql"),
    ),
];

/// The advisory lock every hub transaction takes first ("xfhub" in ASCII). Advisory locks
/// belong to one database, so hubs on other databases of the same server do not wait.
const WRITE_LOCK: i64 = 0x78_6668_7562;

/// How long a transaction waits for the write lock before it fails, as SQLite's busy timeout.
const LOCK_WAIT: &str = "10s";

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// The PostgreSQL store: one connection, reopened when the server dropped it.
pub struct PgStore {
    endpoint: Endpoint,
    client: Option<Client>,
    /// Statements prepared on `client`, by their SQL (a push runs the same few per event).
    statements: HashMap<String, Statement>,
}

fn bad_url(err: impl std::fmt::Display) -> Error {
    Error::BadInput {
        field: "database".into(),
        message: format!("无法识别数据库地址（应为 postgres://用户@主机[:端口]/数据库）：{err}"),
    }
}

/// Where the store connects and how: the server's address and, for a URL with
/// `sslrootcert`, the TLS connector that checks its certificate.
struct Endpoint {
    config: Config,
    tls: Option<MakeRustlsConnect>,
}

impl Endpoint {
    fn connect(&self) -> std::result::Result<Client, postgres::Error> {
        match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
    }
}

/// Parses a connection string: a `postgres://` URL or libpq `key=value` pairs; the TLS
/// parameters only in the URL form.
fn parse_config(url: &str) -> Result<Endpoint> {
    let (url, root_cert) = take_tls_parameters(url)?;
    let mut config: Config = url.parse().map_err(bad_url)?;
    // A wrong host should fail the command, not hang it.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    let tls = match root_cert {
        Some(path) => {
            let client = xinfang_tls::ca_client_config(&path).map_err(|e| Error::BadInput {
                field: "database".into(),
                message: format!("sslrootcert 指定的签发机构证书不可用：{e}"),
            })?;
            // Never plain text once a certificate authority is named.
            config.ssl_mode(SslMode::Require);
            Some(MakeRustlsConnect::new(client))
        }
        None => None,
    };
    Ok(Endpoint { config, tls })
}

/// Takes `sslrootcert` and the `verify-ca` / `verify-full` modes out of a URL's query, which
/// the client would refuse, and returns the rest with the authority file. Both verify modes
/// check the host name too: rustls has no chain-only check, and a county's database
/// certificate names its host.
fn take_tls_parameters(url: &str) -> Result<(String, Option<PathBuf>)> {
    let Some((target, query)) = url.split_once('?') else {
        if !url.contains("://") && url.contains("sslrootcert") {
            return Err(bad_url(
                "sslrootcert 请写在 postgres://…?sslrootcert= 形式的地址中",
            ));
        }
        return Ok((url.to_owned(), None));
    };
    let mut kept = Vec::new();
    let mut root_cert = None;
    let mut mode = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslrootcert" => root_cert = Some(PathBuf::from(percent_decoded(value)?)),
            "sslmode" => {
                mode = Some(value.to_owned());
                if !value.starts_with("verify-") {
                    kept.push(pair);
                }
            }
            _ => kept.push(pair),
        }
    }
    match (mode.as_deref(), &root_cert) {
        (Some("disable"), Some(_)) => {
            return Err(bad_url("sslmode=disable 与 sslrootcert 不能同时使用"));
        }
        (Some(m @ ("require" | "verify-ca" | "verify-full")), None) => {
            return Err(Error::BadInput {
                field: "database".into(),
                message: format!(
                    "sslmode={m} 须同时以 sslrootcert=文件 指定数据库服务器证书的签发机构（CA）证书：县级枢纽不使用未校验服务器证书的加密连接"
                ),
            });
        }
        (Some(m), _) if m.starts_with("verify-") && !matches!(m, "verify-ca" | "verify-full") => {
            return Err(bad_url(format!("sslmode={m} 不是可用的取值")));
        }
        _ => {}
    }
    let url = if kept.is_empty() {
        target.to_owned()
    } else {
        format!("{target}?{}", kept.join("&"))
    };
    Ok((url, root_cert))
}

/// `%XX` escapes decoded, for a file path given in a URL.
fn percent_decoded(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        if bytes[idx] == b'%' {
            let hex = text
                .get(idx + 1..idx + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| bad_url(format!("地址中的转义 {} 无效", &text[idx..])))?;
            out.push(hex);
            idx += 3;
        } else {
            out.push(bytes[idx]);
            idx += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad_url("sslrootcert 的路径不是 UTF-8"))
}

/// What went wrong, with the server's own words: the client's `Display` alone says only
/// "db error" or "error connecting to server".
pub(crate) fn detail(err: &postgres::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A connection failure as the error the desk and the administrator see.
fn unavailable(err: &postgres::Error) -> Error {
    Error::StoreUnavailable(detail(err))
}

fn connect(endpoint: &Endpoint) -> Result<Client> {
    let mut client = endpoint.connect().map_err(|e| unavailable(&e))?;
    // `synchronous_commit` on, whatever the server's default: an acknowledged push must survive
    // a power cut, as `synchronous=FULL` makes it on SQLite.
    client.batch_execute(&format!(
        "SET synchronous_commit TO on; SET lock_timeout TO '{LOCK_WAIT}'"
    ))?;
    let encoding: String = client.query_one("SHOW server_encoding", &[])?.get(0);
    if encoding != "UTF8" {
        return Err(Error::StoreUnavailable(format!(
            "数据库编码为 {encoding}，须为 UTF8（CREATE DATABASE … ENCODING 'UTF8'）"
        )));
    }
    Ok(client)
}

/// Starts a transaction and takes the write lock, in one round trip. READ COMMITTED even where
/// the server's default is stricter: a snapshot taken before the lock was granted would miss
/// the commit of the writer it waited for.
fn begin_locked() -> String {
    format!("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({WRITE_LOCK})")
}

/// Whether the connection is gone (closed, or the server ended the session: a restart, an
/// administrator), so a new one may be tried.
fn connection_lost(err: &postgres::Error) -> bool {
    err.is_closed()
        || err.code().is_some_and(|state| {
            let code = state.code();
            code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
        })
}

/// An error at `begin`: the store is unavailable when the connection is gone or the write lock
/// did not come within `LOCK_WAIT`; anything else is a fault.
fn at_begin(err: postgres::Error) -> Error {
    if connection_lost(&err) || err.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
        unavailable(&err)
    } else {
        err.into()
    }
}

/// Starts a transaction holding the write lock, for opening and migrating.
fn locked(client: &mut Client) -> Result<Transaction<'_>> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .map_err(at_begin)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .map_err(at_begin)?;
    Ok(tx)
}

/// Brings the database to the latest schema, one migration per transaction, or refuses one a
/// newer hub wrote.
fn migrate(client: &mut Client) -> Result<()> {
    let supported = MIGRATIONS.len() as u32;
    loop {
        let mut tx = locked(client)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS hub_migrations ( \
                 version    INTEGER PRIMARY KEY CHECK (version >= 1), \
                 name       TEXT NOT NULL, \
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )?;
        let found: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM hub_migrations", &[])?
            .get(0);
        let found = u32::try_from(found).unwrap_or(0);
        if found > supported {
            return Err(Error::SchemaTooNew { found, supported });
        }
        let Some((name, sql)) = MIGRATIONS.get(found as usize) else {
            tx.commit()?;
            return Ok(());
        };
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO hub_migrations (version, name) VALUES ($1, $2)",
            &[&(found as i32 + 1), name],
        )?;
        tx.commit()?;
    }
}

impl PgStore {
    /// Connects to the database `url` names (creating and migrating the hub's tables if
    /// needed). `new_origin` is called once, when the database has no hub yet, for the hub's
    /// own origin.
    pub fn open(url: &str, new_origin: impl FnOnce() -> (Uuid, String)) -> Result<PgStore> {
        let endpoint = parse_config(url)?;
        let mut client = connect(&endpoint)?;
        migrate(&mut client)?;
        {
            let mut tx = locked(&mut client)?;
            if tx.query_opt("SELECT origin FROM hub", &[])?.is_none() {
                let (origin, at) = new_origin();
                tx.execute(
                    "INSERT INTO hub (singleton, origin, created_at) VALUES (1, $1, $2)",
                    &[&origin, &at],
                )?;
            }
            tx.commit()?;
        }
        Ok(PgStore {
            endpoint,
            client: Some(client),
            statements: HashMap::new(),
        })
    }

    /// A session setting of the store's connection, for tests.
    #[cfg(test)]
    pub(crate) fn setting(&mut self, name: &str) -> String {
        let client = self.client.as_mut().expect("connected");
        client
            .query_one(&format!("SHOW {name}"), &[])
            .expect("SHOW")
            .get(0)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing the client blocks on its own runtime, which panics on a thread that drives
        // tokio (where `serve` drops the last `Hub`): close it on a thread of its own there.
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

impl Store for PgStore {
    fn begin(&mut self) -> Result<Box<dyn Tx + '_>> {
        // A connection the server dropped (a restart) is replaced, once, before any work is
        // done in it; nothing can have been half-done, so retrying is safe.
        let mut retried = false;
        loop {
            if self.client.as_ref().is_none_or(Client::is_closed) {
                self.client = None;
                self.statements.clear();
                self.client = Some(connect(&self.endpoint)?);
            }
            let client = self.client.as_mut().expect("connected above");
            match client.batch_execute(&begin_locked()) {
                Ok(()) => break,
                Err(err) if connection_lost(&err) && !retried => {
                    retried = true;
                    self.client = None;
                }
                Err(err) => return Err(at_begin(err)),
            }
        }
        let PgStore {
            client, statements, ..
        } = self;
        Ok(Box::new(PgTx {
            client: client.as_mut().expect("connected above"),
            statements,
            open: true,
            failed: false,
        }))
    }

    fn checkpoint(&mut self) -> Result<()> {
        // Nothing to flush: every commit is already in PostgreSQL's own log on disk
        // (`synchronous_commit`), and the server checkpoints by itself.
        Ok(())
    }

    fn describe(&self) -> String {
        let config = &self.endpoint.config;
        let ports = config.get_ports();
        let hosts: Vec<String> = config
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(idx, host)| {
                let name = match host {
                    Host::Tcp(name) => name.clone(),
                    Host::Unix(path) => path.display().to_string(),
                };
                match ports.get(idx).or(ports.first()) {
                    Some(port) => format!("{name}:{port}"),
                    None => name,
                }
            })
            .collect();
        // Never the password.
        format!(
            "PostgreSQL {}@{}/{}{}",
            config.get_user().unwrap_or(""),
            hosts.join(","),
            config.get_dbname().unwrap_or(""),
            if self.endpoint.tls.is_some() {
                " (TLS)"
            } else {
                ""
            }
        )
    }
}

/// A transaction `begin` opened on the connection: committed by `commit`, rolled back on drop.
/// (Not `postgres::Transaction`, whose borrow of the client would keep `begin` from replacing a
/// lost connection and retrying.)
struct PgTx<'a> {
    client: &'a mut Client,
    statements: &'a mut HashMap<String, Statement>,
    /// Still to be committed or rolled back.
    open: bool,
    /// A statement failed: PostgreSQL has aborted the transaction, and `COMMIT` would quietly
    /// roll it back, so `commit` refuses instead.
    failed: bool,
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A connection that is gone has rolled back already.
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

const CENTRE_COLUMNS: &str = "id, code, name, created_at, enrol_expires_at, enrolled_at, origin, \
                              revoked_at, last_contact";

fn centre_row(row: &Row) -> Result<Centre> {
    Ok(Centre {
        id: row.try_get(0)?,
        code: row.try_get(1)?,
        name: row.try_get(2)?,
        created_at: row.try_get(3)?,
        enrol_expires_at: row.try_get(4)?,
        enrolled_at: row.try_get(5)?,
        origin: row.try_get(6)?,
        revoked_at: row.try_get(7)?,
        last_contact: row.try_get(8)?,
    })
}

/// Columns of `events` and `held` that make up a `WireEvent`, in `event_row` order. The
/// payload comes back as the text it was stored as.
const EVENT_COLUMNS: &str = "id, origin, seq, actor, at, kind, schema_version, payload::text";

/// The insert of an arrival into `held` (`$1`…`$10`); `events` adds the cursor in front.
const ARRIVAL_COLUMNS: &str =
    "id, origin, seq, actor, at, kind, schema_version, payload, received_at, pushed_by";
const ARRIVAL_VALUES: &str = "$1, $2, $3, $4, $5, $6, $7, $8::text::json, $9, $10";

/// The values of [`ARRIVAL_VALUES`], in its order (`held` and `events` take the same).
fn arrival_params<'a>(
    arrival: &'a Arrival<'_>,
    payload: &'a &'a str,
    version: &'a i64,
) -> [&'a (dyn ToSql + Sync); 10] {
    let e = arrival.event;
    [
        &e.id,
        &e.origin,
        &e.seq,
        &e.actor,
        &e.at,
        &e.kind,
        version,
        payload,
        &arrival.received_at,
        &arrival.pushed_by,
    ]
}

fn event_row(row: &Row, base: usize) -> Result<WireEvent> {
    let schema_version: i64 = row.try_get(base + 6)?;
    let payload: String = row.try_get(base + 7)?;
    Ok(WireEvent {
        id: row.try_get(base)?,
        origin: row.try_get(base + 1)?,
        seq: row.try_get(base + 2)?,
        actor: row.try_get(base + 3)?,
        at: row.try_get(base + 4)?,
        kind: row.try_get(base + 5)?,
        schema_version: u32::try_from(schema_version)
            .map_err(|_| Error::Internal(format!("schema_version {schema_version} stored")))?,
        payload: xinfang_sync::Payload::from_text(payload)?,
    })
}

const LOG_COLUMNS: &str = "id, at, centre_id, endpoint, status, outcome, code, message, remote";

fn log_row(row: &Row) -> Result<LogEntry> {
    let status: i32 = row.try_get(4)?;
    let outcome: String = row.try_get(5)?;
    Ok(LogEntry {
        id: row.try_get(0)?,
        at: row.try_get(1)?,
        centre_id: row.try_get(2)?,
        endpoint: row.try_get(3)?,
        status: u16::try_from(status)
            .map_err(|_| Error::Internal(format!("HTTP status {status} stored")))?,
        outcome: Outcome::parse(&outcome),
        code: row.try_get(6)?,
        message: row.try_get(7)?,
        remote: row.try_get(8)?,
    })
}

fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl PgTx<'_> {
    /// Notes a failed statement (see `failed`).
    fn checked<T>(&mut self, result: std::result::Result<T, postgres::Error>) -> Result<T> {
        result.map_err(|err| {
            self.failed = true;
            err.into()
        })
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let prepared = self.client.prepare(sql);
        let statement = self.checked(prepared)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let rows = self.client.query(&statement, params);
        self.checked(rows)
    }

    fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        let statement = self.statement(sql)?;
        let row = self.client.query_opt(&statement, params);
        self.checked(row)
    }

    fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row> {
        let statement = self.statement(sql)?;
        let row = self.client.query_one(&statement, params);
        self.checked(row)
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64> {
        let statement = self.statement(sql)?;
        let changed = self.client.execute(&statement, params);
        self.checked(changed)
    }

    fn one_centre(
        &mut self,
        condition: &str,
        value: &(dyn ToSql + Sync),
    ) -> Result<Option<Centre>> {
        let sql = format!("SELECT {CENTRE_COLUMNS} FROM centres WHERE {condition}");
        self.query_opt(&sql, &[value])?
            .as_ref()
            .map(centre_row)
            .transpose()
    }
}

impl Tx for PgTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        if self.failed {
            // Dropped: rolled back.
            return Err(Error::Internal(
                "a statement of this transaction failed; nothing was committed".into(),
            ));
        }
        self.open = false;
        self.client.batch_execute("COMMIT")?;
        Ok(())
    }

    fn hub_origin(&mut self) -> Result<Uuid> {
        Ok(self.query_one("SELECT origin FROM hub", &[])?.try_get(0)?)
    }

    fn insert_centre(&mut self, c: &NewCentre) -> Result<()> {
        self.execute(
            "INSERT INTO centres (id, code, name, created_at, enrol_code_hash, enrol_expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &c.id,
                &c.code,
                &c.name,
                &c.created_at,
                &c.enrol_code_hash,
                &c.enrol_expires_at,
            ],
        )?;
        Ok(())
    }

    fn centre(&mut self, id: Uuid) -> Result<Option<Centre>> {
        self.one_centre("id = $1", &id)
    }

    fn centre_by_credential(&mut self, hash: &str) -> Result<Option<Centre>> {
        self.one_centre("credential_hash = $1", &hash)
    }

    fn centre_by_enrol_code(&mut self, hash: &str) -> Result<Option<Centre>> {
        self.one_centre("enrol_code_hash = $1", &hash)
    }

    fn live_centre_with_code(&mut self, code: &str) -> Result<Option<Centre>> {
        self.one_centre("code = $1 AND revoked_at IS NULL", &code)
    }

    fn live_centre_with_origin(&mut self, origin: Uuid) -> Result<Option<Centre>> {
        self.one_centre("origin = $1 AND revoked_at IS NULL", &origin)
    }

    fn centres(&mut self) -> Result<Vec<Centre>> {
        let sql = format!("SELECT {CENTRE_COLUMNS} FROM centres ORDER BY created_at, id");
        self.query(&sql, &[])?.iter().map(centre_row).collect()
    }

    fn set_enrolled(
        &mut self,
        id: Uuid,
        origin: Uuid,
        credential_hash: &str,
        at: &str,
    ) -> Result<()> {
        let changed = self.execute(
            "UPDATE centres SET enrolled_at = $2, origin = $3, credential_hash = $4 \
             WHERE id = $1 AND enrolled_at IS NULL",
            &[&id, &at, &origin, &credential_hash],
        )?;
        if changed != 1 {
            return Err(Error::Internal(format!("centre {id} was enrolled twice")));
        }
        Ok(())
    }

    fn set_revoked(&mut self, id: Uuid, at: &str) -> Result<()> {
        self.execute(
            "UPDATE centres SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &at],
        )?;
        Ok(())
    }

    fn find_event(&mut self, id: Uuid) -> Result<Option<Found>> {
        // One round trip for both tables; the log wins, as in the SQLite store.
        let sql = format!(
            "SELECT {EVENT_COLUMNS}, false AS held FROM events WHERE id = $1 \
             UNION ALL SELECT {EVENT_COLUMNS}, true FROM held WHERE id = $1 \
             ORDER BY held LIMIT 1"
        );
        let Some(row) = self.query_opt(&sql, &[&id])? else {
            return Ok(None);
        };
        Ok(Some(Found {
            event: event_row(&row, 0)?,
            held: row.try_get(8)?,
        }))
    }

    fn known_ids(&mut self, ids: &[Uuid]) -> Result<std::collections::HashSet<Uuid>> {
        // One round trip for the whole batch instead of one per event.
        self.query(
            "SELECT id FROM events WHERE id = ANY($1) UNION ALL SELECT id FROM held WHERE id = ANY($1)",
            &[&ids],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn id_at(&mut self, origin: Uuid, seq: i64) -> Result<Option<Uuid>> {
        let row = self.query_opt(
            "SELECT id, 0 AS place FROM events WHERE origin = $1 AND seq = $2 \
             UNION ALL SELECT id, 1 FROM held WHERE origin = $1 AND seq = $2 \
             ORDER BY place LIMIT 1",
            &[&origin, &seq],
        )?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    fn hold(&mut self, arrival: &Arrival<'_>) -> Result<()> {
        let payload = arrival.event.payload.as_str();
        let version = i64::from(arrival.event.schema_version);
        let sql = format!("INSERT INTO held ({ARRIVAL_COLUMNS}) VALUES ({ARRIVAL_VALUES})");
        self.execute(&sql, &arrival_params(arrival, &payload, &version))?;
        Ok(())
    }

    fn held_seqs(&mut self, origin: Uuid) -> Result<Vec<i64>> {
        self.query(
            "SELECT seq FROM held WHERE origin = $1 ORDER BY seq",
            &[&origin],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn take_held(&mut self, origin: Uuid, through: i64) -> Result<Vec<HeldEvent>> {
        let sql = format!(
            "DELETE FROM held WHERE origin = $1 AND seq <= $2 \
             RETURNING {EVENT_COLUMNS}, pushed_by, received_at"
        );
        let mut taken = self
            .query(&sql, &[&origin, &through])?
            .iter()
            .map(|r| {
                Ok(HeldEvent {
                    event: event_row(r, 0)?,
                    pushed_by: r.try_get(8)?,
                    received_at: r.try_get(9)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // RETURNING promises no order.
        taken.sort_by_key(|h| h.event.seq);
        Ok(taken)
    }

    fn append(&mut self, arrival: &Arrival<'_>) -> Result<i64> {
        let payload = arrival.event.payload.as_str();
        let version = i64::from(arrival.event.schema_version);
        // max + 1 under the write lock: the next cursor, with no gap (see the module comment).
        let sql = format!(
            "INSERT INTO events (cursor, {ARRIVAL_COLUMNS}) \
             VALUES ((SELECT coalesce(max(cursor), 0) + 1 FROM events), {ARRIVAL_VALUES}) \
             RETURNING cursor"
        );
        let row = self.query_one(&sql, &arrival_params(arrival, &payload, &version))?;
        Ok(row.try_get(0)?)
    }

    fn append_all(&mut self, arrivals: &[Arrival<'_>]) -> Result<()> {
        if arrivals.is_empty() {
            return Ok(());
        }
        // One statement for the batch: one INSERT per event was one round trip each, and a
        // push of 100 000 events spent most of its time waiting on them. Each column goes as
        // an array; the cursors are max + 1, max + 2, … in the given order, under the write
        // lock as in `append`.
        let mut ids = Vec::with_capacity(arrivals.len());
        let mut origins = Vec::with_capacity(arrivals.len());
        let mut seqs = Vec::with_capacity(arrivals.len());
        let mut actors = Vec::with_capacity(arrivals.len());
        let mut ats = Vec::with_capacity(arrivals.len());
        let mut kinds = Vec::with_capacity(arrivals.len());
        let mut versions = Vec::with_capacity(arrivals.len());
        let mut payloads = Vec::with_capacity(arrivals.len());
        let mut received = Vec::with_capacity(arrivals.len());
        let mut pushed_by = Vec::with_capacity(arrivals.len());
        for arrival in arrivals {
            let e = arrival.event;
            ids.push(e.id);
            origins.push(e.origin);
            seqs.push(e.seq);
            actors.push(e.actor.as_str());
            ats.push(e.at.as_str());
            kinds.push(e.kind.as_str());
            versions.push(i64::from(e.schema_version));
            payloads.push(e.payload.as_str());
            received.push(arrival.received_at);
            pushed_by.push(arrival.pushed_by);
        }
        let inserted = self.execute(
            "INSERT INTO events (cursor, id, origin, seq, actor, at, kind, schema_version, \
                                 payload, received_at, pushed_by) \
             SELECT base.max + t.n, t.id, t.origin, t.seq, t.actor, t.at, t.kind, t.version, \
                    t.payload::json, t.received_at, t.pushed_by \
             FROM (SELECT coalesce(max(cursor), 0) AS max FROM events) AS base, \
                  unnest($1::uuid[], $2::uuid[], $3::int8[], $4::text[], $5::text[], \
                         $6::text[], $7::int8[], $8::text[], $9::text[], $10::uuid[]) \
                  WITH ORDINALITY AS t(id, origin, seq, actor, at, kind, version, payload, \
                                       received_at, pushed_by, n) \
             ORDER BY t.n",
            &[
                &ids, &origins, &seqs, &actors, &ats, &kinds, &versions, &payloads, &received,
                &pushed_by,
            ],
        )?;
        debug_assert_eq!(inserted as usize, arrivals.len());
        Ok(())
    }

    fn mark(&mut self, origin: Uuid) -> Result<i64> {
        let row = self.query_opt(
            "SELECT acknowledged FROM marks WHERE origin = $1",
            &[&origin],
        )?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }

    fn set_mark(&mut self, origin: Uuid, mark: i64) -> Result<()> {
        self.execute(
            "INSERT INTO marks (origin, acknowledged) VALUES ($1, $2) \
             ON CONFLICT (origin) DO UPDATE SET acknowledged = excluded.acknowledged",
            &[&origin, &mark],
        )?;
        Ok(())
    }

    fn route(&mut self, cursor: i64, to: Option<Uuid>, at: &str) -> Result<()> {
        self.execute(
            "INSERT INTO routes (cursor, centre_id, routed_at) VALUES ($1, $2, $3)",
            &[&cursor, &to, &at],
        )?;
        Ok(())
    }

    fn routed(&mut self, centre: Uuid, after: i64, max: usize) -> Result<Vec<Routed>> {
        // Two index seeks (routes to this centre, routes to all), each stopping at `max`, as
        // in the SQLite store (see there why the bound matters).
        let sql = "SELECT e.cursor, e.id, e.origin, e.seq, e.actor, e.at, e.kind, \
                          e.schema_version, e.payload::text \
                   FROM events e WHERE e.cursor IN ( \
                       (SELECT cursor FROM routes WHERE centre_id = $1 AND cursor > $2 \
                        ORDER BY cursor LIMIT $3) \
                       UNION (SELECT cursor FROM routes WHERE centre_id IS NULL AND cursor > $2 \
                              ORDER BY cursor LIMIT $3)) \
                   ORDER BY e.cursor LIMIT $3";
        self.query(sql, &[&centre, &after, &limit(max)])?
            .iter()
            .map(|r| {
                Ok(Routed {
                    cursor: r.try_get(0)?,
                    event: event_row(r, 1)?,
                })
            })
            .collect()
    }

    fn own_events(&mut self, origin: Uuid, after: i64, max: usize) -> Result<Vec<WireEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE origin = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        );
        self.query(&sql, &[&origin, &after, &limit(max)])?
            .iter()
            .map(|r| event_row(r, 0))
            .collect()
    }

    fn events_where(
        &mut self,
        kind: &str,
        origin: Option<Uuid>,
        field: &'static str,
        value: &str,
        max: usize,
    ) -> Result<Vec<WireEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE kind = $1 \
               AND ($2::uuid IS NULL OR origin = $2) AND payload ->> $3 = $4 \
             ORDER BY cursor LIMIT $5"
        );
        self.query(&sql, &[&kind, &origin, &field, &value, &limit(max)])?
            .iter()
            .map(|r| event_row(r, 0))
            .collect()
    }

    fn events_mentioning(
        &mut self,
        origin: Uuid,
        kind: &str,
        needle: &str,
        max: usize,
    ) -> Result<Vec<WireEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE origin = $1 AND kind = $2 \
               AND strpos(payload::text, $3) > 0 ORDER BY cursor LIMIT $4"
        );
        self.query(&sql, &[&origin, &kind, &needle, &limit(max)])?
            .iter()
            .map(|r| event_row(r, 0))
            .collect()
    }

    fn append_log(&mut self, entry: &LogEntry) -> Result<()> {
        self.execute(
            "INSERT INTO request_log \
                 (id, at, centre_id, endpoint, status, outcome, code, message, remote) \
             VALUES ((SELECT coalesce(max(id), 0) + 1 FROM request_log), \
                     $1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &entry.at,
                &entry.centre_id,
                &entry.endpoint,
                &i32::from(entry.status),
                &entry.outcome.as_str(),
                &entry.code,
                &entry.message,
                &entry.remote,
            ],
        )?;
        if let Some(centre) = entry.centre_id {
            self.execute(
                "UPDATE centres SET last_contact = $2 WHERE id = $1",
                &[&centre, &entry.at],
            )?;
        }
        Ok(())
    }

    fn log_entries(&mut self, centre: Option<Uuid>, max: usize) -> Result<Vec<LogEntry>> {
        let rows = match centre {
            Some(centre) => self.query(
                &format!(
                    "SELECT {LOG_COLUMNS} FROM request_log WHERE centre_id = $1 \
                     ORDER BY id DESC LIMIT $2"
                ),
                &[&centre, &limit(max)],
            )?,
            None => self.query(
                &format!("SELECT {LOG_COLUMNS} FROM request_log ORDER BY id DESC LIMIT $1"),
                &[&limit(max)],
            )?,
        };
        rows.iter().map(log_row).collect()
    }

    fn last_error(&mut self, centre: Uuid) -> Result<Option<LogEntry>> {
        let sql = format!(
            "SELECT {LOG_COLUMNS} FROM request_log WHERE centre_id = $1 AND code IS NOT NULL \
             ORDER BY id DESC LIMIT 1"
        );
        self.query_opt(&sql, &[&centre])?
            .as_ref()
            .map(log_row)
            .transpose()
    }

    fn hub_signing_key(&mut self) -> Result<Option<String>> {
        Ok(self
            .query_one("SELECT signing_key FROM hub", &[])?
            .try_get(0)?)
    }

    fn set_hub_signing_key(&mut self, secret_hex: &str) -> Result<()> {
        // Only when none is set: a key once used to sign is never replaced.
        self.execute(
            "UPDATE hub SET signing_key = $1 WHERE signing_key IS NULL",
            &[&secret_hex],
        )?;
        Ok(())
    }

    fn centre_keys(&mut self, id: Uuid) -> Result<CentreKeys> {
        let row = self.query_one(
            "SELECT public_key, enrol_code_hash, enrol_proof, bundle_cursor \
             FROM centres WHERE id = $1",
            &[&id],
        )?;
        Ok(CentreKeys {
            public_key: row.try_get(0)?,
            enrol_code_hash: row.try_get(1)?,
            enrol_proof: row.try_get(2)?,
            bundle_cursor: row.try_get(3)?,
        })
    }

    fn set_centre_key(&mut self, id: Uuid, public_key: &str, proof: Option<&str>) -> Result<()> {
        self.execute(
            "UPDATE centres SET public_key = $2, enrol_proof = coalesce($3, enrol_proof) \
             WHERE id = $1",
            &[&id, &public_key, &proof],
        )?;
        Ok(())
    }

    fn reset_bundle_cursor(&mut self, id: Uuid) -> Result<()> {
        self.execute("UPDATE centres SET bundle_cursor = 0 WHERE id = $1", &[&id])?;
        Ok(())
    }

    fn set_bundle_cursor(&mut self, id: Uuid, cursor: i64) -> Result<()> {
        self.execute(
            "UPDATE centres SET bundle_cursor = greatest(bundle_cursor, $2) WHERE id = $1",
            &[&id, &cursor],
        )?;
        Ok(())
    }
}

/// A plain client connection to the database `url` names, by the hub's rules for the URL
/// (TLS included), without the store's session settings: for tests and tools that look at the
/// tables from outside.
pub fn client(url: &str) -> Result<Client> {
    parse_config(url)?.connect().map_err(|e| unavailable(&e))
}

/// A database of its own on a PostgreSQL server, created empty and dropped on drop: what each
/// test gets when `XINFANG_HUB_TEST_POSTGRES` names a server (the unit tests here and
/// `tests/hub/` alike).
pub struct ScratchDatabase {
    server: Endpoint,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates a database with a random name on the server `server_url` (a `postgres://` URL
    /// whose user may create databases).
    pub fn create(server_url: &str) -> Result<ScratchDatabase> {
        let server = parse_config(server_url)?;
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|e| Error::Internal(e.to_string()))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("xinfang_hub_test_{suffix}");
        let url = with_dbname(server_url, &name)?;
        let mut client = server.connect().map_err(|e| unavailable(&e))?;
        // template0 with an explicit encoding: UTF8 whatever the cluster's default.
        client.batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
        ))?;
        Ok(ScratchDatabase { server, name, url })
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to it, as another process would have.
    pub fn connect(&self) -> Result<Client> {
        client(&self.url)
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // FORCE: a killed hub's session may not have ended yet.
        let dropped = self.server.connect().and_then(|mut c| {
            c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
        });
        if let Err(err) = dropped {
            eprintln!("warning: test database {} not dropped: {err}", self.name);
        }
    }
}

/// `url` with its database replaced by `name` (user, host, port and parameters kept).
fn with_dbname(url: &str, name: &str) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad_url("须为 postgres:// 形式的地址"))?;
    let (target, query) = match rest.split_once('?') {
        Some((target, query)) => (target, Some(query)),
        None => (rest, None),
    };
    let authority = target.split('/').next().unwrap_or(target);
    Ok(match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    #[test]
    fn every_sqlite_migration_has_its_postgres_twin_and_the_files_are_all_listed() {
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(n, _)| *n).collect();
        let sqlite: Vec<&str> = super::super::sqlite::MIGRATIONS
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(listed, sqlite, "schemas/hub/postgres mirrors schemas/hub");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/hub/postgres");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("schemas/hub/postgres")
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter_map(|n| n.strip_suffix(".sql").map(str::to_owned))
            .collect();
        on_disk.sort();
        assert_eq!(listed, on_disk);
    }

    #[test]
    fn a_scratch_database_url_keeps_user_host_and_parameters() {
        assert_eq!(
            with_dbname("postgresql://hub@%2Ftmp%2Fpg/postgres", "t1").expect("url"),
            "postgresql://hub@%2Ftmp%2Fpg/t1"
        );
        assert_eq!(
            with_dbname("postgres://a:b@127.0.0.1:5433?sslmode=disable", "t2").expect("url"),
            "postgres://a:b@127.0.0.1:5433/t2?sslmode=disable"
        );
        let err = with_dbname("host=/tmp dbname=x", "t3").expect_err("not a URL");
        assert_eq!(err.code(), "bad_input");
        assert_eq!(err.field().as_deref(), Some("database"));
    }

    #[test]
    fn a_store_describes_itself_without_the_password() {
        let store = PgStore {
            endpoint: parse_config("postgres://hub:secret@db.example:5433/county").expect("url"),
            client: None,
            statements: HashMap::new(),
        };
        assert_eq!(store.describe(), "PostgreSQL hub@db.example:5433/county");
        let err = PgStore::open("postgres://hub@db:notaport/x", || unreachable!())
            .err()
            .expect("refused");
        assert_eq!(err.code(), "bad_input");

        let dir = tempfile::tempdir().expect("dir");
        let ca = some_certificate(dir.path());
        let store = PgStore {
            endpoint: parse_config(&format!(
                "postgres://hub@db.example/county?sslmode=verify-full&sslrootcert={}",
                ca.display()
            ))
            .expect("url"),
            client: None,
            statements: HashMap::new(),
        };
        assert_eq!(
            store.describe(),
            "PostgreSQL hub@db.example:5432/county (TLS)"
        );
    }

    /// A certificate file that can serve as an authority (a self-signed one).
    fn some_certificate(dir: &Path) -> PathBuf {
        let (identity, _) =
            xinfang_tls::Identity::load_or_create(dir, &["127.0.0.1".into()]).expect("cert");
        identity.cert_path
    }

    #[test]
    fn the_tls_parameters_leave_the_url_and_encryption_without_a_checked_certificate_is_refused() {
        let (url, root) = take_tls_parameters(
            "postgres://hub@10.0.0.5:5432/county?sslmode=verify-full&sslrootcert=%2Fetc%2Fxf%20db%2Fca.pem&application_name=hub",
        )
        .expect("url");
        assert_eq!(
            url,
            "postgres://hub@10.0.0.5:5432/county?application_name=hub"
        );
        assert_eq!(root, Some(PathBuf::from("/etc/xf db/ca.pem")));
        let (url, root) =
            take_tls_parameters("postgres://hub@db/county?sslmode=require&sslrootcert=/ca.pem")
                .expect("url");
        assert_eq!(url, "postgres://hub@db/county?sslmode=require");
        assert!(root.is_some());
        // Without TLS parameters nothing changes.
        for plain in [
            "postgres://hub@db/county",
            "postgres://hub@db/county?sslmode=disable",
            "host=/tmp dbname=x",
        ] {
            assert_eq!(
                take_tls_parameters(plain).expect("plain"),
                (plain.into(), None)
            );
        }
        for (url, says) in [
            ("postgres://hub@db/county?sslmode=require", "sslrootcert"),
            (
                "postgres://hub@db/county?sslmode=verify-full",
                "sslrootcert",
            ),
            ("postgres://hub@db/county?sslmode=verify-ca", "sslrootcert"),
            (
                "postgres://hub@db/county?sslmode=disable&sslrootcert=/ca.pem",
                "不能同时使用",
            ),
            (
                "postgres://hub@db/county?sslmode=verify-all&sslrootcert=/c",
                "verify-all",
            ),
            ("postgres://hub@db/county?sslrootcert=%zz", "%zz"),
            ("host=db sslrootcert=/ca.pem", "postgres://"),
        ] {
            let err = take_tls_parameters(url).expect_err(url);
            assert_eq!(err.code(), "bad_input", "{url}");
            assert_eq!(err.field().as_deref(), Some("database"), "{url}");
            assert!(err.to_string().contains(says), "{url}: {err}");
        }
        let err = parse_config("postgres://hub@db/county?sslrootcert=/nowhere/ca.pem")
            .err()
            .expect("no such file");
        assert_eq!(err.code(), "bad_input");
        assert!(err.to_string().contains("/nowhere/ca.pem"), "{err}");
    }

    /// Against the test command's cluster when it runs with TLS (`postgres.sh start --tls`):
    /// the session is encrypted, and an authority that did not sign the server's certificate,
    /// or a host name the certificate does not carry, is refused before anything is sent.
    #[test]
    fn over_tls_the_session_is_encrypted_and_a_wrong_authority_or_host_name_is_refused() {
        let Ok(url) = std::env::var(super::super::tests::POSTGRES_ENV) else {
            eprintln!("skipped: no PostgreSQL server named");
            return;
        };
        if !url.contains("sslrootcert=") {
            eprintln!("skipped: the PostgreSQL server is not reached over TLS");
            return;
        }
        let db = ScratchDatabase::create(&url).expect("scratch database");
        let encrypted: bool = db
            .connect()
            .expect("connect")
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .expect("pg_stat_ssl")
            .get(0);
        assert!(encrypted, "the hub's session is not encrypted");
        let store = PgStore::open(db.url(), || {
            (Uuid::from_u128(7), "2026-12-03T00:00:00.000Z".into())
        })
        .expect("open over TLS");
        assert!(store.describe().ends_with(" (TLS)"), "{}", store.describe());

        let dir = tempfile::tempdir().expect("dir");
        let other = some_certificate(dir.path());
        let (_, root) = take_tls_parameters(db.url()).expect("url");
        let root = root.expect("sslrootcert").display().to_string();
        let wrong_authority = db.url().replace(&root, &other.display().to_string());
        let wrong_name = db.url().replace("@127.0.0.1:", "@localhost:");
        assert_ne!(wrong_name, db.url(), "the cluster is on 127.0.0.1");
        for (url, says) in [
            (wrong_authority, "UnknownIssuer"),
            (wrong_name, "not valid for name"),
        ] {
            let err = PgStore::open(&url, || unreachable!("never connected"))
                .err()
                .expect("refused");
            assert_eq!(err.code(), "store_unavailable", "{url}");
            assert!(err.to_string().contains(says), "{url}: {err}");
        }
    }
}
