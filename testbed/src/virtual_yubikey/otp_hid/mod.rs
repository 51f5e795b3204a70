//! The OTP application over USB HID, in process: [`OtpHidDevice`] speaks the YubiKey's
//! feature-report frame protocol, and [`OtpHidConnection`] is a yubikit
//! [`OtpConnection`](yubikit::otp::OtpConnection) to it, so `YubiOtpSession::new_otp`, `OtpProtocol` and
//! `device::read_info_otp` run their real code against it — the stand-in for a hidraw node.
//!
//! The protocol, as ykpers `ykcore` defines it and yubikit's `OtpProtocol` drives it: reports are
//! 8 bytes, the last one a flag byte. A read while idle gives the status: a reserved byte,
//! version (3), programming sequence, touch level (2, little-endian), flags `00`. A command is a
//! 70-byte frame — payload (64), slot command, CRC-16 of the payload (little-endian), 3 filler
//! bytes — written as ten 7-byte parts, flag byte `0x80 | seq` (`SLOT_WRITE_FLAG`); the host
//! skips all-zero parts other than the first and last, so the device fills a zeroed frame by
//! sequence number and acts on part 9. A frame whose CRC does not match is ignored. Then reads
//! give, while the device works, flag `0x80` (still processing); while it waits for touch,
//! `RESP_TIMEOUT_WAIT_FLAG` (`0x20`) plus the seconds left in the low five bits; then the
//! response as 7-byte parts flagged `RESP_PENDING_FLAG | seq` (`0x40 | n`) — the data followed by
//! the complement of its CRC, so a host checks the residual `0xF0B8` — cycling back to sequence 0,
//! which tells the host it has everything. A refused command (an empty or keyboard slot, a
//! write, a denied touch) leaves a plain status report whose programming sequence did not move,
//! which yubikit reads as "no data" — or, after a touch wait, as a touch timeout. A write whose
//! sequence field is 10 or more (yubikit sends `0xFF`, ykpers `0x8F`) resets the device to idle,
//! cancelling a touch wait.
//!
//! [`HidFault`] makes the device misbehave for robustness tests. Nothing here touches a real
//! hidraw node.

use std::fmt;
use std::time::{Duration, Instant};

use yubikit::yubiotp::Slot;

use super::config::{CardConfig, TouchPolicy};
use super::error::Error;
use super::management::{CAPABILITY_OATH, CAPABILITY_OTP, Identity};
use super::otp::{self, OtpApp, OtpSlot, Outcome};

mod connection;

pub use connection::OtpHidConnection;

/// Bytes in a feature report (after the report id, which hidapi strips).
pub const REPORT_SIZE: usize = 8;
/// Data bytes in a report; the last byte is the flag byte.
const REPORT_DATA_SIZE: usize = REPORT_SIZE - 1;
/// Bytes in a command frame.
pub const FRAME_SIZE: usize = 70;
/// Payload bytes in a frame.
const PAYLOAD_SIZE: usize = 64;
/// Parts a frame is written in (sequence numbers 0–9).
const FRAME_PARTS: u8 = 10;

/// The flag byte's bits (ykpers `ykdef.h`).
pub mod flag {
    /// Set by the host on a frame part; set by the device while it cannot take one.
    pub const SLOT_WRITE: u8 = 0x80;
    /// A response part follows; the low five bits are its sequence number.
    pub const RESP_PENDING: u8 = 0x40;
    /// Waiting for touch; the low five bits are the seconds left.
    pub const RESP_TIMEOUT_WAIT: u8 = 0x20;
    /// The sequence (or seconds) bits.
    pub const SEQUENCE_MASK: u8 = 0x1F;
}

/// How long a real key waits for a challenge-response touch (DeviceInfo's challenge-response
/// timeout, 15 s): where the touch-wait countdown starts for a touch that comes.
pub const CHALRESP_TIMEOUT: Duration = Duration::from_secs(15);

/// A way for the device to misbehave, for robustness tests. Armed at construction or at any
/// time with [`OtpHidDevice::set_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HidFault {
    /// Responses carry a wrong CRC (yubikit: `BadResponse("Invalid CRC")`).
    BadCrc,
    /// Every report read is 7 bytes instead of 8 (yubikit: `BadResponse("Incorrect feature
    /// report size …")`; armed before the session opens, opening fails).
    ShortReport,
    /// The device falls back to idle status after the first response part (yubikit:
    /// `BadResponse("Incomplete transfer")`).
    IncompleteTransfer,
    /// The device never clears its write flag (yubikit, after about 1 s of polling:
    /// `Timeout("Timeout waiting for YubiKey to become ready to receive")`).
    Busy,
    /// The device is gone: every read and write fails (yubikit: `OtpError::Transport`).
    Unplugged,
}

/// What an [`OtpHidDevice`] is.
#[derive(Debug, Clone)]
pub struct OtpHidConfig {
    /// Serial number (DEVICE SERIAL, DeviceInfo).
    pub serial: u32,
    /// Firmware version (status bytes, DeviceInfo).
    pub version: [u8; 3],
    /// Slot 1 and slot 2.
    pub slots: [Option<OtpSlot>; 2],
    /// What the finger does for slots that require touch and have no policy of their own.
    pub touch: TouchPolicy,
    /// Status reads that show "still processing" (flag `0x80`) before each answer.
    pub processing_polls: u32,
    /// Misbehaviour, if any.
    pub fault: Option<HidFault>,
}

impl OtpHidConfig {
    /// A YubiKey 5 (firmware 5.7.2) with this serial, both slots empty, touch accepted at once.
    pub fn new(serial: u32) -> Self {
        Self {
            serial,
            version: [5, 7, 2],
            slots: [None, None],
            touch: TouchPolicy::Accept,
            processing_polls: 0,
            fault: None,
        }
    }

    /// The OTP side of a card description: serial, version, `otp_slots`, and `touch` as the
    /// default finger — the same key as the CCID [`super::VirtualCard`] built from it.
    pub fn from_card(config: &CardConfig) -> Result<Self, Error> {
        let app = OtpApp::from_config(config, identity(config.serial, config.version_bytes()?))?;
        Ok(Self {
            serial: config.serial,
            version: config.version_bytes()?,
            slots: [app.slot(0).cloned(), app.slot(1).cloned()],
            touch: config.touch,
            processing_polls: 0,
            fault: None,
        })
    }

    /// Sets the firmware version.
    pub fn with_version(mut self, version: [u8; 3]) -> Self {
        self.version = version;
        self
    }

    /// Programs a slot.
    pub fn with_slot(mut self, slot: Slot, config: OtpSlot) -> Self {
        self.slots[slot.map(0, 1)] = Some(config);
        self
    }

    /// Sets the default finger.
    pub fn with_touch(mut self, policy: TouchPolicy) -> Self {
        self.touch = policy;
        self
    }

    /// Sets how many status reads show "still processing" before each answer.
    pub fn with_processing_polls(mut self, polls: u32) -> Self {
        self.processing_polls = polls;
        self
    }

    /// Arms a fault.
    pub fn with_fault(mut self, fault: HidFault) -> Self {
        self.fault = Some(fault);
        self
    }
}

fn identity(serial: u32, version: [u8; 3]) -> Identity {
    Identity {
        serial,
        version,
        capabilities: CAPABILITY_OTP | CAPABILITY_OATH,
    }
}

/// Where the device is in a command.
enum Phase {
    /// Reads give the status.
    Idle,
    /// Frame parts are arriving.
    Receiving { frame: [u8; FRAME_SIZE] },
    /// Working; reads show the write flag this many more times.
    Busy { polls_left: u32, next: Outcome },
    /// Blinking for a touch that `policy` (a delay or a denial) decides.
    Touch {
        since: Instant,
        policy: TouchPolicy,
        data: Vec<u8>,
    },
    /// Handing out response parts.
    Responding {
        parts: Vec<[u8; REPORT_DATA_SIZE]>,
        next: usize,
    },
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Receiving { .. } => "receiving",
            Self::Busy { .. } => "busy",
            Self::Touch { .. } => "waiting for touch",
            Self::Responding { .. } => "responding",
        }
    }
}

/// A YubiKey's OTP HID interface.
pub struct OtpHidDevice {
    app: OtpApp,
    phase: Phase,
    processing_polls: u32,
    fault: Option<HidFault>,
    commands: Vec<u8>,
    rejected_frames: u64,
    resets: u64,
}

impl fmt::Debug for OtpHidDevice {
    /// The phase by name only: frames and responses carry challenges and MACs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpHidDevice")
            .field("app", &self.app)
            .field("phase", &self.phase.name())
            .field("fault", &self.fault)
            .field("commands", &self.commands.len())
            .finish_non_exhaustive()
    }
}

impl OtpHidDevice {
    /// A device as `config` describes it.
    pub fn new(config: OtpHidConfig) -> Self {
        Self {
            app: OtpApp::new(
                identity(config.serial, config.version),
                config.slots,
                config.touch,
            ),
            phase: Phase::Idle,
            processing_polls: config.processing_polls,
            fault: config.fault,
            commands: Vec::new(),
            rejected_frames: 0,
            resets: 0,
        }
    }

    /// The OTP HID side of a card description (see [`OtpHidConfig::from_card`]).
    pub fn from_card(config: &CardConfig) -> Result<Self, Error> {
        OtpHidConfig::from_card(config).map(Self::new)
    }

    /// The OTP application behind the interface.
    pub fn app(&self) -> &OtpApp {
        &self.app
    }

    /// Reprograms or empties a slot (a test's shortcut; hosts cannot program slots here).
    pub fn set_slot(&mut self, slot: Slot, config: Option<OtpSlot>) {
        self.app.set_slot(slot.map(0, 1), config);
    }

    /// Changes the default finger.
    pub fn set_touch_policy(&mut self, policy: TouchPolicy) {
        self.app.set_touch_policy(policy);
    }

    /// Arms (or clears) a fault.
    pub fn set_fault(&mut self, fault: Option<HidFault>) {
        self.fault = fault;
    }

    /// The slot command of every complete frame received, in order (CRC failures included).
    pub fn commands(&self) -> &[u8] {
        &self.commands
    }

    /// Frames ignored for a bad CRC.
    pub fn rejected_frames(&self) -> u64 {
        self.rejected_frames
    }

    /// Reset writes received (yubikit sends one after each response and on cancel).
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Whether the device is blinking for a touch right now.
    pub fn is_waiting_for_touch(&mut self) -> bool {
        self.settle(Instant::now());
        matches!(self.phase, Phase::Touch { .. })
    }

    /// The host reads a feature report (hidapi `get_feature_report`, report id stripped).
    /// `None` when the device is unplugged.
    pub fn get_feature_report(&mut self) -> Option<Vec<u8>> {
        if self.fault == Some(HidFault::Unplugged) {
            return None;
        }
        let now = Instant::now();
        self.settle(now);
        let status = self.app.status();
        let status_report = |flags: u8| {
            let mut r = vec![0u8; REPORT_SIZE];
            r[1..REPORT_DATA_SIZE].copy_from_slice(&status);
            r[REPORT_DATA_SIZE] = flags;
            r
        };
        let busy_flag = if self.fault == Some(HidFault::Busy) {
            flag::SLOT_WRITE
        } else {
            0
        };
        let mut fall_back_to_idle = false;
        let mut report = match &mut self.phase {
            Phase::Idle | Phase::Receiving { .. } => status_report(busy_flag),
            Phase::Busy { polls_left, .. } => {
                *polls_left = polls_left.saturating_sub(1);
                status_report(flag::SLOT_WRITE)
            }
            Phase::Touch { since, policy, .. } => {
                let budget = match policy {
                    TouchPolicy::Deny { after } => *after,
                    _ => CHALRESP_TIMEOUT,
                };
                let left = budget.saturating_sub(now.duration_since(*since));
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                let secs = u8::try_from(secs.clamp(1, 31)).unwrap_or(31);
                status_report(flag::RESP_TIMEOUT_WAIT | secs)
            }
            Phase::Responding { parts, next } => {
                let mut r = vec![0u8; REPORT_SIZE];
                let part = parts.get(*next).copied().unwrap_or_default();
                r[..REPORT_DATA_SIZE].copy_from_slice(&part);
                // At most 10 parts: the sequence fits the five low bits.
                r[REPORT_DATA_SIZE] = flag::RESP_PENDING | (*next as u8 & flag::SEQUENCE_MASK);
                *next = (*next + 1) % parts.len().max(1);
                fall_back_to_idle = self.fault == Some(HidFault::IncompleteTransfer);
                r
            }
        };
        if fall_back_to_idle {
            self.phase = Phase::Idle;
        }
        if self.fault == Some(HidFault::ShortReport) {
            report.truncate(REPORT_DATA_SIZE);
        }
        Some(report)
    }

    /// The host writes a feature report (hidapi `send_feature_report`, report id stripped).
    /// `false` when the device is unplugged.
    pub fn set_feature_report(&mut self, report: &[u8]) -> bool {
        if self.fault == Some(HidFault::Unplugged) {
            return false;
        }
        let Ok(report) = <&[u8; REPORT_SIZE]>::try_from(report) else {
            return true; // not a report this interface defines: dropped
        };
        let flags = report[REPORT_DATA_SIZE];
        if flags & flag::SLOT_WRITE == 0 {
            return true;
        }
        let seq = flags & !flag::SLOT_WRITE;
        if seq >= FRAME_PARTS {
            self.resets += 1;
            self.phase = Phase::Idle;
            return true;
        }
        if seq == 0 {
            self.phase = Phase::Receiving {
                frame: [0; FRAME_SIZE],
            };
        }
        let Phase::Receiving { frame } = &mut self.phase else {
            return true; // a stray part outside a frame
        };
        let at = usize::from(seq) * REPORT_DATA_SIZE;
        frame[at..at + REPORT_DATA_SIZE].copy_from_slice(&report[..REPORT_DATA_SIZE]);
        if seq == FRAME_PARTS - 1 {
            let frame = *frame;
            self.process(&frame);
        }
        true
    }

    fn process(&mut self, frame: &[u8; FRAME_SIZE]) {
        let (payload, rest) = frame.split_at(PAYLOAD_SIZE);
        let cmd = rest[0];
        let crc = u16::from_le_bytes([rest[1], rest[2]]);
        self.commands.push(cmd);
        if otp::crc16(payload) != crc {
            self.rejected_frames += 1;
            self.phase = Phase::Idle;
            return;
        }
        let outcome = self.app.command(cmd, payload);
        if self.processing_polls > 0 {
            self.phase = Phase::Busy {
                polls_left: self.processing_polls,
                next: outcome,
            };
        } else {
            self.enter(outcome, Instant::now());
        }
    }

    fn enter(&mut self, outcome: Outcome, now: Instant) {
        self.phase = match outcome {
            Outcome::Data(data)
            | Outcome::Touch {
                policy: TouchPolicy::Accept,
                data,
            } => self.respond(&data),
            Outcome::Touch { policy, data } => Phase::Touch {
                since: now,
                policy,
                data,
            },
            Outcome::Refused => Phase::Idle,
        };
    }

    /// Time- and poll-driven transitions: processing done, a touch that came or never will.
    fn settle(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Busy { polls_left: 0, .. })
            && let Phase::Busy { next, .. } = std::mem::replace(&mut self.phase, Phase::Idle)
        {
            self.enter(next, now);
        }
        // Some(true): touched; Some(false): gave up waiting.
        let verdict = match &self.phase {
            Phase::Touch { since, policy, .. } => {
                let waited = now.duration_since(*since);
                match policy {
                    TouchPolicy::Delay(d) if waited >= *d => Some(true),
                    TouchPolicy::Deny { after } if waited >= *after => Some(false),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(touched) = verdict
            && let Phase::Touch { data, .. } = std::mem::replace(&mut self.phase, Phase::Idle)
            && touched
        {
            self.phase = self.respond(&data);
        }
    }

    /// The response parts: data, then the complement of its CRC (little-endian), zero-filled
    /// to whole parts.
    fn respond(&self, data: &[u8]) -> Phase {
        let mut bytes = data.to_vec();
        let mut crc = !otp::crc16(data);
        if self.fault == Some(HidFault::BadCrc) {
            crc ^= 0x0100;
        }
        bytes.extend_from_slice(&crc.to_le_bytes());
        let parts = bytes
            .chunks(REPORT_DATA_SIZE)
            .map(|chunk| {
                let mut part = [0u8; REPORT_DATA_SIZE];
                part[..chunk.len()].copy_from_slice(chunk);
                part
            })
            .collect();
        Phase::Responding { parts, next: 0 }
    }
}

#[cfg(test)]
mod tests;
