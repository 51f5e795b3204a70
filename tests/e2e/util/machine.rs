//! A machine of the test's making: `mfa-resync` run in a mount namespace of its own, with udev's
//! rules directories, the YubiKey HID and USB nodes, and systemd's traces (booted or not, pcscd's
//! socket enabled or not) as the test makes them, so that `doctor`'s answers do not depend on this
//! machine.

use std::process::Command;

use super::{BIN, Bed, is_root};

impl Bed {
    /// `mfa-resync` seeing a machine of the test's making instead of this one's: udev's rules
    /// directories (`/etc/udev/rules.d`, `/run/udev/rules.d`, `/usr/lib/udev/rules.d`) hold only
    /// `rules` (file name, text), in `/usr/lib/udev/rules.d` as the Debian package installs them,
    /// and no YubiKey is on USB or HID (`/sys/class/hidraw`, `/sys/bus/usb/devices` empty). Each is
    /// a directory of the test's own bound over the machine's in a mount namespace of the run's
    /// own (`unshare --mount`, in a user namespace too when not root), so a contributor who
    /// installed the package, or has a key plugged in, gets the same answers as CI.
    pub fn command_on_test_machine(&self, rules: &[(&str, &str)]) -> Command {
        self.command_on_machine(rules, None)
    }

    /// As [`Bed::command_on_test_machine`] with no rules, on a machine booted with systemd
    /// (`/run/systemd/system`) whose `pcscd.socket` is enabled or not (the link in
    /// `/etc/systemd/system/sockets.target.wants`).
    pub fn command_on_systemd_machine(&self, pcscd_socket_enabled: bool) -> Command {
        self.command_on_machine(&[], Some(pcscd_socket_enabled))
    }

    fn command_on_machine(&self, rules: &[(&str, &str)], systemd: Option<bool>) -> Command {
        let root = tempfile::Builder::new()
            .prefix("machine")
            .tempdir_in(self.dir.path())
            .expect("the test machine's root")
            .keep();
        let mut binds = Vec::new();
        for (i, target) in [
            "/etc/udev/rules.d",
            "/run/udev/rules.d",
            "/usr/lib/udev/rules.d",
            "/sys/class/hidraw",
            "/sys/bus/usb/devices",
        ]
        .into_iter()
        .enumerate()
        {
            let dir = root.join(i.to_string());
            std::fs::create_dir_all(&dir).expect("the test machine's directories");
            if target == "/usr/lib/udev/rules.d" {
                for (name, text) in rules {
                    std::fs::write(dir.join(name), text).expect("a rules file");
                }
            }
            binds.push((dir, target));
        }
        if let Some(enabled) = systemd {
            let booted = root.join("systemd");
            let wants = root.join("sockets.target.wants");
            std::fs::create_dir_all(&booted).expect("the test machine's directories");
            std::fs::create_dir_all(&wants).expect("the test machine's directories");
            if enabled {
                std::os::unix::fs::symlink(
                    "/lib/systemd/system/pcscd.socket",
                    wants.join("pcscd.socket"),
                )
                .expect("the unit's link");
            }
            binds.push((booted, "/run/systemd/system"));
            binds.push((wants, "/etc/systemd/system/sockets.target.wants"));
        }
        let mut cmd = self.command_for("unshare");
        if !is_root() {
            cmd.args(["--user", "--map-root-user"]);
        }
        // A directory this machine does not have holds nothing to hide (or is made first, where
        // it can be: /run is a tmpfs).
        let script = r#"while [ "$1" != -- ]; do
  if [ -d "$2" ] || mkdir -p "$2" 2>/dev/null; then mount --bind "$1" "$2" || exit 97; fi
  shift 2
done
shift; exec "$@""#;
        cmd.args(["--mount", "sh", "-c", script, "sh"]);
        for (dir, target) in &binds {
            cmd.arg(dir).arg(target);
        }
        cmd.arg("--").arg(BIN);
        cmd
    }
}
