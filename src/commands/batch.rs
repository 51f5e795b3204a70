//! `mfa-resync resync --batch FILE`: many tokens in one window, for a help desk with a hub of keys.
//!
//! Every row was validated before any I/O; here every source is opened, and a row whose source is
//! bad input (an 8-digit seed, a loose seed file) stops the whole batch before AWS is asked anything,
//! as a single `resync` would. Then all rows run the one pipeline on one session: each reads its
//! code 1, all wait for the same window boundary (the waits overlap, so fifty rows cost one
//! window), and the submissions go out concurrently, at most [`MAX_IN_FLIGHT`](crate::pipeline::MAX_IN_FLIGHT) at a time, each row
//! with its own retries and fresh pairs. One row's failure never stops the others; the exit code is
//! 0 only when every row succeeded, else the highest among the rows that failed.

use crate::error::{Error, Interrupted, Targets};
use crate::exit::Exit;
use crate::pipeline::{self, Codes, Interrupt, Opened, Opening, Tally};
use crate::report::time::{plural, utc_time_of_day};
use crate::report::{BatchRowReport, Reporter, RowResult};
use crate::request::BatchRequest;
use crate::window::{Mode, Period, Planner};

/// Runs the batch and prints the table; the error carries the highest exit code of a failed row.
pub async fn run(request: BatchRequest, reporter: &Reporter) -> Result<(), Error> {
    let opening = Opening::start(request.audit_log.as_deref(), Interrupt::signals())?;
    // Rows speak only when a person must act (touch a key); the batch reports for them all.
    let rows_reporter = Reporter::new(reporter.format(), true);
    let mut opened = Vec::with_capacity(request.rows.len());
    for row in &request.rows {
        match Opened::open(&row.source, &rows_reporter).and_then(Opened::for_iam) {
            // A row's source that is bad input stops the batch; the error names the row's line.
            Err(e) if e.exit() == Exit::Input => {
                let (line, cause) = (row.line, Box::new(e));
                return Err(Error::BatchRow { line, cause });
            }
            other => opened.push(other),
        }
    }
    let run = opening.connect(&request.aws, true, reporter).await?;
    let planner = Planner::new(Period::DEFAULT, request.pace.mode);
    let rows = plural(request.rows.len(), "row", "rows");
    reporter.line(match request.pace.mode {
        Mode::Wait => format!(
            "{rows}; code 2 of each at {}.",
            utc_time_of_day(planner.code2_due(planner.next_pair(run.session.clock().now())))
        ),
        Mode::NoWait => format!("{rows}, codes of the previous and current windows."),
    });
    let limit = tokio::sync::Semaphore::new(crate::pipeline::MAX_IN_FLIGHT);
    let resyncs = request.rows.iter().zip(opened).map(|(row, opened)| {
        let (run, limit, rows_reporter) = (&run, &limit, &rows_reporter);
        let target = (Some(row.user.clone()), row.serial.clone());
        let resync = async move {
            let codes = Codes::Read(opened?);
            pipeline::resync(run, target, codes, request.pace, Some(limit), rows_reporter).await
        };
        async move { (row, resync.await) }
    });
    let outcomes = futures_util::future::join_all(resyncs).await;
    let (mut sent, mut accepted) = (0, 0);
    let mut was_interrupted = false;
    let mut tally = Tally::default();
    let mut reports = Vec::with_capacity(outcomes.len());
    for (row, result) in outcomes {
        let (serial, result) = match result {
            Ok(done) => {
                sent += done.attempts;
                accepted += 1;
                (
                    done.serial,
                    RowResult::Resynced {
                        attempts: done.attempts,
                        request_id: done.request_id,
                    },
                )
            }
            Err(e) => {
                was_interrupted |= matches!(e, Error::Interrupted(_));
                sent += e.pairs_sent();
                (
                    row.serial
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    RowResult::Failed {
                        exit: e.exit(),
                        error: e.to_string(),
                    },
                )
            }
        };
        tally.add(&result);
        reports.push(BatchRowReport {
            line: row.line,
            user: row.user.to_string(),
            serial,
            result,
        });
    }
    // The table is printed whatever happened: it is the record of what was sent.
    reporter.batch(&reports);
    run.advise_on_clock(reporter);
    if was_interrupted {
        return Err(Error::Interrupted(Interrupted::after(sent, accepted)));
    }
    tally.outcome(Targets::Rows)?;
    run.finish(&format!(
        "every row's resync itself succeeded ({})",
        plural(reports.len(), "row", "rows")
    ))
}
