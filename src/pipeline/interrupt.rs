//! A stop as a value that waits can race against: fired by any of the causes the `stop` module
//! records (SIGINT, SIGTERM, SIGHUP, SIGQUIT, a closed output), so that a run interrupted while
//! waiting or reading ends cleanly and says what was sent; or by hand, for one key of a station.

use tokio::sync::watch;

use crate::error::Error;
use crate::stop;

/// A stop, as a value that waits can race against.
#[derive(Debug, Clone)]
pub struct Interrupt(watch::Receiver<bool>);

impl Interrupt {
    /// Fires when the run is stopped: a signal, or stdout or stderr found closed.
    pub fn signals() -> Self {
        let mut causes = stop::subscribe();
        let (tx, rx) = watch::channel(causes.borrow().is_some());
        tokio::spawn(async move {
            if causes.wait_for(Option::is_some).await.is_ok() {
                let _ = tx.send(true);
            }
        });
        Interrupt(rx)
    }

    /// An interrupt driven by the returned sender (tests, and each key of a station).
    pub fn manual() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Interrupt(rx))
    }

    /// Whether the run was stopped.
    pub fn fired(&self) -> bool {
        *self.0.borrow()
    }

    /// The interruption, once the run was stopped: checked at each safe point between steps.
    pub fn check(&self) -> Result<(), Error> {
        if self.fired() {
            Err(Error::interrupted())
        } else {
            Ok(())
        }
    }

    /// `work`'s output, unless the run is stopped first: then `work` is dropped, and the error is
    /// the interruption.
    pub(crate) async fn race<T>(&self, work: impl Future<Output = T>) -> Result<T, Error> {
        let mut stop = self.clone();
        tokio::select! {
            biased;
            () = stop.wait() => Err(Error::interrupted()),
            output = work => Ok(output),
        }
    }

    /// Resolves when the run is stopped (never, if the sender is gone without firing).
    pub(crate) async fn wait(&mut self) {
        if self.0.wait_for(|fired| *fired).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
