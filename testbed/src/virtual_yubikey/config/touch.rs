//! The simulated finger: what happens when a credential or slot that wants a touch is used.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the simulated finger does when a touch credential is calculated.
///
/// A real YubiKey blinks and waits about 15 s for a touch, then answers `6982`; CALCULATE ALL
/// never waits and returns tag `7C` instead of a code for such credentials (YKOATH).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "TouchRepr", from = "TouchRepr")]
pub enum TouchPolicy {
    /// Touched at once.
    #[default]
    Accept,
    /// Touched after this long: the CALCULATE answer comes after the delay.
    Delay(Duration),
    /// Never touched: `6982` after this long (a real key's timeout is about 15 s; tests use less).
    Deny {
        /// How long the card "blinks" before giving up.
        after: Duration,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
enum TouchRepr {
    Accept,
    Delay {
        ms: u64,
    },
    Deny {
        #[serde(default)]
        after_ms: u64,
    },
}

impl From<TouchPolicy> for TouchRepr {
    fn from(p: TouchPolicy) -> Self {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        match p {
            TouchPolicy::Accept => Self::Accept,
            TouchPolicy::Delay(d) => Self::Delay { ms: ms(d) },
            TouchPolicy::Deny { after } => Self::Deny {
                after_ms: ms(after),
            },
        }
    }
}

impl From<TouchRepr> for TouchPolicy {
    fn from(r: TouchRepr) -> Self {
        match r {
            TouchRepr::Accept => Self::Accept,
            TouchRepr::Delay { ms } => Self::Delay(Duration::from_millis(ms)),
            TouchRepr::Deny { after_ms } => Self::Deny {
                after: Duration::from_millis(after_ms),
            },
        }
    }
}
