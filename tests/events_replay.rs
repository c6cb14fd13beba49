//! Every sample in `events/` has its expected alert under test: the risky
//! ones alert (snapshot of the text and of the JSON that SNS would carry),
//! the benign ones publish nothing. Replay is offline, so the samples whose
//! verdict needs AWS (a role's policies) are listed with what they show
//! offline; `tests/handler.rs` covers them with a resolver.

use doorman::cli::replay::{read_inputs, replay, text};
use doorman::pipeline::{Settings, Verdict};
use std::path::{Path, PathBuf};

/// Samples that publish nothing offline although they are not benign: their
/// verdict needs the role or policy version fetched from IAM.
const NEEDS_AWS: &[&str] = &[
    "create-event-source-mapping-sqs.json",
    "create-event-source-mapping-benign.json",
    "set-default-policy-version.json",
    "detach-role-policy-logs.json",
    "delete-role-policy-logs.json",
    "add-user-to-group-admins.json",
    "update-event-source-mapping-sqs.json",
];

/// Samples that are not changes doorman alerts on. Every `tamper-*` sample
/// is a call on doorman's own resources, and alerts (a failed one at low).
fn is_quiet(name: &str) -> bool {
    !name.starts_with("tamper-")
        && (name.contains("benign") || name.contains("access-denied") || NEEDS_AWS.contains(&name))
}

/// The deployment a sample is replayed with: the `tamper-*` samples name
/// doorman's resources as a default deployment does (`events/README.md`:
/// stack `doorman`, account 123456789012, every trail doorman's), the
/// others are judged with nothing of doorman's named.
fn settings_for(name: &str) -> Settings {
    if !name.starts_with("tamper-") {
        return Settings::default();
    }
    let env = |k: &str| {
        let value = match k {
            "DOORMAN_ROLE_NAME" => "doorman-DoormanRole-Q1W2E3R4T5Y6",
            "AWS_LAMBDA_FUNCTION_NAME" => "doorman",
            "DOORMAN_KEY_ARN" => {
                "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
            }
            "DOORMAN_CHANGE_RULE_NAME" => "doorman-changes",
            "DOORMAN_TAMPER_RULE_NAME" => "doorman-tampering",
            "DOORMAN_TOPIC_ARN" => "arn:aws:sns:us-east-1:123456789012:doorman-alerts",
            "DOORMAN_QUEUE_ARN" => "arn:aws:sqs:us-east-1:123456789012:doorman-failures",
            "DOORMAN_LOG_GROUP" => "/aws/lambda/doorman",
            _ => return None,
        };
        Some(value.to_string())
    };
    Settings {
        guarded: doorman::config::guarded_from_lookup(env),
        ..Settings::default()
    }
}

fn samples() -> Vec<PathBuf> {
    let dir = Path::new("events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read `events/` (run from the crate root): {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 31, "the samples are missing: {files:?}");
    files
}

#[test]
fn every_sample_gives_its_expected_alert() {
    for path in samples() {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let results = replay(
            &read_inputs(std::slice::from_ref(&path)),
            settings_for(&name),
        );
        assert_eq!(results.len(), 1, "{name} holds one event");
        let evaluation = results[0]
            .evaluation
            .as_ref()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let alert = evaluation.alert();
        assert_eq!(
            alert.is_some(),
            !is_quiet(&name),
            "{name}: {:?}",
            alert.map(|a| &a.subject)
        );
        if let Verdict::Evaluated { input, .. } = &evaluation.verdict {
            assert!(
                input
                    .findings
                    .iter()
                    .all(|f| f.finding.rule != doorman::rules::RuleId::UnprocessableEvent),
                "{name} must be processable"
            );
        }
        insta::assert_snapshot!(format!("{name}.txt"), text(&results));
        if let Some(alert) = alert {
            let sent = serde_json::json!({
                "subject": alert.subject,
                "message_attributes": alert.attributes,
                "json": alert.body,
            });
            insta::assert_snapshot!(
                format!("{name}.alert"),
                serde_json::to_string_pretty(&sent).unwrap()
            );
        }
    }
}

#[test]
fn samples_are_eventbridge_cloudtrail_events_with_real_field_names() {
    for path in samples() {
        let name = path.file_name().unwrap().to_str().unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let record = if name.starts_with("raw-") {
            assert!(v.get("detail").is_none(), "{name} is a raw record");
            &v
        } else {
            assert_eq!(v["detail-type"], "AWS API Call via CloudTrail", "{name}");
            &v["detail"]
        };
        for field in [
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "requestID",
            "eventID",
            "eventType",
            "recipientAccountId",
        ] {
            assert!(record.get(field).is_some(), "{name} lacks `{field}`");
        }
        let source = record["eventSource"].as_str().unwrap();
        let event_name = record["eventName"].as_str().unwrap();
        if source == "lambda.amazonaws.com" {
            assert_ne!(
                doorman::event::strip_api_version(event_name),
                event_name,
                "{name}: CloudTrail writes Lambda names with their API version"
            );
        }
    }
}

/// The event names `template.yaml`'s EventBridge rules deliver: exact names
/// (`- TagRole`, `[StopLogging, DeleteTrail]`) and prefixes
/// (`- prefix: TagResource`), read from the rules' part of the template.
fn delivered_names() -> (Vec<String>, Vec<String>) {
    let template = std::fs::read_to_string("template.yaml").expect("template.yaml");
    let start = template.find("  ChangeRule:").expect("the change rule");
    let end = template.find("  ChangeRuleInvoke:").expect("the rules end");
    let (mut exact, mut prefixes) = (Vec::new(), Vec::new());
    for line in template[start..end].lines().map(str::trim) {
        if let Some(p) = line.strip_prefix("- prefix:") {
            prefixes.push(p.trim().to_string());
        } else if let Some(n) = line.strip_prefix("- ") {
            exact.push(n.trim().to_string());
        } else if let Some(list) = line.strip_prefix("eventName: [") {
            exact.extend(
                list.trim_end_matches(']')
                    .split(',')
                    .map(|n| n.trim().to_string()),
            );
        }
    }
    (exact, prefixes)
}

/// Every sample doorman judges reaches it: its name is in the template's
/// rules (so a new kind of event cannot be decoded here yet never delivered).
#[test]
fn every_judged_sample_is_delivered_by_the_template_rules() {
    let (exact, prefixes) = delivered_names();
    for path in samples() {
        let name = path.file_name().unwrap().to_str().unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let record = if name.starts_with("raw-") {
            &v
        } else {
            &v["detail"]
        };
        if !matches!(
            doorman::event::decode(&v),
            Ok(doorman::event::Decoded::Change(_))
        ) {
            continue; // failed calls and names doorman does not judge
        }
        let event_name = record["eventName"].as_str().unwrap();
        let delivered = exact.iter().any(|n| n == event_name)
            || prefixes.iter().any(|p| event_name.starts_with(p.as_str()));
        assert!(
            delivered,
            "{name}: `{event_name}` is in neither rule of template.yaml"
        );
    }
    assert!(exact.iter().any(|n| n == "TagRole"));
    assert!(prefixes.iter().any(|p| p == "TagResource"));
}

/// Every call issue 11 (point 1) and SPEC §3.5 name as a way to blind doorman
/// has a successful `tamper-*` sample that a default deployment alerts as
/// critical `guardrail-tampering` naming doorman's resource. With
/// `tests/e2e/template_rules.rs` (each sample reaches the tamper rule, and
/// its input transformer renders each one), this is what proves every door
/// of doorman is watched on both alert paths.
#[test]
fn every_tamper_call_of_the_issue_has_a_sample_alerted_as_critical() {
    const CALLS: &[(&str, &[&str])] = &[
        (
            "iam",
            &[
                "PutRolePolicy",
                "DeleteRolePolicy",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "UpdateAssumeRolePolicy",
                "PutRolePermissionsBoundary",
                "DeleteRole",
            ],
        ),
        (
            "kms",
            &[
                "DisableKey",
                "ScheduleKeyDeletion",
                "PutKeyPolicy",
                "RevokeGrant",
            ],
        ),
        (
            "events",
            &[
                "DisableRule",
                "DeleteRule",
                "PutRule",
                "RemoveTargets",
                "PutTargets",
            ],
        ),
        (
            "lambda",
            &[
                "DeleteFunction",
                "PutFunctionConcurrency",
                "RemovePermission",
                "PutFunctionEventInvokeConfig",
                "UpdateFunctionEventInvokeConfig",
                "UpdateFunctionConfiguration",
            ],
        ),
        (
            "sns",
            &[
                "SetTopicAttributes",
                "Unsubscribe",
                "DeleteTopic",
                "RemovePermission",
            ],
        ),
        ("sqs", &["SetQueueAttributes", "PurgeQueue", "DeleteQueue"]),
        ("logs", &["DeleteLogGroup"]),
        (
            "cloudtrail",
            &[
                "StopLogging",
                "DeleteTrail",
                "UpdateTrail",
                "PutEventSelectors",
            ],
        ),
    ];
    let mut samples_by_call = std::collections::BTreeMap::new();
    for path in samples() {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !name.starts_with("tamper-") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if v["detail"].get("errorCode").is_some() {
            continue;
        }
        let source = v["detail"]["eventSource"].as_str().unwrap_or("");
        let service = source.trim_end_matches(".amazonaws.com").to_string();
        let call =
            doorman::event::strip_api_version(v["detail"]["eventName"].as_str().unwrap_or(""))
                .to_string();
        samples_by_call
            .entry((service, call))
            .or_insert_with(Vec::new)
            .push((name, path));
    }
    let mut checked = 0;
    for (service, calls) in CALLS {
        for call in *calls {
            let found = samples_by_call
                .get(&(service.to_string(), call.to_string()))
                .unwrap_or_else(|| panic!("no successful tamper-* sample of {service} {call}"));
            for (name, path) in found {
                let results = replay(&read_inputs(std::slice::from_ref(path)), settings_for(name));
                let evaluation = results[0]
                    .evaluation
                    .as_ref()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let alert = evaluation
                    .alert()
                    .unwrap_or_else(|| panic!("{name}: no alert"));
                let tamper = alert
                    .body
                    .findings
                    .iter()
                    .find(|f| f.rule == doorman::rules::RuleId::GuardrailTampering)
                    .unwrap_or_else(|| panic!("{name}: no guardrail-tampering"));
                assert_eq!(
                    tamper.severity,
                    doorman::rules::Severity::Critical,
                    "{name}"
                );
                assert!(
                    tamper.message.contains("doorman's") || tamper.message.contains("trail"),
                    "{name}: {}",
                    tamper.message
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 34, "{checked}");
}
