//! How moments are written for people: UTC clock times (the windows are AWS's, so UTC, not the
//! host's zone), and a window as the span of clock time it covers.

use std::time::Duration;

/// `HH:MM:SS UTC` of a Unix time.
pub fn utc_time_of_day(t: Duration) -> String {
    format!("{} UTC", hms(t.as_secs()))
}

/// `HH:MM:SS–HH:MM:SS UTC`: the window that starts at `start` and lasts `period` seconds.
pub fn window_span(start: Duration, period: u64) -> String {
    let from = start.as_secs();
    format!("{}–{} UTC", hms(from), hms(from.saturating_add(period)))
}

fn hms(secs: u64) -> String {
    let s = secs % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `N thing` or `N things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_are_utc() {
        assert_eq!(
            utc_time_of_day(Duration::from_secs(1_111_111_109)),
            "01:58:29 UTC"
        );
        assert_eq!(
            window_span(Duration::from_secs(1_111_111_080), 30),
            "01:58:00–01:58:30 UTC"
        );
        assert_eq!(
            window_span(Duration::from_secs(86_370), 30),
            "23:59:30–00:00:00 UTC"
        );
        assert_eq!(plural(1, "row", "rows"), "1 row");
        assert_eq!(plural(2, "row", "rows"), "2 rows");
    }
}
