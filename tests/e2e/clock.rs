//! The host clock against AWS's: a run plans in AWS's time whatever the host says, and when it had
//! to, it ends by saying how far off the clock is and how to fix it (the user's next sign-in with
//! codes from this clock may not be as forgiving).

use crate::util::Bed;

/// The fix on this platform, as `doctor` gives it.
const FIX: &str = "Fix it: `timedatectl set-ntp true`.";

#[test]
fn a_resync_that_compensated_for_a_100_s_skew_ends_with_how_to_fix_the_clock() {
    let bed = Bed::with(|c| c.clock_offset_secs = 100);
    let out = bed.resync(&["--no-wait", "--seed-file", bed.seed_file.to_str().unwrap()]);
    out.assert_exit(0);
    let last = out.stderr.lines().last().unwrap_or_default();
    let secs: f64 = last
        .strip_prefix("The host clock is ")
        .and_then(|rest| rest.split_once(" s behind AWS: "))
        .and_then(|(secs, _)| secs.parse().ok())
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!((99.0..=101.0).contains(&secs), "{}", out.stderr);
    assert!(last.ends_with(FIX), "{}", out.stderr);
    // `--quiet` is silent on success, the advice included.
    bed.skip_windows(2);
    let quiet = bed.resync(&[
        "--no-wait",
        "--quiet",
        "--seed-file",
        bed.seed_file.to_str().unwrap(),
    ]);
    quiet.assert_exit(0);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn a_batch_and_a_failed_run_say_it_too_and_a_clock_in_time_says_nothing() {
    let bed = Bed::with(|c| {
        c.clock_offset_secs = -120;
        c.faults.push("500-always@ResyncMFADevice".parse().unwrap());
    });
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let failed = bed.resync(&["--no-wait", "--max-attempts", "1", "--seed-file", &seed]);
    failed.assert_exit(7);
    assert!(
        failed.stderr.contains(" s ahead of AWS: ") && failed.stderr.contains(FIX),
        "{}",
        failed.stderr
    );
    // Past the windows the failed run spent (the host still a minute ahead), so that the batch
    // need not wait for fresh ones.
    bed.skip_windows(2);
    let batch = bed.private_file(
        "rows.csv",
        &format!(
            "user,serial,source,seed_file\nalice,{},seed,{seed}\n",
            testbed::iam_local::DEMO_SERIAL
        ),
    );
    let out = bed.resync(&[
        "--batch",
        batch.to_str().unwrap(),
        "--no-wait",
        "--max-attempts",
        "1",
    ]);
    out.assert_exit(7);
    let advice = out.stderr.lines().filter(|l| l.ends_with(FIX)).count();
    assert_eq!(advice, 1, "one line, after the table\n{}", out.stderr);

    let in_time = Bed::new();
    let out = in_time.resync(&[
        "--no-wait",
        "--seed-file",
        in_time.seed_file.to_str().unwrap(),
    ]);
    out.assert_exit(0);
    assert!(!out.stderr.contains("timedatectl"), "{}", out.stderr);
}
