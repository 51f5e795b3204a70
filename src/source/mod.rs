//! The device layer: things that produce a TOTP code for an explicit time-step counter.
//!
//! A [`CodeSource`] owns its device, seed or prompt, and the types of the libraries that talk to
//! them (totp-rs, yubikit, hidapi). It never sees AWS, and it never reads the time: the window
//! planner gives it the counter. Its answers are untrusted input: a malformed one is a
//! [`DeviceError`], never a panic. It never prints or prompts by itself either: what a person must
//! see or answer goes through the [`Notifier`] it is handed, so that `--quiet`, JSON output and a
//! station's event stream decide what reaches the terminal.

pub mod backup;
mod error;
pub mod events;
pub mod otp_slot;
pub mod otpauth;
pub mod prompt;
pub mod seed;
pub mod seed_input;
pub mod smartcard;
pub mod terminal;
pub mod yubikey;

use std::fmt;
use std::sync::Arc;

use zeroize::{Zeroize, ZeroizeOnDrop};

pub use error::{DeviceError, SeedFileProblem, SeedFrom, SeedProblem, TypedProblem};

/// How the device layer reaches the person at the keyboard.
pub trait Notifier: Send + Sync {
    /// Something worth knowing that needs no action (which transport a key is read over). Hidden
    /// by `--quiet`.
    fn note(&self, text: &str);
    /// The person must act now (touch the key). Shown whenever a person can see it, `--quiet` or not.
    fn act(&self, text: &str);
    /// A question answered on the same line (a typed code): shown like [`Notifier::act`], without
    /// a line break.
    fn ask(&self, prompt: &str);
    /// Whether a person may be asked for a secret at all (a station's keys, or a silent unit test,
    /// never ask): the terminal itself is read by [`terminal::ask_secret`].
    fn answers(&self) -> bool;
    /// Shows the prompt of a secret typed with echo off, whatever the verbosity.
    fn ask_secret(&self, prompt: &str);
    /// Ends the prompt's line once the secret was typed (Enter is not echoed).
    fn end_secret(&self);
}

/// A notifier that shows nothing and can answer nothing: unit tests, and sources read with nobody
/// at the keyboard.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Notifier for Silent {
    fn note(&self, _text: &str) {}
    fn act(&self, _text: &str) {}
    fn ask(&self, _prompt: &str) {}
    fn answers(&self) -> bool {
        false
    }
    fn ask_secret(&self, _prompt: &str) {}
    fn end_secret(&self) {}
}

/// The notifier a source keeps: shared with the reporter that implements it.
pub type SharedNotifier = Arc<dyn Notifier>;

/// Who decides which window a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockOwner {
    /// We pick the counter and the source computes that code (YubiKey, OTP slot, seed).
    Host,
    /// The device shows its own window's code and we can only read it (a display token).
    Device,
}

/// What a source is, for reports: never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// `seed`, `prompt`, `yubikey`, `otp-slot`.
    pub kind: &'static str,
    /// A device's serial number, when it has one.
    pub device_serial: Option<String>,
    /// The account name on the device or in the seed's URI, when known.
    pub account: Option<String>,
    /// The TOTP period.
    pub period: u64,
    /// The digits of each code.
    pub digits: u32,
    /// Whether each code needs a touch.
    pub touch: bool,
}

/// A one-time code read from a source: ASCII digits, wiped on drop, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Code(String);

impl Code {
    /// Accepts `digits` only if it is 6 to 8 ASCII digits: a device answer is untrusted.
    pub fn from_digits(digits: String) -> Result<Self, DeviceError> {
        if (6..=8).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Code(digits))
        } else {
            let len = digits.len();
            drop(Code(digits));
            Err(DeviceError::Malformed {
                what: format!("a code of {len} characters where 6 to 8 digits were expected"),
            })
        }
    }

    /// The last `digits` (6 to 8) decimal digits of `value`, zero-padded: RFC 4226 §5.3's code,
    /// which needs no checking.
    fn decimal(value: u32, digits: u32) -> Code {
        let width = digits.clamp(6, 8);
        Code(format!(
            "{:0w$}",
            value % 10u32.pow(width),
            w = width as usize
        ))
    }

    /// The digits.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(******)")
    }
}

/// A thing that can produce the TOTP code for a given time-step counter.
pub trait CodeSource: Send {
    /// What it is, for reports.
    fn describe(&self) -> SourceInfo;
    /// Whether we choose the counter ([`ClockOwner::Host`], as for every source a program reads)
    /// or the device shows its own.
    fn clock(&self) -> ClockOwner {
        ClockOwner::Host
    }
    /// The code of window `counter`. For a [`ClockOwner::Device`] source, the code the device
    /// shows now (`counter` is the host's estimate, used only in what the user is told).
    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError>;
    /// As [`CodeSource::code_at`], for a source a person reads out: `label` ("Code 2") says which
    /// code to type.
    fn typed_code(&mut self, counter: u64, _label: &str) -> Result<Code, DeviceError> {
        self.code_at(counter)
    }
    /// Whether a person at a terminal can type a code again (so a code that has not changed yet
    /// can be asked for once more instead of failing the run).
    fn retypes(&self) -> bool {
        false
    }
}

/// A source, as what it describes itself as (its state is the device's own).
impl std::fmt::Debug for dyn CodeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.describe().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_devices_are_checked() {
        assert!(Code::from_digits("123456".into()).is_ok());
        assert!(Code::from_digits("12345678".into()).is_ok());
        assert!(Code::from_digits("12345".into()).is_err());
        assert!(Code::from_digits("12345x".into()).is_err());
        assert_eq!(
            format!("{:?}", Code::from_digits("123456".into()).unwrap()),
            "Code(******)"
        );
    }
}
