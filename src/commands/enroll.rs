//! `mfa-resync enroll`: open the keys, connect, run the enrolment pipeline, report.

use crate::error::Error;
use crate::pipeline::enroll;
use crate::pipeline::{Interrupt, Opening};
use crate::report::{EnrollReport, Reporter};
use crate::request::EnrollRequest;

/// Runs `enroll`.
pub async fn run(request: EnrollRequest, reporter: &Reporter) -> Result<(), Error> {
    let opening = Opening::start(request.audit_log.as_deref(), Interrupt::signals())?;
    // The keys first: a missing key, a wrong password or old firmware fails before AWS is asked.
    let keys = enroll::open_keys(&request.keys, request.touch, reporter)?;
    let run = opening.connect(&request.aws, true, reporter).await?;
    run.session.report_skew(reporter);
    let done = enroll::enroll(&run, &request, keys, reporter).await?;
    let primary = done.devices.first();
    reporter.enrolled(&EnrollReport {
        user: done.user.to_string(),
        serial: primary.map(|d| d.serial.clone()).unwrap_or_default(),
        keys: done.keys.clone(),
        oath_name: primary.map(|d| d.oath_name.clone()).unwrap_or_default(),
        touch: done.touch,
        overwritten: done.overwritten.clone(),
        backup: done.backup.as_ref().map(|p| p.display().to_string()),
        old: done.replaced.as_ref().map(|r| r.old.clone()),
        replaced: done.replaced.as_ref().is_some_and(|r| r.failed.is_none()),
        request_id: primary.and_then(|d| d.request_id.clone()),
        devices: done.devices.clone(),
    });
    if let Some(replaced) = done.replaced
        && let Some((source, commands)) = replaced.failed
    {
        return Err(Error::NotReplaced {
            old: replaced.old,
            source: Box::new(source),
            commands,
            enrolled: true,
        });
    }
    run.finish("the enrolment itself succeeded")
}
