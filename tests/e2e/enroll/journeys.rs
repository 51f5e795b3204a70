//! Enrolments that succeed: one key (its own device, named after it), a primary and a backup on
//! one shared seed (the backup alone then resyncs the device), checked with ykman and oathtool, the seed's backup file, `--replace`, a skewed
//! endpoint, touch, aws-vault's naming, JSON output and the audit log.

use std::time::Duration;

use testbed::iam_local::{ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY};
use testbed::virtual_yubikey::TouchPolicy;

use super::*;
use crate::util::{READER_0, READER_1, counter_now, readers, unix_now, wait_for_margin};

#[test]
fn enrolling_the_only_key_creates_writes_and_enables_the_device_in_one_go() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(empty_key(31000001), 0);
    let start = counter_now();
    let out = enroll_as_bob(&bed, &[]);
    // The key's own device, named after it, and the credential AWS's QR code gives it.
    let (device, credential) = (bob_device(31000001), bob_credential(31000001));
    out.assert_exit(0)
        .assert_stderr(&format!("Enrolled {device} for user bob"))
        .assert_stderr("Keys: 31000001 (primary)")
        .assert_stderr(&format!("OATH name: {credential}"))
        .assert_stderr(&format!(
            "mfa_serial for an AWS CLI or aws-vault profile: {device}"
        ));
    assert_eq!(devices_of(&bed, "bob"), std::slice::from_ref(&device));
    assert_no_orphan_device(&bed);
    assert_eq!(card.credentials(), std::slice::from_ref(&credential));
    let seed = seed_of(&bed, &device);
    assert_eq!(seed.len(), 64, "AWS's seeds are 40 bytes");
    assert_eq!(
        secret_on(&card, &credential),
        seed,
        "the key holds the device's seed"
    );
    let enable = bed
        .log()
        .into_iter()
        .find(|e| e.action == "EnableMFADevice")
        .expect("an Enable");
    let (c1, c2) = enable.counters.expect("accepted");
    assert_eq!(c2, c1 + 1);
    assert!(c2 == start || c2 == start + 1, "(c-1, c) at once, no wait");
    let creates = actions(&bed)
        .iter()
        .filter(|a| *a == "CreateVirtualMFADevice")
        .count();
    assert_eq!(creates, 1);
    assert_seed_absent(&seed, &out.all(), "the output");
    bed.assert_no_secrets(&out.all(), "the output");
}

#[test]
fn with_a_shared_seed_a_primary_and_a_backup_hold_one_device_and_the_backup_alone_resyncs_it() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    // Named second on the command line: the backup.
    let backup = Card::insert(empty_key(31000002), 0);
    // Named first: the primary.
    let primary = Card::insert(empty_key(31000003), 1);
    let file = private_dir(&bed).join("bob-seed.uri");
    let out = enroll_as_bob(
        &bed,
        &[
            "--shared-seed",
            "--reader",
            READER_1,
            "--device",
            "31000002",
            "--backup-seed-file",
            file.to_str().unwrap(),
            "--backup-seed-format",
            "otpauth",
            "--output",
            "json",
        ],
    );
    out.assert_exit(0)
        .assert_stderr("YubiKey 31000002 agrees with the seed.");
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["SerialNumber"], BOB_SERIAL);
    assert_eq!(json["UserName"], "bob");
    assert_eq!(json["OathName"], BOB_OATH);
    assert_eq!(json["Replaced"], false);
    assert_eq!(
        json["Keys"][0]["Serial"], 31000003,
        "the first key named is the primary"
    );
    assert_eq!(json["Keys"][0]["Role"], "primary");
    assert_eq!(json["Keys"][1]["Serial"], 31000002);
    assert_eq!(json["Keys"][1]["Role"], "backup");
    let seed = seed_of(&bed, BOB_SERIAL);
    assert_eq!(secret_on(&primary, BOB_OATH), seed);
    assert_eq!(secret_on(&backup, BOB_OATH), seed);
    let uri = read_backup(&file);
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/Amazon%20Web%20Services:bob@{ACCOUNT}?secret={seed}&issuer=Amazon%20Web%20Services"
        )
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert_seed_absent(&seed, &out.all(), "the output");

    // The backup key alone: the primary leaves, and a resync reads the pair from the backup.
    drop(primary);
    let enabled_at = bed
        .log()
        .into_iter()
        .find_map(|e| e.counters.filter(|_| e.action == "EnableMFADevice"))
        .expect("enabled")
        .1;
    // The Enable consumed windows up to `enabled_at`: the resync's pair must lie past it. Rather
    // than wait a minute, AWS's clock moves two windows on (the resync plans in AWS's time).
    bed.server().set_clock_offset(60);
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"])
        .args(["--serial-number", BOB_SERIAL, "--reader", READER_0]);
    let resync = bed.run(&mut cmd);
    resync
        .assert_exit(0)
        .assert_stderr(&format!("Resynced {BOB_SERIAL} for user bob"));
    let counters = bed.resync_requests()[0].counters.expect("accepted");
    assert!(counters.0 > enabled_at, "{counters:?} past {enabled_at}");
    drop(backup);
}

#[test]
fn ykman_lists_the_credential_on_each_key_and_its_code_is_oathtools_on_the_backup_seed() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let _first = Card::insert(empty_key(31000004), 0);
    let _second = Card::insert(empty_key(31000005), 1);
    let file = private_dir(&bed).join("bob-seed.txt");
    enroll_as_bob(
        &bed,
        &[
            "--shared-seed",
            "--device",
            "31000004",
            "--device",
            "31000005",
            "--backup-seed-file",
            file.to_str().unwrap(),
        ],
    )
    .assert_exit(0);
    let seed = read_backup(&file);
    assert_eq!(
        seed,
        seed_of(&bed, BOB_SERIAL),
        "the base32 backup is the device's seed"
    );
    let ykmans = crate::util::ykmans();
    for ykman in &ykmans {
        for reader in [READER_0, READER_1] {
            let list = bed.run(
                bed.command_for(ykman)
                    .args(["--reader", reader, "oath", "accounts", "list"]),
            );
            list.assert_exit(0);
            assert!(
                list.stdout.lines().any(|l| l.trim() == BOB_OATH),
                "{ykman} lists {BOB_OATH} in {reader}:\n{}",
                list.stdout
            );
            wait_for_margin(Duration::from_secs(3));
            let code = bed.run(bed.command_for(ykman).args([
                "--reader",
                reader,
                "oath",
                "accounts",
                "code",
                "--single",
                "bob@123456789012",
            ]));
            code.assert_exit(0);
            let expected = bed.run(bed.command_for("oathtool").args(["--totp", "-b", &seed]));
            expected.assert_exit(0);
            assert_eq!(
                code.stdout.trim(),
                expected.stdout.trim(),
                "{ykman} in {reader}"
            );
        }
    }
    eprintln!("checked with: {}", ykmans.join(", "));
}

#[test]
fn the_seed_never_shows_in_any_output_or_the_audit_log_even_at_debug() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let _card = Card::insert(empty_key(31000006), 0);
    let audit = bed.dir.path().join("audit.jsonl");
    let file = private_dir(&bed).join("seed");
    let out = enroll_as_bob(
        &bed,
        &[
            "-vvv",
            "--debug",
            "--audit-log",
            audit.to_str().unwrap(),
            "--backup-seed-file",
            file.to_str().unwrap(),
        ],
    );
    out.assert_exit(0);
    let seed = read_backup(&file);
    let logged = std::fs::read_to_string(&audit).unwrap();
    assert_seed_absent(&seed, &out.all(), "stdout and stderr at --debug");
    assert_seed_absent(&seed, &logged, "the audit log");
    bed.assert_no_secrets(&out.all(), "the output");
    bed.assert_no_secrets(&logged, "the audit log");
    let steps: Vec<(String, String)> = audit_lines(&audit)
        .iter()
        .map(|l| {
            (
                l["step"].as_str().unwrap().to_string(),
                l["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("create".to_string(), "created".to_string()),
            ("put".to_string(), "written".to_string()),
            ("enable".to_string(), "enabled".to_string()),
        ]
    );
    let lines = audit_lines(&audit);
    assert_eq!(lines[1]["device_serial"], "31000006");
    assert_eq!(lines[2]["serial"], bob_device(31000006));
    assert!(
        lines[0]["operator"]
            .as_str()
            .unwrap()
            .ends_with(":user/bob")
    );
}

#[test]
fn replace_deactivates_and_deletes_the_old_device_once_the_new_one_works() {
    let _readers = readers();
    let bed = Bed::new();
    let card = Card::insert(empty_key(31000007), 0);
    let old = format!("arn:aws:iam::{ACCOUNT}:mfa/alice");
    let new = format!("arn:aws:iam::{ACCOUNT}:mfa/alice-yubikey");
    let audit = bed.dir.path().join("audit.jsonl");
    let out = enroll_as_alice(
        &bed,
        &[
            "--device-name",
            "alice-yubikey",
            "--replace",
            &old,
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    out.assert_exit(0)
        .assert_stderr(&format!("Deactivated {old}."))
        .assert_stderr(&format!("Replaced: {old}"));
    assert_eq!(devices_of(&bed, "alice"), [new]);
    assert!(
        bed.server().state().device(&old).is_none(),
        "the old device is deleted"
    );
    assert_no_orphan_device(&bed);
    assert_eq!(
        card.credentials(),
        ["Amazon Web Services:alice-yubikey@123456789012"]
    );
    let acts = actions(&bed);
    let at = |a: &str| acts.iter().position(|x| x == a).unwrap_or(usize::MAX);
    assert!(at("EnableMFADevice") < at("DeactivateMFADevice"));
    assert!(at("DeactivateMFADevice") < at("DeleteVirtualMFADevice"));
    let steps: Vec<String> = audit_lines(&audit)
        .iter()
        .map(|l| l["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(steps, ["create", "put", "enable", "deactivate", "delete"]);
}

#[test]
fn an_endpoint_five_windows_ahead_still_enables_with_windows_planned_in_its_time() {
    let _readers = readers();
    let bed = bed_with_bob(|config| config.clock_offset_secs = 150);
    let _card = Card::insert(empty_key(31000008), 0);
    let out = enroll_as_bob(&bed, &[]);
    out.assert_exit(0)
        .assert_stderr("s behind AWS; planning windows in AWS's time");
    let server_now = (unix_now().as_secs() + 150) / 30;
    let (_, c2) = bed
        .log()
        .into_iter()
        .find_map(|e| e.counters.filter(|_| e.action == "EnableMFADevice"))
        .expect("enabled");
    assert!(server_now - c2 <= 1, "the pair is current in AWS's time");
}

#[test]
fn touch_makes_every_code_wait_for_a_touch_and_the_prompts_say_so() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(
        empty_key(31000009).with_touch(TouchPolicy::Delay(Duration::from_millis(200))),
        0,
    );
    let out = enroll_as_bob(&bed, &["--touch"]);
    out.assert_exit(0)
        .assert_stderr("Touch your YubiKey (serial 31000009) for code 1.")
        .assert_stderr(&format!(
            "OATH name: {} (touch required)",
            bob_credential(31000009)
        ));
    let stored = card.card.lock().unwrap().config();
    assert!(
        stored
            .credential(bob_credential(31000009).as_bytes())
            .unwrap()
            .touch
    );
}

#[test]
fn aws_vault_naming_stores_the_credential_under_the_serial_arn() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(empty_key(31000010), 0);
    let device = bob_device(31000010);
    enroll_as_bob(&bed, &["--oath-name", &device])
        .assert_exit(0)
        .assert_stderr(&format!("OATH name: {device}"));
    assert_eq!(card.credentials(), std::slice::from_ref(&device));
    // aws-vault's resync path finds it by that name (two windows on in AWS's time, past the
    // windows the Enable consumed).
    bed.server().set_clock_offset(60);
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .env("YKMAN_OATH_CREDENTIAL_NAME", &device)
        .args(["resync", "--endpoint-url", &bed.url(), "--no-wait", "-v"]);
    bed.run(&mut cmd)
        .assert_exit(0)
        .assert_stderr("YKMAN_OATH_CREDENTIAL_NAME (aws-vault)");
}

#[test]
fn two_keys_get_a_device_each_each_resyncs_only_its_own_and_retiring_one_leaves_the_other() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let first = Card::insert(empty_key(31000011), 0);
    let second = Card::insert(empty_key(31000012), 1);
    let (one, two) = (bob_device(31000011), bob_device(31000012));
    let (cred_one, cred_two) = (bob_credential(31000011), bob_credential(31000012));
    let out = enroll_as_bob(&bed, &["--device", "31000011", "--device", "31000012"]);
    out.assert_exit(0)
        .assert_stderr("Enrolled 2 devices for user bob, one for each key:")
        .assert_stderr(&format!("  {one} on 31000011 (primary), OATH name {cred_one}"))
        .assert_stderr(&format!("  {two} on 31000012 (backup), OATH name {cred_two}"))
        .assert_stderr(&format!(
            "mfa_serial for an AWS CLI or aws-vault profile: {one} (the primary key's; each key resyncs its own device)"
        ));
    let mut devices = devices_of(&bed, "bob");
    devices.sort();
    assert_eq!(devices, [one.clone(), two.clone()]);
    assert_eq!(first.credentials(), std::slice::from_ref(&cred_one));
    assert_eq!(second.credentials(), std::slice::from_ref(&cred_two));
    assert_eq!(secret_on(&first, &cred_one), seed_of(&bed, &one));
    assert_eq!(secret_on(&second, &cred_two), seed_of(&bed, &two));
    assert_ne!(seed_of(&bed, &one), seed_of(&bed, &two), "a seed each");
    assert_no_orphan_device(&bed);

    // Two windows on in AWS's time, past the pairs the Enables consumed.
    bed.server().set_clock_offset(60);
    let resync = |serial: &str, reader: &str, account: &str| {
        let mut cmd = bed.command();
        cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
            .env("AWS_SECRET_ACCESS_KEY", BOB.1)
            .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"])
            .args([
                "--serial-number",
                serial,
                "--reader",
                reader,
                "--account",
                account,
            ]);
        bed.run(&mut cmd)
    };
    // The second key's codes are not the first device's.
    resync(&one, READER_1, &cred_two).assert_exit(5);
    // Two windows on again: the refused pair's windows are spent for this device too (this machine
    // cannot tell what AWS made of them), and a test does not wait for them.
    bed.skip_windows(2);
    resync(&one, READER_0, &cred_one).assert_exit(0);

    // The second key is lost: retired by its serial, with its credential (the key is here).
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY)
        .args(["retire", "--endpoint-url", &bed.url()])
        .args(["--user-name", "bob", "--device", "31000012"]);
    bed.run(&mut cmd)
        .assert_exit(0)
        .assert_stderr(&format!(
            "Retired {two} of user bob: deactivated and deleted."
        ))
        .assert_stderr(&format!(
            "Credential deleted: {cred_two} on YubiKey 31000012"
        ));
    assert_eq!(devices_of(&bed, "bob"), std::slice::from_ref(&one));
    assert!(bed.server().state().device(&two).is_none());
    assert!(second.credentials().is_empty());
    assert_no_orphan_device(&bed);
    // The first key still resyncs its own device, two windows on again.
    bed.skip_windows(2);
    resync(&one, READER_0, &cred_one).assert_exit(0);
}

#[test]
fn a_resync_right_after_the_enrolment_plans_past_the_windows_the_enable_used() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let _card = Card::insert(empty_key(31000011), 0);
    enroll_as_bob(&bed, &[]).assert_exit(0);
    let device = bob_device(31000011);
    let (_, enabled) = bed
        .log()
        .into_iter()
        .find(|e| e.action == "EnableMFADevice")
        .and_then(|e| e.counters)
        .expect("an accepted Enable");
    // AWS a few seconds before the end of the window after the Enable's code 2: a pair of the
    // current window and the one before would reuse the Enable's (and be refused).
    bed.steer();
    if bed.counter_now() == enabled {
        bed.skip_windows(1);
    }
    assert_eq!(bed.counter_now(), enabled + 1);
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .args(["resync", "--endpoint-url", &bed.url()])
        .args(["--device", "31000011", "--no-wait"]);
    bed.run(&mut cmd)
        .assert_exit(0)
        .assert_stderr("This device's last pair from this machine went out at");
    let resync = bed
        .resync_requests()
        .into_iter()
        .find(|e| e.params.get("SerialNumber") == Some(&device))
        .expect("a resync");
    assert_eq!(resync.counters, Some((enabled + 1, enabled + 2)));
}
