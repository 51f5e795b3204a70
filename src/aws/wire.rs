//! What `--debug` shows of each request and answer, as the AWS CLI's `--debug` does: the method,
//! the URL, the status and the headers. Never a body (a resync's body holds the two codes) and never
//! a credential header. It also keeps the URL of the last request tried, so that a request that
//! never reached an endpoint can name the one it tried (a region typo shows at once).

use std::sync::{Arc, Mutex};

use aws_sdk_iam::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::BoxError;

/// Headers whose values are credentials: named, never shown.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-security-token",
    "cookie",
    "set-cookie",
];

/// The wire log, and the last URL a request went to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wire {
    last_url: Arc<Mutex<Option<String>>>,
}

impl Wire {
    /// The URL of the last request sent (or tried).
    pub(crate) fn last_url(&self) -> Option<String> {
        self.last_url.lock().ok().and_then(|url| url.clone())
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
        let response = context.response();
        tracing::debug!(
            target: "mfa_resync::wire",
            "response: {}; headers: {}; body: not shown",
            response.status().as_u16(),
            headers(response.headers().iter()),
        );
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
