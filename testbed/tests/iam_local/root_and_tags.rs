//! Through the SDK: the root user's own virtual device (listed with the root's ARN and no user
//! name, deactivated by root naming no user), and the tags of CreateVirtualMFADevice.

use std::time::SystemTime;

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::{AssignmentStatusType, Tag};
use testbed::iam_local::{Config, DEMO_SERIAL, Server, State};

use crate::harness::{RawRequest, SEED, alice_iam, credentials, iam, start};

const ROOT_KEY: &str = "AKIAROOTEXAMPLE00001";
const ROOT_SECRET: &str = "root/secret+EXAMPLE";
const ROOT_SERIAL: &str = "arn:aws:iam::123456789012:mfa/root-account-mfa-device";

async fn root_world() -> Server {
    let state = State::demo(SEED)
        .with_root_device("root-account-mfa-device", SEED)
        .with_root_access_key(ROOT_KEY, ROOT_SECRET);
    start(Config::new(state)).await
}

#[tokio::test]
async fn list_virtual_devices_shows_the_roots_device_as_aws_does() {
    let server = root_world().await;
    let listed = alice_iam(&server)
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Assigned)
        .send()
        .await
        .unwrap();
    let root = listed
        .virtual_mfa_devices()
        .iter()
        .find(|d| d.serial_number() == ROOT_SERIAL)
        .expect("root's device is listed");
    let user = root.user().expect("an assigned device carries its user");
    assert_eq!(user.arn(), "arn:aws:iam::123456789012:root");
    assert_eq!(user.user_id(), "123456789012");
    assert!(user.create_date().secs() > 0);
    // No UserName, no Path on the wire: the SDK fills in empty required members.
    assert_eq!((user.user_name(), user.path()), ("", ""));
    assert!(root.enable_date().is_some());
    assert_eq!(listed.virtual_mfa_devices().len(), 2, "alice's and root's");
}

/// A raw IAM request signed with the root user's key; the answer's status and body.
async fn raw_as_root(server: &Server, body: &str) -> (u16, String) {
    let creds = credentials(ROOT_KEY, ROOT_SECRET, None);
    let response = RawRequest::form(body)
        .signed(server, "iam", &creds, SystemTime::now())
        .send(server)
        .await
        .expect("an answer");
    (response.status, response.body)
}

#[tokio::test]
async fn root_lists_and_deactivates_its_own_device_naming_no_user() {
    let server = root_world().await;
    let root = iam(&server, ROOT_KEY, ROOT_SECRET);
    let listed = root.list_mfa_devices().send().await.unwrap();
    let [device] = listed.mfa_devices() else {
        panic!("{listed:?}")
    };
    assert_eq!(device.serial_number(), ROOT_SERIAL);
    assert_eq!(device.user_name(), "", "no UserName for the root user");
    let (status, body) = raw_as_root(&server, "Action=ListMFADevices&Version=2010-05-08").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(ROOT_SERIAL) && !body.contains("<UserName>"),
        "{body}"
    );
    let (_, body) = raw_as_root(&server, "Action=ListVirtualMFADevices&Version=2010-05-08").await;
    let member = body
        .split("<member>")
        .find(|m| m.contains(ROOT_SERIAL))
        .unwrap();
    assert!(
        member.contains("<Arn>arn:aws:iam::123456789012:root</Arn>")
            && !member.contains("<UserName>")
            && !member.contains("<Path>"),
        "{member}"
    );

    // Named, alice's devices are alice's.
    let alices = root
        .list_mfa_devices()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(alices.mfa_devices()[0].user_name(), "alice");
    let err = root
        .deactivate_mfa_device()
        .serial_number(DEMO_SERIAL)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some("NoSuchEntity"),
        "alice's device is not root's"
    );
    root.deactivate_mfa_device()
        .serial_number(ROOT_SERIAL)
        .send()
        .await
        .unwrap();
    let state = server.state();
    assert!(state.root_devices().is_empty());
    assert_eq!(state.unassigned_devices()[0].serial, ROOT_SERIAL);
    assert_eq!(state.serials_of("alice"), [DEMO_SERIAL]);
    assert!(
        root.list_mfa_devices()
            .send()
            .await
            .unwrap()
            .mfa_devices()
            .is_empty()
    );
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

#[tokio::test]
async fn create_keeps_tags_and_refuses_them_as_iam_does() {
    let server = start(Config::new(State::demo(SEED))).await;
    let alice = alice_iam(&server);
    let create = |name: &'static str, tags: Vec<Tag>| {
        alice
            .create_virtual_mfa_device()
            .virtual_mfa_device_name(name)
            .set_tags(Some(tags))
            .send()
    };
    let many: Vec<Tag> = (0..51).map(|i| tag(&format!("key{i}"), "v")).collect();
    let err = create("k", many.clone()).await.unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (
            Some("ValidationError"),
            Some(
                "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
            )
        )
    );
    let err = create("k", vec![tag("Team", "a"), tag("team", "b")])
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (
            Some("InvalidInput"),
            Some("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        )
    );
    let err = create("k", vec![tag(&"k".repeat(129), "v")])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert!(
        err.message().unwrap().contains("'tags.1.member.key'"),
        "{err:?}"
    );
    let err = create("k", vec![tag("k", &"v".repeat(257))])
        .await
        .unwrap_err();
    assert!(
        err.message().unwrap().contains("'tags.1.member.value'"),
        "{err:?}"
    );
    assert_eq!(server.state().devices.len(), 1, "nothing was created");

    let created = create("k", many[..50].to_vec()).await.unwrap();
    let serial = created
        .virtual_mfa_device()
        .unwrap()
        .serial_number()
        .to_owned();
    let state = server.state();
    let kept: Vec<(&str, &str)> = state
        .tags_of(&serial)
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    let sent: Vec<(&str, &str)> = many[..50].iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(kept, sent);
    // Listing does not show tags (AWS's list actions leave them out).
    let listed = alice
        .list_virtual_mfa_devices()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|d| d.tags().is_empty()));
    let err = create("k", vec![]).await.unwrap_err();
    assert_eq!(
        err.message(),
        Some("MFADevice entity at the same path and name already exists.")
    );
}
