//! The TLV encoding YKOATH uses: one-byte tags and BER lengths (`0x81 n`, `0x82 nn`), plus its
//! one quirk — the PROPERTY tag `0x78` is followed by a single value byte and no length
//! (YKOATH "PUT": `78 02` means "require touch"; yubikit and ykman both send it that way).

use super::apdu::SW_WRONG_DATA;

/// The PROPERTY tag, which carries one byte and no length.
pub const TAG_PROPERTY: u8 = 0x78;

/// Splits command data into `(tag, value)` pairs, or answers `6A80` for a malformed one.
pub fn parse(mut data: &[u8]) -> Result<Vec<(u8, &[u8])>, u16> {
    let mut out = Vec::new();
    while let Some((&tag, rest)) = data.split_first() {
        if tag == TAG_PROPERTY {
            let (value, rest) = rest.split_at_checked(1).ok_or(SW_WRONG_DATA)?;
            out.push((tag, value));
            data = rest;
            continue;
        }
        let (len, rest) = read_len(rest)?;
        let (value, rest) = rest.split_at_checked(len).ok_or(SW_WRONG_DATA)?;
        out.push((tag, value));
        data = rest;
    }
    Ok(out)
}

fn read_len(data: &[u8]) -> Result<(usize, &[u8]), u16> {
    match data {
        [n @ 0..=0x7F, rest @ ..] => Ok((usize::from(*n), rest)),
        [0x81, n, rest @ ..] => Ok((usize::from(*n), rest)),
        [0x82, hi, lo, rest @ ..] => Ok((usize::from(u16::from_be_bytes([*hi, *lo])), rest)),
        _ => Err(SW_WRONG_DATA),
    }
}

/// The value of the first `tag`, if any.
pub fn find<'a>(tlvs: &[(u8, &'a [u8])], tag: u8) -> Option<&'a [u8]> {
    tlvs.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v)
}

/// Appends one TLV with a BER length.
pub fn push(buf: &mut Vec<u8>, tag: u8, value: &[u8]) {
    buf.push(tag);
    let len = value.len();
    if len < 0x80 {
        buf.push(len as u8);
    } else if len <= 0xFF {
        buf.extend_from_slice(&[0x81, len as u8]);
    } else {
        // Values here are at most a few hundred bytes; clamp rather than wrap.
        let len = u16::try_from(len).unwrap_or(u16::MAX);
        buf.push(0x82);
        buf.extend_from_slice(&len.to_be_bytes());
    }
    buf.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_has_no_length() {
        let data = [0x71, 1, b'a', 0x78, 0x02, 0x7A, 4, 0, 0, 0, 5];
        let tlvs = parse(&data).unwrap();
        assert_eq!(
            tlvs,
            vec![
                (0x71, &b"a"[..]),
                (0x78, &[2][..]),
                (0x7A, &[0, 0, 0, 5][..])
            ]
        );
    }

    #[test]
    fn long_lengths_round_trip() {
        for len in [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1234] {
            let mut buf = Vec::new();
            push(&mut buf, 0x72, &vec![7; len]);
            let tlvs = parse(&buf).unwrap();
            assert_eq!(tlvs.len(), 1);
            assert_eq!(tlvs[0].1.len(), len);
        }
    }

    #[test]
    fn truncated_is_6a80() {
        assert_eq!(parse(&[0x71, 5, 1]), Err(SW_WRONG_DATA));
        assert_eq!(parse(&[0x71]), Err(SW_WRONG_DATA));
        assert_eq!(parse(&[0x78]), Err(SW_WRONG_DATA));
        assert_eq!(parse(&[0x71, 0x83, 0, 0, 1]), Err(SW_WRONG_DATA));
    }
}
