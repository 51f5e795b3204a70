//! AWS partitions and regions: which partition a region or an ARN is in, where IAM lives in each
//! (IAM is global within a partition: `us-east-1`, `us-gov-west-1`, `cn-north-1`), and whether a
//! region name is one AWS has (a typo such as `us-east1` is worth a warning before anything is
//! sent; new regions appear, so an unknown name is only a warning).

/// The partitions other than `aws` (whose IAM signs in `us-east-1`): the prefix of their
/// regions' names, their name, and where IAM signs in them.
const PARTITIONS: [(&str, &str, Option<&str>); 7] = [
    ("us-gov-", "aws-us-gov", Some("us-gov-west-1")),
    ("cn-", "aws-cn", Some("cn-north-1")),
    ("us-isob-", "aws-iso-b", Some("us-isob-east-1")),
    ("us-iso-", "aws-iso", Some("us-iso-east-1")),
    ("eu-isoe-", "aws-iso-e", None),
    ("us-isof-", "aws-iso-f", None),
    ("eusc-", "aws-eusc", Some("eusc-de-east-1")),
];

/// The partition a region belongs to, by AWS's naming.
pub fn of_region(region: &str) -> &'static str {
    PARTITIONS
        .iter()
        .find(|(prefix, _, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition, _)| partition)
}

/// The partition of an ARN (`arn:PARTITION:…`).
pub fn of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    match (parts.next(), parts.next()) {
        (Some("arn"), Some(partition)) if !partition.is_empty() => Some(partition),
        _ => None,
    }
}

/// Where IAM signs in a partition.
pub fn iam_region(partition: &str) -> Option<&'static str> {
    if partition == "aws" {
        return Some("us-east-1");
    }
    let (_, _, iam) = PARTITIONS.iter().find(|(_, name, _)| *name == partition)?;
    *iam
}

/// The regions AWS has, as of this release (the AWS General Reference's region table).
const KNOWN_REGIONS: [&str; 40] = [
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-isob-east-1",
    "us-west-1",
    "us-west-2",
    "eusc-de-east-1",
];

/// `None` for a known region; else the known region closest to it, to suggest.
pub fn unknown(region: &str) -> Option<&'static str> {
    // `aws-global` (and its kind) names a partition's global endpoint, which the SDK takes.
    if KNOWN_REGIONS.contains(&region) || region.ends_with("-global") {
        return None;
    }
    KNOWN_REGIONS
        .iter()
        .min_by_key(|known| distance(region, known))
        .copied()
}

/// Levenshtein distance, for suggesting the region a typo meant.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_of_regions_and_arns() {
        assert_eq!(of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(of_region("cn-northwest-1"), "aws-cn");
        assert_eq!(of_region("eu-west-3"), "aws");
        assert_eq!(
            of_arn("arn:aws-us-gov:iam::123456789012:mfa/a"),
            Some("aws-us-gov")
        );
        assert_eq!(of_arn("GAHT12345678"), None);
        assert_eq!(iam_region("aws-cn"), Some("cn-north-1"));
        // Every region the table knows has a partition whose IAM region is in that partition.
        for region in KNOWN_REGIONS {
            let partition = of_region(region);
            let iam = iam_region(partition).unwrap_or_else(|| panic!("{region}: {partition}"));
            assert_eq!(of_region(iam), partition, "{region}");
        }
        assert_eq!(of_region("eusc-de-east-1"), "aws-eusc");
        assert_eq!(iam_region("aws-eusc"), Some("eusc-de-east-1"));
    }

    #[test]
    fn a_typo_suggests_the_region_it_meant() {
        assert_eq!(unknown("us-east-1"), None);
        assert_eq!(unknown("aws-global"), None);
        assert_eq!(unknown("us-east1"), Some("us-east-1"));
        assert_eq!(unknown("eu-wset-1"), Some("eu-west-1"));
    }
}
