//! template.yaml's EventBridge rules, proven on the emulator's EventBridge:
//! every sample in `events/` reaches the rule it is meant for and no other;
//! the same events from another account, failed change calls and another
//! source reach nothing; and the tamper rule's direct alert renders every
//! tamper sample in words.
//!
//! moto 5.2.5 does not implement `TestEventPattern` and cannot deliver to
//! Lambda or SNS targets, so each rule is created on moto's default bus with
//! the template's own pattern and an SQS queue as its target: an event
//! reaches the queue exactly when moto's matcher (the one behind PutEvents)
//! says the pattern matches. The template is read by cfn-lint's loader (the
//! one `sam` and cfn-lint use) and its intrinsics are resolved for a
//! concrete deployment (stack `doorman` in us-east-1; the names of
//! events/README.md).
//!
//! The EventBridge calls are plain JSON over HTTP: moto does not check
//! signatures, and the `x-moto-account-id` header picks the account, which
//! the SDK clients cannot set per call.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use crate::moto::{moto_server_path, Moto};

const REGION: &str = "us-east-1";
const STACK: &str = "doorman";
const CHANGES: &str = "changes";
const TAMPERING: &str = "tampering";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// --- the template, as CloudFormation reads it --------------------------------

/// template.yaml as JSON, intrinsics in their long form (`{"Ref": ..}`),
/// loaded by cfn-lint's decoder from the test venv.
fn load_template() -> Value {
    let python = moto_server_path().with_file_name("python");
    let output = std::process::Command::new(&python)
        .arg("-c")
        .arg(
            "import json, sys\n\
             from cfnlint.decode import decode\n\
             template, problems = decode(sys.argv[1])\n\
             if problems:\n    sys.exit('\\n'.join(str(p) for p in problems))\n\
             print(json.dumps(template))",
        )
        .arg(root().join("template.yaml"))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `{}` (scripts/test installs cfn-lint into target/venv): {e}",
                python.display()
            )
        });
    assert!(
        output.status.success(),
        "cfn-lint cannot load template.yaml: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cfn-lint's JSON")
}

/// One deployment of the template: account, region, parameters, and the
/// physical names CloudFormation gives its resources (events/README.md).
struct Deployment {
    account: String,
    region: String,
    stack: String,
    parameters: BTreeMap<String, String>,
    conditions: BTreeMap<String, Value>,
}

impl Deployment {
    fn new(template: &Value, account: &str, region: &str, overrides: &[(&str, &str)]) -> Self {
        let mut parameters = BTreeMap::new();
        for (name, spec) in template["Parameters"].as_object().expect("Parameters") {
            let default = match &spec["Default"] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            parameters.insert(name.clone(), default);
        }
        for (name, value) in overrides {
            assert!(parameters.contains_key(*name), "no parameter {name}");
            parameters.insert((*name).to_owned(), (*value).to_owned());
        }
        let conditions = template["Conditions"]
            .as_object()
            .map(|c| c.clone().into_iter().collect())
            .unwrap_or_default();
        Self {
            account: account.to_owned(),
            region: region.to_owned(),
            stack: STACK.to_owned(),
            parameters,
            conditions,
        }
    }

    fn prefix(&self) -> &str {
        &self.parameters["NamePrefix"]
    }

    /// A name CloudFormation generates, `<stack>-<logical id>-<suffix>`,
    /// cut to the service's limit as CloudFormation cuts it (the suffix
    /// stays).
    fn generated(&self, logical_id: &str, suffix: &str, limit: usize) -> String {
        let mut head = format!("{}-{logical_id}", self.stack);
        head.truncate(limit - suffix.len() - 1);
        format!("{head}-{suffix}")
    }

    fn role(&self) -> String {
        self.generated("DoormanRole", "Q1W2E3R4T5Y6", 64)
    }
    fn function(&self) -> String {
        self.prefix().to_owned()
    }
    fn key_id(&self) -> &'static str {
        "0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"
    }
    fn key_arn(&self) -> String {
        format!(
            "arn:aws:kms:{}:{}:key/{}",
            self.region,
            self.account,
            self.key_id()
        )
    }
    fn topic(&self) -> String {
        format!(
            "arn:aws:sns:{}:{}:{}-alerts",
            self.region,
            self.account,
            self.prefix()
        )
    }
    fn queue(&self) -> String {
        format!("{}-failures", self.prefix())
    }
    fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.prefix())
    }

    /// `Ref` of a parameter, pseudo parameter or resource; `None` for
    /// `AWS::NoValue`.
    fn reference(&self, name: &str) -> Option<String> {
        Some(match name {
            "AWS::NoValue" => return None,
            "AWS::AccountId" => self.account.clone(),
            "AWS::Region" => self.region.clone(),
            "AWS::Partition" => "aws".into(),
            "AWS::StackName" => self.stack.clone(),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{}:{}:stack/{}/5e6f7a80-91a2-11ef-b3c4-0a1b2c3d4e5f",
                self.region, self.account, self.stack
            ),
            "DoormanRole" => self.role(),
            "DoormanFunction" => self.function(),
            "DoormanKey" => self.key_id().into(),
            "AlertTopic" => self.topic(),
            "FailureQueue" => format!(
                "https://sqs.{}.amazonaws.com/{}/{}",
                self.region,
                self.account,
                self.queue()
            ),
            "DoormanLogGroup" => self.log_group(),
            "ChangeRule" => format!("{}-changes", self.prefix()),
            "TamperRule" => format!("{}-tampering", self.prefix()),
            "AuditRule" => format!("{}-reconcile", self.prefix()),
            "AuditTamperRule" => format!("{}-audit-tampering", self.prefix()),
            "StackSetTamperRule" => format!("{}-stackset-tampering", self.prefix()),
            "AccessDeniedRule" => format!("{}-access-denied", self.prefix()),
            "OrganizationAccessDeniedRule" => format!("{}-org-access-denied", self.prefix()),
            // A generated bucket name is lower case.
            "ReportBucket" => self
                .generated("ReportBucket", "q1w2e3r4t5y6", 63)
                .to_lowercase(),
            other => self
                .parameters
                .get(other)
                .unwrap_or_else(|| panic!("Ref to unknown `{other}`"))
                .clone(),
        })
    }

    fn attribute(&self, resource: &str, attribute: &str) -> String {
        let (a, r) = (&self.account, &self.region);
        match (resource, attribute) {
            ("DoormanRole", "Arn") => format!("arn:aws:iam::{a}:role/{}", self.role()),
            ("DoormanFunction", "Arn") => {
                format!("arn:aws:lambda:{r}:{a}:function:{}", self.function())
            }
            ("DoormanKey", "Arn") => self.key_arn(),
            ("FailureQueue", "Arn") => format!("arn:aws:sqs:{r}:{a}:{}", self.queue()),
            ("FailureQueue", "QueueName") => self.queue(),
            ("DoormanLogGroup", "Arn") => {
                format!("arn:aws:logs:{r}:{a}:log-group:{}:*", self.log_group())
            }
            ("ReportBucket", "Arn") => format!(
                "arn:aws:s3:::{}",
                self.reference(resource).unwrap_or_default()
            ),
            ("ChangeRule" | "TamperRule" | "AuditRule" | "AuditTamperRule", "Arn") => format!(
                "arn:aws:events:{r}:{a}:rule/{}",
                self.reference(resource).unwrap_or_default()
            ),
            _ => panic!("GetAtt {resource}.{attribute} is not modelled"),
        }
    }

    fn condition(&self, name: &str) -> bool {
        let body = self
            .conditions
            .get(name)
            .unwrap_or_else(|| panic!("no condition {name}"))
            .clone();
        self.truth(&body)
    }

    fn truth(&self, v: &Value) -> bool {
        let (f, args) = single(v).unwrap_or_else(|| panic!("not a condition: {v}"));
        let args = args.as_array();
        match (f, args) {
            ("Condition", _) => self.condition(v["Condition"].as_str().expect("name")),
            ("Fn::Equals", Some(a)) => text(&self.resolve(&a[0])) == text(&self.resolve(&a[1])),
            ("Fn::Not", Some(a)) => !self.truth(&a[0]),
            ("Fn::And", Some(a)) => a.iter().all(|c| self.truth(c)),
            ("Fn::Or", Some(a)) => a.iter().any(|c| self.truth(c)),
            _ => panic!("condition function {f} is not modelled"),
        }
    }

    /// The value CloudFormation passes to EventBridge: every intrinsic
    /// resolved, `AWS::NoValue` removed from lists and maps.
    fn resolve(&self, v: &Value) -> Option<Value> {
        if let Some((f, arg)) = single(v) {
            match f {
                "Ref" => {
                    return self
                        .reference(arg.as_str().expect("Ref name"))
                        .map(Value::from)
                }
                "Fn::GetAtt" => {
                    let (resource, attribute) = match arg {
                        Value::Array(a) => (
                            a[0].as_str().expect("resource").to_owned(),
                            a[1].as_str().expect("attribute").to_owned(),
                        ),
                        Value::String(s) => {
                            let (r, a) = s.split_once('.').expect("Resource.Attribute");
                            (r.to_owned(), a.to_owned())
                        }
                        _ => panic!("GetAtt {arg}"),
                    };
                    return Some(self.attribute(&resource, &attribute).into());
                }
                "Fn::Sub" => return Some(self.sub(arg.as_str().expect("Sub string")).into()),
                "Fn::If" => {
                    let a = arg.as_array().expect("If list");
                    let chosen = if self.condition(a[0].as_str().expect("condition")) {
                        &a[1]
                    } else {
                        &a[2]
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
            let value = match name.split_once('.') {
                Some((r, a)) if !name.starts_with("AWS::") => self.attribute(r, a),
                _ => self.reference(name).expect("a value"),
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// `{"Fn::X": arg}` → `("Fn::X", arg)` for one-key intrinsic objects.
fn single(v: &Value) -> Option<(&str, &Value)> {
    let map = v.as_object()?;
    let (k, arg) = map.iter().next()?;
    (map.len() == 1 && (k == "Ref" || k == "Condition" || k.starts_with("Fn::")))
        .then_some((k.as_str(), arg))
}

fn text(v: &Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The rule's event pattern, as CloudFormation hands it to EventBridge for
/// a deployment.
fn rule_pattern(template: &Value, deployment: &Deployment, logical_id: &str) -> Value {
    deployment
        .resolve(&template["Resources"][logical_id]["Properties"]["EventPattern"])
        .expect("a pattern")
}

// --- which rule each event is meant for ----------------------------------------

/// What the rules are meant to deliver, written from SPEC §4 and issue 11
/// rather than from the template: a successful change doorman judges goes
/// to the change rule; any call (failed ones too) that could blind doorman,
/// on doorman's own resources, to the tamper rule; and each rule watches the
/// other.
fn meant_for(event: &Value, d: &Deployment) -> BTreeSet<&'static str> {
    let mut rules = BTreeSet::new();
    let detail = &event["detail"];
    let service = detail["eventSource"]
        .as_str()
        .and_then(|s| s.strip_suffix(".amazonaws.com"))
        .unwrap_or_default();
    let ours = event["account"] == d.account.as_str()
        && event["source"] == format!("aws.{service}")
        && event["detail-type"] == "AWS API Call via CloudTrail";
    if !ours {
        return rules;
    }
    let name = doorman::event::strip_api_version(detail["eventName"].as_str().unwrap_or(""));
    let succeeded = detail.get("errorCode").is_none();
    let req = &detail["requestParameters"];
    let field = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let is = |names: &[&str]| names.contains(&name);
    let iam_here = d.region == "us-east-1";

    let judged = match service {
        "iam" => {
            iam_here
                && is(&[
                    "CreateRole",
                    "UpdateAssumeRolePolicy",
                    "PutRolePolicy",
                    "PutUserPolicy",
                    "PutGroupPolicy",
                    "DeleteRolePolicy",
                    "AttachRolePolicy",
                    "AttachUserPolicy",
                    "AttachGroupPolicy",
                    "DetachRolePolicy",
                    "CreatePolicy",
                    "CreatePolicyVersion",
                    "SetDefaultPolicyVersion",
                    "PutRolePermissionsBoundary",
                    "PutUserPermissionsBoundary",
                    "DeleteRolePermissionsBoundary",
                    "DeleteUserPermissionsBoundary",
                    "AddUserToGroup",
                    "TagRole",
                    "TagUser",
                    "TagPolicy",
                ])
        }
        "lambda" => is(&[
            "AddPermission",
            "AddLayerVersionPermission",
            "CreateFunction",
            "CreateFunctionUrlConfig",
            "UpdateFunctionUrlConfig",
            "UpdateFunctionConfiguration",
            "CreateEventSourceMapping",
            "UpdateEventSourceMapping",
            "PutFunctionEventInvokeConfig",
            "UpdateFunctionEventInvokeConfig",
            "TagResource",
        ]),
        _ => false,
    };
    let tamper_rule = format!("{}-tampering", d.prefix());
    let on_tamper_rule = service == "events"
        && ((is(&["DisableRule", "DeleteRule", "PutRule"]) && field("name") == tamper_rule)
            || (is(&["PutTargets", "RemoveTargets"]) && field("rule") == tamper_rule));
    if (judged && succeeded) || on_tamper_rule {
        rules.insert(CHANGES);
    }

    let function = d.function();
    let our_function = {
        // name, name:qualifier, account:function:name[:qualifier], full ARN.
        let f = field("functionName");
        let tail = f.rsplit_once(":function:").map_or(f.as_str(), |(_, t)| t);
        tail.split(':').next() == Some(function.as_str())
    };
    let tampering = match service {
        // Every Put, Delete, Attach, Detach and Update on doorman's role.
        "iam" => {
            iam_here
                && ["Put", "Delete", "Attach", "Detach", "Update"]
                    .iter()
                    .any(|p| name.starts_with(p))
                && field("roleName") == d.role()
        }
        "kms" => {
            is(&[
                "DisableKey",
                "ScheduleKeyDeletion",
                "PutKeyPolicy",
                "RevokeGrant",
                "DeleteImportedKeyMaterial",
            ]) && (field("keyId") == d.key_id() || field("keyId") == d.key_arn())
        }
        "events" => {
            let changes = format!("{}-changes", d.prefix());
            (is(&["DisableRule", "DeleteRule", "PutRule"]) && field("name") == changes)
                || (is(&["PutTargets", "RemoveTargets"]) && field("rule") == changes)
        }
        // Every deletion, Put and Update on the function (its
        // configuration, code, concurrency, invoke config...) and every
        // permission removed.
        "lambda" => {
            our_function
                && (["DeleteFunction", "PutFunction", "UpdateFunction"]
                    .iter()
                    .any(|p| name.starts_with(p))
                    || name == "RemovePermission")
        }
        "sns" => {
            (is(&["SetTopicAttributes", "DeleteTopic", "RemovePermission"])
                && field("topicArn") == d.topic())
                || (is(&["Unsubscribe", "SetSubscriptionAttributes"])
                    && field("subscriptionArn").starts_with(&format!("{}:", d.topic())))
        }
        "sqs" => {
            is(&["SetQueueAttributes", "PurgeQueue", "DeleteQueue"])
                && field("queueUrl").ends_with(&format!("/{}/{}", d.account, d.queue()))
        }
        "logs" => name == "DeleteLogGroup" && field("logGroupName") == d.log_group(),
        // Any trail: doorman's own alert tells TrailName's from the others.
        "cloudtrail" => is(&[
            "StopLogging",
            "DeleteTrail",
            "UpdateTrail",
            "PutEventSelectors",
        ]),
        _ => false,
    };
    if tampering {
        rules.insert(TAMPERING);
    }
    rules
}

// --- the samples ----------------------------------------------------------------

struct Sample {
    file: String,
    event: Value,
}

/// Every EventBridge event in `events/` (not the bare `raw-*` records).
fn samples() -> Vec<Sample> {
    let dir = root().join("events");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("events/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        if event.get("detail").is_some() {
            out.push(Sample { file, event });
        }
    }
    assert!(out.len() >= 60, "the samples are missing: {}", out.len());
    out
}

// --- the emulator's EventBridge and SQS, over their JSON protocols ------------

struct Emulator {
    address: String,
}

impl Emulator {
    async fn call(&self, account: &str, service: &str, action: &str, body: Value) -> Value {
        let (target, content_type) = match service {
            "events" => (format!("AWSEvents.{action}"), "application/x-amz-json-1.1"),
            "sqs" => (format!("AmazonSQS.{action}"), "application/x-amz-json-1.0"),
            _ => panic!("{service}"),
        };
        let stream = tokio::net::TcpStream::connect(&self.address)
            .await
            .expect("connect to moto");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(connection);
        let request = Request::builder()
            .method("POST")
            .uri("/")
            .header("host", &self.address)
            .header("content-type", content_type)
            .header("x-amz-target", target)
            // moto routes by the credential scope's service and ignores the
            // signature; the header below picks the account.
            .header(
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
                ),
            )
            .header("x-moto-account-id", account)
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            status.is_success(),
            "{service} {action} in {account}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A queue in `account` standing in for a rule's targets.
    async fn queue(&self, account: &str, name: &str) -> (String, String) {
        let made = self
            .call(account, "sqs", "CreateQueue", json!({ "QueueName": name }))
            .await;
        let url = made["QueueUrl"].as_str().expect("QueueUrl").to_owned();
        (url, format!("arn:aws:sqs:{REGION}:{account}:{name}"))
    }

    /// The rule on `account`'s default bus, with one SQS target.
    async fn rule(&self, account: &str, name: &str, pattern: &Value, queue_arn: &str) {
        self.call(
            account,
            "events",
            "PutRule",
            json!({ "Name": name, "EventPattern": pattern.to_string(), "State": "ENABLED" }),
        )
        .await;
        self.call(
            account,
            "events",
            "PutTargets",
            json!({ "Rule": name, "Targets": [{ "Id": "queue", "Arn": queue_arn }] }),
        )
        .await;
    }

    /// Puts one event on `account`'s default bus as its source would: moto
    /// stamps the account and region, as EventBridge does.
    async fn put(&self, account: &str, event: &Value) {
        let entry = json!({
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": event["detail"].to_string(),
            "Resources": event["resources"],
        });
        let answer = self
            .call(
                account,
                "events",
                "PutEvents",
                json!({ "Entries": [entry] }),
            )
            .await;
        assert_eq!(answer["FailedEntryCount"], 0, "PutEvents: {answer}");
    }

    /// Every message waiting in the queue (each an EventBridge event),
    /// removed from it.
    async fn drain(&self, account: &str, url: &str) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let got = self
                .call(
                    account,
                    "sqs",
                    "ReceiveMessage",
                    json!({ "QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 300 }),
                )
                .await;
            let messages = got["Messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                return all;
            }
            for m in messages {
                self.call(
                    account,
                    "sqs",
                    "DeleteMessage",
                    json!({ "QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"] }),
                )
                .await;
                let body = m["Body"].as_str().expect("Body");
                all.push(serde_json::from_str(body).expect("an event"));
            }
        }
    }
}

/// The template's two rules in `bus_account`, resolved for `deployment`,
/// each delivering to a queue of its own.
async fn deploy_rules(
    emulator: &Emulator,
    template: &Value,
    deployment: &Deployment,
    bus_account: &str,
) -> BTreeMap<&'static str, String> {
    let mut queues = BTreeMap::new();
    for (rule, logical_id) in [(CHANGES, "ChangeRule"), (TAMPERING, "TamperRule")] {
        let (url, arn) = emulator.queue(bus_account, rule).await;
        let pattern = rule_pattern(template, deployment, logical_id);
        let name = deployment.reference(logical_id).expect("a rule name");
        emulator.rule(bus_account, &name, &pattern, &arn).await;
        queues.insert(rule, url);
    }
    queues
}

/// Puts `events` on `bus_account`'s bus and says which rule delivered each
/// (by CloudTrail event id, which the variants keep unique).
async fn deliveries(
    emulator: &Emulator,
    queues: &BTreeMap<&'static str, String>,
    bus_account: &str,
    events: &[Value],
) -> BTreeMap<String, BTreeSet<&'static str>> {
    for event in events {
        emulator.put(bus_account, event).await;
    }
    let mut delivered: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for (rule, url) in queues {
        for event in emulator.drain(bus_account, url).await {
            let id = event["detail"]["eventID"]
                .as_str()
                .expect("eventID")
                .to_owned();
            assert!(
                delivered.entry(id.clone()).or_default().insert(rule),
                "{rule} delivered {id} twice"
            );
        }
    }
    delivered
}

fn id(event: &Value) -> String {
    event["detail"]["eventID"]
        .as_str()
        .expect("eventID")
        .to_owned()
}

/// The sample's accounts (each sample is judged by a deployment in its own
/// account).
fn by_account(samples: &[Sample]) -> BTreeMap<String, Vec<&Sample>> {
    let mut out: BTreeMap<String, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        let account = s.event["account"].as_str().expect("account").to_owned();
        out.entry(account).or_default().push(s);
    }
    out
}

fn variant(event: &Value, tag: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut v = event.clone();
    change(&mut v);
    v["detail"]["eventID"] = Value::from(format!("{}-{tag}", id(event)));
    v
}

#[tokio::test]
async fn every_sample_reaches_the_rule_it_is_meant_for_and_no_other() {
    let (_moto, emulator) = start("template-rules").await;
    let template = load_template();
    let samples = samples();
    let mut tamper_samples = 0;
    let mut changes_only_made_quiet = 0;
    for (account, group) in by_account(&samples) {
        let d = Deployment::new(&template, &account, REGION, &[]);
        let queues = deploy_rules(&emulator, &template, &d, &account).await;

        // The samples themselves, the same calls failed, and the same events
        // under another source.
        let mut events = Vec::new();
        for s in &group {
            events.push(s.event.clone());
            if s.event["detail"].get("errorCode").is_none() {
                events.push(variant(&s.event, "failed", |v| {
                    v["detail"]["errorCode"] = "AccessDenied".into();
                    v["detail"]["errorMessage"] = "User is not authorized".into();
                }));
            }
            events.push(variant(&s.event, "other-source", |v| {
                v["source"] = "aws.s3".into();
            }));
        }
        let delivered = deliveries(&emulator, &queues, &account, &events).await;
        for event in &events {
            let sample = group
                .iter()
                .find(|s| id(event).starts_with(&id(&s.event)))
                .expect("each event is a sample or a variant of one");
            let file = &sample.file;
            let meant = meant_for(event, &d);
            let got = delivered.get(&id(event)).cloned().unwrap_or_default();
            assert_eq!(
                got,
                meant,
                "{file} (event id {}): delivered to {got:?}, meant for {meant:?}",
                id(event)
            );
            if id(event).ends_with("-failed") {
                let original = meant_for(&sample.event, &d);
                if original.contains(CHANGES) && !meant.contains(CHANGES) {
                    changes_only_made_quiet += 1;
                }
            }
        }
        for s in &group {
            if s.file.starts_with("tamper-") {
                tamper_samples += 1;
                assert!(
                    meant_for(&s.event, &d).contains(TAMPERING)
                        || s.file == "tamper-disable-rule-tampering.json",
                    "{} is not a call on doorman's resources",
                    s.file
                );
            }
        }

        // The same events from another account reach nothing: its bus has
        // the same rules, resolved for this account (the next group's
        // PutRule replaces them).
        let other = "444455556666";
        let other_queues = deploy_rules(&emulator, &template, &d, other).await;
        let originals: Vec<Value> = group.iter().map(|s| s.event.clone()).collect();
        let leaked = deliveries(&emulator, &other_queues, other, &originals).await;
        assert!(
            leaked.is_empty(),
            "events from account {other} reached rules of {account}: {leaked:?}"
        );
    }
    assert!(tamper_samples >= 30, "tamper samples: {tamper_samples}");
    assert!(
        changes_only_made_quiet >= 10,
        "failed change calls checked: {changes_only_made_quiet}"
    );
}

async fn start(name: &str) -> (Moto, Emulator) {
    let moto = Moto::start(name).unwrap_or_else(|e| panic!("{e}"));
    let emulator = Emulator {
        address: moto.endpoint().trim_start_matches("http://").to_owned(),
    };
    (moto, emulator)
}

/// The README's post-deploy check: `aws events put-events --entries
/// file://scripts/selftest-tamper-event.json` reaches the tamper rule (and
/// so the topic directly) of a default deployment, and only it.
#[tokio::test]
async fn the_readme_self_test_event_reaches_the_tamper_rule() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    assert!(
        readme
            .contains("aws events put-events --entries file://scripts/selftest-tamper-event.json"),
        "the README gives the self-test command"
    );
    let entries: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("scripts/selftest-tamper-event.json"))
            .expect("scripts/selftest-tamper-event.json"),
    )
    .expect("PutEvents entries");
    let (_moto, emulator) = start("template-selftest").await;
    let template = load_template();
    let account = "123456789012";
    let d = Deployment::new(&template, account, REGION, &[]);
    let queues = deploy_rules(&emulator, &template, &d, account).await;
    let answer = emulator
        .call(
            account,
            "events",
            "PutEvents",
            json!({ "Entries": entries }),
        )
        .await;
    assert_eq!(answer["FailedEntryCount"], 0, "{answer}");
    let mut delivered = BTreeMap::new();
    for (rule, url) in &queues {
        delivered.insert(*rule, emulator.drain(account, url).await);
    }
    assert!(delivered[CHANGES].is_empty(), "{delivered:?}");
    assert_eq!(delivered[TAMPERING].len(), 1, "{delivered:?}");
    let event = &delivered[TAMPERING][0];
    let text = render(&topic_target(&template, &d)["InputTransformer"], event);
    assert!(
        text.contains("doorman-self-test called DisableRule")
            && text.contains("DoormanSelfTest")
            && text.contains("event source doorman.selftest"),
        "{text}"
    );
}

/// The tamper rule's target that publishes to the topic directly.
fn topic_target(template: &Value, d: &Deployment) -> Value {
    let targets = d
        .resolve(&template["Resources"]["TamperRule"]["Properties"]["Targets"])
        .expect("targets");
    targets
        .as_array()
        .expect("a list")
        .iter()
        .find(|t| t["Arn"] == d.topic().as_str())
        .cloned()
        .expect("the tamper rule has the alert topic as a target")
}

/// What EventBridge sends for `event` through an input transformer, as the
/// EventBridge user guide ("Transforming target input") specifies: each
/// `<variable>` of InputPathsMap takes the value at its JSON path; a path
/// that is not in the event creates no variable and adds nothing; values
/// inside a quoted template land JSON-escaped, so the output stays one
/// JSON string. moto's own substitution leaves such placeholders in place,
/// which is why this is not left to the emulator.
fn render(transformer: &Value, event: &Value) -> String {
    let template = transformer["InputTemplate"]
        .as_str()
        .expect("InputTemplate");
    let paths = transformer["InputPathsMap"]
        .as_object()
        .expect("InputPathsMap");
    let mut out = template.to_owned();
    for (variable, path) in paths {
        let path = path.as_str().expect("a path");
        let mut value = event;
        for part in path.strip_prefix("$.").expect("a $. path").split('.') {
            value = &value[part];
        }
        let substituted = match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let escaped = serde_json::to_string(&substituted).expect("a string");
        out = out.replace(&format!("<{variable}>"), &escaped[1..escaped.len() - 1]);
    }
    match serde_json::from_str(&out) {
        Ok(Value::String(s)) => s,
        other => panic!("the input template does not render one JSON string: {other:?}\n{out}"),
    }
}

/// Every tamper sample renders, in words, who did what to which resource,
/// when, from where and whether it failed; no placeholder or control
/// character is left.
#[test]
fn the_direct_alert_says_who_did_what_to_which_resource() {
    let template = load_template();
    let mut rendered = 0;
    for s in samples() {
        let account = s.event["account"].as_str().expect("account");
        let d = Deployment::new(&template, account, REGION, &[]);
        if !meant_for(&s.event, &d).contains(TAMPERING) {
            continue;
        }
        let target = topic_target(&template, &d);
        let transformer = &target["InputTransformer"];
        let text = render(transformer, &s.event);
        let detail = &s.event["detail"];
        let mut expected: Vec<String> = [
            &detail["userIdentity"]["arn"],
            &detail["eventName"],
            &detail["eventSource"],
            &detail["eventTime"],
            &detail["sourceIPAddress"],
            &detail["eventID"],
            &detail["errorCode"],
            &s.event["account"],
            &s.event["region"],
            &s.event["source"],
        ]
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
        // The request field that names the resource, whichever the call uses.
        let names: Vec<String> = [
            "roleName",
            "keyId",
            "name",
            "rule",
            "functionName",
            "topicArn",
            "subscriptionArn",
            "queueUrl",
            "logGroupName",
            "trailName",
        ]
        .iter()
        .filter_map(|k| detail["requestParameters"][k].as_str().map(str::to_owned))
        .collect();
        assert!(!names.is_empty(), "{}: no resource field", s.file);
        expected.extend(names);
        for part in &expected {
            assert!(
                text.contains(part.as_str()),
                "{}: `{part}` missing in: {text}",
                s.file
            );
        }
        for variable in transformer["InputPathsMap"]
            .as_object()
            .expect("map")
            .keys()
        {
            assert!(
                !text.contains(&format!("<{variable}>")),
                "{}: {text}",
                s.file
            );
        }
        assert!(!text.chars().any(char::is_control), "{}: {text:?}", s.file);
        rendered += 1;
    }
    assert!(rendered >= 30, "tamper samples rendered: {rendered}");

    // One in full, as a person reads it.
    let d = Deployment::new(&template, "123456789012", REGION, &[]);
    let event: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("events/tamper-put-function-concurrency.json"))
            .expect("sample"),
    )
    .expect("json");
    assert_eq!(
        render(&topic_target(&template, &d)["InputTransformer"], &event),
        "[doorman] a call that can blind doorman: arn:aws:sts::123456789012:assumed-role/OpsAdmin/mallory \
         called PutFunctionConcurrency20171031 (lambda.amazonaws.com) on \
         doorman in account 123456789012, us-east-1, at \
         2026-11-30T07:25:17Z, from 203.0.113.45. Error code (empty: the call succeeded): . \
         CloudTrail event id 16aad88f-0cbe-55bf-8625-df61329c1379. Sent by EventBridge directly \
         (event source aws.lambda; only aws.* sources are AWS's own): doorman's own alert follows \
         only if doorman still runs."
    );
}

/// Every pattern of the default bus stays within EventBridge's 2,048
/// characters for the longest names a deployment can have (128-character
/// stack name, 32-character NamePrefix, 128-character trail name), in every
/// combination of the conditions that shape them (IAM watched or not, the
/// scheduled audit on or off), and the rule names within 64.
#[test]
fn the_patterns_fit_eventbridge_limits_for_the_longest_names() {
    let template = load_template();
    let max_prefix: usize = template["Parameters"]["NamePrefix"]["MaxLength"]
        .as_u64()
        .expect("NamePrefix has a MaxLength") as usize;
    let prefix = "p".repeat(max_prefix);
    let trail = "t".repeat(128);
    for (region, schedule, organization) in [
        ("us-east-1", "rate(1 day)", ""),
        ("us-east-1", "", ""),
        ("ap-southeast-2", "rate(1 day)", ""),
        ("ap-southeast-2", "", ""),
        // Organization mode: the StackSet tamper rule, and its name in the
        // change rule.
        (
            "us-east-1",
            "rate(1 day)",
            "o-a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",
        ),
        ("ap-southeast-2", "", "o-a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"),
    ] {
        let mut d = Deployment::new(
            &template,
            "123456789012",
            region,
            &[
                ("NamePrefix", &prefix),
                ("TrailName", &trail),
                ("AuditSchedule", schedule),
                ("OrganizationId", organization),
                // On: its rule exists and the change rule names it too
                // (off only takes names away).
                ("DiagnoseAccessDenied", "true"),
            ],
        );
        d.stack = "s".repeat(128);
        let audit_tamper = template["Resources"]["AuditTamperRule"]["Condition"]
            .as_str()
            .is_some_and(|c| d.condition(c));
        assert_eq!(audit_tamper, !schedule.is_empty(), "{region} {schedule:?}");
        let mut rules = vec!["ChangeRule", "TamperRule"];
        if audit_tamper {
            rules.push("AuditTamperRule");
        }
        if !organization.is_empty() {
            rules.push("StackSetTamperRule");
            rules.push("OrganizationAccessDeniedRule");
        }
        rules.push("AccessDeniedRule");
        for logical_id in rules {
            let name = d.reference(logical_id).expect("name");
            assert!(
                name.len() <= 64,
                "{logical_id} name {name} is over 64 characters"
            );
            let size = rule_pattern(&template, &d, logical_id)
                .to_string()
                .chars()
                .count();
            assert!(
                size <= 2048,
                "{logical_id} in {region}, AuditSchedule {schedule:?}: {size} characters"
            );
        }
    }
}

/// Outside us-east-1 the IAM branches are left out and an output says so.
#[test]
fn outside_us_east_1_iam_is_left_out_and_said() {
    let template = load_template();
    for (region, watches) in [("us-east-1", true), ("eu-west-1", false)] {
        let d = Deployment::new(&template, "123456789012", region, &[]);
        for logical_id in ["ChangeRule", "TamperRule"] {
            let pattern = rule_pattern(&template, &d, logical_id);
            let text = pattern.to_string();
            assert_eq!(
                text.contains("aws.iam"),
                watches,
                "{logical_id} in {region}"
            );
            assert_eq!(
                text.contains("iam.amazonaws.com"),
                watches,
                "{logical_id} in {region}"
            );
        }
        let output = &template["Outputs"]["IamChangesNotWatched"];
        let shown = d.condition(output["Condition"].as_str().expect("a condition"));
        assert_eq!(shown, !watches, "{region}");
        assert!(output["Value"]
            .as_str()
            .unwrap_or("")
            .contains("not watched"));
    }
}

/// The emulator agrees with [`render`]: moto applies the tamper rule's own
/// input transformer to every tamper sample on its way to a queue and
/// writes the same text. moto, unlike EventBridge, leaves the placeholder of
/// a path missing from the event in place, so each sample gets the
/// transformer without those variables (what EventBridge does with them).
#[tokio::test]
async fn the_emulator_renders_the_direct_alert_as_eventbridge_does() {
    let (_moto, emulator) = start("template-transformer").await;
    let template = load_template();
    let account = "123456789012";
    let d = Deployment::new(&template, account, REGION, &[]);
    let transformer = topic_target(&template, &d)["InputTransformer"].clone();
    let pattern = rule_pattern(&template, &d, "TamperRule");
    let (url, arn) = emulator.queue(account, "direct-alert").await;
    emulator.rule(account, "direct-alert", &pattern, &arn).await;
    let mut compared = 0;
    for s in samples() {
        if s.event["account"] != account || !meant_for(&s.event, &d).contains(TAMPERING) {
            continue;
        }
        let mut paths = serde_json::Map::new();
        let mut input_template = transformer["InputTemplate"]
            .as_str()
            .expect("InputTemplate")
            .to_owned();
        for (variable, path) in transformer["InputPathsMap"].as_object().expect("map") {
            let mut value = &s.event;
            for part in path.as_str().expect("path")[2..].split('.') {
                value = &value[part];
            }
            if value.is_null() {
                input_template = input_template.replace(&format!("<{variable}>"), "");
            } else {
                paths.insert(variable.clone(), path.clone());
            }
        }
        let target = json!({
            "Id": "queue",
            "Arn": arn,
            "InputTransformer": { "InputPathsMap": paths, "InputTemplate": input_template },
        });
        emulator
            .call(
                account,
                "events",
                "PutTargets",
                json!({ "Rule": "direct-alert", "Targets": [target] }),
            )
            .await;
        emulator.put(account, &s.event).await;
        let got = emulator.drain(account, &url).await;
        assert_eq!(got.len(), 1, "{}: {got:?}", s.file);
        assert_eq!(
            got[0].as_str(),
            Some(render(&transformer, &s.event).as_str()),
            "{}",
            s.file
        );
        compared += 1;
    }
    assert!(compared >= 30, "tamper samples compared: {compared}");
}

/// The direct alert can be delivered, not only rendered: EventBridge
/// publishing to an encrypted topic needs `sns:Publish` from the topic
/// policy and `kms:GenerateDataKey*` and `kms:Decrypt` from the key policy
/// (SNS and KMS developer guides). Both policies grant them to
/// `events.amazonaws.com` for exactly the tamper rule as deployed (its ARN
/// built from its `Name`, for any `NamePrefix` and region), so a rename of
/// the rule cannot silently break the path that does not need doorman.
#[test]
fn the_topic_and_key_policies_let_exactly_the_tamper_rule_publish() {
    let template = load_template();
    for (region, prefix) in [("us-east-1", "doorman"), ("eu-west-1", "guard_2")] {
        let d = Deployment::new(&template, "123456789012", region, &[("NamePrefix", prefix)]);
        let rules = &template["Resources"];
        let name = d
            .resolve(&rules["TamperRule"]["Properties"]["Name"])
            .expect("the tamper rule has a Name");
        let rule_arn = format!(
            "arn:aws:events:{region}:123456789012:rule/{}",
            text(&Some(name))
        );
        assert_eq!(rule_arn, d.attribute("TamperRule", "Arn"), "{prefix}");
        let statements = |resource: &str, document: &str| -> Vec<Value> {
            d.resolve(&rules[resource]["Properties"][document]["Statement"])
                .and_then(|s| s.as_array().cloned())
                .unwrap_or_else(|| panic!("{resource} has a {document}"))
        };
        let for_events = |statements: Vec<Value>| -> Vec<Value> {
            statements
                .into_iter()
                .filter(|s| {
                    s["Effect"] == "Allow" && s["Principal"]["Service"] == "events.amazonaws.com"
                })
                .collect()
        };
        let actions = |s: &Value| -> Vec<String> {
            match &s["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(a) => a.iter().map(|x| text(&Some(x.clone()))).collect(),
                _ => Vec::new(),
            }
        };
        let topic = for_events(statements("AlertTopicPolicy", "PolicyDocument"));
        assert_eq!(topic.len(), 1, "{topic:?}");
        assert_eq!(actions(&topic[0]), vec!["sns:Publish"]);
        assert_eq!(topic[0]["Resource"], d.topic().as_str());
        assert_eq!(
            topic[0]["Condition"]["ArnEquals"]["aws:SourceArn"],
            rule_arn.as_str()
        );
        let key = for_events(statements("DoormanKey", "KeyPolicy"));
        assert_eq!(key.len(), 1, "{key:?}");
        let granted = actions(&key[0]);
        for needed in ["kms:GenerateDataKey", "kms:Decrypt"] {
            assert!(
                granted
                    .iter()
                    .any(|g| g == needed
                        || g.strip_suffix('*').is_some_and(|p| needed.starts_with(p))),
                "the key policy does not give EventBridge {needed}: {granted:?}"
            );
        }
        assert_eq!(
            key[0]["Condition"]["ArnEquals"]["aws:SourceArn"],
            rule_arn.as_str()
        );
        // The topic target is the topic those policies are about.
        assert_eq!(topic_target(&template, &d)["Arn"], d.topic().as_str());
    }
}

/// Deploys where people try it first (issue 11 point 4): `ReservedConcurrency`
/// reserves 5 by default and `0` leaves the property out (a reservation of 0
/// would throttle doorman to nothing); every name comes from `NamePrefix`;
/// and the topic policy names no IAM principal (naming doorman's role, which
/// CloudFormation may still be creating, can fail the deploy).
#[test]
fn reserved_concurrency_and_names_follow_the_parameters() {
    let template = load_template();
    let function = &template["Resources"]["DoormanFunction"]["Properties"];
    for (given, expected) in [(None, Some("5")), (Some("0"), None), (Some("3"), Some("3"))] {
        let overrides: Vec<(&str, &str)> = given
            .map(|g| vec![("ReservedConcurrency", g)])
            .unwrap_or_default();
        let d = Deployment::new(&template, "123456789012", REGION, &overrides);
        let resolved = d.resolve(function).expect("the function's properties");
        let reserved = resolved
            .get("ReservedConcurrentExecutions")
            .map(|v| text(&Some(v.clone())));
        assert_eq!(
            reserved.as_deref(),
            expected,
            "ReservedConcurrency={given:?}"
        );
    }
    let d = Deployment::new(
        &template,
        "123456789012",
        REGION,
        &[("NamePrefix", "guard")],
    );
    let resources = &template["Resources"];
    for (logical_id, property, name) in [
        ("DoormanFunction", "FunctionName", "guard"),
        ("DoormanLogGroup", "LogGroupName", "/aws/lambda/guard"),
        ("AlertTopic", "TopicName", "guard-alerts"),
        ("FailureQueue", "QueueName", "guard-failures"),
        ("ChangeRule", "Name", "guard-changes"),
        ("TamperRule", "Name", "guard-tampering"),
    ] {
        let got = d.resolve(&resources[logical_id]["Properties"][property]);
        assert_eq!(text(&got), name, "{logical_id}.{property}");
    }
    let topic_policy = d
        .resolve(&resources["AlertTopicPolicy"]["Properties"]["PolicyDocument"])
        .expect("the topic policy");
    for statement in topic_policy["Statement"].as_array().expect("statements") {
        assert!(
            statement["Principal"].get("AWS").is_none(),
            "the topic policy names an IAM principal: {statement}"
        );
    }
}

/// Nothing lost without an alarm (issue 11 point 5): the function's
/// `AsyncEventsDropped`, `AsyncEventAge` and `DestinationDeliveryFailures`
/// are alarmed, and the failure queue's alarm counts new messages (a rate,
/// `NumberOfMessagesSent`, so a second failure alarms again while the first
/// still waits) rather than its depth; each alarm notifies the topic when it
/// fires and when it clears.
#[test]
fn every_loss_is_alarmed_on_the_topic_with_ok_actions() {
    let template = load_template();
    let d = Deployment::new(&template, "123456789012", REGION, &[]);
    let alarms: Vec<Value> = template["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .filter(|r| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|r| d.resolve(&r["Properties"]).expect("alarm properties"))
        .collect();
    let alarm = |namespace: &str, metric: &str| -> &Value {
        alarms
            .iter()
            .find(|a| a["Namespace"] == namespace && a["MetricName"] == metric)
            .unwrap_or_else(|| panic!("no alarm on {namespace} {metric}"))
    };
    let topic = json!([d.topic()]);
    for metric in [
        "AsyncEventsDropped",
        "AsyncEventAge",
        "DestinationDeliveryFailures",
        "Errors",
    ] {
        let a = alarm("AWS/Lambda", metric);
        assert_eq!(
            a["Dimensions"],
            json!([{"Name": "FunctionName", "Value": d.function()}]),
            "{metric}"
        );
        assert_eq!(a["AlarmActions"], topic, "{metric}");
        assert_eq!(a["OKActions"], topic, "{metric}");
    }
    let queue = alarm("AWS/SQS", "NumberOfMessagesSent");
    assert_eq!(
        queue["Dimensions"],
        json!([{"Name": "QueueName", "Value": d.queue()}])
    );
    assert_eq!(queue["Statistic"], "Sum");
    assert_eq!(queue["AlarmActions"], topic);
    assert_eq!(queue["OKActions"], topic);
    assert!(
        !alarms
            .iter()
            .any(|a| a["MetricName"] == "ApproximateNumberOfMessagesVisible"),
        "a depth alarm fires once until someone drains the queue"
    );
}

/// With the scheduled audit on (the default), the audit tamper rule takes
/// every call, failed ones too, that would stop the daily reconcile or open
/// its reports, on doorman's own schedule rule and report bucket only; the
/// change rule takes the calls on the audit tamper rule itself; the tamper
/// rule takes none of them.
#[tokio::test]
async fn the_audit_tamper_rule_takes_calls_on_the_schedule_and_the_report_bucket() {
    const AUDIT: &str = "audit-tampering";
    let (_moto, emulator) = start("template-audit-tamper").await;
    let template = load_template();
    let account = "123456789012";
    let d = Deployment::new(&template, account, REGION, &[]);
    let mut queues = deploy_rules(&emulator, &template, &d, account).await;
    let (url, arn) = emulator.queue(account, AUDIT).await;
    let name = d.reference("AuditTamperRule").expect("a rule name");
    let pattern = rule_pattern(&template, &d, "AuditTamperRule");
    emulator.rule(account, &name, &pattern, &arn).await;
    queues.insert(AUDIT, url);

    let bucket = d.reference("ReportBucket").expect("the bucket's name");
    let reconcile = d.reference("AuditRule").expect("the schedule's name");
    let host = |b: &str| format!("{b}.s3.{REGION}.amazonaws.com");
    // (event source, name, request parameters, failed, the rules meant to
    // take it).
    let mut cases: Vec<(&str, &str, Value, bool, BTreeSet<&str>)> = Vec::new();
    let only = |r: &'static str| BTreeSet::from([r]);
    for call in ["DisableRule", "DeleteRule", "PutRule"] {
        cases.push((
            "events",
            call,
            json!({"name": reconcile}),
            false,
            only(AUDIT),
        ));
    }
    cases.push((
        "events",
        "DeleteRule",
        json!({"name": reconcile}),
        true,
        only(AUDIT),
    ));
    for call in ["PutTargets", "RemoveTargets"] {
        cases.push((
            "events",
            call,
            json!({"rule": reconcile, "ids": ["doorman"]}),
            false,
            only(AUDIT),
        ));
    }
    cases.push((
        "events",
        "DisableRule",
        json!({"name": "nightly-report"}),
        false,
        BTreeSet::new(),
    ));
    cases.push((
        "events",
        "DeleteRule",
        json!({"name": name}),
        false,
        only(CHANGES),
    ));
    cases.push((
        "events",
        "RemoveTargets",
        json!({"rule": name, "ids": ["doorman"]}),
        true,
        only(CHANGES),
    ));
    for call in [
        "DeleteBucket",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutBucketLifecycle",
        "DeleteBucketLifecycle",
        "PutBucketAcl",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
        "PutBucketReplication",
    ] {
        cases.push((
            "s3",
            call,
            json!({"bucketName": bucket, "Host": host(&bucket)}),
            false,
            only(AUDIT),
        ));
        cases.push((
            "s3",
            call,
            json!({"bucketName": "orders-receipts", "Host": host("orders-receipts")}),
            false,
            BTreeSet::new(),
        ));
    }
    cases.push((
        "s3",
        "DeleteBucketPolicy",
        json!({"bucketName": bucket, "Host": host(&bucket), "policy": ""}),
        true,
        only(AUDIT),
    ));
    cases.push((
        "s3",
        "PutBucketTagging",
        json!({"bucketName": bucket, "Host": host(&bucket), "tagging": ""}),
        false,
        BTreeSet::new(),
    ));

    let events: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(n, (service, call, request, failed, _))| {
            let mut detail = json!({
                "eventVersion": "1.09",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": "AROA4EXAMPLEOPSADMIN:mallory",
                    "arn": format!("arn:aws:sts::{account}:assumed-role/OpsAdmin/mallory"),
                    "accountId": account,
                    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{account}:role/OpsAdmin")}}
                },
                "eventTime": "2026-11-30T07:25:17Z",
                "eventSource": format!("{service}.amazonaws.com"),
                "eventName": call,
                "awsRegion": REGION,
                "sourceIPAddress": "203.0.113.45",
                "userAgent": "aws-cli/2.15.30",
                "requestParameters": request,
                "responseElements": null,
                "eventID": format!("audit-tamper-{n}"),
                "readOnly": false,
                "eventType": "AwsApiCall",
                "managementEvent": true,
                "recipientAccountId": account,
                "eventCategory": "Management"
            });
            if *failed {
                detail["errorCode"] = json!("AccessDenied");
                detail["errorMessage"] = json!("Access Denied");
            }
            json!({
                "version": "0",
                "id": format!("eb-audit-tamper-{n}"),
                "detail-type": "AWS API Call via CloudTrail",
                "source": format!("aws.{service}"),
                "account": account,
                "time": "2026-11-30T07:25:17Z",
                "region": REGION,
                "resources": [],
                "detail": detail
            })
        })
        .collect();
    let delivered = deliveries(&emulator, &queues, account, &events).await;
    for (n, (service, call, request, failed, meant)) in cases.iter().enumerate() {
        let got = delivered
            .get(&format!("audit-tamper-{n}"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(&got, meant, "{service} {call} {request} (failed: {failed})");
    }
}

// --- organization mode: the StackSet and its instances (issue 14) -------------

/// A CloudTrail record of `service`'s `call` in `account`, as EventBridge
/// delivers it, with event id `id`.
fn recorded(
    account: &str,
    id: &str,
    service: &str,
    call: &str,
    request: &Value,
    failed: bool,
) -> Value {
    let mut detail = json!({
        "eventVersion": "1.10",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROA4EXAMPLEOPSADMIN:mallory",
            "arn": format!("arn:aws:sts::{account}:assumed-role/OpsAdmin/mallory"),
            "accountId": account,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{account}:role/OpsAdmin")}}
        },
        "eventTime": "2026-11-30T09:14:27Z",
        "eventSource": format!("{service}.amazonaws.com"),
        "eventName": call,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.45",
        "userAgent": "aws-cli/2.22.4",
        "requestParameters": request,
        "responseElements": null,
        "eventID": id,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": account,
        "eventCategory": "Management"
    });
    if failed {
        detail["errorCode"] = json!("AccessDenied");
        detail["errorMessage"] = json!("User is not authorized to perform this operation");
    }
    json!({
        "version": "0",
        "id": format!("eb-{id}"),
        "detail-type": "AWS API Call via CloudTrail",
        "source": format!("aws.{service}"),
        "account": account,
        "time": "2026-11-30T09:14:27Z",
        "region": REGION,
        "resources": [],
        "detail": detail
    })
}

/// In organization mode the StackSet tamper rule of doorman's account
/// takes every call, failed ones too, that removes or reshapes the
/// `<NamePrefix>-member` StackSet (by name or `name:id`), and no other
/// StackSet's; the change rule takes the calls on that rule; the tamper
/// rule takes none of them. Without an organization the rule does not
/// exist and the change rule does not name it.
#[tokio::test]
async fn in_organization_mode_the_stackset_tamper_rule_takes_the_stacksets_calls() {
    const STACKSET: &str = "stackset-tampering";
    let (_moto, emulator) = start("template-stackset").await;
    let template = load_template();
    let account = "123456789012";
    let d = Deployment::new(
        &template,
        account,
        REGION,
        &[("OrganizationId", "o-a1b2c3d4e5")],
    );
    let mut queues = deploy_rules(&emulator, &template, &d, account).await;
    let (url, arn) = emulator.queue(account, STACKSET).await;
    let name = d.reference("StackSetTamperRule").expect("a rule name");
    assert_eq!(name, "doorman-stackset-tampering");
    emulator
        .rule(
            account,
            &name,
            &rule_pattern(&template, &d, "StackSetTamperRule"),
            &arn,
        )
        .await;
    queues.insert(STACKSET, url);

    let set_id = "doorman-member:7c1d1f6a-2b3c-4d5e-8f90-a1b2c3d4e5f6";
    let only = |r: &'static str| BTreeSet::from([r]);
    // (service, call, request, failed, the rules meant to take it)
    let mut cases: Vec<(&str, &str, Value, bool, BTreeSet<&str>)> = Vec::new();
    for call in [
        "DeleteStackInstances",
        "DeleteStackSet",
        "UpdateStackSet",
        "UpdateStackInstances",
        "StopStackSetOperation",
    ] {
        let request = json!({"stackSetName": "doorman-member", "regions": ["eu-west-1"], "callAs": "DELEGATED_ADMIN"});
        cases.push((
            "cloudformation",
            call,
            request.clone(),
            false,
            only(STACKSET),
        ));
        cases.push(("cloudformation", call, request, true, only(STACKSET)));
        cases.push((
            "cloudformation",
            call,
            json!({"stackSetName": set_id}),
            false,
            only(STACKSET),
        ));
        for other in ["landing-zone-baseline", "doorman-member-old", "doorman"] {
            cases.push((
                "cloudformation",
                call,
                json!({"stackSetName": other}),
                false,
                BTreeSet::new(),
            ));
        }
    }
    // Adding instances blinds nothing.
    cases.push((
        "cloudformation",
        "CreateStackInstances",
        json!({"stackSetName": "doorman-member"}),
        false,
        BTreeSet::new(),
    ));
    // The rule itself is watched by the change rule, attempts included.
    cases.push((
        "events",
        "DeleteRule",
        json!({"name": name}),
        false,
        only(CHANGES),
    ));
    cases.push((
        "events",
        "DisableRule",
        json!({"name": name}),
        true,
        only(CHANGES),
    ));
    cases.push((
        "events",
        "RemoveTargets",
        json!({"rule": name, "ids": ["doorman"]}),
        false,
        only(CHANGES),
    ));

    let events: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(n, (service, call, request, failed, _))| {
            recorded(
                account,
                &format!("stackset-{n}"),
                service,
                call,
                request,
                *failed,
            )
        })
        .collect();
    let delivered = deliveries(&emulator, &queues, account, &events).await;
    for (n, (service, call, request, failed, meant)) in cases.iter().enumerate() {
        let got = delivered
            .get(&format!("stackset-{n}"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(&got, meant, "{service} {call} {request} (failed: {failed})");
    }

    // Single-account mode: no such rule, and the change rule names none.
    let single = Deployment::new(&template, account, REGION, &[]);
    assert!(!single.condition(
        template["Resources"]["StackSetTamperRule"]["Condition"]
            .as_str()
            .expect("a condition")
    ));
    let changes = rule_pattern(&template, &single, "ChangeRule").to_string();
    assert!(!changes.contains("stackset-tampering"), "{changes}");
}

/// member.yaml's forwarding tamper rule takes DeleteStack, UpdateStack and
/// ExecuteChangeSet of its own stack (the StackSet instance, by name or stack id), failed
/// ones too, and of no other stack; the central organization bus's tamper
/// rule takes what it forwards.
#[tokio::test]
async fn a_member_forwards_calls_on_its_stackset_instance_and_the_central_bus_takes_them() {
    const FORWARD: &str = "forward-tampering";
    const ORG: &str = "org-tampering";
    let (_moto, emulator) = start("member-stack").await;
    let member_template = {
        let python = moto_server_path().with_file_name("python");
        let output = std::process::Command::new(&python)
            .arg("-c")
            .arg("import json,sys; from cfnlint.decode import decode; t,_=decode(sys.argv[1]); print(json.dumps(t))")
            .arg(root().join("member.yaml"))
            .output()
            .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<Value>(&output.stdout).expect("cfn-lint's JSON")
    };
    let (member, central) = ("111122223333", "123456789012");
    let mut md = Deployment::new(
        &member_template,
        member,
        REGION,
        &[
            (
                "CentralBusArn",
                "arn:aws:events:us-east-1:123456789012:event-bus/doorman-organization",
            ),
            (
                "CentralRoleArn",
                "arn:aws:iam::123456789012:role/doorman-DoormanRole-Q1W2E3R4T5Y6",
            ),
            ("OrganizationId", "o-a1b2c3d4e5"),
        ],
    );
    md.stack = "StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9".to_owned();
    let template = load_template();
    let cd = Deployment::new(
        &template,
        central,
        REGION,
        &[("OrganizationId", "o-a1b2c3d4e5")],
    );
    let mut forward = BTreeMap::new();
    let (url, arn) = emulator.queue(member, FORWARD).await;
    emulator
        .rule(
            member,
            "doorman-forward-tampering",
            &rule_pattern(&member_template, &md, "ForwardTamperRule"),
            &arn,
        )
        .await;
    forward.insert(FORWARD, url);
    // The organization bus's rule, on a bus of its own account (moto's
    // default bus: the pattern has no account filter).
    let mut org = BTreeMap::new();
    let (url, arn) = emulator.queue(central, ORG).await;
    emulator
        .rule(
            central,
            "doorman-org-tampering",
            &rule_pattern(&template, &cd, "OrganizationTamperRule"),
            &arn,
        )
        .await;
    org.insert(ORG, url);

    let name = md.stack.clone();
    let id = md.reference("AWS::StackId").expect("a stack id");
    let other_id = id.replace(&name, "orders-api");
    let mut cases: Vec<(&str, Value, bool, bool)> = Vec::new();
    for call in ["DeleteStack", "UpdateStack", "ExecuteChangeSet"] {
        cases.push((call, json!({"stackName": name}), false, true));
        cases.push((call, json!({"stackName": id}), false, true));
        cases.push((call, json!({"stackName": name}), true, true));
        cases.push((call, json!({"stackName": "orders-api"}), false, false));
        cases.push((call, json!({"stackName": other_id}), false, false));
        cases.push((
            call,
            json!({"stackName": "StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f8"}),
            false,
            false,
        ));
    }
    cases.push(("CreateStack", json!({"stackName": name}), false, false));
    cases.push((
        "CancelUpdateStack",
        json!({"stackName": name}),
        false,
        false,
    ));
    let events: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(n, (call, request, failed, _))| {
            recorded(
                member,
                &format!("member-stack-{n}"),
                "cloudformation",
                call,
                request,
                *failed,
            )
        })
        .collect();
    let forwarded = deliveries(&emulator, &forward, member, &events).await;
    for (n, (call, request, failed, meant)) in cases.iter().enumerate() {
        let got = forwarded.contains_key(&format!("member-stack-{n}"));
        assert_eq!(
            got, *meant,
            "forwarded: {call} {request} (failed: {failed})"
        );
    }
    // What the member forwards reaches the organization bus's rule.
    let taken: Vec<Value> = events
        .iter()
        .zip(&cases)
        .filter(|(_, case)| case.3)
        .map(|(e, _)| e.clone())
        .collect();
    let on_bus = deliveries(&emulator, &org, central, &taken).await;
    assert_eq!(on_bus.len(), taken.len(), "{on_bus:?}");
}
