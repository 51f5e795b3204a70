//! Every shape the tool writes for programs, one type each: what `--output json` prints (a
//! resync's result, `codes`' pair, a batch's table, `devices`, `doctor`, an enrolment, a
//! station's events) and the audit log's lines. Each is `Serialize` with the names the outputs
//! have always had (AWS-style PascalCase on stdout, snake_case in the audit log), in the order the
//! fields are declared; the text a person reads is rendered from the same values (`results`,
//! `tables`, `enroll`, `station`).

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::exit::Exit;
use crate::source::yubikey::{Account, KeyInfo};

mod station;
pub use station::{
    KeyAtDevice, KeyResult, NotAnAwsCredential, StationEvent, StationLine, WaitReason,
};

/// `resync`'s result (`"Result": "resynced"`: a failure is an error on stderr instead).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "Result", rename = "resynced", rename_all = "PascalCase")]
pub struct ResyncReport {
    /// The user.
    #[serde(rename = "UserName")]
    pub user: String,
    /// The device.
    #[serde(rename = "SerialNumber")]
    pub serial: String,
    /// The source kind (`seed`, `prompt`, `given`, …).
    pub source: String,
    /// Pairs sent.
    pub attempts: u32,
    /// The counters of the accepted pair, when the host chose them.
    pub counters: Option<[u64; 2]>,
    /// The measured clock skew against AWS, in seconds, when applied.
    #[serde(rename = "ClockSkewSeconds")]
    pub skew_seconds: Option<f64>,
    /// AWS's request id.
    pub request_id: Option<String>,
}

/// The pair `codes` read: the keys `--cli-input-json` takes, so its output can be fed back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodesReport<'a> {
    /// Code 1.
    #[serde(rename = "AuthenticationCode1")]
    pub code1: &'a str,
    /// Code 2.
    #[serde(rename = "AuthenticationCode2")]
    pub code2: &'a str,
    /// Their counters.
    pub counters: [u64; 2],
    /// The period.
    pub period: u64,
}

/// How a `--batch` row, or a key at a station, ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowResult {
    /// AWS accepted a pair.
    Resynced {
        /// Pairs sent.
        attempts: u32,
        /// AWS's request id.
        request_id: Option<String>,
    },
    /// It failed, with the exit code a single run would have had.
    Failed {
        /// The exit code.
        exit: Exit,
        /// The error, one line.
        error: String,
    },
}

impl RowResult {
    /// Whether AWS accepted a pair.
    pub fn succeeded(&self) -> bool {
        matches!(self, RowResult::Resynced { .. })
    }
}

/// `Result`, `Attempts`, `RequestId`, `ExitCode`, `Error`: flattened into a row or a station's
/// result.
impl Serialize for RowResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (result, attempts, request_id, exit, error) = match self {
            RowResult::Resynced {
                attempts,
                request_id,
            } => ("resynced", *attempts, request_id.as_deref(), 0, None),
            RowResult::Failed { exit, error } => {
                ("failed", 0, None, exit.code(), Some(error.as_str()))
            }
        };
        let mut s = serializer.serialize_struct("RowResult", 5)?;
        s.serialize_field("Result", result)?;
        s.serialize_field("Attempts", &attempts)?;
        s.serialize_field("RequestId", &request_id)?;
        s.serialize_field("ExitCode", &exit)?;
        s.serialize_field("Error", &error)?;
        s.end()
    }
}

/// What one `--batch` row came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchRowReport {
    /// Its line in the file.
    pub line: usize,
    /// The user.
    #[serde(rename = "UserName")]
    pub user: String,
    /// The device (empty when it could not be found).
    #[serde(rename = "SerialNumber")]
    pub serial: String,
    /// How it ended.
    #[serde(flatten)]
    pub result: RowResult,
}

/// A `--batch` run's table, with its counts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchReport<'a> {
    /// Every row, in the file's order.
    pub results: &'a [BatchRowReport],
    /// Rows resynced.
    pub succeeded: usize,
    /// Rows that failed.
    pub failed: usize,
}

impl<'a> BatchReport<'a> {
    /// The table of `rows`.
    pub fn of(rows: &'a [BatchRowReport]) -> Self {
        let succeeded = rows.iter().filter(|r| r.result.succeeded()).count();
        BatchReport {
            results: rows,
            succeeded,
            failed: rows.len() - succeeded,
        }
    }
}

/// A PC/SC reader, as `devices` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReaderState {
    /// Its name.
    pub name: String,
    /// Whether a card is in it.
    pub card_present: bool,
    /// Whether another program holds its card (GnuPG's scdaemon, usually), so that it could not
    /// be asked what it is; only written when it does.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub held_by_another_program: bool,
}

/// A credential on a key, with the configured profiles that would use it and, when IAM could be
/// asked, the device it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedCredential {
    /// The credential.
    pub account: Account,
    /// The profiles whose `mfa_serial` would choose it.
    pub profiles: Vec<String>,
    /// The device its name maps to, or why none; `None` for a credential not named as an AWS one,
    /// or when IAM could not be asked.
    pub device: Option<CredentialDevice>,
}

/// The IAM device a credential's name maps to, by the rule `resync` and `station` use: its
/// device's name or serial, never its user's other devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "Status",
    rename_all = "kebab-case",
    rename_all_fields = "PascalCase"
)]
pub enum CredentialDevice {
    /// The device, enabled for `user`.
    Found {
        /// Its ARN.
        serial_number: String,
        /// Its user.
        user_name: String,
    },
    /// Named for a device its user no longer has (retired or replaced): its codes would be refused.
    Stale {
        /// Why, in words.
        detail: String,
    },
    /// No device of the account has its name or serial.
    NotFound {
        /// Why, in words.
        detail: String,
    },
    /// Named for another account than the caller's.
    OtherAccount {
        /// The account (an id or an alias) the name puts it in.
        account: String,
    },
    /// Found, but not one `resync` could serve (unassigned, the root user's, ambiguous, not of
    /// AWS's shape).
    Unusable {
        /// Why, in words.
        detail: String,
    },
}

/// One key as `devices` lists it: its identity, and its credentials or why they could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    /// The key.
    pub key: KeyInfo,
    /// With `--accounts`: the credentials, each with the configured profiles that would use it,
    /// or the error that kept them from being listed.
    pub accounts: Option<Result<Vec<UsedCredential>, String>>,
}

/// `Serial`, `Firmware`, `FormFactor`, `Transport`, `Reader`, then `Accounts` or
/// `AccountsError` when `--accounts` asked for them.
impl Serialize for ListedKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Credential<'a> {
            issuer: &'a Option<String>,
            name: &'a str,
            #[serde(rename = "Type")]
            kind: &'static str,
            period: Option<u32>,
            touch: bool,
            profiles: &'a [String],
            #[serde(skip_serializing_if = "Option::is_none")]
            device: &'a Option<CredentialDevice>,
        }
        let k = &self.key;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Serial", &k.serial)?;
        map.serialize_entry("Firmware", &k.firmware)?;
        map.serialize_entry("FormFactor", &k.form_factor)?;
        map.serialize_entry("Transport", &k.transport)?;
        map.serialize_entry("Reader", &k.reader)?;
        match &self.accounts {
            None => {}
            Some(Ok(accounts)) => {
                let listed: Vec<Credential<'_>> = accounts
                    .iter()
                    .map(|used| {
                        let a = &used.account;
                        Credential {
                            issuer: &a.issuer,
                            name: &a.name,
                            kind: if a.totp { "TOTP" } else { "HOTP" },
                            period: a.totp.then_some(a.period),
                            touch: a.touch,
                            profiles: &used.profiles,
                            device: &used.device,
                        }
                    })
                    .collect();
                map.serialize_entry("Accounts", &listed)?;
            }
            Some(Err(e)) => map.serialize_entry("AccountsError", e)?,
        }
        map.end()
    }
}

/// What `devices` found: the readers, and the keys in them.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DevicesReport<'a> {
    /// Every reader.
    pub readers: &'a [ReaderState],
    /// The YubiKeys.
    #[serde(rename = "YubiKeys")]
    pub keys: &'a [ListedKey],
}

/// How a `doctor` check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Fine.
    Ok,
    /// Works, but worth fixing.
    Warn,
    /// Stands in the way.
    Fail,
    /// Could not run, because an earlier check failed.
    #[serde(rename = "skip")]
    Skipped,
}

/// One `doctor` check (`doctor --output json` prints the list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Check {
    /// What was checked.
    #[serde(rename = "Check")]
    pub name: &'static str,
    /// How it came out.
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// How to fix it, when it is not ok.
    pub fix: Option<String>,
    /// The exit code a failure of this check means.
    #[serde(skip)]
    pub exit: Exit,
}

/// One key an enrolment wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnrolledKey {
    /// Its serial, when it reports one.
    pub serial: Option<u32>,
    /// Its reader.
    pub reader: String,
    /// `primary` (the first) or `backup`.
    pub role: &'static str,
    /// The device whose seed it holds.
    #[serde(rename = "SerialNumber")]
    pub device: String,
}

/// One device an enrolment made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnrolledDeviceReport {
    /// Its serial (ARN): a profile's `mfa_serial`.
    #[serde(rename = "SerialNumber")]
    pub serial: String,
    /// The credential's name on its keys.
    pub oath_name: String,
    /// Enable's request id.
    pub request_id: Option<String>,
}

/// An enrolment's result (`"Result": "enrolled"`): the primary key's device at the top (what a
/// profile's `mfa_serial` names), every key and every device below. Printed also when the new
/// devices work but the replacement did not finish, so that a script learns them either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "Result", rename = "enrolled", rename_all = "PascalCase")]
pub struct EnrollReport {
    /// The primary key's new device (ARN).
    #[serde(rename = "SerialNumber")]
    pub serial: String,
    /// The user.
    #[serde(rename = "UserName")]
    pub user: String,
    /// The keys written, primary first.
    pub keys: Vec<EnrolledKey>,
    /// The credential's name on the primary key.
    pub oath_name: String,
    /// Whether codes need a touch.
    pub touch: bool,
    /// Keys on which a credential of that name was written over.
    pub overwritten: Vec<String>,
    /// The seed's backup file.
    #[serde(rename = "BackupSeedFile")]
    pub backup: Option<String>,
    /// Whether the device `--replace` named was deactivated (and deleted, when virtual).
    pub replaced: bool,
    /// The device `--replace` named.
    #[serde(rename = "ReplacedSerialNumber")]
    pub old: Option<String>,
    /// The primary's device's Enable request id.
    pub request_id: Option<String>,
    /// Every new device: one per key, or one for every key with `--shared-seed`.
    pub devices: Vec<EnrolledDeviceReport>,
}

/// `retire`'s result (`"Result": "retired"`): the user's device, whether it was deactivated and
/// deleted (a virtual one), the credentials deleted from keys here (`NAME on YubiKey SERIAL`), or
/// why none was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "Result", rename = "retired", rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct RetireReport {
    #[serde(rename = "UserName")]
    pub user: String,
    #[serde(rename = "SerialNumber")]
    pub serial: String,
    pub deactivated: bool,
    pub deleted: bool,
    #[serde(rename = "CredentialsDeleted")]
    pub credentials: Vec<String>,
    #[serde(rename = "CredentialsKept")]
    pub kept: Option<String>,
}

/// One line of the audit log: who did what to which device, from where, and how it ended. Never
/// a code, a seed or a password.
#[derive(Debug, Clone, Serialize)]
pub struct AuditLine<'a> {
    /// RFC 3339, UTC.
    pub time: String,
    /// `resync`, or an enrolment's step (`create`, `put`, `enable`, `rollback`, …).
    pub step: &'a str,
    /// The machine's name, so a desk's station is told from another.
    pub host: &'a str,
    /// The caller's ARN: who ran it.
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
    /// The counters of the pair sent, when the host chose them (RFC 6238 time steps).
    pub counters: Option<[u64; 2]>,
    /// `resynced`, or the error's code or class.
    pub result: &'a str,
    /// AWS's request id, when an answer came.
    pub request_id: Option<&'a str>,
}
