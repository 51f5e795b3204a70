//! The code window of Enable and Resync: AWS's (the second code is the current step or the one
//! before, never a future step) by default, wider only when a test asks.

use super::{KEY, Knobs, NOW, SEED, alice, run_with};
use crate::iam_local::state::{DEMO_SERIAL, State};
use crate::iam_local::totp::{self, CodeWindow};

/// Resyncs alice's demo device with the pair `(c, c + 1)` under `window`; the error code if
/// refused.
fn resync_at(state: &mut State, c: u64, window: CodeWindow) -> Result<(u64, u64), &'static str> {
    let (c1, c2) = (totp::hotp(KEY, c, 6), totp::hotp(KEY, c + 1, 6));
    let knobs = Knobs {
        code_window: window,
        ..Knobs::default()
    };
    run_with(
        state,
        alice(),
        "ResyncMFADevice",
        &[
            ("UserName", "alice"),
            ("SerialNumber", DEMO_SERIAL),
            ("AuthenticationCode1", &c1),
            ("AuthenticationCode2", &c2),
        ],
        knobs,
    )
    .map(|o| o.counters.unwrap())
    .map_err(|e| e.code)
}

#[test]
fn a_pair_read_one_step_early_is_refused_unless_a_test_allows_steps_ahead() {
    let n = totp::counter_at(NOW, 30);
    // The second code is the next step's: AWS refuses it, and so does the default window.
    let mut state = State::demo(SEED);
    assert_eq!(
        resync_at(&mut state, n, CodeWindow::AWS),
        Err("InvalidAuthenticationCode")
    );
    assert_eq!(
        resync_at(&mut state, n, CodeWindow::default()),
        Err("InvalidAuthenticationCode")
    );
    assert_eq!(state.device(DEMO_SERIAL).unwrap().last_counter, None);
    // An explicit `ahead` takes it.
    let ahead = CodeWindow {
        behind: 1,
        ahead: 1,
    };
    assert_eq!(resync_at(&mut state, n, ahead), Ok((n, n + 1)));
    let mut state = State::demo(SEED);
    assert_eq!(
        resync_at(&mut state, n + 1, CodeWindow::either_side(2)),
        Ok((n + 1, n + 2))
    );
}

#[test]
fn the_current_and_the_previous_steps_pair_are_taken_by_default() {
    let n = totp::counter_at(NOW, 30);
    let mut state = State::demo(SEED);
    // Second code = the previous step.
    assert_eq!(
        resync_at(&mut state, n - 2, CodeWindow::AWS),
        Ok((n - 2, n - 1))
    );
    // Second code = the current step (and past the pair just consumed).
    assert_eq!(
        resync_at(&mut state, n - 1, CodeWindow::AWS),
        Err("InvalidAuthenticationCode"),
        "overlaps the pair consumed: a replay"
    );
    let mut state = State::demo(SEED);
    assert_eq!(
        resync_at(&mut state, n - 1, CodeWindow::AWS),
        Ok((n - 1, n))
    );
    // Two steps back is too old.
    let mut state = State::demo(SEED);
    assert_eq!(
        resync_at(&mut state, n - 3, CodeWindow::AWS),
        Err("InvalidAuthenticationCode")
    );
}

#[test]
fn behind_and_ahead_zero_is_the_current_step_only() {
    let n = totp::counter_at(NOW, 30);
    let only_now = CodeWindow {
        behind: 0,
        ahead: 0,
    };
    for c in [n - 2, n] {
        let mut state = State::demo(SEED);
        assert_eq!(
            resync_at(&mut state, c, only_now),
            Err("InvalidAuthenticationCode"),
            "second code at {}",
            c + 1
        );
    }
    let mut state = State::demo(SEED);
    assert_eq!(resync_at(&mut state, n - 1, only_now), Ok((n - 1, n)));
}

#[test]
fn enable_keeps_to_the_same_window() {
    let n = totp::counter_at(NOW, 30);
    let enable = |state: &mut State, c: u64| {
        let (c1, c2) = (totp::hotp(KEY, c, 6), totp::hotp(KEY, c + 1, 6));
        let serial = state.mfa_serial("spare");
        run_with(
            state,
            alice(),
            "EnableMFADevice",
            &[
                ("UserName", "alice"),
                ("SerialNumber", &serial),
                ("AuthenticationCode1", &c1),
                ("AuthenticationCode2", &c2),
            ],
            Knobs::default(),
        )
        .map(|o| o.counters.unwrap())
        .map_err(|e| e.code)
    };
    let mut state = State::demo(SEED).with_unassigned_device("spare", SEED);
    assert_eq!(enable(&mut state, n), Err("InvalidAuthenticationCode"));
    assert_eq!(enable(&mut state, n - 2), Ok((n - 2, n - 1)));
}
