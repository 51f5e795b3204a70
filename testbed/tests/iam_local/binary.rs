//! The `iam-local` binary: `init` files and modes, `serve` start-up, ready file, log and shutdown.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testbed::iam_local::{
    DEMO_SERIAL, LogEntry, Partition, State, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, totp,
};

const BIN: &str = env!("CARGO_BIN_EXE_iam-local");

/// Kills the server (by its own PID) if a test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn init(dir: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("init")
        .arg("--state")
        .arg(dir.join("state.json"))
        .arg("--seed-out")
        .arg(dir.join("seed"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn init_writes_private_files_and_never_prints_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let out = init(dir.path(), &[]);
    assert!(out.status.success(), "{out:?}");
    let seed = std::fs::read_to_string(dir.path().join("seed")).unwrap();
    let seed = seed.trim_end();
    assert_eq!(seed.len(), 64);
    assert_eq!(mode(&dir.path().join("seed")), 0o600);
    assert_eq!(mode(&dir.path().join("state.json")), 0o600);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!printed.contains(seed), "{printed}");
    let state = State::load(&dir.path().join("state.json")).unwrap();
    assert_eq!(state.device(DEMO_SERIAL).unwrap().seed_base32, seed);

    let again = init(dir.path(), &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced = init(dir.path(), &["--force"]);
    assert!(forced.status.success(), "{forced:?}");
    assert_ne!(
        std::fs::read_to_string(dir.path().join("seed"))
            .unwrap()
            .trim_end(),
        seed
    );
}

#[test]
fn init_flags_shape_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let out = init(
        dir.path(),
        &[
            "--alias",
            "example-corp",
            "--partition",
            "aws-us-gov",
            "--account-id",
            "210987654321",
            "--device-name",
            "alice-yubikey",
            "--user",
            "bob",
            "--user",
            "carol",
            "--unassigned-device",
            "orphan",
            "--deny",
            "alice:DeactivateMFADevice",
            "--deny",
            "role/desk:iam:*",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let state = State::load(&dir.path().join("state.json")).unwrap();
    assert_eq!(state.account_alias.as_deref(), Some("example-corp"));
    assert_eq!(state.partition, Partition::AwsUsGov);
    let serial = "arn:aws-us-gov:iam::210987654321:mfa/alice-yubikey";
    assert_eq!(state.serials_of("alice"), [serial]);
    let seed = std::fs::read_to_string(dir.path().join("seed")).unwrap();
    assert_eq!(state.device(serial).unwrap().seed_base32, seed.trim_end());
    assert!(state.user("bob").is_some() && state.user("carol").is_some());
    let orphans: Vec<_> = state
        .unassigned_devices()
        .iter()
        .map(|d| &d.serial)
        .collect();
    assert_eq!(orphans, ["arn:aws-us-gov:iam::210987654321:mfa/orphan"]);
    assert_eq!(state.denied_actions["alice"], ["DeactivateMFADevice"]);
    assert_eq!(state.denied_actions["role/desk"], ["iam:*"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("alias example-corp") && stderr.contains("partition aws-us-gov"),
        "{stderr}"
    );
    assert!(stderr.contains(serial), "{stderr}");
    assert!(!stderr.contains(seed.trim_end()));
}

#[test]
fn init_refuses_bad_flags_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (&["--alias", "No--Good"][..], "single dashes"),
        (&["--partition", "aws-eu"], "aws-us-gov"),
        (&["--account-id", "1234"], "12 digits"),
        (&["--device-name", "a key"], "letters, digits"),
        (&["--deny", "alice"], "WHO:ACTION"),
        (&["--user", "admin"], "given twice"),
        (&["--user", "bob", "--user", "bob"], "given twice"),
        (&["--unassigned-device", "alice"], "given twice"),
    ] {
        let out = init(dir.path(), args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!dir.path().join("state.json").exists(), "{args:?}");
        assert!(!dir.path().join("seed").exists(), "{args:?}");
    }
}

#[test]
fn serve_without_a_state_file_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--port", "0", "--state"])
        .arg(dir.path().join("missing.json"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--state") && stderr.contains("iam-local init"),
        "{stderr}"
    );
}

#[test]
fn serve_rejects_a_bad_fault() {
    let out = Command::new(BIN)
        .args(["serve", "--state", "/nonexistent", "--fault", "teapot"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("KIND[-once|-always|-N][@Action]"));
}

#[tokio::test]
async fn serve_answers_logs_persists_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    assert!(init(dir.path(), &[]).status.success());
    let ready = dir.path().join("ready");
    let log = dir.path().join("log.jsonl");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--port",
            "0",
            "--tolerance",
            "1",
            "--clock-offset",
            "-30",
            "--fault",
            "throttle-once@GetUser",
        ])
        .arg("--state")
        .arg(dir.path().join("state.json"))
        .arg("--log")
        .arg(&log)
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);

    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "no ready file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let url = std::fs::read_to_string(&ready).unwrap().trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let first_line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert_eq!(first_line, format!("iam-local listening on {url}\n"));

    use aws_sdk_iam::config::{BehaviorVersion, Region, retry::RetryConfig};
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(crate::harness::credentials(
            TEST_ACCESS_KEY_ID,
            TEST_SECRET_ACCESS_KEY,
            None,
        ))
        .endpoint_url(&url)
        .retry_config(RetryConfig::disabled())
        .build();
    let client = aws_sdk_iam::Client::from_conf(conf);
    let err = client.get_user().send().await.unwrap_err();
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(&err),
        Some("Throttling")
    );
    client.get_user().send().await.unwrap();

    let seed = std::fs::read_to_string(dir.path().join("seed")).unwrap();
    // Server time is 30 s behind the host: one window.
    let n = totp::counter_at(testbed::iam_local::clock::host_now() - 30, 30);
    let (c1, c2) = (
        totp::code_at(seed.trim(), n - 1, 6).unwrap(),
        totp::code_at(seed.trim(), n, 6).unwrap(),
    );
    client
        .resync_mfa_device()
        .user_name("alice")
        .serial_number(DEMO_SERIAL)
        .authentication_code1(c1)
        .authentication_code2(c2)
        .send()
        .await
        .unwrap();

    let state = State::load(&dir.path().join("state.json")).unwrap();
    assert_eq!(state.device(DEMO_SERIAL).unwrap().last_counter, Some(n));
    let entries: Vec<LogEntry> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e.action.as_str(), e.status))
        .collect();
    assert_eq!(
        summary,
        [("GetUser", 400), ("GetUser", 200), ("ResyncMFADevice", 200)]
    );
    assert_eq!(entries[2].counters, Some((n - 1, n)));

    let pid = running.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut running = running;
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
}
