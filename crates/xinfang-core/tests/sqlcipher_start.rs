//! Regression test for SQLCipher's start-up race: threads that open their first registers at
//! the same moment, in a process that has not touched SQLite yet, must all get them.
//!
//! The race exists once per process (SQLCipher starts once), so the test runs itself again as
//! fresh child processes, each of which starts eight threads on a barrier.

use std::{
    path::Path,
    process::Command,
    sync::{Arc, Barrier},
};

use xinfang_core::keys::{self, Key, Unlock};

const CHILD: &str = "XINFANG_SQLCIPHER_START_CHILD";
const THREADS: usize = 8;
const ROUNDS: usize = 200;

fn open_together(dir: &Path) {
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let path = dir.join(format!("register-{i}.db"));
            // A given key touches no key file, so the threads reach SQLite together.
            let unlock = Unlock::Key(Key::random().expect("key"));
            std::thread::spawn(move || {
                barrier.wait();
                keys::open(&path, &unlock).map(|_| ())
            })
        })
        .collect();
    for (i, worker) in workers.into_iter().enumerate() {
        let outcome = worker.join().expect("thread");
        assert!(outcome.is_ok(), "thread {i}: {outcome:?}");
    }
}

#[test]
fn first_registers_opened_at_once_by_many_threads_all_open() {
    if std::env::var_os(CHILD).is_some() {
        let dir = tempfile::tempdir().expect("temp dir");
        open_together(dir.path());
        return;
    }
    let me = std::env::current_exe().expect("test binary");
    for round in 0..ROUNDS {
        let out = Command::new(&me)
            .args([
                "--exact",
                "first_registers_opened_at_once_by_many_threads_all_open",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .expect("run child");
        assert!(
            out.status.success(),
            "round {round}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
