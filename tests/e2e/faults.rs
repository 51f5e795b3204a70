//! The fault matrix, end to end: each row is one failure of AWS, the network or the device,
//! injected into a real run of the built binary, and each test asserts the exit code, the message
//! (problem and hint lines) and iam-local's request log, which proves what was and was not sent.
//!
//! Rows already covered elsewhere are not repeated here (TESTING.md names them all):
//! `resync::a_500_once_is_retried_with_a_fresh_non_overlapping_pair`,
//! `resync::throttling_once_is_retried`,
//! `resync::a_signature_made_with_the_wrong_secret_exits_4_before_any_code_is_read`,
//! `resync::another_users_device_is_access_denied_exit_4`, `resync::unknown_user_or_device_exits_6`,
//! `resync::wrong_codes_exit_5`, `resync::ctrl_c_during_the_wait_exits_130_and_sends_nothing`,
//! `yubikey::the_key_removed_between_the_two_codes_exits_3_with_nothing_sent` and
//! `yubikey::touch_denied_exits_3_and_sends_nothing`.
//!
//! A retry after a transient failure waits for a fresh window: these tests start with AWS's clock
//! a few seconds before a boundary (`Bed::steer`), so the retry's wait is about one window.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::str::FromStr;
use std::time::{Duration, Instant};

use testbed::iam_local::{AccessKey, Fault, LogEntry, Principal};
use testbed::virtual_yubikey::{CardConfig, CredentialConfig, TouchPolicy};

use crate::util::{Bed, Card, Output, READER_0, counter_now, readers, unix_now};

const AWS_ACCOUNT: &str = "Amazon Web Services:alice@123456789012";

fn fault(spec: &str) -> Fault {
    Fault::from_str(spec).expect("a valid fault")
}

/// The actions iam-local saw, in the order they finished.
fn actions(bed: &Bed) -> Vec<String> {
    bed.log().into_iter().map(|e| e.action).collect()
}

/// The counters `(c, c + 1)` of a pair that was sent, from the server's match when it accepted
/// the pair, else rebuilt from the codes (the server never processed a throttled or dropped one).
#[track_caller]
fn counters_of(bed: &Bed, entry: &LogEntry) -> (u64, u64) {
    if let Some(counters) = entry.counters {
        return counters;
    }
    let (code1, code2) = (
        &entry.params["AuthenticationCode1"],
        &entry.params["AuthenticationCode2"],
    );
    let now = bed.counter_now();
    let c = (now - 8..=now + 1)
        .find(|&c| bed.code_at(c) == *code1 && bed.code_at(c + 1) == *code2)
        .unwrap_or_else(|| panic!("the pair sent in {} was not consecutive", entry.request_id));
    (c, c + 1)
}

/// Every pair consecutive, each past the one before: no counter is ever sent twice.
#[track_caller]
fn assert_fresh_pairs(pairs: &[(u64, u64)]) {
    for &(c1, c2) in pairs {
        assert_eq!(c2, c1 + 1, "a consecutive pair: {pairs:?}");
    }
    for w in pairs.windows(2) {
        assert!(
            w[1].0 > w[0].1,
            "each retry's pair lies past the one before: {pairs:?}"
        );
    }
}

/// A YubiKey holding the demo device's seed, as AWS's QR code would have put it there.
fn key_for(bed: &Bed, serial: u32) -> CardConfig {
    CardConfig::new(serial)
        .with_credential(CredentialConfig::totp_for_account(AWS_ACCOUNT, &bed.seed))
}

#[test]
fn throttling_always_exits_7_after_max_attempts_each_with_a_fresh_pair() {
    let bed = Bed::with(|c| c.faults.push(fault("throttle-always@ResyncMFADevice")));
    // A retry waits for a fresh window: AWS's clock a few seconds before a boundary.
    bed.steer();
    let out = bed.resync(&[
        "--no-wait",
        "--max-attempts",
        "2",
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
    ]);
    out.assert_exit(7)
        .assert_stderr("Attempt 1 of 2 failed (ResyncMFADevice: Throttling (HTTP 400): Rate exceeded); the pair may have been seen, so reading a fresh one.")
        .assert_stderr("error: ResyncMFADevice: Throttling (HTTP 400): Rate exceeded (after 2 attempts, each with a fresh pair)\n  hint: AWS did not accept any pair in time: wait a minute and run again (--max-attempts raises the tries)");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 2, "exactly --max-attempts pairs");
    for entry in &sent {
        assert_eq!(
            (entry.status, entry.error_code.as_deref()),
            (400, Some("Throttling"))
        );
        assert_eq!(entry.counters, None, "a throttled request is not processed");
    }
    let pairs: Vec<_> = sent.iter().map(|e| counters_of(&bed, e)).collect();
    assert_fresh_pairs(&pairs);
}

#[test]
fn an_answer_slower_than_the_read_timeout_is_retried_past_the_pair_the_server_took() {
    // The server still handles the delayed request after the client gave up: the first pair is
    // consumed, so only a retry whose counters lie past it can succeed.
    let bed = Bed::with(|c| c.faults.push(fault("delay=3000-once@ResyncMFADevice")));
    // A retry waits for a fresh window: AWS's clock a few seconds before a boundary.
    bed.steer();
    let out = bed.resync(&[
        "--no-wait",
        "--cli-read-timeout",
        "1",
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
    ]);
    out.assert_exit(0)
        .assert_stderr("Attempt 1 of 3 failed (ResyncMFADevice: no answer in time); the pair may have been seen, so reading a fresh one.")
        .assert_stderr("on attempt 2");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 2);
    let delayed = sent
        .iter()
        .find(|e| e.fault.as_deref() == Some("delay=3000-once@ResyncMFADevice"))
        .expect("the delayed request is logged");
    let retry = sent
        .iter()
        .find(|e| e.fault.is_none())
        .expect("the retry is logged");
    assert_eq!(delayed.status, 200, "the server took the first pair");
    assert!(delayed.counters.is_some(), "and burned its counters");
    assert_eq!(retry.status, 200);
    assert_fresh_pairs(&[counters_of(&bed, delayed), counters_of(&bed, retry)]);
}

#[test]
fn a_connection_dropped_mid_request_is_retried_with_a_fresh_pair() {
    let bed = Bed::with(|c| c.faults.push(fault("drop-once@ResyncMFADevice")));
    // A retry waits for a fresh window: AWS's clock a few seconds before a boundary.
    bed.steer();
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0)
        .assert_stderr("Attempt 1 of 3 failed (ResyncMFADevice: the request failed (connection closed before message completed)); the pair may have been seen, so reading a fresh one.")
        .assert_stderr("on attempt 2");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].fault.as_deref(), Some("drop-once@ResyncMFADevice"));
    assert_eq!(sent[0].status, 0, "no answer was sent");
    assert_eq!(
        sent[0].counters, None,
        "the dropped request was not processed"
    );
    assert_eq!(sent[1].status, 200);
    assert_fresh_pairs(&[counters_of(&bed, &sent[0]), counters_of(&bed, &sent[1])]);
}

#[test]
fn a_500_after_the_server_took_the_pair_is_retried_past_it() {
    // A server that commits, then fails: the first pair is burned, and a retry that overlapped it
    // would be refused as a reused code.
    let bed = Bed::with(|c| c.faults.push(fault("500-after-once@ResyncMFADevice")));
    // A retry waits for a fresh window: AWS's clock a few seconds before a boundary.
    bed.steer();
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0)
        .assert_stderr(
            "Attempt 1 of 3 failed (ResyncMFADevice: ServiceFailure (HTTP 500): Service failure)",
        )
        .assert_stderr("on attempt 2");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].status, sent[0].error_code.as_deref()),
        (500, Some("ServiceFailure"))
    );
    assert!(sent[0].counters.is_some(), "the server took the first pair");
    assert_eq!(sent[1].status, 200);
    assert_fresh_pairs(&[counters_of(&bed, &sent[0]), counters_of(&bed, &sent[1])]);
}

#[test]
fn an_endpoint_that_is_down_exits_7_before_any_code_is_read() {
    let bed = Bed::new();
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let started = Instant::now();
    let out = bed.run(
        bed.command()
            .args([
                "resync",
                "--endpoint-url",
                &format!("http://127.0.0.1:{closed}"),
                "--no-wait",
                "--seed-file",
            ])
            .arg(&bed.seed_file),
    );
    out.assert_exit(7)
        .assert_stderr("error: GetCallerIdentity: could not connect to the endpoint (")
        .assert_stderr("Connection refused")
        .assert_stderr(&format!("the endpoint URL was \"http://127.0.0.1:{closed}/\""))
        .assert_stderr("\n  hint: no connection opened, so AWS never saw a pair: check the network, the endpoint URL above (--endpoint-url, the region), then run again");
    assert!(
        !out.stderr.contains("Code 1 read"),
        "the caller's identity is asked before any code is read\n{}",
        out.stderr
    );
    assert!(!out.stderr.contains("attempts"), "no pair was sent");
    assert!(bed.log().is_empty(), "nothing reached any endpoint");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the SDK's own retries of GetCallerIdentity are short: {:?}",
        started.elapsed()
    );
}

#[test]
fn an_expired_session_token_exits_4_with_the_refresh_hint() {
    let bed = Bed::with(|c| {
        c.state.access_keys.push(AccessKey {
            id: "ASIAEXPIREDEXAMPLE01".into(),
            secret: "expired-secret".into(),
            session_token: Some("expired-token".into()),
            expired: true,
            principal: Principal::User("alice".into()),
        })
    });
    let out = bed.run(
        bed.command()
            .env("AWS_ACCESS_KEY_ID", "ASIAEXPIREDEXAMPLE01")
            .env("AWS_SECRET_ACCESS_KEY", "expired-secret")
            .env("AWS_SESSION_TOKEN", "expired-token")
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--seed-file",
            ])
            .arg(&bed.seed_file),
    );
    out.assert_exit(4).assert_stderr(
        "error: AWS refused the credentials (ExpiredToken): The security token included in the request is expired\n  hint: the credentials have expired: refresh them (e.g. `aws sso login`) and run again",
    );
    assert!(!out.stderr.contains("Code 1 read"), "{}", out.stderr);
    let log = bed.log();
    assert_eq!(
        log.iter()
            .map(|e| (
                e.action.as_str(),
                e.access_key_id.as_deref(),
                e.status,
                e.error_code.as_deref()
            ))
            .collect::<Vec<_>>(),
        [(
            "GetCallerIdentity",
            Some("ASIAEXPIREDEXAMPLE01"),
            403,
            Some("ExpiredToken")
        )],
        "one refused identity call, and no ResyncMFADevice"
    );
}

#[test]
fn the_yubikey_removed_before_code_1_exits_3_with_nothing_sent() {
    let _readers = readers();
    let bed = Bed::new();
    // Learn how many commands a `codes --no-wait` takes (the same reads as a resync), then remove
    // the card at the last but one: code 1's CALCULATE. The fewer of two runs: a run that
    // straddles a window boundary reads a fresh pair, two commands more.
    let card = Card::insert(key_for(&bed, 90123456), 0);
    let mut per_run = u64::MAX;
    for _ in 0..2 {
        let before = card.apdus();
        bed.run(bed.command().args(["codes", "--no-wait"]))
            .assert_exit(0);
        per_run = per_run.min(card.apdus() - before);
    }
    card.remove_after(per_run - 2);
    let out = bed.resync(&["--no-wait"]);
    out.assert_exit(3).assert_stderr(
        "error: YubiKey 90123456 was removed before both codes were read\n  hint: reinsert the key and run again; nothing was sent",
    );
    assert!(!out.stderr.contains("Code 1 read"), "{}", out.stderr);
    assert_eq!(
        actions(&bed),
        ["GetCallerIdentity", "ListMFADevices"],
        "the key was opened and the target resolved; no ResyncMFADevice"
    );
}

#[test]
fn no_touch_within_the_keys_own_timeout_exits_3_and_sends_nothing() {
    // A real key answers 6982 after about 15 s without a touch; this card does after 2 s, well
    // inside mfa-resync's own 40-s watchdog, so the message is the key's timeout, not a hang.
    let _readers = readers();
    let bed = Bed::new();
    let mut account = CredentialConfig::totp_for_account(AWS_ACCOUNT, &bed.seed);
    account.touch = true;
    let config = CardConfig::new(24681357)
        .with_credential(account)
        .with_touch(TouchPolicy::Deny {
            after: Duration::from_secs(2),
        });
    let _card = Card::insert(config, 0);
    let started = Instant::now();
    let out = bed.resync(&["--no-wait"]);
    let took = started.elapsed();
    out.assert_exit(3)
        .assert_stderr("Touch your YubiKey (serial 24681357) for code 1.")
        .assert_stderr("error: no touch on YubiKey 24681357 in time\n  hint: touch the gold disc when it blinks; nothing was sent, run again");
    assert!(!out.stderr.contains("Code 1 read"), "{}", out.stderr);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(20),
        "the run waited for the key's timeout, not the watchdog: {took:?}"
    );
    assert_eq!(actions(&bed), ["GetCallerIdentity", "ListMFADevices"]);
}

/// A waiting-mode resync from a key behind the test's pcscd, which is stopped (SIGTERM, by PID)
/// once code 1 is read, during the countdown to code 2's window.
fn resync_with_pcscd_stopped_after_code_1() -> (Bed, Output) {
    let mut readers = readers();
    let bed = Bed::new();
    let _card = Card::insert(key_for(&bed, 13579246), 0);
    // At least 6 s left in the window, so that the countdown is long enough to stop pcscd in.
    let left = 30.0 - unix_now().as_secs_f64() % 30.0;
    if left < 6.0 {
        std::thread::sleep(Duration::from_secs_f64(left + 0.2));
    }
    let mut child = bed
        .command()
        .args(["resync", "--endpoint-url", &bed.url(), "--reader", READER_0])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mfa-resync starts");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("Code 1 read") {
                let _ = tx.send(counter_now());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let code1_window = rx.recv_timeout(Duration::from_secs(20));
    let status = readers.stop();
    let stopped_in = counter_now();
    let waited = child.wait().expect("mfa-resync ends");
    let out = Output {
        code: waited.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: reader.join().expect("stderr reader"),
    };
    let code1_window = code1_window.unwrap_or_else(|_| {
        panic!(
            "code 1 was never read\n--- stderr\n{}\n--- pcscd\n{}",
            out.stderr,
            readers.log()
        )
    });
    assert_eq!(
        stopped_in, code1_window,
        "pcscd ({status}) ended during the countdown, before code 2's window"
    );
    (bed, out)
}

#[test]
fn pcscd_stopped_between_the_two_codes_exits_3_with_nothing_sent() {
    let (bed, out) = resync_with_pcscd_stopped_after_code_1();
    out.assert_exit(3)
        .assert_stderr("Code 1 read (window ")
        .assert_stderr("Code 2 at ")
        .assert_stderr("error: pcscd, the smart-card daemon, is not running")
        .assert_stderr("\n  hint: start it: `sudo systemctl start pcscd.socket`");
    assert!(!out.stderr.contains("Code 2 read"), "{}", out.stderr);
    assert_eq!(
        actions(&bed),
        ["GetCallerIdentity", "ListMFADevices"],
        "the target was resolved before the wait; no ResyncMFADevice"
    );
}
