//! Typed codes from a display token, on a manual clock: the person is a script of codes and the
//! seconds each takes to appear (the token's change and the typing), so that a token's drift and a
//! slow hand are tested in milliseconds.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::tests::{info, reader};
use super::*;
use crate::source::{CodeSource, DeviceError, SourceInfo, TypedProblem};
use crate::window::{Clock, ManualClock, Mode, ServerClock};

/// A person typing `lines` (the code, and the seconds before Enter), at a terminal or a pipe.
struct Person {
    clock: Arc<ManualClock>,
    lines: VecDeque<(&'static str, f64)>,
    terminal: bool,
}

impl CodeSource for Person {
    fn describe(&self) -> SourceInfo {
        info("prompt")
    }
    fn clock(&self) -> ClockOwner {
        ClockOwner::Device
    }
    fn code_at(&mut self, _counter: u64) -> Result<Code, DeviceError> {
        let (code, after) = self
            .lines
            .pop_front()
            .ok_or(DeviceError::Typed(TypedProblem::Ended))?;
        self.clock.advance(Duration::from_secs_f64(after));
        Code::from_digits(code.to_string())
    }
    fn retypes(&self) -> bool {
        self.terminal
    }
}

/// Reads one typed pair from a person typing `lines`.
async fn typed(terminal: bool, lines: &[(&'static str, f64)]) -> Result<ReadPair, Error> {
    let host = Arc::new(ManualClock::new(Duration::from_secs(1_700_000_000)));
    let server = ServerClock::new(host.clone() as Arc<dyn Clock>, Skew::ZERO);
    let person = Person {
        clock: host,
        lines: lines.iter().copied().collect(),
        terminal,
    };
    let (_tx, mut reader) = reader(&server, person, Mode::Wait);
    reader.next_with(|_, _| {}).await
}

#[tokio::test]
async fn the_next_code_typed_as_soon_as_it_shows_is_taken_at_once() {
    // Code 1 just before the token changes (as with a token 329 s ahead, 1 s before its change).
    let read = typed(true, &[("111111", 0.5), ("222222", 2.5)])
        .await
        .unwrap();
    assert_eq!(
        (read.code1.expose(), read.code2.expose()),
        ("111111", "222222")
    );
    assert_eq!(read.pair, None, "the host chose no window");
}

#[tokio::test]
async fn an_unchanged_code_is_asked_again_while_the_window_lasts() {
    let lines = [
        ("111111", 1.0),
        ("111111", 10.0),
        ("111111", 12.0),
        ("222222", 8.5),
    ];
    let read = typed(true, &lines).await.unwrap();
    assert_eq!(
        read.code2.expose(),
        "222222",
        "30.5 s after code 1: in time"
    );
}

#[tokio::test]
async fn code_2_more_than_a_window_and_the_margin_after_code_1_is_not_sent_and_a_fresh_pair_is_asked()
 {
    // The token changed just after code 1 and again 30 s later; the person looked back late.
    let lines = [
        ("111111", 1.0),
        ("333333", 31.5),
        ("444444", 2.0),
        ("555555", 3.0),
    ];
    let read = typed(true, &lines).await.unwrap();
    assert_eq!(
        (read.code1.expose(), read.code2.expose()),
        ("444444", "555555")
    );
    // Exactly at the limit is still in time.
    let read = typed(true, &[("111111", 1.0), ("222222", 31.0)])
        .await
        .unwrap();
    assert_eq!(read.code2.expose(), "222222");
}

#[tokio::test]
async fn from_a_pipe_a_late_code_2_fails_with_why_and_nothing_is_read_again() {
    let read = typed(false, &[("111111", 0.0), ("333333", 40.0), ("444444", 0.0)]).await;
    let Err(Error::Device(DeviceError::Typed(problem))) = read else {
        panic!("{read:?}")
    };
    assert_eq!(
        problem,
        TypedProblem::TooLate {
            after_millis: 40_000,
            period_secs: 30,
            margin_secs: 1
        }
    );
    assert_eq!(
        problem.to_string(),
        "code 2 came 40.0 s after code 1, more than a window (30 s) and 1 s to react: the token may have changed twice in between, so the pair was not sent"
    );
}

#[tokio::test]
async fn a_token_that_never_changes_is_given_up_on_after_three_pairs() {
    let mut lines = Vec::new();
    for _ in 0..3 {
        lines.extend([("111111", 1.0), ("111111", 16.0), ("111111", 16.0)]);
    }
    let read = typed(true, &lines).await;
    assert!(
        matches!(
            read,
            Err(Error::Device(DeviceError::Typed(
                TypedProblem::StillUnchanged
            )))
        ),
        "{read:?}"
    );
}
