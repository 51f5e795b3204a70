//! A validated `retire`: whose device, found by the key's serial or by its ARN, and how to reach
//! AWS. Nothing is looked up here.

use std::path::PathBuf;

use super::aws::{AwsChoice, AwsOptions};
use super::resync::audit_log_path;
use crate::model::{Field, InputError, Origin, SerialNumber, UserName};

/// The device to retire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetireTarget {
    /// The device named after this key's serial (`enroll`'s `USER-SERIAL`).
    Key(u32),
    /// The device with this serial number.
    Serial(SerialNumber),
}

/// `retire` as given.
#[derive(Debug, Clone, Default)]
pub struct RetireInput {
    /// `--user-name`
    pub user_name: Option<String>,
    /// `--device`
    pub device: Option<u32>,
    /// `--serial-number`
    pub serial_number: Option<String>,
    /// The AWS flags.
    pub aws: AwsChoice,
    /// `--audit-log`
    pub audit_log: Option<PathBuf>,
}

/// A validated `retire`.
#[derive(Debug, Clone)]
pub struct RetireRequest {
    /// The user, or `None` for the caller.
    pub user: Option<UserName>,
    /// The device.
    pub target: RetireTarget,
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// `--audit-log`
    pub audit_log: Option<PathBuf>,
}

impl RetireInput {
    /// Checks every field, before any I/O. clap requires exactly one of `--device` and
    /// `--serial-number`.
    pub fn validate(self) -> Result<RetireRequest, InputError> {
        let user = self
            .user_name
            .as_deref()
            .map(|name| UserName::parse(name, Origin::Flag))
            .transpose()?;
        let target = match (self.device, self.serial_number) {
            (_, Some(serial)) => RetireTarget::Serial(SerialNumber::parse_field(
                &serial,
                Field::flag("--serial-number"),
                true,
            )?),
            (Some(key), None) => RetireTarget::Key(key),
            (None, None) => {
                return Err(InputError::from(crate::model::Usage::RetireWhat));
            }
        };
        let mut aws = self.aws.validate()?;
        if let RetireTarget::Serial(serial) = &target {
            aws.partition = serial.partition();
        }
        Ok(RetireRequest {
            user,
            target,
            aws,
            audit_log: audit_log_path(self.audit_log)?,
        })
    }
}
