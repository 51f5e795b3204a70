//! Endpoints and keys are not trusted without limits, end to end: iam-local made to answer as no
//! AWS endpoint would (a `Date` ten years ahead, a 2 GiB body, a 200 whose body is an error
//! document or garbage, an error message made to attack a terminal), and the built binary refusing
//! each: its exit code and words, nothing read or sent where nothing should be, nothing counted as
//! a success, and nothing of the endpoint's text on the terminal raw; and a key whose credentials
//! are named to attack the terminal, listed by `devices` and by a resync's error. (A station's
//! rogue keys are `station::rogue`'s.)

use std::str::FromStr;

use testbed::iam_local::Fault;
use testbed::virtual_yubikey::{CardConfig, CredentialConfig};

use crate::util::{BIN, Bed, Card, readers};

fn fault(spec: &str) -> Fault {
    Fault::from_str(spec).expect("a valid fault")
}

/// A control or format character that [`mfa_resync::report::escape::is_unsafe`] keeps off a
/// terminal, in `text`.
fn raw_unsafe(text: &str) -> Option<char> {
    text.chars()
        .find(|c| *c != '\n' && mfa_resync::report::escape::is_unsafe(*c))
}

#[test]
fn an_endpoint_dated_ten_years_ahead_is_refused_before_any_code_is_read() {
    let bed = Bed::with(|c| c.faults.push(fault("date=315569520-always")));
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(7)
        .assert_stderr("error: GetCallerIdentity: the endpoint's answer is dated 3652 days ahead of this host's clock, more than the 15 minutes AWS allows; nothing was read or sent by it")
        .assert_stderr("hint: if this host's clock is wrong, set it");
    assert!(!out.stderr.contains("Code 1"), "{}", out.stderr);
    let actions: Vec<String> = bed.log().into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        ["GetCallerIdentity"],
        "no retry, nothing else asked"
    );
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn a_2_gib_answer_is_cut_at_a_mebibyte_and_the_process_stays_small() {
    let bed = Bed::with(|c| c.faults.push(fault("huge-always@GetCallerIdentity")));
    // An address space of 512 MiB: reading the whole body would need four times that.
    let out = bed.run(
        bed.command_for("prlimit")
            .args(["--as=536870912", "--"])
            .arg(BIN)
            .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"])
            .arg("--seed-file")
            .arg(&bed.seed_file),
    );
    out.assert_exit(7).assert_stderr(
        "error: GetCallerIdentity: the endpoint's answer is larger than 1024 KiB, far more than any IAM answer; it was not read",
    );
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn a_200_with_an_error_document_or_garbage_for_resync_is_no_success() {
    for spec in [
        "200-error-always@ResyncMFADevice",
        "200-garbage-always@ResyncMFADevice",
    ] {
        let bed = Bed::with(|c| c.faults.push(fault(spec)));
        let audit = bed.dir.path().join("audit.jsonl");
        let out = bed.resync(&[
            "--no-wait",
            "--seed-file",
            bed.seed_file.to_str().unwrap(),
            "--audit-log",
            audit.to_str().unwrap(),
            "--output",
            "json",
        ]);
        out.assert_exit(7)
            .assert_stderr("error: ResyncMFADevice: the endpoint answered HTTP 200, but its body is not IAM's ResyncMFADeviceResponse; it does not count as a success")
            .assert_stderr("hint: the last pair went out, and the answer cannot tell whether AWS took it");
        assert!(
            out.stdout.is_empty(),
            "{spec}: no report of success: {}",
            out.stdout
        );
        assert_eq!(
            bed.resync_requests().len(),
            1,
            "{spec}: one pair, not retried"
        );
        let line: serde_json::Value = serde_json::from_str(
            std::fs::read_to_string(&audit)
                .expect("the audit log")
                .trim(),
        )
        .expect("one JSON line");
        assert_eq!(line["result"], "UntrustedAnswer", "{spec}: {line}");
        assert!(line["request_id"].is_string(), "{line}");
    }
}

#[test]
fn an_endpoint_s_hostile_error_message_reaches_the_terminal_escaped() {
    let bed = Bed::with(|c| c.faults.push(fault("hostile-always@ResyncMFADevice")));
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(2);
    let all = out.all();
    assert_eq!(raw_unsafe(&all), None, "{all:?}");
    assert!(
        !all.lines().any(|l| l.trim_start().starts_with('✔')),
        "no forged line of its own: {all}"
    );
    out.assert_stderr(
        "error: AWS rejected the request (InvalidInput): Rate exceeded\\x0d\\x0a✔ 12345678  alice",
    )
    .assert_stderr("\\u{202e}gpj.exe\\u{2066} \\x9b2J\\x9d0;title\\x9c");
}

/// A key holding two TOTP credentials named to attack a terminal, neither of them alice's.
fn hostile_key(bed: &Bed) -> CardConfig {
    CardConfig::new(66666610)
        .with_credential(CredentialConfig::totp_with_id(
            "\x1b]0;pwned\x07\x1b[2J\n✔ Resynced",
            &bed.seed,
        ))
        .with_credential(CredentialConfig::totp_with_id(
            "Example:\u{202e}gpj.exe\u{9b}8m",
            &bed.seed,
        ))
}

#[test]
fn a_key_s_hostile_names_reach_devices_and_a_resync_s_error_escaped() {
    let _readers = readers();
    let bed = Bed::new();
    let _card = Card::insert(hostile_key(&bed), 0);

    let out = bed.resync(&["--no-wait"]);
    out.assert_exit(3).assert_stderr(
        "\\x1b]0;pwned\\x07\\x1b[2J\\x0a✔ Resynced, Example:\\u{202e}gpj.exe\\x9b8m",
    );
    assert_eq!(raw_unsafe(&out.all()), None, "{:?}", out.all());
    assert!(bed.resync_requests().is_empty());

    let out = bed.devices_accounts(&[]);
    out.assert_exit(0);
    assert_eq!(raw_unsafe(&out.stdout), None, "{:?}", out.stdout);
    assert!(
        !out.stdout.lines().any(|l| l.trim_start().starts_with('✔')),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("    \\x1b]0;pwned\\x07\\x1b[2J\\x0a✔ Resynced  TOTP 30 s"),
        "{}",
        out.stdout
    );

    let out = bed.devices_accounts(&["--output", "json"]);
    assert_eq!(raw_unsafe(&out.stdout), None, "{:?}", out.stdout);
    let listed: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let names: Vec<&str> = listed["YubiKeys"][0]["Accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter_map(|a| a["Name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "\x1b]0;pwned\x07\x1b[2J\n✔ Resynced",
            "\u{202e}gpj.exe\u{9b}8m"
        ],
        "kept exact"
    );
}
