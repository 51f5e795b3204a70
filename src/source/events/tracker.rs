//! Successive looks at each reader turned into insertions and removals: the presence bit first,
//! pcscd's event counter for what the bit cannot show (see [`super`]).

use std::collections::BTreeMap;

use super::ReaderEvent;

/// What one reader looked like at one wake-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// A card is in it.
    pub present: bool,
    /// pcscd's count of insertions and removals in it.
    pub count: u32,
}

/// Turns successive looks at each reader into insertions and removals, so that none is lost
/// between two wake-ups and none is made up: a pure rule, tested without pcscd.
#[derive(Debug, Default)]
pub struct Tracker {
    readers: BTreeMap<String, Seen>,
}

impl Tracker {
    /// The events between the last look at `reader` and `now`: a change of the presence bit is
    /// one insertion or removal; the same presence after two or more steps of the counter is a
    /// key out and back in (or in and out again) between the looks; one step alone is pcscd
    /// catching up with a change already seen.
    pub fn look(&mut self, reader: &str, now: Seen) -> Vec<ReaderEvent> {
        let inserted = || ReaderEvent::Inserted {
            reader: reader.to_string(),
        };
        let removed = || ReaderEvent::Removed {
            reader: reader.to_string(),
        };
        let Some(before) = self.readers.insert(reader.to_string(), now) else {
            return if now.present {
                vec![inserted()]
            } else {
                Vec::new()
            };
        };
        // The counter is 16 bits wide (the upper half of the state word).
        let steps = now.count.wrapping_sub(before.count) & 0xFFFF;
        match (before.present, now.present) {
            (false, true) => vec![inserted()],
            (true, false) => vec![removed()],
            (true, true) if steps >= 2 => vec![removed(), inserted()],
            (false, false) if steps >= 2 => vec![inserted(), removed()],
            _ => Vec::new(),
        }
    }

    /// `reader` went away: its card with it, if it held one.
    pub fn gone(&mut self, reader: &str) -> Vec<ReaderEvent> {
        let mut events = Vec::new();
        if self.readers.remove(reader).is_some_and(|s| s.present) {
            events.push(ReaderEvent::Removed {
                reader: reader.to_string(),
            });
        }
        events.push(ReaderEvent::ReaderGone {
            reader: reader.to_string(),
        });
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(present: bool, count: u32) -> Seen {
        Seen { present, count }
    }

    fn names(events: &[ReaderEvent]) -> Vec<&'static str> {
        events
            .iter()
            .map(|e| match e {
                ReaderEvent::Inserted { .. } => "in",
                ReaderEvent::Removed { .. } => "out",
                ReaderEvent::ReaderAdded { .. } => "added",
                ReaderEvent::ReaderGone { .. } => "gone",
                ReaderEvent::Ready => "ready",
                ReaderEvent::PcscdLost(_) => "lost",
                ReaderEvent::PcscdBack => "back",
            })
            .collect()
    }

    #[test]
    fn each_insertion_and_removal_is_reported_once() {
        let mut t = Tracker::default();
        assert_eq!(names(&t.look("R", seen(false, 0))), Vec::<&str>::new());
        assert_eq!(names(&t.look("R", seen(true, 1))), ["in"]);
        assert_eq!(
            names(&t.look("R", seen(true, 1))),
            Vec::<&str>::new(),
            "a key that stays in is not inserted again"
        );
        assert_eq!(names(&t.look("R", seen(false, 2))), ["out"]);
        assert_eq!(
            names(&t.look("S", seen(true, 7))),
            ["in"],
            "in at the start"
        );
    }

    #[test]
    fn a_removal_counted_late_is_not_a_new_insertion() {
        // As pcscd published a key that left at its first command, then the next key:
        // PRESENT 199, EMPTY 199 (the failed command), EMPTY 200 (the poll), PRESENT 201.
        let mut t = Tracker::default();
        t.look("R", seen(false, 198));
        assert_eq!(names(&t.look("R", seen(true, 199))), ["in"]);
        assert_eq!(names(&t.look("R", seen(false, 199))), ["out"]);
        assert_eq!(names(&t.look("R", seen(false, 200))), Vec::<&str>::new());
        assert_eq!(names(&t.look("R", seen(true, 201))), ["in"]);
        // The counter wraps at 16 bits.
        t.look("W", seen(true, 0xFFFF));
        assert_eq!(names(&t.look("W", seen(true, 1))), ["out", "in"]);
        // Without a counter, the presence bit.
        t.look("Z", seen(false, 0));
        assert_eq!(names(&t.look("Z", seen(true, 0))), ["in"]);
        assert_eq!(names(&t.look("Z", seen(false, 0))), ["out"]);
        // In and out three times, ending in: served once.
        t.look("Y", seen(false, 10));
        assert_eq!(names(&t.look("Y", seen(true, 15))), ["in"]);
    }

    #[test]
    fn a_change_between_two_looks_is_not_lost() {
        let mut t = Tracker::default();
        t.look("R", seen(true, 1));
        assert_eq!(
            names(&t.look("R", seen(true, 3))),
            ["out", "in"],
            "pulled and put back"
        );
        assert_eq!(names(&t.look("R", seen(false, 4))), ["out"]);
        assert_eq!(
            names(&t.look("R", seen(false, 6))),
            ["in", "out"],
            "in and out again"
        );
    }

    #[test]
    fn a_reader_unplugged_takes_its_card_with_it() {
        let mut t = Tracker::default();
        t.look("R", seen(true, 1));
        assert_eq!(names(&t.gone("R")), ["out", "gone"]);
        t.look("S", seen(false, 0));
        assert_eq!(names(&t.gone("S")), ["gone"]);
        assert_eq!(
            names(&t.look("R", seen(true, 1))),
            ["in"],
            "back, with a key"
        );
    }
}
