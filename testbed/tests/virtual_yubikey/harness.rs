//! Shared pieces: a temp dir with a seed, children that are ended by PID on drop, the pcscd
//! the tests need (found or started), and the trap `pkill`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The seed the tests use; base32 of "12345678901234567890" (RFC 6238's SHA-1 seed).
pub const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The reader vpcd's first slot appears as.
pub const READER: &str = "Virtual PCD 00 00";

/// The right to put cards in vpcd's readers, held for a whole test. The readers are shared by
/// every process on this machine (the main crate's e2e tests, other checkouts), so the turn is
/// the machine-wide file lock they all take, not a lock of this process.
pub struct ReaderTurn(#[allow(dead_code)] std::fs::File);

/// Waits for the readers' lock (exclusive, released when the turn is dropped or the process
/// dies).
pub fn reader_turn() -> ReaderTurn {
    let path = std::env::temp_dir().join("mfa-resync-virtual-readers.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("the readers' lock file {}: {e}", path.display()));
    file.lock().expect("lock the virtual readers");
    ReaderTurn(file)
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

/// The reader of vpcd's second slot (TCP 35964).
pub const READER_1: &str = "Virtual PCD 00 01";

/// The reader a card on this vpcd port appears in.
pub fn reader_for(port: u16) -> &'static str {
    if port == 35964 { READER_1 } else { READER }
}

/// Whether a card is in `reader` right now.
pub fn present_in(reader: &str) -> bool {
    yubikit::platform::pcsc::list_readers_with_state()
        .unwrap_or_default()
        .iter()
        .any(|(name, present)| name == reader && *present)
}

impl Scratch {
    /// Runs a command with the trap on PATH and `input` on its stdin (secrets stay off argv).
    pub fn run_input(&self, program: &str, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        let mut child = Command::new(program)
            .args(args)
            .env("PATH", self.path_env())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    }
}

/// A `virtual-yubikey` process with its ready file and, when asked for, its control socket.
pub struct CardProcess {
    pub owned: Owned,
    pub ready: PathBuf,
    pub control: Option<PathBuf>,
    pub reader: &'static str,
}

impl CardProcess {
    /// Starts the card on `state` at vpcd `port`; `name` keeps the files of two cards apart.
    /// `extra` may hold `--start-removed`, `--persist`, `-v`…; `control` adds `--control`.
    pub fn start(
        scratch: &Scratch,
        state: &Path,
        name: &str,
        port: u16,
        control: bool,
        extra: &[&str],
    ) -> Self {
        let reader = reader_for(port);
        assert!(
            !present_in(reader),
            "{reader} already holds a card: another virtual card is running"
        );
        let ready = scratch.path(&format!("{name}.ready"));
        let socket = control.then(|| scratch.path(&format!("{name}.control")));
        let mut command = Command::new(binary());
        command
            .arg("--state")
            .arg(state)
            .arg("--port")
            .arg(port.to_string())
            .arg("--ready-file")
            .arg(&ready)
            .args(extra)
            .env("PATH", scratch.path_env())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(socket) = &socket {
            command.arg("--control").arg(socket);
        }
        let owned = Owned {
            child: command.spawn().unwrap(),
            name: "virtual-yubikey",
        };
        if let Some(socket) = &socket {
            wait_for("the control socket", Duration::from_secs(10), || {
                socket.exists()
            });
        }
        Self {
            owned,
            ready,
            control: socket,
            reader,
        }
    }

    /// Waits until the card is in its reader, by its ready file and by PC/SC.
    pub fn wait_inserted(&self) {
        wait_for("the ready file", Duration::from_secs(10), || {
            self.ready.exists()
        });
        wait_for(
            "the reader to show the card",
            Duration::from_secs(5),
            || present_in(self.reader),
        );
    }

    /// Sends one control line and returns the answer line.
    pub fn control(&self, line: &str) -> String {
        use std::io::{BufRead as _, Write as _};
        let path = self
            .control
            .as_ref()
            .expect("started with a control socket");
        let mut stream = std::os::unix::net::UnixStream::connect(path).unwrap();
        writeln!(stream, "{line}").unwrap();
        let mut answer = String::new();
        std::io::BufReader::new(stream)
            .read_line(&mut answer)
            .unwrap();
        answer.trim_end().to_owned()
    }

    /// Sends a signal (`USR1`, `USR2`…) to the card process, by its PID.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.owned.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    /// Ends the process (SIGTERM, by PID) and returns its stderr.
    pub fn stop(self) -> String {
        self.owned.stop()
    }
}

/// Watches one reader with `SCardGetStatusChange` (no polling) from a thread, recording each
/// change pcscd reports: when, whether a card is present, and the reader's event counter.
pub struct ReaderWatch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<Vec<ReaderEvent>>>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<ReaderEvent>>>,
}

/// One change pcscd reported for the watched reader.
#[derive(Debug, Clone, Copy)]
pub struct ReaderEvent {
    pub at: Instant,
    pub present: bool,
    pub count: u32,
}

impl ReaderWatch {
    pub fn start(reader: &str) -> Self {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (halt, log) = (stop.clone(), seen.clone());
        let name = std::ffi::CString::new(reader).unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("PC/SC context");
            let mut states = [pcsc::ReaderState::new(name, pcsc::State::UNAWARE)];
            ctx.get_status_change(Some(Duration::ZERO), &mut states)
                .expect("the reader's state");
            states[0].sync_current_state();
            let _ = started_tx.send(());
            while !halt.load(Ordering::Relaxed) {
                match ctx.get_status_change(Some(Duration::from_millis(100)), &mut states) {
                    Ok(()) => {
                        let event = ReaderEvent {
                            at: Instant::now(),
                            present: states[0].event_state().contains(pcsc::State::PRESENT),
                            count: states[0].event_count(),
                        };
                        log.lock().unwrap().push(event);
                        states[0].sync_current_state();
                    }
                    Err(pcsc::Error::Timeout) => {}
                    Err(e) => panic!("SCardGetStatusChange: {e}"),
                }
            }
            log.lock().unwrap().clone()
        });
        started_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the watcher to start");
        Self {
            stop,
            thread: Some(thread),
            seen,
        }
    }

    /// The changes seen so far.
    pub fn events(&self) -> Vec<ReaderEvent> {
        self.seen.lock().unwrap().clone()
    }

    /// The first change after `since` that shows `present`, waiting up to `timeout`.
    pub fn wait_change(&self, since: Instant, present: bool, timeout: Duration) -> ReaderEvent {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self
                .events()
                .into_iter()
                .find(|e| e.at >= since && e.present == present)
            {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "pcscd reported no {} within {timeout:?}",
                if present { "insertion" } else { "removal" }
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn stop(mut self) -> Vec<ReaderEvent> {
        self.finish()
    }

    fn finish(&mut self) -> Vec<ReaderEvent> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // A watcher that panicked already said why; its events are then lost.
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for ReaderWatch {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Median and maximum of some durations.
pub fn median_max(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (
        samples[samples.len() / 2],
        samples.last().copied().unwrap_or_default(),
    )
}
