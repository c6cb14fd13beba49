//! No input panics the policy parser, and whatever it accepts, no rule
//! panics on (SPEC §9: "No panic on any input").

use doorman::policy::{locate, parse_document};
use doorman::rules::{evaluate, Context, PolicyKind};
use proptest::prelude::*;
use serde_json::{Map, Value};

const KINDS: [PolicyKind; 3] = [
    PolicyKind::Permission,
    PolicyKind::Trust,
    PolicyKind::Resource,
];

/// Parses, and when that succeeds, runs every rule family on the result, as
/// `doorman lint` would with and without a known account.
fn judge(text: &str) {
    let _ = locate::statement_lines(text);
    if let Ok(policy) = parse_document(text) {
        let _ = PolicyKind::detect(&policy);
        for kind in KINDS {
            let _ = evaluate(&policy, kind, &Context::default());
            let ctx = Context {
                account_id: Some("111122223333".into()),
                managed_policy_name: Some("AWSLambdaBasicExecutionRole".into()),
                ..Context::default()
            };
            let _ = evaluate(&policy, kind, &ctx);
        }
    }
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,10}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Strings an IAM policy is made of, so generated documents get past the
/// first checks and reach the rules: real and broken actions, ARNs,
/// principals, condition keys.
fn policy_word() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just("*"),
        Just("s3:*"),
        Just("s3:Get*"),
        Just("s3:GetObject"),
        Just("s3:PutObject"),
        Just("iam:PassRole"),
        Just("iam:*"),
        Just("lambda:InvokeFunction"),
        Just("lambda:*"),
        Just("sts:AssumeRole"),
        Just("sts:AssumeRoleWithWebIdentity"),
        Just("sts:*"),
        Just("ec2:Describe?nstances"),
        Just("nope:Nothing"),
        Just(":"),
        Just(""),
        Just("arn:aws:s3:::bucket/*"),
        Just("arn:aws:s3:::bucket"),
        Just("arn:aws:lambda:us-east-1:111122223333:function:f"),
        Just("arn:aws:iam::444455556666:root"),
        Just("444455556666"),
        Just("s3.amazonaws.com"),
        Just("lambda.amazonaws.com"),
        Just("arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"),
        Just("Allow"),
        Just("Deny"),
    ]
    .prop_map(|s| Value::String(s.to_string()))
}

fn string_or_list() -> impl Strategy<Value = Value> {
    prop_oneof![
        policy_word(),
        prop::collection::vec(policy_word(), 0..4).prop_map(Value::Array),
        any_json(),
    ]
}

fn principal() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::String("*".into())),
        prop::collection::vec(
            (
                prop_oneof![
                    Just("AWS"),
                    Just("Service"),
                    Just("Federated"),
                    Just("CanonicalUser"),
                    Just("aws")
                ],
                string_or_list()
            ),
            0..3
        )
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        any_json(),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("aws:SourceArn"),
        Just("AWS:SourceAccount"),
        Just("aws:PrincipalOrgID"),
        Just("sts:ExternalId"),
        Just("token.actions.githubusercontent.com:sub"),
        Just("token.actions.githubusercontent.com:aud"),
        Just("aws:MultiFactorAuthPresent"),
    ];
    let op = prop_oneof![
        Just("StringEquals"),
        Just("StringLike"),
        Just("ArnLike"),
        Just("StringNotEquals"),
        Just("ForAnyValue:StringLikeIfExists"),
        Just("Bool"),
        Just("Null"),
        Just("Bogus"),
    ];
    prop::collection::vec(
        (op, prop::collection::vec((key, string_or_list()), 0..3)),
        0..3,
    )
    .prop_map(|ops| {
        Value::Object(
            ops.into_iter()
                .map(|(op, kv)| {
                    let inner = kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                    (op.to_string(), Value::Object(inner))
                })
                .collect(),
        )
    })
}

/// A statement with a random subset of the real elements.
fn statement() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![
            Just(Value::String("Allow".into())),
            Just(Value::String("Deny".into())),
            any_json()
        ]),
        prop::option::of(string_or_list()),
        prop::option::of(string_or_list()),
        prop::option::of(string_or_list()),
        prop::option::of(string_or_list()),
        prop::option::of(principal()),
        prop::option::of(principal()),
        prop::option::of(condition()),
        prop::option::of(any_json()),
    )
        .prop_map(
            |(effect, action, not_action, resource, not_resource, p, np, cond, sid)| {
                let mut m = Map::new();
                let mut put = |k: &str, v: Option<Value>| {
                    if let Some(v) = v {
                        m.insert(k.to_string(), v);
                    }
                };
                put("Effect", effect);
                put("Action", action);
                put("NotAction", not_action);
                put("Resource", resource);
                put("NotResource", not_resource);
                put("Principal", p);
                put("NotPrincipal", np);
                put("Condition", cond);
                put("Sid", sid);
                Value::Object(m)
            },
        )
}

fn policy_like() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![
            Just(Value::String("2012-10-17".into())),
            any_json()
        ]),
        prop_oneof![
            statement(),
            prop::collection::vec(statement(), 0..5).prop_map(Value::Array),
        ],
    )
        .prop_map(|(version, statement)| {
            let mut m = Map::new();
            if let Some(v) = version {
                m.insert("Version".into(), v);
            }
            m.insert("Statement".into(), statement);
            Value::Object(m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,200}") {
        judge(&text);
    }

    #[test]
    fn arbitrary_json_never_panics(v in any_json()) {
        judge(&v.to_string());
        judge(&serde_json::to_string_pretty(&v).unwrap());
    }

    #[test]
    fn policy_shaped_json_never_panics(v in policy_like()) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        judge(&text);
        // The same document as IAM read APIs return it.
        let encoded = percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC).to_string();
        judge(&encoded);
    }

    #[test]
    fn statement_lines_match_the_statements_parsed(v in policy_like()) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        if let Some(Value::Array(items)) = v.get("Statement") {
            prop_assert_eq!(locate::statement_lines(&text).len(), items.len());
        } else {
            prop_assert_eq!(locate::statement_lines(&text).len(), 1);
        }
    }

    #[test]
    fn truncated_policies_never_panic(v in policy_like(), cut in 0usize..400) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        let cut = text.char_indices().map(|(i, _)| i).take_while(|i| *i <= cut).last().unwrap_or(0);
        judge(&text[..cut]);
    }
}
