//! Enrolment through the real SDK: a virtual device's whole life (create → enable → list with its
//! user → deactivate → delete), the QR code it is handed out with, and the refusals on the way.

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::AssignmentStatusType;
use testbed::iam_local::{Config, DEMO_SERIAL, MAX_DEVICES_PER_USER, State, totp};

use crate::harness::{SEED, admin_iam, alice_iam, current_pair, decode_qr, demo_config, start};

/// The seed and QR text a CreateVirtualMFADevice answer carries.
fn seed_and_qr(device: &aws_sdk_iam::types::VirtualMfaDevice) -> (String, String) {
    let seed = device
        .base32_string_seed()
        .expect("Base32StringSeed")
        .as_ref();
    let png = device.qr_code_png().expect("QRCodePNG").as_ref();
    (String::from_utf8(seed.to_vec()).unwrap(), decode_qr(png))
}

#[tokio::test]
async fn a_virtual_device_from_creation_to_deletion() {
    let server = start(demo_config()).await;
    let alice = alice_iam(&server);
    let created = alice
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice-yubikey")
        .send()
        .await
        .unwrap();
    let device = created.virtual_mfa_device().unwrap();
    let serial = device.serial_number().to_owned();
    assert_eq!(serial, "arn:aws:iam::123456789012:mfa/alice-yubikey");
    let (seed, qr) = seed_and_qr(device);
    assert_eq!(seed.len(), 64);
    assert_eq!(totp::decode_seed(&seed).unwrap().len(), 40);
    assert_eq!(
        qr,
        format!("otpauth://totp/alice-yubikey@123456789012?secret={seed}")
    );

    let unassigned = alice
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Unassigned)
        .send()
        .await
        .unwrap();
    let [listed] = unassigned.virtual_mfa_devices() else {
        panic!("{unassigned:?}")
    };
    assert_eq!(listed.serial_number(), serial);
    assert!(listed.user().is_none() && listed.enable_date().is_none());
    assert!(
        listed.base32_string_seed().is_none(),
        "the seed is handed out once"
    );

    let (c1, c2) = current_pair(&server, &seed);
    alice
        .enable_mfa_device()
        .user_name("alice")
        .serial_number(&serial)
        .authentication_code1(c1)
        .authentication_code2(c2)
        .send()
        .await
        .unwrap();
    let state = server.state();
    assert_eq!(state.serials_of("alice"), [DEMO_SERIAL, serial.as_str()]);
    assert!(state.device(&serial).unwrap().enable_date.is_some());

    let assigned = alice
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Assigned)
        .send()
        .await
        .unwrap();
    assert_eq!(assigned.virtual_mfa_devices().len(), 2);
    let mine = assigned
        .virtual_mfa_devices()
        .iter()
        .find(|d| d.serial_number() == serial)
        .unwrap();
    let user = mine.user().expect("an assigned device carries its user");
    assert_eq!(
        (user.user_name(), user.user_id(), user.arn(), user.path()),
        (
            "alice",
            "AIDACKCEVSQ6C2EXAMPLE",
            "arn:aws:iam::123456789012:user/alice",
            "/"
        )
    );
    assert!(user.create_date().secs() > 0);
    assert!(mine.enable_date().is_some());

    // GetMFADevice takes FIDO security key ARNs only: a virtual device's serial is refused.
    let err = alice
        .get_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (
            Some("InvalidInput"),
            Some(format!("The serial number {serial} is not a FIDO security key ARN: GetMFADevice only accepts FIDO security key ARNs.").as_str())
        )
    );

    let err = alice
        .delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_delete_conflict_exception(),
        "{err:?}"
    );
    assert_eq!(
        err.message(),
        Some("MFA VirtualDevice in use. Must deactivate first.")
    );

    // UserName is optional: the caller's device.
    alice
        .deactivate_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    let listed = alice.list_mfa_devices().send().await.unwrap();
    assert_eq!(listed.mfa_devices().len(), 1);
    assert_eq!(server.state().unassigned_devices().len(), 1);
    alice
        .delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .unwrap();
    assert!(server.state().device(&serial).is_none());
    let err = alice
        .delete_virtual_mfa_device()
        .serial_number(&serial)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_no_such_entity_exception()
    );
    assert_eq!(
        err.message().unwrap(),
        format!("MFA Device with serial number {serial} does not exist.")
    );
    let actions: Vec<_> = server
        .log()
        .into_iter()
        .map(|e| (e.action, e.status))
        .collect();
    assert_eq!(actions.len(), 10, "{actions:?}");
}

#[tokio::test]
async fn the_qr_code_names_the_device_and_the_alias() {
    let state = State::demo(SEED).with_alias("example-corp");
    let server = start(Config::new(state)).await;
    let created = admin_iam(&server)
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("bob-desk")
        .path("/desk/")
        .send()
        .await
        .unwrap();
    let device = created.virtual_mfa_device().unwrap();
    assert_eq!(
        device.serial_number(),
        "arn:aws:iam::123456789012:mfa/desk/bob-desk"
    );
    let (seed, qr) = seed_and_qr(device);
    assert_eq!(
        qr,
        format!("otpauth://totp/bob-desk@example-corp?secret={seed}")
    );
}

#[tokio::test]
async fn create_refusals_reach_the_sdk_as_aws_sends_them() {
    let server = start(demo_config()).await;
    let alice = alice_iam(&server);
    let err = alice
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_entity_already_exists_exception()
    );
    assert_eq!(
        err.message(),
        Some("MFADevice entity at the same path and name already exists.")
    );
    let err = alice
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("a key")
        .path("desk/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert!(
        err.message()
            .unwrap()
            .contains("Value 'a key' at 'virtualMFADeviceName'"),
        "{err:?}"
    );
    let err = alice
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("key")
        .path("desk/")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert!(
        err.message()
            .unwrap()
            .starts_with("The specified value for path is invalid.")
    );
    assert_eq!(server.state().devices.len(), 1);
}

#[tokio::test]
async fn enable_refusals_reach_the_sdk_as_aws_sends_them() {
    let spare_seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let state = State::demo(SEED)
        .with_user("bob")
        .with_unassigned_device("spare", spare_seed);
    let server = start(Config::new(state)).await;
    let admin = admin_iam(&server);
    let enable = |user: &'static str, serial: String, seed: &'static str| {
        let (c1, c2) = current_pair(&server, seed);
        admin
            .enable_mfa_device()
            .user_name(user)
            .serial_number(serial)
            .authentication_code1(c1)
            .authentication_code2(c2)
            .send()
    };
    let spare = server.state().mfa_serial("spare");
    let err = enable("bob", DEMO_SERIAL.to_owned(), SEED)
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_entity_already_exists_exception()
    );
    assert_eq!(err.message(), Some("MFA Device is already in use."));
    let err = enable("bob", spare.clone(), SEED).await.unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_invalid_authentication_code_exception()
    );
    let err = enable("carol", spare.clone(), spare_seed)
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_no_such_entity_exception()
    );
    assert_eq!(
        err.message(),
        Some("The user with name carol cannot be found.")
    );
    let missing = server.state().mfa_serial("missing");
    let err = enable("bob", missing, spare_seed).await.unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_no_such_entity_exception()
    );
    assert_eq!(server.state().assigned_to(&spare), None);
    enable("bob", spare.clone(), spare_seed).await.unwrap();
    assert_eq!(server.state().assigned_to(&spare), Some("bob"));
}

#[tokio::test]
async fn the_ninth_device_of_a_user_is_limit_exceeded() {
    let mut state = State::demo(SEED);
    for i in 1..MAX_DEVICES_PER_USER {
        state = state.with_device_for("alice", &format!("key{i}"), SEED);
    }
    let server = start(Config::new(state)).await;
    let alice = alice_iam(&server);
    // All eight, over however many pages (a single call answers a short page).
    let listed = alice
        .list_mfa_devices()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 8);
    let created = alice
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("ninth")
        .send()
        .await
        .unwrap();
    let device = created.virtual_mfa_device().unwrap();
    let (seed, _) = seed_and_qr(device);
    let (c1, c2) = current_pair(&server, &seed);
    let err = alice
        .enable_mfa_device()
        .user_name("alice")
        .serial_number(device.serial_number())
        .authentication_code1(c1)
        .authentication_code2(c2)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_limit_exceeded_exception()
    );
    assert_eq!(
        err.message(),
        Some("Cannot exceed quota for MfaDevicesPerUser: 8.")
    );
    let state = server.state();
    assert_eq!(state.devices_of("alice").len(), 8);
    assert_eq!(state.unassigned_devices().len(), 1);
}

#[tokio::test]
async fn the_sdk_paginator_walks_every_virtual_device_and_skips_hardware() {
    let mut state =
        State::demo(SEED)
            .with_user("bob")
            .with_hardware_device_for("bob", "GAHT12345678", SEED);
    for i in 0..6 {
        state = state.with_unassigned_device(&format!("spare{i}"), SEED);
    }
    let server = start(Config::new(state)).await;
    let mut pages = alice_iam(&server)
        .list_virtual_mfa_devices()
        .into_paginator()
        .page_size(3)
        .send();
    let mut serials = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        // Short pages: never more than 2 of a list longer than 2, whatever page_size says.
        assert!(page.virtual_mfa_devices().len() <= 2);
        serials.extend(
            page.virtual_mfa_devices()
                .iter()
                .map(|d| d.serial_number().to_owned()),
        );
    }
    assert_eq!(serials.len(), 7, "{serials:?}");
    assert!(!serials.iter().any(|s| s == "GAHT12345678"));
    let requests = server
        .log()
        .iter()
        .filter(|e| e.action == "ListVirtualMFADevices")
        .count();
    assert_eq!(requests, 4, "2 + 2 + 2 + 1");
}
