//! One key at a station, from insertion to its result lines: identify it and open its OATH
//! application (unlocked with `MFA_RESYNC_OATH_PASSWORD`, never a prompt: staff cannot type a
//! user's password), keep the AWS credentials of the accounts served, map each to its IAM device,
//! and resync each through the one pipeline ([`read_and_send`]). Every failure stays this key's.
//!
//! Removal and Ctrl-C reach the key as one [`Interrupt`]: a wait or a read is abandoned at once
//! with nothing of its pair sent, while a submission already under way is let finish, so nothing
//! is ever half-sent. Each device is served by one key at a time (a primary and a backup holding
//! the same seed take turns), and starts past every counter sent for it before in the session:
//! a key put back is served again, never in a window whose code it already sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use yubikit::platform::pcsc::PcscSmartCardConnection;

use super::Station;
use super::naming::{self, AwsName, Candidate};
use crate::error::Error;
use crate::exit::Exit;
use crate::pipeline::open::oath_password_or;
use crate::pipeline::reader::Progress;
use crate::pipeline::{Interrupt, Reading, Target, read_and_send};
use crate::report::{KeyResult, NotAnAwsCredential, RowResult, StationEvent};
use crate::request::Pace;
use crate::source::yubikey::{KeyInfo, OpenKey, Password, Step, YubiKeySource, identify_in};
use crate::source::{DeviceError, Silent};
use crate::window::{Clock, Mode, Pair, SystemClock};

/// What a key's flow knows of it so far, for its result lines.
struct Served<'k> {
    reader: &'k str,
    /// When the station took the key up: its device listing is no older.
    arrived: std::time::Instant,
    key: Option<u32>,
    removed: &'k AtomicBool,
    /// The station's count of pairs sent by keys Ctrl-C abandoned.
    abandoned_pairs: &'k AtomicU32,
}

impl Served<'_> {
    fn label(&self) -> String {
        match self.key {
            Some(serial) => format!("YubiKey {serial}"),
            None => format!("the key in {}", self.reader),
        }
    }

    /// The result line of `error`; an interruption of a key that left is its removal.
    fn failed(&self, error: Error, user: Option<String>, serial: Option<String>) -> KeyResult {
        let removed = self.removed.load(Ordering::SeqCst);
        let (exit, text) = match error {
            Error::Interrupted(i) if !removed => {
                self.abandoned_pairs.fetch_add(i.sent, Ordering::SeqCst);
                (Exit::Interrupted, i.to_string())
            }
            Error::Interrupted(i) => {
                let sent = match i.sent {
                    0 => String::new(),
                    n => format!(" ({n} pair(s) sent before, none accepted)"),
                };
                let e = DeviceError::Removed { key: self.label() };
                (Exit::Device, format!("{e}{sent}"))
            }
            Error::Device(DeviceError::Removed { .. }) => (
                Exit::Device,
                DeviceError::Removed { key: self.label() }.to_string(),
            ),
            // A key pulled mid-command can leave PC/SC saying something else first.
            Error::Device(
                DeviceError::Transport { .. }
                | DeviceError::NoCard { .. }
                | DeviceError::NotAYubiKey { .. }
                | DeviceError::Malformed { .. }
                | DeviceError::Timeout { .. },
            ) if removed => (
                Exit::Device,
                DeviceError::Removed { key: self.label() }.to_string(),
            ),
            other => (other.exit(), other.to_string()),
        };
        KeyResult {
            reader: self.reader.to_string(),
            key: self.key,
            user,
            serial,
            counters: None,
            result: RowResult::Failed { exit, error: text },
        }
    }
}

impl Station<'_> {
    /// Serves the key in `reader` until each of its credentials has a result.
    pub(super) async fn serve_key(
        &self,
        reader: String,
        mut interrupt: Interrupt,
        removed: Arc<AtomicBool>,
    ) -> Vec<KeyResult> {
        let mut served = Served {
            reader: &reader,
            arrived: std::time::Instant::now(),
            key: None,
            removed: &removed,
            abandoned_pairs: &self.abandoned_pairs,
        };
        // A station never prompts: a locked key without the variable is that key's failure.
        let password = oath_password_or(Password::None);
        let now = SystemClock.now().as_secs();
        let in_reader = reader.clone();
        let task = tokio::task::spawn_blocking(move || {
            let (key, conn) = identify_in(&in_reader).map_err(|e| (None, e))?;
            let serial = key.serial;
            OpenKey::open(conn, key, password, now, &Silent).map_err(|e| (serial, e))
        });
        let opened = tokio::select! {
            biased;
            () = interrupt.wait() => return vec![served.failed(Error::interrupted(), None, None)],
            joined = task => match joined {
                Ok(opened) => opened,
                Err(_) => Err((None, DeviceError::Malformed {
                    what: "nothing: the identifying thread failed".into(),
                })),
            },
        };
        let open = match opened {
            Ok(open) => open,
            Err((key, e)) => {
                served.key = key;
                return vec![served.failed(e.into(), None, None)];
            }
        };
        let key = open.key().clone();
        served.key = key.serial;
        let aliases = if naming::alias_could_help(open.accounts(), &self.accounts) {
            self.run
                .session
                .aliases()
                .await
                .unwrap_or_default()
                .to_vec()
        } else {
            Vec::new()
        };
        let held = naming::served(open.accounts(), &self.accounts, &aliases);
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
            .map(|((candidate, target), source)| {
                self.resync_one(&served, &key, candidate, target, source, interrupt.clone())
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
                Ok(Err(problem)) => results.push(KeyResult {
                    reader: served.reader.to_string(),
                    key: served.key,
                    user: None,
                    serial: named,
                    counters: None,
                    result: RowResult::Failed {
                        exit: problem.exit(),
                        error: format!("{}: {problem}", candidate.shown),
                    },
                }),
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
                results.push(KeyResult {
                    reader: served.reader.to_string(),
                    key: served.key,
                    user: Some(target.user.to_string()),
                    serial: Some(target.serial.to_string()),
                    counters: None,
                    result: RowResult::Failed {
                        exit: Exit::Device,
                        error: format!(
                            "{} credentials on this key name this device ({}); nothing was sent",
                            same.len(),
                            same.join(", ")
                        ),
                    },
                });
            } else {
                kept.push((candidate.clone(), target.clone()));
            }
        }
        (kept, results)
    }

    /// Resyncs one credential's device: one key at a time per device, past every counter the
    /// session sent for it.
    async fn resync_one(
        &self,
        served: &Served<'_>,
        key: &KeyInfo,
        candidate: Candidate,
        target: Target,
        source: YubiKeySource<PcscSmartCardConnection>,
        mut interrupt: Interrupt,
    ) -> KeyResult {
        let user = Some(target.user.to_string());
        let serial = Some(target.serial.to_string());
        let lock = self.device_lock(target.serial.as_str());
        let mut used = tokio::select! {
            biased;
            () = interrupt.wait() => return served.failed(Error::interrupted(), user, serial),
            guard = lock.lock_owned() => guard,
        };
        let label = format!(
            "{} {}",
            key.serial
                .map_or_else(|| key.reader.clone(), |s| s.to_string()),
            target.user
        );
        let reporter = self.reporter.labelled(label);
        let events = self.reporter.clone();
        let (reader, key_serial) = (served.reader.to_string(), served.key);
        let (who, what) = (target.user.to_string(), target.serial.to_string());
        let observer = Box::new(move |progress: Progress| match progress {
            Progress::Code1Read { counter, code2_due } => {
                events.station(&StationEvent::Code1Read {
                    reader: &reader,
                    key: key_serial,
                    user: &who,
                    serial: &what,
                    counter,
                    code2_at: code2_due,
                });
            }
            Progress::Code2Read { counter } => {
                events.station(&StationEvent::Submitting {
                    reader: &reader,
                    key: key_serial,
                    user: &who,
                    serial: &what,
                    counters: [counter.saturating_sub(1), counter],
                });
            }
        });
        let step = match candidate.name {
            AwsName::Serial(_) => Step::Serial,
            AwsName::Owner { .. } => Step::QrCode,
        };
        let reading = Reading {
            source: Box::new(source),
            step: Some(step),
            pace: Pace {
                mode: Mode::Wait,
                max_attempts: crate::pipeline::DEFAULT_MAX_ATTEMPTS,
            },
            after: *used,
            observer: Some(observer),
        };
        let outcome = read_and_send(
            &self.run.session,
            target,
            reading,
            self.shared(),
            &reporter,
            interrupt,
        )
        .await;
        if let Some(counter) = outcome.last_sent {
            *used = Some(used.map_or(counter, |u| u.max(counter)));
        }
        drop(used);
        match outcome.result {
            Ok(done) => KeyResult {
                reader: served.reader.to_string(),
                key: served.key,
                user,
                serial,
                counters: done.sent.pair.map(Pair::counters),
                result: RowResult::Resynced {
                    attempts: done.sent.attempts,
                    request_id: done.sent.receipt.request_id,
                },
            },
            Err(e) => served.failed(e, user, serial),
        }
    }
}

/// `no AWS credential for account 123456789012 on this key`, and whose credentials it holds.
fn no_credential(served: &Served<'_>, accounts: &[String], others: &[String]) -> KeyResult {
    let plural = if accounts.len() == 1 { "" } else { "s" };
    let mut error = format!(
        "no AWS credential for account{plural} {} on this key",
        accounts.join(", ")
    );
    if !others.is_empty() {
        error.push_str(&format!(
            " (it holds credentials of {}); nothing was sent",
            others.join(", ")
        ));
    }
    KeyResult {
        reader: served.reader.to_string(),
        key: served.key,
        user: None,
        serial: None,
        counters: None,
        result: RowResult::Failed {
            exit: Exit::Device,
            error,
        },
    }
}
