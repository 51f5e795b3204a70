//! A help-desk station: the per-key flow ([`key`]) run for each key as pcscd reports it, on one
//! AWS session, until Ctrl-C (or, with `--once`, until the keys present or the first one inserted
//! are done). The device layer reports insertions and removals ([`crate::source::events`]); here
//! they start and cancel keys, at most `--max-keys` at a time (more wait their turn, in order).
//!
//! Keys in service together read code 1 at once and wait for the same boundary, since their
//! readers plan on one server clock, as a `--batch`'s rows do; a key inserted during a wait joins
//! the next boundary. Which credentials a key holds for the accounts served is [`naming`]'s rule,
//! their devices [`devices`]' listing. This module knows nothing of clap and prints nothing
//! itself: every line is a [`StationEvent`] for the reporter.

mod devices;
mod key;
mod naming;

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{mpsc, watch};

use devices::DeviceMap;
pub(crate) use devices::MapError;

use super::{Interrupt, Run, Shared, Tally};
use crate::error::{Error, Interrupted, Targets};
use crate::exit::Exit;
use crate::report::{KeyResult, Reporter, RowResult, StationEvent};
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
    let account = run
        .session
        .caller
        .as_ref()
        .map(|c| c.account.clone())
        .unwrap_or_default();
    let accounts = request.served_accounts(&account)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let watch = ReaderWatch::start(
        request.readers.clone(),
        Box::new(move |event| {
            let _ = tx.send(event);
        }),
    )?;
    let station = Station::new(run, accounts, reporter.clone());
    let options = Options {
        once: request.once,
        max_keys: request.max_keys as usize,
        readers: if request.readers.is_empty() {
            readers
        } else {
            request.readers.clone()
        },
        all_readers: request.readers.is_empty(),
    };
    let result = station.run(rx, run.interrupt.clone(), options).await;
    watch.stop();
    result
}

/// How the station runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Serve the keys present, or the first inserted, then stop.
    pub once: bool,
    /// Keys in service at once.
    pub max_keys: usize,
    /// The readers watched at the start (for the first line).
    pub readers: Vec<String>,
    /// Whether every reader is watched, those plugged in later too.
    pub all_readers: bool,
}

/// One session's station: what its keys share.
pub struct Station<'a> {
    run: &'a Run,
    /// The accounts whose credentials are served.
    accounts: Vec<String>,
    devices: DeviceMap,
    /// Per device: one key at a time, and the highest counter the session sent for it.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<u64>>>>>,
    submissions: tokio::sync::Semaphore,
    reporter: Reporter,
    /// Pairs sent by keys that Ctrl-C then abandoned (their retries).
    abandoned_pairs: AtomicU32,
}

/// A key in service.
struct Active {
    cancel: watch::Sender<bool>,
    removed: Arc<AtomicBool>,
}

/// Why the station stops.
enum Stop {
    Interrupted,
    Failed(DeviceError),
}

/// A key being served: its reader, and its results when done.
type Serving<'j> = Pin<Box<dyn Future<Output = (String, Vec<KeyResult>)> + 'j>>;

impl<'a> Station<'a> {
    /// A station on `run` serving the credentials of `accounts`.
    pub fn new(run: &'a Run, accounts: Vec<String>, reporter: Reporter) -> Self {
        Station {
            run,
            accounts,
            devices: DeviceMap::default(),
            locks: Mutex::new(HashMap::new()),
            submissions: tokio::sync::Semaphore::new(crate::pipeline::MAX_IN_FLIGHT),
            reporter,
            abandoned_pairs: AtomicU32::new(0),
        }
    }

    fn shared(&self) -> Shared<'_> {
        self.run.shared(Some(&self.submissions))
    }

    fn device_lock(&self, serial: &str) -> Arc<tokio::sync::Mutex<Option<u64>>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(locks.entry(serial.to_string()).or_default())
    }

    /// Serves keys as `events` reports them until `interrupt` (or, with `--once`, until the keys
    /// are done). Ctrl-C abandons keys that wait or read (nothing of their pairs is sent) and lets
    /// a submission under way finish; the result is then [`Error::Interrupted`].
    pub async fn run(
        &self,
        mut events: mpsc::UnboundedReceiver<ReaderEvent>,
        mut interrupt: Interrupt,
        options: Options,
    ) -> Result<(), Error> {
        let operator = self.run.session.operator().unwrap_or_default();
        self.reporter.station(&StationEvent::Started {
            readers: &options.readers,
            all_readers: options.all_readers,
            accounts: &self.accounts,
            operator: &operator,
        });
        let mut desk = Desk::default();
        let mut serving: FuturesUnordered<Serving<'_>> = FuturesUnordered::new();
        let mut events_open = true;
        let mut ready = false;
        let mut accepting = true;
        loop {
            if desk.stop.is_some() && serving.is_empty() {
                drop(serving);
                return self.stopped(desk);
            }
            if options.once && ready && !accepting && serving.is_empty() && desk.queue.is_empty() {
                return self.done_once(&desk);
            }
            tokio::select! {
                biased;
                () = interrupt.wait(), if desk.stop.is_none() => {
                    desk.stop = Some(Stop::Interrupted);
                    self.abandon(&mut desk, "interrupted before it was served; nothing was sent", Exit::Interrupted);
                }
                event = events.recv(), if events_open => match event {
                    Some(ReaderEvent::Ready) => {
                        ready = true;
                        accepting = serving.is_empty() && desk.queue.is_empty();
                    }
                    Some(ReaderEvent::Inserted { reader }) => {
                        self.reporter.station(&StationEvent::Inserted { reader: &reader });
                        desk.present.insert(reader.clone());
                        let wanted = desk.stop.is_none() && (!options.once || !ready || accepting);
                        if wanted {
                            if ready {
                                accepting = false;
                            }
                            desk.wait_or_start(self, &mut serving, reader, options.max_keys);
                        }
                    }
                    Some(ReaderEvent::Removed { reader }) => {
                        desk.present.remove(&reader);
                        self.reporter.station(&StationEvent::Removed {
                            reader: &reader,
                            key: desk.keys.get(&reader).copied(),
                        });
                        desk.removed(self, &reader);
                    }
                    Some(ReaderEvent::ReaderAdded { reader }) => {
                        self.reporter.station(&StationEvent::ReaderAdded { reader: &reader });
                    }
                    Some(ReaderEvent::ReaderGone { reader }) => {
                        self.reporter.station(&StationEvent::ReaderRemoved { reader: &reader });
                    }
                    Some(ReaderEvent::Ended(e)) => {
                        events_open = false;
                        desk.stop.get_or_insert(Stop::Failed(e));
                        self.abandon(&mut desk, "not served: the station stopped; nothing was sent", Exit::Device);
                    }
                    None => {
                        events_open = false;
                        desk.stop.get_or_insert(Stop::Failed(DeviceError::Transport {
                            detail: "the reader watch ended".into(),
                        }));
                        self.abandon(&mut desk, "not served: the station stopped; nothing was sent", Exit::Device);
                    }
                },
                Some((reader, results)) = serving.next(), if !serving.is_empty() => {
                    desk.active.remove(&reader);
                    for result in &results {
                        if let Some(key) = result.key {
                            desk.keys.insert(reader.clone(), key);
                        }
                        desk.tally.add(&result.result);
                        self.reporter.station(&StationEvent::Result(result));
                    }
                    if desk.stop.is_none() {
                        desk.start_queued(self, &mut serving, options.max_keys);
                    }
                }
            }
        }
    }

    /// Cancels every key in service and ends the queue with `why`.
    fn abandon(&self, desk: &mut Desk, why: &str, exit: Exit) {
        for active in desk.active.values() {
            let _ = active.cancel.send(true);
        }
        for reader in std::mem::take(&mut desk.queue) {
            let result = KeyResult {
                key: desk.keys.get(&reader).copied(),
                reader,
                user: None,
                serial: None,
                counters: None,
                result: RowResult::Failed {
                    exit,
                    error: why.to_string(),
                },
            };
            desk.tally.add(&result.result);
            self.reporter.station(&StationEvent::Result(&result));
        }
    }

    fn stopped(&self, desk: Desk) -> Result<(), Error> {
        match desk.stop {
            Some(Stop::Failed(e)) => {
                self.reporter.station(&StationEvent::Stopped {
                    reason: "the readers can no longer be watched",
                });
                Err(Error::Device(e))
            }
            _ => {
                self.reporter.station(&StationEvent::Stopped {
                    reason: "interrupted",
                });
                Err(Error::Interrupted(Interrupted::after(
                    self.abandoned_pairs.load(Ordering::SeqCst),
                    0,
                )))
            }
        }
    }

    fn done_once(&self, desk: &Desk) -> Result<(), Error> {
        self.reporter.station(&StationEvent::Stopped {
            reason: "--once: the keys are done",
        });
        desk.tally.outcome(Targets::Keys)?;
        self.run.finish("every key's resync itself succeeded")
    }
}

/// The keys of a running station.
#[derive(Default)]
struct Desk {
    active: HashMap<String, Active>,
    queue: VecDeque<String>,
    present: HashSet<String>,
    /// The serial of the key last served in each reader, for its removal line.
    keys: HashMap<String, u32>,
    stop: Option<Stop>,
    tally: Tally,
}

impl Desk {
    /// Starts serving the key in `reader`, or queues it while `max_keys` are in service (or the
    /// reader's previous key is still being let go).
    fn wait_or_start<'j>(
        &mut self,
        station: &'j Station<'_>,
        serving: &mut FuturesUnordered<Serving<'j>>,
        reader: String,
        max_keys: usize,
    ) {
        if self.active.contains_key(&reader) || self.active.len() >= max_keys {
            if !self.queue.contains(&reader) {
                if !self.active.contains_key(&reader) {
                    station
                        .reporter
                        .station(&StationEvent::Queued { reader: &reader });
                }
                self.queue.push_back(reader);
            }
            return;
        }
        let (cancel, interrupt) = Interrupt::manual();
        let removed = Arc::new(AtomicBool::new(false));
        self.active.insert(
            reader.clone(),
            Active {
                cancel,
                removed: Arc::clone(&removed),
            },
        );
        serving.push(Box::pin(async move {
            let results = station.serve_key(reader.clone(), interrupt, removed).await;
            (reader, results)
        }));
    }

    /// Starts the queued keys there is now room for, in the order they came.
    fn start_queued<'j>(
        &mut self,
        station: &'j Station<'_>,
        serving: &mut FuturesUnordered<Serving<'j>>,
        max_keys: usize,
    ) {
        let waiting: Vec<String> = self.queue.drain(..).collect();
        for reader in waiting {
            if self.present.contains(&reader) {
                self.wait_or_start(station, serving, reader, max_keys);
            }
        }
    }

    /// The key in `reader` left: a key in service is cancelled (its result says so), a queued
    /// one gets its line now.
    fn removed(&mut self, station: &Station<'_>, reader: &str) {
        if let Some(active) = self.active.get(reader) {
            active.removed.store(true, Ordering::SeqCst);
            let _ = active.cancel.send(true);
        } else if let Some(at) = self.queue.iter().position(|r| r == reader) {
            self.queue.remove(at);
            let result = KeyResult {
                reader: reader.to_string(),
                key: None,
                user: None,
                serial: None,
                counters: None,
                result: RowResult::Failed {
                    exit: Exit::Device,
                    error: "removed before it was served; nothing was sent".into(),
                },
            };
            self.tally.add(&result.result);
            station.reporter.station(&StationEvent::Result(&result));
        }
    }
}
