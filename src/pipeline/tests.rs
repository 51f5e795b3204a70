//! The flow below AWS: the pair reader and the send loop against a manual clock and a fake
//! submission, so that windows, staleness, skew and retries are tested in milliseconds.

use std::sync::Mutex;

use super::*;
use crate::aws::{AwsError, Receipt, Refused};
use crate::source::{CodeSource, DeviceError, SourceInfo};
use crate::window::{Clock, ManualClock, Mode, Period, ServerClock};
use std::sync::Arc;
use std::time::Duration;

/// The counters a source was read at, in order.
type Reads = Arc<Mutex<Vec<u64>>>;

/// A host-clock source that takes `latency` per read on the manual clock and records counters.
struct SlowSource {
    clock: Arc<ManualClock>,
    latencies: Vec<Duration>,
    reads: Reads,
}

/// A 6-digit, 30-s source of `kind` with no device to name.
pub(super) fn info(kind: &'static str) -> SourceInfo {
    SourceInfo {
        kind,
        device_serial: None,
        account: None,
        period: 30,
        digits: 6,
        touch: false,
    }
}

impl CodeSource for SlowSource {
    fn describe(&self) -> SourceInfo {
        info("test")
    }
    fn clock(&self) -> ClockOwner {
        ClockOwner::Host
    }
    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        let mut reads = self.reads.lock().unwrap();
        let latency = self.latencies.get(reads.len()).copied().unwrap_or_default();
        reads.push(counter);
        self.clock.advance(latency);
        Code::from_digits(format!("{:06}", counter % 1_000_000))
    }
}

/// Records what was sent, and the server time at which; fails the first `failures` sends.
struct FakeAws {
    clock: ServerClock,
    failures: u32,
    sent: Vec<(String, String, Duration)>,
}

impl Call for &mut FakeAws {
    async fn call(&mut self, code1: &Code, code2: &Code) -> Result<Receipt, Refused> {
        self.sent.push((
            code1.expose().into(),
            code2.expose().into(),
            self.clock.now(),
        ));
        if self.failures > 0 {
            self.failures -= 1;
            Err(Refused::from(AwsError::Transient {
                code: "ServiceFailure".into(),
                what: "ServiceFailure".into(),
                detail: String::new(),
            }))
        } else {
            Ok(Receipt {
                request_id: Some("r".into()),
            })
        }
    }
}

impl FakeAws {
    fn new(clock: &ServerClock, failures: u32) -> FakeAws {
        FakeAws {
            clock: clock.clone(),
            failures,
            sent: Vec::new(),
        }
    }
}

/// A reader of `source` in `mode` on `server`'s clock, and what stops it.
pub(super) fn reader(
    server: &ServerClock,
    source: impl CodeSource + 'static,
    mode: Mode,
) -> (tokio::sync::watch::Sender<bool>, PairReader) {
    let (tx, interrupt) = Interrupt::manual();
    let reporter = Reporter::silent();
    let reader = PairReader::new(Box::new(source), server.clone(), mode, reporter, interrupt);
    (tx, reader)
}

/// Sends through `aws` with fresh-pair retries, at most three pairs.
async fn send(reader: &mut PairReader, aws: &mut FakeAws) -> Result<Sent, Error> {
    send_with_retries(reader, &mut Sender::new(aws), 3).await
}

fn setup(
    start: f64,
    skew_ms: i64,
    latencies: &[f64],
) -> (Arc<ManualClock>, ServerClock, SlowSource, Reads) {
    let host = Arc::new(ManualClock::new(Duration::from_secs_f64(start)));
    let server = ServerClock::new(host.clone() as Arc<dyn Clock>, Skew::from_millis(skew_ms));
    let reads = Arc::new(Mutex::new(Vec::new()));
    let source = SlowSource {
        clock: host.clone(),
        latencies: latencies
            .iter()
            .map(|s| Duration::from_secs_f64(*s))
            .collect(),
        reads: reads.clone(),
    };
    (host, server, source, reads)
}

async fn send_pairs(
    server: &ServerClock,
    source: SlowSource,
    mode: Mode,
    failures: u32,
) -> (Result<Sent, Error>, FakeAws) {
    let (_tx, mut reader) = reader(server, source, mode);
    let mut aws = FakeAws::new(server, failures);
    (send(&mut reader, &mut aws).await, aws)
}

#[tokio::test]
async fn waiting_mode_reads_code_2_at_the_boundary() {
    let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
    let (result, aws) = send_pairs(&server, source, Mode::Wait, 0).await;
    let sent = result.unwrap();
    let c = 1_000_000_012 / 30;
    assert_eq!(*reads.lock().unwrap(), vec![c, c + 1]);
    assert_eq!(sent.pair.map(|p| p.first), Some(c));
    assert_eq!(aws.sent.len(), 1);
    assert_eq!(
        aws.sent[0].2,
        Duration::from_secs((c + 1) * 30),
        "submitted at the boundary, not later"
    );
}

#[tokio::test]
async fn no_wait_sends_at_once() {
    let (host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
    let (result, _aws) = send_pairs(&server, source, Mode::NoWait, 0).await;
    result.unwrap();
    let c = 1_000_000_012 / 30;
    assert_eq!(*reads.lock().unwrap(), vec![c - 1, c]);
    assert_eq!(
        host.now(),
        Duration::from_secs(1_000_000_012),
        "no time passed"
    );
}

#[tokio::test]
async fn a_slow_touch_past_the_boundary_still_gives_a_current_consecutive_pair() {
    // Code 1 takes 25 s (past the boundary at +18 s): code 2 is then read at once.
    let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[25.0, 3.0]);
    let (result, aws) = send_pairs(&server, source, Mode::Wait, 0).await;
    result.unwrap();
    let c = 1_000_000_012 / 30;
    assert_eq!(*reads.lock().unwrap(), vec![c, c + 1]);
    assert_eq!(Period::DEFAULT.counter_at(aws.sent[0].2), c + 1);
}

#[tokio::test]
async fn a_pair_gone_stale_is_dropped_unsent() {
    // Code 2 takes 40 s: the pair would reach AWS a window late, so a fresh one is read.
    let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[0.0, 40.0, 0.0, 0.0]);
    let (result, aws) = send_pairs(&server, source, Mode::Wait, 0).await;
    result.unwrap();
    let reads = reads.lock().unwrap().clone();
    assert_eq!(reads.len(), 4);
    assert_eq!(aws.sent.len(), 1, "the stale pair was never sent");
    assert_eq!(reads[3], reads[2] + 1);
    assert_eq!(Period::DEFAULT.counter_at(aws.sent[0].2), reads[3]);
}

#[tokio::test]
async fn skew_is_applied_to_the_windows() {
    // The host is 40 s behind AWS: at host 1_000_000_012 AWS is at …052, one window on.
    let (_host, server, source, reads) = setup(1_000_000_012.0, 40_000, &[]);
    let (result, aws) = send_pairs(&server, source, Mode::Wait, 0).await;
    result.unwrap();
    let c = 1_000_000_052 / 30;
    assert_eq!(*reads.lock().unwrap(), vec![c, c + 1]);
    assert_eq!(Period::DEFAULT.counter_at(aws.sent[0].2), c + 1);
}

#[tokio::test]
async fn retries_use_fresh_pairs_and_stop_at_max_attempts() {
    let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
    let (result, aws) = send_pairs(&server, source, Mode::NoWait, 5).await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Aws { attempts: 3, .. }), "{err:?}");
    assert_eq!(aws.sent.len(), 3);
    let reads = reads.lock().unwrap().clone();
    let mut sorted = reads.clone();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        reads.len(),
        "no counter read twice: {reads:?}"
    );
    assert!(reads.windows(2).all(|w| w[1] > w[0]), "{reads:?}");
    for pair in reads.chunks(2) {
        assert_eq!(pair[1], pair[0] + 1);
    }
}

#[tokio::test]
async fn a_retry_succeeds_with_a_fresh_pair() {
    let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
    let (result, aws) = send_pairs(&server, source, Mode::Wait, 1).await;
    assert_eq!(result.unwrap().attempts, 2);
    let reads = reads.lock().unwrap().clone();
    assert_eq!(reads.len(), 4);
    assert!(reads[2] > reads[1], "{reads:?}");
    assert_ne!(aws.sent[0].0, aws.sent[1].0);
}

#[tokio::test]
async fn ctrl_c_during_the_wait_sends_nothing() {
    let (_host, server, source, _reads) = setup(1_000_000_012.0, 0, &[]);
    let (tx, mut reader) = reader(&server, source, Mode::Wait);
    tx.send(true).unwrap();
    let mut aws = FakeAws::new(&server, 0);
    let err = send(&mut reader, &mut aws).await;
    assert!(matches!(err, Err(Error::Interrupted { .. })), "{err:?}");
    assert!(aws.sent.is_empty());
}

#[tokio::test]
async fn a_device_read_before_starts_past_what_it_used_and_says_what_it_used() {
    // A station served this device with (c, c + 1) and the key came back within window c + 1.
    let (_host, server, source, reads) = setup(1_000_000_012.0, 0, &[]);
    let c = 1_000_000_012 / 30;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let (_tx, reader) = reader(&server, source, Mode::Wait);
    let mut reader = reader
        .after(Some(c + 1))
        .observed(Box::new(move |p| log.lock().unwrap().push(p)));
    let sent = send(&mut reader, &mut FakeAws::new(&server, 0))
        .await
        .unwrap();
    assert_eq!(*reads.lock().unwrap(), vec![c + 2, c + 3]);
    assert_eq!(sent.pair.map(|p| p.first), Some(c + 2));
    assert_eq!(reader.last_sent(), Some(c + 3));
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            Progress::Code1Read {
                counter: c + 2,
                code2_due: Duration::from_secs((c + 3) * 30),
            },
            Progress::Code2Read { counter: c + 3 },
        ]
    );
}

#[tokio::test]
async fn a_read_cut_short_spends_no_counter() {
    let (_host, server, source, _reads) = setup(1_000_000_012.0, 0, &[]);
    let c = 1_000_000_012 / 30;
    let (tx, reader) = reader(&server, source, Mode::Wait);
    let mut reader = reader.observed(Box::new(move |p| {
        // The key leaves as soon as code 1 is read: the wait for code 2 is cut short.
        if matches!(p, Progress::Code1Read { .. }) {
            let _ = tx.send(true);
        }
    }));
    let mut aws = FakeAws::new(&server, 0);
    let err = send(&mut reader, &mut aws).await;
    assert!(matches!(err, Err(Error::Interrupted { .. })), "{err:?}");
    assert!(aws.sent.is_empty());
    assert_eq!(
        reader.last_sent(),
        None,
        "code 1 of {c} never left: reading it again costs nothing"
    );
}

#[tokio::test]
async fn a_run_after_another_takes_the_windows_after_those_it_sent_and_records_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let counters = crate::state::SentCounters::in_dir(dir.path());
    let t = 1_000_000_012u64;
    let c = t / 30;
    // A run 5 s ago sent (c - 1, c): waiting mode would take (c, c + 1), reusing c.
    counters
        .record("GAHT12345678", (c + 1) * 30, t - 5)
        .unwrap();
    let (_host, server, source, reads) = setup(t as f64, 0, &[]);
    let (_tx, reader) = reader(&server, source, Mode::Wait);
    let mut reader = reader.remembered_in(Some(&counters), "GAHT12345678");
    let sent = send(&mut reader, &mut FakeAws::new(&server, 1))
        .await
        .unwrap();
    // The first pair (c + 1, c + 2) failed in flight; the retry starts after it.
    assert_eq!(*reads.lock().unwrap(), vec![c + 1, c + 2, c + 3, c + 4]);
    assert_eq!(sent.pair.map(|p| p.first), Some(c + 3));
    let used = counters.last("GAHT12345678").unwrap();
    assert_eq!(
        used.used_until,
        (c + 5) * 30,
        "the last pair sent, in the file"
    );
    assert_eq!(counters.last("another"), None);
}
