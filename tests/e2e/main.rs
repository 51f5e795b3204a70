//! End-to-end tests: the built `mfa-resync` binary against `iam-local` over real HTTP with SigV4.
//!
//! One binary, a module per topic, each test with its own endpoint and temp dir (see `util`);
//! `golden` pins help, errors and output in files under `tests/cmd/`.

mod batch;
mod clock;
mod codes;
mod completions;
mod conventions;
mod display_token;
mod doctor;
mod enroll;
mod faults;
mod golden;
mod hardening;
mod input_json;
mod interrupt;
mod journeys;
mod naming;
mod network;
mod pipeline;
mod readme_journeys;
mod repeated;
mod resync;
mod secrets;
mod station;
mod terminal;
mod untrusted;
mod util;
mod yubikey;
