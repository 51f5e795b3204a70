//! `mfa-resync doctor`: each thing that stands between this machine and a resync, checked in the
//! order a resync meets them, as a line with ok / warn / fail and the fix.
//!
//! Device checks use the device layer (pcscd, readers, YubiKeys) and the kernel's hidraw nodes; AWS
//! checks use the AWS layer (credentials, region, caller, devices) and the pipeline's one skew
//! measurement. Nothing is sent that changes anything, and no secret or code is read.

use std::path::Path;

use crate::aws::Aws;
use crate::error::Error;
use crate::exit::Exit;
use crate::pipeline::target::measure_skew;
use crate::report::{Check, CheckStatus, Reporter};
use crate::request::{AwsOptions, DoctorRequest, Origin, UserName};
use crate::source::smartcard;
use crate::source::yubikey::{self, Selector};

/// Skew above which host-clock sources risk a window off (warn), and past which they will (fail).
const SKEW_WARN_SECS: f64 = 2.0;
const SKEW_FAIL_SECS: f64 = 15.0;

/// Yubico's USB vendor id.
const YUBICO_VENDOR: &str = "00001050";

/// Where udev rules live, in the order udev reads them.
const RULES_DIRS: [&str; 3] = [
    "/etc/udev/rules.d",
    "/run/udev/rules.d",
    "/usr/lib/udev/rules.d",
];

/// Runs every check and prints the report; fails (with the first failure's exit code) only when a
/// check failed.
pub async fn run(request: DoctorRequest, reporter: &Reporter) -> Result<(), Error> {
    let mut checks = device_checks();
    checks.extend(hidraw_checks());
    checks.extend(aws_checks(&request.aws).await);
    reporter.doctor(&checks);
    match checks.iter().find(|c| c.status == CheckStatus::Fail) {
        Some(failed) => Err(Error::Doctor {
            failed: failed.name,
            exit: failed.exit,
        }),
        None => Ok(()),
    }
}

fn device_checks() -> Vec<Check> {
    let readers = match smartcard::readers() {
        Ok(readers) => readers,
        Err(e) => {
            return vec![Check::fail(
                "pcscd",
                e.to_string(),
                e.hint().map(str::to_string),
                Exit::Device,
            )];
        }
    };
    let mut checks = vec![Check::ok("pcscd", "running")];
    if readers.is_empty() {
        checks.push(Check::warn(
            "readers",
            "no smart-card reader",
            "plug in the YubiKey, or connect the NFC reader (OTP slots over HID and seeds do not need one)",
        ));
        return checks;
    }
    let names: Vec<String> = readers
        .iter()
        .map(|(r, present)| format!("{r}{}", if *present { " (card)" } else { "" }))
        .collect();
    checks.push(Check::ok("readers", names.join(", ")));
    checks.push(match yubikey::discover(&Selector::default()) {
        Ok(keys) if keys.is_empty() => Check::warn(
            "yubikeys",
            "none in the readers",
            "insert the YubiKey, or place it on the NFC reader",
        ),
        Ok(keys) => Check::ok(
            "yubikeys",
            keys.iter()
                .map(|(k, _)| format!("{} firmware {} {}", k, k.firmware, k.transport))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => Check::fail(
            "yubikeys",
            e.to_string(),
            e.hint().map(str::to_string),
            Exit::Device,
        ),
    });
    checks
}

/// The YubiKey hidraw nodes (the OTP and FIDO interfaces) and whether we may open them.
fn hidraw_checks() -> Vec<Check> {
    let mut nodes = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/sys/class/hidraw") {
        for entry in entries.flatten() {
            let uevent =
                std::fs::read_to_string(entry.path().join("device/uevent")).unwrap_or_default();
            let yubico = uevent
                .lines()
                .filter_map(|l| l.strip_prefix("HID_ID="))
                .any(|id| {
                    id.split(':')
                        .nth(1)
                        .is_some_and(|v| v.eq_ignore_ascii_case(YUBICO_VENDOR))
                });
            if yubico {
                nodes.push(Path::new("/dev").join(entry.file_name()));
            }
        }
    }
    let mut checks = Vec::new();
    if nodes.is_empty() {
        checks.push(Check::ok(
            "hidraw",
            "no YubiKey HID interface present (only OTP slots need one)",
        ));
    } else {
        let denied: Vec<String> = nodes
            .iter()
            .filter(|n| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(n)
                    .is_err()
            })
            .map(|n| n.display().to_string())
            .collect();
        checks.push(if denied.is_empty() {
            Check::ok(
                "hidraw",
                format!("{} YubiKey HID node(s) accessible", nodes.len()),
            )
        } else {
            Check::fail(
                "hidraw",
                format!("no access to {}", denied.join(", ")),
                Some(
                    "install the udev rules: see udev/README.md (or install the Debian package)"
                        .into(),
                ),
                Exit::Device,
            )
        });
    }
    checks.push(match installed_rules() {
        Some(path) => Check::ok("udev rules", path),
        None => Check::warn(
            "udev rules",
            "no rule grants YubiKey hidraw access to the logged-in user",
            "sudo install -m 644 udev/70-mfa-resync-yubikey.rules /usr/lib/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger",
        ),
    });
    checks
}

/// Ours, or another package's rule that tags Yubico hidraw nodes for the seat's user.
fn installed_rules() -> Option<String> {
    for dir in RULES_DIRS {
        let ours = Path::new(dir).join("70-mfa-resync-yubikey.rules");
        if ours.exists() {
            return Some(ours.display().to_string());
        }
    }
    for dir in RULES_DIRS {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if text.contains("1050") && text.contains("uaccess") && text.contains("hidraw") {
                return Some(entry.path().display().to_string());
            }
        }
    }
    None
}

async fn aws_checks(options: &AwsOptions) -> Vec<Check> {
    let mut checks = Vec::new();
    let aws = match Aws::connect(options).await {
        Ok(aws) => aws,
        Err(e) => {
            let error = Error::from(e);
            checks.push(Check::fail(
                "aws config",
                error.to_string(),
                error.hint(),
                error.exit(),
            ));
            return checks;
        }
    };
    for (services, endpoint) in crate::aws::endpoint::grouped(aws.endpoints()) {
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
            let expiry = match info.expires_in {
                Some(left) if left <= 0 => format!(", expired {} s ago", -left),
                Some(left) => format!(", expiring in {} min", left / 60),
                None => String::new(),
            };
            let detail = format!("{} credentials from {}{expiry}", info.kind, info.source);
            checks.push(match info.expires_in {
                Some(left) if left <= 0 => Check::fail(
                    "credentials",
                    detail,
                    Some("refresh them (e.g. `aws sso login`)".into()),
                    Exit::Credentials,
                ),
                _ => Check::ok("credentials", detail),
            });
        }
        Err(e) => {
            checks.push(Check::fail(
                "credentials",
                e.to_string(),
                Error::from(e).hint(),
                Exit::Credentials,
            ));
            return checks;
        }
    }
    let region = if aws.region_defaulted() {
        format!("{} (none configured; IAM is global)", aws.region())
    } else {
        aws.region().to_string()
    };
    checks.push(Check::ok("region", region));
    let caller = match aws.caller().await {
        Ok(caller) => {
            checks.push(Check::ok("caller", caller.arn.clone()));
            caller
        }
        Err(e) => {
            let error = Error::from(e);
            checks.push(Check::fail(
                "caller",
                error.to_string(),
                error.hint(),
                error.exit(),
            ));
            return checks;
        }
    };
    if let Some(skew) = measure_skew(&aws) {
        let secs = skew.seconds();
        let detail = format!("host clock {:+.1} s from AWS", -secs);
        checks.push(if secs.abs() > SKEW_FAIL_SECS {
            Check::fail("clock", detail, Some("sync the host clock (`timedatectl set-ntp true`); YubiKey, OTP-slot and seed codes follow it".into()), Exit::ServiceFailure)
        } else if secs.abs() > SKEW_WARN_SECS {
            Check::warn("clock", detail, "sync the host clock (`timedatectl set-ntp true`); mfa-resync corrects for it meanwhile")
        } else {
            Check::ok("clock", format!("within {SKEW_WARN_SECS} s of AWS"))
        });
    } else {
        checks.push(Check::warn(
            "clock",
            "AWS's answer had no Date header",
            "check --endpoint-url",
        ));
    }
    match caller
        .user_name
        .as_deref()
        .map(|n| UserName::parse(n, Origin::Flag))
    {
        Some(Ok(user)) => checks.push(match aws.totp_devices(&user).await {
            Ok(devices) if devices.is_empty() => Check::warn(
                "mfa devices",
                format!("user {user} has no TOTP device"),
                "assign one in the IAM console, or check the user",
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
        }),
        _ => checks.push(Check::ok(
            "mfa devices",
            "the caller is not an IAM user: pass --user-name to resync",
        )),
    }
    checks
}
