//! Answers that are not believed, through the real SDK calls below HTTP: a `Date` far from the
//! host's clock (ten years ahead, twenty minutes behind), a body far larger than any IAM answer
//! (announced, and streamed without a length), and a 2xx whose body is an error document or
//! garbage. Each is an [`AwsError::Untrusted`] (exit 7), never a success; a `ResyncMFADevice`
//! keeps its request id and is still sent once.

use aws_smithy_types::body::SdkBody;

use super::*;
use crate::aws::answer::{MAX_ANSWER_BYTES, Untrusted};

fn problem(error: &AwsError) -> &Untrusted {
    match error {
        AwsError::Untrusted { problem, .. } => problem,
        other => panic!("not an untrusted answer: {other:?}"),
    }
}

/// Clients whose one answer, to GetCallerIdentity, is dated `ahead` seconds from the host's clock.
fn dated(ahead: i64) -> Aws {
    let mut response = ok("r-1", CALLER_OK);
    response.headers_mut().insert("date", http_date(ahead));
    replay(vec![response], RetryConfig::disabled()).1
}

#[tokio::test]
async fn an_answer_dated_beyond_fifteen_minutes_is_refused_and_its_date_not_kept() {
    for (ahead, name) in [
        (10 * 365 * 86_400, "ten years ahead"),
        (-20 * 60, "20 minutes behind"),
    ] {
        let aws = dated(ahead);
        let (error, _) = fail(&aws, Identity).await;
        assert_eq!(
            problem(&error),
            &Untrusted::Skewed { seconds: ahead },
            "{name}"
        );
        assert_eq!(Error::from(error).exit(), Exit::ServiceFailure);
        assert_eq!(aws.last_date(), None, "{name}: nothing planned by it");
    }
    // Fourteen minutes off is a host clock to correct for, not a refusal.
    let aws = dated(14 * 60);
    aws.caller().await.expect("believed");
    assert!(aws.last_date().is_some());
}

#[tokio::test]
async fn the_message_says_how_far_and_what_to_do() {
    let aws = dated(3652 * 86_400 + 30);
    let error = Error::from(fail(&aws, Identity).await.0);
    assert_eq!(
        error.to_string(),
        "GetCallerIdentity: the endpoint's answer is dated 3652 days ahead of this host's clock, more than the 15 minutes AWS allows; nothing was read or sent by it"
    );
    assert!(error.hint().expect("a hint").contains("timedatectl"));
}

#[tokio::test]
async fn a_body_larger_than_the_cap_is_not_read() {
    // Announced by its Content-Length: refused unread.
    let big = "x".repeat(MAX_ANSWER_BYTES + 1);
    let mut announced = answer(200, Some("text/xml"), Some("r-1"), &big);
    announced
        .headers_mut()
        .insert("content-length", big.len().to_string());
    // Without a length: read through the cap, and refused at it.
    let mut streamed = HttpResponse::new(
        200.try_into().expect("a status"),
        SdkBody::from(vec![b'x'; MAX_ANSWER_BYTES + 4096]),
    );
    streamed.headers_mut().insert("date", http_date(0));
    for (response, how) in [(announced, "announced"), (streamed, "streamed")] {
        let (_client, aws) = replay(vec![response], RetryConfig::disabled());
        let (error, _) = fail(&aws, Devices).await;
        assert_eq!(problem(&error), &Untrusted::TooLarge, "{how}");
        assert!(
            error.to_string().contains("larger than 1024 KiB"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_2xx_whose_body_is_not_the_answer_is_no_success() {
    for (status, body) in [
        (
            200,
            "<ErrorResponse><Error><Code>ServiceFailure</Code></Error></ErrorResponse>",
        ),
        (200, "garbage"),
        (200, ""),
        (204, "<html>proxy</html>"),
        (
            200,
            "<GetCallerIdentityResponse></GetCallerIdentityResponse>",
        ),
    ] {
        let (client, aws) = replay(
            vec![answer(status, Some("text/xml"), Some("r-9"), body)],
            standard_retries(),
        );
        let (error, request_id) = fail(&aws, Resync).await;
        assert_eq!(
            problem(&error),
            &Untrusted::NotTheAnswer {
                status,
                expected: "ResyncMFADeviceResponse".into()
            },
            "{body:?}"
        );
        assert_eq!(
            client.actual_requests().count(),
            1,
            "the pair went out once"
        );
        assert_eq!(request_id.as_deref(), Some("r-9"), "kept for the audit log");
        let error = Error::Aws {
            source: error,
            attempts: 1,
            pairs: crate::error::PairsFrom::Chosen { no_wait: false },
        };
        assert_eq!(error.exit(), Exit::ServiceFailure);
        assert!(
            error.hint().expect("a hint").contains("list-mfa-devices"),
            "the pair may have been taken"
        );
    }
    // The same shape check lets the real answers through.
    let (_client, aws) = replay(vec![ok("r-1", RESYNC_OK)], RetryConfig::disabled());
    resync(&aws).await.expect("IAM's answer is a success");
}
