//! `mfa-resync enroll`: open the keys, connect, run the enrolment pipeline, report.

use crate::audit::AuditLog;
use crate::error::Error;
use crate::pipeline::enroll::{self, Enrolled, Job, finish::AwsFlags};
use crate::pipeline::{Interrupt, Session};
use crate::report::{EnrollReport, EnrolledKey, Reporter};
use crate::request::EnrollRequest;

/// Runs `enroll`.
pub async fn run(request: EnrollRequest, reporter: &Reporter) -> Result<(), Error> {
    let interrupt = Interrupt::ctrl_c();
    let audit = AuditLog::open_shared(request.audit_log.as_deref())?;
    // The keys first: a missing key, a wrong password or old firmware fails before AWS is asked.
    let keys = enroll::open_keys(&request.keys, request.touch, reporter)?;
    let session = Session::connect(&request.aws, true, reporter).await?;
    session.report_skew(reporter);
    let job = Job {
        user: request.user,
        device_name: request.device_name,
        path: request.path,
        touch: request.touch,
        oath_name: request.oath_name,
        force: request.force,
        backup: request.backup,
        replace: request.replace,
        reinsert_wait: request.reinsert_wait,
        flags: AwsFlags::of(&request.aws),
    };
    let done = enroll::enroll(&session, job, keys, audit.as_ref(), reporter, interrupt).await?;
    reporter.enrolled(&report(&done));
    if let Some(replaced) = done.replaced
        && let Some((source, commands)) = replaced.failed
    {
        return Err(Error::NotReplaced {
            old: replaced.old,
            source: Box::new(source),
            commands,
        });
    }
    match AuditLog::unwritten(audit.as_ref(), "the enrolment itself succeeded") {
        Some(unwritten) => Err(unwritten),
        None => Ok(()),
    }
}

fn report(done: &Enrolled) -> EnrollReport {
    EnrollReport {
        user: done.user.to_string(),
        serial: done.serial.clone(),
        keys: done
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| EnrolledKey {
                serial: k.serial,
                reader: k.reader.clone(),
                role: if i == 0 { "primary" } else { "backup" },
            })
            .collect(),
        oath_name: done.oath_name.clone(),
        touch: done.touch,
        overwritten: done.overwritten.clone(),
        backup: done.backup.as_ref().map(|p| p.display().to_string()),
        old: done.replaced.as_ref().map(|r| r.old.clone()),
        replaced: done.replaced.as_ref().is_some_and(|r| r.failed.is_none()),
        request_id: done.request_id.clone(),
    }
}
