//! Rogue keys at a station: anyone can plug anything into a desk. A key whose credentials are
//! named to attack the operator's terminal (every name reaches the lines escaped and the JSON
//! exact), one holding a credential named as alice's with a period no AWS device has (not an AWS
//! credential: it never takes her device's turn, so her real key is served in its window), and
//! one with 64 credentials (one listing of the account's devices, not 64).

use std::time::Duration;

use serde_json::Value;
use testbed::virtual_yubikey::{CardConfig, CredentialConfig};

use super::A_WINDOW;
use super::harness::{Plug, StationRun, alice_key, events_in};
use crate::util::{Bed, readers};

/// Owners (before `@123456789012`) a rogue key's credentials carry: each attacks a terminal.
const HOSTILE_OWNERS: &[&str] = &[
    "\x1b[2J\x1b[Hclear",
    "\x1b]0;pwned\x07title",
    "\x1b[8mhidden\x1b[0m",
    "bob\u{202e}gpj.exe",
    "\u{2066}iso\u{2069}late",
    "\u{9b}2Jc1",
    "nul\0byte",
    "cr\rover",
    "x\n✔ 1 alice resynced",
];

fn rogue_key(serial: u32, seed: &str) -> CardConfig {
    HOSTILE_OWNERS
        .iter()
        .fold(CardConfig::new(serial), |config, owner| {
            config.with_credential(CredentialConfig::totp_with_id(
                &format!("{owner}@123456789012"),
                seed,
            ))
        })
}

/// A control or format character kept off a terminal, found raw in `text` (newlines between
/// lines aside).
fn raw_unsafe(text: &str) -> Option<char> {
    text.chars()
        .find(|c| *c != '\n' && mfa_resync::report::escape::is_unsafe(*c))
}

#[test]
fn a_key_named_to_attack_the_terminal_shows_every_name_escaped_in_text_and_exact_in_json() {
    let _readers = readers();
    let bed = Bed::new();
    let rogue = Plug::new(rogue_key(66666601, &bed.seed), 0);

    // For people: every line escaped, and no forged line of its own.
    let station = StationRun::start(&bed, &["--output", "text"]);
    rogue.insert();
    station.wait_text("✘ 66666601", Duration::from_secs(20));
    rogue.remove();
    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130);
    let all = out.all();
    assert_eq!(raw_unsafe(&all), None, "{all:?}");
    assert!(
        !out.stdout.lines().any(|l| l.starts_with('✔')),
        "no forged ✔ line: {}",
        out.stdout
    );
    assert_eq!(
        out.stdout.lines().count(),
        HOSTILE_OWNERS.len(),
        "one ✘ line per credential, none split: {}",
        out.stdout
    );
    assert!(all.contains("\\x1b[2J\\x1b[Hclear@123456789012"), "{all}");
    assert!(all.contains("bob\\u{202e}gpj.exe"), "{all}");
    assert!(all.contains("x\\x0a✔ 1 alice resynced"), "{all}");

    // For programs: the exact names, with no control written raw.
    let station = StationRun::start(&bed, &[]);
    rogue.insert();
    let results = station.wait_events("Result", HOSTILE_OWNERS.len(), Duration::from_secs(20));
    rogue.remove();
    let out = station.interrupt(Duration::from_secs(10));
    assert_eq!(raw_unsafe(&out.stdout), None, "{:?}", out.stdout);
    let identified = events_in(&out.stdout, "KeyIdentified");
    let names: Vec<&str> = identified[0]["Credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let expected: Vec<String> = HOSTILE_OWNERS
        .iter()
        .map(|o| format!("{o}@123456789012"))
        .collect();
    assert_eq!(names, expected, "kept exact");
    assert!(results.iter().all(|r| r["Result"] == "failed"));
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn a_credential_with_a_rogue_period_is_not_an_aws_credential_and_never_holds_the_device() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &[]);
    let rogue = Plug::new(
        CardConfig::new(66666602).with_credential(CredentialConfig::totp_with_id(
            "4000000000/Amazon Web Services:alice@123456789012",
            &bed.seed,
        )),
        0,
    );
    let alice = Plug::new(alice_key(12345678, &bed.seed), 1);
    bed.steer();
    rogue.insert();
    alice.insert();
    let results = station.wait_events("Result", 2, A_WINDOW);
    let of = |key: u32| {
        results
            .iter()
            .find(|r| r["Key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no result for {key}: {results:#?}"))
    };
    assert_eq!(of(12345678)["Result"], "resynced", "{results:#?}");
    let rogue_result = of(66666602);
    assert_eq!(
        rogue_result["Error"],
        "no AWS credential for account 123456789012 on this key"
    );
    let identified = station
        .named("KeyIdentified")
        .into_iter()
        .find(|e| e["Key"] == 66666602)
        .expect("the rogue key identified");
    assert_eq!(
        identified["NotAwsCredentials"],
        serde_json::json!([{
            "Credential": "4000000000/Amazon Web Services:alice@123456789012",
            "Reason": "a 4000000000-second period; AWS's is 30 s"
        }])
    );
    assert_eq!(bed.resync_requests().len(), 1, "alice's pair only");
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
}

#[test]
fn a_key_with_64_credentials_lists_the_account_s_devices_once() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &[]);
    let crowded = (0..64).fold(CardConfig::new(66666603), |config, n| {
        config.with_credential(CredentialConfig::totp_with_id(
            &format!("u{n}@123456789012"),
            &bed.seed,
        ))
    });
    let plug = Plug::new(crowded, 0);
    plug.insert();
    let results = station.wait_events("Result", 64, Duration::from_secs(30));
    assert!(results.iter().all(|r| r["Result"] == "failed"));
    let listings = bed
        .log()
        .iter()
        .filter(|e| e.action == "ListVirtualMFADevices")
        .count();
    assert_eq!(listings, 1, "one listing for one insertion");
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
}

#[test]
fn a_key_that_answers_nothing_is_let_go_the_desk_serves_on_and_a_signal_still_ends_it() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &[]);
    let mut hung = alice_key(66666604, &bed.seed);
    // It answers the first command of identification, then nothing more.
    hung.stall_after_apdus = Some(1);
    let hung = Plug::new(hung, 0);
    hung.insert();
    let result = &station.wait_events("Result", 1, Duration::from_secs(20))[0];
    assert_eq!(result["Result"], "failed", "{result:#}");
    assert_eq!(result["ExitCode"], 3);
    assert_eq!(result["Reader"], hung.reader);
    assert_eq!(result["Error"], "the device did not answer within 10 s");

    // Its reader is free again; the other reader serves alice's real key meanwhile.
    let alice = Plug::new(alice_key(12345678, &bed.seed), 1);
    bed.steer();
    alice.insert();
    let served = &station.wait_events("Result", 2, A_WINDOW)[1];
    assert_eq!(served["Result"], "resynced", "{served:#}");
    // Still in and still silent: a signal ends the station all the same.
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
    assert_eq!(bed.resync_requests().len(), 1);
    drop(hung);
}
