//! The daily reconcile end to end (issue 12 point 4 and 5): the real
//! `doorman-lambda` binary gets EventBridge's "Scheduled Event", audits the
//! emulator's account live, writes both reports to the report bucket and
//! publishes one digest: the baseline on the first run, nothing when
//! nothing changed, exactly the new finding after one change (a function
//! URL made public). The stored JSON report is the one `doorman audit
//! --live` prints for the same account.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::aws;
use crate::events;
use crate::runtime::Outcome;
use crate::setup::{self, Stack};

pub(crate) const BUCKET: &str = "doorman-reports-e2e";
const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

pub(crate) async fn object(s3: &aws_sdk_s3::Client, key: &str) -> (String, Option<String>) {
    let out = s3
        .get_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("report `{key}` not in the bucket: {e:?}"));
    let content_type = out.content_type().map(str::to_string);
    let bytes = out.body.collect().await.expect("object body").into_bytes();
    (
        String::from_utf8(bytes.to_vec()).expect("UTF-8"),
        content_type,
    )
}

async fn run(stack: &mut Stack, time: &str) -> (Value, Duration) {
    let started = Instant::now();
    let outcome = stack
        .function
        .invoke(&events::scheduled(&format!("e2e-schedule-{time}"), time))
        .await;
    let took = started.elapsed();
    match outcome {
        Outcome::Response(body) => (serde_json::from_str(&body).expect("JSON response"), took),
        Outcome::Error { error_type, body } => panic!(
            "the scheduled audit failed ({error_type:?}): {body}\nlambda log:\n{}",
            stack.function.log_tail()
        ),
    }
}

/// (source, rule, message) of every finding of a JSON report.
fn triples(report: &Value) -> BTreeSet<(String, String, String)> {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .flat_map(|r| {
            r["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .map(move |f| {
                    (
                        r["source"].as_str().unwrap_or_default().to_string(),
                        f["rule"].as_str().unwrap_or_default().to_string(),
                        f["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
        })
        .collect()
}

#[tokio::test]
async fn scheduled_audit_stores_reports_and_publishes_only_what_is_new() {
    let mut stack = Stack::start_with(
        "reconcile",
        &[("DOORMAN_REPORT_BUCKET", BUCKET.to_string())],
        1,
    )
    .await;
    let endpoint = stack.moto.endpoint();
    let s3 = aws::s3(&endpoint);
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bucket: {e:?}"));

    // A small account: a good function, one whose role cannot write its
    // logs, and a hook that will get a public URL between runs.
    let aws = stack.aws.clone();
    let orders = setup::create_role(&aws, "orders-role", &[]).await;
    setup::attach_role_policy(&aws, "orders-role", BASIC).await;
    setup::put_role_policy(
        &aws,
        "orders-role",
        "orders-table",
        &setup::read_one_table_document(),
    )
    .await;
    let report_role = setup::create_role(&aws, "report-role", &[]).await;
    let f_report = setup::create_function(&aws, "report", &report_role).await;
    let hook_role = setup::create_role(&aws, "hook-role", &[]).await;
    setup::attach_role_policy(&aws, "hook-role", BASIC).await;
    setup::create_function(&aws, "orders", &orders).await;
    let f_hook = setup::create_function(&aws, "public-hook", &hook_role).await;

    // First run: the baseline.
    let t1 = "2026-11-29T06:00:00Z";
    let (response, took) = run(&mut stack, t1).await;
    eprintln!("scheduled audit (baseline) of the e2e account: {took:?}");
    assert_eq!(response["audit"]["previous"], Value::Null, "{response:#}");
    let (json_text, ct) = object(&s3, &format!("audit/{t1}/report.json")).await;
    assert_eq!(ct.as_deref(), Some("application/json"));
    let (html, ct) = object(&s3, &format!("audit/{t1}/report.html")).await;
    assert!(ct.unwrap_or_default().starts_with("text/html"));
    assert!(
        html.contains("<html") && html.contains("report"),
        "{html:.200}"
    );
    let stored: Value = serde_json::from_str(&json_text).expect("stored JSON report");

    // The stored report is the live audit's, finding for finding.
    let live = aws::sdk_env(
        Command::new(env!("CARGO_BIN_EXE_doorman")).args(["audit", "--format", "json", "--live"]),
        &endpoint,
    )
    .output()
    .expect("run doorman audit --live");
    let live: Value = serde_json::from_slice(&live.stdout).unwrap_or_else(|e| {
        panic!(
            "doorman audit --live: {e}: {}",
            String::from_utf8_lossy(&live.stderr)
        )
    });
    assert_eq!(triples(&stored), triples(&live));
    let found = triples(&stored);
    assert!(
        found
            .iter()
            .any(|(s, r, _)| s == &f_report && r == "missing-logs"),
        "{stored:#}"
    );
    assert!(
        !found.iter().any(|(s, _, _)| s == &f_hook),
        "the hook has no finding yet: {stored:#}"
    );

    let baseline = stack.alerts.expect(1).await;
    let text = baseline[0].message["change"].as_str().unwrap_or_default();
    assert!(text.contains("BASELINE"), "{:#}", baseline[0].message);
    assert_eq!(baseline[0].attribute("event_name"), "ScheduledAudit");
    assert_eq!(baseline[0].event_id(), format!("e2e-schedule-{t1}"));

    // Second run, nothing changed: both reports, no alert.
    let t2 = "2026-11-30T06:00:00Z";
    let (response, _) = run(&mut stack, t2).await;
    assert_eq!(
        response["audit"]["previous"],
        format!("audit/{t1}/report.json"),
        "{response:#}"
    );
    assert_eq!(response["audit"]["new"], 0, "{response:#}");
    object(&s3, &format!("audit/{t2}/report.json")).await;
    object(&s3, &format!("audit/{t2}/report.html")).await;
    stack
        .assert_no_alert("a scheduled audit with nothing new")
        .await;

    // One change: the hook gets a URL anyone can call.
    aws.lambda
        .create_function_url_config()
        .function_name("public-hook")
        .auth_type(aws_sdk_lambda::types::FunctionUrlAuthType::None)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create function URL: {e:?}"));
    let t3 = "2026-12-01T06:00:00Z";
    let (response, _) = run(&mut stack, t3).await;
    assert_eq!(response["audit"]["new"], 1, "{response:#}");
    let digest = stack.alerts.expect(1).await;
    let findings = digest[0].message["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{:#}", digest[0].message);
    assert_eq!(findings[0]["rule"], "public-function-url");
    // A URL anyone can call, on a function with no public policy.
    assert_eq!(findings[0]["severity"], "high");
    assert!(
        findings[0]["document"]
            .as_str()
            .unwrap_or_default()
            .contains("function `public-hook`"),
        "{:#}",
        digest[0].message
    );
    assert_eq!(digest[0].rules(), vec!["public-function-url".to_string()]);
    stack.assert_no_alert("one digest per run").await;
}

#[tokio::test]
async fn without_a_report_bucket_a_scheduled_event_does_nothing() {
    // AuditSchedule empty: no bucket, no DOORMAN_REPORT_BUCKET. A scheduled
    // event (from a rule someone else made) is logged and ignored, and the
    // function keeps serving CloudTrail events.
    let mut stack = Stack::start("reconcile-off").await;
    let (response, _) = run(&mut stack, "2026-11-30T06:00:00Z").await;
    assert_eq!(response["audit"], Value::Null, "{response:#}");
    stack
        .assert_no_alert("a scheduled event without a report bucket")
        .await;
}
