//! The Lambda's view of an AWS managed policy whose live document cannot be
//! fetched (issue 10): judged by the built-in copy, and the alert says so.

mod pipeline_support;

use doorman::notify::MemoryNotifier;
use doorman::pipeline::{Pipeline, Settings};
use doorman::resolve::{built_in_fallback, ResolveError};
use doorman::rules::RuleId;
use pipeline_support::*;

#[tokio::test]
async fn a_built_in_fallback_is_named_in_the_alert() {
    let arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaRole";
    // What the AWS resolver answers when GetPolicy is denied.
    let policy = built_in_fallback(
        arn,
        ResolveError::Permanent(format!("GetPolicy `{arn}`: AccessDenied: not allowed")),
    )
    .expect("AWSLambdaRole is built in");
    let mut resolver = MemoryResolver::default();
    resolver.managed.insert(arn.to_string(), policy);
    let p = Pipeline::new(resolver, MemoryNotifier::new(), Settings::default());

    let text = serde_json::to_string(&sample("attach-role-policy-admin.json"))
        .unwrap()
        .replace("arn:aws:iam::aws:policy/AdministratorAccess", arn);
    let event: serde_json::Value = serde_json::from_str(&text).unwrap();
    p.handle(&event).await.expect("the invocation succeeds");
    let alerts = p.notifier.take();
    assert_eq!(alerts.len(), 1);
    let f = &alerts[0].body.findings[0];
    assert_eq!(f.rule, RuleId::ResourceWildcard, "{f:?}");
    let doc = f.document.as_deref().unwrap_or_default();
    assert!(doc.contains("built-in copy"), "{doc}");
    assert!(doc.contains("AccessDenied"), "{doc}");
    assert!(
        alerts[0].text.contains("built-in copy"),
        "the message a human reads says it too: {}",
        alerts[0].message
    );
}
