//! AWS partitions: the first field of every ARN and the region IAM is signed for in each.
//!
//! Owns the partition names this endpoint knows and their parsing; `state` keeps the account's
//! partition and re-exports these types.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An AWS partition: the first field of every ARN, and the region IAM is signed for in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Partition {
    /// Commercial regions (`arn:aws:`, IAM in us-east-1).
    #[default]
    #[serde(rename = "aws")]
    Aws,
    /// AWS GovCloud (US) (`arn:aws-us-gov:`, IAM in us-gov-west-1).
    #[serde(rename = "aws-us-gov")]
    AwsUsGov,
    /// China regions (`arn:aws-cn:`, IAM in cn-north-1).
    #[serde(rename = "aws-cn")]
    AwsCn,
}

impl Partition {
    /// Every partition, in the order the ARN reference lists them.
    pub const ALL: [Partition; 3] = [Partition::Aws, Partition::AwsUsGov, Partition::AwsCn];

    /// The ARN field: `aws`, `aws-us-gov`, `aws-cn`.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsCn => "aws-cn",
        }
    }

    /// The region IAM requests are signed for in this partition (IAM is a global service whose
    /// endpoint lives in one region per partition).
    pub fn iam_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::AwsUsGov => "us-gov-west-1",
            Partition::AwsCn => "cn-north-1",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A partition name that is not one of `aws`, `aws-us-gov`, `aws-cn`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown partition '{0}': expected aws, aws-us-gov or aws-cn")]
pub struct PartitionParseError(String);

impl FromStr for Partition {
    type Err = PartitionParseError;

    fn from_str(s: &str) -> Result<Partition, PartitionParseError> {
        Partition::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| PartitionParseError(s.to_owned()))
    }
}
