//! The code window through the SDK: by default AWS's (the second code is the current step or the
//! previous one), so a pair read one step early is refused; a wider window only when asked.

use aws_sdk_iam::error::ProvideErrorMetadata;
use testbed::iam_local::{CodeWindow, Config, Server, State, clock};

use crate::harness::{
    SEED, admin_iam, alice_iam, demo_config, pair, resync, server_counter, start,
};

/// Moves the server's clock to the middle of a time step, so that no step turns between reading
/// the server's counter and the server checking a pair (15 s of margin either way).
fn mid_step(server: &Server) -> u64 {
    let host = clock::host_now();
    server.set_clock_offset(15 - host.rem_euclid(30));
    let n = server_counter(server);
    // 15, or a little more should the host's second have ticked since.
    assert!((15..=17).contains(&server.now().rem_euclid(30)));
    n
}

async fn start_with(window: CodeWindow) -> Server {
    let mut config = demo_config();
    config.code_window = window;
    start(config).await
}

#[tokio::test]
async fn a_pair_read_one_step_early_is_refused_by_default() {
    let server = start(demo_config()).await;
    let alice = alice_iam(&server);
    let n = mid_step(&server);
    // Codes for steps n and n + 1: the second is the next step's.
    let err = resync(&alice, SEED, n).await.unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_invalid_authentication_code_exception(),
        "{err:?}"
    );
    assert_eq!(
        err.message(),
        Some("Authentication code for device is not valid.")
    );
    // The previous step's pair (second code = step n - 1) is taken.
    resync(&alice, SEED, n - 2).await.unwrap();
    let log = server.log();
    let outcome: Vec<_> = log.iter().map(|e| (e.status, e.counters)).collect();
    assert_eq!(outcome, [(403, None), (200, Some((n - 2, n - 1)))]);
}

#[tokio::test]
async fn the_current_steps_pair_is_taken_by_default() {
    let server = start(demo_config()).await;
    let n = mid_step(&server);
    resync(&alice_iam(&server), SEED, n - 1).await.unwrap();
    assert_eq!(server.log()[0].counters, Some((n - 1, n)));
}

#[tokio::test]
async fn only_an_explicit_ahead_takes_a_pair_read_one_step_early() {
    let one_ahead = CodeWindow {
        behind: 1,
        ahead: 1,
    };
    let server = start_with(one_ahead).await;
    let n = mid_step(&server);
    resync(&alice_iam(&server), SEED, n).await.unwrap();
    assert_eq!(server.log()[0].counters, Some((n, n + 1)));

    let server = start_with(CodeWindow::either_side(2)).await;
    let n = mid_step(&server);
    resync(&alice_iam(&server), SEED, n + 1).await.unwrap();
    assert_eq!(server.log()[0].counters, Some((n + 1, n + 2)));
}

#[tokio::test]
async fn behind_and_ahead_zero_takes_the_current_step_only() {
    let server = start_with(CodeWindow {
        behind: 0,
        ahead: 0,
    })
    .await;
    let alice = alice_iam(&server);
    let n = mid_step(&server);
    for early_or_late in [n - 2, n] {
        let err = resync(&alice, SEED, early_or_late).await.unwrap_err();
        assert_eq!(err.code(), Some("InvalidAuthenticationCode"));
    }
    resync(&alice, SEED, n - 1).await.unwrap();
}

#[tokio::test]
async fn enable_keeps_to_the_same_window() {
    let state = State::demo(SEED).with_user("bob");
    let server = start(Config::new(state)).await;
    let admin = admin_iam(&server);
    let created = admin
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("bob")
        .send()
        .await
        .unwrap();
    let device = created.virtual_mfa_device().unwrap();
    let seed = String::from_utf8(device.base32_string_seed().unwrap().as_ref().to_vec()).unwrap();
    let n = mid_step(&server);
    let enable = |c: u64| {
        let (c1, c2) = pair(&seed, c);
        admin
            .enable_mfa_device()
            .user_name("bob")
            .serial_number(device.serial_number())
            .authentication_code1(c1)
            .authentication_code2(c2)
            .send()
    };
    let err = enable(n).await.unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_invalid_authentication_code_exception()
    );
    assert_eq!(server.state().assigned_to(device.serial_number()), None);
    enable(n - 2).await.unwrap();
    assert_eq!(
        server.state().assigned_to(device.serial_number()),
        Some("bob")
    );
}
