//! The Create: `CreateVirtualMFADevice`, tried again after throttling (which says nothing was made).
//! After a failure that may have made the device all the same (a 5xx, a timeout, a lost answer),
//! the device is looked for among the unassigned ones and deleted, since its seed went with the
//! answer; if that cannot be done, the commands that do it are printed.

use std::time::Duration;

use super::finish::AwsFlags;
use super::{Steps, prepare};
use crate::audit::Trail;
use crate::aws::{AwsError, Listing, NewDevice};
use crate::error::{Error, Leftover, PairsFrom, Rollback};

/// Creates tried at most, each after a refusal that says nothing was made (throttling).
const CREATE_ATTEMPTS: u32 = 3;

/// `CreateVirtualMFADevice`, tried again after throttling; after a failure that may have made the
/// device anyway (a 5xx, a timeout, a lost answer), the device is looked for and deleted, since its
/// seed went with the answer.
pub(super) async fn create(
    steps: &Steps<'_>,
    plan: &prepare::DevicePlan,
    log: &Trail<'_>,
) -> Result<NewDevice, Error> {
    let (session, interrupt) = (&steps.run.session, &steps.run.interrupt);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let refused = match session
            .aws
            .create_virtual_device(plan.device_name.as_str(), steps.request.path.as_str())
            .await
        {
            Ok(created) => {
                log.step("create", None, "created", created.request_id.as_deref());
                return Ok(created);
            }
            Err(refused) => refused,
        };
        log.step(
            "create",
            None,
            &refused.error.code(),
            refused.request_id.as_deref(),
        );
        if !refused.error.is_transient() {
            return Err(refused.error.into());
        }
        let throttled = refused.error.code().contains("Throttl")
            || refused.error.code() == "RequestLimitExceeded"
            || refused.error.code() == "TooManyRequestsException";
        if !throttled {
            clean_up_lost_create(steps, plan, log, &refused.error).await?;
        }
        if attempt >= CREATE_ATTEMPTS || interrupt.fired() {
            return Err(Error::Aws {
                source: refused.error,
                attempts: 0,
                pairs: PairsFrom::Nothing,
            });
        }
        let pause = Duration::from_secs(u64::from(attempt));
        steps.reporter.line(format!(
            "CreateVirtualMFADevice attempt {attempt} of {CREATE_ATTEMPTS} failed ({}); trying again in {} s.",
            refused.error,
            pause.as_secs()
        ));
        interrupt.race(tokio::time::sleep(pause)).await?;
    }
}

/// After a Create whose answer was lost: deletes the device if AWS made it.
async fn clean_up_lost_create(
    steps: &Steps<'_>,
    plan: &prepare::DevicePlan,
    log: &Trail<'_>,
    cause: &AwsError,
) -> Result<(), Error> {
    let session = &steps.run.session;
    let serial = plan.serial.as_str();
    let unfinished = |what: String| Error::Enroll {
        cause: Box::new(Error::from(AwsError::Other {
            code: cause.code(),
            what: cause.to_string(),
            detail: String::new(),
        })),
        rollback: Rollback {
            left: vec![Leftover {
                what,
                commands: vec![
                    "aws iam list-virtual-mfa-devices --assignment-status Unassigned".into(),
                    AwsFlags(&steps.request.aws).delete(serial),
                ],
            }],
            ..Rollback::default()
        },
    };
    match session.aws.virtual_devices(Listing::Unassigned).await {
        Ok(devices) if devices.iter().any(|d| d.serial == serial) => {
            match session.aws.delete_virtual_device(serial).await {
                Ok(receipt) => {
                    log.of_device(serial).step(
                        "rollback",
                        None,
                        "deleted",
                        receipt.request_id.as_deref(),
                    );
                    steps.reporter.line(format!(
                        "AWS made {serial} although its answer was lost; deleted it (its seed was lost with the answer)."
                    ));
                    Ok(())
                }
                Err(refused) => Err(unfinished(format!(
                    "{serial}, made by a Create whose answer was lost, could not be deleted ({})",
                    refused.error
                ))),
            }
        }
        Ok(_) => Ok(()),
        Err(e) => Err(unfinished(format!(
            "whether the lost Create made {serial} could not be checked ({e})"
        ))),
    }
}
