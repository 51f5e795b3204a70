//! `mfa-resync codes`: a consecutive pair read and printed, with no AWS call.

use std::sync::Arc;

use crate::error::Error;
use crate::pipeline::{Interrupt, Opened, PairReader};
use crate::report::{CodesReport, Reporter};
use crate::request::CodesRequest;
use crate::source::yubikey::Wanted;
use crate::window::{Clock, Pair, ServerClock, Skew, SystemClock};

/// Runs `codes`.
pub async fn run(request: CodesRequest, reporter: &Reporter) -> Result<(), Error> {
    let (source, _) = Opened::open(&request.source, reporter)?.finish(Wanted::default())?;
    let clock = ServerClock::new(Arc::new(SystemClock) as Arc<dyn Clock>, Skew::ZERO);
    let mut reader = PairReader::new(
        source,
        clock,
        request.mode,
        reporter.clone(),
        Interrupt::ctrl_c(),
    );
    let period = reader.info().period;
    let read = reader
        .next_with(|code1, counter| reporter.code1(code1.expose(), counter, period))
        .await?;
    reporter.codes(&CodesReport {
        code1: read.code1.expose(),
        code2: read.code2.expose(),
        counters: read.pair.map(Pair::counters).unwrap_or_default(),
        period,
    });
    Ok(())
}
