//! What an answer must be before anything in it is believed. An endpoint is not trusted without
//! limits: whoever controls it, or a TLS-inspecting proxy on the way, chooses the `Date` the
//! windows are planned by, the body's size and what a success says. So every answer of the IAM
//! and STS clients is dated within [`MAX_SKEW`] of the host's clock (a `Date` years ahead would
//! have the tool compute codes for those years: future codes harvested from every key), is no
//! larger than [`MAX_ANSWER_BYTES`] (read no further), and, when its status says success, is the
//! operation's own answer (`<ResyncMFADeviceResponse>`, read by the SDK's own XML reader): a 2xx
//! carrying an error document or garbage is no success. Anything else is [`Untrusted`], which
//! [`super::error`] makes an [`super::AwsError::Untrusted`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_iam::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeDeserializationInterceptorContextMut,
};
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::date_time::{DateTime, Format};
use http_body_util::BodyExt;

/// How far an answer's `Date` may be from the host's clock. AWS refuses a request signed more than
/// 15 minutes from its own time (SigV4's `RequestTimeTooSkewed`), and its own clock is right; so
/// an endpoint further than that from the host is either a host whose clock needs setting or an
/// endpoint whose clock is not AWS's. Either way no code is read by it.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// The largest answer read: IAM's and STS's answers here are a few KiB (a page of 100 virtual
/// devices with their users is some 60 KiB).
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Why an answer was not believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untrusted {
    /// Its `Date` is further than [`MAX_SKEW`] from the host's clock.
    Skewed {
        /// The `Date` minus the host's time at its arrival, in seconds.
        seconds: i64,
    },
    /// Its body is larger than [`MAX_ANSWER_BYTES`].
    TooLarge,
    /// A success whose body is not the operation's answer.
    NotTheAnswer {
        /// Its HTTP status.
        status: u16,
        /// The document a success holds: `ResyncMFADeviceResponse`.
        expected: String,
    },
}

impl std::error::Error for Untrusted {}

/// The `Date` of an answer (whole seconds since the epoch), checked against the host's time
/// `received`; `None` when there is no readable `Date` (nothing to plan by, nothing refused).
pub(crate) fn dated(date: Option<&str>, received: Duration) -> Result<Option<u64>, Untrusted> {
    let Some(date) = date
        .and_then(|value| DateTime::from_str(value, Format::HttpDate).ok())
        .and_then(|date| u64::try_from(date.secs()).ok())
    else {
        return Ok(None);
    };
    let seconds = i64::try_from(date)
        .unwrap_or(i64::MAX)
        .saturating_sub(i64::try_from(received.as_secs()).unwrap_or(i64::MAX));
    if seconds.unsigned_abs() > MAX_SKEW.as_secs() {
        return Err(Untrusted::Skewed { seconds });
    }
    Ok(Some(date))
}

/// The host's time now, for [`dated`].
pub(crate) fn host_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Whether `body` is the whole document `<expected …>…</expected>`, by the SDK's XML reader.
fn is_the_answer(body: &[u8], expected: &str) -> bool {
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    let mut document = aws_smithy_xml::decode::Document::new(text);
    let root = document.root_element().is_ok_and(|root| {
        root.start_el().local() == expected && root.start_el().prefix().is_empty()
    });
    let closed = text
        .trim_end()
        .strip_suffix('>')
        .and_then(|t| t.strip_suffix(expected))
        .is_some_and(|t| t.trim_end().ends_with("</"));
    root && closed
}

/// The size cap and the shape of a success, on every answer of a client.
#[derive(Debug, Clone, Default)]
pub(crate) struct AnswerCheck;

impl Intercept for AnswerCheck {
    fn name(&self) -> &'static str {
        "mfa-resync::AnswerCheck"
    }

    /// A body announced larger than the cap is refused unread; any other is read through a cap.
    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        let announced = response
            .headers()
            .get("content-length")
            .and_then(|n| n.parse::<u64>().ok());
        if announced.is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
            return Err(Box::new(Untrusted::TooLarge));
        }
        let body = std::mem::replace(response.body_mut(), SdkBody::taken());
        let capped = http_body_util::Limited::new(body, MAX_ANSWER_BYTES).map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                Box::new(Untrusted::TooLarge) as BoxError
            } else {
                e
            }
        });
        *response.body_mut() = SdkBody::from_body_1_x(capped);
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let status = response.status().as_u16();
        // An answer that already failed (a body past the cap) keeps its own error.
        if !(200..300).contains(&status) || context.output_or_error().is_err() {
            return Ok(());
        }
        let expected = format!(
            "{}Response",
            cfg.load::<Metadata>()
                .map(Metadata::name)
                .unwrap_or_default()
        );
        if response
            .body()
            .bytes()
            .is_some_and(|body| is_the_answer(body, &expected))
        {
            Ok(())
        } else {
            Err(Box::new(Untrusted::NotTheAnswer { status, expected }))
        }
    }
}

/// The [`Untrusted`] behind an SDK error, if that is what it is.
pub(crate) fn untrusted(err: &(dyn std::error::Error + 'static)) -> Option<Untrusted> {
    std::iter::successors(Some(err), |e| e.source()).find_map(|e| e.downcast_ref().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_within_fifteen_minutes_is_believed_and_one_further_is_not() {
        let at = Duration::from_secs(1_700_000_000);
        let date = |secs: u64| {
            DateTime::from_secs(secs as i64)
                .fmt(Format::HttpDate)
                .unwrap()
        };
        assert_eq!(
            dated(Some(&date(1_700_000_000 + 899)), at),
            Ok(Some(1_700_000_899))
        );
        assert_eq!(
            dated(Some(&date(1_700_000_000 - 900)), at),
            Ok(Some(1_699_999_100))
        );
        assert_eq!(
            dated(Some(&date(1_700_000_000 + 10 * 365 * 86_400)), at),
            Err(Untrusted::Skewed {
                seconds: 10 * 365 * 86_400
            }),
            "ten years ahead"
        );
        assert_eq!(
            dated(Some(&date(1_700_000_000 - 901)), at),
            Err(Untrusted::Skewed { seconds: -901 })
        );
        assert_eq!(dated(None, at), Ok(None));
        assert_eq!(dated(Some("not a date"), at), Ok(None));
    }

    #[test]
    fn a_success_must_be_the_operation_s_whole_answer() {
        let ok = r#"<?xml version="1.0"?>
<ResyncMFADeviceResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</ResyncMFADeviceResponse>
"#;
        assert!(is_the_answer(ok.as_bytes(), "ResyncMFADeviceResponse"));
        for bad in [
            "",
            "garbage",
            "<html><body>Welcome to the proxy</body></html>",
            r#"<ErrorResponse><Error><Code>InvalidAuthenticationCode</Code></Error></ErrorResponse>"#,
            r#"<ResyncMFADeviceResponse xmlns="x"><ResponseMetadata>"#,
            r#"<GetUserResponse></GetUserResponse>"#,
            r#"<x:ResyncMFADeviceResponse></x:ResyncMFADeviceResponse>"#,
        ] {
            assert!(
                !is_the_answer(bad.as_bytes(), "ResyncMFADeviceResponse"),
                "{bad}"
            );
        }
        assert!(!is_the_answer(&[0xff, 0xfe], "ResyncMFADeviceResponse"));
    }
}
