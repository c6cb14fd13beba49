//! What doorman knows about AWS managed policies without asking AWS.
//!
//! Three things, all needed offline (template lint, `replay`) as well as in
//! the Lambda:
//! - which managed policies are *broad* (`broad-managed-policy`, SPEC §3.1);
//! - the documents of the execution-related managed policies, so that a role
//!   with `AWSLambdaBasicExecutionRole` is known to write logs;
//! - the allow-list of well-known execution policies, which `resource-wildcard`
//!   leaves alone (they use `Resource: "*"` by design, and every SAM function
//!   has one).
//!
//! Names are accepted bare (`AWSLambdaBasicExecutionRole`, as SAM `Policies`
//! write them) or as AWS managed ARNs in any partition, with or without a path
//! (`arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`).

/// How broad an AWS managed policy is; the rules map it to a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Breadth {
    /// Another `*FullAccess` policy: everything on one service.
    FullAccess,
    /// `PowerUserAccess` (everything but IAM and Organizations) or
    /// `IAMFullAccess` (can grant itself everything).
    NearAdmin,
    /// `AdministratorAccess`: everything on everything.
    Admin,
}

/// The name of an AWS managed policy given by name or ARN; `None` for a
/// customer managed policy ARN (`arn:aws:iam::123456789012:policy/X`) or
/// anything else that is not a policy name.
///
/// A bare name is taken to be an AWS managed one, as SAM `Policies` and
/// `AttachRolePolicy` console users write them.
pub fn aws_managed_name(name_or_arn: &str) -> Option<&str> {
    let s = name_or_arn.trim();
    if let Some(rest) = s.strip_prefix("arn:") {
        // arn:<partition>:iam::aws:policy/<path/>Name
        let mut parts = rest.splitn(5, ':');
        let _partition = parts.next()?;
        let service = parts.next()?;
        let region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next()?;
        if service != "iam" || !region.is_empty() || account != "aws" {
            return None;
        }
        let path = resource.strip_prefix("policy/")?;
        let name = path.rsplit('/').next()?;
        return is_policy_name(name).then_some(name);
    }
    is_policy_name(s).then_some(s)
}

/// IAM policy names: 1-128 of `[\w+=,.@-]`.
fn is_policy_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// How broad the AWS managed policy named by `name_or_arn` is, or `None` when
/// it is not one of the broad ones (or not AWS managed at all).
///
/// `AdministratorAccess` → [`Breadth::Admin`]; `PowerUserAccess`,
/// `IAMFullAccess` → [`Breadth::NearAdmin`]; any other AWS managed name
/// containing `FullAccess` (`AmazonS3FullAccess`, `AWSLambda_FullAccess`,
/// `AmazonDynamoDBFullAccess_v2`) → [`Breadth::FullAccess`]. Matching is exact
/// on the name, as IAM names are case-sensitive.
pub fn broad_managed_policy(name_or_arn: &str) -> Option<Breadth> {
    let name = aws_managed_name(name_or_arn)?;
    match name {
        "AdministratorAccess" => Some(Breadth::Admin),
        "PowerUserAccess" | "IAMFullAccess" => Some(Breadth::NearAdmin),
        n if n.contains("FullAccess") => Some(Breadth::FullAccess),
        _ => None,
    }
}

/// Execution policies AWS publishes for Lambda functions and their usual
/// companions. They grant `Resource: "*"` by design (a function's log group
/// or network interface is not known when the policy is written), so
/// `resource-wildcard` does not report them.
pub const ALLOW_LISTED_EXECUTION_POLICIES: &[&str] = &[
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaBasicDurableExecutionRolePolicy",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaMSKExecutionRole",
    "AWSLambdaENIManagementAccess",
    "AWSXRayDaemonWriteAccess",
    "AWSXrayWriteOnlyAccess",
    "CloudWatchLambdaInsightsExecutionRolePolicy",
    "CloudWatchLambdaApplicationSignalsExecutionRolePolicy",
];

/// Whether `name_or_arn` is one of [`ALLOW_LISTED_EXECUTION_POLICIES`].
pub fn is_allow_listed_execution_policy(name_or_arn: &str) -> bool {
    aws_managed_name(name_or_arn).is_some_and(|n| ALLOW_LISTED_EXECUTION_POLICIES.contains(&n))
}

/// The default-version documents of the managed policies doorman must
/// understand offline, transcribed from AWS (`iam:GetPolicyVersion`).
const DOCUMENTS: &[(&str, &str)] = &[
    (
        "AWSLambdaBasicExecutionRole",
        r#"{"Version":"2012-10-17","Statement":[{"Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*","Effect":"Allow"}]}"#,
    ),
    (
        "AWSLambdaVPCAccessExecutionRole",
        r#"{"Version":"2012-10-17","Statement":[{"Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents","ec2:CreateNetworkInterface","ec2:DescribeNetworkInterfaces","ec2:DescribeSubnets","ec2:DeleteNetworkInterface","ec2:AssignPrivateIpAddresses","ec2:UnassignPrivateIpAddresses"],"Resource":"*","Effect":"Allow","Sid":"AWSLambdaVPCAccessExecutionPermissions"}]}"#,
    ),
    (
        "AWSLambdaSQSQueueExecutionRole",
        r#"{"Version":"2012-10-17","Statement":[{"Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes","logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*","Effect":"Allow"}]}"#,
    ),
    (
        "AWSLambdaKinesisExecutionRole",
        r#"{"Version":"2012-10-17","Statement":[{"Action":["kinesis:DescribeStream","kinesis:DescribeStreamSummary","kinesis:GetRecords","kinesis:GetShardIterator","kinesis:ListShards","kinesis:ListStreams","kinesis:SubscribeToShard","logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*","Effect":"Allow"}]}"#,
    ),
    (
        "AWSLambdaDynamoDBExecutionRole",
        r#"{"Version":"2012-10-17","Statement":[{"Action":["dynamodb:DescribeStream","dynamodb:GetRecords","dynamodb:GetShardIterator","dynamodb:ListStreams","logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*","Effect":"Allow"}]}"#,
    ),
    (
        "AWSXRayDaemonWriteAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Action":["xray:PutTraceSegments","xray:PutTelemetryRecords","xray:GetSamplingRules","xray:GetSamplingTargets","xray:GetSamplingStatisticSummaries"],"Resource":["*"],"Effect":"Allow","Sid":"AWSXRayDaemonWriteAccess"}]}"#,
    ),
    (
        "AWSLambdaMSKExecutionRole",
        r#"{"Version":"2012-10-17","Statement":[{"Action":["kafka:DescribeCluster","kafka:DescribeClusterV2","kafka:GetBootstrapBrokers","ec2:CreateNetworkInterface","ec2:DescribeNetworkInterfaces","ec2:DescribeVpcs","ec2:DeleteNetworkInterface","ec2:DescribeSubnets","ec2:DescribeSecurityGroups","logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*","Effect":"Allow"}]}"#,
    ),
    (
        "AdministratorAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Action":"*","Resource":"*","Effect":"Allow"}]}"#,
    ),
];

/// The document of an AWS managed policy doorman carries (see [`DOCUMENTS`]
/// for which), by name or ARN; `None` for every other policy, which the caller
/// must fetch (`iam:GetPolicyVersion`) or treat as unknown.
pub fn managed_policy_document(name_or_arn: &str) -> Option<&'static str> {
    let name = aws_managed_name(name_or_arn)?;
    DOCUMENTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, doc)| *doc)
}

/// The names of the managed policies whose documents are built in.
pub fn known_documents() -> impl Iterator<Item = &'static str> {
    DOCUMENTS.iter().map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;

    #[test]
    fn names_come_from_bare_names_and_aws_arns_with_paths() {
        assert_eq!(
            aws_managed_name("AWSLambdaBasicExecutionRole"),
            Some("AWSLambdaBasicExecutionRole")
        );
        assert_eq!(
            aws_managed_name("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
            Some("AWSLambdaBasicExecutionRole")
        );
        assert_eq!(
            aws_managed_name("arn:aws-us-gov:iam::aws:policy/AdministratorAccess"),
            Some("AdministratorAccess")
        );
        // A customer managed policy is not an AWS managed one, whatever its name.
        assert_eq!(
            aws_managed_name("arn:aws:iam::111122223333:policy/AdministratorAccess"),
            None
        );
        assert_eq!(aws_managed_name("not a name"), None);
    }

    #[test]
    fn breadth_follows_the_spec() {
        assert_eq!(
            broad_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess"),
            Some(Breadth::Admin)
        );
        assert_eq!(
            broad_managed_policy("PowerUserAccess"),
            Some(Breadth::NearAdmin)
        );
        assert_eq!(
            broad_managed_policy("arn:aws:iam::aws:policy/IAMFullAccess"),
            Some(Breadth::NearAdmin)
        );
        assert_eq!(
            broad_managed_policy("AmazonS3FullAccess"),
            Some(Breadth::FullAccess)
        );
        assert_eq!(
            broad_managed_policy("AmazonDynamoDBFullAccess_v2"),
            Some(Breadth::FullAccess)
        );
        assert_eq!(broad_managed_policy("AWSLambdaBasicExecutionRole"), None);
        assert_eq!(broad_managed_policy("ReadOnlyAccess"), None);
        assert_eq!(
            broad_managed_policy("arn:aws:iam::111122223333:policy/AdministratorAccess"),
            None
        );
        assert!(Breadth::Admin > Breadth::NearAdmin && Breadth::NearAdmin > Breadth::FullAccess);
    }

    #[test]
    fn execution_policies_are_allow_listed_and_others_are_not() {
        assert!(is_allow_listed_execution_policy(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
        ));
        assert!(is_allow_listed_execution_policy("AWSXRayDaemonWriteAccess"));
        assert!(!is_allow_listed_execution_policy("AmazonS3FullAccess"));
        assert!(!is_allow_listed_execution_policy(
            "arn:aws:iam::111122223333:policy/AWSLambdaBasicExecutionRole"
        ));
    }

    #[test]
    fn built_in_documents_parse_cleanly() {
        for name in known_documents() {
            let doc = managed_policy_document(name).unwrap();
            let policy = parse_document(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(policy.problems.is_empty(), "{name}: {:?}", policy.problems);
            assert!(!policy.statements.is_empty());
        }
        assert!(managed_policy_document(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        )
        .unwrap()
        .contains("logs:PutLogEvents"));
        assert_eq!(managed_policy_document("AmazonS3FullAccess"), None);
    }

    /// The transcriptions match AWS's documents, when the shared corpus is there.
    #[test]
    fn built_in_documents_match_the_corpus() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/aws-managed-policies");
        assert!(
            dir.is_dir(),
            "the managed-policy corpus is missing at {}",
            dir.display()
        );
        for name in known_documents() {
            let path = dir.join(format!("{name}.json"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let corpus: serde_json::Value = serde_json::from_str(&text).unwrap();
            let ours: serde_json::Value =
                serde_json::from_str(managed_policy_document(name).unwrap()).unwrap();
            assert_eq!(ours, corpus, "{name} differs from AWS's document");
        }
    }
}
