//! The README tells the truth: its exit-code table is the one `--help` and the man page are made
//! from (`Exit::ALL`), row for row.

use mfa_resync::exit::Exit;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The rows of the first Markdown table after `heading`, as cells.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    text[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and its rule
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_readme_lists_the_exit_codes_the_code_returns() {
    let rows = table_after(&readme(), "## Exit codes");
    let expected: Vec<Vec<String>> = Exit::ALL
        .iter()
        .map(|(exit, meaning)| vec![exit.code().to_string(), meaning.to_string()])
        .collect();
    assert_eq!(rows, expected);
}
