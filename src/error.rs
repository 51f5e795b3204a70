//! The edge: every layer's error becomes one message, one hint and one documented exit code.
//!
//! Each layer keeps its own enum ([`InputError`], [`DeviceError`], [`AwsError`]); only here are they
//! put into words for the terminal and mapped to the exit codes of the README and `--help`. The
//! SDK's full error chain is printed only at `-v`.

use crate::aws::AwsError;
pub use crate::exit::Exit;
use crate::request::InputError;
use crate::source::DeviceError;

/// Ctrl-C, and what had been sent by then: an honest report says whether AWS may have seen a pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Interrupted {
    /// Pairs sent before the interrupt.
    pub sent: u32,
    /// Of those, how many AWS accepted.
    pub accepted: u32,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.sent {
            0 => f.write_str("interrupted; nothing was sent"),
            1 => write!(
                f,
                "interrupted after 1 pair was sent ({} accepted)",
                self.accepted
            ),
            n => write!(
                f,
                "interrupted after {n} pairs were sent ({} accepted)",
                self.accepted
            ),
        }
    }
}

/// Where the pairs sent came from: what a refusal can mean depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairsFrom {
    /// No pair was involved (the failure came before any).
    Nothing,
    /// The user gave both codes: no fresh pair can be read for a retry.
    Given,
    /// Typed from a display token.
    Typed,
    /// Computed for windows the tool chose (YubiKey, OTP slot, seed).
    Chosen {
        /// `--no-wait`: code 1 was the previous window's, which a sign-in may have used.
        no_wait: bool,
    },
    /// Read from keys just written with a seed AWS had just made, and checked against it: no
    /// sign-in can have used them, so a refusal is a clock or an endpoint problem.
    NewSeed,
}

/// What an enrolment's rollback did, in the words a user needs: the pipeline fills it in, the edge
/// prints it. A rollback never stops at the first failure; what it could not undo is `left`, each
/// part with the commands that finish the job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollback {
    /// Each step undone ("deleted the virtual MFA device arn:…").
    pub undone: Vec<String>,
    /// What no rollback can bring back (a credential `--force` had written over).
    pub lost: Vec<String>,
    /// What is left.
    pub left: Vec<Leftover>,
}

/// Something a rollback could not remove, and the exact commands that remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// What is left, and why it could not be removed.
    pub what: String,
    /// Shell commands, in order.
    pub commands: Vec<String>,
}

impl Rollback {
    /// Whether everything done was undone.
    pub fn complete(&self) -> bool {
        self.left.is_empty()
    }
}

/// Any failure of a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The device layer.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The AWS layer, with how many pairs had been sent.
    #[error("{source}")]
    Aws {
        /// What AWS or the network said.
        source: AwsError,
        /// Pairs sent so far (0 when the failure came before any code was sent).
        attempts: u32,
        /// Where the pairs came from.
        pairs: PairsFrom,
    },
    /// Ctrl-C.
    #[error("{0}")]
    Interrupted(Interrupted),
    /// Rows of a `--batch` failed (the table already says which and why).
    #[error("{failed} of {total} rows failed")]
    Batch {
        /// Rows that failed.
        failed: usize,
        /// All rows.
        total: usize,
        /// The highest exit code among them.
        exit: Exit,
    },
    /// Keys served by `station --once` failed (their lines already say why).
    #[error("{failed} of {total} key results failed")]
    Station {
        /// Results that failed.
        failed: usize,
        /// All results.
        total: usize,
        /// The highest exit code among them.
        exit: Exit,
    },
    /// The resync went through, but its audit line could not be written.
    #[error("the audit log {} could not be written ({problem}); {outcome}", path.display())]
    AuditLog {
        /// The log.
        path: std::path::PathBuf,
        /// The first write that failed, in the OS's words.
        problem: String,
        /// What did succeed: "the resync itself succeeded", or how many rows did.
        outcome: String,
    },
    /// An enrolment failed after its device was created; everything done was rolled back, or
    /// `rollback` says what is left.
    #[error("{cause}")]
    Enroll {
        /// What made the enrolment fail.
        cause: Box<Error>,
        /// What the rollback did.
        rollback: Rollback,
    },
    /// The new device is enrolled, but the device `--replace` named is still active or still
    /// exists.
    #[error("enrolled, but {old} was not replaced: {source}")]
    NotReplaced {
        /// The device that was to be replaced.
        old: String,
        /// What AWS said.
        source: Box<AwsError>,
        /// The commands that finish the replacement.
        commands: Vec<String>,
    },
    /// `doctor` found a failing check (its report is already printed).
    #[error("doctor: the {failed} check failed")]
    Doctor {
        /// The first failing check.
        failed: &'static str,
        /// The exit code it means.
        exit: Exit,
    },
}

impl From<AwsError> for Error {
    fn from(source: AwsError) -> Self {
        Error::Aws {
            source,
            attempts: 0,
            pairs: PairsFrom::Nothing,
        }
    }
}

impl Error {
    /// Ctrl-C, before any pair was sent (the send loop adds what it sent).
    pub fn interrupted() -> Self {
        Error::Interrupted(Interrupted::default())
    }

    /// This error, as it ends a send loop that had sent `pairs` (none of them accepted).
    pub fn after_pairs_sent(self, pairs: u32) -> Self {
        match self {
            Error::Interrupted(i) => Error::Interrupted(Interrupted {
                sent: i.sent + pairs,
                accepted: i.accepted,
            }),
            other => other,
        }
    }

    /// How many pairs had been sent when this error ended a job.
    pub fn pairs_sent(&self) -> u32 {
        match self {
            Error::Aws { attempts, .. } => *attempts,
            Error::Interrupted(i) => i.sent,
            Error::Enroll { cause, .. } => cause.pairs_sent(),
            _ => 0,
        }
    }

    /// Lines printed between the problem and the hint: what a rollback did, the commands to run.
    pub fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match self {
            Error::Enroll { rollback, .. } => {
                for undone in &rollback.undone {
                    lines.push(format!("rolled back: {undone}"));
                }
                for lost in &rollback.lost {
                    lines.push(format!("lost: {lost}"));
                }
                for left in &rollback.left {
                    lines.push(format!("left: {}", left.what));
                }
                if !rollback.complete() {
                    lines.push("to finish the rollback, run:".into());
                    for left in &rollback.left {
                        lines.extend(left.commands.iter().map(|c| format!("  {c}")));
                    }
                }
            }
            Error::NotReplaced { commands, .. } => {
                lines.push("to finish the replacement, run:".into());
                lines.extend(commands.iter().map(|c| format!("  {c}")));
            }
            _ => {}
        }
        lines
    }

    /// The exit code for this error.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Input(_) => Exit::Input,
            Error::Device(DeviceError::Interrupted) => Exit::Interrupted,
            Error::Device(e) if e.is_input() => Exit::Input,
            Error::Device(_) => Exit::Device,
            Error::Interrupted(_) => Exit::Interrupted,
            Error::AuditLog { .. } => Exit::AuditFailed,
            Error::Doctor { exit, .. }
            | Error::Batch { exit, .. }
            | Error::Station { exit, .. } => *exit,
            Error::Enroll { cause, rollback } => {
                if rollback.complete() {
                    cause.exit()
                } else {
                    Exit::RollbackIncomplete
                }
            }
            Error::NotReplaced { .. } => Exit::NotReplaced,
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
                AwsError::Transient { .. } | AwsError::Other { .. } => Exit::ServiceFailure,
            },
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Input(e) => Some(e.hint().to_string()),
            Error::Device(e) => e.hint().map(str::to_string),
            Error::Interrupted(i) if i.sent > 0 => Some(
                "AWS may have seen the pairs sent; check with `aws iam list-mfa-devices` before running again".into(),
            ),
            Error::Interrupted(_) => None,
            Error::Doctor { .. } => Some("see the fix lines above".into()),
            Error::AuditLog { .. } => Some(
                "do not run again (the device is resynced); add the missing line to the log by hand from the report above, and check the log's disk and permissions".into(),
            ),
            Error::Station { .. } => Some(
                "each ✘ line (or Result event) says why; put the key back in to serve it again"
                    .into(),
            ),
            Error::Batch { .. } => Some(
                "the table shows each row's error; rerun the failed rows (each needs a fresh pair)"
                    .into(),
            ),
            Error::Enroll { cause, rollback } if rollback.complete() => cause.hint().map(|hint| {
                format!("nothing of this enrolment is left; {hint}")
            }),
            Error::Enroll { .. } => Some(
                "run the commands above (with credentials that may delete MFA devices), then `mfa-resync enroll` again"
                    .into(),
            ),
            Error::NotReplaced { .. } => Some(
                "the new device works; self-service policies allow DeactivateMFADevice only in a session signed in with MFA: run the commands above in one (e.g. `aws-vault exec PROFILE -- …`), or ask an administrator"
                    .into(),
            ),
            Error::Aws {
                source,
                attempts,
                pairs,
            } => Some(aws_hint(source, *attempts, *pairs)),
        }
    }

    /// Writes the problem line and the hint line to stderr (and the SDK's chain at `-v`).
    pub fn print(&self, verbose: u8) {
        let mut text = format!("error: {self}");
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
                text.push_str(&format!("\n  detail: {detail}"));
            }
        }
        for line in self.details() {
            text.push_str(&format!("\n  {line}"));
        }
        if let Some(hint) = self.hint() {
            text.push_str(&format!("\n  hint: {hint}"));
        }
        eprintln!("{text}");
    }
}

fn aws_hint(error: &AwsError, attempts: u32, pairs: PairsFrom) -> String {
    match error {
        // A 5xx or 429 from a proxy keeps the retry hints below: whether a pair may have been seen
        // matters more than who answered.
        error if error.not_from_aws() && !error.is_transient() => {
            "the answer did not come from AWS: check --endpoint-url and any proxy (HTTPS_PROXY, a corporate gateway), then the credentials".into()
        }
        AwsError::NoCredentials { .. } => {
            "configure credentials (`aws configure`, `aws sso login`, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or pick a profile with --profile".into()
        }
        AwsError::NoSuchProfile { .. } => {
            "check the name (`aws configure list-profiles` lists them); an explicit --profile is used even when AWS_ACCESS_KEY_ID is set, as in the AWS CLI".into()
        }
        AwsError::InsecureEndpoint { .. } => {
            "use an https:// URL, or a loopback address (127.0.0.1, localhost) for a local endpoint; --allow-insecure-endpoint sends it anyway".into()
        }
        AwsError::BadCredentials { code, .. } if code.starts_with("Expired") || code == "RequestExpired" => {
            "the credentials have expired: refresh them (e.g. `aws sso login`) and run again".into()
        }
        AwsError::BadCredentials { code, .. } if code == "SignatureDoesNotMatch" => {
            "the secret access key does not match the key id, or the host clock is far off: check the profile's keys".into()
        }
        AwsError::BadCredentials { .. } => "check the access key in the profile or environment; it may have been deleted".into(),
        AwsError::AccessDenied { operation, .. } => match operation.as_str() {
            "CreateVirtualMFADevice" => {
                "self-service policies let a user create only mfa/${aws:username} (the device named after the user, path /): drop --device-name and --path, or ask an administrator for iam:CreateVirtualMFADevice on this name".into()
            }
            "EnableMFADevice" => {
                "the caller needs iam:EnableMFADevice on the user (self-service policies allow it on the user's own mfa/${aws:username}): ask an administrator".into()
            }
            "DeactivateMFADevice" => {
                "self-service policies allow iam:DeactivateMFADevice only in a session signed in with MFA: run in one, or ask an administrator".into()
            }
            "ListAccountAliases" => {
                "pass --oath-name to name the credential without the account's alias, or ask for iam:ListAccountAliases".into()
            }
            _ => "the caller needs iam:ResyncMFADevice (and iam:ListMFADevices to find the device) on the user: ask an administrator".into(),
        },
        AwsError::AlreadyExists { operation, .. } if operation == "CreateVirtualMFADevice" => {
            "a virtual MFA device of that name exists (an earlier enrolment that was never enabled?): choose another --device-name, or delete it (`aws iam list-virtual-mfa-devices --assignment-status Unassigned` lists them)".into()
        }
        AwsError::AlreadyExists { .. } => {
            "the device is already assigned to a user: check `aws iam list-mfa-devices --user-name NAME`".into()
        }
        AwsError::InvalidCodes { .. } => match pairs {
            PairsFrom::Chosen { no_wait: true } => {
                "code 1 was the previous window's, which a recent sign-in or resync may have used: run again without --no-wait (the default waits for a fresh window), or after the next window".into()
            }
            PairsFrom::Chosen { no_wait: false } => {
                "the codes were computed for fresh windows, so the credential may not be this device's: check --serial-number and the key's credential (`mfa-resync devices --accounts`) or the seed; run again for a fresh pair".into()
            }
            PairsFrom::NewSeed => {
                "the keys' codes matched the seed AWS had just returned, so AWS's clock is off from the Date it answered with, or the endpoint is not the one that made the device: check the host clock (`mfa-resync doctor`) and run again".into()
            }
            PairsFrom::Given | PairsFrom::Typed | PairsFrom::Nothing => {
                "check that the serial number is this token's and that the codes are consecutive; the pair is burned: run again for a fresh one".into()
            }
        },
        AwsError::NoSuchEntity { .. } => {
            "check --user-name and --serial-number: `aws iam list-mfa-devices --user-name NAME` lists a user's devices".into()
        }
        AwsError::InvalidInput { .. } => {
            "AWS's own checks refused a value of the request: check --user-name and --serial-number against `aws iam list-mfa-devices`".into()
        }
        AwsError::NotAUser { .. } => "pass --user-name NAME: roles and the root user have no IAM user of their own".into(),
        AwsError::NoDevice { .. } => "check the user name, or pass --serial-number SERIAL".into(),
        AwsError::AmbiguousDevice { .. } => "pass --serial-number with one of them".into(),
        AwsError::CaBundle { .. } => {
            "give a readable file of PEM certificates (--ca-bundle, AWS_CA_BUNDLE or the profile's ca_bundle), or drop it".into()
        }
        AwsError::PartitionMismatch { partition, .. } => format!(
            "drop --region (or the profile's region) to sign for IAM's region in {partition}, or choose a region of {partition}"
        ),
        AwsError::Transient { .. } if error.never_sent() => {
            "no connection opened, so AWS never saw a pair: check the network, the endpoint URL above (--endpoint-url, the region), then run again".into()
        }
        AwsError::Transient { .. } if pairs == PairsFrom::Given => {
            "the pair may have reached AWS and codes are single-use: run again with a fresh pair".into()
        }
        AwsError::Transient { .. } if attempts == 0 => {
            "check the network, the endpoint (--endpoint-url) and the region, then run again".into()
        }
        AwsError::Transient { code, .. } if code == "Timeout" || code == "ConnectionBroken" => {
            "the last pair went out and its answer was lost: AWS may already have resynced the device. Check with `aws iam list-mfa-devices --user-name NAME` (or sign in) before running again".into()
        }
        AwsError::Transient { .. } => "AWS did not accept any pair in time: wait a minute and run again (--max-attempts raises the tries)".into(),
        AwsError::Other { code, .. } if code == "TlsCertificate" => {
            "this machine does not trust the endpoint's certificate: behind a TLS-inspecting proxy, give the proxy's CA with --ca-bundle FILE (or AWS_CA_BUNDLE, or ca_bundle in the profile)".into()
        }
        AwsError::Other { .. } => "run again with -v for the full error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let creds = Error::from(AwsError::NoCredentials {
            detail: String::new(),
        });
        assert_eq!(creds.exit() as u8, 4);
        let transient = Error::from(AwsError::Transient {
            code: "ServiceFailure".into(),
            what: String::new(),
            detail: String::new(),
        });
        assert_eq!(transient.exit() as u8, 7);
        let input = Error::from(InputError::usage("x", "y"));
        assert_eq!(input.exit() as u8, 2);
    }
}
