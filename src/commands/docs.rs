//! `mfa-resync man` and `mfa-resync completions`: the man page and the shell completions, generated
//! from the one clap definition (handed in by the caller) and the one exit-code table, so that they
//! can never disagree with `--help`.

use std::io::Write;

use crate::exit::Exit;

/// Writes the completion script for `shell` to `out`.
pub fn completions(mut command: clap::Command, shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut command, "mfa-resync", out);
}

/// Writes the man page (roff) to `out`: the top page, with every subcommand's options after it.
pub fn man(command: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
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
    for (exit, meaning) in Exit::ALL {
        writeln!(out, ".TP\n{}\n{}", exit.code(), roff_escape(meaning))?;
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

/// The udev rules the Debian package installs, for those who installed with cargo: the same file.
pub const UDEV_RULES: &str = include_str!("../../udev/70-mfa-resync-yubikey.rules");
