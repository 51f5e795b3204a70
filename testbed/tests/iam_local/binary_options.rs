//! `iam-local serve`'s code window and paging options: AWS's window and short pages unless
//! `--tolerance N` or `--no-short-pages` says otherwise.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_iam::error::ProvideErrorMetadata;
use testbed::iam_local::{DEMO_SERIAL, State, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, totp};

const BIN: &str = env!("CARGO_BIN_EXE_iam-local");

/// A served `iam-local`, stopped (by its own PID) when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `iam-local init` in `dir` with alice's device and five unassigned ones, then `serve` with
/// `args`; the seed of alice's device.
fn serve(dir: &Path, args: &[&str]) -> (Served, String) {
    let mut init = Command::new(BIN);
    init.arg("init")
        .arg("--state")
        .arg(dir.join("state.json"))
        .arg("--seed-out")
        .arg(dir.join("seed"))
        .arg("--force");
    for i in 0..5 {
        init.arg("--unassigned-device").arg(format!("spare{i}"));
    }
    assert!(init.output().unwrap().status.success());
    let ready = dir.join("ready");
    let _ = std::fs::remove_file(&ready);
    let child = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .args(args)
        .arg("--state")
        .arg(dir.join("state.json"))
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut served = Served {
        child,
        url: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "no ready file");
        std::thread::sleep(Duration::from_millis(20));
    }
    served.url = std::fs::read_to_string(&ready).unwrap().trim().to_owned();
    let seed = std::fs::read_to_string(dir.join("seed")).unwrap();
    (served, seed.trim().to_owned())
}

fn client(url: &str) -> aws_sdk_iam::Client {
    use aws_sdk_iam::config::{BehaviorVersion, Region, retry::RetryConfig};
    let conf = aws_sdk_iam::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(crate::harness::credentials(
            TEST_ACCESS_KEY_ID,
            TEST_SECRET_ACCESS_KEY,
            None,
        ))
        .endpoint_url(url)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// Waits, if need be, until the host's clock is at least 5 s from a step's edge, and returns the
/// current step (the served endpoint has no clock offset here).
async fn settled_step() -> u64 {
    loop {
        let now = testbed::iam_local::clock::host_now();
        if (5..25).contains(&now.rem_euclid(30)) {
            return totp::counter_at(now, 30);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn resync(client: &aws_sdk_iam::Client, seed: &str, c: u64) -> Result<(), Option<String>> {
    client
        .resync_mfa_device()
        .user_name("alice")
        .serial_number(DEMO_SERIAL)
        .authentication_code1(totp::code_at(seed, c, 6).unwrap())
        .authentication_code2(totp::code_at(seed, c + 1, 6).unwrap())
        .send()
        .await
        .map(drop)
        .map_err(|e| e.code().map(str::to_owned))
}

#[tokio::test]
async fn serve_defaults_to_the_aws_window_and_short_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (served, seed) = serve(dir.path(), &[]);
    let iam = client(&served.url);
    let n = settled_step().await;
    assert_eq!(
        resync(&iam, &seed, n).await,
        Err(Some("InvalidAuthenticationCode".to_owned())),
        "a pair read one step early"
    );
    resync(&iam, &seed, n - 2).await.unwrap();
    let page = iam.list_virtual_mfa_devices().send().await.unwrap();
    assert_eq!(
        page.virtual_mfa_devices().len(),
        2,
        "6 devices, a short page"
    );
    assert!(page.is_truncated());
    let state = State::load(&dir.path().join("state.json")).unwrap();
    assert_eq!(state.device(DEMO_SERIAL).unwrap().last_counter, Some(n - 1));
}

#[tokio::test]
async fn tolerance_widens_the_window_and_no_short_pages_fills_pages() {
    let dir = tempfile::tempdir().unwrap();
    let (served, seed) = serve(dir.path(), &["--tolerance", "1", "--no-short-pages"]);
    let iam = client(&served.url);
    let n = settled_step().await;
    resync(&iam, &seed, n).await.unwrap();
    let page = iam.list_virtual_mfa_devices().send().await.unwrap();
    assert_eq!(page.virtual_mfa_devices().len(), 6);
    assert!(!page.is_truncated());
    let page = iam
        .list_virtual_mfa_devices()
        .max_items(4)
        .send()
        .await
        .unwrap();
    assert_eq!(page.virtual_mfa_devices().len(), 4);
    let marker = page.marker().unwrap();
    assert!(
        ["+", "/", "="].iter().all(|c| marker.contains(c)),
        "{marker}"
    );
}
