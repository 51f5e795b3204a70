//! Every command runs the one pipeline, so they behave alike: `--quiet` is silent on success for
//! every source, and a `--batch` row is held to the same checks as a single `resync`.

use std::io::Write as _;
use std::time::Duration;

use testbed::virtual_yubikey::{CardConfig, CredentialConfig, OtpSlotConfig};

use crate::util::{Bed, Card, Output, readers, write_private};

#[track_caller]
fn silent_success(out: &Output) {
    out.assert_exit(0);
    assert_eq!(out.stdout, "", "stdout");
    assert_eq!(out.stderr, "", "stderr");
}

#[test]
fn quiet_is_silent_on_success_with_a_seed_and_with_given_codes() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap().to_string();
    silent_success(&bed.resync(&["--no-wait", "--quiet", "--seed-file", &seed]));
    // Given codes: a pair past the one just used (its second code current), two windows later.
    bed.skip_windows(2);
    bed.wait_for_margin(Duration::from_secs(3));
    let c = bed.counter_now() - 1;
    let (code1, code2) = (bed.code_at(c), bed.code_at(c + 1));
    silent_success(&bed.resync(&[
        "--quiet",
        "--user-name",
        "alice",
        "--serial-number",
        testbed::iam_local::DEMO_SERIAL,
        "--authentication-code-1",
        &code1,
        "--authentication-code-2",
        &code2,
    ]));
    assert_eq!(bed.resync_requests().len(), 2);
}

#[test]
fn quiet_is_silent_on_success_with_typed_codes_from_a_pipe() {
    let bed = Bed::new();
    // The token shows AWS's windows; AWS's clock a few seconds before a boundary.
    bed.steer_to(Duration::from_secs(4));
    let mut child = bed.spawn(bed.command().args([
        "resync",
        "--quiet",
        "--endpoint-url",
        &bed.url(),
        "--source",
        "prompt",
    ]));
    let mut stdin = child.stdin.take().unwrap();
    let c = bed.counter_now();
    writeln!(stdin, "{}", bed.code_at(c)).unwrap();
    let boundary = Duration::from_secs((c + 1) * 30);
    std::thread::sleep(boundary.saturating_sub(bed.now()) + Duration::from_millis(500));
    writeln!(stdin, "{}", bed.code_at(c + 1)).unwrap();
    drop(stdin);
    // Nobody sees stderr here (a pipe), so even the prompts stay quiet.
    silent_success(&Output::from(child.wait_with_output().unwrap()));
    assert_eq!(bed.resync_requests()[0].counters, Some((c, c + 1)));
}

#[test]
fn quiet_is_silent_on_success_with_a_yubikey_and_an_otp_slot() {
    // An OTP slot holds at most 20 bytes: a 160-bit seed serves both the OATH credential and the slot.
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let _readers = readers();
    // Two endpoints with the same device, so that the second run's pair is not the first's replay.
    let bed = Bed::with_seed(seed, |_| {});
    let other = Bed::with_seed(seed, |_| {});
    let secret = testbed::iam_local::totp::decode_seed(seed).unwrap();
    let config = CardConfig::new(34567890)
        .with_credential(CredentialConfig::totp_for_account(
            "Amazon Web Services:alice@123456789012",
            seed,
        ))
        .with_otp_slot(2, OtpSlotConfig::hmac_sha1(&secret));
    let _card = Card::insert(config, 0);
    silent_success(&bed.resync(&["--no-wait", "--quiet", "--source", "yubikey"]));
    // The OTP slot over CCID (no hidraw here), which would say so and ask for a touch without --quiet.
    silent_success(&other.resync(&[
        "--no-wait",
        "--quiet",
        "--source",
        "otp-slot",
        "--slot",
        "2",
    ]));
    assert_eq!(bed.resync_requests().len(), 1);
    assert_eq!(other.resync_requests().len(), 1);
}

#[test]
fn a_batch_row_whose_seed_makes_8_digit_codes_stops_the_batch_before_any_request() {
    let bed = Bed::new();
    let eight = bed.private_file(
        "seed-8",
        &format!("otpauth://totp/x?secret={}&digits=8\n", bed.seed),
    );
    let batch = bed.dir.path().join("rows.csv");
    write_private(
        &batch,
        &format!(
            "user,serial,source,seed_file\nbob,arn:aws:iam::123456789012:mfa/bob,seed,{good}\nalice,{serial},seed,{eight}\n",
            serial = testbed::iam_local::DEMO_SERIAL,
            good = bed.seed_file.display(),
            eight = eight.display(),
        ),
    );
    let out = bed.resync(&["--batch", batch.to_str().unwrap()]);
    out.assert_exit(2)
        .assert_stderr("--batch: line 3: the seed makes 8-digit codes; IAM takes 6");
    assert!(bed.log().is_empty(), "the endpoint saw {:?}", bed.log());
    // The same seed in a single resync: the same exit, the same nothing sent.
    let single = bed.resync(&["--seed-file", eight.to_str().unwrap()]);
    single
        .assert_exit(2)
        .assert_stderr("the seed makes 8-digit codes; IAM takes 6");
    assert!(bed.log().is_empty());
}
