//! A device per key, where AWS has to be asked before the input can be judged: the user's room
//! for every new device, a key enrolled before, a credential named for another device, a retire
//! of what is not the user's (or not the caller's to retire), and a key whose credential names a
//! device its user no longer has. Each is refused with nothing created, deactivated or sent.

use testbed::iam_local::{Device, random_seed_base32};
use testbed::virtual_yubikey::CredentialConfig;

use super::*;
use crate::util::readers;

/// A virtual device of bob's, enabled, with a seed of its own.
fn bobs(serial: &str) -> Device {
    Device::totp(serial, Some("bob"), random_seed_base32())
}

/// What iam-local was asked to change.
fn changes(bed: &Bed) -> Vec<String> {
    actions(bed)
        .into_iter()
        .filter(|a| {
            [
                "CreateVirtualMFADevice",
                "EnableMFADevice",
                "DeactivateMFADevice",
                "DeleteVirtualMFADevice",
                "ResyncMFADevice",
            ]
            .contains(&a.as_str())
        })
        .collect()
}

/// `retire ARGS…` as bob.
fn retire_as_bob(bed: &Bed, args: &[&str]) -> crate::util::Output {
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .args(["retire", "--endpoint-url", &bed.url()])
        .args(args);
    bed.run(&mut cmd)
}

#[test]
fn two_keys_past_the_users_room_for_eight_devices_create_nothing() {
    let _readers = readers();
    let bed = bed_with_bob(|c| {
        for n in 1..=7 {
            c.state
                .devices
                .push(bobs(&format!("arn:aws:iam::{ACCOUNT}:mfa/bob-old-{n}")));
        }
    });
    let first = Card::insert(empty_key(33000001), 0);
    let second = Card::insert(empty_key(33000002), 1);
    enroll_as_bob(&bed, &["--device", "33000001", "--device", "33000002"])
        .assert_exit(2)
        .assert_stderr("error: bob has 7 MFA devices; 2 more would pass IAM's limit of 8")
        .assert_stderr("hint: retire one first (`mfa-resync retire`)");
    assert!(changes(&bed).is_empty(), "{:?}", actions(&bed));
    assert!(first.credentials().is_empty() && second.credentials().is_empty());
}

#[test]
fn a_key_enrolled_before_is_said_to_be_so_and_nothing_is_created() {
    let _readers = readers();
    let bed = bed_with_bob(|c| c.state.devices.push(bobs(&bob_device(33000003))));
    let card = Card::insert(empty_key(33000003), 0);
    enroll_as_bob(&bed, &[])
        .assert_exit(2)
        .assert_stderr(&format!(
            "error: {} is already one of bob's MFA devices",
            bob_device(33000003)
        ))
        .assert_stderr("retire it first (`mfa-resync retire --device SERIAL`)");
    assert!(changes(&bed).is_empty(), "{:?}", actions(&bed));
    assert!(card.credentials().is_empty());
}

#[test]
fn an_oath_name_that_is_another_devices_arn_is_refused_before_the_create() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(empty_key(33000004), 0);
    enroll_as_bob(&bed, &["--oath-name", BOB_SERIAL])
        .assert_exit(2)
        .assert_stderr(&format!(
            "error: --oath-name {BOB_SERIAL} is another device's ARN than the one this creates ({})",
            bob_device(33000004)
        ));
    assert!(changes(&bed).is_empty(), "{:?}", actions(&bed));
    assert!(card.credentials().is_empty());
}

#[test]
fn retiring_another_users_device_without_the_right_changes_nothing() {
    let bed = bed_with_bob(|_| {});
    retire_as_bob(&bed, &["--user-name", "alice", "--device", "12345678"])
        .assert_exit(4)
        .assert_stderr("AccessDenied");
    assert!(changes(&bed).is_empty(), "{:?}", actions(&bed));
    assert_eq!(
        devices_of(&bed, "alice"),
        [format!("arn:aws:iam::{ACCOUNT}:mfa/alice")]
    );
}

#[test]
fn retiring_a_key_no_device_is_named_after_lists_the_users_devices() {
    let bed = bed_with_bob(|c| c.state.devices.push(bobs(&bob_device(33000005))));
    retire_as_bob(&bed, &["--device", "33000006"])
        .assert_exit(2)
        .assert_stderr(&format!(
            "error: --device: a device named after YubiKey 33000006 is not one of bob's MFA devices ({})",
            bob_device(33000005)
        ));
    retire_as_bob(
        &bed,
        &[
            "--serial-number",
            &format!("arn:aws:iam::{ACCOUNT}:mfa/alice"),
        ],
    )
    .assert_exit(2)
    .assert_stderr("is not one of bob's MFA devices");
    assert!(changes(&bed).is_empty(), "{:?}", actions(&bed));
    assert_eq!(devices_of(&bed, "bob"), [bob_device(33000005)]);
}

#[test]
fn retiring_without_deactivation_rights_changes_nothing() {
    let bed = bed_with_bob(|c| {
        c.state.devices.push(bobs(&bob_device(33000007)));
        c.state = c.state.clone().deny("bob", "DeactivateMFADevice");
    });
    retire_as_bob(&bed, &["--device", "33000007"])
        .assert_exit(4)
        .assert_stderr("AccessDenied");
    assert_eq!(devices_of(&bed, "bob"), [bob_device(33000007)]);
    assert!(
        !actions(&bed).iter().any(|a| a == "DeleteVirtualMFADevice"),
        "{:?}",
        actions(&bed)
    );
}

#[test]
fn a_found_again_key_whose_device_was_replaced_is_stale_and_sends_nothing() {
    // bob's old device mfa/bob was replaced by his new key's mfa/bob-33000009; the old key, found
    // again, still holds the credential AWS's QR code gave mfa/bob.
    let _readers = readers();
    let bed = bed_with_bob(|c| c.state.devices.push(bobs(&bob_device(33000009))));
    let old_key = CardConfig::new(33000008).with_credential(CredentialConfig::totp_for_account(
        BOB_OATH,
        &random_seed_base32(),
    ));
    let _card = Card::insert(old_key, 0);
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"]);
    bed.run(&mut cmd)
        .assert_exit(3)
        .assert_stderr(&format!(
            "error: YubiKey 33000008's credential {BOB_OATH:?} is for the device bob, which is not one of bob's (it was retired or replaced); nothing was sent"
        ))
        .assert_stderr("hint: enrol the key again");
    assert!(changes(&bed).is_empty(), "{:?}", actions(&bed));
}
