//! The per-target flow every command runs: open the source and check its digits (before any
//! request), connect and measure the skew once ([`target::Session`]), resolve the target, choose the
//! key's credential, read pairs with the planner ([`reader`]) and submit them with fresh-pair
//! retries through a [`sender`] that audits each attempt and bounds the requests in flight. `resync` runs it once, `--batch` once per
//! row on one session, enrolment and a station likewise.
//!
//! This is the only layer that sees the device layer, the AWS layer and the window planner
//! together; it knows nothing of clap.

pub mod codes;
pub mod complete;
pub mod devices;
pub mod doctor;
pub mod enroll;
pub mod interrupt;
pub mod open;
pub mod reader;
pub mod retire;
pub mod run;
pub mod sender;
pub mod station;
pub mod tally;
pub mod target;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod typed_tests;

use std::sync::Mutex;

pub use interrupt::Interrupt;
pub use open::Opened;
pub use reader::{Observer, PairReader, Progress, ReadPair};
pub use run::{Opening, Run};
pub use sender::{
    Call, DEFAULT_MAX_ATTEMPTS, MAX_IN_FLIGHT, Resync, Sender, Sent, send_with_retries,
};
pub use tally::Tally;
pub use target::{Session, Target};

use crate::audit::Trail;
use crate::aws::{AwsError, Receipt, Refused};
use crate::error::{Error, PairsFrom};
use crate::model::{AuthCode, IAM_CODE_DIGITS, SerialNumber, UserName};
use crate::report::{Reporter, ResyncReport};
use crate::request::Pace;
use crate::source::{ClockOwner, Code};
use crate::window::{Pair, Skew};

/// `mutex`'s value, even after a thread panicked holding it: what it guards (a skew, a map of
/// turns) stays whole at every step.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `answer`'s line in `log`, as the step `step` on device `serial`: `done` when it took effect,
/// `missing` (when given) when AWS knows no such device (nothing was left to do), else the error's
/// code.
fn log_answer(
    log: &Trail<'_>,
    (step, serial): (&str, &str),
    answer: &Result<Receipt, Refused>,
    (done, missing): (&str, Option<&str>),
) {
    let (result, request_id) = match answer {
        Ok(receipt) => (done.to_string(), receipt.request_id.as_deref()),
        Err(refused) => match (missing, &refused.error) {
            (Some(missing), AwsError::NoSuchEntity { .. }) => {
                (missing.to_string(), refused.request_id.as_deref())
            }
            _ => (refused.error.code(), refused.request_id.as_deref()),
        },
    };
    log.of_device(serial).step(step, None, &result, request_id);
}

/// Where a job's codes come from, once its source is open.
#[derive(Debug)]
pub enum Codes {
    /// Both given by the user: sent once, as they are.
    Given(AuthCode, AuthCode),
    /// Read from an open source.
    Read(Opened),
}

impl Codes {
    /// Whether the host chooses the windows (so the skew against AWS matters).
    pub fn host_clock(&self) -> bool {
        matches!(self, Codes::Read(opened) if opened.clock() == ClockOwner::Host)
    }
}

/// The result of a job that ended with AWS accepting a pair: the device resolved (`target`), the
/// source kind, what was `sent` and accepted, and the `skew` applied to the windows.
fn resynced(target: &Target, source: &str, sent: Sent, skew: Skew) -> ResyncReport {
    ResyncReport {
        user: target.user.to_string(),
        serial: target.serial.to_string(),
        source: source.to_string(),
        attempts: sent.attempts,
        counters: sent.pair.map(Pair::counters),
        skew_seconds: (!skew.is_zero()).then(|| skew.seconds()),
        request_id: sent.receipt.request_id,
    }
}

/// Resyncs the device of `user` (the caller's, when `None`) named `serial` (looked up, when
/// `None`) on `run`: resolves the target, chooses the credential, reads and sends pairs at `pace`,
/// at most as many in flight as `limit` allows. The source was opened (and its digits checked)
/// before the session was connected.
pub async fn resync(
    run: &Run,
    (user, serial): (Option<UserName>, Option<SerialNumber>),
    codes: Codes,
    pace: Pace,
    limit: Option<&tokio::sync::Semaphore>,
    reporter: &Reporter,
) -> Result<ResyncReport, Error> {
    let session = &run.session;
    let key = match &codes {
        Codes::Read(opened) => opened.naming_key(),
        Codes::Given(..) => None,
    };
    let target = session.resolve(user, serial, key).await?;
    reporter.line(format!(
        "User {} ({}), device {} ({}).",
        target.user, target.user_from, target.serial, target.serial_from
    ));
    match codes {
        Codes::Given(code1, code2) => {
            let mut sender = run.sender(&target, ("given", None), limit, reporter);
            let code1 = Code::from_digits(code1.expose().to_string())?;
            let code2 = Code::from_digits(code2.expose().to_string())?;
            // The one pair the user gave: no retry is possible (there is no fresh pair to read).
            let receipt = sender.send(None, &code1, &code2).await;
            let sent = Sent {
                receipt: receipt.map_err(|refused| Error::Aws {
                    source: refused.error,
                    attempts: 1,
                    pairs: PairsFrom::Given,
                })?,
                attempts: 1,
                pair: None,
            };
            Ok(resynced(&target, "given", sent, Skew::ZERO))
        }
        Codes::Read(opened) => {
            let wanted = session.wanted(&target, opened.credentials()).await;
            let (source, step) = opened.finish(wanted)?;
            reporter.reading_from(&source.describe(), step);
            let (mode, interrupt) = (pace.mode, run.interrupt.clone());
            let reader =
                PairReader::new(source, session.clock(), mode, reporter.clone(), interrupt);
            read_and_send(run, target, reader, pace.max_attempts, limit, reporter)
                .await
                .result
        }
    }
}

/// How a reading ended, and the highest counter of the pairs it sent, which the next reading of
/// the same device must start after.
#[derive(Debug)]
pub struct ReadOutcome {
    /// What came of it.
    pub result: Result<ResyncReport, Error>,
    /// The highest counter sent (or given to [`PairReader::after`]).
    pub last_sent: Option<u64>,
    /// Pairs sent, accepted or not (a station's count).
    pub pairs_sent: u32,
}

/// Reads pairs from `reader` and sends them for `target` with fresh-pair retries, at most
/// `max_attempts` pairs, through `run`'s sender, at most as many in flight as `limit` allows: the
/// part of the flow after the target and the credential are known, shared by every command.
pub async fn read_and_send(
    run: &Run,
    target: Target,
    reader: PairReader,
    max_attempts: u32,
    limit: Option<&tokio::sync::Semaphore>,
    reporter: &Reporter,
) -> ReadOutcome {
    let mut reader = reader
        .require_digits(IAM_CODE_DIGITS)
        .remembered_in(run.counters(), target.serial.as_str());
    let info = reader.info.clone();
    let source = (info.kind, info.device_serial.clone());
    let mut sender = run.sender(&target, source, limit, reporter);
    let sent = send_with_retries(&mut reader, &mut sender, max_attempts).await;
    let pairs_sent = sender.attempts();
    let last_sent = reader.last_sent();
    ReadOutcome {
        result: sent.map(|sent| resynced(&target, info.kind, sent, run.session.skew())),
        last_sent,
        pairs_sent,
    }
}
