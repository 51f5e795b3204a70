//! The station's harness: virtual keys plugged in and out of vpcd's readers while the real pcscd
//! runs (a served card's presence, not a process restart), the station as a child process ended
//! by its PID, its JSON events read as they come, and checks on what iam-local was sent.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use testbed::iam_local::{ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, LogEntry, clock, totp};
use testbed::virtual_yubikey::vpcd::{self, ServedCard, VpcdOptions};
use testbed::virtual_yubikey::{CardConfig, CredentialConfig, Presence, VirtualCard};

use crate::util::{Bed, Output, collect, reader_slot};

/// How long pcscd may take to see a card come or go.
const PCSCD: Duration = Duration::from_secs(10);

/// A key served to one of vpcd's readers that a test plugs in and out, as a person at the desk
/// would; it starts out of the reader.
pub struct Plug {
    served: ServedCard,
    card: Arc<Mutex<VirtualCard>>,
    pub reader: &'static str,
}

impl Plug {
    /// A key made from `config`, for reader `slot` of the test's readers (`READER_0` is slot 0,
    /// `READER_1` slot 1), not yet in.
    #[track_caller]
    pub fn new(config: CardConfig, slot: u16) -> Plug {
        let (reader, port) = reader_slot(slot);
        let card = Arc::new(Mutex::new(VirtualCard::new(config).expect("a valid card")));
        let served = vpcd::spawn(
            Arc::clone(&card),
            VpcdOptions {
                port,
                presence: Presence::out(),
                keep_serving_when_removed: true,
                ..VpcdOptions::default()
            },
        );
        Plug {
            served,
            card,
            reader,
        }
    }

    /// Puts the key in and waits until pcscd has it.
    #[track_caller]
    pub fn insert(&self) {
        self.served.insert();
        assert!(
            self.served.wait_inserted(PCSCD),
            "pcscd did not take the key in {}: {:?}",
            self.reader,
            self.served.events()
        );
    }

    /// Puts the key in without waiting for pcscd.
    pub fn push_in(&self) {
        self.served.insert();
    }

    /// Takes the key out and waits until pcscd has seen it go.
    #[track_caller]
    pub fn remove(&self) {
        self.served.remove();
        assert!(
            self.served.wait_removed(PCSCD),
            "pcscd did not see the key leave {}: {:?}",
            self.reader,
            self.served.events()
        );
    }

    /// Waits up to `timeout` until pcscd has seen the key go (after the card removed itself);
    /// false if it has not.
    pub fn wait_out(&self, timeout: Duration) -> bool {
        self.served.wait_removed(timeout)
    }

    /// What the card's link saw, for a failing test.
    pub fn link_events(&self) -> Vec<String> {
        self.served.events()
    }

    /// Another key goes into this slot next time (the key must be out).
    pub fn swap(&self, config: CardConfig) {
        assert!(!self.served.presence().wants_in(), "swap a key that is out");
        *self.card.lock().unwrap() = VirtualCard::new(config).expect("a valid card");
    }

    /// Commands the key has answered.
    pub fn apdus(&self) -> u64 {
        self.card.lock().unwrap().apdu_count()
    }
}

/// A key for `account` (`ISSUER:NAME`) with `seed`, and maybe decoys.
pub fn key(serial: u32, credentials: &[(&str, &str)]) -> CardConfig {
    credentials
        .iter()
        .fold(CardConfig::new(serial), |config, (name, seed)| {
            let credential = if name.starts_with("arn:") {
                CredentialConfig::totp_with_id(name, seed)
            } else {
                CredentialConfig::totp_for_account(name, seed)
            };
            config.with_credential(credential)
        })
}

/// A key holding alice's demo device's seed under the name AWS's QR code gives it.
pub fn alice_key(serial: u32, seed: &str) -> CardConfig {
    key(serial, &[("Amazon Web Services:alice@123456789012", seed)])
}

/// The JSON events named `name` in a finished run's stdout.
pub fn events_in(stdout: &str, name: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["Event"] == name)
        .collect()
}

/// A running station, its stdout (JSON events) and stderr collected as they come.
pub struct StationRun {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl StationRun {
    /// `mfa-resync station --endpoint-url URL ARGS…` as the help desk's admin, JSON events unless
    /// `args` say otherwise; waits until it is ready.
    pub fn start(bed: &Bed, args: &[&str]) -> StationRun {
        StationRun::start_command(&mut StationRun::command(bed, args))
    }

    /// Starts a prepared [`StationRun::command`] and waits until it is ready.
    pub fn start_command(cmd: &mut Command) -> StationRun {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mfa-resync station starts");
        let (stdout, out) = collect(child.stdout.take().expect("stdout"));
        let (stderr, err) = collect(child.stderr.take().expect("stderr"));
        let run = StationRun {
            child,
            stdout,
            stderr,
            readers: vec![out, err],
        };
        // `"Event":"Started"` as JSON, `Station ready` as text.
        run.wait_text("Started", Duration::from_secs(20));
        run
    }

    /// The command [`StationRun::start`] runs.
    pub fn command(bed: &Bed, args: &[&str]) -> Command {
        let mut cmd = bed.command();
        cmd.env("AWS_ACCESS_KEY_ID", ADMIN_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET_ACCESS_KEY)
            .args(["station", "--endpoint-url", &bed.url()])
            .args(args);
        cmd
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The station's resident memory (KiB, `VmRSS` of proc(5)) and open files now.
    pub fn resources(&self) -> (u64, usize) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the station's status");
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmRSS");
        let fds = std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("the station's open files")
            .count();
        (rss, fds)
    }

    /// Waits until stdout or stderr holds `text`.
    #[track_caller]
    pub fn wait_text(&self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = |t: &str| {
                self.stdout.lock().unwrap().contains(t) || self.stderr.lock().unwrap().contains(t)
            };
            if seen(text) || (text == "Started" && seen("Station ready")) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} within {timeout:?}\n--- stdout\n{}\n--- stderr\n{}",
                self.stdout.lock().unwrap(),
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The JSON events so far.
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lock()
            .unwrap()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// The events named `name` so far.
    pub fn named(&self, name: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["Event"] == name)
            .collect()
    }

    /// Waits until there are `n` events named `name`; returns them.
    #[track_caller]
    pub fn wait_events(&self, name: &str, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.named(name);
            if found.len() >= n {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} {name} events within {timeout:?}\n--- stdout\n{}\n--- stderr\n{}",
                found.len(),
                self.stdout.lock().unwrap(),
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends `sig` to the station, by its PID.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{sig} {}", self.pid());
    }

    /// Ctrl-C, then the end of the run within `timeout` (else the child is killed, by its PID,
    /// and the test fails).
    #[track_caller]
    pub fn interrupt(self, timeout: Duration) -> Output {
        self.signal("INT");
        self.finish(timeout)
    }

    /// Waits for the run to end by itself.
    #[track_caller]
    pub fn finish(mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the station still ran after {timeout:?}\n--- stdout\n{}\n--- stderr\n{}",
                    self.stdout.lock().unwrap(),
                    self.stderr.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Output {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout.lock().unwrap().clone(),
            stderr: self.stderr.lock().unwrap().clone(),
        }
    }
}

impl Drop for StationRun {
    fn drop(&mut self) {
        // A failing test must not leave its station running: ended by its own PID.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The counter `c` for which `entry`'s codes are `(code(c), code(c + 1))` of `seed`, searched
/// around the host's time (AWS's clock is steered at most a few minutes away): `None` means the
/// pair was not consecutive (or not this seed's).
pub fn pair_counters(entry: &LogEntry, seed: &str) -> Option<u64> {
    let code1 = entry.params.get("AuthenticationCode1")?;
    let code2 = entry.params.get("AuthenticationCode2")?;
    // Around the request's own arrival in AWS's time (a soak's first pairs are half an hour old,
    // and AWS's clock was steered): code 2 is of that window or the one before.
    let arrived = clock::parse_amz_date(&entry.time.replace(['-', ':'], ""))?;
    let arrived = u64::try_from(arrived).ok()? / 30;
    (arrived.saturating_sub(3)..=arrived + 1).find(|c| {
        totp::code_at(seed, *c, 6).ok().as_ref() == Some(code1)
            && totp::code_at(seed, c + 1, 6).ok().as_ref() == Some(code2)
    })
}
