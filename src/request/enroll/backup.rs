//! `--backup-seed-file`: where the new device's seed is written for a paper or password-manager
//! backup. Checked before any request: the file must not exist (it is created `O_EXCL`, never
//! written over), and its directory must exist and be writable by no others (mode `o+w`, `/tmp`
//! included), since whoever can write the directory can swap the file for another once written. The file itself is written only after the device is enabled (`source::backup`).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::files;
use crate::model::{Field, FileInput, InputError, Problem, Takes, refuse_seed};

/// What the backup file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackupFormat {
    /// The base32 seed, as AWS returned it (what `oathtool --totp -b` and "enter a setup key" take).
    #[default]
    Base32,
    /// The `otpauth://totp/…` URI AWS's QR code holds (what `--seed-file` and most password
    /// managers read).
    Otpauth,
}

/// A checked `--backup-seed-file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSeedFile {
    /// The file to create.
    pub path: PathBuf,
    /// What to write in it.
    pub format: BackupFormat,
}

impl BackupSeedFile {
    /// Checks the path: not there yet, in an existing directory that others cannot write.
    pub fn check(path: PathBuf, format: BackupFormat) -> Result<Self, InputError> {
        let field = Field::flag("--backup-seed-file");
        let shown = path.display().to_string();
        refuse_seed(field.clone(), &shown, Takes::BackupFile)?;
        let bad = |problem| InputError::invalid(field.clone(), Problem::File(problem));
        if shown.is_empty() || shown.ends_with('/') {
            return Err(bad(FileInput::NamesNoFile));
        }
        // Not followed: a link, even a dangling one, is something that exists there.
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            let what = files::kind(&meta).unwrap_or("a regular file");
            return Err(bad(FileInput::Exists { path: shown, what }));
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => Path::new(".").to_path_buf(),
        };
        let shown_dir = dir.display().to_string();
        let meta = std::fs::metadata(&dir).map_err(|e| {
            bad(FileInput::DirUnusable {
                dir: shown_dir.clone(),
                reason: files::io_reason(&e),
            })
        })?;
        if !meta.is_dir() {
            return Err(bad(FileInput::NotADirectory { dir: shown_dir }));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o002 != 0 {
            return Err(bad(FileInput::DirWritableByOthers {
                dir: shown_dir,
                mode,
            }));
        }
        files::check_dir(&path, true).map_err(|problem| {
            bad(FileInput::Dir {
                path: shown.clone(),
                problem,
            })
        })?;
        Ok(BackupSeedFile { path, format })
    }
}
