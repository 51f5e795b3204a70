//! The test bed of mfa-resync: stand-ins for the outside world that tests and demos run against.
//!
//! It shares no code with the client on purpose (its own SigV4 and TOTP), so that a mistake in the
//! client cannot be mirrored by the thing that checks it: [`iam_local`] stands in for AWS IAM and
//! STS, [`virtual_yubikey`] for the YubiKey.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod iam_local;
pub mod virtual_yubikey;
