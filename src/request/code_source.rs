//! Where the codes come from, as chosen on the command line or in a `--batch` row: a clap-free
//! [`SourceChoice`] (the flags, as given) is checked into a [`SourceSpec`] (what to open), before any
//! device or file is touched.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::model::{
    CredentialNameProblem, Field, InputError, Problem, Takes, Usage, looks_like_seed, refuse_seed,
};
use crate::source::otp_slot::SlotNumber;
use crate::source::seed::SeedOrigin;
use crate::source::yubikey::Selector;

/// The code sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A TOTP seed (base32 or otpauth:// URI) from a file, a variable or stdin.
    Seed,
    /// A display token: the user types the codes.
    Prompt,
    /// A YubiKey's OATH application, over PC/SC (USB or an NFC reader).
    Yubikey,
    /// A YubiKey OTP slot in HMAC-SHA1 challenge-response mode.
    OtpSlot,
}

/// The source flags as given, before they are checked together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceChoice {
    /// `--source`
    pub source: Option<SourceKind>,
    /// `--seed-file`
    pub seed_file: Option<PathBuf>,
    /// `--seed-env`
    pub seed_env: Option<String>,
    /// `--seed-stdin`
    pub seed_stdin: bool,
    /// `--device`
    pub device: Option<u32>,
    /// `--reader`
    pub reader: Option<String>,
    /// `--account`
    pub account: Option<String>,
    /// `--slot`
    pub slot: Option<u8>,
    /// `--digits` (6 or 8)
    pub digits: Option<u32>,
    /// aws-vault's `YKMAN_OATH_CREDENTIAL_NAME`, as found in the environment.
    pub aws_vault_credential: Option<OsString>,
    /// aws-vault's `YKMAN_OATH_DEVICE_SERIAL`, as found in the environment.
    pub aws_vault_device: Option<OsString>,
}

/// Where the codes of a request come from, once validated.
#[derive(Debug)]
pub enum SourceSpec {
    /// A seed from this place (read, not yet parsed: reading is I/O and happens just after).
    Seed(SeedOrigin),
    /// Typed from a display token.
    Prompt,
    /// A YubiKey OTP slot's challenge-response.
    OtpSlot {
        /// Which key.
        selector: Selector,
        /// Slot 1 or 2.
        slot: SlotNumber,
        /// 6 or 8.
        digits: u32,
    },
    /// A YubiKey's OATH account.
    YubiKey {
        /// Which key.
        selector: Selector,
        /// `--account`, if given.
        account: Option<String>,
        /// `YKMAN_OATH_CREDENTIAL_NAME` (aws-vault), if set.
        aws_vault: Option<String>,
    },
}

impl SourceChoice {
    /// The source these flags choose, or `None` when they choose nothing (the caller decides the
    /// default: the attached YubiKey, or given codes).
    pub fn spec(&self) -> Result<Option<SourceSpec>, InputError> {
        let seed = self.seed_origin()?;
        self.check_key_flags()?;
        let key_flags = self.device.is_some() || self.reader.is_some() || self.account.is_some();
        if (self.slot.is_some() || self.digits.is_some())
            && self.source != Some(SourceKind::OtpSlot)
        {
            return Err(Usage::SlotWithoutOtp.into());
        }
        match (self.source, seed) {
            (Some(SourceKind::OtpSlot), seed) => self.otp_slot(seed.is_some()).map(Some),
            (Some(SourceKind::Seed) | None, Some(_)) if key_flags => {
                Err(Usage::KeyFlagsWithSeed.into())
            }
            (Some(SourceKind::Seed) | None, Some(origin)) => Ok(Some(SourceSpec::Seed(origin))),
            (Some(SourceKind::Seed), None) => {
                Err(InputError::flag("--source seed", Problem::SeedPlaceMissing))
            }
            (Some(SourceKind::Prompt), Some(_)) => Err(Usage::PromptWithSeed.into()),
            (Some(SourceKind::Prompt), None) if key_flags => Err(Usage::PromptWithKeyFlags.into()),
            (Some(SourceKind::Prompt), None) => Ok(Some(SourceSpec::Prompt)),
            (Some(SourceKind::Yubikey), Some(_)) => Err(Usage::YubikeyWithSeed.into()),
            (Some(SourceKind::Yubikey), None) => self.yubikey().map(Some),
            (None, None) if key_flags => self.yubikey().map(Some),
            // Nothing chosen: the caller's default (the attached key, or given codes), with
            // aws-vault's variables kept for when it is the key.
            (None, None) => Ok(None),
        }
    }

    /// `--device`, else aws-vault's `YKMAN_OATH_DEVICE_SERIAL` when no reader is named either.
    fn selector(&self) -> Result<Selector, InputError> {
        let serial = match (self.device, &self.reader, &self.aws_vault_device) {
            (None, None, Some(value)) => {
                let serial = value.to_str().and_then(|v| v.trim().parse::<u32>().ok());
                let serial = serial.ok_or_else(|| {
                    InputError::flag("YKMAN_OATH_DEVICE_SERIAL", Problem::NotAKeySerial)
                })?;
                tracing::info!(serial, "the key is YKMAN_OATH_DEVICE_SERIAL's (aws-vault)");
                Some(serial)
            }
            (device, _, _) => device,
        };
        Ok(Selector {
            serial,
            reader: self.reader.clone(),
        })
    }

    /// aws-vault's `YKMAN_OATH_CREDENTIAL_NAME`, which names the credential when `--account` does not.
    fn aws_vault_credential(&self) -> Result<Option<String>, InputError> {
        let Some(value) = &self.aws_vault_credential else {
            return Ok(None);
        };
        let bad = |problem| {
            InputError::flag(
                "YKMAN_OATH_CREDENTIAL_NAME",
                Problem::CredentialName(problem),
            )
        };
        match value.to_str() {
            None => Err(bad(CredentialNameProblem::NotUtf8)),
            Some("") => Err(bad(CredentialNameProblem::Empty)),
            Some(name) if name.len() > 64 * 4 => Err(bad(CredentialNameProblem::Long)),
            Some(name) => {
                tracing::info!("the credential is YKMAN_OATH_CREDENTIAL_NAME's (aws-vault)");
                Ok(Some(name.to_string()))
            }
        }
    }

    /// The YubiKey these flags (or aws-vault's variables) name, else the attached one, and the
    /// credential that fits the target: also what is read when neither codes nor a source are given.
    pub fn yubikey(&self) -> Result<SourceSpec, InputError> {
        Ok(SourceSpec::YubiKey {
            selector: self.selector()?,
            account: self.account.clone(),
            aws_vault: self.aws_vault_credential()?,
        })
    }

    fn seed_origin(&self) -> Result<Option<SeedOrigin>, InputError> {
        Ok(if let Some(path) = &self.seed_file {
            refuse_seed(
                Field::flag("--seed-file"),
                &path.to_string_lossy(),
                Takes::SeedFile,
            )?;
            Some(SeedOrigin::File(path.clone()))
        } else if let Some(var) = &self.seed_env {
            check_env_name(var)?;
            Some(SeedOrigin::Env(var.clone()))
        } else if self.seed_stdin {
            Some(SeedOrigin::Stdin)
        } else {
            None
        })
    }

    fn check_key_flags(&self) -> Result<(), InputError> {
        if let Some(name) = &self.reader {
            check_reader(name)?;
        }
        if let Some(account) = &self.account {
            refuse_seed(Field::flag("--account"), account, Takes::Account)?;
            if account.is_empty() || account.len() > 64 * 4 {
                return Err(InputError::flag("--account", Problem::AccountLength));
            }
        }
        Ok(())
    }

    fn otp_slot(&self, seed_given: bool) -> Result<SourceSpec, InputError> {
        if seed_given || self.account.is_some() {
            return Err(Usage::OtpSlotWithSeed.into());
        }
        let slot = match self.slot {
            Some(1) => SlotNumber::One,
            Some(_) => SlotNumber::Two,
            None => {
                return Err(InputError::flag("--slot", Problem::SlotMissing));
            }
        };
        Ok(SourceSpec::OtpSlot {
            selector: self.selector()?,
            slot,
            digits: if self.digits == Some(8) { 8 } else { 6 },
        })
    }
}

/// `--reader` names a reader as PC/SC does: never a seed, never empty.
pub fn check_reader(name: &str) -> Result<(), InputError> {
    refuse_seed(Field::flag("--reader"), name, Takes::Reader)?;
    if name.trim().is_empty() || name.contains('\0') {
        return Err(InputError::flag("--reader", Problem::ReaderEmpty));
    }
    Ok(())
}

/// `--seed-env` takes a variable's name as POSIX shells write them (`[A-Za-z_][A-Za-z0-9_]*`), never
/// the seed: a value of a seed's shape is refused unless a variable of that name is set (a seed is
/// never also the name of a set variable), and nothing of it is echoed either way.
fn check_env_name(var: &str) -> Result<(), InputError> {
    let field = Field::flag("--seed-env");
    let identifier = var
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if looks_like_seed(var) && !(identifier && std::env::var_os(var).is_some()) {
        return Err(InputError::invalid(
            field,
            Problem::LooksLikeSeed(Takes::SeedEnv),
        ));
    }
    if !identifier {
        return Err(InputError::invalid(field, Problem::NotEnvName));
    }
    Ok(())
}
