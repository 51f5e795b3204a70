//! Unit tests of the actions: each calls `perform` on a demo state, as the server would after
//! authentication, and checks the result XML, the error as AWS words it, and the state after.

use std::collections::BTreeMap;

use super::{Context, Outcome, perform};
use crate::iam_local::error::ApiError;
use crate::iam_local::query::Service;
use crate::iam_local::state::{DEMO_SERIAL, Principal, State};
use crate::iam_local::totp::{self, CodeWindow};

mod alias;
mod lists;
mod mfa;
mod root;
mod tags;
mod window;

pub(super) const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
pub(super) const KEY: &[u8] = b"12345678901234567890";
pub(super) const NOW: i64 = 1_700_000_000;

pub(super) fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(super) fn run(
    state: &mut State,
    caller: Principal,
    action: &str,
    p: &[(&str, &str)],
) -> Result<Outcome, ApiError> {
    run_with(state, caller, action, p, Knobs::default())
}

/// The server's settings an action sees: its code window and whether lists come in short pages.
#[derive(Debug, Clone, Copy)]
pub(super) struct Knobs {
    pub(super) code_window: CodeWindow,
    pub(super) short_pages: bool,
}

impl Default for Knobs {
    /// As `Config::new` sets them.
    fn default() -> Knobs {
        Knobs {
            code_window: CodeWindow::AWS,
            short_pages: true,
        }
    }
}

/// Lists in full pages, for tests about what a list holds rather than how it pages.
pub(super) const FULL_PAGES: Knobs = Knobs {
    code_window: CodeWindow::AWS,
    short_pages: false,
};

pub(super) fn run_with(
    state: &mut State,
    caller: Principal,
    action: &str,
    p: &[(&str, &str)],
    knobs: Knobs,
) -> Result<Outcome, ApiError> {
    let service = if action == "GetCallerIdentity" {
        Service::Sts
    } else {
        Service::Iam
    };
    let mut ctx = Context {
        state,
        caller: &caller,
        now: NOW,
        code_window: knobs.code_window,
        short_pages: knobs.short_pages,
    };
    perform(service, action, &params(p), &mut ctx)
}

pub(super) fn alice() -> Principal {
    Principal::User("alice".into())
}

pub(super) fn codes(c: u64) -> (String, String) {
    (totp::hotp(KEY, c, 6), totp::hotp(KEY, c + 1, 6))
}

fn resync(
    state: &mut State,
    caller: Principal,
    user: &str,
    c1: &str,
    c2: &str,
) -> Result<Outcome, ApiError> {
    run(
        state,
        caller,
        "ResyncMFADevice",
        &[
            ("UserName", user),
            ("SerialNumber", DEMO_SERIAL),
            ("AuthenticationCode1", c1),
            ("AuthenticationCode2", c2),
        ],
    )
}

#[test]
fn resync_accepts_a_fresh_pair_once() {
    let mut state = State::demo(SEED);
    let n = totp::counter_at(NOW, 30);
    let (c1, c2) = codes(n - 1);
    let out = resync(&mut state, alice(), "alice", &c1, &c2).unwrap();
    assert_eq!(out.counters, Some((n - 1, n)));
    assert!(out.changed && out.result.is_none());
    assert_eq!(state.device(DEMO_SERIAL).unwrap().last_counter, Some(n));
    let again = resync(&mut state, alice(), "alice", &c1, &c2).unwrap_err();
    assert_eq!(again.code, "InvalidAuthenticationCode");
    assert_eq!(again.status, 403);
}

#[test]
fn resync_validation_errors_use_aws_wording() {
    let mut state = State::demo(SEED);
    let err = resync(&mut state, alice(), "alice", "12345", "123456").unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6"
    );
    let err = resync(&mut state, alice(), "alice", "12a456", "1234567").unwrap_err();
    assert_eq!(err.code, "ValidationError");
    assert!(
        err.message.starts_with("2 validation errors detected: "),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains(r"Member must satisfy regular expression pattern: [\d]+")
    );
    assert!(!err.message.contains("12a456"), "codes are not echoed");
    let err = run(
        &mut state,
        alice(),
        "ResyncMFADevice",
        &[("UserName", "alice")],
    )
    .unwrap_err();
    assert!(
        err.message
            .starts_with("3 validation errors detected: Value null at 'serialNumber'"),
        "{}",
        err.message
    );
}

#[test]
fn non_admin_acts_only_on_itself() {
    let mut state = State::demo(SEED);
    let (c1, c2) = codes(totp::counter_at(NOW, 30) - 1);
    let err = resync(&mut state, alice(), "admin", &c1, &c2).unwrap_err();
    assert_eq!(err.code, "AccessDenied");
    assert_eq!(
        err.message,
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ResyncMFADevice on resource: arn:aws:iam::123456789012:user/admin"
    );
    let admin = Principal::User("admin".into());
    assert!(resync(&mut state, admin.clone(), "alice", &c1, &c2).is_ok());
    let err = run(&mut state, admin, "GetUser", &[("UserName", "carol")]).unwrap_err();
    assert_eq!(
        (err.status, err.message.as_str()),
        (404, "The user with name carol cannot be found.")
    );
}

#[test]
fn roles_and_root_must_name_the_user() {
    let mut state = State::demo(SEED);
    let role = Principal::AssumedRole {
        role: "ops".into(),
        session: "s".into(),
    };
    let err = run(&mut state, role.clone(), "ListMFADevices", &[]).unwrap_err();
    assert_eq!(
        err.message,
        "Must specify userName when calling with non-User credentials"
    );
    let out = run(
        &mut state,
        role.clone(),
        "ListMFADevices",
        &[("UserName", "alice")],
    )
    .unwrap();
    assert!(
        out.result
            .unwrap()
            .contains("<SerialNumber>arn:aws:iam::123456789012:mfa/alice</SerialNumber>")
    );
    let id = run(&mut state, role, "GetCallerIdentity", &[])
        .unwrap()
        .result
        .unwrap();
    assert!(
        id.contains("<Arn>arn:aws:sts::123456789012:assumed-role/ops/s</Arn>"),
        "{id}"
    );
    let root = run(&mut state, Principal::Root, "GetCallerIdentity", &[])
        .unwrap()
        .result
        .unwrap();
    assert!(
        root.contains("<Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId>"),
        "{root}"
    );
}

#[test]
fn resync_of_a_device_not_assigned_to_the_user() {
    let mut state = State::demo(SEED);
    let (c1, c2) = codes(totp::counter_at(NOW, 30));
    let err = resync(
        &mut state,
        Principal::User("admin".into()),
        "admin",
        &c1,
        &c2,
    )
    .unwrap_err();
    assert_eq!((err.status, err.code), (404, "NoSuchEntity"));
}

#[test]
fn create_then_enable_a_virtual_device() {
    let mut state = State::demo(SEED);
    let out = run(
        &mut state,
        alice(),
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", "alice2")],
    )
    .unwrap();
    let xml = out.result.unwrap();
    assert!(
        xml.contains("<SerialNumber>arn:aws:iam::123456789012:mfa/alice2</SerialNumber>"),
        "{xml}"
    );
    let dup = run(
        &mut state,
        alice(),
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", "alice2")],
    )
    .unwrap_err();
    assert_eq!(
        (dup.status, dup.code, dup.message.as_str()),
        (
            409,
            "EntityAlreadyExists",
            "MFADevice entity at the same path and name already exists."
        )
    );
    let serial = "arn:aws:iam::123456789012:mfa/alice2";
    let device = state.device(serial).unwrap().clone();
    let blob = data_encoding::BASE64.encode(device.seed_base32.as_bytes());
    assert!(xml.contains(&format!("<Base32StringSeed>{blob}</Base32StringSeed>")));
    let n = totp::counter_at(NOW, 30) - 1;
    let c1 = totp::code_at(&device.seed_base32, n, 6).unwrap();
    let c2 = totp::code_at(&device.seed_base32, n + 1, 6).unwrap();
    let enable = |state: &mut State| {
        run(
            state,
            alice(),
            "EnableMFADevice",
            &[
                ("UserName", "alice"),
                ("SerialNumber", serial),
                ("AuthenticationCode1", &c1),
                ("AuthenticationCode2", &c2),
            ],
        )
    };
    assert_eq!(enable(&mut state).unwrap().counters, Some((n, n + 1)));
    assert_eq!(state.device(serial).unwrap().user.as_deref(), Some("alice"));
    assert_eq!(enable(&mut state).unwrap_err().code, "EntityAlreadyExists");
    let list = run(&mut state, alice(), "ListMFADevices", &[])
        .unwrap()
        .result
        .unwrap();
    assert_eq!(list.matches("<member>").count(), 2, "{list}");
}

#[test]
fn unknown_actions_and_versions() {
    let mut state = State::demo(SEED);
    let err = run(&mut state, alice(), "DeleteUser", &[]).unwrap_err();
    assert_eq!((err.status, err.code), (400, "InvalidAction"));
    let err = run(&mut state, alice(), "GetUser", &[("Version", "2011-06-15")]).unwrap_err();
    assert_eq!(
        err.message,
        "Could not find operation GetUser for version 2011-06-15"
    );
    let err = run(&mut state, alice(), "", &[]).unwrap_err();
    assert_eq!(err.code, "MissingAction");
}

#[test]
fn hostile_values_are_rejected_or_escaped() {
    let mut state = State::demo(SEED);
    let err = run(
        &mut state,
        Principal::Root,
        "GetUser",
        &[("UserName", "<x>")],
    )
    .unwrap_err();
    assert_eq!(err.code, "ValidationError");
    assert!(err.message.contains("Value '<x>' at 'userName'"));
    let err = run(
        &mut state,
        alice(),
        "CreateVirtualMFADevice",
        &[("VirtualMFADeviceName", "d"), ("Path", "nopath")],
    )
    .unwrap_err();
    assert!(
        err.message
            .starts_with("The specified value for path is invalid."),
        "{}",
        err.message
    );
}
