//! What can be wrong with a file given as input: the audit log and the seed's backup file
//! ([`FileInput`]), the `--batch` file and its rows ([`BatchProblem`]), and `--cli-input-json`
//! ([`JsonProblem`]), and why either file could not be read ([`ReadProblem`]). Data only; the words are the catalogue's (`crate::messages`).

/// Why a file named for the audit log or the seed's backup cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileInput {
    /// It is not a regular file (a link, a FIFO, a device…).
    NotRegular {
        /// The file.
        path: String,
        /// What it is.
        what: &'static str,
        /// Refused as it was opened: a link is not followed, a FIFO nobody reads is not waited on.
        at_open: bool,
    },
    /// Someone else owns it.
    NotYours {
        /// The file.
        path: String,
        /// The owner's uid.
        owner: u32,
        /// Ours.
        me: u32,
    },
    /// Group or others may write it.
    WritableByOthers {
        /// The file.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// It cannot be opened for appending.
    CannotOpen {
        /// The file.
        path: String,
        /// Why, in the OS's words.
        reason: String,
    },
    /// The backup's path names no file.
    NamesNoFile,
    /// The backup's path exists.
    Exists {
        /// The path.
        path: String,
        /// What is there.
        what: &'static str,
    },
    /// The backup's directory cannot be used.
    DirUnusable {
        /// The directory.
        dir: String,
        /// Why.
        reason: String,
    },
    /// The backup's directory is not one.
    NotADirectory {
        /// The path.
        dir: String,
    },
    /// Others may write the backup's directory.
    DirWritableByOthers {
        /// The directory.
        dir: String,
        /// Its mode.
        mode: u32,
    },
    /// The file's directory is not fit for a private file.
    Dir {
        /// The file.
        path: String,
        /// What is wrong with its directory.
        problem: DirProblem,
    },
    /// The file is another output of the same run.
    SameAs {
        /// The other output's flag.
        other: &'static str,
    },
}

/// Why a `--batch` file or one of its rows cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchProblem {
    /// The file cannot be read.
    Read {
        /// The file.
        path: String,
        /// Why.
        problem: ReadProblem,
    },
    /// Not UTF-8.
    NotUtf8,
    /// No rows.
    NoRows,
    /// More rows than a batch takes.
    TooManyRows {
        /// The rows.
        rows: usize,
    },
    /// A JSON line that is not valid JSON.
    NotJson {
        /// The column where it broke.
        column: usize,
    },
    /// A JSON line that is not an object.
    NotAnObject,
    /// A key given twice on a line.
    KeyTwice {
        /// The key, as an error may show it.
        key: String,
    },
    /// A key no row takes.
    UnknownKey {
        /// The key, as an error may show it.
        key: String,
    },
    /// A value that is neither a string nor a number.
    NotAString {
        /// The key.
        key: String,
    },
    /// A CSV column no row takes.
    UnknownColumn {
        /// The column, as an error may show it.
        column: String,
    },
    /// A CSV column named twice.
    ColumnTwice {
        /// Its position.
        position: usize,
        /// Its name.
        name: String,
    },
    /// A CSV row of the wrong number of cells.
    Cells {
        /// Cells in the row.
        cells: usize,
        /// Columns in the header.
        columns: usize,
    },
    /// A row without a user.
    NoUser,
    /// A row whose source cannot be batched.
    Source {
        /// The source, as an error may show it.
        source: String,
    },
    /// Two rows read one key.
    SameKey {
        /// The other row's line.
        other: usize,
    },
    /// Two rows for one user's device.
    SameTarget {
        /// The other row's line.
        other: usize,
        /// The user.
        user: String,
    },
}

/// Why `--cli-input-json` cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// Not valid JSON; the argument decides the hint (a path without `file://`?).
    NotJson {
        /// Where it broke.
        line: usize,
        /// Where it broke.
        column: usize,
        /// What the hint says to do.
        fix: JsonFix,
    },
    /// Not an object.
    NotAnObject,
    /// A key given twice.
    KeyTwice {
        /// The key, as an error may show it.
        key: String,
    },
    /// `Counters` or `Period` not as `codes` prints them.
    IgnoredKeyShape {
        /// The key.
        key: String,
    },
    /// A key the request does not take.
    UnknownKey {
        /// The key, as an error may show it.
        key: String,
    },
    /// A value that is not a string.
    NotAString {
        /// The key.
        key: String,
    },
    /// The `file://` cannot be read.
    Read {
        /// The path.
        path: String,
        /// Why.
        problem: ReadProblem,
    },
    /// The `file://` is not UTF-8.
    NotUtf8 {
        /// The path.
        path: String,
    },
}

/// Why the `--batch` file or `--cli-input-json file://` could not be read: one reading rule for
/// both, so one set of reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    /// It cannot be opened or read, in the OS's words.
    Unreadable(String),
    /// It is not a regular file: what it is instead.
    NotRegular(&'static str),
    /// It is larger than the limit, in bytes.
    TooBig(u64),
}

/// What to do about `--cli-input-json` that is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonFix {
    /// It is a file's path: prefix `file://`.
    FilePrefix(String),
    /// Give JSON, or `file://PATH`.
    GiveJson,
    /// Start from the skeleton.
    Skeleton,
}

/// Why a directory is no place for a file of the user's own (an audit log, a seed's backup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirProblem {
    /// It cannot be looked at (missing, no permission), in the OS's words.
    Unusable(String),
    /// It is not a directory.
    NotADirectory,
    /// It is a symbolic link: whoever can change the link can move the file.
    Link,
    /// Someone other than the caller or root owns it, and could replace the file.
    NotYours {
        /// Its owner's uid.
        owner: u32,
    },
    /// Others, or with `strict` the group, may write it without its sticky bit: they could rename
    /// the file away and put another in its place.
    Shared {
        /// Its mode.
        mode: u32,
    },
}
