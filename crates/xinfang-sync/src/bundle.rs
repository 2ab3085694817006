//! Signed bundles: the county exchange on a USB stick, for a centre with no network at all.
//!
//! A bundle is one file:
//!
//! ```text
//! MAGIC (8 bytes "XFBNDL01") | signer's ed25519 public key (32) | gzip(JSON of Contents) | signature (64)
//! ```
//!
//! The signature covers every byte before it (magic, key and compressed body), so any changed
//! byte anywhere is refused: in the first three parts the signature no longer matches, in the
//! signature itself `verify_strict` refuses it (no malleable signatures). The signature is checked
//! *before* the body is decompressed, so garbage and forgeries never reach the JSON parser, and
//! decompression is capped ([`MAX_BODY_BYTES`]) so a small file cannot expand without bound.
//!
//! A valid signature only says who signed; whether that key may speak for the origin in the
//! body is the reader's decision (the hub's table of centre keys, the desk's hub key). Trust:
//!
//! - **The hub learns a centre's key** at network enrolment (`EnrolRequest::public_key`), or
//!   from the centre's first bundle, which then carries a [`BundleEnrolment`]: a proof that
//!   the signer holds the one-time enrolment code ([`code_proof`], an HMAC keyed with the
//!   code's hash, so the stick never carries the code itself), and the hash of a credential
//!   the desk chose, so the centre can sync over the network later with no second code.
//! - **The desk learns the hub's key** at network enrolment (`EnrolResponse::hub_public_key`),
//!   or from the first hub bundle, which must carry [`enrolment_proof`] (an HMAC keyed with the
//!   same code hash over the hub key and the centre's origin: only the hub that saw the code
//!   can make it), or, when neither is possible, from an administrator who compared the key's
//!   fingerprint with the county by telephone (`xinfang bundle import --trust-hub-key`).

use std::io::{Read, Write};

/// The key type of a signer, for callers that keep one.
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Routed, WireEvent};

/// The first bytes of every bundle file (format version 1).
pub const MAGIC: &[u8; 8] = b"XFBNDL01";
/// The largest bundle file read or written (compressed).
pub const MAX_BUNDLE_BYTES: usize = 128 * 1024 * 1024;
/// The largest body once decompressed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024 * 1024;
/// The most events one bundle carries.
pub const MAX_BUNDLE_EVENTS: usize = 1_000_000;

const KEY_LEN: usize = 32;
const SIG_LEN: usize = 64;
/// File extension people see (`XF3301-20261128.xfbundle`).
pub const EXTENSION: &str = "xfbundle";

/// What a bundle carries, one direction or the other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Contents {
    /// A centre's events for the hub (`xinfang bundle export`).
    ToHub(CentreBundle),
    /// The hub's answer for one centre (`xinfang-hub bundle export`).
    ToCentre(HubBundle),
}

/// A centre's bundle for the hub: its events above the mark it last heard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentreBundle {
    /// The centre's origin; every event must carry it.
    pub origin: Uuid,
    /// The centre's code, as the county added it.
    pub centre_code: String,
    /// When the desk wrote the bundle (RFC 3339 UTC).
    pub created_at: String,
    /// The hub's mark as the desk last heard it; the events start above it.
    pub acknowledged: i64,
    /// The hub cursor of the last county event the desk has, so the hub's bundle back starts
    /// after it.
    pub pull_cursor: i64,
    /// The id of the county event the desk holds at `pull_cursor`. A hub restored from an older
    /// backup gives the cursors it forgot to new events; when its event at `pull_cursor` is
    /// another one, it starts its bundles back from the beginning instead of after the cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_anchor: Option<Uuid>,
    /// Present while the hub may not know this centre's key yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment: Option<BundleEnrolment>,
    /// The events in seq order, in wire form.
    pub events: Vec<WireEvent>,
}

/// Enrolment by bundle: proof of the one-time code, and the credential the desk will use online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEnrolment {
    /// The centre's name (informational, as in `EnrolRequest`).
    pub centre_name: String,
    /// [`code_proof`] of the enrolment code over the signer's key and the origin, hex.
    pub code_proof: String,
    /// SHA-256 (hex) of a bearer credential the desk generated and keeps.
    pub credential_hash: String,
}

/// The hub's bundle for one centre: its acknowledgement and the county events routed to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubBundle {
    /// The hub's own origin.
    pub hub_origin: Uuid,
    /// The hub's id of the centre.
    pub centre_id: Uuid,
    /// The origin of the centre it is for; any other register refuses it.
    pub centre_origin: Uuid,
    /// When the hub wrote it (RFC 3339 UTC); a desk applies the mark of the newest only.
    pub created_at: String,
    /// The hub's acknowledged mark of the centre's origin.
    pub acknowledged: i64,
    /// Present for a centre that enrolled by bundle: [`enrolment_proof`], hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment_proof: Option<String>,
    /// County events routed to the centre, in cursor order.
    pub events: Vec<Routed>,
    /// Whether more routed events wait (the next bundle carries them).
    pub more: bool,
}

/// A bundle whose signature checked out: who signed it and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The signer's public key, hex (64 characters).
    pub signer: String,
    /// The contents.
    pub contents: Contents,
}

/// Why a file is not a usable bundle. Each has a stable [`code`](BundleError::code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Larger than [`MAX_BUNDLE_BYTES`] (or its body larger than [`MAX_BODY_BYTES`]).
    TooLarge {
        /// The limit in MiB.
        max_mib: usize,
    },
    /// Too many events for one bundle.
    TooManyEvents {
        /// Events.
        count: usize,
    },
    /// Not a bundle file at all (too short, wrong magic).
    NotABundle,
    /// The signature does not match: the file was changed after signing.
    BadSignature,
    /// Signed, but the body cannot be read (a bug of the writer, or another format version).
    Corrupt(String),
}

impl BundleError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::TooLarge { .. } => "bundle_too_large",
            BundleError::TooManyEvents { .. } => "bundle_too_many_events",
            BundleError::NotABundle => "not_a_bundle",
            BundleError::BadSignature => "bundle_tampered",
            BundleError::Corrupt(_) => "bundle_corrupt",
        }
    }

    /// Chinese message.
    pub fn message_zh(&self) -> String {
        match self {
            BundleError::TooLarge { max_mib } => {
                format!("同步包过大（上限 {max_mib} MB），已拒绝；请分几次导出导入")
            }
            BundleError::TooManyEvents { count } => {
                format!("同步包含 {count} 条事件，超过上限 {MAX_BUNDLE_EVENTS} 条，已拒绝")
            }
            BundleError::NotABundle => {
                "这不是信访同步包文件（文件头不对或文件不完整），未做任何更改".into()
            }
            BundleError::BadSignature => {
                "同步包签名校验失败：文件在签名后被改动过或已损坏，已拒绝，未做任何更改".into()
            }
            BundleError::Corrupt(detail) => {
                format!("同步包内容无法识别（{detail}），已拒绝，未做任何更改")
            }
        }
    }
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message_zh())
    }
}

impl std::error::Error for BundleError {}

/// A signing key from 32 secret bytes (drawn by the caller from the system's randomness).
pub fn signing_key(secret: [u8; 32]) -> SigningKey {
    SigningKey::from_bytes(&secret)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Strict lower-case hex of exactly `N` bytes (upper case is refused, so one key or signature
/// has exactly one spelling).
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (idx, pair) in digits.chunks(2).enumerate() {
        out[idx] = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// The public key of a secret key, hex.
pub fn public_key_hex(key: &SigningKey) -> String {
    hex(key.verifying_key().as_bytes())
}

/// Whether `text` is a usable public key in hex.
pub fn is_public_key(text: &str) -> bool {
    unhex::<KEY_LEN>(text).is_some_and(|b| VerifyingKey::from_bytes(&b).is_ok())
}

/// A short fingerprint of a public key for people to compare by telephone: the first 16 hex
/// digits of its SHA-256 in groups of four (`3f2a-91c0-…`).
pub fn fingerprint(public_key_hex: &str) -> String {
    let digest = hex(&Sha256::digest(public_key_hex.as_bytes()));
    digest.as_bytes()[..16]
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// SHA-256 in lower-case hex: how credentials and enrolment codes are stored at the hub.
pub fn sha256_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The canonical form of a typed enrolment code: dashes and spaces dropped, upper case, and the
/// letters people confuse with digits read as those digits (Crockford's rule).
pub fn normalise_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// The hash the hub keeps of an enrolment code, and the key of the two proofs below.
pub fn code_hash(typed: &str) -> String {
    sha256_hex(&normalise_code(typed))
}

fn hmac_hex(key: &str, parts: &[&[u8]]) -> String {
    // HMAC accepts a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    hex(&mac.finalize().into_bytes())
}

/// The credential a centre chooses for its network enrolment (the hub gets only its hash,
/// [`crate::EnrolRequest::credential_hash`]): an HMAC keyed with the centre's signing secret
/// over the code and its origin, so a retry after a lost answer sends the same one without the
/// desk having had to store it first.
pub fn enrol_credential(signing_secret_hex: &str, code: &str, origin: Uuid) -> String {
    let mac = hmac_hex(
        signing_secret_hex,
        &[
            b"xinfang-enrol-credential/1",
            normalise_code(code).as_bytes(),
            origin.as_bytes(),
        ],
    );
    format!("xfhub1_{mac}")
}

/// The centre's proof that it holds the enrolment code, bound to its key and origin.
/// `code_hash` is [`code_hash`] of the code as typed.
pub fn code_proof(code_hash: &str, centre_key_hex: &str, origin: Uuid) -> String {
    hmac_hex(
        code_hash,
        &[
            b"xinfang-bundle-enrol/1",
            centre_key_hex.as_bytes(),
            origin.as_bytes(),
        ],
    )
}

/// The hub's proof to the centre that its key belongs to the hub that received the code.
pub fn enrolment_proof(code_hash: &str, hub_key_hex: &str, centre_origin: Uuid) -> String {
    hmac_hex(
        code_hash,
        &[
            b"xinfang-hub-key/1",
            hub_key_hex.as_bytes(),
            centre_origin.as_bytes(),
        ],
    )
}

/// Compares two hex strings without stopping at the first difference.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn event_count(contents: &Contents) -> usize {
    match contents {
        Contents::ToHub(b) => b.events.len(),
        Contents::ToCentre(b) => b.events.len(),
    }
}

/// Writes a bundle: the contents compressed and signed with `key`.
pub fn seal(contents: &Contents, key: &SigningKey) -> Result<Vec<u8>, BundleError> {
    let count = event_count(contents);
    if count > MAX_BUNDLE_EVENTS {
        return Err(BundleError::TooManyEvents { count });
    }
    let json = serde_json::to_vec(contents).map_err(|e| BundleError::Corrupt(e.to_string()))?;
    if json.len() > MAX_BODY_BYTES {
        return Err(BundleError::TooLarge {
            max_mib: MAX_BODY_BYTES >> 20,
        });
    }
    let mut out = Vec::with_capacity(json.len() / 4 + 128);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(key.verifying_key().as_bytes());
    let mut gzip = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    gzip.write_all(&json)
        .map_err(|e| BundleError::Corrupt(e.to_string()))?;
    let mut out = gzip
        .finish()
        .map_err(|e| BundleError::Corrupt(e.to_string()))?;
    let signature = key.sign(&out);
    out.extend_from_slice(&signature.to_bytes());
    if out.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge {
            max_mib: MAX_BUNDLE_BYTES >> 20,
        });
    }
    Ok(out)
}

/// Reads a bundle: checks size, magic and signature, then decompresses and parses the body.
/// Never panics on any input.
pub fn open(bytes: &[u8]) -> Result<Opened, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge {
            max_mib: MAX_BUNDLE_BYTES >> 20,
        });
    }
    if bytes.len() < MAGIC.len() + KEY_LEN + SIG_LEN || !bytes.starts_with(MAGIC) {
        return Err(BundleError::NotABundle);
    }
    let (signed, signature) = bytes.split_at(bytes.len() - SIG_LEN);
    let key: [u8; KEY_LEN] = signed[MAGIC.len()..MAGIC.len() + KEY_LEN]
        .try_into()
        .map_err(|_| BundleError::NotABundle)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| BundleError::BadSignature)?;
    let signature: [u8; SIG_LEN] = signature.try_into().map_err(|_| BundleError::NotABundle)?;
    key.verify_strict(signed, &Signature::from_bytes(&signature))
        .map_err(|_| BundleError::BadSignature)?;
    let body = &signed[MAGIC.len() + KEY_LEN..];
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|e| BundleError::Corrupt(format!("解压失败：{e}")))?;
    if json.len() > MAX_BODY_BYTES {
        return Err(BundleError::TooLarge {
            max_mib: MAX_BODY_BYTES >> 20,
        });
    }
    let contents: Contents =
        serde_json::from_slice(&json).map_err(|e| BundleError::Corrupt(e.to_string()))?;
    let count = event_count(&contents);
    if count > MAX_BUNDLE_EVENTS {
        return Err(BundleError::TooManyEvents { count });
    }
    Ok(Opened {
        signer: hex(key.as_bytes()),
        contents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64) -> WireEvent {
        WireEvent {
            id: Uuid::from_u128(seq as u128),
            origin: Uuid::from_u128(1),
            seq,
            actor: "u1".into(),
            at: "2026-11-28T07:30:00.000Z".into(),
            kind: "matter.registered".into(),
            schema_version: 1,
            payload: serde_json::json!({"summary": "供暖不足", "seq": seq}).into(),
        }
    }

    fn sample() -> Contents {
        Contents::ToHub(CentreBundle {
            origin: Uuid::from_u128(1),
            centre_code: "XF3301".into(),
            created_at: "2026-11-28T07:30:00.000Z".into(),
            acknowledged: 0,
            pull_cursor: 0,
            pull_anchor: None,
            enrolment: None,
            events: (1..=20).map(event).collect(),
        })
    }

    #[test]
    fn a_sealed_bundle_opens_and_names_its_signer() {
        let key = signing_key([7; 32]);
        let bytes = seal(&sample(), &key).expect("seal");
        let opened = open(&bytes).expect("open");
        assert_eq!(opened.contents, sample());
        assert_eq!(opened.signer, public_key_hex(&key));
        assert!(is_public_key(&opened.signer));
    }

    #[test]
    fn every_changed_byte_is_refused() {
        let key = signing_key([7; 32]);
        let bytes = seal(&sample(), &key).expect("seal");
        for idx in 0..bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut changed = bytes.clone();
                changed[idx] ^= flip;
                let err = open(&changed).expect_err("changed byte accepted");
                assert!(
                    matches!(err, BundleError::NotABundle | BundleError::BadSignature),
                    "byte {idx}: {err:?}"
                );
            }
        }
        assert_eq!(
            open(&bytes[..bytes.len() - 1]).expect_err("cut"),
            BundleError::BadSignature
        );
        let mut longer = bytes;
        longer.push(0);
        assert_eq!(
            open(&longer).expect_err("longer"),
            BundleError::BadSignature
        );
    }

    #[test]
    fn garbage_is_refused_without_a_panic() {
        for input in [&b""[..], b"XFBNDL01", &[0u8; 200][..], &[b'X'; 104][..]] {
            assert!(open(input).is_err());
        }
        let mut fake = MAGIC.to_vec();
        fake.extend_from_slice(&[0xff; 32 + 10 + 64]);
        assert!(open(&fake).is_err());
        // Properly signed, but the body is not gzip of the contents.
        let key = signing_key([9; 32]);
        let mut signed = MAGIC.to_vec();
        signed.extend_from_slice(key.verifying_key().as_bytes());
        signed.extend_from_slice(b"not gzip");
        let signature = key.sign(&signed);
        signed.extend_from_slice(&signature.to_bytes());
        assert_eq!(open(&signed).expect_err("body").code(), "bundle_corrupt");
        assert_eq!(
            open(&vec![0; MAX_BUNDLE_BYTES + 1])
                .expect_err("size")
                .code(),
            "bundle_too_large"
        );
    }

    #[test]
    fn proofs_bind_the_code_the_key_and_the_origin() {
        let code = code_hash("7k3q-abcd-efgh-jkmn-pqrs");
        assert_eq!(code, code_hash("7K3QABCDEFGHJKMNPQRS"), "retyped");
        let key = public_key_hex(&signing_key([1; 32]));
        let proof = code_proof(&code, &key, Uuid::from_u128(1));
        assert!(same_secret(
            &proof,
            &code_proof(&code, &key, Uuid::from_u128(1))
        ));
        assert_ne!(proof, code_proof(&code, &key, Uuid::from_u128(2)));
        let other = public_key_hex(&signing_key([2; 32]));
        assert_ne!(proof, code_proof(&code, &other, Uuid::from_u128(1)));
        assert_ne!(
            proof,
            code_proof(&code_hash("0000"), &key, Uuid::from_u128(1))
        );
        assert_ne!(proof, enrolment_proof(&code, &key, Uuid::from_u128(1)));
        assert_eq!(unhex::<2>("0aff"), Some([0x0a, 0xff]));
        assert_eq!(unhex::<2>("0AFF"), None, "one spelling only");
        assert_eq!(fingerprint(&key).len(), 19);
    }
}
