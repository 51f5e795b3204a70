//! Writing a new device's credential to keys: what an enrolment checks on each key before anything
//! is created (room on the applet, a credential of the same name, the firmware's touch support),
//! then PUT, CALCULATE to check what was written, and DELETE to undo it.
//!
//! A [`KeyWriter`] holds one unlocked key behind a mutex, shared with the [`CodeSource`] the pair
//! reader reads the new credential through ([`KeyWriter::source`]): a rollback that follows an
//! interrupted read waits for that read to end (a touch, or the key's own timeout) before it
//! deletes. Every call blocks on the key; the caller runs it off the async runtime. The secret is
//! handed to yubikit's PUT in its zeroizing `CredentialData` and never kept here.
//!
//! Sources: YKOATH (developers.yubico.com/OATH/YKOATH_Protocol.html) for PUT (the "require touch"
//! property, `6A84` when full) and DELETE (`6984` for an unknown id); the capacity and touch
//! firmware limits are [`ykoath`]'s.

use std::fmt;
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretSlice};
use yubikit::oath::{CredentialData, HashAlgorithm, OathError, OathType};
use yubikit::smartcard::{SmartCardConnection, SmartCardError};

use super::oath::{OpenKey, calculate, card_error};
use super::ykoath::{self, shield};
use super::{Account, KeyInfo};
use crate::source::{Code, CodeSource, DeviceError, SourceInfo};

/// The credential an enrolment writes: TOTP, HMAC-SHA1, 6 digits, 30 s, as AWS's virtual devices.
#[derive(Debug)]
pub struct NewCredential {
    /// The whole id, as stored (`issuer:name`, or a name without an issuer).
    pub id: String,
    /// The seed's bytes (decoded from base32).
    pub secret: SecretSlice<u8>,
    /// Each code needs a touch.
    pub touch: bool,
}

/// What a PUT of an id will do on a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Add a credential.
    New,
    /// Write over the credential of that name (`--force`).
    Overwrite,
}

/// One key opened for an enrolment.
pub struct KeyWriter<C: SmartCardConnection> {
    open: Arc<Mutex<Option<OpenKey<C>>>>,
    key: KeyInfo,
    version: (u8, u8, u8),
    accounts: Vec<Account>,
}

impl<C: SmartCardConnection> fmt::Debug for KeyWriter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyWriter")
            .field("key", &self.key)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl<C: SmartCardConnection> Clone for KeyWriter<C> {
    /// Another handle on the same key (for a blocking thread), sharing its session.
    fn clone(&self) -> Self {
        KeyWriter {
            open: Arc::clone(&self.open),
            key: self.key.clone(),
            version: self.version,
            accounts: self.accounts.clone(),
        }
    }
}

/// Runs `f` on the key's session, while it has one (a key disconnected after it was pulled out
/// has none: it is removed, as far as this handle goes).
fn with_key<C: SmartCardConnection, T>(
    open: &Mutex<Option<OpenKey<C>>>,
    label: &str,
    f: impl FnOnce(&mut OpenKey<C>) -> Result<T, DeviceError>,
) -> Result<T, DeviceError> {
    let mut guard = open.lock().map_err(|_| DeviceError::Malformed {
        what: "nothing: an earlier command to this key failed midway".into(),
    })?;
    match guard.as_mut() {
        Some(key) => f(key),
        None => Err(DeviceError::Removed {
            key: label.to_string(),
        }),
    }
}

/// A removal during `what`, said as such.
fn during(e: DeviceError, what: &'static str) -> DeviceError {
    match e {
        DeviceError::Removed { key } => DeviceError::RemovedWhile { key, what },
        other => other,
    }
}

impl<C: SmartCardConnection + Send + 'static> KeyWriter<C> {
    /// Takes over an unlocked key (its credential list as it was read at opening).
    pub fn new(open: OpenKey<C>) -> Self {
        let version = open.session.version();
        KeyWriter {
            key: open.key.clone(),
            accounts: open.accounts.clone(),
            version: (version.0, version.1, version.2),
            open: Arc::new(Mutex::new(Some(open))),
        }
    }

    /// The key.
    pub fn key(&self) -> &KeyInfo {
        &self.key
    }

    /// "YubiKey 12345678", for messages.
    pub fn label(&self) -> String {
        self.key.label()
    }

    /// The OATH applet's version, which is the firmware's.
    pub fn firmware(&self) -> String {
        let (a, b, c) = self.version;
        format!("{a}.{b}.{c}")
    }

    /// Refuses `--touch` on firmware that would store the property and never act on it.
    pub fn check_touch(&self) -> Result<(), DeviceError> {
        if self.version < ykoath::TOUCH_SINCE {
            return Err(DeviceError::TouchUnsupported {
                key: self.label(),
                firmware: self.firmware(),
            });
        }
        Ok(())
    }

    /// What a PUT of `id` will do: add (if there is room), or write over a credential of that
    /// name (only with `force`).
    pub fn check_room(&self, id: &str, force: bool) -> Result<Slot, DeviceError> {
        if self.accounts.iter().any(|a| a.id == id.as_bytes()) {
            if !force {
                return Err(DeviceError::CredentialExists {
                    key: self.label(),
                    name: id.to_string(),
                });
            }
            return Ok(Slot::Overwrite);
        }
        if self.accounts.len() >= ykoath::capacity(self.version) {
            return Err(self.full());
        }
        Ok(Slot::New)
    }

    /// The applet has no room for one more credential.
    fn full(&self) -> DeviceError {
        DeviceError::AppletFull {
            key: self.label(),
            count: self.accounts.len(),
            capacity: ykoath::capacity(self.version),
            firmware: self.firmware(),
        }
    }

    /// PUT: TOTP, SHA-1, 6 digits, 30 s, with the touch property when asked.
    pub fn put(&self, credential: &NewCredential) -> Result<(), DeviceError> {
        let label = self.label();
        let data = CredentialData {
            name: credential.id.clone(),
            issuer: None,
            oath_type: OathType::Totp,
            hash_algorithm: HashAlgorithm::Sha1,
            secret: credential.secret.expose_secret().to_vec(),
            digits: 6,
            period: 30,
            counter: 0,
        };
        let written = with_key(&self.open, &label, |open| {
            let session = &mut open.session;
            shield(format_args!("to PUT on {label}"), || {
                session.put_credential(&data, credential.touch)
            })
        })?;
        drop(data);
        match written {
            Ok(_) => Ok(()),
            Err(OathError::Connection(SmartCardError::Apdu {
                sw: ykoath::SW_NO_SPACE,
                ..
            })) => Err(self.full()),
            Err(e) => Err(during(oath_error(&label, e), "the credential was written")),
        }
    }

    /// DELETE `id`; `Ok(false)` when the key did not hold it (already gone: nothing to undo).
    pub fn delete(&self, id: &str) -> Result<bool, DeviceError> {
        let label = self.label();
        let deleted = with_key(&self.open, &label, |open| {
            let session = &mut open.session;
            shield(format_args!("to DELETE on {label}"), || {
                session.delete_credential(id.as_bytes())
            })
        })?;
        match deleted {
            Ok(()) => Ok(true),
            Err(OathError::Connection(SmartCardError::Apdu {
                sw: ykoath::SW_NO_SUCH_OBJECT,
                ..
            })) => Ok(false),
            Err(e) => Err(during(oath_error(&label, e), "the credential was deleted")),
        }
    }

    /// The code of credential `id` for window `counter` (a touch if it needs one).
    pub fn code_at(&self, id: &str, touch: bool, counter: u64) -> Result<Code, DeviceError> {
        self.read(id, touch, counter, "its code was read")
    }

    /// As [`KeyWriter::code_at`], a removal said as one during `what`.
    fn read(
        &self,
        id: &str,
        touch: bool,
        counter: u64,
        what: &'static str,
    ) -> Result<Code, DeviceError> {
        let label = self.label();
        with_key(&self.open, &label, |open| {
            calculate(&mut open.session, &label, id.as_bytes(), touch, counter)
        })
        .map_err(|e| during(e, what))
    }

    /// The credential `id` as a code source for the pair reader, sharing this key.
    pub fn source(&self, id: &str, touch: bool) -> Box<dyn CodeSource> {
        Box::new(Written {
            writer: self.clone(),
            id: id.to_string(),
            info: SourceInfo {
                kind: "yubikey",
                device_serial: self.key.serial.map(|s| s.to_string()),
                account: Some(id.to_string()),
                period: 30,
                digits: 6,
                touch,
            },
        })
    }

    /// Closes the key's session (after it was pulled out): PC/SC forgets the connection, so the
    /// key can be opened again, by this process or another, once it is back.
    pub fn disconnect(&self) {
        if let Ok(mut open) = self.open.lock() {
            drop(open.take());
        }
    }
}

/// A yubikit OATH error in the user's terms.
fn oath_error(label: &str, e: OathError) -> DeviceError {
    match e {
        OathError::Connection(e) => card_error(label, e, false),
        other => DeviceError::Transport {
            detail: other.to_string(),
        },
    }
}

/// The credential just written, read through the key it shares with its [`KeyWriter`].
struct Written<C: SmartCardConnection> {
    writer: KeyWriter<C>,
    id: String,
    info: SourceInfo,
}

impl<C: SmartCardConnection + Send + 'static> CodeSource for Written<C> {
    fn describe(&self) -> SourceInfo {
        self.info.clone()
    }

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        let touch = self.info.touch;
        self.writer
            .read(&self.id, touch, counter, "its codes were read")
    }
}
