//! The AWS layer's errors in words: what AWS (or the network, or the configuration) said, and what
//! to do, which depends on how many pairs went out and where they came from.

use std::fmt;

use crate::aws::AwsError;
use crate::aws::answer::{MAX_ANSWER_BYTES, MAX_SKEW, Untrusted};
use crate::error::PairsFrom;

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AwsError::NoCredentials { detail: None } => f.write_str(
                "no AWS credentials found: none in the environment (AWS_ACCESS_KEY_ID), the AWS credentials and config files, an SSO session or the instance's role",
            ),
            AwsError::NoCredentials {
                detail: Some(detail),
            } => write!(f, "no AWS credentials: {detail}"),
            AwsError::BadCredentials { code, message } => {
                write!(f, "AWS refused the credentials ({code}): {message}")
            }
            AwsError::AccessDenied { code, message, .. } => {
                write!(f, "access denied ({code}): {message}")
            }
            AwsError::InvalidCodes { serial, message } => {
                write!(f, "AWS refused the codes for {serial}: {message}")
            }
            AwsError::NoSuchEntity { message } => write!(f, "AWS found no such entity: {message}"),
            AwsError::InvalidInput { code, message } => {
                write!(f, "AWS rejected the request ({code}): {message}")
            }
            AwsError::AlreadyExists { message, operation } => {
                write!(f, "{operation}: {message} (EntityAlreadyExists)")
            }
            AwsError::NotAUser { arn } => write!(
                f,
                "the caller {arn} is not an IAM user, so the user name cannot be guessed"
            ),
            AwsError::NoDevice { user } => write!(f, "user {user} has no TOTP MFA device"),
            AwsError::AmbiguousDevice { user, candidates } => write!(
                f,
                "user {user} has {} TOTP MFA devices: {}",
                candidates.len(),
                candidates.join(", ")
            ),
            AwsError::PartitionMismatch { region, partition } => write!(
                f,
                "the region {region} is in partition {}, but the device is in {partition}",
                crate::aws::partition::of_region(region)
            ),
            AwsError::CaBundle {
                path,
                origin,
                problem,
            } => write!(f, "the CA bundle {path} (from {origin}) {problem}"),
            AwsError::Transient { what, .. } | AwsError::Other { what, .. } => f.write_str(what),
            AwsError::InsecureEndpoint {
                service,
                url,
                origin,
            } => write!(
                f,
                "{service} endpoint {url} (from {origin}) is plain HTTP to another host; the codes would cross the network unencrypted"
            ),
            AwsError::NoSuchProfile { profile } => write!(
                f,
                "no AWS credentials: the profile {profile} is not defined in the AWS config or credentials file"
            ),
            AwsError::Untrusted { operation, problem } => write!(f, "{operation}: {problem}"),
        }
    }
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Untrusted::Skewed { seconds } => write!(
                f,
                "the endpoint's answer is dated {} {} this host's clock, more than the {} minutes AWS allows; nothing was read or sent by it",
                span(seconds.unsigned_abs()),
                if *seconds > 0 { "ahead of" } else { "behind" },
                MAX_SKEW.as_secs() / 60
            ),
            Untrusted::TooLarge => write!(
                f,
                "the endpoint's answer is larger than {} KiB, far more than any IAM answer; it was not read",
                MAX_ANSWER_BYTES / 1024
            ),
            Untrusted::NotTheAnswer { status, expected } => write!(
                f,
                "the endpoint answered HTTP {status}, but its body is not IAM's {expected}; it does not count as a success"
            ),
        }
    }
}

/// `3652 days`, `5 hours`, `20 minutes`: how far apart two clocks are, roughly.
fn span(seconds: u64) -> String {
    match seconds {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 2 * 3600 => format!("{} hours", s / 3600),
        s => format!("{} minutes", s / 60),
    }
}

impl std::error::Error for AwsError {}

impl AwsError {
    /// What to do about it, after `attempts` pairs from `pairs`.
    pub fn hint(&self, attempts: u32, pairs: PairsFrom) -> String {
        let error = self;
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
                    "code 1 was the current window's, which a sign-in (or a resync from another machine) in the last minute may have used: run again in a minute, for fresh windows. If it is refused again, the credential may not be this device's: check --serial-number and the key's credential (`mfa-resync devices --accounts`) or the seed".into()
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
            AwsError::Untrusted { problem: Untrusted::Skewed { .. }, .. } => {
                "if this host's clock is wrong, set it (`timedatectl`, NTP) and run again; if it is right, the endpoint (or a proxy on the way) is not AWS's: check --endpoint-url and the proxy".into()
            }
            AwsError::Untrusted { operation, .. } if operation == "ResyncMFADevice" && attempts > 0 => {
                "the last pair went out, and the answer cannot tell whether AWS took it: check with `aws iam list-mfa-devices --user-name NAME` (or sign in), and check --endpoint-url and any proxy".into()
            }
            AwsError::Untrusted { .. } => {
                "the endpoint (or a proxy on the way) did not answer as IAM does: check --endpoint-url and any proxy (HTTPS_PROXY, a corporate gateway)".into()
            }
            AwsError::Other { code, .. } if code == "TlsCertificate" => {
                "this machine does not trust the endpoint's certificate: behind a TLS-inspecting proxy, give the proxy's CA with --ca-bundle FILE (or AWS_CA_BUNDLE, or ca_bundle in the profile)".into()
            }
            AwsError::Other { .. } => "run again with -v for the full error".into(),
        }
    }
}
