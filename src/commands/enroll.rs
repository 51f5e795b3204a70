//! `mfa-resync enroll`: open the keys, connect, run the enrolment pipeline, report.

use crate::error::Error;
use crate::pipeline::enroll;
use crate::pipeline::{Interrupt, Opening};
use crate::report::Reporter;
use crate::request::EnrollRequest;

/// Runs `enroll`.
pub async fn run(request: EnrollRequest, reporter: &Reporter) -> Result<(), Error> {
    let opening = Opening::start(request.audit_log.as_deref(), Interrupt::signals())?;
    // The keys first: a missing key, a wrong password or old firmware fails before AWS is asked.
    let keys = enroll::open_keys(&request.keys, request.touch, reporter)?;
    let run = opening.connect(&request.aws, true, reporter).await?;
    run.session.report_skew(reporter);
    let (report, removed) = enroll::enroll(&run, &request, keys, reporter).await?;
    reporter.enrolled(&report);
    if let Some(removed) = removed {
        removed.finished(true)?;
    }
    run.finish("the enrolment itself succeeded")
}
