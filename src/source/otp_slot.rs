//! The OTP-slot source: TOTP from a YubiKey OTP slot programmed for HMAC-SHA1 challenge-response.
//!
//! Many tokens in the field were set up this way (`ykman otp chalresp --totp`) instead of with an
//! OATH account. The key computes HMAC-SHA1(secret, challenge) where the challenge is the 8-byte
//! big-endian time-step counter; the 20-byte answer is truncated as RFC 4226 §5.3 says. Yubico's
//! yubikit drives the key (its YubiOTP session), over HID first and, when the hidraw node cannot be
//! opened (no udev rules) or there is none (an NFC reader), over CCID through pcscd.

use std::fmt;

use yubikit::core::Connection;
use yubikit::otp::OtpError;
use yubikit::smartcard::{SmartCardConnection, SmartCardError};
use yubikit::yubiotp::{Slot, YubiOtpError, YubiOtpSession};

use super::yubikey::{self, Selector};
use super::{ClockOwner, Code, CodeSource, DeviceError, SourceInfo};

/// What a transport's errors mean to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No answer in time: for a touch slot, no touch.
    Timeout,
    /// The key went away.
    Removed,
    /// Anything else.
    Other,
}

/// Classifies a transport's errors; implemented for yubikit's HID and CCID errors.
pub trait TransportError: fmt::Display + fmt::Debug {
    /// What the error means.
    fn kind(&self) -> ErrorKind;
}

impl TransportError for OtpError {
    fn kind(&self) -> ErrorKind {
        match self {
            OtpError::Timeout(_) => ErrorKind::Timeout,
            OtpError::Transport(_) => ErrorKind::Removed,
            _ => ErrorKind::Other,
        }
    }
}

impl TransportError for SmartCardError {
    fn kind(&self) -> ErrorKind {
        match self {
            // A touch-triggered slot answers "conditions not satisfied" when nobody touched it.
            SmartCardError::Apdu {
                sw: 0x6985 | 0x6982,
                ..
            } => ErrorKind::Timeout,
            SmartCardError::Transport(_) => ErrorKind::Removed,
            SmartCardError::InvalidData(text) if text.contains("no status word") => {
                ErrorKind::Removed
            }
            _ => ErrorKind::Other,
        }
    }
}

/// Which slot (`--slot 1|2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotNumber {
    /// The short-press slot.
    One,
    /// The long-press slot, where challenge-response is usually programmed.
    Two,
}

impl SlotNumber {
    fn yubikit(self) -> Slot {
        match self {
            SlotNumber::One => Slot::One,
            SlotNumber::Two => Slot::Two,
        }
    }

    fn number(self) -> u8 {
        match self {
            SlotNumber::One => 1,
            SlotNumber::Two => 2,
        }
    }
}

/// Codes from an OTP slot, over any transport yubikit's YubiOTP session speaks.
pub struct OtpSlotSource<C: Connection> {
    session: YubiOtpSession<C>,
    slot: SlotNumber,
    label: String,
    info: SourceInfo,
}

impl<C: Connection> fmt::Debug for OtpSlotSource<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpSlotSource")
            .field("slot", &self.slot)
            .field("key", &self.label)
            .finish_non_exhaustive()
    }
}

impl<C> OtpSlotSource<C>
where
    C: Connection + Send + 'static,
    C::Error: TransportError,
{
    /// Checks the slot and wraps an open session. `transport` (`HID` or `CCID`) is for reports.
    pub fn new(
        mut session: YubiOtpSession<C>,
        slot: SlotNumber,
        digits: u32,
        transport: &'static str,
    ) -> Result<Self, DeviceError> {
        let serial = session.get_serial().ok();
        let label = match serial {
            Some(serial) => format!("YubiKey {serial}"),
            None => "the YubiKey".to_string(),
        };
        let state = session.get_config_state();
        if !state.is_configured(slot.yubikit()).unwrap_or(true) {
            return Err(DeviceError::SlotNotConfigured {
                key: label,
                slot: slot.number(),
            });
        }
        let touch = state.is_touch_triggered(slot.yubikit()).unwrap_or(false);
        let info = SourceInfo {
            kind: "otp-slot",
            device_serial: serial.map(|s| s.to_string()),
            account: Some(format!("OTP slot {} over {transport}", slot.number())),
            period: 30,
            digits,
            touch,
        };
        Ok(OtpSlotSource {
            session,
            slot,
            label,
            info,
        })
    }
}

impl<C> CodeSource for OtpSlotSource<C>
where
    C: Connection + Send + 'static,
    C::Error: TransportError,
{
    fn describe(&self) -> SourceInfo {
        self.info.clone()
    }

    fn clock(&self) -> ClockOwner {
        ClockOwner::Host
    }

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        // RFC 6238 §4: the HOTP counter is the time step, as 8 bytes, big-endian.
        let mac = self
            .session
            .calculate_hmac_sha1(self.slot.yubikit(), &counter.to_be_bytes())
            .map_err(|e| otp_error(&self.label, e, self.info.touch))?;
        let mac: [u8; 20] = mac
            .as_slice()
            .try_into()
            .map_err(|_| DeviceError::Malformed {
                what: format!("an HMAC-SHA1 of {} bytes, not 20", mac.len()),
            })?;
        Ok(truncate(&mac, self.info.digits))
    }
}

/// RFC 4226 §5.3 dynamic truncation of an HMAC-SHA1 to `digits` decimal digits.
pub fn truncate(mac: &[u8; 20], digits: u32) -> Code {
    let offset = usize::from(mac[19] & 0x0F);
    let bin = u32::from_be_bytes([
        mac[offset] & 0x7F,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    let value = bin % 10u32.pow(digits.clamp(6, 8));
    // Always 6 to 8 ASCII digits: the only way from_digits could refuse it.
    Code::from_digits(format!(
        "{value:0width$}",
        width = digits.clamp(6, 8) as usize
    ))
    .unwrap_or_else(|_| unreachable!("six to eight ASCII digits"))
}

fn otp_error<E: TransportError>(label: &str, e: YubiOtpError<E>, touch: bool) -> DeviceError {
    match e {
        YubiOtpError::Connection(inner) => match inner.kind() {
            ErrorKind::Timeout if touch => DeviceError::TouchTimedOut {
                key: label.to_string(),
            },
            ErrorKind::Timeout => DeviceError::Timeout { secs: 15 },
            ErrorKind::Removed => DeviceError::Removed {
                key: label.to_string(),
            },
            ErrorKind::Other => DeviceError::Transport {
                detail: inner.to_string(),
            },
        },
        YubiOtpError::NotSupported(text) => DeviceError::Transport {
            detail: format!("not supported by {label}: {text}"),
        },
        YubiOtpError::InvalidData(text) => DeviceError::Malformed { what: text },
        other => DeviceError::Transport {
            detail: other.to_string(),
        },
    }
}

/// Opens the OTP slot of the selected key: over HID when its hidraw node can be opened, else over
/// CCID (saying why), as yubikit's own device discovery does.
pub fn open(
    selector: &Selector,
    slot: SlotNumber,
    digits: u32,
) -> Result<(Box<dyn CodeSource>, Option<String>), DeviceError> {
    match open_hid(selector.serial) {
        Ok(Some(session)) => Ok((
            Box::new(OtpSlotSource::new(session, slot, digits, "HID")?),
            None,
        )),
        Ok(None) => {
            let (_key, conn) = yubikey::open_one(selector)?;
            let session = open_ccid(conn)?;
            Ok((
                Box::new(OtpSlotSource::new(session, slot, digits, "CCID")?),
                None,
            ))
        }
        Err(denied) => {
            let (_key, conn) = yubikey::open_one(selector)?;
            let session = open_ccid(conn)?;
            let note = format!(
                "{denied}; using the OTP application over CCID instead (the udev rules in udev/ grant HID access)"
            );
            Ok((
                Box::new(OtpSlotSource::new(session, slot, digits, "CCID")?),
                Some(note),
            ))
        }
    }
}

fn open_ccid<C: SmartCardConnection + Send + 'static>(
    conn: C,
) -> Result<YubiOtpSession<C>, DeviceError> {
    YubiOtpSession::new(conn).map_err(|(e, _)| DeviceError::Transport {
        detail: format!("the OTP application over CCID: {e}"),
    })
}

/// The one YubiKey OTP HID interface (with `serial`, if given), `None` when there is none, or an
/// error naming the hidraw node that could not be opened.
fn open_hid(
    serial: Option<u32>,
) -> Result<Option<YubiOtpSession<yubikit::platform::hidapi::HidOtpConnection>>, String> {
    use yubikit::platform::hidapi::{HidOtpConnection, list_otp_devices};
    let Ok(devices) = list_otp_devices() else {
        return Ok(None);
    };
    let mut denied = None;
    let mut found = Vec::new();
    for device in devices {
        match HidOtpConnection::new(&device.path) {
            Ok(conn) => {
                if let Ok(mut session) = YubiOtpSession::new_otp(conn) {
                    let matches = serial.is_none_or(|want| session.get_serial().ok() == Some(want));
                    if matches {
                        found.push(session);
                    }
                }
            }
            Err(e) => denied = Some(format!("cannot open {} ({e})", device.path)),
        }
    }
    match (found.len(), denied) {
        (1, _) => Ok(found.pop()),
        (0, Some(denied)) => Err(denied),
        // None, or several: CCID discovery names them and asks for --device.
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4226_truncation() {
        // RFC 4226 Appendix D, count 0 and 1: the HMACs and the 6-digit values.
        let hmac0 = [
            0xcc, 0x93, 0xcf, 0x18, 0x50, 0x8d, 0x94, 0x93, 0x4c, 0x64, 0xb6, 0x5d, 0x8b, 0xa7,
            0x66, 0x7f, 0xb7, 0xcd, 0xe4, 0xb0,
        ];
        assert_eq!(truncate(&hmac0, 6).expose(), "755224");
        let hmac1 = [
            0x75, 0xa4, 0x8a, 0x19, 0xd4, 0xcb, 0xe1, 0x00, 0x64, 0x4e, 0x8a, 0xc1, 0x39, 0x7e,
            0xea, 0x74, 0x7a, 0x2d, 0x20, 0xef,
        ];
        assert_eq!(truncate(&hmac1, 6).expose(), "287082");
        assert_eq!(truncate(&hmac1, 8).expose().len(), 8);
    }
}
