//! The device layer's errors in words: what went wrong with a key, a reader, a seed or a typed code,
//! and what to do about it. Never a seed, a code or a password: the errors hold none.

use std::fmt;

use super::{NAME_EACH_KEY_ONCE, READER_HINT, list_or_none, words};
use crate::source::DeviceError;
use crate::source::yubikey::NotAws;

const REINSERT_HINT: &str = "reinsert the key and run again; nothing was sent";

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

worded!(DeviceError);

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
        Some(self.words().1).filter(|hint| !hint.is_empty())
    }

    /// The problem and the hint (empty for none), each error's two side by side.
    fn words(&self) -> (String, String) {
        match self {
            DeviceError::SeedFile { path, problem } => {
                let (problem, hint) = problem.words(path);
                (format!("--seed-file {}: {problem}", path.display()), hint)
            }
            DeviceError::Seed { from, problem } => {
                let (problem, hint) = problem.words(from);
                (format!("{from}: {problem}"), hint)
            }
            DeviceError::Typed(problem) => problem.words(),
            DeviceError::Interrupted => words("interrupted; nothing was sent", ""),
            DeviceError::Stdin(e) => words(
                format!("could not read the typed code from standard input: {e}"),
                "pipe the two codes on separate lines, or run in a terminal",
            ),
            DeviceError::Malformed { what } => words(
                format!("the device answered {what}"),
                "remove and reinsert the device, then try again",
            ),
            DeviceError::PcscdUnavailable { detail } => words(
                format!("pcscd, the smart-card daemon, is not running ({detail})"),
                "start it: `sudo systemctl start pcscd.socket` (Debian package pcscd), then run again; nothing was sent",
            ),
            DeviceError::NoReader => words(
                "no smart-card reader is connected",
                "plug in the YubiKey, or connect the NFC reader and place the key on it",
            ),
            DeviceError::ReaderNotFound { name, readers } => words(
                format!(
                    "no reader is named {name:?}; the readers are: {}",
                    readers.join(", ")
                ),
                READER_HINT,
            ),
            DeviceError::NoCard { reader } => words(
                format!("there is no card in {reader}"),
                "insert the YubiKey, or place it on the NFC reader",
            ),
            DeviceError::NotAYubiKey { reader, detail } => words(
                format!("the card in {reader} is not a YubiKey ({detail})"),
                "choose the YubiKey's reader with --reader, or another --source",
            ),
            DeviceError::NoYubiKey { readers } => words(
                format!("no YubiKey found (readers: {})", list_or_none(readers)),
                "insert the YubiKey (or place it on the NFC reader), or use --source seed / --source prompt",
            ),
            DeviceError::SeveralYubiKeys { keys } => words(
                format!("{} YubiKeys are attached: {}", keys.len(), keys.join("; ")),
                "choose one with --device SERIAL (or --reader NAME)",
            ),
            DeviceError::DeviceNotFound { serial, found } => words(
                format!(
                    "no YubiKey with serial {serial} is attached (found: {})",
                    list_or_none(found)
                ),
                "check the serial printed on the key, or run `mfa-resync devices`",
            ),
            DeviceError::Busy { reader } => words(
                format!(
                    "the card in {reader} is held by another program (PC/SC: sharing violation)"
                ),
                "GnuPG's scdaemon usually holds YubiKeys: `gpgconf --kill scdaemon` ends it (it restarts when needed), then run again",
            ),
            DeviceError::Transport { detail } => words(
                format!("the smart-card connection failed: {detail}"),
                "reinsert the key and run again",
            ),
            DeviceError::NoOath { key } => words(
                format!("{key} has no OATH application enabled"),
                "enable OATH over CCID with `ykman config usb --enable OATH`",
            ),
            DeviceError::PasswordRequired { key } => words(
                format!("the OATH application of {key} is password-protected"),
                "run in a terminal to be asked for it, or set MFA_RESYNC_OATH_PASSWORD",
            ),
            DeviceError::WrongPassword { key } => words(
                format!("wrong OATH password for {key}"),
                "check the password (`ykman oath access change` sets it); nothing was retried",
            ),
            DeviceError::AccountNotFound {
                key,
                wanted,
                available,
            } => words(
                format!(
                    "{key} has no account {wanted:?} (accounts: {})",
                    list_or_none(available)
                ),
                "pass --account with one of the accounts shown (ISSUER:NAME)",
            ),
            DeviceError::SeveralAccounts { key, available } => words(
                format!(
                    "{key} has several TOTP accounts and none is the target's: {}",
                    available.join(", ")
                ),
                "pass --account with the one for this device",
            ),
            DeviceError::StaleCredential {
                key,
                credential,
                device,
                user,
            } => words(
                format!(
                    "{key}'s credential {credential:?} is for the device {device}, which is not one of {user}'s (it was retired or replaced); nothing was sent"
                ),
                "enrol the key again (`mfa-resync enroll --device SERIAL`), or name another credential on it with --account",
            ),
            DeviceError::NotTotp { account } => words(
                format!(
                    "account {account:?} is HOTP (counter-based); IAM resyncs time-based (TOTP) devices"
                ),
                "choose the TOTP account with --account",
            ),
            DeviceError::TouchTimedOut { key } => words(
                format!("no touch on {key} in time"),
                "touch the gold disc when it blinks; nothing was sent, run again",
            ),
            DeviceError::Timeout { secs } => words(
                format!("the device did not answer within {secs} s"),
                REINSERT_HINT,
            ),
            DeviceError::Removed { key } => words(
                format!("{key} was removed before both codes were read"),
                REINSERT_HINT,
            ),
            DeviceError::HidDenied { detail } => words(
                format!("the YubiKey's HID interface is not accessible: {detail}"),
                "install the udev rules that give you the key's hidraw nodes: see udev/README.md (the Debian package installs them)",
            ),
            DeviceError::SlotNotConfigured { key, slot } => words(
                format!("slot {slot} of {key} is not programmed"),
                "program it for TOTP challenge-response (`ykman otp chalresp --totp 2`), or choose the other --slot",
            ),
            DeviceError::AppletFull {
                key,
                count,
                capacity,
                firmware,
            } => words(
                format!(
                    "{key} holds {count} OATH credentials, as many as firmware {firmware} has room for ({capacity})"
                ),
                "delete a credential it no longer needs (`ykman --device SERIAL oath accounts delete NAME`), or use another key; nothing was created",
            ),
            DeviceError::CredentialExists { key, name } => words(
                format!("{key} already has a credential named {name:?}"),
                "pass --force to write over it (its secret is then lost), or --oath-name to give the new credential another name; nothing was created",
            ),
            DeviceError::TouchUnsupported { key, firmware } => words(
                format!(
                    "{key} has firmware {firmware}, which cannot require a touch (4.2.6 or later can)"
                ),
                "drop --touch, or write to a key with firmware 4.2.6 or later",
            ),
            DeviceError::KeysDisagree { key } => words(
                format!(
                    "{key} computed a code that differs from the seed's own for the same window; the credential written to it does not match the new device"
                ),
                "reinsert the key and run again; if it happens again, the key may be faulty",
            ),
            DeviceError::RemovedWhile { key, what } => words(
                format!("{key} was removed while {what}"),
                "keep every key in its reader until the command ends, then run again",
            ),
            DeviceError::NamedTwice { key, first, second } => words(
                format!("{first} and {second} name the same key ({key})"),
                NAME_EACH_KEY_ONCE,
            ),
            DeviceError::WrongDigits { digits } => words(
                format!("the device's codes have {digits} digits; IAM takes 6"),
                "use an account whose codes have 6 digits (AWS's have)",
            ),
        }
    }
}
