//! `mfa-resync codes`: a consecutive pair read and printed, with no AWS call.

use crate::error::Error;
use crate::pipeline::codes;
use crate::report::{CodesReport, Reporter};
use crate::request::CodesRequest;
use crate::window::Pair;

/// Runs `codes`.
pub async fn run(request: CodesRequest, reporter: &Reporter) -> Result<(), Error> {
    let (read, period) = codes::read_pair(&request, reporter).await?;
    reporter.codes(&CodesReport {
        code1: read.code1.expose(),
        code2: read.code2.expose(),
        counters: read.pair.map(Pair::counters).unwrap_or_default(),
        period,
    });
    Ok(())
}
