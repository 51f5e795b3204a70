//! Hardening, each case walked through the built binary as a user (or an attacker)
//! would: core dumps, the audit log's file, special files, honest interrupt reports, cleartext
//! endpoints and `--profile` against environment credentials. The bad inputs among them are also in
//! the bad-input corpus; these are the ones that need more than one run, a signal or a check of
//! what happened to a file.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use testbed::iam_local::DEMO_SERIAL;

use crate::util::{Bed, Watched};

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
    bed.steer_to(Duration::from_secs(10));
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

/// TEST-NET-2 (RFC 5737): an address on another host that answers nobody.
const REMOTE_HTTP: &str = "http://198.51.100.7:4599";

#[test]
fn an_http_endpoint_on_another_host_is_refused_before_any_code_is_read() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap();
    let out = bed.run(bed.command().args([
        "resync",
        "--endpoint-url",
        REMOTE_HTTP,
        "--no-wait",
        "--seed-file",
        seed,
    ]));
    out.assert_exit(2)
        .assert_stderr(&format!(
            "error: IAM endpoint {REMOTE_HTTP} (from --endpoint-url) is plain HTTP to another host"
        ))
        .assert_stderr("--allow-insecure-endpoint sends it anyway");
    assert!(!out.stderr.contains("Code 1"), "{}", out.stderr);
    // The environment's endpoints count too, and a service's own variable names itself.
    let out = bed.run(
        bed.command()
            .args(["resync", "--no-wait", "--seed-file", seed])
            .env("AWS_ENDPOINT_URL_STS", REMOTE_HTTP),
    );
    out.assert_exit(2).assert_stderr(&format!(
        "STS endpoint {REMOTE_HTTP} (from AWS_ENDPOINT_URL_STS) is plain HTTP"
    ));
    // Allowed: a warning, then the attempt (which this address never answers).
    let out = bed.run(bed.command().args([
        "resync",
        "--endpoint-url",
        REMOTE_HTTP,
        "--allow-insecure-endpoint",
        "--cli-connect-timeout",
        "1",
        "--user-name",
        "alice",
        "--serial-number",
        DEMO_SERIAL,
        "--authentication-code-1",
        "123456",
        "--authentication-code-2",
        "654321",
    ]));
    out.assert_stderr(&format!(
        "warning: Endpoint for IAM and STS: {REMOTE_HTTP} (from --endpoint-url). It is plain HTTP to another host"
    ));
    assert_eq!(out.code, 7, "{}", out.stderr);
    assert!(bed.log().is_empty());
}

#[test]
fn an_endpoint_that_is_not_aws_is_named_and_the_flag_wins_over_the_environment() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap();
    let out = bed.run(
        bed.command()
            .args(["resync", "--no-wait", "--seed-file", seed])
            .env("AWS_ENDPOINT_URL", bed.url()),
    );
    out.assert_exit(0).assert_stderr(&format!(
        "Endpoint for IAM and STS: {} (from AWS_ENDPOINT_URL).",
        bed.url()
    ));
    // An environment that points elsewhere does not override --endpoint-url: the pair reaches the
    // test bed (which refuses these made-up codes), not the closed port.
    let out = bed.run(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url()])
            .args(["--user-name", "alice", "--serial-number", DEMO_SERIAL])
            .args(["--authentication-code-1", "123456"])
            .args(["--authentication-code-2", "654321"])
            .env("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9"),
    );
    out.assert_exit(5).assert_stderr(&format!(
        "Endpoint for IAM and STS: {} (from --endpoint-url).",
        bed.url()
    ));
    assert_eq!(bed.resync_requests().len(), 2);
}

#[test]
fn an_explicit_profile_wins_over_environment_credentials_and_a_missing_one_exits_4() {
    use testbed::iam_local::{ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY};
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap();
    // alice's keys are in the environment (Bed::command); the profile holds the admin's.
    std::fs::write(
        bed.dir.path().join("aws-credentials"),
        format!(
            "[desk]\naws_access_key_id = {ADMIN_ACCESS_KEY_ID}\naws_secret_access_key = {ADMIN_SECRET_ACCESS_KEY}\n"
        ),
    )
    .unwrap();
    let out = bed.resync(&[
        "--profile",
        "nosuchprofile",
        "--no-wait",
        "--seed-file",
        seed,
    ]);
    out.assert_exit(4)
        .assert_stderr("the profile nosuchprofile is not defined")
        .assert_stderr("`aws configure list-profiles`");
    assert!(bed.log().is_empty(), "{:?}", bed.log());
    let out = bed.resync(&[
        "--profile",
        "desk",
        "--user-name",
        "alice",
        "--no-wait",
        "--seed-file",
        seed,
    ]);
    out.assert_exit(0);
    let keys: Vec<Option<String>> = bed.log().into_iter().map(|e| e.access_key_id).collect();
    assert!(!keys.is_empty());
    assert!(
        keys.iter()
            .all(|k| k.as_deref() == Some(ADMIN_ACCESS_KEY_ID)),
        "every request signed with the profile's key: {keys:?}"
    );
}

#[test]
fn the_audit_log_follows_no_link_adopts_no_loose_file_and_never_hangs() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap();
    let dir = bed.dir.path();
    // A link planted in a shared directory, pointing at a file the attacker wants appended to.
    let target = dir.join("victim");
    std::fs::write(&target, "untouched\n").unwrap();
    let link = dir.join("audit-link.jsonl");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let fifo = dir.join("audit-fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let loose = dir.join("audit-loose.jsonl");
    std::fs::write(&loose, "").unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o666)).unwrap();
    for (path, names) in [
        (
            link.as_path(),
            "audit-link.jsonl is a symbolic link, not a regular file",
        ),
        (
            fifo.as_path(),
            "audit-fifo is a FIFO (named pipe), not a regular file",
        ),
        (
            std::path::Path::new("/dev/null"),
            "/dev/null is a character device, not a regular file",
        ),
        (
            loose.as_path(),
            "audit-loose.jsonl is writable by group or others (mode 666)",
        ),
    ] {
        let started = std::time::Instant::now();
        let out = bed.resync(&[
            "--no-wait",
            "--seed-file",
            seed,
            "--audit-log",
            path.to_str().unwrap(),
        ]);
        out.assert_exit(2).assert_stderr(names);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{names}: took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched\n");
    assert!(bed.log().is_empty(), "{:?}", bed.log());
}

#[test]
fn a_new_audit_log_is_0600_whatever_the_umask() {
    let bed = Bed::new();
    let log = bed.dir.path().join("audit.jsonl");
    let out = bed.run(
        bed.command_for("sh")
            .arg("-c")
            .arg("umask 277 && exec \"$0\" \"$@\"")
            .arg(crate::util::BIN)
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--seed-file",
            ])
            .arg(&bed.seed_file)
            .arg("--audit-log")
            .arg(&log),
    );
    out.assert_exit(0);
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:03o}");
}

#[test]
fn an_audit_line_that_cannot_be_written_after_the_resync_exits_8_saying_it_succeeded() {
    let bed = Bed::new();
    let log = bed.dir.path().join("audit.jsonl");
    // The log is already at the file-size limit the shell sets (`ulimit -f 1`: 512 bytes), and
    // SIGXFSZ is ignored, so the append after the submission fails with EFBIG.
    crate::util::write_private(&log, &format!("{}\n", "#".repeat(600)));
    let out = bed.run(
        bed.command_for("sh")
            .arg("-c")
            .arg("trap '' XFSZ && ulimit -f 1 && exec \"$0\" \"$@\"")
            .arg(crate::util::BIN)
            .args([
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--seed-file",
            ])
            .arg(&bed.seed_file)
            .arg("--audit-log")
            .arg(&log),
    );
    out.assert_exit(8)
        .assert_stderr("Resynced arn:aws:iam::123456789012:mfa/alice for user alice")
        .assert_stderr("could not be written (File too large); the resync itself succeeded")
        .assert_stderr("do not run again");
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].status, 200);
}

fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
}

#[test]
fn a_fifo_or_an_endless_stream_given_as_input_is_refused_at_once() {
    let bed = Bed::new();
    let fifo = bed.dir.path().join("fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    let row = bed.private_file(
        "rows.csv",
        &format!("user,source,seed_file\nalice,seed,{fifo}\n"),
    );
    let json = format!("file://{fifo}");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--seed-file", fifo],
            "is a FIFO (named pipe), not a regular file",
        ),
        (&["--batch", fifo], "--batch: cannot read"),
        (
            &["--batch", row.to_str().unwrap()],
            "--batch: line 2: --seed-file",
        ),
        (
            &["--cli-input-json", &json, "--source", "prompt"],
            "--cli-input-json: cannot read",
        ),
    ];
    for (args, names) in cases {
        let out = bed.resync_within(Duration::from_secs(10), args);
        out.assert_exit(2)
            .assert_stderr(names)
            .assert_stderr("FIFO");
    }
    // Typed codes from a stream with no line end: an error, not an allocation failure.
    let out = bed.run(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url(), "--source", "prompt"])
            .args(["--user-name", "alice", "--serial-number", DEMO_SERIAL])
            .stdin(std::fs::File::open("/dev/zero").unwrap()),
    );
    out.assert_exit(2)
        .assert_stderr("the typed line is longer than a code");
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn a_set_variable_whose_name_has_a_seeds_shape_is_still_a_name() {
    // Refused when unset (it may be the seed itself), taken when a variable of that name exists:
    // a seed is never also the name of a set variable.
    let bed = Bed::new();
    let name = "MFASEEDFORAWSPROD";
    let out = bed.resync(&["--no-wait", "--seed-env", name]);
    out.assert_exit(2)
        .assert_stderr("--seed-env: this looks like a seed");
    assert!(!out.stderr.contains(name), "{}", out.stderr);
    let out = bed.run(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"])
            .args(["--seed-env", name])
            .env(name, &bed.seed),
    );
    out.assert_exit(0);
}
