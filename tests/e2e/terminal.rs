//! `--seed-stdin` at a terminal, driven through a real pseudo-terminal: a
//! prompt, no echo of what is pasted, one line ends it, Ctrl-C ends the run with the terminal's
//! settings restored. (Piped input is `codes`'s and `secrets`' concern.)

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{LocalModes, tcgetattr};

use crate::util::{Bed, counter_now, wait_for_margin, wait_until};

const PROMPT: &str = "Seed (base32 or otpauth:// URI): ";

/// A pseudo-terminal: the side a person types into (`master`) and the one a program sees.
struct Pty {
    master: File,
    terminal: File,
    screen: Arc<Mutex<Vec<u8>>>,
}

impl Pty {
    fn open() -> Pty {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let terminal = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
            .open(name.to_str().expect("a UTF-8 name"))
            .expect("open the terminal side");
        let master = File::from(master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("clone");
        let shown = screen.clone();
        // What the program writes to the terminal, and what the terminal echoes.
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shown.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master,
            terminal,
            screen,
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    fn stdio(&self) -> Stdio {
        Stdio::from(self.terminal.try_clone().expect("clone"))
    }

    fn echo_is_on(&self) -> bool {
        tcgetattr(&self.terminal)
            .expect("tcgetattr")
            .local_modes
            .contains(LocalModes::ECHO)
    }
}

/// `codes --no-wait --seed-stdin` with its stdin and stderr on the terminal, stdout piped.
fn codes_at(bed: &Bed, pty: &Pty) -> std::process::Child {
    bed.command()
        .args(["codes", "--no-wait", "--seed-stdin"])
        .stdin(pty.stdio())
        .stderr(pty.stdio())
        .stdout(Stdio::piped())
        .spawn()
        .expect("mfa-resync starts")
}

fn wait_within(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_seed_pasted_at_the_terminal_is_asked_for_not_echoed_and_ended_by_enter() {
    let bed = Bed::new();
    let pty = Pty::open();
    wait_for_margin(Duration::from_secs(5));
    let mut child = codes_at(&bed, &pty);
    let asked = std::panic::catch_unwind(|| {
        wait_until("the prompt", Duration::from_secs(10), || {
            pty.screen().contains(PROMPT)
        })
    });
    if asked.is_err() {
        let _ = child.kill();
        panic!("no prompt; the terminal shows {:?}", pty.screen());
    }
    let c = counter_now();
    // Pasted, then Enter (a terminal sends CR); no Ctrl-D.
    (&pty.master)
        .write_all(format!("{}\r", bed.seed).as_bytes())
        .unwrap();
    let status = wait_within(&mut child, Duration::from_secs(10));
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(status.success(), "{status:?}\n{}", pty.screen());
    assert_eq!(
        crate::util::printed_codes(&stdout),
        [bed.code_at(c - 1), bed.code_at(c)]
    );
    std::thread::sleep(Duration::from_millis(100));
    let screen = pty.screen();
    assert!(
        !screen.contains(&bed.seed),
        "the seed was echoed: {screen:?}"
    );
    assert!(
        !screen.contains(&bed.seed[..8]),
        "part of the seed was echoed: {screen:?}"
    );
    assert!(pty.echo_is_on(), "the terminal's echo is restored");
}

#[test]
fn ctrl_c_at_the_seed_prompt_exits_130_with_the_terminal_restored() {
    let bed = Bed::new();
    let pty = Pty::open();
    let mut child = codes_at(&bed, &pty);
    let asked = std::panic::catch_unwind(|| {
        wait_until("the prompt", Duration::from_secs(10), || {
            pty.screen().contains(PROMPT)
        })
    });
    if asked.is_err() {
        let _ = child.kill();
        panic!("no prompt; the terminal shows {:?}", pty.screen());
    }
    (&pty.master).write_all(b"JBSW\x03").unwrap();
    let status = wait_within(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130), "{}", pty.screen());
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        pty.screen().contains("interrupted; nothing was sent"),
        "{}",
        pty.screen()
    );
    assert!(!pty.screen().contains("JBSW"), "{}", pty.screen());
    assert!(pty.echo_is_on(), "the terminal's echo is restored");
}
