//! The results of `resync` and `codes`: one line for people, one JSON object for programs.
//!
//! `codes --output json` prints the keys `--cli-input-json` takes, so its output can be fed back.

use serde_json::json;

use super::time::window_span;
use super::{OutputFormat, Reporter, print_stdout};

/// The result of a resync, for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ResyncReport {
    /// The user.
    pub user: String,
    /// The device.
    pub serial: String,
    /// The source kind (`seed`, `prompt`, `given`, …).
    pub source: String,
    /// Pairs sent.
    pub attempts: u32,
    /// The counters of the accepted pair, when the host chose them.
    pub counters: Option<(u64, u64)>,
    /// The measured clock skew against AWS, in seconds, when applied.
    pub skew_seconds: Option<f64>,
    /// AWS's request id.
    pub request_id: Option<String>,
}

/// A pair of codes read by `codes`.
#[derive(Debug, Clone, PartialEq)]
pub struct CodesReport<'a> {
    /// Code 1.
    pub code1: &'a str,
    /// Code 2.
    pub code2: &'a str,
    /// Their counters.
    pub counters: (u64, u64),
    /// The period.
    pub period: u64,
}

impl Reporter {
    /// The final report of a successful resync.
    pub fn resynced(&self, report: &ResyncReport) {
        match self.format() {
            OutputFormat::Json => {
                let value = json!({
                    "Result": "resynced",
                    "UserName": report.user,
                    "SerialNumber": report.serial,
                    "Source": report.source,
                    "Attempts": report.attempts,
                    "Counters": report.counters.map(|(a, b)| [a, b]),
                    "ClockSkewSeconds": report.skew_seconds,
                    "RequestId": report.request_id,
                });
                print_stdout(&value.to_string());
            }
            OutputFormat::Text => {
                let request = report
                    .request_id
                    .as_deref()
                    .map(|id| format!(" (request id {id})"))
                    .unwrap_or_default();
                let attempts = if report.attempts > 1 {
                    format!(" on attempt {}", report.attempts)
                } else {
                    String::new()
                };
                self.line(format!(
                    "Resynced {} for user {}{attempts}{request}.",
                    report.serial, report.user
                ));
            }
        }
    }

    /// Code 1 as soon as it is read, in text mode (a person typing into the AWS console can start
    /// at once); JSON waits for the whole pair.
    pub fn code1(&self, code: &str, counter: u64, period: u64) {
        if self.format() == OutputFormat::Text {
            print_stdout(&code_line(1, code, counter, period));
        }
    }

    /// The pair of `codes`: the one place codes are meant to be shown. In text mode code 1 was
    /// printed when it was read ([`Reporter::code1`]), so only code 2 follows.
    pub fn codes(&self, codes: &CodesReport<'_>) {
        match self.format() {
            OutputFormat::Json => print_stdout(
                &json!({
                    "AuthenticationCode1": codes.code1,
                    "AuthenticationCode2": codes.code2,
                    "Counters": [codes.counters.0, codes.counters.1],
                    "Period": codes.period,
                })
                .to_string(),
            ),
            OutputFormat::Text => {
                print_stdout(&code_line(2, codes.code2, codes.counters.1, codes.period))
            }
        }
    }
}

/// `Code 1 (20:41:00–20:41:30 UTC): 123456`
fn code_line(n: u8, code: &str, counter: u64, period: u64) -> String {
    let start = std::time::Duration::from_secs(counter.saturating_mul(period));
    format!("Code {n} ({}): {code}", window_span(start, period))
}
