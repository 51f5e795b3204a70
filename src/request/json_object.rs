//! A JSON object's members in document order, duplicates kept: serde_json's `Map` silently keeps
//! only the last of two equal keys, so a `--cli-input-json` or a `--batch` line with `UserName`
//! twice would act on whichever came last. Callers refuse a duplicate, naming it.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::model::looks_like_seed;

/// A key or name from the input as an error may show it: quoted and cut short, or not at all when
/// it looks like a seed.
pub fn shown(value: &str, at_most: usize) -> String {
    if looks_like_seed(value) {
        "(not shown: it looks like a seed)".into()
    } else {
        format!("{:?}", value.chars().take(at_most).collect::<String>())
    }
}

/// Why text is not one JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnObject {
    /// Not JSON at all: where the parser stopped.
    Invalid {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON, but an array, a string, a number, `true`, `false` or `null`.
    OtherValue,
}

/// The members of one JSON object, in order.
#[derive(Debug, Default)]
pub struct Members(pub Vec<(String, Value)>);

impl Members {
    /// Parses `text` as one JSON object.
    pub fn parse(text: &str) -> Result<Members, NotAnObject> {
        let invalid = |e: serde_json::Error| NotAnObject::Invalid {
            line: e.line(),
            column: e.column(),
        };
        let value: Value = serde_json::from_str(text).map_err(invalid)?;
        if !value.is_object() {
            return Err(NotAnObject::OtherValue);
        }
        // Valid JSON and an object: the second pass, which keeps duplicates, cannot fail.
        serde_json::from_str(text).map_err(invalid)
    }

    /// The first key that appears twice.
    pub fn duplicate(&self) -> Option<&str> {
        self.0.iter().enumerate().find_map(|(i, (key, _))| {
            self.0[..i]
                .iter()
                .any(|(earlier, _)| earlier == key)
                .then_some(key.as_str())
        })
    }
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_kept_and_found() {
        let m = Members::parse(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(m.0.len(), 3);
        assert_eq!(m.duplicate(), Some("a"));
        assert_eq!(Members::parse(r#"{"a": 1}"#).unwrap().duplicate(), None);
        assert_eq!(Members::parse("[]").unwrap_err(), NotAnObject::OtherValue);
        assert!(matches!(
            Members::parse("{\"a\": ").unwrap_err(),
            NotAnObject::Invalid { line: 1, .. }
        ));
    }
}
