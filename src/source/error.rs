//! What can go wrong in the device layer: each variant carries what the user needs to act, as data.
//! The words (message and hint) and the exit code are the catalogue's (`crate::messages`).

use std::path::PathBuf;

use crate::files::FileProblem;

/// Everything that can go wrong in the device layer, each with what the user needs to act.
#[derive(Debug)]
pub enum DeviceError {
    /// A seed file that cannot be used: missing, unreadable, loose permissions, someone else's.
    SeedFile {
        /// The file as given.
        path: PathBuf,
        /// What is wrong.
        problem: SeedFileProblem,
    },
    /// A seed (from any place) that cannot be read or does not parse: never echoed.
    Seed {
        /// Where it came from.
        from: SeedFrom,
        /// What is wrong.
        problem: SeedProblem,
    },
    /// A typed code that is not usable.
    Typed(TypedProblem),
    /// Ctrl-C while the user was typing at the terminal (read as a key, the terminal's echo
    /// restored): nothing was sent.
    Interrupted,
    /// Standard input closed or failed while reading a typed code.
    Stdin(std::io::Error),
    /// A device answered something that is not a valid answer.
    Malformed {
        /// What was received, described without its content.
        what: String,
    },
    /// The PC/SC daemon cannot be reached.
    PcscdUnavailable {
        /// What PC/SC said.
        detail: String,
    },
    /// No smart-card reader at all.
    NoReader,
    /// `--reader` names no reader.
    ReaderNotFound {
        /// The name given.
        name: String,
        /// The readers there are.
        readers: Vec<String>,
    },
    /// The reader is empty.
    NoCard {
        /// The reader.
        reader: String,
    },
    /// The card in the reader is not a YubiKey.
    NotAYubiKey {
        /// The reader.
        reader: String,
        /// What identification said.
        detail: String,
    },
    /// No YubiKey in any reader.
    NoYubiKey {
        /// The readers looked in.
        readers: Vec<String>,
    },
    /// Several YubiKeys and no choice.
    SeveralYubiKeys {
        /// Each key: serial (reader).
        keys: Vec<String>,
    },
    /// `--device` names no attached key.
    DeviceNotFound {
        /// The serial asked for.
        serial: u32,
        /// What was found.
        found: Vec<String>,
    },
    /// Another program holds the card exclusively.
    Busy {
        /// The reader.
        reader: String,
    },
    /// Any other PC/SC failure.
    Transport {
        /// What PC/SC said.
        detail: String,
    },
    /// The key has no OATH application (disabled, or not a YubiKey 4/5).
    NoOath {
        /// The key.
        key: String,
    },
    /// The OATH application is password-protected and no password was available.
    PasswordRequired {
        /// The key.
        key: String,
    },
    /// The password did not unlock it.
    WrongPassword {
        /// The key.
        key: String,
    },
    /// The account asked for (or any TOTP account) is not on the key.
    AccountNotFound {
        /// The key.
        key: String,
        /// What was looked for.
        wanted: String,
        /// What is there.
        available: Vec<String>,
    },
    /// Several TOTP accounts and none matches the target.
    SeveralAccounts {
        /// The key.
        key: String,
        /// The TOTP accounts.
        available: Vec<String>,
    },
    /// The key's credentials for the account name devices the user no longer has: its device was
    /// retired or replaced, and its codes would be refused.
    StaleCredential {
        /// The key.
        key: String,
        /// The credential.
        credential: String,
        /// The device it names.
        device: String,
        /// The user.
        user: String,
    },
    /// The account is HOTP (counter-based): it has no time windows to resync.
    NotTotp {
        /// The account.
        account: String,
    },
    /// A touch-required account got no touch in time.
    TouchTimedOut {
        /// The key.
        key: String,
    },
    /// The device stopped answering within the time allowed.
    Timeout {
        /// Seconds waited.
        secs: u64,
    },
    /// The key left the reader mid-run.
    Removed {
        /// The key.
        key: String,
    },
    /// The key's HID interface cannot be opened and there is no CCID way to it either.
    HidDenied {
        /// Which node and why.
        detail: String,
    },
    /// The OTP slot is not programmed (for challenge-response).
    SlotNotConfigured {
        /// The key.
        key: String,
        /// The slot.
        slot: u8,
    },
    /// The OATH applet has no room for one more credential.
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
    CredentialExists {
        /// The key.
        key: String,
        /// The name.
        name: String,
    },
    /// `--touch` on a key whose firmware would store the credential and never ask for a touch.
    TouchUnsupported {
        /// The key.
        key: String,
        /// Its firmware.
        firmware: String,
    },
    /// A key's code for a window differs from the seed's own: what was written is not the device's.
    KeysDisagree {
        /// The key.
        key: String,
    },
    /// The key left the reader during an enrolment step.
    RemovedWhile {
        /// The key.
        key: String,
        /// The step.
        what: &'static str,
    },
    /// Two of the keys named are one key.
    NamedTwice {
        /// The key.
        key: String,
        /// The first flag that named it.
        first: String,
        /// The second.
        second: String,
    },
    /// The account's codes are not 6 digits, which IAM requires.
    WrongDigits {
        /// Digits in the device's code.
        digits: usize,
    },
}

/// Why a seed file cannot be read.
#[derive(Debug)]
pub enum SeedFileProblem {
    /// It cannot be opened, or is not a regular file.
    Open(FileProblem),
    /// Group or others may read it (its mode).
    Loose {
        /// The permission bits.
        mode: u32,
    },
    /// Someone else owns it.
    NotYours {
        /// The owner's uid.
        owner: u32,
        /// Ours.
        me: u32,
    },
    /// Larger than a seed can be.
    Large {
        /// Its size in bytes.
        len: u64,
    },
    /// It could not be read whole.
    Read(FileProblem),
    /// It is not UTF-8 text.
    NotUtf8,
}

/// Where a seed that cannot be used came from: what the user is told to fix depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedFrom {
    /// `--seed-file PATH`'s text.
    File(PathBuf),
    /// `--seed-env VAR`.
    Env(String),
    /// `--seed-stdin`, typed at a terminal.
    Terminal,
    /// `--seed-stdin`, piped.
    Pipe,
}

/// Why a seed from a variable, standard input or a file's text cannot be used.
#[derive(Debug)]
pub enum SeedProblem {
    /// `--seed-env`'s variable is not set.
    Unset,
    /// The text is not UTF-8.
    NotUtf8,
    /// Standard input could not be read.
    Unreadable(String),
    /// Nothing was typed at the prompt.
    Empty,
    /// More than a seed can be.
    TooLong {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The text is not a seed (never echoed).
    Parse(super::otpauth::ParseError),
    /// totp-rs refused the parameters.
    Unusable(String),
}

/// Why typed codes cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedProblem {
    /// The line is not a code of the digits wanted.
    Shape {
        /// What is wrong with it.
        shape: crate::model::Shape,
        /// The digits wanted.
        digits: usize,
    },
    /// The line is longer than any code.
    TooLong {
        /// The limit, in bytes.
        limit: usize,
        /// The digits wanted.
        digits: usize,
    },
    /// Standard input ended before a code.
    Ended,
    /// No code was typed.
    NoCode,
    /// Code 2 is code 1 again.
    Unchanged,
    /// The token still showed the same code more than a window after code 1.
    StillUnchanged,
    /// Code 2 came more than a window (and the margin for reaction) after code 1: the token may
    /// have changed twice in between, so the pair may not be consecutive.
    TooLate {
        /// Milliseconds from code 1 to code 2.
        after_millis: u64,
        /// The token's period.
        period_secs: u64,
        /// The margin allowed for seeing the new code and typing it.
        margin_secs: u64,
    },
    /// A code already sent in an earlier attempt.
    AlreadySent,
}

impl DeviceError {
    /// Whether the problem is the user's input (exit 2) rather than the device (exit 3).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            DeviceError::SeedFile { .. }
                | DeviceError::Seed { .. }
                | DeviceError::Typed(_)
                | DeviceError::TouchUnsupported { .. }
                | DeviceError::NamedTwice { .. }
        )
    }
}
