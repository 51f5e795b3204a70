//! Reading devices: ListVirtualMFADevices (filters, users, pages), ListMFADevices, GetMFADevice.

use super::mfa::first;
use super::{SEED, alice, run};
use crate::iam_local::state::{DEMO_SERIAL, Principal, State};

fn admin() -> Principal {
    Principal::User("admin".into())
}

#[test]
fn list_virtual_devices_filters_pages_and_shows_users() {
    let mut state = State::demo(SEED)
        .with_user("bob")
        .with_device_for("bob", "bob-key", SEED)
        .with_hardware_device_for("bob", "GAHT12345678", SEED)
        .with_unassigned_device("spare", SEED);
    let list = |state: &mut State, p: &[(&str, &str)]| {
        run(state, alice(), "ListVirtualMFADevices", p).map(|o| o.result.unwrap())
    };
    let any = list(&mut state, &[]).unwrap();
    assert_eq!(any.matches("<SerialNumber>").count(), 3, "{any}");
    assert!(
        !any.contains("GAHT12345678"),
        "hardware tokens are not virtual"
    );
    assert!(any.contains(
        "<member><SerialNumber>arn:aws:iam::123456789012:mfa/alice</SerialNumber><User><Path>/</Path><UserName>alice</UserName><UserId>AIDACKCEVSQ6C2EXAMPLE</UserId><Arn>arn:aws:iam::123456789012:user/alice</Arn><CreateDate>"
    ), "{any}");
    assert!(
        any.contains(
            "<member><SerialNumber>arn:aws:iam::123456789012:mfa/spare</SerialNumber></member>"
        ),
        "{any}"
    );
    let assigned = list(&mut state, &[("AssignmentStatus", "Assigned")]).unwrap();
    assert_eq!(assigned.matches("<EnableDate>").count(), 2);
    assert!(!assigned.contains("spare"));
    let unassigned = list(&mut state, &[("AssignmentStatus", "Unassigned")]).unwrap();
    assert_eq!(
        first(&unassigned, "SerialNumber"),
        Some("arn:aws:iam::123456789012:mfa/spare")
    );
    assert!(!unassigned.contains("<User>"));

    let page1 = list(&mut state, &[("MaxItems", "2")]).unwrap();
    assert_eq!(page1.matches("<SerialNumber>").count(), 2);
    assert_eq!(first(&page1, "IsTruncated"), Some("true"));
    let marker = first(&page1, "Marker").unwrap().to_owned();
    let page2 = list(&mut state, &[("MaxItems", "2"), ("Marker", &marker)]).unwrap();
    assert_eq!(
        first(&page2, "SerialNumber"),
        Some("arn:aws:iam::123456789012:mfa/spare")
    );
    assert_eq!(first(&page2, "IsTruncated"), Some("false"));
    assert_eq!(first(&page2, "Marker"), None);

    let err = list(&mut state, &[("AssignmentStatus", "assigned")]).unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value 'assigned' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Assigned, Unassigned, Any]"
    );
    let err = list(&mut state, &[("Marker", "not-ours")]).unwrap_err();
    assert_eq!(err.message, "Invalid Marker.");
}

#[test]
fn list_mfa_devices_pages_too() {
    let mut state = State::demo(SEED).with_device_for("alice", "backup", SEED);
    let page = run(&mut state, alice(), "ListMFADevices", &[("MaxItems", "1")])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(page.matches("<member>").count(), 1);
    let marker = first(&page, "Marker").unwrap().to_owned();
    let rest = run(
        &mut state,
        alice(),
        "ListMFADevices",
        &[("Marker", &marker)],
    )
    .unwrap()
    .result
    .unwrap();
    assert_eq!(
        first(&rest, "SerialNumber"),
        Some("arn:aws:iam::123456789012:mfa/backup")
    );
}

#[test]
fn get_mfa_device_for_the_caller_or_a_named_user() {
    let mut state = State::demo(SEED);
    let xml = run(
        &mut state,
        alice(),
        "GetMFADevice",
        &[("SerialNumber", DEMO_SERIAL)],
    )
    .unwrap()
    .result
    .unwrap();
    assert_eq!(first(&xml, "UserName"), Some("alice"));
    assert_eq!(first(&xml, "SerialNumber"), Some(DEMO_SERIAL));
    assert!(first(&xml, "EnableDate").is_some());
    let err = run(
        &mut state,
        admin(),
        "GetMFADevice",
        &[("SerialNumber", DEMO_SERIAL)],
    )
    .unwrap_err();
    assert_eq!(
        err.code, "NoSuchEntity",
        "the device is alice's, not admin's"
    );
    let named = run(
        &mut state,
        admin(),
        "GetMFADevice",
        &[("SerialNumber", DEMO_SERIAL), ("UserName", "alice")],
    );
    assert!(named.is_ok());
}
