//! `mfa-resync doctor`: every check (the pipeline's `doctor`), printed as a line each with ok /
//! warn / fail / skip and the fix.

use crate::error::Error;
use crate::pipeline::doctor;
use crate::report::{CheckStatus, Reporter};
use crate::request::DoctorRequest;

/// Runs every check and prints the report; fails with the most severe failing area's exit code
/// (the highest among the failed checks) when any check failed.
pub async fn run(request: DoctorRequest, reporter: &Reporter) -> Result<(), Error> {
    let checks = doctor::checks(&request).await;
    reporter.doctor(&checks);
    let failed = checks.iter().filter(|c| c.status == CheckStatus::Fail);
    match failed.max_by_key(|c| c.exit) {
        Some(failed) => Err(Error::Doctor {
            failed: failed.name,
            exit: failed.exit,
        }),
        None => Ok(()),
    }
}
