//! `mfa-resync retire`: its flags.

use std::path::PathBuf;

use clap::{ArgGroup, Args};

use super::args::{AwsArgs, OutputArgs};
use crate::request::RetireInput;

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

impl RetireArgs {
    /// The flags, clap-free.
    pub fn into_input(self) -> RetireInput {
        RetireInput {
            user_name: self.user_name,
            device: self.device,
            serial_number: self.serial_number,
            aws: self.aws.choice(),
            audit_log: self.audit_log,
        }
    }
}
