//! Loading the configuration (profile, region, endpoint, timeouts, credentials chain) and building
//! the IAM and STS clients that share it, as the AWS CLI would for the same flags.

use aws_config::BehaviorVersion;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;

use super::answer::AnswerCheck;
use super::endpoint::{self, Endpoint};
use super::options::{AwsOptions, CaBundle};
use super::partition;
use super::wire::Wire;
use super::{Aws, AwsError};

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
        // The SDK reads the same files again below and warns about them itself; its warnings (a
        // missing file named by AWS_CONFIG_FILE, say) are said once, by that second reading.
        let profile_set = tracing::instrument::WithSubscriber::with_subscriber(
            load_profiles(options.profile.as_deref()),
            tracing::subscriber::NoSubscriber::default(),
        )
        .await;
        if let (Some(profile), Some(set)) = (&options.profile, &profile_set)
            && set.get_profile(profile).is_none()
        {
            return Err(AwsError::NoSuchProfile {
                profile: profile.clone(),
            });
        }
        let trusting = ca_bundle(options, profile_set.as_ref())
            .map(|bundle| https_client_trusting(&bundle))
            .transpose()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &options.profile {
            // The AWS CLI gives an explicit --profile priority over AWS_ACCESS_KEY_ID and the rest of
            // the environment; aws-config's default chain reads the environment first, whatever the
            // profile. So the profile's own provider (keys, SSO, credential_process, role) is the
            // chain, and a profile that no file defines is an error before any request.
            loader = loader.profile_name(profile);
            if credentials.is_none() {
                let mut provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(profile);
                // An explicit provider does not get the loader's HTTP client: the CA bundle is
                // handed to it too, so that SSO and role credentials cross the same proxy.
                if let Some(client) = &trusting {
                    provider = provider.configure(
                        &aws_config::provider_config::ProviderConfig::default()
                            .with_http_client(client.clone()),
                    );
                }
                loader = loader.credentials_provider(provider.build());
            }
        }
        if let Some(credentials) = credentials {
            loader = loader.credentials_provider(credentials);
        }
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(client) = &trusting {
            loader = loader.http_client(client.clone());
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
        let profile_mfa_serial = selected(profile_set.as_ref(), "mfa_serial").map(str::to_string);
        let region = region_for(
            sdk.region().map(|r| r.to_string()),
            options
                .partition
                .as_deref()
                .or(profile_mfa_serial.as_deref().and_then(partition::of_arn)),
        )?;
        let mut aws = Aws::from_sdk_config(&sdk, profile_mfa_serial, region, flag);
        aws.endpoints = endpoints;
        Ok(aws)
    }

    /// The IAM and STS clients over one loaded configuration, signing for `region`, each keeping
    /// the `Date` of its answers, checking each answer ([`super::answer`]) and logging its
    /// headers for `--debug`; the one place both
    /// [`Aws::connect`] and the tests build them.
    pub(super) fn from_sdk_config(
        sdk: &aws_types::SdkConfig,
        profile_mfa_serial: Option<String>,
        region: String,
        endpoint_url: Option<&str>,
    ) -> Aws {
        let region_defaulted = sdk.region().is_none();
        let wire = Wire::default();
        let mut iam = aws_sdk_iam::config::Builder::from(sdk)
            .region(Region::new(region.clone()))
            .interceptor(wire.clone())
            .interceptor(AnswerCheck);
        let mut sts = aws_sdk_sts::config::Builder::from(sdk)
            .region(Region::new(region.clone()))
            .interceptor(wire.clone())
            .interceptor(AnswerCheck);
        // Set on each client, so that --endpoint-url wins over AWS_ENDPOINT_URL_IAM and the like,
        // which the SDK would otherwise prefer (its service config comes before the loader's URL).
        if let Some(url) = endpoint_url {
            iam = iam.endpoint_url(url);
            sts = sts.endpoint_url(url);
            // A plaintext endpoint (a local one: others are refused) needs no TLS, so these two
            // clients do without the system's certificates, which the default client reads (some
            // 300 files, several milliseconds) before its first request. Credential providers keep
            // the default client: an SSO token still goes over TLS.
            if url.starts_with("http://") {
                let plain = aws_smithy_http_client::Builder::new().build_http();
                iam = iam.http_client(plain.clone());
                sts = sts.http_client(plain);
            }
        }
        Aws {
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            wire,
            profile_mfa_serial,
            region,
            region_defaulted,
            credentials: sdk.credentials_provider(),
            endpoints: Vec::new(),
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
        Aws::from_sdk_config(&sdk, None, IAM_DEFAULT_REGION.to_string(), None)
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

/// The CA bundle to trust: `--ca-bundle`, else `AWS_CA_BUNDLE`, else the profile's `ca_bundle`, as
/// the AWS CLI looks for one.
fn ca_bundle(
    options: &AwsOptions,
    profiles: Option<&aws_config::profile::ProfileSet>,
) -> Option<CaBundle> {
    options.ca_bundle.clone().or_else(|| {
        Some(CaBundle {
            path: selected(profiles, "ca_bundle")?.into(),
            origin: "the profile's ca_bundle",
        })
    })
}

/// The value of `key` in the selected profile.
fn selected<'a>(
    profiles: Option<&'a aws_config::profile::ProfileSet>,
    key: &str,
) -> Option<&'a str> {
    let set = profiles?;
    set.get_profile(set.selected_profile())?.get(key)
}

/// The SDK's own HTTPS client (rustls, aws-lc), trusting the bundle's certificates: what a
/// TLS-inspecting proxy needs. As with the AWS CLI (`AWS_CA_BUNDLE` is botocore's `verify`), the
/// bundle replaces the system's store rather than adding to it. The file is read, capped and checked here, so
/// that a wrong path is bad input before any request rather than a TLS failure after one.
fn https_client_trusting(
    bundle: &CaBundle,
) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient, AwsError> {
    use aws_smithy_http_client::tls;
    let problem = |problem: String| AwsError::CaBundle {
        path: bundle.path.display().to_string(),
        origin: bundle.origin,
        problem,
    };
    let pem = crate::files::read_regular(&bundle.path, MAX_CA_BUNDLE_BYTES)
        .map_err(|e| problem(e.to_string()))?;
    if !pem
        .windows(CERTIFICATE_HEADER.len())
        .any(|w| w == CERTIFICATE_HEADER)
    {
        return Err(problem("holds no PEM certificate".into()));
    }
    let trust = tls::TrustStore::empty().with_pem_certificate(pem.to_vec());
    let context = tls::TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .map_err(|e| problem(format!("is not usable ({e})")))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .tls_context(context)
        .build_https())
}

/// A bundle of every CA there is is well under this.
const MAX_CA_BUNDLE_BYTES: u64 = 4 * 1024 * 1024;
const CERTIFICATE_HEADER: &[u8] = b"-----BEGIN CERTIFICATE-----";

/// The config and credentials files as the AWS CLI reads them, with `profile` (else `AWS_PROFILE`,
/// else `default`) selected: for the profile's `mfa_serial` (as the AWS CLI reads it for MFA
/// prompts) and to know whether an explicit profile exists. A broken file is left for the
/// credentials chain to report.
pub(super) async fn load_profiles(
    profile: Option<&str>,
) -> Option<aws_config::profile::ProfileSet> {
    let fs = aws_types::os_shim_internal::Fs::real();
    let env = aws_types::os_shim_internal::Env::real();
    let selected = profile.map(|p| std::borrow::Cow::Owned(p.to_string()));
    aws_config::profile::load(&fs, &env, &Default::default(), selected)
        .await
        .ok()
}
