//! What every command that calls AWS opens first and closes last: the signals listened for, the
//! audit log opened and checked (bad input, before any device or request), the session connected;
//! and at the end, a run whose submissions succeeded but whose audit lines were not all written
//! turned into its error (exit 8), so that a help desk's trail never silently has a hole.

use std::path::Path;
use std::sync::Mutex;

use super::{Interrupt, Resync, Sender, Session, Target};
use crate::audit::{AuditLog, Trail};
use crate::error::Error;
use crate::report::Reporter;
use crate::request::AwsOptions;
use crate::state::SentCounters;

/// A run before it reaches AWS: what it listens for, where it writes its trail, and where it keeps
/// the counters it sends.
pub struct Opening {
    interrupt: Interrupt,
    audit: Option<Mutex<AuditLog>>,
    counters: Option<SentCounters>,
}

impl Opening {
    /// Opens the audit log (`audit_log`, when given) and listens through `interrupt`.
    pub fn start(audit_log: Option<&Path>, interrupt: Interrupt) -> Result<Opening, Error> {
        Ok(Opening {
            interrupt,
            audit: AuditLog::open_shared(audit_log)?,
            counters: SentCounters::locate(),
        })
    }

    /// Whether the run writes an audit log (which names the operator, so the caller is asked).
    pub fn audited(&self) -> bool {
        self.audit.is_some()
    }

    /// Connects, asking who is calling when `ask_caller`.
    pub async fn connect(
        self,
        aws: &AwsOptions,
        ask_caller: bool,
        reporter: &Reporter,
    ) -> Result<Run, Error> {
        Ok(Run {
            session: Session::connect(aws, ask_caller, reporter).await?,
            interrupt: self.interrupt,
            audit: self.audit,
            counters: self.counters,
        })
    }
}

/// A connected run.
pub struct Run {
    /// The session every target of the run shares.
    pub session: Session,
    /// Fires on the signals the command stops at.
    pub interrupt: Interrupt,
    audit: Option<Mutex<AuditLog>>,
    counters: Option<SentCounters>,
}

impl Run {
    /// The audit log, when the run writes one.
    pub fn audit(&self) -> Option<&Mutex<AuditLog>> {
        self.audit.as_ref()
    }

    /// The state file of the counters sent, when the state directory is known (so that no run
    /// reuses another's).
    pub fn counters(&self) -> Option<&SentCounters> {
        self.counters.as_ref()
    }

    /// A sender of `ResyncMFADevice` for `target`, read from `source` (a key's `device_serial`),
    /// audited in the run's log, at most as many in flight as `limit` (a batch's, a station's)
    /// allows.
    pub fn sender<'a>(
        &'a self,
        target: &'a Target,
        source: (&'static str, Option<String>),
        limit: Option<&'a tokio::sync::Semaphore>,
        reporter: &Reporter,
    ) -> Sender<'a, Resync<'a>> {
        let (user, serial) = (&target.user, &target.serial);
        let trail = Trail::new(
            self.audit(),
            self.session.operator(),
            (user.as_str(), serial.as_str()),
            source,
            reporter,
        );
        let call = Resync {
            aws: &self.session.aws,
            user,
            serial,
        };
        Sender::new(call).audited(trail, ("resync", "resynced"), limit)
    }

    /// Says how to fix the host clock when the run planned its windows around a skew worth
    /// fixing: the run itself did not need it, the user's next sign-in from this clock might.
    pub fn advise_on_clock(&self, reporter: &Reporter) {
        let skew = self.session.skew();
        if skew.worth_fixing() {
            reporter.line(crate::messages::clock::after_skewed_run(skew));
        }
    }

    /// Ends a run whose work succeeded: an error when an audit line was lost, `outcome` saying
    /// what succeeded all the same.
    pub fn finish(&self, outcome: &str) -> Result<(), Error> {
        match AuditLog::unwritten(self.audit.as_ref(), outcome) {
            Some(unwritten) => Err(unwritten),
            None => Ok(()),
        }
    }
}
