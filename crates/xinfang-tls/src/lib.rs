//! TLS for the two links that leave a machine: desk → county hub, and LAN desks → the centre
//! host. Both servers use a certificate nobody signs: made once in the data directory
//! ([`Identity::load_or_create`]) or given as files, and known to its clients by the SHA-256
//! of its DER encoding ([`fingerprint`]), which a person reads out or hands over with the
//! enrolment code. The client side ([`client`]) accepts exactly that certificate and nothing
//! else — no certificate authority, no host name check (a centre reaches the hub by an IP
//! address that no certificate would name).
//!
//! One link is the exception: the hub's connection to a PostgreSQL server the county already
//! runs. That server has a certificate from the county's (or the database vendor's) authority,
//! so [`ca_client_config`] checks the chain against that authority and the host name, as
//! libpq's `sslmode=verify-full` does.
//!
//! The crypto is rustls with `ring` (aws-lc-rs would need cmake and clang on every build
//! machine). [`server`] puts a rustls acceptor under `axum::serve`.

pub mod client;
pub mod server;

use std::{
    io,
    path::{Path, PathBuf},
    sync::Arc,
};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use sha2::{Digest, Sha256};

/// The directory under a data directory that holds a self-made certificate and its key.
pub const TLS_DIR: &str = "tls";
/// File names inside [`TLS_DIR`].
pub const CERT_FILE: &str = "cert.pem";
/// The private key; written with mode 0600.
pub const KEY_FILE: &str = "key.pem";

/// What can go wrong loading or making a certificate.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A file holds no usable certificate or key.
    #[error("{path}：{message}")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What is wrong, in Chinese.
        message: String,
    },
    /// rcgen or rustls refused.
    #[error("TLS: {0}")]
    Tls(String),
}

/// The SHA-256 of a certificate's DER, as colon-separated upper-case hex pairs (the form
/// `openssl x509 -fingerprint -sha256` prints, so either can be compared by eye).
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Reads a fingerprint as a person may type or paste it — upper or lower case, with or without
/// colons or spaces, with or without a `SHA256:` prefix — into its 32 bytes. `None` if it is
/// not 64 hex digits.
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let text = text
        .strip_prefix("SHA256:")
        .or_else(|| text.strip_prefix("sha256:"))
        .or_else(|| text.strip_prefix("SHA-256:"))
        .unwrap_or(text);
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// The display form of 32 fingerprint bytes (as [`fingerprint`] prints it).
pub fn format_fingerprint(bytes: &[u8; 32]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fingerprint of the first certificate in a PEM file.
pub fn file_fingerprint(cert: &Path) -> Result<String, TlsError> {
    let pem = std::fs::read(cert).map_err(|source| TlsError::Io {
        path: cert.to_path_buf(),
        source,
    })?;
    let first = CertificateDer::pem_slice_iter(&pem).next();
    match first {
        Some(Ok(der)) => Ok(fingerprint(&der)),
        _ => Err(TlsError::Bad {
            path: cert.to_path_buf(),
            message: "文件中没有 PEM 证书".into(),
        }),
    }
}

/// A server's certificate chain and private key.
pub struct Identity {
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    /// Where the files are.
    pub cert_path: PathBuf,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("cert_path", &self.cert_path)
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The leaf certificate's fingerprint, what clients pin.
    pub fn fingerprint(&self) -> String {
        self.chain
            .first()
            .map_or_else(String::new, |c| fingerprint(c))
    }

    /// Loads a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_files(cert: &Path, key: &Path) -> Result<Identity, TlsError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TlsError::Io { path, source }
        };
        let cert_pem = std::fs::read(cert).map_err(io(cert))?;
        let key_pem = std::fs::read(key).map_err(io(key))?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| TlsError::Bad {
                path: cert.to_path_buf(),
                message: format!("不是有效的 PEM 证书：{e}"),
            })?;
        if chain.is_empty() {
            return Err(TlsError::Bad {
                path: cert.to_path_buf(),
                message: "文件中没有证书".into(),
            });
        }
        let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Bad {
            path: key.to_path_buf(),
            message: format!("不是有效的 PEM 私钥：{e}"),
        })?;
        Ok(Identity {
            chain,
            key: key_der,
            cert_path: cert.to_path_buf(),
        })
    }

    /// The certificate in `<data_dir>/tls/`, made there on first use: a self-signed ECDSA
    /// P-256 certificate naming `names` (host names or IP addresses; clients pin the
    /// fingerprint, so the names are for people reading it), with the key file at mode 0600.
    /// Returns the identity and whether it was made now.
    pub fn load_or_create(data_dir: &Path, names: &[String]) -> Result<(Identity, bool), TlsError> {
        let dir = data_dir.join(TLS_DIR);
        let cert = dir.join(CERT_FILE);
        let key = dir.join(KEY_FILE);
        if cert.exists() && key.exists() {
            return Ok((Identity::from_files(&cert, &key)?, false));
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TlsError::Io { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let made = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| TlsError::Tls(e.to_string()))?;
        // The key first, then the certificate: a crash between the two leaves no certificate,
        // so the next start makes both again rather than pairing a certificate with no key.
        write_private(&key, made.signing_key.serialize_pem().as_bytes()).map_err(io(&key))?;
        write_file(&cert, made.cert.pem().as_bytes()).map_err(io(&cert))?;
        Ok((Identity::from_files(&cert, &key)?, true))
    }

    /// The rustls server configuration (HTTP/1.1 and h2 by ALPN).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| TlsError::Tls(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The crypto provider everything here uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A rustls client configuration that trusts the certificate authorities in the PEM file
/// `ca_file` and nothing else (no system store: the hub's machines may have none, and a
/// county database is not signed by a public authority), with the usual chain, validity and
/// host-name checks.
pub fn ca_client_config(ca_file: &Path) -> Result<rustls::ClientConfig, TlsError> {
    let pem = std::fs::read(ca_file).map_err(|source| TlsError::Io {
        path: ca_file.to_path_buf(),
        source,
    })?;
    let bad = |message: String| TlsError::Bad {
        path: ca_file.to_path_buf(),
        message,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| bad(format!("PEM 证书无法读取：{e}")))?;
        roots
            .add(cert)
            .map_err(|e| bad(format!("不能作为签发机构证书：{e}")))?;
    }
    if roots.is_empty() {
        return Err(bad("文件中没有 PEM 证书".into()));
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// Writes a file through a temporary name and a rename, so it is whole or absent.
fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, path)
}

/// [`write_file`] for a secret: created with mode 0600 before a byte is written (Unix).
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&partial)?;
    io::Write::write_all(&mut file, bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&partial, path)
}

/// The names a self-made certificate carries when the server listens on `listen`: the
/// address itself when it is a specific one, and `localhost`.
pub fn names_for(listen: &str) -> Vec<String> {
    let mut names = vec!["localhost".to_owned()];
    if let Ok(addr) = listen.parse::<std::net::SocketAddr>()
        && !addr.ip().is_unspecified()
        && !addr.ip().is_loopback()
    {
        names.push(addr.ip().to_string());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_reads_back_in_every_form_a_person_types_it() {
        let der = b"not really a certificate";
        let shown = fingerprint(der);
        assert_eq!(shown.len(), 32 * 3 - 1);
        let bytes = parse_fingerprint(&shown).expect("shown form");
        assert_eq!(format_fingerprint(&bytes), shown);
        let plain: String = shown.chars().filter(|c| *c != ':').collect();
        assert_eq!(parse_fingerprint(&plain.to_lowercase()), Some(bytes));
        assert_eq!(parse_fingerprint(&format!("SHA256:{shown}")), Some(bytes));
        assert_eq!(parse_fingerprint(&shown[3..]), None, "one byte short");
        assert_eq!(parse_fingerprint(&shown.replace('A', "G")), None);
    }

    #[test]
    fn a_made_certificate_is_kept_and_its_key_is_private() {
        let dir = tempfile::tempdir().expect("dir");
        let (first, made) =
            Identity::load_or_create(dir.path(), &names_for("127.0.0.1:0")).expect("make");
        assert!(made);
        let (again, made) = Identity::load_or_create(dir.path(), &[]).expect("load");
        assert!(!made, "the second start reuses it");
        assert_eq!(first.fingerprint(), again.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(TLS_DIR).join(KEY_FILE))
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        first.server_config().expect("rustls takes it");
    }
}
