//! Whether a served card is in its reader: what the person at the desk wants (a test calls
//! [`Presence::remove`] and [`Presence::insert`], the binary maps signals and its control socket
//! onto them) and what pcscd has seen of it (the vpcd server reports that back). Owns no socket
//! and no card; [`super::vpcd::serve`] acts on it.
//!
//! Every change of mind bumps a generation, so "out and straight back in" is still a removal and
//! an insertion for pcscd, as a key pulled and pushed back in at once is for a real reader.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A shared hand on one served card's presence. Clones share the state.
#[derive(Clone, Default)]
pub struct Presence {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    /// In the reader (true) or out of it, as last asked for.
    wanted_in: bool,
    /// Bumped on every change of `wanted_in`.
    generation: u64,
    /// What pcscd last saw, and at which generation.
    seen: Option<(u64, bool)>,
    /// Insertions and removals pcscd has seen.
    insertions: u64,
    removals: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            wanted_in: true,
            generation: 0,
            seen: None,
            insertions: 0,
            removals: 0,
        }
    }
}

impl std::fmt::Debug for Presence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Presence").field(&*self.lock()).finish()
    }
}

impl Presence {
    /// A card that goes into its reader as soon as it is served.
    pub fn new() -> Self {
        Self::default()
    }

    /// A card that is served but waits out of the reader for [`Self::insert`] (a station test
    /// starts its cards first and plugs them in later).
    pub fn out() -> Self {
        let presence = Self::default();
        let mut state = presence.lock();
        state.wanted_in = false;
        state.seen = Some((0, false));
        drop(state);
        presence
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn set_wanted(&self, wanted_in: bool) {
        let mut state = self.lock();
        if state.wanted_in != wanted_in {
            state.wanted_in = wanted_in;
            state.generation += 1;
            self.shared.changed.notify_all();
        }
    }

    /// Takes the card out: the vpcd link closes at once (a command under way gets no answer),
    /// and the card counts as removed once pcscd has had time to see it go.
    pub fn remove(&self) {
        self.set_wanted(false);
    }

    /// Puts the card back. It reconnects once it has been out long enough for pcscd to notice.
    pub fn insert(&self) {
        self.set_wanted(true);
    }

    /// Whether the card is meant to be in its reader now.
    pub fn wants_in(&self) -> bool {
        self.lock().wanted_in
    }

    /// Whether pcscd has seen the card in its reader since the last [`Self::insert`], and it is
    /// still meant to be there.
    pub fn is_inserted(&self) -> bool {
        let state = self.lock();
        state.wanted_in && state.seen == Some((state.generation, true))
    }

    /// Whether pcscd has seen the card out of its reader since the last [`Self::remove`] (or it
    /// could not be asked: no pcscd), and it is still meant to be out.
    pub fn is_removed(&self) -> bool {
        let state = self.lock();
        !state.wanted_in && state.seen == Some((state.generation, false))
    }

    /// Insertions and removals pcscd has seen so far.
    pub fn counts(&self) -> (u64, u64) {
        let state = self.lock();
        (state.insertions, state.removals)
    }

    /// Waits until [`Self::is_inserted`]; false on timeout.
    pub fn wait_inserted(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| {
            s.wanted_in && s.seen == Some((s.generation, true))
        })
    }

    /// Waits until [`Self::is_removed`]; false on timeout.
    pub fn wait_removed(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| {
            !s.wanted_in && s.seen == Some((s.generation, false))
        })
    }

    fn wait_until(&self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if done(&state) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// The serving side: the current generation, taken when the card goes in.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// The serving side: waits up to `timeout` for the card to be wanted in; returns whether it is.
    pub(crate) fn wait_wanted_in(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| s.wanted_in)
    }

    /// The serving side: pcscd has the card (the link of `generation` is up and powered).
    pub(crate) fn seen_in(&self, generation: u64) {
        let mut state = self.lock();
        state.insertions += 1;
        state.seen = Some((generation, true));
        self.shared.changed.notify_all();
    }

    /// The serving side: the card was not in any reader when it was taken out (vpcd was not
    /// there), so it is out without anybody having to see it go.
    pub(crate) fn settle_out(&self) {
        let mut state = self.lock();
        if !state.wanted_in && state.seen != Some((state.generation, false)) {
            state.seen = Some((state.generation, false));
            self.shared.changed.notify_all();
        }
    }

    /// The serving side: pcscd has seen the card leave (or there was no pcscd to see it).
    pub(crate) fn seen_out(&self) {
        let mut state = self.lock();
        state.removals += 1;
        state.seen = Some((state.generation, false));
        self.shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_follow_what_pcscd_saw_at_the_latest_change() {
        let p = Presence::new();
        assert!(p.wants_in() && !p.is_inserted());
        let g = p.generation();
        p.seen_in(g);
        assert!(p.is_inserted() && p.wait_inserted(Duration::ZERO));

        p.remove();
        assert!(!p.is_inserted() && !p.is_removed());
        assert!(
            !p.wait_removed(Duration::from_millis(20)),
            "pcscd saw nothing yet"
        );
        let q = p.clone();
        let seer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            q.seen_out();
        });
        assert!(p.wait_removed(Duration::from_secs(5)));
        seer.join().unwrap();
        assert_eq!(p.counts(), (1, 1));

        // Out and straight back in: two changes, and the old sighting settles neither.
        p.insert();
        p.remove();
        p.insert();
        assert_eq!(p.generation(), g + 4);
        assert!(!p.is_inserted() && !p.is_removed());
        // A card that starts out is not wanted in until inserted.
        let out = Presence::out();
        assert!(!out.wants_in() && out.is_removed());
        assert!(!out.wait_wanted_in(Duration::from_millis(10)));
        out.insert();
        assert!(out.wait_wanted_in(Duration::ZERO));
    }
}
