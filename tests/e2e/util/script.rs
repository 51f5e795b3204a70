//! A person at a terminal: `mfa-resync` run by util-linux's `script` on a pseudo-terminal, so that
//! its stdin and stderr are a terminal (prompts shown, echo and line editing as a person has them),
//! with what it prints read as it comes, so that a test can type when a prompt appears.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{BIN, Bed};

/// A running `mfa-resync` at a terminal.
pub struct Terminal {
    child: Child,
    keys: ChildStdin,
    screen: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Terminal {
    /// Starts `mfa-resync ARGS…` with the environment [`Bed::command`] gives it.
    pub fn start(bed: &Bed, args: &[&str]) -> Terminal {
        let mut words = vec![BIN.to_string()];
        words.extend(args.iter().map(|a| a.to_string()));
        let command_line = words
            .iter()
            .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
            .collect::<Vec<_>>()
            .join(" ");
        let base = bed.command();
        let mut cmd = Command::new("script");
        cmd.env_clear();
        for (key, value) in base.get_envs() {
            if let Some(value) = value {
                cmd.env(key, value);
            }
        }
        let mut child = cmd
            .args(["-qefc", &command_line, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs");
        let keys = child.stdin.take().expect("piped");
        let mut out = child.stdout.take().expect("piped");
        let screen = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&screen);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).replace('\r', "");
                sink.lock().unwrap().push_str(&text);
            }
        });
        Terminal {
            child,
            keys,
            screen,
            reader: Some(reader),
        }
    }

    /// Types `line` and Enter.
    pub fn type_line(&mut self, line: &str) {
        writeln!(self.keys, "{line}").expect("the terminal takes keys");
        self.keys.flush().expect("flushed");
    }

    /// Presses Ctrl-D at the start of a line: the end of input.
    pub fn end_input(&mut self) {
        self.keys
            .write_all(b"\x04")
            .expect("the terminal takes keys");
        self.keys.flush().expect("flushed");
    }

    /// What the terminal shows so far.
    pub fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Waits until the screen shows `text` for the `n`th time, or panics with the screen.
    #[track_caller]
    pub fn wait_for_nth(&self, text: &str, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.screen().matches(text).count() < n {
            assert!(
                Instant::now() < deadline,
                "no {text:?} (#{n}) within {timeout:?}:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the end; the exit code and the whole screen. The terminal stays open until then
    /// (a closed one would be an end of input).
    pub fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().expect("script ends");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status.code().unwrap_or(-1), self.screen())
    }
}

/// `mfa-resync ARGS…` at a terminal where `lines` are typed, each after its delay from the start,
/// whatever the screen shows; the exit code and the screen.
pub fn at_terminal(bed: &Bed, args: &[&str], lines: &[(Duration, String)]) -> (i32, String) {
    let mut terminal = Terminal::start(bed, args);
    let start = Instant::now();
    for (at, line) in lines {
        std::thread::sleep(at.saturating_sub(start.elapsed()));
        terminal.type_line(line);
    }
    terminal.finish()
}
