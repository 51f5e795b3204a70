//! Property tests of the window planner (ARCHITECTURE.md, "The window planner"), run through the real
//! [`PairReader`] and [`send_with_retries`] against a simulated world: a manual host clock, AWS's
//! clock up to a minute off it, a host-clock source whose reads take up to 45 s (slow touches) and
//! answer a code that encodes the counter it was asked for, and an IAM that records the server time
//! of each submission and fails transiently at random.
//!
//! Nothing here sleeps: time moves only when the source "is touched" or the reader waits, so ten
//! thousand runs take seconds. Each case is one whole `send_with_retries`, driven by `block_on` on
//! a current-thread runtime shared by all cases (the reader runs the source on `spawn_blocking`).

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mfa_resync::aws::{AwsError, Receipt, Refused};
use mfa_resync::error::Error;
use mfa_resync::pipeline::{Call, Interrupt, PairReader, Sender, Sent, send_with_retries};
use mfa_resync::report::Reporter;
use mfa_resync::source::{ClockOwner, Code, CodeSource, DeviceError, SourceInfo};
use mfa_resync::window::{Clock, ManualClock, Mode, Pair, Period, ServerClock, Skew};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// At least the 10,000 cases the planner's contract is checked over.
const CASES: u32 = 10_000;
/// The source answers 8-digit codes: the counter modulo 10^8 (`Code` takes 6 to 8 digits).
const CODE_MODULUS: u64 = 100_000_000;
/// The most reads one run can make: 5 attempts, each up to 3 stale pairs of 2 reads.
const MAX_READS: usize = 5 * 3 * 2;
/// Skew of AWS's clock from the host's, at most this far either way.
const MAX_SKEW_MS: i64 = 60_000;
/// The slowest touch simulated.
const MAX_LATENCY_MS: u64 = 45_000;

/// One simulated run.
#[derive(Debug, Clone)]
struct Scenario {
    /// AWS's time when the run starts.
    server_start_ms: u64,
    /// AWS minus host, in milliseconds.
    skew_ms: i64,
    /// The source's TOTP period.
    period: u64,
    mode: Mode,
    max_attempts: u32,
    /// How long each read takes, in the order the reads come (zero past the end).
    latencies_ms: Vec<u64>,
    /// Whether each submission fails transiently, in order (the rest succeed).
    failures: Vec<bool>,
}

impl Scenario {
    fn host_start(&self) -> Duration {
        let host = i128::from(self.server_start_ms) - i128::from(self.skew_ms);
        Duration::from_millis(u64::try_from(host).expect("server starts past the skew"))
    }
}

/// Window starts, ends and anything between, for a period of `period` seconds.
fn offset_in_window(period: u64) -> impl Strategy<Value = u64> {
    let len = period * 1000;
    prop_oneof![
        1 => Just(0),
        1 => Just(len - 1),
        1 => (len - 1_000)..len,
        4 => 0..len,
    ]
}

fn latency() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => Just(0),
        3 => 0..=2_000u64,
        3 => 0..=MAX_LATENCY_MS,
        1 => 25_000..=35_000u64,
        1 => Just(MAX_LATENCY_MS),
    ]
}

fn skew() -> impl Strategy<Value = i64> {
    prop_oneof![
        1 => Just(0),
        1 => -1_000..=1_000i64,
        4 => -MAX_SKEW_MS..=MAX_SKEW_MS,
        1 => prop::sample::select(vec![-MAX_SKEW_MS, MAX_SKEW_MS, -30_000, 30_000]),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let period = prop_oneof![4 => Just(30u64), 1 => Just(60u64), 1 => Just(15u64)];
    period
        .prop_flat_map(|period| {
            (
                Just(period),
                // Any window from 1970-01-12 to 2100-01-01: years of Unix time.
                (1_000_000 / period)..(4_102_444_800 / period),
                offset_in_window(period),
                skew(),
                prop_oneof![Just(Mode::Wait), Just(Mode::NoWait)],
                1..=5u32,
                prop::collection::vec(latency(), MAX_READS),
                prop::collection::vec(prop::bool::weighted(0.45), 5),
            )
        })
        .prop_map(
            |(period, window, offset, skew_ms, mode, max_attempts, latencies_ms, failures)| {
                Scenario {
                    server_start_ms: window * period * 1000 + offset,
                    skew_ms,
                    period,
                    mode,
                    max_attempts,
                    latencies_ms,
                    failures,
                }
            },
        )
}

/// A host-clock source (a YubiKey, an OTP slot, a seed) whose reads advance the host clock.
struct SimSource {
    host: Arc<ManualClock>,
    period: u64,
    latencies_ms: Vec<u64>,
    reads: Arc<Mutex<Vec<u64>>>,
}

impl CodeSource for SimSource {
    fn describe(&self) -> SourceInfo {
        SourceInfo {
            kind: "simulated",
            device_serial: Some("12345678".into()),
            account: None,
            period: self.period,
            digits: 8,
            touch: true,
        }
    }

    fn clock(&self) -> ClockOwner {
        ClockOwner::Host
    }

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        let mut reads = self.reads.lock().expect("reads lock");
        let latency = self.latencies_ms.get(reads.len()).copied().unwrap_or(0);
        reads.push(counter);
        self.host.advance(Duration::from_millis(latency));
        Code::from_digits(format!("{:08}", counter % CODE_MODULUS))
    }
}

/// The counter a code encodes: the one congruent to it nearest `near` (runs span a few hundred
/// windows, far less than 10^8).
fn decode(code: &str, near: u64) -> u64 {
    let value: u64 = code.parse().expect("the source answers digits");
    let base = near - near % CODE_MODULUS + value;
    [base.saturating_sub(CODE_MODULUS), base, base + CODE_MODULUS]
        .into_iter()
        .min_by_key(|c| c.abs_diff(near))
        .expect("three candidates")
}

/// One submission as IAM saw it.
#[derive(Debug)]
struct Submission {
    code1: String,
    code2: String,
    /// AWS's time when the pair arrived.
    server_at: Duration,
}

/// IAM `ResyncMFADevice`, failing transiently as the scenario says.
struct SimIam {
    server: ServerClock,
    failures: Vec<bool>,
    sent: Vec<Submission>,
}

impl Call for &mut SimIam {
    async fn call(&mut self, code1: &Code, code2: &Code) -> Result<Receipt, Refused> {
        let n = self.sent.len();
        self.sent.push(Submission {
            code1: code1.expose().to_string(),
            code2: code2.expose().to_string(),
            server_at: self.server.now(),
        });
        if self.failures.get(n).copied().unwrap_or(false) {
            Err(Refused::from(AwsError::Transient {
                code: "Throttling".into(),
                what: "Throttling: rate exceeded".into(),
                detail: String::new(),
            }))
        } else {
            Ok(Receipt {
                request_id: Some(format!("request-{n}")),
            })
        }
    }
}

struct Outcome {
    result: Result<Sent, Error>,
    sent: Vec<Submission>,
    reads: Vec<u64>,
}

async fn simulate(s: &Scenario) -> Outcome {
    let host = Arc::new(ManualClock::new(s.host_start()));
    let server = ServerClock::new(host.clone() as Arc<dyn Clock>, Skew::from_millis(s.skew_ms));
    let reads = Arc::new(Mutex::new(Vec::new()));
    let source = SimSource {
        host,
        period: s.period,
        latencies_ms: s.latencies_ms.clone(),
        reads: reads.clone(),
    };
    let reporter = Reporter::silent();
    // The sender stays alive (and never fires) for the whole run.
    let (_ctrl_c, interrupt) = Interrupt::manual();
    let mut reader = PairReader::new(
        Box::new(source),
        server.clone(),
        s.mode,
        reporter,
        interrupt,
    );
    let mut iam = SimIam {
        server,
        failures: s.failures.clone(),
        sent: Vec::new(),
    };
    let result = send_with_retries(&mut reader, &mut Sender::new(&mut iam), s.max_attempts).await;
    let reads = reads.lock().expect("reads lock").clone();
    Outcome {
        result,
        sent: iam.sent,
        reads,
    }
}

fn is_too_slow(e: &Error) -> bool {
    matches!(e, Error::Device(DeviceError::Malformed { what }) if what.contains("too slowly"))
}

fn check(s: &Scenario, out: &Outcome) -> Result<(), TestCaseError> {
    let period = Period::new(s.period).expect("a non-zero period");
    let start = Duration::from_millis(s.server_start_ms);
    let start_counter = period.counter_at(start);
    let max = s.max_attempts as usize;

    // The first pair is planned in AWS's current window (DESIGN: c = counter(now); --no-wait c-1).
    let expected_first = match s.mode {
        Mode::Wait => start_counter,
        Mode::NoWait => start_counter - 1,
    };
    prop_assert_eq!(
        out.reads.first().copied(),
        Some(expected_first),
        "the first read is not of the planned window"
    );

    let mut last_sent: Option<u64> = None;
    let mut pairs = Vec::new();
    for (i, sub) in out.sent.iter().enumerate() {
        let c1 = decode(&sub.code1, start_counter);
        let c2 = decode(&sub.code2, start_counter);
        prop_assert_eq!(c2, c1 + 1, "submission {} is not a consecutive pair", i);
        prop_assert_eq!(
            period.counter_at(sub.server_at),
            c2,
            "submission {}: code 2's window is not AWS's current one at {:?}",
            i,
            sub.server_at
        );
        if let Some(prev) = last_sent {
            prop_assert!(
                c1 > prev,
                "submission {} reuses or goes back over a counter: ({}, {}) after {}",
                i,
                c1,
                c2,
                prev
            );
        }
        last_sent = Some(c2);
        pairs.push(c1);
    }
    prop_assert!(
        out.sent.len() <= max,
        "{} submissions with max_attempts {}",
        out.sent.len(),
        max
    );

    let failed = |i: usize| s.failures.get(i).copied().unwrap_or(false);
    match &out.result {
        Ok(sent) => {
            prop_assert!(!out.sent.is_empty(), "success without a submission");
            let n = out.sent.len();
            prop_assert_eq!(sent.attempts as usize, n);
            prop_assert!(!failed(n - 1), "success reported after a failed submission");
            prop_assert!(
                (0..n - 1).all(failed),
                "kept sending after an accepted pair"
            );
            prop_assert_eq!(
                sent.pair,
                Some(Pair {
                    first: pairs[n - 1]
                })
            );
        }
        Err(Error::Aws {
            source, attempts, ..
        }) => {
            prop_assert!(source.is_transient(), "unexpected AWS error {:?}", source);
            prop_assert_eq!(*attempts as usize, out.sent.len());
            prop_assert_eq!(
                out.sent.len(),
                max,
                "gave up after transient failures before max_attempts"
            );
            prop_assert!((0..max).all(failed), "an accepted pair ended in error");
        }
        Err(e) if is_too_slow(e) => {
            prop_assert!(
                (0..out.sent.len()).all(failed),
                "an accepted pair was followed by more reading"
            );
            prop_assert!(
                out.sent.len() < max,
                "read a fresh pair with no attempt left"
            );
        }
        Err(e) => prop_assert!(false, "unexpected error {:?}", e),
    }
    Ok(())
}

#[test]
fn planned_pairs_are_consecutive_current_fresh_and_bounded() {
    // Timers on: the reader's watchdog on a device read is a tokio timeout (in real time, which
    // the simulated reads never consume).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    let cases = Cell::new(0u64);
    let submissions = Cell::new(0u64);
    let outcomes = Cell::new([0u64; 3]); // accepted, transient to the end, too slow
    let started = Instant::now();
    let result = runner.run(&scenario(), |s| {
        cases.set(cases.get() + 1);
        let out = runtime.block_on(simulate(&s));
        submissions.set(submissions.get() + out.sent.len() as u64);
        let mut o = outcomes.get();
        match &out.result {
            Ok(_) => o[0] += 1,
            Err(Error::Aws { .. }) => o[1] += 1,
            Err(_) => o[2] += 1,
        }
        outcomes.set(o);
        check(&s, &out)
    });
    let [accepted, exhausted, too_slow] = outcomes.get();
    eprintln!(
        "planner_properties: {} cases ({} submissions; {} accepted, {} out of attempts, {} too slow) in {:.2?}",
        cases.get(),
        submissions.get(),
        accepted,
        exhausted,
        too_slow,
        started.elapsed()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(cases.get() >= u64::from(CASES));
}
