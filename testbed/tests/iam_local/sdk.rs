//! The official AWS SDK for Rust against the endpoint: the calls mfa-resync makes, and the errors it
//! must recognise.

use std::time::Duration;

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::operation::RequestId;
use testbed::iam_local::{
    ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY, AccessKey, DEMO_SERIAL, Fault, Principal, State,
    TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, totp,
};

use crate::harness::{
    self, SEED, alice_iam, credentials, demo_config, iam, iam_with, pair, resync, server_counter,
    start, sts,
};

#[tokio::test]
async fn get_caller_identity_for_a_user() {
    let server = start(demo_config()).await;
    let client = sts(
        &server,
        credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, None),
    )
    .await;
    let out = client.get_caller_identity().send().await.unwrap();
    assert_eq!(out.arn(), Some("arn:aws:iam::123456789012:user/alice"));
    assert_eq!(out.account(), Some("123456789012"));
    assert_eq!(out.user_id(), Some("AIDACKCEVSQ6C2EXAMPLE"));
    let log = server.log();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].service.as_str(), log[0].action.as_str()),
        ("sts", "GetCallerIdentity")
    );
    assert_eq!(log[0].access_key_id.as_deref(), Some(TEST_ACCESS_KEY_ID));
    assert_eq!(out.request_id(), Some(log[0].request_id.as_str()));
}

#[tokio::test]
async fn get_caller_identity_for_a_role_session_with_token() {
    let mut config = demo_config();
    config.state.access_keys.push(AccessKey {
        id: "ASIAEXAMPLEROLE00001".into(),
        secret: "role-secret".into(),
        session_token: Some("session/token+value==".into()),
        expired: false,
        principal: Principal::AssumedRole {
            role: "ops".into(),
            session: "ci".into(),
        },
    });
    let server = start(config).await;
    let good = sts(
        &server,
        credentials(
            "ASIAEXAMPLEROLE00001",
            "role-secret",
            Some("session/token+value=="),
        ),
    )
    .await;
    let out = good.get_caller_identity().send().await.unwrap();
    assert_eq!(
        out.arn(),
        Some("arn:aws:sts::123456789012:assumed-role/ops/ci")
    );
    assert!(out.user_id().unwrap().ends_with(":ci"));
    let no_token = sts(
        &server,
        credentials("ASIAEXAMPLEROLE00001", "role-secret", None),
    )
    .await;
    let err = no_token.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    let wrong_token = sts(
        &server,
        credentials("ASIAEXAMPLEROLE00001", "role-secret", Some("other")),
    )
    .await;
    let err = wrong_token.get_caller_identity().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    // A role has no "self" in IAM.
    let role_iam = iam_with(
        &server,
        credentials(
            "ASIAEXAMPLEROLE00001",
            "role-secret",
            Some("session/token+value=="),
        ),
        None,
    );
    let err = role_iam.list_mfa_devices().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some("Must specify userName when calling with non-User credentials")
    );
    let listed = role_iam
        .list_mfa_devices()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.mfa_devices().len(), 1);
}

#[tokio::test]
async fn get_user_and_list_mfa_devices() {
    let server = start(demo_config()).await;
    let client = alice_iam(&server);
    let user = client.get_user().send().await.unwrap();
    let user = user.user().unwrap();
    assert_eq!(user.user_name(), "alice");
    assert_eq!(user.arn(), "arn:aws:iam::123456789012:user/alice");
    assert_eq!(user.path(), "/");
    let listed = client.list_mfa_devices().send().await.unwrap();
    assert!(!listed.is_truncated());
    let [device] = listed.mfa_devices() else {
        panic!("{listed:?}")
    };
    assert_eq!(device.serial_number(), DEMO_SERIAL);
    assert_eq!(device.user_name(), "alice");
    let err = client
        .get_user()
        .user_name("admin")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    let admin = iam(&server, ADMIN_ACCESS_KEY_ID, ADMIN_SECRET_ACCESS_KEY);
    assert_eq!(
        admin
            .list_mfa_devices()
            .send()
            .await
            .unwrap()
            .mfa_devices()
            .len(),
        0
    );
    let err = admin
        .get_user()
        .user_name("nobody")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_no_such_entity_exception()
    );
    assert_eq!(
        err.message(),
        Some("The user with name nobody cannot be found.")
    );
}

#[tokio::test]
async fn resync_succeeds_once_and_the_replay_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    let mut config = demo_config();
    config.state_file = Some(state_file.clone());
    let server = start(config).await;
    let client = alice_iam(&server);
    let c = server_counter(&server) - 1;
    resync(&client, SEED, c).await.unwrap();
    let entry = server.log().pop().unwrap();
    assert_eq!(
        (entry.action.as_str(), entry.status),
        ("ResyncMFADevice", 200)
    );
    let expected = Some((c, c + 1));
    // The server may have crossed a window boundary since we read its counter; it picked the same pair.
    assert_eq!(entry.counters, expected);
    let saved = State::load(&state_file).unwrap();
    assert_eq!(saved.device(DEMO_SERIAL).unwrap().last_counter, Some(c + 1));

    let err = resync(&client, SEED, c).await.unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_invalid_authentication_code_exception(),
        "{err:?}"
    );
    assert_eq!(
        err.message(),
        Some("Authentication code for device is not valid.")
    );
    // Overlapping the used pair is a replay too; the next fresh pair works once its second code's
    // step has come (here: the server's clock moved two steps on).
    assert_eq!(
        resync(&client, SEED, c + 1).await.unwrap_err().code(),
        Some("InvalidAuthenticationCode")
    );
    server.set_clock_offset(60);
    resync(&client, SEED, c + 2).await.unwrap();
}

#[tokio::test]
async fn resync_window_follows_server_time() {
    let server = start(demo_config()).await;
    let client = alice_iam(&server);
    let n = server_counter(&server);
    // A second code four steps ahead is a future step: refused.
    let err = resync(&client, SEED, n + 3).await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidAuthenticationCode"));
    // Move the server's clock forward by four steps: now that pair's second code is the current
    // step (or, should the server's step turn meanwhile, the previous one).
    server.set_clock_offset(120);
    resync(&client, SEED, n + 3).await.unwrap();
    let statuses: Vec<_> = server.log().iter().map(|e| e.status).collect();
    assert_eq!(statuses, [403, 200]);
}

#[tokio::test]
async fn resync_input_errors() {
    let server = start(demo_config()).await;
    let client = alice_iam(&server);
    let err = client
        .resync_mfa_device()
        .user_name("alice")
        .serial_number(DEMO_SERIAL)
        .authentication_code1("12345")
        .authentication_code2("123456")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some(
            "1 validation error detected: Value at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6"
        )
    );
    let (c1, c2) = pair(SEED, server_counter(&server));
    let err = client
        .resync_mfa_device()
        .user_name("alice")
        .serial_number("arn:aws:iam::123456789012:mfa/other")
        .authentication_code1(&c1)
        .authentication_code2(&c2)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_no_such_entity_exception(),
        "{err:?}"
    );
    let err = client
        .resync_mfa_device()
        .user_name("admin")
        .serial_number(DEMO_SERIAL)
        .authentication_code1(&c1)
        .authentication_code2(&c2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some(
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ResyncMFADevice on resource: arn:aws:iam::123456789012:user/admin"
        )
    );
}

#[tokio::test]
async fn credential_errors() {
    let server = start(demo_config()).await;
    let wrong_secret = iam(&server, TEST_ACCESS_KEY_ID, "not-the-secret");
    let err = wrong_secret.get_user().send().await.unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    let unknown = iam(&server, "AKIAUNKNOWNKEY000000", "x");
    let err = unknown.list_mfa_devices().send().await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidClientTokenId"));
    assert_eq!(
        err.message(),
        Some("The security token included in the request is invalid.")
    );
    server.update_state(|s| s.access_keys[0].expired = true);
    let err = alice_iam(&server).get_user().send().await.unwrap_err();
    assert_eq!(err.code(), Some("ExpiredToken"));
    let log = server.log();
    assert_eq!(
        log[1].access_key_id.as_deref(),
        Some("AKIAUNKNOWNKEY000000")
    );
    assert_eq!(
        log.iter().map(|e| e.status).collect::<Vec<_>>(),
        [403, 403, 403]
    );
}

#[tokio::test]
async fn clock_skew_beyond_fifteen_minutes_expires_the_signature() {
    let server = start(demo_config()).await;
    server.set_clock_offset(16 * 60);
    let err = alice_iam(&server).get_user().send().await.unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert!(
        err.message().unwrap().starts_with("Signature expired: "),
        "{err:?}"
    );
}

#[tokio::test]
async fn create_and_enable_a_virtual_device() {
    let server = start(demo_config()).await;
    let client = alice_iam(&server);
    let created = client
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice-phone")
        .send()
        .await
        .unwrap();
    let device = created.virtual_mfa_device().unwrap();
    assert_eq!(
        device.serial_number(),
        "arn:aws:iam::123456789012:mfa/alice-phone"
    );
    let seed = String::from_utf8(device.base32_string_seed().unwrap().as_ref().to_vec()).unwrap();
    assert_eq!(seed.len(), 64);
    let err = client
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice-phone")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_entity_already_exists_exception()
    );
    let (c1, c2) = harness::current_pair(&server, &seed);
    client
        .enable_mfa_device()
        .user_name("alice")
        .serial_number(device.serial_number())
        .authentication_code1(&c1)
        .authentication_code2(&c2)
        .send()
        .await
        .unwrap();
    let enabled = server.log().pop().unwrap();
    assert_eq!(enabled.action, "EnableMFADevice");
    assert!(enabled.counters.is_some());
    let listed = client.list_mfa_devices().send().await.unwrap();
    assert_eq!(listed.mfa_devices().len(), 2);
    // The seed the server keeps is the one it handed out.
    let state = server.state();
    let kept = &state
        .device("arn:aws:iam::123456789012:mfa/alice-phone")
        .unwrap()
        .seed_base32;
    assert_eq!(kept, &seed);
    assert_eq!(
        totp::code_at(kept, 1, 6).unwrap(),
        totp::code_at(&seed, 1, 6).unwrap()
    );
}

#[tokio::test]
async fn faults_reach_the_sdk() {
    let mut config = demo_config();
    config.faults = vec![
        "500-once@ResyncMFADevice".parse::<Fault>().unwrap(),
        "throttle-once@GetUser".parse().unwrap(),
    ];
    let server = start(config).await;
    let client = alice_iam(&server);
    let c = server_counter(&server) - 1;
    let err = resync(&client, SEED, c).await.unwrap_err();
    assert!(
        err.as_service_error()
            .unwrap()
            .is_service_failure_exception(),
        "{err:?}"
    );
    // The 500 came before processing: the same pair still works.
    resync(&client, SEED, c).await.unwrap();
    let err = client.get_user().send().await.unwrap_err();
    assert_eq!(err.code(), Some("Throttling"));
    assert_eq!(err.message(), Some("Rate exceeded"));
    client.get_user().send().await.unwrap();
    let faults: Vec<_> = server
        .log()
        .into_iter()
        .map(|e| (e.status, e.fault))
        .collect();
    assert_eq!(
        faults,
        [
            (500, Some("500-once@ResyncMFADevice".to_owned())),
            (200, None),
            (400, Some("throttle-once@GetUser".to_owned())),
            (200, None)
        ]
    );
}

#[tokio::test]
async fn a_500_after_processing_has_consumed_the_codes() {
    let mut config = demo_config();
    config.faults = vec!["500-after@ResyncMFADevice".parse().unwrap()];
    let server = start(config).await;
    let client = alice_iam(&server);
    let c = server_counter(&server) - 1;
    let err = resync(&client, SEED, c).await.unwrap_err();
    assert_eq!(err.code(), Some("ServiceFailure"));
    let entry = server.log().pop().unwrap();
    assert_eq!(entry.counters, Some((c, c + 1)));
    assert_eq!(entry.error_code.as_deref(), Some("ServiceFailure"));
    // Retrying with the same pair is now a replay: a client must read a fresh one.
    let err = resync(&client, SEED, c).await.unwrap_err();
    assert_eq!(err.code(), Some("InvalidAuthenticationCode"));
}

#[tokio::test]
async fn dropped_and_delayed_requests() {
    let mut config = demo_config();
    config.faults = vec![
        "drop-once@GetUser".parse().unwrap(),
        "delay=3000-once@ListMFADevices".parse().unwrap(),
    ];
    let server = start(config).await;
    let client = iam_with(
        &server,
        credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, None),
        Some(Duration::from_millis(500)),
    );
    let err = client.get_user().send().await.unwrap_err();
    assert!(
        err.as_service_error().is_none(),
        "a dropped connection is not a service error: {err:?}"
    );
    let err = client.list_mfa_devices().send().await.unwrap_err();
    assert!(
        matches!(err, aws_sdk_iam::error::SdkError::TimeoutError(_)),
        "{err:?}"
    );
    client.get_user().send().await.unwrap();
    // The delayed request is still handled and logged once the delay is over.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.log().len() < 3 {
        assert!(std::time::Instant::now() < deadline, "{:?}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = server.log();
    let summary: Vec<_> = log
        .iter()
        .map(|e| (e.action.as_str(), e.status, e.fault.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("GetUser", 0, Some("drop-once@GetUser")),
            ("GetUser", 200, None),
            (
                "ListMFADevices",
                200,
                Some("delay=3000-once@ListMFADevices")
            ),
        ]
    );
}

#[tokio::test]
async fn log_file_has_one_json_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let log_file = dir.path().join("requests.jsonl");
    let mut config = demo_config();
    config.log_file = Some(log_file.clone());
    let server = start(config).await;
    let client = alice_iam(&server);
    client.get_user().send().await.unwrap();
    harness::resync(&client, SEED, server_counter(&server) - 1)
        .await
        .unwrap();
    let text = std::fs::read_to_string(&log_file).unwrap();
    let lines: Vec<testbed::iam_local::LogEntry> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, server.log());
    assert_eq!(lines[1].params["SerialNumber"], DEMO_SERIAL);
}
