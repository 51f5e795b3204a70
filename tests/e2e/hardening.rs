//! Issue 13's hardening, each finding walked through the built binary as a user (or an attacker)
//! would: core dumps, the audit log's file, special files, honest interrupt reports, cleartext
//! endpoints and `--profile` against environment credentials. The bad inputs among them are also in
//! the bad-input corpus; these are the ones that need more than one run, a signal or a check of
//! what happened to a file.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use crate::util::{Bed, Watched, wait_for_margin};

/// The limits the kernel applies to `pid`, as `/proc/PID/limits` lists them.
fn core_limit(pid: u32) -> String {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .expect("a core line")
}

#[test]
fn a_sigabrt_during_the_wait_dumps_no_core_even_when_the_shell_allows_them() {
    let bed = Bed::new();
    wait_for_margin(Duration::from_secs(10));
    // The user's shell allows cores (`ulimit -c unlimited`), and the kernel's core_pattern writes
    // them into the working directory: the binary itself must refuse.
    let run = Watched::start(
        bed.command_for("sh")
            .current_dir(bed.dir.path())
            .arg("-c")
            .arg("ulimit -c unlimited && exec \"$0\" \"$@\"")
            .arg(crate::util::BIN)
            .args(["resync", "--endpoint-url", &bed.url(), "--seed-file"])
            .arg(&bed.seed_file),
    );
    // The seed is in memory once code 1 is read; the countdown to code 2 follows.
    run.wait_for("Code 1 read", Duration::from_secs(15));
    assert_eq!(core_limit(run.pid()), "Max core file size 0 0 bytes");
    run.signal("ABRT");
    let (status, out) = run.finish();
    assert_eq!(
        status.signal(),
        Some(6),
        "killed by SIGABRT\n{}",
        out.stderr
    );
    assert!(!status.core_dumped(), "a core was dumped");
    let cores: Vec<_> = std::fs::read_dir(bed.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("core"))
        .collect();
    assert!(cores.is_empty(), "core files: {cores:?}");
    assert!(bed.resync_requests().is_empty());
}
