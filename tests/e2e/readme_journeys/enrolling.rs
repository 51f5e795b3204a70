//! The README's "Enrolling keys" table, run as written: each row enrols empty virtual YubiKeys in
//! vpcd's readers against the test bed, in a world where alice (the caller) has no device yet and
//! bob has a hardware token, and checks what IAM and the keys hold afterwards: the new device
//! enabled for its user, no orphan device, the credential on every key named.

use super::{World, rows, walk_all};
use crate::enroll::{assert_no_orphan_device, devices_of, read_backup, seed_of};
use crate::util::{Card, readers};
use testbed::iam_local::DEMO_SERIAL;
use testbed::virtual_yubikey::CardConfig;

/// The name AWS's QR code gives alice's new device on a key.
const ALICE_OATH: &str = "Amazon Web Services:alice@123456789012";

/// Walks one row of the enrolling table; `Err` names a row this file has no journey for.
fn walk(row: &str, words: &[String]) -> Result<(), String> {
    let world = World::with(|state| state.devices.retain(|d| d.serial != DEMO_SERIAL));
    let bed = &world.bed;
    let line = words.join(" ");
    let _readers = readers();
    let alice = |key: u32| {
        (
            format!("arn:aws:iam::123456789012:mfa/alice-{key}"),
            format!("Amazon Web Services:alice-{key}@123456789012"),
        )
    };
    match line.as_str() {
        "mfa-resync enroll" => {
            let key = Card::insert(CardConfig::new(32000001), 0);
            world.run(words, false).assert_exit(0);
            let (device, credential) = alice(32000001);
            assert_eq!(devices_of(bed, "alice"), [device]);
            assert_eq!(key.credentials(), [credential]);
        }
        "mfa-resync enroll --device 12345678 --device 23456789" => {
            let backup = Card::insert(CardConfig::new(23456789), 0);
            let primary = Card::insert(CardConfig::new(12345678), 1);
            world.run(words, false).assert_exit(0);
            let (first, first_credential) = alice(12345678);
            let (second, second_credential) = alice(23456789);
            let mut devices = devices_of(bed, "alice");
            devices.sort();
            assert_eq!(devices, [first.clone(), second.clone()]);
            assert_eq!(primary.credentials(), [first_credential]);
            assert_eq!(backup.credentials(), [second_credential]);
            assert_ne!(seed_of(bed, &first), seed_of(bed, &second), "a seed each");
        }
        "mfa-resync enroll --shared-seed --device 12345678 --device 23456789 --backup-seed-file ~/mfa-seed.txt" =>
        {
            let backup = Card::insert(CardConfig::new(23456789), 0);
            let primary = Card::insert(CardConfig::new(12345678), 1);
            world
                .run(words, false)
                .assert_exit(0)
                .assert_stderr("Keys: 12345678 (primary), 23456789 (backup)");
            assert_eq!(devices_of(bed, "alice"), [DEMO_SERIAL]);
            assert_eq!(primary.credentials(), [ALICE_OATH]);
            assert_eq!(backup.credentials(), [ALICE_OATH]);
            let file = bed.dir.path().join("mfa-seed.txt");
            assert!(
                read_backup(&file).contains(&seed_of(bed, DEMO_SERIAL)),
                "the backup file holds the device's seed"
            );
        }
        "mfa-resync enroll --user-name bob --replace GAHT12345678" => {
            let key = Card::insert(CardConfig::new(32000002), 0);
            world
                .run(words, true)
                .assert_exit(0)
                .assert_stderr("Deactivated GAHT12345678.");
            let new = "arn:aws:iam::123456789012:mfa/bob-32000002";
            assert_eq!(
                devices_of(bed, "bob"),
                [new],
                "the token is gone, the new device is bob's"
            );
            assert_eq!(
                key.credentials(),
                ["Amazon Web Services:bob-32000002@123456789012"]
            );
        }
        "mfa-resync retire --device 23456789" => {
            // alice's two keys, each its own device: the one named after 23456789 is lost.
            let (kept, kept_credential) = alice(12345678);
            let (lost, lost_credential) = alice(23456789);
            world.bed.server().update_state(|state| {
                for serial in [&kept, &lost] {
                    state.devices.push(testbed::iam_local::Device::totp(
                        serial.clone(),
                        Some("alice"),
                        testbed::iam_local::random_seed_base32(),
                    ));
                }
            });
            let key = Card::insert(
                CardConfig::new(23456789).with_credential(
                    testbed::virtual_yubikey::CredentialConfig::totp_for_account(
                        &lost_credential,
                        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                    ),
                ),
                0,
            );
            world.run(words, false).assert_exit(0);
            assert_eq!(devices_of(bed, "alice"), [kept]);
            assert!(
                key.credentials().is_empty(),
                "the lost key's credential went too"
            );
            let _ = kept_credential;
        }
        "mfa-resync enroll --device-name alice --oath-name arn:aws:iam::123456789012:mfa/alice" => {
            let key = Card::insert(CardConfig::new(32000003), 0);
            world.run(words, false).assert_exit(0);
            assert_eq!(devices_of(bed, "alice"), [DEMO_SERIAL]);
            assert_eq!(
                key.credentials(),
                [DEMO_SERIAL],
                "named as aws-vault looks for it"
            );
        }
        _ => {
            return Err(format!(
                "no journey for the enrolling row {row:?}: `{line}`"
            ));
        }
    }
    assert_no_orphan_device(bed);
    Ok(())
}

#[test]
fn every_command_of_the_readme_s_enrolling_table_does_what_the_row_says() {
    let rows = rows("## Enrolling keys");
    assert!(rows.len() >= 6, "read the table: {rows:?}");
    walk_all(&rows, walk);
}
