//! Loading the configuration (profile, region, endpoint, timeouts, credentials chain) and building
//! the IAM and STS clients that share it, as the AWS CLI would for the same flags.

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileLoadError;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;

use super::date_probe::DateProbe;
use super::partition;
use super::wire::Wire;
use super::{Aws, AwsError};
use crate::request::AwsOptions;

/// IAM is a global service: with no region configured anywhere, sign for `us-east-1` as the AWS CLI does.
const IAM_DEFAULT_REGION: &str = "us-east-1";

impl Aws {
    /// Loads the configuration (profile, region, credentials chain) and builds the clients.
    pub async fn connect(options: &AwsOptions) -> Result<Aws, AwsError> {
        Self::connect_inner(options, None).await
    }

    /// As [`Aws::connect`], with fixed credentials instead of the default chain: for programs that
    /// embed the library with credentials of their own (and for tests).
    pub async fn connect_with_credentials(
        options: &AwsOptions,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Result<Aws, AwsError> {
        let credentials = aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "static",
        );
        Self::connect_inner(options, Some(credentials)).await
    }

    async fn connect_inner(
        options: &AwsOptions,
        credentials: Option<aws_credential_types::Credentials>,
    ) -> Result<Aws, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(credentials) = credentials {
            loader = loader.credentials_provider(credentials);
        }
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .operation_attempt_timeout(options.read_timeout + options.connect_timeout)
            .build();
        let sdk = loader.timeout_config(timeouts).load().await;
        tracing::info!(
            profile = ?options.profile,
            region = ?sdk.region(),
            endpoint = ?options.endpoint_url,
            "AWS configuration loaded"
        );
        let profile_mfa_serial = profile_mfa_serial(options.profile.as_deref()).await;
        let region = region_for(
            sdk.region().map(|r| r.to_string()),
            options
                .partition
                .as_deref()
                .or(profile_mfa_serial.as_deref().and_then(partition::of_arn)),
        )?;
        Ok(Aws::from_sdk_config(&sdk, profile_mfa_serial, region))
    }

    /// The IAM and STS clients over one loaded configuration, signing for `region`, each keeping
    /// the `Date` of its answers; the one place both [`Aws::connect`] and the tests build them.
    pub(super) fn from_sdk_config(
        sdk: &aws_types::SdkConfig,
        profile_mfa_serial: Option<String>,
        region: String,
    ) -> Aws {
        let region_defaulted = sdk.region().is_none();
        let probe = DateProbe::default();
        let wire = Wire::default();
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(sdk)
                .region(Region::new(region.clone()))
                .interceptor(probe.clone())
                .interceptor(wire.clone())
                .build(),
        );
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(sdk)
                .region(Region::new(region.clone()))
                .interceptor(probe.clone())
                .interceptor(wire.clone())
                .build(),
        );
        Aws {
            iam,
            sts,
            probe,
            wire,
            profile_mfa_serial,
            region,
            region_defaulted,
            credentials: sdk.credentials_provider(),
        }
    }

    /// The clients over an injected HTTP client (the SDK's `StaticReplayClient` with canned
    /// answers), in us-east-1, with fixed test credentials and nothing read from the environment
    /// or profile files: the tests of [`super::error`] go through the real SDK calls below HTTP.
    #[cfg(test)]
    pub(crate) fn for_tests(
        http_client: aws_smithy_runtime_api::client::http::SharedHttpClient,
        retry: aws_smithy_types::retry::RetryConfig,
    ) -> Aws {
        let credentials = aws_credential_types::Credentials::new(
            "ANOTREAL",
            "notrealrnrELgWzOk3IfjzDKtFBhDby",
            None,
            None,
            "test",
        );
        let sdk = aws_types::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(IAM_DEFAULT_REGION))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .http_client(http_client)
            .retry_config(retry)
            .build();
        Aws::from_sdk_config(&sdk, None, IAM_DEFAULT_REGION.to_string())
    }
}

/// The region to sign for: the one configured, which must be in the serial's partition; else IAM's
/// region in the serial's partition (GovCloud's, China's), else `us-east-1` as the AWS CLI.
fn region_for(configured: Option<String>, partition: Option<&str>) -> Result<String, AwsError> {
    match (configured, partition) {
        (Some(region), Some(wanted)) if partition::of_region(&region) != wanted => {
            Err(AwsError::PartitionMismatch {
                region,
                partition: wanted.to_string(),
            })
        }
        (Some(region), _) => Ok(region),
        (None, Some(wanted)) => {
            let region = partition::iam_region(wanted).unwrap_or(IAM_DEFAULT_REGION);
            if wanted != "aws" {
                tracing::info!(
                    region,
                    partition = wanted,
                    "no region configured: signing for IAM's region in the serial's partition"
                );
            }
            Ok(region.to_string())
        }
        (None, None) => Ok(IAM_DEFAULT_REGION.to_string()),
    }
}

/// Reads `mfa_serial` from the selected profile, as the AWS CLI does for MFA prompts. A broken
/// config file is left for the credentials chain to report.
async fn profile_mfa_serial(profile: Option<&str>) -> Option<String> {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let selected = profile.map(|p| std::borrow::Cow::Owned(p.to_string()));
    let set: Result<_, ProfileFileLoadError> =
        aws_config::profile::load(&fs, &env, &Default::default(), selected).await;
    let set = set.ok()?;
    let profile = set.get_profile(set.selected_profile())?;
    profile.get("mfa_serial").map(str::to_string)
}
