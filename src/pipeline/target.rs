//! The AWS side of a run, resolved once: the clients, who is calling, how far the host clock is
//! from AWS's, and for each target the user, the device and what its credential on a key is called.
//!
//! Defaults are what AWS can tell, never a question: the user is the caller's (`GetCallerIdentity`),
//! the device the profile's `mfa_serial`, else the user's one TOTP device (`ListMFADevices`). The
//! skew comes from the `Date` of the first answer, measured here and nowhere else; a session that
//! lives on (a station) measures it again from a later answer.

use std::sync::Arc;

use super::lock;
use crate::aws::{Aws, AwsError, Caller};
use crate::error::Error;
use crate::model::{InputError, Origin, SerialNumber, Usage, UserName};
use crate::report::Reporter;
use crate::request::AwsOptions;
use crate::source::DeviceError;
use crate::source::yubikey::{Account, Wanted, account};
use crate::window::{Clock, ServerClock, Skew, SystemClock};

/// A connected run: the clients, the caller (when asked) and the skew measured from its answer.
#[derive(Debug)]
pub struct Session {
    /// The clients.
    pub aws: Aws,
    /// Who is calling, when it was asked.
    pub caller: Option<Caller>,
    /// AWS's clock minus the host's, as last measured.
    skew: std::sync::Mutex<Skew>,
    /// The account's aliases, once asked (or why they could not be read).
    aliases: tokio::sync::OnceCell<Result<Vec<String>, String>>,
}

/// The device a job acts on, and where each part of it came from (for the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The IAM user.
    pub user: UserName,
    /// `given`, `the caller`.
    pub user_from: &'static str,
    /// The device.
    pub serial: SerialNumber,
    /// `given`, `the profile's mfa_serial`, `the user's only TOTP device`.
    pub serial_from: &'static str,
}

/// How far the host clock is from AWS's, from the `Date` of the last answer `aws` received.
pub fn measure_skew(aws: &Aws) -> Option<Skew> {
    aws.last_date()
        .map(|(date, received)| Skew::from_date(date, received))
}

impl Session {
    /// Connects; asks who is calling when `ask_caller` (which also measures the skew). An endpoint
    /// that is not AWS's own is said first, at normal verbosity, so that a user sees where the
    /// codes will go (and a warning when they go there unencrypted).
    pub async fn connect(
        options: &AwsOptions,
        ask_caller: bool,
        reporter: &Reporter,
    ) -> Result<Session, Error> {
        let aws = Aws::connect(options).await?;
        // The flag and the variables were checked as input; a region the SDK still has of the
        // wrong shape came from the AWS config file, and is refused before any request as they are.
        if let Some(problem) = crate::request::aws::region_problem(&aws.region) {
            let profile = options.profile.clone();
            let profile = profile.or_else(|| std::env::var("AWS_PROFILE").ok());
            return Err(InputError::from(Usage::ProfileRegion {
                profile: profile.unwrap_or_else(|| "default".into()),
                problem: Box::new(problem),
            })
            .into());
        }
        for (services, endpoint) in crate::aws::endpoint::grouped(&aws.endpoints) {
            let line = format!(
                "Endpoint for {services}: {} (from {}).",
                endpoint.url, endpoint.origin
            );
            if endpoint.is_cleartext_remote() {
                reporter.warn(format!(
                    "{line} It is plain HTTP to another host: the codes cross the network unencrypted."
                ));
            } else {
                reporter.line(line);
            }
        }
        if let Some(warning) = aws.region_warning() {
            reporter.warn(warning);
        }
        let caller = if ask_caller {
            Some(aws.caller().await?)
        } else {
            None
        };
        let skew = measure_skew(&aws).unwrap_or(Skew::ZERO);
        Ok(Session {
            aws,
            caller,
            skew: std::sync::Mutex::new(skew),
            aliases: tokio::sync::OnceCell::new(),
        })
    }

    /// AWS's clock minus the host's, as last measured.
    pub fn skew(&self) -> Skew {
        *lock(&self.skew)
    }

    /// Measures the skew again from the last answer's `Date`: a station runs for weeks, through
    /// NTP corrections and suspends of the host's clock, and plans each key in AWS's time as its
    /// latest answer tells it.
    pub fn measure_skew_again(&self) {
        if let Some(skew) = measure_skew(&self.aws) {
            let mut current = lock(&self.skew);
            if (skew.millis() - current.millis()).abs() > 1000 {
                tracing::info!(
                    was_ms = current.millis(),
                    now_ms = skew.millis(),
                    "the host clock moved against AWS's"
                );
            }
            *current = skew;
        }
    }

    /// AWS's time, as the host estimates it.
    pub fn clock(&self) -> ServerClock {
        ServerClock::new(Arc::new(SystemClock) as Arc<dyn Clock>, self.skew())
    }

    /// The caller's ARN, for the audit log.
    pub fn operator(&self) -> Option<String> {
        self.caller.as_ref().map(|c| c.arn.clone())
    }

    /// Says how the host clock stands, once, when it is off enough to be corrected.
    pub fn report_skew(&self, reporter: &Reporter) {
        let skew = self.skew();
        if skew.is_zero() {
            return;
        }
        reporter.line(format!(
            "The host clock is {}; planning windows in AWS's time.",
            crate::messages::clock::skew_words(skew)
        ));
    }

    /// The user and device to act on, from what was given and what AWS can tell; `key` is the key's
    /// credentials (its label, and them), when the codes come from a key whose credential is not
    /// named by hand: the device its credential names is the one.
    pub async fn resolve(
        &self,
        user: Option<UserName>,
        serial: Option<SerialNumber>,
        key: Option<(String, &[Account])>,
    ) -> Result<Target, Error> {
        let (user, user_from) = match user {
            Some(user) => (user, "given"),
            None => (self.caller_and_user(None).await?.1, "the caller"),
        };
        let (serial, serial_from) = match serial {
            Some(serial) => (serial, "given"),
            None => self.default_serial(&user, key).await?,
        };
        Ok(Target {
            user,
            user_from,
            serial,
            serial_from,
        })
    }

    /// Who is calling (asked now unless it was), and the user a command acts on: `named`, or the
    /// caller itself when it is an IAM user.
    pub async fn caller_and_user(
        &self,
        named: Option<&UserName>,
    ) -> Result<(Caller, UserName), Error> {
        let caller = match &self.caller {
            Some(caller) => caller.clone(),
            None => self.aws.caller().await?,
        };
        let user = match (named, &caller.user_name) {
            (Some(user), _) => user.clone(),
            (None, Some(name)) => UserName::parse(name, Origin::Flag)?,
            (None, None) => {
                return Err(AwsError::NotAUser {
                    arn: caller.arn.clone(),
                }
                .into());
            }
        };
        Ok((caller, user))
    }

    async fn default_serial(
        &self,
        user: &UserName,
        key: Option<(String, &[Account])>,
    ) -> Result<(SerialNumber, &'static str), Error> {
        if let Some(serial) = self.aws.profile_mfa_serial.as_deref() {
            let serial = SerialNumber::parse(serial, Origin::Flag).map_err(|e| {
                InputError::from(Usage::ProfileSerial {
                    problem: e.to_string(),
                })
            })?;
            return Ok((serial, "the profile's mfa_serial"));
        }
        let devices = self.aws.totp_devices(user).await?;
        if let Some((label, credentials)) = key
            && let Some(named) = self
                .named_device(user, &devices, &label, credentials)
                .await?
        {
            return Ok((named, "the device the key's credential names"));
        }
        match devices.as_slice() {
            [] => Err(AwsError::NoDevice {
                user: user.to_string(),
            }
            .into()),
            [only] => {
                let serial =
                    SerialNumber::parse(only, Origin::Flag).map_err(|_| AwsError::Other {
                        code: "InvalidSerial".into(),
                        what: "ListMFADevices returned a serial number IAM itself would not accept"
                            .into(),
                        detail: String::new(),
                    })?;
                Ok((serial, "the user's only TOTP device"))
            }
            many => Err(AwsError::AmbiguousDevice {
                user: user.to_string(),
                candidates: many.to_vec(),
            }
            .into()),
        }
    }

    /// The one of `devices` a credential on the key names (after its serial, or `DEVICE@ACCOUNT`
    /// as AWS's QR code names it); `None` when none does and the key holds nothing for this
    /// account, so the usual rules decide. A key whose credentials for this account name only
    /// devices the user does not have is stale: its codes would be refused, and nothing is sent.
    async fn named_device(
        &self,
        user: &UserName,
        devices: &[String],
        label: &str,
        credentials: &[Account],
    ) -> Result<Option<SerialNumber>, Error> {
        let mut accounts: Vec<String> = self.caller.iter().map(|c| c.account.clone()).collect();
        let parsed: Vec<SerialNumber> = devices
            .iter()
            .filter_map(|d| SerialNumber::parse(d, Origin::Flag).ok())
            .collect();
        let named_in = |accounts: &[String]| -> Vec<SerialNumber> {
            parsed
                .iter()
                .filter(|serial| {
                    let mut wanted = Wanted::for_device(serial, None, None);
                    wanted.accounts.extend(accounts.iter().cloned());
                    credentials
                        .iter()
                        .any(|a| account::names_device(a, &wanted))
                })
                .cloned()
                .collect()
        };
        let mut named = named_in(&accounts);
        // The alias is asked only when a credential is named after some other account name.
        let other_account = credentials.iter().any(|a| {
            account::qr_parts(a).is_some_and(|(_, account)| !accounts.iter().any(|k| k == account))
        });
        if named.is_empty()
            && other_account
            && let Ok(aliases) = self.aliases().await
        {
            accounts.extend(aliases.iter().cloned());
            named = named_in(&accounts);
        }
        match named.as_slice() {
            [one] => return Ok(Some(one.clone())),
            [] => {}
            several => {
                return Err(AwsError::AmbiguousDevice {
                    user: user.to_string(),
                    candidates: several.iter().map(|s| s.to_string()).collect(),
                }
                .into());
            }
        }
        // AWS-named credentials of this account for a device of this user's name (theirs, or one
        // `enroll` named after a key) that the user no longer has.
        let own = |owner: &str| crate::model::is_named_for_user(owner, user.as_str());
        let stale = credentials.iter().find_map(|a| {
            let (owner, account) = account::qr_parts(a)?;
            (a.totp && own(owner) && accounts.iter().any(|known| known == account))
                .then(|| (a.display_name(), owner.to_string()))
        });
        match stale {
            Some((credential, device)) => Err(DeviceError::StaleCredential {
                key: label.to_string(),
                credential,
                device,
                user: user.to_string(),
            }
            .into()),
            None => Ok(None),
        }
    }

    /// What the target's credential on a key may be called: named after the serial, or
    /// `OWNER@ACCOUNT` as AWS's QR code names it, the account's alias asked for only when a
    /// credential on the key could need it (`credentials`).
    pub async fn wanted(&self, target: &Target, credentials: Option<&[Account]>) -> Wanted {
        let caller_account = self.caller.as_ref().map(|c| c.account.as_str());
        // The device's own name, never the user's: a credential names its device (a found-again
        // key's `USER@ACCOUNT` names a device of that name, not the user's new one).
        let mut wanted = Wanted::for_device(&target.serial, None, caller_account);
        if let Some(credentials) = credentials
            && account::alias_could_help(credentials, &wanted)
            && let Ok(aliases) = self.aliases().await
        {
            wanted.accounts.extend(aliases.iter().cloned());
        }
        wanted
    }

    /// The caller's account aliases (`iam:ListAccountAliases`; an account has at most one), asked
    /// once per session; when they cannot be read (denied, say), why, said at `-v`: credentials are
    /// then matched by account id only.
    pub async fn aliases(&self) -> Result<&[String], &str> {
        self.aliases
            .get_or_init(|| async {
                self.aws.account_aliases().await.map_err(|e| {
                    tracing::warn!(error = %e, "could not read the account's alias; matching credentials by account id only");
                    e.to_string()
                })
            })
            .await
            .as_ref()
            .map(Vec::as_slice)
            .map_err(String::as_str)
    }
}
