//! `mfa-resync retire`: a lost or broken key's device deactivated and deleted, its credential
//! deleted from the key when the key is here; the user's other devices keep working.

use crate::error::Error;
use crate::pipeline::retire;
use crate::pipeline::{Interrupt, Opening};
use crate::report::Reporter;
use crate::request::RetireRequest;

/// Runs `retire`.
pub async fn run(request: RetireRequest, reporter: &Reporter) -> Result<(), Error> {
    let run = Opening::start(request.audit_log.as_deref(), Interrupt::signals())?
        .connect(&request.aws, true, reporter)
        .await?;
    let (report, removed) = retire::retire(&run, &request, reporter).await?;
    reporter.retired(&report);
    removed.finished(false)?;
    run.finish("the device itself was retired")
}
