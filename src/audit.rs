//! The help desk's audit log (`--audit-log FILE`): one JSON line per resync attempt.
//!
//! Each line says who did what to which device and how it ended: time, operator (the caller's ARN),
//! user, serial, source, device serial, result, AWS request id. Never a code, a seed or a password.
//! Lines are appended with `O_APPEND` (so concurrent desks sharing a file do not interleave within a
//! line) and each is flushed to disk with fsync before the tool goes on: an audit trail that loses
//! its last line on a crash is not one.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};
use serde_json::json;

use crate::request::{Field, InputError};

/// An open audit log.
#[derive(Debug)]
pub struct AuditLog {
    file: File,
    path: PathBuf,
}

/// One attempt, as written.
#[derive(Debug, Clone, Default)]
pub struct Attempt<'a> {
    /// The caller's ARN: who ran the resync.
    pub operator: Option<&'a str>,
    /// The IAM user.
    pub user: &'a str,
    /// The device.
    pub serial: &'a str,
    /// `yubikey`, `otp-slot`, `seed`, `prompt`, `given`.
    pub source: &'a str,
    /// The token's own serial, when the source has one.
    pub device_serial: Option<&'a str>,
    /// The attempt's number (1-based).
    pub attempt: u32,
    /// `resynced`, or the error's code/class.
    pub result: &'a str,
    /// AWS's request id, when a response came.
    pub request_id: Option<&'a str>,
}

impl AuditLog {
    /// Opens (or creates, mode 600) the log for appending; a failure is bad input, before any I/O
    /// that matters.
    pub fn open(path: &Path) -> Result<AuditLog, InputError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| {
                InputError::invalid(
                    Field::flag("--audit-log"),
                    format!(
                        "cannot open {} for appending ({})",
                        path.display(),
                        e.kind()
                    ),
                    "give a writable file path; it is created with mode 600 if missing",
                )
            })?;
        Ok(AuditLog {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Opens the log a command was given, if any, to be shared by the attempts of concurrent rows.
    pub fn open_shared(
        path: Option<&Path>,
    ) -> Result<Option<std::sync::Mutex<AuditLog>>, InputError> {
        Ok(path
            .map(AuditLog::open)
            .transpose()?
            .map(std::sync::Mutex::new))
    }

    /// Appends one line and syncs it to disk.
    pub fn record(&mut self, attempt: &Attempt<'_>) -> std::io::Result<()> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let line = json!({
            "time": rfc3339(now.as_secs()),
            "operator": attempt.operator,
            "user": attempt.user,
            "serial": attempt.serial,
            "source": attempt.source,
            "device_serial": attempt.device_serial,
            "attempt": attempt.attempt,
            "result": attempt.result,
            "request_id": attempt.request_id,
        });
        // One write per line: with O_APPEND the line lands whole at the end.
        self.file.write_all(format!("{line}\n").as_bytes())?;
        self.file.sync_data()
    }

    /// The file, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` from Unix seconds: RFC 3339, as the SDK's own `DateTime` writes it (no
/// date arithmetic of our own to get wrong).
fn rfc3339(secs: u64) -> String {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    DateTime::from_secs(secs)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| format!("@{secs}"))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn dates_are_rfc_3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_111_111_109), "2005-03-18T01:58:29Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn lines_are_appended_private_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        for n in 1..=2 {
            let mut log = AuditLog::open(&path).unwrap();
            log.record(&Attempt {
                user: "alice",
                serial: "GAHT12345678",
                source: "seed",
                attempt: n,
                result: "resynced",
                ..Default::default()
            })
            .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["attempt"], 2);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
