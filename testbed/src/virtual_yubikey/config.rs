//! The card description a test writes and `virtual-yubikey --state FILE` reads: serial, firmware
//! version, password, credentials (with base32 secrets, as in an `otpauth://` URI), touch policy
//! and simulated removal. Owns the JSON shape, its validation and the state file on disk; it
//! never runs a command. Secrets are redacted from `Debug` so a failed assertion cannot leak one.
//!
//! ```json
//! {
//!   "serial": 12345678,
//!   "version": "5.7.2",
//!   "salt": "329d8b080a6052df",
//!   "password": "optional; or \"access_key\": \"32 hex digits\"",
//!   "credentials": [
//!     { "issuer": "Amazon Web Services", "name": "alice@123456789012",
//!       "oath_type": "TOTP", "algorithm": "SHA1", "digits": 6, "period": 30,
//!       "secret": "JBSWY3DPEHPK3PXP", "touch": false }
//!   ],
//!   "touch": { "policy": "accept" },
//!   "remove_after_apdus": 40,
//!   "reinsert_after_ms": 2000,
//!   "otp_application": true,
//!   "otp_slots": {
//!     "1": { "secret": "3132333435363738393031323334353637383930" },
//!     "2": { "secret_base32": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "touch": true,
//!            "touch_policy": { "policy": "delay", "ms": 300 } }
//!   }
//! }
//! ```
//!
//! Only `serial` is required. `touch` is `{"policy": "accept"}`, `{"policy": "delay", "ms": N}`
//! or `{"policy": "deny", "after_ms": N}`; a credential may carry `"id"` (a raw credential id)
//! and, for HOTP, `"counter"`. Unknown fields are refused, so a typo cannot pass silently.
//!
//! `otp_slots` (optional; absent means both OTP slots are empty) programs the OTP application's
//! slots `"1"` and `"2"`. A slot is HMAC-SHA1 challenge-response by default: its key (1–20
//! bytes, as `ykman otp chalresp` takes it) is `"secret"` in hex or `"secret_base32"` in base32 —
//! exactly one of them. `"touch": true` sets the slot's "require touch" flag (the finger then
//! follows the slot's `"touch_policy"`, else the card's `"touch"`); `"lt64": false` turns off
//! short-challenge mode (on by default, as ykman and yubikit program it). `{"mode": "keyboard"}`
//! is a touch-triggered slot (Yubico OTP, static password or HOTP typed on touch): configured,
//! but answering no challenge.

use std::fmt;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::Error;

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

/// What the simulated finger does when a touch credential is calculated.
///
/// A real YubiKey blinks and waits about 15 s for a touch, then answers `6982`; CALCULATE ALL
/// never waits and returns tag `7C` instead of a code for such credentials (YKOATH).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "TouchRepr", from = "TouchRepr")]
pub enum TouchPolicy {
    /// Touched at once.
    #[default]
    Accept,
    /// Touched after this long: the CALCULATE answer comes after the delay.
    Delay(Duration),
    /// Never touched: `6982` after this long (a real key's timeout is about 15 s; tests use less).
    Deny {
        /// How long the card "blinks" before giving up.
        after: Duration,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
enum TouchRepr {
    Accept,
    Delay {
        ms: u64,
    },
    Deny {
        #[serde(default)]
        after_ms: u64,
    },
}

impl From<TouchPolicy> for TouchRepr {
    fn from(p: TouchPolicy) -> Self {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        match p {
            TouchPolicy::Accept => Self::Accept,
            TouchPolicy::Delay(d) => Self::Delay { ms: ms(d) },
            TouchPolicy::Deny { after } => Self::Deny {
                after_ms: ms(after),
            },
        }
    }
}

impl From<TouchRepr> for TouchPolicy {
    fn from(r: TouchRepr) -> Self {
        match r {
            TouchRepr::Accept => Self::Accept,
            TouchRepr::Delay { ms } => Self::Delay(Duration::from_millis(ms)),
            TouchRepr::Deny { after_ms } => Self::Deny {
                after: Duration::from_millis(after_ms),
            },
        }
    }
}

/// One OATH credential as a person would describe it (the fields of an `otpauth://` URI).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialConfig {
    /// Account name, e.g. `alice@123456789012`.
    pub name: String,
    /// Issuer, e.g. `Amazon Web Services`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The raw credential id, when it is not `[period/][issuer:]name` (a card written by other
    /// software may hold any bytes up to 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
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
            oath_type: OathType::Totp,
            algorithm: HashAlgorithm::Sha1,
            digits: 6,
            period: 30,
            counter: 0,
            secret: secret_base32.to_owned(),
            touch: false,
        }
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
    pub fn credential_id(&self) -> Vec<u8> {
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
    /// period when it has the conventional form, else kept verbatim in `id`.
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
            oath_type,
            algorithm,
            digits,
            period,
            counter,
            secret: data_encoding::BASE32_NOPAD.encode(key),
            touch,
        };
        if cred.credential_id() != id {
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
    let (period, rest) = match id.split_once('/') {
        Some((p, rest)) if oath_type == OathType::Totp => match p.parse::<u32>() {
            Ok(p) => (p, rest),
            Err(_) => (30, id),
        },
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

/// The whole card, as stored in a `--state` file.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardConfig {
    /// The device serial number (management READ CONFIG tag `02`, and the OTP application).
    pub serial: u32,
    /// Firmware version `major.minor.patch` (OATH SELECT tag `79`, management, OTP status).
    #[serde(default = "default_version")]
    pub version: String,
    /// The OATH salt and device id (SELECT tag `71`), 8 bytes in hex; random when absent. Keep it
    /// fixed to keep the device id and the password-derived key stable across restarts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// An OATH password; the access key is derived from it with the salt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The 16-byte access key in hex, instead of a password (what SET CODE leaves behind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    /// The OATH credentials, in LIST order.
    #[serde(default)]
    pub credentials: Vec<CredentialConfig>,
    /// What happens when a touch credential is calculated.
    #[serde(default)]
    pub touch: TouchPolicy,
    /// Removal: the card answers this many APDUs, then vanishes (the transport drops).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_after_apdus: Option<u64>,
    /// After a removal, the card comes back after this many milliseconds (vpcd only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reinsert_after_ms: Option<u64>,
    /// Whether the OTP application answers SELECT (version and serial for discovery). When
    /// false its AID answers `6A82`, like a key with OTP disabled over CCID.
    #[serde(default = "yes")]
    pub otp_application: bool,
    /// The OTP application's two slots; both empty when absent.
    #[serde(default, skip_serializing_if = "OtpSlots::is_empty")]
    pub otp_slots: OtpSlots,
}

/// The two OTP slots of a card description, keyed `"1"` and `"2"` in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpSlots {
    /// Slot 1 (the "short touch" slot).
    #[serde(rename = "1", default, skip_serializing_if = "Option::is_none")]
    pub one: Option<OtpSlotConfig>,
    /// Slot 2 (the "long touch" slot).
    #[serde(rename = "2", default, skip_serializing_if = "Option::is_none")]
    pub two: Option<OtpSlotConfig>,
}

impl OtpSlots {
    /// Whether neither slot is programmed.
    pub fn is_empty(&self) -> bool {
        self.one.is_none() && self.two.is_none()
    }
}

/// What an OTP slot is programmed with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpSlotMode {
    /// HMAC-SHA1 challenge-response (slot commands `0x30` / `0x38`).
    #[default]
    HmacSha1,
    /// A slot that types something on touch (Yubico OTP, static password, OATH-HOTP): shown as
    /// configured and touch-triggered, answering no challenge.
    Keyboard,
}

/// One OTP slot as a card description holds it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpSlotConfig {
    /// Challenge-response (default) or keyboard.
    #[serde(default, skip_serializing_if = "is_default_mode")]
    pub mode: OtpSlotMode,
    /// The HMAC key in hex, 1–20 bytes (longer keys are SHA-1 hashed by the host first, as
    /// yubikit and ykman do; RFC 2104 §2 makes that the same HMAC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The HMAC key in base32 instead (RFC 4648; as `oathtool -b` and `otpauth://` take it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_base32: Option<String>,
    /// The slot's "require touch" flag (`CFGFLAG_CHAL_BTN_TRIG`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub touch: bool,
    /// What the finger does for this slot; the card's `touch` policy when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub touch_policy: Option<TouchPolicy>,
    /// Short-challenge mode (`CFGFLAG_HMAC_LT64`): the key drops the challenge's trailing
    /// padding. On unless `false`, as ykman and yubikit program slots.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub lt64: bool,
}

fn is_default_mode(mode: &OtpSlotMode) -> bool {
    *mode == OtpSlotMode::HmacSha1
}

fn is_true(b: &bool) -> bool {
    *b
}

impl fmt::Debug for OtpSlotConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("OtpSlotConfig")
            .field("mode", &self.mode)
            .field("secret", &redact(&self.secret))
            .field("secret_base32", &redact(&self.secret_base32))
            .field("touch", &self.touch)
            .field("touch_policy", &self.touch_policy)
            .field("lt64", &self.lt64)
            .finish()
    }
}

impl OtpSlotConfig {
    /// An HMAC-SHA1 challenge-response slot with this key (given as hex), no touch.
    pub fn hmac_sha1(secret: &[u8]) -> Self {
        Self {
            mode: OtpSlotMode::HmacSha1,
            secret: Some(hex::encode(secret)),
            secret_base32: None,
            touch: false,
            touch_policy: None,
            lt64: true,
        }
    }

    /// A touch-triggered keyboard slot.
    pub fn keyboard() -> Self {
        Self {
            mode: OtpSlotMode::Keyboard,
            secret: None,
            secret_base32: None,
            touch: false,
            touch_policy: None,
            lt64: true,
        }
    }

    /// Sets the "require touch" flag.
    pub fn with_touch(mut self, touch: bool) -> Self {
        self.touch = touch;
        self
    }

    /// Sets this slot's own touch policy.
    pub fn with_touch_policy(mut self, policy: TouchPolicy) -> Self {
        self.touch_policy = Some(policy);
        self
    }

    /// The decoded HMAC key (`None` for a keyboard slot); the error names the slot, never the
    /// key.
    pub fn secret_bytes(&self, slot: u8) -> Result<Option<Vec<u8>>, Error> {
        let invalid = |why: &str| Error::InvalidConfig(format!("otp_slots.{slot}: {why}"));
        let key = match (self.mode, &self.secret, &self.secret_base32) {
            (OtpSlotMode::Keyboard, None, None) => return Ok(None),
            (OtpSlotMode::Keyboard, _, _) => {
                return Err(invalid("a keyboard slot takes no secret"));
            }
            (OtpSlotMode::HmacSha1, Some(text), None) => {
                let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                hex::decode(cleaned).map_err(|_| invalid("secret is not hex"))?
            }
            (OtpSlotMode::HmacSha1, None, Some(text)) => {
                decode_base32(text).ok_or_else(|| invalid("secret_base32 is not base32"))?
            }
            (OtpSlotMode::HmacSha1, None, None) => {
                return Err(invalid("needs \"secret\" (hex) or \"secret_base32\""));
            }
            (OtpSlotMode::HmacSha1, Some(_), Some(_)) => {
                return Err(invalid("give \"secret\" or \"secret_base32\", not both"));
            }
        };
        if key.is_empty() || key.len() > 20 {
            return Err(invalid(&format!(
                "an HMAC-SHA1 slot key is 1-20 bytes, not {}",
                key.len()
            )));
        }
        Ok(Some(key))
    }
}

fn default_version() -> String {
    "5.7.2".to_owned()
}

fn yes() -> bool {
    true
}

impl fmt::Debug for CardConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("CardConfig")
            .field("serial", &self.serial)
            .field("version", &self.version)
            .field("salt", &self.salt)
            .field("password", &redact(&self.password))
            .field("access_key", &redact(&self.access_key))
            .field("credentials", &self.credentials)
            .field("touch", &self.touch)
            .field("remove_after_apdus", &self.remove_after_apdus)
            .field("reinsert_after_ms", &self.reinsert_after_ms)
            .field("otp_application", &self.otp_application)
            .field("otp_slots", &self.otp_slots)
            .finish()
    }
}

impl CardConfig {
    /// An empty YubiKey 5 NFC (firmware 5.7.2) with this serial and a fresh random salt.
    pub fn new(serial: u32) -> Self {
        Self {
            serial,
            version: default_version(),
            salt: Some(hex::encode(super::crypto::random::<8>())),
            password: None,
            access_key: None,
            credentials: Vec::new(),
            touch: TouchPolicy::Accept,
            remove_after_apdus: None,
            reinsert_after_ms: None,
            otp_application: true,
            otp_slots: OtpSlots::default(),
        }
    }

    /// Programs OTP slot 1 or 2 (any other number is ignored).
    pub fn with_otp_slot(mut self, slot: u8, config: OtpSlotConfig) -> Self {
        match slot {
            1 => self.otp_slots.one = Some(config),
            2 => self.otp_slots.two = Some(config),
            _ => {}
        }
        self
    }

    /// Adds a credential, replacing one with the same id (as PUT does on a real key).
    pub fn with_credential(mut self, cred: CredentialConfig) -> Self {
        self.upsert_credential(cred);
        self
    }

    /// Sets the OATH password.
    pub fn with_password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self.access_key = None;
        self
    }

    /// Sets the touch policy.
    pub fn with_touch(mut self, policy: TouchPolicy) -> Self {
        self.touch = policy;
        self
    }

    /// Adds or replaces (same id) a credential.
    pub fn upsert_credential(&mut self, cred: CredentialConfig) {
        let id = cred.credential_id();
        match self
            .credentials
            .iter_mut()
            .find(|c| c.credential_id() == id)
        {
            Some(existing) => *existing = cred,
            None => self.credentials.push(cred),
        }
    }

    /// The firmware version as three bytes.
    pub fn version_bytes(&self) -> Result<[u8; 3], Error> {
        let parts: Vec<Result<u8, _>> = self.version.split('.').map(str::parse::<u8>).collect();
        match parts.as_slice() {
            [Ok(a), Ok(b), Ok(c)] => Ok([*a, *b, *c]),
            _ => Err(Error::InvalidConfig(format!(
                "version {:?} is not major.minor.patch",
                self.version
            ))),
        }
    }

    /// Reads and parses a state file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadState {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| Error::ParseState {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes the state file atomically (temporary file + rename) and, since it holds secrets,
    /// readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let write_err = |source| Error::WriteState {
            path: path.to_owned(),
            source,
        };
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| write_err(std::io::Error::other(e)))?;
        text.push('\n');
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".to_owned());
        let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(write_err)?;
        file.write_all(text.as_bytes()).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(write_err)
    }
}

/// Reads a base32 seed (or an `otpauth://` URI carrying one) from a file that only its owner
/// can read, as the main crate demands of seed files. Returns the normalised base32 text; errors
/// say what is wrong with the file, never what is in it.
pub fn read_seed_file(path: &Path) -> Result<String, Error> {
    let refuse = |reason: String| Error::Seed {
        path: path.to_owned(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| refuse(e.to_string()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(refuse(format!(
                "readable by group or others (mode {mode:03o}); chmod 600 it"
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
    let text = text.trim();
    let secret = if let Some(rest) = text.strip_prefix("otpauth://") {
        let query = rest.split_once('?').map(|(_, q)| q).unwrap_or("");
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "secret")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| refuse("otpauth URI has no secret parameter".to_owned()))?
    } else {
        text.to_owned()
    };
    let bytes = decode_base32(&secret).ok_or_else(|| refuse("not base32".to_owned()))?;
    Ok(data_encoding::BASE32_NOPAD.encode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_defaults() {
        let json = r#"{
            "serial": 12345678,
            "password": "hunter2",
            "touch": {"policy": "delay", "ms": 1500},
            "credentials": [
                {"issuer": "Amazon Web Services", "name": "alice@123456789012",
                 "secret": "jbswy3dpehpk3pxp"},
                {"name": "h", "oath_type": "HOTP", "algorithm": "SHA256", "digits": 8,
                 "secret": "GEZDGNBVGY3TQOJQ", "touch": true, "counter": 5}
            ]
        }"#;
        let cfg: CardConfig = serde_json::from_str(json).unwrap();
        assert_eq!(cfg.version, "5.7.2");
        assert!(cfg.otp_application);
        assert_eq!(cfg.touch, TouchPolicy::Delay(Duration::from_millis(1500)));
        assert_eq!(
            cfg.credentials[0].credential_id(),
            b"Amazon Web Services:alice@123456789012"
        );
        assert_eq!(cfg.credentials[1].oath_type, OathType::Hotp);
        let back: CardConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
        let debug = format!("{cfg:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("jbswy3"),
            "{debug}"
        );
    }

    #[test]
    fn otp_slots_json() {
        // Existing descriptions keep working, and write no `otp_slots` back.
        let plain: CardConfig = serde_json::from_str(r#"{"serial": 1}"#).unwrap();
        assert!(plain.otp_slots.is_empty());
        assert!(!serde_json::to_string(&plain).unwrap().contains("otp_slots"));

        let json = r#"{"serial": 1, "otp_slots": {
            "1": {"secret": "31 32 33 34", "touch": true,
                  "touch_policy": {"policy": "deny", "after_ms": 10}},
            "2": {"mode": "keyboard"}
        }}"#;
        let cfg: CardConfig = serde_json::from_str(json).unwrap();
        let one = cfg.otp_slots.one.as_ref().unwrap();
        assert_eq!(one.secret_bytes(1).unwrap().unwrap(), b"1234");
        assert!(one.touch && one.lt64);
        assert_eq!(
            one.touch_policy,
            Some(TouchPolicy::Deny {
                after: Duration::from_millis(10)
            })
        );
        let two = cfg.otp_slots.two.as_ref().unwrap();
        assert_eq!(two.mode, OtpSlotMode::Keyboard);
        assert_eq!(two.secret_bytes(2).unwrap(), None);
        let back: CardConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
        assert!(
            !format!("{cfg:?}").contains("31 32"),
            "secrets are redacted"
        );

        let b32: OtpSlotConfig =
            serde_json::from_str(r#"{"secret_base32": "gezdgnbvgy3tqojqgezdgnbvgy3tqojq"}"#)
                .unwrap();
        assert_eq!(
            b32.secret_bytes(1).unwrap().unwrap(),
            b"12345678901234567890"
        );
    }

    #[test]
    fn bad_otp_slots_are_refused_with_the_slot_named() {
        for (slot, why) in [
            (r#"{}"#, "needs"),
            (r#"{"secret": "31", "secret_base32": "GE"}"#, "not both"),
            (r#"{"secret": "zz"}"#, "not hex"),
            (r#"{"secret_base32": "1!"}"#, "not base32"),
            (
                &format!(r#"{{"secret": "{}"}}"#, "00".repeat(21)),
                "1-20 bytes",
            ),
            (r#"{"mode": "keyboard", "secret": "31"}"#, "no secret"),
        ] {
            let cfg: OtpSlotConfig = serde_json::from_str(slot).unwrap();
            let err = cfg.secret_bytes(2).unwrap_err().to_string();
            assert!(
                err.contains("otp_slots.2") && err.contains(why),
                "{slot}: {err}"
            );
        }
        for bad in [
            r#"{"serial": 1, "otp_slots": {"3": {"secret": "31"}}}"#,
            r#"{"serial": 1, "otp_slots": {"1": {"secret": "31", "tuoch": true}}}"#,
        ] {
            assert!(serde_json::from_str::<CardConfig>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<CardConfig>(r#"{"serial":1,"serail":2}"#).is_err());
    }

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
