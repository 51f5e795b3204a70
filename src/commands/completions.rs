//! Shell completions that complete: the shell asks the binary itself (with
//! `MFA_RESYNC_COMPLETE=SHELL` and the words typed so far), and clap's completion engine answers
//! from the one clap definition, so that options complete after every subcommand and subcommands
//! after the program's name, whatever the program is called, and `--profile` and `--reader`
//! complete with the profiles and the readers there are (`pipeline::complete`).
//!
//! `mfa-resync completions SHELL` prints the few lines that register this with a shell (what the
//! Debian package installs for bash, zsh and fish); they call `mfa-resync` on the `PATH`. clap's
//! scripts generated ahead of time could not do either: their bash function did not match its own
//! case arms for a hyphenated name, and they know no values but fixed ones.

use std::ffi::OsStr;
use std::io::Write;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::pipeline::complete;

/// The variable that turns a run into a completion request: namespaced, so that a `COMPLETE` set
/// for another program never turns `mfa-resync` into a completer.
pub const VAR: &str = "MFA_RESYNC_COMPLETE";

/// The program the scripts complete, and call.
const BIN: &str = "mfa-resync";

/// Answers the shell and exits when this run is a completion request; returns otherwise, having
/// read nothing and written nothing. `command` is the clap definition.
pub fn answer_shell(command: fn() -> clap::Command) {
    clap_complete::CompleteEnv::with_factory(move || with_values(command()))
        .var(VAR)
        .bin(BIN)
        .completer(BIN)
        .complete();
}

/// Writes the lines that register completion for `shell` (its name as `clap_complete::Shell`
/// spells it) to `out`.
pub fn script(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        // PowerShell, and any shell clap_complete adds later.
        _ => &Powershell,
    };
    completer.write_registration(VAR, BIN, BIN, BIN, out)?;
    let name = BIN.replace('-', "_");
    if shell == clap_complete::Shell::Bash {
        // bash puts a candidate on the line as it is: a reader's name ("Virtual PCD 00 00") would
        // become four words. As file names, readline quotes it (quoted or not so far).
        writeln!(
            out,
            r#"_{name}_quoting() {{
    _clap_complete_{name} "$@"
    local candidate
    for candidate in "${{COMPREPLY[@]}}"; do
        if [[ $candidate == *[[:space:]]* ]]; then
            compopt -o filenames 2> /dev/null
            break
        fi
    done
}}
if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _{name}_quoting {BIN}
else
    complete -o nospace -o bashdefault -F _{name}_quoting {BIN}
fi"#
        )?;
    }
    if shell == clap_complete::Shell::Zsh {
        // Installed as `_mfa-resync` on the fpath, the file is autoloaded as that function on the
        // first Tab: it must then complete, not only register for the next Tab.
        writeln!(
            out,
            "if [[ \"${{funcstack[1]}}\" == \"_{BIN}\" ]]; then\n    _clap_dynamic_completer_{name} \"$@\"\nfi"
        )?;
    }
    Ok(())
}

/// `command` with `--profile` and `--reader` completing with what there is, wherever they appear.
fn with_values(command: clap::Command) -> clap::Command {
    command.mut_subcommands(|sub| {
        let sub = completing(sub, "profile", complete::profiles);
        completing(sub, "reader", complete::readers)
    })
}

/// `sub` with the values of its argument `id`, if it has one, completed from `names`.
fn completing(sub: clap::Command, id: &str, names: fn(&str) -> Vec<String>) -> clap::Command {
    if !sub.get_arguments().any(|a| a.get_id() == id) {
        return sub;
    }
    let completer = ArgValueCompleter::new(move |now: &OsStr| {
        let names = now.to_str().map(names).unwrap_or_default();
        names.into_iter().map(CompletionCandidate::new).collect()
    });
    sub.mut_arg(id, |a| a.add(completer))
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn every_shell_s_script_asks_mfa_resync_on_the_path_through_its_own_variable() {
        for &shell in clap_complete::Shell::value_variants() {
            let mut out = Vec::new();
            script(shell, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(text.contains("MFA_RESYNC_COMPLETE"), "{shell:?}: {text}");
            assert!(text.contains("mfa-resync"), "{shell:?}: {text}");
            assert!(
                !text.contains("/target/"),
                "{shell:?} names a build path: {text}"
            );
        }
    }
}
