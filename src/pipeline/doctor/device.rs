//! The device side of `doctor`: pcscd, readers, YubiKeys, and the hidraw nodes an OTP slot is read
//! through (with the udev rules that open them to the logged-in user).

use std::path::Path;

use super::skipped;
use crate::exit::Exit;
use crate::report::Check;
use crate::request::{DoctorRequest, SourceKind};
use crate::source::smartcard;
use crate::source::yubikey::{self, Selector};

/// Yubico's USB vendor id, as sysfs writes it for HID (`HID_ID=0003:00001050:…`) and USB devices.
const YUBICO_HID_VENDOR: &str = "00001050";
const YUBICO_USB_VENDOR: &str = "1050";

/// Where udev rules live, in the order udev reads them.
const RULES_DIRS: [&str; 3] = [
    "/etc/udev/rules.d",
    "/run/udev/rules.d",
    "/usr/lib/udev/rules.d",
];

/// Where the Debian package installs our rules.
const PACKAGED_RULES: &str = "/usr/lib/udev/rules.d/70-mfa-resync-yubikey.rules";

/// There when the machine was booted with systemd (sd_booted(3)).
const SYSTEMD_BOOTED: &str = "/run/systemd/system";

/// The link `systemctl enable pcscd.socket` makes (Debian's pcscd package makes it).
const PCSCD_SOCKET_ENABLED: &str = "/etc/systemd/system/sockets.target.wants/pcscd.socket";

/// Whether a pcscd that stops is started again: socket-activated (systemd listening on its socket
/// and starting it at the next connection), a station waiting for it reconnects at once; with no
/// one to start it, the station waits until someone does.
fn pcscd_restarted(systemd: bool, socket_enabled: bool) -> Check {
    const NAME: &str = "pcscd socket";
    match (systemd, socket_enabled) {
        (true, true) => Check::ok(
            NAME,
            "socket-activated (pcscd.socket enabled): a pcscd that stops or is restarted is started again at the station's next connection",
        ),
        (true, false) => Check::warn(
            NAME,
            "pcscd.socket is not enabled: a pcscd that stops stays stopped, and the station waits for it",
            "`sudo systemctl enable --now pcscd.socket`",
        ),
        (false, _) => Check::warn(
            NAME,
            "this machine does not run systemd: nothing starts pcscd again when it stops, and the station waits for it",
            "start pcscd from the machine's init system and have it started again when it stops",
        ),
    }
}

/// How much the user needs the key's interfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// PC/SC (OATH over CCID, NFC readers): YubiKey users.
    pcsc: bool,
    /// The OTP HID interface: OTP-slot users.
    hid: bool,
    /// A help-desk station: readers must be there, keys come later.
    station: bool,
}

impl Needs {
    /// What `request` needs. A station (`--station`): pcscd and a reader; keys are plugged in while
    /// it runs. Else as `--source` says; with none, whether a YubiKey is plugged in says.
    pub fn of(request: &DoctorRequest) -> Needs {
        let (pcsc, hid) = match request.source {
            _ if request.station => (true, false),
            Some(SourceKind::Yubikey) => (true, false),
            Some(SourceKind::OtpSlot) => (true, true),
            Some(SourceKind::Seed | SourceKind::Prompt) => (false, false),
            None => (yubikey_on_usb(), false),
        };
        Needs {
            pcsc,
            hid,
            station: request.station,
        }
    }

    /// A PC/SC problem: it fails for YubiKey users, and warns the others.
    fn problem(&self, name: &'static str, detail: String, fix: String) -> Check {
        problem(self.pcsc, "YubiKeys over USB or NFC", name, detail, fix)
    }
}

/// A problem that fails for those who need the thing, and warns the others (saying who does).
fn problem(needed: bool, who: &str, name: &'static str, detail: String, fix: String) -> Check {
    if needed {
        Check::fail(name, detail, Some(fix), Exit::Device)
    } else {
        Check::warn(name, format!("{detail} (needed only for {who})"), fix)
    }
}

/// Whether a Yubico device is on the USB bus, whatever pcscd makes of it.
fn yubikey_on_usb() -> bool {
    std::fs::read_dir("/sys/bus/usb/devices").is_ok_and(|entries| {
        entries.flatten().any(|e| {
            std::fs::read_to_string(e.path().join("idVendor"))
                .is_ok_and(|v| v.trim().eq_ignore_ascii_case(YUBICO_USB_VENDOR))
        })
    })
}

/// pcscd, the readers and the keys in them.
pub fn pcsc_checks(needs: Needs) -> Vec<Check> {
    let restarted = needs.station.then(|| {
        pcscd_restarted(
            Path::new(SYSTEMD_BOOTED).is_dir(),
            std::fs::symlink_metadata(PCSCD_SOCKET_ENABLED).is_ok(),
        )
    });
    let readers = match smartcard::readers() {
        Ok(readers) => readers,
        Err(e) => {
            let mut checks = vec![needs.problem(
                "pcscd",
                e.to_string(),
                "start it: `sudo systemctl start pcscd.socket` (Debian package pcscd)".into(),
            )];
            checks.extend(restarted);
            checks.extend(skipped(&["readers", "yubikeys"], "pcscd is not running"));
            return checks;
        }
    };
    let mut checks = vec![Check::ok("pcscd", "running")];
    checks.extend(restarted);
    if readers.is_empty() {
        checks.push(needs.problem(
            "readers",
            "no smart-card reader".into(),
            if needs.station {
                "connect the station's NFC reader (or a USB hub for keys); `mfa-resync station` also watches readers plugged in later".into()
            } else {
                "plug in the YubiKey, or connect the NFC reader".into()
            },
        ));
        checks.extend(skipped(&["yubikeys"], "no smart-card reader"));
        return checks;
    }
    let names: Vec<String> = readers
        .iter()
        .map(|(r, present)| format!("{r}{}", if *present { " (card)" } else { "" }))
        .collect();
    checks.push(Check::ok("readers", names.join(", ")));
    checks.push(match yubikey::discover(&Selector::default()) {
        Ok(keys) if keys.is_empty() && needs.station => Check::ok(
            "yubikeys",
            "none in the readers now; a station serves them as they are plugged in",
        ),
        Ok(keys) if keys.is_empty() => needs.problem(
            "yubikeys",
            "none in the readers".into(),
            "insert the YubiKey, or place it on the NFC reader".into(),
        ),
        Ok(keys) => Check::ok(
            "yubikeys",
            keys.iter()
                .map(|(k, _)| format!("{} firmware {} {}", k, k.firmware, k.transport))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => needs.problem(
            "yubikeys",
            e.to_string(),
            e.hint()
                .unwrap_or_else(|| "run `mfa-resync devices` for more".to_string()),
        ),
    });
    checks
}

/// The YubiKey hidraw nodes (the OTP and FIDO interfaces) and whether we may open them.
pub fn hidraw_checks(needs: Needs) -> Vec<Check> {
    let nodes = yubikey_hidraw_nodes();
    let rules = installed_rules();
    let fix = match &rules {
        Some(_) => "the rules are installed: `sudo udevadm control --reload && sudo udevadm trigger`, then plug the key in again".to_string(),
        None => format!(
            "install the rules: `mfa-resync udev-rules | sudo tee {}` (the Debian package installs {PACKAGED_RULES}), then `sudo udevadm control --reload && sudo udevadm trigger`",
            "/etc/udev/rules.d/70-mfa-resync-yubikey.rules"
        ),
    };
    let hidraw = if nodes.is_empty() {
        Check::ok(
            "hidraw",
            "no YubiKey HID interface present (only OTP slots need one)",
        )
    } else {
        let denied: Vec<String> = nodes
            .iter()
            .filter(|n| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(n)
                    .is_err()
            })
            .map(|n| n.display().to_string())
            .collect();
        if denied.is_empty() {
            Check::ok(
                "hidraw",
                format!("{} YubiKey HID node(s) accessible", nodes.len()),
            )
        } else {
            problem(
                needs.hid,
                "OTP slots, which fall back to CCID",
                "hidraw",
                format!("no access to {}", denied.join(", ")),
                fix.clone(),
            )
        }
    };
    let rules = match rules {
        Some(path) => Check::ok("udev rules", path),
        None => Check::warn(
            "udev rules",
            "no rule grants YubiKey hidraw access to the logged-in user",
            fix,
        ),
    };
    vec![hidraw, rules]
}

fn yubikey_hidraw_nodes() -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir("/sys/class/hidraw") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            std::fs::read_to_string(entry.path().join("device/uevent"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.strip_prefix("HID_ID="))
                .any(|id| {
                    id.split(':')
                        .nth(1)
                        .is_some_and(|v| v.eq_ignore_ascii_case(YUBICO_HID_VENDOR))
                })
        })
        .map(|entry| Path::new("/dev").join(entry.file_name()))
        .collect()
}

/// Ours, or another package's rule that tags Yubico hidraw nodes for the seat's user.
fn installed_rules() -> Option<String> {
    let ours = RULES_DIRS
        .iter()
        .map(|dir| Path::new(dir).join("70-mfa-resync-yubikey.rules"));
    let others = RULES_DIRS
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten().map(|entry| entry.path()));
    let tags = |path: &std::path::PathBuf| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.contains("1050") && text.contains("uaccess") && text.contains("hidraw")
    };
    let found = ours.filter(|path| path.exists()).chain(others.filter(tags));
    found.map(|path| path.display().to_string()).next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckStatus;

    #[test]
    fn a_station_is_told_whether_pcscd_is_started_again_when_it_stops() {
        let status = |systemd, enabled| pcscd_restarted(systemd, enabled).status;
        assert_eq!(status(true, true), CheckStatus::Ok);
        assert_eq!(status(true, false), CheckStatus::Warn);
        assert_eq!(status(false, true), CheckStatus::Warn);
        assert_eq!(
            pcscd_restarted(true, false).fix.as_deref(),
            Some("`sudo systemctl enable --now pcscd.socket`")
        );
    }
}
