//! The count a multi-target command keeps (a `--batch`'s rows, a station's keys): how many ended,
//! how many failed and the highest exit code among them, which is the command's own.

use crate::error::{Error, Targets};
use crate::exit::Exit;
use crate::report::RowResult;

/// Results so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Results counted.
    pub total: usize,
    /// Those that failed.
    pub failed: usize,
    /// The highest exit code among them.
    worst: Option<Exit>,
}

impl Tally {
    /// Counts one result.
    pub fn add(&mut self, result: &RowResult) {
        self.total += 1;
        if let RowResult::Failed { exit, .. } = result {
            self.failed += 1;
            self.worst = Some(self.worst.map_or(*exit, |w| w.max(*exit)));
        }
    }

    /// The command's end: `Ok` when nothing failed, else the error that names how many of the
    /// `targets` failed and exits with the highest code among them.
    pub fn outcome(&self, targets: Targets) -> Result<(), Error> {
        match self.worst {
            None => Ok(()),
            Some(exit) => Err(Error::Failed {
                targets,
                failed: self.failed,
                total: self.total,
                exit,
            }),
        }
    }
}
