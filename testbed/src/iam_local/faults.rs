//! Injected failures: what a flaky AWS does to a client, on demand.
//!
//! Owns the fault syntax (`KIND[-once|-always|-N][@Action]`), its parsing and printing, and the
//! bookkeeping of how many times each fault still fires. It decides *which* fault hits a request; the
//! server carries it out (sleeps, answers 500, drops the connection).

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

/// What a fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// `500`: answer 500 ServiceFailure without processing the request.
    ServiceFailure,
    /// `500-after`: process the request (codes are consumed), then answer 500 ServiceFailure, like a
    /// server that fails after committing.
    ServiceFailureAfter,
    /// `throttle`: answer 400 Throttling, "Rate exceeded".
    Throttle,
    /// `delay=MS`: wait this long before handling the request; combines with the others.
    Delay(Duration),
    /// `drop`: close the connection without any response.
    Drop,
    /// `date=SECS`: the answer's `Date` this many seconds ahead of server time (a clock no AWS
    /// endpoint has); the request is processed as usual. Combines with the others.
    DateAhead(u64),
    /// `200-error`: answer 200 with a ServiceFailure error document; not processed.
    ErrorAt200,
    /// `200-garbage`: answer 200 with a body that is not XML at all; not processed.
    GarbageAt200,
    /// `huge`: answer 200 with a body of 2 GiB, streamed without a length; not processed.
    Huge,
    /// `hostile`: answer 400 InvalidInput whose message holds a carriage return, a newline with a
    /// forged result line after it, a bidi override and C1 controls (what XML lets through);
    /// not processed.
    Hostile,
}

/// How many requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTimes {
    /// The first matching request only (the default).
    Once,
    /// Every matching request.
    Always,
    /// The first N matching requests.
    Count(u32),
}

/// One injected fault: what, how often, and for which action (all actions when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What it does.
    pub kind: FaultKind,
    /// How many requests it hits.
    pub times: FaultTimes,
    /// The `Action` it applies to.
    pub action: Option<String>,
}

/// A fault specification that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid fault '{spec}': {reason}; expected KIND[-once|-always|-N][@Action] with KIND one of 500, 500-after, throttle, delay=MS, drop, date=SECS, 200-error, 200-garbage, huge, hostile (e.g. 500-once@ResyncMFADevice)"
)]
pub struct FaultParseError {
    spec: String,
    reason: &'static str,
}

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(spec: &str) -> Result<Fault, FaultParseError> {
        let err = |reason| FaultParseError {
            spec: spec.to_owned(),
            reason,
        };
        let trimmed = spec.trim();
        let (body, action) = match trimmed.split_once('@') {
            Some((body, action)) => {
                if action.is_empty() || !action.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(err(
                        "the action after @ must be an API action name like ResyncMFADevice",
                    ));
                }
                (body, Some(action.to_owned()))
            }
            None => (trimmed, None),
        };
        let (kind_text, times) = if let Some(k) = body.strip_suffix("-once") {
            (k, FaultTimes::Once)
        } else if let Some(k) = body.strip_suffix("-always") {
            (k, FaultTimes::Always)
        } else {
            match body.rsplit_once('-') {
                Some((k, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                    let n: u32 = n.parse().map_err(|_| err("the count is too large"))?;
                    if n == 0 {
                        return Err(err("the count must be at least 1"));
                    }
                    (k, FaultTimes::Count(n))
                }
                _ => (body, FaultTimes::Once),
            }
        };
        let kind = match kind_text {
            "500" => FaultKind::ServiceFailure,
            "500-after" => FaultKind::ServiceFailureAfter,
            "throttle" => FaultKind::Throttle,
            "drop" => FaultKind::Drop,
            "200-error" => FaultKind::ErrorAt200,
            "200-garbage" => FaultKind::GarbageAt200,
            "huge" => FaultKind::Huge,
            "hostile" => FaultKind::Hostile,
            other => {
                let digits =
                    |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
                match (other.strip_prefix("delay="), other.strip_prefix("date=")) {
                    (Some(ms), _) if digits(ms) => {
                        let ms: u64 = ms.parse().map_err(|_| err("the delay is too large"))?;
                        FaultKind::Delay(Duration::from_millis(ms))
                    }
                    (Some(_), _) => return Err(err("delay needs milliseconds, like delay=5000")),
                    (_, Some(secs)) if digits(secs) => FaultKind::DateAhead(
                        secs.parse().map_err(|_| err("the date is too far ahead"))?,
                    ),
                    (_, Some(_)) => {
                        return Err(err("date needs seconds ahead, like date=315360000"));
                    }
                    _ => return Err(err("unknown kind")),
                }
            }
        };
        Ok(Fault {
            kind,
            times,
            action,
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FaultKind::ServiceFailure => f.write_str("500")?,
            FaultKind::ServiceFailureAfter => f.write_str("500-after")?,
            FaultKind::Throttle => f.write_str("throttle")?,
            FaultKind::Delay(d) => write!(f, "delay={}", d.as_millis())?,
            FaultKind::Drop => f.write_str("drop")?,
            FaultKind::DateAhead(secs) => write!(f, "date={secs}")?,
            FaultKind::ErrorAt200 => f.write_str("200-error")?,
            FaultKind::GarbageAt200 => f.write_str("200-garbage")?,
            FaultKind::Huge => f.write_str("huge")?,
            FaultKind::Hostile => f.write_str("hostile")?,
        }
        match self.times {
            FaultTimes::Once => f.write_str("-once")?,
            FaultTimes::Always => f.write_str("-always")?,
            FaultTimes::Count(n) => write!(f, "-{n}")?,
        }
        if let Some(action) = &self.action {
            write!(f, "@{action}")?;
        }
        Ok(())
    }
}

/// What the faults decided for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triggered {
    /// Total time to wait first.
    pub delay: Duration,
    /// How far ahead of server time the answer is dated.
    pub date_ahead: u64,
    /// The fault that replaces or alters the answer, if any (never `Delay` or `DateAhead`).
    pub outcome: Option<FaultKind>,
    /// The faults that fired, in their own syntax, for the log.
    pub names: Vec<String>,
}

impl Triggered {
    /// The log's `fault` field: the fired faults, comma-separated.
    pub fn describe(&self) -> Option<String> {
        (!self.names.is_empty()).then(|| self.names.join(","))
    }
}

/// The faults configured on a server and how many hits each has left.
#[derive(Debug, Default)]
pub struct Faults {
    slots: Mutex<Vec<(Fault, Option<u32>)>>,
}

impl Faults {
    /// Arms `faults`, each with its full count.
    pub fn new(faults: Vec<Fault>) -> Faults {
        let faults_set = Faults::default();
        for f in faults {
            faults_set.add(f);
        }
        faults_set
    }

    /// Arms one more fault.
    pub fn add(&self, fault: Fault) {
        let remaining = match fault.times {
            FaultTimes::Once => Some(1),
            FaultTimes::Always => None,
            FaultTimes::Count(n) => Some(n),
        };
        self.lock().push((fault, remaining));
    }

    /// Fires the faults matching `action`: every matching delay and date, and the first matching
    /// other fault (in the order given). Each fired fault uses up one of its hits.
    pub fn take(&self, action: &str) -> Triggered {
        let mut triggered = Triggered::default();
        let mut slots = self.lock();
        for (fault, remaining) in slots.iter_mut() {
            if *remaining == Some(0) || fault.action.as_deref().is_some_and(|a| a != action) {
                continue;
            }
            match fault.kind {
                FaultKind::Delay(d) => triggered.delay += d,
                FaultKind::DateAhead(secs) => triggered.date_ahead += secs,
                kind if triggered.outcome.is_none() => triggered.outcome = Some(kind),
                _ => continue,
            }
            if let Some(n) = remaining {
                *n -= 1;
            }
            triggered.names.push(fault.to_string());
        }
        triggered
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Fault, Option<u32>)>> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Fault {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_the_documented_examples() {
        assert_eq!(
            parse("500-once@ResyncMFADevice"),
            Fault {
                kind: FaultKind::ServiceFailure,
                times: FaultTimes::Once,
                action: Some("ResyncMFADevice".into())
            }
        );
        assert_eq!(
            parse("throttle-always"),
            Fault {
                kind: FaultKind::Throttle,
                times: FaultTimes::Always,
                action: None
            }
        );
        assert_eq!(
            parse("delay=5000@ResyncMFADevice").kind,
            FaultKind::Delay(Duration::from_secs(5))
        );
        assert_eq!(parse("drop-once").kind, FaultKind::Drop);
        assert_eq!(parse("500").times, FaultTimes::Once);
        let after = parse("500-after");
        assert_eq!(
            (after.kind, after.times),
            (FaultKind::ServiceFailureAfter, FaultTimes::Once)
        );
        let after = parse("500-after-always@EnableMFADevice");
        assert_eq!(
            (after.kind, after.times),
            (FaultKind::ServiceFailureAfter, FaultTimes::Always)
        );
        assert_eq!(parse("throttle-3").times, FaultTimes::Count(3));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "500-once@ResyncMFADevice",
            "throttle-always",
            "delay=250-once",
            "drop-2@GetUser",
            "500-after-once",
            "date=315360000-once@GetCallerIdentity",
            "200-garbage-always@ResyncMFADevice",
            "200-error-once",
            "huge-2",
            "hostile-once",
        ] {
            assert_eq!(parse(s).to_string(), s);
            assert_eq!(parse(&parse(s).to_string()), parse(s));
        }
        assert_eq!(parse("500@GetUser").to_string(), "500-once@GetUser");
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "404",
            "delay",
            "delay=",
            "delay=abc",
            "throttle@",
            "throttle-0",
            "drop@Get User",
            "500-sometimes",
            "date=",
            "date=-5",
            "200-nonsense",
        ] {
            let err = bad.parse::<Fault>().unwrap_err();
            assert!(err.to_string().contains("expected KIND"), "{bad}: {err}");
        }
    }

    #[test]
    fn counts_are_used_up_per_matching_request() {
        let faults = Faults::new(vec![parse("500-once@ResyncMFADevice"), parse("throttle-2")]);
        let first = faults.take("GetCallerIdentity");
        assert_eq!(first.outcome, Some(FaultKind::Throttle));
        let second = faults.take("ResyncMFADevice");
        assert_eq!(second.outcome, Some(FaultKind::ServiceFailure));
        assert_eq!(
            second.describe().as_deref(),
            Some("500-once@ResyncMFADevice")
        );
        // The throttle was not used by the second request: the 500 came first.
        assert_eq!(
            faults.take("ResyncMFADevice").outcome,
            Some(FaultKind::Throttle)
        );
        assert_eq!(faults.take("ResyncMFADevice"), Triggered::default());
    }

    #[test]
    fn a_date_ahead_alters_the_answer_the_others_make() {
        let faults = Faults::new(vec![parse("date=600-always"), parse("200-garbage")]);
        let t = faults.take("ResyncMFADevice");
        assert_eq!(
            (t.date_ahead, t.outcome),
            (600, Some(FaultKind::GarbageAt200))
        );
        let t = faults.take("ResyncMFADevice");
        assert_eq!((t.date_ahead, t.outcome), (600, None));
    }

    #[test]
    fn delays_add_up_and_combine() {
        let faults = Faults::new(vec![
            parse("delay=100-always"),
            parse("delay=50"),
            parse("drop"),
        ]);
        let t = faults.take("GetUser");
        assert_eq!(t.delay, Duration::from_millis(150));
        assert_eq!(t.outcome, Some(FaultKind::Drop));
        assert_eq!(
            t.describe().as_deref(),
            Some("delay=100-always,delay=50-once,drop-once")
        );
        let t = faults.take("GetUser");
        assert_eq!((t.delay, t.outcome), (Duration::from_millis(100), None));
    }
}
