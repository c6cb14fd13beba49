//! The per-call table: which CloudTrail calls doorman covers (SPEC §4), and
//! the [`What`] each one is, read from its request and response.

use super::decode::str_at;
use super::guardrail;
use super::*;
use crate::policy::type_name;
use serde_json::{Map, Value};

/// A request or response field, as a string: the field must be there.
pub(super) fn required(obj: &Map<String, Value>, key: &str, event: &str) -> Result<String, String> {
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
pub(super) fn tag_list(tags: &Value) -> Result<Vec<(String, String)>, String> {
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
pub(super) fn ignore_tags(tags: &[(String, String)]) -> Vec<(String, String)> {
    tags.iter()
        .filter(|(k, _)| is_ignore_tag_key(k))
        .cloned()
        .collect()
}

/// Whether the event is a tag call doorman reads for `doorman:ignore`.
pub(super) fn is_tag_call(info: &EventInfo) -> bool {
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
pub(super) fn function(
    info: &EventInfo,
    req: &Map<String, Value>,
    resp: &Map<String, Value>,
    event: &str,
) -> Result<Function, String> {
    let given = required(req, "functionName", event)?;
    Ok(function_from(info, &given, resp))
}

/// A function given by name or ARN; the response's `functionArn` wins.
fn function_from(info: &EventInfo, given: &str, resp: &Map<String, Value>) -> Function {
    let name = function_name(given);
    let arn = resp
        .get("functionArn")
        .and_then(Value::as_str)
        .map(unqualified_function_arn)
        .or_else(|| {
            given
                .starts_with("arn:")
                .then(|| unqualified_function_arn(given))
        })
        .unwrap_or_else(|| {
            format!(
                "arn:aws:lambda:{}:{}:function:{name}",
                info.region, info.account
            )
        });
    Function { name, arn }
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

/// One CloudTrail call, as the table reads it.
pub(super) struct Call<'a> {
    pub info: &'a EventInfo,
    pub req: &'a Map<String, Value>,
    pub resp: &'a Map<String, Value>,
    /// The ARNs of the record's `resources[]`.
    pub resources: &'a [String],
}

/// What a covered call changed; `Ok(None)` for calls doorman does not
/// judge. Calls that only touch doorman's doors are in [`guardrail::call`].
pub(super) fn what(c: &Call) -> Result<Option<What>, String> {
    let (info, req, resp) = (c.info, c.req, c.resp);
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
            if role_arn.is_none() && !req.contains_key("layers") {
                // Not a role or layer change, but still a change of doorman
                // itself when it is doorman's own function.
                return guardrail::call(c).map(|g| g.map(What::Guardrail));
            }
            What::FunctionRole {
                function: function(info, req, resp, event)?,
                role_arn,
                layers: layers(req),
            }
        }
        ("iam", name @ ("PutRolePermissionsBoundary" | "PutUserPermissionsBoundary")) => {
            What::BoundarySet {
                holder: holder(req, kind_of(name)),
                policy_arn: required(req, "permissionsBoundary", event)?,
            }
        }
        ("iam", "DetachRolePolicy") => What::RolePolicyRemoved {
            role: required(req, "roleName", event)?,
            policy: required(req, "policyArn", event)?,
            managed: true,
        },
        ("iam", "DeleteRolePolicy") => What::RolePolicyRemoved {
            role: required(req, "roleName", event)?,
            policy: required(req, "policyName", event)?,
            managed: false,
        },
        ("iam", "AddUserToGroup") => What::GroupMember {
            user: name_at(req, "userName"),
            group: required(req, "groupName", event)?,
        },
        ("lambda", "UpdateEventSourceMapping") => {
            // The request names only the mapping (`uUID`) and what changes;
            // the response is the whole mapping.
            let given = str_at(req, "functionName").or_else(|| str_at(resp, "functionArn"));
            let Some(given) = given else {
                return Err(format!(
                    "{event} has neither `requestParameters.functionName` nor `responseElements.functionArn`"
                ));
            };
            let function = function_from(info, &given, resp);
            match str_at(resp, "eventSourceArn") {
                Some(arn) => What::EventSourceMapping {
                    function,
                    event_source_arn: arn,
                },
                // Self-managed Kafka has no ARN: not covered.
                None if resp.contains_key("selfManagedEventSource") => return Ok(None),
                None => return Err(format!("{event} has no `responseElements.eventSourceArn`")),
            }
        }
        ("lambda", "PutFunctionEventInvokeConfig" | "UpdateFunctionEventInvokeConfig") => {
            What::InvokeConfig {
                function: function(info, req, resp, event)?,
                destinations: destinations(req),
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
        _ => return guardrail::call(c).map(|g| g.map(What::Guardrail)),
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

/// The `OnSuccess` / `OnFailure` destinations of an invoke config call
/// (`destinationConfig.onSuccess.destination`, as CloudTrail writes the
/// request; `Destination` too).
fn destinations(req: &Map<String, Value>) -> Vec<(&'static str, String)> {
    let config = req
        .get("destinationConfig")
        .or_else(|| req.get("DestinationConfig"));
    let mut out = Vec::new();
    for (label, keys) in [
        ("OnSuccess", ["onSuccess", "OnSuccess"]),
        ("OnFailure", ["onFailure", "OnFailure"]),
    ] {
        let arn = keys
            .iter()
            .find_map(|k| config.and_then(|c| c.get(*k)))
            .and_then(|d| d.get("destination").or_else(|| d.get("Destination")))
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty());
        if let Some(arn) = arn {
            out.push((label, arn.to_string()));
        }
    }
    out
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
