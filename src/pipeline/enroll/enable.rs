//! Checking the keys and enabling the device: each backup key's code for the current window is
//! compared with the seed's own, the primary's pair (the previous window and the current one, at
//! once: the seed is new, so neither can have been used) is compared code by code as it is read,
//! and the pair goes to `EnableMFADevice` through the same send loop and audit trail as a resync.
//!
//! An Enable that fails with an answer that does not say it was refused (a 500, a timeout, a lost
//! answer, or EntityAlreadyExists on a retry) may have taken effect: `ListMFADevices` decides,
//! and a device it shows enabled is never rolled back.

use std::sync::{Arc, Mutex};

use super::Steps;
use super::undo::Key;
use crate::audit::Trail;
use crate::aws::{Aws, AwsError, Receipt, Refused};
use crate::error::{Error, PairsFrom};
use crate::model::{IAM_CODE_DIGITS, SerialNumber, UserName};
use crate::pipeline::{
    Call, DEFAULT_MAX_ATTEMPTS, Interrupt, PairReader, Sender, Sent, send_with_retries,
};
use crate::report::Reporter;
use crate::source::seed::NewSeed;
use crate::source::{ClockOwner, Code, CodeSource, DeviceError, Notifier, SourceInfo};
use crate::window::{Mode, Period};

/// Runs a blocking call on a key off the runtime, racing Ctrl-C (the call itself runs on: a key
/// waiting for a touch answers when touched or timed out, and whoever uses the key next waits).
pub async fn on_key<T: Send + 'static>(
    interrupt: &Interrupt,
    call: impl FnOnce() -> Result<T, DeviceError> + Send + 'static,
) -> Result<T, Error> {
    match interrupt.race(tokio::task::spawn_blocking(call)).await? {
        Ok(result) => result.map_err(Error::from),
        Err(_) => Err(DeviceError::Malformed {
            what: "nothing: the thread talking to the key failed".into(),
        }
        .into()),
    }
}

/// Compares each backup key's code for the current window with the seed's own.
pub(super) async fn check_backups(
    steps: &Steps<'_>,
    keys: &[Key],
    seed: &Arc<Mutex<NewSeed>>,
    id: &str,
) -> Result<(), Error> {
    let (touch, reporter) = (steps.request.touch, steps.reporter);
    let counter = Period::DEFAULT.counter_at(steps.run.session.clock().now());
    for key in keys.iter().skip(1) {
        if touch {
            Notifier::act(
                reporter,
                &format!(
                    "Touch {} to check the credential written to it.",
                    key.label()
                ),
            );
        }
        let writer = key.clone();
        let name = id.to_string();
        let code = on_key(&steps.run.interrupt, move || {
            writer.code_at(&name, touch, counter)
        })
        .await?;
        let expected = seed_code(seed, counter)?;
        if code != expected {
            return Err(DeviceError::KeysDisagree { key: key.label() }.into());
        }
        reporter.line(format!("{} agrees with the seed.", key.label()));
    }
    Ok(())
}

fn seed_code(seed: &Arc<Mutex<NewSeed>>, counter: u64) -> Result<Code, DeviceError> {
    seed.lock()
        .map_err(|_| DeviceError::Malformed {
            what: "nothing: the seed's check failed midway".into(),
        })?
        .code_at(counter)
}

/// The primary key's codes, each compared with the seed's before it can be sent.
struct Checked {
    key: Box<dyn CodeSource>,
    seed: Arc<Mutex<NewSeed>>,
    label: String,
}

impl CodeSource for Checked {
    fn describe(&self) -> SourceInfo {
        self.key.describe()
    }

    fn clock(&self) -> ClockOwner {
        ClockOwner::Host
    }

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        let code = self.key.code_at(counter)?;
        if code != seed_code(&self.seed, counter)? {
            return Err(DeviceError::KeysDisagree {
                key: self.label.clone(),
            });
        }
        Ok(code)
    }
}

/// `EnableMFADevice` for the new device, which checks an unclear failure with `ListMFADevices`.
pub struct IamEnable<'a> {
    aws: &'a Aws,
    user: &'a UserName,
    serial: &'a SerialNumber,
    reporter: Reporter,
    /// Set when a failure's effect could not be checked.
    unclear: bool,
}

impl Call for IamEnable<'_> {
    async fn call(&mut self, code1: &Code, code2: &Code) -> Result<Receipt, Refused> {
        tracing::info!(
            user = self.user.as_str(),
            serial = self.serial.as_str(),
            "sending EnableMFADevice"
        );
        let refused = match self
            .aws
            .enable(self.user, self.serial, code1.expose(), code2.expose())
            .await
        {
            Ok(receipt) => return Ok(receipt),
            Err(refused) => refused,
        };
        let unclear =
            refused.error.is_transient() || matches!(refused.error, AwsError::AlreadyExists { .. });
        if !unclear {
            return Err(refused);
        }
        match self.aws.totp_devices(self.user).await {
            Ok(devices) if devices.iter().any(|d| d == self.serial.as_str()) => {
                self.reporter.line(format!(
                    "EnableMFADevice answered {}, but ListMFADevices shows {} enabled for {}: it took effect.",
                    refused.error.code(),
                    self.serial,
                    self.user
                ));
                Ok(Receipt {
                    request_id: refused.request_id,
                })
            }
            Ok(_) => Err(refused),
            Err(e) => {
                self.reporter.warn(format!(
                    "EnableMFADevice answered {} and ListMFADevices could not tell whether it took effect ({e})",
                    refused.error.code()
                ));
                self.unclear = true;
                Err(refused)
            }
        }
    }
}

/// Why the Enable failed, and whether the device may be enabled all the same.
pub struct NotEnabled {
    /// The error.
    pub error: Error,
    /// Whether any pair was sent without a clear refusal (the rollback then deactivates).
    pub maybe_enabled: bool,
}

/// Reads the primary's pair (each code checked against the seed) and enables the device `serial`
/// whose credential is `id`.
pub(super) async fn enable(
    steps: &Steps<'_>,
    primary: &Key,
    seed: &Arc<Mutex<NewSeed>>,
    (serial, id): (&SerialNumber, &str),
    trail: Trail<'_>,
) -> Result<Sent, NotEnabled> {
    let (session, reporter, user) = (&steps.run.session, steps.reporter, &steps.plan.user);
    let source = Checked {
        key: primary.source(id, steps.request.touch),
        seed: Arc::clone(seed),
        label: primary.label(),
    };
    // The seed is new: the previous window's code and the current one's, at once, in AWS's time.
    let mut reader = PairReader::new(
        Box::new(source),
        session.clock(),
        Mode::NoWait,
        reporter.clone(),
        steps.run.interrupt.clone(),
    )
    .require_digits(IAM_CODE_DIGITS)
    // Kept as a resync's are: a resync right after the enrolment plans past the Enable's windows.
    .remembered_in(steps.run.counters(), serial.as_str());
    let call = IamEnable {
        aws: &session.aws,
        user,
        serial,
        reporter: reporter.clone(),
        unclear: false,
    };
    let mut sender = Sender::new(call).audited(trail, ("enable", "enabled"), None);
    let sent = send_with_retries(&mut reader, &mut sender, DEFAULT_MAX_ATTEMPTS).await;
    sent.map_err(|mut error| {
        let maybe_enabled = sender.call().unclear
            || matches!(&error, Error::Aws { source, attempts, .. } if *attempts > 0 && source.is_transient())
            || matches!(&error, Error::Interrupted(i) if i.sent > 0);
        if let Error::Aws { pairs, .. } = &mut error {
            *pairs = PairsFrom::NewSeed;
        }
        NotEnabled {
            error,
            maybe_enabled,
        }
    })
}
