//! Churn: 50 insertions and removals at random points of the flow, in both readers at once, while
//! one station serves them. A removal comes at a random command before code 1 (the first one of
//! identification, the device-information read, SELECT, LIST, CALCULATE ALL or code 1's
//! CALCULATE: the card leaves mid-command and never answers it), between the codes (the key is
//! pulled during the wait), during code 2's CALCULATE, or after the submission. The station must
//! not crash or hang, must end every cycle with exactly one result, and iam-local must never have
//! been sent a pair twice or a pair that is not consecutive.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use testbed::iam_local::{State, random_seed_base32};
use testbed::virtual_yubikey::CardConfig;

use super::harness::{Plug, StationRun, key, pair_counters};
use super::{A_WINDOW, with_device_at};
use crate::util::{Bed, readers};

const CYCLES: usize = 50;

/// Where a cycle's removal comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    /// The card leaves at its `n`th command (0: the first of identification).
    BeforeCode1(u64),
    /// Pulled during the wait, once code 1 is read.
    BetweenTheCodes,
    /// The card leaves at code 2's CALCULATE.
    DuringCode2,
    /// Pulled once the result is out.
    AfterSubmit,
}

/// xorshift64*: reproducible from the seed the test prints.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A user's key: its card, and the seed iam-local holds for the user's device.
struct Identity {
    serial: u32,
    name: String,
    seed: String,
}

impl Identity {
    fn card(&self, remove_after: Option<u64>) -> CardConfig {
        let mut config = key(
            self.serial,
            &[(
                &format!("Amazon Web Services:{}@123456789012", self.name),
                &self.seed,
            )],
        );
        config.remove_after_apdus = remove_after;
        config
    }
}

/// One reader's cycles: a key at a time, rotating through `identities`.
fn cycles(
    station: &StationRun,
    plug: &Plug,
    identities: &[Identity],
    points: &[Point],
    commands_to_code2: u64,
) -> Vec<(Point, String)> {
    // A cycle that must wait for a window boundary goes in a few seconds before one; the quick
    // ones fill the time until then. Each kind takes the identities in turn, so that a device is
    // not asked to resync twice in a row (it would wait a window more).
    let reader = plug.reader;
    let (mut quick, mut waiting): (Vec<Point>, Vec<Point>) = points
        .iter()
        .partition(|p| matches!(p, Point::BeforeCode1(_) | Point::BetweenTheCodes));
    quick.reverse();
    waiting.reverse();
    let (mut quick_turn, mut waiting_turn) = (0, 0);
    let mut seen = Vec::new();
    for i in 0..points.len() {
        let to_boundary = 30.0 - crate::util::unix_now().as_secs_f64() % 30.0;
        let soon = (3.0..8.0).contains(&to_boundary);
        let point = match (waiting.is_empty(), quick.is_empty()) {
            (false, true) | (false, false) if soon || quick.is_empty() => {
                if !soon {
                    let wait = (to_boundary - 6.0).rem_euclid(30.0);
                    std::thread::sleep(Duration::from_secs_f64(wait));
                }
                waiting_turn += 1;
                waiting.pop()
            }
            _ => {
                quick_turn += 1;
                quick.pop()
            }
        }
        .expect("a point left");
        let point = &point;
        let turn = if matches!(point, Point::BeforeCode1(_) | Point::BetweenTheCodes) {
            quick_turn
        } else {
            waiting_turn
        };
        let results = count(station, "Result", reader);
        let removals = count(station, "KeyRemoved", reader);
        let who = &identities[turn % identities.len()];
        let remove_after = match point {
            Point::BeforeCode1(n) => Some(*n),
            Point::DuringCode2 => Some(commands_to_code2),
            _ => None,
        };
        plug.swap(who.card(remove_after));
        let code1_before = count(station, "Code1Read", reader);
        // Not waiting for pcscd: a card that leaves at a command may be gone before the wait ends.
        plug.push_in();
        match point {
            Point::BeforeCode1(_) | Point::DuringCode2 => {
                assert!(
                    plug.wait_out(A_WINDOW + A_WINDOW),
                    "cycle {i} ({point:?}): the key never left {reader}: {:?}\n--- stdout\n{}\n--- stderr\n{}",
                    plug.link_events(),
                    station.stdout(),
                    station.stderr()
                );
            }
            Point::BetweenTheCodes => {
                wait_count(station, "Code1Read", reader, code1_before + 1);
                plug.remove();
            }
            Point::AfterSubmit => {
                wait_count(station, "Result", reader, results + 1);
                plug.remove();
            }
        }
        let result = wait_count(station, "Result", reader, results + 1);
        seen.push((*point, result));
        // Out and seen out by the station before the next key goes in.
        wait_count(station, "KeyRemoved", reader, removals + 1);
    }
    seen
}

fn count(station: &StationRun, event: &str, reader: &str) -> usize {
    station
        .named(event)
        .iter()
        .filter(|e| e["Reader"] == reader)
        .count()
}

/// Waits for the `n`th `event` of `reader`; returns its result, when it is a result.
fn wait_count(station: &StationRun, event: &str, reader: &str, n: usize) -> String {
    let deadline = Instant::now() + A_WINDOW + A_WINDOW;
    loop {
        let found: Vec<_> = station
            .named(event)
            .into_iter()
            .filter(|e| e["Reader"] == reader)
            .collect();
        if let Some(e) = found.get(n - 1) {
            return e["Result"].as_str().unwrap_or_default().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the station hung: {} of {n} {event} events in {reader}\n--- stderr\n{}",
            found.len(),
            station.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn fifty_insertions_and_removals_at_random_points_never_crash_hang_or_resend_a_pair() {
    let _readers = readers();
    // Four users per reader: a device resynced once waits for a later window to be served
    // again, so the keys take turns.
    let identities: Vec<Identity> = [
        (51000001, "alice"),
        (51000002, "bob"),
        (51000003, "carol"),
        (51000004, "dave"),
        (52000001, "erin"),
        (52000002, "frank"),
        (52000003, "grace"),
        (52000004, "heidi"),
    ]
    .into_iter()
    .map(|(serial, name)| Identity {
        serial,
        name: name.into(),
        seed: random_seed_base32(),
    })
    .collect();
    let devices: Vec<(String, String)> = identities
        .iter()
        .map(|i| (i.name.clone(), i.seed.clone()))
        .collect();
    let bed = Bed::with(move |config| {
        let mut state = std::mem::replace(&mut config.state, State::demo(""));
        // alice's demo device gets her key's seed.
        state.devices.clear();
        for (name, seed) in &devices {
            if name != "alice" {
                state = state.with_user(name);
            }
            state = with_device_at(state, name, "/", name, seed);
        }
        config.state = state;
    });
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("churn seed {seed}");
    let mut rng = Rng(seed);
    let station = StationRun::start(&bed, &["-vv"]);

    // One full cycle per reader first: it tells how many commands a key answers before code 2.
    let plugs = [
        Plug::new(identities[0].card(None), 0),
        Plug::new(identities[4].card(None), 1),
    ];
    let mut commands_to_code2 = Vec::new();
    for plug in &plugs {
        plug.insert();
        wait_count(&station, "Result", plug.reader, 1);
        commands_to_code2.push(plug.apdus() - 1);
        plug.remove();
        wait_count(&station, "KeyRemoved", plug.reader, 1);
    }
    assert_eq!(commands_to_code2[0], commands_to_code2[1]);
    let to_code2 = commands_to_code2[0];

    let mut points: [Vec<Point>; 2] = [Vec::new(), Vec::new()];
    for i in 0..CYCLES - 2 {
        let point = match rng.below(20) {
            0..=9 => Point::BeforeCode1(rng.below(to_code2)),
            10..=13 => Point::BetweenTheCodes,
            14..=15 => Point::DuringCode2,
            _ => Point::AfterSubmit,
        };
        points[i % 2].push(point);
    }
    // Every point at least once in each reader.
    for reader in &mut points {
        for (i, point) in [
            Point::BeforeCode1(0),
            Point::BetweenTheCodes,
            Point::DuringCode2,
            Point::AfterSubmit,
        ]
        .into_iter()
        .enumerate()
        {
            reader[i * 3] = point;
        }
    }
    let (first, second) = identities.split_at(4);
    let seen = std::thread::scope(|scope| {
        let a = scope.spawn(|| cycles(&station, &plugs[0], first, &points[0], to_code2));
        let b = scope.spawn(|| cycles(&station, &plugs[1], second, &points[1], to_code2));
        [a.join().expect("reader 0"), b.join().expect("reader 1")]
    });

    // Still alive, and it ends cleanly.
    let results = station.named("Result");
    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130);
    assert_eq!(
        results.len(),
        CYCLES,
        "one result per cycle: {:#?}\n--- stdout\n{}",
        seen,
        out.stdout
    );
    for (plug, cycles) in plugs.iter().zip(&seen) {
        let here = results
            .iter()
            .filter(|r| r["Reader"] == plug.reader)
            .count();
        assert_eq!(here, cycles.len() + 1, "{}", plug.reader);
        for (point, result) in cycles {
            match point {
                Point::AfterSubmit => assert_eq!(result, "resynced", "{point:?}"),
                Point::BeforeCode1(_) | Point::BetweenTheCodes | Point::DuringCode2 => {
                    assert_eq!(result, "failed", "{point:?}")
                }
            }
        }
    }

    // What iam-local was sent: each pair consecutive, none twice, each accepted.
    let sent = bed.resync_requests();
    let resynced = results.iter().filter(|r| r["Result"] == "resynced").count();
    assert_eq!(sent.len(), resynced, "a request per resynced result");
    let mut pairs = HashSet::new();
    for entry in &sent {
        let user = entry.params.get("UserName").expect("a user");
        let who = identities
            .iter()
            .find(|i| &i.name == user)
            .expect("one of ours");
        let first = pair_counters(entry, &who.seed)
            .unwrap_or_else(|| panic!("a pair that is not consecutive: {entry:?}"));
        assert!(
            pairs.insert((user.clone(), first)),
            "{user}'s pair at {first} sent twice"
        );
        assert_eq!(entry.status, 200, "{entry:?}");
    }
    eprintln!(
        "churn: {} cycles, {} resynced, {} pairs sent",
        results.len(),
        resynced,
        sent.len()
    );
}
