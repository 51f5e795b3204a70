//! An OTP-slot resync end to end through yubikit's real YubiOTP HID path: the in-process OTP HID
//! device (frames, CRC, slot commands) computes the codes, the library's planner and retry loop
//! drive it, and the pair goes over real HTTP with SigV4 to iam-local.

use std::sync::Arc;

use mfa_resync::model::{Origin, SerialNumber, UserName};
use mfa_resync::pipeline::{Interrupt, PairReader, Resync, Sender, send_with_retries};
use mfa_resync::report::Reporter;
use mfa_resync::request::AwsOptions;
use mfa_resync::source::otp_slot::{OtpSlotSource, SlotNumber};
use mfa_resync::source::{SharedNotifier, Silent};
use mfa_resync::window::{Clock, Mode, ServerClock, Skew, SystemClock};
use testbed::iam_local::{
    Config, DEMO_SERIAL, Server, State, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY,
};
use testbed::virtual_yubikey::{OtpHidConfig, OtpHidConnection, OtpHidDevice, OtpSlot};
use yubikit::yubiotp::{Slot, YubiOtpSession};

fn silent() -> SharedNotifier {
    Arc::new(Silent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_otp_slot_over_hid_resyncs_against_iam_local() {
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let server = Server::start(Config::new(State::demo(seed))).await.unwrap();
    let options = AwsOptions {
        endpoint_url: Some(server.url()),
        region: Some("us-east-1".into()),
        connect_timeout: std::time::Duration::from_secs(2),
        read_timeout: std::time::Duration::from_secs(5),
        ..Default::default()
    };
    let aws = mfa_resync::aws::Aws::connect_with_credentials(
        &options,
        TEST_ACCESS_KEY_ID,
        TEST_SECRET_ACCESS_KEY,
    )
    .await
    .unwrap();

    let secret = testbed::iam_local::totp::decode_seed(seed).unwrap();
    let key =
        OtpHidConfig::new(12345678).with_slot(Slot::Two, OtpSlot::hmac_sha1(&secret).unwrap());
    let session = YubiOtpSession::new_otp(OtpHidConnection::new(OtpHidDevice::new(key)))
        .map_err(|(e, _)| e)
        .unwrap();
    let source = OtpSlotSource::new(session, SlotNumber::Two, 6, "HID", silent()).unwrap();

    let clock = ServerClock::new(Arc::new(SystemClock) as Arc<dyn Clock>, Skew::ZERO);
    let reporter = Reporter::silent();
    let (_ctrl_c, interrupt) = Interrupt::manual();
    let mut reader = PairReader::new(Box::new(source), clock, Mode::NoWait, reporter, interrupt);
    let user = UserName::parse("alice", Origin::Flag).unwrap();
    let serial = SerialNumber::parse(DEMO_SERIAL, Origin::Flag).unwrap();
    let iam = Resync {
        aws: &aws,
        user: &user,
        serial: &serial,
    };
    let sent = send_with_retries(&mut reader, &mut Sender::new(iam), 1)
        .await
        .unwrap();
    let log = server.log();
    let resync: Vec<_> = log
        .iter()
        .filter(|e| e.action == "ResyncMFADevice")
        .collect();
    assert_eq!(resync.len(), 1);
    assert_eq!(resync[0].status, 200);
    let pair = sent.pair.expect("host-chosen counters");
    assert_eq!(resync[0].counters, Some((pair.first, pair.second())));
}

#[test]
fn slot_codes_over_hid_match_oathtool() {
    // oathtool is nobody-here's TOTP: the HID slot's code for a time must be its code.
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let secret = testbed::iam_local::totp::decode_seed(seed).unwrap();
    let key = OtpHidConfig::new(1).with_slot(Slot::Two, OtpSlot::hmac_sha1(&secret).unwrap());
    let session = YubiOtpSession::new_otp(OtpHidConnection::new(OtpHidDevice::new(key)))
        .map_err(|(e, _)| e)
        .unwrap();
    let mut source = OtpSlotSource::new(session, SlotNumber::Two, 6, "HID", silent()).unwrap();
    for t in [59u64, 1_111_111_109, 2_000_000_000] {
        let ours = mfa_resync::source::CodeSource::code_at(&mut source, t / 30).unwrap();
        let theirs = match std::process::Command::new("oathtool")
            .args(["--totp", "-b", seed, "-N", &format!("@{t}")])
            .output()
        {
            Ok(out) => String::from_utf8(out.stdout).unwrap(),
            Err(e) => {
                assert!(
                    std::env::var_os("MFA_RESYNC_REQUIRE_TOOLS").is_none(),
                    "oathtool is required: {e}"
                );
                return;
            }
        };
        assert_eq!(ours.expose(), theirs.trim(), "T={t}");
    }
}
