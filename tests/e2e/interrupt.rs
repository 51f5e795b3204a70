//! Ctrl-C tells the truth: after a pair was sent the report says how many
//! went out and how many AWS accepted, and a `--batch` still prints its table. Exit 130 either way.

use std::str::FromStr;
use std::time::Duration;

use testbed::iam_local::{
    ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, Device, Fault, User, random_seed_base32,
};

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
        c.state.devices.push(Device {
            serial: "arn:aws:iam::123456789012:mfa/u1".into(),
            user: Some("u1".into()),
            seed_base32: for_state,
            period: 30,
            digits: 6,
            last_counter: None,
            enable_date: None,
        });
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
