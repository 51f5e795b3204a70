//! The AWS layer: configuration, identity, device lookup and the IAM calls, through the official SDK.
//!
//! It owns every SDK type: credentials come from aws-config's default chain (environment, profiles,
//! SSO, `credential_process`, …), and SDK errors are wrapped into [`AwsError`] ([`error`]), never
//! leaked. The codes arrive as plain digits: this layer knows nothing of devices or windows. It
//! keeps the `Date` of the last response ([`wire`]), from which the caller measures the
//! host's clock skew, and believes no answer that is dated too far off, too large, or a success
//! that is not the operation's answer ([`answer`]).

pub mod answer;
mod cause;
mod client;
pub mod endpoint;
mod error;
mod mfa_device;
#[cfg(test)]
mod mfa_device_tests;
mod options;
pub mod partition;
pub mod profiles;
#[cfg(test)]
pub(crate) mod tests;
mod wire;

use std::time::{Duration, SystemTime};

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;
use aws_sdk_iam::types::AssignmentStatusType;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::retry::RetryConfig;

use crate::model::{SerialNumber, UserName};
use error::classify;
pub use error::{AwsError, Refused};
pub use mfa_device::NewDevice;
pub use options::{AwsOptions, CaBundle};
use wire::Wire;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's ARN.
    pub arn: String,
    /// The caller's account.
    pub account: String,
    /// The IAM user name, when the caller is an IAM user (`arn:…:user/path/NAME`).
    pub user_name: Option<String>,
}

impl Caller {
    /// Reads the user name out of an IAM user's ARN; roles, federated users and root have none.
    pub fn from_arn(arn: &str, account: &str) -> Caller {
        let user_name = arn
            .split_once(":user/")
            .filter(|(prefix, _)| prefix.starts_with("arn:") && prefix.contains(":iam:"))
            .and_then(|(_, path_and_name)| path_and_name.rsplit('/').next())
            .filter(|name| !name.is_empty())
            .map(str::to_string);
        Caller {
            arn: arn.to_string(),
            account: account.to_string(),
            user_name,
        }
    }
}

/// Which of the account's virtual MFA devices a listing asks for (its `AssignmentStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Every one (`Any`), with the user of each assigned one.
    All,
    /// Those assigned to no one (`Unassigned`): where a Create whose answer was lost leaves its
    /// device.
    Unassigned,
}

/// A virtual MFA device of the caller's account, as `iam:ListVirtualMFADevices` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualDevice {
    /// Its serial number: the ARN `arn:PARTITION:iam::ACCOUNT:mfa/[PATH/]NAME`.
    pub serial: String,
    /// Whom it is enabled for; `None` while it is not assigned.
    pub user: Option<Assignee>,
}

/// Whom an assigned virtual device is enabled for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// An IAM user, by name.
    User(String),
    /// The account's root user, which has no user name: AWS lists its `User` with the root's ARN
    /// and no `UserName` (which the SDK reads as empty).
    Root,
}

impl Assignee {
    /// The user of a listed device's `User`: the root user by its ARN (`…:root`), else the name.
    fn of(user: &aws_sdk_iam::types::User) -> Assignee {
        if user.arn().ends_with(":root") || user.user_name().is_empty() {
            Assignee::Root
        } else {
            Assignee::User(user.user_name().to_string())
        }
    }

    /// The IAM user's name; `None` for the root user.
    pub fn user_name(&self) -> Option<&str> {
        match self {
            Assignee::User(name) => Some(name),
            Assignee::Root => None,
        }
    }
}

/// What AWS said when it accepted the codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The request id, for the user's records and AWS support.
    pub request_id: Option<String>,
}

/// Clients for IAM and STS sharing one loaded configuration.
#[derive(Debug, Clone)]
pub struct Aws {
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    wire: Wire,
    /// The `mfa_serial` of the selected profile, if it names one.
    pub profile_mfa_serial: Option<String>,
    /// The region requests are signed for.
    pub region: String,
    /// Whether no region was configured and IAM's default was taken.
    pub region_defaulted: bool,
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// The endpoints in use that are not AWS's own (for IAM, then STS), with where each came from.
    pub endpoints: Vec<endpoint::Endpoint>,
}

/// What `doctor` can say about the credentials without showing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsInfo {
    /// Where they most likely came from.
    pub source: String,
    /// `long-term` (AKIA…) or `temporary` (ASIA…, with a session token).
    pub kind: &'static str,
    /// Seconds until they expire, for temporary ones.
    pub expires_in: Option<i64>,
}

impl Aws {
    /// A warning worth giving about the region: a name AWS does not have, with the one it most
    /// likely meant. (New regions appear, so it is never an error.)
    pub fn region_warning(&self) -> Option<String> {
        partition::unknown(&self.region).map(|closest| {
            format!(
                "region {:?} is not one AWS is known to have; did you mean {closest:?}?",
                self.region
            )
        })
    }

    /// Resolves the credentials (without a request) and says what kind they are, never what.
    pub async fn credentials(&self, profile: Option<&str>) -> Result<CredentialsInfo, AwsError> {
        use aws_credential_types::provider::ProvideCredentials;
        let provider = self
            .credentials
            .as_ref()
            .ok_or(AwsError::NoCredentials { detail: None })?;
        let credentials =
            provider
                .provide_credentials()
                .await
                .map_err(|e| AwsError::NoCredentials {
                    detail: cause::credentials_reason(&e),
                })?;
        let source = if profile.is_none() && std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
            "the environment (AWS_ACCESS_KEY_ID)".to_string()
        } else {
            let name = profile
                .map(str::to_string)
                .or_else(|| std::env::var("AWS_PROFILE").ok())
                .unwrap_or_else(|| "default".into());
            format!("profile {name} (its keys, SSO session or credential_process)")
        };
        let kind = if credentials.session_token().is_some() {
            "temporary"
        } else {
            "long-term"
        };
        let expires_in =
            credentials
                .expiry()
                .map(|at| match at.duration_since(SystemTime::now()) {
                    Ok(left) => left.as_secs() as i64,
                    Err(past) => -(past.duration().as_secs() as i64),
                });
        Ok(CredentialsInfo {
            source,
            kind,
            expires_in,
        })
    }

    /// An SDK error, classified, naming the URL when the request failed on its way.
    fn failed<E>(&self, operation: &str, e: SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        classify(operation, e, self.wire.last_url().as_deref())
    }

    /// A call of a code pair or a change (Resync, Enable, Deactivate, Delete) as a [`Receipt`] or a
    /// [`Refused`], with AWS's request id either way: from the answer's `x-amzn-RequestId` header,
    /// which the SDK also reads when the body is not an AWS error response (a modelled error's
    /// metadata would then have none).
    fn receipt<T, E>(
        &self,
        operation: &str,
        result: Result<T, SdkError<E, HttpResponse>>,
        serial: Option<&SerialNumber>,
    ) -> Result<Receipt, Refused>
    where
        T: RequestId,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let request_id = result.request_id().map(str::to_string);
        match result {
            Ok(_) => Ok(Receipt { request_id }),
            Err(e) => Err(self.refused(operation, request_id, e, serial)),
        }
    }

    /// A refused call of a code pair or a change (Resync, Enable, Create, Deactivate, Delete):
    /// classified as [`Aws::failed`] does, with AWS's request id, and the device named in a refusal
    /// of its codes.
    fn refused<E>(
        &self,
        operation: &str,
        request_id: Option<String>,
        e: SdkError<E, HttpResponse>,
        serial: Option<&SerialNumber>,
    ) -> Refused
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut error = self.failed(operation, e);
        if let (AwsError::InvalidCodes { serial: named, .. }, Some(serial)) = (&mut error, serial) {
            *named = serial.to_string();
        }
        Refused { error, request_id }
    }

    /// The `Date` (whole seconds) of the last response, and the host time it arrived.
    pub fn last_date(&self) -> Option<(u64, Duration)> {
        self.wire.last_date()
    }

    /// `sts:GetCallerIdentity`.
    pub async fn caller(&self) -> Result<Caller, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.failed("GetCallerIdentity", e))?;
        let arn = out.arn().unwrap_or_default();
        Ok(Caller::from_arn(arn, out.account().unwrap_or_default()))
    }

    /// The serial numbers of the user's TOTP devices (`iam:ListMFADevices`, U2F/FIDO keys left out).
    pub async fn totp_devices(&self, user: &UserName) -> Result<Vec<String>, AwsError> {
        let mut serials = self.mfa_devices(user).await?;
        serials.retain(|s| !s.contains(":u2f/"));
        Ok(serials)
    }

    /// Every MFA device of the user (`iam:ListMFADevices`, every page), U2F/FIDO keys included:
    /// what an enrolment must not collide with.
    pub async fn mfa_devices(&self, user: &UserName) -> Result<Vec<String>, AwsError> {
        let list = self.iam.list_mfa_devices().user_name(user.as_str());
        let devices = list.into_paginator().items().send().try_collect().await;
        let devices = devices.map_err(|e| self.failed("ListMFADevices", e))?;
        Ok(devices.into_iter().map(|d| d.serial_number).collect())
    }

    /// The virtual MFA devices of the caller's account that `listing` asks for, with the user of
    /// each assigned one (`iam:ListVirtualMFADevices`, every page). An account-level action: AWS's
    /// self-service policies grant it to every user (IAM API reference).
    pub async fn virtual_devices(&self, listing: Listing) -> Result<Vec<VirtualDevice>, AwsError> {
        let status = match listing {
            Listing::All => AssignmentStatusType::Any,
            Listing::Unassigned => AssignmentStatusType::Unassigned,
        };
        let list = self
            .iam
            .list_virtual_mfa_devices()
            .assignment_status(status);
        let devices = list.into_paginator().items().send().try_collect().await;
        let devices = devices.map_err(|e| self.failed("ListVirtualMFADevices", e))?;
        Ok(devices
            .into_iter()
            .map(|d| VirtualDevice {
                user: d.user().map(Assignee::of),
                serial: d.serial_number,
            })
            .collect())
    }

    /// The account's aliases (`iam:ListAccountAliases`; an account has at most one).
    pub async fn account_aliases(&self) -> Result<Vec<String>, AwsError> {
        let list = self.iam.list_account_aliases().into_paginator();
        let aliases = list.items().send().try_collect().await;
        aliases.map_err(|e| self.failed("ListAccountAliases", e))
    }

    /// `iam:ResyncMFADevice`, sent exactly once: the SDK's own retries are off for this call, since a
    /// retry must carry a fresh pair (the codes are single-use and AWS may have seen them).
    pub async fn resync(
        &self,
        user: &UserName,
        serial: &SerialNumber,
        code1: &str,
        code2: &str,
    ) -> Result<Receipt, Refused> {
        let result = self
            .iam
            .resync_mfa_device()
            .user_name(user.as_str())
            .serial_number(serial.as_str())
            .authentication_code1(code1)
            .authentication_code2(code2)
            .customize()
            .config_override(no_retries())
            .send()
            .await;
        self.receipt("ResyncMFADevice", result, Some(serial))
    }
}

/// The SDK's own retries off, for a call whose codes are single-use or whose repeat could meet its
/// own effect (a Create): the caller retries knowingly, with a fresh pair.
fn no_retries() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled())
}
