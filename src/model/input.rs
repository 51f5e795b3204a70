//! Where a value came from and what is wrong with it: [`Field`] names the flag or JSON key the way
//! the user wrote it, and [`InputError`] (exit 2, nothing sent) says which field and what is wrong
//! with it ([`Problem`]; a code's [`Shape`], here so that `code.rs` can use this file and not the
//! other way round), or which flags cannot go together ([`Usage`]). These are data: the words and
//! the hints are the catalogue's (`crate::messages`).

use std::fmt;

use super::input_files::{BatchProblem, FileInput, JsonProblem};

/// Where a value came from, so that an error names the place the user has to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, e.g. `--user-name`.
    Flag,
    /// A key of `--cli-input-json`, e.g. `UserName`.
    Json,
}

/// A field of the request, named as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    flag: &'static str,
    json_key: Option<&'static str>,
    origin: Origin,
}

impl Field {
    /// A field that only exists as a flag (for example `--seed-file`).
    pub const fn flag(flag: &'static str) -> Self {
        Field {
            flag,
            json_key: None,
            origin: Origin::Flag,
        }
    }

    /// A field that `--cli-input-json` may also carry, as the AWS CLI names it.
    pub const fn request(flag: &'static str, json_key: &'static str, origin: Origin) -> Self {
        Field {
            flag,
            json_key: Some(json_key),
            origin,
        }
    }

    /// `--user-name`
    pub const fn user_name(origin: Origin) -> Self {
        Self::request("--user-name", "UserName", origin)
    }
    /// `--serial-number`
    pub const fn serial_number(origin: Origin) -> Self {
        Self::request("--serial-number", "SerialNumber", origin)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.origin, self.json_key) {
            (Origin::Json, Some(key)) => write!(f, "{key} in --cli-input-json"),
            _ => f.write_str(self.flag),
        }
    }
}

/// Bad input: exit code 2; nothing was sent.
#[derive(Debug)]
pub enum InputError {
    /// A field's value breaks a rule.
    Invalid {
        /// The flag, JSON key or variable.
        field: Field,
        /// What is wrong with it (never the value, which may be something pasted by mistake).
        problem: Problem,
    },
    /// Flags that cannot go together, or one that needs another.
    Usage(Usage),
    /// A line of the `--batch` file: what is wrong with it.
    BatchLine {
        /// The line.
        line: usize,
        /// What is wrong.
        problem: LineProblem,
    },
}

/// What is wrong with a line of the `--batch` file.
#[derive(Debug)]
pub enum LineProblem {
    /// One of its fields, as the flag it stands for would be refused.
    Field(Box<InputError>),
    /// The row itself.
    Row(BatchProblem),
}

impl InputError {
    /// `problem` with `field`'s value.
    pub fn invalid(field: Field, problem: Problem) -> Self {
        InputError::Invalid { field, problem }
    }

    /// `problem` with the value of `flag`, a field that only exists as a flag.
    pub fn flag(flag: &'static str, problem: Problem) -> Self {
        Self::invalid(Field::flag(flag), problem)
    }
}

impl From<Usage> for InputError {
    fn from(usage: Usage) -> Self {
        InputError::Usage(usage)
    }
}

/// Which thing a field takes, for the refusal of a value that looks like a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// `--user-name`
    UserName,
    /// `--serial-number`
    Serial,
    /// `--device-name`
    DeviceName,
    /// `--path`
    Path,
    /// `--oath-name`
    OathName,
    /// `--audit-log`
    AuditLog,
    /// `--seed-file`
    SeedFile,
    /// `--seed-env`
    SeedEnv,
    /// `--reader`
    Reader,
    /// `--account`
    Account,
    /// `--accounts`
    Accounts,
    /// `--endpoint-url`
    EndpointUrl,
    /// `--profile`
    Profile,
    /// `--batch`
    Batch,
    /// `--backup-seed-file`
    BackupFile,
    /// `--cli-input-json file://`
    JsonFile,
    /// `--ca-bundle`, `AWS_CA_BUNDLE`
    CaBundle,
}

/// What is wrong with a field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It looks like a seed: never echoed, sent or logged.
    LooksLikeSeed(Takes),
    /// A character the field does not take.
    BadChar {
        /// It.
        ch: char,
        /// Its 1-based position.
        position: usize,
        /// The field's kind of value, for the hint.
        rule: CharRule,
    },
    /// A name that is empty.
    Empty(LengthRule),
    /// A name longer than IAM (or a key) takes.
    Long {
        /// The name's kind.
        rule: LengthRule,
        /// Its length, as the rule counts it.
        len: usize,
    },
    /// A user's ARN where a device's serial goes.
    SerialIsUserArn,
    /// A U2F/FIDO key's serial where a TOTP device's goes.
    SerialIsU2f,
    /// A serial of the wrong length.
    SerialLength {
        /// Its length.
        len: usize,
    },
    /// A code that is not six digits.
    Code(Shape),
    /// Code 2 is code 1 again.
    SameAsCode1,
    /// One code is given without the other.
    CodeMissing {
        /// The other's number (1 or 2).
        other: u8,
    },
    /// `--digits` other than 6 for a resync.
    DigitsForResync {
        /// The digits asked for.
        digits: u32,
    },
    /// `--source seed` without a seed.
    SeedPlaceMissing,
    /// `YKMAN_OATH_DEVICE_SERIAL` that is not a serial number.
    NotAKeySerial,
    /// A batch row's device that is not a serial number.
    RowDevice,
    /// `YKMAN_OATH_CREDENTIAL_NAME` that cannot be a credential's name.
    CredentialName(CredentialNameProblem),
    /// An empty reader name.
    ReaderEmpty,
    /// An `--account` of no plausible length.
    AccountLength,
    /// `--slot` missing for `--source otp-slot`.
    SlotMissing,
    /// A row's slot other than 1 or 2.
    SlotNumber,
    /// `--seed-env` that is not a variable's name.
    NotEnvName,
    /// `--endpoint-url` that is not an http(s) URL.
    NotAUrl,
    /// `--profile` empty or with spaces.
    ProfileName,
    /// An availability zone where a region goes.
    AvailabilityZone {
        /// Its region.
        region: String,
    },
    /// A region that is empty or has spaces.
    RegionBlank,
    /// A region not of a region's shape.
    RegionShape,
    /// `--max-keys` out of range.
    MaxKeys {
        /// The value given.
        value: u32,
    },
    /// `--reader` names none of the readers there are.
    NoSuchReader {
        /// The name given.
        name: String,
        /// The readers there are.
        readers: Vec<String>,
    },
    /// `--accounts` names an account other than the caller's.
    OtherAccount {
        /// The account given.
        other: String,
        /// The caller's.
        caller: String,
    },
    /// Not a 12-digit account id (the start of it, shown).
    NotAnAccountId {
        /// The value, cut short.
        shown: String,
    },
    /// A path that does not start and end with `/`.
    PathSlashes,
    /// A path and a device name that make a serial longer than IAM's.
    PathAndName {
        /// Their length together.
        len: usize,
    },
    /// An OATH name with a control character.
    OathNameControl {
        /// It.
        ch: char,
    },
    /// A device name whose default OATH name cannot fit on a key.
    DefaultOathNameLong {
        /// The device's name.
        device: String,
        /// The shortest the credential's name could be.
        shortest: usize,
    },
    /// `--replace` names none of the user's devices.
    NotUsersDevice {
        /// The device given.
        old: String,
        /// The user.
        user: String,
        /// Their devices.
        devices: Vec<String>,
    },
    /// Several of the user's devices carry the key's serial in their names.
    SeveralDevices {
        /// Them.
        devices: Vec<String>,
    },
    /// A file that cannot be used for what the field takes.
    File(FileInput),
    /// A `--batch` file or row that cannot be read.
    Batch(BatchProblem),
    /// `--cli-input-json` that cannot be taken.
    Json(JsonProblem),
}

/// Why typed text is not a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Nothing was typed.
    Empty,
    /// A Yubico OTP: what a YubiKey types when touched.
    YubicoOtp {
        /// Its length.
        len: usize,
    },
    /// A digit of another script (Arabic-Indic, …).
    NonAsciiDigit {
        /// 1-based position.
        position: usize,
    },
    /// Something that is not a digit.
    NotDigit {
        /// 1-based position.
        position: usize,
    },
    /// The wrong number of digits.
    Length {
        /// Digits typed.
        digits: usize,
        /// Digits wanted.
        wanted: usize,
    },
}

/// The names whose length IAM (or a key) limits, for the refusal of one that is empty or too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthRule {
    /// IAM user names: 128 characters.
    UserName,
    /// IAM device names: `MAX_DEVICE_NAME` characters.
    DeviceName,
    /// IAM paths: `MAX_PATH` characters.
    Path,
    /// OATH credential names: `MAX_ID_BYTES` bytes.
    OathName,
}

/// The characters a field takes, for the hint of a refused one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharRule {
    /// IAM user names.
    UserName,
    /// A user's ARN given where the name goes.
    UserArn,
    /// IAM serial numbers.
    Serial,
    /// IAM device names.
    DeviceName,
    /// IAM paths.
    Path,
}

/// Why `YKMAN_OATH_CREDENTIAL_NAME` cannot be a credential's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialNameProblem {
    /// Not UTF-8.
    NotUtf8,
    /// Empty.
    Empty,
    /// Longer than any credential name.
    Long,
}

/// Flags (or parts of a request) that cannot go together, or one that needs another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Usage {
    /// `--no-wait` with both codes given.
    NoWaitWithCodes,
    /// Both codes and a source.
    CodesAndSource,
    /// `--no-wait` with a display token.
    NoWaitWithPrompt,
    /// `codes --source prompt`.
    CodesFromPrompt,
    /// `--slot`/`--digits` without `--source otp-slot`.
    SlotWithoutOtp,
    /// YubiKey flags with a seed.
    KeyFlagsWithSeed,
    /// `--source prompt` with a seed flag.
    PromptWithSeed,
    /// `--source prompt` with YubiKey flags.
    PromptWithKeyFlags,
    /// `--source yubikey` with a seed flag.
    YubikeyWithSeed,
    /// `--source otp-slot` with a seed or `--account`.
    OtpSlotWithSeed,
    /// `--replace` names the device the command would create (known from the flags).
    ReplaceIsNew {
        /// The device.
        old: String,
    },
    /// `--replace` names the device the command would create (known once the user is).
    ReplaceIsCreated {
        /// The device.
        old: String,
    },
    /// A key named twice.
    KeyNamedTwice {
        /// How it was named.
        named: String,
    },
    /// The source makes codes of other than 6 digits.
    Digits {
        /// The source's kind.
        kind: &'static str,
        /// Its digits.
        digits: u32,
    },
    /// The profile's `mfa_serial` is not a serial number.
    ProfileSerial {
        /// Why.
        problem: String,
    },
    /// The region the AWS config file gives the profile is not a region's shape (`us_east_1`):
    /// refused before any request, as the flag and `AWS_REGION` are.
    ProfileRegion {
        /// The profile (`default` when none was chosen).
        profile: String,
        /// What is wrong with it.
        problem: Box<Problem>,
    },
    /// The new devices would take the user past IAM's limit.
    DeviceLimit {
        /// The user.
        user: String,
        /// Their devices.
        devices: usize,
        /// The devices the enrolment would add.
        new: usize,
    },
    /// A flag for one device, with several keys each getting its own.
    OneDeviceFlag {
        /// The flag.
        flag: &'static str,
        /// The keys named.
        keys: usize,
    },
    /// An `--oath-name` that is another device's ARN than the one created.
    OathNameOtherDevice {
        /// The name.
        name: String,
        /// The device created.
        device: String,
    },
    /// The device the enrolment would create is already the user's (a key enrolled before).
    AlreadyEnrolled {
        /// The device.
        device: String,
        /// The user.
        user: String,
    },
    /// `retire` without a device.
    RetireWhat,
    /// A key that reports no serial, which would name its device.
    KeyWithoutSerial {
        /// Its reader.
        reader: String,
    },
    /// The credential's default name does not fit on a key.
    DefaultOathName {
        /// The name.
        name: String,
    },
    /// The seed's backup file could not be written.
    Backup {
        /// What went wrong.
        problem: String,
    },
}
