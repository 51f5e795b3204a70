//! The help desk's audit log (`--audit-log FILE`): one JSON line per resync attempt, and per step
//! of an enrolment (`create`, `put` per key, `enable`, `deactivate` and `delete` of a replaced
//! device, `rollback` per step undone).
//!
//! Each line says who did what to which device, from where and how it ended: time, step, host (the
//! machine's name, so a desk's station is told from another), operator (the caller's ARN), user,
//! serial, source, device serial, attempt, the time-step counters of the pair sent (so that a pair
//! is seen never to be reused), result, AWS request id. Never a code, a seed or a password.
//! Lines are appended with `O_APPEND` (so concurrent desks sharing a file do not interleave within a
//! line) and each is flushed to disk with fsync before the tool goes on: an audit trail that loses
//! its last line on a crash is not one.
//!
//! The file is checked before any request, because a help desk often runs as root in a shared
//! directory: it is opened with `O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC` (a planted symlink is not
//! followed, a FIFO does not hang the run), then `fstat`ed, and must be a regular file owned by the
//! caller that neither group nor others may write (a log that another user can truncate is not a
//! log). A new file is created `O_EXCL` and set to 0600 whatever the umask. A line that cannot be
//! written after a submission is remembered ([`AuditLog::unwritten`]): the command ends non-zero and
//! says the resync itself succeeded.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::files;
use crate::model::{Field, FileInput, InputError, Problem};
use crate::report::Reporter;
use crate::report::schema::AuditLine;
use crate::report::time::{now, rfc3339};

/// An open audit log.
#[derive(Debug)]
pub struct AuditLog {
    file: File,
    path: PathBuf,
    host: String,
    failure: Option<String>,
}

/// One target's lines in the audit log: who acts (the operator), on whose device (user, serial),
/// read from what (the source, the key's serial); each line adds the step, the attempt, the
/// counters, the result and the request id. Without a log it writes nothing. A line that cannot
/// be written is said at once (`warn`), and the log keeps the failure, so the command ends
/// non-zero.
#[derive(Clone)]
pub struct Trail<'a> {
    log: Option<&'a std::sync::Mutex<AuditLog>>,
    operator: Option<String>,
    user: String,
    serial: String,
    source: &'static str,
    device_serial: Option<String>,
    warn: Reporter,
}

impl<'a> Trail<'a> {
    /// The trail of `user`'s device `serial` in `log` (none: nothing is written), by `operator`,
    /// read from `source` (a key's `device_serial`); a lost line is warned of through `warn`.
    pub fn new(
        log: Option<&'a std::sync::Mutex<AuditLog>>,
        operator: Option<String>,
        (user, serial): (&str, &str),
        (source, device_serial): (&'static str, Option<String>),
        warn: &Reporter,
    ) -> Trail<'a> {
        Trail {
            log,
            operator,
            user: user.to_string(),
            serial: serial.to_string(),
            source,
            device_serial,
            warn: warn.clone(),
        }
    }

    /// The same trail, of the device `serial` (one of an enrolment's several).
    pub fn of_device(&self, serial: &str) -> Trail<'a> {
        Trail {
            serial: serial.to_string(),
            ..self.clone()
        }
    }

    /// The same trail, read from the key `device_serial`.
    pub fn on_key(&self, device_serial: Option<String>) -> Trail<'a> {
        Trail {
            device_serial,
            ..self.clone()
        }
    }

    /// Writes one line: `device_serial`, when set, names another key than the trail's (another
    /// device is [`Trail::of_device`]'s, an enrolment's replaced device); a step is attempt 1, with
    /// no counters.
    fn record(
        &self,
        step: &str,
        device_serial: Option<&str>,
        (attempt, counters): (u32, Option<[u64; 2]>),
        result: &str,
        request_id: Option<&str>,
    ) {
        let Some(log) = self.log else { return };
        let written = match log.lock() {
            Ok(mut log) => {
                let host = log.host.clone();
                let line = AuditLine {
                    time: rfc3339(Duration::from_secs(now().as_secs())),
                    step,
                    host: &host,
                    operator: self.operator.as_deref(),
                    user: &self.user,
                    serial: &self.serial,
                    source: self.source,
                    device_serial: device_serial.or(self.device_serial.as_deref()),
                    attempt,
                    counters,
                    result,
                    request_id,
                };
                log.record(&line).map_err(|e| {
                    format!("could not write the audit log {}: {e}", log.path.display())
                })
            }
            Err(_) => Err("could not write the audit log: an earlier write failed midway".into()),
        };
        if let Err(problem) = written {
            self.warn.warn(problem);
        }
    }

    /// An attempt's line: the step it belongs to, its number, its pair's counters, how it ended.
    pub fn attempt(
        &self,
        step: &str,
        attempt: u32,
        counters: Option<[u64; 2]>,
        result: &str,
        request_id: Option<&str>,
    ) {
        self.record(step, None, (attempt, counters), result, request_id);
    }

    /// A step of an enrolment on the trail's device (`put` on a key: `device_serial`).
    pub fn step(
        &self,
        step: &str,
        device_serial: Option<&str>,
        result: &str,
        request_id: Option<&str>,
    ) {
        self.record(step, device_serial, (1, None), result, request_id);
    }
}

impl AuditLog {
    /// Opens (or creates, mode 600) the log for appending, and checks the file it opened; a file
    /// that is not fit for an audit trail is bad input, before any I/O that matters.
    pub fn open(path: &Path) -> Result<AuditLog, InputError> {
        let shown = path.display().to_string();
        // A directory that cannot be looked at is said by the open below, in the OS's words.
        match files::check_dir(path, false) {
            Ok(()) | Err(crate::model::DirProblem::Unusable(_)) => {}
            Err(problem) => {
                return Err(bad(FileInput::Dir {
                    path: shown,
                    problem,
                }));
            }
        }
        let flags = (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32;
        let mut options = OpenOptions::new();
        options.append(true).custom_flags(flags).mode(0o600);
        let (file, created) = match options.clone().create_new(true).open(path) {
            Ok(file) => (file, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                (options.open(path).map_err(|e| open_error(path, &e))?, false)
            }
            Err(e) => return Err(open_error(path, &e)),
        };
        let meta = file.metadata().map_err(|e| open_error(path, &e))?;
        if let Some(what) = files::kind(&meta) {
            return Err(bad(FileInput::NotRegular {
                path: shown,
                what,
                at_open: false,
            }));
        }
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(bad(FileInput::NotYours {
                path: shown,
                owner: meta.uid(),
                me,
            }));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o022 != 0 {
            return Err(bad(FileInput::WritableByOthers { path: shown, mode }));
        }
        if created {
            // The umask may have taken bits away from 0600 (never added them): set it exactly.
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| open_error(path, &e))?;
        }
        Ok(AuditLog {
            file,
            path: path.to_path_buf(),
            host: host_name(),
            failure: None,
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

    /// Appends one line and syncs it to disk; the first failure is also kept for
    /// [`AuditLog::unwritten`].
    pub fn record(&mut self, line: &AuditLine<'_>) -> std::io::Result<()> {
        // Exact, but with no control character raw: a key's or an endpoint's text is hostile.
        let written = crate::report::escape::json(line)
            .ok_or_else(|| std::io::Error::other("the line could not be written as JSON"))
            // One write per line: with O_APPEND the line lands whole at the end.
            .and_then(|text| self.file.write_all(format!("{text}\n").as_bytes()))
            .and_then(|()| self.file.sync_data());
        if let Err(e) = &written {
            self.failure.get_or_insert_with(|| files::io_reason(e));
        }
        written
    }

    /// The error that ends a run whose submissions succeeded but whose audit lines were not all
    /// written; `outcome` says what succeeded.
    pub fn unwritten(
        log: Option<&std::sync::Mutex<AuditLog>>,
        outcome: &str,
    ) -> Option<crate::error::Error> {
        let log = log?.lock().ok()?;
        let problem = log.failure.clone()?;
        Some(crate::error::Error::AuditLog {
            path: log.path.clone(),
            problem,
            outcome: outcome.to_string(),
        })
    }
}

/// The machine's name (uname(2) `nodename`), as `hostname` prints it.
pub fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

fn open_error(path: &Path, e: &std::io::Error) -> InputError {
    let shown = path.display().to_string();
    // O_NOFOLLOW answers ELOOP for a link; O_NONBLOCK answers ENXIO for a FIFO nobody reads.
    let what = std::fs::symlink_metadata(path)
        .ok()
        .and_then(|meta| files::kind(&meta));
    let problem = match (e.raw_os_error(), what) {
        (Some(code), Some(what))
            if code == rustix::io::Errno::LOOP.raw_os_error()
                || code == rustix::io::Errno::NXIO.raw_os_error() =>
        {
            FileInput::NotRegular {
                path: shown,
                what,
                at_open: true,
            }
        }
        _ => FileInput::CannotOpen {
            path: shown,
            reason: files::io_reason(e),
        },
    };
    bad(problem)
}

/// `--audit-log` cannot be used for `problem`.
fn bad(problem: FileInput) -> InputError {
    InputError::invalid(Field::flag("--audit-log"), Problem::File(problem))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn lines_are_appended_private_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        for n in 1..=2 {
            let mut log = AuditLog::open(&path).unwrap();
            let host = host_name();
            log.record(&AuditLine {
                time: rfc3339(Duration::ZERO),
                step: "resync",
                host: &host,
                operator: None,
                user: "alice",
                serial: "GAHT12345678",
                source: "seed",
                device_serial: None,
                attempt: n,
                counters: Some([100, 101]),
                result: "resynced",
                request_id: None,
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
        assert_eq!(lines[1]["counters"], serde_json::json!([100, 101]));
        assert_eq!(lines[1]["host"], host_name());
        assert!(!host_name().is_empty());
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn an_endpoint_s_text_is_kept_exact_with_no_control_written_raw() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut log = AuditLog::open(&path).unwrap();
        for hostile in crate::report::escape::tests::HOSTILE {
            log.record(&AuditLine {
                time: rfc3339(Duration::ZERO),
                step: "resync",
                host: "desk",
                operator: Some(hostile),
                user: "alice",
                serial: "GAHT12345678",
                source: "yubikey",
                device_serial: Some("12345678"),
                attempt: 1,
                counters: None,
                result: "InvalidAuthenticationCode",
                request_id: Some(hostile),
            })
            .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && crate::report::escape::is_unsafe(c)),
            "{text:?}"
        );
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), crate::report::escape::tests::HOSTILE.len());
        for (line, hostile) in lines.iter().zip(crate::report::escape::tests::HOSTILE) {
            assert_eq!(line["operator"], *hostile);
            assert_eq!(line["request_id"], *hostile);
        }
    }
}
