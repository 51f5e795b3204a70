//! No seed, and no code outside `codes`, in any output: not at -vvv, not in errors, not in a backtrace.

use crate::util::Bed;

#[test]
fn no_secret_at_vvv_on_success() {
    let bed = Bed::new();
    let out = bed.run(
        bed.command()
            .env("RUST_BACKTRACE", "1")
            .args([
                "-vvv",
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--seed-file",
            ])
            .arg(&bed.seed_file),
    );
    out.assert_exit(0);
    assert!(
        out.stderr.contains("TRACE") || out.stderr.contains("DEBUG"),
        "-vvv logs something"
    );
    bed.assert_no_secrets(&out.all(), "success at -vvv");
}

#[test]
fn no_secret_in_error_paths() {
    let bed = Bed::with(|c| c.faults.push("500-always@ResyncMFADevice".parse().unwrap()));
    // The second attempt waits for a fresh window: AWS's clock a few seconds before a boundary.
    bed.steer();
    // Refused after three attempts: three pairs went out and none may be echoed.
    let out = bed.run(
        bed.command()
            .env("RUST_BACKTRACE", "1")
            .args([
                "-vvv",
                "resync",
                "--endpoint-url",
                &bed.url(),
                "--no-wait",
                "--max-attempts",
                "2",
                "--seed-env",
                "S",
            ])
            .env("S", &bed.seed),
    );
    out.assert_exit(7);
    bed.assert_no_secrets(&out.all(), "service failure at -vvv");

    // A bad seed: the parse error must not quote it.
    let bad = format!("{}1", &bed.seed[..20]);
    let out = bed.run(
        bed.command()
            .args(["-vvv", "codes", "--seed-env", "S"])
            .env("S", &bad),
    );
    out.assert_exit(2);
    assert!(
        !out.all().contains(&bad[..20]),
        "the bad seed leaked\n{}",
        out.all()
    );

    // A loose seed file.
    let loose = bed.dir.path().join("loose");
    std::fs::write(&loose, &bed.seed).unwrap();
    let out = bed.run(
        bed.command()
            .args(["-vvv", "codes", "--seed-file"])
            .arg(&loose),
    );
    out.assert_exit(2);
    bed.assert_no_secrets(&out.all(), "loose seed file");
}

#[test]
fn no_flag_takes_a_seed() {
    let bed = Bed::new();
    let out = bed.run(bed.command().args(["codes", "--seed", &bed.seed]));
    out.assert_exit(2);
    bed.assert_no_secrets(&out.all(), "an unknown flag's error");
}

/// Where a seed can be put by mistake: every flag (free text or not: clap repeats bad values), each
/// key of `--cli-input-json` (and an unknown key named by the seed), and a stray argument.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Flag(&'static str),
    FlagEquals(&'static str),
    JsonValue(&'static str),
    JsonKey,
    Stray,
}

const SLOTS: [Slot; 31] = [
    Slot::Flag("--user-name"),
    Slot::Flag("--serial-number"),
    Slot::Flag("--account"),
    Slot::Flag("--reader"),
    Slot::Flag("--profile"),
    Slot::Flag("--region"),
    Slot::Flag("--endpoint-url"),
    Slot::Flag("--seed-env"),
    Slot::Flag("--seed-file"),
    Slot::Flag("--audit-log"),
    Slot::Flag("--cli-input-json"),
    Slot::Flag("--batch"),
    Slot::Flag("--authentication-code-1"),
    Slot::Flag("--authentication-code2"),
    Slot::Flag("--device"),
    Slot::Flag("--slot"),
    Slot::Flag("--digits"),
    Slot::Flag("--source"),
    Slot::Flag("--output"),
    Slot::Flag("--max-attempts"),
    Slot::Flag("--cli-read-timeout"),
    Slot::FlagEquals("--user-name"),
    Slot::FlagEquals("--device"),
    Slot::JsonValue("UserName"),
    Slot::JsonValue("SerialNumber"),
    Slot::JsonValue("AuthenticationCode1"),
    Slot::JsonValue("AuthenticationCode2"),
    Slot::JsonValue("Counters"),
    Slot::JsonKey,
    Slot::Stray,
    Slot::Flag("--generate-cli-skeleton"),
];

/// `args` with `secret` put in `slot`: a flag's value replaced when the case has the flag, added
/// otherwise; a JSON key set in the case's inline `--cli-input-json` object, or in a new one.
fn place(args: &[String], slot: Slot, secret: &str) -> Vec<String> {
    let mut args = args.to_vec();
    let set_flag = |args: &mut Vec<String>, flag: &str, value: String| match args
        .iter()
        .position(|a| a == flag)
    {
        Some(i) if i + 1 < args.len() => args[i + 1] = value,
        _ => args.extend([flag.to_string(), value]),
    };
    match slot {
        Slot::Flag(flag) => set_flag(&mut args, flag, secret.to_string()),
        Slot::FlagEquals(flag) => args.push(format!("{flag}={secret}")),
        Slot::JsonValue(_) | Slot::JsonKey => {
            let existing = args
                .iter()
                .position(|a| a == "--cli-input-json")
                .and_then(|i| args.get(i + 1))
                .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
                .filter(serde_json::Value::is_object);
            let mut object = existing.unwrap_or_else(|| serde_json::json!({}));
            match slot {
                Slot::JsonValue(key) => object[key] = secret.into(),
                _ => object[secret] = "x".into(),
            }
            set_flag(&mut args, "--cli-input-json", object.to_string());
        }
        Slot::Stray => args.push(secret.to_string()),
    }
    args
}

/// RFC 4648 base64 (standard alphabet, or URL-safe), padded.
fn base64(bytes: &[u8], url_safe: bool) -> String {
    let alphabet: &[u8] = if url_safe {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every way the seed could show: base32 (either case, and any 16 characters of it), the raw key
/// in hex (either case) and base64 (standard, URL-safe, padded or not).
fn leaks(seed: &str) -> Vec<String> {
    let raw = testbed::iam_local::totp::decode_seed(seed).expect("a valid seed");
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let mut needles = vec![
        hex.clone(),
        hex.to_uppercase(),
        base64(&raw, false),
        base64(&raw, true),
        base64(&raw, false).trim_end_matches('=').to_string(),
    ];
    for start in 0..=seed.len().saturating_sub(16) {
        let window = &seed[start..start + 16];
        needles.push(window.to_string());
        needles.push(window.to_lowercase());
    }
    needles
}

#[test]
fn a_seed_in_every_field_of_every_bad_input_is_never_shown() {
    let cases = crate::golden::bad_input::cases();
    let mut runs: Vec<(usize, Slot, bool)> = Vec::new();
    for case in 0..cases.len() {
        for slot in SLOTS {
            for uri in [false, true] {
                runs.push((case, slot, uri));
            }
        }
    }
    let threads = 4;
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (cases, runs) = (&cases, &runs);
                scope.spawn(move || {
                    // Empty readers, as the corpus's own test has.
                    let _readers = crate::util::readers();
                    let bed = Bed::new();
                    let needles = leaks(&bed.seed);
                    let uri = format!(
                        "otpauth://totp/Example:alice?secret={}&issuer=Example",
                        bed.seed
                    );
                    let audit = bed.dir.path().join("audit-secrets.jsonl");
                    let mut failures = Vec::new();
                    for &(index, slot, as_uri) in runs.iter().skip(t).step_by(threads) {
                        let (name, case) = &cases[index];
                        let Some(crate::golden::bad_input::Prepared { args, env }) =
                            case.prepare(&bed)
                        else {
                            continue;
                        };
                        let secret = if as_uri {
                            uri.as_str()
                        } else {
                            bed.seed.as_str()
                        };
                        let mut args = place(&args, slot, secret);
                        if !args.iter().any(|a| a.starts_with("--audit-log")) {
                            args.extend(["--audit-log".into(), audit.display().to_string()]);
                        }
                        let out = bed.run(
                            bed.command()
                                .env("RUST_BACKTRACE", "1")
                                .envs(env)
                                .arg("-vvv")
                                .args(&args),
                        );
                        let logged = std::fs::read_to_string(&audit).unwrap_or_default();
                        let _ = std::fs::remove_file(&audit);
                        let seen = format!("{}\n{logged}", out.all());
                        if let Some(needle) = needles.iter().find(|n| seen.contains(n.as_str())) {
                            failures.push(format!(
                                "{name} with the seed{} in {slot:?}: {needle:?} shows\n{seen}",
                                if as_uri { " URI" } else { "" }
                            ));
                        }
                        if out.code == 0 || !bed.log().is_empty() {
                            failures.push(format!(
                                "{name} with the seed in {slot:?}: exit {}, the endpoint saw {:?}",
                                out.code,
                                bed.log()
                            ));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a worker"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} runs leaked:\n{}",
        failures.len(),
        runs.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// Every free-text field and file path, with the seed as people misplace it: lower-cased, as a
/// file's name, after an issuer, inside a longer path. Each run exits 2, shows no piece of the seed
/// and sends nothing.
#[test]
fn a_seed_inside_a_value_or_in_lower_case_is_refused_in_every_field() {
    let bed = Bed::new();
    let needles = leaks(&bed.seed);
    let lower = bed.seed.to_lowercase();
    let shapes = [
        lower.clone(),
        format!("./{}", bed.seed),
        format!("Amazon Web Services:{lower}"),
        format!("/home/alice/backups/{lower}.txt"),
    ];
    let fields: [(&str, &str); 19] = [
        ("resync", "--user-name"),
        ("resync", "--serial-number"),
        ("resync", "--account"),
        ("resync", "--reader"),
        ("resync", "--profile"),
        ("resync", "--seed-env"),
        ("resync", "--seed-file"),
        ("resync", "--audit-log"),
        ("resync", "--batch"),
        ("resync", "--ca-bundle"),
        ("resync", "--region"),
        ("codes", "--seed-file"),
        ("enroll", "--device-name"),
        ("enroll", "--oath-name"),
        ("enroll", "--backup-seed-file"),
        ("enroll", "--replace"),
        ("enroll", "--user-name"),
        ("station", "--reader"),
        ("station", "--audit-log"),
    ];
    let url = bed.url();
    let mut runs = Vec::new();
    for shape in &shapes {
        runs.push(vec![
            "resync".into(),
            "--cli-input-json".into(),
            format!("file://{shape}"),
        ]);
        for (command, flag) in fields {
            let mut args = vec![command.to_string(), flag.to_string(), shape.clone()];
            if command != "codes" {
                args.extend(["--endpoint-url".to_string(), url.clone()]);
            }
            runs.push(args);
        }
    }
    let mut failures = Vec::new();
    for args in runs {
        let out = bed.run(bed.command().arg("-vvv").args(&args));
        let shown = needles.iter().find(|n| out.all().contains(n.as_str()));
        if out.code != 2 || shown.is_some() || !bed.log().is_empty() {
            failures.push(format!(
                "{args:?}: exit {}, {shown:?} shown, the endpoint saw {} requests\n{}",
                out.code,
                bed.log().len(),
                out.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Refused is refused: no file was made under a name of the seed's shape (an audit log, a
    // backup file) in the directory the runs ran in.
    for shape in &shapes {
        let made = bed.dir.path().join(shape);
        assert!(!made.exists(), "{} was made", made.display());
    }
}
