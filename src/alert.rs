//! From a change and its findings to the SNS message doorman publishes
//! (SPEC §5): one alert per event, with a subject SNS accepts, readable text
//! for email and JSON for machines, message attributes to filter on, under
//! SNS's 256 KB limit, and the same bytes every time for the same event.
//!
//! Suppressions and the minimum severity are applied here too, so the Lambda
//! and `doorman replay` agree on what would be sent.
//!
//! Everything that came from the event (names, ARNs, documents quoted in
//! finding messages) is cleaned once, when the alert is built: characters
//! that are invisible or rewrite the text around them (controls, line and
//! paragraph separators, zero-width and other default-ignorable characters,
//! bidi controls, non-characters) are escaped as `\u{...}`, and over-long
//! values clipped, so they can neither forge a line of the email nor break
//! the size budget.
//!
//! The watched person controls the event's text (a role name, a user agent),
//! so the size budget is spent in this order: the header fields from the
//! event are clipped harder, then the findings after the first are
//! summarised; the most severe finding is always listed in full.

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
/// The SNS subject of the self-test alert (the README's `put-events` check):
/// the same on every self-test, so a subscriber can recognise and filter it.
pub const SELF_TEST_SUBJECT: &str =
    "[doorman] SELF-TEST INFO guardrail-tampering: a test event, not a real change";
/// What an alert calls an event that has nothing to name it by.
const UNIDENTIFIED: &str = "an unidentified event";
/// The longest text a finding quotes (message, fix, Sid, document label), in
/// bytes once cleaned; longer ones are clipped.
const MAX_FIELD_BYTES: usize = 2_000;
/// How long each header field from the event (event name, actor, user agent,
/// source IP, subject, change line...) may be, in bytes once cleaned: as
/// long as a finding's text first, then clipped harder, level by level,
/// while the message does not fit. At the last level, ~16 header values of
/// 64 bytes, each written five times (text twice, JSON three times, JSON
/// escaping at most quadrupling a byte) take under 25 KB, which leaves room
/// for any one finding of `MAX_FIELD_BYTES` texts.
const HEADER_LEVELS: [usize; 3] = [MAX_FIELD_BYTES, 256, 64];
/// What marks a clipped value.
const CLIPPED: &str = "...";

/// Rules that no filter the watched person controls can silence: not the
/// minimum severity, ignored rules, ignored principals or `doorman:ignore`
/// tags (SPEC §3.5). What cannot be judged, what silences doorman and what
/// blinds it always reach a person.
pub const NEVER_SUPPRESSED: [RuleId; 3] = [
    RuleId::UnprocessableEvent,
    RuleId::SuppressionAdded,
    RuleId::GuardrailTampering,
];

/// Whether `rule` is one of [`NEVER_SUPPRESSED`].
pub fn never_suppressed(rule: RuleId) -> bool {
    NEVER_SUPPRESSED.contains(&rule)
}

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

    /// Whether a finding is alerted. The [`NEVER_SUPPRESSED`] rules always
    /// are: a break-glass role that disables doorman, or a tag that silences
    /// it, is exactly what must be seen, and an event doorman could not judge
    /// has no severity to compare.
    fn keeps(&self, f: &Finding, actor_ignored: bool, tag_ignored: &BTreeSet<RuleId>) -> bool {
        if never_suppressed(f.rule) {
            return true;
        }
        f.severity >= self.min_severity
            && !self.ignore_rules.contains(&f.rule)
            && !actor_ignored
            && !tag_ignored.contains(&f.rule)
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
    /// The account's alias (`iam:ListAccountAliases`), when doorman could
    /// read it: people know accounts by name, not by twelve digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
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
    /// Present only when some field from the event was longer than this many
    /// bytes and is clipped (ending in `...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clipped_to_bytes: Option<usize>,
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
    build_named(input, suppressions, None)
}

/// [`build`], with the name (alias) of the event's account when it is
/// known: in the text, the JSON (`event.account_name`) and the
/// `account_name` attribute. A name that is not a valid account alias is
/// left out (see [`account_alias`]).
pub fn build_named(
    input: &AlertInput,
    suppressions: &Suppressions,
    account_name: Option<&str>,
) -> Option<Alert> {
    let account_name = account_name.and_then(account_alias);
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
    let total = kept.len();
    // A subject the event does not name is still of a known kind.
    let subject_name = match (input.subject.name.as_str(), input.subject.kind.as_str()) {
        ("", "event" | "") => String::new(),
        ("", kind) => format!("unknown {kind}"),
        (name, _) => name.to_string(),
    };
    let subject_line = subject_line(highest, kept[0].rule, &subject_name, total - 1);

    let assemble = |header: &Header, listed: usize| -> Assembled {
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
            event: header.event.clone(),
            subject: header.subject.clone(),
            change: header.change.clone(),
            findings: kept[..listed].to_vec(),
            summarised,
            highest_severity: highest,
            clipped_to_bytes: header.clipped.then_some(header.limit),
        };
        let text = render_text(&body, &header.user_agent, total);
        let message = sns_message(&body, &text);
        let attributes = attributes(&body.event, highest, &kept);
        Assembled {
            body,
            text,
            message,
            attributes,
        }
    };
    let fits = |a: &Assembled| {
        a.message.len() + attributes_len(&a.attributes) + subject_line.len() <= BUDGET_BYTES
    };

    // First the header fields, clipped harder level by level, with every
    // finding listed.
    let mut header = Header::new(input, HEADER_LEVELS[0], account_name);
    let mut done = None;
    for (i, &limit) in HEADER_LEVELS.iter().enumerate() {
        if i > 0 {
            header = Header::new(input, limit, account_name);
        }
        let a = assemble(&header, total);
        if fits(&a) {
            done = Some(a);
            break;
        }
    }
    // Then the findings after the first are summarised: the size grows with
    // each finding listed, so a binary search finds the most that fit. The
    // first (most severe) finding is always listed, and with the header at
    // its last level it always fits (see `HEADER_LEVELS`).
    let done = done.unwrap_or_else(|| {
        let (mut lo, mut hi) = (1usize, total);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(&assemble(&header, mid)) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        assemble(&header, lo)
    });
    Some(Alert {
        subject: subject_line,
        body: done.body,
        text: done.text,
        message: done.message,
        attributes: done.attributes,
        total_findings: total,
    })
}

/// One candidate message.
struct Assembled {
    body: AlertBody,
    text: String,
    message: String,
    attributes: BTreeMap<String, Attribute>,
}

/// The fields from the event that head every alert, cleaned and clipped to
/// `limit` bytes each.
struct Header {
    event: AlertEvent,
    subject: Subject,
    change: String,
    user_agent: String,
    limit: usize,
    /// Whether any field was longer than `limit` and is clipped.
    clipped: bool,
}

impl Header {
    fn new(input: &AlertInput, limit: usize, account_name: Option<&str>) -> Self {
        let mut clipped = false;
        let mut c = |s: &str, limit: usize| {
            let (out, was_clipped) = clean_to(s, limit);
            clipped |= was_clipped;
            out
        };
        let e = &input.event;
        let event = AlertEvent {
            id: c(&e.id, limit),
            name: c(&e.name, limit),
            time: c(&e.time, limit),
            account: c(&e.account, limit),
            // A valid alias (at most 63 characters of `[a-z0-9-]`): nothing
            // to clean or clip.
            account_name: account_name.map(str::to_string),
            region: c(&e.region, limit),
            actor: c(&e.actor, limit),
            source_ip: c(&e.source_ip, limit),
        };
        let subject = Subject {
            kind: c(&input.subject.kind, limit),
            arn: input.subject.arn.as_deref().map(|a| c(a, limit)),
            name: c(&input.subject.name, limit),
        };
        // The change line quotes names from the event, several of them at
        // times: it gets the room of two fields.
        let change = c(&input.change, 2 * limit);
        let user_agent = c(&e.user_agent, limit);
        Header {
            event,
            subject,
            change,
            user_agent,
            limit,
            clipped,
        }
    }
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

/// The longest alias a subject shows; longer ones end in `...`, so that
/// the severity and rule after it always fit in the subject.
const SUBJECT_ALIAS_CHARS: usize = 24;

/// `alias` when it is a valid IAM account alias (3 to 63 characters:
/// lowercase letters, digits and single hyphens, starting and ending with
/// a letter or digit; `iam:CreateAccountAlias`'s pattern), else `None`. The
/// alias comes from an API answer: a value of any other shape is not used,
/// so it needs no escaping anywhere.
pub fn account_alias(alias: &str) -> Option<&str> {
    let b = alias.as_bytes();
    let ok = (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !alias.contains("--");
    ok.then_some(alias)
}

/// `subject` (`[doorman] HIGH ...`) with the account after the tag, and its
/// alias when known (`[doorman] 111122223333 (prod-main) HIGH ...`), for
/// alerts about a member account of an organization: the subject says
/// whose account it is. The alias is clipped to 24 characters; the whole
/// stays within [`SUBJECT_MAX_CHARS`] (the end is clipped, marked `...`).
pub fn subject_with_account(subject: &str, account: &str, name: Option<&str>) -> String {
    let rest = subject.strip_prefix("[doorman] ").unwrap_or(subject);
    // Anything but printable ASCII becomes `?`, as in every subject.
    let ascii = |s: &str| -> String {
        s.chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
            .collect()
    };
    let name = match name.and_then(account_alias) {
        Some(n) if n.len() > SUBJECT_ALIAS_CHARS => {
            format!(" ({}...)", &n[..SUBJECT_ALIAS_CHARS - 3])
        }
        Some(n) => format!(" ({n})"),
        None => String::new(),
    };
    let mut out = ascii(&format!("[doorman] {account}{name} {rest}"));
    if out.len() > SUBJECT_MAX_CHARS {
        // ASCII: every byte is a character boundary.
        out.truncate(SUBJECT_MAX_CHARS - CLIPPED.len());
        out.push_str(CLIPPED);
    }
    out
}

/// Escapes what must never reach an email or a terminal (see
/// [`must_escape`]) and clips values longer than a finding's text may be.
pub fn clean(s: &str) -> String {
    clean_to(s, MAX_FIELD_BYTES).0
}

/// [`clean`], clipped to at most `max_bytes` bytes (ending in `...` when
/// clipped, never inside an escape or a character), and whether it was.
fn clean_to(s: &str, max_bytes: usize) -> (String, bool) {
    let room = max_bytes.saturating_sub(CLIPPED.len());
    let mut out = String::with_capacity(s.len().min(max_bytes));
    // The longest prefix, at a character boundary, that leaves room for
    // the clip mark.
    let mut cut = 0;
    for c in s.chars() {
        if out.len() <= room {
            cut = out.len();
        }
        if must_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
        if out.len() > max_bytes {
            out.truncate(cut);
            out.push_str(CLIPPED);
            return (out, true);
        }
    }
    (out, false)
}

/// Characters an alert shows as `\u{...}` instead: they are invisible or
/// change how the text around them reads, so a name from the event could
/// use them to forge a line, hide a word, or pass for another name.
/// Controls (C0, DEL, C1), the line and paragraph separators U+2028/U+2029,
/// the default-ignorable characters (zero-width space, joiners, word
/// joiner, BOM, bidi marks, embeddings, overrides and isolates, soft
/// hyphen, variation selectors, tag characters...), interlinear annotation
/// marks, and the Unicode non-characters.
pub fn must_escape(c: char) -> bool {
    c.is_control() || is_invisible(c) || is_noncharacter(c)
}

fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}'
        | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// U+FDD0..U+FDEF and the last two code points of every plane.
fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
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
    if let Some(name) = &event.account_name {
        put("account_name", "String", name.clone());
    }
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
        match body.subject.kind.as_str() {
            "event" | "" => UNIDENTIFIED.to_string(),
            kind => format!("a change to a {kind} the event does not name"),
        }
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
    let named = match &e.account_name {
        Some(name) => format!(" \"{name}\""),
        None => String::new(),
    };
    let _ = writeln!(
        t,
        "Account: {}{named} ({})",
        or_unknown(&e.account),
        or_unknown(&e.region)
    );
    let _ = writeln!(t, "Event:   {}", or_unknown(&e.id));
    if let Some(limit) = body.clipped_to_bytes {
        let _ = writeln!(
            t,
            "(Values from the event longer than {limit} bytes are clipped, ending in `...`.)"
        );
    }
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
        "\n`doorman explain RULE` tells why a rule matters. To silence a rule for one role or function, tag it doorman:ignore=RULE[,RULE...]; setting the tag is itself reported (suppression-added)."
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
        let (clipped, was) = clean_to(&"x".repeat(5000), MAX_FIELD_BYTES);
        assert!(was);
        assert_eq!(clipped.len(), MAX_FIELD_BYTES);
        assert!(clipped.ends_with("xx..."));
        // Never inside an escape or a character.
        let (clipped, _) = clean_to(&"\u{1}é".repeat(100), 20);
        assert_eq!(clipped, "\\u{1}é\\u{1}é...");
        assert_eq!(clean_to("short", 20), ("short".to_string(), false));
    }

    /// An input whose every header field is `header` long, with `findings`
    /// findings (the first critical, the rest low).
    fn input(header: usize, findings: usize) -> AlertInput {
        let h = |tag: &str| format!("{tag}{}", "x".repeat(header));
        let finding = |i: usize| EventFinding {
            finding: Finding::new(
                if i == 0 {
                    RuleId::AdminAccess
                } else {
                    RuleId::ResourceMismatch
                },
                if i == 0 {
                    Severity::Critical
                } else {
                    Severity::Low
                },
                format!("finding {i}: {}", "m".repeat(300)),
                format!("fix {i}: {}", "f".repeat(150)),
            ),
            document: None,
        };
        AlertInput {
            event: EventInfo {
                id: h("id"),
                name: h("name"),
                time: h("time"),
                account: h("account"),
                region: h("region"),
                actor: h("actor"),
                actor_issuer: None,
                source_ip: h("ip"),
                user_agent: h("agent"),
                service: "iam".into(),
            },
            subject: Subject {
                kind: "role".into(),
                arn: Some(h("arn")),
                name: h("role"),
            },
            change: h("change"),
            findings: (0..findings).map(finding).collect(),
            tag_ignored: BTreeSet::new(),
        }
    }

    #[test]
    fn header_fields_are_clipped_before_any_finding_is_summarised() {
        // Short headers: nothing clipped, everything listed.
        let a = build(&input(10, 70), &Suppressions::default()).unwrap();
        assert_eq!((a.body.clipped_to_bytes, a.body.findings.len()), (None, 70));
        // Long headers: clipped to the first level that fits, every finding
        // still listed.
        let a = build(&input(10_000, 70), &Suppressions::default()).unwrap();
        assert_eq!(a.body.clipped_to_bytes, Some(256));
        assert_eq!(a.body.findings.len(), 70);
        assert!(a.body.summarised.is_none());
        assert!(a.message.len() <= BUDGET_BYTES);
        // Too many findings even then: summarised, the critical one first.
        let a = build(&input(10_000, 2_000), &Suppressions::default()).unwrap();
        assert_eq!(a.body.clipped_to_bytes, Some(64));
        assert_eq!(a.body.findings[0].rule, RuleId::AdminAccess);
        let s = a.body.summarised.as_ref().unwrap();
        assert_eq!(s.count + a.body.findings.len(), 2_000);
        assert_eq!(s.rules[&RuleId::ResourceMismatch], s.count);
        assert!(a.message.len() <= BUDGET_BYTES);
    }

    #[test]
    fn never_suppressed_rules_pass_every_filter() {
        let s = Suppressions {
            min_severity: Severity::Critical,
            ignore_rules: NEVER_SUPPRESSED.into_iter().collect(),
            ignore_principals: vec!["arn:*".into()],
        };
        let tags: BTreeSet<RuleId> = NEVER_SUPPRESSED.into_iter().collect();
        for rule in NEVER_SUPPRESSED {
            let f = Finding::new(rule, Severity::Info, "m".into(), "f".into());
            assert!(s.keeps(&f, true, &tags), "{rule}");
        }
        let f = Finding::new(
            RuleId::AdminAccess,
            Severity::Critical,
            "m".into(),
            "f".into(),
        );
        assert!(!s.keeps(&f, true, &BTreeSet::new()));
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

    #[test]
    fn only_valid_aliases_are_names() {
        for ok in ["prod-main", "abc", "a1-b2-c3", &"a".repeat(63)] {
            assert_eq!(account_alias(ok), Some(ok), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "Prod",
            "-prod",
            "prod-",
            "pr--od",
            "prod main",
            "prod\n[doorman] forged",
            "pröd",
            &"a".repeat(64),
        ] {
            assert_eq!(account_alias(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_account_name_is_in_the_text_json_and_attributes_when_known() {
        let i = input(10, 1);
        let plain = build(&i, &Suppressions::default()).expect("an alert");
        assert!(!plain.message.contains("account_name"));
        assert!(!plain.attributes.contains_key("account_name"));
        let named = build_named(&i, &Suppressions::default(), Some("prod-main")).expect("an alert");
        assert_eq!(named.body.event.account_name.as_deref(), Some("prod-main"));
        assert_eq!(named.attributes["account_name"].value, "prod-main");
        let account = &i.event.account;
        assert!(
            named
                .text
                .contains(&format!("Account: {account} \"prod-main\" (")),
            "{}",
            named.text
        );
        let message: serde_json::Value = serde_json::from_str(&named.message).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(message["sqs"].as_str().unwrap()).unwrap();
        assert_eq!(json["event"]["account_name"], "prod-main");
        assert_eq!(named.subject, plain.subject);
        // A name that is not an alias is not shown at all.
        let forged =
            build_named(&i, &Suppressions::default(), Some("x\nWho: admin")).expect("an alert");
        assert_eq!(forged, plain);
    }

    #[test]
    fn the_subject_names_the_account_and_alias_within_the_limit() {
        assert_eq!(
            subject_with_account(
                "[doorman] CRITICAL public-invoke on f",
                "111122223333",
                None
            ),
            "[doorman] 111122223333 CRITICAL public-invoke on f"
        );
        assert_eq!(
            subject_with_account(
                "[doorman] CRITICAL public-invoke on f",
                "111122223333",
                Some("prod-main")
            ),
            "[doorman] 111122223333 (prod-main) CRITICAL public-invoke on f"
        );
        // The longest alias is clipped, so severity and rule still show.
        let longest = "a".repeat(63);
        let s = subject_with_account(
            "[doorman] HIGH admin-access on f",
            "111122223333",
            Some(&longest),
        );
        assert_eq!(
            s,
            format!(
                "[doorman] 111122223333 ({}...) HIGH admin-access on f",
                "a".repeat(21)
            )
        );
        // The longest subject with the longest alias fits in SNS's limit.
        let long = subject_line(
            Severity::Critical,
            RuleId::PublicInvoke,
            &"n".repeat(200),
            9,
        );
        let s = subject_with_account(&long, "111122223333", Some(&longest));
        assert_eq!(s.len(), SUBJECT_MAX_CHARS);
        assert!(
            s.contains("CRITICAL public-invoke on nnn") && s.ends_with("..."),
            "{s}"
        );
    }
}
