//! The soft-seed source: a TOTP key kept in a file, an environment variable or piped on stdin.
//!
//! A seed is as good as the token itself, so it is handled like an ssh private key: never on argv
//! (there is no flag that takes one), a file must be the caller's own and unreadable by group and
//! others, and the bytes live in zeroizing buffers ([`super::seed_input`] reads them). Codes are
//! computed with totp-rs at the counter the planner gives (RFC 6238 with `T = counter`).

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretBox};

use super::otpauth::{self, SeedParams};
use super::seed_input::{read_env, read_file, read_stdin};
use super::{Code, CodeSource, DeviceError, Notifier, SeedFrom, SeedProblem, SourceInfo};

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

impl From<&SeedOrigin> for SeedFrom {
    fn from(origin: &SeedOrigin) -> SeedFrom {
        match origin {
            SeedOrigin::File(path) => SeedFrom::File(path.clone()),
            SeedOrigin::Env(var) => SeedFrom::Env(var.clone()),
            SeedOrigin::Stdin => SeedFrom::Pipe,
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
    /// Reads and parses the seed from `origin`, checking a file's ownership and permissions first;
    /// at a terminal, `--seed-stdin` asks through `notifier` and reads with echo off.
    pub fn load(origin: &SeedOrigin, notifier: &dyn Notifier) -> Result<Self, DeviceError> {
        let text = match origin {
            SeedOrigin::File(path) => read_file(path)?,
            SeedOrigin::Env(var) => read_env(var)?,
            SeedOrigin::Stdin => read_stdin(notifier)?,
        };
        Self::from_text(origin, text)
    }

    /// Parses seed text (base32 or an `otpauth://` URI) that came from `origin`.
    pub fn from_text(origin: &SeedOrigin, text: SecretBox<str>) -> Result<Self, DeviceError> {
        let seed_error = |problem| DeviceError::Seed {
            from: origin.into(),
            problem,
        };
        let params = otpauth::parse(text.expose_secret().trim())
            .map_err(|e| seed_error(SeedProblem::Parse(e)))?;
        SeedSource::new(&params).map_err(|e| seed_error(SeedProblem::Unusable(e.to_string())))
    }

    /// The codes of `params`, as totp-rs computes them.
    fn new(params: &SeedParams) -> Result<Self, totp_rs::TotpError> {
        let totp = totp_rs::Builder::new()
            .with_algorithm(params.algorithm)
            .with_digits(u8::try_from(params.digits).unwrap_or(6))
            .with_step_duration(params.period)
            .with_secret(params.secret.to_vec())
            .build()?;
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

/// A new device's seed, as `CreateVirtualMFADevice` returns it (base32 text), decoded: the bytes
/// written to the keys, and the codes (totp-rs: SHA-1, 6 digits, 30 s, as AWS's virtual devices)
/// that what the keys compute is checked against.
#[derive(Debug)]
pub struct NewSeed {
    bytes: secrecy::SecretSlice<u8>,
    codes: SeedSource,
}

impl NewSeed {
    /// Decodes the base32 text; an answer that is not base32 is a malformed answer.
    pub fn decode(base32: &secrecy::SecretSlice<u8>) -> Result<Self, DeviceError> {
        let malformed = |what: &str| DeviceError::Malformed {
            what: format!("{what} as the new device's seed"),
        };
        let bytes = otpauth::decode_base32(base32.expose_secret())
            .map_err(|_| malformed("text that is not base32"))?;
        if bytes.len() < 10 {
            return Err(malformed("fewer than 80 bits"));
        }
        let params = SeedParams {
            secret: bytes,
            algorithm: totp_rs::Algorithm::SHA1,
            digits: 6,
            period: 30,
            issuer: None,
            account: None,
        };
        let codes = SeedSource::new(&params).map_err(|_| malformed("a key totp-rs refuses"))?;
        Ok(NewSeed {
            bytes: secrecy::SecretSlice::from(params.secret.to_vec()),
            codes,
        })
    }

    /// The seed's bytes.
    pub fn bytes(&self) -> &secrecy::SecretSlice<u8> {
        &self.bytes
    }

    /// The seed's own code for window `counter`.
    pub fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        self.codes.code_at(counter)
    }
}

impl CodeSource for SeedSource {
    fn describe(&self) -> SourceInfo {
        self.info.clone()
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

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::source::Silent;

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
        let err = SeedSource::load(&SeedOrigin::File(path.clone()), &Silent).unwrap_err();
        assert!(err.to_string().contains("mode 644"), "{err}");
        assert_eq!(err.hint(), Some(format!("chmod 600 {}", path.display())));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(SeedSource::load(&SeedOrigin::File(path), &Silent).is_ok());
    }
}
