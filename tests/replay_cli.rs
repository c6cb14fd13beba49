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
