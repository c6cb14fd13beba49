//! `doorman replay` as a user runs it: exit status, text and JSON output.

use serde_json::Value;
use std::process::{Command, Output};

fn doorman(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DOORMAN_TRAIL_NAME")
        .env_remove("DOORMAN_TOPIC_ARN")
        .output()
        .expect("doorman runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn replaying_the_samples_prints_alerts_and_exits_1() {
    let o = doorman(&["replay", "events/"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(out.contains("== events/attach-role-policy-admin.json ==\nSubject: [doorman] CRITICAL broad-managed-policy on orders-processor-role\n"));
    assert!(!out.contains("== events/attach-role-policy-benign.json =="));
    assert!(out
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .contains(" alerts from "));
}

#[test]
fn json_output_has_every_event_and_the_sns_message() {
    let o = doorman(&["replay", "--format", "json", "events/"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["version"], 1);
    let results = v["results"].as_array().unwrap();
    assert!(results.len() >= 31);
    for r in results {
        let source = r["source"].as_str().unwrap();
        assert_eq!(r["error"], Value::Null, "{source}");
        assert!(r["event"]["id"].is_string(), "{source}");
        let findings = r["findings"].as_array().unwrap();
        match &r["alert"] {
            Value::Null => assert!(findings.is_empty(), "{source}"),
            alert => {
                assert!(!findings.is_empty(), "{source}");
                assert_eq!(findings[0]["location"]["file"], source);
                assert_eq!(alert["message_structure"], "json");
                let message: Value =
                    serde_json::from_str(alert["message"].as_str().unwrap()).unwrap();
                for key in ["default", "email", "sqs", "lambda", "https"] {
                    assert!(message[key].is_string(), "{source}: {key}");
                }
                let body: Value = serde_json::from_str(message["sqs"].as_str().unwrap()).unwrap();
                assert_eq!(body["version"], 1);
                assert_eq!(body["event"]["id"], r["event"]["id"]);
                assert_eq!(
                    body["highest_severity"],
                    alert["message_attributes"]["severity"]["value"]
                );
            }
        }
    }
    let benign = results
        .iter()
        .find(|r| r["source"] == "events/put-role-policy-benign.json")
        .unwrap();
    assert_eq!(benign["alert"], Value::Null);
}

#[test]
fn exit_status_follows_findings_min_severity_and_errors() {
    assert_eq!(
        doorman(&["replay", "events/put-role-policy-benign.json"])
            .status
            .code(),
        Some(0)
    );
    // A high finding is below `--min-severity critical`.
    let o = doorman(&[
        "replay",
        "--min-severity",
        "critical",
        "events/add-layer-version-permission-public.json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "no alerts from 1 event\n");
    // A missing file is named, and the other files are still replayed.
    let o = doorman(&[
        "replay",
        "events/nope.json",
        "events/add-permission-public.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.starts_with("events/nope.json: error: cannot read `events/nope.json`: "),
        "{out}"
    );
    assert!(out.contains("CRITICAL public-invoke"));
}

/// The summary lines the README quotes are the real ones: the Quick start's
/// and the replay section's `replay events/`, and the `tamper-*` samples
/// replayed with a default deployment's `DOORMAN_*` names (events/README.md).
#[test]
fn the_readmes_replay_summaries_are_real() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let last = |o: &Output| {
        stdout(o)
            .trim_end()
            .lines()
            .last()
            .unwrap_or("")
            .to_string()
    };
    let all = last(&doorman(&["replay", "events/"]));
    assert!(all.contains(" alerts from "), "{all}");
    assert!(
        readme.contains(&format!("ends with `{all}`")),
        "README's Quick start must quote `{all}`"
    );
    assert!(
        readme.contains(&format!(
            "$ cargo run --release -- replay events/ | tail -1\n{all}\n"
        )),
        "README's replay section must quote `{all}`"
    );
    let mut tamper: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/events"))
        .expect("events/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tamper-") && n.ends_with(".json"))
        .map(|n| format!("events/{n}"))
        .collect();
    tamper.sort();
    let mut args = vec!["replay"];
    args.extend(tamper.iter().map(String::as_str));
    let o = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DOORMAN_TRAIL_NAME")
        .envs([
            ("DOORMAN_ROLE_NAME", "doorman-DoormanRole-Q1W2E3R4T5Y6"),
            ("DOORMAN_FUNCTION_NAME", "doorman"),
            (
                "DOORMAN_KEY_ARN",
                "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b",
            ),
            ("DOORMAN_CHANGE_RULE_NAME", "doorman-changes"),
            ("DOORMAN_TAMPER_RULE_NAME", "doorman-tampering"),
            (
                "DOORMAN_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:doorman-alerts",
            ),
            (
                "DOORMAN_QUEUE_ARN",
                "arn:aws:sqs:us-east-1:123456789012:doorman-failures",
            ),
            ("DOORMAN_LOG_GROUP", "/aws/lambda/doorman"),
        ])
        .output()
        .expect("doorman runs");
    let named = last(&o);
    assert_eq!(
        named,
        format!(
            "{n} alerts from {n} events ({c} critical, 2 low)",
            n = tamper.len(),
            c = tamper.len() - 2
        ),
        "every tamper sample alerts, the two failed attempts at low"
    );
    assert!(
        readme.contains(&format!("(`{named}`)")),
        "README's replay section must quote `{named}`"
    );
}
