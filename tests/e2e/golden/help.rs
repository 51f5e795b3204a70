//! Every `--help`, pinned in `tests/cmd/help/` (`mfa-resync.stdout` for the top level,
//! `SUBCOMMAND.stdout` for each subcommand), at a fixed width: clap wraps help to `COLUMNS`.

use std::process::{Command, Stdio};

use clap::CommandFactory;
use mfa_resync::cli::Cli;

use super::{Redact, assert_golden, dir, overwriting};
use crate::util::{BIN, Output};

/// The width every help golden is pinned at.
const COLUMNS: usize = 100;

/// `mfa-resync [SUBCOMMAND] --help` with nothing from the caller's environment but `COLUMNS`.
fn help(subcommand: Option<&str>, columns: usize) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("COLUMNS", columns.to_string())
        .stdin(Stdio::null());
    cmd.args(subcommand).arg("--help");
    let out = Output::from(cmd.output().expect("mfa-resync runs"));
    out.assert_exit(0);
    assert_eq!(out.stderr, "", "--help writes to stdout only");
    out
}

/// The top level and each subcommand, from the one clap definition (so a new subcommand needs
/// its golden file: a missing one fails).
fn commands() -> Vec<Option<String>> {
    let mut names = vec![None];
    names.extend(
        Cli::command()
            .get_subcommands()
            .map(|s| Some(s.get_name().to_string())),
    );
    names
}

fn golden_name(subcommand: Option<&str>) -> String {
    format!("{}.stdout", subcommand.unwrap_or("mfa-resync"))
}

#[test]
fn every_help_text_matches_its_golden_file() {
    let commands = commands();
    let mut failures = Vec::new();
    for subcommand in &commands {
        let out = help(subcommand.as_deref(), COLUMNS);
        let path = dir("help").join(golden_name(subcommand.as_deref()));
        if let Err(diff) = super::compare(&out.stdout, &path, &Redact::new()) {
            failures.push(diff);
        }
    }
    // And no golden file for a subcommand that is gone.
    let known: Vec<String> = commands.iter().map(|s| golden_name(s.as_deref())).collect();
    for entry in std::fs::read_dir(dir("help")).expect("tests/cmd/help") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !known.contains(&name) {
            failures.push(format!("tests/cmd/help/{name}: no such command's help"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} help texts differ:\n{}",
        failures.len(),
        commands.len(),
        failures.join("\n")
    );
    assert!(commands.len() >= 7, "the top level and six subcommands");
}

#[test]
fn help_is_wrapped_at_the_columns_given() {
    let wide = help(Some("resync"), COLUMNS);
    let narrow = help(Some("resync"), 60);
    let widest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest(&narrow.stdout) <= 60, "{}", narrow.stdout);
    assert!(widest(&wide.stdout) <= COLUMNS, "{}", wide.stdout);
    assert!(
        widest(&wide.stdout) > 60,
        "at {COLUMNS} columns some line is longer than 60, so COLUMNS is what decides"
    );
    if !overwriting() {
        // The golden file is the 100-column text, not the narrow one.
        let path = dir("help").join("resync.stdout");
        assert_golden(&wide.stdout, &path, &Redact::new());
        assert!(super::compare(&narrow.stdout, &path, &Redact::new()).is_err());
    }
}
