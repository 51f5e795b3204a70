//! One-time codes: [`AuthCode`], a code as IAM takes it (six digits, wiped on drop, never shown by
//! `Debug`), and what a code typed or given by a person may look like: the digits, as tokens and
//! people group them (`123 456`, `123-456`), and the usual mistakes named for what they are (a
//! Yubico OTP pasted where a code goes). One rule for codes typed at the prompt and codes given as
//! flags or JSON, so the two say the same thing; the messages never echo what was typed.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::input::{Field, InputError, Problem, Shape};

/// A Yubico OTP is 32 to 48 modhex characters (`cbdefghijklnrtuv`), typed by the key's OTP slot.
fn looks_like_yubico_otp(value: &str) -> bool {
    (32..=64).contains(&value.len()) && value.chars().all(|c| "cbdefghijklnrtuv".contains(c))
}

/// The digits of `text`, a code of `wanted` digits as a person types it: surrounding white space
/// ignored, and one space or hyphen between its two halves (`123 456`, `123-456`) allowed.
pub fn digits(text: &str, wanted: usize) -> Result<String, Shape> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Shape::Empty);
    }
    if looks_like_yubico_otp(text) {
        return Err(Shape::YubicoOtp { len: text.len() });
    }
    let half = wanted / 2;
    let grouped = text.len() == wanted + 1
        && wanted.is_multiple_of(2)
        && text.is_char_boundary(half)
        && matches!(text.as_bytes().get(half), Some(b' ' | b'-'));
    let joined: String = if grouped {
        text.chars()
            .enumerate()
            .filter(|&(i, _)| i != half)
            .map(|(_, c)| c)
            .collect()
    } else {
        text.to_string()
    };
    if let Some((i, c)) = joined
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_digit())
    {
        // Positions refer to what was typed, so count the separator back in.
        let position = if grouped && i >= half { i + 2 } else { i + 1 };
        return Err(if c.is_numeric() {
            Shape::NonAsciiDigit { position }
        } else {
            Shape::NotDigit { position }
        });
    }
    if joined.len() != wanted {
        return Err(Shape::Length {
            digits: joined.len(),
            wanted,
        });
    }
    Ok(joined)
}

/// A one-time code as IAM takes it: exactly 6 ASCII digits.
///
/// Codes are single-use credentials: the value is wiped on drop and never printed by `Debug`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct AuthCode(String);

impl fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthCode(******)")
    }
}

/// The digits IAM accepts in a code.
pub const IAM_CODE_DIGITS: usize = 6;

impl AuthCode {
    /// Checks that `value` is a 6-digit code (grouped `123 456` or `123-456` is fine); the message
    /// never echoes the value.
    pub fn parse(value: &str, field: Field) -> Result<Self, InputError> {
        digits(value, IAM_CODE_DIGITS)
            .map(AuthCode)
            .map_err(|shape| InputError::invalid(field, Problem::Code(shape)))
    }

    /// The digits, for the request and for `codes` output only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    #[test]
    fn codes_are_taken_as_people_group_them() {
        for typed in ["123456", " 123456\n", "123 456", "123-456"] {
            assert_eq!(digits(typed, 6).unwrap(), "123456", "{typed:?}");
        }
        assert_eq!(digits("1234 5678", 8).unwrap(), "12345678");
    }

    #[test]
    fn mistakes_are_named_without_echoing() {
        assert_eq!(digits("", 6), Err(Shape::Empty));
        assert_eq!(
            digits("12 3456", 6),
            Err(Shape::NotDigit { position: 3 }),
            "only the middle is a group boundary"
        );
        assert_eq!(digits("123 45a", 6), Err(Shape::NotDigit { position: 7 }));
        assert_eq!(digits("123  456", 6), Err(Shape::NotDigit { position: 4 }));
        assert_eq!(
            digits("12345", 6),
            Err(Shape::Length {
                digits: 5,
                wanted: 6
            })
        );
        assert_eq!(
            digits("١٢٣٤٥٦", 6),
            Err(Shape::NonAsciiDigit { position: 1 })
        );
        let otp = "cccccckdvvulethkhtturttefcbbvbkhbcgbdfhtfiun";
        assert_eq!(digits(otp, 6), Err(Shape::YubicoOtp { len: 44 }));
        for shape in [Shape::Empty, Shape::NotDigit { position: 2 }] {
            assert!(!shape.to_string().contains("12"), "{shape}");
        }
    }

    #[test]
    fn codes_are_six_ascii_digits_and_never_echoed() {
        let f = Field::request(
            "--authentication-code-1",
            "AuthenticationCode1",
            Origin::Flag,
        );
        for good in ["123456", "123 456", "123-456"] {
            assert_eq!(AuthCode::parse(good, f.clone()).unwrap().expose(), "123456");
        }
        for bad in [
            "12345",
            "1234567",
            "",
            "12345a",
            "١٢٣٤٥٦",
            "12 3456",
            "123 45a",
        ] {
            let err = AuthCode::parse(bad, f.clone()).unwrap_err();
            assert!(
                err.to_string().starts_with("--authentication-code-1"),
                "{err}"
            );
            if !bad.is_empty() {
                assert!(!err.to_string().contains(bad), "{err} echoes the code");
            }
        }
        let otp = "cccccckdvvulethkhtturttefcbbvbkhbcgbdfhtfiun";
        let err = AuthCode::parse(otp, f).unwrap_err();
        assert!(err.to_string().contains("Yubico OTP"), "{err}");
        assert_eq!(
            format!(
                "{:?}",
                AuthCode::parse(
                    "123456",
                    Field::request(
                        "--authentication-code-2",
                        "AuthenticationCode2",
                        Origin::Json
                    )
                )
                .unwrap()
            ),
            "AuthCode(******)"
        );
    }
}
