//! The report as text (for a person; everything from the evidence escaped,
//! so no event can forge a line) and as JSON (the whole report, the
//! proposed policy as a document).

use super::propose::RoleReport;
use super::Report;
use crate::report::log_safe;
use std::fmt::Write;

/// How many unused actions of one service the text lists by name.
const UNUSED_SHOWN: usize = 8;
/// How many services' unused actions the text lists (`Action: "*"` grants
/// hundreds).
const UNUSED_SERVICES_SHOWN: usize = 30;

pub fn json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
    s.push('\n');
    s
}

/// Just the proposed policy of the one role (`--format policy`), or an
/// error when the evidence has none or several.
pub fn policy(report: &Report) -> Result<String, String> {
    let role = single(report)?;
    let mut s = serde_json::to_string_pretty(&role.proposed_policy).unwrap_or_default();
    s.push('\n');
    Ok(s)
}

/// Just the SAM `Policies` of the one role (`--format sam`).
pub fn sam(report: &Report) -> Result<String, String> {
    Ok(single(report)?.sam_policies.clone())
}

fn single(report: &Report) -> Result<&RoleReport, String> {
    match report.roles.as_slice() {
        [one]
            if one.proposed_policy["Statement"]
                .as_array()
                .is_none_or(Vec::is_empty) =>
        {
            Err(format!(
                "no call of {} succeeded in the evidence: there is no policy to propose",
                log_safe(&one.role)
            ))
        }
        [one] => Ok(one),
        [] => Err("no role to tighten in the evidence".to_string()),
        many => Err(format!(
            "{} roles in the evidence ({}); name one with --role",
            many.len(),
            many.iter()
                .map(|r| log_safe(&r.role).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub fn text(report: &Report) -> String {
    let mut o = String::new();
    let e = &report.evidence;
    let _ = writeln!(
        o,
        "Evidence: {} file(s), {} record(s), {:.1} MB of JSON; window {} to {}",
        e.files,
        e.records,
        e.bytes as f64 / 1e6,
        safe_opt(&report.window.first),
        safe_opt(&report.window.last)
    );
    for err in &report.errors {
        let _ = writeln!(o, "error: {}", log_safe(err));
    }
    for role in &report.roles {
        role_text(&mut o, role, report);
    }
    if !report.service_denied.is_empty() {
        o.push_str("\nFunctions a service could not invoke (the function's resource-based policy is the door):\n");
        for d in &report.service_denied {
            let _ = writeln!(
                o,
                "  {} by {}: {} call(s), last {}, {}",
                log_safe(&d.function),
                log_safe(&d.service),
                d.calls,
                log_safe(&d.last),
                log_safe(&d.error_code)
            );
            let _ = writeln!(o, "    fix: {}", log_safe(&d.fix));
            let _ = writeln!(o, "    {}", log_safe(&d.statement.to_string()));
        }
    }
    for s in &report.skipped {
        let _ = writeln!(o, "\nnot tightened: {}: {}", log_safe(&s.role), s.reason);
    }
    o.push_str("\nLimits:\n");
    for l in &report.limits {
        let _ = writeln!(o, "  - {}", log_safe(l));
    }
    o
}

fn safe_opt(s: &Option<String>) -> String {
    s.as_deref()
        .map_or_else(|| "?".to_string(), |s| log_safe(s).into_owned())
}

fn role_text(o: &mut String, r: &RoleReport, report: &Report) {
    let _ = writeln!(o, "\nRole {}", log_safe(&r.role));
    if !r.functions.is_empty() {
        let f: Vec<String> = r
            .functions
            .iter()
            .map(|f| log_safe(f).into_owned())
            .collect();
        let _ = writeln!(o, "  sessions: {}", f.join(", "));
    }
    match &r.current {
        Some(names) => {
            let n: Vec<String> = names.iter().map(|n| log_safe(n).into_owned()).collect();
            let _ = writeln!(o, "  current policies: {}", n.join(", "));
        }
        None => o.push_str("  current policies: not given (no unused list, no diff)\n"),
    }
    if let Some(b) = &r.boundary {
        let _ = writeln!(o, "  permissions boundary: {}", log_safe(b));
    }
    for u in &r.unknown_policies {
        let _ = writeln!(
            o,
            "  note: {} is attached but its document is unknown: it may grant more",
            log_safe(u)
        );
    }
    let _ = writeln!(o, "\n  Used ({} call(s) not refused):", r.calls);
    if r.used.is_empty() {
        o.push_str("    nothing\n");
    }
    for u in &r.used {
        let _ = writeln!(
            o,
            "    {}  {} call(s), last {}",
            u.action,
            u.calls,
            log_safe(&u.last)
        );
        for res in &u.resources {
            let _ = writeln!(o, "        {}", log_safe(res));
        }
        if u.unresolved > 0 {
            let _ = writeln!(o, "        ({} call(s) named no resource)", u.unresolved);
        }
    }
    if !r.unmapped.is_empty() {
        o.push_str("\n  Unmapped (no known IAM action; not guessed):\n");
        for u in &r.unmapped {
            let _ = writeln!(
                o,
                "    {} {}  {} call(s), last {}",
                log_safe(&u.event_source),
                log_safe(&u.event_name),
                u.calls,
                log_safe(&u.last)
            );
        }
    }
    if let Some(unused) = &r.unused {
        let _ = writeln!(
            o,
            "\n  Unused: {} granted action(s) never called between {} and {}:",
            unused.len(),
            safe_opt(&report.window.first),
            safe_opt(&report.window.last)
        );
        let mut by_service: Vec<(&str, Vec<&str>)> = Vec::new();
        for a in unused {
            let (svc, name) = a.split_once(':').unwrap_or(("", a));
            match by_service.last_mut() {
                Some((s, names)) if *s == svc => names.push(name),
                _ => by_service.push((svc, vec![name])),
            }
        }
        let services = by_service.len();
        if services > UNUSED_SERVICES_SHOWN {
            by_service.truncate(UNUSED_SERVICES_SHOWN);
        }
        for (svc, names) in by_service {
            let shown: Vec<&str> = names.iter().take(UNUSED_SHOWN).copied().collect();
            let more = names.len().saturating_sub(UNUSED_SHOWN);
            let _ = writeln!(
                o,
                "    {svc}: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        if services > UNUSED_SERVICES_SHOWN {
            let _ = writeln!(
                o,
                "    ... and {} more services (--format json lists every action)",
                services - UNUSED_SERVICES_SHOWN
            );
        }
    }
    if !r.access_denied.is_empty() {
        let _ = writeln!(o, "\n  AccessDenied ({}):", r.access_denied.len());
        for d in &r.access_denied {
            let _ = writeln!(
                o,
                "    {} on {}: {} call(s), last {}, {}",
                log_safe(&d.action),
                log_safe(&d.resource),
                d.calls,
                log_safe(&d.last),
                log_safe(&d.error_code)
            );
            let door = if d.explicit {
                format!("explicit deny in a {}", d.door.label())
            } else {
                d.door.label().to_string()
            };
            let _ = writeln!(o, "      door: {door} ({})", d.basis);
            let _ = writeln!(o, "      fix: {}", log_safe(&d.fix));
            if let Some(s) = &d.statement {
                let _ = writeln!(o, "      {}", log_safe(&s.to_string()));
            }
        }
    }
    if !r.diff.is_empty() {
        o.push_str("\n  Diff against the current policies:\n");
        for d in &r.diff {
            let _ = writeln!(o, "    {}", log_safe(d));
        }
    }
    for n in &r.notes {
        let _ = writeln!(o, "  note: {}", log_safe(n));
    }
    if r.proposed_policy["Statement"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        o.push_str("\n  Proposed policy: none (no call of the role succeeded in the window)\n");
        return;
    }
    // One statement a line: still valid JSON to copy, and short enough to read.
    o.push_str(
        "\n  Proposed policy (--format policy prints it alone, --format sam as SAM Policies):\n",
    );
    o.push_str("    {\"Version\": \"2012-10-17\", \"Statement\": [\n");
    let statements = r.proposed_policy["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, s) in statements.iter().enumerate() {
        let comma = if i + 1 < statements.len() { "," } else { "" };
        let _ = writeln!(o, "      {}{comma}", log_safe(&s.to_string()));
    }
    o.push_str("    ]}\n");
    if r.lint.is_empty() {
        o.push_str("  doorman lint: nothing at medium or above in the proposed policy\n");
    } else {
        for l in &r.lint {
            let _ = writeln!(o, "  doorman lint: {}", log_safe(l));
        }
    }
}
