//! The card as a transport sees it: bytes in, bytes out. Owns what ISO/IEC 7816-4 puts between
//! the reader and an application — SELECT by AID among OATH, management and OTP (`6A82` for
//! anything else), command chaining (CLA bit `0x10`, §5.1.1), 61xx response paging collected by
//! SEND REMAINING (`A5`) or GET RESPONSE (`C0`), power events — and the simulations a transport
//! must act on: a touch delay and removal after N APDUs.
//!
//! [`Responder`] is the seam the transports use, so that [`super::script::ScriptedCard`] (and any
//! closure) can stand in for a well-behaved card.

use std::time::Duration;

use super::apdu::{
    self, Answer, CLA_CHAINING, SW_CLA_NOT_SUPPORTED, SW_CONDITIONS_NOT_SATISFIED,
    SW_FILE_NOT_FOUND, SW_INS_NOT_SUPPORTED, SW_LAST_COMMAND_EXPECTED, SW_OK, SW_WRONG_LENGTH,
    SW_WRONG_P1P2, SW1_MORE_DATA,
};
use super::applet::{OathApplet, ins};
use super::config::{CardConfig, TouchPolicy};
use super::error::Error;
use super::management::{CAPABILITY_OATH, CAPABILITY_OTP, Identity, ManagementApplet};
use super::otp::{OtpApp, OtpApplet};
use super::{AID_MANAGEMENT, AID_OATH, AID_OTP, ATR_YUBIKEY_5_NFC};

/// A reader's power events (vpcd control bytes 00, 01, 02).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    /// Power off.
    Off,
    /// Power on (cold reset).
    On,
    /// Warm reset.
    Reset,
}

/// What a card does with one command APDU.
#[derive(Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer these bytes (response data followed by SW1 SW2 — or anything, for a broken card)
    /// after `delay`.
    Bytes {
        /// The raw response.
        bytes: Vec<u8>,
        /// How long the answer takes (a simulated touch or timeout).
        delay: Duration,
    },
    /// The card is gone: the transport drops without answering.
    Removed,
}

impl std::fmt::Debug for Reply {
    /// Only the status word: responses can carry codes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes { bytes, delay } => f
                .debug_struct("Bytes")
                .field("len", &bytes.len())
                .field("sw", &sw_of(bytes).map(|sw| format!("{sw:04X}")))
                .field("delay", delay)
                .finish(),
            Self::Removed => f.write_str("Removed"),
        }
    }
}

impl Reply {
    /// A bare status word.
    pub fn sw(sw: u16) -> Self {
        Self::raw(sw.to_be_bytes().to_vec())
    }

    /// Data followed by a status word.
    pub fn data(data: &[u8], sw: u16) -> Self {
        Self::raw(apdu::with_sw(data.to_vec(), sw))
    }

    /// Exactly these bytes — possibly fewer than the two a status word needs.
    pub fn raw(bytes: Vec<u8>) -> Self {
        Self::Bytes {
            bytes,
            delay: Duration::ZERO,
        }
    }

    /// The same reply, given after `delay`.
    pub fn after(self, delay: Duration) -> Self {
        match self {
            Self::Bytes { bytes, .. } => Self::Bytes { bytes, delay },
            Self::Removed => Self::Removed,
        }
    }

    /// The status word, when the reply has one.
    pub fn status_word(&self) -> Option<u16> {
        match self {
            Self::Bytes { bytes, .. } => sw_of(bytes),
            Self::Removed => None,
        }
    }
}

fn sw_of(bytes: &[u8]) -> Option<u16> {
    match bytes {
        [.., a, b] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

/// Something that answers command APDUs like a card. Transports hold it behind a mutex.
pub trait Responder: Send {
    /// Answers one command APDU.
    fn respond(&mut self, apdu: &[u8]) -> Reply;

    /// A power event from the reader; a real card forgets its selection and any unlock.
    fn power(&mut self, _event: Power) {}

    /// The ATR this card presents.
    fn atr(&self) -> Vec<u8> {
        ATR_YUBIKEY_5_NFC.to_vec()
    }

    /// After a removal: how long until the card is back, or `None` if it stays out.
    fn reinsert_after(&self) -> Option<Duration> {
        None
    }

    /// Puts a removed card back (fresh power-on state).
    fn reinsert(&mut self) {}

    /// Takes the card out of its reader: it loses power and answers nothing until
    /// [`Self::reinsert`].
    fn remove(&mut self) {}

    /// Whether the card is in its reader.
    fn is_present(&self) -> bool {
        true
    }

    /// How many times the card has been put back since it was made: a connection opened before
    /// the last insertion is stale, as a PC/SC handle is after the card was swapped.
    fn insertion(&self) -> u64 {
        0
    }
}

impl<F: FnMut(&[u8]) -> Reply + Send> Responder for F {
    fn respond(&mut self, apdu: &[u8]) -> Reply {
        self(apdu)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selected {
    Nothing,
    Oath,
    Management,
    Otp,
}

/// A partially received chained command.
#[derive(Debug)]
struct Chain {
    header: [u8; 3],
    data: Vec<u8>,
}

/// Longest chained command accepted; YubiKeys stop well below this.
const MAX_CHAINED: usize = 16 * 1024;

/// How long a stalled card holds an answer back: longer than any host waits.
const STALL: Duration = Duration::from_secs(3600);

/// A virtual YubiKey 5 NFC: YKOATH, management (discovery) and the OTP application (status,
/// serial, HMAC-SHA1 challenge-response).
#[derive(Debug)]
pub struct VirtualCard {
    base: CardConfig,
    oath: OathApplet,
    management: ManagementApplet,
    otp: Option<OtpApplet>,
    selected: Selected,
    chain: Option<Chain>,
    pending: Vec<u8>,
    apdus: u64,
    remove_after: Option<u64>,
    removed: bool,
    insertion: u64,
}

impl VirtualCard {
    /// A card described by `config`; fails on an invalid description.
    pub fn new(config: CardConfig) -> Result<Self, Error> {
        let oath = OathApplet::from_config(&config)?;
        let mut capabilities = CAPABILITY_OATH;
        if config.otp_application {
            capabilities |= CAPABILITY_OTP;
        }
        let identity = Identity {
            serial: config.serial,
            version: config.version_bytes()?,
            capabilities,
        };
        Ok(Self {
            oath,
            management: ManagementApplet::new(identity),
            // Slots are checked even when the application is off, so a bad description fails.
            otp: {
                let app = OtpApp::from_config(&config, identity)?;
                config.otp_application.then(|| OtpApplet::new(app))
            },
            selected: Selected::Nothing,
            chain: None,
            pending: Vec::new(),
            apdus: 0,
            remove_after: config.remove_after_apdus,
            removed: false,
            insertion: 0,
            base: config,
        })
    }

    /// The card's current description, including what hosts changed (credentials put or
    /// deleted, HOTP counters, the access key) — what `--state` files are rewritten with.
    pub fn config(&self) -> CardConfig {
        let mut config = self.base.clone();
        self.oath.write_config(&mut config);
        config
    }

    /// Whether a host changed anything worth saving since the last call.
    pub fn take_dirty(&mut self) -> bool {
        self.oath.take_dirty()
    }

    /// The YKOATH applet, for inspection.
    pub fn oath(&self) -> &OathApplet {
        &self.oath
    }

    /// Command APDUs received so far (chained parts and paging requests count).
    pub fn apdu_count(&self) -> u64 {
        self.apdus
    }

    /// Whether the card has been removed.
    pub fn is_removed(&self) -> bool {
        self.removed
    }

    /// The OTP application, when the card has it, for inspection.
    pub fn otp(&self) -> Option<&OtpApp> {
        self.otp.as_ref().map(OtpApplet::app)
    }

    /// The OTP application, to reprogram a slot or change its finger (a test's shortcut; hosts
    /// cannot program slots here). Not saved by [`Self::config`].
    pub fn otp_mut(&mut self) -> Option<&mut OtpApp> {
        self.otp.as_mut().map(OtpApplet::app_mut)
    }

    /// Changes the touch policy (OATH credentials, and OTP slots without a policy of their own).
    pub fn set_touch_policy(&mut self, policy: TouchPolicy) {
        self.oath.set_touch_policy(policy);
        if let Some(otp) = &mut self.otp {
            otp.app_mut().set_touch_policy(policy);
        }
    }

    /// Removes the card after `n` more APDUs (`Some(0)`: at the next one), or never. The APDU
    /// that finds the card gone gets no answer, so `n` = 1 after a PUT means "answered the PUT,
    /// then was pulled before the next command".
    pub fn remove_after(&mut self, n: Option<u64>) {
        self.remove_after = n.map(|n| self.apdus.saturating_add(n));
    }

    /// Takes the card out now, as a person pulling it does: the selection, any unlock and a
    /// half-sent chain are lost with the power; stored credentials stay.
    pub fn remove(&mut self) {
        self.removed = true;
        self.reset_session();
    }

    /// Puts the card back (after [`Self::remove`] or a `remove_after` removal), freshly powered.
    pub fn insert(&mut self) {
        if self.removed {
            self.insertion += 1;
        }
        self.removed = false;
        self.remove_after = None;
        self.reset_session();
    }

    /// How many times the card has been put back since it was made.
    pub fn insertion(&self) -> u64 {
        self.insertion
    }

    fn reset_session(&mut self) {
        self.selected = Selected::Nothing;
        self.chain = None;
        self.pending.clear();
        self.oath.deselect();
    }

    fn process(&mut self, raw: &[u8]) -> Answer {
        let cmd = match apdu::parse(raw) {
            Ok(cmd) => cmd,
            Err(sw) => {
                self.chain = None;
                self.pending.clear();
                return Answer::sw(sw);
            }
        };
        if cmd.cla == 0xFF {
            return Answer::sw(SW_CLA_NOT_SUPPORTED);
        }

        // Command chaining (ISO 7816-4 §5.1.1): collect, answer 9000, process on the last part.
        let header = [cmd.ins, cmd.p1, cmd.p2];
        let chained_data;
        let data: &[u8] = match self.chain.take() {
            Some(mut chain) if chain.header == header => {
                if chain.data.len() + cmd.data.len() > MAX_CHAINED {
                    return Answer::sw(SW_WRONG_LENGTH);
                }
                chain.data.extend_from_slice(cmd.data);
                if cmd.is_chained() {
                    self.chain = Some(chain);
                    return Answer::sw(SW_OK);
                }
                chained_data = chain.data;
                &chained_data
            }
            Some(_) => return Answer::sw(SW_LAST_COMMAND_EXPECTED),
            None if cmd.is_chained() => {
                self.chain = Some(Chain {
                    header,
                    data: cmd.data.to_vec(),
                });
                return Answer::sw(SW_OK);
            }
            None => cmd.data,
        };
        let cla = cmd.cla & !CLA_CHAINING;

        // Response paging: SEND REMAINING (YKOATH) or GET RESPONSE (ISO) drains what is left.
        let is_send_remaining =
            cmd.ins == 0xC0 || (cmd.ins == ins::SEND_REMAINING && self.selected == Selected::Oath);
        if is_send_remaining {
            if self.pending.is_empty() {
                return Answer::sw(SW_CONDITIONS_NOT_SATISFIED);
            }
            return Answer::ok(std::mem::take(&mut self.pending));
        }
        self.pending.clear();

        // SELECT is INS A4 with P1 04; YKOATH's CALCULATE ALL shares the INS with P1 00.
        if cmd.ins == 0xA4 && cmd.p1 == 0x04 && cla == 0 {
            return self.select(data);
        }
        match self.selected {
            Selected::Oath => self.oath.process(&cmd, data),
            Selected::Management => self.management.process(&cmd),
            Selected::Otp => match &self.otp {
                Some(otp) => otp.process(&cmd, data),
                None => Answer::sw(SW_INS_NOT_SUPPORTED),
            },
            Selected::Nothing if cmd.ins == 0xA4 => Answer::sw(SW_WRONG_P1P2),
            Selected::Nothing => Answer::sw(SW_INS_NOT_SUPPORTED),
        }
    }

    /// SELECT by DF name. A host may append bytes to an AID (ykman's own examples select OATH
    /// as `…2101 01`), so an AID matches when it starts with the application's.
    fn select(&mut self, aid: &[u8]) -> Answer {
        let matches = |app: &[u8]| aid.starts_with(app) && aid.len() <= 16;
        let (target, answer) = if matches(AID_OATH) {
            (Selected::Oath, self.oath.select())
        } else if matches(AID_MANAGEMENT) {
            (Selected::Management, self.management.select())
        } else if let (true, Some(otp)) = (matches(AID_OTP), &self.otp) {
            (Selected::Otp, otp.select())
        } else {
            // A failed SELECT leaves the current application selected (ISO 7816-4 §11.2.2).
            return Answer::sw(SW_FILE_NOT_FOUND);
        };
        if target != Selected::Oath {
            self.oath.deselect();
        }
        self.selected = target;
        answer
    }

    /// Splits an answer longer than the host accepts (`Ne`) into a first part with `61xx`,
    /// keeping the rest for SEND REMAINING (ISO 7816-4 §5.1.3; YKOATH "SEND REMAINING").
    fn page(&mut self, mut answer: Answer, ne: usize) -> Vec<u8> {
        if answer.sw == SW_OK && answer.data.len() > ne {
            self.pending = answer.data.split_off(ne);
            let left = u8::try_from(self.pending.len()).unwrap_or(0); // 00 means 256 or more
            return apdu::with_sw(answer.data, u16::from_be_bytes([SW1_MORE_DATA, left]));
        }
        apdu::with_sw(answer.data, answer.sw)
    }
}

impl Responder for VirtualCard {
    fn respond(&mut self, raw: &[u8]) -> Reply {
        if self.removed || self.remove_after.is_some_and(|n| self.apdus >= n) {
            if !self.removed {
                self.remove();
            }
            return Reply::Removed;
        }
        self.apdus += 1;
        // Short APDUs page at 256 bytes, extended ones at what the host allows.
        let ne = apdu::parse(raw).map(|c| c.ne).unwrap_or(256);
        let answer = self.process(raw);
        let delay = if self.base.stall_after_apdus.is_some_and(|n| self.apdus > n) {
            STALL
        } else {
            answer.delay
        };
        // SEND REMAINING hands the whole rest to `page`, which splits it again by its own Ne.
        let bytes = self.page(answer, ne);
        Reply::Bytes { bytes, delay }
    }

    fn power(&mut self, _event: Power) {
        self.reset_session();
    }

    fn reinsert_after(&self) -> Option<Duration> {
        self.base.reinsert_after_ms.map(Duration::from_millis)
    }

    fn reinsert(&mut self) {
        self.insert();
    }

    fn remove(&mut self) {
        VirtualCard::remove(self);
    }

    fn is_present(&self) -> bool {
        !self.removed
    }

    fn insertion(&self) -> u64 {
        self.insertion
    }
}
