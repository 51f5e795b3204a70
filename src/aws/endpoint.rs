//! Where the requests go, and the rule that codes never cross a network in cleartext.
//!
//! The SDK takes an endpoint from `--endpoint-url`, from `AWS_ENDPOINT_URL_IAM` / `_STS`, from
//! `AWS_ENDPOINT_URL`, or from the config file (`endpoint_url`, globally or in a `services` section);
//! with none, AWS's own HTTPS endpoint for the region. [`effective`] says which one a client will
//! use, and where it came from, by the same order the SDK's generated `From<&SdkConfig>` applies
//! (aws-sdk-iam's `config.rs`, aws-runtime's `EnvConfigValue::load`), except that `--endpoint-url`
//! wins over the environment, as it does in the AWS CLI.
//!
//! An `http://` endpoint on another host would carry `AuthenticationCode1=…&AuthenticationCode2=…`
//! in the clear (a capture through `HTTP_PROXY` shows them): it is refused unless the user says
//! `--allow-insecure-endpoint`. Loopback (`localhost`, `127.0.0.0/8`, `::1`) stays allowed: nothing
//! leaves the machine, and local test endpoints use it.

use std::net::IpAddr;

use aws_types::SdkConfig;
use aws_types::service_config::ServiceConfigKey;

/// An endpoint that is not AWS's own, and where it was configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `IAM` or `STS`.
    pub service: &'static str,
    /// The URL as configured.
    pub url: String,
    /// `--endpoint-url`, `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL`, or the config file.
    pub origin: String,
}

impl Endpoint {
    /// Whether requests to it would cross a network unencrypted: `http://` to a host that is not
    /// this machine.
    pub fn is_cleartext_remote(&self) -> bool {
        is_cleartext_remote(&self.url)
    }
}

/// The endpoints to name, one line each: `IAM and STS` together when they are the same URL from the
/// same place, else each on its own.
pub fn grouped(endpoints: &[Endpoint]) -> Vec<(String, &Endpoint)> {
    match endpoints {
        [iam, sts] if iam.url == sts.url && iam.origin == sts.origin => {
            vec![(format!("{} and {}", iam.service, sts.service), iam)]
        }
        _ => endpoints
            .iter()
            .map(|e| (e.service.to_string(), e))
            .collect(),
    }
}

/// The endpoint `service` (`IAM`, `STS`) will use when it is not AWS's own, with its origin.
pub(crate) fn effective(
    sdk: &SdkConfig,
    service: &'static str,
    flag: Option<&str>,
) -> Option<Endpoint> {
    let endpoint = |url: String, origin: String| {
        Some(Endpoint {
            service,
            url,
            origin,
        })
    };
    if let Some(url) = flag {
        return endpoint(url.to_string(), "--endpoint-url".into());
    }
    let service_env = format!("AWS_ENDPOINT_URL_{service}");
    let key = ServiceConfigKey::builder()
        .service_id(service)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    let url = sdk
        .service_config()
        .and_then(|config| config.load_config(key))
        .or_else(|| sdk.endpoint_url().map(str::to_string))?;
    let origin = [service_env.as_str(), "AWS_ENDPOINT_URL"]
        .into_iter()
        .find(|var| std::env::var(var).is_ok_and(|v| v == url))
        .map(str::to_string)
        .unwrap_or_else(|| "endpoint_url in the AWS config file".into());
    endpoint(url, origin)
}

/// `http://` to a host other than loopback. Anything unparsable counts as remote.
pub fn is_cleartext_remote(url: &str) -> bool {
    let Some(rest) = url
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .map(|_| &url[7..])
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    !is_loopback(host)
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_to_another_host_is_cleartext_remote() {
        for remote in [
            "http://iam.example.com",
            "http://10.0.0.5:4599/",
            "http://user@proxy.example.com:80/x",
            "HTTP://[2001:db8::1]:8080",
            "http://127.0.0.1.example.com/",
            "http://",
        ] {
            assert!(is_cleartext_remote(remote), "{remote}");
        }
        for fine in [
            "https://iam.amazonaws.com",
            "http://127.0.0.1:4599",
            "http://127.8.9.10/",
            "http://localhost:4599",
            "http://LOCALHOST",
            "http://[::1]:4599",
            "http://[::ffff:127.0.0.1]:80",
        ] {
            assert!(!is_cleartext_remote(fine), "{fine}");
        }
    }
}
