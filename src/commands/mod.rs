//! One thin file per subcommand: each takes a validated request, runs the pipeline (or the device or
//! AWS layer directly, for the listings), and hands the result to the reporter. No command parses,
//! prints or classifies errors by itself.

pub mod batch;
pub mod codes;
pub mod devices;
pub mod docs;
pub mod doctor;
pub mod enroll;
pub mod resync;
pub mod station;

