//! The names an enrolment gives: the virtual device's name and path (IAM's constraints, from the
//! API reference for `CreateVirtualMFADevice`) and the OATH credential's name (YKOATH's), checked
//! before any I/O. None of them may look like a seed: each is sent to AWS or written to a key, and
//! shown in the report.

use super::input::{CharRule, Field, InputError, LengthRule, Problem, Takes};
use super::names::{is_user_name_char, refuse_bad_char, refuse_length};
use super::seed_shape::refuse_seed;

/// The issuer AWS's QR code gives a virtual device's credential.
pub const AWS_ISSUER: &str = "Amazon Web Services";

/// The longest credential id a YubiKey stores, `[period/][issuer:]name` (YKOATH, PUT): 64 bytes.
pub const MAX_ID_BYTES: usize = 64;

/// The longest virtual MFA device name IAM takes (`VirtualMFADeviceName`: 1–226).
pub const MAX_DEVICE_NAME: usize = 226;

/// IAM's limit on MFA devices per user (IAM and STS quotas: "MFA devices in use, per user").
pub const MAX_DEVICES_PER_USER: usize = 8;

/// The longest path IAM takes (`Path`: 1–512).
pub const MAX_PATH: usize = 512;

/// A device's serial number is at most 256 characters (`SerialNumber` of EnableMFADevice), and in
/// the `aws` partition it is `arn:aws:iam::ACCOUNT:mfa` (29 characters) + path + name: so path and
/// name together hold at most 227. (The other partitions' prefixes are longer; the whole serial is
/// checked again once the partition is known, before the Create.)
pub const MAX_PATH_AND_NAME: usize = 256 - "arn:aws:iam::123456789012:mfa".len();

/// The shortest account an OATH name can end with: an alias has 3 to 63 characters (IAM,
/// `CreateAccountAlias`), an account id 12.
const SHORTEST_ACCOUNT_NAME: usize = 3;

text_value!(DeviceName, IamPath, OathName);

/// A virtual MFA device's name: 1–226 characters of `[\w+=,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceName(String);

impl DeviceName {
    /// Checks `value` (from `field`: `--device-name`, or the user name it defaults to).
    pub fn parse(value: &str, field: Field) -> Result<Self, InputError> {
        refuse_seed(field.clone(), value, Takes::DeviceName)?;
        let len = value.chars().count();
        refuse_length(&field, LengthRule::DeviceName, len, MAX_DEVICE_NAME)?;
        refuse_bad_char(&field, value, is_user_name_char, CharRule::DeviceName)?;
        Ok(DeviceName(value.to_string()))
    }
}

/// An IAM path: `/`, or `/…/` of printable ASCII without spaces (`pathType`:
/// `(\u002F)|(\u002F[\u0021-\u007F]+\u002F)`), at most 512 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamPath(String);

impl Default for IamPath {
    fn default() -> Self {
        IamPath("/".into())
    }
}

impl IamPath {
    /// Checks `--path`.
    pub fn parse(value: &str) -> Result<Self, InputError> {
        let field = Field::flag("--path");
        for part in std::iter::once(value).chain(value.split('/')) {
            refuse_seed(field.clone(), part, Takes::Path)?;
        }
        refuse_length(&field, LengthRule::Path, value.len(), MAX_PATH)?;
        refuse_bad_char(
            &field,
            value,
            |c| ('\u{21}'..='\u{7F}').contains(&c),
            CharRule::Path,
        )?;
        if !value.starts_with('/') || !value.ends_with('/') || value == "//" {
            return Err(InputError::invalid(field, Problem::PathSlashes));
        }
        Ok(IamPath(value.to_string()))
    }
}

/// The name of the OATH credential written to the keys: the whole stored id (the period prefix is
/// never there: AWS's devices use 30 s), 1–64 bytes, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OathName(String);

impl OathName {
    /// Checks `--oath-name` (or a default built from the device and account names, `field` then
    /// naming what it came from).
    pub fn parse(value: &str, field: Field) -> Result<Self, InputError> {
        refuse_seed(field.clone(), value, Takes::OathName)?;
        refuse_length(&field, LengthRule::OathName, value.len(), MAX_ID_BYTES)?;
        if let Some(ch) = value.chars().find(|c| c.is_control()) {
            return Err(InputError::invalid(field, Problem::OathNameControl { ch }));
        }
        Ok(OathName(value.to_string()))
    }

    /// The name AWS's QR code gives a device's credential: `Amazon Web Services:DEVICE@ACCOUNT`,
    /// the account's alias when it has one.
    pub fn aws_default(device: &DeviceName, account: &str) -> String {
        format!("{AWS_ISSUER}:{device}@{account}")
    }
}

/// Refuses a device name whose default OATH name cannot fit, before any I/O: whatever the account
/// is called, `Amazon Web Services:DEVICE@ACCOUNT` is at least this long.
pub fn check_default_oath_name(device: &DeviceName, field: Field) -> Result<(), InputError> {
    let shortest = AWS_ISSUER.len() + 1 + device.as_str().len() + 1 + SHORTEST_ACCOUNT_NAME;
    if shortest > MAX_ID_BYTES {
        return Err(InputError::invalid(
            field,
            Problem::DefaultOathNameLong {
                device: device.to_string(),
                shortest,
            },
        ));
    }
    Ok(())
}

/// Refuses a path and a name that together make a serial number longer than IAM takes.
pub fn check_path_and_name(path: &IamPath, device: &DeviceName) -> Result<(), InputError> {
    let len = path.as_str().len() + device.as_str().len();
    if len > MAX_PATH_AND_NAME {
        return Err(InputError::flag("--path", Problem::PathAndName { len }));
    }
    Ok(())
}
