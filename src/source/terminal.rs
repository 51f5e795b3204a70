//! A secret typed (or pasted) at the terminal: one line, echo off, into a buffer that is wiped on
//! drop. `--seed-stdin` at a terminal used to show nothing, echo the pasted seed and wait for
//! Ctrl-D.
//!
//! The terminal is put in non-canonical mode without echo and without signal keys (termios(3):
//! `ECHO`, `ICANON` and `ISIG` off), so that no line-discipline buffer holds the secret, and the
//! few editing keys a person uses are handled here: Enter ends the line, Backspace and Ctrl-U
//! erase, Ctrl-D on an empty line is end of input, and Ctrl-C interrupts at once. Because Ctrl-C
//! arrives as a byte, not as SIGINT, the process is never killed with echo left off: the settings
//! are restored on every path out, before the caller goes on.

use std::os::fd::BorrowedFd;

use rustix::termios::{
    LocalModes, OptionalActions, QueueSelector, SpecialCodeIndex, Termios, tcflush, tcgetattr,
    tcsetattr,
};
use zeroize::{Zeroize, Zeroizing};

use super::{DeviceError, Notifier};

/// How a read at the terminal ended.
#[derive(Debug)]
pub enum TerminalLine {
    /// Enter: the line, without its end.
    Line(Zeroizing<Vec<u8>>),
    /// Ctrl-C.
    Interrupted,
    /// Ctrl-D on an empty line, or the terminal went away.
    Ended,
    /// More than the limit before Enter.
    TooLong,
}

const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const BACKSPACE: u8 = 0x08;
const CTRL_U: u8 = 0x15;
const DELETE: u8 = 0x7f;

/// Puts the saved settings back when dropped.
struct Restore<'a> {
    fd: BorrowedFd<'a>,
    saved: Termios,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        // TCSANOW: nothing is left to drain from a read.
        let _ = tcsetattr(self.fd, OptionalActions::Now, &self.saved);
    }
}

/// Reads one line of at most `limit` bytes from the terminal `fd` with echo off. `prompt` is
/// called once echo is off and before anything is read: a prompt written before that would let a
/// quick paste be echoed by the terminal in the moment between the prompt and the switch.
pub fn read_secret_line(
    fd: BorrowedFd<'_>,
    limit: usize,
    prompt: impl FnOnce(),
) -> std::io::Result<TerminalLine> {
    let saved = tcgetattr(fd)?;
    let mut quiet = saved.clone();
    quiet
        .local_modes
        .remove(LocalModes::ECHO | LocalModes::ECHONL | LocalModes::ICANON | LocalModes::ISIG);
    quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
    quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
    tcsetattr(fd, OptionalActions::Now, &quiet)?;
    let _restore = Restore { fd, saved };
    prompt();
    let mut line = Zeroizing::new(Vec::with_capacity(limit + 1));
    let mut byte = Zeroizing::new([0u8; 1]);
    loop {
        let n = match rustix::io::read(fd, &mut byte[..]) {
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(if line.is_empty() {
                TerminalLine::Ended
            } else {
                TerminalLine::Line(line)
            });
        }
        match byte[0] {
            b'\r' | b'\n' => return Ok(TerminalLine::Line(line)),
            CTRL_C => {
                discard_typeahead(fd);
                return Ok(TerminalLine::Interrupted);
            }
            CTRL_D if line.is_empty() => return Ok(TerminalLine::Ended),
            CTRL_D => return Ok(TerminalLine::Line(line)),
            BACKSPACE | DELETE => {
                if let Some(last) = line.last_mut() {
                    last.zeroize();
                }
                line.pop();
            }
            CTRL_U => line.zeroize(),
            _ if line.len() >= limit => {
                discard_typeahead(fd);
                return Ok(TerminalLine::TooLong);
            }
            b => line.push(b),
        }
    }
}

/// Drops what is still queued from the terminal (the rest of an over-long paste, keys typed after
/// Ctrl-C), so that the shell does not run it as a command line once we exit.
fn discard_typeahead(fd: BorrowedFd<'_>) {
    let _ = tcflush(fd, QueueSelector::IFlush);
}

/// A secret (an OATH password) typed at the terminal: `None` when nobody can type one (stdin or
/// stderr is not a terminal) or the line was not UTF-8; Ctrl-C is [`DeviceError::Interrupted`].
/// `notifier` shows the prompt, once echo is off, and ends its line after Enter (which was not
/// echoed).
pub fn ask_secret(
    notifier: &dyn Notifier,
    prompt: &str,
) -> Result<Option<secrecy::SecretString>, DeviceError> {
    use std::io::IsTerminal;
    use std::os::fd::AsFd;
    let stdin = std::io::stdin();
    if !(stdin.is_terminal() && std::io::stderr().is_terminal()) {
        return Ok(None);
    }
    let read = read_secret_line(stdin.as_fd(), MAX_SECRET_BYTES, || {
        notifier.ask_secret(prompt)
    });
    notifier.end_secret();
    match read {
        Ok(TerminalLine::Line(line)) => Ok(std::str::from_utf8(&line)
            .ok()
            .map(secrecy::SecretString::from)),
        Ok(TerminalLine::Interrupted) => Err(DeviceError::Interrupted),
        _ => Ok(None),
    }
}

/// An OATH password is at most this long (YKOATH derives a 16-byte key from it, whatever its length).
const MAX_SECRET_BYTES: usize = 1024;

/// The line as text in a secret box, if it is UTF-8: checked on the borrowed bytes, so that the
/// only copy made is the one kept (the caller's bytes are wiped with their `Zeroizing`).
pub fn utf8_secret(bytes: &[u8]) -> Option<secrecy::SecretBox<str>> {
    let text = std::str::from_utf8(bytes).ok()?;
    Some(secrecy::SecretBox::new(Box::from(text)))
}
