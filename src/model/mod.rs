//! The domain's values, one type each: IAM's names ([`UserName`], [`SerialNumber`], a new device's
//! [`DeviceName`] and [`IamPath`]), a key's credential name ([`OathName`]), one-time codes
//! ([`AuthCode`]), and where a value came from ([`Field`], [`Origin`]) with what can be wrong with
//! it ([`InputError`]). A value of these types passed IAM's (or YKOATH's) own constraints, so it
//! can be sent as it is. Every layer that handles them (request, aws, source, pipeline) imports them
//! from here; this module imports nothing of the crate's but itself.

/// The text a checked value holds, to send and to show as it is; each value's type is only its
/// check.
macro_rules! text_value {
    ($($name:ident),+) => {$(
        impl $name {
            /// The text as IAM (or, for an OATH name, the key) knows it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )+};
}

mod code;
mod device_names;
mod input;
mod input_files;
mod names;
mod seed_shape;

pub use code::{AuthCode, IAM_CODE_DIGITS, digits};
pub use device_names::{
    AWS_ISSUER, DeviceName, IamPath, MAX_DEVICE_NAME, MAX_DEVICES_PER_USER, MAX_ID_BYTES, MAX_PATH,
    MAX_PATH_AND_NAME, OathName, check_default_oath_name, check_path_and_name,
};
pub use input::{
    CharRule, CredentialNameProblem, Field, InputError, LengthRule, LineProblem, Origin, Problem,
    Shape, Takes, Usage,
};
pub use input_files::{BatchProblem, DirProblem, FileInput, JsonFix, JsonProblem, ReadProblem};
pub use names::{
    MapError, SerialNumber, UserName, is_account_id, is_named_for_user, virtual_device_name,
};
pub use seed_shape::{looks_like_seed, refuse_seed};
