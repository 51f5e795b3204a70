//! The `Tags` of a create action (`Tags.member.N.Key`, `Tags.member.N.Value`), checked as IAM
//! checks them.
//!
//! The model's constraints come first, with the other members' (`tagListType`: at most 50;
//! `tagKeyType`: 1–128 of `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`; `tagValueType`: 0–256 of the same, `*`;
//! both members required), in the Coral wording AWS answers with: "Value at 'tags' failed to
//! satisfy constraint: Member must have length less than or equal to 50", "Value at
//! 'tags.N.member.key' …" (LocalStack's IAM provider, whose errors are checked against AWS; tag
//! values are not echoed). Then IAM's own checks, 400 InvalidInput: keys unique regardless of case,
//! "Duplicate tag keys found. Please note that Tag keys are case insensitive." (moto and other
//! emulators quote these words), and no key starting with `aws:`, which AWS reserves ("Tag keys
//! beginning with aws: are reserved for system use.").

use std::collections::{BTreeMap, BTreeSet};

use super::validate::{Rule, Validator};
use crate::iam_local::error::ApiError;
use crate::iam_local::state::Tag;

/// IAM's limit on the tags of one resource, and of one request's `Tags`.
pub const MAX_TAGS: usize = 50;

/// The tags of a request, in member order; constraint violations are recorded in `v` (call
/// [`check_tags`] after `v.finish()`).
pub(super) fn read_tags(v: &mut Validator, params: &BTreeMap<String, String>) -> Vec<Tag> {
    let indices: BTreeSet<usize> = params
        .keys()
        .filter_map(|name| {
            let rest = name.strip_prefix("Tags.member.")?;
            let (index, field) = rest.split_once('.')?;
            matches!(field, "Key" | "Value")
                .then(|| index.parse().ok())
                .flatten()
        })
        .collect();
    if indices.len() > MAX_TAGS {
        v.violation(format!(
            "Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to {MAX_TAGS}"
        ));
    }
    let mut tags = Vec::new();
    for n in indices {
        let key = v.required(
            params,
            &format!("Tags.member.{n}.Key"),
            &format!("tags.{n}.member.key"),
            Rule::TagKey,
        );
        let value = v.required(
            params,
            &format!("Tags.member.{n}.Value"),
            &format!("tags.{n}.member.value"),
            Rule::TagValue,
        );
        if let (Some(key), Some(value)) = (key, value) {
            tags.push(Tag {
                key: key.to_owned(),
                value: value.to_owned(),
            });
        }
    }
    tags
}

/// IAM's checks after the model's: unique keys regardless of case, none in the `aws:` namespace.
pub(super) fn check_tags(tags: &[Tag]) -> Result<(), ApiError> {
    let mut seen = BTreeSet::new();
    for tag in tags {
        let folded = tag.key.to_lowercase();
        if folded.starts_with("aws:") {
            return Err(ApiError::invalid_input(
                "Tag keys beginning with aws: are reserved for system use.",
            ));
        }
        if !seen.insert(folded) {
            return Err(ApiError::invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_params(tags: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        for (i, (k, v)) in tags.iter().enumerate() {
            p.insert(format!("Tags.member.{}.Key", i + 1), (*k).to_owned());
            p.insert(format!("Tags.member.{}.Value", i + 1), (*v).to_owned());
        }
        p
    }

    fn read(p: &BTreeMap<String, String>) -> Result<Vec<Tag>, ApiError> {
        let mut v = Validator::default();
        let tags = read_tags(&mut v, p);
        v.finish()?;
        check_tags(&tags)?;
        Ok(tags)
    }

    #[test]
    fn tags_read_in_member_order() {
        let mut p = tag_params(&[("b", "2"), ("a", ""), ("c", "3")]);
        p.insert("VirtualMFADeviceName".into(), "x".into());
        // Members sort by number, not by text: 10 comes after 9.
        for n in 4..=10 {
            p.insert(format!("Tags.member.{n}.Key"), format!("k{n}"));
            p.insert(format!("Tags.member.{n}.Value"), String::new());
        }
        let tags = read(&p).unwrap();
        let keys: Vec<_> = tags.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            ["b", "a", "c", "k4", "k5", "k6", "k7", "k8", "k9", "k10"]
        );
        assert_eq!(tags[1].value, "");
        assert!(read(&BTreeMap::new()).unwrap().is_empty());
    }

    #[test]
    fn fifty_tags_pass_and_fifty_one_do_not() {
        let keys: Vec<String> = (1..=51).map(|i| format!("key{i}")).collect();
        let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
        assert_eq!(read(&tag_params(&pairs[..50])).unwrap().len(), 50);
        let err = read(&tag_params(&pairs)).unwrap_err();
        assert_eq!(
            (err.status, err.code, err.message.as_str()),
            (
                400,
                "ValidationError",
                "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
            )
        );
    }

    #[test]
    fn key_and_value_lengths_and_characters() {
        let long_key = "k".repeat(129);
        let long_value = "v".repeat(257);
        let max_key = "k".repeat(128);
        let max_value = "v".repeat(256);
        assert!(read(&tag_params(&[(&max_key, &max_value)])).is_ok());
        let err = read(&tag_params(&[(&long_key, "v")])).unwrap_err();
        assert_eq!(
            err.message,
            "1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"
        );
        let err = read(&tag_params(&[("k", &long_value)])).unwrap_err();
        assert_eq!(
            err.message,
            "1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"
        );
        let err = read(&tag_params(&[("ok", "v"), ("", "v")])).unwrap_err();
        assert!(
            err.message
                .contains("'tags.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"),
            "{}",
            err.message
        );
        let err = read(&tag_params(&[("k", "bad*value")])).unwrap_err();
        assert!(
            err.message.contains("tags.1.member.value"),
            "{}",
            err.message
        );
        assert!(
            !err.message.contains("bad*value"),
            "tag values are not echoed"
        );
        let mut p = BTreeMap::new();
        p.insert("Tags.member.1.Key".to_owned(), "k".to_owned());
        let err = read(&p).unwrap_err();
        assert_eq!(
            err.message,
            "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn keys_are_unique_regardless_of_case_and_not_aws() {
        for dup in [
            [("team", "a"), ("team", "b")],
            [("Team", "a"), ("tEAM", "b")],
        ] {
            let err = read(&tag_params(&dup)).unwrap_err();
            assert_eq!(
                (err.status, err.code, err.message.as_str()),
                (
                    400,
                    "InvalidInput",
                    "Duplicate tag keys found. Please note that Tag keys are case insensitive."
                )
            );
        }
        let err = read(&tag_params(&[("AWS:cost", "x")])).unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str()),
            (
                "InvalidInput",
                "Tag keys beginning with aws: are reserved for system use."
            )
        );
        assert!(read(&tag_params(&[("team", "same"), ("owner", "same")])).is_ok());
    }
}
