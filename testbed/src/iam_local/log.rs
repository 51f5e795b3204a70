//! The request log: one entry per request, in memory and optionally as JSON lines in a file.
//!
//! Owns the entry format (what tests assert on: service and region signed for, action, caller key,
//! parameters, status, error code, fired faults, matched TOTP counters) and the file's framing (one
//! JSON object per line, flushed per line so a test can read it while the server runs). It records;
//! it does not decide anything.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

/// One request as the server saw and answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Server time of arrival, RFC 3339.
    pub time: String,
    /// `iam` or `sts` from the credential scope; empty when the request had no usable signature.
    pub service: String,
    /// The region of the SigV4 credential scope (`us-east-1`, `us-gov-west-1`, …): the region the
    /// client signed for. Empty when the request had no usable signature.
    #[serde(default)]
    pub region: String,
    /// The `Action` parameter (empty when missing).
    pub action: String,
    /// The access key id the request was signed with, verified or not.
    pub access_key_id: Option<String>,
    /// Every query and form parameter.
    pub params: BTreeMap<String, String>,
    /// HTTP status sent; 0 when the connection was dropped instead.
    pub status: u16,
    /// AWS error code, for failures.
    pub error_code: Option<String>,
    /// The `x-amzn-RequestId` sent (also for dropped requests, though the client never sees it).
    pub request_id: String,
    /// The faults that fired, in fault syntax, comma-separated.
    pub fault: Option<String>,
    /// The TOTP counters `(c, c + 1)` the two codes matched, for accepted Enable/ResyncMFADevice.
    pub counters: Option<(u64, u64)>,
}

/// Where entries go.
#[derive(Debug)]
pub struct RequestLog {
    entries: Mutex<Vec<LogEntry>>,
    file: Mutex<Option<File>>,
}

impl RequestLog {
    /// A log kept in memory and, with `path`, appended to that file.
    pub fn open(path: Option<&Path>) -> io::Result<RequestLog> {
        let file = match path {
            Some(path) => Some(OpenOptions::new().create(true).append(true).open(path)?),
            None => None,
        };
        Ok(RequestLog {
            entries: Mutex::new(Vec::new()),
            file: Mutex::new(file),
        })
    }

    /// Appends an entry; a failing log file is reported on stderr, never to the client.
    pub fn record(&self, entry: LogEntry) {
        if let Some(file) = lock(&self.file).as_mut() {
            let written = serde_json::to_string(&entry)
                .map_err(io::Error::other)
                .and_then(|line| writeln!(file, "{line}"))
                .and_then(|()| file.flush());
            if let Err(err) = written {
                eprintln!("iam-local: cannot write the request log: {err}");
            }
        }
        lock(&self.entries).push(entry);
    }

    /// Every entry so far, oldest first.
    pub fn entries(&self) -> Vec<LogEntry> {
        lock(&self.entries).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> LogEntry {
        LogEntry {
            time: "2015-08-30T12:36:00Z".into(),
            service: "iam".into(),
            region: "us-east-1".into(),
            action: action.into(),
            access_key_id: Some("AKIA".into()),
            params: BTreeMap::from([("Action".to_owned(), action.to_owned())]),
            status: 200,
            error_code: None,
            request_id: "rid".into(),
            fault: None,
            counters: Some((1, 2)),
        }
    }

    #[test]
    fn writes_one_json_line_per_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let log = RequestLog::open(Some(&path)).unwrap();
        log.record(entry("GetUser"));
        log.record(entry("ResyncMFADevice"));
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<LogEntry> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, log.entries());
        assert_eq!(lines[1].action, "ResyncMFADevice");
        assert!(text.contains(r#""counters":[1,2]"#), "{text}");
    }
}
