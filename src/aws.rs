//! The AWS layer: configuration, identity, device lookup and the `ResyncMFADevice` call.
//!
//! It owns every SDK type: credentials come from aws-config's default chain (environment, profiles,
//! SSO, `credential_process`, …), and SDK errors are wrapped into [`AwsError`] here, never leaked.
//! The codes arrive as plain digits: this layer knows nothing of devices or windows. It also keeps
//! the `Date` of the last response, from which the caller measures the host's clock skew.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileLoadError;
use aws_sdk_iam::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::resync_mfa_device::ResyncMFADeviceError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::date_time::{DateTime, Format};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;

use crate::request::{SerialNumber, UserName};

/// IAM is a global service: with no region configured anywhere, sign for `us-east-1` as the AWS CLI does.
const IAM_DEFAULT_REGION: &str = "us-east-1";

/// How to reach AWS, as the user asked.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--profile`
    pub profile: Option<String>,
    /// `--region`
    pub region: Option<String>,
    /// `--endpoint-url`
    pub endpoint_url: Option<String>,
    /// `--cli-connect-timeout`
    pub connect_timeout: Duration,
    /// `--cli-read-timeout`: the longest one attempt of a call may take.
    pub read_timeout: Duration,
}

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

/// What AWS said when it accepted the codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The request id, for the user's records and AWS support.
    pub request_id: Option<String>,
}

/// Everything that can go wrong talking to AWS, each with what the user needs to act.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// No credentials could be found or loaded.
    #[error("no AWS credentials: {detail}")]
    NoCredentials {
        /// Why the provider chain failed.
        detail: String,
    },
    /// The credentials were refused: unknown key, bad signature, expired.
    #[error("AWS refused the credentials ({code}): {message}")]
    BadCredentials {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// The caller may not do this.
    #[error("access denied ({code}): {message}")]
    AccessDenied {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// AWS did not accept the two codes (InvalidAuthenticationCode).
    #[error("AWS refused the codes for {serial}: {message}")]
    InvalidCodes {
        /// The device.
        serial: String,
        /// AWS's message.
        message: String,
    },
    /// No such user or device (NoSuchEntity).
    #[error("AWS found no such entity: {message}")]
    NoSuchEntity {
        /// AWS's message.
        message: String,
    },
    /// The caller is not an IAM user, so there is no "own" user to default to.
    #[error("the caller {arn} is not an IAM user, so the user name cannot be guessed")]
    NotAUser {
        /// The caller's ARN.
        arn: String,
    },
    /// The user has no TOTP device.
    #[error("user {user} has no TOTP MFA device")]
    NoDevice {
        /// The user.
        user: String,
    },
    /// Several devices and no way to choose.
    #[error("user {user} has {} TOTP MFA devices: {}", candidates.len(), candidates.join(", "))]
    AmbiguousDevice {
        /// The user.
        user: String,
        /// Their serial numbers.
        candidates: Vec<String>,
    },
    /// A failure worth a retry with a fresh pair: throttling, 5xx, timeout, a dropped connection.
    #[error("{what}")]
    Transient {
        /// AWS's error code, or the class of failure when no answer came (`Timeout`, …).
        code: String,
        /// What happened.
        what: String,
        /// The SDK's full error, for `-v`.
        detail: String,
    },
    /// Anything else AWS or the configuration said.
    #[error("{what}")]
    Other {
        /// AWS's error code, or the class of failure.
        code: String,
        /// What happened.
        what: String,
        /// The SDK's full error, for `-v`.
        detail: String,
    },
}

impl AwsError {
    /// A short name for logs: AWS's error code where there is one.
    pub fn code(&self) -> String {
        match self {
            AwsError::NoCredentials { .. } => "NoCredentials".into(),
            AwsError::BadCredentials { code, .. } | AwsError::AccessDenied { code, .. } => {
                code.clone()
            }
            AwsError::InvalidCodes { .. } => "InvalidAuthenticationCode".into(),
            AwsError::NoSuchEntity { .. } => "NoSuchEntity".into(),
            AwsError::NotAUser { .. } => "NotAUser".into(),
            AwsError::NoDevice { .. } => "NoDevice".into(),
            AwsError::AmbiguousDevice { .. } => "AmbiguousDevice".into(),
            AwsError::Transient { code, .. } | AwsError::Other { code, .. } => code.clone(),
        }
    }

    /// Whether a fresh attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, AwsError::Transient { .. })
    }

    /// The SDK's full error chain, shown at `-v`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            AwsError::Transient { detail, .. } | AwsError::Other { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

/// Remembers the `Date` of the last response and the host time it arrived.
#[derive(Debug, Clone, Default)]
struct DateProbe(Arc<Mutex<Option<(u64, Duration)>>>);

impl Intercept for DateProbe {
    fn name(&self) -> &'static str {
        "mfa-resync::DateProbe"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let date = context
            .response()
            .headers()
            .get("date")
            .and_then(|value| DateTime::from_str(value, Format::HttpDate).ok())
            .and_then(|date| u64::try_from(date.secs()).ok());
        if let (Some(date), Ok(mut last)) = (date, self.0.lock()) {
            *last = Some((date, received));
        }
        Ok(())
    }
}

/// Clients for IAM and STS sharing one loaded configuration.
#[derive(Debug, Clone)]
pub struct Aws {
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    probe: DateProbe,
    profile_mfa_serial: Option<String>,
    region: String,
    region_defaulted: bool,
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
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
    /// Loads the configuration (profile, region, credentials chain) and builds the clients.
    pub async fn connect(options: &AwsOptions) -> Result<Aws, AwsError> {
        Self::connect_inner(options, None).await
    }

    /// As [`Aws::connect`], with fixed credentials instead of the default chain: for programs that
    /// embed the library with credentials of their own (and for tests).
    pub async fn connect_with_credentials(
        options: &AwsOptions,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Result<Aws, AwsError> {
        let credentials = aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "static",
        );
        Self::connect_inner(options, Some(credentials)).await
    }

    async fn connect_inner(
        options: &AwsOptions,
        credentials: Option<aws_credential_types::Credentials>,
    ) -> Result<Aws, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(credentials) = credentials {
            loader = loader.credentials_provider(credentials);
        }
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .operation_attempt_timeout(options.read_timeout + options.connect_timeout)
            .build();
        let sdk = loader.timeout_config(timeouts).load().await;
        let region_defaulted = sdk.region().is_none();
        tracing::info!(
            profile = ?options.profile,
            region = ?sdk.region(),
            endpoint = ?options.endpoint_url,
            "AWS configuration loaded"
        );
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| IAM_DEFAULT_REGION.to_string());
        let probe = DateProbe::default();
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&sdk)
                .region(Region::new(region.clone()))
                .interceptor(probe.clone())
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&sdk)
                .region(Region::new(region.clone()))
                .interceptor(probe.clone())
                .build(),
        );
        let profile_mfa_serial = profile_mfa_serial(options.profile.as_deref()).await;
        let credentials = sdk.credentials_provider();
        Ok(Aws {
            iam,
            sts,
            probe,
            profile_mfa_serial,
            region,
            region_defaulted,
            credentials,
        })
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Whether no region was configured and IAM's default was taken.
    pub fn region_defaulted(&self) -> bool {
        self.region_defaulted
    }

    /// Resolves the credentials (without a request) and says what kind they are, never what.
    pub async fn credentials(&self, profile: Option<&str>) -> Result<CredentialsInfo, AwsError> {
        use aws_credential_types::provider::ProvideCredentials;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| AwsError::NoCredentials {
                detail: "no credentials provider is configured".into(),
            })?;
        let credentials =
            provider
                .provide_credentials()
                .await
                .map_err(|e| AwsError::NoCredentials {
                    detail: short_chain(&e),
                })?;
        let source = if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
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

    /// The `mfa_serial` of the selected profile, if it names one.
    pub fn profile_mfa_serial(&self) -> Option<&str> {
        self.profile_mfa_serial.as_deref()
    }

    /// The `Date` (whole seconds) of the last response, and the host time it arrived.
    pub fn last_date(&self) -> Option<(u64, Duration)> {
        self.probe.0.lock().ok().and_then(|last| *last)
    }

    /// `sts:GetCallerIdentity`.
    pub async fn caller(&self) -> Result<Caller, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("GetCallerIdentity", e))?;
        let arn = out.arn().unwrap_or_default();
        Ok(Caller::from_arn(arn, out.account().unwrap_or_default()))
    }

    /// The serial numbers of the user's TOTP devices (`iam:ListMFADevices`, U2F/FIDO keys left out).
    pub async fn totp_devices(&self, user: &UserName) -> Result<Vec<String>, AwsError> {
        let mut serials = Vec::new();
        let mut pages = self
            .iam
            .list_mfa_devices()
            .user_name(user.as_str())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify("ListMFADevices", e))?;
            serials.extend(
                page.mfa_devices()
                    .iter()
                    .map(|d| d.serial_number().to_string())
                    .filter(|s| !s.contains(":u2f/")),
            );
        }
        Ok(serials)
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
        use aws_sdk_iam::operation::RequestId;
        let result = self
            .iam
            .resync_mfa_device()
            .user_name(user.as_str())
            .serial_number(serial.as_str())
            .authentication_code1(code1)
            .authentication_code2(code2)
            .customize()
            .config_override(
                aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await;
        match result {
            Ok(out) => Ok(Receipt {
                request_id: out.request_id().map(str::to_string),
            }),
            Err(SdkError::ServiceError(se)) => {
                let request_id = se.err().request_id().map(str::to_string);
                let message = se.err().message().unwrap_or_default().to_string();
                let error = match se.err() {
                    ResyncMFADeviceError::InvalidAuthenticationCodeException(_) => {
                        AwsError::InvalidCodes {
                            serial: serial.to_string(),
                            message,
                        }
                    }
                    ResyncMFADeviceError::NoSuchEntityException(_) => {
                        AwsError::NoSuchEntity { message }
                    }
                    _ => classify("ResyncMFADevice", SdkError::ServiceError(se)),
                };
                Err(Refused { error, request_id })
            }
            // No answer (timeout, dropped connection): no request id to keep.
            Err(e) => Err(Refused {
                error: classify("ResyncMFADevice", e),
                request_id: None,
            }),
        }
    }
}

/// A `ResyncMFADevice` that did not succeed, with the request id when AWS answered.
#[derive(Debug)]
pub struct Refused {
    /// What went wrong.
    pub error: AwsError,
    /// AWS's request id, for the audit log and AWS support.
    pub request_id: Option<String>,
}

/// Reads `mfa_serial` from the selected profile, as the AWS CLI does for MFA prompts. A broken
/// config file is left for the credentials chain to report.
async fn profile_mfa_serial(profile: Option<&str>) -> Option<String> {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let selected = profile.map(|p| std::borrow::Cow::Owned(p.to_string()));
    let set: Result<_, ProfileFileLoadError> =
        aws_config::profile::load(&fs, &env, &Default::default(), selected).await;
    let set = set.ok()?;
    let profile = set.get_profile(set.selected_profile())?;
    profile.get("mfa_serial").map(str::to_string)
}

/// Turns an SDK error into what the user needs: the IAM/STS error codes of the API reference.
fn classify<E>(operation: &str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(&err).to_string();
    if has_credentials_error(&err) {
        return AwsError::NoCredentials {
            detail: credentials_reason(&err),
        };
    }
    match &err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let code = se.err().code().unwrap_or("Unknown").to_string();
            let message = se.err().message().unwrap_or_default().to_string();
            match code.as_str() {
                "InvalidAuthenticationCode" => AwsError::InvalidCodes {
                    serial: String::new(),
                    message,
                },
                "NoSuchEntity" => AwsError::NoSuchEntity { message },
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                    AwsError::AccessDenied { code, message }
                }
                "SignatureDoesNotMatch"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "IncompleteSignature"
                | "MissingAuthenticationToken"
                | "InvalidAccessKeyId"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "RequestExpired"
                | "TokenRefreshRequired" => AwsError::BadCredentials { code, message },
                "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "ConcurrentModification"
                | "ServiceFailure"
                | "ServiceUnavailable"
                | "InternalFailure" => AwsError::Transient {
                    what: format!("{operation}: {code} (HTTP {status}): {message}"),
                    code,
                    detail,
                },
                _ if status >= 500 => AwsError::Transient {
                    what: format!("{operation}: {code} (HTTP {status}): {message}"),
                    code,
                    detail,
                },
                _ => AwsError::Other {
                    what: format!("{operation}: {code} (HTTP {status}): {message}"),
                    code,
                    detail,
                },
            }
        }
        SdkError::TimeoutError(_) => AwsError::Transient {
            code: "Timeout".into(),
            what: format!("{operation}: no answer in time"),
            detail,
        },
        SdkError::DispatchFailure(failure) => {
            let (code, what) = if failure.is_timeout() {
                ("Timeout", format!("{operation}: no answer in time"))
            } else if failure.is_io() {
                (
                    "ConnectionFailed",
                    format!(
                        "{operation}: could not reach the endpoint ({})",
                        root_cause(&err)
                    ),
                )
            } else {
                (
                    "RequestFailed",
                    format!("{operation}: the request failed ({})", root_cause(&err)),
                )
            };
            AwsError::Transient {
                code: code.into(),
                what,
                detail,
            }
        }
        SdkError::ResponseError(_) => AwsError::Transient {
            code: "ConnectionBroken".into(),
            what: format!("{operation}: the connection broke before a whole answer came"),
            detail,
        },
        _ => AwsError::Other {
            code: "Error".into(),
            what: format!("{operation}: {}", root_cause(&err)),
            detail,
        },
    }
}

fn sources<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| e.source())
}

fn has_credentials_error(err: &(dyn std::error::Error + 'static)) -> bool {
    sources(err).any(|e| e.is::<aws_credential_types::provider::error::CredentialsError>())
}

fn credentials_reason(err: &(dyn std::error::Error + 'static)) -> String {
    sources(err)
        .find(|e| e.is::<aws_credential_types::provider::error::CredentialsError>())
        .map(short_chain)
        .unwrap_or_default()
}

/// The first two links of an error chain, without the SDK's debug dumps: enough to act on; the
/// whole chain is for `-v`.
fn short_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let text = sources(err)
        .take(3)
        .map(|e| e.to_string())
        .map(|t| t.split(" (").next().unwrap_or_default().trim().to_string())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    match text.char_indices().nth(240) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    sources(err)
        .last()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_come_from_user_arns_only() {
        assert_eq!(
            Caller::from_arn("arn:aws:iam::123456789012:user/alice", "1")
                .user_name
                .as_deref(),
            Some("alice")
        );
        assert_eq!(
            Caller::from_arn("arn:aws:iam::123456789012:user/division/team/bob", "1")
                .user_name
                .as_deref(),
            Some("bob")
        );
        assert_eq!(
            Caller::from_arn("arn:aws:sts::123456789012:assumed-role/Admin/s", "1").user_name,
            None
        );
        assert_eq!(
            Caller::from_arn("arn:aws:iam::123456789012:root", "1").user_name,
            None
        );
    }
}
