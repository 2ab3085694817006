//! The `xinfang` command line: set up a register, serve it, call any operation, verify, fill
//! with demo data, regenerate the API contracts, and benchmark.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use xinfang_core::{
    Error, Register,
    clock::{FixedClock, SeededIds},
    ops, schema,
};

use crate::data::{self, InitOptions};

/// 信访接待台 — the register of a petition reception centre.
#[derive(Debug, Parser)]
#[command(name = "xinfang", version, about = "信访接待台：信访接待中心登记簿")]
pub struct Cli {
    /// Data directory holding register.db (default: $XINFANG_DATA or the platform data dir).
    #[arg(long, global = true, env = "XINFANG_DATA")]
    pub data: Option<PathBuf>,
    /// File holding the administrator passphrase the register is encrypted with (instead of
    /// the key file beside it; `$XINFANG_PASSPHRASE` gives the passphrase itself).
    #[arg(long, global = true, env = "XINFANG_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the register with its centre and first administrator.
    Init {
        /// Centre code used in case numbers (letters and digits).
        #[arg(long, default_value = "XF0001")]
        centre_code: String,
        /// Centre name printed on slips.
        #[arg(long, default_value = "县信访局来访接待中心")]
        centre_name: String,
        /// First administrator's user name.
        #[arg(long, default_value = "admin")]
        admin: String,
        /// First administrator's password (or $XINFANG_ADMIN_PASSWORD; generated if neither).
        #[arg(long, env = "XINFANG_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
    },
    /// Serve the API (and the UI, if built) over HTTP, or HTTPS with `--tls`.
    Serve {
        /// Address to listen on; loopback by default, `0.0.0.0:8686 --tls` for the LAN.
        #[arg(long, default_value = "127.0.0.1:8686")]
        listen: String,
        /// Serve HTTPS (required beyond loopback). Without `--tls-cert`, a self-signed
        /// certificate is made once in `<data>/tls/` and reused; its fingerprint is printed.
        #[arg(long)]
        tls: bool,
        /// PEM certificate chain to serve (implies `--tls`).
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key of `--tls-cert`.
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Directory of the built UI (default: ui/dist next to the working directory, if present).
        #[arg(long)]
        ui: Option<PathBuf>,
        /// Create the register with a first administrator if the data directory is empty.
        #[arg(long)]
        init_if_empty: bool,
        /// Seconds between syncs with the county hub (when one is configured); failures back
        /// off exponentially up to ten minutes, and 立即同步 runs at once.
        #[arg(long, default_value_t = 30)]
        sync_interval: u64,
        /// Hours between automatic backups into <data>/backups (0: none).
        #[arg(long, default_value_t = 24)]
        backup_every_hours: u64,
        /// Where backups go and how many are kept.
        #[command(flatten)]
        backups: BackupArgs,
    },
    /// Print a one-time code (valid ten minutes) that pairs one LAN desk or browser with
    /// this host; desks beyond loopback cannot call the API until paired. `--list` shows the
    /// paired desks, `--revoke ID` cuts one off at once (it must pair again).
    Pair {
        /// List the desks paired with this host (id, address, when paired, revoked).
        #[arg(long, conflicts_with = "revoke")]
        list: bool,
        /// Revoke the paired desk with this id (from `--list`); its next call is refused.
        #[arg(long, value_name = "ID")]
        revoke: Option<String>,
    },
    /// Run one operation: JSON input as an argument or `-` for stdin, JSON output on stdout.
    Call {
        /// Operation name (see `xinfang ops`).
        operation: String,
        /// JSON input; `-` reads stdin; default `{}`.
        input: Option<String>,
        /// User to act as.
        #[arg(long, env = "XINFANG_USER")]
        user: Option<String>,
        /// That user's password.
        #[arg(long, env = "XINFANG_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List every operation (with `--json`, their input and output JSON Schemas).
    Ops {
        /// Print the full JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Check integrity and rebuild every projection from the event log, comparing row by row.
    Verify,
    /// Fill the register with deterministic synthetic data.
    Demo {
        /// How many matters.
        #[arg(long, default_value_t = 1000)]
        cases: u64,
        /// Random seed.
        #[arg(long, default_value_t = 20261128)]
        seed: u64,
    },
    /// Write schemas/api/operations.json and ui/src/api/types.ts (or check them with --check).
    Schema {
        /// Repository root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Fail if the files differ instead of writing them.
        #[arg(long)]
        check: bool,
    },
    /// Documents: `xinfang letter render <case> <kind> -o file.pdf`.
    Letter {
        #[command(subcommand)]
        action: LetterCommand,
    },
    /// Take an online backup of the register now (encrypted with the register's key).
    Backup {
        /// Where backups go and how many are kept.
        #[command(flatten)]
        backups: BackupArgs,
    },
    /// Replace the register with a backup, after checking it (integrity and a full rebuild of
    /// every table from its event log). Stop `xinfang serve` first.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// A file holding a passphrase the register had when the backup was taken (after a
        /// passphrase change); may be given more than once.
        #[arg(long)]
        old_passphrase_file: Vec<PathBuf>,
        /// A key file from before a switch to a passphrase (`register.key.retired`, from
        /// wherever it is kept); may be given more than once.
        #[arg(long)]
        old_key_file: Vec<PathBuf>,
    },
    /// Rotate the register's encryption key (a new random key in the key file, or with
    /// `--new-passphrase-file` a new administrator passphrase), or switch between the two
    /// with `--new-passphrase-file` / `--to-key-file`. Stop `xinfang serve` first.
    Rekey {
        /// File holding the new passphrase; on a key-file register this switches it to a
        /// passphrase.
        #[arg(long, conflicts_with = "to_key_file")]
        new_passphrase_file: Option<PathBuf>,
        /// Switch a passphrase-protected register to a random key in a key file.
        #[arg(long)]
        to_key_file: bool,
    },
    /// For the crash test: runs an operation `count` times as `XINFANG_USER`, printing each
    /// output on one line as soon as it has committed.
    #[command(hide = true)]
    CallLoop {
        /// Operation name.
        operation: String,
        /// JSON input.
        input: String,
        /// How many times.
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        /// User to act as.
        #[arg(long, env = "XINFANG_USER")]
        user: String,
        /// That user's password.
        #[arg(long, env = "XINFANG_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// USB bundles for the county hub: `export --out FILE`, `import FILE`.
    Bundle {
        #[command(subcommand)]
        action: crate::bundle::BundleCommand,
    },
    /// Benchmarks: `register`, `search`, `clocks`, `letters`, `hall` or `sync`.
    Bench {
        /// Which benchmark.
        #[arg(value_parser = ["register", "search", "clocks", "letters", "hall", "sync"])]
        which: String,
        /// Register size(s) for the search and clocks benchmarks, comma-separated.
        #[arg(long, default_value = "100000,1000000")]
        sizes: String,
        /// Registrations for the register benchmark.
        #[arg(long, default_value_t = 2000)]
        count: u64,
        /// Simulated days for the hall benchmark.
        #[arg(long, default_value_t = 1)]
        days: u64,
        /// Walk-ins per simulated day for the hall benchmark (3000: ten times a busy centre).
        #[arg(long, default_value_t = 3000)]
        visitors: u64,
        /// Events pushed and pulled by the sync benchmark.
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        /// For the sync benchmark: keep the hub in this PostgreSQL database (an empty one; the
        /// URL as `xinfang-hub --database` takes it, TLS included) instead of a fresh SQLite
        /// file.
        #[arg(long, env = "XINFANG_BENCH_HUB_DATABASE", hide_env_values = true)]
        hub_database: Option<String>,
    },
}

/// What `xinfang letter` does.
#[derive(Debug, Subcommand)]
pub enum LetterCommand {
    /// Render a case's document to a PDF file (issued and recorded, or `--preview`).
    Render {
        /// Case number (XF3301-2026-000123) or id.
        case: String,
        /// Document kind (acceptance_notice, handling_opinion, supervise_letter …).
        kind: String,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// With the 预览 watermark, and not recorded.
        #[arg(long)]
        preview: bool,
        /// User to act as.
        #[arg(long, env = "XINFANG_USER")]
        user: String,
        /// That user's password.
        #[arg(long, env = "XINFANG_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

/// Backup location and retention, shared by `xinfang backup` and `xinfang serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    /// Backup directory (default: <data>/backups).
    #[arg(long = "to", value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Second location each backup is copied to as well (a USB stick, a network share).
    #[arg(long, value_name = "DIR", env = "XINFANG_BACKUP_COPY_TO")]
    pub copy_to: Option<PathBuf>,
    /// Always keep this many of the newest backups.
    #[arg(long, default_value_t = xinfang_core::backup::Retention::default().keep)]
    pub keep: usize,
    /// Beyond those, keep every backup younger than this many days.
    #[arg(long, default_value_t = xinfang_core::backup::Retention::default().keep_days)]
    pub keep_days: u32,
}

impl BackupArgs {
    fn policy(&self, data_dir: &Path) -> crate::backup::Policy {
        let mut policy = crate::backup::Policy::for_data_dir(data_dir);
        if let Some(dir) = &self.to {
            policy.dir = dir.clone();
        }
        policy.copy_to = self.copy_to.clone();
        policy.retention = xinfang_core::backup::Retention {
            keep: self.keep,
            keep_days: self.keep_days,
        };
        policy
    }
}

/// Runs the CLI; the exit code is non-zero on any failure.
pub fn run(cli: Cli) -> ExitCode {
    let data_dir = cli.data.clone().unwrap_or_else(data::default_data_dir);
    if let Some(file) = &cli.passphrase_file {
        match read_secret(file) {
            Ok(passphrase) => xinfang_core::keys::set_process_passphrase(passphrase),
            Err(err) => {
                eprintln!("错误：{err:#}");
                return ExitCode::FAILURE;
            }
        }
    }
    match execute(cli.command, &data_dir) {
        Ok(code) => code,
        Err(err) => {
            // A core error prints as the same JSON the HTTP API returns.
            if let Some(core) = err.downcast_ref::<Error>() {
                eprintln!(
                    "{}",
                    serde_json::to_string(&core.to_api()).unwrap_or_default()
                );
            } else {
                eprintln!("错误：{err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn execute(command: Command, data_dir: &Path) -> anyhow::Result<ExitCode> {
    match command {
        Command::Init {
            centre_code,
            centre_name,
            admin,
            admin_password,
        } => {
            let mut register = data::open(data_dir)?;
            let generated = admin_password.is_none();
            let password =
                admin_password.unwrap_or_else(|| data::generated_password(&mut register));
            let options = InitOptions {
                centre_code,
                centre_name,
                admin_username: admin.clone(),
                admin_password: password.clone(),
                admin_must_change_password: generated,
            };
            data::init(&mut register, &options)?;
            println!("已创建登记簿：{}", data::register_path(data_dir).display());
            println!("管理员账号：{admin}");
            if generated {
                println!("初始密码：{password}（首次登录时须修改）");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            listen,
            tls,
            tls_cert,
            tls_key,
            ui,
            init_if_empty,
            sync_interval,
            backup_every_hours,
            backups,
        } => serve(
            data_dir,
            &listen,
            (tls || tls_cert.is_some()).then_some((tls_cert, tls_key)),
            ui,
            init_if_empty,
            sync_interval,
            (backup_every_hours > 0).then(|| {
                (
                    backups.policy(data_dir),
                    std::time::Duration::from_secs(backup_every_hours * 3600),
                )
            }),
        ),
        Command::Pair { list, revoke } => {
            let path = data::register_path(data_dir);
            if !path.exists() {
                return Err(Error::NotInitialised.into());
            }
            let register = data::open(data_dir)?;
            if list {
                let desks = crate::lan::paired_desks(&register)?;
                if desks.is_empty() {
                    println!("尚无已配对的工作站");
                }
                for desk in desks {
                    let state = match &desk.revoked_at {
                        Some(at) => format!("已撤销 {at}"),
                        None => "有效".to_owned(),
                    };
                    println!(
                        "{}  {}  配对于 {}  {state}",
                        desk.id, desk.peer, desk.paired_at
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            if let Some(id) = revoke {
                let desk = crate::lan::revoke(&register, &id, None, xinfang_core::audit::DESK_CLI)?;
                println!(
                    "revoked: {}\n已撤销工作站 {}（{} 配对）：它的下一次请求即被拒绝，须用新配对码重新配对",
                    desk.id, desk.peer, desk.paired_at
                );
                return Ok(ExitCode::SUCCESS);
            }
            let code = crate::lan::issue_code(&register, crate::bundle::random_32()?)?;
            println!("pairing_code: {code}");
            println!(
                "局域网配对码（{} 分钟内有效，只能使用一次）：在要配对的工作站上打开 https://本机地址/pair 并输入",
                crate::lan::CODE_VALID_MINUTES
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Call {
            operation,
            input,
            user,
            password,
        } => call(data_dir, &operation, input.as_deref(), user, password),
        Command::Ops { json } => {
            if json {
                println!("{}", schema::operations_json_text());
            } else {
                for op in ops::OPERATIONS {
                    let access = match op.access {
                        ops::Access::Public => "任何人".to_owned(),
                        ops::Access::AnyUser => "已登录用户".to_owned(),
                        ops::Access::Roles(roles) => roles
                            .iter()
                            .map(|r| r.name_zh())
                            .collect::<Vec<_>>()
                            .join("、"),
                    };
                    println!(
                        "{:<22} {:<18} {} → {}  [{}]",
                        op.name, op.summary_zh, op.type_names.0, op.type_names.1, access
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Letter {
            action:
                LetterCommand::Render {
                    case,
                    kind,
                    output,
                    preview,
                    user,
                    password,
                },
        } => {
            let mut register = data::open(data_dir)?;
            let session = xinfang_core::auth::authenticate(&register, &user, &password)?;
            let matter = ops::call(
                &mut register,
                Some(&session),
                "matter_get",
                if uuid::Uuid::parse_str(&case).is_ok() {
                    json!({ "matter_id": case })
                } else {
                    json!({ "number": case })
                },
            )?;
            let op = if preview {
                "letter_preview"
            } else {
                "letter_issue"
            };
            let out = ops::call(
                &mut register,
                Some(&session),
                op,
                json!({ "matter_id": matter["matter"]["id"], "kind": kind }),
            )?;
            let pdf = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                out["pdf_base64"].as_str().unwrap_or_default(),
            )?;
            std::fs::write(&output, &pdf)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!(
                "{}：{}，{} 页，{} 字节，SHA-256 {}",
                out["name"].as_str().unwrap_or_default(),
                output.display(),
                out["pages"],
                pdf.len(),
                out["sha256"].as_str().unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { backups } => {
            let taken = crate::backup::take(
                data_dir,
                &backups.policy(data_dir),
                "manual",
                xinfang_core::audit::DESK_CLI,
            )?;
            println!("已备份：{}", taken.path.display());
            if let Some(copy) = &taken.copy {
                println!("已另存：{}", copy.display());
            }
            for old in &taken.removed {
                println!("按保留规则删除：{}", old.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore {
            file,
            old_passphrase_file,
            old_key_file,
        } => {
            let older = crate::backup::OlderKeys {
                passphrases: old_passphrase_file
                    .iter()
                    .map(|f| read_secret(f))
                    .collect::<anyhow::Result<_>>()?,
                key_files: old_key_file,
            };
            let _hold = data::lock_exclusive(data_dir)?;
            let restored = crate::backup::restore(data_dir, &file, &older)?;
            println!(
                "已恢复：{}（校验通过：{} 个事件重放，{} 行投影一致）",
                file.display(),
                restored.report.events,
                restored.report.rows
            );
            if let Some(aside) = &restored.kept_aside {
                println!("原登记簿已保留为：{}", aside.display());
            }
            if restored.rekeyed {
                println!("该备份早于密钥轮换，已改用当前密钥加密");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rekey {
            new_passphrase_file,
            to_key_file,
        } => {
            use xinfang_core::keys::{NewKey, Unlock};
            let by_passphrase = matches!(Unlock::from_environment(), Unlock::Passphrase(_));
            let new = match new_passphrase_file {
                Some(file) => NewKey::Passphrase(read_secret(&file)?),
                None if by_passphrase && !to_key_file => {
                    return Err(xinfang_core::Error::Key {
                        code: "rekey_mode_mismatch",
                        message: "此登记簿由管理员口令保护：更换口令请用 --new-passphrase-file 指定新口令文件；改用密钥文件请加 --to-key-file".into(),
                    }
                    .into());
                }
                None => NewKey::Random,
            };
            let _hold = data::lock_exclusive(data_dir)?;
            crate::backup::rekey(data_dir, &new)?;
            let register = data::register_path(data_dir);
            match (by_passphrase, &new) {
                (false, NewKey::Random) => println!(
                    "登记簿密钥已轮换。此前的备份仍可用 xinfang restore 恢复（密钥文件保留了旧密钥）。"
                ),
                (false, NewKey::Passphrase(_)) => println!(
                    "登记簿已改为管理员口令保护，本机不再存放密钥。\n原密钥文件已改名为 {}：改换前的备份要用它恢复（xinfang restore --old-key-file）。请把它移到安全的保管处，不要留在本机。",
                    xinfang_core::keys::retired_key_file(&register).display()
                ),
                (true, NewKey::Passphrase(_)) => println!(
                    "管理员口令已更换。此前的备份要用当时的口令恢复（xinfang restore --old-passphrase-file）。"
                ),
                (true, NewKey::Random) => println!(
                    "登记簿已改为密钥文件保护：{}。此前的备份用它即可恢复。",
                    xinfang_core::keys::key_file(&register).display()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::CallLoop {
            operation,
            input,
            count,
            user,
            password,
        } => {
            let input: Value = serde_json::from_str(&input).context("input is not JSON")?;
            let mut register = data::open(data_dir)?;
            let session = xinfang_core::auth::authenticate(&register, &user, &password)?;
            let mut out = std::io::stdout().lock();
            for _ in 0..count {
                let output = ops::call(&mut register, Some(&session), &operation, input.clone())?;
                // Printed only after the call returned, i.e. after its transaction committed.
                writeln!(out, "{}", serde_json::to_string(&output)?)?;
                out.flush()?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bundle { action } => {
            crate::bundle::run(data_dir, action)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify => verify(data_dir),
        Command::Demo { cases, seed } => demo(data_dir, cases, seed),
        Command::Schema { root, check } => write_schema(&root, check),
        Command::Bench {
            which,
            sizes,
            count,
            days,
            visitors,
            events,
            hub_database,
        } => {
            let sizes: Vec<u64> = sizes
                .split(',')
                .map(|s| s.trim().parse::<u64>())
                .collect::<Result<_, _>>()
                .context("--sizes takes comma-separated numbers")?;
            match which.as_str() {
                "register" => crate::bench::register(count)?,
                "clocks" => crate::bench::clocks(&sizes)?,
                "hall" => crate::bench_hall::hall(days, visitors)?,
                "sync" => crate::bench_sync::sync(events, hub_database.as_deref())?,
                "letters" => {
                    let report = xinfang_letters::bench(None, count.min(200) as usize)
                        .map_err(|e| anyhow::anyhow!(e.message_zh()))?;
                    println!("{}", report.table());
                }
                _ => crate::bench::search(&sizes)?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Whether `listen` names only loopback addresses.
fn is_loopback_listen(listen: &str) -> bool {
    use std::net::ToSocketAddrs;
    listen
        .to_socket_addrs()
        .map(|mut addrs| addrs.all(|a| a.ip().is_loopback()))
        .unwrap_or(false)
}

#[allow(clippy::too_many_arguments)]
fn serve(
    data_dir: &Path,
    listen: &str,
    tls: Option<(Option<PathBuf>, Option<PathBuf>)>,
    ui: Option<PathBuf>,
    init_if_empty: bool,
    sync_interval: u64,
    backups: Option<(crate::backup::Policy, std::time::Duration)>,
) -> anyhow::Result<ExitCode> {
    // Held for as long as this server runs: a restore or rekey waits for it to stop.
    let _hold = data::lock_shared(data_dir)?;
    // SECURITY #8 §4: passwords and case files never cross the LAN in clear text.
    if tls.is_none() && !is_loopback_listen(listen) {
        anyhow::bail!(
            "拒绝在非本机地址 {listen} 上以明文 HTTP 提供服务：密码和案件信息会在局域网上明文传输。\
             请加 --tls（自动生成自签名证书并打印指纹），或 --tls-cert/--tls-key 指定证书"
        );
    }
    let identity = match &tls {
        Some((Some(cert), Some(key))) => Some(xinfang_tls::Identity::from_files(cert, key)?),
        Some(_) => {
            let (identity, made) =
                xinfang_tls::Identity::load_or_create(data_dir, &xinfang_tls::names_for(listen))?;
            if made {
                println!("已生成自签名证书：{}", identity.cert_path.display());
            }
            Some(identity)
        }
        None => None,
    };
    let lan = crate::http::LanPolicy {
        require_pairing: true,
        treat_loopback_as_lan: std::env::var(crate::lan::TREAT_LOOPBACK_AS_LAN_ENV)
            .is_ok_and(|v| v == "1"),
    };
    let mut register = data::open(data_dir)?;
    if register.centre().is_err() {
        if !init_if_empty {
            return Err(Error::NotInitialised.into());
        }
        let chosen = std::env::var("XINFANG_ADMIN_PASSWORD").ok();
        let generated = chosen.is_none();
        let password = chosen.unwrap_or_else(|| data::generated_password(&mut register));
        data::init(
            &mut register,
            &InitOptions {
                centre_code: "XF0001".into(),
                centre_name: "县信访局来访接待中心".into(),
                admin_username: "admin".into(),
                admin_password: password.clone(),
                admin_must_change_password: generated,
            },
        )?;
        println!("新建登记簿：{}", data::register_path(data_dir).display());
        if generated {
            println!("管理员账号：admin  初始密码：{password}（首次登录时须修改）");
        } else {
            println!("管理员账号：admin  密码：XINFANG_ADMIN_PASSWORD 中设置的密码");
        }
    }
    let ui = ui.or_else(|| {
        let default = PathBuf::from("ui/dist");
        default.join("index.html").exists().then_some(default)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        // Tests and scripts read this line to learn the port when started with :0.
        let scheme = if identity.is_some() { "https" } else { "http" };
        println!("listening on {scheme}://{addr}");
        if let Some(identity) = &identity {
            println!("tls_fingerprint: {}", identity.fingerprint());
            println!("局域网工作站须先配对：在本机运行 xinfang pair 取得一次性配对码");
        }
        if let Some(ui) = &ui {
            println!("UI: {}", ui.display());
        }
        let state = crate::http::AppState::new(register).with_lan(lan);
        let worker = crate::sync::SyncWorker::spawn(
            state.register(),
            std::time::Duration::from_secs(sync_interval.max(1)),
        );
        let backup_worker = backups.map(|(policy, every)| {
            crate::backup::BackupWorker::spawn(data_dir.to_path_buf(), policy, every, "定时备份")
        });
        match identity {
            Some(identity) => {
                let listener =
                    xinfang_tls::server::TlsListener::new(listener, identity.server_config()?)?;
                crate::http::serve(listener, state, ui).await?;
            }
            None => crate::http::serve(listener, state, ui).await?,
        }
        worker.stop();
        if let Some(backup_worker) = backup_worker {
            backup_worker.stop();
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn call(
    data_dir: &Path,
    operation: &str,
    input: Option<&str>,
    user: Option<String>,
    password: Option<String>,
) -> anyhow::Result<ExitCode> {
    let text = match input {
        Some("-") => {
            let mut buffer = String::new();
            std::io::stdin().read_to_string(&mut buffer)?;
            buffer
        }
        Some(text) => text.to_owned(),
        None => "{}".to_owned(),
    };
    let input: Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(err) => {
            let error = json!({
                "code": "malformed_json",
                "message": format!("输入不是有效的 JSON：{err}"),
            });
            eprintln!("{error}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let path = data::register_path(data_dir);
    if !path.exists() {
        return Err(Error::NotInitialised.into());
    }
    let mut register = data::open(data_dir)?;
    let session = match (user, password) {
        (Some(user), Some(password)) => Some(ops::authenticate_from(
            &mut register,
            xinfang_core::audit::DESK_CLI,
            &user,
            &password,
        )?),
        (Some(_), None) => {
            return Err(Error::Unauthenticated("请通过 XINFANG_PASSWORD 提供密码".into()).into());
        }
        _ => None,
    };
    let output = ops::call(&mut register, session.as_ref(), operation, input)?;
    // A closed pipe (`| head`) is the reader's choice, not a failure of the operation.
    let _ = writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&output)?
    );
    Ok(ExitCode::SUCCESS)
}

/// A passphrase file's content without its trailing newline.
fn read_secret(file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("无法读取口令文件 {}", file.display()))?;
    let text = text.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(!text.is_empty(), "口令文件 {} 是空的", file.display());
    Ok(text)
}

fn verify(data_dir: &Path) -> anyhow::Result<ExitCode> {
    let path = data::register_path(data_dir);
    let scratch_dir = std::env::temp_dir().join(format!("xinfang-verify-{}", std::process::id()));
    std::fs::create_dir_all(&scratch_dir)?;
    let scratch = scratch_dir.join("rebuilt.db");
    let _ = std::fs::remove_file(&scratch);
    let started = std::time::Instant::now();
    let report = xinfang_core::verify::verify_file(&path, &scratch);
    let _ = std::fs::remove_dir_all(&scratch_dir);
    let report = report?;
    println!(
        "检查完成：{} 个事件重放，{} 行投影逐行比对，用时 {:.1} 秒",
        report.events,
        report.rows,
        started.elapsed().as_secs_f64()
    );
    if report.ok() {
        println!("结果：一致（integrity_check ok，事件日志与投影表完全一致）");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("结果：发现 {} 处不一致：", report.problems.len());
        for problem in &report.problems {
            println!("  {problem}");
        }
        Ok(ExitCode::FAILURE)
    }
}

fn demo(data_dir: &Path, cases: u64, seed: u64) -> anyhow::Result<ExitCode> {
    let path = data::register_path(data_dir);
    if !path.exists() {
        return Err(Error::NotInitialised.into());
    }
    let now = xinfang_core::clock::Clock::now(&xinfang_core::clock::SystemClock);
    let clock = FixedClock::new(now);
    let mut register = Register::open(
        &path,
        Box::new(clock.clone()),
        Box::new(SeededIds::new(
            seed,
            (now.timestamp_millis() - 800 * 86_400_000) as u64,
        )),
    )?;
    let started = std::time::Instant::now();
    let summary = xinfang_core::demo::generate(&mut register, &clock, seed, cases, now)?;
    println!(
        "已生成 {} 件信访事项（{} 名信访人，{} 件重复件，{} 批来访），用时 {:.1} 秒",
        summary.matters,
        summary.persons,
        summary.repeats,
        summary.visits,
        started.elapsed().as_secs_f64()
    );
    println!(
        "演示账号：{}，密码 {}",
        xinfang_core::demo::DEMO_STAFF
            .iter()
            .map(|(u, n, _)| format!("{u}（{n}）"))
            .collect::<Vec<_>>()
            .join("、"),
        xinfang_core::demo::DEMO_PASSWORD
    );
    Ok(ExitCode::SUCCESS)
}

fn write_schema(root: &Path, check: bool) -> anyhow::Result<ExitCode> {
    let files = [
        (
            root.join("schemas/api/operations.json"),
            schema::operations_json_text(),
        ),
        (root.join("ui/src/api/types.ts"), schema::typescript()),
        (
            root.join("docs/permissions.md"),
            schema::permissions_markdown(),
        ),
    ];
    let mut stale = false;
    for (path, content) in files {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == content {
            continue;
        }
        if check {
            eprintln!("{} is out of date: run `xinfang schema`", path.display());
            stale = true;
        } else {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, content)?;
            println!("wrote {}", path.display());
        }
    }
    Ok(if stale {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
