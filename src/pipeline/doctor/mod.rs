//! `doctor`'s checks: each thing that stands between this machine and a resync, checked in the
//! order a resync meets them, as a line with ok / warn / fail / skip and the fix.
//!
//! [`device`] checks pcscd, readers, keys, hidraw access and udev rules; [`aws`] the configuration,
//! credentials, region, caller, clock and the caller's devices. What a user needs depends on what
//! they use: PC/SC problems fail only for YubiKey users (`--source yubikey|otp-slot`, or a key
//! plugged in), and warn otherwise. A check that could not run because an earlier one failed is
//! shown as skipped, with the reason. `--station` checks what a help-desk station needs instead:
//! pcscd and a reader (the keys come later), and that the credentials may list the account's
//! virtual MFA devices. Nothing is sent that changes anything, and no secret or code is read.

pub mod aws;
pub mod device;

use crate::error::Error;
use crate::report::Check;
use crate::request::DoctorRequest;

/// Every check `request` asks for, in the order a resync meets them.
pub async fn checks(request: &DoctorRequest) -> Vec<Check> {
    let needs = device::Needs::of(request);
    let mut checks = device::pcsc_checks(needs);
    checks.extend(device::hidraw_checks(needs));
    checks.extend(aws::checks(&request.aws, request.station).await);
    checks
}

/// Every check in `names`, skipped for `reason`.
fn skipped(names: &[&'static str], reason: &str) -> Vec<Check> {
    names.iter().map(|n| Check::skipped(n, reason)).collect()
}

/// A check that `error` failed, in the words and with the exit code the error has everywhere else.
fn failed(name: &'static str, error: impl Into<Error>) -> Check {
    let error = error.into();
    Check::fail(name, error.to_string(), error.hint(), error.exit())
}
