//! `iam:ListVirtualMFADevices` as IAM answers it: each assigned device with its `User`, an
//! unassigned one without, over two pages (IAM API reference, ListVirtualMFADevices: `IsTruncated`
//! and `Marker`).

use super::*;

fn page(members: &[(&str, Option<&str>)], marker: Option<&str>) -> HttpResponse {
    let members: String = members
        .iter()
        .map(|(serial, user)| {
            let user = user.map_or(String::new(), |name| match name {
                // The root user, as AWS lists it: its ARN, the account as its id, no name or path.
                "root" => "<User><UserId>123456789012</UserId><Arn>arn:aws:iam::123456789012:root</Arn><CreateDate>2020-01-01T00:00:00Z</CreateDate></User><EnableDate>2025-01-02T00:00:00Z</EnableDate>".to_string(),
                name => format!(
                    "<User><Path>/</Path><UserName>{name}</UserName><UserId>AIDA{}</UserId><Arn>arn:aws:iam::123456789012:user/{name}</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate></User><EnableDate>2025-01-02T00:00:00Z</EnableDate>",
                    name.len()
                ),
            });
            format!("<member><SerialNumber>{serial}</SerialNumber>{user}</member>")
        })
        .collect();
    let tail = match marker {
        Some(marker) => format!("<IsTruncated>true</IsTruncated><Marker>{marker}</Marker>"),
        None => "<IsTruncated>false</IsTruncated>".to_string(),
    };
    let body = format!(
        "<ListVirtualMFADevicesResponse xmlns=\"{IAM_NS}\"><ListVirtualMFADevicesResult><VirtualMFADevices>{members}</VirtualMFADevices>{tail}</ListVirtualMFADevicesResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></ListVirtualMFADevicesResponse>"
    );
    ok("r-1", &body)
}

/// The device `mfa/{name}` of account 123456789012 as the tool lists it, assigned to `user`
/// ("root" for the root user) or to no one (also the station's device mapping tests').
pub(crate) fn device(name: &str, user: Option<&str>) -> VirtualDevice {
    VirtualDevice {
        serial: format!("arn:aws:iam::123456789012:mfa/{name}"),
        user: user.map(|u| match u {
            "root" => Assignee::Root,
            u => Assignee::User(u.to_string()),
        }),
    }
}

#[tokio::test]
async fn every_page_is_read_and_each_assigned_device_keeps_its_user() {
    let (client, aws) = replay(
        vec![
            // A page shorter than MaxItems can still be truncated, and a marker holds characters
            // that must be escaped in the form body.
            page(
                &[
                    (SERIAL, Some("alice")),
                    ("arn:aws:iam::123456789012:mfa/spare", None),
                ],
                Some("a+b/c=="),
            ),
            page(
                &[
                    ("arn:aws:iam::123456789012:mfa/desk/bob-key", Some("bob")),
                    (
                        "arn:aws:iam::123456789012:mfa/root-account-mfa",
                        Some("root"),
                    ),
                ],
                None,
            ),
        ],
        RetryConfig::disabled(),
    );
    let devices = aws.virtual_devices(Listing::All).await.expect("listed");
    assert_eq!(
        devices,
        vec![
            device("alice", Some("alice")),
            device("spare", None),
            device("desk/bob-key", Some("bob")),
            device("root-account-mfa", Some("root")),
        ]
    );
    let requests = client.actual_requests().collect::<Vec<_>>();
    assert_eq!(requests.len(), 2);
    let second = body_of(requests[1]);
    assert!(second.contains("Marker=a%2Bb%2Fc%3D%3D"), "{second}");
    assert!(second.contains("AssignmentStatus=Any"), "{second}");
}

#[tokio::test]
async fn a_denied_listing_is_a_permission_error() {
    let (_client, aws) = replay(
        vec![aws_error(
            Resync,
            403,
            "AccessDenied",
            "not authorized to perform: iam:ListVirtualMFADevices",
            "r-2",
        )],
        RetryConfig::disabled(),
    );
    let error = aws.virtual_devices(Listing::All).await.expect_err("denied");
    assert!(matches!(error, AwsError::AccessDenied { .. }), "{error:?}");
    assert_eq!(Error::from(error).exit(), Exit::Credentials);
}
