//! The account alias: one per account, replaced by a new one, unique in the partition.

use super::mfa::first;
use super::{SEED, alice, run};
use crate::iam_local::qr;
use crate::iam_local::state::{Principal, State};

fn admin() -> Principal {
    Principal::User("admin".into())
}

fn aliases(state: &mut State) -> Vec<String> {
    let xml = run(state, alice(), "ListAccountAliases", &[])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(first(&xml, "IsTruncated"), Some("false"), "{xml}");
    let list = first(&xml, "AccountAliases").unwrap();
    list.split("<member>")
        .skip(1)
        .map(|m| m.trim_end_matches("</member>").to_owned())
        .collect()
}

fn create(state: &mut State, who: Principal, alias: &str) -> Result<(), super::ApiError> {
    run(state, who, "CreateAccountAlias", &[("AccountAlias", alias)]).map(|_| ())
}

#[test]
fn create_replaces_and_delete_needs_the_name() {
    let mut state = State::demo(SEED);
    assert!(aliases(&mut state).is_empty());
    create(&mut state, admin(), "example-corp").unwrap();
    assert_eq!(aliases(&mut state), ["example-corp"]);
    // One alias per account: a new one overwrites the old (IAM User Guide).
    create(&mut state, admin(), "example-two").unwrap();
    assert_eq!(aliases(&mut state), ["example-two"]);
    let err = run(
        &mut state,
        admin(),
        "DeleteAccountAlias",
        &[("AccountAlias", "example-corp")],
    )
    .unwrap_err();
    assert_eq!(
        (err.status, err.code, err.message.as_str()),
        (
            404,
            "NoSuchEntity",
            "The account alias example-corp does not exist."
        )
    );
    run(
        &mut state,
        admin(),
        "DeleteAccountAlias",
        &[("AccountAlias", "example-two")],
    )
    .unwrap();
    assert!(aliases(&mut state).is_empty());
    assert_eq!(state.account_alias, None);
}

#[test]
fn taken_names_are_entity_already_exists() {
    let mut state = State::demo(SEED)
        .with_alias("example-corp")
        .with_foreign_alias("security");
    for taken in ["example-corp", "security"] {
        let err = create(&mut state, admin(), taken).unwrap_err();
        assert_eq!(
            (err.status, err.code, err.message),
            (
                409,
                "EntityAlreadyExists",
                format!("The account alias {taken} already exists.")
            )
        );
    }
    assert_eq!(state.account_alias.as_deref(), Some("example-corp"));
}

#[test]
fn only_admins_change_it_and_anyone_lists_it() {
    let mut state = State::demo(SEED).with_alias("example-corp");
    let err = create(&mut state, alice(), "mine").unwrap_err();
    assert_eq!(
        err.message,
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:CreateAccountAlias on resource: *"
    );
    let role = Principal::AssumedRole {
        role: "ops".into(),
        session: "s".into(),
    };
    create(&mut state, role, "by-role").unwrap();
    assert_eq!(aliases(&mut state), ["by-role"]);
    let mut denied = State::demo(SEED).deny("alice", "ListAccountAliases");
    let err = run(&mut denied, alice(), "ListAccountAliases", &[]).unwrap_err();
    assert_eq!(err.code, "AccessDenied");
    assert!(
        err.message
            .contains("iam:ListAccountAliases on resource: *")
    );
}

#[test]
fn alias_validation_as_documented() {
    let mut state = State::demo(SEED);
    for bad in ["ab", "Upper", "two--dashes", "-lead", "trail-"] {
        let err = create(&mut state, admin(), bad).unwrap_err();
        assert_eq!(err.code, "ValidationError", "{bad}");
        assert!(err.message.contains("at 'accountAlias'"), "{}", err.message);
    }
    let err = run(&mut state, admin(), "CreateAccountAlias", &[]).unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'accountAlias' failed to satisfy constraint: Member must not be null"
    );
    assert_eq!(state.account_alias, None);
}

#[test]
fn the_qr_code_names_the_alias_when_there_is_one() {
    let state = State::demo(SEED);
    assert_eq!(
        qr::otpauth_uri("alice", state.account_name(), "S"),
        "otpauth://totp/alice@123456789012?secret=S"
    );
    let state = state.with_alias("example-corp");
    assert_eq!(
        qr::otpauth_uri("alice", state.account_name(), "S"),
        "otpauth://totp/alice@example-corp?secret=S"
    );
}
