//! Faults aimed at one action work for every action: `500` answers before anything changes,
//! `500-after` after the change took effect, `throttle` as AWS throttles.

use aws_sdk_iam::error::ProvideErrorMetadata;
use testbed::iam_local::{Config, DEMO_SERIAL, Fault, Server, State};

use crate::harness::{SEED, admin_iam, alice_iam, credentials, current_pair, start, sts};

/// Every action the endpoint answers.
const ACTIONS: [&str; 13] = [
    "GetCallerIdentity",
    "GetUser",
    "ListMFADevices",
    "ListVirtualMFADevices",
    "GetMFADevice",
    "CreateVirtualMFADevice",
    "EnableMFADevice",
    "ResyncMFADevice",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "ListAccountAliases",
    "CreateAccountAlias",
    "DeleteAccountAlias",
];

/// A FIDO security key of alice's: GetMFADevice answers only for those.
const FIDO_ARN: &str = "arn:aws:iam::123456789012:u2f/user/alice/fidosecuritykey-EXAMPLE";

fn world() -> State {
    State::demo(SEED)
        .with_alias("example-corp")
        .with_unassigned_device("spare", SEED)
        .with_fido_key_for("alice", "fidosecuritykey-EXAMPLE")
}

fn code<E: ProvideErrorMetadata>(err: E) -> Option<String> {
    err.code().map(str::to_owned)
}

/// Calls `action` as the admin, with arguments that fit `world()`; the error code if it failed.
async fn call(server: &Server, action: &str) -> Result<(), Option<String>> {
    let iam = admin_iam(server);
    let spare = server.state().mfa_serial("spare");
    match action {
        "GetCallerIdentity" => {
            let creds = credentials(
                testbed::iam_local::ADMIN_ACCESS_KEY_ID,
                testbed::iam_local::ADMIN_SECRET_ACCESS_KEY,
                None,
            );
            let sts = sts(server, creds).await;
            sts.get_caller_identity()
                .send()
                .await
                .map(drop)
                .map_err(code)
        }
        "GetUser" => iam.get_user().send().await.map(drop).map_err(code),
        "ListMFADevices" => iam.list_mfa_devices().send().await.map(drop).map_err(code),
        "ListVirtualMFADevices" => iam
            .list_virtual_mfa_devices()
            .send()
            .await
            .map(drop)
            .map_err(code),
        "GetMFADevice" => iam
            .get_mfa_device()
            .user_name("alice")
            .serial_number(FIDO_ARN)
            .send()
            .await
            .map(drop)
            .map_err(code),
        "CreateVirtualMFADevice" => iam
            .create_virtual_mfa_device()
            .virtual_mfa_device_name("new")
            .send()
            .await
            .map(drop)
            .map_err(code),
        "EnableMFADevice" => {
            let (c1, c2) = current_pair(server, SEED);
            iam.enable_mfa_device()
                .user_name("alice")
                .serial_number(spare)
                .authentication_code1(c1)
                .authentication_code2(c2)
                .send()
                .await
                .map(drop)
                .map_err(code)
        }
        "ResyncMFADevice" => {
            let (c1, c2) = current_pair(server, SEED);
            iam.resync_mfa_device()
                .user_name("alice")
                .serial_number(DEMO_SERIAL)
                .authentication_code1(c1)
                .authentication_code2(c2)
                .send()
                .await
                .map(drop)
                .map_err(code)
        }
        "DeactivateMFADevice" => iam
            .deactivate_mfa_device()
            .user_name("alice")
            .serial_number(DEMO_SERIAL)
            .send()
            .await
            .map(drop)
            .map_err(code),
        "DeleteVirtualMFADevice" => iam
            .delete_virtual_mfa_device()
            .serial_number(spare)
            .send()
            .await
            .map(drop)
            .map_err(code),
        "ListAccountAliases" => iam
            .list_account_aliases()
            .send()
            .await
            .map(drop)
            .map_err(code),
        "CreateAccountAlias" => iam
            .create_account_alias()
            .account_alias("example-new")
            .send()
            .await
            .map(drop)
            .map_err(code),
        "DeleteAccountAlias" => iam
            .delete_account_alias()
            .account_alias("example-corp")
            .send()
            .await
            .map(drop)
            .map_err(code),
        other => panic!("no call for {other}"),
    }
}

#[tokio::test]
async fn a_500_aimed_at_an_action_hits_that_action_only_and_changes_nothing() {
    for action in ACTIONS {
        let mut config = Config::new(world());
        config.faults = vec![format!("500-once@{action}").parse::<Fault>().unwrap()];
        let server = start(config).await;
        let other = if action == "GetUser" {
            "ListMFADevices"
        } else {
            "GetUser"
        };
        call(&server, other).await.unwrap();
        let before = server.state();
        let err = call(&server, action).await.unwrap_err();
        assert_eq!(err.as_deref(), Some("ServiceFailure"), "{action}");
        assert_eq!(
            server.state(),
            before,
            "{action}: a plain 500 comes before any change"
        );
        // Once only: the same call now goes through (every call above fits the world).
        call(&server, action)
            .await
            .unwrap_or_else(|e| panic!("{action} after the fault: {e:?}"));
        let log = server.log();
        let faults: Vec<_> = log
            .iter()
            .map(|e| (e.action.as_str(), e.fault.as_deref()))
            .collect();
        let expected = format!("500-once@{action}");
        assert_eq!(
            faults,
            [
                (other, None),
                (action, Some(expected.as_str())),
                (action, None)
            ],
            "{action}"
        );
    }
}

#[tokio::test]
async fn a_500_after_takes_effect_for_every_changing_action() {
    let changing = [
        "CreateVirtualMFADevice",
        "EnableMFADevice",
        "ResyncMFADevice",
        "DeactivateMFADevice",
        "DeleteVirtualMFADevice",
        "CreateAccountAlias",
        "DeleteAccountAlias",
    ];
    for action in changing {
        let mut config = Config::new(world());
        config.faults = vec![format!("500-after@{action}").parse::<Fault>().unwrap()];
        let server = start(config).await;
        let before = server.state();
        let err = call(&server, action).await.unwrap_err();
        assert_eq!(err.as_deref(), Some("ServiceFailure"), "{action}");
        assert_ne!(server.state(), before, "{action}: the change took effect");
    }
}

#[tokio::test]
async fn throttling_create_once_leaves_no_device_and_the_retry_works() {
    let mut config = Config::new(State::demo(SEED));
    config.faults = vec!["throttle-once@CreateVirtualMFADevice".parse().unwrap()];
    let server = start(config).await;
    let alice = alice_iam(&server);
    let create = || {
        alice
            .create_virtual_mfa_device()
            .virtual_mfa_device_name("alice-key")
            .send()
    };
    let err = create().await.unwrap_err();
    assert_eq!(err.code(), Some("Throttling"));
    assert_eq!(err.message(), Some("Rate exceeded"));
    assert_eq!(server.state().devices.len(), 1, "nothing created");
    let created = create().await.unwrap();
    assert!(
        created
            .virtual_mfa_device()
            .unwrap()
            .qr_code_png()
            .is_some()
    );
    let faults: Vec<_> = server
        .log()
        .into_iter()
        .map(|e| (e.status, e.fault))
        .collect();
    assert_eq!(
        faults,
        [
            (400, Some("throttle-once@CreateVirtualMFADevice".to_owned())),
            (200, None)
        ]
    );
}

#[tokio::test]
async fn enable_answering_500_after_it_took_effect_leaves_the_device_enabled() {
    let mut config = Config::new(State::demo(SEED).with_unassigned_device("new", SEED));
    config.faults = vec!["500-after@EnableMFADevice".parse().unwrap()];
    let server = start(config).await;
    let alice = alice_iam(&server);
    let serial = server.state().mfa_serial("new");
    let (c1, c2) = current_pair(&server, SEED);
    let enable = || {
        alice
            .enable_mfa_device()
            .user_name("alice")
            .serial_number(&serial)
            .authentication_code1(&c1)
            .authentication_code2(&c2)
            .send()
    };
    let err = enable().await.unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_service_failure_exception()
    );
    // What a client must check before rolling back: the device is enabled.
    let listed = alice.list_mfa_devices().send().await.unwrap();
    assert!(
        listed
            .mfa_devices()
            .iter()
            .any(|d| d.serial_number() == serial)
    );
    assert_eq!(server.state().assigned_to(&serial), Some("alice"));
    let log = server.log();
    let entry = log.iter().find(|e| e.action == "EnableMFADevice").unwrap();
    assert!(entry.counters.is_some());
    assert_eq!(
        entry.fault.as_deref(),
        Some("500-after-once@EnableMFADevice")
    );
    let err = enable().await.unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_entity_already_exists_exception()
    );
}

#[tokio::test]
async fn create_answering_500_after_leaves_an_orphan_that_blocks_the_name() {
    let mut config = Config::new(State::demo(SEED));
    config.faults = vec!["500-after@CreateVirtualMFADevice".parse().unwrap()];
    let server = start(config).await;
    let alice = alice_iam(&server);
    let create = || {
        alice
            .create_virtual_mfa_device()
            .virtual_mfa_device_name("k")
            .send()
    };
    assert_eq!(create().await.unwrap_err().code(), Some("ServiceFailure"));
    let orphans: Vec<_> = server
        .state()
        .unassigned_devices()
        .iter()
        .map(|d| d.serial.clone())
        .collect();
    assert_eq!(orphans, ["arn:aws:iam::123456789012:mfa/k"]);
    assert_eq!(
        create().await.unwrap_err().code(),
        Some("EntityAlreadyExists")
    );
}
