//! `doorman audit` end to end (issue 12): a small account created through
//! the emulator's API with the real SDK, then audited four ways: by the real
//! `doorman` binary, collected with the README's own AWS CLI script (section
//! "Audit an account", run as it is printed) and audited offline; audited
//! live (`--live`, the SDK); `--collect DIR` then `audit DIR`; and by the
//! real `doorman-lambda` on its schedule (the report it stores in the
//! bucket). All four must report exactly the expected findings, the same
//! ones. The same binary then calls a change to that bucket tampering.
//!
//! Layers across accounts, both sides: a function of this account runs a
//! layer that a partner account published (`cross-account-layer`; moto
//! resolves the foreign ARN in the partner's account only through
//! tests/e2e/moto_server.py, as AWS does), and this account shares its own
//! layers through their version policies (`AddLayerVersionPermission`,
//! `GetLayerVersionPolicy`): one with every account (`public-layer`) and one
//! with a single named account (no finding), run by one of its functions
//! (no `cross-account-layer`).
//!
//! Needs the AWS CLI in target/awscli-venv (scripts/test installs it: a
//! venv of its own, so its botocore pin cannot fight moto's or SAM's).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{LayerVersionContentInput, Runtime};

use crate::aws::{self, Aws, ACCESS_KEY_ID, ACCOUNT, REGION, SECRET_ACCESS_KEY};
use crate::events;
use crate::runtime::Outcome;
use crate::setup::{self, Stack};

/// The scheduled audit's report bucket in the emulator.
const BUCKET: &str = "doorman-reports-e2e-audit";

/// Publishes layer `name` (version 1) and grants `lambda:GetLayerVersion`
/// on it to `principal` (an account's root ARN, or `*`); returns the layer
/// version ARN.
async fn shared_layer(aws: &Aws, name: &str, principal: &str) -> String {
    let arn = aws
        .lambda
        .publish_layer_version()
        .layer_name(name)
        .content(
            LayerVersionContentInput::builder()
                .zip_file(Blob::new(setup::EMPTY_ZIP.to_vec()))
                .build(),
        )
        .compatible_runtimes(Runtime::Python312)
        .send()
        .await
        .unwrap_or_else(|e| panic!("publish layer `{name}`: {e:?}"))
        .layer_version_arn
        .expect("layer version arn");
    aws.lambda
        .add_layer_version_permission()
        .layer_name(name)
        .version_number(1)
        .statement_id("share")
        .action("lambda:GetLayerVersion")
        .principal(principal)
        .send()
        .await
        .unwrap_or_else(|e| panic!("add layer version permission to `{name}`: {e:?}"));
    arn
}

fn aws_cli() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/awscli-venv/bin/aws")
}

/// The collect script exactly as README "Audit an account" prints it.
fn readme_collect_script() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find("```sh\n#!/usr/bin/env bash\n# Writes what `doorman audit` reads")
        .expect("the collect script in README \"Audit an account\"");
    let body = &readme[start + "```sh\n".len()..];
    body[..body.find("```").expect("end of the script")].to_string()
}

async fn role_with_trust(aws: &Aws, name: &str, trust: &Value, boundary: Option<&str>) -> String {
    aws.iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .set_permissions_boundary(boundary.map(str::to_string))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create role `{name}`: {e:?}"))
        .role
        .expect("role")
        .arn
}

/// The partner account that publishes a layer this account's function runs.
const PARTNER: &str = "210987654321";

const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

#[tokio::test]
async fn live_collected_and_cli_collected_audits_get_exactly_the_expected_findings() {
    let cli = aws_cli();
    assert!(
        cli.is_file(),
        "{} is missing: run scripts/test, which installs the AWS CLI for this test",
        cli.display()
    );
    // The emulator and a warm `doorman-lambda` with the scheduled audit on.
    let mut stack =
        Stack::start_with("audit", &[("DOORMAN_REPORT_BUCKET", BUCKET.to_string())], 1).await;
    let aws = stack.aws.clone();
    let endpoint = stack.moto.endpoint();
    let s3 = aws::s3(&endpoint);
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bucket: {e:?}"));

    // The account: roles with and without logs, a shared role, a public
    // function policy, a URL with auth NONE, an SQS mapping without polling
    // permissions, an unused Lambda role, a boundary that caps an admin.
    let orders = setup::create_role(&aws, "orders-role", &[]).await;
    setup::attach_role_policy(&aws, "orders-role", BASIC).await;
    setup::put_role_policy(
        &aws,
        "orders-role",
        "orders-table",
        &setup::read_one_table_document(),
    )
    .await;
    let report = setup::create_role(&aws, "report-role", &[]).await;
    setup::put_role_policy(
        &aws,
        "report-role",
        "orders-table",
        &setup::read_one_table_document(),
    )
    .await;
    let billing = setup::create_role(&aws, "billing-role", &[]).await;
    setup::attach_role_policy(&aws, "billing-role", BASIC).await;
    let worker = setup::create_role(&aws, "queue-worker-role", &[]).await;
    setup::attach_role_policy(&aws, "queue-worker-role", BASIC).await;
    let old = setup::create_role(&aws, "old-report-role", &[]).await;
    setup::attach_role_policy(&aws, "old-report-role", BASIC).await;
    let s3_only = setup::create_policy(
        &aws,
        "s3-only-boundary",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
    )
    .await;
    let ec2_trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let bounded = role_with_trust(&aws, "bounded-admin", &ec2_trust, Some(&s3_only)).await;
    setup::attach_role_policy(
        &aws,
        "bounded-admin",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    )
    .await;

    let f_orders = setup::create_function(&aws, "orders", &orders).await;
    let f_report = setup::create_function(&aws, "report", &report).await;
    let f_api = setup::create_function(&aws, "billing-api", &billing).await;
    setup::create_function(&aws, "billing-worker", &billing).await;
    let f_worker = setup::create_function(&aws, "queue-worker", &worker).await;
    let f_hook = setup::create_function(&aws, "public-hook", &orders).await;
    setup::add_permission(&aws, "public-hook", "anyone", "*").await;
    aws.lambda
        .create_function_url_config()
        .function_name("public-hook")
        .auth_type(aws_sdk_lambda::types::FunctionUrlAuthType::None)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create function URL: {e:?}"));
    let queue = aws
        .sqs
        .create_queue()
        .queue_name("orders-queue")
        .send()
        .await
        .unwrap_or_else(|e| panic!("create queue: {e:?}"));
    let _ = queue;
    let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:orders-queue");
    // Layers shared across accounts: with everyone, and with one partner
    // account; a function of this account runs the first.
    let public_layer = shared_layer(&aws, "shared-utils", "*").await;
    let partner_layer = shared_layer(
        &aws,
        "partner-utils",
        &format!("arn:aws:iam::{PARTNER}:root"),
    )
    .await;
    let f_reports =
        setup::create_function_with_layers(&aws, "reports-api", &orders, &[&public_layer]).await;
    // A layer the partner account published, run by a function of this one.
    let partner = crate::org::clients_in(&endpoint, PARTNER).await;
    let foreign_layer = shared_layer(
        &partner,
        "partner-plugin",
        &format!("arn:aws:iam::{ACCOUNT}:root"),
    )
    .await;
    let f_plugin =
        setup::create_function_with_layers(&aws, "plugin-host", &orders, &[&foreign_layer]).await;
    aws.lambda
        .create_event_source_mapping()
        .function_name("queue-worker")
        .event_source_arn(&queue_arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create event source mapping: {e:?}"));

    // Collect with the README's script and the real AWS CLI.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-audit");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("collect.sh");
    std::fs::write(&script, readme_collect_script()).unwrap();
    let out = dir.join("account");
    let path = format!(
        "{}:{}",
        cli.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let collect = Command::new("bash")
        .arg(&script)
        .env("PATH", path)
        .env("OUT", &out)
        .env("REGIONS", REGION)
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run the collect script");
    assert!(
        collect.status.success(),
        "the README's collect script failed: {}",
        String::from_utf8_lossy(&collect.stderr)
    );

    // Audit what it collected.
    let audit = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["audit", "--format", "json"])
        .arg(&out)
        .output()
        .expect("run doorman audit");
    assert_eq!(
        audit.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    let report_json: Value = serde_json::from_slice(&audit.stdout).expect("JSON report");
    assert_eq!(report_json["lambda_inventory"], true);
    assert!(
        report_json["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["error"].is_null()),
        "{report_json:#}"
    );
    let pairs: BTreeSet<(String, String)> = report_json["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["findings"].as_array().unwrap().iter().map(move |f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    r["source"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    let lambda_rules = [
        "missing-logs",
        "shared-execution-role",
        "role-not-lambda-trusted",
        "event-source-missing-permissions",
        "unused-execution-role",
        "public-invoke",
        "public-function-url",
        "cross-account-layer",
        "public-layer",
        "admin-access",
        "privilege-escalation",
        "broad-managed-policy",
    ];
    let got: BTreeSet<(String, String)> = pairs
        .iter()
        .filter(|(r, _)| lambda_rules.contains(&r.as_str()))
        .cloned()
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("missing-logs", f_report.clone()),
        ("shared-execution-role", billing.clone()),
        ("shared-execution-role", orders.clone()),
        ("event-source-missing-permissions", f_worker.clone()),
        ("unused-execution-role", old.clone()),
        ("public-invoke", f_hook.clone()),
        ("public-function-url", f_hook.clone()),
        ("public-layer", public_layer.clone()),
        ("cross-account-layer", f_plugin.clone()),
    ]
    .into_iter()
    .map(|(r, s)| (r.to_string(), s))
    .collect();
    assert_eq!(got, want, "{report_json:#}");
    // The capped administrator is judged as what the boundary leaves: S3.
    assert!(pairs.contains(&("service-wildcard".to_string(), bounded.clone())));
    // Live, and collected by doorman: the same findings, word for word.
    let mut live = Command::new(env!("CARGO_BIN_EXE_doorman"));
    live.args(["audit", "--format", "json", "--live"]);
    aws::sdk_env(&mut live, &endpoint);
    let live = live.output().expect("run doorman audit --live");
    assert_eq!(
        live.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let live: Value = serde_json::from_slice(&live.stdout).expect("JSON report");
    assert_eq!(
        triples(&live),
        triples(&report_json),
        "live audit differs from the CLI-collected one"
    );

    let own = dir.join("collected-by-doorman");
    let mut collect = Command::new(env!("CARGO_BIN_EXE_doorman"));
    collect
        .args(["audit", "--format", "json", "--collect"])
        .arg(&own);
    aws::sdk_env(&mut collect, &endpoint);
    let collected = collect.output().expect("run doorman audit --collect");
    assert_eq!(collected.status.code(), Some(1));
    let offline = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["audit", "--format", "json"])
        .arg(&own)
        .output()
        .expect("run doorman audit DIR");
    let offline: Value = serde_json::from_slice(&offline.stdout).expect("JSON report");
    let collected: Value = serde_json::from_slice(&collected.stdout).expect("JSON report");
    assert_eq!(
        triples(&offline),
        triples(&live),
        "audit of --collect's folder differs from --live"
    );
    assert_eq!(
        offline, collected,
        "--collect then audit reports what --collect printed"
    );
    for file in [
        "iam/authorization-details.json",
        "lambda/us-east-1/functions.json",
        "lambda/us-east-1/event-source-mappings.json",
        "lambda/us-east-1/policies/public-hook.json",
        "lambda/us-east-1/urls/public-hook.json",
        "lambda/us-east-1/layers/shared-utils-1.json",
        "lambda/us-east-1/layers/partner-utils-1.json",
    ] {
        assert!(own.join(file).is_file(), "--collect wrote no {file}");
    }

    // Nothing at all on the good function, and on the roles' own scoped grants.
    // Nor on a layer shared with one named account, or on a function that
    // runs this account's own (public) layer.
    for clean in [
        &f_orders,
        &f_api,
        &report,
        &worker,
        &partner_layer,
        &f_reports,
    ] {
        assert!(
            !pairs.iter().any(|(_, s)| s == clean),
            "{clean}: {report_json:#}"
        );
    }

    // The scheduled audit in the Lambda: the report it stores is the live
    // audit's, finding for finding, the shared layer's included.
    let time = "2026-11-30T06:00:00Z";
    let outcome = stack
        .function
        .invoke(&events::scheduled(
            &format!("e2e-audit-schedule-{time}"),
            time,
        ))
        .await;
    let response: Value = match outcome {
        Outcome::Response(body) => serde_json::from_str(&body).expect("JSON response"),
        Outcome::Error { error_type, body } => panic!(
            "the scheduled audit failed ({error_type:?}): {body}\nlambda log:\n{}",
            stack.function.log_tail()
        ),
    };
    assert_eq!(response["audit"]["previous"], Value::Null, "{response:#}");
    let stored = s3
        .get_object()
        .bucket(BUCKET)
        .key(format!("audit/{time}/report.json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("the scheduled audit's report is not in the bucket: {e:?}"))
        .body
        .collect()
        .await
        .expect("report body")
        .into_bytes();
    let stored: Value = serde_json::from_slice(&stored).expect("stored JSON report");
    assert_eq!(
        triples(&stored),
        triples(&live),
        "the scheduled audit's report differs from --live"
    );
    // Its digest (the baseline) lists both layer findings too.
    let digest = stack.alerts.expect(1).await;
    assert!(
        digest[0]
            .rules()
            .contains(&"cross-account-layer".to_string()),
        "{:#}",
        digest[0].message
    );
    assert!(
        digest[0].rules().contains(&"public-layer".to_string()),
        "{:#}",
        digest[0].message
    );

    // The report bucket is doorman's own: removing its public access block
    // (as CloudTrail records the call, through the audit tamper rule) is
    // tampering, told by the deployed binary from DOORMAN_REPORT_BUCKET.
    let host = format!("{BUCKET}.s3.{REGION}.amazonaws.com");
    stack
        .function
        .invoke_ok(&json!({
            "version": "0",
            "id": "e2e-audit-tamper",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.s3",
            "account": ACCOUNT,
            "time": "2026-11-30T07:25:17Z",
            "region": REGION,
            "resources": [],
            "detail": {
                "eventVersion": "1.09",
                "userIdentity": {
                    "type": "IAMUser",
                    "principalId": "AIDA4EXAMPLEMALLORY1",
                    "arn": format!("arn:aws:iam::{ACCOUNT}:user/mallory"),
                    "accountId": ACCOUNT,
                    "userName": "mallory"
                },
                "eventTime": "2026-11-30T07:25:17Z",
                "eventSource": "s3.amazonaws.com",
                "eventName": "DeleteBucketPublicAccessBlock",
                "awsRegion": REGION,
                "sourceIPAddress": "203.0.113.45",
                "userAgent": "[aws-cli/2.15.30]",
                "requestParameters": {"publicAccessBlock": "", "bucketName": BUCKET, "Host": host},
                "responseElements": null,
                "additionalEventData": {"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader", "bytesTransferredIn": 0, "bytesTransferredOut": 0},
                "requestID": "e2e-audit-tamper-request",
                "eventID": "e2e-audit-tamper-event",
                "readOnly": false,
                "resources": [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{BUCKET}")}],
                "eventType": "AwsApiCall",
                "managementEvent": true,
                "recipientAccountId": ACCOUNT,
                "eventCategory": "Management"
            }
        }))
        .await;
    let tamper = stack.alerts.expect(1).await;
    assert_eq!(tamper[0].rules(), vec!["guardrail-tampering".to_string()]);
    assert_eq!(tamper[0].attribute("severity"), "critical");
    assert_eq!(tamper[0].event_id(), "e2e-audit-tamper-event");
}

/// (source, rule, message) of every finding: what must not depend on where
/// the inventory came from.
fn triples(report: &Value) -> BTreeSet<(String, String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["findings"].as_array().unwrap().iter().map(move |f| {
                (
                    r["source"].as_str().unwrap().to_string(),
                    f["rule"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect()
}
