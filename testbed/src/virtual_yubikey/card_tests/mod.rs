//! Raw-APDU tests of the card: what a host that is not yubikit (ykman's Python, a broken
//! driver) may send, and the framing rules yubikit never exercises on its own.

use std::time::Duration;

use super::card::{Power, Reply, Responder};
use super::{CardConfig, CredentialConfig, OathType, TouchPolicy, VirtualCard, crypto};

const SELECT_OATH: &[u8] = &[0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1];

fn card(config: CardConfig) -> VirtualCard {
    VirtualCard::new(config).unwrap()
}

fn send(card: &mut VirtualCard, apdu: &[u8]) -> (Vec<u8>, u16) {
    match card.respond(apdu) {
        Reply::Bytes { mut bytes, .. } => {
            let sw = bytes.split_off(bytes.len() - 2);
            (bytes, u16::from_be_bytes([sw[0], sw[1]]))
        }
        Reply::Removed => panic!("card removed"),
    }
}

fn apdu(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
    let mut out = vec![cla, ins, p1, p2];
    if !data.is_empty() {
        out.push(data.len() as u8);
        out.extend_from_slice(data);
    }
    out
}

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if value.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(value.len() as u8);
    out.extend_from_slice(value);
    out
}

fn put_data(id: &[u8], type_algo: u8, digits: u8, key: &[u8], touch: bool) -> Vec<u8> {
    let mut key_value = vec![type_algo, digits];
    key_value.extend_from_slice(key);
    let mut data = tlv(0x71, id);
    data.extend(tlv(0x73, &key_value));
    if touch {
        data.extend([0x78, 0x02]);
    }
    data
}

fn calculate(card: &mut VirtualCard, id: &[u8], challenge: &[u8], p2: u8) -> (Vec<u8>, u16) {
    let mut data = tlv(0x71, id);
    data.extend(tlv(0x74, challenge));
    send(card, &apdu(0, 0xA2, 0, p2, &data))
}

#[test]
fn select_answers_version_and_salt_and_a_challenge_only_with_a_password() {
    let mut config = CardConfig::new(1);
    config.salt = Some("0102030405060708".into());
    let mut c = card(config.clone());
    let (data, sw) = send(&mut c, SELECT_OATH);
    assert_eq!(sw, 0x9000);
    assert_eq!(
        data,
        [&[0x79, 3, 5, 7, 2][..], &[0x71, 8, 1, 2, 3, 4, 5, 6, 7, 8]].concat()
    );

    let mut c = card(config.with_password("pw"));
    let (data, _) = send(&mut c, SELECT_OATH);
    assert_eq!(data.len(), 5 + 10 + 10 + 3);
    assert_eq!(&data[15..17], &[0x74, 8]);
    assert_eq!(&data[25..], &[0x7B, 1, 1]);
}

#[test]
fn unknown_applications_and_classes_are_refused() {
    let mut c = card(CardConfig::new(1));
    assert_eq!(
        send(&mut c, &apdu(0, 0xA4, 4, 0, &[0xD2, 0x76, 0, 1, 0x24, 1])).1,
        0x6A82
    );
    assert_eq!(send(&mut c, &[0xFF, 0xCA, 0, 0, 0]).1, 0x6E00);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x6D00, "nothing selected");
    // ykman's documented form of the OATH AID carries a trailing 01.
    let long_aid = apdu(0, 0xA4, 4, 0, &[0xA0, 0, 0, 5, 0x27, 0x21, 1, 1]);
    assert_eq!(send(&mut c, &long_aid).1, 0x9000);
    let mut without_otp = CardConfig::new(1);
    without_otp.otp_application = false;
    let mut c = card(without_otp);
    assert_eq!(send(&mut c, &apdu(0, 0xA4, 4, 0, super::AID_OTP)).1, 0x6A82);
}

#[test]
fn put_list_calculate_delete_round_trip() {
    let mut c = card(CardConfig::new(1));
    send(&mut c, SELECT_OATH);
    let key = b"12345678901234567890";
    let data = put_data(b"Iss:acct", 0x21, 6, key, false);
    assert_eq!(send(&mut c, &apdu(0, 0x01, 0, 0, &data)).1, 0x9000);
    let (list, sw) = send(&mut c, &[0, 0xA1, 0, 0]);
    assert_eq!(sw, 0x9000);
    assert_eq!(list, tlv(0x72, b"\x21Iss:acct"));

    // RFC 4226 Appendix D, counter 1, through the TOTP path (the challenge is the counter).
    let (resp, sw) = calculate(&mut c, b"Iss:acct", &1u64.to_be_bytes(), 1);
    assert_eq!(sw, 0x9000);
    assert_eq!(resp[..3], [0x76, 5, 6]);
    let value = u32::from_be_bytes(resp[3..7].try_into().unwrap());
    assert_eq!(crypto::format_code(value, 6), "287082");
    let (full, _) = calculate(&mut c, b"Iss:acct", &1u64.to_be_bytes(), 0);
    assert_eq!(full[..3], [0x75, 21, 6]);
    assert_eq!(
        full[3..],
        crypto::hmac(super::HashAlgorithm::Sha1, key, &1u64.to_be_bytes())[..]
    );

    assert_eq!(calculate(&mut c, b"nope", &[0; 8], 1).1, 0x6984);
    let del = tlv(0x71, b"Iss:acct");
    assert_eq!(send(&mut c, &apdu(0, 0x02, 0, 0, &del)).1, 0x9000);
    assert_eq!(send(&mut c, &apdu(0, 0x02, 0, 0, &del)).1, 0x6984);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).0, Vec::<u8>::new());
}

#[test]
fn put_rejects_bad_keys() {
    let mut c = card(CardConfig::new(1));
    send(&mut c, SELECT_OATH);
    for data in [
        put_data(b"x", 0x31, 6, b"k", false), // unknown type
        put_data(b"x", 0x24, 6, b"k", false), // unknown algorithm
        put_data(b"x", 0x21, 5, b"k", false), // 5 digits
        put_data(b"x", 0x21, 6, b"", false),  // no key
        put_data(&[b'n'; 65], 0x21, 6, b"k", false),
        put_data(b"x", 0x21, 6, &[1; 65], false), // longer than a SHA-1 block
        vec![0x71, 5, 1],                         // truncated TLV
    ] {
        assert_eq!(
            send(&mut c, &apdu(0, 0x01, 0, 0, &data)).1,
            0x6A80,
            "{data:02x?}"
        );
    }
}

#[test]
fn calculate_all_marks_hotp_and_touch_and_uses_the_challenge_for_every_totp() {
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let mut hotp = CredentialConfig::totp(None, "h", secret);
    hotp.oath_type = OathType::Hotp;
    let mut touch = CredentialConfig::totp(None, "t", secret);
    touch.touch = true;
    let mut sixty = CredentialConfig::totp(None, "s", secret);
    sixty.period = 60;
    let config = CardConfig::new(1)
        .with_credential(CredentialConfig::totp(None, "a", secret))
        .with_credential(hotp)
        .with_credential(touch)
        .with_credential(sixty);
    let mut c = card(config);
    send(&mut c, SELECT_OATH);
    let challenge = 1u64.to_be_bytes();
    let (data, sw) = send(&mut c, &apdu(0, 0xA4, 0, 1, &tlv(0x74, &challenge)));
    assert_eq!(sw, 0x9000);
    let (code_a, _) = calculate(&mut c, b"a", &challenge, 1);
    let expected = [
        tlv(0x71, b"a"),
        code_a.clone(),
        tlv(0x71, b"h"),
        tlv(0x77, &[6]),
        tlv(0x71, b"t"),
        tlv(0x7C, &[6]),
        tlv(0x71, b"60/s"),
        code_a,
    ]
    .concat();
    assert_eq!(data, expected);
    assert_eq!(send(&mut c, &[0, 0xA4, 0, 1]).1, 0x6A80, "no challenge");
}

#[test]
fn hotp_counts_on_the_card_and_the_count_is_saved() {
    let mut hotp = CredentialConfig::totp(None, "h", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    hotp.oath_type = OathType::Hotp;
    let mut c = card(CardConfig::new(1).with_credential(hotp));
    send(&mut c, SELECT_OATH);
    // RFC 4226 Appendix D: counters 0, 1, 2.
    for want in ["755224", "287082", "359152"] {
        let (resp, _) = calculate(&mut c, b"h", &[], 1);
        let value = u32::from_be_bytes(resp[3..7].try_into().unwrap());
        assert_eq!(crypto::format_code(value, 6), want);
    }
    assert!(c.take_dirty());
    assert_eq!(c.config().credentials[0].counter, 3);
}

#[test]
fn locked_until_validate_and_relocked_by_select() {
    let config = CardConfig::new(1).with_password("pw");
    let salt = hex::decode(config.salt.as_ref().unwrap()).unwrap();
    let key = crypto::derive_access_key("pw", &salt);
    let mut c = card(config);
    let (select, _) = send(&mut c, SELECT_OATH);
    let challenge = &select[17..25];
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x6982);
    assert_eq!(calculate(&mut c, b"x", &[0; 8], 1).1, 0x6982);
    let validate = |response: &[u8]| {
        let mut data = tlv(0x75, response);
        data.extend(tlv(0x74, b"hostchal"));
        apdu(0, 0xA3, 0, 0, &data)
    };
    assert_eq!(send(&mut c, &validate(&[0; 20])).1, 0x6A80);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x6982);
    let right = crypto::hmac(super::HashAlgorithm::Sha1, &key, challenge);
    let (resp, sw) = send(&mut c, &validate(&right));
    assert_eq!(sw, 0x9000);
    assert_eq!(
        resp,
        tlv(
            0x75,
            &crypto::hmac(super::HashAlgorithm::Sha1, &key, b"hostchal")
        )
    );
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x9000);
    send(&mut c, SELECT_OATH);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x6982);
    // A power cycle relocks too.
    c.power(Power::Reset);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x6D00);
}

#[test]
fn set_code_checks_the_proof_and_reset_forgets_everything() {
    let mut c =
        card(CardConfig::new(1).with_credential(CredentialConfig::totp(None, "a", "AAAAAAAA")));
    let (first, _) = send(&mut c, SELECT_OATH);
    let key = [7u8; 16];
    let set = |response: &[u8]| {
        let mut data = tlv(0x73, &[[0x21].as_slice(), &key].concat());
        data.extend(tlv(0x74, b"12345678"));
        data.extend(tlv(0x75, response));
        apdu(0, 0x03, 0, 0, &data)
    };
    assert_eq!(send(&mut c, &set(&[0; 20])).1, 0x6984);
    let proof = crypto::hmac(super::HashAlgorithm::Sha1, &key, b"12345678");
    assert_eq!(send(&mut c, &set(&proof)).1, 0x9000);
    assert_eq!(
        send(&mut c, &[0, 0xA1, 0, 0]).1,
        0x9000,
        "setter stays unlocked"
    );
    send(&mut c, SELECT_OATH);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x6982);
    let saved = c.config();
    assert_eq!(saved.access_key.as_deref(), Some(hex::encode(key).as_str()));
    assert_eq!(saved.password, None);

    assert_eq!(send(&mut c, &[0, 0x04, 0, 0]).1, 0x6A86);
    assert_eq!(send(&mut c, &[0, 0x04, 0xDE, 0xAD]).1, 0x9000);
    let (after, _) = send(&mut c, SELECT_OATH);
    assert_ne!(after[7..15], first[7..15], "a reset draws a new salt");
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]), (vec![], 0x9000));
}

#[test]
fn long_responses_page_with_61xx_and_send_remaining() {
    let mut config = CardConfig::new(1);
    for i in 0..12 {
        let name = format!("{i:02}-{}", "n".repeat(40));
        config.upsert_credential(CredentialConfig::totp(Some("Issuer"), &name, "AAAAAAAA"));
    }
    let mut c = card(config);
    send(&mut c, SELECT_OATH);
    let (mut all, mut sw) = send(&mut c, &[0, 0xA1, 0, 0, 0]);
    assert_eq!(all.len(), 256);
    let mut rounds = 0;
    while sw >> 8 == 0x61 {
        let (more, next) = send(&mut c, &[0, 0xA5, 0, 0, 0]);
        all.extend(more);
        sw = next;
        rounds += 1;
    }
    assert_eq!((sw, rounds), (0x9000, 2));
    assert_eq!(all.len(), 12 * (2 + 1 + 7 + 43));
    // GET RESPONSE works as well, and any other command drops what was left.
    let (_, sw) = send(&mut c, &[0, 0xA1, 0, 0, 0]);
    assert_eq!(sw, 0x6100, "380 bytes left: 61 00 means 256 or more");
    assert_eq!(send(&mut c, &[0, 0xC0, 0, 0, 0]).1 >> 8, 0x61);
    send(&mut c, SELECT_OATH);
    assert_eq!(send(&mut c, &[0, 0xA5, 0, 0, 0]).1, 0x6985);
    // An extended Le takes everything at once.
    let (all_at_once, sw) = send(&mut c, &[0, 0xA1, 0, 0, 0, 0, 0]);
    assert_eq!((all_at_once, sw), (all, 0x9000));
}

#[test]
fn chained_and_extended_commands_arrive_whole() {
    let mut c = card(CardConfig::new(1));
    send(&mut c, SELECT_OATH);
    let data = put_data(b"chained", 0x23, 8, &[9; 128], true);
    let (first, rest) = data.split_at(100);
    assert_eq!(send(&mut c, &apdu(0x10, 0x01, 0, 0, first)).1, 0x9000);
    assert_eq!(send(&mut c, &apdu(0x00, 0x01, 0, 0, rest)).1, 0x9000);
    let cred = &c.oath().credentials()[0];
    assert_eq!((cred.digits, cred.touch), (8, true));

    // A chain cut short by another command.
    assert_eq!(send(&mut c, &apdu(0x10, 0x01, 0, 0, first)).1, 0x9000);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x6883);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x9000);

    // Extended length: Lc 00 00 nn.
    let data = put_data(b"extended", 0x21, 6, &[1; 20], false);
    let mut ext = vec![0, 0x01, 0, 0, 0, 0, data.len() as u8];
    ext.extend(&data);
    ext.extend([0, 0]);
    assert_eq!(send(&mut c, &ext).1, 0x9000);
    assert_eq!(c.oath().credentials().len(), 2);
    assert_eq!(send(&mut c, &[0, 0x01, 0, 0, 9, 1]).1, 0x6700);
}

#[test]
fn touch_policy_shapes_the_calculate_answer() {
    let mut cred = CredentialConfig::totp(None, "t", "AAAAAAAA");
    cred.touch = true;
    let mut c = card(CardConfig::new(1).with_credential(cred));
    send(&mut c, SELECT_OATH);
    let data = [tlv(0x71, b"t"), tlv(0x74, &[0; 8])].concat();
    let cmd = apdu(0, 0xA2, 0, 1, &data);
    let Reply::Bytes { delay, bytes } = c.respond(&cmd) else {
        panic!()
    };
    assert_eq!(
        (delay, &bytes[bytes.len() - 2..]),
        (Duration::ZERO, &[0x90, 0][..])
    );
    c.set_touch_policy(TouchPolicy::Delay(Duration::from_millis(1500)));
    let Reply::Bytes { delay, .. } = c.respond(&cmd) else {
        panic!()
    };
    assert_eq!(delay, Duration::from_millis(1500));
    c.set_touch_policy(TouchPolicy::Deny {
        after: Duration::from_secs(15),
    });
    assert_eq!(
        c.respond(&cmd),
        Reply::sw(0x6982).after(Duration::from_secs(15))
    );
}

#[test]
fn removal_after_n_apdus_and_reinsertion() {
    let mut config = CardConfig::new(1);
    config.remove_after_apdus = Some(2);
    config.reinsert_after_ms = Some(10);
    let mut c = card(config);
    assert_eq!(send(&mut c, SELECT_OATH).1, 0x9000);
    assert_eq!(send(&mut c, &[0, 0xA1, 0, 0]).1, 0x9000);
    assert_eq!(c.respond(&[0, 0xA1, 0, 0]), Reply::Removed);
    assert_eq!(c.respond(SELECT_OATH), Reply::Removed);
    assert!(c.is_removed());
    assert_eq!(c.reinsert_after(), Some(Duration::from_millis(10)));
    c.reinsert();
    assert_eq!(
        send(&mut c, &[0, 0xA1, 0, 0]).1,
        0x6D00,
        "fresh power-on state"
    );
    assert_eq!(send(&mut c, SELECT_OATH).1, 0x9000);
}

#[test]
fn management_and_otp_answer_discovery() {
    let mut c = card(CardConfig::new(0x00BC_614E));
    let (version, sw) = send(&mut c, &apdu(0, 0xA4, 4, 0, super::AID_MANAGEMENT));
    assert_eq!((version.as_slice(), sw), (&b"5.7.2"[..], 0x9000));
    let (info, sw) = send(&mut c, &[0, 0x1D, 0, 0, 0]);
    assert_eq!(sw, 0x9000);
    assert_eq!(usize::from(info[0]), info.len() - 1);
    assert!(
        info.windows(6)
            .any(|w| w == [0x02, 4, 0x00, 0xBC, 0x61, 0x4E])
    );
    let (status, _) = send(&mut c, &apdu(0, 0xA4, 4, 0, super::AID_OTP));
    assert_eq!(status, vec![5, 7, 2, 0, 0, 0]);
    assert_eq!(
        send(&mut c, &[0, 0x01, 0x10, 0, 0]),
        (vec![0x00, 0xBC, 0x61, 0x4E], 0x9000)
    );
}

#[test]
fn saved_state_reloads_to_the_same_card() {
    let mut c = card(CardConfig::new(1).with_password("pw"));
    let (select, _) = send(&mut c, SELECT_OATH);
    let salt = select[7..15].to_vec();
    let key = crypto::derive_access_key("pw", &salt);
    let mut data = tlv(
        0x75,
        &crypto::hmac(super::HashAlgorithm::Sha1, &key, &select[17..25]),
    );
    data.extend(tlv(0x74, &[0; 8]));
    assert_eq!(send(&mut c, &apdu(0, 0xA3, 0, 0, &data)).1, 0x9000);
    let put = put_data(b"30/odd:id/x", 0x22, 7, &[3; 32], true);
    assert_eq!(send(&mut c, &apdu(0, 0x01, 0, 0, &put)).1, 0x9000);
    assert!(c.take_dirty());
    let saved = c.config();
    assert_eq!(
        saved.password.as_deref(),
        Some("pw"),
        "untouched password is kept"
    );
    let json = serde_json::to_string(&saved).unwrap();
    let mut again = card(serde_json::from_str(&json).unwrap());
    let (select2, _) = send(&mut again, SELECT_OATH);
    assert_eq!(select2[7..15], salt[..]);
    let cred = &again.oath().credentials()[0];
    assert_eq!(cred.id, b"30/odd:id/x");
    assert_eq!((cred.digits, cred.touch), (7, true));
    // Same code from both cards.
    let mut data = tlv(
        0x75,
        &crypto::hmac(super::HashAlgorithm::Sha1, &key, &select2[17..25]),
    );
    data.extend(tlv(0x74, &[0; 8]));
    send(&mut again, &apdu(0, 0xA3, 0, 0, &data));
    assert_eq!(
        calculate(&mut again, b"30/odd:id/x", &[1; 8], 1),
        calculate(&mut c, b"30/odd:id/x", &[1; 8], 1)
    );
}

mod otp;
