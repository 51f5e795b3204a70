//! The control socket of `virtual-yubikey --control PATH`: a Unix stream socket that takes one
//! command per line and answers one line per command, so a test (or `socat`) can plug the card
//! in and out of its reader while pcscd runs, and know when pcscd has seen it.
//!
//! | command | does | answer |
//! | --- | --- | --- |
//! | `remove` | takes the card out; waits until pcscd has seen it go | `ok removed` |
//! | `insert` | puts it back; waits until pcscd has powered it up | `ok inserted` |
//! | `remove-after N` | the card answers N more commands, then leaves mid-command | `ok` |
//! | `status` | — | `in` / `out` / `changing`, then `insertions=I removals=R` |
//!
//! A wait that runs out answers `timeout …`; anything else answers `error …`. Owns the line
//! protocol only: presence is [`Presence`]'s, the card's removal counter the card's.

use std::io::{self, BufRead as _, BufReader, Write as _};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::card::VirtualCard;
use super::presence::Presence;

/// How long `remove` and `insert` wait for pcscd (a presence poll is ~400 ms, a power-up ~200 ms
/// more).
pub const CONTROL_WAIT: Duration = Duration::from_secs(10);

/// Longest command line accepted.
const MAX_LINE: usize = 256;

/// Answers one command line (without its newline).
pub fn handle_line(line: &str, presence: &Presence, card: &Mutex<VirtualCard>) -> String {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("remove"), None, _) => {
            presence.remove();
            if presence.wait_removed(CONTROL_WAIT) {
                "ok removed".to_owned()
            } else {
                "timeout: pcscd has not seen the card leave".to_owned()
            }
        }
        (Some("insert"), None, _) => {
            presence.insert();
            if presence.wait_inserted(CONTROL_WAIT) {
                "ok inserted".to_owned()
            } else {
                "timeout: pcscd has not seen the card (is pcscd running?)".to_owned()
            }
        }
        (Some("remove-after"), Some(n), None) => match n.parse::<u64>() {
            Ok(n) => {
                card.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove_after(Some(n));
                "ok".to_owned()
            }
            Err(_) => format!("error: remove-after takes a number of commands, not {n:?}"),
        },
        (Some("status"), None, _) => {
            let state = if presence.is_inserted() {
                "in"
            } else if presence.is_removed() {
                "out"
            } else {
                "changing"
            };
            let (insertions, removals) = presence.counts();
            format!("{state} insertions={insertions} removals={removals}")
        }
        _ => format!(
            "error: unknown command {:?} (remove, insert, remove-after N, status)",
            line.chars().take(40).collect::<String>()
        ),
    }
}

/// Serves the control socket until `stop` is set: each connection in its own thread, commands
/// answered in order.
pub fn serve(
    listener: UnixListener,
    presence: Presence,
    card: Arc<Mutex<VirtualCard>>,
    stop: Arc<AtomicBool>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (presence, card) = (presence.clone(), Arc::clone(&card));
                std::thread::spawn(move || {
                    // A client that goes away mid-answer is no concern of the card.
                    let _ = converse(stream, &presence, &card);
                });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn converse(stream: UnixStream, presence: &Presence, card: &Mutex<VirtualCard>) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        let read = std::io::Read::take(&mut reader, MAX_LINE as u64).read_line(&mut line)?;
        if read == 0 {
            return Ok(());
        }
        if read == MAX_LINE && !line.ends_with('\n') {
            writeln!(writer, "error: line too long")?;
            return Ok(());
        }
        writeln!(writer, "{}", handle_line(line.trim(), presence, card))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtual_yubikey::CardConfig;

    #[test]
    fn lines_drive_the_presence_and_the_card() {
        let presence = Presence::out();
        let card = Mutex::new(VirtualCard::new(CardConfig::new(1)).unwrap());
        assert_eq!(
            handle_line("status", &presence, &card),
            "out insertions=0 removals=0"
        );
        assert_eq!(handle_line("remove", &presence, &card), "ok removed");
        assert_eq!(handle_line("remove-after 3", &presence, &card), "ok");
        assert!(handle_line("remove-after x", &presence, &card).starts_with("error"));
        assert!(handle_line("dance", &presence, &card).starts_with("error: unknown"));
        assert!(handle_line("insert now", &presence, &card).starts_with("error"));
        // No server acts on the presence here, so the insertion is never seen.
        presence.insert();
        assert_eq!(
            handle_line("status", &presence, &card),
            "changing insertions=0 removals=0"
        );
        presence.seen_in(presence.generation());
        assert_eq!(
            handle_line("status", &presence, &card),
            "in insertions=1 removals=0"
        );
        assert_eq!(handle_line("insert", &presence, &card), "ok inserted");
    }

    #[test]
    fn the_socket_answers_line_by_line() {
        use std::io::Read as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("control");
        let listener = UnixListener::bind(&path).unwrap();
        let presence = Presence::out();
        let card = Arc::new(Mutex::new(VirtualCard::new(CardConfig::new(1)).unwrap()));
        let stop = Arc::new(AtomicBool::new(false));
        let server = {
            let (p, c, s) = (presence.clone(), Arc::clone(&card), Arc::clone(&stop));
            std::thread::spawn(move || serve(listener, p, c, s))
        };
        let mut client = UnixStream::connect(&path).unwrap();
        client
            .write_all(b"status\nremove-after 2\nbogus\n")
            .unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answers = String::new();
        client.read_to_string(&mut answers).unwrap();
        assert_eq!(
            answers,
            "out insertions=0 removals=0\nok\nerror: unknown command \"bogus\" (remove, insert, remove-after N, status)\n"
        );
        stop.store(true, Ordering::Relaxed);
        server.join().unwrap().unwrap();
    }
}
