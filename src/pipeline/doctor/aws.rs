//! The AWS side of `doctor`: configuration, credentials (kind and source, never the keys), region,
//! caller, the host clock against AWS's (the pipeline's one skew measurement), and the caller's
//! TOTP devices. Read-only calls only.

use super::{failed, skipped};
use crate::aws::{Aws, Listing};
use crate::error::Error;
use crate::exit::Exit;
use crate::messages::clock;
use crate::model::{Origin, UserName};
use crate::pipeline::target::measure_skew;
use crate::report::Check;
use crate::request::AwsOptions;

/// Skew above which host-clock sources risk a window off (warn), and past which they will (fail).
const SKEW_WARN_SECS: f64 = crate::window::SKEW_WORTH_FIXING.as_secs_f64();
const SKEW_FAIL_SECS: f64 = 15.0;

/// The AWS checks, in order; those that depend on a failed one are skipped. For a station, the
/// last is whether the credentials may list the account's virtual MFA devices (how a key's
/// credentials find their devices) instead of the caller's own devices.
pub async fn checks(options: &AwsOptions, station: bool) -> Vec<Check> {
    let last = if station {
        "virtual mfa"
    } else {
        "mfa devices"
    };
    // What follows the configuration, in order: a failure skips the checks after it that need it.
    let after = ["credentials", "region", "caller", "clock", last];
    let mut checks = Vec::new();
    let aws = match Aws::connect(options).await {
        Ok(aws) => aws,
        Err(e) => {
            checks.push(failed("aws config", e));
            checks.extend(skipped(&after, "the AWS configuration did not load"));
            return checks;
        }
    };
    for (services, endpoint) in crate::aws::endpoint::grouped(&aws.endpoints) {
        let detail = format!("{services} at {} (from {})", endpoint.url, endpoint.origin);
        checks.push(if endpoint.is_cleartext_remote() {
            Check::warn(
                "endpoint",
                format!("{detail}, unencrypted"),
                "use https://; the codes cross the network in cleartext",
            )
        } else {
            Check::ok("endpoint", detail)
        });
    }
    match aws.credentials(options.profile.as_deref()).await {
        Ok(info) => {
            let detail = format!("{} credentials from {}", info.kind, info.source);
            checks.push(match info.expires_in {
                Some(left) if left <= 0 => Check::fail(
                    "credentials",
                    format!("{detail}, expired {} s ago", -left),
                    Some("refresh them (e.g. `aws sso login`)".into()),
                    Exit::Credentials,
                ),
                Some(left) => Check::ok(
                    "credentials",
                    format!("{detail}, expiring in {} min", left / 60),
                ),
                None => Check::ok("credentials", detail),
            });
        }
        Err(e) => {
            checks.push(Check {
                exit: Exit::Credentials,
                ..failed("credentials", e)
            });
            checks.push(region(&aws));
            checks.extend(skipped(&after[2..], "no usable credentials"));
            return checks;
        }
    }
    checks.push(region(&aws));
    let caller = match aws.caller().await {
        Ok(caller) => {
            checks.push(Check::ok("caller", caller.arn.clone()));
            caller
        }
        Err(e) => {
            checks.push(failed("caller", e));
            checks.extend(skipped(&after[3..], "AWS did not answer who is calling"));
            return checks;
        }
    };
    checks.push(clock(&aws));
    if station {
        checks.push(virtual_devices(&aws).await);
        return checks;
    }
    checks.push(
        match caller
            .user_name
            .as_deref()
            .map(|n| UserName::parse(n, Origin::Flag))
        {
            Some(Ok(user)) => match aws.totp_devices(&user).await {
                Ok(devices) if devices.is_empty() => Check::warn(
                    "mfa devices",
                    format!("user {user} has no TOTP device"),
                    "assign one in the IAM console (or `mfa-resync enroll`), or check the user",
                ),
                Ok(devices) => Check::ok(
                    "mfa devices",
                    format!("user {user}: {}", devices.join(", ")),
                ),
                Err(e) => {
                    let error = Error::from(e);
                    Check::warn(
                        "mfa devices",
                        error.to_string(),
                        error.hint().unwrap_or_default(),
                    )
                }
            },
            _ => Check::ok(
                "mfa devices",
                "the caller is not an IAM user: pass --user-name to resync",
            ),
        },
    );
    checks
}

/// Whether the station's credentials may call `iam:ListVirtualMFADevices`, and what it lists.
async fn virtual_devices(aws: &Aws) -> Check {
    match aws.virtual_devices(Listing::All).await {
        Ok(devices) => {
            let assigned = devices.iter().filter(|d| d.user.is_some()).count();
            Check::ok(
                "virtual mfa",
                format!(
                    "ListVirtualMFADevices: {} in the account, {assigned} enabled for a user",
                    devices.len()
                ),
            )
        }
        Err(e) => Check {
            fix: Some("a station needs iam:ListVirtualMFADevices (to find each key's device) and iam:ResyncMFADevice on the users it serves: ask an administrator".into()),
            ..failed("virtual mfa", e)
        },
    }
}

fn region(aws: &Aws) -> Check {
    if let Some(warning) = aws.region_warning() {
        return Check::warn(
            "region",
            warning,
            "check --region, AWS_REGION and the profile's region",
        );
    }
    Check::ok(
        "region",
        if aws.region_defaulted {
            format!("{} (none configured; IAM is global)", aws.region)
        } else {
            aws.region.clone()
        },
    )
}

/// The host clock against AWS's, as `resync` says it ("7.3 s behind AWS").
fn clock(aws: &Aws) -> Check {
    let Some(skew) = measure_skew(aws) else {
        return Check::warn(
            "clock",
            "AWS's answer had no Date header",
            "check --endpoint-url",
        );
    };
    let secs = skew.seconds();
    if skew.is_zero() {
        return Check::ok("clock", format!("within {SKEW_WARN_SECS} s of AWS"));
    }
    let detail = format!("host clock {}", clock::skew_words(skew));
    if secs.abs() > SKEW_FAIL_SECS {
        Check::fail(
            "clock",
            detail,
            Some(format!(
                "sync the host clock ({}); YubiKey, OTP-slot and seed codes follow it",
                clock::clock_fix()
            )),
            Exit::ServiceFailure,
        )
    } else if skew.worth_fixing() {
        Check::warn(
            "clock",
            detail,
            format!(
                "sync the host clock ({}); mfa-resync corrects for it meanwhile",
                clock::clock_fix()
            ),
        )
    } else {
        Check::ok("clock", format!("{detail}: within {SKEW_WARN_SECS} s"))
    }
}
