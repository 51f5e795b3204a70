//! The flag groups several subcommands share (the key, the seed, the windows, AWS, the output),
//! each under its own `--help` heading, and their conversion into the clap-free choices of
//! [`crate::request`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::report::{OutputFormat, Reporter};
use crate::request::{AwsOptions, CaBundle, SourceKind};
use crate::window::Mode;

/// The code sources of `resync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    /// A TOTP seed (base32 or otpauth:// URI) from --seed-file, --seed-env or --seed-stdin.
    Seed,
    /// A display token: you type code 1, a countdown runs to the next window, you type code 2.
    Prompt,
    /// A YubiKey's OATH application, over PC/SC (USB or an NFC reader).
    Yubikey,
    /// A YubiKey OTP slot in HMAC-SHA1 challenge-response mode (HID, else CCID); see --slot.
    OtpSlot,
}

/// The code sources of `codes`: a display token shows its own codes, so it is not one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodesSourceArg {
    /// A TOTP seed (base32 or otpauth:// URI) from --seed-file, --seed-env or --seed-stdin.
    Seed,
    /// A YubiKey's OATH application, over PC/SC (USB or an NFC reader).
    Yubikey,
    /// A YubiKey OTP slot in HMAC-SHA1 challenge-response mode (HID, else CCID); see --slot.
    OtpSlot,
}

/// Which key, and which credential or slot on it.
#[derive(Debug, Args)]
#[command(next_help_heading = "YubiKey")]
pub struct KeyArgs {
    /// The YubiKey to use, by serial number (see `mfa-resync devices`) [env: YKMAN_OATH_DEVICE_SERIAL, as aws-vault].
    #[arg(long, value_name = "SERIAL")]
    pub device: Option<u32>,
    /// The PC/SC reader to use, named in full (an NFC reader on a help-desk station, say).
    #[arg(long, value_name = "NAME")]
    pub reader: Option<String>,
    /// The OATH credential on the key (ISSUER:NAME) [default: the one named for the target device; env: YKMAN_OATH_CREDENTIAL_NAME, as aws-vault].
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// The OTP slot programmed for challenge-response (with --source otp-slot).
    #[arg(long, value_name = "1|2", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub slot: Option<u8>,
    /// Digits per code from an OTP slot: 6, or 8 for `codes` (IAM takes 6).
    #[arg(long, value_name = "6|8", value_parser = ["6", "8"])]
    pub digits: Option<String>,
}

/// Where a seed is read from: never the command line itself.
#[derive(Debug, Args)]
#[command(next_help_heading = "Seed")]
pub struct SeedArgs {
    /// A file holding the seed (mode 600, your own): base32, or the otpauth:// URI of the QR code.
    #[arg(long, value_name = "FILE", group = "seed")]
    pub seed_file: Option<PathBuf>,
    /// The name of an environment variable holding the seed.
    #[arg(long, value_name = "VAR", group = "seed")]
    pub seed_env: Option<String>,
    /// Read the seed from standard input.
    #[arg(long, group = "seed")]
    pub seed_stdin: bool,
}

/// Flags that choose the windows.
#[derive(Debug, Args)]
#[command(next_help_heading = "Timing")]
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

/// How to reach AWS (aws-config's chain does the rest: environment, profiles, SSO). Like the AWS
/// CLI's global options, these may come before or after the subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// The named profile to use (else AWS_PROFILE, else default); it wins over credentials in the environment.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The region to sign for [default: the profile's, else the serial's partition's IAM region, else us-east-1].
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send requests to this URL instead of AWS (e.g. a local IAM endpoint).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Allow an http:// endpoint on another host (the codes then cross the network unencrypted).
    #[arg(long)]
    pub allow_insecure_endpoint: bool,
    /// PEM certificates to trust instead of the system's, e.g. a TLS-inspecting proxy's CA, as the AWS CLI takes them [env: AWS_CA_BUNDLE; else the profile's ca_bundle].
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// Seconds one attempt may wait for AWS's answer.
    #[arg(long, value_name = "SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub cli_read_timeout: u64,
    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub cli_connect_timeout: u64,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// Lines for people: results on stdout, progress on stderr.
    Text,
    /// One JSON document on stdout (progress stays on stderr).
    Json,
}

/// The output formats of `station`, whose output is a stream of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StationOutputArg {
    /// For staff: a status line per step on stderr, a ✔ or ✘ line per key on stdout.
    Text,
    /// For programs: one JSON object per event (key inserted, result, key removed…), a line each, on stdout.
    Json,
}

impl StationOutputArg {
    /// The format.
    pub fn format(self) -> OutputFormat {
        match self {
            StationOutputArg::Text => OutputFormat::Text,
            StationOutputArg::Json => OutputFormat::Json,
        }
    }
}

/// Flags that shape the report.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// The format of the result.
    #[arg(long, value_enum, default_value_t = OutputArg::Text, value_name = "FORMAT")]
    pub output: OutputArg,
    /// Print nothing on success, like the AWS CLI.
    #[arg(long, short)]
    pub quiet: bool,
}

impl From<SourceArg> for SourceKind {
    fn from(arg: SourceArg) -> SourceKind {
        match arg {
            SourceArg::Seed => SourceKind::Seed,
            SourceArg::Prompt => SourceKind::Prompt,
            SourceArg::Yubikey => SourceKind::Yubikey,
            SourceArg::OtpSlot => SourceKind::OtpSlot,
        }
    }
}

impl From<CodesSourceArg> for SourceKind {
    fn from(arg: CodesSourceArg) -> SourceKind {
        match arg {
            CodesSourceArg::Seed => SourceKind::Seed,
            CodesSourceArg::Yubikey => SourceKind::Yubikey,
            CodesSourceArg::OtpSlot => SourceKind::OtpSlot,
        }
    }
}

impl AwsArgs {
    /// The flags, clap-free, for the request to check.
    pub fn options(&self) -> AwsOptions {
        AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            connect_timeout: Duration::from_secs(self.cli_connect_timeout),
            read_timeout: Duration::from_secs(self.cli_read_timeout),
            partition: None,
            allow_insecure_endpoint: self.allow_insecure_endpoint,
            ca_bundle: self.ca_bundle.clone().map(|path| CaBundle {
                path,
                origin: "--ca-bundle",
            }),
        }
    }
}

impl OutputArg {
    /// The format.
    pub fn format(self) -> OutputFormat {
        match self {
            OutputArg::Text => OutputFormat::Text,
            OutputArg::Json => OutputFormat::Json,
        }
    }
}

impl OutputArgs {
    /// The reporter these flags ask for: they need no checking, so they go to it, not to a request.
    pub fn reporter(&self) -> Reporter {
        Reporter::new(self.output.format(), self.quiet)
    }
}
