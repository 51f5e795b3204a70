//! Validated, clap-free requests: everything the user gives is checked here before any I/O, and
//! what leaves is a value that cannot hold an invalid user name, serial number, code or flag
//! combination. This layer owns the rules and the wording of input errors; it knows nothing of
//! clap, and reads nothing but the files the user named as input (`--batch`).
//!
//! The values themselves (and the rule that refuses a seed where a name belongs) are the model's
//! (`crate::model`); [`code_source`], [`aws`], [`resync`], [`batch`], [`devices`], [`enroll`] and
//! [`station`] check what each command is given.

pub mod aws;
pub mod batch;
pub mod code_source;
pub mod devices;
pub mod enroll;
pub mod json_object;
pub mod resync;
pub mod retire;
pub mod station;

pub use aws::{AwsOptions, CaBundle};
pub use batch::BatchRequest;
pub use code_source::{SourceChoice, SourceKind, SourceSpec};
pub use devices::{DevicesRequest, DoctorRequest};
pub use enroll::{EnrollInput, EnrollRequest, KeyChoice};
pub use resync::{
    CodeFlags, CodePlan, CodesRequest, Given, IGNORED_JSON_KEYS, JSON_KEYS, Pace, ResyncInput,
    ResyncRequest,
};
pub use retire::{RetireRequest, RetireTarget};
pub use station::StationRequest;
