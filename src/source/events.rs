//! Reader events, as pcscd reports them: a card going into a reader or leaving it, a reader
//! appearing or going away. A station waits on these instead of polling.
//!
//! One thread blocks in `SCardGetStatusChange` (pcsc-lite's API reference) with no timeout, over
//! the readers watched and the pseudo-reader `\\?PnP?\Notification`, which changes when a reader is
//! plugged in or out; idle, it costs no CPU. Each reader's state carries an event counter in its
//! upper 16 bits that pcscd bumps at every insertion and removal, so a key pulled and put back
//! between two wake-ups is still seen as a removal and an insertion ([`Tracker`]). The presence
//! bit is trusted first, the counter only for what the bit cannot show: pcscd marks a card gone as
//! soon as a command to it fails, and bumps the counter for that removal a poll later (`EMPTY` at
//! the count of the insertion, then `EMPTY` again at the next), which is no new insertion.
//! Stopping cancels the blocking call (`SCardCancel`).
//!
//! pcscd going away (stopped, restarted by a package upgrade, gone over a suspend) is no end: the
//! watch says so ([`ReaderEvent::PcscdLost`]), connects again with a growing pause
//! ([`Backoff`]), says when it is back ([`ReaderEvent::PcscdBack`]) and reports the cards then in
//! the readers as insertions, as at the start: what pcscd knew of them went with it.
//!
//! Owns the PC/SC context of the watch and nothing else: it opens no card and knows nothing of
//! keys, accounts or AWS. What it sees goes to the sink it is handed.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pcsc::{Context, ReaderState, Scope, State};

use super::DeviceError;
use super::smartcard::pcsc_error;

mod tracker;
pub use tracker::{Seen, Tracker};

/// What changed in the readers.
#[derive(Debug)]
pub enum ReaderEvent {
    /// A card went into `reader` (or was in it when the watch began).
    Inserted {
        /// The reader, named in full.
        reader: String,
    },
    /// The card in `reader` left it (or the reader went away with it).
    Removed {
        /// The reader.
        reader: String,
    },
    /// The cards that were in the readers when the watch began have been reported: what follows
    /// happens from now on.
    Ready,
    /// A reader was plugged in (and is watched from now on).
    ReaderAdded {
        /// The reader.
        reader: String,
    },
    /// A reader was unplugged.
    ReaderGone {
        /// The reader.
        reader: String,
    },
    /// pcscd went away (or PC/SC failed): the cards it knew are gone with it, and the watch
    /// connects again until it is back.
    PcscdLost(DeviceError),
    /// pcscd is back: the cards in the readers follow as insertions.
    PcscdBack,
}

/// The pauses between attempts to reach pcscd again: short at first (a restart takes a moment),
/// growing to [`Backoff::MAX`] so that a pcscd gone for hours costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff(Duration);

impl Backoff {
    /// The first pause.
    pub const FIRST: Duration = Duration::from_millis(250);
    /// The longest pause.
    pub const MAX: Duration = Duration::from_secs(5);

    /// The pause before the next attempt, and the one after it.
    pub fn pause(&mut self) -> Duration {
        let pause = self.0;
        self.0 = (self.0 * 2).min(Self::MAX);
        pause
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff(Self::FIRST)
    }
}

/// Where a watch sends what it sees.
pub type Sink = Box<dyn FnMut(ReaderEvent) + Send>;

/// A running watch; stopping it (or dropping it) ends its thread.
pub struct ReaderWatch {
    /// The watch's current context (a new one after pcscd comes back), to cancel its call.
    context: Arc<Mutex<Context>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ReaderWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderWatch").finish_non_exhaustive()
    }
}

impl ReaderWatch {
    /// Starts watching the readers named in `only` (every reader, when empty, including those
    /// plugged in later), sending events to `sink` from a thread of its own. The first events
    /// are the cards already in the readers.
    pub fn start(only: Vec<String>, sink: Sink) -> Result<ReaderWatch, DeviceError> {
        let context = Context::establish(Scope::User).map_err(|e| pcsc_error(e.into()))?;
        let context = Arc::new(Mutex::new(context));
        let stop = Arc::new(AtomicBool::new(false));
        let watch = Watch {
            context: Arc::clone(&context),
            only,
            stop: Arc::clone(&stop),
            sink,
            tracker: Tracker::default(),
            ready: false,
        };
        let thread = std::thread::Builder::new()
            .name("reader-events".into())
            .spawn(move || watch.run())
            .map_err(|e| DeviceError::Transport {
                detail: format!("cannot start the reader watch: {e}"),
            })?;
        Ok(ReaderWatch {
            context,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for ReaderWatch {
    /// Cancels the blocking call (again, should the thread be between two calls when the first
    /// cancel comes) until the thread has ended.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let Some(thread) = self.thread.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        while !thread.is_finished() && Instant::now() < deadline {
            let _ = lock(&self.context).cancel();
            std::thread::sleep(Duration::from_millis(5));
        }
        if thread.is_finished() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The watching thread's state.
struct Watch {
    context: Arc<Mutex<Context>>,
    only: Vec<String>,
    stop: Arc<AtomicBool>,
    sink: Sink,
    tracker: Tracker,
    /// The cards there at the start have been reported ([`ReaderEvent::Ready`], said once).
    ready: bool,
}

impl Watch {
    /// Watches until stopped: through every loss of pcscd, each followed by a reconnection.
    fn run(mut self) {
        loop {
            let lost = match self.watch() {
                Ok(()) => return,
                Err(e) => e,
            };
            tracing::warn!(error = %lost, "pcscd went away; connecting again");
            (self.sink)(ReaderEvent::PcscdLost(lost));
            // What pcscd knew went with it: the cards in the readers are new to the next one.
            self.tracker = Tracker::default();
            if !self.reconnect() {
                return;
            }
            (self.sink)(ReaderEvent::PcscdBack);
        }
    }

    /// Connects to pcscd again, pausing longer after each failure; false when stopped first.
    fn reconnect(&mut self) -> bool {
        let mut backoff = Backoff::default();
        loop {
            let pause = backoff.pause();
            let until = Instant::now() + pause;
            while Instant::now() < until {
                if self.stop.load(Ordering::SeqCst) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(50).min(pause));
            }
            let Ok(context) = Context::establish(Scope::User) else {
                continue;
            };
            // A context is had even from a socket-activated pcscd still starting: it is back once
            // it lists its readers.
            match context.list_readers_len() {
                Ok(_) | Err(pcsc::Error::NoReadersAvailable) => {
                    *lock(&self.context) = context;
                    return true;
                }
                Err(_) => continue,
            }
        }
    }

    /// The readers to watch now: those there are, cut down to `only` when it names some.
    fn readers(&self) -> Result<Vec<String>, DeviceError> {
        let names = match lock(&self.context).list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(pcsc_error(e.into())),
        };
        Ok(names
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| self.only.is_empty() || self.only.contains(n))
            .collect())
    }

    /// Watches on the current context until stopped (`Ok`) or pcscd is lost (the error).
    fn watch(&mut self) -> Result<(), DeviceError> {
        // The pseudo-reader first; then one state per reader, each starting unaware so that the
        // first call returns at once with the cards already in.
        let mut states = vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)];
        self.sync_readers(&mut states, false)?;
        let context = lock(&self.context).clone();
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            match context.get_status_change(None, &mut states) {
                Ok(()) => {}
                Err(pcsc::Error::Cancelled) if self.stop.load(Ordering::SeqCst) => return Ok(()),
                Err(pcsc::Error::Cancelled | pcsc::Error::Timeout) => continue,
                // A reader went away between the listing and the call: list again.
                Err(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable) => {
                    self.sync_readers(&mut states, true)?;
                    continue;
                }
                // pcscd gone while the call blocked: the client library answers a broken
                // connection to the daemon with SCARD_F_COMM_ERROR.
                Err(pcsc::Error::CommError) => {
                    return Err(DeviceError::PcscdUnavailable {
                        detail: "the connection to pcscd broke while watching the readers".into(),
                    });
                }
                Err(e) => return Err(pcsc_error(e.into())),
            }
            let mut readers_changed = false;
            for state in &mut states {
                let event = state.event_state();
                if !event.contains(State::CHANGED) {
                    continue;
                }
                state.sync_current_state();
                if state.name() == pcsc::PNP_NOTIFICATION()
                    || event.intersects(State::UNKNOWN | State::UNAVAILABLE | State::IGNORE)
                {
                    readers_changed = true;
                    continue;
                }
                let name = state.name().to_string_lossy().into_owned();
                let seen = Seen {
                    present: event.contains(State::PRESENT),
                    count: state.event_count(),
                };
                tracing::debug!(reader = %name, state = ?event, count = seen.count, "reader state");
                for e in self.tracker.look(&name, seen) {
                    (self.sink)(e);
                }
            }
            if readers_changed {
                self.sync_readers(&mut states, true)?;
            }
            if !self.ready {
                self.ready = true;
                (self.sink)(ReaderEvent::Ready);
            }
        }
    }

    /// Brings the watched readers in line with those there are: a new one is watched (and its
    /// card, if any, reported), a vanished one reported gone. Readers there from the start of a
    /// watch are not `added`.
    fn sync_readers(
        &mut self,
        states: &mut Vec<ReaderState>,
        added: bool,
    ) -> Result<(), DeviceError> {
        let now = self.readers()?;
        // The readers watched: every state after the pseudo-reader's.
        let watched: Vec<String> = states[1..]
            .iter()
            .map(|s| s.name().to_string_lossy().into_owned())
            .collect();
        for reader in watched.iter().filter(|r| !now.contains(r)) {
            states.retain(|s| s.name().to_string_lossy() != reader.as_str());
            for e in self.tracker.gone(reader) {
                (self.sink)(e);
            }
        }
        for reader in now.into_iter().filter(|r| !watched.contains(r)) {
            let Ok(name) = CString::new(reader.clone()) else {
                continue;
            };
            states.push(ReaderState::new(name, State::UNAWARE));
            if added {
                (self.sink)(ReaderEvent::ReaderAdded { reader });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnecting_pauses_grow_to_a_ceiling() {
        let mut backoff = Backoff::default();
        let pauses: Vec<u128> = (0..8).map(|_| backoff.pause().as_millis()).collect();
        assert_eq!(pauses, [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    }
}
