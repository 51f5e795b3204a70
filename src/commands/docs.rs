//! `mfa-resync man`: the man page, generated from the one clap definition (handed in by the caller)
//! and the one exit-code table, so that it can never disagree with `--help`. (The completions are
//! [`super::completions`].)

use std::io::Write;

use crate::exit::Exit;

/// Writes the man page (roff) to `out`: one page (no `mfa-resync-SUBCOMMAND(1)` pages are
/// installed, so none is referred to), each subcommand's options in its own section, then the
/// examples every subcommand's `--help` ends with, and the exit status from the one table.
pub fn man(command: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    let subcommands: Vec<&clap::Command> = command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .collect();
    writeln!(out, ".SH COMMANDS")?;
    for sub in &subcommands {
        let name = roff_escape(sub.get_name());
        writeln!(out, ".TP\n\\fBmfa\\-resync {name}\\fR")?;
        if let Some(about) = sub.get_about() {
            writeln!(out, "{}", roff_escape(&about.to_string()))?;
        }
    }
    for sub in &subcommands {
        if sub
            .get_arguments()
            .all(|a| a.is_hide_set() || a.get_id() == "help")
        {
            continue;
        }
        let heading = format!("MFA-RESYNC {} OPTIONS", sub.get_name().to_uppercase());
        writeln!(out, ".SH \"{heading}\"")?;
        // clap_mangen heads each group of options as a section; within a subcommand's section they
        // are subsections.
        let mut options = Vec::new();
        clap_mangen::Man::new((*sub).clone()).render_options_section(&mut options)?;
        let options = String::from_utf8_lossy(&options)
            .replace("\n.SH ", "\n.SS ")
            .replacen(".SH ", ".SS ", 1);
        write!(out, "{options}")?;
    }
    writeln!(out, ".SH EXAMPLES")?;
    for sub in &subcommands {
        let after = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let Some(examples) = after.split("\n\n").find(|b| b.starts_with("Examples:")) else {
            continue;
        };
        writeln!(out, ".SS \"mfa-resync {}\"\n.nf", sub.get_name())?;
        for line in examples.lines().skip(1) {
            writeln!(out, "{}", roff_escape(line))?;
        }
        writeln!(out, ".fi")?;
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (exit, meaning) in Exit::ALL {
        writeln!(out, ".TP\n{}\n{}", exit.code(), roff_escape(meaning))?;
    }
    writeln!(
        out,
        ".SH ENVIRONMENT\n\
         .TP\nMFA_RESYNC_OATH_PASSWORD\nThe YubiKey OATH password, when the terminal cannot be asked.\n\
         .TP\nYKMAN_OATH_CREDENTIAL_NAME, YKMAN_OATH_DEVICE_SERIAL\nThe credential and the key, as aws\\-vault sets them for ykman; \\-\\-account and \\-\\-device win.\n\
         .TP\nAWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID, ...\nThe AWS SDK's standard configuration."
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
