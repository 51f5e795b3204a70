//! One credential's device, served in its turn: one key at a time per device (a primary and a
//! backup holding the same seed take turns), each starting past every counter the session sent
//! for it, so that a key put back is served again but never in a window whose code it already
//! sent. A key that waits says why: whose turn it is, or that the device was resynced in this
//! window and when its next pair goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use yubikit::platform::pcsc::PcscSmartCardConnection;

use super::Station;
use super::served::Served;
use crate::error::Error;
use crate::pipeline::lock;
use crate::pipeline::reader::Progress;
use crate::pipeline::{DEFAULT_MAX_ATTEMPTS, Interrupt, PairReader, Target, read_and_send};
use crate::report::{KeyAtDevice, KeyResult, RowResult, StationEvent, WaitReason};
use crate::source::yubikey::YubiKeySource;
use crate::window::{Mode, Period, Planner};

/// Per device, the key whose turn it is (its reader and serial).
pub type Turns = Mutex<HashMap<String, (String, Option<u32>)>>;

/// A key's turn at a device, named in [`Turns`] while it lasts.
struct Turn<'s> {
    turns: &'s Turns,
    serial: String,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        lock(self.turns).remove(&self.serial);
    }
}

impl Station<'_> {
    /// Resyncs one credential's device in its turn, past every counter the session sent for it.
    pub(super) async fn resync_one(
        &self,
        served: &Served<'_>,
        target: Target,
        source: YubiKeySource<PcscSmartCardConnection>,
        mut interrupt: Interrupt,
    ) -> KeyResult {
        let user = Some(target.user.to_string());
        let serial = Some(target.serial.to_string());
        let at = KeyAtDevice {
            reader: served.reader,
            key: served.key,
            user: target.user.as_str(),
            serial: target.serial.as_str(),
        };
        let waiting =
            |why: WaitReason<'_>| self.reporter.station(&StationEvent::Waiting { at, why });
        let device = Arc::clone(
            lock(&self.locks)
                .entry(target.serial.to_string())
                .or_default(),
        );
        let mut used = match device.clone().try_lock_owned() {
            Ok(guard) => guard,
            Err(_) => {
                // Whose turn it is: a reader and a key's serial.
                let turn = lock(&self.turns).get(target.serial.as_str()).cloned();
                if let Some((reader, key)) = turn {
                    waiting(WaitReason::DeviceInUse {
                        reader: &reader,
                        key,
                    });
                }
                tokio::select! {
                    biased;
                    () = interrupt.wait() => return served.failed(Error::interrupted(), user, serial),
                    guard = device.lock_owned() => guard,
                }
            }
        };
        // Its lock is held: the turn is this key's until it is dropped.
        let turn = Turn {
            turns: &self.turns,
            serial: target.serial.to_string(),
        };
        lock(turn.turns).insert(turn.serial.clone(), (served.reader.to_string(), served.key));
        let clock = self.run.session.clock();
        let mut planner = Planner::new(Period::DEFAULT, Mode::Wait);
        if let Some(counter) = *used {
            planner.record_used(counter);
        }
        let pair = planner.next_pair(clock.now());
        if pair.first > Period::DEFAULT.counter_at(clock.now()) {
            let until = planner.code2_due(pair);
            waiting(WaitReason::UsedThisWindow { until });
        }
        let key = served
            .key
            .map_or_else(|| served.reader.to_string(), |s| s.to_string());
        let reporter = self.reporter.labelled(format!("{key} {}", target.user));
        let events = self.reporter.clone();
        let (reader, key_serial) = (served.reader.to_string(), served.key);
        let (who, what) = (target.user.to_string(), target.serial.to_string());
        let observer = Box::new(move |progress: Progress| {
            let at = KeyAtDevice {
                reader: &reader,
                key: key_serial,
                user: &who,
                serial: &what,
            };
            events.station(&match progress {
                Progress::Code1Read { counter, code2_due } => StationEvent::Code1Read {
                    at,
                    counter,
                    code2_at: code2_due,
                },
                Progress::Code2Read { counter } => StationEvent::Submitting {
                    at,
                    counters: [counter.saturating_sub(1), counter],
                },
            });
        });
        let reader = PairReader::new(
            Box::new(source),
            clock,
            Mode::Wait,
            reporter.clone(),
            interrupt,
        )
        .after(*used)
        .observed(observer);
        let (limit, attempts) = (Some(&self.submissions), DEFAULT_MAX_ATTEMPTS);
        let outcome = read_and_send(self.run, target, reader, attempts, limit, &reporter).await;
        self.pairs_sent
            .fetch_add(outcome.pairs_sent, std::sync::atomic::Ordering::SeqCst);
        *used = outcome.last_sent;
        // The turn is named no more before the next key can take it.
        drop(turn);
        drop(used);
        match outcome.result {
            Ok(done) => KeyResult {
                counters: done.counters,
                ..served.result(
                    user,
                    serial,
                    RowResult::Resynced {
                        attempts: done.attempts,
                        request_id: done.request_id,
                    },
                )
            },
            Err(e) => served.failed(e, user, serial),
        }
    }
}
