//! The management application device discovery talks to before OATH: its READ CONFIG (INS `1D`)
//! answers the DeviceInfo TLVs (serial, version, form factor, USB and NFC capabilities). Only
//! what yubikit's `read_info_ccid` and ykman's `info` read is here; configuration writes are
//! refused. The same DeviceInfo page answers the OTP application's YK4 CAPABILITIES slot
//! command (`0x13`, [`super::otp`]), which is how yubikit reads it over HID.
//!
//! Layout source: yubikit `management.rs` (`DeviceInfo::parse_tlvs`, tags `01`–`0E`).

use super::apdu::{Answer, Command, SW_INS_NOT_SUPPORTED};
use super::tlv;

/// Capability bits (yubikit `Capability`): OTP.
pub const CAPABILITY_OTP: u16 = 0x0001;
/// Capability bits (yubikit `Capability`): OATH.
pub const CAPABILITY_OATH: u16 = 0x0020;

/// Form factor code of a USB-A keychain key (the YubiKey 5 NFC).
pub const FORM_FACTOR_USB_A_KEYCHAIN: u8 = 0x01;

/// READ CONFIG.
const INS_READ_CONFIG: u8 = 0x1D;

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
            INS_READ_CONFIG if cmd.p1 == 0 => Answer::ok(device_info(&self.identity)),
            INS_READ_CONFIG => Answer::ok(vec![0]),
            _ => Answer::sw(SW_INS_NOT_SUPPORTED),
        }
    }
}

/// The DeviceInfo page 0: one length byte, then TLVs (yubikit checks the length matches).
pub fn device_info(id: &Identity) -> Vec<u8> {
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
