//! The OTP application over the in-process HID device only: touch waits with yubikit's
//! keepalives, a denied or cancelled touch, processing polls, injected faults reaching yubikit as
//! its own errors, a closed connection.

use super::*;

#[test]
fn hid_touch_waits_then_answers_with_keepalives() {
    let device = Arc::new(Mutex::new(OtpHidDevice::new(
        OtpHidConfig::new(1).with_slot(
            Slot::One,
            OtpSlot::hmac_sha1(RFC_KEY)
                .unwrap()
                .with_touch(true)
                .with_touch_policy(TouchPolicy::Delay(Duration::from_millis(300))),
        ),
    )));
    let mut s = YubiOtpSession::new_otp(OtpHidConnection::shared(Arc::clone(&device)))
        .map_err(|(e, _)| e)
        .unwrap();
    let keepalives = Mutex::new(Vec::new());
    let start = Instant::now();
    let mac = s
        .calculate_hmac_sha1_with_cancel(
            Slot::One,
            &1u64.to_be_bytes(),
            None,
            Some(&|status| keepalives.lock().unwrap().push(status)),
        )
        .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(six_digits(&mac), "287082");
    // yubikit's STATUS_UPNEEDED (2): what ykman turns into "Touch your YubiKey...".
    assert_eq!(*keepalives.lock().unwrap(), [2]);
    let mut d = device.lock().unwrap();
    assert!(!d.is_waiting_for_touch());
    assert_eq!(d.commands(), [0x30], "CHAL_HMAC1 went through the frames");
}

#[test]
fn hid_denied_touch_times_out_with_yubikits_error() {
    let mut s = hid(OtpHidConfig::new(1)
        .with_touch(TouchPolicy::Deny {
            after: Duration::from_millis(250),
        })
        .with_slot(
            Slot::Two,
            OtpSlot::hmac_sha1(RFC_KEY).unwrap().with_touch(true),
        ));
    let start = Instant::now();
    let err = s.calculate_hmac_sha1(Slot::Two, &[1]).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(250));
    match err {
        YubiOtpError::Connection(OtpError::Timeout(msg)) => {
            assert_eq!(msg, "Timed out waiting for touch");
        }
        other => panic!("{other:?}"),
    }
    // The next command works (the device went back to idle by itself).
    assert_eq!(s.get_serial().unwrap(), 1);
}

#[test]
fn hid_touch_wait_can_be_cancelled() {
    let device = Arc::new(Mutex::new(OtpHidDevice::new(
        OtpHidConfig::new(1)
            .with_touch(TouchPolicy::Delay(Duration::from_secs(60)))
            .with_slot(
                Slot::One,
                OtpSlot::hmac_sha1(RFC_KEY).unwrap().with_touch(true),
            ),
    )));
    let mut s = YubiOtpSession::new_otp(OtpHidConnection::shared(Arc::clone(&device)))
        .map_err(|(e, _)| e)
        .unwrap();
    let polls = Cell::new(0);
    let cancel = || {
        polls.set(polls.get() + 1);
        polls.get() > 2
    };
    let start = Instant::now();
    let err = s
        .calculate_hmac_sha1_with_cancel(Slot::One, &[1], Some(&cancel), None)
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(&err, YubiOtpError::Connection(OtpError::Timeout(m)) if m == "Command cancelled"),
        "{err:?}"
    );
    let mut d = device.lock().unwrap();
    assert!(
        !d.is_waiting_for_touch(),
        "yubikit's reset write ended the wait"
    );
    assert!(d.resets() >= 1);
}

#[test]
fn hid_processing_polls_show_as_keepalive_1() {
    let mut s = hid(OtpHidConfig::new(1)
        .with_processing_polls(2)
        .with_slot(Slot::One, OtpSlot::hmac_sha1(RFC_KEY).unwrap()));
    let keepalives = Mutex::new(Vec::new());
    let mac = s
        .calculate_hmac_sha1_with_cancel(
            Slot::One,
            &0u64.to_be_bytes(),
            None,
            Some(&|status| keepalives.lock().unwrap().push(status)),
        )
        .unwrap();
    assert_eq!(six_digits(&mac), "755224");
    assert_eq!(*keepalives.lock().unwrap(), [1], "STATUS_PROCESSING");
}

fn hid_error(fault: HidFault) -> YubiOtpError<OtpError> {
    let conn = OtpHidConnection::new(OtpHidDevice::new(
        OtpHidConfig::new(1).with_slot(Slot::One, OtpSlot::hmac_sha1(RFC_KEY).unwrap()),
    ));
    let device = conn.device();
    let mut s = YubiOtpSession::new_otp(conn).map_err(|(e, _)| e).unwrap();
    device.lock().unwrap().set_fault(Some(fault));
    s.calculate_hmac_sha1(Slot::One, &[1]).unwrap_err()
}

#[test]
fn hid_faults_reach_yubikit_as_its_errors() {
    let bad = |e: &YubiOtpError<OtpError>, text: &str| matches!(e, YubiOtpError::InvalidData(m) if m.contains(text));
    let e = hid_error(HidFault::BadCrc);
    assert!(bad(&e, "Invalid CRC"), "{e:?}");
    let e = hid_error(HidFault::ShortReport);
    assert!(bad(&e, "Incorrect feature report size"), "{e:?}");
    let e = hid_error(HidFault::IncompleteTransfer);
    assert!(bad(&e, "Incomplete transfer"), "{e:?}");
    let e = hid_error(HidFault::Busy);
    assert!(
        matches!(&e, YubiOtpError::Connection(OtpError::Timeout(m)) if m.contains("ready to receive")),
        "{e:?}"
    );
    let e = hid_error(HidFault::Unplugged);
    assert!(
        matches!(&e, YubiOtpError::Connection(OtpError::Transport(t)) if t.to_string().contains("unplugged")),
        "{e:?}"
    );
    // Armed before the session opens, a short report stops it opening.
    let conn = OtpHidConnection::new(OtpHidDevice::new(
        OtpHidConfig::new(1).with_fault(HidFault::ShortReport),
    ));
    let (err, _conn) = YubiOtpSession::new_otp(conn).map(|_| ()).unwrap_err();
    assert!(matches!(err, YubiOtpError::InvalidData(_)), "{err:?}");
}

#[test]
fn closed_connection_is_a_transport_error() {
    let mut conn = OtpHidConnection::new(OtpHidDevice::new(OtpHidConfig::new(1)));
    assert_eq!(conn.otp_receive().unwrap().len(), 8);
    conn.close();
    assert!(matches!(conn.otp_receive(), Err(OtpError::Transport(_))));
    assert!(matches!(
        conn.otp_send(&[0; 8]),
        Err(OtpError::Transport(_))
    ));
}
