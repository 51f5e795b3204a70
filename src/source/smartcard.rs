//! The one place PC/SC failures become [`DeviceError`]s, for every source that speaks to a key over
//! CCID (the OATH application and the OTP application), and the one way a reader is opened.
//!
//! Readers are opened with `PcscSmartCardConnection::new` (exclusive, then shared), never with
//! yubikit's `open`, which kills scdaemon and yubikey-agent when a reader is busy: a desk station's
//! GnuPG is not ours to end. A busy reader is reported with its likely cause instead.

use yubikit::platform::pcsc::{PcscError, PcscSmartCardConnection};
use yubikit::smartcard::SmartCardError;

use super::DeviceError;

/// Lists the PC/SC readers, each with whether a card is in it.
pub fn readers() -> Result<Vec<(String, bool)>, DeviceError> {
    yubikit::platform::pcsc::list_readers_with_state().map_err(pcsc_error)
}

/// Exclusive first (so no other program interleaves APDUs with ours), then shared.
pub fn connect(reader: &str) -> Result<PcscSmartCardConnection, DeviceError> {
    match PcscSmartCardConnection::new(reader, true) {
        Ok(conn) => Ok(conn),
        Err(e) if e.is_sharing_violation() => {
            PcscSmartCardConnection::new(reader, false).map_err(|e| {
                if e.is_sharing_violation() {
                    DeviceError::Busy {
                        reader: reader.to_string(),
                    }
                } else {
                    reader_error(reader, e)
                }
            })
        }
        Err(e) => Err(reader_error(reader, e)),
    }
}

/// A failure to open `reader`: an empty reader is said as such.
fn reader_error(reader: &str, e: PcscError) -> DeviceError {
    if e.is_no_card() {
        DeviceError::NoCard {
            reader: reader.to_string(),
        }
    } else {
        pcsc_error(e)
    }
}

/// A failure of PC/SC itself (listing readers, the daemon).
pub fn pcsc_error(e: PcscError) -> DeviceError {
    match e {
        PcscError::Pcsc(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => {
            DeviceError::PcscdUnavailable {
                detail: e.to_string(),
            }
        }
        PcscError::Pcsc(pcsc::Error::NoReadersAvailable) => DeviceError::NoReader,
        other => DeviceError::Transport {
            detail: other.to_string(),
        },
    }
}

/// A command to the key in a reader that failed below the application: the key left
/// (`SCARD_W_REMOVED_CARD`, `SCARD_E_NO_SMARTCARD`, a reset), pcscd went away, or the transport
/// broke. Status words are the application's to interpret; this maps only what PC/SC says.
pub fn transport_error(label: &str, e: SmartCardError) -> DeviceError {
    let removed = || DeviceError::Removed {
        key: label.to_string(),
    };
    match e {
        SmartCardError::Transport(inner) => {
            let text = inner.to_string();
            match inner.downcast_ref::<PcscError>() {
                // pcscd itself went away mid-run (stopped, restarted): the key may be fine.
                Some(p @ PcscError::Pcsc(pcsc::Error::NoService | pcsc::Error::ServiceStopped)) => {
                    DeviceError::PcscdUnavailable {
                        detail: p.to_string(),
                    }
                }
                Some(p)
                    if p.is_unavailable()
                        || matches!(p, PcscError::Pcsc(pcsc::Error::ResetCard)) =>
                {
                    removed()
                }
                _ if text.contains("removed") || text.contains("reset") => removed(),
                _ => DeviceError::Transport { detail: text },
            }
        }
        // A card that leaves mid-command leaves PC/SC an answer without a status word; the next
        // command would see RemovedCard. Either way the key is gone.
        SmartCardError::InvalidData(text) if text.contains("no status word") => removed(),
        SmartCardError::Apdu { sw, .. } => DeviceError::Malformed {
            what: format!("status word {sw:04X}"),
        },
        other => DeviceError::Malformed {
            what: other.to_string(),
        },
    }
}
