//! Every line names the key of the event that caused it, and every wait says why: a key pulled
//! from a reader is named as itself (not as the key served there before it, and not as no key
//! once identified), and a second key for a device another key is serving waits with a line that
//! names that key, then the window its own pair goes in.

use std::time::Duration;

use serde_json::Value;

use super::harness::{Plug, StationRun, alice_key};
use crate::util::{Bed, readers};

#[test]
fn a_pulled_key_is_named_as_itself_never_as_the_key_before_it() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &[]);
    let a = Plug::new(alice_key(31000002, &bed.seed), 0);
    bed.steer();
    a.insert();
    let first = &station.wait_events("Result", 1, super::A_WINDOW)[0];
    assert_eq!(first["Result"], "resynced", "{first:#}");
    a.remove();
    let removed = station.wait_events("KeyRemoved", 1, Duration::from_secs(5));
    assert_eq!(
        removed[0]["Key"], 31000002,
        "a key that stayed in until its result"
    );

    // Another key in the same reader, pulled while it waits for code 2.
    a.swap(alice_key(23456789, &bed.seed));
    bed.skip_windows(1);
    bed.steer_to(Duration::from_secs(8));
    a.insert();
    station.wait_events("Code1Read", 2, Duration::from_secs(10));
    a.remove();
    let removed = station.wait_events("KeyRemoved", 2, Duration::from_secs(5));
    assert_eq!(removed[1]["Key"], 23456789, "{removed:#?}");
    let result = &station.wait_events("Result", 2, Duration::from_secs(10))[1];
    assert_eq!(result["Key"], 23456789);
    assert_eq!(
        result["Error"],
        "YubiKey 23456789 was removed before both codes were read"
    );
    // And as text.
    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130);
    assert_eq!(bed.resync_requests().len(), 1);
}

#[test]
fn a_second_key_for_a_device_in_service_says_whose_turn_it_is_and_when_its_pair_goes() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &["--output", "text"]);
    let primary = Plug::new(alice_key(31000002, &bed.seed), 0);
    let backup = Plug::new(alice_key(23456789, &bed.seed), 1);
    bed.steer_to(Duration::from_secs(8));
    primary.insert();
    station.wait_text("31000002 alice: Code 1 read", Duration::from_secs(10));
    backup.insert();
    station.wait_text(
        "[Virtual PCD 00 01] 23456789 alice: waiting: arn:aws:iam::123456789012:mfa/alice is being served by YubiKey 31000002 in Virtual PCD 00 00; this key follows it",
        Duration::from_secs(10),
    );
    station.wait_text("✔ 31000002", super::A_WINDOW);
    station.wait_text(
        "[Virtual PCD 00 01] 23456789 alice: waiting: arn:aws:iam::123456789012:mfa/alice was resynced in this window; its next pair goes at ",
        Duration::from_secs(10),
    );
    backup.remove();
    station.wait_text("✘ 23456789", Duration::from_secs(10));
    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130);
    // The time said is when code 2's window opens: two windows past the one just used.
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1);
    let (_, used) = sent[0].counters.expect("the accepted pair's counters");
    let said = out
        .stderr
        .lines()
        .find_map(|l| l.split("its next pair goes at ").nth(1))
        .expect("the time");
    let at = (used + 2) * 30;
    let expected = format!(
        "{:02}:{:02}:{:02} UTC",
        at % 86_400 / 3600,
        at % 3600 / 60,
        at % 60
    );
    assert_eq!(said, expected, "{}", out.stderr);
}

/// The station's JSON for the same wait: its reason, who holds the device, and until when.
#[test]
fn a_wait_s_reason_is_an_event_for_programs_too() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &[]);
    let primary = Plug::new(alice_key(31000002, &bed.seed), 0);
    let backup = Plug::new(alice_key(23456789, &bed.seed), 1);
    bed.steer_to(Duration::from_secs(8));
    primary.insert();
    station.wait_events("Code1Read", 1, Duration::from_secs(10));
    backup.insert();
    let waits: Vec<Value> = station.wait_events("Waiting", 2, super::A_WINDOW);
    assert_eq!(waits[0]["Reason"], "DeviceInUse", "{waits:#?}");
    assert_eq!(waits[0]["Key"], 23456789);
    assert_eq!(waits[0]["ByKey"], 31000002);
    assert_eq!(waits[0]["ByReader"], "Virtual PCD 00 00");
    assert_eq!(waits[1]["Reason"], "UsedThisWindow");
    assert!(waits[1]["Until"].is_string() && waits[1]["UntilClock"].is_string());
    backup.remove();
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
}
