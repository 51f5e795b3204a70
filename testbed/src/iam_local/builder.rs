//! Builder helpers that set up a [`State`] for a test in one expression.
//!
//! ```
//! use testbed::iam_local::{Partition, State};
//! let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
//! let state = State::demo(seed)
//!     .with_partition(Partition::AwsUsGov)
//!     .with_alias("example-corp")
//!     .with_user("bob")
//!     .with_device_for("bob", "bob-desk-key", seed)
//!     .with_unassigned_device("orphan", seed)
//!     .with_root_device("root-account-mfa-device", seed)
//!     .with_root_access_key("AKIAROOTEXAMPLE00001", "root-secret")
//!     .deny("alice", "DeactivateMFADevice");
//! assert_eq!(state.serials_of("bob"), ["arn:aws-us-gov:iam::123456789012:mfa/bob-desk-key"]);
//! assert_eq!(state.root_devices().len(), 1);
//! ```
//!
//! Owns only the construction of worlds: each helper changes the state the way the IAM API would
//! have left it (an enabled device has an enable date, a new partition or account renames every
//! ARN). A helper asked for something the API could not produce (a device for a user that does not
//! exist, a second device with the same serial) panics: that is a mistake in the test, not a case
//! to serve.

use sha2::{Digest, Sha256};

use super::clock;
use super::state::{AccessKey, Device, Partition, Principal, ROOT_OWNER, State, User};

impl State {
    /// Sets the account alias (IAM allows one; this replaces any other).
    pub fn with_alias(mut self, alias: &str) -> State {
        self.account_alias = Some(alias.to_owned());
        self
    }

    /// Makes `alias` one that another account of the partition holds, so that creating it here
    /// answers EntityAlreadyExists.
    pub fn with_foreign_alias(mut self, alias: &str) -> State {
        self.foreign_aliases.push(alias.to_owned());
        self
    }

    /// Moves the account to `partition`; the ARN serials of its virtual devices move with it.
    pub fn with_partition(mut self, partition: Partition) -> State {
        let old = self.iam_arn_prefix();
        self.partition = partition;
        self.rename_serials(&old);
        self
    }

    /// Renumbers the account; the ARN serials of its virtual devices move with it.
    pub fn with_account_id(mut self, account_id: &str) -> State {
        let old = self.iam_arn_prefix();
        self.account_id = account_id.to_owned();
        self.rename_serials(&old);
        self
    }

    /// Adds a user (path `/`, not admin, no access key: give one with [`State::with_access_key`]).
    pub fn with_user(self, name: &str) -> State {
        self.add_user(name, false)
    }

    /// Adds an administrator, who may act on other users.
    pub fn with_admin(self, name: &str) -> State {
        self.add_user(name, true)
    }

    /// Gives `user` a long-term access key.
    pub fn with_access_key(mut self, user: &str, id: &str, secret: &str) -> State {
        assert!(self.user(user).is_some(), "with_access_key: no user {user}");
        assert!(
            self.access_key(id).is_none(),
            "with_access_key: key {id} exists"
        );
        self.access_keys.push(AccessKey {
            id: id.to_owned(),
            secret: secret.to_owned(),
            session_token: None,
            expired: false,
            principal: Principal::User(user.to_owned()),
        });
        self
    }

    /// Gives the account's root user a long-term access key (what "root credentials" sign with).
    pub fn with_root_access_key(mut self, id: &str, secret: &str) -> State {
        assert!(
            self.access_key(id).is_none(),
            "with_root_access_key: key {id} exists"
        );
        self.access_keys.push(AccessKey {
            id: id.to_owned(),
            secret: secret.to_owned(),
            session_token: None,
            expired: false,
            principal: Principal::Root,
        });
        self
    }

    /// A virtual device `mfa/DEVICE_NAME` with `seed_base32`, enabled now for the account's root
    /// user (its [`Device::user`] is [`ROOT_OWNER`]). ListVirtualMFADevices shows it with the root's
    /// ARN and no user name; ListMFADevices and DeactivateMFADevice called with root credentials
    /// and no UserName act on it.
    pub fn with_root_device(mut self, device_name: &str, seed_base32: &str) -> State {
        let serial = self.mfa_serial(device_name);
        self.push_device(Device {
            enable_date: Some(clock::rfc3339(clock::host_now())),
            ..Device::totp(serial, Some(ROOT_OWNER), seed_base32)
        });
        self
    }

    /// A virtual device `mfa/DEVICE_NAME` with `seed_base32`, enabled for `user` now.
    pub fn with_device_for(self, user: &str, device_name: &str, seed_base32: &str) -> State {
        let serial = self.mfa_serial(device_name);
        self.with_serial_for(user, &serial, seed_base32)
    }

    /// A hardware TOTP token with the printed serial `serial` (e.g. `GAHT12345678`), enabled for
    /// `user` now. `ListVirtualMFADevices` does not list it; `ListMFADevices` does.
    pub fn with_hardware_device_for(self, user: &str, serial: &str, seed_base32: &str) -> State {
        assert!(
            super::state::virtual_path_and_name(serial).is_none(),
            "with_hardware_device_for: {serial} is a virtual device's ARN"
        );
        self.with_serial_for(user, serial, seed_base32)
    }

    /// A FIDO security key registered for `user` now, the only kind of device GetMFADevice
    /// answers for. Its serial is `arn:PARTITION:iam::ACCOUNT:u2f/user/USER/KEY_ID`; it holds a
    /// random seed only because every device has one.
    pub fn with_fido_key_for(self, user: &str, key_id: &str) -> State {
        let serial = format!("{}u2f/user/{user}/{key_id}", self.iam_arn_prefix());
        self.with_serial_for(user, &serial, &super::state::random_seed_base32())
    }

    /// A virtual device `mfa/DEVICE_NAME` that was created but never enabled.
    pub fn with_unassigned_device(mut self, device_name: &str, seed_base32: &str) -> State {
        let serial = self.mfa_serial(device_name);
        self.push_device(Device::totp(serial, None, seed_base32));
        self
    }

    /// Denies `action` to `who` (a user name, or `role/NAME`), like an explicit deny in a policy.
    /// `action` may be `Action`, `iam:Action` or `iam:*`.
    pub fn deny(mut self, who: &str, action: &str) -> State {
        self.denied_actions
            .entry(who.to_owned())
            .or_default()
            .push(action.to_owned());
        self
    }

    fn add_user(mut self, name: &str, admin: bool) -> State {
        assert!(self.user(name).is_none(), "user {name} exists already");
        self.users.push(User {
            name: name.to_owned(),
            path: "/".to_owned(),
            user_id: stable_id("AIDA", name),
            admin,
        });
        self
    }

    fn with_serial_for(mut self, user: &str, serial: &str, seed_base32: &str) -> State {
        assert!(
            self.user(user).is_some(),
            "no user {user} to enable {serial} for"
        );
        self.push_device(Device {
            enable_date: Some(clock::rfc3339(clock::host_now())),
            ..Device::totp(serial, Some(user), seed_base32)
        });
        self
    }

    fn push_device(&mut self, device: Device) {
        assert!(
            self.device(&device.serial).is_none(),
            "a device {} exists already",
            device.serial
        );
        self.devices.push(device);
    }

    fn rename_serials(&mut self, old_prefix: &str) {
        let new_prefix = self.iam_arn_prefix();
        let rename = |serial: &str| {
            serial
                .strip_prefix(old_prefix)
                .map(|rest| format!("{new_prefix}{rest}"))
        };
        for device in &mut self.devices {
            if let Some(renamed) = rename(&device.serial) {
                device.serial = renamed;
            }
        }
        self.device_tags = std::mem::take(&mut self.device_tags)
            .into_iter()
            .map(|(serial, tags)| (rename(&serial).unwrap_or(serial), tags))
            .collect();
    }
}

/// An IAM-style unique id (`AIDA` + 17 characters) that stays the same for the same name, so that
/// a test can predict it.
pub(crate) fn stable_id(prefix: &str, name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let mut id = data_encoding::BASE32_NOPAD.encode(&digest);
    id.truncate(17);
    format!("{prefix}{id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam_local::state::DEMO_SERIAL;

    const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn helpers_compose_into_the_world_a_test_describes() {
        let state = State::demo(SEED)
            .with_alias("example-corp")
            .with_user("bob")
            .with_admin("desk")
            .with_access_key("bob", "AKIABOB0000000000001", "bob-secret")
            .with_device_for("bob", "bob-yubikey", SEED)
            .with_hardware_device_for("bob", "GAHT12345678", SEED)
            .with_unassigned_device("orphan", SEED)
            .deny("bob", "DeactivateMFADevice");
        assert_eq!(state.account_name(), "example-corp");
        assert!(state.user("desk").unwrap().admin && !state.user("bob").unwrap().admin);
        assert_eq!(
            state.serials_of("bob"),
            ["arn:aws:iam::123456789012:mfa/bob-yubikey", "GAHT12345678"]
        );
        assert!(state.devices_of("bob")[0].enable_date.is_some());
        let orphans: Vec<_> = state
            .unassigned_devices()
            .iter()
            .map(|d| &d.serial)
            .collect();
        assert_eq!(orphans, ["arn:aws:iam::123456789012:mfa/orphan"]);
        assert_eq!(
            state.virtual_devices().len(),
            3,
            "the hardware token is not virtual"
        );
        assert_eq!(state.assigned_to("GAHT12345678"), Some("bob"));
        assert!(state.is_denied(&Principal::User("bob".into()), "iam", "DeactivateMFADevice"));
        assert_eq!(
            state.access_key("AKIABOB0000000000001").unwrap().principal,
            Principal::User("bob".into())
        );
        assert_eq!(state.user("bob").unwrap().user_id, stable_id("AIDA", "bob"));
        assert_eq!(state.user("bob").unwrap().user_id.len(), 21);
    }

    #[test]
    fn partition_and_account_changes_rename_virtual_serials_only() {
        let state = State::demo(SEED)
            .with_user("bob")
            .with_hardware_device_for("bob", "GAHT12345678", SEED)
            .with_partition(Partition::AwsUsGov)
            .with_account_id("210987654321");
        assert_eq!(
            state.serials_of("alice"),
            ["arn:aws-us-gov:iam::210987654321:mfa/alice"]
        );
        assert_eq!(state.serials_of("bob"), ["GAHT12345678"]);
        assert_eq!(
            state.user_arn("alice"),
            "arn:aws-us-gov:iam::210987654321:user/alice"
        );
    }

    #[test]
    #[should_panic(expected = "exists already")]
    fn a_second_device_with_the_same_serial_is_a_test_mistake() {
        let _ = State::demo(SEED).with_device_for("admin", "alice", SEED);
    }

    #[test]
    #[should_panic(expected = "no user carol")]
    fn a_device_for_a_missing_user_is_a_test_mistake() {
        let _ = State::demo(SEED).with_device_for("carol", "carol", SEED);
    }

    #[test]
    fn a_root_device_is_assigned_to_no_user_and_moves_with_the_account() {
        let state = State::demo(SEED)
            .with_root_device("root-account-mfa-device", SEED)
            .with_root_access_key("AKIAROOTEXAMPLE00001", "root-secret")
            .with_account_id("210987654321");
        let [device] = state.root_devices()[..] else {
            panic!("{:?}", state.devices)
        };
        assert_eq!(
            device.serial,
            "arn:aws:iam::210987654321:mfa/root-account-mfa-device"
        );
        assert!(device.is_root_device() && device.is_assigned());
        assert!(device.enable_date.is_some());
        assert!(state.unassigned_devices().is_empty());
        assert_eq!(state.assigned_to(&device.serial), Some(ROOT_OWNER));
        assert!(state.user(ROOT_OWNER).is_none(), "no user is called that");
        assert_eq!(
            state.access_key("AKIAROOTEXAMPLE00001").unwrap().principal,
            Principal::Root
        );
        assert_eq!(state.root_arn(), "arn:aws:iam::210987654321:root");
    }

    #[test]
    fn tags_move_with_their_device() {
        let mut state = State::demo(SEED).with_unassigned_device("spare", SEED);
        let tag = crate::iam_local::state::Tag {
            key: "team".into(),
            value: "desk".into(),
        };
        state
            .device_tags
            .insert(state.mfa_serial("spare"), vec![tag.clone()]);
        let state = state.with_partition(Partition::AwsCn);
        assert_eq!(
            state.tags_of("arn:aws-cn:iam::123456789012:mfa/spare"),
            [tag]
        );
        assert!(state.tags_of(DEMO_SERIAL).is_empty());
    }

    #[test]
    fn demo_serial_is_the_demo_device() {
        assert_eq!(State::demo(SEED).mfa_serial("alice"), DEMO_SERIAL);
    }
}
