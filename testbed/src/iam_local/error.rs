//! The one error a request can end in, as the client will see it on the wire.
//!
//! Owns the AWS error vocabulary of this endpoint: HTTP status, error code, message and the
//! Sender/Receiver type, with constructors worded as IAM and STS word them. Every failure below the
//! HTTP layer (a bad signature, a refused code, a missing parameter) becomes an [`ApiError`]; the
//! server only renders it.

use super::sigv4::SigV4Error;

/// A failed request: what goes into `<ErrorResponse>` and the HTTP status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// AWS error code (`NoSuchEntity`, `InvalidAuthenticationCode`, …).
    pub code: &'static str,
    /// Human message.
    pub message: String,
}

impl ApiError {
    /// An error with explicit parts.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// `Receiver` for server-side failures (5xx), `Sender` for the caller's.
    pub fn error_type(&self) -> &'static str {
        if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }

    /// 404 NoSuchEntity.
    pub fn no_such_entity(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "NoSuchEntity", message)
    }

    /// NoSuchEntity for a user name, in IAM's wording.
    pub fn no_such_user(name: &str) -> ApiError {
        ApiError::no_such_entity(format!("The user with name {name} cannot be found."))
    }

    /// NoSuchEntity for a device serial, in IAM's wording (recorded from AWS for
    /// DeleteVirtualMFADevice and DeactivateMFADevice).
    pub fn no_such_device(serial: &str) -> ApiError {
        ApiError::no_such_entity(format!(
            "MFA Device with serial number {serial} does not exist."
        ))
    }

    /// 409 DeleteConflict: the entity still has something attached.
    pub fn delete_conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "DeleteConflict", message)
    }

    /// 400 InvalidInput: a value that passes the model's constraints but not IAM's own checks.
    pub fn invalid_input(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "InvalidInput", message)
    }

    /// 409 EntityAlreadyExists.
    pub fn entity_already_exists(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "EntityAlreadyExists", message)
    }

    /// 400 ValidationError.
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "ValidationError", message)
    }

    /// 403 AccessDenied for `caller_arn` doing `service:action` on `resource`.
    pub fn access_denied(
        caller_arn: &str,
        service: &str,
        action: &str,
        resource: &str,
    ) -> ApiError {
        ApiError::new(
            403,
            "AccessDenied",
            format!(
                "User: {caller_arn} is not authorized to perform: {service}:{action} on resource: {resource}"
            ),
        )
    }

    /// 403 AccessDenied caused by an explicit deny, worded as IAM words those
    /// ("… with an explicit deny in an identity-based policy").
    pub fn explicitly_denied(
        caller_arn: &str,
        service: &str,
        action: &str,
        resource: &str,
    ) -> ApiError {
        let mut err = ApiError::access_denied(caller_arn, service, action, resource);
        err.message
            .push_str(" with an explicit deny in an identity-based policy");
        err
    }

    /// 403 InvalidAuthenticationCode.
    pub fn invalid_authentication_code() -> ApiError {
        ApiError::new(
            403,
            "InvalidAuthenticationCode",
            "Authentication code for device is not valid.",
        )
    }

    /// 400 InvalidAction for an action this endpoint does not have.
    pub fn invalid_action(action: &str, version: &str) -> ApiError {
        ApiError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {action} for version {version}"),
        )
    }

    /// 400 MissingAction: no `Action` parameter at all.
    pub fn missing_action() -> ApiError {
        ApiError::new(400, "MissingAction", "Missing Action")
    }

    /// 403 InvalidClientTokenId: an unknown key, or a session token that does not match.
    pub fn invalid_client_token_id() -> ApiError {
        ApiError::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    /// 403 ExpiredToken.
    pub fn expired_token() -> ApiError {
        ApiError::new(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    }

    /// 500 ServiceFailure.
    pub fn service_failure() -> ApiError {
        ApiError::new(500, "ServiceFailure", "Service failure")
    }

    /// 400 Throttling.
    pub fn throttling() -> ApiError {
        ApiError::new(400, "Throttling", "Rate exceeded")
    }

    /// 409 LimitExceeded.
    pub fn limit_exceeded(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "LimitExceeded", message)
    }
}

impl From<SigV4Error> for ApiError {
    fn from(err: SigV4Error) -> ApiError {
        let message = err.to_string();
        match err {
            SigV4Error::Missing => ApiError::new(403, "MissingAuthenticationToken", message),
            SigV4Error::Incomplete(_) => ApiError::new(400, "IncompleteSignature", message),
            SigV4Error::Expired { .. }
            | SigV4Error::NotYetCurrent { .. }
            | SigV4Error::ScopeDate { .. }
            | SigV4Error::Mismatch => ApiError::new(403, "SignatureDoesNotMatch", message),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}
