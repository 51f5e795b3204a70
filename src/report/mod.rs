//! What the user sees: progress lines, notices and the countdown on stderr, results as text or JSON
//! on stdout, and the prompts of the device layer (it is handed a [`Reporter`] as its
//! [`Notifier`]).
//!
//! Human lines go to stderr so that stdout carries only results (`--output json`, or the codes of
//! `codes`). `--quiet` silences progress and success, as the AWS CLI does, but never a prompt that
//! needs the user's hand (touch the key, type a code, a password). Nothing here ever receives a
//! seed or a password; codes reach only [`Reporter::codes`], whose purpose is to print them.
//! [`schema`] holds every shape printed for programs; [`results`], [`tables`], [`enroll`] and
//! [`station`] render the same values for people; [`progress`] draws the countdown, and [`time`]
//! says how moments are written. Every line leaves through [`escape`]: text from a key or an
//! endpoint never reaches the terminal raw.

pub mod enroll;
pub mod escape;
mod progress;
pub mod results;
pub mod schema;
pub mod station;
pub mod tables;
pub mod time;

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use crate::source::{Notifier, SharedNotifier};

pub use schema::{
    BatchRowReport, Check, CheckStatus, CodesReport, CredentialDevice, EnrollReport,
    EnrolledDeviceReport, EnrolledKey, KeyAtDevice, KeyResult, ListedKey, NotAnAwsCredential,
    ReaderState, ResyncReport, RetireReport, RowResult, StationEvent, UsedCredential, WaitReason,
};

/// The format of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON document on stdout.
    Json,
}

/// Writes progress, notices and results in the requested format. Cheap to clone: clones share the
/// countdown, so a source's notices and the planner's lines never draw over each other.
#[derive(Debug, Clone)]
pub struct Reporter {
    inner: Arc<Inner>,
    /// The countdown: shared by clones, and by [`Reporter::labelled`] ones at a terminal.
    bar: Arc<Mutex<Option<indicatif::ProgressBar>>>,
    /// Put before each line (a station's key), when set.
    label: Option<Arc<str>>,
}

#[derive(Debug)]
struct Inner {
    format: OutputFormat,
    quiet: bool,
    terminal: bool,
}

impl Reporter {
    /// A reporter for the given format; progress is drawn as a bar only when stderr is a terminal.
    pub fn new(format: OutputFormat, quiet: bool) -> Self {
        Self::with(format, quiet, std::io::stderr().is_terminal())
    }

    /// A reporter that prints nothing but results (tests, rows of a batch).
    pub fn silent() -> Self {
        Self::with(OutputFormat::Text, true, false)
    }

    fn with(format: OutputFormat, quiet: bool, terminal: bool) -> Self {
        Reporter {
            inner: Arc::new(Inner {
                format,
                quiet,
                terminal,
            }),
            bar: Arc::default(),
            label: None,
        }
    }

    /// This reporter, each of its lines headed by `label` (a station's key, so that the lines of
    /// keys served together can be told apart). At a terminal the countdown bar stays shared (the
    /// keys wait for the same boundary); elsewhere each label says its own wait.
    pub fn labelled(&self, label: impl Into<String>) -> Self {
        Reporter {
            inner: Arc::clone(&self.inner),
            bar: if self.inner.terminal {
                Arc::clone(&self.bar)
            } else {
                Arc::default()
            },
            label: Some(Arc::from(label.into())),
        }
    }

    /// The format of results.
    pub fn format(&self) -> OutputFormat {
        self.inner.format
    }

    /// Whether success is silent.
    pub fn quiet(&self) -> bool {
        self.inner.quiet
    }

    /// This reporter as the device layer's notifier.
    pub fn notifier(&self) -> SharedNotifier {
        Arc::new(self.clone())
    }

    /// A progress line on stderr (not in quiet mode).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.inner.quiet {
            self.eprintln(text.as_ref());
        }
    }

    /// A warning on stderr: shown even in quiet mode, since it is about something that did not go
    /// as it should.
    pub fn warn(&self, text: impl AsRef<str>) {
        self.eprintln(&format!("warning: {}", text.as_ref()));
    }

    /// Whether a person may be watching stderr (a prompt is then worth showing even in quiet mode).
    fn person_sees(&self) -> bool {
        !self.inner.quiet || self.inner.terminal
    }

    /// `text` headed by the label, if there is one, and escaped.
    fn labelled_line(&self, text: &str) -> String {
        match &self.label {
            Some(label) => escape::escape(&format!("{label}: {text}")).into_owned(),
            None => escape::escape(text).into_owned(),
        }
    }

    fn eprintln(&self, text: &str) {
        let text = self.labelled_line(text);
        // Above the bar, if one is drawn, so the line does not tear it.
        if let Ok(bar) = self.bar.lock()
            && let Some(pb) = bar.as_ref()
            && !pb.is_hidden()
        {
            pb.suspend(|| write_stderr(&text));
            return;
        }
        write_stderr(&text);
    }
}

impl Notifier for Reporter {
    fn note(&self, text: &str) {
        self.line(text);
    }

    fn act(&self, text: &str) {
        if self.person_sees() {
            self.eprintln(text);
        }
    }

    fn ask(&self, prompt: &str) {
        if self.person_sees() {
            self.ask_secret(prompt);
        }
    }

    fn answers(&self) -> bool {
        true
    }

    fn ask_secret(&self, prompt: &str) {
        // Not `ask`: a password is asked for even of a silent reporter (a batch's row).
        write_to(
            &mut std::io::stderr().lock(),
            "stderr",
            &escape::escape(prompt),
        );
    }

    fn end_secret(&self) {
        write_stderr("");
    }
}

/// ` (request id ID)`, or nothing when AWS gave none.
fn request_id(id: Option<&str>) -> String {
    id.map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

/// ` on attempt N`, said only when the first pair was not the one accepted.
fn on_attempt(attempts: u32) -> String {
    if attempts > 1 {
        format!(" on attempt {attempts}")
    } else {
        String::new()
    }
}

/// Writes one result to stdout as a JSON document on one line, its strings exact but with no
/// control or format character raw ([`escape::json`]).
pub fn print_json(value: &impl serde::Serialize) {
    if let Some(text) = escape::json(value) {
        print_stdout(&text);
    }
}

/// Writes one result to stdout, on a line of its own, escaped.
pub fn print_stdout(text: &str) {
    write_to(
        &mut std::io::stdout().lock(),
        "stdout",
        &format!("{}\n", escape::escape(text)),
    );
}

/// Writes `text` and a newline to stderr as it is: its caller escaped what came from outside
/// (an error's parts, a reporter's line), keeping the newlines it means.
pub fn write_stderr(text: &str) {
    write_to(
        &mut std::io::stderr().lock(),
        "stderr",
        &format!("{text}\n"),
    );
}

/// Writes `text` to `stream`. A stream that is closed (`| head`, a terminal gone) is no panic and
/// no error of its own: the run stops as a signal would stop it (`stop`), finishing or undoing
/// what it was doing, and its exit code says which.
pub fn write_to(out: &mut impl Write, stream: &'static str, text: &str) {
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        crate::stop::request(crate::stop::Cause::OutputClosed(stream));
    }
}
