//! The sync worker: the desk's side of the exchange with the county hub (`crates/xinfang-hub`).
//!
//! A thread that runs every `interval` (and at once when `sync_request` set `requested_at`),
//! backing off exponentially after a failure up to `MAX_BACKOFF`. One run: enrol if there is a
//! code and no credential; `GET /api/v1/mark` (the hub's word, even when lower than before: a
//! hub restored from a backup is sent again what it lost; a register restored from a backup
//! takes back from `GET /api/v1/own` what it had pushed, if it wrote nothing since); write the
//! audit trail's head into the log (`audit.anchored`); push the outbox in batches of
//! `PUSH_BATCH` until it is empty, the next batch read and encoded while the current one is in
//! flight; pull after the cursor until `more` is false (from 0 again when the hub's anchor
//! shows its log is not the one the cursor points into); record success or the error.
//! Push batches go gzip-compressed (`Content-Encoding: gzip`); the hub takes plain ones too.
//! Enrolment sends the centre's bundle public key and stores the hub's, so USB bundles need no
//! further trust step (`xinfang bundle`).
//!
//! Architecture invariant: the register lock is taken only for the short reads and writes of
//! `xinfang_core::sync`, never while a request to the hub is in flight, so nothing a desk does
//! ever waits for the network. Errors are recorded (code + Chinese message), never panics.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use serde::{Serialize, de::DeserializeOwned};
use xinfang_core::{register::Register, sync};
use xinfang_sync::{
    EnrolResponse, MarkResponse, OwnEventsResponse, PullResponse, PushRequest, PushResponse,
    WireError,
};

/// Events per push request.
pub const PUSH_BATCH: usize = 500;
/// Events per pull request.
pub const PULL_BATCH: usize = 500;
/// The longest wait between attempts after repeated failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// How often the worker looks at `requested_at` and the stop flag.
const POLL: Duration = Duration::from_millis(200);

/// One failed step, as it is recorded for the sync panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFailure {
    /// The hub's code, or the desk's (`unreachable`, `hub_error`, `rejected`, `push_stalled`).
    pub code: String,
    /// Chinese message.
    pub message: String,
}

impl SyncFailure {
    fn new(code: &str, message: impl Into<String>) -> SyncFailure {
        SyncFailure {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl From<xinfang_core::Error> for SyncFailure {
    fn from(err: xinfang_core::Error) -> SyncFailure {
        SyncFailure::new(err.code(), format!("本机登记簿读写失败：{err}"))
    }
}

/// A running worker; stops (and joins) on drop or `stop`.
pub struct SyncWorker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl SyncWorker {
    /// Starts the worker on a shared register.
    pub fn spawn(register: Arc<Mutex<Register>>, interval: Duration) -> SyncWorker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("xinfang-sync".into())
            .spawn(move || worker_loop(&register, interval, &flag))
            .expect("spawn the sync thread");
        SyncWorker {
            stop,
            handle: Some(handle),
        }
    }

    /// Stops the worker: it finishes its current step and ends. Waits for it up to two
    /// seconds, so a hub that does not answer never holds a shutdown up; a thread still in a
    /// request then ends with the process (nothing of it is half-written: every record is one
    /// statement or one transaction).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let until = Instant::now() + Duration::from_secs(2);
            while !handle.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
            if handle.is_finished() {
                let _ = handle.join();
            }
        }
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.halt();
    }
}

fn behind_hub(acknowledged: i64) -> SyncFailure {
    SyncFailure::new(
        "register_behind_hub",
        format!(
            "县级枢纽已有本中心第 {acknowledged} 号事件，但与本机登记簿中的不同：本机登记簿可能是从较早的备份恢复的，恢复后又登记了新的内容。为免本机新登记的事件不能上报，同步已暂停，本机登记不受影响；请联系系统管理员与县信访局核对"
        ),
    )
}

/// Takes back from the hub this centre's own events above the register's last one, up to the
/// hub's mark: the register was restored from an older backup and lost what it had pushed.
///
/// Why only as a prefix: the hub's copy at the register's last seq must be the register's own
/// event, so the taken events continue exactly the log they were written on. Each page is one
/// transaction; a cut link leaves a longer prefix that the next run continues.
fn take_back_own(
    register: &Mutex<Register>,
    hub: &Hub,
    token: Option<&str>,
    mark: i64,
) -> Result<(), SyncFailure> {
    loop {
        let local = locked(register, sync::local_seq)?;
        if local >= mark {
            return Ok(());
        }
        let page: OwnEventsResponse = match hub.get(
            &format!("/api/v1/own?after={local}&limit={PULL_BATCH}"),
            token,
        ) {
            Ok(page) => page,
            // A hub from before this endpoint cannot give anything back.
            Err(failure) if failure.code == "no_endpoint" => return Err(behind_hub(mark)),
            Err(failure) => return Err(failure),
        };
        let ours = locked(register, |r| sync::own_event_id(r, local))?;
        if page.at_after != ours || page.events.is_empty() {
            return Err(behind_hub(mark));
        }
        let mut guard = register.lock().unwrap_or_else(|poison| poison.into_inner());
        let taken = sync::take_back_own(&mut guard, &page.events)?;
        // A holiday schedule among them changes the working days every clock counts.
        guard.reload_calendar()?;
        drop(guard);
        if let sync::TakenBack::Private { seq, kind } = taken {
            return Err(SyncFailure::new(
                "register_behind_hub",
                format!(
                    "本机登记簿是从较早的备份恢复的，已从县级枢纽取回此前上报的事件至第 {} 号；第 {seq} 号是用户账户的变更（{kind}），县级不保存其内容，无法取回。同步已暂停，本机登记不受影响；请系统管理员核对用户账户后联系县信访局",
                    seq - 1
                ),
            ));
        }
    }
}

fn locked<T>(
    register: &Mutex<Register>,
    f: impl FnOnce(&Register) -> xinfang_core::Result<T>,
) -> Result<T, SyncFailure> {
    let guard = register.lock().unwrap_or_else(|poison| poison.into_inner());
    Ok(f(&guard)?)
}

fn worker_loop(register: &Mutex<Register>, interval: Duration, stop: &AtomicBool) {
    let interval = interval.max(Duration::from_millis(100));
    let mut delay = interval;
    let mut next = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let requested =
            locked(register, |r| Ok(sync::state(r)?.requested_at.is_some())).unwrap_or(false);
        if requested || Instant::now() >= next {
            // A bug in a run must not end the worker (or the server): it is recorded instead.
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_once(register)))
                .unwrap_or_else(|_| {
                    Err(SyncFailure::new(
                        "internal",
                        "同步程序内部错误，将稍后重试；如反复出现请联系管理员",
                    ))
                });
            match run {
                Ok(()) => delay = interval,
                Err(failure) => {
                    // Recording can itself fail (a full disk); the next run tries again.
                    let _ = locked(register, |r| {
                        sync::record_error(r, &failure.code, &failure.message)
                    });
                    delay = (delay * 2).min(MAX_BACKOFF).max(interval);
                }
            }
            next = Instant::now() + delay;
        }
        std::thread::sleep(POLL);
    }
}

/// One sync run. Does nothing (and succeeds) when no hub is configured.
pub fn run_once(register: &Mutex<Register>) -> Result<(), SyncFailure> {
    // Drawn before the lock; used only if the centre has no key pair yet.
    let fresh_key = crate::bundle::random_32()
        .map_err(|e| SyncFailure::new("internal", format!("无法生成签名密钥：{e}")))?;
    let (state, enrol, own_credential) = locked(register, |r| {
        let state = sync::state(r)?;
        if state.hub_url.is_some() {
            sync::record_attempt(r)?;
        }
        if state.credential.is_none() && state.enrolment_code.is_some() {
            // Enrolment tells the hub this centre's bundle key, so make it first.
            sync::signing_key(r, fresh_key)?;
        }
        Ok((state, sync::enrol_request(r)?, sync::enrol_credential(r)?))
    })?;
    let Some(url) = state.hub_url else {
        return Ok(());
    };
    let hub = Hub::new(url.trim_end_matches('/'), state.hub_fingerprint.as_deref())?;
    let credential = match (enrol, state.credential) {
        (Some(request), _) => {
            let answer: EnrolResponse = hub.post("/api/v1/enrol", None, &request)?;
            // A hub that took the centre's own credential answers with an empty one.
            let credential = match own_credential {
                Some(own) if answer.credential.is_empty() => own,
                _ => answer.credential.clone(),
            };
            locked(register, |r| {
                sync::record_enrolled(r, answer.centre_id, &credential)?;
                match &answer.hub_public_key {
                    Some(key) => sync::record_hub_key(r, key),
                    None => Ok(()),
                }
            })?;
            credential
        }
        (None, Some(credential)) => credential,
        (None, None) => {
            return Err(SyncFailure::new(
                "not_enrolled",
                "尚未在县级枢纽注册：请填写枢纽给出的注册码",
            ));
        }
    };
    let token = Some(credential.as_str());

    // Person lookups first: a clerk is waiting at the counter for these, the backlog is not.
    answer_lookups(register, &hub, token)?;

    let MarkResponse { acknowledged, id } = hub.get("/api/v1/mark", token)?;
    // The hub's event at the mark must be ours: a register restored from an older backup has
    // other events (or none) there, and taking the mark would leave them unsent for ever.
    // A register that is a strict prefix of the hub's copy (restored, nothing written since)
    // takes the rest back first; one that wrote other events under those seqs stops.
    if let Some(id) = id {
        let mut ours = locked(register, |r| sync::own_event_id(r, acknowledged))?;
        if ours.is_none() {
            take_back_own(register, &hub, token, acknowledged)?;
            ours = locked(register, |r| sync::own_event_id(r, acknowledged))?;
        }
        if ours != Some(id) {
            return Err(behind_hub(acknowledged));
        }
    }
    locked(register, |r| sync::record_mark(r, acknowledged))?;
    // The audit trail's head goes with this push, so the county holds where the trail had got
    // to (a trail cut back behind it is then found by `verify`).
    {
        let mut guard = register.lock().unwrap_or_else(|poison| poison.into_inner());
        sync::anchor_audit(&mut guard)?;
    }
    push_outbox(register, &hub, token, acknowledged)?;

    let mut cursor = locked(register, |r| Ok(sync::state(r)?.pull_cursor))?;
    let mut first_page = true;
    loop {
        let page: PullResponse = hub.get(
            &format!("/api/v1/pull?after={cursor}&limit={PULL_BATCH}"),
            token,
        )?;
        // A hub restored from an older backup gives the cursors it forgot to new events, which
        // a cursor past the backup would skip for ever: if the hub has something else at our
        // cursor than what we pulled there, pull again from 0. Only the first page is checked
        // (the later ones start after an event this hub has just sent), so it resets once.
        if std::mem::take(&mut first_page)
            && let Some(anchor) = page.anchor
            && anchor.cursor == cursor
            && !locked(register, |r| sync::pulled_at(r, cursor, anchor.id))?
        {
            locked(register, sync::restart_pull)?;
            cursor = 0;
            continue;
        }
        locked(register, |r| {
            sync::record_pulled(r, &page.events, page.next)
        })?;
        if !page.more || page.next <= cursor {
            break;
        }
        cursor = page.next;
    }
    // What the county sent goes into the register now, with no request in flight: a directive
    // the centre cannot take stays on its inbox row with the reason and is no failure of the link.
    {
        let mut guard = register.lock().unwrap_or_else(|poison| poison.into_inner());
        xinfang_core::county::apply_inbox(&mut guard)?;
    }
    locked(register, sync::record_success)?;
    Ok(())
}

/// Pushes the outbox above `acknowledged` in batches of `PUSH_BATCH` until it is empty.
///
/// Why two threads: reading a batch from the (encrypted) register and encoding it is about a
/// third of a long push, and the hub storing the previous batch is the rest; a reader thread
/// prepares the next batch while the current one is in flight (one batch ahead, so memory stays
/// at two batches). The reader follows the desk's own seqs; whenever the hub acknowledges other
/// than the end of the batch just sent, the read-ahead batch is dropped and the push goes on
/// from the hub's word, as it would without the reader. The sender stops at the first rejection
/// or stall, and the reader stops when nobody takes its batches.
fn push_outbox(
    register: &Mutex<Register>,
    hub: &Hub,
    token: Option<&str>,
    acknowledged: i64,
) -> Result<(), SyncFailure> {
    let mut from = acknowledged;
    while let Some(next) = push_from(register, hub, token, from)? {
        from = next;
    }
    Ok(())
}

/// One pipelined stretch of `push_outbox` from `acknowledged`: `None` when the outbox is
/// empty, or the hub's mark to go on from when it answered other than the batch's end.
fn push_from(
    register: &Mutex<Register>,
    hub: &Hub,
    token: Option<&str>,
    acknowledged: i64,
) -> Result<Option<i64>, SyncFailure> {
    type Batch = Result<(i64, Vec<u8>), SyncFailure>;
    std::thread::scope(|scope| {
        let (batches, ready) = std::sync::mpsc::sync_channel::<Batch>(1);
        scope.spawn(move || {
            let mut after = acknowledged;
            loop {
                let batch =
                    locked(register, |r| sync::outbox(r, after, PUSH_BATCH)).and_then(|events| {
                        let Some(last) = events.last().map(|e| e.seq) else {
                            return Ok(None);
                        };
                        after = last;
                        gzip_json(&PushRequest { events })
                            .map(|body| Some((last, body)))
                            .map_err(|e| SyncFailure::new("internal", format!("无法编码请求：{e}")))
                    });
                let (stop, item) = match batch {
                    Ok(Some(batch)) => (false, Ok(batch)),
                    Ok(None) => return,
                    Err(failure) => (true, Err(failure)),
                };
                if batches.send(item).is_err() || stop {
                    return;
                }
            }
        });
        let mut mark = acknowledged;
        for batch in ready {
            let (last, body) = batch?;
            let answer: PushResponse = hub.post_gzipped("/api/v1/push", token, body)?;
            locked(register, |r| sync::record_mark(r, answer.acknowledged))?;
            if let Some(first) = answer.rejected.first() {
                return Err(SyncFailure::new(
                    &first.code,
                    format!("第 {} 号事件被县级枢纽拒绝：{}", first.seq, first.message),
                ));
            }
            if answer.acknowledged <= mark {
                return Err(SyncFailure::new(
                    "push_stalled",
                    format!("县级枢纽未确认第 {} 号之后的事件", answer.acknowledged),
                ));
            }
            mark = answer.acknowledged;
            if mark != last {
                return Ok(Some(mark));
            }
        }
        Ok(None)
    })
}

/// Takes the desks' cross-centre person lookups (`xinfang_core::lookup`) to the hub and leaves
/// the answers in the register. A refusal of one question is its answer; a hub that cannot be
/// reached fails the run like any other request, and the questions wait for the next.
fn answer_lookups(
    register: &Mutex<Register>,
    hub: &Hub,
    token: Option<&str>,
) -> Result<(), SyncFailure> {
    use xinfang_core::lookup;
    use xinfang_sync::lookup::{PersonMattersRequest, PersonMattersResponse};
    for id_number in locked(register, lookup::pending)? {
        let request = PersonMattersRequest {
            id_number: id_number.clone(),
        };
        match hub.post::<PersonMattersResponse>("/api/v1/person-matters", token, &request) {
            Ok(answer) => locked(register, |r| lookup::record(r, &id_number, Ok(&answer)))?,
            Err(failure) if failure.code == "unreachable" => return Err(failure),
            Err(failure) => locked(register, |r| {
                lookup::record(r, &id_number, Err((&failure.code, &failure.message)))
            })?,
        }
    }
    Ok(())
}

/// JSON client of the hub: plain HTTP, or HTTPS accepting only the pinned certificate.
struct Hub {
    base: String,
    agent: ureq::Agent,
    /// The pinned client, for an https hub: it says what certificate a refused hub showed.
    pinned: Option<xinfang_tls::client::Pinned>,
}

impl Hub {
    fn new(base: &str, fingerprint: Option<&str>) -> Result<Hub, SyncFailure> {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build();
        if !base.starts_with("https://") {
            return Ok(Hub {
                base: base.to_owned(),
                agent: config.into(),
                pinned: None,
            });
        }
        // `sync_configure` never stores an https URL without one; a register edited by hand
        // could have one, and then nothing is sent rather than trusting any certificate.
        let pin = fingerprint
            .and_then(xinfang_tls::parse_fingerprint)
            .ok_or_else(|| {
                SyncFailure::new(
                    "hub_fingerprint_missing",
                    "县级枢纽地址为 https，但未设置其证书指纹：请在同步设置中填写县级管理员给出的指纹",
                )
            })?;
        let pinned = xinfang_tls::client::Pinned::new(pin, config);
        Ok(Hub {
            base: base.to_owned(),
            agent: pinned.agent.clone(),
            pinned: Some(pinned),
        })
    }

    /// A failed connection to a hub whose certificate is not the pinned one becomes
    /// `hub_certificate_mismatch` naming the fingerprint it showed; anything else stays as it was.
    fn checked<T>(&self, result: Result<T, SyncFailure>) -> Result<T, SyncFailure> {
        let shown = self.pinned.as_ref().and_then(|p| p.refused());
        match (result, shown) {
            (Err(failure), Some(shown)) if failure.code == "unreachable" => Err(SyncFailure::new(
                "hub_certificate_mismatch",
                format!(
                    "县级枢纽出示的证书与同步设置中的指纹不符（对方证书指纹 {shown}）：可能连接到了假冒的枢纽，或枢纽更换了证书。未发送任何数据；请向县级管理员核对指纹后重新设置。"
                ),
            )),
            (result, _) => result,
        }
    }

    fn get<T: DeserializeOwned>(&self, path: &str, token: Option<&str>) -> Result<T, SyncFailure> {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.checked(answer(request.call()))
    }

    fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> Result<T, SyncFailure> {
        let body = serde_json::to_vec(body)
            .map_err(|e| SyncFailure::new("internal", format!("无法编码请求：{e}")))?;
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.checked(answer(request.send(&body[..])))
    }

    /// `post` of a body already gzip-compressed by `gzip_json` (`Content-Encoding: gzip`):
    /// event JSON shrinks to about a fifth, which is what a slow county link is short of.
    fn post_gzipped<T: DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> Result<T, SyncFailure> {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .header("Content-Encoding", "gzip");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.checked(answer(request.send(&body[..])))
    }
}

/// JSON of `body`, gzip-compressed at a fast level (the link, not the CPU, is the slow part,
/// and the best level costs several times the time for a few per cent).
///
/// The JSON is made whole first and handed to the compressor in one piece: serde writes token
/// by token, and each of those little writes straight into the encoder costs a trip through
/// deflate's bookkeeping (half the push time in `xinfang bench sync` before this).
pub fn gzip_json(body: &impl Serialize) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let json = serde_json::to_vec(body)?;
    let mut gzip = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 4),
        flate2::Compression::fast(),
    );
    gzip.write_all(&json)?;
    gzip.finish()
}

/// What a clerk reads when the hub cannot be reached: the likely cause in Chinese first, the
/// system's own words after it for the county's IT staff.
fn unreachable_message(detail: &str) -> String {
    let lower = detail.to_ascii_lowercase();
    let cause = if lower.contains("refused") {
        "对方拒绝连接，县级枢纽可能未运行或端口不对"
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "连接超时，网络不通或县级枢纽无响应"
    } else if lower.contains("dns") || lower.contains("resolve") || lower.contains("lookup") {
        "找不到该地址，请核对县级枢纽地址"
    } else if lower.contains("unreachable") {
        "网络不可达，请检查本机网络"
    } else {
        "网络连接失败"
    };
    format!("无法连接县级枢纽：{cause}（{detail}）。本机登记不受影响，恢复后自动补传。")
}

fn answer<T: DeserializeOwned>(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<T, SyncFailure> {
    let unreachable = |e: &dyn std::fmt::Display| {
        SyncFailure::new("unreachable", unreachable_message(&e.to_string()))
    };
    let mut response = response.map_err(|e| unreachable(&e))?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| unreachable(&e))?;
    if !status.is_success() {
        return Err(match serde_json::from_str::<WireError>(&text) {
            Ok(err) => SyncFailure::new(&err.code, err.message),
            Err(_) => SyncFailure::new(
                "hub_error",
                format!("县级枢纽返回错误（HTTP {}）", status.as_u16()),
            ),
        });
    }
    serde_json::from_str(&text)
        .map_err(|e| SyncFailure::new("hub_error", format!("县级枢纽的回答无法识别：{e}")))
}
