//! The YubiKey OATH source: codes computed on the key, over PC/SC (USB CCID or an NFC reader).
//!
//! Yubico's yubikit opens the session (SELECT, and VALIDATE for a password-protected key); the two
//! commands on the hot path, LIST and CALCULATE, are sent through yubikit's protocol layer and their
//! answers parsed here, defensively: a key (or anything in a reader) is untrusted input, and a
//! malformed answer must be an error, never a panic. The YKOATH protocol is Yubico's
//! (developers.yubico.com/OATH/YKOATH_Protocol.html); the TOTP challenge is the 8-byte big-endian
//! time-step counter the planner chose (RFC 6238 §4).
//!
//! Connections are opened with `PcscSmartCardConnection::new` (exclusive, then shared), never with
//! yubikit's `open`, which kills scdaemon and yubikey-agent when a reader is busy: a desk station's
//! GnuPG is not ours to end. A busy reader is reported with its likely cause instead.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use yubikit::oath::OathSession;
use yubikit::platform::pcsc::{PcscError, PcscSmartCardConnection};
use yubikit::smartcard::{SmartCardConnection, SmartCardError};

use super::{ClockOwner, Code, CodeSource, DeviceError, SourceInfo};

/// YKOATH instructions and tags (YKOATH protocol).
mod ykoath {
    pub const INS_LIST: u8 = 0xA1;
    pub const INS_CALCULATE: u8 = 0xA2;
    pub const INS_CALCULATE_ALL: u8 = 0xA4;
    pub const TAG_NAME: u8 = 0x71;
    pub const TAG_NAME_LIST: u8 = 0x72;
    pub const TAG_CHALLENGE: u8 = 0x74;
    pub const TAG_TRUNCATED: u8 = 0x76;
    pub const TAG_HOTP: u8 = 0x77;
    pub const TAG_TOUCH: u8 = 0x7C;
    pub const TYPE_MASK: u8 = 0xF0;
    pub const TYPE_HOTP: u8 = 0x10;
    pub const TYPE_TOTP: u8 = 0x20;
    /// A touch credential's CALCULATE without a touch in time, and a locked session's commands.
    pub const SW_SECURITY: u16 = 0x6982;
    pub const SW_CONDITIONS: u16 = 0x6985;
}

/// The issuer AWS writes in the QR code of a virtual MFA device.
pub const AWS_ISSUER: &str = "Amazon Web Services";

/// Which key, as the user chose it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// `--device SERIAL`
    pub serial: Option<u32>,
    /// `--reader NAME` (a PC/SC reader, named in full)
    pub reader: Option<String>,
}

/// A YubiKey found in a reader.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    /// The PC/SC reader.
    pub reader: String,
    /// The serial number, when the key reports it.
    pub serial: Option<u32>,
    /// Firmware version.
    pub firmware: String,
    /// Form factor (Keychain, Nano, …).
    pub form_factor: String,
    /// `USB` or `NFC`, from the ATR as yubikit tells them apart.
    pub transport: String,
}

impl KeyInfo {
    /// "YubiKey 12345678 in reader R", for messages.
    pub fn label(&self) -> String {
        match self.serial {
            Some(serial) => format!("YubiKey {serial}"),
            None => format!("the YubiKey in {}", self.reader),
        }
    }
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.serial {
            Some(serial) => write!(f, "{serial} ({})", self.reader),
            None => write!(f, "serial unknown ({})", self.reader),
        }
    }
}

/// An OATH account on a key: names and flags only, never a secret or a code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// The credential id as stored: `[period/][issuer:]name`.
    #[serde(skip)]
    pub id: Vec<u8>,
    /// The issuer, if any.
    pub issuer: Option<String>,
    /// The account name.
    pub name: String,
    /// TOTP (true) or HOTP.
    pub totp: bool,
    /// Seconds per window (TOTP).
    pub period: u32,
    /// Whether a touch is needed for each code (known after CALCULATE_ALL).
    pub touch: bool,
}

impl Account {
    /// `issuer:name`, as ykman shows it.
    pub fn display_name(&self) -> String {
        match &self.issuer {
            Some(issuer) => format!("{issuer}:{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// How to pick the account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountChoice {
    /// `--account NAME` (`issuer:name` or the bare name).
    pub explicit: Option<String>,
    /// The account AWS's QR code would have created for the target: issuer [`AWS_ISSUER`] and this
    /// name (`USER@ACCOUNT`, or `USER@` when the account is not known).
    pub preferred_name: Option<String>,
}

/// Where an OATH password comes from.
pub enum Password {
    /// None available: a locked key is an error.
    None,
    /// Already read (from `MFA_RESYNC_OATH_PASSWORD`).
    Given(SecretString),
    /// Ask on the terminal, without echo, when the key turns out to be locked.
    Prompt,
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Password::None => "Password::None",
            Password::Given(_) => "Password::Given(***)",
            Password::Prompt => "Password::Prompt",
        })
    }
}

/// Lists the PC/SC readers, each with whether a card is in it.
pub fn readers() -> Result<Vec<(String, bool)>, DeviceError> {
    yubikit::platform::pcsc::list_readers_with_state().map_err(pcsc_error)
}

/// Opens every YubiKey the selector allows, each on its own connection.
pub fn discover(
    selector: &Selector,
) -> Result<Vec<(KeyInfo, PcscSmartCardConnection)>, DeviceError> {
    let readers = readers()?;
    if readers.is_empty() {
        return Err(DeviceError::NoReader);
    }
    let candidates: Vec<&(String, bool)> = match &selector.reader {
        Some(name) => {
            let found: Vec<_> = readers.iter().filter(|(r, _)| r == name).collect();
            if found.is_empty() {
                return Err(DeviceError::ReaderNotFound {
                    name: name.clone(),
                    readers: readers.iter().map(|(r, _)| r.clone()).collect(),
                });
            }
            found
        }
        None => readers.iter().filter(|(_, present)| *present).collect(),
    };
    let mut keys = Vec::new();
    let mut busy = None;
    for (reader, _) in candidates {
        match connect(reader).and_then(|conn| identify(reader, conn)) {
            Ok(found) => keys.push(found),
            // Not a YubiKey (or an empty reader): other cards on a desk station are not ours.
            Err(DeviceError::NotAYubiKey { .. } | DeviceError::NoCard { .. })
                if selector.reader.is_none() => {}
            // A card another program holds may be anyone's; it matters only if no key is found.
            Err(e @ DeviceError::Busy { .. }) if selector.reader.is_none() => busy = Some(e),
            Err(e) => return Err(e),
        }
    }
    if let (true, Some(busy)) = (keys.is_empty(), busy) {
        return Err(busy);
    }
    if let Some(serial) = selector.serial {
        let all: Vec<String> = keys.iter().map(|(k, _)| k.to_string()).collect();
        keys.retain(|(k, _)| k.serial == Some(serial));
        if keys.is_empty() {
            return Err(DeviceError::DeviceNotFound { serial, found: all });
        }
    }
    Ok(keys)
}

/// Opens the one YubiKey the selector names, or the only one attached.
pub fn open_one(selector: &Selector) -> Result<(KeyInfo, PcscSmartCardConnection), DeviceError> {
    let mut keys = discover(selector)?;
    match keys.len() {
        0 => Err(DeviceError::NoYubiKey {
            readers: readers()?.into_iter().map(|(r, _)| r).collect(),
        }),
        1 => Ok(keys.remove(0)),
        _ => Err(DeviceError::SeveralYubiKeys {
            keys: keys.iter().map(|(k, _)| k.to_string()).collect(),
        }),
    }
}

/// Exclusive first (so no other program interleaves APDUs with ours), then shared.
fn connect(reader: &str) -> Result<PcscSmartCardConnection, DeviceError> {
    match PcscSmartCardConnection::new(reader, true) {
        Ok(conn) => Ok(conn),
        Err(e) if e.is_sharing_violation() => {
            PcscSmartCardConnection::new(reader, false).map_err(|e| {
                if e.is_sharing_violation() {
                    DeviceError::Busy {
                        reader: reader.to_string(),
                    }
                } else {
                    reader_error(reader, e)
                }
            })
        }
        Err(e) => Err(reader_error(reader, e)),
    }
}

fn reader_error(reader: &str, e: PcscError) -> DeviceError {
    if e.is_no_card() {
        DeviceError::NoCard {
            reader: reader.to_string(),
        }
    } else {
        pcsc_error(e)
    }
}

fn pcsc_error(e: PcscError) -> DeviceError {
    match e {
        PcscError::Pcsc(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => {
            DeviceError::PcscdUnavailable {
                detail: e.to_string(),
            }
        }
        PcscError::Pcsc(pcsc::Error::NoReadersAvailable) => DeviceError::NoReader,
        other => DeviceError::Transport {
            detail: other.to_string(),
        },
    }
}

/// Reads the key's serial, firmware and form factor through its management application.
fn identify(
    reader: &str,
    conn: PcscSmartCardConnection,
) -> Result<(KeyInfo, PcscSmartCardConnection), DeviceError> {
    let transport = match conn.get_atr() {
        Ok(atr) if atr.get(1).is_some_and(|b| b & 0xF0 == 0xF0) => "USB",
        _ => "NFC",
    };
    let (info, conn) = shield(|| yubikit::device::read_info_ccid(conn, None))
        .map_err(|_| DeviceError::Malformed {
            what: format!("garbage to the device-information request in {reader}"),
        })?
        .map_err(|e| DeviceError::NotAYubiKey {
            reader: reader.to_string(),
            detail: e.to_string(),
        })?;
    let key = KeyInfo {
        reader: reader.to_string(),
        serial: info.serial,
        firmware: info.version.to_string(),
        form_factor: info.form_factor.to_string(),
        transport: transport.to_string(),
    };
    Ok((key, conn))
}

/// An unlocked OATH session and its accounts, before one is chosen.
pub struct OpenKey<C: SmartCardConnection> {
    session: OathSession<C>,
    key: KeyInfo,
    accounts: Vec<Account>,
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
    pub fn open(conn: C, key: KeyInfo, password: Password, now: u64) -> Result<Self, DeviceError> {
        let label = key.label();
        let mut session = shield(|| OathSession::new(conn))
            .map_err(|_| DeviceError::Malformed {
                what: format!("garbage to SELECT on {label}"),
            })?
            .map_err(|(e, _conn)| match e {
                SmartCardError::ApplicationNotAvailable => {
                    DeviceError::NoOath { key: label.clone() }
                }
                SmartCardError::Apdu { sw: 0x6A82, .. } => {
                    DeviceError::NoOath { key: label.clone() }
                }
                other => card_error(&label, other, false),
            })?;
        if session.locked() {
            let secret = match password {
                Password::Given(secret) => secret,
                Password::Prompt => prompt_password(&label)?,
                Password::None => return Err(DeviceError::PasswordRequired { key: label }),
            };
            let access = session.derive_key(secret.expose_secret());
            drop(secret);
            shield(|| session.validate(&access))
                .map_err(|_| DeviceError::Malformed {
                    what: format!("garbage to VALIDATE on {label}"),
                })?
                .map_err(|e| match e {
                    yubikit::oath::OathError::Connection(SmartCardError::Apdu {
                        sw: 0x6A80,
                        ..
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

    fn send(&mut self, ins: u8, p2: u8, data: &[u8], touch: bool) -> Result<Vec<u8>, DeviceError> {
        let label = self.key.label();
        let protocol = self.session.protocol_mut();
        shield(|| protocol.send_apdu(0, ins, 0, p2, data))
            .map_err(|_| DeviceError::Malformed {
                what: format!("garbage on {label}"),
            })?
            .map_err(|e| card_error(&label, e, touch))
    }

    /// LIST: `72 len [type|algorithm] id…` for each credential.
    fn list(&mut self) -> Result<Vec<Account>, DeviceError> {
        let answer = self.send(ykoath::INS_LIST, 0, &[], false)?;
        let mut accounts = Vec::new();
        for (tag, value) in tlvs(&answer).map_err(|what| DeviceError::Malformed {
            what: format!("{what} to LIST"),
        })? {
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
            accounts.push(parse_id(id, totp));
        }
        Ok(accounts)
    }

    /// CALCULATE_ALL answers `7C` (no code) for the credentials that need a touch.
    fn mark_touch(&mut self, now: u64) -> Result<(), DeviceError> {
        let challenge = tlv(ykoath::TAG_CHALLENGE, &(now / 30).to_be_bytes());
        let answer = self.send(ykoath::INS_CALCULATE_ALL, 1, &challenge, false)?;
        let entries = tlvs(&answer).map_err(|what| DeviceError::Malformed {
            what: format!("{what} to CALCULATE ALL"),
        })?;
        let mut name: Option<Vec<u8>> = None;
        for (tag, value) in entries {
            match tag {
                ykoath::TAG_NAME => name = Some(value.to_vec()),
                ykoath::TAG_TOUCH => {
                    if let Some(id) = name.take() {
                        for account in self.accounts.iter_mut().filter(|a| a.id == id) {
                            account.touch = true;
                        }
                    }
                }
                ykoath::TAG_TRUNCATED | ykoath::TAG_HOTP => name = None,
                _ => {}
            }
        }
        Ok(())
    }

    /// Picks the account: `--account`, else the one AWS's QR code makes for the target, else the
    /// only TOTP account.
    pub fn choose(self, choice: &AccountChoice) -> Result<YubiKeySource<C>, DeviceError> {
        let names = || {
            self.accounts
                .iter()
                .map(Account::display_name)
                .collect::<Vec<_>>()
        };
        let chosen = if let Some(wanted) = &choice.explicit {
            self.accounts
                .iter()
                .find(|a| a.display_name() == *wanted)
                .or_else(|| self.accounts.iter().find(|a| a.name == *wanted))
                .ok_or_else(|| DeviceError::AccountNotFound {
                    key: self.key.label(),
                    wanted: wanted.clone(),
                    available: names(),
                })?
        } else {
            let totp: Vec<&Account> = self.accounts.iter().filter(|a| a.totp).collect();
            let preferred = choice.preferred_name.as_ref().and_then(|want| {
                let matches: Vec<&&Account> = totp
                    .iter()
                    .filter(|a| a.issuer.as_deref() == Some(AWS_ISSUER))
                    .filter(|a| {
                        if want.ends_with('@') {
                            a.name.starts_with(want.as_str())
                        } else {
                            a.name == *want
                        }
                    })
                    .collect();
                (matches.len() == 1).then(|| *matches[0])
            });
            match (preferred, totp.as_slice()) {
                (Some(account), _) => account,
                (None, [only]) => only,
                (None, []) => {
                    return Err(DeviceError::AccountNotFound {
                        key: self.key.label(),
                        wanted: "a TOTP account".into(),
                        available: names(),
                    });
                }
                (None, _) => {
                    return Err(DeviceError::SeveralAccounts {
                        key: self.key.label(),
                        available: totp.iter().map(|a| a.display_name()).collect(),
                    });
                }
            }
        };
        if !chosen.totp {
            return Err(DeviceError::NotTotp {
                account: chosen.display_name(),
            });
        }
        let account = chosen.clone();
        let info = SourceInfo {
            kind: "yubikey",
            device_serial: self.key.serial.map(|s| s.to_string()),
            account: Some(account.display_name()),
            period: u64::from(account.period),
            digits: 6,
            touch: account.touch,
        };
        Ok(YubiKeySource {
            session: self.session,
            key: self.key,
            account,
            info,
        })
    }
}

/// Codes computed by the YubiKey for one account.
pub struct YubiKeySource<C: SmartCardConnection> {
    session: OathSession<C>,
    key: KeyInfo,
    account: Account,
    info: SourceInfo,
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
        self.info.clone()
    }

    fn clock(&self) -> ClockOwner {
        ClockOwner::Host
    }

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        // CALCULATE with P2 = 1 (truncated): NAME, then CHALLENGE = the counter, big-endian.
        let mut data = tlv(ykoath::TAG_NAME, &self.account.id);
        data.extend(tlv(ykoath::TAG_CHALLENGE, &counter.to_be_bytes()));
        let label = self.key.label();
        let touch = self.account.touch;
        let protocol = self.session.protocol_mut();
        let answer = shield(|| protocol.send_apdu(0, ykoath::INS_CALCULATE, 0, 1, &data))
            .map_err(|_| DeviceError::Malformed {
                what: format!("garbage to CALCULATE on {label}"),
            })?
            .map_err(|e| card_error(&label, e, touch))?;
        let entries = tlvs(&answer).map_err(|what| DeviceError::Malformed {
            what: format!("{what} to CALCULATE"),
        })?;
        let truncated = match entries.as_slice() {
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
        let value = u32::from_be_bytes([b0 & 0x7F, b1, b2, b3]) % 10u32.pow(u32::from(digits));
        Code::from_digits(format!("{value:0width$}", width = usize::from(digits)))
    }
}

/// Turns a card error into what the user needs to act.
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
        SmartCardError::Apdu { sw, .. } => DeviceError::Malformed {
            what: format!("status word {sw:04X}"),
        },
        SmartCardError::Transport(inner) => {
            let text = inner.to_string();
            match inner.downcast_ref::<PcscError>() {
                // pcscd itself went away mid-run (stopped, restarted): the key may be fine.
                Some(p @ PcscError::Pcsc(pcsc::Error::NoService | pcsc::Error::ServiceStopped)) => {
                    DeviceError::PcscdUnavailable {
                        detail: p.to_string(),
                    }
                }
                Some(p)
                    if p.is_unavailable()
                        || matches!(p, PcscError::Pcsc(pcsc::Error::ResetCard)) =>
                {
                    DeviceError::Removed {
                        key: label.to_string(),
                    }
                }
                _ if text.contains("removed") || text.contains("reset") => DeviceError::Removed {
                    key: label.to_string(),
                },
                _ => DeviceError::Transport { detail: text },
            }
        }
        // A card that leaves mid-command leaves PC/SC an answer without a status word; the next
        // command would see RemovedCard. Either way the key is gone.
        SmartCardError::InvalidData(text) if text.contains("no status word") => {
            DeviceError::Removed {
                key: label.to_string(),
            }
        }
        other => DeviceError::Malformed {
            what: other.to_string(),
        },
    }
}

fn prompt_password(label: &str) -> Result<SecretString, DeviceError> {
    rpassword::prompt_password(format!("OATH password for {label}: "))
        .map(SecretString::from)
        .map_err(|_| DeviceError::PasswordRequired {
            key: label.to_string(),
        })
}

/// `[period/][issuer:]name` (YKOATH credential id; the period only when it is not 30).
fn parse_id(id: &[u8], totp: bool) -> Account {
    let text = String::from_utf8_lossy(id).into_owned();
    let (period, rest) = match text.split_once('/') {
        Some((p, rest)) if totp && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (
            p.parse::<u32>().ok().filter(|p| *p > 0).unwrap_or(30),
            rest.to_string(),
        ),
        _ => (30, text.clone()),
    };
    let (issuer, name) = match rest.split_once(':') {
        Some((issuer, name)) if !issuer.is_empty() => (Some(issuer.to_string()), name.to_string()),
        _ => (None, rest),
    };
    Account {
        id: id.to_vec(),
        issuer,
        name,
        totp,
        period: if totp { period } else { 0 },
        touch: false,
    }
}

/// One BER-TLV with a one-byte tag (YKOATH uses lengths below 256, with `81 xx` past 127).
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

/// Parses a run of one-byte-tag TLVs, refusing any length past the end.
fn tlvs(data: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((&tag, after_tag)) = rest.split_first() {
        let (len, after_len) = match after_tag {
            [n @ 0..=0x7F, tail @ ..] => (usize::from(*n), tail),
            [0x81, n, tail @ ..] => (usize::from(*n), tail),
            [0x82, hi, lo, tail @ ..] => ((usize::from(*hi) << 8) | usize::from(*lo), tail),
            _ => return Err("a TLV with a bad length".into()),
        };
        if after_len.len() < len {
            return Err(format!(
                "a TLV of {len} bytes with {} left",
                after_len.len()
            ));
        }
        let (value, tail) = after_len.split_at(len);
        out.push((tag, value));
        rest = tail;
    }
    Ok(out)
}

/// Runs a yubikit call so that a panic on a malformed answer becomes an error, silently: the
/// device is untrusted input.
fn shield<T>(f: impl FnOnce() -> T) -> Result<T, ()> {
    use std::cell::Cell;
    use std::sync::Once;
    thread_local!(static SHIELDED: Cell<bool> = const { Cell::new(false) });
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !SHIELDED.with(Cell::get) {
                default(info);
            }
        }));
    });
    let previous = SHIELDED.with(|s| s.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    SHIELDED.with(|s| s.set(previous));
    result.map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use testbed::virtual_yubikey::{
        CardConfig, CardConnection, CredentialConfig, Reply, ScriptedCard, TouchPolicy, VirtualCard,
    };

    use super::*;

    const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn key() -> KeyInfo {
        KeyInfo {
            reader: "in-process".into(),
            serial: Some(12345678),
            firmware: "5.7.2".into(),
            form_factor: "Keychain".into(),
            transport: "NFC".into(),
        }
    }

    fn card(config: CardConfig) -> VirtualCard {
        VirtualCard::new(config).unwrap()
    }

    fn aws_card() -> VirtualCard {
        card(
            CardConfig::new(12345678).with_credential(CredentialConfig::totp_for_account(
                "Amazon Web Services:alice@123456789012",
                SEED,
            )),
        )
    }

    fn open(responder: ScriptedCard) -> Result<OpenKey<CardConnection<ScriptedCard>>, DeviceError> {
        OpenKey::open(
            CardConnection::new(responder),
            key(),
            Password::None,
            1_111_111_109,
        )
    }

    fn source(
        responder: ScriptedCard,
    ) -> Result<YubiKeySource<CardConnection<ScriptedCard>>, DeviceError> {
        open(responder)?.choose(&AccountChoice::default())
    }

    #[test]
    fn codes_are_rfc_6238_through_yubikits_session() {
        let mut s = source(ScriptedCard::wrapping(aws_card())).unwrap();
        // RFC 6238 Appendix B, SHA-1, the last 6 of the 8 digits.
        assert_eq!(s.code_at(59 / 30).unwrap().expose(), "287082");
        assert_eq!(s.code_at(1_111_111_109 / 30).unwrap().expose(), "081804");
        assert_eq!(s.code_at(2_000_000_000 / 30).unwrap().expose(), "279037");
        assert_eq!(s.describe().device_serial.as_deref(), Some("12345678"));
    }

    #[test]
    fn the_target_account_is_preferred_and_ambiguity_lists_names() {
        let config = CardConfig::new(1)
            .with_credential(CredentialConfig::totp_for_account(
                "Amazon Web Services:alice@111111111111",
                SEED,
            ))
            .with_credential(CredentialConfig::totp_for_account(
                "Amazon Web Services:alice@123456789012",
                SEED,
            ));
        let open_key = || open(ScriptedCard::wrapping(card(config.clone()))).unwrap();
        let choice = AccountChoice {
            explicit: None,
            preferred_name: Some("alice@123456789012".into()),
        };
        let chosen = open_key().choose(&choice).unwrap();
        assert_eq!(
            chosen.describe().account.as_deref(),
            Some("Amazon Web Services:alice@123456789012")
        );
        let err = open_key().choose(&AccountChoice::default()).unwrap_err();
        assert!(
            matches!(err, DeviceError::SeveralAccounts { ref available, .. } if available.len() == 2),
            "{err}"
        );
    }

    #[test]
    fn hotp_accounts_are_refused() {
        let mut hotp = CredentialConfig::totp(None, "counter", SEED);
        hotp.oath_type = testbed::virtual_yubikey::OathType::Hotp;
        let config = CardConfig::new(1).with_credential(hotp);
        let open_key = open(ScriptedCard::wrapping(card(config))).unwrap();
        let err = open_key
            .choose(&AccountChoice {
                explicit: Some("counter".into()),
                preferred_name: None,
            })
            .unwrap_err();
        assert!(matches!(err, DeviceError::NotTotp { .. }), "{err}");
    }

    #[test]
    fn touch_accounts_are_known_and_a_missing_touch_times_out() {
        let mut account =
            CredentialConfig::totp_for_account("Amazon Web Services:alice@123456789012", SEED);
        account.touch = true;
        let config = CardConfig::new(1)
            .with_credential(account)
            .with_touch(TouchPolicy::Deny {
                after: std::time::Duration::ZERO,
            });
        let mut s = source(ScriptedCard::wrapping(card(config))).unwrap();
        assert!(s.describe().touch);
        assert!(matches!(
            s.code_at(1).unwrap_err(),
            DeviceError::TouchTimedOut { .. }
        ));
    }

    #[test]
    fn a_locked_key_needs_the_password() {
        let config = || {
            CardConfig::new(1)
                .with_credential(CredentialConfig::totp(None, "a", SEED))
                .with_password("pw")
        };
        let err = open(ScriptedCard::wrapping(card(config()))).unwrap_err();
        assert!(matches!(err, DeviceError::PasswordRequired { .. }), "{err}");
        let conn = CardConnection::new(ScriptedCard::wrapping(card(config())));
        let wrong =
            OpenKey::open(conn, key(), Password::Given(SecretString::from("nope")), 0).unwrap_err();
        assert!(
            matches!(wrong, DeviceError::WrongPassword { .. }),
            "{wrong}"
        );
        let conn = CardConnection::new(ScriptedCard::wrapping(card(config())));
        let right =
            OpenKey::open(conn, key(), Password::Given(SecretString::from("pw")), 0).unwrap();
        assert_eq!(right.accounts().len(), 1);
    }

    /// Garbage from the device is an error, never a panic: each answer replaces the card's own.
    #[test]
    fn garbage_answers_are_errors_not_panics() {
        let cases: Vec<(&str, u8, Reply)> = vec![
            (
                "an empty LIST entry",
                ykoath::INS_LIST,
                Reply::data(&[0x72, 0x00], 0x9000),
            ),
            (
                "a LIST TLV past the end",
                ykoath::INS_LIST,
                Reply::data(&[0x72, 0x10, 0x21], 0x9000),
            ),
            (
                "a LIST of unknown type",
                ykoath::INS_LIST,
                Reply::data(&[0x72, 0x02, 0x51, 0x41], 0x9000),
            ),
            (
                "a CALCULATE ALL with a bad length",
                ykoath::INS_CALCULATE_ALL,
                Reply::data(&[0x71, 0x83], 0x9000),
            ),
            (
                "a short truncated code",
                ykoath::INS_CALCULATE,
                Reply::data(&[0x76, 0x01, 0x06], 0x9000),
            ),
            (
                "a code of 9 digits",
                ykoath::INS_CALCULATE,
                Reply::data(&[0x76, 0x05, 9, 1, 2, 3, 4], 0x9000),
            ),
            (
                "a wrong tag",
                ykoath::INS_CALCULATE,
                Reply::data(&[0x75, 0x05, 6, 1, 2, 3, 4], 0x9000),
            ),
            (
                "a wrong status word",
                ykoath::INS_CALCULATE,
                Reply::sw(0x6A80),
            ),
            (
                "no status word at all",
                ykoath::INS_CALCULATE,
                Reply::raw(vec![0x90]),
            ),
            (
                "an empty answer",
                ykoath::INS_CALCULATE,
                Reply::raw(Vec::new()),
            ),
        ];
        for (what, ins, reply) in cases {
            let responder = ScriptedCard::wrapping(aws_card()).on_ins(ins, reply);
            let result = source(responder).and_then(|mut s| s.code_at(1));
            assert!(result.is_err(), "{what}: accepted");
        }
        // SELECT itself answering garbage: yubikit's own parsing, shielded.
        for reply in [
            Reply::data(&[0x79], 0x9000),
            Reply::data(&[0x79, 0x03, 5, 7, 2], 0x9000),
            Reply::sw(0x6A82),
        ] {
            let responder = ScriptedCard::wrapping(aws_card()).then(reply);
            assert!(open(responder).is_err());
        }
    }

    #[test]
    fn the_shield_turns_a_panic_into_an_error() {
        assert!(shield(|| -> u8 { panic!("a device's garbage") }).is_err());
        assert_eq!(shield(|| 7), Ok(7));
    }

    #[test]
    fn ids_parse_as_ykoath_writes_them() {
        let a = parse_id(b"Amazon Web Services:alice@123456789012", true);
        assert_eq!(
            (a.issuer.as_deref(), a.name.as_str(), a.period),
            (Some("Amazon Web Services"), "alice@123456789012", 30)
        );
        let a = parse_id(b"60/Example:bob", true);
        assert_eq!(
            (a.issuer.as_deref(), a.name.as_str(), a.period),
            (Some("Example"), "bob", 60)
        );
        let a = parse_id(b"plain", true);
        assert_eq!((a.issuer, a.name.as_str()), (None, "plain"));
    }

    #[test]
    fn tlvs_refuse_lengths_past_the_end() {
        assert_eq!(
            tlvs(&[0x71, 0x02, 0x41, 0x42]).unwrap(),
            vec![(0x71, &b"AB"[..])]
        );
        assert!(tlvs(&[0x71, 0x05, 0x41]).is_err());
        assert!(tlvs(&[0x71]).is_err());
        assert!(tlvs(&[0x71, 0x83, 0, 0, 1]).is_err());
        assert_eq!(tlv(0x74, &[0; 200])[..3], [0x74, 0x81, 200]);
    }
}
