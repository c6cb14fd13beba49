//! `doorman lint` on SAM / CloudFormation templates (SPEC §6).
//!
//! A template is read into a tree that keeps lines ([`yaml`]), its policy
//! documents are turned into plain policy JSON with intrinsics replaced by
//! scoped placeholders ([`intrinsic`]; SAM policy templates expanded by
//! [`sam`]), and then judged by the same rules as policy files and events.
//! On top, the template as a whole is judged for execution-role hygiene
//! (SPEC §3.4): which function uses which role, and what that role allows.
//!
//! Resource types: `AWS::IAM::Role`, `AWS::IAM::Policy`,
//! `AWS::IAM::ManagedPolicy`, `AWS::IAM::RolePolicy`/`UserPolicy`/
//! `GroupPolicy`, `AWS::IAM::User`/`Group` (policies only),
//! `AWS::Serverless::Function`, `AWS::Lambda::Function`,
//! `AWS::Lambda::Permission`, `AWS::Lambda::Url`,
//! `AWS::Lambda::LayerVersionPermission`. Everything else is skipped.
//!
//! Values are read as CloudFormation resolves them (SPEC §3.0): each
//! combination of `Fn::If` branches and allowed parameter values is judged,
//! and a finding that holds in only some says which ("when condition
//! `IsProd` is false"); an account known only at deploy time is another
//! account. A document made by `Fn::Transform` (`AWS::Include`) exists only
//! at deploy time: it is skipped with a note, not reported as invalid.

mod intrinsic;
mod sam;
mod yaml;

pub use intrinsic::TEMPLATE_ACCOUNT;

use crate::catalog;
use crate::lint::{LocatedFinding, Location};
use crate::policy::{parse_value, Policy};
use crate::rules::execution_role::{self, ExecutionRole, NamedPolicy};
use crate::rules::{self, lambda_config, managed, Context, Finding, PolicyKind, RuleId, Severity};
use intrinsic::{Choices, Resolver};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use yaml::{Entry, Node, Value};

/// The error for a text that parses but has no `Resources` mapping.
pub const NOT_A_TEMPLATE: &str = "not a CloudFormation template: it has no `Resources` section";

/// Whether `text` is a template: YAML or JSON whose top level has a
/// `Resources` or `AWSTemplateFormatVersion` key. A template with a repeated
/// key still is one (and [`lint_template`] reports the repeat as an error).
pub fn looks_like_template(text: &str) -> bool {
    yaml::parse_lenient(text).is_ok_and(|(root, _)| {
        root.get("Resources").is_some() || root.get("AWSTemplateFormatVersion").is_some()
    })
}

/// Judges a template. `source` names it in every location. Errors: not valid
/// YAML (with line and column) or not a template; findings otherwise, ordered
/// by line.
pub fn lint_template(source: &str, text: &str) -> Result<Vec<LocatedFinding>, String> {
    lint_template_with(source, text, &Context::default())
}

/// [`lint_template`] with the user's trusted accounts and organizations
/// (`base`); the template's own account is always [`TEMPLATE_ACCOUNT`].
pub fn lint_template_with(
    source: &str,
    text: &str,
    base: &Context,
) -> Result<Vec<LocatedFinding>, String> {
    lint_template_with_notes(source, text, base).map(|(findings, _)| findings)
}

/// [`lint_template_with`], with notes on what was left unjudged (a document
/// pulled in by `Fn::Transform`/`AWS::Include` exists only at deploy time).
pub fn lint_template_with_notes(
    source: &str,
    text: &str,
    base: &Context,
) -> Result<(Vec<LocatedFinding>, Vec<String>), String> {
    let root = yaml::parse(text)?;
    let resources = root
        .get("Resources")
        .and_then(Node::as_map)
        .ok_or_else(|| NOT_A_TEMPLATE.to_string())?;
    let mut linter = Linter {
        source,
        resources,
        globals: root.get("Globals").and_then(|g| g.get("Function")),
        resolver: Resolver::new(root.get("Parameters"), root.get("Conditions"))
            .with_template(root.get("Mappings"), root.get("Resources")),
        ctx: Context {
            account_id: Some(TEMPLATE_ACCOUNT.to_string()),
            ..base.clone()
        },
        out: Vec::new(),
        notes: Vec::new(),
        when: Vec::new(),
        resource_when: Vec::new(),
    };
    linter.run();
    if let Some(globals) = linter.globals {
        linter.global_url(globals);
    }
    let notes = linter.notes;
    let mut out = linter.out;
    out.sort_by_key(|f| {
        (
            f.location.line,
            f.location.logical_id.clone(),
            f.finding.rule,
        )
    });
    out.dedup();
    Ok((out, notes))
}

/// The identity policies of one role of a template, for `doorman tighten`:
/// an `AWS::IAM::Role` by logical id (inline, the template's managed
/// policies, `AWS::IAM::Policy` resources attached to it, AWS managed
/// policies from the built-in set), or a function's: the role its `Role`
/// names, or the role SAM generates (`Policies` plus
/// `AWSLambdaBasicExecutionRole`). The flag says whether every document is
/// known (a managed policy doorman does not carry may grant anything).
pub fn role_policies(
    text: &str,
    logical_id: &str,
) -> Result<(Vec<execution_role::NamedPolicy>, bool), String> {
    let root = yaml::parse(text)?;
    let resources = root
        .get("Resources")
        .and_then(Node::as_map)
        .ok_or_else(|| NOT_A_TEMPLATE.to_string())?;
    let mut linter = Linter {
        source: "",
        resources,
        globals: root.get("Globals").and_then(|g| g.get("Function")),
        resolver: Resolver::new(root.get("Parameters"), root.get("Conditions"))
            .with_template(root.get("Mappings"), root.get("Resources")),
        ctx: Context {
            account_id: Some(TEMPLATE_ACCOUNT.to_string()),
            ..Context::default()
        },
        out: Vec::new(),
        notes: Vec::new(),
        when: Vec::new(),
        resource_when: Vec::new(),
    };
    let entry = resources
        .iter()
        .find(|e| e.key == logical_id)
        .ok_or_else(|| format!("no resource `{logical_id}` in the template"))?;
    let p =
        props(&entry.value).ok_or_else(|| format!("resource `{logical_id}` has no Properties"))?;
    let role_id = match type_of(&entry.value) {
        "AWS::IAM::Role" => Some(entry.key.as_str()),
        t @ ("AWS::Serverless::Function" | "AWS::Lambda::Function") => match p.get("Role") {
            Some(r) => {
                let text = linter.text(r);
                let id = referenced_id(&text)
                    .and_then(|id| resources.iter().find(|e| e.key == id))
                    .filter(|e| type_of(&e.value) == "AWS::IAM::Role")
                    .map(|e| e.key.as_str());
                Some(id.ok_or_else(|| {
                    format!("the `Role` of `{logical_id}` is not a role of this template")
                })?)
            }
            None if t == "AWS::Serverless::Function" => None,
            None => return Err(format!("`{logical_id}` has no `Role`")),
        },
        t => {
            return Err(format!(
                "`{logical_id}` is a `{t}`, not a role or a function"
            ))
        }
    };
    if let Some(id) = role_id {
        let Some(rp) = linter.resource(id).and_then(props) else {
            return Err(format!("role `{id}` has no Properties"));
        };
        let info = linter.role(id, rp);
        let mut roles = BTreeMap::from([(id, info)]);
        linter.attach_separate_policies(&mut roles);
        let info = roles
            .remove(id)
            .ok_or_else(|| format!("role `{id}` could not be read"))?;
        return Ok((info.role.policies, info.complete));
    }
    // SAM's generated role: AWSLambdaBasicExecutionRole and `Policies`.
    let mut named: Vec<execution_role::NamedPolicy> =
        execution_role::NamedPolicy::aws_managed("AWSLambdaBasicExecutionRole")
            .into_iter()
            .collect();
    let mut complete = true;
    for (item, _) in list_items(p.get("Policies")) {
        match &item.value {
            Value::Scalar(name) => match execution_role::NamedPolicy::aws_managed(name) {
                Some(np) => named.push(np),
                None => complete = false,
            },
            Value::Map(_) if item.get("Statement").is_some() => {
                if let Some(policy) =
                    linter.judge_doc(item, PolicyKind::Permission, logical_id, "Policies")
                {
                    named.push(execution_role::NamedPolicy {
                        name: "Policies".to_string(),
                        policy,
                    });
                }
            }
            Value::Map(_) => {
                let Some((key, params)) = item.single_key() else {
                    continue;
                };
                let doc = (!(key == "Ref" || key.starts_with("Fn::")))
                    .then(|| sam::expand(key, params, &linter.resolver.base()))
                    .flatten()
                    .and_then(|doc| parse_value(&doc).ok());
                match doc {
                    Some(policy) => named.push(execution_role::NamedPolicy {
                        name: key.to_string(),
                        policy,
                    }),
                    None => complete = false,
                }
            }
            _ => {}
        }
    }
    Ok((named, complete))
}

struct Linter<'a> {
    source: &'a str,
    resources: &'a [Entry],
    /// SAM `Globals.Function`, which every `AWS::Serverless::Function`
    /// inherits.
    globals: Option<&'a Node>,
    resolver: Resolver,
    ctx: Context,
    out: Vec<LocatedFinding>,
    notes: Vec<String>,
    /// The `Fn::If` picks that lead to the element being judged (a policy in
    /// a list that holds it only under a condition): every finding on it
    /// says them.
    when: Vec<String>,
    /// The resource's own `Condition`: it exists only when that is true.
    resource_when: Vec<String>,
}

/// What the template says about one role, for the hygiene rules.
struct RoleInfo {
    role: ExecutionRole,
    /// False when the role holds a managed policy whose document doorman
    /// cannot see: it may grant anything, so `missing-logs` stays silent.
    complete: bool,
}

/// A function of the template and the role it runs with.
struct FunctionInfo<'a> {
    id: &'a str,
    /// `FunctionName` when written literally.
    name: Option<String>,
    /// The `Role` property (absent: SAM generates a role).
    role: Option<&'a Entry>,
    /// Queues and streams the function polls: SAM `Events` of type `SQS`,
    /// `Kinesis`, `DynamoDB`, and `AWS::Lambda::EventSourceMapping`s.
    sources: Vec<EventSource<'a>>,
}

/// One event source of a function, where the template names it.
struct EventSource<'a> {
    arn: &'a Node,
    line: usize,
    logical_id: &'a str,
}

fn props(resource: &Node) -> Option<&Node> {
    resource.get("Properties")
}

fn type_of(resource: &Node) -> &str {
    resource.get("Type").and_then(Node::as_str).unwrap_or("")
}

/// The logical id a `${Id}` / `${Id.Arn}` placeholder refers to.
fn referenced_id(text: &str) -> Option<&str> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    let id = inner.split('.').next()?;
    (!id.is_empty() && id != "AWS" && id != "Fn").then_some(id)
}

impl<'a> Linter<'a> {
    fn resource(&self, id: &str) -> Option<&'a Node> {
        self.resources
            .iter()
            .find(|e| e.key == id)
            .map(|e| &e.value)
    }

    /// The text a value stands for, with no choice made (first branch,
    /// first allowed value).
    fn text(&self, node: &Node) -> String {
        self.resolver.base().to_text(node)
    }

    /// Every text a value may stand for, one per choice of `Fn::If`
    /// branches and allowed values, with the choice (empty when there is
    /// none).
    fn texts(&self, node: &Node) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for choices in self.resolver.variants(node) {
            let view = self.resolver.view(&choices);
            if view.select(node).is_none() {
                continue;
            }
            let t = view.to_text(node);
            if !out.iter().any(|(seen, _)| *seen == t) {
                out.push((t, choices.parts()));
            }
        }
        if out.len() == 1 {
            out[0].1.clear();
        }
        out
    }

    /// Adds "(when ...)" to a finding that holds only under the picks
    /// `parts` (and those of the element being judged).
    fn annotate(&self, finding: &mut Finding, parts: &[String]) {
        let mut all: Vec<String> = Vec::new();
        for part in self.resource_when.iter().chain(&self.when).chain(parts) {
            if !all.contains(part) {
                all.push(part.clone());
            }
        }
        let when = intrinsic::when(&all);
        if !when.is_empty() {
            finding.message = format!("{} ({when})", finding.message);
        }
    }

    fn push(&mut self, mut finding: Finding, logical_id: &str, line: usize) {
        // Stand-in accounts and placeholders as the template spells them.
        finding.message = self.resolver.readable(&finding.message);
        finding.fix = self.resolver.readable(&finding.fix);
        let at = finding.statement.clone();
        self.out.push(LocatedFinding {
            location: Location {
                file: self.source.to_string(),
                line: (line > 0).then_some(line),
                statement: at.as_ref().map(|a| a.index),
                sid: at.and_then(|a| a.sid),
                logical_id: Some(logical_id.to_string()),
            },
            finding,
        });
    }

    /// Judges one policy document with every rule of its kind, once per
    /// combination of `Fn::If` branches and allowed parameter values it
    /// holds (SPEC §3.0): a finding of only some of them says which. Returns
    /// the document as first read (true branches), for the hygiene rules.
    ///
    /// A combination IAM would refuse (a statement left without `Resource`
    /// when a condition is false) cannot be deployed, so it grants nothing:
    /// it is judged only when every combination is refused.
    fn judge_doc(
        &mut self,
        doc: &Node,
        kind: PolicyKind,
        logical_id: &str,
        what: &str,
    ) -> Option<Policy> {
        let variants = self.resolver.variants(doc);
        struct Judged {
            choice: usize,
            policy: Result<Policy, String>,
            findings: Vec<(Finding, usize)>,
            line: usize,
        }
        let mut judged: Vec<Judged> = Vec::new();
        for (i, choices) in variants.iter().enumerate() {
            let view = self.resolver.view(choices);
            let Some(selected) = view.select(doc) else {
                continue;
            };
            if let Some(("Fn::Transform", _)) = selected.single_key() {
                let note = format!(
                    "{what} of `{logical_id}` (line {}) is not judged: `Fn::Transform` (e.g. `AWS::Include`) makes it at deploy time",
                    selected.line
                );
                if !self.notes.contains(&note) {
                    self.notes.push(note);
                }
                continue;
            }
            // CloudFormation also takes a document written as a JSON string.
            let parsed = match view.policy_json(selected) {
                Json::String(text) => crate::policy::parse_document(&text),
                value => parse_value(&value),
            };
            let policy = parsed.map_err(|e| e.to_string());
            let mut findings = Vec::new();
            if let Ok(policy) = &policy {
                let statement_lines: Vec<usize> = selected
                    .get("Statement")
                    .and_then(|s| view.select(s))
                    .map(|s| {
                        s.items()
                            .into_iter()
                            .filter_map(|n| view.select(n))
                            .map(|n| n.line)
                            .collect()
                    })
                    .unwrap_or_default();
                for f in rules::evaluate(policy, kind, &self.ctx) {
                    // An action written as an intrinsic cannot be looked up.
                    if f.rule == RuleId::UnknownAction && intrinsic::is_placeholder(&f.message) {
                        continue;
                    }
                    let line = f
                        .statement
                        .as_ref()
                        .and_then(|s| statement_lines.get(s.index).copied())
                        .unwrap_or(selected.line);
                    findings.push((f, line));
                }
            }
            judged.push(Judged {
                choice: i,
                policy,
                findings,
                line: selected.line,
            });
        }
        let refused = |j: &Judged| {
            j.policy.is_err()
                || j.findings
                    .iter()
                    .any(|(f, _)| f.rule == RuleId::InvalidPolicy)
        };
        if judged.iter().any(|j| !refused(j)) {
            judged.retain(|j| !refused(j));
        }
        let first = judged.first()?;
        if let Err(e) = &first.policy {
            let f = Finding::new(
                RuleId::InvalidPolicy,
                Severity::High,
                format!("{what} of `{logical_id}`: {e}"),
                "write a policy document with `Version` and a `Statement` list".to_string(),
            );
            let line = first.line;
            let mut f = f;
            self.annotate(&mut f, &[]);
            self.push(f, logical_id, line);
            return None;
        }
        let policy = first.policy.as_ref().ok().cloned();
        // Each finding once, with the combinations it appears in.
        let mut found: Vec<(Finding, usize, Vec<usize>)> = Vec::new();
        for j in &judged {
            for (f, line) in &j.findings {
                match found.iter_mut().find(|(g, l, _)| g == f && l == line) {
                    Some((_, _, seen)) => seen.push(j.choice),
                    None => found.push((f.clone(), *line, vec![j.choice])),
                }
            }
        }
        for (mut f, line, seen) in found {
            let parts = Choices::describe(&variants, &seen, judged.len());
            self.annotate(&mut f, &parts);
            self.push(f, logical_id, line);
        }
        policy
    }

    fn run(&mut self) {
        let mut roles: BTreeMap<&'a str, RoleInfo> = BTreeMap::new();
        let mut functions: Vec<FunctionInfo<'a>> = Vec::new();
        for entry in self.resources {
            let id = entry.key.as_str();
            let r = &entry.value;
            let Some(p) = props(r) else { continue };
            // A resource with a `Condition` exists only when it is true:
            // its values are read with that condition true, and its
            // findings say so.
            let condition = r.get("Condition").and_then(Node::as_str);
            self.resolver.fix_condition(condition);
            self.resource_when = condition
                .map(|c| vec![intrinsic::condition_part(c, true)])
                .unwrap_or_default();
            match type_of(r) {
                "AWS::IAM::Role" => {
                    let info = self.role(id, p);
                    roles.insert(id, info);
                }
                "AWS::IAM::User" | "AWS::IAM::Group" => {
                    let holder = if type_of(r) == "AWS::IAM::User" {
                        "user"
                    } else {
                        "group"
                    };
                    self.identity_policies(id, p, &format!("{holder} `{id}`"));
                }
                "AWS::IAM::Policy"
                | "AWS::IAM::ManagedPolicy"
                | "AWS::IAM::RolePolicy"
                | "AWS::IAM::UserPolicy"
                | "AWS::IAM::GroupPolicy" => {
                    if let Some(doc) = p.get("PolicyDocument") {
                        self.judge_doc(doc, PolicyKind::Permission, id, "PolicyDocument");
                    }
                }
                "AWS::Serverless::Function" => {
                    self.sam_function(id, p);
                    functions.push(function_info(id, p));
                }
                "AWS::Lambda::Function" => {
                    self.layers(id, p, false);
                    functions.push(function_info(id, p));
                }
                "AWS::Lambda::Permission" => self.permission(id, entry.key_line, p),
                "AWS::Lambda::Url" => {
                    if let Some(e) = p.entry("AuthType") {
                        let target = p
                            .get("TargetFunctionArn")
                            .map(|t| self.text(t))
                            .unwrap_or_else(|| id.to_string());
                        let label = referenced_id(&target).unwrap_or(&target).to_string();
                        self.url_auth(&e.value, &label, id, e.key_line);
                    }
                }
                "AWS::Lambda::LayerVersionPermission" => {
                    let line = p.entry("Principal").map_or(entry.key_line, |e| e.key_line);
                    self.judge_variants(p, id, line, |_, view| {
                        let text = |k: &str| p.get(k).map(|n| view.to_text(n));
                        let principal = text("Principal").unwrap_or_default();
                        let layer = text("LayerVersionArn").unwrap_or_else(|| id.to_string());
                        let label = referenced_id(&layer).unwrap_or(&layer).to_string();
                        let org = text("OrganizationId");
                        lambda_config::public_layer(&principal, org.as_deref(), &label)
                            .into_iter()
                            .collect()
                    });
                }
                _ => {}
            }
        }
        self.resolver.fix_condition(None);
        self.resource_when.clear();
        for entry in self.resources {
            let r = &entry.value;
            if type_of(r) != "AWS::Lambda::EventSourceMapping" {
                continue;
            }
            let Some(p) = props(r) else { continue };
            let (Some(function), Some(arn)) = (p.get("FunctionName"), p.entry("EventSourceArn"))
            else {
                continue;
            };
            let target = self.text(function);
            if let Some(f) = functions.iter_mut().find(|f| {
                referenced_id(&target) == Some(f.id) || f.name.as_deref() == Some(&target)
            }) {
                f.sources.push(EventSource {
                    arn: &arn.value,
                    line: arn.key_line,
                    logical_id: entry.key.as_str(),
                });
            }
        }
        self.attach_separate_policies(&mut roles);
        self.hygiene(&roles, &functions);
    }

    /// `AWS::IAM::Role`: trust, inline policies, managed policies.
    fn role(&mut self, id: &str, p: &Node) -> RoleInfo {
        let trust = p
            .get("AssumeRolePolicyDocument")
            .and_then(|doc| self.judge_doc(doc, PolicyKind::Trust, id, "AssumeRolePolicyDocument"));
        let (policies, complete) = self.identity_policies(id, p, &format!("role `{id}`"));
        RoleInfo {
            role: ExecutionRole {
                name: id.to_string(),
                arn: None,
                trust,
                policies,
            },
            complete,
        }
    }

    /// `Policies[].PolicyDocument` and `ManagedPolicyArns` of a role, user or
    /// group: judged, and returned (with whether every document is known).
    fn identity_policies(&mut self, id: &str, p: &Node, holder: &str) -> (Vec<NamedPolicy>, bool) {
        let mut named = Vec::new();
        let mut complete = true;
        for (item, when) in list_items(p.get("Policies")) {
            let Some(doc) = item.get("PolicyDocument") else {
                continue;
            };
            let name = item
                .get("PolicyName")
                .map(|n| self.text(n))
                .unwrap_or_else(|| "inline".to_string());
            self.when = when;
            let judged = self.judge_doc(doc, PolicyKind::Permission, id, "PolicyDocument");
            self.when.clear();
            if let Some(policy) = judged {
                named.push(NamedPolicy { name, policy });
            }
        }
        if p.get("ManagedPolicyArns").is_some() {
            for (item, when) in list_items(p.get("ManagedPolicyArns")) {
                let arn = self.text(item);
                if let Some(mut f) = managed::check_attachment(&arn, holder) {
                    self.annotate(&mut f, &when);
                    self.push(f, id, item.line);
                }
                self.judge_managed(&arn, holder, id, item.line, &when);
                if let Some(policy) = NamedPolicy::aws_managed(&arn) {
                    named.push(policy);
                } else if !referenced_id(&arn).is_some_and(|r| {
                    self.resource(r)
                        .is_some_and(|res| type_of(res) == "AWS::IAM::ManagedPolicy")
                }) {
                    // A managed policy whose document doorman cannot see.
                    complete = false;
                }
            }
        }
        (named, complete)
    }

    /// An AWS managed policy attached to `holder`, judged by its built-in
    /// document: only for `privilege-escalation`, the one thing its name
    /// (`broad-managed-policy`) does not say. The document's other findings
    /// (`Resource: "*"` and the like) are AWS's to fix, not the user's.
    fn judge_managed(
        &mut self,
        name_or_arn: &str,
        holder: &str,
        id: &str,
        line: usize,
        when: &[String],
    ) {
        let Some(named) = NamedPolicy::aws_managed(name_or_arn) else {
            return;
        };
        let name = catalog::managed::aws_managed_name(name_or_arn).unwrap_or(name_or_arn);
        let ctx = Context {
            managed_policy_name: Some(name.to_string()),
            ..self.ctx.clone()
        };
        for mut f in rules::evaluate(&named.policy, PolicyKind::Permission, &ctx) {
            if f.rule != RuleId::PrivilegeEscalation {
                continue;
            }
            f.message = format!(
                "AWS managed policy `{name}` attached to {holder}: {}",
                f.message
            );
            // AWS's document cannot be edited: the fix is to stop using it.
            f.fix = format!(
                "replace `{name}` with a customer managed policy that leaves this path closed ({})",
                f.fix
            );
            self.annotate(&mut f, when);
            self.push(f, id, line);
        }
    }

    /// `AWS::IAM::Policy` / `ManagedPolicy` resources name the roles they
    /// attach to (`Roles`), and roles name managed policies of the template
    /// (`ManagedPolicyArns: [!Ref P]`): add those documents to the roles.
    fn attach_separate_policies(&self, roles: &mut BTreeMap<&'a str, RoleInfo>) {
        for entry in self.resources {
            let r = &entry.value;
            if !matches!(
                type_of(r),
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy"
            ) {
                continue;
            }
            let Some(p) = props(r) else { continue };
            let view = self.resolver.base();
            let Some(policy) = p
                .get("PolicyDocument")
                .and_then(|d| parse_value(&view.policy_json(d)).ok())
            else {
                continue;
            };
            // `Roles` of a policy, `RoleName` of an `AWS::IAM::RolePolicy`.
            let mut targets: Vec<String> = p
                .get("Roles")
                .into_iter()
                .flat_map(Node::items)
                .chain(p.get("RoleName"))
                .map(|n| view.to_text(n))
                .collect();
            for (role_id, info) in roles.iter() {
                let uses = self
                    .resource(role_id)
                    .and_then(props)
                    .and_then(|rp| rp.get("ManagedPolicyArns"))
                    .is_some_and(|l| {
                        l.items()
                            .into_iter()
                            .any(|i| referenced_id(&self.text(i)) == Some(entry.key.as_str()))
                    });
                if uses && !info.role.policies.iter().any(|np| np.name == entry.key) {
                    targets.push(format!("${{{role_id}}}"));
                }
            }
            for t in targets {
                let Some(role_id) = referenced_id(&t) else {
                    continue;
                };
                if let Some(info) = roles.get_mut(role_id) {
                    info.role.policies.push(NamedPolicy {
                        name: entry.key.clone(),
                        policy: policy.clone(),
                    });
                }
            }
        }
    }

    /// `AWS::Serverless::Function`: `Policies`, `FunctionUrlConfig`, `Layers`.
    fn sam_function(&mut self, id: &str, p: &Node) {
        let holder = format!("function `{id}`");
        if p.get("Policies").is_some() {
            for (item, when) in list_items(p.get("Policies")) {
                self.when = when;
                match &item.value {
                    Value::Scalar(name) => {
                        if let Some(mut f) = managed::check_attachment(name, &holder) {
                            self.annotate(&mut f, &[]);
                            self.push(f, id, item.line);
                        }
                        self.judge_managed(name, &holder, id, item.line, &[]);
                    }
                    Value::Map(_) if item.get("Statement").is_some() => {
                        self.judge_doc(item, PolicyKind::Permission, id, "Policies");
                    }
                    Value::Map(_) => {
                        let Some((key, params)) = item.single_key() else {
                            continue;
                        };
                        if key == "Ref" || key.starts_with("Fn::") {
                            let arn = self.text(item);
                            if let Some(mut f) = managed::check_attachment(&arn, &holder) {
                                self.annotate(&mut f, &[]);
                                self.push(f, id, item.line);
                            }
                            self.judge_managed(&arn, &holder, id, item.line, &[]);
                        } else if let Some(doc) = sam::expand(key, params, &self.resolver.base()) {
                            if let Ok(policy) = parse_value(&doc) {
                                for mut f in
                                    rules::evaluate(&policy, PolicyKind::Permission, &self.ctx)
                                {
                                    self.annotate(&mut f, &[]);
                                    self.push(f, id, item.line);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            self.when.clear();
        }
        if let Some(auth) = p.get("FunctionUrlConfig").and_then(|c| c.entry("AuthType")) {
            self.url_auth(&auth.value, id, id, auth.key_line);
        }
        self.layers(id, p, true);
    }

    /// SAM `Globals.Function.FunctionUrlConfig` applies to every function of
    /// the template, so it is reported once, there.
    fn global_url(&mut self, g: &Node) {
        if let Some(auth) = g.get("FunctionUrlConfig").and_then(|c| c.entry("AuthType")) {
            let all = "every function of the template (Globals)";
            self.url_auth(&auth.value, all, "Globals", auth.key_line);
        }
    }

    /// `AuthType` of a function URL: `public-function-url` when any branch
    /// of it is `NONE`.
    fn url_auth(&mut self, value: &Node, label: &str, id: &str, line: usize) {
        for (auth, choice) in self.texts(value) {
            if let Some(mut f) = lambda_config::public_function_url(&auth, label) {
                self.annotate(&mut f, &choice);
                self.push(f, id, line);
            }
        }
    }

    /// `Layers` of a function: `cross-account-layer`. A SAM function also
    /// runs the layers of `Globals.Function.Layers` (SAM puts them before its
    /// own): each is reported on the function, at the line in `Globals`.
    fn layers(&mut self, id: &str, p: &Node, inherits_globals: bool) {
        let globals = self
            .globals
            .filter(|_| inherits_globals)
            .and_then(|g| g.get("Layers"));
        for list in globals.into_iter().chain(p.get("Layers")) {
            for (item, when) in list_items(Some(list)) {
                for (arn, choice) in self.texts(item) {
                    if let Some(mut f) = lambda_config::cross_account_layer(&arn, &self.ctx, id) {
                        let parts: Vec<String> = when.iter().chain(&choice).cloned().collect();
                        self.annotate(&mut f, &parts);
                        self.push(f, id, item.line);
                    }
                }
            }
        }
    }

    /// `AWS::Lambda::Permission` as the resource-policy statement Lambda
    /// writes for it, judged by the resource-policy rules once per combination of `Fn::If` branches and allowed
    /// values of its properties.
    fn permission(&mut self, id: &str, line: usize, p: &Node) {
        self.judge_variants(p, id, line, |linter, view| {
            linter.permission_findings(view, id, p)
        });
    }

    /// Runs `judge` once per combination of choices `node` offers, and
    /// pushes each finding once at `line`, saying the picks it needs when
    /// it holds in only some combinations.
    fn judge_variants(
        &mut self,
        node: &Node,
        id: &str,
        line: usize,
        judge: impl Fn(&Self, &intrinsic::View<'_>) -> Vec<Finding>,
    ) {
        let variants = self.resolver.variants(node);
        let mut found: Vec<(Finding, Vec<usize>)> = Vec::new();
        for (i, choices) in variants.iter().enumerate() {
            for f in judge(self, &self.resolver.view(choices)) {
                match found.iter_mut().find(|(g, _)| *g == f) {
                    Some((_, seen)) => seen.push(i),
                    None => found.push((f, vec![i])),
                }
            }
        }
        for (mut f, seen) in found {
            let parts = Choices::describe(&variants, &seen, variants.len());
            self.annotate(&mut f, &parts);
            self.push(f, id, line);
        }
    }

    fn permission_findings(&self, view: &intrinsic::View<'_>, id: &str, p: &Node) -> Vec<Finding> {
        let text = |k: &str| p.get(k).map(|n| view.to_text(n));
        let principal = text("Principal").unwrap_or_default();
        let principal_json = if principal == "*" {
            json!("*")
        } else if principal.ends_with(".amazonaws.com") || principal.ends_with(".amazonaws.com.cn")
        {
            json!({ "Service": principal })
        } else {
            // A principal known only at deploy time is another account.
            let mut aws = json!(principal);
            view.principal_accounts(&mut aws);
            json!({ "AWS": aws })
        };
        let function = text("FunctionName").unwrap_or_else(|| "${FunctionName}".to_string());
        let resource = if function.starts_with("arn:") || intrinsic::is_placeholder(&function) {
            function
        } else {
            format!(
                "arn:aws:lambda:{}:{TEMPLATE_ACCOUNT}:function:{function}",
                intrinsic::placeholder("AWS::Region")
            )
        };
        let mut conditions: Map<String, Json> = Map::new();
        let mut add = |op: &str, key: &str, value: Option<String>| {
            if let Some(v) = value {
                let entry = conditions
                    .entry(op.to_string())
                    .or_insert_with(|| json!({}));
                if let Some(m) = entry.as_object_mut() {
                    m.insert(key.to_string(), json!(v));
                }
            }
        };
        add("ArnLike", "AWS:SourceArn", text("SourceArn"));
        add("StringEquals", "AWS:SourceAccount", text("SourceAccount"));
        add("StringEquals", "aws:PrincipalOrgID", text("PrincipalOrgID"));
        add(
            "StringEquals",
            "lambda:EventSourceToken",
            text("EventSourceToken"),
        );
        add(
            "StringEquals",
            "lambda:FunctionUrlAuthType",
            text("FunctionUrlAuthType"),
        );
        let mut statement = json!({
            "Sid": id,
            "Effect": "Allow",
            "Principal": principal_json,
            "Action": text("Action").unwrap_or_default(),
            "Resource": resource,
        });
        if !conditions.is_empty() {
            statement["Condition"] = Json::Object(conditions);
        }
        let doc = json!({"Version": "2012-10-17", "Statement": [statement]});
        let Ok(policy) = parse_value(&doc) else {
            return Vec::new();
        };
        rules::evaluate(&policy, PolicyKind::Resource, &self.ctx)
            .into_iter()
            .map(|mut f| {
                // The statement is doorman's rendering, not something in the file.
                f.statement = None;
                f
            })
            .collect()
    }

    /// Execution-role hygiene across the template's functions.
    fn hygiene(&mut self, roles: &BTreeMap<&'a str, RoleInfo>, functions: &[FunctionInfo<'a>]) {
        // Which functions share a role, by the role they name.
        let mut by_role: BTreeMap<String, Vec<&FunctionInfo<'a>>> = BTreeMap::new();
        for f in functions {
            let Some(role) = f.role else { continue };
            let text = self.text(&role.value);
            let key = referenced_id(&text)
                .filter(|r| roles.contains_key(r))
                .map(str::to_string)
                .unwrap_or(text);
            by_role.entry(key).or_default().push(f);
        }
        for (key, users) in &by_role {
            if users.len() < 2 {
                continue;
            }
            let names: Vec<&str> = users.iter().map(|f| f.id).collect();
            let (role, id, line) = match roles.get(key.as_str()) {
                Some(info) => (
                    info.role.clone(),
                    key.as_str(),
                    self.resources
                        .iter()
                        .find(|e| e.key == *key)
                        .map_or(0, |e| e.key_line),
                ),
                None => (
                    ExecutionRole {
                        name: key.clone(),
                        ..ExecutionRole::default()
                    },
                    users[0].id,
                    users[0].role.map_or(0, |r| r.key_line),
                ),
            };
            if let Some(f) = execution_role::shared_execution_role(&role, &names) {
                self.push(f, id, line);
            }
        }
        for f in functions {
            let Some(role_entry) = f.role else { continue };
            let text = self.text(&role_entry.value);
            let Some(info) = referenced_id(&text).and_then(|r| roles.get(r)) else {
                continue;
            };
            if let Some(finding) = execution_role::role_not_lambda_trusted(&info.role) {
                self.push(finding, f.id, role_entry.key_line);
            }
            if info.complete {
                let label = format!("function `{}`", f.id);
                let group = f.name.as_ref().map_or_else(
                    || "/aws/lambda/*".to_string(),
                    |n| format!("/aws/lambda/{n}"),
                );
                if let Some(finding) =
                    execution_role::missing_logs_in_group(&info.role, &label, &group, None)
                {
                    self.push(finding, f.id, role_entry.key_line);
                }
                for source in &f.sources {
                    let Some(arn) = self.event_source_arn(source.arn) else {
                        continue;
                    };
                    if let Some(finding) =
                        execution_role::event_source_missing_permissions(&info.role, &arn)
                    {
                        self.push(finding, source.logical_id, source.line);
                    }
                }
            }
        }
    }
}

impl Linter<'_> {
    /// The ARN of a queue or stream as the template names it: literal, or
    /// rebuilt from the template's queue, stream or table (its literal name
    /// when it has one, a placeholder otherwise), so the polling rule can
    /// tell what kind of source it is.
    fn event_source_arn(&self, node: &Node) -> Option<String> {
        let text = self.text(node);
        if text.starts_with("arn:") {
            return Some(text);
        }
        let id = referenced_id(&text)?;
        let resource = self.resource(id)?;
        let name = |key: &str| {
            props(resource)
                .and_then(|p| p.get(key))
                .and_then(Node::as_str)
                .map_or_else(|| intrinsic::placeholder(id), str::to_string)
        };
        let region = intrinsic::placeholder("AWS::Region");
        let account = TEMPLATE_ACCOUNT;
        match type_of(resource) {
            "AWS::SQS::Queue" => Some(format!(
                "arn:aws:sqs:{region}:{account}:{}",
                name("QueueName")
            )),
            "AWS::Kinesis::Stream" => Some(format!(
                "arn:aws:kinesis:{region}:{account}:stream/{}",
                name("Name")
            )),
            "AWS::DynamoDB::Table" => Some(format!(
                "arn:aws:dynamodb:{region}:{account}:table/{}/stream/{}",
                name("TableName"),
                intrinsic::placeholder(&format!("{id}.StreamLabel"))
            )),
            _ => None,
        }
    }
}

/// The elements of a list property, each with the `Fn::If` picks that lead
/// to it: the list itself or any element may be a `Fn::If`.
fn list_items(list: Option<&Node>) -> Vec<(&Node, Vec<String>)> {
    let mut out = Vec::new();
    for (l, outer) in list.map(intrinsic::branches).unwrap_or_default() {
        for item in l.items() {
            for (leaf, inner) in intrinsic::branches(item) {
                out.push((leaf, outer.iter().chain(&inner).cloned().collect()));
            }
        }
    }
    out
}

fn function_info<'a>(id: &'a str, p: &'a Node) -> FunctionInfo<'a> {
    let name = p
        .get("FunctionName")
        .and_then(Node::as_str)
        .map(str::to_string);
    let mut sources = Vec::new();
    for event in p.get("Events").and_then(Node::as_map).unwrap_or_default() {
        let key = match event.value.get("Type").and_then(Node::as_str) {
            Some("SQS") => "Queue",
            Some("Kinesis" | "DynamoDB") => "Stream",
            _ => continue,
        };
        if let Some(e) = event.value.get("Properties").and_then(|p| p.entry(key)) {
            sources.push(EventSource {
                arn: &e.value,
                line: e.key_line,
                logical_id: id,
            });
        }
    }
    // A custom log group replaces `/aws/lambda/<name>`; not modelled yet, so
    // such functions are judged against the default group name.
    FunctionInfo {
        id,
        name,
        role: p.entry("Role"),
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_at(text: &str) -> Vec<(String, String, usize)> {
        lint_template("t.yaml", text)
            .unwrap()
            .into_iter()
            .map(|f| {
                (
                    f.finding.rule.to_string(),
                    f.location.logical_id.unwrap_or_default(),
                    f.location.line.unwrap_or(0),
                )
            })
            .collect()
    }

    #[test]
    fn not_a_template_and_bad_yaml_are_errors() {
        assert_eq!(lint_template("t", "a: 1\n").unwrap_err(), NOT_A_TEMPLATE);
        let err = lint_template("t", "Resources: [\n").unwrap_err();
        assert!(err.starts_with("not valid YAML: "), "{err}");
        assert!(looks_like_template(
            "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"
        ));
        assert!(!looks_like_template("on: push\njobs: {}\n"));
    }

    #[test]
    fn sam_function_with_basic_execution_role_does_not_miss_logs() {
        let t = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies: [AWSLambdaBasicExecutionRole]\n";
        assert!(rules_at(t).is_empty());
    }

    #[test]
    fn explicit_role_without_logs_misses_logs_at_the_role_property() {
        let t = "\
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  F:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt R.Arn
";
        assert_eq!(rules_at(t), vec![("missing-logs".into(), "F".into(), 13)]);
    }

    #[test]
    fn template_managed_policy_attached_by_roles_counts() {
        let t = "\
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  Logs:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: logs
      Roles: [!Ref R]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: [logs:CreateLogStream, logs:PutLogEvents]
            Resource: !Sub 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/${F}:*'
  F:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt R.Arn
";
        assert_eq!(rules_at(t), vec![]);
    }

    #[test]
    fn explicit_role_that_cannot_poll_its_queue() {
        let t = "\
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]
      Policies:
        - PolicyName: poll
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes]
                Resource: !GetAtt Good.Arn
  F:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt R.Arn
      Events:
        FromGood:
          Type: SQS
          Properties:
            Queue: !GetAtt Good.Arn
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref F
      EventSourceArn: !GetAtt Other.Arn
  Good:
    Type: AWS::SQS::Queue
  Other:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: other
";
        // The grant names `Good` by placeholder, which may be any queue: only
        // a literal queue it cannot name fires.
        assert_eq!(rules_at(t), vec![]);
        let literal = t.replace(
            "Resource: !GetAtt Good.Arn",
            "Resource: arn:aws:sqs:us-east-1:111122223333:good",
        );
        assert_eq!(
            rules_at(&literal),
            vec![
                ("event-source-missing-permissions".into(), "F".into(), 26),
                (
                    "event-source-missing-permissions".into(),
                    "Mapping".into(),
                    31
                ),
            ]
        );
    }

    #[test]
    fn globals_layers_are_reported_on_each_function_that_inherits_them() {
        let t = "\
Globals:
  Function:
    Layers:
      - arn:aws:lambda:us-east-1:444455556666:layer:tools:7
      - !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:layer:own:1
    FunctionUrlConfig:
      AuthType: AWS_IAM
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Policies: [AWSLambdaBasicExecutionRole]
";
        // The layer is reported on each function that runs it, at its line
        // in `Globals`; a plain Lambda function does not inherit `Globals`.
        let t = format!(
            "{t}  G:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies: [AWSLambdaBasicExecutionRole]\n  Plain:\n    Type: AWS::Lambda::Function\n    Properties:\n      Handler: x\n"
        );
        assert_eq!(
            rules_at(&t),
            vec![
                ("cross-account-layer".into(), "F".into(), 4),
                ("cross-account-layer".into(), "G".into(), 4),
            ]
        );
        let f = lint_template("t.yaml", &t).unwrap();
        assert!(
            f[0].finding.message.starts_with(
                "function `F` uses layer `arn:aws:lambda:us-east-1:444455556666:layer:tools:7`"
            ),
            "{}",
            f[0].finding.message
        );
    }

    #[test]
    fn policies_and_layers_present_only_under_a_condition_are_judged() {
        let t = "\
Conditions:
  C: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns: !If
        - C
        - [arn:aws:iam::aws:policy/AdministratorAccess]
        - !Ref AWS::NoValue
      Policies:
        - !If
          - C
          - PolicyName: a
            PolicyDocument:
              Statement: [{Effect: Allow, Action: iam:PassRole, Resource: '*'}]
          - !Ref AWS::NoValue
  F:
    Type: AWS::Serverless::Function
    Properties:
      Policies: !If [C, [AmazonS3FullAccess], [AWSLambdaBasicExecutionRole]]
      Layers: !If [C, [arn:aws:lambda:us-east-1:444455556666:layer:x:1], !Ref AWS::NoValue]
";
        let found = lint_template("t.yaml", t).unwrap();
        let got: Vec<(String, String, usize)> = rules_at(t);
        for want in [
            ("broad-managed-policy", "R", 14),
            ("pass-role-wildcard", "R", 21),
            ("broad-managed-policy", "F", 26),
            ("cross-account-layer", "F", 27),
        ] {
            assert!(
                got.contains(&(want.0.into(), want.1.into(), want.2)),
                "{want:?} not in {got:?}"
            );
        }
        for f in &found {
            assert!(
                f.finding.message.ends_with("(when condition `C` is true)"),
                "{}",
                f.finding.message
            );
        }
    }

    #[test]
    fn permissions_are_judged_at_each_branch_and_unknown_callers_are_other_accounts() {
        let t = "\
Parameters:
  Caller: {Type: String}
Conditions:
  Open: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Q:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt F.Arn
      Principal: !Ref Caller
  L:
    Type: AWS::Lambda::LayerVersionPermission
    Properties:
      Action: lambda:GetLayerVersion
      LayerVersionArn: !Ref Layer
      Principal: !If [Open, '*', '111122223333']
";
        assert_eq!(
            rules_at(t),
            vec![
                ("cross-account-invoke".into(), "Q".into(), 6),
                ("public-layer".into(), "L".into(), 17),
            ]
        );
        let found = lint_template("t.yaml", t).unwrap();
        assert!(
            found[0]
                .finding
                .message
                .contains("AWS `${Caller}` (account `${Caller}`"),
            "{}",
            found[0].finding.message
        );
        assert!(found[1]
            .finding
            .message
            .ends_with("(when condition `Open` is true)"));
    }

    #[test]
    fn a_resource_with_a_condition_is_read_with_it_true() {
        let t = "\
Parameters:
  Stage: {Type: String, AllowedValues: [dev, prod]}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  InUS: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  ProdOnly:
    Type: AWS::IAM::ManagedPolicy
    Condition: IsProd
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: !If [IsProd, s3:ListAllMyBuckets, '*']
            Resource: '*'
  Admin:
    Type: AWS::IAM::ManagedPolicy
    Condition: InUS
    Properties:
      PolicyDocument:
        Statement: [{Effect: Allow, Action: '*', Resource: '*'}]
";
        // `ProdOnly` exists only when `IsProd` is true: its `'*'` branch
        // is never deployed.
        let found = lint_template("t.yaml", t).unwrap();
        let got: Vec<(String, String)> = found
            .iter()
            .map(|f| {
                (
                    f.finding.rule.to_string(),
                    f.location.logical_id.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(got, vec![("admin-access".into(), "Admin".into())]);
        assert!(found[0]
            .finding
            .message
            .ends_with("(when condition `InUS` is true)"));
    }

    #[test]
    fn lambda_url_and_layer_permission() {
        let t = "\
Resources:
  U:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt F.Arn
      AuthType: NONE
  L:
    Type: AWS::Lambda::LayerVersionPermission
    Properties:
      Action: lambda:GetLayerVersion
      LayerVersionArn: !Ref Layer
      Principal: '*'
  L2:
    Type: AWS::Lambda::LayerVersionPermission
    Properties:
      Action: lambda:GetLayerVersion
      LayerVersionArn: !Ref Layer
      Principal: '*'
      OrganizationId: o-abc123
";
        assert_eq!(
            rules_at(t),
            vec![
                ("public-function-url".into(), "U".into(), 6),
                ("public-layer".into(), "L".into(), 12),
            ]
        );
    }
}
