//! The device layer: things that produce a TOTP code for an explicit time-step counter.
//!
//! A [`CodeSource`] owns its device, seed or prompt, and the types of the libraries that talk to
//! them (totp-rs here; yubikit and hidapi later). It never sees AWS, and it never reads the time:
//! the window planner gives it the counter. Its answers are untrusted input: a malformed one is a
//! [`DeviceError`], never a panic.

pub mod otpauth;
pub mod prompt;
pub mod seed;

use std::fmt;
use std::path::PathBuf;

use zeroize::{Zeroize, ZeroizeOnDrop};

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
    /// Whether we choose the counter ([`ClockOwner::Host`]) or the device shows its own.
    fn clock(&self) -> ClockOwner;
    /// The code of window `counter`. For a [`ClockOwner::Device`] source, the code the device
    /// shows now (`counter` is the host's estimate, used only in what the user is told).
    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError>;
}

/// Everything that can go wrong in the device layer, each with what the user needs to act.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A seed file that cannot be used: missing, unreadable, loose permissions, someone else's.
    #[error("--seed-file {}: {problem}", path.display())]
    SeedFile {
        /// The file as given.
        path: PathBuf,
        /// What is wrong.
        problem: String,
        /// What to do.
        hint: String,
    },
    /// A seed (from any place) that does not parse: the message never echoes it.
    #[error("{origin}: {problem}")]
    Seed {
        /// `--seed-file F`, `--seed-env VAR` or `--seed-stdin`.
        origin: String,
        /// What is wrong.
        problem: String,
        /// What to do.
        hint: String,
    },
    /// A typed code that is not usable.
    #[error("{problem}")]
    Typed {
        /// What is wrong.
        problem: String,
        /// What to do.
        hint: String,
    },
    /// Standard input closed or failed while reading a typed code.
    #[error("could not read the typed code from standard input: {0}")]
    Stdin(#[source] std::io::Error),
    /// A device answered something that is not a valid answer.
    #[error("the device answered {what}")]
    Malformed {
        /// What was received, described without its content.
        what: String,
    },
}

impl DeviceError {
    /// Whether the problem is the user's input (exit 2) rather than the device (exit 3).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            DeviceError::SeedFile { .. } | DeviceError::Seed { .. } | DeviceError::Typed { .. }
        )
    }

    /// The line that tells the user what to do.
    pub fn hint(&self) -> Option<&str> {
        match self {
            DeviceError::SeedFile { hint, .. }
            | DeviceError::Seed { hint, .. }
            | DeviceError::Typed { hint, .. } => Some(hint),
            DeviceError::Stdin(_) => {
                Some("pipe the two codes on separate lines, or run in a terminal")
            }
            DeviceError::Malformed { .. } => Some("remove and reinsert the device, then try again"),
        }
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
