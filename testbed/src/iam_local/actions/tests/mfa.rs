//! The device life cycle, denials and partitions, action by action.

use super::{NOW, SEED, alice, run};
use crate::iam_local::actions::mfa::MAX_DEVICES_PER_USER;
use crate::iam_local::state::{DEMO_SERIAL, Partition, Principal, State};
use crate::iam_local::totp;

fn admin() -> Principal {
    Principal::User("admin".into())
}

/// The text of the first `<tag>` in `xml`.
pub(super) fn first<'x>(xml: &'x str, tag: &str) -> Option<&'x str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..end])
}

/// Codes of `seed` for the counters `(c, c + 1)`, `c` the window before server time.
fn fresh_pair(seed: &str) -> (String, String) {
    let c = totp::counter_at(NOW, 30) - 1;
    (
        totp::code_at(seed, c, 6).unwrap(),
        totp::code_at(seed, c + 1, 6).unwrap(),
    )
}

fn enable(
    state: &mut State,
    caller: Principal,
    user: &str,
    serial: &str,
    seed: &str,
) -> Result<super::Outcome, super::ApiError> {
    let (c1, c2) = fresh_pair(seed);
    run(
        state,
        caller,
        "EnableMFADevice",
        &[
            ("UserName", user),
            ("SerialNumber", serial),
            ("AuthenticationCode1", &c1),
            ("AuthenticationCode2", &c2),
        ],
    )
}

#[test]
fn create_answers_seed_png_and_default_path() {
    let mut state = State::demo(SEED);
    let xml = run(
        &mut state,
        alice(),
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", "alice-key")],
    )
    .unwrap()
    .result
    .unwrap();
    let serial = first(&xml, "SerialNumber").unwrap();
    assert_eq!(serial, "arn:aws:iam::123456789012:mfa/alice-key");
    let seed = data_encoding::BASE64
        .decode(first(&xml, "Base32StringSeed").unwrap().as_bytes())
        .unwrap();
    assert_eq!(seed.len(), 64, "40 bytes, 64 base32 characters");
    assert_eq!(
        String::from_utf8(seed).unwrap(),
        state.device(serial).unwrap().seed_base32
    );
    let png = data_encoding::BASE64
        .decode(first(&xml, "QRCodePNG").unwrap().as_bytes())
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(!state.device(serial).unwrap().is_assigned());

    let under_path = run(
        &mut state,
        alice(),
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", "alice-key"), ("Path", "/desk//a/")],
    )
    .unwrap()
    .result
    .unwrap();
    assert_eq!(
        first(&under_path, "SerialNumber"),
        Some("arn:aws:iam::123456789012:mfa/desk//a/alice-key")
    );
}

#[test]
fn create_refusals_as_aws_words_them() {
    let mut state = State::demo(SEED);
    let create = |state: &mut State, name: &str, path: Option<&str>| {
        let mut p = vec![("VirtualMFADeviceName", name)];
        p.extend(path.map(|path| ("Path", path)));
        run(state, alice(), "CreateVirtualMFADevice", &p).unwrap_err()
    };
    let dup = create(&mut state, "alice", None);
    assert_eq!(
        (dup.status, dup.code, dup.message.as_str()),
        (
            409,
            "EntityAlreadyExists",
            "MFADevice entity at the same path and name already exists."
        )
    );
    let space = create(&mut state, "my key", None);
    assert_eq!(
        space.message,
        r"1 validation error detected: Value 'my key' at 'virtualMFADeviceName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+"
    );
    let long = create(&mut state, &"k".repeat(227), None);
    assert_eq!(
        long.message,
        "1 validation error detected: Value at 'virtualMFADeviceName' failed to satisfy constraint: Member must have length less than or equal to 226"
    );
    for bad_path in ["invalid-path/", "/invalid-path"] {
        let err = create(&mut state, "k", Some(bad_path));
        assert_eq!(
            (err.status, err.code, err.message.as_str()),
            (
                400,
                "ValidationError",
                "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."
            )
        );
    }
    let err = create(&mut state, "k", Some(&format!("/{}/", "a".repeat(512))));
    assert_eq!(
        err.message,
        "1 validation error detected: Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 512"
    );
    let err = create(&mut state, "k", Some(""));
    assert!(
        err.message.contains("greater than or equal to 1"),
        "{}",
        err.message
    );
    assert_eq!(state.devices.len(), 1, "nothing was created");
}

#[test]
fn enable_checks_user_device_assignment_limit_and_codes() {
    let other_seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let mut state = State::demo(SEED)
        .with_user("bob")
        .with_unassigned_device("spare", other_seed);
    let spare = state.mfa_serial("spare");
    let err = enable(&mut state, admin(), "carol", &spare, other_seed).unwrap_err();
    assert_eq!(err.message, "The user with name carol cannot be found.");
    let missing = state.mfa_serial("missing");
    let err = enable(&mut state, admin(), "bob", &missing, other_seed).unwrap_err();
    assert_eq!(
        (err.status, err.message),
        (
            404,
            "MFA Device with serial number arn:aws:iam::123456789012:mfa/missing does not exist."
                .to_owned()
        )
    );
    // Alice's device is assigned (to alice): enabling it for anyone is EntityAlreadyExists.
    for user in ["alice", "bob"] {
        let err = enable(&mut state, admin(), user, DEMO_SERIAL, SEED).unwrap_err();
        assert_eq!(
            (err.status, err.code, err.message.as_str()),
            (409, "EntityAlreadyExists", "MFA Device is already in use.")
        );
    }
    let err = enable(&mut state, admin(), "bob", &spare, SEED).unwrap_err();
    assert_eq!((err.status, err.code), (403, "InvalidAuthenticationCode"));
    let out = enable(&mut state, admin(), "bob", &spare, other_seed).unwrap();
    let c = totp::counter_at(NOW, 30) - 1;
    assert_eq!(out.counters, Some((c, c + 1)));
    let device = state.device(&spare).unwrap();
    assert_eq!(device.user.as_deref(), Some("bob"));
    assert_eq!(device.enable_date.as_deref(), Some("2023-11-14T22:13:20Z"));
}

#[test]
fn the_ninth_device_exceeds_the_limit() {
    let mut state = State::demo(SEED);
    for i in 1..MAX_DEVICES_PER_USER {
        state = state.with_device_for("alice", &format!("extra{i}"), SEED);
    }
    state = state.with_unassigned_device("ninth", SEED);
    assert_eq!(state.devices_of("alice").len(), 8);
    let ninth = state.mfa_serial("ninth");
    let err = enable(&mut state, alice(), "alice", &ninth, SEED).unwrap_err();
    assert_eq!(
        (err.status, err.code, err.message.as_str()),
        (
            409,
            "LimitExceeded",
            "Cannot exceed quota for MfaDevicesPerUser: 8."
        )
    );
    assert!(!state.device(&ninth).unwrap().is_assigned());
}

#[test]
fn deactivate_defaults_to_the_caller_and_keeps_virtual_devices() {
    let mut state =
        State::demo(SEED)
            .with_user("bob")
            .with_hardware_device_for("bob", "GAHT12345678", SEED);
    let out = run(
        &mut state,
        alice(),
        "DeactivateMFADevice",
        &[("SerialNumber", DEMO_SERIAL)],
    )
    .unwrap();
    assert!(out.changed && out.result.is_none());
    assert!(state.devices_of("alice").is_empty());
    assert_eq!(
        state.unassigned_devices().len(),
        1,
        "the virtual device stays"
    );
    let again = run(
        &mut state,
        alice(),
        "DeactivateMFADevice",
        &[("SerialNumber", DEMO_SERIAL)],
    )
    .unwrap_err();
    assert_eq!(
        (again.status, again.message.as_str()),
        (
            404,
            "MFA Device with serial number arn:aws:iam::123456789012:mfa/alice not found for user alice."
        )
    );
    let unknown = run(
        &mut state,
        admin(),
        "DeactivateMFADevice",
        &[
            ("UserName", "bob"),
            ("SerialNumber", "arn:aws:iam::123456789012:mfa/none"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        unknown.message,
        "MFA Device with serial number arn:aws:iam::123456789012:mfa/none does not exist."
    );
    let role = Principal::AssumedRole {
        role: "desk".into(),
        session: "s".into(),
    };
    let err = run(
        &mut state,
        role.clone(),
        "DeactivateMFADevice",
        &[("SerialNumber", "GAHT12345678")],
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "Must specify userName when calling with non-User credentials"
    );
    run(
        &mut state,
        role,
        "DeactivateMFADevice",
        &[("UserName", "bob"), ("SerialNumber", "GAHT12345678")],
    )
    .unwrap();
    assert!(
        state.device("GAHT12345678").is_none(),
        "a hardware token leaves with its assignment"
    );
    let err = run(
        &mut state,
        alice(),
        "DeactivateMFADevice",
        &[("UserName", "bob"), ("SerialNumber", DEMO_SERIAL)],
    )
    .unwrap_err();
    assert_eq!(err.code, "AccessDenied");
}

#[test]
fn delete_refuses_assigned_unknown_and_hardware_devices() {
    let mut state =
        State::demo(SEED)
            .with_user("bob")
            .with_hardware_device_for("bob", "GAHT12345678", SEED);
    let delete = |state: &mut State, serial: &str| {
        run(
            state,
            admin(),
            "DeleteVirtualMFADevice",
            &[("SerialNumber", serial)],
        )
    };
    let err = delete(&mut state, DEMO_SERIAL).unwrap_err();
    assert_eq!(
        (err.status, err.code, err.message.as_str()),
        (
            409,
            "DeleteConflict",
            "MFA VirtualDevice in use. Must deactivate first."
        )
    );
    for serial in ["GAHT12345678", "arn:aws:iam::123456789012:mfa/none"] {
        let err = delete(&mut state, serial).unwrap_err();
        assert_eq!(
            (err.status, err.message),
            (
                404,
                format!("MFA Device with serial number {serial} does not exist.")
            )
        );
    }
    run(
        &mut state,
        alice(),
        "DeactivateMFADevice",
        &[("SerialNumber", DEMO_SERIAL)],
    )
    .unwrap();
    assert!(delete(&mut state, DEMO_SERIAL).unwrap().changed);
    assert!(state.device(DEMO_SERIAL).is_none());
    assert_eq!(
        delete(&mut state, DEMO_SERIAL).unwrap_err().code,
        "NoSuchEntity"
    );
}

#[test]
fn explicit_denies_refuse_with_aws_wording() {
    let mut state = State::demo(SEED)
        .deny("alice", "DeactivateMFADevice")
        .deny("alice", "iam:ListVirtualMFADevices")
        .deny("role/desk", "iam:*")
        .deny("alice", "sts:GetCallerIdentity");
    let err = run(
        &mut state,
        alice(),
        "DeactivateMFADevice",
        &[("SerialNumber", DEMO_SERIAL)],
    )
    .unwrap_err();
    assert_eq!(
        (err.status, err.code, err.message.as_str()),
        (
            403,
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:DeactivateMFADevice on resource: arn:aws:iam::123456789012:user/alice with an explicit deny in an identity-based policy"
        )
    );
    assert!(state.devices_of("alice").len() == 1, "nothing changed");
    let err = run(&mut state, alice(), "ListVirtualMFADevices", &[]).unwrap_err();
    assert!(err.message.ends_with("iam:ListVirtualMFADevices on resource: * with an explicit deny in an identity-based policy"), "{}", err.message);
    let err = run(
        &mut state,
        alice(),
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", "x")],
    );
    assert!(err.is_ok(), "only the listed actions are denied");
    let role = Principal::AssumedRole {
        role: "desk".into(),
        session: "s".into(),
    };
    let err = run(
        &mut state,
        role.clone(),
        "GetUser",
        &[("UserName", "alice")],
    )
    .unwrap_err();
    assert!(err.message.starts_with(
        "User: arn:aws:sts::123456789012:assumed-role/desk/s is not authorized to perform: iam:GetUser"
    ), "{}", err.message);
    // GetCallerIdentity needs no permission, and no deny refuses it.
    assert!(run(&mut state, alice(), "GetCallerIdentity", &[]).is_ok());
    assert!(run(&mut state, role, "GetCallerIdentity", &[]).is_ok());
}

#[test]
fn govcloud_arns_everywhere() {
    let mut state = State::demo(SEED).with_partition(Partition::AwsUsGov);
    let id = run(&mut state, alice(), "GetCallerIdentity", &[])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(
        first(&id, "Arn"),
        Some("arn:aws-us-gov:iam::123456789012:user/alice")
    );
    let root = run(&mut state, Principal::Root, "GetCallerIdentity", &[])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(
        first(&root, "Arn"),
        Some("arn:aws-us-gov:iam::123456789012:root")
    );
    let role = Principal::AssumedRole {
        role: "r".into(),
        session: "s".into(),
    };
    let assumed = run(&mut state, role, "GetCallerIdentity", &[])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(
        first(&assumed, "Arn"),
        Some("arn:aws-us-gov:sts::123456789012:assumed-role/r/s")
    );
    let listed = run(&mut state, alice(), "ListMFADevices", &[])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(
        first(&listed, "SerialNumber"),
        Some("arn:aws-us-gov:iam::123456789012:mfa/alice")
    );
    let created = run(
        &mut state,
        alice(),
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", "k")],
    )
    .unwrap()
    .result
    .unwrap();
    assert_eq!(
        first(&created, "SerialNumber"),
        Some("arn:aws-us-gov:iam::123456789012:mfa/k")
    );
    let err = run(&mut state, alice(), "GetUser", &[("UserName", "admin")]).unwrap_err();
    assert!(
        err.message
            .contains("arn:aws-us-gov:iam::123456789012:user/alice")
    );
}
