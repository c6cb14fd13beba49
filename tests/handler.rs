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

/// The `orders-processor` function of the mapping samples, running as
/// `orders-processor-role` with these inline and managed policies.
fn orders_processor(inline: &[(&str, &str)], managed: &[&str]) -> MemoryResolver {
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/orders-processor-role");
    let fn_arn = "arn:aws:lambda:eu-west-1:111122223333:function:orders-processor";
    MemoryResolver::default()
        .with_role(role("orders-processor-role", inline, managed))
        .with_function("orders-processor", fn_arn, &role_arn)
}

/// Handles `event` and checks it raises no alert (showing it if it does).
async fn no_alert(p: &Pipeline<MemoryResolver, MemoryNotifier>, event: &Value) {
    let ev = p.handle(event).await.expect("the invocation succeeds");
    assert!(ev.alert().is_none(), "{:?}", ev.alert().map(|a| &a.text));
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
    no_alert(&p, &sample("create-function-benign.json")).await;
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
    let p = pipeline(orders_processor(&[("orders", DYNAMO_ONLY)], &[BASIC]));
    let alert = one_alert(&p, &sample("create-event-source-mapping-sqs.json")).await;
    assert_eq!(rules(&alert), vec![RuleId::EventSourceMissingPermissions]);
    assert!(alert.body.findings[0]
        .message
        .contains("`sqs:ReceiveMessage`"));

    let p = pipeline(orders_processor(&[], &[SQS_EXEC]));
    no_alert(&p, &sample("create-event-source-mapping-sqs.json")).await;
}

#[tokio::test]
async fn a_dynamodb_stream_mapping_needs_the_stream_read_actions() {
    let p = pipeline(orders_processor(
        &[],
        &[
            BASIC,
            "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
        ],
    ));
    no_alert(&p, &sample("create-event-source-mapping-benign.json")).await;

    let p = pipeline(orders_processor(&[("orders", DYNAMO_ONLY)], &[BASIC]));
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
    event["detail"]["requestParameters"] = json!({"roleName": "r", "policyName": "p"});
    p.handle(&event).await.unwrap();
    let alerts = p.notifier.take();
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].body.findings[0]
        .message
        .ends_with("`PutRolePolicy` has no `requestParameters.policyDocument`"));
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
    no_alert(&p, &sample("put-role-policy-admin.json")).await;

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
    no_alert(&p, &sample("attach-role-policy-admin.json")).await;
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
            ..Guarded::default()
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
    no_alert(&p, &event).await;

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

// ---------------------------------------------------------------------------
// No alert lost to a filter the watched person controls (SPEC §3.5, §4, §5).
// ---------------------------------------------------------------------------

/// Every filter a deployment (or the watched person) can set, at once.
fn every_filter() -> Settings {
    Settings {
        suppressions: Suppressions {
            min_severity: Severity::Critical,
            ignore_rules: [
                RuleId::UnprocessableEvent,
                RuleId::SuppressionAdded,
                RuleId::GuardrailTampering,
            ]
            .into_iter()
            .collect(),
            ignore_principals: vec![
                "arn:aws:iam::*:user/*".into(),
                "arn:aws:sts::*:assumed-role/*".into(),
                "arn:aws:iam::*:role/*".into(),
            ],
        },
        guarded: Guarded::default(),
        ..Settings::default()
    }
}

#[tokio::test]
async fn unprocessable_events_pass_every_filter() {
    let mut r = MemoryResolver::default();
    r.role_tags.insert(
        "orders-processor-role".into(),
        vec![("doorman:ignore".into(), "unprocessable-event".into())],
    );
    let p = Pipeline::new(r, MemoryNotifier::new(), every_filter());
    // A document that is not JSON: decoded, but not judged.
    let event = with_request(
        sample("put-role-policy-admin.json"),
        "policyDocument",
        json!("{not json"),
    );
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert), vec![RuleId::UnprocessableEvent]);
    assert_eq!(alert.highest_severity(), Severity::Medium);
    // An event that cannot even be decoded.
    let mut event = sample("put-role-policy-admin.json");
    event["detail"]["requestParameters"] = json!("not an object");
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert), vec![RuleId::UnprocessableEvent]);
    // ... while the same filters do silence an ordinary finding.
    no_alert(&p, &sample("create-policy-service-wildcard.json")).await;
}

#[tokio::test]
async fn guardrail_tampering_passes_every_filter_including_ignored_rules() {
    let p = Pipeline::new(
        MemoryResolver::default(),
        MemoryNotifier::new(),
        every_filter(),
    );
    let alert = one_alert(&p, &sample("stop-logging.json")).await;
    assert_eq!(rules(&alert), vec![RuleId::GuardrailTampering]);
}

#[tokio::test]
async fn a_doorman_ignore_tag_on_a_role_is_suppression_added_through_every_filter() {
    let p = Pipeline::new(
        MemoryResolver::default(),
        MemoryNotifier::new(),
        every_filter(),
    );
    let alert = one_alert(&p, &sample("tag-role-suppression.json")).await;
    assert_eq!(rules(&alert), vec![RuleId::SuppressionAdded]);
    assert_eq!(alert.highest_severity(), Severity::High);
    assert_eq!(
        alert.subject,
        "[doorman] HIGH suppression-added on orders-processor-role"
    );
    let f = &alert.body.findings[0];
    // Who silenced which rules on what.
    assert_eq!(
        f.message,
        "`arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_PowerUser_0123456789abcdef/carol@example.com` set the tag `doorman:ignore` = `admin-access,privilege-escalation` on role `orders-processor-role`, asking doorman to silence `admin-access`, `privilege-escalation` for it"
    );
    // The role's own tag (already set) cannot hide the alert about setting it.
    let mut r = MemoryResolver::default();
    r.role_tags.insert(
        "orders-processor-role".into(),
        vec![("doorman:ignore".into(), "suppression-added".into())],
    );
    let p = pipeline(r);
    let alert = one_alert(&p, &sample("tag-role-suppression.json")).await;
    assert_eq!(rules(&alert), vec![RuleId::SuppressionAdded]);
}

#[tokio::test]
async fn tag_keys_are_compared_as_iam_compares_them() {
    let p = pipeline(MemoryResolver::default());
    for key in ["DOORMAN:IGNORE", "Doorman:Ignore", "doorman:ignore"] {
        let event = with_request(
            sample("tag-role-suppression.json"),
            "tags",
            json!([{"key": key, "value": "admin-access"}]),
        );
        let alert = one_alert(&p, &event).await;
        assert_eq!(rules(&alert), vec![RuleId::SuppressionAdded], "{key}");
        assert!(alert.body.findings[0]
            .message
            .contains(&format!("set the tag `{key}` = `admin-access`")));
    }
    // And what silences is the same key, whatever its case.
    let mut r = MemoryResolver::default();
    r.role_tags.insert(
        "orders-processor-role".into(),
        vec![("DOORMAN:IGNORE".into(), "admin-access".into())],
    );
    no_alert(&pipeline(r), &sample("put-role-policy-admin.json")).await;
}

#[tokio::test]
async fn a_lambda_tag_resource_with_doorman_ignore_is_suppression_added() {
    let p = pipeline(MemoryResolver::default());
    let event = sample("tag-resource-function-suppression.json");
    assert_eq!(event["detail"]["eventName"], "TagResource20170331v2");
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert), vec![RuleId::SuppressionAdded]);
    assert_eq!(alert.body.subject.kind, "function");
    assert_eq!(
        alert.body.subject.arn.as_deref(),
        Some("arn:aws:lambda:eu-west-1:111122223333:function:orders-processor")
    );
    assert!(alert.body.findings[0]
        .message
        .contains("asking doorman to silence `public-invoke`, `public-function-url` for it"));
    // Another Lambda resource type is named by its type.
    let event = with_request(
        event,
        "resource",
        json!("arn:aws:lambda:eu-west-1:111122223333:event-source-mapping:a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"),
    );
    let alert = one_alert(&p, &event).await;
    assert_eq!(alert.body.subject.kind, "event-source-mapping");
}

#[tokio::test]
async fn tag_calls_that_do_not_touch_doorman_ignore_publish_nothing() {
    let p = pipeline(MemoryResolver::default());
    for name in ["tag-role-benign.json", "tag-resource-function-benign.json"] {
        let ev = p.handle(&sample(name)).await.unwrap();
        match &ev.verdict {
            Verdict::Ignored { reason } => {
                assert!(reason.contains("sets no `doorman:ignore` tag"), "{reason}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(p.notifier.alerts().is_empty());
}

#[tokio::test]
async fn a_tag_call_without_its_tags_is_unprocessable() {
    let p = pipeline(MemoryResolver::default());
    let mut event = sample("tag-role-suppression.json");
    event["detail"]["requestParameters"] = json!({"roleName": "orders-processor-role"});
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert), vec![RuleId::UnprocessableEvent]);
    assert!(alert.body.findings[0]
        .message
        .ends_with("`TagRole` has no `requestParameters.tags`"));
    let event = with_request(sample("tag-role-suppression.json"), "tags", json!(7));
    let alert = one_alert(&p, &event).await;
    assert!(alert.body.findings[0]
        .message
        .ends_with("`TagRole`: `tags` is a JSON number, not a list of tags"));
}

#[tokio::test]
async fn a_role_created_with_a_doorman_ignore_tag_is_reported_though_the_tag_hides_its_findings() {
    // CreateRole carries the tag; by the time doorman reads the role's tags
    // (AWS resolver), the new role already has it.
    let mut event = sample("create-role-trust-anyone.json");
    event["detail"]["requestParameters"]["tags"] =
        json!([{"key": "doorman:ignore", "value": "trust-any-principal"}]);
    let mut r = MemoryResolver::default();
    r.role_tags.insert(
        "partner-reporting".into(),
        vec![("doorman:ignore".into(), "trust-any-principal".into())],
    );
    let p = pipeline(r);
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert), vec![RuleId::SuppressionAdded]);
    assert!(alert.body.findings[0]
        .message
        .contains("on role `partner-reporting`, asking doorman to silence `trust-any-principal`"));
}

#[tokio::test]
async fn a_trust_anyone_document_without_a_role_name_is_still_trust_any_principal() {
    let mut event = sample("create-role-trust-anyone.json");
    let document = event["detail"]["requestParameters"]["assumeRolePolicyDocument"].clone();
    event["detail"]["eventName"] = json!("UpdateAssumeRolePolicy");
    event["detail"]["requestParameters"] = json!({ "policyDocument": document });
    event["detail"]["responseElements"] = Value::Null;
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert)[0], RuleId::TrustAnyPrincipal);
    assert_eq!(alert.highest_severity(), Severity::Critical);
    assert_eq!(alert.body.subject.kind, "role");
    assert_eq!(alert.body.subject.name, "");
    assert_eq!(
        alert.subject,
        "[doorman] CRITICAL trust-any-principal on unknown role"
    );
    assert_eq!(
        alert.body.change,
        "replaced the trust policy of a role the event does not name"
    );
    assert!(alert
        .text
        .contains("in a change to a role the event does not name."));
    // A role name of the wrong type is the same as none.
    event["detail"]["requestParameters"]["roleName"] = json!({"oops": 1});
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert)[0], RuleId::TrustAnyPrincipal);
}

#[tokio::test]
async fn fields_only_the_wording_needs_never_make_an_event_unprocessable() {
    let p = pipeline(MemoryResolver::default());
    let mut event = sample("put-role-policy-admin.json");
    event["detail"]["userAgent"] = json!({"name": "aws-cli", "version": 2});
    event["detail"]["eventTime"] = json!(1773479435);
    event["detail"]["sourceIPAddress"] = json!(["198.51.100.24"]);
    event["detail"]["awsRegion"] = Value::Null;
    event["time"] = json!(false);
    event["detail"]["requestParameters"]["policyName"] = json!(42);
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert)[0], RuleId::AdminAccess);
    assert_eq!(alert.body.event.time, "1773479435");
    assert!(
        alert.text.contains("From:    (unknown)\n"),
        "{}",
        alert.text
    );
    assert_eq!(
        alert.body.change,
        "put an inline policy on role `orders-processor-role`"
    );
    // A user or group name missing: judged, and named as unknown.
    let mut event = sample("put-role-policy-admin.json");
    event["detail"]["eventName"] = json!("PutUserPolicy");
    event["detail"]["requestParameters"]["roleName"] = Value::Null;
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert)[0], RuleId::AdminAccess);
    assert_eq!(
        alert.subject,
        "[doorman] CRITICAL admin-access on unknown user"
    );
    // What the rules judge is still required: no document, no judgement.
    let mut event = sample("put-role-policy-admin.json");
    event["detail"]["requestParameters"]["policyDocument"] = json!(["*"]);
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert), vec![RuleId::UnprocessableEvent]);
}

/// The size SNS counts: the message, the attributes, the subject.
fn sns_size(alert: &doorman::alert::Alert) -> usize {
    let attrs: usize = alert
        .attributes
        .iter()
        .map(|(k, a)| k.len() + a.data_type.len() + a.value.len())
        .sum();
    alert.message.len() + attrs + alert.subject.len()
}

#[tokio::test]
async fn huge_header_fields_never_push_out_the_most_severe_finding() {
    // Control characters grow the most when escaped, then JSON-escaped twice.
    let huge = |tag: &str| format!("{tag}{}", "\u{1}\u{2028}\"\\".repeat(10_000));
    // A critical finding, and hundreds of low ones after it.
    let mut statements = vec![json!({"Effect": "Allow", "Action": "*", "Resource": "*"})];
    statements.extend((0..400).map(|i| {
        json!({"Sid": format!("Mismatch{i}"), "Effect": "Allow", "Action": "s3:GetObject",
               "Resource": format!("arn:aws:dynamodb:us-east-1:111122223333:table/t{i}")})
    }));
    let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let mut event = sample("put-role-policy-admin.json");
    let d = &mut event["detail"];
    d["requestParameters"]["policyDocument"] = json!(doc);
    d["requestParameters"]["roleName"] = json!(huge("role"));
    d["requestParameters"]["policyName"] = json!(huge("policy"));
    d["userIdentity"]["arn"] = json!(huge("arn:aws:iam::111122223333:user/"));
    d["userAgent"] = json!(huge("agent"));
    d["sourceIPAddress"] = json!(huge("ip"));
    d["eventTime"] = json!(huge("time"));
    d["awsRegion"] = json!(huge("region"));
    d["recipientAccountId"] = json!(huge("account"));
    d["eventID"] = json!(huge("id"));

    let p = pipeline(MemoryResolver::default());
    let evaluation = p.evaluate(&event).await.unwrap();
    let Verdict::Evaluated { input, .. } = &evaluation.verdict else {
        panic!("{:?}", evaluation.verdict)
    };
    let critical = input
        .findings
        .iter()
        .find(|f| f.finding.severity == Severity::Critical)
        .expect("admin-access")
        .finding
        .clone();
    let alert = one_alert(&p, &event).await;
    assert!(sns_size(&alert) < SNS_MAX_BYTES, "{}", sns_size(&alert));
    assert!(alert.total_findings > 300, "{}", alert.total_findings);

    // Listed in full, first, in every MessageStructure version.
    assert_eq!(alert.body.findings[0].message, critical.message);
    assert_eq!(alert.body.findings[0].fix, critical.fix);
    let message: Value = serde_json::from_str(&alert.message).unwrap();
    for text in ["default", "email"] {
        let t = message[text].as_str().unwrap();
        assert!(t.contains(&critical.message), "{text}");
        assert!(t.contains(&format!("Fix: {}", critical.fix)), "{text}");
    }
    for json in ["sqs", "lambda", "https"] {
        let body: Value = serde_json::from_str(message[json].as_str().unwrap()).unwrap();
        assert_eq!(body["findings"][0]["rule"], "admin-access", "{json}");
        assert_eq!(body["findings"][0]["message"], critical.message, "{json}");
        assert_eq!(body["findings"][0]["fix"], critical.fix, "{json}");
        // Nothing silently dropped: what is not listed is counted.
        let listed = body["findings"].as_array().unwrap().len();
        let summarised = body["summarised"]["count"].as_u64().unwrap_or(0) as usize;
        assert_eq!(listed + summarised, alert.total_findings, "{json}");
        // The header was clipped first, and says so.
        assert_eq!(body["clipped_to_bytes"], 64, "{json}");
        assert!(body["event"]["actor"].as_str().unwrap().ends_with("..."));
    }
    assert!(alert
        .text
        .contains("(Values from the event longer than 64 bytes are clipped"));
    assert!(alert.body.summarised.is_some());
    assert!(alert
        .text
        .contains("more findings (summarised to fit SNS's 256 KB limit)"));
}

#[tokio::test]
async fn huge_header_fields_alone_are_clipped_and_every_finding_listed() {
    let huge = |tag: &str| format!("{tag}{}", "\u{1}".repeat(40_000));
    let mut event = sample("put-role-policy-admin.json");
    let d = &mut event["detail"];
    d["requestParameters"]["roleName"] = json!(huge("role"));
    d["userAgent"] = json!(huge("agent"));
    d["sourceIPAddress"] = json!(huge("ip"));
    d["userIdentity"]["arn"] = json!(huge("actor"));
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &event).await;
    assert!(sns_size(&alert) < SNS_MAX_BYTES);
    assert!(alert.body.summarised.is_none());
    assert_eq!(alert.body.findings.len(), alert.total_findings);
    assert!(alert.body.clipped_to_bytes.is_some());
    assert!(alert.body.subject.name.starts_with("role\\u{1}"));
}

#[tokio::test]
async fn invisible_and_line_breaking_characters_never_reach_the_alert() {
    let sneaky = [
        '\u{2028}',
        '\u{2029}',
        '\u{200B}',
        '\u{200C}',
        '\u{200D}',
        '\u{2060}',
        '\u{FEFF}',
        '\u{202E}',
        '\u{2066}',
        '\u{200E}',
        '\u{061C}',
        '\u{FFFE}',
        '\u{FFFF}',
        '\u{FDD0}',
        '\u{1FFFF}',
        '\u{E0041}',
        '\u{AD}',
        '\u{85}',
        '\u{1B}',
    ];
    let name: String = sneaky.iter().flat_map(|c| ['x', *c]).collect();
    let event = with_request(
        sample("put-role-policy-admin.json"),
        "roleName",
        json!(name),
    );
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &event).await;
    let message: Value = serde_json::from_str(&alert.message).unwrap();
    let versions = ["default", "email", "sqs", "lambda", "https"];
    for c in sneaky {
        assert!(!alert.text.contains(c), "U+{:04X} in the text", c as u32);
        assert!(
            !alert.subject.contains(c),
            "U+{:04X} in the subject",
            c as u32
        );
        assert!(
            !alert.message.contains(c),
            "U+{:04X} in the message",
            c as u32
        );
        for v in versions {
            assert!(
                !message[v].as_str().unwrap().contains(c),
                "U+{:04X} in {v}",
                c as u32
            );
        }
        // Shown, not hidden: escaped where the character was.
        assert!(
            alert.text.contains(&format!("x\\u{{{:x}}}", c as u32)),
            "U+{:04X} is not shown escaped",
            c as u32
        );
    }
    assert!(alert.subject.chars().all(|c| (' '..='~').contains(&c)));
}

#[tokio::test]
async fn a_public_function_url_without_a_function_name_is_still_reported() {
    let mut event = sample("create-function-url-config-public.json");
    let req = event["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap();
    req.remove("functionName");
    event["detail"]["responseElements"] = Value::Null;
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &event).await;
    assert_eq!(rules(&alert), vec![RuleId::PublicFunctionUrl]);
    assert_eq!(
        alert.subject,
        "[doorman] HIGH public-function-url on unknown function"
    );
}

#[tokio::test]
async fn a_suppression_set_by_an_event_that_cannot_be_judged_is_still_reported() {
    let mut event = sample("create-role-trust-anyone.json");
    event["detail"]["requestParameters"]["assumeRolePolicyDocument"] = json!("{not json");
    event["detail"]["requestParameters"]["tags"] =
        json!([{"key": "doorman:ignore", "value": "trust-any-principal"}]);
    let p = pipeline(MemoryResolver::default());
    let alert = one_alert(&p, &event).await;
    let mut got = rules(&alert);
    got.sort();
    assert_eq!(
        got,
        vec![RuleId::UnprocessableEvent, RuleId::SuppressionAdded]
    );
    assert_eq!(alert.highest_severity(), Severity::High);
}
