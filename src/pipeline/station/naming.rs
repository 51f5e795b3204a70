//! Which credentials on a key are AWS credentials of the accounts a station serves, read off their
//! names alone (a pure rule, tested without a key): a credential named after its device's serial
//! ARN, with or without an issuer (aws-vault's `mfa_serial` convention), or `OWNER@ACCOUNT` with the
//! issuer `Amazon Web Services` or none, as AWS's QR code names it (`$virtualMFADeviceName@$AccountName`,
//! the account's alias when it has one; older console flows put the user name before the `@`).
//! Matches are exact; anything else on the key (other issuers, other accounts) is not the
//! station's. A credential named as an AWS one but shaped as no AWS device's (HOTP, another hash,
//! other digits, a window other than 30 s: [`Account::aws_shape`]) is set apart as not an AWS
//! credential: IAM would refuse its codes, so it never takes a device's turn or a window.

use crate::model::is_account_id;
use crate::model::{Origin, SerialNumber};
use crate::source::yubikey::{Account, NotAws, account};

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

/// What the name of `account` says, if it names an AWS device at all (its shape aside).
pub fn aws_name(account: &Account) -> Option<AwsName> {
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

/// A key's credentials, as a station sees them.
#[derive(Debug, Default)]
pub struct Holdings {
    /// The AWS credentials of the accounts served.
    pub served: Vec<Candidate>,
    /// The accounts the key's other AWS credentials belong to.
    pub other_accounts: Vec<String>,
    /// Credentials named as AWS ones that cannot be (their whole id, and why).
    pub not_aws: Vec<(String, NotAws)>,
}

/// The AWS credentials of `accounts`: those the station serves (of an account in `served`, or
/// named with one of `aliases`), the accounts of the others, and those no AWS device could have.
pub fn served(accounts: &[Account], served: &[String], aliases: &[String]) -> Holdings {
    let mut holdings = Holdings::default();
    for account in accounts {
        let Some(name) = aws_name(account) else {
            continue;
        };
        if let Err(why) = account.aws_shape() {
            // The whole id: its period is what may be wrong.
            let id = String::from_utf8_lossy(&account.id).into_owned();
            holdings.not_aws.push((id, why));
            continue;
        }
        let of = name.account();
        if served.iter().any(|s| s == of) || aliases.iter().any(|a| a == of) {
            holdings.served.push(Candidate {
                id: account.id.clone(),
                shown: account.display_name(),
                name,
            });
        } else if !holdings.other_accounts.iter().any(|o| o == of) {
            holdings.other_accounts.push(of.to_string());
        }
    }
    holdings
}

/// Whether the account's alias could make one more credential the station's: a credential is
/// named with something that is neither a served account id nor any account id at all.
pub fn alias_could_help(accounts: &[Account], served: &[String]) -> bool {
    let shaped = accounts.iter().filter(|a| a.aws_shape().is_ok());
    shaped.filter_map(aws_name).any(|name| match name {
        AwsName::Owner { account, .. } => !is_account_id(&account) && !served.contains(&account),
        AwsName::Serial(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yubikey::account::tests::key;

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
        let held = served(&accounts, &[SERVED.into()], &["corp".into()]);
        let (mine, others) = (held.served, held.other_accounts);
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
        let held = served(&accounts, &[SERVED.into()], &[]);
        assert!(held.served.is_empty(), "{:?}", names(&held.served));
        assert_eq!(held.other_accounts, ["999999999999", "other-alias"]);
        assert!(held.not_aws.is_empty());
    }

    #[test]
    fn a_credential_no_aws_device_could_have_is_set_apart_and_never_served() {
        let mut accounts = key(&[
            "4000000000/Amazon Web Services:alice@123456789012",
            "Amazon Web Services:alice@123456789012",
            "arn:aws:iam::123456789012:mfa/bob",
            "Amazon Web Services:carol@123456789012",
        ]);
        accounts[2].totp = false;
        accounts[3].algorithm = 3;
        let held = served(&accounts, &[SERVED.into()], &[]);
        assert_eq!(
            names(&held.served),
            ["Amazon Web Services:alice@123456789012"]
        );
        assert_eq!(
            held.not_aws,
            [
                (
                    "4000000000/Amazon Web Services:alice@123456789012".to_string(),
                    NotAws::Period(4_000_000_000)
                ),
                (
                    "arn:aws:iam::123456789012:mfa/bob".to_string(),
                    NotAws::Hotp
                ),
                (
                    "Amazon Web Services:carol@123456789012".to_string(),
                    NotAws::Algorithm(3)
                ),
            ]
        );
        assert!(!alias_could_help(
            &key(&["60/Amazon Web Services:alice@corp"]),
            &[SERVED.into()]
        ));
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
