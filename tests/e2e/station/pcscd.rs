//! A station outlives its pcscd: the test's own pcscd is stopped and started again (by its PID)
//! under a running station, as a package upgrade or a resume does at a desk. The key being served
//! is let go with the truth ("pcscd … went away"; nothing sent), the station says it waits for
//! pcscd and that it is back, serves the key still in the reader again, and ends on Ctrl-C with an
//! honest summary.

use std::time::Duration;

use super::A_WINDOW;
use super::harness::{Plug, StationRun, alice_key, events_in};
use crate::util::{Bed, readers};

#[test]
fn a_station_keeps_serving_across_a_pcscd_restart() {
    let mut readers = readers();
    let bed = Bed::new();
    let audit = bed.dir.path().join("desk.jsonl");
    let station = StationRun::start(&bed, &["--audit-log", audit.to_str().unwrap()]);
    let a = Plug::new(alice_key(12345678, &bed.seed), 0);
    // Time to spare before the boundary: pcscd goes while the key waits for code 2.
    bed.steer_to(Duration::from_secs(8));
    a.insert();
    station.wait_events("Code1Read", 1, Duration::from_secs(10));
    let before = readers.pcscd_pid();
    readers.restart();
    assert_ne!(readers.pcscd_pid(), before, "another pcscd");

    let lost = &station.wait_events("PcscdLost", 1, Duration::from_secs(10))[0];
    assert!(lost["Detail"].is_string(), "{lost:#}");
    let first = &station.wait_events("Result", 1, Duration::from_secs(10))[0];
    assert_eq!(first["Result"], "failed", "{first:#}");
    assert_eq!(first["ExitCode"], 3);
    assert_eq!(first["Key"], 12345678);
    assert_eq!(
        first["Error"],
        "pcscd, the smart-card daemon, is not running (it went away while YubiKey 12345678 was served); nothing was sent"
    );
    station.wait_events("PcscdBack", 1, Duration::from_secs(20));

    // The key never left its reader: the new pcscd reports it, and it is served again.
    bed.steer();
    let inserted = station.wait_events("KeyInserted", 2, Duration::from_secs(20));
    assert_eq!(inserted[1]["Reader"], inserted[0]["Reader"]);
    let again = &station.wait_events("Result", 2, A_WINDOW)[1];
    assert_eq!(again["Result"], "resynced", "{again:#}");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1, "nothing was sent for the key pcscd let go");
    assert_eq!(
        sent[0].counters.map(|(c1, c2)| [c1, c2]),
        again["Counters"]
            .as_array()
            .map(|c| [c[0].as_u64().unwrap(), c[1].as_u64().unwrap()])
    );

    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130)
        .assert_stderr("error: interrupted after 1 pair was sent (1 accepted)");
    assert!(
        !out.stderr.contains("hint:"),
        "the one pair sent was accepted: nothing to check\n{}",
        out.stderr
    );
    let stopped = &events_in(&out.stdout, "Stopped")[0];
    assert_eq!(stopped["Reason"], "interrupted");
    assert_eq!(
        (
            &stopped["Resynced"],
            &stopped["Failed"],
            &stopped["PairsSent"]
        ),
        (&1.into(), &1.into(), &1.into())
    );
    let lines = std::fs::read_to_string(&audit).expect("the audit log");
    assert_eq!(lines.lines().count(), 1, "one attempt, audited: {lines}");
}

#[test]
fn a_station_started_with_pcscd_waits_for_it_when_it_stays_away_and_ends_on_a_signal() {
    let mut readers = readers();
    let bed = Bed::new();
    let station = StationRun::start(&bed, &["--output", "text"]);
    readers.stop();
    station.wait_text("waiting for pcscd to come back", Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));
    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130)
        .assert_stderr("Station stopped: interrupted. Resynced 0, failed 0, pairs sent 0.")
        .assert_stderr("error: interrupted; nothing was sent");
    assert!(bed.resync_requests().is_empty());
}
