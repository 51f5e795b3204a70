//! `mfa-resync devices`: what a help desk sees first, the keys on the station and their accounts.
//!
//! It lists the PC/SC readers, the YubiKeys in them (serial, firmware, form factor, USB or NFC) and,
//! with `--accounts`, each key's OATH accounts: names and flags only, never a code or a secret. A
//! locked key's accounts are listed only with its password (`MFA_RESYNC_OATH_PASSWORD` or a prompt).

use std::io::Write;

use serde_json::json;

use crate::cli::{DevicesArgs, OutputFormat};
use crate::error::Error;
use crate::source::DeviceError;
use crate::source::yubikey::{self, Account, KeyInfo, OpenKey, Selector};
use crate::window::{Clock, SystemClock};

/// One key as listed: its identity, and its accounts or why they could not be read.
struct Listed {
    key: KeyInfo,
    accounts: Option<Result<Vec<Account>, DeviceError>>,
}

/// Runs `devices`.
pub fn run(args: DevicesArgs) -> Result<(), Error> {
    let readers = yubikey::readers()?;
    let selector = Selector {
        serial: args.device,
        reader: args.reader,
    };
    let keys = if readers.is_empty() {
        Vec::new()
    } else {
        yubikey::discover(&selector)?
    };
    let now = SystemClock.now().as_secs();
    let listed: Vec<Listed> = keys
        .into_iter()
        .map(|(key, conn)| {
            let accounts = args.accounts.then(|| {
                OpenKey::open(conn, key.clone(), crate::resync::oath_password(), now)
                    .map(|open| open.accounts().to_vec())
            });
            Listed { key, accounts }
        })
        .collect();
    let mut out = std::io::stdout().lock();
    let written = match args.output {
        OutputFormat::Json => writeln!(out, "{}", to_json(&readers, &listed)),
        OutputFormat::Text => write!(out, "{}", to_text(&readers, &listed)),
    };
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = written.and_then(|()| out.flush());
    Ok(())
}

fn to_text(readers: &[(String, bool)], listed: &[Listed]) -> String {
    let mut text = String::new();
    if listed.is_empty() {
        text.push_str("No YubiKey found.\n");
    }
    for item in listed {
        let k = &item.key;
        let serial = k
            .serial
            .map_or_else(|| "serial unknown".to_string(), |s| s.to_string());
        text.push_str(&format!(
            "YubiKey {serial}  firmware {}  {}  {}  reader \"{}\"\n",
            k.firmware, k.form_factor, k.transport, k.reader
        ));
        match &item.accounts {
            None => {}
            Some(Ok(accounts)) if accounts.is_empty() => text.push_str("    (no OATH accounts)\n"),
            Some(Ok(accounts)) => {
                for a in accounts {
                    let kind = if a.totp {
                        format!("TOTP {} s", a.period)
                    } else {
                        "HOTP".to_string()
                    };
                    let touch = if a.touch { "  touch" } else { "" };
                    text.push_str(&format!("    {}  {kind}{touch}\n", a.display_name()));
                }
            }
            Some(Err(e)) => text.push_str(&format!("    accounts not listed: {e}\n")),
        }
    }
    let others: Vec<String> = readers
        .iter()
        .filter(|(name, _)| !listed.iter().any(|l| l.key.reader == *name))
        .map(|(name, present)| {
            format!(
                "{name} ({})",
                if *present { "another card" } else { "empty" }
            )
        })
        .collect();
    if readers.is_empty() {
        text.push_str("No smart-card reader is connected.\n");
    } else if !others.is_empty() {
        text.push_str(&format!("Other readers: {}\n", others.join(", ")));
    }
    text
}

fn to_json(readers: &[(String, bool)], listed: &[Listed]) -> serde_json::Value {
    json!({
        "Readers": readers.iter().map(|(name, present)| json!({"Name": name, "CardPresent": present})).collect::<Vec<_>>(),
        "YubiKeys": listed.iter().map(|item| {
            let k = &item.key;
            let mut value = json!({
                "Serial": k.serial,
                "Firmware": k.firmware,
                "FormFactor": k.form_factor,
                "Transport": k.transport,
                "Reader": k.reader,
            });
            match &item.accounts {
                None => {}
                Some(Ok(accounts)) => {
                    value["Accounts"] = accounts.iter().map(|a| json!({
                        "Issuer": a.issuer,
                        "Name": a.name,
                        "Type": if a.totp { "TOTP" } else { "HOTP" },
                        "Period": a.totp.then_some(a.period),
                        "Touch": a.touch,
                    })).collect::<Vec<_>>().into();
                }
                Some(Err(e)) => value["AccountsError"] = e.to_string().into(),
            }
            value
        }).collect::<Vec<_>>(),
    })
}
