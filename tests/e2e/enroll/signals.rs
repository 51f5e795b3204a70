//! The enrolment fault matrix's stops (TESTING.md): SIGTERM, SIGHUP and SIGQUIT at each step, a
//! closed stderr, a key that never answers, a Deactivate that is denied after the Enable, and an
//! answer that names another device. Each ends in one of the two states a user can live with,
//! checked in iam-local and on the key afterwards: nothing new (no device, no credential), or the
//! new device enabled with its seed on the key and in the backup file. A third only where a key or
//! AWS cannot be reached: exit 10 and the exact commands that finish the job.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use testbed::virtual_yubikey::TouchPolicy;

use super::faults::{printed_commands, start_as_bob};
use super::*;
use crate::util::readers;

/// The seed's backup file in a private directory of the test's.
fn backup_path(bed: &Bed) -> String {
    private_dir(bed).join("bob-seed.txt").display().to_string()
}

#[test]
fn sigterm_while_the_enable_is_in_flight_lets_it_finish_then_rolls_everything_back() {
    let _readers = readers();
    let bed = bed_with_bob(|c| c.faults = vec!["delay=2000@EnableMFADevice".parse().unwrap()]);
    let card = Card::insert(empty_key(32000020), 0);
    let backup = backup_path(&bed);
    let run = start_as_bob(&bed, &["--backup-seed-file", &backup]);
    run.wait_for("Code 2 read", Duration::from_secs(20));
    run.signal("TERM");
    let (_, out) = run.finish();
    out.assert_exit(130)
        .assert_stderr(
            "stopped while the pair was with AWS: it was let finish, and AWS accepted it",
        )
        .assert_stderr("error: interrupted by SIGTERM after 1 pair was sent (1 accepted)")
        .assert_stderr(&format!("rolled back: deactivated {BOB_SERIAL}"))
        .assert_stderr(&format!("rolled back: deleted the credential {BOB_OATH:?}"))
        .assert_stderr("rolled back: removed the seed's backup file")
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ));
    assert!(!out.stderr.contains("nothing was sent"), "{}", out.stderr);
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
    assert!(!Path::new(&backup).exists());
}

#[test]
fn a_stop_after_the_enable_with_deactivation_denied_keeps_every_copy_of_the_seed_and_exits_10() {
    let _readers = readers();
    let bed = bed_with_bob(|c| {
        c.faults = vec!["delay=2000@EnableMFADevice".parse().unwrap()];
        c.state = c.state.clone().deny("bob", "DeactivateMFADevice");
    });
    let card = Card::insert(empty_key(32000021), 0);
    let backup = backup_path(&bed);
    let run = start_as_bob(&bed, &["--backup-seed-file", &backup]);
    run.wait_for("Code 2 read", Duration::from_secs(20));
    run.signal("HUP");
    let (_, out) = run.finish();
    out.assert_exit(10)
        .assert_stderr("error: interrupted by SIGHUP after 1 pair was sent (1 accepted)")
        .assert_stderr(&format!(
            "left: {BOB_SERIAL} is still enabled for bob (access denied (AccessDenied)"
        ))
        .assert_stderr(&format!(
            "kept: the credential {BOB_OATH:?} on YubiKey 32000021, which holds the seed"
        ))
        .assert_stderr(&format!("kept: the seed's backup file {backup}"))
        .assert_stderr("hint: the device works as it is");
    assert!(!out.stderr.contains("rolled back: deleted the credential"));
    // The device works, and its seed is where the user asked for it.
    assert_eq!(devices_of(&bed, "bob"), [BOB_SERIAL]);
    let seed = seed_of(&bed, BOB_SERIAL);
    assert_eq!(secret_on(&card, BOB_OATH), seed);
    assert_eq!(read_backup(Path::new(&backup)), seed);
    // The commands that remove it, for someone allowed to: deactivate, delete, then the copies.
    let commands = printed_commands(&out.stderr);
    assert_eq!(commands.len(), 4, "{commands:?}");
    assert!(commands[0].starts_with("aws iam deactivate-mfa-device --user-name bob"));
    assert!(commands[1].starts_with("aws iam delete-virtual-mfa-device"));
    assert!(commands[2].starts_with("ykman --reader 'Virtual PCD 00 00' oath accounts delete"));
    assert!(commands[3].contains("bob-seed.txt"), "{}", commands[3]);
}

#[test]
fn sighup_at_the_touch_prompt_rolls_back_and_says_nothing_was_sent() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(
        empty_key(32000022).with_touch(TouchPolicy::Delay(Duration::from_secs(3))),
        0,
    );
    let backup = backup_path(&bed);
    let run = start_as_bob(&bed, &["--touch", "--backup-seed-file", &backup]);
    run.wait_for(
        "Touch your YubiKey (serial 32000022) for code 1.",
        Duration::from_secs(20),
    );
    run.signal("HUP");
    let (_, out) = run.finish();
    out.assert_exit(130)
        .assert_stderr("error: interrupted by SIGHUP; nothing was sent")
        .assert_stderr("rolled back: deleted the credential")
        .assert_stderr("rolled back: removed the seed's backup file");
    assert!(!actions(&bed).iter().any(|a| a == "EnableMFADevice"));
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
    assert!(!Path::new(&backup).exists());
}

#[test]
fn sigquit_while_the_create_is_in_flight_lets_it_finish_then_deletes_the_device() {
    let _readers = readers();
    let bed =
        bed_with_bob(|c| c.faults = vec!["delay=2000@CreateVirtualMFADevice".parse().unwrap()]);
    let card = Card::insert(empty_key(32000023), 0);
    let run = start_as_bob(&bed, &[]);
    run.wait_for("Endpoint for IAM and STS", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(800));
    run.signal("QUIT");
    let (status, out) = run.finish();
    assert_eq!(status.code(), Some(130), "no core, no death by the signal");
    out.assert_stderr("error: interrupted by SIGQUIT; nothing was sent")
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ));
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
}

#[test]
fn sigterm_while_a_key_waits_for_a_touch_that_never_comes_ends_within_20_s() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(
        empty_key(32000024).with_touch(TouchPolicy::Deny {
            after: Duration::from_secs(25),
        }),
        0,
    );
    let run = start_as_bob(&bed, &["--touch"]);
    run.wait_for(
        "Touch your YubiKey (serial 32000024) for code 1.",
        Duration::from_secs(20),
    );
    let signalled = Instant::now();
    run.signal("TERM");
    let (_, out) = run.finish();
    let took = signalled.elapsed();
    assert!(
        took < Duration::from_secs(20),
        "ended {took:?} after SIGTERM"
    );
    out.assert_exit(10)
        .assert_stderr("error: interrupted by SIGTERM; nothing was sent")
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ))
        .assert_stderr(&format!(
            "left: the credential {BOB_OATH:?} on YubiKey 32000024 (it did not answer within 16 s"
        ));
    assert_eq!(
        printed_commands(&out.stderr),
        [format!(
            "ykman --reader 'Virtual PCD 00 00' oath accounts delete '{BOB_OATH}' --force"
        )]
    );
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert_eq!(card.credentials(), [BOB_OATH], "left, and said so");
}

#[test]
fn a_closed_stderr_stops_the_enrolment_and_rolls_it_back_without_a_panic() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(empty_key(32000025), 0);
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .args(["enroll", "--endpoint-url", &bed.url()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // `enroll … 2>&1 | head -1`: one line read, then the pipe closed.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("Endpoint for IAM and STS"), "{first}");
    drop(stderr);
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "stopped as if interrupted, no panic"
    );
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
}

#[test]
fn a_create_answer_that_names_another_device_is_rolled_back_and_exits_7() {
    let _readers = readers();
    let other = "arn:aws:iam::123456789012:mfa/alice";
    let bed = bed_with_bob(|c| c.create_answers_serial = Some(other.to_string()));
    let card = Card::insert(empty_key(32000026), 0);
    let alice_before = devices_of(&bed, "alice");
    enroll_as_bob(&bed, &["--device-name", "bob"])
        .assert_exit(7)
        .assert_stderr(&format!(
            "CreateVirtualMFADevice answered with the device {other}, not {BOB_SERIAL} that it was asked to create"
        ))
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ));
    let acts = actions(&bed);
    assert!(!acts.iter().any(|a| a == "EnableMFADevice"), "{acts:?}");
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty(), "no seed put on a key");
    assert_eq!(
        devices_of(&bed, "alice"),
        alice_before,
        "alice's devices untouched"
    );
}

#[test]
fn sigterm_while_the_put_is_in_flight_lets_it_land_then_rolls_everything_back() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(empty_key(32000027), 0);
    let run = start_as_bob(&bed, &[]);
    card.signal_at_put(run.pid(), "TERM");
    let (_, out) = run.finish();
    out.assert_exit(130)
        .assert_stderr("error: interrupted by SIGTERM; nothing was sent")
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ))
        .assert_stderr(&format!("rolled back: deleted the credential {BOB_OATH:?}"));
    assert!(!actions(&bed).iter().any(|a| a == "EnableMFADevice"));
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
}

#[test]
fn a_key_pulled_after_the_enable_is_named_with_its_command_once_the_device_is_deactivated() {
    let _readers = readers();
    let bed = bed_with_bob(|c| c.faults = vec!["delay=2000@EnableMFADevice".parse().unwrap()]);
    let card = Card::insert(empty_key(32000028), 0);
    let run = start_as_bob(&bed, &["--reinsert-wait", "1"]);
    run.wait_for("Code 2 read", Duration::from_secs(20));
    // Pulled while the Enable is with AWS, then the run is stopped: the device is enabled.
    card.remove_after(0);
    run.signal("TERM");
    let (_, out) = run.finish();
    out.assert_exit(10)
        .assert_stderr("error: interrupted by SIGTERM after 1 pair was sent (1 accepted)")
        .assert_stderr(&format!("rolled back: deactivated {BOB_SERIAL}"))
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ))
        .assert_stderr(&format!(
            "left: the credential {BOB_OATH:?} on YubiKey 32000028"
        ));
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    let commands = printed_commands(&out.stderr);
    assert_eq!(
        commands,
        [format!(
            "ykman --reader 'Virtual PCD 00 00' oath accounts delete '{BOB_OATH}' --force"
        )]
    );
    card.put_back();
    assert_eq!(card.credentials(), [BOB_OATH], "left, and said so");
}
