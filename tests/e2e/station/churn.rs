//! Churn: 50 insertions and removals at random points of the flow, in both readers at once, while
//! one station serves them. A removal comes at a random command before code 1 (the first one of
//! identification, the device-information read, SELECT, LIST, CALCULATE ALL or code 1's
//! CALCULATE: the card leaves mid-command and never answers it), between the codes (the key is
//! pulled during the wait), during code 2's CALCULATE, or after the submission. The station must
//! not crash or hang, must end every cycle with exactly one result, and iam-local must never have
//! been sent a pair twice or a pair that is not consecutive.

use std::collections::HashSet;
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use testbed::iam_local::{State, random_seed_base32};
use testbed::virtual_yubikey::CardConfig;

use super::harness::{Plug, StationRun, key, pair_counters};
use super::{A_WINDOW, with_device_at};
use crate::util::{Bed, readers};

const CYCLES: usize = 50;

/// vpcd's two readers.
const READERS: u16 = 2;

/// Users whose keys take turns in each reader: a device resynced once is served again only in a
/// later window, so a reader's keys rotate.
const USERS_PER_READER: usize = 4;

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

/// What the readers' threads share: the station, and the rounds in which their waiting cycles go
/// in together, AWS's clock steered a few seconds before a boundary at the start of each.
struct Churn<'a> {
    bed: &'a Bed,
    station: &'a StationRun,
    rounds: usize,
    barrier: Barrier,
}

impl Churn<'_> {
    /// The start of a round: both readers are between cycles, and one of them moves AWS's clock
    /// to a few seconds before its next boundary (the station measures it again from each key's
    /// listing), so that the round's keys wait seconds, not a window.
    fn round(&self) {
        if self.barrier.wait().is_leader() {
            self.bed.steer();
        }
        self.barrier.wait();
    }
}

/// One reader's cycles: a key at a time, rotating through `identities`. The quick ones (the key
/// pulled before code 2) fill the time between the rounds of the waiting ones.
fn cycles(
    churn: &Churn<'_>,
    plug: &Plug,
    identities: &[Identity],
    points: &[Point],
    commands_to_code2: u64,
) -> Vec<(Point, String)> {
    let (quick, waiting): (Vec<Point>, Vec<Point>) = points
        .iter()
        .partition(|p| matches!(p, Point::BeforeCode1(_) | Point::BetweenTheCodes));
    let per_round = quick.len().div_ceil(churn.rounds + 1);
    let mut quick = quick.chunks(per_round.max(1));
    let mut seen = Vec::new();
    for round in 0..churn.rounds {
        for (turn, point) in quick.next().unwrap_or_default().iter().enumerate() {
            let who = &identities[(seen.len() + turn) % identities.len()];
            seen.push(cycle(churn.station, plug, who, *point, commands_to_code2));
        }
        churn.round();
        if let Some(point) = waiting.get(round) {
            // Each kind takes the identities in turn, so that a device is not asked to resync in
            // two rounds running.
            let who = &identities[round % identities.len()];
            seen.push(cycle(churn.station, plug, who, *point, commands_to_code2));
        }
    }
    for rest in quick {
        for point in rest {
            let who = &identities[seen.len() % identities.len()];
            seen.push(cycle(churn.station, plug, who, *point, commands_to_code2));
        }
    }
    seen
}

/// One insertion of `who`'s key and its removal at `point`; the key's result.
fn cycle(
    station: &StationRun,
    plug: &Plug,
    who: &Identity,
    point: Point,
    commands_to_code2: u64,
) -> (Point, String) {
    let reader = plug.reader;
    let results = count(station, "Result", reader);
    let removals = count(station, "KeyRemoved", reader);
    let remove_after = match point {
        Point::BeforeCode1(n) => Some(n),
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
                "{point:?}: the key never left {reader}: {:?}\n--- stdout\n{}\n--- stderr\n{}",
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
    // Out and seen out by the station before the next key goes in.
    wait_count(station, "KeyRemoved", reader, removals + 1);
    (point, result)
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
    let identities: Vec<Identity> = (0..usize::from(READERS) * USERS_PER_READER)
        .map(|i| Identity {
            serial: 51_000_001 + u32::try_from(i).expect("a few"),
            name: if i == 0 {
                "alice".to_string()
            } else {
                format!("user{i}")
            },
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
    let plugs: Vec<Plug> = (0..READERS)
        .map(|slot| {
            let who = &identities[usize::from(slot) * USERS_PER_READER];
            Plug::new(who.card(None), slot)
        })
        .collect();
    let mut commands_to_code2 = Vec::new();
    bed.steer();
    for plug in &plugs {
        plug.insert();
    }
    for plug in &plugs {
        wait_count(&station, "Result", plug.reader, 1);
        commands_to_code2.push(plug.apdus() - 1);
        plug.remove();
        wait_count(&station, "KeyRemoved", plug.reader, 1);
    }
    assert!(
        commands_to_code2.windows(2).all(|w| w[0] == w[1]),
        "{commands_to_code2:?}"
    );
    let to_code2 = commands_to_code2[0];

    let first_cycles = plugs.len();
    let mut points: Vec<Vec<Point>> = vec![Vec::new(); plugs.len()];
    for i in 0..CYCLES - first_cycles {
        let point = match rng.below(20) {
            0..=9 => Point::BeforeCode1(rng.below(to_code2)),
            10..=13 => Point::BetweenTheCodes,
            14..=15 => Point::DuringCode2,
            _ => Point::AfterSubmit,
        };
        points[i % plugs.len()].push(point);
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
    let waiting = |points: &Vec<Point>| {
        points
            .iter()
            .filter(|p| matches!(p, Point::DuringCode2 | Point::AfterSubmit))
            .count()
    };
    let churn = Churn {
        bed: &bed,
        station: &station,
        rounds: points.iter().map(waiting).max().unwrap_or(0),
        barrier: Barrier::new(plugs.len()),
    };
    let seen: Vec<Vec<(Point, String)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = plugs
            .iter()
            .zip(&points)
            .zip(identities.chunks(USERS_PER_READER))
            .map(|((plug, points), who)| {
                let churn = &churn;
                scope.spawn(move || cycles(churn, plug, who, points, to_code2))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a reader's cycles"))
            .collect()
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
