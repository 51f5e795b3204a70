//! The AWS layer below HTTP: IAM's and STS's answers, canned as they send them (Query-protocol XML
//! with the statuses of the IAM and STS API references, and the `x-amzn-RequestId` header), go
//! through the real SDK calls the tool makes via the SDK's own `StaticReplayClient`. Each case
//! checks the [`AwsError`] variant, its code, the request id `resync` keeps and the exit code the
//! edge gives it; then the answers that are not AWS's (a proxy's HTML, an empty or cut body), and
//! that `ResyncMFADevice` is never retried by the SDK.

use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;

use super::*;
use crate::error::Error;
use crate::exit::Exit;
use crate::model::Origin;
use Call::{Aliases, Devices, Identity, Resync};

const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

/// The SDK call a case goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Call {
    /// `sts:GetCallerIdentity` ([`Aws::caller`]).
    Identity,
    /// `iam:ListMFADevices` ([`Aws::totp_devices`]).
    Devices,
    /// `iam:ListAccountAliases` ([`Aws::account_aliases`]).
    Aliases,
    /// `iam:ResyncMFADevice` ([`Aws::resync`]), the one call that keeps a request id on failure.
    Resync,
}

impl Call {
    fn namespace(self) -> &'static str {
        match self {
            Call::Identity => STS_NS,
            _ => IAM_NS,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Call::Identity => "GetCallerIdentity",
            Call::Devices => "ListMFADevices",
            Call::Aliases => "ListAccountAliases",
            Call::Resync => "ResyncMFADevice",
        }
    }
}

/// An error answer as IAM and STS send it: `ErrorResponse` in the service's namespace, `Sender` or
/// `Receiver`, the request id in the body and in `x-amzn-RequestId`.
pub(super) fn aws_error(
    call: Call,
    status: u16,
    code: &str,
    message: &str,
    request_id: &str,
) -> HttpResponse {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"{}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        call.namespace()
    );
    answer(status, Some("text/xml"), Some(request_id), &body)
}

/// The `Date` of an answer `ahead` seconds from the host's clock.
pub(super) fn http_date(ahead: i64) -> String {
    let now = i64::try_from(super::answer::host_now().as_secs()).expect("a time");
    aws_smithy_types::date_time::DateTime::from_secs(now + ahead)
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .expect("an HTTP date")
}

pub(super) fn answer(
    status: u16,
    content_type: Option<&str>,
    request_id: Option<&str>,
    body: &str,
) -> HttpResponse {
    let status = status.try_into().expect("a valid status");
    let mut response = HttpResponse::new(status, SdkBody::from(body));
    response.headers_mut().insert("date", http_date(0));
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert("content-type", content_type.to_string());
    }
    if let Some(id) = request_id {
        response
            .headers_mut()
            .insert("x-amzn-RequestId", id.to_string());
    }
    response
}

/// A success as IAM and STS send one: `body`, XML, with its request id.
pub(super) fn ok(request_id: &str, body: &str) -> HttpResponse {
    answer(200, Some("text/xml"), Some(request_id), body)
}

/// What a request sent, as text.
pub(super) fn body_of(request: &HttpRequest) -> String {
    let body = request.body().bytes().unwrap_or_default();
    String::from_utf8_lossy(body).into_owned()
}

/// The SDK client answering `responses` in order, and the tool's clients over it.
pub(super) fn replay(
    responses: Vec<HttpResponse>,
    retry: RetryConfig,
) -> (StaticReplayClient, Aws) {
    let events = responses
        .into_iter()
        .map(|response| ReplayEvent::new(HttpRequest::empty(), response))
        .collect();
    let client = StaticReplayClient::new(events);
    let aws = Aws::for_tests(SharedHttpClient::new(client.clone()), retry);
    (client, aws)
}

/// Resyncs alice's device with the pair 123456, 654321.
async fn resync(aws: &Aws) -> Result<Receipt, Refused> {
    let user = UserName::parse("alice", Origin::Flag).expect("a valid user");
    let serial = SerialNumber::parse(SERIAL, Origin::Flag).expect("a valid serial");
    aws.resync(&user, &serial, "123456", "654321").await
}

/// Makes `call`, which must fail, and returns the error with the request id `resync` kept.
async fn fail(aws: &Aws, call: Call) -> (AwsError, Option<String>) {
    let user = UserName::parse("alice", Origin::Flag).expect("a valid user");
    match call {
        Call::Identity => (aws.caller().await.expect_err("must fail"), None),
        Call::Devices => (aws.totp_devices(&user).await.expect_err("must fail"), None),
        Call::Aliases => (aws.account_aliases().await.expect_err("must fail"), None),
        Call::Resync => {
            let refused = resync(aws).await.expect_err("must fail");
            (refused.error, refused.request_id)
        }
    }
}

/// The variant's name, matched exhaustively so that a new variant must be placed in the table.
fn variant(error: &AwsError) -> &'static str {
    match error {
        AwsError::NoCredentials { .. } => "NoCredentials",
        AwsError::BadCredentials { .. } => "BadCredentials",
        AwsError::AccessDenied { .. } => "AccessDenied",
        AwsError::InvalidCodes { .. } => "InvalidCodes",
        AwsError::NoSuchEntity { .. } => "NoSuchEntity",
        AwsError::AlreadyExists { .. } => "AlreadyExists",
        AwsError::InvalidInput { .. } => "InvalidInput",
        AwsError::NotAUser { .. } => "NotAUser",
        AwsError::NoDevice { .. } => "NoDevice",
        AwsError::AmbiguousDevice { .. } => "AmbiguousDevice",
        AwsError::PartitionMismatch { .. } => "PartitionMismatch",
        AwsError::InsecureEndpoint { .. } => "InsecureEndpoint",
        AwsError::NoSuchProfile { .. } => "NoSuchProfile",
        AwsError::CaBundle { .. } => "CaBundle",
        AwsError::Transient { .. } => "Transient",
        AwsError::Other { .. } => "Other",
        AwsError::Untrusted { .. } => "Untrusted",
    }
}

/// Every IAM and STS code the tool classifies: the call, the status the API references give it
/// and the code, AWS's message, and what the tool makes of it (its variant and exit code).
/// EntityAlreadyExists, EntityTemporarilyUnmodifiable and DeleteConflict come from the enrolment
/// calls (CreateVirtualMFADevice, EnableMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice);
/// they go through `ResyncMFADevice` here, whose SDK error leaves unmodelled codes to `classify`.
#[rustfmt::skip]
const CASES: &[(Call, u16, &str, &str, &str, Exit)] = &[
    // ResyncMFADevice's own errors (IAM API reference, ResyncMFADevice, Errors).
    (Resync, 403, "InvalidAuthenticationCode", "Authentication code for device is not valid.", "InvalidCodes", Exit::CodesRefused),
    (Resync, 404, "NoSuchEntity", "MFA Device with serial number arn:aws:iam::123456789012:mfa/alice does not exist.", "NoSuchEntity", Exit::NoSuchEntity),
    (Resync, 409, "LimitExceeded", "Cannot exceed quota for attempts: 5.", "Other", Exit::ServiceFailure),
    (Resync, 409, "ConcurrentModification", "The request was rejected because multiple requests to change this object were submitted simultaneously.", "Transient", Exit::ServiceFailure),
    (Resync, 500, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.", "Transient", Exit::ServiceFailure),
    // Common errors on the resync itself.
    (Resync, 400, "Throttling", "Rate exceeded", "Transient", Exit::ServiceFailure),
    (Resync, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ResyncMFADevice on resource: user alice", "AccessDenied", Exit::Credentials),
    (Resync, 403, "ExpiredToken", "The security token included in the request is expired", "BadCredentials", Exit::Credentials),
    (Resync, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", "BadCredentials", Exit::Credentials),
    // Enrolment's errors, classified now so that `enroll` finds them.
    (Resync, 409, "EntityAlreadyExists", "MFADevice entity at the same path and name already exists.", "AlreadyExists", Exit::Input),
    (Resync, 409, "EntityTemporarilyUnmodifiable", "The request was rejected because it referenced an entity that is temporarily unmodifiable.", "Other", Exit::ServiceFailure),
    (Resync, 409, "DeleteConflict", "MFA device is still enabled for a user.", "Other", Exit::ServiceFailure),
    (Resync, 400, "InvalidInput", "Invalid length for parameter SerialNumber, value: 3, valid min length: 9", "InvalidInput", Exit::Input),
    (Resync, 400, "ValidationError", "1 validation error detected: Value 'x' at 'authenticationCode1' failed to satisfy constraint", "InvalidInput", Exit::Input),
    // sts:GetCallerIdentity, the first call of every run: the credentials' own failures.
    (Identity, 403, "ExpiredToken", "The security token included in the request is expired", "BadCredentials", Exit::Credentials),
    (Identity, 403, "InvalidClientTokenId", "The security token included in the request is invalid.", "BadCredentials", Exit::Credentials),
    (Identity, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.", "BadCredentials", Exit::Credentials),
    (Identity, 400, "RequestExpired", "Request has expired.", "BadCredentials", Exit::Credentials),
    (Identity, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:GetCallerIdentity with an explicit deny in a service control policy", "AccessDenied", Exit::Credentials),
    (Identity, 400, "Throttling", "Rate exceeded", "Transient", Exit::ServiceFailure),
    // iam:ListMFADevices, to find the user's device.
    (Devices, 404, "NoSuchEntity", "The user with name alice cannot be found.", "NoSuchEntity", Exit::NoSuchEntity),
    (Devices, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListMFADevices on resource: user alice", "AccessDenied", Exit::Credentials),
    (Devices, 400, "Throttling", "Rate exceeded", "Transient", Exit::ServiceFailure),
    (Devices, 500, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.", "Transient", Exit::ServiceFailure),
    (Devices, 400, "ValidationError", "1 validation error detected: Value at 'userName' failed to satisfy constraint", "InvalidInput", Exit::Input),
    // iam:ListAccountAliases, for the account's name.
    (Aliases, 403, "AccessDenied", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListAccountAliases on resource: *", "AccessDenied", Exit::Credentials),
    (Aliases, 500, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.", "Transient", Exit::ServiceFailure),
    (Aliases, 403, "InvalidClientTokenId", "The security token included in the request is invalid.", "BadCredentials", Exit::Credentials),
    // A code the tool does not know keeps its status's meaning: 403 is permission (OptInRequired,
    // from the Common Errors), 5xx is worth a fresh attempt, other 4xx is left as it is.
    (Devices, 403, "OptInRequired", "The AWS access key ID needs a subscription for the service.", "AccessDenied", Exit::Credentials),
    (Devices, 503, "ServiceUnavailableException", "Service is unavailable.", "Transient", Exit::ServiceFailure),
    (Devices, 400, "InvalidAction", "Could not find operation ListMFADevices for version 2010-05-08", "Other", Exit::ServiceFailure),
];

#[tokio::test]
async fn every_iam_and_sts_error_code_becomes_its_variant_and_exit_code() {
    let mut failures = Vec::new();
    for (n, &(call, status, code, message, expected, wanted)) in CASES.iter().enumerate() {
        let request_id = format!("0c9e2f1a-2b3c-4d5e-8f90-{n:012}");
        let response = aws_error(call, status, code, message, &request_id);
        let (client, aws) = replay(vec![response], RetryConfig::disabled());
        let (error, kept_id) = fail(&aws, call).await;
        let sent: Vec<_> = client.actual_requests().collect();
        assert_eq!(sent.len(), 1, "{code}: one request");
        let body = body_of(sent[0]);
        let action = call.action();
        assert!(
            body.contains(&format!("Action={action}")),
            "{code}: sent {body}"
        );
        let row = format!(
            "{call:?} {status} {code} -> {} {}",
            variant(&error),
            error.code()
        );
        if variant(&error) != expected || error.code() != code {
            failures.push(format!("{row}; expected {expected} {code}"));
        }
        if !error.to_string().contains(message) {
            failures.push(format!("{row}: AWS's message is not in \"{error}\""));
        }
        if let AwsError::InvalidCodes { serial, .. } = &error
            && serial != SERIAL
        {
            failures.push(format!("{row}: names the device {serial:?}"));
        }
        if call == Call::Resync && kept_id.as_deref() != Some(request_id.as_str()) {
            failures.push(format!(
                "{row}: request id {kept_id:?}, expected {request_id}"
            ));
        }
        let exit = Error::from(error).exit();
        if exit != wanted {
            let (got, wanted) = (exit.code(), wanted.code());
            failures.push(format!("{row}: exit {got}, expected {wanted}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An answer whose body is not an AWS error response, and what the tool must make of it.
struct Foreign {
    what: &'static str,
    call: Call,
    status: u16,
    content_type: Option<&'static str>,
    request_id: Option<&'static str>,
    body: &'static str,
    variant: &'static str,
    exit: Exit,
}

const PROXY_403: &str = "<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>Access to iam.amazonaws.com is blocked by policy.</p></body></html>";
const GATEWAY_502: &str =
    "<html><body><h1>502 Bad Gateway</h1>The proxy could not reach the upstream.</body></html>";

#[rustfmt::skip]
const FOREIGN: &[Foreign] = &[
    Foreign { what: "403, empty body", call: Identity, status: 403, content_type: None, request_id: None, body: "", variant: "AccessDenied", exit: Exit::Credentials },
    Foreign { what: "403, a proxy's HTML", call: Resync, status: 403, content_type: Some("text/html"), request_id: None, body: PROXY_403, variant: "AccessDenied", exit: Exit::Credentials },
    Foreign { what: "403, XML cut short inside the code", call: Devices, status: 403, content_type: Some("text/xml"), request_id: Some("9a1b-cut"), body: "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>Signat", variant: "AccessDenied", exit: Exit::Credentials },
    Foreign { what: "403, JSON from another service", call: Aliases, status: 403, content_type: Some("application/json"), request_id: None, body: "{\"message\":\"Forbidden\"}", variant: "AccessDenied", exit: Exit::Credentials },
    Foreign { what: "401, a proxy asking for its own login", call: Identity, status: 401, content_type: Some("text/html"), request_id: None, body: "<html><body>Proxy authentication required</body></html>", variant: "BadCredentials", exit: Exit::Credentials },
    Foreign { what: "401, empty body, on the resync", call: Resync, status: 401, content_type: None, request_id: None, body: "", variant: "BadCredentials", exit: Exit::Credentials },
    Foreign { what: "502, a gateway's HTML", call: Devices, status: 502, content_type: Some("text/html"), request_id: None, body: GATEWAY_502, variant: "Transient", exit: Exit::ServiceFailure },
    Foreign { what: "503, empty body from AWS's front end", call: Resync, status: 503, content_type: None, request_id: Some("5e03-empty"), body: "", variant: "Transient", exit: Exit::ServiceFailure },
    Foreign { what: "500, XML cut short", call: Identity, status: 500, content_type: Some("text/xml"), request_id: None, body: "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Ty", variant: "Transient", exit: Exit::ServiceFailure },
    Foreign { what: "429, a rate-limiting proxy", call: Devices, status: 429, content_type: Some("text/plain"), request_id: None, body: "Too Many Requests", variant: "Transient", exit: Exit::ServiceFailure },
    // A wrong --endpoint-url: a web server's "not found" page is not IAM's NoSuchEntity (exit 6).
    Foreign { what: "404, a web server's HTML", call: Resync, status: 404, content_type: Some("text/html"), request_id: None, body: "<html><body><h1>Not Found</h1></body></html>", variant: "Other", exit: Exit::ServiceFailure },
    Foreign { what: "400, HTML", call: Identity, status: 400, content_type: Some("text/html"), request_id: None, body: "<html><body>Bad Request</body></html>", variant: "Other", exit: Exit::ServiceFailure },
];

#[tokio::test]
async fn an_answer_that_is_not_an_aws_error_is_classified_by_its_status() {
    let mut failures = Vec::new();
    for case in FOREIGN {
        let response = answer(case.status, case.content_type, case.request_id, case.body);
        let (client, aws) = replay(vec![response], RetryConfig::disabled());
        let (error, kept_id) = fail(&aws, case.call).await;
        assert_eq!(client.actual_requests().count(), 1, "{}", case.what);
        let expected_code = format!("Http{}", case.status);
        let row = format!("{}: {} {}", case.what, variant(&error), error.code());
        if variant(&error) != case.variant || error.code() != expected_code {
            failures.push(format!("{row}; expected {} {expected_code}", case.variant));
        }
        if !error.not_from_aws() {
            failures.push(format!("{row}: not marked as an answer not from AWS"));
        }
        let text = error.to_string();
        if !text.contains(&format!("HTTP {}", case.status)) || text.contains("<html") {
            failures.push(format!("{row}: says \"{text}\""));
        }
        let wanted_id = case.request_id;
        if case.call == Call::Resync && kept_id.as_deref() != wanted_id {
            failures.push(format!(
                "{row}: request id {kept_id:?}, expected {wanted_id:?}"
            ));
        }
        let error = Error::from(error);
        let (exit, wanted) = (error.exit().code(), case.exit.code());
        if exit != wanted {
            failures.push(format!("{row}: exit {exit}, expected {wanted}"));
        }
        let hint = error.hint().unwrap_or_default();
        if case.variant != "Transient" && !hint.contains("--endpoint-url") {
            failures.push(format!("{row}: hint \"{hint}\""));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

pub(super) const RESYNC_OK: &str = "<ResyncMFADeviceResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  <ResponseMetadata>\n    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>\n  </ResponseMetadata>\n</ResyncMFADeviceResponse>\n";
pub(super) const CALLER_OK: &str = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <GetCallerIdentityResult>\n    <Arn>arn:aws:iam::123456789012:user/alice</Arn>\n    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>\n    <Account>123456789012</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n";

/// A 500 answer to `call`, which the SDK's standard retries try again.
fn failure(call: Call) -> HttpResponse {
    aws_error(call, 500, "ServiceFailure", "Internal failure.", "f00d-500")
}

/// The SDK's standard retries, as aws-config sets them for every other call, with a backoff short
/// enough for a test.
pub(super) fn standard_retries() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(std::time::Duration::from_millis(1))
}

#[tokio::test]
async fn the_sdk_never_sends_a_resync_pair_twice() {
    let failure = failure(Resync);
    let success = ok("7a62c49f-347e-4fc4-9331-6e8eEXAMPLE", RESYNC_OK);
    let (client, aws) = replay(vec![failure, success], standard_retries());
    let result = resync(&aws).await;
    assert_eq!(
        client.actual_requests().count(),
        1,
        "the pair went out once"
    );
    let refused = result.expect_err("the 500 is the answer, not a retry's 200");
    assert!(refused.error.is_transient(), "{:?}", refused.error);
    assert_eq!(refused.request_id.as_deref(), Some("f00d-500"));
}

#[tokio::test]
async fn the_same_answers_are_retried_by_the_sdk_for_other_calls() {
    // The control for the test above: with these retries and answers, GetCallerIdentity does try
    // again, so one request for the resync is the override's doing, not the client's.
    let failure = failure(Identity);
    let success = ok("01234567-89ab-cdef-0123-456789abcdef", CALLER_OK);
    let (client, aws) = replay(vec![failure, success], standard_retries());
    let caller = aws.caller().await.expect("the retry succeeds");
    assert_eq!(client.actual_requests().count(), 2);
    assert_eq!(caller.user_name.as_deref(), Some("alice"));
    assert_eq!(caller.account, "123456789012");
}

#[tokio::test]
async fn an_accepted_resync_keeps_its_request_id_and_sends_the_codes_once() {
    let success = ok("7a62c49f-347e-4fc4-9331-6e8eEXAMPLE", RESYNC_OK);
    let (client, aws) = replay(vec![success], standard_retries());
    let receipt = resync(&aws).await.expect("accepted");
    assert_eq!(
        receipt.request_id.as_deref(),
        Some("7a62c49f-347e-4fc4-9331-6e8eEXAMPLE")
    );
    let sent: Vec<_> = client.actual_requests().collect();
    assert_eq!(sent.len(), 1);
    let body = body_of(sent[0]);
    for field in [
        "Action=ResyncMFADevice",
        "UserName=alice",
        "AuthenticationCode1=123456",
        "AuthenticationCode2=654321",
    ] {
        assert!(body.contains(field), "{field} not in {body}");
    }
    assert!(
        sent[0].uri().starts_with("https://iam.amazonaws.com"),
        "{}",
        sent[0].uri()
    );
    assert!(aws.last_date().is_some(), "the Date of the answer is kept");
}

#[test]
fn user_names_come_from_user_arns_only() {
    let user = |arn| Caller::from_arn(arn, "1").user_name;
    let alice = user("arn:aws:iam::123456789012:user/alice");
    assert_eq!(alice.as_deref(), Some("alice"));
    let bob = user("arn:aws:iam::123456789012:user/division/team/bob");
    assert_eq!(bob.as_deref(), Some("bob"));
    assert_eq!(user("arn:aws:sts::123456789012:assumed-role/Admin/s"), None);
    assert_eq!(user("arn:aws:iam::123456789012:root"), None);
}

mod answers;
pub(crate) mod virtual_devices;
