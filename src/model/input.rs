//! Where a value came from and what is wrong with it: [`Field`] names the flag or JSON key the way
//! the user wrote it, and [`InputError`] (exit 2, nothing sent) carries the problem and the hint.

use std::fmt;

/// Where a value came from, so that an error names the place the user has to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, e.g. `--user-name`.
    Flag,
    /// A key of `--cli-input-json`, e.g. `UserName`.
    Json,
}

/// A field of the request, named as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    flag: &'static str,
    json_key: Option<&'static str>,
    origin: Origin,
}

impl Field {
    /// A field that only exists as a flag (for example `--seed-file`).
    pub const fn flag(flag: &'static str) -> Self {
        Field {
            flag,
            json_key: None,
            origin: Origin::Flag,
        }
    }

    /// A field that `--cli-input-json` may also carry, as the AWS CLI names it.
    pub const fn request(flag: &'static str, json_key: &'static str, origin: Origin) -> Self {
        Field {
            flag,
            json_key: Some(json_key),
            origin,
        }
    }

    /// `--user-name`
    pub const fn user_name(origin: Origin) -> Self {
        Self::request("--user-name", "UserName", origin)
    }
    /// `--serial-number`
    pub const fn serial_number(origin: Origin) -> Self {
        Self::request("--serial-number", "SerialNumber", origin)
    }
    /// `--authentication-code-1`
    pub const fn code1(origin: Origin) -> Self {
        Self::request("--authentication-code-1", "AuthenticationCode1", origin)
    }
    /// `--authentication-code-2`
    pub const fn code2(origin: Origin) -> Self {
        Self::request("--authentication-code-2", "AuthenticationCode2", origin)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.origin, self.json_key) {
            (Origin::Json, Some(key)) => write!(f, "{key} in --cli-input-json"),
            _ => f.write_str(self.flag),
        }
    }
}

/// Bad input: usage, a field that fails validation, an unusable seed. Exit code 2; nothing was sent.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A field's value breaks a rule.
    #[error("{field}: {problem}")]
    Invalid {
        /// The flag or JSON key.
        field: Field,
        /// What is wrong, without echoing secret values.
        problem: String,
        /// What to do about it.
        hint: String,
    },
    /// Two flags that cannot go together, or one that needs another.
    #[error("{problem}")]
    Usage {
        /// What is wrong.
        problem: String,
        /// What to do about it.
        hint: String,
    },
}

impl InputError {
    /// An invalid value for `field`.
    pub fn invalid(field: Field, problem: impl Into<String>, hint: impl Into<String>) -> Self {
        InputError::Invalid {
            field,
            problem: problem.into(),
            hint: hint.into(),
        }
    }

    /// A usage problem that no single field owns.
    pub fn usage(problem: impl Into<String>, hint: impl Into<String>) -> Self {
        InputError::Usage {
            problem: problem.into(),
            hint: hint.into(),
        }
    }

    /// The line that tells the user what to do.
    pub fn hint(&self) -> &str {
        match self {
            InputError::Invalid { hint, .. } | InputError::Usage { hint, .. } => hint,
        }
    }
}
