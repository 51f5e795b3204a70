//! Command APDU parsing and the status words the virtual card answers, per ISO/IEC 7816-4 §5.1
//! (short and extended length, cases 1–4) and §5.1.1 (command chaining, CLA bit `0x10`).
//!
//! Owns only byte layout: it never decides what a command means. Host software is lenient about
//! `Le` (ykman's Python sends data-bearing commands without one, yubikit always appends `00`),
//! so a missing `Le` is read as "as much as fits", the way a YubiKey treats it.

/// `9000`: success.
pub const SW_OK: u16 = 0x9000;
/// `61xx`: more response data; fetch it with SEND REMAINING / GET RESPONSE (ISO 7816-4 §5.1.3).
pub const SW1_MORE_DATA: u8 = 0x61;
/// `6700`: the APDU's length fields do not add up.
pub const SW_WRONG_LENGTH: u16 = 0x6700;
/// `6883`: a chain was interrupted by a command other than its continuation.
pub const SW_LAST_COMMAND_EXPECTED: u16 = 0x6883;
/// `6982`: locked (no VALIDATE yet), or a touch that never came.
pub const SW_SECURITY_STATUS_NOT_SATISFIED: u16 = 0x6982;
/// `6984`: no such credential, or a SET CODE response that does not verify (YKOATH).
pub const SW_NO_SUCH_OBJECT: u16 = 0x6984;
/// `6985`: nothing to send for SEND REMAINING.
pub const SW_CONDITIONS_NOT_SATISFIED: u16 = 0x6985;
/// `6A80`: malformed data, and a wrong VALIDATE response (YKOATH; ykman checks for this one).
pub const SW_WRONG_DATA: u16 = 0x6A80;
/// `6A82`: no application with that AID (yubikit maps it to "application not available").
pub const SW_FILE_NOT_FOUND: u16 = 0x6A82;
/// `6A84`: no room for another credential.
pub const SW_NO_SPACE: u16 = 0x6A84;
/// `6A86`: P1/P2 not valid for this instruction.
pub const SW_INCORRECT_P1P2: u16 = 0x6A86;
/// `6B00`: wrong parameters (SELECT by anything but DF name).
pub const SW_WRONG_P1P2: u16 = 0x6B00;
/// `6D00`: instruction not supported by the selected application.
pub const SW_INS_NOT_SUPPORTED: u16 = 0x6D00;
/// `6E00`: class not supported (e.g. PC/SC pseudo-APDUs, CLA `FF`).
pub const SW_CLA_NOT_SUPPORTED: u16 = 0x6E00;

/// CLA bit marking "more of this command follows" (ISO 7816-4 §5.1.1).
pub const CLA_CHAINING: u8 = 0x10;

/// One parsed command APDU, borrowing its data from the received bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// Class byte, chaining bit included.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (empty for cases 1 and 2).
    pub data: &'a [u8],
    /// Ne, the most response bytes the host accepts: `Le` decoded (`00` → 256, `0000` → 65536),
    /// or the format's maximum when `Le` is absent.
    pub ne: usize,
    /// Whether the APDU used extended length fields.
    pub extended: bool,
}

impl Command<'_> {
    /// Whether the host said more of this command's data follows.
    pub fn is_chained(&self) -> bool {
        self.cla & CLA_CHAINING != 0
    }
}

const SHORT_MAX: usize = 256;
const EXTENDED_MAX: usize = 65536;

/// Parses a command APDU, or gives the status word to answer a malformed one with.
pub fn parse(bytes: &[u8]) -> Result<Command<'_>, u16> {
    let (header, body) = bytes.split_at_checked(4).ok_or(SW_WRONG_LENGTH)?;
    let &[cla, ins, p1, p2] = header else {
        return Err(SW_WRONG_LENGTH);
    };
    let command = |data, ne, extended| Command {
        cla,
        ins,
        p1,
        p2,
        data,
        ne,
        extended,
    };
    match body {
        // Case 1.
        [] => Ok(command(&[], SHORT_MAX, false)),
        // Case 2S.
        [le] => Ok(command(&[], short_ne(*le), false)),
        // Extended: a zero first byte followed by two more (ISO 7816-4 §5.1, table 1).
        [0, rest @ ..] if rest.len() >= 2 => {
            let (len_field, tail) = rest.split_at(2);
            let n = usize::from(u16::from_be_bytes([len_field[0], len_field[1]]));
            if tail.is_empty() {
                // Case 2E: the two bytes are Le.
                return Ok(command(&[], extended_ne(n), true));
            }
            if n == 0 {
                return Err(SW_WRONG_LENGTH);
            }
            match tail.len().checked_sub(n) {
                Some(0) => Ok(command(tail, EXTENDED_MAX, true)),
                Some(2) => {
                    let (data, le) = tail.split_at(n);
                    let le = usize::from(u16::from_be_bytes([le[0], le[1]]));
                    Ok(command(data, extended_ne(le), true))
                }
                _ => Err(SW_WRONG_LENGTH),
            }
        }
        [lc, rest @ ..] => {
            let n = usize::from(*lc);
            match rest.len().checked_sub(n) {
                // Case 3S.
                Some(0) => Ok(command(rest, SHORT_MAX, false)),
                // Case 4S.
                Some(1) => {
                    let (data, le) = rest.split_at(n);
                    Ok(command(data, short_ne(le[0]), false))
                }
                _ => Err(SW_WRONG_LENGTH),
            }
        }
    }
}

fn short_ne(le: u8) -> usize {
    if le == 0 { SHORT_MAX } else { usize::from(le) }
}

fn extended_ne(le: usize) -> usize {
    if le == 0 { EXTENDED_MAX } else { le }
}

/// An application's answer to one command, before the card pages it: data, status word, and how
/// long the answer is held back (a simulated touch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Response data (without the status word).
    pub data: Vec<u8>,
    /// Status word.
    pub sw: u16,
    /// How long until the card answers.
    pub delay: std::time::Duration,
}

impl Answer {
    /// A bare status word.
    pub fn sw(sw: u16) -> Self {
        Self {
            data: Vec::new(),
            sw,
            delay: std::time::Duration::ZERO,
        }
    }

    /// Data with `9000`.
    pub fn ok(data: Vec<u8>) -> Self {
        Self {
            data,
            sw: SW_OK,
            delay: std::time::Duration::ZERO,
        }
    }
}

/// Appends the status word to response data, giving the bytes a transport carries.
pub fn with_sw(mut data: Vec<u8>, sw: u16) -> Vec<u8> {
    data.extend_from_slice(&sw.to_be_bytes());
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cases() {
        let c = parse(&[0, 0xA4, 4, 0]).unwrap();
        assert_eq!((c.data, c.ne, c.extended), (&[][..], 256, false));
        let c = parse(&[0, 0xA5, 0, 0, 0]).unwrap();
        assert_eq!(c.ne, 256);
        let c = parse(&[0, 0xA5, 0, 0, 0x10]).unwrap();
        assert_eq!(c.ne, 16);
        let c = parse(&[0, 1, 0, 0, 2, 0xAA, 0xBB]).unwrap();
        assert_eq!((c.data, c.ne), (&[0xAA, 0xBB][..], 256));
        let c = parse(&[0x10, 1, 0, 0, 2, 0xAA, 0xBB, 0]).unwrap();
        assert_eq!(c.data, &[0xAA, 0xBB]);
        assert!(c.is_chained());
    }

    #[test]
    fn extended_cases() {
        let c = parse(&[0, 0xA1, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!((c.ne, c.extended), (65536, true));
        let c = parse(&[0, 1, 0, 0, 0, 0, 2, 0xAA, 0xBB]).unwrap();
        assert_eq!((c.data, c.ne, c.extended), (&[0xAA, 0xBB][..], 65536, true));
        let c = parse(&[0, 1, 0, 0, 0, 0, 2, 0xAA, 0xBB, 0x01, 0x00]).unwrap();
        assert_eq!((c.data, c.ne), (&[0xAA, 0xBB][..], 256));
    }

    #[test]
    fn malformed_lengths_answer_6700() {
        for bad in [
            &[][..],
            &[0, 1, 2],
            &[0, 1, 0, 0, 3, 1],
            &[0, 1, 0, 0, 1, 1, 2, 3],
            &[0, 1, 0, 0, 0, 0, 0, 1],
            &[0, 1, 0, 0, 0, 0, 2, 1, 2, 3],
        ] {
            assert_eq!(parse(bad), Err(SW_WRONG_LENGTH), "{bad:02x?}");
        }
    }
}
