//! Opening a source before any network I/O, so that a missing key, a wrong password or a bad seed
//! fails before AWS is asked anything, and a source whose codes IAM cannot take (8 digits) is bad
//! input with nothing sent. A YubiKey is opened and unlocked here, but its credential is chosen only
//! once the target is known: the two states are the variants of [`Opened`].

use secrecy::SecretString;
use yubikit::platform::pcsc::PcscSmartCardConnection;

use crate::error::Error;
use crate::model::{IAM_CODE_DIGITS, InputError, Usage};
use crate::report::Reporter;
use crate::request::SourceSpec;
use crate::source::otp_slot;
use crate::source::prompt::PromptSource;
use crate::source::seed::SeedSource;
use crate::source::yubikey::{self, Account, KeyInfo, OpenKey, Password, Step, Wanted};
use crate::source::{ClockOwner, CodeSource, DeviceError, Notifier};
use crate::window::{Clock, SystemClock};

/// A source opened, before the target is known.
#[derive(Debug)]
pub enum Opened {
    /// Ready to read: a seed, a display token, an OTP slot.
    Ready(Box<dyn CodeSource>),
    /// A YubiKey, unlocked, whose credential is chosen for the target.
    Key {
        /// The open OATH session and its credentials.
        key: Box<OpenKey<PcscSmartCardConnection>>,
        /// `--account`, if given.
        explicit: Option<String>,
        /// `YKMAN_OATH_CREDENTIAL_NAME` (aws-vault), if set.
        aws_vault: Option<String>,
    },
}

impl Opened {
    /// Opens what `spec` names; the device layer speaks through `reporter`.
    pub fn open(spec: &SourceSpec, reporter: &Reporter) -> Result<Opened, Error> {
        let notifier = reporter.notifier();
        Ok(match spec {
            SourceSpec::Seed(origin) => {
                Opened::Ready(Box::new(SeedSource::load(origin, notifier.as_ref())?))
            }
            SourceSpec::Prompt => Opened::Ready(Box::new(PromptSource::stdin(notifier))),
            SourceSpec::OtpSlot {
                selector,
                slot,
                digits,
            } => Opened::Ready(otp_slot::open(selector, *slot, *digits, notifier)?),
            SourceSpec::YubiKey {
                selector,
                account,
                aws_vault,
            } => {
                let (key, conn) = yubikey::open_one(selector)?;
                let open = open_key(conn, key, notifier.as_ref())?;
                Opened::Key {
                    key: Box::new(open),
                    explicit: account.clone(),
                    aws_vault: aws_vault.clone(),
                }
            }
        })
    }

    /// Who chooses the window: the host for keys, seeds and slots; the token for typed codes.
    pub fn clock(&self) -> ClockOwner {
        match self {
            Opened::Ready(source) => source.clock(),
            Opened::Key { .. } => ClockOwner::Host,
        }
    }

    /// Refuses a source whose codes IAM cannot take, before anything is sent: bad input (exit 2).
    pub fn for_iam(self) -> Result<Opened, Error> {
        if let Opened::Ready(source) = &self {
            let info = source.describe();
            if info.digits as usize != IAM_CODE_DIGITS {
                return Err(InputError::from(Usage::Digits {
                    kind: info.kind,
                    digits: info.digits,
                })
                .into());
            }
        }
        Ok(self)
    }

    /// The key's label and credentials when the target's device is to be found by the credential on
    /// it: a key whose credential is not named by hand (`--account`, aws-vault's variable).
    pub fn naming_key(&self) -> Option<(String, &[Account])> {
        match self {
            Opened::Key {
                key,
                explicit: None,
                aws_vault: None,
            } => Some((key.key().label(), key.accounts())),
            _ => None,
        }
    }

    /// The key's credentials, when this is a key (to decide whether the account alias is worth asking).
    pub fn credentials(&self) -> Option<&[Account]> {
        match self {
            Opened::Ready(_) => None,
            Opened::Key { key, .. } => Some(key.accounts()),
        }
    }

    /// The source, with the key's credential chosen for `wanted` (`--account` taking precedence),
    /// and the step that chose it.
    pub fn finish(self, mut wanted: Wanted) -> Result<(Box<dyn CodeSource>, Option<Step>), Error> {
        Ok(match self {
            Opened::Ready(source) => (source, None),
            Opened::Key {
                key,
                explicit,
                aws_vault,
            } => {
                wanted.explicit = explicit;
                wanted.aws_vault = aws_vault;
                let (source, step) = key.choose(&wanted)?;
                (Box::new(source), Some(step))
            }
        })
    }
}

/// `key`'s OATH application, opened at the host's time and unlocked with
/// `MFA_RESYNC_OATH_PASSWORD`, else a prompt (which `notifier` answers only at a terminal).
pub fn open_key(
    conn: PcscSmartCardConnection,
    key: KeyInfo,
    notifier: &dyn Notifier,
) -> Result<OpenKey<PcscSmartCardConnection>, DeviceError> {
    let password = oath_password_or(Password::Prompt);
    OpenKey::open(conn, key, password, SystemClock.now().as_secs(), notifier)
}

/// `MFA_RESYNC_OATH_PASSWORD`, else `fallback` (a station, which never prompts, gives none).
pub fn oath_password_or(fallback: Password) -> Password {
    match std::env::var("MFA_RESYNC_OATH_PASSWORD") {
        Ok(password) => Password::Given(SecretString::from(password)),
        Err(_) => fallback,
    }
}
