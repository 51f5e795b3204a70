//! Reading a seed's text from where the user keeps it: a file (the caller's own, private, regular,
//! at most 64 KiB), an environment variable, or standard input (piped, or typed at a terminal with
//! echo off). Every copy of the text lives in a buffer that is wiped on drop: no `String` that grows
//! (and leaves its old allocation behind), no std stdin buffer (stdin is read from its raw
//! descriptor).

use std::ffi::OsString;
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use secrecy::SecretBox;
use zeroize::Zeroizing;

use super::terminal::{TerminalLine, read_secret_line, utf8_secret};
use super::{DeviceError, Notifier, SeedFileProblem, SeedFrom, SeedProblem};
use crate::files::{self, FileProblem};

/// A seed larger than this is not a seed: refuse it before reading it all.
pub const MAX_SEED_BYTES: u64 = 64 * 1024;

/// What `--seed-stdin` asks at a terminal.
pub const SEED_PROMPT: &str = "Seed (base32 or otpauth:// URI): ";

fn file_error(path: &Path, problem: SeedFileProblem) -> DeviceError {
    DeviceError::SeedFile {
        path: path.to_path_buf(),
        problem,
    }
}

/// Opens first and checks the open file, so the file checked is the file read; a FIFO or a device
/// is refused at once instead of waited on.
pub fn read_file(path: &Path) -> Result<SecretBox<str>, DeviceError> {
    let (mut file, meta) = files::open_regular(path)
        .map_err(|problem| file_error(path, SeedFileProblem::Open(problem)))?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(file_error(path, SeedFileProblem::Loose { mode }));
    }
    let me = rustix::process::getuid().as_raw();
    if meta.uid() != me {
        return Err(file_error(
            path,
            SeedFileProblem::NotYours {
                owner: meta.uid(),
                me,
            },
        ));
    }
    if meta.len() > MAX_SEED_BYTES {
        return Err(file_error(path, SeedFileProblem::Large { len: meta.len() }));
    }
    let bytes = files::read_capped(&mut file, MAX_SEED_BYTES)
        .map_err(|problem| file_error(path, SeedFileProblem::Read(problem)))?;
    utf8_secret(&bytes).ok_or_else(|| file_error(path, SeedFileProblem::NotUtf8))
}

/// The variable's value, copied once into a secret box; the copy std made is wiped.
pub fn read_env(var: &str) -> Result<SecretBox<str>, DeviceError> {
    let seed_error = |problem| DeviceError::Seed {
        from: SeedFrom::Env(var.to_string()),
        problem,
    };
    let Some(value) = std::env::var_os(var) else {
        return Err(seed_error(SeedProblem::Unset));
    };
    let bytes = Zeroizing::new(OsString::into_vec(value));
    utf8_secret(&bytes).ok_or_else(|| seed_error(SeedProblem::NotUtf8))
}

/// Standard input: at a terminal, a prompt and one line with echo off; otherwise everything piped,
/// at most [`MAX_SEED_BYTES`], read from the raw descriptor (std's `Stdin` would keep a copy in its
/// buffer).
pub fn read_stdin(notifier: &dyn Notifier) -> Result<SecretBox<str>, DeviceError> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    let seed_error = |problem| DeviceError::Seed {
        from: if terminal {
            SeedFrom::Terminal
        } else {
            SeedFrom::Pipe
        },
        problem,
    };
    if terminal {
        let read = read_secret_line(stdin.as_fd(), MAX_SEED_BYTES as usize, || {
            notifier.ask(SEED_PROMPT)
        });
        // Enter was not echoed: end the prompt's line.
        notifier.act("");
        return match read.map_err(|e| seed_error(SeedProblem::Unreadable(files::io_reason(&e))))? {
            TerminalLine::Line(line) => {
                utf8_secret(&line).ok_or_else(|| seed_error(SeedProblem::NotUtf8))
            }
            TerminalLine::Interrupted => Err(DeviceError::Interrupted),
            TerminalLine::Ended => Err(seed_error(SeedProblem::Empty)),
            TerminalLine::TooLong => Err(seed_error(SeedProblem::TooLong {
                limit: MAX_SEED_BYTES,
            })),
        };
    }
    let mut raw = stdin
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .map_err(|e| seed_error(SeedProblem::Unreadable(files::io_reason(&e))))?;
    let bytes = files::read_capped(&mut raw, MAX_SEED_BYTES).map_err(|problem| {
        seed_error(match problem {
            FileProblem::TooBig { limit } => SeedProblem::TooLong { limit },
            FileProblem::Open(e) | FileProblem::Read(e) => {
                SeedProblem::Unreadable(files::io_reason(&e))
            }
            FileProblem::NotRegular(what) => SeedProblem::Unreadable(what.to_string()),
        })
    })?;
    utf8_secret(&bytes).ok_or_else(|| seed_error(SeedProblem::NotUtf8))
}
