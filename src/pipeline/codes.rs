//! `codes`' flow: a pair read from the source with no AWS call, so the windows are planned on the
//! host's clock (there is no answer to measure a skew from).

use std::sync::Arc;

use super::{Interrupt, Opened, PairReader, ReadPair};
use crate::error::Error;
use crate::report::Reporter;
use crate::request::CodesRequest;
use crate::source::yubikey::Wanted;
use crate::window::{Clock, ServerClock, Skew, SystemClock};

/// Reads one pair as `request` asks, code 1 shown as soon as it is read; returns it with the
/// source's period.
pub async fn read_pair(
    request: &CodesRequest,
    reporter: &Reporter,
) -> Result<(ReadPair, u64), Error> {
    let (source, step) = Opened::open(&request.source, reporter)?.finish(Wanted::default())?;
    reporter.reading_from(&source.describe(), step);
    let clock = ServerClock::new(Arc::new(SystemClock) as Arc<dyn Clock>, Skew::ZERO);
    let mut reader = PairReader::new(
        source,
        clock,
        request.mode,
        reporter.clone(),
        Interrupt::signals(),
    );
    let period = reader.info.period;
    let read = reader
        .next_with(|code1, counter| reporter.code1(code1.expose(), counter, period))
        .await?;
    Ok((read, period))
}
