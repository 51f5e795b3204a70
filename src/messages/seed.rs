//! A seed or a typed code that cannot be used, in words: what is wrong with a seed file, a seed's
//! text or a typed line, and what to do. Never the seed or the code: the errors hold neither.

use std::fmt;

use crate::files::{FileProblem, io_reason};
use crate::model::Shape;
use crate::source::otpauth::{Base32Problem, ParseError};
use crate::source::{SeedFileProblem, SeedFrom, SeedProblem, TypedProblem};

impl fmt::Display for SeedFileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedFileProblem::Open(problem) | SeedFileProblem::Read(problem) => {
                write!(f, "{problem}")
            }
            SeedFileProblem::Loose { mode } => write!(
                f,
                "is accessible by group or others (mode {mode:03o}); a seed is as secret as the token"
            ),
            SeedFileProblem::NotYours { owner, me } => write!(
                f,
                "is owned by uid {owner} and you are uid {me}; a seed file must be your own"
            ),
            SeedFileProblem::Large { len } => {
                write!(f, "is {len} bytes; a seed is at most a few hundred")
            }
            SeedFileProblem::NotUtf8 => f.write_str("the seed is not valid UTF-8 text"),
        }
    }
}

impl SeedFileProblem {
    pub(super) fn hint(&self, path: &std::path::Path) -> String {
        match self {
            SeedFileProblem::Open(FileProblem::Open(e))
                if e.kind() == std::io::ErrorKind::NotFound =>
            {
                "check the path (a relative path is taken from the current directory)".into()
            }
            SeedFileProblem::Open(FileProblem::Open(e))
                if e.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                "the file must be readable by you (chmod 600)".into()
            }
            SeedFileProblem::Open(FileProblem::NotRegular(_)) => {
                "give the path of the regular file that holds the seed (a FIFO or a device is never read)".into()
            }
            SeedFileProblem::Open(_) => "check the path".into(),
            SeedFileProblem::Loose { .. } => format!("chmod 600 {}", path.display()),
            SeedFileProblem::NotYours { .. } => {
                "copy it to a file of your own with mode 600, or chown it to yourself".into()
            }
            SeedFileProblem::Large { .. } => {
                "give the file that holds only the base32 key or the otpauth:// URI".into()
            }
            SeedFileProblem::Read(_) | SeedFileProblem::NotUtf8 => {
                "the file must hold the base32 key or the otpauth:// URI, as UTF-8 text".into()
            }
        }
    }
}

impl fmt::Display for SeedFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedFrom::File(path) => write!(f, "--seed-file {}", path.display()),
            SeedFrom::Env(var) => write!(f, "--seed-env {var}"),
            SeedFrom::Terminal | SeedFrom::Pipe => f.write_str("--seed-stdin"),
        }
    }
}

impl fmt::Display for SeedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedProblem::Unset => f.write_str("the environment variable is not set"),
            SeedProblem::NotUtf8 => f.write_str("the seed is not valid UTF-8 text"),
            SeedProblem::Unreadable(reason) => write!(f, "cannot be read ({reason})"),
            SeedProblem::Empty => f.write_str("the seed is empty"),
            SeedProblem::TooLong { limit } => {
                write!(f, "is over {limit} bytes; a seed is at most a few hundred")
            }
            SeedProblem::Parse(e) => write!(f, "the seed {e}"),
            SeedProblem::Unusable(detail) => {
                write!(f, "the seed is not usable for TOTP ({detail})")
            }
        }
    }
}

impl SeedProblem {
    pub(super) fn hint(&self, from: &SeedFrom) -> String {
        const PASTE: &str = "paste the base32 key or the otpauth:// URI, then Enter";
        const PIPE: &str =
            "pipe the base32 key or the otpauth:// URI, e.g. `--seed-stdin < seed.txt`";
        match (self, from) {
            (SeedProblem::Unset, SeedFrom::Env(var)) => {
                format!(
                    "export {var} with the base32 key or the otpauth:// URI, or use --seed-file"
                )
            }
            (SeedProblem::NotUtf8, SeedFrom::Env(_)) => {
                "the variable must hold the base32 key or the otpauth:// URI".into()
            }
            (SeedProblem::Unreadable(_), SeedFrom::Terminal) => "run again".into(),
            (SeedProblem::TooLong { .. }, SeedFrom::Terminal) => {
                "paste only the base32 key or the otpauth:// URI, then Enter".into()
            }
            (
                SeedProblem::NotUtf8 | SeedProblem::Empty | SeedProblem::Unset,
                SeedFrom::Terminal,
            ) => PASTE.into(),
            (SeedProblem::Parse(e), _) => e.hint().into(),
            (SeedProblem::Unusable(_), _) => "copy the secret key again, whole".into(),
            _ => PIPE.into(),
        }
    }
}

impl fmt::Display for TypedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypedProblem::Shape { shape, .. } => write!(f, "the typed code {shape}"),
            TypedProblem::TooLong { limit, .. } => write!(
                f,
                "the typed line is longer than a code (over {limit} bytes)"
            ),
            TypedProblem::Ended => f.write_str("standard input ended before the code was typed"),
            TypedProblem::NoCode => f.write_str("no code was typed"),
            TypedProblem::Unchanged => f.write_str(
                "code 2 is the same as code 1; the codes must come from two consecutive windows",
            ),
            TypedProblem::StillUnchanged => {
                f.write_str("the token still showed the same code more than a window after code 1")
            }
            TypedProblem::TooLate {
                after_millis,
                period_secs,
                margin_secs,
            } => write!(
                f,
                "code 2 came {:.1} s after code 1, more than a window ({period_secs} s) and {margin_secs} s to react: the token may have changed twice in between, so the pair was not sent",
                *after_millis as f64 / 1000.0
            ),
            TypedProblem::AlreadySent => f.write_str(
                "a typed code was already sent in an earlier attempt; codes are single-use",
            ),
        }
    }
}

impl TypedProblem {
    pub(super) fn hint(&self) -> String {
        match self {
            TypedProblem::Shape { shape, digits } => shape.hint(*digits),
            TypedProblem::TooLong { digits, .. } => {
                format!("type the {digits} digits the token shows, then Enter")
            }
            TypedProblem::Ended => {
                "type the code at the prompt, or pipe both codes on separate lines".into()
            }
            TypedProblem::NoCode => "type the 6 digits the token shows".into(),
            TypedProblem::Unchanged => {
                "wait until the token shows a new code, then run again".into()
            }
            TypedProblem::StillUnchanged => {
                "check that it is the TOTP token of this device (an event-based token changes only when pressed), then run again".into()
            }
            TypedProblem::AlreadySent => "wait for the token's next codes and run again".into(),
            TypedProblem::TooLate {
                period_secs,
                margin_secs,
                ..
            } => format!(
                "run again, and type code 2 as soon as the token shows it (within {} s of code 1)",
                period_secs + margin_secs
            ),
        }
    }
}

/// What is wrong with text typed or given as a code, to follow the field's name
/// ("--authentication-code-1: …", "the typed code …").
impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Empty => f.write_str("is empty"),
            Shape::YubicoOtp { len } => write!(
                f,
                "is a {len}-character Yubico OTP (what a YubiKey types when touched), not a TOTP code"
            ),
            Shape::NonAsciiDigit { position } => write!(
                f,
                "character {position} is a digit outside ASCII; IAM takes only 0-9"
            ),
            Shape::NotDigit { position } => write!(f, "character {position} is not a digit"),
            Shape::Length { digits, wanted } => {
                write!(f, "has {digits} digits; IAM takes exactly {wanted}")
            }
        }
    }
}

impl Shape {
    /// What to do about it, for a code of `wanted` digits.
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

/// What is wrong with a seed's text, to follow "the seed" (never its content).
impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => f.write_str("is empty"),
            ParseError::NotOtpauth => f.write_str("is a URI but not an otpauth:// one"),
            ParseError::Base32 { in_uri, problem } => {
                if *in_uri {
                    f.write_str("secret ")?;
                }
                write!(f, "{problem}")
            }
            ParseError::NoLabel => f.write_str("is an otpauth:// URI without a label"),
            ParseError::Hotp => f.write_str(
                "is an HOTP (counter-based) otpauth:// URI; IAM resyncs time-based (TOTP) devices",
            ),
            ParseError::NotTotp => f.write_str("has an otpauth:// type other than totp"),
            ParseError::TwoSecrets => f.write_str("has two secret parameters"),
            ParseError::Algorithm => f.write_str("has an unsupported algorithm parameter"),
            ParseError::Digits => f.write_str("has a digits parameter other than 6, 7 or 8"),
            ParseError::Period => {
                f.write_str("has a period parameter other than 1 to 3600 seconds")
            }
            ParseError::NoSecret => f.write_str("is an otpauth:// URI without a secret parameter"),
            ParseError::NotUtf8 { what } => write!(
                f,
                "has {what} percent-encoded as something other than UTF-8"
            ),
        }
    }
}

impl ParseError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ParseError::Empty => "put the base32 secret key or the otpauth:// URI in it",
            ParseError::NotOtpauth => {
                "give the otpauth://totp/… URI from the QR code, or the base32 secret key"
            }
            ParseError::Base32 { problem, .. } => problem.hint(),
            ParseError::NoLabel
            | ParseError::TwoSecrets
            | ParseError::NoSecret
            | ParseError::NotUtf8 { .. } => "use the URI from the QR code as it is",
            ParseError::Hotp | ParseError::NotTotp => "use the otpauth://totp/… URI of the device",
            ParseError::Algorithm => {
                "TOTP uses algorithm=SHA1, SHA256 or SHA512 (RFC 6238); AWS devices use SHA1"
            }
            ParseError::Digits => "AWS devices use digits=6",
            ParseError::Period => "AWS devices use period=30",
        }
    }
}

impl fmt::Display for Base32Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Base32Problem::Character { position } => write!(
                f,
                "is not base32: character {position} is outside A-Z and 2-7"
            ),
            Base32Problem::PaddingInside => f.write_str("is not base32: padding '=' in the middle"),
            Base32Problem::Short { bits } => write!(
                f,
                "holds a {bits}-bit key; RFC 4226 §4 requires at least 128 bits"
            ),
        }
    }
}

impl Base32Problem {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Base32Problem::Character { .. } => {
                "copy the secret key again (AWS shows it under \"Show secret key\"); 0, 1, 8 and 9 never occur in base32"
            }
            Base32Problem::PaddingInside => "copy the secret key again, whole",
            Base32Problem::Short { .. } => "copy the whole secret key (AWS's are 64 characters)",
        }
    }
}

/// Why a file named as input cannot be read, in the OS's words.
impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileProblem::Open(e) => write!(f, "cannot be opened ({})", io_reason(e)),
            FileProblem::NotRegular(what) => write!(f, "is {what}, not a regular file"),
            FileProblem::TooBig { limit } => write!(f, "is over {limit} bytes"),
            FileProblem::Read(e) => write!(f, "cannot be read ({})", io_reason(e)),
        }
    }
}
