//! Operations about the system rather than cases: signing in, users, settings, code tables and
//! the field checks the forms call while a clerk types (ID number, phone).

use rusqlite::{Connection, OptionalExtension};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{limits, required_text};
use crate::{
    Error, Result,
    auth::{self, Session},
    clock::china_date,
    domain::{
        codes::{CodeEntry, CodeTable},
        deadline::Rollover,
        idcard::{self, LegacyPolicy},
        phone,
    },
    events::{EventBody, UserRecord},
    model::Role,
    register::Register,
};

/// Sign-in request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    /// 用户名.
    pub username: String,
    /// 密码.
    pub password: String,
}

/// A successful sign-in.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LoginOutput {
    /// Bearer token for later calls.
    pub token: String,
    /// Who signed in.
    pub user: Session,
    /// The password is an initial or reset one: until `password_change`, every operation but
    /// `password_change`, `session_me` and `auth_logout` is refused (`password_change_required`).
    pub must_change_password: bool,
}

/// 登录.
pub fn auth_login(register: &mut Register, input: LoginInput) -> Result<LoginOutput> {
    if input.username.trim().is_empty() {
        return Err(Error::required("username", "用户名"));
    }
    if input.password.is_empty() {
        return Err(Error::required("password", "密码"));
    }
    let user = auth::authenticate(register, input.username.trim(), &input.password)?;
    let token = auth::open_session(register, &user)?;
    Ok(LoginOutput {
        token,
        must_change_password: user.must_change_password,
        user,
    })
}

/// Sign-out request.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogoutInput {
    /// The token to end.
    pub token: String,
}

/// Nothing to return.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Done {
    /// Always true.
    pub ok: bool,
}

/// 退出登录.
pub fn auth_logout(register: &mut Register, _who: &Session, input: LogoutInput) -> Result<Done> {
    auth::close_session(register, &input.token)?;
    Ok(Done { ok: true })
}

/// No input.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Who am I, and which centre is this.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Me {
    /// The signed-in user.
    pub user: Session,
    /// Role name in Chinese.
    pub role_name: String,
    /// Centre code.
    pub centre_code: String,
    /// Centre name.
    pub centre_name: String,
    /// The user must change an initial or reset password before anything else.
    pub must_change_password: bool,
    /// The centre has an active 安全管理员: users and the security settings are theirs, not
    /// the system administrator's (三员分立); the UI shows those read-only instead of letting
    /// a save be refused.
    pub security_admin_present: bool,
}

/// 当前用户.
pub fn session_me(register: &mut Register, who: &Session, _input: Empty) -> Result<Me> {
    let security_admin_present = has_security_admin(register.conn())?;
    let centre = register.centre()?;
    Ok(Me {
        user: who.clone(),
        role_name: who.role.name_zh().to_owned(),
        centre_code: centre.code.clone(),
        centre_name: centre.name.clone(),
        must_change_password: who.must_change_password,
        security_admin_present,
    })
}

/// A new user account.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreateInput {
    /// 用户名 (letters, digits, `_`, `.`, `-`).
    pub username: String,
    /// 姓名.
    pub display_name: String,
    /// 角色.
    pub role: Role,
    /// Initial password, which the user must change at the first sign-in.
    pub password: String,
}

/// A user as listed to administrators.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// 用户名.
    pub username: String,
    /// 姓名.
    pub display_name: String,
    /// 角色.
    pub role: Role,
    /// 角色名称.
    pub role_name: String,
    /// Enabled.
    pub active: bool,
    /// Has an initial or reset password not yet changed.
    pub must_change_password: bool,
}

/// 新建用户.
pub fn user_create(register: &mut Register, who: &Session, input: UserCreateInput) -> Result<User> {
    check_user_admin(register.conn(), who)?;
    let record = new_user_record(register, input)?;
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::UserCreated(record.clone()))?;
        Ok(())
    })?;
    user_by_id(register.conn(), record.user_id)
}

/// Validates a new user and hashes the password (outside the transaction: hashing is slow).
///
/// The record says `must_change_password`: the administrator typed the password, so the user
/// changes it at the first sign-in. Accounts whose password is already the user's own (the
/// demo staff, test fixtures) clear it before recording.
pub fn new_user_record(register: &mut Register, input: UserCreateInput) -> Result<UserRecord> {
    let username = required_text(&input.username, "username", "用户名", limits::CODE)?;
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(Error::field(
            "invalid_username",
            "username",
            "用户名只能包含英文字母、数字和 _ . -",
        ));
    }
    let taken: bool = register
        .conn()
        .query_row(
            "SELECT 1 FROM users WHERE username = ?1",
            [&username],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if taken {
        return Err(Error::Conflict {
            field: "username".into(),
            message: format!("用户名 {username} 已被使用"),
        });
    }
    let display_name = required_text(&input.display_name, "display_name", "姓名", limits::NAME)?;
    auth::check_password_policy(&input.password, &username, "password")?;
    Ok(UserRecord {
        user_id: register.next_id(),
        username,
        display_name,
        role: input.role,
        password_hash: auth::hash_password(&input.password)?,
        must_change_password: true,
    })
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let id: String = row.get(0)?;
    let role: String = row.get(3)?;
    let role = Role::from_code(&role).unwrap_or(Role::Guide);
    Ok(User {
        id: Uuid::parse_str(&id).unwrap_or_default(),
        username: row.get(1)?,
        display_name: row.get(2)?,
        role,
        role_name: role.name_zh().to_owned(),
        active: row.get(4)?,
        must_change_password: row.get(5)?,
    })
}

fn user_by_id(conn: &Connection, id: Uuid) -> Result<User> {
    conn.query_row(
        "SELECT id, username, display_name, role, active, must_change_password FROM users
         WHERE id = ?1",
        [id.to_string()],
        user_from_row,
    )
    .optional()?
    .ok_or_else(|| Error::NotFound {
        what: "用户",
        id: id.to_string(),
    })
}

/// 用户列表.
pub fn user_list(register: &mut Register, who: &Session, _input: Empty) -> Result<Vec<User>> {
    check_user_admin(register.conn(), who)?;
    let mut stmt = register.conn().prepare(
        "SELECT id, username, display_name, role, active, must_change_password FROM users
         ORDER BY created_at, username",
    )?;
    let users = stmt
        .query_map([], user_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(users)
}

/// Change one's own password.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeInput {
    /// 原密码.
    pub old_password: String,
    /// 新密码.
    pub new_password: String,
}

/// 修改密码: the old password, then the policy and the history; clears a forced change.
pub fn password_change(
    register: &mut Register,
    who: &Session,
    input: PasswordChangeInput,
) -> Result<Done> {
    let current: Option<String> = register
        .conn()
        .query_row(
            "SELECT password_hash FROM users WHERE id = ?1",
            [who.user_id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    if !current.is_some_and(|hash| auth::verify_password(&input.old_password, &hash)) {
        return Err(Error::field(
            "wrong_password",
            "old_password",
            "原密码不正确",
        ));
    }
    auth::check_password_policy(&input.new_password, &who.username, "new_password")?;
    auth::check_password_history(
        register.conn(),
        who.user_id,
        &input.new_password,
        "new_password",
    )?;
    let password_hash = auth::hash_password(&input.new_password)?;
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::UserPasswordChanged {
            user_id: who.user_id,
            password_hash,
        })?;
        Ok(())
    })?;
    Ok(Done { ok: true })
}

/// Whose account.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIdInput {
    /// The user.
    pub user_id: Uuid,
}

/// Enable or disable an account.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserActiveInput {
    /// The user.
    pub user_id: Uuid,
    /// `false` disables the account and ends its sessions at once.
    pub active: bool,
}

/// A reset password, shown to the administrator this once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PasswordResetOutput {
    /// The user, now with `must_change_password`.
    pub user: User,
    /// The temporary password to hand over; it is not stored anywhere in clear.
    pub temporary_password: String,
}

/// Refuses an administrator's action on their own account.
/// Whether the centre has an active 安全管理员.
fn has_security_admin(conn: &rusqlite::Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'security_admin' AND active)",
        )?
        .query_row([], |r| r.get(0))?)
}

/// 三员分立 for user management: the security administrator manages users; the system
/// administrator only until the centre has an active security administrator, so that a
/// one-person office can start and a staffed one keeps the duties apart.
pub fn check_user_admin(conn: &rusqlite::Connection, who: &Session) -> Result<()> {
    if who.role == Role::Admin && has_security_admin(conn)? {
        return Err(Error::Account {
            code: "separation_of_duties",
            message: "本中心已设安全管理员，用户账号由安全管理员管理（三员分立）".into(),
        });
    }
    Ok(())
}

/// The settings of the sign-in and session policy, which belong to the security
/// administrator; every other setting belongs to the system administrator.
pub const SECURITY_SETTINGS: &[&str] = &[
    "login_lockout_failures",
    "login_lockout_minutes",
    "session_idle_minutes",
    "session_max_hours",
];

fn not_oneself(who: &Session, user_id: Uuid, message: &str) -> Result<()> {
    if who.user_id == user_id {
        return Err(Error::field("own_account", "user_id", message));
    }
    Ok(())
}

/// 启用、停用用户: recorded as `user.active_changed`; disabling ends the user's sessions in
/// the same transaction, so their next request is refused.
pub fn user_set_active(
    register: &mut Register,
    who: &Session,
    input: UserActiveInput,
) -> Result<User> {
    check_user_admin(register.conn(), who)?;
    not_oneself(who, input.user_id, "不能停用或启用本人的账号")?;
    let user = user_by_id(register.conn(), input.user_id)?;
    if user.active == input.active {
        return Ok(user);
    }
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::UserActiveChanged {
            user_id: input.user_id,
            active: input.active,
        })?;
        if !input.active {
            auth::close_sessions_of(w.conn(), input.user_id)?;
        }
        Ok(())
    })?;
    user_by_id(register.conn(), input.user_id)
}

/// Characters of a temporary password.
const TEMPORARY_PASSWORD_CHARS: usize = 12;

/// 重置用户密码: a generated temporary password the user must change at the next sign-in;
/// their sessions end and a lockout is lifted.
pub fn user_password_reset(
    register: &mut Register,
    who: &Session,
    input: UserIdInput,
) -> Result<PasswordResetOutput> {
    check_user_admin(register.conn(), who)?;
    not_oneself(who, input.user_id, "本人的密码请在“设置”中修改")?;
    let user = user_by_id(register.conn(), input.user_id)?;
    let temporary_password = auth::generate_password(register, TEMPORARY_PASSWORD_CHARS);
    let password_hash = auth::hash_password(&temporary_password)?;
    register.write(&who.user_id.to_string(), |w| {
        w.record(EventBody::UserPasswordReset {
            user_id: input.user_id,
            password_hash,
        })?;
        auth::close_sessions_of(w.conn(), input.user_id)?;
        auth::clear_failures(w.conn(), &user.username)?;
        Ok(())
    })?;
    Ok(PasswordResetOutput {
        user: user_by_id(register.conn(), input.user_id)?,
        temporary_password,
    })
}

/// What the centre's administrator can set. Every value has a default that follows the law or
/// the most common local practice (domain.md marks the uncertain ones ❓).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// 15-digit legacy ID numbers: `convert` to 18 digits, or `reject`.
    pub legacy_id_numbers: LegacyIdSetting,
    /// From how many visitors a visit counts as a group visit (集体访). ❓ local practice: 5.
    pub group_visit_threshold: u32,
    /// Days left at or below which a clock shows 临期. Default 3.
    pub clock_approaching_days: u32,
    /// Whether a calendar-day limit ending on a rest day moves to the next working day (the
    /// 民法典 Art. 203 reading). Off by default: the 条例 does not say so (domain.md §1.10).
    pub deadline_rollover: Rollover,
    /// Whether 基本满意 counts as satisfied in 参评群众满意率 (some places count only 满意).
    pub satisfaction_counts_basic: bool,
    /// Days without a repeat after which a closed first petition counts as resolved
    /// (初信初访化解率). ❓ local practice: 90.
    pub first_petition_resolution_days: u32,
    /// 发文机关署名 on notices: the authorised body's full name (not an internal office).
    /// Empty: the centre's name.
    pub issuer_name: String,
    /// 咨询电话 printed on notices and letters.
    pub contact_phone: String,
    /// Where a petitioner may ask for 复查 when the answer does not name it.
    pub default_review_body: String,
    /// An installed font file for letters instead of the bundled Noto Serif CJK SC, e.g. the
    /// office's licensed 仿宋_GB2312 (a path on the host). Empty: the bundled font.
    pub letter_font_path: String,
    /// Printer for A4 documents (CUPS queue name; empty: the system default).
    pub letter_printer: String,
    /// Printer for queue tickets on the 80 mm receipt roll (empty: the system default).
    pub ticket_printer: String,
    /// Priority classes of the hall and their order.
    pub hall_priorities: Vec<super::PriorityClass>,
    /// A called visitor who does not come is put back behind this many waiting visitors.
    pub hall_no_show_requeue_after: u32,
    /// After this many no-shows the ticket is marked 过号 for good.
    pub hall_no_show_limit: u32,
    /// A no-show goes to the end of its class instead of behind `hall_no_show_requeue_after`.
    pub hall_no_show_to_end: bool,
    /// 复呼 at most this many times for a ticket; then the room marks 过号. ❓ local practice: 2.
    pub hall_recall_limit: u32,
    /// 接待时间, e.g. `08:30-12:00,14:00-17:30` (China time). Shown on the board and the guide
    /// desk; a ticket issued outside it is marked so, never refused (staff stay for late
    /// visitors). Empty: no hours set.
    pub hall_opening_hours: String,
    /// After this many failed sign-ins in a row the account is locked (等保: 登录失败处理).
    pub login_lockout_failures: u32,
    /// For how many minutes a locked account stays locked (the right password included).
    pub login_lockout_minutes: u32,
    /// A session ends after this many minutes without a request; the desk asks for the
    /// password again in place.
    pub session_idle_minutes: u32,
    /// A session ends this many hours after sign-in however busy it was.
    pub session_max_hours: u32,
}

/// How 15-digit legacy ID numbers are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegacyIdSetting {
    /// Convert to 18 digits (insert 19, compute the check digit).
    Convert,
    /// Refuse; ask for the current card.
    Reject,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            legacy_id_numbers: LegacyIdSetting::Convert,
            group_visit_threshold: 5,
            clock_approaching_days: crate::domain::deadline::DEFAULT_APPROACHING_DAYS,
            deadline_rollover: Rollover::None,
            satisfaction_counts_basic: true,
            first_petition_resolution_days: 90,
            issuer_name: String::new(),
            contact_phone: String::new(),
            default_review_body: "本机关的上一级行政机关".to_owned(),
            letter_font_path: String::new(),
            letter_printer: String::new(),
            ticket_printer: String::new(),
            hall_priorities: super::default_priorities(),
            hall_no_show_requeue_after: 3,
            hall_no_show_limit: 2,
            hall_no_show_to_end: false,
            hall_recall_limit: 2,
            hall_opening_hours: "08:30-12:00,14:00-17:30".to_owned(),
            login_lockout_failures: auth::DEFAULT_LOCKOUT_FAILURES,
            login_lockout_minutes: auth::DEFAULT_LOCKOUT_MINUTES,
            session_idle_minutes: auth::DEFAULT_SESSION_IDLE_MINUTES,
            session_max_hours: auth::DEFAULT_SESSION_MAX_HOURS,
        }
    }
}

impl Settings {
    /// Reads the settings in force (defaults for keys never set).
    pub fn load(conn: &Connection) -> Result<Settings> {
        let mut object = serde_json::to_value(Settings::default())?;
        let mut stmt = conn.prepare_cached("SELECT key, value FROM settings")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (key, value) = row?;
            if let Some(slot) = object.get_mut(&key) {
                *slot = serde_json::from_str(&value)?;
            }
        }
        Ok(serde_json::from_value(object).unwrap_or_default())
    }

    /// The ID-number policy for the domain parser.
    pub fn legacy_policy(&self) -> LegacyPolicy {
        match self.legacy_id_numbers {
            LegacyIdSetting::Convert => LegacyPolicy::Convert,
            LegacyIdSetting::Reject => LegacyPolicy::Reject,
        }
    }
}

/// 查看设置.
pub fn settings_get(register: &mut Register, _who: &Session, _input: Empty) -> Result<Settings> {
    Settings::load(register.conn())
}

/// 修改设置: every field given replaces the stored one (one event per changed key).
pub fn settings_set(register: &mut Register, who: &Session, input: Settings) -> Result<Settings> {
    // Every numeric setting has a sane range; the first one outside it is refused at its field.
    let ranges: [(u32, std::ops::RangeInclusive<u32>, &str, &str); 10] = [
        (
            input.group_visit_threshold,
            2..=u32::MAX,
            "group_visit_threshold",
            "集体访人数下限至少为2人",
        ),
        (
            input.clock_approaching_days,
            0..=30,
            "clock_approaching_days",
            "临期提醒天数应在0至30日之间",
        ),
        (
            input.first_petition_resolution_days,
            1..=3650,
            "first_petition_resolution_days",
            "初信初访化解的观察天数应在1至3650日之间",
        ),
        (
            input.hall_recall_limit,
            0..=10,
            "hall_recall_limit",
            "复呼次数上限应在0至10次之间",
        ),
        (
            input.hall_no_show_limit,
            1..=10,
            "hall_no_show_limit",
            "过号次数上限应在1至10次之间",
        ),
        (
            input.hall_no_show_requeue_after,
            0..=50,
            "hall_no_show_requeue_after",
            "过号后顺延人数应在0至50人之间",
        ),
        (
            input.login_lockout_failures,
            3..=10,
            "login_lockout_failures",
            "锁定前允许的连续登录失败次数应在3至10次之间",
        ),
        (
            input.login_lockout_minutes,
            1..=1440,
            "login_lockout_minutes",
            "账号锁定时间应在1至1440分钟之间",
        ),
        (
            input.session_idle_minutes,
            1..=240,
            "session_idle_minutes",
            "无操作自动退出时间应在1至240分钟之间",
        ),
        (
            input.session_max_hours,
            1..=24,
            "session_max_hours",
            "登录最长有效时间应在1至24小时之间",
        ),
    ];
    if let Some((_, _, field, message)) = ranges.iter().find(|(v, r, _, _)| !r.contains(v)) {
        return Err(Error::field("out_of_range", *field, *message));
    }
    if i64::from(input.session_max_hours) * 60 < i64::from(input.session_idle_minutes) {
        return Err(Error::field(
            "out_of_range",
            "session_max_hours",
            "登录最长有效时间不能短于无操作自动退出时间",
        ));
    }
    super::hall::parse_hours(&input.hall_opening_hours)?;
    super::hall::check_priorities(&input.hall_priorities)?;
    let font = input.letter_font_path.trim();
    if !font.is_empty() {
        // Refuse a path that is not a font the letters can use, before anyone prints with it.
        xinfang_letters::Font::from_file(std::path::Path::new(font), 0).map_err(|e| {
            Error::field(
                "invalid_font",
                "letter_font_path",
                format!("无法使用该字体文件：{}", e.message_zh()),
            )
        })?;
    }
    let current = serde_json::to_value(Settings::load(register.conn())?)?;
    let wanted = serde_json::to_value(&input)?;
    // 三员分立: each administrator changes only their own group of settings; the first
    // changed setting of the other group is refused at its field.
    let bootstrap = !has_security_admin(register.conn())?;
    if let (Some(current), Some(wanted)) = (current.as_object(), wanted.as_object()) {
        for (key, value) in wanted {
            if current.get(key) == Some(value) {
                continue;
            }
            let security = SECURITY_SETTINGS.contains(&key.as_str());
            let allowed = match who.role {
                Role::SecurityAdmin => security,
                Role::Admin => !security || bootstrap,
                _ => false,
            };
            if !allowed {
                let message = if security {
                    "登录与会话的安全设置由安全管理员修改（三员分立）"
                } else {
                    "该设置由系统管理员修改（三员分立）"
                };
                return Err(Error::field("separation_of_duties", key.clone(), message));
            }
        }
    }
    register.write(&who.user_id.to_string(), |w| {
        if let (Some(current), Some(wanted)) = (current.as_object(), wanted.as_object()) {
            for (key, value) in wanted {
                if current.get(key) != Some(value) {
                    w.record(EventBody::SettingChanged {
                        key: key.clone(),
                        value: value.clone(),
                    })?;
                }
            }
        }
        Ok(())
    })?;
    Settings::load(register.conn())
}

/// Which code table to list.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodesInput {
    /// The table.
    pub table: CodeTable,
}

/// 代码表.
pub fn codes_list(
    register: &mut Register,
    _who: &Session,
    input: CodesInput,
) -> Result<Vec<CodeEntry>> {
    Ok(register.codes().entries(input.table).to_vec())
}

/// An ID number to check as it is typed or read from a card.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdNumberInput {
    /// 身份证号码 (18 digits, or 15 legacy).
    pub id_number: String,
}

/// What an ID number says about its holder.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IdNumberInfo {
    /// Normalised 18-digit number.
    pub id_number: String,
    /// Masked for lists (`110105********002X`).
    pub masked: String,
    /// `male` / `female`.
    pub sex: String,
    /// 出生日期.
    pub birth_date: chrono::NaiveDate,
    /// 户籍地 code (first six digits).
    pub region_code: String,
    /// 户籍地 name path, when the code is in the bundled table.
    pub region_name: Option<String>,
    /// The input was a 15-digit number converted to 18.
    pub converted_from_legacy: bool,
}

/// 校验身份证号码.
pub fn id_number_check(
    register: &mut Register,
    _who: &Session,
    input: IdNumberInput,
) -> Result<IdNumberInfo> {
    let settings = Settings::load(register.conn())?;
    let today = china_date(register.now());
    let id = idcard::parse_id_number(&input.id_number, today, settings.legacy_policy())
        .map_err(|e| Error::field("invalid_id_number", "id_number", e.message_zh()))?;
    Ok(IdNumberInfo {
        id_number: id.as_str().to_owned(),
        masked: id.masked(),
        sex: sex_code(id.sex()).to_owned(),
        birth_date: id.birth_date(),
        region_code: id.region_code().to_owned(),
        region_name: register.codes().region_path(id.region_code()),
        converted_from_legacy: id.converted_from_legacy(),
    })
}

/// The stored code of a sex.
pub fn sex_code(sex: idcard::Sex) -> &'static str {
    match sex {
        idcard::Sex::Male => "male",
        idcard::Sex::Female => "female",
    }
}

/// A phone number to check.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneInput {
    /// 电话号码.
    pub phone: String,
}

/// A checked phone number.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PhoneInfo {
    /// Normalised number.
    pub phone: String,
    /// `mobile` / `landline`.
    pub kind: phone::PhoneKind,
    /// Masked for lists.
    pub masked: String,
    /// A warning to show (unusual prefix); the number is still accepted.
    pub warning: Option<String>,
}

/// 校验电话号码.
pub fn phone_check(
    _register: &mut Register,
    _who: &Session,
    input: PhoneInput,
) -> Result<PhoneInfo> {
    let parsed = phone::parse_phone(&input.phone)
        .map_err(|e| Error::field("invalid_phone", "phone", e.message_zh()))?;
    Ok(PhoneInfo {
        phone: parsed.as_str().to_owned(),
        kind: parsed.kind(),
        masked: parsed.masked(),
        warning: parsed.warning_zh().map(str::to_owned),
    })
}
