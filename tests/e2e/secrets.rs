//! No seed, and no code outside `codes`, in any output: not at -vvv, not in errors, not in a backtrace.

use crate::util::Bed;

#[test]
fn no_secret_at_vvv_on_success() {
    let bed = Bed::new();
    let out = bed.run(
        bed.command()
            .env("RUST_BACKTRACE", "1")
            .args([
                "-vvv",
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--seed-file",
            ])
            .arg(&bed.seed_file),
    );
    out.assert_exit(0);
    assert!(
        out.stderr.contains("TRACE") || out.stderr.contains("DEBUG"),
        "-vvv logs something"
    );
    bed.assert_no_secrets(&out.all(), "success at -vvv");
}

#[test]
fn no_secret_in_error_paths() {
    let bed = Bed::with(|c| c.faults.push("500-always@ResyncMFADevice".parse().unwrap()));
    // Refused after three attempts: three pairs went out and none may be echoed.
    let out = bed.run(
        bed.command()
            .env("RUST_BACKTRACE", "1")
            .args([
                "-vvv",
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--max-attempts",
                "2",
                "--seed-env",
                "S",
            ])
            .env("S", &bed.seed),
    );
    out.assert_exit(7);
    bed.assert_no_secrets(&out.all(), "service failure at -vvv");

    // A bad seed: the parse error must not quote it.
    let bad = format!("{}1", &bed.seed[..20]);
    let out = bed.run(
        bed.command()
            .args(["-vvv", "codes", "--seed-env", "S"])
            .env("S", &bad),
    );
    out.assert_exit(2);
    assert!(
        !out.all().contains(&bad[..20]),
        "the bad seed leaked\n{}",
        out.all()
    );

    // A loose seed file.
    let loose = bed.dir.path().join("loose");
    std::fs::write(&loose, &bed.seed).unwrap();
    let out = bed.run(
        bed.command()
            .args(["-vvv", "codes", "--seed-file"])
            .arg(&loose),
    );
    out.assert_exit(2);
    bed.assert_no_secrets(&out.all(), "loose seed file");
}

#[test]
fn no_flag_takes_a_seed() {
    let bed = Bed::new();
    let out = bed.run(bed.command().args(["codes", "--seed", &bed.seed]));
    out.assert_exit(2);
    bed.assert_no_secrets(&out.all(), "an unknown flag's error");
}
