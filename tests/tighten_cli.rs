//! `doorman tighten` as a user runs it: what it prints, what it exits with,
//! and that what it proposes passes `doorman lint`.

mod tighten_support;

use std::path::Path;
use std::process::{Command, Output};
use tighten_support::{tempdir, walk};

fn fixture(p: &str) -> String {
    tighten_support::fixture(p).display().to_string()
}

fn doorman(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(args)
        .output()
        .expect("doorman runs")
}

#[test]
fn proposed_policy_passes_doorman_lint() {
    let out = doorman(&[
        "tighten",
        "--role",
        "orders-fn-role",
        "--policy",
        &fixture("current-policy.json"),
        "--format",
        "policy",
        &fixture("trail"),
    ]);
    // Unused grants: exit 1, the policy on stdout, its limits on stderr.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("limit: The window is what the files cover")
    );
    assert_lints_clean("policy", "proposed.json", &out.stdout);
}

/// `doorman lint` finds nothing in `text`, written to a file named `name`.
fn assert_lints_clean(scratch: &str, name: &str, text: &[u8]) {
    let dir = tempdir(scratch);
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    let lint = doorman(&["lint", file.to_str().unwrap()]);
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(text)
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sam_policies_drop_into_a_function_and_lint_clean() {
    let out = doorman(&[
        "tighten",
        "--role",
        "orders-fn-role",
        "--format",
        "sam",
        &fixture("trail"),
    ]);
    // The trail holds denied calls: findings, exit 1.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sam = String::from_utf8(out.stdout).unwrap();
    assert!(
        sam.contains("\"arn:aws:s3:::orders-bucket/incoming/2026/11/*\""),
        "{sam}"
    );
    let indented: String = sam.lines().map(|l| format!("      {l}\n")).collect();
    let template = format!(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: orders-fn\n      Runtime: provided.al2023\n      Handler: bootstrap\n{indented}"
    );
    assert_lints_clean("sam", "template.yaml", template.as_bytes());
}

#[test]
fn text_report_shows_every_part_and_its_limits() {
    let out = doorman(&["tighten", "--audit", &fixture("audit"), &fixture("trail")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    for part in [
        "Role arn:aws:iam::111122223333:role/orders-fn-role",
        "Used (",
        "Unmapped (no known IAM action; not guessed):",
        "apigateway.amazonaws.com GetRestApis",
        "Unused: ",
        "between 2026-11-01T00:00:00Z and 2026-11-01T00:14:52Z",
        "door: explicit deny in a service control policy (message)",
        "Diff against the current policies:",
        "doorman lint: nothing at medium or above in the proposed policy",
        "Proposed policy (--format policy prints it alone",
        "not tightened: arn:aws:iam::111122223333:role/reporting-role",
        "Limits:",
        "only when the trail logs them",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
}

#[test]
fn json_report_carries_the_policy_as_a_document() {
    let out = doorman(&[
        "tighten",
        "--audit",
        &fixture("audit"),
        "--format",
        "json",
        &fixture("trail"),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["roles"][0]["proposed_policy"]["Version"], "2012-10-17");
    assert!(v["roles"][0]["proposed_policy"]["Statement"].is_array());
    assert_eq!(v["roles"][0]["access_denied"].as_array().unwrap().len(), 4);
    assert!(v["limits"].as_array().unwrap().len() >= 3);
}

#[test]
fn text_from_events_is_escaped() {
    let dir = tempdir("escape");
    let record = serde_json::json!({"Records": [{
        "eventTime": "2026-11-01T00:00:00Z",
        "eventSource": "evil.amazonaws.com",
        "eventName": "Call\u{1b}[2J\nerror: forged line",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/orders-fn-role/orders-fn",
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/orders-fn-role"}}}
    }]});
    std::fs::write(dir.join("evil.json"), record.to_string()).unwrap();
    let out = doorman(&["tighten", "--role", "orders-fn-role", dir.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("error: forged")),
        "{text}"
    );
    assert!(text.contains("evil.amazonaws.com Call"), "{text}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn usage_and_input_errors_exit_2_with_the_reason() {
    let out = doorman(&["tighten", &fixture("trail")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--role"));
    let out = doorman(&[
        "tighten",
        "--role",
        "AWSReservedSSO_DevAdmin_635426549a280cc6",
        "--format",
        "policy",
        &fixture("public/stratus-getsecretvalue-denied.json"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no policy to propose"));
    let out = doorman(&["tighten", "--role", "r", "/no/such/trail"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("/no/such/trail: cannot read"));
    let out = doorman(&["tighten", "--audit", &fixture("trail"), &fixture("trail")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tighten/trail") && err.contains("no AWS CLI output"),
        "{err}"
    );
    let out = doorman(&[
        "tighten",
        "--role",
        "a",
        "--role",
        "b",
        "--policy",
        &fixture("current-policy.json"),
        &fixture("trail"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one --role"));
}

#[test]
fn gzip_is_read_by_its_bytes_whatever_the_name() {
    let dir = tempdir("gzname");
    let src = walk(Path::new(&fixture("trail")))
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with(".json.gz"))
        .unwrap();
    std::fs::copy(&src, dir.join("renamed.json")).unwrap();
    let out = doorman(&[
        "tighten",
        "--role",
        "orders-fn-role",
        "--format",
        "json",
        dir.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["evidence"]["files"], 1);
    assert!(v["evidence"]["records"].as_u64().unwrap() > 0);
    std::fs::remove_dir_all(dir).ok();
}

/// The README's example is this run's output, word for word.
#[test]
fn readme_example_is_the_real_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let cmd =
        "$ doorman tighten --audit tests/fixtures/tighten/audit tests/fixtures/tighten/trail\n";
    let start = readme.find(cmd).expect("README has the tighten example") + cmd.len();
    let end = start + readme[start..].find("```").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .current_dir(root)
        .args([
            "tighten",
            "--audit",
            "tests/fixtures/tighten/audit",
            "tests/fixtures/tighten/trail",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), &readme[start..end]);
}

#[test]
fn an_admin_grant_is_summarised_by_service() {
    let dir = tempdir("admin");
    let policy = dir.join("admin.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .unwrap();
    let out = doorman(&[
        "tighten",
        "--role",
        "orders-fn-role",
        "--policy",
        policy.to_str().unwrap(),
        &fixture("trail"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("more services (--format json lists every action)"),
        "{text}"
    );
    assert!(text.lines().count() < 150, "{} lines", text.lines().count());
    // `*` is the ceiling: the proposal is as narrow as the evidence.
    assert!(
        text.contains(r#""Resource":["arn:aws:s3:::orders-bucket/incoming/2026/11/*"]"#),
        "{text}"
    );
    std::fs::remove_dir_all(dir).ok();
}
