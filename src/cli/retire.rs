//! `mfa-resync retire`: its flags.

use std::path::PathBuf;

use clap::{ArgGroup, Args};

use super::args::{AwsArgs, OutputArgs};
use crate::model::InputError;
use crate::request::RetireRequest;

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
    /// The validated request.
    pub fn into_request(self) -> Result<RetireRequest, InputError> {
        let aws = self.aws.options();
        RetireRequest::validate(
            self.user_name,
            self.device,
            self.serial_number,
            aws,
            self.audit_log,
        )
    }
}
