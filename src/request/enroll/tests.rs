//! The checks `enroll` makes before any I/O.

use std::os::unix::fs::PermissionsExt;

use super::*;

fn input() -> EnrollInput {
    EnrollInput {
        reinsert_wait_secs: 30,
        ..EnrollInput::default()
    }
}

fn refused(change: impl FnOnce(&mut EnrollInput)) -> String {
    let mut given = input();
    change(&mut given);
    match given.validate() {
        Ok(request) => panic!("accepted: {request:?}"),
        Err(e) => format!("{e} / {}", e.hint()),
    }
}

#[test]
fn the_defaults_need_nothing_but_a_key() {
    let request = input().validate().unwrap();
    assert_eq!(request.path.as_str(), "/");
    assert!(request.keys.is_empty() && request.user.is_none() && request.replace.is_none());
}

#[test]
fn device_names_and_paths_follow_iam() {
    assert!(refused(|i| i.device_name = Some("alice key".into())).contains("character ' '"));
    assert!(refused(|i| i.device_name = Some("x".repeat(227))).contains("at most 226"));
    assert!(refused(|i| i.device_name = Some(String::new())).contains("is empty"));
    for bad in ["", "desk", "/desk", "desk/", "/de sk/", "//"] {
        refused(|i| i.path = Some(bad.into()));
    }
    let mut ok = input();
    ok.path = Some("/desk/2026/".into());
    ok.device_name = Some("alice+key@corp".into());
    ok.oath_name = Some("alice".into());
    assert_eq!(ok.validate().unwrap().path.as_str(), "/desk/2026/");
    // 227 together is the most an `aws` ARN holds within 256.
    let long = refused(|i| {
        i.path = Some(format!("/{}/", "p".repeat(100)));
        i.device_name = Some("d".repeat(126));
        i.oath_name = Some("x".into());
    });
    assert!(long.contains("would pass IAM's 256"), "{long}");
}

#[test]
fn the_oath_name_fits_ykoath_s_64_bytes() {
    assert!(refused(|i| i.oath_name = Some("é".repeat(33))).contains("66 bytes"));
    assert!(refused(|i| i.oath_name = Some("a\nb".into())).contains("control"));
    // The default name of a long device name cannot fit whatever the account's name.
    let text = refused(|i| i.device_name = Some("d".repeat(41)));
    assert!(text.contains("at least 65 bytes"), "{text}");
    let mut ok = input();
    ok.device_name = Some("d".repeat(41));
    ok.oath_name = Some("arn:aws:iam::123456789012:mfa/alice".into());
    assert!(ok.validate().is_ok());
}

#[test]
fn keys_are_named_once_each_in_order() {
    let mut given = input();
    given.keys = vec![
        KeyChoice::Reader("Virtual PCD 00 01".into()),
        KeyChoice::Serial(12345678),
    ];
    let keys = given.validate().unwrap().keys;
    assert_eq!(keys[0].reader.as_deref(), Some("Virtual PCD 00 01"));
    assert_eq!(keys[1].serial, Some(12345678));
    let twice = refused(|i| i.keys = vec![KeyChoice::Serial(1), KeyChoice::Serial(1)]);
    assert!(twice.contains("--device 1 is given twice"), "{twice}");
    assert!(refused(|i| i.keys = vec![KeyChoice::Reader(String::new())]).contains("empty"));
}

#[test]
fn replace_takes_a_serial_and_never_the_new_device() {
    assert!(refused(|i| i.replace = Some("GAHT1".into())).starts_with("--replace:"));
    // One device named after the user (--shared-seed) would be the very device replaced; a key's
    // own device (alice-SERIAL) never is, so a replacement needs no new name.
    let own = refused(|i| {
        i.user_name = Some("alice".into());
        i.shared_seed = true;
        i.replace = Some("arn:aws:iam::123456789012:mfa/alice".into());
    });
    assert!(
        own.contains("the device this command would create"),
        "{own}"
    );
    let mut per_key = input();
    per_key.user_name = Some("alice".into());
    per_key.replace = Some("arn:aws:iam::123456789012:mfa/alice".into());
    assert!(per_key.validate().is_ok());
    let mut other = input();
    other.user_name = Some("alice".into());
    other.replace = Some("arn:aws-us-gov:iam::123456789012:mfa/old".into());
    let request = other.validate().unwrap();
    assert_eq!(request.aws.partition.as_deref(), Some("aws-us-gov"));
    // A U2F key can be replaced (it is never read from).
    let mut u2f = input();
    u2f.replace = Some("arn:aws:iam::123456789012:u2f/user/alice/key-ABC".into());
    assert!(u2f.validate().is_ok());
}

#[test]
fn seeds_are_refused_in_every_new_field() {
    let seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    for text in [
        refused(|i| i.device_name = Some(seed.into())),
        refused(|i| i.oath_name = Some(seed.into())),
        refused(|i| i.path = Some(format!("/{seed}/"))),
        refused(|i| i.backup_seed_file = Some(seed.into())),
    ] {
        assert!(
            text.contains("looks like a seed") && !text.contains("JBSW"),
            "{text}"
        );
    }
}

#[test]
fn the_backup_file_is_new_in_a_directory_others_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let fresh = dir.path().join("seed.txt");
    let ok = BackupSeedFile::check(fresh.clone(), BackupFormat::Otpauth).unwrap();
    assert_eq!(ok.format, BackupFormat::Otpauth);
    std::fs::write(&fresh, "").unwrap();
    let exists = BackupSeedFile::check(fresh.clone(), BackupFormat::Base32).unwrap_err();
    assert!(
        exists.to_string().contains("exists (a regular file)"),
        "{exists}"
    );
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    let dangling = BackupSeedFile::check(link, BackupFormat::Base32).unwrap_err();
    assert!(dangling.to_string().contains("symbolic link"), "{dangling}");
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let loose = BackupSeedFile::check(open.join("s"), BackupFormat::Base32).unwrap_err();
    assert!(
        loose.to_string().contains("writable by others (mode 1777)"),
        "{loose}"
    );
    let missing = BackupSeedFile::check(dir.path().join("no/s"), BackupFormat::Base32);
    assert!(missing.unwrap_err().to_string().contains("cannot be used"));
}

#[test]
fn what_names_one_device_is_refused_when_each_key_gets_its_own() {
    let two_keys = |i: &mut EnrollInput| {
        i.keys = vec![KeyChoice::Serial(41000001), KeyChoice::Serial(41000002)];
    };
    for (flag, set) in [
        (
            "--device-name",
            (|i: &mut EnrollInput| i.device_name = Some("bob-yubikey".into()))
                as fn(&mut EnrollInput),
        ),
        ("--oath-name", |i| i.oath_name = Some("bob".into())),
        ("--backup-seed-file", |i| {
            i.backup_seed_file = Some("seed.txt".into())
        }),
    ] {
        let text = refused(|i| {
            two_keys(i);
            set(i);
        });
        assert!(
            text.starts_with(&format!(
                "{flag} is for one device, but each of the 2 keys gets a device of its own"
            )),
            "{text}"
        );
        assert!(text.contains("--shared-seed"), "{text}");
    }
    // With --shared-seed (one device on both keys), or one key, they name that device.
    let mut shared = input();
    two_keys(&mut shared);
    shared.shared_seed = true;
    shared.device_name = Some("bob-yubikey".into());
    assert!(shared.validate().is_ok());
    let mut one = input();
    one.device_name = Some("bob-yubikey".into());
    assert!(one.validate().is_ok());
}
