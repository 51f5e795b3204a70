//! Golden files: the exact text a user sees, pinned under `tests/cmd/` and compared with snapbox.
//!
//! A golden file holds what the binary printed, with the values that change from run to run put
//! back as placeholders: the test's temp dir `[TMP]`, the endpoint `[URL]`, log timestamps
//! `[TIME]`, and whatever a test knows it will see (codes, counters, window times). snapbox's own
//! `[..]` (any text within a line) and `...` (any lines) may be written into a golden file by hand.
//!
//! `SNAPSHOTS=overwrite cargo test --test e2e golden` rewrites every golden file from what the
//! binary prints now (a missing one is created); without it, any difference fails with a diff, so
//! a message changed without its golden file fails the run. No other value of `SNAPSHOTS` is
//! accepted: snapbox's `skip` and `ignore` would turn these tests into ones that cannot fail.

pub(crate) mod bad_input;
mod enroll_output;
mod help;
mod output;

use std::path::{Path, PathBuf};

use snapbox::data::DataFormat;
use snapbox::{Assert, Data, RedactedValue, Redactions};

use crate::util::{Bed, Output};

/// The environment variable that, set to `overwrite`, regenerates the golden files.
pub const REGENERATE: &str = "SNAPSHOTS";

/// `tests/cmd/<sub>` in the source tree (golden files are written there, not into a copy).
pub fn dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cmd")
        .join(sub)
}

/// Whether this run rewrites golden files instead of failing on a difference.
pub fn overwriting() -> bool {
    match std::env::var(REGENERATE) {
        Err(std::env::VarError::NotPresent) => false,
        Ok(value) if value == "overwrite" => true,
        Ok(value) if value == "verify" => false,
        other => panic!(
            "{REGENERATE}={other:?}: only `overwrite` (regenerate the golden files) is understood"
        ),
    }
}

/// The placeholders of one comparison.
pub struct Redact(Redactions);

impl Redact {
    /// Only what any run may print: tracing's timestamps at `-v` and above.
    pub fn new() -> Self {
        let mut redactions = Redactions::new();
        // tracing-subscriber's fmt layer starts each event with an RFC 3339 UTC time.
        let time = regex::Regex::new(
            r"(?m)^(?<redacted>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z)",
        )
        .expect("a valid regex");
        redactions.insert("[TIME]", time).expect("a placeholder");
        Redact(redactions)
    }

    /// As [`Redact::new`], plus a test bed's temp dir and endpoint.
    pub fn bed(bed: &Bed) -> Self {
        Redact::new()
            .value("[TMP]", bed.dir.path().to_path_buf())
            .value("[URL]", bed.url())
    }

    /// `value` wherever it appears becomes `placeholder` (`[A-Z_]` in brackets). Longer values are
    /// replaced first, so a path inside the temp dir can have its own name.
    pub fn value(mut self, placeholder: &'static str, value: impl Into<RedactedValue>) -> Self {
        self.0
            .insert(placeholder, value)
            .expect("a placeholder of A-Z and _ in brackets");
        self
    }

    /// The `redacted` group of `pattern` (else the whole match) becomes `placeholder`.
    pub fn pattern(mut self, placeholder: &'static str, pattern: &str) -> Self {
        let regex = regex::Regex::new(pattern).expect("a valid regex");
        self.0
            .insert(placeholder, regex)
            .expect("a placeholder of A-Z and _ in brackets");
        self
    }

    /// `text` with the placeholders put in (what a golden file would hold).
    pub fn apply(&self, text: &str) -> String {
        self.0.redact(text)
    }
}

/// Compares `actual` with the golden file `path`; the error is snapbox's diff (or, for a missing
/// file, says so). When regenerating, the file is written instead and this succeeds.
pub fn compare(actual: &str, path: &Path, redact: &Redact) -> Result<(), String> {
    let _ = overwriting(); // refuses values of SNAPSHOTS other than overwrite and verify
    let assert = Assert::new()
        .action_env(REGENERATE)
        .normalize_paths(false)
        .redact_with(redact.0.clone());
    let expected = Data::read_from(path, Some(DataFormat::Text));
    assert
        .try_eq(Some(&"actual"), Data::text(actual), expected)
        .map_err(|e| e.to_string())
}

/// Panics with the diff unless `actual` matches the golden file `path`.
#[track_caller]
pub fn assert_golden(actual: &str, path: &Path, redact: &Redact) {
    if let Err(diff) = compare(actual, path, redact) {
        panic!("{} differs from the run:\n{diff}", path.display());
    }
}

/// How a run's stdout is pinned.
#[derive(Clone, Copy)]
pub enum Stdout {
    /// As printed, in `NAME.stdout`.
    Text,
    /// One JSON document on one line, pinned pretty-printed in `NAME.json` so that a diff shows
    /// the field that changed.
    Json,
}

/// Asserts the exit code, then pins stdout (`tests/cmd/<sub>/NAME.stdout` or `.json`) and stderr
/// (`NAME.stderr`, empty when nothing was printed there).
#[track_caller]
pub fn assert_run(out: &Output, code: i32, sub: &str, name: &str, stdout: Stdout, redact: &Redact) {
    out.assert_exit(code);
    let dir = dir(sub);
    match stdout {
        Stdout::Text => assert_golden(&out.stdout, &dir.join(format!("{name}.stdout")), redact),
        Stdout::Json => {
            assert!(
                out.stdout.ends_with('\n') && out.stdout.trim_end().lines().count() == 1,
                "{name}: JSON output is one line\n{}",
                out.stdout
            );
            let value: serde_json::Value = serde_json::from_str(&out.stdout)
                .unwrap_or_else(|e| panic!("{name}: stdout is not JSON ({e})\n{}", out.stdout));
            let pretty = serde_json::to_string_pretty(&value).expect("JSON") + "\n";
            assert_golden(&pretty, &dir.join(format!("{name}.json")), redact);
        }
    }
    assert_golden(&out.stderr, &dir.join(format!("{name}.stderr")), redact);
}

#[test]
fn a_golden_file_that_differs_fails_and_names_the_file() {
    if overwriting() {
        return; // regenerating: this test's point is the verifying run
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pinned.stderr");
    std::fs::write(&path, "error: the old message\n").expect("write");
    let redact = Redact::new();
    assert!(compare("error: the old message\n", &path, &redact).is_ok());
    let diff = compare("error: the new message\n", &path, &redact).expect_err("a difference");
    assert!(diff.contains("pinned.stderr"), "{diff}");
    assert!(diff.contains("new message"), "{diff}");
    assert!(
        compare("anything\n", &dir.path().join("missing.stderr"), &redact).is_err(),
        "a missing golden file fails unless regenerating"
    );
    assert!(
        !dir.path().join("missing.stderr").exists(),
        "verifying never writes"
    );
}

#[test]
fn redactions_put_placeholders_where_values_vary() {
    let redact = Redact::new()
        .value("[TMP]", PathBuf::from("/tmp/.tmpAbC123"))
        .value("[SEED_FILE]", PathBuf::from("/tmp/.tmpAbC123/seed-case"))
        .value("[URL]", "http://127.0.0.1:40123".to_string());
    let text = "2025-11-30T21:30:00.123456Z TRACE mfa_resync: reading /tmp/.tmpAbC123/seed-case\n\
                error: cannot reach http://127.0.0.1:40123 from /tmp/.tmpAbC123/x\n";
    assert_eq!(
        redact.apply(text),
        "[TIME] TRACE mfa_resync: reading [SEED_FILE]\n\
         error: cannot reach [URL] from [TMP]/x\n"
    );
    // A placeholder in the golden file matches the value it stands for, and only that.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pinned.stderr");
    std::fs::write(&path, "error: [SEED_FILE] is open to others\n").expect("write");
    if !overwriting() {
        assert!(
            compare(
                "error: /tmp/.tmpAbC123/seed-case is open to others\n",
                &path,
                &redact
            )
            .is_ok()
        );
        assert!(
            compare(
                "error: /tmp/other/seed-case is open to others\n",
                &path,
                &redact
            )
            .is_err()
        );
    }
}
