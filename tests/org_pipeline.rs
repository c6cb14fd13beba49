//! Organization mode in the pipeline (SPEC §14): an event of a member
//! account is judged with that account's resolver (its doorman-reader), an
//! account doorman cannot read is an `unprocessable-event` naming it, the
//! member side's rules and roles are `guardrail-tampering`, and doorman's
//! own names mean nothing in a member account.

mod pipeline_support;

use doorman::notify::MemoryNotifier;
use doorman::pipeline::{Guarded, HandlerError, MemberResolvers, Organization, Pipeline, Settings};
use doorman::resolve::ResolveError;
use doorman::rules::{RuleId, Severity};
use pipeline_support::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;

const CENTRAL: &str = "999988887777";

/// Member resolvers from a map; every account asked for is recorded.
#[derive(Default)]
struct Members {
    by_account: HashMap<String, Result<MemoryResolver, ResolveError>>,
    asked: Mutex<Vec<String>>,
}

impl MemberResolvers for Members {
    type Resolver = MemoryResolver;

    async fn resolver_for(
        &self,
        account: &str,
        _region: &str,
    ) -> Result<MemoryResolver, ResolveError> {
        self.asked
            .lock()
            .expect("not poisoned")
            .push(account.to_string());
        self.by_account.get(account).cloned().unwrap_or_else(|| {
            Err(ResolveError::Permanent(format!(
                "no resolver for account {account} in this test"
            )))
        })
    }
}

type OrgPipeline = Pipeline<MemoryResolver, MemoryNotifier, Members>;

/// A central doorman whose own resolver fails every call as transient, so
/// a test passes only if member events never reach it.
fn central(members: Members) -> OrgPipeline {
    let own = MemoryResolver {
        fail_with: Some(ResolveError::Transient(
            "the central account's resolver was used".into(),
        )),
        ..MemoryResolver::default()
    };
    let settings = Settings {
        guarded: Guarded {
            change_rule_name: Some("doorman-changes".into()),
            tamper_rule_name: Some("doorman-tampering".into()),
            role_name: Some("doorman-DoormanRole-Q1W2E3R4T5Y6".into()),
            ..Guarded::default()
        },
        ..Settings::default()
    };
    Pipeline::new(own, MemoryNotifier::new(), settings).for_organization(
        Organization {
            id: "o-a1b2c3d4e5".into(),
            own_account: CENTRAL.into(),
            name_prefix: "doorman".into(),
        },
        members,
    )
}

fn member_resolver() -> Members {
    let mut m = Members::default();
    m.by_account.insert(
        ACCOUNT.into(),
        Ok(MemoryResolver::default()
            .with_aws_managed(&["arn:aws:iam::aws:policy/AdministratorAccess"])),
    );
    m
}

/// `sample` moved to `account`, with request parameters `params` merged in.
fn in_account(name: &str, account: &str, params: Value) -> Value {
    let mut e = sample(name);
    e["account"] = json!(account);
    e["detail"]["recipientAccountId"] = json!(account);
    if let (Some(req), Some(set)) = (
        e["detail"]["requestParameters"].as_object_mut(),
        params.as_object(),
    ) {
        for (k, v) in set {
            req.insert(k.clone(), v.clone());
        }
    }
    e
}

async fn one_alert(p: &OrgPipeline, event: &Value) -> doorman::alert::Alert {
    p.handle(event).await.expect("the invocation succeeds");
    let mut alerts = p.notifier.take();
    assert_eq!(alerts.len(), 1, "exactly one alert");
    alerts.remove(0)
}

#[tokio::test]
async fn a_member_event_is_judged_in_the_member_account_and_names_it() {
    let p = central(member_resolver());
    let alert = one_alert(&p, &sample("attach-role-policy-admin.json")).await;
    assert_eq!(
        p.members.asked.lock().unwrap().as_slice(),
        [ACCOUNT.to_string()]
    );
    assert_eq!(alert.highest_severity(), Severity::Critical);
    assert_eq!(
        alert.subject,
        format!("[doorman] {ACCOUNT} CRITICAL broad-managed-policy on orders-processor-role")
    );
    assert_eq!(alert.attributes["account"].value, ACCOUNT);
    assert!(alert.text.contains(&format!("Account: {ACCOUNT}")));
}

#[tokio::test]
async fn the_central_accounts_own_events_use_its_own_resolver() {
    let p = central(member_resolver());
    let event = in_account("attach-role-policy-admin.json", CENTRAL, json!({}));
    let err = p.handle(&event).await.expect_err("the own resolver fails");
    assert!(matches!(err, HandlerError::Transient { .. }), "{err}");
    assert!(p.members.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_account_doorman_cannot_read_is_an_unprocessable_event_naming_it() {
    let mut members = Members::default();
    members.by_account.insert(
        ACCOUNT.into(),
        Err(ResolveError::Permanent(format!(
            "cannot assume doorman-reader in account {ACCOUNT}: AccessDenied: not authorized"
        ))),
    );
    let p = central(members);
    let alert = one_alert(&p, &sample("attach-role-policy-admin.json")).await;
    let f = &alert.body.findings[0];
    assert_eq!(f.rule, RuleId::UnprocessableEvent);
    assert!(
        f.message.contains(&format!("account {ACCOUNT}")),
        "{}",
        f.message
    );
    assert!(alert.subject.starts_with(&format!("[doorman] {ACCOUNT} ")));
}

#[tokio::test]
async fn a_transient_failure_to_reach_a_member_is_retried() {
    let mut members = Members::default();
    members.by_account.insert(
        ACCOUNT.into(),
        Err(ResolveError::Transient("AssumeRole: Throttling".into())),
    );
    let p = central(members);
    let err = p
        .handle(&sample("attach-role-policy-admin.json"))
        .await
        .expect_err("retried");
    assert!(matches!(err, HandlerError::Transient { .. }), "{err}");
    assert!(p.notifier.take().is_empty());
}

#[tokio::test]
async fn the_member_side_is_guarded_and_doormans_own_names_are_not_in_a_member() {
    let mut members = member_resolver();
    members
        .by_account
        .insert(CENTRAL.into(), Err(ResolveError::Permanent("x".into())));
    let p = central(members);
    for (sample_name, params) in [
        (
            "tamper-delete-rule.json",
            json!({"name": "doorman-forward-changes"}),
        ),
        ("tamper-delete-rule.json", json!({"name": "doorman-audit"})),
        (
            "tamper-delete-role.json",
            json!({"roleName": "doorman-reader"}),
        ),
        (
            "tamper-delete-role.json",
            json!({"roleName": "doorman-forward-eu-west-1"}),
        ),
    ] {
        let event = in_account(sample_name, ACCOUNT, params.clone());
        let alert = one_alert(&p, &event).await;
        let f = &alert.body.findings[0];
        assert_eq!(f.rule, RuleId::GuardrailTampering, "{params}");
        assert_eq!(f.severity, Severity::Critical, "{params}");
        assert!(
            f.message.contains(&format!("in account {ACCOUNT}")),
            "{}",
            f.message
        );
    }
    // The central stack's names in a member account are someone else's.
    for (sample_name, params) in [
        (
            "tamper-delete-rule.json",
            json!({"name": "doorman-changes"}),
        ),
        (
            "tamper-delete-role.json",
            json!({"roleName": "doorman-DoormanRole-Q1W2E3R4T5Y6"}),
        ),
    ] {
        let event = in_account(sample_name, ACCOUNT, params.clone());
        let evaluation = p.handle(&event).await.expect("succeeds");
        let tampering = evaluation.alert().is_some_and(|a| {
            a.body
                .findings
                .iter()
                .any(|f| f.rule == RuleId::GuardrailTampering)
        });
        assert!(!tampering, "{params}: {:?}", evaluation.alert());
    }
    // ...and in the central account they are doorman's.
    let event = in_account("tamper-delete-rule.json", CENTRAL, json!({}));
    let alert = one_alert(&p, &event).await;
    assert_eq!(alert.body.findings[0].rule, RuleId::GuardrailTampering);
    assert!(!alert.subject.contains(CENTRAL), "{}", alert.subject);
}

#[tokio::test]
async fn a_failed_call_on_the_member_side_is_a_low_tampering_attempt() {
    let p = central(member_resolver());
    let mut event = in_account(
        "tamper-delete-role.json",
        ACCOUNT,
        json!({"roleName": "doorman-reader"}),
    );
    event["detail"]["errorCode"] = json!("AccessDenied");
    let alert = one_alert(&p, &event).await;
    assert_eq!(alert.body.findings[0].rule, RuleId::GuardrailTampering);
    assert_eq!(alert.highest_severity(), Severity::Low);
    assert!(alert.subject.contains(ACCOUNT));
}

#[tokio::test]
async fn a_members_daily_audit_event_is_ignored_until_the_audit_runs_on_it() {
    // The Scheduled Event member.yaml's audit rule forwards, as EventBridge
    // sends it (`detail` is empty).
    let event = json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-30T06:00:00Z",
        "region": "us-east-1",
        "resources": [format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/doorman-audit")],
        "detail": {}
    });
    let p = central(member_resolver());
    let evaluation = p.handle(&event).await.expect("succeeds");
    assert!(evaluation.alert().is_none());
    assert!(p.notifier.take().is_empty());
    assert!(
        p.members.asked.lock().unwrap().is_empty(),
        "no AssumeRole for an event that is not judged"
    );
}
