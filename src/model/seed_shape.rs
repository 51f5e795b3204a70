//! Values that look like a seed, wherever a name was expected: a seed pasted into `--user-name`,
//! `--seed-env`, a path or a JSON field would otherwise be echoed in an error, sent to AWS (and kept
//! in CloudTrail) or written to the audit log. [`refuse_seed`] is the one check every free-text
//! field and file path goes through (flags, `--cli-input-json`, `--batch` rows and header), and its
//! refusal never repeats the value.
//!
//! The shapes, of the whole value:
//! - anything containing `otpauth:` or `secret=`, in any case: a Key Uri Format URI or a piece of one;
//! - 16 or more characters of the RFC 4648 base32 alphabet (`A`–`Z`, `2`–`7`), the way AWS's "Show
//!   secret key" and most authenticators show a key: capitals, possibly grouped by spaces or hyphens,
//!   possibly padded with `=`;
//! - the same in lower case, grouped by spaces (`abcd efgh ijkl mnop`, as Google Authenticator
//!   shows keys), or ungrouped when it looks random: digits in two places or more,
//!   or a digit and fewer than three vowels in ten letters.
//!
//! And inside a value (a path, `ISSUER:NAME`, a batch's first line, a JSON key): a run of 32 or more
//! base32 characters of one case that looks random, the size of the keys AWS makes
//! (a 160-bit key is 32 characters, AWS's "Show secret key" gives 64), between any other characters.
//!
//! Real names rarely take these shapes. IAM user names are 1–64 characters of `[\w+=,.@-]` (the
//! IAM API reference, `CreateUser`), so one *can* be 16 or more capitals and digits 2–7 only: such a
//! name is refused with a hint that says so, since sending a seed to AWS cannot be undone. Mixed
//! case is never a seed's shape, `0`, `1`, `8`, `9`, `_` and `.` never occur in one, and a word has
//! vowels, so ordinary names (`alice`, `ci-deploy`, `Bob.Smith@example.com`, `GAHT12345678`,
//! `deploy2production`) pass.

use super::input::{Field, InputError, Problem, Takes};

/// The fewest base32 characters taken for a whole-value seed: an 80-bit key, the shortest
/// authenticators issue.
const MIN_SEED_CHARS: usize = 16;

/// The fewest base32 characters of one case taken for a seed inside a longer value: a 160-bit key,
/// the smallest AWS makes.
const MIN_EMBEDDED_SEED_CHARS: usize = 32;

/// Whether `value` has the shape of a TOTP seed, whole or inside it (see the module's comment).
pub fn looks_like_seed(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.contains("otpauth:") || lower.contains("secret=") {
        return true;
    }
    is_seed_as_a_whole(value) || holds_a_seed(value)
}

fn is_seed_as_a_whole(value: &str) -> bool {
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
    if upper + lower_letters + digits < MIN_SEED_CHARS {
        return false;
    }
    match (upper, lower_letters) {
        (_, 0) => upper > 0,
        (0, _) => grouped_by_spaces || looks_random(trimmed),
        // Mixed case: a name, not a key.
        _ => false,
    }
}

/// Whether a run of base32 characters of one case is random rather than words: its digits (2–7)
/// stand in two places or more, or it has one and fewer than three in ten of its letters are
/// vowels. A name puts one number in one place (`deploy2production`) and is a third vowels or more;
/// a random key of 16 characters fails both about once in 16, of 26 once in 130, of 32 once in 400.
fn looks_random(run: &str) -> bool {
    let (mut letters, mut vowels, mut digit_groups) = (0usize, 0usize, 0usize);
    let mut in_digits = false;
    for c in run.chars() {
        let digit = ('2'..='7').contains(&c);
        if digit && !in_digits {
            digit_groups += 1;
        }
        in_digits = digit;
        if c.is_ascii_alphabetic() {
            letters += 1;
            vowels += usize::from(matches!(
                c.to_ascii_lowercase(),
                'a' | 'e' | 'i' | 'o' | 'u'
            ));
        }
    }
    digit_groups >= 2 || (digit_groups == 1 && vowels * 10 < letters * 3)
}

/// Whether a run of [`MIN_EMBEDDED_SEED_CHARS`] or more base32 characters of one case, random
/// rather than words, stands anywhere in `value`: an AWS seed inside a path, after `ISSUER:`, in
/// quotes. Digits 2–7 belong to runs of either case, so `seedJBSW…` still shows the capitals' run.
fn holds_a_seed(value: &str) -> bool {
    let run_of = |in_case: fn(char) -> bool| {
        value
            .split(|c: char| !(in_case(c) || ('2'..='7').contains(&c)))
            .any(|run| run.len() >= MIN_EMBEDDED_SEED_CHARS && looks_random(run))
    };
    run_of(|c| c.is_ascii_uppercase()) || run_of(|c| c.is_ascii_lowercase())
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
            // Lower case, ungrouped, shorter than a 160-bit key: the classic example, and a
            // 128-bit key (26 characters).
            "jbswy3dpehpk3pxp",
            "gezdgnbvgy3tqojqgezdgnbvgy",
        ] {
            assert!(looks_like_seed(seed), "{seed:?}");
        }
    }

    #[test]
    fn an_aws_seed_inside_a_value_is_caught_in_either_case() {
        let lower = AWS_SEED.to_lowercase();
        for value in [
            format!("./{AWS_SEED}"),
            format!("/home/alice/mfa/{lower}.txt"),
            format!("Amazon Web Services:{AWS_SEED}"),
            format!("Amazon Web Services:{lower}"),
            format!("[\"{AWS_SEED}\"]"),
            format!("{{\"{lower}\": 1}}"),
            format!("seed{AWS_SEED}"),
            format!("alice@{}", &AWS_SEED[..32]),
            format!("https://iam.amazonaws.com/?{AWS_SEED}"),
        ] {
            assert!(looks_like_seed(&value), "{value:?}");
        }
    }

    #[test]
    fn random_seeds_of_every_size_aws_and_authenticators_make_are_caught() {
        // A fixed-step generator over the base32 alphabet: deterministic, and no two alike.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut seed = |len: usize| -> String {
            (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    char::from(alphabet[(state % 32) as usize])
                })
                .collect()
        };
        let mut missed = 0;
        for _ in 0..1000 {
            let aws = seed(64);
            assert!(looks_like_seed(&aws), "{aws}");
            let inside = format!("Amazon Web Services:{}", aws.to_lowercase());
            missed += usize::from(!looks_like_seed(&inside));
            missed += usize::from(!looks_like_seed(&seed(32).to_lowercase()));
        }
        assert!(missed <= 10, "{missed} of 2000 lower-case seeds passed");
    }

    /// Names people give these fields, which must pass: users, devices, profiles, OATH accounts,
    /// readers, and files where seeds, batches and logs live.
    const REAL_NAMES: &[&str] = &[
        "alice",
        "ci-deploy",
        "Bob.Smith@example.com",
        "GAHT12345678",
        "arn:aws:iam::123456789012:mfa/alice",
        "arn:aws:iam::123456789012:mfa/desk/bob-smith-yubikey-5c-nfc",
        "MFA_RESYNC_TEST_UNSET_VAR",
        "AWS_MFA_SEED_FOR_THE_PRODUCTION_ACCOUNT",
        "Amazon Web Services:alice@123456789012",
        "Amazon Web Services:alice-yubikey@acme-production-account",
        "Yubico YubiKey OTP+FIDO+CCID 00 00",
        "ACS ACR122U PICC Interface 00 00",
        "Virtual PCD 00 00",
        "administratoruser",
        "AdministratorsOfTheBilling",
        "JBSWY3DPEHPK3PX",
        "default",
        "us-east-1",
        "deploy2production",
        "team5deployments",
        "jenkins2buildagent",
        "kubernetes4clusteradmin",
        "terraform2deployer",
        "github4actionsrunner",
        "monitoring3service",
        "dataengineering4team",
        "svc-terraform-prod",
        "prod-admin",
        "acme-prod-administrator-access",
        "ACME-Prod-Administrator",
        "sso-developer-power-user-access-eu-west-2",
        "BobsYubiKey5NFC",
        "alice-yubikey-5c-nfc",
        "helpdesk_floor2_backup_key",
        "/home/alice/.config/mfa/seed",
        "~/Documents/aws/mfa-seed-backup-2024-05-01.txt",
        "/srv/helpdesk/tokens-2024Q2.csv",
        "/var/log/mfa-resync.jsonl",
        "/home/alice/mfa/administratorsofthebillingaccountseed",
        "C:/Users/Alice/Documents/MFA Backups/aws-root-account-seed.txt",
        "./seeds/production-account-root-user-virtual-mfa-device.txt",
        "/run/user/1000/mfa-resync/desk-station-audit-log-for-the-third-floor.jsonl",
        "https://iam.us-gov.amazonaws.com",
        "http://127.0.0.1:4566/",
    ];

    #[test]
    fn ordinary_names_pass() {
        let long = "a".repeat(129);
        for name in REAL_NAMES.iter().copied().chain([long.as_str()]) {
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
