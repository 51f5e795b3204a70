//! The card side of vsmartcard's vpcd protocol: the vpcd driver inside pcscd listens on
//! 127.0.0.1:35963 (reader `Virtual PCD 00 00`) and 35964 (`… 00 01`); a card "inserts" itself
//! by connecting. Every frame is a 2-byte big-endian length and a payload. A 1-byte payload is a
//! control byte — `00` power off, `01` power on, `02` reset (no answer), `04` send the ATR —
//! anything longer is a command APDU, answered with one response frame.
//!
//! Insertion and removal follow a [`Presence`]. A card goes in by connecting and counts as
//! inserted once pcscd has powered it up (or polled it three times). It goes out by closing the
//! link at once — a command under way then gets no answer, as when a key is pulled mid-transfer
//! — and counts as removed once it has stayed out for longer than pcscd's presence poll
//! interval.
//!
//! Why a time, not a sign from pcscd: vpcd's driver (vsmartcard `ifd-vpcd.c`, `vpcd.c`) sees a
//! card only when something asks `IFDHICCPresence` — pcscd's status thread about every 400 ms
//! (pcsc-lite's `PCSCLITE_STATUS_POLL_RATE`), but also `IFDPowerICC` before each power change.
//! Each check accepts a waiting connection if vpcd holds none and asks it for the ATR. Only the
//! status thread publishes what it finds, and a card cannot tell whose check it is answering.
//! If the card came back before the status thread had looked, that look would find it present
//! and pcscd would never report the removal (the old card "mid-reset" that never powers up, as
//! the main crate's e2e harness saw). Staying out longer than one status-poll interval makes
//! sure the status thread found the reader empty — and has published it — before the card is
//! back.
//!
//! Latency: the socket gets `TCP_NODELAY`, and `TCP_QUICKACK` before each read (vpcd sends a
//! frame's length and payload in two `send`s; without a quick ACK each APDU stalls ~40 ms on the
//! peer's delayed ACK); answers leave in a single write.
//! When pcscd restarts, the link drops and is re-established.

mod link;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use self::link::{CTRL_ATR, CTRL_OFF, CTRL_ON, CTRL_RESET, POLL};
use super::card::{Power, Reply, Responder};
use super::error::Error;
use super::presence::Presence;

/// How long a card stays out before it counts as removed: pcscd's status thread polls every
/// 400 ms plus the time a poll takes, so by then it has found the reader empty.
pub const MIN_TIME_OUT: Duration = Duration::from_millis(650);

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct VpcdOptions {
    /// vpcd's address; it only listens on loopback.
    pub host: IpAddr,
    /// vpcd's port: 35963 for `Virtual PCD 00 00`, 35964 for `Virtual PCD 00 01`.
    pub port: u16,
    /// Pause between connection attempts while vpcd (pcscd) is not there.
    pub retry_interval: Duration,
    /// Set to end [`serve`]: the card leaves the reader (pcscd sees it go) and `serve` returns.
    pub stop: Arc<AtomicBool>,
    /// Whether the card is in the reader; keep a clone to take it out and put it back.
    pub presence: Presence,
    /// When the card removes itself (`remove_after_apdus`) and has no `reinsert_after_ms`: wait
    /// out of the reader for [`Presence::insert`] (true) or end `serve` with [`Ended::Removed`]
    /// (false, the default: a card process that exits when its card is gone for good).
    pub keep_serving_when_removed: bool,
    /// How long the card stays out of the reader, at least, each time it leaves, so that pcscd
    /// has seen the reader empty before the card can come back ([`MIN_TIME_OUT`]; a stand-in
    /// for vpcd that polls faster may use less).
    pub min_time_out: Duration,
}

impl Default for VpcdOptions {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: super::VPCD_DEFAULT_PORT,
            retry_interval: Duration::from_millis(200),
            stop: Arc::new(AtomicBool::new(false)),
            presence: Presence::new(),
            keep_serving_when_removed: false,
            min_time_out: MIN_TIME_OUT,
        }
    }
}

/// What happened on the link, for logging and readiness. APDU bytes are lent so the caller can
/// log the INS and status word; they can hold codes and keys, so never log them whole.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// vpcd is not reachable yet; reported once per outage.
    Waiting(&'a io::Error),
    /// Connected to vpcd: pcscd will find the card at its next presence poll.
    Connected,
    /// pcscd has the card: it powered it up (or polled it three times), so PC/SC shows it
    /// present.
    Inserted,
    /// A power event.
    Power(Power),
    /// The reader asked for the ATR (at each presence poll, and when powering up).
    AtrRequested,
    /// One command answered. The event comes just before the answer is sent, so whatever the
    /// callback saves is saved before the host learns the command succeeded — as a real key
    /// writes its flash before answering `9000`.
    Apdu {
        /// The command APDU.
        command: &'a [u8],
        /// The response (data and status word).
        response: &'a [u8],
        /// How long the answer was held back.
        delay: Duration,
    },
    /// The link dropped (vpcd or pcscd went away); reconnecting.
    Disconnected(&'a io::Error),
    /// The card left the reader and stayed out long enough for pcscd to have seen it go.
    Removed,
    /// The card is going back into the reader after a removal.
    Reinserted,
}

/// Why [`serve`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The stop flag was set.
    Stopped,
    /// The card was removed and does not come back.
    Removed,
}

/// How a link ended.
enum Session {
    /// Asked to leave (by the stop flag or the presence).
    Left,
    /// The card removed itself mid-command (`remove_after_apdus`).
    RemovedItself,
    /// vpcd dropped the link.
    Dropped(io::Error),
}

/// Serves `card` to vpcd until stopped or removed for good, reconnecting whenever the link
/// drops. Blocks the calling thread.
pub fn serve<R: Responder>(
    card: &Arc<Mutex<R>>,
    options: &VpcdOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Ended, Error> {
    let address = SocketAddr::new(options.host, options.port);
    let presence = &options.presence;
    let stopped = || options.stop.load(Ordering::Relaxed);
    let mut waiting_reported = false;
    // Set when the card removed itself and comes back by itself after a while.
    let mut back_at: Option<Instant> = None;
    loop {
        if stopped() {
            return Ok(Ended::Stopped);
        }
        if !presence.wants_in() {
            if let Some(at) = back_at
                && Instant::now() >= at
            {
                presence.insert();
            } else {
                // Out and not connected: nothing more for pcscd to see.
                presence.settle_out();
                let step = back_at.map_or(POLL, |at| {
                    at.saturating_duration_since(Instant::now()).min(POLL)
                });
                presence.wait_wanted_in(step);
                continue;
            }
        }
        if back_at.take().is_some() || !lock(card).is_present() {
            lock(card).reinsert();
            on_event(Event::Reinserted);
        }
        let generation = presence.generation();
        let stream = match link::connect(address) {
            Ok(stream) => stream,
            Err(e) => {
                if !waiting_reported {
                    on_event(Event::Waiting(&e));
                    waiting_reported = true;
                }
                sleep_unless(options.retry_interval, &mut || {
                    stopped() || presence.generation() != generation
                });
                continue;
            }
        };
        waiting_reported = false;
        on_event(Event::Connected);
        let ended = session(&stream, card, options, generation, on_event);
        match ended {
            Session::Dropped(e) => {
                on_event(Event::Disconnected(&e));
                continue;
            }
            Session::Left => {}
            Session::RemovedItself => {
                // Taken out as if by hand, so waiting for an insertion works as usual.
                presence.remove();
                back_at = lock(card)
                    .reinsert_after()
                    .map(|after| Instant::now() + after);
            }
        }
        link::close(stream);
        if !stopped() {
            lock(card).remove();
        }
        // Out for long enough that pcscd's status thread has found the reader empty; a stop does
        // not cut this short, so a card process that exits leaves the reader free for the next.
        std::thread::sleep(options.min_time_out);
        // The callback first (a ready file), then whoever waits on the presence.
        on_event(Event::Removed);
        presence.seen_out();
        if matches!(ended, Session::RemovedItself)
            && back_at.is_none()
            && !options.keep_serving_when_removed
        {
            return Ok(Ended::Removed);
        }
        if stopped() {
            return Ok(Ended::Stopped);
        }
    }
}

fn lock<R>(card: &Mutex<R>) -> std::sync::MutexGuard<'_, R> {
    card.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps in short steps; false if `cut_short` ended the sleep early.
fn sleep_unless(total: Duration, cut_short: &mut dyn FnMut() -> bool) -> bool {
    let end = Instant::now() + total;
    loop {
        if cut_short() {
            return false;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(POLL));
    }
}

fn session<R: Responder>(
    stream: &TcpStream,
    card: &Arc<Mutex<R>>,
    options: &VpcdOptions,
    generation: u64,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Session {
    let presence = &options.presence;
    let leaving = || options.stop.load(Ordering::Relaxed) || presence.generation() != generation;
    // pcscd has the card once it asked for the ATR right after a power-on: when its status thread
    // finds a card (one ATR request) pcscd 1.9 powers it up — `IFDPowerICC` checks presence
    // first (a second), then power-on and a third — and then publishes the card. A pcscd that does not power cards up by itself has published it
    // by its next poll, so three polls without a power-on count too.
    let mut polls = 0u32;
    let mut told = false;
    // The power event just before, if any: the ATR request that follows belongs to it, not to a
    // presence poll.
    let mut after_power: Option<Power> = None;
    loop {
        let frame = match link::read_frame(stream, &mut || leaving()) {
            Ok(Some(frame)) => frame,
            Ok(None) => return Session::Left,
            Err(e) => return Session::Dropped(e),
        };
        if leaving() {
            // Whatever it was gets no answer, as from a key pulled meanwhile.
            return Session::Left;
        }
        match frame.as_slice() {
            [] => {}
            [CTRL_ATR] => {
                let atr = lock(card).atr();
                on_event(Event::AtrRequested);
                if let Err(e) = link::write_frame(stream, &atr) {
                    return Session::Dropped(e);
                }
                match after_power.take() {
                    Some(Power::On) => polls = polls.max(3),
                    Some(_) => {}
                    None => polls += 1,
                }
                if !told && polls >= 3 {
                    told = true;
                    // The callback first (a ready file), then whoever waits on the presence.
                    on_event(Event::Inserted);
                    presence.seen_in(generation);
                }
            }
            [control] => {
                let power = match *control {
                    CTRL_OFF => Some(Power::Off),
                    CTRL_ON => Some(Power::On),
                    CTRL_RESET => Some(Power::Reset),
                    // Unknown control bytes are ignored, as vpcd's own virtual cards do.
                    _ => None,
                };
                after_power = power.filter(|p| *p != Power::Off);
                if let Some(power) = power {
                    lock(card).power(power);
                    on_event(Event::Power(power));
                }
            }
            command => {
                after_power = None;
                let reply = lock(card).respond(command);
                let (bytes, delay) = match reply {
                    Reply::Bytes { bytes, delay } => (bytes, delay),
                    Reply::Removed => return Session::RemovedItself,
                };
                // A touch wait; a removal during it leaves the command unanswered.
                if !delay.is_zero() && !sleep_unless(delay, &mut || leaving()) {
                    return Session::Left;
                }
                on_event(Event::Apdu {
                    command,
                    response: &bytes,
                    delay,
                });
                if let Err(e) = link::write_frame(stream, &bytes) {
                    return Session::Dropped(e);
                }
            }
        }
    }
}

/// A card served to vpcd from a thread of this process, with a hand on its presence: what an
/// in-process test uses to plug a key in and out while pcscd runs. Dropping it takes the card out
/// and ends the thread.
pub struct ServedCard {
    presence: Presence,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<Ended, Error>>>,
    events: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for ServedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedCard")
            .field("presence", &self.presence)
            .finish_non_exhaustive()
    }
}

/// Serves `card` from a new thread (see [`serve`]); `options.presence` decides whether it starts
/// in the reader ([`Presence::new`]) or out of it ([`Presence::out`]).
pub fn spawn<R: Responder + 'static>(card: Arc<Mutex<R>>, options: VpcdOptions) -> ServedCard {
    let presence = options.presence.clone();
    let stop = Arc::clone(&options.stop);
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&events);
    let thread = std::thread::spawn(move || {
        serve(&card, &options, &mut |event| {
            // Commands carry codes and keys: only the link's life is kept.
            if !matches!(event, Event::Apdu { .. } | Event::AtrRequested) {
                lock(&log).push(format!("{event:?}"));
            }
        })
    });
    ServedCard {
        presence,
        stop,
        thread: Some(thread),
        events,
    }
}

impl ServedCard {
    /// The card's presence, shared with the serving thread.
    pub fn presence(&self) -> &Presence {
        &self.presence
    }

    /// Takes the card out (see [`Presence::remove`]).
    pub fn remove(&self) {
        self.presence.remove();
    }

    /// Puts the card back (see [`Presence::insert`]).
    pub fn insert(&self) {
        self.presence.insert();
    }

    /// Waits until pcscd has the card; false on timeout.
    pub fn wait_inserted(&self, timeout: Duration) -> bool {
        self.presence.wait_inserted(timeout)
    }

    /// Waits until pcscd has seen the card leave; false on timeout.
    pub fn wait_removed(&self, timeout: Duration) -> bool {
        self.presence.wait_removed(timeout)
    }

    /// Whether the serving thread still runs (it ends by itself when the card removes itself for
    /// good).
    pub fn is_serving(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// The link's events so far (not the APDUs), for a failing test to print.
    pub fn events(&self) -> Vec<String> {
        lock(&self.events).clone()
    }

    /// Takes the card out, waits until pcscd has seen it go, and ends the thread (a panic in it
    /// is passed on).
    pub fn stop(mut self) -> Result<Ended, Error> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Ok(Ended::Stopped),
        }
    }
}

impl Drop for ServedCard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests;
