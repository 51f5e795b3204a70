//! Reading devices: ListVirtualMFADevices (filters, users, pages), ListMFADevices, GetMFADevice.

use super::mfa::first;
use super::{FULL_PAGES, SEED, alice, run, run_with};
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
    // Full pages here: this test is about what the list holds (paging has `paging`'s tests).
    let list = |state: &mut State, p: &[(&str, &str)]| {
        run_with(state, alice(), "ListVirtualMFADevices", p, FULL_PAGES).map(|o| o.result.unwrap())
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
fn get_mfa_device_refuses_totp_serials_and_looks_up_fido_arns() {
    let fido =
        "arn:aws:iam::123456789012:u2f/user/alice/fidosecuritykey-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut state = State::demo(SEED)
        .with_hardware_device_for("alice", "GAHT12345678", SEED)
        .with_fido_key_for("alice", "fidosecuritykey-ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    for serial in [DEMO_SERIAL, "GAHT12345678"] {
        for caller in [alice(), admin(), Principal::Root] {
            let err = run(
                &mut state,
                caller,
                "GetMFADevice",
                &[("SerialNumber", serial), ("UserName", "alice")],
            )
            .unwrap_err();
            assert_eq!(
                (err.status, err.code, err.message),
                (
                    400,
                    "InvalidInput",
                    format!(
                        "The serial number {serial} is not a FIDO security key ARN: GetMFADevice only accepts FIDO security key ARNs."
                    )
                )
            );
        }
    }
    let xml = run(
        &mut state,
        alice(),
        "GetMFADevice",
        &[("SerialNumber", fido)],
    )
    .unwrap()
    .result
    .unwrap();
    assert_eq!(first(&xml, "UserName"), Some("alice"));
    assert_eq!(first(&xml, "SerialNumber"), Some(fido));
    assert!(first(&xml, "EnableDate").is_some());
    let err = run(
        &mut state,
        admin(),
        "GetMFADevice",
        &[("SerialNumber", fido)],
    )
    .unwrap_err();
    assert_eq!(err.code, "NoSuchEntity", "the key is alice's, not admin's");
    let named = run(
        &mut state,
        admin(),
        "GetMFADevice",
        &[("SerialNumber", fido), ("UserName", "alice")],
    );
    assert!(named.is_ok());
    let err = run(
        &mut state,
        alice(),
        "GetMFADevice",
        &[("SerialNumber", fido), ("UserName", "admin")],
    )
    .unwrap_err();
    assert_eq!(err.code, "AccessDenied");
}
