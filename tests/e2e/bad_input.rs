//! Bad input: every case exits 2 with a message that names the field and a hint, and the endpoint
//! sees no request at all.

use std::os::unix::fs::PermissionsExt;

use crate::util::Bed;

/// What a case needs besides its flags: the file at `SEED` (a seed file, mostly; a batch file, a
/// JSON request or an audit log for the cases about those).
pub enum Seed {
    /// No seed file.
    None,
    /// A seed file `seed-case` with this content and mode.
    File(&'static str, u32),
    /// A seed file of raw bytes (not UTF-8).
    Bytes(&'static [u8], u32),
    /// A seed file over the 64 KiB limit.
    Huge,
    /// A symlink pointing nowhere.
    Dangling,
    /// A directory where the file should be.
    Directory,
    /// A private seed file that belongs to another user (exercised when the tests run as root).
    OtherOwner,
    /// A FIFO (named pipe): reading it would wait for a writer forever.
    Fifo,
    /// A symbolic link to a private file of ours.
    Link,
    /// A private file of `n` bytes.
    Sized(usize),
    /// A private batch file of `n` rows (each user its own device).
    Rows(usize),
}

pub struct Case {
    pub name: &'static str,
    /// Environment variables for the run, besides the harness's own.
    pub env: &'static [(&'static str, &'static str)],
    /// The flags after `resync`; `SEED` stands for the path of the case's file.
    pub args: &'static [&'static str],
    pub seed: Seed,
    /// Text the error must contain: the field, as the user wrote it.
    pub names: &'static str,
}

const TARGET: [&str; 4] = [
    "--user-name",
    "alice",
    "--serial-number",
    "arn:aws:iam::123456789012:mfa/alice",
];
pub const GOOD_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

pub fn cases() -> Vec<Case> {
    use Seed::{File, None as NoSeed};
    vec![
        Case {
            name: "code of 5 digits",
            env: &[],
            args: &[
                "--authentication-code-1",
                "12345",
                "--authentication-code-2",
                "123456",
            ],
            seed: NoSeed,
            names: "--authentication-code-1: has 5 digits",
        },
        Case {
            name: "code of 7 digits",
            env: &[],
            args: &[
                "--authentication-code-1",
                "123456",
                "--authentication-code-2",
                "1234567",
            ],
            seed: NoSeed,
            names: "--authentication-code-2: has 7 digits",
        },
        Case {
            name: "non-ASCII digits",
            env: &[],
            args: &[
                "--authentication-code-1",
                "١٢٣٤٥٦",
                "--authentication-code-2",
                "123456",
            ],
            seed: NoSeed,
            names: "--authentication-code-1: character 1 is a digit outside ASCII",
        },
        Case {
            name: "empty code",
            env: &[],
            args: &[
                "--authentication-code-1",
                "",
                "--authentication-code-2",
                "123456",
            ],
            seed: NoSeed,
            names: "--authentication-code-1: is empty",
        },
        Case {
            name: "letter in code",
            env: &[],
            args: &[
                "--authentication-code1",
                "123456",
                "--authentication-code2",
                "12a456",
            ],
            seed: NoSeed,
            names: "--authentication-code-2: character 3 is not a digit",
        },
        Case {
            name: "Yubico OTP pasted",
            env: &[],
            args: &[
                "--authentication-code-1",
                "cccccckdvvulethkhtturttefcbbvbkhbcgbdfhtfiun",
                "--authentication-code-2",
                "123456",
            ],
            seed: NoSeed,
            names: "--authentication-code-1: is a 44-character Yubico OTP",
        },
        Case {
            name: "one code only",
            env: &[],
            args: &["--authentication-code-1", "123456"],
            seed: NoSeed,
            names: "--authentication-code-2: is missing",
        },
        Case {
            name: "same code twice",
            env: &[],
            args: &[
                "--authentication-code-1",
                "123456",
                "--authentication-code-2",
                "123456",
            ],
            seed: NoSeed,
            names: "--authentication-code-2: is the same as code 1",
        },
        Case {
            name: "user name with a space",
            env: &[],
            args: &["--user-name", "al ice", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--user-name: character ' ' at position 3",
        },
        Case {
            name: "user name of 129",
            env: &[],
            args: &[
                "--user-name",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--user-name: is 129 characters",
        },
        Case {
            name: "empty user name",
            env: &[],
            args: &["--user-name", "", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--user-name: is empty",
        },
        Case {
            name: "serial too short",
            env: &[],
            args: &["--serial-number", "GAHT123", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--serial-number: is 7 characters",
        },
        Case {
            name: "serial with a space",
            env: &[],
            args: &["--serial-number", "GAHT 12345678", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--serial-number: character ' ' at position 5",
        },
        Case {
            name: "serial is a user ARN",
            env: &[],
            args: &[
                "--serial-number",
                "arn:aws:iam::123456789012:user/alice",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--serial-number: is a user's ARN",
        },
        Case {
            name: "malformed cli-input-json",
            env: &[],
            args: &["--cli-input-json", "{\"UserName\": ", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: is not valid JSON",
        },
        Case {
            name: "unknown cli-input-json key",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"Serial\": \"x\"}",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: unknown parameter \"Serial\"",
        },
        Case {
            name: "cli-input-json number",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"UserName\": 5}",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: UserName must be a string",
        },
        Case {
            name: "cli-input-json array",
            env: &[],
            args: &["--cli-input-json", "[]", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: must be a JSON object",
        },
        Case {
            name: "cli-input-json missing file",
            env: &[],
            args: &[
                "--cli-input-json",
                "file:///nonexistent/req.json",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: cannot read /nonexistent/req.json",
        },
        Case {
            name: "cli-input-json bad user",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"UserName\": \"a/b\"}",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "UserName in --cli-input-json: character '/'",
        },
        Case {
            name: "cli-input-json bad code",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"AuthenticationCode1\": \"12\", \"AuthenticationCode2\": \"123456\"}",
            ],
            seed: NoSeed,
            names: "AuthenticationCode1 in --cli-input-json: has 2 digits",
        },
        Case {
            name: "seed file missing",
            env: &[],
            args: &["--seed-file", "/nonexistent/seed"],
            seed: NoSeed,
            names: "--seed-file /nonexistent/seed: cannot be opened",
        },
        Case {
            name: "seed file readable by others",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o644),
            names: "is accessible by group or others (mode 644)",
        },
        Case {
            name: "seed file writable by group",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o620),
            names: "is accessible by group or others (mode 620)",
        },
        Case {
            name: "seed file not UTF-8",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: Seed::Bytes(b"\xff\xfeGEZDGNBVGY3TQOJQ", 0o600),
            names: "the seed is not valid UTF-8 text",
        },
        Case {
            name: "seed file huge",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: Seed::Huge,
            names: "is 71680 bytes; a seed is at most a few hundred",
        },
        Case {
            name: "seed file a dangling symlink",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: Seed::Dangling,
            names: "cannot be opened (No such file or directory)",
        },
        Case {
            name: "seed path a directory",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: Seed::Directory,
            names: "is a directory, not a regular file",
        },
        Case {
            name: "seed file of another user",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: Seed::OtherOwner,
            names: "is owned by uid 65534",
        },
        Case {
            name: "otpauth period 0",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=0",
                0o600,
            ),
            names: "has a period parameter other than 1 to 3600 seconds",
        },
        Case {
            name: "otpauth digits 9",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=9",
                0o600,
            ),
            names: "has a digits parameter other than 6, 7 or 8",
        },
        Case {
            name: "otpauth unknown type",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://steam/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                0o600,
            ),
            names: "has an otpauth:// type other than totp",
        },
        Case {
            name: "otpauth without label",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File("otpauth://totp", 0o600),
            names: "is an otpauth:// URI without a label",
        },
        Case {
            name: "otpauth secret not base32",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File("otpauth://totp/x?secret=GEZDGNBVGY3TQOJ1", 0o600),
            names: "the seed secret is not base32",
        },
        Case {
            name: "a URI that is not otpauth",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File("https://example.com/seed", 0o600),
            names: "is a URI but not an otpauth:// one",
        },
        Case {
            name: "padding inside the seed",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File("GEZDGNBV==GY3TQOJQGEZDGNBVGY3TQOJQ", 0o600),
            names: "padding '=' in the middle",
        },
        Case {
            name: "cli-input-json null document",
            env: &[],
            args: &["--cli-input-json", "null", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: must be a JSON object",
        },
        Case {
            name: "cli-input-json code with a space",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"AuthenticationCode1\": \"123 456\", \"AuthenticationCode2\": \"654321\"}",
            ],
            seed: NoSeed,
            names: "AuthenticationCode1 in --cli-input-json: character 4 is not a digit",
        },
        Case {
            name: "OTP slot without --slot",
            env: &[],
            args: &["--source", "otp-slot"],
            seed: NoSeed,
            names: "--slot: is missing for --source otp-slot",
        },
        Case {
            name: "slot 3",
            env: &[],
            args: &["--source", "otp-slot", "--slot", "3"],
            seed: NoSeed,
            names: "--slot",
        },
        Case {
            name: "--slot without otp-slot",
            env: &[],
            args: &["--slot", "2", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--slot and --digits are for --source otp-slot",
        },
        Case {
            name: "8 digits for IAM from a slot",
            env: &[],
            args: &["--source", "otp-slot", "--slot", "2", "--digits", "8"],
            seed: NoSeed,
            names: "--digits: is 8; IAM takes 6-digit codes",
        },
        Case {
            name: "audit log in a missing directory",
            env: &[],
            args: &[
                "--audit-log",
                "/nonexistent/dir/audit.jsonl",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--audit-log: cannot open /nonexistent/dir/audit.jsonl",
        },
        Case {
            name: "empty reader name",
            env: &[],
            args: &["--reader", ""],
            seed: NoSeed,
            names: "--reader: is empty",
        },
        Case {
            name: "read timeout 0",
            env: &[],
            args: &["--cli-read-timeout", "0", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-read-timeout",
        },
        Case {
            name: "region with a space",
            env: &[],
            args: &["--region", "us east-1", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--region: is empty or has spaces",
        },
        Case {
            name: "empty profile",
            env: &[],
            args: &["--profile", "", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--profile: is empty or has spaces",
        },
        Case {
            name: "seed file empty",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File("", 0o600),
            names: "the seed is empty",
        },
        Case {
            name: "seed not base32",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File("GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", 0o600),
            names: "the seed is not base32: character 16",
        },
        Case {
            name: "seed too short",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File("GEZDGNBV", 0o600),
            names: "holds a 40-bit key",
        },
        Case {
            name: "otpauth hotp",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0",
                0o600,
            ),
            names: "is an HOTP (counter-based) otpauth:// URI",
        },
        Case {
            name: "otpauth MD5",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=MD5",
                0o600,
            ),
            names: "has an unsupported algorithm parameter",
        },
        Case {
            name: "otpauth 8 digits for IAM",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8",
                0o600,
            ),
            names: "makes 8-digit codes; IAM takes 6",
        },
        Case {
            name: "otpauth without secret",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File("otpauth://totp/x?issuer=AWS", 0o600),
            names: "without a secret parameter",
        },
        Case {
            name: "seed env unset",
            env: &[],
            args: &["--seed-env", "MFA_RESYNC_TEST_UNSET_VAR"],
            seed: NoSeed,
            names: "--seed-env MFA_RESYNC_TEST_UNSET_VAR: the environment variable MFA_RESYNC_TEST_UNSET_VAR is not set",
        },
        Case {
            name: "seed env given a seed",
            env: &[],
            args: &["--seed-env", "ABC=DEF"],
            seed: NoSeed,
            names: "--seed-env: is not an environment variable name",
        },
        Case {
            name: "yubikey flag with a seed",
            env: &[],
            args: &["--device", "12345678", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--device, --reader and --account choose a YubiKey, but a seed was given",
        },
        Case {
            name: "device serial not a number",
            env: &[],
            args: &["--device", "12ab"],
            seed: NoSeed,
            names: "--device",
        },
        Case {
            name: "empty account",
            env: &[],
            args: &["--account", ""],
            seed: NoSeed,
            names: "--account: must be 1 to 256 bytes",
        },
        Case {
            name: "prompt with a reader",
            env: &[],
            args: &["--source", "prompt", "--reader", "R"],
            seed: NoSeed,
            names: "--source prompt reads typed codes and takes no --device",
        },
        Case {
            name: "yubikey with a seed",
            env: &[],
            args: &["--source", "yubikey", "--seed-env", "S"],
            seed: NoSeed,
            names: "--source yubikey reads the key and takes no --seed-* flag",
        },
        Case {
            name: "source seed without seed",
            env: &[],
            args: &["--source", "seed"],
            seed: NoSeed,
            names: "--source seed: needs the seed's place",
        },
        Case {
            name: "prompt with no-wait",
            env: &[],
            args: &["--source", "prompt", "--no-wait"],
            seed: NoSeed,
            names: "--no-wait cannot be used with --source prompt",
        },
        Case {
            name: "codes and a source",
            env: &[],
            args: &[
                "--authentication-code-1",
                "123456",
                "--authentication-code-2",
                "654321",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "both codes were given and a source was chosen",
        },
        Case {
            name: "endpoint not a URL",
            env: &[],
            args: &["--endpoint-url", "ftp://x", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--endpoint-url: is not an http:// or https:// URL",
        },
        Case {
            name: "max attempts 0",
            env: &[],
            args: &["--max-attempts", "0", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--max-attempts",
        },
        Case {
            name: "two seed places",
            env: &[],
            args: &["--seed-file", "SEED", "--seed-stdin"],
            seed: File(GOOD_SEED, 0o600),
            names: "--seed-stdin",
        },
        // Issue 13, finding 1: a seed where a variable's name or a path belongs.
        Case {
            name: "a seed as the value of --seed-env",
            env: &[],
            args: &["--seed-env", GOOD_SEED],
            seed: NoSeed,
            names: "--seed-env: this looks like a seed; pass it in a file, a variable or stdin",
        },
        Case {
            name: "an otpauth URI as --seed-file",
            env: &[],
            args: &[
                "--seed-file",
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            ],
            seed: NoSeed,
            names: "--seed-file: this looks like a seed",
        },
        Case {
            name: "an otpauth URI as --seed-env",
            env: &[],
            args: &[
                "--seed-env",
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            ],
            seed: NoSeed,
            names: "--seed-env: this looks like a seed",
        },
        Case {
            name: "seed env with a hyphen",
            env: &[],
            args: &["--seed-env", "MFA-SEED"],
            seed: NoSeed,
            names: "--seed-env: is not an environment variable name",
        },
        Case {
            name: "seed env starting with a digit",
            env: &[],
            args: &["--seed-env", "1SEED"],
            seed: NoSeed,
            names: "--seed-env: is not an environment variable name",
        },
        // Finding 2: a seed in any free-text field, in flags, JSON and batch rows.
        Case {
            name: "a seed as --user-name",
            env: &[],
            args: &["--user-name", GOOD_SEED, "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--user-name: this looks like a seed",
        },
        Case {
            name: "a grouped seed as --user-name",
            env: &[],
            args: &[
                "--user-name",
                "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--user-name: this looks like a seed",
        },
        Case {
            name: "a seed as --serial-number",
            env: &[],
            args: &["--serial-number", GOOD_SEED, "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--serial-number: this looks like a seed",
        },
        Case {
            name: "a seed as UserName in --cli-input-json",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"UserName\": \"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"}",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "UserName in --cli-input-json: this looks like a seed",
        },
        Case {
            name: "a seed as SerialNumber in --cli-input-json",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"SerialNumber\": \"otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"}",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "SerialNumber in --cli-input-json: this looks like a seed",
        },
        Case {
            name: "a seed as a --cli-input-json key",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\": \"x\"}",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: unknown parameter (not shown: it looks like a seed)",
        },
        Case {
            name: "a seed as --account",
            env: &[],
            args: &["--account", GOOD_SEED],
            seed: NoSeed,
            names: "--account: this looks like a seed",
        },
        Case {
            name: "a lower-case grouped seed as --account",
            env: &[],
            args: &["--account", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"],
            seed: NoSeed,
            names: "--account: this looks like a seed",
        },
        Case {
            name: "a seed as --reader",
            env: &[],
            args: &["--reader", GOOD_SEED],
            seed: NoSeed,
            names: "--reader: this looks like a seed",
        },
        Case {
            name: "a seed as --profile",
            env: &[],
            args: &["--profile", GOOD_SEED, "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--profile: this looks like a seed",
        },
        Case {
            name: "a seed as --audit-log",
            env: &[],
            args: &["--audit-log", GOOD_SEED, "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--audit-log: this looks like a seed",
        },
        Case {
            name: "a seed in --endpoint-url",
            env: &[],
            args: &[
                "--endpoint-url",
                "https://iam.amazonaws.com/?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--endpoint-url: this looks like a seed",
        },
        Case {
            name: "a seed as a batch row's user",
            env: &[],
            args: &["--batch", "SEED"],
            seed: File(
                "user,serial\nGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,GAHT12345678\n",
                0o600,
            ),
            names: "--batch: line 2: --user-name: this looks like a seed",
        },
        Case {
            name: "a seed as a batch row's source",
            env: &[],
            args: &["--batch", "SEED"],
            seed: File(
                "user,source\nalice,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n",
                0o600,
            ),
            names: "--batch: line 2: source (not shown: it looks like a seed) cannot be batched",
        },
        Case {
            name: "a seed as a batch row's seed file",
            env: &[],
            args: &["--batch", "SEED"],
            seed: File(
                "{\"UserName\": \"alice\", \"SeedFile\": \"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"}\n",
                0o600,
            ),
            names: "--batch: line 1: --seed-file: this looks like a seed",
        },
        Case {
            name: "a seed in --device",
            env: &[],
            args: &["--device", GOOD_SEED],
            seed: NoSeed,
            names: "invalid value '(a value that looks like a seed, not shown)' for '--device",
        },
        Case {
            name: "a seed as a stray argument",
            env: &[],
            args: &[GOOD_SEED, "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "unexpected argument '(a value that looks like a seed, not shown)'",
        },
        // Finding 3: otpauth errors name the parameter, never its value.
        Case {
            name: "otpauth digits hiding the secret",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?digits=6;secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                0o600,
            ),
            names: "has a digits parameter other than 6, 7 or 8",
        },
        Case {
            name: "otpauth period hiding the secret",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=30;GEZDGNBVGY3TQOJQ",
                0o600,
            ),
            names: "has a period parameter other than 1 to 3600 seconds",
        },
        // Finding 5: the audit log's file.
        Case {
            name: "audit log a symbolic link",
            env: &[],
            args: &[
                "--audit-log",
                "SEED",
                "--seed-env",
                "MFA_RESYNC_TEST_UNSET_VAR",
            ],
            seed: Seed::Link,
            names: "seed-case is a symbolic link, not a regular file",
        },
        Case {
            name: "audit log a FIFO",
            env: &[],
            args: &[
                "--audit-log",
                "SEED",
                "--seed-env",
                "MFA_RESYNC_TEST_UNSET_VAR",
            ],
            seed: Seed::Fifo,
            names: "seed-case is a FIFO (named pipe), not a regular file",
        },
        Case {
            name: "audit log /dev/null",
            env: &[],
            args: &["--audit-log", "/dev/null", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--audit-log: /dev/null is a character device, not a regular file",
        },
        Case {
            name: "audit log writable by others",
            env: &[],
            args: &[
                "--audit-log",
                "SEED",
                "--seed-env",
                "MFA_RESYNC_TEST_UNSET_VAR",
            ],
            seed: File("", 0o666),
            names: "is writable by group or others (mode 666)",
        },
        Case {
            name: "audit log of another user",
            env: &[],
            args: &[
                "--audit-log",
                "SEED",
                "--seed-env",
                "MFA_RESYNC_TEST_UNSET_VAR",
            ],
            seed: Seed::OtherOwner,
            names: "is owned by uid 65534",
        },
        // Finding 8: a region's shape, before any I/O.
        Case {
            name: "region with underscores",
            env: &[],
            args: &["--region", "us_east_1", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--region: is not a region name",
        },
        Case {
            name: "AWS_REGION with underscores",
            env: &[("AWS_REGION", "us_east_1")],
            args: &["--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "AWS_REGION: is not a region name",
        },
        // Finding 9: special files and sizes.
        Case {
            name: "seed file a FIFO",
            env: &[],
            args: &["--seed-file", "SEED"],
            seed: Seed::Fifo,
            names: "is a FIFO (named pipe), not a regular file",
        },
        Case {
            name: "cli-input-json file a FIFO",
            env: &[],
            args: &["--cli-input-json", "file://SEED", "--source", "prompt"],
            seed: Seed::Fifo,
            names: "--cli-input-json: cannot read",
        },
        Case {
            name: "cli-input-json file over 64 KiB",
            env: &[],
            args: &["--cli-input-json", "file://SEED", "--source", "prompt"],
            seed: Seed::Huge,
            names: "it is over 65536 bytes; a request is a few hundred",
        },
        Case {
            name: "batch file a FIFO",
            env: &[],
            args: &["--batch", "SEED"],
            seed: Seed::Fifo,
            names: "it is a FIFO (named pipe), not a regular file",
        },
        Case {
            name: "batch file a directory",
            env: &[],
            args: &["--batch", "SEED"],
            seed: Seed::Directory,
            names: "it is a directory, not a regular file",
        },
        Case {
            name: "batch file over 1 MiB",
            env: &[],
            args: &["--batch", "SEED"],
            seed: Seed::Sized(1024 * 1024 + 1),
            names: "is over 1048576 bytes; a batch has at most 500 rows",
        },
        Case {
            name: "batch of 501 rows",
            env: &[],
            args: &["--batch", "SEED"],
            seed: Seed::Rows(501),
            names: "--batch: has 501 rows; at most 500",
        },
        // Finding 10: batch parsing.
        Case {
            name: "batch column named twice",
            env: &[],
            args: &["--batch", "SEED"],
            seed: File("user,serial,user\nalice,GAHT12345678,bob\n", 0o600),
            names: "--batch: line 1: column 3 names \"user\" again",
        },
        Case {
            name: "batch JSON key twice",
            env: &[],
            args: &["--batch", "SEED"],
            seed: File("{\"UserName\": \"alice\", \"UserName\": \"bob\"}\n", 0o600),
            names: "--batch: line 1: has the key \"UserName\" twice",
        },
        Case {
            name: "batch rows for the same device",
            env: &[],
            args: &["--batch", "SEED"],
            seed: File(
                "user,serial,source,seed_file\nalice,GAHT12345678,seed,/s/a\nbob,GAHT87654321,seed,/s/b\nalice,GAHT12345678,seed,/s/a\n",
                0o600,
            ),
            names: "--batch: line 4: resyncs the same device of user alice as line 2",
        },
        Case {
            name: "cli-input-json key twice",
            env: &[],
            args: &[
                "--cli-input-json",
                "{\"UserName\": \"alice\", \"UserName\": \"bob\"}",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: has the key \"UserName\" twice",
        },
        // Finding 11: codes never cross a network in cleartext.
        Case {
            name: "http endpoint on another host",
            env: &[],
            args: &[
                "--endpoint-url",
                "http://198.51.100.7:4599",
                "--seed-file",
                "SEED",
            ],
            seed: File(GOOD_SEED, 0o600),
            names: "error: IAM endpoint http://198.51.100.7:4599 (from --endpoint-url) is plain HTTP to another host",
        },
        // Issue 14, item 1: a file given without file://.
        Case {
            name: "cli-input-json a path without file://",
            env: &[],
            args: &["--cli-input-json", "req.json", "--source", "prompt"],
            seed: NoSeed,
            names: "--cli-input-json: is not valid JSON (line 1, column 1)",
        },
    ]
}

/// Sets up `case`'s file in `dir` and returns its arguments after `resync` (the target and
/// `--endpoint-url` added unless the case is about them); `None` when the case cannot be set up
/// here (another user's file, when not root).
pub fn arguments(case: &Case, dir: &std::path::Path, endpoint: &str) -> Option<Vec<String>> {
    let seed_path = dir.join("seed-case");
    let _ = std::fs::remove_file(&seed_path);
    let _ = std::fs::remove_dir(&seed_path);
    let private = std::fs::Permissions::from_mode(0o600);
    match case.seed {
        Seed::None => {}
        Seed::File(content, mode) => {
            std::fs::write(&seed_path, content).unwrap();
            std::fs::set_permissions(&seed_path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        Seed::Bytes(bytes, mode) => {
            std::fs::write(&seed_path, bytes).unwrap();
            std::fs::set_permissions(&seed_path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        Seed::Huge => {
            std::fs::write(&seed_path, "A".repeat(70 * 1024)).unwrap();
            std::fs::set_permissions(&seed_path, private).unwrap();
        }
        Seed::Sized(n) => {
            std::fs::write(&seed_path, "#".repeat(n)).unwrap();
            std::fs::set_permissions(&seed_path, private).unwrap();
        }
        Seed::Rows(n) => {
            let mut text = String::from("user,serial\n");
            for i in 0..n {
                text.push_str(&format!("u{i},GAHT{i:08}\n"));
            }
            std::fs::write(&seed_path, text).unwrap();
            std::fs::set_permissions(&seed_path, private).unwrap();
        }
        Seed::Dangling => std::os::unix::fs::symlink(dir.join("nowhere"), &seed_path).unwrap(),
        Seed::Link => {
            let target = dir.join("link-target");
            std::fs::write(&target, "").unwrap();
            std::fs::set_permissions(&target, private).unwrap();
            std::os::unix::fs::symlink(&target, &seed_path).unwrap()
        }
        Seed::Directory => std::fs::create_dir(&seed_path).unwrap(),
        Seed::Fifo => {
            let made = std::process::Command::new("mkfifo")
                .arg(&seed_path)
                .status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        }
        Seed::OtherOwner => {
            std::fs::write(&seed_path, GOOD_SEED).unwrap();
            std::fs::set_permissions(&seed_path, private).unwrap();
            // chown needs root (CI runs as root); elsewhere this case cannot be set up.
            let chowned = std::process::Command::new("chown")
                .arg("65534")
                .arg(&seed_path)
                .status();
            if !chowned.is_ok_and(|s| s.success()) {
                eprintln!(
                    "{}: not root, so the file stays ours; case not exercised",
                    case.name
                );
                return None;
            }
        }
    }
    let mut args: Vec<String> = Vec::new();
    // The target is given unless the case is about it, so that no lookup could be the cause.
    if !case.args.iter().any(|a| {
        [
            "--user-name",
            "--serial-number",
            "--cli-input-json",
            "--batch",
        ]
        .contains(a)
    }) {
        args.extend(TARGET.iter().map(|s| s.to_string()));
    }
    let file = format!("{}", seed_path.display());
    args.extend(case.args.iter().map(|a| a.replace("SEED", &file)));
    if !case.args.contains(&"--endpoint-url") {
        args.extend(["--endpoint-url".to_string(), endpoint.to_string()]);
    }
    Some(args)
}

#[test]
fn every_bad_input_exits_2_naming_the_field_and_sends_nothing() {
    let bed = Bed::new();
    let cases = cases();
    assert!(cases.len() >= 90, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let Some(args) = arguments(case, bed.dir.path(), &bed.url()) else {
            continue;
        };
        // At -vvv with backtraces on: no error path may show a seed.
        let out = bed.run(
            bed.command()
                .env("RUST_BACKTRACE", "1")
                .envs(case.env.iter().copied())
                .args(["-vvv", "resync"])
                .args(&args),
        );
        if out.all().contains(GOOD_SEED) || out.all().contains("GEZDGNBVGY3TQOJ") {
            failures.push(format!(
                "{}: the seed shows in the output\n{}",
                case.name,
                out.all()
            ));
        }
        // Our errors end with a hint line; clap's usage errors with its pointer to --help.
        let hinted = out.stderr.contains("\n  hint: ") || out.stderr.contains("try '--help'");
        let ok = out.code == 2 && out.stderr.contains(case.names) && hinted;
        if !ok {
            failures.push(format!("{}: exit {}\n{}", case.name, out.code, out.stderr));
        }
        if !bed.log().is_empty() {
            failures.push(format!("{}: the endpoint saw {:?}", case.name, bed.log()));
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
