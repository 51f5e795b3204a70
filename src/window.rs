//! Time, TOTP windows and the plan that makes a pair consecutive by construction.
//!
//! RFC 6238 §4.2: the time-step counter of time `t` for period `P` is `floor(t / P)`. The planner picks
//! the counters explicitly (never "whatever the device shows now"), so a slow touch or a read that
//! straddles a boundary cannot produce a non-consecutive pair, and a retry can never reuse a counter.
//! Time is a parameter (a [`Clock`]), never a global read, so the planner is tested with a manual
//! clock in milliseconds. This module knows nothing of devices or AWS.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of host time and of sleeping; the real one, or a manual one in tests.
pub trait Clock: Send + Sync {
    /// Host time since the Unix epoch.
    fn now(&self) -> Duration;
    /// Sleeps for `duration` (a manual clock advances instead).
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The host's clock, with tokio's timer for sleeping.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        // A clock before 1970 is not a state we can plan in; treat it as the epoch and let the
        // skew against AWS (measured below) report it.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The offset of AWS's clock from the host's, in milliseconds (positive: AWS is ahead): the best
/// estimate, for reports, and the lowest offset the measurement allows, for planning.
///
/// An HTTP `Date` is AWS's time truncated to the second, taken somewhere between our request
/// leaving and its answer arriving. So AWS's offset from the host lies between `date - received`
/// (AWS wrote the date the instant its second began, and the answer arrived at once) and about a
/// second more. Windows are planned with the lowest value: the host's idea of AWS's time is then
/// never ahead of AWS's own, so code 2 is never read before AWS's window has turned and a pair is
/// never a step in AWS's future (AWS refuses those). Waiting costs at most a second more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Skew {
    /// The estimate (zero when within the noise).
    millis: i64,
    /// The lowest offset consistent with the measurement: what windows are planned with.
    planned_millis: i64,
}

/// Below this, a measured skew is noise: an HTTP `Date` has a resolution of one second.
pub const SKEW_THRESHOLD: Duration = Duration::from_secs(1);

/// Above this, the host clock is worth fixing: codes made from it (a soft token on this host) start
/// to land a window off near a boundary. `doctor` warns, and a run says how to fix it.
pub const SKEW_WORTH_FIXING: Duration = Duration::from_secs(2);

impl Skew {
    /// No correction.
    pub const ZERO: Skew = Skew::from_millis(0);

    /// A skew known to be exactly `millis`.
    pub const fn from_millis(millis: i64) -> Self {
        Skew {
            millis,
            planned_millis: millis,
        }
    }

    /// Measures the skew from a response's `Date` header (whole seconds) and the host time at which
    /// the response arrived. AWS's time then lay in `[date, date + 1 s)`: the middle is the
    /// estimate (reported as zero within [`SKEW_THRESHOLD`]), the start what windows are planned
    /// with, whatever the estimate.
    pub fn from_date(server_date_secs: u64, host_received: Duration) -> Self {
        let lowest = i128::from(server_date_secs) * 1000 - host_received.as_millis() as i128;
        let clamp = |v: i128| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        let middle = lowest + 500;
        let millis = if middle.unsigned_abs() <= SKEW_THRESHOLD.as_millis() {
            0
        } else {
            clamp(middle)
        };
        Skew {
            millis,
            planned_millis: clamp(lowest),
        }
    }

    /// The estimated offset in milliseconds (zero within the noise).
    pub fn millis(self) -> i64 {
        self.millis
    }

    /// The estimated offset in seconds, for reports.
    pub fn seconds(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// Whether the host clock is off enough to be worth a word (the planner applies the
    /// measurement either way).
    pub fn is_zero(self) -> bool {
        self.millis == 0
    }

    /// Whether the host clock is off by more than [`SKEW_WORTH_FIXING`].
    pub fn worth_fixing(self) -> bool {
        u128::from(self.millis.unsigned_abs()) > SKEW_WORTH_FIXING.as_millis()
    }
}

/// AWS's time, as the host estimates it: the host clock plus the measured [`Skew`].
#[derive(Clone)]
pub struct ServerClock {
    host: Arc<dyn Clock>,
    skew: Skew,
}

impl ServerClock {
    /// A server clock `skew` away from `host`.
    pub fn new(host: Arc<dyn Clock>, skew: Skew) -> Self {
        ServerClock { host, skew }
    }

    /// The server's time now, at the lowest the measurement allows (never ahead of it).
    pub fn now(&self) -> Duration {
        let host = self.host.now().as_millis() as i128;
        let server = (host + i128::from(self.skew.planned_millis)).max(0);
        Duration::from_millis(u64::try_from(server).unwrap_or(u64::MAX))
    }

    /// The skew applied.
    pub fn skew(&self) -> Skew {
        self.skew
    }

    /// The host clock, for sleeping.
    pub fn host(&self) -> &dyn Clock {
        self.host.as_ref()
    }

    /// Sleeps until the server's time reaches `target`, calling `tick` with the time left about
    /// every `step` so that a countdown can be drawn. Returns at once if `target` has passed.
    pub async fn sleep_until(
        &self,
        target: Duration,
        step: Duration,
        mut tick: impl FnMut(Duration),
    ) {
        loop {
            let left = target.saturating_sub(self.now());
            tick(left);
            if left.is_zero() {
                return;
            }
            self.host.sleep(left.min(step)).await;
        }
    }
}

/// A TOTP period: RFC 6238's time step `X`, in whole seconds (30 for AWS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period(u64);

impl Period {
    /// AWS's period, and RFC 6238's default.
    pub const DEFAULT: Period = Period(30);

    /// A period of `secs` seconds; `None` for zero.
    pub fn new(secs: u64) -> Option<Self> {
        (secs > 0).then_some(Period(secs))
    }

    /// The period in seconds.
    pub fn secs(self) -> u64 {
        self.0
    }

    /// RFC 6238 §4.2: `T = floor((t - T0) / X)` with `T0 = 0`.
    pub fn counter_at(self, t: Duration) -> u64 {
        t.as_secs() / self.0
    }

    /// The first instant of window `counter`.
    pub fn window_start(self, counter: u64) -> Duration {
        Duration::from_secs(counter.saturating_mul(self.0))
    }
}

/// Whether the tool waits for a fresh window or uses the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Code 1 from the current window, code 2 from the next one, read when it starts (the default).
    #[default]
    Wait,
    /// Code 1 from the previous window, code 2 from the current one, at once.
    NoWait,
}

/// Two consecutive time-step counters `(first, first + 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// The counter of code 1.
    pub first: u64,
}

impl Pair {
    /// The counter of code 2.
    pub fn second(self) -> u64 {
        self.first + 1
    }

    /// Both counters, as outputs and the audit log write them.
    pub fn counters(self) -> [u64; 2] {
        [self.first, self.second()]
    }
}

/// Chooses the counters of each attempt, and remembers what was sent.
#[derive(Debug, Clone)]
pub struct Planner {
    period: Period,
    mode: Mode,
    last_sent: Option<u64>,
}

impl Planner {
    /// A planner for a source of the given period.
    pub fn new(period: Period, mode: Mode) -> Self {
        Planner {
            period,
            mode,
            last_sent: None,
        }
    }

    /// Waiting for a fresh window, or not.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The period planned in.
    pub fn period(&self) -> Period {
        self.period
    }

    /// The pair for the next attempt, at server time `now`.
    ///
    /// Waiting mode takes the current window and the next; `--no-wait` the previous and the
    /// current. Either way the first counter is past every counter already sent, so a retry never
    /// overlaps an earlier pair: AWS may have seen (and burned) any code it was sent.
    pub fn next_pair(&self, now: Duration) -> Pair {
        let current = self.period.counter_at(now);
        let preferred = match self.mode {
            Mode::Wait => current,
            Mode::NoWait => current.saturating_sub(1),
        };
        Pair {
            first: self
                .last_sent
                .map_or(preferred, |last| preferred.max(last + 1)),
        }
    }

    /// The server time at which code 2's window opens: the earliest moment to read it and submit.
    pub fn code2_due(&self, pair: Pair) -> Duration {
        self.period.window_start(pair.second())
    }

    /// Whether the pair may still be sent at server time `now`: code 2's window must be the
    /// server's current one, or AWS would see a pair that is a window behind (and learn a false drift).
    pub fn is_current(&self, pair: Pair, now: Duration) -> bool {
        self.period.counter_at(now) == pair.second()
    }

    /// Records that `pair` went out: none of its counters will be planned again.
    pub fn record_sent(&mut self, pair: Pair) {
        self.record_used(pair.second());
    }

    /// The highest counter of the pairs recorded as sent (or used).
    pub fn last_sent(&self) -> Option<u64> {
        self.last_sent
    }

    /// Records that every counter up to `counter` was used (sent by an earlier run for the same
    /// device, say): the next pair starts after it.
    pub fn record_used(&mut self, counter: u64) {
        self.last_sent = Some(self.last_sent.map_or(counter, |l| l.max(counter)));
    }
}

/// A clock for tests: time moves only when someone sleeps or advances it.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_millis: AtomicU64,
}

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: Duration) -> Self {
        ManualClock {
            now_millis: AtomicU64::new(start.as_millis() as u64),
        }
    }

    /// Moves time forward by `by`, as a slow device or network would.
    pub fn advance(&self, by: Duration) {
        self.now_millis
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.now_millis.load(Ordering::SeqCst))
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Period = Period::DEFAULT;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn counters_follow_rfc_6238() {
        // RFC 6238 Appendix B: T = 59 → counter 1; T = 1111111109 → 0x23523EC.
        assert_eq!(P.counter_at(secs(59.0)), 1);
        assert_eq!(P.counter_at(secs(1_111_111_109.0)), 0x0235_23EC);
        assert_eq!(P.counter_at(secs(60.0)), 2);
        assert_eq!(P.counter_at(secs(59.999)), 1);
        assert_eq!(P.window_start(2), secs(60.0));
        assert_eq!(Period::new(60).unwrap().counter_at(secs(119.0)), 1);
        assert!(Period::new(0).is_none());
    }

    #[test]
    fn waiting_mode_takes_this_window_and_the_next() {
        let planner = Planner::new(P, Mode::Wait);
        for t in [60.0, 75.0, 89.999] {
            let pair = planner.next_pair(secs(t));
            assert_eq!((pair.first, pair.second()), (2, 3), "at {t}");
            assert_eq!(planner.code2_due(pair), secs(90.0));
        }
    }

    #[test]
    fn no_wait_takes_the_previous_window_and_this_one() {
        let planner = Planner::new(P, Mode::NoWait);
        let pair = planner.next_pair(secs(60.0));
        assert_eq!((pair.first, pair.second()), (1, 2));
        assert!(planner.is_current(pair, secs(60.0)));
        assert!(planner.is_current(pair, secs(89.9)));
        assert!(
            !planner.is_current(pair, secs(90.0)),
            "one boundary later the pair is a window behind"
        );
    }

    #[test]
    fn retries_never_reuse_a_counter() {
        let mut planner = Planner::new(P, Mode::NoWait);
        let first = planner.next_pair(secs(100.0)); // (2, 3)
        planner.record_sent(first);
        // Still in window 3: the next pair must start at 4, in the future.
        let retry = planner.next_pair(secs(101.0));
        assert_eq!(retry.first, 4);
        assert_eq!(planner.code2_due(retry), secs(150.0));
        planner.record_sent(retry);
        let again = planner.next_pair(secs(200.0)); // window 6: (5, 6) is fresh
        assert_eq!(again.first, 6);
    }

    #[test]
    fn a_counter_used_before_is_never_planned_again() {
        let mut planner = Planner::new(P, Mode::Wait);
        // A key served in window 3 (pair 3, 4) and put back during window 4.
        planner.record_used(4);
        let pair = planner.next_pair(secs(125.0));
        assert_eq!((pair.first, pair.second()), (5, 6));
        assert_eq!(planner.code2_due(pair), secs(180.0));
        // An older use does not lower the floor.
        planner.record_used(2);
        assert_eq!(planner.next_pair(secs(125.0)).first, 5);
        // Long after, the current window is fresh again.
        assert_eq!(planner.next_pair(secs(600.0)).first, 20);
    }

    #[test]
    fn skew_from_date_ignores_noise_in_reports_and_keeps_sign() {
        assert!(Skew::from_date(1000, secs(1000.2)).is_zero());
        assert_eq!(Skew::from_date(1000, secs(999.0)).millis(), 1_500);
        assert_eq!(Skew::from_date(1040, secs(1000.0)).millis(), 40_500);
        assert_eq!(Skew::from_date(1000, secs(1040.0)).millis(), -39_500);
    }

    #[test]
    fn windows_are_planned_at_the_lowest_offset_the_date_allows() {
        // Noise for the report, but still applied: AWS may be 0.2 s behind.
        assert_eq!(Skew::from_date(1000, secs(1000.2)).planned_millis, -200);
        assert_eq!(Skew::from_date(1040, secs(1000.0)).planned_millis, 40_000);
        assert_eq!(Skew::from_millis(7).planned_millis, 7);
    }

    #[test]
    fn the_planned_time_is_never_ahead_of_aws_s_own() {
        // AWS `true_skew` ahead of the host writes its Date `lag` after its second began; the
        // answer arrives `flight` later. Whatever they are, the planned time is not ahead of AWS.
        for true_skew in [-61_000i64, -1_500, -999, -1, 0, 1, 400, 999, 1_001, 40_000] {
            for lag in [0u64, 1, 250, 500, 999] {
                for flight in [0u64, 1, 40, 300, 2_000] {
                    let aws_at_answer: u64 = 2_000_000_000_000 + lag;
                    let date = aws_at_answer / 1000;
                    let host_at_answer = aws_at_answer as i64 - true_skew;
                    let received = Duration::from_millis((host_at_answer as u64) + flight);
                    let skew = Skew::from_date(date, received);
                    let host = Arc::new(ManualClock::new(received));
                    let planned = ServerClock::new(host, skew).now().as_millis() as i64;
                    let aws_now = received.as_millis() as i64 + true_skew;
                    assert!(
                        planned <= aws_now && aws_now - planned < 1_000 + flight as i64 + 1,
                        "skew {true_skew}, lag {lag}, flight {flight}: planned {planned}, AWS {aws_now}"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn server_clock_applies_skew_and_sleeps_to_the_boundary() {
        let host = Arc::new(ManualClock::new(secs(1000.0)));
        let clock = ServerClock::new(host.clone(), Skew::from_millis(40_000));
        assert_eq!(clock.now(), secs(1040.0));
        let mut ticks = Vec::new();
        clock
            .sleep_until(secs(1050.0), Duration::from_secs(1), |left| {
                ticks.push(left)
            })
            .await;
        assert_eq!(clock.now(), secs(1050.0));
        assert_eq!(host.now(), secs(1010.0));
        assert_eq!(ticks.first(), Some(&secs(10.0)));
        assert_eq!(ticks.last(), Some(&Duration::ZERO));
        assert_eq!(ticks.len(), 11);
    }
}
