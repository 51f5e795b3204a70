//! Unit tests of the state model: its file form (old files still load), partitions, serials and
//! the deny list.

use std::path::Path;

use super::state::virtual_path_and_name;
use super::state::*;

#[test]
fn principal_json_is_externally_tagged() {
    let user = serde_json::to_string(&Principal::User("alice".into())).unwrap();
    assert_eq!(user, r#"{"user":"alice"}"#);
    let role: Principal =
        serde_json::from_str(r#"{"assumed_role":{"role":"ops","session":"s1"}}"#).unwrap();
    assert_eq!(
        role,
        Principal::AssumedRole {
            role: "ops".into(),
            session: "s1".into()
        }
    );
    assert_eq!(
        serde_json::to_string(&Principal::Root).unwrap(),
        r#""root""#
    );
}

#[test]
fn seeds_look_like_aws_seeds() {
    let seed = random_seed_base32();
    assert_eq!(seed.len(), 64);
    assert_eq!(
        crate::iam_local::totp::decode_seed(&seed).unwrap().len(),
        40
    );
    assert!(
        seed.bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    );
    assert_ne!(seed, random_seed_base32());
}

#[test]
fn demo_round_trips_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let state = State::demo("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    state.save(&path).unwrap();
    assert_eq!(State::load(&path).unwrap(), state);
    assert_eq!(
        state.user_arn("alice"),
        "arn:aws:iam::123456789012:user/alice"
    );
    assert_eq!(
        state.device(DEMO_SERIAL).unwrap().user.as_deref(),
        Some("alice")
    );
}

#[test]
fn hand_written_state_gets_aws_defaults() {
    let state: State = serde_json::from_str(
        r#"{"account_id":"111122223333","users":[{"name":"bob","user_id":"AIDA1"}],
                "access_keys":[{"id":"AKIA1","secret":"s","principal":"root"}],
                "devices":[{"serial":"arn:aws:iam::111122223333:mfa/bob","seed_base32":"AAAA"}]}"#,
    )
    .unwrap();
    assert_eq!(state.users[0].path, "/");
    assert_eq!((state.devices[0].period, state.devices[0].digits), (30, 6));
    assert!(!state.access_keys[0].expired);
    // Fields added later default to what a state file written before them meant.
    assert_eq!(state.partition, Partition::Aws);
    assert_eq!(state.account_alias, None);
    assert!(state.denied_actions.is_empty() && state.foreign_aliases.is_empty());
    assert_eq!(state.account_name(), "111122223333");
}

#[test]
fn a_state_file_of_the_first_release_still_loads() {
    // Written by `iam-local init` before partitions, aliases and denials existed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(
        &path,
        r#"{
  "account_id": "123456789012",
  "users": [{"name": "alice", "path": "/", "user_id": "AIDACKCEVSQ6C2EXAMPLE", "admin": false}],
  "access_keys": [{"id": "AKIAIOSFODNN7EXAMPLE", "secret": "s", "session_token": null,
                   "expired": false, "principal": {"user": "alice"}}],
  "devices": [{"serial": "arn:aws:iam::123456789012:mfa/alice", "user": "alice",
               "seed_base32": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "period": 30, "digits": 6,
               "last_counter": 56666666, "enable_date": "2025-01-02T03:04:05Z"}]
}"#,
    )
    .unwrap();
    let state = State::load(&path).unwrap();
    assert_eq!(state.serials_of("alice"), [DEMO_SERIAL]);
    assert_eq!(state.devices[0].last_counter, Some(56_666_666));
    // Saving writes no empty new fields, so the file stays readable by the first release.
    state.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(r#""partition": "aws""#), "{text}");
    assert!(!text.contains("denied_actions") && !text.contains("account_alias"));
}

#[test]
fn partitions_parse_print_and_name_their_iam_region() {
    for p in Partition::ALL {
        assert_eq!(p.as_str().parse::<Partition>(), Ok(p));
        assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
    }
    assert_eq!(Partition::AwsUsGov.iam_region(), "us-gov-west-1");
    assert_eq!(Partition::AwsCn.iam_region(), "cn-north-1");
    let err = "aws-eu".parse::<Partition>().unwrap_err();
    assert!(err.to_string().contains("aws-us-gov"), "{err}");
    let mut state = State::demo("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    state.partition = Partition::AwsUsGov;
    assert_eq!(
        state.user_arn("alice"),
        "arn:aws-us-gov:iam::123456789012:user/alice"
    );
    assert_eq!(
        state.mfa_serial_at("/desk/", "key1"),
        "arn:aws-us-gov:iam::123456789012:mfa/desk/key1"
    );
}

#[test]
fn virtual_serials_split_into_path_and_name() {
    let split = virtual_path_and_name;
    assert_eq!(split(DEMO_SERIAL), Some(("/", "alice")));
    assert_eq!(
        split("arn:aws-cn:iam::123456789012:mfa/a/b/phone"),
        Some(("/a/b/", "phone"))
    );
    for not_virtual in [
        "GAHT12345678",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::123456789012:u2f/user/alice/key-ABC",
        "arn:aws:iam::123456789012:mfa/",
        "arn:aws:sts::123456789012:mfa/alice",
    ] {
        assert_eq!(split(not_virtual), None, "{not_virtual}");
    }
}

#[test]
fn denials_match_plain_prefixed_and_wildcard_actions() {
    let mut state = State::demo("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    state.denied_actions.insert(
        "alice".into(),
        vec![
            "ListAccountAliases".into(),
            "iam:DeactivateMFADevice".into(),
        ],
    );
    state
        .denied_actions
        .insert("role/ops".into(), vec!["iam:*".into()]);
    let alice = Principal::User("alice".into());
    assert!(state.is_denied(&alice, "iam", "ListAccountAliases"));
    assert!(state.is_denied(&alice, "iam", "DeactivateMFADevice"));
    assert!(!state.is_denied(&alice, "iam", "ResyncMFADevice"));
    assert!(!state.is_denied(
        &Principal::User("admin".into()),
        "iam",
        "ListAccountAliases"
    ));
    let ops = Principal::AssumedRole {
        role: "ops".into(),
        session: "any".into(),
    };
    assert!(state.is_denied(&ops, "iam", "GetUser"));
    assert!(!state.is_denied(&ops, "sts", "GetCallerIdentity"));
    assert!(!state.is_denied(&Principal::Root, "iam", "GetUser"));
}

#[test]
fn load_errors_name_the_file() {
    let err = State::load(Path::new("/nonexistent/state.json")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/state.json"), "{err}");
}
