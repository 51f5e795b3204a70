//! The journeys a new user takes, and the mistakes they make, walked as they would walk them: at a
//! terminal where a person would be there (a pseudo-terminal from util-linux's `script`), piped
//! where a script would be.

use std::io::{Read, Write};
use std::time::Duration;

use crate::util::{Bed, Output, at_terminal, counter_now, printed_codes, wait_for_margin};

fn grouped(code: &str, sep: char) -> String {
    format!("{}{sep}{}", &code[..3], &code[3..])
}

#[test]
fn a_drifted_token_that_has_not_changed_yet_is_asked_for_again_at_a_terminal() {
    let bed = Bed::new();
    // The token shows AWS's windows; AWS's clock a few seconds before a boundary.
    bed.steer_to(Duration::from_secs(4));
    let c = bed.counter_now();
    let boundary = Duration::from_secs((c + 1) * 30);
    let after_boundary = boundary.saturating_sub(bed.now());
    // Code 1 grouped as the token shows it; asked for the next, the token still shows it (its
    // clock is late), then the new code, typed with a hyphen.
    let (code, transcript) = at_terminal(
        &bed,
        &["resync", "--endpoint-url", &bed.url(), "--source", "prompt"],
        &[
            (Duration::from_millis(500), grouped(&bed.code_at(c), ' ')),
            (after_boundary + Duration::from_millis(800), bed.code_at(c)),
            (
                after_boundary + Duration::from_secs(3),
                grouped(&bed.code_at(c + 1), '-'),
            ),
        ],
    );
    assert_eq!(code, 0, "{transcript}");
    assert!(
        transcript.contains("The token still shows the same code; type it when it changes."),
        "{transcript}"
    );
    assert_eq!(bed.resync_requests()[0].counters, Some((c, c + 1)));
}

#[test]
fn a_yubico_otp_typed_at_the_prompt_is_named_and_asked_again() {
    let bed = Bed::new();
    bed.steer_to(Duration::from_secs(4));
    let c = bed.counter_now();
    let after_boundary = Duration::from_secs((c + 1) * 30).saturating_sub(bed.now());
    let (code, transcript) = at_terminal(
        &bed,
        &["resync", "--endpoint-url", &bed.url(), "--source", "prompt"],
        &[
            (
                Duration::from_millis(500),
                "cccccckdvvulethkhtturttefcbbvbkhbcgbdfhtfiun".into(),
            ),
            (Duration::from_secs(1), bed.code_at(c)),
            (
                after_boundary + Duration::from_millis(800),
                bed.code_at(c + 1),
            ),
        ],
    );
    assert_eq!(code, 0, "{transcript}");
    assert!(
        transcript.contains("the typed code is a 44-character Yubico OTP (what a YubiKey types when touched), not a TOTP code; try again"),
        "{transcript}"
    );
}

#[test]
fn piped_codes_that_did_not_change_fail_with_the_reason_and_nothing_sent() {
    let bed = Bed::new();
    bed.steer();
    let c = bed.counter_now();
    let mut child = bed.spawn(bed.command().args([
        "resync",
        "--endpoint-url",
        &bed.url(),
        "--source",
        "prompt",
    ]));
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}\n{}", bed.code_at(c), bed.code_at(c)).unwrap();
    drop(stdin);
    let out = Output::from(child.wait_with_output().unwrap());
    out.assert_exit(2)
        .assert_stderr("code 2 is the same as code 1");
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn grouped_codes_are_taken_on_the_command_line() {
    let bed = Bed::new();
    bed.wait_for_margin(Duration::from_secs(3));
    let c = bed.counter_now() - 1;
    let out = bed.resync(&[
        "--user-name",
        "alice",
        "--serial-number",
        testbed::iam_local::DEMO_SERIAL,
        "--authentication-code1",
        &grouped(&bed.code_at(c), ' '),
        "--authentication-code2",
        &grouped(&bed.code_at(c + 1), '-'),
    ]);
    out.assert_exit(0);
    assert_eq!(bed.resync_requests()[0].counters, Some((c, c + 1)));
}

#[test]
fn codes_prints_code_1_before_the_wait_so_the_console_can_start() {
    let bed = Bed::new();
    wait_for_margin(Duration::from_secs(5));
    let c = counter_now();
    let mut child = bed.spawn(
        bed.command()
            .args(["codes", "--seed-file"])
            .arg(&bed.seed_file),
    );
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(
        counter_now() == c && child.try_wait().unwrap().is_none(),
        "code 1 came before the boundary, while codes still waits"
    );
    assert_eq!(printed_codes(&first), [bed.code_at(c)]);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(printed_codes(&rest), [bed.code_at(c + 1)]);
}

#[test]
fn progress_speaks_in_clock_time_and_a_batch_says_which_windows_it_uses() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let out = bed.resync(&["--no-wait", "--seed-file", &seed]);
    out.assert_exit(0);
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("Code 1 read (window "))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(line.ends_with(" UTC)."), "{line}");
    assert!(line.contains('–') && line.contains(':'), "{line}");
    // One row, no wait: the windows it uses, in words, and "1 row".
    let batch = bed.dir.path().join("one.csv");
    crate::util::write_private(
        &batch,
        &format!(
            "user,serial,source,seed_file\nalice,{},seed,{seed}\n",
            testbed::iam_local::DEMO_SERIAL
        ),
    );
    bed.skip_windows(2);
    let next = bed.resync(&["--batch", batch.to_str().unwrap(), "--no-wait"]);
    next.assert_exit(0);
    // The first run's windows are past: the batch takes the previous and current ones again.
    assert!(
        next.stderr
            .contains("1 row, codes of the previous and current windows."),
        "{}",
        next.stderr
    );
}

#[test]
fn the_man_page_has_examples_and_exit_status_and_names_no_missing_page() {
    let bed = Bed::new();
    let out = bed.run(bed.command().arg("man"));
    out.assert_exit(0);
    for section in [".SH COMMANDS", ".SH EXAMPLES", ".SH \"EXIT STATUS\""] {
        assert!(out.stdout.contains(section), "{section}");
    }
    assert!(!out.stdout.contains("mfa\\-resync\\-resync(1)"));
    assert!(out.stdout.contains(".TP\n130\n"), "every exit code");
}

#[test]
fn an_oath_password_typed_at_the_terminal_is_not_echoed() {
    use testbed::virtual_yubikey::{CardConfig, CredentialConfig};
    let _readers = crate::util::readers();
    let bed = Bed::new();
    let password = "correct horse battery";
    let config = CardConfig::new(78901234)
        .with_credential(CredentialConfig::totp(
            Some("Amazon Web Services"),
            "alice@123456789012",
            &bed.seed,
        ))
        .with_password(password);
    let _card = crate::util::Card::insert(config, 0);
    wait_for_margin(Duration::from_secs(5));
    let c = counter_now();
    // Typed once the prompt is up (it is, well within the second: the key is opened locally).
    let (code, transcript) = at_terminal(
        &bed,
        &["codes", "--no-wait"],
        &[(Duration::from_secs(2), password.to_string())],
    );
    assert_eq!(code, 0, "{transcript}");
    assert!(
        transcript.contains("OATH password for YubiKey 78901234: "),
        "{transcript}"
    );
    assert!(
        !transcript.contains(password),
        "the password was echoed: {transcript}"
    );
    assert_eq!(
        printed_codes(&transcript),
        [bed.code_at(c - 1), bed.code_at(c)]
    );
}

#[test]
fn ctrl_c_at_the_oath_password_prompt_exits_130_as_at_any_other_prompt() {
    use testbed::virtual_yubikey::{CardConfig, CredentialConfig};
    let _readers = crate::util::readers();
    let bed = Bed::new();
    let config = CardConfig::new(78901235)
        .with_credential(CredentialConfig::totp(
            Some("Amazon Web Services"),
            "alice@123456789012",
            &bed.seed,
        ))
        .with_password("correct horse battery");
    let _card = crate::util::Card::insert(config, 0);
    // Echo is off at the prompt, and with it the terminal's signals: Ctrl-C arrives as a byte.
    let (code, transcript) = at_terminal(
        &bed,
        &["resync", "--endpoint-url", &bed.url(), "--no-wait"],
        &[(Duration::from_secs(2), "\u{3}".to_string())],
    );
    assert_eq!(code, 130, "{transcript}");
    assert!(
        transcript.contains("OATH password for YubiKey 78901235: "),
        "{transcript}"
    );
    assert!(transcript.contains("interrupted"), "{transcript}");
    assert!(bed.resync_requests().is_empty());
}
