//! The binary's command line, without pcscd: `add-demo` creates and extends a state file from
//! a seed file it refuses to read when others could, and never echoes the seed; the control
//! socket answers and SIGTERM ends a card that has no reader to go into.

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

#[test]
fn the_control_socket_answers_without_a_reader_and_sigterm_ends_the_card() {
    use std::io::{BufRead as _, Write as _};
    let scratch = Scratch::new();
    let state = scratch.path("state.json");
    testbed::virtual_yubikey::CardConfig::new(1)
        .save(&state)
        .unwrap();
    // A port nothing listens on: the card waits for a vpcd that never comes.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let socket = scratch.path("control");
    let child = std::process::Command::new(binary())
        .args(["--state", state.to_str().unwrap(), "--port", &port])
        .args(["--start-removed", "--control", socket.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let card = crate::harness::Owned {
        child,
        name: "virtual-yubikey",
    };
    crate::harness::wait_for(
        "the control socket",
        std::time::Duration::from_secs(10),
        || socket.exists(),
    );
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    stream
        .write_all(b"status\nremove\nremove-after 2\nstatus\nfly\n")
        .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let answers: Vec<String> = std::io::BufReader::new(stream)
        .lines()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        answers[..4],
        [
            "out insertions=0 removals=0",
            "ok removed",
            "ok",
            "out insertions=0 removals=0"
        ]
    );
    assert!(
        answers[4].starts_with("error: unknown command"),
        "{answers:?}"
    );
    let mut card = card;
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &card.pid().to_string()])
        .status();
    crate::harness::wait_for("the card to end", std::time::Duration::from_secs(5), || {
        matches!(card.child.try_wait(), Ok(Some(_)))
    });
    assert!(card.child.try_wait().unwrap().unwrap().success());

    // A control socket that cannot be made is an error, not a card without one.
    let out = scratch.run(
        binary(),
        &[
            "--state",
            state.to_str().unwrap(),
            "--control",
            scratch.path("no/such/dir/control").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on --control"), "{err}");
}
