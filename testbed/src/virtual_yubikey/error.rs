//! The one error type of the virtual YubiKey's host side: loading and saving the card
//! description, reading a seed, and the vpcd socket. The card itself never errs — it answers
//! status words — so nothing here describes a protocol failure.

use std::path::PathBuf;

/// What went wrong around the virtual card; each variant names the file or port to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The state file could not be read.
    #[error("cannot read card state {path}: {source}")]
    ReadState {
        /// The state file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The state file is not a valid card description.
    #[error("card state {path} is not valid JSON for a card: {source}")]
    ParseState {
        /// The state file.
        path: PathBuf,
        /// Where the JSON did not fit.
        source: serde_json::Error,
    },
    /// The state file could not be written.
    #[error("cannot write card state {path}: {source}")]
    WriteState {
        /// The state file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A field of the card description is out of range; the message names it.
    #[error("invalid card description: {0}")]
    InvalidConfig(String),
    /// The seed file could not be used; the message says why, never what it holds.
    #[error("seed file {path}: {reason}")]
    Seed {
        /// The seed file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The card process could not set up something around the card (signal handlers, the
    /// control socket).
    #[error("cannot {what}: {source}")]
    Setup {
        /// What was being set up.
        what: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The vpcd socket failed in a way reconnecting cannot fix.
    #[error("vpcd link on port {port}: {source}")]
    Vpcd {
        /// The vpcd port.
        port: u16,
        /// The underlying I/O error.
        source: std::io::Error,
    },
}
