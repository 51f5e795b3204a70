//! IAM's names that cannot be built invalid: [`UserName`] and [`SerialNumber`], checked against
//! IAM's own constraints (the IAM API reference, `ResyncMFADevice`) before any I/O, so that a value
//! of these types can be sent as it is.

use super::input::{CharRule, Field, InputError, LengthRule, Origin, Problem, Takes};
use super::seed_shape::refuse_seed;

/// `[\w+=,.@-]`, IAM's character class for user names (`\w` is ASCII there).
pub fn is_user_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// `[\w+=/:,.@-]`, IAM's character class for MFA serial numbers.
fn is_serial_char(c: char) -> bool {
    is_user_name_char(c) || c == '/' || c == ':'
}

/// Refuses the first character of `value` outside the class `ok`, naming it and its position but
/// never echoing the whole value (which may be something pasted by mistake).
pub fn refuse_bad_char(
    field: &Field,
    value: &str,
    ok: impl Fn(char) -> bool,
    rule: CharRule,
) -> Result<(), InputError> {
    match value.chars().enumerate().find(|&(_, c)| !ok(c)) {
        None => Ok(()),
        Some((pos, ch)) => Err(InputError::invalid(
            field.clone(),
            Problem::BadChar {
                ch,
                position: pos + 1,
                rule,
            },
        )),
    }
}

/// Refuses a name of `rule` for `field` whose length `len` (as the rule counts it) is 0 or over
/// `max`: the one length check of the names IAM and the keys limit, so that each is refused alike.
pub fn refuse_length(
    field: &Field,
    rule: LengthRule,
    len: usize,
    max: usize,
) -> Result<(), InputError> {
    let problem = match len {
        0 => Problem::Empty(rule),
        len if len > max => Problem::Long { rule, len },
        _ => return Ok(()),
    };
    Err(InputError::invalid(field.clone(), problem))
}

/// An AWS account id as IAM writes it: 12 digits, leading zeros kept.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a device called `device` is named for `user`: the user's own name (AWS's console and
/// older flows), or `USER-…` as `enroll` names a key's device (`USER-SERIAL`). A credential naming
/// such a device that the user no longer has is stale.
pub fn is_named_for_user(device: &str, user: &str) -> bool {
    device
        .strip_prefix(user)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
}

/// The name of a virtual device from its serial (`arn:…:mfa/[path/]NAME` gives NAME), for serials
/// IAM listed, which are not parsed into a [`SerialNumber`].
pub fn virtual_device_name(serial: &str) -> Option<&str> {
    let (prefix, path_and_name) = serial.split_once(":mfa/")?;
    if !prefix.starts_with("arn:") {
        return None;
    }
    path_and_name
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
}

text_value!(UserName, SerialNumber);

/// An IAM user name: 1 to 128 characters of `[\w+=,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    /// Checks `value` against IAM's constraints for `UserName`.
    pub fn parse(value: &str, origin: Origin) -> Result<Self, InputError> {
        let field = Field::user_name(origin);
        refuse_seed(field.clone(), value, Takes::UserName)?;
        refuse_length(&field, LengthRule::UserName, value.chars().count(), 128)?;
        let rule = if value.starts_with("arn:") {
            CharRule::UserArn
        } else {
            CharRule::UserName
        };
        refuse_bad_char(&field, value, is_user_name_char, rule)?;
        Ok(UserName(value.to_string()))
    }
}

/// An MFA device's serial number: a hardware token's serial (`GAHT12345678`) or a virtual device's
/// ARN (`arn:aws:iam::123456789012:mfa/alice`); 9 to 256 characters of `[\w+=/:,.@-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialNumber(String);

impl SerialNumber {
    /// Checks `value` against IAM's constraints for `SerialNumber`, and catches the usual mix-ups.
    pub fn parse(value: &str, origin: Origin) -> Result<Self, InputError> {
        Self::parse_field(value, Field::serial_number(origin), false)
    }

    /// As [`SerialNumber::parse`], for another field (`--replace`); `u2f_ok` lets a U2F/FIDO
    /// key's serial through, for a field that does not read codes from the device.
    pub fn parse_field(value: &str, field: Field, u2f_ok: bool) -> Result<Self, InputError> {
        refuse_seed(field.clone(), value, Takes::Serial)?;
        let len = value.chars().count();
        if value.contains(":user/") && value.starts_with("arn:") {
            return Err(InputError::invalid(field, Problem::SerialIsUserArn));
        }
        if !u2f_ok && value.starts_with("arn:") && value.contains(":u2f/") {
            return Err(InputError::invalid(field, Problem::SerialIsU2f));
        }
        if !(9..=256).contains(&len) {
            return Err(InputError::invalid(field, Problem::SerialLength { len }));
        }
        refuse_bad_char(&field, value, is_serial_char, CharRule::Serial)?;
        Ok(SerialNumber(value.to_string()))
    }

    /// The partition of a virtual device's ARN (`arn:aws-us-gov:…` gives `aws-us-gov`), if this is one.
    pub fn partition(&self) -> Option<String> {
        let partition = self.0.strip_prefix("arn:")?.split(':').next()?;
        (!partition.is_empty()).then(|| partition.to_string())
    }

    /// The name of a virtual device (`arn:…:mfa/[path/]NAME` gives NAME), if this is one: what AWS's
    /// QR code puts before the `@`.
    pub fn device_name(&self) -> Option<&str> {
        virtual_device_name(&self.0)
    }

    /// The AWS account of a virtual device's ARN (`arn:aws:iam::ACCOUNT:mfa/…`), if it is one.
    pub fn account(&self) -> Option<&str> {
        match self.0.split(':').collect::<Vec<_>>()[..] {
            ["arn", _partition, "iam", "", account, ..] if is_account_id(account) => Some(account),
            _ => None,
        }
    }
}

/// Why a key's credential name maps to no IAM device that can be resynced: the station's and
/// `devices`' answer for a name, worded by the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapError {
    /// No virtual device of that name or user.
    NoOwner {
        /// Before the `@`.
        owner: String,
        /// After it.
        account: String,
    },
    /// No virtual device with that serial.
    NoSerial {
        /// The ARN.
        serial: String,
    },
    /// The device exists but is enabled for nobody: there is nothing to resync.
    Unassigned {
        /// The ARN.
        serial: String,
    },
    /// The device is the root user's, which has no user name to resync it by.
    Root {
        /// The ARN.
        serial: String,
    },
    /// Several devices fit the name.
    Several {
        /// Before the `@`.
        owner: String,
        /// After it.
        account: String,
        /// The devices it fits.
        serials: Vec<String>,
    },
    /// The credential names a device of the user's name that the user no longer has (retired or
    /// replaced): its codes would be refused.
    Stale {
        /// The device's name the credential carries.
        device: String,
        /// The user whose device it was.
        user: String,
    },
    /// IAM answered a user or serial it would not itself accept.
    Malformed {
        /// What was odd.
        what: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_follow_iam_rules() {
        assert!(UserName::parse("alice", Origin::Flag).is_ok());
        assert!(UserName::parse("a.b+c=d,e@f_g-h", Origin::Flag).is_ok());
        assert!(UserName::parse(&"x".repeat(128), Origin::Flag).is_ok());
        assert!(UserName::parse(&"x".repeat(129), Origin::Flag).is_err());
        assert!(UserName::parse("", Origin::Flag).is_err());
        assert!(UserName::parse("al ice", Origin::Flag).is_err());
        assert!(UserName::parse("alicé", Origin::Flag).is_err());
    }

    #[test]
    fn serial_numbers_follow_iam_rules() {
        assert!(SerialNumber::parse("GAHT12345678", Origin::Flag).is_ok());
        assert!(
            SerialNumber::parse("arn:aws:iam::123456789012:mfa/path/alice", Origin::Flag).is_ok()
        );
        assert!(SerialNumber::parse("GAHT1234", Origin::Flag).is_err());
        let err =
            SerialNumber::parse("arn:aws:iam::123456789012:user/alice", Origin::Flag).unwrap_err();
        assert!(err.to_string().contains("user's ARN"), "{err}");
        assert!(SerialNumber::parse("GAHT 12345678", Origin::Flag).is_err());
    }

    #[test]
    fn account_comes_from_a_virtual_device_arn() {
        let s = SerialNumber::parse("arn:aws:iam::123456789012:mfa/alice", Origin::Flag).unwrap();
        assert_eq!(s.account(), Some("123456789012"));
        assert_eq!(s.device_name(), Some("alice"));
        let s = SerialNumber::parse("arn:aws:iam::123456789012:mfa/a/b/alice-key", Origin::Flag)
            .unwrap();
        assert_eq!(s.device_name(), Some("alice-key"));
        let s = SerialNumber::parse("GAHT12345678", Origin::Flag).unwrap();
        assert_eq!(s.account(), None);
        assert_eq!(s.device_name(), None);
    }

    #[test]
    fn fields_are_named_as_the_user_wrote_them() {
        assert_eq!(
            Field::request(
                "--authentication-code-2",
                "AuthenticationCode2",
                Origin::Json
            )
            .to_string(),
            "AuthenticationCode2 in --cli-input-json"
        );
        assert_eq!(Field::user_name(Origin::Flag).to_string(), "--user-name");
    }
}
