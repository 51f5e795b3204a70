//! The keys of a running station: which are in service, which wait for a free slot, which readers
//! hold a card, and the serial last seen in each reader, so that every line names the key of the
//! event that caused it. A key in service shares its [`Fate`] with the desk: the desk says why it
//! was let go (pulled, or pcscd gone), the key says who it is once identified.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, OnceLock};

use futures_util::stream::FuturesUnordered;
use tokio::sync::watch;

use super::{Serving, Station};
use crate::exit::Exit;
use crate::pipeline::{Interrupt, Tally};
use crate::report::{KeyResult, RowResult, StationEvent};

/// Why a key in service was let go before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// It was pulled out of its reader.
    Removed,
    /// pcscd went away under it.
    PcscdLost,
}

/// What the desk and a key's flow know of each other.
#[derive(Debug, Default)]
pub struct Fate {
    /// Why the desk let it go, if it did.
    pub left: OnceLock<Left>,
    /// Its serial, once identified.
    pub key: OnceLock<u32>,
}

/// A key in service.
struct Active {
    cancel: watch::Sender<bool>,
    fate: Arc<Fate>,
}

impl Active {
    /// Lets the key go for `why` (the first reason sticks).
    fn let_go(&self, why: Left) {
        let _ = self.fate.left.set(why);
        let _ = self.cancel.send(true);
    }
}

/// The keys of a running station.
#[derive(Default)]
pub struct Desk {
    active: HashMap<String, Active>,
    queue: VecDeque<String>,
    present: HashSet<String>,
    /// The serial of the key last identified in each reader, until another key goes in.
    keys: HashMap<String, u32>,
    pub(super) tally: Tally,
}

impl Desk {
    /// A card went into `reader`: a new key, whose serial is not yet known.
    pub fn inserted(&mut self, reader: &str) {
        self.present.insert(reader.to_string());
        self.keys.remove(reader);
    }

    /// The serial of the key in `reader` (in service, or last served there), for its lines.
    pub fn key_in(&self, reader: &str) -> Option<u32> {
        self.active
            .get(reader)
            .and_then(|a| a.fate.key.get().copied())
            .or_else(|| self.keys.get(reader).copied())
    }

    /// A key's flow ended with `results`: its reader is free, and its serial kept for a removal.
    pub fn finished(&mut self, reader: &str, results: &[KeyResult]) {
        if let Some(active) = self.active.remove(reader)
            && let Some(key) = active.fate.key.get()
        {
            self.keys.insert(reader.to_string(), *key);
        }
        for result in results {
            self.tally.add(&result.result);
        }
    }

    /// Whether nothing is in service or waiting.
    pub fn idle(&self) -> bool {
        self.active.is_empty() && self.queue.is_empty()
    }

    /// Starts serving the key in `reader`, or queues it while `max_keys` are in service (or the
    /// reader's previous key is still being let go).
    pub fn wait_or_start<'j>(
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
        let fate = Arc::new(Fate::default());
        self.active.insert(
            reader.clone(),
            Active {
                cancel,
                fate: Arc::clone(&fate),
            },
        );
        serving.push(Box::pin(async move {
            let results = station.serve_key(reader.clone(), interrupt, fate).await;
            (reader, results)
        }));
    }

    /// Starts the queued keys there is now room for, in the order they came.
    pub fn start_queued<'j>(
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

    /// The key in `reader` left: a key in service is let go (its result says so), a queued one
    /// gets its line now.
    pub fn removed(&mut self, station: &Station<'_>, reader: &str) {
        self.present.remove(reader);
        if let Some(active) = self.active.get(reader) {
            active.let_go(Left::Removed);
        } else if let Some(at) = self.queue.iter().position(|r| r == reader) {
            self.queue.remove(at);
            self.end_unserved(
                station,
                reader.to_string(),
                Exit::Device,
                "removed before it was served; nothing was sent",
            );
        }
    }

    /// pcscd went away: every key in service is let go, the queue ends unserved, and no reader is
    /// known to hold a card until pcscd says so again.
    pub fn pcscd_lost(&mut self, station: &Station<'_>) {
        for active in self.active.values() {
            active.let_go(Left::PcscdLost);
        }
        self.present.clear();
        self.abandon_queue(
            station,
            Exit::Device,
            "not served: pcscd went away; nothing was sent",
        );
    }

    /// Ctrl-C: every key in service is cancelled (nothing of its pair is sent unless a submission
    /// is under way, which finishes), and the queue ends unserved.
    pub fn interrupted(&mut self, station: &Station<'_>) {
        for active in self.active.values() {
            let _ = active.cancel.send(true);
        }
        self.abandon_queue(
            station,
            Exit::Interrupted,
            "interrupted before it was served; nothing was sent",
        );
    }

    fn abandon_queue(&mut self, station: &Station<'_>, exit: Exit, why: &str) {
        for reader in std::mem::take(&mut self.queue) {
            self.end_unserved(station, reader, exit, why);
        }
    }

    /// The result line of a key that was never served.
    fn end_unserved(&mut self, station: &Station<'_>, reader: String, exit: Exit, why: &str) {
        let result = KeyResult {
            key: self.keys.get(&reader).copied(),
            reader,
            user: None,
            serial: None,
            counters: None,
            result: RowResult::Failed {
                exit,
                error: why.to_string(),
            },
        };
        self.tally.add(&result.result);
        station.reporter.station(&StationEvent::Result(&result));
    }
}
