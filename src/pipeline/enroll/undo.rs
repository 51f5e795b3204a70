//! The undo stack: each step an enrolment takes after the Create pushes what undoes it, and a
//! failure (or Ctrl-C) runs the stack in reverse. A step that cannot be undone does not stop the
//! others; it becomes a [`Leftover`] with the exact commands that finish the job. A key pulled out
//! mid-run is waited for last (`--reinsert-wait`), after everything else is undone.

use std::path::PathBuf;
use std::time::Duration;

use yubikit::platform::pcsc::PcscSmartCardConnection;

use super::Steps;
use super::finish::{self, AwsFlags};
use crate::aws::AwsError;
use crate::error::{Leftover, Rollback};
use crate::model::UserName;
use crate::pipeline::log_answer;
use crate::pipeline::open::open_key;
use crate::source::backup;
use crate::source::yubikey::{self, KeyWriter};
use crate::source::{DeviceError, Notifier};

/// How long a rollback waits for a key to answer: a YubiKey gives up waiting for a touch after
/// 15 s, and answers then. A key that still does not answer is left with its command.
const KEY_ANSWER: Duration = Duration::from_secs(16);

/// A key opened through PC/SC for an enrolment.
pub type Key = KeyWriter<PcscSmartCardConnection>;

/// What undoes one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// The Create: delete the virtual device.
    DeleteDevice {
        /// Its serial.
        serial: String,
    },
    /// A PUT: delete the credential from the key (at this index of the keys).
    Credential {
        /// The device whose seed it holds.
        device: String,
        /// The key's index (0 is the primary).
        key: usize,
        /// The credential's name.
        id: String,
        /// Whether it was written over one of the same name (`--force`): that one is lost.
        overwrote: bool,
    },
    /// An Enable that was (or may have been) accepted: deactivate the device.
    Deactivate {
        /// The user.
        user: UserName,
        /// The device.
        serial: String,
    },
    /// The seed's backup file: remove it.
    BackupFile {
        /// The device whose seed it holds.
        device: String,
        /// The file.
        path: PathBuf,
    },
}

impl Undo {
    /// The device the step belongs to.
    fn device(&self) -> &str {
        match self {
            Undo::DeleteDevice { serial } | Undo::Deactivate { serial, .. } => serial,
            Undo::Credential { device, .. } | Undo::BackupFile { device, .. } => device,
        }
    }
}

/// The steps to undo, in the order they were taken.
#[derive(Debug, Default)]
pub struct UndoStack(Vec<Undo>);

impl UndoStack {
    /// Records a step's undo.
    pub fn push(&mut self, undo: Undo) {
        if !self.0.contains(&undo) {
            self.0.push(undo);
        }
    }

    /// Undoes every step, latest first; what cannot be undone is left with its commands.
    ///
    /// The device comes first: while it may be enabled, its seed (on the keys, in the backup
    /// file) is the user's only way to sign in with it, so nothing that holds the seed is touched
    /// until AWS has said the device is deactivated, or was never enabled. A device that stays
    /// enabled is kept whole, and the commands that remove it are left for someone allowed to.
    pub(super) async fn run(self, cx: &Steps<'_>) -> Rollback {
        let mut rollback = Rollback::default();
        let mut pulled: Vec<(usize, String)> = Vec::new();
        cx.reporter
            .line("Rolling back what this enrolment did (signals are ignored until it is done).");
        let (deactivations, rest): (Vec<Undo>, Vec<Undo>) = self
            .0
            .into_iter()
            .partition(|u| matches!(u, Undo::Deactivate { .. }));
        let mut still_enabled: Vec<(String, Leftover)> = Vec::new();
        for undo in deactivations {
            if let Undo::Deactivate { user, serial } = undo
                && let Some(left) = deactivate(cx, &mut rollback, &user, &serial).await
            {
                still_enabled.push((serial, left));
            }
        }
        // AWS's side first (a few requests), then the keys and the file, latest first.
        let (devices, local): (Vec<Undo>, Vec<Undo>) = rest
            .into_iter()
            .partition(|u| matches!(u, Undo::DeleteDevice { .. }));
        for undo in devices.into_iter().chain(local.into_iter().rev()) {
            if let Some((_, left)) = still_enabled.iter_mut().find(|(s, _)| s == undo.device()) {
                keep(cx, &mut rollback, left, undo);
                continue;
            }
            match undo {
                Undo::Credential {
                    key, id, overwrote, ..
                } => {
                    if overwrote {
                        rollback.lost.push(format!(
                            "the credential {id:?} that --force wrote over on {}: its secret cannot be restored",
                            cx.keys[key].label()
                        ));
                    }
                    let writer = cx.keys[key].clone();
                    let name = id.clone();
                    let deleted = tokio::time::timeout(
                        KEY_ANSWER,
                        tokio::task::spawn_blocking(move || writer.delete(&name)),
                    )
                    .await;
                    match deleted {
                        Ok(Ok(Ok(true))) => done_credential(cx, &mut rollback, key, &id),
                        // A PUT cut short before it landed: nothing to undo.
                        Ok(Ok(Ok(false))) => logged(cx, key, "credential not found"),
                        Ok(Ok(Err(e))) if gone(&e) => pulled.push((key, id)),
                        Ok(Ok(Err(e))) => {
                            left_credential(cx, &mut rollback, key, &id, &e.to_string());
                        }
                        Ok(Err(_)) => {
                            left_credential(cx, &mut rollback, key, &id, "its thread failed")
                        }
                        Err(_) => {
                            let why = format!(
                                "it did not answer within {} s: it may still be waiting for a touch",
                                KEY_ANSWER.as_secs()
                            );
                            left_credential(cx, &mut rollback, key, &id, &why);
                        }
                    }
                }
                Undo::DeleteDevice { serial } => delete_device(cx, &mut rollback, &serial).await,
                Undo::BackupFile { path, .. } => match backup::remove(&path) {
                    Ok(()) => {
                        rollback
                            .undone
                            .push(format!("removed the seed's backup file {}", path.display()));
                    }
                    Err(e) => rollback.left.push(Leftover {
                        what: e.to_string(),
                        commands: vec![finish::remove_file(&path)],
                    }),
                },
                Undo::Deactivate { .. } => {}
            }
        }
        rollback
            .left
            .extend(still_enabled.into_iter().map(|(_, left)| left));
        for (key, id) in pulled {
            // The dead session first: PC/SC keeps a connection to a pulled card until it is
            // closed, and would refuse to open the key again while it lasts.
            cx.keys[key].disconnect();
            reinserted(cx, &mut rollback, key, &id).await;
        }
        rollback
    }
}

/// Deactivates `user`'s device `serial`; `None` when it is no longer enabled (deactivated now, or
/// never enabled), else what is left: the device, still enabled, with the command that deactivates
/// it.
async fn deactivate(
    cx: &Steps<'_>,
    rollback: &mut Rollback,
    user: &UserName,
    serial: &str,
) -> Option<Leftover> {
    let answer = cx.run.session.aws.deactivate(user, serial).await;
    log_answer(
        cx.log,
        ("rollback", serial),
        &answer,
        ("deactivated", Some("not enabled")),
    );
    match answer {
        Ok(_) => rollback.undone.push(format!("deactivated {serial}")),
        // Not enabled after all: nothing to undo.
        Err(refused) if matches!(refused.error, AwsError::NoSuchEntity { .. }) => {}
        Err(refused) => {
            return Some(Leftover {
                what: format!(
                    "{serial} is still enabled for {user} ({}); it works, and its seed is kept",
                    refused.error
                ),
                commands: vec![AwsFlags(&cx.request.aws).deactivate(user.as_str(), serial)],
            });
        }
    }
    None
}

/// A step of a device that stays enabled: every copy of its seed is kept (the keys' credentials,
/// the backup file), each named in the rollback, and the commands that remove them, once someone
/// allowed to has deactivated the device, follow its deactivation in `left` (its deletion first).
fn keep(cx: &Steps<'_>, rollback: &mut Rollback, left: &mut Leftover, undo: Undo) {
    match undo {
        Undo::Credential { key, id, .. } => {
            let info = cx.keys[key].key();
            rollback.kept.push(format!(
                "the credential {id:?} on {}, which holds the seed",
                info.label()
            ));
            left.commands.push(finish::ykman_delete(info, &id));
        }
        Undo::BackupFile { path, .. } => {
            rollback
                .kept
                .push(format!("the seed's backup file {}", path.display()));
            left.commands.push(finish::remove_file(&path));
        }
        Undo::DeleteDevice { serial } => left
            .commands
            .insert(1, AwsFlags(&cx.request.aws).delete(&serial)),
        Undo::Deactivate { .. } => {}
    }
}

/// Deletes the virtual device `serial`. A device left enabled cannot be deleted (DeleteConflict):
/// its deactivation is already in `left`, and the delete command follows it there.
async fn delete_device(cx: &Steps<'_>, rollback: &mut Rollback, serial: &str) {
    let answer = cx.run.session.aws.delete_virtual_device(serial).await;
    log_answer(
        cx.log,
        ("rollback", serial),
        &answer,
        ("deleted", Some("not found")),
    );
    match answer {
        Ok(_) => rollback
            .undone
            .push(format!("deleted the virtual MFA device {serial}")),
        Err(refused) if matches!(refused.error, AwsError::NoSuchEntity { .. }) => {}
        Err(refused) => {
            rollback.left.push(Leftover {
                what: format!(
                    "the virtual MFA device {serial} (unassigned) could not be deleted ({})",
                    refused.error
                ),
                commands: vec![AwsFlags(&cx.request.aws).delete(serial)],
            });
        }
    }
}

/// Whether a key's error means it is no longer in its reader (or its session is dead with it).
fn gone(e: &DeviceError) -> bool {
    matches!(
        e,
        DeviceError::Removed { .. }
            | DeviceError::RemovedWhile { .. }
            | DeviceError::NoCard { .. }
            | DeviceError::Transport { .. }
    )
}

/// The rollback's step on key `key`, in the audit log.
fn logged(cx: &Steps<'_>, key: usize, result: &str) {
    let serial = cx.keys[key].key().serial.map(|s| s.to_string());
    cx.log.step("rollback", serial.as_deref(), result, None);
}

fn done_credential(cx: &Steps<'_>, rollback: &mut Rollback, key: usize, id: &str) {
    logged(cx, key, "credential deleted");
    let label = cx.keys[key].label();
    rollback
        .undone
        .push(format!("deleted the credential {id:?} from {label}"));
}

fn left_credential(cx: &Steps<'_>, rollback: &mut Rollback, key: usize, id: &str, why: &str) {
    logged(cx, key, "credential left");
    let info = cx.keys[key].key();
    rollback.left.push(Leftover {
        what: format!("the credential {id:?} on {} ({why})", info.label()),
        commands: vec![finish::ykman_delete(info, id)],
    });
}

/// Waits for a pulled key to come back, reopens it and deletes the credential.
async fn reinserted(cx: &Steps<'_>, rollback: &mut Rollback, key: usize, id: &str) {
    let info = cx.keys[key].key().clone();
    let label = info.label();
    if cx.request.reinsert_wait.is_zero() {
        left_credential(cx, rollback, key, id, "it was pulled out");
        return;
    }
    Notifier::act(
        cx.reporter,
        &format!(
            "{label} was pulled out: put it back within {} s to delete the credential {id:?} written to it.",
            cx.request.reinsert_wait.as_secs()
        ),
    );
    let wait = cx.request.reinsert_wait;
    let wanted = info.clone();
    let notifier = cx.reporter.notifier();
    let name = id.to_string();
    let outcome = tokio::task::spawn_blocking(move || -> Result<bool, DeviceError> {
        let Some((found, conn)) = yubikey::wait_for_return(&wanted, wait) else {
            return Err(DeviceError::Removed {
                key: wanted.label(),
            });
        };
        KeyWriter::new(open_key(conn, found, notifier.as_ref())?).delete(&name)
    })
    .await;
    match outcome {
        Ok(Ok(_)) => done_credential(cx, rollback, key, id),
        Ok(Err(e)) => left_credential(cx, rollback, key, id, &format!("it was pulled out: {e}")),
        Err(_) => left_credential(cx, rollback, key, id, "its thread failed"),
    }
}
