//! `xinfang bundle export` / `import`: the county exchange on a USB stick for a centre with no
//! network. The rules are in `xinfang_core::sync` (what goes in, what is applied, which key is
//! trusted) and the format in `xinfang_sync::bundle`; this only signs the user in, draws the
//! randomness, and reads and writes the files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use xinfang_core::{
    Error,
    audit::{self, Entry},
    auth::Session,
    model::Role,
    ops, sync,
};
use xinfang_sync::bundle;

use crate::data;

/// 32 bytes from the operating system's randomness (for a key or a credential).
pub fn random_32() -> anyhow::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("no randomness from the system: {e}"))?;
    Ok(bytes)
}

/// Opens the register and signs in a system administrator: bundles carry the whole log, and
/// the sync panel is the administrator's too.
fn admin_register(
    data_dir: &Path,
    user: Option<String>,
    password: Option<String>,
) -> anyhow::Result<(xinfang_core::Register, Session)> {
    if !data::register_path(data_dir).exists() {
        return Err(Error::NotInitialised.into());
    }
    let mut register = data::open(data_dir)?;
    let (Some(user), Some(password)) = (user, password) else {
        return Err(Error::Unauthenticated(
            "同步包须由系统管理员导出导入：请通过 XINFANG_USER 和 XINFANG_PASSWORD 提供账号和密码"
                .into(),
        )
        .into());
    };
    let session = ops::authenticate_from(
        &mut register,
        xinfang_core::audit::DESK_CLI,
        &user,
        &password,
    )?;
    if session.role != Role::Admin {
        return Err(Error::Forbidden {
            operation: "bundle".into(),
            role: session.role.name_zh().into(),
        }
        .into());
    }
    Ok((register, session))
}

/// Records a bundle export or import in the audit trail: the whole log leaves or enters the
/// register on a stick, which 等保 wants on record like any export. A failure to write the
/// row is reported, never hidden.
fn record(
    register: &xinfang_core::Register,
    session: &Session,
    operation: &str,
    file: &Path,
    result: Result<String, &anyhow::Error>,
) -> anyhow::Result<()> {
    let mut entry = Entry::new(Some(session), audit::DESK_CLI, operation);
    entry.object = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match result {
        Ok(detail) => entry.detail = detail,
        Err(err) => {
            let (code, message) = match err.downcast_ref::<Error>() {
                Some(e) => (e.code().to_owned(), e.to_api().message),
                None => ("bundle_failed".to_owned(), err.to_string()),
            };
            entry.outcome = code;
            entry.detail = message;
        }
    }
    audit::record(register.conn(), register.now(), &entry)?;
    Ok(())
}

/// `xinfang bundle export --out FILE`.
pub fn export(
    data_dir: &Path,
    out: &Path,
    enrolment_code: Option<&str>,
    user: Option<String>,
    password: Option<String>,
) -> anyhow::Result<()> {
    let (mut register, session) = admin_register(data_dir, user, password)?;
    if let Some(code) = enrolment_code {
        sync::set_enrolment_code(&register, code)?;
    }
    // As before a push: the bundle carries the audit trail's head to the county.
    let (fresh_key, fresh_credential) = (random_32()?, random_32()?);
    let written = sync::anchor_audit(&mut register)
        .and_then(|_| sync::export_bundle(&register, fresh_key, fresh_credential))
        .map_err(anyhow::Error::from)
        .and_then(|(bytes, summary)| {
            write_atomically(out, &bytes)?;
            Ok((bytes, summary))
        });
    let noted = written.as_ref().map(|(_, s)| {
        format!(
            "导出本中心第 {} 号之后的 {} 条事件",
            s.acknowledged, s.events
        )
    });
    record(&register, &session, "bundle_export", out, noted)?;
    let (bytes, summary) = written?;
    // Machine-readable lines first (scripts and tests read them), then the explanation.
    println!("events: {}", summary.events);
    println!("through: {}", summary.through);
    println!("public_key: {}", summary.public_key);
    println!(
        "已写出同步包 {}（{} 字节）：本中心第 {} 号之后的 {} 条事件{}。请交县信访局用 xinfang-hub bundle import 导入；本中心密钥指纹 {}",
        out.display(),
        bytes.len(),
        summary.acknowledged,
        summary.events,
        if summary.enrolment {
            "，附注册码证明（首次导入即完成注册）"
        } else {
            ""
        },
        bundle::fingerprint(&summary.public_key)
    );
    Ok(())
}

/// `xinfang bundle import FILE [--trust-hub-key HEX]`.
pub fn import(
    data_dir: &Path,
    file: &Path,
    trust_hub_key: Option<&str>,
    user: Option<String>,
    password: Option<String>,
) -> anyhow::Result<()> {
    let (mut register, session) = admin_register(data_dir, user, password)?;
    let imported = read_bundle(file).and_then(|bytes| {
        let done = sync::import_bundle(&register, &bytes, trust_hub_key)?;
        let applied = xinfang_core::county::apply_inbox(&mut register)?;
        Ok((done, applied))
    });
    let noted = imported.as_ref().map(|(done, applied)| {
        format!(
            "县级确认至第 {} 号，县级下发 {} 条（新收 {} 条，处理 {} 条，未能处理 {} 条）",
            done.acknowledged, done.events, done.inbox_added, applied.applied, applied.refused
        )
    });
    record(&register, &session, "bundle_import", file, noted)?;
    let (done, applied) = imported?;
    println!("acknowledged: {}", done.acknowledged);
    println!("inbox_added: {}", done.inbox_added);
    println!(
        "已导入县级同步包：县级确认至第 {} 号（导入前 {}{}），县级下发 {} 条，其中新收 {} 条{}{}",
        done.acknowledged,
        done.acknowledged_before,
        if done.mark_applied {
            ""
        } else {
            "；本包不比已导入的新，确认号不变"
        },
        done.events,
        done.inbox_added,
        if done.hub_key_learned {
            "；已记住县级枢纽签名密钥"
        } else {
            ""
        },
        if done.more {
            "；县级还有更多下发，请再导出导入一次"
        } else {
            ""
        }
    );
    println!("applied: {}", applied.applied);
    println!("refused: {}", applied.refused);
    if applied.applied + applied.refused > 0 {
        println!(
            "已处理县级下发 {} 条{}",
            applied.applied,
            if applied.refused > 0 {
                format!(
                    "，另有 {} 条未能处理，请在“县级下发”中查看原因",
                    applied.refused
                )
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// Reads a bundle file, refusing an over-large one before reading it.
pub fn read_bundle(file: &Path) -> anyhow::Result<Vec<u8>> {
    let max = bundle::MAX_BUNDLE_BYTES;
    let len = std::fs::metadata(file)
        .with_context(|| format!("无法读取 {}", file.display()))?
        .len();
    if len > max as u64 {
        return Err(Error::from(bundle::BundleError::TooLarge { max_mib: max >> 20 }).into());
    }
    std::fs::read(file).with_context(|| format!("无法读取 {}", file.display()))
}

/// Writes `bytes` next to `file` and renames it into place, so a stick pulled out half-way
/// never leaves a half bundle under the final name.
pub fn write_atomically(file: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut partial = file.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    {
        let mut out = std::fs::File::create(&partial)
            .with_context(|| format!("无法写入 {}", partial.display()))?;
        std::io::Write::write_all(&mut out, bytes)?;
        out.sync_all()?;
    }
    std::fs::rename(&partial, file).with_context(|| format!("无法写入 {}", file.display()))
}

/// What `xinfang bundle` does.
#[derive(Debug, clap::Subcommand)]
pub enum BundleCommand {
    /// Write this centre's events the hub has not acknowledged into a signed bundle.
    Export {
        /// Output file (`XF3301-20261128.xfbundle`).
        #[arg(long)]
        out: PathBuf,
        /// The one-time enrolment code from the county, for a centre that has never synced:
        /// the bundle then enrols the centre when the hub imports it.
        #[arg(long)]
        enrolment_code: Option<String>,
        /// System administrator to act as.
        #[arg(long, env = "XINFANG_USER")]
        user: Option<String>,
        /// That user's password.
        #[arg(long, env = "XINFANG_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Apply a bundle the county hub wrote for this centre (its mark and county events).
    Import {
        /// The bundle file from `xinfang-hub bundle export`.
        file: PathBuf,
        /// Trust this hub public key (hex, from `xinfang-hub key`, fingerprint compared with
        /// the county by telephone) when the desk does not know the hub's key yet.
        #[arg(long)]
        trust_hub_key: Option<String>,
        /// System administrator to act as.
        #[arg(long, env = "XINFANG_USER")]
        user: Option<String>,
        /// That user's password.
        #[arg(long, env = "XINFANG_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

/// Runs `xinfang bundle …`.
pub fn run(data_dir: &Path, action: BundleCommand) -> anyhow::Result<()> {
    match action {
        BundleCommand::Export {
            out,
            enrolment_code,
            user,
            password,
        } => export(data_dir, &out, enrolment_code.as_deref(), user, password),
        BundleCommand::Import {
            file,
            trust_hub_key,
            user,
            password,
        } => import(data_dir, &file, trust_hub_key.as_deref(), user, password),
    }
}
