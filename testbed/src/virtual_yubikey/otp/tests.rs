use super::*;

fn identity() -> Identity {
    Identity {
        serial: 7,
        version: [5, 7, 2],
        capabilities: 0x21,
    }
}

#[test]
fn crc_matches_yubikit_and_has_the_residual() {
    for data in [&b""[..], b"hello", &[0u8; 64], &[0xA5; 22]] {
        assert_eq!(crc16(data), yubikit::otp::calculate_crc(data));
        let mut with = data.to_vec();
        with.extend_from_slice(&(!crc16(data)).to_le_bytes());
        assert_eq!(crc16(&with), CRC_RESIDUAL);
        assert!(yubikit::otp::check_crc(&with));
    }
}

#[test]
fn padding_rule() {
    // yubikit pads with 00 after a non-zero last byte, 01 after a zero one.
    let mut field = [0u8; 64];
    field[..3].copy_from_slice(&[1, 2, 3]);
    assert_eq!(strip_padding(&field), &[1, 2, 3]);
    let mut field = [1u8; 64];
    field[..2].copy_from_slice(&[9, 0]);
    assert_eq!(strip_padding(&field), &[9, 0]);
    // A full field loses its own trailing run.
    let mut full = [7u8; 64];
    full[61..].copy_from_slice(&[5, 5, 5]);
    assert_eq!(strip_padding(&full).len(), 61);
    assert!(strip_padding(&[4; 64]).is_empty());
}

#[test]
fn status_bits_and_sequence() {
    let empty = OtpApp::new(identity(), [None, None], TouchPolicy::Accept);
    assert_eq!(empty.status(), [5, 7, 2, 0, 0, 0]);
    let app = OtpApp::new(
        identity(),
        [
            Some(OtpSlot::keyboard()),
            Some(OtpSlot::hmac_sha1(b"k").unwrap().with_touch(true)),
        ],
        TouchPolicy::Accept,
    );
    assert_eq!(app.status(), [5, 7, 2, 1, 0x01 | 0x02 | 0x04, 0]);
}

#[test]
fn keys_are_one_to_twenty_bytes_and_never_printed() {
    assert!(OtpSlot::hmac_sha1(&[]).is_err());
    assert!(OtpSlot::hmac_sha1(&[1; 21]).is_err());
    let slot = OtpSlot::hmac_sha1(b"super-secret-key").unwrap();
    assert!(!format!("{slot:?}").contains("super"));
    // Zero padding to 20 bytes leaves the HMAC as it was (RFC 2104 §2).
    let padded = OtpSlot::hmac_sha1(b"super-secret-key\0\0\0\0").unwrap();
    assert_eq!(slot.hmac_response(b"x"), padded.hmac_response(b"x"));
}

#[test]
fn refusals() {
    let app = OtpApp::new(
        identity(),
        [Some(OtpSlot::keyboard()), None],
        TouchPolicy::Accept,
    );
    assert_eq!(
        app.command(slot_cmd::CHAL_HMAC_1, &[1; 64]),
        Outcome::Refused
    );
    assert_eq!(
        app.command(slot_cmd::CHAL_HMAC_2, &[1; 64]),
        Outcome::Refused
    );
    assert_eq!(app.command(0x01, &[0; 64]), Outcome::Refused, "a write");
    assert_eq!(
        app.command(slot_cmd::DEVICE_SERIAL, &[]),
        Outcome::Data(vec![0, 0, 0, 7])
    );
}
