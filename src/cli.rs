//! The command line: clap definitions, `--cli-input-json`, and validation into clap-free requests.
//!
//! The interface of `resync` is the AWS CLI's own for `aws iam resync-mfa-device` (same flag names,
//! both spellings of the code flags, `--cli-input-json`, `--generate-cli-skeleton`), plus the flags that
//! choose where the codes come from. Everything is checked here before any I/O: what leaves this
//! module is a [`ResyncRequest`] or [`CodesRequest`] that cannot hold an invalid value.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use serde_json::Value;

use crate::aws::AwsOptions;
use crate::request::{AuthCode, Field, InputError, Origin, SerialNumber, UserName};
use crate::source::otp_slot::SlotNumber;
use crate::source::seed::SeedOrigin;
use crate::source::yubikey::Selector;
use crate::window::Mode;

/// The exit codes, for `--help` (and the README, which repeats them).
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    resynced (for `codes`: printed)
  2    bad input: usage, a field that fails validation, a seed file with loose permissions
  3    device: none found, removed, touch timed out, wrong password, credential not found
  4    AWS credentials or permission: none found, expired, refused, AccessDenied
  5    AWS refused the codes: InvalidAuthenticationCode
  6    AWS found no such user or device: NoSuchEntity
  7    AWS or network failure after the last attempt: ServiceFailure, throttling, timeout
  130  interrupted; nothing was sent";

/// mfa-resync: resynchronize a drifted AWS IAM TOTP MFA device in one command.
#[derive(Debug, Parser)]
#[command(name = "mfa-resync", version, about, long_about = None, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// More detail on stderr: -v info, -vv debug, -vvv trace. Never seeds, passwords or codes.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resynchronize an IAM MFA device (as `aws iam resync-mfa-device`), reading two consecutive codes itself.
    #[command(after_help = EXIT_CODES_HELP)]
    Resync(Box<ResyncArgs>),
    /// Read and print two consecutive codes, without calling AWS (for scripts and the AWS console).
    #[command(after_help = EXIT_CODES_HELP)]
    Codes(CodesArgs),
    /// List attached YubiKeys and readers; with --accounts, their OATH accounts (names only).
    #[command(after_help = EXIT_CODES_HELP)]
    Devices(DevicesArgs),
    /// Check what stands between this machine and a resync: pcscd, readers, hidraw access, AWS.
    #[command(after_help = EXIT_CODES_HELP)]
    Doctor(DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), for `man -l -` or packaging.
    Man,
}

/// `mfa-resync doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The format of the report (text or JSON on stdout).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub output: OutputFormat,
}

impl DoctorArgs {
    /// Validates the AWS flags.
    pub fn aws_options(&self) -> Result<AwsOptions, InputError> {
        aws_options(&self.aws)
    }
}

/// `mfa-resync devices`
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Also list each key's OATH accounts: names and flags only, never codes or secrets.
    #[arg(long)]
    pub accounts: bool,
    /// Only the YubiKey with this serial number.
    #[arg(long, value_name = "SERIAL")]
    pub device: Option<u32>,
    /// Only this PC/SC reader, named in full.
    #[arg(long, value_name = "NAME")]
    pub reader: Option<String>,
    /// The format of the list (text or JSON on stdout).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub output: OutputFormat,
}

/// `mfa-resync resync`
#[derive(Debug, Args)]
pub struct ResyncArgs {
    /// The IAM user whose device to resync [default: the caller, from sts:GetCallerIdentity].
    #[arg(long, value_name = "NAME")]
    pub user_name: Option<String>,
    /// The device: a hardware token's serial or a virtual device's ARN [default: the profile's mfa_serial, else the user's only TOTP device].
    #[arg(long, value_name = "SERIAL")]
    pub serial_number: Option<String>,
    /// Code 1, read by you; with code 2, no source is used.
    #[arg(
        long = "authentication-code-1",
        alias = "authentication-code1",
        value_name = "CODE"
    )]
    pub authentication_code_1: Option<String>,
    /// Code 2, from the window after code 1's.
    #[arg(
        long = "authentication-code-2",
        alias = "authentication-code2",
        value_name = "CODE"
    )]
    pub authentication_code_2: Option<String>,
    /// The request as JSON (a string, or file://PATH), as the AWS CLI takes it; flags win over it.
    #[arg(long, value_name = "JSON")]
    pub cli_input_json: Option<String>,
    /// Print a JSON skeleton for --cli-input-json and exit.
    #[arg(long, value_name = "input", num_args = 0..=1, default_missing_value = "input", value_parser = ["input"])]
    pub generate_cli_skeleton: Option<String>,
    /// Where the codes come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// How the window is chosen.
    #[command(flatten)]
    pub timing: TimingArgs,
    /// How many pairs to try when AWS or the network fails (each attempt with a fresh pair).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub max_attempts: u32,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Append one JSON line per attempt to FILE (operator, user, serial, source, result, request id; never codes).
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Resync many tokens in one window: a CSV (header user,serial,source,device,account,slot,seed_file) or JSON-lines file, a row per token.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["user_name", "serial_number", "authentication_code_1", "authentication_code_2", "cli_input_json", "source", "seed_file", "seed_env", "seed_stdin", "device", "reader", "account", "slot", "digits"])]
    pub batch: Option<PathBuf>,
}

/// `mfa-resync codes`
#[derive(Debug, Args)]
pub struct CodesArgs {
    /// Where the codes come from.
    #[command(flatten)]
    pub source: SourceArgs,
    /// How the window is chosen.
    #[command(flatten)]
    pub timing: TimingArgs,
    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The code sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceKind {
    /// A TOTP seed (base32 or otpauth:// URI) from --seed-file, --seed-env or --seed-stdin.
    Seed,
    /// A display token: you type code 1, a countdown runs to the next window, you type code 2.
    Prompt,
    /// A YubiKey's OATH application, over PC/SC (USB or an NFC reader).
    Yubikey,
    /// A YubiKey OTP slot in HMAC-SHA1 challenge-response mode (HID, else CCID); see --slot.
    OtpSlot,
}

/// Flags that choose and configure the code source.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Where the codes come from [default: seed when a --seed-* flag is given, else yubikey].
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub source: Option<SourceKind>,
    /// A file holding the seed (mode 600, your own): base32, or the otpauth:// URI of the QR code.
    #[arg(long, value_name = "FILE", group = "seed")]
    pub seed_file: Option<PathBuf>,
    /// The name of an environment variable holding the seed.
    #[arg(long, value_name = "VAR", group = "seed")]
    pub seed_env: Option<String>,
    /// Read the seed from standard input.
    #[arg(long, group = "seed")]
    pub seed_stdin: bool,
    /// The YubiKey to use, by serial number (see `mfa-resync devices`).
    #[arg(long, value_name = "SERIAL")]
    pub device: Option<u32>,
    /// The PC/SC reader to use, named in full (an NFC reader on a help-desk station, say).
    #[arg(long, value_name = "NAME")]
    pub reader: Option<String>,
    /// The OATH account on the YubiKey (ISSUER:NAME) [default: the target's AWS account, else the only TOTP one].
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// The OTP slot programmed for challenge-response (with --source otp-slot).
    #[arg(long, value_name = "1|2", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub slot: Option<u8>,
    /// Digits per code from an OTP slot: 6, or 8 for `codes` (IAM takes 6).
    #[arg(long, value_name = "6|8", value_parser = ["6", "8"])]
    pub digits: Option<String>,
}

/// Flags that choose the windows.
#[derive(Debug, Args)]
pub struct TimingArgs {
    /// Use the previous window's code and the current one's, at once, instead of waiting for the next window.
    #[arg(long)]
    pub no_wait: bool,
}

impl TimingArgs {
    /// The planner's mode these flags ask for.
    pub fn mode(&self) -> Mode {
        if self.no_wait {
            Mode::NoWait
        } else {
            Mode::Wait
        }
    }
}

/// Flags that say how to reach AWS (aws-config's chain does the rest: env, profiles, SSO).
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// The named profile to use (else AWS_PROFILE, else default).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The region to sign for [default: the profile's, else us-east-1: IAM is global].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send requests to this URL instead of AWS (e.g. a local IAM endpoint).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Seconds one attempt may wait for AWS's answer.
    #[arg(long, value_name = "SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub cli_read_timeout: u64,
    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub cli_connect_timeout: u64,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human lines on stderr.
    Text,
    /// One JSON object on stdout.
    Json,
}

/// Flags that shape the report.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// The format of the result.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub output: OutputFormat,
    /// Print nothing on success, like the AWS CLI.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The JSON `--generate-cli-skeleton` prints, as the AWS CLI's for `resync-mfa-device`.
pub const CLI_SKELETON: &str = r#"{
    "UserName": "",
    "SerialNumber": "",
    "AuthenticationCode1": "",
    "AuthenticationCode2": ""
}"#;

/// Where the codes of a request come from, once validated.
#[derive(Debug)]
pub enum SourceSpec {
    /// A seed from this place (read, not yet parsed: reading is I/O and happens just after).
    Seed(SeedOrigin),
    /// Typed from a display token.
    Prompt,
    /// A YubiKey OTP slot's challenge-response.
    OtpSlot {
        /// Which key.
        selector: Selector,
        /// Slot 1 or 2.
        slot: SlotNumber,
        /// 6 or 8.
        digits: u32,
    },
    /// A YubiKey's OATH account.
    YubiKey {
        /// Which key.
        selector: Selector,
        /// `--account`, if given.
        account: Option<String>,
    },
}

impl SourceSpec {
    /// The attached YubiKey, whichever it is, and the account that fits the target.
    pub fn default_yubikey() -> Self {
        SourceSpec::YubiKey {
            selector: Selector::default(),
            account: None,
        }
    }
}

/// The codes of a resync: given on the command line, or read from a source.
#[derive(Debug)]
pub enum CodePlan {
    /// Both codes given by the user.
    Given(AuthCode, AuthCode),
    /// Read from a source.
    Read(SourceSpec),
}

/// A validated `resync`.
#[derive(Debug)]
pub struct ResyncRequest {
    /// The user, or `None` for the caller.
    pub user: Option<UserName>,
    /// The device, or `None` to look it up.
    pub serial: Option<SerialNumber>,
    /// Where the codes come from.
    pub codes: CodePlan,
    /// Wait for a fresh window or not.
    pub mode: Mode,
    /// At most this many pairs.
    pub max_attempts: u32,
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// The format.
    pub output: OutputFormat,
    /// Nothing on success.
    pub quiet: bool,
    /// `--audit-log`
    pub audit_log: Option<PathBuf>,
}

/// A validated `codes`.
#[derive(Debug)]
pub struct CodesRequest {
    /// Where the codes come from.
    pub source: SourceSpec,
    /// Wait for a fresh window or not.
    pub mode: Mode,
    /// The format.
    pub output: OutputFormat,
    /// Nothing on stderr.
    pub quiet: bool,
}

/// The four fields `--cli-input-json` may carry.
#[derive(Debug, Default)]
struct JsonInput {
    user_name: Option<String>,
    serial_number: Option<String>,
    code1: Option<String>,
    code2: Option<String>,
}

const JSON_KEYS: [&str; 4] = [
    "UserName",
    "SerialNumber",
    "AuthenticationCode1",
    "AuthenticationCode2",
];

fn json_error(problem: impl Into<String>, hint: impl Into<String>) -> InputError {
    InputError::invalid(Field::flag("--cli-input-json"), problem, hint)
}

/// Parses `--cli-input-json` (a JSON string, or `file://PATH` as the AWS CLI takes it).
fn parse_cli_input_json(arg: &str) -> Result<JsonInput, InputError> {
    let text = match arg.strip_prefix("file://") {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            json_error(
                format!("cannot read {path}: {}", e.kind()),
                "give file:// followed by the path of a JSON file, e.g. file://request.json",
            )
        })?,
        None => arg.to_string(),
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        json_error(
            format!(
                "is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
            "start from `mfa-resync resync --generate-cli-skeleton`",
        )
    })?;
    let Value::Object(map) = value else {
        return Err(json_error(
            "must be a JSON object",
            "start from `mfa-resync resync --generate-cli-skeleton`",
        ));
    };
    let mut input = JsonInput::default();
    for (key, value) in map {
        let slot = match key.as_str() {
            "UserName" => &mut input.user_name,
            "SerialNumber" => &mut input.serial_number,
            "AuthenticationCode1" => &mut input.code1,
            "AuthenticationCode2" => &mut input.code2,
            _ => {
                return Err(json_error(
                    format!(
                        "unknown parameter {:?}",
                        key.chars().take(64).collect::<String>()
                    ),
                    format!("the parameters are {}", JSON_KEYS.join(", ")),
                ));
            }
        };
        match value {
            Value::String(s) => *slot = Some(s),
            Value::Null => {}
            _ => {
                return Err(json_error(
                    format!("{key} must be a string"),
                    format!("write it in quotes, e.g. \"{key}\": \"…\""),
                ));
            }
        }
    }
    Ok(input)
}

/// A flag's value wins over the JSON's; the origin says which one to name in an error.
fn pick(flag: Option<String>, json: Option<String>) -> Option<(String, Origin)> {
    flag.map(|v| (v, Origin::Flag))
        .or(json.map(|v| (v, Origin::Json)))
}

pub(crate) fn source_spec(args: &SourceArgs) -> Result<Option<SourceSpec>, InputError> {
    let seed = if let Some(path) = &args.seed_file {
        Some(SeedOrigin::File(path.clone()))
    } else if let Some(var) = &args.seed_env {
        if var.is_empty() || var.contains('=') || var.contains('\0') {
            return Err(InputError::invalid(
                Field::flag("--seed-env"),
                "is not an environment variable name",
                "give the variable's NAME (e.g. --seed-env MFA_SEED), never the seed itself",
            ));
        }
        Some(SeedOrigin::Env(var.clone()))
    } else if args.seed_stdin {
        Some(SeedOrigin::Stdin)
    } else {
        None
    };
    let key_flags = args.device.is_some() || args.reader.is_some() || args.account.is_some();
    let yubikey = || SourceSpec::YubiKey {
        selector: Selector {
            serial: args.device,
            reader: args.reader.clone(),
        },
        account: args.account.clone(),
    };
    if let Some(name) = &args.reader
        && (name.is_empty() || name.contains('\0'))
    {
        return Err(InputError::invalid(
            Field::flag("--reader"),
            "is empty",
            "name the reader in full, as `mfa-resync devices` shows it",
        ));
    }
    if let Some(account) = &args.account
        && (account.is_empty() || account.len() > 64 * 4)
    {
        return Err(InputError::invalid(
            Field::flag("--account"),
            "must be 1 to 256 bytes",
            "give the account as `mfa-resync devices --accounts` shows it (ISSUER:NAME)",
        ));
    }
    let slot_flags = args.slot.is_some() || args.digits.is_some();
    if slot_flags && args.source != Some(SourceKind::OtpSlot) {
        return Err(InputError::usage(
            "--slot and --digits are for --source otp-slot",
            "add --source otp-slot, or drop --slot/--digits",
        ));
    }
    if args.source == Some(SourceKind::OtpSlot) {
        if seed.is_some() || args.account.is_some() {
            return Err(InputError::usage(
                "--source otp-slot reads a slot of the key and takes no --seed-* or --account",
                "drop those flags, or use --source seed / --source yubikey",
            ));
        }
        let slot = match args.slot {
            Some(1) => SlotNumber::One,
            Some(_) => SlotNumber::Two,
            None => {
                return Err(InputError::invalid(
                    Field::flag("--slot"),
                    "is missing for --source otp-slot",
                    "add --slot 2 (or 1): the slot programmed with `ykman otp chalresp --totp`",
                ));
            }
        };
        let digits = if args.digits.as_deref() == Some("8") {
            8
        } else {
            6
        };
        return Ok(Some(SourceSpec::OtpSlot {
            selector: Selector {
                serial: args.device,
                reader: args.reader.clone(),
            },
            slot,
            digits,
        }));
    }
    match (args.source, seed) {
        (Some(SourceKind::Seed) | None, Some(_)) if key_flags => Err(InputError::usage(
            "--device, --reader and --account choose a YubiKey, but a seed was given",
            "drop the YubiKey flags, or the --seed-* flag",
        )),
        (Some(SourceKind::Seed) | None, Some(origin)) => Ok(Some(SourceSpec::Seed(origin))),
        (Some(SourceKind::Seed), None) => Err(InputError::invalid(
            Field::flag("--source seed"),
            "needs the seed's place",
            "add --seed-file FILE, --seed-env VAR or --seed-stdin",
        )),
        (Some(SourceKind::Prompt), Some(_)) => Err(InputError::usage(
            "--source prompt reads typed codes and takes no --seed-* flag",
            "drop the --seed-* flag, or use --source seed",
        )),
        (Some(SourceKind::Prompt), None) if key_flags => Err(InputError::usage(
            "--source prompt reads typed codes and takes no --device, --reader or --account",
            "drop those flags, or use --source yubikey",
        )),
        (Some(SourceKind::Prompt), None) => Ok(Some(SourceSpec::Prompt)),
        (Some(SourceKind::Yubikey), Some(_)) => Err(InputError::usage(
            "--source yubikey reads the key and takes no --seed-* flag",
            "drop the --seed-* flag, or use --source seed",
        )),
        (Some(SourceKind::Yubikey), None) => Ok(Some(yubikey())),
        (Some(SourceKind::OtpSlot), _) => unreachable!("handled above"),
        (None, None) if key_flags => Ok(Some(yubikey())),
        (None, None) => Ok(None),
    }
}

fn aws_options(args: &AwsArgs) -> Result<AwsOptions, InputError> {
    if let Some(url) = &args.endpoint_url {
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.split("://").nth(1).is_some_and(|rest| !rest.is_empty())
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(InputError::invalid(
                Field::flag("--endpoint-url"),
                "is not an http:// or https:// URL",
                "give a URL such as http://127.0.0.1:4599 or https://iam.amazonaws.com",
            ));
        }
    }
    for (flag, value) in [("--profile", &args.profile), ("--region", &args.region)] {
        if let Some(v) = value
            && (v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(InputError::invalid(
                Field::flag(flag),
                "is empty or has spaces",
                format!(
                    "give a name without spaces, e.g. {flag} {}",
                    if flag == "--region" {
                        "us-east-1"
                    } else {
                        "default"
                    }
                ),
            ));
        }
    }
    Ok(AwsOptions {
        profile: args.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
        connect_timeout: Duration::from_secs(args.cli_connect_timeout),
        read_timeout: Duration::from_secs(args.cli_read_timeout),
    })
}

impl ResyncArgs {
    /// Validates every field (flags over `--cli-input-json`), before any I/O but reading that JSON file.
    pub fn validate(self) -> Result<ResyncRequest, InputError> {
        let json = match &self.cli_input_json {
            Some(arg) => parse_cli_input_json(arg)?,
            None => JsonInput::default(),
        };
        let user = pick(self.user_name, json.user_name)
            .map(|(v, origin)| UserName::parse(&v, origin))
            .transpose()?;
        let serial = pick(self.serial_number, json.serial_number)
            .map(|(v, origin)| SerialNumber::parse(&v, origin))
            .transpose()?;
        let code1 = pick(self.authentication_code_1, json.code1)
            .map(|(v, origin)| AuthCode::parse(&v, Field::code1(origin)))
            .transpose()?;
        let code2 = pick(self.authentication_code_2, json.code2)
            .map(|(v, origin)| AuthCode::parse(&v, Field::code2(origin)))
            .transpose()?;
        let source = source_spec(&self.source)?;
        let codes = match (code1, code2, source) {
            (Some(c1), Some(c2), None) => {
                if c1 == c2 {
                    return Err(InputError::invalid(
                        Field::code2(Origin::Flag),
                        "is the same as code 1; the codes must come from two consecutive windows",
                        "wait for the token to show its next code, and give that one",
                    ));
                }
                if self.timing.no_wait {
                    return Err(InputError::usage(
                        "--no-wait chooses windows for a source, but both codes were given",
                        "drop --no-wait, or drop the codes and let a source read them",
                    ));
                }
                CodePlan::Given(c1, c2)
            }
            (Some(_), Some(_), Some(_)) => {
                return Err(InputError::usage(
                    "both codes were given and a source was chosen",
                    "give the two codes, or a source (--source, --seed-*), not both",
                ));
            }
            (Some(_), None, _) => {
                return Err(InputError::invalid(
                    Field::code2(Origin::Flag),
                    "is missing while code 1 is given",
                    "give both codes, or neither and let a source read them (--source seed, --source prompt)",
                ));
            }
            (None, Some(_), _) => {
                return Err(InputError::invalid(
                    Field::code1(Origin::Flag),
                    "is missing while code 2 is given",
                    "give both codes, or neither and let a source read them (--source seed, --source prompt)",
                ));
            }
            (None, None, Some(SourceSpec::OtpSlot { digits, .. })) if digits != 6 => {
                return Err(InputError::invalid(
                    Field::flag("--digits"),
                    format!("is {digits}; IAM takes 6-digit codes"),
                    "drop --digits for resync (`codes` prints 8-digit codes for other services)",
                ));
            }
            (None, None, Some(spec)) => {
                if self.timing.no_wait && matches!(spec, SourceSpec::Prompt) {
                    return Err(InputError::usage(
                        "--no-wait cannot be used with --source prompt: a display token shows only its current code",
                        "drop --no-wait; the countdown tells you when to type code 2",
                    ));
                }
                CodePlan::Read(spec)
            }
            // No codes and no source: the YubiKey that is attached, as DESIGN.md's default.
            (None, None, None) => CodePlan::Read(SourceSpec::default_yubikey()),
        };
        Ok(ResyncRequest {
            user,
            serial,
            codes,
            mode: self.timing.mode(),
            max_attempts: self.max_attempts,
            aws: aws_options(&self.aws)?,
            output: self.output.output,
            quiet: self.output.quiet,
            audit_log: self.audit_log,
        })
    }
}

impl ResyncArgs {
    /// Validates a `--batch` run: every row, before any I/O but reading the file.
    pub fn validate_batch(
        self,
        path: &std::path::Path,
    ) -> Result<crate::batch::BatchRequest, InputError> {
        Ok(crate::batch::BatchRequest {
            rows: crate::batch::parse(path)?,
            mode: self.timing.mode(),
            max_attempts: self.max_attempts,
            aws: aws_options(&self.aws)?,
            output: self.output.output,
            quiet: self.output.quiet,
            audit_log: self.audit_log,
        })
    }
}

impl CodesArgs {
    /// Validates the flags.
    pub fn validate(self) -> Result<CodesRequest, InputError> {
        let source = match source_spec(&self.source)? {
            Some(SourceSpec::Prompt) => {
                return Err(InputError::usage(
                    "`codes` reads codes from a seed or a device; a display token shows its own",
                    "read the codes off the token's screen, or use --source yubikey or --source seed",
                ));
            }
            Some(spec) => spec,
            None => SourceSpec::default_yubikey(),
        };
        Ok(CodesRequest {
            source,
            mode: self.timing.mode(),
            output: self.output.output,
            quiet: self.output.quiet,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resync(args: &[&str]) -> Result<ResyncRequest, InputError> {
        let mut argv = vec!["mfa-resync", "resync"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv)
            .expect("clap accepts the flags")
            .command
        {
            Command::Resync(r) => r.validate(),
            _ => unreachable!("resync was parsed"),
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn both_code_spellings_are_accepted() {
        for (a, b) in [
            ("--authentication-code-1", "--authentication-code-2"),
            ("--authentication-code1", "--authentication-code2"),
        ] {
            let r = resync(&[
                "--user-name",
                "alice",
                "--serial-number",
                "GAHT12345678",
                a,
                "123456",
                b,
                "654321",
            ])
            .unwrap();
            assert!(matches!(r.codes, CodePlan::Given(..)));
        }
    }

    #[test]
    fn flags_win_over_cli_input_json() {
        let json = r#"{"UserName": "bob", "SerialNumber": "GAHT12345678", "AuthenticationCode1": "111111"}"#;
        let r = resync(&[
            "--cli-input-json",
            json,
            "--user-name",
            "alice",
            "--authentication-code-1",
            "222222",
            "--authentication-code-2",
            "333333",
        ])
        .unwrap();
        assert_eq!(r.user.unwrap().as_str(), "alice");
        assert_eq!(r.serial.unwrap().as_str(), "GAHT12345678");
        match r.codes {
            CodePlan::Given(c1, _) => assert_eq!(c1.expose(), "222222"),
            CodePlan::Read(_) => panic!("codes were given"),
        }
    }

    #[test]
    fn json_errors_name_the_key() {
        let err = resync(&[
            "--cli-input-json",
            r#"{"UserName": "a b"}"#,
            "--source",
            "prompt",
        ])
        .unwrap_err();
        assert!(
            err.to_string().starts_with("UserName in --cli-input-json"),
            "{err}"
        );
        let err = resync(&["--cli-input-json", r#"{"Bogus": "x"}"#]).unwrap_err();
        assert!(
            err.to_string().contains("unknown parameter \"Bogus\""),
            "{err}"
        );
    }

    #[test]
    fn without_codes_or_a_source_the_attached_yubikey_is_read() {
        let r = resync(&["--user-name", "alice"]).unwrap();
        assert!(
            matches!(r.codes, CodePlan::Read(SourceSpec::YubiKey { ref selector, account: None }) if *selector == Selector::default())
        );
        let r = resync(&[
            "--device",
            "12345678",
            "--account",
            "Amazon Web Services:alice@1",
        ])
        .unwrap();
        assert!(
            matches!(r.codes, CodePlan::Read(SourceSpec::YubiKey { ref selector, .. }) if selector.serial == Some(12345678))
        );
        assert!(matches!(
            resync(&["--seed-env", "S"]).unwrap().codes,
            CodePlan::Read(SourceSpec::Seed(_))
        ));
        assert!(resync(&["--source", "prompt", "--no-wait"]).is_err());
    }
}
