//! `mfa-resync station`: a help-desk station. Thin: the readers there are are checked against
//! `--reader` before AWS is asked anything; then one session is connected, the device layer's
//! reader watch started, and the pipeline's station serves each key it reports until Ctrl-C
//! (SIGTERM too), or with `--once` until the keys are done.

use crate::audit::AuditLog;
use crate::error::Error;
use crate::pipeline::station::{Options, Station};
use crate::pipeline::{Interrupt, Session};
use crate::report::Reporter;
use crate::request::StationRequest;
use crate::source::events::ReaderWatch;
use crate::source::smartcard;

/// Runs the station.
pub async fn run(request: StationRequest, reporter: &Reporter) -> Result<(), Error> {
    let interrupt = Interrupt::ctrl_c_or_term();
    let readers: Vec<String> = smartcard::readers()?
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    request.check_readers(&readers)?;
    let audit = AuditLog::open_shared(request.audit_log.as_deref())?;
    // The caller is asked: its account is the one served, its ARN the audit log's operator, and
    // the answer's `Date` gives the skew every key's windows are planned in.
    let session = Session::connect(&request.aws, true, reporter).await?;
    session.report_skew(reporter);
    let account = session
        .caller
        .as_ref()
        .map(|c| c.account.clone())
        .unwrap_or_default();
    let accounts = request.served_accounts(&account)?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let watch = ReaderWatch::start(
        request.readers.clone(),
        Box::new(move |event| {
            let _ = tx.send(event);
        }),
    )?;
    let station = Station::new(&session, accounts, audit.as_ref(), reporter.clone());
    let options = Options {
        once: request.once,
        max_keys: request.max_keys as usize,
        readers: if request.readers.is_empty() {
            readers
        } else {
            request.readers.clone()
        },
        all_readers: request.readers.is_empty(),
    };
    let result = station.run(rx, interrupt, options).await;
    watch.stop();
    result
}
