//! Plugging virtual keys in and out while the real pcscd runs, as a help-desk station sees it:
//! the card process's signals and control socket, the in-process `vpcd::spawn` handle, both of
//! vpcd's readers at once, and a churn of 50 insertions and removals, each one reported by pcscd
//! through `SCardGetStatusChange`. Runs only with `MFA_RESYNC_TESTBED_PCSC=1`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use testbed::virtual_yubikey::vpcd::{self, Ended, VpcdOptions};
use testbed::virtual_yubikey::{CardConfig, CredentialConfig, Presence, VirtualCard};
use yubikit::oath::OathSession;
use yubikit::platform::pcsc::PcscSmartCardConnection;

use crate::harness::{
    CardProcess, Pcscd, READER, READER_1, ReaderWatch, SEED, Scratch, median_max, present_in,
    reader_turn, wait_for,
};
use crate::pcsc::enabled;

const WAIT: Duration = Duration::from_secs(10);
/// How long pcscd may take to publish what its poll found, after the card learnt it: far less
/// than a poll interval (400 ms).
const SOON: Duration = Duration::from_millis(200);

fn key(serial: u32, account: &str) -> CardConfig {
    CardConfig::new(serial).with_credential(CredentialConfig::totp(
        Some("Amazon Web Services"),
        account,
        SEED,
    ))
}

/// Connects through pcscd and lists the card's accounts: the card is really usable.
fn accounts_in(reader: &str) -> Vec<String> {
    let conn = PcscSmartCardConnection::new(reader, false).expect("connect to the reader");
    let mut session = OathSession::new(conn)
        .map_err(|(e, _)| e)
        .expect("select OATH");
    session
        .list_credentials()
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[test]
fn signals_and_the_control_socket_plug_the_card_in_and_out() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let _pcscd = Pcscd::ensure();
    let state = scratch.path("state.json");
    key(89012345, "alice@123456789012").save(&state).unwrap();
    let card = CardProcess::start(&scratch, &state, "a", 35963, true, &["--start-removed"]);

    // Served but out: nothing in the reader, no ready file, until it is put in.
    std::thread::sleep(Duration::from_millis(1000));
    assert!(!present_in(READER) && !card.ready.exists());
    assert_eq!(card.control("status"), "out insertions=0 removals=0");
    assert_eq!(card.control("insert"), "ok inserted");
    assert!(
        card.ready.exists(),
        "the ready file is written before the answer"
    );
    wait_for("pcscd to show the card", WAIT, || present_in(READER));
    assert_eq!(accounts_in(READER), ["alice@123456789012"]);

    // SIGUSR1 out, SIGUSR2 back in: the ready file follows what pcscd has seen.
    card.signal("USR1");
    wait_for("the ready file to go", WAIT, || !card.ready.exists());
    // pcscd publishes what its poll found a moment after the poll.
    wait_for("pcscd to show the reader empty", SOON, || {
        !present_in(READER)
    });
    card.signal("USR2");
    card.wait_inserted();
    assert_eq!(accounts_in(READER), ["alice@123456789012"]);
    assert_eq!(card.control("status"), "in insertions=2 removals=1");
    assert_eq!(card.control("remove"), "ok removed");
    assert!(!card.ready.exists());
    wait_for("pcscd to show the reader empty", WAIT, || {
        !present_in(READER)
    });

    let log = card.stop();
    assert_eq!(log.matches("event inserted").count(), 2, "{log}");
    assert_eq!(log.matches("event removed").count(), 2, "{log}");
    scratch.assert_no_pkill();
}

#[test]
fn fifty_insertions_and_removals_each_reported_by_pcscd() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let _pcscd = Pcscd::ensure();
    let state = scratch.path("state.json");
    key(90123456, "bob@123456789012").save(&state).unwrap();
    let watch = ReaderWatch::start(READER);
    let card = CardProcess::start(&scratch, &state, "churn", 35963, true, &[]);
    card.wait_inserted();
    let first = watch.wait_change(Instant::now() - WAIT, true, WAIT);

    let (mut outs, mut ins, mut answers) = (Vec::new(), Vec::new(), Vec::new());
    for cycle in 0..50 {
        let asked = Instant::now();
        assert_eq!(card.control("remove"), "ok removed", "cycle {cycle}");
        answers.push(asked.elapsed());
        outs.push(watch.wait_change(asked, false, WAIT).at - asked);
        let asked = Instant::now();
        assert_eq!(card.control("insert"), "ok inserted", "cycle {cycle}");
        answers.push(asked.elapsed());
        ins.push(watch.wait_change(asked, true, WAIT).at - asked);
        if cycle % 10 == 9 {
            assert_eq!(accounts_in(READER), ["bob@123456789012"], "cycle {cycle}");
        }
    }
    let stopping = Instant::now();
    let log = card.stop();
    watch.wait_change(stopping, false, WAIT);
    let events = watch.stop();
    // One reported change per insertion and removal, alternating, none lost or merged.
    let after: Vec<_> = events.iter().filter(|e| e.at >= first.at).collect();
    assert_eq!(after.len(), 1 + 100 + 1, "{events:?}");
    for pair in after.windows(2) {
        assert_ne!(pair[0].present, pair[1].present, "{events:?}");
        assert_eq!(pair[1].count, pair[0].count + 1, "{events:?}");
    }
    assert_eq!(log.matches("event inserted").count(), 51);
    let ((out_median, out_max), (in_median, in_max)) = (median_max(outs), median_max(ins));
    let (answer_median, answer_max) = median_max(answers);
    eprintln!(
        "pcscd reported: removal median {out_median:?} max {out_max:?}; insertion median \
         {in_median:?} max {in_max:?}; control answers median {answer_median:?} max {answer_max:?}"
    );
    scratch.assert_no_pkill();
}

#[test]
fn two_keys_in_vpcds_two_readers_come_and_go_on_their_own() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let scratch = Scratch::new();
    let _pcscd = Pcscd::ensure();
    let (state_b, state_c) = (scratch.path("b.json"), scratch.path("c.json"));
    key(11111111, "bob@123456789012").save(&state_b).unwrap();
    key(22222222, "carol@123456789012").save(&state_c).unwrap();
    let b = CardProcess::start(&scratch, &state_b, "b", 35963, true, &["--start-removed"]);
    let c = CardProcess::start(&scratch, &state_c, "c", 35964, true, &["--start-removed"]);
    // Both in within one window, as a station's "keys B and C together".
    let (b_in, c_in) = std::thread::scope(|s| {
        let b_in = s.spawn(|| b.control("insert"));
        let c_in = s.spawn(|| c.control("insert"));
        (b_in.join().unwrap(), c_in.join().unwrap())
    });
    assert_eq!(
        (b_in.as_str(), c_in.as_str()),
        ("ok inserted", "ok inserted")
    );
    wait_for("both readers to show a card", WAIT, || {
        present_in(READER) && present_in(READER_1)
    });
    assert_eq!(accounts_in(READER), ["bob@123456789012"]);
    assert_eq!(accounts_in(READER_1), ["carol@123456789012"]);
    assert_eq!(b.control("remove"), "ok removed");
    wait_for("the first reader to empty", WAIT, || !present_in(READER));
    assert!(present_in(READER_1));
    assert_eq!(accounts_in(READER_1), ["carol@123456789012"]);
    c.stop();
    b.stop();
    wait_for("both readers empty", WAIT, || {
        !present_in(READER) && !present_in(READER_1)
    });
    scratch.assert_no_pkill();
}

#[test]
fn a_card_served_in_process_is_plugged_in_and_out_through_its_handle() {
    if !enabled() {
        return;
    }
    let _turn = reader_turn();
    let _pcscd = Pcscd::ensure();
    assert!(!present_in(READER), "{READER} already holds a card");
    let card = Arc::new(Mutex::new(
        VirtualCard::new(key(33333333, "dave@123456789012")).unwrap(),
    ));
    let options = VpcdOptions {
        presence: Presence::out(),
        keep_serving_when_removed: true,
        ..VpcdOptions::default()
    };
    let served = vpcd::spawn(Arc::clone(&card), options);
    std::thread::sleep(Duration::from_millis(800));
    assert!(!present_in(READER), "served out of the reader");
    for cycle in 0..5 {
        served.insert();
        assert!(
            served.wait_inserted(WAIT),
            "cycle {cycle}: {:?}",
            served.events()
        );
        wait_for("pcscd to show the card", WAIT, || present_in(READER));
        assert_eq!(accounts_in(READER), ["dave@123456789012"]);
        served.remove();
        assert!(
            served.wait_removed(WAIT),
            "cycle {cycle}: {:?}",
            served.events()
        );
        wait_for("pcscd to publish the removal", SOON, || !present_in(READER));
    }
    // Pulled between two commands: the first answered, the second not, the reader empty.
    served.insert();
    assert!(served.wait_inserted(WAIT));
    wait_for("pcscd to show the card", WAIT, || present_in(READER));
    let conn = PcscSmartCardConnection::new(READER, false).expect("connect");
    let mut session = OathSession::new(conn).map_err(|(e, _)| e).expect("select");
    card.lock().unwrap().remove_after(Some(1));
    session.list_credentials().unwrap();
    assert!(session.list_credentials().is_err());
    assert!(served.wait_removed(WAIT), "{:?}", served.events());
    wait_for("pcscd to publish the removal", SOON, || !present_in(READER));
    drop(session);
    assert_eq!(served.presence().counts(), (6, 6));
    assert_eq!(served.stop().unwrap(), Ended::Stopped);
}
