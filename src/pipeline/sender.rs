//! Sending pairs: a [`Sender`] sends one pair once, through the [`Call`] a command makes
//! (`ResyncMFADevice`, an enrolment's `EnableMFADevice`), writing each attempt's audit line and
//! keeping within a batch's bound of requests in flight; [`send_with_retries`] sends fresh pairs
//! until one is accepted, a refusal is final, or the attempts are spent, so that a pair AWS may
//! have seen is never sent again.

use std::future::Future;

use super::reader::PairReader;
use crate::audit::Trail;
use crate::aws::{Aws, Receipt, Refused};
use crate::error::{Error, Interrupted};
use crate::model::{SerialNumber, UserName};
use crate::source::Code;
use crate::window::Pair;

/// The request a pair goes out in.
pub trait Call {
    /// Sends `code1` and `code2`, once.
    fn call(
        &mut self,
        code1: &Code,
        code2: &Code,
    ) -> impl Future<Output = Result<Receipt, Refused>>;
}

/// IAM `ResyncMFADevice` for one user's device.
#[derive(Debug)]
pub struct Resync<'a> {
    /// The clients.
    pub aws: &'a Aws,
    /// The user.
    pub user: &'a UserName,
    /// The device.
    pub serial: &'a SerialNumber,
}

impl Call for Resync<'_> {
    async fn call(&mut self, code1: &Code, code2: &Code) -> Result<Receipt, Refused> {
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
    }
}

/// Pairs tried per target when AWS or the network fails, each a fresh one: `resync`'s default
/// (`--max-attempts`), and what `station` and an enrolment's Enable take.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Requests in flight at once across a `--batch` or a station: enough to finish fifty targets well
/// inside a window, few enough not to look like a burst to IAM's throttling.
pub const MAX_IN_FLIGHT: usize = 8;

/// Sends pairs through its call: each attempt's line in the target's audit trail (never the codes),
/// and at most as many requests in flight as a shared bound allows.
pub struct Sender<'a, C> {
    call: C,
    trail: Option<Trail<'a>>,
    limit: Option<&'a tokio::sync::Semaphore>,
    attempts: u32,
    /// The audit line's step (`resync`, `enable`), and the result of an accepted attempt
    /// (`resynced`, `enabled`).
    names: (&'static str, &'static str),
}

impl<'a, C: Call> Sender<'a, C> {
    /// A sender of `call`'s requests, with no audit trail and no bound.
    pub fn new(call: C) -> Self {
        Sender {
            call,
            trail: None,
            limit: None,
            attempts: 0,
            names: ("resync", "resynced"),
        }
    }

    /// Writes each attempt to `trail` as the step `names.0`, `names.1` naming an accepted one, and
    /// keeps within `limit`'s requests in flight.
    pub fn audited(
        mut self,
        trail: Trail<'a>,
        names: (&'static str, &'static str),
        limit: Option<&'a tokio::sync::Semaphore>,
    ) -> Self {
        (self.trail, self.names, self.limit) = (Some(trail), names, limit);
        self
    }

    /// The call, for what it learnt (an Enable whose effect could not be checked).
    pub fn call(&self) -> &C {
        &self.call
    }

    /// Pairs sent so far, accepted or not.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Sends `code1` and `code2` (the counters `pair`, when the host chose them), once.
    pub async fn send(
        &mut self,
        pair: Option<Pair>,
        code1: &Code,
        code2: &Code,
    ) -> Result<Receipt, Refused> {
        let result = {
            // A closed semaphore only means no bound is left to keep.
            let _permit = match self.limit {
                Some(limit) => limit.acquire().await.ok(),
                None => None,
            };
            self.call.call(code1, code2).await
        };
        self.attempts += 1;
        if let Some(trail) = &self.trail {
            // The codes went out whatever the log says: a lost line is reported at once, and the
            // log remembers it, so the command ends non-zero (exit 8 when the resync succeeded).
            let (result, request_id) = match &result {
                Ok(receipt) => (self.names.1.to_string(), receipt.request_id.as_deref()),
                Err(refused) => (refused.error.code(), refused.request_id.as_deref()),
            };
            trail.attempt(
                self.names.0,
                self.attempts,
                pair.map(Pair::counters),
                &result,
                request_id,
            );
        }
        result
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
pub async fn send_with_retries<C: Call>(
    reader: &mut PairReader,
    sender: &mut Sender<'_, C>,
    max_attempts: u32,
) -> Result<Sent, Error> {
    let mut attempts = 0;
    loop {
        let read = match reader.next_with(|_, _| {}).await {
            Ok(read) => read,
            Err(e) => return Err(e.after_pairs_sent(attempts)),
        };
        reader.sent(&read);
        attempts += 1;
        let sent = sender.send(read.pair, &read.code1, &read.code2).await;
        // A stop while the pair was with AWS: it was let finish, and says how it ended.
        if reader.interrupt.fired() {
            match &sent {
                Ok(_) => reader.reporter.warn(
                    "stopped while the pair was with AWS: it was let finish, and AWS accepted it",
                ),
                Err(_) => return Err(Error::Interrupted(Interrupted::after(attempts, 0))),
            }
        }
        match sent {
            Ok(receipt) => {
                return Ok(Sent {
                    receipt,
                    attempts,
                    pair: read.pair,
                });
            }
            Err(refused) if refused.error.is_transient() && attempts < max_attempts => {
                reader.reporter.line(format!(
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
