//! PUT and DELETE as a real key answers them (capacity by firmware, touch and SHA512 by firmware,
//! the 64-byte id, overwriting), credential ids in every form real keys hold, and removal at any
//! command — all through yubikit's `OathSession` in process, where yubikit sends exactly what it
//! sends to a real key.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use yubikit::oath::{CredentialData, HashAlgorithm, OathError, OathSession, OathType};
use yubikit::platform::pcsc::PcscError;
use yubikit::smartcard::SmartCardError;

use super::{
    CardConfig, CardConnection, CredentialConfig, TouchPolicy, VirtualCard, VirtualConnection,
};

/// RFC 6238's SHA-1 seed, "12345678901234567890".
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn card(config: CardConfig) -> Arc<Mutex<VirtualCard>> {
    Arc::new(Mutex::new(VirtualCard::new(config).unwrap()))
}

fn session(card: &Arc<Mutex<VirtualCard>>) -> OathSession<VirtualConnection> {
    OathSession::new(CardConnection::shared(Arc::clone(card)))
        .map_err(|(e, _)| e)
        .unwrap()
}

fn on_firmware(version: &str) -> CardConfig {
    let mut config = CardConfig::new(1);
    config.version = version.to_owned();
    config
}

fn data(issuer: Option<&str>, name: &str, secret: &[u8]) -> CredentialData {
    CredentialData {
        name: name.to_owned(),
        oath_type: OathType::Totp,
        hash_algorithm: HashAlgorithm::Sha1,
        secret: secret.to_vec(),
        digits: 6,
        period: 30,
        counter: 0,
        issuer: issuer.map(str::to_owned),
    }
}

fn sw_of(e: &OathError) -> Option<u16> {
    match e {
        OathError::Connection(c) => c.sw(),
        _ => None,
    }
}

/// Whether yubikit would call this error "the card is gone" (its `PcscError::is_no_card`).
fn is_removal(e: &OathError) -> bool {
    match e {
        OathError::Connection(SmartCardError::Transport(inner)) => inner
            .downcast_ref::<PcscError>()
            .is_some_and(PcscError::is_no_card),
        _ => false,
    }
}

#[test]
fn put_refuses_with_6a84_once_full_32_before_firmware_5_7_and_64_from_it() {
    for (version, capacity) in [("4.3.7", 32), ("5.4.3", 32), ("5.7.0", 64), ("5.7.2", 64)] {
        let card = card(on_firmware(version));
        let mut s = session(&card);
        for i in 0..capacity {
            s.put_credential(&data(Some("I"), &format!("u{i}"), b"k"), false)
                .unwrap_or_else(|e| panic!("{version}: PUT {i}: {e:?}"));
        }
        let err = s
            .put_credential(&data(Some("I"), "one-too-many", b"k"), false)
            .unwrap_err();
        assert_eq!(sw_of(&err), Some(0x6A84), "{version}: {err:?}");
        // Full, an existing id can still be overwritten; freeing one makes room again.
        s.put_credential(&data(Some("I"), "u0", b"other"), false)
            .unwrap();
        s.delete_credential(b"I:u1").unwrap();
        s.put_credential(&data(Some("I"), "one-too-many", b"k"), false)
            .unwrap();
        assert_eq!(s.list_credentials().unwrap().len(), capacity, "{version}");
        assert_eq!(card.lock().unwrap().oath().capacity(), capacity);
    }
}

#[test]
fn a_card_description_over_capacity_is_refused() {
    let mut config = on_firmware("5.6.0");
    for i in 0..33 {
        config.upsert_credential(CredentialConfig::totp(None, &format!("u{i}"), SEED));
    }
    let err = VirtualCard::new(config.clone()).unwrap_err().to_string();
    assert!(err.contains("at most 32"), "{err}");
    config.version = "5.7.1".into();
    VirtualCard::new(config).unwrap();
}

#[test]
fn touch_before_firmware_4_2_6_is_accepted_and_ignored_as_on_a_neo() {
    let never = TouchPolicy::Deny {
        after: Duration::from_secs(5),
    };
    let card = card(on_firmware("4.2.5").with_touch(never));
    let mut s = session(&card);
    let cred = s
        .put_credential(&data(None, "old", b"12345678901234567890"), true)
        .unwrap();
    let start = Instant::now();
    // RFC 6238 Appendix B, T = 59, 6 digits: no touch asked for, no wait.
    assert_eq!(s.calculate_code(&cred, 59).unwrap().value, "287082");
    assert!(start.elapsed() < Duration::from_secs(1));
    let all = s.calculate_all(59).unwrap();
    assert!(all[0].1.is_some(), "a code, not the touch tag 7C");
    assert!(!card.lock().unwrap().oath().credentials()[0].touch);

    let card = self::card(on_firmware("4.2.6").with_touch(TouchPolicy::Deny {
        after: Duration::ZERO,
    }));
    let mut s = session(&card);
    let cred = s
        .put_credential(&data(None, "new", b"12345678901234567890"), true)
        .unwrap();
    assert_eq!(
        sw_of(&s.calculate_code(&cred, 59).unwrap_err()),
        Some(0x6982)
    );
    assert_eq!(s.calculate_all(59).unwrap()[0].0.touch_required, Some(true));

    // A description cannot hold what such a key cannot.
    let mut touchy = CredentialConfig::totp(None, "t", SEED);
    touchy.touch = true;
    let err = VirtualCard::new(on_firmware("4.2.5").with_credential(touchy))
        .unwrap_err()
        .to_string();
    assert!(err.contains("4.2.6"), "{err}");
}

#[test]
fn sha512_needs_firmware_4_3_1() {
    let seed = b"1234567890123456789012345678901234567890123456789012345678901234";
    let mut sha512 = data(None, "s", seed);
    sha512.hash_algorithm = HashAlgorithm::Sha512;
    sha512.digits = 8;
    let mut s = session(&card(on_firmware("4.3.0")));
    assert_eq!(
        sw_of(&s.put_credential(&sha512, false).unwrap_err()),
        Some(0x6A80)
    );
    let mut s = session(&card(on_firmware("4.3.1")));
    let cred = s.put_credential(&sha512, false).unwrap();
    // RFC 6238 Appendix B, SHA512 at T = 59.
    assert_eq!(s.calculate_code(&cred, 59).unwrap().value, "90693936");

    let mut described = CredentialConfig::totp(None, "s", SEED);
    described.algorithm = super::HashAlgorithm::Sha512;
    let err = VirtualCard::new(on_firmware("4.2.9").with_credential(described))
        .unwrap_err()
        .to_string();
    assert!(err.contains("4.3.1"), "{err}");
}

#[test]
fn ids_over_64_bytes_are_refused_with_6a80_whatever_part_makes_them_long() {
    let mut s = session(&card(CardConfig::new(1)));
    // The limit is on the stored id: issuer, colon, name and period prefix together.
    let issuer = "Amazon Web Services"; // 19 bytes + ':'
    let fits = "a".repeat(64 - 20);
    s.put_credential(&data(Some(issuer), &fits, b"k"), false)
        .unwrap();
    let long = "a".repeat(64 - 19);
    let err = s
        .put_credential(&data(Some(issuer), &long, b"k"), false)
        .unwrap_err();
    assert_eq!(sw_of(&err), Some(0x6A80));
    let mut sixty = data(None, &"b".repeat(61), b"k"); // "60/" + 61 = 64
    sixty.period = 60;
    s.put_credential(&sixty, false).unwrap();
    sixty.name.push('b');
    assert_eq!(
        sw_of(&s.put_credential(&sixty, false).unwrap_err()),
        Some(0x6A80)
    );
    assert_eq!(s.list_credentials().unwrap().len(), 2);
}

#[test]
fn put_over_an_existing_id_replaces_it_in_place_as_ykman_add_force_expects() {
    let mut s = session(&card(CardConfig::new(1)));
    for name in ["a", "b", "c"] {
        s.put_credential(&data(None, name, b"first key"), false)
            .unwrap();
    }
    let mut again = data(None, "b", b"12345678901234567890");
    again.digits = 8;
    let b = s.put_credential(&again, false).unwrap();
    let ids: Vec<_> = s
        .list_credentials()
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    assert_eq!(s.calculate_code(&b, 59).unwrap().value, "94287082");
}

#[test]
fn delete_takes_an_existing_id_and_answers_6984_for_a_missing_one() {
    let config = CardConfig::new(1)
        .with_credential(CredentialConfig::totp_with_id(
            "arn:aws:iam::123456789012:mfa/alice",
            SEED,
        ))
        .with_credential(CredentialConfig::totp(None, "bob", SEED));
    let mut s = session(&card(config));
    s.delete_credential(b"arn:aws:iam::123456789012:mfa/alice")
        .unwrap();
    let left: Vec<_> = s
        .list_credentials()
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(left, [b"bob".to_vec()]);
    for missing in [&b"arn:aws:iam::123456789012:mfa/alice"[..], b"Bob", b""] {
        let err = s.delete_credential(missing).unwrap_err();
        assert_eq!(sw_of(&err), Some(0x6984), "{missing:?}");
    }
}

/// The ids real keys hold for AWS, each as yubikit reads it back: split at the first `:` and
/// after a digits-only period prefix, whatever that does to an ARN.
const FORMS: [(&str, Option<&str>, &str, u32); 7] = [
    (
        "Amazon Web Services:alice@123456789012",
        Some("Amazon Web Services"),
        "alice@123456789012",
        30,
    ),
    ("alice@123456789012", None, "alice@123456789012", 30),
    (
        "arn:aws:iam::123456789012:mfa/alice",
        Some("arn"),
        "aws:iam::123456789012:mfa/alice",
        30,
    ),
    (
        "Amazon Web Services:arn:aws:iam::123456789012:mfa/alice",
        Some("Amazon Web Services"),
        "arn:aws:iam::123456789012:mfa/alice",
        30,
    ),
    (
        "60/Amazon Web Services:bob@123456789012",
        Some("Amazon Web Services"),
        "bob@123456789012",
        60,
    ),
    ("30/alice@my-alias", None, "alice@my-alias", 30),
    (
        "15/arn:aws-us-gov:iam::123456789012:mfa/carol",
        Some("arn"),
        "aws-us-gov:iam::123456789012:mfa/carol",
        15,
    ),
];

#[test]
fn every_name_form_is_stored_listed_and_calculated_exactly_as_given() {
    let mut config = CardConfig::new(1);
    for (id, ..) in FORMS {
        config.upsert_credential(CredentialConfig::totp_with_id(id, SEED));
    }
    let card = card(config);
    let mut s = session(&card);
    let listed = s.list_credentials().unwrap();
    assert_eq!(listed.len(), FORMS.len());
    for (cred, (id, issuer, name, period)) in listed.iter().zip(FORMS) {
        assert_eq!(cred.id, id.as_bytes());
        assert_eq!(
            (cred.issuer.as_deref(), cred.name.as_str(), cred.period),
            (issuer, name, period),
            "{id}"
        );
        // The card never sees the period: the host's challenge is its own counter.
        let code = s.calculate_code(cred, 59 * u64::from(period) / 30).unwrap();
        assert_eq!(code.value, "287082", "{id}");
    }
}

#[test]
fn what_hosts_put_survives_the_saved_state_byte_for_byte() {
    let card = card(CardConfig::new(1));
    let mut s = session(&card);
    // As ykman adds them: the whole name given, no issuer, or split into issuer and name.
    for (id, ..) in FORMS {
        let (period, rest) = match id.split_once('/') {
            Some((p, rest)) if p.bytes().all(|b| b.is_ascii_digit()) => (p.parse().unwrap(), rest),
            _ => (30, id),
        };
        let mut d = data(None, rest, b"12345678901234567890");
        d.period = period;
        s.put_credential(&d, false).unwrap();
    }
    // A raw PUT of an id that is not UTF-8 (a host may send any bytes).
    let odd = b"caf\xE9:\xFF";
    let mut put = vec![0x71, odd.len() as u8];
    put.extend_from_slice(odd);
    put.extend_from_slice(&[0x73, 16, 0x21, 6]);
    put.extend_from_slice(b"12345678901234");
    let mut conn = CardConnection::shared(Arc::clone(&card));
    let (_, sw) = yubikit::smartcard::SmartCardConnection::send_and_receive(
        &mut conn,
        &[&[0, 1, 0, 0, put.len() as u8][..], &put].concat(),
    )
    .unwrap();
    assert_eq!(sw, 0x9000);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let saved = card.lock().unwrap().config();
    saved.save(&path).unwrap();
    let loaded = CardConfig::load(&path).unwrap();
    // "30/alice@my-alias" was put by yubikit as "alice@my-alias" (period 30 is never written).
    let mut want: Vec<Vec<u8>> = FORMS
        .iter()
        .map(|(id, ..)| id.strip_prefix("30/").unwrap_or(id).as_bytes().to_vec())
        .collect();
    want.push(odd.to_vec());
    assert_eq!(loaded.credential_ids(), want);
    assert!(loaded.credential(odd).is_some_and(|c| c.id_hex.is_some()));
    let reborn = self::card(loaded);
    let ids: Vec<_> = session(&reborn)
        .list_credentials()
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, want);
}

/// The commands of an enrolment onto a key, in order: SELECT, LIST, PUT, CALCULATE, DELETE.
fn enrol_flow(card: &Arc<Mutex<VirtualCard>>) -> Vec<Result<(), OathError>> {
    let mut results = Vec::new();
    let mut s = match OathSession::new(CardConnection::shared(Arc::clone(card))) {
        Ok(s) => {
            results.push(Ok(()));
            s
        }
        Err((e, _)) => {
            results.push(Err(e.into()));
            return results;
        }
    };
    let put = data(
        Some("Amazon Web Services"),
        "new@123456789012",
        b"1234567890",
    );
    results.push(s.list_credentials().map(|_| ()));
    match s.put_credential(&put, false) {
        Ok(cred) => {
            results.push(Ok(()));
            results.push(s.calculate_code(&cred, 59).map(|_| ()));
            results.push(s.delete_credential(&cred.id));
        }
        Err(e) => results.push(Err(e)),
    }
    results
}

#[test]
fn a_removal_at_any_command_is_the_pcsc_removal_yubikit_knows() {
    let id = b"Amazon Web Services:new@123456789012";
    for k in 0..5u64 {
        let mut config = CardConfig::new(1);
        config.remove_after_apdus = Some(k);
        let card = card(config);
        let results = enrol_flow(&card);
        let first_failure = results.iter().position(Result::is_err);
        assert_eq!(
            first_failure,
            Some(k as usize),
            "removed after {k}: {results:?}"
        );
        let err = results[k as usize].as_ref().unwrap_err();
        assert!(is_removal(err), "after {k}: {err:?}");
        // The PUT (command 3) is on the card exactly when it was answered.
        let stored = card.lock().unwrap().config().credential(id).is_some();
        assert_eq!(stored, k >= 3, "removed after {k}");

        // A connection made while the reader is empty finds no card; after reinsertion a fresh
        // one works and an old one stays stale until it reconnects, as PC/SC handles do.
        let mut stale = CardConnection::shared(Arc::clone(&card));
        let err = OathSession::new(CardConnection::shared(Arc::clone(&card)))
            .map(|_| ())
            .map_err(|(e, _)| OathError::from(e))
            .unwrap_err();
        assert!(
            matches!(&err, OathError::Connection(SmartCardError::Transport(t))
                if matches!(t.downcast_ref::<PcscError>(), Some(PcscError::Pcsc(pcsc::Error::NoSmartcard)))),
            "{err:?}"
        );
        card.lock().unwrap().insert();
        let err =
            yubikit::smartcard::SmartCardConnection::send_and_receive(&mut stale, &[0, 0xA1, 0, 0])
                .unwrap_err();
        assert!(
            matches!(&err, SmartCardError::Transport(t)
                if matches!(t.downcast_ref::<PcscError>(), Some(PcscError::Pcsc(pcsc::Error::NoSmartcard)))),
            "opened while empty: {err:?}"
        );
        stale.reconnect();
        let select = [0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1];
        let (_, sw) =
            yubikit::smartcard::SmartCardConnection::send_and_receive(&mut stale, &select).unwrap();
        assert_eq!(sw, 0x9000);
        assert!(enrol_flow(&card).iter().all(Result::is_ok));
    }
}

#[test]
fn a_connection_whose_card_was_swapped_is_stale_until_it_reconnects() {
    let card = card(CardConfig::new(1));
    let mut conn = CardConnection::shared(Arc::clone(&card));
    let select = [0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1];
    use yubikit::smartcard::SmartCardConnection as _;
    assert_eq!(conn.send_and_receive(&select).unwrap().1, 0x9000);
    card.lock().unwrap().remove();
    card.lock().unwrap().insert();
    let err = conn.send_and_receive(&select).unwrap_err();
    assert!(
        matches!(&err, SmartCardError::Transport(t)
            if matches!(t.downcast_ref::<PcscError>(), Some(PcscError::Pcsc(pcsc::Error::RemovedCard)))),
        "{err:?}"
    );
    conn.reconnect();
    assert_eq!(conn.send_and_receive(&select).unwrap().1, 0x9000);
}
