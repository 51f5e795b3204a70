//! A validated `station`: which readers to watch, which accounts' credentials to serve, how many
//! keys at once, and how to report and audit. Checked before any I/O; whether a named reader
//! exists is checked against the readers there are ([`StationRequest::check_readers`]) before the
//! station asks AWS anything.

use std::path::PathBuf;

use super::aws::{AwsOptions, validate_aws};
use super::code_source::check_reader;
use super::resync::audit_log_path;
use crate::model::is_account_id;
use crate::model::{Field, InputError, Problem, Takes, refuse_seed};
use crate::report::OutputFormat;

/// Keys served at once by default: as many `ResyncMFADevice` requests as a `--batch` keeps in
/// flight, so that a full hub does not look like a burst to IAM's throttling.
pub const DEFAULT_MAX_KEYS: u32 = 8;

/// The most keys a station serves at once: each key in service holds a PC/SC connection and,
/// while a code is read, a thread.
pub const MAX_KEYS: u32 = 64;

/// A validated `station`.
#[derive(Debug, Clone)]
pub struct StationRequest {
    /// The readers to watch; every reader (and those plugged in later) when empty.
    pub readers: Vec<String>,
    /// The accounts whose credentials are served; the caller's when empty.
    pub accounts: Vec<String>,
    /// Keys served at once; more wait their turn.
    pub max_keys: u32,
    /// Serve the keys present, or the first key inserted, then exit with its exit code.
    pub once: bool,
    /// `--output`, when given (else text at a terminal, JSON events elsewhere).
    pub output: Option<OutputFormat>,
    /// `--audit-log`
    pub audit_log: Option<PathBuf>,
    /// How to reach AWS.
    pub aws: AwsOptions,
}

impl StationRequest {
    /// Checks every flag, before any I/O: `--reader` each time it is given, `--accounts` each id
    /// as given.
    pub fn validate(
        readers: Vec<String>,
        accounts: Vec<String>,
        max_keys: Option<u32>,
        once: bool,
        output: Option<OutputFormat>,
        aws: AwsOptions,
        audit_log: Option<PathBuf>,
    ) -> Result<StationRequest, InputError> {
        let readers = each_once(readers, check_reader)?;
        let accounts = each_once(accounts, check_account)?;
        let max_keys = max_keys.unwrap_or(DEFAULT_MAX_KEYS);
        if !(1..=MAX_KEYS).contains(&max_keys) {
            return Err(InputError::flag(
                "--max-keys",
                Problem::MaxKeys { value: max_keys },
            ));
        }
        Ok(StationRequest {
            readers,
            accounts,
            max_keys,
            once,
            output,
            audit_log: audit_log_path(audit_log)?,
            aws: validate_aws(aws)?,
        })
    }

    /// The format of the events: `--output`, else text when a person watches stdout and JSON
    /// lines when a program reads it (a dashboard, a SIEM, the journal).
    pub fn format(&self, stdout_is_terminal: bool) -> OutputFormat {
        self.output.unwrap_or(if stdout_is_terminal {
            OutputFormat::Text
        } else {
            OutputFormat::Json
        })
    }

    /// Refuses a `--reader` that names none of `available`, naming those there are.
    pub fn check_readers(&self, available: &[String]) -> Result<(), InputError> {
        for name in &self.readers {
            if !available.contains(name) {
                return Err(InputError::flag(
                    "--reader",
                    Problem::NoSuchReader {
                        name: name.clone(),
                        readers: available.to_vec(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// The accounts to serve, once the caller's is known: `--accounts`, each of which must be the
    /// caller's (IAM acts on devices of the caller's own account only), else the caller's.
    pub fn served_accounts(&self, caller_account: &str) -> Result<Vec<String>, InputError> {
        if let Some(other) = self.accounts.iter().find(|a| *a != caller_account) {
            return Err(InputError::flag(
                "--accounts",
                Problem::OtherAccount {
                    other: other.clone(),
                    caller: caller_account.to_string(),
                },
            ));
        }
        Ok(vec![caller_account.to_string()])
    }
}

/// `values` each checked, and each kept once, in the order given.
fn each_once(
    values: Vec<String>,
    check: fn(&str) -> Result<(), InputError>,
) -> Result<Vec<String>, InputError> {
    let mut kept: Vec<String> = Vec::new();
    for value in values {
        check(&value)?;
        if !kept.contains(&value) {
            kept.push(value);
        }
    }
    Ok(kept)
}

/// An AWS account id: exactly 12 ASCII digits (IAM's ARNs and `sts:GetCallerIdentity` write it so,
/// leading zeros included). An alias is not taken: the key's credentials are matched by id first.
fn check_account(account: &str) -> Result<(), InputError> {
    refuse_seed(Field::flag("--accounts"), account, Takes::Accounts)?;
    if is_account_id(account) {
        return Ok(());
    }
    Err(InputError::flag(
        "--accounts",
        Problem::NotAnAccountId {
            shown: account.chars().take(24).collect(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `station` with these flags, the others left out.
    fn station(
        readers: &[&str],
        accounts: &[&str],
        max_keys: Option<u32>,
        output: Option<OutputFormat>,
    ) -> Result<StationRequest, InputError> {
        let strings = |given: &[&str]| given.iter().map(|s| s.to_string()).collect();
        let (readers, accounts) = (strings(readers), strings(accounts));
        let aws = AwsOptions::default();
        StationRequest::validate(readers, accounts, max_keys, false, output, aws, None)
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        let ok = station(&[], &["012345678901", "012345678901"], None, None).unwrap();
        assert_eq!(ok.accounts, ["012345678901"], "given twice, served once");
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901a",
            "",
            " 123456789012",
        ] {
            let err = station(&[], &[bad], None, None).unwrap_err();
            assert!(err.to_string().starts_with("--accounts: "), "{bad}: {err}");
        }
    }

    #[test]
    fn max_keys_is_at_least_one_and_bounded() {
        let request = station(&[], &[], None, None).unwrap();
        assert_eq!(request.max_keys, DEFAULT_MAX_KEYS);
        for bad in [0, MAX_KEYS + 1] {
            let err = station(&[], &[], Some(bad), None).unwrap_err();
            assert!(err.to_string().contains("--max-keys: is"), "{err}");
        }
    }

    #[test]
    fn readers_are_checked_against_those_there_are() {
        let request = station(&["Virtual PCD 00 00", "ACS ACR122U"], &[], None, None).unwrap();
        let there = ["Virtual PCD 00 00".to_string(), "Virtual PCD 00 01".into()];
        let err = request.check_readers(&there).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--reader: no reader is named \"ACS ACR122U\"; the readers are: Virtual PCD 00 00, Virtual PCD 00 01"
        );
        assert!(request.check_readers(&[]).is_err());
        assert!(station(&[" "], &[], None, None).is_err());
    }

    #[test]
    fn only_the_callers_account_can_be_served() {
        let mine = station(&[], &["123456789012"], None, None).unwrap();
        assert_eq!(
            mine.served_accounts("123456789012").unwrap(),
            ["123456789012"]
        );
        let err = mine.served_accounts("999999999999").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("--accounts: 123456789012 is not the account"),
            "{err}"
        );
        let callers = station(&[], &[], None, None).unwrap();
        assert_eq!(
            callers.served_accounts("999999999999").unwrap(),
            ["999999999999"]
        );
    }

    #[test]
    fn the_format_follows_the_terminal_unless_given() {
        let request = station(&[], &[], None, None).unwrap();
        assert_eq!(request.format(true), OutputFormat::Text);
        assert_eq!(request.format(false), OutputFormat::Json);
        let text = station(&[], &[], None, Some(OutputFormat::Text)).unwrap();
        assert_eq!(text.format(false), OutputFormat::Text);
    }
}
