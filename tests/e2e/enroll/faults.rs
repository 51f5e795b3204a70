//! The enrolment fault matrix (TESTING.md), each run naming its device `mfa/bob` (names are the
//! journeys' concern): each row a test that checks the exit code and message,
//! and afterwards iam-local's devices and each key's credentials. No row may leave an orphan device
//! or an orphan credential, except where the tool says so and prints the exact commands that
//! remove it (which the test then runs).

use std::time::Duration;

use testbed::iam_local::ADMIN_ACCESS_KEY_ID;
use testbed::iam_local::ADMIN_SECRET_ACCESS_KEY;
use testbed::virtual_yubikey::{CardConfig, CredentialConfig, TouchPolicy};

use super::*;
use crate::util::{Watched, readers};

const OTHER_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// `enroll --device-name bob` as bob, started and watched. The matrix is about faults, not names:
/// its device is `mfa/bob` whatever key it is written to.
pub(super) fn start_as_bob(bed: &Bed, args: &[&str]) -> Watched {
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .arg("enroll")
        .args(["--endpoint-url", &bed.url(), "--device-name", "bob"])
        .args(args);
    Watched::start(&mut cmd)
}

/// The lines of `stderr` that are commands to run (indented under "to finish …, run:").
pub(super) fn printed_commands(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.contains(", run:"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| l.trim().to_string())
        .collect()
}

/// Runs a printed command with the test bed's environment (the refusing `pkill` first on PATH).
fn run_printed(bed: &Bed, command: &str, admin: bool) -> crate::util::Output {
    let mut cmd = bed.command_for("sh");
    cmd.args(["-c", command])
        .env("AWS_PAGER", "")
        .env("AWS_DEFAULT_REGION", "us-east-1");
    if admin {
        cmd.env("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY);
    }
    bed.run(&mut cmd)
}

#[test]
fn create_throttled_once_is_tried_again_and_enrols() {
    let _readers = readers();
    let bed =
        bed_with_bob(|c| c.faults = vec!["throttle-once@CreateVirtualMFADevice".parse().unwrap()]);
    let card = Card::insert(empty_key(32000001), 0);
    enroll_as_bob(&bed, &["--device-name", "bob"])
        .assert_exit(0)
        .assert_stderr("CreateVirtualMFADevice attempt 1 of 3 failed (CreateVirtualMFADevice: Throttling (HTTP 400): Rate exceeded); trying again in 1 s.");
    let creates: Vec<u16> = bed
        .log()
        .iter()
        .filter(|e| e.action == "CreateVirtualMFADevice")
        .map(|e| e.status)
        .collect();
    assert_eq!(creates, [400, 200]);
    assert_eq!(devices_of(&bed, "bob"), [BOB_SERIAL]);
    assert_no_orphan_device(&bed);
    assert_eq!(card.credentials(), [BOB_OATH]);
}

#[test]
fn create_throttled_always_exits_7_with_nothing_made() {
    let _readers = readers();
    let bed = bed_with_bob(|c| {
        c.faults = vec!["throttle-always@CreateVirtualMFADevice".parse().unwrap()]
    });
    let card = Card::insert(empty_key(32000002), 0);
    enroll_as_bob(&bed, &["--device-name", "bob"])
        .assert_exit(7)
        .assert_stderr("error: CreateVirtualMFADevice: Throttling (HTTP 400): Rate exceeded");
    let creates = actions(&bed)
        .iter()
        .filter(|a| *a == "CreateVirtualMFADevice")
        .count();
    assert_eq!(creates, 3);
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
}

#[test]
fn a_device_name_that_is_taken_exits_2_and_writes_no_key() {
    let _readers = readers();
    // alice has mfa/alice: the name is taken.
    let bed = Bed::new();
    let card = Card::insert(empty_key(32000003), 0);
    enroll_as_alice(&bed, &["--device-name", "alice"])
        .assert_exit(2)
        .assert_stderr(
            "error: CreateVirtualMFADevice: MFADevice entity at the same path and name already exists. (EntityAlreadyExists)",
        )
        .assert_stderr("choose another --device-name");
    assert_eq!(
        devices_of(&bed, "alice"),
        [format!("arn:aws:iam::{ACCOUNT}:mfa/alice")]
    );
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
    assert!(
        !actions(&bed).iter().any(|a| a == "DeleteVirtualMFADevice"),
        "alice's device is not touched"
    );
}

#[test]
fn a_full_applet_exits_3_before_anything_is_created() {
    let _readers = readers();
    for (version, capacity) in [("5.4.3", 32), ("5.7.2", 64)] {
        let bed = bed_with_bob(|_| {});
        let mut config = CardConfig::new(32000004);
        config.version = version.into();
        for i in 0..capacity {
            config = config.with_credential(CredentialConfig::totp_with_id(
                &format!("Example:account{i}"),
                OTHER_SEED,
            ));
        }
        let card = Card::insert(config, 0);
        enroll_as_bob(&bed, &["--device-name", "bob"])
            .assert_exit(3)
            .assert_stderr(&format!(
                "error: YubiKey 32000004 holds {capacity} OATH credentials, as many as firmware {version} has room for ({capacity})"
            ));
        assert!(!actions(&bed).iter().any(|a| a == "CreateVirtualMFADevice"));
        assert_no_orphan_device(&bed);
        assert_eq!(card.credentials().len(), capacity);
        drop(card);
    }
}

#[test]
fn a_credential_of_that_name_without_force_exits_3_and_with_force_is_written_over() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(
        empty_key(32000005).with_credential(CredentialConfig::totp_with_id(BOB_OATH, OTHER_SEED)),
        0,
    );
    enroll_as_bob(&bed, &["--device-name", "bob"])
        .assert_exit(3)
        .assert_stderr(&format!(
            "error: YubiKey 32000005 already has a credential named {BOB_OATH:?}"
        ))
        .assert_stderr("pass --force");
    assert!(!actions(&bed).iter().any(|a| a == "CreateVirtualMFADevice"));
    assert_eq!(secret_on(&card, BOB_OATH), OTHER_SEED, "untouched");
    enroll_as_bob(&bed, &["--device-name", "bob", "--force"])
        .assert_exit(0)
        .assert_stderr(&format!(
            "warning: --force: the credential {BOB_OATH:?} on YubiKey 32000005 will be written over"
        ));
    assert_eq!(secret_on(&card, BOB_OATH), seed_of(&bed, BOB_SERIAL));
    assert_eq!(card.credentials(), [BOB_OATH]);
    assert_no_orphan_device(&bed);
}

#[test]
fn a_key_pulled_after_its_put_is_waited_for_and_cleaned_when_put_back() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(empty_key(32000006), 0);
    card.pull_after_put();
    let run = start_as_bob(&bed, &[]);
    run.wait_for(
        "YubiKey 32000006 was pulled out: put it back within 30 s",
        Duration::from_secs(30),
    );
    assert!(card.is_out());
    assert_eq!(card.credentials(), [BOB_OATH], "written before the pull");
    card.put_back();
    let (_, out) = run.finish();
    out.assert_exit(3)
        .assert_stderr("error: YubiKey 32000006 was removed while its codes were read")
        .assert_stderr(&format!(
            "rolled back: deleted the credential {BOB_OATH:?} from YubiKey 32000006"
        ))
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ));
    assert!(card.credentials().is_empty());
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
}

#[test]
fn a_key_pulled_and_not_put_back_leaves_the_ykman_command_that_ends_it_and_exits_10() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(empty_key(32000007), 0);
    card.pull_after_put();
    let out = enroll_as_bob(&bed, &["--device-name", "bob", "--reinsert-wait", "1"]);
    out.assert_exit(10)
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ))
        .assert_stderr(&format!(
            "left: the credential {BOB_OATH:?} on YubiKey 32000007"
        ));
    let commands = printed_commands(&out.stderr);
    assert_eq!(
        commands,
        [format!(
            "ykman --reader 'Virtual PCD 00 00' oath accounts delete '{BOB_OATH}' --force"
        )]
    );
    assert_no_orphan_device(&bed);
    assert_eq!(card.credentials(), [BOB_OATH], "left, and said so");
    card.put_back();
    run_printed(&bed, &commands[0], false).assert_exit(0);
    assert!(
        card.credentials().is_empty(),
        "the printed command finished the rollback"
    );
}

#[test]
fn enable_refused_by_a_clock_that_moved_five_windows_rolls_everything_back() {
    let _readers = readers();
    let bed =
        bed_with_bob(|c| c.faults = vec!["delay=1500@CreateVirtualMFADevice".parse().unwrap()]);
    let card = Card::insert(empty_key(32000008), 0);
    let run = start_as_bob(&bed, &[]);
    run.wait_for("Endpoint for IAM and STS", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    // The skew was measured at the start; AWS's clock now runs five windows ahead.
    bed.server().set_clock_offset(150);
    let (_, out) = run.finish();
    out.assert_exit(5)
        .assert_stderr(&format!("error: AWS refused the codes for {BOB_SERIAL}"))
        .assert_stderr("rolled back: deleted the credential")
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ))
        .assert_stderr("the keys' codes matched the seed AWS had just returned");
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
}

#[test]
fn enable_500_after_it_took_effect_is_found_enabled_and_kept() {
    let _readers = readers();
    let bed = bed_with_bob(|c| c.faults = vec!["500-after-once@EnableMFADevice".parse().unwrap()]);
    let card = Card::insert(empty_key(32000009), 0);
    enroll_as_bob(&bed, &["--device-name", "bob"])
        .assert_exit(0)
        .assert_stderr(&format!(
            "EnableMFADevice answered ServiceFailure, but ListMFADevices shows {BOB_SERIAL} enabled for bob: it took effect."
        ));
    let acts = actions(&bed);
    let enable = acts.iter().position(|a| a == "EnableMFADevice").unwrap();
    assert_eq!(
        acts[enable + 1],
        "ListMFADevices",
        "checked, not retried: {acts:?}"
    );
    assert!(
        !acts
            .iter()
            .any(|a| a == "DeactivateMFADevice" || a == "DeleteVirtualMFADevice")
    );
    assert_eq!(devices_of(&bed, "bob"), [BOB_SERIAL]);
    assert_no_orphan_device(&bed);
    assert_eq!(card.credentials(), [BOB_OATH]);
}

#[test]
fn ctrl_c_while_waiting_for_a_touch_after_the_create_rolls_back_and_exits_130() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(
        empty_key(32000010).with_touch(TouchPolicy::Delay(Duration::from_secs(3))),
        0,
    );
    let run = start_as_bob(&bed, &["--touch"]);
    run.wait_for(
        "Touch your YubiKey (serial 32000010) for code 1.",
        Duration::from_secs(20),
    );
    run.signal("INT");
    let (_, out) = run.finish();
    out.assert_exit(130)
        .assert_stderr("error: interrupted; nothing was sent")
        .assert_stderr("rolled back: deleted the credential")
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ));
    assert!(!actions(&bed).iter().any(|a| a == "EnableMFADevice"));
    assert!(devices_of(&bed, "bob").is_empty());
    assert_no_orphan_device(&bed);
    assert!(card.credentials().is_empty());
}

#[test]
fn ctrl_c_while_the_create_is_in_flight_lets_it_finish_then_deletes_the_device() {
    let _readers = readers();
    let bed =
        bed_with_bob(|c| c.faults = vec!["delay=2000@CreateVirtualMFADevice".parse().unwrap()]);
    let card = Card::insert(empty_key(32000011), 0);
    let run = start_as_bob(&bed, &[]);
    run.wait_for("Endpoint for IAM and STS", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(800));
    run.signal("INT");
    let (_, out) = run.finish();
    out.assert_exit(130)
        .assert_stderr(&format!("Created the virtual MFA device {BOB_SERIAL}."))
        .assert_stderr(&format!(
            "rolled back: deleted the virtual MFA device {BOB_SERIAL}"
        ));
    let acts = actions(&bed);
    assert_eq!(
        &acts[acts.len() - 2..],
        ["CreateVirtualMFADevice", "DeleteVirtualMFADevice"]
    );
    assert_no_orphan_device(&bed);
    assert!(
        card.credentials().is_empty(),
        "no key is written after Ctrl-C"
    );
}

#[test]
fn a_rollback_whose_delete_is_refused_prints_the_command_and_exits_10() {
    let _readers = readers();
    let bed = bed_with_bob(|c| {
        c.state = c
            .state
            .clone()
            .deny("bob", "EnableMFADevice")
            .deny("bob", "DeleteVirtualMFADevice");
    });
    let card = Card::insert(empty_key(32000012), 0);
    let out = enroll_as_bob(&bed, &["--device-name", "bob"]);
    out.assert_exit(10)
        .assert_stderr("error: access denied (AccessDenied)")
        .assert_stderr(&format!(
            "rolled back: deleted the credential {BOB_OATH:?} from YubiKey 32000012"
        ))
        .assert_stderr(&format!(
            "left: the virtual MFA device {BOB_SERIAL} (unassigned) could not be deleted"
        ));
    let commands = printed_commands(&out.stderr);
    assert_eq!(
        commands,
        [format!(
            "aws iam delete-virtual-mfa-device --serial-number {BOB_SERIAL} --endpoint-url {}",
            bed.url()
        )]
    );
    assert!(card.credentials().is_empty());
    let orphans: Vec<String> = bed
        .server()
        .state()
        .unassigned_devices()
        .iter()
        .map(|d| d.serial.clone())
        .collect();
    assert_eq!(
        orphans,
        [BOB_SERIAL],
        "the one device left is the one reported"
    );
    // The printed command, run by someone allowed to, finishes the rollback (with the AWS CLI v2
    // that scripts/bench installs, when this machine has it).
    let cli = std::path::Path::new("/usr/bin/aws");
    if cli.exists() {
        let command = commands[0].replacen("aws ", "/usr/bin/aws ", 1);
        run_printed(&bed, &command, true).assert_exit(0);
        assert_no_orphan_device(&bed);
    } else {
        eprintln!("no /usr/bin/aws: the printed command was checked, not run");
    }
}

#[test]
fn replace_with_deactivation_refused_keeps_the_new_device_prints_the_commands_and_exits_9() {
    let _readers = readers();
    let bed = Bed::with(|c| c.state = c.state.clone().deny("alice", "DeactivateMFADevice"));
    let card = Card::insert(empty_key(32000013), 0);
    let old = format!("arn:aws:iam::{ACCOUNT}:mfa/alice");
    let new = format!("arn:aws:iam::{ACCOUNT}:mfa/alice-yubikey");
    let out = enroll_as_alice(
        &bed,
        &[
            "--device-name",
            "alice-yubikey",
            "--replace",
            &old,
            "--output",
            "json",
        ],
    );
    out.assert_exit(9)
        .assert_stderr(&format!(
            "error: enrolled, but {old} was not replaced: access denied (AccessDenied)"
        ))
        .assert_stderr("only in a session signed in with MFA");
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("the report on stdout");
    assert_eq!(json["SerialNumber"], new);
    assert_eq!(json["Replaced"], false);
    assert_eq!(json["ReplacedSerialNumber"], old);
    assert_eq!(
        printed_commands(&out.stderr),
        [
            format!(
                "aws iam deactivate-mfa-device --user-name alice --serial-number {old} --endpoint-url {}",
                bed.url()
            ),
            format!(
                "aws iam delete-virtual-mfa-device --serial-number {old} --endpoint-url {}",
                bed.url()
            ),
        ]
    );
    let mut kept = devices_of(&bed, "alice");
    kept.sort();
    assert_eq!(kept, [old, new], "the new device works, the old one stays");
    assert_no_orphan_device(&bed);
    assert_eq!(
        card.credentials(),
        ["Amazon Web Services:alice-yubikey@123456789012"]
    );
}

#[test]
fn several_keys_and_none_named_is_an_error_that_lists_them_before_any_request() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let first = Card::insert(empty_key(32000014), 0);
    let second = Card::insert(empty_key(32000015), 1);
    enroll_as_bob(&bed, &["--device-name", "bob"])
        .assert_exit(3)
        .assert_stderr(
            "2 YubiKeys are attached: 32000014 (Virtual PCD 00 00); 32000015 (Virtual PCD 00 01)",
        )
        .assert_stderr("choose one with --device SERIAL");
    enroll_as_bob(&bed, &["--device-name", "bob", "--device", "32000016"])
        .assert_exit(3)
        .assert_stderr("no YubiKey with serial 32000016 is attached");
    assert!(bed.log().is_empty(), "no request: {:?}", actions(&bed));
    assert!(first.credentials().is_empty() && second.credentials().is_empty());
}

#[test]
fn a_password_protected_key_is_unlocked_with_its_password_and_refused_without_it() {
    let _readers = readers();
    let bed = bed_with_bob(|_| {});
    let card = Card::insert(empty_key(32000017).with_password("correct horse"), 0);
    enroll_as_bob(&bed, &["--device-name", "bob"])
        .assert_exit(3)
        .assert_stderr("the OATH application of YubiKey 32000017 is password-protected");
    assert!(
        bed.log().is_empty(),
        "no request before the key is unlocked"
    );
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .env("MFA_RESYNC_OATH_PASSWORD", "correct horse")
        .args(["enroll", "--endpoint-url", &bed.url()]);
    let out = bed.run(&mut cmd);
    out.assert_exit(0);
    assert!(
        !out.all().contains("correct horse"),
        "the password is never shown"
    );
    assert_eq!(card.credentials(), [bob_credential(32000017)]);
    assert_eq!(devices_of(&bed, "bob"), [bob_device(32000017)]);
}
