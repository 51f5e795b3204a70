//! The soft-seed source: a TOTP key kept in a file, an environment variable or piped on stdin.
//!
//! A seed is as good as the token itself, so it is handled like an ssh private key: never on argv
//! (there is no flag that takes one), a file must be the caller's own and unreadable by group and
//! others, and the bytes live in zeroizing buffers. Codes are computed with totp-rs at the counter the
//! planner gives (RFC 6238 with `T = counter`).

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretBox};
use zeroize::Zeroizing;

use super::otpauth::{self, Algorithm};
use super::{ClockOwner, Code, CodeSource, DeviceError, SourceInfo};

/// A seed larger than this is not a seed: refuse it before reading it all.
const MAX_SEED_BYTES: u64 = 64 * 1024;

/// Where the seed comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedOrigin {
    /// `--seed-file PATH`
    File(PathBuf),
    /// `--seed-env VAR` (the variable's name; its value is the seed)
    Env(String),
    /// `--seed-stdin`
    Stdin,
}

impl std::fmt::Display for SeedOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedOrigin::File(path) => write!(f, "--seed-file {}", path.display()),
            SeedOrigin::Env(var) => write!(f, "--seed-env {var}"),
            SeedOrigin::Stdin => f.write_str("--seed-stdin"),
        }
    }
}

/// Codes computed from a seed.
pub struct SeedSource {
    totp: totp_rs::Totp,
    info: SourceInfo,
}

impl std::fmt::Debug for SeedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedSource")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl SeedSource {
    /// Reads and parses the seed from `origin`, checking a file's ownership and permissions first.
    pub fn load(origin: &SeedOrigin) -> Result<Self, DeviceError> {
        let text = match origin {
            SeedOrigin::File(path) => read_file(path)?,
            SeedOrigin::Env(var) => read_env(var)?,
            SeedOrigin::Stdin => read_stdin()?,
        };
        Self::from_text(origin, text)
    }

    /// Parses seed text (base32 or an `otpauth://` URI) that came from `origin`.
    pub fn from_text(origin: &SeedOrigin, text: SecretBox<str>) -> Result<Self, DeviceError> {
        let seed_error = |e: otpauth::ParseError| DeviceError::Seed {
            origin: origin.to_string(),
            problem: format!("the seed {}", e.problem),
            hint: e.hint,
        };
        let params = otpauth::parse(text.expose_secret().trim()).map_err(seed_error)?;
        let algorithm = match params.algorithm {
            Algorithm::Sha1 => totp_rs::Algorithm::SHA1,
            Algorithm::Sha256 => totp_rs::Algorithm::SHA256,
            Algorithm::Sha512 => totp_rs::Algorithm::SHA512,
        };
        let digits = u8::try_from(params.digits).unwrap_or(6);
        let totp = totp_rs::Builder::new()
            .with_algorithm(algorithm)
            .with_digits(digits)
            .with_step_duration(params.period)
            .with_secret(params.secret.to_vec())
            .build()
            .map_err(|e| DeviceError::Seed {
                origin: origin.to_string(),
                problem: format!("the seed is not usable for TOTP ({e})"),
                hint: "copy the secret key again, whole".into(),
            })?;
        let account = match (&params.issuer, &params.account) {
            (Some(issuer), Some(account)) => Some(format!("{issuer}:{account}")),
            (None, Some(account)) => Some(account.clone()),
            _ => None,
        };
        Ok(SeedSource {
            totp,
            info: SourceInfo {
                kind: "seed",
                device_serial: None,
                account,
                period: params.period,
                digits: params.digits,
                touch: false,
            },
        })
    }
}

impl CodeSource for SeedSource {
    fn describe(&self) -> SourceInfo {
        self.info.clone()
    }

    fn clock(&self) -> ClockOwner {
        ClockOwner::Host
    }

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        // totp-rs divides the timestamp by the step; the window's first second gives `counter` back.
        let timestamp =
            counter
                .checked_mul(self.info.period)
                .ok_or_else(|| DeviceError::Malformed {
                    what: "a counter beyond the range of time".into(),
                })?;
        Code::from_digits(self.totp.generate(timestamp).to_string())
    }
}

fn file_error(path: &Path, problem: impl Into<String>, hint: impl Into<String>) -> DeviceError {
    DeviceError::SeedFile {
        path: path.to_path_buf(),
        problem: problem.into(),
        hint: hint.into(),
    }
}

/// Opens first and checks the open file, so the file checked is the file read.
fn read_file(path: &Path) -> Result<SecretBox<str>, DeviceError> {
    let mut file = File::open(path).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => {
                "check the path (a relative path is taken from the current directory)"
            }
            std::io::ErrorKind::PermissionDenied => "the file must be readable by you (chmod 600)",
            _ => "check the path",
        };
        file_error(path, format!("cannot be opened ({})", io_reason(&e)), hint)
    })?;
    let meta = file.metadata().map_err(|e| {
        file_error(
            path,
            format!("cannot be read ({})", io_reason(&e)),
            "check the path",
        )
    })?;
    if !meta.is_file() {
        return Err(file_error(
            path,
            "is not a regular file",
            "give the path of the file that holds the seed",
        ));
    }
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
    read_limited(&mut file).map_err(|problem| {
        file_error(
            path,
            problem,
            "the file must hold the base32 key or the otpauth:// URI, as UTF-8 text",
        )
    })
}

fn read_env(var: &str) -> Result<SecretBox<str>, DeviceError> {
    match std::env::var_os(var) {
        None => Err(DeviceError::Seed {
            origin: format!("--seed-env {var}"),
            problem: format!("the environment variable {var} is not set"),
            hint: format!(
                "export {var} with the base32 key or the otpauth:// URI, or use --seed-file"
            ),
        }),
        Some(value) => match value.into_string() {
            Ok(s) => Ok(SecretBox::new(s.into_boxed_str())),
            Err(_) => Err(DeviceError::Seed {
                origin: format!("--seed-env {var}"),
                problem: "the seed is not valid UTF-8".into(),
                hint: "the variable must hold the base32 key or the otpauth:// URI".into(),
            }),
        },
    }
}

fn read_stdin() -> Result<SecretBox<str>, DeviceError> {
    read_limited(&mut std::io::stdin().lock()).map_err(|problem| DeviceError::Seed {
        origin: "--seed-stdin".into(),
        problem,
        hint: "pipe the base32 key or the otpauth:// URI, e.g. `--seed-stdin < seed.txt`".into(),
    })
}

/// Reads at most [`MAX_SEED_BYTES`] into a zeroizing buffer, and takes it only as UTF-8.
fn read_limited(reader: &mut dyn Read) -> Result<SecretBox<str>, String> {
    let mut buf = Zeroizing::new(Vec::new());
    reader
        .take(MAX_SEED_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot be read ({})", io_reason(&e)))?;
    if buf.len() as u64 > MAX_SEED_BYTES {
        return Err(format!(
            "is over {MAX_SEED_BYTES} bytes; a seed is at most a few hundred"
        ));
    }
    match std::str::from_utf8(&buf) {
        Ok(text) => Ok(SecretBox::new(text.into())),
        Err(_) => Err("the seed is not valid UTF-8 text".into()),
    }
}

/// An io::Error's reason without the OS error number noise.
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn source(text: &str) -> SeedSource {
        SeedSource::from_text(&SeedOrigin::Stdin, SecretBox::new(text.into())).unwrap()
    }

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238 Appendix B, SHA-1 key "12345678901234567890", 8 digits.
        let uri = "otpauth://totp/t?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8";
        let mut s = source(uri);
        for (t, code) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(s.code_at(t / 30).unwrap().expose(), code, "T={t}");
        }
        // The SHA-256 key is 32 bytes of "1234567890…".
        let key256 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA";
        let mut s = source(&format!(
            "otpauth://totp/t?secret={key256}&digits=8&algorithm=SHA256"
        ));
        assert_eq!(s.code_at(59 / 30).unwrap().expose(), "46119246");
    }

    #[test]
    fn six_digits_by_default_and_period_honoured() {
        let mut s = source("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(s.code_at(1).unwrap().expose(), "287082");
        assert_eq!(s.describe().period, 30);
        let s60 =
            source("otpauth://totp/Issuer:acct?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=60");
        assert_eq!(s60.describe().period, 60);
        assert_eq!(s60.describe().account.as_deref(), Some("Issuer:acct"));
    }

    #[test]
    fn seed_files_must_be_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seed");
        let mut f = File::create(&path).unwrap();
        f.write_all(b"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = SeedSource::load(&SeedOrigin::File(path.clone())).unwrap_err();
        assert!(err.to_string().contains("mode 644"), "{err}");
        assert_eq!(
            err.hint(),
            Some(format!("chmod 600 {}", path.display()).as_str())
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(SeedSource::load(&SeedOrigin::File(path)).is_ok());
    }
}
