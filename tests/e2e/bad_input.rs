//! Bad input: every case exits 2 with a message that names the field and a hint, and the endpoint
//! sees no request at all.

use std::os::unix::fs::PermissionsExt;

use crate::util::Bed;

/// What a case needs besides its flags.
enum Seed {
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
}

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    seed: Seed,
    /// Text the error must contain: the field, as the user wrote it.
    names: &'static str,
}

const TARGET: [&str; 4] = [
    "--user-name",
    "alice",
    "--serial-number",
    "arn:aws:iam::123456789012:mfa/alice",
];
const GOOD_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn cases() -> Vec<Case> {
    use Seed::{File, None as NoSeed};
    vec![
        Case {
            name: "code of 5 digits",
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
            args: &["--authentication-code-1", "123456"],
            seed: NoSeed,
            names: "--authentication-code-2: is missing",
        },
        Case {
            name: "same code twice",
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
            args: &["--user-name", "al ice", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--user-name: character ' ' at position 3",
        },
        Case {
            name: "user name of 129",
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
            args: &["--user-name", "", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--user-name: is empty",
        },
        Case {
            name: "serial too short",
            args: &["--serial-number", "GAHT123", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--serial-number: is 7 characters",
        },
        Case {
            name: "serial with a space",
            args: &["--serial-number", "GAHT 12345678", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--serial-number: character ' ' at position 5",
        },
        Case {
            name: "serial is a user ARN",
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
            args: &["--cli-input-json", "{\"UserName\": ", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: is not valid JSON",
        },
        Case {
            name: "unknown cli-input-json key",
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
            args: &["--cli-input-json", "[]", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: must be a JSON object",
        },
        Case {
            name: "cli-input-json missing file",
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
            args: &[
                "--cli-input-json",
                "{\"AuthenticationCode1\": \"12\", \"AuthenticationCode2\": \"123456\"}",
            ],
            seed: NoSeed,
            names: "AuthenticationCode1 in --cli-input-json: has 2 digits",
        },
        Case {
            name: "seed file missing",
            args: &["--seed-file", "/nonexistent/seed"],
            seed: NoSeed,
            names: "--seed-file /nonexistent/seed: cannot be opened",
        },
        Case {
            name: "seed file readable by others",
            args: &["--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o644),
            names: "is accessible by group or others (mode 644)",
        },
        Case {
            name: "seed file writable by group",
            args: &["--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o620),
            names: "is accessible by group or others (mode 620)",
        },
        Case {
            name: "seed file not UTF-8",
            args: &["--seed-file", "SEED"],
            seed: Seed::Bytes(b"\xff\xfeGEZDGNBVGY3TQOJQ", 0o600),
            names: "the seed is not valid UTF-8 text",
        },
        Case {
            name: "seed file huge",
            args: &["--seed-file", "SEED"],
            seed: Seed::Huge,
            names: "is 71680 bytes; a seed is at most a few hundred",
        },
        Case {
            name: "seed file a dangling symlink",
            args: &["--seed-file", "SEED"],
            seed: Seed::Dangling,
            names: "cannot be opened (No such file or directory)",
        },
        Case {
            name: "seed path a directory",
            args: &["--seed-file", "SEED"],
            seed: Seed::Directory,
            names: "is a directory, not a regular file",
        },
        Case {
            name: "seed file of another user",
            args: &["--seed-file", "SEED"],
            seed: Seed::OtherOwner,
            names: "is owned by uid 65534",
        },
        Case {
            name: "otpauth period 0",
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period=0",
                0o600,
            ),
            names: "has a period parameter other than 1 to 3600 seconds",
        },
        Case {
            name: "otpauth digits 9",
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=9",
                0o600,
            ),
            names: "has a digits parameter other than 6, 7 or 8",
        },
        Case {
            name: "otpauth unknown type",
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://steam/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                0o600,
            ),
            names: "has an otpauth:// type other than totp",
        },
        Case {
            name: "otpauth without label",
            args: &["--seed-file", "SEED"],
            seed: File("otpauth://totp", 0o600),
            names: "is an otpauth:// URI without a label",
        },
        Case {
            name: "otpauth secret not base32",
            args: &["--seed-file", "SEED"],
            seed: File("otpauth://totp/x?secret=GEZDGNBVGY3TQOJ1", 0o600),
            names: "the seed secret is not base32",
        },
        Case {
            name: "a URI that is not otpauth",
            args: &["--seed-file", "SEED"],
            seed: File("https://example.com/seed", 0o600),
            names: "is a URI but not an otpauth:// one",
        },
        Case {
            name: "padding inside the seed",
            args: &["--seed-file", "SEED"],
            seed: File("GEZDGNBV==GY3TQOJQGEZDGNBVGY3TQOJQ", 0o600),
            names: "padding '=' in the middle",
        },
        Case {
            name: "cli-input-json null document",
            args: &["--cli-input-json", "null", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-input-json: must be a JSON object",
        },
        Case {
            name: "cli-input-json code with a space",
            args: &[
                "--cli-input-json",
                "{\"AuthenticationCode1\": \"123 456\", \"AuthenticationCode2\": \"654321\"}",
            ],
            seed: NoSeed,
            names: "AuthenticationCode1 in --cli-input-json: character 4 is not a digit",
        },
        Case {
            name: "OTP slot without --slot",
            args: &["--source", "otp-slot"],
            seed: NoSeed,
            names: "--slot: is missing for --source otp-slot",
        },
        Case {
            name: "slot 3",
            args: &["--source", "otp-slot", "--slot", "3"],
            seed: NoSeed,
            names: "--slot",
        },
        Case {
            name: "--slot without otp-slot",
            args: &["--slot", "2", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--slot and --digits are for --source otp-slot",
        },
        Case {
            name: "8 digits for IAM from a slot",
            args: &["--source", "otp-slot", "--slot", "2", "--digits", "8"],
            seed: NoSeed,
            names: "--digits: is 8; IAM takes 6-digit codes",
        },
        Case {
            name: "audit log in a missing directory",
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
            args: &["--reader", ""],
            seed: NoSeed,
            names: "--reader: is empty",
        },
        Case {
            name: "read timeout 0",
            args: &["--cli-read-timeout", "0", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--cli-read-timeout",
        },
        Case {
            name: "region with a space",
            args: &["--region", "us east-1", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--region: is empty or has spaces",
        },
        Case {
            name: "empty profile",
            args: &["--profile", "", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--profile: is empty or has spaces",
        },
        Case {
            name: "seed file empty",
            args: &["--seed-file", "SEED"],
            seed: File("", 0o600),
            names: "the seed is empty",
        },
        Case {
            name: "seed not base32",
            args: &["--seed-file", "SEED"],
            seed: File("GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", 0o600),
            names: "the seed is not base32: character 16",
        },
        Case {
            name: "seed too short",
            args: &["--seed-file", "SEED"],
            seed: File("GEZDGNBV", 0o600),
            names: "holds a 40-bit key",
        },
        Case {
            name: "otpauth hotp",
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0",
                0o600,
            ),
            names: "is an HOTP (counter-based) otpauth:// URI",
        },
        Case {
            name: "otpauth MD5",
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=MD5",
                0o600,
            ),
            names: "has an unsupported algorithm parameter",
        },
        Case {
            name: "otpauth 8 digits for IAM",
            args: &["--seed-file", "SEED"],
            seed: File(
                "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8",
                0o600,
            ),
            names: "makes 8-digit codes; IAM takes 6",
        },
        Case {
            name: "otpauth without secret",
            args: &["--seed-file", "SEED"],
            seed: File("otpauth://totp/x?issuer=AWS", 0o600),
            names: "without a secret parameter",
        },
        Case {
            name: "seed env unset",
            args: &["--seed-env", "MFA_RESYNC_TEST_UNSET_VAR"],
            seed: NoSeed,
            names: "--seed-env MFA_RESYNC_TEST_UNSET_VAR: the environment variable MFA_RESYNC_TEST_UNSET_VAR is not set",
        },
        Case {
            name: "seed env given a seed",
            args: &["--seed-env", "ABC=DEF"],
            seed: NoSeed,
            names: "--seed-env: is not an environment variable name",
        },
        Case {
            name: "yubikey flag with a seed",
            args: &["--device", "12345678", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--device, --reader and --account choose a YubiKey, but a seed was given",
        },
        Case {
            name: "device serial not a number",
            args: &["--device", "12ab"],
            seed: NoSeed,
            names: "--device",
        },
        Case {
            name: "empty account",
            args: &["--account", ""],
            seed: NoSeed,
            names: "--account: must be 1 to 256 bytes",
        },
        Case {
            name: "prompt with a reader",
            args: &["--source", "prompt", "--reader", "R"],
            seed: NoSeed,
            names: "--source prompt reads typed codes and takes no --device",
        },
        Case {
            name: "yubikey with a seed",
            args: &["--source", "yubikey", "--seed-env", "S"],
            seed: NoSeed,
            names: "--source yubikey reads the key and takes no --seed-* flag",
        },
        Case {
            name: "source seed without seed",
            args: &["--source", "seed"],
            seed: NoSeed,
            names: "--source seed: needs the seed's place",
        },
        Case {
            name: "prompt with no-wait",
            args: &["--source", "prompt", "--no-wait"],
            seed: NoSeed,
            names: "--no-wait cannot be used with --source prompt",
        },
        Case {
            name: "codes and a source",
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
            args: &["--endpoint-url", "ftp://x", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--endpoint-url: is not an http:// or https:// URL",
        },
        Case {
            name: "max attempts 0",
            args: &["--max-attempts", "0", "--seed-file", "SEED"],
            seed: File(GOOD_SEED, 0o600),
            names: "--max-attempts",
        },
        Case {
            name: "two seed places",
            args: &["--seed-file", "SEED", "--seed-stdin"],
            seed: File(GOOD_SEED, 0o600),
            names: "--seed-stdin",
        },
    ]
}

#[test]
fn every_bad_input_exits_2_naming_the_field_and_sends_nothing() {
    let bed = Bed::new();
    let cases = cases();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let seed_path = bed.dir.path().join("seed-case");
        let _ = std::fs::remove_file(&seed_path);
        let _ = std::fs::remove_dir(&seed_path);
        let private = std::fs::Permissions::from_mode(0o600);
        match case.seed {
            Seed::None => {}
            Seed::File(content, mode) => {
                std::fs::write(&seed_path, content).unwrap();
                std::fs::set_permissions(&seed_path, std::fs::Permissions::from_mode(mode))
                    .unwrap();
            }
            Seed::Bytes(bytes, mode) => {
                std::fs::write(&seed_path, bytes).unwrap();
                std::fs::set_permissions(&seed_path, std::fs::Permissions::from_mode(mode))
                    .unwrap();
            }
            Seed::Huge => {
                std::fs::write(&seed_path, "A".repeat(70 * 1024)).unwrap();
                std::fs::set_permissions(&seed_path, private).unwrap();
            }
            Seed::Dangling => {
                std::os::unix::fs::symlink(bed.dir.path().join("nowhere"), &seed_path).unwrap()
            }
            Seed::Directory => std::fs::create_dir(&seed_path).unwrap(),
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
                    continue;
                }
            }
        }
        let mut args: Vec<String> = Vec::new();
        // The target is given unless the case is about it, so that no lookup could be the cause.
        if !case
            .args
            .iter()
            .any(|a| *a == "--user-name" || *a == "--serial-number" || *a == "--cli-input-json")
        {
            args.extend(TARGET.iter().map(|s| s.to_string()));
        }
        args.extend(case.args.iter().map(|a| {
            if *a == "SEED" {
                seed_path.display().to_string()
            } else {
                a.to_string()
            }
        }));
        if !case.args.contains(&"--endpoint-url") {
            args.extend(["--endpoint-url".to_string(), bed.url()]);
        }
        // At -vvv with backtraces on: no error path may show a seed.
        let out = bed.run(
            bed.command()
                .env("RUST_BACKTRACE", "1")
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
