//! One key at a station, from insertion to its result lines: identify it and open its OATH
//! application (unlocked with `MFA_RESYNC_OATH_PASSWORD`, never a prompt: staff cannot type a
//! user's password), keep the AWS credentials of the accounts served, map each to its IAM device,
//! and resync each through the one pipeline ([`read_and_send`]). Every failure stays this key's.
//!
//! Removal, pcscd's loss and Ctrl-C reach the key as one [`Interrupt`]: a wait or a read is
//! abandoned at once with nothing of its pair sent, while a submission already under way is let
//! finish, so nothing is ever half-sent. A key that answers nothing while it is identified is
//! let go after [`IDENTIFY_WATCHDOG`]: a hung or rogue key holds its reader, never the desk.
//! Each credential's device then takes its turn ([`super::turn`]).

use std::sync::Arc;
use std::time::Duration;

use super::Station;
use super::desk::Fate;
use super::naming::{self, AwsName, Candidate};
use super::served::{Served, no_credential};
use crate::error::Error;
use crate::exit::Exit;
use crate::pipeline::open::oath_password_or;
use crate::pipeline::{Interrupt, Target};
use crate::report::{KeyResult, NotAnAwsCredential, RowResult, StationEvent};
use crate::source::yubikey::{OpenKey, Password, identify_in};
use crate::source::{DeviceError, Silent};
use crate::window::{Clock, SystemClock};

/// How long a key may take to be identified and listed (SELECTs, LIST, CALCULATE ALL: a real
/// key answers in well under a second, and none of it waits for a touch).
pub const IDENTIFY_WATCHDOG: Duration = Duration::from_secs(10);

impl Station<'_> {
    /// Serves the key in `reader` until each of its credentials has a result.
    pub(super) async fn serve_key(
        &self,
        reader: String,
        mut interrupt: Interrupt,
        fate: Arc<Fate>,
    ) -> Vec<KeyResult> {
        let mut served = Served {
            reader: &reader,
            arrived: std::time::Instant::now(),
            key: None,
            fate: &fate,
        };
        // A station never prompts: a locked key without the variable is that key's failure.
        let password = oath_password_or(Password::None);
        let now = SystemClock.now().as_secs();
        let in_reader = reader.clone();
        // A thread of its own, not the runtime's blocking pool: past the watchdog a hung key's
        // thread is left blocked in PC/SC (which ends it when the key goes), and the station still
        // exits at a signal (the runtime would wait for its pool's threads).
        let (done, identified) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("identify".into())
            .spawn(move || {
                let opened =
                    identify_in(&in_reader)
                        .map_err(|e| (None, e))
                        .and_then(|(key, conn)| {
                            let serial = key.serial;
                            OpenKey::open(conn, key, password, now, &Silent)
                                .map_err(|e| (serial, e))
                        });
                let _ = done.send(opened);
            });
        let failed_thread = |what: String| Err((None, DeviceError::Malformed { what }));
        let opened = match spawned {
            Err(e) => failed_thread(format!("nothing: no thread to identify it ({e})")),
            Ok(_) => tokio::select! {
                biased;
                () = interrupt.wait() => return vec![served.failed(Error::interrupted(), None, None)],
                joined = tokio::time::timeout(IDENTIFY_WATCHDOG, identified) => match joined {
                    Ok(Ok(opened)) => opened,
                    Ok(Err(_)) => failed_thread("nothing: the identifying thread failed".into()),
                    Err(_) => Err((None, DeviceError::Timeout { secs: IDENTIFY_WATCHDOG.as_secs() })),
                },
            },
        };
        let open = match opened {
            Ok(open) => open,
            Err((key, e)) => {
                served.identified(key);
                return vec![served.failed(e.into(), None, None)];
            }
        };
        let key = open.key().clone();
        served.identified(key.serial);
        let mut aliases: &[String] = &[];
        if naming::alias_could_help(open.accounts(), &self.accounts) {
            aliases = self.run.session.aliases().await.unwrap_or_default();
        }
        let held = naming::served(open.accounts(), &self.accounts, aliases);
        let shown: Vec<String> = held.served.iter().map(|c| c.shown.clone()).collect();
        let not_aws: Vec<NotAnAwsCredential> = held
            .not_aws
            .iter()
            .map(|(credential, why)| NotAnAwsCredential {
                credential: credential.clone(),
                reason: why.to_string(),
            })
            .collect();
        self.reporter.station(&StationEvent::Identified {
            key: &key,
            credentials: &shown,
            not_aws: &not_aws,
        });
        let candidates = held.served;
        if candidates.is_empty() {
            return vec![no_credential(&served, &self.accounts, &held.other_accounts)];
        }
        let (mapped, mut results) = self.map(&served, candidates).await;
        if mapped.is_empty() {
            return results;
        }
        let ids: Vec<Vec<u8>> = mapped.iter().map(|(c, _)| c.id.clone()).collect();
        let sources = match open.sources(&ids) {
            Ok(sources) => sources,
            Err(e) => {
                let e = Error::from(e);
                results.extend(mapped.iter().map(|(_, t)| {
                    served.failed(
                        Error::Device(DeviceError::Malformed {
                            what: e.to_string(),
                        }),
                        Some(t.user.to_string()),
                        Some(t.serial.to_string()),
                    )
                }));
                return results;
            }
        };
        let runs = mapped
            .into_iter()
            .zip(sources)
            .map(|((_, target), source)| {
                self.resync_one(&served, target, source, interrupt.clone())
            });
        results.extend(futures_util::future::join_all(runs).await);
        results
    }

    /// Each candidate's device, or its result line; two credentials naming one device are both
    /// refused (which one is the device's cannot be told).
    async fn map(
        &self,
        served: &Served<'_>,
        candidates: Vec<Candidate>,
    ) -> (Vec<(Candidate, Target)>, Vec<KeyResult>) {
        let mut mapped: Vec<(Candidate, Target)> = Vec::new();
        let mut results = Vec::new();
        for candidate in candidates {
            let named = match &candidate.name {
                AwsName::Serial(serial) => Some(serial.to_string()),
                AwsName::Owner { .. } => None,
            };
            match self
                .devices
                .target(&self.run.session, &candidate.name, served.arrived)
                .await
            {
                Ok(Ok((user, serial))) => mapped.push((
                    candidate,
                    Target {
                        user,
                        user_from: "the key's credential",
                        serial,
                        serial_from: "iam:ListVirtualMFADevices",
                    },
                )),
                Ok(Err(problem)) => results.push(served.result(
                    None,
                    named,
                    RowResult::Failed {
                        exit: problem.exit(),
                        error: format!("{}: {problem}; nothing was sent", candidate.shown),
                    },
                )),
                Err(e) => results.push(served.failed(e, None, named)),
            }
        }
        let mut kept = Vec::new();
        for (candidate, target) in &mapped {
            let same: Vec<&str> = mapped
                .iter()
                .filter(|(_, t)| t.serial == target.serial)
                .map(|(c, _)| c.shown.as_str())
                .collect();
            if same.len() > 1 {
                results.push(served.result(
                    Some(target.user.to_string()),
                    Some(target.serial.to_string()),
                    RowResult::Failed {
                        exit: Exit::Device,
                        error: format!(
                            "{} credentials on this key name this device ({}); nothing was sent",
                            same.len(),
                            same.join(", ")
                        ),
                    },
                ));
            } else {
                kept.push((candidate.clone(), target.clone()));
            }
        }
        (kept, results)
    }
}
