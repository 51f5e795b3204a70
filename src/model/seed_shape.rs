//! Values that look like a seed, wherever a name was expected: a seed pasted into `--user-name`,
//! `--seed-env` or a JSON field would otherwise be echoed in an error, sent to AWS (and kept in
//! CloudTrail) or written to the audit log. [`refuse_seed`] is the one check every free-text field
//! goes through (flags, `--cli-input-json`, `--batch` rows), and its refusal never repeats the value.
//!
//! The shapes:
//! - anything containing `otpauth:` or `secret=`, in any case: a Key Uri Format URI or a piece of one;
//! - 16 or more characters of the RFC 4648 base32 alphabet (`A`–`Z`, `2`–`7`), the way AWS's "Show
//!   secret key" and most authenticators show a key: capitals, possibly grouped by spaces or hyphens,
//!   possibly padded with `=`;
//! - the same in lower case, when grouped by spaces (`abcd efgh ijkl mnop`, as Google Authenticator
//!   shows keys), or ungrouped with 32 characters or more (a 160-bit key, the usual size) of which
//!   at least one is a digit (a random key of that length lacks one less than twice in a thousand).
//!
//! Real names rarely take these shapes. IAM user names are 1–64 characters of `[\w+=,.@-]` (the
//! IAM API reference, `CreateUser`), so one *can* be 16 or more capitals and digits 2–7 only, or 32
//! lower-case ones: such a name is refused with a hint that says so, since sending a seed to AWS
//! cannot be undone. Mixed case is never a seed's shape, and `0`, `1`, `8`, `9`, `_` and `.` never
//! occur in one, so ordinary names (`alice`, `ci-deploy`, `Bob.Smith@example.com`, `GAHT12345678`)
//! pass.

use super::input::{Field, InputError, Problem, Takes};

/// The fewest base32 characters taken for a seed: an 80-bit key, the shortest authenticators issue.
const MIN_SEED_CHARS: usize = 16;

/// The fewest lower-case base32 characters, ungrouped, taken for a seed: a 160-bit key.
const MIN_LOWER_SEED_CHARS: usize = 32;

/// Whether `value` has the shape of a TOTP seed (see the module's comment).
pub fn looks_like_seed(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.contains("otpauth:") || lower.contains("secret=") {
        return true;
    }
    let trimmed = value.trim().trim_end_matches('=');
    let grouped_by_spaces = trimmed.split(' ').filter(|g| !g.is_empty()).count() >= 3;
    let mut upper = 0;
    let mut lower_letters = 0;
    let mut digits = 0;
    for c in trimmed.chars() {
        match c {
            'A'..='Z' => upper += 1,
            'a'..='z' => lower_letters += 1,
            '2'..='7' => digits += 1,
            ' ' | '-' => {}
            _ => return false,
        }
    }
    let chars = upper + lower_letters + digits;
    if chars < MIN_SEED_CHARS {
        return false;
    }
    match (upper, lower_letters) {
        (_, 0) => upper > 0,
        (0, _) => grouped_by_spaces || (chars >= MIN_LOWER_SEED_CHARS && digits > 0),
        // Mixed case: a name, not a key.
        _ => false,
    }
}

/// Refuses `value` for `field` when it looks like a seed, without repeating it; the refusal's hint
/// says what the field `takes` instead (and, where a real value could have this shape, what to do
/// then).
pub fn refuse_seed(field: Field, value: &str, takes: Takes) -> Result<(), InputError> {
    if looks_like_seed(value) {
        Err(InputError::invalid(field, Problem::LooksLikeSeed(takes)))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS_SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    #[test]
    fn seeds_as_people_copy_them_are_caught() {
        for seed in [
            AWS_SEED,
            "JBSWY3DPEHPK3PXP",
            "JBSW Y3DP EHPK 3PXP",
            "JBSW-Y3DP-EHPK-3PXP",
            "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3P==",
            "jbsw y3dp ehpk 3pxp",
            "jbswy3dpehpk3pxpjbswy3dpehpk3pxp",
            "JBSWY3DPEHPKAPXP",
            " JBSWY3DPEHPK3PXP\n",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
            "OTPAUTH://TOTP/x",
            "digits=6&secret=JBSW",
            "/home/alice/otpauth:x",
        ] {
            assert!(looks_like_seed(seed), "{seed:?}");
        }
    }

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "alice",
            "ci-deploy",
            "Bob.Smith@example.com",
            "GAHT12345678",
            "arn:aws:iam::123456789012:mfa/alice",
            "MFA_RESYNC_TEST_UNSET_VAR",
            "Amazon Web Services:alice@123456789012",
            "Yubico YubiKey OTP+FIDO+CCID 00 00",
            "Virtual PCD 00 00",
            "administratoruser",
            "AdministratorsOfTheBilling",
            "JBSWY3DPEHPK3PX",
            "default",
            "us-east-1",
            "/home/alice/.config/mfa/seed",
            &"a".repeat(129),
        ] {
            assert!(!looks_like_seed(name), "{name:?}");
        }
    }

    #[test]
    fn a_refusal_never_repeats_the_value() {
        let err = refuse_seed(Field::flag("--seed-env"), AWS_SEED, Takes::SeedEnv).unwrap_err();
        let text = format!("{err} {}", err.hint());
        assert_eq!(
            err.to_string(),
            "--seed-env: this looks like a seed; pass it in a file, a variable or stdin"
        );
        assert!(!text.contains("JBSW"), "{text}");
        assert!(refuse_seed(Field::flag("--user-name"), "alice", Takes::UserName).is_ok());
    }
}
