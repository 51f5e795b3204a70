//! The result of `enroll` for people; programs get [`super::schema::EnrollReport`].

use super::schema::{EnrollReport, EnrolledKey};
use super::{OutputFormat, Reporter, print_json, request_id};

impl Reporter {
    /// The final report of an enrolment.
    pub fn enrolled(&self, report: &EnrollReport) {
        match self.format() {
            OutputFormat::Json => print_json(report),
            OutputFormat::Text => {
                let key_name = |k: &EnrolledKey| {
                    let name = k
                        .serial
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| format!("the key in {}", k.reader));
                    format!("{name} ({})", k.role)
                };
                let touch = if report.touch {
                    " (touch required)"
                } else {
                    ""
                };
                if let [device] = report.devices.as_slice() {
                    self.line(format!(
                        "Enrolled {} for user {}{}.",
                        device.serial,
                        report.user,
                        request_id(device.request_id.as_deref())
                    ));
                    let keys: Vec<String> = report.keys.iter().map(key_name).collect();
                    self.line(format!("  Keys: {}", keys.join(", ")));
                    self.line(format!("  OATH name: {}{touch}", device.oath_name));
                } else {
                    self.line(format!(
                        "Enrolled {} devices for user {}, one for each key:",
                        report.devices.len(),
                        report.user
                    ));
                    for device in &report.devices {
                        let keys: Vec<String> = report
                            .keys
                            .iter()
                            .filter(|k| k.device == device.serial)
                            .map(key_name)
                            .collect();
                        self.line(format!(
                            "  {} on {}, OATH name {}{touch}{}",
                            device.serial,
                            keys.join(", "),
                            device.oath_name,
                            request_id(device.request_id.as_deref())
                        ));
                    }
                }
                if let Some(backup) = &report.backup {
                    self.line(format!("  Seed backup: {backup}"));
                }
                self.line(match (&report.old, report.replaced) {
                    (Some(old), true) => format!("  Replaced: {old}"),
                    (Some(old), false) => format!("  Replaced: no ({old} is still there)"),
                    (None, _) => "  Replaced: no".to_string(),
                });
                let each = if report.devices.len() > 1 {
                    " (the primary key's; each key resyncs its own device)"
                } else {
                    ""
                };
                self.line(format!(
                    "  mfa_serial for an AWS CLI or aws-vault profile: {}{each}",
                    report.serial
                ));
            }
        }
    }
}
