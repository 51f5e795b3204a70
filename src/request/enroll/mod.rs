//! A validated `enroll`: who gets the new device, its name and path, the keys to write (the first
//! primary, the rest backups), the credential's name and touch, `--force`, the seed's backup file
//! and `--replace`, all checked before any I/O that matters (the backup file's directory is
//! looked at; nothing is opened). What needs a key or AWS to check (room on the applet, a
//! credential of the same name, the firmware's touch support, the account's name) is checked by
//! the pipeline, still before the device is created.

pub mod backup;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

use super::aws::{AwsOptions, validate_aws};
use super::code_source::check_reader;
use super::resync::audit_log_path;
use crate::model::{
    DeviceName, Field, FileInput, IamPath, InputError, OathName, Origin, Problem, Usage,
};
use crate::model::{SerialNumber, UserName};
use crate::source::yubikey::Selector;
pub use backup::{BackupFormat, BackupSeedFile};

/// One key as the user named it, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChoice {
    /// `--device SERIAL`
    Serial(u32),
    /// `--reader NAME`
    Reader(String),
}

/// `enroll` as given, not yet checked.
#[derive(Debug, Clone, Default)]
pub struct EnrollInput {
    /// `--user-name`
    pub user_name: Option<String>,
    /// `--device-name`
    pub device_name: Option<String>,
    /// `--path`
    pub path: Option<String>,
    /// `--device` and `--reader`, in the order given.
    pub keys: Vec<KeyChoice>,
    /// `--touch`
    pub touch: bool,
    /// `--oath-name`
    pub oath_name: Option<String>,
    /// `--force`
    pub force: bool,
    /// `--backup-seed-file`
    pub backup_seed_file: Option<PathBuf>,
    /// `--backup-seed-format`
    pub backup_format: BackupFormat,
    /// `--replace`
    pub replace: Option<String>,
    /// `--shared-seed`
    pub shared_seed: bool,
    /// `--reinsert-wait`, seconds
    pub reinsert_wait_secs: u64,
    /// The AWS flags.
    pub aws: AwsOptions,
    /// `--audit-log`
    pub audit_log: Option<PathBuf>,
}

/// A validated `enroll`.
#[derive(Debug, Clone)]
pub struct EnrollRequest {
    /// The user, or `None` for the caller.
    pub user: Option<UserName>,
    /// The device's name, or `None` for the user's name.
    pub device_name: Option<DeviceName>,
    /// The device's path.
    pub path: IamPath,
    /// The keys, primary first; empty for the only key attached.
    pub keys: Vec<Selector>,
    /// Every code needs a touch.
    pub touch: bool,
    /// The credential's name, or `None` for the one AWS's QR code gives.
    pub oath_name: Option<OathName>,
    /// Overwrite a credential of the same name.
    pub force: bool,
    /// Where to write the seed, once the device is enabled.
    pub backup: Option<BackupSeedFile>,
    /// The device to deactivate (and delete, when virtual) once the new one is enabled.
    pub replace: Option<SerialNumber>,
    /// One device for every key, the same seed on each; else each key gets its own device.
    pub shared_seed: bool,
    /// How long a rollback waits for a key pulled mid-run to come back.
    pub reinsert_wait: Duration,
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// `--audit-log`
    pub audit_log: Option<PathBuf>,
}

impl EnrollInput {
    /// Checks every field and their combinations, before any I/O.
    pub fn validate(self) -> Result<EnrollRequest, InputError> {
        let user = self
            .user_name
            .as_deref()
            .map(|name| UserName::parse(name, Origin::Flag))
            .transpose()?;
        let device_name = self
            .device_name
            .as_deref()
            .map(|name| DeviceName::parse(name, Field::flag("--device-name")))
            .transpose()?;
        let path = self
            .path
            .as_deref()
            .map(IamPath::parse)
            .transpose()?
            .unwrap_or_default();
        let keys = key_selectors(self.keys)?;
        // Each key its own device unless --shared-seed: what names one device cannot be given for
        // several.
        let per_key = !self.shared_seed && keys.len() > 1;
        for (given, flag) in [
            (device_name.is_some(), "--device-name"),
            (self.oath_name.is_some(), "--oath-name"),
            (self.backup_seed_file.is_some(), "--backup-seed-file"),
        ] {
            if per_key && given {
                return Err(Usage::OneDeviceFlag {
                    flag,
                    keys: keys.len(),
                }
                .into());
            }
        }
        // The name the device will have, when it is known before asking AWS who the caller is: a
        // key's own device is named USER-SERIAL, checked here with a serial of 8 digits (a
        // YubiKey 5's; the check says "at least").
        let known_name = match (&device_name, &user) {
            (Some(name), _) => Some((name.clone(), Field::flag("--device-name"))),
            (None, Some(user)) => {
                let name = if self.shared_seed {
                    user.to_string()
                } else {
                    format!("{user}-99999999")
                };
                Some((
                    DeviceName::parse(&name, Field::flag("--user-name"))?,
                    Field::flag("--user-name"),
                ))
            }
            (None, None) => None,
        };
        let oath_name = self
            .oath_name
            .as_deref()
            .map(|name| OathName::parse(name, Field::flag("--oath-name")))
            .transpose()?;
        if let Some((name, field)) = &known_name {
            crate::model::check_path_and_name(&path, name)?;
            if oath_name.is_none() {
                crate::model::check_default_oath_name(name, field.clone())?;
            }
        }
        let backup = self
            .backup_seed_file
            .map(|path| BackupSeedFile::check(path, self.backup_format))
            .transpose()?;
        let replace = self
            .replace
            .as_deref()
            .map(|serial| SerialNumber::parse_field(serial, Field::flag("--replace"), true))
            .transpose()?;
        if let (Some(old), Some((name, _))) = (&replace, &known_name)
            && replaces_itself(old, &path, name)
        {
            return Err(Usage::ReplaceIsNew {
                old: old.to_string(),
            }
            .into());
        }
        let audit_log = audit_log_path(self.audit_log)?;
        // The backup is made new (O_EXCL) and the audit log appended to: one file cannot be both.
        if let (Some(backup), Some(log)) = (&backup, &audit_log)
            && crate::files::same_place(&backup.path, log)
        {
            return Err(InputError::flag(
                "--backup-seed-file",
                Problem::File(FileInput::SameAs {
                    other: "--audit-log",
                }),
            ));
        }
        let mut aws = validate_aws(self.aws)?;
        aws.partition = replace.as_ref().and_then(SerialNumber::partition);
        Ok(EnrollRequest {
            user,
            device_name,
            path,
            keys,
            touch: self.touch,
            oath_name,
            force: self.force,
            backup,
            replace,
            shared_seed: self.shared_seed,
            reinsert_wait: Duration::from_secs(self.reinsert_wait_secs),
            aws,
            audit_log,
        })
    }
}

/// Whether `old` is the ARN the new device would get (`…:mfa` + path + name), in any account.
fn replaces_itself(old: &SerialNumber, path: &IamPath, name: &DeviceName) -> bool {
    old.as_str()
        .split_once(":mfa/")
        .is_some_and(|(_, rest)| format!("/{rest}") == format!("{path}{name}"))
}

/// The keys, in order, each named once.
fn key_selectors(keys: Vec<KeyChoice>) -> Result<Vec<Selector>, InputError> {
    let mut selectors: Vec<Selector> = Vec::with_capacity(keys.len());
    for key in keys {
        let selector = match key {
            KeyChoice::Serial(serial) => Selector {
                serial: Some(serial),
                reader: None,
            },
            KeyChoice::Reader(name) => {
                check_reader(&name)?;
                Selector {
                    serial: None,
                    reader: Some(name),
                }
            }
        };
        if selectors.contains(&selector) {
            let named = match (&selector.serial, &selector.reader) {
                (Some(serial), _) => format!("--device {serial}"),
                (_, Some(reader)) => format!("--reader {reader:?}"),
                _ => String::new(),
            };
            return Err(Usage::KeyNamedTwice { named }.into());
        }
        selectors.push(selector);
    }
    Ok(selectors)
}
