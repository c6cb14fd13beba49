//! `doorman lint` and `doorman explain` as a user runs them: the built
//! binary, its exit status, and what it prints.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod cli_support;
use cli_support::{code, doorman, json_of, root, stderr, stdout};

const FIXTURES: &str = "tests/fixtures";

fn json(args: &[&str]) -> (i32, Value) {
    json_of("lint", args)
}

/// Exit status 2 and a report whose first line is the input's error,
/// starting with `first_line`.
fn assert_input_error(o: &Output, first_line: &str) {
    assert_eq!(code(o), 2, "{}", stdout(o));
    assert!(stdout(o).starts_with(first_line), "{}", stdout(o));
}

fn fixture(rel: &str) -> String {
    format!("{FIXTURES}/{rel}")
}

/// The rules of every finding of every result.
fn rules(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap().iter())
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Every AWS managed policy doorman carries, written out once per test run
/// as `<PolicyName>.json` (the built-in set: nothing outside the repository).
fn corpus() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("managed-policies");
        // Fresh, so no file of an older data version lingers.
        let _ = std::fs::remove_dir_all(&dir);
        let n = doorman::catalog::managed::write_documents(&dir)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", dir.display()));
        assert_eq!(n, doorman::catalog::managed::known_documents().count());
        dir
    })
    .clone()
}

fn corpus_file(name: &str) -> String {
    corpus().join(name).display().to_string()
}

// --- exit status -----------------------------------------------------------

#[test]
fn clean_files_exit_0_and_say_so() {
    let o = doorman(&["lint", &fixture("policies/good")]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "no findings in 3 files\n");
}

#[test]
fn findings_exit_1_with_file_line_rule_and_fix() {
    let o = doorman(&["lint", &fixture("policies/bad/admin.json")]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(
            "tests/fixtures/policies/bad/admin.json:4: critical admin-access: Statement[0]"
        ),
        "{out}"
    );
    assert!(lines[1].starts_with("  fix: "), "{out}");
    assert_eq!(*lines.last().unwrap(), "1 finding in 1 file (1 critical)");
    assert!(
        !out.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn a_malformed_file_is_reported_and_the_others_still_checked() {
    let (status, v) = json(&[
        &fixture("malformed/truncated.json"),
        &fixture("policies/bad/admin.json"),
    ]);
    assert_eq!(status, 2, "an error wins over findings");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0]["source"],
        "tests/fixtures/malformed/truncated.json"
    );
    assert_eq!(
        results[0]["error"],
        "not valid JSON: EOF while parsing a value at line 5 column 30"
    );
    assert_eq!(results[0]["findings"], Value::Array(vec![]));
    assert!(results[1]["error"].is_null());
    assert_eq!(results[1]["findings"][0]["rule"], "admin-access");
}

#[test]
fn text_names_the_malformed_file_and_its_problem() {
    let o = doorman(&["lint", &fixture("malformed/truncated.json")]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stdout(&o),
        "tests/fixtures/malformed/truncated.json: error: not valid JSON: EOF while parsing a value at line 5 column 30\n\
         1 file could not be checked\n"
    );
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let o = doorman(&["lint", "no-such-policy.json"]);
    assert_input_error(
        &o,
        "no-such-policy.json: error: cannot read `no-such-policy.json`: No such file or directory",
    );
}

#[test]
fn no_path_is_a_usage_error() {
    let o = doorman(&["lint"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("<PATH>"), "{}", stderr(&o));
}

// --- filters ---------------------------------------------------------------

#[test]
fn ignore_drops_a_rule() {
    let (status, v) = json(&[
        "--ignore",
        "admin-access",
        &fixture("policies/bad/admin.json"),
    ]);
    assert!(!rules(&v).contains(&"admin-access".to_string()), "{v}");
    assert_eq!(status, if rules(&v).is_empty() { 0 } else { 1 });
}

#[test]
fn an_unknown_rule_to_ignore_is_a_usage_error_with_a_hint() {
    let o = doorman(&["lint", "--ignore", "admn-access", &fixture("policies/good")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown rule `admn-access`; did you mean `admin-access`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn min_severity_drops_what_is_below() {
    let file = fixture("policies/bad/s3-invoke-no-source.json");
    let (status, v) = json(&[&file]);
    assert_eq!(status, 1);
    assert!(rules(&v).contains(&"service-invoke-no-source".to_string()));
    let (status, v) = json(&["--min-severity", "critical", &file]);
    assert_eq!(status, 0, "{v}");
    assert!(rules(&v).is_empty());
    let o = doorman(&["lint", "--min-severity", "severe", &file]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown severity `severe`"),
        "{}",
        stderr(&o)
    );
}

/// Runs `doorman lint --format json ARGS` in `dir` (for `doorman.toml`).
fn json_in(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["lint", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run doorman");
    let v = serde_json::from_str(&stdout(&o)).unwrap_or(Value::Null);
    (code(&o), v, stderr(&o))
}

/// A scratch folder holding `doorman.toml` with `config` and a copy of the
/// S3 invoke fixture (high `service-invoke-no-source`).
fn project_with_config(name: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("doorman-config-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("doorman.toml"), config).unwrap();
    std::fs::copy(
        root().join(fixture("policies/bad/s3-invoke-no-source.json")),
        dir.join("s3.json"),
    )
    .unwrap();
    dir
}

#[test]
fn doorman_toml_in_the_current_folder_sets_ignore_and_min_severity() {
    let dir = project_with_config("ignore", "ignore = [\"service-invoke-no-source\"]\n");
    let (status, v, err) = json_in(&dir, &["s3.json"]);
    assert_eq!((status, rules(&v)), (0, vec![]), "{v} {err}");
    let dir = project_with_config("severity", "min-severity = \"critical\"\n");
    let (status, v, _) = json_in(&dir, &["s3.json"]);
    assert_eq!((status, rules(&v)), (0, vec![]), "{v}");
    // The command line wins over the file.
    let (status, v, _) = json_in(&dir, &["--min-severity", "high", "s3.json"]);
    assert_eq!(status, 1);
    assert_eq!(rules(&v), ["service-invoke-no-source"]);
}

#[test]
fn a_bad_config_file_is_an_error_naming_the_file_with_a_hint() {
    let dir = project_with_config("bad", "\nignore = [\"admn-access\"]\n");
    let (status, _, err) = json_in(&dir, &["s3.json"]);
    assert_eq!(status, 2);
    assert!(
        err.contains(
            "doorman.toml: `ignore`: unknown rule `admn-access`; did you mean `admin-access`?"
        ),
        "{err}"
    );
    let dir = project_with_config("unknown-key", "\nminimum = \"high\"\n");
    let (status, _, err) = json_in(&dir, &["--config", "doorman.toml", "s3.json"]);
    assert_eq!(status, 2);
    assert!(
        err.contains("doorman.toml:2: unknown field `minimum`"),
        "{err}"
    );
    let (status, _, err) = json_in(&dir, &["--config", "missing.toml", "s3.json"]);
    assert_eq!(status, 2);
    assert!(err.contains("missing.toml: cannot read it"), "{err}");
}

#[test]
fn kind_overrides_detection() {
    // A permission policy judged as a trust policy: it has a `Resource`.
    let (_, v) = json(&[
        "--kind",
        "trust",
        &fixture("policies/good/order-processor.json"),
    ]);
    assert!(rules(&v).contains(&"invalid-policy".to_string()), "{v}");
}

#[test]
fn account_makes_own_principals_not_another_account() {
    let file = fixture("policies/bad/trust/cross-account.json");
    let (_, v) = json(&[&file]);
    assert!(
        rules(&v).contains(&"trust-cross-account".to_string()),
        "{v}"
    );
    let (status, v) = json(&["--account", "444455556666", &file]);
    assert!(
        !rules(&v).contains(&"trust-cross-account".to_string()),
        "{v}"
    );
    assert_eq!(status, if rules(&v).is_empty() { 0 } else { 1 });
    let o = doorman(&["lint", "--account", "4444", &file]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("`4444` is not an AWS account id"),
        "{}",
        stderr(&o)
    );
}

// --- inputs ----------------------------------------------------------------

#[test]
fn folders_are_walked_recursively_in_sorted_order() {
    let (_, v) = json(&[&fixture("policies")]);
    let sources: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            "tests/fixtures/policies/bad/admin-url-encoded.json",
            "tests/fixtures/policies/bad/admin.json",
            "tests/fixtures/policies/bad/public-invoke.json",
            "tests/fixtures/policies/bad/s3-invoke-no-source.json",
            "tests/fixtures/policies/bad/trust/any-principal.json",
            "tests/fixtures/policies/bad/trust/cross-account.json",
            "tests/fixtures/policies/bad/trust/github-oidc-aud-only.json",
            "tests/fixtures/policies/good/apigateway-invoke.json",
            "tests/fixtures/policies/good/lambda-trust.json",
            "tests/fixtures/policies/good/order-processor.json",
        ],
        "a YAML file that is not a template (ci-workflow.yml) is skipped"
    );
}

#[test]
fn stdin_is_read_for_dash() {
    let admin = std::fs::read(root().join(fixture("policies/bad/admin.json"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["lint", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&admin).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["results"][0]["source"], "-");
    assert_eq!(v["results"][0]["findings"][0]["rule"], "admin-access");
    assert_eq!(v["results"][0]["findings"][0]["location"]["file"], "-");
    assert_eq!(v["results"][0]["findings"][0]["location"]["line"], 4);
}

#[test]
fn url_encoded_documents_are_decoded_and_have_no_line() {
    let (status, v) = json(&[&fixture("policies/bad/admin-url-encoded.json")]);
    assert_eq!(status, 1);
    let f = &v["results"][0]["findings"][0];
    assert_eq!(f["rule"], "admin-access");
    assert!(f["location"]["line"].is_null());
    assert_eq!(f["location"]["statement"], 0);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    // The corpus report is far larger than a pipe's buffer, so the writes
    // really hit the closed pipe.
    let dir = corpus().display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["lint", &dir])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone, like `doorman lint . | head -1`.
    let o = child.wait_with_output().unwrap();
    assert!(!first.is_empty());
    assert_eq!(stderr(&o), "", "no panic, no complaint");
    assert_eq!(code(&o), 1, "the status still says there are findings");
}

// --- formats ---------------------------------------------------------------

#[test]
fn json_has_exactly_the_spec_shape() {
    let (_, v) = json(&[
        &fixture("policies/bad/public-invoke.json"),
        &fixture("malformed/truncated.json"),
    ]);
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&v), ["version", "results", "skipped"]);
    assert_eq!(v["skipped"], 0);
    assert_eq!(v["version"], 1);
    let r = &v["results"][0];
    assert_eq!(keys(r), ["source", "findings", "error"]);
    let f = &r["findings"][0];
    assert_eq!(keys(f), ["rule", "severity", "message", "fix", "location"]);
    assert_eq!(
        keys(&f["location"]),
        ["file", "line", "statement", "sid", "logical_id"]
    );
    assert_eq!(f["rule"], "public-invoke");
    assert_eq!(f["severity"], "critical");
    assert_eq!(
        f["location"],
        serde_json::json!({
            "file": "tests/fixtures/policies/bad/public-invoke.json",
            "line": 5,
            "statement": 0,
            "sid": "AnyoneMayInvoke",
            "logical_id": null
        })
    );
    assert!(v["results"][1]["error"].is_string());
}

#[test]
fn sarif_is_what_github_code_scanning_reads() {
    let o = doorman(&[
        "lint",
        "--format",
        "sarif",
        &fixture("policies/bad/public-invoke.json"),
    ]);
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "doorman");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "public-invoke"
        && r["defaultConfiguration"]["level"] == "error"
        && r["help"]["markdown"].as_str().unwrap().contains("### Fix")));
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "public-invoke");
    assert_eq!(result["level"], "error");
    let idx = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "public-invoke");
    let phys = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        phys["artifactLocation"]["uri"],
        "tests/fixtures/policies/bad/public-invoke.json"
    );
    assert_eq!(phys["region"]["startLine"], 5);
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

// --- explain ---------------------------------------------------------------

#[test]
fn explain_prints_a_rule_page() {
    let o = doorman(&["explain", "public-invoke"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.starts_with("public-invoke (critical): "), "{out}");
    for part in ["Why it matters", "Example that fires", "Fix"] {
        assert!(out.contains(part), "{part}: {out}");
    }
}

#[test]
fn explain_without_a_rule_lists_them_all() {
    let o = doorman(&["explain"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    for id in [
        "admin-access",
        "trust-any-principal",
        "public-invoke",
        "guardrail-tampering",
    ] {
        assert!(out.lines().any(|l| l.starts_with(id)), "{id}: {out}");
    }
}

#[test]
fn explain_an_unknown_rule_suggests_one() {
    let o = doorman(&["explain", "public-invok"]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "error: unknown rule `public-invok`; did you mean `public-invoke`?\n"
    );
}

// --- acceptance (issue 2, SPEC §9) -------------------------------------------

#[test]
fn good_examples_of_spec_9_have_nothing_at_medium_or_above() {
    let o = doorman(&[
        "lint",
        "--min-severity",
        "medium",
        &fixture("policies/good"),
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn bad_examples_get_their_rule() {
    for (file, rule) in [
        ("policies/bad/admin.json", "admin-access"),
        (
            "policies/bad/trust/any-principal.json",
            "trust-any-principal",
        ),
        ("policies/bad/public-invoke.json", "public-invoke"),
        (
            "policies/bad/s3-invoke-no-source.json",
            "service-invoke-no-source",
        ),
        (
            "policies/bad/trust/github-oidc-aud-only.json",
            "trust-oidc-unrestricted",
        ),
    ] {
        let (status, v) = json(&[&fixture(file)]);
        assert_eq!(status, 1, "{file}");
        assert!(rules(&v).contains(&rule.to_string()), "{file}: {v}");
    }
}

#[test]
fn administrator_access_is_critical_admin_access() {
    let (status, v) = json(&[&corpus_file("AdministratorAccess.json")]);
    assert_eq!(status, 1);
    let f = &v["results"][0]["findings"];
    assert!(
        f.as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "admin-access" && f["severity"] == "critical"),
        "{v}"
    );
}

#[test]
fn deny_all_is_not_admin_access() {
    let (_, v) = json(&[&corpus_file("AWSDenyAll.json")]);
    assert!(v["results"][0]["error"].is_null());
    assert!(!rules(&v).contains(&"admin-access".to_string()), "{v}");
}

#[test]
fn lambda_execution_policies_have_nothing_at_medium_or_above() {
    let (status, v) = json(&[
        "--min-severity",
        "medium",
        &corpus_file("AWSLambdaBasicExecutionRole.json"),
        &corpus_file("AWSLambdaVPCAccessExecutionRole.json"),
    ]);
    assert_eq!(status, 0, "{v}");
}

#[test]
fn the_whole_corpus_lints_without_an_error_result() {
    let dir = corpus().display().to_string();
    let (status, v) = json(&[&dir]);
    let results = v["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        1594,
        "every AWS managed policy of the built-in set"
    );
    let errors: Vec<&Value> = results.iter().filter(|r| !r["error"].is_null()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(status, 1, "AdministratorAccess alone has findings");
    // `admin-access` on AdministratorAccess, and on no policy that is not
    // full access.
    let admin: Vec<&str> = results
        .iter()
        .filter(|r| {
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "admin-access")
        })
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert!(
        admin
            .iter()
            .any(|s| s.ends_with("/AdministratorAccess.json")),
        "{admin:?}"
    );
    for source in &admin {
        let text = std::fs::read_to_string(source).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let full = doc["Statement"].as_array().unwrap().iter().any(|st| {
            st["Effect"] == "Allow"
                && [&st["Action"], &st["Action"][0]].iter().any(|a| *a == "*")
                && [&st["Resource"], &st["Resource"][0]]
                    .iter()
                    .any(|r| *r == "*")
                && st.get("Condition").is_none()
        });
        assert!(
            full,
            "admin-access on {source}, which is not full access: {text}"
        );
    }
}

// --- templates (judged by `doorman::template`) --------------------------------

#[test]
fn templates_in_a_folder_are_linted_with_their_logical_id() {
    let (status, v) = json(&[&fixture("lint-dispatch")]);
    assert_eq!(status, 1);
    let results = v["results"].as_array().unwrap();
    let sources: Vec<&str> = results
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            "tests/fixtures/lint-dispatch/public-permission.template",
            "tests/fixtures/lint-dispatch/public-permission.yaml",
        ]
    );
    for r in results {
        assert!(r["error"].is_null(), "{r}");
        let f = &r["findings"][0];
        assert_eq!(f["rule"], "public-invoke");
        assert_eq!(f["location"]["logical_id"], "PublicInvoke");
    }
    assert_eq!(results[1]["findings"][0]["location"]["line"], 10);
}

#[test]
fn template_findings_obey_ignore() {
    let (status, v) = json(&[
        "--ignore",
        "public-invoke",
        &fixture("lint-dispatch/public-permission.yaml"),
    ]);
    assert!(!rules(&v).contains(&"public-invoke".to_string()), "{v}");
    assert_eq!(status, if rules(&v).is_empty() { 0 } else { 1 });
}

#[test]
fn a_named_yaml_file_that_is_not_a_template_is_an_error() {
    let o = doorman(&["lint", &fixture("policies/good/ci-workflow.yml")]);
    assert_input_error(&o, "tests/fixtures/policies/good/ci-workflow.yml: error: ");
}

// --- the README ---------------------------------------------------------------

/// The `doorman lint` example in the README is real: running its command
/// prints exactly the output shown, with the exit status shown.
#[test]
fn readme_lint_example_is_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = readme
        .split("```console\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a ```console block in README.md");
    let mut lines = block.lines();
    let command = lines
        .next()
        .and_then(|l| l.strip_prefix("$ doorman "))
        .expect("the block starts with `$ doorman ...`");
    let rest: Vec<&str> = lines.collect();
    let echo = rest
        .iter()
        .position(|l| *l == "$ echo $?")
        .expect("the block shows the exit status with `$ echo $?`");
    let expected_out: String = rest[..echo].iter().map(|l| format!("{l}\n")).collect();
    let expected_status: i32 = rest[echo + 1].parse().unwrap();
    let args: Vec<&str> = command.split_whitespace().collect();
    let o = doorman(&args);
    assert_eq!(
        stdout(&o),
        expected_out,
        "README.md's example is out of date; replace its output with the above"
    );
    assert_eq!(code(&o), expected_status);
}

#[test]
fn folder_walks_skip_hidden_and_gitignored_files() {
    let dir = std::env::temp_dir().join(format!("doorman-lint-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let admin = std::fs::read_to_string(root().join(fixture("policies/bad/admin.json"))).unwrap();
    for (rel, text) in [
        ("policies/admin.json", admin.as_str()),
        (
            "node_modules/left-pad/package.json",
            "{\"name\": \"left-pad\"}",
        ),
        (".aws-sam/build/admin.json", admin.as_str()),
        (".gitignore", "node_modules/\n"),
    ] {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let (status, v) = json(&[&dir.display().to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
    let sources: Vec<String> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sources,
        [dir.join("policies/admin.json").display().to_string()]
    );
    assert_eq!(status, 1);
}

#[test]
fn a_yaml_template_on_stdin_is_linted_as_a_template() {
    let yaml = std::fs::read(root().join(fixture("lint-dispatch/public-permission.yaml"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["lint", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&yaml).unwrap();
    let o = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["results"][0]["error"].is_null(), "{v}");
    assert_eq!(v["results"][0]["findings"][0]["rule"], "public-invoke");
    assert_eq!(
        v["results"][0]["findings"][0]["location"]["logical_id"],
        "PublicInvoke"
    );
    assert_eq!(code(&o), 1);
}

// --- what a folder holds, and inputs that must be refused (SPEC §6) ---------

/// A scratch folder, removed when the test ends.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh scratch folder for one test, holding `files` (relative path,
/// text).
fn scratch(name: &str, files: &[(&str, &str)]) -> Scratch {
    let dir = std::env::temp_dir().join(format!("doorman-inputs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (rel, text) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    Scratch(dir)
}

fn read_fixture(rel: &str) -> String {
    std::fs::read_to_string(root().join(fixture(rel))).unwrap()
}

/// Runs doorman with `args` and fails the test, rather than hanging it, when
/// it has not finished within ten seconds. Outputs here are small, so the
/// pipes cannot fill while we wait.
fn doorman_within_10s(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run doorman");
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("doorman {args:?} hung for 10 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// The folder of the issue: it held only a broken admin template, and
/// doorman said "no files checked" with exit 0.
#[test]
fn a_broken_template_in_a_folder_is_an_error_naming_it() {
    let admin = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Admin:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies: [{PolicyName: all, PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}\n";
    let dir = scratch("broken-template", &[("admin.yaml", admin)]);
    let o = doorman_within_10s(&["lint", &path_str(&dir)]);
    let out = stdout(&o);
    assert_eq!(code(&o), 2, "{out}");
    let file = path_str(&dir.join("admin.yaml"));
    assert!(
        out.starts_with(&format!("{file}: error: not valid YAML")),
        "{out}"
    );
    // A JSON template that does not parse is an error too.
    let dir = scratch(
        "broken-json-template",
        &[(
            "admin.json",
            "{\"Resources\": {\"Admin\": {\"Type\": \"AWS::IAM::Role\",",
        )],
    );
    let (status, v) = json(&[&path_str(&dir)]);
    assert_eq!(status, 2, "{v}");
    assert_eq!(v["results"][0]["source"], path_str(&dir.join("admin.json")));
    assert!(
        v["results"][0]["error"]
            .as_str()
            .unwrap()
            .starts_with("not valid JSON: "),
        "{v}"
    );
    assert_eq!(v["skipped"], 0);
}

/// Policy-shaped JSON is never skipped: a truncated policy, a lone
/// statement, an array of statements are reported as not IAM policies.
#[test]
fn policy_shaped_json_in_a_folder_is_an_error_not_skipped() {
    let dir = scratch(
        "policy-shaped",
        &[
            (
                "a-truncated.json",
                "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\"",
            ),
            (
                "b-lone-statement.json",
                "{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}",
            ),
            (
                "c-statements.json",
                "[{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]",
            ),
        ],
    );
    let (status, v) = json(&[&path_str(&dir)]);
    assert_eq!(status, 2, "{v}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{v}");
    for r in results {
        assert!(r["error"].is_string(), "{r}");
    }
    assert_eq!(v["skipped"], 0);
}

/// The samples repository of the issue gave 4,267 errors for files like
/// these: they are skipped and counted.
#[test]
fn json_that_is_neither_policy_nor_template_in_a_folder_is_skipped_and_counted() {
    let event = std::fs::read_to_string(root().join("events/put-role-policy-admin.json")).unwrap();
    let trust = read_fixture("policies/good/lambda-trust.json");
    let others: [(&str, &str); 4] = [
        ("package.json", "{\"name\": \"orders\", \"version\": \"1.0.0\", \"dependencies\": {\"aws-cdk-lib\": \"2.0.0\"}}"),
        ("tsconfig.json", "{\n  // JSON with comments, as tsc allows\n  \"compilerOptions\": {\"strict\": true}\n}\n"),
        ("cdk.json", "{\"app\": \"npx ts-node bin/app.ts\", \"context\": {}}"),
        ("events/put-role-policy.json", &event),
    ];
    let mut files = others.to_vec();
    files.push(("policies/trust.json", &trust));
    let dir = scratch("skipped", &files);
    let o = doorman_within_10s(&["lint", &path_str(&dir)]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(
        stdout(&o),
        "no findings in 1 file; 4 JSON files skipped (neither a policy nor a template)\n"
    );
    let (status, v) = json(&[&path_str(&dir)]);
    assert_eq!(status, 0);
    assert_eq!(v["skipped"], 4);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]["source"],
        path_str(&dir.join("policies/trust.json"))
    );

    // The same files with nothing else: nothing to check is exit 2.
    let dir = scratch("only-skipped", &others);
    let o = doorman_within_10s(&["lint", &path_str(&dir)]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    let shown = path_str(&dir);
    assert_eq!(
        stdout(&o),
        format!(
            "{shown}: error: nothing to check in folder `{shown}`: 4 JSON files in it, but neither a policy nor a template\n\
             1 file could not be checked; 4 JSON files skipped (neither a policy nor a template)\n"
        )
    );
}

#[test]
fn a_named_json_file_that_is_not_a_policy_is_an_error() {
    let dir = scratch(
        "named-package",
        &[("package.json", "{\"name\": \"orders\"}")],
    );
    let file = path_str(&dir.join("package.json"));
    let o = doorman_within_10s(&["lint", &file]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stdout(&o),
        format!("{file}: error: not an IAM policy: it has no `Statement` element\n1 file could not be checked\n")
    );
}

#[test]
fn an_empty_folder_is_exit_2_with_a_clear_message() {
    let dir = scratch("empty", &[("README.md", "# nothing here\n")]);
    let o = doorman_within_10s(&["lint", &path_str(&dir)]);
    let shown = path_str(&dir);
    assert_input_error(
        &o,
        &format!("{shown}: error: nothing to check in folder `{shown}`: no policy"),
    );
    // With JSON output too: an error result naming the folder.
    let (status, v) = json(&[&shown]);
    assert_eq!(status, 2);
    assert_eq!(v["results"][0]["source"], shown);
}

#[cfg(unix)]
#[test]
fn a_symlinked_policy_is_followed() {
    let dir = scratch("symlink", &[]);
    std::os::unix::fs::symlink(
        root().join(fixture("policies/bad/admin.json")),
        dir.join("linked-admin.json"),
    )
    .unwrap();
    let (status, v) = json(&[&path_str(&dir)]);
    assert_eq!(status, 1, "{v}");
    assert_eq!(
        v["results"][0]["source"],
        path_str(&dir.join("linked-admin.json"))
    );
    assert!(rules(&v).contains(&"admin-access".to_string()), "{v}");
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_and_the_rest_still_checked() {
    let admin = read_fixture("policies/bad/admin.json");
    let dir = scratch("symlink-loop", &[("admin.json", &admin)]);
    // A folder link back to its own folder, and a file link to itself.
    std::os::unix::fs::symlink(".", dir.join("again")).unwrap();
    std::os::unix::fs::symlink("self.json", dir.join("self.json")).unwrap();
    // Dangling: a policy that is missing is an error; a stale link of a
    // kind doorman never reads is not.
    std::os::unix::fs::symlink("nowhere.json", dir.join("gone.json")).unwrap();
    std::os::unix::fs::symlink("nowhere", dir.join("stale")).unwrap();
    let o = doorman_within_10s(&["lint", "--format", "json", &path_str(&dir)]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = v["results"].as_array().unwrap();
    let error_of = |source: &Path| {
        results
            .iter()
            .find(|r| r["source"] == path_str(source))
            .and_then(|r| r["error"].as_str())
            .unwrap_or_else(|| panic!("no error for {}: {v}", source.display()))
            .to_string()
    };
    assert!(
        error_of(&dir.join("again")).starts_with("symbolic link loop: "),
        "{v}"
    );
    // The OS's own words, once, after the path (no "IO error for ..." echo).
    for (name, why) in [
        ("self.json", "Too many levels of symbolic links (os error "),
        ("gone.json", "No such file or directory (os error "),
    ] {
        let e = error_of(&dir.join(name));
        let want = format!("cannot read `{}`: {why}", path_str(&dir.join(name)));
        assert!(e.starts_with(&want), "{e}");
    }
    assert_eq!(results.len(), 4, "admin, again, gone, self: {v}");
    assert!(
        results
            .iter()
            .any(|r| r["source"] == path_str(&dir.join("admin.json"))
                && r["findings"][0]["rule"] == "admin-access"),
        "{v}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_hanging() {
    let dir = scratch(
        "fifo",
        &[("admin.json", &read_fixture("policies/bad/admin.json"))],
    );
    let fifo = dir.join("pipe.json");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    // Named on the command line...
    let o = doorman_within_10s(&["lint", &path_str(&fifo)]);
    assert_eq!(code(&o), 2);
    let shown = path_str(&fifo);
    assert_eq!(
        stdout(&o),
        format!(
            "{shown}: error: cannot read `{shown}`: it is a FIFO (named pipe), not a regular file; \
             doorman reads files, folders and `-` (standard input)\n1 file could not be checked\n"
        )
    );
    // ...and found in a folder, where the other file is still checked.
    let o = doorman_within_10s(&["lint", "--format", "json", &path_str(&dir)]);
    assert_eq!(code(&o), 2);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["results"][0]["findings"][0]["rule"], "admin-access",
        "{v}"
    );
    assert_eq!(v["results"][1]["source"], shown);
    assert!(
        v["results"][1]["error"].as_str().unwrap().contains("FIFO"),
        "{v}"
    );
}

#[cfg(unix)]
#[test]
fn a_device_is_refused_without_reading_it() {
    let o = doorman_within_10s(&["lint", "/dev/zero"]);
    assert_input_error(
        &o,
        "/dev/zero: error: cannot read `/dev/zero`: it is a character device, not a regular file",
    );
}

#[test]
fn a_file_over_the_size_cap_is_refused_unread() {
    let dir = scratch("big", &[]);
    let big = dir.join("huge.json");
    // Sparse: 10 MiB + 1 byte of nothing, written in no time.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(10 * 1024 * 1024 + 1)
        .unwrap();
    let o = doorman_within_10s(&["lint", &path_str(&big)]);
    let shown = path_str(&big);
    assert_input_error(
        &o,
        &format!(
            "{shown}: error: `{shown}` is over the 10 MiB limit on one input (10485761 bytes)"
        ),
    );
    // Exactly at the cap is read (and found to be no policy).
    std::fs::File::create(&big)
        .unwrap()
        .set_len(10 * 1024 * 1024)
        .unwrap();
    let o = doorman_within_10s(&["lint", &path_str(&big)]);
    assert_eq!(code(&o), 2);
    assert!(!stdout(&o).contains("limit"), "{}", stdout(&o));
}

#[test]
fn standard_input_is_bounded_too() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["lint", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // More than the cap; doorman stops reading past it, so the writer
    // sees a closed pipe rather than blocking.
    let writer = std::thread::spawn(move || {
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..12 {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_input_error(
        &o,
        "-: error: standard input is over the 10 MiB limit on one input",
    );
}

/// A Sid holding a newline and a fake finding line must not become a line
/// of its own in the CI log.
#[test]
fn text_output_escapes_a_forged_line_in_a_sid() {
    let fake = "ok.json:1: info fake-rule: all clear";
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": format!("X\n{fake}\r\u{1b}[2K\u{2028}"),
            "Effect": "Allow", "Action": "*", "Resource": "*"
        }]
    })
    .to_string();
    let dir = scratch("forged-sid", &[("p.json", &policy)]);
    let o = doorman_within_10s(&["lint", &path_str(&dir.join("p.json"))]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    for line in out.lines() {
        assert!(!line.starts_with("ok.json"), "a forged line: {out}");
        assert!(
            !line.contains(['\r', '\u{1b}', '\u{2028}']),
            "a raw control character: {out:?}"
        );
    }
    assert!(
        out.contains("X\\nok.json:1: info fake-rule: all clear\\r\\u{1b}[2K\\u{2028}"),
        "{out}"
    );
    // JSON keeps the Sid exactly (serde escapes it).
    let (_, v) = json(&[&path_str(&dir.join("p.json"))]);
    let sids: Vec<&str> = v["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["sid"].as_str())
        .collect();
    assert!(sids.iter().any(|s| s.contains(&format!("\n{fake}"))), "{v}");
}

#[cfg(unix)]
#[test]
fn text_output_escapes_a_newline_in_a_file_name() {
    let fake = "ok.json:1: info fake-rule: all clear";
    let dir = scratch(
        "forged-name",
        &[(
            &format!("a\n{fake}.json"),
            &read_fixture("policies/bad/admin.json"),
        )],
    );
    let o = doorman_within_10s(&["lint", &path_str(&dir)]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.lines().all(|l| !l.starts_with("ok.json")), "{out}");
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "{}/a\\n{fake}.json:4: critical admin-access: ",
            path_str(&dir)
        )),
        "{out}"
    );
}

#[test]
fn lint_help_says_what_is_skipped_and_the_size_cap() {
    let o = doorman(&["lint", "--help"]);
    assert_eq!(code(&o), 0);
    let help = stdout(&o);
    for part in [
        "package.json",
        "skipped and counted",
        "is an error",
        "10 MiB",
        "FIFOs",
        "Symbolic links",
    ] {
        assert!(help.contains(part), "{part}: {help}");
    }
}

/// A document CloudFormation builds at deploy time (`Fn::Transform` /
/// `AWS::Include`) is skipped with a note the user sees, in text and JSON,
/// never reported as an invalid policy.
#[test]
fn a_transformed_document_is_a_note_not_an_invalid_policy() {
    let path = fixture("templates/intrinsics-judged.yaml");
    let out = doorman(&["lint", &path]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "{path}: note: PolicyDocument of `UserInline` (line 67) is not judged: `Fn::Transform`"
        )),
        "{text}"
    );
    let (_, v) = json(&[&path]);
    let result = &v["results"][0];
    assert!(result["notes"][0]
        .as_str()
        .is_some_and(|n| n.contains("`Fn::Transform`")));
    assert!(!rules(&v).contains(&"invalid-policy".to_string()), "{v}");
}
