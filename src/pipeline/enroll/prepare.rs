//! Everything an enrolment checks before it creates anything, so that the usual failures leave
//! nothing behind: the user (the caller's, by default), each new device's name and serial (one per
//! key, `USER-SERIAL`, unless `--shared-seed`), the device `--replace` names (one of the user's)
//! and the user's room for every new one, each credential's name (AWS's QR-code form needs the
//! account's alias) and its 64-byte limit, and on each key a credential of the same name and room
//! on the applet (the firmware's touch support was checked as the keys were opened).

use super::undo::Key;
use crate::aws::AwsError;
use crate::error::Error;
use crate::model::{DeviceName, MAX_DEVICES_PER_USER, OathName};
use crate::model::{Field, InputError, Problem, SerialNumber, Usage, UserName};
use crate::pipeline::Session;
use crate::report::Reporter;
use crate::request::EnrollRequest;
use crate::source::yubikey::Slot;

/// What the enrolment will do, every part checked.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The user.
    pub user: UserName,
    /// The new devices, the primary key's first.
    pub devices: Vec<DevicePlan>,
}

/// One new device and the keys that will hold its seed.
#[derive(Debug, Clone)]
pub struct DevicePlan {
    /// Its name.
    pub device_name: DeviceName,
    /// The serial the Create will give it.
    pub serial: SerialNumber,
    /// The credential's name on its keys.
    pub oath_name: OathName,
    /// Its keys (indices into the enrolment's keys, primary first) and what the PUT does on each.
    pub keys: Vec<(usize, Slot)>,
}

/// Checks everything for `request` on `keys`, asking AWS only read-only questions.
pub async fn plan(
    session: &Session,
    request: &EnrollRequest,
    keys: &[Key],
    reporter: &Reporter,
) -> Result<Plan, Error> {
    let (caller, user) = session.caller_and_user(request.user.as_ref()).await?;
    let partition = caller.arn.split(':').nth(1).unwrap_or("aws");
    // Each key its own device (named after it), or every key one device.
    let groups: Vec<(DeviceName, Vec<usize>)> = if request.shared_seed || keys.len() == 1 {
        let name = match &request.device_name {
            Some(name) => name.clone(),
            None if request.shared_seed => {
                DeviceName::parse(user.as_str(), Field::flag("--user-name"))?
            }
            None => key_device_name(&user, &keys[0])?,
        };
        vec![(name, (0..keys.len()).collect())]
    } else {
        keys.iter()
            .enumerate()
            .map(|(i, key)| Ok((key_device_name(&user, key)?, vec![i])))
            .collect::<Result<_, Error>>()?
    };
    let mut devices = Vec::with_capacity(groups.len());
    for (device_name, members) in groups {
        crate::model::check_path_and_name(&request.path, &device_name)?;
        let serial = SerialNumber::parse_field(
            &format!(
                "arn:{partition}:iam::{}:mfa{}{device_name}",
                caller.account, request.path
            ),
            Field::flag("--device-name"),
            false,
        )?;
        let oath_name = match &request.oath_name {
            // aws-vault's naming is the device's own ARN: another device's would name a seed
            // that is not its own.
            Some(name) if name.as_str().contains(":mfa/") && name.as_str() != serial.as_str() => {
                return Err(InputError::from(Usage::OathNameOtherDevice {
                    name: name.to_string(),
                    device: serial.to_string(),
                })
                .into());
            }
            Some(name) => name.clone(),
            None => default_oath_name(session, &device_name, &caller.account, reporter).await?,
        };
        let mut on_keys = Vec::with_capacity(members.len());
        for i in members {
            let key = &keys[i];
            let slot = key.check_room(oath_name.as_str(), request.force)?;
            if slot == Slot::Overwrite {
                reporter.warn(format!(
                    "--force: the credential {:?} on {} will be written over; its secret will be lost",
                    oath_name.as_str(),
                    key.label()
                ));
            }
            on_keys.push((i, slot));
        }
        devices.push(DevicePlan {
            device_name,
            serial,
            oath_name,
            keys: on_keys,
        });
    }
    check_user_devices(session, request, &user, &devices, reporter).await?;
    Ok(Plan { user, devices })
}

/// `USER-SERIAL`: a key's own device, named after its serial, so that a replacement never needs a
/// new name and a found-again key's credential names only its own device.
fn key_device_name(user: &UserName, key: &Key) -> Result<DeviceName, Error> {
    let Some(serial) = key.key().serial else {
        return Err(InputError::from(Usage::KeyWithoutSerial {
            reader: key.key().reader.clone(),
        })
        .into());
    };
    Ok(DeviceName::parse(
        &format!("{user}-{serial}"),
        Field::flag("--user-name"),
    )?)
}

/// `--replace` must name one of the user's devices, and the user must have room for every new one
/// (they are enabled before the old one goes).
async fn check_user_devices(
    session: &Session,
    request: &EnrollRequest,
    user: &UserName,
    new: &[DevicePlan],
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
        if new.iter().any(|d| &d.serial == old) {
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
    // A key's own device (named after its serial) that exists means the key was enrolled before;
    // a name given with --device-name that exists is only a taken name, which the Create refuses
    // in AWS's words.
    let named_after_keys = request.device_name.is_none();
    if let Some(taken) = new
        .iter()
        .filter(|_| named_after_keys)
        .find(|d| devices.iter().any(|s| s == d.serial.as_str()))
    {
        return Err(InputError::from(Usage::AlreadyEnrolled {
            device: taken.serial.to_string(),
            user: user.to_string(),
        })
        .into());
    }
    if devices.len() + new.len() > MAX_DEVICES_PER_USER {
        return Err(InputError::from(Usage::DeviceLimit {
            user: user.to_string(),
            devices: devices.len(),
            new: new.len(),
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
