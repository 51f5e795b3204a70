//! What a shell completes `--profile` and `--reader` with, asked for while the user presses Tab:
//! the profiles the AWS config and credentials files define, and the PC/SC readers present. Read
//! only: no credentials, no network, no card opened, and quick when there is nothing to find (no
//! config file, no pcscd). A name with a character the reports would escape (a control character,
//! a bidirectional override, a zero-width or other invisible one: a reader's name comes from its USB
//! descriptor) is left out rather than put on the user's command line, where what the terminal
//! shows would differ from what runs.

use crate::report::escape::is_unsafe;

/// The AWS profiles whose names start with `prefix`.
pub fn profiles(prefix: &str) -> Vec<String> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().build() else {
        return Vec::new();
    };
    let names = runtime.block_on(crate::aws::profiles::names());
    starting_with(names, prefix)
}

/// The PC/SC readers present whose names start with `prefix`.
pub fn readers(prefix: &str) -> Vec<String> {
    let names = crate::source::smartcard::readers()
        .map(|readers| readers.into_iter().map(|(name, _)| name).collect())
        .unwrap_or_default();
    starting_with(names, prefix)
}

fn starting_with(names: Vec<String>, prefix: &str) -> Vec<String> {
    names
        .into_iter()
        .filter(|name| name.starts_with(prefix) && !name.chars().any(is_unsafe))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_fit_for_a_command_line_that_start_with_what_was_typed() {
        let names = vec![
            "Virtual PCD 00 00".to_string(),
            "Virtual PCD 00 01".to_string(),
            "Yubico YubiKey OTP+FIDO+CCID 00 00".to_string(),
            "Virtual\u{1b}[2J".to_string(),
            "Virtual \u{202e}00 00".to_string(),
            "Virtual\u{200b} PCD 00 00".to_string(),
            "Virtual PCD\u{2028}00 02".to_string(),
        ];
        assert_eq!(
            starting_with(names.clone(), "Vir"),
            ["Virtual PCD 00 00", "Virtual PCD 00 01"]
        );
        assert_eq!(starting_with(names, "").len(), 3);
    }
}
