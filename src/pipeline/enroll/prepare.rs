//! Everything an enrolment checks before it creates anything, so that the usual failures leave
//! nothing behind: the user (the caller's, by default), the device's name and serial, the device
//! `--replace` names (one of the user's) and the user's room for one more, the credential's name
//! (AWS's QR-code form needs the account's alias) and its 64-byte limit, and on each key the
//! firmware's touch support, a credential of the same name, and room on the applet.

use super::undo::Key;
use crate::aws::AwsError;
use crate::error::Error;
use crate::model::{DeviceName, OathName};
use crate::model::{Field, InputError, Origin, Problem, SerialNumber, Usage, UserName};
use crate::pipeline::Session;
use crate::report::Reporter;
use crate::request::EnrollRequest;
use crate::source::yubikey::Slot;

/// IAM's limit on MFA devices per user (IAM and STS quotas).
const MAX_DEVICES_PER_USER: usize = 8;

/// What the enrolment will do, every part checked.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The user.
    pub user: UserName,
    /// The new device's name.
    pub device_name: DeviceName,
    /// The serial the Create will give it.
    pub serial: SerialNumber,
    /// The credential's name on the keys.
    pub oath_name: OathName,
    /// What the PUT does on each key, in order.
    pub slots: Vec<Slot>,
}

/// Checks everything for `job` on `keys`, asking AWS only read-only questions.
pub async fn plan(
    session: &Session,
    request: &EnrollRequest,
    keys: &[Key],
    reporter: &Reporter,
) -> Result<Plan, Error> {
    if request.touch {
        for key in keys {
            key.check_touch()?;
        }
    }
    let caller = match &session.caller {
        Some(caller) => caller.clone(),
        None => session.aws.caller().await?,
    };
    let user = match (&request.user, &caller.user_name) {
        (Some(user), _) => user.clone(),
        (None, Some(name)) => UserName::parse(name, Origin::Flag)?,
        (None, None) => return Err(AwsError::NotAUser { arn: caller.arn }.into()),
    };
    let device_name = match &request.device_name {
        Some(name) => name.clone(),
        None => DeviceName::parse(user.as_str(), Field::flag("--user-name"))?,
    };
    crate::model::check_path_and_name(&request.path, &device_name)?;
    let partition = caller.arn.split(':').nth(1).unwrap_or("aws");
    let serial = SerialNumber::parse_field(
        &format!(
            "arn:{partition}:iam::{}:mfa{}{device_name}",
            caller.account, request.path
        ),
        Field::flag("--device-name"),
        false,
    )?;
    check_user_devices(session, request, &user, &serial, reporter).await?;
    let oath_name = match &request.oath_name {
        Some(name) => name.clone(),
        None => default_oath_name(session, &device_name, &caller.account, reporter).await?,
    };
    let mut slots = Vec::with_capacity(keys.len());
    for key in keys {
        let slot = key.check_room(oath_name.as_str(), request.force)?;
        if slot == Slot::Overwrite {
            reporter.warn(format!(
                "--force: the credential {:?} on {} will be written over; its secret will be lost",
                oath_name.as_str(),
                key.label()
            ));
        }
        slots.push(slot);
    }
    Ok(Plan {
        user,
        device_name,
        serial,
        oath_name,
        slots,
    })
}

/// `--replace` must name one of the user's devices, and the user must have room for the new one
/// (it is enabled before the old one goes).
async fn check_user_devices(
    session: &Session,
    request: &EnrollRequest,
    user: &UserName,
    serial: &SerialNumber,
    reporter: &Reporter,
) -> Result<(), Error> {
    let devices = match session.aws.mfa_devices(user).await {
        Ok(devices) => devices,
        Err(e) if request.replace.is_none() && matches!(e, AwsError::AccessDenied { .. }) => {
            reporter.warn(format!(
                "could not list {user}'s MFA devices ({e}); going on without checking IAM's limit of {MAX_DEVICES_PER_USER}"
            ));
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(old) = &request.replace {
        if old == serial {
            return Err(InputError::from(Usage::ReplaceIsCreated {
                old: old.to_string(),
            })
            .into());
        }
        if !devices.iter().any(|d| d == old.as_str()) {
            return Err(InputError::invalid(
                Field::flag("--replace"),
                Problem::NotUsersDevice {
                    old: old.to_string(),
                    user: user.to_string(),
                    devices: devices.clone(),
                },
            )
            .into());
        }
    }
    if devices.len() >= MAX_DEVICES_PER_USER {
        return Err(InputError::from(Usage::DeviceLimit {
            user: user.to_string(),
            devices: devices.len(),
        })
        .into());
    }
    Ok(())
}

/// `Amazon Web Services:DEVICE@ACCOUNT`, the account's alias when it has one, as AWS's QR code
/// names the credential; it must fit a key's 64 bytes.
async fn default_oath_name(
    session: &Session,
    device: &DeviceName,
    account_id: &str,
    reporter: &Reporter,
) -> Result<OathName, Error> {
    let account = match session.aliases().await {
        Ok(aliases) => aliases
            .first()
            .cloned()
            .unwrap_or_else(|| account_id.to_string()),
        Err(e) => {
            reporter.warn(format!(
                "could not read the account's alias ({e}); naming the credential after the account id, which AWS's QR code uses only when there is no alias"
            ));
            account_id.to_string()
        }
    };
    let name = OathName::aws_default(device, &account);
    OathName::parse(&name, Field::flag("--oath-name"))
        .map_err(|_| InputError::from(Usage::DefaultOathName { name }).into())
}
