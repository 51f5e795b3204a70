//! The result of `enroll` for people; programs get [`super::schema::EnrollReport`].

use super::schema::EnrollReport;
use super::{OutputFormat, Reporter, print_json};

impl Reporter {
    /// The final report of an enrolment.
    pub fn enrolled(&self, report: &EnrollReport) {
        match self.format() {
            OutputFormat::Json => print_json(report),
            OutputFormat::Text => {
                let keys: Vec<String> = report
                    .keys
                    .iter()
                    .map(|k| {
                        let name = k
                            .serial
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| format!("the key in {}", k.reader));
                        format!("{name} ({})", k.role)
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
