//! How to reach AWS, as the request layer validated it from the flags (profile, region, endpoint,
//! timeouts, CA bundle): what [`super::Aws::connect`] takes.

use std::time::Duration;

/// How to reach AWS, validated.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// `--profile`
    pub profile: Option<String>,
    /// `--region`
    pub region: Option<String>,
    /// `--endpoint-url`
    pub endpoint_url: Option<String>,
    /// `--cli-connect-timeout`
    pub connect_timeout: Duration,
    /// `--cli-read-timeout`: the longest one attempt of a call may take.
    pub read_timeout: Duration,
    /// The partition of the target device's ARN, when known before any request: the region to
    /// sign for must be in it.
    pub partition: Option<String>,
    /// `--allow-insecure-endpoint`: an `http://` endpoint on another host is used (with a warning).
    pub allow_insecure_endpoint: bool,
    /// The CA certificates to trust: `--ca-bundle`, else `AWS_CA_BUNDLE` (the profile's
    /// `ca_bundle` is read with the profile).
    pub ca_bundle: Option<CaBundle>,
}

/// A file of PEM certificates to trust instead of the system's, and where it was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaBundle {
    /// The file.
    pub path: std::path::PathBuf,
    /// `--ca-bundle`, `AWS_CA_BUNDLE`, `the profile's ca_bundle`.
    pub origin: &'static str,
}
