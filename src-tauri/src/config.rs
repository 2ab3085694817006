//! The shell's own settings (which mode, which host), kept in the OS config directory apart
//! from the register, so a desk client never creates a register of its own.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
    /// Desk mode: the host's address, e.g. `http://192.168.1.10:8686`.
    #[serde(default)]
    pub host_url: Option<String>,
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
