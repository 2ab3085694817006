//! Shared fixtures for the workspace integration tests: a register in a real SQLite file in a
//! temporary directory, with a fixed clock, seeded ids, and one signed-in user per role.

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use xinfang_core::{
    Register,
    api::{self, UserCreateInput},
    auth::Session,
    clock::{Clock, FixedClock, SeededIds},
    events::EventBody,
    model::Role,
    ops,
};

/// A register on disk plus the people who use it.
pub struct TestDesk {
    /// The open register.
    pub register: Register,
    /// Its clock; move it to make time pass.
    pub clock: FixedClock,
    /// Keeps the directory alive for the test's duration.
    pub dir: tempfile::TempDir,
    /// 引导员 王芳.
    pub guide: Session,
    /// 接谈员 李军.
    pub interviewer: Session,
    /// 办理人 赵敏.
    pub handler: Session,
    /// 负责人 陈静.
    pub supervisor: Session,
    /// 管理员.
    pub admin: Session,
}

/// Creates a user whose password (`PASSWORD`) is already their own: the fixture's staff have
/// chosen theirs; tests of the forced change create users through `user_create`.
fn create_user(register: &mut Register, username: &str, name: &str, role: Role) -> Session {
    let mut record = api::new_user_record(
        register,
        UserCreateInput {
            username: username.into(),
            display_name: name.into(),
            role,
            password: PASSWORD.into(),
        },
    )
    .expect("user");
    record.must_change_password = false;
    let session = Session {
        user_id: record.user_id,
        username: username.into(),
        display_name: name.into(),
        role,
        must_change_password: false,
        desk: String::new(),
    };
    register
        .write("system", |w| {
            w.record(EventBody::UserCreated(record))?;
            Ok(())
        })
        .expect("create user");
    session
}

/// 2026-11-28 09:30 China time: a Saturday morning is as good as any for tests.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 1, 30, 0)
        .single()
        .expect("valid time")
}

/// Password of every test user.
pub const PASSWORD: &str = "test-pass-2026";

impl TestDesk {
    /// A fresh, initialised register with one user per role.
    pub fn new() -> TestDesk {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = FixedClock::new(test_now());
        let mut register = Register::open(
            &dir.path().join("register.db"),
            Box::new(clock.clone()),
            Box::new(SeededIds::new(1, test_now().timestamp_millis() as u64)),
        )
        .expect("open register");
        register
            .init_centre("XF3301", "测试县信访局来访接待中心")
            .expect("init centre");
        let mut sessions = Vec::new();
        for (username, name, role) in [
            ("wangfang", "王芳", Role::Guide),
            ("lijun", "李军", Role::Interviewer),
            ("zhaomin", "赵敏", Role::Handler),
            ("chenjing", "陈静", Role::Supervisor),
            ("admin", "系统管理员", Role::Admin),
        ] {
            sessions.push(create_user(&mut register, username, name, role));
        }
        let mut sessions = sessions.into_iter();
        let mut next = || sessions.next().expect("five sessions");
        TestDesk {
            guide: next(),
            interviewer: next(),
            handler: next(),
            supervisor: next(),
            admin: next(),
            register,
            clock,
            dir,
        }
    }

    /// Adds a user with `role` whose password is already their own; their session.
    pub fn add_user(&mut self, username: &str, name: &str, role: Role) -> Session {
        create_user(&mut self.register, username, name, role)
    }

    /// Path of the register file.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("register.db")
    }

    /// Runs an operation as `who` through the one operation list.
    /// Runs a public operation without signing in (the hall board).
    pub fn call_public(&mut self, op: &str, input: Value) -> Value {
        ops::call(&mut self.register, None, op, input)
            .unwrap_or_else(|e| panic!("{op} failed: {}", e.to_api().message))
    }

    pub fn call(&mut self, who: &Session, op: &str, input: Value) -> xinfang_core::Result<Value> {
        ops::call(&mut self.register, Some(who), op, input)
    }

    /// Runs an operation that must succeed.
    pub fn ok(&mut self, who: &Session, op: &str, input: Value) -> Value {
        let who = who.clone();
        match self.call(&who, op, input) {
            Ok(value) => value,
            Err(err) => panic!("{op} failed: {err} ({:?})", err.to_api()),
        }
    }

    /// Signs in through `auth_login`, as a desk does; the output holds the token.
    pub fn login(&mut self, username: &str, password: &str) -> xinfang_core::Result<Value> {
        ops::call(
            &mut self.register,
            None,
            "auth_login",
            serde_json::json!({ "username": username, "password": password }),
        )
    }

    /// Runs an operation with a bearer token, as the HTTP and desktop adapters do (the token is
    /// resolved, checked for expiry and the user's state, then the operation runs).
    pub fn call_token(
        &mut self,
        token: &str,
        op: &str,
        input: Value,
    ) -> xinfang_core::Result<Value> {
        ops::call_with_token(&mut self.register, Some(token), "10.0.0.2", op, input)
    }

    /// Closes the register file and opens it again, as a restart of the host does.
    pub fn restart(&mut self) {
        let reopened = Register::open(
            &self.path(),
            Box::new(self.clock.clone()),
            // Later than any id the first generator gave (one per millisecond).
            Box::new(SeededIds::new(
                2,
                self.clock.now().timestamp_millis() as u64 + 3_600_000,
            )),
        )
        .expect("reopen register");
        self.register = reopened;
    }

    /// Number of events in the log.
    pub fn event_count(&self) -> i64 {
        self.register
            .conn()
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .expect("count events")
    }
}

impl Default for TestDesk {
    fn default() -> TestDesk {
        TestDesk::new()
    }
}

/// A valid 18-digit ID number for a person born on `birth` (YYYYMMDD) in `region`.
pub fn id_number(region: &str, birth: &str, seq: u32) -> String {
    let first17 = format!("{region}{birth}{seq:03}");
    format!(
        "{first17}{}",
        xinfang_core::domain::idcard::check_digit(&first17)
    )
}

/// A complete letter matter with one new petitioner.
pub fn letter(name: &str, id: &str, summary: &str) -> Value {
    serde_json::json!({
        "channel": "letter",
        "purpose": "demand",
        "matter_class": "appeal_demand",
        "route": "petition_procedure",
        "content_category": "labour_wages",
        "region_code": "330106",
        "involved_units": "某建筑工程有限公司",
        "summary": summary,
        "request": "要求支付拖欠的工资",
        "facts_reasons": "本人在该公司务工八个月，工资一直未结清。",
        "petitioners": [{
            "person": {
                "name": name,
                "id_number": id,
                "phone": "13812345678",
                "current_address": "浙江省杭州市西湖区文新街道123号"
            }
        }]
    })
}
