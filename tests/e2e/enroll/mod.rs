//! `mfa-resync enroll` end to end: the built binary, virtual YubiKeys served to the real pcscd in
//! vpcd's two readers, and `iam-local`. Each test holds the readers' lock while a card is in, and
//! checks what is left afterwards: iam-local's devices (`devices_of`, `unassigned_devices`) and
//! each key's credentials.

mod faults;
mod journeys;
mod per_key;
mod signals;

use std::path::Path;

use testbed::iam_local::{Config, State};
use testbed::virtual_yubikey::CardConfig;

use crate::util::{Bed, Card, Output};

/// bob: a user with no MFA device, who enrols his own (self-service).
pub const BOB: (&str, &str) = (
    "AKIAIOSFODNN7BOBBOB1",
    "bObSeCrEtbObSeCrEtbObSeCrEtbObSeCrEt0000",
);
/// The demo account.
pub const ACCOUNT: &str = "123456789012";
/// bob's new device, as the Create names it by default.
pub const BOB_SERIAL: &str = "arn:aws:iam::123456789012:mfa/bob";
/// The credential AWS's QR code gives bob's device.
pub const BOB_OATH: &str = "Amazon Web Services:bob@123456789012";

/// bob's own device for the key `key`, as `enroll` names it by default (`USER-SERIAL`).
pub fn bob_device(key: u32) -> String {
    format!("arn:aws:iam::{ACCOUNT}:mfa/bob-{key}")
}

/// The credential AWS's QR code gives that device.
pub fn bob_credential(key: u32) -> String {
    format!("Amazon Web Services:bob-{key}@{ACCOUNT}")
}

/// The demo world plus bob, with `change` applied to the endpoint's configuration.
pub fn bed_with_bob(change: impl FnOnce(&mut Config)) -> Bed {
    Bed::with(|config| {
        config.state = add_bob(config.state.clone());
        change(config);
    })
}

fn add_bob(state: State) -> State {
    state.with_user("bob").with_access_key("bob", BOB.0, BOB.1)
}

/// `mfa-resync enroll --endpoint-url URL ARGS…` as bob.
pub fn enroll_as_bob(bed: &Bed, args: &[&str]) -> Output {
    let mut cmd = bed.command();
    cmd.env("AWS_ACCESS_KEY_ID", BOB.0)
        .env("AWS_SECRET_ACCESS_KEY", BOB.1)
        .arg("enroll")
        .args(["--endpoint-url", &bed.url()])
        .args(args);
    bed.run(&mut cmd)
}

/// `mfa-resync enroll --endpoint-url URL ARGS…` as alice (the demo user, who has a device).
pub fn enroll_as_alice(bed: &Bed, args: &[&str]) -> Output {
    let mut cmd = bed.command();
    cmd.arg("enroll")
        .args(["--endpoint-url", &bed.url()])
        .args(args);
    bed.run(&mut cmd)
}

/// An empty YubiKey 5 (firmware 5.7.2) with this serial.
pub fn empty_key(serial: u32) -> CardConfig {
    CardConfig::new(serial)
}

/// The actions iam-local saw, in order.
pub fn actions(bed: &Bed) -> Vec<String> {
    bed.log().into_iter().map(|e| e.action).collect()
}

/// Asserts that iam-local holds no unassigned virtual device: no orphan.
#[track_caller]
pub fn assert_no_orphan_device(bed: &Bed) {
    let state = bed.server().state();
    let orphans: Vec<&str> = state
        .unassigned_devices()
        .iter()
        .map(|d| d.serial.as_str())
        .collect();
    assert!(orphans.is_empty(), "orphan devices: {orphans:?}");
}

/// The serials of `user`'s devices in iam-local.
pub fn devices_of(bed: &Bed, user: &str) -> Vec<String> {
    bed.server()
        .state()
        .devices_of(user)
        .iter()
        .map(|d| d.serial.clone())
        .collect()
}

/// The base32 seed iam-local keeps for `serial`.
pub fn seed_of(bed: &Bed, serial: &str) -> String {
    bed.server()
        .state()
        .device(serial)
        .unwrap_or_else(|| panic!("iam-local has no {serial}"))
        .seed_base32
        .clone()
}

/// The base32 secret a key stores under `id`.
pub fn secret_on(card: &Card, id: &str) -> String {
    card.card
        .lock()
        .unwrap()
        .config()
        .credential(id.as_bytes())
        .unwrap_or_else(|| panic!("{} has no {id}: {:?}", card.reader, card.credentials()))
        .secret
        .clone()
}

/// Asserts that a seed (and its lower-case and base64 forms, as the Create's answer carries it)
/// appears nowhere in `text`.
#[track_caller]
pub fn assert_seed_absent(seed: &str, text: &str, what: &str) {
    for form in [
        seed.to_string(),
        seed.to_lowercase(),
        base64(seed.as_bytes()),
    ] {
        let probe = &form[..form.len().min(16)];
        assert!(
            !text.contains(probe),
            "{what}: the seed shows ({probe})\n{text}"
        );
    }
}

/// RFC 4648 §4 base64, so the check needs no crate of its own.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A directory of the test's own (mode 700) for the seed's backup file.
pub fn private_dir(bed: &Bed) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = bed.dir.path().join("private");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

/// The backup file's first line.
pub fn read_backup(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The audit log's lines.
pub fn audit_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
