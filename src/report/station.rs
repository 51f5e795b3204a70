//! What a station says as keys come and go: for staff at a terminal, a status line per step on
//! stderr and one final line per key (or per credential) on stdout, `✔` or `✘`, readable at a
//! glance; for a program (off a terminal, or `--output json`), one JSON object per event on
//! stdout, each with its time, for a desk's dashboard or a SIEM. Codes never appear in either.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};
use serde_json::{Value, json};

use super::time::utc_time_of_day;
use super::{OutputFormat, Reporter, RowResult, print_stdout};
use crate::source::yubikey::KeyInfo;

/// How one key (or one of its credentials) came out: the station's final line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyResult {
    /// The reader it was in.
    pub reader: String,
    /// The key's serial, once identified.
    pub key: Option<u32>,
    /// The IAM user, once known.
    pub user: Option<String>,
    /// The IAM device, once known.
    pub serial: Option<String>,
    /// The counters of the pair AWS accepted.
    pub counters: Option<(u64, u64)>,
    /// How it ended, with the exit code a single run would have had.
    pub result: RowResult,
}

/// Something a station saw or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StationEvent<'a> {
    /// Watching, ready for keys.
    Started {
        /// The readers watched (every reader when `all_readers`).
        readers: &'a [String],
        /// Whether readers plugged in later are watched too.
        all_readers: bool,
        /// The accounts whose credentials are served.
        accounts: &'a [String],
        /// The caller's ARN.
        operator: &'a str,
    },
    /// A card went into a reader.
    Inserted {
        /// The reader.
        reader: &'a str,
    },
    /// More keys are in service than `--max-keys`: this one waits its turn.
    Queued {
        /// The reader.
        reader: &'a str,
    },
    /// The key in a reader was identified, with the AWS credentials it holds for the accounts
    /// served (their names, never codes).
    Identified {
        /// The key.
        key: &'a KeyInfo,
        /// The credentials to resync, as the key names them.
        credentials: &'a [String],
    },
    /// Code 1 of a credential was read; code 2 is read and sent at `code2_at`.
    Code1Read {
        /// The reader.
        reader: &'a str,
        /// The key's serial.
        key: Option<u32>,
        /// The IAM user.
        user: &'a str,
        /// The IAM device.
        serial: &'a str,
        /// Code 1's counter.
        counter: u64,
        /// When code 2's window opens (server time since the epoch).
        code2_at: Duration,
    },
    /// Code 2 was read: the pair goes to AWS now.
    Submitting {
        /// The reader.
        reader: &'a str,
        /// The key's serial.
        key: Option<u32>,
        /// The IAM user.
        user: &'a str,
        /// The IAM device.
        serial: &'a str,
        /// The pair's counters.
        counters: (u64, u64),
    },
    /// The final word on a key or one of its credentials.
    Result(&'a KeyResult),
    /// The card left a reader.
    Removed {
        /// The reader.
        reader: &'a str,
        /// The key's serial, when it had been identified.
        key: Option<u32>,
    },
    /// A reader was plugged in or out.
    Reader {
        /// The reader.
        reader: &'a str,
        /// Plugged in (true) or out.
        added: bool,
    },
    /// The station stops.
    Stopped {
        /// Why.
        reason: &'a str,
    },
}

impl Reporter {
    /// Says `event`: a JSON line on stdout, or for people a status line on stderr and the final
    /// `✔`/`✘` line of a result on stdout.
    pub fn station(&self, event: &StationEvent<'_>) {
        match self.format() {
            OutputFormat::Json => print_stdout(&event_json(event, now()).to_string()),
            OutputFormat::Text => match event {
                StationEvent::Result(result) => print_stdout(&result_line(result)),
                // The pair reader says it, under the key's label, with the countdown.
                StationEvent::Code1Read { .. } => {}
                other => {
                    if let Some(line) = status_line(other) {
                        self.line(line);
                    }
                }
            },
        }
    }
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// RFC 3339 with milliseconds, UTC.
fn rfc3339_millis(t: Duration) -> String {
    let millis = i64::try_from(t.as_millis()).unwrap_or(i64::MAX);
    DateTime::from_millis(millis)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| format!("@{millis}"))
}

fn dash(value: Option<&str>) -> &str {
    value.unwrap_or("—")
}

/// `✔ 12345678  alice  arn:…:mfa/alice  resynced (request id …) — remove the key`, or
/// `✘ 87654321  —  no AWS credential for account 123456789012 on this key`.
pub fn result_line(r: &KeyResult) -> String {
    let key = r.key.map_or_else(|| "—".to_string(), |k| k.to_string());
    let user = dash(r.user.as_deref());
    let serial = r
        .serial
        .as_deref()
        .map(|s| format!("  {s}"))
        .unwrap_or_default();
    match &r.result {
        RowResult::Resynced {
            attempts,
            request_id,
        } => {
            let attempt = if *attempts > 1 {
                format!(" on attempt {attempts}")
            } else {
                String::new()
            };
            let request = request_id
                .as_deref()
                .map(|id| format!(" (request id {id})"))
                .unwrap_or_default();
            format!("✔ {key}  {user}{serial}  resynced{attempt}{request} — remove the key")
        }
        RowResult::Failed { error, .. } => format!("✘ {key}  {user}{serial}  {error}"),
    }
}

fn status_line(event: &StationEvent<'_>) -> Option<String> {
    Some(match event {
        StationEvent::Started {
            readers,
            all_readers,
            accounts,
            operator,
        } => {
            let readers = if *all_readers {
                if readers.is_empty() {
                    "every reader (none plugged in yet)".to_string()
                } else {
                    format!("every reader ({})", readers.join(", "))
                }
            } else {
                readers.join(", ")
            };
            format!(
                "Station ready as {operator}: watching {readers} for keys of account {}. Insert a key; Ctrl-C ends.",
                accounts.join(", ")
            )
        }
        StationEvent::Inserted { reader } => format!("[{reader}] key inserted"),
        StationEvent::Queued { reader } => {
            format!("[{reader}] waiting for a free slot (--max-keys)")
        }
        StationEvent::Identified { key, credentials } => {
            let serial = key
                .serial
                .map_or_else(|| "serial unknown".to_string(), |s| s.to_string());
            let found = match credentials.len() {
                0 => "no AWS credential to serve".to_string(),
                1 => format!("AWS credential {}", credentials[0]),
                n => format!("{n} AWS credentials: {}", credentials.join(", ")),
            };
            format!(
                "[{}] YubiKey {serial} (firmware {}, {}): {found}",
                key.reader, key.firmware, key.transport
            )
        }
        StationEvent::Removed { reader, key } => match key {
            Some(key) => format!("[{reader}] YubiKey {key} removed"),
            None => format!("[{reader}] key removed"),
        },
        StationEvent::Reader { reader, added } => {
            format!(
                "[{reader}] reader {}",
                if *added { "plugged in" } else { "unplugged" }
            )
        }
        StationEvent::Stopped { reason } => format!("Station stopped: {reason}."),
        StationEvent::Submitting { key, user, .. } => {
            let key = key.map_or_else(|| "—".to_string(), |k| k.to_string());
            format!("{key} {user}: sending the pair to AWS.")
        }
        StationEvent::Code1Read { .. } | StationEvent::Result(_) => return None,
    })
}

fn event_json(event: &StationEvent<'_>, at: Duration) -> Value {
    let mut value = match event {
        StationEvent::Started {
            readers,
            all_readers,
            accounts,
            operator,
        } => json!({"Event": "Started", "Readers": readers, "AllReaders": all_readers,
                    "Accounts": accounts, "Operator": operator}),
        StationEvent::Inserted { reader } => json!({"Event": "KeyInserted", "Reader": reader}),
        StationEvent::Queued { reader } => json!({"Event": "KeyQueued", "Reader": reader}),
        StationEvent::Identified { key, credentials } => json!({
            "Event": "KeyIdentified", "Reader": key.reader, "Key": key.serial,
            "Firmware": key.firmware, "Transport": key.transport, "Credentials": credentials,
        }),
        StationEvent::Code1Read {
            reader,
            key,
            user,
            serial,
            counter,
            code2_at,
        } => json!({
            "Event": "Code1Read", "Reader": reader, "Key": key, "UserName": user,
            "SerialNumber": serial, "Counter": counter, "Code2At": rfc3339_millis(*code2_at),
            "Code2AtClock": utc_time_of_day(*code2_at),
        }),
        StationEvent::Submitting {
            reader,
            key,
            user,
            serial,
            counters,
        } => json!({
            "Event": "Submitting", "Reader": reader, "Key": key, "UserName": user,
            "SerialNumber": serial, "Counters": [counters.0, counters.1],
        }),
        StationEvent::Result(r) => {
            let (result, attempts, request_id, exit, error) = match &r.result {
                RowResult::Resynced {
                    attempts,
                    request_id,
                } => ("resynced", *attempts, request_id.clone(), 0, None),
                RowResult::Failed { exit, error } => {
                    ("failed", 0, None, exit.code(), Some(error.clone()))
                }
            };
            json!({
                "Event": "Result", "Reader": r.reader, "Key": r.key, "UserName": r.user,
                "SerialNumber": r.serial, "Result": result, "Attempts": attempts,
                "Counters": r.counters.map(|(a, b)| [a, b]), "RequestId": request_id,
                "ExitCode": exit, "Error": error,
            })
        }
        StationEvent::Removed { reader, key } => {
            json!({"Event": "KeyRemoved", "Reader": reader, "Key": key})
        }
        StationEvent::Reader { reader, added } => json!({
            "Event": if *added { "ReaderAdded" } else { "ReaderRemoved" }, "Reader": reader,
        }),
        StationEvent::Stopped { reason } => json!({"Event": "Stopped", "Reason": reason}),
    };
    value["Time"] = rfc3339_millis(at).into();
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::Exit;

    fn result(result: RowResult) -> KeyResult {
        KeyResult {
            reader: "R".into(),
            key: Some(12345678),
            user: Some("alice".into()),
            serial: Some("arn:aws:iam::123456789012:mfa/alice".into()),
            counters: Some((100, 101)),
            result,
        }
    }

    #[test]
    fn final_lines_read_at_a_glance() {
        let ok = result(RowResult::Resynced {
            attempts: 1,
            request_id: Some("r-1".into()),
        });
        assert_eq!(
            result_line(&ok),
            "✔ 12345678  alice  arn:aws:iam::123456789012:mfa/alice  resynced (request id r-1) — remove the key"
        );
        let none = KeyResult {
            key: Some(87654321),
            user: None,
            serial: None,
            counters: None,
            ..result(RowResult::Failed {
                exit: Exit::Device,
                error: "no AWS credential for account 123456789012 on this key".into(),
            })
        };
        assert_eq!(
            result_line(&none),
            "✘ 87654321  —  no AWS credential for account 123456789012 on this key"
        );
    }

    #[test]
    fn events_are_json_lines_with_their_time_and_exit_code() {
        let failed = result(RowResult::Failed {
            exit: Exit::Device,
            error: "YubiKey 12345678 was removed before both codes were read".into(),
        });
        let value = event_json(
            &StationEvent::Result(&failed),
            Duration::from_millis(1_111_111_109_250),
        );
        assert_eq!(value["Event"], "Result");
        assert_eq!(value["ExitCode"], 3);
        assert_eq!(value["Result"], "failed");
        assert_eq!(value["Time"], "2005-03-18T01:58:29.25Z");
        let removed = event_json(
            &StationEvent::Removed {
                reader: "R",
                key: Some(1),
            },
            Duration::ZERO,
        );
        assert_eq!(removed["Event"], "KeyRemoved");
        assert_eq!(removed["Key"], 1);
    }
}
