//! What to do about the host clock, in one place: `doctor`'s fix and the line a run that
//! compensated for a skewed clock ends with. A run plans in AWS's time and succeeds, but the next
//! sign-in with codes made from this clock (a seed in a password manager, `codes`) may not.

use crate::window::Skew;

/// The command that turns on the platform's time synchronisation.
pub fn clock_fix() -> &'static str {
    if cfg!(target_os = "macos") {
        "`sudo sntp -sS time.apple.com` (and Date & Time: set time automatically)"
    } else if cfg!(windows) {
        "`w32tm /resync` (and Date & time: set time automatically)"
    } else if cfg!(target_os = "linux") {
        "`timedatectl set-ntp true`"
    } else {
        "the system's time synchronisation (NTP)"
    }
}

/// How far the host clock is from AWS's, in words ("100.4 s behind AWS").
pub fn skew_words(skew: Skew) -> String {
    let direction = if skew.millis() > 0 {
        "behind"
    } else {
        "ahead of"
    };
    format!("{:.1} s {direction} AWS", skew.seconds().abs())
}

/// The line a run ends with when it compensated for a host clock worth fixing.
pub fn after_skewed_run(skew: Skew) -> String {
    format!(
        "The host clock is {}: this run planned in AWS's time, but codes made from this clock (a sign-in with a soft token, `mfa-resync codes`) may be refused. Fix it: {}.",
        skew_words(skew),
        clock_fix()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skewed_run_says_how_far_and_how_to_fix_it() {
        let line = after_skewed_run(Skew::from_millis(100_400));
        assert!(
            line.starts_with("The host clock is 100.4 s behind AWS:"),
            "{line}"
        );
        assert!(
            line.ends_with(&format!("Fix it: {}.", clock_fix())),
            "{line}"
        );
        assert!(after_skewed_run(Skew::from_millis(-3_000)).contains("3.0 s ahead of AWS"));
        #[cfg(target_os = "linux")]
        assert_eq!(clock_fix(), "`timedatectl set-ntp true`");
    }
}
