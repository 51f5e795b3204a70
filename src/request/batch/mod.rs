//! A validated `resync --batch FILE`: the file's rows (CSV with a header, or JSON lines), each
//! checked as a `resync` would be, before anything is read or sent.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::files::{self, FileProblem};

use super::aws::{AwsChoice, AwsOptions};
use super::json_object::{Members, NotAnObject};
use super::resync::{Output, audit_log_path};
use super::source::{SourceChoice, SourceKind, SourceSpec};
use crate::model::{Field, InputError, Origin};
use crate::model::{SerialNumber, UserName};
use crate::model::{looks_like_seed, name_hint, refuse_seed};
use crate::window::Mode;

/// The most rows a batch takes; a help desk's hub, with room to spare.
pub const MAX_ROWS: usize = 500;

/// The largest batch file read: 500 rows of the longest fields IAM allows fit with room to spare.
pub const MAX_BATCH_BYTES: u64 = 1024 * 1024;

/// One validated row.
#[derive(Debug)]
pub struct BatchRow {
    /// 1-based line in the file.
    pub line: usize,
    /// The user.
    pub user: UserName,
    /// The device, or `None` to look it up.
    pub serial: Option<SerialNumber>,
    /// Where its codes come from.
    pub source: SourceSpec,
}

/// A validated `--batch` run.
#[derive(Debug)]
pub struct BatchRequest {
    /// The rows.
    pub rows: Vec<BatchRow>,
    /// Wait for a fresh window or not.
    pub mode: Mode,
    /// Pairs per row at most.
    pub max_attempts: u32,
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// How to report.
    pub output: Output,
    /// `--audit-log`
    pub audit_log: Option<std::path::PathBuf>,
}

impl BatchRequest {
    /// Reads and checks the file at `path`, and the flags that apply to every row.
    pub fn validate(
        path: &Path,
        mode: Mode,
        max_attempts: u32,
        aws: AwsChoice,
        output: Output,
        audit_log: Option<PathBuf>,
    ) -> Result<BatchRequest, InputError> {
        Ok(BatchRequest {
            rows: parse(path)?,
            mode,
            max_attempts,
            aws: aws.validate()?,
            output,
            audit_log: audit_log_path(audit_log)?,
        })
    }
}

fn row_error(line: usize, e: InputError) -> InputError {
    let (problem, hint) = match &e {
        InputError::Invalid {
            field,
            problem,
            hint,
        } => (format!("{field}: {problem}"), hint.clone()),
        InputError::Usage { problem, hint } => (problem.clone(), hint.clone()),
    };
    InputError::invalid(
        Field::flag("--batch"),
        format!("line {line}: {problem}"),
        hint,
    )
}

/// The fields of one row, as CSV columns or JSON keys name them.
#[derive(Debug, Default)]
struct RawRow {
    user: Option<String>,
    serial: Option<String>,
    source: Option<String>,
    device: Option<String>,
    account: Option<String>,
    slot: Option<String>,
    seed_file: Option<String>,
}

const COLUMNS: [(&str, &str); 7] = [
    ("user", "UserName"),
    ("serial", "SerialNumber"),
    ("source", "Source"),
    ("device", "Device"),
    ("account", "Account"),
    ("slot", "Slot"),
    ("seed_file", "SeedFile"),
];

impl RawRow {
    fn set(&mut self, column: usize, value: String) {
        let value = Some(value).filter(|v| !v.is_empty());
        match column {
            0 => self.user = value,
            1 => self.serial = value,
            2 => self.source = value,
            3 => self.device = value,
            4 => self.account = value,
            5 => self.slot = value,
            _ => self.seed_file = value,
        }
    }
}

fn batch_error(problem: impl Into<String>, hint: impl Into<String>) -> InputError {
    InputError::invalid(Field::flag("--batch"), problem, hint)
}

/// A name from the file as an error may show it: quoted and cut short, or not at all when it looks
/// like a seed.
fn shown(value: &str) -> String {
    if looks_like_seed(value) {
        "(not shown: it looks like a seed)".into()
    } else {
        format!("{:?}", value.chars().take(40).collect::<String>())
    }
}

/// Reads and validates the batch file: JSON lines (`{"UserName": …}`) or CSV with a header line
/// naming the columns (`user,serial,source,device,account,slot,seed_file`; no quoting). A UTF-8 byte
/// order mark (as spreadsheet programs write) is skipped; the file must be a regular file of at
/// most [`MAX_BATCH_BYTES`] with at most [`MAX_ROWS`] rows.
pub fn parse(path: &Path) -> Result<Vec<BatchRow>, InputError> {
    refuse_seed(
        Field::flag("--batch"),
        &path.to_string_lossy(),
        &name_hint("--batch takes the path of a CSV or JSON-lines file"),
    )?;
    let bytes = files::read_regular(path, MAX_BATCH_BYTES).map_err(|problem| {
        let problem = match problem {
            FileProblem::Open(e) | FileProblem::Read(e) => {
                format!("cannot read {} ({})", path.display(), files::io_reason(&e))
            }
            FileProblem::NotRegular(what) => {
                format!(
                    "cannot read {}: it is {what}, not a regular file",
                    path.display()
                )
            }
            FileProblem::TooBig { limit } => format!(
                "{} is over {limit} bytes; a batch has at most {MAX_ROWS} rows",
                path.display()
            ),
        };
        batch_error(
            problem,
            "give a CSV or JSON-lines file with a row per token",
        )
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        batch_error(
            "is not UTF-8 text",
            "save the file as UTF-8 (CSV or JSON lines)",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let Some(&(_, first)) = lines.first() else {
        return Err(batch_error("has no rows", "add a row per token"));
    };
    let raw: Vec<(usize, RawRow)> = if first.starts_with('{') {
        lines
            .iter()
            .map(|&(n, l)| json_row(n, l).map(|r| (n, r)))
            .collect::<Result<_, _>>()?
    } else {
        csv_rows(&lines)?
    };
    if raw.len() > MAX_ROWS {
        return Err(batch_error(
            format!("has {} rows; at most {MAX_ROWS}", raw.len()),
            "split the file",
        ));
    }
    let rows: Vec<BatchRow> = raw
        .into_iter()
        .map(|(n, r)| validate_row(n, r))
        .collect::<Result<_, _>>()?;
    check_shared_devices(&rows)?;
    check_repeated_targets(&rows)?;
    Ok(rows)
}

fn json_row(line: usize, text: &str) -> Result<RawRow, InputError> {
    let bad = |problem: String| {
        batch_error(
            format!("line {line}: {problem}"),
            "each line is one JSON object",
        )
    };
    let members = Members::parse(text).map_err(|problem| match problem {
        NotAnObject::Invalid { column, .. } => bad(format!("is not valid JSON (column {column})")),
        NotAnObject::OtherValue => bad("is not a JSON object".into()),
    })?;
    if let Some(key) = members.duplicate() {
        return Err(batch_error(
            format!("line {line}: has the key {} twice", shown(key)),
            "give each key once per line",
        ));
    }
    let mut row = RawRow::default();
    for (key, value) in members.0 {
        let Some(column) = COLUMNS.iter().position(|(_, k)| *k == key) else {
            let keys: Vec<&str> = COLUMNS.iter().map(|(_, k)| *k).collect();
            return Err(bad(format!(
                "unknown key {}; the keys are {}",
                shown(&key),
                keys.join(", ")
            )));
        };
        let value = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Null => continue,
            _ => return Err(bad(format!("{key} must be a string or a number"))),
        };
        row.set(column, value);
    }
    Ok(row)
}

fn csv_rows(lines: &[(usize, &str)]) -> Result<Vec<(usize, RawRow)>, InputError> {
    let Some(((header_line, header), rows)) = lines.split_first() else {
        return Ok(Vec::new());
    };
    let mut columns: Vec<usize> = Vec::new();
    for (position, name) in header.split(',').map(str::trim).enumerate() {
        let Some(column) = COLUMNS.iter().position(|(c, _)| *c == name) else {
            let names: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
            return Err(batch_error(
                format!("line {header_line}: unknown column {}", shown(name)),
                format!(
                    "the first line names the columns, from: {}",
                    names.join(",")
                ),
            ));
        };
        if columns.contains(&column) {
            return Err(batch_error(
                format!(
                    "line {header_line}: column {} names {name:?} again",
                    position + 1
                ),
                "name each column once",
            ));
        }
        columns.push(column);
    }
    rows.iter()
        .map(|&(n, l)| {
            let cells: Vec<&str> = l.split(',').map(str::trim).collect();
            if cells.len() != columns.len() {
                return Err(batch_error(
                    format!(
                        "line {n}: has {} cells; the header has {}",
                        cells.len(),
                        columns.len()
                    ),
                    "one cell per column, empty when not needed (no quoting)",
                ));
            }
            let mut row = RawRow::default();
            for (column, cell) in columns.iter().zip(cells) {
                row.set(*column, cell.to_string());
            }
            Ok((n, row))
        })
        .collect()
}

fn validate_row(line: usize, raw: RawRow) -> Result<BatchRow, InputError> {
    let user = match raw.user {
        Some(user) => UserName::parse(&user, Origin::Flag).map_err(|e| row_error(line, e))?,
        None => {
            return Err(InputError::invalid(
                Field::flag("--batch"),
                format!("line {line}: the user is missing"),
                "every row names its IAM user",
            ));
        }
    };
    let serial = raw
        .serial
        .map(|s| SerialNumber::parse(&s, Origin::Flag))
        .transpose()
        .map_err(|e| row_error(line, e))?;
    let source = match raw.source.as_deref() {
        None => None,
        Some("seed") => Some(SourceKind::Seed),
        Some("yubikey") => Some(SourceKind::Yubikey),
        Some("otp-slot") => Some(SourceKind::OtpSlot),
        Some(other) => {
            return Err(InputError::invalid(
                Field::flag("--batch"),
                format!("line {line}: source {} cannot be batched", shown(other)),
                "batch rows read seed, yubikey or otp-slot (typed codes need a person per token)",
            ));
        }
    };
    let device = raw
        .device
        .map(|d| d.parse::<u32>())
        .transpose()
        .map_err(|_| {
            row_error(
                line,
                InputError::invalid(
                    Field::flag("--device"),
                    "is not a serial number",
                    "give the digits printed on the key",
                ),
            )
        })?;
    let slot = raw
        .slot
        .map(|s| s.parse::<u8>().ok().filter(|s| (1..=2).contains(s)))
        .map(|s| {
            s.ok_or_else(|| {
                row_error(
                    line,
                    InputError::invalid(
                        Field::flag("--slot"),
                        "must be 1 or 2",
                        "the slot programmed for challenge-response",
                    ),
                )
            })
        })
        .transpose()?;
    let choice = SourceChoice {
        source,
        seed_file: raw.seed_file.map(Into::into),
        device,
        account: raw.account,
        slot,
        ..SourceChoice::default()
    };
    let source = choice
        .spec()
        .map_err(|e| row_error(line, e))?
        .unwrap_or_else(SourceSpec::default_yubikey);
    Ok(BatchRow {
        line,
        user,
        serial,
        source,
    })
}

/// Two rows cannot read the same key at once (a key answers one program at a time), nor can an
/// unnamed key be shared out among rows.
fn check_shared_devices(rows: &[BatchRow]) -> Result<(), InputError> {
    let mut seen: Vec<(Option<u32>, usize)> = Vec::new();
    for row in rows {
        let device = match &row.source {
            SourceSpec::YubiKey { selector, .. } | SourceSpec::OtpSlot { selector, .. } => {
                selector.serial
            }
            _ => continue,
        };
        if let Some((_, other)) = seen
            .iter()
            .find(|(d, _)| *d == device || d.is_none() || device.is_none())
        {
            return Err(InputError::invalid(
                Field::flag("--batch"),
                format!("line {}: reads the same YubiKey as line {other}", row.line),
                "give each key row its own device serial (see `mfa-resync devices`), one row per key",
            ));
        }
        seen.push((device, row.line));
    }
    Ok(())
}

/// Two rows for the same user's device would send the same pair at the same moment: one would be
/// refused, and look like a bad token. As with keys, a row that leaves the serial to be looked up
/// overlaps every row of that user. IAM user names are not distinguished by case.
fn check_repeated_targets(rows: &[BatchRow]) -> Result<(), InputError> {
    for (i, row) in rows.iter().enumerate() {
        let earlier = rows[..i].iter().find(|other| {
            other.user.as_str().eq_ignore_ascii_case(row.user.as_str())
                && match (&other.serial, &row.serial) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
        });
        if let Some(other) = earlier {
            return Err(batch_error(
                format!(
                    "line {}: resyncs the same device of user {} as line {}",
                    row.line, row.user, other.line
                ),
                "one row per device; give each row of a user with several devices its serial",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
