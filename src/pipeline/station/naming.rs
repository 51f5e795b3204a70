//! Which credentials on a key are AWS credentials of the accounts a station serves, read off their
//! names alone (a pure rule, tested without a key): a credential named after its device's serial
//! ARN, with or without an issuer (aws-vault's `mfa_serial` convention), or `OWNER@ACCOUNT` with the
//! issuer `Amazon Web Services` or none, as AWS's QR code names it (`$virtualMFADeviceName@$AccountName`,
//! the account's alias when it has one; older console flows put the user name before the `@`).
//! Matches are exact; anything else on the key (other issuers, HOTP, other accounts) is not the
//! station's.

use crate::model::is_account_id;
use crate::model::{Origin, SerialNumber};
use crate::source::yubikey::{Account, account};

/// What an AWS credential's name says about its device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsName {
    /// Named after the device's serial ARN.
    Serial(SerialNumber),
    /// `OWNER@ACCOUNT`: OWNER a user's or a virtual device's name, ACCOUNT an id or an alias.
    Owner {
        /// Before the last `@`.
        owner: String,
        /// After the last `@`.
        account: String,
    },
}

impl AwsName {
    /// The account id or alias the name puts the device in.
    pub fn account(&self) -> &str {
        match self {
            AwsName::Serial(serial) => serial.account().unwrap_or_default(),
            AwsName::Owner { account, .. } => account,
        }
    }
}

/// An AWS credential on a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its YKOATH id, to read it by.
    pub id: Vec<u8>,
    /// `issuer:name`, as ykman shows it.
    pub shown: String,
    /// What its name says.
    pub name: AwsName,
}

/// What the name of `account` says, if it names an AWS device at all.
pub fn aws_name(account: &Account) -> Option<AwsName> {
    if !account.totp {
        return None;
    }
    // With no issuer the whole id is the ARN; with one (any issuer), the name after it is.
    for text in [account.display_name(), account.name.clone()] {
        if let Some(serial) = serial_arn(&text) {
            return Some(AwsName::Serial(serial));
        }
    }
    let (owner, id_or_alias) = account::qr_parts(account)?;
    (!owner.is_empty() && is_account_or_alias(id_or_alias)).then(|| AwsName::Owner {
        owner: owner.to_string(),
        account: id_or_alias.to_string(),
    })
}

fn serial_arn(text: &str) -> Option<SerialNumber> {
    if !text.starts_with("arn:") || !text.contains(":mfa/") {
        return None;
    }
    let serial = SerialNumber::parse(text, Origin::Flag).ok()?;
    (serial.account().is_some() && serial.device_name().is_some()).then_some(serial)
}

/// A 12-digit account id, or an alias: 3 to 63 of lower-case letters, digits and hyphens
/// (IAM API reference, CreateAccountAlias).
fn is_account_or_alias(text: &str) -> bool {
    (3..=63).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The AWS credentials of `accounts`, split into those the station serves (of an account in
/// `served`, or named with one of `aliases`) and the accounts the others belong to.
pub fn served(
    accounts: &[Account],
    served: &[String],
    aliases: &[String],
) -> (Vec<Candidate>, Vec<String>) {
    let mut mine = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for account in accounts {
        let Some(name) = aws_name(account) else {
            continue;
        };
        let of = name.account();
        if served.iter().any(|s| s == of) || aliases.iter().any(|a| a == of) {
            mine.push(Candidate {
                id: account.id.clone(),
                shown: account.display_name(),
                name,
            });
        } else if !others.iter().any(|o| o == of) {
            others.push(of.to_string());
        }
    }
    (mine, others)
}

/// Whether the account's alias could make one more credential the station's: a credential is
/// named with something that is neither a served account id nor any account id at all.
pub fn alias_could_help(accounts: &[Account], served: &[String]) -> bool {
    accounts.iter().filter_map(aws_name).any(|name| match name {
        AwsName::Owner { account, .. } => !is_account_id(&account) && !served.contains(&account),
        AwsName::Serial(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yubikey::ykoath::parse_id;

    fn key(ids: &[&str]) -> Vec<Account> {
        ids.iter().map(|id| parse_id(id.as_bytes(), true)).collect()
    }

    fn names(candidates: &[Candidate]) -> Vec<&str> {
        candidates.iter().map(|c| c.shown.as_str()).collect()
    }

    const SERVED: &str = "123456789012";

    #[test]
    fn every_aws_naming_form_of_the_served_account_is_kept() {
        let accounts = key(&[
            "arn:aws:iam::123456789012:mfa/alice",
            "Amazon Web Services:arn:aws:iam::123456789012:mfa/desk/bob-key",
            "Amazon Web Services:carol@123456789012",
            "dave@123456789012",
            "Amazon Web Services:erin@example.com@corp",
            "arn:aws-us-gov:iam::123456789012:mfa/frank",
        ]);
        let (mine, others) = served(&accounts, &[SERVED.into()], &["corp".into()]);
        assert_eq!(mine.len(), 6, "{:?}", names(&mine));
        assert!(others.is_empty());
        assert_eq!(
            mine[1].name,
            AwsName::Serial(
                SerialNumber::parse("arn:aws:iam::123456789012:mfa/desk/bob-key", Origin::Flag)
                    .unwrap()
            )
        );
        assert_eq!(
            mine[4].name,
            AwsName::Owner {
                owner: "erin@example.com".into(),
                account: "corp".into()
            }
        );
    }

    #[test]
    fn decoys_are_not_the_stations() {
        let accounts = key(&[
            "Amazon Web Services:alice@999999999999",
            "arn:aws:iam::999999999999:mfa/alice",
            "Amazon Web Services:alice@other-alias",
            "GitHub:alice@123456789012",
            "Example:someone",
            "alice@",
            "@123456789012",
            "arn:aws:iam::123456789012:user/alice",
        ]);
        let (mine, others) = served(&accounts, &[SERVED.into()], &[]);
        assert!(mine.is_empty(), "{:?}", names(&mine));
        assert_eq!(others, ["999999999999", "other-alias"]);
        let mut hotp = key(&["Amazon Web Services:alice@123456789012"]);
        hotp[0].totp = false;
        assert!(served(&hotp, &[SERVED.into()], &[]).0.is_empty());
    }

    #[test]
    fn the_alias_is_asked_only_when_a_name_could_use_it() {
        let served = [SERVED.to_string()];
        assert!(alias_could_help(
            &key(&["Amazon Web Services:alice@corp"]),
            &served
        ));
        assert!(!alias_could_help(
            &key(&[
                "Amazon Web Services:alice@123456789012",
                "alice@999999999999"
            ]),
            &served
        ));
        assert!(!alias_could_help(
            &key(&["arn:aws:iam::123456789012:mfa/alice"]),
            &served
        ));
    }
}
