//! The device layer's errors in words: what went wrong with a key, a reader, a seed or a typed code,
//! and what to do about it. Never a seed, a code or a password: the errors hold none.

use std::fmt;

use super::list_or_none;
use crate::source::yubikey::NotAws;
use crate::source::{DeviceError, SeedFrom, SeedProblem};

impl fmt::Display for NotAws {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotAws::Hotp => f.write_str("an HOTP credential; AWS's are TOTP"),
            NotAws::Algorithm(2) => f.write_str("HMAC-SHA256; AWS's are HMAC-SHA1"),
            NotAws::Algorithm(3) => f.write_str("HMAC-SHA512; AWS's are HMAC-SHA1"),
            NotAws::Algorithm(n) => write!(f, "hash algorithm {n}; AWS's are HMAC-SHA1"),
            NotAws::Digits(n) => write!(f, "{n}-digit codes; AWS's have 6"),
            NotAws::Period(0) => {
                f.write_str("a period that is no number of seconds; AWS's is 30 s")
            }
            NotAws::Period(p) => write!(f, "a {p}-second period; AWS's is 30 s"),
        }
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::SeedFile { path, problem } => {
                write!(f, "--seed-file {}: {problem}", path.display())
            }
            DeviceError::Seed {
                from: SeedFrom::Env(var),
                problem: SeedProblem::Unset,
            } => write!(
                f,
                "--seed-env {var}: the environment variable {var} is not set"
            ),
            DeviceError::Seed { from, problem } => write!(f, "{from}: {problem}"),
            DeviceError::Typed(problem) => write!(f, "{problem}"),
            DeviceError::Interrupted => f.write_str("interrupted; nothing was sent"),
            DeviceError::Stdin(e) => {
                write!(f, "could not read the typed code from standard input: {e}")
            }
            DeviceError::Malformed { what } => write!(f, "the device answered {what}"),
            DeviceError::PcscdUnavailable { detail } => {
                write!(f, "pcscd, the smart-card daemon, is not running ({detail})")
            }
            DeviceError::NoReader => f.write_str("no smart-card reader is connected"),
            DeviceError::ReaderNotFound { name, readers } => write!(
                f,
                "no reader is named {name:?}; the readers are: {}",
                readers.join(", ")
            ),
            DeviceError::NoCard { reader } => write!(f, "there is no card in {reader}"),
            DeviceError::NotAYubiKey { reader, detail } => {
                write!(f, "the card in {reader} is not a YubiKey ({detail})")
            }
            DeviceError::NoYubiKey { readers } => {
                write!(f, "no YubiKey found (readers: {})", list_or_none(readers))
            }
            DeviceError::SeveralYubiKeys { keys } => write!(
                f,
                "{} YubiKeys are attached: {}",
                keys.len(),
                keys.join("; ")
            ),
            DeviceError::DeviceNotFound { serial, found } => write!(
                f,
                "no YubiKey with serial {serial} is attached (found: {})",
                list_or_none(found)
            ),
            DeviceError::Busy { reader } => write!(
                f,
                "the card in {reader} is held by another program (PC/SC: sharing violation)"
            ),
            DeviceError::Transport { detail } => {
                write!(f, "the smart-card connection failed: {detail}")
            }
            DeviceError::NoOath { key } => write!(f, "{key} has no OATH application enabled"),
            DeviceError::PasswordRequired { key } => {
                write!(f, "the OATH application of {key} is password-protected")
            }
            DeviceError::WrongPassword { key } => write!(f, "wrong OATH password for {key}"),
            DeviceError::AccountNotFound {
                key,
                wanted,
                available,
            } => write!(
                f,
                "{key} has no account {wanted:?} (accounts: {})",
                list_or_none(available)
            ),
            DeviceError::SeveralAccounts { key, available } => write!(
                f,
                "{key} has several TOTP accounts and none is the target's: {}",
                available.join(", ")
            ),
            DeviceError::StaleCredential {
                key,
                credential,
                device,
                user,
            } => write!(
                f,
                "{key}'s credential {credential:?} is for the device {device}, which is not one of {user}'s (it was retired or replaced); nothing was sent"
            ),
            DeviceError::NotTotp { account } => write!(
                f,
                "account {account:?} is HOTP (counter-based); IAM resyncs time-based (TOTP) devices"
            ),
            DeviceError::TouchTimedOut { key } => write!(f, "no touch on {key} in time"),
            DeviceError::Timeout { secs } => {
                write!(f, "the device did not answer within {secs} s")
            }
            DeviceError::Removed { key } => {
                write!(f, "{key} was removed before both codes were read")
            }
            DeviceError::HidDenied { detail } => {
                write!(f, "the YubiKey's HID interface is not accessible: {detail}")
            }
            DeviceError::SlotNotConfigured { key, slot } => {
                write!(f, "slot {slot} of {key} is not programmed")
            }
            DeviceError::AppletFull {
                key,
                count,
                capacity,
                firmware,
            } => write!(
                f,
                "{key} holds {count} OATH credentials, as many as firmware {firmware} has room for ({capacity})"
            ),
            DeviceError::CredentialExists { key, name } => {
                write!(f, "{key} already has a credential named {name:?}")
            }
            DeviceError::TouchUnsupported { key, firmware } => write!(
                f,
                "{key} has firmware {firmware}, which cannot require a touch (4.2.6 or later can)"
            ),
            DeviceError::KeysDisagree { key } => write!(
                f,
                "{key} computed a code that differs from the seed's own for the same window; the credential written to it does not match the new device"
            ),
            DeviceError::RemovedWhile { key, what } => write!(f, "{key} was removed while {what}"),
            DeviceError::NamedTwice { key, first, second } => {
                write!(f, "{first} and {second} name the same key ({key})")
            }
            DeviceError::WrongDigits { digits } => {
                write!(f, "the device's codes have {digits} digits; IAM takes 6")
            }
        }
    }
}

impl std::error::Error for DeviceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeviceError::Stdin(e) => Some(e),
            _ => None,
        }
    }
}

impl DeviceError {
    /// The line that tells the user what to do.
    pub fn hint(&self) -> Option<String> {
        let fixed = match self {
            DeviceError::SeedFile { path, problem } => return Some(problem.hint(path)),
            DeviceError::Seed { from, problem } => return Some(problem.hint(from)),
            DeviceError::Typed(problem) => return Some(problem.hint()),
            DeviceError::Interrupted => return None,
            DeviceError::Stdin(_) => "pipe the two codes on separate lines, or run in a terminal",
            DeviceError::Malformed { .. } => "remove and reinsert the device, then try again",
            DeviceError::PcscdUnavailable { .. } => {
                "start it: `sudo systemctl start pcscd.socket` (Debian package pcscd), then run again; nothing was sent"
            }
            DeviceError::NoReader => {
                "plug in the YubiKey, or connect the NFC reader and place the key on it"
            }
            DeviceError::ReaderNotFound { .. } => {
                "name the reader in full, as `mfa-resync devices` shows it"
            }
            DeviceError::NoCard { .. } => "insert the YubiKey, or place it on the NFC reader",
            DeviceError::NotAYubiKey { .. } => {
                "choose the YubiKey's reader with --reader, or another --source"
            }
            DeviceError::NoYubiKey { .. } => {
                "insert the YubiKey (or place it on the NFC reader), or use --source seed / --source prompt"
            }
            DeviceError::SeveralYubiKeys { .. } => {
                "choose one with --device SERIAL (or --reader NAME)"
            }
            DeviceError::DeviceNotFound { .. } => {
                "check the serial printed on the key, or run `mfa-resync devices`"
            }
            DeviceError::Busy { .. } => {
                "GnuPG's scdaemon usually holds YubiKeys: `gpgconf --kill scdaemon` ends it (it restarts when needed), then run again"
            }
            DeviceError::Transport { .. } => "reinsert the key and run again",
            DeviceError::NoOath { .. } => {
                "enable OATH over CCID with `ykman config usb --enable OATH`"
            }
            DeviceError::PasswordRequired { .. } => {
                "run in a terminal to be asked for it, or set MFA_RESYNC_OATH_PASSWORD"
            }
            DeviceError::WrongPassword { .. } => {
                "check the password (`ykman oath access change` sets it); nothing was retried"
            }
            DeviceError::AccountNotFound { .. } => {
                "pass --account with one of the accounts shown (ISSUER:NAME)"
            }
            DeviceError::SeveralAccounts { .. } => "pass --account with the one for this device",
            DeviceError::StaleCredential { .. } => {
                "enrol the key again (`mfa-resync enroll --device SERIAL`), or name another credential on it with --account"
            }
            DeviceError::NotTotp { .. } => "choose the TOTP account with --account",
            DeviceError::TouchTimedOut { .. } => {
                "touch the gold disc when it blinks; nothing was sent, run again"
            }
            DeviceError::Timeout { .. } | DeviceError::Removed { .. } => {
                "reinsert the key and run again; nothing was sent"
            }
            DeviceError::HidDenied { .. } => {
                "install the udev rules that give you the key's hidraw nodes: see udev/README.md (the Debian package installs them)"
            }
            DeviceError::SlotNotConfigured { .. } => {
                "program it for TOTP challenge-response (`ykman otp chalresp --totp 2`), or choose the other --slot"
            }
            DeviceError::AppletFull { .. } => {
                "delete a credential it no longer needs (`ykman --device SERIAL oath accounts delete NAME`), or use another key; nothing was created"
            }
            DeviceError::CredentialExists { .. } => {
                "pass --force to write over it (its secret is then lost), or --oath-name to give the new credential another name; nothing was created"
            }
            DeviceError::TouchUnsupported { .. } => {
                "drop --touch, or write to a key with firmware 4.2.6 or later"
            }
            DeviceError::KeysDisagree { .. } => {
                "reinsert the key and run again; if it happens again, the key may be faulty"
            }
            DeviceError::RemovedWhile { .. } => {
                "keep every key in its reader until the command ends, then run again"
            }
            DeviceError::NamedTwice { .. } => {
                "name each key once: the first is the primary, the others backups"
            }
            DeviceError::WrongDigits { .. } => {
                "use an account whose codes have 6 digits (AWS's have)"
            }
        };
        Some(fixed.to_string())
    }
}
