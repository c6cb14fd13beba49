//! The built-in AWS managed policies at work through the `doorman` binary
//! (issue 10): templates are judged by the documents of the managed
//! policies they attach, and `replay` judges an attachment of any of them
//! offline.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn doorman(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run doorman")
}

/// Writes `text` to a file of this test binary's scratch folder.
fn scratch(name: &str, text: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("managed_policies_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn lint_json(path: &str) -> (i32, Value) {
    let o = doorman(&["lint", "--format", "json", path]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code().unwrap_or(-1), v)
}

fn findings(v: &Value) -> Vec<(String, String)> {
    v["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A function whose explicit role holds only `policy` (a managed policy ARN).
fn template_with_role_policy(policy: &str) -> String {
    format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code:
        ZipFile: "def handler(e, c): return None"
      Role: !GetAtt WorkerRole.Arn
  WorkerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - {policy}
"#
    )
}

#[test]
fn a_role_with_aws_lambda_execute_does_not_miss_logs() {
    let path = scratch(
        "lambda-execute.yaml",
        &template_with_role_policy("arn:aws:iam::aws:policy/AWSLambdaExecute"),
    );
    let (_, v) = lint_json(&path);
    assert!(v["results"][0]["error"].is_null(), "{v}");
    let got = findings(&v);
    assert!(
        !got.iter().any(|(r, _)| r == "missing-logs"),
        "AWSLambdaExecute grants logs:*: {got:?}"
    );
}

#[test]
fn a_role_with_a_managed_policy_without_logs_misses_logs() {
    // The same role with a policy that grants no logs action: the document is
    // known, so `missing-logs` is reported rather than left unjudged.
    let path = scratch(
        "s3-read-only.yaml",
        &template_with_role_policy("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"),
    );
    let (status, v) = lint_json(&path);
    assert_eq!(status, 1, "{v}");
    assert!(findings(&v).iter().any(|(r, _)| r == "missing-logs"), "{v}");
}

#[test]
fn iam_full_access_is_privilege_escalation_and_broad() {
    let path = scratch(
        "iam-full-access.yaml",
        &template_with_role_policy("arn:aws:iam::aws:policy/IAMFullAccess"),
    );
    let (status, v) = lint_json(&path);
    assert_eq!(status, 1);
    let got = findings(&v);
    assert!(
        got.iter()
            .any(|(r, m)| r == "privilege-escalation" && m.contains("IAMFullAccess")),
        "{got:?}"
    );
    assert!(
        got.iter().any(|(r, _)| r == "broad-managed-policy"),
        "{got:?}"
    );
}

#[test]
fn sam_policies_naming_a_managed_policy_are_judged_by_its_document() {
    let path = scratch(
        "sam-iam-full-access.yaml",
        r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "def handler(e, c): return None"
      Policies:
        - IAMFullAccess
        - AWSLambdaBasicExecutionRole
"#,
    );
    let (status, v) = lint_json(&path);
    assert_eq!(status, 1);
    let got = findings(&v);
    assert!(
        got.iter().any(|(r, _)| r == "privilege-escalation"),
        "{got:?}"
    );
    // The execution policy beside it adds nothing.
    assert!(
        !got.iter()
            .any(|(_, m)| m.contains("AWSLambdaBasicExecutionRole")),
        "{got:?}"
    );
}

#[test]
fn replay_judges_an_attachment_of_amazon_ec2_full_access_offline() {
    let event = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events/attach-role-policy-admin.json"),
    )
    .unwrap();
    assert!(event.contains("arn:aws:iam::aws:policy/AdministratorAccess"));
    let event = event.replace(
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
    );
    let path = scratch("attach-ec2-full-access.json", &event);
    let o = doorman(&["replay", &path]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("broad-managed-policy"), "{out}");
    assert!(out.contains("`ec2:*`"), "names what it grants: {out}");
    assert!(!out.contains("not checked"), "{out}");
    assert!(!out.contains("offline"), "{out}");
}

#[test]
fn replay_judges_any_attached_aws_managed_policy_by_its_document() {
    // Not a broad one, and not among the few doorman once carried.
    let event = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events/attach-role-policy-admin.json"),
    )
    .unwrap()
    .replace(
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    );
    let path = scratch("attach-lambda-role.json", &event);
    let o = doorman(&["replay", &path]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("lambda:InvokeFunction"), "{out}");
    assert!(!out.contains("not checked"), "{out}");
}

#[test]
fn a_permission_file_named_after_a_managed_policy_is_judged_by_its_document() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("managed_policies_named");
    let real = dir.join("real");
    let fake = dir.join("fake");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::create_dir_all(&fake).unwrap();
    let doc =
        doorman::catalog::managed::managed_policy_document("AWSLambdaBasicExecutionRole").unwrap();
    std::fs::write(real.join("AWSLambdaBasicExecutionRole.json"), doc).unwrap();
    // Same name, one more action on `*`: the name does not allow-list it.
    let more = doc.replace(
        "\"logs:PutLogEvents\"",
        "\"logs:PutLogEvents\",\"s3:PutObject\"",
    );
    assert_ne!(more, doc);
    std::fs::write(fake.join("AWSLambdaBasicExecutionRole.json"), &more).unwrap();

    let o = doorman(&[
        "lint",
        "--kind",
        "permission",
        &real
            .join("AWSLambdaBasicExecutionRole.json")
            .display()
            .to_string(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let (status, v) = lint_json(
        &fake
            .join("AWSLambdaBasicExecutionRole.json")
            .display()
            .to_string(),
    );
    assert_eq!(status, 1, "{v}");
    assert!(
        findings(&v).iter().any(|(r, _)| r == "resource-wildcard"),
        "{v}"
    );
}

#[test]
fn the_built_in_set_is_written_out_one_file_per_policy() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("managed_policies_written");
    let _ = std::fs::remove_dir_all(&dir);
    let o = doorman(&["managed-policies", "--write", &dir.display().to_string()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files, doorman::catalog::managed::known_documents().count());
    let text = std::fs::read_to_string(dir.join("AWSLambdaExecute.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["Statement"][0]["Action"][0], "logs:*");
    // A path that cannot be a folder is an error naming it.
    let file = dir.join("AWSLambdaExecute.json").display().to_string();
    let o = doorman(&["managed-policies", "--write", &file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&file));
}
