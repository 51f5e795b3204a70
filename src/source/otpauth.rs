//! Seeds as people have them: a bare base32 string (AWS's "show secret key") or an `otpauth://` URI
//! (what the QR code holds, Google Authenticator's Key Uri Format).
//!
//! This module owns parsing only: it turns text into [`SeedParams`] and says precisely what is wrong
//! without ever echoing the secret. It does not read files or compute codes.

use totp_rs::Algorithm;
use zeroize::{Zeroize, Zeroizing};

/// A parsed seed: the key and how codes are made from it.
pub struct SeedParams {
    /// The raw key (decoded base32), wiped on drop.
    pub secret: Zeroizing<Vec<u8>>,
    /// The HMAC.
    pub algorithm: Algorithm,
    /// Digits per code (6 to 8).
    pub digits: u32,
    /// Seconds per window.
    pub period: u64,
    /// The issuer, from the URI's `issuer` parameter or label prefix.
    pub issuer: Option<String>,
    /// The account name, from the URI's label.
    pub account: Option<String>,
}

impl std::fmt::Debug for SeedParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedParams")
            .field("secret", &format_args!("<{} bytes>", self.secret.len()))
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .finish()
    }
}

/// Why a seed does not parse; never holds the secret (the words are the catalogue's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing there.
    Empty,
    /// A URI of another scheme.
    NotOtpauth,
    /// The base32 key (bare, or the URI's `secret`) does not decode.
    Base32 {
        /// Whether it was the URI's `secret` parameter.
        in_uri: bool,
        /// What is wrong with it.
        problem: Base32Problem,
    },
    /// `otpauth://` without a label.
    NoLabel,
    /// `otpauth://hotp/…`.
    Hotp,
    /// `otpauth://` of another type.
    NotTotp,
    /// Two `secret` parameters.
    TwoSecrets,
    /// An `algorithm` other than SHA1, SHA256 or SHA512.
    Algorithm,
    /// `digits` other than 6, 7 or 8.
    Digits,
    /// `period` other than 1 to 3600.
    Period,
    /// No `secret` parameter.
    NoSecret,
    /// The label or issuer percent-decodes to something other than UTF-8.
    NotUtf8 {
        /// `the label`, `the issuer`.
        what: &'static str,
    },
}

/// What is wrong with a base32 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base32Problem {
    /// A character outside the alphabet, at this 1-based position.
    Character {
        /// Its position.
        position: usize,
    },
    /// `=` before the end.
    PaddingInside,
    /// Fewer than 128 bits.
    Short {
        /// The bits there are.
        bits: usize,
    },
}

/// Parses `text` (already trimmed) as an `otpauth://` URI or a bare base32 seed.
pub fn parse(text: &str) -> Result<SeedParams, ParseError> {
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    let lower_prefix = text.get(..10).map(str::to_ascii_lowercase);
    if lower_prefix.as_deref() == Some("otpauth://") {
        parse_uri(text)
    } else if text.contains("://") {
        Err(ParseError::NotOtpauth)
    } else {
        Ok(SeedParams {
            secret: decode_base32(text).map_err(|problem| ParseError::Base32 {
                in_uri: false,
                problem,
            })?,
            algorithm: Algorithm::SHA1,
            digits: 6,
            period: 30,
            issuer: None,
            account: None,
        })
    }
}

/// RFC 4648 base32, as authenticators accept it: any case, spaces, hyphens and `=` padding ignored.
/// Over bytes (a percent-decoded parameter is bytes); a position is a byte's.
pub fn decode_base32(text: impl AsRef<[u8]>) -> Result<Zeroizing<Vec<u8>>, Base32Problem> {
    let text = text.as_ref();
    let mut bits: u64 = 0;
    let mut nbits = 0u32;
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8 + 1));
    let mut seen_padding = false;
    for (pos, &c) in text.iter().enumerate() {
        let value = match c {
            b'A'..=b'Z' => u64::from(c - b'A'),
            b'a'..=b'z' => u64::from(c - b'a'),
            b'2'..=b'7' => u64::from(c - b'2') + 26,
            b' ' | b'-' | b'\t' => continue,
            b'=' => {
                seen_padding = true;
                continue;
            }
            _ => return Err(Base32Problem::Character { position: pos + 1 }),
        };
        if seen_padding {
            return Err(Base32Problem::PaddingInside);
        }
        bits = (bits << 5) | value;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    // The leftover bits are part of the key too.
    bits.zeroize();
    if out.len() < 16 {
        return Err(Base32Problem::Short {
            bits: out.len() * 8,
        });
    }
    Ok(out)
}

fn parse_uri(text: &str) -> Result<SeedParams, ParseError> {
    let rest = &text["otpauth://".len()..];
    let (kind, rest) = rest.split_once('/').ok_or(ParseError::NoLabel)?;
    match kind.to_ascii_lowercase().as_str() {
        "totp" => {}
        "hotp" => return Err(ParseError::Hotp),
        _ => return Err(ParseError::NotTotp),
    }
    let (label, query) = rest.split_once('?').unwrap_or((rest, ""));
    let label = decode_component(label, "the label")?;
    let (label_issuer, account) = match label.split_once(':') {
        Some((issuer, account)) => (Some(issuer.trim().to_string()), account.trim().to_string()),
        None => (None, label.trim().to_string()),
    };

    let mut secret = None;
    let mut issuer = None;
    let mut algorithm = Algorithm::SHA1;
    let mut digits = 6;
    let mut period = 30;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key.to_ascii_lowercase().as_str() {
            "secret" if secret.is_some() => return Err(ParseError::TwoSecrets),
            "secret" => {
                let decoded = percent_decode(value);
                let in_uri = |problem| ParseError::Base32 {
                    in_uri: true,
                    problem,
                };
                secret = Some(decode_base32(decoded.as_slice()).map_err(in_uri)?);
            }
            "issuer" => issuer = Some(decode_component(value, "the issuer")?),
            "algorithm" => algorithm = value.parse().map_err(|_| ParseError::Algorithm)?,
            "digits" => {
                digits = match value.parse::<u32>() {
                    Ok(d @ 6..=8) => d,
                    _ => return Err(ParseError::Digits),
                }
            }
            "period" => {
                period = match value.parse::<u64>() {
                    Ok(p @ 1..=3600) => p,
                    _ => return Err(ParseError::Period),
                }
            }
            // `image`, `counter` and vendor parameters do not change the codes.
            _ => {}
        }
    }
    let secret = secret.ok_or(ParseError::NoSecret)?;
    Ok(SeedParams {
        secret,
        algorithm,
        digits,
        period,
        issuer: issuer.or(label_issuer).filter(|s| !s.is_empty()),
        account: Some(account).filter(|s| !s.is_empty()),
    })
}

/// A label or issuer, percent-decoded (these are not secret; a `String` is fine).
fn decode_component(value: &str, what: &'static str) -> Result<String, ParseError> {
    String::from_utf8(percent_decode(value).to_vec()).map_err(|_| ParseError::NotUtf8 { what })
}

/// RFC 3986 percent-decoding, with `+` as a space (as form-encoded query strings have it), into a
/// buffer wiped on drop: the secret parameter passes through here, and no intermediate `String`
/// (as `replace('+', " ")` made) is left behind. A `%` not followed by two hex digits stays as it is.
fn percent_decode(value: &str) -> Zeroizing<Vec<u8>> {
    let bytes = value.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_parameter_value_is_echoed() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        for bad in [
            format!("otpauth://totp/x?digits=6;secret={secret}"),
            format!("otpauth://totp/x?period=30;secret={secret}"),
            format!("otpauth://totp/x?algorithm=SHA1;secret={secret}"),
            format!("otpauth://totp/x?secret={secret}1"),
        ] {
            let e = parse(&bad).unwrap_err();
            let text = format!("{e} {}", e.hint());
            assert!(
                !text.contains("GEZD") && !text.contains("secret="),
                "{text}"
            );
        }
    }

    #[test]
    fn percent_and_plus_are_decoded() {
        assert_eq!(percent_decode("a+b%20c%2Bd%zz%").as_slice(), b"a b c+d%zz%");
        let p = parse("otpauth://totp/Amazon+Web%20Services:al%40ice?secret=GEZD%47NBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(p.issuer.as_deref(), Some("Amazon Web Services"));
        assert_eq!(p.account.as_deref(), Some("al@ice"));
        assert_eq!(p.secret.as_slice(), b"12345678901234567890");
    }

    #[test]
    fn base32_is_decoded_leniently() {
        // RFC 4648 §10: "MZXW6YTBOI======" is "foobar"; here a 20-byte key.
        let key = decode_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(key.as_slice(), b"12345678901234567890");
        let spaced = decode_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap();
        assert_eq!(spaced.as_slice(), b"12345678901234567890");
    }

    #[test]
    fn base32_errors_do_not_echo_the_seed() {
        let e = decode_base32("GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ").unwrap_err();
        assert!(e.to_string().contains("character 16"), "{e}");
        assert!(!e.to_string().contains("GEZD"));
        assert!(
            decode_base32("GEZDGNBV")
                .unwrap_err()
                .to_string()
                .contains("40-bit")
        );
    }

    #[test]
    fn aws_uris_parse() {
        let uri = "otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services";
        let p = parse(uri).unwrap();
        assert_eq!(p.issuer.as_deref(), Some("Amazon Web Services"));
        assert_eq!(p.account.as_deref(), Some("alice@123456789012"));
        assert_eq!((p.digits, p.period, p.algorithm), (6, 30, Algorithm::SHA1));
    }

    #[test]
    fn uri_parameters_are_honoured_or_refused() {
        let base = "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let p = parse(&format!("{base}&digits=8&period=60&algorithm=SHA256")).unwrap();
        assert_eq!(
            (p.digits, p.period, p.algorithm),
            (8, 60, Algorithm::SHA256)
        );
        assert!(
            parse(&format!("{base}&algorithm=MD5"))
                .unwrap_err()
                .to_string()
                .contains("unsupported algorithm")
        );
        assert!(parse(&format!("{base}&digits=5")).is_err());
        assert!(parse(&format!("{base}&period=0")).is_err());
        assert!(
            parse("otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=1")
                .unwrap_err()
                .to_string()
                .contains("HOTP")
        );
        assert!(
            parse("otpauth://totp/x?issuer=a")
                .unwrap_err()
                .to_string()
                .contains("without a secret")
        );
        assert!(parse("https://example.com/").is_err());
    }
}
