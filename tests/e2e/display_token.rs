//! Display tokens whose clock has drifted, typed at a terminal by a scripted person: the token is
//! the test's own (the device's seed and a drift of up to five minutes either way from AWS's
//! clock), the person reads it when asked, waits for it to change when asked for the next code, and
//! takes a while to react and to type. AWS's clock is moved so that the token's next change comes
//! a few seconds after the run starts, instead of waiting for it.

use std::time::Duration;

use testbed::iam_local::CodeWindow;

use crate::util::{Bed, Terminal};

const CODE_1: &str = "Code 1 shown on the token: ";
const CODE_2: &str = "Code 2 shown on the token: ";

/// A token `drift` seconds ahead of AWS's clock (behind when negative), with the demo device's seed.
struct Token<'a> {
    bed: &'a Bed,
    drift: i64,
}

impl Token<'_> {
    /// The token's own time now, in milliseconds.
    fn millis(&self) -> i64 {
        self.bed.now().as_millis() as i64 + self.drift * 1000
    }

    /// The counter of the code it shows now.
    fn counter(&self) -> u64 {
        (self.millis() / 30_000) as u64
    }

    /// The code it shows now.
    fn code(&self) -> String {
        self.bed.code_at(self.counter())
    }

    /// How long until it changes its code.
    fn until_change(&self) -> Duration {
        Duration::from_millis((30_000 - self.millis().rem_euclid(30_000)) as u64)
    }
}

/// A bed whose AWS takes a pair up to 12 windows either side of its time (a token five minutes
/// off, as resyncing one needs), its clock moved so that a token `drift` seconds off changes its
/// code `lead` from now.
fn bed_before_change(drift: i64, lead: Duration) -> Bed {
    let bed = Bed::with(|c| c.code_window = CodeWindow::either_side(12));
    let until = Token { bed: &bed, drift }.until_change();
    // Forward only: the change that is then `lead` away is a later one of the token's.
    let forward = (until.as_millis() as i64 - lead.as_millis() as i64).rem_euclid(30_000);
    bed.advance_clock(Duration::from_millis(forward as u64));
    bed
}

/// How a person handles the token: code 1 is read `read_before` the token's change (a read then
/// typed slowly can straddle it), each code typed in `typing`; the change noticed `reaction` late.
#[derive(Debug, Clone, Copy)]
struct Person {
    drift: i64,
    read_before: f64,
    typing: f64,
    reaction: f64,
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Runs `resync --source prompt` at a terminal for `person`; returns the bed, the counter of the
/// code 1 typed, the exit code and the screen.
fn resync_from(person: Person) -> (Bed, u64, i32, String) {
    let bed = bed_before_change(person.drift, secs(4.0));
    let token = Token {
        bed: &bed,
        drift: person.drift,
    };
    let mut terminal = Terminal::start(
        &bed,
        &["resync", "--endpoint-url", &bed.url(), "--source", "prompt"],
    );
    terminal.wait_for_nth(CODE_1, 1, secs(10.0));
    std::thread::sleep(
        token
            .until_change()
            .saturating_sub(secs(person.read_before)),
    );
    let (counter, code1) = (token.counter(), token.code());
    std::thread::sleep(secs(person.typing));
    terminal.type_line(&code1);
    // Asked for the next code: the person waits for the token to show another, then reads it.
    terminal.wait_for_nth(CODE_2, 1, secs(40.0));
    while token.code() == code1 {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(secs(person.reaction));
    let code2 = token.code();
    std::thread::sleep(secs(person.typing));
    terminal.type_line(&code2);
    let (code, screen) = terminal.finish();
    (bed, counter, code, screen)
}

#[test]
fn a_token_329_s_ahead_typed_just_after_the_host_s_boundary_gives_a_consecutive_pair() {
    // The token changes 1 s after AWS's (and the host's) boundary; code 1 is read 0.5 s after
    // that boundary. Asked for the next code at once, the person types the token's next one;
    // a countdown to the host's next boundary would have let the token change twice.
    let person = Person {
        drift: 329,
        read_before: 0.5,
        typing: 0.3,
        reaction: 1.5,
    };
    let (bed, c, code, screen) = resync_from(person);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("Type the next code as soon as the token shows it (within 31 s)."),
        "{screen}"
    );
    let sent = bed.resync_requests();
    assert_eq!(sent.len(), 1, "{screen}");
    assert_eq!(sent[0].counters, Some((c, c + 1)), "{screen}");
}

#[test]
fn tokens_up_to_five_minutes_either_way_give_consecutive_pairs_at_any_typing_speed() {
    let people = [
        (-300, 2.0, 1.5, 1.0),
        (300, 1.0, 0.3, 2.0),
        (-13, 0.3, 2.5, 0.5),
        (151, 2.5, 0.2, 0.2),
        (-287, 0.1, 1.0, 3.0),
    ]
    .map(|(drift, read_before, typing, reaction)| Person {
        drift,
        read_before,
        typing,
        reaction,
    });
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = people
            .iter()
            .map(|&person| (person, scope.spawn(move || resync_from(person))))
            .collect();
        runs.into_iter()
            .filter_map(|(person, run)| {
                let (bed, c, code, screen) = run.join().expect("a person");
                let sent = bed.resync_requests();
                let ok = code == 0 && sent.len() == 1 && sent[0].counters == Some((c, c + 1));
                (!ok).then(|| format!("{person:?}: exit {code}, sent {sent:?}\n{screen}"))
            })
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn code_2_typed_more_than_a_window_after_code_1_is_not_sent_and_a_fresh_pair_is_asked() {
    // Code 1 read just after the token changed; the person looks back only after the next
    // change, slowly: 31.5 s or more between the two entries.
    let drift = 17;
    let bed = bed_before_change(drift, secs(3.0));
    let token = Token { bed: &bed, drift };
    let mut terminal = Terminal::start(
        &bed,
        &["resync", "--endpoint-url", &bed.url(), "--source", "prompt"],
    );
    terminal.wait_for_nth(CODE_1, 1, secs(10.0));
    std::thread::sleep(token.until_change() + secs(0.2));
    terminal.type_line(&token.code());
    terminal.wait_for_nth(CODE_2, 1, secs(5.0));
    std::thread::sleep(token.until_change() + secs(1.5));
    terminal.type_line(&token.code());
    // Not sent: why, and a fresh pair asked for.
    terminal.wait_for_nth(CODE_1, 2, secs(5.0));
    let screen = terminal.screen();
    assert!(
        screen.contains("s after code 1, more than a window (30 s) and 1 s to react: the token may have changed twice in between, so the pair was not sent. Type a fresh pair."),
        "{screen}"
    );
    assert!(bed.resync_requests().is_empty(), "{screen}");
    // The person walks away: the end of input, and still nothing sent.
    terminal.end_input();
    let (code, screen) = terminal.finish();
    assert_eq!(code, 2, "{screen}");
    assert!(
        screen.contains("standard input ended before the code was typed"),
        "{screen}"
    );
    assert!(bed.log().iter().all(|e| e.action != "ResyncMFADevice"));
}
