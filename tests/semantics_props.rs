//! Meaning, not spelling (SPEC §3.0, §9): metamorphic property tests.
//!
//! Each test starts from a risky core (administrator access, an escalation
//! path, a trust policy anyone may assume, a function anyone may invoke),
//! applies a random sequence of rewrites that do not change what IAM allows
//! (`*` ↔ `arn:*` ↔ `arn:aws:*` ↔ `arn:aws:*:*:*:*`, every role or function
//! spelled out, split or merge statements, `*` as `NotAction: X` plus
//! `Action: X` and `Resource: "*"` as `NotResource: X` plus `Resource: X`,
//! the case of an action, an equivalent glob checked against the catalog, a
//! string ↔ a one-element array, `Statement` object ↔ array, a `Deny` that
//! denies nothing or only some resources, a conditional `Deny`, a condition
//! that everyone satisfies, shuffles, an unrelated scoped statement, the
//! spellings of "anyone" as a principal), and checks that every rule the
//! core fires at high or critical still fires (and that the document is
//! still detected as its kind). Rewrites that really restrict (a `Deny` fence that
//! leaves one bucket's objects, an organization or network condition, one
//! resource ARN) must remove the core's risky rules.
//!
//! A few rewrites broaden rather than preserve (`sts:AssumeRole` →
//! `sts:Assume*`): broadening can only add findings, so they fit the same
//! subset property.

use doorman::catalog::{self, ActionId};
use doorman::policy::parse_document;
use doorman::rules::{evaluate, Context, PolicyKind, Severity};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

// --- a policy model that keeps the spelling choices --------------------------

#[derive(Debug, Clone, PartialEq)]
struct Cond {
    op: &'static str,
    key: &'static str,
    values: Vec<&'static str>,
}

fn cond(op: &'static str, key: &'static str, values: &[&'static str]) -> Cond {
    Cond {
        op,
        key,
        values: values.to_vec(),
    }
}

#[derive(Debug, Clone)]
struct Stmt {
    allow: bool,
    /// `Principal`, already spelled (trust and resource policies).
    principal: Option<Value>,
    not_action: bool,
    actions: Vec<String>,
    not_resource: bool,
    /// `None` for trust policies, which have no `Resource`.
    resources: Option<Vec<String>>,
    conditions: Vec<Cond>,
    /// A one-element list written as a bare string.
    scalar_action: bool,
    scalar_resource: bool,
    /// Part of the risky core (restricting rewrites apply to these).
    core: bool,
}

impl Stmt {
    fn allow(actions: &[&str], resources: &[&str]) -> Stmt {
        Stmt {
            allow: true,
            principal: None,
            not_action: false,
            actions: actions.iter().map(|s| s.to_string()).collect(),
            not_resource: false,
            resources: Some(resources.iter().map(|s| s.to_string()).collect()),
            conditions: Vec::new(),
            scalar_action: false,
            scalar_resource: false,
            core: true,
        }
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "Effect".into(),
            json!(if self.allow { "Allow" } else { "Deny" }),
        );
        if let Some(p) = &self.principal {
            m.insert("Principal".into(), p.clone());
        }
        let list = |items: &[String], scalar: bool| {
            if scalar && items.len() == 1 {
                json!(items[0])
            } else {
                json!(items)
            }
        };
        let action_key = if self.not_action {
            "NotAction"
        } else {
            "Action"
        };
        m.insert(action_key.into(), list(&self.actions, self.scalar_action));
        if let Some(r) = &self.resources {
            let key = if self.not_resource {
                "NotResource"
            } else {
                "Resource"
            };
            m.insert(key.into(), list(r, self.scalar_resource));
        }
        if !self.conditions.is_empty() {
            let mut ops = Map::new();
            for c in &self.conditions {
                let keys = ops
                    .entry(c.op.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                let values = if c.values.len() == 1 {
                    json!(c.values[0])
                } else {
                    json!(c.values)
                };
                if let Value::Object(keys) = keys {
                    keys.insert(c.key.to_string(), values);
                }
            }
            m.insert("Condition".into(), Value::Object(ops));
        }
        Value::Object(m)
    }

    fn has_condition(&self, c: &Cond) -> bool {
        self.conditions
            .iter()
            .any(|d| d.op == c.op && d.key == c.key)
    }
}

#[derive(Debug, Clone)]
struct Doc {
    kind: PolicyKind,
    stmts: Vec<Stmt>,
    /// `"Statement": {...}` rather than a one-element array.
    statement_object: bool,
}

impl Doc {
    fn to_json(&self) -> String {
        let stmts: Vec<Value> = self.stmts.iter().map(Stmt::to_json).collect();
        let statement = if self.statement_object && stmts.len() == 1 {
            stmts[0].clone()
        } else {
            Value::Array(stmts)
        };
        json!({"Version": "2012-10-17", "Statement": statement}).to_string()
    }
}

/// The rule ids at high or critical, as `doorman lint` would judge the
/// document as `kind`.
fn high_rules(text: &str, kind: PolicyKind) -> BTreeSet<String> {
    let policy = parse_document(text)
        .unwrap_or_else(|e| panic!("generated policy does not parse: {e}\n{text}"));
    evaluate(&policy, kind, &Context::default())
        .into_iter()
        .filter(|f| f.severity >= Severity::High)
        .map(|f| f.rule.to_string())
        .collect()
}

fn detect(text: &str) -> PolicyKind {
    PolicyKind::detect(&parse_document(text).unwrap_or_else(|e| panic!("{e}\n{text}")))
}

// --- risky cores --------------------------------------------------------------

/// Identity-policy cores, with the rules that make each risky.
fn permission_cores() -> Vec<(Vec<Stmt>, &'static [&'static str])> {
    let star = &["*"][..];
    let mut not_action = Stmt::allow(&["iam:*", "organizations:*"], star);
    not_action.not_action = true;
    vec![
        (vec![Stmt::allow(&["*"], star)], &["admin-access"]),
        (
            vec![Stmt::allow(
                &[
                    "iam:PassRole",
                    "lambda:CreateFunction",
                    "lambda:InvokeFunction",
                ],
                star,
            )],
            &["privilege-escalation", "pass-role-wildcard"],
        ),
        (
            vec![Stmt::allow(&["iam:PutRolePolicy"], star)],
            &["privilege-escalation", "permissions-management"],
        ),
        (
            vec![Stmt::allow(&["sts:AssumeRole"], star)],
            &["privilege-escalation", "credentials-exposure"],
        ),
        (
            vec![Stmt::allow(&["iam:PassRole"], star)],
            &["pass-role-wildcard"],
        ),
        (
            vec![Stmt::allow(&["s3:*"], star)],
            &["permissions-management"],
        ),
        (vec![not_action], &["privilege-escalation"]),
        (
            vec![Stmt::allow(
                &[
                    "iam:PassRole",
                    "codebuild:CreateProject",
                    "codebuild:StartBuild",
                ],
                star,
            )],
            &["privilege-escalation", "pass-role-wildcard"],
        ),
        (
            vec![Stmt::allow(
                &["iam:PassRole", "sagemaker:CreateNotebookInstance"],
                star,
            )],
            &["privilege-escalation", "pass-role-wildcard"],
        ),
        (
            vec![Stmt::allow(
                &["sagemaker:CreatePresignedNotebookInstanceUrl"],
                star,
            )],
            &["privilege-escalation"],
        ),
        (
            vec![Stmt::allow(&["ssm:SendCommand"], star)],
            &["privilege-escalation"],
        ),
        (
            vec![Stmt::allow(&["ssm:StartSession"], star)],
            &["privilege-escalation"],
        ),
        (
            vec![Stmt::allow(&["cloudformation:UpdateStack"], star)],
            &["privilege-escalation"],
        ),
        (
            vec![Stmt::allow(&["lambda:UpdateFunctionCode"], star)],
            &["privilege-escalation"],
        ),
        (
            vec![
                Stmt::allow(&["iam:PassRole"], star),
                Stmt::allow(&["ec2:RunInstances"], star),
            ],
            &["privilege-escalation", "pass-role-wildcard"],
        ),
    ]
}

const FUNCTION: &str = "arn:aws:lambda:us-east-1:111122223333:function:orders";

fn principal_stmt(principal: Value, actions: &[&str], resource: Option<&str>) -> Stmt {
    Stmt {
        allow: true,
        principal: Some(principal),
        not_action: false,
        actions: actions.iter().map(|s| s.to_string()).collect(),
        not_resource: false,
        resources: resource.map(|r| vec![r.to_string()]),
        conditions: Vec::new(),
        scalar_action: true,
        scalar_resource: true,
        core: true,
    }
}

fn trust_core(principal: usize, action: usize) -> Doc {
    const ACTIONS: &[&[&str]] = &[
        &["sts:AssumeRole"],
        &["sts:Assume*"],
        &["sts:*"],
        &["sts:AssumeRole", "sts:TagSession"],
    ];
    Doc {
        kind: PolicyKind::Trust,
        stmts: vec![principal_stmt(
            ANYONE[principal % ANYONE.len()](),
            ACTIONS[action % ACTIONS.len()],
            None,
        )],
        statement_object: false,
    }
}

fn resource_core(principal: usize, action: usize, resource: usize) -> Doc {
    const ACTIONS: &[&str] = &["lambda:InvokeFunction", "lambda:Invoke*", "lambda:*"];
    Doc {
        kind: PolicyKind::Resource,
        stmts: vec![principal_stmt(
            ANYONE[principal % ANYONE.len()](),
            &[ACTIONS[action % ACTIONS.len()]],
            Some(FUNCTION_SPELLINGS[resource % FUNCTION_SPELLINGS.len()]),
        )],
        statement_object: false,
    }
}

/// The spellings of "anyone" as a principal.
const ANYONE: &[fn() -> Value] = &[
    || json!("*"),
    || json!({"AWS": "*"}),
    || json!({"AWS": ["*"]}),
];

/// Resources that cover every resource of every action.
const EVERY: &[&str] = &["*", "arn:*", "arn:aws:*", "arn:aws:*:*:*:*"];

/// In a function's resource policy, every spelling names that function.
const FUNCTION_SPELLINGS: &[&str] = &[
    FUNCTION,
    "*",
    "arn:*",
    "arn:aws:lambda:*:*:function:*",
    "arn:aws:lambda:*:????????????:function:?*",
];

/// Every role: role names are never empty, account ids are twelve digits.
const ROLE_SPELLINGS: &[&str] = &[
    "arn:aws:iam::*:role/*",
    "arn:aws:iam::*:role/?*",
    "arn:aws:iam::????????????:role/*",
    "arn:aws:iam::*:*",
];

// --- meaning-preserving rewrites ---------------------------------------------

/// Conditions every caller satisfies (SPEC §3.0).
fn everyone_conditions() -> Vec<Cond> {
    vec![
        cond("IpAddress", "aws:SourceIp", &["0.0.0.0/0", "::/0"]),
        cond("StringLike", "aws:PrincipalArn", &["*"]),
        cond(
            "ForAllValues:StringEquals",
            "aws:PrincipalOrgID",
            &["o-abc123"],
        ),
        cond("Bool", "aws:SecureTransport", &["true"]),
        cond("StringNotEquals", "aws:PrincipalAccount", &["000000000000"]),
        cond("StringEqualsIfExists", "aws:PrincipalOrgID", &["o-abc123"]),
    ]
}

/// Conditional `Deny` statements: they subtract nothing from what an
/// attacker can do, since the attacker may be one they do not apply to.
fn conditional_denies() -> Vec<Cond> {
    vec![
        cond("Bool", "aws:MultiFactorAuthPresent", &["false"]),
        cond("StringEquals", "aws:RequestedRegion", &["ap-south-2"]),
        cond("StringNotEquals", "aws:PrincipalTag/team", &["platform"]),
    ]
}

fn pick<T>(items: &mut [T], n: u32) -> Option<&mut T> {
    if items.is_empty() {
        return None;
    }
    let len = items.len();
    items.get_mut(n as usize % len)
}

/// The set of catalog actions a pattern matches.
fn matches(pattern: &str) -> BTreeSet<ActionId> {
    catalog::matching(pattern).collect()
}

/// Whether a statement names only `iam:PassRole` (so `arn:aws:iam::*:role/*`
/// is every resource it can act on).
fn only_pass_role(s: &Stmt) -> bool {
    let pass_role: BTreeSet<ActionId> = catalog::lookup("iam:PassRole").into_iter().collect();
    !s.not_action && s.actions.iter().all(|a| matches(a) == pass_role)
}

/// Rewrites one action into a glob that matches exactly the same actions.
fn equivalent_glob(action: &str, a: u32, b: u32) -> Option<String> {
    let (service, name) = action.split_once(':')?;
    let chars: Vec<char> = name.chars().collect();
    if chars.is_empty() {
        return None;
    }
    let want = matches(action);
    let start = a as usize % chars.len();
    // Try a `?` at `start`, then `*` over a few spans from it.
    let mut candidates = vec![];
    let mut q = chars.clone();
    q[start] = '?';
    candidates.push(q.into_iter().collect::<String>());
    for span in 1..=chars.len() - start {
        let span = (span + b as usize) % (chars.len() - start) + 1;
        let mut s: String = chars[..start].iter().collect();
        s.push('*');
        s.extend(&chars[start + span..]);
        candidates.push(s);
    }
    let mut candidates: Vec<String> = candidates
        .into_iter()
        .map(|n| format!("{service}:{n}"))
        .collect();
    // A wildcard in the service prefix too (`i?m:PassRole`, `ia*:PassRole`).
    if !service.is_empty() && a.is_multiple_of(3) {
        let at = b as usize % service.len();
        let (head, tail) = action.split_at(at);
        let glob = if b.is_multiple_of(2) { "?" } else { "*" };
        candidates.insert(0, format!("{head}{glob}{}", &tail[1..]));
    }
    candidates
        .into_iter()
        .find(|c| c != action && matches(c) == want)
}

/// Flips the case of the letters of `s` chosen by the bits of `bits`.
fn recase(s: &str, bits: u32) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if bits.rotate_left(i as u32) & 1 == 1 {
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            } else {
                c
            }
        })
        .collect()
}

fn shuffle<T>(items: &mut [T], seed: u32) {
    let mut x = seed as u64 | 1;
    for i in (1..items.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        items.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

/// One rewrite: which, and two numbers that choose where and how.
type Op = (u8, u32, u32);

const OPS: u8 = 21;

fn rewrite(doc: &mut Doc, (op, a, b): Op) {
    let kind = doc.kind;
    let n = doc.stmts.len();
    match op {
        // `*` ↔ `arn:*` ↔ `arn:aws:*` ↔ `arn:aws:*:*:*:*` (↔
        // `arn:aws:iam::*:role/*` for PassRole, the function's own ARN in
        // its resource policy).
        0 => {
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            let pass_role = only_pass_role(s);
            if s.not_resource {
                return;
            }
            let Some(rs) = s.resources.as_mut() else {
                return;
            };
            let Some(r) = pick(rs, b) else { return };
            let mut spellings: Vec<&str> = match kind {
                PolicyKind::Resource => FUNCTION_SPELLINGS.to_vec(),
                _ => EVERY.to_vec(),
            };
            if pass_role {
                spellings.extend(ROLE_SPELLINGS);
            }
            if spellings.contains(&r.as_str()) {
                *r = spellings[(b / 7) as usize % spellings.len()].to_string();
            }
        }
        // Split a statement's actions into two statements.
        1 => {
            let i = a as usize % n.max(1);
            let Some(s) = doc.stmts.get(i) else { return };
            if s.not_action || s.actions.len() < 2 {
                return;
            }
            let at = 1 + b as usize % (s.actions.len() - 1);
            let mut second = s.clone();
            second.actions = s.actions[at..].to_vec();
            doc.stmts[i].actions.truncate(at);
            doc.stmts.insert(i + 1, second);
        }
        // Split a statement's resources into two statements.
        2 => {
            let i = a as usize % n.max(1);
            let Some(s) = doc.stmts.get(i) else { return };
            let Some(rs) = s.resources.as_ref().filter(|r| r.len() >= 2) else {
                return;
            };
            if s.not_resource {
                return;
            }
            let at = 1 + b as usize % (rs.len() - 1);
            let mut second = s.clone();
            second.resources = Some(rs[at..].to_vec());
            if let Some(r) = doc.stmts[i].resources.as_mut() {
                r.truncate(at);
            }
            doc.stmts.insert(i + 1, second);
        }
        // Merge two statements that differ only in their actions.
        3 => {
            let same = |x: &Stmt, y: &Stmt| {
                x.allow == y.allow
                    && !x.not_action
                    && !y.not_action
                    && x.not_resource == y.not_resource
                    && x.principal == y.principal
                    && x.resources == y.resources
                    && x.conditions == y.conditions
            };
            let pairs: Vec<(usize, usize)> = (0..n)
                .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                .filter(|&(i, j)| same(&doc.stmts[i], &doc.stmts[j]))
                .collect();
            let Some(&(i, j)) = pairs.get(a as usize % pairs.len().max(1)) else {
                return;
            };
            let second = doc.stmts.remove(j);
            let first = &mut doc.stmts[i];
            first.actions.extend(second.actions);
            first.core |= second.core;
        }
        // Change the case of an action (`IAM:passrole`).
        4 => {
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            let Some(action) = pick(&mut s.actions, b) else {
                return;
            };
            *action = recase(action, b.rotate_left(11) ^ a);
        }
        // Replace an action by a glob that matches exactly the same actions.
        5 => {
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            let Some(action) = pick(&mut s.actions, b) else {
                return;
            };
            if let Some(glob) = equivalent_glob(action, a / 3, b / 5) {
                *action = glob;
            }
        }
        // A one-element list ↔ a bare string.
        6 => {
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            if b % 2 == 0 {
                s.scalar_action = !s.scalar_action;
            } else {
                s.scalar_resource = !s.scalar_resource;
            }
        }
        // `"Statement": {...}` ↔ `[{...}]`.
        7 => doc.statement_object = !doc.statement_object,
        // An unconditional `Deny` whose `NotResource` covers every ARN: it
        // denies nothing.
        8 => {
            if kind != PolicyKind::Permission {
                return;
            }
            let covers: &[&[&str]] = &[&["arn:*"], &["*"], &["arn:*", "*"], &["arn:aws:*"]];
            let mut deny = Stmt::allow(&["*"], covers[b as usize % covers.len()]);
            deny.allow = false;
            deny.not_resource = true;
            deny.core = false;
            if b % 5 == 4 {
                // `NotAction: "*"` denies no action at all.
                deny.not_action = true;
                deny.not_resource = false;
            }
            let at = a as usize % (n + 1);
            doc.stmts.insert(at, deny);
        }
        // A `Deny` with a condition: it subtracts nothing from an attacker.
        9 => {
            let c = conditional_denies()[b as usize % 3].clone();
            let mut deny = match kind {
                PolicyKind::Permission => Stmt::allow(&["*"], &["*"]),
                PolicyKind::Trust => principal_stmt(json!("*"), &["sts:AssumeRole"], None),
                PolicyKind::Resource => {
                    principal_stmt(json!("*"), &["lambda:InvokeFunction"], Some(FUNCTION))
                }
            };
            deny.allow = false;
            deny.core = false;
            deny.conditions.push(c);
            let at = a as usize % (n + 1);
            doc.stmts.insert(at, deny);
        }
        // A condition every caller satisfies, on an `Allow`.
        10 => {
            let all = everyone_conditions();
            let c = all[b as usize % all.len()].clone();
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            if s.allow && !s.has_condition(&c) {
                s.conditions.push(c);
            }
        }
        // Shuffle statements, actions and resources.
        11 => {
            shuffle(&mut doc.stmts, a);
            for (i, s) in doc.stmts.iter_mut().enumerate() {
                shuffle(&mut s.actions, b.wrapping_add(i as u32));
                if let Some(r) = s.resources.as_mut() {
                    shuffle(r, b.rotate_left(i as u32 + 3));
                }
            }
        }
        // An unrelated, scoped statement.
        12 => {
            let mut extra = match kind {
                PolicyKind::Permission => Stmt::allow(
                    &["dynamodb:GetItem", "dynamodb:Query"],
                    &["arn:aws:dynamodb:us-east-1:111122223333:table/Orders"],
                ),
                PolicyKind::Trust => principal_stmt(
                    json!({"Service": "lambda.amazonaws.com"}),
                    &["sts:AssumeRole"],
                    None,
                ),
                PolicyKind::Resource => {
                    let mut s = principal_stmt(
                        json!({"Service": "s3.amazonaws.com"}),
                        &["lambda:InvokeFunction"],
                        Some(FUNCTION),
                    );
                    s.conditions = vec![
                        cond("StringEquals", "aws:SourceAccount", &["111122223333"]),
                        cond("ArnLike", "aws:SourceArn", &["arn:aws:s3:::orders-uploads"]),
                    ];
                    s
                }
            };
            extra.core = false;
            let at = a as usize % (n + 1);
            doc.stmts.insert(at, extra);
        }
        // `Action: "*"` as `NotAction: X` plus `Action: X`.
        14 => {
            let i = a as usize % n.max(1);
            let Some(s) = doc.stmts.get(i) else { return };
            if s.not_action || s.actions != ["*"] {
                return;
            }
            let parts = ["iam:*", "s3:Get*", "lambda:*", "sts:AssumeRole", "ec2:Run*"];
            let mut rest = s.clone();
            rest.not_action = true;
            rest.actions = vec![parts[b as usize % parts.len()].to_string()];
            doc.stmts[i].actions = rest.actions.clone();
            doc.stmts.insert(i + 1, rest);
        }
        // `Resource: "*"` as `NotResource: X` plus `Resource: X`.
        15 => {
            if kind != PolicyKind::Permission {
                return;
            }
            let i = a as usize % n.max(1);
            let Some(s) = doc.stmts.get(i) else { return };
            let every = s
                .resources
                .as_ref()
                .is_some_and(|r| r.iter().any(|r| EVERY.contains(&r.as_str())));
            if s.not_resource || !s.allow || !every {
                return;
            }
            let parts = [
                "arn:aws:iam::111122223333:role/admin",
                "arn:aws:s3:::one-bucket/*",
                "arn:aws:iam::*:role/*",
                "arn:aws:lambda:us-east-1:111122223333:function:*",
            ];
            let x = vec![parts[b as usize % parts.len()].to_string()];
            let mut rest = s.clone();
            rest.not_resource = true;
            rest.resources = Some(x.clone());
            doc.stmts[i].resources = Some(x);
            doc.stmts.insert(i + 1, rest);
        }
        // A scoped resource next to one that covers everything.
        16 => {
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            if s.not_resource || !s.allow {
                return;
            }
            let Some(rs) = s.resources.as_mut() else {
                return;
            };
            let every: &[&str] = match kind {
                PolicyKind::Resource => FUNCTION_SPELLINGS,
                _ => EVERY,
            };
            if rs.iter().any(|r| every.contains(&r.as_str())) {
                let extra = [
                    "arn:aws:s3:::one-bucket/*",
                    "arn:aws:iam::111122223333:role/app",
                ];
                rs.insert(
                    b as usize % (rs.len() + 1),
                    extra[b as usize % 2].to_string(),
                );
            }
        }
        // An action the list already grants, spelled again.
        17 => {
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            if s.not_action {
                return;
            }
            if let Some(action) = s.actions.get(b as usize % s.actions.len().max(1)) {
                let again = recase(action, b);
                s.actions.push(again);
            }
        }
        // Anyone, next to a named principal.
        18 => {
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            let Some(p) = s.principal.as_mut() else {
                return;
            };
            if ANYONE.iter().any(|f| f() == *p) {
                *p = json!({"AWS": ["arn:aws:iam::111122223333:root", "*"]});
            }
        }
        // An unconditional `Deny` of `iam:PassRole` on everything but every
        // role: it denies nothing, since PassRole acts on roles only.
        19 => {
            if kind != PolicyKind::Permission {
                return;
            }
            let mut deny = Stmt::allow(
                &["iam:PassRole"],
                &[ROLE_SPELLINGS[b as usize % ROLE_SPELLINGS.len()]],
            );
            deny.allow = false;
            deny.not_resource = true;
            deny.core = false;
            doc.stmts.insert(a as usize % (n + 1), deny);
        }
        // An unconditional `Deny` on one resource: the grant on every other
        // resource is as wide as it was (SPEC §3.0).
        20 => {
            if kind != PolicyKind::Permission {
                return;
            }
            let one = [
                "arn:aws:s3:::audit-logs",
                "arn:aws:iam::111122223333:role/break-glass",
                "arn:aws:lambda:us-east-1:111122223333:function:doorman",
            ];
            let mut deny = Stmt::allow(&["*"], &[one[b as usize % one.len()]]);
            deny.allow = false;
            deny.core = false;
            doc.stmts.insert(a as usize % (n + 1), deny);
        }
        // Principal spellings of anyone; action spellings of a trust or
        // invoke grant.
        _ => {
            let Some(s) = pick(&mut doc.stmts, a) else {
                return;
            };
            if let Some(p) = s.principal.as_mut() {
                if ANYONE.iter().any(|f| f() == *p) {
                    *p = ANYONE[b as usize % ANYONE.len()]();
                }
            }
            let wider: &[&str] = match kind {
                PolicyKind::Trust => &["sts:AssumeRole", "sts:Assume*", "sts:*"],
                PolicyKind::Resource => &["lambda:InvokeFunction", "lambda:Invoke*", "lambda:*"],
                PolicyKind::Permission => return,
            };
            if s.allow && s.core {
                if let Some(action) = pick(&mut s.actions, b / 3) {
                    if wider
                        .iter()
                        .position(|w| w.eq_ignore_ascii_case(action))
                        .is_some_and(|i| i == 0)
                    {
                        *action = wider[(b / 9) as usize % wider.len()].to_string();
                    }
                }
            }
        }
    }
}

// --- really restricting rewrites ---------------------------------------------

/// What makes a core harmless: applied to every `Allow` of the core.
#[derive(Debug, Clone, Copy)]
enum Restriction {
    /// An unconditional `Deny` of everything but one bucket's objects.
    Fence,
    OrgCondition,
    IpCondition,
    /// Every resource replaced by one ARN.
    OneArn,
}

const RESTRICTIONS: [Restriction; 4] = [
    Restriction::Fence,
    Restriction::OrgCondition,
    Restriction::IpCondition,
    Restriction::OneArn,
];

fn restrict(doc: &mut Doc, r: Restriction) {
    match r {
        Restriction::Fence => {
            let mut fence = Stmt::allow(&["*"], &["arn:aws:s3:::one-bucket/*"]);
            fence.allow = false;
            fence.not_resource = true;
            fence.core = false;
            doc.stmts.push(fence);
        }
        Restriction::OrgCondition | Restriction::IpCondition => {
            let c = match r {
                Restriction::OrgCondition => {
                    cond("StringEquals", "aws:PrincipalOrgID", &["o-abc123"])
                }
                _ => cond("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
            };
            for s in doc.stmts.iter_mut().filter(|s| s.allow && s.core) {
                s.conditions.push(c.clone());
            }
        }
        Restriction::OneArn => {
            for s in doc.stmts.iter_mut().filter(|s| s.allow && s.core) {
                s.resources = Some(vec![
                    "arn:aws:iam::111122223333:role/orders-processor".to_string()
                ]);
                s.not_resource = false;
            }
        }
    }
}

/// The rules that say a permission policy is dangerous whoever holds it.
const RISKY_PERMISSION_RULES: &[&str] = &[
    "admin-access",
    "privilege-escalation",
    "pass-role-wildcard",
    "permissions-management",
    "credentials-exposure",
];

// --- the properties ---------------------------------------------------------

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec((0..OPS + 1, any::<u32>(), any::<u32>()), 0..10)
}

fn permission_doc(core: usize) -> (Doc, &'static [&'static str]) {
    let cores = permission_cores();
    let (stmts, rules) = cores[core % cores.len()].clone();
    (
        Doc {
            kind: PolicyKind::Permission,
            stmts,
            statement_object: false,
        },
        rules,
    )
}

fn core_count() -> usize {
    permission_cores().len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn permission_rewrites_keep_high_and_critical_rules(core in 0..core_count(), ops in ops()) {
        let (mut doc, expected) = permission_doc(core);
        let original = doc.to_json();
        let before = high_rules(&original, PolicyKind::Permission);
        for rule in expected {
            prop_assert!(before.contains(*rule), "the core itself must fire `{}`: {:?}\n{}", rule, before, original);
        }
        for op in &ops {
            rewrite(&mut doc, *op);
        }
        let rewritten = doc.to_json();
        let after = high_rules(&rewritten, PolicyKind::Permission);
        let lost: Vec<_> = before.difference(&after).collect();
        prop_assert!(lost.is_empty(), "lost {:?}\noriginal:  {}\nrewritten: {}\nops: {:?}", lost, original, rewritten, ops);
        prop_assert_eq!(detect(&rewritten), PolicyKind::Permission);
    }

    #[test]
    fn restricting_rewrites_remove_the_risky_permission_rules(
        core in 0..core_count(),
        restriction in 0..RESTRICTIONS.len(),
        ops in ops(),
    ) {
        let (mut doc, _) = permission_doc(core);
        restrict(&mut doc, RESTRICTIONS[restriction]);
        for op in &ops {
            rewrite(&mut doc, *op);
        }
        let text = doc.to_json();
        let after = high_rules(&text, PolicyKind::Permission);
        let left: Vec<_> = RISKY_PERMISSION_RULES.iter().filter(|r| after.contains(**r)).collect();
        prop_assert!(left.is_empty(), "{:?} still fire after {:?}\n{}\nops: {:?}", left, RESTRICTIONS[restriction], text, ops);
    }

    #[test]
    fn trust_rewrites_keep_trust_any_principal(
        principal in 0..ANYONE.len(),
        action in 0..4usize,
        ops in ops(),
    ) {
        let mut doc = trust_core(principal, action);
        let original = doc.to_json();
        let before = high_rules(&original, PolicyKind::Trust);
        prop_assert!(before.contains("trust-any-principal"), "{:?}\n{}", before, original);
        for op in &ops {
            rewrite(&mut doc, *op);
        }
        let rewritten = doc.to_json();
        prop_assert_eq!(detect(&rewritten), PolicyKind::Trust, "{}", rewritten);
        let after = high_rules(&rewritten, PolicyKind::Trust);
        let lost: Vec<_> = before.difference(&after).collect();
        prop_assert!(lost.is_empty(), "lost {:?}\noriginal:  {}\nrewritten: {}\nops: {:?}", lost, original, rewritten, ops);
    }

    #[test]
    fn an_organization_or_account_condition_removes_trust_any_principal(
        principal in 0..ANYONE.len(),
        action in 0..4usize,
        pin in 0..4usize,
        ops in ops(),
    ) {
        let mut doc = trust_core(principal, action);
        let c = [
            cond("StringEquals", "aws:PrincipalOrgID", &["o-abc123"]),
            cond("StringEquals", "aws:PrincipalOrgID", &["o-abc123", "o-def456"]),
            cond("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", &["o-abc123/r-ab12/*"]),
            cond("StringEquals", "aws:PrincipalAccount", &["111122223333"]),
        ][pin].clone();
        for s in doc.stmts.iter_mut() {
            s.conditions.push(c.clone());
        }
        for op in &ops {
            rewrite(&mut doc, *op);
        }
        let text = doc.to_json();
        let after = high_rules(&text, PolicyKind::Trust);
        prop_assert!(!after.contains("trust-any-principal"), "{:?}\n{}\nops: {:?}", after, text, ops);
    }

    #[test]
    fn resource_policy_rewrites_keep_public_invoke(
        principal in 0..ANYONE.len(),
        action in 0..3usize,
        resource in 0..FUNCTION_SPELLINGS.len(),
        ops in ops(),
    ) {
        let mut doc = resource_core(principal, action, resource);
        let original = doc.to_json();
        let before = high_rules(&original, PolicyKind::Resource);
        prop_assert!(before.contains("public-invoke"), "{:?}\n{}", before, original);
        for op in &ops {
            rewrite(&mut doc, *op);
        }
        let rewritten = doc.to_json();
        prop_assert_eq!(detect(&rewritten), PolicyKind::Resource, "{}", rewritten);
        let after = high_rules(&rewritten, PolicyKind::Resource);
        let lost: Vec<_> = before.difference(&after).collect();
        prop_assert!(lost.is_empty(), "lost {:?}\noriginal:  {}\nrewritten: {}\nops: {:?}", lost, original, rewritten, ops);
    }

    #[test]
    fn a_source_or_organization_condition_removes_public_invoke(
        principal in 0..ANYONE.len(),
        action in 0..3usize,
        resource in 0..FUNCTION_SPELLINGS.len(),
        org in any::<bool>(),
        ops in ops(),
    ) {
        let mut doc = resource_core(principal, action, resource);
        let c = if org {
            cond("StringEquals", "aws:PrincipalOrgID", &["o-abc123"])
        } else {
            cond("StringEquals", "aws:SourceAccount", &["111122223333"])
        };
        for s in doc.stmts.iter_mut() {
            s.conditions.push(c.clone());
        }
        for op in &ops {
            rewrite(&mut doc, *op);
        }
        let text = doc.to_json();
        let after = high_rules(&text, PolicyKind::Resource);
        prop_assert!(!after.contains("public-invoke"), "{:?}\n{}\nops: {:?}", after, text, ops);
    }
}

// --- the rewrites themselves --------------------------------------------------

/// The glob rewrite only ever produces patterns that match the same actions,
/// and does produce some: otherwise the property above would test nothing.
#[test]
fn equivalent_globs_match_the_same_actions() {
    let mut produced = 0;
    let mut in_service = 0;
    for action in [
        "iam:PassRole",
        "lambda:CreateFunction",
        "sts:AssumeRole",
        "ssm:SendCommand",
    ] {
        for a in 0..12 {
            for b in 0..5 {
                if let Some(g) = equivalent_glob(action, a, b) {
                    assert!(g.contains(['*', '?']), "{g}");
                    assert_eq!(matches(&g), matches(action), "{action} -> {g}");
                    produced += 1;
                    if g.split(':')
                        .next()
                        .is_some_and(|svc| svc.contains(['*', '?']))
                    {
                        in_service += 1;
                    }
                }
            }
        }
    }
    assert!(produced > 50, "only {produced} globs");
    assert!(
        in_service > 5,
        "only {in_service} globs in the service prefix"
    );
    assert_eq!(
        equivalent_glob("iam:PassRole", 1, 0).as_deref(),
        Some("iam:P?ssRole")
    );
}

/// The issue's spellings, one by one, without the random search.
#[test]
fn named_spellings_keep_their_findings() {
    let star = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
    let admin = |body: &str| {
        high_rules(
            &format!(r#"{{"Statement":[{body}]}}"#),
            PolicyKind::Permission,
        )
        .contains("admin-access")
    };
    assert!(admin(star));
    for body in [
        r#"{"Effect":"Allow","Action":"*","Resource":"arn:*"}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:*"}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:*:*:*:*"}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:*"}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["0.0.0.0/0","::/0"]}}}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"*"}}}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"000000000000"}}}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}"#,
    ] {
        assert!(admin(body), "{body}");
    }
    for body in [
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::one-bucket/*"}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}"#,
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#,
    ] {
        assert!(!admin(body), "{body}");
    }
    let privesc = |body: &str| {
        high_rules(
            &format!(r#"{{"Statement":[{body}]}}"#),
            PolicyKind::Permission,
        )
        .contains("privilege-escalation")
    };
    for body in [
        r#"{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"arn:aws:*"}"#,
        r#"{"Effect":"Allow","Action":["IAM:passrole","lambda:createfunction"],"Resource":"*"},{"Effect":"Allow","Action":"lambda:Invoke?unction","Resource":"arn:*"}"#,
        r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*"},{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}"#,
    ] {
        assert!(privesc(body), "{body}");
    }
}

/// Bug found by the properties above (fixed in `src/eval/condition.rs`):
/// `StringLike` `*?` matches every non-empty value, like `?*`, but was taken
/// for a restricting condition, so this administrator access had no finding.
#[test]
fn star_question_mark_condition_does_not_hide_admin_access() {
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"*?"}}}}"#;
    assert!(high_rules(doc, PolicyKind::Permission).contains("admin-access"));
}

/// Bug found by the properties above (fixed in `src/eval/resource.rs`): a
/// name placeholder is never empty and an account id has twelve digits, so
/// these are every role, but were judged as some roles and had no finding.
#[test]
fn every_role_spelled_with_question_marks_is_every_role() {
    for resource in ["arn:aws:iam::*:role/?*", "arn:aws:iam::????????????:role/*"] {
        let doc = format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":["iam:PassRole","iam:PutRolePolicy"],"Resource":"{resource}"}}}}"#
        );
        let rules = high_rules(&doc, PolicyKind::Permission);
        for rule in [
            "pass-role-wildcard",
            "privilege-escalation",
            "permissions-management",
        ] {
            assert!(rules.contains(rule), "{resource}: {rules:?}");
        }
    }
}
