//! The one list of operations. The CLI (`xinfang call`, `xinfang ops`), the HTTP API and the
//! Tauri shell all dispatch through `call`; none of them keeps a list of its own, so an
//! operation added here is reachable everywhere at once, with its JSON Schemas.

use schemars::{Schema, SchemaGenerator};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    Error, Result,
    api::{self, *},
    audit,
    auth::Session,
    domain::calendar::CalendarYear,
    model::Role,
    register::Register,
};

/// Who may run an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without signing in (only `auth_login`).
    Public,
    /// Any signed-in user.
    AnyUser,
    /// Only these roles.
    Roles(&'static [Role]),
}

/// One operation of the surface.
pub struct Operation {
    /// Name used on every wire (`matter_register`).
    pub name: &'static str,
    /// What it does, in Chinese (shown by `xinfang ops`).
    pub summary_zh: &'static str,
    /// Who may run it.
    pub access: Access,
    /// Whether it changes the register.
    pub mutates: bool,
    /// JSON Schema of the input.
    pub input_schema: fn(&mut SchemaGenerator) -> Schema,
    /// JSON Schema of the output.
    pub output_schema: fn(&mut SchemaGenerator) -> Schema,
    /// Rust type names of input and output (for the generated TypeScript).
    pub type_names: (&'static str, &'static str),
    /// Decodes an input as the operation would, without running it (the fuzzer's entry to
    /// the operation JSON decoder).
    pub decode_only: fn(serde_json::Value) -> Result<()>,
    run: fn(&mut Register, Option<&Session>, serde_json::Value) -> Result<serde_json::Value>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("name", &self.name)
            .finish()
    }
}

const CASE_WRITERS: &[Role] = &[
    Role::Guide,
    Role::Interviewer,
    Role::Handler,
    Role::Supervisor,
];
const HANDLERS: &[Role] = &[Role::Interviewer, Role::Handler, Role::Supervisor];
const ADMINS: &[Role] = &[Role::Admin];
/// Users and the security settings: the security administrator, and the system administrator
/// until the centre has one (`api::check_user_admin` enforces the second half).
const USER_ADMINS: &[Role] = &[Role::SecurityAdmin, Role::Admin];
/// Those who may change some setting (`settings_set` checks which group each may touch).
const SETTING_ADMINS: &[Role] = &[Role::Admin, Role::SecurityAdmin];
/// The audit trail: the audit administrator reads everyone's but the audit administrators',
/// the security administrator reads only theirs, so nobody reviews their own trail.
const AUDIT_READERS: &[Role] = &[Role::Auditor, Role::SecurityAdmin];
/// Matters and people: the centre's staff. The security and audit administrators are not
/// cleared for petitions (三员分立 keeps them off the business data).
const CASE_READERS: &[Role] = &[
    Role::Guide,
    Role::Interviewer,
    Role::Handler,
    Role::Supervisor,
    Role::Admin,
];
const SUPERVISORS: &[Role] = &[Role::Supervisor];
const OVERSEERS: &[Role] = &[Role::Supervisor, Role::Admin];
/// Those who print, and the administrator who sets the default printers.
const PRINTER_USERS: &[Role] = &[
    Role::Interviewer,
    Role::Handler,
    Role::Supervisor,
    Role::Admin,
];

/// Decodes an operation's input, naming the offending field on failure.
///
/// Control characters are refused first, wherever they are: no field of the register wants
/// them, they hide text on screen and on paper, and a NUL cuts strings short in other tools.
/// Line breaks and tabs are ordinary text.
pub fn decode<T: DeserializeOwned>(input: serde_json::Value) -> Result<T> {
    if let Some(field) = control_character_at(&input, &mut String::new()) {
        return Err(Error::field(
            "control_character",
            field,
            "内容含有不可见的控制字符，请删除后重新填写",
        ));
    }
    serde_path_to_error::deserialize(input).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { String::new() } else { path };
        Error::BadInput {
            field,
            message: format!("输入格式不正确：{}", err.inner()),
        }
    })
}

/// The path (as `serde_path_to_error` writes it: `a.b[0].c`) of the first string holding a
/// control character other than a line break or tab; object keys count too.
fn control_character_at(value: &serde_json::Value, path: &mut String) -> Option<String> {
    let bad = |s: &str| {
        s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    };
    match value {
        serde_json::Value::String(s) => bad(s).then(|| path.clone()),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = control_character_at(item, path);
            path.truncate(len);
            found
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = if bad(key) {
                Some(path.clone())
            } else {
                control_character_at(item, path)
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

fn encode<T: Serialize>(value: T) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(value)?)
}

fn signed_in(session: Option<&Session>) -> Result<&Session> {
    session.ok_or_else(|| Error::Unauthenticated("请先登录".into()))
}

macro_rules! operations {
    ($(
        $name:ident($input:ty) -> $output:ty, $access:expr, mutates: $mutates:literal, $zh:literal;
    )+) => {
        /// Every operation, in the order `xinfang ops` lists them.
        pub static OPERATIONS: &[Operation] = &[$(
            Operation {
                name: stringify!($name),
                summary_zh: $zh,
                access: $access,
                mutates: $mutates,
                input_schema: |g| g.subschema_for::<$input>(),
                output_schema: |g| g.subschema_for::<$output>(),
                type_names: (stringify!($input), stringify!($output)),
                decode_only: |input| decode::<$input>(input).map(|_| ()),
                run: |register, _session, input| {
                    let input: $input = decode(input)?;
                    encode(operations!(@call $name, register, _session, input))
                },
            },
        )+];
    };
    (@call auth_login, $register:ident, $session:ident, $input:ident) => {
        api::auth_login($register, $input)?
    };
    (@call hall_board, $register:ident, $session:ident, $input:ident) => {
        api::hall_board($register, $input)?
    };
    (@call $name:ident, $register:ident, $session:ident, $input:ident) => {
        api::$name($register, signed_in($session)?, $input)?
    };
}

operations! {
    auth_login(LoginInput) -> LoginOutput, Access::Public, mutates: false, "登录";
    auth_logout(LogoutInput) -> Done, Access::AnyUser, mutates: false, "退出登录";
    session_me(Empty) -> Me, Access::AnyUser, mutates: false, "当前用户与接待中心";
    password_change(PasswordChangeInput) -> Done, Access::AnyUser, mutates: true, "修改本人密码";
    user_create(UserCreateInput) -> User, Access::Roles(USER_ADMINS), mutates: true, "新建用户";
    user_list(Empty) -> Vec<User>, Access::Roles(USER_ADMINS), mutates: false, "用户列表";
    user_set_active(UserActiveInput) -> User, Access::Roles(USER_ADMINS), mutates: true, "启用、停用用户（停用立即退出其登录）";
    user_password_reset(UserIdInput) -> PasswordResetOutput, Access::Roles(USER_ADMINS), mutates: true, "重置用户密码（临时密码，须于下次登录时修改）";
    settings_get(Empty) -> Settings, Access::AnyUser, mutates: false, "查看设置";
    settings_set(Settings) -> Settings, Access::Roles(SETTING_ADMINS), mutates: true, "修改设置";
    codes_list(CodesInput) -> Vec<crate::domain::codes::CodeEntry>, Access::AnyUser, mutates: false, "代码表";
    id_number_check(IdNumberInput) -> IdNumberInfo, Access::AnyUser, mutates: false, "校验身份证号码";
    phone_check(PhoneInput) -> PhoneInfo, Access::AnyUser, mutates: false, "校验电话号码";
    person_register(PersonInput) -> Person, Access::Roles(CASE_WRITERS), mutates: true, "登记信访人";
    person_update(PersonUpdateInput) -> Person, Access::Roles(CASE_WRITERS), mutates: true, "修改信访人信息";
    person_get(PersonGetInput) -> PersonWithMatters, Access::Roles(CASE_READERS), mutates: false, "信访人详情及其信访事项";
    person_lookup(PersonLookupInput) -> Vec<PersonWithMatters>, Access::Roles(CASE_READERS), mutates: false, "查找信访人（重复信访检查）";
    visit_register(VisitInput) -> Visit, Access::Roles(CASE_WRITERS), mutates: true, "登记来访批次";
    matter_register(MatterInput) -> Matter, Access::Roles(CASE_WRITERS), mutates: true, "登记信访事项";
    matter_get(MatterGetInput) -> MatterDetail, Access::Roles(CASE_READERS), mutates: false, "信访事项详情及时间线";
    matter_search(SearchInput) -> SearchPage, Access::Roles(CASE_READERS), mutates: false, "查询信访事项";
    matter_stats(StatsInput) -> MatterStats, Access::Roles(CASE_READERS), mutates: false, "登记情况统计";
    matter_link_repeat(RepeatLinkInput) -> Matter, Access::Roles(CASE_WRITERS), mutates: true, "确认重复信访并关联";
    matter_step_record(StepInput) -> Step, Access::Roles(HANDLERS), mutates: true, "记录办理步骤";
    matter_classify(ClassifyInput) -> Matter, Access::Roles(HANDLERS), mutates: true, "更正内容分类、问题属地、涉及单位";
    matter_conflict_resolve(ConflictResolveInput) -> MatterDetail, Access::Roles(SUPERVISORS), mutates: true, "决定与县级更正冲突的取值";
    attachment_add(AttachmentInput) -> Attachment, Access::Roles(CASE_WRITERS), mutates: true, "登记附件";
    matter_notice(NoticeInput) -> Step, Access::Roles(HANDLERS), mutates: true, "书面告知信访人";
    matter_accept(AcceptInput) -> Step, Access::Roles(HANDLERS), mutates: true, "受理";
    matter_not_accept(RefusalInput) -> Step, Access::Roles(HANDLERS), mutates: true, "不予受理";
    matter_no_longer_accept(RefusalInput) -> Step, Access::Roles(HANDLERS), mutates: true, "不再受理";
    matter_forward(HandOverInput) -> Step, Access::Roles(HANDLERS), mutates: true, "转送";
    matter_assign(HandOverInput) -> Step, Access::Roles(HANDLERS), mutates: true, "交办";
    matter_extend(ExtendInput) -> Step, Access::Roles(HANDLERS), mutates: true, "延长办理期限";
    matter_answer(OpinionInput) -> Step, Access::Roles(HANDLERS), mutates: true, "答复（处理意见书及送达）";
    matter_review_request(AppealInput) -> Step, Access::Roles(HANDLERS), mutates: true, "收到复查申请";
    matter_review_opinion(OpinionInput) -> Step, Access::Roles(HANDLERS), mutates: true, "复查意见及送达";
    matter_recheck_request(AppealInput) -> Step, Access::Roles(HANDLERS), mutates: true, "收到复核申请";
    matter_recheck_opinion(OpinionInput) -> Step, Access::Roles(HANDLERS), mutates: true, "复核意见及送达";
    matter_close(CloseInput) -> Step, Access::Roles(HANDLERS), mutates: true, "办结";
    matter_supervise(SuperviseInput) -> Step, Access::Roles(SUPERVISORS), mutates: true, "催办、督办";
    matter_ownership_set(OwnershipInput) -> Ownership, Access::Roles(SUPERVISORS), mutates: true, "包案（四定四包）";
    followup_record(FollowupInput) -> Followup, Access::Roles(HANDLERS), mutates: true, "回访及评价";
    clocks_list(ClocksInput) -> ClockPage, Access::Roles(HANDLERS), mutates: false, "时限监督（逾期、到期、临期）";
    report_data(ReportInput) -> Report, Access::Roles(OVERSEERS), mutates: false, "月报、年报数据";
    report_export(ReportInput) -> ExportFile, Access::Roles(OVERSEERS), mutates: false, "导出月报、年报（Excel）";
    report_pdf(ReportInput) -> ExportFile, Access::Roles(OVERSEERS), mutates: false, "导出月报、年报（PDF）";
    indicators(IndicatorsInput) -> Vec<Indicator>, Access::Roles(OVERSEERS), mutates: false, "考核指标（三率等）";
    indicator_cases(IndicatorCasesInput) -> Vec<IndicatorCase>, Access::Roles(OVERSEERS), mutates: false, "指标明细";
    letter_options(MatterGetInput) -> Vec<LetterOption>, Access::Roles(HANDLERS), mutates: false, "本事项可出具的文书";
    letter_preview(LetterInput) -> LetterOutput, Access::Roles(HANDLERS), mutates: false, "文书预览";
    letter_issue(LetterInput) -> LetterOutput, Access::Roles(HANDLERS), mutates: true, "出具文书";
    letter_print(LetterPrintInput) -> IssuedLetter, Access::Roles(HANDLERS), mutates: true, "打印文书";
    letter_list(MatterGetInput) -> Vec<IssuedLetter>, Access::Roles(HANDLERS), mutates: false, "已出具文书及打印记录";
    letter_printers(Empty) -> Vec<String>, Access::Roles(PRINTER_USERS), mutates: false, "可用打印机";
    hall_setup_get(Empty) -> HallSetup, Access::AnyUser, mutates: false, "候访设置（队列、接待室、优先类别）";
    hall_queue_set(QueueInput) -> HallSetup, Access::Roles(ADMINS), mutates: true, "设置队列";
    hall_room_set(RoomInput) -> HallSetup, Access::Roles(ADMINS), mutates: true, "设置接待室";
    hall_room_state(RoomStateInput) -> Room, Access::Roles(HANDLERS), mutates: true, "接待室开放、暂停、关闭";
    ticket_issue(TicketInput) -> Ticket, Access::Roles(CASE_WRITERS), mutates: true, "取号";
    ticket_document(TicketIdInput) -> LetterOutput, Access::Roles(CASE_WRITERS), mutates: false, "排队凭条（PDF）";
    interview_document(InterviewIdInput) -> LetterOutput, Access::Roles(HANDLERS), mutates: false, "接谈记录（PDF，供信访人阅读签字）";
    ticket_list(TicketListInput) -> Vec<Ticket>, Access::Roles(CASE_WRITERS), mutates: false, "今日号码";
    ticket_call_next(CallInput) -> Ticket, Access::Roles(HANDLERS), mutates: true, "叫号";
    ticket_recall(TicketIdInput) -> Ticket, Access::Roles(HANDLERS), mutates: true, "复呼";
    ticket_no_show(TicketIdInput) -> Ticket, Access::Roles(HANDLERS), mutates: true, "过号";
    ticket_transfer(TransferInput) -> Ticket, Access::Roles(CASE_WRITERS), mutates: true, "转队";
    ticket_park(TicketIdInput) -> Ticket, Access::Roles(HANDLERS), mutates: true, "暂挂";
    ticket_resume(TicketIdInput) -> Ticket, Access::Roles(CASE_WRITERS), mutates: true, "恢复等候";
    ticket_start(TicketIdInput) -> Ticket, Access::Roles(HANDLERS), mutates: true, "开始接谈";
    interview_record(InterviewInput) -> Interview, Access::Roles(HANDLERS), mutates: true, "接谈记录及处理方式";
    hall_board(Empty) -> Board, Access::Public, mutates: false, "候访屏（姓名遮挡）";
    hall_stats(HallStatsInput) -> HallStats, Access::Roles(OVERSEERS), mutates: false, "候访统计";
    hall_stats_export(HallStatsInput) -> ExportFile, Access::Roles(OVERSEERS), mutates: false, "导出候访统计（Excel）";
    risk_register(RiskInput) -> Risk, Access::Roles(HANDLERS), mutates: true, "登记矛盾纠纷（排查）";
    risk_progress(RiskProgressInput) -> Risk, Access::Roles(HANDLERS), mutates: true, "记录矛盾纠纷化解进展";
    risk_close(RiskCloseInput) -> Risk, Access::Roles(SUPERVISORS), mutates: true, "矛盾纠纷销号";
    risk_list(RiskListInput) -> Vec<Risk>, Access::Roles(HANDLERS), mutates: false, "矛盾纠纷排查台账";
    calendar_get(Empty) -> CalendarInfo, Access::AnyUser, mutates: false, "节假日安排";
    calendar_import(CalendarYear) -> CalendarInfo, Access::Roles(ADMINS), mutates: true, "导入全年节假日安排";
    calendar_overlay_set(OverlayInput) -> CalendarInfo, Access::Roles(ADMINS), mutates: true, "设置本县节假日调整";
    clocks_calendar_check(Empty) -> Vec<ClockMove>, Access::Roles(OVERSEERS), mutates: false, "节假日表更新后的期限核对";
    sync_status(Empty) -> SyncStatus, Access::Roles(OVERSEERS), mutates: false, "与县级枢纽的同步状态";
    sync_configure(SyncConfigureInput) -> SyncStatus, Access::Roles(ADMINS), mutates: false, "设置县级枢纽地址与注册码";
    sync_request(Empty) -> Done, Access::Roles(OVERSEERS), mutates: false, "立即同步";
    county_inbox_list(InboxListInput) -> Vec<InboxEvent>, Access::Roles(OVERSEERS), mutates: false, "县级下发（交办、转送、督办等）";
    person_county_matters(CountyLookupInput) -> CountyLookup, Access::Roles(CASE_READERS), mutates: false, "查询信访人在县内其他中心的信访记录";
    county_inbox_retry(InboxRetryInput) -> InboxEvent, Access::Roles(SUPERVISORS), mutates: true, "重新处理未能接收的县级下发";
    audit_list(AuditListInput) -> AuditPage, Access::Roles(AUDIT_READERS), mutates: false, "查看审计记录";
    audit_export(AuditListInput) -> ExportFile, Access::Roles(AUDIT_READERS), mutates: false, "导出审计记录（Excel）";
}

/// Finds an operation by name.
pub fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|op| op.name == name)
}

/// What a user with an initial or reset password may still do.
pub const BEFORE_PASSWORD_CHANGE: &[&str] = &["password_change", "session_me", "auth_logout"];

/// Runs operation `name` with JSON `input` as `session`: the single entry point of every
/// adapter. Checks sign-in, a pending forced password change and role before the input is even
/// decoded. The desk is the session's (where it signed in), or none.
pub fn call(
    register: &mut Register,
    session: Option<&Session>,
    name: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value> {
    let desk = session.map(|s| s.desk.clone()).unwrap_or_default();
    call_from(register, session, &desk, name, input)
}

/// Like `call`, naming the desk the call came from (a LAN address, `audit::DESK_HOST`,
/// `audit::DESK_CLI`) for the audit trail and the sign-in rate limit.
pub fn call_from(
    register: &mut Register,
    session: Option<&Session>,
    desk: &str,
    name: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value> {
    let op = find(name);
    let mutates = op.is_some_and(|op| op.mutates);
    let audited = mutates || audit::AUDITED_READS.contains(&name);
    let mut entry = audit::Entry::new(session, desk, name).with_object_from(&input);
    if name.starts_with("audit_") {
        // Its filters (a user name, a desk) are not what the read was done to.
        entry.object.clear();
    }
    if name == "auth_login" {
        entry.username = input
            .get("username")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .trim()
            .to_owned();
        entry.object = entry.username.clone();
        // Named by role even when the password was wrong, so that attempts on an audit
        // administrator's account reach the security administrator, not the auditors.
        entry.role = role_of_name(register, &entry.username);
    }
    register.set_pending_audit(Some(entry));
    let result = match op {
        None => Err(Error::UnknownOperation(name.chars().take(64).collect())),
        Some(op) => admit(op, session).and_then(|()| (op.run)(register, session, input)),
    };
    // Still pending: no write took the row into its transaction.
    let Some(mut entry) = register.take_pending_audit() else {
        return result;
    };
    let now = register.now();
    match &result {
        Ok(output) if audited => {
            if name == "auth_login" {
                let user = output.get("user");
                entry.user_id = user
                    .and_then(|u| u.get("user_id"))
                    .and_then(|v| v.as_str())
                    .and_then(|v| uuid::Uuid::parse_str(v).ok());
                entry.role = user
                    .and_then(|u| u.get("role"))
                    .and_then(|v| v.as_str())
                    .and_then(Role::from_code);
            }
            audit::record(register.conn(), now, &entry)?;
        }
        Err(error) if audit::audits_failure(audited, error) => {
            entry.outcome = error.code().to_owned();
            entry.detail = error.to_api().message;
            // A refusal is answered even when its row cannot be written: the refusal itself
            // is the safe outcome, and hiding it behind a storage error would help nobody.
            let _ = audit::record(register.conn(), now, &entry);
        }
        _ => {}
    }
    result
}

/// Checks a user name and password for a one-off call (the CLI's `--user`), with the same
/// per-desk rate limit and audit row as `auth_login`, but opening no session.
pub fn authenticate_from(
    register: &mut Register,
    desk: &str,
    username: &str,
    password: &str,
) -> Result<Session> {
    let mut entry = audit::Entry::new(None, desk, "auth_login");
    entry.username = username.trim().to_owned();
    entry.object = entry.username.clone();
    entry.role = role_of_name(register, &entry.username);
    register.set_pending_audit(Some(entry.clone()));
    let result = crate::auth::authenticate(register, username.trim(), password);
    register.take_pending_audit();
    match &result {
        Ok(session) => {
            entry.user_id = Some(session.user_id);
            entry.role = Some(session.role);
        }
        Err(error) => {
            entry.outcome = error.code().to_owned();
            entry.detail = error.to_api().message;
        }
    }
    let now = register.now();
    audit::record(register.conn(), now, &entry)?;
    result.map(|session| Session {
        desk: desk.to_owned(),
        ..session
    })
}

/// The role of the account named `username`, if there is one.
fn role_of_name(register: &Register, username: &str) -> Option<Role> {
    register
        .conn()
        .prepare_cached("SELECT role FROM users WHERE username = ?1")
        .and_then(|mut s| s.query_row([username], |r| r.get::<_, String>(0)))
        .ok()
        .and_then(|code| Role::from_code(&code))
}

/// The checks before an operation runs: signed in, no pending forced password change, role.
fn admit(op: &Operation, session: Option<&Session>) -> Result<()> {
    if op.access != Access::Public
        && let Some(who) = session
        && who.must_change_password
        && !BEFORE_PASSWORD_CHANGE.contains(&op.name)
    {
        return Err(Error::Account {
            code: "password_change_required",
            message: "当前密码是初始密码或已被管理员重置，请先修改密码".into(),
        });
    }
    match op.access {
        Access::Public => {}
        Access::AnyUser => {
            signed_in(session)?;
        }
        Access::Roles(roles) => {
            let who = signed_in(session)?;
            if !roles.contains(&who.role) {
                return Err(Error::Forbidden {
                    operation: op.name.to_owned(),
                    role: who.role.name_zh().to_owned(),
                });
            }
        }
    }
    Ok(())
}

/// Like `call_from`, but resolves a bearer token first; what the HTTP and Tauri adapters use.
///
/// A public operation (signing in) ignores the token: a stale token left in a desk's storage
/// must not stop its user from signing in again. A token that no longer resolves is refused
/// and audited like any other refusal.
pub fn call_with_token(
    register: &mut Register,
    token: Option<&str>,
    desk: &str,
    name: &str,
    input: serde_json::Value,
) -> Result<serde_json::Value> {
    let public = find(name).is_some_and(|op| op.access == Access::Public);
    let session = match token {
        Some(token) if !public => match crate::auth::session_for_token(register, token) {
            Ok(session) => Some(session),
            Err(error) => {
                let mut entry = audit::Entry::new(None, desk, name).with_object_from(&input);
                entry.outcome = error.code().to_owned();
                entry.detail = error.to_api().message;
                let now = register.now();
                let _ = audit::record(register.conn(), now, &entry);
                return Err(error);
            }
        },
        _ => None,
    };
    let out = call_from(register, session.as_ref(), desk, name, input)?;
    // A changed password ends the user's other sessions (a desk left signed in elsewhere, or
    // someone who learnt the old password), but not the one that changed it.
    if name == "password_change"
        && let (Some(token), Some(session)) = (token, &session)
    {
        crate::auth::close_sessions_except(register.conn(), session.user_id, token)?;
    }
    Ok(out)
}
