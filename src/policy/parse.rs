//! From text (plain or URL-encoded JSON) to [`Policy`].

use super::tree::{Json, Node};
use super::{
    Actions, Condition, Effect, Policy, Principal, PrincipalKind, Problem, Resources, Statement,
    StatementRef, CONDITION_OPERATORS, POLICY_VERSIONS,
};
use serde_json::Value;

/// Why a text is not a policy document at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("not valid JSON: {message} at line {line} column {column}")]
    Json {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("not an IAM policy: the document is a JSON {found}, not an object")]
    NotAnObject { found: &'static str },
    #[error("not an IAM policy: it has no `Statement` element")]
    NoStatement,
    #[error("not an IAM policy: `Statement` is a JSON {found}, not an object or an array")]
    BadStatement { found: &'static str },
}

/// Parses a policy document given as plain JSON or as RFC 3986 URL-encoded
/// JSON (what `GetRolePolicy`, `GetRole` and `GetPolicyVersion` return).
///
/// Percent-decoding leaves `+` as `+`: these documents are not form-encoded,
/// and `+` is legal inside a policy (`arn:aws:s3:::a+b/*`).
pub fn parse_document(text: &str) -> Result<Policy, ParseError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let decoded;
    let json = if trimmed.starts_with('{') || !trimmed.contains('%') {
        trimmed
    } else {
        decoded = percent_encoding::percent_decode_str(trimmed).decode_utf8_lossy();
        decoded.as_ref()
    };
    let value = Json::parse(json).map_err(|e| ParseError::Json {
        message: json_error_message(&e),
        line: e.line(),
        column: e.column(),
    })?;
    parse_node(&value)
}

/// serde_json's message without its own " at line X column Y" suffix.
fn json_error_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

/// The JSON type of a value, for messages ("found a number").
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Models an already-parsed JSON value as a policy.
pub fn parse_value(value: &Value) -> Result<Policy, ParseError> {
    parse_node(value)
}

/// [`parse_value`] over either JSON tree ([`Node`]).
fn parse_node<N: Node>(value: &N) -> Result<Policy, ParseError> {
    let obj = value.entries().ok_or(ParseError::NotAnObject {
        found: value.type_name(),
    })?;
    let mut problems = Vec::new();
    let mut version = None;
    let mut id = None;
    let mut statement = None;
    for (key, v) in obj {
        match key {
            "Version" => match v.as_str() {
                Some(s) if POLICY_VERSIONS.contains(&s) => version = Some(s.to_string()),
                Some(s) => problems.push(doc_problem(format!(
                    "`Version` is `{s}`; IAM knows only `2012-10-17` (use it) and `2008-10-17`"
                ))),
                None => problems.push(doc_problem(format!(
                    "`Version` must be a string, found a {}",
                    v.type_name()
                ))),
            },
            "Id" => id = v.as_str().map(str::to_string),
            "Statement" => statement = Some(v),
            other => problems.push(doc_problem(unknown_element(
                other,
                &["Version", "Id", "Statement"],
            ))),
        }
    }
    let statement = statement.ok_or(ParseError::NoStatement)?;
    let items: Vec<&N> = match statement.as_array() {
        Some(a) => a.iter().collect(),
        None if statement.is_object() => vec![statement],
        None => {
            return Err(ParseError::BadStatement {
                found: statement.type_name(),
            })
        }
    };
    if items.is_empty() {
        problems.push(doc_problem("`Statement` is an empty array".to_string()));
    }
    duplicate_sids(&items, &mut problems);
    let mut statements = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        if let Some(s) = parse_statement(index, item, &mut problems) {
            statements.push(s);
        }
    }
    Ok(Policy {
        version,
        id,
        statements,
        problems,
    })
}

/// IAM requires a statement's `Sid` to be unique within its policy (and
/// Lambda its statement ids within a function policy): a repeated `Sid` is
/// reported on each statement that repeats an earlier one.
fn duplicate_sids<N: Node>(items: &[&N], problems: &mut Vec<Problem>) {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let Some(sid) = item.get("Sid").and_then(N::as_str) else {
            continue;
        };
        match seen.iter().find(|(s, _)| *s == sid) {
            Some((_, first)) => problems.push(Problem {
                statement: Some(StatementRef {
                    index,
                    sid: Some(sid.to_string()),
                }),
                message: format!(
                    "`Sid` `{sid}` is also the `Sid` of Statement[{first}]; IAM requires each `Sid` to be unique within a policy, so rename one"
                ),
            }),
            None => seen.push((sid, index)),
        }
    }
}

fn doc_problem(message: String) -> Problem {
    Problem {
        statement: None,
        message,
    }
}

fn unknown_element(name: &str, known: &[&str]) -> String {
    let mut msg = format!("unknown element `{name}`");
    if let Some(k) = known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name) || strsim::levenshtein(k, name) <= 2)
    {
        msg.push_str(&format!("; did you mean `{k}`?"));
    }
    msg
}

const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_statement<N: Node>(
    index: usize,
    obj: &N,
    problems: &mut Vec<Problem>,
) -> Option<Statement> {
    let Some(keys) = obj.entries() else {
        problems.push(Problem {
            statement: Some(StatementRef { index, sid: None }),
            message: format!("a statement must be an object, found a {}", obj.type_name()),
        });
        return None;
    };
    let sid = obj.get("Sid").and_then(N::as_str).map(str::to_string);
    let at = StatementRef { index, sid };
    let mut push = |message: String| {
        problems.push(Problem {
            statement: Some(at.clone()),
            message,
        })
    };
    for (key, _) in keys {
        if !STATEMENT_ELEMENTS.contains(&key) {
            push(unknown_element(key, STATEMENT_ELEMENTS));
        }
    }
    if let Some(s) = obj.get("Sid") {
        if s.as_str().is_none() {
            push(format!("`Sid` must be a string, found a {}", s.type_name()));
        }
    }
    let effect = match obj.get("Effect").map(|e| (e, e.as_str())) {
        None => {
            push("`Effect` is missing".to_string());
            None
        }
        Some((_, Some("Allow"))) => Some(Effect::Allow),
        Some((_, Some("Deny"))) => Some(Effect::Deny),
        Some((_, Some(s))) => {
            push(format!("`Effect` is `{s}`; it must be `Allow` or `Deny`"));
            None
        }
        Some((other, None)) => {
            push(format!(
                "`Effect` must be a string, found a {}",
                other.type_name()
            ));
            None
        }
    };
    let actions = match (obj.get("Action"), obj.get("NotAction")) {
        (Some(_), Some(_)) => {
            push("has both `Action` and `NotAction`; use one".to_string());
            None
        }
        (Some(a), None) => string_list(a, "Action", &mut push).map(Actions::Action),
        (None, Some(a)) => string_list(a, "NotAction", &mut push).map(Actions::NotAction),
        (None, None) => {
            push("`Action` is missing (or `NotAction`)".to_string());
            None
        }
    };
    let resources = match (obj.get("Resource"), obj.get("NotResource")) {
        (Some(_), Some(_)) => {
            push("has both `Resource` and `NotResource`; use one".to_string());
            None
        }
        (Some(r), None) => string_list(r, "Resource", &mut push).map(Resources::Resource),
        (None, Some(r)) => string_list(r, "NotResource", &mut push).map(Resources::NotResource),
        (None, None) => None,
    };
    if obj.get("Principal").is_some() && obj.get("NotPrincipal").is_some() {
        push("has both `Principal` and `NotPrincipal`; use one".to_string());
    }
    let principal = obj
        .get("Principal")
        .and_then(|p| principals(p, "Principal", &mut push));
    let not_principal = obj
        .get("NotPrincipal")
        .and_then(|p| principals(p, "NotPrincipal", &mut push));
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(ops) if ops.is_object() => conditions(ops, &mut push),
        Some(other) => {
            push(format!(
                "`Condition` must be an object of operators, found a {}",
                other.type_name()
            ));
            Vec::new()
        }
    };
    Some(Statement {
        at,
        effect: effect?,
        principal,
        not_principal,
        actions: actions?,
        resources,
        conditions,
    })
}

/// A string or an array of strings. Non-string members are reported and skipped.
fn string_list<N: Node>(
    v: &N,
    element: &str,
    push: &mut impl FnMut(String),
) -> Option<Vec<String>> {
    if let Some(s) = v.as_str() {
        return Some(vec![s.to_string()]);
    }
    let Some(items) = v.as_array() else {
        push(format!(
            "`{element}` must be a string or an array of strings, found a {}",
            v.type_name()
        ));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item.as_str() {
            Some(s) => out.push(s.to_string()),
            None => push(format!(
                "`{element}` must hold strings, found a {}",
                item.type_name()
            )),
        }
    }
    if out.is_empty() && items.is_empty() {
        push(format!("`{element}` is an empty array"));
    }
    Some(out)
}

fn principals<N: Node>(
    v: &N,
    element: &str,
    push: &mut impl FnMut(String),
) -> Option<Vec<Principal>> {
    match (v.as_str(), v.entries()) {
        (Some("*"), _) => Some(vec![Principal {
            kind: PrincipalKind::Everyone,
            value: "*".to_string(),
        }]),
        (Some(s), _) => {
            push(format!(
                "`{element}` is the string `{s}`; only `*` may be given as a string, use a map such as {{\"AWS\": \"{s}\"}}"
            ));
            None
        }
        (None, Some(map)) => {
            let mut out = Vec::new();
            for (key, values) in map {
                let kind = match key {
                    "AWS" => PrincipalKind::Aws,
                    "Service" => PrincipalKind::Service,
                    "Federated" => PrincipalKind::Federated,
                    "CanonicalUser" => PrincipalKind::CanonicalUser,
                    other => {
                        push(format!(
                            "`{element}` has an unknown principal type `{other}`; use `AWS`, `Service`, `Federated` or `CanonicalUser`"
                        ));
                        continue;
                    }
                };
                let element = format!("{element}.{key}");
                if let Some(list) = string_list(values, &element, push) {
                    // IAM accepts `*` only as a whole principal: a wildcard
                    // inside a name or ARN is rejected.
                    for value in list.iter().filter(|v| *v != "*" && v.contains('*')) {
                        push(format!(
                            "`{element}` value `{value}` has a wildcard inside it; IAM accepts `*` only as the whole principal, so name the principal exactly, or use `\"{key}\": \"*\"` with a condition on `aws:PrincipalArn` or `aws:PrincipalAccount`"
                        ));
                    }
                    out.extend(list.into_iter().map(|value| Principal {
                        kind: kind.clone(),
                        value,
                    }));
                }
            }
            Some(out)
        }
        (None, None) => {
            push(format!(
                "`{element}` must be `*` or a map of principal types, found a {}",
                v.type_name()
            ));
            None
        }
    }
}

fn conditions<N: Node>(ops: &N, push: &mut impl FnMut(String)) -> Vec<Condition> {
    let mut out = Vec::new();
    for (operator, tests) in ops.entries().into_iter().flatten() {
        let c = Condition {
            operator: operator.to_string(),
            key: String::new(),
            values: Vec::new(),
        };
        let base = c.base_operator();
        let known = CONDITION_OPERATORS.contains(&base) && !(base == "Null" && c.if_exists());
        if !known {
            let mut msg = format!("unknown condition operator `{operator}`");
            if let Some(k) = CONDITION_OPERATORS
                .iter()
                .min_by_key(|k| strsim::levenshtein(k, base))
                .filter(|k| strsim::levenshtein(k, base) <= 3)
            {
                msg.push_str(&format!("; did you mean `{k}`?"));
            }
            push(msg);
        }
        let Some(tests) = tests.entries() else {
            push(format!(
                "condition `{operator}` must map keys to values, found a {}",
                tests.type_name()
            ));
            continue;
        };
        for (key, values) in tests {
            let values = match values.as_array() {
                Some(items) => items
                    .iter()
                    .filter_map(|v| scalar(v, operator, key, push))
                    .collect(),
                None => scalar(values, operator, key, push).into_iter().collect(),
            };
            out.push(Condition {
                operator: operator.to_string(),
                key: key.to_string(),
                values,
            });
        }
    }
    out
}

fn scalar<N: Node>(
    v: &N,
    operator: &str,
    key: &str,
    push: &mut impl FnMut(String),
) -> Option<String> {
    if let Some(s) = v.as_str() {
        return Some(s.to_string());
    }
    let text = v.scalar_text();
    if text.is_none() {
        push(format!(
            "condition `{operator}` on `{key}` has a {} value; use strings, booleans or numbers",
            v.type_name()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Policy {
        parse_document(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn statement_object_and_string_elements() {
        let p = parse(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.statements.len(), 1);
        let s = &p.statements[0];
        assert_eq!(s.at.sid.as_deref(), Some("A"));
        assert_eq!(s.actions, Actions::Action(vec!["s3:GetObject".into()]));
        assert_eq!(
            s.resources,
            Some(Resources::Resource(vec!["arn:aws:s3:::b/*".into()]))
        );
    }

    #[test]
    fn principals_and_conditions_of_every_shape() {
        let p = parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"],"Service":"lambda.amazonaws.com"},
            "Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"sts:ExternalId":"x","aws:SourceAccount":["1","2"]},"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10}}},
            {"Effect":"Deny","Principal":"*","NotAction":"lambda:InvokeFunction","NotResource":["arn:x"]}]}"#,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = &p.statements[0];
        assert_eq!(s.principals().len(), 3);
        assert_eq!(s.principals()[0].account(), Some("111122223333"));
        assert!(s.principals()[1].is_anyone());
        assert_eq!(s.principals()[2].kind, PrincipalKind::Service);
        let values: Vec<_> = s.conditions.iter().map(|c| c.values.join(",")).collect();
        assert_eq!(values, ["x", "1,2", "true", "10"]);
        assert!(p.statements[1].principals()[0].is_anyone());
        assert!(matches!(p.statements[1].actions, Actions::NotAction(_)));
    }

    #[test]
    fn url_encoded_documents_are_percent_decoded_keeping_plus() {
        let plain = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}]}"#;
        const KEEP_PLUS: &percent_encoding::AsciiSet =
            &percent_encoding::NON_ALPHANUMERIC.remove(b'+');
        let encoded = percent_encoding::utf8_percent_encode(plain, KEEP_PLUS).to_string();
        assert!(
            encoded.contains("a+b"),
            "a literal `+` stays in the encoded text: {encoded}"
        );
        let p = parse(&encoded);
        assert_eq!(p, parse(plain));
        assert_eq!(
            p.statements[0].resources,
            Some(Resources::Resource(vec!["arn:aws:s3:::a+b/*".into()]))
        );
    }

    #[test]
    fn problems_name_the_statement_and_element() {
        let p = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"WriteReceipts","Action":"s3:PutObject","Resource":"*"}]}"#,
        );
        let messages: Vec<String> = p.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            ["Statement[1] (Sid `WriteReceipts`): `Effect` is missing"]
        );
        assert_eq!(
            p.statements.len(),
            1,
            "the statement without Effect is not modelled"
        );
    }

    #[test]
    fn unknown_elements_operators_and_versions_are_problems_with_hints() {
        let p = parse(
            r#"{"Version":"2012-10-18","Statment":[],"Statement":[{"Effect":"Allow","Actions":"s3:*","Action":"s3:*","Resource":"*","Condition":{"StringEqual":{"a:b":"c"}}}]}"#,
        );
        let messages: Vec<String> = p.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "`Version` is `2012-10-18`; IAM knows only `2012-10-17` (use it) and `2008-10-17`",
                "unknown element `Statment`; did you mean `Statement`?",
                "Statement[0]: unknown element `Actions`; did you mean `Action`?",
                "Statement[0]: unknown condition operator `StringEqual`; did you mean `StringEquals`?",
            ]
        );
    }

    #[test]
    fn not_a_policy_is_a_parse_error_with_location() {
        assert_eq!(
            parse_document("{\"Statement\": [\n  {\"Effect\": }\n]}")
                .unwrap_err()
                .to_string(),
            "not valid JSON: expected value at line 2 column 14"
        );
        assert_eq!(
            parse_document("[1]").unwrap_err().to_string(),
            "not an IAM policy: the document is a JSON array, not an object"
        );
        assert_eq!(
            parse_document(r#"{"name":"x"}"#).unwrap_err().to_string(),
            "not an IAM policy: it has no `Statement` element"
        );
    }

    #[test]
    fn condition_operator_helpers() {
        let c = Condition {
            operator: "ForAnyValue:StringNotLikeIfExists".into(),
            key: "AWS:SourceArn".into(),
            values: vec![],
        };
        assert_eq!(c.base_operator(), "StringNotLike");
        assert!(c.if_exists());
        assert!(c.key_is("aws:sourcearn"));
        assert!(!c.is_positive_match());
    }
}
