//! The AWS CLI's conventions: global options before or after the subcommand, `--debug`, and
//! partitions chosen from the device's ARN.

use crate::util::{Bed, Output, write_private};

/// Runs `mfa-resync` with `global` before the subcommand and again after it.
fn both_ways(bed: &Bed, global: &[&str], subcommand: &[&str]) -> [Output; 2] {
    let before = bed.run(bed.command().args(global).args(subcommand));
    let (name, rest) = subcommand.split_first().expect("a subcommand");
    let after = bed.run(bed.command().arg(name).args(global).args(rest));
    [before, after]
}

#[test]
fn output_json_goes_before_or_after_every_subcommand_that_takes_it() {
    // `devices` looks into vpcd's readers, which other tests fill with cards: take turns.
    let _readers = crate::util::readers();
    let bed = Bed::new();
    let url = bed.url();
    let seed = bed.seed_file.to_str().unwrap().to_string();
    for subcommand in [
        vec!["codes", "--no-wait", "--seed-file", &seed],
        vec!["doctor", "--source", "seed", "--endpoint-url", &url],
        vec!["devices"],
    ] {
        for out in both_ways(&bed, &["--output", "json"], &subcommand) {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(out.stdout.trim());
            assert!(parsed.is_ok(), "{subcommand:?}: {out:?}");
        }
    }
    // resync: a fresh endpoint for each way, so that the second pair is not the first's replay.
    for way in 0..2 {
        let bed = Bed::new();
        let seed = bed.seed_file.to_str().unwrap().to_string();
        let args = [
            "resync",
            "--no-wait",
            "--seed-file",
            &seed,
            "--endpoint-url",
            &bed.url(),
        ];
        let out = if way == 0 {
            bed.run(bed.command().args(["--output", "json"]).args(args))
        } else {
            bed.run(bed.command().args(args).args(["--output", "json"]))
        };
        out.assert_exit(0);
        let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
        assert_eq!(v["Result"], "resynced");
    }
}

#[test]
fn aws_options_go_before_or_after_doctor_and_resync() {
    let bed = Bed::new();
    let url = bed.url();
    // --endpoint-url and --region take effect either way: doctor reaches this endpoint and names the region.
    for out in both_ways(
        &bed,
        &["--endpoint-url", &url, "--region", "eu-west-1"],
        &["doctor", "--source", "seed"],
    ) {
        out.assert_exit(0);
        assert!(
            out.stdout.contains("region       eu-west-1"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("arn:aws:iam::123456789012:user/alice"));
    }
    // --profile: a profile of the config files, with no keys in the environment.
    write_private(
        &bed.dir.path().join("aws-credentials"),
        &format!(
            "[desk]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            testbed::iam_local::TEST_ACCESS_KEY_ID,
            testbed::iam_local::TEST_SECRET_ACCESS_KEY
        ),
    );
    for way in 0..2 {
        let mut cmd = bed.command();
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        let args = ["doctor", "--source", "seed", "--endpoint-url", &url];
        if way == 0 {
            cmd.args(["--profile", "desk"]).args(args);
        } else {
            cmd.args(args).args(["--profile", "desk"]);
        }
        let out = bed.run(&mut cmd);
        out.assert_exit(0);
        assert!(out.stdout.contains("profile desk"), "{}", out.stdout);
    }
    // The timeouts are checked wherever they are written.
    for timeout in ["--cli-read-timeout", "--cli-connect-timeout"] {
        for out in both_ways(&bed, &[timeout, "0"], &["doctor", "--endpoint-url", &url]) {
            out.assert_exit(2);
            assert!(out.stderr.contains(timeout), "{}", out.stderr);
        }
        for out in both_ways(
            &bed,
            &[timeout, "9"],
            &["doctor", "--source", "seed", "--endpoint-url", &url],
        ) {
            out.assert_exit(0);
        }
    }
}

#[test]
fn an_option_a_subcommand_does_not_take_is_refused_wherever_it_is() {
    let bed = Bed::new();
    for out in both_ways(&bed, &["--profile", "desk"], &["codes", "--no-wait"]) {
        out.assert_exit(2);
        assert!(out.stderr.contains("--profile"), "{}", out.stderr);
    }
    // A subcommand's own option before the subcommand is not a global one.
    let out = bed.run(bed.command().args(["--seed-file", "x", "codes"]));
    out.assert_exit(2);
}

#[test]
fn debug_shows_each_request_s_headers_but_never_a_body_or_the_signature() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let out = bed.run(bed.command().args([
        "--debug",
        "resync",
        "--no-wait",
        "--seed-file",
        &seed,
        "--endpoint-url",
        &bed.url(),
    ]));
    out.assert_exit(0);
    assert!(
        out.stderr
            .contains(&format!("request: POST {}/", bed.url())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("authorization: (hidden)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("response: 200"), "{}", out.stderr);
    assert!(!out.stderr.contains("Signature="), "{}", out.stderr);
    bed.assert_no_secrets(&out.all(), "--debug");
}

#[test]
fn a_region_in_another_partition_than_the_device_is_refused_before_any_request() {
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let out = bed.resync(&[
        "--no-wait",
        "--seed-file",
        &seed,
        "--serial-number",
        "arn:aws-us-gov:iam::123456789012:mfa/alice",
        "--region",
        "eu-west-1",
    ]);
    out.assert_exit(2)
        .assert_stderr("the region eu-west-1 is in partition aws, but the device is in aws-us-gov");
    assert!(bed.log().is_empty(), "{:?}", bed.log());
}

#[test]
fn a_region_aws_does_not_have_is_a_warning_naming_the_closest() {
    let bed = Bed::new();
    let out = bed.run(bed.command().args([
        "doctor",
        "--source",
        "seed",
        "--endpoint-url",
        &bed.url(),
        "--region",
        "us-east1",
    ]));
    out.assert_exit(0);
    assert!(
        out.stdout.contains(
            "region \"us-east1\" is not one AWS is known to have; did you mean \"us-east-1\"?"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_govcloud_device_with_no_region_configured_is_signed_for_govcloud_s_iam_region() {
    let bed = Bed::with(|c| {
        c.state = c
            .state
            .clone()
            .with_partition(testbed::iam_local::Partition::AwsUsGov);
    });
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let out = bed.run(bed.command().args([
        "-v",
        "resync",
        "--no-wait",
        "--seed-file",
        &seed,
        "--serial-number",
        "arn:aws-us-gov:iam::123456789012:mfa/alice",
        "--endpoint-url",
        &bed.url(),
    ]));
    out.assert_exit(0)
        .assert_stderr("signing for IAM's region in the serial's partition");
    let log = bed.log();
    assert!(!log.is_empty());
    for entry in &log {
        assert_eq!(entry.region, "us-gov-west-1", "{entry:?}");
    }
    assert_eq!(bed.resync_requests()[0].status, 200);
}

#[test]
fn aws_vault_s_key_variables_do_not_get_in_the_way_of_a_seed_or_given_codes() {
    // aws-vault users may have them set for every shell; they name a YubiKey, which a seed run
    // does not read.
    let bed = Bed::new();
    let seed = bed.seed_file.to_str().unwrap().to_string();
    let mut cmd = bed.command();
    cmd.env("YKMAN_OATH_DEVICE_SERIAL", "not-a-serial")
        .env("YKMAN_OATH_CREDENTIAL_NAME", "")
        .args(["resync", "--endpoint-url", &bed.url(), "--no-wait"])
        .args(["--seed-file", &seed]);
    bed.run(&mut cmd).assert_exit(0);
    assert_eq!(bed.resync_requests().len(), 1);
}
