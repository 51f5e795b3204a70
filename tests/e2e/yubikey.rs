//! The YubiKey source end to end: the built binary, the real pcscd with vpcd's virtual reader, a
//! virtual YubiKey served from the test, and `iam-local`. The readers are shared, so these tests
//! take turns (`util::readers`).

use std::time::Duration;

use testbed::virtual_yubikey::{CardConfig, CredentialConfig, TouchPolicy};

use crate::util::{Bed, Card, READER_0, readers, wait_for_margin};

const AWS_ACCOUNT: &str = "Amazon Web Services:alice@123456789012";

/// A YubiKey holding the demo device's seed, as AWS's QR code would have put it there.
fn key_for(bed: &Bed, serial: u32) -> CardConfig {
    CardConfig::new(serial)
        .with_credential(CredentialConfig::totp_for_account(AWS_ACCOUNT, &bed.seed))
}

#[test]
fn resyncs_from_the_attached_yubikey_by_default_in_waiting_mode() {
    let _readers = readers();
    let bed = Bed::new();
    let _card = Card::insert(key_for(&bed, 12345678), 0);
    bed.steer();
    let start = bed.counter_now();
    let out = bed.resync(&[]);
    out.assert_exit(0)
        .assert_stderr(&format!(
            "Key: YubiKey 12345678, credential {AWS_ACCOUNT:?} (named as AWS's QR code names it)."
        ))
        .assert_stderr("Code 2 read")
        .assert_stderr("Resynced arn:aws:iam::123456789012:mfa/alice");
    let (c1, c2) = bed.resync_requests()[0].counters.expect("matched");
    assert_eq!(c2, c1 + 1);
    assert!(c1 == start || c1 == start + 1);
}

#[test]
fn resyncs_from_the_yubikey_with_no_wait() {
    let _readers = readers();
    let bed = Bed::new();
    let card = Card::insert(key_for(&bed, 12345678), 0);
    let out = bed.resync(&["--no-wait", "--source", "yubikey", "--reader", READER_0]);
    out.assert_exit(0);
    assert!(bed.resync_requests()[0].counters.is_some());
    assert!(card.apdus() > 0);
}

#[test]
fn a_touch_delayed_past_the_boundary_still_gives_a_consecutive_pair() {
    let _readers = readers();
    let bed = Bed::new();
    let mut config = CardConfig::new(23456789);
    let mut account = CredentialConfig::totp_for_account(AWS_ACCOUNT, &bed.seed);
    account.touch = true;
    config = config.with_credential(account);
    // AWS's clock 4 s before a boundary, and the touch 3 s after it.
    let card = Card::insert(
        config.with_touch(TouchPolicy::Delay(Duration::from_secs(7))),
        0,
    );
    bed.steer_to(Duration::from_secs(4));
    let start = bed.counter_now();
    let out = bed.resync(&[]);
    out.assert_exit(0)
        .assert_stderr("Touch your YubiKey (serial 23456789) for code 1.");
    assert_eq!(
        bed.resync_requests()[0].counters,
        Some((start, start + 1)),
        "code 1 is the window the run began in"
    );
    drop(card);
}

#[test]
fn touch_denied_exits_3_and_sends_nothing() {
    let _readers = readers();
    let bed = Bed::new();
    let mut account = CredentialConfig::totp_for_account(AWS_ACCOUNT, &bed.seed);
    account.touch = true;
    let config = CardConfig::new(34567890)
        .with_credential(account)
        .with_touch(TouchPolicy::Deny {
            after: Duration::from_millis(500),
        });
    let _card = Card::insert(config, 0);
    let out = bed.resync(&["--no-wait"]);
    out.assert_exit(3)
        .assert_stderr("no touch on YubiKey 34567890 in time")
        .assert_stderr("touch the gold disc");
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn a_password_protected_key_needs_the_right_password() {
    let _readers = readers();
    let bed = Bed::new();
    let _card = Card::insert(key_for(&bed, 45678901).with_password("correct horse"), 0);
    let run = |password: Option<&str>| {
        let mut cmd = bed.command();
        if let Some(p) = password {
            cmd.env("MFA_RESYNC_OATH_PASSWORD", p);
        }
        bed.run(cmd.env("RUST_BACKTRACE", "1").args([
            "-vvv",
            "resync",
            "--endpoint-url",
            &bed.url(),
            "--no-wait",
        ]))
    };
    let missing = run(None);
    missing
        .assert_exit(3)
        .assert_stderr("is password-protected")
        .assert_stderr("MFA_RESYNC_OATH_PASSWORD");
    let wrong = run(Some("battery staple"));
    wrong
        .assert_exit(3)
        .assert_stderr("wrong OATH password for YubiKey 45678901");
    assert!(
        !wrong.all().contains("battery staple"),
        "the password never shows"
    );
    assert!(
        bed.log().is_empty(),
        "a device failure comes before any request"
    );
    let right = run(Some("correct horse"));
    right.assert_exit(0);
    assert!(!right.all().contains("correct horse"));
    bed.assert_no_secrets(&right.all(), "a YubiKey resync at -vvv");
    let listed = bed.run(
        bed.command()
            .env("MFA_RESYNC_OATH_PASSWORD", "correct horse")
            .args([
                "-vvv",
                "devices",
                "--accounts",
                "--endpoint-url",
                &bed.url(),
            ]),
    );
    listed.assert_exit(0);
    assert!(
        listed
            .stdout
            .contains("Amazon Web Services:alice@123456789012"),
        "{}",
        listed.stdout
    );
    assert!(!listed.all().contains("correct horse") && !listed.all().contains(&bed.seed));
}

#[test]
fn the_key_removed_between_the_two_codes_exits_3_with_nothing_sent() {
    let _readers = readers();
    let bed = Bed::new();
    // Learn how many commands a `codes --no-wait` takes, then remove the card at the last one
    // (code 2's CALCULATE) of a resync that does the same reads.
    let card = Card::insert(key_for(&bed, 56789012), 0);
    bed.run(bed.command().args(["codes", "--no-wait"]))
        .assert_exit(0);
    let per_run = card.apdus();
    card.remove_after(per_run - 1);
    let out = bed.resync(&["--no-wait"]);
    out.assert_exit(3)
        .assert_stderr("removed before both codes were read");
    assert!(
        bed.resync_requests().is_empty(),
        "no half-read pair is sent"
    );
}

#[test]
fn two_keys_need_a_choice() {
    let _readers = readers();
    let bed = Bed::new();
    let _a = Card::insert(key_for(&bed, 11111111), 0);
    let _b = Card::insert(key_for(&bed, 22222222), 1);
    let out = bed.resync(&["--no-wait"]);
    out.assert_exit(3)
        .assert_stderr(
            "2 YubiKeys are attached: 11111111 (Virtual PCD 00 00); 22222222 (Virtual PCD 00 01)",
        )
        .assert_stderr("--device SERIAL");
    assert!(bed.log().is_empty());
    bed.resync(&["--no-wait", "--device", "22222222"])
        .assert_exit(0);
    let out = bed.resync(&["--no-wait", "--device", "33333333"]);
    out.assert_exit(3)
        .assert_stderr("no YubiKey with serial 33333333");
}

#[test]
fn the_account_is_matched_by_the_serial_numbers_aws_account() {
    let _readers = readers();
    let bed = Bed::new();
    let other = testbed::iam_local::random_seed_base32();
    let config = CardConfig::new(67890123)
        .with_credential(CredentialConfig::totp_for_account(
            "Amazon Web Services:alice@999999999999",
            &other,
        ))
        .with_credential(CredentialConfig::totp_for_account("GitHub:alice", &other))
        .with_credential(CredentialConfig::totp_for_account(AWS_ACCOUNT, &bed.seed));
    let _card = Card::insert(config, 0);
    let out = bed.resync(&[
        "--no-wait",
        "--serial-number",
        "arn:aws:iam::123456789012:mfa/alice",
    ]);
    out.assert_exit(0);
    // An explicit --account wins; a wrong one is refused before anything is sent.
    let out = bed.resync(&["--no-wait", "--account", "GitHub:nobody"]);
    out.assert_exit(3)
        .assert_stderr("has no account \"GitHub:nobody\"")
        .assert_stderr("GitHub:alice");
    assert_eq!(bed.resync_requests().len(), 1);
}

#[test]
fn no_yubikey_exits_3_before_any_request() {
    let _readers = readers();
    let bed = Bed::new();
    let out = bed.resync(&["--no-wait"]);
    out.assert_exit(3)
        .assert_stderr("no YubiKey found")
        .assert_stderr("--source seed");
    assert!(bed.log().is_empty());
}

#[test]
fn devices_lists_keys_and_accounts_as_text_and_json() {
    let _readers = readers();
    let bed = Bed::new();
    let mut touchy = CredentialConfig::totp_for_account("Example:bob", &bed.seed);
    touchy.touch = true;
    touchy.period = 60;
    let _card = Card::insert(key_for(&bed, 78901234).with_credential(touchy), 0);
    let out = bed.devices_accounts(&[]);
    out.assert_exit(0);
    assert!(
        out.stdout.contains("YubiKey 78901234  firmware 5.7.2"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("    Amazon Web Services:alice@123456789012  TOTP 30 s\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("    Example:bob  TOTP 60 s  touch\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Other readers: Virtual PCD 00 01 (empty)"),
        "{}",
        out.stdout
    );
    let out = bed.devices_accounts(&["--output", "json"]);
    out.assert_exit(0);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["YubiKeys"][0]["Serial"], 78901234);
    assert_eq!(v["YubiKeys"][0]["Reader"], READER_0);
    assert_eq!(v["YubiKeys"][0]["Accounts"][1]["Touch"], true);
    assert!(!out.all().contains(&bed.seed));
}

#[test]
fn codes_agree_with_ykman_on_the_same_key() {
    // ykman is Yubico's own host software: its view of the virtual key must be ours.
    let _readers = readers();
    let bed = Bed::new();
    let _card = Card::insert(key_for(&bed, 89012345), 0);
    wait_for_margin(Duration::from_secs(5));
    let ours = bed.run(
        bed.command()
            .args(["codes", "--no-wait", "--reader", READER_0]),
    );
    ours.assert_exit(0);
    let current = crate::util::printed_codes(&ours.stdout)
        .pop()
        .expect("two codes");
    // Debian's ykman, and PyPI's 5.x when scripts/setup installed it.
    for program in crate::util::ykmans() {
        let ykman = bed
            .command_for(&program)
            .args([
                "--reader",
                READER_0,
                "oath",
                "accounts",
                "code",
                "--single",
                "alice@123456789012",
            ])
            .output();
        match ykman {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "{program}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout).trim(),
                    current,
                    "{program}"
                );
            }
            Err(e) => assert!(
                std::env::var_os("MFA_RESYNC_REQUIRE_TOOLS").is_none(),
                "{program} is required by scripts/test: {e}"
            ),
        }
    }
}

#[test]
fn an_otp_slot_resyncs_through_pcscd() {
    // An OTP slot holds at most a 20-byte key: a TOTP secret of 160 bits, as `ykman otp chalresp --totp` makes.
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let _readers = readers();
    let bed = Bed::with_seed(seed, |_| {});
    let secret = testbed::iam_local::totp::decode_seed(seed).unwrap();
    let config = CardConfig::new(90123456).with_otp_slot(
        2,
        testbed::virtual_yubikey::OtpSlotConfig::hmac_sha1(&secret),
    );
    let _card = Card::insert(config, 0);
    let out = bed.resync(&["--no-wait", "--source", "otp-slot", "--slot", "2"]);
    out.assert_exit(0)
        .assert_stderr("Key: YubiKey 90123456, OTP slot 2 over CCID.");
    assert!(bed.resync_requests()[0].counters.is_some());
    // Slot 1 is empty: named, and nothing sent.
    let out = bed.resync(&["--no-wait", "--source", "otp-slot", "--slot", "1"]);
    out.assert_exit(3)
        .assert_stderr("slot 1 of YubiKey 90123456 is not programmed")
        .assert_stderr("ykman otp chalresp");
    assert_eq!(bed.resync_requests().len(), 1);
    // `codes --digits 8` for other services; resync refuses 8 digits before any I/O.
    let codes = bed.run(bed.command().args([
        "codes",
        "--no-wait",
        "--source",
        "otp-slot",
        "--slot",
        "2",
        "--digits",
        "8",
    ]));
    codes.assert_exit(0);
    let printed = crate::util::printed_codes(&codes.stdout);
    assert!(
        printed.len() == 2 && printed.iter().all(|c| c.len() == 8),
        "{}",
        codes.stdout
    );
    let out = bed.resync(&["--source", "otp-slot", "--slot", "2", "--digits", "8"]);
    out.assert_exit(2)
        .assert_stderr("--digits: is 8; IAM takes 6-digit codes");
}

#[test]
fn the_pkill_trap_is_armed() {
    // The guard the other tests rely on: a pkill run through the harness's PATH leaves its mark.
    let bed = Bed::new();
    let path = format!(
        "{}:{}",
        bed.dir.path().join("trap").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = std::process::Command::new("sh")
        .args(["-c", "pkill -9 scdaemon"])
        .env("PATH", path)
        .status()
        .unwrap();
    assert!(!status.success(), "the trap refuses");
    let marker = bed.dir.path().join("pkill-called");
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "pkill -9 scdaemon\n"
    );
    std::fs::remove_file(marker).unwrap();
}

/// Another program holding `reader`'s card exclusively, as GnuPG's scdaemon does (through pyscard,
/// which Debian's ykman depends on), until the child is ended by its PID.
fn hold_exclusively(bed: &Bed, reader: &str) -> std::process::Child {
    let script = r#"
import sys
from smartcard.scard import *
hresult, context = SCardEstablishContext(SCARD_SCOPE_USER)
hresult, card, protocol = SCardConnect(context, sys.argv[1], SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
if hresult != SCARD_S_SUCCESS:
    sys.exit("connect: " + SCardGetErrorMessage(hresult))
print("held", flush=True)
sys.stdin.read()
"#;
    let mut child = bed
        .command_for("/usr/bin/python3")
        .args(["-c", script, reader])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with pyscard");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.as_mut().expect("piped")),
        &mut line,
    )
    .expect("the holder answers");
    assert_eq!(line.trim(), "held", "the holder could not take {reader}");
    child
}

#[test]
fn devices_lists_every_key_it_can_and_names_a_card_another_program_holds() {
    let _readers = readers();
    let bed = Bed::new();
    let _held_card = Card::insert(key_for(&bed, 11111112), 0);
    let free = Card::insert(key_for(&bed, 22222223), 1);
    let mut holder = hold_exclusively(&bed, READER_0);
    let held = "Virtual PCD 00 00 (held by another program: GnuPG's scdaemon? `gpgconf --kill scdaemon` frees it)";
    let both = bed.devices_accounts(&[]);
    let json = bed.run(bed.command().args(["devices", "--output", "json"]));
    // With the other key out, the held card is all there is: still a listing, not an error.
    drop(free);
    let alone = bed.devices_accounts(&[]);
    let _ = holder.kill();
    let _ = holder.wait();
    both.assert_exit(0);
    assert!(both.stdout.contains("YubiKey 22222223"), "{}", both.stdout);
    assert!(
        both.stdout
            .contains(&format!("    {AWS_ACCOUNT}  TOTP 30 s")),
        "{}",
        both.stdout
    );
    assert!(
        both.stdout.contains(&format!("Other readers: {held}")),
        "{}",
        both.stdout
    );
    json.assert_exit(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(json["Readers"][0]["HeldByAnotherProgram"], true);
    assert!(json["Readers"][1].get("HeldByAnotherProgram").is_none());
    alone.assert_exit(0);
    assert!(
        alone.stdout.contains(&format!("Other readers: {held}")),
        "{}",
        alone.stdout
    );
}
