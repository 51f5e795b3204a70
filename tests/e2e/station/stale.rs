//! A found-again key at the station: its credential names a device its user no longer has.

use std::time::Duration;

use testbed::iam_local::random_seed_base32;

use super::A_WINDOW;
use super::harness::{Plug, StationRun, alice_key, key};
use crate::util::{Bed, readers};

const NEW_DEVICE: &str = "arn:aws:iam::123456789012:mfa/alice-23456789";

#[test]
fn a_found_again_key_whose_device_was_replaced_is_stale_and_its_codes_are_never_sent() {
    let _readers = readers();
    // alice's mfa/alice was replaced by her new key's mfa/alice-23456789 (the same seed here, so
    // that only the name can tell them apart); her old key, found again, still holds the
    // credential AWS's QR code gave mfa/alice.
    let bed = Bed::with(|config| {
        for device in &mut config.state.devices {
            if device.serial.ends_with(":mfa/alice") {
                device.serial = NEW_DEVICE.into();
            }
        }
    });
    let old_key = Plug::new(alice_key(12345678, &random_seed_base32()), 0);
    let new_key = Plug::new(
        key(
            23456789,
            &[("Amazon Web Services:alice-23456789@123456789012", &bed.seed)],
        ),
        1,
    );
    let station = StationRun::start(&bed, &[]);
    bed.steer();
    old_key.insert();
    new_key.insert();
    let results = station.wait_events("Result", 2, A_WINDOW);
    let of = |serial: u32| {
        results
            .iter()
            .find(|r| r["Key"] == serial)
            .cloned()
            .unwrap_or_else(|| panic!("no result for {serial}: {results:#?}"))
    };
    let stale = of(12345678);
    assert_eq!(stale["Result"], "failed", "{stale:#}");
    assert_eq!(stale["ExitCode"], 3, "{stale:#}");
    let error = stale["Error"].as_str().unwrap_or_default();
    assert!(
        error.contains(
            "this key's credential is for mfa/alice, which is not one of alice's devices now (it was retired or replaced): enrol the key again; nothing was sent"
        ),
        "{error}"
    );
    assert_eq!(of(23456789)["Result"], "resynced", "{results:#?}");
    let sent: Vec<String> = bed
        .resync_requests()
        .iter()
        .filter_map(|r| r.params.get("SerialNumber").cloned())
        .collect();
    assert_eq!(sent, [NEW_DEVICE], "the new key's pair only");
    old_key.remove();
    new_key.remove();
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
}
