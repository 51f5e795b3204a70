//! IAM's input checks, worded as IAM words them, and the Marker/MaxItems pagination of list actions.
//!
//! Owns the member constraints of the IAM API reference (lengths, patterns, enums, ranges), the
//! Coral-style message that names every violation at once ("2 validation errors detected: …"),
//! the checks IAM makes after those (a path's shape), and the opaque markers list actions page
//! with. It decides nothing about what an action means.

use std::collections::BTreeMap;

use crate::iam_local::error::ApiError;
use crate::iam_local::query::Xml;

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
        }
    }

    fn matches(self, value: &str) -> bool {
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
        }
    }
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
        // Codes are never echoed; nor are values over the length limit (AWS leaves those out).
        let shown = match rule {
            Rule::Code => format!("Value at '{member}'"),
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

/// `MaxItems` when a list request gives none (IAM API reference, every List action).
const DEFAULT_MAX_ITEMS: u64 = 100;

/// The Marker and MaxItems of a list request, validated.
#[derive(Debug, Clone, Copy)]
pub(super) struct PageRequest<'p> {
    marker: Option<&'p str>,
    max_items: usize,
}

impl<'p> PageRequest<'p> {
    /// Reads and checks `Marker` (1–320 of `[\u0020-\u00FF]+`) and `MaxItems` (1–1000).
    pub(super) fn read(v: &mut Validator, params: &'p BTreeMap<String, String>) -> PageRequest<'p> {
        let marker = v.optional(params, "Marker", "marker", Rule::Marker);
        let max_items = v
            .int_in(params, "MaxItems", "maxItems", (1, 1000))
            .unwrap_or(DEFAULT_MAX_ITEMS);
        PageRequest {
            marker,
            max_items: usize::try_from(max_items).unwrap_or(usize::MAX),
        }
    }

    /// The page of `items` this request asks for; a marker this endpoint did not hand out (or one
    /// past the end of the list) is refused as AWS refuses it.
    pub(super) fn page<T>(&self, mut items: Vec<T>) -> Result<Page<T>, ApiError> {
        let start = match self.marker {
            None => 0,
            Some(marker) => parse_marker(marker)
                .filter(|&start| start <= items.len())
                .ok_or_else(|| ApiError::validation("Invalid Marker."))?,
        };
        let end = start.saturating_add(self.max_items).min(items.len());
        let next = (end < items.len()).then(|| make_marker(end));
        items.truncate(end);
        items.drain(..start);
        Ok(Page { items, next })
    }
}

/// One page of a list and where the next starts.
#[derive(Debug)]
pub(super) struct Page<T> {
    /// The items on this page.
    pub(super) items: Vec<T>,
    /// The marker of the next page, when the list is truncated.
    pub(super) next: Option<String>,
}

impl<T> Page<T> {
    /// Writes `<IsTruncated>` and, when truncated, `<Marker>` after the list.
    pub(super) fn write_tail(&self, xml: &mut Xml) {
        match &self.next {
            Some(marker) => xml.text("IsTruncated", "true").text("Marker", marker),
            None => xml.text("IsTruncated", "false"),
        };
    }
}

/// Markers are opaque to clients, as IAM's are; inside is the index the next page starts at.
fn make_marker(start: usize) -> String {
    data_encoding::BASE64URL_NOPAD.encode(format!("iam-local:{start}").as_bytes())
}

fn parse_marker(marker: &str) -> Option<usize> {
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(marker.as_bytes())
        .ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("iam-local:")?
        .parse()
        .ok()
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
    fn pages_walk_a_list_with_opaque_markers() {
        let all: Vec<u32> = (0..5).collect();
        let p = params(&[("MaxItems", "2")]);
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..5 {
            let mut with_marker = p.clone();
            if let Some(m) = &marker {
                with_marker.insert("Marker".into(), m.clone());
            }
            let mut v = Validator::default();
            let req = PageRequest::read(&mut v, &with_marker);
            v.finish().unwrap();
            let page = req.page(all.clone()).unwrap();
            assert!(page.items.len() <= 2);
            seen.extend(page.items);
            marker = page.next;
            if marker.is_none() {
                break;
            }
            assert!(!marker.as_ref().unwrap().contains(char::is_whitespace));
        }
        assert_eq!(seen, all);
        for bad in ["invalid-marker-value", &make_marker(6)] {
            let p = params(&[("Marker", bad)]);
            let mut v = Validator::default();
            let req = PageRequest::read(&mut v, &p);
            let err = req.page(all.clone()).unwrap_err();
            assert_eq!(
                (err.code, err.message.as_str()),
                ("ValidationError", "Invalid Marker.")
            );
        }
        let mut xml = Xml::new();
        Page::<u8> {
            items: vec![],
            next: None,
        }
        .write_tail(&mut xml);
        assert_eq!(xml.finish(), "<IsTruncated>false</IsTruncated>");
    }
}
