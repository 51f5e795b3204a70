//! IAM's input checks, worded as IAM words them.
//!
//! Owns the member constraints of the IAM API reference (lengths, patterns, enums, ranges), the
//! Coral-style message that names every violation at once ("2 validation errors detected: …")
//! and the checks IAM makes after those (a path's shape). Pagination is `paging`'s, tags are
//! `tags`'. It decides nothing about what an action means.

use std::collections::BTreeMap;

use crate::iam_local::error::ApiError;

/// IAM's member constraints, as its API reference states them.
#[derive(Debug, Clone, Copy)]
pub(super) enum Rule {
    /// `existingUserNameType`: 1–128 of `[\w+=,.@-]+`.
    UserName,
    /// `serialNumberType`: 9–256 of `[\w+=/:,.@-]+`.
    Serial,
    /// `authenticationCodeType`: exactly 6 of `[\d]+`; the value is not echoed back.
    Code,
    /// `virtualMFADeviceName`: 1–226 of `[\w+=,.@-]+`.
    DeviceName,
    /// `pathType`, length only (1–512): IAM checks the shape itself, see [`check_path`].
    Path,
    /// `accountAliasType`: 3–63 of `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`.
    AccountAlias,
    /// `markerType`: 1–320 of `[\u0020-\u00FF]+`.
    Marker,
    /// `tagKeyType`: 1–128 of `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`; the value is not echoed.
    TagKey,
    /// `tagValueType`: 0–256 of `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`; the value is not echoed.
    TagValue,
}

impl Rule {
    fn bounds(self) -> (usize, usize) {
        match self {
            Rule::UserName => (1, 128),
            Rule::Serial => (9, 256),
            Rule::Code => (6, 6),
            Rule::DeviceName => (1, 226),
            Rule::Path => (1, 512),
            Rule::AccountAlias => (3, 63),
            Rule::Marker => (1, 320),
            Rule::TagKey => (1, 128),
            Rule::TagValue => (0, 256),
        }
    }

    fn pattern(self) -> Option<&'static str> {
        match self {
            Rule::UserName | Rule::DeviceName => Some(r"[\w+=,.@-]+"),
            Rule::Serial => Some(r"[\w+=/:,.@-]+"),
            Rule::Code => Some(r"[\d]+"),
            Rule::Path => None,
            Rule::AccountAlias => Some(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"),
            Rule::Marker => Some(r"[\u0020-\u00FF]+"),
            Rule::TagKey => Some(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"),
            Rule::TagValue => Some(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"),
        }
    }

    pub(super) fn matches(self, value: &str) -> bool {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        match self {
            Rule::UserName | Rule::DeviceName => {
                value.chars().all(|c| word(c) || "+=,.@-".contains(c))
            }
            Rule::Serial => value.chars().all(|c| word(c) || "+=/:,.@-".contains(c)),
            Rule::Code => value.bytes().all(|b| b.is_ascii_digit()),
            Rule::Path => true,
            Rule::AccountAlias => alias_matches(value),
            Rule::Marker => value.chars().all(|c| ('\u{20}'..='\u{FF}').contains(&c)),
            Rule::TagKey | Rule::TagValue => value.chars().all(tag_char),
        }
    }
}

/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]`: letters, separators (spaces, not tabs or line ends), numbers and
/// `_.:/=+-@`. Rust's `is_alphabetic` also takes the few combining marks Unicode counts as
/// alphabetic, the one place this is looser than `\p{L}`.
fn tag_char(c: char) -> bool {
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@".contains(c)
}

/// The account alias pattern: lower-case letters, digits and single dashes, not at either end.
fn alias_matches(value: &str) -> bool {
    let b = value.as_bytes();
    let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    b.len() >= 3
        && b.first().is_some_and(ok)
        && b.last().is_some_and(ok)
        && b.iter().all(|c| ok(c) || *c == b'-')
        && !value.contains("--")
}

/// The IAM path check that follows the model's length check. AWS answers a path without its
/// leading or trailing slash with this message, not with the pattern constraint (recorded from
/// AWS for CreateVirtualMFADevice). Paths may hold any printable ASCII between the slashes
/// (`pathType`: `(\u002F)|(\u002F[\u0021-\u007F]+\u002F)`), `//` included.
pub(super) fn check_path(path: &str) -> Result<(), ApiError> {
    let ok = path == "/"
        || (path.len() >= 3
            && path.starts_with('/')
            && path.ends_with('/')
            && path.bytes().all(|b| (0x21..=0x7f).contains(&b)));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
        ))
    }
}

/// Collects constraint violations so that one error names them all, as AWS does.
#[derive(Debug, Default)]
pub(super) struct Validator {
    errors: Vec<String>,
}

impl Validator {
    /// A parameter that must be present and valid; `None` if it is not (the error is recorded).
    pub(super) fn required<'p>(
        &mut self,
        params: &'p BTreeMap<String, String>,
        param: &str,
        member: &str,
        rule: Rule,
    ) -> Option<&'p str> {
        let value = params.get(param).map(String::as_str);
        if value.is_none() {
            self.errors.push(format!(
                "Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ));
        }
        self.check(value, member, rule)
    }

    /// A parameter that may be absent; `None` if absent or invalid.
    pub(super) fn optional<'p>(
        &mut self,
        params: &'p BTreeMap<String, String>,
        param: &str,
        member: &str,
        rule: Rule,
    ) -> Option<&'p str> {
        self.check(params.get(param).map(String::as_str), member, rule)
    }

    /// An optional enum parameter; `None` if absent or not one of `allowed`.
    pub(super) fn one_of<'p>(
        &mut self,
        params: &'p BTreeMap<String, String>,
        param: &str,
        member: &str,
        allowed: &[&str],
    ) -> Option<&'p str> {
        let value = params.get(param).map(String::as_str)?;
        if allowed.contains(&value) {
            return Some(value);
        }
        self.errors.push(format!(
            "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ));
        None
    }

    /// An optional integer parameter in `min..=max`; `None` if absent or invalid.
    pub(super) fn int_in(
        &mut self,
        params: &BTreeMap<String, String>,
        param: &str,
        member: &str,
        (min, max): (u64, u64),
    ) -> Option<u64> {
        let text = params.get(param)?;
        let Ok(value) = text.trim().parse::<i64>() else {
            self.errors.push(format!(
                "Value '{text}' at '{member}' failed to satisfy constraint: Member must be a number"
            ));
            return None;
        };
        let too_small = value < 0 || (value as u64) < min;
        if too_small || value as u64 > max {
            let bound = if too_small {
                format!("greater than or equal to {min}")
            } else {
                format!("less than or equal to {max}")
            };
            self.errors.push(format!(
                "Value '{value}' at '{member}' failed to satisfy constraint: Member must have value {bound}"
            ));
            return None;
        }
        Some(value as u64)
    }

    fn check<'p>(&mut self, value: Option<&'p str>, member: &str, rule: Rule) -> Option<&'p str> {
        let value = value?;
        let (min, max) = rule.bounds();
        let len = value.chars().count();
        // Codes are never echoed, nor are tags (as AWS words tag errors: LocalStack's provider,
        // validated against AWS); nor are values over the length limit (AWS leaves those out).
        let shown = match rule {
            Rule::Code | Rule::TagKey | Rule::TagValue => format!("Value at '{member}'"),
            _ if len > max => format!("Value at '{member}'"),
            _ => format!("Value '{value}' at '{member}'"),
        };
        let before = self.errors.len();
        if len < min {
            self.errors.push(format!(
                "{shown} failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if len > max {
            self.errors.push(format!(
                "{shown} failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
        if let Some(pattern) = rule.pattern()
            && !rule.matches(value)
        {
            self.errors.push(format!(
                "{shown} failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
            ));
        }
        (self.errors.len() == before).then_some(value)
    }

    /// Records a violation the rules above do not describe (a list's length, say), worded in full
    /// from "Value … at '…'" on.
    pub(super) fn violation(&mut self, message: String) {
        self.errors.push(message);
    }

    /// `Ok` when every check passed, else one ValidationError naming every violation.
    pub(super) fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.errors[0]
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn account_alias_pattern_as_documented() {
        for good in ["abc", "example-corp", "a1-b2-c3", "0ne", &"a".repeat(63)] {
            assert!(alias_matches(good), "{good}");
        }
        for bad in ["ab", "-abc", "abc-", "ab--c", "Abc", "a_b", "a.b", "a b"] {
            assert!(!alias_matches(bad), "{bad}");
        }
    }

    #[test]
    fn over_long_values_are_not_echoed() {
        let long = "a".repeat(64);
        let p = params(&[("AccountAlias", &long)]);
        let mut v = Validator::default();
        assert_eq!(
            v.required(&p, "AccountAlias", "accountAlias", Rule::AccountAlias),
            None
        );
        assert_eq!(
            v.finish().unwrap_err().message,
            "1 validation error detected: Value at 'accountAlias' failed to satisfy constraint: Member must have length less than or equal to 63"
        );
        let p = params(&[("AccountAlias", "Bad--")]);
        let mut v = Validator::default();
        v.required(&p, "AccountAlias", "accountAlias", Rule::AccountAlias);
        assert_eq!(
            v.finish().unwrap_err().message,
            r"1 validation error detected: Value 'Bad--' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
        );
    }

    #[test]
    fn paths_as_iam_checks_them() {
        for good in ["/", "/a/", "/test//double/", "/a/b~c/"] {
            assert!(check_path(good).is_ok(), "{good}");
        }
        for bad in ["invalid-path/", "/invalid-path", "//x", "/a b/", "/é/", "a"] {
            let err = check_path(bad).unwrap_err();
            assert!(
                err.message
                    .starts_with("The specified value for path is invalid."),
                "{bad}"
            );
        }
    }

    #[test]
    fn enums_and_ranges() {
        let p = params(&[("AssignmentStatus", "Some"), ("MaxItems", "0")]);
        let mut v = Validator::default();
        let allowed = ["Assigned", "Unassigned", "Any"];
        assert_eq!(
            v.one_of(&p, "AssignmentStatus", "assignmentStatus", &allowed),
            None
        );
        assert_eq!(v.int_in(&p, "MaxItems", "maxItems", (1, 1000)), None);
        let msg = v.finish().unwrap_err().message;
        assert_eq!(
            msg,
            "2 validation errors detected: Value 'Some' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Assigned, Unassigned, Any]; Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
        let p = params(&[("MaxItems", "1001")]);
        let mut v = Validator::default();
        v.int_in(&p, "MaxItems", "maxItems", (1, 1000));
        assert!(
            v.finish()
                .unwrap_err()
                .message
                .contains("less than or equal to 1000")
        );
    }

    #[test]
    fn tag_keys_and_values_as_iam_constrains_them() {
        for good in [
            "team",
            "cost center",
            "a:b/c=d+e-f@g_h.i",
            "Ключ",
            "键",
            "٣",
        ] {
            assert!(Rule::TagKey.matches(good), "{good}");
        }
        for bad in ["a*b", "tab\there", "line\nend", "semi;colon", "#"] {
            assert!(!Rule::TagKey.matches(bad), "{bad:?}");
        }
        let p = params(&[
            ("Tags.member.1.Key", ""),
            ("Tags.member.1.Value", &"v".repeat(257)),
            ("Tags.member.2.Key", "bad*key"),
        ]);
        let mut v = Validator::default();
        v.required(&p, "Tags.member.1.Key", "tags.1.member.key", Rule::TagKey);
        v.required(
            &p,
            "Tags.member.1.Value",
            "tags.1.member.value",
            Rule::TagValue,
        );
        v.required(&p, "Tags.member.2.Key", "tags.2.member.key", Rule::TagKey);
        v.required(
            &p,
            "Tags.member.2.Value",
            "tags.2.member.value",
            Rule::TagValue,
        );
        assert_eq!(
            v.finish().unwrap_err().message,
            "4 validation errors detected: \
             Value at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256; \
             Value at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+; \
             Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null"
        );
        let p = params(&[("Tags.member.1.Value", "")]);
        let mut v = Validator::default();
        assert_eq!(
            v.required(
                &p,
                "Tags.member.1.Value",
                "tags.1.member.value",
                Rule::TagValue
            ),
            Some("")
        );
        assert!(v.finish().is_ok(), "an empty value is a value");
    }
}
