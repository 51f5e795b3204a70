use super::*;

/// A frame as ykpers builds it: payload, command, CRC (little-endian), filler.
fn frame(cmd: u8, payload: &[u8], crc_ok: bool) -> [u8; FRAME_SIZE] {
    let mut f = [0u8; FRAME_SIZE];
    f[..payload.len()].copy_from_slice(payload);
    f[PAYLOAD_SIZE] = cmd;
    let mut crc = otp::crc16(&f[..PAYLOAD_SIZE]);
    if !crc_ok {
        crc ^= 1;
    }
    f[PAYLOAD_SIZE + 1..PAYLOAD_SIZE + 3].copy_from_slice(&crc.to_le_bytes());
    f
}

/// Writes every part (no zero-skipping), as a simple host might.
fn write_frame(d: &mut OtpHidDevice, f: &[u8; FRAME_SIZE]) {
    for (seq, part) in f.chunks(REPORT_DATA_SIZE).enumerate() {
        let mut r = [0u8; REPORT_SIZE];
        r[..REPORT_DATA_SIZE].copy_from_slice(part);
        r[REPORT_DATA_SIZE] = flag::SLOT_WRITE | seq as u8;
        assert!(d.set_feature_report(&r));
    }
}

fn device() -> OtpHidDevice {
    OtpHidDevice::new(OtpHidConfig::new(0x0102_0304).with_slot(
        Slot::Two,
        OtpSlot::hmac_sha1(b"12345678901234567890").unwrap(),
    ))
}

#[test]
fn status_report_layout() {
    let mut d = device();
    assert_eq!(d.get_feature_report().unwrap(), [0, 5, 7, 2, 1, 0x02, 0, 0]);
}

#[test]
fn serial_read_by_hand() {
    let mut d = device();
    write_frame(&mut d, &frame(otp::slot_cmd::DEVICE_SERIAL, &[], true));
    let first = d.get_feature_report().unwrap();
    assert_eq!(first[REPORT_DATA_SIZE], flag::RESP_PENDING);
    assert_eq!(&first[..4], &[1, 2, 3, 4]);
    // Serial + CRC complement = 6 bytes: one part; then the sequence wraps to 0.
    assert!(yubikit::otp::check_crc(&first[..6]));
    let again = d.get_feature_report().unwrap();
    assert_eq!(again[REPORT_DATA_SIZE], flag::RESP_PENDING, "wrapped");
    // Reset, then status again.
    let mut reset = [0u8; REPORT_SIZE];
    reset[REPORT_DATA_SIZE] = 0xFF;
    d.set_feature_report(&reset);
    assert_eq!(d.get_feature_report().unwrap()[REPORT_DATA_SIZE], 0);
    assert_eq!((d.commands(), d.resets()), (&[0x10][..], 1));
}

#[test]
fn hmac_response_spans_four_parts() {
    let mut d = device();
    let mut challenge = [0u8; 64];
    challenge[7] = 1;
    write_frame(&mut d, &frame(otp::slot_cmd::CHAL_HMAC_2, &challenge, true));
    let mut data = Vec::new();
    for seq in 0..4u8 {
        let r = d.get_feature_report().unwrap();
        assert_eq!(r[REPORT_DATA_SIZE], flag::RESP_PENDING | seq);
        data.extend_from_slice(&r[..REPORT_DATA_SIZE]);
    }
    assert!(yubikit::otp::check_crc(&data[..22]));
    let want = crate::virtual_yubikey::crypto::hmac(
        crate::virtual_yubikey::HashAlgorithm::Sha1,
        b"12345678901234567890",
        &1u64.to_be_bytes(),
    );
    assert_eq!(&data[..20], &want[..]);
}

#[test]
fn bad_frame_crc_and_stray_parts_are_ignored() {
    let mut d = device();
    write_frame(&mut d, &frame(otp::slot_cmd::DEVICE_SERIAL, &[], false));
    assert_eq!(d.rejected_frames(), 1);
    assert_eq!(d.get_feature_report().unwrap()[REPORT_DATA_SIZE], 0);
    // A part without sequence 0 first, a report without the write flag, a short write.
    let mut stray = [0u8; REPORT_SIZE];
    stray[REPORT_DATA_SIZE] = flag::SLOT_WRITE | 9;
    assert!(d.set_feature_report(&stray));
    assert!(d.set_feature_report(&[1, 2, 3, 4, 5, 6, 7, 0x09]));
    assert!(d.set_feature_report(&[0x80]));
    assert_eq!(d.commands().len(), 1);
    assert_eq!(d.get_feature_report().unwrap()[REPORT_DATA_SIZE], 0);
}

#[test]
fn touch_wait_counts_seconds_down() {
    let mut d = OtpHidDevice::new(
        OtpHidConfig::new(1)
            .with_touch(TouchPolicy::Deny {
                after: Duration::from_millis(2500),
            })
            .with_slot(
                Slot::One,
                OtpSlot::hmac_sha1(b"k").unwrap().with_touch(true),
            ),
    );
    write_frame(&mut d, &frame(otp::slot_cmd::CHAL_HMAC_1, &[1], true));
    let r = d.get_feature_report().unwrap();
    assert_eq!(r[REPORT_DATA_SIZE], flag::RESP_TIMEOUT_WAIT | 3);
    assert!(d.is_waiting_for_touch());
    let mut unplugged = d;
    unplugged.set_fault(Some(HidFault::Unplugged));
    assert!(unplugged.get_feature_report().is_none());
    assert!(!unplugged.set_feature_report(&[0; 8]));
}

/// Whatever a host writes and reads, the device never panics and every report is 8 bytes.
#[test]
fn random_host_traffic() {
    let mut state = 0x1234_5678_9ABC_DEF0_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..200 {
        let mut d = OtpHidDevice::new(
            OtpHidConfig::new(next() as u32)
                .with_processing_polls((next() % 3) as u32)
                .with_touch(TouchPolicy::Delay(Duration::from_millis(next() % 3)))
                .with_slot(
                    Slot::One,
                    OtpSlot::hmac_sha1(&[next() as u8; 20])
                        .unwrap()
                        .with_touch(next() % 2 == 0),
                )
                .with_slot(Slot::Two, OtpSlot::keyboard()),
        );
        for _ in 0..100 {
            match next() % 4 {
                0 => {
                    let r = d.get_feature_report().unwrap();
                    assert_eq!(r.len(), REPORT_SIZE);
                }
                1 => {
                    let cmd = [0x10, 0x13, 0x30, 0x38, 0x01, next() as u8][(next() % 6) as usize];
                    let payload: Vec<u8> = (0..next() % 65).map(|_| next() as u8).collect();
                    write_frame(&mut d, &frame(cmd, &payload, next() % 8 != 0));
                }
                2 => {
                    let mut r = [0u8; REPORT_SIZE];
                    r.iter_mut().for_each(|b| *b = next() as u8);
                    d.set_feature_report(&r);
                }
                _ => {
                    let len = (next() % 12) as usize;
                    let r: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                    d.set_feature_report(&r);
                }
            }
        }
    }
}
