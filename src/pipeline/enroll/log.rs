//! An enrolment's audit lines: one per step (`create`, `put` per key, `enable`, `deactivate` and
//! `delete` of the replaced device, `rollback` per step undone), never a seed or a code. A line
//! that cannot be written is said at once; the log remembers it and the command ends non-zero.

use std::sync::Mutex;

use crate::audit::{Attempt, AuditLog};
use crate::report::Reporter;

/// Writes the steps of one enrolment.
pub struct StepLog<'a> {
    audit: Option<&'a Mutex<AuditLog>>,
    operator: Option<String>,
    user: String,
    serial: String,
    reporter: Reporter,
}

impl<'a> StepLog<'a> {
    /// The steps of `user`'s new device `serial`, by `operator`.
    pub fn new(
        audit: Option<&'a Mutex<AuditLog>>,
        operator: Option<String>,
        user: &str,
        serial: &str,
        reporter: &Reporter,
    ) -> Self {
        StepLog {
            audit,
            operator,
            user: user.to_string(),
            serial: serial.to_string(),
            reporter: reporter.clone(),
        }
    }

    /// The log, for the wrapper of the Enable's submissions.
    pub fn audit(&self) -> Option<&'a Mutex<AuditLog>> {
        self.audit
    }

    /// One line: `step` on `serial` (the key `device_serial`), and how it ended.
    pub fn step(
        &self,
        step: &str,
        serial: &str,
        device_serial: Option<&str>,
        result: &str,
        request_id: Option<&str>,
    ) {
        let Some(log) = self.audit else { return };
        let attempt = Attempt {
            step: Some(step),
            operator: self.operator.as_deref(),
            user: &self.user,
            serial,
            source: "yubikey",
            device_serial,
            attempt: 1,
            counters: None,
            result,
            request_id,
        };
        let written = AuditLog::record_shared(log, &attempt);
        if let Err(problem) = written {
            self.reporter.warn(problem);
        }
    }

    /// A step on the new device itself.
    pub fn device(&self, step: &str, result: &str, request_id: Option<&str>) {
        self.step(step, &self.serial, None, result, request_id);
    }

    /// A step on a key (its serial), for the new device's credential.
    pub fn key(&self, step: &str, device_serial: Option<&str>, result: &str) {
        self.step(step, &self.serial, device_serial, result, None);
    }

    /// A rollback step on a device.
    pub fn rollback(
        &self,
        serial: &str,
        device_serial: Option<&str>,
        result: &str,
        request_id: Option<&str>,
    ) {
        self.step("rollback", serial, device_serial, result, request_id);
    }

    /// A rollback step on a key.
    pub fn rollback_key(&self, device_serial: Option<&str>, result: &str) {
        self.step("rollback", &self.serial, device_serial, result, None);
    }
}
