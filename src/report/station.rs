//! What a station says as keys come and go: for staff at a terminal, a status line per step on
//! stderr and one final line per key (or per credential) on stdout, `✔` or `✘`, readable at a
//! glance; for a program (off a terminal, or `--output json`), one JSON object per event on
//! stdout, each with its time, for a desk's dashboard or a SIEM. Codes never appear in either.

use super::schema::{KeyAtDevice, KeyResult, RowResult, StationEvent, StationLine, WaitReason};
use super::time::{now, rfc3339, utc_time_of_day};
use super::{OutputFormat, Reporter, on_attempt, print_json, print_stdout, request_id};

impl Reporter {
    /// Says `event`: a JSON line on stdout, or for people a status line on stderr and the final
    /// `✔`/`✘` line of a result on stdout.
    pub fn station(&self, event: &StationEvent<'_>) {
        match self.format() {
            OutputFormat::Json => print_json(&StationLine {
                event,
                time: rfc3339(now()),
            }),
            OutputFormat::Text => match event {
                StationEvent::Result(result) => print_stdout(&result_line(result)),
                other => status_line(other)
                    .into_iter()
                    .for_each(|line| self.line(line)),
            },
        }
    }
}

fn key_or_dash(key: Option<u32>) -> String {
    key.map_or_else(|| "—".to_string(), |k| k.to_string())
}

/// `✔ 12345678  alice  arn:…:mfa/alice  resynced (request id …) — remove the key`, or
/// `✘ 87654321  —  no AWS credential for account 123456789012 on this key`.
pub fn result_line(r: &KeyResult) -> String {
    let key = key_or_dash(r.key);
    let user = r.user.as_deref().unwrap_or("—");
    let serial = r
        .serial
        .as_deref()
        .map(|s| format!("  {s}"))
        .unwrap_or_default();
    match &r.result {
        RowResult::Resynced {
            attempts,
            request_id: id,
        } => format!(
            "✔ {key}  {user}{serial}  resynced{}{} — remove the key",
            on_attempt(*attempts),
            request_id(id.as_deref())
        ),
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
        StationEvent::Identified {
            key,
            credentials,
            not_aws,
        } => {
            let serial = key
                .serial
                .map_or_else(|| "serial unknown".to_string(), |s| s.to_string());
            let found = match credentials.len() {
                0 => "no AWS credential to serve".to_string(),
                1 => format!("AWS credential {}", credentials[0]),
                n => format!("{n} AWS credentials: {}", credentials.join(", ")),
            };
            let ignored: Vec<String> = not_aws
                .iter()
                .map(|n| format!("{} ({})", n.credential, n.reason))
                .collect();
            let ignored = match ignored.len() {
                0 => String::new(),
                _ => format!("; not an AWS credential: {}", ignored.join(", ")),
            };
            format!(
                "[{}] YubiKey {serial} (firmware {}, {}): {found}{ignored}",
                key.reader, key.firmware, key.transport
            )
        }
        StationEvent::Removed { reader, key } => match key {
            Some(key) => format!("[{reader}] YubiKey {key} removed"),
            None => format!("[{reader}] key removed"),
        },
        StationEvent::ReaderAdded { reader } => format!("[{reader}] reader plugged in"),
        StationEvent::ReaderRemoved { reader } => format!("[{reader}] reader unplugged"),
        StationEvent::Stopped {
            reason,
            resynced,
            failed,
            pairs_sent,
        } => format!(
            "Station stopped: {reason}. Resynced {resynced}, failed {failed}, pairs sent {pairs_sent}."
        ),
        StationEvent::Waiting {
            at:
                KeyAtDevice {
                    reader,
                    key,
                    user,
                    serial,
                },
            why,
        } => {
            let why = match why {
                WaitReason::DeviceInUse {
                    reader: by_reader,
                    key: by_key,
                } => {
                    let by = by_key.map_or_else(|| "a key".to_string(), |k| format!("YubiKey {k}"));
                    format!("{serial} is being served by {by} in {by_reader}; this key follows it")
                }
                WaitReason::UsedThisWindow { until } => format!(
                    "{serial} was resynced in this window; its next pair goes at {}",
                    utc_time_of_day(*until)
                ),
            };
            format!("[{reader}] {} {user}: waiting: {why}", key_or_dash(*key))
        }
        StationEvent::PcscdLost { detail } => format!(
            "pcscd went away ({detail}): the keys being served are let go; waiting for pcscd to come back."
        ),
        StationEvent::PcscdBack => "pcscd is back: serving the keys in the readers.".to_string(),
        StationEvent::Submitting {
            at: KeyAtDevice { key, user, .. },
            ..
        } => format!("{} {user}: sending the pair to AWS.", key_or_dash(*key)),
        // Code 1: the pair reader says it, under the key's label, with the countdown. A result is
        // its own line, on stdout.
        StationEvent::Code1Read { .. } | StationEvent::Result(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::exit::Exit;

    fn event_json(event: &StationEvent<'_>, at: Duration) -> serde_json::Value {
        serde_json::to_value(StationLine {
            event,
            time: rfc3339(at),
        })
        .unwrap()
    }

    fn result(result: RowResult) -> KeyResult {
        KeyResult {
            reader: "R".into(),
            key: Some(12345678),
            user: Some("alice".into()),
            serial: Some("arn:aws:iam::123456789012:mfa/alice".into()),
            counters: Some([100, 101]),
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

    #[test]
    fn waits_losses_and_the_summary_say_what_happened() {
        let serial = "arn:aws:iam::123456789012:mfa/alice";
        let at = KeyAtDevice {
            reader: "R1",
            key: Some(23456789),
            user: "alice",
            serial,
        };
        let busy = StationEvent::Waiting {
            at,
            why: WaitReason::DeviceInUse {
                reader: "R0",
                key: Some(31000002),
            },
        };
        assert_eq!(
            status_line(&busy).unwrap(),
            "[R1] 23456789 alice: waiting: arn:aws:iam::123456789012:mfa/alice is being served by YubiKey 31000002 in R0; this key follows it"
        );
        let used = StationEvent::Waiting {
            at,
            why: WaitReason::UsedThisWindow {
                until: Duration::from_secs(1_111_111_110),
            },
        };
        assert_eq!(
            status_line(&used).unwrap(),
            "[R1] 23456789 alice: waiting: arn:aws:iam::123456789012:mfa/alice was resynced in this window; its next pair goes at 01:58:30 UTC"
        );
        let json = event_json(&used, Duration::ZERO);
        assert_eq!(json["Reason"], "UsedThisWindow");
        assert_eq!(json["Until"], "2005-03-18T01:58:30Z");
        assert_eq!(json["UntilClock"], "01:58:30 UTC");
        let json = event_json(&busy, Duration::ZERO);
        assert_eq!(
            (&json["ByReader"], &json["ByKey"]),
            (&"R0".into(), &31000002.into())
        );
        let stopped = StationEvent::Stopped {
            reason: "interrupted",
            resynced: 2,
            failed: 1,
            pairs_sent: 3,
        };
        assert_eq!(
            status_line(&stopped).unwrap(),
            "Station stopped: interrupted. Resynced 2, failed 1, pairs sent 3."
        );
        assert_eq!(event_json(&stopped, Duration::ZERO)["PairsSent"], 3);
        assert!(
            status_line(&StationEvent::PcscdLost { detail: "gone" })
                .unwrap()
                .contains("waiting for pcscd to come back")
        );
    }
}
