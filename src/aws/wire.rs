//! What `--debug` shows of each request and answer, as the AWS CLI's `--debug` does: the method,
//! the URL, the status and the headers. Never a body (a resync's body holds the two codes) and never
//! a credential header. It also keeps the URL of the last request tried, so that a request that
//! never reached an endpoint can name the one it tried (a region typo shows at once), and the
//! `Date` of the last answer, so that the caller can measure how far the host clock is from AWS's
//! before choosing windows (a host-clock source off by a window would teach AWS a false drift).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_iam::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::BoxError;

use super::answer::{dated, host_now};

/// Headers whose values are credentials: named, never shown.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-security-token",
    "cookie",
    "set-cookie",
];

/// The wire log, the last URL a request went to, and the `Date` (whole seconds) of the last answer
/// with the host time it arrived.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wire {
    last_url: Arc<Mutex<Option<String>>>,
    last_date: Arc<Mutex<Option<(u64, Duration)>>>,
}

impl Wire {
    /// The URL of the last request sent (or tried).
    pub(crate) fn last_url(&self) -> Option<String> {
        self.last_url.lock().ok().and_then(|url| url.clone())
    }

    /// The `Date` of the last answer, and the host time it arrived.
    pub(crate) fn last_date(&self) -> Option<(u64, Duration)> {
        self.last_date.lock().ok().and_then(|last| *last)
    }
}

fn headers<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .map(|(name, value)| {
            if SECRET_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                format!("{name}: (hidden)")
            } else {
                format!("{name}: {value}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Intercept for Wire {
    fn name(&self) -> &'static str {
        "mfa-resync::Wire"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let url = request.uri().to_string();
        if let Ok(mut last) = self.last_url.lock() {
            *last = Some(url.clone());
        }
        tracing::debug!(
            target: "mfa_resync::wire",
            "request: {} {url}; headers: {}; body: {} bytes (not shown)",
            request.method(),
            headers(request.headers().iter()),
            request.body().content_length().unwrap_or(0),
        );
        Ok(())
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = host_now();
        let response = context.response();
        tracing::debug!(
            target: "mfa_resync::wire",
            "response: {}; headers: {}; body: not shown",
            response.status().as_u16(),
            headers(response.headers().iter()),
        );
        // Kept only when within [`super::answer::MAX_SKEW`] of the host's clock; the answer is
        // refused otherwise: nothing is planned by an endpoint's clock that AWS's could not be.
        let date = response.headers().get("date");
        if let (Some(date), Ok(mut last)) = (dated(date, received)?, self.last_date.lock()) {
            *last = Some((date, received));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_are_named_not_shown() {
        let shown = headers(
            [
                (
                    "Authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIA…, Signature=abc",
                ),
                ("X-Amz-Security-Token", "token"),
                ("x-amz-date", "20261130T000000Z"),
            ]
            .into_iter(),
        );
        assert_eq!(
            shown,
            "Authorization: (hidden); X-Amz-Security-Token: (hidden); x-amz-date: 20261130T000000Z"
        );
    }
}
