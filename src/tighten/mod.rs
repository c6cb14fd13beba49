//! `doorman tighten` (SPEC §13): CloudTrail evidence → what each role used,
//! what it is granted and never used, the narrowest policy that still
//! works, and the one missing statement behind each AccessDenied.
//!
//! - [`evidence`]: streams log files (gzip or plain, any CloudTrail shape);
//! - [`actions`]: `eventName` → IAM action, with the documented exceptions;
//! - [`resources`]: the ARNs a call touched, and the narrowest patterns;
//! - [`current`]: the roles' current policies (files, template, audit dump);
//! - [`propose`]: unused actions, the proposed policy, SAM YAML, the diff;
//! - [`denied`]: AccessDenied → the door and the statement to add;
//! - [`render`]: text and JSON.
//!
//! The library does the work; `doorman tighten` only parses arguments.

pub mod actions;
pub mod current;
pub mod denied;
pub mod evidence;
pub mod propose;
pub mod render;
pub mod resources;

use actions::Mapping;
use current::RolePolicies;
use denied::Diagnosis;
use evidence::{FileError, ReadStats, Reader, Record};
use resources::ResourceSet;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Which roles to tighten and what they hold today.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Role ARNs or names; empty: every Lambda-trusted role seen.
    pub roles: Vec<String>,
    pub current: Current,
}

/// The current policies.
#[derive(Debug, Clone, Default)]
pub enum Current {
    /// Not given: no unused list, no diff.
    #[default]
    None,
    /// One role's policies (files or a template): the role named by `--role`.
    Single(RolePolicies),
    /// Every role of an account (authorization details).
    Account(Vec<RolePolicies>),
}

/// The most distinct session names (functions) kept per role.
const MAX_SESSIONS: usize = 100;
/// The most distinct AccessDenied diagnoses kept per role.
const MAX_DENIALS: usize = 500;

/// What one role's sessions did.
#[derive(Debug, Default)]
struct RoleUse {
    /// (region, session name): a Lambda function logs in its own region.
    sessions: BTreeSet<(String, String)>,
    calls: u64,
    used: BTreeMap<ActionKey, ActionUse>,
    unmapped: BTreeMap<(String, String), Counted>,
    denied: BTreeMap<(String, String, denied::Door), Diagnosis>,
    region: Option<String>,
    account: Option<String>,
    /// A call's agent said it ran in Lambda (`exec-env/AWS_Lambda_`).
    from_lambda: bool,
}

/// An action, ordered as the catalog is: by service, then name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ActionKey(crate::catalog::ActionId);

#[derive(Debug, Default)]
struct ActionUse {
    calls: u64,
    last: String,
    resources: ResourceSet,
    /// Calls whose record named no resource the action accepts.
    unresolved: u64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counted {
    pub calls: u64,
    pub last: String,
}

/// Accumulates evidence, file by file.
#[derive(Default)]
pub struct Tightener {
    opts: Options,
    reader: Reader,
    first: Option<String>,
    last: Option<String>,
    data_events: u64,
    roles: FxHashMap<String, RoleUse>,
    mapping: FxHashMap<Box<str>, FxHashMap<Box<str>, Mapping>>,
    errors: Vec<FileError>,
    service_denied: BTreeMap<(String, String), denied::ServiceDenial>,
}

impl Tightener {
    pub fn new(opts: Options) -> Self {
        Tightener {
            opts,
            ..Tightener::default()
        }
    }

    /// Reads every evidence file under `paths`; a bad file is recorded and
    /// the rest still read.
    pub fn read_paths(&mut self, paths: &[PathBuf]) {
        evidence::for_each_file(paths, &mut |f| match f {
            Ok(path) => self.read_file(path),
            Err(e) => self.errors.push(e),
        });
    }

    pub fn read_file(&mut self, path: &std::path::Path) {
        let mut reader = std::mem::take(&mut self.reader);
        let result = reader.read_file(path, &mut |r| self.record(r));
        self.reader = reader;
        if let Err(e) = result {
            self.errors.push(e);
        }
    }

    fn wanted(&self, role_arn: &str) -> bool {
        if self.opts.roles.is_empty() {
            return true;
        }
        let name = role_name(role_arn);
        self.opts.roles.iter().any(|w| w == role_arn || w == name)
    }

    fn record(&mut self, r: &Record<'_>) {
        if let Some(t) = r.event_time.as_deref() {
            if self.first.as_deref().is_none_or(|f| t < f) {
                self.first = Some(t.to_string());
            }
            if self.last.as_deref().is_none_or(|l| t > l) {
                self.last = Some(t.to_string());
            }
        }
        if r.event_category.as_deref() == Some("Data") {
            self.data_events += 1;
        }
        if let Some(d) = denied::service_invoke_denied(r) {
            let key = (d.function.clone(), d.service.clone());
            let room = self.service_denied.len() < MAX_DENIALS;
            match self.service_denied.get_mut(&key) {
                Some(seen) => {
                    seen.calls += 1;
                    if d.last > seen.last {
                        seen.last = d.last;
                    }
                }
                None if room => {
                    self.service_denied.insert(key, d);
                }
                None => {}
            }
            return;
        }
        let Some(role) = r.role_arn() else { return };
        if !self.wanted(role) {
            return;
        }
        let (Some(source), Some(name)) = (r.event_source.as_deref(), r.event_name.as_deref())
        else {
            return;
        };
        let mapping = self.map(source, name);
        let known = current_of(&self.opts.current, role);
        let current = known.map(|c| c.policies.as_slice());
        let boundary = known.and_then(|c| c.boundary.as_ref());
        let entry = match self.roles.get_mut(role) {
            Some(e) => e,
            None => self.roles.entry(role.to_string()).or_default(),
        };
        if !entry.from_lambda
            && r.user_agent
                .as_deref()
                .is_some_and(|a| a.contains("exec-env/AWS_Lambda"))
        {
            entry.from_lambda = true;
        }
        if entry.region.is_none() {
            entry.region = r.aws_region.as_deref().map(str::to_string);
        }
        if entry.account.is_none() {
            entry.account = r.recipient_account_id.as_deref().map(str::to_string);
        }
        if let Some(s) = r.session_name() {
            let region = r.aws_region.as_deref().unwrap_or("*");
            if entry.sessions.len() < MAX_SESSIONS
                && !entry.sessions.iter().any(|(g, n)| g == region && n == s)
            {
                entry.sessions.insert((region.to_string(), s.to_string()));
            }
        }
        let time = r.event_time.as_deref().unwrap_or_default();
        if r.error_code.as_deref().is_some_and(denied::is_denied) {
            let d = denied::diagnose_call(r, role, mapping, current, boundary);
            let key = (d.action.clone(), d.resource.clone(), d.door);
            if let Some(seen) = entry.denied.get_mut(&key) {
                seen.calls += 1;
                if d.last > seen.last {
                    seen.last = d.last;
                }
            } else if entry.denied.len() < MAX_DENIALS {
                entry.denied.insert(key, d);
            }
            return;
        }
        entry.calls += 1;
        match mapping {
            Mapping::Action(id) => {
                let info = id.info();
                let u = entry.used.entry(ActionKey(id)).or_default();
                u.calls += 1;
                if time > u.last.as_str() {
                    u.last = time.to_string();
                }
                let touched = resources::touched(r, &info);
                if touched.is_empty() {
                    u.unresolved += 1;
                }
                for a in &touched {
                    u.resources.add(a);
                }
            }
            Mapping::Unmapped => {
                let c = entry
                    .unmapped
                    .entry((source.to_string(), name.to_string()))
                    .or_default();
                c.calls += 1;
                if time > c.last.as_str() {
                    c.last = time.to_string();
                }
            }
        }
    }

    fn map(&mut self, source: &str, name: &str) -> Mapping {
        if let Some(m) = self.mapping.get(source).and_then(|m| m.get(name)) {
            return *m;
        }
        let m = actions::map(source, name);
        self.mapping
            .entry(source.into())
            .or_default()
            .insert(name.into(), m);
        m
    }

    /// The report: one entry per role tightened.
    pub fn finish(self) -> Report {
        let stats = self.reader.stats.clone();
        let window = Window {
            first: self.first.clone(),
            last: self.last.clone(),
        };
        let mut roles: Vec<(String, RoleUse)> = self.roles.into_iter().collect();
        roles.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        for (arn, use_) in roles {
            let current = current_of(&self.opts.current, &arn);
            if self.opts.roles.is_empty() {
                match current.and_then(|c| c.trusts_lambda) {
                    Some(true) => {}
                    Some(false) => {
                        skipped.push(Skipped {
                            role: arn,
                            reason: "its trust policy does not let Lambda assume it".into(),
                        });
                        continue;
                    }
                    None => {
                        skipped.push(Skipped {
                            role: arn,
                            reason: "not known to trust Lambda (name it with --role, or give an audit folder)".into(),
                        });
                        continue;
                    }
                }
            }
            out.push(propose::role_report(&arn, use_, current));
        }
        for wanted in &self.opts.roles {
            if !out
                .iter()
                .any(|r| &r.role == wanted || role_name(&r.role) == wanted)
            {
                skipped.push(Skipped {
                    role: wanted.clone(),
                    reason: "no session of this role in the evidence".into(),
                });
            }
        }
        Report {
            version: 1,
            window,
            evidence: stats,
            data_events: self.data_events,
            limits: limits(&self.first, &self.last, self.data_events),
            errors: self.errors.iter().map(|e| e.to_string()).collect(),
            roles: out,
            skipped,
            service_denied: self.service_denied.into_values().collect(),
        }
    }
}

/// The role's current policies, when known.
fn current_of<'a>(current: &'a Current, arn: &str) -> Option<&'a RolePolicies> {
    match current {
        Current::None => None,
        Current::Single(p) => Some(p),
        Current::Account(all) => all
            .iter()
            .find(|r| r.arn.as_deref() == Some(arn))
            .or_else(|| {
                all.iter()
                    .find(|r| r.arn.is_none() && r.name == role_name(arn))
            }),
    }
}

/// `arn:aws:iam::1:role/path/name` → `name`.
pub fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The first and last event time of the evidence.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Window {
    pub first: Option<String>,
    pub last: Option<String>,
}

/// A role with sessions in the evidence that was not tightened, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub role: String,
    pub reason: String,
}

/// Everything `doorman tighten` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub window: Window,
    pub evidence: ReadStats,
    /// Records logged as data events (S3 objects, DynamoDB items, Invoke).
    pub data_events: u64,
    pub limits: Vec<String>,
    pub errors: Vec<String>,
    pub roles: Vec<propose::RoleReport>,
    pub skipped: Vec<Skipped>,
    /// Functions an AWS service could not invoke: the function's own
    /// resource-based policy is the door.
    pub service_denied: Vec<denied::ServiceDenial>,
}

impl Report {
    /// 0 nothing to tighten, 1 unused grants, narrower resources or
    /// AccessDenied findings, 2 an input could not be read.
    pub fn exit_status(&self) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if !self.service_denied.is_empty()
            || self.roles.iter().any(propose::RoleReport::has_findings)
        {
            1
        } else {
            0
        }
    }
}

fn limits(first: &Option<String>, last: &Option<String>, data_events: u64) -> Vec<String> {
    let window = match (first, last) {
        (Some(f), Some(l)) => format!("from {f} to {l}"),
        _ => "empty: no event had a time".to_string(),
    };
    vec![
        format!("The window is what the files cover, {window}: a call made less often (a monthly job, a rare error path) is not in it, and the proposed policy would refuse it."),
        format!("Data events (S3 object calls, DynamoDB item calls, Lambda Invoke, SQS and SNS messages) are in CloudTrail only when the trail logs them; {data_events} data event(s) in these files. An action absent for that reason is reported unused."),
        "Read-only events are in the files only when the trail logs them (its read/write selector).".to_string(),
        "Calls CloudTrail never records (CloudWatch Logs PutLogEvents, X-Ray segments) cannot be seen; the Logs statement of a Lambda role is added from the function names.".to_string(),
    ]
}
