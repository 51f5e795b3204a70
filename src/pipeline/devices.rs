//! What `devices` lists, the first thing a help desk sees: it lists the PC/SC readers, the YubiKeys in them (serial, firmware, form factor, USB or NFC) and,
//! with `--accounts`, each key's OATH credentials: names and flags only, never a code or a secret. A
//! locked key's credentials are listed only with its password (`MFA_RESYNC_OATH_PASSWORD` or a prompt).

use crate::error::Error;
use crate::model::{Origin, SerialNumber};
use crate::pipeline::open::oath_password;
use crate::report::{ListedKey, ReaderState, Reporter};
use crate::request::DevicesRequest;
use crate::source::smartcard;
use crate::source::yubikey::{self, Account, OpenKey, Wanted, account};
use crate::window::{Clock, SystemClock};

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
    let now = SystemClock.now().as_secs();
    let notifier = reporter.notifier();
    // Which credential each configured profile would use: read from the config files only (no
    // credentials, no network), and only when credentials are listed.
    let profiles = if request.accounts && !keys.is_empty() {
        crate::aws::profiles::mfa_serials().await
    } else {
        Vec::new()
    };
    let listed: Vec<ListedKey> = keys
        .into_iter()
        .map(|(key, conn)| {
            let accounts = request.accounts.then(|| {
                OpenKey::open(conn, key.clone(), oath_password(), now, notifier.as_ref())
                    .map(|open| users_of(open.accounts(), &profiles, &key.label()))
                    .map_err(|e| e.to_string())
            });
            ListedKey { key, accounts }
        })
        .collect();
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
fn users_of(
    accounts: &[Account],
    profiles: &[(String, String)],
    key: &str,
) -> Vec<(Account, Vec<String>)> {
    let mut used: Vec<(Account, Vec<String>)> =
        accounts.iter().map(|a| (a.clone(), Vec::new())).collect();
    for (profile, serial) in profiles {
        let Ok(serial) = SerialNumber::parse(serial, Origin::Flag) else {
            continue;
        };
        let wanted = Wanted::for_device(&serial, None, None);
        // Only a credential named for the device counts: "the only TOTP credential" is no mark.
        if let Ok((chosen, step)) = account::choose(accounts, &wanted, key)
            && step != yubikey::Step::Only
            && let Some((_, names)) = used.iter_mut().find(|(a, _)| a.id == chosen.id)
        {
            names.push(profile.clone());
        }
    }
    used
}
