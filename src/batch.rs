//! `mfa-resync resync --batch FILE`: many tokens in one window, for a help desk with a hub full of keys.
//!
//! Every row is validated before any I/O, and every source opened before AWS is asked anything.
//! Then all rows run at once on one runtime: each reads its code 1, all wait for the same window
//! boundary (the waits overlap, so fifty rows cost one window), each reads its code 2, and the
//! submissions go out concurrently, at most [`MAX_IN_FLIGHT`] at a time, each row with its own
//! retries and fresh pairs. One row's failure never stops the others; the exit code is 0 only when
//! every row succeeded, else the highest exit code among the rows that failed.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::audit::AuditLog;
use crate::aws::Aws;
use crate::cli::{OutputFormat, SourceArgs, SourceKind, SourceSpec, source_spec};
use crate::error::{Error, Exit};
use crate::report::{Reporter, utc_time_of_day};
use crate::request::{Field, IAM_CODE_DIGITS, InputError, Origin, SerialNumber, UserName};
use crate::resync::{
    AuditTrail, AwsSubmit, Interrupt, Opened, PairReader, Sent, resolve_serial, send_with_retries,
};
use crate::window::{Clock, Mode, Period, ServerClock, Skew, SystemClock};

/// ResyncMFADevice requests in flight at once: enough to finish fifty rows well inside a window,
/// few enough not to look like a burst to IAM's throttling.
pub const MAX_IN_FLIGHT: usize = 8;

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
    pub aws: crate::aws::AwsOptions,
    /// The format of the results.
    pub output: OutputFormat,
    /// Nothing on stderr on success.
    pub quiet: bool,
    /// `--audit-log`
    pub audit_log: Option<std::path::PathBuf>,
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
    let args = SourceArgs {
        source,
        seed_file: raw.seed_file.map(Into::into),
        seed_env: None,
        seed_stdin: false,
        device,
        reader: None,
        account: raw.account,
        slot,
        digits: None,
    };
    let source = source_spec(&args)
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

/// What one row came to.
struct Outcome {
    line: usize,
    user: String,
    serial: String,
    result: Result<Sent, Error>,
}

/// Runs the batch and prints the table; the error carries the highest exit code of a failed row.
pub async fn run(request: BatchRequest, reporter: &Reporter) -> Result<(), Error> {
    let interrupt = Interrupt::ctrl_c();
    let audit = AuditLog::open_shared(request.audit_log.as_deref())?;
    // Sources first, so that a missing key or a bad seed fails its row before AWS is asked.
    let opened: Vec<Result<Opened, Error>> = request
        .rows
        .iter()
        .map(|row| Opened::open(&row.source))
        .collect();
    let aws = Aws::connect(&request.aws).await?;
    let caller = aws.caller().await?;
    let skew = aws
        .last_date()
        .map_or(Skew::ZERO, |(date, at)| Skew::from_date(date, at));
    let clock = ServerClock::new(Arc::new(SystemClock) as Arc<dyn Clock>, skew);
    let period = Period::DEFAULT;
    let first = match request.mode {
        Mode::Wait => period.counter_at(clock.now()),
        Mode::NoWait => period.counter_at(clock.now()).saturating_sub(1),
    };
    reporter.line(format!(
        "{} rows; code 2 of each at {}.",
        request.rows.len(),
        utc_time_of_day(period.window_start(first + 1))
    ));
    let limit = tokio::sync::Semaphore::new(MAX_IN_FLIGHT);
    let silent = Reporter::silent();
    let operator = Some(caller.arn.clone());

    let jobs = request.rows.iter().zip(opened).map(|(row, opened)| {
        let (aws, silent, limit, audit, clock, interrupt, caller, operator) = (
            &aws,
            &silent,
            &limit,
            &audit,
            clock.clone(),
            interrupt.clone(),
            &caller,
            operator.clone(),
        );
        async move {
            let serial_for_report = row
                .serial
                .as_ref()
                .map_or_else(String::new, |s| s.to_string());
            let run = async {
                let opened = opened?;
                let serial = match &row.serial {
                    Some(serial) => serial.clone(),
                    None => {
                        resolve_serial(aws, Some(aws.totp_devices(&row.user).await?), &row.user)?.0
                    }
                };
                let account = serial
                    .account()
                    .map(str::to_string)
                    .unwrap_or_else(|| caller.account.clone());
                let source = opened.finish(Some(format!("{}@{account}", row.user)))?;
                let mut reader = PairReader::new(source, clock, request.mode, silent, interrupt)
                    .require_digits(IAM_CODE_DIGITS);
                let info = reader.info().clone();
                let mut submit = AwsSubmit {
                    aws,
                    user: &row.user,
                    serial: &serial,
                    audit: audit.as_ref().map(|log| AuditTrail {
                        log,
                        operator,
                        source: info.kind.to_string(),
                        device_serial: info.device_serial.clone(),
                        attempts: 0,
                    }),
                    limit: Some(limit),
                };
                let sent =
                    send_with_retries(&mut reader, &mut submit, request.max_attempts).await?;
                Ok::<_, Error>((serial, sent))
            };
            match run.await {
                Ok((serial, sent)) => Outcome {
                    line: row.line,
                    user: row.user.to_string(),
                    serial: serial.to_string(),
                    result: Ok(sent),
                },
                Err(e) => Outcome {
                    line: row.line,
                    user: row.user.to_string(),
                    serial: serial_for_report,
                    result: Err(e),
                },
            }
        }
    });
    let outcomes = futures_util::future::join_all(jobs).await;
    if outcomes
        .iter()
        .any(|o| matches!(o.result, Err(Error::Interrupted)))
    {
        return Err(Error::Interrupted);
    }
    print(&outcomes, request.output, request.quiet);
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.result.is_err()).collect();
    let codes: Vec<Exit> = failed
        .iter()
        .filter_map(|o| o.result.as_ref().err())
        .map(Error::exit)
        .collect();
    match batch_exit(&codes) {
        Exit::Success => Ok(()),
        exit => Err(Error::Batch {
            failed: failed.len(),
            total: outcomes.len(),
            exit,
        }),
    }
}

fn print(outcomes: &[Outcome], output: OutputFormat, quiet: bool) {
    let mut out = std::io::stdout().lock();
    let text = match output {
        OutputFormat::Json => {
            let rows: Vec<Value> = outcomes
                .iter()
                .map(|o| {
                    let (result, attempts, request_id, exit, error) = match &o.result {
                        Ok(sent) => ("resynced", sent.attempts, sent.receipt.request_id.clone(), 0, None),
                        Err(e) => ("failed", 0, None, e.exit() as u8, Some(e.to_string())),
                    };
                    json!({"Line": o.line, "UserName": o.user, "SerialNumber": o.serial, "Result": result,
                           "Attempts": attempts, "RequestId": request_id, "ExitCode": exit, "Error": error})
                })
                .collect();
            let ok = outcomes.iter().filter(|o| o.result.is_ok()).count();
            format!(
                "{}\n",
                json!({"Results": rows, "Succeeded": ok, "Failed": outcomes.len() - ok})
            )
        }
        OutputFormat::Text => {
            if quiet && outcomes.iter().all(|o| o.result.is_ok()) {
                return;
            }
            let mut text = format!(
                "{:<5} {:<20} {:<45} {}\n",
                "LINE", "USER", "SERIAL", "RESULT"
            );
            for o in outcomes {
                let result = match &o.result {
                    Ok(sent) => format!(
                        "resynced{}",
                        if sent.attempts > 1 {
                            format!(" on attempt {}", sent.attempts)
                        } else {
                            String::new()
                        }
                    ),
                    Err(e) => format!("failed (exit {}): {e}", e.exit() as u8),
                };
                text.push_str(&format!(
                    "{:<5} {:<20} {:<45} {result}\n",
                    o.line, o.user, o.serial
                ));
            }
            text
        }
    };
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The exit code of a batch whose rows failed: the highest among them.
pub fn batch_exit(codes: &[Exit]) -> Exit {
    codes
        .iter()
        .copied()
        .max_by_key(|e| *e as u8)
        .unwrap_or(Exit::Success)
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

    #[test]
    fn the_worst_exit_wins() {
        assert_eq!(
            batch_exit(&[Exit::Device, Exit::CodesRefused, Exit::Input]) as u8,
            5
        );
        assert_eq!(batch_exit(&[]) as u8, 0);
    }
}
