//! CloudTrail `eventName` → the IAM action that authorised the call.
//!
//! The rule is `prefix:EventName`, the prefix being the service's IAM prefix
//! (the first label of `eventSource`, with the few services whose prefix
//! differs listed in [`SOURCES`]), and Lambda's API-version suffix stripped
//! (`GetFunction20150331v2` → `GetFunction`). Where the API and the
//! permission differ, [`EXCEPTIONS`] says what AWS documents, with the page
//! that says so. The result must be an action the catalog knows; anything
//! else is *unmapped* and reported, never guessed.

use crate::catalog::{self, ActionId};

/// `eventSource` hosts whose IAM prefix is not their first label.
/// Source: each service's "Actions, resources, and condition keys" page of
/// the Service Authorization Reference, which names the prefix, and its
/// "Logging ... with AWS CloudTrail" page, which names the event source.
pub const SOURCES: &[(&str, &str)] = &[
    ("monitoring.amazonaws.com", "cloudwatch"),
    ("email.amazonaws.com", "ses"),
    ("streams.dynamodb.amazonaws.com", "dynamodb"),
    ("runtime.sagemaker.amazonaws.com", "sagemaker"),
    ("api.ecr.amazonaws.com", "ecr"),
    ("bedrock-runtime.amazonaws.com", "bedrock"),
    ("data.iot.amazonaws.com", "iot"),
];

/// One known difference between an API call and the permission it needs.
#[derive(Debug, Clone, Copy)]
pub struct Exception {
    /// IAM prefix of the service.
    pub service: &'static str,
    /// `eventName`, suffix stripped.
    pub event: &'static str,
    /// The IAM action (without prefix) that authorises it.
    pub action: &'static str,
    /// Where AWS says so.
    pub source: &'static str,
}

const S3_PERMS: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html";
const SQS_PERMS: &str = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html";
const LAMBDA_CT: &str =
    "https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html";
const SNS_PERMS: &str = "https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html";
// `TransactGetItems` is authorised item by item as `dynamodb:GetItem`;
// `TransactWriteItems` needs Put/Update/Delete/ConditionCheck by content, so
// it has no single action and stays unmapped.
const DDB_PERMS: &str =
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html";

/// Calls whose permission is not `prefix:EventName`.
pub const EXCEPTIONS: &[Exception] = &[
    Exception {
        service: "lambda",
        event: "Invoke",
        action: "InvokeFunction",
        source: LAMBDA_CT,
    },
    Exception {
        service: "lambda",
        event: "InvokeWithResponseStream",
        action: "InvokeFunction",
        source: LAMBDA_CT,
    },
    Exception {
        service: "s3",
        event: "ListObjects",
        action: "ListBucket",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "ListObjectsV2",
        action: "ListBucket",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "HeadBucket",
        action: "ListBucket",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "ListObjectVersions",
        action: "ListBucketVersions",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "ListMultipartUploads",
        action: "ListBucketMultipartUploads",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "ListParts",
        action: "ListMultipartUploadParts",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "ListBuckets",
        action: "ListAllMyBuckets",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "HeadObject",
        action: "GetObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "GetObjectAttributes",
        action: "GetObjectAttributes",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "CopyObject",
        action: "PutObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "CreateMultipartUpload",
        action: "PutObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "UploadPart",
        action: "PutObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "UploadPartCopy",
        action: "PutObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "CompleteMultipartUpload",
        action: "PutObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "DeleteObjects",
        action: "DeleteObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "SelectObjectContent",
        action: "GetObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "RestoreObject",
        action: "RestoreObject",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "GetBucketLifecycleConfiguration",
        action: "GetLifecycleConfiguration",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "PutBucketLifecycleConfiguration",
        action: "PutLifecycleConfiguration",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "GetBucketEncryption",
        action: "GetEncryptionConfiguration",
        source: S3_PERMS,
    },
    Exception {
        service: "s3",
        event: "PutBucketEncryption",
        action: "PutEncryptionConfiguration",
        source: S3_PERMS,
    },
    Exception {
        service: "sqs",
        event: "SendMessageBatch",
        action: "SendMessage",
        source: SQS_PERMS,
    },
    Exception {
        service: "sqs",
        event: "DeleteMessageBatch",
        action: "DeleteMessage",
        source: SQS_PERMS,
    },
    Exception {
        service: "sqs",
        event: "ChangeMessageVisibilityBatch",
        action: "ChangeMessageVisibility",
        source: SQS_PERMS,
    },
    Exception {
        service: "sns",
        event: "PublishBatch",
        action: "Publish",
        source: SNS_PERMS,
    },
    Exception {
        service: "dynamodb",
        event: "TransactGetItems",
        action: "GetItem",
        source: DDB_PERMS,
    },
];

/// What an event maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    Action(ActionId),
    /// No known action: reported as unmapped.
    Unmapped,
}

/// The IAM prefix of a service from its `eventSource` host.
pub fn prefix(event_source: &str) -> Option<&str> {
    if let Some((_, p)) = SOURCES.iter().find(|(s, _)| *s == event_source) {
        return Some(p);
    }
    let label = event_source
        .strip_suffix(".amazonaws.com")?
        .split('.')
        .next()?;
    (!label.is_empty()).then_some(label)
}

/// `eventName` with Lambda's API-version suffix stripped:
/// `UpdateFunctionConfiguration20150331v2` → `UpdateFunctionConfiguration`.
pub fn strip_version(name: &str) -> &str {
    let b = name.as_bytes();
    let mut end = b.len();
    // optional `v<digits>`
    let mut i = end;
    while i > 0 && b[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i < end && i > 0 && b[i - 1] == b'v' {
        end = i - 1;
    }
    // eight digits: the API version date
    let digits = b[..end]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 8 && end > 8 {
        return &name[..end - 8];
    }
    name
}

/// The action behind a call, or [`Mapping::Unmapped`].
pub fn map(event_source: &str, event_name: &str) -> Mapping {
    let Some(service) = prefix(event_source) else {
        return Mapping::Unmapped;
    };
    let event = if service == "lambda" {
        strip_version(event_name)
    } else {
        event_name
    };
    let action = EXCEPTIONS
        .iter()
        .find(|e| e.service == service && e.event == event)
        .map_or(event, |e| e.action);
    match catalog::lookup(&format!("{service}:{action}")) {
        Some(id) => Mapping::Action(id),
        None => Mapping::Unmapped,
    }
}

/// The documented exception behind a mapping, if one was used.
pub fn exception(service: &str, event: &str) -> Option<&'static Exception> {
    EXCEPTIONS
        .iter()
        .find(|e| e.service == service && e.event == event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(source: &str, event: &str) -> Option<String> {
        match map(source, event) {
            Mapping::Action(id) => Some(id.info().to_string()),
            Mapping::Unmapped => None,
        }
    }

    #[test]
    fn plain_names_exceptions_and_suffixes() {
        assert_eq!(
            name("dynamodb.amazonaws.com", "GetItem").as_deref(),
            Some("dynamodb:GetItem")
        );
        assert_eq!(
            name("lambda.amazonaws.com", "Invoke").as_deref(),
            Some("lambda:InvokeFunction")
        );
        assert_eq!(
            name("lambda.amazonaws.com", "GetFunction20150331v2").as_deref(),
            Some("lambda:GetFunction")
        );
        assert_eq!(
            name("lambda.amazonaws.com", "ListFunctions20150331").as_deref(),
            Some("lambda:ListFunctions")
        );
        assert_eq!(
            name("s3.amazonaws.com", "ListObjectsV2").as_deref(),
            Some("s3:ListBucket")
        );
        assert_eq!(
            name("s3.amazonaws.com", "HeadObject").as_deref(),
            Some("s3:GetObject")
        );
        assert_eq!(
            name("monitoring.amazonaws.com", "PutMetricData").as_deref(),
            Some("cloudwatch:PutMetricData")
        );
        assert_eq!(
            name("sqs.amazonaws.com", "SendMessageBatch").as_deref(),
            Some("sqs:SendMessage")
        );
    }

    #[test]
    fn unknown_events_are_unmapped_not_guessed() {
        assert_eq!(name("s3.amazonaws.com", "NoSuchCall"), None);
        assert_eq!(name("notaservice.amazonaws.com", "GetItem"), None);
        assert_eq!(name("signin", "ConsoleLogin"), None);
    }

    #[test]
    fn every_exception_names_a_catalog_action_and_a_source() {
        for e in EXCEPTIONS {
            assert!(
                catalog::lookup(&format!("{}:{}", e.service, e.action)).is_some(),
                "{}:{}",
                e.service,
                e.action
            );
            assert!(e.source.starts_with("https://docs.aws.amazon.com/"));
        }
    }
}
