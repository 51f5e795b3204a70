//! One thin file per subcommand: each takes a validated request, runs the pipeline and hands the
//! result to the reporter. No command parses, prints, reaches a device or AWS, or words an error by
//! itself (ARCHITECTURE.md, "Adding a command").

pub mod batch;
pub mod codes;
pub mod completions;
pub mod devices;
pub mod docs;
pub mod doctor;
pub mod enroll;
pub mod resync;
pub mod retire;
pub mod station;
