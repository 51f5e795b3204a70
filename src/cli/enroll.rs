//! `mfa-resync enroll`: its flags, and the order in which `--device` and `--reader` were given
//! (the first key named is the primary), read off clap's argument indices.

use std::path::PathBuf;

use clap::{ArgMatches, Args, ValueEnum};

use super::args::{AwsArgs, OutputArgs};
use crate::request::enroll::BackupFormat;
use crate::request::{EnrollInput, KeyChoice};

/// What `--backup-seed-file` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackupFormatArg {
    /// The base32 seed, as `oathtool --totp -b` and an app's "enter a setup key" take it.
    Base32,
    /// The otpauth://totp/ URI of AWS's QR code (readable by --seed-file and password managers).
    Otpauth,
}

/// `mfa-resync enroll`
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The IAM user who gets the new device [default: the caller, from sts:GetCallerIdentity].
    #[arg(long, value_name = "NAME", help_heading = "The new device")]
    pub user_name: Option<String>,
    /// The virtual MFA device's name, for one key or --shared-seed [default: USER-SERIAL, the user's name and the key's serial: each key its own device; with --shared-seed, the user's name].
    #[arg(long, value_name = "NAME", help_heading = "The new device")]
    pub device_name: Option<String>,
    /// The device's IAM path.
    #[arg(
        long,
        value_name = "/PATH/",
        default_value = "/",
        help_heading = "The new device"
    )]
    pub path: String,
    /// After the new device is enabled, deactivate this device of the user's (and delete it when it is virtual).
    #[arg(long, value_name = "SERIAL", help_heading = "The new device")]
    pub replace: Option<String>,
    /// A YubiKey to write, by serial number; repeat for backups (the first key named is the primary) [default: the only key attached].
    #[arg(long, value_name = "SERIAL", help_heading = "Keys")]
    pub device: Vec<u32>,
    /// A PC/SC reader whose key to write, named in full; repeat for backups, mixed with --device in order.
    #[arg(long, value_name = "NAME", help_heading = "Keys")]
    pub reader: Vec<String>,
    /// The OATH credential's name on the keys [default: Amazon Web Services:DEVICE@ACCOUNT (the account's alias when it has one), as AWS's QR code names it].
    #[arg(long, value_name = "NAME", help_heading = "Keys")]
    pub oath_name: Option<String>,
    /// One device for every key named, the same seed cloned onto each (a backup key, or a paper backup, of one device) [default: each key its own device, with its own seed].
    #[arg(long, help_heading = "Keys")]
    pub shared_seed: bool,
    /// Make every code need a touch of the key (firmware 4.2.6 or later).
    #[arg(long, help_heading = "Keys")]
    pub touch: bool,
    /// Write over a credential of the same name (each one is named before anything is done).
    #[arg(long, help_heading = "Keys")]
    pub force: bool,
    /// How long a rollback waits for a key pulled out mid-run to be put back, to remove what was written to it (0: do not wait).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=600), help_heading = "Keys")]
    pub reinsert_wait: u64,
    /// Also write the seed to this new file (mode 600), once the device is enabled: a paper or password-manager backup.
    #[arg(long, value_name = "FILE", help_heading = "Seed backup")]
    pub backup_seed_file: Option<PathBuf>,
    /// What the backup file holds.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = BackupFormatArg::Base32, requires = "backup_seed_file", help_heading = "Seed backup")]
    pub backup_seed_format: BackupFormatArg,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// How to report.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Append one JSON line per step to FILE (create, put per key, enable, deactivate and delete, rollback; never the seed or codes).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub audit_log: Option<PathBuf>,
}

impl EnrollArgs {
    /// The flags, clap-free; `matches` are this subcommand's, for the order of the keys.
    pub fn into_input(self, matches: Option<&ArgMatches>) -> EnrollInput {
        let keys = keys_in_order(&self.device, &self.reader, matches);
        EnrollInput {
            user_name: self.user_name,
            device_name: self.device_name,
            path: Some(self.path),
            keys,
            touch: self.touch,
            oath_name: self.oath_name,
            force: self.force,
            backup_seed_file: self.backup_seed_file,
            backup_format: match self.backup_seed_format {
                BackupFormatArg::Base32 => BackupFormat::Base32,
                BackupFormatArg::Otpauth => BackupFormat::Otpauth,
            },
            replace: self.replace,
            shared_seed: self.shared_seed,
            reinsert_wait_secs: self.reinsert_wait,
            aws: self.aws.options(),
            audit_log: self.audit_log,
        }
    }
}

/// `--device` and `--reader` values merged in the order they were written (clap keeps each flag's
/// values apart, with their positions on the command line); without the positions, serials first.
fn keys_in_order(
    devices: &[u32],
    readers: &[String],
    matches: Option<&ArgMatches>,
) -> Vec<KeyChoice> {
    let positions = |id: &str| -> Vec<usize> {
        matches
            .and_then(|m| m.indices_of(id))
            .map(|i| i.collect())
            .unwrap_or_default()
    };
    let mut keyed: Vec<(usize, KeyChoice)> = Vec::new();
    let device_at = positions("device");
    let reader_at = positions("reader");
    for (n, serial) in devices.iter().enumerate() {
        let at = device_at.get(n).copied().unwrap_or(n);
        keyed.push((at, KeyChoice::Serial(*serial)));
    }
    for (n, reader) in readers.iter().enumerate() {
        let at = reader_at.get(n).copied().unwrap_or(usize::MAX / 2 + n);
        keyed.push((at, KeyChoice::Reader(reader.clone())));
    }
    keyed.sort_by_key(|(at, _)| *at);
    keyed.into_iter().map(|(_, key)| key).collect()
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use crate::cli::{Cli, Command};
    use crate::request::KeyChoice;

    fn keys(argv: &[&str]) -> Vec<KeyChoice> {
        let matches = Cli::command().try_get_matches_from(argv).expect("parses");
        let cli = Cli::from_arg_matches(&matches).expect("builds");
        let Command::Enroll(args) = cli.command else {
            panic!("not enroll")
        };
        args.into_input(matches.subcommand_matches("enroll")).keys
    }

    #[test]
    fn keys_keep_the_order_they_were_named_in() {
        assert_eq!(
            keys(&[
                "m",
                "enroll",
                "--reader",
                "R1",
                "--device",
                "7",
                "--reader=R2",
                "--device",
                "8"
            ]),
            [
                KeyChoice::Reader("R1".into()),
                KeyChoice::Serial(7),
                KeyChoice::Reader("R2".into()),
                KeyChoice::Serial(8),
            ]
        );
        assert_eq!(
            keys(&["m", "enroll", "--device", "8", "--reader", "R1"]),
            [KeyChoice::Serial(8), KeyChoice::Reader("R1".into())]
        );
    }
}
