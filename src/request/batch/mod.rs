//! A validated `resync --batch FILE`: the file's rows (CSV with a header, or JSON lines), each
//! checked as a `resync` would be, before anything is read or sent.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::files;

use super::aws::{AwsOptions, validate_aws};
use super::code_source::{SourceChoice, SourceKind, SourceSpec};
use super::json_object::{Members, NotAnObject, shown};
use super::resync::{Pace, audit_log_path};
use crate::model::{
    BatchProblem, Field, InputError, LineProblem, Origin, Problem, SerialNumber, Takes, UserName,
    refuse_seed,
};

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
    /// How each row's pairs are read and sent.
    pub pace: Pace,
    /// How to reach AWS.
    pub aws: AwsOptions,
    /// `--audit-log`
    pub audit_log: Option<std::path::PathBuf>,
}

impl BatchRequest {
    /// Reads and checks the file at `path`, and the flags that apply to every row.
    pub fn validate(
        path: &Path,
        pace: Pace,
        aws: AwsOptions,
        audit_log: Option<PathBuf>,
    ) -> Result<BatchRequest, InputError> {
        Ok(BatchRequest {
            rows: parse(path)?,
            pace,
            aws: validate_aws(aws)?,
            audit_log: audit_log_path(audit_log)?,
        })
    }
}

/// A field of a row, refused as the flag it stands for would be.
fn row_error(line: usize, e: InputError) -> InputError {
    InputError::BatchLine {
        line,
        problem: LineProblem::Field(Box::new(e)),
    }
}

/// The row at `line` itself.
fn line_error(line: usize, problem: BatchProblem) -> InputError {
    InputError::BatchLine {
        line,
        problem: LineProblem::Row(problem),
    }
}

/// The fields of one row as given, in the order of [`COLUMNS`].
type RawRow = [Option<String>; COLUMNS.len()];

/// The columns of a CSV row, and the keys of a JSON line, that name each field.
pub const COLUMNS: [(&str, &str); 7] = [
    ("user", "UserName"),
    ("serial", "SerialNumber"),
    ("source", "Source"),
    ("device", "Device"),
    ("account", "Account"),
    ("slot", "Slot"),
    ("seed_file", "SeedFile"),
];

/// An empty cell or string is a field not given.
fn set(row: &mut RawRow, column: usize, value: String) {
    row[column] = Some(value).filter(|v| !v.is_empty());
}

/// The file as a whole.
fn batch_error(problem: BatchProblem) -> InputError {
    InputError::flag("--batch", Problem::Batch(problem))
}

/// Reads and validates the batch file: JSON lines (`{"UserName": …}`) or CSV with a header line
/// naming the columns (`user,serial,source,device,account,slot,seed_file`; no quoting). A UTF-8 byte
/// order mark (as spreadsheet programs write) is skipped; the file must be a regular file of at
/// most [`MAX_BATCH_BYTES`] with at most [`MAX_ROWS`] rows.
pub fn parse(path: &Path) -> Result<Vec<BatchRow>, InputError> {
    refuse_seed(
        Field::flag("--batch"),
        &path.to_string_lossy(),
        Takes::Batch,
    )?;
    let shown = path.display().to_string();
    let bytes = files::read_regular(path, MAX_BATCH_BYTES).map_err(|problem| {
        batch_error(BatchProblem::Read {
            path: shown,
            problem: problem.into(),
        })
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| batch_error(BatchProblem::NotUtf8))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let Some(&(_, first)) = lines.first() else {
        return Err(batch_error(BatchProblem::NoRows));
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
        return Err(batch_error(BatchProblem::TooManyRows { rows: raw.len() }));
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
    let members = Members::parse(text).map_err(|problem| {
        line_error(
            line,
            match problem {
                NotAnObject::Invalid { column, .. } => BatchProblem::NotJson { column },
                NotAnObject::OtherValue => BatchProblem::NotAnObject,
            },
        )
    })?;
    if let Some(key) = members.duplicate() {
        return Err(line_error(
            line,
            BatchProblem::KeyTwice {
                key: shown(key, 40),
            },
        ));
    }
    let mut row = RawRow::default();
    for (key, value) in members.0 {
        let Some(column) = COLUMNS.iter().position(|(_, k)| *k == key) else {
            return Err(line_error(
                line,
                BatchProblem::UnknownKey {
                    key: shown(&key, 40),
                },
            ));
        };
        let value = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Null => continue,
            _ => return Err(line_error(line, BatchProblem::NotAString { key })),
        };
        set(&mut row, column, value);
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
            return Err(line_error(
                *header_line,
                BatchProblem::UnknownColumn {
                    column: shown(name, 40),
                },
            ));
        };
        if columns.contains(&column) {
            return Err(line_error(
                *header_line,
                BatchProblem::ColumnTwice {
                    position: position + 1,
                    name: name.to_string(),
                },
            ));
        }
        columns.push(column);
    }
    rows.iter()
        .map(|&(n, l)| {
            let cells: Vec<&str> = l.split(',').map(str::trim).collect();
            if cells.len() != columns.len() {
                return Err(line_error(
                    n,
                    BatchProblem::Cells {
                        cells: cells.len(),
                        columns: columns.len(),
                    },
                ));
            }
            let mut row = RawRow::default();
            for (column, cell) in columns.iter().zip(cells) {
                set(&mut row, *column, cell.to_string());
            }
            Ok((n, row))
        })
        .collect()
}

fn validate_row(line: usize, raw: RawRow) -> Result<BatchRow, InputError> {
    let [user, serial, source, device, account, slot, seed_file] = raw;
    let user = match user {
        Some(user) => UserName::parse(&user, Origin::Flag).map_err(|e| row_error(line, e))?,
        None => return Err(line_error(line, BatchProblem::NoUser)),
    };
    let serial = serial
        .map(|s| SerialNumber::parse(&s, Origin::Flag))
        .transpose()
        .map_err(|e| row_error(line, e))?;
    let source = match source.as_deref() {
        None => None,
        Some("seed") => Some(SourceKind::Seed),
        Some("yubikey") => Some(SourceKind::Yubikey),
        Some("otp-slot") => Some(SourceKind::OtpSlot),
        Some(other) => {
            return Err(line_error(
                line,
                BatchProblem::Source {
                    source: shown(other, 40),
                },
            ));
        }
    };
    let bad = |flag, problem| row_error(line, InputError::flag(flag, problem));
    let device = device
        .map(|d| {
            d.parse::<u32>()
                .map_err(|_| bad("--device", Problem::RowDevice))
        })
        .transpose()?;
    let slot = slot
        .map(|s| s.parse::<u8>().ok().filter(|s| (1..=2).contains(s)))
        .map(|s| s.ok_or_else(|| bad("--slot", Problem::SlotNumber)))
        .transpose()?;
    let choice = SourceChoice {
        source,
        seed_file: seed_file.map(Into::into),
        device,
        account,
        slot,
        ..SourceChoice::default()
    };
    let source = choice
        .spec()
        .and_then(|spec| spec.map_or_else(|| choice.yubikey(), Ok))
        .map_err(|e| row_error(line, e))?;
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
            return Err(line_error(
                row.line,
                BatchProblem::SameKey { other: *other },
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
            return Err(line_error(
                row.line,
                BatchProblem::SameTarget {
                    other: other.line,
                    user: row.user.to_string(),
                },
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
