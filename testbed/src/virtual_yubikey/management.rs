//! The two small applications device discovery talks to before OATH: management, whose READ
//! CONFIG (INS `1D`) answers the DeviceInfo TLVs (serial, version, form factor, USB and NFC
//! capabilities), and OTP, whose SELECT answers the status bytes (version, programming sequence,
//! touch level) and whose DEVICE SERIAL command gives the serial. Only what yubikit's
//! `read_info_ccid` and ykman's `info` read is here; configuration writes are refused.
//!
//! Layout sources: yubikit `management.rs` (`DeviceInfo::parse_tlvs`, tags `01`–`0E`) and
//! `yubiotp.rs` (`CcidYubiOtp`: status from SELECT, `INS 01 P1 10` for the serial).

use super::apdu::{Answer, Command, SW_INS_NOT_SUPPORTED, SW_WRONG_DATA};
use super::tlv;

/// Capability bits (yubikit `Capability`): OTP.
pub const CAPABILITY_OTP: u16 = 0x0001;
/// Capability bits (yubikit `Capability`): OATH.
pub const CAPABILITY_OATH: u16 = 0x0020;

/// Form factor code of a USB-A keychain key (the YubiKey 5 NFC).
pub const FORM_FACTOR_USB_A_KEYCHAIN: u8 = 0x01;

/// READ CONFIG.
const INS_READ_CONFIG: u8 = 0x1D;
/// OTP: slot command (P1 names it).
const INS_OTP_COMMAND: u8 = 0x01;
/// OTP: read status.
const INS_OTP_STATUS: u8 = 0x03;
/// OTP slot command: read the device serial.
const OTP_DEVICE_SERIAL: u8 = 0x10;

mod tag {
    pub const USB_SUPPORTED: u8 = 0x01;
    pub const SERIAL: u8 = 0x02;
    pub const USB_ENABLED: u8 = 0x03;
    pub const FORM_FACTOR: u8 = 0x04;
    pub const VERSION: u8 = 0x05;
    pub const AUTO_EJECT_TIMEOUT: u8 = 0x06;
    pub const CHALRESP_TIMEOUT: u8 = 0x07;
    pub const DEVICE_FLAGS: u8 = 0x08;
    pub const CONFIG_LOCK: u8 = 0x0A;
    pub const NFC_SUPPORTED: u8 = 0x0D;
    pub const NFC_ENABLED: u8 = 0x0E;
}

/// What the card says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// Serial number.
    pub serial: u32,
    /// Firmware version.
    pub version: [u8; 3],
    /// Capabilities offered over USB and NFC alike (yubikit `Capability` bits).
    pub capabilities: u16,
}

/// The management application.
#[derive(Debug, Clone)]
pub struct ManagementApplet {
    identity: Identity,
}

impl ManagementApplet {
    /// The management application of a card with this identity.
    pub fn new(identity: Identity) -> Self {
        Self { identity }
    }

    /// SELECT answers the version as text, which hosts parse as `major.minor.patch`.
    pub fn select(&self) -> Answer {
        let [a, b, c] = self.identity.version;
        Answer::ok(format!("{a}.{b}.{c}").into_bytes())
    }

    /// READ CONFIG for page 0 (everything fits there); later pages are empty.
    pub fn process(&self, cmd: &Command<'_>) -> Answer {
        match cmd.ins {
            INS_READ_CONFIG if cmd.p1 == 0 => Answer::ok(self.device_info()),
            INS_READ_CONFIG => Answer::ok(vec![0]),
            _ => Answer::sw(SW_INS_NOT_SUPPORTED),
        }
    }

    /// The DeviceInfo page: one length byte, then TLVs (yubikit checks the length matches).
    fn device_info(&self) -> Vec<u8> {
        let id = &self.identity;
        let caps = id.capabilities.to_be_bytes();
        let mut tlvs = Vec::new();
        tlv::push(&mut tlvs, tag::USB_SUPPORTED, &caps);
        tlv::push(&mut tlvs, tag::SERIAL, &id.serial.to_be_bytes());
        tlv::push(&mut tlvs, tag::USB_ENABLED, &caps);
        tlv::push(&mut tlvs, tag::FORM_FACTOR, &[FORM_FACTOR_USB_A_KEYCHAIN]);
        tlv::push(&mut tlvs, tag::VERSION, &id.version);
        tlv::push(&mut tlvs, tag::AUTO_EJECT_TIMEOUT, &[0, 0]);
        tlv::push(&mut tlvs, tag::CHALRESP_TIMEOUT, &[15]);
        tlv::push(&mut tlvs, tag::DEVICE_FLAGS, &[0]);
        tlv::push(&mut tlvs, tag::CONFIG_LOCK, &[0]);
        tlv::push(&mut tlvs, tag::NFC_SUPPORTED, &caps);
        tlv::push(&mut tlvs, tag::NFC_ENABLED, &caps);
        let mut out = Vec::with_capacity(tlvs.len() + 1);
        // Well under 255 bytes: the page holds eleven short TLVs.
        out.push(u8::try_from(tlvs.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&tlvs);
        out
    }
}

/// The OTP application, reduced to status and serial: no slot is programmed.
#[derive(Debug, Clone)]
pub struct OtpApplet {
    identity: Identity,
}

impl OtpApplet {
    /// The OTP application of a card with this identity.
    pub fn new(identity: Identity) -> Self {
        Self { identity }
    }

    /// Status: version, programming sequence 0 (nothing configured), touch level 0.
    fn status(&self) -> Vec<u8> {
        let [a, b, c] = self.identity.version;
        vec![a, b, c, 0, 0, 0]
    }

    /// SELECT answers the status bytes; yubikit reads the version from the first three.
    pub fn select(&self) -> Answer {
        Answer::ok(self.status())
    }

    /// DEVICE SERIAL and STATUS; slot operations fail because no slot is programmed.
    pub fn process(&self, cmd: &Command<'_>) -> Answer {
        match (cmd.ins, cmd.p1) {
            (INS_OTP_COMMAND, OTP_DEVICE_SERIAL) => {
                Answer::ok(self.identity.serial.to_be_bytes().to_vec())
            }
            (INS_OTP_STATUS, _) => Answer::ok(self.status()),
            (INS_OTP_COMMAND, _) => Answer::sw(SW_WRONG_DATA),
            _ => Answer::sw(SW_INS_NOT_SUPPORTED),
        }
    }
}
