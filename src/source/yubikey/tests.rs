//! The OATH source against the in-process virtual YubiKey: RFC 6238 codes through yubikit's
//! session, account choice, touch, password, and garbage answers that must be errors.

use testbed::virtual_yubikey::{
    CardConfig, CardConnection, CredentialConfig, Reply, ScriptedCard, TouchPolicy, VirtualCard,
};

use secrecy::SecretString;

use super::ykoath::{self, parse_id, shield, tlv, tlvs};
use super::*;
use crate::source::{CodeSource, DeviceError, Silent};

const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The key every in-process test opens (also the writing tests' and the enrolment report's).
pub(crate) fn key() -> KeyInfo {
    KeyInfo {
        reader: "in-process".into(),
        serial: Some(12345678),
        firmware: "5.7.2".into(),
        form_factor: "Keychain".into(),
        transport: "NFC".into(),
    }
}

fn card(config: CardConfig) -> VirtualCard {
    VirtualCard::new(config).unwrap()
}

/// A TOTP credential of [`SEED`] named `name`, as ykoath lists it.
fn account(name: &str) -> CredentialConfig {
    CredentialConfig::totp_for_account(name, SEED)
}

fn aws_card() -> VirtualCard {
    card(
        CardConfig::new(12345678)
            .with_credential(account("Amazon Web Services:alice@123456789012")),
    )
}

type Opened = Result<OpenKey<CardConnection<ScriptedCard>>, DeviceError>;

fn open(responder: ScriptedCard) -> Opened {
    open_with(responder, Password::None)
}

fn open_with(responder: ScriptedCard, password: Password) -> Opened {
    let conn = CardConnection::new(responder);
    OpenKey::open(conn, key(), password, 1_111_111_109, &Silent)
}

fn source(
    responder: ScriptedCard,
) -> Result<YubiKeySource<CardConnection<ScriptedCard>>, DeviceError> {
    open(responder)?
        .choose(&Wanted::default())
        .map(|(source, _)| source)
}

#[test]
fn codes_are_rfc_6238_through_yubikits_session() {
    let mut s = source(ScriptedCard::wrapping(aws_card())).unwrap();
    // RFC 6238 Appendix B, SHA-1, the last 6 of the 8 digits.
    assert_eq!(s.code_at(59 / 30).unwrap().expose(), "287082");
    assert_eq!(s.code_at(1_111_111_109 / 30).unwrap().expose(), "081804");
    assert_eq!(s.code_at(2_000_000_000 / 30).unwrap().expose(), "279037");
    assert_eq!(s.describe().device_serial.as_deref(), Some("12345678"));
}

#[test]
fn the_target_account_is_preferred_and_ambiguity_lists_names() {
    let config = CardConfig::new(1)
        .with_credential(account("Amazon Web Services:alice@111111111111"))
        .with_credential(account("Amazon Web Services:alice@123456789012"));
    let open_key = || open(ScriptedCard::wrapping(card(config.clone()))).unwrap();
    let choice = Wanted {
        owners: vec!["alice".into()],
        accounts: vec!["123456789012".into()],
        ..Wanted::default()
    };
    let (chosen, _) = open_key().choose(&choice).unwrap();
    assert_eq!(
        chosen.describe().account.as_deref(),
        Some("Amazon Web Services:alice@123456789012")
    );
    let err = open_key().choose(&Wanted::default()).unwrap_err();
    assert!(
        matches!(err, DeviceError::SeveralAccounts { ref available, .. } if available.len() == 2),
        "{err}"
    );
}

#[test]
fn hotp_accounts_are_refused() {
    let mut hotp = CredentialConfig::totp(None, "counter", SEED);
    hotp.oath_type = testbed::virtual_yubikey::OathType::Hotp;
    let config = CardConfig::new(1).with_credential(hotp);
    let open_key = open(ScriptedCard::wrapping(card(config))).unwrap();
    let err = open_key
        .choose(&Wanted {
            explicit: Some("counter".into()),
            ..Wanted::default()
        })
        .unwrap_err();
    assert!(matches!(err, DeviceError::NotTotp { .. }), "{err}");
}

#[test]
fn touch_accounts_are_known_and_a_missing_touch_times_out() {
    let mut account = account("Amazon Web Services:alice@123456789012");
    account.touch = true;
    let config = CardConfig::new(1)
        .with_credential(account)
        .with_touch(TouchPolicy::Deny {
            after: std::time::Duration::ZERO,
        });
    let mut s = source(ScriptedCard::wrapping(card(config))).unwrap();
    assert!(s.describe().touch);
    assert!(matches!(
        s.code_at(1).unwrap_err(),
        DeviceError::TouchTimedOut { .. }
    ));
}

#[test]
fn a_locked_key_needs_the_password() {
    let config = || {
        CardConfig::new(1)
            .with_credential(CredentialConfig::totp(None, "a", SEED))
            .with_password("pw")
    };
    let err = open(ScriptedCard::wrapping(card(config()))).unwrap_err();
    assert!(matches!(err, DeviceError::PasswordRequired { .. }), "{err}");
    let given = |password: &str| {
        let password = Password::Given(SecretString::from(password));
        open_with(ScriptedCard::wrapping(card(config())), password)
    };
    let wrong = given("nope").unwrap_err();
    assert!(
        matches!(wrong, DeviceError::WrongPassword { .. }),
        "{wrong}"
    );
    assert_eq!(given("pw").unwrap().accounts().len(), 1);
}

/// Garbage from the device is an error, never a panic: each answer replaces the card's own.
#[test]
fn garbage_answers_are_errors_not_panics() {
    let data = |bytes: &[u8]| Reply::data(bytes, 0x9000);
    #[rustfmt::skip]
    let cases = [
        ("an empty LIST entry", ykoath::INS_LIST, data(&[0x72, 0x00])),
        ("a LIST TLV past the end", ykoath::INS_LIST, data(&[0x72, 0x10, 0x21])),
        ("a LIST of unknown type", ykoath::INS_LIST, data(&[0x72, 0x02, 0x51, 0x41])),
        ("a CALCULATE ALL with a bad length", ykoath::INS_CALCULATE_ALL, data(&[0x71, 0x83])),
        ("a short truncated code", ykoath::INS_CALCULATE, data(&[0x76, 0x01, 0x06])),
        ("a code of 9 digits", ykoath::INS_CALCULATE, data(&[0x76, 0x05, 9, 1, 2, 3, 4])),
        ("a wrong tag", ykoath::INS_CALCULATE, data(&[0x75, 0x05, 6, 1, 2, 3, 4])),
        ("a wrong status word", ykoath::INS_CALCULATE, Reply::sw(0x6A80)),
        ("no status word at all", ykoath::INS_CALCULATE, Reply::raw(vec![0x90])),
        ("an empty answer", ykoath::INS_CALCULATE, Reply::raw(Vec::new())),
    ];
    for (what, ins, reply) in cases {
        let responder = ScriptedCard::wrapping(aws_card()).on_ins(ins, reply);
        let result = source(responder).and_then(|mut s| s.code_at(1));
        assert!(result.is_err(), "{what}: accepted");
    }
    // SELECT itself answering garbage: yubikit's own parsing, shielded.
    for reply in [
        data(&[0x79]),
        data(&[0x79, 0x03, 5, 7, 2]),
        Reply::sw(0x6A82),
    ] {
        let responder = ScriptedCard::wrapping(aws_card()).then(reply);
        assert!(open(responder).is_err());
    }
}

#[test]
fn the_shield_turns_a_panic_into_an_error() {
    assert!(shield("", || -> u8 { panic!("a device's garbage") }).is_err());
    assert_eq!(shield("", || 7).ok(), Some(7));
}

#[test]
fn ids_parse_as_ykoath_writes_them() {
    let a = parse_id(b"Amazon Web Services:alice@123456789012", true);
    assert_eq!(
        (a.issuer.as_deref(), a.name.as_str(), a.period),
        (Some("Amazon Web Services"), "alice@123456789012", 30)
    );
    let a = parse_id(b"60/Example:bob", true);
    assert_eq!(
        (a.issuer.as_deref(), a.name.as_str(), a.period),
        (Some("Example"), "bob", 60)
    );
    let a = parse_id(b"plain", true);
    assert_eq!((a.issuer.as_deref(), a.name.as_str()), (None, "plain"));
    assert_eq!(a.aws_shape(), Ok(()), "SHA-1, 30 s, digits not yet known");
}

#[test]
fn only_totp_sha1_six_digit_thirty_second_credentials_can_be_aws_s() {
    let shape = |id: &[u8], totp: bool| parse_id(id, totp).aws_shape();
    assert_eq!(
        shape(b"4000000000/Amazon Web Services:alice@123456789012", true),
        Err(NotAws::Period(4_000_000_000))
    );
    assert_eq!(
        shape(b"99999999999/Amazon Web Services:alice@123456789012", true),
        Err(NotAws::Period(0)),
        "a period past u32 is no period, not 30"
    );
    assert_eq!(shape(b"0/x", true), Err(NotAws::Period(0)));
    assert_eq!(
        shape(b"Amazon Web Services:alice@123456789012", false),
        Err(NotAws::Hotp)
    );
    let mut sha256 = parse_id(b"Amazon Web Services:alice@123456789012", true);
    sha256.algorithm = 2;
    assert_eq!(sha256.aws_shape(), Err(NotAws::Algorithm(2)));
    let mut eight = parse_id(b"Amazon Web Services:alice@123456789012", true);
    eight.digits = Some(8);
    assert_eq!(eight.aws_shape(), Err(NotAws::Digits(8)));
    eight.digits = Some(6);
    assert_eq!(eight.aws_shape(), Ok(()));
}

#[test]
fn tlvs_refuse_lengths_past_the_end() {
    assert_eq!(
        tlvs(&[0x71, 0x02, 0x41, 0x42]).unwrap(),
        vec![(0x71, &b"AB"[..])]
    );
    assert!(tlvs(&[0x71, 0x05, 0x41]).is_err());
    assert!(tlvs(&[0x71]).is_err());
    assert!(tlvs(&[0x71, 0x83, 0, 0, 1]).is_err());
    assert_eq!(tlv(0x74, &[0; 200])[..3], [0x74, 0x81, 200]);
}

#[test]
fn several_credentials_of_one_key_share_its_session() {
    let config = CardConfig::new(1)
        .with_credential(account("Amazon Web Services:alice@123456789012"))
        .with_credential(CredentialConfig::totp_with_id(
            "arn:aws:iam::123456789012:mfa/alice-admin",
            "JBSWY3DPEHPK3PXP",
        ))
        .with_credential(CredentialConfig {
            oath_type: testbed::virtual_yubikey::OathType::Hotp,
            ..CredentialConfig::totp(Some("Example"), "counter", SEED)
        });
    let open_key = || open(ScriptedCard::wrapping(card(config.clone()))).unwrap();
    let ids: Vec<Vec<u8>> = open_key()
        .accounts()
        .iter()
        .filter(|a| a.totp)
        .map(|a| a.id.clone())
        .collect();
    let mut sources = open_key().sources(&ids).unwrap();
    assert_eq!(sources.len(), 2);
    // Each reads its own credential through the one session, in turn.
    assert_eq!(sources[0].code_at(59 / 30).unwrap().expose(), "287082");
    let second = sources[1].code_at(59 / 30).unwrap();
    assert_ne!(second.expose(), "287082");
    assert_eq!(
        sources[0].code_at(1_111_111_109 / 30).unwrap().expose(),
        "081804"
    );
    assert_eq!(
        sources[1].describe().account.as_deref(),
        Some("arn:aws:iam::123456789012:mfa/alice-admin")
    );
    // An HOTP credential or one the key does not hold is refused.
    let hotp = open_key().accounts()[2].id.clone();
    assert!(matches!(
        open_key().sources(&[hotp]),
        Err(DeviceError::NotTotp { .. })
    ));
    assert!(matches!(
        open_key().sources(&[b"nobody".to_vec()]),
        Err(DeviceError::AccountNotFound { .. })
    ));
}

#[test]
fn list_and_calculate_all_tell_each_credential_s_shape() {
    let mut sha256 = account("Amazon Web Services:bob@123456789012");
    sha256.algorithm = testbed::virtual_yubikey::HashAlgorithm::Sha256;
    let mut eight = account("Amazon Web Services:carol@123456789012");
    eight.digits = 8;
    let mut rogue = account("Amazon Web Services:alice@123456789012");
    rogue.period = 4_000_000_000;
    let mut touch = account("Amazon Web Services:dave@123456789012");
    touch.touch = true;
    let config = CardConfig::new(12345678)
        .with_credential(account("Amazon Web Services:erin@123456789012"))
        .with_credential(sha256)
        .with_credential(eight)
        .with_credential(rogue)
        .with_credential(touch);
    let open = open(ScriptedCard::wrapping(card(config))).unwrap();
    let shapes: Vec<(String, Result<(), NotAws>)> = open
        .accounts()
        .iter()
        .map(|a| (a.name.clone(), a.aws_shape()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("erin@123456789012".to_string(), Ok(())),
            ("bob@123456789012".to_string(), Err(NotAws::Algorithm(2))),
            ("carol@123456789012".to_string(), Err(NotAws::Digits(8))),
            (
                "alice@123456789012".to_string(),
                Err(NotAws::Period(4_000_000_000))
            ),
            ("dave@123456789012".to_string(), Ok(())),
        ]
    );
    assert_eq!(open.accounts()[0].digits, Some(6));
    assert_eq!(
        open.accounts()[4].digits,
        None,
        "a touch credential shows no code"
    );
}
