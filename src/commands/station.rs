//! `mfa-resync station`: a help-desk station. The readers there are are checked against
//! `--reader` before AWS is asked anything; then the run connects, and the pipeline's station
//! serves each key the reader watch reports until Ctrl-C (SIGTERM too), or with `--once` until
//! the keys are done.

use crate::error::Error;
use crate::pipeline::station;
use crate::pipeline::{Interrupt, Opening};
use crate::report::Reporter;
use crate::request::StationRequest;

/// Runs the station.
pub async fn run(request: StationRequest, reporter: &Reporter) -> Result<(), Error> {
    let interrupt = Interrupt::signals();
    let readers = station::readers(&request)?;
    // The caller is asked: its account is the one served, its ARN the audit log's operator, and
    // the answer's `Date` gives the skew every key's windows are planned in.
    let run = Opening::start(request.audit_log.as_deref(), interrupt)?
        .connect(&request.aws, true, reporter)
        .await?;
    run.session.report_skew(reporter);
    station::serve(&run, &request, readers, reporter).await
}
