//! The card's OTP application over raw APDUs: challenge-response through the card, a touch slot's
//! delay or refusal, and a slot configuration the card refuses to start with.

use super::*;

#[test]
fn otp_application_over_raw_apdus() {
    use crate::virtual_yubikey::config::OtpSlotConfig;
    let config = CardConfig::new(1)
        .with_otp_slot(1, OtpSlotConfig::hmac_sha1(b"12345678901234567890"))
        .with_otp_slot(2, OtpSlotConfig::keyboard());
    let mut c = card(config);
    let (status, sw) = send(
        &mut c,
        &apdu(0, 0xA4, 4, 0, crate::virtual_yubikey::AID_OTP),
    );
    // Programming sequence 1; slot 1 and 2 valid, slot 2 touch-triggered.
    assert_eq!(
        (status.as_slice(), sw),
        (&[5, 7, 2, 1, 0x0B, 0][..], 0x9000)
    );
    assert_eq!(send(&mut c, &[0, 0x03, 0, 0]), (status.clone(), 0x9000));
    // A host that does not pad: the challenge is zero-filled, then short-challenge mode drops
    // the fill (RFC 4226 Appendix D, counter 1).
    let (mac, sw) = send(&mut c, &apdu(0, 0x01, 0x30, 0, &1u64.to_be_bytes()));
    assert_eq!(sw, 0x9000);
    assert_eq!(
        crypto::format_code(crypto::truncate(&mac).unwrap(), 6),
        "287082"
    );
    // The keyboard slot refuses: the status comes back instead of a MAC.
    assert_eq!(
        send(&mut c, &apdu(0, 0x01, 0x38, 0, &[1; 8])),
        (status, 0x9000)
    );
    assert_eq!(send(&mut c, &apdu(0, 0x01, 0x30, 0, &[1; 65])).1, 0x6700);
    assert_eq!(send(&mut c, &apdu(0, 0x01, 0x30, 1, &[1; 8])).1, 0x6A86);
    assert_eq!(send(&mut c, &[0, 0x05, 0, 0]).1, 0x6D00);
}

#[test]
fn otp_touch_slot_delays_the_answer_or_denies() {
    use crate::virtual_yubikey::config::OtpSlotConfig;
    let config = CardConfig::new(1)
        .with_otp_slot(1, OtpSlotConfig::hmac_sha1(b"k").with_touch(true))
        .with_touch(TouchPolicy::Delay(Duration::from_millis(40)));
    let mut c = card(config);
    send(
        &mut c,
        &apdu(0, 0xA4, 4, 0, crate::virtual_yubikey::AID_OTP),
    );
    let cmd = apdu(0, 0x01, 0x30, 0, &[1; 64]);
    match c.respond(&cmd) {
        Reply::Bytes { bytes, delay } => {
            assert_eq!((bytes.len(), delay), (22, Duration::from_millis(40)));
        }
        Reply::Removed => panic!("removed"),
    }
    c.set_touch_policy(TouchPolicy::Deny {
        after: Duration::from_millis(30),
    });
    match c.respond(&cmd) {
        Reply::Bytes { bytes, delay } => {
            assert_eq!(
                (bytes, delay),
                (vec![0x69, 0x82], Duration::from_millis(30))
            );
        }
        Reply::Removed => panic!("removed"),
    }
}

#[test]
fn bad_otp_slot_config_fails_the_card() {
    use crate::virtual_yubikey::config::OtpSlotConfig;
    let mut cfg = CardConfig::new(1).with_otp_slot(1, OtpSlotConfig::hmac_sha1(b"k"));
    cfg.otp_slots.one.as_mut().unwrap().secret = Some("not hex".to_owned());
    cfg.otp_application = false;
    let err = VirtualCard::new(cfg).unwrap_err().to_string();
    assert!(err.contains("otp_slots.1"), "{err}");
}
