//! The enrolment calls below HTTP, through the real SDK and canned IAM answers: the Create's seed
//! and serial taken out of the answer (the QR code dropped), Create and Enable sent exactly once
//! whatever the answer, and their errors classified with the action they came from.

use aws_smithy_types::retry::RetryConfig;
use secrecy::ExposeSecret;

use super::tests::{Call, aws_error, body_of, ok, replay};
use super::*;
use crate::error::Error;
use crate::exit::Exit;
use crate::model::Origin;

const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// CreateVirtualMFADevice's answer: both blobs base64, as Query-protocol XML carries them.
fn created(serial: &str, seed: &str) -> aws_smithy_runtime_api::client::orchestrator::HttpResponse {
    use aws_smithy_types::base64::encode;
    let body = format!(
        "<CreateVirtualMFADeviceResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateVirtualMFADeviceResult><VirtualMFADevice><SerialNumber>{serial}</SerialNumber><Base32StringSeed>{}</Base32StringSeed><QRCodePNG>{}</QRCodePNG></VirtualMFADevice></CreateVirtualMFADeviceResult><ResponseMetadata><RequestId>c0ffee</RequestId></ResponseMetadata></CreateVirtualMFADeviceResponse>",
        encode(seed.as_bytes()),
        encode(b"\x89PNG not really"),
    );
    ok("c0ffee", &body)
}

#[tokio::test]
async fn the_create_hands_over_the_serial_and_the_seed_only() {
    let serial = "arn:aws:iam::123456789012:mfa/bob";
    let (client, aws) = replay(vec![created(serial, SEED)], RetryConfig::standard());
    let device = aws
        .create_virtual_device("bob", "/")
        .await
        .expect("created");
    assert_eq!(device.serial, serial);
    assert_eq!(device.seed.expose_secret(), SEED.as_bytes());
    assert_eq!(device.request_id.as_deref(), Some("c0ffee"));
    let debug = format!("{device:?}");
    assert!(
        !debug.contains("JBSW"),
        "Debug never shows the seed: {debug}"
    );
    let sent: Vec<_> = client.actual_requests().collect();
    let body = body_of(sent[0]);
    assert!(body.contains("Action=CreateVirtualMFADevice"), "{body}");
    assert!(
        body.contains("VirtualMFADeviceName=bob") && body.contains("Path=%2F"),
        "{body}"
    );
}

#[tokio::test]
async fn create_and_enable_are_sent_once_whatever_the_answer() {
    let failure = || aws_error(Call::Resync, 500, "ServiceFailure", "failure", "rid-500");
    let (client, aws) = replay(
        vec![failure(), failure(), failure()],
        RetryConfig::standard(),
    );
    let refused = aws
        .create_virtual_device("bob", "/")
        .await
        .expect_err("fails");
    assert!(refused.error.is_transient());
    assert_eq!(
        client.actual_requests().count(),
        1,
        "the SDK did not retry the Create"
    );

    let (client, aws) = replay(
        vec![failure(), failure(), failure()],
        RetryConfig::standard(),
    );
    let user = UserName::parse("bob", Origin::Flag).unwrap();
    let serial = SerialNumber::parse("arn:aws:iam::123456789012:mfa/bob", Origin::Flag).unwrap();
    let refused = aws
        .enable(&user, &serial, "123456", "654321")
        .await
        .expect_err("fails");
    assert_eq!(refused.request_id.as_deref(), Some("rid-500"));
    assert_eq!(
        client.actual_requests().count(),
        1,
        "the SDK did not retry the Enable"
    );
}

#[tokio::test]
async fn enrolment_errors_name_their_action_and_exit_as_documented() {
    let serial = "arn:aws:iam::123456789012:mfa/bob";
    let user = UserName::parse("bob", Origin::Flag).unwrap();
    let parsed = SerialNumber::parse(serial, Origin::Flag).unwrap();
    #[rustfmt::skip]
    let cases = [
        ("create", 409, "EntityAlreadyExists", Exit::Input, "choose another --device-name"),
        ("create", 403, "AccessDenied", Exit::Credentials, "drop --device-name and --path"),
        ("enable", 403, "InvalidAuthenticationCode", Exit::CodesRefused, ""),
        ("enable", 403, "AccessDenied", Exit::Credentials, "iam:EnableMFADevice"),
        ("deactivate", 403, "AccessDenied", Exit::Credentials, "session signed in with MFA"),
        ("delete", 409, "DeleteConflict", Exit::ServiceFailure, ""),
        ("delete", 404, "NoSuchEntity", Exit::NoSuchEntity, ""),
    ];
    for (call, status, code, exit, hint) in cases {
        let (_, aws) = replay(
            vec![aws_error(Call::Resync, status, code, "message", "rid")],
            RetryConfig::disabled(),
        );
        let refused = match call {
            "create" => aws.create_virtual_device("bob", "/").await.map(|_| ()),
            "enable" => aws
                .enable(&user, &parsed, "123456", "654321")
                .await
                .map(|_| ()),
            "deactivate" => aws.deactivate(&user, serial).await.map(|_| ()),
            _ => aws.delete_virtual_device(serial).await.map(|_| ()),
        }
        .expect_err("fails");
        assert_eq!(refused.error.code(), code, "{call}");
        if let AwsError::InvalidCodes { serial: named, .. } = &refused.error {
            assert_eq!(named, serial);
        }
        let error = Error::from(refused.error);
        assert_eq!(error.exit(), exit, "{call} {code}");
        let said = error.hint().unwrap_or_default();
        assert!(said.contains(hint), "{call} {code}: {said}");
    }
}
