//! The OTP application against yubikit's real YubiOTP code: `YubiOtpSession::new_otp` over the
//! in-process HID device (yubikit's `OtpProtocol` frames, CRCs, polling, keepalives) and
//! `YubiOtpSession::new` over the CCID card. The expected values come from the RFCs, never from
//! the device's own arithmetic: RFC 4226 Appendix D, RFC 6238 Appendix B, RFC 2202 §3.

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use yubikit::core::{Connection, Transport, Version};
use yubikit::management::Capability;
use yubikit::otp::{OtpConnection, OtpError};
use yubikit::smartcard::SmartCardError;
use yubikit::yubiotp::{Slot, YubiOtpError, YubiOtpSession};

use super::{
    CardConfig, CardConnection, HidFault, OtpHidConfig, OtpHidConnection, OtpHidDevice, OtpSlot,
    OtpSlotConfig, TouchPolicy, VirtualCard,
};

/// RFC 4226's secret.
const RFC_KEY: &[u8] = b"12345678901234567890";
/// RFC 4226 Appendix D: HOTP values for counters 0..9.
const RFC4226: [&str; 10] = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
    "520489",
];

fn hid(config: OtpHidConfig) -> YubiOtpSession<OtpHidConnection> {
    YubiOtpSession::new_otp(OtpHidConnection::new(OtpHidDevice::new(config)))
        .map_err(|(e, _)| e)
        .unwrap()
}

fn ccid(config: CardConfig) -> YubiOtpSession<CardConnection<VirtualCard>> {
    YubiOtpSession::new(CardConnection::new(VirtualCard::new(config).unwrap()))
        .map_err(|(e, _)| e)
        .unwrap()
}

fn card_with(slot: u8, config: OtpSlotConfig) -> CardConfig {
    CardConfig::new(1).with_otp_slot(slot, config)
}

/// HMAC-SHA1 straight from the hmac crate.
fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 4226 §5.3 dynamic truncation to 6 digits, written out here so that the device's own
/// helper is not what checks it.
fn six_digits(mac: &[u8]) -> String {
    let offset = usize::from(mac[19] & 0x0F);
    let bin = u32::from_be_bytes(mac[offset..offset + 4].try_into().unwrap()) & 0x7FFF_FFFF;
    format!("{:06}", bin % 1_000_000)
}

/// Runs `f` against a fresh session on each transport, with both slots holding `slot`.
fn on_both(slot: OtpSlot, f: impl Fn(&str, &mut dyn FnMut(Slot, &[u8]) -> Vec<u8>)) {
    let mut h = hid(OtpHidConfig::new(1)
        .with_slot(Slot::One, slot.clone())
        .with_slot(Slot::Two, slot.clone()));
    f("hid", &mut |s, c| h.calculate_hmac_sha1(s, c).unwrap());
    let card = VirtualCard::new(CardConfig::new(1)).unwrap();
    let conn = CardConnection::new(card);
    {
        let card = conn.card();
        let mut card = card.lock().unwrap();
        let app = card.otp_mut().unwrap();
        app.set_slot(0, Some(slot.clone()));
        app.set_slot(1, Some(slot));
    }
    let mut c = YubiOtpSession::new(conn).map_err(|(e, _)| e).unwrap();
    f("ccid", &mut |s, ch| c.calculate_hmac_sha1(s, ch).unwrap());
}

#[test]
fn rfc4226_counters_through_both_slots_and_transports() {
    on_both(OtpSlot::hmac_sha1(RFC_KEY).unwrap(), |transport, calc| {
        for slot in [Slot::One, Slot::Two] {
            for (counter, want) in RFC4226.iter().enumerate() {
                let challenge = (counter as u64).to_be_bytes();
                let mac = calc(slot, &challenge);
                assert_eq!(mac, hmac_sha1(RFC_KEY, &challenge), "{transport} {slot:?}");
                assert_eq!(six_digits(&mac), *want, "{transport} {slot:?} {counter}");
            }
        }
    });
}

#[test]
fn rfc6238_totp_from_the_slot() {
    // RFC 6238 Appendix B, SHA-1 column, last six digits; the challenge is floor(T / 30).
    let table = [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
        (20_000_000_000, "353130"),
    ];
    on_both(OtpSlot::hmac_sha1(RFC_KEY).unwrap(), |transport, calc| {
        for (t, want) in table {
            let mac = calc(Slot::Two, &(t / 30u64).to_be_bytes());
            assert_eq!(six_digits(&mac), want, "{transport} T={t}");
        }
    });
}

#[test]
fn rfc2202_vectors() {
    // RFC 2202 §3 cases a slot can hold: keys of at most 20 bytes, or longer than a block (the
    // host hashes those first, RFC 2104 §2), and messages of at most 64 bytes.
    let long_key = [0xAA; 80];
    let cases: [(&[u8], &[u8], &str); 5] = [
        (
            &[0x0B; 20],
            b"Hi There",
            "b617318655057264e28bc0b6fb378c8ef146be00",
        ),
        (
            b"Jefe",
            b"what do ya want for nothing?",
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
        ),
        (
            &[0xAA; 20],
            &[0xDD; 50],
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
        ),
        (
            &[0x0C; 20],
            b"Test With Truncation",
            "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
        ),
        (
            &long_key,
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            "aa4ae5e15272d00e95705637ce8a3b55ed402112",
        ),
    ];
    for (key, data, digest) in cases {
        let stored = if key.len() > 64 {
            Sha1::digest(key).to_vec()
        } else {
            key.to_vec()
        };
        assert_eq!(
            hex::encode(hmac_sha1(key, data)),
            digest,
            "the crate itself"
        );
        on_both(OtpSlot::hmac_sha1(&stored).unwrap(), |transport, calc| {
            assert_eq!(hex::encode(calc(Slot::One, data)), digest, "{transport}");
        });
    }
}

#[test]
fn short_challenge_mode_and_full_64_byte_challenges() {
    let key = b"0123456789abcdefghij";
    // A 64-byte challenge loses its trailing run in short-challenge mode (the .NET SDK's
    // "Short Challenge Mode"; yubikey-personalization #174), so it equals the 61-byte one.
    let mut full = [0x42u8; 64];
    full[61..].copy_from_slice(&[9, 9, 9]);
    on_both(OtpSlot::hmac_sha1(key).unwrap(), |transport, calc| {
        assert_eq!(
            calc(Slot::One, &full),
            hmac_sha1(key, &full[..61]),
            "{transport}"
        );
        // Trailing zeros in a shorter challenge survive: yubikit pads them with 01.
        assert_eq!(
            calc(Slot::One, &[1, 0, 0]),
            hmac_sha1(key, &[1, 0, 0]),
            "{transport}"
        );
    });
    // Without it, the HMAC covers the whole field yubikit sent (the challenge zero-padded).
    on_both(
        OtpSlot::hmac_sha1(key).unwrap().with_lt64(false),
        |transport, calc| {
            let mut field = [0u8; 64];
            field[..3].copy_from_slice(&[1, 2, 3]);
            assert_eq!(
                calc(Slot::Two, &[1, 2, 3]),
                hmac_sha1(key, &field),
                "{transport}"
            );
            assert_eq!(calc(Slot::Two, &full), hmac_sha1(key, &full), "{transport}");
        },
    );
}

#[test]
fn serial_version_and_slot_state() {
    let config = CardConfig::new(23_456_789)
        .with_otp_slot(1, OtpSlotConfig::keyboard())
        .with_otp_slot(2, OtpSlotConfig::hmac_sha1(RFC_KEY).with_touch(true));
    let mut h = YubiOtpSession::new_otp(OtpHidConnection::new(
        OtpHidDevice::from_card(&config).unwrap(),
    ))
    .map_err(|(e, _)| e)
    .unwrap();
    let mut c = ccid(config);
    let states = [
        (h.version(), h.get_serial().unwrap(), h.get_config_state()),
        (c.version(), c.get_serial().unwrap(), c.get_config_state()),
    ];
    for (version, serial, state) in states {
        assert_eq!((version, serial), (Version(5, 7, 2), 23_456_789));
        assert!(state.is_configured(Slot::One).unwrap());
        assert!(
            state.is_touch_triggered(Slot::One).unwrap(),
            "types on touch"
        );
        assert!(state.is_configured(Slot::Two).unwrap());
        assert!(
            !state.is_touch_triggered(Slot::Two).unwrap(),
            "challenge-response, even with touch required"
        );
        assert!(!state.is_led_inverted());
    }
    // Both empty: configured nowhere, programming sequence 0.
    let empty = hid(OtpHidConfig::new(5));
    let state = empty.get_config_state();
    assert!(!state.is_configured(Slot::One).unwrap());
    assert!(!state.is_configured(Slot::Two).unwrap());
    assert_eq!(empty.status(), &[5, 7, 2, 0, 0, 0]);
}

#[test]
fn ccid_touch_delays_or_answers_6982() {
    let slot = OtpSlotConfig::hmac_sha1(RFC_KEY)
        .with_touch(true)
        .with_touch_policy(TouchPolicy::Delay(Duration::from_millis(200)));
    let mut s = ccid(card_with(1, slot));
    let start = Instant::now();
    let mac = s
        .calculate_hmac_sha1(Slot::One, &1u64.to_be_bytes())
        .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(200));
    assert_eq!(six_digits(&mac), "287082");

    // The card's finger, for a slot without a policy of its own.
    let config = card_with(2, OtpSlotConfig::hmac_sha1(RFC_KEY).with_touch(true)).with_touch(
        TouchPolicy::Deny {
            after: Duration::from_millis(150),
        },
    );
    let mut s = ccid(config);
    let start = Instant::now();
    let err = s.calculate_hmac_sha1(Slot::Two, &[1]).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(150));
    match err {
        YubiOtpError::Connection(e) => assert_eq!(e.sw(), Some(0x6982), "{e:?}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_and_keyboard_slots_refuse_challenges() {
    let config = OtpHidConfig::new(1).with_slot(Slot::One, OtpSlot::keyboard());
    let mut h = hid(config);
    for slot in [Slot::One, Slot::Two] {
        match h.calculate_hmac_sha1(slot, &[1]).unwrap_err() {
            YubiOtpError::Connection(OtpError::CommandRejected(m)) => assert_eq!(m, "No data"),
            other => panic!("{slot:?}: {other:?}"),
        }
    }
    let mut c = ccid(card_with(1, OtpSlotConfig::keyboard()));
    for slot in [Slot::One, Slot::Two] {
        let err = c.calculate_hmac_sha1(slot, &[1]).unwrap_err();
        assert!(
            matches!(&err, YubiOtpError::InvalidData(m) if m.contains("expected 20, got 6")),
            "{slot:?}: {err:?}"
        );
    }
}

#[test]
fn slot_writes_are_refused() {
    use yubikit::yubiotp::{HmacKey, SlotConfiguration};
    let config = SlotConfiguration::hmac_sha1(&HmacKey::new(RFC_KEY).unwrap()).unwrap();
    let mut h = hid(OtpHidConfig::new(1));
    let err = h
        .put_configuration(Slot::One, &config, None, None)
        .unwrap_err();
    assert!(
        matches!(err, YubiOtpError::Connection(OtpError::CommandRejected(_))),
        "{err:?}"
    );
    let mut c = ccid(CardConfig::new(1));
    let err = c
        .put_configuration(Slot::One, &config, None, None)
        .unwrap_err();
    assert!(
        matches!(&err, YubiOtpError::InvalidData(m) if m == "Not updated"),
        "{err:?}"
    );
}

#[test]
fn device_info_over_hid() {
    let conn = OtpHidConnection::new(OtpHidDevice::new(OtpHidConfig::new(34_567_890)));
    // 0x0407: a YubiKey 5 with OTP, FIDO and CCID.
    let (info, conn) = yubikit::device::read_info_otp(conn, 0x0407)
        .map_err(|(e, _)| e)
        .unwrap();
    assert_eq!(info.serial, Some(34_567_890));
    assert_eq!(info.version, Version(5, 7, 2));
    let usb = info.config.enabled_capabilities[&Transport::Usb];
    assert!(usb.contains(Capability::OTP) && usb.contains(Capability::OATH));
    // The same connection goes on to a YubiOTP session.
    let mut s = YubiOtpSession::new_otp(conn).map_err(|(e, _)| e).unwrap();
    assert_eq!(s.get_serial().unwrap(), 34_567_890);
}

#[test]
fn card_json_slots_drive_both_transports_alike() {
    let json = r#"{
        "serial": 42,
        "otp_slots": {
            "1": {"secret": "3132333435363738393031323334353637383930"},
            "2": {"secret_base32": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "lt64": false}
        }
    }"#;
    let config: CardConfig = serde_json::from_str(json).unwrap();
    let mut h = YubiOtpSession::new_otp(OtpHidConnection::new(
        OtpHidDevice::from_card(&config).unwrap(),
    ))
    .map_err(|(e, _)| e)
    .unwrap();
    let mut c = ccid(config);
    let challenge = 1u64.to_be_bytes();
    let mut field = [0u8; 64];
    field[..8].copy_from_slice(&challenge);
    for (slot, want) in [
        (Slot::One, hmac_sha1(RFC_KEY, &challenge)),
        (Slot::Two, hmac_sha1(RFC_KEY, &field)),
    ] {
        assert_eq!(h.calculate_hmac_sha1(slot, &challenge).unwrap(), want);
        assert_eq!(c.calculate_hmac_sha1(slot, &challenge).unwrap(), want);
    }
}

#[test]
fn usb_transport_reports_the_same() {
    // Over a USB CCID connection yubikit uses extended APDUs; nothing changes for OTP.
    let conn = CardConnection::new(
        VirtualCard::new(card_with(1, OtpSlotConfig::hmac_sha1(RFC_KEY))).unwrap(),
    )
    .with_transport(Transport::Usb);
    let mut s = YubiOtpSession::new(conn).map_err(|(e, _)| e).unwrap();
    let mac = s
        .calculate_hmac_sha1(Slot::One, &1u64.to_be_bytes())
        .unwrap();
    assert_eq!(six_digits(&mac), "287082");
}

#[test]
fn ccid_card_without_otp_application_is_not_available() {
    let mut config = CardConfig::new(1);
    config.otp_application = false;
    let conn = CardConnection::new(VirtualCard::new(config).unwrap());
    let err = YubiOtpSession::new(conn).map(|_| ()).unwrap_err().0;
    assert!(
        matches!(
            err,
            YubiOtpError::Connection(SmartCardError::ApplicationNotAvailable)
        ),
        "{err:?}"
    );
}

mod hid;
