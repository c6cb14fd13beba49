//! `broad-managed-policy`: an AWS managed policy that grants far more than a
//! function needs is attached to a role, user or group (SPEC §3.1).
//!
//! Judged from the policy's name alone, so it works offline, before the
//! document is fetched, and in templates (`ManagedPolicyArns`, SAM `Policies`).

use super::{Finding, RuleId, Severity};
use crate::catalog::managed::{aws_managed_name, broad_managed_policy, Breadth};
use crate::policy::Actions;

/// The severity of attaching a policy of this breadth.
pub fn severity(breadth: Breadth) -> Severity {
    match breadth {
        Breadth::Admin => Severity::Critical,
        Breadth::NearAdmin => Severity::High,
        Breadth::FullAccess => Severity::Medium,
    }
}

/// The `broad-managed-policy` finding for attaching `policy` (a name such as
/// `AdministratorAccess` or an AWS managed ARN) to `attached_to`, or `None`
/// when the policy is not a broad AWS managed one.
///
/// `attached_to` is what the message calls the holder, already formatted:
/// ``role `deploy` ``, ``user `alice` ``, ``function `OrderProcessor` ``.
pub fn check_attachment(policy: &str, attached_to: &str) -> Option<Finding> {
    let breadth = broad_managed_policy(policy)?;
    let name = aws_managed_name(policy).unwrap_or(policy);
    let what = match breadth {
        Breadth::Admin => "every action on every resource",
        Breadth::NearAdmin if name == "IAMFullAccess" => {
            "all of IAM, so whoever holds it can grant itself anything"
        }
        Breadth::NearAdmin => "every action outside IAM and Organizations, on every resource",
        Breadth::FullAccess => "every action of a service on all of its resources",
    };
    // "A service" says little: name the services (the admin and near-admin
    // descriptions already say everything).
    let grants = match breadth {
        Breadth::FullAccess => granted_actions(name).map_or_else(String::new, |a| format!(": {a}")),
        _ => String::new(),
    };
    Some(Finding::new(
        RuleId::BroadManagedPolicy,
        severity(breadth),
        format!(
            "AWS managed policy `{name}` is attached to {attached_to}: it allows {what}{grants}"
        ),
        format!(
            "replace `{name}` with a customer managed policy that allows only the actions the function uses, on its own resources"
        ),
    ))
}

/// What the built-in document of `name` allows, for the message: its
/// `Allow` action patterns (the first few), e.g. `` `ec2:*`, `autoscaling:*` ``.
fn granted_actions(name: &str) -> Option<String> {
    const SHOWN: usize = 6;
    let doc = crate::catalog::managed::managed_policy_document(name)?;
    let policy = crate::policy::parse_document(doc).ok()?;
    let mut actions: Vec<String> = Vec::new();
    for s in policy.statements.iter().filter(|s| s.is_allow()) {
        let list = match &s.actions {
            Actions::Action(list) => list.iter().map(|a| format!("`{a}`")).collect(),
            Actions::NotAction(list) => vec![format!("every action but {}", list.join(", "))],
        };
        for a in list {
            if !actions.contains(&a) {
                actions.push(a);
            }
        }
    }
    if actions.is_empty() {
        return None;
    }
    let more = actions.len().saturating_sub(SHOWN);
    actions.truncate(SHOWN);
    let mut text = actions.join(", ");
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrator_access_is_critical_and_names_policy_and_holder() {
        let f = check_attachment(
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "role `deploy`",
        )
        .unwrap();
        assert_eq!(f.rule, RuleId::BroadManagedPolicy);
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(
            f.message,
            "AWS managed policy `AdministratorAccess` is attached to role `deploy`: it allows every action on every resource"
        );
        assert!(f.fix.contains("customer managed policy"));
    }

    #[test]
    fn near_admin_is_high_and_other_full_access_medium() {
        assert_eq!(
            check_attachment("PowerUserAccess", "user `alice`")
                .unwrap()
                .severity,
            Severity::High
        );
        let iam = check_attachment("IAMFullAccess", "group `ops`").unwrap();
        assert_eq!(iam.severity, Severity::High);
        assert!(iam.message.contains("grant itself anything"));
        assert_eq!(
            check_attachment("arn:aws:iam::aws:policy/AmazonS3FullAccess", "role `r`")
                .unwrap()
                .severity,
            Severity::Medium
        );
    }

    #[test]
    fn scoped_and_customer_policies_do_not_fire() {
        assert_eq!(
            check_attachment(
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                "role `r`"
            ),
            None
        );
        assert_eq!(
            check_attachment(
                "arn:aws:iam::111122223333:policy/AdministratorAccess",
                "role `r`"
            ),
            None
        );
    }
}
