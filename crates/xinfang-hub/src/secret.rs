//! The hub's secrets: one-time enrolment codes, bearer credentials, and how they are kept.
//!
//! Both are drawn from the operating system's randomness and only their SHA-256 is stored.
//! Why SHA-256 and not argon2: argon2 exists to slow down guessing of *low-entropy* secrets
//! that people choose. A credential here is 32 random bytes (256 bits) and an enrolment code
//! 100 random bits that expires in 72 hours; neither can be guessed from its hash at any speed,
//! so a slow hash would only add ~50 ms to every push. A fast, unsalted hash also lets the hub
//! find the centre by the hash of the presented credential with one index lookup, without
//! putting a centre id into the credential.

use crate::{Error, Result};

/// Prefix of every credential, so one pasted into the wrong place is recognisable.
pub const CREDENTIAL_PREFIX: &str = "xfhub1_";

/// Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or retyped survives.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Internal(format!("no randomness from the system: {e}")))?;
    Ok(bytes)
}

/// A new bearer credential: the prefix and 32 random bytes in hex.
pub fn new_credential() -> Result<String> {
    let bytes: [u8; 32] = random_bytes()?;
    let mut text = String::from(CREDENTIAL_PREFIX);
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    Ok(text)
}

/// A new enrolment code: 20 Crockford base32 characters (100 bits) in groups of four,
/// `7K3Q-…`, short enough to read over the phone.
pub fn new_enrolment_code() -> Result<String> {
    let bytes: [u8; 20] = random_bytes()?;
    let mut code = String::new();
    for (idx, byte) in bytes.iter().enumerate() {
        if idx > 0 && idx % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(CROCKFORD[usize::from(byte & 31)]));
    }
    Ok(code)
}

/// The canonical form of a typed enrolment code: dashes and spaces dropped, upper case, and the
/// letters people confuse with digits read as those digits (Crockford's rule). Defined in
/// `xinfang_sync::bundle`, because a desk proving the code in a USB bundle must hash it exactly
/// as the hub does.
pub fn normalise_code(typed: &str) -> String {
    xinfang_sync::bundle::normalise_code(typed)
}

/// The stored form of a secret: SHA-256 in lower-case hex.
pub fn hash(secret: &str) -> String {
    xinfang_sync::bundle::sha256_hex(secret)
}

/// The stored form of an enrolment code as typed.
pub fn hash_code(typed: &str) -> String {
    xinfang_sync::bundle::code_hash(typed)
}

/// A new ed25519 signing key for the hub's bundles, as hex of its 32 secret bytes.
pub fn new_signing_key() -> Result<String> {
    let bytes: [u8; 32] = random_bytes()?;
    Ok(xinfang_sync::bundle::hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_a_retyped_code_hashes_the_same() {
        let a = new_credential().expect("credential");
        let b = new_credential().expect("credential");
        assert_ne!(a, b);
        assert!(a.starts_with(CREDENTIAL_PREFIX));
        assert_eq!(a.len(), CREDENTIAL_PREFIX.len() + 64);
        let code = new_enrolment_code().expect("code");
        assert_eq!(code.len(), 24, "{code}");
        assert_eq!(code.matches('-').count(), 4);
        let retyped = code.to_lowercase().replace('-', " ").replace('0', "o");
        assert_eq!(hash_code(&retyped), hash_code(&code));
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
