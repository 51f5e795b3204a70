//! A virtual YubiKey: the YKOATH applet, the management application (device discovery) and the
//! OTP application (status, serial, HMAC-SHA1 challenge-response in slots 1 and 2) behind three
//! transports — vsmartcard's vpcd, so the real pcscd, ykman and yubikit see a card in the reader
//! `Virtual PCD 00 00`; an in-process yubikit
//! [`SmartCardConnection`](yubikit::smartcard::SmartCardConnection) for unit tests; and, for the
//! OTP application alone, an in-process yubikit [`OtpConnection`](yubikit::otp::OtpConnection)
//! speaking the HID feature-report frame protocol ([`otp_hid`]), where a real key has a hidraw
//! node.
//!
//! Layers, each in its own module and talking only downwards:
//! [`config`] (the JSON card description) → [`applet`], [`management`], [`otp`] (pure command
//! logic, no I/O, no clock) → [`card`] (ISO 7816-4 framing: selection, chaining, 61xx paging,
//! touch, removal) and [`otp_hid`] (HID frames, touch wait, faults) → [`connection`] / [`vpcd`] /
//! [`OtpHidConnection`] (transports). [`presence`] is whether a served card is in its reader
//! (a test's hand, or the binary's signals and [`control`] socket, on one side; [`vpcd`] on the
//! other). [`script`] makes misbehaving cards for robustness tests. Nothing here knows about AWS
//! or about the main crate.
//!
//! Sources: the YKOATH protocol (developers.yubico.com/OATH/YKOATH_Protocol.html), ISO/IEC
//! 7816-4 §5 (APDU structure), RFC 4226/6238 (HOTP/TOTP), RFC 2104/2202 (HMAC-SHA1), ykpers'
//! `ykdef.h` (OTP slot commands and report flags), and what Yubico's own host software
//! (yubikit 1.0.0-alpha.0, ykman) sends and expects.

#![forbid(unsafe_code)]

pub mod apdu;
pub mod applet;
pub mod card;
pub mod config;
pub mod connection;
#[cfg(unix)]
pub mod control;
pub mod crypto;
pub mod entropy;
mod error;
pub mod management;
pub mod otp;
pub mod otp_hid;
pub mod presence;
pub mod script;
mod tlv;
pub mod vpcd;

#[cfg(test)]
mod card_tests;
#[cfg(test)]
mod otp_tests;
#[cfg(test)]
mod put_tests;
#[cfg(test)]
mod yubikit_tests;

pub use card::{Power, Reply, Responder, VirtualCard};
pub use config::{
    CardConfig, CredentialConfig, HashAlgorithm, OathType, OtpSlotConfig, OtpSlotMode, OtpSlots,
    TouchPolicy,
};
pub use connection::{CardConnection, VirtualConnection};
pub use error::Error;
pub use otp::{OtpApp, OtpSlot};
pub use otp_hid::{HidFault, OtpHidConfig, OtpHidConnection, OtpHidDevice};
pub use presence::Presence;
pub use script::ScriptedCard;

/// The YKOATH application identifier (YKOATH protocol, "SELECT").
pub const AID_OATH: &[u8] = &[0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];
/// The YubiKey management application, answering READ CONFIG for device discovery.
pub const AID_MANAGEMENT: &[u8] = &[0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17];
/// The YubiKey OTP application over CCID; its SELECT answers the status bytes (version,
/// programming sequence, touch level).
pub const AID_OTP: &[u8] = &[0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01];

/// The ATR of a YubiKey 5 NFC read over NFC. yubikit and ykman 5 treat a card as USB only
/// when the ATR's second byte is `0xFx`; this one (`0x8D`) makes them use short APDUs with
/// 61xx paging, the stricter path, on a reader that is not named "Yubico YubiKey…".
pub const ATR_YUBIKEY_5_NFC: &[u8] = &[
    0x3B, 0x8D, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65,
    0x79, 0xF9,
];

/// The vpcd port of the reader `Virtual PCD 00 00` (`Virtual PCD 00 01` listens on 35964).
pub const VPCD_DEFAULT_PORT: u16 = 35963;

/// The reader name pcscd gives vpcd's first slot; always name it in full, because
/// `Virtual PCD` alone also matches `Virtual PCD 00 01`.
pub const VPCD_READER: &str = "Virtual PCD 00 00";
