//! Churn: insertions and removals at random points of the flow, in both readers at once, while
//! one station serves them and its pcscd is restarted under it. A removal comes at a random
//! command before code 1 (the first one of identification, the device-information read, SELECT,
//! LIST, CALCULATE ALL or code 1's CALCULATE: the card leaves mid-command and never answers it),
//! between the codes (the key is pulled during the wait), during code 2's CALCULATE, or after the
//! submission. The station must not crash or hang, must end every cycle with exactly one result,
//! keep its memory and open files flat, account for every pair (its summary, the audit log and
//! iam-local agree), and iam-local must never have been sent a pair twice or a pair that is not
//! consecutive.
//!
//! The suite runs 50 cycles with one pcscd restart; the soak (`scripts/soak`, not in the suite)
//! runs 1,000 with a restart every 100, and writes its figures for BENCHMARKS.md.

mod rounds;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use testbed::iam_local::{State, random_seed_base32};

use super::harness::{Plug, StationRun, events_in, pair_counters};
use super::with_device_at;
use crate::util::{Bed, readers};
use rounds::{Churn, Identity, Plan, Point, Rng, cycles, wait_count};

/// vpcd's two readers.
const READERS: u16 = 2;

/// Users whose keys take turns in each reader: a device resynced once is served again only in a
/// later window, so a reader's keys rotate.
const USERS_PER_READER: usize = 4;

#[test]
fn fifty_insertions_and_removals_at_random_points_and_a_pcscd_restart_never_crash_hang_or_resend_a_pair()
 {
    churn(Plan {
        cycles: 50,
        restart_every: 25,
        waiting_in_20: 6,
    });
}

/// The soak: `scripts/soak` runs it (1,000 cycles, pcscd restarted every 100, a cycle in ten
/// reaching code 2; `MFA_RESYNC_SOAK_CYCLES` and `MFA_RESYNC_SOAK_RESTART_EVERY` change them) and
/// reads the figures it writes to `MFA_RESYNC_SOAK_REPORT`.
#[test]
#[ignore = "the soak: minutes long, run by scripts/soak"]
fn soak() {
    let number = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    churn(Plan {
        cycles: number("MFA_RESYNC_SOAK_CYCLES", 1000),
        restart_every: number("MFA_RESYNC_SOAK_RESTART_EVERY", 100),
        waiting_in_20: 2,
    });
}

fn churn(plan: Plan) {
    let started = Instant::now();
    let readers = Mutex::new(readers());
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
    let audit = bed.dir.path().join("desk.jsonl");
    let station = StationRun::start(&bed, &["-vv", "--audit-log", audit.to_str().unwrap()]);

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
    let quick = 20 - plan.waiting_in_20;
    for i in 0..plan.cycles - first_cycles {
        let draw = rng.below(20);
        let point = if draw < quick * 5 / 8 {
            Point::BeforeCode1(rng.below(to_code2))
        } else if draw < quick {
            Point::BetweenTheCodes
        } else if draw < quick + plan.waiting_in_20 / 3 {
            Point::DuringCode2
        } else {
            Point::AfterSubmit
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
        readers: &readers,
        plan,
        rounds: points.iter().map(waiting).max().unwrap_or(0),
        barrier: Barrier::new(plugs.len()),
        done: AtomicUsize::new(first_cycles),
        restarted_at: AtomicUsize::new(0),
        samples: Mutex::new(Vec::new()),
    };
    churn.sample(first_cycles);
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
    churn.sample(churn.done.load(Ordering::SeqCst));
    let samples = churn.samples.into_inner().unwrap();

    // Still alive, and it ends cleanly.
    let results = station.named("Result");
    let restarts = station.named("PcscdBack").len();
    let out = station.interrupt(Duration::from_secs(10));
    out.assert_exit(130);
    assert_eq!(
        results.len(),
        plan.cycles,
        "one result per cycle: {:#?}\n--- stdout\n{}",
        seen,
        out.stdout
    );
    assert!(restarts >= 1, "pcscd was restarted under the station");
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

    // What iam-local was sent: each pair consecutive, none twice, each accepted; and every one of
    // them in the station's summary and its audit log.
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
    let stopped = &events_in(&out.stdout, "Stopped")[0];
    assert_eq!(stopped["PairsSent"], sent.len(), "{stopped}");
    assert_eq!(stopped["Resynced"], resynced, "{stopped}");
    let audited = std::fs::read_to_string(&audit).unwrap_or_default();
    assert_eq!(
        audited.lines().count(),
        sent.len(),
        "an audit line per pair"
    );

    // Flat: the open files as at the start, the memory within a few MiB of it.
    let (first, last) = (samples[0], samples[samples.len() - 1]);
    let peak_rss = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let report = format!(
        "cycles\t{}\nresynced\t{resynced}\npairs sent\t{}\npcscd restarts\t{restarts}\nwall seconds\t{}\n{}",
        results.len(),
        sent.len(),
        started.elapsed().as_secs(),
        samples
            .iter()
            .map(|s| format!("sample\t{}\t{} KiB\t{} fds", s.cycles, s.rss_kib, s.fds))
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("churn:\n{report}");
    if let Ok(path) = std::env::var("MFA_RESYNC_SOAK_REPORT") {
        std::fs::write(path, format!("{report}\n")).expect("the soak's report");
    }
    assert!(
        last.fds <= first.fds + 2,
        "open files grew: {first:?} → {last:?}"
    );
    assert!(
        peak_rss <= first.rss_kib + 4096,
        "memory grew: {first:?} → peak {peak_rss} KiB"
    );
}
