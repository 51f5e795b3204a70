//! The profiles of the AWS config files that name an MFA device (`mfa_serial`), read as the AWS
//! CLI reads them, without credentials or network: so that `devices --accounts` can say which
//! credential on a key each profile would use.

/// Every profile with an `mfa_serial`, as `(profile, mfa_serial)`, sorted by name.
pub async fn mfa_serials() -> Vec<(String, String)> {
    let Some(set) = super::client::load_profiles(None).await else {
        return Vec::new();
    };
    let mut serials: Vec<(String, String)> = set
        .profiles()
        .filter_map(|name| {
            let serial = set.get_profile(name)?.get("mfa_serial")?;
            Some((name.to_string(), serial.to_string()))
        })
        .collect();
    serials.sort();
    serials
}

/// The names of every profile the AWS config and credentials files define (what `aws configure
/// list-profiles` lists), sorted: what a shell completes `--profile` with.
pub async fn names() -> Vec<String> {
    let Some(set) = super::client::load_profiles(None).await else {
        return Vec::new();
    };
    let mut names: Vec<String> = set.profiles().map(str::to_string).collect();
    names.sort();
    names
}
