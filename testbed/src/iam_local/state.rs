//! The world the endpoint serves: one account's partition, alias, users, access keys, MFA devices
//! and the stand-in for IAM policies.
//!
//! Owns the data model, its JSON file form (what `iam-local init` writes and `serve` persists after
//! every change), the demo account the tests start from and the read accessors tests check state
//! with. The builder helpers tests set a world up with live in `builder`. It does not know HTTP,
//! SigV4 or the meaning of any action; `actions` interprets it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::clock;
use super::files;
pub use super::partition::{Partition, PartitionParseError};

/// Access key id of the demo user `alice` (the example key id of the AWS documentation).
pub const TEST_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// Secret of [`TEST_ACCESS_KEY_ID`].
pub const TEST_SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// Access key id of the demo user `admin`, who may act on other users.
pub const ADMIN_ACCESS_KEY_ID: &str = "AKIAI44QH8DHBEXAMPLE";
/// Secret of [`ADMIN_ACCESS_KEY_ID`].
pub const ADMIN_SECRET_ACCESS_KEY: &str = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
/// The demo account.
pub const DEMO_ACCOUNT_ID: &str = "123456789012";
/// Serial number (ARN) of alice's virtual MFA device in the demo account.
pub const DEMO_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
/// What [`Device::user`] holds for a device enabled for the account's root user. No IAM user name
/// can hold a `:` (`[\w+=,.@-]+`), so it never names a user; IAM shows such a device with the
/// root's ARN (`arn:PARTITION:iam::ACCOUNT:root`) and no user name.
pub const ROOT_OWNER: &str = ":root";

/// Everything the endpoint knows; persisted as one JSON document.
///
/// Fields added after the first release carry serde defaults, so older state files still load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Twelve-digit account id used in every ARN.
    pub account_id: String,
    /// The partition every ARN the endpoint makes is in (`arn:PARTITION:iam::…`).
    #[serde(default)]
    pub partition: Partition,
    /// The account alias; IAM allows at most one per account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_alias: Option<String>,
    /// Aliases other accounts of the partition hold: aliases are unique per partition, so
    /// `CreateAccountAlias` of one of these answers EntityAlreadyExists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_aliases: Vec<String>,
    /// IAM users.
    pub users: Vec<User>,
    /// Credentials, of users and of principals that are not users.
    pub access_keys: Vec<AccessKey>,
    /// MFA devices: virtual ones (serial = ARN), assigned or not, and hardware tokens (any other
    /// serial), which exist here only while assigned.
    pub devices: Vec<Device>,
    /// Stands in for explicit denies in IAM policies: who (a user name, or `role/NAME` for every
    /// session of a role) may not call which actions (`DeactivateMFADevice`, `iam:…`, `iam:*`).
    /// `sts:GetCallerIdentity` cannot be denied, as in AWS.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub denied_actions: BTreeMap<String, Vec<String>>,
    /// The tags of virtual devices, by serial, in the order CreateVirtualMFADevice was given them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub device_tags: BTreeMap<String, Vec<Tag>>,
}

/// An IAM tag: a key (1–128 characters, unique per resource regardless of case) and a value
/// (0–256 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value, possibly empty.
    pub value: String,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User name, unique in the account.
    pub name: String,
    /// IAM path, `/` or `/a/b/`; it appears in the user's ARN.
    #[serde(default = "root_path")]
    pub path: String,
    /// The stable `AIDA…` id.
    pub user_id: String,
    /// Stands in for an IAM policy: an admin may act on other users, others only on themselves.
    #[serde(default)]
    pub admin: bool,
}

/// A credential the endpoint accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// `AKIA…` (long-term) or `ASIA…` (temporary).
    pub id: String,
    /// The SigV4 secret.
    pub secret: String,
    /// When set, requests must carry it as `X-Amz-Security-Token`, as with STS credentials.
    #[serde(default)]
    pub session_token: Option<String>,
    /// Simulates credentials past their expiry: every request answers `ExpiredToken`.
    #[serde(default)]
    pub expired: bool,
    /// Who the key belongs to.
    pub principal: Principal,
}

/// The identity behind an access key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Principal {
    /// An IAM user, by name.
    User(String),
    /// A role session, as from `sts:AssumeRole`; it has no "self" user.
    AssumedRole {
        /// Role name.
        role: String,
        /// Session name.
        session: String,
    },
    /// The account's root user.
    Root,
}

/// A TOTP MFA device: virtual (its serial is its ARN) or a hardware token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The serial number IAM shows: for a virtual device its ARN
    /// `arn:PARTITION:iam::ACCOUNT:mfa/[path/]NAME`, for a hardware token its printed serial
    /// (`GAHT12345678`).
    pub serial: String,
    /// The user it is enabled for; `None` until `EnableMFADevice`; [`ROOT_OWNER`] when it is the
    /// account root user's.
    #[serde(default)]
    pub user: Option<String>,
    /// RFC 4648 base32 seed, as AWS shows it when the device is created.
    pub seed_base32: String,
    /// TOTP time step in seconds (AWS: 30).
    #[serde(default = "default_period")]
    pub period: u64,
    /// Code length (AWS: 6).
    #[serde(default = "default_digits")]
    pub digits: u32,
    /// Highest time-step counter consumed by an enable or resync; pairs at or below it are replays.
    #[serde(default)]
    pub last_counter: Option<u64>,
    /// RFC 3339 time the device was enabled.
    #[serde(default)]
    pub enable_date: Option<String>,
}

impl Device {
    /// A device as AWS makes one (30-second steps, 6 digits), no counter used yet, enabled for
    /// `user` (`None`: created, not enabled) with no enable date: callers that enable it now set
    /// [`Device::enable_date`].
    pub fn totp(
        serial: impl Into<String>,
        user: Option<&str>,
        seed_base32: impl Into<String>,
    ) -> Device {
        Device {
            serial: serial.into(),
            user: user.map(str::to_owned),
            seed_base32: seed_base32.into(),
            period: default_period(),
            digits: default_digits(),
            last_counter: None,
            enable_date: None,
        }
    }

    /// The path and name of a virtual device (`arn:…:mfa/PATH/NAME` → `("/PATH/", "NAME")`);
    /// `None` for a hardware token or a U2F/FIDO key, whose serials are not `mfa/` ARNs.
    pub fn virtual_path_and_name(&self) -> Option<(&str, &str)> {
        virtual_path_and_name(&self.serial)
    }

    /// Whether this is a virtual device: `ListVirtualMFADevices` lists only these.
    pub fn is_virtual(&self) -> bool {
        self.virtual_path_and_name().is_some()
    }

    /// Whether the device is enabled for some user (the root user included).
    pub fn is_assigned(&self) -> bool {
        self.user.is_some()
    }

    /// Whether the device is enabled for the account's root user.
    pub fn is_root_device(&self) -> bool {
        self.user.as_deref() == Some(ROOT_OWNER)
    }
}

/// Splits `arn:PARTITION:iam::ACCOUNT:mfa/[path/]NAME` into `("/[path/]", "NAME")`.
pub(crate) fn virtual_path_and_name(serial: &str) -> Option<(&str, &str)> {
    let mut fields = serial.splitn(6, ':');
    let (arn, _partition, service, region, _account, resource) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if arn != "arn" || service != "iam" || !region.is_empty() {
        return None;
    }
    let rest = resource.strip_prefix("mfa")?;
    let cut = rest.rfind('/')?;
    let (path, name) = (&rest[..=cut], &rest[cut + 1..]);
    (path.starts_with('/') && !name.is_empty()).then_some((path, name))
}

fn root_path() -> String {
    "/".to_owned()
}
fn default_period() -> u64 {
    30
}
fn default_digits() -> u32 {
    6
}

impl State {
    /// The demo account: `alice` (not admin, key [`TEST_ACCESS_KEY_ID`], device [`DEMO_SERIAL`]
    /// enabled with `seed_base32`) and `admin` (admin, key [`ADMIN_ACCESS_KEY_ID`]).
    pub fn demo(seed_base32: &str) -> State {
        State {
            account_id: DEMO_ACCOUNT_ID.to_owned(),
            partition: Partition::Aws,
            account_alias: None,
            foreign_aliases: Vec::new(),
            denied_actions: BTreeMap::new(),
            device_tags: BTreeMap::new(),
            users: vec![
                User {
                    name: "alice".to_owned(),
                    path: root_path(),
                    user_id: "AIDACKCEVSQ6C2EXAMPLE".to_owned(),
                    admin: false,
                },
                User {
                    name: "admin".to_owned(),
                    path: root_path(),
                    user_id: "AIDAJQABLZS4A3QDU576Q".to_owned(),
                    admin: true,
                },
            ],
            access_keys: vec![
                AccessKey {
                    id: TEST_ACCESS_KEY_ID.to_owned(),
                    secret: TEST_SECRET_ACCESS_KEY.to_owned(),
                    session_token: None,
                    expired: false,
                    principal: Principal::User("alice".to_owned()),
                },
                AccessKey {
                    id: ADMIN_ACCESS_KEY_ID.to_owned(),
                    secret: ADMIN_SECRET_ACCESS_KEY.to_owned(),
                    session_token: None,
                    expired: false,
                    principal: Principal::User("admin".to_owned()),
                },
            ],
            devices: vec![Device {
                enable_date: Some(clock::rfc3339(clock::host_now())),
                ..Device::totp(DEMO_SERIAL, Some("alice"), seed_base32)
            }],
        }
    }

    /// Reads a state file written by [`State::save`] or by hand.
    pub fn load(path: &Path) -> Result<State, StateFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| StateFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| StateFileError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Writes the state atomically with mode 0600 (it holds secrets and seeds).
    pub fn save(&self, path: &Path) -> Result<(), StateFileError> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|source| StateFileError::Parse {
            path: path.to_owned(),
            source,
        })?;
        json.push(b'\n');
        files::write_atomic(path, &json, 0o600).map_err(|source| StateFileError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// The user called `name`.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The access key with id `id`.
    pub fn access_key(&self, id: &str) -> Option<&AccessKey> {
        self.access_keys.iter().find(|k| k.id == id)
    }

    /// The device with serial number `serial`.
    pub fn device(&self, serial: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.serial == serial)
    }

    /// The device with serial number `serial`, for changing it.
    pub fn device_mut(&mut self, serial: &str) -> Option<&mut Device> {
        self.devices.iter_mut().find(|d| d.serial == serial)
    }

    /// `arn:PARTITION:iam::ACCOUNT:user{path}{name}`, for a user that may not exist (path `/` then).
    pub fn user_arn(&self, name: &str) -> String {
        let path = self.user(name).map_or("/", |u| u.path.as_str());
        format!("{}user{}{}", self.iam_arn_prefix(), path, name)
    }

    /// `arn:PARTITION:iam::ACCOUNT:root`, the account root user's ARN.
    pub fn root_arn(&self) -> String {
        format!("{}root", self.iam_arn_prefix())
    }

    /// `arn:PARTITION:iam::ACCOUNT:` — what every IAM ARN of this account starts with.
    pub fn iam_arn_prefix(&self) -> String {
        format!("arn:{}:iam::{}:", self.partition, self.account_id)
    }

    /// The serial number (ARN) a virtual device called `device_name` at path `/` has here.
    pub fn mfa_serial(&self, device_name: &str) -> String {
        self.mfa_serial_at("/", device_name)
    }

    /// The serial number (ARN) of a virtual device at IAM path `path` (`/` or `/a/b/`).
    pub fn mfa_serial_at(&self, path: &str, device_name: &str) -> String {
        format!("{}mfa{path}{device_name}", self.iam_arn_prefix())
    }

    /// The name QR codes and authenticator apps show for the account: the alias when there is
    /// one, else the account id (IAM API reference, `VirtualMFADevice.QRCodePNG`).
    pub fn account_name(&self) -> &str {
        self.account_alias.as_deref().unwrap_or(&self.account_id)
    }

    /// The devices enabled for `user`, in state order.
    pub fn devices_of(&self, user: &str) -> Vec<&Device> {
        self.devices
            .iter()
            .filter(|d| d.user.as_deref() == Some(user))
            .collect()
    }

    /// The serial numbers of the devices enabled for `user`, in state order.
    pub fn serials_of(&self, user: &str) -> Vec<&str> {
        self.devices_of(user)
            .into_iter()
            .map(|d| d.serial.as_str())
            .collect()
    }

    /// The virtual devices no user has enabled (orphans of an unfinished enrolment, say).
    pub fn unassigned_devices(&self) -> Vec<&Device> {
        self.devices
            .iter()
            .filter(|d| d.is_virtual() && !d.is_assigned())
            .collect()
    }

    /// The virtual devices, assigned or not: what `ListVirtualMFADevices` with `Any` lists.
    pub fn virtual_devices(&self) -> Vec<&Device> {
        self.devices.iter().filter(|d| d.is_virtual()).collect()
    }

    /// The devices enabled for the account's root user, in state order.
    pub fn root_devices(&self) -> Vec<&Device> {
        self.devices_of(ROOT_OWNER)
    }

    /// The tags CreateVirtualMFADevice gave the device with this serial (none for others).
    pub fn tags_of(&self, serial: &str) -> &[Tag] {
        self.device_tags.get(serial).map_or(&[], Vec::as_slice)
    }

    /// Who the device with this serial is enabled for ([`ROOT_OWNER`] for the root user's);
    /// `None` if unassigned or unknown.
    pub fn assigned_to(&self, serial: &str) -> Option<&str> {
        self.device(serial).and_then(|d| d.user.as_deref())
    }

    /// Whether `denied_actions` denies `service:action` to `principal`.
    pub fn is_denied(&self, principal: &Principal, service: &str, action: &str) -> bool {
        let key = match principal {
            Principal::User(name) => name.clone(),
            Principal::AssumedRole { role, .. } => format!("role/{role}"),
            // No IAM policy applies to the root user.
            Principal::Root => return false,
        };
        self.denied_actions.get(&key).is_some_and(|actions| {
            actions.iter().any(|entry| {
                let entry = entry.trim();
                match entry.split_once(':') {
                    Some((svc, act)) => svc == service && (act == "*" || act == action),
                    None => entry == action,
                }
            })
        })
    }
}

/// A state file that could not be read, parsed or written.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// The file could not be read.
    #[error("cannot read state file {}: {source}", path.display())]
    Read {
        /// The state file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid state document.
    #[error("state file {} is not valid: {source}", path.display())]
    Parse {
        /// The state file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The file could not be written.
    #[error("cannot write state file {}: {source}", path.display())]
    Write {
        /// The state file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A fresh seed as `CreateVirtualMFADevice` makes them: 40 random bytes, 64 base32 characters
/// without padding (the length of the `Base32StringSeed` AWS hands out).
pub fn random_seed_base32() -> String {
    let mut bytes = [0u8; 40];
    // Without an OS random source there is no honest seed to make.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    data_encoding::BASE32.encode(&bytes)
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(name) => write!(f, "user {name}"),
            Principal::AssumedRole { role, session } => write!(f, "assumed role {role}/{session}"),
            Principal::Root => f.write_str("root"),
        }
    }
}
