//! No panic on any input: the event decoder and the whole offline pipeline
//! take arbitrary JSON, and samples with arbitrary values in any field.

mod pipeline_support;

use doorman::notify::MemoryNotifier;
use doorman::pipeline::{Pipeline, Settings};
use doorman::resolve::offline::OfflineResolver;
use pipeline_support::sample;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        ".{0,40}".prop_map(Value::String),
        // Strings that look like what the decoder parses.
        prop_oneof![
            Just("AddPermission20150331v2"),
            Just("{\"Statement\":[]}"),
            Just("%7B%22Statement%22%3A%5B%5D%7D"),
            Just("arn:aws:lambda:us-east-1:111122223333:function:f:1"),
            Just("NONE"),
            Just("*"),
            Just("20150331"),
            Just("doorman:ignore"),
            Just("TagResource20170331v2"),
            Just("\u{2028}\u{200b}\u{feff}\u{fdd0}"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z-]{1,12}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn run(event: &Value) {
    let _ = doorman::event::decode(event);
    let p = Pipeline::new(OfflineResolver, MemoryNotifier::new(), Settings::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    if let Ok(ev) = rt.block_on(p.evaluate(event)) {
        if let Some(alert) = ev.alert() {
            assert!(alert.subject.len() <= doorman::alert::SUBJECT_MAX_CHARS);
            assert!(alert.subject.chars().all(|c| (' '..='~').contains(&c)));
            assert!(alert.message.len() < doorman::alert::SNS_MAX_BYTES);
            // Only doorman's own line breaks; nothing invisible from the event.
            assert!(
                !alert
                    .text
                    .chars()
                    .any(|c| c != '\n' && doorman::alert::must_escape(c)),
                "{:?}",
                alert.text
            );
        }
    }
}

const SAMPLES: &[&str] = &[
    "add-permission-public.json",
    "put-role-policy-admin.json",
    "create-function-cross-account-layer.json",
    "create-role-trust-anyone.json",
    "add-layer-version-permission-public.json",
    "tag-role-suppression.json",
    "tag-resource-function-suppression.json",
];
const FIELDS: &[&str] = &[
    "requestParameters",
    "responseElements",
    "userIdentity",
    "eventName",
    "eventSource",
    "errorCode",
    "recipientAccountId",
    "eventID",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_json_never_panics(event in any_json()) {
        run(&event);
    }

    #[test]
    fn samples_with_an_arbitrary_field_never_panic(
        which in 0..SAMPLES.len(),
        field in 0..FIELDS.len(),
        value in any_json(),
        nested in any::<bool>(),
    ) {
        let mut event = sample(SAMPLES[which]);
        let detail = &mut event["detail"];
        if nested && detail[FIELDS[field]].is_object() {
            if let Some(obj) = detail[FIELDS[field]].as_object_mut() {
                let key = obj.keys().next().cloned().unwrap_or_default();
                obj.insert(key, value);
            }
        } else {
            detail[FIELDS[field]] = value;
        }
        run(&event);
    }
}
