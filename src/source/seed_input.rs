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

use super::terminal::{TerminalLine, read_secret_line};
use super::{DeviceError, Notifier};
use crate::files::{self, FileProblem};

/// A seed larger than this is not a seed: refuse it before reading it all.
pub const MAX_SEED_BYTES: u64 = 64 * 1024;

/// What `--seed-stdin` asks at a terminal.
pub const SEED_PROMPT: &str = "Seed (base32 or otpauth:// URI): ";

fn file_error(path: &Path, problem: impl Into<String>, hint: impl Into<String>) -> DeviceError {
    DeviceError::SeedFile {
        path: path.to_path_buf(),
        problem: problem.into(),
        hint: hint.into(),
    }
}

/// Opens first and checks the open file, so the file checked is the file read; a FIFO or a device
/// is refused at once instead of waited on.
pub fn read_file(path: &Path) -> Result<SecretBox<str>, DeviceError> {
    let (mut file, meta) = files::open_regular(path).map_err(|problem| {
        let hint = match &problem {
            FileProblem::Open(e) if e.kind() == std::io::ErrorKind::NotFound => {
                "check the path (a relative path is taken from the current directory)"
            }
            FileProblem::Open(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                "the file must be readable by you (chmod 600)"
            }
            FileProblem::NotRegular(_) => {
                "give the path of the regular file that holds the seed (a FIFO or a device is never read)"
            }
            _ => "check the path",
        };
        file_error(path, problem.to_string(), hint)
    })?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(file_error(
            path,
            format!(
                "is accessible by group or others (mode {mode:03o}); a seed is as secret as the token"
            ),
            format!("chmod 600 {}", path.display()),
        ));
    }
    let me = rustix::process::getuid().as_raw();
    if meta.uid() != me {
        return Err(file_error(
            path,
            format!(
                "is owned by uid {} and you are uid {me}; a seed file must be your own",
                meta.uid()
            ),
            "copy it to a file of your own with mode 600, or chown it to yourself".to_string(),
        ));
    }
    if meta.len() > MAX_SEED_BYTES {
        return Err(file_error(
            path,
            format!("is {} bytes; a seed is at most a few hundred", meta.len()),
            "give the file that holds only the base32 key or the otpauth:// URI",
        ));
    }
    let text = files::read_capped(&mut file, MAX_SEED_BYTES)
        .map_err(|problem| problem.to_string())
        .and_then(utf8_secret);
    text.map_err(|problem| {
        file_error(
            path,
            problem,
            "the file must hold the base32 key or the otpauth:// URI, as UTF-8 text",
        )
    })
}

/// The variable's value, copied once into a secret box; the copy std made is wiped.
pub fn read_env(var: &str) -> Result<SecretBox<str>, DeviceError> {
    let origin = format!("--seed-env {var}");
    let Some(value) = std::env::var_os(var) else {
        return Err(DeviceError::Seed {
            origin,
            problem: format!("the environment variable {var} is not set"),
            hint: format!(
                "export {var} with the base32 key or the otpauth:// URI, or use --seed-file"
            ),
        });
    };
    let bytes = Zeroizing::new(OsString::into_vec(value));
    utf8_secret(bytes).map_err(|problem| DeviceError::Seed {
        origin,
        problem,
        hint: "the variable must hold the base32 key or the otpauth:// URI".into(),
    })
}

/// Standard input: at a terminal, a prompt and one line with echo off; otherwise everything piped,
/// at most [`MAX_SEED_BYTES`], read from the raw descriptor (std's `Stdin` would keep a copy in its
/// buffer).
pub fn read_stdin(notifier: &dyn Notifier) -> Result<SecretBox<str>, DeviceError> {
    let stdin = std::io::stdin();
    let seed_error = |problem: String, hint: &str| DeviceError::Seed {
        origin: "--seed-stdin".into(),
        problem,
        hint: hint.into(),
    };
    if stdin.is_terminal() {
        let read = read_secret_line(stdin.as_fd(), MAX_SEED_BYTES as usize, || {
            notifier.ask(SEED_PROMPT)
        });
        // Enter was not echoed: end the prompt's line.
        notifier.act("");
        return match read.map_err(|e| {
            seed_error(
                format!("cannot be read ({})", files::io_reason(&e)),
                "run again",
            )
        })? {
            TerminalLine::Line(line) => utf8_secret(line).map_err(|p| {
                seed_error(p, "paste the base32 key or the otpauth:// URI, then Enter")
            }),
            TerminalLine::Interrupted => Err(DeviceError::Interrupted),
            TerminalLine::Ended => Err(seed_error(
                "the seed is empty".into(),
                "paste the base32 key or the otpauth:// URI, then Enter",
            )),
            TerminalLine::TooLong => Err(seed_error(
                format!("is over {MAX_SEED_BYTES} bytes; a seed is at most a few hundred"),
                "paste only the base32 key or the otpauth:// URI, then Enter",
            )),
        };
    }
    let hint = "pipe the base32 key or the otpauth:// URI, e.g. `--seed-stdin < seed.txt`";
    let mut raw = stdin
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .map_err(|e| seed_error(format!("cannot be read ({})", files::io_reason(&e)), hint))?;
    files::read_capped(&mut raw, MAX_SEED_BYTES)
        .map_err(|problem| match problem {
            FileProblem::TooBig { limit } => {
                format!("is over {limit} bytes; a seed is at most a few hundred")
            }
            other => other.to_string(),
        })
        .and_then(utf8_secret)
        .map_err(|problem| seed_error(problem, hint))
}

/// Takes the bytes only as UTF-8, into a secret box; the bytes are wiped either way.
fn utf8_secret(bytes: Zeroizing<Vec<u8>>) -> Result<SecretBox<str>, String> {
    super::terminal::utf8_secret(&bytes).ok_or_else(|| "the seed is not valid UTF-8 text".into())
}
