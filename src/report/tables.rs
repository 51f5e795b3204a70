//! The tables of `--batch`, `devices` and `doctor`, as text and as JSON: their data shapes live
//! here, so a command only fills them in.

use std::io::Write;

use serde_json::{Value, json};

use super::{OutputFormat, Reporter, print_stdout};
use crate::exit::Exit;
use crate::source::yubikey::{Account, KeyInfo};

/// What one `--batch` row came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRowReport {
    /// Its line in the file.
    pub line: usize,
    /// The user.
    pub user: String,
    /// The device (empty when it could not be found).
    pub serial: String,
    /// How it ended.
    pub result: RowResult,
}

/// How a row (or a key at a station) ended.
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

/// A credential on a key, with the configured profiles that would use it.
pub type UsedCredential = (Account, Vec<String>);

/// One key as `devices` lists it: its identity, and its credentials or why they could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    /// The key.
    pub key: KeyInfo,
    /// With `--accounts`: the credentials, each with the configured profiles that would use it,
    /// or the error that kept them from being listed.
    pub accounts: Option<Result<Vec<UsedCredential>, String>>,
}

/// How a `doctor` check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// Fine.
    Ok,
    /// Works, but worth fixing.
    Warn,
    /// Stands in the way.
    Fail,
    /// Could not run, because an earlier check failed.
    Skipped,
}

impl CheckStatus {
    fn word(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
            CheckStatus::Skipped => "skip",
        }
    }
}

/// One `doctor` check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// How it came out.
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// How to fix it, when it is not ok.
    pub fix: Option<String>,
    /// The exit code a failure of this check means.
    pub exit: Exit,
}

impl Check {
    /// A check that passed.
    pub fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: CheckStatus::Ok,
            detail: detail.into(),
            fix: None,
            exit: Exit::Success,
        }
    }

    /// A check that passed with a caveat.
    pub fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: CheckStatus::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
            exit: Exit::Success,
        }
    }

    /// A check that could not run, and why.
    pub fn skipped(name: &'static str, reason: impl Into<String>) -> Check {
        Check {
            name,
            status: CheckStatus::Skipped,
            detail: reason.into(),
            fix: None,
            exit: Exit::Success,
        }
    }

    /// A check that failed.
    pub fn fail(
        name: &'static str,
        detail: impl Into<String>,
        fix: Option<String>,
        exit: Exit,
    ) -> Check {
        Check {
            name,
            status: CheckStatus::Fail,
            detail: detail.into(),
            fix,
            exit,
        }
    }
}

impl Reporter {
    /// The table of a `--batch` run; printed even when it was interrupted, so that what was sent is
    /// on record.
    pub fn batch(&self, rows: &[BatchRowReport]) {
        let text = match self.format() {
            OutputFormat::Json => format!("{}\n", batch_json(rows)),
            OutputFormat::Text => {
                if self.quiet()
                    && rows
                        .iter()
                        .all(|r| matches!(r.result, RowResult::Resynced { .. }))
                {
                    return;
                }
                batch_text(rows)
            }
        };
        write_stdout(&text);
    }

    /// The readers and keys of `devices`.
    pub fn devices(&self, readers: &[(String, bool)], keys: &[ListedKey]) {
        match self.format() {
            OutputFormat::Json => print_stdout(&devices_json(readers, keys).to_string()),
            OutputFormat::Text => write_stdout(&devices_text(readers, keys)),
        }
    }

    /// The checks of `doctor`.
    pub fn doctor(&self, checks: &[Check]) {
        match self.format() {
            OutputFormat::Json => print_stdout(&doctor_json(checks).to_string()),
            OutputFormat::Text => write_stdout(&doctor_text(checks)),
        }
    }
}

fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn batch_json(rows: &[BatchRowReport]) -> Value {
    let results: Vec<Value> = rows
        .iter()
        .map(|r| {
            let (result, attempts, request_id, exit, error) = match &r.result {
                RowResult::Resynced {
                    attempts,
                    request_id,
                } => ("resynced", *attempts, request_id.clone(), 0, None),
                RowResult::Failed { exit, error } => {
                    ("failed", 0, None, exit.code(), Some(error.clone()))
                }
            };
            json!({"Line": r.line, "UserName": r.user, "SerialNumber": r.serial, "Result": result,
                   "Attempts": attempts, "RequestId": request_id, "ExitCode": exit, "Error": error})
        })
        .collect();
    let ok = rows
        .iter()
        .filter(|r| matches!(r.result, RowResult::Resynced { .. }))
        .count();
    json!({"Results": results, "Succeeded": ok, "Failed": rows.len() - ok})
}

fn batch_text(rows: &[BatchRowReport]) -> String {
    let mut text = format!(
        "{:<5} {:<20} {:<45} {}\n",
        "LINE", "USER", "SERIAL", "RESULT"
    );
    for r in rows {
        let result = match &r.result {
            RowResult::Resynced { attempts, .. } if *attempts > 1 => {
                format!("resynced on attempt {attempts}")
            }
            RowResult::Resynced { .. } => "resynced".to_string(),
            RowResult::Failed { exit, error } => format!("failed (exit {}): {error}", exit.code()),
        };
        text.push_str(&format!(
            "{:<5} {:<20} {:<45} {result}\n",
            r.line, r.user, r.serial
        ));
    }
    text
}

fn devices_text(readers: &[(String, bool)], listed: &[ListedKey]) -> String {
    let mut text = String::new();
    if listed.is_empty() {
        text.push_str("No YubiKey found.\n");
    }
    for item in listed {
        let k = &item.key;
        let serial = k
            .serial
            .map_or_else(|| "serial unknown".to_string(), |s| s.to_string());
        text.push_str(&format!(
            "YubiKey {serial}  firmware {}  {}  {}  reader \"{}\"\n",
            k.firmware, k.form_factor, k.transport, k.reader
        ));
        match &item.accounts {
            None => {}
            Some(Ok(accounts)) if accounts.is_empty() => text.push_str("    (no OATH accounts)\n"),
            Some(Ok(accounts)) => {
                for (a, profiles) in accounts {
                    let kind = if a.totp {
                        format!("TOTP {} s", a.period)
                    } else {
                        "HOTP".to_string()
                    };
                    let touch = if a.touch { "  touch" } else { "" };
                    let used = if profiles.is_empty() {
                        String::new()
                    } else {
                        format!("  (profile {})", profiles.join(", "))
                    };
                    text.push_str(&format!("    {}  {kind}{touch}{used}\n", a.display_name()));
                }
            }
            Some(Err(e)) => text.push_str(&format!("    accounts not listed: {e}\n")),
        }
    }
    let others: Vec<String> = readers
        .iter()
        .filter(|(name, _)| !listed.iter().any(|l| l.key.reader == *name))
        .map(|(name, present)| {
            format!(
                "{name} ({})",
                if *present { "another card" } else { "empty" }
            )
        })
        .collect();
    if readers.is_empty() {
        text.push_str("No smart-card reader is connected.\n");
    } else if !others.is_empty() {
        text.push_str(&format!("Other readers: {}\n", others.join(", ")));
    }
    text
}

fn devices_json(readers: &[(String, bool)], listed: &[ListedKey]) -> Value {
    json!({
        "Readers": readers.iter().map(|(name, present)| json!({"Name": name, "CardPresent": present})).collect::<Vec<_>>(),
        "YubiKeys": listed.iter().map(|item| {
            let k = &item.key;
            let mut value = json!({
                "Serial": k.serial,
                "Firmware": k.firmware,
                "FormFactor": k.form_factor,
                "Transport": k.transport,
                "Reader": k.reader,
            });
            match &item.accounts {
                None => {}
                Some(Ok(accounts)) => {
                    value["Accounts"] = accounts.iter().map(|(a, profiles)| json!({
                        "Issuer": a.issuer,
                        "Name": a.name,
                        "Type": if a.totp { "TOTP" } else { "HOTP" },
                        "Period": a.totp.then_some(a.period),
                        "Touch": a.touch,
                        "Profiles": profiles,
                    })).collect::<Vec<_>>().into();
                }
                Some(Err(e)) => value["AccountsError"] = e.clone().into(),
            }
            value
        }).collect::<Vec<_>>(),
    })
}

fn doctor_text(checks: &[Check]) -> String {
    let mut text = String::new();
    for c in checks {
        text.push_str(&format!(
            "{:<4}  {:<12} {}\n",
            c.status.word(),
            c.name,
            c.detail
        ));
        if c.status != CheckStatus::Ok
            && let Some(fix) = &c.fix
        {
            text.push_str(&format!("      {:<12} fix: {fix}\n", ""));
        }
    }
    text
}

fn doctor_json(checks: &[Check]) -> Value {
    json!(checks
        .iter()
        .map(|c| json!({"Check": c.name, "Status": c.status.word(), "Detail": c.detail, "Fix": c.fix}))
        .collect::<Vec<_>>())
}
