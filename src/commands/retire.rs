//! `mfa-resync retire`: a lost or broken key's device deactivated and deleted, its credential
//! deleted from the key when the key is here; the user's other devices keep working.

use crate::error::Error;
use crate::pipeline::retire;
use crate::pipeline::{Interrupt, Opening};
use crate::report::{Reporter, RetireReport};
use crate::request::RetireRequest;

/// Runs `retire`.
pub async fn run(request: RetireRequest, reporter: &Reporter) -> Result<(), Error> {
    let run = Opening::start(request.audit_log.as_deref(), Interrupt::signals())?
        .connect(&request.aws, true, reporter)
        .await?;
    let done = retire::retire(&run, &request, reporter).await?;
    reporter.retired(&RetireReport {
        user: done.user.to_string(),
        serial: done.removed.old.clone(),
        deactivated: done.removed.deactivated,
        deleted: done.removed.deleted,
        credentials: done.deleted.clone(),
        kept: done.kept.clone(),
    });
    if let Some((source, commands)) = done.removed.failed {
        return Err(Error::NotReplaced {
            old: done.removed.old,
            source: Box::new(source),
            commands,
            enrolled: false,
        });
    }
    run.finish("the device itself was retired")
}
