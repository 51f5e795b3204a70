//! The AWS CLI's global options may come before or after the subcommand (`aws --output json iam …`
//! and `aws iam … --output json` both work); so here. Each subcommand defines the options it takes,
//! so that its `--help` lists only those and clap refuses the others; the options written before
//! the subcommand are moved after it before clap parses.

use std::ffi::OsString;

/// The global options that take a value.
const WITH_VALUE: [&str; 7] = [
    "--output",
    "--profile",
    "--region",
    "--endpoint-url",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--ca-bundle",
];

/// The global options that are flags.
const FLAGS: [&str; 2] = ["--quiet", "--allow-insecure-endpoint"];

/// The top-level help's line on the global options, from the lists above so that it cannot drift
/// from what [`hoist`] takes (clap wraps it with the rest of the help).
pub fn help_note() -> String {
    let names: Vec<&str> = WITH_VALUE.iter().chain(FLAGS.iter()).copied().collect();
    format!(
        "Global options ({}) may come before or after the subcommand, as with the AWS CLI.",
        names.join(", ")
    )
}

/// `argv` with the global options written before the subcommand moved to just after it. Anything
/// else before the subcommand is left where it is, for clap to judge.
pub fn hoist(argv: Vec<OsString>) -> Vec<OsString> {
    let mut args = argv.into_iter();
    let Some(program) = args.next() else {
        return Vec::new();
    };
    let rest: Vec<OsString> = args.collect();
    let mut hoisted = Vec::new();
    let mut kept = Vec::new();
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        let Some(text) = arg.to_str() else { break };
        if !text.starts_with('-') {
            break;
        }
        let name = text.split_once('=').map_or(text, |(name, _)| name);
        if WITH_VALUE.contains(&name) {
            hoisted.push(arg.clone());
            if !text.contains('=')
                && let Some(value) = rest.get(i + 1)
            {
                hoisted.push(value.clone());
                i += 1;
            }
        } else if FLAGS.contains(&name) {
            hoisted.push(arg.clone());
        } else {
            kept.push(arg.clone());
        }
        i += 1;
    }
    let mut out = vec![program];
    out.extend(kept);
    if let Some(subcommand) = rest.get(i) {
        out.push(subcommand.clone());
        out.extend(hoisted);
        out.extend(rest[i + 1..].iter().cloned());
    } else {
        // No subcommand: leave everything for clap to report.
        out.extend(hoisted);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn options_before_the_subcommand_follow_it() {
        assert_eq!(
            hoist(words(&[
                "m", "--output", "json", "-v", "doctor", "--source", "seed"
            ])),
            words(&["m", "-v", "doctor", "--output", "json", "--source", "seed"])
        );
        assert_eq!(
            hoist(words(&[
                "m",
                "--region=eu-west-1",
                "--quiet",
                "resync",
                "--no-wait"
            ])),
            words(&["m", "resync", "--region=eu-west-1", "--quiet", "--no-wait"])
        );
    }

    #[test]
    fn everything_else_is_left_for_clap() {
        let after = words(&["m", "resync", "--output", "json"]);
        assert_eq!(hoist(after.clone()), after);
        let unknown = words(&["m", "--seed-file", "f", "resync"]);
        assert_eq!(
            hoist(unknown.clone()),
            unknown,
            "a subcommand's own option before it is clap's to refuse"
        );
        assert_eq!(
            hoist(words(&["m", "--output", "json"])),
            words(&["m", "--output", "json"])
        );
        assert!(hoist(Vec::new()).is_empty());
    }
}
