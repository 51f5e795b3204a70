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

/// A single-threaded runtime: everything here waits on the network, a device or the clock, and one
/// thread keeps start-up and memory small.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
