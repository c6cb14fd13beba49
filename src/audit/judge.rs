//! Judges an [`Inventory`] with the same rules as `lint` and the Lambda.
//!
//! Cost is linear in the inventory: each managed policy document is parsed
//! once and judged once per distinct permissions boundary (findings are
//! cached by policy and boundary), functions are grouped by role in one
//! pass, so `shared-execution-role` and `unused-execution-role` are computed
//! once per role, never by comparing functions with each other.

use super::boundary::cap;
use super::inventory::{Document, Function, InlinePolicy, Inventory, Role};
use super::{Door, Kind, Located, Report, Subject, NO_LAMBDA_INVENTORY};
use crate::catalog::managed::{aws_managed_name, managed_policy_document};
use crate::lint::Options;
use crate::policy::{parse_document, Policy};
use crate::rules::execution_role::{self, ExecutionRole, NamedPolicy};
use crate::rules::{self, lambda_config, managed, Context, Finding, PolicyKind, RuleId, Severity};
use std::collections::HashMap;
use std::sync::Arc;

/// Judges the inventory; `opts` filters (minimum severity, ignored rules)
/// and names the trusted accounts and organizations.
pub fn judge(inv: &Inventory, opts: &Options) -> Report {
    let account = opts
        .account_id
        .clone()
        .or_else(|| inv.account().map(str::to_string));
    let ctx = Context {
        account_id: account.clone(),
        trusted_accounts: opts.trusted_accounts.clone(),
        trusted_orgs: opts.trusted_orgs.clone(),
        managed_policy_name: None,
    };
    let mut j = Judge {
        ctx,
        managed: inv
            .policies
            .iter()
            .map(|p| (p.arn.as_str(), p.document.as_ref()))
            .collect(),
        docs: HashMap::new(),
        cache: HashMap::new(),
    };
    let mut report = Report {
        account,
        lambda_inventory: inv.functions.is_some(),
        ..Report::default()
    };

    // Functions grouped by role, in one pass.
    let role_index: HashMap<&str, usize> = inv
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.arn.as_str(), i))
        .collect();
    let role_by_name: HashMap<&str, usize> = inv
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.name.as_str(), i))
        .collect();
    let find_role = |arn: &str| {
        role_index
            .get(arn)
            .or_else(|| role_by_name.get(arn.rsplit('/').next().unwrap_or(arn)))
            .copied()
    };
    let functions: &[Function] = inv.functions.as_deref().unwrap_or(&[]);
    let mut users_of: Vec<Vec<usize>> = vec![Vec::new(); inv.roles.len()];
    for (fi, f) in functions.iter().enumerate() {
        if let Some(ri) = f.role.as_deref().and_then(find_role) {
            users_of[ri].push(fi);
        }
    }

    // Roles: their own documents, and the execution roles of functions.
    // Roles are independent of each other, so they are judged on every
    // core, each worker with its own caches.
    let lambda_inventory = report.lambda_inventory;
    let judge_role = |j: &mut Judge<'_>, ri: usize, role: &Role| {
        let (mut subject, exec) = j.role(role, !users_of[ri].is_empty());
        let mut names: Vec<&str> = users_of[ri]
            .iter()
            .map(|&fi| functions[fi].name.as_str())
            .collect();
        names.sort_unstable();
        let mut kept = None;
        if names.is_empty() {
            if lambda_inventory {
                if let Some(f) = execution_role::unused_execution_role(&exec) {
                    subject.push(f, None, Door::Outbound);
                }
            }
        } else {
            if let Some(f) = execution_role::role_not_lambda_trusted(&exec) {
                subject.push(f, Some("trust policy".into()), Door::Outbound);
            }
            if let Some(f) = execution_role::shared_execution_role(&exec, &names) {
                subject.push(f, None, Door::Outbound);
            }
            subject.functions = names.iter().map(|n| n.to_string()).collect();
            kept = Some(exec);
        }
        subject.filter(opts, &role.tags);
        (subject, kept)
    };
    let workers = if inv.roles.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS))
    };
    let chunk = inv.roles.len().div_ceil(workers).max(1);
    let judged: Vec<(Subject, Option<ExecutionRole>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = inv
            .roles
            .chunks(chunk)
            .enumerate()
            .map(|(ci, roles)| {
                let judge_role = &judge_role;
                let j = &j;
                scope.spawn(move || {
                    let mut own = j.fresh();
                    roles
                        .iter()
                        .enumerate()
                        .map(|(k, role)| judge_role(&mut own, ci * chunk + k, role))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let (role_subjects, exec_roles): (Vec<Subject>, Vec<Option<ExecutionRole>>) =
        judged.into_iter().unzip();

    let mut function_subjects: Vec<Subject> = functions
        .iter()
        .map(|f| {
            let role = f
                .role
                .as_deref()
                .and_then(find_role)
                .and_then(|ri| exec_roles[ri].as_ref());
            let mut s = j.function(f, role);
            s.filter(opts, &[]);
            s
        })
        .collect();
    function_subjects.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.arn.cmp(&b.arn)));
    report.subjects.extend(function_subjects);
    report.subjects.extend(role_subjects);

    for u in &inv.users {
        let mut s = j.principal(
            Kind::User,
            &u.name,
            &u.arn,
            &u.file,
            &u.inline,
            &u.attached,
            u.boundary.as_deref(),
        );
        s.filter(opts, &u.tags);
        report.subjects.push(s);
    }
    for g in &inv.groups {
        let mut s = j.principal(
            Kind::Group,
            &g.name,
            &g.arn,
            &g.file,
            &g.inline,
            &g.attached,
            None,
        );
        s.filter(opts, &[]);
        report.subjects.push(s);
    }

    // Customer policies attached to nothing: one call from being used.
    let mut referenced: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for a in inv
        .roles
        .iter()
        .flat_map(|r| r.attached.iter().chain(&r.boundary))
        .chain(
            inv.users
                .iter()
                .flat_map(|u| u.attached.iter().chain(&u.boundary)),
        )
        .chain(inv.groups.iter().flat_map(|g| &g.attached))
    {
        referenced.insert(a.as_str());
    }
    for p in &inv.policies {
        if p.attachments > 0
            || p.boundary_uses > 0
            || referenced.contains(p.arn.as_str())
            || p.arn.contains(":iam::aws:policy/")
        {
            continue;
        }
        let mut s = Subject::new(Kind::Policy, &p.name, &p.arn, &p.file);
        s.notes.push("attached to nothing".into());
        match &p.document {
            Some(doc) => {
                for f in j.document(doc, PolicyKind::Permission, None, &p.name) {
                    s.push(
                        f,
                        Some(format!("managed policy `{}`", p.name)),
                        Door::Outbound,
                    );
                }
            }
            None => s.notes.push("the dump carries no default version".into()),
        }
        s.filter(opts, &[]);
        report.subjects.push(s);
    }

    for l in &inv.layers {
        let mut s = Subject::new(Kind::Layer, layer_name(&l.arn), &l.arn, &l.file);
        match &l.document {
            Ok(policy) => {
                for st in policy.statements.iter().filter(|st| st.is_allow()) {
                    let org = st
                        .conditions_on("aws:PrincipalOrgID")
                        .find(|c| c.is_positive_match())
                        .and_then(|c| c.values.first())
                        .map(String::as_str);
                    for p in st.principals() {
                        let principal = if p.is_anyone() { "*" } else { p.value.as_str() };
                        if let Some(f) = lambda_config::public_layer(principal, org, &l.arn) {
                            s.push(f.at(&st.at), Some("layer policy".into()), Door::Inbound);
                        }
                    }
                }
            }
            Err(e) => s.push(
                invalid("the layer version policy", e),
                Some("layer policy".into()),
                Door::Inbound,
            ),
        }
        s.filter(opts, &[]);
        report.subjects.push(s);
    }
    if !report.lambda_inventory {
        report.notes.push(NO_LAMBDA_INVENTORY.to_string());
    }
    report
}

fn layer_name(arn: &str) -> &str {
    arn.split(':').nth(6).unwrap_or(arn)
}

/// `invalid-policy` for a document that is not a policy at all.
fn invalid(what: &str, error: &str) -> Finding {
    Finding::new(
        RuleId::InvalidPolicy,
        Severity::High,
        format!("{what} is not a policy document: {error}"),
        "fix the document: IAM rejects it, so what it was meant to grant or deny is not in force"
            .to_string(),
    )
}

/// The rule ids a `doorman:ignore` tag names (comma- or space-separated;
/// unknown ids are left out, so one typo does not disable the rest).
fn ignored_by_tags(tags: &[(String, String)]) -> Vec<RuleId> {
    tags.iter()
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("doorman:ignore"))
        .flat_map(|(_, v)| v.split([',', ' ']))
        .filter_map(|id| id.trim().parse().ok())
        .collect()
}

impl Subject {
    fn new(kind: Kind, name: &str, arn: &str, file: &str) -> Subject {
        Subject {
            kind,
            name: name.to_string(),
            arn: arn.to_string(),
            file: file.to_string(),
            findings: Vec::new(),
            notes: Vec::new(),
            role: None,
            functions: Vec::new(),
        }
    }

    fn push(&mut self, finding: Finding, document: Option<String>, door: Door) {
        let located = Located {
            finding,
            document,
            door,
        };
        // Rewritten boundary statements can repeat a finding.
        if !self.findings.contains(&located) {
            self.findings.push(located);
        }
    }

    /// Drops what the user does not want reported: below the minimum
    /// severity, ignored by option, or by the subject's `doorman:ignore` tag.
    fn filter(&mut self, opts: &Options, tags: &[(String, String)]) {
        let tagged = ignored_by_tags(tags);
        self.findings.retain(|f| {
            f.finding.severity >= opts.min_severity
                && !opts.ignore.contains(&f.finding.rule)
                && !tagged.contains(&f.finding.rule)
        });
        self.findings
            .sort_by_key(|f| std::cmp::Reverse(f.finding.severity));
    }
}

/// Below this many roles, one thread judges them all.
const PARALLEL_FROM: usize = 512;
/// At most this many threads judge roles.
const MAX_WORKERS: usize = 8;

/// The judging state: documents and findings computed once.
struct Judge<'a> {
    ctx: Context,
    /// The dump's managed policies by ARN (default version).
    managed: HashMap<&'a str, Option<&'a Document>>,
    /// Managed documents (the dump's, else built-in), made on first use.
    docs: HashMap<String, Option<Result<Arc<Policy>, String>>>,
    /// Findings of a managed policy under a boundary (or none).
    cache: HashMap<(String, Option<String>), Arc<Vec<Finding>>>,
}

impl<'a> Judge<'a> {
    /// A judge with the same inputs and empty caches, for another thread.
    fn fresh(&self) -> Judge<'a> {
        Judge {
            ctx: self.ctx.clone(),
            managed: self.managed.clone(),
            docs: HashMap::new(),
            cache: HashMap::new(),
        }
    }

    /// The document of a managed policy: the dump's default version, else
    /// the built-in copy of an AWS managed one. Each is made once.
    fn managed_policy(&mut self, arn: &str) -> Option<Result<Arc<Policy>, String>> {
        if let Some(known) = self.docs.get(arn) {
            return known.clone();
        }
        let doc = match self.managed.get(arn) {
            Some(Some(Ok(p))) => Some(Ok(Arc::new(p.clone()))),
            Some(Some(Err(e))) => Some(Err(e.clone())),
            _ => managed_policy_document(arn)
                .and_then(|d| parse_document(d).ok())
                .map(|p| Ok(Arc::new(p))),
        };
        self.docs.insert(arn.to_string(), doc.clone());
        doc
    }

    /// Judges one document (capped by `boundary` when given).
    fn document(
        &self,
        doc: &Document,
        kind: PolicyKind,
        boundary: Option<&Policy>,
        what: &str,
    ) -> Vec<Finding> {
        match doc {
            Ok(p) => match boundary {
                Some(b) if kind == PolicyKind::Permission => {
                    rules::evaluate(&cap(p, b), kind, &self.ctx)
                }
                _ => rules::evaluate(p, kind, &self.ctx),
            },
            Err(e) => vec![invalid(what, e)],
        }
    }

    /// The boundary's document, or a note saying why it is not applied.
    fn boundary(&mut self, arn: Option<&str>, notes: &mut Vec<String>) -> Option<Arc<Policy>> {
        let arn = arn?;
        match self.managed_policy(arn) {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                notes.push(format!("permissions boundary `{arn}` is not a policy document ({e}): judged without it"));
                None
            }
            None => {
                notes.push(format!(
                    "permissions boundary `{arn}` is not in the dump: judged without it"
                ));
                None
            }
        }
    }

    /// Inline and attached policies of a role, user or group, and the
    /// policies as IAM enforces them (capped by the boundary) for the
    /// execution-role rules.
    #[allow(clippy::too_many_arguments)]
    fn policies(
        &mut self,
        subject: &mut Subject,
        holder: &str,
        inline: &[InlinePolicy],
        attached: &[String],
        boundary_arn: Option<&str>,
        keep: bool,
    ) -> Vec<NamedPolicy> {
        let boundary = self.boundary(boundary_arn, &mut subject.notes);
        let mut kept = Vec::new();
        for p in inline {
            let label = format!("inline policy `{}`", p.name);
            for f in self.document(
                &p.document,
                PolicyKind::Permission,
                boundary.as_deref(),
                &label,
            ) {
                subject.push(f, Some(label.clone()), Door::Outbound);
            }
            if let (true, Ok(policy)) = (keep, &p.document) {
                kept.push(NamedPolicy {
                    name: p.name.clone(),
                    policy: match &boundary {
                        Some(b) => cap(policy, b),
                        None => policy.clone(),
                    },
                });
            }
        }
        for arn in attached {
            let aws_name = aws_managed_name(arn).filter(|_| arn.contains(":iam::aws:policy/"));
            let label = format!("managed policy `{arn}`");
            let doc = self.managed_policy(arn);
            // A broad AWS managed policy says it all by its name, unless a
            // boundary caps it: then what it grants under the cap is judged.
            let broad = if boundary.is_none() && aws_name.is_some() {
                managed::check_attachment(arn, holder)
            } else {
                None
            };
            match (broad, &doc) {
                (Some(f), _) => subject.push(f, Some(label.clone()), Door::Outbound),
                (None, Some(doc)) => {
                    let key = (arn.clone(), boundary_arn.map(str::to_string));
                    let findings = match self.cache.get(&key) {
                        Some(f) => f.clone(),
                        None => {
                            let ctx_name = aws_name.map(str::to_string);
                            let findings = match doc {
                                Ok(p) => {
                                    let ctx = Context {
                                        managed_policy_name: ctx_name,
                                        ..self.ctx.clone()
                                    };
                                    match &boundary {
                                        Some(b) => rules::evaluate(
                                            &cap(p, b),
                                            PolicyKind::Permission,
                                            &ctx,
                                        ),
                                        None => rules::evaluate(p, PolicyKind::Permission, &ctx),
                                    }
                                }
                                Err(e) => vec![invalid(&label, e)],
                            };
                            let findings = Arc::new(findings);
                            self.cache.insert(key, findings.clone());
                            findings
                        }
                    };
                    for f in findings.iter() {
                        subject.push(f.clone(), Some(label.clone()), Door::Outbound);
                    }
                }
                (None, None) => subject.notes.push(format!(
                    "managed policy `{arn}` is not in the dump nor among the built-in AWS managed policies: not judged"
                )),
            }
            if let (true, Some(Ok(policy))) = (keep, &doc) {
                kept.push(NamedPolicy {
                    name: arn.clone(),
                    policy: match &boundary {
                        Some(b) => cap(policy, b),
                        None => (**policy).clone(),
                    },
                });
            }
        }
        kept
    }

    /// A role's subject (trust and permission findings) and the role as the
    /// execution-role rules see it.
    fn role(&mut self, role: &Role, used: bool) -> (Subject, ExecutionRole) {
        let mut s = Subject::new(Kind::Role, &role.name, &role.arn, &role.file);
        let holder = format!("role `{}`", role.name);
        let trust = match &role.trust {
            Some(doc) => {
                for f in self.document(doc, PolicyKind::Trust, None, "the trust policy") {
                    s.push(f, Some("trust policy".into()), Door::Outbound);
                }
                doc.as_ref().ok().cloned()
            }
            None => None,
        };
        let lambda = ExecutionRole {
            name: role.name.clone(),
            arn: Some(role.arn.clone()),
            trust: trust.clone(),
            policies: Vec::new(),
        };
        // A service-linked role's policies are AWS's, fixed by the service:
        // nothing the account can change, so only its trust is judged.
        if role.arn.contains(":role/aws-service-role/") {
            s.notes.push(
                "service-linked role: its permissions are set by the AWS service and were not judged".into(),
            );
            return (s, lambda);
        }
        // Only the policies of a role some function uses are kept.
        let keep = used;
        let policies = self.policies(
            &mut s,
            &holder,
            &role.inline,
            &role.attached,
            role.boundary.as_deref(),
            keep,
        );
        (s, ExecutionRole { policies, ..lambda })
    }

    #[allow(clippy::too_many_arguments)]
    fn principal(
        &mut self,
        kind: Kind,
        name: &str,
        arn: &str,
        file: &str,
        inline: &[InlinePolicy],
        attached: &[String],
        boundary: Option<&str>,
    ) -> Subject {
        let mut s = Subject::new(kind, name, arn, file);
        let holder = format!("{} `{name}`", kind.as_str());
        self.policies(&mut s, &holder, inline, attached, boundary, false);
        s
    }

    /// A function: its execution role's §3.4 rules that depend on the
    /// function, and its inbound door.
    fn function(&self, f: &Function, role: Option<&ExecutionRole>) -> Subject {
        let mut s = Subject::new(Kind::Function, &f.name, &f.arn, &f.file);
        s.role = f.role.clone();
        match (role, &f.role) {
            (Some(role), _) => {
                let finding = match &f.log_group {
                    Some(group) if *group != format!("/aws/lambda/{}", f.name) => {
                        execution_role::missing_logs_in_group(
                            role,
                            &format!("function `{}`", f.name),
                            group,
                            Some(&f.arn),
                        )
                    }
                    _ => execution_role::missing_logs(role, Some(&f.name), Some(&f.arn)),
                };
                if let Some(finding) = finding {
                    s.push(finding, None, Door::Outbound);
                }
                for m in &f.mappings {
                    if let Some(finding) =
                        execution_role::event_source_missing_permissions(role, &m.event_source_arn)
                    {
                        s.push(
                            finding,
                            Some(format!("event source mapping `{}`", m.uuid)),
                            Door::Outbound,
                        );
                    }
                }
            }
            (None, Some(arn)) => s.notes.push(format!(
                "execution role `{arn}` is not in the authorization details: its door was not judged"
            )),
            (None, None) => s.notes.push("no execution role".into()),
        }
        for layer in &f.layers {
            if let Some(finding) = lambda_config::cross_account_layer(layer, &self.ctx, &f.name) {
                s.push(finding, Some("layers".into()), Door::Inbound);
            }
        }
        for auth in &f.url_auth {
            if let Some(finding) = lambda_config::public_function_url(auth, &f.name) {
                s.push(finding, Some("function URL".into()), Door::Inbound);
            }
        }
        if let Some(doc) = &f.policy {
            for finding in self.document(doc, PolicyKind::Resource, None, "the resource policy") {
                s.push(finding, Some("resource policy".into()), Door::Inbound);
            }
        }
        s
    }
}
