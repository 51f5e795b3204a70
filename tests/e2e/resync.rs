//! `mfa-resync resync` against the local IAM endpoint, as the README shows it.

use std::io::Write;
use std::str::FromStr;
use std::time::Duration;

use testbed::iam_local::{
    ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, AccessKey, DEMO_SERIAL, Device, Fault, Principal,
};

use crate::util::Bed;

#[test]
fn waiting_mode_resyncs_with_a_pair_from_this_window_and_the_next() {
    let bed = Bed::new();
    bed.steer();
    let before = bed.counter_now();
    let out = bed.resync(&["--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0)
        .assert_stderr("Resynced arn:aws:iam::123456789012:mfa/alice for user alice");
    out.assert_stderr("waiting");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1);
    let (c1, c2) = sent[0].counters.expect("the endpoint matched the pair");
    assert_eq!(c2, c1 + 1);
    assert!(
        c1 == before || c1 == before + 1,
        "code 1 from the window the run started in: {c1} vs {before}"
    );
    assert_eq!(sent[0].params["UserName"], "alice");
    assert_eq!(sent[0].params["SerialNumber"], DEMO_SERIAL);
}

#[test]
fn no_wait_resyncs_at_once_with_the_previous_and_current_windows() {
    let bed = Bed::new();
    let started = std::time::Instant::now();
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no wait for a window"
    );
    let sent = bed.resync_requests();
    let (c1, c2) = sent[0].counters.expect("matched");
    assert_eq!(c2, c1 + 1);
    assert!(c2 == bed.counter_now() || c2 + 1 == bed.counter_now());
}

#[test]
fn json_output_reports_one_object_on_stdout() {
    let bed = Bed::new();
    let out = bed.resync(&[
        "--no-wait",
        "--output",
        "json",
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
    ]);
    out.assert_exit(0);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("one JSON object");
    assert_eq!(v["Result"], "resynced");
    assert_eq!(v["UserName"], "alice");
    assert_eq!(v["SerialNumber"], DEMO_SERIAL);
    assert_eq!(v["Attempts"], 1);
    assert_eq!(v["RequestId"], bed.resync_requests()[0].request_id.as_str());
}

#[test]
fn quiet_prints_nothing_on_success() {
    let bed = Bed::new();
    let out = bed.resync(&[
        "--no-wait",
        "--quiet",
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
    ]);
    out.assert_exit(0);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
}

#[test]
fn user_and_serial_are_discovered_when_not_given() {
    let bed = Bed::new();
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0).assert_stderr("User alice (the caller), device arn:aws:iam::123456789012:mfa/alice (the user's only TOTP device)");
    let actions: Vec<String> = bed.log().iter().map(|e| e.action.clone()).collect();
    assert_eq!(
        actions,
        ["GetCallerIdentity", "ListMFADevices", "ResyncMFADevice"]
    );
}

#[test]
fn the_profile_mfa_serial_is_used_when_set() {
    let bed = Bed::new();
    std::fs::write(
        bed.dir.path().join("aws-config"),
        format!("[profile desk]\nmfa_serial = {DEMO_SERIAL}\n"),
    )
    .unwrap();
    // An explicit --profile takes its credentials from the profile, as the AWS CLI does.
    std::fs::write(
        bed.dir.path().join("aws-credentials"),
        format!(
            "[desk]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            testbed::iam_local::TEST_ACCESS_KEY_ID,
            testbed::iam_local::TEST_SECRET_ACCESS_KEY
        ),
    )
    .unwrap();
    let out = bed.resync(&[
        "--profile",
        "desk",
        "--no-wait",
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
    ]);
    out.assert_exit(0)
        .assert_stderr("(the profile's mfa_serial)");
    assert!(bed.log().iter().all(|e| e.action != "ListMFADevices"));
}

#[test]
fn given_codes_are_sent_as_they_are() {
    let bed = Bed::new();
    bed.wait_for_margin(Duration::from_secs(3));
    let c = bed.counter_now();
    let (code1, code2) = (bed.code_at(c - 1), bed.code_at(c));
    let out = bed.resync(&[
        "--user-name",
        "alice",
        "--serial-number",
        DEMO_SERIAL,
        "--authentication-code1",
        &code1,
        "--authentication-code2",
        &code2,
    ]);
    out.assert_exit(0);
    let sent = bed.resync_requests();
    assert_eq!(sent[0].params["AuthenticationCode1"], code1);
    assert_eq!(sent[0].counters, Some((c - 1, c)));
    // Given codes and a given target need no other call.
    assert_eq!(bed.log().len(), 1);
}

#[test]
fn wrong_codes_exit_5() {
    let bed = Bed::new();
    let other_seed = bed.private_file("other-seed", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n");
    let out = bed.resync(&["--no-wait", "--seed-file", other_seed.to_str().unwrap()]);
    out.assert_exit(5)
        .assert_stderr("AWS refused the codes")
        .assert_stderr("hint:");
    assert_eq!(
        bed.resync_requests().len(),
        1,
        "a refused pair is not retried"
    );
}

#[test]
fn unknown_user_or_device_exits_6() {
    let bed = Bed::with(|c| {
        c.state.users.push(testbed::iam_local::User {
            name: "bob".into(),
            path: "/".into(),
            user_id: "AIDABOB".into(),
            admin: false,
        })
    });
    let codes = [
        "--authentication-code-1",
        "123456",
        "--authentication-code-2",
        "654321",
    ];
    // An administrator (a help desk) may act on any user, so the answer is about existence.
    let admin = [
        ("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY),
    ];
    let as_admin = |args: &[&str]| {
        bed.run(
            bed.command()
                .envs(admin)
                .args(["resync", "--endpoint-url", &bed.url()])
                .args(args)
                .args(codes),
        )
    };
    as_admin(&["--user-name", "nobody", "--serial-number", DEMO_SERIAL])
        .assert_exit(6)
        .assert_stderr("nobody");
    as_admin(&[
        "--user-name",
        "alice",
        "--serial-number",
        "arn:aws:iam::123456789012:mfa/none",
    ])
    .assert_exit(6);
    // A user with no TOTP device at all, found by lookup.
    let out = bed.run(
        bed.command()
            .envs(admin)
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--user-name",
                "bob",
                "--no-wait",
                "--seed-file",
            ])
            .arg(&bed.seed_file),
    );
    out.assert_exit(6)
        .assert_stderr("user bob has no TOTP MFA device");
    assert!(
        bed.resync_requests()
            .iter()
            .all(|e| e.params["UserName"] != "bob")
    );
}

#[test]
fn a_signature_made_with_the_wrong_secret_exits_4_before_any_code_is_read() {
    let bed = Bed::new();
    let out = bed.run(
        bed.command()
            .env("AWS_SECRET_ACCESS_KEY", "not-the-secret-of-this-key-at-all")
            .args(["resync", "--endpoint-url", &bed.url(), "--seed-file"])
            .arg(&bed.seed_file),
    );
    out.assert_exit(4).assert_stderr("SignatureDoesNotMatch");
    assert!(
        !out.stderr.contains("Code 1 read"),
        "credentials fail before the wait"
    );
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn no_credentials_exit_4() {
    let bed = Bed::new();
    let out = bed.run(
        bed.command()
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .args(["resync", "--endpoint-url", &bed.url(), "--seed-file"])
            .arg(&bed.seed_file),
    );
    out.assert_exit(4)
        .assert_stderr("no AWS credentials found: none in the environment (AWS_ACCESS_KEY_ID), the AWS credentials and config files")
        .assert_stderr("hint: configure credentials");
    // The SDK's own words name its internals, not what to do.
    assert!(!out.stderr.contains("providers in chain"), "{}", out.stderr);
    assert!(!out.stderr.contains("not enabled"), "{}", out.stderr);
    assert!(bed.log().is_empty());
}

#[test]
fn another_users_device_is_access_denied_exit_4() {
    let bed = Bed::new();
    let out = bed.resync(&[
        "--user-name",
        "admin",
        "--serial-number",
        DEMO_SERIAL,
        "--authentication-code-1",
        "123456",
        "--authentication-code-2",
        "654321",
    ]);
    out.assert_exit(4).assert_stderr("AccessDenied");
}

#[test]
fn a_role_caller_must_name_the_user() {
    let bed = Bed::with(|c| {
        c.state.access_keys.push(AccessKey {
            id: "ASIAROLEEXAMPLE00001".into(),
            secret: "role-secret".into(),
            session_token: Some("role-token".into()),
            expired: false,
            principal: Principal::AssumedRole {
                role: "HelpDesk".into(),
                session: "desk1".into(),
            },
        })
    });
    // The help desk's role session.
    let as_role = || {
        let mut cmd = bed.command();
        cmd.env("AWS_ACCESS_KEY_ID", "ASIAROLEEXAMPLE00001")
            .env("AWS_SECRET_ACCESS_KEY", "role-secret")
            .env("AWS_SESSION_TOKEN", "role-token")
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--seed-file",
            ])
            .arg(&bed.seed_file);
        cmd
    };
    let out = bed.run(&mut as_role());
    out.assert_exit(2)
        .assert_stderr("assumed-role/HelpDesk")
        .assert_stderr("--user-name");
    // With the name, the help desk's role resyncs alice's device.
    let out = bed.run(as_role().args(["--user-name", "alice"]));
    out.assert_exit(0);
}

#[test]
fn several_devices_and_no_choice_lists_them() {
    // Three: iam-local pages a list of more than two items two at a time, as AWS may (a page
    // shorter than MaxItems, IsTruncated, a marker holding `+`, `/` and `=`), so every page is read.
    let bed = Bed::with(|c| {
        for name in ["alice-backup", "alice-spare"] {
            c.state.devices.push(Device::totp(
                format!("arn:aws:iam::123456789012:mfa/{name}"),
                Some("alice"),
                testbed::iam_local::random_seed_base32(),
            ))
        }
    });
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(2)
        .assert_stderr(
            "arn:aws:iam::123456789012:mfa/alice, arn:aws:iam::123456789012:mfa/alice-backup, arn:aws:iam::123456789012:mfa/alice-spare",
        )
        .assert_stderr("--serial-number");
    let listings = bed
        .log()
        .iter()
        .filter(|e| e.action == "ListMFADevices")
        .count();
    assert_eq!(listings, 2, "two pages");
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn a_500_once_is_retried_with_a_fresh_non_overlapping_pair() {
    let bed = Bed::with(|c| {
        c.faults
            .push(Fault::from_str("500-once@ResyncMFADevice").unwrap())
    });
    // A retry waits for a fresh window: AWS's clock a few seconds before a boundary.
    bed.steer();
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0)
        .assert_stderr("Attempt 1 of 3 failed")
        .assert_stderr("on attempt 2");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].status, 500);
    let first = (
        &sent[0].params["AuthenticationCode1"],
        &sent[0].params["AuthenticationCode2"],
    );
    let second = (
        &sent[1].params["AuthenticationCode1"],
        &sent[1].params["AuthenticationCode2"],
    );
    assert_ne!(first, second, "a fresh pair");
    let (c1, c2) = sent[1].counters.expect("the second pair matched");
    // The first pair was (c, c + 1) for some c < c1 - 1: rebuild it from its codes.
    let seen_first = (c1.saturating_sub(10)..c1)
        .find(|&c| bed.code_at(c) == *first.0 && bed.code_at(c + 1) == *first.1)
        .expect("the first pair was consecutive");
    assert!(
        seen_first + 1 < c1,
        "pairs do not overlap: first ({seen_first}, {}), second ({c1}, {c2})",
        seen_first + 1
    );
}

#[test]
fn throttling_once_is_retried() {
    let bed = Bed::with(|c| {
        c.faults
            .push(Fault::from_str("throttle-once@ResyncMFADevice").unwrap())
    });
    // A retry waits for a fresh window: AWS's clock a few seconds before a boundary.
    bed.steer();
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0);
    assert_eq!(bed.resync_requests().len(), 2);
}

#[test]
fn given_codes_are_never_retried() {
    let bed = Bed::with(|c| {
        c.faults
            .push(Fault::from_str("500-once@ResyncMFADevice").unwrap())
    });
    let out = bed.resync(&[
        "--user-name",
        "alice",
        "--serial-number",
        DEMO_SERIAL,
        "--authentication-code-1",
        "123456",
        "--authentication-code-2",
        "654321",
    ]);
    out.assert_exit(7).assert_stderr("single-use");
    assert_eq!(bed.resync_requests().len(), 1);
}

#[test]
fn windows_are_planned_in_aws_time_when_the_host_clock_is_off() {
    // AWS is 40 s ahead and accepts only the current window: only a skew-corrected pair passes.
    let bed = Bed::with(|c| {
        c.clock_offset_secs = 40;
        c.code_window = testbed::iam_local::CodeWindow {
            behind: 0,
            ahead: 0,
        };
    });
    // Late in AWS's window, so that "the current window" is not a matter of the second the
    // answer left in.
    bed.steer();
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0)
        .assert_stderr("The host clock is")
        .assert_stderr("behind AWS");
    let (_, c2) = bed.resync_requests()[0].counters.expect("matched");
    assert_eq!(
        c2,
        testbed::iam_local::totp::counter_at(bed.server().now(), 30)
    );
}

#[test]
fn cli_input_json_fills_what_the_flags_do_not() {
    let bed = Bed::new();
    let json = bed.private_file(
        "req.json",
        &format!(r#"{{"UserName": "bob", "SerialNumber": "{DEMO_SERIAL}"}}"#),
    );
    let out = bed.resync(&[
        "--cli-input-json",
        &format!("file://{}", json.display()),
        "--user-name",
        "alice",
        "--no-wait",
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
    ]);
    out.assert_exit(0);
    let sent = bed.resync_requests();
    assert_eq!(sent[0].params["UserName"], "alice", "the flag wins");
    assert_eq!(
        sent[0].params["SerialNumber"], DEMO_SERIAL,
        "the JSON fills the rest"
    );
}

#[test]
fn the_skeleton_is_the_aws_clis() {
    let bed = Bed::new();
    let out = bed.resync(&["--generate-cli-skeleton"]);
    out.assert_exit(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"UserName": "", "SerialNumber": "", "AuthenticationCode1": "", "AuthenticationCode2": ""})
    );
    assert!(bed.log().is_empty());
}

#[test]
fn a_display_token_user_types_code_2_when_the_token_changes() {
    let bed = Bed::new();
    // The token shows AWS's windows; AWS's clock a few seconds before a boundary.
    bed.steer_to(Duration::from_secs(4));
    let mut child = bed.spawn(bed.command().args([
        "resync",
        "--endpoint-url",
        &bed.url(),
        "--source",
        "prompt",
    ]));
    let mut stdin = child.stdin.take().unwrap();
    let c = bed.counter_now();
    writeln!(stdin, "{}", bed.code_at(c)).unwrap();
    // The token changes its code at the boundary; the user reads the new one a moment later.
    let boundary = Duration::from_secs((c + 1) * 30);
    let now = bed.now();
    std::thread::sleep(boundary.saturating_sub(now) + Duration::from_millis(500));
    writeln!(stdin, "{}", bed.code_at(c + 1)).unwrap();
    drop(stdin);
    let out = crate::util::Output::from(child.wait_with_output().unwrap());
    out.assert_exit(0)
        .assert_stderr("Type the next code as soon as the token shows it (within 31 s).");
    assert_eq!(bed.resync_requests()[0].counters, Some((c, c + 1)));
}

#[test]
fn ctrl_c_during_the_wait_exits_130_and_sends_nothing() {
    let bed = Bed::new();
    bed.steer_to(Duration::from_secs(8));
    let child = bed.spawn(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url(), "--seed-file"])
            .arg(&bed.seed_file),
    );
    // Wait until code 1 is read and the countdown runs, then interrupt our own child by PID.
    std::thread::sleep(Duration::from_secs(2));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = crate::util::Output::from(child.wait_with_output().unwrap());
    out.assert_exit(130)
        .assert_stderr("interrupted; nothing was sent");
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn the_audit_log_has_a_line_per_attempt_and_no_codes() {
    let bed = Bed::with(|c| {
        c.faults
            .push(Fault::from_str("500-once@ResyncMFADevice").unwrap())
    });
    // A retry waits for a fresh window: AWS's clock a few seconds before a boundary.
    bed.steer();
    let log = bed.dir.path().join("audit.jsonl");
    let out = bed.resync(&[
        "--no-wait",
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
        "--audit-log",
        log.to_str().unwrap(),
    ]);
    out.assert_exit(0);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["result"], "ServiceFailure");
    assert_eq!(lines[1]["result"], "resynced");
    assert_eq!(lines[1]["attempt"], 2);
    assert_eq!(lines[1]["operator"], "arn:aws:iam::123456789012:user/alice");
    assert_eq!(lines[1]["serial"], DEMO_SERIAL);
    assert_eq!(lines[1]["source"], "seed");
    let sent = bed.resync_requests();
    assert_eq!(lines[0]["request_id"], sent[0].request_id.as_str());
    assert_eq!(lines[1]["request_id"], sent[1].request_id.as_str());
    bed.assert_no_secrets(&text, "the audit log");
    let bad = bed.resync(&[
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
        "--audit-log",
        "/nonexistent/dir/audit.jsonl",
    ]);
    bad.assert_exit(2)
        .assert_stderr("--audit-log: cannot open /nonexistent/dir/audit.jsonl");
}
