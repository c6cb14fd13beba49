//! From one role's evidence to advice: the unused grants (through the
//! semantic core, so `NotAction`, globs and `Deny` count as IAM counts
//! them), the proposed policy (used actions only, grouped by service and
//! resources, each on the narrowest pattern never wider than today's
//! grant), its SAM `Policies` form, a lint of it, and the diff.

use super::current::RolePolicies;
use super::denied::Diagnosis;
use super::{role_name, Counted, RoleUse};
use crate::catalog::{ActionId, ActionSet};
use crate::eval::grant;
use crate::lint;
use crate::policy::{Actions, Resources};
use crate::rules::execution_role::NamedPolicy;
use crate::rules::{PolicyKind, Severity};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What one action was used for.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Used {
    pub action: String,
    pub calls: u64,
    pub last: String,
    /// ARNs touched (one per bucket for many objects: `bucket/prefix*`).
    pub resources: Vec<String>,
    /// Calls whose record named no resource.
    pub unresolved: u64,
    /// More distinct resources than doorman keeps were seen.
    pub overflow: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unmapped {
    pub event_source: String,
    pub event_name: String,
    pub calls: u64,
    pub last: String,
}

/// One role's result.
#[derive(Debug, Clone, Serialize)]
pub struct RoleReport {
    pub role: String,
    /// Session names: a Lambda role's sessions are named after the function.
    pub functions: Vec<String>,
    /// Calls that were not refused.
    pub calls: u64,
    /// The current policies' names, when known.
    pub current: Option<Vec<String>>,
    /// The permissions boundary, when there is one.
    pub boundary: Option<String>,
    /// Attached managed policies whose document doorman does not know.
    pub unknown_policies: Vec<String>,
    pub used: Vec<Used>,
    pub unmapped: Vec<Unmapped>,
    /// Granted actions never used in the window; `None` without current
    /// policies.
    pub unused: Option<Vec<String>>,
    pub proposed_policy: Value,
    /// The proposed statements as SAM `Policies` (SAM adds the Logs
    /// permissions itself with `AWSLambdaBasicExecutionRole`).
    pub sam_policies: String,
    /// Findings of `doorman lint` at medium or above on the proposed policy
    /// (expected: none).
    pub lint: Vec<String>,
    pub diff: Vec<String>,
    pub notes: Vec<String>,
    pub access_denied: Vec<Diagnosis>,
}

impl RoleReport {
    /// Something to change: unused grants, a narrower resource, or a
    /// denied call.
    pub fn has_findings(&self) -> bool {
        !self.access_denied.is_empty()
            || self.unused.as_ref().is_some_and(|u| !u.is_empty())
            || self
                .diff
                .iter()
                .any(|d| d.starts_with('-') || d.starts_with('~'))
    }
}

pub(super) fn role_report(arn: &str, u: RoleUse, current: Option<&RolePolicies>) -> RoleReport {
    let policies: Option<&[NamedPolicy]> = current.map(|c| c.policies.as_slice());
    let mut notes = Vec::new();
    let used: Vec<(ActionId, Used)> = u
        .used
        .iter()
        .map(|(k, a)| {
            (
                k.0,
                Used {
                    action: k.0.info().to_string(),
                    calls: a.calls,
                    last: a.last.clone(),
                    resources: a.resources.seen(),
                    unresolved: a.unresolved,
                    overflow: a.resources.overflow,
                },
            )
        })
        .collect();
    let mut used_set = ActionSet::new();
    for (id, _) in &used {
        used_set.insert(*id);
    }
    // A Lambda role: its trust policy says so or, when that is not known,
    // its calls came from a Lambda runtime. It writes its logs through the
    // Lambda service, which CloudTrail never records: those two actions are
    // used, not unused, and the proposed policy keeps them.
    let lambda_role = match current.and_then(|c| c.trusts_lambda) {
        Some(t) => t,
        None => u.from_lambda,
    };
    if lambda_role {
        for a in LOGS_ACTIONS {
            if let Some(id) = crate::catalog::lookup(a) {
                used_set.insert(id);
            }
        }
    }
    let unused = policies.map(|p| {
        let mut granted = granted_actions(p);
        // Past the boundary nothing is granted, whatever the policies say.
        if let Some(b) = current.and_then(|c| c.boundary.as_ref()) {
            granted = granted.intersection(&granted_actions(std::slice::from_ref(b)));
        }
        granted.subtract(&used_set);
        let mut names: Vec<String> = granted.iter().map(|id| id.info().to_string()).collect();
        names.sort_by_key(|n| n.to_ascii_lowercase());
        names
    });

    // Proposed: per action, its narrowest patterns; then group actions with
    // the same service and patterns into one statement.
    let mut groups: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
    for (id, used) in &used {
        let info = id.info();
        let a = &u.used[&super::ActionKey(*id)];
        let ceiling = policies
            .map(|p| grant_patterns(p, *id))
            .filter(|c| !c.is_empty());
        let patterns = if !info.accepts_resource() {
            vec!["*".to_string()]
        } else if a.resources.is_empty() || a.resources.overflow {
            match &ceiling {
                Some(c) => {
                    notes.push(format!(
                        "{}: {}; kept the current grant's resources",
                        used.action,
                        if a.resources.overflow {
                            "more distinct resources than doorman keeps"
                        } else {
                            "the records name no resource"
                        }
                    ));
                    c.clone()
                }
                None => {
                    notes.push(format!(
                        "{}: the records name no resource and no current policy says which: the statement uses `*`; scope it by hand",
                        used.action
                    ));
                    vec!["*".to_string()]
                }
            }
        } else {
            a.resources.narrowest(ceiling.as_deref())
        };
        groups
            .entry((info.service.to_string(), patterns))
            .or_default()
            .push(used.action.clone());
    }
    let mut statements: Vec<Value> = Vec::new();
    for ((service, patterns), actions) in &groups {
        statements.push(json!({
            "Sid": sid(service, &actions[0]),
            "Effect": "Allow",
            "Action": actions,
            "Resource": patterns,
        }));
    }
    let mut functions: Vec<String> = u.sessions.iter().map(|(_, n)| n.clone()).collect();
    functions.sort();
    functions.dedup();
    let sam_statements = statements.clone();
    if lambda_role {
        let account = u.account.as_deref().unwrap_or("*");
        let groups: Vec<String> = if u.sessions.is_empty() {
            let region = u.region.as_deref().unwrap_or("*");
            vec![format!(
                "arn:aws:logs:{region}:{account}:log-group:/aws/lambda/*:*"
            )]
        } else {
            // Each function's own group, in the region it ran in.
            u.sessions
                .iter()
                .map(|(region, f)| {
                    format!("arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{f}:*")
                })
                .collect()
        };
        statements.push(json!({
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": LOGS_ACTIONS,
            "Resource": groups,
        }));
    }
    let proposed = json!({"Version": "2012-10-17", "Statement": statements});
    // An empty policy is not a document IAM accepts; there is nothing to lint.
    let lint = if statements_empty(&proposed) {
        Vec::new()
    } else {
        lint_findings(&proposed)
    };
    let diff = policies
        .map(|p| diff(p, &used_set, &groups))
        .unwrap_or_default();
    RoleReport {
        role: arn.to_string(),
        functions,
        calls: u.calls,
        current: current.map(|c| c.policies.iter().map(|p| p.name.clone()).collect()),
        boundary: current.and_then(|c| c.boundary.as_ref().map(|b| b.name.clone())),
        unknown_policies: current.map(|c| c.unknown.clone()).unwrap_or_default(),
        used: used.into_iter().map(|(_, u)| u).collect(),
        unmapped: u
            .unmapped
            .iter()
            .map(|((s, n), c): (&(String, String), &Counted)| Unmapped {
                event_source: s.clone(),
                event_name: n.clone(),
                calls: c.calls,
                last: c.last.clone(),
            })
            .collect(),
        unused,
        proposed_policy: proposed,
        sam_policies: sam_yaml(&sam_statements, role_name(arn)),
        lint,
        diff,
        notes,
        access_denied: u.denied.into_values().collect(),
    }
}

/// What a Lambda function's logs need on its log group (the group exists
/// once the function has run, so `logs:CreateLogGroup` is left out).
pub const LOGS_ACTIONS: [&str; 2] = ["logs:CreateLogStream", "logs:PutLogEvents"];

/// `s3`, `s3:GetObject` → `S3GetObject`: unique, since an action is in
/// one statement only.
fn sid(service: &str, first_action: &str) -> String {
    let mut s: String = service
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let name = first_action
        .split_once(':')
        .map_or(first_action, |(_, n)| n);
    s.extend(name.chars().filter(char::is_ascii_alphanumeric));
    s
}

/// Every action the policies grant on some resource, after their Deny
/// statements (the semantic core's reading).
pub fn granted_actions(policies: &[NamedPolicy]) -> ActionSet {
    let mut all = ActionSet::new();
    for np in policies {
        let expansions: Vec<grant::Expansion<'_>> =
            np.policy.statements.iter().map(grant::expand).collect();
        for g in grant::grants(&np.policy, &expansions) {
            all.union_with(&g.named);
        }
    }
    all
}

/// The `Resource` patterns of the Allow statements that name `id`: the
/// ceiling of a proposed pattern. Empty when one grants it with
/// `NotResource` (no simple ceiling).
fn grant_patterns(policies: &[NamedPolicy], id: ActionId) -> Vec<String> {
    let mut out = Vec::new();
    for np in policies {
        for s in np.policy.statements.iter().filter(|s| s.is_allow()) {
            if !grant::expand(s).actions.contains(id) {
                continue;
            }
            match &s.resources {
                Some(Resources::Resource(ps)) => out.extend(ps.iter().cloned()),
                _ => return Vec::new(),
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn statements_empty(policy: &Value) -> bool {
    policy["Statement"].as_array().is_none_or(Vec::is_empty)
}

fn lint_findings(policy: &Value) -> Vec<String> {
    let text = serde_json::to_string_pretty(policy).unwrap_or_default();
    let opts = lint::Options {
        min_severity: Severity::Medium,
        kind: Some(PolicyKind::Permission),
        ..lint::Options::default()
    };
    let r = lint::lint_policy_text("proposed policy", &text, &opts);
    r.findings
        .iter()
        .map(|f| {
            format!(
                "{} {}: {}",
                f.finding.severity.as_str(),
                f.finding.rule.as_str(),
                f.finding.message
            )
        })
        .chain(r.error)
        .collect()
}

/// The readable diff against the current policies: `-` a pattern none of
/// whose actions was used, `~` a pattern or resource that narrows.
fn diff(
    policies: &[NamedPolicy],
    used: &ActionSet,
    proposed: &BTreeMap<(String, Vec<String>), Vec<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for np in policies {
        for (i, s) in np.policy.statements.iter().enumerate() {
            if !s.is_allow() {
                continue;
            }
            let at = match &s.at.sid {
                Some(sid) => format!("{} Statement[{i}] ({sid})", np.name),
                None => format!("{} Statement[{i}]", np.name),
            };
            let patterns: Vec<String> = match &s.actions {
                Actions::Action(ps) => ps.clone(),
                Actions::NotAction(ps) => vec![format!("NotAction {}", ps.join(", "))],
            };
            let expansion = grant::expand(s);
            for p in &patterns {
                let named: ActionSet = if p.starts_with("NotAction ") {
                    expansion.actions.clone()
                } else {
                    let mut set = ActionSet::new();
                    for id in crate::catalog::matching(p) {
                        set.insert(id);
                    }
                    set
                };
                let kept = named.intersection(used);
                if kept.is_empty() {
                    out.push(format!(
                        "- {at}: remove `{p}` ({} action(s), none called)",
                        named.len()
                    ));
                } else if kept.len() < named.len() {
                    let mut names: Vec<String> =
                        kept.iter().map(|id| id.info().to_string()).collect();
                    names.sort();
                    out.push(format!(
                        "~ {at}: `{p}` → {} ({} of {} action(s) never called)",
                        names.join(", "),
                        named.len() - kept.len(),
                        named.len()
                    ));
                }
            }
            // Resources: what the used actions of this statement get now.
            let current: Vec<String> = match &s.resources {
                Some(Resources::Resource(ps)) => ps.clone(),
                Some(Resources::NotResource(ps)) => vec![format!("NotResource {}", ps.join(", "))],
                None => Vec::new(),
            };
            let mut narrowed: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
            for ((_, patterns), actions) in proposed {
                for a in actions {
                    let Some(id) = crate::catalog::lookup(a) else {
                        continue;
                    };
                    if expansion.actions.contains(id) && *patterns != current {
                        narrowed
                            .entry(patterns.clone())
                            .or_default()
                            .push(a.clone());
                    }
                }
            }
            for (patterns, actions) in narrowed {
                out.push(format!(
                    "~ {at}: Resource {} → {} for {}",
                    current.join(", "),
                    patterns.join(", "),
                    actions.join(", ")
                ));
            }
        }
    }
    out
}

/// The proposed statements as a SAM function's `Policies`, every scalar
/// double-quoted (valid YAML whatever the ARN holds).
fn sam_yaml(statements: &[Value], role: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut y = format!(
        "# Policies for the function using role {} (SAM adds AWSLambdaBasicExecutionRole for the logs)\nPolicies:\n",
        q(role)
    );
    if statements.is_empty() {
        y.push_str("  []\n");
        return y;
    }
    y.push_str("  - Version: \"2012-10-17\"\n    Statement:\n");
    for s in statements {
        let get = |k: &str| s.get(k).cloned().unwrap_or(Value::Null);
        y.push_str(&format!("      - Sid: {}\n", get("Sid")));
        y.push_str("        Effect: Allow\n        Action:\n");
        for a in get("Action").as_array().into_iter().flatten() {
            y.push_str(&format!("          - {a}\n"));
        }
        y.push_str("        Resource:\n");
        for r in get("Resource").as_array().into_iter().flatten() {
            y.push_str(&format!("          - {r}\n"));
        }
    }
    y
}
