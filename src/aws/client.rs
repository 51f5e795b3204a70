//! Loading the configuration (profile, region, endpoint, timeouts, credentials chain) and building
//! the IAM and STS clients that share it, as the AWS CLI would for the same flags.

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileLoadError;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;

use super::date_probe::DateProbe;
use super::endpoint::{self, Endpoint};
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
        let profile_set = load_profiles(options.profile.as_deref()).await;
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            // The AWS CLI gives an explicit --profile priority over AWS_ACCESS_KEY_ID and the rest of
            // the environment; aws-config's default chain reads the environment first, whatever the
            // profile. So the profile's own provider (keys, SSO, credential_process, role) is the
            // chain, and a profile that no file defines is an error before any request.
            if let Some(set) = &profile_set
                && set.get_profile(profile).is_none()
            {
                return Err(AwsError::NoSuchProfile {
                    profile: profile.clone(),
                });
            }
            loader = loader.profile_name(profile);
            if credentials.is_none() {
                loader = loader.credentials_provider(
                    aws_config::profile::ProfileFileCredentialsProvider::builder()
                        .profile_name(profile)
                        .build(),
                );
            }
        }
        if let Some(credentials) = credentials {
            loader = loader.credentials_provider(credentials);
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
        let region_defaulted = sdk.region().is_none();
        let flag = options.endpoint_url.as_deref();
        let endpoints: Vec<Endpoint> = ["IAM", "STS"]
            .into_iter()
            .filter_map(|service| endpoint::effective(&sdk, service, flag))
            .collect();
        if !options.allow_insecure_endpoint
            && let Some(bad) = endpoints.iter().find(|e| e.is_cleartext_remote())
        {
            return Err(AwsError::InsecureEndpoint {
                service: bad.service,
                url: bad.url.clone(),
                origin: bad.origin.clone(),
            });
        }
        tracing::info!(
            profile = ?options.profile,
            region = ?sdk.region(),
            endpoints = ?endpoints,
            "AWS configuration loaded"
        );
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| IAM_DEFAULT_REGION.to_string());
        let probe = DateProbe::default();
        let mut iam = aws_sdk_iam::config::Builder::from(&sdk)
            .region(Region::new(region.clone()))
            .interceptor(probe.clone());
        let mut sts = aws_sdk_sts::config::Builder::from(&sdk)
            .region(Region::new(region.clone()))
            .interceptor(probe.clone());
        // Set on each client, so that --endpoint-url wins over AWS_ENDPOINT_URL_IAM and the like,
        // which the SDK would otherwise prefer (its service config comes before the loader's URL).
        if let Some(url) = flag {
            iam = iam.endpoint_url(url);
            sts = sts.endpoint_url(url);
        }
        let iam = aws_sdk_iam::Client::from_conf(iam.build());
        let sts = aws_sdk_sts::Client::from_conf(sts.build());
        let profile_mfa_serial = profile_set.and_then(|set| {
            set.get_profile(set.selected_profile())
                .and_then(|p| p.get("mfa_serial"))
                .map(str::to_string)
        });
        let credentials = sdk.credentials_provider();
        Ok(Aws {
            iam,
            sts,
            probe,
            profile_mfa_serial,
            region,
            region_defaulted,
            credentials,
            endpoints,
        })
    }
}

/// The config and credentials files as the AWS CLI reads them, with `profile` (else `AWS_PROFILE`,
/// else `default`) selected: for the profile's `mfa_serial` (as the AWS CLI reads it for MFA
/// prompts) and to know whether an explicit profile exists. A broken file is left for the
/// credentials chain to report.
async fn load_profiles(profile: Option<&str>) -> Option<aws_config::profile::ProfileSet> {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let selected = profile.map(|p| std::borrow::Cow::Owned(p.to_string()));
    let set: Result<_, ProfileFileLoadError> =
        aws_config::profile::load(&fs, &env, &Default::default(), selected).await;
    set.ok()
}
