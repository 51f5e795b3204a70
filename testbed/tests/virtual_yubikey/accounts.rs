//! OATH accounts written and read through the real stack (pcscd + vpcd) by ykman and yubikit:
//! every name form real keys hold, PUT against a full card and old firmware, DELETE, what
//! `--persist` keeps across a restart, and a removal at each command of an enrolment. Runs only
//! with `MFA_RESYNC_TESTBED_PCSC=1`; secrets go to ykman on stdin, never on its command line.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use testbed::virtual_yubikey::{CardConfig, CredentialConfig};
use yubikit::oath::{CredentialData, HashAlgorithm, OathError, OathSession, OathType};
use yubikit::platform::pcsc::{PcscError, PcscSmartCardConnection};
use yubikit::smartcard::SmartCardError;

use crate::harness::{
    CardProcess, Pcscd, READER, SEED, Scratch, oathtool_totp, present_in, reader_turn, stdout,
    wait_for,
};
use crate::pcsc::enabled;

const PORT: u16 = 35963;

/// The ids real keys hold for AWS: AWS's QR code through ykman, the account alone, aws-vault's
/// `mfa_serial` ARN with and without an issuer, a 60 s period, and an explicit `30/` prefix.
const FORMS: [&str; 6] = [
    "Amazon Web Services:alice@123456789012",
    "alice@123456789012",
    "arn:aws:iam::123456789012:mfa/alice",
    "Amazon Web Services:arn:aws:iam::123456789012:mfa/alice",
    "60/Amazon Web Services:bob@123456789012",
    "30/carol@my-alias",
];

fn ykman(scratch: &Scratch, args: &[&str], stdin: &str) -> std::process::Output {
    let mut all = vec!["--reader", READER];
    all.extend_from_slice(args);
    let program = std::env::var("MFA_RESYNC_TESTBED_YKMAN").unwrap_or_else(|_| "ykman".into());
    scratch.run_input(&program, &all, stdin)
}

fn ykman_ok(scratch: &Scratch, args: &[&str], stdin: &str) -> String {
    stdout(&ykman(scratch, args, stdin))
}

fn ykman_fails(scratch: &Scratch, args: &[&str], stdin: &str) -> String {
    let out = ykman(scratch, args, stdin);
    assert!(!out.status.success(), "ykman {args:?} succeeded: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn with_ids(mut config: CardConfig, ids: &[&str]) -> CardConfig {
    for id in ids {
        config.upsert_credential(CredentialConfig::totp_with_id(id, SEED));
    }
    config
}

fn start(
    scratch: &Scratch,
    config: &CardConfig,
    extra: &[&str],
) -> (CardProcess, std::path::PathBuf) {
    let state = scratch.path("state.json");
    config.save(&state).unwrap();
    let card = CardProcess::start(scratch, &state, "card", PORT, false, extra);
    card.wait_inserted();
    (card, state)
}

/// Stops the card and waits until the reader is empty, so the next card may go in.
fn stop(card: CardProcess) -> String {
    let log = card.stop();
    wait_for("the reader to be empty", Duration::from_secs(5), || {
        !present_in(READER)
    });
    log
}

fn ids_in(state: &Path) -> Vec<String> {
    CardConfig::load(state)
        .unwrap()
        .credential_ids()
        .into_iter()
        .map(|id| String::from_utf8(id).unwrap())
        .collect()
}

#[test]
fn ykman_lists_codes_adds_and_deletes_accounts_in_every_name_form() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let _pcscd = Pcscd::ensure();
    let (card, state) = start(
        &scratch,
        &with_ids(CardConfig::new(45678901), &FORMS),
        &["--persist"],
    );

    // ykman shows each id as stored (sorted); the codes are oathtool's for the same instant.
    let listed = ykman_ok(&scratch, &["oath", "accounts", "list"], "");
    let mut want: Vec<&str> = FORMS.to_vec();
    want.sort_by_key(|id| id.to_lowercase());
    let mut got: Vec<&str> = listed.lines().collect();
    got.sort_by_key(|id| id.to_lowercase());
    assert_eq!(got, want, "{listed}");
    let before = unix_now();
    let codes = ykman_ok(&scratch, &["oath", "accounts", "code"], "");
    let after = unix_now();
    for id in FORMS {
        let (line, shown) = codes
            .lines()
            .filter_map(|l| {
                l.trim_end()
                    .rsplit_once(' ')
                    .map(|(n, c)| (n.trim_end(), c))
            })
            .find(|(name, _)| *name == id)
            .unwrap_or_else(|| panic!("no {id} in {codes}"));
        let period = if id.starts_with("60/") { "60" } else { "30" };
        let candidates: Vec<String> = [before, after]
            .iter()
            .map(|t| oathtool_totp(&scratch, SEED, *t, &["-s", period]))
            .collect();
        assert!(
            candidates.iter().any(|c| c == shown),
            "{line} vs {candidates:?}"
        );
    }

    // Adding: no issuer, and an issuer with an ARN name; the secret on stdin.
    ykman_ok(
        &scratch,
        &["oath", "accounts", "add", "dave@123456789012"],
        SEED,
    );
    ykman_ok(
        &scratch,
        &[
            "oath",
            "accounts",
            "add",
            "-i",
            "Amazon Web Services",
            "arn:aws:iam::123456789012:mfa/dave",
        ],
        SEED,
    );
    // A name that exists: refused without -f (ykman asks, stdin says nothing), replaced in
    // place with it.
    let asked = ykman_fails(
        &scratch,
        &["oath", "accounts", "add", "alice@123456789012"],
        SEED,
    );
    assert!(asked.contains("already exists"), "{asked}");
    ykman_ok(
        &scratch,
        &[
            "oath",
            "accounts",
            "add",
            "-f",
            "-d",
            "8",
            "alice@123456789012",
        ],
        SEED,
    );
    let mut expected: Vec<String> = FORMS.iter().map(|s| s.to_string()).collect();
    expected.push("dave@123456789012".into());
    expected.push("Amazon Web Services:arn:aws:iam::123456789012:mfa/dave".into());
    wait_for(
        "the state file to hold the added accounts",
        Duration::from_secs(5),
        || ids_in(&state) == expected,
    );
    let alice = CardConfig::load(&state).unwrap();
    assert_eq!(alice.credential(b"alice@123456789012").unwrap().digits, 8);

    // Deleting: one that exists, one that does not.
    let deleted = ykman_ok(
        &scratch,
        &["oath", "accounts", "delete", "-f", "dave@123456789012"],
        "",
    );
    assert!(deleted.contains("Deleted dave@123456789012"), "{deleted}");
    let none = ykman_ok(
        &scratch,
        &["oath", "accounts", "delete", "-f", "nobody@nowhere"],
        "",
    );
    assert!(none.contains("No matches"), "{none}");
    expected.retain(|id| id != "dave@123456789012");
    wait_for(
        "the state file to lose the deleted account",
        Duration::from_secs(5),
        || ids_in(&state) == expected,
    );
    stop(card);
    scratch.assert_no_pkill();
}

/// yubikit's error code for a refused command, if it is one.
fn sw_of(e: &OathError) -> Option<u16> {
    match e {
        OathError::Connection(c) => c.sw(),
        _ => None,
    }
}

fn yubikit_session() -> OathSession<PcscSmartCardConnection> {
    // `new`, not `open`: `open` may pkill scdaemon when the reader is busy.
    let conn = PcscSmartCardConnection::new(READER, false).expect("connect to the reader");
    OathSession::new(conn)
        .map_err(|(e, _)| e)
        .expect("select OATH")
}

fn rfc_data(name: &str, algorithm: HashAlgorithm) -> CredentialData {
    let secret: &[u8] = match algorithm {
        HashAlgorithm::Sha512 => {
            b"1234567890123456789012345678901234567890123456789012345678901234"
        }
        _ => b"12345678901234567890",
    };
    CredentialData {
        name: name.to_owned(),
        oath_type: OathType::Totp,
        hash_algorithm: algorithm,
        secret: secret.to_vec(),
        digits: 8,
        period: 30,
        counter: 0,
        issuer: None,
    }
}

#[test]
fn a_full_card_and_old_firmware_answer_ykman_and_yubikit_as_real_keys_do() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let _pcscd = Pcscd::ensure();

    // 32 accounts before firmware 5.7: ykman's own message for 6A84; -f still overwrites.
    let names: Vec<String> = (0..32).map(|i| format!("user{i}@123456789012")).collect();
    let ids: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut config = with_ids(CardConfig::new(56789012), &ids);
    config.version = "5.4.3".into();
    let (card, _) = start(&scratch, &config, &[]);
    let full = ykman_fails(&scratch, &["oath", "accounts", "add", "one-more"], SEED);
    assert!(full.contains("No space left"), "{full}");
    ykman_ok(
        &scratch,
        &["oath", "accounts", "add", "-f", "user3@123456789012"],
        SEED,
    );
    stop(card);

    // 64 from 5.7: the 64th goes in, the 65th does not.
    let names: Vec<String> = (0..63).map(|i| format!("user{i}@123456789012")).collect();
    let ids: Vec<&str> = names.iter().map(String::as_str).collect();
    let (card, _) = start(&scratch, &with_ids(CardConfig::new(56789013), &ids), &[]);
    ykman_ok(&scratch, &["oath", "accounts", "add", "the-64th"], SEED);
    let full = ykman_fails(&scratch, &["oath", "accounts", "add", "the-65th"], SEED);
    assert!(full.contains("No space left"), "{full}");
    let mut s = yubikit_session();
    let err = s
        .put_credential(&rfc_data("raw-65th", HashAlgorithm::Sha1), false)
        .unwrap_err();
    assert_eq!(sw_of(&err), Some(0x6A84), "{err:?}");
    drop(s);
    stop(card);

    // Before 4.2.6 ykman refuses --touch; a host that sends it anyway gets a credential that
    // never waits for a touch. Before 4.3.1 SHA512 is refused by ykman and by the card (6A80).
    let mut config =
        CardConfig::new(56789014).with_touch(testbed::virtual_yubikey::TouchPolicy::Deny {
            after: Duration::from_secs(5),
        });
    config.version = "4.2.5".into();
    let (card, _) = start(&scratch, &config, &[]);
    let touch = ykman_fails(&scratch, &["oath", "accounts", "add", "--touch", "t"], SEED);
    assert!(touch.contains("Require touch is not supported"), "{touch}");
    let sha = ykman_fails(
        &scratch,
        &["oath", "accounts", "add", "-a", "SHA512", "s"],
        SEED,
    );
    assert!(sha.contains("SHA512 not supported"), "{sha}");
    let mut s = yubikit_session();
    let cred = s
        .put_credential(&rfc_data("t", HashAlgorithm::Sha1), true)
        .unwrap();
    assert_eq!(s.calculate_code(&cred, 59).unwrap().value, "94287082");
    let err = s
        .put_credential(&rfc_data("s", HashAlgorithm::Sha512), false)
        .unwrap_err();
    assert_eq!(sw_of(&err), Some(0x6A80), "{err:?}");
    drop(s);
    stop(card);

    // An id over 64 bytes: ykman refuses it itself; the card answers 6A80 to one sent anyway.
    let (card, _) = start(&scratch, &CardConfig::new(56789015), &[]);
    let long = "n".repeat(65);
    let refused = ykman_fails(&scratch, &["oath", "accounts", "add", &long], SEED);
    assert!(refused.contains("64"), "{refused}");
    let mut s = yubikit_session();
    let err = s
        .put_credential(&rfc_data(&long, HashAlgorithm::Sha1), false)
        .unwrap_err();
    assert_eq!(sw_of(&err), Some(0x6A80), "{err:?}");
    drop(s);
    stop(card);
    scratch.assert_no_pkill();
}

#[test]
fn persist_keeps_what_hosts_wrote_across_a_restart() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let _pcscd = Pcscd::ensure();
    let config = with_ids(CardConfig::new(67890123), &["old@123456789012"]);
    let (card, state) = start(&scratch, &config, &["--persist"]);
    let arn = "arn:aws:iam::123456789012:mfa/alice";
    ykman_ok(&scratch, &["oath", "accounts", "add", arn], SEED);
    ykman_ok(
        &scratch,
        &["oath", "accounts", "delete", "-f", "old@123456789012"],
        "",
    );
    // Stopped by its PID right after ykman returned: what ykman was told is stored, is stored.
    stop(card);
    assert_eq!(ids_in(&state), [arn]);

    let (card, _) = start(&scratch, &CardConfig::load(&state).unwrap(), &["--persist"]);
    let listed = ykman_ok(&scratch, &["oath", "accounts", "list"], "");
    assert_eq!(listed.trim(), arn);
    let before = unix_now();
    let code = ykman_ok(&scratch, &["oath", "accounts", "code", "-s", arn], "");
    let after = unix_now();
    let candidates: Vec<String> = [before, after]
        .iter()
        .map(|t| oathtool_totp(&scratch, SEED, *t, &[]))
        .collect();
    assert!(
        candidates.iter().any(|c| c == code.trim()),
        "{code} vs {candidates:?}"
    );

    // SET CODE through yubikit: the restarted card is locked by the same password.
    let mut s = yubikit_session();
    let key = s.derive_key("a test password");
    s.set_key(&key).unwrap();
    drop(s);
    stop(card);
    let saved = CardConfig::load(&state).unwrap();
    assert!(saved.password.is_none() && saved.access_key.is_some());
    let (card, _) = start(&scratch, &saved, &["--persist"]);
    let mut s = yubikit_session();
    assert!(s.locked());
    assert_eq!(sw_of(&s.list_credentials().unwrap_err()), Some(0x6982));
    let key = s.derive_key("a test password");
    s.validate(&key).unwrap();
    assert_eq!(s.list_credentials().unwrap()[0].id, arn.as_bytes());
    drop(s);
    let log = stop(card);
    assert!(!log.contains(SEED));
    scratch.assert_no_pkill();
}

/// Whether yubikit (and the main crate) would call this "the card is gone": a PC/SC no-card
/// error, or the answer without a status word that vpcd gives for the command during which the
/// card left.
fn is_gone(e: &OathError) -> bool {
    match e {
        OathError::Connection(SmartCardError::Transport(t)) => t
            .downcast_ref::<PcscError>()
            .is_some_and(PcscError::is_no_card),
        OathError::InvalidData(text) => text.contains("status word"),
        _ => false,
    }
}

#[test]
fn a_card_pulled_at_any_command_of_an_enrolment_is_gone_for_the_host() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let _pcscd = Pcscd::ensure();
    let state = scratch.path("state.json");
    CardConfig::new(78901234).save(&state).unwrap();
    let card = CardProcess::start(&scratch, &state, "card", PORT, true, &["--persist"]);
    card.wait_inserted();

    // SELECT, LIST, PUT, CALCULATE, DELETE; the card answers k of them, then leaves.
    for k in 0..5usize {
        let name = format!("new{k}@123456789012");
        assert_eq!(card.control(&format!("remove-after {k}")), "ok");
        let conn = PcscSmartCardConnection::new(READER, false).expect("connect");
        let mut steps: Vec<Result<(), OathError>> = Vec::new();
        let mut session = match OathSession::new(conn) {
            Ok(s) => Some(s),
            Err((e, _)) => {
                steps.push(Err(e.into()));
                None
            }
        };
        if let Some(s) = session.as_mut() {
            steps.push(Ok(()));
            steps.push(s.list_credentials().map(|_| ()));
            let mut data = rfc_data(&name, HashAlgorithm::Sha1);
            data.issuer = Some("Amazon Web Services".into());
            match s.put_credential(&data, false) {
                Ok(cred) => {
                    steps.push(Ok(()));
                    steps.push(s.calculate_code(&cred, 59).map(|_| ()));
                    steps.push(s.delete_credential(&cred.id));
                }
                Err(e) => steps.push(Err(e)),
            }
        }
        let failed = steps.iter().position(Result::is_err);
        assert_eq!(failed, Some(k), "pulled after {k}: {steps:?}");
        let err = steps[k].as_ref().unwrap_err();
        assert!(is_gone(err), "pulled after {k}: {err:?}");
        wait_for(
            "pcscd to see the card leave",
            Duration::from_secs(5),
            || !present_in(READER),
        );
        // The next command on the same connection: PC/SC's own removal error.
        if let Some(s) = session.as_mut() {
            let err = s.list_credentials().unwrap_err();
            assert!(
                is_gone(&err) && !matches!(err, OathError::InvalidData(_)),
                "{err:?}"
            );
        }
        drop(session);
        let id = format!("Amazon Web Services:{name}");
        let stored = CardConfig::load(&state)
            .unwrap()
            .credential(id.as_bytes())
            .is_some();
        assert_eq!(
            stored,
            k >= 3,
            "the PUT is kept exactly when it was answered (k = {k})"
        );
        assert_eq!(card.control("insert"), "ok inserted");
        wait_for(
            "the card back in the reader",
            Duration::from_secs(5),
            || present_in(READER),
        );
    }
    let log = stop(card);
    assert_eq!(log.matches("event inserted").count(), 6, "{log}");
    scratch.assert_no_pkill();
}
