//! A station's shapes: one JSON line per event (`StationEvent` with its time, `StationLine`),
//! each key's final word (`KeyResult`), and what a key's wait is for (`WaitReason`).

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

/// A credential named as an AWS one that cannot be AWS's (a station's `KeyIdentified`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotAnAwsCredential {
    /// Its whole id, as the key stores it.
    pub credential: String,
    /// Why no AWS device could have it.
    pub reason: String,
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
        /// Credentials named as AWS ones that no AWS device could have: never served.
        #[serde(rename = "NotAwsCredentials")]
        not_aws: &'a [NotAnAwsCredential],
    },
    /// Code 1 of a credential was read; code 2 is read and sent at `code2_at`.
    Code1Read {
        /// The key and the device.
        #[serde(flatten)]
        at: KeyAtDevice<'a>,
        /// Code 1's counter.
        counter: u64,
        /// When code 2's window opens (server time since the epoch): `Code2At` and, for people
        /// reading the stream, `Code2AtClock`.
        #[serde(flatten, serialize_with = "due")]
        code2_at: Duration,
    },
    /// Code 2 was read: the pair goes to AWS now.
    Submitting {
        /// The key and the device.
        #[serde(flatten)]
        at: KeyAtDevice<'a>,
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
    /// A key waits before its pair is read: its device is another key's turn, or was resynced in
    /// this window.
    Waiting {
        /// The key and the device.
        #[serde(flatten)]
        at: KeyAtDevice<'a>,
        /// Why.
        #[serde(flatten)]
        why: WaitReason<'a>,
    },
    /// pcscd went away: the keys in service are let go, and the station waits for it.
    PcscdLost {
        /// What PC/SC said.
        detail: &'a str,
    },
    /// pcscd is back: the keys in the readers are served again.
    PcscdBack,
    /// The station stops, with what it did.
    Stopped {
        /// Why.
        reason: &'a str,
        /// Key results that were resyncs.
        resynced: usize,
        /// Key results that failed.
        failed: usize,
        /// Pairs sent to AWS, accepted or not.
        pairs_sent: u32,
    },
}

/// Which key an event is about, and which of its credentials' devices: `Reader`, `Key`,
/// `UserName`, `SerialNumber`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyAtDevice<'a> {
    /// The reader.
    pub reader: &'a str,
    /// The key's serial.
    pub key: Option<u32>,
    /// The IAM user.
    #[serde(rename = "UserName")]
    pub user: &'a str,
    /// The IAM device.
    #[serde(rename = "SerialNumber")]
    pub serial: &'a str,
}

/// Why a key waits (a station's `Waiting`): `"Reason": "DeviceInUse"` with the key being served,
/// or `"Reason": "UsedThisWindow"` with when its pair goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "Reason", rename_all_fields = "PascalCase")]
pub enum WaitReason<'a> {
    /// Another key is being served for the same device (a primary and its backup): one at a time.
    DeviceInUse {
        /// That key's reader.
        #[serde(rename = "ByReader")]
        reader: &'a str,
        /// That key's serial.
        #[serde(rename = "ByKey")]
        key: Option<u32>,
    },
    /// The device was resynced in this window: its next pair's code 2 is read (and sent) when the
    /// window after next opens.
    UsedThisWindow {
        /// When (server time since the epoch): `Until` and `UntilClock`.
        #[serde(flatten, serialize_with = "until_moment")]
        until: Duration,
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
    moment(serializer, ("Code2At", "Code2AtClock"), *at)
}

fn until_moment<S: Serializer>(at: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    moment(serializer, ("Until", "UntilClock"), *at)
}

/// A moment as RFC 3339 and, for people reading the stream, its UTC clock time.
fn moment<S: Serializer>(
    serializer: S,
    (name, clock): (&'static str, &'static str),
    at: Duration,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry(name, &rfc3339(at))?;
    map.serialize_entry(clock, &utc_time_of_day(at))?;
    map.end()
}
