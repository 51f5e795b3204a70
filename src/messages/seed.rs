//! A seed or a typed code that cannot be used, in words: what is wrong with a seed file, a seed's
//! text or a typed line, and what to do. Never the seed or the code: the errors hold neither.

use std::fmt;
use std::io::ErrorKind;
use std::path::Path;

use super::words;
use crate::files::{FileProblem, io_reason};
use crate::model::Shape;
use crate::source::otpauth::{Base32Problem, ParseError};
use crate::source::{SeedFileProblem, SeedFrom, SeedProblem, TypedProblem};

const NOT_UTF8: &str = "the seed is not valid UTF-8 text";
const PASTE: &str = "paste the base32 key or the otpauth:// URI, then Enter";

impl SeedFileProblem {
    /// The problem, to follow the file's name, and the hint, for the file at `path`.
    pub(super) fn words(&self, path: &Path) -> (String, String) {
        const SEED_TEXT: &str =
            "the file must hold the base32 key or the otpauth:// URI, as UTF-8 text";
        match self {
            SeedFileProblem::Open(problem) => words(
                problem.to_string(),
                match problem {
                    FileProblem::Open(e) if e.kind() == ErrorKind::NotFound => {
                        "check the path (a relative path is taken from the current directory)"
                    }
                    FileProblem::Open(e) if e.kind() == ErrorKind::PermissionDenied => {
                        "the file must be readable by you (chmod 600)"
                    }
                    FileProblem::NotRegular(_) => {
                        "give the path of the regular file that holds the seed (a FIFO or a device is never read)"
                    }
                    _ => "check the path",
                },
            ),
            SeedFileProblem::Read(problem) => words(problem.to_string(), SEED_TEXT),
            SeedFileProblem::Loose { mode } => words(
                format!(
                    "is accessible by group or others (mode {mode:03o}); a seed is as secret as the token"
                ),
                format!("chmod 600 {}", path.display()),
            ),
            SeedFileProblem::NotYours { owner, me } => words(
                format!(
                    "is owned by uid {owner} and you are uid {me}; a seed file must be your own"
                ),
                "copy it to a file of your own with mode 600, or chown it to yourself",
            ),
            SeedFileProblem::Large { len } => words(
                format!("is {len} bytes; a seed is at most a few hundred"),
                "give the file that holds only the base32 key or the otpauth:// URI",
            ),
            SeedFileProblem::NotUtf8 => words(NOT_UTF8, SEED_TEXT),
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

impl SeedProblem {
    /// The problem, to follow where the seed came from (`from`), and the hint, which depends on it.
    pub(super) fn words(&self, from: &SeedFrom) -> (String, String) {
        const PIPE: &str =
            "pipe the base32 key or the otpauth:// URI, e.g. `--seed-stdin < seed.txt`";
        let at_terminal = |hint: &str| match from {
            SeedFrom::Terminal => hint.to_string(),
            _ => PIPE.to_string(),
        };
        match self {
            SeedProblem::Unset => match from {
                SeedFrom::Env(var) => (
                    format!("the environment variable {var} is not set"),
                    format!(
                        "export {var} with the base32 key or the otpauth:// URI, or use --seed-file"
                    ),
                ),
                _ => (
                    "the environment variable is not set".into(),
                    at_terminal(PASTE),
                ),
            },
            SeedProblem::NotUtf8 => (
                NOT_UTF8.into(),
                match from {
                    SeedFrom::Env(_) => {
                        "the variable must hold the base32 key or the otpauth:// URI".into()
                    }
                    _ => at_terminal(PASTE),
                },
            ),
            SeedProblem::Unreadable(reason) => (
                format!("cannot be read ({reason})"),
                at_terminal("run again"),
            ),
            SeedProblem::Empty => ("the seed is empty".into(), at_terminal(PASTE)),
            SeedProblem::TooLong { limit } => (
                format!("is over {limit} bytes; a seed is at most a few hundred"),
                at_terminal("paste only the base32 key or the otpauth:// URI, then Enter"),
            ),
            SeedProblem::Parse(e) => words(format!("the seed {e}"), e.hint()),
            SeedProblem::Unusable(detail) => words(
                format!("the seed is not usable for TOTP ({detail})"),
                "copy the secret key again, whole",
            ),
        }
    }
}

worded!(TypedProblem, ParseError, Base32Problem);

impl TypedProblem {
    /// The problem and the hint, each problem's two side by side.
    pub(super) fn words(&self) -> (String, String) {
        match self {
            TypedProblem::Shape { shape, digits } => {
                (format!("the typed code {shape}"), shape.hint(*digits))
            }
            TypedProblem::TooLong { limit, digits } => (
                format!("the typed line is longer than a code (over {limit} bytes)"),
                format!("type the {digits} digits the token shows, then Enter"),
            ),
            TypedProblem::Ended => words(
                "standard input ended before the code was typed",
                "type the code at the prompt, or pipe both codes on separate lines",
            ),
            TypedProblem::NoCode => words("no code was typed", "type the 6 digits the token shows"),
            TypedProblem::Unchanged => words(
                "code 2 is the same as code 1; the codes must come from two consecutive windows",
                "wait until the token shows a new code, then run again",
            ),
            TypedProblem::StillUnchanged => words(
                "the token still showed the same code more than a window after code 1",
                "check that it is the TOTP token of this device (an event-based token changes only when pressed), then run again",
            ),
            TypedProblem::TooLate {
                after_millis,
                period_secs,
                margin_secs,
            } => (
                format!(
                    "code 2 came {:.1} s after code 1, more than a window ({period_secs} s) and {margin_secs} s to react: the token may have changed twice in between, so the pair was not sent",
                    *after_millis as f64 / 1000.0
                ),
                format!(
                    "run again, and type code 2 as soon as the token shows it (within {} s of code 1)",
                    period_secs + margin_secs
                ),
            ),
            TypedProblem::AlreadySent => words(
                "a typed code was already sent in an earlier attempt; codes are single-use",
                "wait for the token's next codes and run again",
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
impl ParseError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        self.words().1
    }

    fn words(&self) -> (String, String) {
        const AS_IT_IS: &str = "use the URI from the QR code as it is";
        const TOTP_URI: &str = "use the otpauth://totp/… URI of the device";
        match self {
            ParseError::Empty => words(
                "is empty",
                "put the base32 secret key or the otpauth:// URI in it",
            ),
            ParseError::NotOtpauth => words(
                "is a URI but not an otpauth:// one",
                "give the otpauth://totp/… URI from the QR code, or the base32 secret key",
            ),
            ParseError::Base32 { in_uri, problem } => {
                let (said, hint) = problem.words();
                (
                    format!("{}{said}", if *in_uri { "secret " } else { "" }),
                    hint,
                )
            }
            ParseError::NoLabel => words("is an otpauth:// URI without a label", AS_IT_IS),
            ParseError::Hotp => words(
                "is an HOTP (counter-based) otpauth:// URI; IAM resyncs time-based (TOTP) devices",
                TOTP_URI,
            ),
            ParseError::NotTotp => words("has an otpauth:// type other than totp", TOTP_URI),
            ParseError::TwoSecrets => words("has two secret parameters", AS_IT_IS),
            ParseError::Algorithm => words(
                "has an unsupported algorithm parameter",
                "TOTP uses algorithm=SHA1, SHA256 or SHA512 (RFC 6238); AWS devices use SHA1",
            ),
            ParseError::Digits => words(
                "has a digits parameter other than 6, 7 or 8",
                "AWS devices use digits=6",
            ),
            ParseError::Period => words(
                "has a period parameter other than 1 to 3600 seconds",
                "AWS devices use period=30",
            ),
            ParseError::NoSecret => {
                words("is an otpauth:// URI without a secret parameter", AS_IT_IS)
            }
            ParseError::NotUtf8 { what } => words(
                format!("has {what} percent-encoded as something other than UTF-8"),
                AS_IT_IS,
            ),
        }
    }
}

impl Base32Problem {
    fn words(&self) -> (String, String) {
        match self {
            Base32Problem::Character { position } => words(
                format!("is not base32: character {position} is outside A-Z and 2-7"),
                "copy the secret key again (AWS shows it under \"Show secret key\"); 0, 1, 8 and 9 never occur in base32",
            ),
            Base32Problem::PaddingInside => words(
                "is not base32: padding '=' in the middle",
                "copy the secret key again, whole",
            ),
            Base32Problem::Short { bits } => words(
                format!("holds a {bits}-bit key; RFC 4226 §4 requires at least 128 bits"),
                "copy the whole secret key (AWS's are 64 characters)",
            ),
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
