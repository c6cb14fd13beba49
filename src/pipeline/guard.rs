//! Whether a call on a door (a [`GuardrailCall`]) is on doorman's own
//! resource, compared the way AWS names each kind: a role by name ignoring
//! case (IAM does), a KMS key by key id (the request may use an id, an ARN
//! or an alias), a queue by account and name (SQS calls name it by URL), a
//! bucket by its name (S3 calls carry `bucketName`; names are global).

use super::Guarded;
use crate::event::{function_name, GuardrailCall, GuardrailTarget};

/// The subject kind an alert shows for a door.
pub(super) fn guardrail_kind(target: GuardrailTarget) -> &'static str {
    match target {
        GuardrailTarget::Trail => "trail",
        GuardrailTarget::EventRule => "rule",
        GuardrailTarget::Function => "function",
        GuardrailTarget::Topic => "topic",
        GuardrailTarget::Subscription => "subscription",
        GuardrailTarget::Role => "role",
        GuardrailTarget::Key => "key",
        GuardrailTarget::Queue => "queue",
        GuardrailTarget::LogGroup => "log group",
        GuardrailTarget::Bucket => "bucket",
        GuardrailTarget::Stack => "stack",
        GuardrailTarget::StackSet => "StackSet",
    }
}

/// The last name in an ARN or URL (`...:trail/main` → `main`,
/// `https://sqs.../1/q` → `q`), or the input. A stack id names the stack
/// before its unique id (`...:stack/name/guid` → `name`), a StackSet ARN
/// before its own (`...:stackset/name:guid` → `name`).
pub(super) fn short_name(resource: &str) -> String {
    if let Some((_, rest)) = resource.split_once(":stack/") {
        return rest.split('/').next().unwrap_or(rest).to_string();
    }
    if let Some((_, rest)) = resource.split_once(":stackset/") {
        return rest.split(':').next().unwrap_or(rest).to_string();
    }
    if resource.starts_with("https://") {
        return resource
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(resource)
            .to_string();
    }
    if !resource.starts_with("arn:") {
        return resource.to_string();
    }
    let last = resource.rsplit(':').next().unwrap_or(resource);
    last.rsplit('/').next().unwrap_or(last).to_string()
}

/// The key id in a key ARN (`arn:aws:kms:r:a:key/ID` → `ID`) or a bare key
/// id; `None` for an alias, which names no key by itself.
fn key_id(key: &str) -> Option<&str> {
    if key.starts_with("alias/") || key.contains(":alias/") {
        return None;
    }
    Some(key.rsplit_once(":key/").map_or(key, |(_, id)| id))
}

/// (account, name) of a queue from its URL
/// (`https://sqs.us-east-1.amazonaws.com/111122223333/name`) or ARN.
fn queue_account_name(queue: &str) -> Option<(&str, &str)> {
    if queue.starts_with("arn:") {
        let parts: Vec<&str> = queue.split(':').collect();
        return (parts.len() == 6).then(|| (parts[4], parts[5]));
    }
    let path = queue.split_once("://").map_or(queue, |(_, rest)| rest);
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let name = segments.next()?;
    let account = segments.next()?;
    Some((account, name))
}

/// Which of doorman's own resources a call concerns, if any (the text says
/// which, for the finding).
pub(super) fn guarded_target(g: &Guarded, call: &GuardrailCall) -> Option<String> {
    let same_name = |configured: &Option<String>| {
        configured.as_deref().is_some_and(|n| {
            !n.is_empty() && (n == call.resource || n == short_name(&call.resource))
        })
    };
    let said = |yes: bool, what: &str| yes.then(|| what.to_string());
    match call.target {
        GuardrailTarget::Trail => match &g.trail_name {
            Some(_) => said(same_name(&g.trail_name), "the CloudTrail trail that feeds doorman"),
            None => Some(
                "a CloudTrail trail (no DOORMAN_TRAIL_NAME is set, so every trail counts as one that may feed doorman)"
                    .to_string(),
            ),
        },
        GuardrailTarget::EventRule => {
            if same_name(&g.change_rule_name) {
                Some("doorman's change rule".to_string())
            } else if same_name(&g.tamper_rule_name) {
                Some("doorman's tamper rule".to_string())
            } else if same_name(&g.audit_tamper_rule_name) {
                Some("doorman's audit tamper rule (it watches the audit's schedule and report bucket)".to_string())
            } else if same_name(&g.reconcile_rule_name) {
                Some("the schedule of doorman's daily audit (the reconcile rule)".to_string())
            } else if same_name(&g.access_denied_rule_name) {
                Some("doorman's AccessDenied rule (it delivers the calls refused to Lambda roles)".to_string())
            } else {
                None
            }
        }
        GuardrailTarget::Function => {
            let name = function_name(&call.resource);
            let ours = [&g.function_name, &g.runtime_function_name]
                .into_iter()
                .flatten()
                .any(|n| !n.is_empty() && *n == name);
            said(ours, "doorman's own function")
        }
        GuardrailTarget::Topic => said(
            g.topic_arn.as_deref() == Some(call.resource.as_str()),
            "doorman's alert topic",
        ),
        GuardrailTarget::Subscription => said(
            g.topic_arn
                .as_deref()
                .is_some_and(|t| call.resource.starts_with(&format!("{t}:"))),
            "a subscription to doorman's alert topic",
        ),
        GuardrailTarget::Role => said(
            g.role_name.as_deref().is_some_and(|n| {
                !n.is_empty() && crate::resolve::role_name(&call.resource).eq_ignore_ascii_case(n)
            }),
            "doorman's own execution role",
        ),
        GuardrailTarget::Key => said(
            g.key_arn
                .as_deref()
                .and_then(key_id)
                .is_some_and(|ours| key_id(&call.resource) == Some(ours)),
            "the KMS key that encrypts doorman's alerts, logs and failure queue",
        ),
        GuardrailTarget::Queue => said(
            g.queue_arn
                .as_deref()
                .and_then(queue_account_name)
                .is_some_and(|ours| queue_account_name(&call.resource) == Some(ours)),
            "doorman's failure queue (where events it could not handle are kept)",
        ),
        GuardrailTarget::LogGroup => said(
            g.log_group
                .as_deref()
                .is_some_and(|n| !n.is_empty() && n == call.resource),
            "doorman's own log group",
        ),
        GuardrailTarget::Bucket => said(
            same_name(&g.report_bucket),
            "the bucket of doorman's audit reports (kept private, encrypted and expiring)",
        ),
        // Only organization mode has stacks and a StackSet to guard
        // (`Organization::member_target`, `Organization::stack_set_target`).
        GuardrailTarget::Stack | GuardrailTarget::StackSet => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(target: GuardrailTarget, resource: &str) -> GuardrailCall {
        GuardrailCall {
            target,
            resource: resource.into(),
            effect: "x",
            detail: String::new(),
        }
    }

    fn guarded() -> Guarded {
        Guarded {
            function_name: Some("doorman".into()),
            runtime_function_name: Some("doorman-Function-AbC".into()),
            change_rule_name: Some("doorman-changes".into()),
            tamper_rule_name: Some("doorman-tamper".into()),
            topic_arn: Some("arn:aws:sns:us-east-1:111122223333:doorman-alerts".into()),
            trail_name: None,
            role_name: Some("doorman-DoormanRole-1A2B".into()),
            key_arn: Some(
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into(),
            ),
            queue_arn: Some("arn:aws:sqs:us-east-1:111122223333:doorman-failures".into()),
            log_group: Some("/aws/lambda/doorman".into()),
            reconcile_rule_name: Some("doorman-reconcile".into()),
            audit_tamper_rule_name: Some("doorman-audit-tampering".into()),
            access_denied_rule_name: Some("doorman-access-denied".into()),
            report_bucket: Some("doorman-reportbucket-q1w2e3r4t5y6".into()),
        }
    }

    #[test]
    fn tampering_is_recognised_on_doormans_own_resources_only() {
        use GuardrailTarget as T;
        let g = guarded();
        let ours = |t, r: &str| guarded_target(&g, &call(t, r)).is_some();
        assert!(ours(
            T::Function,
            "arn:aws:lambda:us-east-1:111122223333:function:doorman"
        ));
        // The runtime's own name counts even when DOORMAN_FUNCTION_NAME differs.
        assert!(ours(T::Function, "doorman-Function-AbC"));
        assert!(!ours(T::Function, "orders"));
        assert!(ours(T::EventRule, "doorman-tamper"));
        assert!(!ours(T::EventRule, "doorman-tamper-old"));
        assert!(ours(T::EventRule, "doorman-access-denied"));
        assert!(ours(
            T::EventRule,
            "arn:aws:events:us-east-1:111122223333:rule/doorman-access-denied"
        ));
        assert!(!ours(T::EventRule, "orders-access-denied"));
        assert!(ours(T::Subscription, "arn:aws:sns:us-east-1:111122223333:doorman-alerts:0b6941c3-f04d-4d3e-a31d-0123456789ab"));
        assert!(!ours(
            T::Subscription,
            "arn:aws:sns:us-east-1:111122223333:doorman-alerts-old:0b69"
        ));
        // IAM role names ignore case.
        assert!(ours(T::Role, "DOORMAN-doormanrole-1a2b"));
        assert!(!ours(T::Role, "orders-role"));
        // A key by id, by ARN; an alias alone names no key.
        assert!(ours(T::Key, "1234abcd-12ab-34cd-56ef-1234567890ab"));
        assert!(ours(
            T::Key,
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(!ours(T::Key, "alias/doorman"));
        assert!(!ours(T::Key, "0987dcba-09fe-87dc-65ba-ab0987654321"));
        // A queue by URL: same account and name.
        assert!(ours(
            T::Queue,
            "https://sqs.us-east-1.amazonaws.com/111122223333/doorman-failures"
        ));
        assert!(!ours(
            T::Queue,
            "https://sqs.us-east-1.amazonaws.com/444455556666/doorman-failures"
        ));
        assert!(!ours(
            T::Queue,
            "https://sqs.us-east-1.amazonaws.com/111122223333/orders"
        ));
        assert!(ours(T::LogGroup, "/aws/lambda/doorman"));
        assert!(!ours(T::LogGroup, "/aws/lambda/orders"));
        // The audit's schedule and its report bucket (by name, or by ARN).
        assert!(ours(T::EventRule, "doorman-reconcile"));
        assert!(ours(T::EventRule, "doorman-audit-tampering"));
        assert!(!ours(T::EventRule, "doorman-reconcile-old"));
        assert!(ours(
            T::EventRule,
            "arn:aws:events:us-east-1:111122223333:rule/doorman-reconcile"
        ));
        assert!(ours(T::Bucket, "doorman-reportbucket-q1w2e3r4t5y6"));
        assert!(ours(
            T::Bucket,
            "arn:aws:s3:::doorman-reportbucket-q1w2e3r4t5y6"
        ));
        assert!(!ours(T::Bucket, "doorman-reportbucket-q1w2e3r4t5y6-copy"));
        assert!(!ours(T::Bucket, "orders-receipts"));
        // No trail configured: any change to any trail counts.
        assert!(ours(T::Trail, "management-events"));
        let g = Guarded {
            trail_name: Some("org-trail".into()),
            ..g
        };
        assert!(guarded_target(
            &g,
            &call(
                T::Trail,
                "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"
            )
        )
        .is_some());
        assert!(guarded_target(&g, &call(T::Trail, "other")).is_none());
    }

    #[test]
    fn stacks_and_stack_sets_are_named_without_their_unique_ids() {
        assert_eq!(
            short_name("arn:aws:cloudformation:eu-west-1:111122223333:stack/StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9/5e6f7a80-91a2-11ef-b3c4-0a1b2c3d4e5f"),
            "StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
        );
        assert_eq!(
            short_name("arn:aws:cloudformation:us-east-1:999988887777:stackset/doorman-member:7c1d1f6a-2b3c-4d5e-8f90-a1b2c3d4e5f6"),
            "doorman-member"
        );
        // Single-account mode guards no stack: the central stack's own
        // updates are judged by the calls they make.
        let g = guarded();
        for t in [GuardrailTarget::Stack, GuardrailTarget::StackSet] {
            assert!(guarded_target(&g, &call(t, "doorman")).is_none());
        }
    }

    #[test]
    fn nothing_configured_watches_nothing_but_trails() {
        let g = Guarded::default();
        for t in [
            GuardrailTarget::Function,
            GuardrailTarget::Role,
            GuardrailTarget::Key,
            GuardrailTarget::Queue,
            GuardrailTarget::LogGroup,
            GuardrailTarget::Topic,
            GuardrailTarget::Bucket,
            GuardrailTarget::EventRule,
        ] {
            assert!(guarded_target(&g, &call(t, "x")).is_none(), "{t:?}");
        }
        assert!(guarded_target(&g, &call(GuardrailTarget::Trail, "x")).is_some());
    }
}
