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
use yubikit::smartcard::SmartCardError;
use yubikit::yubiotp::{YubiOtpError, YubiOtpSession};

use super::yubikey::{self, Selector};
use super::{Code, CodeSource, DeviceError, SharedNotifier, SourceInfo, smartcard};

/// Turns a transport's connection errors into what the user needs; implemented for yubikit's HID
/// and CCID errors.
pub trait TransportError: fmt::Display + fmt::Debug {
    /// The error, for the key `key` and its slot `slot`.
    fn into_device_error(self, key: &str, slot: SlotNumber) -> DeviceError;
}

impl TransportError for OtpError {
    fn into_device_error(self, key: &str, slot: SlotNumber) -> DeviceError {
        let key = key.to_string();
        match self {
            // The one wait in a challenge-response is the touch's.
            OtpError::Timeout(_) => DeviceError::TouchTimedOut { key },
            OtpError::Transport(_) => DeviceError::Removed { key },
            // An empty (or keyboard) slot has nothing to answer a challenge with.
            OtpError::CommandRejected(_) => DeviceError::SlotNotConfigured {
                key,
                slot: slot as u8,
            },
            other => DeviceError::Transport {
                detail: other.to_string(),
            },
        }
    }
}

impl TransportError for SmartCardError {
    fn into_device_error(self, key: &str, slot: SlotNumber) -> DeviceError {
        match self {
            // A slot that wants a touch answers "conditions not satisfied" when nobody touched it.
            SmartCardError::Apdu {
                sw: 0x6985 | 0x6982,
                ..
            } => DeviceError::TouchTimedOut {
                key: key.to_string(),
            },
            SmartCardError::ApplicationNotAvailable => DeviceError::SlotNotConfigured {
                key: key.to_string(),
                slot: slot as u8,
            },
            // Removal, pcscd going away, garbage: as for any PC/SC read.
            other => smartcard::transport_error(key, other),
        }
    }
}

/// Which slot (`--slot 1|2`): yubikit's own, numbered as the flag numbers them (the short-press
/// slot 1, the long-press slot 2, where challenge-response is usually programmed).
pub use yubikit::yubiotp::Slot as SlotNumber;

/// Codes from an OTP slot, over any transport yubikit's YubiOTP session speaks.
pub struct OtpSlotSource<C: Connection> {
    session: YubiOtpSession<C>,
    slot: SlotNumber,
    label: String,
    info: SourceInfo,
    /// Over CCID a key gives no sign that it waits for a touch, so the user is told up front.
    announce_touch: bool,
    notifier: SharedNotifier,
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
        notifier: SharedNotifier,
    ) -> Result<Self, DeviceError> {
        let serial = session.get_serial().ok();
        let label = match serial {
            Some(serial) => format!("YubiKey {serial}"),
            None => "the YubiKey".to_string(),
        };
        let state = session.get_config_state();
        if !state.is_configured(slot).unwrap_or(true) {
            return Err(DeviceError::SlotNotConfigured {
                key: label,
                slot: slot as u8,
            });
        }
        // No transport says in advance whether a challenge-response slot wants a touch (the
        // "touch-triggered" bit is about keyboard slots); over HID the key says so while waiting.
        let touch = false;
        let info = SourceInfo {
            kind: "otp-slot",
            device_serial: serial.map(|s| s.to_string()),
            account: Some(format!("OTP slot {} over {transport}", slot as u8)),
            period: 30,
            digits,
            touch,
        };
        Ok(OtpSlotSource {
            session,
            slot,
            label,
            info,
            announce_touch: transport == "CCID",
            notifier,
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

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        // RFC 6238 §4: the HOTP counter is the time step, as 8 bytes, big-endian.
        let prompted = std::cell::Cell::new(self.announce_touch);
        if self.announce_touch {
            self.notifier
                .act(&format!("If {} blinks, touch it.", self.label));
        }
        let label = &self.label;
        let notifier = &self.notifier;
        // Keepalive 2: the key blinks, waiting for a touch (it gives up after about 15 s).
        let on_keepalive = |status: u8| {
            if status == 2 && !prompted.replace(true) {
                notifier.act(&format!("Touch {label} for the slot's code."));
            }
        };
        let mac = self
            .session
            .calculate_hmac_sha1_with_cancel(
                self.slot,
                &counter.to_be_bytes(),
                None,
                Some(&on_keepalive),
            )
            .map_err(|e| otp_error(&self.label, self.slot, e))?;
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
    Code::decimal(bin, digits)
}

fn otp_error<E: TransportError>(label: &str, slot: SlotNumber, e: YubiOtpError<E>) -> DeviceError {
    match e {
        YubiOtpError::Connection(inner) => inner.into_device_error(label, slot),
        // Over CCID an empty slot answers with the 6 status bytes instead of 20.
        YubiOtpError::InvalidData(text) if text.contains("expected 20, got 6") => {
            DeviceError::SlotNotConfigured {
                key: label.to_string(),
                slot: slot as u8,
            }
        }
        YubiOtpError::InvalidData(text) => DeviceError::Malformed { what: text },
        YubiOtpError::NotSupported(text) => DeviceError::Transport {
            detail: format!("not supported by {label}: {text}"),
        },
        other => DeviceError::Transport {
            detail: other.to_string(),
        },
    }
}

/// Opens the OTP slot of the selected key: over HID when its hidraw node can be opened, else over
/// CCID (saying why, through the notifier), as yubikit's own device discovery does.
pub fn open(
    selector: &Selector,
    slot: SlotNumber,
    digits: u32,
    notifier: SharedNotifier,
) -> Result<Box<dyn CodeSource>, DeviceError> {
    let denied = match open_hid(selector.serial) {
        Ok(Some(session)) => {
            return Ok(Box::new(OtpSlotSource::new(
                session, slot, digits, "HID", notifier,
            )?));
        }
        Ok(None) => None,
        Err(denied) => Some(denied),
    };
    let (_key, conn) = yubikey::open_one(selector).map_err(|e| match &denied {
        // No CCID either (no pcscd, or the key's CCID interface is off): the hidraw access is what
        // the user must fix.
        Some(denied) => DeviceError::HidDenied {
            detail: denied.clone(),
        },
        None => e,
    })?;
    if let Some(denied) = denied {
        notifier.note(&format!(
            "{denied}; using the OTP application over CCID instead (the udev rules in udev/ grant HID access)"
        ));
    }
    let session = YubiOtpSession::new(conn).map_err(|(e, _)| DeviceError::Transport {
        detail: format!("the OTP application over CCID: {e}"),
    })?;
    let source = OtpSlotSource::new(session, slot, digits, "CCID", notifier)?;
    Ok(Box::new(source))
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
                if let Ok(mut session) = YubiOtpSession::new_otp(conn)
                    && serial.is_none_or(|want| session.get_serial().ok() == Some(want))
                {
                    found.push(session);
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
    use std::time::Duration;

    use testbed::virtual_yubikey::{
        CardConfig, CardConnection, HidFault, OtpHidConfig, OtpHidConnection, OtpHidDevice,
        OtpSlot, OtpSlotConfig, TouchPolicy, VirtualCard,
    };

    use super::*;

    fn silent() -> crate::source::SharedNotifier {
        std::sync::Arc::new(crate::source::Silent)
    }

    /// RFC 4226's secret: "12345678901234567890".
    const SECRET: &[u8] = b"12345678901234567890";

    fn session(conn: OtpHidConnection) -> YubiOtpSession<OtpHidConnection> {
        YubiOtpSession::new_otp(conn).map_err(|(e, _)| e).unwrap()
    }

    fn hid(config: OtpHidConfig) -> OtpSlotSource<OtpHidConnection> {
        let session = session(OtpHidConnection::new(OtpHidDevice::new(config)));
        OtpSlotSource::new(session, SlotNumber::Two, 6, "HID", silent()).unwrap()
    }

    fn hid_key() -> OtpHidConfig {
        OtpHidConfig::new(12345678).with_slot(SlotNumber::Two, OtpSlot::hmac_sha1(SECRET).unwrap())
    }

    #[test]
    fn codes_over_hid_are_rfc_6238() {
        let mut source = hid(hid_key());
        // RFC 6238 Appendix B, SHA-1, 6 digits: T = 59 → counter 1; T = 1111111109.
        assert_eq!(source.code_at(1).unwrap().expose(), "287082");
        assert_eq!(
            source.code_at(1_111_111_109 / 30).unwrap().expose(),
            "081804"
        );
        assert_eq!(source.describe().device_serial.as_deref(), Some("12345678"));
        assert_eq!(
            source.describe().account.as_deref(),
            Some("OTP slot 2 over HID")
        );
    }

    #[test]
    fn codes_over_ccid_are_the_same() {
        let card =
            VirtualCard::new(CardConfig::new(7).with_otp_slot(2, OtpSlotConfig::hmac_sha1(SECRET)))
                .unwrap();
        let session = YubiOtpSession::new(CardConnection::new(card))
            .map_err(|(e, _)| e)
            .unwrap();
        let mut source = OtpSlotSource::new(session, SlotNumber::Two, 8, "CCID", silent()).unwrap();
        // RFC 6238 Appendix B, 8 digits at T = 59.
        assert_eq!(source.code_at(1).unwrap().expose(), "94287082");
    }

    #[test]
    fn an_empty_slot_is_named() {
        let session = session(OtpHidConnection::new(OtpHidDevice::new(hid_key())));
        let err = OtpSlotSource::new(session, SlotNumber::One, 6, "HID", silent()).unwrap_err();
        assert!(
            matches!(err, DeviceError::SlotNotConfigured { slot: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn no_touch_is_a_touch_timeout_and_faults_are_errors() {
        let mut source = hid(hid_key().with_touch(TouchPolicy::Deny {
            after: Duration::from_millis(50),
        }));
        let slot = OtpSlot::hmac_sha1(SECRET)
            .unwrap()
            .with_touch(true)
            .with_touch_policy(TouchPolicy::Deny {
                after: Duration::from_millis(50),
            });
        let mut touchy = hid(OtpHidConfig::new(1).with_slot(SlotNumber::Two, slot));
        assert!(matches!(
            touchy.code_at(1).unwrap_err(),
            DeviceError::TouchTimedOut { .. }
        ));
        for fault in [
            HidFault::BadCrc,
            HidFault::ShortReport,
            HidFault::IncompleteTransfer,
            HidFault::Unplugged,
        ] {
            let device = std::sync::Arc::new(std::sync::Mutex::new(OtpHidDevice::new(hid_key())));
            let session = session(OtpHidConnection::shared(device.clone()));
            let mut source =
                OtpSlotSource::new(session, SlotNumber::Two, 6, "HID", silent()).unwrap();
            device.lock().unwrap().set_fault(Some(fault));
            assert!(source.code_at(1).is_err(), "{fault:?} accepted");
        }
        assert!(
            source.code_at(1).is_ok(),
            "an untouched slot without touch answers"
        );
    }

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
            0xea, 0x74, 0x7a, 0x2d, 0x33, 0xab,
        ];
        assert_eq!(truncate(&hmac1, 6).expose(), "287082");
        assert_eq!(truncate(&hmac1, 8).expose().len(), 8);
    }
}
