//! How to reach AWS, as the user asked: profile, region, endpoint and timeouts, the AWS layer's
//! [`AwsOptions`] checked for shape before any I/O; aws-config's chain does the rest.

pub use crate::aws::{AwsOptions, CaBundle};

use crate::model::{Field, InputError, Problem, Takes, refuse_seed};

/// Checks the AWS flags' shapes (no I/O: whether the profile exists is the SDK's to say), and
/// takes `AWS_CA_BUNDLE` when `--ca-bundle` is not given.
pub fn validate_aws(mut aws: AwsOptions) -> Result<AwsOptions, InputError> {
    if let Some(url) = &aws.endpoint_url {
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.split("://").nth(1).is_some_and(|rest| !rest.is_empty())
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(InputError::flag("--endpoint-url", Problem::NotAUrl));
        }
        refuse_seed(Field::flag("--endpoint-url"), url, Takes::EndpointUrl)?;
    }
    if let Some(profile) = &aws.profile {
        refuse_seed(Field::flag("--profile"), profile, Takes::Profile)?;
        if profile.is_empty() || profile.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InputError::flag("--profile", Problem::ProfileName));
        }
    }
    match &aws.region {
        Some(region) => check_region(Field::flag("--region"), region)?,
        // The SDK reads these when no --region is given; their shape is checked as the flag's.
        None => {
            for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
                if let Ok(region) = std::env::var(var) {
                    check_region(Field::flag(var), &region)?;
                    break;
                }
            }
        }
    }
    // As the AWS CLI: the flag, else the variable; the profile's is read with the profile. clap
    // refuses an empty --ca-bundle ("a value is required"); an empty variable is unset.
    if aws.ca_bundle.is_none() {
        aws.ca_bundle = std::env::var_os("AWS_CA_BUNDLE")
            .filter(|v| !v.is_empty())
            .map(|path| CaBundle {
                path: path.into(),
                origin: "AWS_CA_BUNDLE",
            });
    }
    if let Some(bundle) = &aws.ca_bundle {
        // An error about the bundle names its path.
        let path = bundle.path.to_string_lossy();
        refuse_seed(Field::flag(bundle.origin), &path, Takes::CaBundle)?;
    }
    Ok(aws)
}

/// A region's shape, checked before any I/O (a region the SDK cannot build a hostname from would
/// only fail after a connection attempt, as a network error): lower-case words joined by hyphens,
/// ending in a number (`us-east-1`, `us-gov-west-1`, `eusc-de-east-1`), or a partition's global
/// pseudo-region (`aws-global`). Whether the region exists is AWS's to say.
pub fn is_region_shape(region: &str) -> bool {
    // Lower-case letters and digits in hyphen-joined parts, as every AWS region is named. A name
    // of the right shape that AWS does not have (`us-east1`) is only warned about once loaded:
    // new regions appear, and the warning names the closest known one.
    let parts: Vec<&str> = region.split('-').collect();
    let Some(last) = parts.last() else {
        return false;
    };
    region.len() <= 64
        && parts.len() >= 2
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && (*last == "global" || last.bytes().any(|b| b.is_ascii_digit()))
        && availability_zone(region).is_none()
}

/// The region of an availability zone given where a region goes (`us-east-1a` → `us-east-1`).
fn availability_zone(region: &str) -> Option<&str> {
    let last = region.rsplit('-').next()?;
    let letter = last.bytes().last()?;
    let digits = &last[..last.len() - 1];
    (letter.is_ascii_lowercase()
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit()))
    .then(|| &region[..region.len() - 1])
}

fn check_region(field: Field, region: &str) -> Result<(), InputError> {
    match region_problem(region) {
        Some(problem) => Err(InputError::invalid(field, problem)),
        None => Ok(()),
    }
}

/// What is wrong with `region`'s shape, if anything: the one check for the flag, the variables and
/// (once the AWS config file is read) the profile's `region`.
pub fn region_problem(region: &str) -> Option<Problem> {
    if is_region_shape(region) {
        return None;
    }
    if let Some(parent) = availability_zone(region) {
        return Some(Problem::AvailabilityZone {
            region: parent.to_string(),
        });
    }
    Some(
        if region.is_empty() || region.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Problem::RegionBlank
        } else {
            Problem::RegionShape
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_have_their_shape() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "eusc-de-east-1",
            "ap-southeast-5",
            "aws-global",
            "us-east1",
        ] {
            assert!(is_region_shape(ok), "{ok}");
        }
        for bad in [
            "us_east_1",
            "US-EAST-1",
            "us-east",
            "useast1",
            "us-east-1 ",
            "",
            "us--east-1",
            "-us-east-1",
            "us-east-1a",
        ] {
            assert!(!is_region_shape(bad), "{bad}");
        }
    }
}
