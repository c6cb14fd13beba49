//! Issue 11 through the Lambda handler (in-memory resolver and notifier):
//! every door of doorman is watched by the names it was deployed with,
//! whatever the event itself sets; failed attempts are low; a `NoSuchEntity`
//! just after the event is retried; the execution-role and invocation doors
//! of SPEC §4 (detach/delete a role policy, boundaries, group membership,
//! event source mapping updates, invoke-config destinations).

mod pipeline_support;

use doorman::alert::Alert;
use doorman::config::LambdaConfig;
use doorman::notify::MemoryNotifier;
use doorman::pipeline::{Guarded, HandlerError, Pipeline, Settings, Verdict};
use doorman::resolve::{ManagedPolicy, RolePolicy};
use doorman::rules::{RuleId, Severity};
use pipeline_support::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

const ROLE: &str = "doorman-DoormanRole-1A2B3C4D";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:doorman-AlertTopic-9Z8Y";
const QUEUE_URL: &str =
    "https://sqs.us-east-1.amazonaws.com/111122223333/doorman-FailureQueue-7X6W";
const LOG_GROUP: &str = "/aws/lambda/doorman-Function-5V4U";
const FUNCTION: &str = "doorman-Function-5V4U";
const TRAIL: &str = "management-events";
/// The report bucket CloudFormation names for a stack `doorman`.
const BUCKET: &str = "doorman-reportbucket-1q2w3e4r5t6y";

fn key_arn(id: &str) -> String {
    format!("arn:aws:kms:us-east-1:111122223333:key/{id}")
}

/// The environment a default deployment gives the function.
fn environment() -> HashMap<String, String> {
    [
        ("DOORMAN_TOPIC_ARN", TOPIC.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", FUNCTION.to_string()),
        ("DOORMAN_FUNCTION_NAME", FUNCTION.to_string()),
        ("DOORMAN_CHANGE_RULE_NAME", "doorman-changes".to_string()),
        ("DOORMAN_TAMPER_RULE_NAME", "doorman-tamper".to_string()),
        ("DOORMAN_TRAIL_NAME", TRAIL.to_string()),
        ("DOORMAN_ROLE_NAME", ROLE.to_string()),
        ("DOORMAN_KEY_ARN", key_arn(KEY_ID)),
        (
            "DOORMAN_QUEUE_ARN",
            "arn:aws:sqs:us-east-1:111122223333:doorman-FailureQueue-7X6W".to_string(),
        ),
        ("DOORMAN_LOG_GROUP", LOG_GROUP.to_string()),
        // The scheduled audit (on by default: AuditSchedule).
        ("DOORMAN_REPORT_BUCKET", BUCKET.to_string()),
        (
            "DOORMAN_RECONCILE_RULE_NAME",
            "doorman-reconcile".to_string(),
        ),
        (
            "DOORMAN_AUDIT_TAMPER_RULE_NAME",
            "doorman-audit-tampering".to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn settings(env: &HashMap<String, String>) -> Settings {
    LambdaConfig::from_lookup(|k| env.get(k).cloned())
        .expect("a valid configuration")
        .settings
}

fn pipeline(
    resolver: MemoryResolver,
    settings: Settings,
) -> Pipeline<MemoryResolver, MemoryNotifier> {
    Pipeline::new(resolver, MemoryNotifier::new(), settings)
}

fn rules(alert: &Alert) -> Vec<RuleId> {
    alert.body.findings.iter().map(|f| f.rule).collect()
}

/// A CloudTrail record of `name` from `source` in the EventBridge envelope,
/// as an IAM user `mallory` makes it, at `time`.
fn event(source: &str, name: &str, request: Value, time: &str) -> Value {
    let service = source.trim_end_matches(".amazonaws.com");
    json!({
        "version": "0",
        "id": format!("eb-{name}"),
        "detail-type": "AWS API Call via CloudTrail",
        "source": format!("aws.{service}"),
        "account": ACCOUNT,
        "time": time,
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDA4EXAMPLEMALLORY1",
                "arn": "arn:aws:iam::111122223333:user/mallory",
                "accountId": ACCOUNT,
                "accessKeyId": "AKIA4EXAMPLEMALLORY",
                "userName": "mallory"
            },
            "eventTime": time,
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.66",
            "userAgent": "aws-cli/2.15.30",
            "requestParameters": request,
            "responseElements": null,
            "requestID": format!("req-{name}"),
            "eventID": format!("ev-{name}"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management"
        }
    })
}

const OLD: &str = "2026-03-14T09:12:45Z";

/// Every tamper call of issue 11 point 1: (source, event name, request on
/// doorman's own resource, the same request on someone else's).
fn tamper_calls() -> Vec<(&'static str, &'static str, Value, Value)> {
    let doc =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#;
    let iam = "iam.amazonaws.com";
    let role = |extra: Value| {
        let mut ours = json!({"roleName": ROLE});
        let mut other = json!({"roleName": "orders-processor-role"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            ours[k] = v.clone();
            other[k] = v.clone();
        }
        (ours, other)
    };
    let mut calls = Vec::new();
    for (name, extra) in [
        (
            "PutRolePolicy",
            json!({"policyName": "deny-all", "policyDocument": doc}),
        ),
        ("DeleteRolePolicy", json!({"policyName": "doorman-read"})),
        (
            "AttachRolePolicy",
            json!({"policyArn": "arn:aws:iam::aws:policy/AWSDenyAll"}),
        ),
        (
            "DetachRolePolicy",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/doorman-read"}),
        ),
        ("UpdateAssumeRolePolicy", json!({"policyDocument": doc})),
        (
            "PutRolePermissionsBoundary",
            json!({"permissionsBoundary": "arn:aws:iam::aws:policy/AWSDenyAll"}),
        ),
        ("DeleteRolePermissionsBoundary", json!({})),
    ] {
        let (ours, other) = role(extra);
        calls.push((iam, name, ours, other));
    }
    let kms = "kms.amazonaws.com";
    let other_key = "0987dcba-09fe-87dc-65ba-ab0987654321";
    for (name, extra) in [
        ("DisableKey", json!({})),
        ("ScheduleKeyDeletion", json!({"pendingWindowInDays": 7})),
        (
            "PutKeyPolicy",
            json!({"policyName": "default", "policy": doc, "bypassPolicyLockoutSafetyCheck": false}),
        ),
        (
            "RevokeGrant",
            json!({"grantId": "0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60"}),
        ),
    ] {
        let mut ours = extra.clone();
        ours["keyId"] = json!(KEY_ID);
        let mut other = extra;
        other["keyId"] = json!(other_key);
        calls.push((kms, name, ours, other));
    }
    let events = "events.amazonaws.com";
    calls.push((
        events,
        "PutTargets",
        json!({"rule": "doorman-tamper", "targets": [{"id": "x", "arn": "arn:aws:sqs:us-east-1:444455556666:sink"}]}),
        json!({"rule": "nightly-report", "targets": [{"id": "x", "arn": "arn:aws:sqs:us-east-1:111122223333:q"}]}),
    ));
    for name in ["DisableRule", "DeleteRule", "PutRule"] {
        calls.push((
            events,
            name,
            json!({"name": "doorman-changes"}),
            json!({"name": "nightly-report"}),
        ));
    }
    calls.push((
        events,
        "RemoveTargets",
        json!({"rule": "doorman-changes", "ids": ["Function"]}),
        json!({"rule": "nightly-report", "ids": ["x"]}),
    ));
    // The scheduled audit's rule, and the rule that watches it.
    for (name, rule) in [
        ("DisableRule", "doorman-reconcile"),
        ("DeleteRule", "doorman-reconcile"),
        ("DeleteRule", "doorman-audit-tampering"),
    ] {
        calls.push((
            events,
            name,
            json!({"name": rule, "force": false}),
            json!({"name": "nightly-report", "force": false}),
        ));
    }
    calls.push((
        events,
        "PutRule",
        json!({"name": "doorman-reconcile", "scheduleExpression": "rate(3650 days)", "state": "ENABLED"}),
        json!({"name": "nightly-report", "scheduleExpression": "rate(1 day)", "state": "ENABLED"}),
    ));
    calls.push((
        events,
        "RemoveTargets",
        json!({"rule": "doorman-reconcile", "ids": ["doorman"], "force": false}),
        json!({"rule": "nightly-report", "ids": ["x"], "force": false}),
    ));
    for (name, request) in report_bucket_calls() {
        let mut other = request.clone();
        other["bucketName"] = json!("orders-receipts");
        other["Host"] = json!("orders-receipts.s3.us-east-1.amazonaws.com");
        calls.push(("s3.amazonaws.com", name, request, other));
    }
    let lambda = "lambda.amazonaws.com";
    let destination =
        json!({"onFailure": {"destination": "arn:aws:sqs:us-east-1:111122223333:elsewhere"}});
    for (name, extra) in [
        (
            "PutFunctionEventInvokeConfig20190925",
            json!({"maximumRetryAttempts": 0, "destinationConfig": destination}),
        ),
        (
            "UpdateFunctionEventInvokeConfig20190925",
            json!({"destinationConfig": destination}),
        ),
        (
            "RemovePermission20150331v2",
            json!({"statementId": "ChangeRuleInvoke"}),
        ),
        ("DeleteFunction20150331", json!({})),
        (
            "PutFunctionConcurrency20171031",
            json!({"reservedConcurrentExecutions": 0}),
        ),
        (
            "UpdateFunctionConfiguration20150331v2",
            json!({"timeout": 1}),
        ),
    ] {
        let mut ours = extra.clone();
        ours["functionName"] = json!(FUNCTION);
        let mut other = extra;
        other["functionName"] = json!("orders-processor");
        calls.push((lambda, name, ours, other));
    }
    let sns = "sns.amazonaws.com";
    let other_topic = "arn:aws:sns:us-east-1:111122223333:orders-events";
    for (name, extra) in [
        (
            "SetTopicAttributes",
            json!({"attributeName": "KmsMasterKeyId", "attributeValue": ""}),
        ),
        ("DeleteTopic", json!({})),
        ("RemovePermission", json!({"label": "events"})),
    ] {
        let mut ours = extra.clone();
        ours["topicArn"] = json!(TOPIC);
        let mut other = extra;
        other["topicArn"] = json!(other_topic);
        calls.push((sns, name, ours, other));
    }
    calls.push((
        sns,
        "Unsubscribe",
        json!({"subscriptionArn": format!("{TOPIC}:0b6941c3-f04d-4d3e-a31d-0123456789ab")}),
        json!({"subscriptionArn": format!("{other_topic}:0b6941c3-f04d-4d3e-a31d-0123456789ab")}),
    ));
    let sqs = "sqs.amazonaws.com";
    let other_queue = "https://sqs.us-east-1.amazonaws.com/111122223333/orders-queue";
    for (name, extra) in [
        (
            "SetQueueAttributes",
            json!({"attributes": {"MessageRetentionPeriod": "60"}}),
        ),
        ("PurgeQueue", json!({})),
        ("DeleteQueue", json!({})),
    ] {
        let mut ours = extra.clone();
        ours["queueUrl"] = json!(QUEUE_URL);
        let mut other = extra;
        other["queueUrl"] = json!(other_queue);
        calls.push((sqs, name, ours, other));
    }
    calls.push((
        "logs.amazonaws.com",
        "DeleteLogGroup",
        json!({"logGroupName": LOG_GROUP}),
        json!({"logGroupName": "/aws/lambda/orders-processor"}),
    ));
    let trail = "cloudtrail.amazonaws.com";
    let trail_arn = format!("arn:aws:cloudtrail:us-east-1:111122223333:trail/{TRAIL}");
    for name in ["StopLogging", "DeleteTrail", "UpdateTrail"] {
        calls.push((
            trail,
            name,
            json!({"name": trail_arn}),
            json!({"name": "data-events"}),
        ));
    }
    calls.push((
        trail,
        "PutEventSelectors",
        json!({"trailName": TRAIL, "eventSelectors": [{"readWriteType": "ReadOnly", "includeManagementEvents": false}]}),
        json!({"trailName": "data-events", "eventSelectors": []}),
    ));
    calls
}

/// The calls that would open or stop keeping the audit's reports, with the
/// request parameters CloudTrail records for them (bucket-level S3 calls
/// are management events; CloudTrail names `PutPublicAccessBlock`
/// `PutBucketPublicAccessBlock` and `PutBucketLifecycleConfiguration`
/// `PutBucketLifecycle`, and writes the XML body as an object with its
/// `xmlns`).
fn report_bucket_calls() -> Vec<(&'static str, Value)> {
    let host = format!("{BUCKET}.s3.us-east-1.amazonaws.com");
    let xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
    vec![
        (
            "DeleteBucketPolicy",
            json!({"bucketName": BUCKET, "Host": host, "policy": ""}),
        ),
        (
            "PutBucketPolicy",
            json!({"bucketName": BUCKET, "Host": host, "policy": "", "bucketPolicy": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*")}]
            }}),
        ),
        (
            "PutBucketEncryption",
            json!({"bucketName": BUCKET, "Host": host, "encryption": "", "ServerSideEncryptionConfiguration": {
                "xmlns": xmlns,
                "Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": false}
            }}),
        ),
        (
            "DeleteBucketEncryption",
            json!({"bucketName": BUCKET, "Host": host, "encryption": ""}),
        ),
        (
            "PutBucketPublicAccessBlock",
            json!({"publicAccessBlock": "", "bucketName": BUCKET, "Host": host, "PublicAccessBlockConfiguration": {
                "xmlns": xmlns,
                "RestrictPublicBuckets": false,
                "BlockPublicPolicy": false,
                "BlockPublicAcls": false,
                "IgnorePublicAcls": false
            }}),
        ),
        (
            "DeleteBucketPublicAccessBlock",
            json!({"publicAccessBlock": "", "bucketName": BUCKET, "Host": host}),
        ),
        (
            "PutBucketLifecycle",
            json!({"bucketName": BUCKET, "Host": host, "lifecycle": "", "LifecycleConfiguration": {
                "xmlns": xmlns,
                "Rule": {"ID": "ExpireReports", "Status": "Disabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 90}}
            }}),
        ),
        (
            "DeleteBucketLifecycle",
            json!({"bucketName": BUCKET, "Host": host, "lifecycle": ""}),
        ),
        ("DeleteBucket", json!({"bucketName": BUCKET, "Host": host})),
    ]
}

/// What the handler publishes for `event` (at most one alert).
async fn published(p: &Pipeline<MemoryResolver, MemoryNotifier>, event: &Value) -> Option<Alert> {
    p.handle(event)
        .await
        .unwrap_or_else(|e| panic!("the invocation fails: {e}"));
    let mut alerts = p.notifier.take();
    assert!(alerts.len() <= 1, "one alert per event");
    alerts.pop()
}

#[tokio::test]
async fn every_tamper_call_on_doormans_own_resources_is_critical_and_on_others_is_not_tampering() {
    let p = pipeline(MemoryResolver::default(), settings(&environment()));
    let calls = tamper_calls();
    assert!(calls.len() >= 48, "{}", calls.len());
    for (source, name, ours, other) in calls {
        let alert = published(&p, &event(source, name, ours, OLD))
            .await
            .unwrap_or_else(|| panic!("{name} on doorman's own resource publishes nothing"));
        let tamper: Vec<_> = alert
            .body
            .findings
            .iter()
            .filter(|f| f.rule == RuleId::GuardrailTampering)
            .collect();
        assert_eq!(tamper.len(), 1, "{name}: {:?}", rules(&alert));
        assert_eq!(tamper[0].severity, Severity::Critical, "{name}");
        assert!(
            tamper[0].message.starts_with("someone "),
            "{name}: {}",
            tamper[0].message
        );
        if let Some(alert) = published(&p, &event(source, name, other, OLD)).await {
            assert!(
                !rules(&alert).contains(&RuleId::GuardrailTampering),
                "{name} on another resource: {}",
                alert.text
            );
        }
    }
}

#[tokio::test]
async fn a_kms_call_through_an_alias_is_matched_by_the_key_arn_in_resources() {
    let p = pipeline(MemoryResolver::default(), settings(&environment()));
    let mut ev = event(
        "kms.amazonaws.com",
        "ScheduleKeyDeletion",
        json!({"keyId": "alias/doorman", "pendingWindowInDays": 7}),
        OLD,
    );
    ev["detail"]["resources"] =
        json!([{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key_arn(KEY_ID)}]);
    let alert = published(&p, &ev).await.expect("an alert");
    assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering]);
    assert!(alert.body.findings[0]
        .message
        .contains("scheduled the deletion of KMS key"));
    // The same alias on another key is not doorman's.
    ev["detail"]["resources"][0]["ARN"] = json!(key_arn("0987dcba-09fe-87dc-65ba-ab0987654321"));
    assert!(published(&p, &ev).await.is_none());
}

#[tokio::test]
async fn without_a_trail_name_any_change_to_any_trail_is_tampering() {
    let mut env = environment();
    env.remove("DOORMAN_TRAIL_NAME");
    let p = pipeline(MemoryResolver::default(), settings(&env));
    for (name, request) in [
        (
            "UpdateTrail",
            json!({"name": "some-trail", "isMultiRegionTrail": false}),
        ),
        (
            "PutEventSelectors",
            json!({"trailName": "some-trail", "eventSelectors": []}),
        ),
        ("StopLogging", json!({"name": "some-trail"})),
    ] {
        let alert = published(&p, &event("cloudtrail.amazonaws.com", name, request, OLD))
            .await
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering], "{name}");
    }
}

/// The event sets every filter doorman has, on doorman itself; the Lambda
/// that judges it already runs with them (and even with its own name
/// variable rewritten): the alert still goes out, and says what was set.
#[tokio::test]
async fn an_update_that_sets_doormans_filters_is_still_alerted_and_named() {
    let set = json!({
        "DOORMAN_IGNORE_RULES": "guardrail-tampering",
        "DOORMAN_MIN_SEVERITY": "critical",
        "DOORMAN_IGNORE_PRINCIPALS": "arn:aws:iam::111122223333:user/mallory",
        "DOORMAN_FUNCTION_NAME": "not-doorman",
        "DOORMAN_TOPIC_ARN": TOPIC
    });
    let mut env = environment();
    for (k, v) in set.as_object().into_iter().flatten() {
        env.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
    }
    let mut resolver = MemoryResolver::default();
    resolver.function_tags.insert(
        format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION}"),
        vec![("doorman:ignore".into(), "guardrail-tampering".into())],
    );
    let p = pipeline(resolver, settings(&env));
    let ev = event(
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        json!({"functionName": FUNCTION, "environment": {"variables": set}}),
        OLD,
    );
    let alert = published(&p, &ev).await.expect("the tamper alert is sent");
    assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering]);
    assert_eq!(alert.highest_severity(), Severity::Critical);
    let message = &alert.body.findings[0].message;
    assert!(
        message.contains("`DOORMAN_IGNORE_RULES=guardrail-tampering`")
            && message.contains("`DOORMAN_MIN_SEVERITY=critical`")
            && message.contains("DOORMAN_IGNORE_PRINCIPALS"),
        "{message}"
    );
    // A role change of doorman through the same filters, too.
    let ev = event(
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        json!({"functionName": FUNCTION, "role": "arn:aws:iam::111122223333:role/mallory-role"}),
        OLD,
    );
    let alert = published(&p, &ev).await.expect("an alert");
    assert!(rules(&alert).contains(&RuleId::GuardrailTampering));
    assert!(alert
        .body
        .findings
        .iter()
        .any(|f| f.message.contains("`role`")));
}

/// CloudTrail hides the variables an update sets; the alert reads them
/// from the function as deployed now.
#[tokio::test]
async fn an_update_whose_variables_cloudtrail_hides_is_worded_from_the_deployed_function() {
    let mut env = environment();
    env.insert("DOORMAN_IGNORE_RULES".into(), "guardrail-tampering".into());
    let mut resolver = MemoryResolver::default().with_function(
        FUNCTION,
        &format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION}"),
        &format!("arn:aws:iam::{ACCOUNT}:role/{ROLE}"),
    );
    if let Some(f) = resolver.functions.get_mut(FUNCTION) {
        f.environment = vec![
            ("DOORMAN_IGNORE_RULES".into(), "guardrail-tampering".into()),
            ("OTHER".into(), "x".into()),
        ];
    }
    let p = pipeline(resolver, settings(&env));
    let ev = event(
        "lambda.amazonaws.com",
        "UpdateFunctionConfiguration20150331v2",
        json!({
            "functionName": format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION}"),
            "environment": {"variables": "HIDDEN_DUE_TO_SECURITY_REASONS"}
        }),
        OLD,
    );
    let alert = published(&p, &ev).await.expect("the tamper alert is sent");
    assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering]);
    let message = &alert.body.findings[0].message;
    assert!(
        message.contains("doorman's variables now read `DOORMAN_IGNORE_RULES=guardrail-tampering`")
            && !message.contains("OTHER"),
        "{message}"
    );
    // Offline (nothing to read), the alert still says the variables changed.
    let p = pipeline(MemoryResolver::default(), settings(&env));
    let alert = published(&p, &ev).await.expect("the tamper alert is sent");
    assert!(alert.body.findings[0]
        .message
        .contains("replaces its environment variables"));
}

#[tokio::test]
async fn a_failed_tamper_call_is_low_reconnaissance_and_other_failed_calls_stay_quiet() {
    // Through every filter, too.
    let mut env = environment();
    env.insert("DOORMAN_MIN_SEVERITY".into(), "critical".into());
    env.insert("DOORMAN_IGNORE_RULES".into(), "guardrail-tampering".into());
    let p = pipeline(MemoryResolver::default(), settings(&env));
    let failed = |source: &str, name: &str, request: Value| {
        let mut ev = event(source, name, request, OLD);
        ev["detail"]["errorCode"] = json!("AccessDenied");
        ev["detail"]["errorMessage"] = json!("User: arn:aws:iam::111122223333:user/mallory is not authorized to perform this operation");
        ev
    };
    for (source, name, ours, other) in tamper_calls() {
        let alert = published(&p, &failed(source, name, ours))
            .await
            .unwrap_or_else(|| panic!("a failed {name} on doorman is alerted"));
        assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering], "{name}");
        assert_eq!(alert.highest_severity(), Severity::Low, "{name}");
        let message = &alert.body.findings[0].message;
        assert!(
            message.contains("failed (`AccessDenied`)") && message.contains("probing"),
            "{name}: {message}"
        );
        let ev = p.handle(&failed(source, name, other)).await.unwrap();
        assert_eq!(
            ev.verdict,
            Verdict::Ignored {
                reason: "the call failed (`AccessDenied`)".into()
            },
            "{name}"
        );
        assert!(p.notifier.take().is_empty(), "{name}");
    }
}

/// The README's self-test entry (`scripts/selftest-tamper-event.json`, the
/// `aws events put-events` input) as EventBridge delivers it to a target:
/// `Source` becomes `source`, `DetailType` `detail-type`, and the `Detail`
/// string the `detail` object; `account` is the sender's.
fn self_test_event() -> Value {
    let text = std::fs::read_to_string("scripts/selftest-tamper-event.json")
        .expect("scripts/selftest-tamper-event.json (run from the crate root)");
    let entries: Value = serde_json::from_str(&text).expect("the self-test entries are JSON");
    let entry = &entries[0];
    let detail: Value = serde_json::from_str(entry["Detail"].as_str().expect("Detail is a string"))
        .expect("Detail is JSON");
    json!({
        "version": "0",
        "id": "5f0c2a7e-1b3d-4c5e-8f9a-0b1c2d3e4f5a",
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": ACCOUNT,
        "time": "2026-11-30T00:00:05Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail
    })
}

#[tokio::test]
async fn the_readme_self_test_is_a_labelled_info_alert_that_no_filter_hides() {
    let mut env = environment();
    env.insert("DOORMAN_MIN_SEVERITY".into(), "critical".into());
    env.insert("DOORMAN_IGNORE_RULES".into(), "guardrail-tampering".into());
    env.insert("DOORMAN_IGNORE_PRINCIPALS".into(), "arn:*".into());
    let p = pipeline(MemoryResolver::default(), settings(&env));
    let ev = self_test_event();
    assert_eq!(ev["source"], doorman::event::SELF_TEST_SOURCE);
    let alert = published(&p, &ev)
        .await
        .expect("the self-test reaches a person whatever the filters");
    assert!(alert.subject.contains("SELF-TEST"), "{}", alert.subject);
    assert!(alert.subject.len() <= 99, "{}", alert.subject);
    assert_eq!(alert.highest_severity(), Severity::Info);
    assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering]);
    assert!(
        alert.text.contains("SELF-TEST") && alert.text.contains("not a real change"),
        "{}",
        alert.text
    );
    assert_eq!(alert.attributes["severity"].value, "info");
}

#[tokio::test]
async fn an_event_not_from_aws_is_never_judged_as_a_real_change() {
    let p = pipeline(MemoryResolver::default(), settings(&environment()));
    // A call that is critical when AWS reports it...
    let real = event(
        "events.amazonaws.com",
        "DisableRule",
        json!({"name": "doorman-changes"}),
        OLD,
    );
    let alert = published(&p, &real).await.expect("a real DisableRule");
    assert_eq!(alert.highest_severity(), Severity::Critical);
    // ...is, from the self-test source, only the self-test (info)...
    let mut as_self_test = real.clone();
    as_self_test["source"] = json!("doorman.selftest");
    let alert = published(&p, &as_self_test)
        .await
        .expect("a self-test alert");
    assert_eq!(alert.highest_severity(), Severity::Info);
    assert!(alert.subject.contains("SELF-TEST"), "{}", alert.subject);
    // ...and, from any other source someone may send with PutEvents
    // (including one that looks like AWS's but is not `aws.*`), nothing.
    for source in ["com.example.forged", "aws", "awsevents", "AWS.events"] {
        let mut forged = real.clone();
        forged["source"] = json!(source);
        let evaluation = p.handle(&forged).await.expect("the invocation succeeds");
        match &evaluation.verdict {
            Verdict::Ignored { reason } => assert!(
                reason.contains(&format!("`{source}`")) && reason.contains("PutEvents"),
                "{source}: {reason}"
            ),
            other => panic!("{source}: judged as a real change: {other:?}"),
        }
        assert!(p.notifier.take().is_empty(), "{source}");
    }
    // A raw CloudTrail record (replay of a trail's log file) has no
    // envelope and is judged as before.
    let alert = published(&p, &real["detail"]).await.expect("a raw record");
    assert_eq!(alert.highest_severity(), Severity::Critical);
}

// ---------------------------------------------------------------------------
// IAM is eventually consistent (SPEC §7).
// ---------------------------------------------------------------------------

/// `at` as CloudTrail writes `eventTime`.
fn rfc3339(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[test]
fn event_times_are_written_as_cloudtrail_writes_them() {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_773_479_565);
    assert_eq!(rfc3339(at), "2026-03-14T09:12:45Z");
}

#[tokio::test]
async fn no_such_entity_two_seconds_after_the_event_is_retried_and_ten_minutes_after_is_unprocessable(
) {
    let p = pipeline(MemoryResolver::default(), Settings::default());
    let attach = |at: SystemTime| {
        event(
            "iam.amazonaws.com",
            "AttachRolePolicy",
            json!({"roleName": "orders-processor-role", "policyArn": "arn:aws:iam::111122223333:policy/just-created"}),
            &rfc3339(at),
        )
    };
    let err = p
        .handle(&attach(SystemTime::now() - Duration::from_secs(2)))
        .await
        .expect_err("the invocation fails so that Lambda retries");
    assert!(matches!(err, HandlerError::Transient { .. }), "{err}");
    assert!(err.to_string().contains("eventually consistent"), "{err}");
    assert!(p.notifier.take().is_empty());

    let alert = published(&p, &attach(SystemTime::now() - Duration::from_secs(600)))
        .await
        .expect("an unprocessable-event alert");
    assert_eq!(rules(&alert), vec![RuleId::UnprocessableEvent]);
    assert!(alert.body.findings[0].message.contains("no longer exists"));
}

// ---------------------------------------------------------------------------
// The rest of the execution-role and invocation doors (SPEC §4).
// ---------------------------------------------------------------------------

const DYNAMO_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"}]}"#;
const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const SQS_EXEC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole";
const ORDERS_ARN: &str = "arn:aws:lambda:eu-west-1:111122223333:function:orders-processor";

fn orders_role(managed: &[&str]) -> MemoryResolver {
    let details = role("orders-processor-role", &[("orders", DYNAMO_ONLY)], managed);
    let arn = details.arn.clone();
    MemoryResolver::default()
        .with_role(details)
        .with_function("orders-processor", ORDERS_ARN, &arn)
}

#[tokio::test]
async fn detaching_or_deleting_a_role_policy_rejudges_missing_logs_for_its_functions() {
    for sample_name in [
        "detach-role-policy-logs.json",
        "delete-role-policy-logs.json",
    ] {
        // What is left of the role cannot log.
        let p = pipeline(orders_role(&[]), Settings::default());
        let alert = published(&p, &sample(sample_name))
            .await
            .expect(sample_name);
        assert_eq!(rules(&alert), vec![RuleId::MissingLogs], "{sample_name}");
        assert!(alert.body.findings[0]
            .message
            .contains("/aws/lambda/orders-processor"));
        // What is left still logs.
        let p = pipeline(orders_role(&[BASIC]), Settings::default());
        assert!(
            published(&p, &sample(sample_name)).await.is_none(),
            "{sample_name}"
        );
        // No function uses the role: nothing to re-judge.
        let p = pipeline(
            MemoryResolver::default().with_role(role("orders-processor-role", &[], &[])),
            Settings::default(),
        );
        assert!(
            published(&p, &sample(sample_name)).await.is_none(),
            "{sample_name}"
        );
    }
}

#[test]
fn offline_replay_says_the_rejudging_was_skipped() {
    let results = doorman::cli::replay::replay(
        &doorman::cli::replay::read_inputs(&[events_dir().join("detach-role-policy-logs.json")]),
        Settings::default(),
    );
    let text = doorman::cli::replay::text(&results);
    assert!(
        text.contains("not checked offline") && text.contains("missing-logs was not re-judged"),
        "{text}"
    );
}

#[tokio::test]
async fn a_boundary_that_allows_everything_is_as_bad_as_none() {
    let p = pipeline(
        MemoryResolver::default().with_aws_managed(&[
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::aws:policy/PowerUserAccess",
        ]),
        Settings::default(),
    );
    let alert = published(&p, &sample("put-user-permissions-boundary-admin.json"))
        .await
        .expect("AdministratorAccess as a boundary");
    assert_eq!(rules(&alert), vec![RuleId::PermissionsBoundaryRemoved]);
    assert_eq!(alert.highest_severity(), Severity::High);
    assert!(alert.body.findings[0]
        .message
        .contains("user `contractor-dana`"));
    assert!(
        published(&p, &sample("put-user-permissions-boundary-benign.json"))
            .await
            .is_none()
    );

    // A customer policy IAM reads the same way, spelled differently.
    let everything = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*:*","Resource":"arn:*"}]}"#;
    let narrow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let mut r = MemoryResolver::default();
    for (name, doc) in [("boundary-all", everything), ("boundary-s3", narrow)] {
        let arn = format!("arn:aws:iam::111122223333:policy/{name}");
        r.managed.insert(
            arn.clone(),
            ManagedPolicy {
                arn,
                name: name.into(),
                document: url_encoded(doc),
                fallback: None,
            },
        );
    }
    let p = pipeline(r, Settings::default());
    let set = |policy: &str| {
        let mut ev = sample("put-role-permissions-boundary-benign.json");
        ev["detail"]["requestParameters"]["permissionsBoundary"] =
            json!(format!("arn:aws:iam::111122223333:policy/{policy}"));
        ev
    };
    let alert = published(&p, &set("boundary-all")).await.expect("an alert");
    assert_eq!(rules(&alert), vec![RuleId::PermissionsBoundaryRemoved]);
    assert!(published(&p, &set("boundary-s3")).await.is_none());
}

fn inline(name: &str, doc: &str) -> RolePolicy {
    RolePolicy {
        name: name.into(),
        managed: false,
        document: url_encoded(doc),
        fallback: None,
    }
}

#[tokio::test]
async fn adding_a_user_to_a_group_judges_the_groups_policies_for_that_user() {
    let mut r = MemoryResolver::default();
    r.groups.insert(
        "platform-admins".into(),
        vec![RolePolicy {
            name: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
            managed: true,
            document: doorman::catalog::managed::managed_policy_document(
                "arn:aws:iam::aws:policy/AdministratorAccess",
            )
            .expect("built in")
            .to_string(),
            fallback: None,
        }],
    );
    r.groups.insert(
        "read-only-auditors".into(),
        vec![inline(
            "lookup",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}"#,
        )],
    );
    let p = pipeline(r, Settings::default());
    let alert = published(&p, &sample("add-user-to-group-admins.json"))
        .await
        .expect("an admin group");
    assert_eq!(rules(&alert), vec![RuleId::BroadManagedPolicy]);
    assert_eq!(alert.highest_severity(), Severity::Critical);
    assert!(alert.text.contains("contractor-dana"), "{}", alert.text);
    assert!(published(&p, &sample("add-user-to-group-benign.json"))
        .await
        .is_none());
}

#[tokio::test]
async fn updating_an_event_source_mapping_rejudges_its_polling_permissions() {
    let p = pipeline(orders_role(&[BASIC]), Settings::default());
    let alert = published(&p, &sample("update-event-source-mapping-sqs.json"))
        .await
        .expect("the role cannot poll SQS");
    assert_eq!(rules(&alert), vec![RuleId::EventSourceMissingPermissions]);
    let p = pipeline(orders_role(&[SQS_EXEC]), Settings::default());
    assert!(
        published(&p, &sample("update-event-source-mapping-sqs.json"))
            .await
            .is_none()
    );
    assert!(
        published(&p, &sample("update-event-source-mapping-benign.json"))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn an_invoke_config_destination_in_another_account_is_cross_account_destination() {
    let p = pipeline(MemoryResolver::default(), Settings::default());
    for kind in [
        "put-function-event-invoke-config",
        "update-function-event-invoke-config",
    ] {
        let alert = published(&p, &sample(&format!("{kind}-cross-account.json")))
            .await
            .expect(kind);
        assert_eq!(
            rules(&alert),
            vec![RuleId::CrossAccountDestination],
            "{kind}"
        );
        assert_eq!(alert.highest_severity(), Severity::Medium);
        assert!(alert.body.findings[0].message.contains("`444455556666`"));
        assert!(published(&p, &sample(&format!("{kind}-benign.json")))
            .await
            .is_none());
    }
    // An account the owner vouches for is not another account.
    let trusted = Settings {
        trusted_accounts: vec!["444455556666".into()],
        ..Settings::default()
    };
    let p = pipeline(MemoryResolver::default(), trusted);
    assert!(published(
        &p,
        &sample("put-function-event-invoke-config-cross-account.json")
    )
    .await
    .is_none());
}

#[tokio::test]
async fn guarded_names_come_from_the_environment() {
    let g: Guarded = settings(&environment()).guarded;
    assert_eq!(g.role_name.as_deref(), Some(ROLE));
    assert_eq!(g.key_arn, Some(key_arn(KEY_ID)));
    assert_eq!(g.log_group.as_deref(), Some(LOG_GROUP));
    assert_eq!(g.runtime_function_name.as_deref(), Some(FUNCTION));
    assert_eq!(g.report_bucket.as_deref(), Some(BUCKET));
    assert_eq!(g.reconcile_rule_name.as_deref(), Some("doorman-reconcile"));
    assert_eq!(
        g.audit_tamper_rule_name.as_deref(),
        Some("doorman-audit-tampering")
    );
}

/// The report bucket as S3 events name it, with what the alert says: the
/// bucket, what the call did to it, and who. Calls that open nothing (tags)
/// and a stack without the scheduled audit (no bucket, no schedule) are
/// not tampering.
#[tokio::test]
async fn the_audit_schedule_and_report_bucket_are_watched_only_when_the_audit_is_on() {
    let p = pipeline(MemoryResolver::default(), settings(&environment()));
    let mut ev = event(
        "s3.amazonaws.com",
        "DeleteBucketPublicAccessBlock",
        report_bucket_calls()
            .into_iter()
            .find(|(n, _)| *n == "DeleteBucketPublicAccessBlock")
            .map(|(_, r)| r)
            .expect("the call"),
        OLD,
    );
    // As CloudTrail writes a bucket-level call.
    ev["detail"]["resources"] = json!([{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{BUCKET}")}]);
    ev["detail"]["additionalEventData"] = json!({
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": 0,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": "example",
        "bytesTransferredOut": 0
    });
    let alert = published(&p, &ev).await.expect("an alert");
    assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering]);
    assert_eq!(alert.highest_severity(), Severity::Critical);
    let message = &alert.body.findings[0].message;
    assert!(
        message.contains("removed the public access block of S3 bucket")
            && message.contains(BUCKET)
            && message.contains("audit reports"),
        "{message}"
    );
    assert!(alert
        .text
        .contains("arn:aws:iam::111122223333:user/mallory"));

    // Tagging the bucket opens nothing.
    let tags = event(
        "s3.amazonaws.com",
        "PutBucketTagging",
        json!({"bucketName": BUCKET, "Host": format!("{BUCKET}.s3.us-east-1.amazonaws.com"), "tagging": "", "Tagging": {"TagSet": {"Tag": {"Key": "team", "Value": "security"}}}}),
        OLD,
    );
    assert!(published(&p, &tags).await.is_none());

    // AuditSchedule empty: the template sets the three variables empty.
    let mut env = environment();
    for k in [
        "DOORMAN_REPORT_BUCKET",
        "DOORMAN_RECONCILE_RULE_NAME",
        "DOORMAN_AUDIT_TAMPER_RULE_NAME",
    ] {
        env.insert(k.into(), String::new());
    }
    let p = pipeline(MemoryResolver::default(), settings(&env));
    assert!(published(&p, &ev).await.is_none());
    let disable = event(
        "events.amazonaws.com",
        "DisableRule",
        json!({"name": "doorman-reconcile"}),
        OLD,
    );
    assert!(published(&p, &disable).await.is_none());
}

/// With `DiagnoseAccessDenied` on, disabling or retargeting its rule
/// (`<NamePrefix>-access-denied`, from `DOORMAN_ACCESS_DENIED_RULE_NAME`)
/// is critical tampering; with it off (the variable empty) the same name is
/// nobody's rule.
#[tokio::test]
async fn the_access_denied_rule_is_watched_only_when_the_diagnosis_is_on() {
    let mut env = environment();
    env.insert(
        "DOORMAN_ACCESS_DENIED_RULE_NAME".into(),
        "doorman-access-denied".into(),
    );
    let p = pipeline(MemoryResolver::default(), settings(&env));
    let disable = event(
        "events.amazonaws.com",
        "DisableRule",
        json!({"name": "doorman-access-denied"}),
        OLD,
    );
    let alert = published(&p, &disable).await.expect("an alert");
    assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering]);
    assert_eq!(alert.highest_severity(), Severity::Critical);
    let message = &alert.body.findings[0].message;
    assert!(message.contains("AccessDenied rule"), "{message}");
    let retarget = event(
        "events.amazonaws.com",
        "RemoveTargets",
        json!({"rule": "doorman-access-denied", "ids": ["doorman"]}),
        OLD,
    );
    assert!(published(&p, &retarget).await.is_some());

    env.insert("DOORMAN_ACCESS_DENIED_RULE_NAME".into(), String::new());
    let p = pipeline(MemoryResolver::default(), settings(&env));
    assert!(published(&p, &disable).await.is_none());
}
