//! What the user reads when something goes wrong, in one place: the message, the hint and the exit
//! code of every error of every layer. Errors are data where they arise ([`InputError`] in
//! `request`, [`DeviceError`] in `source`, [`AwsError`] in `aws`, [`Error`] for a command); only
//! here are they put into words. [`device`] words the device layer's (and [`seed`] a seed's or a
//! typed code's), [`aws`] the AWS layer's, [`input`] bad input; this file a command's own, and how
//! each is printed (the problem line, the rollback's lines, the hint line, the SDK's chain at `-v`).

/// A type's `Display` is the first of its `words()`, so that its problem line and its hint are
/// written in one arm.
macro_rules! worded {
    ($($name:ty),+) => {$(
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.words().0)
            }
        }
    )+};
}

mod aws;
pub mod clock;
mod device;
mod input;
mod input_files;
mod seed;

use std::fmt;

use crate::aws::AwsError;
use crate::error::{Error, Interrupted, Targets};
use crate::exit::Exit;
use crate::model::MapError;
use crate::report::escape::escape;
use crate::source::DeviceError;
use crate::source::backup::BackupError;
use crate::stop::Cause;

/// A problem line and its hint, either a literal or a `format!`, so that an arm needs no conversions.
fn words(problem: impl Into<String>, hint: impl Into<String>) -> (String, String) {
    (problem.into(), hint.into())
}

const READER_HINT: &str = "name the reader in full, as `mfa-resync devices` shows it";
const NAME_EACH_KEY_ONCE: &str = "name each key once: the first is the primary, the others backups";

/// `a, b, c`, or `none`.
fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.by {
            None | Some(Cause::Signal("SIGINT")) => f.write_str("interrupted")?,
            Some(Cause::Signal(signal)) => write!(f, "interrupted by {signal}")?,
            Some(Cause::OutputClosed(stream)) => write!(f, "stopped: {stream} was closed")?,
        }
        match self.sent {
            0 => f.write_str("; nothing was sent"),
            1 => write!(f, " after 1 pair was sent ({} accepted)", self.accepted),
            n => write!(f, " after {n} pairs were sent ({} accepted)", self.accepted),
        }
    }
}

worded!(Error);

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Input(e) => e.source(),
            Error::Device(e) => e.source(),
            _ => None,
        }
    }
}

impl Error {
    /// Lines printed between the problem and the hint: what a rollback did, the commands to run.
    pub fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match self {
            Error::Enroll { rollback, .. } => {
                lines.extend(rollback.undone.iter().map(|u| format!("rolled back: {u}")));
                lines.extend(rollback.lost.iter().map(|l| format!("lost: {l}")));
                lines.extend(rollback.kept.iter().map(|k| format!("kept: {k}")));
                lines.extend(rollback.left.iter().map(|l| format!("left: {}", l.what)));
                if !rollback.complete() {
                    lines.push("to finish the rollback, run:".into());
                    for left in &rollback.left {
                        lines.extend(left.commands.iter().map(|c| format!("  {c}")));
                    }
                }
            }
            Error::NotReplaced {
                commands, enrolled, ..
            } => {
                lines.push(if *enrolled {
                    "to finish the replacement, run:".into()
                } else {
                    "to finish retiring it, run:".into()
                });
                lines.extend(commands.iter().map(|c| format!("  {c}")));
            }
            _ => {}
        }
        lines
    }

    /// The exit code for this error.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Input(_) | Error::BatchRow { .. } => Exit::Input,
            Error::Device(DeviceError::Interrupted) => Exit::Interrupted,
            Error::Device(e) if e.is_input() => Exit::Input,
            Error::Device(_) => Exit::Device,
            Error::Interrupted(_) => Exit::Interrupted,
            Error::AuditLog { .. } => Exit::AuditFailed,
            Error::Doctor { exit, .. } | Error::Failed { exit, .. } => *exit,
            Error::Enroll { cause, rollback } => {
                if rollback.complete() {
                    cause.exit()
                } else {
                    Exit::RollbackIncomplete
                }
            }
            Error::NotReplaced { .. } => Exit::NotReplaced,
            Error::Runtime(_) => Exit::Internal,
            Error::Aws { source, .. } => match source {
                AwsError::NoCredentials { .. }
                | AwsError::NoSuchProfile { .. }
                | AwsError::BadCredentials { .. }
                | AwsError::AccessDenied { .. } => Exit::Credentials,
                AwsError::InvalidCodes { .. } => Exit::CodesRefused,
                AwsError::NoSuchEntity { .. } | AwsError::NoDevice { .. } => Exit::NoSuchEntity,
                AwsError::NotAUser { .. }
                | AwsError::AmbiguousDevice { .. }
                | AwsError::PartitionMismatch { .. }
                | AwsError::CaBundle { .. }
                | AwsError::InvalidInput { .. }
                | AwsError::AlreadyExists { .. }
                | AwsError::InsecureEndpoint { .. } => Exit::Input,
                AwsError::Transient { .. }
                | AwsError::Other { .. }
                | AwsError::Untrusted { .. } => Exit::ServiceFailure,
            },
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        self.words().1
    }

    /// The problem line and the hint, each error's two side by side.
    fn words(&self) -> (String, Option<String>) {
        let (problem, hint) = match self {
            Error::Input(e) => return (e.to_string(), Some(e.hint())),
            Error::Device(e) => return (e.to_string(), e.hint()),
            Error::BatchRow { line, cause } => {
                return (format!("--batch: line {line}: {cause}"), cause.hint());
            }
            Error::Aws {
                source,
                attempts,
                pairs,
            } => (source.to_string(), source.hint(*attempts, *pairs)),
            Error::Interrupted(i) => {
                let hint = "AWS may have seen the pairs sent; check with `aws iam list-mfa-devices` before running again";
                return (i.to_string(), (i.sent > i.accepted).then(|| hint.into()));
            }
            Error::Failed {
                targets: Targets::Rows,
                failed,
                total,
                ..
            } => words(
                format!("{failed} of {total} rows failed"),
                "the table shows each row's error; rerun the failed rows (each needs a fresh pair)",
            ),
            Error::Failed {
                targets: Targets::Keys,
                failed,
                total,
                ..
            } => words(
                format!("{failed} of {total} key results failed"),
                "each ✘ line (or Result event) says why; put the key back in to serve it again",
            ),
            Error::AuditLog {
                path,
                problem,
                outcome,
            } => words(
                format!(
                    "the audit log {} could not be written ({problem}); {outcome}",
                    path.display()
                ),
                "do not run again (the device is resynced); add the missing line to the log by hand from the report above, and check the log's disk and permissions",
            ),
            Error::Enroll { cause, rollback } if rollback.complete() => {
                let hint = cause.hint();
                let hint = hint.map(|hint| format!("nothing of this enrolment is left; {hint}"));
                return (cause.to_string(), hint);
            }
            Error::Enroll { cause, rollback } if !rollback.kept.is_empty() => words(
                cause.to_string(),
                "the device works as it is, with the seed where it was put; to remove it, someone allowed to deactivate MFA devices (an administrator, or you in a session signed in with MFA) runs the commands above",
            ),
            Error::Enroll { cause, .. } => words(
                cause.to_string(),
                "run the commands above (with credentials that may delete MFA devices), then `mfa-resync enroll` again",
            ),
            Error::NotReplaced {
                old,
                source,
                enrolled: true,
                ..
            } => words(
                format!("enrolled, but {old} was not replaced: {source}"),
                "the new device works; self-service policies allow DeactivateMFADevice only in a session signed in with MFA: run the commands above in one (e.g. `aws-vault exec PROFILE -- …`), or ask an administrator",
            ),
            Error::NotReplaced { old, source, .. } => words(
                format!("{old} was deactivated but not retired: {source}"),
                "run the commands above with credentials that may delete MFA devices; the user's other devices work meanwhile",
            ),
            Error::Doctor { failed, .. } => words(
                format!("doctor: the {failed} check failed"),
                "see the fix lines above",
            ),
            Error::Runtime(e) => words(
                format!("cannot start the async runtime: {e}"),
                "the system refused a thread or a timer: check the process limits (`ulimit -u`, the service's TasksMax) and run again",
            ),
        };
        (problem, Some(hint))
    }

    /// Writes the problem line and the hint line to stderr (and the SDK's chain at `-v`).
    pub fn print(&self, verbose: u8) {
        // Each part one line, escaped: an endpoint's message or a key's name is hostile text.
        let mut text = format!("error: {}", escape(&self.to_string()));
        if let Error::Aws {
            source, attempts, ..
        } = self
        {
            if source.is_transient() && *attempts > 1 {
                text.push_str(&format!(
                    " (after {attempts} attempts, each with a fresh pair)"
                ));
            }
            if verbose > 0
                && let Some(detail) = source.detail()
            {
                text.push_str(&format!("\n  detail: {}", escape(detail)));
            }
        }
        for line in self.details() {
            text.push_str(&format!("\n  {}", escape(&line)));
        }
        if let Some(hint) = self.hint() {
            text.push_str(&format!("\n  hint: {}", escape(&hint)));
        }
        crate::report::write_stderr(&text);
    }
}

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the seed's backup file {}: {}", self.path, self.problem)
    }
}

impl std::error::Error for BackupError {}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::NoOwner { owner, account } => write!(
                f,
                "IAM has no virtual MFA device named {owner} in account {account}"
            ),
            MapError::NoSerial { serial } => write!(f, "IAM has no virtual MFA device {serial}"),
            MapError::Unassigned { serial } => write!(f, "{serial} is not enabled for any user"),
            MapError::Root { serial } => write!(
                f,
                "{serial} is the root user's device: the root user resyncs it in the AWS console (Security credentials)"
            ),
            MapError::Several {
                owner,
                account,
                serials,
            } => write!(
                f,
                "{owner}@{account} could be any of {}",
                serials.join(", ")
            ),
            MapError::Stale { device, user } => write!(
                f,
                "this key's credential is for mfa/{device}, which is not one of {user}'s devices now (it was retired or replaced): enrol the key again"
            ),
            MapError::Malformed { what } => write!(f, "ListVirtualMFADevices answered {what}"),
        }
    }
}

impl MapError {
    /// The exit code a single run would have had.
    pub fn exit(&self) -> Exit {
        match self {
            MapError::NoOwner { .. } | MapError::NoSerial { .. } | MapError::Unassigned { .. } => {
                Exit::NoSuchEntity
            }
            MapError::Several { .. } | MapError::Stale { .. } => Exit::Device,
            MapError::Root { .. } => Exit::Input,
            MapError::Malformed { .. } => Exit::ServiceFailure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InputError;

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(Error::interrupted().exit() as u8, 130);
        let codes = Error::from(AwsError::InvalidCodes {
            serial: "s".into(),
            message: String::new(),
        });
        assert_eq!(codes.exit() as u8, 5);
        let missing = Error::from(AwsError::NoSuchEntity {
            message: String::new(),
        });
        assert_eq!(missing.exit() as u8, 6);
        let creds = Error::from(AwsError::NoCredentials { detail: None });
        assert_eq!(creds.exit() as u8, 4);
        let transient = Error::from(AwsError::Transient {
            code: "ServiceFailure".into(),
            what: String::new(),
            detail: String::new(),
        });
        assert_eq!(transient.exit() as u8, 7);
        let input = Error::from(InputError::from(crate::model::Usage::CodesAndSource));
        assert_eq!(input.exit() as u8, 2);
    }
}
