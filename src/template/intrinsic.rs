//! Turns template values into plain policy JSON, resolving what can be
//! resolved offline and replacing the rest with opaque, scoped placeholders.
//!
//! The placeholder for a value only known at deploy time is CloudFormation's
//! own `${...}` syntax: `!GetAtt Orders.Arn` → `${Orders.Arn}`, `!Ref Bucket`
//! → `${Bucket}`, `!Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'` →
//! `arn:aws:s3:::${Bucket}/*`. The rules treat text with `${` as a resource
//! they cannot judge, never as `*`: an ARN built with `!Sub` or `!GetAtt` is a
//! scoped ARN, so intrinsics cause no `resource-wildcard`, `resource-mismatch`
//! or cross-account finding. Inside a placeholder `::` is written `.`
//! (`${AWS.Region}`) so it never adds ARN segments; [`Resolver::readable`]
//! turns every placeholder back into the template's spelling before a message
//! is shown.
//!
//! What the template itself fixes is resolved (SPEC §3.0): `AWS::Partition`
//! → `aws`, `AWS::URLSuffix` → `amazonaws.com`; a `!Ref` to a parameter is
//! its literal `Default` or, with `AllowedValues`, each allowed value in turn
//! (a [`Choices`] picks one, as it picks a branch of each `Fn::If`; a
//! condition on such parameters is decided for each); `Fn::FindInMap` reads
//! the template's `Mappings`.
//!
//! Accounts: `AWS::AccountId` is a stand-in account ([`TEMPLATE_ACCOUNT`])
//! that the rule context names as the template's own. An account only known
//! at deploy time (`arn:aws:iam::${SourceAcct}:root`, a principal that is a
//! parameter without a value) is *another* account: it gets a stand-in of its
//! own, so the cross-account rules judge it, and messages show it as
//! `${SourceAcct}`. Values that can only name the template's own account stay
//! placeholders: its resources (`!GetAtt Role.Arn`), and `!ImportValue`,
//! whose exports are those of the stack's account and region.

use super::yaml::{Node, Value};
use serde_json::{Map, Value as Json};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The stand-in for `AWS::AccountId`: a well-formed account id that the
/// template's rule context names as its own, so `${AWS::AccountId}` in a
/// principal or condition means "this account". Never shown: messages say
/// `${AWS::AccountId}`.
pub const TEMPLATE_ACCOUNT: &str = "990000000000";

/// Stand-ins for accounts known only at deploy time start after it.
const UNKNOWN_ACCOUNT_BASE: u64 = 990_000_000_001;

/// At most this many combinations of `Fn::If` branches and allowed values
/// are judged per document; further choice points take their first value.
const MAX_VARIANTS: usize = 32;

/// The placeholder for a value known only at deploy time: `${Name}`, with
/// `::` written `.` (`${AWS.Region}`) so the placeholder never adds ARN
/// segments: `arn:aws:kms:${AWS::Region}:...` would otherwise split into the
/// wrong parts.
pub fn placeholder(name: &str) -> String {
    format!("${{{}}}", name.replace("::", ".").replace(':', "."))
}

/// Whether a string holds a placeholder for a deploy-time value.
pub fn is_placeholder(s: &str) -> bool {
    s.contains("${")
}

/// The policy JSON of a template value, with no parameters known and every
/// `Fn::If` on its true branch. `AWS::NoValue` drops the element it stands
/// in, as CloudFormation does.
#[cfg(test)]
pub fn to_json(node: &Node) -> Json {
    Resolver::default().base().to_json(node)
}

/// What the template says about one parameter.
#[derive(Debug, Clone, Default)]
struct Param {
    /// The literal values it may take: its `AllowedValues`, else its
    /// `Default`; empty when unknown.
    values: Vec<String>,
    /// `CommaDelimitedList` and `List<...>`: `!Ref` gives a list.
    list: bool,
    /// It has `AllowedValues`: no other value can be deployed, so a
    /// condition on it can be decided (a `Default` can be overridden).
    closed: bool,
}

/// One pick of each choice point of a document: a branch of every `Fn::If`
/// condition and a value of every parameter with several allowed values.
/// What is not picked takes the true branch / the first value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices {
    conditions: BTreeMap<String, bool>,
    params: BTreeMap<String, String>,
}

impl Choices {
    /// The picks shared by all of `list` (none when it is empty): what a
    /// finding seen in exactly those combinations depends on.
    /// What to say about a finding that held in the variants `seen` (indices
    /// into `variants`) out of `judged` judged ones: nothing when it held in
    /// all of them, else the choices they share (or, when they share none,
    /// those of the first).
    pub fn describe(variants: &[Choices], seen: &[usize], judged: usize) -> Vec<String> {
        if seen.len() >= judged {
            return Vec::new();
        }
        let picks: Vec<&Choices> = seen.iter().map(|&i| &variants[i]).collect();
        let parts = Choices::common(&picks).parts();
        match (parts.is_empty(), seen.first()) {
            (true, Some(&first)) => variants[first].parts(),
            _ => parts,
        }
    }

    pub fn common(list: &[&Choices]) -> Choices {
        let Some((first, rest)) = list.split_first() else {
            return Choices::default();
        };
        let mut out = (*first).clone();
        for other in rest {
            out.conditions
                .retain(|k, v| other.conditions.get(k) == Some(v));
            out.params.retain(|k, v| other.params.get(k) == Some(v));
        }
        out
    }

    /// The picks, one phrase each: "condition `IsProd` is false".
    pub fn parts(&self) -> Vec<String> {
        let mut parts: Vec<String> = self
            .conditions
            .iter()
            .map(|(c, v)| condition_part(c, *v))
            .collect();
        parts.extend(self.params.iter().map(|(p, v)| {
            format!(
                "parameter `{}` is `{}`",
                p.escape_default(),
                v.escape_default()
            )
        }));
        parts
    }
}

/// "condition `Name` is true".
pub fn condition_part(name: &str, value: bool) -> String {
    format!("condition `{}` is {value}", name.escape_default())
}

/// "when A and B" of the phrases of some picks; empty for none.
pub fn when(parts: &[String]) -> String {
    if parts.is_empty() {
        String::new()
    } else {
        format!("when {}", parts.join(" and "))
    }
}

/// Every node `node` may stand for once each `Fn::If` on its way is
/// decided, with the picks that lead there (`AWS::NoValue` leads nowhere):
/// for elements of a resource (a list of policies, one policy of it) whose
/// presence depends on a condition.
pub fn branches(node: &Node) -> Vec<(&Node, Vec<String>)> {
    match node.single_key() {
        Some(("Fn::If", arg)) => {
            let items = arg.items();
            let Some(condition) = items.first().and_then(|c| c.as_str()) else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for (branch, value) in [(1, true), (2, false)] {
                let Some(n) = items.get(branch) else { continue };
                for (leaf, mut parts) in branches(n) {
                    parts.insert(0, condition_part(condition, value));
                    out.push((leaf, parts));
                }
            }
            out
        }
        Some(("Ref", arg)) if arg.as_str() == Some("AWS::NoValue") => Vec::new(),
        _ => vec![(node, Vec::new())],
    }
}

/// Resolves a template's values with what the template knows: its
/// parameters, and which accounts are unknown.
#[derive(Debug, Default)]
pub struct Resolver {
    params: BTreeMap<String, Param>,
    /// The `Conditions` section: a condition on parameters with allowed
    /// values is decided, so impossible combinations are not judged.
    conditions: BTreeMap<String, Node>,
    /// The `Mappings` section, for `Fn::FindInMap`.
    mappings: Option<Node>,
    /// Logical ids of the template's resources: a principal that is one of
    /// them (`!GetAtt Role.Arn`) is in the template's own account.
    resources: Vec<String>,
    /// A condition known to hold for everything read now (the `Condition`
    /// of the resource being judged): never enumerated as false.
    fixed: RefCell<Option<String>>,
    /// Readable names (`${SourceAcct}`) of the accounts given a stand-in,
    /// by stand-in number.
    unknown_accounts: RefCell<Vec<String>>,
}

impl Resolver {
    /// A resolver for a template with these `Parameters` and `Conditions`.
    pub fn new(parameters: Option<&Node>, conditions: Option<&Node>) -> Self {
        let mut params = BTreeMap::new();
        for e in parameters.and_then(Node::as_map).unwrap_or_default() {
            let ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
            // An SSM parameter's `Default` is the name of the SSM parameter,
            // not its value.
            let from_ssm = ty.starts_with("AWS::SSM::Parameter");
            let list = ty == "CommaDelimitedList" || ty.starts_with("List<");
            let literal = |n: &Node| match &n.value {
                Value::Scalar(s) => Some(s.clone()),
                _ => None,
            };
            let allowed: Vec<String> = e
                .value
                .get("AllowedValues")
                .map(|a| a.items().into_iter().filter_map(literal).collect())
                .unwrap_or_default();
            let closed = !from_ssm && !allowed.is_empty();
            let values = if from_ssm {
                Vec::new()
            } else if !allowed.is_empty() {
                allowed
            } else {
                // An empty `Default` is the usual "not set": unknown.
                e.value
                    .get("Default")
                    .and_then(literal)
                    .filter(|d| !d.is_empty())
                    .into_iter()
                    .collect()
            };
            params.insert(
                e.key.clone(),
                Param {
                    values,
                    list,
                    closed,
                },
            );
        }
        let conditions = conditions
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect();
        Resolver {
            params,
            conditions,
            mappings: None,
            resources: Vec::new(),
            fixed: RefCell::new(None),
            unknown_accounts: RefCell::new(Vec::new()),
        }
    }

    /// Reads what follows with `condition` true (a resource's `Condition`),
    /// or with no condition fixed.
    pub fn fix_condition(&self, condition: Option<&str>) {
        *self.fixed.borrow_mut() = condition.map(str::to_string);
    }

    /// The template's `Mappings` and the logical ids of its `Resources`.
    pub fn with_template(mut self, mappings: Option<&Node>, resources: Option<&Node>) -> Self {
        self.mappings = mappings.cloned();
        self.resources = resources
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .map(|e| e.key.clone())
            .collect();
        self
    }

    pub fn view<'r>(&'r self, choices: &'r Choices) -> View<'r> {
        View { r: self, choices }
    }

    /// The view with no choice made: true branches, first allowed values.
    pub fn base(&self) -> View<'_> {
        static NO_CHOICE: Choices = Choices {
            conditions: BTreeMap::new(),
            params: BTreeMap::new(),
        };
        self.view(&NO_CHOICE)
    }

    /// Whether a whole-value placeholder `${name}` may name an account that
    /// is not the template's: anything but one of its resources
    /// (`${Role.Arn}`), an import (exports belong to the stack's own
    /// account) or a pseudo parameter.
    fn may_be_other_account(&self, name: &str) -> bool {
        let head = name.split('.').next().unwrap_or(name);
        !(self.resources.iter().any(|r| r == head) || head == "AWS" || name == "Fn.ImportValue")
    }

    /// The stand-in account for a deploy-time value named `readable`.
    fn unknown_account(&self, readable: &str) -> String {
        let mut names = self.unknown_accounts.borrow_mut();
        let i = match names.iter().position(|n| n == readable) {
            Some(i) => i,
            None => {
                names.push(readable.to_string());
                names.len() - 1
            }
        };
        (UNKNOWN_ACCOUNT_BASE + i as u64).to_string()
    }

    /// Every combination of choices a document offers (at least one): each
    /// `Fn::If` condition true and false, each parameter with several
    /// allowed values at each of them.
    pub fn variants(&self, node: &Node) -> Vec<Choices> {
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        self.choice_points(node, &mut conditions, &mut params);
        let mut start = Choices::default();
        if let Some(c) = self.fixed.borrow().as_ref() {
            start.conditions.insert(c.clone(), true);
            self.condition_params(c, &mut params, 0);
        }
        let mut out = vec![start];
        for c in conditions {
            if out[0].conditions.contains_key(&c) {
                continue;
            }
            if out.len() * 2 > MAX_VARIANTS {
                break;
            }
            out = out
                .into_iter()
                .flat_map(|ch| {
                    [true, false].map(|v| {
                        let mut ch = ch.clone();
                        ch.conditions.insert(c.clone(), v);
                        ch
                    })
                })
                .collect();
        }
        for p in params {
            let values = &self.params[&p].values;
            if out.len() * values.len() > MAX_VARIANTS {
                break;
            }
            out = out
                .into_iter()
                .flat_map(|ch| {
                    let p = &p;
                    values.iter().map(move |v| {
                        let mut ch = ch.clone();
                        ch.params.insert(p.clone(), v.clone());
                        ch
                    })
                })
                .collect();
        }
        // A condition decided by the picked parameter values takes that
        // value; combinations that become the same are judged once.
        // A fixed condition that the picks make false is a combination that
        // cannot be deployed.
        let fixed = self.fixed.borrow().clone();
        let mut unique: Vec<Choices> = Vec::new();
        for mut ch in out {
            let names: Vec<String> = ch.conditions.keys().cloned().collect();
            let mut possible = true;
            for name in names {
                match self.decide(&name, &ch, 0) {
                    Some(false) if fixed.as_deref() == Some(name.as_str()) => possible = false,
                    Some(v) => {
                        ch.conditions.insert(name, v);
                    }
                    None => {}
                }
            }
            if possible && !unique.contains(&ch) {
                unique.push(ch);
            }
        }
        if unique.is_empty() {
            let mut ch = Choices::default();
            if let Some(c) = fixed {
                ch.conditions.insert(c, true);
            }
            unique.push(ch);
        }
        unique
    }

    /// The value of condition `name` under `choices`, when its definition
    /// only compares literals and parameters with allowed values.
    fn decide(&self, name: &str, choices: &Choices, depth: usize) -> Option<bool> {
        let def = self.conditions.get(name)?;
        self.decide_node(def, choices, depth + 1)
    }

    fn decide_node(&self, node: &Node, choices: &Choices, depth: usize) -> Option<bool> {
        if depth > 16 {
            return None;
        }
        let (key, arg) = node.single_key()?;
        let items = arg.items();
        match key {
            "Fn::Equals" => {
                let a = self.literal(items.first()?, choices)?;
                let b = self.literal(items.get(1)?, choices)?;
                Some(a == b)
            }
            "Fn::Not" => self
                .decide_node(items.first()?, choices, depth + 1)
                .map(|v| !v),
            "Fn::And" | "Fn::Or" => {
                let values: Vec<Option<bool>> = items
                    .iter()
                    .map(|n| self.decide_node(n, choices, depth + 1))
                    .collect();
                let decisive = key == "Fn::Or";
                if values.contains(&Some(decisive)) {
                    Some(decisive)
                } else if values.iter().all(Option::is_some) {
                    Some(!decisive)
                } else {
                    None
                }
            }
            "Condition" => self.decide(arg.as_str()?, choices, depth),
            _ => None,
        }
    }

    /// The value of an operand of `Fn::Equals` when no deploy can change
    /// it: a literal, `AWS::Partition`/`AWS::URLSuffix`, or a parameter with
    /// allowed values (as picked).
    fn literal(&self, node: &Node, choices: &Choices) -> Option<String> {
        match (&node.value, node.single_key()) {
            (Value::Scalar(s), _) => Some(s.clone()),
            (_, Some(("Ref", arg))) => {
                let name = arg.as_str()?;
                if let Some(p) = pseudo(name).filter(|_| name != "AWS::AccountId") {
                    return Some(p.to_string());
                }
                let p = self.params.get(name).filter(|p| p.closed)?;
                choices
                    .params
                    .get(name)
                    .or_else(|| p.values.first())
                    .cloned()
            }
            _ => None,
        }
    }

    /// The parameters a condition's definition reads.
    fn condition_params(&self, name: &str, params: &mut Vec<String>, depth: usize) {
        let Some(def) = self.conditions.get(name) else {
            return;
        };
        if depth > 16 {
            return;
        }
        let mut stack = vec![def];
        while let Some(n) = stack.pop() {
            match n.single_key() {
                Some(("Ref", arg)) => {
                    if let Some(p) = arg.as_str() {
                        if self.params.get(p).is_some_and(|p| p.values.len() > 1)
                            && !params.iter().any(|x| x == p)
                        {
                            params.push(p.to_string());
                        }
                    }
                }
                Some(("Condition", arg)) => {
                    if let Some(c) = arg.as_str() {
                        self.condition_params(c, params, depth + 1);
                    }
                }
                _ => {}
            }
            match &n.value {
                Value::Seq(items) => stack.extend(items.iter()),
                Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
                _ => {}
            }
        }
    }

    fn choice_points(&self, node: &Node, conditions: &mut Vec<String>, params: &mut Vec<String>) {
        let param = |name: &str, params: &mut Vec<String>| {
            if self.params.get(name).is_some_and(|p| p.values.len() > 1)
                && !params.iter().any(|p| p == name)
            {
                params.push(name.to_string());
            }
        };
        if let Some((key, arg)) = node.single_key() {
            match key {
                "Fn::If" => {
                    if let Some(c) = arg.items().first().and_then(|c| c.as_str()) {
                        if !conditions.iter().any(|x| x == c) {
                            conditions.push(c.to_string());
                            self.condition_params(c, params, 0);
                        }
                    }
                }
                "Ref" => {
                    if let Some(name) = arg.as_str() {
                        param(name, params);
                    }
                }
                "Fn::Sub" => {
                    let template = match &arg.value {
                        Value::Scalar(s) => Some(s.as_str()),
                        Value::Seq(items) => items.first().and_then(|n| n.as_str()),
                        _ => None,
                    };
                    for name in template.map(sub_names).unwrap_or_default() {
                        param(name, params);
                    }
                }
                _ => {}
            }
        }
        match &node.value {
            Value::Seq(items) => {
                for i in items {
                    self.choice_points(i, conditions, params);
                }
            }
            Value::Map(entries) => {
                for e in entries {
                    self.choice_points(&e.value, conditions, params);
                }
            }
            _ => {}
        }
    }

    /// `text` as the template spells it: stand-in accounts and placeholders
    /// back to `${AWS::AccountId}`, `${SourceAcct}`, `${AWS::Region}`.
    pub fn readable(&self, text: &str) -> String {
        let mut out = text.replace(TEMPLATE_ACCOUNT, "${AWS::AccountId}");
        for (i, name) in self.unknown_accounts.borrow().iter().enumerate() {
            out = out.replace(&(UNKNOWN_ACCOUNT_BASE + i as u64).to_string(), name);
        }
        out.replace("${AWS.", "${AWS::").replace("${Fn.", "${Fn::")
    }
}

/// The `${Name}` variables of a `Fn::Sub` string (not `${!Literal}`).
fn sub_names(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            out.push(name);
        }
        rest = &after[end + 1..];
    }
    out
}

/// A [`Resolver`] with one pick of each choice point.
#[derive(Clone)]
pub struct View<'r> {
    r: &'r Resolver,
    choices: &'r Choices,
}

impl<'r> View<'r> {
    /// The policy JSON of a template value. `AWS::NoValue` drops the element
    /// it stands in, as CloudFormation does.
    pub fn to_json(&self, node: &Node) -> Json {
        self.to_json_opt(node).unwrap_or(Json::Null)
    }

    /// The text a value stands for, for places that need a string (an ARN,
    /// a principal): resolved, or a placeholder.
    pub fn to_text(&self, node: &Node) -> String {
        match self.to_json(node) {
            Json::String(s) => s,
            Json::Null => placeholder("AWS::NoValue"),
            other => format!("${{{}}}", compact(&other)),
        }
    }

    /// The node this one stands for once `Fn::If` is decided (`None` for
    /// `AWS::NoValue`): for lines of the parts of a document.
    pub fn select<'n>(&self, node: &'n Node) -> Option<&'n Node> {
        let mut node = node;
        loop {
            match node.single_key() {
                Some(("Fn::If", arg)) => {
                    let items = arg.items();
                    let branch = if self.condition(items.first().copied()) {
                        1
                    } else {
                        2
                    };
                    node = items.get(branch).copied()?;
                }
                Some(("Ref", arg)) if arg.as_str() == Some("AWS::NoValue") => return None,
                _ => return Some(node),
            }
        }
    }

    fn condition(&self, name: Option<&Node>) -> bool {
        let Some(c) = name.and_then(Node::as_str) else {
            return true;
        };
        self.choices
            .conditions
            .get(c)
            .copied()
            .or_else(|| self.r.decide(c, self.choices, 0))
            .unwrap_or(true)
    }

    /// The literal value of a parameter under these choices, if known.
    fn param(&self, name: &str) -> Option<Json> {
        let p = self.r.params.get(name)?;
        let value = self.choices.params.get(name).or_else(|| p.values.first())?;
        Some(if p.list {
            Json::Array(
                value
                    .split(',')
                    .map(|s| Json::String(s.trim().to_string()))
                    .collect(),
            )
        } else {
            Json::String(value.clone())
        })
    }

    /// A policy document with its principals judged as accounts: a
    /// principal that is a parameter with no known value is an unknown, so
    /// another, account (SPEC §3.0).
    pub fn policy_json(&self, node: &Node) -> Json {
        let mut doc = self.to_json(node);
        if let Some(statements) = doc.get_mut("Statement") {
            let list: Vec<&mut Json> = match statements {
                Json::Array(items) => items.iter_mut().collect(),
                other => vec![other],
            };
            for s in list {
                for key in ["Principal", "NotPrincipal"] {
                    if let Some(aws) = s.get_mut(key).and_then(|p| p.get_mut("AWS")) {
                        self.principal_accounts(aws);
                    }
                }
            }
        }
        doc
    }

    /// Makes an AWS principal that is a parameter with no value (`${P}`)
    /// the stand-in of an unknown account.
    pub fn principal_accounts(&self, aws: &mut Json) {
        match aws {
            Json::Array(items) => items.iter_mut().for_each(|i| self.principal_accounts(i)),
            Json::String(s) => {
                if let Some(name) = whole_placeholder(s).filter(|n| self.r.may_be_other_account(n))
                {
                    *s = self
                        .r
                        .unknown_account(&self.r.readable(&format!("${{{name}}}")));
                }
            }
            _ => {}
        }
    }

    fn to_json_opt(&self, node: &Node) -> Option<Json> {
        if let Some((key, arg)) = node.single_key() {
            if key == "Ref" || key.starts_with("Fn::") {
                return self.intrinsic(key, arg).map(|v| match v {
                    Json::String(s) => Json::String(self.account_field(s)),
                    other => other,
                });
            }
        }
        Some(match &node.value {
            Value::Null => Json::Null,
            Value::Scalar(s) => Json::String(s.clone()),
            Value::Seq(items) => {
                Json::Array(items.iter().filter_map(|i| self.to_json_opt(i)).collect())
            }
            Value::Map(entries) => {
                let mut m = Map::new();
                for e in entries {
                    if let Some(v) = self.to_json_opt(&e.value) {
                        m.insert(e.key.clone(), v);
                    }
                }
                Json::Object(m)
            }
        })
    }

    /// An ARN whose account is a deploy-time value (`${SourceAcct}`, not an
    /// IAM policy variable such as `${aws:PrincipalAccount}`) gets the
    /// stand-in of an unknown account there.
    fn account_field(&self, text: String) -> String {
        if !text.starts_with("arn:") {
            return text;
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let Some(name) = parts.get(4).and_then(|a| whole_placeholder(a)) else {
            return text;
        };
        let stand_in = self.r.unknown_account(&self.r.readable(&placeholder(name)));
        let mut parts: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        parts[4] = stand_in;
        parts.join(":")
    }

    fn intrinsic(&self, name: &str, arg: &Node) -> Option<Json> {
        let text = |s: String| Some(Json::String(s));
        match name {
            "Ref" => {
                let target = arg.as_str().unwrap_or("?");
                if target == "AWS::NoValue" {
                    return None;
                }
                if let Some(p) = pseudo(target) {
                    return text(p.to_string());
                }
                self.param(target).or_else(|| text(placeholder(target)))
            }
            "Fn::GetAtt" => {
                let path = match &arg.value {
                    Value::Scalar(s) => s.clone(),
                    Value::Seq(items) => items
                        .iter()
                        .map(|i| self.to_text(i))
                        .collect::<Vec<_>>()
                        .join("."),
                    _ => "?".to_string(),
                };
                text(placeholder(&path))
            }
            "Fn::Sub" => {
                let (template, vars) = match &arg.value {
                    Value::Scalar(s) => (s.clone(), None),
                    Value::Seq(items) if !items.is_empty() => {
                        (items[0].as_str().unwrap_or("").to_string(), items.get(1))
                    }
                    _ => return text(placeholder("Fn::Sub")),
                };
                text(self.substitute(&template, vars))
            }
            "Fn::Join" => {
                let items = arg.items();
                let sep = items.first().and_then(|n| n.as_str()).unwrap_or("");
                let parts: Vec<String> = items
                    .get(1)
                    .map(|list| match self.to_json(list) {
                        // The list may come from `!If` or a list parameter.
                        Json::Array(values) => values
                            .iter()
                            .map(|v| match v {
                                Json::String(s) => s.clone(),
                                other => format!("${{{}}}", compact(other)),
                            })
                            .collect(),
                        Json::String(s) => vec![s],
                        _ => vec![self.to_text(list)],
                    })
                    .unwrap_or_default();
                text(parts.join(sep))
            }
            "Fn::If" => {
                // Each branch is judged in a variant of its own
                // ([`Resolver::variants`]); this one takes the chosen branch.
                let items = arg.items();
                let branch = if self.condition(items.first().copied()) {
                    1
                } else {
                    2
                };
                items.get(branch).and_then(|n| self.to_json_opt(n))
            }
            "Fn::FindInMap" => text_or(self.find_in_map(arg), "Fn::FindInMap"),
            "Fn::Select" => {
                let items = arg.items();
                let index = items
                    .first()
                    .and_then(|n| n.as_str())
                    .and_then(|s| s.parse::<usize>().ok());
                let list = items.get(1).map(|l| self.to_json(l));
                match (index, list) {
                    (Some(i), Some(Json::Array(values))) => values
                        .get(i)
                        .cloned()
                        .or_else(|| text(placeholder("Fn::Select"))),
                    _ => text(placeholder("Fn::Select")),
                }
            }
            other => text(placeholder(other)),
        }
    }

    /// `Fn::FindInMap [Map, Top, Second]` from the template's `Mappings`.
    /// A top-level key known only at deploy time (`!Ref AWS::Region`) is
    /// resolved when every top-level entry holds the same value.
    fn find_in_map(&self, arg: &Node) -> Option<Json> {
        let items = arg.items();
        let key = |i: usize| -> Option<String> {
            match self.to_json(items.get(i)?) {
                Json::String(s) if !is_placeholder(&s) => Some(s),
                _ => None,
            }
        };
        let map = self.r.mappings.as_ref()?.get(&key(0)?)?;
        let second = key(2)?;
        let candidates: Vec<&Node> = match key(1) {
            Some(top) => vec![map.get(&top)?.get(&second)?],
            None => map
                .as_map()?
                .iter()
                .map(|e| e.value.get(&second))
                .collect::<Option<Vec<_>>>()?,
        };
        let values: Vec<Json> = candidates.iter().map(|n| self.to_json(n)).collect();
        let first = values.first()?;
        values.iter().all(|v| v == first).then(|| first.clone())
    }

    /// `Fn::Sub`: pseudo parameters and parameters known offline are filled
    /// in, variables given in the second argument are resolved,
    /// `${!Literal}` becomes `${Literal}`, and every other `${Name}` stays
    /// as the placeholder it is.
    fn substitute(&self, template: &str, vars: Option<&Node>) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.and_then(|v| v.get(name)) {
                out.push_str(&self.to_text(v));
            } else if let Some(p) = pseudo(name) {
                out.push_str(p);
            } else if let Some(Json::String(v)) = self.param(name) {
                out.push_str(&v);
            } else {
                out.push_str(&placeholder(name));
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

fn text_or(value: Option<Json>, placeholder_name: &str) -> Option<Json> {
    value.or_else(|| Some(Json::String(placeholder(placeholder_name))))
}

/// `Name` of a text that is exactly one placeholder `${Name}` (never an IAM
/// policy variable like `${aws:username}`, which has a colon).
fn whole_placeholder(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("${")?.strip_suffix('}')?;
    (!inner.is_empty() && !inner.contains([':', '$', '{', '}'])).then_some(inner)
}

fn compact(v: &Json) -> String {
    // Braces and colons would make the placeholder look like an ARN part.
    v.to_string()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
        .take(60)
        .collect()
}

fn pseudo(name: &str) -> Option<&'static str> {
    match name {
        "AWS::Partition" => Some("aws"),
        "AWS::URLSuffix" => Some("amazonaws.com"),
        "AWS::AccountId" => Some(TEMPLATE_ACCOUNT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::yaml::parse;

    fn json(yaml: &str) -> Json {
        to_json(parse(yaml).unwrap().get("v").unwrap())
    }

    #[test]
    fn intrinsics_become_scoped_placeholders() {
        assert_eq!(json("v: !GetAtt Orders.Arn"), "${Orders.Arn}");
        assert_eq!(json("v: !GetAtt [Orders, Arn]"), "${Orders.Arn}");
        assert_eq!(json("v: !Ref Bucket"), "${Bucket}");
        assert_eq!(
            json("v: !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'"),
            "arn:aws:s3:::${Bucket}/*"
        );
        assert_eq!(
            json("v: !Sub '${ReceiptsBucket.Arn}/*'"),
            "${ReceiptsBucket.Arn}/*"
        );
        assert_eq!(
            json("v: !Sub 'arn:aws:iam::${AWS::AccountId}:root'"),
            format!("arn:aws:iam::{TEMPLATE_ACCOUNT}:root")
        );
        assert_eq!(json("v: !Ref AWS::AccountId"), TEMPLATE_ACCOUNT);
        assert_eq!(
            json("v: !Sub ['arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Q}', {Q: !GetAtt Q.QueueName}]"),
            format!("arn:aws:sqs:${{AWS.Region}}:{TEMPLATE_ACCOUNT}:${{Q.QueueName}}")
        );
        assert_eq!(
            json("v: !Join ['', ['arn:', !Ref AWS::Partition, ':s3:::b/*']]"),
            "arn:aws:s3:::b/*"
        );
        assert_eq!(json("v: !ImportValue Shared"), "${Fn.ImportValue}");
        assert_eq!(json("v: !Sub '${!Literal}'"), "${Literal}");
    }

    #[test]
    fn if_offers_both_branches_and_no_value_drops_the_element() {
        let doc = parse("v: [x, !If [C, !Ref AWS::NoValue, b]]").unwrap();
        let v = doc.get("v").unwrap();
        let r = Resolver::default();
        let variants = r.variants(v);
        assert_eq!(variants.len(), 2);
        let got: Vec<(Json, String)> = variants
            .iter()
            .map(|c| (r.view(c).to_json(v), when(&c.parts())))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    serde_json::json!(["x"]),
                    "when condition `C` is true".into()
                ),
                (
                    serde_json::json!(["x", "b"]),
                    "when condition `C` is false".into()
                ),
            ]
        );
    }

    #[test]
    fn parameters_are_their_literal_default_or_each_allowed_value() {
        let t = parse(
            "Parameters:\n  Open: {Type: String, Default: '*'}\n  Env: {Type: String, AllowedValues: [dev, prod], Default: dev}\n  Acct: {Type: String}\n  Empty: {Type: String, Default: ''}\n  Ssm: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /x}\n  L: {Type: CommaDelimitedList, Default: 'a,b'}\n",
        )
        .unwrap();
        let r = Resolver::new(t.get("Parameters"), t.get("Conditions"));
        let v = |yaml: &str| {
            let n = parse(yaml).unwrap();
            r.base().to_json(n.get("v").unwrap())
        };
        assert_eq!(v("v: !Ref Open"), "*");
        assert_eq!(v("v: !Sub 'arn:aws:s3:::${Open}'"), "arn:aws:s3:::*");
        assert_eq!(v("v: !Ref Acct"), "${Acct}");
        assert_eq!(v("v: !Ref Empty"), "${Empty}");
        assert_eq!(v("v: !Ref Ssm"), "${Ssm}");
        assert_eq!(v("v: !Ref L"), serde_json::json!(["a", "b"]));
        let n = parse("v: !Sub 'role/${Env}-app'").unwrap();
        let node = n.get("v").unwrap();
        let all: Vec<Json> = r
            .variants(node)
            .iter()
            .map(|c| r.view(c).to_json(node))
            .collect();
        assert_eq!(
            all,
            vec![Json::from("role/dev-app"), "role/prod-app".into()]
        );
    }

    #[test]
    fn an_account_known_only_at_deploy_time_is_another_account_shown_readably() {
        let t = parse("Parameters:\n  SourceAcct: {Type: String}\n").unwrap();
        let r = Resolver::new(t.get("Parameters"), t.get("Conditions"));
        let n = parse("v: !Sub 'arn:aws:iam::${SourceAcct}:root'\nw: !Ref SourceAcct\n").unwrap();
        let arn = r.base().to_text(n.get("v").unwrap());
        let account = arn.split(':').nth(4).unwrap().to_string();
        assert!(account.len() == 12 && account != TEMPLATE_ACCOUNT, "{arn}");
        assert_eq!(r.readable(&arn), "arn:aws:iam::${SourceAcct}:root");
        // A principal that is the parameter itself is that account too.
        let mut aws = r.base().to_json(n.get("w").unwrap());
        r.base().principal_accounts(&mut aws);
        assert_eq!(aws.as_str(), Some(account.as_str()));
        // Our own account and placeholders read as the template wrote them.
        assert_eq!(
            r.readable(&format!("arn:aws:sqs:${{AWS.Region}}:{TEMPLATE_ACCOUNT}:q")),
            "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q"
        );
        // A role of the template stays a placeholder (our account), and an
        // IAM policy variable is no deploy-time value.
        let n =
            parse("v: !GetAtt Role.Arn\nw: !Sub 'arn:aws:iam::${!aws:PrincipalAccount}:root'\n")
                .unwrap();
        assert_eq!(r.base().to_text(n.get("v").unwrap()), "${Role.Arn}");
        assert_eq!(
            r.base().to_text(n.get("w").unwrap()),
            "arn:aws:iam::${aws:PrincipalAccount}:root"
        );
    }

    #[test]
    fn conditions_on_allowed_values_are_decided_and_others_are_not() {
        let t = parse(
            "Parameters:\n  Stage: {Type: String, AllowedValues: [dev, prod]}\n  Free: {Type: String, Default: x}\nConditions:\n  IsProd: !Equals [!Ref Stage, prod]\n  IsDev: !Not [!Condition IsProd]\n  IsX: !Equals [!Ref Free, x]\n",
        )
        .unwrap();
        let r = Resolver::new(t.get("Parameters"), t.get("Conditions"));
        // IsProd and IsDev follow Stage: two combinations, not eight.
        let n = parse("v: [!If [IsProd, a, b], !If [IsDev, c, d]]").unwrap();
        let v = n.get("v").unwrap();
        let got: Vec<Json> = r.variants(v).iter().map(|c| r.view(c).to_json(v)).collect();
        assert_eq!(
            got,
            vec![serde_json::json!(["b", "c"]), serde_json::json!(["a", "d"])]
        );
        // A parameter with only a `Default` can be given any value at
        // deploy time: both branches stay.
        let n = parse("v: !If [IsX, a, b]").unwrap();
        let v = n.get("v").unwrap();
        assert_eq!(r.variants(v).len(), 2);
    }

    #[test]
    fn find_in_map_reads_the_mappings() {
        let t = parse(
            "Mappings:\n  Accounts:\n    prod: {Id: '111122223333'}\n    dev: {Id: '444455556666'}\n  Same:\n    us-east-1: {Id: '777788889999'}\n    eu-west-1: {Id: '777788889999'}\nResources:\n  Role: {Type: AWS::IAM::Role}\n",
        )
        .unwrap();
        let r = Resolver::new(None, None).with_template(t.get("Mappings"), t.get("Resources"));
        let v = |yaml: &str| {
            let n = parse(yaml).unwrap();
            r.base().to_json(n.get("v").unwrap())
        };
        assert_eq!(v("v: !FindInMap [Accounts, prod, Id]"), "111122223333");
        // The region is known only at deploy time, but every region agrees.
        assert_eq!(
            v("v: !FindInMap [Same, !Ref AWS::Region, Id]"),
            "777788889999"
        );
        assert_eq!(
            v("v: !FindInMap [Accounts, !Ref AWS::Region, Id]"),
            "${Fn.FindInMap}"
        );
        assert_eq!(v("v: !FindInMap [Nope, prod, Id]"), "${Fn.FindInMap}");
        // As a whole principal: the template's own role is ours, a value
        // the template cannot tell is another account.
        let principal = |yaml: &str| {
            let n = parse(yaml).unwrap();
            let mut aws = r.base().to_json(n.get("v").unwrap());
            r.base().principal_accounts(&mut aws);
            r.readable(aws.as_str().unwrap_or_default())
        };
        assert_eq!(principal("v: !GetAtt Role.Arn"), "${Role.Arn}");
        assert_eq!(
            principal("v: !ImportValue shared-role"),
            "${Fn::ImportValue}"
        );
        let other = {
            let n = parse("v: !FindInMap [Accounts, !Ref AWS::Region, Id]").unwrap();
            let mut aws = r.base().to_json(n.get("v").unwrap());
            r.base().principal_accounts(&mut aws);
            aws
        };
        let digits = other.as_str().unwrap();
        assert!(digits.len() == 12 && digits != TEMPLATE_ACCOUNT, "{digits}");
        assert_eq!(r.readable(digits), "${Fn::FindInMap}");
    }

    #[test]
    fn select_picks_from_a_literal_list() {
        assert_eq!(json("v: !Select [1, [a, b]]"), "b");
        assert_eq!(json("v: !Select [0, !GetAZs '']"), "${Fn.Select}");
    }
}
