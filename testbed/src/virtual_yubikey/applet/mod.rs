//! The YKOATH applet: credentials, the access key, and the commands of the YKOATH protocol
//! (developers.yubico.com/OATH/YKOATH_Protocol.html) — SELECT, PUT, DELETE, SET CODE, RESET,
//! LIST, CALCULATE, VALIDATE, CALCULATE ALL, and RENAME (firmware 5.3.1+).
//!
//! Pure logic: a command in, an [`Answer`] out. No I/O and no clock — TOTP time arrives as the
//! host's challenge, and a touch is only a delay written into the answer for the transport to
//! honour. ISO framing (chaining, 61xx paging with SEND REMAINING) is the card's job, not this
//! module's.

use std::fmt;
use std::time::Duration;

use super::apdu::{
    Answer, Command, SW_INCORRECT_P1P2, SW_INS_NOT_SUPPORTED, SW_NO_SPACE, SW_NO_SUCH_OBJECT,
    SW_SECURITY_STATUS_NOT_SATISFIED, SW_WRONG_DATA,
};
use super::config::{HashAlgorithm, OathType, TouchPolicy};
use super::tlv;
use super::{crypto, entropy};

mod protocol;
mod stored;

pub use protocol::{ins, tag};

const PROP_REQUIRE_TOUCH: u8 = 0x02;
/// Longest credential id YubiKeys store: YKOATH "PUT" gives the name "max 64 bytes" and lists
/// `6A80` (wrong syntax) for a malformed PUT, which is what a longer one gets here.
const MAX_ID_LEN: usize = 64;
/// First firmware that honours "require touch" (ykman refuses `--touch` below it; the YKOATH
/// spec's note says 4.2.4). Older applets store the property byte and never act on `0x02` — the
/// NEO's ykneo-oath applet, the one whose code is public, only looks at "only increasing" — so
/// such a key takes the PUT and calculates without a touch. This card does the same.
const TOUCH_SINCE: [u8; 3] = [4, 2, 6];
/// First firmware with HMAC-SHA512 (YKOATH "ALGORITHMS": "requires YubiKey 4.3.1 or later").
/// Older applets refuse an algorithm they lack with `6A80` (ykneo-oath's `handlePut`).
const SHA512_SINCE: [u8; 3] = [4, 3, 1];

/// One stored credential. `Debug` leaves the key out.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// Raw id bytes.
    pub id: Vec<u8>,
    /// TOTP or HOTP.
    pub oath_type: OathType,
    /// HMAC hash.
    pub algorithm: HashAlgorithm,
    /// Code length.
    pub digits: u8,
    /// HMAC key as received (hosts may zero-pad it to 14 bytes; HMAC pads anyway).
    key: Vec<u8>,
    /// Whether CALCULATE waits for a touch.
    pub touch: bool,
    /// HOTP: the next counter value.
    pub counter: u64,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("id", &String::from_utf8_lossy(&self.id))
            .field("oath_type", &self.oath_type)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("touch", &self.touch)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Credential {
    fn type_byte(&self) -> u8 {
        self.oath_type.code() | self.algorithm.code()
    }

    fn hmac(&self, message: &[u8]) -> Vec<u8> {
        crypto::hmac(self.algorithm, &self.key, message)
    }
}

#[derive(Clone)]
struct AccessKey {
    algorithm: HashAlgorithm,
    key: Vec<u8>,
}

/// The YKOATH application state of one card.
pub struct OathApplet {
    version: [u8; 3],
    salt: [u8; 8],
    access_key: Option<AccessKey>,
    /// Set when a host changed the key, so the saved state drops a now-stale password.
    key_changed: bool,
    credentials: Vec<Credential>,
    touch: TouchPolicy,
    /// The challenge of the last SELECT, answered by VALIDATE.
    challenge: Option<[u8; 8]>,
    unlocked: bool,
    dirty: bool,
}

impl fmt::Debug for OathApplet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OathApplet")
            .field("version", &self.version)
            .field("has_key", &self.access_key.is_some())
            .field("unlocked", &self.unlocked)
            .field("credentials", &self.credentials)
            .field("touch", &self.touch)
            .finish_non_exhaustive()
    }
}

impl OathApplet {
    /// YubiKeys hold 32 OATH credentials, 64 from firmware 5.7.
    pub fn capacity(&self) -> usize {
        if self.version >= [5, 7, 0] { 64 } else { 32 }
    }

    /// Whether a host changed anything worth saving since the last call.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Whether commands other than VALIDATE, RESET and SELECT are refused right now.
    pub fn is_locked(&self) -> bool {
        self.access_key.is_some() && !self.unlocked
    }

    /// The stored credentials, in LIST order.
    pub fn credentials(&self) -> &[Credential] {
        &self.credentials
    }

    /// The salt / device id of the SELECT answer.
    pub fn salt(&self) -> [u8; 8] {
        self.salt
    }

    /// Changes the touch policy (tests switch it between calls).
    pub fn set_touch_policy(&mut self, policy: TouchPolicy) {
        self.touch = policy;
    }

    /// Leaving the applet (another SELECT, a reset, power off) relocks it: an unlock lasts for
    /// one selection, as on a real key.
    pub fn deselect(&mut self) {
        self.unlocked = false;
        self.challenge = None;
    }

    /// SELECT: version, salt, and — when a key is set — a fresh challenge and its algorithm.
    pub fn select(&mut self) -> Answer {
        self.deselect();
        let mut data = Vec::new();
        tlv::push(&mut data, tag::VERSION, &self.version);
        tlv::push(&mut data, tag::NAME, &self.salt);
        if let Some(key) = &self.access_key {
            let challenge = entropy::random::<8>();
            self.challenge = Some(challenge);
            tlv::push(&mut data, tag::CHALLENGE, &challenge);
            tlv::push(&mut data, tag::ALGORITHM, &[key.algorithm.code()]);
        }
        Answer::ok(data)
    }

    /// One command while the applet is selected. `data` is the whole (de-chained) command data.
    pub fn process(&mut self, cmd: &Command<'_>, data: &[u8]) -> Answer {
        let tlvs = match tlv::parse(data) {
            Ok(t) => t,
            Err(sw) => return Answer::sw(sw),
        };
        let needs_unlock = !matches!(cmd.ins, ins::VALIDATE | ins::RESET);
        if needs_unlock && self.is_locked() {
            return Answer::sw(SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        let result = match cmd.ins {
            ins::PUT => self.put(&tlvs),
            ins::DELETE => self.delete(&tlvs),
            ins::SET_CODE => self.set_code(&tlvs),
            ins::RESET => self.reset(cmd),
            ins::RENAME => self.rename(&tlvs),
            ins::LIST => Ok(self.list()),
            ins::CALCULATE => self.calculate(cmd, &tlvs),
            ins::VALIDATE => self.validate(&tlvs),
            ins::CALCULATE_ALL => self.calculate_all(cmd, &tlvs),
            _ => Err(SW_INS_NOT_SUPPORTED),
        };
        result.unwrap_or_else(Answer::sw)
    }

    fn find(&self, id: &[u8]) -> Option<usize> {
        self.credentials.iter().position(|c| c.id == id)
    }

    fn put(&mut self, tlvs: &[(u8, &[u8])]) -> Result<Answer, u16> {
        let id = tlv::find(tlvs, tag::NAME).ok_or(SW_WRONG_DATA)?;
        let key = tlv::find(tlvs, tag::KEY).ok_or(SW_WRONG_DATA)?;
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(SW_WRONG_DATA);
        }
        let (&type_byte, rest) = key.split_first().ok_or(SW_WRONG_DATA)?;
        let (&digits, secret) = rest.split_first().ok_or(SW_WRONG_DATA)?;
        let oath_type = OathType::from_code(type_byte).ok_or(SW_WRONG_DATA)?;
        let algorithm = HashAlgorithm::from_code(type_byte & 0x0F).ok_or(SW_WRONG_DATA)?;
        if algorithm == HashAlgorithm::Sha512 && self.version < SHA512_SINCE {
            return Err(SW_WRONG_DATA);
        }
        if !(6..=8).contains(&digits) || secret.is_empty() || secret.len() > algorithm.block_size()
        {
            return Err(SW_WRONG_DATA);
        }
        let touch = self.version >= TOUCH_SINCE
            && tlv::find(tlvs, tag::PROPERTY)
                .and_then(|p| p.first())
                .is_some_and(|p| p & PROP_REQUIRE_TOUCH != 0);
        let counter = match tlv::find(tlvs, tag::IMF) {
            Some(imf) => {
                let bytes: [u8; 4] = imf.try_into().map_err(|_| SW_WRONG_DATA)?;
                u64::from(u32::from_be_bytes(bytes))
            }
            None => 0,
        };
        let cred = Credential {
            id: id.to_vec(),
            oath_type,
            algorithm,
            digits,
            key: secret.to_vec(),
            touch,
            counter,
        };
        // An existing id is replaced in place (YKOATH "PUT": "adds a new (or overwrites)"), which
        // is what `ykman oath accounts add -f` relies on; only a new id needs room.
        match self.find(id) {
            Some(i) => self.credentials[i] = cred,
            None if self.credentials.len() >= self.capacity() => return Err(SW_NO_SPACE),
            None => self.credentials.push(cred),
        }
        self.dirty = true;
        Ok(Answer::ok(Vec::new()))
    }

    fn delete(&mut self, tlvs: &[(u8, &[u8])]) -> Result<Answer, u16> {
        let id = tlv::find(tlvs, tag::NAME).ok_or(SW_WRONG_DATA)?;
        let i = self.find(id).ok_or(SW_NO_SUCH_OBJECT)?;
        self.credentials.remove(i);
        self.dirty = true;
        Ok(Answer::ok(Vec::new()))
    }

    fn rename(&mut self, tlvs: &[(u8, &[u8])]) -> Result<Answer, u16> {
        if self.version < [5, 3, 1] {
            return Err(SW_INS_NOT_SUPPORTED);
        }
        let mut names = tlvs
            .iter()
            .filter(|(t, _)| *t == tag::NAME)
            .map(|(_, v)| *v);
        let (old, new) = names.next().zip(names.next()).ok_or(SW_WRONG_DATA)?;
        if new.is_empty() || new.len() > MAX_ID_LEN {
            return Err(SW_WRONG_DATA);
        }
        let i = self.find(old).ok_or(SW_NO_SUCH_OBJECT)?;
        if old != new && self.find(new).is_some() {
            return Err(SW_WRONG_DATA);
        }
        self.credentials[i].id = new.to_vec();
        self.dirty = true;
        Ok(Answer::ok(Vec::new()))
    }

    fn set_code(&mut self, tlvs: &[(u8, &[u8])]) -> Result<Answer, u16> {
        let key = tlv::find(tlvs, tag::KEY).ok_or(SW_WRONG_DATA)?;
        let Some((&type_byte, key)) = key.split_first() else {
            // An empty KEY removes the access key (YKOATH "SET CODE").
            self.access_key = None;
            self.key_changed = true;
            self.dirty = true;
            return Ok(Answer::ok(Vec::new()));
        };
        let algorithm = HashAlgorithm::from_code(type_byte & 0x0F).ok_or(SW_WRONG_DATA)?;
        let challenge = tlv::find(tlvs, tag::CHALLENGE).ok_or(SW_WRONG_DATA)?;
        let response = tlv::find(tlvs, tag::RESPONSE).ok_or(SW_WRONG_DATA)?;
        if key.is_empty() {
            return Err(SW_WRONG_DATA);
        }
        // The host proves it holds the key it sets, so a typo cannot lock the card.
        if crypto::hmac(algorithm, key, challenge) != response {
            return Err(SW_NO_SUCH_OBJECT);
        }
        self.access_key = Some(AccessKey {
            algorithm,
            key: key.to_vec(),
        });
        // The session that set the key stays authenticated; the next SELECT locks.
        self.unlocked = true;
        self.key_changed = true;
        self.dirty = true;
        Ok(Answer::ok(Vec::new()))
    }

    fn reset(&mut self, cmd: &Command<'_>) -> Result<Answer, u16> {
        if (cmd.p1, cmd.p2) != (0xDE, 0xAD) {
            return Err(SW_INCORRECT_P1P2);
        }
        // A reset forgets everything and draws a new salt, hence a new device id.
        self.credentials.clear();
        self.access_key = None;
        self.key_changed = true;
        self.salt = entropy::random::<8>();
        self.challenge = None;
        self.unlocked = false;
        self.dirty = true;
        Ok(Answer::ok(Vec::new()))
    }

    fn list(&self) -> Answer {
        let mut data = Vec::new();
        for cred in &self.credentials {
            let mut entry = Vec::with_capacity(cred.id.len() + 1);
            entry.push(cred.type_byte());
            entry.extend_from_slice(&cred.id);
            tlv::push(&mut data, tag::NAME_LIST, &entry);
        }
        Answer::ok(data)
    }

    fn validate(&mut self, tlvs: &[(u8, &[u8])]) -> Result<Answer, u16> {
        let key = self.access_key.clone().ok_or(SW_NO_SUCH_OBJECT)?;
        let ours = self.challenge.ok_or(SW_NO_SUCH_OBJECT)?;
        let response = tlv::find(tlvs, tag::RESPONSE).ok_or(SW_WRONG_DATA)?;
        let theirs = tlv::find(tlvs, tag::CHALLENGE).ok_or(SW_WRONG_DATA)?;
        // A wrong response is 6A80, which ykman reports as a wrong password.
        if crypto::hmac(key.algorithm, &key.key, &ours) != response {
            return Err(SW_WRONG_DATA);
        }
        self.unlocked = true;
        self.challenge = None;
        let mut data = Vec::new();
        tlv::push(
            &mut data,
            tag::RESPONSE,
            &crypto::hmac(key.algorithm, &key.key, theirs),
        );
        Ok(Answer::ok(data))
    }

    fn calculate(&mut self, cmd: &Command<'_>, tlvs: &[(u8, &[u8])]) -> Result<Answer, u16> {
        let id = tlv::find(tlvs, tag::NAME).ok_or(SW_WRONG_DATA)?;
        let challenge = tlv::find(tlvs, tag::CHALLENGE);
        let i = self.find(id).ok_or(SW_NO_SUCH_OBJECT)?;
        let delay = if self.credentials[i].touch {
            match self.touch {
                TouchPolicy::Accept => Duration::ZERO,
                TouchPolicy::Delay(d) => d,
                // No touch: the key gives up with 6982 after its timeout.
                TouchPolicy::Deny { after } => {
                    return Ok(Answer {
                        delay: after,
                        ..Answer::sw(SW_SECURITY_STATUS_NOT_SATISFIED)
                    });
                }
            }
        } else {
            Duration::ZERO
        };
        let cred = &mut self.credentials[i];
        let digest = match cred.oath_type {
            // TOTP: the challenge is the host's 8-byte time-step counter (RFC 6238 §4.2).
            OathType::Totp => cred.hmac(challenge.ok_or(SW_WRONG_DATA)?),
            // HOTP: the card's own counter, advanced on use (RFC 4226 §5.2).
            OathType::Hotp => {
                let digest = cred.hmac(&cred.counter.to_be_bytes());
                cred.counter = cred.counter.wrapping_add(1);
                self.dirty = true;
                digest
            }
        };
        let cred = &self.credentials[i];
        let mut data = Vec::new();
        push_code(&mut data, cred.digits, &digest, cmd.p2 & 0x01 != 0)?;
        Ok(Answer {
            delay,
            ..Answer::ok(data)
        })
    }

    fn calculate_all(&mut self, cmd: &Command<'_>, tlvs: &[(u8, &[u8])]) -> Result<Answer, u16> {
        let challenge = tlv::find(tlvs, tag::CHALLENGE).ok_or(SW_WRONG_DATA)?;
        let truncated = cmd.p2 & 0x01 != 0;
        let mut data = Vec::new();
        for cred in &self.credentials {
            tlv::push(&mut data, tag::NAME, &cred.id);
            if cred.oath_type == OathType::Hotp {
                // HOTP would advance the counter; the host must CALCULATE it explicitly.
                tlv::push(&mut data, tag::HOTP, &[cred.digits]);
            } else if cred.touch {
                tlv::push(&mut data, tag::TOUCH, &[cred.digits]);
            } else {
                // Every TOTP credential gets the host's challenge, whatever its period; hosts
                // recalculate the ones whose id says the period is not 30 s.
                push_code(&mut data, cred.digits, &cred.hmac(challenge), truncated)?;
            }
        }
        Ok(Answer::ok(data))
    }
}

/// Appends a RESPONSE (digits + full HMAC) or TRUNCATED (digits + 4 bytes) TLV.
fn push_code(data: &mut Vec<u8>, digits: u8, digest: &[u8], truncated: bool) -> Result<(), u16> {
    let mut value = vec![digits];
    if truncated {
        let code = crypto::truncate(digest).ok_or(SW_WRONG_DATA)?;
        value.extend_from_slice(&code.to_be_bytes());
        tlv::push(data, tag::TRUNCATED, &value);
    } else {
        value.extend_from_slice(digest);
        tlv::push(data, tag::RESPONSE, &value);
    }
    Ok(())
}
