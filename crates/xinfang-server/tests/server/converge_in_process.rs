//! The convergence check of `converge.rs` in one process, cheap enough for several seeds per
//! run: two registers opened here, the real sync client (`xinfang_server::sync::run_once`)
//! called directly for each partial sync, the real hub (`xinfang_hub::http::router` on a SQLite
//! store) on a loopback port in this process, the fault proxy between them. Registers are made
//! by the `xinfang` binary (init and demo) and checked by it at the end (`xinfang verify`).

use std::{collections::BTreeSet, path::Path, sync::Mutex};

use serde_json::json;
use xinfang_core::{Register, auth::Session, demo::Rng, ops};
use xinfang_hub::hub::Target;

use crate::{
    converge::{CentreFiles, assignment, disagreement},
    faults::{self, FaultProxy},
    support::*,
    sync::letter,
};

struct Desk {
    code: &'static str,
    dir: tempfile::TempDir,
    register: Mutex<Register>,
    clerk: Session,
    handler: Session,
    hub_id: uuid::Uuid,
    /// `hub_id` as the hub's tables have it.
    hub_key: String,
    open_matters: Vec<String>,
    inbox: BTreeSet<String>,
}

impl Desk {
    fn new(code: &'static str, demo_seed: u64, hub: &mut xinfang_hub::Hub, url: &str) -> Desk {
        let dir = tempfile::tempdir().expect("dir");
        let out = run(xinfang(dir.path()).args([
            "init",
            "--centre-code",
            code,
            "--admin-password",
            ADMIN_PASSWORD,
        ]));
        assert!(out.status.success(), "init: {}", stderr(&out));
        let out = run(xinfang(dir.path()).args([
            "demo",
            "--cases",
            "3",
            "--seed",
            &demo_seed.to_string(),
        ]));
        assert!(out.status.success(), "demo: {}", stderr(&out));
        let added = hub
            .add_centre(code, "某县信访局来访接待中心")
            .expect("centre add");
        let register = xinfang_server::data::open(dir.path()).expect("open the register");
        xinfang_core::sync::configure(&register, url, Some(&added.enrolment_code))
            .expect("configure");
        let sign_in = |user: &str| {
            xinfang_core::auth::authenticate(&register, user, "demo-pass-2026").expect("sign in")
        };
        let (clerk, handler) = (sign_in("wangfang"), sign_in("zhaomin"));
        Desk {
            code,
            dir,
            register: Mutex::new(register),
            clerk,
            handler,
            hub_id: added.centre.id,
            hub_key: added.centre.id.to_string(),
            open_matters: Vec::new(),
            inbox: BTreeSet::new(),
        }
    }

    fn call(&self, who: &Session, op: &str, input: serde_json::Value) -> serde_json::Value {
        let mut register = self.register.lock().expect("register");
        ops::call(&mut register, Some(who), op, input).unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    fn random_op(&mut self, rng: &mut Rng, n: usize) {
        if rng.chance(30) && !self.open_matters.is_empty() {
            let at = rng.below(self.open_matters.len() as u64) as usize;
            let matter = self.open_matters.swap_remove(at);
            let handler = self.handler.clone();
            self.call(&handler, "matter_accept", json!({ "matter_id": matter }));
        } else {
            let clerk = self.clerk.clone();
            let matter = self.call(
                &clerk,
                "matter_register",
                letter(&format!("{}第{n}件", self.code)),
            );
            self.open_matters
                .push(matter["id"].as_str().expect("id").to_owned());
        }
    }

    fn sync(&self) -> Result<(), String> {
        xinfang_server::sync::run_once(&self.register)
            .map_err(|f| format!("{}: {}", f.code, f.message))
    }

    fn files(&self) -> CentreFiles<'_> {
        CentreFiles {
            dir: self.dir.path(),
            hub_id: &self.hub_key,
            code: self.code,
        }
    }
}

fn hub_server(runtime: &tokio::runtime::Runtime, dir: &Path) -> u16 {
    let hub = xinfang_hub::Hub::open_sqlite(dir).expect("hub store");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let state = xinfang_hub::http::AppState::new(hub, false);
    runtime.spawn(async move {
        let app = xinfang_hub::http::router(state)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let _ = axum::serve(listener, app).await;
    });
    port
}

/// One seed: random work and partial syncs through the faults, then faults off and syncs until
/// both centres agree with the hub.
fn one_schedule(seed: u64, rounds: usize) {
    let mut rng = Rng::new(seed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let hub_dir = tempfile::tempdir().expect("hub dir");
    let port = hub_server(&runtime, hub_dir.path());
    // The county administrator's handle on the same store, as the CLI would open it.
    let mut county = xinfang_hub::Hub::open_sqlite(hub_dir.path()).expect("hub");
    let proxy = FaultProxy::start(port, seed, 50);
    let mut desks = [
        Desk::new("XF3301", seed % 1000 + 1, &mut county, &proxy.url()),
        Desk::new("XF3302", seed % 1000 + 2, &mut county, &proxy.url()),
    ];
    proxy.set_faulty(true);
    let mut failed_runs = 0;
    for round in 0..rounds {
        let this = rng.below(2) as usize;
        desks[this].random_op(&mut rng, round);
        if rng.chance(15) {
            let all = rng.chance(30);
            let to = if all {
                Target::All
            } else {
                Target::Centre(desks[this].hub_id)
            };
            let published = county
                .publish(to, "county.assignment", assignment(round))
                .unwrap_or_else(|e| panic!("seed {seed}: publish: {e}"));
            for (idx, desk) in desks.iter_mut().enumerate() {
                if all || idx == this {
                    desk.inbox.insert(published.event.id.to_string());
                }
            }
        }
        if rng.chance(40) {
            let which = rng.below(2) as usize;
            failed_runs += usize::from(desks[which].sync().is_err());
        }
    }
    proxy.set_faulty(false);
    let tally = proxy.tally();
    assert!(
        tally.broken() > 0 && failed_runs > 0,
        "seed {seed}: the faults must have broken something: {tally:?}, {failed_runs} failed runs"
    );
    // Two clean runs each: a county 交办 applied by the first becomes events the second sends.
    for _ in 0..3 {
        for desk in &desks {
            desk.sync()
                .unwrap_or_else(|e| panic!("seed {seed}: {}: a clean run: {e}", desk.code));
        }
    }
    for desk in &desks {
        if let Err(what) = disagreement(hub_dir.path(), &desk.files(), &desk.inbox, &desk.inbox) {
            panic!("seed {seed}: no convergence after the faults stopped: {what}");
        }
    }
    let dirs: Vec<tempfile::TempDir> = desks.into_iter().map(|d| d.dir).collect();
    for dir in &dirs {
        let out = run(xinfang(dir.path()).arg("verify"));
        assert!(
            out.status.success(),
            "seed {seed}: verify: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

#[test]
fn in_process_desks_and_hub_agree_after_partial_syncs_through_faults_for_several_seeds() {
    let seed = faults::seed();
    let (schedules, rounds) = if std::env::var_os("RUN_SLOW_TESTS").is_some() {
        (20, 150)
    } else {
        (5, 50)
    };
    for n in 0..schedules {
        // Each schedule's own seed, printed so one of them can be replayed alone.
        let this = seed.wrapping_add(n);
        eprintln!("schedule {n}: XINFANG_FAULT_SEED={this}");
        one_schedule(this, rounds);
    }
}
