//! Account aliases, the stand-in for IAM policies (explicit denies), and partitions with the region
//! each request was signed for, through the real SDK.

use aws_sdk_iam::error::ProvideErrorMetadata;
use testbed::iam_local::{
    Config, LogEntry, Partition, State, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY,
};

use crate::harness::{SEED, admin_iam, alice_iam, credentials, current_pair, iam_in, start, sts};

#[tokio::test]
async fn aliases_round_trip_one_per_account() {
    let state = State::demo(SEED).with_foreign_alias("security");
    let server = start(Config::new(state)).await;
    let admin = admin_iam(&server);
    let alice = alice_iam(&server);
    let list = || async {
        let out = alice.list_account_aliases().send().await.unwrap();
        assert!(!out.is_truncated());
        out.account_aliases().to_vec()
    };
    assert!(list().await.is_empty());
    admin
        .create_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap();
    assert_eq!(list().await, ["example-corp"]);
    admin
        .create_account_alias()
        .account_alias("example-two")
        .send()
        .await
        .unwrap();
    assert_eq!(
        list().await,
        ["example-two"],
        "a new alias replaces the old"
    );
    let err = admin
        .create_account_alias()
        .account_alias("security")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_entity_already_exists_exception()
    );
    assert_eq!(
        err.message(),
        Some("The account alias security already exists.")
    );
    let err = alice
        .create_account_alias()
        .account_alias("mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let err = admin
        .create_account_alias()
        .account_alias("No--Good")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    let err = admin
        .delete_account_alias()
        .account_alias("example-corp")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_no_such_entity_exception()
    );
    admin
        .delete_account_alias()
        .account_alias("example-two")
        .send()
        .await
        .unwrap();
    assert!(list().await.is_empty());
    assert_eq!(server.state().account_alias, None);
}

#[tokio::test]
async fn denied_actions_answer_access_denied_as_aws_words_it() {
    let state = State::demo(SEED)
        .deny("alice", "ListAccountAliases")
        .deny("alice", "iam:DeactivateMFADevice");
    let server = start(Config::new(state)).await;
    let alice = alice_iam(&server);
    let err = alice.list_account_aliases().send().await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some(
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListAccountAliases on resource: * with an explicit deny in an identity-based policy"
        )
    );
    let err = alice
        .deactivate_mfa_device()
        .serial_number(testbed::iam_local::DEMO_SERIAL)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some(
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:DeactivateMFADevice on resource: arn:aws:iam::123456789012:user/alice with an explicit deny in an identity-based policy"
        )
    );
    assert_eq!(server.state().devices_of("alice").len(), 1, "still enabled");
    // What is not denied still works, for alice and for others.
    alice.list_mfa_devices().send().await.unwrap();
    admin_iam(&server)
        .list_account_aliases()
        .send()
        .await
        .unwrap();
    let statuses: Vec<_> = server.log().iter().map(|e| e.status).collect();
    assert_eq!(statuses, [403, 403, 200, 200]);
}

/// The requests of `action` in the log.
fn requests<'l>(log: &'l [LogEntry], action: &str) -> Vec<&'l LogEntry> {
    log.iter().filter(|e| e.action == action).collect()
}

#[tokio::test]
async fn govcloud_arns_and_the_region_each_request_was_signed_for() {
    let dir = tempfile::tempdir().unwrap();
    let log_file = dir.path().join("requests.jsonl");
    let mut config = Config::new(State::demo(SEED).with_partition(Partition::AwsUsGov));
    config.log_file = Some(log_file.clone());
    let server = start(config).await;
    let creds = credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, None);
    let gov = iam_in(&server, creds.clone(), None, "us-gov-west-1");
    let serial = "arn:aws-us-gov:iam::123456789012:mfa/alice";
    let listed = gov.list_mfa_devices().send().await.unwrap();
    assert_eq!(listed.mfa_devices()[0].serial_number(), serial);
    let user = gov.get_user().send().await.unwrap();
    assert_eq!(
        user.user().unwrap().arn(),
        "arn:aws-us-gov:iam::123456789012:user/alice"
    );
    let (c1, c2) = current_pair(&server, SEED);
    gov.resync_mfa_device()
        .user_name("alice")
        .serial_number(serial)
        .authentication_code1(c1)
        .authentication_code2(c2)
        .send()
        .await
        .unwrap();
    let id = sts(&server, creds.clone()).await;
    let me = id.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws-us-gov:iam::123456789012:user/alice")
    );
    // SigV4 is accepted for any region; the log tells which one the client chose.
    iam_in(&server, creds, None, "us-east-1")
        .list_mfa_devices()
        .send()
        .await
        .unwrap();

    let log = server.log();
    let signed: Vec<_> = log
        .iter()
        .map(|e| (e.action.as_str(), e.service.as_str(), e.region.as_str()))
        .collect();
    assert_eq!(
        signed,
        [
            ("ListMFADevices", "iam", "us-gov-west-1"),
            ("GetUser", "iam", "us-gov-west-1"),
            ("ResyncMFADevice", "iam", "us-gov-west-1"),
            ("GetCallerIdentity", "sts", "us-east-1"),
            ("ListMFADevices", "iam", "us-east-1"),
        ]
    );
    assert_eq!(requests(&log, "ResyncMFADevice")[0].status, 200);
    let text = std::fs::read_to_string(&log_file).unwrap();
    assert!(text.contains(r#""region":"us-gov-west-1""#), "{text}");
    let from_file: Vec<LogEntry> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(from_file, log);
}

#[tokio::test]
async fn china_partition_arns_for_created_devices() {
    let server = start(Config::new(
        State::demo(SEED).with_partition(Partition::AwsCn),
    ))
    .await;
    let creds = credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, None);
    let cn = iam_in(&server, creds, None, "cn-north-1");
    let created = cn
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.virtual_mfa_device().unwrap().serial_number(),
        "arn:aws-cn:iam::123456789012:mfa/k"
    );
    assert_eq!(server.log()[0].region, "cn-north-1");
}
