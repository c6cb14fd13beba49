//! The member template of an organization deployment (`member.yaml`, SPEC
//! §14) against the central one (`template.yaml`) and the code:
//! - its forwarding rule carries exactly the events of the central change
//!   rule (for the same account and region), and the central stack's
//!   organization-bus rules take exactly what the member rules forward;
//! - the forwarding role may only `events:PutEvents` on the central bus;
//! - `doorman-reader` exists once an account (the reader region), trusts
//!   only the central role within the organization, and grants exactly the
//!   read calls of the resolver and the audit, each scoped as narrowly as
//!   IAM allows (`Resource: "*"` only for actions that accept no ARN).
//!
//! Templates are read with libyaml (the parser behind PyYAML, which
//! CloudFormation's tools use) into JSON with intrinsics in their long form,
//! then resolved for one deployment, as CloudFormation hands them to AWS.

use std::collections::{BTreeMap, BTreeSet};

use libyaml_safer::{EventData, Parser, ScalarStyle};
use serde_json::{json, Map, Value};

// --- reading a template -------------------------------------------------------

/// A YAML template as JSON; `!Ref x` → `{"Ref": x}`, `!Sub s` →
/// `{"Fn::Sub": s}`, and so on for every short-form intrinsic.
fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    enum Frame {
        Seq(Option<String>, Vec<Value>),
        Map(Option<String>, Map<String, Value>, Option<String>),
    }
    fn tagged(tag: Option<String>, v: Value) -> Value {
        match tag.as_deref().and_then(|t| t.strip_prefix('!')) {
            Some("Ref") => json!({ "Ref": v }),
            Some("Condition") => json!({ "Condition": v }),
            Some("GetAtt") => json!({ "Fn::GetAtt": v }),
            Some(f) => json!({ format!("Fn::{f}"): v }),
            None => v,
        }
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    let mut parser = Parser::new();
    parser.set_input(text.as_bytes());
    for event in parser {
        let event = event.unwrap_or_else(|e| panic!("{path}: {e}"));
        let done = match event.data {
            EventData::Scalar {
                tag, value, style, ..
            } => {
                let v = if style == ScalarStyle::Plain && value == "null" {
                    Value::Null
                } else {
                    Value::String(value)
                };
                Some(tagged(tag, v))
            }
            EventData::SequenceStart { tag, .. } => {
                stack.push(Frame::Seq(tag, Vec::new()));
                None
            }
            EventData::MappingStart { tag, .. } => {
                stack.push(Frame::Map(tag, Map::new(), None));
                None
            }
            EventData::SequenceEnd | EventData::MappingEnd => match stack.pop() {
                Some(Frame::Seq(tag, items)) => Some(tagged(tag, Value::Array(items))),
                Some(Frame::Map(tag, map, _)) => Some(tagged(tag, Value::Object(map))),
                None => panic!("{path}: unbalanced YAML"),
            },
            _ => None,
        };
        let Some(v) = done else { continue };
        match stack.last_mut() {
            Some(Frame::Seq(_, items)) => items.push(v),
            Some(Frame::Map(_, map, key)) => match key.take() {
                Some(k) => {
                    assert!(!map.contains_key(&k), "{path}: duplicate key {k}");
                    map.insert(k, v);
                }
                None => *key = Some(v.as_str().expect("string keys").to_owned()),
            },
            None => root = Some(v),
        }
    }
    root.unwrap_or_else(|| panic!("{path}: empty"))
}

/// One deployment: account, region and parameter values (defaults unless
/// set). Resources resolve to `<LogicalId>` (names) and
/// `<LogicalId.Attribute>`, enough to compare patterns and policies.
struct Deployment<'t> {
    template: &'t Value,
    account: &'static str,
    region: &'static str,
    parameters: BTreeMap<String, String>,
}

impl<'t> Deployment<'t> {
    fn new(
        template: &'t Value,
        account: &'static str,
        region: &'static str,
        set: &[(&str, &str)],
    ) -> Self {
        let mut parameters = BTreeMap::new();
        for (name, spec) in template["Parameters"].as_object().expect("Parameters") {
            let default = spec["Default"].as_str().unwrap_or_default().to_owned();
            parameters.insert(name.clone(), default);
        }
        for (k, v) in set {
            assert!(parameters.contains_key(*k), "no parameter {k}");
            parameters.insert((*k).into(), (*v).into());
        }
        Deployment {
            template,
            account,
            region,
            parameters,
        }
    }

    /// The stack's name: a member's is the StackSet instance's,
    /// `StackSet-<StackSet name>-<uuid>`, the StackSet being
    /// `<NamePrefix>-member` (README).
    fn stack_name(&self) -> String {
        let prefix = self
            .parameters
            .get("NamePrefix")
            .map_or("doorman", String::as_str);
        format!("StackSet-{prefix}-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9")
    }

    fn stack_id(&self) -> String {
        format!(
            "arn:aws:cloudformation:{}:{}:stack/{}/5e6f7a80-91a2-11ef-b3c4-0a1b2c3d4e5f",
            self.region,
            self.account,
            self.stack_name()
        )
    }

    fn reference(&self, name: &str) -> Option<String> {
        Some(match name {
            "AWS::NoValue" => return None,
            "AWS::AccountId" => self.account.into(),
            "AWS::Region" => self.region.into(),
            "AWS::Partition" => "aws".into(),
            "AWS::StackName" => self.stack_name(),
            "AWS::StackId" => self.stack_id(),
            other => match self.parameters.get(other) {
                Some(v) => v.clone(),
                None => {
                    assert!(
                        self.template["Resources"].get(other).is_some(),
                        "Ref to unknown {other}"
                    );
                    format!("<{other}>")
                }
            },
        })
    }

    fn condition(&self, name: &str) -> bool {
        let body = &self.template["Conditions"][name];
        assert!(!body.is_null(), "no condition {name}");
        self.truth(body)
    }

    fn truth(&self, v: &Value) -> bool {
        let (f, arg) = single(v).unwrap_or_else(|| panic!("not a condition: {v}"));
        match f {
            "Condition" => self.condition(arg.as_str().expect("name")),
            "Fn::Equals" => self.resolve(&arg[0]) == self.resolve(&arg[1]),
            "Fn::Not" => !self.truth(&arg[0]),
            "Fn::And" => arg.as_array().expect("list").iter().all(|c| self.truth(c)),
            "Fn::Or" => arg.as_array().expect("list").iter().any(|c| self.truth(c)),
            _ => panic!("condition function {f} is not modelled"),
        }
    }

    /// Whether a resource is created in this deployment.
    fn exists(&self, logical_id: &str) -> bool {
        let r = &self.template["Resources"][logical_id];
        assert!(!r.is_null(), "no resource {logical_id}");
        r["Condition"].as_str().is_none_or(|c| self.condition(c))
    }

    fn resolve(&self, v: &Value) -> Option<Value> {
        if let Some((f, arg)) = single(v) {
            match f {
                "Ref" => return self.reference(arg.as_str().expect("Ref")).map(Value::from),
                "Fn::GetAtt" => {
                    let s = match arg {
                        Value::Array(a) => format!("{}.{}", a[0].as_str()?, a[1].as_str()?),
                        other => other.as_str().expect("GetAtt").to_owned(),
                    };
                    return Some(format!("<{s}>").into());
                }
                "Fn::Sub" => return Some(self.sub(arg.as_str().expect("Sub string")).into()),
                "Fn::If" => {
                    let chosen = if self.condition(arg[0].as_str().expect("condition")) {
                        &arg[1]
                    } else {
                        &arg[2]
                    };
                    return self.resolve(chosen);
                }
                f if f.starts_with("Fn::") => panic!("{f} is not modelled"),
                _ => {}
            }
        }
        Some(match v {
            Value::Array(items) => items.iter().filter_map(|i| self.resolve(i)).collect(),
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| self.resolve(v).map(|v| (k.clone(), v)))
                    .collect(),
            ),
            other => other.clone(),
        })
    }

    fn sub(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("closing }") + start;
            let name = &rest[start + 2..end];
            let value = if name.contains('.') && !name.starts_with("AWS::") {
                format!("<{name}>")
            } else {
                self.reference(name).expect("a value")
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn property(&self, logical_id: &str, path: &[&str]) -> Value {
        assert!(self.exists(logical_id), "{logical_id} is not deployed here");
        let mut v = &self.template["Resources"][logical_id]["Properties"];
        for p in path {
            v = &v[*p];
        }
        self.resolve(v).unwrap_or(Value::Null)
    }
}

fn single(v: &Value) -> Option<(&str, &Value)> {
    let map = v.as_object()?;
    let (k, arg) = map.iter().next()?;
    (map.len() == 1 && (k == "Ref" || k == "Condition" || k.starts_with("Fn::")))
        .then_some((k.as_str(), arg))
}

const MEMBER: &str = "111122223333";
const CENTRAL: &str = "999988887777";
const MEMBER_PARAMETERS: &[(&str, &str)] = &[
    (
        "CentralBusArn",
        "arn:aws:events:us-east-1:999988887777:event-bus/doorman-organization",
    ),
    (
        "CentralRoleArn",
        "arn:aws:iam::999988887777:role/doorman-DoormanRole-Q1W2E3R4T5Y6",
    ),
    ("OrganizationId", "o-a1b2c3d4e5"),
];

fn member() -> Value {
    load("member.yaml")
}

fn central() -> Value {
    load("template.yaml")
}

/// A copy of `v` with `from` replaced by `to` in every string.
fn renamed(v: &Value, from: &str, to: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(from, to)),
        Value::Array(a) => a.iter().map(|i| renamed(i, from, to)).collect(),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), renamed(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

// --- forwarding -----------------------------------------------------------------

#[test]
fn the_member_forwards_exactly_the_events_of_the_central_change_rule() {
    let (m, c) = (member(), central());
    for region in ["us-east-1", "eu-west-1"] {
        let md = Deployment::new(&m, MEMBER, region, MEMBER_PARAMETERS);
        // A member has no scheduled audit of its own (the central stack
        // audits it), so no audit tamper rule for its change rule to watch.
        let cd = Deployment::new(&c, MEMBER, region, &[("AuditSchedule", "")]);
        let forwarded = md.property("ForwardChangesRule", &["EventPattern"]);
        // The change rule also watches the tamper rule, which is
        // `-forward-tampering` on the member side.
        let central = renamed(
            &cd.property("ChangeRule", &["EventPattern"]),
            "doorman-tampering",
            "doorman-forward-tampering",
        );
        assert_eq!(forwarded, central, "{region}");
        assert_eq!(forwarded["account"], json!([MEMBER]), "{region}");
        let iam = forwarded["source"]
            .as_array()
            .expect("sources")
            .contains(&json!("aws.iam"));
        assert_eq!(
            iam,
            region == "us-east-1",
            "{region}: IAM only in us-east-1"
        );
    }
}

#[test]
fn the_member_tamper_rule_watches_its_own_rules_roles_and_trails() {
    let m = member();
    let d = Deployment::new(&m, MEMBER, "us-east-1", MEMBER_PARAMETERS);
    let pattern = d.property("ForwardTamperRule", &["EventPattern"]);
    assert_eq!(pattern["account"], json!([MEMBER]));
    let branches = pattern["detail"]["$or"].as_array().expect("branches");
    let iam = &branches[0];
    assert_eq!(iam["eventSource"], json!(["iam.amazonaws.com"]));
    assert_eq!(
        iam["requestParameters"]["roleName"],
        json!(["doorman-reader", {"prefix": "doorman-forward-"}])
    );
    // The forwarding role's name starts with that prefix in every region.
    for region in ["us-east-1", "eu-west-1"] {
        let d = Deployment::new(&m, MEMBER, region, MEMBER_PARAMETERS);
        let name = d.property("ForwardRole", &["RoleName"]);
        assert_eq!(name, json!(format!("doorman-forward-{region}")));
    }
    let text = pattern.to_string();
    for watched in [
        "doorman-forward-changes",
        "doorman-audit",
        "StopLogging",
        "DeleteTrail",
    ] {
        assert!(text.contains(watched), "{watched} not in {text}");
    }
    // This stack itself, by name and by stack id, exactly: deleted or
    // updated.
    let stack = branches
        .iter()
        .find(|b| b["eventSource"] == json!(["cloudformation.amazonaws.com"]))
        .expect("a branch for the stack");
    assert_eq!(
        stack["eventName"],
        json!(["DeleteStack", "UpdateStack", "ExecuteChangeSet"])
    );
    assert_eq!(
        stack["requestParameters"]["stackName"],
        json!([d.stack_name(), d.stack_id()])
    );
    assert!(pattern["source"]
        .as_array()
        .expect("sources")
        .contains(&json!("aws.cloudformation")));
    // And the change rule watches the tamper rule.
    let changes = d
        .property("ForwardChangesRule", &["EventPattern"])
        .to_string();
    assert!(
        changes.contains("\"doorman-forward-tampering\""),
        "{changes}"
    );
}

#[test]
fn every_member_rule_targets_the_central_bus_through_the_forward_role_only() {
    let m = member();
    let d = Deployment::new(&m, MEMBER, "us-east-1", MEMBER_PARAMETERS);
    let bus = MEMBER_PARAMETERS[0].1;
    for rule in ["ForwardChangesRule", "ForwardTamperRule", "AuditRule"] {
        let targets = d.property(rule, &["Targets"]);
        let targets = targets.as_array().expect("targets");
        assert_eq!(targets.len(), 1, "{rule}");
        assert_eq!(targets[0]["Arn"], json!(bus), "{rule}");
        assert_eq!(targets[0]["RoleArn"], json!("<ForwardRole.Arn>"), "{rule}");
        assert_eq!(
            targets[0]["DeadLetterConfig"]["Arn"],
            json!("<ForwardFailures.Arn>"),
            "{rule}: what cannot be forwarded is kept"
        );
    }
    let role = d.property("ForwardRole", &[]);
    let statements = role["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements");
    assert_eq!(
        statements,
        &vec![json!({
            "Sid": "PutEventsOnTheCentralBusOnly",
            "Effect": "Allow",
            "Action": "events:PutEvents",
            "Resource": bus,
        })]
    );
    let trust = &role["AssumeRolePolicyDocument"]["Statement"];
    assert_eq!(
        trust[0]["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
    assert_eq!(
        trust[0]["Condition"],
        json!({"StringEquals": {"aws:SourceAccount": MEMBER}})
    );
}

#[test]
fn the_audit_rule_and_the_reader_exist_once_an_account() {
    let m = member();
    for (region, reader) in [("us-east-1", true), ("eu-west-1", false)] {
        let d = Deployment::new(&m, MEMBER, region, MEMBER_PARAMETERS);
        assert_eq!(d.exists("ReaderRole"), reader, "{region}");
        assert_eq!(d.exists("AuditRule"), reader, "{region}");
        assert!(d.exists("ForwardChangesRule") && d.exists("ForwardTamperRule"));
    }
    let d = Deployment::new(
        &m,
        MEMBER,
        "eu-west-1",
        &[MEMBER_PARAMETERS, &[("ReaderRegion", "eu-west-1")]].concat(),
    );
    assert!(d.exists("ReaderRole") && d.exists("AuditRule"));
    assert_eq!(
        d.property("AuditRule", &["ScheduleExpression"]),
        json!("rate(1 day)")
    );
}

// --- doorman-reader ---------------------------------------------------------------

/// `get_role_policy` → `GetRolePolicy`.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The operations called on a client variable or field named `client`
/// (`client.op()`, or `client` ending one line and `.op(` starting the
/// next), with the service that `service_of` gives for the line number.
fn calls_in(file: &str, names: &[&str], service_of: impl Fn(usize) -> String) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut calls = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        for name in names {
            let op = if let Some(rest) = line.split(&format!("{name}.")).nth(1) {
                line.contains(&format!("{name}.")).then_some(rest)
            } else if line.ends_with(name) && lines.get(i + 1).is_some_and(|n| n.starts_with('.')) {
                lines[i + 1].strip_prefix('.')
            } else {
                None
            };
            let Some(op) = op else { continue };
            let op: String = op
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if op.is_empty() || !op.contains('_') && !["send"].contains(&op.as_str()) {
                // Single words are builder methods or fields, not operations
                // (every IAM and Lambda operation this code calls has two).
                continue;
            }
            calls.insert(format!("{}:{}", service_of(i), camel(&op)));
        }
    }
    calls
}

/// Every IAM and Lambda call the central function makes in a member
/// account (the resolver) and the audit makes (the collector).
fn reader_calls() -> BTreeSet<String> {
    let resolver = std::fs::read_to_string("src/resolve/aws.rs").expect("src/resolve/aws.rs");
    let resolver_lines: Vec<&str> = resolver.lines().map(str::trim).collect();
    // The account's alias, read for the alerts (assume.rs's IAM client).
    let mut calls = calls_in("src/resolve/assume.rs", &["client"], |_| "iam".into());
    calls.extend(calls_in("src/resolve/aws.rs", &[".iam", ".lambda"], |i| {
        if resolver_lines[i].ends_with(".iam") {
            "iam".into()
        } else {
            "lambda".into()
        }
    }));
    let collect = std::fs::read_to_string("src/resolve/collect.rs").expect("collect.rs");
    // The collector's `iam` function reads IAM; the rest is Lambda.
    let iam_from = collect
        .lines()
        .position(|l| l.contains("async fn iam("))
        .expect("fn iam");
    let iam_to = collect
        .lines()
        .enumerate()
        .position(|(i, l)| i > iam_from && l.contains("async fn "))
        .expect("a function after fn iam");
    calls.extend(calls_in("src/resolve/collect.rs", &["client"], |i| {
        if (iam_from..iam_to).contains(&i) {
            "iam".into()
        } else {
            "lambda".into()
        }
    }));
    calls
}

#[test]
fn the_code_calls_are_found() {
    let calls = reader_calls();
    for known in [
        "iam:GetRole",
        "iam:ListEntitiesForPolicy",
        "lambda:ListFunctions",
        "iam:GetAccountAuthorizationDetails",
        "lambda:GetLayerVersionPolicy",
        "lambda:ListEventSourceMappings",
        "iam:ListAccountAliases",
    ] {
        assert!(calls.contains(known), "{known} not found in {calls:?}");
    }
}

#[test]
fn the_reader_grants_exactly_the_read_calls_each_as_narrowly_as_iam_allows() {
    let m = member();
    let d = Deployment::new(&m, MEMBER, "us-east-1", MEMBER_PARAMETERS);
    let role = d.property("ReaderRole", &[]);
    assert_eq!(role["RoleName"], json!("doorman-reader"));
    let policies = role["Policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 1);
    assert!(role.get("ManagedPolicyArns").is_none());
    let mut granted = BTreeSet::new();
    for s in policies[0]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements")
    {
        assert_eq!(s["Effect"], json!("Allow"));
        let actions: Vec<String> = match &s["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(a) => a
                .iter()
                .map(|a| a.as_str().expect("action").into())
                .collect(),
            other => panic!("Action {other}"),
        };
        let resources: Vec<String> = match &s["Resource"] {
            Value::String(r) => vec![r.clone()],
            Value::Array(r) => r.iter().map(|r| r.as_str().expect("res").into()).collect(),
            other => panic!("Resource {other}"),
        };
        for action in &actions {
            let info = doorman::catalog::lookup(action)
                .unwrap_or_else(|| panic!("{action} is not an IAM action"))
                .info();
            let star = resources == ["*"];
            assert_eq!(
                star,
                !info.accepts_resource(),
                "{action}: `*` exactly when the action accepts no ARN ({resources:?})"
            );
            assert!(
                !info.access.contains(doorman::catalog::AccessLevels::WRITE)
                    && !info
                        .access
                        .contains(doorman::catalog::AccessLevels::PERMISSIONS_MANAGEMENT),
                "{action} is not read-only"
            );
            for r in &resources {
                assert!(
                    r == "*"
                        || r.contains(&format!(":{MEMBER}:"))
                        || r == "arn:aws:iam::aws:policy/*",
                    "{action} on {r}: not this account's"
                );
            }
            granted.insert(action.clone());
        }
    }
    assert_eq!(granted, reader_calls(), "granted vs what the code calls");

    let trust = role["AssumeRolePolicyDocument"]["Statement"]
        .as_array()
        .expect("trust");
    assert_eq!(trust.len(), 1);
    assert_eq!(
        trust[0]["Principal"],
        json!({"AWS": MEMBER_PARAMETERS[1].1}),
        "only the central doorman role"
    );
    assert_eq!(trust[0]["Action"], json!("sts:AssumeRole"));
    assert_eq!(
        trust[0]["Condition"],
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
    );
    // The central role's account is not the member's.
    assert!(MEMBER_PARAMETERS[1].1.contains(CENTRAL));
}

// --- the central side ---------------------------------------------------------------

const ORGANIZATION: &[(&str, &str)] = &[("OrganizationId", "o-a1b2c3d4e5")];

/// `pattern` without its `account` filter.
fn any_account(mut pattern: Value) -> Value {
    pattern
        .as_object_mut()
        .expect("a pattern")
        .remove("account")
        .expect("an account filter");
    pattern
}

/// `pattern` without its CloudFormation branch (which the member writes
/// for its own stack and the central bus for every member's), and that
/// branch's `stackName` values.
fn without_stack_branch(mut pattern: Value) -> (Value, Value) {
    let branches = pattern["detail"]["$or"].as_array_mut().expect("branches");
    let at = branches
        .iter()
        .position(|b| b["eventSource"] == json!(["cloudformation.amazonaws.com"]))
        .expect("a CloudFormation branch");
    let branch = branches.remove(at);
    assert_eq!(
        branch["eventName"],
        json!(["DeleteStack", "UpdateStack", "ExecuteChangeSet"])
    );
    (pattern, branch["requestParameters"]["stackName"].clone())
}

/// Whether a value list of an event pattern matches `value` (exact,
/// `prefix` and `wildcard` matching, the forms these rules use).
fn matches_any(values: &Value, value: &str) -> bool {
    values
        .as_array()
        .expect("a value list")
        .iter()
        .any(|v| match v {
            Value::String(s) => s == value,
            _ => match (v.get("prefix"), v.get("wildcard")) {
                (Some(p), _) => value.starts_with(p.as_str().expect("prefix")),
                (_, Some(w)) => {
                    doorman::catalog::glob_match_by(w.as_str().expect("wildcard"), value, |a, b| {
                        a == b
                    })
                }
                _ => panic!("unexpected matcher {v}"),
            },
        })
}

#[test]
fn the_organization_bus_takes_every_members_stackset_instance_and_no_other_stack() {
    let (m, c) = (member(), central());
    let cd = Deployment::new(&c, CENTRAL, "us-east-1", ORGANIZATION);
    let (_, central_names) =
        without_stack_branch(cd.property("OrganizationTamperRule", &["EventPattern"]));
    for region in ["us-east-1", "eu-west-1"] {
        let md = Deployment::new(&m, MEMBER, region, MEMBER_PARAMETERS);
        let (_, member_names) =
            without_stack_branch(md.property("ForwardTamperRule", &["EventPattern"]));
        for forwarded in member_names.as_array().expect("names") {
            let name = forwarded.as_str().expect("a name");
            assert!(
                matches_any(&central_names, name),
                "{name} not taken by {central_names}"
            );
        }
    }
    // Deployed by hand (the management account): `<NamePrefix>-member`.
    assert!(matches_any(&central_names, "doorman-member"));
    assert!(matches_any(
        &central_names,
        "arn:aws:cloudformation:us-east-1:111122223333:stack/doorman-member/5e6f7a80-91a2-11ef-b3c4-0a1b2c3d4e5f"
    ));
    for other in [
        "orders-api",
        "doorman",
        "doorman-member-old",
        "StackSet-orders-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
        "arn:aws:cloudformation:us-east-1:111122223333:stack/orders-api/5e6f7a80-91a2-11ef-b3c4-0a1b2c3d4e5f",
    ] {
        assert!(!matches_any(&central_names, other), "{other}");
    }
}

#[test]
fn the_organization_bus_rules_take_exactly_what_the_members_forward() {
    let (m, c) = (member(), central());
    // Members forward IAM events from us-east-1 only, Lambda events from
    // every region: the union is the us-east-1 pattern.
    let md = Deployment::new(&m, MEMBER, "us-east-1", MEMBER_PARAMETERS);
    for region in ["us-east-1", "eu-west-1"] {
        let cd = Deployment::new(&c, CENTRAL, region, ORGANIZATION);
        for (central_rule, member_rule) in [
            ("OrganizationChangeRule", "ForwardChangesRule"),
            ("OrganizationTamperRule", "ForwardTamperRule"),
        ] {
            let on_bus = cd.property(central_rule, &["EventPattern"]);
            assert!(on_bus.get("account").is_none(), "{central_rule}");
            let forwarded = any_account(md.property(member_rule, &["EventPattern"]));
            // The tamper rules' stack branches differ in form (the
            // member's own stack; every member's):
            // the_organization_bus_takes_every_members_stackset_instance...
            let (on_bus, forwarded) = if central_rule == "OrganizationTamperRule" {
                (
                    without_stack_branch(on_bus).0,
                    without_stack_branch(forwarded).0,
                )
            } else {
                (on_bus, forwarded)
            };
            assert_eq!(
                on_bus, forwarded,
                "{central_rule} ({region}) vs {member_rule}"
            );
            assert_eq!(
                cd.property(central_rule, &["EventBusName"]),
                json!("<OrganizationBus>")
            );
            assert_eq!(
                cd.property(central_rule, &["Targets"])[0]["Arn"],
                json!("<DoormanFunction.Arn>")
            );
        }
        // The audit rule takes the members' audit rule's Scheduled Events.
        let audit = cd.property("OrganizationAuditRule", &["EventPattern"]);
        let member_audit = format!(
            "arn:aws:events:us-east-1:{MEMBER}:rule/{}",
            md.sub("${NamePrefix}-audit")
        );
        let wildcard = audit["resources"][0]["wildcard"]
            .as_str()
            .expect("wildcard");
        assert!(
            doorman::catalog::glob_match_by(wildcard, &member_audit, |a, b| a == b),
            "{wildcard} does not match {member_audit}"
        );
        assert_eq!(audit["detail-type"], json!(["Scheduled Event"]));
    }
}

#[test]
fn the_organization_bus_admits_only_the_organization_and_doorman_assumes_only_readers() {
    let c = central();
    let d = Deployment::new(&c, CENTRAL, "us-east-1", ORGANIZATION);
    let policy = d.property("OrganizationBusPolicy", &["Statement"]);
    assert_eq!(policy["Action"], json!("events:PutEvents"));
    assert_eq!(
        policy["Condition"],
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
    );
    let read = d.property("OrganizationReadPolicy", &[]);
    assert_eq!(read["RoleName"], json!("<DoormanRole>"));
    assert_eq!(
        read["PolicyDocument"]["Statement"],
        json!([{
            "Sid": "AssumeMemberReaders",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::*:role/doorman-reader",
            "Condition": {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}},
        }])
    );
    assert_eq!(
        d.property("DoormanFunction", &["Environment", "Variables"])["DOORMAN_ORGANIZATION_ID"],
        json!("o-a1b2c3d4e5")
    );
    // The member side's role assumes `doorman-reader` by that name.
    let m = member();
    let md = Deployment::new(&m, MEMBER, "us-east-1", MEMBER_PARAMETERS);
    assert_eq!(
        md.property("ReaderRole", &["RoleName"]),
        json!("doorman-reader")
    );
}

#[test]
fn without_an_organization_id_the_central_stack_is_the_single_account_one() {
    let c = central();
    let d = Deployment::new(&c, CENTRAL, "us-east-1", &[]);
    let organization_only: Vec<&String> = c["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| {
            r["Condition"] == json!("IsOrganization")
                || r["Condition"] == json!("AuditsOrganization")
        })
        .map(|(id, _)| id)
        .collect();
    assert!(organization_only.len() >= 9, "{organization_only:?}");
    for id in organization_only {
        assert!(!d.exists(id), "{id} exists in single-account mode");
    }
    assert_eq!(
        d.property("DoormanFunction", &["Environment", "Variables"])["DOORMAN_ORGANIZATION_ID"],
        json!("")
    );
    // The failure queue admits the default-bus rules only (and the
    // scheduled audit's two, on by default: AuditSchedule).
    let source = &d.property("FailureQueuePolicy", &["PolicyDocument", "Statement"])[0]
        ["Condition"]["ArnEquals"]["aws:SourceArn"];
    assert_eq!(
        source,
        &json!([
            "<ChangeRule.Arn>",
            "<TamperRule.Arn>",
            "<AuditRule.Arn>",
            "<AuditTamperRule.Arn>"
        ])
    );
}

#[test]
fn the_central_role_may_assume_exactly_what_the_code_assumes() {
    // assume.rs's one STS call is the one action of OrganizationReadPolicy.
    let calls = calls_in("src/resolve/assume.rs", &[".sts"], |_| "sts".into());
    assert_eq!(calls, BTreeSet::from(["sts:AssumeRole".to_string()]));
    let text = std::fs::read_to_string("src/resolve/assume.rs").expect("assume.rs");
    assert!(
        text.contains(":role/{READER_ROLE}"),
        "assumes doorman-reader by name"
    );
    let c = central();
    let d = Deployment::new(&c, CENTRAL, "us-east-1", ORGANIZATION);
    let statement = &d.property("OrganizationReadPolicy", &["PolicyDocument", "Statement"])[0];
    assert_eq!(statement["Action"], json!("sts:AssumeRole"));
}

#[test]
fn names_and_patterns_fit_the_service_limits_with_the_longest_prefix() {
    let prefix = "p".repeat(32);
    let (m, c) = (member(), central());
    let mut member_parameters = MEMBER_PARAMETERS.to_vec();
    member_parameters.push(("NamePrefix", &prefix));
    let md = Deployment::new(&m, MEMBER, "ap-southeast-2", &member_parameters);
    let cd = Deployment::new(
        &c,
        CENTRAL,
        "us-east-1",
        &[ORGANIZATION, &[("NamePrefix", &prefix)]].concat(),
    );
    let mut patterns = vec![
        md.property("ForwardChangesRule", &["EventPattern"]),
        md.property("ForwardTamperRule", &["EventPattern"]),
    ];
    for rule in [
        "OrganizationChangeRule",
        "OrganizationTamperRule",
        "OrganizationAuditRule",
    ] {
        patterns.push(cd.property(rule, &["EventPattern"]));
        let name = cd.property(rule, &["Name"]);
        assert!(name.as_str().expect("name").len() <= 64, "{name}");
    }
    for p in patterns {
        let len = p.to_string().len();
        assert!(len <= 2048, "{len} characters: {p}");
    }
    for (id, limit) in [
        ("ForwardChangesRule", 64),
        ("ForwardTamperRule", 64),
        ("ForwardRole", 64),
        ("ForwardFailures", 80),
    ] {
        let key = match id {
            "ForwardRole" => "RoleName",
            "ForwardFailures" => "QueueName",
            _ => "Name",
        };
        let name = md.property(id, &[key]);
        assert!(name.as_str().expect("name").len() <= limit, "{id}: {name}");
    }
    let audit = Deployment::new(&m, MEMBER, "us-east-1", &member_parameters)
        .property("AuditRule", &["Name"]);
    assert!(audit.as_str().expect("name").len() <= 64);
    let bus = cd.property("OrganizationBus", &["Name"]);
    assert!(bus.as_str().expect("name").len() <= 256);
}

// --- the AccessDenied diagnosis (DiagnoseAccessDenied / ForwardAccessDenied) ---

#[test]
fn the_access_denied_side_exists_only_when_turned_on_and_rules_agree() {
    let (m, c) = (member(), central());
    let with = |on: bool| -> Vec<(&str, &str)> {
        vec![("DiagnoseAccessDenied", if on { "true" } else { "false" })]
    };
    // Off (the default): no rule, table, permission or table name.
    let off = Deployment::new(&c, CENTRAL, "us-east-1", &[]);
    for id in [
        "AccessDeniedRule",
        "AccessDeniedRuleInvoke",
        "AccessDeniedTable",
        "OrganizationAccessDeniedRule",
    ] {
        assert!(!off.exists(id), "{id} exists with DiagnoseAccessDenied off");
    }
    let env = off.property("DoormanFunction", &["Environment", "Variables"]);
    assert_eq!(env["DOORMAN_ACCESS_DENIED_TABLE"], json!(""));
    let role = off.property("DoormanRole", &["Policies"]).to_string();
    assert!(
        !role.contains("dynamodb:") && !role.contains("AccessDeniedTable"),
        "{role}"
    );
    let md = Deployment::new(&m, MEMBER, "us-east-1", MEMBER_PARAMETERS);
    assert!(!md.exists("ForwardAccessDeniedRule"));

    // On, single account: the rule (read-only calls included), the table
    // (on demand, TTL, doorman's key), PutItem on the table only.
    let on = Deployment::new(&c, CENTRAL, "us-east-1", &with(true));
    assert!(!on.exists("OrganizationAccessDeniedRule"));
    assert_eq!(
        on.property("AccessDeniedRule", &["State"]),
        json!("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    );
    let pattern = on.property("AccessDeniedRule", &["EventPattern"]);
    assert_eq!(pattern["account"], json!([CENTRAL]));
    assert_eq!(pattern["source"], json!([{"prefix": "aws."}]));
    let codes: BTreeSet<&str> = pattern["detail"]["errorCode"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("code"))
        .collect();
    let known: BTreeSet<&str> = doorman::tighten::denied::DENIED_CODES
        .iter()
        .copied()
        .collect();
    assert_eq!(
        codes, known,
        "the rule delivers exactly the codes doorman diagnoses"
    );
    // The whole pattern, as tests/e2e/access_denied.rs has the emulator's
    // EventBridge match it; far below EventBridge's 2,048 characters.
    assert_eq!(
        pattern,
        json!({
            "source": [{"prefix": "aws."}],
            "account": [CENTRAL],
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {
                "errorCode": doorman::tighten::denied::DENIED_CODES,
                "userIdentity": {"type": ["AssumedRole"]},
            },
        })
    );
    assert!(pattern.to_string().len() < 2048);
    assert_eq!(
        on.property("AccessDeniedRule", &["Targets"])[0]["Arn"],
        json!("<DoormanFunction.Arn>")
    );
    let table = on.property("AccessDeniedTable", &[]);
    assert_eq!(table["BillingMode"], json!("PAY_PER_REQUEST"));
    assert_eq!(
        table["TimeToLiveSpecification"],
        json!({"AttributeName": "expires_at", "Enabled": "true"})
    );
    assert_eq!(
        table["SSESpecification"]["KMSMasterKeyId"],
        json!("<DoormanKey.Arn>")
    );
    let env = on.property("DoormanFunction", &["Environment", "Variables"]);
    assert_eq!(
        env["DOORMAN_ACCESS_DENIED_TABLE"],
        json!("<AccessDeniedTable>")
    );
    let statements =
        on.property("DoormanRole", &["Policies"])[0]["PolicyDocument"]["Statement"].clone();
    let put: Vec<&Value> = statements
        .as_array()
        .expect("statements")
        .iter()
        .filter(|s| s.to_string().contains("dynamodb:"))
        .collect();
    assert_eq!(
        put,
        vec![&json!({"Sid": "DedupeAccessDenied", "Effect": "Allow",
            "Action": "dynamodb:PutItem",
            "Resource": "<AccessDeniedTable.Arn>"})]
    );
    let dead_letter = on.property("FailureQueuePolicy", &["PolicyDocument", "Statement"])[0]
        ["Condition"]["ArnEquals"]["aws:SourceArn"]
        .clone();
    assert!(
        dead_letter
            .as_array()
            .expect("arns")
            .contains(&json!("<AccessDeniedRule.Arn>")),
        "{dead_letter}"
    );

    // Organization: the bus rule takes exactly what members forward, and
    // the same events as the default-bus rule, from any account.
    let org = [with(true), ORGANIZATION.to_vec()].concat();
    let cd = Deployment::new(&c, CENTRAL, "us-east-1", &org);
    let fwd = Deployment::new(
        &m,
        MEMBER,
        "us-east-1",
        &[MEMBER_PARAMETERS, &[("ForwardAccessDenied", "true")]].concat(),
    );
    let on_bus = cd.property("OrganizationAccessDeniedRule", &["EventPattern"]);
    assert_eq!(
        on_bus,
        any_account(fwd.property("ForwardAccessDeniedRule", &["EventPattern"]))
    );
    assert_eq!(on_bus, any_account(pattern));
    assert_eq!(
        fwd.property("ForwardAccessDeniedRule", &["State"]),
        json!("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    );
    let targets = fwd.property("ForwardAccessDeniedRule", &["Targets"]);
    assert_eq!(targets[0]["Arn"], json!(MEMBER_PARAMETERS[0].1));
    assert_eq!(targets[0]["RoleArn"], json!("<ForwardRole.Arn>"));
}
