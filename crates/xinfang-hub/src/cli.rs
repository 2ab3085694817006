//! The `xinfang-hub` command line: serve the hub, and the county administrator's commands —
//! add, list and revoke centres, publish a county event to a centre or to all, read the log.
//!
//! The admin commands open the same store as a running `serve` — the same `hub.db` (WAL lets
//! them), or the same PostgreSQL database with `--database` — so a revocation takes effect on
//! the very next request.

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::{
    Error,
    clock::display,
    hub::{Faults, Hub, Request, Target},
    store::Outcome,
};

/// 县级信访同步枢纽 — the county hub that centres sync with.
#[derive(Debug, Parser)]
#[command(
    name = "xinfang-hub",
    version,
    about = "县级信访同步枢纽：接收各接待中心的事件并向其交办"
)]
pub struct Cli {
    /// Data directory holding hub.db (default: $XINFANG_HUB_DATA or the platform data dir).
    #[arg(long, global = true, env = "XINFANG_HUB_DATA")]
    pub data: Option<PathBuf>,
    /// Keep the hub in this PostgreSQL database (postgres://user@host/db) instead of hub.db;
    /// the environment variable keeps a password out of the process list.
    #[arg(
        long,
        global = true,
        env = "XINFANG_HUB_DATABASE",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the sync API and the status page over HTTP.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: String,
        /// Show the status page at `/` to any peer, not only to this host.
        #[arg(long)]
        status_page_open: bool,
        /// TLS options (required beyond loopback).
        #[command(flatten)]
        tls: TlsArgs,
        /// Fault injection for tests: hold every push transaction open this long before commit.
        #[arg(long, hide = true)]
        fault_before_commit_ms: Option<u64>,
        /// Fault injection for tests: wait this long after a push commits, before answering.
        #[arg(long, hide = true)]
        fault_after_commit_ms: Option<u64>,
    },
    /// Centres: `add`, `list`, `revoke`.
    Centre {
        /// The centre command.
        #[command(subcommand)]
        action: CentreCommand,
    },
    /// Store a county event (交办, 转送, 督办, 催办, reference data) routed to one centre or all.
    Publish {
        /// Centre id (from `centre list`), or `all`.
        #[arg(long)]
        to: String,
        /// Event kind, e.g. `county.assignment` for a 交办.
        #[arg(long)]
        kind: String,
        /// JSON file with the payload (an object); `-` reads stdin.
        #[arg(long)]
        payload: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// USB bundles for centres without a network: `import FILE`, `export --centre CODE --out FILE`.
    Bundle {
        /// The bundle command.
        #[command(subcommand)]
        action: BundleCommand,
    },
    /// Print the hub's bundle signing public key and its fingerprint (made on first use).
    Key,
    /// The hub's TLS certificate: `fingerprint` prints the SHA-256 centres pin.
    Tls {
        /// The TLS command.
        #[command(subcommand)]
        action: TlsCommand,
    },
    /// The request log, newest first.
    Log {
        /// Only this centre's requests.
        #[arg(long)]
        centre: Option<Uuid>,
        /// How many lines.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `centre` subcommands.
#[derive(Debug, Subcommand)]
pub enum CentreCommand {
    /// Add a centre; prints its id and a one-time enrolment code valid for 72 hours.
    Add {
        /// Centre code, as the centre's register has it (XF3301).
        #[arg(long)]
        code: String,
        /// Centre name.
        #[arg(long)]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List centres with state, last contact, acknowledged mark, held events and last error.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a centre: its credential is refused from the next request on.
    Revoke {
        /// Centre id.
        id: Uuid,
    },
}

/// How `serve` does TLS.
#[derive(Debug, Clone, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS. Without `--tls-cert`, a self-signed certificate is made once in
    /// `<data>/tls/` and reused; its SHA-256 fingerprint is printed at start.
    #[arg(long)]
    pub tls: bool,
    /// PEM certificate chain to serve (implies `--tls`).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// UNSAFE: serve plain HTTP on a non-loopback address. Credentials and every event then
    /// cross the network readable by anyone on the path; only for a link that is already
    /// encrypted (a VPN), never on a county network as it is.
    #[arg(long)]
    pub insecure_plain_http: bool,
}

/// `tls` subcommands.
#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Print the SHA-256 fingerprint of the certificate `serve --tls` uses (making the
    /// self-signed one now if there is none yet), to give to each centre with its code.
    Fingerprint {
        /// The certificate given to `serve --tls-cert`, instead of the self-signed one.
        #[arg(long, value_name = "FILE")]
        tls_cert: Option<PathBuf>,
    },
}

/// The certificate `serve` will use: the given files, or the one made once in `<data>/tls/`.
pub fn tls_identity(
    data_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
    listen: &str,
) -> anyhow::Result<xinfang_tls::Identity> {
    Ok(match (cert, key) {
        (Some(cert), Some(key)) => xinfang_tls::Identity::from_files(cert, key)?,
        _ => {
            let (identity, made) =
                xinfang_tls::Identity::load_or_create(data_dir, &xinfang_tls::names_for(listen))?;
            if made {
                println!("已生成自签名证书：{}", identity.cert_path.display());
            }
            identity
        }
    })
}

/// The fingerprint of a self-made certificate, if the hub has one.
fn existing_fingerprint(data_dir: &Path) -> Option<String> {
    let dir = data_dir.join(xinfang_tls::TLS_DIR);
    xinfang_tls::Identity::from_files(
        &dir.join(xinfang_tls::CERT_FILE),
        &dir.join(xinfang_tls::KEY_FILE),
    )
    .ok()
    .map(|i| i.fingerprint())
}

/// `bundle` subcommands.
#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Apply a centre's signed bundle with the push rules (twice is a no-op; a changed or
    /// foreign bundle is refused and changes nothing).
    Import {
        /// The bundle file the centre wrote with `xinfang bundle export`.
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a signed bundle for a centre: the hub's mark and county events routed to it.
    Export {
        /// The centre's code (XF3301).
        #[arg(long)]
        centre: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Reads a bundle file, refusing an over-large one before reading it.
fn read_bundle(file: &Path) -> anyhow::Result<Vec<u8>> {
    let max = xinfang_sync::bundle::MAX_BUNDLE_BYTES;
    let len = std::fs::metadata(file)
        .with_context(|| format!("无法读取 {}", file.display()))?
        .len();
    if len > max as u64 {
        return Err(Error::from(xinfang_sync::bundle::BundleError::TooLarge {
            max_mib: max >> 20,
        })
        .into());
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
    std::fs::rename(&partial, file).with_context(|| format!("无法写入 {}", file.display()))?;
    Ok(())
}

fn bundle(data_dir: &Path, database: Option<&str>, action: BundleCommand) -> anyhow::Result<()> {
    let mut hub = open_hub(data_dir, database)?;
    match action {
        BundleCommand::Import { file, json } => {
            let request = Request {
                endpoint: "bundle import",
                centre_id: None,
                remote: Some(file.display().to_string()),
            };
            let imported = read_bundle(&file).and_then(|bytes| Ok(hub.import_bundle(&bytes)?));
            let imported = match imported {
                Ok(imported) => imported,
                Err(err) => {
                    if let Some(refusal) = err.downcast_ref::<Error>() {
                        let outcome = if refusal.is_refusal() {
                            Outcome::Refused
                        } else {
                            Outcome::Failed
                        };
                        let _ = hub.log(
                            &request,
                            refusal.http_status(),
                            outcome,
                            Some(refusal.code()),
                            Some(refusal.message_zh()),
                        );
                    }
                    return Err(err);
                }
            };
            let summary = format!(
                "同步包 {} 条，确认至 {}（导入前 {}），暂存 {} 条，拒收 {} 条",
                imported.events,
                imported.acknowledged,
                imported.acknowledged_before,
                imported.held.len(),
                imported.rejected.len()
            );
            let logged = Request {
                centre_id: Some(imported.centre.id),
                ..request
            };
            let code = imported.rejected.first().map(|r| r.code.clone());
            let _ = hub.log(
                &logged,
                200,
                Outcome::Ok,
                code.as_deref(),
                Some(summary.clone()),
            );
            if json {
                return print_json(&imported);
            }
            println!("acknowledged: {}", imported.acknowledged);
            println!("rejected: {}", imported.rejected.len());
            if imported.enrolled_now {
                println!(
                    "接待中心 {}（{}）凭注册码证明完成注册",
                    imported.centre.code, imported.centre.name
                );
            }
            println!(
                "已导入接待中心 {} 的同步包：{summary}",
                imported.centre.code
            );
            for r in &imported.rejected {
                println!("  拒收 序号 {} {} {}：{}", r.seq, r.id, r.code, r.message);
            }
            Ok(())
        }
        BundleCommand::Export { centre, out, json } => {
            let (bytes, summary) = hub.export_bundle(&centre)?;
            write_atomically(&out, &bytes)?;
            if json {
                return print_json(&summary);
            }
            println!("acknowledged: {}", summary.acknowledged);
            println!("events: {}", summary.events);
            println!(
                "已为接待中心 {} 写出同步包 {}（{} 字节）：确认至第 {} 号，县级下发 {} 条{}",
                summary.centre.code,
                out.display(),
                summary.bytes,
                summary.acknowledged,
                summary.events,
                if summary.more {
                    "，还有更多，导入后请再导出一次"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

/// The default data directory: `$XDG_DATA_HOME/xinfang-hub`, `~/.local/share/xinfang-hub`,
/// `%APPDATA%\xinfang-hub` (`$XINFANG_HUB_DATA` is read by clap before this).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("xinfang-hub");
    }
    if let Some(dir) = std::env::var_os("APPDATA") {
        return PathBuf::from(dir).join("xinfang-hub");
    }
    if let Some(home) = std::env::var_os("HOME") {
        return PathBuf::from(home).join(".local/share/xinfang-hub");
    }
    PathBuf::from("xinfang-hub-data")
}

/// The store every command opens: the PostgreSQL database `--database` names, else `hub.db`
/// in the data directory.
fn open_hub(data_dir: &Path, database: Option<&str>) -> crate::Result<Hub> {
    match database {
        Some(url) => Hub::open_postgres(url),
        None => Hub::open_sqlite(data_dir),
    }
}

/// Runs the CLI; the exit code is non-zero on any failure.
pub fn run(cli: Cli) -> ExitCode {
    let data_dir = cli.data.clone().unwrap_or_else(default_data_dir);
    match execute(cli.command, &data_dir, cli.database.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A hub error prints as the same JSON the HTTP API returns.
            if let Some(hub) = err.downcast_ref::<Error>() {
                eprintln!(
                    "{}",
                    serde_json::to_string(&hub.to_wire()).unwrap_or_default()
                );
            } else {
                eprintln!("错误：{err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn execute(command: Command, data_dir: &Path, database: Option<&str>) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            listen,
            status_page_open,
            tls,
            fault_before_commit_ms,
            fault_after_commit_ms,
        } => {
            let ms = |v: Option<u64>| v.map(std::time::Duration::from_millis);
            let faults = Faults {
                before_commit: ms(fault_before_commit_ms),
                after_commit: ms(fault_after_commit_ms),
            };
            serve(data_dir, database, &listen, status_page_open, &tls, faults)
        }
        Command::Tls {
            action: TlsCommand::Fingerprint { tls_cert },
        } => {
            let fingerprint = match tls_cert {
                Some(cert) => xinfang_tls::file_fingerprint(&cert)?,
                None => tls_identity(data_dir, None, None, "")?.fingerprint(),
            };
            println!("tls_fingerprint: {fingerprint}");
            println!("县级枢纽 TLS 证书指纹（SHA-256）；请与注册码一并交给接待中心，填入同步设置");
            Ok(())
        }
        Command::Centre { action } => centre(data_dir, database, action),
        Command::Bundle { action } => bundle(data_dir, database, action),
        Command::Key => {
            let key = open_hub(data_dir, database)?.public_key()?;
            println!("public_key: {key}");
            println!("fingerprint: {}", xinfang_sync::bundle::fingerprint(&key));
            println!("县级枢纽同步包签名公钥；接待中心首次导入县级同步包时可据此指纹电话核对");
            Ok(())
        }
        Command::Publish {
            to,
            kind,
            payload,
            json,
        } => {
            let target = if to == "all" {
                Target::All
            } else {
                Target::Centre(Uuid::parse_str(&to).map_err(|_| Error::BadInput {
                    field: "to".into(),
                    message: format!("--to 须为中心编号（见 centre list）或 all，而不是 {to}"),
                })?)
            };
            let text = if payload == Path::new("-") {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text)?;
                text
            } else {
                std::fs::read_to_string(&payload)
                    .with_context(|| format!("无法读取 {}", payload.display()))?
            };
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| Error::MalformedJson(e.to_string()))?;
            let mut hub = open_hub(data_dir, database)?;
            let published = hub.publish(target, &kind, value)?;
            if json {
                return print_json(&published);
            }
            let to = published
                .to
                .map_or_else(|| "全部接待中心".to_owned(), |c| c.to_string());
            println!("cursor: {}", published.cursor);
            println!("event_id: {}", published.event.id);
            println!(
                "已发布 {}（县级序号 {}）至 {to}",
                published.event.kind, published.event.seq
            );
            Ok(())
        }
        Command::Log {
            centre,
            limit,
            json,
        } => {
            let mut hub = open_hub(data_dir, database)?;
            let entries = hub.log_entries(centre, limit)?;
            if json {
                return print_json(&entries);
            }
            for e in entries {
                println!(
                    "{}  {:<22} {}  {}  {}  {}{}",
                    display(&e.at),
                    e.endpoint,
                    e.status,
                    e.outcome.name_zh(),
                    e.centre_id
                        .map_or_else(|| "-".to_owned(), |c| c.to_string()),
                    e.code.map(|c| format!("{c} ")).unwrap_or_default(),
                    e.message.unwrap_or_default(),
                );
            }
            Ok(())
        }
    }
}

fn centre(data_dir: &Path, database: Option<&str>, action: CentreCommand) -> anyhow::Result<()> {
    let mut hub = open_hub(data_dir, database)?;
    match action {
        CentreCommand::Add { code, name, json } => {
            let added = hub.add_centre(&code, &name)?;
            if json {
                return print_json(&added);
            }
            // Machine-readable lines first (scripts and tests read them), then the explanation.
            println!("centre_id: {}", added.centre.id);
            println!("enrolment_code: {}", added.enrolment_code);
            println!("expires_at: {}", added.centre.enrol_expires_at);
            if let Some(fingerprint) = existing_fingerprint(data_dir) {
                println!("tls_fingerprint: {fingerprint}");
            }
            println!(
                "已添加接待中心 {}（{}）。注册码只能使用一次，{} 前有效（北京时间）；请通过可靠途径交给该中心，本程序不再显示。",
                added.centre.code,
                added.centre.name,
                display(&added.centre.enrol_expires_at)
            );
            Ok(())
        }
        CentreCommand::List { json } => {
            let centres = hub.centres()?;
            if json {
                return print_json(&centres);
            }
            if centres.is_empty() {
                println!("尚未添加接待中心");
            }
            for s in centres {
                println!(
                    "{}  {:<8} {:<8} 最后联系 {:<16} 已确认 {:<6} 暂存 {:<4} {}{}",
                    s.centre.id,
                    s.centre.code,
                    s.state.name_zh(),
                    s.centre
                        .last_contact
                        .as_deref()
                        .map_or_else(|| "—".to_owned(), display),
                    s.acknowledged,
                    s.held,
                    s.centre.name,
                    s.last_error
                        .and_then(|e| e.code)
                        .map(|c| format!("  最近错误 {c}"))
                        .unwrap_or_default(),
                );
            }
            Ok(())
        }
        CentreCommand::Revoke { id } => {
            let centre = hub.revoke(id)?;
            println!(
                "已撤销接待中心 {}（{}），撤销时间 {}；其接入凭证自下一次请求起被拒绝",
                centre.code,
                centre.name,
                centre
                    .revoked_at
                    .as_deref()
                    .map_or_else(String::new, display)
            );
            Ok(())
        }
    }
}

/// Whether `listen` is a loopback address (plain HTTP is allowed there).
pub fn is_loopback_listen(listen: &str) -> bool {
    use std::net::ToSocketAddrs;
    listen
        .to_socket_addrs()
        .map(|mut addrs| addrs.all(|a| a.ip().is_loopback()))
        .unwrap_or(false)
}

fn serve(
    data_dir: &Path,
    database: Option<&str>,
    listen: &str,
    status_page_open: bool,
    tls: &TlsArgs,
    faults: Faults,
) -> anyhow::Result<()> {
    let use_tls = tls.tls || tls.tls_cert.is_some();
    if !use_tls && !is_loopback_listen(listen) && !tls.insecure_plain_http {
        anyhow::bail!(
            "拒绝在非本机地址 {listen} 上以明文 HTTP 提供服务：接入凭证和全部事件会在网络上明文传输。\
             请加 --tls（自动生成自签名证书并打印指纹）或 --tls-cert/--tls-key；\
             仅当链路本身已加密（如 VPN）时才可用 --insecure-plain-http"
        );
    }
    let identity = if use_tls {
        Some(tls_identity(
            data_dir,
            tls.tls_cert.as_deref(),
            tls.tls_key.as_deref(),
            listen,
        )?)
    } else {
        None
    };
    let mut hub = open_hub(data_dir, database)?;
    hub.set_faults(faults);
    let store = hub.describe();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let state = crate::http::AppState::new(hub, status_page_open);
        match identity {
            Some(identity) => {
                // Tests and scripts read these lines to learn the port and the pin.
                println!("listening on https://{addr}");
                println!("tls_fingerprint: {}", identity.fingerprint());
                println!("数据：{store}");
                println!("接待中心须在同步设置中填写上面的证书指纹（SHA-256）");
                let listener =
                    xinfang_tls::server::TlsListener::new(listener, identity.server_config()?)?;
                crate::http::serve(listener, state).await?;
            }
            None => {
                // Tests and scripts read this line to learn the port when started with :0.
                println!("listening on http://{addr}");
                println!("数据：{store}");
                crate::http::serve(listener, state).await?;
            }
        }
        anyhow::Ok(())
    })?;
    Ok(())
}
