//! Why a run stops before its end: one of the four signals a terminal, a service manager or a
//! closing SSH session sends (SIGINT, SIGTERM, SIGHUP, SIGQUIT), or an output that closed under
//! it (`| head`, a terminal gone). All mean the same to every command: stop at the next safe
//! point, undo what is ours, say what was sent, exit 130. The first cause is kept, so the message
//! names what really stopped the run.
//!
//! The signals' default actions (dying mid-request, or a core dump for SIGQUIT) are replaced as
//! soon as the runtime starts ([`listen`]); a write that finds stdout or stderr closed reports it
//! here ([`Cause::OutputClosed`]) instead of panicking as `println!` would.

use std::sync::OnceLock;

use tokio::sync::watch;

/// What stopped the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A signal, by its name (`SIGINT`, …).
    Signal(&'static str),
    /// `stdout` or `stderr` was closed.
    OutputClosed(&'static str),
}

fn channel() -> &'static watch::Sender<Option<Cause>> {
    static STOP: OnceLock<watch::Sender<Option<Cause>>> = OnceLock::new();
    STOP.get_or_init(|| watch::channel(None).0)
}

/// Records `cause`, unless the run was already stopped by another.
pub fn request(cause: Cause) {
    channel().send_if_modified(|current| {
        let first = current.is_none();
        current.get_or_insert(cause);
        first
    });
}

/// What stopped the run, if anything has.
pub fn cause() -> Option<Cause> {
    *channel().borrow()
}

/// Follows the causes from now on.
pub fn subscribe() -> watch::Receiver<Option<Cause>> {
    channel().subscribe()
}

/// Replaces the four signals' default actions with a recorded [`Cause`]; must run inside the
/// runtime. A signal that cannot be listened for keeps its default action (the run then dies by
/// it, as before), which is no reason to refuse to run.
pub fn listen() {
    use tokio::signal::unix::{SignalKind, signal};
    for (kind, name) in [
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::quit(), "SIGQUIT"),
    ] {
        if let Ok(mut stream) = signal(kind) {
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    request(Cause::Signal(name));
                }
            });
        }
    }
}
