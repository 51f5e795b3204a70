//! AWS failures as the user needs them: the SDK's errors are classified here by the IAM and STS
//! error codes of the API reference, and never leak past this module. An answer whose body is not
//! an AWS error response (empty, a proxy's HTML page, cut short) is classified by its HTTP status
//! alone: 401/403 is still a credentials or permission problem, not a network one.

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::cause::{credentials_reason, has_credentials_error, root_cause, sources};

/// Everything that can go wrong talking to AWS, each with what the user needs to act (the words
/// are the catalogue's, `crate::messages`).
#[derive(Debug)]
pub enum AwsError {
    /// No credentials could be found or loaded.
    NoCredentials {
        /// Why a provider failed; `None` when none had credentials at all (nothing configured).
        detail: Option<String>,
    },
    /// The credentials were refused: unknown key, bad signature, expired.
    BadCredentials {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// The caller may not do this.
    AccessDenied {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
        /// The action refused (`ResyncMFADevice`, `CreateVirtualMFADevice`, …): the fix depends on it.
        operation: String,
    },
    /// AWS did not accept the two codes (InvalidAuthenticationCode).
    InvalidCodes {
        /// The device.
        serial: String,
        /// AWS's message.
        message: String,
    },
    /// No such user or device (NoSuchEntity).
    NoSuchEntity {
        /// AWS's message.
        message: String,
    },
    /// AWS rejected a value of the request (InvalidInput, ValidationError, …): the user name,
    /// serial number or another field did not pass AWS's own validation.
    InvalidInput {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// The entity to be created exists already (EntityAlreadyExists): a virtual MFA device of that
    /// name, or a device already assigned.
    AlreadyExists {
        /// AWS's message.
        message: String,
        /// The action refused.
        operation: String,
    },
    /// The caller is not an IAM user, so there is no "own" user to default to.
    NotAUser {
        /// The caller's ARN.
        arn: String,
    },
    /// The user has no TOTP device.
    NoDevice {
        /// The user.
        user: String,
    },
    /// Several devices and no way to choose.
    AmbiguousDevice {
        /// The user.
        user: String,
        /// Their serial numbers.
        candidates: Vec<String>,
    },
    /// The configured region is in another partition than the device's ARN.
    PartitionMismatch {
        /// The configured region.
        region: String,
        /// The serial's partition.
        partition: String,
    },
    /// The CA bundle named to trust cannot be used.
    CaBundle {
        /// The file.
        path: String,
        /// Where it was named.
        origin: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A failure worth a retry with a fresh pair: throttling, 5xx, timeout, a dropped connection.
    Transient {
        /// AWS's error code, or the class of failure when no answer came (`Timeout`, …).
        code: String,
        /// What happened.
        what: String,
        /// The SDK's full error, for `-v`.
        detail: String,
    },
    /// An `http://` endpoint on another host: the codes would cross the network in cleartext.
    InsecureEndpoint {
        /// `IAM` or `STS`.
        service: &'static str,
        /// The URL.
        url: String,
        /// Where it was configured.
        origin: String,
    },
    /// The answer was not believed: dated too far from the host's clock, too large, or a success
    /// that is not the operation's answer.
    Untrusted {
        /// The action answered.
        operation: String,
        /// What was wrong with the answer.
        problem: super::answer::Untrusted,
    },
    /// `--profile` names a profile that no config or credentials file defines.
    NoSuchProfile {
        /// The profile.
        profile: String,
    },
    /// Anything else AWS or the configuration said.
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
            AwsError::InsecureEndpoint { .. } => "InsecureEndpoint".into(),
            AwsError::NoSuchProfile { .. } => "NoSuchProfile".into(),
            AwsError::Untrusted { .. } => "UntrustedAnswer".into(),
            AwsError::BadCredentials { code, .. }
            | AwsError::AccessDenied { code, .. }
            | AwsError::InvalidInput { code, .. }
            | AwsError::Transient { code, .. }
            | AwsError::Other { code, .. } => code.clone(),
            AwsError::InvalidCodes { .. } => "InvalidAuthenticationCode".into(),
            AwsError::NoSuchEntity { .. } => "NoSuchEntity".into(),
            AwsError::AlreadyExists { .. } => "EntityAlreadyExists".into(),
            AwsError::NotAUser { .. } => "NotAUser".into(),
            AwsError::NoDevice { .. } => "NoDevice".into(),
            AwsError::AmbiguousDevice { .. } => "AmbiguousDevice".into(),
            AwsError::PartitionMismatch { .. } => "PartitionMismatch".into(),
            AwsError::CaBundle { .. } => "CaBundle".into(),
        }
    }

    /// Whether the request never left this machine (no connection opened), so AWS cannot have seen
    /// what it carried.
    pub fn never_sent(&self) -> bool {
        matches!(self, AwsError::Transient { code, .. } if code == "Unreachable")
    }

    /// Whether a fresh attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, AwsError::Transient { .. })
    }

    /// Whether the answer was not an AWS error response at all (its code is then `Http` and the
    /// status, e.g. `Http403`): something between the host and AWS, a proxy or a wrong
    /// `--endpoint-url`, most likely answered.
    pub fn not_from_aws(&self) -> bool {
        match self {
            AwsError::BadCredentials { code, .. }
            | AwsError::AccessDenied { code, .. }
            | AwsError::Transient { code, .. }
            | AwsError::Other { code, .. } => code.starts_with(HTTP_CODE_PREFIX),
            _ => false,
        }
    }

    /// The SDK's full error chain, shown at `-v`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            AwsError::Transient { detail, .. } | AwsError::Other { detail, .. } => Some(detail),
            _ => None,
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

impl From<AwsError> for Refused {
    /// A failure with no answer to take a request id from.
    fn from(error: AwsError) -> Self {
        Refused {
            error,
            request_id: None,
        }
    }
}

/// The start of the code given to an answer whose body is not an AWS error response: `Http403`,
/// `Http502`, … (AWS's own codes are words, never this).
pub(crate) const HTTP_CODE_PREFIX: &str = "Http";

/// Turns an SDK error into what the user needs: the IAM/STS error codes of the API reference.
///
/// Statuses, from the IAM and STS API references (each action's Errors and Common Errors):
/// InvalidAuthenticationCode 403, NoSuchEntity 404, LimitExceeded / ConcurrentModification /
/// EntityAlreadyExists / EntityTemporarilyUnmodifiable / DeleteConflict 409, ServiceFailure 500,
/// Throttling / InvalidInput / ValidationError / RequestExpired 400, AccessDenied /
/// InvalidClientTokenId / SignatureDoesNotMatch / ExpiredToken 403. An unknown code keeps its
/// status's meaning: 401/403 is credentials or permission, 429 and 5xx are worth a fresh attempt.
/// EntityAlreadyExists is its own variant (enrolment's Create names a device that exists: a name to
/// change, exit 2). LimitExceeded, EntityTemporarilyUnmodifiable and DeleteConflict are `Other`
/// (exit 7), not `Transient`: an immediate retry with a fresh pair would meet the same state.
pub(crate) fn classify<E>(
    operation: &str,
    err: SdkError<E, HttpResponse>,
    url: Option<&str>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    // Messages only: `DisplayErrorContext` adds the `Debug` of the raw answer (a new seed, say).
    let detail: Vec<String> = sources(&err).map(|e| e.to_string()).collect();
    let detail = detail.join(": ");
    if has_credentials_error(&err) {
        return AwsError::NoCredentials {
            detail: credentials_reason(&err),
        };
    }
    if let Some(problem) = super::answer::untrusted(&err) {
        return AwsError::Untrusted {
            operation: operation.to_string(),
            problem,
        };
    }
    match &err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let code = match se.err().code() {
                Some(code) if is_whole_error_response(se.raw()) => code.to_string(),
                _ => return not_an_aws_error(operation, se.raw(), detail),
            };
            let message = se.err().message().unwrap_or_default().to_string();
            let what = format!("{operation}: {code} (HTTP {status}): {message}");
            let operation = operation.to_string();
            match code.as_str() {
                "InvalidAuthenticationCode" => AwsError::InvalidCodes {
                    serial: String::new(),
                    message,
                },
                "NoSuchEntity" => AwsError::NoSuchEntity { message },
                "EntityAlreadyExists" => AwsError::AlreadyExists { message, operation },
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
                    AwsError::AccessDenied {
                        code,
                        message,
                        operation,
                    }
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
                "InvalidInput"
                | "ValidationError"
                | "InvalidParameterValue"
                | "InvalidParameterCombination"
                | "MissingParameter"
                | "MalformedInput" => AwsError::InvalidInput { code, message },
                "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "ConcurrentModification"
                | "ServiceFailure"
                | "ServiceUnavailable"
                | "InternalFailure" => AwsError::Transient { code, what, detail },
                _ => {
                    let transient = status >= 500 || status == 429;
                    by_status(status, transient, operation, code, message, what, detail)
                }
            }
        }
        SdkError::TimeoutError(_) => AwsError::Transient {
            code: "Timeout".into(),
            what: format!("{operation}: no answer in time"),
            detail,
        },
        SdkError::DispatchFailure(failure) => {
            let cause = root_cause(&err);
            // Names the URL a request that could not connect (or did not trust) was going to: a
            // region typo or a wrong endpoint shows at once. A timeout or a broken answer reached
            // the endpoint, and says so without it.
            let url = url
                .map(|url| format!("; the endpoint URL was \"{url}\""))
                .unwrap_or_default();
            // A certificate the endpoint shows that this machine does not trust will not become
            // trusted by waiting: permanent, said at once, with what fixes it behind a proxy.
            // Read, never shown: rustls may name the problem only in its `Debug`.
            let context = DisplayErrorContext(&err).to_string();
            if context.contains("invalid peer certificate")
                || context.contains("InvalidCertificate")
            {
                return AwsError::Other {
                    code: "TlsCertificate".into(),
                    what: format!(
                        "{operation}: the endpoint's TLS certificate is not trusted ({cause}){url}"
                    ),
                    detail,
                };
            }
            // hyper's connector fails in its `Connect` phase when no connection opened at all
            // (refused, no such host, no route, connect timeout): the request never left.
            let never_opened = context.contains("client error (Connect)");
            let (code, what) = if never_opened {
                (
                    "Unreachable",
                    format!("{operation}: could not connect to the endpoint ({cause}){url}"),
                )
            } else if failure.is_timeout() {
                ("Timeout", format!("{operation}: no answer in time"))
            } else if failure.is_io() {
                (
                    "ConnectionFailed",
                    format!("{operation}: the connection failed ({cause}){url}"),
                )
            } else {
                (
                    "RequestFailed",
                    format!("{operation}: the request failed ({cause})"),
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

/// Whether the body is a whole Query-protocol `ErrorResponse` document. The SDK's XML reader takes
/// a body cut inside `<Code>` at its word (`<Code>Signat` gives the code `Signat`), so a code is
/// believed only from a body that ends where IAM's and STS's end. A body the SDK did not buffer
/// cannot be checked and is left to the SDK.
fn is_whole_error_response(response: &HttpResponse) -> bool {
    response
        .body()
        .bytes()
        .is_none_or(|body| body.trim_ascii_end().ends_with(b"</ErrorResponse>"))
}

/// An answer that came but whose body is not an AWS error response (no error code in it, or not the
/// whole document: empty, HTML from a proxy or gateway, XML cut short, another service's format). Only the
/// status is left to go by; the body is neither parsed nor shown (it is untrusted, and it could
/// echo the request).
fn not_an_aws_error(operation: &str, response: &HttpResponse, detail: String) -> AwsError {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|t| {
            t.chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .take(60)
                .collect::<String>()
        })
        .filter(|t| !t.is_empty())
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let code = format!("{HTTP_CODE_PREFIX}{status}");
    let message = format!(
        "HTTP {status}{content_type} with no AWS error in the body: a proxy, a gateway or the wrong endpoint may have answered"
    );
    let (what, operation) = (format!("{operation}: {message}"), operation.to_string());
    let transient = matches!(status, 429 | 500..=599);
    by_status(status, transient, operation, code, message, what, detail)
}

/// An answer whose code means nothing more than its status: 401 is the credentials, 403 a
/// permission, a `transient` one (429, 5xx) worth a fresh attempt, any other left as it is;
/// `what` is the code and the message as one line.
fn by_status(
    status: u16,
    transient: bool,
    operation: String,
    code: String,
    message: String,
    what: String,
    detail: String,
) -> AwsError {
    match status {
        401 => AwsError::BadCredentials { code, message },
        403 => AwsError::AccessDenied {
            code,
            message,
            operation,
        },
        _ if transient => AwsError::Transient { code, what, detail },
        _ => AwsError::Other { code, what, detail },
    }
}
