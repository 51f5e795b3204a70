//! Enrolment: make keys a user's new virtual MFA device. Validate everything first ([`prepare`]),
//! then act — `CreateVirtualMFADevice`, PUT on every key, check the keys agree with the seed,
//! `EnableMFADevice` with the primary's pair ([`enable`]), the seed's backup file — and only then,
//! with the new device working, `--replace`. Every step after the Create pushes its undo
//! ([`undo`]); any failure or Ctrl-C before the new device is complete runs them in reverse, and
//! what cannot be undone is reported with the commands that finish it ([`finish`]).
//!
//! The flow takes keys that are already open and a connected session, so that a station serving
//! inserted keys can run it as `enroll` does.

mod create;
pub mod enable;
pub mod finish;
pub mod prepare;
pub mod undo;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use secrecy::SecretSlice;

use super::Run;
use crate::audit::Trail;
use crate::aws::AwsError;
use crate::error::{Error, Interrupted};
use crate::pipeline::open::open_key;
use crate::report::{EnrollReport, EnrolledDeviceReport, EnrolledKey, Reporter};
use crate::request::EnrollRequest;
use crate::request::enroll::BackupFormat;
use crate::source::backup::{self, BackupText};
use crate::source::seed::NewSeed;
use crate::source::yubikey::{self, KeyWriter, NewCredential, Selector, Slot};
use finish::AwsFlags;
pub use undo::Key;
use undo::{Undo, UndoStack};

/// Opens and unlocks the keys `selectors` name (the only one attached when none), and checks what
/// needs no name (the firmware's touch support, with `touch`), before AWS is asked anything: a
/// missing key, a wrong password or old firmware fails with nothing done.
pub fn open_keys(
    selectors: &[Selector],
    touch: bool,
    reporter: &Reporter,
) -> Result<Vec<Key>, Error> {
    let notifier = reporter.notifier();
    let keys = yubikey::open_each(selectors)?
        .into_iter()
        .map(|(key, conn)| Ok(KeyWriter::new(open_key(conn, key, notifier.as_ref())?)))
        .collect::<Result<Vec<Key>, Error>>()?;
    if touch {
        for key in &keys {
            key.check_touch()?;
        }
    }
    Ok(keys)
}

/// Runs the enrolment `request` asks for on `keys` (primary first). The report, and the removal
/// `--replace` asked for, whose failure still has to be told.
pub async fn enroll(
    run: &Run,
    request: &EnrollRequest,
    keys: Vec<Key>,
    reporter: &Reporter,
) -> Result<(EnrollReport, Option<super::retire::Removed>), Error> {
    let (session, interrupt) = (&run.session, &run.interrupt);
    let plan = prepare::plan(session, request, &keys, reporter).await?;
    let first = plan.devices.first().map_or("", |d| d.serial.as_str());
    let log = Trail::new(
        run.audit(),
        session.operator(),
        (plan.user.as_str(), first),
        ("yubikey", None),
        reporter,
    );
    interrupt.check()?;
    let steps = Steps {
        run,
        request,
        plan: &plan,
        keys: &keys,
        log: &log,
        reporter,
    };
    let mut undo = UndoStack::default();
    let mut enrolled = match make(&steps, &mut undo).await {
        Ok(enrolled) => enrolled,
        Err(cause) => {
            let rollback = undo.run(&steps).await;
            return Err(Error::Enroll {
                cause: Box::new(cause),
                rollback,
            });
        }
    };
    let Some(old) = &request.replace else {
        return Ok((enrolled, None));
    };
    let flags = AwsFlags(&request.aws);
    let removed = super::retire::remove_device(run, flags, (&plan.user, old), &log, reporter).await;
    enrolled.old = Some(removed.old.clone());
    enrolled.replaced = removed.failed.is_none();
    Ok((enrolled, Some(removed)))
}

/// What every step after the Create reaches, and the rollback of them.
struct Steps<'a> {
    run: &'a Run,
    request: &'a EnrollRequest,
    plan: &'a prepare::Plan,
    keys: &'a [Key],
    log: &'a Trail<'a>,
    reporter: &'a Reporter,
}

/// Everything from the backup file's creation to working devices, each step's undo pushed first:
/// the backup file made (empty, so that every local failure comes before a Create), then for each
/// device its Create (whose answer must name the device asked for) and [`act`].
async fn make(steps: &Steps<'_>, undo: &mut UndoStack) -> Result<EnrollReport, Error> {
    let (request, plan, keys) = (steps.request, steps.plan, steps.keys);
    // One device when there is a backup file (a backup holds one seed): checked with the request.
    let mut backup = match (&request.backup, plan.devices.first()) {
        (Some(file), Some(device)) => {
            let reserved = backup::reserve(&file.path).map_err(backup_error)?;
            undo.push(Undo::BackupFile {
                device: device.serial.to_string(),
                path: file.path.clone(),
            });
            Some((reserved, file.format))
        }
        _ => None,
    };
    let mut written_backup = None;
    let (mut devices, mut written) = (Vec::with_capacity(plan.devices.len()), Vec::new());
    for device in &plan.devices {
        let log = steps.log.of_device(device.serial.as_str());
        let created = create::create(steps, device, &log).await?;
        // The device asked for is deleted on rollback, never the one an answer names instead
        // (which may be someone else's).
        undo.push(Undo::DeleteDevice {
            serial: device.serial.to_string(),
        });
        if created.serial != device.serial.as_str() {
            return Err(AwsError::Other {
                code: "UnexpectedSerial".into(),
                what: format!(
                    "CreateVirtualMFADevice answered with the device {}, not {} that it was asked to create",
                    created.serial, device.serial
                ),
                detail: String::new(),
            }
            .into());
        }
        steps
            .reporter
            .line(format!("Created the virtual MFA device {}.", device.serial));
        let (enrolled, path) = act(steps, device, &log, created.seed, backup.take(), undo).await?;
        written_backup = written_backup.or(path);
        devices.push(enrolled);
        written.extend(device.keys.iter().map(|&(i, _)| EnrolledKey {
            serial: keys[i].key().serial,
            reader: keys[i].key().reader.clone(),
            role: if i == 0 { "primary" } else { "backup" },
            device: device.serial.to_string(),
        }));
    }
    let primary = devices.first();
    Ok(EnrollReport {
        user: plan.user.to_string(),
        serial: primary.map(|d| d.serial.clone()).unwrap_or_default(),
        oath_name: primary.map(|d| d.oath_name.clone()).unwrap_or_default(),
        request_id: primary.and_then(|d| d.request_id.clone()),
        keys: written,
        touch: request.touch,
        overwritten: plan
            .devices
            .iter()
            .flat_map(|d| &d.keys)
            .filter(|(_, slot)| *slot == Slot::Overwrite)
            .map(|(i, _)| keys[*i].label())
            .collect(),
        backup: written_backup.map(|p| p.display().to_string()),
        replaced: false,
        old: None,
        devices,
    })
}

/// A backup file that cannot be made or written, as the user's input it is.
fn backup_error(e: backup::BackupError) -> Error {
    Error::from(crate::model::InputError::from(
        crate::model::Usage::Backup {
            problem: e.to_string(),
        },
    ))
}

/// Everything between a device's Create and the device working: PUT on its keys, the backups
/// checked against the seed, the backup file filled, Enable. The device, and the backup file's
/// path when one was filled.
async fn act(
    steps: &Steps<'_>,
    device: &prepare::DevicePlan,
    log: &Trail<'_>,
    seed_text: SecretSlice<u8>,
    backup: Option<(backup::Reserved, BackupFormat)>,
    undo: &mut UndoStack,
) -> Result<(EnrolledDeviceReport, Option<PathBuf>), Error> {
    let (run, request, plan) = (steps.run, steps.request, steps.plan);
    let (keys, reporter) = (steps.keys, steps.reporter);
    let (interrupt, serial) = (&run.interrupt, &device.serial);
    interrupt.check()?;
    let seed = NewSeed::decode(&seed_text)?;
    let credential = NewCredential {
        id: device.oath_name.to_string(),
        secret: SecretSlice::from(secrecy::ExposeSecret::expose_secret(seed.bytes()).to_vec()),
        touch: request.touch,
    };
    let seed = Arc::new(Mutex::new(seed));
    let credential = Arc::new(credential);
    for &(index, slot) in &device.keys {
        let key = &keys[index];
        // Pushed first: a PUT cut short may or may not have written.
        undo.push(Undo::Credential {
            device: serial.to_string(),
            key: index,
            id: credential.id.clone(),
            overwrote: slot == Slot::Overwrite,
        });
        let writer = key.clone();
        let cred = Arc::clone(&credential);
        let written = enable::on_key(interrupt, move || writer.put(&cred)).await;
        let serial_text = key.key().serial.map(|s| s.to_string());
        let result = if written.is_ok() { "written" } else { "failed" };
        log.step("put", serial_text.as_deref(), result, None);
        written?;
        let role = if index == 0 { "primary" } else { "backup" };
        reporter.line(format!(
            "Wrote {:?} to {} ({role}).",
            credential.id,
            key.label()
        ));
    }
    drop(credential);
    let holders: Vec<Key> = device.keys.iter().map(|(i, _)| keys[*i].clone()).collect();
    enable::check_backups(steps, &holders, &seed, device.oath_name.as_str()).await?;
    // The seed in the backup file before the Enable: from the moment the device may be enabled,
    // every copy the user asked for exists.
    let mut written_backup = None;
    if let Some((reserved, format)) = backup {
        let text = match format {
            BackupFormat::Base32 => BackupText::Base32,
            BackupFormat::Otpauth => BackupText::Otpauth {
                label: device.oath_name.to_string(),
            },
        };
        let path = reserved.fill(&seed_text, &text).map_err(backup_error)?;
        reporter.line(format!("Wrote the seed's backup to {}.", path.display()));
        written_backup = Some(path);
    }
    interrupt.check()?;
    let trail = log.on_key(holders[0].key().serial.map(|s| s.to_string()));
    let id = device.oath_name.as_str();
    let enabled = enable::enable(steps, &holders[0], &seed, (serial, id), trail).await;
    if enabled
        .as_ref()
        .map_or_else(|not| not.maybe_enabled, |_| true)
    {
        undo.push(Undo::Deactivate {
            user: plan.user.clone(),
            serial: serial.to_string(),
        });
    }
    let sent = enabled.map_err(|not| not.error)?;
    reporter.line(format!("Enabled {serial} for {}.", plan.user));
    if interrupt.fired() {
        // Enable's pair was accepted: never "nothing was sent".
        return Err(Error::Interrupted(Interrupted::after(sent.attempts, 1)));
    }
    let enrolled = EnrolledDeviceReport {
        serial: serial.to_string(),
        oath_name: device.oath_name.to_string(),
        request_id: sent.receipt.request_id,
    };
    Ok((enrolled, written_backup))
}
