//! What `codes`, `devices` and `doctor` print, as text and as JSON, pinned in `tests/cmd/output/`
//! (`NAME.stdout` or `NAME.json`, and `NAME.stderr`). The point is the shape and the labels, so what
//! differs from run to run is redacted: the codes, counters and window times of `codes` by their
//! known values (so the golden file also says they were the right ones), the skew of `doctor`.
//!
//! `doctor` and `devices` see the whole machine: these goldens are the test bed's view (vpcd's two
//! readers, pcscd up, no YubiKey HID node, no udev rules installed), made so whatever this machine
//! has installed or plugged in (`Bed::command_on_test_machine`).

use std::time::Duration;

use testbed::virtual_yubikey::{CardConfig, CredentialConfig, OathType};

use super::{Redact, Stdout, assert_run};
use crate::util::{Bed, Card, counter_now, readers, wait_for_margin};

/// `HH:MM:SS` of a Unix time, as the windows are written for people (UTC).
fn clock(secs: u64) -> String {
    let s = secs % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[test]
fn codes_text_and_json_match_their_golden_files() {
    let bed = Bed::new();
    for (name, format, stdout) in [
        ("codes", "text", Stdout::Text),
        ("codes-json", "json", Stdout::Json),
    ] {
        wait_for_margin(Duration::from_secs(2));
        let c = counter_now();
        let out = bed.run(
            bed.command()
                .args(["codes", "--no-wait", "--output", format, "--seed-file"])
                .arg(&bed.seed_file),
        );
        let redact = Redact::bed(&bed)
            .value("[FIRST_CODE]", bed.code_at(c - 1))
            .value("[SECOND_CODE]", bed.code_at(c))
            .value("[FIRST_COUNTER]", (c - 1).to_string())
            .value("[SECOND_COUNTER]", c.to_string())
            .value("[BOUNDARY_BEFORE]", clock((c - 1) * 30))
            .value("[BOUNDARY]", clock(c * 30))
            .value("[BOUNDARY_AFTER]", clock((c + 1) * 30));
        assert_run(&out, 0, "output", name, stdout, &redact);
    }
    assert!(bed.log().is_empty(), "codes never calls AWS");
}

#[test]
fn devices_text_and_json_match_their_golden_files() {
    let _readers = readers();
    let bed = Bed::new();
    let mut touchy = CredentialConfig::totp_for_account("Example:bob", &bed.seed);
    touchy.touch = true;
    touchy.period = 60;
    let mut counter = CredentialConfig::totp(Some("Example"), "carol", &bed.seed);
    counter.oath_type = OathType::Hotp;
    let config = CardConfig::new(12345678)
        .with_credential(CredentialConfig::totp_for_account(
            "Amazon Web Services:alice@123456789012",
            &bed.seed,
        ))
        .with_credential(touchy)
        .with_credential(counter)
        // A key found again after its device was replaced, a device this account never had, and
        // another account's device (aws-vault's naming): each said so, by the device's name.
        .with_credential(CredentialConfig::totp_for_account(
            "Amazon Web Services:alice-87654321@123456789012",
            &bed.seed,
        ))
        .with_credential(CredentialConfig::totp_for_account(
            "Amazon Web Services:carol@123456789012",
            &bed.seed,
        ))
        .with_credential(CredentialConfig::totp_with_id(
            "arn:aws:iam::999999999999:mfa/bob",
            &bed.seed,
        ));
    let _card = Card::insert(config, 0);
    for (name, format, stdout) in [
        ("devices", "text", Stdout::Text),
        ("devices-json", "json", Stdout::Json),
    ] {
        let out = bed.devices_accounts(&["--output", format]);
        assert_run(&out, 0, "output", name, stdout, &Redact::bed(&bed));
        bed.assert_no_secrets(&out.all(), name);
    }
}

#[test]
fn doctor_text_and_json_match_their_golden_files() {
    let _readers = readers();
    let bed = Bed::new();
    for (name, format, stdout) in [
        ("doctor", "text", Stdout::Text),
        ("doctor-json", "json", Stdout::Json),
    ] {
        let out = bed.run(bed.command_on_test_machine(&[]).args([
            "doctor",
            "--endpoint-url",
            &bed.url(),
            "--output",
            format,
        ]));
        assert_run(&out, 0, "output", name, stdout, &Redact::bed(&bed));
    }
    assert!(
        bed.log().iter().all(|e| e.action != "ResyncMFADevice"),
        "doctor changes nothing"
    );
}

#[test]
fn doctor_with_aws_clock_off_by_5_s_matches_its_golden_file() {
    let _readers = readers();
    let bed = Bed::with(|c| c.clock_offset_secs = 5);
    let out =
        bed.run(
            bed.command_on_test_machine(&[])
                .args(["doctor", "--endpoint-url", &bed.url()]),
        );
    // The skew is measured from a Date header of one-second resolution: about 5 s, not exactly.
    // Only a plausible value is redacted (the host is behind AWS), so another one still fails.
    let redact = Redact::bed(&bed).pattern(
        "[SKEW]",
        r"host clock (?<redacted>[4-6]\.[0-9]) s behind AWS",
    );
    assert_run(&out, 0, "output", "doctor-skewed", Stdout::Text, &redact);
}
