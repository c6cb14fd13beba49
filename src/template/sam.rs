//! SAM policy templates (`DynamoDBReadPolicy: {TableName: !Ref T}`) as the
//! scoped statements SAM expands them to, so they are judged like any other
//! statement. The common ones are here, transcribed from SAM's
//! `policy_templates.json`; an unknown template name expands to nothing and
//! produces no finding.

use super::intrinsic::View;
use super::yaml::Node;
use serde_json::{json, Value as Json};

/// `(template, [(actions, resources)])`; in resources, `${Param}` is the
/// template's parameter and `${AWS::...}` the pseudo parameters.
type Template = (
    &'static str,
    &'static [(&'static [&'static str], &'static [&'static str])],
);

const TABLE: &str =
    "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}";
const TABLE_INDEX: &str =
    "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}/index/*";
const BUCKET: &str = "arn:${AWS::Partition}:s3:::${BucketName}";
const OBJECTS: &str = "arn:${AWS::Partition}:s3:::${BucketName}/*";
const QUEUE: &str = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${QueueName}";
const KEY: &str = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${KeyId}";
const STREAM: &str =
    "arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/${StreamName}";

const TEMPLATES: &[Template] = &[
    (
        "SQSPollerPolicy",
        &[(
            &[
                // SAM also lists `sqs:ChangeMessageVisibilityBatch` and
                // `sqs:DeleteMessageBatch`, which are not IAM actions (the
                // batch calls are authorised by the single-message ones):
                // left out, as they grant nothing and are not the user's to fix.
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            &[QUEUE],
        )],
    ),
    ("SQSSendMessagePolicy", &[(&["sqs:SendMessage*"], &[QUEUE])]),
    (
        "LambdaInvokePolicy",
        &[(
            &["lambda:InvokeFunction"],
            &["arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}*"],
        )],
    ),
    (
        "DynamoDBCrudPolicy",
        &[(
            &[
                "dynamodb:GetItem",
                "dynamodb:DeleteItem",
                "dynamodb:PutItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
                "dynamodb:ConditionCheckItem",
            ],
            &[TABLE, TABLE_INDEX],
        )],
    ),
    (
        "DynamoDBReadPolicy",
        &[(
            &[
                "dynamodb:GetItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
            ],
            &[TABLE, TABLE_INDEX],
        )],
    ),
    (
        "DynamoDBWritePolicy",
        &[(
            &[
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
            ],
            &[TABLE, TABLE_INDEX],
        )],
    ),
    (
        "DynamoDBStreamReadPolicy",
        &[
            (
                &[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                ],
                &["arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}/stream/${StreamName}"],
            ),
            (
                &["dynamodb:ListStreams"],
                &["arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}/stream/*"],
            ),
        ],
    ),
    (
        "S3ReadPolicy",
        &[(
            &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:GetLifecycleConfiguration",
            ],
            &[BUCKET, OBJECTS],
        )],
    ),
    (
        "S3WritePolicy",
        &[(
            &[
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:PutLifecycleConfiguration",
            ],
            &[BUCKET, OBJECTS],
        )],
    ),
    (
        "S3CrudPolicy",
        &[(
            &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:DeleteObject",
            ],
            &[BUCKET, OBJECTS],
        )],
    ),
    (
        "SNSPublishMessagePolicy",
        &[(
            &["sns:Publish"],
            &["arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${TopicName}"],
        )],
    ),
    ("CloudWatchPutMetricPolicy", &[(&["cloudwatch:PutMetricData"], &["*"])]),
    ("KMSDecryptPolicy", &[(&["kms:Decrypt"], &[KEY])]),
    ("KMSEncryptPolicy", &[(&["kms:Encrypt"], &[KEY])]),
    (
        "KinesisStreamReadPolicy",
        &[
            (
                &["kinesis:ListStreams", "kinesis:DescribeLimits"],
                &["arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/*"],
            ),
            (
                &[
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                ],
                &[STREAM],
            ),
        ],
    ),
    (
        "SSMParameterReadPolicy",
        &[
            (&["ssm:DescribeParameters"], &["*"]),
            (
                &[
                    "ssm:GetParameters",
                    "ssm:GetParameter",
                    "ssm:GetParametersByPath",
                ],
                &["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${ParameterName}"],
            ),
        ],
    ),
    (
        "AWSSecretsManagerGetSecretValuePolicy",
        &[(&["secretsmanager:GetSecretValue"], &["${SecretArn}"])],
    ),
    (
        "StepFunctionsExecutionPolicy",
        &[(
            &["states:StartExecution"],
            &["arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${StateMachineName}"],
        )],
    ),
    (
        "EventBridgePutEventsPolicy",
        &[(
            &["events:PutEvents"],
            &["arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"],
        )],
    ),
    (
        "EC2DescribePolicy",
        &[(&["ec2:DescribeRegions", "ec2:DescribeInstances"], &["*"])],
    ),
    (
        "FirehoseWritePolicy",
        &[(
            &["firehose:PutRecord", "firehose:PutRecordBatch"],
            &["arn:${AWS::Partition}:firehose:${AWS::Region}:${AWS::AccountId}:deliverystream/${DeliveryStreamName}"],
        )],
    ),
];

/// The policy document SAM generates for `name: params`, or `None` for a
/// template doorman does not know.
pub fn expand(name: &str, params: &Node, view: &View<'_>) -> Option<Json> {
    let (_, statements) = TEMPLATES.iter().find(|(n, _)| *n == name)?;
    let statements: Vec<Json> = statements
        .iter()
        .map(|(actions, resources)| {
            let resources: Vec<String> = resources.iter().map(|r| fill(r, params, view)).collect();
            json!({"Effect": "Allow", "Action": actions, "Resource": resources})
        })
        .collect();
    Some(json!({"Version": "2012-10-17", "Statement": statements}))
}

/// Fills `${Param}` from the template's parameters and the pseudo parameters
/// known offline; what stays unknown keeps its `${...}` placeholder.
fn fill(pattern: &str, params: &Node, view: &View<'_>) -> String {
    let mut out = pattern
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::AccountId}", super::intrinsic::TEMPLATE_ACCOUNT);
    if let Some(entries) = params.as_map() {
        for e in entries {
            out = out.replace(&format!("${{{}}}", e.key), &view.to_text(&e.value));
        }
    }
    out.replace(
        "${AWS::Region}",
        &super::intrinsic::placeholder("AWS::Region"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::yaml::parse;

    #[test]
    fn dynamodb_read_policy_expands_to_the_table_and_its_indexes() {
        let params = parse("TableName: !Ref Orders").unwrap();
        let r = super::super::intrinsic::Resolver::default();
        let view = r.base();
        let doc = expand("DynamoDBReadPolicy", &params, &view).unwrap();
        assert_eq!(
            doc["Statement"][0]["Resource"],
            json!([
                "arn:aws:dynamodb:${AWS.Region}:990000000000:table/${Orders}",
                "arn:aws:dynamodb:${AWS.Region}:990000000000:table/${Orders}/index/*"
            ])
        );
        assert!(expand("S3CrudPolicy", &params, &view).is_some());
        assert_eq!(expand("NoSuchPolicy", &params, &view), None);
    }
}
