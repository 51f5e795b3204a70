//! `mfa-resync codes`: a consecutive pair, no AWS call.

use std::time::Duration;

use crate::util::{Bed, counter_now, printed_codes, wait_for_margin};

#[test]
fn no_wait_prints_the_previous_and_current_codes() {
    let bed = Bed::new();
    wait_for_margin(Duration::from_secs(2));
    let c = counter_now();
    let out = bed.run(
        bed.command()
            .args(["codes", "--no-wait", "--seed-file"])
            .arg(&bed.seed_file),
    );
    out.assert_exit(0);
    assert_eq!(
        printed_codes(&out.stdout),
        [bed.code_at(c - 1), bed.code_at(c)]
    );
    // Each line says which window it is of, in clock time.
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("Code 1 (") && first.contains(" UTC): "),
        "{first}"
    );
    assert!(bed.log().is_empty(), "codes never calls AWS");
}

#[test]
fn json_output_fits_cli_input_json() {
    let bed = Bed::new();
    wait_for_margin(Duration::from_secs(2));
    let c = counter_now();
    let out = bed.run(
        bed.command()
            .args([
                "codes",
                "--no-wait",
                "--output",
                "json",
                "--seed-env",
                "SEED",
            ])
            .env("SEED", &bed.seed),
    );
    out.assert_exit(0);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(v["AuthenticationCode1"], bed.code_at(c - 1));
    assert_eq!(v["AuthenticationCode2"], bed.code_at(c));
    assert_eq!(v["Counters"], serde_json::json!([c - 1, c]));
}

#[test]
fn seeds_come_from_stdin_too() {
    let bed = Bed::new();
    wait_for_margin(Duration::from_secs(2));
    let c = counter_now();
    let mut child = bed.spawn(bed.command().args(["codes", "--no-wait", "--seed-stdin"]));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret={}&issuer=Amazon%20Web%20Services", bed.seed).unwrap();
    }
    let out = crate::util::Output::from(child.wait_with_output().unwrap());
    out.assert_exit(0);
    assert_eq!(
        printed_codes(&out.stdout),
        [bed.code_at(c - 1), bed.code_at(c)]
    );
}

#[test]
fn codes_match_oathtool_when_it_is_installed() {
    // oathtool is software nobody here wrote; scripts/test installs it.
    let Ok(which) = std::process::Command::new("oathtool")
        .arg("--version")
        .output()
    else {
        assert!(
            std::env::var_os("MFA_RESYNC_REQUIRE_TOOLS").is_none(),
            "oathtool is required by scripts/test"
        );
        return;
    };
    assert!(which.status.success());
    let bed = Bed::new();
    wait_for_margin(Duration::from_secs(2));
    let out = bed.run(
        bed.command()
            .args(["codes", "--no-wait", "--seed-file"])
            .arg(&bed.seed_file),
    );
    out.assert_exit(0);
    let theirs = std::process::Command::new("oathtool")
        .args(["--totp", "-b", "-w", "1", "--now", "30 seconds ago"])
        .arg(&bed.seed)
        .output()
        .unwrap();
    // `-w 1` prints the code at "now" and the next window's: the window before ours and ours.
    let theirs = String::from_utf8(theirs.stdout).unwrap();
    let theirs: Vec<String> = theirs.lines().map(str::to_string).collect();
    assert_eq!(printed_codes(&out.stdout), theirs);
}
