//! The command line: clap definitions only. The shared flag groups are in [`args`],
//! `--cli-input-json` in [`input_json`], and [`convert`] hands what was parsed to
//! [`crate::request`] as clap-free values; nothing below `commands` imports this module.
//!
//! The interface of `resync` is the AWS CLI's own for `aws iam resync-mfa-device` (same flag names,
//! both spellings of the code flags, `--cli-input-json`, `--generate-cli-skeleton`), plus the flags
//! that choose where the codes come from.

pub mod args;
pub mod convert;
pub mod enroll;
pub mod globals;
pub mod input_json;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use clap::{ArgAction, ArgGroup, Args, Parser, Subcommand};

use crate::exit::Exit;
use crate::request::CodeFlags;
pub use args::{
    AwsArgs, CodesSourceArg, KeyArgs, OutputArg, OutputArgs, SeedArgs, SourceArg, StationOutputArg,
    TimingArgs,
};

/// What `resync --help` ends with: the commonest forms, as a person types them.
const RESYNC_EXAMPLES: &str = "\
Examples:
  Your own device, from the attached YubiKey:
    mfa-resync resync
  A virtual device, from its seed:
    mfa-resync resync --seed-file ~/.config/mfa/seed
  A display token (you type the codes):
    mfa-resync resync --source prompt --serial-number GAHT12345678
  A help desk, someone's key on the NFC reader:
    mfa-resync resync --user-name bob --reader \"ACS ACR122U 00 00\"
  Many tokens in one window:
    mfa-resync resync --batch tokens.csv --audit-log desk.jsonl";

/// What `codes --help` ends with.
const CODES_EXAMPLES: &str = "\
Examples:
  From the attached YubiKey (code 1 at once, code 2 after the wait):
    mfa-resync codes
  The previous and the current window's codes, at once:
    mfa-resync codes --no-wait --seed-file ~/.config/mfa/seed
  As JSON, the keys --cli-input-json takes:
    mfa-resync codes --output json";

/// What `enroll --help` ends with.
const ENROLL_EXAMPLES: &str = "\
Examples:
  Your own new device, on the attached YubiKey:
    mfa-resync enroll
  A primary and a backup key, with a paper backup of the seed:
    mfa-resync enroll --device 12345678 --device 23456789 --backup-seed-file ~/mfa-seed.txt
  A help desk replacing bob's lost hardware token (as an administrator):
    mfa-resync enroll --user-name bob --replace GAHT12345678
  Named after the serial ARN, as aws-vault looks for it:
    mfa-resync enroll --oath-name arn:aws:iam::123456789012:mfa/alice";

/// What `retire --help` ends with.
const RETIRE_EXAMPLES: &str = "\
Examples:
  Your own lost key's device (its credential goes too, if the key is here):
    mfa-resync retire --device 23456789
  A help desk retiring bob's broken key (as an administrator):
    mfa-resync retire --user-name bob --device 23456789
  By the device's ARN:
    mfa-resync retire --serial-number arn:aws:iam::123456789012:mfa/bob-23456789";

/// What `station --help` ends with.
const STATION_EXAMPLES: &str = "\
Examples:
  Every reader, the caller's account, a line per key for the desk and a log for the auditor:
    mfa-resync station --audit-log ~/desk-audit.jsonl
  One NFC reader, JSON events for a dashboard:
    mfa-resync station --reader \"ACS ACR122U PICC Interface 00 00\" --output json
  A script: the key in the reader now (or the next one inserted), then its exit code:
    mfa-resync station --once";

fn after(examples: &str, codes: &[Exit]) -> String {
    format!("{examples}\n\n{}", Exit::help_text(codes))
}

/// mfa-resync: resynchronize a drifted AWS IAM TOTP MFA device in one command.
#[derive(Debug, Parser)]
#[command(
    name = "mfa-resync",
    version,
    about,
    long_about = None,
    after_help = format!(
        "{}\n\n{}",
        globals::help_note(),
        Exit::help_text(&Exit::all_but(&[]))
    )
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// More detail on stderr: -v info, -vv debug, -vvv trace. Never seeds, passwords or codes.
    #[arg(short, long, action = ArgAction::Count, global = true, help_heading = "Output")]
    pub verbose: u8,
    /// Everything -vvv shows, and each request's and answer's headers as the AWS CLI's --debug does (never bodies, never the Authorization header).
    #[arg(long, global = true, help_heading = "Output")]
    pub debug: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resynchronize an IAM MFA device (as `aws iam resync-mfa-device`), reading two consecutive codes itself.
    #[command(after_help = after(RESYNC_EXAMPLES, &Exit::all_but(&Exit::ENROLMENT_ONLY)))]
    Resync(Box<ResyncArgs>),
    /// Make YubiKeys a user's new virtual MFA device: create it, write its seed to the keys, enable it with their codes; rolled back on any failure.
    #[command(after_help = after(ENROLL_EXAMPLES, &Exit::all_but(&[])))]
    Enroll(Box<enroll::EnrollArgs>),
    /// Read and print two consecutive codes, without calling AWS (for scripts and the AWS console).
    #[command(after_help = after(CODES_EXAMPLES, &[Exit::Success, Exit::Internal, Exit::Input, Exit::Device, Exit::Interrupted]))]
    Codes(CodesArgs),
    /// List attached YubiKeys and readers; with --accounts, their OATH accounts (names only).
    #[command(after_help = Exit::help_text(&[Exit::Success, Exit::Input, Exit::Device]))]
    Devices(DevicesArgs),
    /// Resync each YubiKey as it is plugged in or tapped: a help-desk station (Ctrl-C ends it).
    #[command(after_help = after(STATION_EXAMPLES, &Exit::all_but(&Exit::ENROLMENT_ONLY)))]
    Station(StationArgs),
    /// Check what stands between this machine and a resync: pcscd, readers, hidraw access, AWS.
    #[command(after_help = Exit::help_text(&[Exit::Success, Exit::Internal, Exit::Input, Exit::Device, Exit::Credentials, Exit::ServiceFailure]))]
    Doctor(DoctorArgs),
    /// Deactivate and delete a lost or broken key's device (by the key's serial or the device's ARN); the user's other devices keep working.
    #[command(after_help = after(RETIRE_EXAMPLES, &Exit::all_but(&[Exit::CodesRefused, Exit::RollbackIncomplete])))]
    Retire(Box<RetireArgs>),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), for `man -l -` or packaging.
    Man,
    /// Print the udev rules that give the logged-in user the YubiKey's HID interfaces (for OTP slots).
    UdevRules,
}

/// `mfa-resync doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The source you resync from: PC/SC problems fail for yubikey and otp-slot, and only warn for seed and prompt [default: yubikey when one is plugged in].
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub source: Option<SourceArg>,
    /// Check what a help-desk station needs: pcscd and readers (keys come later), and that the credentials may call iam:ListVirtualMFADevices.
    #[arg(long, conflicts_with = "source")]
    pub station: bool,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The format of the report (text or JSON on stdout).
    #[arg(long, value_enum, default_value_t = OutputArg::Text, value_name = "FORMAT", help_heading = "Output")]
    pub output: OutputArg,
}

/// `mfa-resync station`
#[derive(Debug, Args)]
pub struct StationArgs {
    /// Watch only this PC/SC reader, named in full; repeat for more [default: every reader, and those plugged in later].
    #[arg(long, value_name = "NAME", help_heading = "Keys")]
    pub reader: Vec<String>,
    /// Serve the AWS credentials of these accounts (12-digit ids, comma-separated) [default: the caller's account].
    #[arg(
        long,
        value_name = "ACCOUNT_ID,...",
        value_delimiter = ',',
        help_heading = "Keys"
    )]
    pub accounts: Vec<String>,
    /// Keys served at once; more wait their turn [default: 8].
    #[arg(long, value_name = "N", help_heading = "Keys")]
    pub max_keys: Option<u32>,
    /// Serve the keys in the readers (or, with none, the first key inserted), then exit with the exit code of their results.
    #[arg(long, help_heading = "Keys")]
    pub once: bool,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The format of the events [default: text at a terminal, JSON lines otherwise].
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output")]
    pub output: Option<StationOutputArg>,
    /// Append one JSON line per submission to FILE (host, operator, key serial, user, serial, attempt, counters, result, request id; never codes).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub audit_log: Option<PathBuf>,
}

/// `mfa-resync retire`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["device", "serial_number"])))]
pub struct RetireArgs {
    /// The IAM user whose device it is [default: the caller, from sts:GetCallerIdentity].
    #[arg(long, value_name = "NAME", help_heading = "The device")]
    pub user_name: Option<String>,
    /// The lost or broken YubiKey, by serial number: its own device is the one named after it (USER-SERIAL, as `enroll` names it); its credential is deleted too when the key is here.
    #[arg(long, value_name = "SERIAL", help_heading = "The device")]
    pub device: Option<u32>,
    /// The device, by its serial number (a virtual device's ARN, or a hardware token's serial).
    #[arg(long, value_name = "SERIAL", help_heading = "The device")]
    pub serial_number: Option<String>,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Append one JSON line per step to FILE (deactivate, delete, the key's credential).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub audit_log: Option<PathBuf>,
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
    /// How to reach AWS: with --accounts, IAM is asked which device each AWS credential names.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// The format of the list (text or JSON on stdout).
    #[arg(long, value_enum, default_value_t = OutputArg::Text, value_name = "FORMAT", help_heading = "Output")]
    pub output: OutputArg,
}

/// How the user spelled the code flags (AWS CLI v1's or v2's), read off the arguments as given, so
/// that an error names the flag as they wrote it.
pub fn code_flags(argv: &[std::ffi::OsString]) -> CodeFlags {
    let v1 = argv.iter().filter_map(|a| a.to_str()).any(|a| {
        let flag = a.split_once('=').map_or(a, |(flag, _)| flag);
        matches!(flag, "--authentication-code1" | "--authentication-code2")
    });
    if v1 { CodeFlags::V1 } else { CodeFlags::V2 }
}

/// `mfa-resync resync`
#[derive(Debug, Args)]
pub struct ResyncArgs {
    /// The IAM user whose device to resync [default: the caller, from sts:GetCallerIdentity].
    #[arg(long, value_name = "NAME", help_heading = "Target")]
    pub user_name: Option<String>,
    /// The device: a hardware token's serial or a virtual device's ARN [default: the profile's mfa_serial, else the user's only TOTP device].
    #[arg(long, value_name = "SERIAL", help_heading = "Target")]
    pub serial_number: Option<String>,
    /// The request as JSON (a string, or file://PATH), as the AWS CLI takes it; flags win over it.
    #[arg(long, value_name = "JSON", help_heading = "Target")]
    pub cli_input_json: Option<String>,
    /// Print a JSON skeleton for --cli-input-json and exit.
    #[arg(long, value_name = "input", num_args = 0..=1, default_missing_value = "input", value_parser = ["input"], help_heading = "Target")]
    pub generate_cli_skeleton: Option<String>,
    /// Resync many tokens in one window: a CSV (header user,serial,source,device,account,slot,seed_file) or JSON-lines file, a row per token.
    #[arg(long, value_name = "FILE", help_heading = "Target", conflicts_with_all = ["user_name", "serial_number", "authentication_code_1", "authentication_code_2", "cli_input_json", "source", "seed_file", "seed_env", "seed_stdin", "device", "reader", "account", "slot", "digits"])]
    pub batch: Option<PathBuf>,
    /// Where the codes come from [default: seed when a --seed-* flag is given, else yubikey].
    #[arg(
        long,
        value_enum,
        value_name = "SOURCE",
        help_heading = "Where the codes come from"
    )]
    pub source: Option<SourceArg>,
    /// Code 1, read by you; with code 2, no source is used.
    #[arg(
        long = "authentication-code-1",
        alias = "authentication-code1",
        value_name = "CODE",
        help_heading = "Where the codes come from"
    )]
    pub authentication_code_1: Option<String>,
    /// Code 2, from the window after code 1's.
    #[arg(
        long = "authentication-code-2",
        alias = "authentication-code2",
        value_name = "CODE",
        help_heading = "Where the codes come from"
    )]
    pub authentication_code_2: Option<String>,
    /// The key.
    #[command(flatten)]
    pub key: KeyArgs,
    /// The seed.
    #[command(flatten)]
    pub seed: SeedArgs,
    /// How the window is chosen.
    #[command(flatten)]
    pub timing: TimingArgs,
    /// How many pairs to try when AWS or the network fails (each attempt with a fresh pair).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10), help_heading = "Timing")]
    pub max_attempts: u32,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Append one JSON line per attempt to FILE (operator, user, serial, source, result, request id; never codes).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub audit_log: Option<PathBuf>,
    /// How the code flags were spelled (not a flag: read off the arguments).
    #[arg(skip)]
    pub code_flags: CodeFlags,
}

/// `mfa-resync codes`
#[derive(Debug, Args)]
pub struct CodesArgs {
    /// Where the codes come from [default: seed when a --seed-* flag is given, else yubikey].
    #[arg(
        long,
        value_enum,
        value_name = "SOURCE",
        help_heading = "Where the codes come from"
    )]
    pub source: Option<CodesSourceArg>,
    /// The key.
    #[command(flatten)]
    pub key: KeyArgs,
    /// The seed.
    #[command(flatten)]
    pub seed: SeedArgs,
    /// How the window is chosen.
    #[command(flatten)]
    pub timing: TimingArgs,
    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
}
