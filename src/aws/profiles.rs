//! The profiles of the AWS config files that name an MFA device (`mfa_serial`), read as the AWS
//! CLI reads them, without credentials or network: so that `devices --accounts` can say which
//! credential on a key each profile would use.

/// Every profile with an `mfa_serial`, as `(profile, mfa_serial)`, sorted by name.
pub async fn mfa_serials() -> Vec<(String, String)> {
    sorted(|set, name| {
        let serial = set.get_profile(name)?.get("mfa_serial")?;
        Some((name.to_string(), serial.to_string()))
    })
    .await
}

/// The names of every profile the AWS config and credentials files define (what `aws configure
/// list-profiles` lists), sorted: what a shell completes `--profile` with.
pub async fn names() -> Vec<String> {
    sorted(|_, name| Some(name.to_string())).await
}

/// What `each` makes of every profile, sorted; nothing when the files cannot be read.
async fn sorted<T: Ord>(
    each: impl Fn(&aws_config::profile::ProfileSet, &str) -> Option<T>,
) -> Vec<T> {
    let Some(set) = super::client::load_profiles(None).await else {
        return Vec::new();
    };
    let mut all: Vec<T> = set.profiles().filter_map(|name| each(&set, name)).collect();
    all.sort();
    all
}
