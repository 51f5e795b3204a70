//! Talking OATH to one key: SELECT and unlock (yubikit), LIST and CALCULATE ALL to learn its
//! credentials and which need a touch, then CALCULATE for the counters the planner chooses. The
//! answers are parsed by [`ykoath`](super::ykoath), defensively; yubikit calls run inside
//! [`shield`], so a panic on garbage becomes an error.

use std::fmt;
use std::sync::{Arc, Mutex};

use secrecy::ExposeSecret;
use yubikit::oath::OathSession;
use yubikit::smartcard::{SmartCardConnection, SmartCardError};

use super::account::{self, Step, Wanted};
use super::ykoath::{self, parse_id, shield, tlv, tlvs};
use super::{Account, KeyInfo, Password};
use crate::source::{Code, CodeSource, DeviceError, Notifier, SourceInfo, smartcard};

/// An unlocked OATH session and its accounts, before one is chosen.
pub struct OpenKey<C: SmartCardConnection> {
    pub(super) session: OathSession<C>,
    pub(super) key: KeyInfo,
    pub(super) accounts: Vec<Account>,
}

impl<C: SmartCardConnection> fmt::Debug for OpenKey<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenKey")
            .field("key", &self.key)
            .field("accounts", &self.accounts)
            .finish_non_exhaustive()
    }
}

impl<C: SmartCardConnection + Send + 'static> OpenKey<C> {
    /// Selects the OATH application, unlocks it if it has a password, and lists its accounts.
    /// `now` (Unix seconds) is only the challenge of the CALCULATE_ALL that tells touch accounts apart.
    pub fn open(
        conn: C,
        key: KeyInfo,
        password: Password,
        now: u64,
        notifier: &dyn Notifier,
    ) -> Result<Self, DeviceError> {
        let label = key.label();
        let mut session = shield(format_args!("to SELECT on {label}"), || {
            OathSession::new(conn)
        })?
        .map_err(|(e, _conn)| match e {
            SmartCardError::ApplicationNotAvailable | SmartCardError::Apdu { sw: 0x6A82, .. } => {
                DeviceError::NoOath { key: label.clone() }
            }
            other => card_error(&label, other, false),
        })?;
        if session.locked() {
            let secret = match password {
                Password::Given(secret) => Some(secret),
                Password::Prompt if notifier.answers() => crate::source::terminal::ask_secret(
                    notifier,
                    &format!("OATH password for {label}: "),
                )?,
                Password::Prompt | Password::None => None,
            }
            .ok_or_else(|| DeviceError::PasswordRequired { key: label.clone() })?;
            let access = session.derive_key(secret.expose_secret());
            drop(secret);
            shield(format_args!("to VALIDATE on {label}"), || {
                session.validate(&access)
            })?
            .map_err(|e| match e {
                yubikit::oath::OathError::Connection(SmartCardError::Apdu {
                    sw: 0x6A80, ..
                })
                | yubikit::oath::OathError::InvalidData(_)
                | yubikit::oath::OathError::WrongMac => {
                    DeviceError::WrongPassword { key: label.clone() }
                }
                yubikit::oath::OathError::Connection(other) => card_error(&label, other, false),
                other => DeviceError::Transport {
                    detail: other.to_string(),
                },
            })?;
        }
        let mut open = OpenKey {
            session,
            key,
            accounts: Vec::new(),
        };
        open.accounts = open.list()?;
        open.mark_touch(now)?;
        Ok(open)
    }

    /// The key.
    pub fn key(&self) -> &KeyInfo {
        &self.key
    }

    /// Its accounts (names and flags only).
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    fn send(&mut self, ins: u8, p2: u8, data: &[u8]) -> Result<Vec<u8>, DeviceError> {
        let label = self.key.label();
        let protocol = self.session.protocol_mut();
        shield(format_args!("on {label}"), || {
            protocol.send_apdu(0, ins, 0, p2, data)
        })?
        .map_err(|e| card_error(&label, e, false))
    }

    /// LIST: `72 len [type|algorithm] id…` for each credential.
    fn list(&mut self) -> Result<Vec<Account>, DeviceError> {
        let answer = self.send(ykoath::INS_LIST, 0, &[])?;
        let mut accounts = Vec::new();
        for (tag, value) in entries(&answer, "LIST")? {
            if tag != ykoath::TAG_NAME_LIST {
                continue;
            }
            let Some((&kind, id)) = value.split_first() else {
                return Err(DeviceError::Malformed {
                    what: "an empty credential entry to LIST".into(),
                });
            };
            let totp = match kind & ykoath::TYPE_MASK {
                ykoath::TYPE_TOTP => true,
                ykoath::TYPE_HOTP => false,
                _ => {
                    return Err(DeviceError::Malformed {
                        what: "a credential of unknown type to LIST".into(),
                    });
                }
            };
            let mut account = parse_id(id, totp);
            account.algorithm = kind & ykoath::ALGORITHM_MASK;
            accounts.push(account);
        }
        Ok(accounts)
    }

    /// CALCULATE_ALL answers `7C` (no code) for the credentials that need a touch, and a
    /// truncated code (its digits first) for the others.
    fn mark_touch(&mut self, now: u64) -> Result<(), DeviceError> {
        let challenge = tlv(ykoath::TAG_CHALLENGE, &(now / 30).to_be_bytes());
        let answer = self.send(ykoath::INS_CALCULATE_ALL, 1, &challenge)?;
        let mut name: Option<Vec<u8>> = None;
        for (tag, value) in entries(&answer, "CALCULATE ALL")? {
            match tag {
                ykoath::TAG_NAME => name = Some(value.to_vec()),
                ykoath::TAG_TOUCH => {
                    if let Some(id) = name.take() {
                        for account in self.accounts.iter_mut().filter(|a| a.id == id) {
                            account.touch = true;
                        }
                    }
                }
                ykoath::TAG_TRUNCATED => {
                    if let (Some(id), Some(&digits)) = (name.take(), value.first()) {
                        for account in self.accounts.iter_mut().filter(|a| a.id == id) {
                            account.digits = Some(digits);
                        }
                    }
                }
                ykoath::TAG_HOTP => name = None,
                _ => {}
            }
        }
        Ok(())
    }

    /// Picks the credential for the target (see [`account`](super::account)), and how it was picked.
    pub fn choose(self, wanted: &Wanted) -> Result<(YubiKeySource<C>, Step), DeviceError> {
        let label = self.key.label();
        let (chosen, step) = account::choose(&self.accounts, wanted, &label)?;
        let source = YubiKeySource {
            account: chosen.clone(),
            session: Arc::new(Mutex::new(self.session)),
            key: self.key,
        };
        Ok((source, step))
    }

    /// A source for each of the credentials `ids` (a station resyncs every AWS credential a key
    /// holds for its accounts): they share the one session, so their reads take turns.
    pub fn sources(self, ids: &[Vec<u8>]) -> Result<Vec<YubiKeySource<C>>, DeviceError> {
        let label = self.key.label();
        let session = Arc::new(Mutex::new(self.session));
        ids.iter()
            .map(|id| {
                let account = self.accounts.iter().find(|a| a.id == *id).ok_or_else(|| {
                    DeviceError::AccountNotFound {
                        key: label.clone(),
                        wanted: String::from_utf8_lossy(id).into_owned(),
                        available: self.accounts.iter().map(Account::display_name).collect(),
                    }
                })?;
                let account = account::totp_only(account)?;
                Ok(YubiKeySource {
                    session: Arc::clone(&session),
                    key: self.key.clone(),
                    account: account.clone(),
                })
            })
            .collect()
    }
}

/// Codes computed by the YubiKey for one account.
pub struct YubiKeySource<C: SmartCardConnection> {
    /// Shared by the sources of one key's credentials.
    session: Arc<Mutex<OathSession<C>>>,
    key: KeyInfo,
    account: Account,
}

impl<C: SmartCardConnection> fmt::Debug for YubiKeySource<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YubiKeySource")
            .field("key", &self.key)
            .field("account", &self.account.display_name())
            .finish_non_exhaustive()
    }
}

impl<C: SmartCardConnection + Send + 'static> CodeSource for YubiKeySource<C> {
    fn describe(&self) -> SourceInfo {
        SourceInfo {
            kind: "yubikey",
            device_serial: self.key.serial.map(|s| s.to_string()),
            account: Some(self.account.display_name()),
            period: u64::from(self.account.period),
            digits: 6,
            touch: self.account.touch,
        }
    }

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        let label = self.key.label();
        // A read that failed midway (a panic on garbage) leaves the session as the card left it:
        // the next command says what is wrong with it.
        let mut session = self
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        calculate(
            &mut session,
            &label,
            &self.account.id,
            self.account.touch,
            counter,
        )
    }
}

/// CALCULATE of credential `id` for TOTP window `counter` on the key `label`: the code, its digits
/// as the key reports them.
pub(super) fn calculate<C: SmartCardConnection>(
    session: &mut OathSession<C>,
    label: &str,
    id: &[u8],
    touch: bool,
    counter: u64,
) -> Result<Code, DeviceError> {
    // CALCULATE with P2 = 1 (truncated): NAME, then CHALLENGE = the counter, big-endian.
    let mut data = tlv(ykoath::TAG_NAME, id);
    data.extend(tlv(ykoath::TAG_CHALLENGE, &counter.to_be_bytes()));
    let protocol = session.protocol_mut();
    let answer = shield(format_args!("to CALCULATE on {label}"), || {
        protocol.send_apdu(0, ykoath::INS_CALCULATE, 0, 1, &data)
    })?
    .map_err(|e| card_error(label, e, touch))?;
    let truncated = match entries(&answer, "CALCULATE")?.as_slice() {
        [(ykoath::TAG_TRUNCATED, value)] => *value,
        _ => {
            return Err(DeviceError::Malformed {
                what: "an answer to CALCULATE without a truncated code".into(),
            });
        }
    };
    // RFC 4226 §5.3: digits, then the 31-bit dynamic-truncation value.
    let [digits, b0, b1, b2, b3] = *truncated else {
        return Err(DeviceError::Malformed {
            what: format!("a truncated code of {} bytes, not 5", truncated.len()),
        });
    };
    if !(6..=8).contains(&digits) {
        return Err(DeviceError::Malformed {
            what: format!("a code of {digits} digits"),
        });
    }
    let value = u32::from_be_bytes([b0 & 0x7F, b1, b2, b3]);
    Ok(Code::decimal(value, u32::from(digits)))
}

/// The TLVs of an answer to `command`, or what is wrong with them.
fn entries<'a>(answer: &'a [u8], command: &str) -> Result<Vec<(u8, &'a [u8])>, DeviceError> {
    tlvs(answer).map_err(|what| DeviceError::Malformed {
        what: format!("{what} to {command}"),
    })
}

/// Turns a card error into what the user needs to act: the OATH application's status words here,
/// everything PC/SC says through the one shared map.
pub(crate) fn card_error(label: &str, e: SmartCardError, touch: bool) -> DeviceError {
    match e {
        SmartCardError::Apdu {
            sw: ykoath::SW_SECURITY | ykoath::SW_CONDITIONS,
            ..
        } if touch => DeviceError::TouchTimedOut {
            key: label.to_string(),
        },
        SmartCardError::Apdu {
            sw: ykoath::SW_SECURITY,
            ..
        } => DeviceError::PasswordRequired {
            key: label.to_string(),
        },
        other => smartcard::transport_error(label, other),
    }
}
