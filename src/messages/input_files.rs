//! A file given as input that cannot be used, in words: the audit log, the seed's backup file, the
//! `--batch` file and its rows, `--cli-input-json`. A name from a file is shown quoted and cut
//! short, and not at all when it looks like a seed.

use std::fmt;

use crate::model::{BatchProblem, DirProblem, FileInput, JsonFix, JsonProblem};
use crate::request::batch::{COLUMNS, MAX_ROWS};
use crate::request::{IGNORED_JSON_KEYS, JSON_KEYS};

const BACKUP_DIR_HINT: &str = "give a path in an existing directory of yours";
const JSON_FILE_HINT: &str =
    "give file:// followed by the path of a JSON file, e.g. file://request.json";
pub(super) const SKELETON_HINT: &str = "start from `mfa-resync resync --generate-cli-skeleton`";

impl fmt::Display for FileInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileInput::NotRegular { path, what, .. } => {
                write!(f, "{path} is {what}, not a regular file")
            }
            FileInput::NotYours { path, owner, me } => write!(
                f,
                "{path} is owned by uid {owner} and you are uid {me}; its owner could rewrite the trail"
            ),
            FileInput::WritableByOthers { path, mode } => write!(
                f,
                "{path} is writable by group or others (mode {mode:03o}); they could truncate it"
            ),
            FileInput::CannotOpen { path, reason } => {
                write!(f, "cannot open {path} for appending ({reason})")
            }
            FileInput::NamesNoFile => f.write_str("names no file"),
            FileInput::Exists { path, what } => write!(
                f,
                "{path} exists ({what}); the backup is never written over anything"
            ),
            FileInput::DirUnusable { dir, reason } => {
                write!(f, "its directory {dir} cannot be used ({reason})")
            }
            FileInput::NotADirectory { dir } => write!(f, "{dir} is not a directory"),
            FileInput::DirWritableByOthers { dir, mode } => write!(
                f,
                "its directory {dir} is writable by others (mode {mode:04o}); anyone could replace the backup after it is written"
            ),
            FileInput::Dir { path, problem } => {
                write!(f, "the directory of {path} ")?;
                match problem {
                    DirProblem::Unusable(reason) => write!(f, "cannot be used ({reason})"),
                    DirProblem::NotADirectory => f.write_str("is not a directory"),
                    DirProblem::Link => f.write_str(
                        "is a symbolic link; whoever can change the link can move the file",
                    ),
                    DirProblem::NotYours { owner } => {
                        write!(f, "belongs to uid {owner}, who could replace the file")
                    }
                    DirProblem::Shared { mode } => write!(
                        f,
                        "may be written by other users (mode {mode:04o}) and has no sticky bit; they could replace the file"
                    ),
                }
            }
            FileInput::SameAs { other } => write!(f, "is the same file as {other}"),
        }
    }
}

impl FileInput {
    pub(super) fn hint(&self) -> String {
        match self {
            FileInput::NotRegular { at_open: true, .. } => {
                "give the path of the log file itself; a link is not followed, since one planted in a shared directory would redirect the lines".into()
            }
            FileInput::NotRegular { .. } => {
                "give the path of a regular file (it is created with mode 600 if missing)".into()
            }
            FileInput::NotYours { .. } => {
                "use a log file of your own (mfa-resync creates a missing one with mode 600)".into()
            }
            FileInput::WritableByOthers { path, .. } => format!("chmod go-w {path}"),
            FileInput::CannotOpen { .. } => {
                "give a writable file path; it is created with mode 600 if missing".into()
            }
            FileInput::NamesNoFile => {
                "give the path of a new file, e.g. --backup-seed-file ~/alice-mfa-seed.txt".into()
            }
            FileInput::Exists { .. } => "give the path of a new file".into(),
            FileInput::DirUnusable { .. } | FileInput::NotADirectory { .. } => {
                BACKUP_DIR_HINT.into()
            }
            FileInput::DirWritableByOthers { .. } | FileInput::Dir { .. } => {
                "give a path in a directory of your own (e.g. your home directory)".into()
            }
            FileInput::SameAs { .. } => "give each output a file of its own".into(),
        }
    }
}

impl fmt::Display for BatchProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchProblem::Unreadable { path, reason } => {
                write!(f, "cannot read {path} ({reason})")
            }
            BatchProblem::NotRegular { path, what } => {
                write!(f, "cannot read {path}: it is {what}, not a regular file")
            }
            BatchProblem::TooBig { path, limit } => write!(
                f,
                "{path} is over {limit} bytes; a batch has at most {MAX_ROWS} rows"
            ),
            BatchProblem::NotUtf8 => f.write_str("is not UTF-8 text"),
            BatchProblem::NoRows => f.write_str("has no rows"),
            BatchProblem::TooManyRows { rows } => write!(f, "has {rows} rows; at most {MAX_ROWS}"),
            BatchProblem::NotJson { column } => {
                write!(f, "is not valid JSON (column {column})")
            }
            BatchProblem::NotAnObject => f.write_str("is not a JSON object"),
            BatchProblem::KeyTwice { key } => write!(f, "has the key {key} twice"),
            BatchProblem::UnknownKey { key } => {
                let keys: Vec<&str> = COLUMNS.iter().map(|(_, k)| *k).collect();
                write!(f, "unknown key {key}; the keys are {}", keys.join(", "))
            }
            BatchProblem::NotAString { key } => write!(f, "{key} must be a string or a number"),
            BatchProblem::UnknownColumn { column } => write!(f, "unknown column {column}"),
            BatchProblem::ColumnTwice { position, name } => {
                write!(f, "column {position} names {name:?} again")
            }
            BatchProblem::Cells { cells, columns } => {
                write!(f, "has {cells} cells; the header has {columns}")
            }
            BatchProblem::NoUser => f.write_str("the user is missing"),
            BatchProblem::Source { source } => write!(f, "source {source} cannot be batched"),
            BatchProblem::SameKey { other } => {
                write!(f, "reads the same YubiKey as line {other}")
            }
            BatchProblem::SameTarget { other, user } => {
                write!(f, "resyncs the same device of user {user} as line {other}")
            }
        }
    }
}

impl BatchProblem {
    pub(super) fn hint(&self) -> String {
        match self {
            BatchProblem::Unreadable { .. }
            | BatchProblem::NotRegular { .. }
            | BatchProblem::TooBig { .. } => {
                "give a CSV or JSON-lines file with a row per token"
            }
            BatchProblem::NotUtf8 => "save the file as UTF-8 (CSV or JSON lines)",
            BatchProblem::NoRows => "add a row per token",
            BatchProblem::TooManyRows { .. } => "split the file",
            BatchProblem::NotJson { .. }
            | BatchProblem::NotAnObject
            | BatchProblem::UnknownKey { .. }
            | BatchProblem::NotAString { .. } => "each line is one JSON object",
            BatchProblem::KeyTwice { .. } => "give each key once per line",
            BatchProblem::UnknownColumn { .. } => {
                let names: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
                return format!(
                    "the first line names the columns, from: {}",
                    names.join(",")
                );
            }
            BatchProblem::ColumnTwice { .. } => "name each column once",
            BatchProblem::Cells { .. } => {
                "one cell per column, empty when not needed (no quoting)"
            }
            BatchProblem::NoUser => "every row names its IAM user",
            BatchProblem::Source { .. } => {
                "batch rows read seed, yubikey or otp-slot (typed codes need a person per token)"
            }
            BatchProblem::SameKey { .. } => {
                "give each key row its own device serial (see `mfa-resync devices`), one row per key"
            }
            BatchProblem::SameTarget { .. } => {
                "one row per device; give each row of a user with several devices its serial"
            }
        }
        .to_string()
    }
}

impl fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonProblem::NotJson { line, column, .. } => {
                write!(f, "is not valid JSON (line {line}, column {column})")
            }
            JsonProblem::NotAnObject => f.write_str("must be a JSON object"),
            JsonProblem::KeyTwice { key } => write!(f, "has the key {key} twice"),
            JsonProblem::IgnoredKeyShape { key } => write!(
                f,
                "{key} must be {} as `codes --output json` prints it",
                if key == "Counters" {
                    "an array of numbers"
                } else {
                    "a number"
                }
            ),
            JsonProblem::UnknownKey { key } => write!(f, "unknown parameter {key}"),
            JsonProblem::NotAString { key } => write!(f, "{key} must be a string"),
            JsonProblem::Unreadable { path, reason } => {
                write!(f, "cannot read {path} ({reason})")
            }
            JsonProblem::NotRegular { path, what } => {
                write!(f, "cannot read {path}: it is {what}, not a regular file")
            }
            JsonProblem::TooBig { path, limit } => write!(
                f,
                "cannot read {path}: it is over {limit} bytes; a request is a few hundred"
            ),
            JsonProblem::NotUtf8 { path } => write!(f, "cannot read {path}: it is not UTF-8 text"),
        }
    }
}

impl JsonProblem {
    pub(super) fn hint(&self) -> String {
        match self {
            JsonProblem::NotJson { fix, .. } => match fix {
                JsonFix::FilePrefix(path) => format!("to read the file, write file://{path}"),
                JsonFix::GiveJson => {
                    "give the JSON itself, or file://PATH to read it from a file".into()
                }
                JsonFix::Skeleton => SKELETON_HINT.into(),
            },
            JsonProblem::NotAnObject => SKELETON_HINT.into(),
            JsonProblem::KeyTwice { .. } => "give each key once".into(),
            JsonProblem::IgnoredKeyShape { .. } => {
                "leave it as `codes` printed it, or drop the key (it is ignored)".into()
            }
            JsonProblem::UnknownKey { .. } => format!(
                "the parameters are {} ({} are ignored, as `codes --output json` prints them)",
                JSON_KEYS.join(", "),
                IGNORED_JSON_KEYS.join(" and ")
            ),
            JsonProblem::NotAString { key } => {
                format!("write it in quotes, e.g. \"{key}\": \"…\"")
            }
            JsonProblem::Unreadable { .. }
            | JsonProblem::NotRegular { .. }
            | JsonProblem::TooBig { .. } => JSON_FILE_HINT.into(),
            JsonProblem::NotUtf8 { .. } => "save the request as UTF-8 JSON".into(),
        }
    }
}
