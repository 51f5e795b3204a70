//! A station's shapes: a key's result and its events, each a JSON line with its time.

use std::time::Duration;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::RowResult;
use crate::report::time::{rfc3339, utc_time_of_day};
use crate::source::yubikey::KeyInfo;

/// How one key (or one of its credentials) came out at a station: its final line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyResult {
    /// The reader it was in.
    pub reader: String,
    /// The key's serial, once identified.
    pub key: Option<u32>,
    /// The IAM user, once known.
    #[serde(rename = "UserName")]
    pub user: Option<String>,
    /// The IAM device, once known.
    #[serde(rename = "SerialNumber")]
    pub serial: Option<String>,
    /// The counters of the pair AWS accepted.
    pub counters: Option<[u64; 2]>,
    /// How it ended, with the exit code a single run would have had.
    #[serde(flatten)]
    pub result: RowResult,
}

/// Something a station saw or did: one JSON line each (`"Event": …`, its fields, `"Time"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "Event", rename_all_fields = "PascalCase")]
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
    #[serde(rename = "KeyInserted")]
    Inserted {
        /// The reader.
        reader: &'a str,
    },
    /// More keys are in service than `--max-keys`: this one waits its turn.
    #[serde(rename = "KeyQueued")]
    Queued {
        /// The reader.
        reader: &'a str,
    },
    /// The key in a reader was identified, with the AWS credentials it holds for the accounts
    /// served (their names, never codes).
    #[serde(rename = "KeyIdentified")]
    Identified {
        /// The key.
        #[serde(flatten, serialize_with = "identity")]
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
        #[serde(rename = "UserName")]
        user: &'a str,
        /// The IAM device.
        #[serde(rename = "SerialNumber")]
        serial: &'a str,
        /// Code 1's counter.
        counter: u64,
        /// When code 2's window opens (server time since the epoch): `Code2At` and, for people
        /// reading the stream, `Code2AtClock`.
        #[serde(flatten, serialize_with = "due")]
        code2_at: Duration,
    },
    /// Code 2 was read: the pair goes to AWS now.
    Submitting {
        /// The reader.
        reader: &'a str,
        /// The key's serial.
        key: Option<u32>,
        /// The IAM user.
        #[serde(rename = "UserName")]
        user: &'a str,
        /// The IAM device.
        #[serde(rename = "SerialNumber")]
        serial: &'a str,
        /// The pair's counters.
        counters: [u64; 2],
    },
    /// The final word on a key or one of its credentials.
    Result(&'a KeyResult),
    /// The card left a reader.
    #[serde(rename = "KeyRemoved")]
    Removed {
        /// The reader.
        reader: &'a str,
        /// The key's serial, when it had been identified.
        key: Option<u32>,
    },
    /// A reader was plugged in.
    ReaderAdded {
        /// The reader.
        reader: &'a str,
    },
    /// A reader was unplugged.
    ReaderRemoved {
        /// The reader.
        reader: &'a str,
    },
    /// The station stops.
    Stopped {
        /// Why.
        reason: &'a str,
    },
}

/// A station's event as its JSON line: the event, then when it happened.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StationLine<'a> {
    /// The event.
    #[serde(flatten)]
    pub event: &'a StationEvent<'a>,
    /// RFC 3339 with milliseconds, UTC.
    pub time: String,
}

fn identity<S: Serializer>(key: &&KeyInfo, serializer: S) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(4))?;
    map.serialize_entry("Reader", &key.reader)?;
    map.serialize_entry("Key", &key.serial)?;
    map.serialize_entry("Firmware", &key.firmware)?;
    map.serialize_entry("Transport", &key.transport)?;
    map.end()
}

fn due<S: Serializer>(at: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("Code2At", &rfc3339(*at))?;
    map.serialize_entry("Code2AtClock", &utc_time_of_day(*at))?;
    map.end()
}
