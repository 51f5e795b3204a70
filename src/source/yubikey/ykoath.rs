//! YKOATH on the wire: instruction and tag numbers, BER-TLV framing and credential ids, parsed
//! defensively (a key's answer is untrusted input). Source: Yubico's YKOATH protocol
//! (developers.yubico.com/OATH/YKOATH_Protocol.html).

use super::Account;
use crate::source::DeviceError;

/// LIST: every credential's type and id.
pub const INS_LIST: u8 = 0xA1;
/// CALCULATE one credential for a challenge.
pub const INS_CALCULATE: u8 = 0xA2;
/// CALCULATE ALL: every credential at once (touch ones answer TAG_TOUCH).
pub const INS_CALCULATE_ALL: u8 = 0xA4;
/// A credential id.
pub const TAG_NAME: u8 = 0x71;
/// A LIST entry: type|algorithm, then the id.
pub const TAG_NAME_LIST: u8 = 0x72;
/// The challenge: for TOTP, the 8-byte big-endian counter.
pub const TAG_CHALLENGE: u8 = 0x74;
/// A truncated code: digits, then 4 bytes.
pub const TAG_TRUNCATED: u8 = 0x76;
/// An HOTP credential in CALCULATE ALL (no code given).
pub const TAG_HOTP: u8 = 0x77;
/// A touch credential in CALCULATE ALL (no code given).
pub const TAG_TOUCH: u8 = 0x7C;
/// The type nibble of a LIST entry.
pub const TYPE_MASK: u8 = 0xF0;
/// HOTP.
pub const TYPE_HOTP: u8 = 0x10;
/// TOTP.
pub const TYPE_TOTP: u8 = 0x20;
/// The algorithm nibble of a LIST entry.
pub const ALGORITHM_MASK: u8 = 0x0F;
/// HMAC-SHA1 (the other values: 2 SHA-256, 3 SHA-512).
pub const ALG_SHA1: u8 = 0x01;
/// A touch credential's CALCULATE without a touch in time, and a locked session's commands.
pub const SW_SECURITY: u16 = 0x6982;
/// A touch credential's CALCULATE without a touch in time (some firmware).
pub const SW_CONDITIONS: u16 = 0x6985;
/// A full applet answers PUT with this (YKOATH: "no space").
pub const SW_NO_SPACE: u16 = 0x6A84;
/// DELETE (or CALCULATE) of an id the key does not hold (YKOATH: "no such object", `6984`).
pub const SW_NO_SUCH_OBJECT: u16 = 0x6984;
/// The first firmware that honours PUT's "require touch" property (ykman refuses `--touch` below
/// it; an older applet stores the credential and never asks for the touch).
pub const TOUCH_SINCE: (u8, u8, u8) = (4, 2, 6);
/// The first firmware with room for 64 credentials; before it, 32 (Yubico, YubiKey 5.7 release
/// notes; a full applet answers PUT with [`SW_NO_SPACE`]).
pub const BIG_APPLET_SINCE: (u8, u8, u8) = (5, 7, 0);

/// How many credentials an OATH applet of firmware `version` holds.
pub fn capacity(version: (u8, u8, u8)) -> usize {
    if version >= BIG_APPLET_SINCE { 64 } else { 32 }
}

/// `[period/][issuer:]name` (YKOATH credential id; the period only when it is not 30). The
/// algorithm is LIST's to say (SHA-1 until it does), the digits CALCULATE_ALL's.
pub fn parse_id(id: &[u8], totp: bool) -> Account {
    let text = String::from_utf8_lossy(id).into_owned();
    let (period, rest) = match text.split_once('/') {
        // A period no clock can use (0, or past u32) is 0: no AWS credential's, never 30.
        Some((p, rest)) if totp && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            (p.parse::<u32>().unwrap_or(0), rest.to_string())
        }
        _ => (30, text.clone()),
    };
    let (issuer, name) = match rest.split_once(':') {
        Some((issuer, name)) if !issuer.is_empty() => (Some(issuer.to_string()), name.to_string()),
        _ => (None, rest),
    };
    Account {
        id: id.to_vec(),
        issuer,
        name,
        totp,
        period: if totp { period } else { 0 },
        algorithm: ALG_SHA1,
        digits: None,
        touch: false,
    }
}

/// One BER-TLV with a one-byte tag (YKOATH uses lengths below 256, with `81 xx` past 127).
pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

/// Parses a run of one-byte-tag TLVs, refusing any length past the end.
pub fn tlvs(data: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&tag, after_tag)) = rest.split_first() {
        let (len, after_len) = match after_tag {
            [n @ 0..=0x7F, tail @ ..] => (usize::from(*n), tail),
            [0x81, n, tail @ ..] => (usize::from(*n), tail),
            [0x82, hi, lo, tail @ ..] => ((usize::from(*hi) << 8) | usize::from(*lo), tail),
            _ => return Err("a TLV with a bad length".into()),
        };
        if after_len.len() < len {
            return Err(format!(
                "a TLV of {len} bytes with {} left",
                after_len.len()
            ));
        }
        let (value, tail) = after_len.split_at(len);
        out.push((tag, value));
        rest = tail;
    }
    Ok(out)
}

/// Runs a yubikit call so that a panic on a malformed answer becomes an error, silently: the
/// device is untrusted input. `to` says what was answered with garbage ("to PUT on YubiKey 1").
pub fn shield<T>(to: impl std::fmt::Display, f: impl FnOnce() -> T) -> Result<T, DeviceError> {
    use std::cell::Cell;
    use std::sync::Once;
    thread_local!(static SHIELDED: Cell<bool> = const { Cell::new(false) });
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !SHIELDED.with(Cell::get) {
                default(info);
            }
        }));
    });
    let previous = SHIELDED.with(|s| s.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    SHIELDED.with(|s| s.set(previous));
    result.map_err(|_| DeviceError::Malformed {
        what: format!("garbage {to}"),
    })
}
