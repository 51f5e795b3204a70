//! The applet as a card description stores it: built from a [`CardConfig`] (every credential
//! checked), and written back with what hosts changed, so that a card survives a restart of the
//! virtual YubiKey as a real key keeps its state across unplugging.

use super::*;
use crate::virtual_yubikey::config::{CardConfig, CredentialConfig};
use crate::virtual_yubikey::error::Error;

impl OathApplet {
    /// Builds the applet from a card description, checking every credential.
    pub fn from_config(config: &CardConfig) -> Result<Self, Error> {
        let version = config.version_bytes()?;
        let salt = match &config.salt {
            Some(hex_salt) => hex::decode(hex_salt)
                .ok()
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .ok_or_else(|| Error::InvalidConfig("salt must be 8 bytes of hex".into()))?,
            None => entropy::random::<8>(),
        };
        let access_key = match (&config.password, &config.access_key) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidConfig(
                    "give a password or an access_key, not both".into(),
                ));
            }
            (Some(password), None) => Some(AccessKey {
                algorithm: HashAlgorithm::Sha1,
                key: crypto::derive_access_key(password, &salt).to_vec(),
            }),
            (None, Some(hex_key)) => Some(AccessKey {
                algorithm: HashAlgorithm::Sha1,
                key: hex::decode(hex_key)
                    .ok()
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| Error::InvalidConfig("access_key must be hex".into()))?,
            }),
            (None, None) => None,
        };
        let mut applet = Self {
            version,
            salt,
            access_key,
            key_changed: false,
            credentials: Vec::new(),
            touch: config.touch,
            challenge: None,
            unlocked: false,
            dirty: false,
        };
        for cred in &config.credentials {
            let id = cred.credential_id();
            let what = String::from_utf8_lossy(&id).into_owned();
            if cred.name.is_empty() && cred.id.is_none() && cred.id_hex.is_none() {
                return Err(Error::InvalidConfig(format!(
                    "credential {what:?}: needs a name, or an id"
                )));
            }
            if cred.touch && version < TOUCH_SINCE {
                return Err(Error::InvalidConfig(format!(
                    "credential {what:?}: touch needs firmware 4.2.6 or later, not {}",
                    config.version
                )));
            }
            if cred.algorithm == HashAlgorithm::Sha512 && version < SHA512_SINCE {
                return Err(Error::InvalidConfig(format!(
                    "credential {what:?}: SHA512 needs firmware 4.3.1 or later, not {}",
                    config.version
                )));
            }
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Err(Error::InvalidConfig(format!(
                    "credential {what:?}: id must be 1-{MAX_ID_LEN} bytes"
                )));
            }
            if !(6..=8).contains(&cred.digits) {
                return Err(Error::InvalidConfig(format!(
                    "credential {what:?}: digits must be 6, 7 or 8"
                )));
            }
            if cred.oath_type == OathType::Totp && cred.period == 0 {
                return Err(Error::InvalidConfig(format!(
                    "credential {what:?}: period must be at least 1 s"
                )));
            }
            if applet.credentials.iter().any(|c| c.id == id) {
                return Err(Error::InvalidConfig(format!(
                    "credential {what:?} appears twice"
                )));
            }
            applet.credentials.push(Credential {
                id,
                oath_type: cred.oath_type,
                algorithm: cred.algorithm,
                digits: cred.digits,
                key: cred.secret_bytes()?,
                touch: cred.touch,
                counter: u64::from(cred.counter),
            });
        }
        if applet.credentials.len() > applet.capacity() {
            return Err(Error::InvalidConfig(format!(
                "at most {} credentials fit on firmware {}",
                applet.capacity(),
                config.version
            )));
        }
        Ok(applet)
    }

    /// Writes what hosts may have changed (salt, key, credentials, HOTP counters) back into a
    /// card description.
    pub fn write_config(&self, config: &mut CardConfig) {
        config.salt = Some(hex::encode(self.salt));
        if self.key_changed {
            config.password = None;
            config.access_key = self.access_key.as_ref().map(|k| hex::encode(&k.key));
        }
        config.touch = self.touch;
        config.credentials = self
            .credentials
            .iter()
            .map(|c| {
                CredentialConfig::from_card(
                    &c.id,
                    c.oath_type,
                    c.algorithm,
                    c.digits,
                    &c.key,
                    c.touch,
                    u32::try_from(c.counter).unwrap_or(u32::MAX),
                )
            })
            .collect();
    }
}
