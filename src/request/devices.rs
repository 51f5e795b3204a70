//! Validated `devices` and `doctor`: which keys to list and how, and how to reach AWS.

use super::aws::{AwsOptions, validate_aws};
use super::code_source::SourceKind;
use super::code_source::check_reader;
use crate::model::InputError;
use crate::source::yubikey::Selector;

/// A validated `devices`.
#[derive(Debug, Clone)]
pub struct DevicesRequest {
    /// Which keys (all by default).
    pub selector: Selector,
    /// Also list each key's OATH credentials (names only), and the device each AWS one names.
    pub accounts: bool,
    /// How to reach AWS, for the devices the credentials name.
    pub aws: AwsOptions,
}

impl DevicesRequest {
    /// Checks the flags of `devices`.
    pub fn validate(
        selector: Selector,
        accounts: bool,
        aws: AwsOptions,
    ) -> Result<DevicesRequest, InputError> {
        if let Some(name) = &selector.reader {
            check_reader(name)?;
        }
        Ok(DevicesRequest {
            selector,
            accounts,
            aws: validate_aws(aws)?,
        })
    }
}

/// A validated `doctor`.
#[derive(Debug, Clone)]
pub struct DoctorRequest {
    /// The source the user means to resync from, if they said (PC/SC matters only for keys).
    pub source: Option<SourceKind>,
    /// `--station`: what a help-desk station needs (readers, ListVirtualMFADevices).
    pub station: bool,
    /// How to reach AWS.
    pub aws: AwsOptions,
}
