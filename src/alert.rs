//! From a change and its findings to the SNS message doorman publishes
//! (SPEC §5): one alert per event, with a subject SNS accepts, readable text
//! for email and JSON for machines, message attributes to filter on, under
//! SNS's 256 KB limit, and the same bytes every time for the same event.
//!
//! Suppressions and the minimum severity are applied here too, so the Lambda
//! and `doorman replay` agree on what would be sent.
//!
//! Everything that came from the event (names, ARNs, documents quoted in
//! finding messages) is cleaned once, when the alert is built: control and
//! bidirectional-override characters are escaped and over-long values
//! clipped, so they can neither break the email nor the size budget.

use crate::catalog::glob_match_ignore_case;
use crate::event::EventInfo;
use crate::policy::StatementRef;
use crate::rules::{Finding, RuleId, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// SNS's limit for a whole message, attributes included.
pub const SNS_MAX_BYTES: usize = 256 * 1024;
/// What doorman allows itself: the limit less room for the subject, the
/// attributes and SNS's own accounting.
const BUDGET_BYTES: usize = SNS_MAX_BYTES - 8 * 1024;
/// SNS subjects: printable ASCII, "less than 100 characters" in the SNS
/// API reference, so 99 at most (SPEC §5 allows 100; this is the safe side).
pub const SUBJECT_MAX_CHARS: usize = 99;
/// What an alert calls an event that has nothing to name it by.
const UNIDENTIFIED: &str = "an unidentified event";
/// The longest value from an event an alert quotes; longer ones are clipped.
const MAX_FIELD_CHARS: usize = 1_000;

/// What an alert is about: the role, function, policy... that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// `role`, `user`, `group`, `policy`, `function`, `layer`, `trail`,
    /// `rule`, `topic`, `subscription`, or `event` when nothing better is known.
    #[serde(rename = "type")]
    pub kind: String,
    pub arn: Option<String>,
    pub name: String,
}

/// A finding and the document it is about, when an event brings several
/// (a whole role: its trust policy and each policy it holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFinding {
    pub finding: Finding,
    /// ``inline policy `p` of role `r` ``; `None` for the event's only document.
    pub document: Option<String>,
}

/// What the pipeline hands over: the event, what it changed, the findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertInput {
    pub event: EventInfo,
    pub subject: Subject,
    /// One line saying what changed (``attached `X` to role `r` ``).
    pub change: String,
    pub findings: Vec<EventFinding>,
    /// Rule ids the role's or function's `doorman:ignore` tag suppresses.
    pub tag_ignored: BTreeSet<RuleId>,
}

/// The deployment's suppressions (SPEC §3 "Suppression").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressions {
    /// Findings below this are not alerted.
    pub min_severity: Severity,
    /// Rule ids never alerted.
    pub ignore_rules: BTreeSet<RuleId>,
    /// ARN patterns (`*` and `?`) of actors whose changes are not alerted
    /// (break-glass roles). Matched against the caller's ARN and its session
    /// issuer's ARN.
    pub ignore_principals: Vec<String>,
}

impl Default for Suppressions {
    fn default() -> Self {
        Suppressions {
            min_severity: Severity::Low,
            ignore_rules: BTreeSet::new(),
            ignore_principals: Vec::new(),
        }
    }
}

impl Suppressions {
    /// Whether the actor of `event` matches an ignored principal pattern.
    pub fn ignores_actor(&self, event: &EventInfo) -> bool {
        let candidates = [Some(event.actor.as_str()), event.actor_issuer.as_deref()];
        self.ignore_principals.iter().any(|p| {
            candidates
                .iter()
                .flatten()
                .any(|a| !a.is_empty() && glob_match_ignore_case(p, a))
        })
    }

    /// Whether a finding is alerted. `guardrail-tampering` is never
    /// suppressed by principal or tag: a break-glass role that disables
    /// doorman is exactly what must be seen. Only the deployment's own rule
    /// list can silence it.
    fn keeps(&self, f: &Finding, actor_ignored: bool, tag_ignored: &BTreeSet<RuleId>) -> bool {
        if f.severity < self.min_severity || self.ignore_rules.contains(&f.rule) {
            return false;
        }
        if f.rule == RuleId::GuardrailTampering {
            return true;
        }
        !actor_ignored && !tag_ignored.contains(&f.rule)
    }
}

/// A finding as the alert JSON writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertFinding {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
    pub statement: Option<StatementRef>,
    /// Which document of the change the finding is about, when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// Findings that did not fit in the message, counted per rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summarised {
    pub count: usize,
    pub rules: BTreeMap<RuleId, usize>,
}

/// The `event` object of the alert JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    pub id: String,
    pub name: String,
    pub time: String,
    pub account: String,
    pub region: String,
    pub actor: String,
    pub source_ip: String,
}

/// The alert as JSON (the `sqs`, `lambda` and `https` message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertBody {
    pub version: u32,
    pub event: AlertEvent,
    pub subject: Subject,
    /// What changed, in one line.
    pub change: String,
    pub findings: Vec<AlertFinding>,
    /// Present only when findings had to be summarised to fit SNS's limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summarised: Option<Summarised>,
    pub highest_severity: Severity,
}

/// One SNS message attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// `String` or `String.Array`.
    pub data_type: &'static str,
    pub value: String,
}

/// One alert, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The SNS `Subject`: at most 99 printable ASCII characters.
    pub subject: String,
    pub body: AlertBody,
    /// The readable text (`default` and `email`).
    pub text: String,
    /// The SNS `Message` with `MessageStructure: json`.
    pub message: String,
    /// SNS message attributes, by name.
    pub attributes: BTreeMap<String, Attribute>,
    /// How many findings the alert carries in all (listed + summarised).
    pub total_findings: usize,
}

impl Alert {
    pub fn highest_severity(&self) -> Severity {
        self.body.highest_severity
    }

    pub fn event_id(&self) -> &str {
        &self.body.event.id
    }
}

/// Builds the alert for `input`, or `None` when no finding survives the
/// suppressions and the minimum severity.
pub fn build(input: &AlertInput, suppressions: &Suppressions) -> Option<Alert> {
    let actor_ignored = suppressions.ignores_actor(&input.event);
    let mut kept: Vec<AlertFinding> = input
        .findings
        .iter()
        .filter(|f| suppressions.keeps(&f.finding, actor_ignored, &input.tag_ignored))
        .map(|f| AlertFinding {
            rule: f.finding.rule,
            severity: f.finding.severity,
            message: clean(&f.finding.message),
            fix: clean(&f.finding.fix),
            statement: f.finding.statement.clone().map(|s| StatementRef {
                index: s.index,
                sid: s.sid.map(|sid| clean(&sid)),
            }),
            document: f.document.as_deref().map(clean),
        })
        .collect();
    if kept.is_empty() {
        return None;
    }
    // Most severe first; otherwise the order the rules produced them in,
    // which is deterministic.
    kept.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let highest = kept[0].severity;
    let event = AlertEvent {
        id: clean(&input.event.id),
        name: clean(&input.event.name),
        time: clean(&input.event.time),
        account: clean(&input.event.account),
        region: clean(&input.event.region),
        actor: clean(&input.event.actor),
        source_ip: clean(&input.event.source_ip),
    };
    let subject = Subject {
        kind: clean(&input.subject.kind),
        arn: input.subject.arn.as_deref().map(clean),
        name: clean(&input.subject.name),
    };
    let change = clean(&input.change);
    let user_agent = clean(&input.event.user_agent);
    let subject_line = subject_line(highest, kept[0].rule, &subject.name, kept.len() - 1);
    let attributes = attributes(&event, highest, &kept);
    let total = kept.len();

    let assemble = |listed: usize| -> (AlertBody, String, String) {
        let summarised = (listed < total).then(|| {
            let mut rules = BTreeMap::new();
            for f in &kept[listed..] {
                *rules.entry(f.rule).or_insert(0) += 1;
            }
            Summarised {
                count: total - listed,
                rules,
            }
        });
        let body = AlertBody {
            version: 1,
            event: event.clone(),
            subject: subject.clone(),
            change: change.clone(),
            findings: kept[..listed].to_vec(),
            summarised,
            highest_severity: highest,
        };
        let text = render_text(&body, &user_agent, total);
        let message = sns_message(&body, &text);
        (body, text, message)
    };
    let fits = |message: &str| {
        message.len() + attributes_len(&attributes) + subject_line.len() <= BUDGET_BYTES
    };

    let (mut body, mut text, mut message) = assemble(total);
    if !fits(&message) {
        // The largest number of listed findings that fits: the size grows
        // with each finding listed, so a binary search finds it.
        let (mut lo, mut hi) = (0usize, total);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(&assemble(mid).2) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        (body, text, message) = assemble(lo);
    }
    Some(Alert {
        subject: subject_line,
        body,
        text,
        message,
        attributes,
        total_findings: total,
    })
}

/// `[doorman] CRITICAL public-invoke on my-function (+2 more)`: printable
/// ASCII only (anything else becomes `?`), at most 99 characters, the name
/// shortened with `...` when it does not fit.
pub fn subject_line(highest: Severity, rule: RuleId, name: &str, others: usize) -> String {
    let head = format!(
        "[doorman] {} {rule} on ",
        highest.as_str().to_ascii_uppercase()
    );
    let tail = if others > 0 {
        format!(" (+{others} more)")
    } else {
        String::new()
    };
    let name = if name.is_empty() { UNIDENTIFIED } else { name };
    let name: String = name
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect();
    let room = SUBJECT_MAX_CHARS.saturating_sub(head.len() + tail.len());
    let name = if name.len() <= room {
        name
    } else {
        format!("{}...", &name[..room.saturating_sub(3)])
    };
    let mut line = format!("{head}{name}{tail}");
    line.truncate(SUBJECT_MAX_CHARS);
    line
}

/// Escapes what must never reach an email or a terminal (control and
/// bidirectional-override characters) and clips over-long values.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_FIELD_CHARS));
    for (count, c) in s.chars().enumerate() {
        if count == MAX_FIELD_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control() || is_bidi_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn attributes(
    event: &AlertEvent,
    highest: Severity,
    findings: &[AlertFinding],
) -> BTreeMap<String, Attribute> {
    let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    let mut attrs = BTreeMap::new();
    let mut put = |name: &str, data_type: &'static str, value: String| {
        // SNS rejects empty attribute values.
        if !value.is_empty() {
            attrs.insert(name.to_string(), Attribute { data_type, value });
        }
    };
    put("severity", "String", highest.as_str().to_string());
    put(
        "rules",
        "String.Array",
        serde_json::to_string(&rules).unwrap_or_default(),
    );
    put("account", "String", event.account.clone());
    put("event_name", "String", event.name.clone());
    put("event_id", "String", event.id.clone());
    attrs
}

fn attributes_len(attrs: &BTreeMap<String, Attribute>) -> usize {
    attrs
        .iter()
        .map(|(k, a)| k.len() + a.data_type.len() + a.value.len())
        .sum()
}

/// The `MessageStructure: json` message: text for people, JSON for machines.
fn sns_message(body: &AlertBody, text: &str) -> String {
    let json = serde_json::to_string(body).unwrap_or_default();
    let mut m = serde_json::Map::new();
    m.insert("default".into(), text.into());
    m.insert("email".into(), text.into());
    m.insert("sqs".into(), json.clone().into());
    m.insert("lambda".into(), json.clone().into());
    m.insert("https".into(), json.into());
    serde_json::Value::Object(m).to_string()
}

fn render_text(body: &AlertBody, user_agent: &str, total: usize) -> String {
    let mut t = String::new();
    let plural = if total == 1 { "" } else { "s" };
    let about = if body.subject.name.is_empty() {
        UNIDENTIFIED.to_string()
    } else if body.subject.kind == "event" {
        format!("event `{}`", body.subject.name)
    } else {
        format!("a change to {} `{}`", body.subject.kind, body.subject.name)
    };
    let _ = writeln!(
        t,
        "doorman: {total} finding{plural} ({} at worst) in {about}.",
        body.highest_severity
    );
    t.push('\n');
    let e = &body.event;
    let or_unknown = |s: &str| {
        if s.is_empty() {
            "(unknown)".to_string()
        } else {
            s.to_string()
        }
    };
    let name = if e.name.is_empty() {
        "(unknown event)"
    } else {
        &e.name
    };
    let _ = writeln!(t, "What:    {name} {}", body.change);
    let _ = writeln!(t, "Who:     {}", or_unknown(&e.actor));
    let from = if user_agent.is_empty() {
        or_unknown(&e.source_ip)
    } else {
        format!("{} ({user_agent})", or_unknown(&e.source_ip))
    };
    let _ = writeln!(t, "From:    {from}");
    let _ = writeln!(t, "When:    {}", or_unknown(&e.time));
    let _ = writeln!(
        t,
        "Account: {} ({})",
        or_unknown(&e.account),
        or_unknown(&e.region)
    );
    let _ = writeln!(t, "Event:   {}", or_unknown(&e.id));
    for (i, f) in body.findings.iter().enumerate() {
        t.push('\n');
        let _ = writeln!(
            t,
            "{}. {} {}",
            i + 1,
            f.severity.as_str().to_ascii_uppercase(),
            f.rule
        );
        if let Some(doc) = &f.document {
            let _ = writeln!(t, "   In {doc}");
        }
        let _ = writeln!(t, "   {}", f.message);
        let _ = writeln!(t, "   Fix: {}", f.fix);
    }
    if let Some(s) = &body.summarised {
        let parts: Vec<String> = {
            let mut by_count: Vec<(&RuleId, &usize)> = s.rules.iter().collect();
            by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            by_count.iter().map(|(r, n)| format!("{n} {r}")).collect()
        };
        let _ = writeln!(
            t,
            "\n... and {} more findings (summarised to fit SNS's 256 KB limit): {}",
            s.count,
            parts.join(", ")
        );
    }
    let _ = write!(
        t,
        "\n`doorman explain RULE` tells why a rule matters. To silence a rule for one role or function, tag it doorman:ignore=RULE[,RULE...]."
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_is_short_printable_ascii() {
        let s = subject_line(Severity::Critical, RuleId::PublicInvoke, "my-function", 2);
        assert_eq!(
            s,
            "[doorman] CRITICAL public-invoke on my-function (+2 more)"
        );
        let long = "rôle-élévé-ünïcödé-".repeat(4);
        let s = subject_line(Severity::High, RuleId::AdminAccess, &long, 12);
        assert!(s.len() <= SUBJECT_MAX_CHARS, "{s}");
        assert!(s.chars().all(|c| (' '..='~').contains(&c)), "{s}");
        assert!(s.ends_with("... (+12 more)"), "{s}");
    }

    #[test]
    fn clean_escapes_controls_and_bidi_overrides() {
        assert_eq!(clean("a\nb\u{202E}c\u{7}"), "a\\u{a}b\\u{202e}c\\u{7}");
        assert_eq!(clean(&"x".repeat(2000)).len(), MAX_FIELD_CHARS + 3);
    }

    #[test]
    fn principal_patterns_match_the_actor_or_its_issuer() {
        let s = Suppressions {
            ignore_principals: vec!["arn:aws:iam::*:role/BreakGlass*".into()],
            ..Suppressions::default()
        };
        let mut e = EventInfo {
            actor: "arn:aws:sts::111122223333:assumed-role/BreakGlassAdmin/alice".into(),
            ..EventInfo::default()
        };
        assert!(!s.ignores_actor(&e));
        e.actor_issuer = Some("arn:aws:iam::111122223333:role/BreakGlassAdmin".into());
        assert!(s.ignores_actor(&e));
    }
}
