//! Every shape the tool writes for programs, one type each: what `--output json` prints (a
//! resync's result, `codes`' pair, a batch's table, `devices`, `doctor`, an enrolment, a
//! station's events) and the audit log's lines. Each is `Serialize` with the names the outputs
//! have always had (AWS-style PascalCase on stdout, snake_case in the audit log); the text a
//! person reads is rendered from the same types ([`super::text`]).

use serde::Serialize;

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
