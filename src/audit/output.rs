//! Text, JSON (SPEC §6) and SARIF renderings of a [`Report`]. Pure: each
//! returns a `String`; the CLI decides where it goes. Everything that comes
//! from the account (names, ARNs, messages quoting them) goes through
//! [`log_safe`] in text, so no role name can forge a line of a CI log.

use super::{Door, Kind, Located, Report, Subject};
use crate::report::{artifact_uri, log_safe, sarif_document, sarif_notification, sarif_result};
use crate::rules::{RuleId, Severity};
use serde::Serialize;
use serde_json::json;
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

/// The width text is laid out for when the CLI is not told one (`COLUMNS`).
pub const DEFAULT_WIDTH: usize = 100;

/// Below this width the two doors are printed one after the other: two
/// columns of under 33 characters would wrap every message to ribbons.
pub const MIN_SIDE_BY_SIDE: usize = 72;

/// The width to lay text out for: `COLUMNS` as a shell sets it, or
/// [`DEFAULT_WIDTH`] when it is unset or not a number.
pub fn width_from(columns: Option<&str>) -> usize {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// `text` cut into lines of at most `width` characters, at spaces where it
/// can and inside a word (an ARN) where it must; lines after the first
/// start with `hang`. Counts characters, not display cells: what comes from
/// the account is mostly ASCII (IAM and Lambda names are).
fn wrap(text: &str, width: usize, hang: &str) -> Vec<String> {
    let width = width.max(hang.chars().count() + 8);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let sep = usize::from(len > 0 && !line.ends_with(' '));
            if len + sep + word.len() <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                len += sep + word.len();
                break;
            }
            // A word longer than a whole line is cut; a shorter one moves
            // to the next line.
            let start = hang.chars().count();
            if word.len() > width - start && len + sep < width {
                if sep == 1 {
                    line.push(' ');
                    len += 1;
                }
                let room = width - len;
                line.extend(word.drain(..room));
            }
            lines.push(std::mem::take(&mut line));
            line.push_str(hang);
            len = start;
        }
    }
    if len > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A finding as lines of at most `width` characters: severity, rule,
/// document and message, then its fix, each wrapped with a hanging indent.
fn finding_block(f: &Located, width: usize) -> Vec<String> {
    let doc = f
        .document
        .as_deref()
        .map(|d| format!(" [{}]", log_safe(d)))
        .unwrap_or_default();
    let head = format!(
        "{} {}{doc}: {}",
        f.finding.severity,
        f.finding.rule,
        log_safe(&f.finding.message)
    );
    let mut lines = wrap(&head, width, "  ");
    let fix = format!("fix: {}", log_safe(&f.finding.fix));
    lines.extend(
        wrap(&fix, width.saturating_sub(2), "     ")
            .into_iter()
            .map(|l| format!("  {l}")),
    );
    lines
}

/// One door as a column: its heading, then its findings (or "no findings").
fn door_column(heading: &str, findings: &[&Located], width: usize) -> Vec<String> {
    let mut lines = wrap(heading, width, "  ");
    if findings.is_empty() {
        lines.push("no findings".to_string());
    }
    for f in findings {
        lines.extend(finding_block(f, width));
    }
    lines
}

fn finding_lines(out: &mut String, indent: &str, f: &Located, width: usize) {
    let width = width.saturating_sub(indent.chars().count());
    for line in finding_block(f, width) {
        let _ = writeln!(out, "{indent}{line}");
    }
}

/// Text for a terminal, laid out for [`DEFAULT_WIDTH`] columns: see
/// [`text_width`].
pub fn text(report: &Report) -> String {
    text_width(report, DEFAULT_WIDTH)
}

/// Text for a terminal `width` characters wide: each function with its two
/// doors side by side (execution role on the left, front door on the
/// right; one after the other below [`MIN_SIDE_BY_SIDE`]); then the roles,
/// users, groups, policies and layers that belong to no function; then
/// errors, notes and a summary line. Plain text, no colours, so it reads
/// the same in a pipe or a CI log.
pub fn text_width(report: &Report, width: usize) -> String {
    let mut out = String::new();
    let roles = roles_by_arn(report);
    // Two columns after a 2-space indent, joined by " | ".
    let column = width.saturating_sub(5) / 2;
    for f in report.subjects.iter().filter(|s| s.kind == Kind::Function) {
        let _ = writeln!(out, "function {} ({})", log_safe(&f.name), log_safe(&f.arn));
        let (role, outbound, inbound) = doors(f, &roles);
        let role_name = role
            .map(|r| log_safe(&r.name).into_owned())
            .or_else(|| f.role.as_deref().map(|r| log_safe(r).into_owned()))
            .unwrap_or_else(|| "none".into());
        let outbound_heading = format!("outbound (execution role {role_name}):");
        let inbound_heading = "inbound (resource policy, URL, layers):";
        if width >= MIN_SIDE_BY_SIDE {
            let left = door_column(&outbound_heading, &outbound, column);
            let right = door_column(inbound_heading, &inbound, column);
            for i in 0..left.len().max(right.len()) {
                let l = left.get(i).map(String::as_str).unwrap_or("");
                let r = right.get(i).map(String::as_str).unwrap_or("");
                let pad = column.saturating_sub(l.chars().count());
                let line = format!("  {l}{:pad$} | {r}", "");
                let _ = writeln!(out, "{}", line.trim_end());
            }
        } else {
            for (heading, findings) in [
                (outbound_heading.as_str(), &outbound),
                (inbound_heading, &inbound),
            ] {
                let _ = writeln!(out, "  {heading}");
                if findings.is_empty() {
                    let _ = writeln!(out, "    no findings");
                }
                for l in findings {
                    finding_lines(&mut out, "    ", l, width);
                }
            }
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
            finding_lines(&mut out, "    ", l, width);
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
            let location = json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": artifact_uri(&s.file) },
                    "region": { "startLine": 1 },
                },
                "logicalLocations": logical,
            });
            let mut result = sarif_result(&l.finding, location);
            result["properties"]["source"] = json!(s.arn);
            results.push(result);
        }
    }
    let notifications = report
        .errors
        .iter()
        .map(|e| sarif_notification(&e.file, &e.message))
        .collect();
    sarif_document(results, notifications)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Finding;

    fn subject(kind: Kind, name: &str, role: Option<&str>) -> Subject {
        Subject {
            kind,
            name: name.into(),
            arn: format!("arn:aws:iam::111122223333:{}/{name}", kind.as_str()),
            file: "x.json".into(),
            findings: Vec::new(),
            notes: Vec::new(),
            role: role.map(str::to_string),
            functions: Vec::new(),
        }
    }

    fn located(rule: RuleId, severity: Severity, message: &str, door: Door) -> Located {
        Located {
            finding: Finding::new(rule, severity, message.into(), "do the fix".into()),
            document: Some("resource policy".into()),
            door,
        }
    }

    /// A function whose role cannot write logs and whose policy lets anyone
    /// invoke it: one finding behind each door.
    fn report() -> Report {
        let mut role = subject(Kind::Role, "hook-role", None);
        role.functions = vec!["hook".into()];
        let mut f = subject(Kind::Function, "hook", Some(&role.arn));
        f.findings.push(located(
            RuleId::MissingLogs,
            Severity::Medium,
            "role `hook-role` of function `hook` cannot write its logs to /aws/lambda/hook",
            Door::Outbound,
        ));
        f.findings.push(located(
            RuleId::PublicInvoke,
            Severity::Critical,
            "statement `anyone` lets principal `*` invoke arn:aws:lambda:us-east-1:111122223333:function:hook-with-a-very-long-name-that-cannot-fit",
            Door::Inbound,
        ));
        Report {
            subjects: vec![f, role],
            lambda_inventory: true,
            ..Report::default()
        }
    }

    #[test]
    fn wrapping_keeps_every_word_and_every_line_within_the_width() {
        let text = "critical public-invoke: principal `*` may invoke arn:aws:lambda:us-east-1:111122223333:function:orders-processor-with-a-long-name";
        for width in [20, 33, 47] {
            let lines = wrap(text, width, "  ");
            assert!(lines.len() > 1);
            for l in &lines {
                assert!(l.chars().count() <= width, "{width}: {l:?}");
            }
            assert!(lines[1..].iter().all(|l| l.starts_with("  ")));
            // Nothing lost: the words (and the cut ARN) join back up.
            assert_eq!(
                lines.concat().replace(' ', ""),
                text.replace(' ', ""),
                "{width}"
            );
            // Words that fit a line are never cut; only the ARN is.
            let arn = text.rsplit(' ').next().unwrap();
            for token in lines.iter().flat_map(|l| l.split_whitespace()) {
                assert!(
                    text.split(' ').any(|w| w == token) || arn.contains(token),
                    "{width}: {token:?} in {lines:?}"
                );
            }
        }
        assert_eq!(wrap("short", 40, "  "), vec!["short".to_string()]);
    }

    #[test]
    fn each_function_shows_its_two_doors_side_by_side() {
        let text = text_width(&report(), 100);
        let lines: Vec<&str> = text.lines().collect();
        let heading = lines
            .iter()
            .find(|l| l.contains("outbound (execution role hook-role):"))
            .expect("the outbound heading");
        // Both headings on one line, the separator between them.
        assert!(
            heading.contains(" | inbound (resource policy, URL, layers):"),
            "{text}"
        );
        let bar = heading.find(" | ").unwrap();
        // Every line of the function's block keeps the column boundary, and
        // no line is wider than asked.
        let block: Vec<&&str> = lines
            .iter()
            .skip_while(|l| !l.starts_with("  outbound"))
            .take_while(|l| l.starts_with("  "))
            .collect();
        assert!(block.len() >= 4, "{text}");
        for l in &block {
            assert!(l.chars().count() <= 100, "{l:?}");
            assert_eq!(l.find(" |"), Some(bar), "{text}");
        }
        // The role's finding is on the left, the policy's on the right.
        let missing = block
            .iter()
            .find(|l| l.contains("medium missing-logs"))
            .unwrap();
        assert!(missing.find("missing-logs").unwrap() < bar);
        let public = block
            .iter()
            .find(|l| l.contains("critical public-invoke"))
            .unwrap();
        assert!(public.find("public-invoke").unwrap() > bar);
        // The long ARN is wrapped inside the right column, not lost.
        let right: String = block
            .iter()
            .map(|l| l.get(bar + 3..).unwrap_or("").trim())
            .collect();
        assert!(right.contains("function:hook-with-a-very-long-name-that-cannot-fit"));
    }

    #[test]
    fn a_narrow_terminal_gets_the_doors_one_after_the_other() {
        let text = text_width(&report(), 60);
        assert!(!text.contains(" | "), "{text}");
        let outbound = text
            .find("  outbound (execution role hook-role):\n")
            .unwrap();
        let inbound = text
            .find("  inbound (resource policy, URL, layers):\n")
            .unwrap();
        assert!(outbound < inbound);
        assert!(
            text.lines()
                .filter(|l| l.starts_with("    "))
                .all(|l| l.chars().count() <= 60),
            "{text}"
        );
    }

    #[test]
    fn the_width_comes_from_columns_or_defaults_to_100() {
        assert_eq!(width_from(None), 100);
        assert_eq!(width_from(Some("132")), 132);
        assert_eq!(width_from(Some("wide")), 100);
        assert_eq!(width_from(Some("0")), 100);
    }

    #[test]
    fn account_text_is_escaped_in_both_columns() {
        let mut r = report();
        r.subjects[0].findings[1].finding.message = "evil\n[0;31mforged\u{1b}[0m".into();
        let text = text_width(&r, 100);
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("evil\\n[0;31mforged\\u{1b}[0m"), "{text}");
    }
}
