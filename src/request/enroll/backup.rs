//! `--backup-seed-file`: where the new device's seed is written for a paper or password-manager
//! backup. Checked before any request: the file must not exist (it is created `O_EXCL`, never
//! written over), and its directory must exist and be writable by no others (mode `o+w`, `/tmp`
//! included), since whoever can write the directory can swap the file for another once written. The file itself is written only after the device is enabled (`source::backup`).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::files;
use crate::model::{Field, InputError};
use crate::model::{name_hint, refuse_seed};

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
        refuse_seed(
            field.clone(),
            &shown,
            &name_hint("--backup-seed-file takes the path of the file to create"),
        )?;
        if shown.is_empty() || shown.ends_with('/') {
            return Err(InputError::invalid(
                field,
                "names no file",
                "give the path of a new file, e.g. --backup-seed-file ~/alice-mfa-seed.txt",
            ));
        }
        // Not followed: a link, even a dangling one, is something that exists there.
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            let what = files::kind(&meta).unwrap_or("a regular file");
            return Err(InputError::invalid(
                field,
                format!("{shown} exists ({what}); the backup is never written over anything"),
                "give the path of a new file",
            ));
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => Path::new(".").to_path_buf(),
        };
        let shown_dir = dir.display();
        let meta = std::fs::metadata(&dir).map_err(|e| {
            InputError::invalid(
                field.clone(),
                format!(
                    "its directory {shown_dir} cannot be used ({})",
                    files::io_reason(&e)
                ),
                "give a path in an existing directory of yours",
            )
        })?;
        if !meta.is_dir() {
            return Err(InputError::invalid(
                field,
                format!("{shown_dir} is not a directory"),
                "give a path in an existing directory of yours",
            ));
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o002 != 0 {
            return Err(InputError::invalid(
                field,
                format!(
                    "its directory {shown_dir} is writable by others (mode {mode:04o}); anyone could replace the backup after it is written"
                ),
                "give a path in a directory of your own (e.g. your home directory)",
            ));
        }
        Ok(BackupSeedFile { path, format })
    }
}
