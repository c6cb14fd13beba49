//! Text, JSON (SPEC §6) and SARIF renderings of a [`Report`]. Pure: each
//! returns a `String`; the CLI decides where it goes. Everything that comes
//! from the account (names, ARNs, messages quoting them) goes through
//! [`log_safe`] in text, so no role name can forge a line of a CI log.

use super::{Door, Kind, Located, Report, Subject};
use crate::report::{artifact_uri, log_safe, sarif_level, sarif_rules, SARIF_SCHEMA};
use crate::rules::{RuleId, Severity};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;

/// The findings of a function's two doors: outbound (its role's own
/// findings, then the function's), inbound.
pub fn doors<'a>(
    function: &'a Subject,
    roles: &HashMap<&str, &'a Subject>,
) -> (Option<&'a Subject>, Vec<&'a Located>, Vec<&'a Located>) {
    let role = function
        .role
        .as_deref()
        .and_then(|arn| roles.get(arn).copied());
    let mut outbound: Vec<&Located> = role
        .map(|r| r.findings.iter().collect())
        .unwrap_or_default();
    outbound.extend(
        function
            .findings
            .iter()
            .filter(|f| f.door == Door::Outbound),
    );
    outbound.sort_by_key(|f| std::cmp::Reverse(f.finding.severity));
    let inbound = function
        .findings
        .iter()
        .filter(|f| f.door == Door::Inbound)
        .collect();
    (role, outbound, inbound)
}

/// Roles by ARN, for [`doors`].
pub fn roles_by_arn(report: &Report) -> HashMap<&str, &Subject> {
    report
        .subjects
        .iter()
        .filter(|s| s.kind == Kind::Role)
        .map(|s| (s.arn.as_str(), s))
        .collect()
}

fn finding_lines(out: &mut String, indent: &str, f: &Located) {
    let doc = f
        .document
        .as_deref()
        .map(|d| format!(" [{}]", log_safe(d)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{indent}{} {}{doc}: {}",
        f.finding.severity,
        f.finding.rule,
        log_safe(&f.finding.message)
    );
    let _ = writeln!(out, "{indent}  fix: {}", log_safe(&f.finding.fix));
}

/// Text for a terminal: each function with its two doors, one after the
/// other; then the roles, users, groups, policies and layers that belong
/// to no function; then errors, notes and a summary line.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let roles = roles_by_arn(report);
    for f in report.subjects.iter().filter(|s| s.kind == Kind::Function) {
        let _ = writeln!(out, "function {} ({})", log_safe(&f.name), log_safe(&f.arn));
        let (role, outbound, inbound) = doors(f, &roles);
        let role_name = role
            .map(|r| log_safe(&r.name).into_owned())
            .or_else(|| f.role.as_deref().map(|r| log_safe(r).into_owned()))
            .unwrap_or_else(|| "none".into());
        let _ = writeln!(out, "  outbound (execution role {role_name}):");
        if outbound.is_empty() {
            let _ = writeln!(out, "    no findings");
        }
        for l in outbound {
            finding_lines(&mut out, "    ", l);
        }
        let _ = writeln!(out, "  inbound (resource policy, URL, layers):");
        if inbound.is_empty() {
            let _ = writeln!(out, "    no findings");
        }
        for l in inbound {
            finding_lines(&mut out, "    ", l);
        }
        for n in &f.notes {
            let _ = writeln!(out, "  note: {}", log_safe(n));
        }
    }
    let rest: Vec<&Subject> = report
        .subjects
        .iter()
        .filter(|s| {
            s.kind != Kind::Function
                && s.functions.is_empty()
                && (!s.findings.is_empty() || !s.notes.is_empty())
        })
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "\nroles, users, groups, policies and layers that belong to no function:"
        );
    }
    for s in rest {
        let _ = writeln!(
            out,
            "{} {} ({})",
            s.kind.as_str(),
            log_safe(&s.name),
            log_safe(&s.arn)
        );
        for l in &s.findings {
            finding_lines(&mut out, "    ", l);
        }
        for n in &s.notes {
            let _ = writeln!(out, "  note: {}", log_safe(n));
        }
    }
    for e in &report.errors {
        let _ = writeln!(
            out,
            "{}: error: {}",
            log_safe(&e.file),
            log_safe(&e.message)
        );
    }
    for n in &report.notes {
        let _ = writeln!(out, "note: {}", log_safe(n));
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// `3 roles`, `1 role`.
pub fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// "12 findings (1 critical, 3 high, ...) in 4 functions, 30 roles, 2
/// users, 1 group", with errors and skipped files.
pub fn summary_line(report: &Report) -> String {
    let count = |k: Kind| report.subjects.iter().filter(|s| s.kind == k).count();
    let by = report.by_severity();
    let n = report.findings();
    let mut line = if n == 0 {
        "no findings".to_string()
    } else {
        let parts: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter(|s| by[**s as usize] > 0)
            .map(|s| format!("{} {s}", by[*s as usize]))
            .collect();
        format!(
            "{n} finding{} ({})",
            if n == 1 { "" } else { "s" },
            parts.join(", ")
        )
    };
    let _ = write!(
        line,
        " in {}, {}, {}, {}",
        plural(count(Kind::Function), "function"),
        plural(count(Kind::Role), "role"),
        plural(count(Kind::User), "user"),
        plural(count(Kind::Group), "group")
    );
    if !report.errors.is_empty() {
        let _ = write!(line, "; {} file(s) could not be read", report.errors.len());
    }
    if report.skipped > 0 {
        let _ = write!(
            line,
            "; {} JSON file(s) skipped (no AWS CLI output)",
            report.skipped
        );
    }
    line
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    file: &'a str,
    line: Option<usize>,
    statement: Option<usize>,
    sid: Option<&'a str>,
    logical_id: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: RuleId,
    severity: Severity,
    message: &'a str,
    fix: &'a str,
    door: Door,
    location: JsonLocation<'a>,
}

#[derive(Serialize)]
struct JsonResult<'a> {
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    findings: Vec<JsonFinding<'a>>,
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    functions: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    account: Option<&'a str>,
    lambda_inventory: bool,
    notes: &'a [String],
    skipped: usize,
    results: Vec<JsonResult<'a>>,
}

fn json_finding<'a>(s: &'a Subject, l: &'a Located) -> JsonFinding<'a> {
    JsonFinding {
        rule: l.finding.rule,
        severity: l.finding.severity,
        message: &l.finding.message,
        fix: &l.finding.fix,
        door: l.door,
        location: JsonLocation {
            file: &s.file,
            line: None,
            statement: l.finding.statement.as_ref().map(|st| st.index),
            sid: l
                .finding
                .statement
                .as_ref()
                .and_then(|st| st.sid.as_deref()),
            logical_id: l.document.as_deref(),
        },
    }
}

/// The SPEC §6 report: one result per subject, `source` its ARN, and one
/// per file that could not be read, `source` the file. Serialized straight
/// from the report (a large account has tens of thousands of findings).
pub fn json(report: &Report) -> String {
    let mut results: Vec<JsonResult<'_>> = report
        .subjects
        .iter()
        .map(|s| JsonResult {
            source: &s.arn,
            kind: Some(s.kind),
            name: Some(&s.name),
            findings: s.findings.iter().map(|l| json_finding(s, l)).collect(),
            error: None,
            role: s.role.as_deref(),
            functions: &s.functions,
            notes: &s.notes,
        })
        .collect();
    results.extend(report.errors.iter().map(|e| JsonResult {
        source: &e.file,
        kind: None,
        name: None,
        findings: Vec::new(),
        error: Some(&e.message),
        role: None,
        functions: &[],
        notes: &[],
    }));
    let doc = JsonReport {
        version: 1,
        account: report.account.as_deref(),
        lambda_inventory: report.lambda_inventory,
        notes: &report.notes,
        skipped: report.skipped,
        results,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// SARIF 2.1.0: each finding's location is logical (the subject by ARN, the
/// document, the statement), with the inventory file as its artifact so
/// code scanning can place it.
pub fn sarif(report: &Report) -> String {
    let rule_index = |id: RuleId| RuleId::ALL.iter().position(|r| *r == id);
    let mut results = Vec::new();
    for s in &report.subjects {
        for l in &s.findings {
            let mut logical = vec![json!({
                "name": s.name,
                "fullyQualifiedName": s.arn,
                "kind": "resource",
            })];
            if let Some(doc) = &l.document {
                logical.push(json!({
                    "name": doc,
                    "fullyQualifiedName": format!("{} / {doc}", s.arn),
                    "kind": "object",
                }));
            }
            if let Some(st) = &l.finding.statement {
                logical.push(json!({ "name": st.to_string(), "kind": "object" }));
            }
            results.push(json!({
                "ruleId": l.finding.rule.as_str(),
                "ruleIndex": rule_index(l.finding.rule),
                "level": sarif_level(l.finding.severity),
                "message": { "text": format!("{}\nFix: {}", log_safe(&l.finding.message), log_safe(&l.finding.fix)) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(&s.file) },
                        "region": { "startLine": 1 },
                    },
                    "logicalLocations": logical,
                }],
                "properties": { "severity": l.finding.severity.as_str(), "source": s.arn },
            }));
        }
    }
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", log_safe(&e.file), log_safe(&e.message)) },
            })
        })
        .collect();
    let doc = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "doorman",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": sarif_rules(),
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
