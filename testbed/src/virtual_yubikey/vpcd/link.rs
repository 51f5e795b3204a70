//! The bytes of one vpcd link: frames (a 2-byte big-endian length and a payload; a 1-byte payload
//! is a control byte) and the socket options that keep a round trip under a millisecond.
use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::SockRef;

pub(super) const CTRL_OFF: u8 = 0x00;
pub(super) const CTRL_ON: u8 = 0x01;
pub(super) const CTRL_RESET: u8 = 0x02;
pub(super) const CTRL_ATR: u8 = 0x04;

/// How often a blocked read looks at the stop flag and the presence.
pub(super) const POLL: Duration = Duration::from_millis(100);

/// Connects to vpcd with the options that keep it fast: `TCP_NODELAY` here, `TCP_QUICKACK`
/// before each read (vpcd sends the length and the payload in two `send`s; without a quick ACK
/// Nagle holds the second for the peer's delayed ACK, ~40 ms per APDU).
pub(super) fn connect(address: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(POLL))?;
    Ok(stream)
}

/// Reads one frame; `None` when `give_up` said so while the read waited.
pub(super) fn read_frame(
    stream: &TcpStream,
    give_up: &mut dyn FnMut() -> bool,
) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 2];
    if !read_exact(stream, &mut len, give_up)? {
        return Ok(None);
    }
    let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
    if !read_exact(stream, &mut payload, give_up)? {
        return Ok(None);
    }
    Ok(Some(payload))
}

/// `read_exact` that re-arms TCP_QUICKACK before every read and asks `give_up` at each poll.
fn read_exact(
    mut stream: &TcpStream,
    buf: &mut [u8],
    give_up: &mut dyn FnMut() -> bool,
) -> io::Result<bool> {
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
                if give_up() {
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
pub(super) fn write_frame(mut stream: &TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "response over 65535 bytes"))?;
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

/// Closes a link at once; the peer sees end of file.
pub(super) fn close(stream: TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Both);
}
