//! The parts of a churn: where each cycle's key leaves, whose key it is, the rounds both readers
//! go in together (AWS's clock steered, pcscd restarted when due), and one cycle from insertion
//! to result.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use testbed::virtual_yubikey::CardConfig;

use super::super::A_WINDOW;
use super::super::harness::{Plug, StationRun, key};
use crate::util::{Bed, Readers};

/// Where a cycle's removal comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Point {
    /// The card leaves at its `n`th command (0: the first of identification).
    BeforeCode1(u64),
    /// Pulled during the wait, once code 1 is read.
    BetweenTheCodes,
    /// The card leaves at code 2's CALCULATE.
    DuringCode2,
    /// Pulled once the result is out.
    AfterSubmit,
}

/// xorshift64*: reproducible from the seed the test prints.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A user's key: its card, and the seed iam-local holds for the user's device.
pub(super) struct Identity {
    pub(super) serial: u32,
    pub(super) name: String,
    pub(super) seed: String,
}

impl Identity {
    pub(super) fn card(&self, remove_after: Option<u64>) -> CardConfig {
        let mut config = key(
            self.serial,
            &[(
                &format!("Amazon Web Services:{}@123456789012", self.name),
                &self.seed,
            )],
        );
        config.remove_after_apdus = remove_after;
        config
    }
}

/// How long a churn runs, and how.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    /// Insertions and removals, both readers together.
    pub(super) cycles: usize,
    /// pcscd is restarted at the first round after this many cycles since the last restart.
    pub(super) restart_every: usize,
    /// Of every 20 cycles, how many reach code 2 (the rest are pulled before it): those wait for
    /// a boundary, in rounds.
    pub(super) waiting_in_20: u64,
}

/// The station's resident memory and open files at one moment.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample {
    pub(super) cycles: usize,
    pub(super) rss_kib: u64,
    pub(super) fds: usize,
}

/// What the readers' threads share: the station, and the rounds in which their waiting cycles go
/// in together, AWS's clock steered a few seconds before a boundary at the start of each (or,
/// once the steering has gone as far as AWS's 15 minutes allow, waited for).
pub(super) struct Churn<'a> {
    pub(super) bed: &'a Bed,
    pub(super) station: &'a StationRun,
    pub(super) readers: &'a Mutex<Readers>,
    pub(super) plan: Plan,
    pub(super) rounds: usize,
    pub(super) barrier: Barrier,
    /// Cycles done, both readers.
    pub(super) done: AtomicUsize,
    /// `done` at the last restart.
    pub(super) restarted_at: AtomicUsize,
    pub(super) samples: Mutex<Vec<Sample>>,
}

/// How far AWS's clock is steered ahead at most: the station refuses an endpoint 15 minutes off,
/// and the bed stays well inside that.
const STEER_BUDGET_SECS: i64 = 540;

impl Churn<'_> {
    /// The start of a round: both readers are between cycles (their keys out); one of them
    /// restarts pcscd when it is due, then moves AWS's clock to a few seconds before its next
    /// boundary (the station measures it again from each key's listing), so that the round's keys
    /// wait seconds, not a window.
    fn round(&self) {
        if self.barrier.wait().is_leader() {
            let done = self.done.load(Ordering::SeqCst);
            if done - self.restarted_at.load(Ordering::SeqCst) >= self.plan.restart_every {
                self.restart_pcscd(done);
            }
            if self.bed.server().clock_offset() + 30 < STEER_BUDGET_SECS {
                self.bed.steer();
            } else {
                // Past the budget: real time brings the boundary (3 s before it).
                let into = self.bed.now().as_millis() % 30_000;
                std::thread::sleep(Duration::from_millis(
                    u64::try_from((27_000 + 30_000 - into) % 30_000).unwrap_or(0),
                ));
            }
        }
        self.barrier.wait();
    }

    /// pcscd stopped and started again under the station, which must say it lost and found it.
    fn restart_pcscd(&self, done: usize) {
        self.sample(done);
        let back = self.station.named("PcscdBack").len();
        self.readers.lock().unwrap().restart();
        self.station
            .wait_events("PcscdBack", back + 1, Duration::from_secs(30));
        self.restarted_at.store(done, Ordering::SeqCst);
    }

    pub(super) fn sample(&self, cycles: usize) {
        let (rss_kib, fds) = self.station.resources();
        self.samples.lock().unwrap().push(Sample {
            cycles,
            rss_kib,
            fds,
        });
    }
}

/// One reader's cycles: a key at a time, rotating through `identities`. The quick ones (the key
/// pulled before code 2) fill the time between the rounds of the waiting ones.
pub(super) fn cycles(
    churn: &Churn<'_>,
    plug: &Plug,
    identities: &[Identity],
    points: &[Point],
    commands_to_code2: u64,
) -> Vec<(Point, String)> {
    let (quick, waiting): (Vec<Point>, Vec<Point>) = points
        .iter()
        .partition(|p| matches!(p, Point::BeforeCode1(_) | Point::BetweenTheCodes));
    let per_round = quick.len().div_ceil(churn.rounds + 1);
    let mut quick = quick.chunks(per_round.max(1));
    let mut seen = Vec::new();
    for round in 0..churn.rounds {
        for (turn, point) in quick.next().unwrap_or_default().iter().enumerate() {
            let who = &identities[(seen.len() + turn) % identities.len()];
            seen.push(churn.cycle(plug, who, *point, commands_to_code2));
        }
        churn.round();
        if let Some(point) = waiting.get(round) {
            // Each kind takes the identities in turn, so that a device is not asked to resync in
            // two rounds running.
            let who = &identities[round % identities.len()];
            seen.push(churn.cycle(plug, who, *point, commands_to_code2));
        }
    }
    for rest in quick {
        for point in rest {
            let who = &identities[seen.len() % identities.len()];
            seen.push(churn.cycle(plug, who, *point, commands_to_code2));
        }
    }
    seen
}

impl Churn<'_> {
    /// [`cycle`], counted.
    fn cycle(
        &self,
        plug: &Plug,
        who: &Identity,
        point: Point,
        commands_to_code2: u64,
    ) -> (Point, String) {
        let seen = cycle(self.station, plug, who, point, commands_to_code2);
        self.done.fetch_add(1, Ordering::SeqCst);
        seen
    }
}

/// One insertion of `who`'s key and its removal at `point`; the key's result.
fn cycle(
    station: &StationRun,
    plug: &Plug,
    who: &Identity,
    point: Point,
    commands_to_code2: u64,
) -> (Point, String) {
    let reader = plug.reader;
    let results = count(station, "Result", reader);
    let removals = count(station, "KeyRemoved", reader);
    let remove_after = match point {
        Point::BeforeCode1(n) => Some(n),
        Point::DuringCode2 => Some(commands_to_code2),
        _ => None,
    };
    plug.swap(who.card(remove_after));
    let code1_before = count(station, "Code1Read", reader);
    // Not waiting for pcscd: a card that leaves at a command may be gone before the wait ends.
    plug.push_in();
    match point {
        Point::BeforeCode1(_) | Point::DuringCode2 => {
            assert!(
                plug.wait_out(A_WINDOW + A_WINDOW),
                "{point:?}: the key never left {reader}: {:?}\n--- stdout\n{}\n--- stderr\n{}",
                plug.link_events(),
                station.stdout(),
                station.stderr()
            );
        }
        Point::BetweenTheCodes => {
            wait_count(station, "Code1Read", reader, code1_before + 1);
            plug.remove();
        }
        Point::AfterSubmit => {
            wait_count(station, "Result", reader, results + 1);
            plug.remove();
        }
    }
    let result = wait_count(station, "Result", reader, results + 1);
    // Out and seen out by the station before the next key goes in.
    wait_count(station, "KeyRemoved", reader, removals + 1);
    (point, result)
}

fn count(station: &StationRun, event: &str, reader: &str) -> usize {
    station
        .named(event)
        .iter()
        .filter(|e| e["Reader"] == reader)
        .count()
}

/// Waits for the `n`th `event` of `reader`; returns its result, when it is a result.
pub(super) fn wait_count(station: &StationRun, event: &str, reader: &str, n: usize) -> String {
    let deadline = Instant::now() + A_WINDOW + A_WINDOW;
    loop {
        let found: Vec<_> = station
            .named(event)
            .into_iter()
            .filter(|e| e["Reader"] == reader)
            .collect();
        if let Some(e) = found.get(n - 1) {
            return e["Result"].as_str().unwrap_or_default().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the station hung: {} of {n} {event} events in {reader}\n--- stderr\n{}",
            found.len(),
            station.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
