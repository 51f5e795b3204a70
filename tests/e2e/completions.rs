//! Completion in the real shells, as a user gets it from the Debian package: the script
//! `mfa-resync completions SHELL` prints, put where the package puts it (bash-completion's
//! on-demand directory, zsh's fpath, fish's completion path), in an interactive bash, zsh and fish
//! on a pseudo-terminal. Each probe types a partial command and Tab, then moves to the start of the
//! line and prefixes `printf '[%s]'`, so the screen shows the words the completed line holds.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{BIN, Bed, Readers, collect, readers};

/// What is typed before Tab, what after it, and the words the line then holds.
const PROBES: &[(&str, &str, &str)] = &[
    ("mfa-resync res", "", "[mfa-resync][resync]"),
    (
        "mfa-resync resync --pro",
        "",
        "[mfa-resync][resync][--profile]",
    ),
    (
        "mfa-resync resync --no-w",
        "",
        "[mfa-resync][resync][--no-wait]",
    ),
    (
        "mfa-resync station --max",
        "",
        "[mfa-resync][station][--max-keys]",
    ),
    (
        "mfa-resync enroll --rep",
        "",
        "[mfa-resync][enroll][--replace]",
    ),
    (
        "mfa-resync codes --dig",
        "",
        "[mfa-resync][codes][--digits]",
    ),
    (
        "mfa-resync doctor --sta",
        "",
        "[mfa-resync][doctor][--station]",
    ),
    (
        "mfa-resync devices --acc",
        "",
        "[mfa-resync][devices][--accounts]",
    ),
    (
        "mfa-resync resync --profile wo",
        "",
        "[mfa-resync][resync][--profile][work]",
    ),
    (
        "mfa-resync doctor --profile ci",
        "",
        "[mfa-resync][doctor][--profile][ci-deployer]",
    ),
    (
        "mfa-resync resync --reader Vir",
        "1",
        "[mfa-resync][resync][--reader][Virtual PCD 00 01]",
    ),
    (
        "mfa-resync station --reader Vir",
        "0",
        "[mfa-resync][station][--reader][Virtual PCD 00 00]",
    ),
];

/// An interactive shell on a pseudo-terminal (util-linux's `script`), what it shows read as it
/// comes.
struct Shell {
    child: Child,
    keys: ChildStdin,
    screen: Arc<Mutex<String>>,
}

impl Shell {
    fn start(bed: &Bed, command_line: &str, env: &[(&str, &Path)]) -> Shell {
        let bin_dir = Path::new(BIN).parent().expect("the binary's directory");
        let mut cmd = bed.command_for("script");
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            cmd.get_envs()
                .find(|(k, _)| *k == "PATH")
                .and_then(|(_, v)| v)
                .map(|v| v.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        cmd.env("PATH", path).env("TERM", "dumb");
        for (key, value) in env {
            cmd.env(key, value);
        }
        let mut child = cmd
            .args(["-qfc", command_line, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script (util-linux) runs");
        let keys = child.stdin.take().expect("piped");
        let (screen, _reader) = collect(child.stdout.take().expect("piped"));
        Shell {
            child,
            keys,
            screen,
        }
    }

    fn send(&mut self, keys: &str) {
        self.keys
            .write_all(keys.as_bytes())
            .expect("the shell takes keys");
        self.keys.flush().expect("flushed");
    }

    /// Whether the screen shows `text` within a few seconds.
    fn shows(&self, text: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.screen.lock().unwrap().contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Runs every probe; the ones whose line did not hold the words expected.
    fn probe(&mut self) -> Vec<String> {
        let mut failed = Vec::new();
        for (typed, after, words) in PROBES {
            self.send(&format!("{typed}\t{after}\x01printf '[%s]' \n"));
            if !self.shows(words) {
                failed.push(format!("{typed:?} + Tab + {after:?} gave no {words}"));
            }
        }
        failed
    }

    fn end(mut self) -> String {
        self.send("exit\n");
        let _ = self.child.wait();
        self.screen.lock().unwrap().clone()
    }
}

/// `mfa-resync completions SHELL` written to `path`, as the package installs it.
fn install(bed: &Bed, shell: &str, path: &Path) {
    let out = bed.run(bed.command().args(["completions", shell]));
    out.assert_exit(0);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, out.stdout).unwrap();
}

/// The shell's program, or `None` (said) when it is missing and the test set-up did not demand it.
fn shell_program(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("MFA_RESYNC_REQUIRE_TOOLS").is_none(),
            "{name} is missing: scripts/setup installs it"
        );
        eprintln!("skipped: {name} is not installed");
    }
    found
}

/// A bed with profiles in the AWS config and credentials files, and the test's own readers.
fn world() -> (Readers, Bed) {
    let readers = readers();
    let bed = Bed::new();
    bed.private_file(
        "aws-config",
        "[default]\nregion = us-east-1\n[profile work]\nregion = eu-west-1\n[profile other]\n",
    );
    bed.private_file(
        "aws-credentials",
        "[ci-deployer]\naws_access_key_id = AKIAEXAMPLE\n",
    );
    (readers, bed)
}

#[test]
fn bash_completes_subcommands_options_after_every_subcommand_profiles_and_readers() {
    let Some(_) = shell_program("bash") else {
        return;
    };
    let loader = Path::new("/usr/share/bash-completion/bash_completion");
    assert!(
        loader.exists(),
        "bash-completion is missing: scripts/setup installs it"
    );
    let (_readers, bed) = world();
    let data = bed.dir.path().join("data");
    install(
        &bed,
        "bash",
        &data.join("bash-completion/completions/mfa-resync"),
    );
    let mut shell = Shell::start(
        &bed,
        "bash --noprofile --norc -i",
        &[("XDG_DATA_HOME", &data)],
    );
    // bash-completion loads mfa-resync's file on the first Tab, as from the package's directory.
    shell.send(&format!("source {}; echo load''ed\n", loader.display()));
    assert!(shell.shows("loaded"));
    let failed = shell.probe();
    let screen = shell.end();
    assert!(failed.is_empty(), "{}\n{screen}", failed.join("\n"));
}

#[test]
fn zsh_completes_them_from_its_fpath_on_the_first_tab() {
    let Some(_) = shell_program("zsh") else {
        return;
    };
    let (_readers, bed) = world();
    let functions = bed.dir.path().join("zsh-functions");
    install(&bed, "zsh", &functions.join("_mfa-resync"));
    let mut shell = Shell::start(&bed, "zsh -f -i", &[]);
    shell.send(&format!(
        "fpath=({} $fpath); autoload -Uz compinit; compinit -u -D; echo load''ed\n",
        functions.display()
    ));
    assert!(shell.shows("loaded"));
    let failed = shell.probe();
    let screen = shell.end();
    assert!(failed.is_empty(), "{}\n{screen}", failed.join("\n"));
}

#[test]
fn fish_completes_them_from_its_completion_path() {
    let Some(_) = shell_program("fish") else {
        return;
    };
    let (_readers, bed) = world();
    let completions = bed.dir.path().join("fish-completions");
    install(&bed, "fish", &completions.join("mfa-resync.fish"));
    let mut shell = Shell::start(&bed, "fish --no-config -i", &[]);
    shell.send(&format!(
        "set -p fish_complete_path {}; echo load''ed\n",
        completions.display()
    ));
    assert!(shell.shows("loaded"));
    let failed = shell.probe();
    let screen = shell.end();
    assert!(failed.is_empty(), "{}\n{screen}", failed.join("\n"));
}
