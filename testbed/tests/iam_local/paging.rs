//! Lists page as AWS is allowed to page them: short pages (IsTruncated with fewer items than
//! MaxItems) and markers that need form-escaping. Every list is walked whole, with the SDK's
//! paginators and by hand, for 0, 1, 2, 3, 7 and 25 devices and MaxItems unset, 1, 2 and 100.

use std::time::SystemTime;

use testbed::iam_local::{Config, SHORT_PAGE, Server, State};

use crate::harness::{RawRequest, SEED, admin_iam, alice_iam, credentials, start};

const LENGTHS: [usize; 6] = [0, 1, 2, 3, 7, 25];
const MAX_ITEMS: [Option<i32>; 4] = [None, Some(1), Some(2), Some(100)];

/// The demo account with bob, who has `n` devices, and `n` virtual devices in all (alice's demo
/// device is taken out; bob's are the account's only ones).
fn world(n: usize) -> State {
    let mut state = State::demo(SEED).with_user("bob");
    state.devices.clear();
    for i in 0..n {
        state = state.with_device_for("bob", &format!("bob-{i:02}"), SEED);
    }
    state
}

fn expected(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("arn:aws:iam::123456789012:mfa/bob-{i:02}"))
        .collect()
}

/// What each page must look like: at most MaxItems, at most 2 once the list is longer than 2;
/// every marker with `+`, `/` and `=`; a truncated page with fewer items than MaxItems is fine.
fn check_pages(n: usize, max: Option<i32>, pages: &[(usize, bool, Option<String>)]) {
    let max = max.map_or(100, |m| m as usize);
    let cap = if n > SHORT_PAGE {
        max.min(SHORT_PAGE)
    } else {
        max
    };
    let context = format!("{n} devices, MaxItems {max}: {pages:?}");
    assert_eq!(pages.len(), n.div_ceil(cap).max(1), "{context}");
    for (i, (len, truncated, marker)) in pages.iter().enumerate() {
        assert!(*len <= cap, "{context}");
        let last = i + 1 == pages.len();
        assert_eq!(*truncated, !last, "{context}");
        assert_eq!(marker.is_some(), !last, "{context}");
        if let Some(marker) = marker {
            for c in ['+', '/', '='] {
                assert!(marker.contains(c), "{marker} lacks {c}; {context}");
            }
            assert!(marker.len() <= 320, "{context}");
        }
    }
    if n > SHORT_PAGE && max > SHORT_PAGE {
        assert!(pages[0].0 < max && pages[0].1, "a short page: {context}");
    }
}

async fn server(n: usize) -> Server {
    start(Config::new(world(n))).await
}

#[tokio::test]
async fn list_mfa_devices_walks_whole_with_the_paginator_and_by_hand() {
    for n in LENGTHS {
        let server = server(n).await;
        let admin = admin_iam(&server);
        for max in MAX_ITEMS {
            let mut pager = admin.list_mfa_devices().user_name("bob").into_paginator();
            if let Some(m) = max {
                pager = pager.page_size(m);
            }
            let mut stream = pager.send();
            let mut seen = Vec::new();
            let mut pages = Vec::new();
            while let Some(page) = stream.next().await {
                let page = page.unwrap();
                let serials = page
                    .mfa_devices()
                    .iter()
                    .map(|d| d.serial_number().to_owned());
                seen.extend(serials);
                pages.push((
                    page.mfa_devices().len(),
                    page.is_truncated(),
                    page.marker().map(str::to_owned),
                ));
            }
            assert_eq!(seen, expected(n), "paginator, MaxItems {max:?}");
            check_pages(n, max, &pages);

            let (mut seen, mut pages, mut marker) = (Vec::new(), Vec::new(), None::<String>);
            loop {
                let out = admin
                    .list_mfa_devices()
                    .user_name("bob")
                    .set_max_items(max)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .unwrap();
                seen.extend(
                    out.mfa_devices()
                        .iter()
                        .map(|d| d.serial_number().to_owned()),
                );
                pages.push((
                    out.mfa_devices().len(),
                    out.is_truncated(),
                    out.marker().map(str::to_owned),
                ));
                marker = out.marker().map(str::to_owned);
                if !out.is_truncated() {
                    break;
                }
                assert!(pages.len() <= 30, "no end");
            }
            assert_eq!(seen, expected(n), "by hand, MaxItems {max:?}");
            check_pages(n, max, &pages);
        }
    }
}

#[tokio::test]
async fn list_virtual_mfa_devices_walks_whole_with_the_paginator_and_by_hand() {
    for n in LENGTHS {
        let server = server(n).await;
        let alice = alice_iam(&server);
        for max in MAX_ITEMS {
            let mut pager = alice.list_virtual_mfa_devices().into_paginator();
            if let Some(m) = max {
                pager = pager.page_size(m);
            }
            let mut stream = pager.send();
            let (mut seen, mut pages) = (Vec::new(), Vec::new());
            while let Some(page) = stream.next().await {
                let page = page.unwrap();
                let devices = page.virtual_mfa_devices();
                seen.extend(devices.iter().map(|d| d.serial_number().to_owned()));
                pages.push((
                    devices.len(),
                    page.is_truncated(),
                    page.marker().map(str::to_owned),
                ));
            }
            assert_eq!(seen, expected(n), "paginator, MaxItems {max:?}");
            check_pages(n, max, &pages);
            // The SDK's item paginator flattens the same pages.
            let mut pager = alice.list_virtual_mfa_devices().into_paginator();
            if let Some(m) = max {
                pager = pager.page_size(m);
            }
            let items: Vec<_> = pager.items().send().collect().await;
            let serials: Vec<String> = items
                .into_iter()
                .map(|d| d.unwrap().serial_number().to_owned())
                .collect();
            assert_eq!(serials, expected(n), "items, MaxItems {max:?}");

            let (mut seen, mut pages, mut marker) = (Vec::new(), Vec::new(), None::<String>);
            loop {
                let out = alice
                    .list_virtual_mfa_devices()
                    .set_max_items(max)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .unwrap();
                let devices = out.virtual_mfa_devices();
                seen.extend(devices.iter().map(|d| d.serial_number().to_owned()));
                pages.push((
                    devices.len(),
                    out.is_truncated(),
                    out.marker().map(str::to_owned),
                ));
                marker = out.marker().map(str::to_owned);
                if !out.is_truncated() {
                    break;
                }
                assert!(pages.len() <= 30, "no end");
            }
            assert_eq!(seen, expected(n), "by hand, MaxItems {max:?}");
            check_pages(n, max, &pages);
        }
    }
}

#[tokio::test]
async fn account_aliases_page_too() {
    for alias in [None, Some("example-corp")] {
        let mut state = State::demo(SEED);
        state.account_alias = alias.map(str::to_owned);
        let server = start(Config::new(state)).await;
        for max in MAX_ITEMS {
            let mut pager = alice_iam(&server).list_account_aliases().into_paginator();
            if let Some(m) = max {
                pager = pager.page_size(m);
            }
            let pages: Vec<_> = pager.send().collect::<Vec<_>>().await;
            let aliases: Vec<String> = pages
                .into_iter()
                .flat_map(|p| p.unwrap().account_aliases().to_vec())
                .collect();
            assert_eq!(
                aliases,
                alias.into_iter().map(str::to_owned).collect::<Vec<_>>()
            );
        }
    }
}

/// The text of the first `<tag>` of a raw answer.
fn first<'x>(xml: &'x str, tag: &str) -> Option<&'x str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    Some(&xml[start..start + xml[start..].find(&format!("</{tag}>"))?])
}

/// A raw ListVirtualMFADevices as alice, with `extra` appended to the form body as is.
async fn raw_list(server: &Server, extra: &str) -> (u16, String) {
    let body = format!("Action=ListVirtualMFADevices&Version=2010-05-08&MaxItems=2{extra}");
    let creds = credentials(
        testbed::iam_local::TEST_ACCESS_KEY_ID,
        testbed::iam_local::TEST_SECRET_ACCESS_KEY,
        None,
    );
    let response = RawRequest::form(&body)
        .signed(server, "iam", &creds, SystemTime::now())
        .send(server)
        .await
        .expect("an answer");
    (response.status, response.body)
}

#[tokio::test]
async fn a_client_that_does_not_escape_the_marker_is_refused() {
    let server = server(7).await;
    let (status, body) = raw_list(&server, "").await;
    assert_eq!(status, 200, "{body}");
    let marker = first(&body, "Marker").expect("truncated").to_owned();
    // Sent as is, `+` reads as a space in a form body: not a marker this endpoint handed out.
    let (status, body) = raw_list(&server, &format!("&Marker={marker}")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(first(&body, "Code"), Some("ValidationError"));
    assert_eq!(first(&body, "Message"), Some("Invalid Marker."));
    // Escaped, it is the next page.
    let escaped: String = form_urlencoded::byte_serialize(marker.as_bytes()).collect();
    let (status, body) = raw_list(&server, &format!("&Marker={escaped}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        first(&body, "SerialNumber"),
        Some("arn:aws:iam::123456789012:mfa/bob-02")
    );
}
