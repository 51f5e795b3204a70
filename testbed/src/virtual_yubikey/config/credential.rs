//! One OATH credential of a card description: type, hash, digits, period, secret and — the part
//! real keys are most varied in — its id, `[period/][issuer:]name` or any raw bytes a host PUT.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::virtual_yubikey::error::Error;

/// The HMAC hash of a credential (YKOATH algorithm codes 1–3 in the low nibble of the type byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HashAlgorithm {
    /// HMAC-SHA1, the RFC 4226 default and what AWS virtual MFA uses.
    #[default]
    #[serde(rename = "SHA1", alias = "sha1")]
    Sha1,
    /// HMAC-SHA256 (RFC 6238 §1.2).
    #[serde(rename = "SHA256", alias = "sha256")]
    Sha256,
    /// HMAC-SHA512 (RFC 6238 §1.2; YubiKey 4.3.1 and later).
    #[serde(rename = "SHA512", alias = "sha512")]
    Sha512,
}

impl HashAlgorithm {
    /// The YKOATH algorithm code.
    pub fn code(self) -> u8 {
        match self {
            Self::Sha1 => 0x01,
            Self::Sha256 => 0x02,
            Self::Sha512 => 0x03,
        }
    }

    /// The algorithm for a YKOATH code, if it names one.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0x01 => Some(Self::Sha1),
            0x02 => Some(Self::Sha256),
            0x03 => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The HMAC block size: the longest key the card stores as is (longer ones are hashed by the
    /// host before PUT, RFC 2104 §2).
    pub fn block_size(self) -> usize {
        match self {
            Self::Sha1 | Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

/// Time-based or counter-based (YKOATH type codes in the high nibble of the type byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OathType {
    /// RFC 6238 TOTP: the host sends the time-step counter as the challenge.
    #[default]
    #[serde(rename = "TOTP", alias = "totp")]
    Totp,
    /// RFC 4226 HOTP: the card keeps the counter and advances it on each CALCULATE.
    #[serde(rename = "HOTP", alias = "hotp")]
    Hotp,
}

impl OathType {
    /// The YKOATH type code.
    pub fn code(self) -> u8 {
        match self {
            Self::Hotp => 0x10,
            Self::Totp => 0x20,
        }
    }

    /// The type for a YKOATH type code (high nibble), if it names one.
    pub fn from_code(code: u8) -> Option<Self> {
        match code & 0xF0 {
            0x10 => Some(Self::Hotp),
            0x20 => Some(Self::Totp),
            _ => None,
        }
    }
}

/// One OATH credential as a person would describe it (the fields of an `otpauth://` URI), or by
/// the exact id a host stored.
///
/// Real keys store the id as the host sent it and never parse it; only hosts split it, at the
/// first `:` (yubikit's `parse_cred_id`, ykman's `TOTP_ID_PATTERN`). So aws-vault's
/// `arn:aws:iam::123456789012:mfa/alice`, put with no issuer, is shown by ykman as issuer `arn`
/// and name `aws:iam::…`, and a test that must hold exactly what some software wrote gives the
/// id itself: `{"id": "arn:aws:iam::123456789012:mfa/alice", "secret": "…"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// Account name, e.g. `alice@123456789012`; may be left out when `id` or `id_hex` is given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Issuer, e.g. `Amazon Web Services`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The raw credential id, stored as given instead of `[period/][issuer:]name` (a card
    /// written by other software may hold any id up to 64 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The raw credential id in hex, for ids that are not UTF-8 (a host may PUT any bytes).
    /// Wins over `id`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_id")]
    pub id_hex: Option<Vec<u8>>,
    /// TOTP or HOTP.
    #[serde(default)]
    pub oath_type: OathType,
    /// HMAC hash.
    #[serde(default)]
    pub algorithm: HashAlgorithm,
    /// Code length, 6–8.
    #[serde(default = "default_digits")]
    pub digits: u8,
    /// TOTP period in seconds; it only shapes the id (the card never sees the clock).
    #[serde(default = "default_period")]
    pub period: u32,
    /// HOTP: the next counter value (YKOATH IMF).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub counter: u32,
    /// The shared secret in base32 (RFC 4648, padding optional, case-insensitive).
    pub secret: String,
    /// Whether CALCULATE waits for a touch (YKOATH property `0x02`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub touch: bool,
}

/// `id_hex` is bytes in Rust and a hex string in JSON; bad hex fails the parse, so a description
/// that loaded always has an id.
mod hex_id {
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(bytes) => s.serialize_some(&hex::encode(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| hex::decode(t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

fn default_digits() -> u8 {
    6
}

fn default_period() -> u32 {
    30
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl fmt::Debug for CredentialConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialConfig")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("id", &self.id)
            .field("id_hex", &self.id_hex.as_ref().map(hex::encode))
            .field("oath_type", &self.oath_type)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("counter", &self.counter)
            .field("secret", &"[REDACTED]")
            .field("touch", &self.touch)
            .finish()
    }
}

impl CredentialConfig {
    /// A 6-digit, 30-second HMAC-SHA1 TOTP credential, as AWS virtual MFA issues them.
    pub fn totp(issuer: Option<&str>, name: &str, secret_base32: &str) -> Self {
        Self {
            name: name.to_owned(),
            issuer: issuer.map(str::to_owned),
            id: None,
            id_hex: None,
            oath_type: OathType::Totp,
            algorithm: HashAlgorithm::Sha1,
            digits: 6,
            period: 30,
            counter: 0,
            secret: secret_base32.to_owned(),
            touch: false,
        }
    }

    /// A 6-digit, 30-second HMAC-SHA1 TOTP credential stored under exactly this id, whatever
    /// its shape: `arn:aws:iam::123456789012:mfa/alice` as aws-vault names it, or
    /// `Amazon Web Services:alice@123456789012` as AWS's QR code makes ykman name it.
    pub fn totp_with_id(id: &str, secret_base32: &str) -> Self {
        let mut cred = Self::totp(None, "", secret_base32);
        cred.id = Some(id.to_owned());
        cred
    }

    /// From `issuer:name` (the label of an `otpauth://` URI); no colon means no issuer.
    pub fn totp_for_account(account: &str, secret_base32: &str) -> Self {
        match account.split_once(':') {
            Some((issuer, name)) if !issuer.is_empty() => {
                Self::totp(Some(issuer), name, secret_base32)
            }
            _ => Self::totp(None, account, secret_base32),
        }
    }

    /// The credential id: `[period/][issuer:]name`, the period only for TOTP other than 30 s
    /// (the YKOATH convention ykman and yubikit share).
    /// `id_hex` or `id`, when given, is the id as is.
    pub fn credential_id(&self) -> Vec<u8> {
        if let Some(id) = &self.id_hex {
            return id.clone();
        }
        if let Some(id) = &self.id {
            return id.as_bytes().to_vec();
        }
        format_id(
            self.issuer.as_deref(),
            &self.name,
            self.oath_type,
            self.period,
        )
        .into_bytes()
    }

    /// The decoded secret; the error names the credential, never the secret.
    pub fn secret_bytes(&self) -> Result<Vec<u8>, Error> {
        decode_base32(&self.secret).ok_or_else(|| {
            Error::InvalidConfig(format!(
                "credential {:?}: secret is not base32",
                String::from_utf8_lossy(&self.credential_id())
            ))
        })
    }

    /// Rebuilds a description from what a host PUT: the id is split back into issuer, name and
    /// period the way hosts read it when that gives the same bytes back, else kept verbatim in
    /// `id` (or `id_hex`, when it is not UTF-8), so a saved card holds exactly the id it was given.
    pub fn from_card(
        id: &[u8],
        oath_type: OathType,
        algorithm: HashAlgorithm,
        digits: u8,
        key: &[u8],
        touch: bool,
        counter: u32,
    ) -> Self {
        let text = String::from_utf8_lossy(id).into_owned();
        let (issuer, name, period) = parse_id(&text, oath_type);
        let mut cred = Self {
            name,
            issuer,
            id: None,
            id_hex: None,
            oath_type,
            algorithm,
            digits,
            period,
            counter,
            secret: data_encoding::BASE32_NOPAD.encode(key),
            touch,
        };
        if std::str::from_utf8(id).is_err() {
            cred.id_hex = Some(id.to_vec());
        } else if cred.credential_id() != id {
            cred.id = Some(text);
        }
        cred
    }
}

fn format_id(issuer: Option<&str>, name: &str, oath_type: OathType, period: u32) -> String {
    let mut id = String::new();
    if oath_type == OathType::Totp && period != 30 {
        id.push_str(&format!("{period}/"));
    }
    if let Some(issuer) = issuer {
        id.push_str(issuer);
        id.push(':');
    }
    id.push_str(name);
    id
}

fn parse_id(id: &str, oath_type: OathType) -> (Option<String>, String, u32) {
    // A period prefix is digits only (ykman's `^((\d+)/)?`); `arn:…:mfa/alice` has none.
    let (period, rest) = match id.split_once('/') {
        Some((p, rest))
            if oath_type == OathType::Totp
                && !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match p.parse::<u32>() {
                Ok(p) => (p, rest),
                Err(_) => (30, id),
            }
        }
        _ => (30, id),
    };
    match rest.split_once(':') {
        Some((issuer, name)) if !issuer.is_empty() => {
            (Some(issuer.to_owned()), name.to_owned(), period)
        }
        _ => (None, rest.to_owned(), period),
    }
}

/// Decodes base32 the forgiving way authenticator apps do: case, spaces and `=` padding ignored.
pub fn decode_base32(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        let mut c = CredentialConfig::totp(Some("Iss"), "n", "AAAA");
        assert_eq!(c.credential_id(), b"Iss:n");
        c.period = 60;
        assert_eq!(c.credential_id(), b"60/Iss:n");
        c.oath_type = OathType::Hotp;
        assert_eq!(c.credential_id(), b"Iss:n");
        let odd = CredentialConfig::from_card(
            b"x/y:z",
            OathType::Totp,
            HashAlgorithm::Sha1,
            6,
            b"k",
            false,
            0,
        );
        assert_eq!(odd.credential_id(), b"x/y:z");
        let plain = CredentialConfig::from_card(
            b"15/A:b",
            OathType::Totp,
            HashAlgorithm::Sha1,
            6,
            b"k",
            false,
            0,
        );
        assert_eq!(
            (
                plain.issuer.as_deref(),
                plain.name.as_str(),
                plain.period,
                plain.id
            ),
            (Some("A"), "b", 15, None)
        );
    }

    #[test]
    fn a_raw_id_needs_no_name_and_round_trips_exactly() {
        let json = r#"{"serial": 1, "credentials": [
            {"id": "arn:aws:iam::123456789012:mfa/alice", "secret": "GEZDGNBV"},
            {"id_hex": "636166e93aff", "secret": "GEZDGNBV"},
            {"issuer": "Amazon Web Services", "name": "arn:aws:iam::123456789012:mfa/bob",
             "secret": "GEZDGNBV"},
            {"name": "carol@123456789012", "period": 60, "secret": "GEZDGNBV"}
        ]}"#;
        let cfg: crate::virtual_yubikey::CardConfig = serde_json::from_str(json).unwrap();
        let ids = cfg.credential_ids();
        assert_eq!(
            ids,
            [
                &b"arn:aws:iam::123456789012:mfa/alice"[..],
                b"caf\xE9:\xFF",
                b"Amazon Web Services:arn:aws:iam::123456789012:mfa/bob",
                b"60/carol@123456789012",
            ]
        );
        let text = serde_json::to_string(&cfg).unwrap();
        assert!(
            !text.contains(r#""name":"""#),
            "empty names stay out: {text}"
        );
        let back: crate::virtual_yubikey::CardConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(back.credential_ids(), ids);
        // What a card writes back from those ids gives the same bytes again.
        for id in &ids {
            let cred = CredentialConfig::from_card(
                id,
                OathType::Totp,
                HashAlgorithm::Sha1,
                6,
                b"k",
                false,
                0,
            );
            assert_eq!(&cred.credential_id(), id);
        }
        let bad = r#"{"serial": 1, "credentials": [{"id_hex": "zz", "secret": "GE"}]}"#;
        assert!(serde_json::from_str::<crate::virtual_yubikey::CardConfig>(bad).is_err());
        let nameless = r#"{"serial": 1, "credentials": [{"secret": "GEZDGNBV"}]}"#;
        let cfg: crate::virtual_yubikey::CardConfig = serde_json::from_str(nameless).unwrap();
        let err = crate::virtual_yubikey::VirtualCard::new(cfg)
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a name"), "{err}");
    }

    #[test]
    fn ids_split_as_hosts_read_them() {
        // aws-vault's ARN without an issuer: ykman and yubikit call "arn" the issuer; the bytes
        // are kept all the same.
        let arn = CredentialConfig::from_card(
            b"arn:aws:iam::123456789012:mfa/alice",
            OathType::Totp,
            HashAlgorithm::Sha1,
            6,
            b"k",
            false,
            0,
        );
        assert_eq!(
            (
                arn.issuer.as_deref(),
                arn.name.as_str(),
                arn.period,
                &arn.id
            ),
            (Some("arn"), "aws:iam::123456789012:mfa/alice", 30, &None)
        );
        // An explicit "30/" is not what a host would write for 30 s, so the id is kept raw.
        let thirty = CredentialConfig::from_card(
            b"30/alice@123456789012",
            OathType::Totp,
            HashAlgorithm::Sha1,
            6,
            b"k",
            false,
            0,
        );
        assert_eq!(thirty.id.as_deref(), Some("30/alice@123456789012"));
        // "+5/x" is not a period prefix (ykman's is digits only).
        let plus = CredentialConfig::from_card(
            b"+5/x",
            OathType::Totp,
            HashAlgorithm::Sha1,
            6,
            b"k",
            false,
            0,
        );
        assert_eq!((plus.period, plus.name.as_str()), (30, "+5/x"));
    }

    #[test]
    fn base32_is_forgiving() {
        assert_eq!(
            decode_base32("jbsw y3dp ehpk 3pxp").unwrap(),
            b"Hello!\xDE\xAD\xBE\xEF"
        );
        assert_eq!(decode_base32("JBSWY3DPEHPK3PXP====").unwrap().len(), 10);
        assert!(decode_base32("not base32!").is_none());
        assert!(decode_base32("").is_none());
    }
}
