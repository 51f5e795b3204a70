//! The Marker/MaxItems pagination of list actions, cut the way AWS is allowed to cut it.
//!
//! IAM's API reference says of every List action: "IAM might return fewer results, even when
//! there are more results available. In that case, the IsTruncated response element returns
//! true, and Marker contains a value to include in the subsequent call". A client that stops at a
//! short page, or that sends the marker back without form-escaping it, works against an endpoint
//! that always fills its pages with markers of plain letters, and fails against AWS. So, unless
//! short pages are turned off ([`crate::iam_local::Config::short_pages`]), a page of a list longer
//! than [`SHORT_PAGE`] items never holds more than [`SHORT_PAGE`], whatever MaxItems says; and
//! every marker, short pages or not, holds `+`, `/` and `=` (standard base64 with padding), within
//! IAM's marker rule (1–320 of `[\u0020-\u00FF]`). Both are deterministic: the same list and request
//! always get the same pages.

use std::collections::BTreeMap;

use super::validate::{Rule, Validator};
use crate::iam_local::error::ApiError;
use crate::iam_local::query::Xml;

/// `MaxItems` when a list request gives none (IAM API reference, every List action).
const DEFAULT_MAX_ITEMS: u64 = 100;

/// With short pages on, the most items a page of a list longer than this holds.
pub const SHORT_PAGE: usize = 2;

/// What every marker's bytes start with: base64 `+/+/`, so that each marker holds both characters
/// a form body must escape.
const MARKER_LEAD: [u8; 3] = [0xfb, 0xff, 0xbf];
/// What the index inside a marker is written after.
const MARKER_TAG: &str = "iam-local:";

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

    /// The page of `items` this request asks for, cut short as described above when `short` is
    /// on; a marker this endpoint did not hand out (or one past the end of the list) is refused as
    /// AWS refuses it.
    pub(super) fn page<T>(&self, mut items: Vec<T>, short: bool) -> Result<Page<T>, ApiError> {
        let start = match self.marker {
            None => 0,
            Some(marker) => parse_marker(marker)
                .filter(|&start| start <= items.len())
                .ok_or_else(|| ApiError::validation("Invalid Marker."))?,
        };
        let limit = if short && items.len() > SHORT_PAGE {
            self.max_items.min(SHORT_PAGE)
        } else {
            self.max_items
        };
        let end = start.saturating_add(limit).min(items.len());
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

/// Markers are opaque to clients, as IAM's are; inside is the index the next page starts at,
/// after bytes that encode as `+/+/`, and the text is padded so that it ends in `=`.
fn make_marker(start: usize) -> String {
    let mut text = format!("{MARKER_TAG}{start}");
    // Three bytes of lead plus a length that is not a multiple of 3: base64 pads with `=`.
    if text.len() % 3 == 0 {
        text.push(';');
    }
    let mut bytes = MARKER_LEAD.to_vec();
    bytes.extend_from_slice(text.as_bytes());
    data_encoding::BASE64.encode(&bytes)
}

fn parse_marker(marker: &str) -> Option<usize> {
    let bytes = data_encoding::BASE64.decode(marker.as_bytes()).ok()?;
    let text = std::str::from_utf8(bytes.strip_prefix(&MARKER_LEAD[..])?).ok()?;
    let index = text.strip_prefix(MARKER_TAG)?;
    index.strip_suffix(';').unwrap_or(index).parse().ok()
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

    /// Every page of `0..len` asked with `max_items` (none: the default), walked by marker.
    fn walk(len: u32, max_items: Option<&str>, short: bool) -> Vec<Vec<u32>> {
        let all: Vec<u32> = (0..len).collect();
        let mut pages = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut p = params(&[]);
            if let Some(m) = max_items {
                p.insert("MaxItems".into(), m.into());
            }
            if let Some(m) = &marker {
                p.insert("Marker".into(), m.clone());
            }
            let mut v = Validator::default();
            let req = PageRequest::read(&mut v, &p);
            v.finish().unwrap();
            let page = req.page(all.clone(), short).unwrap();
            pages.push(page.items);
            match page.next {
                Some(m) => marker = Some(m),
                None => return pages,
            }
            assert!(pages.len() <= 30, "the walk does not end");
        }
    }

    #[test]
    fn short_pages_walk_every_list_whole_with_at_most_two_items_a_page() {
        for len in [0, 1, 2, 3, 7, 25] {
            for max in [None, Some("1"), Some("2"), Some("100")] {
                let pages = walk(len, max, true);
                let seen: Vec<u32> = pages.iter().flatten().copied().collect();
                assert_eq!(seen, (0..len).collect::<Vec<_>>(), "{len} items, {max:?}");
                let max: usize = max.map_or(100, |m| m.parse().unwrap());
                let cap = if len as usize > SHORT_PAGE {
                    max.min(SHORT_PAGE)
                } else {
                    max
                };
                for page in &pages {
                    assert!(page.len() <= cap, "{len} items, MaxItems {max}: {pages:?}");
                }
                let expected_pages = (len as usize).div_ceil(cap).max(1);
                assert_eq!(pages.len(), expected_pages, "{len} items, MaxItems {max}");
            }
        }
        // A short page: fewer items than MaxItems, and truncated.
        assert_eq!(walk(3, Some("100"), true), [vec![0, 1], vec![2]]);
        assert_eq!(walk(2, Some("100"), true), [vec![0, 1]]);
        // Off, pages are as full as MaxItems allows.
        assert_eq!(walk(7, None, false), [(0..7).collect::<Vec<_>>()]);
        assert_eq!(walk(5, Some("2"), false).len(), 3);
    }

    #[test]
    fn markers_need_escaping_and_stay_within_iams_rule() {
        for start in [0, 1, 2, 9, 10, 99, 100, 999, 12_345, usize::MAX] {
            let marker = make_marker(start);
            for c in ['+', '/', '='] {
                assert!(marker.contains(c), "{marker} has no {c}");
            }
            assert!((1..=320).contains(&marker.chars().count()), "{marker}");
            assert!(Rule::Marker.matches(&marker), "{marker}");
            assert_eq!(parse_marker(&marker), Some(start), "{marker}");
        }
        // A client that forgets to escape sends `+` as a space: not a marker of ours.
        let mangled = make_marker(2).replace('+', " ");
        assert_eq!(parse_marker(&mangled), None);
        for bad in ["invalid-marker-value", &make_marker(6), &mangled] {
            let p = params(&[("Marker", bad)]);
            let mut v = Validator::default();
            let req = PageRequest::read(&mut v, &p);
            let err = req.page((0..5).collect::<Vec<u32>>(), true).unwrap_err();
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
