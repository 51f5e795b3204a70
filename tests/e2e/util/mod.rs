//! The harness: a local IAM endpoint per test, a private seed file, and the built binary run as a
//! user would run it, with a clean environment (no ~/.aws, no instance metadata).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output as ProcessOutput, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tempfile::TempDir;
use testbed::iam_local::{
    Config, LogEntry, Server, State, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, totp,
};

mod machine;
mod readers;
mod script;

pub use readers::{Card, READER_0, READER_1, Readers, reader_slot, readers};
pub use script::{Terminal, at_terminal};

/// The built `mfa-resync` binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_mfa-resync");

/// One test's world: an `iam-local` on its own port, a temp dir, the demo user's seed.
pub struct Bed {
    server: Server,
    /// Holds the runtime the server's task runs on.
    _rt: tokio::runtime::Runtime,
    pub dir: TempDir,
    pub seed: String,
    pub seed_file: PathBuf,
}

/// The ykman programs to check the keys with: Debian's (4.0.9) always, and PyPI's 5.x too when
/// scripts/setup could install it (`MFA_RESYNC_YKMAN5`).
pub fn ykmans() -> Vec<String> {
    std::iter::once("ykman".to_string())
        .chain(std::env::var("MFA_RESYNC_YKMAN5").ok())
        .collect()
}

impl Bed {
    /// The demo account (alice with one virtual device) and a fresh random seed.
    pub fn new() -> Bed {
        Bed::with(|_| {})
    }

    /// As [`Bed::new`], with the endpoint's configuration changed first.
    pub fn with(change: impl FnOnce(&mut Config)) -> Bed {
        Bed::with_seed(&testbed::iam_local::random_seed_base32(), change)
    }

    /// As [`Bed::with`], with the demo device's seed given (an OTP slot holds at most 20 bytes).
    pub fn with_seed(seed: &str, change: impl FnOnce(&mut Config)) -> Bed {
        let seed = seed.to_string();
        let mut config = Config::new(State::demo(&seed));
        change(&mut config);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for iam-local");
        let server = rt
            .block_on(Server::start(config))
            .expect("iam-local starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let seed_file = dir.path().join("seed");
        write_private(&seed_file, &format!("{seed}\n"));
        // A `pkill` and a `killall` that refuse and leave a mark, first on the PATH of every run:
        // a desk station's scdaemon and agents are not ours to end.
        let trap = dir.path().join("trap");
        std::fs::create_dir(&trap).expect("trap dir");
        let marker = dir.path().join("pkill-called");
        for tool in ["pkill", "killall"] {
            let script = format!(
                "#!/bin/sh\necho \"{tool} $*\" >> '{}'\nexit 1\n",
                marker.display()
            );
            std::fs::write(trap.join(tool), script).expect("trap");
            std::fs::set_permissions(trap.join(tool), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        Bed {
            server,
            _rt: rt,
            dir,
            seed,
            seed_file,
        }
    }

    /// The endpoint.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// `mfa-resync` with alice's credentials and nothing else from the host's AWS setup.
    pub fn command(&self) -> Command {
        self.command_for(BIN)
    }

    /// `program` with the environment [`Bed::command`] gives `mfa-resync` (a shell that then
    /// execs the binary, say).
    pub fn command_for(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        let path = format!(
            "{}:{}",
            self.dir.path().join("trap").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // Run in the test's own directory: a relative path a test gives lands there, never in the
        // checkout.
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .env("AWS_CONFIG_FILE", self.dir.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
            // The test's own pcscd, or none: never the machine's, which may hold real keys.
            .env(
                "PCSCLITE_CSOCK_NAME",
                readers::pcsc_socket_or(self.dir.path().join("no-pcscd")),
            )
            .stdin(Stdio::null());
        cmd
    }

    /// AWS's time now: the host's plus the endpoint's clock offset.
    pub fn now(&self) -> Duration {
        let host = unix_now();
        let offset = self.server.clock_offset();
        if offset >= 0 {
            host + Duration::from_secs(offset.unsigned_abs())
        } else {
            host.saturating_sub(Duration::from_secs(offset.unsigned_abs()))
        }
    }

    /// AWS's time-step counter now.
    pub fn counter_now(&self) -> u64 {
        self.now().as_secs() / 30
    }

    /// Moves AWS's clock forward (the endpoint's offset; never back, so no window comes twice) to
    /// [`LEAD`] before one of its window boundaries: a run started now reads code 1, waits a few
    /// seconds instead of up to a window, and reads code 2 in AWS's next window. The tool plans in
    /// AWS's time, measured from the first answer, so nothing of the product is told about it.
    pub fn steer(&self) {
        self.steer_to(LEAD);
    }

    /// As [`Bed::steer`], `lead` before the boundary: time for what a test does between the codes
    /// (pull a key, press Ctrl-C, touch).
    pub fn steer_to(&self, lead: Duration) {
        let into = self.now().as_millis() % 30_000;
        let target = 30_000 - lead.as_millis();
        let ahead = (target + 30_000 - into) % 30_000;
        // Whole seconds (the offset's unit), rounded to the nearest: the lead lands within half a
        // second of LEAD.
        let secs = i64::try_from((ahead + 500) / 1000).expect("under a window");
        self.move_clock(secs);
    }

    /// Makes sure at least `margin` is left in AWS's current window, moving its clock to the start
    /// of the next window when it is not (instead of sleeping there): for codes a test computes
    /// and types itself.
    pub fn wait_for_margin(&self, margin: Duration) {
        let into = self.now().as_millis() % 30_000;
        let left = 30_000 - into;
        if left < margin.as_millis() {
            self.move_clock(i64::try_from(left / 1000 + 1).expect("under a window"));
        }
    }

    /// Moves AWS's clock `n` whole windows forward, as if that much time had passed: the windows
    /// of a run just made are then past, without waiting for them.
    pub fn skip_windows(&self, n: u64) {
        self.move_clock(i64::try_from(n * 30).expect("a few windows"));
    }

    /// Moves AWS's clock forward by `by`, to the nearest whole second (the offset's unit): a
    /// drifted token's next change brought close, say.
    pub fn advance_clock(&self, by: Duration) {
        self.move_clock(i64::try_from((by.as_millis() + 500) / 1000).expect("a few windows"));
    }

    /// Moves AWS's clock `secs` forward, staying well inside SigV4's 15 minutes of allowed skew.
    fn move_clock(&self, secs: i64) {
        let offset = self.server.clock_offset() + secs;
        assert!(
            offset.abs() < 600,
            "AWS's clock steered {offset} s from the host's: too close to SigV4's 15-minute limit"
        );
        self.server.set_clock_offset(offset);
    }

    /// Runs `mfa-resync devices --accounts --endpoint-url URL ARGS…`: the keys, their credentials
    /// and the device each names.
    pub fn devices_accounts(&self, args: &[&str]) -> Output {
        let url = self.url();
        let mut cmd = self.command();
        cmd.args(["devices", "--accounts", "--endpoint-url", &url])
            .args(args);
        self.run(&mut cmd)
    }

    /// Runs `mfa-resync resync --endpoint-url URL ARGS…`.
    pub fn resync(&self, args: &[&str]) -> Output {
        self.run(
            self.command()
                .arg("resync")
                .args(["--endpoint-url", &self.url()])
                .args(args),
        )
    }

    /// Runs a prepared command to completion.
    pub fn run(&self, cmd: &mut Command) -> Output {
        Output::from(cmd.output().expect("mfa-resync runs"))
    }

    /// Runs `mfa-resync resync --endpoint-url URL ARGS…`, failing the test (and ending the child,
    /// by its PID) if it has not finished within `limit`: for inputs that used to hang.
    #[track_caller]
    pub fn resync_within(&self, limit: Duration, args: &[&str]) -> Output {
        let mut cmd = self.command();
        cmd.arg("resync")
            .args(["--endpoint-url", &self.url()])
            .args(args);
        let run = Watched::start(&mut cmd);
        let deadline = std::time::Instant::now() + limit;
        let mut run = run;
        loop {
            match run.child.try_wait().expect("try_wait") {
                Some(_) => return run.finish().1,
                None if std::time::Instant::now() >= deadline => {
                    let _ = run.child.kill();
                    let (_, out) = run.finish();
                    panic!("{args:?} still ran after {limit:?}\n{}", out.stderr);
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// Starts a prepared command with piped stdin, stdout and stderr.
    pub fn spawn(&self, cmd: &mut Command) -> Child {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mfa-resync starts")
    }

    /// Every request the endpoint saw.
    pub fn log(&self) -> Vec<LogEntry> {
        self.server.log()
    }

    /// The ResyncMFADevice requests the endpoint saw.
    pub fn resync_requests(&self) -> Vec<LogEntry> {
        self.log()
            .into_iter()
            .filter(|e| e.action == "ResyncMFADevice")
            .collect()
    }

    /// The code of the demo device at `counter`.
    pub fn code_at(&self, counter: u64) -> String {
        totp::code_at(&self.seed, counter, 6).expect("the demo seed is valid")
    }

    /// Panics if `text` holds any code the endpoint was sent, or the seed: codes are single-use
    /// credentials and only `codes` prints them.
    #[track_caller]
    pub fn assert_no_secrets(&self, text: &str, what: &str) {
        assert!(
            !text.contains(&self.seed),
            "{what}: the seed leaked\n{text}"
        );
        assert!(
            !text.contains(&self.seed.to_lowercase()),
            "{what}: the seed leaked (lowercase)\n{text}"
        );
        for entry in self.log() {
            for key in ["AuthenticationCode1", "AuthenticationCode2"] {
                if let Some(code) = entry.params.get(key) {
                    assert!(
                        !text.contains(code.as_str()),
                        "{what}: {key} leaked\n{text}"
                    );
                }
            }
        }
    }

    /// Writes a private file in the test's dir.
    pub fn private_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        write_private(&path, contents);
        path
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        let marker = self.dir.path().join("pkill-called");
        if marker.exists() && !std::thread::panicking() {
            panic!(
                "mfa-resync ran pkill/killall: {:?}",
                std::fs::read_to_string(marker)
            );
        }
    }
}

/// Writes `contents` to `path` with mode 600.
pub fn write_private(path: &Path, contents: &str) {
    std::fs::write(path, contents).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// The codes of `codes`' text output (`Code 1 (HH:MM:SS–HH:MM:SS UTC): 123456`), in order.
pub fn printed_codes(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with("Code "))
        .filter_map(|l| l.rsplit_once(": ").map(|(_, code)| code.to_string()))
        .collect()
}

/// Whether the tests run as root (else namespaces need a user namespace too).
pub fn is_root() -> bool {
    rustix::process::getuid().is_root()
}

/// How far before AWS's next window boundary [`Bed::steer`] puts a run: time enough to start the
/// binary, ask who is calling and read code 1 on a loaded 2-core machine.
pub const LEAD: Duration = Duration::from_secs(3);

/// The host's counter now.
pub fn counter_now() -> u64 {
    unix_now().as_secs() / 30
}

/// Host time.
pub fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
}

/// Sleeps until at least `margin` is left in the current window, so that a test that types codes by
/// hand does not straddle a boundary.
pub fn wait_for_margin(margin: Duration) {
    let into = unix_now().as_millis() % 30_000;
    let left = Duration::from_millis((30_000 - into) as u64);
    if left < margin {
        std::thread::sleep(left + Duration::from_millis(200));
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<ProcessOutput> for Output {
    fn from(out: ProcessOutput) -> Output {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Output {
    /// Asserts the exit code, showing both streams when it is not the one expected.
    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that stderr contains `text`.
    #[track_caller]
    pub fn assert_stderr(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    /// Both streams, for secret checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Polls `done` until it holds, or panics naming `what`.
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {timeout:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `mfa-resync` whose stderr a thread collects, so that a test can act at a given line
/// (send a signal during the countdown, say) and still get the whole output at the end.
pub struct Watched {
    pub child: Child,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Watched {
    /// Starts `cmd` (stdin null unless the command set it, stdout and stderr piped).
    pub fn start(cmd: &mut Command) -> Watched {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mfa-resync starts");
        let (stderr, reader) = collect(child.stderr.take().expect("stderr piped"));
        Watched {
            child,
            stderr,
            reader: Some(reader),
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until stderr contains `text`, or panics with what it holds.
    #[track_caller]
    pub fn wait_for(&self, text: &str, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if self.stderr.lock().unwrap().contains(text) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {text:?} on stderr within {timeout:?}:\n{}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `sig` (`INT`, `ABRT`, …) to the child, by its PID.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{sig} {}", self.pid());
    }

    /// Waits for the end; the exit status (to see a signal or a core dump) and the output.
    pub fn finish(mut self) -> (std::process::ExitStatus, Output) {
        use std::io::Read;
        let mut stdout = Vec::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            let _ = pipe.read_to_end(&mut stdout);
        }
        let status = self.child.wait().expect("mfa-resync ends");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let stderr = self.stderr.lock().unwrap().clone();
        let out = Output {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr,
        };
        (status, out)
    }
}

/// What `pipe` says, gathered as it comes by a thread of its own (ended when the pipe closes), so
/// that a test can wait for a line while the process runs.
pub fn collect(
    mut pipe: impl std::io::Read + Send + 'static,
) -> (
    std::sync::Arc<std::sync::Mutex<String>>,
    std::thread::JoinHandle<()>,
) {
    let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = std::sync::Arc::clone(&text);
    let thread = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (text, thread)
}
