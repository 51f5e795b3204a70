//! A stop tells the truth: after a pair was sent the report says how many went out and how many
//! AWS accepted, and a `--batch` still prints its table; SIGINT, SIGTERM, SIGHUP and SIGQUIT mean
//! the same (exit 130, the signal named); a key that waits for a touch never keeps the run from
//! ending; a pair already with AWS is let finish and said so; a closed output is no panic.

use std::str::FromStr;
use std::time::{Duration, Instant};

use testbed::iam_local::{
    ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, Device, Fault, User, random_seed_base32,
};
use testbed::virtual_yubikey::{CardConfig, CredentialConfig, TouchPolicy};

use crate::util::{Bed, Watched, wait_until, write_private};

#[test]
fn ctrl_c_while_waiting_for_attempt_2_says_1_pair_was_sent() {
    let bed = Bed::with(|c| {
        c.faults
            .push(Fault::from_str("500-always@ResyncMFADevice").unwrap())
    });
    let run = Watched::start(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"])
            .arg("--seed-file")
            .arg(&bed.seed_file),
    );
    // Attempt 1 went out and failed; the retry waits for a window whose pair is fresh.
    run.wait_for("Attempt 1 of 3 failed", Duration::from_secs(15));
    std::thread::sleep(Duration::from_millis(300));
    run.signal("INT");
    let (_, out) = run.finish();
    out.assert_exit(130)
        .assert_stderr("error: interrupted after 1 pair was sent (0 accepted)")
        .assert_stderr("check with `aws iam list-mfa-devices`");
    assert!(!out.stderr.contains("nothing was sent"), "{}", out.stderr);
    assert_eq!(bed.resync_requests().len(), 1);
}

#[test]
fn ctrl_c_during_a_batch_prints_the_table_of_what_was_sent() {
    let seed = random_seed_base32();
    let for_state = seed.clone();
    let bed = Bed::with(move |c| {
        c.state.users.push(User {
            name: "u1".into(),
            path: "/".into(),
            user_id: "AIDAU1".into(),
            admin: false,
        });
        c.state.devices.push(Device::totp(
            "arn:aws:iam::123456789012:mfa/u1",
            Some("u1"),
            for_state,
        ));
        // The first submission fails; its row waits for a fresh window while the other is done.
        c.faults
            .push(Fault::from_str("500-once@ResyncMFADevice").unwrap());
    });
    let u1_seed = bed.dir.path().join("seed-u1");
    write_private(&u1_seed, &seed);
    let batch = bed.private_file(
        "batch.csv",
        &format!(
            "user,serial,source,seed_file\nalice,arn:aws:iam::123456789012:mfa/alice,seed,{}\nu1,arn:aws:iam::123456789012:mfa/u1,seed,{}\n",
            bed.seed_file.display(),
            u1_seed.display()
        ),
    );
    let run = Watched::start(
        bed.command()
            .env("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY)
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--batch",
            ])
            .arg(&batch),
    );
    wait_until(
        "both rows sent their first pair",
        Duration::from_secs(15),
        || bed.resync_requests().len() == 2,
    );
    std::thread::sleep(Duration::from_millis(300));
    run.signal("INT");
    let (_, out) = run.finish();
    out.assert_exit(130)
        .assert_stderr("error: interrupted after 2 pairs were sent (1 accepted)");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 2, "no retry went out");
    let accepted = sent.iter().find(|e| e.status == 200).expect("one accepted");
    let user = &accepted.params["UserName"];
    let resynced = out
        .stdout
        .lines()
        .find(|l| l.contains(user.as_str()))
        .expect("the accepted row is in the table");
    assert!(resynced.ends_with("resynced"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("failed (exit 130): interrupted after 1 pair was sent (0 accepted)"),
        "{}",
        out.stdout
    );
}

#[test]
fn sigint_while_a_key_waits_for_a_touch_ends_the_resync_at_once() {
    // The key blinks for 12 s: the run must not wait for it to give up.
    let _readers = crate::util::readers();
    let bed = Bed::new();
    let mut account =
        CredentialConfig::totp_for_account("Amazon Web Services:alice@123456789012", &bed.seed);
    account.touch = true;
    let config = CardConfig::new(24681360)
        .with_credential(account)
        .with_touch(TouchPolicy::Deny {
            after: Duration::from_secs(12),
        });
    let _card = crate::util::Card::insert(config, 0);
    let run =
        Watched::start(
            bed.command()
                .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"]),
        );
    run.wait_for(
        "Touch your YubiKey (serial 24681360) for code 1.",
        Duration::from_secs(15),
    );
    let signalled = Instant::now();
    run.signal("INT");
    let (_, out) = run.finish();
    let took = signalled.elapsed();
    out.assert_exit(130)
        .assert_stderr("error: interrupted; nothing was sent");
    assert!(took < Duration::from_secs(3), "ended {took:?} after Ctrl-C");
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn sighup_during_the_wait_for_code_2_sends_nothing_and_names_the_signal() {
    let bed = Bed::new();
    bed.steer();
    let run = Watched::start(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url()])
            .arg("--seed-file")
            .arg(&bed.seed_file),
    );
    run.wait_for("Code 1 read", Duration::from_secs(10));
    run.signal("HUP");
    let (status, out) = run.finish();
    assert_eq!(status.code(), Some(130), "handled, not died of it");
    out.assert_stderr("error: interrupted by SIGHUP; nothing was sent");
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn sigterm_while_the_pair_is_with_aws_lets_it_finish_and_says_so() {
    let bed = Bed::with(|c| {
        c.faults
            .push(Fault::from_str("delay=2000@ResyncMFADevice").unwrap())
    });
    let run = Watched::start(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"])
            .arg("--seed-file")
            .arg(&bed.seed_file),
    );
    run.wait_for("Code 2 read", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    run.signal("TERM");
    let (_, out) = run.finish();
    out.assert_exit(0).assert_stderr(
        "warning: stopped while the pair was with AWS: it was let finish, and AWS accepted it",
    );
    assert_eq!(bed.resync_requests().len(), 1);
}

#[test]
fn a_closed_stdout_is_no_panic() {
    // `mfa-resync completions bash | head -0`: the script finds the pipe closed. clap_complete
    // panics on a write that fails; the tool writes the script itself, and ends quietly.
    let bed = Bed::new();
    let mut child = bed
        .command()
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
