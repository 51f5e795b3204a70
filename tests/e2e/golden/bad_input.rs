//! The bad-input corpus, one case a file pair in `tests/cmd/bad_input/`: `NAME.toml` says how to
//! run it, `NAME.stderr` is the exact stderr. Every case runs the built binary at `-vvv` with
//! `RUST_BACKTRACE=1` against its own live `iam-local`, and must exit with its `status`, print its
//! golden stderr and nothing on stdout, say what to do (a hint, or clap's pointer to `--help`),
//! send the endpoint no request at all, and show no seed: not from its seed file, not from its
//! environment, not the test bed's.
//!
//! A case file (every key but `args` and `status` optional):
//!
//! ```toml
//! # What the case is about.
//! args = ["resync", "--seed-file", "[SEED_FILE]", "--endpoint-url", "[URL]"]  # after `mfa-resync -vvv`
//! status = 2
//! [env]                     # added to the clean environment of `Bed::command`
//! NAME = "value"
//! [seed_file]               # the fixture at [SEED_FILE] ([TMP]/seed-case)
//! kind = "file"             # or "directory", "symlink" (to `target`), or "fifo" (a named pipe)
//! content = "GEZDGNBV..."   # text; or `hex = "fffe47..."` for bytes that are not UTF-8
//! repeat = 1                # content written this many times (a huge file)
//! mode = 0o600
//! owner = 65534             # chown to this uid (needs root; else the case is skipped, and said so)
//! target = "[TMP]/nowhere"  # for a symlink
//! [card]                    # a virtual YubiKey in `Virtual PCD 00 00` for the run
//! serial = 33000001
//! version = "4.2.5"         # its firmware (default 5.7.2)
//! credentials = ["Example:alice"]   # its OATH credentials' ids
//! ```
//!
//! A case with a card also checks that nothing was written to it: its credentials afterwards are
//! the ones it started with.
//!
//! `[TMP]` (the test's temp dir), `[SEED_FILE]` and `[URL]` (the endpoint) are put into `args`,
//! `env` and `target`, and taken back out of the output before it is compared.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use serde::Deserialize;

use super::{Redact, compare, dir};
use crate::util::{Bed, Card, readers};

/// The corpus never shrinks by accident: removing a case means lowering this on purpose.
const AT_LEAST: usize = 170;

/// `NAME.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Case {
    args: Vec<String>,
    status: i32,
    #[serde(default)]
    env: BTreeMap<String, String>,
    seed_file: Option<Fixture>,
    card: Option<CardFixture>,
}

/// A virtual YubiKey in `Virtual PCD 00 00` during the run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CardFixture {
    serial: u32,
    version: Option<String>,
    #[serde(default)]
    credentials: Vec<String>,
}

impl CardFixture {
    fn config(&self) -> testbed::virtual_yubikey::CardConfig {
        use testbed::virtual_yubikey::{CardConfig, CredentialConfig};
        let mut config = CardConfig::new(self.serial);
        if let Some(version) = &self.version {
            config.version = version.clone();
        }
        for id in &self.credentials {
            config = config.with_credential(CredentialConfig::totp_with_id(
                id,
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            ));
        }
        config
    }
}

/// What stands at `[SEED_FILE]` before the run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    #[serde(default)]
    kind: Kind,
    content: Option<String>,
    hex: Option<String>,
    #[serde(default = "once")]
    repeat: usize,
    /// A file's mode (0o600 when not given); a directory's, when given.
    mode: Option<u32>,
    owner: Option<u32>,
    target: Option<String>,
}

fn once() -> usize {
    1
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    #[default]
    File,
    Directory,
    Symlink,
    Fifo,
}

/// The places a case may name.
struct Places {
    tmp: PathBuf,
    seed_file: PathBuf,
    url: String,
}

impl Places {
    fn of(bed: &Bed) -> Places {
        Places {
            tmp: bed.dir.path().to_path_buf(),
            seed_file: bed.dir.path().join("seed-case"),
            url: bed.url(),
        }
    }

    fn fill(&self, text: &str) -> String {
        text.replace("[SEED_FILE]", &self.seed_file.display().to_string())
            .replace("[TMP]", &self.tmp.display().to_string())
            .replace("[URL]", &self.url)
    }

    fn redact(&self) -> Redact {
        Redact::new()
            .value("[SEED_FILE]", self.seed_file.clone())
            .value("[TMP]", self.tmp.clone())
            .value("[URL]", self.url.clone())
    }
}

impl Fixture {
    /// Puts the fixture in place; `Ok(false)` when it cannot be set up by this user (`owner`).
    fn create(&self, places: &Places) -> Result<bool, String> {
        let path = &places.seed_file;
        match self.kind {
            Kind::Directory => {
                std::fs::create_dir(path).map_err(|e| e.to_string())?;
                if let Some(mode) = self.mode {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                        .map_err(|e| e.to_string())?;
                }
            }
            Kind::Fifo => {
                let made = std::process::Command::new("mkfifo").arg(path).status();
                if !made.is_ok_and(|s| s.success()) {
                    return Err(format!("mkfifo {} failed", path.display()));
                }
            }
            Kind::Symlink => {
                let target = self.target.as_deref().ok_or("a symlink needs a target")?;
                std::os::unix::fs::symlink(places.fill(target), path).map_err(|e| e.to_string())?
            }
            Kind::File => {
                let once = match (&self.content, &self.hex) {
                    (Some(text), None) => text.as_bytes().to_vec(),
                    (None, Some(hex)) => decode_hex(hex)?,
                    (None, None) => return Err("a file needs content or hex".into()),
                    (Some(_), Some(_)) => return Err("content or hex, not both".into()),
                };
                std::fs::write(path, once.repeat(self.repeat)).map_err(|e| e.to_string())?;
                let mode = self.mode.unwrap_or(0o600);
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                    .map_err(|e| e.to_string())?;
                if let Some(uid) = self.owner
                    && std::os::unix::fs::chown(path, Some(uid), None).is_err()
                {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The seeds it holds: each run of 8 or more base32 letters in its content.
    fn secrets(&self) -> Vec<String> {
        let bytes = match (&self.content, &self.hex) {
            (Some(text), _) => text.clone().into_bytes(),
            (None, Some(hex)) => decode_hex(hex).unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        base32_runs(&String::from_utf8_lossy(&bytes))
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    let hex: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    hex.chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .filter(|_| pair.len() == 2)
                .ok_or_else(|| format!("hex: {:?} is not a byte", String::from_utf8_lossy(pair)))
        })
        .collect()
}

/// Runs of 8 or more characters of the base32 alphabet (RFC 4648 §6: A–Z, 2–7): what a seed
/// looks like, whole or in part.
fn base32_runs(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_uppercase() || ('2'..='7').contains(&c)))
        .filter(|run| run.len() >= 8)
        .map(str::to_string)
        .collect()
}

/// Fails if `output` shows `secret`, or any 12 characters of it, in either case.
fn check_no_secret(output: &str, secret: &str) -> Result<(), String> {
    let haystack = output.to_uppercase();
    let window = secret.len().min(12);
    for start in 0..=secret.len() - window {
        let part = &secret[start..start + window];
        if haystack.contains(part) {
            return Err(format!("the seed shows in the output ({part:?})"));
        }
    }
    Ok(())
}

/// The cases: every `NAME.toml`, and the files that do not belong (a `.stderr` with no case,
/// anything else).
fn list() -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut strays = Vec::new();
    let mut goldens = Vec::new();
    for entry in std::fs::read_dir(dir("bad_input")).expect("tests/cmd/bad_input") {
        let path = entry.expect("entry").path();
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        match (path.extension().and_then(|e| e.to_str()), stem) {
            (Some("toml"), Some(stem)) => names.push(stem),
            (Some("stderr"), Some(stem)) => goldens.push(stem),
            _ => strays.push(format!(
                "{}: not a case (NAME.toml) or its golden (NAME.stderr)",
                path.display()
            )),
        }
    }
    for golden in goldens {
        if !names.contains(&golden) {
            strays.push(format!("{golden}.stderr: no {golden}.toml"));
        }
    }
    names.sort();
    (names, strays)
}

/// Every case, by name, read from its file (for the secrets test, which runs them all again).
pub(crate) fn cases() -> Vec<(String, Case)> {
    let (names, _) = list();
    names
        .into_iter()
        .map(|name| {
            let path = dir("bad_input").join(format!("{name}.toml"));
            let text = std::fs::read_to_string(&path).expect("a case file");
            let case = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}.toml: {e}"));
            (name, case)
        })
        .collect()
}

/// A case ready to run: its arguments (after `mfa-resync -vvv`) and its environment.
pub(crate) struct Prepared {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Case {
    /// Puts the case's fixture in `bed`'s temp dir (replacing the last case's) and returns how to
    /// run it; `None` when this user cannot set it up, or when it needs a key (a case that puts a
    /// card in a reader runs only in the corpus's own test).
    pub(crate) fn prepare(&self, bed: &Bed) -> Option<Prepared> {
        if self.card.is_some() {
            return None;
        }
        let places = Places::of(bed);
        let _ = std::fs::remove_file(&places.seed_file);
        let _ = std::fs::remove_dir(&places.seed_file);
        if let Some(fixture) = &self.seed_file
            && !fixture.create(&places).expect("a fixture")
        {
            return None;
        }
        let args = self.args.iter().map(|a| places.fill(a)).collect();
        let env = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), places.fill(v)))
            .collect();
        Some(Prepared { args, env })
    }
}

/// Runs one case; `Ok(false)` when it could not be set up by this user.
fn run(name: &str) -> Result<bool, String> {
    let path = dir("bad_input").join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let case: Case = toml::from_str(&text).map_err(|e| format!("{name}.toml: {e}"))?;
    // `codes` and `devices` call no AWS API (and take no --endpoint-url); every other command must
    // point at the test bed.
    let offline = case.args.iter().any(|a| a == "codes" || a == "devices");
    if !offline && !case.args.iter().any(|a| a == "--endpoint-url") {
        return Err(format!(
            "{name}.toml: args must name --endpoint-url (\"[URL]\"), so that a request, were one made, reaches the test bed's endpoint and not AWS"
        ));
    }
    let bed = Bed::new();
    let places = Places::of(&bed);
    if let Some(fixture) = &case.seed_file
        && !fixture
            .create(&places)
            .map_err(|e| format!("{name}.toml: {e}"))?
    {
        eprintln!("{name}: cannot chown as this user (not root), so the case is not exercised");
        return Ok(false);
    }
    let card = case
        .card
        .as_ref()
        .map(|fixture| Card::insert(fixture.config(), 0));
    let mut cmd = bed.command();
    cmd.env("RUST_BACKTRACE", "1").arg("-vvv");
    cmd.args(case.args.iter().map(|a| places.fill(a)));
    for (key, value) in &case.env {
        cmd.env(key, places.fill(value));
    }
    let out = bed.run(&mut cmd);

    let mut problems = Vec::new();
    if let (Some(card), Some(fixture)) = (&card, &case.card)
        && card.credentials() != fixture.credentials
    {
        problems.push(format!(
            "the key was written to: it holds {:?}, not {:?}",
            card.credentials(),
            fixture.credentials
        ));
    }
    if out.code != case.status {
        problems.push(format!("exit {} (expected {})", out.code, case.status));
    }
    if !out.stdout.is_empty() {
        problems.push(format!("stdout is not empty:\n{}", out.stdout));
    }
    // Our errors end with a hint line; clap's usage errors with its pointer to --help.
    if !(out.stderr.contains("\n  hint: ") || out.stderr.contains("try '--help'")) {
        problems.push("stderr says nothing about what to do (no hint line)".into());
    }
    let log = bed.log();
    if !log.is_empty() {
        problems.push(format!(
            "the endpoint saw {} request(s): {log:?}",
            log.len()
        ));
    }
    let mut secrets = case
        .seed_file
        .as_ref()
        .map(Fixture::secrets)
        .unwrap_or_default();
    secrets.extend(case.env.values().flat_map(|v| base32_runs(v)));
    // A seed given where a name belongs (a pasted seed in the wrong field): never repeated either.
    secrets.extend(
        case.args
            .iter()
            .flat_map(|a| base32_runs(a))
            .filter(|run| run.len() >= 16),
    );
    secrets.push(bed.seed.clone());
    for secret in &secrets {
        if let Err(e) = check_no_secret(&out.all(), secret) {
            problems.push(e);
        }
    }
    if !problems.is_empty() {
        return Err(format!(
            "{name}: {}\n--- stderr\n{}",
            problems.join("\n"),
            out.stderr
        ));
    }
    let golden = dir("bad_input").join(format!("{name}.stderr"));
    compare(&out.stderr, &golden, &places.redact()).map_err(|diff| format!("{name}: {diff}"))?;
    Ok(true)
}

#[test]
fn every_bad_input_case_exits_with_its_status_and_exact_stderr_and_sends_nothing() {
    // Empty readers for every case (a case's key goes in and out of the first), as a station has.
    let _readers = readers();
    let (names, strays) = list();
    assert!(
        strays.is_empty(),
        "tests/cmd/bad_input:\n{}",
        strays.join("\n")
    );
    assert!(
        names.len() >= AT_LEAST,
        "the corpus has {} cases, fewer than {AT_LEAST}",
        names.len()
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    for name in &names {
        match run(name) {
            Ok(true) => ran += 1,
            Ok(false) => {}
            Err(failure) => failures.push(failure),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n\n")
    );
    eprintln!("{ran} of {} bad-input cases ran", names.len());
}

#[test]
fn a_case_file_describes_its_fixture_exactly() {
    // Unknown keys are refused, so a typo cannot silently drop part of a fixture.
    let typo = "args = [\"resync\"]\nstatus = 2\n[seed_file]\ncontents = \"x\"\n";
    assert!(toml::from_str::<Case>(typo).is_err());
    let case: Case = toml::from_str(
        "args = [\"resync\", \"--seed-file\", \"[SEED_FILE]\"]\nstatus = 2\n[seed_file]\nhex = \"ff fe 41\"\nmode = 0o644\nrepeat = 2\n",
    )
    .expect("a case");
    let fixture = case.seed_file.expect("a fixture");
    assert_eq!(fixture.mode, Some(0o644));
    let dir = tempfile::tempdir().expect("temp dir");
    let places = Places {
        tmp: dir.path().to_path_buf(),
        seed_file: dir.path().join("seed-case"),
        url: "http://127.0.0.1:1".into(),
    };
    assert!(fixture.create(&places).expect("created"));
    assert_eq!(
        std::fs::read(&places.seed_file).expect("read"),
        b"\xff\xfeA\xff\xfeA"
    );
    let mode = std::fs::metadata(&places.seed_file)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    assert_eq!(
        places.fill("[SEED_FILE]"),
        places.seed_file.display().to_string()
    );
    assert!(decode_hex("f").is_err() && decode_hex("zz").is_err());
}

#[test]
fn the_seed_check_catches_a_seed_quoted_in_part_or_in_lowercase() {
    let runs = base32_runs("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8");
    assert_eq!(runs, ["GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"]);
    let seed = &runs[0];
    assert!(check_no_secret("error: bad seed\n", seed).is_ok());
    assert!(check_no_secret("error: near \"QOJQGEZDGNBV\"\n", seed).is_err());
    assert!(check_no_secret("secret=gezdgnbvgy3tqojq\n", seed).is_err());
    assert!(check_no_secret("GEZDGNBV\n", "GEZDGNBV").is_err());
    assert_eq!(
        base32_runs("ABC=DEF https://example.com/seed"),
        Vec::<String>::new()
    );
}
