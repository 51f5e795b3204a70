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
//! or `{"policy": "deny", "after_ms": N}`. A credential may carry `"id"` — the raw credential
//! id, stored exactly as given, e.g. `{"id": "arn:aws:iam::123456789012:mfa/alice", "secret":
//! "…"}` as aws-vault names it (`name` and `issuer` may then be left out) — or `"id_hex"` for an id
//! that is not UTF-8, and, for HOTP, `"counter"`. Unknown fields are refused, so a typo cannot pass
//! silently. A touch credential needs firmware 4.2.6 or later and SHA512 4.3.1 or later, as on a
//! real key; at most 32 credentials fit before firmware 5.7, 64 from 5.7.
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

use serde::{Deserialize, Serialize};

use super::error::Error;

mod credential;
mod otp_slots;
mod seed;
mod touch;

pub use credential::{CredentialConfig, HashAlgorithm, OathType, decode_base32};
pub use otp_slots::{OtpSlotConfig, OtpSlotMode, OtpSlots};
pub use seed::read_seed_file;
pub use touch::TouchPolicy;

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
    /// A hung key: the card answers this many APDUs, then holds every later answer back for an
    /// hour (until it is pulled, over vpcd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_after_apdus: Option<u64>,
    /// Whether the OTP application answers SELECT (version and serial for discovery). When
    /// false its AID answers `6A82`, like a key with OTP disabled over CCID.
    #[serde(default = "yes")]
    pub otp_application: bool,
    /// The OTP application's two slots; both empty when absent.
    #[serde(default, skip_serializing_if = "OtpSlots::is_empty")]
    pub otp_slots: OtpSlots,
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
            .field("stall_after_apdus", &self.stall_after_apdus)
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
            salt: Some(hex::encode(super::entropy::random::<8>())),
            password: None,
            access_key: None,
            credentials: Vec::new(),
            touch: TouchPolicy::Accept,
            remove_after_apdus: None,
            reinsert_after_ms: None,
            stall_after_apdus: None,
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

    /// The credential stored under exactly this id, if any: how a test finds what a host wrote
    /// (through `--persist`) without caring how the id splits into issuer and name.
    pub fn credential(&self, id: &[u8]) -> Option<&CredentialConfig> {
        self.credentials.iter().find(|c| c.credential_id() == id)
    }

    /// Every stored id, in LIST order.
    pub fn credential_ids(&self) -> Vec<Vec<u8>> {
        self.credentials
            .iter()
            .map(CredentialConfig::credential_id)
            .collect()
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<CardConfig>(r#"{"serial":1,"serail":2}"#).is_err());
    }
}
