//! Bad input in words (exit 2, nothing sent): each field's problem and what to do about it. A value
//! the user gave is never repeated whole (it may be something pasted by mistake): a position, a
//! length, or a name cut short and left out when it looks like a seed.

use std::fmt;

use super::{NAME_EACH_KEY_ONCE, READER_HINT};
use crate::model::{
    AWS_ISSUER, CharRule, CredentialNameProblem, IAM_CODE_DIGITS, InputError, LineProblem,
    MAX_DEVICE_NAME, MAX_DEVICES_PER_USER, MAX_ID_BYTES, MAX_PATH, MAX_PATH_AND_NAME, Problem,
    Takes, Usage,
};
use crate::request::station::{DEFAULT_MAX_KEYS, MAX_KEYS};

/// The problem line of every refusal of a value that looks like a seed.
pub const LOOKS_LIKE_A_SEED: &str =
    "this looks like a seed; pass it in a file, a variable or stdin";

/// A character as an error shows it: quoted, or escaped when it is a control or a space.
fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("{c:?}")
    } else {
        format!("'{c}'")
    }
}

/// The hint for a field that takes a name, never a seed.
fn name_hint(what: &str) -> String {
    format!("{what}; for a seed, use --seed-file FILE, --seed-env NAME or --seed-stdin")
}

const PATH_HINT: &str = "give / or a path that starts and ends with /, e.g. /desk/ (letters, digits and punctuation, no spaces)";
const SEED_ENV_HINT: &str = "--seed-env takes the NAME of a variable that holds the seed, e.g. `--seed-env MFA_SEED` after `export MFA_SEED`; or use --seed-file FILE or --seed-stdin";

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Invalid { field, problem } => write!(f, "{field}: {problem}"),
            InputError::Usage(usage) => write!(f, "{usage}"),
            InputError::BatchLine { line, problem } => match problem {
                LineProblem::Field(e) => write!(f, "--batch: line {line}: {e}"),
                LineProblem::Row(p) => write!(f, "--batch: line {line}: {p}"),
            },
        }
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// The line that tells the user what to do.
    pub fn hint(&self) -> String {
        match self {
            InputError::Invalid { problem, .. } => problem.hint(),
            InputError::Usage(Usage::ProfileRegion { problem, .. }) => format!(
                "{}; fix `region` in the AWS config file (~/.aws/config, or AWS_CONFIG_FILE), or pass --region",
                problem.hint()
            ),
            InputError::Usage(usage) => usage.hint().to_string(),
            InputError::BatchLine { problem, .. } => match problem {
                LineProblem::Field(e) => e.hint(),
                LineProblem::Row(p) => p.hint(),
            },
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::LooksLikeSeed(_) => f.write_str(LOOKS_LIKE_A_SEED),
            Problem::BadChar { ch, position, .. } => write!(
                f,
                "character {} at position {position} is not allowed",
                describe_char(*ch)
            ),
            Problem::UserNameEmpty
            | Problem::ReaderEmpty
            | Problem::DeviceNameEmpty
            | Problem::PathEmpty
            | Problem::OathNameEmpty => f.write_str("is empty"),
            Problem::UserNameLong { len } => write!(
                f,
                "is {len} characters long; IAM user names have at most 128"
            ),
            Problem::SerialIsUserArn => f.write_str("is a user's ARN, not an MFA device's"),
            Problem::SerialIsU2f => f.write_str(
                "names a U2F/FIDO security key, which has no TOTP codes to resync",
            ),
            Problem::SerialLength { len } => write!(
                f,
                "is {len} characters long; IAM serial numbers have 9 to 256"
            ),
            Problem::Code(shape) => write!(f, "{shape}"),
            Problem::SameAsCode1 => f.write_str(
                "is the same as code 1; the codes must come from two consecutive windows",
            ),
            Problem::CodeMissing { other } => write!(f, "is missing while code {other} is given"),
            Problem::DigitsForResync { digits } => {
                write!(f, "is {digits}; IAM takes 6-digit codes")
            }
            Problem::SeedPlaceMissing => f.write_str("needs the seed's place"),
            Problem::NotAKeySerial => f.write_str("is not a YubiKey serial number"),
            Problem::RowDevice => f.write_str("is not a serial number"),
            Problem::CredentialName(p) => f.write_str(match p {
                CredentialNameProblem::NotUtf8 => "is not UTF-8",
                CredentialNameProblem::Empty => "is empty",
                CredentialNameProblem::Long => "is longer than any credential name",
            }),
            Problem::AccountLength => f.write_str("must be 1 to 256 bytes"),
            Problem::SlotMissing => f.write_str("is missing for --source otp-slot"),
            Problem::SlotNumber => f.write_str("must be 1 or 2"),
            Problem::NotEnvName => f.write_str(
                "is not an environment variable name (letters, digits and _, not starting with a digit)",
            ),
            Problem::NotAUrl => f.write_str("is not an http:// or https:// URL"),
            Problem::ProfileName | Problem::RegionBlank => f.write_str("is empty or has spaces"),
            Problem::AvailabilityZone { .. } => {
                f.write_str("is an availability zone, not a region")
            }
            Problem::RegionShape => f.write_str(
                "is not a region name (lower-case letters and digits, joined by hyphens)",
            ),
            Problem::MaxKeys { value } => write!(
                f,
                "is {value}; a station serves 1 to {MAX_KEYS} keys at once"
            ),
            Problem::NoSuchReader { name, readers } => {
                write!(f, "no reader is named {name:?}; ")?;
                if readers.is_empty() {
                    f.write_str("there is no reader at all")
                } else {
                    write!(f, "the readers are: {}", readers.join(", "))
                }
            }
            Problem::OtherAccount { other, caller } => write!(
                f,
                "{other} is not the account of the station's credentials ({caller}); IAM resyncs devices only in the caller's own account"
            ),
            Problem::NotAnAccountId { shown } => {
                write!(f, "{shown:?} is not an account id (12 digits)")
            }
            Problem::DeviceNameLong { len } => write!(
                f,
                "is {len} characters long; IAM takes at most {MAX_DEVICE_NAME}"
            ),
            Problem::PathLong { len } => {
                write!(f, "is {len} characters long; IAM takes at most {MAX_PATH}")
            }
            Problem::PathSlashes => f.write_str("does not start and end with /"),
            Problem::PathAndName { len } => write!(
                f,
                "with the device name makes {len} characters; the serial number (arn:aws:iam::ACCOUNT:mfa + path + name) would pass IAM's 256"
            ),
            Problem::OathNameLong { len } => write!(
                f,
                "is {len} bytes long; a YubiKey stores credential names of at most {MAX_ID_BYTES} bytes"
            ),
            Problem::OathNameControl { ch } => {
                write!(f, "holds the control character {}", describe_char(*ch))
            }
            Problem::DefaultOathNameLong { device, shortest } => write!(
                f,
                "makes a credential name ({AWS_ISSUER}:{device}@ACCOUNT) of at least {shortest} bytes; a YubiKey stores at most {MAX_ID_BYTES}"
            ),
            Problem::NotUsersDevice { old, user, devices } => {
                write!(f, "{old} is not one of {user}'s MFA devices (")?;
                if devices.is_empty() {
                    f.write_str("they have none)")
                } else {
                    write!(f, "{})", devices.join(", "))
                }
            }
            Problem::SeveralDevices { devices } => write!(
                f,
                "names several devices: {}",
                devices.join(", ")
            ),
            Problem::File(p) => write!(f, "{p}"),
            Problem::Batch(p) => write!(f, "{p}"),
            Problem::Json(p) => write!(f, "{p}"),
        }
    }
}

impl Problem {
    /// What to do about it.
    pub fn hint(&self) -> String {
        let fixed = match self {
            Problem::LooksLikeSeed(takes) => return takes.hint(),
            Problem::BadChar { rule, .. } => match rule {
                CharRule::UserName => "IAM user names use only letters, digits and _+=,.@-",
                CharRule::UserArn => {
                    "give the bare user name (the part after ':user/'), not the ARN"
                }
                CharRule::Serial => "serial numbers use only letters, digits and _+=/:,.@-",
                CharRule::DeviceName => {
                    "device names use only letters, digits and _+=,.@- (a path goes in --path)"
                }
                CharRule::Path => PATH_HINT,
            },
            Problem::UserNameEmpty => {
                "give the IAM user name, e.g. --user-name alice, or leave the flag out to use the caller's own user"
            }
            Problem::UserNameLong { .. } => "give the user name, not an ARN or a path",
            Problem::SerialIsUserArn => {
                "a virtual device's serial number is its ARN with ':mfa/', e.g. arn:aws:iam::123456789012:mfa/alice; `aws iam list-mfa-devices --user-name NAME` lists them"
            }
            Problem::SerialIsU2f => {
                "give the serial number of a TOTP device (a hardware token or a virtual ':mfa/' device)"
            }
            Problem::SerialLength { .. } => {
                "give the token's serial (e.g. GAHT12345678) or the virtual device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME)"
            }
            Problem::Code(shape) => return shape.hint(IAM_CODE_DIGITS),
            Problem::SameAsCode1 => "wait for the token to show its next code, and give that one",
            Problem::CodeMissing { .. } => {
                "give both codes, or neither and let a source read them (--source seed, --source prompt)"
            }
            Problem::DigitsForResync { .. } => {
                "drop --digits for resync (`codes` prints 8-digit codes for other services)"
            }
            Problem::SeedPlaceMissing => "add --seed-file FILE, --seed-env VAR or --seed-stdin",
            Problem::NotAKeySerial => {
                "set it to the digits printed on the key (`mfa-resync devices` lists them), or unset it"
            }
            Problem::RowDevice => "give the digits printed on the key",
            Problem::CredentialName(_) => {
                "set it to the credential's name as `mfa-resync devices --accounts` shows it, or unset it"
            }
            Problem::ReaderEmpty => READER_HINT,
            Problem::AccountLength => {
                "give the account as `mfa-resync devices --accounts` shows it (ISSUER:NAME)"
            }
            Problem::SlotMissing => {
                "add --slot 2 (or 1): the slot programmed with `ykman otp chalresp --totp`"
            }
            Problem::SlotNumber => "the slot programmed for challenge-response",
            Problem::NotEnvName => SEED_ENV_HINT,
            Problem::NotAUrl => {
                "give a URL such as http://127.0.0.1:4599 or https://iam.amazonaws.com"
            }
            Problem::ProfileName => "give a name without spaces, e.g. --profile default",
            Problem::AvailabilityZone { region } => return format!("give its region: {region}"),
            Problem::RegionBlank | Problem::RegionShape => {
                "give a region such as us-east-1 (IAM is global: any of the partition's regions will do)"
            }
            Problem::MaxKeys { .. } => {
                return format!(
                    "give a number from 1 to {MAX_KEYS} (default {DEFAULT_MAX_KEYS}); keys past it wait their turn"
                );
            }
            Problem::NoSuchReader { .. } => {
                "name the reader in full, as `mfa-resync devices` shows it, or drop --reader to watch every reader"
            }
            Problem::OtherAccount { .. } => {
                "run one station per account, each with that account's credentials (--profile), or drop --accounts"
            }
            Problem::NotAnAccountId { .. } => {
                "give account ids as IAM writes them, 12 digits with any leading zeros, separated by commas (e.g. --accounts 012345678901)"
            }
            Problem::DeviceNameEmpty => {
                "give a name, e.g. --device-name alice-yubikey, or leave the flag out to name the device after the user"
            }
            Problem::DeviceNameLong { .. } => "give a shorter name",
            Problem::PathEmpty | Problem::PathLong { .. } | Problem::PathSlashes => PATH_HINT,
            Problem::PathAndName { .. } => {
                return format!(
                    "keep the path and the name within {MAX_PATH_AND_NAME} characters together"
                );
            }
            Problem::OathNameEmpty => {
                "give a name, or leave the flag out for the name AWS's QR code would give"
            }
            Problem::OathNameLong { .. } => "give a shorter --oath-name",
            Problem::OathNameControl { .. } => "give a name of printable characters",
            Problem::DefaultOathNameLong { .. } => {
                "give --oath-name (e.g. the device's serial ARN, as aws-vault names it), or a shorter device name"
            }
            Problem::NotUsersDevice { .. } => {
                "give the serial of one of the user's devices, as `aws iam list-mfa-devices --user-name NAME` lists it"
            }
            Problem::SeveralDevices { .. } => "name the device with --serial-number",
            Problem::File(p) => return p.hint(),
            Problem::Batch(p) => return p.hint(),
            Problem::Json(p) => return p.hint(),
        };
        fixed.to_string()
    }
}

impl Takes {
    fn hint(self) -> String {
        let what = match self {
            Takes::UserName => {
                "this takes the IAM user name. IAM allows a name of a seed's shape (16 or more capitals and digits 2-7 only, or lower case with digits 2-7 scattered through it), but such a name is never sent (AWS would keep it in CloudTrail): leave --user-name out to act on the caller's own user"
            }
            Takes::Serial => {
                "this takes the token's serial (12 characters, e.g. GAHT12345678) or the virtual device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME)"
            }
            Takes::DeviceName => {
                "this names the new virtual MFA device (IAM allows a name of a seed's shape, 16 or more capitals and digits 2-7 only or lower case with digits 2-7 scattered through it, but it would be sent to AWS and kept in CloudTrail): choose another name"
            }
            Takes::Path => "--path takes an IAM path such as /desk/",
            Takes::OathName => {
                "--oath-name takes the credential's name, e.g. the device's serial ARN"
            }
            Takes::AuditLog => "--audit-log takes the path of the log file",
            Takes::SeedFile => "--seed-file takes the PATH of a file that holds the seed",
            Takes::SeedEnv => return SEED_ENV_HINT.to_string(),
            Takes::Reader => "--reader takes a reader's name, as `mfa-resync devices` shows it",
            Takes::Account => {
                "--account takes an OATH account's name, as `mfa-resync devices --accounts` shows it"
            }
            Takes::Accounts => "--accounts takes 12-digit account ids, separated by commas",
            Takes::EndpointUrl => "--endpoint-url takes the URL of an IAM endpoint",
            Takes::Profile => {
                "--profile takes a profile's name, as `aws configure list-profiles` lists them"
            }
            Takes::Batch => "--batch takes the path of a CSV or JSON-lines file",
            Takes::BackupFile => "--backup-seed-file takes the path of the file to create",
            Takes::JsonFile => "file:// takes the path of a JSON file",
            Takes::CaBundle => {
                "--ca-bundle (and AWS_CA_BUNDLE) takes the path of a file of PEM certificates"
            }
        };
        name_hint(what)
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Usage::NoWaitWithCodes => {
                f.write_str("--no-wait chooses windows for a source, but both codes were given")
            }
            Usage::CodesAndSource => f.write_str("both codes were given and a source was chosen"),
            Usage::NoWaitWithPrompt => f.write_str(
                "--no-wait cannot be used with --source prompt: a display token shows only its current code",
            ),
            Usage::CodesFromPrompt => f.write_str(
                "`codes` reads codes from a seed or a device; a display token shows its own",
            ),
            Usage::SlotWithoutOtp => f.write_str("--slot and --digits are for --source otp-slot"),
            Usage::KeyFlagsWithSeed => f.write_str(
                "--device, --reader and --account choose a YubiKey, but a seed was given",
            ),
            Usage::PromptWithSeed => {
                f.write_str("--source prompt reads typed codes and takes no --seed-* flag")
            }
            Usage::PromptWithKeyFlags => f.write_str(
                "--source prompt reads typed codes and takes no --device, --reader or --account",
            ),
            Usage::YubikeyWithSeed => {
                f.write_str("--source yubikey reads the key and takes no --seed-* flag")
            }
            Usage::OtpSlotWithSeed => f.write_str(
                "--source otp-slot reads a slot of the key and takes no --seed-* or --account",
            ),
            Usage::ReplaceIsNew { old } | Usage::ReplaceIsCreated { old } => {
                write!(f, "--replace names {old}, the device this command would create")
            }
            Usage::KeyNamedTwice { named } => write!(f, "{named} is given twice"),
            Usage::Digits { kind, digits } => write!(
                f,
                "the {kind} makes {digits}-digit codes; IAM takes {IAM_CODE_DIGITS}"
            ),
            Usage::ProfileSerial { problem } => write!(
                f,
                "the profile's mfa_serial is not a valid serial number ({problem})"
            ),
            Usage::ProfileRegion { profile, problem } => write!(
                f,
                "region in profile {profile:?} of the AWS config file: {problem}"
            ),
            Usage::DeviceLimit { user, devices, new } => write!(
                f,
                "{user} has {devices} MFA devices; {} more would pass IAM's limit of {MAX_DEVICES_PER_USER}",
                new
            ),
            Usage::OneDeviceFlag { flag, keys } => write!(
                f,
                "{flag} is for one device, but each of the {keys} keys gets a device of its own"
            ),
            Usage::OathNameOtherDevice { name, device } => write!(
                f,
                "--oath-name {name} is another device's ARN than the one this creates ({device}): the credential would be named for a seed that is not its own"
            ),
            Usage::AlreadyEnrolled { device, user } => {
                write!(f, "{device} is already one of {user}'s MFA devices")
            }
            Usage::RetireWhat => f.write_str("retire needs the device: the key or its serial number"),
            Usage::KeyWithoutSerial { reader } => write!(
                f,
                "the YubiKey in {reader} reports no serial number, which names its own device"
            ),
            Usage::DefaultOathName { name } => write!(
                f,
                "the credential's default name {name:?} is {} bytes; a YubiKey stores at most {MAX_ID_BYTES}",
                name.len()
            ),
            Usage::Backup { problem } => f.write_str(problem),
        }
    }
}

impl Usage {
    fn hint(&self) -> &'static str {
        match self {
            Usage::NoWaitWithCodes => {
                "drop --no-wait, or drop the codes and let a source read them"
            }
            Usage::CodesAndSource => {
                "give the two codes, or a source (--source, --seed-*), not both"
            }
            Usage::NoWaitWithPrompt => {
                "drop --no-wait; the countdown tells you when to type code 2"
            }
            Usage::CodesFromPrompt => {
                "read the codes off the token's screen, or use --source yubikey or --source seed"
            }
            Usage::SlotWithoutOtp => "add --source otp-slot, or drop --slot/--digits",
            Usage::KeyFlagsWithSeed => "drop the YubiKey flags, or the --seed-* flag",
            Usage::PromptWithSeed | Usage::YubikeyWithSeed => {
                "drop the --seed-* flag, or use --source seed"
            }
            Usage::PromptWithKeyFlags => "drop those flags, or use --source yubikey",
            Usage::OtpSlotWithSeed => "drop those flags, or use --source seed / --source yubikey",
            Usage::ReplaceIsNew { .. } => {
                "give the new device another name with --device-name (IAM keeps one device per name and path)"
            }
            Usage::ReplaceIsCreated { .. } => "give the new device another name with --device-name",
            Usage::KeyNamedTwice { .. } => NAME_EACH_KEY_ONCE,
            Usage::Digits { .. } => {
                "resync a device whose codes have 6 digits (`codes` prints other lengths)"
            }
            Usage::ProfileSerial { .. } => {
                "fix mfa_serial in ~/.aws/config, or pass --serial-number"
            }
            // Worded with its problem's hint, by `InputError::hint`.
            Usage::ProfileRegion { .. } => "",
            Usage::DeviceLimit { .. } => {
                "retire one first (`mfa-resync retire`); --replace retires the old one only after the new devices are enabled"
            }
            Usage::OneDeviceFlag { .. } => {
                "drop it (each key's device is named USER-SERIAL, its credential after the device), or add --shared-seed for one device cloned onto every key"
            }
            Usage::OathNameOtherDevice { .. } => {
                "name it after the new device (--oath-name with its ARN, or --device-name to match), or leave it out"
            }
            Usage::AlreadyEnrolled { .. } => {
                "resync it (`mfa-resync resync`), or retire it first (`mfa-resync retire --device SERIAL`) to enrol the key anew"
            }
            Usage::RetireWhat => "give --device SERIAL (the key) or --serial-number ARN",
            Usage::KeyWithoutSerial { .. } => {
                "give that key its device's name with --device-name, or add --shared-seed"
            }
            Usage::DefaultOathName { .. } => {
                "give --oath-name (e.g. the device's serial ARN, as aws-vault names it), or a shorter --device-name"
            }
            Usage::Backup { .. } => {
                "give --backup-seed-file a path in a directory of yours with room"
            }
        }
    }
}
