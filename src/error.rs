//! A command's failure, as data: each layer keeps its own enum ([`InputError`], [`DeviceError`],
//! [`AwsError`]), and [`Error`] carries one of them with what the command knows besides (the pairs
//! sent, a rollback). The words, the hint and the exit code of every error are the catalogue's
//! (`crate::messages`).

use crate::aws::AwsError;
use crate::exit::Exit;
use crate::model::InputError;
use crate::source::DeviceError;

/// A run stopped by a signal or a closed output, and what had been sent by then: an honest report
/// says whether AWS may have seen a pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Interrupted {
    /// Pairs sent before the interrupt.
    pub sent: u32,
    /// Of those, how many AWS accepted.
    pub accepted: u32,
    /// What stopped the run (none: a key's own cancellation, such as its removal at a station).
    pub by: Option<crate::stop::Cause>,
}

impl Interrupted {
    /// The run stopped now, with `sent` pairs sent and `accepted` of them accepted.
    pub fn after(sent: u32, accepted: u32) -> Self {
        Interrupted {
            sent,
            accepted,
            by: crate::stop::cause(),
        }
    }
}

/// What a multi-target command counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// A `--batch`'s rows.
    Rows,
    /// A station's key results.
    Keys,
}

/// Where the pairs sent came from: what a refusal can mean depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairsFrom {
    /// No pair was involved (the failure came before any).
    Nothing,
    /// The user gave both codes: no fresh pair can be read for a retry.
    Given,
    /// Typed from a display token.
    Typed,
    /// Computed for windows the tool chose (YubiKey, OTP slot, seed).
    Chosen {
        /// `--no-wait`: code 1 was the previous window's, which a sign-in may have used.
        no_wait: bool,
    },
    /// Read from keys just written with a seed AWS had just made, and checked against it: no
    /// sign-in can have used them, so a refusal is a clock or an endpoint problem.
    NewSeed,
}

/// What an enrolment's rollback did, in the words a user needs: the pipeline fills it in, the edge
/// prints it. A rollback never stops at the first failure; what it could not undo is `left`, each
/// part with the commands that finish the job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollback {
    /// Each step undone ("deleted the virtual MFA device arn:…").
    pub undone: Vec<String>,
    /// What no rollback can bring back (a credential `--force` had written over).
    pub lost: Vec<String>,
    /// What was kept on purpose: every copy of the seed of a device that stays enabled.
    pub kept: Vec<String>,
    /// What is left.
    pub left: Vec<Leftover>,
}

/// Something a rollback could not remove, and the exact commands that remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// What is left, and why it could not be removed.
    pub what: String,
    /// Shell commands, in order.
    pub commands: Vec<String>,
}

impl Rollback {
    /// Whether everything done was undone.
    pub fn complete(&self) -> bool {
        self.left.is_empty()
    }
}

/// Any failure of a command.
#[derive(Debug)]
pub enum Error {
    /// Bad input.
    Input(InputError),
    /// The device layer.
    Device(DeviceError),
    /// The AWS layer, with how many pairs had been sent.
    Aws {
        /// What AWS or the network said.
        source: AwsError,
        /// Pairs sent so far (0 when the failure came before any code was sent).
        attempts: u32,
        /// Where the pairs came from.
        pairs: PairsFrom,
    },
    /// Ctrl-C.
    Interrupted(Interrupted),
    /// Rows of a `--batch`, or keys served by `station --once`, failed (the table or their
    /// lines already say which and why).
    Failed {
        /// Rows or keys.
        targets: Targets,
        /// Those that failed.
        failed: usize,
        /// All of them.
        total: usize,
        /// The highest exit code among them.
        exit: Exit,
    },
    /// A row of a `--batch` whose source is bad input: the batch stops before AWS is asked.
    BatchRow {
        /// The row's line.
        line: usize,
        /// What is wrong with its source.
        cause: Box<Error>,
    },
    /// The resync went through, but its audit line could not be written.
    AuditLog {
        /// The log.
        path: std::path::PathBuf,
        /// The first write that failed, in the OS's words.
        problem: String,
        /// What did succeed: "the resync itself succeeded", or how many rows did.
        outcome: String,
    },
    /// An enrolment failed after its device was created; everything done was rolled back, or
    /// `rollback` says what is left.
    Enroll {
        /// What made the enrolment fail.
        cause: Box<Error>,
        /// What the rollback did.
        rollback: Rollback,
    },
    /// The new device is enrolled, but the device `--replace` named is still active or still
    /// exists.
    NotReplaced {
        /// The device that was to be replaced (or retired).
        old: String,
        /// What AWS said.
        source: Box<AwsError>,
        /// The commands that finish the replacement.
        commands: Vec<String>,
        /// Whether new devices were enrolled first (`--replace`), else `retire`.
        enrolled: bool,
    },
    /// The async runtime could not start (the system refused a thread or a timer).
    Runtime(std::io::Error),
    /// `doctor` found a failing check (its report is already printed).
    Doctor {
        /// The first failing check.
        failed: &'static str,
        /// The exit code it means.
        exit: Exit,
    },
}

impl From<InputError> for Error {
    fn from(e: InputError) -> Self {
        Error::Input(e)
    }
}

impl From<DeviceError> for Error {
    fn from(e: DeviceError) -> Self {
        Error::Device(e)
    }
}

impl From<AwsError> for Error {
    fn from(source: AwsError) -> Self {
        Error::Aws {
            source,
            attempts: 0,
            pairs: PairsFrom::Nothing,
        }
    }
}

impl Error {
    /// Ctrl-C, before any pair was sent (the send loop adds what it sent).
    pub fn interrupted() -> Self {
        Error::Interrupted(Interrupted::after(0, 0))
    }

    /// This error, as it ends a send loop that had sent `pairs` (none of them accepted).
    pub fn after_pairs_sent(self, pairs: u32) -> Self {
        match self {
            Error::Interrupted(i) => Error::Interrupted(Interrupted {
                sent: i.sent + pairs,
                ..i
            }),
            other => other,
        }
    }

    /// How many pairs had been sent when this error ended a job.
    pub fn pairs_sent(&self) -> u32 {
        match self {
            Error::Aws { attempts, .. } => *attempts,
            Error::Interrupted(i) => i.sent,
            Error::Enroll { cause, .. } => cause.pairs_sent(),
            _ => 0,
        }
    }
}
