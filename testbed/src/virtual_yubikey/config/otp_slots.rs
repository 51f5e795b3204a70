//! The OTP application's two slots in a card description.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::credential::decode_base32;
use super::touch::TouchPolicy;
use crate::virtual_yubikey::error::Error;

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

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::virtual_yubikey::CardConfig;

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
}
