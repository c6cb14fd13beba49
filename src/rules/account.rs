//! Account-level rules (SPEC §3.5): judged from an event, not a document.
//!
//! - `permissions-boundary-removed`: the ceiling on a role's or user's
//!   permissions was taken away;
//! - `guardrail-tampering`: doorman itself (its role, key, rules, function,
//!   topic, queue, log group), or the trail that feeds it, was disabled,
//!   deleted or changed (critical), or someone tried and failed (low); in
//!   an organization, also the member side in each account (its forwarding
//!   rules and roles, doorman-reader);
//! - `unprocessable-event`: doorman could not judge an event it is subscribed
//!   to, so a human has to.
//! - `suppression-added`: a `doorman:ignore` tag was set, silencing doorman
//!   for what it is on.
//!
//! Whether a call concerns doorman's own resources is decided by the
//! pipeline, which knows the deployment's names; these functions only word
//! the findings.

use super::{Finding, RuleId, Severity};

/// `permissions-boundary-removed` for `holder` (``role `app` ``).
pub fn permissions_boundary_removed(holder: &str) -> Finding {
    Finding::new(
        RuleId::PermissionsBoundaryRemoved,
        Severity::High,
        format!(
            "the permissions boundary of {holder} was removed: its policies now take effect in full"
        ),
        "put the boundary back (`iam:Put*PermissionsBoundary`) unless the removal was reviewed; deny `iam:Delete*PermissionsBoundary` outside the admin role"
            .to_string(),
    )
}

/// `permissions-boundary-removed` for a boundary that was replaced by one
/// that allows everything (`policy`, e.g. `AdministratorAccess`): a cap
/// that caps nothing is no cap.
pub fn permissions_boundary_allows_everything(holder: &str, policy: &str) -> Finding {
    Finding::new(
        RuleId::PermissionsBoundaryRemoved,
        Severity::High,
        format!(
            "the permissions boundary of {holder} is now `{policy}`, which allows every action on every resource: it caps nothing, as if it had been removed"
        ),
        "set a boundary that allows only what the role or user may ever need (`iam:Put*PermissionsBoundary`), and deny `iam:Put*PermissionsBoundary` outside the admin role".to_string(),
    )
}

/// `guardrail-tampering`: `effect` as the call did it (``deleted SNS topic``)
/// on `resource`, which is doorman's own (`what` says which part of it);
/// `detail` adds what else the call set (empty: nothing to add).
pub fn guardrail_tampering(effect: &str, resource: &str, what: &str, detail: &str) -> Finding {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" (the call {detail})")
    };
    Finding::new(
        RuleId::GuardrailTampering,
        Severity::Critical,
        format!("someone {effect} `{resource}`, which is {what}{detail}: doorman may stop seeing changes"),
        "check who did it and why; redeploy doorman (`sam deploy`) to restore it, and deny these calls outside the admin role with an SCP".to_string(),
    )
}

/// `guardrail-tampering` in organization mode: `effect` on `resource`,
/// part of the member side of doorman in `account` (`what` says which),
/// without which doorman no longer sees that account, or cannot read it.
pub fn member_tampering(effect: &str, resource: &str, what: &str, account: &str) -> Finding {
    Finding::new(
        RuleId::GuardrailTampering,
        Severity::Critical,
        format!("someone {effect} `{resource}` in account {account}, which is {what}: doorman may stop seeing that account's changes"),
        "check who did it and why; restore the member stack from the doorman StackSet (`aws cloudformation create-stack-instances` or update the instance for this account), and deny changes to the doorman member stack's resources outside the StackSet with an SCP".to_string(),
    )
}

/// `guardrail-tampering` at low: a call that would have `effect` on
/// doorman's `resource` failed with `error_code`. Nothing changed, but
/// someone tried: reconnaissance, or an attack that will try again.
pub fn guardrail_attempt(effect: &str, resource: &str, what: &str, error_code: &str) -> Finding {
    Finding::new(
        RuleId::GuardrailTampering,
        Severity::Low,
        format!(
            "a call that would have {effect} `{resource}`, which is {what}, failed (`{error_code}`): nothing changed, but someone is probing doorman's defences"
        ),
        "check who made the call and why; if it was not a reviewed deployment, treat the caller's credentials as compromised".to_string(),
    )
}

/// `guardrail-tampering` at info for the README's self-test event (SELF-TEST
/// in the alert's subject): it shows that an event put on the bus reaches
/// doorman and its alert reaches a person. Under the never-suppressed rule,
/// so no minimum severity or filter can hide the test; at info, so no pager
/// that filters on severity wakes anyone.
pub fn self_test(event_id: &str, source: &str) -> Finding {
    Finding::new(
        RuleId::GuardrailTampering,
        Severity::Info,
        format!(
            "SELF-TEST: event `{event_id}` from source `{source}` was sent with events:PutEvents, not recorded by CloudTrail; nothing changed. doorman received it, so the tamper rule delivers to doorman and doorman's alerts reach this topic"
        ),
        "nothing to fix; EventBridge's own message for the same event should arrive too (the tamper rule's direct topic target). If it does not, check that target and the topic and key policies. If nobody ran the self-test, ask who in the account can call events:PutEvents".to_string(),
    )
}

/// `unprocessable-event` for event `event_id`, because of `reason`.
pub fn unprocessable_event(event_id: &str, reason: &str) -> Finding {
    let id = if event_id.is_empty() {
        "(no id)"
    } else {
        event_id
    };
    Finding::new(
        RuleId::UnprocessableEvent,
        Severity::Medium,
        format!("doorman could not evaluate event `{id}`: {reason}"),
        "look at the change by hand in CloudTrail (search for the event id); if the event is valid, report it to the doorman maintainers".to_string(),
    )
}

/// `suppression-added`: `actor` set the `doorman:ignore` tag to `value` on
/// `target` (``role `app` ``), under the spelling `key` the call used
/// (IAM compares tag keys ignoring case). The message names the rules the
/// value silences, and says so when it names none doorman knows.
pub fn suppression_added(actor: &str, key: &str, value: &str, target: &str) -> Finding {
    let actor = if actor.is_empty() {
        "an unknown caller".to_string()
    } else {
        format!("`{actor}`")
    };
    let silenced: Vec<String> = value
        .split([',', ' '])
        .map(str::trim)
        .filter(|id| id.parse::<RuleId>().is_ok())
        .map(|id| format!("`{id}`"))
        .collect();
    let asks = if silenced.is_empty() {
        "which names no rule doorman knows, so it silences nothing yet".to_string()
    } else {
        format!("asking doorman to silence {} for it", silenced.join(", "))
    };
    Finding::new(
        RuleId::SuppressionAdded,
        Severity::High,
        format!("{actor} set the tag `{key}` = `{value}` on {target}, {asks}"),
        format!(
            "if this suppression was not agreed, remove the tag `{key}` and review what it hides; allow tagging with the `doorman:ignore` key only to doorman's owners (deny tag calls with `aws:TagKeys` `doorman:ignore` in an SCP)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_findings_have_their_severities_and_name_the_subject() {
        let f = permissions_boundary_removed("role `app`");
        assert_eq!(
            (f.rule, f.severity),
            (RuleId::PermissionsBoundaryRemoved, Severity::High)
        );
        assert!(f
            .message
            .starts_with("the permissions boundary of role `app` was removed"));
        let f = guardrail_tampering(
            "deleted SNS topic",
            "arn:aws:sns:us-east-1:1:doorman",
            "doorman's alert topic",
            "",
        );
        assert_eq!(
            (f.rule, f.severity),
            (RuleId::GuardrailTampering, Severity::Critical)
        );
        let f = unprocessable_event("abc", "`policyDocument` is not valid JSON");
        assert_eq!(
            (f.rule, f.severity),
            (RuleId::UnprocessableEvent, Severity::Medium)
        );
        assert_eq!(
            f.message,
            "doorman could not evaluate event `abc`: `policyDocument` is not valid JSON"
        );
    }
}
