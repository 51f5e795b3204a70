//! The in-process transport: a yubikit [`SmartCardConnection`] backed by any [`Responder`], so
//! `yubikit::oath::OathSession` (and the main crate's device layer) can run against the virtual
//! card with no pcscd. It behaves like yubikit's own PC/SC connection where that matters to a
//! caller: a response shorter than a status word is `InvalidData`, a touch delay really blocks the
//! calling thread, and a removed card gives the PC/SC errors yubikit's own connection gives
//! (`Transport(PcscError::Pcsc(RemovedCard))` on a connection whose card left or was swapped,
//! `NoSmartcard` on one opened while the reader was empty), which
//! [`PcscError::is_no_card`](yubikit::platform::pcsc::PcscError::is_no_card) recognises.

use std::sync::{Arc, Mutex, PoisonError};

use yubikit::core::{Connection, Transport};
use yubikit::platform::pcsc::PcscError;
use yubikit::smartcard::{SmartCardConnection, SmartCardError};

use super::card::{Reply, Responder, VirtualCard};

/// A yubikit connection to a card held in this process.
pub struct CardConnection<R: Responder> {
    card: Arc<Mutex<R>>,
    transport: Transport,
    open: bool,
    /// The insertion this connection was made to, or `None` when the reader was empty then.
    bound_to: Option<u64>,
}

/// The usual case: a connection to a [`VirtualCard`].
pub type VirtualConnection = CardConnection<VirtualCard>;

impl<R: Responder> std::fmt::Debug for CardConnection<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardConnection")
            .field("transport", &self.transport)
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl<R: Responder> CardConnection<R> {
    /// Connects to `card` as an NFC reader would: yubikit then uses short APDUs and 61xx paging,
    /// as it does with the vpcd card's NFC ATR.
    pub fn new(card: R) -> Self {
        Self::shared(Arc::new(Mutex::new(card)))
    }

    /// Connects to a card the test keeps a handle on (to inspect it or to share it with a
    /// vpcd server or a second connection).
    pub fn shared(card: Arc<Mutex<R>>) -> Self {
        let bound_to = current_insertion(&card);
        Self {
            card,
            transport: Transport::Nfc,
            open: true,
            bound_to,
        }
    }

    /// Binds the connection to the card now in the reader, as `SCardReconnect` does after a
    /// removal: commands reach it again (or fail with `NoSmartcard` while the reader is empty).
    pub fn reconnect(&mut self) {
        self.bound_to = current_insertion(&self.card);
        self.open = true;
    }

    /// Reports another transport; `Transport::Usb` makes yubikit send extended APDUs.
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The card behind this connection.
    pub fn card(&self) -> Arc<Mutex<R>> {
        Arc::clone(&self.card)
    }
}

fn current_insertion<R: Responder>(card: &Mutex<R>) -> Option<u64> {
    let card = card.lock().unwrap_or_else(PoisonError::into_inner);
    card.is_present().then(|| card.insertion())
}

fn transport_error(kind: std::io::ErrorKind, what: &str) -> SmartCardError {
    SmartCardError::Transport(Box::new(std::io::Error::new(kind, what.to_owned())))
}

/// A PC/SC error as yubikit's `PcscSmartCardConnection` reports it.
fn pcsc_error(e: pcsc::Error) -> SmartCardError {
    PcscError::Pcsc(e).into()
}

impl<R: Responder> Connection for CardConnection<R> {
    type Error = SmartCardError;

    fn close(&mut self) {
        self.open = false;
    }
}

impl<R: Responder> SmartCardConnection for CardConnection<R> {
    fn send_and_receive(&mut self, apdu: &[u8]) -> Result<(Vec<u8>, u16), SmartCardError> {
        if !self.open {
            return Err(transport_error(
                std::io::ErrorKind::NotConnected,
                "connection is closed",
            ));
        }
        // The lock is released before sleeping, so a test can inspect the card meanwhile.
        let reply = {
            let mut card = self.card.lock().unwrap_or_else(PoisonError::into_inner);
            match self.bound_to {
                None => return Err(pcsc_error(pcsc::Error::NoSmartcard)),
                // Gone, or gone and back: the handle is stale until a reconnect (PC/SC).
                Some(n) if !card.is_present() || card.insertion() != n => {
                    return Err(pcsc_error(pcsc::Error::RemovedCard));
                }
                Some(_) => card.respond(apdu),
            }
        };
        match reply {
            Reply::Bytes { mut bytes, delay } => {
                if !delay.is_zero() {
                    std::thread::sleep(delay);
                }
                if bytes.len() < 2 {
                    return Err(SmartCardError::InvalidData(
                        "Response too short (no status word)".into(),
                    ));
                }
                let sw_bytes = bytes.split_off(bytes.len() - 2);
                let sw = u16::from_be_bytes([sw_bytes[0], sw_bytes[1]]);
                Ok((bytes, sw))
            }
            Reply::Removed => Err(pcsc_error(pcsc::Error::RemovedCard)),
        }
    }

    fn transport(&self) -> Transport {
        self.transport
    }
}
