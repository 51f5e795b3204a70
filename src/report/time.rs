//! How moments are written for people: UTC clock times (the windows are AWS's, so UTC, not the
//! host's zone), and a window as the span of clock time it covers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};

/// Now, as a time since the Unix epoch (the host's clock: for logs, not for windows).
pub fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// RFC 3339 in UTC, with milliseconds when there are any, as the SDK's own `DateTime` writes it
/// (no date arithmetic of our own to get wrong).
pub fn rfc3339(t: Duration) -> String {
    let millis = i64::try_from(t.as_millis()).unwrap_or(i64::MAX);
    DateTime::from_millis(millis)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| format!("@{millis}"))
}

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
        assert_eq!(rfc3339(Duration::ZERO), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            rfc3339(Duration::from_millis(1_111_111_109_250)),
            "2005-03-18T01:58:29.25Z"
        );
        assert_eq!(plural(1, "row", "rows"), "1 row");
        assert_eq!(plural(2, "row", "rows"), "2 rows");
    }
}
