//! The EventBridge envelope and the CloudTrail record: from JSON to an
//! [`EventInfo`] and the request/response maps the call table reads.

use super::calls::{ignore_tags, is_tag_call, tag_list, what, Call};
use super::guardrail::{door, role_door};
use super::{
    Change, DecodeError, Decoded, EventInfo, What, CLOUDTRAIL_DETAIL_TYPE, IGNORE_TAG_KEY,
    SELF_TEST_SOURCE,
};
use crate::policy::type_name;
use serde_json::{Map, Value};

/// The EventBridge envelope. Only `detail-type` and `detail` are required;
/// the rest only words the alert, so a missing or wrongly typed value is
/// left out rather than an error.
#[derive(Debug)]
struct Envelope {
    detail_type: String,
    /// `source`: `aws.<service>` for AWS's own events; anything else was
    /// sent with `PutEvents`.
    source: Option<String>,
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
            source: text_at(obj, "source"),
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
    /// The ARNs of `resources[]` (KMS and a few other services name the
    /// resource there in full, whatever alias the request used).
    resources: Vec<String>,
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
            resources: obj
                .get("resources")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|r| r.get("ARN").or_else(|| r.get("arn")))
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
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
    if let Some(source) = envelope
        .as_ref()
        .and_then(|e| e.source.as_deref())
        .filter(|s| !s.starts_with("aws."))
    {
        // Not recorded by AWS: what the record says happened may not have.
        // (EventBridge always sets `source`; an envelope without one is
        // hand-made input to `replay`, judged as before.)
        let info = detail
            .as_object()
            .map(|d| event_info(&Record::read(d), envelope.as_ref()))
            .unwrap_or_else(fallback_info);
        return Ok(if source == SELF_TEST_SOURCE {
            Decoded::SelfTest { info }
        } else {
            Decoded::Ignored {
                info,
                reason: format!(
                    "source `{source}` is not AWS's own (`aws.*`): the event was sent with events:PutEvents, not recorded by CloudTrail, so it is not judged as a change"
                ),
            }
        });
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
    let call = Call {
        info: &info,
        req,
        resp,
        resources: &record.resources,
    };
    if let Some(code) = &record.error_code {
        // A failed call changed nothing; only an attempt on one of
        // doorman's doors is worth a look (reconnaissance), and the request
        // may be partial, so anything that does not decode is ignored.
        let reason = format!("the call failed (`{code}`)");
        return Ok(match what(&call) {
            Ok(Some(what)) => {
                let door = door(&call, &what);
                let change = Change {
                    info,
                    what,
                    ignore_tags: Vec::new(),
                    door,
                    error_code: Some(code.clone()),
                };
                if change.guardrail_call().is_some() {
                    Decoded::Change(change)
                } else {
                    Decoded::Ignored {
                        info: change.info,
                        reason,
                    }
                }
            }
            // Too partial to read, but still an attempt on a role.
            Err(_) => match role_door(&call) {
                Some(door) => Decoded::Change(Change {
                    info,
                    what: What::Guardrail(door),
                    ignore_tags: Vec::new(),
                    door: None,
                    error_code: Some(code.clone()),
                }),
                None => Decoded::Ignored { info, reason },
            },
            Ok(None) => Decoded::Ignored { info, reason },
        });
    }
    match what(&call) {
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
            let door = door(&call, &what);
            Ok(Decoded::Change(Change {
                info,
                what,
                ignore_tags,
                door,
                error_code: None,
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

pub(super) fn str_at(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A field that only words the alert: text as written, a number as its
/// digits, anything else (an object, an array, `null`) left out.
pub(super) fn text_at(obj: &Map<String, Value>, key: &str) -> Option<String> {
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
        // The self-test event writes an empty `recipientAccountId`; the
        // envelope's `account` is then the one to name.
        account: record
            .recipient_account_id
            .clone()
            .filter(|a| !a.is_empty())
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
