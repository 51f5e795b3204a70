//! The vpcd link against stand-ins for vpcd: a raw socket for the byte protocol, and
//! [`FakeReader`], which polls for presence the way vpcd's driver does under pcscd, so that
//! insertion and removal are checked without a real pcscd.

use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;

use super::*;
use crate::virtual_yubikey::{CardConfig, VirtualCard};

fn send_frame(stream: &mut TcpStream, payload: &[u8]) {
    let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    stream.write_all(&frame).unwrap();
}

/// The next frame, or `None` at end of file.
fn recv_frame(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut body).ok()?;
    Some(body)
}

fn options_for(listener: &TcpListener) -> VpcdOptions {
    VpcdOptions {
        port: listener.local_addr().unwrap().port(),
        ..VpcdOptions::default()
    }
}

const SELECT_OATH: &[u8] = &[0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1];

/// A stand-in for vpcd: accept the card, run the protocol, check the answers.
#[test]
fn speaks_the_vpcd_protocol_to_a_fake_reader() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let card = Arc::new(Mutex::new(
        VirtualCard::new(CardConfig::new(1234).with_password("pw")).unwrap(),
    ));
    let options = options_for(&listener);
    let stop = Arc::clone(&options.stop);
    let server_card = Arc::clone(&card);
    let server = std::thread::spawn(move || {
        let mut events = Vec::new();
        let ended = serve(&server_card, &options, &mut |e| {
            events.push(format!("{e:?}"))
        });
        (ended.unwrap(), events)
    });

    let (mut reader, _) = listener.accept().unwrap();
    send_frame(&mut reader, &[CTRL_ON]);
    send_frame(&mut reader, &[CTRL_ATR]);
    assert_eq!(
        recv_frame(&mut reader).unwrap(),
        crate::virtual_yubikey::ATR_YUBIKEY_5_NFC
    );
    let mut exchange = |apdu: &[u8]| {
        send_frame(&mut reader, apdu);
        recv_frame(&mut reader).unwrap()
    };
    let select = exchange(SELECT_OATH);
    assert_eq!(&select[select.len() - 2..], &[0x90, 0x00]);
    // Locked: a password is set and nothing was validated.
    assert_eq!(exchange(&[0, 0xA1, 0, 0]), vec![0x69, 0x82]);
    assert_eq!(exchange(&[0, 0xA4, 4, 0, 2, 1, 2]), vec![0x6A, 0x82]);

    // Stopped, the card leaves at once: the link ends without another answer.
    stop.store(true, Ordering::Relaxed);
    assert_eq!(recv_frame(&mut reader), None);
    let (ended, events) = server.join().unwrap();
    assert_eq!(ended, Ended::Stopped);
    assert!(events.iter().any(|e| e == "Inserted"), "{events:?}");
    assert_eq!(events.last().map(String::as_str), Some("Removed"));
    assert_eq!(card.lock().unwrap().apdu_count(), 3);
}

#[test]
fn a_card_removed_mid_command_stays_out_long_enough_for_the_reader_to_see_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = CardConfig::new(1);
    config.remove_after_apdus = Some(1);
    config.reinsert_after_ms = Some(50);
    let card = Arc::new(Mutex::new(VirtualCard::new(config).unwrap()));
    let mut options = options_for(&listener);
    options.min_time_out = Duration::from_millis(300);
    let stop = Arc::clone(&options.stop);
    let server = std::thread::spawn(move || serve(&card, &options, &mut |_| {}));

    let (mut first, _) = listener.accept().unwrap();
    send_frame(&mut first, SELECT_OATH);
    assert!(recv_frame(&mut first).is_some());
    // The card leaves: end of file instead of an answer. Its time out starts once the command is
    // in, which is after `asked` (the moment the test sees the end of file is later, by however
    // long the machine took to show it).
    let asked = Instant::now();
    send_frame(&mut first, SELECT_OATH);
    assert_eq!(recv_frame(&mut first), None);
    // ... and comes back on a fresh connection, not before its time out, and working.
    let (mut second, _) = listener.accept().unwrap();
    assert!(
        asked.elapsed() >= Duration::from_millis(300),
        "{:?}",
        asked.elapsed()
    );
    send_frame(&mut second, SELECT_OATH);
    assert!(recv_frame(&mut second).is_some());
    stop.store(true, Ordering::Relaxed);
    assert_eq!(recv_frame(&mut second), None);
    assert_eq!(server.join().unwrap().unwrap(), Ended::Stopped);
}

/// What the fake reader saw, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    In,
    Out,
}

type Transmit = (Vec<u8>, mpsc::Sender<Option<Vec<u8>>>);

/// vpcd's driver under pcscd, reduced to what a card can observe: every `period` a presence
/// poll (accept a pending connection if none is held, ask it for the ATR: present if one comes
/// back), a power-on and ATR request when a card appears, and transmits that drop the connection
/// when the card does not answer (vsmartcard `vpcd.c` `vicc_present`, `vicc_transmit`).
struct FakeReader {
    port: u16,
    period: Duration,
    seen: Arc<Mutex<Vec<Seen>>>,
    transmits: mpsc::Sender<Transmit>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeReader {
    fn start(period: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (transmits, queue) = mpsc::channel::<Transmit>();
        let (log, halt) = (Arc::clone(&seen), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut client: Option<TcpStream> = None;
            let mut present = false;
            let mut pending: VecDeque<Transmit> = VecDeque::new();
            // One request and its answer; a failure drops the connection, as vpcd ejects.
            let ask = |client: &mut Option<TcpStream>, payload: &[u8], answer: bool| {
                let stream = client.as_mut()?;
                send_frame(stream, payload);
                if !answer {
                    return Some(Vec::new());
                }
                let got = recv_frame(stream);
                if got.is_none() {
                    *client = None;
                }
                got
            };
            while !halt.load(Ordering::Relaxed) {
                pending.extend(queue.try_iter());
                while let Some((apdu, reply)) = pending.pop_front() {
                    let _ = reply.send(if present {
                        ask(&mut client, &apdu, true)
                    } else {
                        None
                    });
                }
                if client.is_none()
                    && let Ok((stream, _)) = listener.accept()
                {
                    stream.set_nonblocking(false).unwrap();
                    stream
                        .set_read_timeout(Some(Duration::from_secs(5)))
                        .unwrap();
                    client = Some(stream);
                }
                let now_present = ask(&mut client, &[CTRL_ATR], true).is_some();
                if now_present && !present {
                    // pcscd powers a new card up and reads its ATR before publishing it.
                    ask(&mut client, &[CTRL_ON], false);
                    let powered = ask(&mut client, &[CTRL_ATR], true).is_some();
                    present = powered;
                    if powered {
                        log.lock().unwrap().push(Seen::In);
                    }
                } else if !now_present && present {
                    present = false;
                    log.lock().unwrap().push(Seen::Out);
                }
                std::thread::sleep(period);
            }
        });
        Self {
            port,
            period,
            seen,
            transmits,
            stop,
            thread: Some(thread),
        }
    }

    /// Options for a card in this reader: out for three of its polls at least, as the real
    /// card is for pcscd's.
    fn options(&self, presence: Presence) -> VpcdOptions {
        VpcdOptions {
            port: self.port,
            presence,
            retry_interval: Duration::from_millis(10),
            min_time_out: self.period * 3,
            ..VpcdOptions::default()
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// What the reader saw once it has seen `n` changes: the card learns the reader's verdict a
    /// moment before the reader writes it down, as with pcscd publishing a poll's result.
    fn seen_after(&self, n: usize) -> Vec<Seen> {
        let deadline = Instant::now() + WAIT;
        while self.seen().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.seen()
    }

    /// Sends one APDU at the next poll; `None` when the card did not answer.
    fn transmit(&self, apdu: &[u8]) -> Option<Vec<u8>> {
        let (tx, rx) = mpsc::channel();
        self.transmits.send((apdu.to_vec(), tx)).unwrap();
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    }
}

impl Drop for FakeReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn served(reader: &FakeReader, config: CardConfig, presence: Presence) -> ServedCard {
    let card = Arc::new(Mutex::new(VirtualCard::new(config).unwrap()));
    spawn(card, reader.options(presence))
}

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn every_removal_and_insertion_is_seen_by_the_reader_even_straight_back_in() {
    let reader = FakeReader::start(Duration::from_millis(20));
    let card = served(&reader, CardConfig::new(7), Presence::new());
    assert!(card.wait_inserted(WAIT), "{:?}", card.events());
    for _ in 0..10 {
        card.remove();
        assert!(card.wait_removed(WAIT), "{:?}", card.events());
        assert_eq!(
            reader.transmit(SELECT_OATH),
            None,
            "a removed card answers nothing"
        );
        card.insert();
        assert!(card.wait_inserted(WAIT), "{:?}", card.events());
        assert!(reader.transmit(SELECT_OATH).is_some());
    }
    // Out and straight back in, faster than the reader polls: still a removal for the reader.
    for _ in 0..5 {
        card.remove();
        card.insert();
        assert!(card.wait_inserted(WAIT), "{:?}", card.events());
    }
    assert_eq!(card.presence().counts(), (16, 15));
    assert_eq!(card.stop().unwrap(), Ended::Stopped);
    let seen = reader.seen_after(32);
    let expected: Vec<Seen> = std::iter::once(Seen::In)
        .chain((0..15).flat_map(|_| [Seen::Out, Seen::In]))
        .chain(std::iter::once(Seen::Out))
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn a_removal_between_two_commands_leaves_the_second_unanswered_and_the_reader_empty() {
    let reader = FakeReader::start(Duration::from_millis(20));
    let card = Arc::new(Mutex::new(VirtualCard::new(CardConfig::new(8)).unwrap()));
    let mut options = reader.options(Presence::new());
    options.keep_serving_when_removed = true;
    let served = spawn(Arc::clone(&card), options);
    assert!(served.wait_inserted(WAIT));
    // Answer the next command (a PUT, say), then be pulled before the one after.
    card.lock().unwrap().remove_after(Some(1));
    assert!(reader.transmit(SELECT_OATH).is_some());
    assert_eq!(reader.transmit(SELECT_OATH), None);
    assert!(served.wait_removed(WAIT), "{:?}", served.events());
    assert!(card.lock().unwrap().is_removed());
    assert_eq!(reader.seen_after(2), [Seen::In, Seen::Out]);
    // It waits out of the reader until put back.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(reader.seen().len(), 2);
    served.insert();
    assert!(served.wait_inserted(WAIT), "{:?}", served.events());
    assert!(reader.transmit(SELECT_OATH).is_some());
    drop(served);
    assert_eq!(
        reader.seen_after(4),
        [Seen::In, Seen::Out, Seen::In, Seen::Out]
    );
}

#[test]
fn a_card_gone_for_good_ends_serving_and_one_served_out_waits_for_insertion() {
    let reader = FakeReader::start(Duration::from_millis(20));
    let mut config = CardConfig::new(9);
    config.remove_after_apdus = Some(0);
    let gone = served(&reader, config, Presence::new());
    assert!(gone.wait_inserted(WAIT));
    assert_eq!(reader.transmit(SELECT_OATH), None);
    let deadline = Instant::now() + WAIT;
    while gone.is_serving() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!gone.is_serving(), "{:?}", gone.events());
    assert_eq!(gone.stop().unwrap(), Ended::Removed);

    let reader = FakeReader::start(Duration::from_millis(20));
    let later = served(&reader, CardConfig::new(10), Presence::out());
    std::thread::sleep(Duration::from_millis(150));
    assert!(reader.seen().is_empty(), "a card served out stays out");
    later.insert();
    assert!(later.wait_inserted(WAIT));
    assert_eq!(reader.seen_after(1), [Seen::In]);
}

#[test]
fn without_a_reader_a_removal_needs_nobody_to_see_it() {
    // A port nothing listens on: the card waits for vpcd, and a removal is settled at once.
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let options = options_for(&free);
    drop(free);
    let card = Arc::new(Mutex::new(VirtualCard::new(CardConfig::new(11)).unwrap()));
    let served = spawn(card, options);
    std::thread::sleep(Duration::from_millis(50));
    assert!(served.events().iter().any(|e| e.starts_with("Waiting")));
    served.remove();
    assert!(served.wait_removed(Duration::from_secs(5)));
    assert_eq!(served.presence().counts(), (0, 0));
    assert_eq!(served.stop().unwrap(), Ended::Stopped);
}
