//! The daily reconcile in the Lambda (SPEC §12): an EventBridge schedule
//! invokes doorman, which audits the account live (the same collect → load
//! → judge path as `doorman audit --live`), keeps the JSON and HTML reports
//! in the stack's bucket, and publishes ONE digest alert with the findings
//! that are new since the previous report. Nothing new, nothing published.
//!
//! The first run has no previous report: its digest is the baseline, every
//! finding of the account (summarised past SNS's size limit, SPEC §5), so
//! the day doorman is deployed someone hears what the account already holds.
//!
//! Reports live under `audit/<time of the scheduled event>/`, so keys sort
//! by time and a retry of the same event overwrites its own objects and
//! still compares against the run before it, never against itself.
//!
//! In organization mode (SPEC §14) each member account's daily "audit this
//! account" event (member.yaml's `<prefix>-audit` rule, forwarded to the
//! central bus) runs the same audit in that account, through its
//! doorman-reader, with its reports under `audit/<account id>/<time>/` and
//! its digest compared with that account's previous report only. The
//! stack's own account keeps `audit/<time>/` (the single-account layout,
//! unchanged); the two never mix, because a time is never twelve digits
//! and the previous report is looked for one level deep under the
//! account's own prefix.

use super::{diff, html, output, Report};
use crate::alert::{self, Alert, AlertInput, EventFinding, Subject, Suppressions};
use crate::event::EventInfo;
use crate::lint::Options;
use crate::notify::{Notifier, NotifyError};
use crate::resolve::reports::{AccountSource, ReportStore};
use serde_json::Value;
use std::collections::HashSet;
use std::path::PathBuf;

/// Where the reports go in the bucket.
pub const PREFIX: &str = "audit/";
const JSON_NAME: &str = "report.json";
const HTML_NAME: &str = "report.html";

/// The event name digests carry (in the alert's `event.name` and the
/// `event_name` message attribute, for subscription filters).
pub const EVENT_NAME: &str = "ScheduledAudit";

/// One run of the schedule, from its EventBridge "Scheduled Event".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledRun {
    /// Where this account's reports are kept: [`PREFIX`] for the stack's
    /// own account, `audit/<account id>/` for a member's.
    pub prefix: String,
    /// Whether the account is a member of the organization, not the
    /// stack's own (the digest's subject then names it).
    pub member: bool,
    /// The account's alias, for the digest, when known.
    pub account_name: Option<String>,
    /// The event's `id`: the digest's `event_id`, so a retry is recognisable.
    pub id: String,
    /// The event's `time` (`2026-11-30T06:00:00Z`): names the reports.
    pub time: String,
    pub account: String,
    pub region: String,
}

impl ScheduledRun {
    /// The run an event asks for, when it is a scheduled event. Only AWS can
    /// send `source: aws.events` (`PutEvents` refuses `aws.*` sources), so
    /// nobody else can start an audit this way. An event with no usable
    /// `time` is an error naming the field: the reports could not be named.
    /// A scheduled event of another account (a member's daily "audit me",
    /// forwarded to the central bus in organization mode, SPEC §14) is not
    /// this account's reconcile: `None`, left to the pipeline.
    pub fn from_event(event: &Value, own_account: &str) -> Option<Result<ScheduledRun, String>> {
        if event.get("source").and_then(Value::as_str) != Some("aws.events")
            || event.get("detail-type").and_then(Value::as_str) != Some("Scheduled Event")
            || event.get("account").and_then(Value::as_str) != Some(own_account)
        {
            return None;
        }
        Some(Self::parse(event, PREFIX.to_string(), false))
    }

    /// The run a member account's "audit this account" event asks for, in
    /// organization mode: a Scheduled Event (`source: aws.events`, which
    /// only AWS can send) of an account other than `own_account`. `None`
    /// for any other event. The central bus admits only the organization's
    /// accounts (`aws:PrincipalOrgID`), and the central rule only events of
    /// a `<name_prefix>-audit` rule; here the event must also be exactly
    /// what member.yaml's audit rule sends: a 12-digit account, and as its
    /// one resource that account's own `<name_prefix>-audit` rule in the
    /// event's region. Anything else is an error naming the event, the
    /// account and the problem (an `unprocessable-event`, and no role is
    /// assumed for it).
    pub fn for_member(
        event: &Value,
        own_account: &str,
        name_prefix: &str,
    ) -> Option<Result<ScheduledRun, String>> {
        if event.get("source").and_then(Value::as_str) != Some("aws.events")
            || event.get("detail-type").and_then(Value::as_str) != Some("Scheduled Event")
            || event.get("account").and_then(Value::as_str) == Some(own_account)
        {
            return None;
        }
        let text = |k: &str| event.get(k).and_then(Value::as_str).unwrap_or_default();
        let (id, account, region) = (text("id"), text("account"), text("region"));
        let refuse = |why: String| {
            Some(Err(format!(
                "the scheduled audit event `{}` of account `{}` is not member.yaml's daily audit event: {why}; no account was read",
                id.escape_debug(),
                account.escape_debug()
            )))
        };
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return refuse("its `account` is not a 12-digit account id".to_string());
        }
        let valid_region = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_region {
            return refuse("its `region` is not a region name".to_string());
        }
        let resources: Vec<&str> = match event.get("resources").and_then(Value::as_array) {
            Some(r) => r.iter().filter_map(Value::as_str).collect(),
            None => Vec::new(),
        };
        let rule = format!(":events:{region}:{account}:rule/{name_prefix}-audit");
        let from_audit_rule = |arn: &&str| {
            arn.strip_prefix("arn:")
                .and_then(|rest| rest.split_once(':'))
                .is_some_and(|(partition, rest)| {
                    partition.starts_with("aws") && format!(":{rest}") == rule
                })
        };
        if resources.len() != 1 || !resources.iter().all(from_audit_rule) {
            return refuse(format!(
                "its `resources` must be exactly the account's own rule `arn:<partition>{rule}`, not {:?}",
                resources
                    .iter()
                    .map(|r| r.escape_debug().to_string())
                    .collect::<Vec<_>>()
            ));
        }
        Some(Self::parse(event, format!("{PREFIX}{account}/"), true))
    }

    /// The run, once the event is known to be one: its `time` names the
    /// reports.
    fn parse(event: &Value, prefix: String, member: bool) -> Result<ScheduledRun, String> {
        let text = |k: &str| event.get(k).and_then(Value::as_str).unwrap_or_default();
        let time = text("time");
        // RFC 3339 as EventBridge writes it; its characters are safe in a key.
        let valid = (20..=40).contains(&time.len())
            && time
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-:TZ.+".contains(&b));
        if !valid {
            return Err(format!(
                "the scheduled event `{}` has no valid `time` (an RFC 3339 timestamp such as 2026-11-30T06:00:00Z): {:?}",
                text("id").escape_debug(),
                time.escape_debug().to_string()
            ));
        }
        Ok(ScheduledRun {
            prefix,
            member,
            account_name: None,
            id: text("id").to_string(),
            time: time.to_string(),
            account: text("account").to_string(),
            region: text("region").to_string(),
        })
    }

    fn json_key(&self) -> String {
        format!("{}{}/{JSON_NAME}", self.prefix, self.time)
    }

    fn html_key(&self) -> String {
        format!("{}{}/{HTML_NAME}", self.prefix, self.time)
    }
}

/// How the audit judges and which findings the digest keeps.
#[derive(Debug, Clone, Default)]
pub struct ReconcileSettings {
    /// As for `doorman audit`: ignored rules, trusted accounts and
    /// organizations. The reports keep every finding from `low` up.
    pub options: Options,
    /// The Lambda's minimum severity and ignored rules, applied to the
    /// digest as to every alert.
    pub suppressions: Suppressions,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub json_key: String,
    pub html_key: String,
    /// The report it was compared with; `None` for the baseline.
    pub previous: Option<String>,
    /// Findings in the report.
    pub findings: usize,
    /// Findings new since `previous` (all of them for the baseline).
    pub new: usize,
    /// The digest published, if any.
    pub alert: Option<Alert>,
}

/// Why a run failed. Every one fails the invocation, so Lambda retries the
/// scheduled event (and then keeps it in the failure queue).
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("scheduled audit: cannot read the account: {0}")]
    Collect(String),
    #[error("scheduled audit: report bucket: {0}")]
    Store(String),
    #[error("scheduled audit: {0}")]
    Local(String),
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// A new, empty folder for one collection (never one another run left).
fn fresh_dir() -> Result<PathBuf, String> {
    let base = std::env::temp_dir();
    for n in 0..1000 {
        let dir = base.join(format!("doorman-reconcile-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create a folder in {}: {e}", base.display())),
        }
    }
    Err(format!("cannot create a new folder in {}", base.display()))
}

/// Collects the account into a temporary folder and judges it, as
/// `doorman audit --live` does.
async fn audit<A: AccountSource>(source: &A, options: &Options) -> Result<Report, ReconcileError> {
    let dir = fresh_dir().map_err(ReconcileError::Local)?;
    let collected = source.collect(&dir).await;
    let loaded = collected.map(|()| super::load(&[&dir]));
    // Removed whatever happened: /tmp outlives the invocation.
    let _ = std::fs::remove_dir_all(&dir);
    let loaded = loaded.map_err(ReconcileError::Collect)?;
    let mut report = super::judge(&loaded.inventory, options);
    report.errors = loaded.errors;
    report.skipped = loaded.skipped.len();
    report.notes.extend(loaded.notes);
    Ok(report)
}

/// The latest report before `current` (keys sort by time) directly under
/// `prefix`: `<prefix><time>/report.json`, never a member's report one
/// level deeper.
fn previous_key(keys: &[String], prefix: &str, current: &str) -> Option<String> {
    keys.iter()
        .filter(|k| {
            k.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(&format!("/{JSON_NAME}")))
                .is_some_and(|time| !time.is_empty() && !time.contains('/'))
        })
        .filter(|k| k.as_str() < current)
        .max()
        .cloned()
}

type Key = (String, String, Option<u64>, Option<String>, String);

fn key_of_json(source: &str, f: &Value) -> Key {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        source.to_string(),
        text(&f["rule"]),
        f["location"]["statement"].as_u64(),
        f["location"]["logical_id"].as_str().map(str::to_string),
        text(&f["message"]),
    )
}

/// The report's findings named by `new` (from [`diff::new_findings`]), each
/// with the subject it is about, in the report's order.
fn findings_named(report: &Report, new: &[diff::NewFinding]) -> Vec<EventFinding> {
    let wanted: HashSet<Key> = new
        .iter()
        .map(|n| key_of_json(&n.source, &n.finding))
        .collect();
    let mut out = Vec::new();
    for s in &report.subjects {
        for l in &s.findings {
            let key = (
                s.arn.clone(),
                l.finding.rule.as_str().to_string(),
                l.finding.statement.as_ref().map(|st| st.index as u64),
                l.document.clone(),
                l.finding.message.clone(),
            );
            if wanted.contains(&key) {
                let about = format!("{} `{}`", s.kind.as_str(), s.name);
                out.push(EventFinding {
                    finding: l.finding.clone(),
                    document: Some(match &l.document {
                        Some(d) => format!("{about}, {d}"),
                        None => about,
                    }),
                });
            }
        }
    }
    out
}

/// Runs one scheduled audit: judge, store both reports, compare with the
/// previous one, publish the digest when something is new.
pub async fn run<A, S, N>(
    source: &A,
    store: &S,
    notifier: &N,
    settings: &ReconcileSettings,
    run: &ScheduledRun,
) -> Result<Outcome, ReconcileError>
where
    A: AccountSource,
    S: ReportStore,
    N: Notifier,
{
    let mut options = settings.options.clone();
    // A member's audit judges the member's account as its own.
    if (run.member || options.account_id.is_none()) && !run.account.is_empty() {
        options.account_id = Some(run.account.clone());
    }
    let report = audit(source, &options).await?;
    let json = output::json(&report);
    let current: Value = serde_json::from_str(&json)
        .map_err(|e| ReconcileError::Local(format!("the JSON report does not parse: {e}")))?;
    let (json_key, html_key) = (run.json_key(), run.html_key());

    let keys = store
        .keys(&run.prefix)
        .await
        .map_err(ReconcileError::Store)?;
    let mut previous = previous_key(&keys, &run.prefix, &json_key);
    let mut unreadable = None;
    let prior = match &previous {
        Some(key) => {
            let text = store.get(key).await.map_err(ReconcileError::Store)?;
            match serde_json::from_str::<Value>(&text) {
                Ok(v) => Some(v),
                Err(e) => {
                    // Not a reason to stop auditing every day: this run
                    // becomes a new baseline and says why.
                    tracing::warn!(%key, "previous report unreadable: {e}");
                    unreadable = Some(format!("the previous report `{key}` is not JSON ({e})"));
                    None
                }
            }
        }
        None => None,
    };
    if prior.is_none() {
        previous = None;
    }

    store
        .put(&json_key, json, "application/json")
        .await
        .map_err(ReconcileError::Store)?;
    store
        .put(&html_key, html::page(&report), "text/html; charset=utf-8")
        .await
        .map_err(ReconcileError::Store)?;

    let empty = Value::Null;
    let new = diff::new_findings(prior.as_ref().unwrap_or(&empty), &current);
    let findings = findings_named(&report, &new);
    let total = report.findings();
    let where_ = format!(
        "reports: {} and {}",
        store.location(&json_key),
        store.location(&html_key)
    );
    let change = match (&previous, &unreadable) {
        (Some(p), _) => format!(
            "has {} new since the audit `{p}` ({} in all; {where_})",
            output::plural(findings.len(), "finding"),
            output::plural(total, "finding"),
        ),
        (None, Some(why)) => format!(
            "was audited as a new BASELINE because {why}: every finding is listed ({} in all; {where_})",
            output::plural(total, "finding"),
        ),
        (None, None) => format!(
            "was audited for the first time: this BASELINE lists every finding ({} in all); later digests list only new ones ({where_})",
            output::plural(total, "finding"),
        ),
    };
    let account = report
        .account
        .clone()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| run.account.clone());
    let input = AlertInput {
        event: EventInfo {
            id: run.id.clone(),
            name: EVENT_NAME.to_string(),
            time: run.time.clone(),
            account: account.clone(),
            region: run.region.clone(),
            actor: "doorman (scheduled audit)".to_string(),
            service: "events".to_string(),
            ..Default::default()
        },
        subject: Subject {
            kind: "account".to_string(),
            arn: None,
            name: account,
        },
        change,
        findings,
        tag_ignored: Default::default(),
    };
    let new_count = input.findings.len();
    let name = run.account_name.as_deref();
    let alert = alert::build_named(&input, &settings.suppressions, name).map(|mut a| {
        if run.member {
            a.subject = alert::subject_with_account(&a.subject, &input.event.account, name);
        }
        a
    });
    if let Some(alert) = &alert {
        notifier.publish(alert).await?;
    }
    Ok(Outcome {
        json_key,
        html_key,
        previous,
        findings: total,
        new: new_count,
        alert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::MemoryNotifier;
    use crate::rules::{RuleId, Severity};
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::Mutex;

    const ACCOUNT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/audit/account");
    /// The public URL (auth NONE) of `public-hook`: the change between runs.
    const URL_FILE: &str = "lambda/urls/public-hook.json";

    /// The fixture account of `doorman audit`'s tests, with or without the
    /// function URL of `public-hook`.
    struct FixtureAccount {
        with_url: Mutex<bool>,
    }

    fn copy(from: &Path, to: &Path, rel: &Path, with_url: bool) -> Result<(), String> {
        for entry in std::fs::read_dir(from.join(rel)).map_err(|e| e.to_string())? {
            let entry = entry.map_err(|e| e.to_string())?;
            let rel = rel.join(entry.file_name());
            if entry.path().is_dir() {
                std::fs::create_dir_all(to.join(&rel)).map_err(|e| e.to_string())?;
                copy(from, to, &rel, with_url)?;
            } else if with_url || rel != Path::new(URL_FILE) {
                std::fs::copy(entry.path(), to.join(&rel)).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    impl AccountSource for FixtureAccount {
        async fn collect(&self, dir: &Path) -> Result<(), String> {
            let with_url = *self.with_url.lock().map_err(|e| e.to_string())?;
            copy(Path::new(ACCOUNT), dir, Path::new(""), with_url)
        }
    }

    #[derive(Default)]
    struct MemoryStore(Mutex<BTreeMap<String, (String, &'static str)>>);

    impl ReportStore for MemoryStore {
        async fn keys(&self, prefix: &str) -> Result<Vec<String>, String> {
            let m = self.0.lock().map_err(|e| e.to_string())?;
            Ok(m.keys()
                .filter(|k| k.starts_with(prefix))
                .cloned()
                .collect())
        }
        async fn get(&self, key: &str) -> Result<String, String> {
            let m = self.0.lock().map_err(|e| e.to_string())?;
            m.get(key)
                .map(|(body, _)| body.clone())
                .ok_or_else(|| format!("no object `{key}`"))
        }
        async fn put(&self, key: &str, body: String, ct: &'static str) -> Result<(), String> {
            let mut m = self.0.lock().map_err(|e| e.to_string())?;
            m.insert(key.to_string(), (body, ct));
            Ok(())
        }
    }

    fn scheduled(time: &str) -> ScheduledRun {
        let event = serde_json::json!({
            "version": "0", "id": format!("sched-{time}"), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "111122223333", "time": time,
            "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:111122223333:rule/doorman-reconcile"],
            "detail": {}
        });
        ScheduledRun::from_event(&event, "111122223333")
            .unwrap()
            .unwrap()
    }

    struct World {
        account: FixtureAccount,
        store: MemoryStore,
        notifier: MemoryNotifier,
        settings: ReconcileSettings,
    }

    impl World {
        fn new(with_url: bool) -> Self {
            World {
                account: FixtureAccount {
                    with_url: Mutex::new(with_url),
                },
                store: MemoryStore::default(),
                notifier: MemoryNotifier::new(),
                settings: ReconcileSettings::default(),
            }
        }
        async fn run(&self, time: &str) -> Outcome {
            run(
                &self.account,
                &self.store,
                &self.notifier,
                &self.settings,
                &scheduled(time),
            )
            .await
            .unwrap()
        }
    }

    #[tokio::test]
    async fn baseline_then_nothing_new_publishes_nothing() {
        let w = World::new(true);
        let first = w.run("2026-11-29T06:00:00Z").await;
        assert_eq!(first.previous, None);
        assert!(first.findings > 0);
        // Both reports are stored, the JSON one as `doorman audit` prints it.
        let objects = w.store.0.lock().unwrap().clone();
        let (json, ct) = &objects["audit/2026-11-29T06:00:00Z/report.json"];
        assert_eq!(*ct, "application/json");
        let v: Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["version"], 1);
        let (html, ct) = &objects["audit/2026-11-29T06:00:00Z/report.html"];
        assert!(ct.starts_with("text/html") && html.contains("<html"));
        // The baseline digest: one alert, every finding counted, said to be
        // the baseline.
        let alerts = w.notifier.take();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].total_findings, first.findings);
        assert!(alerts[0].text.contains("BASELINE"), "{}", alerts[0].text);
        assert_eq!(alerts[0].body.event.name, EVENT_NAME);

        let second = w.run("2026-11-30T06:00:00Z").await;
        assert_eq!(
            second.previous.as_deref(),
            Some("audit/2026-11-29T06:00:00Z/report.json")
        );
        assert_eq!(second.new, 0);
        assert!(second.alert.is_none());
        assert!(
            w.notifier.alerts().is_empty(),
            "nothing new, nothing published"
        );
        assert_eq!(w.store.0.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn one_new_public_url_is_a_digest_with_exactly_it() {
        let w = World::new(false);
        let before = w.run("2026-11-29T06:00:00Z").await;
        w.notifier.take();
        *w.account.with_url.lock().unwrap() = true;
        let after = w.run("2026-11-30T06:00:00Z").await;
        assert_eq!(after.new, 1);
        assert_eq!(after.findings, before.findings + 1);
        let alerts = w.notifier.take();
        assert_eq!(alerts.len(), 1);
        let alert = &alerts[0];
        assert_eq!(alert.total_findings, 1);
        let f = &alert.body.findings[0];
        assert_eq!(f.rule, RuleId::PublicFunctionUrl);
        assert_eq!(f.severity, Severity::High);
        assert!(
            f.document
                .as_deref()
                .unwrap_or("")
                .contains("function `public-hook`"),
            "{:?}",
            f.document
        );
        assert!(
            alert.text.contains(
                "has 1 finding new since the audit `audit/2026-11-29T06:00:00Z/report.json`"
            ),
            "{}",
            alert.text
        );
        assert_eq!(alert.body.event.id, "sched-2026-11-30T06:00:00Z");
        assert!(
            alert.subject.contains("public-function-url"),
            "{}",
            alert.subject
        );
    }

    #[tokio::test]
    async fn a_retry_compares_with_the_run_before_not_itself() {
        let w = World::new(false);
        w.run("2026-11-29T06:00:00Z").await;
        *w.account.with_url.lock().unwrap() = true;
        w.run("2026-11-30T06:00:00Z").await;
        w.notifier.take();
        // Lambda retries the same scheduled event: same keys, same digest.
        let retry = w.run("2026-11-30T06:00:00Z").await;
        assert_eq!(
            retry.previous.as_deref(),
            Some("audit/2026-11-29T06:00:00Z/report.json")
        );
        assert_eq!(retry.new, 1);
        assert_eq!(w.store.0.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn an_unreadable_previous_report_makes_a_new_baseline_that_says_why() {
        let w = World::new(true);
        w.store
            .put(
                "audit/2026-11-29T06:00:00Z/report.json",
                "{oops".into(),
                "application/json",
            )
            .await
            .unwrap();
        let out = w.run("2026-11-30T06:00:00Z").await;
        assert_eq!(out.previous, None);
        let alerts = w.notifier.take();
        assert_eq!(alerts.len(), 1);
        assert!(alerts[0].text.contains("is not JSON"), "{}", alerts[0].text);
    }

    #[tokio::test]
    async fn a_failed_collection_is_an_error_and_stores_nothing() {
        struct Broken;
        impl AccountSource for Broken {
            async fn collect(&self, _: &Path) -> Result<(), String> {
                Err("iam:GetAccountAuthorizationDetails: throttled".into())
            }
        }
        let store = MemoryStore::default();
        let notifier = MemoryNotifier::new();
        let e = run(
            &Broken,
            &store,
            &notifier,
            &ReconcileSettings::default(),
            &scheduled("2026-11-30T06:00:00Z"),
        )
        .await
        .unwrap_err();
        assert!(
            e.to_string().contains("GetAccountAuthorizationDetails"),
            "{e}"
        );
        assert!(store.0.lock().unwrap().is_empty());
        assert!(notifier.alerts().is_empty());
    }

    /// An account of `n` roles that each hold an administrator policy.
    struct ManyAdmins(usize);

    impl AccountSource for ManyAdmins {
        async fn collect(&self, dir: &Path) -> Result<(), String> {
            let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
            let admin = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "*", "Resource": "*"}]});
            let roles: Vec<Value> = (0..self.0)
                .map(|i| {
                    serde_json::json!({
                        "Path": "/", "RoleName": format!("admin-{i}"), "RoleId": format!("AROA{i:016}"),
                        "Arn": format!("arn:aws:iam::111122223333:role/admin-{i}"),
                        "AssumeRolePolicyDocument": trust,
                        "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": admin}],
                        "AttachedManagedPolicies": [], "Tags": []
                    })
                })
                .collect();
            let details = serde_json::json!({"UserDetailList": [], "GroupDetailList": [],
                "RoleDetailList": roles, "Policies": [], "IsTruncated": false});
            std::fs::create_dir_all(dir.join("iam")).map_err(|e| e.to_string())?;
            std::fs::write(
                dir.join("iam/authorization-details.json"),
                details.to_string(),
            )
            .map_err(|e| e.to_string())
        }
    }

    #[tokio::test]
    async fn a_huge_digest_fits_sns_and_summarises_what_it_cannot_list() {
        let store = MemoryStore::default();
        let notifier = MemoryNotifier::new();
        let out = run(
            &ManyAdmins(3000),
            &store,
            &notifier,
            &ReconcileSettings::default(),
            &scheduled("2026-11-30T06:00:00Z"),
        )
        .await
        .unwrap();
        assert!(out.findings >= 3000, "{}", out.findings);
        let alerts = notifier.take();
        assert_eq!(alerts.len(), 1, "one digest, however many findings");
        let a = &alerts[0];
        assert!(a.message.len() < 256 * 1024, "{} bytes", a.message.len());
        assert_eq!(a.total_findings, out.new);
        let summarised = a.body.summarised.as_ref().expect("the rest is summarised");
        assert_eq!(a.body.findings.len() + summarised.count, out.new);
        assert!(summarised.rules.values().sum::<usize>() == summarised.count);
        assert_eq!(a.body.findings[0].severity, Severity::Critical);
    }

    #[test]
    fn only_scheduled_events_with_a_time_start_an_audit() {
        let own = "111122223333";
        let cloudtrail = serde_json::json!({"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail", "account": own, "time": "2026-11-30T06:00:00Z"});
        assert!(ScheduledRun::from_event(&cloudtrail, own).is_none());
        let forged = serde_json::json!({"source": "doorman.selftest", "detail-type": "Scheduled Event", "account": own, "time": "2026-11-30T06:00:00Z"});
        assert!(ScheduledRun::from_event(&forged, own).is_none());
        // A member account's daily audit event, forwarded in organization mode.
        let member = serde_json::json!({"source": "aws.events", "detail-type": "Scheduled Event", "account": "444455556666", "time": "2026-11-30T06:00:00Z"});
        assert!(ScheduledRun::from_event(&member, own).is_none());
        let bad = serde_json::json!({"source": "aws.events", "detail-type": "Scheduled Event", "account": own, "id": "x", "time": "../../etc"});
        let e = ScheduledRun::from_event(&bad, own).unwrap().unwrap_err();
        assert!(e.contains("`time`") && e.contains("`x`"), "{e}");
    }

    #[test]
    fn the_previous_report_is_the_latest_before_this_one() {
        let keys: Vec<String> = [
            "audit/2026-11-28T06:00:00Z/report.json",
            "audit/2026-11-28T06:00:00Z/report.html",
            "audit/2026-11-29T06:00:00Z/report.json",
            "audit/2026-11-30T06:00:00Z/report.json",
            "other/2026-11-29T07:00:00Z/report.json",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            previous_key(&keys, PREFIX, "audit/2026-11-30T06:00:00Z/report.json").as_deref(),
            Some("audit/2026-11-29T06:00:00Z/report.json")
        );
        assert_eq!(
            previous_key(&keys, PREFIX, "audit/2026-11-28T06:00:00Z/report.json"),
            None
        );
    }

    const MEMBER: &str = "444455556666";

    /// member.yaml's audit rule's event, forwarded from `MEMBER`.
    fn member_event(time: &str) -> Value {
        serde_json::json!({
            "version": "0", "id": format!("member-{time}"), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": MEMBER, "time": time, "region": "us-east-1",
            "resources": [format!("arn:aws:events:us-east-1:{MEMBER}:rule/doorman-audit")],
            "detail": {}
        })
    }

    fn member_run(time: &str) -> ScheduledRun {
        ScheduledRun::for_member(&member_event(time), "111122223333", "doorman")
            .expect("a member's audit event")
            .expect("valid")
    }

    #[tokio::test]
    async fn a_members_reports_go_under_its_prefix_and_compare_with_its_own_only() {
        let w = World::new(false);
        // The stack's own account first: its layout is unchanged.
        w.run("2026-11-28T06:00:00Z").await;
        w.notifier.take();
        let mut first = member_run("2026-11-29T06:00:00Z");
        first.account_name = Some("prod-main".into());
        let out = run(&w.account, &w.store, &w.notifier, &w.settings, &first)
            .await
            .unwrap();
        assert_eq!(
            out.json_key,
            format!("audit/{MEMBER}/2026-11-29T06:00:00Z/report.json")
        );
        assert_eq!(
            out.html_key,
            format!("audit/{MEMBER}/2026-11-29T06:00:00Z/report.html")
        );
        // The own account's report is not the member's previous one.
        assert_eq!(
            out.previous, None,
            "the member's first audit is its baseline"
        );
        let alerts = w.notifier.take();
        assert_eq!(alerts.len(), 1);
        let digest = &alerts[0];
        assert!(digest.text.contains("BASELINE"), "{}", digest.text);
        assert_eq!(digest.body.event.account, MEMBER);
        assert_eq!(digest.body.event.account_name.as_deref(), Some("prod-main"));
        assert_eq!(digest.attributes["account"].value, MEMBER);
        assert!(
            digest
                .subject
                .starts_with(&format!("[doorman] {MEMBER} (prod-main) ")),
            "{}",
            digest.subject
        );

        // The next day, one new public URL in the member: exactly it, compared
        // with the member's report.
        *w.account.with_url.lock().unwrap() = true;
        let out = run(
            &w.account,
            &w.store,
            &w.notifier,
            &w.settings,
            &member_run("2026-11-30T06:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(
            out.previous.as_deref(),
            Some(format!("audit/{MEMBER}/2026-11-29T06:00:00Z/report.json").as_str())
        );
        assert_eq!(out.new, 1);
        w.notifier.take();
        // And the stack's own next audit compares with its own report, not
        // with the member's later ones.
        let own = w.run("2026-11-30T07:00:00Z").await;
        assert_eq!(
            own.previous.as_deref(),
            Some("audit/2026-11-28T06:00:00Z/report.json")
        );
        assert_eq!(own.json_key, "audit/2026-11-30T07:00:00Z/report.json");
    }

    #[test]
    fn only_member_yamls_audit_event_of_another_account_starts_a_member_audit() {
        let own = "111122223333";
        // The stack's own schedule and CloudTrail events are not a member's.
        let mut e = member_event("2026-11-30T06:00:00Z");
        e["account"] = serde_json::json!(own);
        assert!(ScheduledRun::for_member(&e, own, "doorman").is_none());
        let mut e = member_event("2026-11-30T06:00:00Z");
        e["detail-type"] = serde_json::json!("AWS API Call via CloudTrail");
        assert!(ScheduledRun::for_member(&e, own, "doorman").is_none());
        let mut e = member_event("2026-11-30T06:00:00Z");
        e["source"] = serde_json::json!("doorman.audit");
        assert!(ScheduledRun::for_member(&e, own, "doorman").is_none());

        let ok = member_run("2026-11-30T06:00:00Z");
        assert_eq!(ok.prefix, format!("audit/{MEMBER}/"));
        assert!(ok.member);
        assert_eq!(ok.account, MEMBER);

        // Refused, naming the account and the problem: no role is assumed.
        let refused = |e: &Value| {
            ScheduledRun::for_member(e, own, "doorman")
                .expect("a scheduled event of another account")
                .expect_err("refused")
        };
        for (field, value, says) in [
            ("account", serde_json::json!("4444-5555-66"), "12-digit"),
            ("account", serde_json::json!("../../x"), "12-digit"),
            ("region", serde_json::json!("us-east-1/../x"), "`region`"),
            // Another rule of the account (or of another account) asking.
            (
                "resources",
                serde_json::json!([format!("arn:aws:events:us-east-1:{MEMBER}:rule/other")]),
                "`resources`",
            ),
            (
                "resources",
                serde_json::json!(["arn:aws:events:us-east-1:777788889999:rule/doorman-audit"]),
                "`resources`",
            ),
            (
                "resources",
                serde_json::json!([format!(
                    "arn:aws:events:eu-west-1:{MEMBER}:rule/doorman-audit"
                )]),
                "`resources`",
            ),
            ("resources", serde_json::json!([]), "`resources`"),
            (
                "resources",
                serde_json::json!([
                    format!("arn:aws:events:us-east-1:{MEMBER}:rule/doorman-audit"),
                    format!("arn:aws:events:us-east-1:{MEMBER}:rule/doorman-audit")
                ]),
                "`resources`",
            ),
            ("time", serde_json::json!("../../etc"), "`time`"),
        ] {
            let mut e = member_event("2026-11-30T06:00:00Z");
            e[field] = value.clone();
            let why = refused(&e);
            assert!(why.contains(says), "{field}={value}: {why}");
            assert!(why.contains("member-2026-11-30T06:00:00Z"), "{why}");
        }
        let mut e = member_event("2026-11-30T06:00:00Z");
        e["account"] = serde_json::json!("777788889999");
        assert!(refused(&e).contains("`777788889999`"));
        // Other partitions are the same rule.
        let mut e = member_event("2026-11-30T06:00:00Z");
        e["resources"] = serde_json::json!([format!(
            "arn:aws-cn:events:us-east-1:{MEMBER}:rule/doorman-audit"
        )]);
        assert!(ScheduledRun::for_member(&e, own, "doorman")
            .unwrap()
            .is_ok());
    }

    #[test]
    fn a_members_previous_report_is_under_its_own_prefix_only() {
        let keys: Vec<String> = [
            "audit/2026-11-29T06:00:00Z/report.json",
            "audit/444455556666/2026-11-28T06:00:00Z/report.json",
            "audit/444455556666/2026-11-28T06:00:00Z/report.html",
            "audit/777788889999/2026-11-29T06:00:00Z/report.json",
        ]
        .map(String::from)
        .to_vec();
        let prefix = "audit/444455556666/";
        assert_eq!(
            previous_key(
                &keys,
                prefix,
                "audit/444455556666/2026-11-30T06:00:00Z/report.json"
            )
            .as_deref(),
            Some("audit/444455556666/2026-11-28T06:00:00Z/report.json")
        );
        assert_eq!(
            previous_key(&keys, PREFIX, "audit/2026-11-30T06:00:00Z/report.json").as_deref(),
            Some("audit/2026-11-29T06:00:00Z/report.json")
        );
        // A member whose id sorts before every time is never the stack's
        // own previous report.
        let only_member = vec!["audit/100055556666/2026-11-29T06:00:00Z/report.json".to_string()];
        assert_eq!(
            previous_key(
                &only_member,
                PREFIX,
                "audit/2026-11-30T06:00:00Z/report.json"
            ),
            None
        );
    }
}
