//! A key's result lines, in the words of what really happened to it: a key pulled is "removed",
//! a key pcscd went away under says so, and only Ctrl-C is "interrupted"; each with the pairs
//! it had sent, when it had.

use super::desk::{Fate, Left};
use crate::error::Error;
use crate::exit::Exit;
use crate::report::{KeyResult, RowResult};
use crate::source::DeviceError;

/// What a key's flow knows of it so far, for its result lines.
pub struct Served<'k> {
    /// Its reader.
    pub reader: &'k str,
    /// When the station took the key up: its device listing is no older.
    pub arrived: std::time::Instant,
    /// Its serial, once identified.
    pub key: Option<u32>,
    /// What the desk decided for it.
    pub fate: &'k Fate,
}

impl Served<'_> {
    /// `YubiKey 12345678`, or the reader's key before it is identified.
    pub fn label(&self) -> String {
        match self.key {
            Some(serial) => format!("YubiKey {serial}"),
            None => format!("the key in {}", self.reader),
        }
    }

    /// Identified as `key`: the desk names it in a removal's line from now on.
    pub fn identified(&mut self, key: Option<u32>) {
        self.key = key;
        if let Some(key) = key {
            let _ = self.fate.key.set(key);
        }
    }

    /// A result line for `user`'s `serial`, ending as `result`.
    pub fn result(
        &self,
        user: Option<String>,
        serial: Option<String>,
        result: RowResult,
    ) -> KeyResult {
        KeyResult {
            reader: self.reader.to_string(),
            key: self.key,
            user,
            serial,
            counters: None,
            result,
        }
    }

    /// The result line of `error`: an interruption (or a failure of PC/SC) of a key the desk let
    /// go is that key's removal or pcscd's loss.
    pub fn failed(&self, error: Error, user: Option<String>, serial: Option<String>) -> KeyResult {
        let (exit, text) = match (error, self.fate.left.get()) {
            (Error::Interrupted(i), None) => (Exit::Interrupted, i.to_string()),
            (Error::Interrupted(i), Some(left)) => (Exit::Device, self.let_go(*left, i.sent)),
            (Error::Device(DeviceError::Removed { .. }), None | Some(Left::Removed)) => {
                (Exit::Device, self.let_go(Left::Removed, 0))
            }
            // A key pulled mid-command, or a pcscd gone mid-command, can leave PC/SC saying
            // something else first.
            (
                Error::Device(
                    DeviceError::Transport { .. }
                    | DeviceError::NoCard { .. }
                    | DeviceError::NotAYubiKey { .. }
                    | DeviceError::Malformed { .. }
                    | DeviceError::Timeout { .. }
                    | DeviceError::Removed { .. }
                    | DeviceError::PcscdUnavailable { .. },
                ),
                Some(left),
            ) => (Exit::Device, self.let_go(*left, 0)),
            (other, _) => (other.exit(), other.to_string()),
        };
        self.result(user, serial, RowResult::Failed { exit, error: text })
    }

    /// Why the key was let go, and the pairs it had sent (none accepted).
    fn let_go(&self, left: Left, sent: u32) -> String {
        let why = match left {
            Left::Removed => DeviceError::Removed { key: self.label() }.to_string(),
            Left::PcscdLost => DeviceError::PcscdUnavailable {
                detail: format!("it went away while {} was served", self.label()),
            }
            .to_string(),
        };
        match (sent, left) {
            (0, Left::Removed) => why,
            (0, Left::PcscdLost) => format!("{why}; nothing was sent"),
            (n, _) => format!("{why} ({n} pair(s) sent before, none accepted)"),
        }
    }
}

/// `no AWS credential for account 123456789012 on this key`, and whose credentials it holds.
pub fn no_credential(served: &Served<'_>, accounts: &[String], others: &[String]) -> KeyResult {
    let plural = if accounts.len() == 1 { "" } else { "s" };
    let mut error = format!(
        "no AWS credential for account{plural} {} on this key",
        accounts.join(", ")
    );
    if !others.is_empty() {
        error.push_str(&format!(
            " (it holds credentials of {}); nothing was sent",
            others.join(", ")
        ));
    }
    served.result(
        None,
        None,
        RowResult::Failed {
            exit: Exit::Device,
            error,
        },
    )
}
