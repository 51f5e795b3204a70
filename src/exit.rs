//! The documented exit codes: one table ([`Exit::ALL`]) from which `--help`, the man page and the
//! README's table are made (a test holds the README to it), so the three can never disagree.
//!
//! This module owns the numbers and their meanings only; which error maps to which code is decided
//! by the catalogue (`messages`).

use std::process::ExitCode;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Exit {
    /// Resynced, or done.
    Success = 0,
    /// The system refused what the tool needs to run (a thread, a timer); nothing was sent.
    Internal = 1,
    /// Bad input: usage, validation, a seed file with loose permissions.
    Input = 2,
    /// Device: none found, removed, touch timed out, wrong password, credential not found.
    Device = 3,
    /// AWS credentials or permission.
    Credentials = 4,
    /// AWS refused the codes.
    CodesRefused = 5,
    /// AWS found no such user or device.
    NoSuchEntity = 6,
    /// AWS or network failure after the last attempt.
    ServiceFailure = 7,
    /// Resynced or enrolled, but the audit log could not be written.
    AuditFailed = 8,
    /// Enrolled (or retiring), but the device `--replace` (or `retire`) named is still active or
    /// still exists.
    NotReplaced = 9,
    /// An enrolment failed and its rollback did not finish: something is left to remove by hand.
    RollbackIncomplete = 10,
    /// Stopped by a signal or a closed output.
    Interrupted = 130,
}

impl Exit {
    /// Every code with its meaning, in order: the one source of the help text, the man page's EXIT
    /// STATUS section and the README's table.
    pub const ALL: [(Exit, &'static str); 12] = [
        (
            Exit::Success,
            "resynced or enrolled (for `codes`, `devices`, `doctor`: done)",
        ),
        (
            Exit::Internal,
            "the system refused what the tool needs to run (a thread, a timer); nothing was sent",
        ),
        (
            Exit::Input,
            "bad input: usage, a field that fails validation, a seed file with loose permissions",
        ),
        (
            Exit::Device,
            "device: none found, several without a choice, removed, touch timed out, wrong password, credential not found",
        ),
        (
            Exit::Credentials,
            "AWS credentials or permission: none found, expired, refused, AccessDenied",
        ),
        (
            Exit::CodesRefused,
            "AWS refused the codes: InvalidAuthenticationCode",
        ),
        (
            Exit::NoSuchEntity,
            "AWS found no such user or device: NoSuchEntity",
        ),
        (
            Exit::ServiceFailure,
            "AWS or network failure after the last attempt: ServiceFailure, throttling, timeout",
        ),
        (
            Exit::AuditFailed,
            "resynced or enrolled, but the audit log could not be written (do not run again)",
        ),
        (
            Exit::NotReplaced,
            "enrolled, or retiring, but the device --replace or retire named was not deactivated or deleted: run the printed commands",
        ),
        (
            Exit::RollbackIncomplete,
            "enrolment failed and its rollback did not finish: run the printed commands to remove what is left",
        ),
        (
            Exit::Interrupted,
            "stopped by SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT, or a closed output; the message says whether any pair was sent",
        ),
    ];

    /// The number.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The `Exit codes:` block of `--help`, for the codes a command can return: each meaning
    /// wrapped under itself, so that the numbers stand out in a terminal of 80 columns.
    pub fn help_text(codes: &[Exit]) -> String {
        const WIDTH: usize = 78;
        let mut lines = vec![String::from("Exit codes:")];
        for (exit, meaning) in Exit::ALL.iter().filter(|(e, _)| codes.contains(e)) {
            let mut line = format!("  {:<4}", exit.code());
            for word in meaning.split(' ') {
                if line.len() + 1 + word.len() >= WIDTH && line.trim().len() > 4 {
                    lines.push(std::mem::replace(&mut line, " ".repeat(6)));
                }
                line.push(' ');
                line.push_str(word);
            }
            lines.push(line);
        }
        lines.join("\n")
    }

    /// Enrolment's own codes (9 and 10), which `resync` and `station` never return.
    pub const ENROLMENT_ONLY: [Exit; 2] = [Exit::NotReplaced, Exit::RollbackIncomplete];

    /// Every code but `left_out`: `resync` and `station` leave out [`Exit::ENROLMENT_ONLY`],
    /// `retire` a resync's and a rollback's (5 and 10).
    pub fn all_but(left_out: &[Exit]) -> Vec<Exit> {
        Exit::ALL
            .iter()
            .map(|(exit, _)| *exit)
            .filter(|e| !left_out.contains(e))
            .collect()
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_meaning_in_order() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|(e, _)| e.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "ascending, no duplicates");
        assert!(Exit::ALL.iter().all(|(_, m)| !m.is_empty()));
        assert_eq!(Exit::Interrupted.code(), 130);
    }

    #[test]
    fn help_lists_only_the_codes_asked_for() {
        let text = Exit::help_text(&[Exit::Success, Exit::Input, Exit::Device]);
        assert!(text.starts_with("Exit codes:\n  0    "), "{text}");
        assert!(text.contains("\n  3    device"), "{text}");
        assert!(!text.contains("\n  5 "), "{text}");
    }
}
