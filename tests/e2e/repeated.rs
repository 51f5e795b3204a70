//! Running again a minute later, as people do: the tool remembers the counters it sent for each
//! device (a state file under `$XDG_STATE_HOME`, shared by `resync`, `--batch` rows and a station),
//! never builds a pair that reuses one, and says so; a refusal because something else (a sign-in)
//! used the window says that, not that the credential may be another device's.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use testbed::iam_local::DEMO_SERIAL;

use crate::util::{Bed, Card, readers};

/// The state file of a run whose `HOME` is the bed's temp dir (and no `XDG_STATE_HOME`).
fn state_file(bed: &Bed) -> std::path::PathBuf {
    bed.dir
        .path()
        .join(".local/state/mfa-resync/sent-counters.json")
}

#[test]
fn a_second_no_wait_run_in_the_window_the_first_used_takes_the_next_ones_and_says_so() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap().to_string();
    // AWS's clock 3 s before a boundary: the first run uses the previous window and this one.
    bed.steer();
    let c = bed.counter_now();
    bed.resync(&["--no-wait", "--seed-file", &seed])
        .assert_exit(0);
    assert_eq!(bed.resync_requests()[0].counters, Some((c - 1, c)));
    // A minute later for the user; for AWS, the next window, 3 s before its end. Its previous
    // window is the one the first run used: (c, c + 1) would be refused.
    bed.skip_windows(1);
    let again = bed.resync(&["--no-wait", "--seed-file", &seed]);
    again
        .assert_exit(0)
        .assert_stderr("This device's last pair from this machine went out at ")
        .assert_stderr(": this run takes the ones after.");
    let sent = bed.resync_requests();
    assert_eq!(sent[1].counters, Some((c + 1, c + 2)), "{}", again.stderr);
    assert_eq!(sent[1].status, 200);

    // The file: the device's serial and times, mode 600 in a private directory, nothing secret.
    let file = state_file(&bed);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(DEMO_SERIAL), "{text}");
    assert!(
        text.contains(&format!("\"UsedUntil\": {}", (c + 3) * 30)),
        "{text}"
    );
    bed.assert_no_secrets(&text, "the state file");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
}

#[test]
fn a_batch_row_and_a_resync_share_the_state_and_xdg_state_home_places_it() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let state = bed.dir.path().join("xdg-state");
    let rows = bed.private_file(
        "rows.csv",
        &format!("user,serial,source,seed_file\nalice,{DEMO_SERIAL},seed,{seed}\n"),
    );
    bed.steer();
    let c = bed.counter_now();
    let batch = bed.run(
        bed.command()
            .env("XDG_STATE_HOME", &state)
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--batch",
            ])
            .arg(&rows),
    );
    batch.assert_exit(0);
    assert!(state.join("mfa-resync/sent-counters.json").exists());
    assert!(!state_file(&bed).exists(), "XDG_STATE_HOME wins over HOME");
    bed.skip_windows(1);
    let again = bed.run(bed.command().env("XDG_STATE_HOME", &state).args([
        "resync",
        "--endpoint-url",
        &bed.url(),
        "--no-wait",
        "--seed-file",
        &seed,
    ]));
    again
        .assert_exit(0)
        .assert_stderr("this run takes the ones after");
    assert_eq!(bed.resync_requests()[1].counters, Some((c + 1, c + 2)));
}

#[test]
fn a_station_key_records_its_pair_for_the_next_resync() {
    use testbed::virtual_yubikey::{CardConfig, CredentialConfig};
    let _readers = readers();
    let bed = Bed::new();
    let _card = Card::insert(
        CardConfig::new(56789012).with_credential(CredentialConfig::totp(
            Some("Amazon Web Services"),
            "alice@123456789012",
            &bed.seed,
        )),
        0,
    );
    bed.steer();
    let station = bed.run(
        bed.command()
            .args(["station", "--once", "--endpoint-url", &bed.url()]),
    );
    station.assert_exit(0);
    let (_, second) = bed.resync_requests()[0].counters.expect("matched");
    let text = std::fs::read_to_string(state_file(&bed)).unwrap();
    assert!(
        text.contains(&format!("\"UsedUntil\": {}", (second + 1) * 30)),
        "{text}"
    );
    // The same device a little later, from its seed with --no-wait: the previous window is the
    // station's code 2's, and is skipped (AWS's clock moved 3 s before the end of the next one).
    bed.steer();
    bed.skip_windows(1);
    let again = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    again.assert_stderr("this run takes the ones after");
    assert!(bed.resync_requests()[1].counters.expect("matched").0 > second);
}

#[test]
fn a_waiting_run_refused_because_a_sign_in_used_its_window_says_so() {
    let bed = Bed::new();
    bed.steer_to(Duration::from_secs(5));
    let c = bed.counter_now();
    // A sign-in (here: codes given to another tool) uses the current window; this machine's
    // state file knows nothing of it.
    bed.resync(&[
        "--user-name",
        "alice",
        "--serial-number",
        DEMO_SERIAL,
        "--authentication-code-1",
        &bed.code_at(c - 1),
        "--authentication-code-2",
        &bed.code_at(c),
    ])
    .assert_exit(0);
    let out = bed.resync(&["--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(5)
        .assert_stderr("code 1 was the current window's, which a sign-in")
        .assert_stderr("run again in a minute, for fresh windows");
    assert_eq!(
        bed.resync_requests()[1].counters,
        None,
        "refused: (c, c + 1) reuses c"
    );
}
