//! `resync --batch`: many tokens, one window.

use testbed::iam_local::{
    ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, Device, User, random_seed_base32, totp,
};
use testbed::virtual_yubikey::{CardConfig, CredentialConfig};

use crate::util::{Bed, Card, readers, write_private};

/// A help desk's credentials: they may act on any user.
const DESK: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID),
    ("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY),
];

/// A bed with `n` more users `u1…un`, each with a virtual device; returns their seeds.
fn bed_with_users(n: usize) -> (Bed, Vec<String>) {
    let seeds: Vec<String> = (0..n).map(|_| random_seed_base32()).collect();
    let for_state = seeds.clone();
    let bed = Bed::with(move |c| {
        for (i, seed) in for_state.iter().enumerate() {
            let name = format!("u{}", i + 1);
            c.state.users.push(User {
                name: name.clone(),
                path: "/".into(),
                user_id: format!("AIDAU{i}"),
                admin: false,
            });
            c.state.devices.push(Device::totp(
                format!("arn:aws:iam::123456789012:mfa/{name}"),
                Some(&name),
                seed.clone(),
            ));
        }
    });
    (bed, seeds)
}

#[test]
fn fifty_seed_users_share_one_window_and_a_bad_row_stops_nothing() {
    let (bed, seeds) = bed_with_users(50);
    let mut csv = String::from("user,serial,source,seed_file\n");
    for (i, seed) in seeds.iter().enumerate() {
        let file = bed.dir.path().join(format!("seed-u{}", i + 1));
        write_private(&file, seed);
        csv.push_str(&format!(
            "u{0},arn:aws:iam::123456789012:mfa/u{0},seed,{1}\n",
            i + 1,
            file.display()
        ));
    }
    // A row for a user who does not exist: it fails alone.
    csv.push_str(&format!(
        "ghost,arn:aws:iam::123456789012:mfa/ghost,seed,{}\n",
        bed.seed_file.display()
    ));
    let batch = bed.private_file("batch.csv", &csv);
    bed.steer();
    let out = bed.run(
        bed.command()
            .envs(DESK)
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--output",
                "json",
                "--batch",
            ])
            .arg(&batch),
    );
    out.assert_exit(6);
    let report: serde_json::Value =
        serde_json::from_str(out.stdout.trim()).expect("one JSON object");
    assert_eq!(report["Succeeded"], 50);
    assert_eq!(report["Failed"], 1);
    assert_eq!(report["Results"][50]["UserName"], "ghost");
    assert_eq!(report["Results"][50]["ExitCode"], 6);
    let sent: Vec<_> = bed
        .resync_requests()
        .into_iter()
        .filter(|e| e.status == 200)
        .collect();
    assert_eq!(sent.len(), 50);
    // One shared wait: every row's pair is the same two windows.
    let first = sent[0].counters.expect("matched");
    assert!(
        sent.iter().all(|e| e.counters == Some(first)),
        "all rows in one window"
    );
    // And every code is the row's own.
    for entry in &sent {
        let i: usize = entry.params["UserName"][1..].parse().unwrap();
        assert_eq!(
            entry.params["AuthenticationCode1"],
            totp::code_at(&seeds[i - 1], first.0, 6).unwrap()
        );
    }
}

#[test]
fn two_yubikeys_in_one_batch() {
    let _readers = readers();
    let (bed, seeds) = bed_with_users(1);
    let _a = Card::insert(
        CardConfig::new(11111111).with_credential(CredentialConfig::totp_for_account(
            "Amazon Web Services:alice@123456789012",
            &bed.seed,
        )),
        0,
    );
    let _b = Card::insert(
        CardConfig::new(22222222).with_credential(CredentialConfig::totp_for_account(
            "Amazon Web Services:u1@123456789012",
            &seeds[0],
        )),
        1,
    );
    let batch = bed.private_file(
        "batch.jsonl",
        "{\"UserName\": \"alice\", \"Source\": \"yubikey\", \"Device\": 11111111}\n{\"UserName\": \"u1\", \"Device\": 22222222}\n",
    );
    let out = bed.run(
        bed.command()
            .envs(DESK)
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--batch",
            ])
            .arg(&batch),
    );
    out.assert_exit(0);
    assert!(out.stdout.contains("alice"), "{}", out.stdout);
    assert_eq!(out.stdout.matches("resynced").count(), 2, "{}", out.stdout);
    assert_eq!(
        bed.resync_requests()
            .iter()
            .filter(|e| e.status == 200)
            .count(),
        2
    );
}

#[test]
fn a_bad_batch_file_is_refused_before_anything_is_sent() {
    let bed = Bed::new();
    let batch = bed.private_file(
        "bad.csv",
        "user,serial\nalice,arn:aws:iam::123456789012:user/alice\n",
    );
    let out = bed.run(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url(), "--batch"])
            .arg(&batch),
    );
    out.assert_exit(2)
        .assert_stderr("--batch: line 2: --serial-number: is a user's ARN");
    let out = bed.run(
        bed.command()
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--user-name",
                "alice",
                "--batch",
            ])
            .arg(&batch),
    );
    out.assert_exit(2).assert_stderr("cannot be used with");
    assert!(bed.log().is_empty());
}
