//! Bad input in words (exit 2, nothing sent): each field's problem and what to do about it. A value
//! the user gave is never repeated whole (it may be something pasted by mistake): a position, a
//! length, or a name cut short and left out when it looks like a seed.

use super::{NAME_EACH_KEY_ONCE, READER_HINT, words};
use crate::model::{
    AWS_ISSUER, CharRule, CredentialNameProblem, IAM_CODE_DIGITS, InputError, LengthRule,
    LineProblem, MAX_DEVICE_NAME, MAX_DEVICES_PER_USER, MAX_ID_BYTES, MAX_PATH, MAX_PATH_AND_NAME,
    Problem, Takes, Usage,
};
use crate::request::station::{DEFAULT_MAX_KEYS, MAX_KEYS};

/// A character as an error shows it: quoted, or escaped when it is a control or a space.
fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("{c:?}")
    } else {
        format!("'{c}'")
    }
}

const PATH_HINT: &str = "give / or a path that starts and ends with /, e.g. /desk/ (letters, digits and punctuation, no spaces)";
const REGION_HINT: &str =
    "give a region such as us-east-1 (IAM is global: any of the partition's regions will do)";
const DROP_THE_SEED_FLAG: &str = "drop the --seed-* flag, or use --source seed";
const SEED_ENV_HINT: &str = "--seed-env takes the NAME of a variable that holds the seed, e.g. `--seed-env MFA_SEED` after `export MFA_SEED`; or use --seed-file FILE or --seed-stdin";

worded!(InputError, Problem);

impl std::error::Error for InputError {}

impl InputError {
    /// The line that tells the user what to do.
    pub fn hint(&self) -> String {
        self.words().1
    }

    /// A field's or a batch line's problem, led by where it is; the hint is the problem's own.
    fn words(&self) -> (String, String) {
        match self {
            InputError::Invalid { field, problem } => {
                let (problem, hint) = problem.words();
                (format!("{field}: {problem}"), hint)
            }
            InputError::Usage(usage) => usage.words(),
            InputError::BatchLine { line, problem } => {
                let (problem, hint) = match problem {
                    LineProblem::Field(e) => e.words(),
                    LineProblem::Row(p) => p.words(),
                };
                (format!("--batch: line {line}: {problem}"), hint)
            }
        }
    }
}

impl Problem {
    /// The problem and the hint, each problem's two side by side.
    fn words(&self) -> (String, String) {
        match self {
            Problem::LooksLikeSeed(takes) => words(
                "this looks like a seed; pass it in a file, a variable or stdin",
                takes.hint(),
            ),
            Problem::BadChar { ch, position, rule } => words(
                format!(
                    "character {} at position {position} is not allowed",
                    describe_char(*ch)
                ),
                match rule {
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
            ),
            Problem::Empty(rule) => words(
                "is empty",
                match rule {
                    LengthRule::UserName => {
                        "give the IAM user name, e.g. --user-name alice, or leave the flag out to use the caller's own user"
                    }
                    LengthRule::DeviceName => {
                        "give a name, e.g. --device-name alice-yubikey, or leave the flag out to name the device after the user"
                    }
                    LengthRule::Path => PATH_HINT,
                    LengthRule::OathName => {
                        "give a name, or leave the flag out for the name AWS's QR code would give"
                    }
                },
            ),
            Problem::Long { rule, len } => match rule {
                LengthRule::UserName => words(
                    format!("is {len} characters long; IAM user names have at most 128"),
                    "give the user name, not an ARN or a path",
                ),
                LengthRule::DeviceName => words(
                    format!("is {len} characters long; IAM takes at most {MAX_DEVICE_NAME}"),
                    "give a shorter name",
                ),
                LengthRule::Path => words(
                    format!("is {len} characters long; IAM takes at most {MAX_PATH}"),
                    PATH_HINT,
                ),
                LengthRule::OathName => words(
                    format!(
                        "is {len} bytes long; a YubiKey stores credential names of at most {MAX_ID_BYTES} bytes"
                    ),
                    "give a shorter --oath-name",
                ),
            },
            Problem::SerialIsUserArn => words(
                "is a user's ARN, not an MFA device's",
                "a virtual device's serial number is its ARN with ':mfa/', e.g. arn:aws:iam::123456789012:mfa/alice; `aws iam list-mfa-devices --user-name NAME` lists them",
            ),
            Problem::SerialIsU2f => words(
                "names a U2F/FIDO security key, which has no TOTP codes to resync",
                "give the serial number of a TOTP device (a hardware token or a virtual ':mfa/' device)",
            ),
            Problem::SerialLength { len } => words(
                format!("is {len} characters long; IAM serial numbers have 9 to 256"),
                "give the token's serial (e.g. GAHT12345678) or the virtual device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME)",
            ),
            Problem::Code(shape) => (shape.to_string(), shape.hint(IAM_CODE_DIGITS)),
            Problem::SameAsCode1 => words(
                "is the same as code 1; the codes must come from two consecutive windows",
                "wait for the token to show its next code, and give that one",
            ),
            Problem::CodeMissing { other } => words(
                format!("is missing while code {other} is given"),
                "give both codes, or neither and let a source read them (--source seed, --source prompt)",
            ),
            Problem::DigitsForResync { digits } => words(
                format!("is {digits}; IAM takes 6-digit codes"),
                "drop --digits for resync (`codes` prints 8-digit codes for other services)",
            ),
            Problem::SeedPlaceMissing => words(
                "needs the seed's place",
                "add --seed-file FILE, --seed-env VAR or --seed-stdin",
            ),
            Problem::NotAKeySerial => words(
                "is not a YubiKey serial number",
                "set it to the digits printed on the key (`mfa-resync devices` lists them), or unset it",
            ),
            Problem::RowDevice => words(
                "is not a serial number",
                "give the digits printed on the key",
            ),
            Problem::CredentialName(p) => words(
                match p {
                    CredentialNameProblem::NotUtf8 => "is not UTF-8",
                    CredentialNameProblem::Empty => "is empty",
                    CredentialNameProblem::Long => "is longer than any credential name",
                },
                "set it to the credential's name as `mfa-resync devices --accounts` shows it, or unset it",
            ),
            Problem::ReaderEmpty => words("is empty", READER_HINT),
            Problem::AccountLength => words(
                "must be 1 to 256 bytes",
                "give the account as `mfa-resync devices --accounts` shows it (ISSUER:NAME)",
            ),
            Problem::SlotMissing => words(
                "is missing for --source otp-slot",
                "add --slot 2 (or 1): the slot programmed with `ykman otp chalresp --totp`",
            ),
            Problem::SlotNumber => words(
                "must be 1 or 2",
                "the slot programmed for challenge-response",
            ),
            Problem::NotEnvName => words(
                "is not an environment variable name (letters, digits and _, not starting with a digit)",
                SEED_ENV_HINT,
            ),
            Problem::NotAUrl => words(
                "is not an http:// or https:// URL",
                "give a URL such as http://127.0.0.1:4599 or https://iam.amazonaws.com",
            ),
            Problem::ProfileName => words(
                "is empty or has spaces",
                "give a name without spaces, e.g. --profile default",
            ),
            Problem::AvailabilityZone { region } => words(
                "is an availability zone, not a region",
                format!("give its region: {region}"),
            ),
            Problem::RegionBlank => words("is empty or has spaces", REGION_HINT),
            Problem::RegionShape => words(
                "is not a region name (lower-case letters and digits, joined by hyphens)",
                REGION_HINT,
            ),
            Problem::MaxKeys { value } => words(
                format!("is {value}; a station serves 1 to {MAX_KEYS} keys at once"),
                format!(
                    "give a number from 1 to {MAX_KEYS} (default {DEFAULT_MAX_KEYS}); keys past it wait their turn"
                ),
            ),
            Problem::NoSuchReader { name, readers } => words(
                if readers.is_empty() {
                    format!("no reader is named {name:?}; there is no reader at all")
                } else {
                    format!(
                        "no reader is named {name:?}; the readers are: {}",
                        readers.join(", ")
                    )
                },
                "name the reader in full, as `mfa-resync devices` shows it, or drop --reader to watch every reader",
            ),
            Problem::OtherAccount { other, caller } => words(
                format!(
                    "{other} is not the account of the station's credentials ({caller}); IAM resyncs devices only in the caller's own account"
                ),
                "run one station per account, each with that account's credentials (--profile), or drop --accounts",
            ),
            Problem::NotAnAccountId { shown } => words(
                format!("{shown:?} is not an account id (12 digits)"),
                "give account ids as IAM writes them, 12 digits with any leading zeros, separated by commas (e.g. --accounts 012345678901)",
            ),
            Problem::PathSlashes => words("does not start and end with /", PATH_HINT),
            Problem::PathAndName { len } => words(
                format!(
                    "with the device name makes {len} characters; the serial number (arn:aws:iam::ACCOUNT:mfa + path + name) would pass IAM's 256"
                ),
                format!(
                    "keep the path and the name within {MAX_PATH_AND_NAME} characters together"
                ),
            ),
            Problem::OathNameControl { ch } => words(
                format!("holds the control character {}", describe_char(*ch)),
                "give a name of printable characters",
            ),
            Problem::DefaultOathNameLong { device, shortest } => words(
                format!(
                    "makes a credential name ({AWS_ISSUER}:{device}@ACCOUNT) of at least {shortest} bytes; a YubiKey stores at most {MAX_ID_BYTES}"
                ),
                "give --oath-name (e.g. the device's serial ARN, as aws-vault names it), or a shorter device name",
            ),
            Problem::NotUsersDevice { old, user, devices } => words(
                format!(
                    "{old} is not one of {user}'s MFA devices ({})",
                    if devices.is_empty() {
                        "they have none".to_string()
                    } else {
                        devices.join(", ")
                    }
                ),
                "give the serial of one of the user's devices, as `aws iam list-mfa-devices --user-name NAME` lists it",
            ),
            Problem::SeveralDevices { devices } => words(
                format!("names several devices: {}", devices.join(", ")),
                "name the device with --serial-number",
            ),
            Problem::File(p) => p.words(),
            Problem::Batch(p) => p.words(),
            Problem::Json(p) => p.words(),
        }
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
        format!("{what}; for a seed, use --seed-file FILE, --seed-env NAME or --seed-stdin")
    }
}

impl Usage {
    /// The problem and the hint, each one's two side by side.
    fn words(&self) -> (String, String) {
        match self {
            Usage::NoWaitWithCodes => words(
                "--no-wait chooses windows for a source, but both codes were given",
                "drop --no-wait, or drop the codes and let a source read them",
            ),
            Usage::CodesAndSource => words(
                "both codes were given and a source was chosen",
                "give the two codes, or a source (--source, --seed-*), not both",
            ),
            Usage::NoWaitWithPrompt => words(
                "--no-wait cannot be used with --source prompt: a display token shows only its current code",
                "drop --no-wait; the countdown tells you when to type code 2",
            ),
            Usage::CodesFromPrompt => words(
                "`codes` reads codes from a seed or a device; a display token shows its own",
                "read the codes off the token's screen, or use --source yubikey or --source seed",
            ),
            Usage::SlotWithoutOtp => words(
                "--slot and --digits are for --source otp-slot",
                "add --source otp-slot, or drop --slot/--digits",
            ),
            Usage::KeyFlagsWithSeed => words(
                "--device, --reader and --account choose a YubiKey, but a seed was given",
                "drop the YubiKey flags, or the --seed-* flag",
            ),
            Usage::PromptWithSeed => words(
                "--source prompt reads typed codes and takes no --seed-* flag",
                DROP_THE_SEED_FLAG,
            ),
            Usage::PromptWithKeyFlags => words(
                "--source prompt reads typed codes and takes no --device, --reader or --account",
                "drop those flags, or use --source yubikey",
            ),
            Usage::YubikeyWithSeed => words(
                "--source yubikey reads the key and takes no --seed-* flag",
                DROP_THE_SEED_FLAG,
            ),
            Usage::OtpSlotWithSeed => words(
                "--source otp-slot reads a slot of the key and takes no --seed-* or --account",
                "drop those flags, or use --source seed / --source yubikey",
            ),
            Usage::ReplaceIsNew { old } => words(
                replace_is_new(old),
                "give the new device another name with --device-name (IAM keeps one device per name and path)",
            ),
            Usage::ReplaceIsCreated { old } => words(
                replace_is_new(old),
                "give the new device another name with --device-name",
            ),
            Usage::KeyNamedTwice { named } => {
                words(format!("{named} is given twice"), NAME_EACH_KEY_ONCE)
            }
            Usage::Digits { kind, digits } => words(
                format!("the {kind} makes {digits}-digit codes; IAM takes {IAM_CODE_DIGITS}"),
                "resync a device whose codes have 6 digits (`codes` prints other lengths)",
            ),
            Usage::ProfileSerial { problem } => words(
                format!("the profile's mfa_serial is not a valid serial number ({problem})"),
                "fix mfa_serial in ~/.aws/config, or pass --serial-number",
            ),
            Usage::ProfileRegion { profile, problem } => words(
                format!("region in profile {profile:?} of the AWS config file: {problem}"),
                format!(
                    "{}; fix `region` in the AWS config file (~/.aws/config, or AWS_CONFIG_FILE), or pass --region",
                    problem.words().1
                ),
            ),
            Usage::DeviceLimit { user, devices, new } => words(
                format!(
                    "{user} has {devices} MFA devices; {new} more would pass IAM's limit of {MAX_DEVICES_PER_USER}"
                ),
                "retire one first (`mfa-resync retire`); --replace retires the old one only after the new devices are enabled",
            ),
            Usage::OneDeviceFlag { flag, keys } => words(
                format!(
                    "{flag} is for one device, but each of the {keys} keys gets a device of its own"
                ),
                "drop it (each key's device is named USER-SERIAL, its credential after the device), or add --shared-seed for one device cloned onto every key",
            ),
            Usage::OathNameOtherDevice { name, device } => words(
                format!(
                    "--oath-name {name} is another device's ARN than the one this creates ({device}): the credential would be named for a seed that is not its own"
                ),
                "name it after the new device (--oath-name with its ARN, or --device-name to match), or leave it out",
            ),
            Usage::AlreadyEnrolled { device, user } => words(
                format!("{device} is already one of {user}'s MFA devices"),
                "resync it (`mfa-resync resync`), or retire it first (`mfa-resync retire --device SERIAL`) to enrol the key anew",
            ),
            Usage::RetireWhat => words(
                "retire needs the device: the key or its serial number",
                "give --device SERIAL (the key) or --serial-number ARN",
            ),
            Usage::KeyWithoutSerial { reader } => words(
                format!(
                    "the YubiKey in {reader} reports no serial number, which names its own device"
                ),
                "give that key its device's name with --device-name, or add --shared-seed",
            ),
            Usage::DefaultOathName { name } => words(
                format!(
                    "the credential's default name {name:?} is {} bytes; a YubiKey stores at most {MAX_ID_BYTES}",
                    name.len()
                ),
                "give --oath-name (e.g. the device's serial ARN, as aws-vault names it), or a shorter --device-name",
            ),
            Usage::Backup { problem } => words(
                problem.clone(),
                "give --backup-seed-file a path in a directory of yours with room",
            ),
        }
    }
}

/// `--replace` naming the device the command would create: one sentence whether the flags tell it
/// or the user, once known, does.
fn replace_is_new(old: &str) -> String {
    format!("--replace names {old}, the device this command would create")
}
