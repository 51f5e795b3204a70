//! `--replace`: once the new device works, the old one is deactivated, and deleted when it is a
//! virtual device (a hardware token or a U2F key is gone from IAM once deactivated).

use super::Replaced;
use super::finish::AwsFlags;
use crate::audit::Trail;
use crate::aws::AwsError;
use crate::model::{SerialNumber, UserName};
use crate::pipeline::{Interrupt, Session};
use crate::report::Reporter;
use crate::request::EnrollRequest;

/// Deactivates the old device and deletes it when it is virtual; the new one works whatever
/// happens here, so a failure is reported with the commands that finish the job, not rolled back.
pub async fn replace(
    session: &Session,
    request: &EnrollRequest,
    user: &UserName,
    old: &SerialNumber,
    log: &Trail<'_>,
    reporter: &Reporter,
    interrupt: &Interrupt,
) -> Replaced {
    let virtual_device = old.as_str().contains(":mfa/");
    let mut replaced = Replaced {
        old: old.to_string(),
        deactivated: false,
        deleted: false,
        failed: None,
    };
    let commands = |deactivate: bool| {
        let mut commands = Vec::new();
        if deactivate {
            commands.push(AwsFlags::of(&request.aws).deactivate(user.as_str(), old.as_str()));
        }
        if virtual_device {
            commands.push(AwsFlags::of(&request.aws).delete(old.as_str()));
        }
        commands
    };
    if interrupt.fired() {
        replaced.failed = Some((
            AwsError::Other {
                code: "Interrupted".into(),
                what: "interrupted before the old device was deactivated".into(),
                detail: String::new(),
            },
            commands(true),
        ));
        return replaced;
    }
    match session.aws.deactivate(user, old.as_str()).await {
        Ok(receipt) => {
            log.step_on(
                Some(old.as_str()),
                "deactivate",
                None,
                "deactivated",
                receipt.request_id.as_deref(),
            );
            reporter.line(format!("Deactivated {old}."));
            replaced.deactivated = true;
        }
        Err(refused) => {
            log.step_on(
                Some(old.as_str()),
                "deactivate",
                None,
                &refused.error.code(),
                refused.request_id.as_deref(),
            );
            replaced.failed = Some((refused.error, commands(true)));
            return replaced;
        }
    }
    if virtual_device {
        match session.aws.delete_virtual_device(old.as_str()).await {
            Ok(receipt) => {
                log.step_on(
                    Some(old.as_str()),
                    "delete",
                    None,
                    "deleted",
                    receipt.request_id.as_deref(),
                );
                reporter.line(format!("Deleted {old}."));
                replaced.deleted = true;
            }
            Err(refused) => {
                log.step_on(
                    Some(old.as_str()),
                    "delete",
                    None,
                    &refused.error.code(),
                    refused.request_id.as_deref(),
                );
                replaced.failed = Some((refused.error, commands(false)));
            }
        }
    }
    replaced
}
