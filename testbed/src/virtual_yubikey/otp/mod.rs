//! The YubiKey OTP application's logic, shared by its two transports: the status bytes (firmware
//! version, programming sequence, touch level), DEVICE SERIAL, YK4 CAPABILITIES (the DeviceInfo
//! page) and HMAC-SHA1 challenge-response (slot commands `0x30` / `0x38`) with short-challenge
//! mode and the "require touch" flag. [`OtpApplet`] puts it behind the CCID application (AID
//! `A0 00 00 05 27 20 01`, INS `01` with the slot command in P1); [`super::otp_hid`] behind the
//! HID feature-report frames. Pure logic: no I/O and no clock — a touch comes back to the
//! transport as a [`TouchPolicy`] to act on. Slot programming (writes) is refused.
//!
//! Sources: ykpers `ykdef.h` as mirrored by yubikit `yubiotp.rs` (`ConfigSlot`, `CfgFlag`,
//! `CfgState`, `calculate_hmac_sha1`'s padding) and ykman `yubiotp.py` (`ConfigState`: a slot
//! is "touch triggered" when it types on touch, "not challenge-response"); Yubico's .NET SDK
//! manual, "Short Challenge Mode" (a full 64-byte challenge loses its trailing run); and
//! yubikey-personalization issue #174, the same seen on a real key.

use std::fmt;

use super::apdu::{Answer, Command, SW_INS_NOT_SUPPORTED, SW_SECURITY_STATUS_NOT_SATISFIED};
use super::apdu::{SW_INCORRECT_P1P2, SW_WRONG_LENGTH};
use super::config::{CardConfig, HashAlgorithm, OtpSlotConfig, TouchPolicy};
use super::crypto;
use super::error::Error;
use super::management::{self, Identity};

/// Slot commands (ykpers `SLOT_*`, yubikit `ConfigSlot`): the frame's slot byte over HID, P1 of
/// INS `01` over CCID.
pub mod slot_cmd {
    /// Read the device serial (4 bytes, big-endian).
    pub const DEVICE_SERIAL: u8 = 0x10;
    /// Read the DeviceInfo page named by the first payload byte (YubiKey 4.1+).
    pub const YK4_CAPABILITIES: u8 = 0x13;
    /// HMAC-SHA1 challenge-response with slot 1.
    pub const CHAL_HMAC_1: u8 = 0x30;
    /// HMAC-SHA1 challenge-response with slot 2.
    pub const CHAL_HMAC_2: u8 = 0x38;
}

/// Touch-level bits of the status (ykpers `CONFIG1_VALID` … , yubikit `CfgState`).
pub mod touch_level {
    /// Slot 1 is programmed.
    pub const SLOT1_VALID: u16 = 0x01;
    /// Slot 2 is programmed.
    pub const SLOT2_VALID: u16 = 0x02;
    /// Slot 1 is triggered by touch (it types something; not challenge-response).
    pub const SLOT1_TOUCH: u16 = 0x04;
    /// Slot 2 is triggered by touch.
    pub const SLOT2_TOUCH: u16 = 0x08;
}

/// An HMAC-SHA1 challenge is at most this long; the frame carries exactly this many bytes.
pub const CHALLENGE_SIZE: usize = 64;
/// An HMAC-SHA1 slot stores a key of this many bytes (shorter keys are zero-padded, which
/// leaves the HMAC unchanged, RFC 2104 §2).
pub const KEY_SIZE: usize = 20;

/// CCID: a slot command, named by P1.
const INS_CONFIG: u8 = 0x01;
/// CCID: read the status.
const INS_STATUS: u8 = 0x03;

#[derive(Clone, PartialEq, Eq)]
enum SlotKind {
    HmacSha1 { key: [u8; KEY_SIZE], lt64: bool },
    Keyboard,
}

/// One programmed OTP slot.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpSlot {
    kind: SlotKind,
    require_touch: bool,
    touch_policy: Option<TouchPolicy>,
}

impl fmt::Debug for OtpSlot {
    /// Never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("OtpSlot");
        match &self.kind {
            SlotKind::HmacSha1 { lt64, .. } => d
                .field("mode", &"hmac_sha1")
                .field("key", &"[REDACTED]")
                .field("lt64", lt64),
            SlotKind::Keyboard => d.field("mode", &"keyboard"),
        };
        d.field("require_touch", &self.require_touch)
            .field("touch_policy", &self.touch_policy)
            .finish()
    }
}

impl OtpSlot {
    /// An HMAC-SHA1 challenge-response slot, short-challenge mode on, no touch — what
    /// `ykman otp chalresp SLOT KEY` programs. `key` is 1–20 bytes.
    pub fn hmac_sha1(key: &[u8]) -> Result<Self, Error> {
        if key.is_empty() || key.len() > KEY_SIZE {
            return Err(Error::InvalidConfig(format!(
                "an HMAC-SHA1 slot key is 1-{KEY_SIZE} bytes, not {}",
                key.len()
            )));
        }
        let mut stored = [0u8; KEY_SIZE];
        stored[..key.len()].copy_from_slice(key);
        Ok(Self {
            kind: SlotKind::HmacSha1 {
                key: stored,
                lt64: true,
            },
            require_touch: false,
            touch_policy: None,
        })
    }

    /// A keyboard slot (Yubico OTP, static password, OATH-HOTP): configured and touch-triggered,
    /// answering no challenge.
    pub fn keyboard() -> Self {
        Self {
            kind: SlotKind::Keyboard,
            require_touch: false,
            touch_policy: None,
        }
    }

    /// Sets the "require touch" flag (`CFGFLAG_CHAL_BTN_TRIG`, `ykman otp chalresp --touch`).
    pub fn with_touch(mut self, require: bool) -> Self {
        self.require_touch = require;
        self
    }

    /// What the finger does for this slot (overriding the device's policy).
    pub fn with_touch_policy(mut self, policy: TouchPolicy) -> Self {
        self.touch_policy = Some(policy);
        self
    }

    /// Short-challenge mode (`CFGFLAG_HMAC_LT64`); without it the HMAC covers all 64 bytes.
    pub fn with_lt64(mut self, lt64: bool) -> Self {
        if let SlotKind::HmacSha1 { lt64: l, .. } = &mut self.kind {
            *l = lt64;
        }
        self
    }

    /// From a card description's slot.
    pub fn from_config(slot: u8, config: &OtpSlotConfig) -> Result<Self, Error> {
        let mut out = match config.secret_bytes(slot)? {
            Some(key) => Self::hmac_sha1(&key)?.with_lt64(config.lt64),
            None => Self::keyboard(),
        };
        out.require_touch = config.touch;
        out.touch_policy = config.touch_policy;
        Ok(out)
    }

    /// Whether the status shows this slot as touch-triggered: a slot that types on touch. A
    /// challenge-response slot is not, even when it requires touch (ykman `ConfigState`).
    pub fn is_touch_triggered(&self) -> bool {
        self.kind == SlotKind::Keyboard
    }

    /// Whether a challenge waits for touch.
    pub fn requires_touch(&self) -> bool {
        self.require_touch
    }

    /// The HMAC-SHA1 response to a challenge field (at most 64 bytes; a shorter one is zero-filled
    /// first), or `None` when this slot does not do HMAC-SHA1.
    ///
    /// In short-challenge mode the key drops the field's trailing run of bytes equal to its last
    /// byte: hosts pad a shorter challenge with a byte different from its last one (yubikit and
    /// ykman pad with `01` after a trailing `00`, else `00`), so exactly the challenge remains —
    /// and a full 64-byte challenge loses its own trailing run, as real keys do.
    pub fn hmac_response(&self, challenge: &[u8]) -> Option<[u8; 20]> {
        let SlotKind::HmacSha1 { key, lt64 } = &self.kind else {
            return None;
        };
        let mut field = [0u8; CHALLENGE_SIZE];
        let n = challenge.len().min(CHALLENGE_SIZE);
        field[..n].copy_from_slice(&challenge[..n]);
        let message = if *lt64 {
            strip_padding(&field)
        } else {
            &field[..]
        };
        crypto::hmac(HashAlgorithm::Sha1, key, message)
            .try_into()
            .ok()
    }
}

/// The challenge a short-challenge-mode slot hashes: the field without its trailing run of bytes
/// equal to the last byte.
pub fn strip_padding(field: &[u8]) -> &[u8] {
    let Some(&last) = field.last() else {
        return field;
    };
    let end = field.iter().rposition(|&b| b != last).map_or(0, |i| i + 1);
    &field[..end]
}

/// What a slot command leads to.
#[derive(Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Response data, at once.
    Data(Vec<u8>),
    /// Response data once the finger does what `policy` says (a denied touch times out).
    Touch {
        /// The finger.
        policy: TouchPolicy,
        /// The response after a touch.
        data: Vec<u8>,
    },
    /// The command is refused (an empty or keyboard slot, a write, an unknown command): over HID
    /// the key answers a status report whose programming sequence did not move.
    Refused,
}

impl fmt::Debug for Outcome {
    /// Lengths only: responses derive from secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Data(d) => write!(f, "Data({} bytes)", d.len()),
            Self::Touch { policy, data } => write!(f, "Touch({policy:?}, {} bytes)", data.len()),
            Self::Refused => f.write_str("Refused"),
        }
    }
}

/// The OTP application of one key: identity, two slots, the default finger.
#[derive(Debug, Clone)]
pub struct OtpApp {
    identity: Identity,
    slots: [Option<OtpSlot>; 2],
    touch: TouchPolicy,
}

impl OtpApp {
    /// An application with these slots (index 0 is slot 1) and default touch policy.
    pub fn new(identity: Identity, slots: [Option<OtpSlot>; 2], touch: TouchPolicy) -> Self {
        Self {
            identity,
            slots,
            touch,
        }
    }

    /// From a card description: its `otp_slots`, and its `touch` as the default finger.
    pub fn from_config(config: &CardConfig, identity: Identity) -> Result<Self, Error> {
        let slot = |n: u8, c: &Option<OtpSlotConfig>| {
            c.as_ref().map(|c| OtpSlot::from_config(n, c)).transpose()
        };
        Ok(Self::new(
            identity,
            [
                slot(1, &config.otp_slots.one)?,
                slot(2, &config.otp_slots.two)?,
            ],
            config.touch,
        ))
    }

    /// The identity (serial, version) the application reports.
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// Slot 1 (`index` 0) or 2 (`index` 1).
    pub fn slot(&self, index: usize) -> Option<&OtpSlot> {
        self.slots.get(index).and_then(Option::as_ref)
    }

    /// Reprograms (or empties) slot 1 (`index` 0) or 2 (`index` 1) — a test's shortcut, not
    /// a host command.
    pub fn set_slot(&mut self, index: usize, slot: Option<OtpSlot>) {
        if let Some(s) = self.slots.get_mut(index) {
            *s = slot;
        }
    }

    /// Changes the default touch policy.
    pub fn set_touch_policy(&mut self, policy: TouchPolicy) {
        self.touch = policy;
    }

    /// The touch-level word: `VALID` bits for programmed slots, `TOUCH` bits for keyboard slots.
    pub fn touch_level(&self) -> u16 {
        let bits = |slot: &Option<OtpSlot>, valid: u16, touch: u16| match slot {
            Some(s) if s.is_touch_triggered() => valid | touch,
            Some(_) => valid,
            None => 0,
        };
        bits(
            &self.slots[0],
            touch_level::SLOT1_VALID,
            touch_level::SLOT1_TOUCH,
        ) | bits(
            &self.slots[1],
            touch_level::SLOT2_VALID,
            touch_level::SLOT2_TOUCH,
        )
    }

    /// The programming sequence: 0 with both slots empty (yubikit's `is_sequence_updated`
    /// relies on that), else 1 — nothing here ever programs a slot.
    pub fn program_sequence(&self) -> u8 {
        u8::from(self.slots.iter().any(Option::is_some))
    }

    /// The six status bytes: version (3), programming sequence, touch level (little-endian).
    pub fn status(&self) -> [u8; 6] {
        let [a, b, c] = self.identity.version;
        let [lo, hi] = self.touch_level().to_le_bytes();
        [a, b, c, self.program_sequence(), lo, hi]
    }

    /// Runs one slot command with its payload (the frame's 64 bytes over HID, the APDU data
    /// over CCID).
    pub fn command(&self, cmd: u8, payload: &[u8]) -> Outcome {
        match cmd {
            slot_cmd::DEVICE_SERIAL => Outcome::Data(self.identity.serial.to_be_bytes().to_vec()),
            slot_cmd::YK4_CAPABILITIES => match payload.first().copied().unwrap_or(0) {
                0 => Outcome::Data(management::device_info(&self.identity)),
                _ => Outcome::Data(vec![0]),
            },
            slot_cmd::CHAL_HMAC_1 | slot_cmd::CHAL_HMAC_2 => {
                let index = usize::from(cmd == slot_cmd::CHAL_HMAC_2);
                let Some(slot) = self.slot(index) else {
                    return Outcome::Refused;
                };
                match slot.hmac_response(payload) {
                    Some(mac) if slot.require_touch => Outcome::Touch {
                        policy: slot.touch_policy.unwrap_or(self.touch),
                        data: mac.to_vec(),
                    },
                    Some(mac) => Outcome::Data(mac.to_vec()),
                    None => Outcome::Refused,
                }
            }
            _ => Outcome::Refused,
        }
    }
}

/// The OTP application over CCID.
///
/// SELECT and INS `03` answer the status bytes; INS `01` runs the slot command in P1 with the
/// APDU data as payload (yubikit sends HMAC challenges padded to 64 bytes). A touch slot answers
/// after the policy's delay, or `6982` after a denied touch (as the OATH applet does). A refused
/// command answers the status bytes with `9000`, mirroring HID, where a refusal is a status
/// report (yubikit then reports the unexpected length; unverified against a real key).
#[derive(Debug, Clone)]
pub struct OtpApplet {
    app: OtpApp,
}

impl OtpApplet {
    /// The CCID face of this application.
    pub fn new(app: OtpApp) -> Self {
        Self { app }
    }

    /// The application, for inspection and changes.
    pub fn app(&self) -> &OtpApp {
        &self.app
    }

    /// The application, to change slots or touch policy.
    pub fn app_mut(&mut self) -> &mut OtpApp {
        &mut self.app
    }

    /// SELECT answers the status; yubikit reads version and programming sequence from it.
    pub fn select(&self) -> Answer {
        Answer::ok(self.app.status().to_vec())
    }

    /// One command APDU (`data` is the command data after any chaining).
    pub fn process(&self, cmd: &Command<'_>, data: &[u8]) -> Answer {
        match cmd.ins {
            INS_STATUS => Answer::ok(self.app.status().to_vec()),
            INS_CONFIG if cmd.p2 != 0 => Answer::sw(SW_INCORRECT_P1P2),
            INS_CONFIG if data.len() > CHALLENGE_SIZE => Answer::sw(SW_WRONG_LENGTH),
            INS_CONFIG => match self.app.command(cmd.p1, data) {
                Outcome::Data(d) => Answer::ok(d),
                Outcome::Touch { policy, data } => match policy {
                    TouchPolicy::Accept => Answer::ok(data),
                    TouchPolicy::Delay(delay) => Answer {
                        delay,
                        ..Answer::ok(data)
                    },
                    TouchPolicy::Deny { after } => Answer {
                        delay: after,
                        ..Answer::sw(SW_SECURITY_STATUS_NOT_SATISFIED)
                    },
                },
                Outcome::Refused => Answer::ok(self.app.status().to_vec()),
            },
            _ => Answer::sw(SW_INS_NOT_SUPPORTED),
        }
    }
}

/// CRC-16 as ISO/IEC 13239 (and ykpers `yubikey_crc16`) defines it: reflected polynomial
/// `0x8408`, initial value `0xFFFF`, no final XOR. A frame carries it over its payload; a
/// response carries its complement, so the CRC over data + complement is the residual
/// [`CRC_RESIDUAL`].
pub fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0xFFFF_u16, |mut crc, &byte| {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
        }
        crc
    })
}

/// The CRC of data followed by the little-endian complement of its CRC.
pub const CRC_RESIDUAL: u16 = 0xF0B8;

#[cfg(test)]
mod tests;
