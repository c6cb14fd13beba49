//! Organization mode on the emulator with two accounts (SPEC §14): the
//! central doorman (account 123456789012, where its topic is) receives a
//! member account's CloudTrail event, assumes the member's doorman-reader
//! through moto's STS, reads the member's IAM with those credentials and
//! publishes the alert with the member's account; a second event of the
//! same account reuses the credentials (one AssumeRole); deleting a
//! member's forwarding rule is tampering naming the account; the member's
//! daily "audit this account" event makes the central function audit the
//! member through the same reader role, write the reports under the
//! member's prefix in the central bucket and publish a digest naming the
//! member (id and alias); a forged one assumes nothing; a member account
//! without doorman-reader is an `unprocessable-event` naming the account
//! and the missing StackSet instance.
//!
//! moto switches accounts by credentials: keys from an AssumeRole into a
//! role of account X act in account X. The tests set member accounts up
//! through `OrganizationAccountAccessRole`, the role AWS Organizations
//! creates in every account it creates; any other role must exist to be
//! assumed, as in AWS (tests/e2e/moto_server.py restores that check).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sqs::config::{Credentials, SharedCredentialsProvider};
use serde_json::{json, Value};

use crate::aws::s3;
use crate::aws::{Aws, ACCESS_KEY_ID, ACCOUNT, REGION, SECRET_ACCESS_KEY};
use crate::events;
use crate::reconcile::{object, BUCKET};
use crate::runtime::Outcome;
use crate::setup::{self, Stack};

const MEMBER: &str = "111122223333";

fn config(endpoint: &str, credentials: Credentials) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// Clients acting in `account`, through an AssumeRole into it.
pub(crate) async fn clients_in(endpoint: &str, account: &str) -> Aws {
    let central = config(
        endpoint,
        Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "e2e"),
    );
    let out = aws_sdk_sts::Client::new(&central)
        .assume_role()
        .role_arn(format!(
            "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        ))
        .role_session_name("e2e-setup")
        .send()
        .await
        .unwrap_or_else(|e| panic!("assume a role in {account}: {e:?}"));
    let c = out.credentials().expect("credentials");
    let member = config(
        endpoint,
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "e2e-member",
        ),
    );
    Aws {
        iam: aws_sdk_iam::Client::new(&member),
        lambda: aws_sdk_lambda::Client::new(&member),
        sns: aws_sdk_sns::Client::new(&member),
        sqs: aws_sdk_sqs::Client::new(&member),
    }
}

/// `event` as recorded in the member account.
fn in_member(mut event: Value) -> Value {
    event["account"] = json!(MEMBER);
    event["detail"]["recipientAccountId"] = json!(MEMBER);
    event["detail"]["userIdentity"]["accountId"] = json!(MEMBER);
    event
}

#[tokio::test]
async fn a_member_event_is_judged_in_the_member_account_with_one_assume_role() {
    let mut s = Stack::start_with(
        "org-member",
        &[
            ("DOORMAN_ORGANIZATION_ID", "o-a1b2c3d4e5".to_string()),
            ("DOORMAN_NAME_PREFIX", "doorman".to_string()),
        ],
        1,
    )
    .await;
    let member = clients_in(&s.moto.endpoint(), MEMBER).await;
    // The member side: doorman-reader (member.yaml), and a role with a
    // customer policy that allows everything, in the member account only.
    setup::create_role(&member, "doorman-reader", &[]).await;
    setup::create_role(&member, "orders-fn-role", &[]).await;
    let policy = setup::create_policy(&member, "orders-everything", &setup::admin_document()).await;
    assert!(policy.contains(&format!(":{MEMBER}:")), "{policy}");
    let in_central = s.aws.iam.get_policy().policy_arn(&policy).send().await;
    assert!(
        in_central.is_err(),
        "the policy must exist only in the member account"
    );
    setup::attach_role_policy(&member, "orders-fn-role", &policy).await;

    // The event names the policy only: its document must come from the
    // member account's IAM.
    let first = in_member(events::attach_role_policy("orders-fn-role", &policy));
    s.function.invoke_ok(&first).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(alert.findings()["admin-access"], "critical", "{alert:#?}");
    assert_eq!(alert.attribute("account"), MEMBER);
    assert_eq!(alert.message["event"]["account"], json!(MEMBER));
    let subject = alert.subject.as_deref().expect("subject");
    assert!(
        subject.starts_with(&format!("[doorman] {MEMBER} ")),
        "{subject}"
    );

    let second = in_member(events::attach_role_policy("orders-fn-role", &policy));
    s.function.invoke_ok(&second).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(alert.findings()["admin-access"], "critical");

    // One AssumeRole for both events of the account (doorman logs each).
    let log = s.function.log_tail();
    let assumed = log
        .matches("assumed the member account's reader role")
        .count();
    assert_eq!(assumed, 1, "lambda log:\n{log}");
    assert!(log.contains(&format!("arn:aws:iam::{MEMBER}:role/doorman-reader")));

    // The central account's own events are still read in the central
    // account, with no AssumeRole.
    setup::create_role(&s.aws, "central-role", &[]).await;
    let central_policy =
        setup::create_policy(&s.aws, "central-everything", &setup::admin_document()).await;
    assert!(central_policy.contains(&format!(":{ACCOUNT}:")));
    setup::attach_role_policy(&s.aws, "central-role", &central_policy).await;
    s.function
        .invoke_ok(&events::attach_role_policy("central-role", &central_policy))
        .await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(alert.findings()["admin-access"], "critical");
    assert_eq!(alert.attribute("account"), ACCOUNT);
    let log = s.function.log_tail();
    assert_eq!(
        log.matches("assumed the member account's reader role")
            .count(),
        1
    );
}

/// A member account whose StackSet instance is missing (no doorman-reader):
/// its event is one `unprocessable-event` naming the account and what to
/// restore, and nothing is read there.
#[tokio::test]
async fn a_member_without_the_reader_role_is_an_unprocessable_event_naming_it() {
    const BARE: &str = "555566667777";
    let mut s = Stack::start_with(
        "org-no-reader",
        &[
            ("DOORMAN_ORGANIZATION_ID", "o-a1b2c3d4e5".to_string()),
            ("DOORMAN_NAME_PREFIX", "doorman".to_string()),
        ],
        1,
    )
    .await;
    let member = clients_in(&s.moto.endpoint(), BARE).await;
    setup::create_role(&member, "orders-fn-role", &[]).await;
    let policy = setup::create_policy(&member, "orders-everything", &setup::admin_document()).await;
    let mut event = in_member(events::attach_role_policy("orders-fn-role", &policy));
    event["account"] = json!(BARE);
    event["detail"]["recipientAccountId"] = json!(BARE);
    event["detail"]["userIdentity"]["accountId"] = json!(BARE);
    s.function.invoke_ok(&event).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(
        alert.findings()["unprocessable-event"],
        "medium",
        "{alert:#?}"
    );
    assert_eq!(alert.attribute("account"), BARE);
    let text = alert.message.to_string();
    assert!(
        text.contains(&format!("doorman cannot read account {BARE}"))
            && text.contains("StackSet instance of member.yaml")
            && text.contains("AccessDenied"),
        "{text}"
    );
    assert!(
        !text.contains("admin-access"),
        "nothing is judged without the member's documents: {text}"
    );
}

/// A malformed organization id stops the function before any event,
/// naming the variable and the problem.
#[tokio::test]
async fn a_bad_organization_id_fails_at_start_naming_the_variable() {
    let mut function = crate::lambda::Function::start(
        "org-bad-id",
        "http://127.0.0.1:9",
        &[
            (
                "DOORMAN_TOPIC_ARN",
                format!("arn:aws:sns:{REGION}:{ACCOUNT}:doorman-alerts"),
            ),
            ("DOORMAN_ORGANIZATION_ID", "org-1".to_string()),
        ],
        1,
    )
    .await;
    let (status, log) = function.exit(std::time::Duration::from_secs(20)).await;
    assert!(!status.success(), "exit status {status}");
    assert!(
        log.contains("bad configuration: `DOORMAN_ORGANIZATION_ID`: `org-1`"),
        "log:\n{log}"
    );
    assert_eq!(function.runtime.delivered(), 0, "no event may be taken");
}

/// Deleting a member's forwarding rule (a real CloudTrail DeleteRule
/// record, moved to the member account) is critical guardrail-tampering
/// naming that account; the central stack's rule name in the member account
/// is someone else's rule.
#[tokio::test]
async fn deleting_a_members_forwarding_rule_is_tampering_naming_the_account() {
    let mut s = Stack::start_with(
        "org-tamper",
        &[("DOORMAN_ORGANIZATION_ID", "o-a1b2c3d4e5".to_string())],
        1,
    )
    .await;
    // The member's StackSet instance: its doorman-reader, which doorman
    // assumes to read the account (the first alert's alias, and the rule).
    let member = clients_in(&s.moto.endpoint(), MEMBER).await;
    setup::create_role(&member, "doorman-reader", &[]).await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/events/tamper-delete-rule.json"
    );
    let sample: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the sample")).expect("JSON");
    let mut event = in_member(sample);
    event["detail"]["requestParameters"]["name"] = json!("doorman-forward-changes");
    event["detail"]["eventID"] = json!(events::new_id());
    s.function.invoke_ok(&event).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(
        alert.findings()["guardrail-tampering"],
        "critical",
        "{alert:#?}"
    );
    assert_eq!(alert.attribute("account"), MEMBER);
    let message = alert.message["findings"][0]["message"]
        .as_str()
        .expect("a message");
    assert!(
        message.contains(&format!("in account {MEMBER}")),
        "{message}"
    );

    event["detail"]["requestParameters"]["name"] = json!("doorman-changes");
    event["detail"]["eventID"] = json!(events::new_id());
    s.function.invoke_ok(&event).await;
    s.assert_no_alert("the central rule's name in a member account")
        .await;
}

/// `tamper-delete-rule.json` turned into a CloudFormation call: `name`
/// with `request`.
fn cloudformation_call(mut event: Value, name: &str, request: Value) -> Value {
    event["source"] = json!("aws.cloudformation");
    event["detail"]["eventSource"] = json!("cloudformation.amazonaws.com");
    event["detail"]["eventName"] = json!(name);
    event["detail"]["requestParameters"] = request;
    event["detail"]["eventID"] = json!(events::new_id());
    event
}

/// Issue 14 point 3 through the real function: a member's StackSet
/// instance deleted (forwarded by member.yaml) is critical tampering naming
/// the account; the StackSet's instances removed in doorman's own account
/// (the delegated administrator's) is critical tampering naming the
/// StackSet.
#[tokio::test]
async fn removing_the_stackset_instance_or_its_instances_is_tampering() {
    let mut s = Stack::start_with(
        "org-stackset",
        &[("DOORMAN_ORGANIZATION_ID", "o-a1b2c3d4e5".to_string())],
        1,
    )
    .await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/events/tamper-delete-rule.json"
    );
    let sample: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the sample")).expect("JSON");
    let instance = format!(
        "arn:aws:cloudformation:{REGION}:{MEMBER}:stack/StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9/5e6f7a80-91a2-11ef-b3c4-0a1b2c3d4e5f"
    );
    let event = cloudformation_call(
        in_member(sample.clone()),
        "DeleteStack",
        json!({"stackName": instance}),
    );
    s.function.invoke_ok(&event).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(
        alert.findings()["guardrail-tampering"],
        "critical",
        "{alert:#?}"
    );
    assert_eq!(alert.attribute("account"), MEMBER);
    let message = alert.message["findings"][0]["message"]
        .as_str()
        .expect("a message");
    assert!(
        message.contains(&format!("in account {MEMBER}")) && message.contains("StackSet instance"),
        "{message}"
    );

    let mut own = sample;
    own["account"] = json!(ACCOUNT);
    own["detail"]["recipientAccountId"] = json!(ACCOUNT);
    let event = cloudformation_call(
        own,
        "DeleteStackInstances",
        json!({
            "stackSetName": "doorman-member",
            "deploymentTargets": {"organizationalUnitIds": ["ou-ab12-cdef3456"]},
            "regions": [REGION],
            "retainStacks": false,
            "callAs": "DELEGATED_ADMIN"
        }),
    );
    s.function.invoke_ok(&event).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(
        alert.findings()["guardrail-tampering"],
        "critical",
        "{alert:#?}"
    );
    let message = alert.message["findings"][0]["message"]
        .as_str()
        .expect("a message");
    assert!(
        message.contains("the StackSet that deploys doorman's member side")
            && message.contains("`ou-ab12-cdef3456`"),
        "{message}"
    );
}

/// member.yaml's audit rule's Scheduled Event, as EventBridge forwards it
/// from the member account to the central bus.
fn member_audit_event(time: &str) -> Value {
    json!({
        "version": "0",
        "id": format!("e2e-member-audit-{time}"),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": MEMBER,
        "time": time,
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{MEMBER}:rule/doorman-audit")],
        "detail": {}
    })
}

#[tokio::test]
async fn a_members_daily_audit_lands_under_its_prefix_and_the_digest_names_it() {
    let mut s = Stack::start_with(
        "org-audit",
        &[
            ("DOORMAN_ORGANIZATION_ID", "o-a1b2c3d4e5".to_string()),
            ("DOORMAN_REPORT_BUCKET", BUCKET.to_string()),
        ],
        1,
    )
    .await;
    let endpoint = s.moto.endpoint();
    let s3 = s3(&endpoint);
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bucket: {e:?}"));
    // The member: its reader role, an alias, and a role that may do
    // anything; the central account has a role of its own that the
    // member's report must not show.
    let member = clients_in(&endpoint, MEMBER).await;
    setup::create_role(&member, "doorman-reader", &[]).await;
    member
        .iam
        .create_account_alias()
        .account_alias("e2e-member")
        .send()
        .await
        .unwrap_or_else(|e| panic!("create the member's alias: {e:?}"));
    setup::create_role(&member, "member-admin-role", &[]).await;
    setup::put_role_policy(
        &member,
        "member-admin-role",
        "everything",
        &setup::admin_document(),
    )
    .await;
    setup::create_role(&s.aws, "central-only-role", &[]).await;

    let t = "2026-11-30T06:00:00Z";
    let response = match s.function.invoke(&member_audit_event(t)).await {
        Outcome::Response(body) => serde_json::from_str::<Value>(&body).expect("JSON response"),
        Outcome::Error { error_type, body } => panic!(
            "the member's audit failed ({error_type:?}): {body}\nlambda log:\n{}",
            s.function.log_tail()
        ),
    };
    let key = format!("audit/{MEMBER}/{t}/report.json");
    assert_eq!(response["audit"]["report"], json!(key), "{response:#}");
    assert_eq!(response["audit"]["previous"], Value::Null, "{response:#}");
    let (report, ct) = object(&s3, &key).await;
    assert_eq!(ct.as_deref(), Some("application/json"));
    assert!(
        report.contains(&format!("arn:aws:iam::{MEMBER}:role/member-admin-role")),
        "the member's report holds the member's roles: {report:.2000}"
    );
    assert!(
        !report.contains("central-only-role"),
        "the member's report holds no central role"
    );
    let (html, _) = object(&s3, &format!("audit/{MEMBER}/{t}/report.html")).await;
    assert!(html.contains("<html"), "{html:.200}");

    // One digest, naming the member by id and alias.
    let digest = &s.alerts.expect(1).await[0];
    assert_eq!(digest.attribute("account"), MEMBER);
    assert_eq!(digest.attribute("account_name"), "e2e-member");
    assert_eq!(digest.attribute("event_name"), "ScheduledAudit");
    assert_eq!(digest.message["event"]["account"], json!(MEMBER));
    assert_eq!(digest.message["event"]["account_name"], json!("e2e-member"));
    let subject = digest.subject.as_deref().expect("subject");
    assert!(
        subject.starts_with(&format!("[doorman] {MEMBER} (e2e-member) ")),
        "{subject}"
    );
    assert!(digest.has_rule("admin-access"), "{:#}", digest.message);
    let log = s.function.log_tail();
    assert_eq!(
        log.matches("assumed the member account's reader role")
            .count(),
        1,
        "lambda log:\n{log}"
    );

    // A Scheduled Event of another of the member's rules asks for nothing:
    // an unprocessable-event naming the account, and no AssumeRole.
    let mut forged = member_audit_event("2026-11-30T07:00:00Z");
    forged["account"] = json!("444455556666");
    forged["resources"] = json!(["arn:aws:events:us-east-1:444455556666:rule/audit-me"]);
    s.function.invoke_ok(&forged).await;
    let alert = &s.alerts.expect(1).await[0];
    assert_eq!(
        alert.findings()["unprocessable-event"],
        "medium",
        "{alert:#?}"
    );
    assert_eq!(alert.attribute("account"), "444455556666");
    let log = s.function.log_tail();
    assert!(
        !log.contains("arn:aws:iam::444455556666:role/doorman-reader"),
        "no role assumed for a forged event:\n{log}"
    );
    let listed = s3
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .expect("list the bucket");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(
        keys,
        [
            format!("audit/{MEMBER}/{t}/report.html"),
            format!("audit/{MEMBER}/{t}/report.json"),
        ],
        "nothing written for the forged event"
    );
}
