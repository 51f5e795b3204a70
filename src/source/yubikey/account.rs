//! Which OATH credential on a key belongs to the target device: a pure rule over the key's
//! credential list and what is known of the target, so that `resync`, `codes`, `devices`, `--batch`
//! and a station all choose alike.
//!
//! Real keys hold credentials under the names their tools gave them: AWS's QR code
//! (`Amazon Web Services:DEVICE@ACCOUNT`, the account's alias when it has one), older console flows
//! (`USER@ACCOUNT`), aws-vault and its contrib script (the `mfa_serial` ARN, no issuer), or anything
//! a person typed into `ykman oath accounts add`. The steps below are tried in order; matches are
//! exact (never substrings), and two matches at one step are an error that lists them, never a
//! guess.

use super::Account;
use crate::model::{AWS_ISSUER, SerialNumber};
use crate::source::DeviceError;

/// What is known of the target, for choosing its credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    /// `--account NAME`: `ISSUER:NAME` or the bare name.
    pub explicit: Option<String>,
    /// aws-vault's `YKMAN_OATH_CREDENTIAL_NAME`.
    pub aws_vault: Option<String>,
    /// The target device's serial number (aws-vault names the credential after the `mfa_serial` ARN).
    pub serial: Option<String>,
    /// The names before the `@` of a QR-code credential: the IAM user, the virtual device's name.
    pub owners: Vec<String>,
    /// The names after the `@`: the account id and, once asked, its alias.
    pub accounts: Vec<String>,
}

impl Wanted {
    /// What the credential of `serial`'s device may be called: named after the serial, or
    /// `OWNER@ACCOUNT` with the device's name (and `user`, when known) before the `@` and the
    /// serial's account (else `account`) after it.
    pub fn for_device(serial: &SerialNumber, user: Option<&str>, account: Option<&str>) -> Wanted {
        let mut owners: Vec<String> = user.map(str::to_string).into_iter().collect();
        if let Some(device) = serial.device_name()
            && !owners.iter().any(|o| o == device)
        {
            owners.push(device.to_string());
        }
        Wanted {
            serial: Some(serial.to_string()),
            owners,
            accounts: serial
                .account()
                .or(account)
                .map(str::to_string)
                .into_iter()
                .collect(),
            ..Wanted::default()
        }
    }
}

/// The step that chose a credential, for `-v` and the station's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `--account`.
    Explicit,
    /// `YKMAN_OATH_CREDENTIAL_NAME`.
    AwsVault,
    /// Named after the serial number.
    Serial,
    /// `OWNER@ACCOUNT`, as AWS's QR code names it.
    QrCode,
    /// The only TOTP credential.
    Only,
}

impl Step {
    /// How the choice is explained.
    pub fn describe(self) -> &'static str {
        match self {
            Step::Explicit => "--account",
            Step::AwsVault => "YKMAN_OATH_CREDENTIAL_NAME (aws-vault)",
            Step::Serial => "named after the serial number",
            Step::QrCode => "named as AWS's QR code names it",
            Step::Only => "the only TOTP credential",
        }
    }
}

/// Chooses the credential for `wanted` among `accounts` of the key `key` (its label, for errors).
pub fn choose<'a>(
    accounts: &'a [Account],
    wanted: &Wanted,
    key: &str,
) -> Result<(&'a Account, Step), DeviceError> {
    let names = || {
        accounts
            .iter()
            .map(Account::display_name)
            .collect::<Vec<_>>()
    };
    for (step, query) in [
        (Step::Explicit, &wanted.explicit),
        (Step::AwsVault, &wanted.aws_vault),
    ] {
        let Some(query) = query else { continue };
        let chosen =
            by_name(accounts, query, key)?.ok_or_else(|| DeviceError::AccountNotFound {
                key: key.to_string(),
                wanted: query.clone(),
                available: names(),
            })?;
        return totp_only(chosen).map(|a| (a, step));
    }
    let totp: Vec<&Account> = accounts.iter().filter(|a| a.totp).collect();
    for (step, names) in [
        (Step::Serial, by_serial as Rule),
        (Step::QrCode, is_qr_name),
    ] {
        let hits: Vec<&Account> = totp.iter().copied().filter(|a| names(a, wanted)).collect();
        if let Some(one) = single(&hits, key)? {
            return Ok((one, step));
        }
    }
    let only = single(&totp, key)?.ok_or_else(|| DeviceError::AccountNotFound {
        key: key.to_string(),
        wanted: "a TOTP account".into(),
        available: names(),
    })?;
    Ok((only, Step::Only))
}

/// Whether asking for the account's alias could change the choice: nothing matched before the
/// QR-code step, and the key holds an AWS-issued (or issuer-less) `OWNER@Y` credential whose `Y`
/// is not one of the accounts already known. Only then is `iam:ListAccountAliases` worth a call.
pub fn alias_could_help(accounts: &[Account], wanted: &Wanted) -> bool {
    if wanted.explicit.is_some() || wanted.aws_vault.is_some() {
        return false;
    }
    if accounts.iter().any(|a| names_device(a, wanted)) {
        return false;
    }
    accounts.iter().filter(|a| a.totp).any(|a| {
        qr_parts(a).is_some_and(|(owner, account)| {
            wanted.owners.iter().any(|o| o == owner)
                && !wanted.accounts.iter().any(|known| known == account)
        })
    })
}

/// `(OWNER, ACCOUNT)` of a credential named as AWS's QR code names it: issuer `Amazon Web
/// Services` or none, `OWNER@ACCOUNT` split at the last `@` (user and device names may hold one;
/// an account id or alias never does). The one reading of that form, for `resync` and `station`.
pub fn qr_parts(a: &Account) -> Option<(&str, &str)> {
    let aws_issued = a
        .issuer
        .as_deref()
        .is_none_or(|issuer| issuer == AWS_ISSUER);
    if aws_issued {
        a.name.rsplit_once('@')
    } else {
        None
    }
}

/// Whether `a` is a TOTP credential named for `wanted`'s device: after its serial, or `OWNER@ACCOUNT`
/// as AWS's QR code names it. No other step counts (the only credential on a key names nothing).
pub fn names_device(a: &Account, wanted: &Wanted) -> bool {
    a.totp && (by_serial(a, wanted) || is_qr_name(a, wanted))
}

/// A rule of the steps that name the device.
type Rule = fn(&Account, &Wanted) -> bool;

/// Named after the target device's serial, with or without an issuer.
fn by_serial(a: &Account, wanted: &Wanted) -> bool {
    let serial = wanted.serial.as_deref();
    serial.is_some_and(|s| a.display_name() == s || a.name == s)
}

fn is_qr_name(a: &Account, wanted: &Wanted) -> bool {
    qr_parts(a).is_some_and(|(owner, account)| {
        wanted.owners.iter().any(|o| o == owner) && wanted.accounts.iter().any(|y| y == account)
    })
}

/// `ISSUER:NAME` exactly, else the bare name exactly; several bare-name matches are ambiguous.
fn by_name<'a>(
    accounts: &'a [Account],
    query: &str,
    key: &str,
) -> Result<Option<&'a Account>, DeviceError> {
    let full: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.display_name() == query)
        .collect();
    if let Some(one) = single(&full, key)? {
        return Ok(Some(one));
    }
    let bare: Vec<&Account> = accounts.iter().filter(|a| a.name == query).collect();
    single(&bare, key)
}

fn single<'a>(hits: &[&'a Account], key: &str) -> Result<Option<&'a Account>, DeviceError> {
    match hits {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        several => Err(DeviceError::SeveralAccounts {
            key: key.to_string(),
            available: several.iter().map(|a| a.display_name()).collect(),
        }),
    }
}

/// The account itself when it is TOTP; a HOTP account has no codes for a time window.
pub(super) fn totp_only(account: &Account) -> Result<&Account, DeviceError> {
    if account.totp {
        Ok(account)
    } else {
        Err(DeviceError::NotTotp {
            account: account.display_name(),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::ykoath::parse_id;
    use super::*;

    /// The accounts of a key holding credentials named `ids`, each TOTP (also the station's naming
    /// tests').
    pub(crate) fn key(ids: &[&str]) -> Vec<Account> {
        ids.iter().map(|id| parse_id(id.as_bytes(), true)).collect()
    }

    fn alice() -> Wanted {
        Wanted {
            serial: Some("arn:aws:iam::123456789012:mfa/alice-key".into()),
            owners: vec!["alice".into(), "alice-key".into()],
            accounts: vec!["123456789012".into()],
            ..Wanted::default()
        }
    }

    fn chosen(ids: &[&str], wanted: &Wanted) -> Result<(String, Step), DeviceError> {
        let accounts = key(ids);
        choose(&accounts, wanted, "YubiKey 1").map(|(a, s)| (a.display_name(), s))
    }

    #[test]
    fn each_naming_form_is_found_among_decoys() {
        let decoys = [
            "Amazon Web Services:alice@999999999999",
            "Amazon Web Services:bob@123456789012",
            "arn:aws:iam::999999999999:mfa/alice",
            "Amazon Web Services:alice@other-alias",
        ];
        let mut wanted = alice();
        for (form, step) in [
            ("arn:aws:iam::123456789012:mfa/alice-key", Step::Serial),
            (
                "Amazon Web Services:arn:aws:iam::123456789012:mfa/alice-key",
                Step::Serial,
            ),
            ("Amazon Web Services:alice@123456789012", Step::QrCode),
            ("alice-key@123456789012", Step::QrCode),
        ] {
            let mut ids = decoys.to_vec();
            ids.push(form);
            assert_eq!(chosen(&ids, &wanted).unwrap(), (form.to_string(), step));
        }
        wanted.accounts.push("corp".into());
        let ids = [&decoys[..], &["Amazon Web Services:alice@corp"]].concat();
        assert_eq!(
            chosen(&ids, &wanted).unwrap().1,
            Step::QrCode,
            "the alias counts once known"
        );
    }

    #[test]
    fn explicit_names_win_and_must_exist() {
        let ids = ["Amazon Web Services:alice@123456789012", "Example:alice"];
        let mut wanted = alice();
        wanted.aws_vault = Some("Example:alice".into());
        assert_eq!(chosen(&ids, &wanted).unwrap().1, Step::AwsVault);
        wanted.explicit = Some("alice@123456789012".into());
        assert_eq!(chosen(&ids, &wanted).unwrap().1, Step::Explicit);
        wanted.explicit = Some("alice@12345678901".into());
        assert!(matches!(
            chosen(&ids, &wanted).unwrap_err(),
            DeviceError::AccountNotFound { .. }
        ));
    }

    #[test]
    fn two_matches_at_one_step_are_an_error_listing_both() {
        let ids = [
            "Amazon Web Services:alice@123456789012",
            "alice@123456789012",
            "Other:x",
        ];
        let err = chosen(&ids, &alice()).unwrap_err();
        match err {
            DeviceError::SeveralAccounts { available, .. } => assert_eq!(available.len(), 2),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn the_only_totp_credential_is_taken_last() {
        assert_eq!(
            chosen(&["Example:someone"], &alice()).unwrap().1,
            Step::Only
        );
        assert!(chosen(&["A:x", "B:y"], &alice()).is_err());
    }

    #[test]
    fn an_owner_with_an_at_sign_is_split_at_the_last_one() {
        // IAM user and device names may hold `@`; an account id or alias never does.
        let mut wanted = alice();
        wanted.owners = vec!["alice@example.com".into()];
        let ids = [
            "Amazon Web Services:alice@example.com@123456789012",
            "Example:x",
        ];
        assert_eq!(chosen(&ids, &wanted).unwrap().1, Step::QrCode);
        let accounts = key(&["Amazon Web Services:alice@example.com@corp", "Example:x"]);
        assert!(alias_could_help(&accounts, &wanted));
    }

    #[test]
    fn substrings_never_match() {
        let ids = ["Amazon Web Services:alice@1234567890123", "Example:x"];
        assert!(chosen(&ids, &alice()).is_err());
    }

    #[test]
    fn the_alias_is_asked_only_when_it_could_decide() {
        let accounts = key(&["Amazon Web Services:alice@corp", "Example:x"]);
        assert!(alias_could_help(&accounts, &alice()));
        let accounts = key(&["Amazon Web Services:alice@123456789012", "alice@corp"]);
        assert!(!alias_could_help(&accounts, &alice()), "already found");
        let accounts = key(&["Amazon Web Services:bob@corp", "Example:x"]);
        assert!(!alias_could_help(&accounts, &alice()), "not alice's");
    }
}
