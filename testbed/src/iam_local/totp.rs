//! TOTP as IAM checks it: HOTP (RFC 4226) over a time-step counter (RFC 6238), HMAC-SHA1.
//!
//! Owns seed decoding, code computation and the search for the consecutive pair that
//! `EnableMFADevice` and `ResyncMFADevice` demand. It is written here rather than borrowed from the
//! client's TOTP crate so that a bug in one cannot hide the same bug in the other. It knows nothing of
//! devices or state: callers pass the key, the counters and the replay floor.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// A seed that is not base32.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the TOTP seed is not valid base32")]
pub struct SeedError;

/// Decodes a base32 seed the way authenticator apps accept one: any case, spaces and `=` ignored.
pub fn decode_seed(seed_base32: &str) -> Result<Vec<u8>, SeedError> {
    let cleaned: String = seed_base32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let mut spec = data_encoding::BASE32_NOPAD.specification();
    // Seeds of odd lengths carry a few unused bits; apps ignore them, so do we.
    spec.check_trailing_bits = false;
    let encoding = spec.encoding().map_err(|_| SeedError)?;
    match encoding.decode(cleaned.as_bytes()) {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => Err(SeedError),
    }
}

/// HOTP value for `counter` (RFC 4226 §5.3), zero-padded to `digits` (at most 10).
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let digits = digits.clamp(1, 10);
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    // Dynamic truncation: the low nibble of the last byte picks 4 bytes, top bit cleared.
    let offset = usize::from(hash[19] & 0x0f);
    let bin = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    let value = u64::from(bin) % 10u64.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// Time-step counter of Unix time `unix` (RFC 6238 §4.2, T0 = 0); times before 1970 count as 0.
pub fn counter_at(unix: i64, period: u64) -> u64 {
    u64::try_from(unix).unwrap_or(0) / period.max(1)
}

/// The code a device with this base32 seed shows at `counter`; a convenience for tests.
pub fn code_at(seed_base32: &str, counter: u64, digits: u32) -> Result<String, SeedError> {
    Ok(hotp(&decode_seed(seed_base32)?, counter, digits))
}

/// Which time steps the SECOND code of a pair may be from, relative to the server's current step.
///
/// AWS takes a pair for EnableMFADevice and ResyncMFADevice only when its second code is the
/// current step or the one before ([`CodeWindow::AWS`], the default everywhere): a pair read one
/// step early, whose second code belongs to the next step, is refused. A wider window is an
/// explicit test choice, for a token whose clock has drifted ([`CodeWindow::either_side`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeWindow {
    /// How many steps before the current one the second code may be from (0: not before it).
    pub behind: u64,
    /// How many steps after the current one the second code may be from (0: never a future step).
    pub ahead: u64,
}

impl CodeWindow {
    /// AWS's rule: the second code is the current step or the previous one, never a future step.
    pub const AWS: CodeWindow = CodeWindow {
        behind: 1,
        ahead: 0,
    };

    /// `n` steps either side of the current one (`either_side(0)`: the current step only).
    pub const fn either_side(n: u64) -> CodeWindow {
        CodeWindow {
            behind: n,
            ahead: n,
        }
    }

    /// The second counters this window admits around `now`, nearest first (the current step, then
    /// one before, one after, two before, …); none below 1, since a pair needs a first counter.
    pub fn second_counters(self, now: u64) -> Vec<u64> {
        let mut out = Vec::new();
        for d in 0..=self.behind.max(self.ahead) {
            if d <= self.behind
                && let Some(c) = now.checked_sub(d)
            {
                out.push(c);
            }
            if d > 0
                && d <= self.ahead
                && let Some(c) = now.checked_add(d)
            {
                out.push(c);
            }
        }
        out.retain(|&c| c >= 1);
        out
    }
}

impl Default for CodeWindow {
    /// [`CodeWindow::AWS`].
    fn default() -> CodeWindow {
        CodeWindow::AWS
    }
}

/// What a pair of codes is checked against.
#[derive(Debug, Clone, Copy)]
pub struct PairWindow {
    /// Counter of the server's "now".
    pub now: u64,
    /// Where the second code's counter may lie relative to `now`.
    pub window: CodeWindow,
    /// Highest counter already consumed; a pair whose first counter is at or below it is a replay.
    pub last_counter: Option<u64>,
}

/// The first counter `c` with `code1 = TOTP(c)` and `code2 = TOTP(c + 1)` inside the window and not a
/// replay, trying second counters nearest to `now` first.
pub fn find_pair(
    key: &[u8],
    digits: u32,
    code1: &str,
    code2: &str,
    window: PairWindow,
) -> Option<u64> {
    window
        .window
        .second_counters(window.now)
        .into_iter()
        .map(|second| second - 1)
        .filter(|&c| window.last_counter.is_none_or(|last| c > last))
        .find(|&c| hotp(key, c, digits) == code1 && hotp(key, c + 1, digits) == code2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_appendix_d_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_KEY, counter as u64, 6), *code, "counter {counter}");
        }
    }

    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let cases = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (t, code) in cases {
            assert_eq!(hotp(RFC_KEY, counter_at(t, 30), 8), code, "T = {t}");
        }
    }

    #[test]
    fn seeds_decode_like_authenticator_apps() {
        let key = decode_seed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(key, RFC_KEY);
        assert_eq!(
            decode_seed("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            RFC_KEY
        );
        assert_eq!(
            decode_seed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====").unwrap(),
            RFC_KEY
        );
        assert_eq!(decode_seed("not base32!"), Err(SeedError));
        assert_eq!(decode_seed(""), Err(SeedError));
        assert_eq!(
            code_at("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1, 6).unwrap(),
            "287082"
        );
    }

    #[test]
    fn pair_search_honours_window_and_replay_floor() {
        let code = |c| hotp(RFC_KEY, c, 6);
        let window = PairWindow {
            now: 100,
            window: CodeWindow::either_side(2),
            last_counter: None,
        };
        assert_eq!(
            find_pair(RFC_KEY, 6, &code(99), &code(100), window),
            Some(99)
        );
        assert_eq!(
            find_pair(RFC_KEY, 6, &code(101), &code(102), window),
            Some(101)
        );
        assert_eq!(
            find_pair(RFC_KEY, 6, &code(97), &code(98), window),
            Some(97)
        );
        // Second counter three steps away: outside ±2.
        assert_eq!(find_pair(RFC_KEY, 6, &code(102), &code(103), window), None);
        assert_eq!(find_pair(RFC_KEY, 6, &code(95), &code(96), window), None);
        // Not consecutive, or reversed.
        assert_eq!(find_pair(RFC_KEY, 6, &code(98), &code(100), window), None);
        assert_eq!(find_pair(RFC_KEY, 6, &code(100), &code(99), window), None);
        // A pair starting at or below the last consumed counter is a replay.
        let used = PairWindow {
            last_counter: Some(100),
            ..window
        };
        assert_eq!(find_pair(RFC_KEY, 6, &code(99), &code(100), used), None);
        assert_eq!(find_pair(RFC_KEY, 6, &code(100), &code(101), used), None);
        assert_eq!(
            find_pair(RFC_KEY, 6, &code(101), &code(102), used),
            Some(101)
        );
    }

    #[test]
    fn pair_search_near_counter_zero() {
        let window = PairWindow {
            now: 0,
            window: CodeWindow::either_side(2),
            last_counter: None,
        };
        let (c0, c1) = (hotp(RFC_KEY, 0, 6), hotp(RFC_KEY, 1, 6));
        assert_eq!(find_pair(RFC_KEY, 6, &c0, &c1, window), Some(0));
    }

    #[test]
    fn the_aws_window_takes_the_current_or_previous_step_and_never_a_future_one() {
        let code = |c| hotp(RFC_KEY, c, 6);
        let aws = PairWindow {
            now: 100,
            window: CodeWindow::AWS,
            last_counter: None,
        };
        assert_eq!(CodeWindow::default(), CodeWindow::AWS);
        assert_eq!(CodeWindow::AWS.second_counters(100), [100, 99]);
        // Second code = the current step, or the previous one.
        assert_eq!(find_pair(RFC_KEY, 6, &code(99), &code(100), aws), Some(99));
        assert_eq!(find_pair(RFC_KEY, 6, &code(98), &code(99), aws), Some(98));
        // A pair read one step early: its second code is the next step's.
        assert_eq!(find_pair(RFC_KEY, 6, &code(100), &code(101), aws), None);
        assert_eq!(find_pair(RFC_KEY, 6, &code(97), &code(98), aws), None);
        let ahead = PairWindow {
            window: CodeWindow {
                behind: 1,
                ahead: 1,
            },
            ..aws
        };
        assert_eq!(
            find_pair(RFC_KEY, 6, &code(100), &code(101), ahead),
            Some(100)
        );
        let current_only = PairWindow {
            window: CodeWindow {
                behind: 0,
                ahead: 0,
            },
            ..aws
        };
        assert_eq!(CodeWindow::either_side(0), current_only.window);
        assert_eq!(current_only.window.second_counters(100), [100]);
        assert_eq!(
            find_pair(RFC_KEY, 6, &code(99), &code(100), current_only),
            Some(99)
        );
        assert_eq!(
            find_pair(RFC_KEY, 6, &code(98), &code(99), current_only),
            None
        );
        assert_eq!(
            CodeWindow::either_side(2).second_counters(100),
            [100, 99, 101, 98, 102]
        );
        assert_eq!(
            CodeWindow {
                behind: 3,
                ahead: 1
            }
            .second_counters(2),
            [2, 1, 3]
        );
    }
}
