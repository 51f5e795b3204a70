//! Keys as people really name their credentials: aws-vault's serial-ARN names, AWS's QR code
//! (`DEVICE@ACCOUNT` or `@ALIAS`), older console flows (`USER@ACCOUNT`), and aws-vault's variables.
//! Each key also holds decoys: the same user in another account, another user of this account, an
//! ARN of another account, and a `USER@alias` whose alias is not this account's. No `--account`.

use testbed::virtual_yubikey::{CardConfig, CredentialConfig};

use crate::util::{Bed, Card, readers};

const ACCOUNT: &str = "123456789012";

/// The decoys every key carries, each with its own seed (a decoy chosen by mistake would be refused).
fn decoys() -> Vec<CredentialConfig> {
    [
        (Some("Amazon Web Services"), "alice@999999999999"),
        (Some("Amazon Web Services"), "bob@123456789012"),
        (None, "arn:aws:iam::999999999999:mfa/alice"),
        (Some("Amazon Web Services"), "alice@someone-elses-alias"),
    ]
    .into_iter()
    .map(|(issuer, name)| {
        CredentialConfig::totp(issuer, name, &testbed::iam_local::random_seed_base32())
    })
    .collect()
}

/// A key with the decoys and `credential` (holding the bed's seed).
fn key(serial: u32, credential: CredentialConfig) -> CardConfig {
    let mut config = CardConfig::new(serial);
    for decoy in decoys() {
        config = config.with_credential(decoy);
    }
    config.with_credential(credential)
}

/// Resyncs alice's device from a key holding the right credential under `issuer:name` among the
/// decoys, with `env` set; asserts iam-local accepted the pair.
fn resyncs(bed: &Bed, issuer: Option<&str>, name: &str, env: &[(&str, &str)]) {
    let _card = Card::insert(
        key(45678901, CredentialConfig::totp(issuer, name, &bed.seed)),
        0,
    );
    let mut cmd = bed.command();
    cmd.args(["resync", "--no-wait", "--endpoint-url", &bed.url()]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = bed.run(&mut cmd);
    out.assert_exit(0);
    // The key and the credential that answered are named, at normal verbosity.
    let id = match issuer {
        Some(issuer) => format!("{issuer}:{name}"),
        None => name.to_string(),
    };
    out.assert_stderr(&format!("Key: YubiKey 45678901, credential {id:?} ("));
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1, "{name}: {:?}", out.stderr);
    assert_eq!(sent[0].status, 200, "{name}");
}

#[test]
fn a_credential_named_after_the_serial_arn_without_an_issuer_is_found() {
    let _readers = readers();
    let bed = Bed::new();
    resyncs(&bed, None, "arn:aws:iam::123456789012:mfa/alice", &[]);
}

#[test]
fn a_credential_named_after_the_serial_arn_with_an_issuer_is_found() {
    let _readers = readers();
    let bed = Bed::new();
    resyncs(
        &bed,
        Some("Amazon Web Services"),
        "arn:aws:iam::123456789012:mfa/alice",
        &[],
    );
}

#[test]
fn a_user_at_account_id_credential_is_found() {
    let _readers = readers();
    let bed = Bed::new();
    resyncs(&bed, Some("Amazon Web Services"), "alice@123456789012", &[]);
}

#[test]
fn a_user_at_alias_credential_is_found_through_the_account_s_alias() {
    let _readers = readers();
    let bed = Bed::with_seed(&testbed::iam_local::random_seed_base32(), |c| {
        c.state = c.state.clone().with_alias("example-corp");
    });
    resyncs(&bed, Some("Amazon Web Services"), "alice@example-corp", &[]);
    assert!(
        bed.log().iter().any(|e| e.action == "ListAccountAliases"),
        "the alias was asked for"
    );
}

#[test]
fn a_device_at_account_credential_is_found_when_the_device_is_not_named_after_the_user() {
    let _readers = readers();
    let bed = Bed::with_seed(&testbed::iam_local::random_seed_base32(), |c| {
        for device in &mut c.state.devices {
            device.serial = format!("arn:aws:iam::{ACCOUNT}:mfa/alice-yubikey");
        }
    });
    resyncs(&bed, None, "alice-yubikey@123456789012", &[]);
    assert_eq!(
        bed.resync_requests()[0].params["SerialNumber"],
        "arn:aws:iam::123456789012:mfa/alice-yubikey"
    );
}

#[test]
fn aws_vault_s_credential_name_variable_is_honoured() {
    let _readers = readers();
    let bed = Bed::new();
    resyncs(
        &bed,
        Some("Work"),
        "my aws key",
        &[("YKMAN_OATH_CREDENTIAL_NAME", "Work:my aws key")],
    );
}

#[test]
fn aws_vault_s_device_variable_chooses_the_key_among_two() {
    let _readers = readers();
    let bed = Bed::new();
    let _other = Card::insert(
        key(
            11111111,
            CredentialConfig::totp(Some("Amazon Web Services"), "alice@123456789012", &bed.seed),
        ),
        1,
    );
    resyncs(
        &bed,
        Some("Amazon Web Services"),
        "alice@123456789012",
        &[("YKMAN_OATH_DEVICE_SERIAL", "45678901")],
    );
}

#[test]
fn two_credentials_matching_at_one_step_are_listed_and_nothing_is_sent() {
    let _readers = readers();
    let bed = Bed::new();
    let config = key(
        56789012,
        CredentialConfig::totp(Some("Amazon Web Services"), "alice@123456789012", &bed.seed),
    )
    .with_credential(CredentialConfig::totp(
        None,
        "alice@123456789012",
        &bed.seed,
    ));
    let _card = Card::insert(config, 0);
    let out = bed.resync(&["--no-wait"]);
    out.assert_exit(3)
        .assert_stderr("Amazon Web Services:alice@123456789012, alice@123456789012");
    assert!(bed.resync_requests().is_empty());
}

#[test]
fn devices_marks_the_credential_each_configured_profile_would_use() {
    let _readers = readers();
    let bed = Bed::new();
    crate::util::write_private(
        &bed.dir.path().join("aws-config"),
        "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\n\
         [profile bob]\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n\n\
         [profile other]\nmfa_serial = arn:aws:iam::123456789012:mfa/carol\n",
    );
    let config = CardConfig::new(67890123)
        .with_credential(CredentialConfig::totp(
            None,
            "arn:aws:iam::123456789012:mfa/alice",
            &bed.seed,
        ))
        .with_credential(CredentialConfig::totp(
            Some("Amazon Web Services"),
            "bob@123456789012",
            &bed.seed,
        ))
        .with_credential(CredentialConfig::totp(Some("Example"), "carol", &bed.seed));
    let _card = Card::insert(config, 0);
    let out = bed.devices_accounts(&[]);
    out.assert_exit(0);
    let line = |name: &str| {
        out.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in\n{}", out.stdout))
            .to_string()
    };
    assert!(line("arn:aws:iam::123456789012:mfa/alice").ends_with("(profile work)"));
    assert!(line("Amazon Web Services:bob@123456789012").ends_with("(profile bob)"));
    assert!(
        !line("Example:carol").contains("profile"),
        "carol's is named for no device"
    );
    let json = bed.devices_accounts(&["--output", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let accounts = v["YubiKeys"][0]["Accounts"].as_array().unwrap();
    assert!(
        accounts
            .iter()
            .any(|a| a["Profiles"] == serde_json::json!(["work"]))
    );
}

#[test]
fn devices_lists_the_credentials_when_iam_cannot_be_asked_and_says_why_their_devices_are_not_shown()
{
    let _readers = readers();
    let bed = Bed::new();
    let _card = Card::insert(
        CardConfig::new(67890124).with_credential(CredentialConfig::totp(
            Some("Amazon Web Services"),
            "alice@123456789012",
            &bed.seed,
        )),
        0,
    );
    // A port nothing listens on: the listing is the key's, IAM's part is a warning.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = bed.run(
        bed.command()
            .args(["devices", "--accounts", "--endpoint-url", &url]),
    );
    out.assert_exit(0)
        .assert_stderr("warning: the devices the credentials name were not looked up:");
    assert!(
        out.stdout
            .contains("Amazon Web Services:alice@123456789012  TOTP 30 s"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("device:"), "{}", out.stdout);
    assert!(bed.log().is_empty(), "the test's endpoint was not asked");
}

#[test]
fn the_credential_used_is_named_with_its_control_characters_escaped() {
    let _readers = readers();
    let bed = Bed::new();
    // The only credential on the key, its name carrying a colour escape and a right-to-left
    // override, as a hostile or broken key might.
    let name = "alice\u{1b}[31m@\u{202e}123456789012";
    let _card = Card::insert(
        CardConfig::new(45678902).with_credential(CredentialConfig::totp(None, name, &bed.seed)),
        0,
    );
    let out = bed.resync(&["--no-wait"]);
    out.assert_exit(0).assert_stderr(
        "Key: YubiKey 45678902, credential \"alice\\u{1b}[31m@\\u{202e}123456789012\" (the only TOTP credential).",
    );
    assert!(!out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{202e}'));
}
