//! What `devices` lists, the first thing a help desk sees: it lists the PC/SC readers, the YubiKeys in them (serial, firmware, form factor, USB or NFC) and,
//! with `--accounts`, each key's OATH credentials: names and flags only, never a code or a secret. A
//! locked key's credentials are listed only with its password (`MFA_RESYNC_OATH_PASSWORD` or a prompt).
//! Each AWS credential is shown with the device its name maps to, by the rule `resync` and
//! `station` use (or stale, or not found in the account), when IAM can be asked: a listing that
//! cannot reach IAM still lists, with a warning.

use crate::aws::{Listing, VirtualDevice};
use crate::error::Error;
use crate::model::{MapError, Origin, SerialNumber, is_account_id};
use crate::pipeline::Session;
use crate::pipeline::open::open_key;
use crate::pipeline::station::devices::{Lookup, lookup};
use crate::pipeline::station::naming::{AwsName, aws_name};
use crate::report::{CredentialDevice, ListedKey, ReaderState, Reporter, UsedCredential};
use crate::request::DevicesRequest;
use crate::source::smartcard;
use crate::source::yubikey::{self, Account, Wanted, account};

/// The readers and the keys in them, with their credentials when `request` asks for them.
pub async fn list(
    request: &DevicesRequest,
    reporter: &Reporter,
) -> Result<(Vec<ReaderState>, Vec<ListedKey>), Error> {
    let readers = smartcard::readers()?;
    // A card another program holds is listed as such, beside the keys that could be opened.
    let (keys, held) = if readers.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let survey = yubikey::survey(&request.selector)?;
        let keys = match (survey.keys.is_empty(), survey.held.is_empty()) {
            (true, false) => Vec::new(),
            _ => yubikey::with_serial(survey.keys, &request.selector)?,
        };
        (keys, survey.held)
    };
    let notifier = reporter.notifier();
    // Which credential each configured profile would use: read from the config files only (no
    // credentials, no network), and only when credentials are listed.
    let profiles = if request.accounts && !keys.is_empty() {
        crate::aws::profiles::mfa_serials().await
    } else {
        Vec::new()
    };
    let mut listed: Vec<ListedKey> = keys
        .into_iter()
        .map(|(key, conn)| {
            let accounts = request.accounts.then(|| {
                open_key(conn, key.clone(), notifier.as_ref())
                    .map(|open| users_of(open.accounts(), &profiles, &key.label()))
                    .map_err(|e| e.to_string())
            });
            ListedKey { key, accounts }
        })
        .collect();
    if aws_names(&listed).next().is_some() {
        map_to_devices(request, &mut listed, reporter).await;
    }
    let readers = readers
        .into_iter()
        .map(|(name, card_present)| ReaderState {
            held_by_another_program: held.contains(&name),
            name,
            card_present,
        })
        .collect();
    Ok((readers, listed))
}

/// Each credential with the profiles that would choose it for their `mfa_serial`, by the rule every
/// resync uses (named after the serial, or `DEVICE@ACCOUNT`; the alias is not asked here).
fn users_of(accounts: &[Account], profiles: &[(String, String)], key: &str) -> Vec<UsedCredential> {
    let mut used: Vec<UsedCredential> = accounts
        .iter()
        .map(|a| UsedCredential {
            account: a.clone(),
            profiles: Vec::new(),
            device: None,
        })
        .collect();
    for (profile, serial) in profiles {
        let Ok(serial) = SerialNumber::parse(serial, Origin::Flag) else {
            continue;
        };
        let wanted = Wanted::for_device(&serial, None, None);
        // Only a credential named for the device counts: "the only TOTP credential" is no mark.
        if let Ok((chosen, step)) = account::choose(accounts, &wanted, key)
            && step != yubikey::Step::Only
            && let Some(credential) = used.iter_mut().find(|c| c.account.id == chosen.id)
        {
            credential.profiles.push(profile.clone());
        }
    }
    used
}

/// The names of the credentials listed that are named as AWS ones.
fn aws_names(listed: &[ListedKey]) -> impl Iterator<Item = AwsName> + '_ {
    listed
        .iter()
        .filter_map(|k| k.accounts.as_ref()?.as_ref().ok())
        .flatten()
        .filter_map(|c| aws_name(&c.account))
}

/// Fills in the device each AWS credential names, from one listing of the account's virtual
/// devices; a failure to ask (no credentials, no network, no `iam:ListVirtualMFADevices`) is a
/// warning, and the credentials are listed without their devices.
async fn map_to_devices(request: &DevicesRequest, listed: &mut [ListedKey], reporter: &Reporter) {
    let asked = async {
        let session = Session::connect(&request.aws, true, reporter).await?;
        let devices = session.aws.virtual_devices(Listing::All).await?;
        Ok::<_, Error>((session, devices))
    };
    let (session, devices) = match asked.await {
        Ok(found) => found,
        Err(e) => {
            reporter.warn(format!(
                "the devices the credentials name were not looked up: {e}"
            ));
            return;
        }
    };
    let mut accounts: Vec<String> = session.caller.iter().map(|c| c.account.clone()).collect();
    // The alias is asked only when a name puts its device in something other than an account id.
    if aws_names(listed).any(|name| !is_account_id(name.account()))
        && let Ok(aliases) = session.aliases().await
    {
        accounts.extend(aliases.iter().cloned());
    }
    for credential in listed
        .iter_mut()
        .filter_map(|k| k.accounts.as_mut()?.as_mut().ok())
        .flatten()
    {
        credential.device = aws_name(&credential.account)
            .map(|name| device_of(&credential.account, &name, &accounts, &devices));
    }
}

/// The device `name` maps to among `devices` of `accounts` (the caller's id and aliases).
fn device_of(
    account: &Account,
    name: &AwsName,
    accounts: &[String],
    devices: &[VirtualDevice],
) -> CredentialDevice {
    if let Err(why) = account.aws_shape() {
        return CredentialDevice::Unusable {
            detail: format!("not an AWS credential: {why}"),
        };
    }
    if !accounts.iter().any(|a| a == name.account()) {
        return CredentialDevice::OtherAccount {
            account: name.account().to_string(),
        };
    }
    let e = match lookup(devices, name) {
        Lookup::Found { user, serial } => {
            return CredentialDevice::Found {
                serial_number: serial,
                user_name: user,
            };
        }
        Lookup::Missing(e) | Lookup::Ambiguous(e) => e,
    };
    let detail = e.to_string();
    match e {
        MapError::Stale { .. } => CredentialDevice::Stale { detail },
        MapError::NoOwner { .. } | MapError::NoSerial { .. } => {
            CredentialDevice::NotFound { detail }
        }
        MapError::Unassigned { .. }
        | MapError::Root { .. }
        | MapError::Several { .. }
        | MapError::Malformed { .. } => CredentialDevice::Unusable { detail },
    }
}
