//! The card side of vsmartcard's vpcd protocol: the vpcd driver inside pcscd listens on
//! 127.0.0.1:35963 (reader `Virtual PCD 00 00`) and 35964 (`… 00 01`); a card "inserts" itself
//! by connecting. Every frame is a 2-byte big-endian length and a payload. A 1-byte payload is a
//! control byte — `00` power off, `01` power on, `02` reset (no answer), `04` send the ATR —
//! anything longer is a command APDU, answered with one response frame.
//!
//! Latency: vpcd writes the length and the payload in two `send`s. Unless the card acknowledges
//! the first segment at once, Nagle on vpcd's side holds the second until the delayed ACK fires
//! (~40 ms per APDU). So the socket gets `TCP_NODELAY`, `TCP_QUICKACK` is re-armed before every
//! read (Linux clears it by itself), and each answer leaves in a single write.
//!
//! Removal closes the socket (pcscd sees the card leave); a card that comes back reconnects.
//! When pcscd restarts, the link drops and is re-established.

use std::io::{self, Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use socket2::SockRef;

use super::card::{Power, Reply, Responder};
use super::error::Error;

const CTRL_OFF: u8 = 0x00;
const CTRL_ON: u8 = 0x01;
const CTRL_RESET: u8 = 0x02;
const CTRL_ATR: u8 = 0x04;

/// How often a blocked read looks at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct VpcdOptions {
    /// vpcd's address; it only listens on loopback.
    pub host: IpAddr,
    /// vpcd's port: 35963 for `Virtual PCD 00 00`, 35964 for `Virtual PCD 00 01`.
    pub port: u16,
    /// Pause between connection attempts while vpcd (pcscd) is not there.
    pub retry_interval: Duration,
    /// Set to end [`serve`] at the next poll.
    pub stop: Arc<AtomicBool>,
}

impl Default for VpcdOptions {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: super::VPCD_DEFAULT_PORT,
            retry_interval: Duration::from_millis(200),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// What happened on the link, for logging and readiness. APDU bytes are lent so the caller can
/// log the INS and status word; they can hold codes and keys, so never log them whole.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// vpcd is not reachable yet; reported once per outage.
    Waiting(&'a io::Error),
    /// Connected to vpcd: the reader now has a card.
    Connected,
    /// A power event.
    Power(Power),
    /// The reader asked for the ATR (pcscd does so when it notices the card).
    AtrRequested,
    /// One command answered.
    Apdu {
        /// The command APDU.
        command: &'a [u8],
        /// The response (data and status word).
        response: &'a [u8],
        /// How long the answer was held back.
        delay: Duration,
    },
    /// The link dropped (vpcd or pcscd went away); reconnecting.
    Disconnected(&'a io::Error),
    /// The card removed itself.
    Removed,
    /// The card is back after a removal.
    Reinserted,
}

/// Why [`serve`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The stop flag was set.
    Stopped,
    /// The card was removed and does not come back.
    Removed,
}

enum Session {
    Stopped,
    Removed,
    Dropped(io::Error),
}

/// Serves `card` to vpcd until stopped or removed for good, reconnecting whenever the link
/// drops. Blocks the calling thread.
pub fn serve<R: Responder>(
    card: &Arc<Mutex<R>>,
    options: &VpcdOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Ended, Error> {
    let address = SocketAddr::new(options.host, options.port);
    let mut waiting_reported = false;
    loop {
        if options.stop.load(Ordering::Relaxed) {
            return Ok(Ended::Stopped);
        }
        let stream = match TcpStream::connect_timeout(&address, Duration::from_secs(1)) {
            Ok(stream) => stream,
            Err(e) => {
                if !waiting_reported {
                    on_event(Event::Waiting(&e));
                    waiting_reported = true;
                }
                sleep_unless_stopped(options.retry_interval, &options.stop);
                continue;
            }
        };
        waiting_reported = false;
        let configure = || -> io::Result<()> {
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(POLL))
        };
        configure().map_err(|source| Error::Vpcd {
            port: options.port,
            source,
        })?;
        on_event(Event::Connected);
        match session(&stream, card, options, on_event) {
            Session::Stopped => return Ok(Ended::Stopped),
            Session::Dropped(e) => on_event(Event::Disconnected(&e)),
            Session::Removed => {
                let _ = stream.shutdown(std::net::Shutdown::Both);
                drop(stream);
                on_event(Event::Removed);
                let back_after = lock(card).reinsert_after();
                let Some(after) = back_after else {
                    return Ok(Ended::Removed);
                };
                if !sleep_unless_stopped(after, &options.stop) {
                    return Ok(Ended::Stopped);
                }
                lock(card).reinsert();
                on_event(Event::Reinserted);
            }
        }
    }
}

fn lock<R>(card: &Mutex<R>) -> std::sync::MutexGuard<'_, R> {
    card.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps in short steps; false if the stop flag cut the sleep short.
fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + total;
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(POLL));
    }
}

fn session<R: Responder>(
    stream: &TcpStream,
    card: &Arc<Mutex<R>>,
    options: &VpcdOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Session {
    loop {
        let frame = match read_frame(stream, &options.stop) {
            Ok(Some(frame)) => frame,
            Ok(None) => return Session::Stopped,
            Err(e) => return Session::Dropped(e),
        };
        match frame.as_slice() {
            [] => {}
            [control] => {
                let power = match *control {
                    CTRL_OFF => Some(Power::Off),
                    CTRL_ON => Some(Power::On),
                    CTRL_RESET => Some(Power::Reset),
                    CTRL_ATR => {
                        let atr = lock(card).atr();
                        on_event(Event::AtrRequested);
                        if let Err(e) = write_frame(stream, &atr) {
                            return Session::Dropped(e);
                        }
                        None
                    }
                    // Unknown control bytes are ignored, as vpcd's own virtual cards do.
                    _ => None,
                };
                if let Some(power) = power {
                    lock(card).power(power);
                    on_event(Event::Power(power));
                }
            }
            command => {
                let reply = lock(card).respond(command);
                match reply {
                    Reply::Bytes { bytes, delay } => {
                        if !delay.is_zero() && !sleep_unless_stopped(delay, &options.stop) {
                            return Session::Stopped;
                        }
                        if let Err(e) = write_frame(stream, &bytes) {
                            return Session::Dropped(e);
                        }
                        on_event(Event::Apdu {
                            command,
                            response: &bytes,
                            delay,
                        });
                    }
                    Reply::Removed => return Session::Removed,
                }
            }
        }
    }
}

/// Reads one frame; `None` when the stop flag was set while waiting.
fn read_frame(stream: &TcpStream, stop: &AtomicBool) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    if !read_exact(stream, &mut len, stop)? {
        return Ok(None);
    }
    let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
    if !read_exact(stream, &mut payload, stop)? {
        return Ok(None);
    }
    Ok(Some(payload))
}

/// `read_exact` that re-arms TCP_QUICKACK before every read and polls the stop flag.
fn read_exact(mut stream: &TcpStream, buf: &mut [u8], stop: &AtomicBool) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        // Best effort: on a kernel without it the link is only slower.
        let _ = SockRef::from(stream).set_tcp_quickack(true);
        let Some(rest) = buf.get_mut(filled..) else {
            break;
        };
        match stream.read(rest) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "vpcd closed the connection",
                ));
            }
            Ok(n) => filled += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::Relaxed) {
                    return Ok(false);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Writes one frame in a single write, so it leaves in one segment.
fn write_frame(mut stream: &TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "response over 65535 bytes"))?;
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::virtual_yubikey::{CardConfig, VirtualCard};
    use std::net::TcpListener;

    /// A stand-in for vpcd: accept the card, run the protocol, check the answers.
    #[test]
    fn speaks_the_vpcd_protocol_to_a_fake_reader() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let card = Arc::new(Mutex::new(
            VirtualCard::new(CardConfig::new(1234).with_password("pw")).unwrap(),
        ));
        let options = VpcdOptions {
            port,
            ..VpcdOptions::default()
        };
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
        let mut exchange = |payload: &[u8], answer: bool| -> Vec<u8> {
            let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
            frame.extend_from_slice(payload);
            reader.write_all(&frame).unwrap();
            if !answer {
                return Vec::new();
            }
            let mut len = [0u8; 2];
            reader.read_exact(&mut len).unwrap();
            let mut body = vec![0u8; u16::from_be_bytes(len) as usize];
            reader.read_exact(&mut body).unwrap();
            body
        };
        exchange(&[CTRL_ON], false);
        assert_eq!(
            exchange(&[CTRL_ATR], true),
            crate::virtual_yubikey::ATR_YUBIKEY_5_NFC
        );
        let select = exchange(&[0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 5, 0x27, 0x21, 1], true);
        assert_eq!(&select[select.len() - 2..], &[0x90, 0x00]);
        // Locked: a password is set and nothing was validated.
        assert_eq!(exchange(&[0, 0xA1, 0, 0], true), vec![0x69, 0x82]);
        assert_eq!(exchange(&[0, 0xA4, 4, 0, 2, 1, 2], true), vec![0x6A, 0x82]);

        stop.store(true, Ordering::Relaxed);
        let (ended, events) = server.join().unwrap();
        assert_eq!(ended, Ended::Stopped);
        assert!(events.iter().any(|e| e == "AtrRequested"), "{events:?}");
        assert_eq!(card.lock().unwrap().apdu_count(), 3);
    }

    #[test]
    fn removal_closes_the_link_and_reinsertion_reconnects() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut config = CardConfig::new(1);
        config.remove_after_apdus = Some(1);
        config.reinsert_after_ms = Some(50);
        let card = Arc::new(Mutex::new(VirtualCard::new(config).unwrap()));
        let options = VpcdOptions {
            port,
            ..VpcdOptions::default()
        };
        let stop = Arc::clone(&options.stop);
        let server = std::thread::spawn(move || serve(&card, &options, &mut |_| {}));

        let apdu = [0u8, 4, 0, 0xA4, 4, 0];
        let (mut first, _) = listener.accept().unwrap();
        first.write_all(&apdu).unwrap();
        let mut answer = [0u8; 4];
        first.read_exact(&mut answer).unwrap();
        assert_eq!(answer[..2], [0, 2]);
        first.write_all(&apdu).unwrap();
        let mut rest = Vec::new();
        // The card leaves: EOF instead of an answer.
        assert_eq!(first.read_to_end(&mut rest).unwrap(), 0);
        // ... and comes back on a fresh connection.
        let (mut second, _) = listener.accept().unwrap();
        second.write_all(&apdu).unwrap();
        second.read_exact(&mut answer).unwrap();
        assert_eq!(answer[..2], [0, 2]);
        stop.store(true, Ordering::Relaxed);
        assert_eq!(server.join().unwrap().unwrap(), Ended::Stopped);
    }
}
