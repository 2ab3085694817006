//! Where the register lives on disk and how a data directory is opened or created.

use std::path::{Path, PathBuf};

use xinfang_core::{
    Register,
    clock::{SystemClock, SystemIds},
    events::{EventBody, UserRecord},
    model::Role,
    register::SYSTEM_ACTOR,
};

/// File name of the register inside a data directory.
pub const REGISTER_FILE: &str = "register.db";

/// The default data directory: `$XINFANG_DATA`, else the platform data directory
/// (`$XDG_DATA_HOME/xinfang-desk`, `~/.local/share/xinfang-desk`, `%APPDATA%\xinfang-desk`).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XINFANG_DATA") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("xinfang-desk");
    }
    if let Some(dir) = std::env::var_os("APPDATA") {
        return PathBuf::from(dir).join("xinfang-desk");
    }
    if let Some(home) = std::env::var_os("HOME") {
        return PathBuf::from(home).join(".local/share/xinfang-desk");
    }
    PathBuf::from("xinfang-data")
}

/// Path of the register file in `dir`.
pub fn register_path(dir: &Path) -> PathBuf {
    dir.join(REGISTER_FILE)
}

/// The lock file of a data directory (`flock`-style, released by the system when the holder
/// dies, so a `kill -9` leaves nothing stale).
pub const LOCK_FILE: &str = "register.lock";

/// A hold on a data directory: shared by every process that keeps the register open (`serve`,
/// the desktop host), exclusive for what replaces or rekeys the file underneath them
/// (`restore`, `rekey`). A server writing into a file that a restore has just moved aside would
/// lose what it confirms afterwards, so those two refuse while one runs.
#[derive(Debug)]
pub struct DirLock {
    _file: std::fs::File,
}

fn lock_file(dir: &Path) -> xinfang_core::Result<std::fs::File> {
    std::fs::create_dir_all(dir)?;
    Ok(std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))?)
}

/// The shared hold of a long-running user of the register.
pub fn lock_shared(dir: &Path) -> xinfang_core::Result<DirLock> {
    let file = lock_file(dir)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(DirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(xinfang_core::Error::Key {
            code: "register_in_use",
            message: "此数据目录正在恢复备份或轮换密钥，请稍后再启动".into(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

/// The exclusive hold of `restore` and `rekey`: refused while a server or the desktop host
/// has the register open.
pub fn lock_exclusive(dir: &Path) -> xinfang_core::Result<DirLock> {
    let file = lock_file(dir)?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(xinfang_core::Error::Key {
            code: "register_in_use",
            message: "登记簿正在使用中（xinfang serve 或桌面端正在运行）：请先停止它，再恢复备份或轮换密钥"
                .into(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

/// Opens the register in `dir` with the wall clock (creating the directory and file).
///
/// An administrator's replacement code tables, if present in `<dir>/codes/`, replace the
/// bundled ones (any file there replaces its table; the others stay bundled).
pub fn open(dir: &Path) -> xinfang_core::Result<Register> {
    std::fs::create_dir_all(dir)?;
    let mut register = Register::open(
        &register_path(dir),
        Box::new(SystemClock),
        Box::new(SystemIds),
    )?;
    let codes_dir = dir.join("codes");
    if codes_dir.is_dir() {
        let codes = xinfang_core::domain::codes::CodeTables::load_dir(&codes_dir).map_err(|e| {
            xinfang_core::Error::field("invalid_code_table", "codes", e.message_zh())
        })?;
        register.set_codes(codes);
    }
    // Fonts and templates an administrator puts in `<dir>/fonts` and `<dir>/templates`.
    register.set_letters_dir(Some(dir.to_path_buf()));
    register.set_printer(std::sync::Arc::new(LpPrinter));
    Ok(register)
}

/// Prints through CUPS (`lp`), which Linux and the 信创 systems share. Windows printing is not
/// implemented yet: there `print` reports that clearly instead of pretending.
#[derive(Debug, Clone, Copy)]
pub struct LpPrinter;

impl xinfang_core::register::Printer for LpPrinter {
    fn print(&self, pdf: &[u8], printer: &str, copies: u32) -> Result<(), String> {
        use std::io::Write;
        if cfg!(windows) {
            return print_windows(pdf, printer, copies);
        }
        let mut cmd = std::process::Command::new("lp");
        if !printer.is_empty() {
            cmd.args(["-d", printer]);
        }
        cmd.args(["-n", &copies.to_string(), "-t", "xinfang-desk", "-"]);
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("无法启动 lp（是否安装了 CUPS？）：{e}"))?;
        child
            .stdin
            .take()
            .ok_or("lp 没有输入管道")?
            .write_all(pdf)
            .map_err(|e| format!("写入 lp 失败：{e}"))?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }

    fn printers(&self) -> Vec<String> {
        let run = |args: &[&str]| {
            std::process::Command::new("lpstat")
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        // `lpstat -d` prints "system default destination: NAME" (localised on some systems, so
        // take the last word).
        let default = run(&["-d"])
            .split_whitespace()
            .last()
            .map(str::to_owned)
            .filter(|d| !d.ends_with(':'));
        let mut names: Vec<String> = run(&["-e"]).lines().map(|l| l.trim().to_owned()).collect();
        names.retain(|n| !n.is_empty());
        if let Some(default) = default
            && let Some(pos) = names.iter().position(|n| *n == default)
        {
            let d = names.remove(pos);
            names.insert(0, d);
        }
        names
    }
}

/// What `init` needs to know.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Centre code for case numbers.
    pub centre_code: String,
    /// Centre name.
    pub centre_name: String,
    /// First administrator's user name.
    pub admin_username: String,
    /// First administrator's password.
    pub admin_password: String,
    /// The password was generated and printed, not typed by the administrator: it must be
    /// changed at the first sign-in. A password the operator chose (`--admin-password`,
    /// `XINFANG_ADMIN_PASSWORD`, the desktop first-start form) is theirs already.
    pub admin_must_change_password: bool,
}

/// Creates the centre and its first administrator in an empty register.
pub fn init(register: &mut Register, options: &InitOptions) -> xinfang_core::Result<()> {
    let code = options.centre_code.trim();
    if code.is_empty() || code.len() > 16 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(xinfang_core::Error::field(
            "invalid_centre_code",
            "centre_code",
            "接待中心代码应为1到16位英文字母或数字",
        ));
    }
    xinfang_core::auth::check_password_policy(
        &options.admin_password,
        &options.admin_username,
        "admin_password",
    )?;
    let hash = xinfang_core::auth::hash_password(&options.admin_password)?;
    register.init_centre(code, options.centre_name.trim())?;
    let user_id = register.next_id();
    register.write(SYSTEM_ACTOR, |w| {
        w.record(EventBody::UserCreated(UserRecord {
            user_id,
            username: options.admin_username.clone(),
            display_name: "系统管理员".into(),
            role: Role::Admin,
            password_hash: hash,
            must_change_password: options.admin_must_change_password,
        }))?;
        Ok(())
    })?;
    default_hall(register, user_id)
}

/// The hall most centres start with; an administrator changes it under 候访设置.
fn default_hall(register: &mut Register, admin: uuid::Uuid) -> xinfang_core::Result<()> {
    use xinfang_core::events::{HallQueueRecord, HallRoomRecord};
    let queues = [
        ("general", "综合接待", "A", 15),
        ("legal", "法律咨询", "B", 20),
        ("leader", "领导接访", "C", 30),
        ("group", "集体访", "D", 40),
    ];
    let rooms: Vec<uuid::Uuid> = (0..3).map(|_| register.next_id()).collect();
    register.write(&admin.to_string(), |w| {
        for (position, (code, name, prefix, minutes)) in queues.iter().enumerate() {
            w.record(EventBody::HallQueueSet(HallQueueRecord {
                code: (*code).into(),
                name: (*name).into(),
                prefix: (*prefix).into(),
                service_minutes: *minutes,
                active: true,
                position: position as u32,
            }))?;
        }
        let serves: [&[&str]; 3] = [
            &["general", "legal"],
            &["general", "group"],
            &["leader", "general"],
        ];
        for (n, (room_id, serves)) in rooms.iter().zip(serves).enumerate() {
            w.record(EventBody::HallRoomSet(HallRoomRecord {
                room_id: *room_id,
                name: format!("{}号接待室", n + 1),
                queues: serves.iter().map(|q| (*q).to_owned()).collect(),
                state: "open".into(),
            }))?;
        }
        Ok(())
    })
}

/// A password for a first administrator nobody has chosen yet: 16 characters without
/// look-alikes that pass the password policy; the administrator changes it at the first sign-in.
pub fn generated_password(register: &mut Register) -> String {
    xinfang_core::auth::generate_password(register, 16)
}

/// Windows: the PDF goes to a temporary file and the shell's "PrintTo" verb prints it on the
/// chosen printer with the registered PDF application. Not exercised by the tests here (the
/// build machine has no Windows); Linux and 信创 systems print through CUPS above.
fn print_windows(pdf: &[u8], printer: &str, copies: u32) -> Result<(), String> {
    let path = std::env::temp_dir().join(format!("xinfang-print-{}.pdf", std::process::id()));
    std::fs::write(&path, pdf).map_err(|e| format!("无法写入临时文件：{e}"))?;
    let verb = if printer.is_empty() {
        format!(
            "Start-Process -FilePath '{}' -Verb Print -Wait",
            path.display()
        )
    } else {
        format!(
            "Start-Process -FilePath '{}' -Verb PrintTo -ArgumentList '\"{}\"' -Wait",
            path.display(),
            printer.replace('\'', "''")
        )
    };
    for _ in 0..copies.max(1) {
        let out = std::process::Command::new("powershell")
            .args(["-NoProfile", "-NonInteractive", "-Command", &verb])
            .output()
            .map_err(|e| format!("无法启动打印：{e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}
