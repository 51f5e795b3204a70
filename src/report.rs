//! What the user sees: progress lines and the countdown on stderr, the result as text or JSON.
//!
//! Human lines go to stderr so that stdout carries only results (`--output json`, or the codes of
//! `codes`). `--quiet` silences success, as the AWS CLI does. Nothing here ever receives a seed or a
//! password; codes reach only [`Reporter::codes`], whose whole purpose is to print them.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::cli::OutputFormat;

/// Writes progress and results in the requested format.
#[derive(Debug)]
pub struct Reporter {
    format: OutputFormat,
    quiet: bool,
    terminal: bool,
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

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

impl Reporter {
    /// A reporter for the given format; progress is drawn as a bar only when stderr is a terminal.
    pub fn new(format: OutputFormat, quiet: bool) -> Self {
        Reporter {
            format,
            quiet,
            terminal: std::io::stderr().is_terminal(),
            bar: std::sync::Mutex::new(None),
        }
    }

    /// A reporter that prints nothing but results (tests).
    pub fn silent() -> Self {
        Reporter {
            format: OutputFormat::Text,
            quiet: true,
            terminal: false,
            bar: std::sync::Mutex::new(None),
        }
    }

    /// A progress line on stderr (not in quiet mode).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", text.as_ref());
        }
    }

    /// Starts or updates the countdown to the next window: a bar at a terminal, else one plain line.
    pub fn countdown(&self, left: Duration, total: Duration, what: &str) {
        if self.quiet {
            return;
        }
        let Ok(mut bar) = self.bar.lock() else { return };
        if bar.is_none() {
            if self.terminal {
                let pb = ProgressBar::with_draw_target(
                    Some(total.as_millis() as u64),
                    ProgressDrawTarget::stderr(),
                );
                pb.set_style(
                    ProgressStyle::with_template("{msg} [{bar:30}] {prefix}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                pb.set_message(what.to_string());
                *bar = Some(pb);
            } else {
                eprintln!(
                    "{what}: waiting {} s for the next window",
                    left.as_secs_f64().ceil() as u64
                );
                *bar = Some(ProgressBar::hidden());
            }
        }
        if let Some(pb) = bar.as_ref() {
            pb.set_position((total.saturating_sub(left)).as_millis() as u64);
            pb.set_prefix(format!("{:>2} s", left.as_secs_f64().ceil() as u64));
        }
    }

    /// Ends the countdown.
    pub fn countdown_done(&self) {
        if let Ok(mut bar) = self.bar.lock()
            && let Some(pb) = bar.take()
        {
            pb.finish_and_clear();
        }
    }

    /// The final report of a successful resync.
    pub fn resynced(&self, report: &ResyncReport) {
        match self.format {
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

    /// Prints a pair of codes: the one place codes are meant to be shown.
    pub fn codes(&self, code1: &str, code2: &str, counters: (u64, u64), period: u64) {
        match self.format {
            OutputFormat::Json => print_stdout(
                &json!({ "AuthenticationCode1": code1, "AuthenticationCode2": code2, "Counters": [counters.0, counters.1], "Period": period })
                    .to_string(),
            ),
            OutputFormat::Text => print_stdout(&format!("{code1}\n{code2}")),
        }
    }
}

/// Writes one result to stdout; a closed pipe is not worth a panic.
fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// `HH:MM:SS UTC` of a Unix time, for telling the user when the next window opens.
pub fn utc_time_of_day(t: Duration) -> String {
    let s = t.as_secs() % 86_400;
    format!("{:02}:{:02}:{:02} UTC", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_of_day() {
        assert_eq!(
            utc_time_of_day(Duration::from_secs(1_111_111_109)),
            "01:58:29 UTC"
        );
    }
}
