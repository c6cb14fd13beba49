//! The examples of issue 9, which doorman used to pass with no finding, exit
//! 0 and "no alerts": each through `doorman lint` (as a policy file and
//! inside a template) and through the event pipeline (`doorman replay` of the
//! CloudTrail events that carry such a document), as a user runs them.
//! Beside each, the restricting variant that must stay quiet, so the
//! findings are about meaning and not about the examples' spelling.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const FIXTURES: &str = "tests/fixtures/issue9";

/// The five documents at the top of the issue: fixture file, the rule each
/// must fire, and the statement(s) it must name.
const EXAMPLES: &[(&str, &str, &[u64])] = &[
    ("deny-not-resource-arn-star.json", "admin-access", &[0]),
    ("resource-arn-star.json", "admin-access", &[0]),
    (
        "pass-role-lambda-arn-aws-star.json",
        "privilege-escalation",
        &[0],
    ),
    ("source-ip-everyone.json", "admin-access", &[0]),
    ("trust-for-all-values-org.json", "trust-any-principal", &[0]),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn doorman(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_doorman"));
    cmd.args(args)
        .current_dir(root())
        .env_remove("DOORMAN_TRAIL_NAME")
        .env_remove("DOORMAN_TOPIC_ARN")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run doorman");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("doorman finishes")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", text(o)))
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn read_fixture(name: &str) -> String {
    let path = root().join(FIXTURES).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every finding of every result: `(rule, severity, statement, logical id)`.
fn findings(v: &Value) -> Vec<(String, String, Option<u64>, Option<String>)> {
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .flat_map(|r| r["findings"].as_array().expect("findings").iter())
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["location"]["statement"].as_u64(),
                f["location"]["logical_id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn severity_of(rule: &str) -> &'static str {
    match rule {
        "admin-access" | "privilege-escalation" | "trust-any-principal" => "critical",
        other => panic!("no expected severity for {other}"),
    }
}

// --- doorman lint ---------------------------------------------------------------

#[test]
fn lint_reports_each_example_and_exits_1() {
    for (file, rule, statements) in EXAMPLES {
        let o = doorman(&["lint", "--format", "json", &fixture(file)], None);
        assert_eq!(o.status.code(), Some(1), "{file}:\n{}", text(&o));
        let v = json_of(&o);
        assert_eq!(v["results"][0]["error"], Value::Null, "{file}");
        let hits: Vec<_> = findings(&v)
            .into_iter()
            .filter(|(r, ..)| r == rule)
            .collect();
        assert_eq!(hits.len(), 1, "{file}: {:?}", findings(&v));
        let (_, severity, statement, _) = &hits[0];
        assert_eq!(severity, severity_of(rule), "{file}");
        assert!(
            statements.contains(&statement.expect("names a statement")),
            "{file}: {statement:?}"
        );
    }
}

#[test]
fn lint_text_output_names_the_rule_instead_of_no_findings() {
    for (file, rule, _) in EXAMPLES {
        let o = doorman(&["lint", &fixture(file)], None);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{file}:\n{out}");
        assert!(
            out.contains(&format!("critical {rule}: Statement[0]")),
            "{file}:\n{out}"
        );
        assert!(!out.contains("no findings"), "{file}:\n{out}");
    }
}

/// The same documents inside a template, as a SAM or CloudFormation user
/// would write them: each resource gets its finding, at its statement's line.
#[test]
fn lint_reports_each_example_inside_a_template() {
    let o = doorman(
        &["lint", "--format", "json", &fixture("template.yaml")],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v = json_of(&o);
    let found: Vec<(String, String, Option<u64>)> = v["results"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "critical")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["location"]["logical_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["location"]["line"].as_u64(),
            )
        })
        .collect();
    let expected = [
        ("admin-access", "DenyFence", 11),
        ("admin-access", "ArnStar", 23),
        ("privilege-escalation", "PassRoleLambda", 32),
        ("admin-access", "EveryoneIp", 41),
        ("trust-any-principal", "OpenRole", 53),
    ];
    let expected: Vec<(String, String, Option<u64>)> = expected
        .iter()
        .map(|(r, id, line)| (r.to_string(), id.to_string(), Some(*line)))
        .collect();
    assert_eq!(found, expected);
}

/// The issue also names a standalone trust policy granting `sts:*`, which
/// was read as a resource policy so `trust-any-principal` never fired.
#[test]
fn lint_judges_a_trust_policy_granting_sts_star_as_a_trust_policy() {
    let o = doorman(
        &["lint", "--format", "json", &fixture("trust-sts-star.json")],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let rules: Vec<String> = findings(&json_of(&o)).into_iter().map(|f| f.0).collect();
    assert!(
        rules.contains(&"trust-any-principal".to_string()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"trust-wildcard-action".to_string()),
        "{rules:?}"
    );
}

/// What really restricts the examples removes their finding: the findings
/// are about what IAM allows, not about how the examples are spelled.
#[test]
fn lint_passes_the_really_restricted_variants() {
    for doc in [
        // A fence that leaves one bucket's objects.
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::one-bucket/*"}]}"#,
        // One network.
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"arn:aws:*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#,
        // One organization, tested on the caller's single value.
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}}"#,
    ] {
        let o = doorman(&["lint", "--format", "json", "-"], Some(doc));
        let v = json_of(&o);
        let critical: Vec<_> = findings(&v)
            .into_iter()
            .filter(|f| f.1 == "critical")
            .collect();
        assert!(critical.is_empty(), "{doc}\n{critical:?}");
    }
}

// --- the pipeline: doorman replay -------------------------------------------------

/// A real sample event of `events/` with its document replaced, written to a
/// scratch folder for `doorman replay`.
fn event_with(sample: &str, field: &str, document: &str, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("events").join(sample))
        .unwrap_or_else(|e| panic!("cannot read events/{sample}: {e}"));
    let mut event: Value = serde_json::from_str(&text).expect("sample event is JSON");
    let params = &mut event["detail"]["requestParameters"];
    assert!(params[field].is_string(), "{sample} carries `{field}`");
    params[field] = Value::String(document.to_string());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("issue9-events");
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let path = dir.join(name);
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&event).expect("serialise"),
    )
    .expect("write event");
    path
}

/// CloudTrail sometimes records policy documents URL-encoded.
fn url_encoded(doc: &str) -> String {
    percent_encoding::utf8_percent_encode(doc, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Replays one event; asserts it alerts with `rule` as the highest finding.
fn assert_alerts(path: &Path, rule: &str) {
    let shown = path.display().to_string();
    let o = doorman(&["replay", "--format", "json", &shown], None);
    assert_eq!(o.status.code(), Some(1), "{shown}:\n{}", text(&o));
    let v = json_of(&o);
    let result = &v["results"][0];
    assert_eq!(result["error"], Value::Null, "{shown}");
    let rules: Vec<String> = findings(&v).into_iter().map(|f| f.0).collect();
    assert!(rules.contains(&rule.to_string()), "{shown}: {rules:?}");
    let subject = result["alert"]["subject"].as_str().unwrap_or_default();
    assert!(
        subject.starts_with(&format!("[doorman] CRITICAL {rule}")),
        "{shown}: {subject}"
    );
    let o = doorman(&["replay", &shown], None);
    let out = text(&o);
    assert!(!out.contains("no alerts"), "{shown}:\n{out}");
    assert!(out.contains(&format!("CRITICAL {rule}")), "{shown}:\n{out}");
}

#[test]
fn replay_alerts_on_each_permission_example_in_every_event_that_carries_it() {
    for (file, rule, _) in EXAMPLES.iter().filter(|e| e.1 != "trust-any-principal") {
        let doc = read_fixture(file);
        let stem = file.trim_end_matches(".json");
        for (sample, encode) in [
            ("put-role-policy-admin.json", false),
            ("create-policy-service-wildcard.json", true),
            ("create-policy-version-admin.json", false),
        ] {
            let carried = if encode {
                url_encoded(&doc)
            } else {
                doc.clone()
            };
            let path = event_with(
                sample,
                "policyDocument",
                &carried,
                &format!("{stem}--{sample}"),
            );
            assert_alerts(&path, rule);
        }
    }
}

#[test]
fn replay_alerts_on_the_trust_example_in_every_event_that_carries_it() {
    let doc = read_fixture("trust-for-all-values-org.json");
    for (sample, field) in [
        (
            "update-assume-role-policy-cross-account.json",
            "policyDocument",
        ),
        ("create-role-trust-anyone.json", "assumeRolePolicyDocument"),
    ] {
        let path = event_with(sample, field, &doc, &format!("trust--{sample}"));
        assert_alerts(&path, "trust-any-principal");
    }
}

/// The issue: "An `UpdateAssumeRolePolicy` whose `requestParameters` lack
/// `roleName` but carry a trust-anyone document must alert
/// `trust-any-principal`."
#[test]
fn replay_alerts_on_a_trust_change_without_role_name() {
    let doc = read_fixture("trust-for-all-values-org.json");
    let path = event_with(
        "update-assume-role-policy-cross-account.json",
        "policyDocument",
        &doc,
        "trust-no-role-name.json",
    );
    let text = std::fs::read_to_string(&path).expect("read back");
    let mut event: Value = serde_json::from_str(&text).expect("JSON");
    let params = event["detail"]["requestParameters"]
        .as_object_mut()
        .expect("requestParameters");
    assert!(params.remove("roleName").is_some());
    std::fs::write(&path, event.to_string()).expect("write event");
    assert_alerts(&path, "trust-any-principal");
}

/// The restricted documents change nothing worth an alert in the pipeline
/// either.
#[test]
fn replay_stays_quiet_on_the_really_restricted_variants() {
    let fenced = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::one-bucket/*"}]}"#;
    let path = event_with(
        "put-role-policy-admin.json",
        "policyDocument",
        fenced,
        "fenced.json",
    );
    let o = doorman(&["replay", &path.display().to_string()], None);
    let out = text(&o);
    assert!(!out.contains("CRITICAL"), "{out}");
    let org = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}}"#;
    let path = event_with(
        "update-assume-role-policy-cross-account.json",
        "policyDocument",
        org,
        "org.json",
    );
    let o = doorman(&["replay", &path.display().to_string()], None);
    let out = text(&o);
    assert!(!out.contains("trust-any-principal"), "{out}");
}
