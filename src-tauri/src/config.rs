//! The shell's own settings (which mode, which host), kept in the OS config directory apart
//! from the register, so a desk client never creates a register of its own.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xinfang_core::ApiError;

/// Where the app keeps things.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// OS config directory of the app.
    pub config: PathBuf,
    /// OS data directory of the app: the register lives here in host mode.
    pub data: PathBuf,
}

/// How this PC takes part in the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Holds the register (and can serve it to the LAN).
    Host,
    /// Uses the register of a host on the LAN.
    Desk,
}

/// The saved shell settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellConfig {
    /// Host or desk client.
    pub mode: Mode,
    /// Desk mode: the host's address, e.g. `https://192.168.1.10:8686` (`http://` only for
    /// loopback).
    #[serde(default)]
    pub host_url: Option<String>,
    /// Desk mode, `https://` host: the SHA-256 fingerprint of the host's certificate, the one
    /// certificate the desk accepts (`AB:CD:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_fingerprint: Option<String>,
    /// Desk mode: the desk token the host gave at pairing, sent as `X-Xinfang-Desk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk_token: Option<String>,
    /// Host mode: also serve the API to the LAN on this address (e.g. `0.0.0.0:8686`).
    #[serde(default)]
    pub serve_lan: Option<String>,
}

impl ShellConfig {
    fn path(dirs: &Dirs) -> PathBuf {
        dirs.config.join("shell.json")
    }

    /// The saved settings, or `None` before the first-start choice. An environment override
    /// (`XINFANG_MODE=host`) lets tests and kiosk installs skip the choice.
    pub fn load(dirs: &Dirs) -> Option<ShellConfig> {
        if let Ok(mode) = std::env::var("XINFANG_MODE") {
            let mode = if mode == "desk" {
                Mode::Desk
            } else {
                Mode::Host
            };
            return Some(ShellConfig {
                mode,
                host_url: std::env::var("XINFANG_HOST_URL").ok(),
                host_fingerprint: std::env::var("XINFANG_HOST_FINGERPRINT").ok(),
                desk_token: std::env::var("XINFANG_DESK_TOKEN").ok(),
                serve_lan: None,
            });
        }
        let text = std::fs::read_to_string(Self::path(dirs)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Saves atomically (write to a temp file, then rename), so a crash never leaves half a file.
    pub fn save(&self, dirs: &Dirs) -> std::io::Result<()> {
        std::fs::create_dir_all(&dirs.config)?;
        let tmp = dirs.config.join("shell.json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(tmp, Self::path(dirs))
    }
}

/// A host address a desk may use, as checked at the first-start form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostLink {
    /// `http://` to this PC itself: nothing crosses the LAN.
    Loopback(String),
    /// `https://` with the pinned certificate's SHA-256.
    Pinned(String, [u8; 32]),
}

impl HostLink {
    /// The address without a trailing slash.
    pub fn url(&self) -> &str {
        match self {
            HostLink::Loopback(url) | HostLink::Pinned(url, _) => url,
        }
    }
}

fn field_error(code: &str, field: &str, message: impl Into<String>) -> ApiError {
    ApiError {
        code: code.into(),
        message: message.into(),
        field: Some(field.into()),
    }
}

/// Whether the host part of `url` (after the scheme) is this PC.
fn is_loopback_host(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Checks a desk's host address and fingerprint (SECURITY #8 §4: passwords and case files
/// never cross the LAN in clear text): `https://` needs the host's fingerprint, `http://` is
/// only for this PC itself. Errors carry the field they belong to.
pub fn check_host(url: &str, fingerprint: Option<&str>) -> Result<HostLink, ApiError> {
    let url = url.trim().trim_end_matches('/');
    if url.strip_prefix("https://").is_some_and(|r| !r.is_empty()) {
        let typed = fingerprint.map(str::trim).unwrap_or("");
        if typed.is_empty() {
            return Err(field_error(
                "required",
                "host_fingerprint",
                "请填写主机证书指纹（在主机的“设置”中或 xinfang serve --tls 启动时显示）",
            ));
        }
        let Some(pin) = xinfang_tls::parse_fingerprint(typed) else {
            return Err(field_error(
                "invalid_fingerprint",
                "host_fingerprint",
                "证书指纹应为64位十六进制数字（可带冒号），请与主机上显示的逐位核对",
            ));
        };
        return Ok(HostLink::Pinned(url.to_owned(), pin));
    }
    if let Some(rest) = url.strip_prefix("http://").filter(|r| !r.is_empty()) {
        if is_loopback_host(rest) {
            return Ok(HostLink::Loopback(url.to_owned()));
        }
        return Err(field_error(
            "plain_http_refused",
            "host_url",
            "局域网上的主机须使用 https:// 地址（密码和案件信息不能明文传输）；http:// 只能用于本机（127.0.0.1）",
        ));
    }
    Err(field_error(
        "invalid_url",
        "host_url",
        "请填写主机地址，例如 https://192.168.1.10:8686",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str = "AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB";

    fn refusal(url: &str, fp: Option<&str>) -> (String, Option<String>) {
        let err = check_host(url, fp).expect_err(url);
        (err.code, err.field)
    }

    #[test]
    fn plain_http_is_only_for_this_pc() {
        for url in [
            "http://127.0.0.1:8686",
            "http://localhost:8686/",
            "http://[::1]:8686",
        ] {
            assert!(
                matches!(check_host(url, None), Ok(HostLink::Loopback(_))),
                "{url}"
            );
        }
        for url in [
            "http://192.168.1.10:8686",
            "http://127.0.0.1.example.com",
            "http://host",
        ] {
            assert_eq!(
                refusal(url, None),
                ("plain_http_refused".into(), Some("host_url".into())),
                "{url}"
            );
        }
        assert_eq!(refusal("ftp://x", None).0, "invalid_url");
        assert_eq!(refusal("https://", Some(FP)).0, "invalid_url");
    }

    #[test]
    fn https_needs_a_well_formed_fingerprint() {
        let field = Some("host_fingerprint".to_owned());
        assert_eq!(
            refusal("https://192.168.1.10:8686", None),
            ("required".into(), field.clone())
        );
        assert_eq!(
            refusal("https://192.168.1.10:8686", Some("AB:CD")),
            ("invalid_fingerprint".into(), field)
        );
        let typed = FP.replace(':', "").to_lowercase();
        assert_eq!(
            check_host("https://192.168.1.10:8686/", Some(&typed)),
            Ok(HostLink::Pinned(
                "https://192.168.1.10:8686".into(),
                [0xAB; 32]
            ))
        );
    }
}
