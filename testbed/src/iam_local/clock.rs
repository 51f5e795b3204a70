//! The server's clock and the three time formats it speaks.
//!
//! Owns "server time" (host time plus a settable offset, so tests can play an AWS whose clock differs
//! from the host's) and the conversions between Unix seconds and the formats on the wire: SigV4's
//! basic ISO 8601 (`20150830T123600Z`), RFC 3339 for logs and XML dates, and HTTP dates. It knows
//! nothing about requests.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Host time shifted by an offset that may change while the server runs.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    /// A clock `offset_secs` ahead of the host (behind when negative).
    pub fn new(offset_secs: i64) -> Clock {
        Clock {
            offset_secs: AtomicI64::new(offset_secs),
        }
    }

    /// Moves the clock; requests already being answered may see either value.
    pub fn set_offset(&self, secs: i64) {
        self.offset_secs.store(secs, Ordering::SeqCst);
    }

    /// The current offset from host time, in seconds.
    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::SeqCst)
    }

    /// Server time in whole Unix seconds.
    pub fn now(&self) -> i64 {
        host_now().saturating_add(self.offset())
    }
}

/// Host time in whole Unix seconds (a host clock before 1970 counts as 1970).
pub fn host_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `SystemTime` for Unix seconds, clamped at the epoch.
pub fn system_time(unix: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0))
}

/// RFC 7231 date, as in the `Date` response header.
pub fn http_date(unix: i64) -> String {
    httpdate::fmt_http_date(system_time(unix))
}

/// RFC 3339 in UTC with a `Z`, the form IAM uses for dates in XML (`2015-08-30T12:36:00Z`).
pub fn rfc3339(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// SigV4's basic ISO 8601 form (`20150830T123600Z`).
pub fn amz_date(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// Parses SigV4's `YYYYMMDDTHHMMSSZ`; `None` for anything else.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (h, mi, s) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Parses an HTTP date (the `Date` header a client may sign instead of `X-Amz-Date`).
pub fn parse_http_date(text: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(text).ok()?;
    let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// Unix seconds to (year, month, day, hour, minute, second) in the proleptic Gregorian calendar.
fn civil(unix: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = unix.div_euclid(86_400);
    let rem = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

// Day-count conversions after Howard Hinnant's "chrono-Compatible Low-Level Date Algorithms":
// eras of 400 years keep the arithmetic exact without tables.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_agree_with_known_instants() {
        // 2015-08-30T12:36:00Z is the instant of AWS's SigV4 examples.
        let t = 1_440_938_160;
        assert_eq!(rfc3339(t), "2015-08-30T12:36:00Z");
        assert_eq!(amz_date(t), "20150830T123600Z");
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(t));
        assert_eq!(http_date(t), "Sun, 30 Aug 2015 12:36:00 GMT");
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), Some(t));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn round_trips_across_leap_years() {
        for t in (0..4_102_444_800_i64).step_by(86_400 * 37 + 3_607) {
            assert_eq!(parse_amz_date(&amz_date(t)), Some(t), "{t}");
        }
    }

    #[test]
    fn rejects_malformed_amz_dates() {
        for bad in [
            "",
            "20150830T123600",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "2015083OT123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn offset_moves_server_time() {
        let clock = Clock::new(-3600);
        let skew = host_now() - clock.now();
        assert!((3599..=3601).contains(&skew));
        clock.set_offset(90);
        assert_eq!(clock.offset(), 90);
    }
}
