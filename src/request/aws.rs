//! How to reach AWS, as the user asked: profile, region, endpoint and timeouts, checked for shape
//! before any I/O. The AWS layer reads [`AwsOptions`]; aws-config's chain does the rest.

use std::time::Duration;

use super::field::{Field, InputError};
use super::secret_shape::{name_hint, refuse_seed};

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
}

/// The AWS flags as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsChoice {
    /// `--profile`
    pub profile: Option<String>,
    /// `--region`
    pub region: Option<String>,
    /// `--endpoint-url`
    pub endpoint_url: Option<String>,
    /// `--cli-read-timeout`, seconds
    pub read_timeout_secs: u64,
    /// `--cli-connect-timeout`, seconds
    pub connect_timeout_secs: u64,
}

impl AwsChoice {
    /// Checks the flags' shapes (no I/O: whether the profile exists is the SDK's to say).
    pub fn validate(self) -> Result<AwsOptions, InputError> {
        let args = &self;
        if let Some(url) = &args.endpoint_url {
            let ok = (url.starts_with("http://") || url.starts_with("https://"))
                && url.split("://").nth(1).is_some_and(|rest| !rest.is_empty())
                && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err(InputError::invalid(
                    Field::flag("--endpoint-url"),
                    "is not an http:// or https:// URL",
                    "give a URL such as http://127.0.0.1:4599 or https://iam.amazonaws.com",
                ));
            }
        }
        if let Some(url) = &args.endpoint_url {
            refuse_seed(
                Field::flag("--endpoint-url"),
                url,
                &name_hint("--endpoint-url takes the URL of an IAM endpoint"),
            )?;
        }
        if let Some(profile) = &args.profile {
            refuse_seed(
                Field::flag("--profile"),
                profile,
                &name_hint(
                    "--profile takes a profile's name, as `aws configure list-profiles` lists them",
                ),
            )?;
        }
        for (flag, value) in [("--profile", &args.profile), ("--region", &args.region)] {
            if let Some(v) = value
                && (v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()))
            {
                return Err(InputError::invalid(
                    Field::flag(flag),
                    "is empty or has spaces",
                    format!(
                        "give a name without spaces, e.g. {flag} {}",
                        if flag == "--region" {
                            "us-east-1"
                        } else {
                            "default"
                        }
                    ),
                ));
            }
        }
        Ok(AwsOptions {
            profile: args.profile.clone(),
            region: args.region.clone(),
            endpoint_url: args.endpoint_url.clone(),
            connect_timeout: Duration::from_secs(args.connect_timeout_secs),
            read_timeout: Duration::from_secs(args.read_timeout_secs),
        })
    }
}
