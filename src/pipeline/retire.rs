//! Retiring a device: deactivated, then deleted when it is virtual (a hardware token or a U2F key
//! is gone from IAM once deactivated), for `enroll --replace` once the new devices work, and for
//! `retire` ([`retire`]), which finds a key's own device by the serial in its name and, once the
//! device is gone, deletes the key's credential for it when the key is here: the seed goes last,
//! never while its device may still be enabled.

use super::enroll::finish::AwsFlags;
use super::{Run, log_answer};
use crate::audit::Trail;
use crate::aws::AwsError;
use crate::error::Error;
use crate::model::{Field, InputError, Origin, Problem, SerialNumber, UserName};
use crate::report::{Reporter, RetireReport};
use crate::request::{RetireRequest, RetireTarget};
use crate::source::yubikey::{self, KeyWriter, Selector, Wanted, account};

/// What removing a device did.
#[derive(Debug)]
pub struct Removed {
    /// The device.
    pub old: String,
    /// Deactivated.
    pub deactivated: bool,
    /// Deleted (a virtual device), or `false` for a hardware or U2F one (deactivation removes it).
    pub deleted: bool,
    /// What stopped it, and the commands that finish it.
    pub failed: Option<(AwsError, Vec<String>)>,
}

impl Removed {
    /// Done, or the error that says the device is still there and the commands that finish it.
    pub fn finished(self, enrolled: bool) -> Result<(), Error> {
        match self.failed {
            None => Ok(()),
            Some((source, commands)) => Err(Error::NotReplaced {
                old: self.old,
                source: Box::new(source),
                commands,
                enrolled,
            }),
        }
    }
}

/// Deactivates `user`'s device `old` and deletes it when it is virtual. Nothing here is rolled
/// back (a deactivated device cannot be enabled again without its codes): a failure is reported
/// with the commands that finish the job.
pub async fn remove_device(
    run: &Run,
    flags: AwsFlags<'_>,
    (user, old): (&UserName, &SerialNumber),
    log: &Trail<'_>,
    reporter: &Reporter,
) -> Removed {
    let (aws, serial) = (&run.session.aws, old.as_str());
    let virtual_device = serial.contains(":mfa/");
    let mut removed = Removed {
        old: old.to_string(),
        deactivated: false,
        deleted: false,
        failed: None,
    };
    // What finishes the job, each command dropped as its step is done.
    let mut commands = vec![flags.deactivate(user.as_str(), serial)];
    commands.extend(virtual_device.then(|| flags.delete(serial)));
    if run.interrupt.fired() {
        let interrupted = AwsError::Other {
            code: "Interrupted".into(),
            what: "interrupted before the old device was deactivated".into(),
            detail: String::new(),
        };
        removed.failed = Some((interrupted, commands));
        return removed;
    }
    let answer = aws.deactivate(user, serial).await;
    log_answer(log, ("deactivate", serial), &answer, ("deactivated", None));
    if let Err(refused) = answer {
        removed.failed = Some((refused.error, commands));
        return removed;
    }
    reporter.line(format!("Deactivated {old}."));
    removed.deactivated = true;
    commands.remove(0);
    if virtual_device {
        let answer = aws.delete_virtual_device(serial).await;
        log_answer(log, ("delete", serial), &answer, ("deleted", None));
        match answer {
            Ok(_) => {
                reporter.line(format!("Deleted {old}."));
                removed.deleted = true;
            }
            Err(refused) => removed.failed = Some((refused.error, commands)),
        }
    }
    removed
}

/// Retires the device `request` names: found among the user's devices (by its ARN, or by the
/// key's serial its name carries), removed, and its credential deleted from the key when the key
/// is here. The report, and the removal, whose failure still has to be told.
pub async fn retire(
    run: &Run,
    request: &RetireRequest,
    reporter: &Reporter,
) -> Result<(RetireReport, Removed), Error> {
    let session = &run.session;
    let (caller, user) = session.caller_and_user(request.user.as_ref()).await?;
    let devices = session.aws.mfa_devices(&user).await?;
    let old = find_device(&devices, &request.target, &user)?;
    reporter.line(format!("Retiring {old}, {user}'s device."));
    let log = Trail::new(
        run.audit(),
        session.operator(),
        (user.as_str(), old.as_str()),
        ("yubikey", None),
        reporter,
    );
    run.interrupt.check()?;
    let removed = remove_device(run, AwsFlags(&request.aws), (&user, &old), &log, reporter).await;
    // Nothing was done: the AWS error is the whole story.
    if let Removed {
        deactivated: false,
        failed: Some((error, _)),
        ..
    } = removed
    {
        return Err(error.into());
    }
    let (deleted, kept) = if removed.failed.is_none() {
        let aliases = session.aliases().await.unwrap_or_default();
        delete_credentials(request, &old, &caller.account, aliases, &log, reporter)
    } else {
        (
            Vec::new(),
            Some("the device was not removed, so its seed stays on the key".into()),
        )
    };
    let report = RetireReport {
        user: user.to_string(),
        serial: removed.old.clone(),
        deactivated: removed.deactivated,
        deleted: removed.deleted,
        credentials: deleted,
        kept,
    };
    Ok((report, removed))
}

/// The device of `user`'s `devices` that `target` names: its ARN, or the one named after the
/// key's serial (`NAME-SERIAL`, as `enroll` names a key's own device).
fn find_device(
    devices: &[String],
    target: &RetireTarget,
    user: &UserName,
) -> Result<SerialNumber, Error> {
    let (field, named) = match target {
        RetireTarget::Serial(serial) => (Field::flag("--serial-number"), serial.to_string()),
        RetireTarget::Key(key) => (
            Field::flag("--device"),
            format!("a device named after YubiKey {key}"),
        ),
    };
    let hits: Vec<&String> = devices
        .iter()
        .filter(|d| match target {
            RetireTarget::Serial(serial) => *d == serial.as_str(),
            RetireTarget::Key(key) => SerialNumber::parse(d, Origin::Flag)
                .ok()
                .and_then(|s| s.device_name().map(str::to_string))
                .is_some_and(|name| name.ends_with(&format!("-{key}"))),
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(SerialNumber::parse_field(one, field, true)?),
        [] => Err(InputError::invalid(
            field,
            Problem::NotUsersDevice {
                old: named,
                user: user.to_string(),
                devices: devices.to_vec(),
            },
        )
        .into()),
        several => Err(InputError::invalid(
            field,
            Problem::SeveralDevices {
                devices: several.iter().map(|d| d.to_string()).collect(),
            },
        )
        .into()),
    }
}

/// Deletes, from the keys attached (the one `--device` names, else all), every credential named
/// for `old`; a key that is not here keeps it (its device is gone: it can do no harm), and says so.
fn delete_credentials(
    request: &RetireRequest,
    old: &SerialNumber,
    account: &str,
    aliases: &[String],
    log: &Trail<'_>,
    reporter: &Reporter,
) -> (Vec<String>, Option<String>) {
    let serial = match request.target {
        RetireTarget::Key(key) => Some(key),
        RetireTarget::Serial(_) => None,
    };
    let selector = Selector {
        serial,
        reader: None,
    };
    let mut wanted = Wanted::for_device(old, None, Some(account));
    wanted.accounts.extend(aliases.iter().cloned());
    let keys = match yubikey::discover(&selector) {
        Ok(keys) if !keys.is_empty() => keys,
        Ok(_) | Err(_) => {
            return (
                Vec::new(),
                Some("the key is not here: its credential stays on it, harmless now that its device is gone".into()),
            );
        }
    };
    let notifier = reporter.notifier();
    let mut deleted = Vec::new();
    for (info, conn) in keys {
        let open = match super::open::open_key(conn, info.clone(), notifier.as_ref()) {
            Ok(open) => open,
            Err(e) => {
                reporter.warn(format!("{}: not looked at ({e})", info.label()));
                continue;
            }
        };
        let names: Vec<String> = open
            .accounts()
            .iter()
            .filter(|a| account::names_device(a, &wanted))
            .map(|a| a.display_name())
            .collect();
        let writer = KeyWriter::new(open);
        for name in names {
            let serial = info.serial.map(|s| s.to_string());
            let answer = writer.delete(&name);
            let result = if answer.is_ok() { "deleted" } else { "failed" };
            log.step("delete credential", serial.as_deref(), result, None);
            match answer {
                Ok(_) => {
                    reporter.line(format!(
                        "Deleted the credential {name:?} from {}.",
                        info.label()
                    ));
                    deleted.push(format!("{name} on {}", info.label()));
                }
                Err(e) => {
                    reporter.warn(format!(
                        "the credential {name:?} on {} was not deleted ({e})",
                        info.label()
                    ));
                }
            }
        }
    }
    let kept = deleted
        .is_empty()
        .then(|| format!("no key here holds a credential named for {old}"));
    (deleted, kept)
}
