//! The result of `enroll`: lines for people, one JSON object for programs (`SerialNumber`,
//! `UserName`, `Keys`, `OathName`, `Replaced`, …). Printed also when the new device works but the
//! replacement did not finish, so that a script learns the new serial either way.

use serde_json::json;

use super::{OutputFormat, Reporter, print_stdout};

/// One key written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolledKey {
    /// Its serial, when it reports one.
    pub serial: Option<u32>,
    /// Its reader.
    pub reader: String,
}

/// An enrolment, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollReport {
    /// The user.
    pub user: String,
    /// The new device's serial (ARN).
    pub serial: String,
    /// The keys written, primary first.
    pub keys: Vec<EnrolledKey>,
    /// The credential's name on them.
    pub oath_name: String,
    /// Whether codes need a touch.
    pub touch: bool,
    /// Keys on which a credential of that name was written over.
    pub overwritten: Vec<String>,
    /// The seed's backup file.
    pub backup: Option<String>,
    /// The device `--replace` named.
    pub old: Option<String>,
    /// Whether it was deactivated (and deleted, when virtual).
    pub replaced: bool,
    /// Enable's request id.
    pub request_id: Option<String>,
}

impl Reporter {
    /// The final report of an enrolment.
    pub fn enrolled(&self, report: &EnrollReport) {
        match self.format() {
            OutputFormat::Json => {
                let keys: Vec<_> = report
                    .keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        json!({
                            "Serial": k.serial,
                            "Reader": k.reader,
                            "Role": if i == 0 { "primary" } else { "backup" },
                        })
                    })
                    .collect();
                let value = json!({
                    "Result": "enrolled",
                    "SerialNumber": report.serial,
                    "UserName": report.user,
                    "Keys": keys,
                    "OathName": report.oath_name,
                    "Touch": report.touch,
                    "Overwritten": report.overwritten,
                    "BackupSeedFile": report.backup,
                    "Replaced": report.replaced,
                    "ReplacedSerialNumber": report.old,
                    "RequestId": report.request_id,
                });
                print_stdout(&value.to_string());
            }
            OutputFormat::Text => {
                let keys: Vec<String> = report
                    .keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let name = k
                            .serial
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| format!("the key in {}", k.reader));
                        if i == 0 {
                            format!("{name} (primary)")
                        } else {
                            name
                        }
                    })
                    .collect();
                let request = report
                    .request_id
                    .as_deref()
                    .map(|id| format!(" (request id {id})"))
                    .unwrap_or_default();
                self.line(format!(
                    "Enrolled {} for user {}{request}.",
                    report.serial, report.user
                ));
                self.line(format!("  Keys: {}", keys.join(", ")));
                self.line(format!(
                    "  OATH name: {}{}",
                    report.oath_name,
                    if report.touch {
                        " (touch required)"
                    } else {
                        ""
                    }
                ));
                if let Some(backup) = &report.backup {
                    self.line(format!("  Seed backup: {backup}"));
                }
                self.line(match (&report.old, report.replaced) {
                    (Some(old), true) => format!("  Replaced: {old}"),
                    (Some(old), false) => format!("  Replaced: no ({old} is still there)"),
                    (None, _) => "  Replaced: no".to_string(),
                });
            }
        }
    }
}
