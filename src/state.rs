//! The state file of counters sent: for each device, how far the windows of the last pair this
//! machine sent reach, so that a second run a minute later (a `resync`, a `--batch` row, a station's
//! key) never builds a pair that reuses a counter AWS has already seen and burned.
//!
//! The file is `$XDG_STATE_HOME/mfa-resync/sent-counters.json` (`~/.local/state/…` by default), mode
//! 600 in a directory of mode 700. It holds device serials and times only: no code, no seed. Each
//! device's entry is the end of the last window used (`UsedUntil`, AWS's time in seconds, so that
//! a source of another period reads it too) and when the pair went out (`SentAt`). Entries older
//! than a day are dropped: a window that old is long past.
//!
//! Writers are several processes (a station and a desk's `resync`) and the rows of one batch:
//! each write takes an exclusive `flock` on `sent-counters.lock`, reads the file, keeps the later of
//! the two windows for its device, writes a new file beside it (`O_EXCL | O_NOFOLLOW`, fsync'd) and
//! renames it over the old one, so a reader sees the old file or the new one, never half of one.
//! Readers take no lock. A file that cannot be read is taken as empty (the planner's own checks
//! still hold); a write that fails is said as a warning, since a run in the next minute could then
//! reuse a counter.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::files;
use crate::window::Period;

/// The file's name in the state directory.
const FILE: &str = "sent-counters.json";

/// The lock every writer takes, beside the file.
const LOCK: &str = "sent-counters.lock";

/// The largest file read: thousands of devices (a help desk's) fit well within it.
const MAX_BYTES: u64 = 1 << 20;

/// How long an entry is kept.
const KEEP_SECS: u64 = 24 * 60 * 60;

/// The file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Contents {
    /// Each device's last use, by serial (a hardware token's serial or a virtual device's ARN).
    devices: BTreeMap<String, Use>,
}

/// The last pair sent for a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Use {
    /// The end of the last window of the pair, AWS's time in seconds since the epoch.
    pub used_until: u64,
    /// When the pair went out, AWS's time in seconds since the epoch.
    pub sent_at: u64,
}

impl Use {
    /// The highest counter of `period` whose window began before [`Use::used_until`]: no pair
    /// may use it or any counter below it.
    pub fn last_counter(self, period: Period) -> Option<u64> {
        self.used_until.checked_sub(1).map(|t| t / period.secs())
    }
}

/// The counters sent, as kept in the state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCounters {
    dir: PathBuf,
}

impl SentCounters {
    /// The state directory of this user, as the XDG Base Directory specification places it
    /// (`$XDG_STATE_HOME`, taken only when absolute, else `$HOME/.local/state`); `None` when
    /// neither is set. Nothing is read or made yet.
    pub fn locate() -> Option<SentCounters> {
        let absolute =
            |var: &str| Some(PathBuf::from(std::env::var_os(var)?)).filter(|p| p.is_absolute());
        let base =
            absolute("XDG_STATE_HOME").or_else(|| Some(absolute("HOME")?.join(".local/state")))?;
        Some(SentCounters::in_dir(base.join("mfa-resync")))
    }

    /// The counters kept in `dir` (tests, and programs that keep their own).
    pub fn in_dir(dir: impl Into<PathBuf>) -> SentCounters {
        SentCounters { dir: dir.into() }
    }

    /// The file, for messages.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// The last use recorded for `serial`, if any.
    pub fn last(&self, serial: &str) -> Option<Use> {
        read(&self.path()).devices.get(serial).copied()
    }

    /// Records that a pair whose windows end at `used_until` went out for `serial` at `now` (both
    /// AWS's time, in seconds); an earlier record of a later window is kept.
    pub fn record(&self, serial: &str, used_until: u64, now: u64) -> std::io::Result<()> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let lock = open_private(&self.dir.join(LOCK), false)?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)?;
        let path = self.path();
        let mut contents = read(&path);
        contents
            .devices
            .retain(|_, used| used.sent_at.saturating_add(KEEP_SECS) >= now);
        let sent = Use {
            used_until,
            sent_at: now,
        };
        let entry = contents.devices.entry(serial.to_string()).or_insert(sent);
        if used_until >= entry.used_until {
            *entry = sent;
        }
        let text = serde_json::to_vec_pretty(&contents).map_err(std::io::Error::other)?;
        let temporary = self.dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
        // A temporary file left by a process that died midway is this process's to replace.
        let _ = std::fs::remove_file(&temporary);
        let mut file = open_private(&temporary, true)?;
        file.write_all(&text)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&temporary, &path))
            .inspect_err(|_| _ = std::fs::remove_file(&temporary))
    }
}

/// Opens `path` for writing, mode 600, never through a symbolic link; `new` demands that it not
/// exist yet.
fn open_private(path: &Path, new: bool) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(!new)
        .create_new(new)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

/// The file's contents; empty when it is missing or cannot be read or understood.
fn read(path: &Path) -> Contents {
    match files::read_regular(path, MAX_BYTES) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "the state file is not understood; taken as empty");
            Contents::default()
        }),
        Err(files::FileProblem::Open(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Contents::default()
        }
        Err(problem) => {
            tracing::warn!(path = %path.display(), %problem, "the state file cannot be read; taken as empty");
            Contents::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    const ALICE: &str = "arn:aws:iam::123456789012:mfa/alice";

    #[test]
    fn a_later_window_is_kept_and_an_earlier_one_does_not_lower_it() {
        let dir = tempfile::tempdir().unwrap();
        let state = SentCounters::in_dir(dir.path().join("mfa-resync"));
        assert_eq!(state.last(ALICE), None);
        state.record(ALICE, 3_000, 2_990).unwrap();
        state.record("GAHT12345678", 3_030, 2_995).unwrap();
        state.record(ALICE, 2_970, 3_000).unwrap();
        let used = state.last(ALICE).unwrap();
        assert_eq!(
            used,
            Use {
                used_until: 3_000,
                sent_at: 2_990
            }
        );
        assert_eq!(used.last_counter(Period::DEFAULT), Some(99));
        assert_eq!(used.last_counter(Period::new(60).unwrap()), Some(49));
        assert_eq!(state.last("GAHT12345678").unwrap().used_until, 3_030);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state.path()), 0o600);
        assert_eq!(mode(&dir.path().join("mfa-resync")), 0o700);
    }

    #[test]
    fn entries_older_than_a_day_are_dropped_and_nothing_secret_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let state = SentCounters::in_dir(dir.path());
        state.record(ALICE, 3_000, 2_990).unwrap();
        state.record("GAHT12345678", 100_030, 100_000).unwrap();
        assert_eq!(state.last(ALICE), None);
        let text = std::fs::read_to_string(state.path()).unwrap();
        assert_eq!(
            text,
            "{\n  \"Devices\": {\n    \"GAHT12345678\": {\n      \"UsedUntil\": 100030,\n      \"SentAt\": 100000\n    }\n  }\n}"
        );
    }

    #[test]
    fn a_broken_file_is_taken_as_empty_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let state = SentCounters::in_dir(dir.path());
        std::fs::write(state.path(), "{\"Devices\": {\"x\": ").unwrap();
        assert_eq!(state.last("x"), None);
        state.record(ALICE, 3_000, 2_990).unwrap();
        assert!(state.last(ALICE).is_some());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(left.iter().all(|n| !n.ends_with(".tmp")), "{left:?}");
    }

    #[test]
    fn a_planted_link_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let state = SentCounters::in_dir(dir.path());
        let elsewhere = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(LOCK)).unwrap();
        assert!(state.record(ALICE, 3_000, 2_990).is_err());
        assert!(!elsewhere.exists());
    }

    #[test]
    fn writers_at_once_lose_no_device() {
        let dir = tempfile::tempdir().unwrap();
        let state = SentCounters::in_dir(dir.path());
        std::thread::scope(|scope| {
            for i in 0..16u64 {
                let state = state.clone();
                scope.spawn(move || {
                    state
                        .record(&format!("GAHT{i:08}"), 3_000 + i, 2_990)
                        .unwrap()
                });
            }
        });
        for i in 0..16u64 {
            assert_eq!(
                state.last(&format!("GAHT{i:08}")).unwrap().used_until,
                3_000 + i
            );
        }
    }
}
