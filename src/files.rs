//! Reading the files a user names as input (`--seed-file`, `--batch`, a batch row's `seed_file`,
//! `--cli-input-json file://`): a FIFO, a device or a directory given by mistake must be an error,
//! never a hang or an unbounded read.
//!
//! Each file is opened with `O_NONBLOCK` (opening a FIFO with no writer then returns at once instead
//! of waiting for one), checked with `fstat` on the open descriptor (so the file checked is the file
//! read), required to be a regular file, and read through `take()` up to a limit the caller names.
//! This module owns no wording: callers put the problem into their field's error, and the
//! catalogue (`crate::messages`) words it.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use zeroize::Zeroizing;

use crate::model::{DirProblem, ReadProblem};

/// Why a file named as input cannot be read.
#[derive(Debug)]
pub enum FileProblem {
    /// `open` or `fstat` failed.
    Open(std::io::Error),
    /// Not a regular file: what it is instead (`a FIFO`, `a directory`, …).
    NotRegular(&'static str),
    /// Larger than the limit.
    TooBig {
        /// The limit, in bytes.
        limit: u64,
    },
    /// `read` failed.
    Read(std::io::Error),
}

impl From<FileProblem> for ReadProblem {
    fn from(problem: FileProblem) -> Self {
        match problem {
            FileProblem::Open(e) | FileProblem::Read(e) => ReadProblem::Unreadable(io_reason(&e)),
            FileProblem::NotRegular(what) => ReadProblem::NotRegular(what),
            FileProblem::TooBig { limit } => ReadProblem::TooBig(limit),
        }
    }
}

/// The directory `file` is (or will be) in, checked as `ssh` checks its own files' directories:
/// not a link, owned by the caller or root, and writable by no one else unless sticky (with
/// `strict`, not by the group either).
pub fn check_dir(file: &Path, strict: bool) -> Result<(), DirProblem> {
    use std::os::unix::fs::MetadataExt;
    let link =
        std::fs::symlink_metadata(dir_of(file)).map_err(|e| DirProblem::Unusable(io_reason(&e)))?;
    if link.file_type().is_symlink() {
        return Err(DirProblem::Link);
    }
    if !link.is_dir() {
        return Err(DirProblem::NotADirectory);
    }
    let owner = link.uid();
    if owner != 0 && owner != rustix::process::geteuid().as_raw() {
        return Err(DirProblem::NotYours { owner });
    }
    let mode = link.mode() & 0o7777;
    let writable = if strict { 0o022 } else { 0o002 };
    if mode & writable != 0 && mode & 0o1000 == 0 {
        return Err(DirProblem::Shared { mode });
    }
    Ok(())
}

/// Whether `a` and `b` name the same file, whether it exists yet or not: their directories as the
/// system resolves them, and their names.
pub fn same_place(a: &Path, b: &Path) -> bool {
    fn place(path: &Path) -> Option<(std::path::PathBuf, std::ffi::OsString)> {
        Some((
            std::fs::canonicalize(dir_of(path)).ok()?,
            path.file_name()?.to_owned(),
        ))
    }
    match (place(a), place(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// The directory `path` is in: its parent, or `.` for a bare name.
fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Opens `path` for reading without blocking, and requires a regular file. Symbolic links are
/// followed (a seed kept in a dotfiles repository is a link); the file they lead to is checked.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), FileProblem> {
    let file = OpenOptions::new()
        .read(true)
        // std adds O_CLOEXEC itself.
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(FileProblem::Open)?;
    let meta = file.metadata().map_err(FileProblem::Open)?;
    match kind(&meta) {
        None => Ok((file, meta)),
        Some(what) => Err(FileProblem::NotRegular(what)),
    }
}

/// What a file that is not a regular file is, in words; `None` for a regular file.
pub fn kind(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    [
        (t.is_dir(), "a directory"),
        (t.is_fifo(), "a FIFO (named pipe)"),
        (t.is_char_device(), "a character device"),
        (t.is_block_device(), "a block device"),
        (t.is_socket(), "a socket"),
        (t.is_symlink(), "a symbolic link"),
        (!t.is_file(), "not a file"),
    ]
    .into_iter()
    .find_map(|(is, what)| is.then_some(what))
}

/// Reads all of `reader`, at most `limit` bytes, into a buffer that is wiped on drop and never
/// reallocated (so no unwiped copy of a secret is left behind by a growing `Vec`).
pub fn read_capped(reader: &mut dyn Read, limit: u64) -> Result<Zeroizing<Vec<u8>>, FileProblem> {
    let cap = usize::try_from(limit).unwrap_or(usize::MAX - 1);
    let mut buf = Zeroizing::new(Vec::with_capacity(cap + 1));
    reader
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(FileProblem::Read)?;
    if buf.len() as u64 > limit {
        return Err(FileProblem::TooBig { limit });
    }
    Ok(buf)
}

/// Opens `path` as [`open_regular`] does and reads it whole, at most `limit` bytes.
pub fn read_regular(path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, FileProblem> {
    let (mut file, meta) = open_regular(path)?;
    if meta.len() > limit {
        return Err(FileProblem::TooBig { limit });
    }
    read_capped(&mut file, limit)
}

/// An `io::Error` in the OS's words ("No such file or directory"), without the error number.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    String::from(text.split(" (os error").next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_at_once_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read_regular(&fifo, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "is a FIFO (named pipe), not a regular file"
        );
        let err = read_regular(dir.path(), 10).unwrap_err();
        assert_eq!(err.to_string(), "is a directory, not a regular file");
        let err = read_regular(Path::new("/dev/zero"), 10).unwrap_err();
        assert_eq!(err.to_string(), "is a character device, not a regular file");
        let err = read_regular(&dir.path().join("missing"), 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot be opened (No such file or directory)"
        );
    }

    #[test]
    fn reads_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_regular(&path, 10).unwrap().as_slice(), b"0123456789");
        assert!(matches!(
            read_regular(&path, 9),
            Err(FileProblem::TooBig { limit: 9 })
        ));
        let mut endless = std::io::repeat(b'0');
        assert!(matches!(
            read_capped(&mut endless, 100),
            Err(FileProblem::TooBig { limit: 100 })
        ));
    }
}
