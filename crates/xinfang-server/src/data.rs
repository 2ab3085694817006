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
    Ok(register)
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
    xinfang_core::auth::check_password_policy(&options.admin_password, "admin_password")?;
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
        }))?;
        Ok(())
    })?;
    Ok(())
}

/// A password for a first administrator nobody has chosen yet: 16 characters from the id
/// source's randomness, without look-alike characters.
pub fn generated_password(register: &mut Register) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = register.next_id().into_bytes();
    let more = register.next_id().into_bytes();
    bytes[6..]
        .iter()
        .chain(more[8..].iter())
        .take(16)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}
