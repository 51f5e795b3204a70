//! Shared pieces: a temp dir with a seed, children that are ended by PID on drop, the pcscd
//! the tests need (found or started), and the trap `pkill`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The seed the tests use; base32 of "12345678901234567890" (RFC 6238's SHA-1 seed).
pub const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The reader vpcd's first slot appears as.
pub const READER: &str = "Virtual PCD 00 00";

/// vpcd has one port for `READER`: the tests that put a card there take turns.
pub fn reader_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    // A test that failed while holding it leaves the reader free again (its card is dropped).
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_virtual-yubikey")
}

/// A scratch directory with a 0600 seed file and a trap `pkill`.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("seed");
        std::fs::write(&seed, format!("{SEED}\n")).unwrap();
        set_mode(&seed, 0o600);
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let trap = bin.join("pkill");
        let marker = dir.path().join("pkill-was-called");
        std::fs::write(
            &trap,
            format!(
                "#!/bin/sh\necho \"$@\" >> '{}'\necho 'test trap: refusing to pkill' >&2\nexit 1\n",
                marker.display()
            ),
        )
        .unwrap();
        set_mode(&trap, 0o755);
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// PATH with the trap first.
    pub fn path_env(&self) -> String {
        let old = std::env::var("PATH").unwrap_or_default();
        format!("{}:{old}", self.path("bin").display())
    }

    /// Fails if anything tried to pkill.
    pub fn assert_no_pkill(&self) {
        let marker = self.path("pkill-was-called");
        assert!(
            !marker.exists(),
            "something ran pkill {:?}",
            std::fs::read_to_string(marker)
        );
    }

    /// Runs a command with the trap on PATH.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(args)
            .env("PATH", self.path_env())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A child process ended by its PID when dropped: SIGTERM, then SIGKILL after 5 s.
pub struct Owned {
    pub child: Child,
    pub name: &'static str,
}

impl Owned {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ends the child now (same as dropping it) and returns its stderr, if it was piped.
    pub fn stop(mut self) -> String {
        self.terminate();
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut err);
        }
        err
    }

    fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // SIGTERM by PID, so pcscd removes its socket and pid file.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "{} (pid {}) ignored SIGTERM; killing it",
            self.name,
            self.pid()
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Waits for `cond`, polling.
pub fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// The pcscd these tests talk to: one already running with vpcd's readers (left alone), or
/// one started here as a foreground child.
pub struct Pcscd {
    /// Ours to end (on drop), or `None` when it was already running.
    _owned: Option<Owned>,
}

impl Pcscd {
    pub fn ensure() -> Self {
        use yubikit::platform::pcsc::{PcscError, list_readers};
        match list_readers() {
            Ok(readers) if readers.iter().any(|r| r == READER) => {
                eprintln!("using the running pcscd (readers {readers:?})");
                return Self { _owned: None };
            }
            Ok(readers) => panic!(
                "pcscd is running but has no reader {READER:?} (readers: {readers:?}); install \
                 vsmartcard-vpcd (it adds /etc/reader.conf.d/vpcd) and restart pcscd"
            ),
            Err(PcscError::Pcsc(pcsc::Error::NoService)) => {}
            Err(e) => panic!("PC/SC is unusable: {e}"),
        }
        assert!(
            Path::new("/etc/reader.conf.d/vpcd").exists(),
            "vpcd is not installed: apt-get install pcscd vsmartcard-vpcd"
        );
        // --foreground keeps pcscd our child (its PID is the one we end); --auto-exit is a safety
        // net should this process die without ending it.
        let child = Command::new("pcscd")
            .args(["--foreground", "--auto-exit"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start pcscd (apt-get install pcscd): {e}"));
        let owned = Owned {
            child,
            name: "pcscd",
        };
        eprintln!(
            "started pcscd --foreground --auto-exit, pid {}",
            owned.pid()
        );
        wait_for(
            "pcscd to list vpcd's readers",
            Duration::from_secs(10),
            || list_readers().is_ok_and(|r| r.iter().any(|r| r == READER)),
        );
        Self {
            _owned: Some(owned),
        }
    }
}

/// Whether a card is in `READER` right now.
pub fn card_present() -> bool {
    yubikit::platform::pcsc::list_readers_with_state()
        .unwrap_or_default()
        .iter()
        .any(|(name, present)| name == READER && *present)
}

/// Starts the card binary on `state`, waits until pcscd has read its ATR.
pub fn start_card(scratch: &Scratch, state: &Path, extra: &[&str]) -> Owned {
    assert!(
        !card_present(),
        "{READER} already holds a card: another virtual card is running"
    );
    let ready = scratch.path("ready");
    let _ = std::fs::remove_file(&ready);
    let child = Command::new(binary())
        .arg("--state")
        .arg(state)
        .arg("--ready-file")
        .arg(&ready)
        .args(extra)
        .env("PATH", scratch.path_env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let card = Owned {
        child,
        name: "virtual-yubikey",
    };
    wait_for(
        "the card to be read by pcscd",
        Duration::from_secs(10),
        || ready.exists(),
    );
    wait_for(
        "the reader to show the card",
        Duration::from_secs(5),
        card_present,
    );
    card
}

pub fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// oathtool's TOTP for the seed at `time` (an implementation independent of the card's).
/// `extra` may replace the mode, e.g. `--totp=sha256`, and add `-d 8`.
pub fn oathtool_totp(scratch: &Scratch, seed: &str, time: u64, extra: &[&str]) -> String {
    let now = format!("@{time}");
    let mut args = vec!["-b", seed, "-N", &now];
    if !extra.iter().any(|a| a.starts_with("--totp")) {
        args.push("--totp");
    }
    args.extend_from_slice(extra);
    stdout(&scratch.run("oathtool", &args)).trim().to_owned()
}
