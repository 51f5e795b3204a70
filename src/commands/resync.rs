//! `mfa-resync resync`: one target, once through the pipeline.

use crate::audit::AuditLog;
use crate::error::Error;
use crate::model::IAM_CODE_DIGITS;
use crate::pipeline::{self, Codes, Interrupt, Job, Opened, Session, Shared};
use crate::report::{Reporter, ResyncReport};
use crate::request::{CodePlan, ResyncRequest};
use crate::window::Pair;

/// Runs `resync`.
pub async fn run(request: ResyncRequest, reporter: &Reporter) -> Result<(), Error> {
    let interrupt = Interrupt::ctrl_c();
    let audit = AuditLog::open_shared(request.audit_log.as_deref())?;
    let codes = match request.codes {
        CodePlan::Given(code1, code2) => Codes::Given(code1, code2),
        CodePlan::Read(spec) => {
            let opened = Opened::open(&spec, reporter)?;
            opened.require_digits(IAM_CODE_DIGITS as u32)?;
            Codes::Read(opened)
        }
    };
    // The caller is asked whenever a host-clock source is read, even with a user name given: bad
    // credentials fail before the user waits, and the answer's `Date` gives the skew. The audit
    // log names the operator, so it asks too.
    let ask_caller = request.user.is_none() || codes.host_clock() || audit.is_some();
    let session = Session::connect(&request.aws, ask_caller, reporter).await?;
    if codes.host_clock() {
        session.report_skew(reporter);
    }
    let job = Job {
        user: request.user,
        serial: request.serial,
        codes,
        mode: request.mode,
        max_attempts: request.max_attempts,
    };
    let shared = Shared {
        audit: audit.as_ref(),
        limit: None,
    };
    let done = pipeline::resync(&session, job, shared, reporter, interrupt).await?;
    reporter.resynced(&ResyncReport {
        user: done.target.user.to_string(),
        serial: done.target.serial.to_string(),
        source: done.source,
        attempts: done.sent.attempts,
        counters: done.sent.pair.map(Pair::counters),
        skew_seconds: (!done.skew.is_zero()).then(|| done.skew.seconds()),
        request_id: done.sent.receipt.request_id,
    });
    match AuditLog::unwritten(audit.as_ref(), "the resync itself succeeded") {
        Some(unwritten) => Err(unwritten),
        None => Ok(()),
    }
}
