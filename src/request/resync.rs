//! A validated `resync` or `codes`: the target, where the codes come from and the window mode,
//! checked together before any I/O. The AWS CLI's own values come as a [`ResyncInput`] (a flag or a
//! `--cli-input-json` key each); nothing that leaves this module can hold an invalid value.

use std::path::PathBuf;

use super::aws::{AwsOptions, validate_aws};
use super::code_source::{SourceChoice, SourceSpec};
use crate::model::{AuthCode, SerialNumber, UserName};
use crate::model::{Field, InputError, Origin, Problem, Takes, Usage, refuse_seed};
use crate::window::Mode;

/// The keys `--cli-input-json` takes: the AWS CLI's for `resync-mfa-device`.
pub const JSON_KEYS: [&str; 4] = [
    "UserName",
    "SerialNumber",
    "AuthenticationCode1",
    "AuthenticationCode2",
];

/// Keys that `codes --output json` prints besides the codes: taken and ignored, so that its output
/// can be fed back as it is (`codes --output json > req.json`, then `--cli-input-json file://req.json`).
pub const IGNORED_JSON_KEYS: [&str; 2] = ["Counters", "Period"];

/// A value as the user gave it, and where (a flag or a `--cli-input-json` key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// The text.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

/// The code flags as the user spelled them: `--authentication-code-1` (AWS CLI v2) or
/// `--authentication-code1` (v1); both are accepted, and an error names the one written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodeFlags {
    /// AWS CLI v2's spelling.
    #[default]
    V2,
    /// AWS CLI v1's spelling.
    V1,
}

impl CodeFlags {
    fn code1(self, origin: Origin) -> Field {
        let flag = match self {
            CodeFlags::V2 => "--authentication-code-1",
            CodeFlags::V1 => "--authentication-code1",
        };
        Field::request(flag, "AuthenticationCode1", origin)
    }

    fn code2(self, origin: Origin) -> Field {
        let flag = match self {
            CodeFlags::V2 => "--authentication-code-2",
            CodeFlags::V1 => "--authentication-code2",
        };
        Field::request(flag, "AuthenticationCode2", origin)
    }
}

/// What the AWS CLI's `resync-mfa-device` takes, each value a flag's or a `--cli-input-json` key's
/// (flags win), not yet checked: where each came from is what an error names.
#[derive(Debug, Clone, Default)]
pub struct ResyncInput {
    /// How the code flags were spelled.
    pub code_flags: CodeFlags,
    /// `--user-name` / `UserName`
    pub user_name: Option<Given>,
    /// `--serial-number` / `SerialNumber`
    pub serial_number: Option<Given>,
    /// `--authentication-code-1` / `AuthenticationCode1`
    pub code1: Option<Given>,
    /// `--authentication-code-2` / `AuthenticationCode2`
    pub code2: Option<Given>,
}

/// The codes of a resync: given by the user, or read from a source.
#[derive(Debug)]
pub enum CodePlan {
    /// Both codes given by the user.
    Given(AuthCode, AuthCode),
    /// Read from a source.
    Read(SourceSpec),
}

impl Given {
    /// The value, if given, parsed by `parse`, which names where it came from in an error.
    fn parse<T>(
        given: Option<Given>,
        parse: impl FnOnce(&str, Origin) -> Result<T, InputError>,
    ) -> Result<Option<T>, InputError> {
        given.map(|g| parse(&g.value, g.origin)).transpose()
    }
}

/// How a target's pairs are read and sent: waiting for a fresh window or not, and how many pairs
/// at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Wait for a fresh window or not.
    pub mode: Mode,
    /// At most this many pairs.
    pub max_attempts: u32,
}

/// A validated `resync`.
#[derive(Debug)]
pub struct ResyncRequest {
    /// The user, or `None` for the caller.
    pub user: Option<UserName>,
    /// The device, or `None` to look it up.
    pub serial: Option<SerialNumber>,
    /// Where the codes come from.
    pub codes: CodePlan,
    /// How its pairs are read and sent.
    pub pace: Pace,
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// `--audit-log`
    pub audit_log: Option<PathBuf>,
}

impl ResyncRequest {
    /// Checks every field and their combinations, before any I/O.
    pub fn validate(
        given: ResyncInput,
        source: SourceChoice,
        pace: Pace,
        aws: AwsOptions,
        audit_log: Option<PathBuf>,
    ) -> Result<ResyncRequest, InputError> {
        let flags = given.code_flags;
        let user = Given::parse(given.user_name, UserName::parse)?;
        let serial = Given::parse(given.serial_number, SerialNumber::parse)?;
        let code1 = Given::parse(given.code1, |v, o| AuthCode::parse(v, flags.code1(o)))?;
        let code2 = Given::parse(given.code2, |v, o| AuthCode::parse(v, flags.code2(o)))?;
        let spec = source.spec()?;
        // Read only when it is the source: aws-vault's variables must not fail a seed or given codes.
        let default_key = source.yubikey();
        let codes = code_plan(code1, code2, spec, pace.mode, flags, default_key)?;
        let mut aws = validate_aws(aws)?;
        aws.partition = serial.as_ref().and_then(SerialNumber::partition);
        Ok(ResyncRequest {
            user,
            serial,
            codes,
            pace,
            aws,
            audit_log: audit_log_path(audit_log)?,
        })
    }
}

/// `--audit-log`'s path, which errors name: never a seed. (The file itself is checked when it is
/// opened, by the audit log.)
pub fn audit_log_path(path: Option<PathBuf>) -> Result<Option<PathBuf>, InputError> {
    if let Some(path) = &path {
        refuse_seed(
            Field::flag("--audit-log"),
            &path.to_string_lossy(),
            Takes::AuditLog,
        )?;
    }
    Ok(path)
}

fn code_plan(
    code1: Option<AuthCode>,
    code2: Option<AuthCode>,
    source: Option<SourceSpec>,
    mode: Mode,
    flags: CodeFlags,
    default_key: Result<SourceSpec, InputError>,
) -> Result<CodePlan, InputError> {
    match (code1, code2, source) {
        (Some(c1), Some(c2), None) => {
            if c1 == c2 {
                return Err(InputError::invalid(
                    flags.code2(Origin::Flag),
                    Problem::SameAsCode1,
                ));
            }
            if mode == Mode::NoWait {
                return Err(Usage::NoWaitWithCodes.into());
            }
            Ok(CodePlan::Given(c1, c2))
        }
        (Some(_), Some(_), Some(_)) => Err(Usage::CodesAndSource.into()),
        (Some(_), None, _) => Err(InputError::invalid(
            flags.code2(Origin::Flag),
            Problem::CodeMissing { other: 1 },
        )),
        (None, Some(_), _) => Err(InputError::invalid(
            flags.code1(Origin::Flag),
            Problem::CodeMissing { other: 2 },
        )),
        (None, None, Some(SourceSpec::OtpSlot { digits, .. })) if digits != 6 => Err(
            InputError::flag("--digits", Problem::DigitsForResync { digits }),
        ),
        (None, None, Some(SourceSpec::Prompt)) if mode == Mode::NoWait => {
            Err(Usage::NoWaitWithPrompt.into())
        }
        (None, None, Some(spec)) => Ok(CodePlan::Read(spec)),
        // No codes and no source: the YubiKey that is attached, the default.
        (None, None, None) => Ok(CodePlan::Read(default_key?)),
    }
}

/// A validated `codes`.
#[derive(Debug)]
pub struct CodesRequest {
    /// Where the codes come from.
    pub source: SourceSpec,
    /// Wait for a fresh window or not.
    pub mode: Mode,
}

impl CodesRequest {
    /// Checks the flags of `codes`: any source but a display token, which shows its own codes.
    pub fn validate(source: SourceChoice, mode: Mode) -> Result<CodesRequest, InputError> {
        let default_key = source.yubikey();
        let source = match source.spec()? {
            Some(SourceSpec::Prompt) => return Err(Usage::CodesFromPrompt.into()),
            Some(spec) => spec,
            None => default_key?,
        };
        Ok(CodesRequest { source, mode })
    }
}
