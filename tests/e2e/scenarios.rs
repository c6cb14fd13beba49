//! The scenarios of issue 5: each creates its resources through the real
//! SDK in the emulator, performs the change for real, then delivers the
//! CloudTrail event of that change and reads what reached SQS.

use std::collections::BTreeSet;

use serde_json::json;

use crate::aws::{Alert, AlertQueue, ACCOUNT};
use crate::events::{self, event_id};
use crate::runtime::Outcome;
use crate::setup::{self, Stack};

const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const BASIC_EXECUTION: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/// The contract subscribers rely on (SPEC §5): attributes to filter on, the
/// JSON alert naming the event, actor and subject, a subject line SNS takes.
fn assert_alert_about(
    alert: &Alert,
    event: &serde_json::Value,
    subject_type: &str,
    subject_name: &str,
) {
    let id = event_id(event);
    assert_eq!(alert.event_id(), id, "event_id attribute");
    assert_eq!(alert.attribute("account"), ACCOUNT);
    let name = event["detail"]["eventName"].as_str().unwrap();
    // CloudTrail's API-version suffix is stripped (AddPermission20150331v2).
    let stripped = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == 'v');
    assert_eq!(alert.attribute("event_name"), stripped);

    let m = &alert.message;
    assert_eq!(m["version"], 1, "{m:#}");
    assert_eq!(m["event"]["id"], id);
    assert_eq!(m["event"]["name"], stripped);
    assert_eq!(m["event"]["account"], ACCOUNT);
    assert_eq!(m["event"]["region"], "us-east-1");
    assert_eq!(m["event"]["actor"], event["detail"]["userIdentity"]["arn"]);
    assert_eq!(m["event"]["source_ip"], "203.0.113.24");
    assert_eq!(m["subject"]["type"], subject_type, "{m:#}");
    assert_eq!(m["subject"]["name"], subject_name, "{m:#}");
    assert_eq!(m["highest_severity"], alert.severity());

    let rules: BTreeSet<String> = alert.rules().into_iter().collect();
    let in_findings: BTreeSet<String> = alert.findings().into_keys().collect();
    assert_eq!(rules, in_findings, "`rules` attribute vs findings");
    for finding in m["findings"].as_array().unwrap() {
        assert!(
            !finding["message"].as_str().unwrap().is_empty(),
            "{finding:#}"
        );
        assert!(!finding["fix"].as_str().unwrap().is_empty(), "{finding:#}");
    }

    let subject = alert.subject.as_deref().expect("SNS subject");
    assert!(subject.starts_with("[doorman] "), "{subject}");
    assert!(subject.len() <= 100 && subject.chars().all(|c| c.is_ascii_graphic() || c == ' '));
    assert!(
        subject.contains(&alert.severity().to_ascii_uppercase()),
        "subject `{subject}` lacks the highest severity"
    );
}

#[tokio::test]
async fn attaching_a_customer_policy_with_action_star_alerts_admin_access() {
    let mut s = Stack::start("attach-admin").await;
    setup::create_role(&s.aws, "orders-fn-role", &[]).await;
    let policy = setup::create_policy(&s.aws, "orders-everything", &setup::admin_document()).await;
    setup::attach_role_policy(&s.aws, "orders-fn-role", &policy).await;

    // The event names the policy only: its document must come from IAM.
    let event = events::attach_role_policy("orders-fn-role", &policy);
    s.function.invoke_ok(&event).await;

    let alert = &s.alerts.expect(1).await[0];
    assert_alert_about(alert, &event, "role", "orders-fn-role");
    assert_eq!(alert.severity(), "critical");
    assert_eq!(alert.attributes["severity"].0, "String");
    assert_eq!(alert.findings()["admin-access"], "critical");
    let admin = alert.message["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "admin-access")
        .unwrap();
    assert_eq!(
        admin["statement"],
        json!({ "index": 0, "sid": "Everything" })
    );
}

#[tokio::test]
async fn attaching_aws_administrator_access_alerts_broad_managed_policy() {
    let mut s = Stack::start("attach-managed").await;
    setup::create_role(&s.aws, "ci-deployer", &[]).await;
    setup::attach_role_policy(&s.aws, "ci-deployer", ADMINISTRATOR_ACCESS).await;

    let event = events::attach_role_policy("ci-deployer", ADMINISTRATOR_ACCESS);
    s.function.invoke_ok(&event).await;

    let alert = &s.alerts.expect(1).await[0];
    assert_alert_about(alert, &event, "role", "ci-deployer");
    assert_eq!(alert.findings()["broad-managed-policy"], "critical");
    assert_eq!(alert.severity(), "critical");
}

#[tokio::test]
async fn a_role_without_logs_alerts_missing_logs_and_a_second_function_shared_role() {
    let mut s = Stack::start("execution-role").await;
    let role = setup::create_role(&s.aws, "orders-reader", &[]).await;
    setup::put_role_policy(
        &s.aws,
        "orders-reader",
        "read-orders",
        &setup::read_one_table_document(),
    )
    .await;

    let function = setup::create_function(&s.aws, "orders-api", &role).await;
    let first = events::create_function("orders-api", &role);
    s.function.invoke_ok(&first).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_alert_about(alert, &first, "function", "orders-api");
    assert_eq!(alert.message["subject"]["arn"], function.as_str());
    assert_eq!(
        alert.findings().get("missing-logs").map(String::as_str),
        Some("medium")
    );
    assert!(
        !alert.has_rule("shared-execution-role"),
        "one function only: {alert:#?}"
    );

    setup::create_function(&s.aws, "orders-worker", &role).await;
    let second = events::create_function("orders-worker", &role);
    s.function.invoke_ok(&second).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_alert_about(alert, &second, "function", "orders-worker");
    assert_eq!(
        alert
            .findings()
            .get("shared-execution-role")
            .map(String::as_str),
        Some("medium")
    );
    assert!(alert.has_rule("missing-logs"));
    let shared = alert.message["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "shared-execution-role")
        .unwrap();
    let text = shared["message"].as_str().unwrap();
    assert!(
        text.contains("orders-api"),
        "the other function is named: {text}"
    );
}

#[tokio::test]
async fn rolling_back_to_an_old_admin_policy_version_alerts_admin_access() {
    let mut s = Stack::start("rollback").await;
    setup::create_role(&s.aws, "reports-role", &[]).await;
    // v1 was `*`; v2 (default) was the fix; the attacker sets v1 back.
    let policy = setup::create_policy(&s.aws, "reports-access", &setup::admin_document()).await;
    let fixed =
        setup::create_policy_version(&s.aws, &policy, &setup::read_one_table_document(), true)
            .await;
    assert_eq!(fixed, "v2");
    setup::attach_role_policy(&s.aws, "reports-role", &policy).await;
    setup::set_default_policy_version(&s.aws, &policy, "v1").await;

    let event = events::set_default_policy_version(&policy, "v1");
    s.function.invoke_ok(&event).await;

    let alert = &s.alerts.expect(1).await[0];
    assert_alert_about(alert, &event, "policy", "reports-access");
    assert_eq!(alert.findings()["admin-access"], "critical");
    let text = alert.message.to_string();
    assert!(
        text.contains("reports-role"),
        "the role holding the policy is named: {text}"
    );
}

#[tokio::test]
async fn a_public_invoke_permission_alerts_public_invoke() {
    let mut s = Stack::start("public-invoke").await;
    let role = setup::create_role(&s.aws, "webhook-role", &[]).await;
    setup::attach_role_policy(&s.aws, "webhook-role", BASIC_EXECUTION).await;
    setup::create_function(&s.aws, "webhook", &role).await;
    let statement = setup::add_permission(&s.aws, "webhook", "anyone", "*").await;

    let event = events::add_permission("webhook", "anyone", "*", &statement);
    s.function.invoke_ok(&event).await;

    let alert = &s.alerts.expect(1).await[0];
    assert_alert_about(alert, &event, "function", "webhook");
    assert_eq!(alert.findings()["public-invoke"], "critical");
    assert_eq!(alert.severity(), "critical");
}

/// `doorman:ignore=admin-access` on a role silences exactly that rule: the
/// same change on an untagged role is the control.
#[tokio::test]
async fn a_doorman_ignore_tag_silences_only_the_named_rule() {
    let mut s = Stack::start("ignore-tag").await;
    setup::create_role(&s.aws, "plain-role", &[]).await;
    setup::create_role(&s.aws, "break-glass", &[("doorman:ignore", "admin-access")]).await;
    let policy = setup::create_policy(&s.aws, "everything", &setup::admin_document()).await;
    setup::attach_role_policy(&s.aws, "plain-role", &policy).await;
    setup::attach_role_policy(&s.aws, "break-glass", &policy).await;

    let control = events::attach_role_policy("plain-role", &policy);
    s.function.invoke_ok(&control).await;
    let alert = &s.alerts.expect(1).await[0];
    assert!(alert.has_rule("admin-access"), "control: {alert:#?}");
    let mut expected: BTreeSet<String> = alert.rules().into_iter().collect();
    expected.remove("admin-access");

    let tagged = events::attach_role_policy("break-glass", &policy);
    s.function.invoke_ok(&tagged).await;
    let alerts = s.alerts.drain(std::time::Duration::from_secs(2)).await;
    if expected.is_empty() {
        assert!(alerts.is_empty(), "nothing left to alert: {alerts:#?}");
    } else {
        assert_eq!(alerts.len(), 1, "{alerts:#?}");
        assert_eq!(alerts[0].event_id(), event_id(&tagged));
        let rules: BTreeSet<String> = alerts[0].rules().into_iter().collect();
        assert_eq!(rules, expected, "every rule but the ignored one");
    }
}

/// Benign changes and failed calls publish nothing at all.
#[tokio::test]
async fn benign_changes_and_failed_calls_publish_nothing() {
    let mut s = Stack::start("benign").await;
    let role = setup::create_role(&s.aws, "orders-processor", &[]).await;
    setup::attach_role_policy(&s.aws, "orders-processor", BASIC_EXECUTION).await;
    setup::put_role_policy(
        &s.aws,
        "orders-processor",
        "read-orders",
        &setup::read_one_table_document(),
    )
    .await;
    setup::create_function(&s.aws, "orders-processor", &role).await;

    let attach = events::attach_role_policy("orders-processor", BASIC_EXECUTION);
    let inline = events::put_role_policy(
        "orders-processor",
        "read-orders",
        &setup::read_one_table_document(),
    );
    let create = events::create_function("orders-processor", &role);
    // Someone tried to attach AdministratorAccess and was denied.
    let mut denied = events::attach_role_policy("orders-processor", ADMINISTRATOR_ACCESS);
    denied["detail"]["errorCode"] = json!("AccessDenied");
    denied["detail"]["errorMessage"] = json!(
        "User: arn:aws:sts::123456789012:assumed-role/PlatformEngineer/alice is not authorized to perform: iam:AttachRolePolicy"
    );
    for event in [&attach, &inline, &create, &denied] {
        s.function.invoke_ok(event).await;
    }
    s.assert_no_alert("benign changes").await;
}

/// A policy that no longer exists is a permanent problem with the event: an
/// `unprocessable-event` alert naming it, and a successful invocation (a
/// retry would not help).
#[tokio::test]
async fn a_vanished_policy_is_an_unprocessable_event_not_a_failed_invocation() {
    let mut s = Stack::start("vanished").await;
    setup::create_role(&s.aws, "app-role", &[]).await;
    let gone = format!("arn:aws:iam::{ACCOUNT}:policy/deleted-since");
    let event = events::attach_role_policy("app-role", &gone);
    s.function.invoke_ok(&event).await;

    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(alert.event_id(), event_id(&event));
    assert_eq!(alert.findings()["unprocessable-event"], "medium");
    let text = alert.message.to_string();
    assert!(
        text.contains("deleted-since"),
        "the reason names the policy: {text}"
    );
}

/// The emulator dies while an invocation is waiting on it: the invocation
/// fails (so Lambda retries) and nothing is published. Once it is back
/// (empty: moto keeps state in memory, so the scenario is recreated), the
/// same event delivered again produces exactly one alert.
#[tokio::test]
async fn an_outage_fails_the_invocation_and_redelivery_alerts_exactly_once() {
    let mut s = Stack::start("outage").await;
    let setup_scenario = |aws: crate::aws::Aws| async move {
        setup::create_role(&aws, "payments-role", &[]).await;
        let policy = setup::create_policy(&aws, "payments-all", &setup::admin_document()).await;
        setup::attach_role_policy(&aws, "payments-role", &policy).await;
        policy
    };
    let policy = setup_scenario(s.aws.clone()).await;
    let event = events::attach_role_policy("payments-role", &policy);
    // Warm up the function's connections first, as in a live deployment.
    let warm = events::attach_role_policy("payments-role", BASIC_EXECUTION);
    s.function.invoke_ok(&warm).await;

    // Frozen, the emulator can answer nothing: the binary takes the event
    // and its first call hangs; then the emulator dies under it.
    s.moto.freeze().unwrap_or_else(|e| panic!("{e}"));
    let delivered = s.function.runtime.delivered();
    let mut pending = s.function.enqueue(&event);
    while s.function.runtime.delivered() == delivered {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    s.moto.stop();
    match s.function.wait(&mut pending).await {
        Outcome::Error { body, .. } => {
            assert!(
                body.contains(&event_id(&event)),
                "the error names the event: {body}"
            );
        }
        Outcome::Response(body) => panic!("invocation succeeded with the emulator down: {body}"),
    }

    s.moto.restart().unwrap_or_else(|e| panic!("{e}"));
    let alerts = AlertQueue::create(&s.aws, &s.name).await;
    assert_eq!(
        alerts.topic_arn, s.alerts.topic_arn,
        "same topic name → same ARN"
    );
    s.alerts = alerts;
    assert_eq!(setup_scenario(s.aws.clone()).await, policy);

    s.function.invoke_ok(&event).await;
    let got = s.alerts.expect(1).await;
    assert_eq!(got[0].event_id(), event_id(&event));
    assert!(got[0].has_rule("admin-access"));
    assert!(s.function.runtime.stray_answers().is_empty());
}

/// The deployment's settings arrive by environment and are honoured end to
/// end: below the minimum severity or on an ignored rule, nothing is sent.
#[tokio::test]
async fn minimum_severity_and_ignored_rules_from_the_environment() {
    let env = [
        ("DOORMAN_MIN_SEVERITY", "high".to_owned()),
        ("DOORMAN_IGNORE_RULES", "public-invoke".to_owned()),
    ];
    let mut s = Stack::start_with("settings", &env, 1).await;
    let role = setup::create_role(&s.aws, "svc-role", &[]).await;
    setup::put_role_policy(
        &s.aws,
        "svc-role",
        "read-orders",
        &setup::read_one_table_document(),
    )
    .await;
    setup::create_function(&s.aws, "svc", &role).await;
    let statement = setup::add_permission(&s.aws, "svc", "anyone", "*").await;

    // missing-logs is medium (below `high`); public-invoke is ignored.
    s.function
        .invoke_ok(&events::create_function("svc", &role))
        .await;
    s.function
        .invoke_ok(&events::add_permission("svc", "anyone", "*", &statement))
        .await;
    s.assert_no_alert("below the minimum severity or ignored")
        .await;

    let policy = setup::create_policy(&s.aws, "svc-all", &setup::admin_document()).await;
    setup::attach_role_policy(&s.aws, "svc-role", &policy).await;

    let admin = events::attach_role_policy("svc-role", &policy);
    s.function.invoke_ok(&admin).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(alert.event_id(), event_id(&admin));
    assert!(alert.has_rule("admin-access"));
}

/// A deployment without its topic fails at start, before it takes an
/// event, and says which variable is missing.
#[tokio::test]
async fn a_missing_topic_fails_at_start_naming_the_variable() {
    let mut function =
        crate::lambda::Function::start("no-topic", "http://127.0.0.1:9", &[], 1).await;
    let (status, log) = function.exit(std::time::Duration::from_secs(20)).await;
    assert!(!status.success(), "exit status {status}");
    assert!(
        log.contains("`DOORMAN_TOPIC_ARN` is not set"),
        "log:\n{log}"
    );
    assert_eq!(function.runtime.delivered(), 0, "no event may be taken");
}

/// Throttling doorman itself to zero is tampering, and a break-glass
/// principal cannot hide it (SPEC §3.5); the same call on another function
/// is nobody's business.
#[tokio::test]
async fn throttling_doorman_itself_alerts_guardrail_tampering() {
    let env = [(
        "DOORMAN_IGNORE_PRINCIPALS",
        "arn:aws:iam::123456789012:role/PlatformEngineer".to_owned(),
    )];
    let mut s = Stack::start_with("tampering", &env, 1).await;
    let other = events::put_function_concurrency("orders-api", 0);
    s.function.invoke_ok(&other).await;
    s.assert_no_alert("another function throttled").await;

    let own = events::put_function_concurrency(crate::runtime::FUNCTION_NAME, 0);
    s.function.invoke_ok(&own).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_alert_about(alert, &own, "function", crate::runtime::FUNCTION_NAME);
    assert_eq!(alert.findings()["guardrail-tampering"], "critical");
}

/// The README's self-test, as EventBridge delivers the `put-events` entry
/// of `scripts/selftest-tamper-event.json` to the real Lambda binary: a
/// labelled SELF-TEST alert at info reaches the topic through every filter;
/// the same critical call under any other source someone can send with
/// PutEvents is never judged (nothing published, the invocation succeeds).
#[tokio::test]
async fn the_self_test_is_labelled_and_a_forged_source_is_not_judged() {
    let env = [
        ("DOORMAN_MIN_SEVERITY", "critical".to_owned()),
        ("DOORMAN_IGNORE_RULES", "guardrail-tampering".to_owned()),
    ];
    let mut s = Stack::start_with("selftest", &env, 1).await;
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/selftest-tamper-event.json"),
    )
    .expect("scripts/selftest-tamper-event.json");
    let entries: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let detail: serde_json::Value =
        serde_json::from_str(entries[0]["Detail"].as_str().expect("Detail")).expect("JSON");
    let self_test = json!({
        "version": "0",
        "id": "7d1e6c1a-5b2f-4e3a-9c8d-1f2e3d4c5b6a",
        "detail-type": entries[0]["DetailType"],
        "source": entries[0]["Source"],
        "account": ACCOUNT,
        "time": "2026-11-30T00:00:05Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail
    });
    let mut forged = events::put_function_concurrency(crate::runtime::FUNCTION_NAME, 0);
    forged["source"] = json!("com.example.not-aws");
    s.function.invoke_ok(&forged).await;
    s.assert_no_alert("a forged source").await;

    s.function.invoke_ok(&self_test).await;
    let alert = &s.alerts.expect(1).await[0];
    let subject = alert.subject.as_deref().expect("SNS subject");
    assert!(subject.contains("SELF-TEST"), "{subject}");
    assert_eq!(alert.severity(), "info");
    assert_eq!(alert.findings()["guardrail-tampering"], "info");
}
