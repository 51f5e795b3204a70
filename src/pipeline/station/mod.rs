//! A help-desk station: the per-key flow ([`key`]) run for each key as pcscd reports it, on one
//! AWS session, until Ctrl-C (or, with `--once`, until the keys present or the first one inserted
//! are done). The device layer reports insertions and removals ([`crate::source::events`]); here
//! they start and cancel keys ([`desk`]), at most `--max-keys` at a time (more wait their turn, in
//! order). A station runs for weeks: pcscd going away (restarted by an upgrade, gone over a
//! suspend) lets the keys in service go, says so, and the station serves again once it is back;
//! only a signal (or `--once`) ends it, with a summary of what it did.
//!
//! Keys in service together read code 1 at once and wait for the same boundary, since their
//! readers plan on one server clock, as a `--batch`'s rows do; a key inserted during a wait joins
//! the next boundary. Which credentials a key holds for the accounts served is [`naming`]'s rule,
//! their devices [`devices`]' listing. This module knows nothing of clap and prints nothing
//! itself: every line is a [`StationEvent`] for the reporter.

mod desk;
pub(crate) mod devices;
mod key;
pub(crate) mod naming;
mod served;
mod turn;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;

use desk::Desk;
use devices::DeviceMap;

use super::Run;
use crate::error::{Error, Interrupted, Targets};
use crate::report::{KeyResult, Reporter, StationEvent};
use crate::request::StationRequest;
use crate::source::events::{ReaderEvent, ReaderWatch};
use crate::source::{DeviceError, smartcard};

/// The readers attached now, checked against `--reader` (before AWS is asked anything).
pub fn readers(request: &StationRequest) -> Result<Vec<String>, Error> {
    let readers: Vec<String> = smartcard::readers()?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    request.check_readers(&readers)?;
    Ok(readers)
}

/// Serves keys on `run` as `request` asks, from the reader watch's start until it stops;
/// `readers` are those attached at the start.
pub async fn serve(
    run: &Run,
    request: &StationRequest,
    readers: Vec<String>,
    reporter: &Reporter,
) -> Result<(), Error> {
    let caller = run.session.caller.as_ref();
    let accounts = request.served_accounts(caller.map_or("", |c| c.account.as_str()))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let watch = ReaderWatch::start(
        request.readers.clone(),
        Box::new(move |event| {
            let _ = tx.send(event);
        }),
    )?;
    let station = Station {
        run,
        accounts,
        devices: DeviceMap::default(),
        locks: Mutex::default(),
        turns: Mutex::default(),
        submissions: tokio::sync::Semaphore::new(crate::pipeline::MAX_IN_FLIGHT),
        reporter: reporter.clone(),
        pairs_sent: AtomicU32::new(0),
    };
    // Named in the first line: those `--reader` names, else every one attached now.
    let watched = if request.readers.is_empty() {
        readers
    } else {
        request.readers.clone()
    };
    let result = station.run(rx, request, &watched).await;
    drop(watch);
    result
}

/// One session's station: what its keys share.
pub struct Station<'a> {
    run: &'a Run,
    /// The accounts whose credentials are served.
    accounts: Vec<String>,
    devices: DeviceMap,
    /// Per device: one key at a time, and the highest counter the session sent for it.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<u64>>>>>,
    /// Per device, the key whose turn it is, for the others' wait.
    turns: turn::Turns,
    submissions: tokio::sync::Semaphore,
    reporter: Reporter,
    /// Pairs sent to AWS in the session, accepted or not.
    pairs_sent: AtomicU32,
}

/// Why the station stops.
enum Stop {
    Interrupted,
    Failed(DeviceError),
}

/// A key being served: its reader, and its results when done.
type Serving<'j> = Pin<Box<dyn Future<Output = (String, Vec<KeyResult>)> + 'j>>;

impl Station<'_> {
    /// Serves keys as `events` reports them until the run is stopped (or, with `--once`, until
    /// the keys are done), watching `readers` at the start. Ctrl-C abandons keys that wait or read
    /// (nothing of their pairs is sent) and lets a submission under way finish; the result is then
    /// [`Error::Interrupted`], which counts every pair the session sent and every one AWS accepted.
    async fn run(
        &self,
        mut events: mpsc::UnboundedReceiver<ReaderEvent>,
        request: &StationRequest,
        readers: &[String],
    ) -> Result<(), Error> {
        let mut interrupt = self.run.interrupt.clone();
        let (once, max_keys) = (request.once, request.max_keys as usize);
        let operator = self.run.session.operator().unwrap_or_default();
        self.reporter.station(&StationEvent::Started {
            readers,
            all_readers: request.readers.is_empty(),
            accounts: &self.accounts,
            operator: &operator,
        });
        let mut desk = Desk::default();
        let mut stop: Option<Stop> = None;
        let mut serving: FuturesUnordered<Serving<'_>> = FuturesUnordered::new();
        let mut events_open = true;
        let mut ready = false;
        let mut accepting = true;
        loop {
            if stop.is_some() && serving.is_empty() {
                drop(serving);
                return Err(match stop {
                    Some(Stop::Failed(e)) => {
                        self.say_stopped("the readers can no longer be watched", &desk);
                        Error::Device(e)
                    }
                    _ => {
                        self.say_stopped("interrupted", &desk);
                        let accepted = desk.tally.total - desk.tally.failed;
                        Error::Interrupted(Interrupted::after(
                            self.pairs_sent.load(Ordering::SeqCst),
                            u32::try_from(accepted).unwrap_or(u32::MAX),
                        ))
                    }
                });
            }
            if once && ready && !accepting && desk.idle() {
                self.say_stopped("--once: the keys are done", &desk);
                desk.tally.outcome(Targets::Keys)?;
                return self.run.finish("every key's resync itself succeeded");
            }
            tokio::select! {
                biased;
                () = interrupt.wait(), if stop.is_none() => {
                    stop = Some(Stop::Interrupted);
                    desk.interrupted(self);
                }
                event = events.recv(), if events_open => match event {
                    Some(ReaderEvent::Ready) => {
                        ready = true;
                        accepting = desk.idle();
                    }
                    Some(ReaderEvent::Inserted { reader }) => {
                        self.reporter.station(&StationEvent::Inserted { reader: &reader });
                        desk.inserted(&reader);
                        let wanted = stop.is_none() && (!once || !ready || accepting);
                        if wanted {
                            if ready {
                                accepting = false;
                            }
                            desk.wait_or_start(self, &mut serving, reader, max_keys);
                        }
                    }
                    Some(ReaderEvent::Removed { reader }) => {
                        self.reporter.station(&StationEvent::Removed {
                            reader: &reader,
                            key: desk.key_in(&reader),
                        });
                        desk.removed(self, &reader);
                    }
                    Some(ReaderEvent::ReaderAdded { reader }) => {
                        self.reporter.station(&StationEvent::ReaderAdded { reader: &reader });
                    }
                    Some(ReaderEvent::ReaderGone { reader }) => {
                        self.reporter.station(&StationEvent::ReaderRemoved { reader: &reader });
                    }
                    Some(ReaderEvent::PcscdLost(e)) => {
                        self.reporter.station(&StationEvent::PcscdLost { detail: &e.to_string() });
                        desk.pcscd_lost(self);
                    }
                    Some(ReaderEvent::PcscdBack) => {
                        self.reporter.station(&StationEvent::PcscdBack);
                    }
                    None => {
                        events_open = false;
                        stop.get_or_insert(Stop::Failed(DeviceError::Transport {
                            detail: "the reader watch ended".into(),
                        }));
                        desk.interrupted(self);
                    }
                },
                Some((reader, results)) = serving.next(), if !serving.is_empty() => {
                    desk.finished(&reader, &results);
                    for result in &results {
                        self.reporter.station(&StationEvent::Result(result));
                    }
                    if stop.is_none() {
                        desk.start_queued(self, &mut serving, max_keys);
                    }
                }
            }
        }
    }

    /// The last line: why, and what the session did.
    fn say_stopped(&self, reason: &str, desk: &Desk) {
        self.reporter.station(&StationEvent::Stopped {
            reason,
            resynced: desk.tally.total - desk.tally.failed,
            failed: desk.tally.failed,
            pairs_sent: self.pairs_sent.load(Ordering::SeqCst),
        });
    }
}
