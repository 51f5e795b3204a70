//! Reading pairs: a [`CodeSource`] read at the counters the [`Planner`] chooses, against AWS's
//! clock, so that every pair is consecutive by construction and current when it leaves.
//!
//! Code 1 is read at once (a bad device, password or touch fails before the user waits); code 2 at
//! the start of the next window. A read that straddles another boundary drops the pair unsent and
//! reads a fresh one. Each read runs on a blocking thread (a YubiKey may wait for a touch) and races
//! Ctrl-C and a watchdog.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::interrupt::Interrupt;
use crate::error::{Error, PairsFrom};
use crate::report::Reporter;
use crate::report::time::{utc_time_of_day, window_span};
use crate::source::{
    ClockOwner, Code, CodeSource, DeviceError, Notifier, SourceInfo, TypedProblem,
};
use crate::state::SentCounters;
use crate::window::{Mode, Pair, Period, Planner, ServerClock};

/// How often the countdown is redrawn.
const TICK: Duration = Duration::from_millis(250);

/// How long a device may take for one code: above a YubiKey's own 15-s touch timeout.
const DEVICE_WATCHDOG: Duration = Duration::from_secs(40);

/// How many times a pair may go stale (a device slower than a window, a code typed too late)
/// before giving up.
const MAX_STALE_PAIRS: u32 = 3;

/// How much longer than a period code 2 may come after code 1 when typed from a display token:
/// time to see the new code and type it beyond the time taken to type code 1. A pair typed further
/// apart may span two changes of the token's code, and is not sent.
pub const REACTION_MARGIN: Duration = Duration::from_secs(1);

/// What a reader has just done, for a caller that follows it (a station's event stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Code 1 was read; code 2 is due at server time `code2_due`.
    Code1Read {
        /// Code 1's counter.
        counter: u64,
        /// When code 2's window opens (server time since the epoch).
        code2_due: Duration,
    },
    /// Code 2 was read; the pair goes out next.
    Code2Read {
        /// Code 2's counter.
        counter: u64,
    },
}

/// A follower of a reader's progress.
pub type Observer = Box<dyn Fn(Progress) + Send + Sync>;

/// A pair ready to send.
#[derive(Debug)]
pub struct ReadPair {
    /// The counters, when the host chose them.
    pub pair: Option<Pair>,
    /// Code 1.
    pub code1: Code,
    /// Code 2.
    pub code2: Code,
}

/// Reads pairs from a source, in the planner's windows, against the server's clock.
pub struct PairReader {
    clock: ServerClock,
    planner: Planner,
    /// The reporter the reader speaks through (and the send loop with it).
    pub(super) reporter: Reporter,
    /// Whether the run was stopped (a pair in flight is let finish; no new one is read).
    pub(super) interrupt: Interrupt,
    /// Shared with the reading thread for the length of one read.
    source: Arc<Mutex<Box<dyn CodeSource>>>,
    /// What the source is.
    pub(super) info: SourceInfo,
    owner: ClockOwner,
    sent_codes: Vec<Code>,
    digits: Option<usize>,
    observer: Observer,
    /// Where the pairs sent for this device are remembered across runs, and its serial.
    remembered: Option<(SentCounters, String)>,
}

impl PairReader {
    /// A reader of `source` in `mode`.
    pub fn new(
        source: Box<dyn CodeSource>,
        clock: ServerClock,
        mode: Mode,
        reporter: Reporter,
        interrupt: Interrupt,
    ) -> Self {
        let info = source.describe();
        let owner = source.clock();
        let period = Period::new(info.period).unwrap_or(Period::DEFAULT);
        PairReader {
            clock,
            planner: Planner::new(period, mode),
            reporter,
            interrupt,
            source: Arc::new(Mutex::new(source)),
            info,
            owner,
            sent_codes: Vec::new(),
            digits: None,
            observer: Box::new(|_| {}),
            remembered: None,
        }
    }

    /// Starts past the windows of the last pair this machine sent for device `serial` (a run a
    /// minute ago, another row, a station's key), saying so when that moves this run's pair, and
    /// records each pair this reader sends. Typed codes have no counters to keep, and a run with no
    /// state directory no file to keep them in.
    pub fn remembered_in(mut self, counters: Option<&SentCounters>, serial: &str) -> Self {
        let (Some(counters), ClockOwner::Host) = (counters, self.owner) else {
            return self;
        };
        if let Some(used) = counters.last(serial) {
            let planned = self.planner.next_pair(self.clock.now());
            if let Some(last) = used.last_counter(self.planner.period()) {
                self.planner.record_used(last);
            }
            if self.planner.next_pair(self.clock.now()) != planned {
                self.reporter.line(format!(
                    "This device's last pair from this machine went out at {} and used the windows up to {}: this run takes the ones after.",
                    utc_time_of_day(Duration::from_secs(used.sent_at)),
                    utc_time_of_day(Duration::from_secs(used.used_until)),
                ));
            }
        }
        self.remembered = Some((counters.clone(), serial.to_string()));
        self
    }

    /// Never plans a counter at or below `last_sent`: a device a station served before starts
    /// past the pairs sent for it, so no counter AWS may have seen is sent again. (A counter only
    /// read, its pair never sent, is no one's but ours: reading it again costs nothing.)
    pub fn after(mut self, last_sent: Option<u64>) -> Self {
        if let Some(counter) = last_sent {
            self.planner.record_used(counter);
        }
        self
    }

    /// Calls `observer` as each code is read.
    pub fn observed(mut self, observer: Observer) -> Self {
        self.observer = observer;
        self
    }

    /// The highest counter of a pair sent so far (or given to [`PairReader::after`]).
    pub fn last_sent(&self) -> Option<u64> {
        self.planner.last_sent()
    }

    /// Refuses codes of any other length before they could be sent (IAM takes 6 digits).
    pub fn require_digits(mut self, digits: usize) -> Self {
        self.digits = Some(digits);
        self
    }

    /// Where this reader's pairs come from, for the hint of a refusal.
    pub fn pairs_from(&self) -> PairsFrom {
        match self.owner {
            ClockOwner::Device => PairsFrom::Typed,
            ClockOwner::Host => PairsFrom::Chosen {
                no_wait: self.planner.mode() == Mode::NoWait,
            },
        }
    }

    /// Reads the code of window `counter` on a blocking thread, racing Ctrl-C and the watchdog;
    /// a person is asked for it as `label` when the source is typed.
    async fn read(&mut self, counter: u64, label: Option<&'static str>) -> Result<Code, Error> {
        let source = Arc::clone(&self.source);
        let task = tokio::task::spawn_blocking(move || match source.lock() {
            Ok(mut source) => match label {
                Some(label) => source.typed_code(counter, label),
                None => source.code_at(counter),
            },
            Err(_) => Err(DeviceError::Malformed {
                what: "nothing: an earlier read of this device failed midway".into(),
            }),
        });
        // A host-clock device answers within its own touch timeout (a YubiKey's is about 15 s);
        // past the watchdog it is hung. Typing has no deadline.
        let watchdog = match self.owner {
            ClockOwner::Host => DEVICE_WATCHDOG,
            ClockOwner::Device => Duration::MAX,
        };
        let code = match self
            .interrupt
            .race(tokio::time::timeout(watchdog, task))
            .await?
        {
            Err(_) => Err(DeviceError::Timeout {
                secs: watchdog.as_secs(),
            }),
            Ok(Err(_)) => {
                let what = "nothing: the reading thread failed".into();
                Err(DeviceError::Malformed { what })
            }
            Ok(Ok(result)) => result,
        }?;
        match self.digits {
            Some(digits) if code.expose().len() != digits => Err(DeviceError::WrongDigits {
                digits: code.expose().len(),
            }
            .into()),
            _ => Ok(code),
        }
    }

    /// Waits until server time `target`, drawing the countdown, unless Ctrl-C comes first.
    async fn wait_until(&mut self, target: Duration, what: &str) -> Result<(), Error> {
        let now = self.clock.now();
        if now >= target {
            return Ok(());
        }
        let total = target - now;
        let clock = self.clock.clone();
        let reporter = self.reporter.clone();
        let wait = clock.sleep_until(target, TICK, |left| reporter.countdown(left, total, what));
        let result = self.interrupt.race(wait).await;
        self.reporter.countdown_done();
        result
    }

    /// The next pair: consecutive, past every counter sent, and current at the moment it is
    /// returned; `code1_read` has code 1 and its counter as soon as it is read (before the wait),
    /// so that a person copying codes can start at once.
    pub async fn next_with(
        &mut self,
        code1_read: impl FnMut(&Code, u64),
    ) -> Result<ReadPair, Error> {
        match self.owner {
            ClockOwner::Host => self.next_host(code1_read).await,
            ClockOwner::Device => self.next_typed().await,
        }
    }

    fn window(&self, counter: u64) -> String {
        let period = self.planner.period();
        window_span(period.window_start(counter), period.secs())
    }

    async fn next_host(
        &mut self,
        mut code1_read: impl FnMut(&Code, u64),
    ) -> Result<ReadPair, Error> {
        let mut stale = 0;
        loop {
            let pair = self.planner.next_pair(self.clock.now());
            tracing::info!(
                first = pair.first,
                second = pair.second(),
                skew_ms = self.clock.skew().millis(),
                source = self.info.kind,
                "planned a pair"
            );
            self.touch_prompt(1);
            // Code 1 at once, even for a window still to come: a bad device, password or touch fails
            // before the user waits.
            let code1 = self.read(pair.first, None).await?;
            code1_read(&code1, pair.first);
            let due = self.planner.code2_due(pair);
            (self.observer)(Progress::Code1Read {
                counter: pair.first,
                code2_due: due,
            });
            self.reporter
                .line(format!("Code 1 read (window {}).", self.window(pair.first)));
            self.wait_until(due, &format!("Code 2 at {}", utc_time_of_day(due)))
                .await?;
            self.touch_prompt(2);
            let code2 = self.read(pair.second(), None).await?;
            self.interrupt.check()?;
            if self.planner.is_current(pair, self.clock.now()) {
                self.reporter.line(format!(
                    "Code 2 read (window {}).",
                    self.window(pair.second())
                ));
                (self.observer)(Progress::Code2Read {
                    counter: pair.second(),
                });
                return Ok(ReadPair {
                    pair: Some(pair),
                    code1,
                    code2,
                });
            }
            // The read crossed another boundary: this pair would reach AWS a window late. It was
            // never sent, so dropping it burns nothing.
            stale += 1;
            if stale >= MAX_STALE_PAIRS {
                return Err(DeviceError::Malformed {
                    what: format!("too slowly: {MAX_STALE_PAIRS} pairs in a row took longer than a window to read"),
                }
                .into());
            }
            self.reporter
                .line("Reading code 2 took past the next window; reading a fresh pair.");
        }
    }

    /// A touch is the user's hand: said even in quiet mode, through the notifier.
    fn touch_prompt(&self, n: u8) {
        if self.info.touch {
            let serial = self
                .info
                .device_serial
                .as_deref()
                .map(|s| format!(" (serial {s})"))
                .unwrap_or_default();
            self.reporter
                .act(&format!("Touch your YubiKey{serial} for code {n}."));
        }
    }

    /// A display token keeps its own clock, minutes off AWS's and the host's as like as not, so its
    /// windows cannot be chosen, only checked: code 1 is what it shows when typed, and the user is
    /// asked at once for the next code, as soon as the token shows it. A token changes its code
    /// once a period, so two different codes typed at most a period apart (and
    /// [`REACTION_MARGIN`] for the eye and the hand) are consecutive; a code 2 typed later may be
    /// two windows on, and is not sent: a person is asked for a fresh pair, saying why, and a pipe
    /// is an error. An unchanged code is asked again at a terminal while the period lasts.
    async fn next_typed(&mut self) -> Result<ReadPair, Error> {
        let period = self.planner.period();
        let limit = Duration::from_secs(period.secs()) + REACTION_MARGIN;
        let retypes = self.source.lock().is_ok_and(|s| s.retypes());
        let mut pairs = 0;
        loop {
            pairs += 1;
            self.reporter.act("Type the code your token shows now.");
            let counter = period.counter_at(self.clock.now());
            let code1 = self.read(counter, Some("Code 1")).await?;
            let typed1 = self.clock.host().now();
            self.reporter.act(&format!(
                "Type the next code as soon as the token shows it (within {} s).",
                limit.as_secs()
            ));
            let mut code2 = self.read(counter + 1, Some("Code 2")).await?;
            let mut after = self.clock.host().now().saturating_sub(typed1);
            while code2 == code1 && after <= limit {
                if !retypes {
                    return Err(DeviceError::Typed(TypedProblem::Unchanged).into());
                }
                self.reporter
                    .act("The token still shows the same code; type it when it changes.");
                code2 = self.read(counter + 1, Some("Code 2")).await?;
                after = self.clock.host().now().saturating_sub(typed1);
            }
            if after <= limit {
                if self
                    .sent_codes
                    .iter()
                    .any(|sent| *sent == code1 || *sent == code2)
                {
                    return Err(DeviceError::Typed(TypedProblem::AlreadySent).into());
                }
                return Ok(ReadPair {
                    pair: None,
                    code1,
                    code2,
                });
            }
            let problem = if code2 == code1 {
                TypedProblem::StillUnchanged
            } else {
                TypedProblem::TooLate {
                    after_millis: u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                    period_secs: period.secs(),
                    margin_secs: REACTION_MARGIN.as_secs(),
                }
            };
            if !retypes || pairs >= MAX_STALE_PAIRS {
                return Err(DeviceError::Typed(problem).into());
            }
            self.reporter.act(&format!("{problem}. Type a fresh pair."));
        }
    }

    /// Records that `read` went out: its counters (or typed codes) are never used again, by this
    /// run or, through the state file, by the next.
    pub fn sent(&mut self, read: &ReadPair) {
        match read.pair {
            Some(pair) => {
                self.planner.record_sent(pair);
                if let Some((counters, serial)) = &self.remembered {
                    let period = self.planner.period();
                    let until = period.window_start(pair.second() + 1).as_secs();
                    if let Err(e) = counters.record(serial, until, self.clock.now().as_secs()) {
                        self.reporter.warn(format!(
                            "the counters sent could not be recorded in {} ({}): a run in the next minute could reuse them, and be refused",
                            counters.path().display(),
                            crate::files::io_reason(&e)
                        ));
                    }
                }
            }
            None => self
                .sent_codes
                .extend([read.code1.clone(), read.code2.clone()]),
        }
    }
}
