//! What a code typed or given by a person may look like: the digits, as tokens and people group
//! them (`123 456`, `123-456`), and the usual mistakes named for what they are (a Yubico OTP pasted
//! where a code goes). One rule for codes typed at the prompt and codes given as flags or JSON, so
//! the two say the same thing; the messages never echo what was typed.

/// Why typed text is not a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Nothing was typed.
    Empty,
    /// A Yubico OTP: what a YubiKey types when touched.
    YubicoOtp {
        /// Its length.
        len: usize,
    },
    /// A digit of another script (Arabic-Indic, …).
    NonAsciiDigit {
        /// 1-based position.
        position: usize,
    },
    /// Something that is not a digit.
    NotDigit {
        /// 1-based position.
        position: usize,
    },
    /// The wrong number of digits.
    Length {
        /// Digits typed.
        digits: usize,
        /// Digits wanted.
        wanted: usize,
    },
}

impl Shape {
    /// What is wrong, to follow the field's name ("--authentication-code-1: …", "the typed code …").
    pub fn problem(&self) -> String {
        match self {
            Shape::Empty => "is empty".into(),
            Shape::YubicoOtp { len } => format!(
                "is a {len}-character Yubico OTP (what a YubiKey types when touched), not a TOTP code"
            ),
            Shape::NonAsciiDigit { position } => {
                format!("character {position} is a digit outside ASCII; IAM takes only 0-9")
            }
            Shape::NotDigit { position } => format!("character {position} is not a digit"),
            Shape::Length { digits, wanted } => {
                format!("has {digits} digits; IAM takes exactly {wanted}")
            }
        }
    }

    /// What to do about it.
    pub fn hint(&self, wanted: usize) -> String {
        match self {
            Shape::YubicoOtp { .. } => "read the TOTP code with `mfa-resync codes` or `ykman oath accounts code`, or let mfa-resync read it (--source yubikey)".into(),
            Shape::Length { .. } => format!(
                "AWS MFA codes are {wanted} digits: check the token, or the seed's `digits` parameter"
            ),
            _ => format!("type the {wanted} digits the token shows (123456, or grouped: 123 456)"),
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(!shape.problem().contains("12"), "{}", shape.problem());
        }
    }
}
