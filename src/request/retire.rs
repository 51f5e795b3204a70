//! A validated `retire`: whose device, found by the key's serial or by its ARN, and how to reach
//! AWS. Nothing is looked up here.

use std::path::PathBuf;

use super::aws::{AwsOptions, validate_aws};
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

impl RetireRequest {
    /// Checks `--user-name`, `--device` and `--serial-number` (clap requires one of the last two),
    /// and the AWS flags, before any I/O.
    pub fn validate(
        user_name: Option<String>,
        device: Option<u32>,
        serial_number: Option<String>,
        aws: AwsOptions,
        audit_log: Option<PathBuf>,
    ) -> Result<RetireRequest, InputError> {
        let user = user_name
            .as_deref()
            .map(|name| UserName::parse(name, Origin::Flag))
            .transpose()?;
        let target = match (device, serial_number) {
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
        let mut aws = validate_aws(aws)?;
        if let RetireTarget::Serial(serial) = &target {
            aws.partition = serial.partition();
        }
        Ok(RetireRequest {
            user,
            target,
            aws,
            audit_log: audit_log_path(audit_log)?,
        })
    }
}
