//! What is new in an audit: the findings of one JSON report (`doorman audit
//! --format json`) that the previous report did not have, for a daily
//! reconcile that tells a person only what changed.
//!
//! A finding is the same finding when it is about the same subject (the
//! result's `source`, an ARN), by the same rule, in the same document and
//! statement, with the same message. A finding that moved to another
//! statement or whose message changed (a wider grant) is new.

use serde_json::Value;
use std::collections::HashSet;

/// A finding of the current report that the previous one lacks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    /// The subject's ARN (the result's `source`).
    pub source: String,
    /// The finding, as the report has it.
    pub finding: Value,
}

fn key(source: &str, f: &Value) -> String {
    let loc = &f["location"];
    // Value's Display is compact JSON, so this is unambiguous.
    Value::Array(vec![
        Value::from(source),
        f["rule"].clone(),
        loc["logical_id"].clone(),
        loc["statement"].clone(),
        loc["sid"].clone(),
        f["message"].clone(),
    ])
    .to_string()
}

fn findings(report: &Value) -> impl Iterator<Item = (&str, &Value)> {
    report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| {
            let source = r["source"].as_str().unwrap_or("");
            r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |f| (source, f))
        })
}

/// The findings of `current` that `previous` lacks, in `current`'s order.
/// Linear in the size of both reports.
pub fn new_findings(previous: &Value, current: &Value) -> Vec<NewFinding> {
    let seen: HashSet<String> = findings(previous).map(|(s, f)| key(s, f)).collect();
    findings(current)
        .filter(|(s, f)| !seen.contains(&key(s, f)))
        .map(|(s, f)| NewFinding {
            source: s.to_string(),
            finding: f.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(findings: &[(&str, &str, &str)]) -> Value {
        json!({
            "version": 1,
            "results": findings.iter().map(|(source, rule, message)| json!({
                "source": source,
                "findings": [{"rule": rule, "severity": "high", "message": message, "fix": "x",
                              "location": {"file": "f", "line": null, "statement": 0, "sid": null, "logical_id": "trust policy"}}],
                "error": null,
            })).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn nothing_changed_is_nothing_new() {
        let a = report(&[("arn:r1", "admin-access", "m")]);
        assert!(new_findings(&a, &a).is_empty());
    }

    #[test]
    fn a_new_finding_and_a_changed_message_are_new_a_fixed_one_is_not() {
        let before = report(&[
            ("arn:r1", "admin-access", "m"),
            ("arn:r2", "missing-logs", "m"),
        ]);
        let after = report(&[
            ("arn:r1", "admin-access", "m"),
            ("arn:r3", "public-invoke", "m"),
            ("arn:r1", "service-wildcard", "`s3:*`, `ec2:*`"),
        ]);
        let new = new_findings(&before, &after);
        let got: Vec<(&str, &str)> = new
            .iter()
            .map(|n| (n.source.as_str(), n.finding["rule"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [("arn:r3", "public-invoke"), ("arn:r1", "service-wildcard")]
        );
    }

    #[test]
    fn the_same_rule_on_another_subject_is_new() {
        let before = report(&[("arn:r1", "admin-access", "m")]);
        let after = report(&[("arn:r2", "admin-access", "m")]);
        assert_eq!(new_findings(&before, &after).len(), 1);
    }
}
