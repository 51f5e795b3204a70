//! The card's arithmetic: HMAC under the credential's hash (RFC 2104), HOTP dynamic truncation
//! (RFC 4226 §5.3), the YKOATH access key (PBKDF2-HMAC-SHA1, 1000 rounds, 16 bytes, salted with
//! the SELECT name tag). No state, no I/O.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};

use super::config::HashAlgorithm;

/// HMAC of `message` under `key`. Keys shorter than the block size are zero-padded and longer
/// ones hashed first (RFC 2104 §2), which is why YKOATH hosts may pad keys to 14 bytes or
/// pre-hash long ones without changing any code.
pub fn hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }
    match algorithm {
        HashAlgorithm::Sha1 => run::<Hmac<Sha1>>(key, message),
        HashAlgorithm::Sha256 => run::<Hmac<Sha256>>(key, message),
        HashAlgorithm::Sha512 => run::<Hmac<Sha512>>(key, message),
    }
}

/// Dynamic truncation (RFC 4226 §5.3): four bytes at the offset named by the low nibble of the
/// last byte, top bit cleared. `None` only for a digest shorter than any HMAC this card makes.
pub fn truncate(digest: &[u8]) -> Option<u32> {
    let offset = usize::from(digest.last()? & 0x0F);
    let window = digest.get(offset..offset + 4)?;
    let bytes: [u8; 4] = window.try_into().ok()?;
    Some(u32::from_be_bytes(bytes) & 0x7FFF_FFFF)
}

/// The code a host shows for a truncated value: `value mod 10^digits`, zero-padded (RFC 4226
/// §5.3 step 3). Used by tests and by anything that wants to print what the card computed.
pub fn format_code(truncated: u32, digits: u8) -> String {
    let modulus = 10u64.pow(u32::from(digits.min(10)));
    format!(
        "{:0width$}",
        u64::from(truncated) % modulus,
        width = usize::from(digits)
    )
}

/// The YKOATH access key for `password`: PBKDF2-HMAC-SHA1 over the card's salt (the SELECT
/// name tag), 1000 iterations, 16 bytes — what ykman and yubikit's `derive_key` compute.
pub fn derive_access_key(password: &str, salt: &[u8]) -> [u8; 16] {
    let mut key = [0u8; 16];
    pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), salt, 1000, &mut key);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4226_appendix_d() {
        // RFC 4226 Appendix D: secret "12345678901234567890", counters 0..9.
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, want) in expected.iter().enumerate() {
            let mac = hmac(
                HashAlgorithm::Sha1,
                b"12345678901234567890",
                &(counter as u64).to_be_bytes(),
            );
            assert_eq!(format_code(truncate(&mac).unwrap(), 6), *want);
        }
    }

    #[test]
    fn zero_padding_does_not_change_hmac() {
        let short = hmac(HashAlgorithm::Sha1, b"abc", b"m");
        let padded = hmac(HashAlgorithm::Sha1, b"abc\0\0\0\0\0\0\0\0\0\0\0", b"m");
        assert_eq!(short, padded);
    }

    #[test]
    fn access_key_matches_yubikit() {
        let salt = b"test_salt";
        let ours = derive_access_key("password", salt);
        let theirs = yubikit::oath::derive_key(salt, "password");
        assert_eq!(&ours[..], theirs.expose_secret());
    }
}
