//! What a shell completes `--profile` and `--reader` with, asked for while the user presses Tab:
//! the profiles the AWS config and credentials files define, and the PC/SC readers present. Read
//! only: no credentials, no network, no card opened, and quick when there is nothing to find (no
//! config file, no pcscd). A name with a control character or a bidirectional override (a reader's
//! name comes from its USB descriptor) is left out rather than put on the user's command line.

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
        .filter(|name| name.starts_with(prefix) && fit_for_a_command_line(name))
        .collect()
}

/// Whether `name` can go on a command line as it is: no control character, no bidirectional
/// control (which would make what the terminal shows differ from what runs).
fn fit_for_a_command_line(name: &str) -> bool {
    !name.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
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
        ];
        assert_eq!(
            starting_with(names.clone(), "Vir"),
            ["Virtual PCD 00 00", "Virtual PCD 00 01"]
        );
        assert_eq!(starting_with(names, "").len(), 3);
    }
}
