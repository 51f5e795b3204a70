//! The display-token source: the user types the code their token shows.
//!
//! A display token keeps its own clock, so we cannot choose its counter: the pair reader asks for
//! code 2 as soon as the token shows it, and checks the time between the two entries. This module owns reading and
//! checking the typed line; when standard input is a terminal a mistyped code is asked again, when it
//! is a pipe the first bad line is an error (a script must not loop).

use std::io::{BufRead, IsTerminal};

use super::error::TypedProblem;
use super::{ClockOwner, Code, CodeSource, DeviceError, SharedNotifier, SourceInfo};

/// How many times a mistyped code is asked again at a terminal.
const TERMINAL_TRIES: usize = 3;

/// The longest typed line taken: a code with spaces around it, or a pasted 44-character Yubico OTP
/// (named as such by the check). Anything longer is an error, never an allocation: `< /dev/zero`
/// used to abort the process.
const MAX_TYPED_LINE: u64 = 128;

/// Codes typed from a display token, read line by line.
pub struct PromptSource {
    input: Box<dyn BufRead + Send>,
    interactive: bool,
    digits: usize,
    notifier: SharedNotifier,
}

impl std::fmt::Debug for PromptSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptSource")
            .field("interactive", &self.interactive)
            .finish_non_exhaustive()
    }
}

impl PromptSource {
    /// Reads from the process's standard input; prompts go through `notifier`.
    pub fn stdin(notifier: SharedNotifier) -> Self {
        let stdin = std::io::stdin();
        let interactive = stdin.is_terminal();
        PromptSource::new(
            Box::new(std::io::BufReader::new(stdin)),
            interactive,
            notifier,
        )
    }

    /// Reads from `input`; `interactive` says whether a person is there to retype.
    pub fn new(
        input: Box<dyn BufRead + Send>,
        interactive: bool,
        notifier: SharedNotifier,
    ) -> Self {
        PromptSource {
            input,
            interactive,
            digits: 6,
            notifier,
        }
    }

    /// A typed line: `None` at the end of input, an error for a line too long to be a code.
    fn read_line(&mut self) -> Result<Option<Result<String, DeviceError>>, DeviceError> {
        let mut line = Vec::new();
        let input: &mut dyn BufRead = &mut *self.input;
        let n = std::io::Read::take(input, MAX_TYPED_LINE + 1)
            .read_until(b'\n', &mut line)
            .map_err(DeviceError::Stdin)?;
        if n == 0 {
            return Ok(None);
        }
        if line.len() as u64 > MAX_TYPED_LINE {
            if self.interactive {
                // Drop the rest of the line (read, not kept) so the next prompt starts clean.
                self.input.skip_until(b'\n').map_err(DeviceError::Stdin)?;
            }
            return Ok(Some(Err(DeviceError::Typed(TypedProblem::TooLong {
                limit: MAX_TYPED_LINE as usize,
                digits: self.digits,
            }))));
        }
        Ok(Some(Ok(String::from_utf8_lossy(&line).into_owned())))
    }

    fn check(&self, line: &str) -> Result<Code, DeviceError> {
        let digits = crate::model::digits(line, self.digits).map_err(|shape| {
            DeviceError::Typed(TypedProblem::Shape {
                shape,
                digits: self.digits,
            })
        })?;
        Code::from_digits(digits)
    }
}

impl CodeSource for PromptSource {
    fn describe(&self) -> SourceInfo {
        SourceInfo {
            kind: "prompt",
            device_serial: None,
            account: None,
            period: 30,
            digits: self.digits as u32,
            touch: false,
        }
    }

    fn clock(&self) -> ClockOwner {
        ClockOwner::Device
    }

    fn code_at(&mut self, counter: u64) -> Result<Code, DeviceError> {
        self.typed_code(counter, "Code")
    }

    fn retypes(&self) -> bool {
        self.interactive
    }

    fn typed_code(&mut self, _counter: u64, label: &str) -> Result<Code, DeviceError> {
        let tries = if self.interactive { TERMINAL_TRIES } else { 1 };
        let mut last = None;
        for _ in 0..tries {
            self.notifier.ask(&format!("{label} shown on the token: "));
            let line = self.read_line()?;
            if !self.interactive {
                // Keep the transcript readable when the codes come from a pipe.
                self.notifier.act("");
            }
            let Some(line) = line else {
                return Err(DeviceError::Typed(TypedProblem::Ended));
            };
            match line.and_then(|line| self.check(&line)) {
                Ok(code) => return Ok(code),
                Err(e) => {
                    if self.interactive {
                        self.notifier.act(&format!("{e}; try again"));
                    }
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or(DeviceError::Typed(TypedProblem::NoCode)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(input: impl BufRead + Send + 'static, interactive: bool) -> PromptSource {
        let silent = std::sync::Arc::new(crate::source::Silent);
        PromptSource::new(Box::new(input), interactive, silent)
    }

    fn piped(text: &'static str) -> PromptSource {
        typed(text.as_bytes(), false)
    }

    #[test]
    fn reads_one_code_a_line() {
        let mut p = piped("123456\n 654321 \n");
        assert_eq!(p.code_at(0).unwrap().expose(), "123456");
        assert_eq!(p.code_at(1).unwrap().expose(), "654321");
        assert!(p.code_at(2).is_err(), "end of input");
    }

    #[test]
    fn a_bad_piped_code_is_an_error_not_a_loop() {
        let mut p = piped("12345\n123456\n");
        let err = p.code_at(0).unwrap_err();
        assert!(err.is_input());
        assert!(err.to_string().contains("5 digits"), "{err}");
        assert!(!err.to_string().contains("12345"), "{err}");
    }

    #[test]
    fn an_endless_line_is_an_error_not_an_allocation() {
        let mut p = typed(std::io::BufReader::new(std::io::repeat(b'0')), false);
        let err = p.code_at(0).unwrap_err();
        assert!(err.is_input());
        assert!(err.to_string().contains("longer than a code"), "{err}");
        let long = format!("{}\n123456\n", "1".repeat(500));
        let mut p = typed(std::io::Cursor::new(long.into_bytes()), true);
        assert_eq!(
            p.code_at(0).unwrap().expose(),
            "123456",
            "retyped after the long line"
        );
    }

    #[test]
    fn a_terminal_user_may_retype() {
        let mut p = typed(b"12a456\n123456\n".as_slice(), true);
        assert_eq!(p.code_at(0).unwrap().expose(), "123456");
    }
}
