//! CreateVirtualMFADevice with Tags: kept with the device, refused as IAM refuses them, gone with
//! the device.

use super::mfa::first;
use super::{FULL_PAGES, SEED, alice, run, run_with};
use crate::iam_local::state::{Principal, State, Tag};

fn create(state: &mut State, name: &str, tags: &[(&str, &str)]) -> Result<String, String> {
    let mut owned: Vec<(String, String)> = vec![("VirtualMFADeviceName".into(), name.into())];
    for (i, (k, v)) in tags.iter().enumerate() {
        owned.push((format!("Tags.member.{}.Key", i + 1), (*k).into()));
        owned.push((format!("Tags.member.{}.Value", i + 1), (*v).into()));
    }
    let p: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    run(state, alice(), "CreateVirtualMFADevice", &p)
        .map(|o| o.result.unwrap())
        .map_err(|e| format!("{} {}: {}", e.status, e.code, e.message))
}

#[test]
fn the_device_keeps_its_tags_and_lists_do_not_show_them() {
    let mut state = State::demo(SEED);
    let xml = create(&mut state, "desk", &[("team", "desk"), ("owner", "")]).unwrap();
    let serial = first(&xml, "SerialNumber").unwrap();
    assert_eq!(
        state.tags_of(serial),
        [
            Tag {
                key: "team".into(),
                value: "desk".into()
            },
            Tag {
                key: "owner".into(),
                value: String::new()
            }
        ]
    );
    let listed = run_with(
        &mut state,
        alice(),
        "ListVirtualMFADevices",
        &[],
        FULL_PAGES,
    )
    .unwrap()
    .result
    .unwrap();
    assert!(
        listed.contains(serial) && !listed.contains("<Tags>"),
        "{listed}"
    );
    let serial = serial.to_owned();
    run(
        &mut state,
        Principal::User("admin".into()),
        "DeleteVirtualMFADevice",
        &[("SerialNumber", &serial)],
    )
    .unwrap();
    assert!(state.tags_of(&serial).is_empty() && state.device_tags.is_empty());
}

#[test]
fn bad_tags_create_nothing() {
    let mut state = State::demo(SEED);
    let keys: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
    let many: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &many,
            "400 ValidationError: 1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ),
        (
            &[(&long_key, "v")],
            "400 ValidationError: 1 validation error detected: Value at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128",
        ),
        (
            &[("k", &long_value)],
            "400 ValidationError: 1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
        ),
        (
            &[("Team", "a"), ("team", "b")],
            "400 InvalidInput: Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ),
        (
            &[("aws:x", "a")],
            "400 InvalidInput: Tag keys beginning with aws: are reserved for system use.",
        ),
    ];
    for (tags, expected) in cases {
        assert_eq!(create(&mut state, "k", tags).unwrap_err(), expected);
    }
    assert_eq!(state.devices.len(), 1, "nothing was created");
    assert!(state.device_tags.is_empty());
    assert!(create(&mut state, "k", &many[..50]).is_ok());
    assert_eq!(state.tags_of(&state.mfa_serial("k")).len(), 50);
    // A taken name is still refused with AWS's words, tags or not.
    assert_eq!(
        create(&mut state, "k", &[]).unwrap_err(),
        "409 EntityAlreadyExists: MFADevice entity at the same path and name already exists."
    );
}
