//! The YubiKey OATH source: codes computed on the key, over PC/SC (USB CCID or an NFC reader).
//!
//! Yubico's yubikit opens the session (SELECT, and VALIDATE for a password-protected key); the two
//! commands on the hot path, LIST and CALCULATE, go through yubikit's protocol layer and their
//! answers are parsed here ([`ykoath`]), defensively. Finding keys is [`discover`]'s, talking OATH
//! to one is [`oath`]'s, and choosing the credential for a target is [`account`]'s (a pure rule).

pub mod account;
pub mod discover;
pub mod oath;
pub mod provision;
pub mod ykoath;

#[cfg(test)]
mod provision_tests;
#[cfg(test)]
pub(crate) mod tests;

use std::fmt;

use secrecy::SecretString;

pub use account::{Step, Wanted};
pub use discover::{
    Found, Survey, discover, identify_in, open_each, open_one, survey, wait_for_return, with_serial,
};
pub use oath::{OpenKey, YubiKeySource};
pub use provision::{KeyWriter, NewCredential, Slot};

/// Which key, as the user chose it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// `--device SERIAL`
    pub serial: Option<u32>,
    /// `--reader NAME` (a PC/SC reader, named in full)
    pub reader: Option<String>,
}

/// A YubiKey found in a reader.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    /// The PC/SC reader.
    pub reader: String,
    /// The serial number, when the key reports it.
    pub serial: Option<u32>,
    /// Firmware version.
    pub firmware: String,
    /// Form factor (Keychain, Nano, …).
    pub form_factor: String,
    /// `USB` or `NFC`, from the ATR as yubikit tells them apart.
    pub transport: String,
}

impl KeyInfo {
    /// "YubiKey 12345678 in reader R", for messages.
    pub fn label(&self) -> String {
        match self.serial {
            Some(serial) => format!("YubiKey {serial}"),
            None => format!("the YubiKey in {}", self.reader),
        }
    }
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.serial {
            Some(serial) => write!(f, "{serial} ({})", self.reader),
            None => write!(f, "serial unknown ({})", self.reader),
        }
    }
}

/// An OATH account on a key: names and flags only, never a secret or a code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// The credential id as stored: `[period/][issuer:]name`.
    #[serde(skip)]
    pub id: Vec<u8>,
    /// The issuer, if any.
    pub issuer: Option<String>,
    /// The account name.
    pub name: String,
    /// TOTP (true) or HOTP.
    pub totp: bool,
    /// Seconds per window (TOTP).
    pub period: u32,
    /// The HMAC's hash, as LIST names it (YKOATH: 1 SHA-1, 2 SHA-256, 3 SHA-512).
    #[serde(skip)]
    pub algorithm: u8,
    /// How many digits its codes have, once CALCULATE_ALL has shown one (not for a touch or an
    /// HOTP credential).
    #[serde(skip)]
    pub digits: Option<u8>,
    /// Whether a touch is needed for each code (known after CALCULATE_ALL).
    pub touch: bool,
}

/// Why a credential cannot be an AWS virtual MFA device's, whatever its name says: AWS's are
/// TOTP, HMAC-SHA1, 6 digits, 30-second windows (IAM User Guide, virtual MFA devices; RFC 6238's
/// defaults), and IAM would refuse any other's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAws {
    /// An HOTP (counter) credential.
    Hotp,
    /// Another hash than SHA-1 (the YKOATH algorithm number).
    Algorithm(u8),
    /// Codes of another length.
    Digits(u8),
    /// Another window than 30 s.
    Period(u32),
}

impl Account {
    /// Whether this credential has the shape of an AWS virtual MFA device's ([`NotAws`]). Its
    /// digits, when not yet known (a touch credential), are checked when its codes are read.
    pub fn aws_shape(&self) -> Result<(), NotAws> {
        if !self.totp {
            return Err(NotAws::Hotp);
        }
        if self.algorithm != ykoath::ALG_SHA1 {
            return Err(NotAws::Algorithm(self.algorithm));
        }
        if let Some(digits) = self.digits.filter(|d| *d != 6) {
            return Err(NotAws::Digits(digits));
        }
        if self.period != 30 {
            return Err(NotAws::Period(self.period));
        }
        Ok(())
    }

    /// `issuer:name`, as ykman shows it.
    pub fn display_name(&self) -> String {
        match &self.issuer {
            Some(issuer) => format!("{issuer}:{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Where an OATH password comes from (a given one is never shown by `Debug`).
#[derive(Debug)]
pub enum Password {
    /// None available: a locked key is an error.
    None,
    /// Already read (from `MFA_RESYNC_OATH_PASSWORD`).
    Given(SecretString),
    /// Ask on the terminal, without echo, when the key turns out to be locked.
    Prompt,
}
