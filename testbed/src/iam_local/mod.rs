//! `iam-local`: a local AWS IAM and STS endpoint speaking the Query protocol over real HTTP.
//!
//! It is what mfa-resync's tests (and the README's demo) point `--endpoint-url` at, so it answers the
//! way the real services do on the wire: SigV4 is verified against the keys in its [`State`], TOTP
//! pairs are checked against the device seeds, errors carry AWS's codes and words, and faults can be
//! injected. Submodules each own one concern; this module only re-exports the public face.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use testbed::iam_local::{Config, Server, State, random_seed_base32};
//! let server = Server::start(Config::new(State::demo(&random_seed_base32()))).await?;
//! println!("aws --endpoint-url {} sts get-caller-identity", server.url());
//! # Ok(()) }
//! ```

pub mod actions;
pub mod answer;
pub mod builder;
pub mod clock;
pub mod error;
pub mod faults;
pub mod files;
pub mod log;
pub mod partition;
pub mod qr;
pub mod query;
pub mod server;
pub mod sigv4;
pub mod state;
#[cfg(test)]
mod state_tests;
pub mod totp;

pub use actions::{MAX_DEVICES_PER_USER, SHORT_PAGE};
pub use error::ApiError;
pub use faults::{Fault, FaultKind, FaultParseError, FaultTimes};
pub use log::LogEntry;
pub use server::{Config, Server};
pub use state::{
    ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, AccessKey, DEMO_ACCOUNT_ID, DEMO_SERIAL, Device,
    Partition, PartitionParseError, Principal, ROOT_OWNER, State, StateFileError,
    TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, Tag, User, random_seed_base32,
};
pub use totp::CodeWindow;
