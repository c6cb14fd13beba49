//! `doorman lint` on the judgement defects of issue 9 §4, as a user meets
//! them: a wildcard trust policy, AWS's own layers, trusted accounts and
//! organizations from `doorman.toml`, and documents IAM rejects.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn doorman(args: &[&str], dir: &Path, stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run doorman");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("doorman output")
}

/// A fresh folder for one test, holding `files`.
fn folder(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("defects_cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

/// `(rule, message)` of every finding of a JSON run.
fn findings(o: &Output) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(&o.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\n{}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap().iter())
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rules(o: &Output) -> Vec<String> {
    findings(o).into_iter().map(|(r, _)| r).collect()
}

#[test]
fn a_standalone_trust_policy_granting_sts_star_to_anyone_is_trust_any_principal() {
    let dir = folder(
        "sts-star",
        &[(
            "trust.json",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:*"}}"#,
        )],
    );
    let o = doorman(&["lint", "--format", "json", "trust.json"], &dir, None);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let r = rules(&o);
    assert!(r.contains(&"trust-any-principal".to_string()), "{r:?}");
    assert!(r.contains(&"trust-wildcard-action".to_string()), "{r:?}");
    // Through standard input too.
    let o = doorman(
        &["lint", "--format", "json", "-"],
        &dir,
        Some(r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:Assume*"}}"#),
    );
    assert!(rules(&o).contains(&"trust-any-principal".to_string()));
}

const LAYERS_TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Layers:
        - !Sub arn:aws:lambda:${AWS::Region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:7
        - arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38
        - arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:4
        - arn:aws:lambda:us-east-1:444455556666:layer:vendor-tools:3
"#;

#[test]
fn aws_layers_pass_and_trusted_accounts_from_doorman_toml_are_honoured() {
    let dir = folder("layers", &[("template.yaml", LAYERS_TEMPLATE)]);
    let o = doorman(&["lint", "--format", "json", "template.yaml"], &dir, None);
    let f = findings(&o);
    let layers: Vec<&String> = f
        .iter()
        .filter(|(r, _)| r == "cross-account-layer")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(layers.len(), 1, "{f:?}");
    assert!(layers[0].contains("444455556666"), "{}", layers[0]);

    std::fs::write(
        dir.join("doorman.toml"),
        "trusted-accounts = [\"444455556666\"]\n",
    )
    .unwrap();
    let o = doorman(&["lint", "--format", "json", "template.yaml"], &dir, None);
    assert!(
        !rules(&o).contains(&"cross-account-layer".to_string()),
        "{:?}",
        findings(&o)
    );
}

#[test]
fn trusted_accounts_and_orgs_reach_trust_and_resource_policies() {
    let trust = r#"{"Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"},{"Sid":"Org","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}}]}"#;
    let invoke = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:orders"}}"#;
    let dir = folder("trusted", &[("trust.json", trust), ("invoke.json", invoke)]);
    let before = doorman(&["lint", "--format", "json", "."], &dir, None);
    let r = rules(&before);
    assert!(r.contains(&"trust-cross-account".to_string()), "{r:?}");
    assert!(r.contains(&"cross-account-invoke".to_string()), "{r:?}");

    std::fs::write(
        dir.join("doorman.toml"),
        "account = \"111122223333\"\ntrusted-accounts = [\"444455556666\"]\ntrusted-orgs = [\"o-a1b2c3d4e5\"]\n",
    )
    .unwrap();
    let after = doorman(&["lint", "--format", "json", "."], &dir, None);
    let f = findings(&after);
    assert!(!f.iter().any(|(r, _)| r == "cross-account-invoke"), "{f:?}");
    // The partner account is trusted; the other one is pinned to an
    // organization outside `trusted-orgs`.
    let cross: Vec<&String> = f
        .iter()
        .filter(|(r, _)| r == "trust-cross-account")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(cross.len(), 1, "{f:?}");
    assert!(
        cross[0].starts_with("Statement[1] (Sid `Org`): AWS `arn:aws:iam::777788889999:root`")
            && cross[0].contains("names `o-zzzzzzzzzz`, not one of `trusted-orgs`"),
        "{}",
        cross[0]
    );
}

#[test]
fn a_bad_trusted_account_in_doorman_toml_is_a_clear_error() {
    let dir = folder(
        "bad-toml",
        &[
            (
                "doorman.toml",
                "trusted-accounts = [\"444455556666\", \"4444-5555-6666\"]\n",
            ),
            (
                "p.json",
                r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
            ),
        ],
    );
    let o = doorman(&["lint", "p.json"], &dir, None);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("doorman.toml: `trusted-accounts`: `4444-5555-6666` is not an AWS account id; it has 12 digits"),
        "{err}"
    );
    std::fs::write(dir.join("doorman.toml"), "trusted-orgs = [\"org-1\"]\n").unwrap();
    let o = doorman(&["lint", "p.json"], &dir, None);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("`trusted-orgs`: `org-1` is not an organization id"));
}

#[test]
fn documents_iam_rejects_are_invalid_policy() {
    let dir = folder(
        "invalid",
        &[
            (
                "dup-sid.json",
                r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"A","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            ),
            (
                "bad-sid.json",
                r#"{"Statement":[{"Sid":"read-objects","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            ),
            (
                "wild-principal.json",
                r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"sts:AssumeRole"}]}"#,
            ),
        ],
    );
    for file in ["dup-sid.json", "bad-sid.json", "wild-principal.json"] {
        let o = doorman(&["lint", "--format", "json", file], &dir, None);
        let f = findings(&o);
        assert!(
            f.iter()
                .any(|(r, m)| r == "invalid-policy" && m.starts_with("Statement[")),
            "{file}: {f:?}"
        );
    }
}

/// `doorman replay` reads the Lambda's variables, so the deployed function
/// and a replay judge the same event alike.
fn replay(event: &str, trusted_accounts: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_doorman"));
    cmd.args(["replay", event])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DOORMAN_TRAIL_NAME")
        .env_remove("DOORMAN_TOPIC_ARN")
        .env_remove("DOORMAN_TRUSTED_ORGS");
    match trusted_accounts {
        Some(v) => cmd.env("DOORMAN_TRUSTED_ACCOUNTS", v),
        None => cmd.env_remove("DOORMAN_TRUSTED_ACCOUNTS"),
    };
    cmd.output().expect("doorman runs")
}

#[test]
fn replay_honours_doorman_trusted_accounts() {
    for (event, rule) in [
        (
            "events/create-function-cross-account-layer.json",
            "cross-account-layer",
        ),
        (
            "events/update-assume-role-policy-cross-account.json",
            "trust-cross-account",
        ),
    ] {
        let o = replay(event, None);
        assert_eq!(o.status.code(), Some(1), "{event}: {o:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(&format!(" {rule} ")), "{event}: {out}");
        let o = replay(event, Some("999988887777,444455556666"));
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{event}: {out}");
        assert!(out.contains("no alerts from 1 event"), "{event}: {out}");
    }
    let o = replay(
        "events/create-function-cross-account-layer.json",
        Some("9999-8888-7777"),
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("`DOORMAN_TRUSTED_ACCOUNTS`: `9999-8888-7777` is not an AWS account id"));
}
