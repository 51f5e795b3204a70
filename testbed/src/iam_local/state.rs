//! The world the endpoint serves: one account's users, access keys and MFA devices.
//!
//! Owns the data model, its JSON file form (what `iam-local init` writes and `serve` persists after
//! every change) and the demo account the tests start from. It does not know HTTP, SigV4 or the
//! meaning of any action; `actions` interprets it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::clock;
use super::files;

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

/// Everything the endpoint knows; persisted as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Twelve-digit account id used in every ARN.
    pub account_id: String,
    /// IAM users.
    pub users: Vec<User>,
    /// Credentials, of users and of principals that are not users.
    pub access_keys: Vec<AccessKey>,
    /// Virtual MFA devices, assigned or not.
    pub devices: Vec<Device>,
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

/// A virtual (TOTP) MFA device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// The serial number IAM shows: the device ARN `arn:aws:iam::ACCOUNT:mfa/[path/]NAME`.
    pub serial: String,
    /// The user it is enabled for; `None` until `EnableMFADevice`.
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
                serial: DEMO_SERIAL.to_owned(),
                user: Some("alice".to_owned()),
                seed_base32: seed_base32.to_owned(),
                period: default_period(),
                digits: default_digits(),
                last_counter: None,
                enable_date: Some(clock::rfc3339(clock::host_now())),
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

    /// `arn:aws:iam::ACCOUNT:user{path}{name}`, for a user that may not exist (path `/` then).
    pub fn user_arn(&self, name: &str) -> String {
        let path = self.user(name).map_or("/", |u| u.path.as_str());
        format!("arn:aws:iam::{}:user{}{}", self.account_id, path, name)
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

/// A fresh seed as AWS makes them: 25 random bytes, 40 base32 characters without padding.
pub fn random_seed_base32() -> String {
    let mut bytes = [0u8; 25];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_json_is_externally_tagged() {
        let user = serde_json::to_string(&Principal::User("alice".into())).unwrap();
        assert_eq!(user, r#"{"user":"alice"}"#);
        let role: Principal =
            serde_json::from_str(r#"{"assumed_role":{"role":"ops","session":"s1"}}"#).unwrap();
        assert_eq!(
            role,
            Principal::AssumedRole {
                role: "ops".into(),
                session: "s1".into()
            }
        );
        assert_eq!(
            serde_json::to_string(&Principal::Root).unwrap(),
            r#""root""#
        );
    }

    #[test]
    fn seeds_look_like_aws_seeds() {
        let seed = random_seed_base32();
        assert_eq!(seed.len(), 40);
        assert!(
            seed.bytes()
                .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
        );
        assert_ne!(seed, random_seed_base32());
    }

    #[test]
    fn demo_round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let state = State::demo("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        state.save(&path).unwrap();
        assert_eq!(State::load(&path).unwrap(), state);
        assert_eq!(
            state.user_arn("alice"),
            "arn:aws:iam::123456789012:user/alice"
        );
        assert_eq!(
            state.device(DEMO_SERIAL).unwrap().user.as_deref(),
            Some("alice")
        );
    }

    #[test]
    fn hand_written_state_gets_aws_defaults() {
        let state: State = serde_json::from_str(
            r#"{"account_id":"111122223333","users":[{"name":"bob","user_id":"AIDA1"}],
                "access_keys":[{"id":"AKIA1","secret":"s","principal":"root"}],
                "devices":[{"serial":"arn:aws:iam::111122223333:mfa/bob","seed_base32":"AAAA"}]}"#,
        )
        .unwrap();
        assert_eq!(state.users[0].path, "/");
        assert_eq!((state.devices[0].period, state.devices[0].digits), (30, 6));
        assert!(!state.access_keys[0].expired);
    }

    #[test]
    fn load_errors_name_the_file() {
        let err = State::load(Path::new("/nonexistent/state.json")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/state.json"), "{err}");
    }
}
