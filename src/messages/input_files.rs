//! A file given as input that cannot be used, in words: the audit log, the seed's backup file, the
//! `--batch` file and its rows, `--cli-input-json`. A name from a file is shown quoted and cut
//! short, and not at all when it looks like a seed.

use super::words;
use crate::model::{BatchProblem, DirProblem, FileInput, JsonFix, JsonProblem, ReadProblem};
use crate::request::batch::{COLUMNS, MAX_ROWS};
use crate::request::{IGNORED_JSON_KEYS, JSON_KEYS};

const BACKUP_DIR_HINT: &str = "give a path in an existing directory of yours";
const JSON_FILE_HINT: &str =
    "give file:// followed by the path of a JSON file, e.g. file://request.json";
const OWN_DIR_HINT: &str = "give a path in a directory of your own (e.g. your home directory)";
const SKELETON_HINT: &str = "start from `mfa-resync resync --generate-cli-skeleton`";

worded!(FileInput, BatchProblem, JsonProblem);

impl FileInput {
    pub(super) fn words(&self) -> (String, String) {
        match self {
            FileInput::NotRegular {
                path,
                what,
                at_open,
            } => words(
                format!("{path} is {what}, not a regular file"),
                if *at_open {
                    "give the path of the log file itself; a link is not followed, since one planted in a shared directory would redirect the lines"
                } else {
                    "give the path of a regular file (it is created with mode 600 if missing)"
                },
            ),
            FileInput::NotYours { path, owner, me } => words(
                format!(
                    "{path} is owned by uid {owner} and you are uid {me}; its owner could rewrite the trail"
                ),
                "use a log file of your own (mfa-resync creates a missing one with mode 600)",
            ),
            FileInput::WritableByOthers { path, mode } => words(
                format!(
                    "{path} is writable by group or others (mode {mode:03o}); they could truncate it"
                ),
                format!("chmod go-w {path}"),
            ),
            FileInput::CannotOpen { path, reason } => words(
                format!("cannot open {path} for appending ({reason})"),
                "give a writable file path; it is created with mode 600 if missing",
            ),
            FileInput::NamesNoFile => words(
                "names no file",
                "give the path of a new file, e.g. --backup-seed-file ~/alice-mfa-seed.txt",
            ),
            FileInput::Exists { path, what } => words(
                format!("{path} exists ({what}); the backup is never written over anything"),
                "give the path of a new file",
            ),
            FileInput::DirUnusable { dir, reason } => words(
                format!("its directory {dir} cannot be used ({reason})"),
                BACKUP_DIR_HINT,
            ),
            FileInput::NotADirectory { dir } => {
                words(format!("{dir} is not a directory"), BACKUP_DIR_HINT)
            }
            FileInput::DirWritableByOthers { dir, mode } => words(
                format!(
                    "its directory {dir} is writable by others (mode {mode:04o}); anyone could replace the backup after it is written"
                ),
                OWN_DIR_HINT,
            ),
            FileInput::Dir { path, problem } => words(
                format!(
                    "the directory of {path} {}",
                    match problem {
                        DirProblem::Unusable(reason) => format!("cannot be used ({reason})"),
                        DirProblem::NotADirectory => "is not a directory".into(),
                        DirProblem::Link => {
                            "is a symbolic link; whoever can change the link can move the file"
                                .into()
                        }
                        DirProblem::NotYours { owner } => {
                            format!("belongs to uid {owner}, who could replace the file")
                        }
                        DirProblem::Shared { mode } => format!(
                            "may be written by other users (mode {mode:04o}) and has no sticky bit; they could replace the file"
                        ),
                    }
                ),
                OWN_DIR_HINT,
            ),
            FileInput::SameAs { other } => words(
                format!("is the same file as {other}"),
                "give each output a file of its own",
            ),
        }
    }
}

/// Why the file at `path` could not be read, as `--cli-input-json file://` says it; the `--batch`
/// file says only its size its own way.
fn cannot_read(path: &str, problem: &ReadProblem) -> String {
    match problem {
        ReadProblem::Unreadable(reason) => format!("cannot read {path} ({reason})"),
        ReadProblem::NotRegular(what) => {
            format!("cannot read {path}: it is {what}, not a regular file")
        }
        ReadProblem::TooBig(limit) => {
            format!("cannot read {path}: it is over {limit} bytes; a request is a few hundred")
        }
    }
}

impl BatchProblem {
    pub(super) fn words(&self) -> (String, String) {
        const ONE_OBJECT: &str = "each line is one JSON object";
        const BATCH_FILE_HINT: &str = "give a CSV or JSON-lines file with a row per token";
        match self {
            BatchProblem::Read {
                path,
                problem: ReadProblem::TooBig(limit),
            } => words(
                format!("{path} is over {limit} bytes; a batch has at most {MAX_ROWS} rows"),
                BATCH_FILE_HINT,
            ),
            BatchProblem::Read { path, problem } => {
                words(cannot_read(path, problem), BATCH_FILE_HINT)
            }
            BatchProblem::NotUtf8 => words(
                "is not UTF-8 text",
                "save the file as UTF-8 (CSV or JSON lines)",
            ),
            BatchProblem::NoRows => words("has no rows", "add a row per token"),
            BatchProblem::TooManyRows { rows } => words(
                format!("has {rows} rows; at most {MAX_ROWS}"),
                "split the file",
            ),
            BatchProblem::NotJson { column } => {
                words(format!("is not valid JSON (column {column})"), ONE_OBJECT)
            }
            BatchProblem::NotAnObject => words("is not a JSON object", ONE_OBJECT),
            BatchProblem::KeyTwice { key } => words(
                format!("has the key {key} twice"),
                "give each key once per line",
            ),
            BatchProblem::UnknownKey { key } => {
                let keys: Vec<&str> = COLUMNS.iter().map(|(_, k)| *k).collect();
                words(
                    format!("unknown key {key}; the keys are {}", keys.join(", ")),
                    ONE_OBJECT,
                )
            }
            BatchProblem::NotAString { key } => {
                words(format!("{key} must be a string or a number"), ONE_OBJECT)
            }
            BatchProblem::UnknownColumn { column } => {
                let names: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
                words(
                    format!("unknown column {column}"),
                    format!(
                        "the first line names the columns, from: {}",
                        names.join(",")
                    ),
                )
            }
            BatchProblem::ColumnTwice { position, name } => words(
                format!("column {position} names {name:?} again"),
                "name each column once",
            ),
            BatchProblem::Cells { cells, columns } => words(
                format!("has {cells} cells; the header has {columns}"),
                "one cell per column, empty when not needed (no quoting)",
            ),
            BatchProblem::NoUser => words("the user is missing", "every row names its IAM user"),
            BatchProblem::Source { source } => words(
                format!("source {source} cannot be batched"),
                "batch rows read seed, yubikey or otp-slot (typed codes need a person per token)",
            ),
            BatchProblem::SameKey { other } => words(
                format!("reads the same YubiKey as line {other}"),
                "give each key row its own device serial (see `mfa-resync devices`), one row per key",
            ),
            BatchProblem::SameTarget { other, user } => words(
                format!("resyncs the same device of user {user} as line {other}"),
                "one row per device; give each row of a user with several devices its serial",
            ),
        }
    }
}

impl JsonProblem {
    pub(super) fn words(&self) -> (String, String) {
        match self {
            JsonProblem::NotJson { line, column, fix } => words(
                format!("is not valid JSON (line {line}, column {column})"),
                match fix {
                    JsonFix::FilePrefix(path) => format!("to read the file, write file://{path}"),
                    JsonFix::GiveJson => {
                        "give the JSON itself, or file://PATH to read it from a file".into()
                    }
                    JsonFix::Skeleton => SKELETON_HINT.into(),
                },
            ),
            JsonProblem::NotAnObject => words("must be a JSON object", SKELETON_HINT),
            JsonProblem::KeyTwice { key } => {
                words(format!("has the key {key} twice"), "give each key once")
            }
            JsonProblem::IgnoredKeyShape { key } => words(
                format!(
                    "{key} must be {} as `codes --output json` prints it",
                    if key == "Counters" {
                        "an array of numbers"
                    } else {
                        "a number"
                    }
                ),
                "leave it as `codes` printed it, or drop the key (it is ignored)",
            ),
            JsonProblem::UnknownKey { key } => words(
                format!("unknown parameter {key}"),
                format!(
                    "the parameters are {} ({} are ignored, as `codes --output json` prints them)",
                    JSON_KEYS.join(", "),
                    IGNORED_JSON_KEYS.join(" and ")
                ),
            ),
            JsonProblem::NotAString { key } => words(
                format!("{key} must be a string"),
                format!("write it in quotes, e.g. \"{key}\": \"…\""),
            ),
            JsonProblem::Read { path, problem } => {
                words(cannot_read(path, problem), JSON_FILE_HINT)
            }
            JsonProblem::NotUtf8 { path } => words(
                format!("cannot read {path}: it is not UTF-8 text"),
                "save the request as UTF-8 JSON",
            ),
        }
    }
}
