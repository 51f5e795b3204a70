//! The card through the real stack: pcscd + vpcd, ykman (Yubico's CLI), yubikit's
//! `PcscSmartCardConnection`: the OATH applet, and the OTP application's challenge-response
//! slots. vpcd has one port for `Virtual PCD 00 00`, so the tests take turns
//! ([`reader_turn`]). Runs only with `MFA_RESYNC_TESTBED_PCSC=1`; with it, anything missing
//! fails the test.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha1::Sha1;
use testbed::virtual_yubikey::{CardConfig, CredentialConfig, OtpSlotConfig};
use yubikit::oath::OathSession;
use yubikit::platform::pcsc::PcscSmartCardConnection;
use yubikit::yubiotp::{Slot, YubiOtpSession};

use crate::harness::{
    Pcscd, READER, SEED, Scratch, card_present, oathtool_totp, reader_turn, start_card, stdout,
    wait_for,
};

pub fn enabled() -> bool {
    match std::env::var("MFA_RESYNC_TESTBED_PCSC").as_deref() {
        Ok("1") => true,
        _ => {
            eprintln!("MFA_RESYNC_TESTBED_PCSC is not 1: the pcscd + vpcd test does not run");
            false
        }
    }
}

/// Debian's ykman 4 by default; `MFA_RESYNC_TESTBED_YKMAN` may name another (e.g. ykman 5
/// from PyPI in a virtualenv).
fn ykman_program() -> String {
    std::env::var("MFA_RESYNC_TESTBED_YKMAN").unwrap_or_else(|_| "ykman".to_owned())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn open() -> OathSession<PcscSmartCardConnection> {
    // `new`, not `open`: `open` may pkill scdaemon when the reader is busy.
    let conn = PcscSmartCardConnection::new(READER, false).expect("connect to the reader");
    OathSession::new(conn)
        .map_err(|(e, _)| e)
        .expect("select OATH")
}

#[test]
fn card_through_pcscd_vpcd_to_ykman_and_yubikit() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let pcscd = Pcscd::ensure();

    let state = scratch.path("state.json");
    let config = CardConfig::new(23456789).with_credential(CredentialConfig::totp(
        Some("Amazon Web Services"),
        "alice@123456789012",
        SEED,
    ));
    config.save(&state).unwrap();
    let card = start_card(&scratch, &state, &["--persist", "-v"]);

    // ykman: discovery, list, add, code (against oathtool at the same instant).
    let ykman = |args: &[&str]| {
        let mut all = vec!["--reader", READER];
        all.extend_from_slice(args);
        stdout(&scratch.run(&ykman_program(), &all))
    };
    eprintln!("{}", ykman(&["--version"]).trim());
    let info = ykman(&["info"]);
    assert!(info.contains("Serial number: 23456789"), "{info}");
    assert!(info.contains("Firmware version: 5.7.2"), "{info}");
    let list = ykman(&["oath", "accounts", "list"]);
    assert_eq!(list.trim(), "Amazon Web Services:alice@123456789012");
    ykman(&[
        "oath",
        "accounts",
        "add",
        "-f",
        "-a",
        "SHA256",
        "-d",
        "8",
        "Example:bob",
        SEED,
    ]);
    let before = unix_now();
    let codes = ykman(&["oath", "accounts", "code"]);
    let after = unix_now();
    let expect_ok = |line_start: &str, extra: &[&str]| {
        let line = codes
            .lines()
            .find(|l| l.starts_with(line_start))
            .unwrap_or_else(|| panic!("no {line_start} in {codes}"));
        let shown = line.split_whitespace().last().unwrap();
        let candidates: Vec<String> = [before, after]
            .iter()
            .map(|t| oathtool_totp(&scratch, SEED, *t, extra))
            .collect();
        assert!(
            candidates.iter().any(|c| c == shown),
            "{line} vs oathtool {candidates:?}"
        );
    };
    expect_ok("Amazon Web Services:alice@123456789012", &[]);
    // oathtool's SHA-256 key is the same base32 seed.
    expect_ok("Example:bob", &["--totp=sha256", "-d", "8"]);

    // The added account was written back to the state file (--persist).
    wait_for(
        "the state file to gain the account",
        Duration::from_secs(5),
        || CardConfig::load(&state).is_ok_and(|c| c.credentials.len() == 2),
    );

    // yubikit over PC/SC at fixed times, against oathtool.
    let mut session = open();
    let creds = session.list_credentials().unwrap();
    let alice = creds
        .iter()
        .find(|c| c.name == "alice@123456789012")
        .unwrap()
        .clone();
    for t in [59, 1_111_111_109, 1_234_567_890, 2_000_000_000] {
        let code = session.calculate_code(&alice, t).unwrap();
        assert_eq!(code.value, oathtool_totp(&scratch, SEED, t, &[]), "at {t}");
    }

    // One CALCULATE round trip through pcscd: median of 100.
    let mut samples: Vec<Duration> = (0..100)
        .map(|i| {
            let start = Instant::now();
            session
                .calculate_code(&alice, 1_700_000_000 + 30 * i)
                .unwrap();
            start.elapsed()
        })
        .collect();
    samples.sort();
    let (median, p90, max) = (samples[50], samples[90], samples[99]);
    eprintln!(
        "CALCULATE round trip through pcscd + vpcd: median {median:?}, p90 {p90:?}, max {max:?}"
    );
    // Without TCP_NODELAY/QUICKACK each APDU stalls ~40 ms on delayed ACKs.
    assert!(
        median < Duration::from_millis(20),
        "median {median:?}: delayed-ACK stall?"
    );
    drop(session);

    let log = card.stop();
    assert!(log.contains("INS A2"), "-v logs each APDU: {log}");
    assert!(!log.contains(SEED));
    wait_for(
        "the card to leave the reader",
        Duration::from_secs(5),
        || !card_present(),
    );

    // Removal: the card answers 2 APDUs (SELECT, LIST), then disappears.
    let mut config = CardConfig::load(&state).unwrap();
    config.remove_after_apdus = Some(2);
    config.save(&state).unwrap();
    let card = start_card(&scratch, &state, &[]);
    let mut session = open();
    let creds = session.list_credentials().unwrap();
    // vpcd answers the transmit that found the card gone with an empty response and success,
    // so yubikit first sees "no status word"; pcscd reports the removal from then on.
    let err = session.calculate_code(&creds[0], 59).unwrap_err();
    eprintln!("yubikit's error when the card leaves mid-command: {err:?}");
    assert!(
        matches!(err, yubikit::oath::OathError::InvalidData(_)),
        "{err:?}"
    );
    wait_for(
        "pcscd to notice the removal",
        Duration::from_secs(5),
        || !card_present(),
    );
    let err = session.calculate_code(&creds[0], 59).unwrap_err();
    eprintln!("yubikit's error on the next command: {err:?}");
    assert!(
        matches!(err, yubikit::oath::OathError::Connection(_)),
        "{err:?}"
    );
    drop(session);
    let mut card = card;
    wait_for(
        "the removed card's process to exit",
        Duration::from_secs(5),
        || matches!(card.child.try_wait(), Ok(Some(_))),
    );
    assert!(card.child.try_wait().unwrap().unwrap().success());

    scratch.assert_no_pkill();
    drop(pcscd);
}

/// HMAC-SHA1 from the hmac crate, to check the card's against.
fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 4226 §5.3 dynamic truncation to 6 digits.
fn six_digits(mac: &[u8]) -> String {
    let offset = usize::from(mac[19] & 0x0F);
    let bin = u32::from_be_bytes(mac[offset..offset + 4].try_into().unwrap()) & 0x7FFF_FFFF;
    format!("{:06}", bin % 1_000_000)
}

#[test]
fn otp_slots_through_pcscd_vpcd_to_yubikit_ykman_and_oathtool() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let pcscd = Pcscd::ensure();

    // Slot 1 in hex, slot 2 in base32: the same RFC 4226 key, "12345678901234567890".
    let key = b"12345678901234567890";
    let mut slot2 = OtpSlotConfig::hmac_sha1(key);
    slot2.secret = None;
    slot2.secret_base32 = Some(SEED.to_owned());
    let config = CardConfig::new(34567890)
        .with_otp_slot(1, OtpSlotConfig::hmac_sha1(key))
        .with_otp_slot(2, slot2);
    let state = scratch.path("state.json");
    config.save(&state).unwrap();
    let card = start_card(&scratch, &state, &["-v"]);

    // yubikit's YubiOTP session over PC/SC (`new`, never `open`: it may pkill scdaemon).
    let conn = PcscSmartCardConnection::new(READER, false).expect("connect to the reader");
    let mut session = YubiOtpSession::new(conn)
        .map_err(|(e, _)| e)
        .expect("select the OTP application");
    assert_eq!(session.get_serial().unwrap(), 34567890);
    let state_bits = session.get_config_state();
    for slot in [Slot::One, Slot::Two] {
        assert!(state_bits.is_configured(slot).unwrap(), "{slot:?}");
        assert!(!state_bits.is_touch_triggered(slot).unwrap(), "{slot:?}");
    }
    // RFC 4226 Appendix D through both slots.
    let rfc4226 = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for slot in [Slot::One, Slot::Two] {
        for (counter, want) in rfc4226.iter().enumerate() {
            let challenge = (counter as u64).to_be_bytes();
            let mac = session.calculate_hmac_sha1(slot, &challenge).unwrap();
            assert_eq!(mac, hmac_sha1(key, &challenge), "{slot:?} {counter}");
            assert_eq!(six_digits(&mac), *want, "{slot:?} {counter}");
        }
    }
    // TOTP from the slot (counter floor(T / 30), 6 digits) against oathtool at the same T.
    for t in [59u64, 1_111_111_109, 1_234_567_890, 2_000_000_000] {
        let mac = session
            .calculate_hmac_sha1(Slot::Two, &(t / 30).to_be_bytes())
            .unwrap();
        assert_eq!(
            six_digits(&mac),
            oathtool_totp(&scratch, SEED, t, &[]),
            "T={t}"
        );
    }
    drop(session);

    // ykman 4 puts `otp` on a reader's CCID connection when given --reader (its
    // YubiOtpSession takes either transport); a ykman that only speaks OTP over HID says so.
    let ykman = |args: &[&str]| {
        let mut all = vec!["--reader", READER, "otp"];
        all.extend_from_slice(args);
        scratch.run(&ykman_program(), &all)
    };
    let info = ykman(&["info"]);
    let stderr = String::from_utf8_lossy(&info.stderr);
    if !info.status.success() && stderr.contains("CCID") {
        eprintln!(
            "SKIPPED the ykman otp checks: this ykman reaches the OTP application over HID only \
             ({})",
            stderr.trim()
        );
    } else {
        let info = stdout(&info);
        assert!(
            info.contains("Slot 1: programmed") && info.contains("Slot 2: programmed"),
            "{info}"
        );
        let hex_mac = stdout(&ykman(&["calculate", "2", "0000000000000001"]));
        assert_eq!(
            hex_mac.trim(),
            hex::encode(hmac_sha1(key, &1u64.to_be_bytes()))
        );
        // -T takes a Unix time and sends floor(T / 30): RFC 6238's T = 59.
        assert_eq!(
            stdout(&ykman(&["calculate", "-T", "1", "59"])).trim(),
            "287082"
        );
    }

    let log = card.stop();
    assert!(log.contains("INS 01"), "-v logs each APDU: {log}");
    wait_for(
        "the card to leave the reader",
        Duration::from_secs(5),
        || !card_present(),
    );
    scratch.assert_no_pkill();
    drop(pcscd);
}
