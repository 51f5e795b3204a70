//! The binary's command line, without pcscd: `add-demo` creates and extends a state file from
//! a seed file it refuses to read when others could, and never echoes the seed.

use crate::harness::{SEED, Scratch, binary, set_mode};

fn add_demo(scratch: &Scratch, account: &str, extra: &[&str]) -> std::process::Output {
    let state = scratch.path("state.json");
    let seed = scratch.path("seed");
    let mut args = vec![
        "add-demo",
        "--state",
        state.to_str().unwrap(),
        "--seed-file",
        seed.to_str().unwrap(),
        "--account",
        account,
    ];
    args.extend_from_slice(extra);
    scratch.run(binary(), &args)
}

#[test]
fn add_demo_creates_then_extends_a_private_state_file() {
    let scratch = Scratch::new();
    let out = add_demo(&scratch, "Amazon Web Services:alice@123456789012", &[]);
    assert!(out.status.success(), "{out:?}");
    let out2 = add_demo(
        &scratch,
        "Example:bob",
        &[
            "--touch",
            "--period",
            "60",
            "--digits",
            "8",
            "--algorithm",
            "sha256",
        ],
    );
    assert!(out2.status.success(), "{out2:?}");
    for o in [&out, &out2] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!all.contains(SEED), "the seed was printed: {all}");
    }

    let state = scratch.path("state.json");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(json["serial"], 12345678);
    let creds = json["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 2);
    assert_eq!(creds[0]["issuer"], "Amazon Web Services");
    assert_eq!(creds[0]["name"], "alice@123456789012");
    assert_eq!(creds[1]["touch"], true);
    assert_eq!(creds[1]["period"], 60);
    assert_eq!(creds[1]["algorithm"], "SHA256");

    // The same credential id again replaces rather than duplicates.
    assert!(
        add_demo(
            &scratch,
            "Amazon Web Services:alice@123456789012",
            &["--digits", "7"]
        )
        .status
        .success()
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(json["credentials"].as_array().unwrap().len(), 2);
    assert_eq!(json["credentials"][0]["digits"], 7);
}

#[test]
fn add_demo_refuses_a_seed_others_can_read() {
    let scratch = Scratch::new();
    set_mode(&scratch.path("seed"), 0o644);
    let out = add_demo(&scratch, "x", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chmod 600"), "{err}");
    assert!(!err.contains(SEED));
    assert!(!scratch.path("state.json").exists());
}

#[test]
fn serving_needs_a_valid_state_file() {
    let scratch = Scratch::new();
    let out = scratch.run(binary(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state"));

    let bad = scratch.path("bad.json");
    std::fs::write(
        &bad,
        r#"{"serial": 1, "credentials": [{"name": "a", "secret": "!!"}]}"#,
    )
    .unwrap();
    let out = scratch.run(binary(), &["--state", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not base32"), "{err}");
}
