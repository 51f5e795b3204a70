//! A validated `resync --batch FILE`: the file's rows (CSV with a header, or JSON lines), each
//! checked as a `resync` would be, before anything is read or sent.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::aws::{AwsChoice, AwsOptions};
use super::field::{Field, InputError, Origin};
use super::resync::Output;
use super::source::{SourceChoice, SourceKind, SourceSpec};
use super::values::{SerialNumber, UserName};
use crate::window::Mode;

/// The most rows a batch takes; a help desk's hub, with room to spare.
pub const MAX_ROWS: usize = 500;

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
            audit_log,
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

/// Reads and validates the batch file: JSON lines (`{"UserName": …}`) or CSV with a header line
/// naming the columns (`user,serial,source,device,account,slot,seed_file`; no quoting).
pub fn parse(path: &Path) -> Result<Vec<BatchRow>, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError::invalid(
            Field::flag("--batch"),
            format!("cannot read {} ({})", path.display(), e.kind()),
            "give a CSV or JSON-lines file with a row per token",
        )
    })?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let Some(&(_, first)) = lines.first() else {
        return Err(InputError::invalid(
            Field::flag("--batch"),
            "has no rows",
            "add a row per token",
        ));
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
        return Err(InputError::invalid(
            Field::flag("--batch"),
            format!("has {} rows; at most {MAX_ROWS}", raw.len()),
            "split the file",
        ));
    }
    let rows: Vec<BatchRow> = raw
        .into_iter()
        .map(|(n, r)| validate_row(n, r))
        .collect::<Result<_, _>>()?;
    check_shared_devices(&rows)?;
    Ok(rows)
}

fn json_row(line: usize, text: &str) -> Result<RawRow, InputError> {
    let bad = |problem: String| {
        InputError::invalid(
            Field::flag("--batch"),
            format!("line {line}: {problem}"),
            "each line is one JSON object",
        )
    };
    let value: Value = serde_json::from_str(text)
        .map_err(|e| bad(format!("is not valid JSON (column {})", e.column())))?;
    let Value::Object(map) = value else {
        return Err(bad("is not a JSON object".into()));
    };
    let mut row = RawRow::default();
    for (key, value) in map {
        let Some(column) = COLUMNS.iter().position(|(_, k)| *k == key) else {
            let keys: Vec<&str> = COLUMNS.iter().map(|(_, k)| *k).collect();
            return Err(bad(format!(
                "unknown key {:?}; the keys are {}",
                key.chars().take(40).collect::<String>(),
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
    let mut columns = Vec::new();
    for name in header.split(',').map(str::trim) {
        let Some(column) = COLUMNS.iter().position(|(c, _)| *c == name) else {
            let names: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
            return Err(InputError::invalid(
                Field::flag("--batch"),
                format!(
                    "line {header_line}: unknown column {:?}",
                    name.chars().take(40).collect::<String>()
                ),
                format!(
                    "the first line names the columns, from: {}",
                    names.join(",")
                ),
            ));
        };
        columns.push(column);
    }
    rows.iter()
        .map(|&(n, l)| {
            let cells: Vec<&str> = l.split(',').map(str::trim).collect();
            if cells.len() != columns.len() {
                return Err(InputError::invalid(
                    Field::flag("--batch"),
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
                format!(
                    "line {line}: source {:?} cannot be batched",
                    other.chars().take(20).collect::<String>()
                ),
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

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn parse_text(text: &str) -> Result<Vec<BatchRow>, InputError> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        parse(file.path())
    }

    #[test]
    fn csv_and_json_lines_give_the_same_rows() {
        let csv = "user,serial,source,seed_file\nalice,arn:aws:iam::123456789012:mfa/alice,seed,/s/a\nbob,,seed,/s/b\n";
        let json = "{\"UserName\":\"alice\",\"SerialNumber\":\"arn:aws:iam::123456789012:mfa/alice\",\"SeedFile\":\"/s/a\"}\n{\"UserName\":\"bob\",\"SeedFile\":\"/s/b\"}\n";
        for text in [csv, json] {
            let rows = parse_text(text).unwrap();
            assert_eq!(rows.len(), 2);
            assert_eq!(rows[0].user.as_str(), "alice");
            assert!(rows[1].serial.is_none());
            assert!(matches!(rows[1].source, SourceSpec::Seed(_)));
        }
    }

    #[test]
    fn bad_rows_name_their_line_and_field() {
        let err = parse_text("user,serial\nalice,GAHT12345678\nbo b,GAHT12345678\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("--batch: line 3: --user-name: character ' '"),
            "{err}"
        );
        let err = parse_text("{\"UserName\":\"a\",\"Source\":\"prompt\"}\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("line 1: source \"prompt\" cannot be batched"),
            "{err}"
        );
        let err = parse_text("user,device\nalice,1\nbob,1\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("line 3: reads the same YubiKey as line 2"),
            "{err}"
        );
        let err = parse_text("user,colour\nalice,red\n").unwrap_err();
        assert!(
            err.to_string().contains("unknown column \"colour\""),
            "{err}"
        );
        assert!(parse_text("\n# nothing\n").is_err());
    }
}
