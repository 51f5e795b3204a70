//! `mfa-resync devices`: what a help desk sees first, the keys on the station and their credentials.
//!
//! It lists the PC/SC readers, the YubiKeys in them (serial, firmware, form factor, USB or NFC) and,
//! with `--accounts`, each key's OATH credentials: names and flags only, never a code or a secret. A
//! locked key's credentials are listed only with its password (`MFA_RESYNC_OATH_PASSWORD` or a prompt).

use crate::error::Error;
use crate::pipeline::open::oath_password;
use crate::report::{ListedKey, Reporter};
use crate::request::DevicesRequest;
use crate::source::smartcard;
use crate::source::yubikey::{self, OpenKey};
use crate::window::{Clock, SystemClock};

/// Runs `devices`.
pub fn run(request: DevicesRequest, reporter: &Reporter) -> Result<(), Error> {
    let readers = smartcard::readers()?;
    let keys = if readers.is_empty() {
        Vec::new()
    } else {
        yubikey::discover(&request.selector)?
    };
    let now = SystemClock.now().as_secs();
    let notifier = reporter.notifier();
    let listed: Vec<ListedKey> = keys
        .into_iter()
        .map(|(key, conn)| {
            let accounts = request.accounts.then(|| {
                OpenKey::open(conn, key.clone(), oath_password(), now, notifier.as_ref())
                    .map(|open| open.accounts().to_vec())
                    .map_err(|e| e.to_string())
            });
            ListedKey { key, accounts }
        })
        .collect();
    reporter.devices(&readers, &listed);
    Ok(())
}
