//! The tables of `--batch`, `devices` and `doctor` for people; programs get their
//! [`super::schema`] types.

use super::escape::{escape, escape_lines};
use super::schema::{
    BatchReport, BatchRowReport, Check, CheckStatus, CredentialDevice, DevicesReport, ListedKey,
    ReaderState, RowResult,
};
use super::{OutputFormat, Reporter, on_attempt, print_json};
use crate::exit::Exit;

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
            status: CheckStatus::Warn,
            fix: Some(fix.into()),
            ..Check::ok(name, detail)
        }
    }

    /// A check that could not run, and why.
    pub fn skipped(name: &'static str, reason: impl Into<String>) -> Check {
        Check {
            status: CheckStatus::Skipped,
            ..Check::ok(name, reason)
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
            status: CheckStatus::Fail,
            fix,
            exit,
            ..Check::ok(name, detail)
        }
    }
}

impl Reporter {
    /// The table of a `--batch` run; printed even when it was interrupted, so that what was sent is
    /// on record.
    pub fn batch(&self, rows: &[BatchRowReport]) {
        let text = match self.format() {
            OutputFormat::Json => return print_json(&BatchReport::of(rows)),
            OutputFormat::Text => {
                if self.quiet() && rows.iter().all(|r| r.result.succeeded()) {
                    return;
                }
                batch_text(rows)
            }
        };
        write_stdout(&text);
    }

    /// The readers and keys of `devices`.
    pub fn devices(&self, readers: &[ReaderState], keys: &[ListedKey]) {
        match self.format() {
            OutputFormat::Json => print_json(&DevicesReport { readers, keys }),
            OutputFormat::Text => write_stdout(&devices_text(readers, keys)),
        }
    }

    /// The checks of `doctor`.
    pub fn doctor(&self, checks: &[Check]) {
        match self.format() {
            OutputFormat::Json => print_json(&checks),
            OutputFormat::Text => write_stdout(&doctor_text(checks)),
        }
    }
}

/// A table's lines, each escaped (its values were, so that none can start a row of its own).
fn write_stdout(text: &str) {
    super::write_to(&mut std::io::stdout().lock(), "stdout", &escape_lines(text));
}

/// Where a credential's codes would go, in a few words.
fn device_text(device: &CredentialDevice) -> String {
    match device {
        CredentialDevice::Found {
            serial_number,
            user_name,
        } => format!("{} (user {})", escape(serial_number), escape(user_name)),
        CredentialDevice::Stale { detail } => format!("stale: {}", escape(detail)),
        CredentialDevice::NotFound { detail } => format!("not found: {}", escape(detail)),
        CredentialDevice::OtherAccount { account } => {
            format!("in account {}, not the caller's", escape(account))
        }
        CredentialDevice::Unusable { detail } => escape(detail).into_owned(),
    }
}

fn batch_text(rows: &[BatchRowReport]) -> String {
    let mut text = format!(
        "{:<5} {:<20} {:<45} {}\n",
        "LINE", "USER", "SERIAL", "RESULT"
    );
    for r in rows {
        let result = match &r.result {
            RowResult::Resynced { attempts, .. } => format!("resynced{}", on_attempt(*attempts)),
            RowResult::Failed { exit, error } => {
                format!("failed (exit {}): {}", exit.code(), escape(error))
            }
        };
        text.push_str(&format!(
            "{:<5} {:<20} {:<45} {result}\n",
            r.line, r.user, r.serial
        ));
    }
    text
}

fn devices_text(readers: &[ReaderState], listed: &[ListedKey]) -> String {
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
            k.firmware,
            k.form_factor,
            k.transport,
            escape(&k.reader)
        ));
        match &item.accounts {
            None => {}
            Some(Ok(accounts)) if accounts.is_empty() => text.push_str("    (no OATH accounts)\n"),
            Some(Ok(accounts)) => {
                for credential in accounts {
                    let (a, profiles) = (&credential.account, &credential.profiles);
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
                    text.push_str(&format!(
                        "    {}  {kind}{touch}{used}\n",
                        escape(&a.display_name())
                    ));
                    if let Some(device) = &credential.device {
                        text.push_str(&format!("      device: {}\n", device_text(device)));
                    }
                }
            }
            Some(Err(e)) => text.push_str(&format!("    accounts not listed: {}\n", escape(e))),
        }
    }
    let others: Vec<String> = readers
        .iter()
        .filter(|r| !listed.iter().any(|l| l.key.reader == r.name))
        .map(|r| {
            let state = if r.held_by_another_program {
                "held by another program: GnuPG's scdaemon? `gpgconf --kill scdaemon` frees it"
            } else if r.card_present {
                "another card"
            } else {
                "empty"
            };
            format!("{} ({state})", escape(&r.name))
        })
        .collect();
    if readers.is_empty() {
        text.push_str("No smart-card reader is connected.\n");
    } else if !others.is_empty() {
        text.push_str(&format!("Other readers: {}\n", others.join(", ")));
    }
    text
}

fn doctor_text(checks: &[Check]) -> String {
    let mut text = String::new();
    for c in checks {
        text.push_str(&format!(
            "{:<4}  {:<12} {}\n",
            c.status.word(),
            c.name,
            escape(&c.detail)
        ));
        if c.status != CheckStatus::Ok
            && let Some(fix) = &c.fix
        {
            text.push_str(&format!("      {:<12} fix: {}\n", "", escape(fix)));
        }
    }
    text
}
