//! The domain's values, one type each: IAM's names ([`UserName`], [`SerialNumber`], a new device's
//! [`DeviceName`] and [`IamPath`]), a key's credential name ([`OathName`]), one-time codes
//! ([`AuthCode`]), and where a value came from ([`Field`], [`Origin`]) with what can be wrong with
//! it ([`InputError`]). A value of these types passed IAM's (or YKOATH's) own constraints, so it
//! can be sent as it is. Every layer that handles them (request, aws, source, pipeline) imports them
//! from here; this module imports nothing of the crate's but itself.

mod code;
mod device_names;
mod input;
mod input_files;
mod names;
mod seed_shape;

pub use code::{AuthCode, IAM_CODE_DIGITS, Shape, digits};
pub use device_names::{
    AWS_ISSUER, DeviceName, IamPath, MAX_DEVICE_NAME, MAX_DEVICES_PER_USER, MAX_ID_BYTES, MAX_PATH,
    MAX_PATH_AND_NAME, OathName, check_default_oath_name, check_path_and_name,
};
pub use input::{
    CharRule, CredentialNameProblem, Field, InputError, LineProblem, Origin, Problem, Takes, Usage,
};
pub use input_files::{BatchProblem, DirProblem, FileInput, JsonFix, JsonProblem};
pub use names::{
    SerialNumber, UserName, is_account_id, is_named_for_user, is_user_name_char, refuse_bad_char,
    virtual_device_name,
};
pub use seed_shape::{looks_like_seed, refuse_seed};
