//! Fuzzing of everything that parses what a user types, with proptest as the engine (cargo-fuzz
//! needs a nightly toolchain): seeds and `otpauth://` URIs, `--cli-input-json` through the real
//! clap definition, and the IAM field types. Each target runs a bounded number of inputs, some
//! arbitrary and some mutated from valid ones, and prints how many it ran.
//!
//! Beyond "never panics", each has an oracle: an otpauth error never echoes the secret; the
//! `--cli-input-json` outcome matches a small model of the request rules (ARCHITECTURE.md, "Requests"); and the field types
//! accept exactly what IAM's constraints allow (the `ResyncMFADevice` API reference).

use std::cell::Cell;
use std::time::Instant;

use clap::Parser;
use mfa_resync::cli::{Cli, Command};
use mfa_resync::model::{AuthCode, Field, Origin, SerialNumber, UserName};
use mfa_resync::request::{CodePlan, SourceSpec};
use mfa_resync::source::otpauth;
use mfa_resync::window::Mode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

/// Runs `cases` inputs of `strategy` through `test` (which says whether the parser accepted the
/// input), prints the counts and the time, and fails with proptest's minimal input if any case
/// fails or panics.
fn fuzz<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let executions = Cell::new(0u64);
    let accepted = Cell::new(0u64);
    let started = Instant::now();
    let result = runner.run(&strategy, |input| {
        executions.set(executions.get() + 1);
        if test(input)? {
            accepted.set(accepted.get() + 1);
        }
        Ok(())
    });
    eprintln!(
        "{name}: {} executions ({} accepted) in {:.2?}",
        executions.get(),
        accepted.get(),
        started.elapsed()
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations, shared by the URI and JSON targets.

/// Fragments that matter to URI and JSON parsers: delimiters, escapes, broken UTF-8 encodings.
const TOKENS: &[&str] = &[
    "%",
    "%2",
    "%FF",
    "%C3%28",
    "%00",
    "%25",
    "%3D",
    "%26",
    "&",
    "=",
    "?",
    "/",
    ":",
    "+",
    "#",
    " ",
    "\t",
    "\0",
    "é",
    "\u{FEFF}",
    "\u{10FFFF}",
    "secret=",
    "&secret=",
    "digits=",
    "period=",
    "algorithm=",
    "otpauth://",
    "totp/",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\\",
    "\\u",
    "\\uD800",
    ",",
    "null",
    "1e999",
    "-0",
    "\"UserName\":",
    "\"AuthenticationCode1\":",
    "file://",
];

/// One edit of a text; positions are taken modulo its length in characters.
#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, String),
    Delete(usize, usize),
    Replace(usize, String),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(TOKENS).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
        1 => "[ -~]{1,4}",
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), token()).prop_map(|(p, t)| Mutation::Insert(p, t)),
        2 => (any::<usize>(), 1..4usize).prop_map(|(p, n)| Mutation::Delete(p, n)),
        2 => (any::<usize>(), token()).prop_map(|(p, t)| Mutation::Replace(p, t)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), 1..24usize).prop_map(|(p, n)| Mutation::Duplicate(p, n)),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for m in mutations {
        let at = |p: usize, len: usize| p % (len + 1);
        match m {
            Mutation::Insert(p, t) => {
                let i = at(*p, chars.len());
                chars.splice(i..i, t.chars());
            }
            Mutation::Delete(p, n) => {
                let i = at(*p, chars.len());
                let end = (i + n).min(chars.len());
                chars.drain(i..end);
            }
            Mutation::Replace(p, t) => {
                let i = at(*p, chars.len());
                let end = (i + 1).min(chars.len());
                chars.splice(i..end, t.chars());
            }
            Mutation::Truncate(p) => {
                let i = at(*p, chars.len());
                chars.truncate(i);
            }
            Mutation::Duplicate(p, n) => {
                let i = at(*p, chars.len());
                let end = (i + n).min(chars.len());
                let copy: Vec<char> = chars[i..end].to_vec();
                chars.splice(end..end, copy);
            }
        }
    }
    chars.into_iter().collect()
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop_oneof![
        1 => Just(Vec::new()),
        4 => prop::collection::vec(mutation(), 1..5),
    ]
}

// ---------------------------------------------------------------------------------------------
// otpauth://

fn secret_value() -> impl Strategy<Value = String> {
    prop_oneof![
        // Valid: 26+ base32 characters are 130+ bits.
        4 => "[A-Z2-7]{26,104}",
        2 => "[A-Za-z2-7]{16,64}",
        1 => "[A-Z2-7]{16,40}(%20[A-Z2-7]{4}){0,4}(=){0,6}",
        1 => "[A-Z2-7 =-]{0,40}",
        1 => "[A-Z0-9+/=%]{10,60}",
        1 => ".{0,40}",
    ]
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just("Amazon%20Web%20Services:alice@123456789012".to_string()),
        3 => "[A-Za-z0-9 %:@.+-]{0,30}",
        1 => ".{0,20}",
    ]
}

fn other_param() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => label().prop_map(|l| format!("issuer={l}")),
        2 => prop_oneof![
            Just("SHA1"), Just("sha256"), Just("SHA512"), Just("MD5"), Just(""), Just("SHA1SHA1SHA1SHA1SHA1")
        ]
        .prop_map(|a| format!("algorithm={a}")),
        2 => prop_oneof![Just("6".to_string()), Just("8".to_string()), Just("5".to_string()), "-?[0-9]{0,22}"]
            .prop_map(|d| format!("digits={d}")),
        2 => prop_oneof![Just("30".to_string()), Just("0".to_string()), Just("3601".to_string()), "-?[0-9]{0,22}"]
            .prop_map(|p| format!("period={p}")),
        1 => "(image|counter|Secret|SECRET|x)=[ -~]{0,20}",
        1 => "[a-z]{0,8}(=[ -~]{0,12})?",
    ]
}

/// An otpauth URI built from parts, mostly valid, then mutated.
fn otpauth_uri() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        6 => Just("otpauth://"),
        1 => Just("OTPAUTH://"),
        1 => Just("otpauth:/"),
        1 => Just("https://"),
    ];
    let kind = prop_oneof![
        6 => Just("totp"),
        1 => Just("TOTP"),
        1 => Just("hotp"),
        1 => Just(""),
    ];
    (
        scheme,
        kind,
        label(),
        prop::option::weighted(0.9, secret_value()),
        prop::collection::vec(other_param(), 0..5),
        any::<usize>(),
        mutations(),
    )
        .prop_map(|(scheme, kind, label, secret, mut params, at, muts)| {
            if let Some(secret) = secret {
                let i = at % (params.len() + 1);
                params.insert(i, format!("secret={secret}"));
            }
            let uri = format!("{scheme}{kind}/{label}?{}", params.join("&"));
            mutate(&uri, &muts)
        })
}

/// The values of every `secret` parameter of `text`, as `otpauth::parse` finds its query, raw
/// and percent-decoded.
fn secret_values(text: &str) -> Vec<String> {
    let is_uri = text
        .get(..10)
        .is_some_and(|p| p.eq_ignore_ascii_case("otpauth://"));
    if !is_uri {
        return Vec::new();
    }
    let Some((_, rest)) = text[10..].split_once('/') else {
        return Vec::new();
    };
    let query = rest.split_once('?').map_or("", |(_, q)| q);
    let mut out = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key.eq_ignore_ascii_case("secret") {
            out.push(value.to_string());
            let decoded = percent_decode_lossy(&value.replace('+', " "));
            out.push(decoded);
        }
    }
    out
}

fn percent_decode_lossy(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn check_seed(text: &str) -> Result<bool, TestCaseError> {
    let result = otpauth::parse(text);
    // Secrets to keep out of messages: a URI's secret parameters, or the whole of a bare seed.
    let mut secrets = secret_values(text);
    if !text.contains("://") {
        secrets.push(text.to_string());
    }
    secrets.retain(|s| s.chars().count() >= 16);
    let accepted = result.is_ok();
    match result {
        Ok(params) => {
            prop_assert!(params.secret.len() >= 16, "a key under 128 bits");
            prop_assert!((6..=8).contains(&params.digits));
            prop_assert!((1..=3600).contains(&params.period));
            let debug = format!("{params:?}");
            for s in &secrets {
                prop_assert!(!debug.contains(s.as_str()), "Debug shows the secret");
            }
        }
        Err(e) => {
            let (problem, hint) = (e.to_string(), e.hint());
            prop_assert!(!problem.is_empty() && !hint.is_empty());
            for s in &secrets {
                prop_assert!(
                    !problem.contains(s.as_str()) && !hint.contains(s.as_str()),
                    "the error echoes the secret {:?}: {} / {}",
                    s,
                    problem,
                    hint
                );
            }
        }
    }
    Ok(accepted)
}

#[test]
fn otpauth_parse_survives_arbitrary_text() {
    let text = prop_oneof![
        3 => any::<String>(),
        2 => prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        2 => any::<String>().prop_map(|s| format!("otpauth://{s}")),
        2 => "[A-Za-z2-7 =\t-]{0,120}",
    ];
    fuzz("otpauth::parse (arbitrary)", 30_000, text, |t| {
        check_seed(&t)
    });
}

#[test]
fn otpauth_parse_survives_mutated_uris_and_never_echoes_the_secret() {
    fuzz(
        "otpauth::parse (mutated URIs)",
        30_000,
        otpauth_uri(),
        |t| check_seed(&t),
    );
}

// ---------------------------------------------------------------------------------------------
// IAM field types.

/// IAM's `[\w+=,.@-]+` for user names (ASCII `\w`), 1 to 128 characters.
fn iam_user_ok(v: &str) -> bool {
    let n = v.chars().count();
    (1..=128).contains(&n) && v.chars().all(is_user_char)
}

fn is_user_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// IAM's `[\w+=/:,.@-]+` for MFA serial numbers, 9 to 256 characters.
fn iam_serial_ok(v: &str) -> bool {
    let n = v.chars().count();
    (9..=256).contains(&n) && v.chars().all(|c| is_user_char(c) || c == '/' || c == ':')
}

/// A value that looks like a seed, as the README's security section defines it: it contains
/// `otpauth:` or `secret=`; or, spaces, hyphens and trailing `=` aside, it is 16 or more base32
/// capitals and digits 2–7 with at least one letter; or 16 or more lower-case base32 characters
/// grouped by spaces (3 groups or more), or ungrouped and random-looking; or it holds a run of 32 or
/// more base32 characters of one case (digits 2–7 count for either) that is random-looking.
/// Random-looking: digits in two places or more, or one place and fewer than three vowels in ten
/// letters. Refused in any name field.
fn seed_shaped(v: &str) -> bool {
    let lower = v.to_lowercase();
    if lower.contains("otpauth:") || lower.contains("secret=") {
        return true;
    }
    let random = |run: &str| {
        let digit = |c: char| ('2'..='7').contains(&c);
        let places = run
            .char_indices()
            .filter(|&(i, c)| digit(c) && !run[..i].ends_with(digit))
            .count();
        let letters = run.chars().filter(char::is_ascii_alphabetic).count();
        let vowels = run.chars().filter(|c| "aeiouAEIOU".contains(*c)).count();
        places >= 2 || (places == 1 && 10 * vowels < 3 * letters)
    };
    let upper_b32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
    let lower_b32 = |c: char| c.is_ascii_lowercase() || ('2'..='7').contains(&c);
    for in_case in [upper_b32, lower_b32] {
        if v.split(|c: char| !in_case(c))
            .any(|run| run.len() >= 32 && random(run))
        {
            return true;
        }
    }
    let t = v.trim().trim_end_matches('=');
    let compact: String = t.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if compact.chars().count() < 16 {
        return false;
    }
    if compact.chars().all(upper_b32) {
        return compact.chars().any(|c| c.is_ascii_uppercase());
    }
    if compact.chars().all(lower_b32) && compact.chars().any(|c| c.is_ascii_lowercase()) {
        let groups = t.split(' ').filter(|g| !g.is_empty()).count();
        return groups >= 3 || random(t);
    }
    false
}

/// Serials IAM would take but that name the wrong thing; the tool refuses them on purpose.
fn deliberately_refused_serial(v: &str) -> bool {
    v.starts_with("arn:") && (v.contains(":user/") || v.contains(":u2f/"))
}

fn six_ascii_digits(v: &str) -> bool {
    v.len() == 6 && v.bytes().all(|b| b.is_ascii_digit())
}

/// The code `v` stands for, as a person types one: six ASCII digits, or two groups of three joined
/// by one space or hyphen (`123 456`, `123-456`), as tokens show them.
fn typed_code(v: &str) -> Option<String> {
    if six_ascii_digits(v) {
        return Some(v.to_string());
    }
    let b = v.as_bytes();
    let grouped = b.len() == 7
        && matches!(b[3], b' ' | b'-')
        && b[..3].iter().chain(&b[4..]).all(u8::is_ascii_digit);
    grouped.then(|| format!("{}{}", &v[..3], &v[4..]))
}

fn user_like() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9_+=,.@-]{0,130}",
        2 => "[A-Za-z0-9_+=,.@ /:é\u{0}-]{0,20}",
        1 => Just("x".repeat(128)),
        1 => Just("x".repeat(129)),
        1 => "arn:aws:iam::[0-9]{12}:user/[a-z]{1,10}",
        1 => seed_like(),
    ]
}

/// Around the edges of a seed's shape: base32 in either case, grouped or not, short or long.
fn seed_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z2-7]{14,40}=?=?",
        "[A-Z2-7]{4}( [A-Z2-7]{4}){2,8}",
        "[a-z2-7]{14,40}",
        "[a-z2-7]{4}( [a-z2-7]{4}){2,8}",
        "[A-Za-z2-7]{14,40}",
        "[a-z]{0,8}(otpauth:|secret=|SECRET=)[A-Z2-7]{0,20}",
        // A seed, or nearly, inside a longer value: a path, `ISSUER:NAME`.
        "[A-Za-z0-9./:@ ]{1,10}[A-Z2-7]{28,40}[a-z.]{0,5}",
        "[A-Za-z0-9./:@ ]{1,10}[a-z2-7]{28,40}[A-Z.]{0,5}",
    ]
}

fn serial_like() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[A-Za-z0-9_+=/:,.@-]{0,260}",
        2 => "arn:aws:iam::[0-9]{12}:(mfa|user|u2f|MFA)/[a-z/]{0,20}",
        2 => "[A-Z]{4}[0-9]{4,9}",
        1 => "[A-Za-z0-9_+=/:,.@ é\u{0}\t-]{5,20}",
        1 => Just("G".repeat(256)),
        1 => Just("G".repeat(257)),
        1 => seed_like(),
    ]
}

fn code_like() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[0-9]{0,9}",
        2 => "[ \t\n]{0,2}[0-9 ]{4,8}[ \t\n\u{3000}]{0,2}",
        1 => "[0-9]{2,4}[ -]{1,2}[0-9]{2,4}",
        1 => "[0-9\u{661}\u{FF11}x-]{5,7}",
        1 => "[cbdefghijklnrtuv]{30,66}",
    ]
}

#[test]
fn user_names_are_accepted_exactly_by_iam_rules() {
    let input = prop_oneof![2 => any::<String>(), 3 => user_like()];
    fuzz("UserName::parse", 30_000, input, |v| {
        let parsed = UserName::parse(&v, Origin::Flag);
        prop_assert_eq!(
            parsed.is_ok(),
            iam_user_ok(&v) && !seed_shaped(&v),
            "{:?}",
            v
        );
        let accepted = parsed.is_ok();
        if let Ok(user) = parsed {
            prop_assert_eq!(user.as_str(), v.as_str());
        }
        Ok(accepted)
    });
}

#[test]
fn serial_numbers_are_accepted_exactly_by_iam_rules() {
    let input = prop_oneof![2 => any::<String>(), 3 => serial_like()];
    fuzz("SerialNumber::parse", 30_000, input, |v| {
        let parsed = SerialNumber::parse(&v, Origin::Json);
        let expected = iam_serial_ok(&v) && !deliberately_refused_serial(&v) && !seed_shaped(&v);
        prop_assert_eq!(parsed.is_ok(), expected, "{:?}", v);
        let accepted = parsed.is_ok();
        if let Ok(serial) = parsed {
            prop_assert_eq!(serial.as_str(), v.as_str());
            if let Some(account) = serial.account() {
                prop_assert!(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
            }
        }
        Ok(accepted)
    });
}

/// The example of a code the hint of a badly typed one gives.
const HINT_EXAMPLE: &str = "(123456, or grouped: 123 456)";

#[test]
fn codes_are_accepted_exactly_as_six_ascii_digits_grouped_or_not_and_never_echoed() {
    let field = || {
        Field::request(
            "--authentication-code-1",
            "AuthenticationCode1",
            Origin::Flag,
        )
    };
    let short = AuthCode::parse("123 45", field()).expect_err("five digits");
    assert!(short.hint().contains(HINT_EXAMPLE), "{}", short.hint());
    let input = prop_oneof![2 => any::<String>(), 3 => code_like()];
    fuzz("AuthCode::parse", 30_000, input, |v| {
        let parsed = AuthCode::parse(&v, field());
        // Surrounding whitespace is forgiven (a pasted code), and the two halves of a code may be
        // grouped as a token shows them; nothing else is.
        let trimmed = v.trim();
        let expected = typed_code(trimmed);
        prop_assert_eq!(parsed.is_ok(), expected.is_some(), "{:?}", v);
        let accepted = parsed.is_ok();
        match parsed {
            Ok(code) => prop_assert_eq!(Some(code.expose().to_string()), expected),
            Err(e) => {
                let digits = trimmed.chars().filter(char::is_ascii_digit).count();
                if trimmed.chars().count() >= 6 && digits >= 4 {
                    // The hint's own example of a code is not the user's input: "123 45" is in it.
                    let text = format!("{e} {}", e.hint()).replace(HINT_EXAMPLE, "");
                    prop_assert!(!text.contains(trimmed), "echoes the code: {}", text);
                }
            }
        }
        Ok(accepted)
    });
}

// ---------------------------------------------------------------------------------------------
// --cli-input-json, through the real clap definition.

const JSON_KEYS: &[&str] = &[
    "UserName",
    "SerialNumber",
    "AuthenticationCode1",
    "AuthenticationCode2",
];
/// Keys that are almost right.
const NEAR_KEYS: &[&str] = &["userName", "UserName ", "Bogus", "", "AuthenticationCode3"];

fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => user_like(),
        3 => serial_like(),
        2 => code_like(),
        1 => any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[A-Za-z]{0,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(JSON_KEYS).prop_map(str::to_string),
        1 => prop::sample::select(NEAR_KEYS).prop_map(str::to_string),
        1 => "[A-Za-z]{0,10}",
    ]
}

fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => json_string().prop_map(Value::String),
        2 => Just(Value::Null),
        1 => json_value(),
    ]
}

/// A request object as text, keys possibly repeated (serde_json keeps the last), then mutated.
fn request_json() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((json_key(), field_value()), 0..6),
        any::<bool>(),
        mutations(),
    )
        .prop_map(|(fields, pretty, muts)| {
            let sep = if pretty { ",\n    " } else { "," };
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}: {v}", Value::String(k.clone())))
                .collect();
            mutate(&format!("{{{}}}", body.join(sep)), &muts)
        })
}

/// What `resync --source prompt --cli-input-json TEXT` must do, from the request rules:
/// `Some((user, serial))` when it must validate, `None` when it must refuse.
fn model(text: &str) -> Option<(Option<String>, Option<String>)> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    // A key given twice is refused (serde_json's map would keep the last).
    let keys = object_keys(text)?;
    if keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k)) {
        return None;
    }
    let (mut user, mut serial) = (None, None);
    for (key, value) in map {
        match key.as_str() {
            // What `codes --output json` adds: ignored, in the shape it prints.
            "Counters" => match value {
                Value::Null => continue,
                Value::Array(items) if items.iter().all(Value::is_u64) => continue,
                _ => return None,
            },
            "Period" => match value {
                Value::Null | Value::Number(_) => continue,
                _ => return None,
            },
            _ => {}
        }
        // An empty string is not given, as an unfilled skeleton leaves it.
        let value = match value {
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s),
            Value::Null => None,
            _ => return None,
        };
        match key.as_str() {
            "UserName" => user = value,
            "SerialNumber" => serial = value,
            // With --source prompt, any code (one, both, valid or not) is refused.
            "AuthenticationCode1" | "AuthenticationCode2" if value.is_some() => return None,
            "AuthenticationCode1" | "AuthenticationCode2" => {}
            _ => return None,
        }
    }
    if user
        .as_deref()
        .is_some_and(|u| !iam_user_ok(u) || seed_shaped(u))
    {
        return None;
    }
    if serial
        .as_deref()
        .is_some_and(|s| !iam_serial_ok(s) || deliberately_refused_serial(s) || seed_shaped(s))
    {
        return None;
    }
    Some((user, serial))
}

/// The keys of the JSON object `text`, in order, repeats kept.
fn object_keys(text: &str) -> Option<Vec<String>> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                keys.push(key);
            }
            Ok(keys)
        }
    }
    serde_json::Deserializer::from_str(text)
        .deserialize_map(Keys)
        .ok()
}

/// The string values of the code keys, when the text is a JSON object.
fn json_codes(text: &str) -> Vec<String> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    map.iter()
        .filter(|(k, _)| k.starts_with("AuthenticationCode"))
        .filter_map(|(_, v)| v.as_str().map(str::to_string))
        .collect()
}

#[derive(Debug, Clone)]
enum JsonArg {
    /// Given inline.
    Inline(String),
    /// Given as `file://PATH` of a file holding the text.
    File(String),
}

#[test]
fn cli_input_json_is_validated_as_the_model_says() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("request.json");
    let text = prop_oneof![
        6 => request_json(),
        2 => any::<String>(),
        1 => json_value().prop_map(|v| v.to_string()),
    ];
    let arg = prop_oneof![
        9 => text.clone().prop_map(JsonArg::Inline),
        1 => text.prop_map(JsonArg::File),
    ];
    fuzz("--cli-input-json", 20_000, arg, |arg| {
        let (value, text) = match &arg {
            JsonArg::Inline(text) => {
                // Inline text that happens to start with file:// would read a file: keep it inline.
                let text = if text.starts_with("file://") {
                    format!(" {text}")
                } else {
                    text.clone()
                };
                (text.clone(), text)
            }
            JsonArg::File(text) => {
                std::fs::write(&path, text).expect("write the request file");
                (format!("file://{}", path.display()), text.clone())
            }
        };
        // A value starting with '-' must be attached with '=' (clap would take it for a flag).
        let mut argv = vec!["mfa-resync".to_string(), "resync".to_string()];
        if value.starts_with('-') {
            argv.push(format!("--cli-input-json={value}"));
        } else {
            argv.extend(["--cli-input-json".to_string(), value.clone()]);
        }
        argv.extend(["--source".to_string(), "prompt".to_string()]);
        let cli = match Cli::try_parse_from(&argv) {
            Ok(cli) => cli,
            Err(e) => return Err(TestCaseError::fail(format!("clap refused {argv:?}: {e}"))),
        };
        let Command::Resync(args) = cli.command else {
            return Err(TestCaseError::fail("not the resync command"));
        };
        let validated = args.into_request();
        let accepted = validated.is_ok();
        let expected = model(&text);
        prop_assert_eq!(
            validated.is_ok(),
            expected.is_some(),
            "validate() = {:?} for {:?}",
            validated.as_ref().map(|_| "Ok").map_err(|e| e.to_string()),
            text
        );
        match validated {
            Ok(request) => {
                let (user, serial) = expected.expect("checked above");
                prop_assert_eq!(request.user.as_ref().map(|u| u.as_str()), user.as_deref());
                prop_assert_eq!(
                    request.serial.as_ref().map(|s| s.as_str()),
                    serial.as_deref()
                );
                prop_assert!(matches!(request.codes, CodePlan::Read(SourceSpec::Prompt)));
                prop_assert_eq!(request.pace.mode, Mode::Wait);
            }
            Err(e) => {
                let message = format!("{e} {}", e.hint());
                for code in json_codes(&text) {
                    let digits = code.chars().filter(char::is_ascii_digit).count();
                    if code.trim().chars().count() >= 6 && digits >= 4 {
                        prop_assert!(!message.contains(code.trim()), "echoes a code: {}", message);
                    }
                }
            }
        }
        Ok(accepted)
    });
}
