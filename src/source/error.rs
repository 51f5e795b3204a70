//! What can go wrong in the device layer, each variant carrying what the user needs to act and
//! computing its own hint, so that the edge only puts them into words once.

use std::path::PathBuf;

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
    /// Ctrl-C while the user was typing at the terminal (read as a key, the terminal's echo
    /// restored): nothing was sent.
    #[error("interrupted; nothing was sent")]
    Interrupted,
    /// Standard input closed or failed while reading a typed code.
    #[error("could not read the typed code from standard input: {0}")]
    Stdin(#[source] std::io::Error),
    /// A device answered something that is not a valid answer.
    #[error("the device answered {what}")]
    Malformed {
        /// What was received, described without its content.
        what: String,
    },
    /// The PC/SC daemon cannot be reached.
    #[error("pcscd, the smart-card daemon, is not running ({detail})")]
    PcscdUnavailable {
        /// What PC/SC said.
        detail: String,
    },
    /// No smart-card reader at all.
    #[error("no smart-card reader is connected")]
    NoReader,
    /// `--reader` names no reader.
    #[error("no reader is named {name:?}; the readers are: {}", readers.join(", "))]
    ReaderNotFound {
        /// The name given.
        name: String,
        /// The readers there are.
        readers: Vec<String>,
    },
    /// The reader is empty.
    #[error("there is no card in {reader}")]
    NoCard {
        /// The reader.
        reader: String,
    },
    /// The card in the reader is not a YubiKey.
    #[error("the card in {reader} is not a YubiKey ({detail})")]
    NotAYubiKey {
        /// The reader.
        reader: String,
        /// What identification said.
        detail: String,
    },
    /// No YubiKey in any reader.
    #[error("no YubiKey found (readers: {})", list_or_none(readers))]
    NoYubiKey {
        /// The readers looked in.
        readers: Vec<String>,
    },
    /// Several YubiKeys and no choice.
    #[error("{} YubiKeys are attached: {}", keys.len(), keys.join("; "))]
    SeveralYubiKeys {
        /// Each key: serial (reader).
        keys: Vec<String>,
    },
    /// `--device` names no attached key.
    #[error(
        "no YubiKey with serial {serial} is attached (found: {})",
        list_or_none(found)
    )]
    DeviceNotFound {
        /// The serial asked for.
        serial: u32,
        /// What was found.
        found: Vec<String>,
    },
    /// Another program holds the card exclusively.
    #[error("the card in {reader} is held by another program (PC/SC: sharing violation)")]
    Busy {
        /// The reader.
        reader: String,
    },
    /// Any other PC/SC failure.
    #[error("the smart-card connection failed: {detail}")]
    Transport {
        /// What PC/SC said.
        detail: String,
    },
    /// The key has no OATH application (disabled, or not a YubiKey 4/5).
    #[error("{key} has no OATH application enabled")]
    NoOath {
        /// The key.
        key: String,
    },
    /// The OATH application is password-protected and no password was available.
    #[error("the OATH application of {key} is password-protected")]
    PasswordRequired {
        /// The key.
        key: String,
    },
    /// The password did not unlock it.
    #[error("wrong OATH password for {key}")]
    WrongPassword {
        /// The key.
        key: String,
    },
    /// The account asked for (or any TOTP account) is not on the key.
    #[error(
        "{key} has no account {wanted:?} (accounts: {})",
        list_or_none(available)
    )]
    AccountNotFound {
        /// The key.
        key: String,
        /// What was looked for.
        wanted: String,
        /// What is there.
        available: Vec<String>,
    },
    /// Several TOTP accounts and none matches the target.
    #[error("{key} has several TOTP accounts and none is the target's: {}", available.join(", "))]
    SeveralAccounts {
        /// The key.
        key: String,
        /// The TOTP accounts.
        available: Vec<String>,
    },
    /// The account is HOTP (counter-based): it has no time windows to resync.
    #[error("account {account:?} is HOTP (counter-based); IAM resyncs time-based (TOTP) devices")]
    NotTotp {
        /// The account.
        account: String,
    },
    /// A touch-required account got no touch in time.
    #[error("no touch on {key} in time")]
    TouchTimedOut {
        /// The key.
        key: String,
    },
    /// The device stopped answering within the time allowed.
    #[error("the device did not answer within {secs} s")]
    Timeout {
        /// Seconds waited.
        secs: u64,
    },
    /// The key left the reader mid-run.
    #[error("{key} was removed before both codes were read")]
    Removed {
        /// The key.
        key: String,
    },
    /// The key's HID interface cannot be opened and there is no CCID way to it either.
    #[error("the YubiKey's HID interface is not accessible: {detail}")]
    HidDenied {
        /// Which node and why.
        detail: String,
    },
    /// The OTP slot is not programmed (for challenge-response).
    #[error("slot {slot} of {key} is not programmed")]
    SlotNotConfigured {
        /// The key.
        key: String,
        /// The slot.
        slot: u8,
    },
    /// The OATH applet has no room for one more credential.
    #[error(
        "{key} holds {count} OATH credentials, as many as firmware {firmware} has room for ({capacity})"
    )]
    AppletFull {
        /// The key.
        key: String,
        /// Credentials on it.
        count: usize,
        /// Its room.
        capacity: usize,
        /// Its firmware.
        firmware: String,
    },
    /// A credential of the name to be written is on the key already (and `--force` was not given).
    #[error("{key} already has a credential named {name:?}")]
    CredentialExists {
        /// The key.
        key: String,
        /// The name.
        name: String,
    },
    /// `--touch` on a key whose firmware would store the credential and never ask for a touch.
    #[error("{key} has firmware {firmware}, which cannot require a touch (4.2.6 or later can)")]
    TouchUnsupported {
        /// The key.
        key: String,
        /// Its firmware.
        firmware: String,
    },
    /// A key's code for a window differs from the seed's own: what was written is not the device's.
    #[error(
        "{key} computed a code that differs from the seed's own for the same window; the credential written to it does not match the new device"
    )]
    KeysDisagree {
        /// The key.
        key: String,
    },
    /// The key left the reader during an enrolment step.
    #[error("{key} was removed while {what}")]
    RemovedWhile {
        /// The key.
        key: String,
        /// The step.
        what: &'static str,
    },
    /// Two of the keys named are one key.
    #[error("{first} and {second} name the same key ({key})")]
    NamedTwice {
        /// The key.
        key: String,
        /// The first flag that named it.
        first: String,
        /// The second.
        second: String,
    },
    /// The account's codes are not 6 digits, which IAM requires.
    #[error("the device's codes have {digits} digits; IAM takes 6")]
    WrongDigits {
        /// Digits in the device's code.
        digits: usize,
    },
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

impl DeviceError {
    /// Whether the problem is the user's input (exit 2) rather than the device (exit 3).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            DeviceError::SeedFile { .. }
                | DeviceError::Seed { .. }
                | DeviceError::Typed { .. }
                | DeviceError::TouchUnsupported { .. }
                | DeviceError::NamedTwice { .. }
        )
    }

    /// The line that tells the user what to do.
    pub fn hint(&self) -> Option<&str> {
        match self {
            DeviceError::SeedFile { hint, .. }
            | DeviceError::Seed { hint, .. }
            | DeviceError::Typed { hint, .. } => Some(hint),
            DeviceError::Interrupted => None,
            DeviceError::Stdin(_) => {
                Some("pipe the two codes on separate lines, or run in a terminal")
            }
            DeviceError::Malformed { .. } => Some("remove and reinsert the device, then try again"),
            DeviceError::PcscdUnavailable { .. } => Some(
                "start it: `sudo systemctl start pcscd.socket` (Debian package pcscd), then run again; nothing was sent",
            ),
            DeviceError::NoReader => {
                Some("plug in the YubiKey, or connect the NFC reader and place the key on it")
            }
            DeviceError::ReaderNotFound { .. } => {
                Some("name the reader in full, as `mfa-resync devices` shows it")
            }
            DeviceError::NoCard { .. } => Some("insert the YubiKey, or place it on the NFC reader"),
            DeviceError::NotAYubiKey { .. } => {
                Some("choose the YubiKey's reader with --reader, or another --source")
            }
            DeviceError::NoYubiKey { .. } => Some(
                "insert the YubiKey (or place it on the NFC reader), or use --source seed / --source prompt",
            ),
            DeviceError::SeveralYubiKeys { .. } => {
                Some("choose one with --device SERIAL (or --reader NAME)")
            }
            DeviceError::DeviceNotFound { .. } => {
                Some("check the serial printed on the key, or run `mfa-resync devices`")
            }
            DeviceError::Busy { .. } => Some(
                "GnuPG's scdaemon usually holds YubiKeys: `gpgconf --kill scdaemon` ends it (it restarts when needed), then run again",
            ),
            DeviceError::Transport { .. } => Some("reinsert the key and run again"),
            DeviceError::NoOath { .. } => {
                Some("enable OATH over CCID with `ykman config usb --enable OATH`")
            }
            DeviceError::PasswordRequired { .. } => {
                Some("run in a terminal to be asked for it, or set MFA_RESYNC_OATH_PASSWORD")
            }
            DeviceError::WrongPassword { .. } => {
                Some("check the password (`ykman oath access change` sets it); nothing was retried")
            }
            DeviceError::AccountNotFound { .. } => {
                Some("pass --account with one of the accounts shown (ISSUER:NAME)")
            }
            DeviceError::SeveralAccounts { .. } => {
                Some("pass --account with the one for this device")
            }
            DeviceError::NotTotp { .. } => Some("choose the TOTP account with --account"),
            DeviceError::TouchTimedOut { .. } => {
                Some("touch the gold disc when it blinks; nothing was sent, run again")
            }
            DeviceError::Timeout { .. } | DeviceError::Removed { .. } => {
                Some("reinsert the key and run again; nothing was sent")
            }
            DeviceError::HidDenied { .. } => Some(
                "install the udev rules that give you the key's hidraw nodes: see udev/README.md (the Debian package installs them)",
            ),
            DeviceError::SlotNotConfigured { .. } => Some(
                "program it for TOTP challenge-response (`ykman otp chalresp --totp 2`), or choose the other --slot",
            ),
            DeviceError::AppletFull { .. } => Some(
                "delete a credential it no longer needs (`ykman --device SERIAL oath accounts delete NAME`), or use another key; nothing was created",
            ),
            DeviceError::CredentialExists { .. } => Some(
                "pass --force to write over it (its secret is then lost), or --oath-name to give the new credential another name; nothing was created",
            ),
            DeviceError::TouchUnsupported { .. } => {
                Some("drop --touch, or write to a key with firmware 4.2.6 or later")
            }
            DeviceError::KeysDisagree { .. } => {
                Some("reinsert the key and run again; if it happens again, the key may be faulty")
            }
            DeviceError::RemovedWhile { .. } => {
                Some("keep every key in its reader until the command ends, then run again")
            }
            DeviceError::NamedTwice { .. } => {
                Some("name each key once: the first is the primary, the others backups")
            }
            DeviceError::WrongDigits { .. } => {
                Some("use an account whose codes have 6 digits (AWS's have)")
            }
        }
    }
}
