//! Turns template values into plain policy JSON, resolving what can be
//! resolved offline and replacing the rest with opaque, scoped placeholders.
//!
//! The placeholder for a value only known at deploy time is CloudFormation's
//! own `${...}` syntax: `!GetAtt Orders.Arn` → `${Orders.Arn}`, `!Ref Bucket`
//! → `${Bucket}`, `!Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'` →
//! `arn:aws:s3:::${Bucket}/*`. The rules treat text with `${` as a resource
//! they cannot judge, never as `*`: an ARN built with `!Sub` or `!GetAtt` is a
//! scoped ARN, so intrinsics cause no `resource-wildcard`, `resource-mismatch`
//! or cross-account finding. Pseudo parameters that are known for any stack
//! are substituted: `AWS::Partition` → `aws`, `AWS::URLSuffix` →
//! `amazonaws.com`, and `AWS::AccountId` → [`TEMPLATE_ACCOUNT`], the account
//! the rules are told is the template's own.

use super::yaml::{Node, Value};
use serde_json::{Map, Value as Json};

/// The stand-in for `AWS::AccountId`: a well-formed account id that the
/// template's rule context names as its own, so `${AWS::AccountId}` in a
/// principal or condition means "this account".
pub const TEMPLATE_ACCOUNT: &str = "000000000000";

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

/// The policy JSON of a template value. `AWS::NoValue` drops the element it
/// stands in, as CloudFormation does.
pub fn to_json(node: &Node) -> Json {
    to_json_opt(node).unwrap_or(Json::Null)
}

fn to_json_opt(node: &Node) -> Option<Json> {
    if let Some((key, arg)) = node.single_key() {
        if key == "Ref" || key.starts_with("Fn::") {
            return intrinsic(key, arg);
        }
    }
    Some(match &node.value {
        Value::Null => Json::Null,
        Value::Scalar(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().filter_map(to_json_opt).collect()),
        Value::Map(entries) => {
            let mut m = Map::new();
            for e in entries {
                if let Some(v) = to_json_opt(&e.value) {
                    m.insert(e.key.clone(), v);
                }
            }
            Json::Object(m)
        }
    })
}

/// The text a value stands for, for places that need a string (an ARN, a
/// principal): resolved, or a placeholder.
pub fn to_text(node: &Node) -> String {
    match to_json(node) {
        Json::String(s) => s,
        Json::Null => placeholder("AWS::NoValue"),
        other => format!("${{{}}}", compact(&other)),
    }
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

fn intrinsic(name: &str, arg: &Node) -> Option<Json> {
    let text = |s: String| Some(Json::String(s));
    match name {
        "Ref" => {
            let target = arg.as_str().unwrap_or("?");
            if target == "AWS::NoValue" {
                return None;
            }
            text(
                pseudo(target)
                    .map(str::to_string)
                    .unwrap_or_else(|| placeholder(target)),
            )
        }
        "Fn::GetAtt" => {
            let path = match &arg.value {
                Value::Scalar(s) => s.clone(),
                Value::Seq(items) => items.iter().map(to_text).collect::<Vec<_>>().join("."),
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
            text(substitute(&template, vars))
        }
        "Fn::Join" => {
            let items = arg.items();
            let sep = items.first().and_then(|n| n.as_str()).unwrap_or("");
            let parts: Vec<String> = items
                .get(1)
                .map(|list| {
                    // The list itself may be an intrinsic (`!Split`): opaque.
                    if list.single_key().is_some() {
                        vec![to_text(list)]
                    } else {
                        list.items().into_iter().map(to_text).collect()
                    }
                })
                .unwrap_or_default();
            text(parts.join(sep))
        }
        "Fn::If" => {
            // Either branch may be deployed; take the one that is a value
            // (`AWS::NoValue` drops the element), preferring the true branch.
            let items = arg.items();
            let a = items.get(1).and_then(|n| to_json_opt(n));
            let b = items.get(2).and_then(|n| to_json_opt(n));
            a.or(b)
        }
        "Fn::Select" => {
            let items = arg.items();
            let index = items
                .first()
                .and_then(|n| n.as_str())
                .and_then(|s| s.parse::<usize>().ok());
            match (index, items.get(1)) {
                (Some(i), Some(list)) if matches!(list.value, Value::Seq(_)) => {
                    list.items().get(i).and_then(|n| to_json_opt(n))
                }
                _ => text(placeholder("Fn::Select")),
            }
        }
        other => text(placeholder(other)),
    }
}

/// `Fn::Sub`: pseudo parameters known offline are filled in, variables given
/// in the second argument are resolved, `${!Literal}` becomes `${Literal}`,
/// and every other `${Name}` stays as the placeholder it is.
fn substitute(template: &str, vars: Option<&Node>) -> String {
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
            out.push_str(&to_text(v));
        } else if let Some(p) = pseudo(name) {
            out.push_str(p);
        } else {
            out.push_str(&placeholder(name));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
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
            "arn:aws:iam::000000000000:root"
        );
        assert_eq!(json("v: !Ref AWS::AccountId"), TEMPLATE_ACCOUNT);
        assert_eq!(
            json("v: !Sub ['arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Q}', {Q: !GetAtt Q.QueueName}]"),
            "arn:aws:sqs:${AWS.Region}:000000000000:${Q.QueueName}"
        );
        assert_eq!(
            json("v: !Join ['', ['arn:', !Ref AWS::Partition, ':s3:::b/*']]"),
            "arn:aws:s3:::b/*"
        );
        assert_eq!(json("v: !ImportValue Shared"), "${Fn.ImportValue}");
        assert_eq!(json("v: !Sub '${!Literal}'"), "${Literal}");
    }

    #[test]
    fn if_takes_a_branch_and_no_value_drops_the_element() {
        assert_eq!(json("v: !If [C, a, b]"), "a");
        assert_eq!(json("v: !If [C, !Ref AWS::NoValue, b]"), "b");
        assert_eq!(json("v: [a, !Ref AWS::NoValue]"), serde_json::json!(["a"]));
    }

    #[test]
    fn select_picks_from_a_literal_list() {
        assert_eq!(json("v: !Select [1, [a, b]]"), "b");
        assert_eq!(json("v: !Select [0, !GetAZs '']"), "${Fn.Select}");
    }
}
