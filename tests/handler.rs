//! The Lambda handler with an in-memory resolver and notifier: what gets
//! published for each kind of event, and the error semantics of SPEC §2.

mod pipeline_support;

use doorman::alert::{Suppressions, SNS_MAX_BYTES, SUBJECT_MAX_CHARS};
use doorman::notify::MemoryNotifier;
use doorman::pipeline::{Guarded, HandlerError, Pipeline, Settings, Verdict};
use doorman::resolve::{PolicyEntities, ResolveError};
use doorman::rules::{RuleId, Severity};
use pipeline_support::*;
use serde_json::{json, Value};

fn pipeline(resolver: MemoryResolver) -> Pipeline<MemoryResolver, MemoryNotifier> {
    Pipeline::new(resolver, MemoryNotifier::new(), Settings::default())
}

fn rules(alert: &doorman::alert::Alert) -> Vec<RuleId> {
    alert.body.findings.iter().map(|f| f.rule).collect()
}

/// Handles `event` and returns the one alert published.
async fn one_alert(
    p: &Pipeline<MemoryResolver, MemoryNotifier>,
    event: &Value,
) -> doorman::alert::Alert {
    p.handle(event).await.expect("the invocation succeeds");
    let mut alerts = p.notifier.take();
    assert_eq!(alerts.len(), 1, "exactly one alert is published");
    alerts.remove(0)
}

#[tokio::test]
async fn attaching_administrator_access_is_one_critical_alert() {
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &sample("attach-role-policy-admin.json")).await;
    assert_eq!(alert.highest_severity(), Severity::Critical);
    assert_eq!(rules(&alert), vec![RuleId::BroadManagedPolicy]);
    assert_eq!(
        alert.subject,
        "[doorman] CRITICAL broad-managed-policy on orders-processor-role"
    );
    assert_eq!(alert.attributes["severity"].value, "critical");
    assert_eq!(alert.attributes["rules"].data_type, "String.Array");
    assert_eq!(
        alert.attributes["rules"].value,
        r#"["broad-managed-policy"]"#
    );
    assert_eq!(alert.attributes["event_name"].value, "AttachRolePolicy");
    assert_eq!(alert.attributes["account"].value, ACCOUNT);
}

#[tokio::test]
async fn an_inline_policy_with_action_star_is_admin_access() {
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &sample("put-role-policy-admin.json")).await;
    assert_eq!(rules(&alert)[0], RuleId::AdminAccess);
    assert_eq!(
        alert.body.findings[0].statement.as_ref().map(|s| s.index),
        Some(0)
    );
}

#[tokio::test]
async fn add_permission_v2_to_anyone_is_public_invoke() {
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &sample("add-permission-public.json")).await;
    assert_eq!(rules(&alert), vec![RuleId::PublicInvoke]);
    assert_eq!(alert.body.subject.kind, "function");
    assert_eq!(
        alert.body.subject.arn.as_deref(),
        Some("arn:aws:lambda:eu-west-1:111122223333:function:orders-processor")
    );
}

const DYNAMO_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem"],"Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"}]}"#;
const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const SQS_EXEC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole";

#[tokio::test]
async fn a_function_whose_role_cannot_log_is_missing_logs() {
    // The role comes URL-encoded, as GetRole and GetRolePolicy return it.
    let r = MemoryResolver::default().with_role(role(
        "orders-api-role",
        &[("orders", DYNAMO_ONLY)],
        &[],
    ));
    let p = pipeline(r);
    let alert = one_alert(&p, &sample("create-function-benign.json")).await;
    assert_eq!(rules(&alert), vec![RuleId::MissingLogs]);
    assert!(alert.body.findings[0]
        .message
        .contains("log group `/aws/lambda/orders-api`"));

    let r = MemoryResolver::default().with_role(role(
        "orders-api-role",
        &[("orders", DYNAMO_ONLY)],
        &[BASIC],
    ));
    let p = pipeline(r);
    let ev = p
        .handle(&sample("create-function-benign.json"))
        .await
        .unwrap();
    assert!(ev.alert().is_none(), "{:?}", ev.alert().map(|a| &a.text));
}

#[tokio::test]
async fn a_role_shared_by_functions_and_not_trusting_lambda_is_reported() {
    let mut details = role("orders-api-role", &[], &[BASIC]);
    details.trust = url_encoded(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    );
    let role_arn = details.arn.clone();
    let r = MemoryResolver::default().with_role(details).with_function(
        "billing",
        "arn:aws:lambda:eu-west-1:111122223333:function:billing",
        &role_arn,
    );
    let p = pipeline(r);
    let alert = one_alert(&p, &sample("create-function-benign.json")).await;
    let got = rules(&alert);
    assert!(got.contains(&RuleId::SharedExecutionRole), "{got:?}");
    assert!(got.contains(&RuleId::RoleNotLambdaTrusted), "{got:?}");
}

#[tokio::test]
async fn an_sqs_mapping_whose_role_cannot_receive_is_reported() {
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/orders-processor-role");
    let fn_arn = "arn:aws:lambda:eu-west-1:111122223333:function:orders-processor";
    let r = MemoryResolver::default()
        .with_role(role(
            "orders-processor-role",
            &[("orders", DYNAMO_ONLY)],
            &[BASIC],
        ))
        .with_function("orders-processor", fn_arn, &role_arn);
    let p = pipeline(r);
    let alert = one_alert(&p, &sample("create-event-source-mapping-sqs.json")).await;
    assert_eq!(rules(&alert), vec![RuleId::EventSourceMissingPermissions]);
    assert!(alert.body.findings[0]
        .message
        .contains("`sqs:ReceiveMessage`"));

    let r = MemoryResolver::default()
        .with_role(role("orders-processor-role", &[], &[SQS_EXEC]))
        .with_function("orders-processor", fn_arn, &role_arn);
    let p = pipeline(r);
    let ev = p
        .handle(&sample("create-event-source-mapping-sqs.json"))
        .await
        .unwrap();
    assert!(ev.alert().is_none());
}

#[tokio::test]
async fn a_dynamodb_stream_mapping_needs_the_stream_read_actions() {
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/orders-processor-role");
    let fn_arn = "arn:aws:lambda:eu-west-1:111122223333:function:orders-processor";
    let r = MemoryResolver::default()
        .with_role(role(
            "orders-processor-role",
            &[],
            &[
                BASIC,
                "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
            ],
        ))
        .with_function("orders-processor", fn_arn, &role_arn);
    let p = pipeline(r);
    let ev = p
        .handle(&sample("create-event-source-mapping-benign.json"))
        .await
        .unwrap();
    assert!(ev.alert().is_none());

    let r = MemoryResolver::default()
        .with_role(role(
            "orders-processor-role",
            &[("orders", DYNAMO_ONLY)],
            &[BASIC],
        ))
        .with_function("orders-processor", fn_arn, &role_arn);
    let p = pipeline(r);
    let alert = one_alert(&p, &sample("create-event-source-mapping-benign.json")).await;
    assert_eq!(rules(&alert), vec![RuleId::EventSourceMissingPermissions]);
    assert!(alert.body.findings[0].message.contains("DynamoDB stream"));
}

#[tokio::test]
async fn set_default_policy_version_to_action_star_is_admin_access() {
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/orders-access");
    let mut r = MemoryResolver::default();
    // Real IAM returns GetPolicyVersion documents URL-encoded.
    r.versions.insert(
        (arn.clone(), "v3".into()),
        url_encoded(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
    );
    r.entities.insert(
        arn.clone(),
        PolicyEntities {
            roles: vec!["orders-processor-role".into()],
            ..Default::default()
        },
    );
    let p = pipeline(r);
    let alert = one_alert(&p, &sample("set-default-policy-version.json")).await;
    assert_eq!(rules(&alert)[0], RuleId::AdminAccess);
    assert_eq!(
        alert.body.change,
        "made version `v3` the default of managed policy `orders-access`, which applies to role `orders-processor-role`"
    );
}

fn with_request(mut event: Value, key: &str, value: Value) -> Value {
    event["detail"]["requestParameters"][key] = value;
    event
}

#[tokio::test]
async fn a_document_that_is_not_json_is_an_unprocessable_event_and_success() {
    let p = pipeline(MemoryResolver::default());
    let event = with_request(
        sample("put-role-policy-admin.json"),
        "policyDocument",
        json!("{not json"),
    );
    let evaluation = p.handle(&event).await.expect("the invocation succeeds");
    let alerts = p.notifier.take();
    assert_eq!(alerts.len(), 1);
    // The alert is about what the event changed, though it could not be judged.
    assert_eq!(
        alerts[0].subject,
        "[doorman] MEDIUM unprocessable-event on orders-processor-role"
    );
    let f = &alerts[0].body.findings[0];
    assert_eq!(
        (f.rule, f.severity),
        (RuleId::UnprocessableEvent, Severity::Medium)
    );
    assert_eq!(
        f.message,
        format!(
            "doorman could not evaluate event `{}`: inline policy `debug-temp` is not a policy document: not valid JSON: key must be a string at line 1 column 2",
            evaluation.event.id
        )
    );
}

#[tokio::test]
async fn an_undecodable_event_is_unprocessable_and_success() {
    let p = pipeline(MemoryResolver::default());
    let mut event = sample("put-role-policy-admin.json");
    event["detail"]["requestParameters"] = json!({"roleName": "r"});
    p.handle(&event).await.unwrap();
    let alerts = p.notifier.take();
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].body.findings[0]
        .message
        .ends_with("`PutRolePolicy` has no `requestParameters.policyName`"));
    // Not decoded: the alert can only name the event.
    assert_eq!(
        alerts[0].subject,
        format!(
            "[doorman] MEDIUM unprocessable-event on {}",
            alerts[0].body.event.id
        )
    );
}

#[tokio::test]
async fn a_policy_that_no_longer_exists_is_unprocessable() {
    let p = pipeline(MemoryResolver::default());
    let event = with_request(
        sample("attach-role-policy-admin.json"),
        "policyArn",
        json!("arn:aws:iam::111122223333:policy/gone"),
    );
    p.handle(&event).await.unwrap();
    let alerts = p.notifier.take();
    assert_eq!(alerts[0].body.findings[0].rule, RuleId::UnprocessableEvent);
    assert!(alerts[0].body.findings[0]
        .message
        .contains("no longer exists"));
}

#[tokio::test]
async fn throttling_fails_the_invocation_and_publishes_nothing() {
    let r = MemoryResolver {
        fail_with: Some(ResolveError::Transient(
            "GetPolicy `arn`: Throttling: Rate exceeded".into(),
        )),
        ..Default::default()
    };
    let p = pipeline(r);
    let err = p
        .handle(&sample("attach-role-policy-benign.json"))
        .await
        .unwrap_err();
    assert!(matches!(err, HandlerError::Transient { .. }));
    assert!(
        err.to_string().contains("Throttling: Rate exceeded"),
        "{err}"
    );
    assert!(p.notifier.alerts().is_empty());
}

#[tokio::test]
async fn a_failed_call_publishes_nothing() {
    let p = pipeline(MemoryResolver::default());
    let ev = p
        .handle(&sample("put-role-policy-access-denied.json"))
        .await
        .unwrap();
    assert_eq!(
        ev.verdict,
        Verdict::Ignored {
            reason: "the call failed (`AccessDenied`)".into()
        }
    );
    assert!(p.notifier.alerts().is_empty());
}

#[tokio::test]
async fn a_long_non_ascii_role_name_gives_a_short_printable_ascii_subject() {
    let name: String = "rôle-ünïcödé-数据-".chars().cycle().take(64).collect();
    assert_eq!(name.chars().count(), 64);
    let event = with_request(
        sample("put-role-policy-admin.json"),
        "roleName",
        json!(name),
    );
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &event).await;
    assert!(
        alert.subject.len() <= SUBJECT_MAX_CHARS,
        "{}",
        alert.subject
    );
    assert!(
        alert.subject.chars().all(|c| (' '..='~').contains(&c)),
        "{}",
        alert.subject
    );
    assert!(alert
        .subject
        .starts_with("[doorman] CRITICAL admin-access on r?le-"));
    // The email text keeps the real name.
    assert!(alert.text.contains(&name));
}

#[tokio::test]
async fn five_hundred_findings_fit_under_the_sns_limit_and_say_what_was_summarised() {
    let statements: Vec<Value> = (0..500)
        .map(|i| json!({"Sid": format!("Typo{i}"), "Effect": "Allow", "Action": format!("s3:GetObjekt{i}"), "Resource": format!("arn:aws:s3:::bucket-{i}/*")}))
        .collect();
    let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let event = with_request(
        sample("put-role-policy-admin.json"),
        "policyDocument",
        json!(doc),
    );
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &event).await;
    assert!(alert.total_findings >= 500, "{}", alert.total_findings);
    let attrs: usize = alert
        .attributes
        .iter()
        .map(|(k, a)| k.len() + a.data_type.len() + a.value.len())
        .sum();
    assert!(alert.message.len() + attrs + alert.subject.len() < SNS_MAX_BYTES);
    let summarised = alert
        .body
        .summarised
        .as_ref()
        .expect("some findings are summarised");
    assert_eq!(
        summarised.count + alert.body.findings.len(),
        alert.total_findings
    );
    assert!(
        alert.text.contains(&format!(
            "... and {} more findings (summarised to fit SNS's 256 KB limit): {} unknown-action",
            summarised.count, summarised.count
        )),
        "{}",
        &alert.text[alert.text.len() - 300..]
    );
    // The JSON copies carry the same count.
    let message: Value = serde_json::from_str(&alert.message).unwrap();
    let body: Value = serde_json::from_str(message["sqs"].as_str().unwrap()).unwrap();
    assert_eq!(body["summarised"]["count"], summarised.count);
}

#[tokio::test]
async fn a_raw_record_and_its_eventbridge_envelope_give_the_same_alert() {
    let raw = sample("raw-attach-user-policy-power-user.json");
    let wrapped = json!({
        "version": "0",
        "id": "a0bd6b1c-7f12-4b8e-9d2a-0c1e2f3a4b5c",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.iam",
        "account": ACCOUNT,
        "time": raw["eventTime"],
        "region": "us-east-1",
        "resources": [],
        "detail": raw.clone(),
    });
    let p = pipeline(MemoryResolver::default());
    let a = one_alert(&p, &raw).await;
    let b = one_alert(&p, &wrapped).await;
    assert_eq!(a, b);
    assert_eq!(rules(&a), vec![RuleId::BroadManagedPolicy]);
}

#[tokio::test]
async fn the_same_event_always_gives_the_same_bytes() {
    let p = pipeline(MemoryResolver::default());
    let a = one_alert(&p, &sample("create-policy-service-wildcard.json")).await;
    let b = one_alert(&p, &sample("create-policy-service-wildcard.json")).await;
    assert_eq!(a.message, b.message);
    assert_eq!(a.subject, b.subject);
    assert_eq!(a.attributes, b.attributes);
}

#[tokio::test]
async fn suppressions_by_tag_rule_principal_and_severity() {
    // A `doorman:ignore` tag on the role silences the rules it lists.
    let mut r = MemoryResolver::default();
    r.role_tags.insert(
        "orders-processor-role".into(),
        vec![(
            "doorman:ignore".into(),
            "admin-access, privilege-escalation".into(),
        )],
    );
    let p = pipeline(r);
    let ev = p
        .handle(&sample("put-role-policy-admin.json"))
        .await
        .unwrap();
    assert!(
        ev.alert().is_none(),
        "{:?}",
        ev.alert().map(|a| a.subject.clone())
    );

    // Ignored principals (break-glass roles) match the session issuer too.
    let settings = Settings {
        suppressions: Suppressions {
            ignore_principals: vec![
                "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Administrator*"
                    .into(),
                "arn:aws:iam::111122223333:user/mallory".into(),
            ],
            ..Suppressions::default()
        },
        guarded: Guarded::default(),
        ..Settings::default()
    };
    let p = Pipeline::new(
        MemoryResolver::default(),
        MemoryNotifier::new(),
        settings.clone(),
    );
    let ev = p
        .handle(&sample("attach-role-policy-admin.json"))
        .await
        .unwrap();
    assert!(ev.alert().is_none());
    // ... but never for tampering with doorman itself.
    let ev = p.handle(&sample("stop-logging.json")).await.unwrap();
    assert_eq!(
        ev.alert().map(|a| a.body.findings[0].rule),
        Some(RuleId::GuardrailTampering)
    );

    let settings = Settings {
        suppressions: Suppressions {
            min_severity: Severity::Critical,
            ..Suppressions::default()
        },
        guarded: Guarded::default(),
        ..Settings::default()
    };
    let p = Pipeline::new(MemoryResolver::default(), MemoryNotifier::new(), settings);
    assert!(p
        .handle(&sample("add-layer-version-permission-public.json"))
        .await
        .unwrap()
        .alert()
        .is_none());
    assert!(p
        .handle(&sample("add-permission-public.json"))
        .await
        .unwrap()
        .alert()
        .is_some());
}

#[tokio::test]
async fn tampering_with_doormans_own_resources_is_critical() {
    let topic = "arn:aws:sns:us-east-1:111122223333:doorman-alerts";
    let settings = Settings {
        suppressions: Suppressions {
            ignore_principals: vec!["arn:aws:iam::111122223333:user/*".into()],
            ..Suppressions::default()
        },
        guarded: Guarded {
            function_name: Some("doorman".into()),
            change_rule_name: Some("doorman-changes".into()),
            tamper_rule_name: Some("doorman-tamper".into()),
            topic_arn: Some(topic.into()),
            trail_name: None,
        },
        ..Settings::default()
    };
    let p = Pipeline::new(MemoryResolver::default(), MemoryNotifier::new(), settings);
    let mut event = sample("stop-logging.json");
    event["detail"]["eventSource"] = json!("sns.amazonaws.com");
    event["detail"]["eventName"] = json!("DeleteTopic");
    event["detail"]["requestParameters"] = json!({"topicArn": topic});
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering]);
    assert_eq!(
        alert.subject,
        "[doorman] CRITICAL guardrail-tampering on doorman-alerts"
    );

    event["detail"]["eventSource"] = json!("lambda.amazonaws.com");
    event["detail"]["eventName"] = json!("PutFunctionConcurrency20171031");
    event["detail"]["requestParameters"] =
        json!({"functionName": "doorman", "reservedConcurrentExecutions": 0});
    let alert = one_alert(&p, &event).await;
    assert!(alert.body.findings[0]
        .message
        .contains("reserved concurrency to 0"));

    // Another function's concurrency is none of doorman's business.
    event["detail"]["requestParameters"] =
        json!({"functionName": "orders", "reservedConcurrentExecutions": 0});
    assert!(p.handle(&event).await.unwrap().alert().is_none());

    // Nor is deleting another rule.
    assert!(p
        .handle(&sample("delete-rule-unrelated-benign.json"))
        .await
        .unwrap()
        .alert()
        .is_none());
}

#[tokio::test]
async fn control_characters_from_the_event_never_reach_the_email() {
    let event = with_request(
        sample("put-role-policy-admin.json"),
        "policyName",
        json!("evil\r\nBcc: victim@example.com\u{202e}"),
    );
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &event).await;
    assert!(!alert.text.contains("\r\nBcc"));
    assert!(!alert.text.contains('\u{202e}'));
    assert!(alert
        .text
        .contains("evil\\u{d}\\u{a}Bcc: victim@example.com\\u{202e}"));
}

/// A notifier whose topic is unreachable.
struct FailingNotifier;

impl doorman::notify::Notifier for FailingNotifier {
    async fn publish(
        &self,
        alert: &doorman::alert::Alert,
    ) -> Result<(), doorman::notify::NotifyError> {
        Err(doorman::notify::NotifyError {
            event_id: alert.event_id().to_string(),
            reason: "ServiceUnavailable".into(),
        })
    }
}

#[tokio::test]
async fn a_publish_failure_fails_the_invocation_so_lambda_retries() {
    let p = Pipeline::new(
        MemoryResolver::default(),
        FailingNotifier,
        Settings::default(),
    );
    let err = p
        .handle(&sample("attach-role-policy-admin.json"))
        .await
        .unwrap_err();
    assert!(matches!(err, HandlerError::Notify(_)));
    assert_eq!(
        err.to_string(),
        "could not publish the alert for event `bd70b9ea-ce1a-5a7c-8ed9-893c466c7586`: ServiceUnavailable"
    );
    // Nothing to publish, nothing to fail.
    assert!(p
        .handle(&sample("put-role-policy-benign.json"))
        .await
        .is_ok());
}
