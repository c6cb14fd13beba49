//! Organization mode in the pipeline (SPEC §14): an event of a member
//! account is judged with that account's resolver (its doorman-reader), an
//! account doorman cannot read is an `unprocessable-event` naming it, the
//! member side's rules and roles are `guardrail-tampering`, and doorman's
//! own names mean nothing in a member account. A member's daily "audit this
//! account" event runs the scheduled audit in that account, its reports
//! under the account's prefix; alerts carry the account's alias when known.

mod pipeline_support;

use doorman::audit::reconcile::ReconcileSettings;
use doorman::notify::MemoryNotifier;
use doorman::pipeline::org::{MemberAudit, MemberAuditError};
use doorman::pipeline::{Guarded, HandlerError, MemberResolvers, Organization, Pipeline, Settings};
use doorman::resolve::reports::{AccountSource, MemberAccounts, ReportStore};
use doorman::resolve::ResolveError;
use doorman::rules::{RuleId, Severity};
use pipeline_support::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;

const CENTRAL: &str = "999988887777";

/// Member resolvers from a map; every account asked for is recorded.
#[derive(Default)]
struct Members {
    by_account: HashMap<String, Result<MemoryResolver, ResolveError>>,
    asked: Mutex<Vec<String>>,
    /// Account aliases, as `iam:ListAccountAliases` would answer.
    names: HashMap<String, String>,
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

    async fn account_name(&self, account: &str) -> Option<String> {
        self.names.get(account).cloned()
    }
}

/// An account of one role holding an administrator policy, in the AWS CLI
/// layout the audit reads.
struct OneAdmin;

impl AccountSource for OneAdmin {
    async fn collect(&self, dir: &Path) -> Result<(), String> {
        let role = json!({
            "Path": "/", "RoleName": "admin-fn", "RoleId": "AROA0000000000000001",
            "Arn": format!("arn:aws:iam::{ACCOUNT}:role/admin-fn"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}],
            "AttachedManagedPolicies": [], "Tags": []
        });
        let details = json!({"UserDetailList": [], "GroupDetailList": [],
            "RoleDetailList": [role], "Policies": [], "IsTruncated": false});
        std::fs::create_dir_all(dir.join("iam")).map_err(|e| e.to_string())?;
        std::fs::write(
            dir.join("iam/authorization-details.json"),
            details.to_string(),
        )
        .map_err(|e| e.to_string())
    }
}

/// The member accounts the audit reads: `ACCOUNT` is readable, any other
/// answers `refused`; every account asked for is recorded.
struct Accounts {
    refused: ResolveError,
    asked: Mutex<Vec<String>>,
}

impl Accounts {
    fn new() -> Self {
        Accounts {
            refused: ResolveError::Permanent("AssumeRole refused".into()),
            asked: Mutex::default(),
        }
    }
    fn asked(&self) -> Vec<String> {
        self.asked.lock().expect("not poisoned").clone()
    }
}

impl MemberAccounts for Accounts {
    type Source = OneAdmin;

    async fn account(&self, account: &str, _region: &str) -> Result<OneAdmin, ResolveError> {
        self.asked
            .lock()
            .expect("not poisoned")
            .push(account.to_string());
        if account == ACCOUNT {
            Ok(OneAdmin)
        } else {
            Err(self.refused.clone())
        }
    }
}

/// The report bucket, in memory.
#[derive(Default)]
struct Bucket(Mutex<BTreeMap<String, String>>);

impl ReportStore for Bucket {
    async fn keys(&self, prefix: &str) -> Result<Vec<String>, String> {
        let m = self.0.lock().map_err(|e| e.to_string())?;
        Ok(m.keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
    async fn get(&self, key: &str) -> Result<String, String> {
        let m = self.0.lock().map_err(|e| e.to_string())?;
        m.get(key)
            .cloned()
            .ok_or_else(|| format!("no object `{key}`"))
    }
    async fn put(&self, key: &str, body: String, _: &'static str) -> Result<(), String> {
        let mut m = self.0.lock().map_err(|e| e.to_string())?;
        m.insert(key.to_string(), body);
        Ok(())
    }
}

impl Bucket {
    fn keys(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("not poisoned")
            .keys()
            .cloned()
            .collect()
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

/// The Scheduled Event member.yaml's audit rule forwards from `account`, as
/// EventBridge sends it (`detail` is empty).
fn audit_event(account: &str, time: &str) -> Value {
    json!({
        "version": "0",
        "id": format!("53dc4d37-cffa-4f76-80c9-{time}"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time,
        "region": "us-east-1",
        "resources": [format!("arn:aws:events:us-east-1:{account}:rule/doorman-audit")],
        "detail": {}
    })
}

async fn audit(
    p: &OrgPipeline,
    accounts: &Accounts,
    bucket: &Bucket,
    event: &Value,
) -> Result<MemberAudit, MemberAuditError> {
    p.audit_member(accounts, Some(bucket), &ReconcileSettings::default(), event)
        .await
        .expect("a member's audit event")
}

#[tokio::test]
async fn a_members_daily_audit_writes_under_its_prefix_and_names_it_in_the_digest() {
    let mut members = member_resolver();
    members.names.insert(ACCOUNT.into(), "prod-main".into());
    let p = central(members);
    let (accounts, bucket) = (Accounts::new(), Bucket::default());
    let first = audit(
        &p,
        &accounts,
        &bucket,
        &audit_event(ACCOUNT, "2026-11-29T06:00:00Z"),
    )
    .await
    .expect("the audit runs");
    let MemberAudit::Done(outcome) = first else {
        panic!("not audited: {first:?}")
    };
    assert_eq!(accounts.asked(), [ACCOUNT.to_string()]);
    assert_eq!(
        bucket.keys(),
        [
            format!("audit/{ACCOUNT}/2026-11-29T06:00:00Z/report.html"),
            format!("audit/{ACCOUNT}/2026-11-29T06:00:00Z/report.json"),
        ]
    );
    assert_eq!(outcome.previous, None);
    let alerts = p.notifier.take();
    assert_eq!(alerts.len(), 1, "one digest");
    let digest = &alerts[0];
    assert!(
        digest.subject.starts_with(&format!(
            "[doorman] {ACCOUNT} (prod-main) CRITICAL admin-access"
        )),
        "{}",
        digest.subject
    );
    assert_eq!(digest.attributes["account"].value, ACCOUNT);
    assert_eq!(digest.attributes["account_name"].value, "prod-main");
    assert_eq!(digest.body.event.account, ACCOUNT);
    assert!(digest.text.contains("BASELINE"), "{}", digest.text);
    // The report judges the member's account as its own.
    let report: Value = serde_json::from_str(
        &bucket
            .get(&format!("audit/{ACCOUNT}/2026-11-29T06:00:00Z/report.json"))
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(report.to_string().contains("admin-fn"), "{report}");

    // The next day nothing changed: compared with that account's report,
    // nothing new, nothing published. Change events never used the own
    // resolver (it fails every call).
    let second = audit(
        &p,
        &accounts,
        &bucket,
        &audit_event(ACCOUNT, "2026-11-30T06:00:00Z"),
    )
    .await
    .expect("the audit runs");
    let MemberAudit::Done(outcome) = second else {
        panic!("not audited: {second:?}")
    };
    assert_eq!(
        outcome.previous,
        Some(format!("audit/{ACCOUNT}/2026-11-29T06:00:00Z/report.json"))
    );
    assert_eq!(outcome.new, 0);
    assert!(p.notifier.take().is_empty());
}

#[tokio::test]
async fn a_forged_audit_event_assumes_nothing_and_is_unprocessable_naming_the_account() {
    let p = central(member_resolver());
    let (accounts, bucket) = (Accounts::new(), Bucket::default());
    let mut another_rule = audit_event(ACCOUNT, "2026-11-30T06:00:00Z");
    another_rule["resources"] =
        json!([format!("arn:aws:events:us-east-1:{ACCOUNT}:rule/audit-me")]);
    // Another account's rule: its own `doorman-audit` names another account.
    let mut other_account = audit_event("777788889999", "2026-11-30T06:00:00Z");
    other_account["resources"] = json!([format!(
        "arn:aws:events:us-east-1:{ACCOUNT}:rule/doorman-audit"
    )]);
    let mut not_an_account = audit_event(ACCOUNT, "2026-11-30T06:00:00Z");
    not_an_account["account"] = json!("1111/../2222");
    for event in [another_rule, other_account, not_an_account] {
        let out = audit(&p, &accounts, &bucket, &event)
            .await
            .expect("succeeds");
        assert!(matches!(out, MemberAudit::Unprocessable(_)), "{out:?}");
        let alerts = p.notifier.take();
        assert_eq!(alerts.len(), 1, "{event}");
        let f = &alerts[0].body.findings[0];
        assert_eq!(f.rule, RuleId::UnprocessableEvent);
        let account = event["account"].as_str().unwrap();
        assert!(f.message.contains(&format!("`{account}`")), "{}", f.message);
    }
    assert!(
        accounts.asked().is_empty(),
        "no role assumed for a forged event"
    );
    assert!(bucket.keys().is_empty());
}

#[tokio::test]
async fn a_member_without_the_reader_role_is_unprocessable_and_a_throttle_is_retried() {
    let p = central(member_resolver());
    let bucket = Bucket::default();
    let mut accounts = Accounts::new();
    accounts.refused = ResolveError::Permanent(
        "doorman cannot read account 777788889999: AccessDenied. The doorman member stack (StackSet instance of member.yaml) is missing in account 777788889999".into(),
    );
    let event = audit_event("777788889999", "2026-11-30T06:00:00Z");
    let out = audit(&p, &accounts, &bucket, &event)
        .await
        .expect("succeeds");
    assert!(matches!(out, MemberAudit::Unprocessable(_)), "{out:?}");
    let alerts = p.notifier.take();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].body.findings[0].rule, RuleId::UnprocessableEvent);
    assert!(alerts[0].body.findings[0]
        .message
        .contains("StackSet instance"));
    assert!(
        alerts[0].subject.starts_with("[doorman] 777788889999 "),
        "{}",
        alerts[0].subject
    );
    assert_eq!(alerts[0].attributes["account"].value, "777788889999");

    accounts.refused = ResolveError::Transient("AssumeRole: Throttling".into());
    let err = audit(&p, &accounts, &bucket, &event)
        .await
        .expect_err("retried");
    assert!(
        matches!(
            err,
            MemberAuditError::Handler(HandlerError::Transient { .. })
        ),
        "{err}"
    );
    assert!(p.notifier.take().is_empty());
    assert!(bucket.keys().is_empty());
}

#[tokio::test]
async fn audit_events_run_nothing_outside_organization_mode_or_without_a_bucket() {
    let accounts = Accounts::new();
    let event = audit_event(ACCOUNT, "2026-11-30T06:00:00Z");
    // Single account: not a member's audit (the pipeline ignores it).
    let single = Pipeline::new(
        MemoryResolver::default(),
        MemoryNotifier::new(),
        Settings::default(),
    );
    assert!(single
        .audit_member(
            &accounts,
            Some(&Bucket::default()),
            &ReconcileSettings::default(),
            &event
        )
        .await
        .is_none());
    let evaluation = single.handle(&event).await.expect("succeeds");
    assert!(evaluation.alert().is_none());
    // The central account's own schedule is the reconcile's, not a member's.
    let p = central(member_resolver());
    assert!(p
        .audit_member(
            &accounts,
            Some(&Bucket::default()),
            &ReconcileSettings::default(),
            &audit_event(CENTRAL, "2026-11-30T06:00:00Z")
        )
        .await
        .is_none());
    // No report bucket (AuditSchedule empty): nothing read, nothing sent.
    let out = p
        .audit_member::<_, Bucket>(&accounts, None, &ReconcileSettings::default(), &event)
        .await
        .expect("a member's audit event")
        .expect("succeeds");
    assert!(matches!(out, MemberAudit::NoReportBucket), "{out:?}");
    assert!(accounts.asked().is_empty());
    assert!(p.notifier.take().is_empty());
}

#[tokio::test]
async fn change_alerts_carry_the_accounts_alias_when_known() {
    let mut members = member_resolver();
    members.names.insert(ACCOUNT.into(), "prod-main".into());
    let p = central(members);
    let alert = one_alert(&p, &sample("attach-role-policy-admin.json")).await;
    assert_eq!(
        alert.subject,
        format!("[doorman] {ACCOUNT} (prod-main) CRITICAL broad-managed-policy on orders-processor-role")
    );
    assert_eq!(alert.attributes["account_name"].value, "prod-main");
    assert_eq!(alert.body.event.account_name.as_deref(), Some("prod-main"));
    assert!(
        alert
            .text
            .contains(&format!("Account: {ACCOUNT} \"prod-main\"")),
        "{}",
        alert.text
    );
    // Unknown name: the alert is as before, no name anywhere.
    let p = central(member_resolver());
    let alert = one_alert(&p, &sample("attach-role-policy-admin.json")).await;
    assert!(!alert.attributes.contains_key("account_name"));
    assert!(!alert.message.contains("account_name"));
}

// --- the StackSet and its instances (issue 14 point 3) -----------------------

/// The StackSet instance's stack in `ACCOUNT`, eu-west-1, by name and by id
/// (CloudFormation names it `StackSet-<StackSet name>-<uuid>`).
const INSTANCE: &str = "StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9";
fn instance_id() -> String {
    format!("arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/{INSTANCE}/5e6f7a80-91a2-11ef-b3c4-0a1b2c3d4e5f")
}

/// The role a service-managed StackSet acts through in a member account.
const STACKSETS_EXEC: &str = "stacksets-exec-8b1d0c4f6e2a4b7c9d3e5f60718293a4";

/// A CloudFormation call in `account` (eu-west-1) by role `role` (session
/// `session`), as CloudTrail records it and EventBridge delivers it.
fn cloudformation(account: &str, name: &str, role: &str, session: &str, req: Value) -> Value {
    let by_service = role.starts_with("stacksets-exec-");
    let mut identity = json!({
        "type": "AssumedRole",
        "principalId": format!("AROAY4EXAMPLE7ROLEID:{session}"),
        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
        "accountId": account,
        "accessKeyId": "ASIAY4EXAMPLEKEYID01",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAY4EXAMPLE7ROLEID",
                "arn": format!("arn:aws:iam::{account}:role/{role}"),
                "accountId": account,
                "userName": role
            },
            "attributes": {"creationDate": "2026-11-30T09:12:03Z", "mfaAuthenticated": "false"}
        }
    });
    if by_service {
        identity["invokedBy"] = json!("cloudformation.amazonaws.com");
    }
    let (ip, agent) = if by_service {
        (
            "cloudformation.amazonaws.com",
            "cloudformation.amazonaws.com",
        )
    } else {
        (
            "198.51.100.23",
            "aws-cli/2.22.4 md/command#cloudformation.delete-stack",
        )
    };
    json!({
        "version": "0",
        "id": "9b2c4e7a-0d1f-4c3b-a5e6-7f8091a2b3c4",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.cloudformation",
        "account": account,
        "time": "2026-11-30T09:14:27Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "eventVersion": "1.10",
            "userIdentity": identity,
            "eventTime": "2026-11-30T09:14:27Z",
            "eventSource": "cloudformation.amazonaws.com",
            "eventName": name,
            "awsRegion": "eu-west-1",
            "sourceIPAddress": ip,
            "userAgent": agent,
            "requestParameters": req,
            "responseElements": null,
            "requestID": "3f6a2b1c-5d4e-4f70-8a9b-0c1d2e3f4a5b",
            "eventID": format!("c1d2e3f4-a5b6-4c7d-8e9f-{name:0>12.12}"),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": account,
            "eventCategory": "Management",
            "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": "cloudformation.eu-west-1.amazonaws.com"}
        }
    })
}

/// The messages of the evaluation's `guardrail-tampering` findings.
fn tampering_findings(evaluation: &doorman::pipeline::Evaluation) -> Vec<String> {
    evaluation
        .alert()
        .map(|a| {
            a.body
                .findings
                .iter()
                .filter(|f| f.rule == RuleId::GuardrailTampering)
                .map(|f| f.message.clone())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn deleting_or_updating_a_members_stackset_instance_is_tampering_naming_the_account() {
    let p = central(member_resolver());
    for (name, role, req) in [
        // An administrator of the member removes the instance by hand...
        (
            "DeleteStack",
            "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
            json!({"stackName": INSTANCE}),
        ),
        // ...or the StackSet does (DeleteStackInstances, or the account
        // left the targets): the account goes dark either way.
        (
            "DeleteStack",
            STACKSETS_EXEC,
            json!({"stackName": instance_id()}),
        ),
        // An update by anyone but the StackSet: e.g. pointing the
        // forwarding at another bus.
        (
            "UpdateStack",
            "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
            json!({
                "stackName": instance_id(),
                "usePreviousTemplate": true,
                "parameters": [
                    {"parameterKey": "CentralBusArn", "parameterValue": "arn:aws:events:eu-west-1:111122223333:event-bus/default"},
                    {"parameterKey": "CentralRoleArn", "usePreviousValue": true},
                    {"parameterKey": "OrganizationId", "usePreviousValue": true}
                ],
                "capabilities": ["CAPABILITY_NAMED_IAM"]
            }),
        ),
        // The same through a change set (`aws cloudformation deploy`).
        (
            "ExecuteChangeSet",
            "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
            json!({
                "changeSetName": format!("arn:aws:cloudformation:eu-west-1:{ACCOUNT}:changeSet/awscli-cloudformation-package-deploy-1764493200/0d9c8b7a-6f5e-4d3c-b2a1-0f9e8d7c6b5a"),
                "stackName": INSTANCE
            }),
        ),
    ] {
        let event = cloudformation(ACCOUNT, name, role, "alice", req);
        let alert = one_alert(&p, &event).await;
        let f = &alert.body.findings[0];
        assert_eq!(f.rule, RuleId::GuardrailTampering, "{name} by {role}");
        assert_eq!(f.severity, Severity::Critical, "{name} by {role}");
        assert!(
            f.message.contains(&format!("in account {ACCOUNT}")),
            "{}",
            f.message
        );
        assert!(f.message.contains("StackSet instance"), "{}", f.message);
        // (SNS's subject limit clips the long name.)
        assert!(
            alert.subject.starts_with(&format!(
                "[doorman] {ACCOUNT} CRITICAL guardrail-tampering on StackSet-doorman-member-"
            )),
            "{}",
            alert.subject
        );
    }
    // Only tampering was judged: no member resolver was needed to read a
    // role or function.
    assert!(p.notifier.take().is_empty());
}

#[tokio::test]
async fn the_stacksets_own_update_of_an_instance_and_other_stacks_are_not_tampering() {
    let p = central(member_resolver());
    // The StackSet rolling an update out: judged where it was made
    // (UpdateStackSet), and each rule or role it changes is forwarded too.
    let update = cloudformation(
        ACCOUNT,
        "UpdateStack",
        STACKSETS_EXEC,
        "b3c1f2d4-stacksets",
        json!({
            "stackName": instance_id(),
            "templateURL": "https://s3.eu-west-1.amazonaws.com/cf-templates-stacksets/member.yaml",
            "capabilities": ["CAPABILITY_NAMED_IAM"]
        }),
    );
    let evaluation = p.handle(&update).await.expect("succeeds");
    assert!(evaluation.alert().is_none(), "{:?}", evaluation.alert());
    // Someone else's stacks, and near misses of the instance's name.
    for stack in [
        "orders-api",
        "StackSet-doorman-member-old-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
        "StackSet-orders-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
    ] {
        let event = cloudformation(
            ACCOUNT,
            "DeleteStack",
            "admin",
            "alice",
            json!({"stackName": stack}),
        );
        let evaluation = p.handle(&event).await.expect("succeeds");
        assert!(
            tampering_findings(&evaluation).is_empty(),
            "{stack}: {:?}",
            evaluation.alert()
        );
    }
    // A denied delete of the instance: someone tried (low).
    let mut denied = cloudformation(
        ACCOUNT,
        "DeleteStack",
        "developer",
        "mallory",
        json!({"stackName": INSTANCE}),
    );
    denied["detail"]["errorCode"] = json!("AccessDenied");
    denied["detail"]["errorMessage"] = json!("User: arn:aws:sts::111122223333:assumed-role/developer/mallory is not authorized to perform: cloudformation:DeleteStack");
    let alert = one_alert(&p, &denied).await;
    assert_eq!(alert.body.findings[0].rule, RuleId::GuardrailTampering);
    assert_eq!(alert.highest_severity(), Severity::Low);
    assert!(alert.subject.contains(ACCOUNT), "{}", alert.subject);
}

/// What CloudTrail records in the account the StackSet lives in (the
/// central stack's: the delegated administrator, `callAs`).
fn stackset_calls() -> Vec<(&'static str, Value)> {
    let set = "doorman-member";
    vec![
        (
            "DeleteStackInstances",
            json!({
                "stackSetName": set,
                "deploymentTargets": {"organizationalUnitIds": ["ou-ab12-cdef3456"]},
                "regions": ["eu-west-1", "eu-central-1"],
                "retainStacks": false,
                "operationId": "4d5e6f70-8192-4a3b-bc4d-5e6f708192a3",
                "callAs": "DELEGATED_ADMIN"
            }),
        ),
        (
            "UpdateStackInstances",
            json!({
                "stackSetName": format!("{set}:7c1d1f6a-2b3c-4d5e-8f90-a1b2c3d4e5f6"),
                "deploymentTargets": {"accounts": [ACCOUNT]},
                "regions": ["us-east-1"],
                "parameterOverrides": [{"parameterKey": "ReaderRegion", "parameterValue": "ap-south-1"}],
                "callAs": "DELEGATED_ADMIN"
            }),
        ),
        (
            "UpdateStackSet",
            json!({
                "stackSetName": set,
                "usePreviousTemplate": true,
                "parameters": [{"parameterKey": "CentralBusArn", "parameterValue": "arn:aws:events:us-east-1:444455556666:event-bus/elsewhere"}],
                "permissionModel": "SERVICE_MANAGED",
                "callAs": "DELEGATED_ADMIN"
            }),
        ),
        (
            "StopStackSetOperation",
            json!({
                "stackSetName": set,
                "operationId": "4d5e6f70-8192-4a3b-bc4d-5e6f708192a3",
                "callAs": "DELEGATED_ADMIN"
            }),
        ),
        (
            "DeleteStackSet",
            json!({"stackSetName": set, "callAs": "DELEGATED_ADMIN"}),
        ),
    ]
}

#[tokio::test]
async fn calls_on_the_stackset_in_doormans_account_are_critical_tampering() {
    let p = central(member_resolver());
    for (name, req) in stackset_calls() {
        let event = cloudformation(
            CENTRAL,
            name,
            "AWSReservedSSO_AdministratorAccess_9f8e7d6c5b4a3928",
            "bob",
            req,
        );
        let alert = one_alert(&p, &event).await;
        let f = &alert.body.findings[0];
        assert_eq!(f.rule, RuleId::GuardrailTampering, "{name}");
        assert_eq!(f.severity, Severity::Critical, "{name}");
        assert!(
            f.message
                .contains("the StackSet that deploys doorman's member side"),
            "{}",
            f.message
        );
        // doorman's own account: the subject names no member.
        assert!(!alert.subject.contains(CENTRAL), "{}", alert.subject);
        assert!(
            alert
                .subject
                .contains("guardrail-tampering on doorman-member"),
            "{}",
            alert.subject
        );
    }
    // Where a call reaches is in the message.
    let (name, req) = stackset_calls().remove(0);
    let alert = one_alert(&p, &cloudformation(CENTRAL, name, "admin", "bob", req)).await;
    let m = &alert.body.findings[0].message;
    for part in [
        "`ou-ab12-cdef3456`",
        "`eu-west-1`",
        "`eu-central-1`",
        "`DELEGATED_ADMIN`",
    ] {
        assert!(m.contains(part), "{part} not in {m}");
    }
    // A failed attempt is low.
    let (name, req) = stackset_calls().remove(4);
    let mut denied = cloudformation(CENTRAL, name, "developer", "mallory", req);
    denied["detail"]["errorCode"] = json!("AccessDenied");
    let alert = one_alert(&p, &denied).await;
    assert_eq!(alert.body.findings[0].rule, RuleId::GuardrailTampering);
    assert_eq!(alert.highest_severity(), Severity::Low);
}

#[tokio::test]
async fn other_stacksets_a_members_stacksets_and_single_account_mode_are_not_tampering() {
    let p = central(member_resolver());
    for (name, mut req) in stackset_calls() {
        // Another StackSet of doorman's account.
        req["stackSetName"] = json!("landing-zone-baseline");
        let evaluation = p
            .handle(&cloudformation(CENTRAL, name, "admin", "bob", req.clone()))
            .await
            .expect("succeeds");
        assert!(tampering_findings(&evaluation).is_empty(), "{name}");
        // A member's own StackSet of the same name is not doorman's.
        req["stackSetName"] = json!("doorman-member");
        let evaluation = p
            .handle(&cloudformation(ACCOUNT, name, "admin", "bob", req.clone()))
            .await
            .expect("succeeds");
        assert!(
            tampering_findings(&evaluation).is_empty(),
            "{name} in a member"
        );
        // Without an organization there is no StackSet to guard.
        let single = Pipeline::new(
            MemoryResolver::default(),
            MemoryNotifier::new(),
            Settings::default(),
        );
        let evaluation = single
            .handle(&cloudformation(ACCOUNT, name, "admin", "bob", req))
            .await
            .expect("succeeds");
        assert!(
            evaluation.alert().is_none(),
            "{name} in single-account mode"
        );
    }
}

#[tokio::test]
async fn the_rule_that_watches_the_stackset_is_doormans_in_its_own_account_only() {
    let p = central(member_resolver());
    let event = in_account(
        "tamper-delete-rule.json",
        CENTRAL,
        json!({"name": "doorman-stackset-tampering"}),
    );
    let alert = one_alert(&p, &event).await;
    let f = &alert.body.findings[0];
    assert_eq!(f.rule, RuleId::GuardrailTampering);
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.message.contains("StackSet tamper rule"), "{}", f.message);
    // A member's rule of that name is the member's own business.
    let event = in_account(
        "tamper-delete-rule.json",
        ACCOUNT,
        json!({"name": "doorman-stackset-tampering"}),
    );
    let evaluation = p.handle(&event).await.expect("succeeds");
    assert!(
        tampering_findings(&evaluation).is_empty(),
        "{:?}",
        evaluation.alert()
    );
}
