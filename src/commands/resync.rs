//! `mfa-resync resync`: one target, once through the pipeline.

use crate::error::Error;
use crate::pipeline::{self, Codes, Interrupt, Opened, Opening};
use crate::report::Reporter;
use crate::request::{CodePlan, ResyncRequest};

/// Runs `resync`.
pub async fn run(request: ResyncRequest, reporter: &Reporter) -> Result<(), Error> {
    let opening = Opening::start(request.audit_log.as_deref(), Interrupt::signals())?;
    let codes = match request.codes {
        CodePlan::Given(code1, code2) => Codes::Given(code1, code2),
        CodePlan::Read(spec) => Codes::Read(Opened::open(&spec, reporter)?.for_iam()?),
    };
    // The caller is asked whenever a host-clock source is read, even with a user name given: bad
    // credentials fail before the user waits, and the answer's `Date` gives the skew. The audit
    // log names the operator, so it asks too.
    let host_clock = codes.host_clock();
    let ask_caller = request.user.is_none() || host_clock || opening.audited();
    let run = opening.connect(&request.aws, ask_caller, reporter).await?;
    if host_clock {
        run.session.report_skew(reporter);
    }
    let target = (request.user, request.serial);
    let result = pipeline::resync(&run, target, codes, request.pace, None, reporter).await;
    if let Ok(done) = &result {
        reporter.resynced(done);
    }
    // After the result or the error: the clock's advice is the last thing said.
    if host_clock {
        run.advise_on_clock(reporter);
    }
    result?;
    run.finish("the resync itself succeeded")
}
