//! `doorman audit` as a user runs it on a folder of AWS CLI outputs: the
//! built binary, its exit status and what it reports.
//!
//! The fixture account (tests/fixtures/audit/account) is the small account
//! of issue 12: roles with and without logs, a shared role, a public
//! function policy, a URL with auth NONE, a cross-account layer, an SQS
//! mapping without polling permissions, an unused Lambda role and a
//! boundary that caps an administrator policy; the authorization details
//! are split over two pages, one inline policy URL-encoded as the API
//! returns it.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

mod cli_support;
use cli_support::{code, doorman, json_of, root};

const ACCOUNT: &str = "tests/fixtures/audit/account";

fn json(args: &[&str]) -> (i32, Value) {
    json_of("audit", args)
}

/// (rule, source) of every finding.
fn pairs(report: &Value) -> BTreeSet<(String, String)> {
    report["results"]
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
        .collect()
}

fn rules_of(report: &Value, source: &str) -> BTreeSet<String> {
    pairs(report)
        .into_iter()
        .filter(|(_, s)| s == source)
        .map(|(r, _)| r)
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const A: &str = "111122223333";

fn fun(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:{A}:function:{name}")
}

fn role(name: &str) -> String {
    format!("arn:aws:iam::{A}:role/{name}")
}

#[test]
fn the_small_account_gets_exactly_the_expected_function_and_role_findings() {
    let (status, report) = json(&[ACCOUNT]);
    assert_eq!(status, 1);
    assert_eq!(report["account"], A);
    assert_eq!(report["lambda_inventory"], true);
    // Rules of SPEC §3.3 / §3.4 and the audit's own: exactly these.
    let lambda_rules = [
        "missing-logs",
        "shared-execution-role",
        "role-not-lambda-trusted",
        "event-source-missing-permissions",
        "unused-execution-role",
        "public-invoke",
        "public-function-url",
        "cross-account-layer",
    ];
    let got: BTreeSet<(String, String)> = pairs(&report)
        .into_iter()
        .filter(|(r, _)| lambda_rules.contains(&r.as_str()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("missing-logs", fun("report")),
        (
            "shared-execution-role",
            format!("arn:aws:iam::{A}:role/service-role/billing-role"),
        ),
        ("shared-execution-role", role("queue-worker-role")),
        ("event-source-missing-permissions", fun("queue-worker")),
        ("unused-execution-role", role("old-report-role")),
        ("public-invoke", fun("public-hook")),
        ("public-function-url", fun("public-hook")),
        ("cross-account-layer", fun("public-hook")),
    ]
    .into_iter()
    .map(|(r, s)| (r.to_string(), s))
    .collect();
    assert_eq!(got, want);
    // The good role of SPEC §9 and its function: nothing.
    assert!(rules_of(&report, &fun("orders")).is_empty());
    assert!(rules_of(&report, &role("orders-role")).is_empty());
    // The URL-encoded inline policy of report-role was read (its DynamoDB
    // grant is scoped, so nothing but missing-logs on the function).
    assert!(rules_of(&report, &role("report-role")).is_empty());
}

#[test]
fn a_boundary_caps_an_administrator_policy() {
    let (_, report) = json(&[ACCOUNT]);
    let bounded = rules_of(&report, &role("bounded-admin"));
    for r in [
        "admin-access",
        "privilege-escalation",
        "broad-managed-policy",
    ] {
        assert!(
            !bounded.contains(r),
            "{r} on a role capped to S3: {bounded:?}"
        );
    }
    // What is left is S3, and it is reported as S3.
    assert!(bounded.contains("service-wildcard"), "{bounded:?}");
    let message = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["source"] == role("bounded-admin"))
        .unwrap()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "service-wildcard")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("`s3:*`"), "{message}");
    // The same policy without a boundary is an administrator.
    assert!(rules_of(&report, &role("break-glass")).contains("broad-managed-policy"));
}

#[test]
fn users_groups_and_unattached_policies_are_judged() {
    let (_, report) = json(&[ACCOUNT]);
    assert!(
        rules_of(&report, &format!("arn:aws:iam::{A}:user/alice")).contains("privilege-escalation")
    );
    assert!(
        rules_of(&report, &format!("arn:aws:iam::{A}:group/devs")).contains("broad-managed-policy")
    );
    assert!(
        rules_of(&report, &format!("arn:aws:iam::{A}:policy/leftover-deploy"))
            .contains("pass-role-wildcard")
    );
    // A policy used only as a boundary grants nothing by itself.
    assert!(report["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["source"] != format!("arn:aws:iam::{A}:policy/s3-only-boundary")));
}

#[test]
fn a_dump_alone_is_valid_and_says_the_lambda_inventory_is_missing() {
    let (status, report) = json(&[&format!("{ACCOUNT}/iam")]);
    assert_eq!(status, 1);
    assert_eq!(report["lambda_inventory"], false);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("Lambda inventory was not provided"),
        "{notes}"
    );
    let results = report["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["kind"] != "function"));
    // Without functions, no role can be called unused.
    assert!(!pairs(&report)
        .iter()
        .any(|(r, _)| r == "unused-execution-role"));
    assert!(rules_of(&report, &role("break-glass")).contains("broad-managed-policy"));

    // The text report says it too.
    let o = doorman(&["audit", &format!("{ACCOUNT}/iam")]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("Lambda inventory was not provided"), "{text}");
}

#[test]
fn one_whole_dump_under_any_name_equals_the_pages() {
    let dir = scratch("whole-dump");
    let mut whole = serde_json::json!({
        "RoleDetailList": [], "UserDetailList": [], "GroupDetailList": [], "Policies": []
    });
    for page in [
        "authorization-details-1.json",
        "authorization-details-2.json",
    ] {
        let text = std::fs::read_to_string(root().join(ACCOUNT).join("iam").join(page)).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        for key in [
            "RoleDetailList",
            "UserDetailList",
            "GroupDetailList",
            "Policies",
        ] {
            whole[key]
                .as_array_mut()
                .unwrap()
                .extend(v[key].as_array().unwrap().iter().cloned());
        }
    }
    let file = dir.join("acct.txt");
    std::fs::write(&file, whole.to_string()).unwrap();
    let (_, from_file) = json(&[file.to_str().unwrap()]);
    let (_, from_pages) = json(&[&format!("{ACCOUNT}/iam")]);
    assert_eq!(pairs(&from_file), pairs(&from_pages));
}

#[test]
fn a_bad_file_is_reported_by_name_and_the_others_are_still_audited() {
    let dir = scratch("bad-file");
    copy_dir(&root().join(ACCOUNT), &dir);
    std::fs::write(dir.join("lambda/broken.json"), "{\"Functions\": [").unwrap();
    std::fs::write(
        dir.join("lambda/wrong.json"),
        r#"{"Functions": [{"FunctionName": 3}]}"#,
    )
    .unwrap();
    std::fs::write(dir.join("package.json"), r#"{"name": "x"}"#).unwrap();
    let (status, report) = json(&[dir.to_str().unwrap()]);
    assert_eq!(status, 2, "an unreadable input is exit 2, as in lint");
    let errors: Vec<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["error"].is_null())
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_string(),
                r["error"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].0.ends_with("broken.json") && errors[0].1.contains("not valid JSON"));
    assert!(errors[1].0.ends_with("wrong.json") && errors[1].1.contains("`Functions[0]`"));
    assert_eq!(report["skipped"], 1);
    // Everything else was still judged.
    assert!(rules_of(&report, &fun("public-hook")).contains("public-invoke"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn min_severity_and_ignore_filter_as_in_lint() {
    let (status, report) = json(&["--min-severity", "critical", ACCOUNT]);
    assert_eq!(status, 1);
    let all = pairs(&report);
    assert!(!all.is_empty());
    assert!(report["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap())
        .all(|f| f["severity"] == "critical"));
    let (status, report) = json(&[
        "--ignore",
        "public-invoke",
        "--ignore",
        "privilege-escalation",
        "--ignore",
        "broad-managed-policy",
        "--min-severity",
        "critical",
        ACCOUNT,
    ]);
    assert_eq!(status, 0, "{report}");
    assert!(pairs(&report).is_empty());
}

#[test]
fn sarif_has_logical_locations_naming_the_arn() {
    let o = doorman(&["audit", "--format", "sarif", ACCOUNT]);
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let public = results
        .iter()
        .find(|r| r["ruleId"] == "public-invoke")
        .unwrap();
    let logical = &public["locations"][0]["logicalLocations"];
    assert_eq!(logical[0]["fullyQualifiedName"], fun("public-hook"));
    assert_eq!(logical[0]["kind"], "resource");
    assert_eq!(logical[1]["name"], "resource policy");
    assert_eq!(v["version"], "2.1.0");
}

/// `doorman audit` text with `COLUMNS` set to `columns` (or unset).
fn text_at(columns: Option<&str>) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_doorman"));
    c.args(["audit", ACCOUNT]).current_dir(root());
    match columns {
        Some(w) => c.env("COLUMNS", w),
        None => c.env_remove("COLUMNS"),
    };
    let o = c.output().expect("run doorman");
    assert_eq!(code(&o), 1);
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn text_groups_by_function_with_both_doors_side_by_side_then_the_rest() {
    let text = text_at(None);
    let hook = text.find("function public-hook").unwrap();
    let block: Vec<&str> = text[hook..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    // The two doors' headings on one line, execution role on the left.
    let heading = block[0];
    assert!(
        heading.starts_with("  outbound (execution role queue-worker-role):")
            && heading.contains(" | inbound (resource policy, URL, layers):"),
        "{text}"
    );
    let bar = heading.find(" | ").unwrap();
    for line in &block {
        assert!(line.chars().count() <= 100, "{line:?}");
        if !line.starts_with("  note:") {
            assert_eq!(line.find(" |"), Some(bar), "{text}");
        }
    }
    // Its public policy and URL in the right-hand column, wrapped there.
    let right: Vec<&str> = block.iter().filter_map(|l| l.get(bar + 3..)).collect();
    assert!(
        right
            .iter()
            .any(|l| l.starts_with("critical public-invoke")),
        "{text}"
    );
    assert!(
        right
            .iter()
            .any(|l| l.starts_with("high public-function-url")),
        "{text}"
    );
    assert!(right.iter().any(|l| l.starts_with("  fix: ")), "{text}");
    let rest = text
        .find("roles, users, groups, policies and layers that belong to no function:")
        .unwrap();
    assert!(rest > hook);
    assert!(text[rest..].contains("role old-report-role"));
    assert!(text
        .lines()
        .last()
        .unwrap()
        .contains("in 6 functions, 8 roles"));
}

/// README "Audit an account" shows the start of `public-hook`'s block as
/// the CLI prints it; it stays so.
#[test]
fn the_readme_text_example_is_what_the_cli_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("For the test account's `public-hook`")
        .expect("the text example in README \"Audit an account\"");
    let body = &readme[start..];
    let body = &body[body.find("```text\n").unwrap() + "```text\n".len()..];
    let example = &body[..body.find("\n  ...\n```").unwrap()];
    assert!(example.lines().count() >= 5);
    let text = text_at(None);
    assert!(text.contains(example), "README:\n{example}\n\nCLI:\n{text}");
}

#[test]
fn text_for_a_narrow_terminal_puts_the_doors_one_after_the_other() {
    let text = text_at(Some("60"));
    assert!(!text.contains(" | "), "{text}");
    let hook = text.find("function public-hook").unwrap();
    let outbound = text[hook..]
        .find("  outbound (execution role queue-worker-role):\n")
        .unwrap();
    let inbound = text[hook..]
        .find("  inbound (resource policy, URL, layers):\n")
        .unwrap();
    assert!(outbound < inbound);
    // Findings and fixes wrapped to the width.
    for line in text.lines().filter(|l| l.starts_with("    ")) {
        assert!(line.chars().count() <= 60, "{line:?}");
    }
    // A wide terminal gets wider columns: fewer lines for the same report.
    assert!(text_at(Some("160")).lines().count() < text_at(None).lines().count());
}

/// A role named to attack whoever reads the report: markup for the HTML
/// page, a newline and an escape sequence for the terminal.
#[test]
fn names_from_the_account_are_escaped_in_every_output() {
    let dir = scratch("hostile");
    let hostile = "<img src=x onerror=alert(1)>\"'\n[0;31mfake\u{1b}[0m";
    let dump = serde_json::json!({
        "RoleDetailList": [{
            "RoleName": hostile,
            "Arn": format!("arn:aws:iam::{A}:role/evil"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [], "AttachedManagedPolicies": []
        }],
        "Policies": []
    });
    std::fs::write(dir.join("dump.json"), dump.to_string()).unwrap();
    let page = dir.join("report.html");
    let o = doorman(&[
        "audit",
        "--html",
        page.to_str().unwrap(),
        dir.join("dump.json").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("role <img src=x onerror=alert(1)>\"'\\n[0;31mfake\\u{1b}[0m"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<img"),
        "markup from the account reached the page"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;"));
    // Self-contained: no external asset.
    for external in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(!html.contains(external), "{external}");
    }
}

#[test]
fn the_html_page_has_counts_cards_and_explanations() {
    let dir = scratch("html");
    let page = dir.join("audit.html");
    let o = doorman(&["audit", "--html", page.to_str().unwrap(), ACCOUNT]);
    assert_eq!(code(&o), 1);
    let html = std::fs::read_to_string(&page).unwrap();
    let (_, report) = json(&[ACCOUNT]);
    let total = pairs_count(&report);
    assert!(html.contains(&format!(r#"id="total" data-count="{total}""#)));
    for f in ["orders", "public-hook", "queue-worker"] {
        assert!(html.contains(&format!(r#"data-kind="function" data-function="{f}""#)));
    }
    assert!(html.contains("doorman explain public-invoke"));
    assert!(html.contains("Why it matters"));
}

fn pairs_count(report: &Value) -> usize {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["findings"].as_array().unwrap().len())
        .sum()
}

#[test]
fn no_input_and_a_folder_with_nothing_are_errors() {
    let dir = scratch("empty");
    std::fs::write(dir.join("notes.json"), r#"{"hello": 1}"#).unwrap();
    let o = doorman(&["audit", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let o = doorman(&["audit", "tests/fixtures/audit/does-not-exist"]);
    assert_eq!(code(&o), 2);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("does-not-exist: error: cannot read it"),
        "{text}"
    );
}

/// The policy the README gives for collecting an audit is least privilege
/// by doorman's own judgement, and the README shows exactly that file.
#[test]
fn the_published_audit_policy_lints_clean_and_is_in_the_readme() {
    let o = doorman(&["lint", "--format", "json", "docs/audit-policy.json"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["results"][0]["findings"], serde_json::json!([]));
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let policy = std::fs::read_to_string(root().join("docs/audit-policy.json")).unwrap();
    assert!(
        readme.contains(&format!("```json\n{policy}```")),
        "README \"Audit an account\" must show docs/audit-policy.json as it is"
    );
}

#[test]
fn a_doorman_ignore_tag_on_a_role_silences_those_rules() {
    let dir = scratch("tagged");
    let dump = serde_json::json!({
        "RoleDetailList": [{
            "RoleName": "break-glass",
            "Arn": format!("arn:aws:iam::{A}:role/break-glass"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{A}:root")}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [],
            "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
            "Tags": [{"Key": "doorman:ignore", "Value": "broad-managed-policy"}]
        }]
    });
    std::fs::write(dir.join("dump.json"), dump.to_string()).unwrap();
    let (status, report) = json(&[dir.join("dump.json").to_str().unwrap()]);
    assert_eq!(status, 0, "{report}");
}

/// A large account is judged on several threads; the report is the same as
/// one thread's: every role in input order with its own findings.
#[test]
fn a_large_account_is_judged_in_order_whatever_the_threads() {
    let dir = scratch("large");
    let roles: Vec<Value> = (0..1200)
        .map(|i| {
            let inline = if i % 3 == 0 {
                serde_json::json!([{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}])
            } else {
                serde_json::json!([])
            };
            serde_json::json!({
                "RoleName": format!("r{i}"),
                "Arn": format!("arn:aws:iam::{A}:role/r{i}"),
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "RolePolicyList": inline,
                "AttachedManagedPolicies": []
            })
        })
        .collect();
    std::fs::write(
        dir.join("dump.json"),
        serde_json::json!({ "RoleDetailList": roles }).to_string(),
    )
    .unwrap();
    let (_, report) = json(&[dir.join("dump.json").to_str().unwrap()]);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1200);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["source"], format!("arn:aws:iam::{A}:role/r{i}"));
        let admin = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "admin-access");
        assert_eq!(admin, i % 3 == 0, "role r{i}");
    }
}

#[test]
fn layer_version_policies_are_judged() {
    let (_, report) = json(&[ACCOUNT]);
    let layer = |v: u8| format!("arn:aws:lambda:us-east-1:{A}:layer:internal-utils:{v}");
    assert_eq!(
        rules_of(&report, &layer(2)),
        BTreeSet::from(["public-layer".to_string()])
    );
    // Shared with the organization only: not public.
    assert!(rules_of(&report, &layer(3)).is_empty());
}

#[test]
fn doorman_toml_settings_apply_as_in_lint() {
    let dir = scratch("config");
    let config = dir.join("doorman.toml");
    std::fs::write(
        &config,
        "min-severity = \"high\"\nignore = [\"public-invoke\"]\n",
    )
    .unwrap();
    let (_, report) = json(&["--config", config.to_str().unwrap(), ACCOUNT]);
    let all = pairs(&report);
    assert!(!all.is_empty());
    assert!(!all.iter().any(|(r, _)| r == "public-invoke"));
    assert!(report["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap())
        .all(|f| f["severity"] == "high" || f["severity"] == "critical"));
    // A bad setting is a usage error naming the file.
    std::fs::write(&config, "min-severity = \"loud\"\n").unwrap();
    let o = doorman(&["audit", "--config", config.to_str().unwrap(), ACCOUNT]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("doorman.toml"));
}
