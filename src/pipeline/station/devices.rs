//! From a credential's name to its IAM device and user: `iam:ListVirtualMFADevices` lists the
//! account's virtual devices with the `User` of each assigned one (IAM API reference), so one
//! listing maps every credential of a key. Each key served gets a listing made after it came (keys
//! that come together share one), so a station running for weeks maps a key to the devices as they
//! are now, and its answer's `Date` keeps the station's skew against AWS current.
//!
//! A credential maps to the device it names, never to its user's other devices: a found-again key
//! whose device was retired or replaced is stale, and nothing is sent. A name that fits several
//! devices (`alice` under two paths) is never guessed at.

use std::time::Instant;

use crate::aws::{Assignee, Listing, VirtualDevice};
use crate::error::Error;
use crate::model::{MapError, is_named_for_user, virtual_device_name};
use crate::model::{Origin, SerialNumber, UserName};

use super::naming::AwsName;
use crate::pipeline::Session;

/// What a lookup in one listing found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The device and its user.
    Found {
        /// The user it is enabled for.
        user: String,
        /// Its ARN.
        serial: String,
    },
    /// Not there, or not assigned: worth listing again.
    Missing(MapError),
    /// Final: several devices fit.
    Ambiguous(MapError),
}

/// Looks `name` up in `devices`: a serial ARN names its device; `OWNER@…` the assigned devices
/// named OWNER or enabled for user OWNER (the account was matched before).
pub fn lookup(devices: &[VirtualDevice], name: &AwsName) -> Lookup {
    // The device's name only, never its user's: a found-again key whose device was replaced
    // would otherwise be sent to the user's new device and refused.
    let (named, device_name): (Vec<&VirtualDevice>, _) = match name {
        AwsName::Serial(serial) => (
            devices
                .iter()
                .find(|d| d.serial == serial.as_str())
                .into_iter()
                .collect(),
            serial.device_name(),
        ),
        AwsName::Owner { owner, .. } => (
            devices
                .iter()
                .filter(|d| virtual_device_name(&d.serial) == Some(owner.as_str()))
                .collect(),
            Some(owner.as_str()),
        ),
    };
    let assigned: Vec<&VirtualDevice> =
        named.iter().copied().filter(|d| d.user.is_some()).collect();
    // No device has that name any more but the user it was named for still has devices
    // (`is_named_for_user`): the key's credential is stale (its device was retired or replaced),
    // and final, as listing again would not bring the device back.
    let stale = || {
        let device = device_name?;
        let user = devices
            .iter()
            .filter_map(|d| d.user.as_ref().and_then(Assignee::user_name))
            .find(|user| is_named_for_user(device, user))?;
        Some((device, user))
    };
    match assigned.as_slice() {
        [one] => match &one.user {
            Some(Assignee::User(user)) => Lookup::Found {
                user: user.clone(),
                serial: one.serial.clone(),
            },
            _ => Lookup::Ambiguous(MapError::Root {
                serial: one.serial.clone(),
            }),
        },
        [] => match (named.first(), stale()) {
            (Some(unassigned), _) => Lookup::Missing(MapError::Unassigned {
                serial: unassigned.serial.clone(),
            }),
            (None, Some((device, user))) => Lookup::Ambiguous(MapError::Stale {
                device: device.to_string(),
                user: user.to_string(),
            }),
            (None, None) => Lookup::Missing(match name {
                AwsName::Serial(serial) => MapError::NoSerial {
                    serial: serial.to_string(),
                },
                AwsName::Owner { owner, account } => MapError::NoOwner {
                    owner: owner.clone(),
                    account: account.clone(),
                },
            }),
        },
        // Only a name can fit several: a serial names one device.
        several => Lookup::Ambiguous(MapError::Several {
            owner: device_name.unwrap_or_default().to_string(),
            account: name.account().to_string(),
            serials: several.iter().map(|d| d.serial.clone()).collect(),
        }),
    }
}

/// The latest listing of the account's virtual devices, and when it was asked for.
#[derive(Debug, Default)]
pub struct DeviceMap {
    listed: tokio::sync::Mutex<Option<(Instant, Vec<VirtualDevice>)>>,
}

impl DeviceMap {
    /// The user and device `name` stands for, in a listing asked for no earlier than `since` (the
    /// key's arrival): made here unless a key that came with it made one already. The session's
    /// skew is measured again from the listing's answer.
    pub async fn target(
        &self,
        session: &Session,
        name: &AwsName,
        since: Instant,
    ) -> Result<Result<(UserName, SerialNumber), MapError>, Error> {
        // Held across the listing, so that keys inserted together list once.
        let mut listed = self.listed.lock().await;
        let devices = match &*listed {
            Some((asked, devices)) if *asked >= since => devices,
            _ => {
                let asked = Instant::now();
                let devices = session.aws.virtual_devices(Listing::All).await?;
                session.measure_skew_again();
                &listed.insert((asked, devices)).1
            }
        };
        Ok(match lookup(devices, name) {
            Lookup::Found { user, serial } => {
                match (
                    UserName::parse(&user, Origin::Flag),
                    SerialNumber::parse(&serial, Origin::Flag),
                ) {
                    (Ok(user), Ok(serial)) => Ok((user, serial)),
                    _ => Err(MapError::Malformed {
                        what: "a user or serial number IAM itself would not accept".into(),
                    }),
                }
            }
            Lookup::Missing(e) | Lookup::Ambiguous(e) => Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::tests::virtual_devices::device;
    use crate::exit::Exit;

    fn owner(owner: &str) -> AwsName {
        AwsName::Owner {
            owner: owner.into(),
            account: "123456789012".into(),
        }
    }

    fn serial(name: &str) -> AwsName {
        AwsName::Serial(
            SerialNumber::parse(
                &format!("arn:aws:iam::123456789012:mfa/{name}"),
                Origin::Flag,
            )
            .unwrap(),
        )
    }

    #[test]
    fn names_map_to_the_device_and_its_user() {
        let devices = [
            device("alice", Some("alice")),
            device("desk/bob-key", Some("bob")),
            device("spare", None),
        ];
        let found = |name: &AwsName| match lookup(&devices, name) {
            Lookup::Found { user, serial } => (user, serial),
            other => panic!("{other:?}"),
        };
        assert_eq!(found(&owner("alice")).0, "alice");
        assert_eq!(
            found(&owner("bob-key")),
            (
                "bob".into(),
                "arn:aws:iam::123456789012:mfa/desk/bob-key".into()
            ),
            "the device's name, as the QR code has it"
        );
        assert_eq!(found(&serial("desk/bob-key")).0, "bob");
    }

    #[test]
    fn a_credential_for_a_device_its_user_no_longer_has_is_stale_and_final() {
        // carol's first key named mfa/carol; she now has mfa/carol-23456789 only.
        let devices = [
            device("carol-23456789", Some("carol")),
            device("bob-key", Some("bob")),
        ];
        for gone in ["carol", "carol-12345678"] {
            assert_eq!(
                lookup(&devices, &owner(gone)),
                Lookup::Ambiguous(MapError::Stale {
                    device: gone.into(),
                    user: "carol".into()
                }),
                "{gone}"
            );
        }
        assert!(
            matches!(
                lookup(&devices, &owner("bob")),
                Lookup::Ambiguous(MapError::Stale { .. })
            ),
            "a user's name is not a device of theirs with another name"
        );
        assert_eq!(
            lookup(&devices, &serial("carol")),
            Lookup::Ambiguous(MapError::Stale {
                device: "carol".into(),
                user: "carol".into()
            }),
            "named after its serial ARN, as aws-vault names it"
        );
        assert!(matches!(
            lookup(&devices, &owner("carolyn")),
            Lookup::Missing(MapError::NoOwner { .. })
        ));
        let stale = MapError::Stale {
            device: "carol".into(),
            user: "carol".into(),
        };
        assert_eq!(stale.exit(), Exit::Device);
        assert!(stale.to_string().contains("enrol the key again"));
    }

    #[test]
    fn misses_are_worth_a_second_listing_and_ambiguity_is_not() {
        let devices = [
            device("alice", Some("bob")),
            device("team/alice", Some("alice")),
            device("spare", None),
        ];
        assert!(matches!(
            lookup(&devices, &owner("alice")),
            Lookup::Ambiguous(MapError::Several { ref serials, .. }) if serials.len() == 2
        ));
        assert!(matches!(
            lookup(&devices, &owner("carol")),
            Lookup::Missing(MapError::NoOwner { .. })
        ));
        assert!(matches!(
            lookup(&devices, &owner("spare")),
            Lookup::Missing(MapError::Unassigned { .. })
        ));
        assert!(matches!(
            lookup(&devices, &serial("spare")),
            Lookup::Missing(MapError::Unassigned { .. })
        ));
        assert!(matches!(
            lookup(&devices, &serial("nobody")),
            Lookup::Missing(MapError::NoSerial { .. })
        ));
        assert_eq!(
            MapError::NoSerial { serial: "s".into() }.exit(),
            Exit::NoSuchEntity
        );
    }

    #[test]
    fn the_root_user_s_device_is_named_as_such_and_never_taken_for_a_user_s() {
        let devices = [
            device("root-account-mfa", Some("root")),
            device("alice", Some("alice")),
        ];
        for name in [owner("root-account-mfa"), serial("root-account-mfa")] {
            assert!(
                matches!(
                    lookup(&devices, &name),
                    Lookup::Ambiguous(MapError::Root { ref serial }) if serial.ends_with("mfa/root-account-mfa")
                ),
                "{name:?}"
            );
        }
        // A user called "root" is a user; the root user has no name to match.
        assert!(matches!(
            lookup(&devices, &owner("root")),
            Lookup::Missing(MapError::NoOwner { .. })
        ));
        assert_eq!(MapError::Root { serial: "s".into() }.exit(), Exit::Input);
    }
}
