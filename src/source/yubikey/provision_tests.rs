//! Writing credentials against the in-process virtual YubiKey: PUT and DELETE as a real key
//! answers them (room by firmware, `6A84` when full, an id that exists), touch by firmware, codes
//! that match the seed's own (totp-rs), and a key pulled out after the PUT.

use std::sync::{Arc, Mutex};

use secrecy::SecretSlice;
use testbed::virtual_yubikey::{CardConfig, CardConnection, CredentialConfig, VirtualCard};

use super::provision::{KeyWriter, NewCredential, Slot};
use super::tests::key;
use super::{OpenKey, Password};
use crate::source::seed::NewSeed;
use crate::source::{DeviceError, Silent};

const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const ID: &str = "Amazon Web Services:bob@123456789012";
const OTHER: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

type Card = Arc<Mutex<VirtualCard>>;

fn writer(config: CardConfig) -> (KeyWriter<CardConnection<VirtualCard>>, Card) {
    let card = Arc::new(Mutex::new(VirtualCard::new(config).unwrap()));
    let open = OpenKey::open(
        CardConnection::shared(Arc::clone(&card)),
        key(),
        Password::None,
        1_111_111_109,
        &Silent,
    )
    .unwrap();
    (KeyWriter::new(open), card)
}

/// What `card` holds now.
fn held(card: &Card) -> CardConfig {
    card.lock().unwrap().config()
}

fn with_version(version: &str, credentials: usize) -> CardConfig {
    let mut config = CardConfig::new(12345678);
    config.version = version.into();
    for i in 0..credentials {
        config = config.with_credential(CredentialConfig::totp_with_id(
            &format!("Example:{i}"),
            OTHER,
        ));
    }
    config
}

fn seed() -> NewSeed {
    NewSeed::decode(&SecretSlice::from(SEED.as_bytes().to_vec())).unwrap()
}

fn credential(touch: bool) -> NewCredential {
    let seed = seed();
    NewCredential {
        id: ID.into(),
        secret: SecretSlice::from(secrecy::ExposeSecret::expose_secret(seed.bytes()).to_vec()),
        touch,
    }
}

#[test]
fn a_put_credential_computes_the_seeds_own_codes_and_deletes_once() {
    let (writer, card) = writer(CardConfig::new(12345678));
    assert_eq!(writer.check_room(ID, false).unwrap(), Slot::New);
    writer.put(&credential(false)).unwrap();
    let stored = held(&card);
    assert_eq!(stored.credential(ID.as_bytes()).unwrap().secret, SEED);
    let mut seed = seed();
    for counter in [0, 37_037_036, 59_000_000] {
        assert_eq!(
            writer.code_at(ID, false, counter).unwrap(),
            seed.code_at(counter).unwrap(),
            "counter {counter}"
        );
    }
    let mut source = writer.source(ID, false);
    assert_eq!(source.code_at(7).unwrap(), seed.code_at(7).unwrap());
    assert!(writer.delete(ID).unwrap(), "deleted");
    assert!(!writer.delete(ID).unwrap(), "already gone is not an error");
    assert!(held(&card).credentials.is_empty());
}

#[test]
fn room_is_32_before_firmware_5_7_and_64_from_it() {
    for (version, capacity) in [("5.4.3", 32), ("5.7.0", 64)] {
        let (below, _) = writer(with_version(version, capacity - 1));
        assert_eq!(below.check_room(ID, false).unwrap(), Slot::New, "{version}");
        let (full, card) = writer(with_version(version, capacity));
        let err = full.check_room(ID, false).unwrap_err();
        assert!(
            matches!(err, DeviceError::AppletFull { capacity: c, count, .. } if c == capacity && count == capacity),
            "{err}"
        );
        // A key that filled up since it was opened answers the PUT itself with 6A84.
        let err = full.put(&credential(false)).unwrap_err();
        assert!(matches!(err, DeviceError::AppletFull { .. }), "{err}");
        assert_eq!(held(&card).credentials.len(), capacity);
    }
}

#[test]
fn an_existing_name_needs_force_and_is_then_written_over() {
    let config =
        CardConfig::new(12345678).with_credential(CredentialConfig::totp_with_id(ID, OTHER));
    let (writer, card) = writer(config);
    let err = writer.check_room(ID, false).unwrap_err();
    assert!(
        matches!(err, DeviceError::CredentialExists { ref name, .. } if name == ID),
        "{err}"
    );
    assert_eq!(writer.check_room(ID, true).unwrap(), Slot::Overwrite);
    writer.put(&credential(false)).unwrap();
    let stored = held(&card);
    assert_eq!(stored.credentials.len(), 1);
    assert_eq!(stored.credential(ID.as_bytes()).unwrap().secret, SEED);
}

#[test]
fn touch_needs_firmware_4_2_6() {
    let (old, _) = writer(with_version("4.2.5", 0));
    let err = old.check_touch().unwrap_err();
    assert!(err.is_input(), "bad input, exit 2: {err}");
    assert!(err.to_string().contains("firmware 4.2.5"), "{err}");
    let (new, card) = writer(with_version("4.2.6", 0));
    new.check_touch().unwrap();
    new.put(&credential(true)).unwrap();
    assert!(held(&card).credential(ID.as_bytes()).unwrap().touch);
}

#[test]
fn a_key_pulled_after_the_put_is_said_to_be_removed_and_a_closed_one_too() {
    let (writer, card) = writer(CardConfig::new(12345678));
    writer.put(&credential(false)).unwrap();
    card.lock().unwrap().remove_after(Some(0));
    let err = writer.code_at(ID, false, 1).unwrap_err();
    assert!(
        matches!(
            err,
            DeviceError::RemovedWhile {
                what: "its code was read",
                ..
            }
        ),
        "{err:?}"
    );
    writer.disconnect();
    let err = writer.delete(ID).unwrap_err();
    assert!(matches!(err, DeviceError::Removed { .. }), "{err:?}");
}

#[test]
fn the_new_seed_must_be_base32_of_80_bits_or_more() {
    let bad = NewSeed::decode(&SecretSlice::from(b"not base32!".to_vec())).unwrap_err();
    assert!(bad.to_string().contains("not base32"), "{bad}");
    assert!(!bad.to_string().contains("not base32!"), "never echoed");
    assert!(NewSeed::decode(&SecretSlice::from(b"JBSWY3DP".to_vec())).is_err());
}
