//! Ctrl-C as a value that waits can race against: the default action (dying mid-request) is
//! replaced, so that a run interrupted while waiting or reading ends cleanly and says what was sent.

use tokio::sync::watch;

/// Ctrl-C, as a value that waits can race against.
#[derive(Debug, Clone)]
pub struct Interrupt(watch::Receiver<bool>);

impl Interrupt {
    /// Listens for SIGINT from now on (the default action, dying mid-request, is replaced).
    pub fn ctrl_c() -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(true);
            }
        });
        Interrupt(rx)
    }

    /// Listens for SIGINT and SIGTERM from now on: a station run by systemd is stopped with
    /// SIGTERM, and ends as cleanly as at Ctrl-C.
    pub fn ctrl_c_or_term() -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let term = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut term) => {
                        term.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                result = tokio::signal::ctrl_c() => {
                    if result.is_err() {
                        return;
                    }
                }
                () = term => {}
            }
            let _ = tx.send(true);
        });
        Interrupt(rx)
    }

    /// An interrupt driven by the returned sender (tests, and each key of a station).
    pub fn manual() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Interrupt(rx))
    }

    /// Whether Ctrl-C has been pressed.
    pub fn fired(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves when Ctrl-C is pressed (never, if the sender is gone without firing).
    pub(crate) async fn wait(&mut self) {
        if self.0.wait_for(|fired| *fired).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
