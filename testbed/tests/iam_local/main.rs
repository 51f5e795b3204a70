//! End-to-end tests of `iam-local` over real HTTP: with the official AWS SDK clients, with raw
//! requests signed by the independent `aws-sigv4` signer, and through the `iam-local` binary.

mod binary;
mod harness;
mod sdk;
mod wire;
