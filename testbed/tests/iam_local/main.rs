//! End-to-end tests of `iam-local` over real HTTP: with the official AWS SDK clients, with raw
//! requests signed by the independent `aws-sigv4` signer, and through the `iam-local` binary.

mod aliases_policies_partitions;
mod binary;
mod binary_options;
mod code_window;
mod enrolment;
mod faults;
mod harness;
mod paging;
mod root_and_tags;
mod sdk;
mod wire;
