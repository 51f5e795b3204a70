//! Sending pairs: a [`Submit`] sends one pair once; [`send_with_retries`] sends fresh pairs until
//! one is accepted, a refusal is final, or the attempts are spent, so that a pair AWS may have seen
//! is never sent again.
//!
//! What a command adds around the call is a wrapper, not a flag: [`Audited`] writes the audit line
//! of each attempt, [`Limited`] bounds the requests in flight of a `--batch`. They stack in any order
//! over the call itself ([`IamResync`] here; enrolment's `EnableMFADevice` likewise).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use super::reader::PairReader;
use crate::audit::{Attempt, AuditLog};
use crate::aws::{Aws, Receipt, Refused};
use crate::error::{Error, PairsFrom};
use crate::model::{SerialNumber, UserName};
use crate::report::Reporter;
use crate::source::Code;
use crate::window::Pair;

/// What a submission returns: AWS's receipt, or its refusal with the request id when it answered.
pub type Submitted<'a> = Pin<Box<dyn Future<Output = Result<Receipt, Refused>> + Send + 'a>>;

/// Something that sends a pair, once.
pub trait Submit: Send {
    /// Sends `code1` and `code2`.
    fn submit<'a>(&'a mut self, code1: &'a Code, code2: &'a Code) -> Submitted<'a>;

    /// The counters of the pair the next [`Submit::submit`] sends, when the host chose them: a
    /// wrapper that records attempts (the audit log) keeps them; the call itself has no use for
    /// them.
    fn counters(&mut self, pair: Option<Pair>) {
        let _ = pair;
    }
}

/// IAM `ResyncMFADevice` for one user's device.
pub struct IamResync<'a> {
    /// The clients.
    pub aws: &'a Aws,
    /// The user.
    pub user: &'a UserName,
    /// The device.
    pub serial: &'a SerialNumber,
}

impl Submit for IamResync<'_> {
    fn submit<'a>(&'a mut self, code1: &'a Code, code2: &'a Code) -> Submitted<'a> {
        Box::pin(async move {
            tracing::info!(
                user = self.user.as_str(),
                serial = self.serial.as_str(),
                "sending ResyncMFADevice"
            );
            let result = self
                .aws
                .resync(self.user, self.serial, code1.expose(), code2.expose())
                .await;
            match &result {
                Ok(receipt) => tracing::info!(request_id = ?receipt.request_id, "accepted"),
                Err(refused) => {
                    tracing::info!(error = %refused.error, request_id = ?refused.request_id, "refused")
                }
            }
            result
        })
    }
}

/// One audit line per attempt of the wrapped submission (never the codes).
pub struct Audited<'a, S> {
    inner: S,
    log: &'a Mutex<AuditLog>,
    entry: AuditEntry,
    attempts: u32,
    counters: Option<Pair>,
    reporter: Reporter,
}

/// What each audit line of a target says besides the attempt's outcome.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    /// The step (`None`: a resync); `enable` for an enrolment's EnableMFADevice.
    pub step: Option<&'static str>,
    /// The result written when AWS accepts (`None`: `resynced`).
    pub done: Option<&'static str>,
    /// The caller's ARN.
    pub operator: Option<String>,
    /// The user.
    pub user: String,
    /// The device.
    pub serial: String,
    /// The source kind.
    pub source: String,
    /// The token's own serial, when it has one.
    pub device_serial: Option<String>,
}

impl<'a, S: Submit> Audited<'a, S> {
    /// Audits `inner` into `log`.
    pub fn new(inner: S, log: &'a Mutex<AuditLog>, entry: AuditEntry, reporter: Reporter) -> Self {
        Audited {
            inner,
            log,
            entry,
            attempts: 0,
            counters: None,
            reporter,
        }
    }
}

impl<S: Submit> Submit for Audited<'_, S> {
    fn counters(&mut self, pair: Option<Pair>) {
        self.counters = pair;
        self.inner.counters(pair);
    }

    fn submit<'a>(&'a mut self, code1: &'a Code, code2: &'a Code) -> Submitted<'a> {
        Box::pin(async move {
            let result = self.inner.submit(code1, code2).await;
            self.attempts += 1;
            let (outcome, request_id) = match &result {
                Ok(receipt) => (
                    self.entry.done.unwrap_or("resynced").to_string(),
                    receipt.request_id.as_deref(),
                ),
                Err(refused) => (refused.error.code(), refused.request_id.as_deref()),
            };
            let attempt = Attempt {
                step: self.entry.step,
                operator: self.entry.operator.as_deref(),
                user: &self.entry.user,
                serial: &self.entry.serial,
                source: &self.entry.source,
                device_serial: self.entry.device_serial.as_deref(),
                attempt: self.attempts,
                counters: self.counters.take().map(|p| (p.first, p.second())),
                result: &outcome,
                request_id,
            };
            // The codes went out whatever the log says: a lost line is reported at once, and the log
            // remembers it, so the command ends non-zero (exit 8 when the resync succeeded).
            let written = AuditLog::record_shared(self.log, &attempt);
            if let Err(problem) = written {
                self.reporter.warn(problem);
            }
            result
        })
    }
}

/// Pairs tried per target when AWS or the network fails, each a fresh one: `resync`'s default
/// (`--max-attempts`), and what `station` and an enrolment's Enable take.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Requests in flight at once across a `--batch` or a station: enough to finish fifty targets well
/// inside a window, few enough not to look like a burst to IAM's throttling.
pub const MAX_IN_FLIGHT: usize = 8;

/// At most as many requests in flight as the semaphore has permits, across every wrapped target.
pub struct Limited<'a, S> {
    inner: S,
    limit: &'a tokio::sync::Semaphore,
}

impl<'a, S: Submit> Limited<'a, S> {
    /// Bounds `inner` by `limit`.
    pub fn new(inner: S, limit: &'a tokio::sync::Semaphore) -> Self {
        Limited { inner, limit }
    }
}

impl<S: Submit> Submit for Limited<'_, S> {
    fn counters(&mut self, pair: Option<Pair>) {
        self.inner.counters(pair);
    }

    fn submit<'a>(&'a mut self, code1: &'a Code, code2: &'a Code) -> Submitted<'a> {
        Box::pin(async move {
            // A closed semaphore only means no bound is left to keep.
            let _permit = self.limit.acquire().await.ok();
            self.inner.submit(code1, code2).await
        })
    }
}

impl<S: Submit + ?Sized> Submit for Box<S> {
    fn submit<'a>(&'a mut self, code1: &'a Code, code2: &'a Code) -> Submitted<'a> {
        (**self).submit(code1, code2)
    }

    fn counters(&mut self, pair: Option<Pair>) {
        (**self).counters(pair);
    }
}

/// What a successful send loop did.
#[derive(Debug)]
pub struct Sent {
    /// AWS's receipt.
    pub receipt: Receipt,
    /// Pairs sent.
    pub attempts: u32,
    /// The accepted pair's counters.
    pub pair: Option<Pair>,
}

/// Sends fresh pairs until one is accepted, a non-transient error comes, or `max_attempts` pairs
/// are spent. A pair is recorded as spent before it is sent, so no retry can reuse its counters.
pub async fn send_with_retries<S: Submit + ?Sized>(
    reader: &mut PairReader,
    submit: &mut S,
    max_attempts: u32,
) -> Result<Sent, Error> {
    let mut attempts = 0;
    loop {
        let read = match reader.next().await {
            Ok(read) => read,
            Err(e) => return Err(e.after_pairs_sent(attempts)),
        };
        reader.sent(&read);
        attempts += 1;
        submit.counters(read.pair);
        match submit.submit(&read.code1, &read.code2).await {
            Ok(receipt) => {
                return Ok(Sent {
                    receipt,
                    attempts,
                    pair: read.pair,
                });
            }
            Err(refused) if refused.error.is_transient() && attempts < max_attempts => {
                reader.reporter().line(format!(
                    "Attempt {attempts} of {max_attempts} failed ({}); the pair may have been seen, so reading a fresh one.",
                    refused.error
                ));
            }
            Err(refused) => {
                return Err(Error::Aws {
                    source: refused.error,
                    attempts,
                    pairs: reader.pairs_from(),
                });
            }
        }
    }
}

/// Sends the one pair the user gave; no retry is possible (there is no fresh pair to read).
pub async fn send_given<S: Submit + ?Sized>(
    submit: &mut S,
    code1: &Code,
    code2: &Code,
) -> Result<Sent, Error> {
    match submit.submit(code1, code2).await {
        Ok(receipt) => Ok(Sent {
            receipt,
            attempts: 1,
            pair: None,
        }),
        Err(refused) => Err(Error::Aws {
            source: refused.error,
            attempts: 1,
            pairs: PairsFrom::Given,
        }),
    }
}
