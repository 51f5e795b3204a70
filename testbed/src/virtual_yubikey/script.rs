//! Misbehaving cards for robustness tests: a [`ScriptedCard`] answers chosen instructions with
//! chosen bytes — malformed TLV, a response without a status word, an unexpected status word, a
//! removal — and passes everything else to a real [`VirtualCard`] (or answers `6D00` when it has
//! none). It records every APDU it saw so a test can assert what the host sent.
//!
//! A plain closure `FnMut(&[u8]) -> Reply` is also a [`Responder`], for one-off fakes.

use std::collections::VecDeque;

use super::apdu::SW_INS_NOT_SUPPORTED;
use super::card::{Power, Reply, Responder, VirtualCard};

#[derive(Debug)]
struct Rule {
    ins: u8,
    /// Remaining uses; `None` = every time.
    uses: Option<usize>,
    reply: Reply,
}

/// A card whose answers to some instructions are scripted.
#[derive(Debug, Default)]
pub struct ScriptedCard {
    inner: Option<VirtualCard>,
    rules: Vec<Rule>,
    queue: VecDeque<Reply>,
    seen: Vec<Vec<u8>>,
}

impl ScriptedCard {
    /// A card with nothing behind the script: unscripted APDUs answer `6D00`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A script in front of a working card.
    pub fn wrapping(card: VirtualCard) -> Self {
        Self {
            inner: Some(card),
            ..Self::default()
        }
    }

    /// Every APDU with this INS gets `reply` (the first matching rule wins).
    pub fn on_ins(mut self, ins: u8, reply: Reply) -> Self {
        self.rules.push(Rule {
            ins,
            uses: None,
            reply,
        });
        self
    }

    /// The next `times` APDUs with this INS get `reply`; later ones fall through.
    pub fn on_ins_times(mut self, ins: u8, times: usize, reply: Reply) -> Self {
        self.rules.push(Rule {
            ins,
            uses: Some(times),
            reply,
        });
        self
    }

    /// The next APDUs, whatever they are, get these replies in order (before any rule).
    pub fn then(mut self, reply: Reply) -> Self {
        self.queue.push_back(reply);
        self
    }

    /// Every APDU received, in order.
    pub fn seen(&self) -> &[Vec<u8>] {
        &self.seen
    }

    /// The wrapped card, if any.
    pub fn inner(&self) -> Option<&VirtualCard> {
        self.inner.as_ref()
    }
}

impl Responder for ScriptedCard {
    fn respond(&mut self, apdu: &[u8]) -> Reply {
        self.seen.push(apdu.to_vec());
        if let Some(reply) = self.queue.pop_front() {
            return reply;
        }
        let ins = apdu.get(1).copied();
        let rule = self
            .rules
            .iter_mut()
            .find(|r| Some(r.ins) == ins && r.uses != Some(0));
        if let Some(rule) = rule {
            if let Some(uses) = rule.uses.as_mut() {
                *uses -= 1;
            }
            return rule.reply.clone();
        }
        match self.inner.as_mut() {
            Some(card) => card.respond(apdu),
            None => Reply::sw(SW_INS_NOT_SUPPORTED),
        }
    }

    fn power(&mut self, event: Power) {
        if let Some(card) = self.inner.as_mut() {
            card.power(event);
        }
    }

    fn reinsert_after(&self) -> Option<std::time::Duration> {
        self.inner.as_ref().and_then(Responder::reinsert_after)
    }

    fn reinsert(&mut self) {
        if let Some(card) = self.inner.as_mut() {
            card.reinsert();
        }
    }

    fn remove(&mut self) {
        if let Some(card) = self.inner.as_mut() {
            card.remove();
        }
    }

    fn is_present(&self) -> bool {
        self.inner.as_ref().is_none_or(Responder::is_present)
    }

    fn insertion(&self) -> u64 {
        self.inner.as_ref().map_or(0, Responder::insertion)
    }
}
