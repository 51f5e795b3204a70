//! The endpoint at the byte level: requests signed by the independent `aws-sigv4` signer, headers and
//! XML as AWS sends them, and failures no SDK would provoke.

use std::time::{Duration, SystemTime};

use testbed::iam_local::{TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, clock};

use crate::harness::{RawRequest, credentials, demo_config, start};

fn alice() -> aws_credential_types::Credentials {
    credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, None)
}

#[tokio::test]
async fn post_signed_by_aws_sigv4_is_accepted_with_aws_headers() {
    let server = start(demo_config()).await;
    server.set_clock_offset(-120);
    let now = SystemTime::now() - Duration::from_secs(120);
    let resp = RawRequest::form("Action=GetCallerIdentity&Version=2011-06-15")
        .signed(&server, "sts", &alice(), now)
        .send(&server)
        .await
        .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.header("content-type"), Some("text/xml"));
    let request_id = resp.header("x-amzn-requestid").unwrap();
    assert_eq!(request_id, server.log()[0].request_id);
    // Exactly one Date (hyper must not add its own), and it is server time: two minutes behind here.
    assert_eq!(
        resp.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("date"))
            .count(),
        1
    );
    let date = clock::parse_http_date(resp.header("date").unwrap()).unwrap();
    assert!((date - (clock::host_now() - 120)).abs() <= 2, "{date}");
    assert!(resp.body.contains(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/alice</Arn>"
    ), "{}", resp.body);
    assert!(resp.body.contains(&format!(
        "<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
    )));
}

#[tokio::test]
async fn get_with_query_string_is_accepted() {
    let server = start(demo_config()).await;
    let resp = RawRequest {
        method: "GET",
        path_and_query: "/?Action=ListMFADevices&Version=2010-05-08&UserName=alice",
        headers: Vec::new(),
        body: "",
    }
    .signed(&server, "iam", &alice(), SystemTime::now())
    .send(&server)
    .await
    .unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(
        resp.body.contains(
            "<ListMFADevicesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
        )
    );
    assert!(resp.body.contains("<IsTruncated>false</IsTruncated>"));
}

#[tokio::test]
async fn tampered_body_and_wrong_secret_are_refused() {
    let server = start(demo_config()).await;
    let mut req = RawRequest::form("Action=GetUser&Version=2010-05-08").signed(
        &server,
        "iam",
        &alice(),
        SystemTime::now(),
    );
    req.body = "Action=GetUser&Version=2010-05-08&UserName=admin";
    // aws-sigv4 sends no x-amz-content-sha256 by default: the server hashes the body it received.
    let resp = req.send(&server).await.unwrap();
    assert_eq!(resp.status, 403, "{}", resp.body);
    assert!(resp.body.contains("<Code>SignatureDoesNotMatch</Code>"));
    assert!(resp.body.contains("<Type>Sender</Type>"));

    let wrong = credentials(TEST_ACCESS_KEY_ID, "wrong", None);
    let resp = RawRequest::form("Action=GetUser&Version=2010-05-08")
        .signed(&server, "iam", &wrong, SystemTime::now())
        .send(&server)
        .await
        .unwrap();
    assert_eq!(resp.status, 403);
    assert!(resp.body.contains("<Code>SignatureDoesNotMatch</Code>"));
}

#[tokio::test]
async fn unsigned_requests_and_unknown_actions() {
    let server = start(demo_config()).await;
    let resp = RawRequest::form("Action=GetCallerIdentity&Version=2011-06-15")
        .send(&server)
        .await
        .unwrap();
    assert_eq!(resp.status, 403);
    assert!(
        resp.body
            .contains("<Code>MissingAuthenticationToken</Code>"),
        "{}",
        resp.body
    );
    assert!(
        resp.body
            .contains("xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"")
    );
    assert_eq!(server.log()[0].service, "");

    let resp = RawRequest::form("Action=DeleteUser&Version=2010-05-08&UserName=alice")
        .signed(&server, "iam", &alice(), SystemTime::now())
        .send(&server)
        .await
        .unwrap();
    assert_eq!(resp.status, 400);
    assert!(
        resp.body.contains("<Code>InvalidAction</Code>"),
        "{}",
        resp.body
    );
    // An STS action signed for IAM does not exist there.
    let resp = RawRequest::form("Action=GetCallerIdentity&Version=2010-05-08")
        .signed(&server, "iam", &alice(), SystemTime::now())
        .send(&server)
        .await
        .unwrap();
    assert!(
        resp.body.contains("<Code>InvalidAction</Code>"),
        "{}",
        resp.body
    );
}

#[tokio::test]
async fn request_time_too_far_from_server_time() {
    let server = start(demo_config()).await;
    let resp = RawRequest::form("Action=GetUser&Version=2010-05-08")
        .signed(
            &server,
            "iam",
            &alice(),
            SystemTime::now() - Duration::from_secs(16 * 60),
        )
        .send(&server)
        .await
        .unwrap();
    assert_eq!(resp.status, 403);
    assert!(
        resp.body.contains("<Message>Signature expired: "),
        "{}",
        resp.body
    );
}

#[tokio::test]
async fn drop_fault_closes_without_a_response() {
    let mut config = demo_config();
    config.faults = vec![
        "drop".parse().unwrap(),
        "500-always@GetUser".parse().unwrap(),
    ];
    let server = start(config).await;
    let req = RawRequest::form("Action=GetUser&Version=2010-05-08").signed(
        &server,
        "iam",
        &alice(),
        SystemTime::now(),
    );
    assert!(
        req.send(&server).await.is_none(),
        "the drop fault answers nothing"
    );
    let resp = req.send(&server).await.unwrap();
    assert_eq!(resp.status, 500);
    assert!(
        resp.body.contains(
            "<Type>Receiver</Type><Code>ServiceFailure</Code><Message>Service failure</Message>"
        ),
        "{}",
        resp.body
    );
    let log = server.log();
    assert_eq!(
        (log[0].status, log[0].fault.as_deref()),
        (0, Some("drop-once"))
    );
    assert_eq!(log[1].error_code.as_deref(), Some("ServiceFailure"));
}
