//! `mfa-resync doctor`: each check a line, the fix on problems, exit 0 unless something fails.

use testbed::iam_local::{AccessKey, Principal};

use crate::util::{Bed, readers};

fn line<'a>(out: &'a str, check: &str) -> &'a str {
    out.lines()
        .find(|l| {
            l.split_whitespace().nth(1) == Some(check.split_whitespace().next().unwrap_or(check))
        })
        .unwrap_or_else(|| panic!("no {check} line in\n{out}"))
}

#[test]
fn a_healthy_station_passes_with_every_check_on_a_line() {
    let _readers = readers();
    let bed = Bed::new();
    let out = bed.run(bed.command().args(["doctor", "--endpoint-url", &bed.url()]));
    out.assert_exit(0);
    assert!(
        line(&out.stdout, "pcscd").starts_with("ok    pcscd        running"),
        "{}",
        out.stdout
    );
    assert!(line(&out.stdout, "readers").contains("Virtual PCD 00 00"));
    assert!(
        line(&out.stdout, "yubikeys").starts_with("warn"),
        "no key inserted: {}",
        out.stdout
    );
    assert!(
        line(&out.stdout, "credentials").contains("long-term credentials from the environment")
    );
    assert!(line(&out.stdout, "caller").contains("arn:aws:iam::123456789012:user/alice"));
    assert!(
        line(&out.stdout, "clock").starts_with("ok"),
        "{}",
        out.stdout
    );
    assert!(line(&out.stdout, "mfa").contains("arn:aws:iam::123456789012:mfa/alice"));
    assert!(
        bed.log().iter().all(|e| e.action != "ResyncMFADevice"),
        "doctor changes nothing"
    );
}

#[test]
fn pcscd_down_fails_a_yubikey_user_with_the_fix_and_exit_3() {
    let bed = Bed::new();
    // The client library takes pcscd's socket from PCSCLITE_CSOCK_NAME: point it nowhere.
    let out = bed.run(
        bed.command()
            .env("PCSCLITE_CSOCK_NAME", bed.dir.path().join("no-pcscd.comm"))
            .args([
                "doctor",
                "--source",
                "yubikey",
                "--endpoint-url",
                &bed.url(),
            ]),
    );
    out.assert_exit(3);
    assert!(
        line(&out.stdout, "pcscd")
            .starts_with("fail  pcscd        pcscd, the smart-card daemon, is not running")
    );
    assert!(
        out.stdout
            .contains("fix: start it: `sudo systemctl start pcscd.socket`")
    );
    assert!(
        line(&out.stdout, "readers").starts_with("skip  readers      pcscd is not running"),
        "{}",
        out.stdout
    );
    assert!(
        line(&out.stdout, "caller").starts_with("ok"),
        "the AWS checks still run"
    );
    assert!(!out.all().contains("nothing was sent"), "{}", out.all());
}

#[test]
fn pcscd_down_only_warns_a_seed_user() {
    let bed = Bed::new();
    for source in [&["--source", "seed"][..], &[]] {
        let out = bed.run(
            bed.command()
                .env("PCSCLITE_CSOCK_NAME", bed.dir.path().join("no-pcscd.comm"))
                .arg("doctor")
                .args(source)
                .args(["--endpoint-url", &bed.url()]),
        );
        out.assert_exit(0);
        assert!(
            line(&out.stdout, "pcscd").starts_with("warn  pcscd")
                && line(&out.stdout, "pcscd").contains("needed only for YubiKeys over USB or NFC"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn the_most_severe_failing_area_gives_the_exit_code() {
    // pcscd down for a YubiKey user (3) and no credentials (4): credentials come first.
    let bed = Bed::new();
    let out = bed.run(
        bed.command()
            .env("PCSCLITE_CSOCK_NAME", bed.dir.path().join("no-pcscd.comm"))
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .args([
                "doctor",
                "--source",
                "yubikey",
                "--endpoint-url",
                &bed.url(),
            ]),
    );
    out.assert_exit(4);
    assert!(line(&out.stdout, "pcscd").starts_with("fail"));
    assert!(line(&out.stdout, "caller").starts_with("skip  caller       no usable credentials"));
}

#[test]
fn udev_rules_are_printed_for_those_who_installed_with_cargo() {
    let bed = Bed::new();
    let out = bed.run(bed.command().arg("udev-rules"));
    out.assert_exit(0);
    let packaged = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/udev/70-mfa-resync-yubikey.rules"
    ))
    .unwrap();
    assert_eq!(out.stdout, packaged);
}

#[test]
fn a_skewed_aws_clock_warns_then_fails() {
    let _readers = readers();
    for (offset, status, exit) in [(5, "warn", 0), (40, "fail", 7)] {
        let bed = Bed::with(|c| c.clock_offset_secs = offset);
        let out = bed.run(bed.command().args([
            "doctor",
            "--endpoint-url",
            &bed.url(),
            "--output",
            "json",
        ]));
        out.assert_exit(exit);
        let checks: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        let clock = checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["Check"] == "clock")
            .expect("a clock check");
        assert_eq!(clock["Status"], status, "offset {offset}: {clock}");
        // The endpoint is `offset` seconds ahead: the host is behind, said as resync says it.
        let detail = clock["Detail"].as_str().unwrap();
        assert!(
            detail.starts_with("host clock ") && detail.ends_with(" s behind AWS"),
            "{clock}"
        );
        assert!(
            clock["Fix"].as_str().unwrap().contains("timedatectl"),
            "{clock}"
        );
    }
}

#[test]
fn no_credentials_fail_with_exit_4() {
    let _readers = readers();
    let bed = Bed::new();
    let out = bed.run(
        bed.command()
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .args(["doctor", "--endpoint-url", &bed.url()]),
    );
    out.assert_exit(4);
    assert!(
        line(&out.stdout, "credentials").starts_with("fail  credentials  no AWS credentials"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("fix: configure credentials"));
    assert!(
        bed.log().is_empty(),
        "nothing is asked of AWS without credentials"
    );
}

#[test]
fn expired_credentials_fail_the_caller_check() {
    let bed = Bed::with(|c| {
        c.state.access_keys.push(AccessKey {
            id: "ASIAEXPIREDEXAMPLE01".into(),
            secret: "expired-secret".into(),
            session_token: Some("token".into()),
            expired: true,
            principal: Principal::User("alice".into()),
        })
    });
    let _readers = readers();
    let out = bed.run(
        bed.command()
            .env("AWS_ACCESS_KEY_ID", "ASIAEXPIREDEXAMPLE01")
            .env("AWS_SECRET_ACCESS_KEY", "expired-secret")
            .env("AWS_SESSION_TOKEN", "token")
            .args(["doctor", "--endpoint-url", &bed.url()]),
    );
    out.assert_exit(4);
    assert!(line(&out.stdout, "credentials").contains("temporary credentials"));
    assert!(
        line(&out.stdout, "caller")
            .starts_with("fail  caller       AWS refused the credentials (ExpiredToken)"),
        "{}",
        out.stdout
    );
}

/// `doctor --station` as the help desk's admin.
fn station_doctor(bed: &Bed) -> crate::util::Output {
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", testbed::iam_local::ADMIN_ACCESS_KEY_ID)
        .env(
            "AWS_SECRET_ACCESS_KEY",
            testbed::iam_local::ADMIN_SECRET_ACCESS_KEY,
        )
        .args(["doctor", "--station", "--endpoint-url", &bed.url()]);
    bed.run(&mut cmd)
}

#[test]
fn a_station_needs_readers_but_no_key_yet_and_may_list_the_virtual_devices() {
    let _readers = readers();
    let bed = Bed::new();
    let out = station_doctor(&bed);
    out.assert_exit(0);
    assert!(line(&out.stdout, "readers").contains("Virtual PCD 00 01"));
    assert!(
        line(&out.stdout, "yubikeys").starts_with("ok    yubikeys     none in the readers now"),
        "{}",
        out.stdout
    );
    assert!(
        line(&out.stdout, "virtual mfa")
            .contains("ListVirtualMFADevices: 1 in the account, 1 enabled for a user"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("mfa devices"), "{}", out.stdout);

    // Credentials that may not list them fail with exit 4 and say what a station needs.
    let denied = Bed::with(|config| {
        let state = std::mem::replace(&mut config.state, testbed::iam_local::State::demo(""));
        config.state = state.deny("admin", "ListVirtualMFADevices");
    });
    let out = station_doctor(&denied);
    out.assert_exit(4);
    assert!(
        line(&out.stdout, "virtual mfa").starts_with("fail"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("a station needs iam:ListVirtualMFADevices"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_station_is_told_whether_pcscd_is_socket_activated() {
    let _readers = readers();
    let bed = Bed::new();
    for (enabled, expected) in [
        (
            true,
            "ok    pcscd socket socket-activated (pcscd.socket enabled): a pcscd that stops or is restarted is started again at the station's next connection",
        ),
        (
            false,
            "warn  pcscd socket pcscd.socket is not enabled: a pcscd that stops stays stopped, and the station waits for it",
        ),
    ] {
        let mut cmd = bed.command_on_systemd_machine(enabled);
        cmd.env("AWS_ACCESS_KEY_ID", testbed::iam_local::ADMIN_ACCESS_KEY_ID)
            .env(
                "AWS_SECRET_ACCESS_KEY",
                testbed::iam_local::ADMIN_SECRET_ACCESS_KEY,
            )
            .args(["doctor", "--station", "--endpoint-url", &bed.url()]);
        let out = bed.run(&mut cmd);
        out.assert_exit(0);
        let said = out.stdout.lines().find(|l| l.contains(" pcscd socket "));
        assert_eq!(said, Some(expected), "{}", out.stdout);
        if !enabled {
            assert!(
                out.stdout
                    .contains("fix: `sudo systemctl enable --now pcscd.socket`"),
                "{}",
                out.stdout
            );
        }
    }
    // Only a station is told: a resync does not depend on pcscd coming back.
    let out = bed.run(bed.command_on_systemd_machine(false).args([
        "doctor",
        "--endpoint-url",
        &bed.url(),
    ]));
    assert!(!out.stdout.contains("pcscd socket"), "{}", out.stdout);
}

/// The udev check reads the machine's rules directories: the tests make the machine, so the answer
/// is the same with the Debian package installed or not.
#[test]
fn the_udev_check_finds_the_packaged_rules_and_names_the_fix_without_them() {
    let _readers = readers();
    let bed = Bed::new();
    let rules = include_str!("../../udev/70-mfa-resync-yubikey.rules");
    let installed = bed.run(
        bed.command_on_test_machine(&[("70-mfa-resync-yubikey.rules", rules)])
            .args(["doctor", "--endpoint-url", &bed.url()]),
    );
    installed.assert_exit(0);
    assert_eq!(
        line(&installed.stdout, "udev"),
        "ok    udev rules   /usr/lib/udev/rules.d/70-mfa-resync-yubikey.rules",
        "{}",
        installed.stdout
    );
    let missing =
        bed.run(
            bed.command_on_test_machine(&[])
                .args(["doctor", "--endpoint-url", &bed.url()]),
        );
    missing.assert_exit(0);
    assert!(
        line(&missing.stdout, "udev")
            .starts_with("warn  udev rules   no rule grants YubiKey hidraw access"),
        "{}",
        missing.stdout
    );
    assert!(
        missing.stdout.contains("mfa-resync udev-rules | sudo tee"),
        "{}",
        missing.stdout
    );
}
