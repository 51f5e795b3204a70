//! The root user's own virtual device: listed with the root's ARN and no user name, deactivated by
//! root naming no user, and left alone by everyone else.

use super::mfa::first;
use super::{FULL_PAGES, SEED, alice, run, run_with};
use crate::iam_local::state::{DEMO_SERIAL, Principal, ROOT_OWNER, State};

const ROOT_SERIAL: &str = "arn:aws:iam::123456789012:mfa/root-account-mfa-device";

fn world() -> State {
    State::demo(SEED).with_root_device("root-account-mfa-device", SEED)
}

#[test]
fn list_virtual_devices_shows_roots_device_with_its_arn_and_no_user_name() {
    let mut state = world();
    let xml = run_with(
        &mut state,
        alice(),
        "ListVirtualMFADevices",
        &[("AssignmentStatus", "Assigned")],
        FULL_PAGES,
    )
    .unwrap()
    .result
    .unwrap();
    let member = xml
        .split("<member>")
        .find(|m| m.contains(ROOT_SERIAL))
        .unwrap();
    assert!(
        member.contains(
            "<User><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><CreateDate>"
        ),
        "{member}"
    );
    assert!(
        !member.contains("<UserName>") && !member.contains("<Path>"),
        "{member}"
    );
    assert!(first(member, "EnableDate").is_some(), "{member}");
    let unassigned = run(
        &mut state,
        alice(),
        "ListVirtualMFADevices",
        &[("AssignmentStatus", "Unassigned")],
    )
    .unwrap()
    .result
    .unwrap();
    assert!(!unassigned.contains(ROOT_SERIAL));
}

#[test]
fn root_lists_and_deactivates_its_own_device_naming_no_user() {
    let mut state = world();
    let xml = run(&mut state, Principal::Root, "ListMFADevices", &[])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(xml.matches("<member>").count(), 1, "{xml}");
    assert_eq!(first(&xml, "SerialNumber"), Some(ROOT_SERIAL));
    assert!(!xml.contains("<UserName>"), "{xml}");
    assert!(first(&xml, "EnableDate").is_some());
    // Naming a user, root lists that user's devices, as before.
    let alices = run(
        &mut state,
        Principal::Root,
        "ListMFADevices",
        &[("UserName", "alice")],
    )
    .unwrap()
    .result
    .unwrap();
    assert_eq!(first(&alices, "SerialNumber"), Some(DEMO_SERIAL));
    assert_eq!(first(&alices, "UserName"), Some("alice"));
    // Not alice's, not through alice's name.
    let err = run(
        &mut state,
        Principal::Root,
        "DeactivateMFADevice",
        &[("UserName", "alice"), ("SerialNumber", ROOT_SERIAL)],
    )
    .unwrap_err();
    assert_eq!((err.status, err.code), (404, "NoSuchEntity"));
    let err = run(
        &mut state,
        Principal::Root,
        "DeactivateMFADevice",
        &[("SerialNumber", DEMO_SERIAL)],
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "MFA Device with serial number arn:aws:iam::123456789012:mfa/alice not found for user arn:aws:iam::123456789012:root."
    );
    let out = run(
        &mut state,
        Principal::Root,
        "DeactivateMFADevice",
        &[("SerialNumber", ROOT_SERIAL)],
    )
    .unwrap();
    assert!(out.changed);
    assert!(state.root_devices().is_empty());
    assert_eq!(state.unassigned_devices()[0].serial, ROOT_SERIAL);
    assert_eq!(
        state.serials_of("alice"),
        [DEMO_SERIAL],
        "alice's untouched"
    );
}

#[test]
fn nobody_else_can_take_or_delete_roots_device() {
    let mut state = world().with_user("bob");
    let admin = Principal::User("admin".into());
    let err = run(
        &mut state,
        admin.clone(),
        "DeleteVirtualMFADevice",
        &[("SerialNumber", ROOT_SERIAL)],
    )
    .unwrap_err();
    assert_eq!(err.code, "DeleteConflict");
    let err = run(
        &mut state,
        admin.clone(),
        "EnableMFADevice",
        &[
            ("UserName", "bob"),
            ("SerialNumber", ROOT_SERIAL),
            ("AuthenticationCode1", "123456"),
            ("AuthenticationCode2", "654321"),
        ],
    )
    .unwrap_err();
    assert_eq!(err.message, "MFA Device is already in use.");
    let err = run(
        &mut state,
        alice(),
        "ListMFADevices",
        &[("UserName", ROOT_OWNER)],
    )
    .unwrap_err();
    assert_eq!(err.code, "ValidationError", "the marker is no user name");
    let err = run(
        &mut state,
        Principal::Root,
        "GetUser",
        &[("UserName", "carol")],
    )
    .unwrap_err();
    assert_eq!(err.code, "NoSuchEntity");
    let me = run(&mut state, Principal::Root, "GetUser", &[])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(
        me,
        "<User><Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><CreateDate>2024-01-01T00:00:00Z</CreateDate></User>"
    );
    // Roles still must name a user.
    let role = Principal::AssumedRole {
        role: "ops".into(),
        session: "s".into(),
    };
    let err = run(&mut state, role, "ListMFADevices", &[]).unwrap_err();
    assert_eq!(
        err.message,
        "Must specify userName when calling with non-User credentials"
    );
}

#[test]
fn a_root_device_survives_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let state = world();
    state.save(&path).unwrap();
    let loaded = State::load(&path).unwrap();
    assert_eq!(loaded, state);
    assert_eq!(loaded.root_devices()[0].serial, ROOT_SERIAL);
}
