//! The man page and the shell completions, generated from the one clap definition in [`crate::cli`]
//! so that they can never disagree with `--help`.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "mfa-resync", out);
}

/// Writes the man page (roff) to `out`: the top page, with every subcommand's options after it.
pub fn man(out: &mut dyn Write) -> std::io::Result<()> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_subcommands_section(out)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        writeln!(
            out,
            ".SH \"{}\"",
            format!("mfa-resync {}", sub.get_name()).to_uppercase()
        )?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{}", roff_escape(&about.to_string()))?;
        }
        clap_mangen::Man::new(sub.clone()).render_options_section(out)?;
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for line in crate::cli::EXIT_CODES_HELP.lines().skip(1) {
        let line = line.trim();
        if let Some((code, meaning)) = line.split_once(char::is_whitespace) {
            writeln!(out, ".TP\n{code}\n{}", roff_escape(meaning.trim()))?;
        }
    }
    writeln!(out, ".SH ENVIRONMENT")?;
    writeln!(
        out,
        ".TP\nMFA_RESYNC_OATH_PASSWORD\nThe YubiKey OATH password, when the terminal cannot be asked."
    )?;
    writeln!(
        out,
        ".TP\nAWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID, ...\nThe AWS SDK's standard configuration."
    )?;
    man.render_version_section(out)
}

/// Escapes the characters roff treats specially at the start of a line or anywhere.
fn roff_escape(text: &str) -> String {
    let text = text.replace('\\', "\\\\").replace('-', "\\-");
    match text.chars().next() {
        Some('.') | Some('\'') => format!("\\&{text}"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_know_every_subcommand_for_every_shell() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
            clap_complete::Shell::Elvish,
        ] {
            let mut out = Vec::new();
            completions(shell, &mut out);
            let text = String::from_utf8(out).unwrap();
            for word in [
                "resync",
                "codes",
                "devices",
                "doctor",
                "serial-number",
                "seed-file",
            ] {
                assert!(text.contains(word), "{shell:?} completions lack {word}");
            }
        }
    }

    #[test]
    fn the_man_page_has_the_options_and_exit_codes() {
        let mut out = Vec::new();
        man(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(".ie"), "roff");
        assert!(text.contains(".TH mfa-resync 1"));
        assert!(text.contains(".SH \"MFA-RESYNC RESYNC\""));
        assert!(text.contains("\\-\\-authentication\\-code\\-1"));
        assert!(text.contains(".SH \"EXIT STATUS\"\n.TP\n0\n"));
        assert!(text.contains(".TP\n130\ninterrupted; nothing was sent"));
    }
}
