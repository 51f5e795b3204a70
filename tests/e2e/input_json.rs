//! `--cli-input-json` as the README shows it: the skeleton filled in by hand,
//! `codes --output json` fed back, and the two usual mistakes with the file's name.

use testbed::iam_local::DEMO_SERIAL;

use crate::util::Bed;

#[test]
fn a_filled_in_skeleton_with_empty_codes_reads_them_from_the_seed() {
    let bed = Bed::new();
    let skeleton = bed.run(bed.command().args(["resync", "--generate-cli-skeleton"]));
    skeleton.assert_exit(0);
    let mut request: serde_json::Value = serde_json::from_str(&skeleton.stdout).unwrap();
    request["UserName"] = "alice".into();
    request["SerialNumber"] = DEMO_SERIAL.into();
    assert_eq!(
        request["AuthenticationCode1"], "",
        "left as the skeleton has it"
    );
    let req = bed.private_file("req.json", &request.to_string());
    bed.steer();
    // The README's row, as written.
    let out = bed.run(
        bed.command()
            .args(["resync", "--endpoint-url", &bed.url()])
            .arg("--cli-input-json")
            .arg(format!("file://{}", req.display()))
            .args(["--seed-env", "MFA_SEED"])
            .env("MFA_SEED", &bed.seed),
    );
    out.assert_exit(0).assert_stderr("Resynced");
    assert_eq!(bed.resync_requests().len(), 1);
}

#[test]
fn codes_output_json_feeds_back_into_cli_input_json() {
    let bed = Bed::new();
    let codes = bed.run(
        bed.command()
            .args(["codes", "--no-wait", "--output", "json", "--seed-file"])
            .arg(&bed.seed_file),
    );
    codes.assert_exit(0);
    let printed: serde_json::Value = serde_json::from_str(codes.stdout.trim()).unwrap();
    assert!(printed.get("Counters").is_some(), "{printed}");
    let req = bed.private_file("codes.json", &codes.stdout);
    let out = bed.resync(&[
        "--cli-input-json",
        &format!("file://{}", req.display()),
        "--user-name",
        "alice",
        "--serial-number",
        DEMO_SERIAL,
    ]);
    out.assert_exit(0);
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].params["AuthenticationCode1"],
        printed["AuthenticationCode1"].as_str().unwrap()
    );
}

#[test]
fn a_path_without_file_or_a_missing_file_is_named_with_the_fix() {
    let bed = Bed::new();
    bed.private_file("req.json", r#"{"UserName": "alice"}"#);
    let out = bed.run(
        bed.command()
            .current_dir(bed.dir.path())
            .args(["resync", "--endpoint-url", &bed.url()])
            .args(["--cli-input-json", "req.json", "--source", "prompt"]),
    );
    out.assert_exit(2)
        .assert_stderr("--cli-input-json: is not valid JSON (line 1, column 1)")
        .assert_stderr("hint: to read the file, write file://req.json");
    let out = bed.resync(&[
        "--cli-input-json",
        "file:///nonexistent/req.json",
        "--source",
        "prompt",
    ]);
    out.assert_exit(2).assert_stderr(
        "--cli-input-json: cannot read /nonexistent/req.json (No such file or directory)",
    );
    assert!(!out.stderr.contains("entity not found"), "{}", out.stderr);
    assert!(bed.log().is_empty());
}
