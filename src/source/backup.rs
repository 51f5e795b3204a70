//! The seed's backup file (`enroll --backup-seed-file`): made empty before the device is created
//! ([`reserve`]), so that no local failure can come after it; filled once the keys hold the seed,
//! before the Enable ([`Reserved::fill`]), so that a device that may be enabled always has every
//! copy of its seed the user asked for; removed again if the enrolment is rolled back while the
//! device is not enabled.
//!
//! The file is created with `O_CREAT | O_EXCL | O_NOFOLLOW` (never written over, never through a
//! link planted since the path was checked), its mode set to 0600 whatever the umask, and synced
//! before the enrolment goes on. What it holds is built in zeroizing buffers. On rollback it is
//! overwritten with zeros and synced before it is unlinked: a best effort, since a journalling or
//! copy-on-write file system may keep the old blocks.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretSlice};
use zeroize::Zeroizing;

use crate::files;
use crate::model::AWS_ISSUER;

/// What the backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupText {
    /// The base32 seed, one line.
    Base32,
    /// The `otpauth://totp/` URI (the Key Uri Format AWS's QR code uses), labelled with the OATH
    /// credential's name.
    Otpauth {
        /// The credential's name on the keys.
        label: String,
    },
}

/// Why the backup could not be written or removed, in the OS's words.
#[derive(Debug)]
pub struct BackupError {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub problem: String,
}

/// The backup file, made and still empty: every way its creation can fail (a path taken since it
/// was checked, a full disk, a directory that refuses) fails before the device exists.
#[derive(Debug)]
pub struct Reserved {
    file: File,
    path: PathBuf,
}

/// What went wrong with the file at `path`, in the OS's words.
fn failed(path: &Path, what: &str, e: &std::io::Error) -> BackupError {
    BackupError {
        path: path.display().to_string(),
        problem: format!("{what} ({})", files::io_reason(e)),
    }
}

/// Creates `path` (it must not exist), empty, private and synced.
pub fn reserve(path: &Path) -> Result<Reserved, BackupError> {
    let flags = (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::CLOEXEC).bits() as i32;
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| failed(path, "cannot be created", &e))?;
    // From here on the file is ours: one that cannot be made private is removed before the error.
    let made = file
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.sync_all())
        .map_err(|e| failed(path, "cannot be made private", &e));
    if let Err(e) = made {
        drop(file);
        let _ = remove(path);
        return Err(e);
    }
    Ok(Reserved {
        file,
        path: path.to_path_buf(),
    })
}

impl Reserved {
    /// Writes `seed_base32` as `text` says, and syncs it; the file's path on success. A write that
    /// fails leaves the file to the rollback, which removes it.
    pub fn fill(
        mut self,
        seed_base32: &SecretSlice<u8>,
        text: &BackupText,
    ) -> Result<PathBuf, BackupError> {
        let seed = String::from_utf8_lossy(seed_base32.expose_secret());
        let seed = Zeroizing::new(seed.into_owned());
        let content = Zeroizing::new(match text {
            // Sized up front: a reallocation would leave a copy of the seed in freed memory.
            BackupText::Base32 => {
                let mut line = String::with_capacity(seed.len() + 1);
                line.push_str(&seed);
                line.push('\n');
                line
            }
            BackupText::Otpauth { label } => otpauth_uri(label, &seed),
        });
        self.file
            .write_all(content.as_bytes())
            .and_then(|()| self.file.sync_all())
            .map_err(|e| failed(&self.path, "cannot be written", &e))?;
        Ok(self.path)
    }
}

/// Overwrites `path` with zeros, syncs it and unlinks it.
pub fn remove(path: &Path) -> Result<(), BackupError> {
    let flags = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    if let Ok(mut file) = OpenOptions::new()
        .write(true)
        .custom_flags(flags)
        .open(path)
        && let Ok(meta) = file.metadata()
        && meta.is_file()
    {
        let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(0).min(1 << 16)];
        let _ = file.write_all(&zeros).and_then(|()| file.sync_all());
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(failed(path, "cannot be removed", &e)),
    }
}

/// `otpauth://totp/LABEL?secret=SEED[&issuer=Amazon%20Web%20Services]` (Google Authenticator's Key
/// Uri Format, as AWS's QR code writes it): the label percent-encoded, the issuer parameter only
/// when the name is AWS's own form (a name like an ARN has colons that are not an issuer's).
pub fn otpauth_uri(label: &str, seed: &str) -> String {
    let issuer = label
        .strip_prefix(AWS_ISSUER)
        .is_some_and(|rest| rest.starts_with(':'));
    // One allocation of room enough, so that no growth leaves a copy of the seed behind.
    let mut uri = String::with_capacity(64 + 3 * label.len() + seed.len() + 3 * AWS_ISSUER.len());
    uri.push_str("otpauth://totp/");
    uri.push_str(&encode(label));
    uri.push_str("?secret=");
    uri.push_str(seed);
    if issuer {
        uri.push_str("&issuer=");
        uri.push_str(&encode(AWS_ISSUER));
    }
    uri.push('\n');
    uri
}

/// RFC 3986 percent-encoding of everything but the unreserved characters and `:` and `@` (which a
/// path segment may hold).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::source::otpauth;

    const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn secret() -> SecretSlice<u8> {
        SecretSlice::from(SEED.as_bytes().to_vec())
    }

    #[test]
    fn the_uri_reads_back_as_the_same_seed_and_name() {
        let uri = otpauth_uri("Amazon Web Services:bob@corp", SEED);
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/Amazon%20Web%20Services:bob@corp?secret={SEED}&issuer=Amazon%20Web%20Services\n"
            )
        );
        let params = otpauth::parse(uri.trim()).unwrap();
        assert_eq!(params.issuer.as_deref(), Some("Amazon Web Services"));
        assert_eq!(params.account.as_deref(), Some("bob@corp"));
        assert_eq!(&*params.secret, &*otpauth::decode_base32(SEED).unwrap());
        let arn = otpauth_uri("arn:aws:iam::123456789012:mfa/bob", SEED);
        assert!(!arn.contains("issuer="), "{arn}");
        assert!(otpauth::parse(arn.trim()).is_ok());
    }

    #[test]
    fn the_file_is_new_private_and_removed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed");
        let reserved = reserve(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "",
            "empty until filled"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = reserve(&path).unwrap_err();
        assert_eq!(reserved.fill(&secret(), &BackupText::Base32).unwrap(), path);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{SEED}\n"));
        assert!(again.to_string().contains("cannot be created"), "{again}");
        assert!(!again.to_string().contains(SEED));
        remove(&path).unwrap();
        assert!(!path.exists());
        remove(&path).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("target"), &link).unwrap();
        assert!(reserve(&link).is_err());
        assert!(
            !dir.path().join("target").exists(),
            "no file made through a link"
        );
    }
}
