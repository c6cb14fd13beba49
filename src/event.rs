//! From a CloudTrail event, as EventBridge delivers it or as a raw record, to
//! a [`Change`]: what changed, on which resource, by whom, and the new policy
//! document when the event carries it.
//!
//! One lenient decoder serves the Lambda and `doorman replay` alike, so the
//! two can never disagree. It does not use `aws_lambda_events`: its
//! `EventBridgeEvent<T>` is only a thin envelope (ours is ten lines), its
//! `AWSAPICall` rejects real events (`"sessionIssuer": {}` from IAM-user
//! sessions, a missing `userAgent`) and drops `errorCode`, and this module must
//! build without the `aws` feature.
//!
//! CloudTrail writes Lambda event names with the API version appended
//! (`AddPermission20150331v2`); [`strip_api_version`] removes it before
//! matching. Failed calls (`errorCode`) and names doorman does not cover are
//! [`Decoded::Ignored`], not errors.

use crate::policy::type_name;
use serde_json::{Map, Value};
use std::fmt;

/// The `detail-type` EventBridge gives CloudTrail management events.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// The tag whose value lists the rule ids to silence for a role or function.
pub const IGNORE_TAG_KEY: &str = "doorman:ignore";

/// Whether a tag key is [`IGNORE_TAG_KEY`]. IAM tag keys are unique ignoring
/// case (`DOORMAN:IGNORE` replaces `doorman:ignore`), so case is ignored
/// here, and everywhere doorman reads the tag: what silences a rule and what
/// reports a suppression must be the same keys.
pub fn is_ignore_tag_key(key: &str) -> bool {
    key.eq_ignore_ascii_case(IGNORE_TAG_KEY)
}

/// Who made the call and from where, when, in which account: what every alert
/// shows about the event. All text is as the event wrote it (unescaped).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EventInfo {
    /// CloudTrail's `eventID` (the same in the raw record and under
    /// EventBridge, so a retry or a replay is recognisable).
    pub id: String,
    /// The event name with its API-version suffix stripped (`AddPermission`).
    pub name: String,
    pub time: String,
    pub account: String,
    pub region: String,
    /// The caller's ARN (`userIdentity.arn`), else its session issuer's ARN,
    /// else its principal id or the invoking service.
    pub actor: String,
    /// The role or user behind an assumed-role session
    /// (`sessionContext.sessionIssuer.arn`), when there is one.
    #[serde(skip)]
    pub actor_issuer: Option<String>,
    pub source_ip: String,
    #[serde(skip)]
    pub user_agent: String,
    /// `eventSource` without `.amazonaws.com` (`iam`, `lambda`, `sns`, ...).
    #[serde(skip)]
    pub service: String,
}

/// What kind of IAM identity holds a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    Role,
    User,
    Group,
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentityKind::Role => "role",
            IdentityKind::User => "user",
            IdentityKind::Group => "group",
        })
    }
}

/// A role, user or group, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub kind: IdentityKind,
    /// `None` when the event does not give it (or not as text): the change
    /// is judged all the same, and the alert says the name is unknown.
    pub name: Option<String>,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} `{name}`", self.kind),
            None => write!(f, "a {} the event does not name", self.kind),
        }
    }
}

/// A function as an event names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The bare function name (from a name, a partial ARN or a full ARN).
    pub name: String,
    /// The unqualified function ARN, from the event or built from the
    /// event's account and region.
    pub arn: String,
}

/// What an event changed. Documents are the text the event carries (plain
/// or URL-encoded JSON); they are parsed by the pipeline, where a document
/// that is not JSON becomes an `unprocessable-event`.
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// CreateRole, UpdateAssumeRolePolicy: a role's trust policy. The role
    /// name only words the alert: `None` when the event lacks it.
    RoleTrust {
        role: Option<String>,
        document: String,
    },
    /// PutRolePolicy, PutUserPolicy, PutGroupPolicy.
    InlinePolicy {
        holder: Identity,
        policy_name: Option<String>,
        document: String,
    },
    /// AttachRolePolicy, AttachUserPolicy, AttachGroupPolicy.
    AttachPolicy {
        holder: Identity,
        policy_arn: String,
    },
    /// CreatePolicy: a new customer managed policy.
    CreatePolicy {
        policy_name: Option<String>,
        policy_arn: Option<String>,
        document: String,
    },
    /// CreatePolicyVersion with `setAsDefault`, SetDefaultPolicyVersion:
    /// a managed policy's effective document changes. The document is carried
    /// by CreatePolicyVersion and fetched for SetDefaultPolicyVersion.
    DefaultPolicyVersion {
        policy_arn: String,
        version_id: Option<String>,
        document: Option<String>,
    },
    /// DeleteRolePermissionsBoundary, DeleteUserPermissionsBoundary.
    BoundaryRemoved { holder: Identity },
    /// AddPermission: one statement added to a function's resource policy.
    /// The function only words the alert (and finds its tags): `None` when
    /// neither the request nor the resulting statement names it.
    FunctionPermission {
        function: Option<Function>,
        /// The statement as a one-statement policy document.
        document: String,
        /// `FunctionUrlAuthType` of the permission, when set.
        function_url_auth_type: Option<String>,
    },
    /// CreateFunctionUrlConfig, UpdateFunctionUrlConfig. `None` when the
    /// event does not name the function.
    FunctionUrl {
        function: Option<Function>,
        auth_type: Option<String>,
    },
    /// AddLayerVersionPermission.
    LayerPermission {
        layer: String,
        principal: String,
        organization_id: Option<String>,
    },
    /// CreateFunction, or UpdateFunctionConfiguration that sets the role or
    /// the layers.
    FunctionRole {
        function: Function,
        role_arn: Option<String>,
        layers: Vec<String>,
    },
    /// CreateEventSourceMapping.
    EventSourceMapping {
        function: Function,
        event_source_arn: String,
    },
    /// A call that can disable or change doorman itself (or the trail that
    /// feeds it); whether it concerns doorman's own resources is decided
    /// with the deployment's names (see `pipeline`).
    Guardrail(GuardrailCall),
    /// TagRole, TagUser, TagPolicy, Lambda TagResource that set a
    /// `doorman:ignore` key (other tag calls are ignored).
    IgnoreTag {
        target: TagTarget,
        /// The `doorman:ignore` keys set, as the call spelled them, with
        /// their values.
        tags: Vec<(String, String)>,
    },
}

/// What a tag call tagged. Names only word the alert: `None` when the
/// event lacks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagTarget {
    /// TagRole, TagUser.
    Identity(Identity),
    /// TagPolicy: the policy's ARN.
    Policy(Option<String>),
    /// Lambda TagResource: the resource's ARN (a function, an event source
    /// mapping, a code signing configuration).
    Lambda(Option<String>),
}

/// A call on something doorman depends on: a trail, an EventBridge rule, a
/// function, an SNS topic or subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailCall {
    pub target: GuardrailTarget,
    /// The name or ARN the call names, as written.
    pub resource: String,
    /// What the call does, for the message (`stopped logging of trail`).
    pub effect: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardrailTarget {
    /// StopLogging, DeleteTrail: any trail matters when doorman does not know
    /// which one feeds it.
    TrailStopped,
    /// UpdateTrail, PutEventSelectors: only the configured trail.
    TrailChanged,
    EventRule,
    Function,
    Topic,
    Subscription,
}

/// A decoded event.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub info: EventInfo,
    pub what: What,
    /// `doorman:ignore` tags the call set on what it created (CreateRole,
    /// CreatePolicy, CreateFunction accept `tags`), as spelled, with their
    /// values: a suppression as much as a TagRole is.
    pub ignore_tags: Vec<(String, String)>,
}

/// What the decoder made of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    Change(Change),
    /// Nothing to evaluate: a failed call, an event doorman does not cover.
    /// The reason is for the debug log and `replay`.
    Ignored {
        info: EventInfo,
        reason: String,
    },
}

/// An event that cannot be decoded. Permanent: retrying will not help, so
/// the pipeline turns it into an `unprocessable-event` alert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DecodeError {
    /// As much of the event as could be read, for the alert.
    pub info: Box<EventInfo>,
    pub reason: String,
}

/// The EventBridge envelope. Only `detail-type` and `detail` are required;
/// the rest only words the alert, so a missing or wrongly typed value is
/// left out rather than an error.
#[derive(Debug)]
struct Envelope {
    detail_type: String,
    id: Option<String>,
    account: Option<String>,
    region: Option<String>,
    time: Option<String>,
    detail: Value,
}

impl Envelope {
    fn read(obj: &Map<String, Value>) -> Result<Self, String> {
        let detail_type = match obj.get("detail-type") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(format!(
                    "`detail-type` is a JSON {}, not a string",
                    type_name(other)
                ))
            }
            None => return Err("it has no `detail-type`".to_string()),
        };
        let detail = obj
            .get("detail")
            .cloned()
            .ok_or_else(|| "it has no `detail`".to_string())?;
        Ok(Envelope {
            detail_type,
            id: text_at(obj, "id"),
            account: text_at(obj, "account"),
            region: text_at(obj, "region"),
            time: text_at(obj, "time"),
            detail,
        })
    }
}

/// The CloudTrail record, every field optional: real records omit fields
/// (`userAgent` from some services) and carry empty objects
/// (`"sessionIssuer": {}` for IAM-user sessions). The fields that only word
/// the alert (time, region, source IP, user agent, ids) are read as text
/// when they are text or a number and left out otherwise: an odd user agent
/// must not stop doorman from judging the change (SPEC §4).
#[derive(Debug, Default)]
struct Record {
    event_time: Option<String>,
    event_source: Option<String>,
    event_name: Option<String>,
    aws_region: Option<String>,
    source_ip_address: Option<String>,
    user_agent: Option<String>,
    user_identity: Option<Value>,
    request_parameters: Option<Value>,
    response_elements: Option<Value>,
    /// Any non-null `errorCode`: the call failed.
    error_code: Option<String>,
    event_id: Option<String>,
    recipient_account_id: Option<String>,
}

impl Record {
    fn read(obj: &Map<String, Value>) -> Self {
        let value = |k: &str| obj.get(k).filter(|v| !v.is_null()).cloned();
        Record {
            event_time: text_at(obj, "eventTime"),
            event_source: str_at(obj, "eventSource"),
            event_name: str_at(obj, "eventName"),
            aws_region: text_at(obj, "awsRegion"),
            source_ip_address: text_at(obj, "sourceIPAddress"),
            user_agent: text_at(obj, "userAgent"),
            user_identity: value("userIdentity"),
            request_parameters: value("requestParameters"),
            response_elements: value("responseElements"),
            error_code: value("errorCode").map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            }),
            event_id: text_at(obj, "eventID"),
            recipient_account_id: text_at(obj, "recipientAccountId"),
        }
    }
}

/// Removes the API-version suffix CloudTrail appends to Lambda event names:
/// `AddPermission20150331v2` → `AddPermission`,
/// `CreateFunctionUrlConfig20211031` → `CreateFunctionUrlConfig`. Names
/// without one are returned unchanged.
pub fn strip_api_version(name: &str) -> &str {
    let bytes = name.as_bytes();
    // Optional `v<digits>` at the end.
    let mut end = bytes.len();
    let digits_end = end;
    while end > 0 && bytes[end - 1].is_ascii_digit() {
        end -= 1;
    }
    if end < digits_end && end > 0 && bytes[end - 1] == b'v' {
        end -= 1;
    } else {
        end = digits_end;
    }
    // Then exactly eight digits (a yyyymmdd date) after a letter.
    let date_end = end;
    while end > 0 && bytes[end - 1].is_ascii_digit() {
        end -= 1;
    }
    if date_end - end == 8 && end > 0 && bytes[end - 1].is_ascii_alphabetic() {
        &name[..end]
    } else {
        name
    }
}

/// Decodes one event: an EventBridge event whose `detail` is a CloudTrail
/// record, or a raw CloudTrail record.
pub fn decode(event: &Value) -> Result<Decoded, DecodeError> {
    let unreadable = |reason: String, info: EventInfo| DecodeError {
        info: Box::new(info),
        reason,
    };
    let Some(obj) = event.as_object() else {
        return Err(unreadable(
            format!("the event is a JSON {}, not an object", type_name(event)),
            EventInfo::default(),
        ));
    };
    let (envelope, detail) = if obj.contains_key("detail-type") || obj.contains_key("detail") {
        let env = Envelope::read(obj).map_err(|e| {
            unreadable(
                format!("not an EventBridge event: {e}"),
                EventInfo {
                    id: text_at(obj, "id").unwrap_or_default(),
                    ..EventInfo::default()
                },
            )
        })?;
        let detail = env.detail.clone();
        (Some(env), detail)
    } else if obj.contains_key("eventName") {
        (None, event.clone())
    } else {
        return Err(unreadable(
            "neither an EventBridge event (`detail-type`, `detail`) nor a CloudTrail record (`eventName`)".to_string(),
            EventInfo::default(),
        ));
    };
    let fallback_info = || EventInfo {
        id: envelope
            .as_ref()
            .and_then(|e| e.id.clone())
            .unwrap_or_default(),
        ..EventInfo::default()
    };
    if let Some(env) = &envelope {
        if env.detail_type != CLOUDTRAIL_DETAIL_TYPE {
            return Ok(Decoded::Ignored {
                info: fallback_info(),
                reason: format!(
                    "detail-type `{}` is not a CloudTrail API call",
                    env.detail_type
                ),
            });
        }
    }
    let Some(detail) = detail.as_object() else {
        return Err(unreadable(
            format!(
                "`detail` is a JSON {}, not a CloudTrail record",
                type_name(&detail)
            ),
            fallback_info(),
        ));
    };
    let record = Record::read(detail);
    let info = event_info(&record, envelope.as_ref());
    if info.name.is_empty() {
        return Err(unreadable(
            "the record has no `eventName`".to_string(),
            info,
        ));
    }
    if let Some(code) = &record.error_code {
        return Ok(Decoded::Ignored {
            reason: format!("the call failed (`{code}`)"),
            info,
        });
    }
    let empty = Map::new();
    let req = record
        .request_parameters
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let resp = record
        .response_elements
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    match what(&info, req, resp) {
        Ok(Some(what)) => {
            let ignore_tags = match &what {
                What::IgnoreTag { .. } => Vec::new(),
                // Best effort: `tags` only matters for the key.
                _ => req
                    .get("tags")
                    .and_then(|t| tag_list(t).ok())
                    .map(|t| ignore_tags(&t))
                    .unwrap_or_default(),
            };
            Ok(Decoded::Change(Change {
                info,
                what,
                ignore_tags,
            }))
        }
        Ok(None) => Ok(Decoded::Ignored {
            reason: if is_tag_call(&info) {
                format!(
                    "`{}` sets no `{IGNORE_TAG_KEY}` tag, so it is not a change doorman evaluates",
                    info.name
                )
            } else {
                format!(
                    "`{}` from `{}` is not a change doorman evaluates",
                    info.name,
                    record.event_source.as_deref().unwrap_or("?")
                )
            },
            info,
        }),
        Err(reason) => Err(DecodeError {
            info: Box::new(info),
            reason,
        }),
    }
}

fn str_at(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A field that only words the alert: text as written, a number as its
/// digits, anything else (an object, an array, `null`) left out.
fn text_at(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn event_info(record: &Record, envelope: Option<&Envelope>) -> EventInfo {
    let identity = record.user_identity.as_ref().and_then(Value::as_object);
    let id_str = |k: &str| {
        identity
            .and_then(|i| text_at(i, k))
            .filter(|s| !s.is_empty())
    };
    let issuer = identity
        .and_then(|i| i.get("sessionContext"))
        .and_then(|c| c.get("sessionIssuer"))
        .and_then(|s| s.get("arn"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let actor = id_str("arn")
        .or_else(|| issuer.clone())
        .or_else(|| id_str("principalId"))
        .or_else(|| id_str("invokedBy"))
        .unwrap_or_default();
    let raw_name = record.event_name.as_deref().unwrap_or("");
    let service = record
        .event_source
        .as_deref()
        .unwrap_or("")
        .trim_end_matches(".amazonaws.com")
        .to_string();
    EventInfo {
        id: record
            .event_id
            .clone()
            .or_else(|| envelope.and_then(|e| e.id.clone()))
            .unwrap_or_default(),
        name: strip_api_version(raw_name).to_string(),
        time: record
            .event_time
            .clone()
            .or_else(|| envelope.and_then(|e| e.time.clone()))
            .unwrap_or_default(),
        account: record
            .recipient_account_id
            .clone()
            .or_else(|| envelope.and_then(|e| e.account.clone()))
            .or_else(|| id_str("accountId"))
            .unwrap_or_default(),
        region: record
            .aws_region
            .clone()
            .or_else(|| envelope.and_then(|e| e.region.clone()))
            .unwrap_or_default(),
        actor,
        actor_issuer: issuer,
        source_ip: record.source_ip_address.clone().unwrap_or_default(),
        user_agent: record.user_agent.clone().unwrap_or_default(),
        service,
    }
}

/// A request or response field, as a string: the field must be there.
fn required(obj: &Map<String, Value>, key: &str, event: &str) -> Result<String, String> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "`{key}` of {event} is a JSON {}, not a string",
            type_name(other)
        )),
        None => Err(format!("{event} has no `requestParameters.{key}`")),
    }
}

/// A policy document field: CloudTrail records documents as JSON strings,
/// but an object (hand-written or re-serialised events) is accepted too.
fn document(obj: &Map<String, Value>, key: &str, event: &str) -> Result<String, String> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v @ Value::Object(_)) => Ok(v.to_string()),
        Some(other) => Err(format!(
            "`{key}` of {event} is a JSON {}, not a policy document",
            type_name(other)
        )),
        None => Err(format!("{event} has no `requestParameters.{key}`")),
    }
}

/// The role, user or group a call names. Its name only words the alert
/// (and finds its `doorman:ignore` tag): a missing name is no reason not to
/// judge the change.
fn holder(req: &Map<String, Value>, kind: IdentityKind) -> Identity {
    let key = match kind {
        IdentityKind::Role => "roleName",
        IdentityKind::User => "userName",
        IdentityKind::Group => "groupName",
    };
    Identity {
        kind,
        name: name_at(req, key),
    }
}

/// A name that only words the alert: text, not empty.
fn name_at(obj: &Map<String, Value>, key: &str) -> Option<String> {
    str_at(obj, key).filter(|s| !s.is_empty())
}

/// The tags of a call: IAM writes `[{"key": K, "value": V}]`, Lambda
/// `{K: V}`; either is accepted (with `Key`/`Value` too). A value that is
/// not text is kept as its JSON.
fn tag_list(tags: &Value) -> Result<Vec<(String, String)>, String> {
    let text = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    match tags {
        Value::Object(map) => Ok(map
            .iter()
            .map(|(k, v)| (k.clone(), text(Some(v))))
            .collect()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let key = item
                    .get("key")
                    .or_else(|| item.get("Key"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("tag {i} has no `key`"))?;
                let value = item.get("value").or_else(|| item.get("Value"));
                Ok((key.to_string(), text(value)))
            })
            .collect(),
        other => Err(format!(
            "`tags` is a JSON {}, not a list of tags",
            type_name(other)
        )),
    }
}

/// The `doorman:ignore` tags among `tags`.
fn ignore_tags(tags: &[(String, String)]) -> Vec<(String, String)> {
    tags.iter()
        .filter(|(k, _)| is_ignore_tag_key(k))
        .cloned()
        .collect()
}

/// Whether the event is a tag call doorman reads for `doorman:ignore`.
fn is_tag_call(info: &EventInfo) -> bool {
    matches!(
        (info.service.as_str(), info.name.as_str()),
        ("iam", "TagRole" | "TagUser" | "TagPolicy") | ("lambda", "TagResource")
    )
}

/// TagRole, TagUser, TagPolicy, Lambda TagResource: `None` when no
/// `doorman:ignore` key is set. The tags are what is judged, so without
/// them the event is unprocessable.
fn tag_call(
    info: &EventInfo,
    req: &Map<String, Value>,
    event: &str,
) -> Result<Option<What>, String> {
    let tags = match req.get("tags") {
        Some(t) => tag_list(t).map_err(|e| format!("{event}: {e}"))?,
        None => return Err(format!("{event} has no `requestParameters.tags`")),
    };
    let tags = ignore_tags(&tags);
    if tags.is_empty() {
        return Ok(None);
    }
    let target = match info.name.as_str() {
        "TagRole" => TagTarget::Identity(holder(req, IdentityKind::Role)),
        "TagUser" => TagTarget::Identity(holder(req, IdentityKind::User)),
        "TagPolicy" => TagTarget::Policy(name_at(req, "policyArn")),
        _ => TagTarget::Lambda(name_at(req, "resource")),
    };
    Ok(Some(What::IgnoreTag { target, tags }))
}

/// The function an event names (`functionName` may be a name, a partial ARN
/// `123456789012:function:name` or a full ARN, with or without a qualifier).
fn function(
    info: &EventInfo,
    req: &Map<String, Value>,
    resp: &Map<String, Value>,
    event: &str,
) -> Result<Function, String> {
    let given = required(req, "functionName", event)?;
    let name = function_name(&given);
    let arn = resp
        .get("functionArn")
        .and_then(Value::as_str)
        .map(unqualified_function_arn)
        .or_else(|| {
            given
                .starts_with("arn:")
                .then(|| unqualified_function_arn(&given))
        })
        .unwrap_or_else(|| {
            format!(
                "arn:aws:lambda:{}:{}:function:{name}",
                info.region, info.account
            )
        });
    Ok(Function { name, arn })
}

/// The bare name of a function given by name or (partial) ARN.
pub fn function_name(name_or_arn: &str) -> String {
    let parts: Vec<&str> = name_or_arn.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(i) if i + 1 < parts.len() => parts[i + 1].to_string(),
        _ => name_or_arn.to_string(),
    }
}

fn unqualified_function_arn(arn: &str) -> String {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    arn.splitn(8, ':').take(7).collect::<Vec<_>>().join(":")
}

fn what(
    info: &EventInfo,
    req: &Map<String, Value>,
    resp: &Map<String, Value>,
) -> Result<Option<What>, String> {
    let event = format!("`{}`", info.name);
    let event = event.as_str();
    let w = match (info.service.as_str(), info.name.as_str()) {
        ("iam", "CreateRole") => What::RoleTrust {
            role: name_at(req, "roleName"),
            document: document(req, "assumeRolePolicyDocument", event)?,
        },
        ("iam", "UpdateAssumeRolePolicy") => What::RoleTrust {
            role: name_at(req, "roleName"),
            document: document(req, "policyDocument", event)?,
        },
        ("iam", name @ ("PutRolePolicy" | "PutUserPolicy" | "PutGroupPolicy")) => {
            What::InlinePolicy {
                holder: holder(req, kind_of(name)),
                policy_name: name_at(req, "policyName"),
                document: document(req, "policyDocument", event)?,
            }
        }
        ("iam", name @ ("AttachRolePolicy" | "AttachUserPolicy" | "AttachGroupPolicy")) => {
            What::AttachPolicy {
                holder: holder(req, kind_of(name)),
                policy_arn: required(req, "policyArn", event)?,
            }
        }
        ("iam", "TagRole" | "TagUser" | "TagPolicy") | ("lambda", "TagResource") => {
            return tag_call(info, req, event)
        }
        ("iam", "CreatePolicy") => What::CreatePolicy {
            policy_name: name_at(req, "policyName"),
            policy_arn: resp
                .get("policy")
                .and_then(|p| p.get("arn"))
                .and_then(Value::as_str)
                .map(str::to_string),
            document: document(req, "policyDocument", event)?,
        },
        ("iam", "CreatePolicyVersion") => {
            if !is_true(req.get("setAsDefault")) {
                return Ok(None);
            }
            What::DefaultPolicyVersion {
                policy_arn: required(req, "policyArn", event)?,
                version_id: resp
                    .get("policyVersion")
                    .and_then(|v| v.get("versionId"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                document: Some(document(req, "policyDocument", event)?),
            }
        }
        ("iam", "SetDefaultPolicyVersion") => What::DefaultPolicyVersion {
            policy_arn: required(req, "policyArn", event)?,
            version_id: Some(required(req, "versionId", event)?),
            document: None,
        },
        ("iam", "DeleteRolePermissionsBoundary") => What::BoundaryRemoved {
            holder: holder(req, IdentityKind::Role),
        },
        ("iam", "DeleteUserPermissionsBoundary") => What::BoundaryRemoved {
            holder: holder(req, IdentityKind::User),
        },
        ("lambda", "AddPermission") => add_permission(info, req, resp, event)?,
        ("lambda", "CreateFunctionUrlConfig" | "UpdateFunctionUrlConfig") => What::FunctionUrl {
            function: function(info, req, resp, event).ok(),
            auth_type: str_at(req, "authType").or_else(|| str_at(resp, "authType")),
        },
        ("lambda", "AddLayerVersionPermission") => {
            let layer = required(req, "layerName", event)?;
            let layer = match req.get("versionNumber") {
                Some(Value::Number(n)) => format!("{layer}:{n}"),
                Some(Value::String(s)) => format!("{layer}:{s}"),
                _ => layer,
            };
            What::LayerPermission {
                layer,
                principal: required(req, "principal", event)?,
                organization_id: str_at(req, "organizationId"),
            }
        }
        ("lambda", "CreateFunction") => What::FunctionRole {
            function: function(info, req, resp, event)?,
            role_arn: Some(required(req, "role", event)?),
            layers: layers(req),
        },
        ("lambda", "UpdateFunctionConfiguration") => {
            let role_arn = str_at(req, "role");
            let layers = layers(req);
            let function = function(info, req, resp, event)?;
            if role_arn.is_none() && !req.contains_key("layers") {
                // Not a role or layer change, but still a change of doorman
                // itself when it is doorman's own function.
                return Ok(Some(What::Guardrail(GuardrailCall {
                    target: GuardrailTarget::Function,
                    resource: function.name,
                    effect: "changed the configuration of",
                })));
            }
            What::FunctionRole {
                function,
                role_arn,
                layers,
            }
        }
        ("lambda", "CreateEventSourceMapping") => What::EventSourceMapping {
            function: function(info, req, resp, event)?,
            event_source_arn: match str_at(req, "eventSourceArn")
                .or_else(|| str_at(resp, "eventSourceArn"))
            {
                Some(arn) => arn,
                // Kafka and MQ sources have no ARN here: not covered.
                None => return Ok(None),
            },
        },
        ("lambda", "DeleteFunction") => guardrail(
            req,
            "functionName",
            GuardrailTarget::Function,
            "deleted",
            event,
        )?,
        ("lambda", "UpdateFunctionCode") => guardrail(
            req,
            "functionName",
            GuardrailTarget::Function,
            "replaced the code of",
            event,
        )?,
        ("lambda", "RemovePermission") => guardrail(
            req,
            "functionName",
            GuardrailTarget::Function,
            "removed an invoke permission of",
            event,
        )?,
        ("lambda", "PutFunctionConcurrency") => {
            let zero = match req.get("reservedConcurrentExecutions") {
                Some(Value::Number(n)) => n.as_u64() == Some(0),
                Some(Value::String(s)) => s.trim() == "0",
                _ => false,
            };
            if !zero {
                return Ok(None);
            }
            guardrail(
                req,
                "functionName",
                GuardrailTarget::Function,
                "set reserved concurrency to 0 (throttled every invocation) of",
                event,
            )?
        }
        (
            "lambda",
            "DeleteFunctionEventInvokeConfig"
            | "PutFunctionEventInvokeConfig"
            | "UpdateFunctionEventInvokeConfig",
        ) => guardrail(
            req,
            "functionName",
            GuardrailTarget::Function,
            "changed the retries and on-failure destination of",
            event,
        )?,
        ("cloudtrail", "StopLogging") => guardrail(
            req,
            "name",
            GuardrailTarget::TrailStopped,
            "stopped logging of trail",
            event,
        )?,
        ("cloudtrail", "DeleteTrail") => guardrail(
            req,
            "name",
            GuardrailTarget::TrailStopped,
            "deleted trail",
            event,
        )?,
        ("cloudtrail", "UpdateTrail") => guardrail(
            req,
            "name",
            GuardrailTarget::TrailChanged,
            "changed trail",
            event,
        )?,
        ("cloudtrail", "PutEventSelectors") => guardrail(
            req,
            "trailName",
            GuardrailTarget::TrailChanged,
            "changed the event selectors of trail",
            event,
        )?,
        ("events", "DisableRule") => guardrail(
            req,
            "name",
            GuardrailTarget::EventRule,
            "disabled EventBridge rule",
            event,
        )?,
        ("events", "DeleteRule") => guardrail(
            req,
            "name",
            GuardrailTarget::EventRule,
            "deleted EventBridge rule",
            event,
        )?,
        ("events", "PutRule") => guardrail(
            req,
            "name",
            GuardrailTarget::EventRule,
            "changed the pattern or state of EventBridge rule",
            event,
        )?,
        ("events", "RemoveTargets") => guardrail(
            req,
            "rule",
            GuardrailTarget::EventRule,
            "removed targets of EventBridge rule",
            event,
        )?,
        ("sns", "DeleteTopic") => guardrail(
            req,
            "topicArn",
            GuardrailTarget::Topic,
            "deleted SNS topic",
            event,
        )?,
        ("sns", "SetTopicAttributes") => guardrail(
            req,
            "topicArn",
            GuardrailTarget::Topic,
            "changed the attributes of SNS topic",
            event,
        )?,
        ("sns", "RemovePermission") => guardrail(
            req,
            "topicArn",
            GuardrailTarget::Topic,
            "removed a permission of SNS topic",
            event,
        )?,
        ("sns", "Unsubscribe") => guardrail(
            req,
            "subscriptionArn",
            GuardrailTarget::Subscription,
            "removed subscription",
            event,
        )?,
        ("sns", "SetSubscriptionAttributes") => guardrail(
            req,
            "subscriptionArn",
            GuardrailTarget::Subscription,
            "changed the attributes (filter policy, delivery) of subscription",
            event,
        )?,
        _ => return Ok(None),
    };
    Ok(Some(w))
}

fn kind_of(event_name: &str) -> IdentityKind {
    if event_name.contains("User") {
        IdentityKind::User
    } else if event_name.contains("Group") {
        IdentityKind::Group
    } else {
        IdentityKind::Role
    }
}

fn is_true(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Layer ARNs of CreateFunction / UpdateFunctionConfiguration: a list of
/// strings in the request (objects with `arn` in the response).
fn layers(req: &Map<String, Value>) -> Vec<String> {
    req.get("layers")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|v| {
                    v.as_str()
                        .or_else(|| v.get("arn").and_then(Value::as_str))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn guardrail(
    req: &Map<String, Value>,
    key: &str,
    target: GuardrailTarget,
    effect: &'static str,
    event: &str,
) -> Result<What, String> {
    Ok(What::Guardrail(GuardrailCall {
        target,
        resource: required(req, key, event)?,
        effect,
    }))
}

/// AddPermission: the resulting statement is `responseElements.statement`
/// (a JSON string); without it, the statement is rebuilt from the request
/// the way Lambda builds it.
fn add_permission(
    info: &EventInfo,
    req: &Map<String, Value>,
    resp: &Map<String, Value>,
    event: &str,
) -> Result<What, String> {
    let named = function(info, req, resp, event);
    let auth_type = str_at(req, "functionUrlAuthType");
    let statement: Value = match resp.get("statement") {
        Some(Value::String(s)) => serde_json::from_str(s).map_err(|e| {
            format!("`responseElements.statement` of {event} is not valid JSON: {e}")
        })?,
        Some(v @ Value::Object(_)) => v.clone(),
        // Rebuilding the statement needs the function's ARN.
        _ => statement_from_request(req, named.as_ref()?, event)?,
    };
    // Without a name in the request, the statement's resource names it.
    let function = named.ok().or_else(|| {
        let arn = statement.get("Resource").and_then(Value::as_str)?;
        arn.starts_with("arn:").then(|| Function {
            name: function_name(arn),
            arn: unqualified_function_arn(arn),
        })
    });
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    Ok(What::FunctionPermission {
        function,
        document: document.to_string(),
        function_url_auth_type: auth_type,
    })
}

fn statement_from_request(
    req: &Map<String, Value>,
    function: &Function,
    event: &str,
) -> Result<Value, String> {
    let principal = required(req, "principal", event)?;
    let principal_json = if principal == "*" {
        Value::String("*".into())
    } else if principal.ends_with(".amazonaws.com") || principal.ends_with(".amazonaws.com.cn") {
        serde_json::json!({ "Service": principal })
    } else {
        serde_json::json!({ "AWS": principal })
    };
    let mut conditions = Map::new();
    let mut add = |op: &str, key: &str, field: &str| {
        if let Some(v) = str_at(req, field) {
            let entry = conditions
                .entry(op.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = entry {
                m.insert(key.to_string(), Value::String(v));
            }
        }
    };
    add("ArnLike", "AWS:SourceArn", "sourceArn");
    add("StringEquals", "AWS:SourceAccount", "sourceAccount");
    add("StringEquals", "aws:PrincipalOrgID", "principalOrgID");
    add(
        "StringEquals",
        "lambda:EventSourceToken",
        "eventSourceToken",
    );
    add(
        "StringEquals",
        "lambda:FunctionUrlAuthType",
        "functionUrlAuthType",
    );
    let mut s = Map::new();
    if let Some(sid) = str_at(req, "statementId") {
        s.insert("Sid".into(), Value::String(sid));
    }
    s.insert("Effect".into(), Value::String("Allow".into()));
    s.insert("Principal".into(), principal_json);
    s.insert(
        "Action".into(),
        Value::String(required(req, "action", event)?),
    );
    s.insert("Resource".into(), Value::String(function.arn.clone()));
    if !conditions.is_empty() {
        s.insert("Condition".into(), Value::Object(conditions));
    }
    Ok(Value::Object(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_version_suffixes_are_stripped() {
        for (raw, name) in [
            ("AddPermission20150331v2", "AddPermission"),
            ("AddPermission20150331", "AddPermission"),
            ("CreateFunction20150331", "CreateFunction"),
            (
                "UpdateFunctionConfiguration20150331v2",
                "UpdateFunctionConfiguration",
            ),
            (
                "CreateEventSourceMapping20150331",
                "CreateEventSourceMapping",
            ),
            ("CreateFunctionUrlConfig20211031", "CreateFunctionUrlConfig"),
            (
                "AddLayerVersionPermission20181031",
                "AddLayerVersionPermission",
            ),
            ("PutFunctionConcurrency20171031", "PutFunctionConcurrency"),
            ("AttachRolePolicy", "AttachRolePolicy"),
            ("UpdateFunctionCode20150331v2", "UpdateFunctionCode"),
            ("TagResource20170331v2", "TagResource"),
            ("TagResource20170331", "TagResource"),
            ("S3Thing123", "S3Thing123"),
            ("20150331", "20150331"),
            ("Get2", "Get2"),
        ] {
            assert_eq!(strip_api_version(raw), name, "{raw}");
        }
    }

    fn record(name: &str, source: &str, req: Value, resp: Value) -> Value {
        json!({
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLE",
                "arn": "arn:aws:iam::111122223333:user/alice",
                "accountId": "111122223333",
                "sessionContext": {"sessionIssuer": {}, "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"}}
            },
            "eventTime": "2026-01-01T00:00:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.7",
            "requestParameters": req,
            "responseElements": resp,
            "eventID": "e-1",
            "recipientAccountId": "111122223333"
        })
    }

    #[test]
    fn iam_user_session_with_empty_issuer_decodes() {
        let ev = record(
            "AttachRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "app", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            Value::Null,
        );
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!("not a change")
        };
        assert_eq!(c.info.actor, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(c.info.actor_issuer, None);
        assert_eq!(c.info.account, "111122223333");
        assert_eq!(
            c.what,
            What::AttachPolicy {
                holder: Identity {
                    kind: IdentityKind::Role,
                    name: Some("app".into())
                },
                policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess".into()
            }
        );
    }

    #[test]
    fn failed_calls_and_uncovered_names_are_ignored() {
        let mut ev = record("PutRolePolicy", "iam.amazonaws.com", json!({}), Value::Null);
        ev["errorCode"] = json!("AccessDenied");
        assert!(matches!(
            decode(&ev).unwrap(),
            Decoded::Ignored { reason, .. } if reason == "the call failed (`AccessDenied`)"
        ));
        let ev = record("ListRoles", "iam.amazonaws.com", json!({}), Value::Null);
        assert!(matches!(decode(&ev).unwrap(), Decoded::Ignored { .. }));
    }

    #[test]
    fn envelope_and_raw_record_decode_the_same() {
        let raw = record(
            "PutRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "app", "policyName": "p", "policyDocument": "{\"Statement\":[]}"}),
            Value::Null,
        );
        let wrapped = json!({
            "version": "0", "id": "eb-id", "detail-type": CLOUDTRAIL_DETAIL_TYPE,
            "source": "aws.iam", "account": "111122223333", "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1", "resources": [], "detail": raw.clone()
        });
        assert_eq!(decode(&raw).unwrap(), decode(&wrapped).unwrap());
    }

    #[test]
    fn add_permission_statement_comes_from_the_response_or_the_request() {
        let stmt = r#"{"Sid":"pub","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}"#;
        let ev = record(
            "AddPermission20150331v2",
            "lambda.amazonaws.com",
            json!({"functionName": "f", "statementId": "pub", "action": "lambda:InvokeFunction", "principal": "*"}),
            json!({"statement": stmt}),
        );
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!()
        };
        let What::FunctionPermission {
            document, function, ..
        } = c.what
        else {
            panic!()
        };
        assert_eq!(
            function.map(|f| f.arn).as_deref(),
            Some("arn:aws:lambda:us-east-1:111122223333:function:f")
        );
        let from_response: Value = serde_json::from_str(&document).unwrap();
        let ev = record(
            "AddPermission20150331v2",
            "lambda.amazonaws.com",
            json!({"functionName": "f", "statementId": "pub", "action": "lambda:InvokeFunction", "principal": "*"}),
            Value::Null,
        );
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!()
        };
        let What::FunctionPermission { document, .. } = c.what else {
            panic!()
        };
        let from_request: Value = serde_json::from_str(&document).unwrap();
        assert_eq!(from_response, from_request);
    }

    #[test]
    fn add_permission_without_a_function_name_is_judged_on_its_statement() {
        let stmt = r#"{"Sid":"pub","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}"#;
        let ev = record(
            "AddPermission20150331v2",
            "lambda.amazonaws.com",
            json!({"statementId": "pub", "action": "lambda:InvokeFunction", "principal": "*"}),
            json!({"statement": stmt}),
        );
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!()
        };
        let What::FunctionPermission { function, .. } = c.what else {
            panic!()
        };
        assert_eq!(function.map(|f| f.name).as_deref(), Some("f"));
        // Without the statement, the request alone cannot say which function.
        let ev = record(
            "AddPermission20150331v2",
            "lambda.amazonaws.com",
            json!({"statementId": "pub", "action": "lambda:InvokeFunction", "principal": "*"}),
            Value::Null,
        );
        assert_eq!(
            decode(&ev).unwrap_err().reason,
            "`AddPermission` has no `requestParameters.functionName`"
        );
        // A function URL event without a name is judged all the same.
        let ev = record(
            "CreateFunctionUrlConfig20211031",
            "lambda.amazonaws.com",
            json!({"authType": "NONE"}),
            Value::Null,
        );
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!()
        };
        assert_eq!(
            c.what,
            What::FunctionUrl {
                function: None,
                auth_type: Some("NONE".into())
            }
        );
    }

    #[test]
    fn undecodable_events_name_the_problem() {
        assert_eq!(
            decode(&json!([1])).unwrap_err().reason,
            "the event is a JSON array, not an object"
        );
        assert_eq!(
            decode(&json!({"hello": 1})).unwrap_err().reason,
            "neither an EventBridge event (`detail-type`, `detail`) nor a CloudTrail record (`eventName`)"
        );
        let ev = record(
            "PutRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "r", "policyName": "p"}),
            Value::Null,
        );
        assert_eq!(
            decode(&ev).unwrap_err().reason,
            "`PutRolePolicy` has no `requestParameters.policyDocument`"
        );
    }

    #[test]
    fn tag_calls_read_iam_lists_and_lambda_maps() {
        let ev = record(
            "TagRole",
            "iam.amazonaws.com",
            json!({"roleName": "app", "tags": [{"key": "team", "value": "a"}, {"key": "Doorman:Ignore", "value": "admin-access"}]}),
            Value::Null,
        );
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!("not a change")
        };
        assert_eq!(
            c.what,
            What::IgnoreTag {
                target: TagTarget::Identity(Identity {
                    kind: IdentityKind::Role,
                    name: Some("app".into())
                }),
                tags: vec![("Doorman:Ignore".into(), "admin-access".into())],
            }
        );
        let fn_arn = "arn:aws:lambda:us-east-1:111122223333:function:f";
        let ev = record(
            "TagResource20170331v2",
            "lambda.amazonaws.com",
            json!({"resource": fn_arn, "tags": {"doorman:ignore": "public-invoke"}}),
            Value::Null,
        );
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!("not a change")
        };
        assert_eq!(
            c.what,
            What::IgnoreTag {
                target: TagTarget::Lambda(Some(fn_arn.into())),
                tags: vec![("doorman:ignore".into(), "public-invoke".into())],
            }
        );
        // Another key: nothing to judge, and the reason says why.
        let ev = record(
            "TagPolicy",
            "iam.amazonaws.com",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/p", "tags": [{"key": "doorman:owner", "value": "x"}]}),
            Value::Null,
        );
        assert!(matches!(
            decode(&ev).unwrap(),
            Decoded::Ignored { reason, .. } if reason.starts_with("`TagPolicy` sets no `doorman:ignore` tag")
        ));
        // A tag without a key cannot be judged.
        let ev = record(
            "TagUser",
            "iam.amazonaws.com",
            json!({"userName": "u", "tags": [{"value": "x"}]}),
            Value::Null,
        );
        assert_eq!(
            decode(&ev).unwrap_err().reason,
            "`TagUser`: tag 0 has no `key`"
        );
    }

    #[test]
    fn create_calls_keep_the_doorman_ignore_tags_they_set() {
        let ev = record(
            "CreateFunction20150331",
            "lambda.amazonaws.com",
            json!({"functionName": "f", "role": "arn:aws:iam::111122223333:role/r", "tags": {"DOORMAN:IGNORE": "missing-logs", "team": "a"}}),
            Value::Null,
        );
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!("not a change")
        };
        assert_eq!(
            c.ignore_tags,
            vec![("DOORMAN:IGNORE".to_string(), "missing-logs".to_string())]
        );
    }

    #[test]
    fn fields_that_only_word_the_alert_may_be_missing_or_odd() {
        let mut ev = record(
            "UpdateAssumeRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": 12, "policyDocument": "{\"Statement\":[]}"}),
            Value::Null,
        );
        ev["userAgent"] = json!({"agent": "x"});
        ev["eventTime"] = json!(1767225600);
        ev["sourceIPAddress"] = Value::Null;
        let wrapped = json!({
            "detail-type": CLOUDTRAIL_DETAIL_TYPE, "id": 5, "time": [], "region": {},
            "detail": ev
        });
        let Decoded::Change(c) = decode(&wrapped).unwrap() else {
            panic!("not a change")
        };
        assert_eq!(c.info.time, "1767225600");
        assert_eq!(c.info.user_agent, "");
        assert_eq!(c.info.source_ip, "");
        assert_eq!(c.info.region, "us-east-1");
        assert_eq!(
            c.what,
            What::RoleTrust {
                role: None,
                document: "{\"Statement\":[]}".into()
            }
        );
        // A non-string `errorCode` is still a failed call.
        let mut ev = record("TagRole", "iam.amazonaws.com", json!({}), Value::Null);
        ev["errorCode"] = json!({"code": "AccessDenied"});
        assert!(matches!(decode(&ev).unwrap(), Decoded::Ignored { .. }));
    }

    #[test]
    fn function_names_come_from_names_and_arns() {
        assert_eq!(function_name("f"), "f");
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:111122223333:function:f:prod"),
            "f"
        );
        assert_eq!(function_name("111122223333:function:f"), "f");
    }
}
