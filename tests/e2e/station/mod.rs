//! `mfa-resync station` end to end: the built binary as a child process watching vpcd's two
//! readers through the real pcscd, virtual keys plugged in and out by the test, and `iam-local`
//! with alice, bob and carol, each with a virtual device. The station runs as the help desk's
//! admin, with readers of the test's own (`util::readers`). A key's wait is made short by moving
//! AWS's clock (`Bed::steer`): the station plans each key in AWS's time, as its listing's answer
//! tells it.

mod churn;
mod harness;
mod lines;
mod pcscd;
mod rogue;
mod stale;

use std::time::Duration;

use serde_json::Value;
use testbed::iam_local::{State, random_seed_base32};
use testbed::virtual_yubikey::{CredentialConfig, TouchPolicy};

use crate::util::{Bed, READER_0, READER_1, readers};
use harness::{Plug, StationRun, key, pair_counters};

const ALICE: &str = "arn:aws:iam::123456789012:mfa/alice";
const BOB: &str = "arn:aws:iam::123456789012:mfa/bob";
const CAROL: &str = "arn:aws:iam::123456789012:mfa/desk/carol-key";
/// Long enough for a key to be identified, wait for the next boundary and be resynced.
const A_WINDOW: Duration = Duration::from_secs(75);

/// The demo account with bob (device `bob`) and carol (device `desk/carol-key`, named unlike
/// her), each with their own seed.
fn desk() -> (Bed, String, String) {
    let (bob, carol) = (random_seed_base32(), random_seed_base32());
    let (b, c) = (bob.clone(), carol.clone());
    let bed = Bed::with(move |config| {
        let state = std::mem::replace(&mut config.state, State::demo(""));
        let state = state
            .with_user("bob")
            .with_device_for("bob", "bob", &b)
            .with_user("carol");
        config.state = with_device_at(state, "carol", "/desk/", "carol-key", &c);
    });
    (bed, bob, carol)
}

/// A device under an IAM path: the builder's `with_device_for` puts devices at `/`.
fn with_device_at(state: State, user: &str, path: &str, name: &str, seed: &str) -> State {
    let mut state = state.with_device_for(user, name, seed);
    let (at_root, at_path) = (state.mfa_serial(name), state.mfa_serial_at(path, name));
    state
        .device_mut(&at_root)
        .expect("the device just made")
        .serial = at_path;
    state
}

fn result_of(events: &[Value], key: u32) -> Value {
    events
        .iter()
        .find(|e| e["Key"] == key)
        .cloned()
        .unwrap_or_else(|| panic!("no result for key {key}: {events:#?}"))
}

fn counters(result: &Value) -> (u64, u64) {
    let c = &result["Counters"];
    (
        c[0].as_u64().expect("counter 1"),
        c[1].as_u64().expect("counter 2"),
    )
}

#[test]
fn a_key_inserted_is_resynced_once_and_again_after_reinsertion_never_in_the_same_window() {
    let _readers = readers();
    let bed = Bed::new();
    let audit = bed.dir.path().join("desk.jsonl");
    let station = StationRun::start(&bed, &["--audit-log", audit.to_str().unwrap()]);
    let a = Plug::new(
        key(
            12345678,
            &[
                ("Amazon Web Services:alice@123456789012", &bed.seed),
                ("GitHub:alice", &bed.seed),
            ],
        ),
        0,
    );
    bed.steer();
    a.insert();
    let first = &station.wait_events("Result", 1, A_WINDOW)[0];
    assert_eq!(first["Result"], "resynced", "{first:#}");
    assert_eq!(first["Key"], 12345678);
    assert_eq!(first["UserName"], "alice");
    assert_eq!(first["SerialNumber"], ALICE);
    assert_eq!(first["ExitCode"], 0);
    let (c1, c2) = counters(first);
    assert_eq!(c2, c1 + 1);
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].counters, Some((c1, c2)), "iam-local took that pair");
    assert_eq!(first["RequestId"], sent[0].request_id.as_str());

    // It stays in: served once.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(station.named("Result").len(), 1);
    assert_eq!(station.named("KeyInserted").len(), 1);

    // Out and straight back in, a window later: served again, past the window it used. (The
    // station measures AWS's clock again from each key's listing.)
    a.remove();
    station.wait_events("KeyRemoved", 1, Duration::from_secs(5));
    bed.skip_windows(1);
    bed.steer();
    a.insert();
    let second = &station.wait_events("Result", 2, A_WINDOW + A_WINDOW)[1];
    assert_eq!(second["Result"], "resynced", "{second:#}");
    let (d1, d2) = counters(second);
    assert!(d1 > c2, "({d1}, {d2}) reuses a counter of ({c1}, {c2})");
    assert_eq!(bed.resync_requests().len(), 2);

    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130);
    bed.assert_no_secrets(&out.all(), "station output");
    let lines: Vec<Value> = std::fs::read_to_string(&audit)
        .expect("the audit log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for (line, (x, y)) in lines.iter().zip([(c1, c2), (d1, d2)]) {
        assert_eq!(line["operator"], "arn:aws:iam::123456789012:user/admin");
        assert_eq!(line["host"], mfa_resync::audit::host_name());
        assert_eq!(line["device_serial"], "12345678");
        assert_eq!(line["user"], "alice");
        assert_eq!(line["serial"], ALICE);
        assert_eq!(line["attempt"], 1);
        assert_eq!(line["result"], "resynced");
        assert_eq!(line["counters"], serde_json::json!([x, y]));
        assert!(line["request_id"].is_string());
    }
    bed.assert_no_secrets(&std::fs::read_to_string(&audit).unwrap(), "the audit log");
}

#[test]
fn two_keys_inserted_in_one_window_are_resynced_with_the_same_counters() {
    let _readers = readers();
    let (bed, bob, carol) = desk();
    let station = StationRun::start(&bed, &[]);
    let b = Plug::new(key(22222222, &[("bob@123456789012", &bob)]), 0);
    // Carol's key names her device, not her, and wants a touch (given a second after asking).
    let mut touch =
        CredentialConfig::totp_for_account("Amazon Web Services:carol-key@123456789012", &carol);
    touch.touch = true;
    let c = Plug::new(
        testbed::virtual_yubikey::CardConfig::new(33333333)
            .with_credential(touch)
            .with_touch(TouchPolicy::Delay(Duration::from_secs(1))),
        1,
    );
    bed.steer_to(Duration::from_secs(8));
    b.push_in();
    c.push_in();
    b.insert();
    c.insert();
    let results = station.wait_events("Result", 2, A_WINDOW);
    let (rb, rc) = (result_of(&results, 22222222), result_of(&results, 33333333));
    assert_eq!(rb["Result"], "resynced", "{rb:#}");
    assert_eq!(rc["Result"], "resynced", "{rc:#}");
    assert_eq!(
        (rb["UserName"].clone(), rc["UserName"].clone()),
        ("bob".into(), "carol".into())
    );
    assert_eq!(rb["SerialNumber"], BOB);
    assert_eq!(rc["SerialNumber"], CAROL);
    assert_eq!(counters(&rb), counters(&rc), "one window for both");
    let code1 = station.named("Code1Read");
    assert_eq!(code1.len(), 2);
    assert_eq!(code1[0]["Counter"], code1[1]["Counter"]);
    assert_eq!(
        code1[0]["Code2At"], code1[1]["Code2At"],
        "one wait for both"
    );
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|e| e.counters == Some(counters(&rb))));
    let stderr = station.stderr();
    assert!(
        stderr.contains("33333333 carol: Touch your YubiKey (serial 33333333) for code 1."),
        "{stderr}"
    );
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
}

#[test]
fn a_key_with_credentials_of_another_account_only_says_so_and_sends_nothing() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &["--output", "text"]);
    let other = Plug::new(
        key(
            87654321,
            &[
                ("Amazon Web Services:alice@999999999999", &bed.seed),
                ("arn:aws:iam::999999999999:mfa/alice", &bed.seed),
            ],
        ),
        0,
    );
    other.insert();
    station.wait_text("✘ 87654321", Duration::from_secs(20));
    other.remove();
    station.wait_text("YubiKey 87654321 removed", Duration::from_secs(5));
    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130);
    assert_eq!(
        out.stdout,
        "✘ 87654321  —  no AWS credential for account 123456789012 on this key (it holds credentials of 999999999999); nothing was sent\n"
    );
    assert!(
        out.stderr.contains("[Virtual PCD 00 00] key inserted"),
        "{}",
        out.stderr
    );
    assert!(bed.resync_requests().is_empty());
    assert!(
        !bed.log()
            .iter()
            .any(|e| e.action == "ListVirtualMFADevices"),
        "nothing to map, nothing asked"
    );
}

#[test]
fn a_key_pulled_between_the_codes_is_removed_with_nothing_sent_and_the_station_keeps_serving() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &[]);
    let a = Plug::new(
        key(
            12345678,
            &[("arn:aws:iam::123456789012:mfa/alice", &bed.seed)],
        ),
        1,
    );
    // With time to spare before the boundary, so that the pull comes between the codes.
    bed.steer_to(Duration::from_secs(8));
    a.insert();
    station.wait_events("Code1Read", 1, Duration::from_secs(10));
    a.remove();
    let result = &station.wait_events("Result", 1, Duration::from_secs(10))[0];
    assert_eq!(result["Result"], "failed");
    assert_eq!(result["ExitCode"], 3);
    assert_eq!(
        result["Error"],
        "YubiKey 12345678 was removed before both codes were read"
    );
    assert!(
        bed.resync_requests().is_empty(),
        "nothing of its pair was sent"
    );

    // The station goes on: the key put back is served.
    bed.steer();
    a.insert();
    let again = &station.wait_events("Result", 2, A_WINDOW)[1];
    assert_eq!(again["Result"], "resynced", "{again:#}");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].counters, Some(counters(again)));
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
}

#[test]
fn ctrl_c_while_a_key_waits_exits_130_with_nothing_sent() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &[]);
    let a = Plug::new(
        key(
            12345678,
            &[("Amazon Web Services:alice@123456789012", &bed.seed)],
        ),
        0,
    );
    bed.steer_to(Duration::from_secs(8));
    a.insert();
    station.wait_events("Code1Read", 1, Duration::from_secs(10));
    let out = station.interrupt(Duration::from_secs(5));
    out.assert_exit(130);
    assert!(
        out.stderr.contains("error: interrupted; nothing was sent"),
        "{}",
        out.stderr
    );
    let result: Value = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["Event"] == "Result")
        .expect("the abandoned key's result");
    assert_eq!(result["ExitCode"], 130);
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn once_serves_the_key_present_and_exits_with_its_code() {
    let _readers = readers();
    let bed = Bed::new();
    let a = Plug::new(
        key(
            12345678,
            &[("Amazon Web Services:alice@123456789012", &bed.seed)],
        ),
        0,
    );
    a.insert();
    bed.steer();
    let out = StationRun::start(&bed, &["--once", "--reader", READER_0]).finish(A_WINDOW);
    out.assert_exit(0);
    assert_eq!(bed.resync_requests().len(), 1);
    let entry = &bed.resync_requests()[0];
    assert!(pair_counters(entry, &bed.seed).is_some());
    a.remove();

    // A key of another account: its exit code, nothing sent; a key in the other reader is not
    // watched.
    let other = Plug::new(
        key(
            87654321,
            &[("Amazon Web Services:alice@999999999999", &bed.seed)],
        ),
        0,
    );
    let ignored = Plug::new(
        key(
            11111111,
            &[("Amazon Web Services:alice@123456789012", &bed.seed)],
        ),
        1,
    );
    ignored.insert();
    let station = StationRun::start(&bed, &["--once", "--reader", READER_0]);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        station.named("Result").is_empty(),
        "nothing in {READER_0} yet"
    );
    other.insert();
    let out = station.finish(Duration::from_secs(20));
    out.assert_exit(3);
    assert!(
        out.stderr.contains("error: 1 of 1 key results failed"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains(READER_1), "{}", out.stdout);
    assert_eq!(bed.resync_requests().len(), 1);
}

#[test]
fn a_locked_key_without_the_password_is_reported_and_the_station_goes_on() {
    let _readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &[]);
    let locked = Plug::new(
        key(
            44444444,
            &[("Amazon Web Services:alice@123456789012", &bed.seed)],
        )
        .with_password("desk-secret"),
        0,
    );
    locked.insert();
    let result = &station.wait_events("Result", 1, Duration::from_secs(20))[0];
    assert_eq!(result["ExitCode"], 3);
    assert_eq!(
        result["Error"],
        "the OATH application of YubiKey 44444444 is password-protected"
    );
    locked.remove();
    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130);
    assert!(!out.all().contains("desk-secret"));
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn accounts_other_than_the_callers_are_refused_before_any_key_is_served() {
    let _readers = readers();
    let bed = Bed::new();
    let out = bed.run(&mut StationRun::command(
        &bed,
        &["--accounts", "123456789012,999999999999"],
    ));
    out.assert_exit(2).assert_stderr(
        "error: --accounts: 999999999999 is not the account of the station's credentials (123456789012); IAM resyncs devices only in the caller's own account",
    );
    let actions: Vec<String> = bed.log().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["GetCallerIdentity"]);
}

#[test]
fn past_max_keys_a_key_waits_its_turn_and_is_served_in_a_later_window() {
    let _readers = readers();
    let (bed, bob, _carol) = desk();
    let station = StationRun::start(&bed, &["--max-keys", "1"]);
    let a = Plug::new(
        key(
            12345678,
            &[("Amazon Web Services:alice@123456789012", &bed.seed)],
        ),
        0,
    );
    let b = Plug::new(key(22222222, &[("bob@123456789012", &bob)]), 1);
    bed.steer_to(Duration::from_secs(6));
    a.insert();
    station.wait_events("Code1Read", 1, Duration::from_secs(10));
    b.insert();
    let queued = &station.wait_events("KeyQueued", 1, Duration::from_secs(10))[0];
    assert_eq!(queued["Reader"], READER_1);
    let results = station.wait_events("Result", 2, A_WINDOW + A_WINDOW);
    let (ra, rb) = (result_of(&results, 12345678), result_of(&results, 22222222));
    assert_eq!(ra["Result"], "resynced", "{ra:#}");
    assert_eq!(rb["Result"], "resynced", "{rb:#}");
    assert!(
        counters(&rb).0 > counters(&ra).0,
        "one at a time: {ra:#} then {rb:#}"
    );
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
}

#[test]
fn a_key_for_the_root_user_s_device_is_named_as_such_and_nothing_is_sent() {
    let _readers = readers();
    let root_seed = random_seed_base32();
    let seed = root_seed.clone();
    // AWS lists the root's device with the root's ARN and no user name.
    let bed = Bed::with(move |config| {
        config.state = config
            .state
            .clone()
            .with_root_device("root-account-mfa", &seed);
    });
    let station = StationRun::start(&bed, &[]);
    let key_of_root = Plug::new(
        key(
            66666666,
            &[(
                "Amazon Web Services:root-account-mfa@123456789012",
                &root_seed,
            )],
        ),
        0,
    );
    key_of_root.insert();
    let result = &station.wait_events("Result", 1, Duration::from_secs(20))[0];
    assert_eq!(result["Result"], "failed", "{result:#}");
    assert_eq!(result["ExitCode"], 2, "{result:#}");
    let error = result["Error"].as_str().unwrap_or_default();
    assert!(
        error.contains(
            "arn:aws:iam::123456789012:mfa/root-account-mfa is the root user's device: the root user resyncs it in the AWS console"
        ),
        "{error}"
    );
    station.interrupt(Duration::from_secs(10)).assert_exit(130);
    assert!(bed.resync_requests().is_empty());
}
