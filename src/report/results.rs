//! The results of `resync` and `codes` for people; programs get their [`super::schema`] types.

use super::schema::{CodesReport, ResyncReport, RetireReport};
use super::time::window_span;
use super::{OutputFormat, Reporter, on_attempt, print_json, print_stdout, request_id};
use crate::source::SourceInfo;
use crate::source::yubikey::Step;

impl Reporter {
    /// Which key, and which of its credentials or slots, the codes come from (how the credential
    /// was chosen, when it was): a user with several keys, or several credentials on one, sees
    /// which answered before anything is sent. The names come from the key, so they are shown
    /// quoted and escaped. Seeds and typed codes have nothing to name.
    pub fn reading_from(&self, info: &SourceInfo, step: Option<Step>) {
        let key = match &info.device_serial {
            Some(serial) => format!("YubiKey {serial}"),
            None => "the YubiKey".to_string(),
        };
        let line = match (info.kind, &info.account) {
            ("yubikey", Some(credential)) => {
                let chosen = step.map(|s| format!(" ({})", s.describe()));
                format!(
                    "Key: {key}, credential {credential:?}{}.",
                    chosen.unwrap_or_default()
                )
            }
            ("otp-slot", Some(slot)) => format!("Key: {key}, {slot}."),
            _ => return,
        };
        self.line(line);
    }

    /// The final report of a successful resync.
    pub fn resynced(&self, report: &ResyncReport) {
        match self.format() {
            OutputFormat::Json => print_json(report),
            OutputFormat::Text => self.line(format!(
                "Resynced {} for user {}{}{}.",
                report.serial,
                report.user,
                on_attempt(report.attempts),
                request_id(report.request_id.as_deref())
            )),
        }
    }

    /// The result of `retire`.
    pub fn retired(&self, report: &RetireReport) {
        match self.format() {
            OutputFormat::Json => print_json(report),
            OutputFormat::Text => {
                let how = if report.deleted {
                    "deactivated and deleted"
                } else if report.deactivated {
                    "deactivated"
                } else {
                    "not retired"
                };
                self.line(format!(
                    "Retired {} of user {}: {how}.",
                    report.serial, report.user
                ));
                for credential in &report.credentials {
                    self.line(format!("  Credential deleted: {credential}"));
                }
                if let Some(kept) = &report.kept {
                    self.line(format!("  Credential: {kept}"));
                }
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
            OutputFormat::Json => print_json(codes),
            OutputFormat::Text => {
                print_stdout(&code_line(2, codes.code2, codes.counters[1], codes.period))
            }
        }
    }
}

/// `Code 1 (20:41:00–20:41:30 UTC): 123456`
fn code_line(n: u8, code: &str, counter: u64, period: u64) -> String {
    let start = std::time::Duration::from_secs(counter.saturating_mul(period));
    format!("Code {n} ({}): {code}", window_span(start, period))
}
