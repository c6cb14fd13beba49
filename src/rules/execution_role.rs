//! Execution-role hygiene (SPEC §3.4): judged when a function gets a role.
//!
//! These rules look at a whole role — its trust policy and every policy it
//! holds — rather than one document, so they take an [`ExecutionRole`] that the
//! caller assembles: the Lambda pipeline from IAM (`resolve`), template lint
//! from the template. AWS managed policies the caller cannot fetch can come
//! from the built-in documents through [`NamedPolicy::aws_managed`].
//!
//! "Allows" here is deliberately generous, because a false `missing-logs` or
//! `event-source-missing-permissions` teaches users to ignore doorman: an
//! `Allow` counts even with conditions, a resource that cannot be resolved
//! offline (a `${...}` variable or template placeholder) counts as a match, and
//! only an unconditional `Deny` takes a permission away.

use super::{Finding, RuleId, Severity};
use crate::catalog::{self, glob_match_ignore_case};
use crate::eval::{glob, resource};
use crate::policy::{parse_document, Actions, Policy, PrincipalKind, Resources, Statement};

/// A policy a role holds, with the name messages use for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    /// The inline policy name, or the managed policy's name or ARN.
    pub name: String,
    pub policy: Policy,
}

impl NamedPolicy {
    /// The built-in document of an AWS managed execution policy
    /// (`AWSLambdaBasicExecutionRole`, by name or ARN); `None` for policies
    /// doorman does not carry (see [`catalog::managed::managed_policy_document`]).
    pub fn aws_managed(name_or_arn: &str) -> Option<NamedPolicy> {
        let doc = catalog::managed::managed_policy_document(name_or_arn)?;
        let policy = parse_document(doc).ok()?;
        Some(NamedPolicy {
            name: name_or_arn.to_string(),
            policy,
        })
    }
}

/// An execution role as these rules need it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecutionRole {
    /// The role name (or template logical id) used in messages.
    pub name: String,
    pub arn: Option<String>,
    /// The trust policy, when known.
    pub trust: Option<Policy>,
    /// Inline and managed policies, documents resolved by the caller.
    pub policies: Vec<NamedPolicy>,
}

/// A resource ARN to test grants against. Segments that are `None` are not
/// known (a template's region, an unknown account) and match anything.
#[derive(Debug, Clone)]
struct Target<'a> {
    service: &'a str,
    region: Option<&'a str>,
    account: Option<&'a str>,
    resource: String,
}

impl ExecutionRole {
    /// Whether the role's policies allow `action` on at least one of
    /// `targets`: some `Allow` covers it and no unconditional `Deny` does.
    fn allows_any(&self, action: &str, targets: &[Target<'_>]) -> bool {
        // An action that accepts no resource ARN is granted on `*` whatever
        // the policy writes, so its resource scope is not judged.
        let scoped = catalog::lookup(action).is_some_and(|a| a.info().accepts_resource());
        let statements = || self.policies.iter().flat_map(|p| &p.policy.statements);
        targets.iter().any(|t| {
            let allowed = statements().any(|s| {
                s.is_allow() && covers_action(s, action) && (!scoped || covers_resource(s, t, true))
            });
            let denied = statements().any(|s| {
                !s.is_allow()
                    && s.conditions.is_empty()
                    && covers_action(s, action)
                    && covers_resource(s, t, false)
            });
            allowed && !denied
        })
    }
}

fn covers_action(s: &Statement, action: &str) -> bool {
    match &s.actions {
        Actions::Action(p) => p.iter().any(|p| glob_match_ignore_case(p, action)),
        Actions::NotAction(p) => !p.iter().any(|p| glob_match_ignore_case(p, action)),
    }
}

/// Whether the statement's resources include `t`. `generous` decides what a
/// pattern that cannot be resolved offline (`${...}`) means.
fn covers_resource(s: &Statement, t: &Target<'_>, generous: bool) -> bool {
    match &s.resources {
        Some(Resources::Resource(p)) => p.iter().any(|p| pattern_covers(p, t, generous)),
        Some(Resources::NotResource(p)) => !p.iter().any(|p| pattern_covers(p, t, !generous)),
        None => false,
    }
}

/// Whether `pattern` names the target, IAM's way (`*` crosses `:` and `/`,
/// so `arn:aws:logs:*` names every log group). Target segments that are not
/// known stand for any value: a generous test asks whether the pattern could
/// name the target (an unknown segment is taken to be what the pattern
/// writes there), a strict one whether it names it whatever the unknown
/// segments are ([`glob::covers`]).
fn pattern_covers(pattern: &str, t: &Target<'_>, generous: bool) -> bool {
    let pattern = resource::normalise(pattern);
    if pattern.contains("${") {
        return generous;
    }
    let fields: Vec<&str> = pattern.splitn(6, ':').collect();
    let unknown = |i: usize| {
        if generous {
            fields.get(i).copied().unwrap_or("any")
        } else {
            "*"
        }
    };
    let target = format!(
        "arn:aws:{}:{}:{}:{}",
        t.service,
        t.region.unwrap_or_else(|| unknown(3)),
        t.account.unwrap_or_else(|| unknown(4)),
        t.resource
    );
    if generous {
        glob::matches(&pattern, &target)
    } else {
        glob::covers(&pattern, &target)
    }
}

/// The account and region of an ARN, when it is one.
fn arn_region_account(arn: Option<&str>) -> (Option<&str>, Option<&str>) {
    let Some(parts) = arn.map(|a| a.splitn(6, ':').collect::<Vec<_>>()) else {
        return (None, None);
    };
    if parts.len() != 6 {
        return (None, None);
    }
    (known_segment(parts[3]), known_segment(parts[4]))
}

fn known_segment(s: &str) -> Option<&str> {
    (!s.is_empty() && !s.contains(['*', '$'])).then_some(s)
}

/// `missing-logs`: none of the role's policies allows `logs:CreateLogStream`
/// and `logs:PutLogEvents` on the function's log group, so it runs but
/// nothing it prints is kept.
///
/// `function_name` is the function's name (its log group is
/// `/aws/lambda/<name>`); `None` when it is not known yet (a template where
/// CloudFormation names the function), in which case any grant on a
/// `/aws/lambda/...` log group counts. `function_arn`, when known, pins the
/// region and account the grant must cover.
pub fn missing_logs(
    role: &ExecutionRole,
    function_name: Option<&str>,
    function_arn: Option<&str>,
) -> Option<Finding> {
    let group = match function_name {
        Some(name) => format!("/aws/lambda/{name}"),
        None => "/aws/lambda/*".to_string(),
    };
    missing_logs_in_group(
        role,
        function_name.unwrap_or("the function"),
        &group,
        function_arn,
    )
}

/// [`missing_logs`] for a function that logs to a custom log group
/// (`LoggingConfig.LogGroup`). `log_group` may end in `*` when the function's
/// name is not known.
pub fn missing_logs_in_group(
    role: &ExecutionRole,
    function_label: &str,
    log_group: &str,
    function_arn: Option<&str>,
) -> Option<Finding> {
    let (region, account) = arn_region_account(function_arn);
    // Test a concrete group name; an unknown function name becomes a name no
    // literal grant for another function could match, but any wildcard does.
    let concrete = log_group.replace('*', "doorman-unknown-function");
    let group_target = Target {
        service: "logs",
        region,
        account,
        resource: format!("log-group:{concrete}"),
    };
    let stream_target = Target {
        resource: format!("log-group:{concrete}:log-stream:2025/01/01/[$LATEST]0123456789abcdef"),
        ..group_target.clone()
    };
    // A grant for a specific other function's group does not cover an unknown
    // function: only patterns that could name any `/aws/lambda/...` group do.
    let targets = [group_target, stream_target];
    let can_create = role.allows_any("logs:CreateLogStream", &targets);
    let can_put = role.allows_any("logs:PutLogEvents", &targets);
    if can_create && can_put {
        return None;
    }
    let missing = match (can_create, can_put) {
        (false, false) => "`logs:CreateLogStream` and `logs:PutLogEvents`",
        (false, true) => "`logs:CreateLogStream`",
        _ => "`logs:PutLogEvents`",
    };
    Some(Finding::new(
        RuleId::MissingLogs,
        Severity::Medium,
        format!(
            "role `{}` of {function_label} does not allow {missing} on log group `{log_group}`: the function runs but its logs are lost",
            role.name
        ),
        format!(
            "attach `AWSLambdaBasicExecutionRole`, or allow `logs:CreateLogStream` and `logs:PutLogEvents` on `arn:aws:logs:<region>:<account>:log-group:{log_group}:*`"
        ),
    ))
}

/// `shared-execution-role`: the role is the execution role of more than one
/// function, so each gets the union of what all of them need.
pub fn shared_execution_role(role: &ExecutionRole, function_names: &[&str]) -> Option<Finding> {
    if function_names.len() < 2 {
        return None;
    }
    let names: Vec<String> = function_names.iter().map(|n| format!("`{n}`")).collect();
    Some(Finding::new(
        RuleId::SharedExecutionRole,
        Severity::Medium,
        format!(
            "role `{}` is the execution role of {} functions ({}): each can do what any of them needs",
            role.name,
            function_names.len(),
            names.join(", ")
        ),
        "give each function its own role with only the permissions that function uses".to_string(),
    ))
}

/// Whether one trust statement lets `lambda.amazonaws.com` assume the role.
fn trusts_lambda(s: &Statement) -> bool {
    s.is_allow()
        && covers_action(s, "sts:AssumeRole")
        && s.principals().iter().any(|p| {
            p.is_anyone()
                || (p.kind == PrincipalKind::Service
                    && (p.value.eq_ignore_ascii_case("lambda.amazonaws.com")
                        || p.value.eq_ignore_ascii_case("lambda.amazonaws.com.cn")))
        })
}

/// `role-not-lambda-trusted`: a function is given a role whose trust policy
/// does not let `lambda.amazonaws.com` assume it, so the function cannot run
/// with it. `None` when the trust policy is not known.
pub fn role_not_lambda_trusted(role: &ExecutionRole) -> Option<Finding> {
    let trust = role.trust.as_ref()?;
    if trust.statements.iter().any(trusts_lambda) {
        return None;
    }
    Some(Finding::new(
        RuleId::RoleNotLambdaTrusted,
        Severity::Low,
        format!(
            "role `{}` is a function's execution role but its trust policy does not allow `lambda.amazonaws.com` to assume it",
            role.name
        ),
        "add a trust statement: Effect Allow, Principal {\"Service\": \"lambda.amazonaws.com\"}, Action sts:AssumeRole, with an aws:SourceAccount condition".to_string(),
    ))
}

/// Whether the role's trust policy lets `lambda.amazonaws.com` assume it
/// (`false` when the trust policy is not known).
pub fn is_lambda_trusted(role: &ExecutionRole) -> bool {
    role.trust
        .as_ref()
        .is_some_and(|t| t.statements.iter().any(trusts_lambda))
}

/// `unused-execution-role` (`doorman audit`): a role Lambda may assume that no
/// function of the audited inventory uses: standing access nobody owns.
/// The caller decides that no function uses it (one pass over the
/// inventory); this only checks that the role is a Lambda role.
pub fn unused_execution_role(role: &ExecutionRole) -> Option<Finding> {
    if !is_lambda_trusted(role) {
        return None;
    }
    Some(Finding::new(
        RuleId::UnusedExecutionRole,
        Severity::Low,
        format!(
            "role `{}` trusts `lambda.amazonaws.com` but no function in the audited inventory uses it",
            role.name
        ),
        "delete the role, or remove `lambda.amazonaws.com` from its trust policy; if a function in a Region that was not collected uses it, audit that Region too".to_string(),
    ))
}

/// The actions Lambda's poller needs on each event source, from the Lambda
/// developer guide (the Kinesis list is the one it gives for a stream without
/// enhanced fan-out).
const SQS_ACTIONS: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];
const KINESIS_ACTIONS: &[&str] = &[
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
];
const DYNAMODB_STREAM_ACTIONS: &[&str] = &[
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
];

/// The polling actions an event source ARN needs, and a readable kind; `None`
/// for sources this rule does not cover (Kafka, MQ, DocumentDB, a Kinesis
/// consumer...).
pub fn polling_actions(event_source_arn: &str) -> Option<(&'static str, &'static [&'static str])> {
    let parts: Vec<&str> = event_source_arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return None;
    }
    match parts[2] {
        "sqs" => Some(("SQS queue", SQS_ACTIONS)),
        "kinesis" if parts[5].starts_with("stream/") && !parts[5].contains("/consumer/") => {
            Some(("Kinesis stream", KINESIS_ACTIONS))
        }
        "dynamodb" if parts[5].contains("/stream/") => {
            Some(("DynamoDB stream", DYNAMODB_STREAM_ACTIONS))
        }
        _ => None,
    }
}

/// `event-source-missing-permissions`: an event source mapping reads from
/// `event_source_arn` but the function's role lacks some of the polling
/// actions on it, so the mapping fails to poll (and is disabled).
pub fn event_source_missing_permissions(
    role: &ExecutionRole,
    event_source_arn: &str,
) -> Option<Finding> {
    let (kind, actions) = polling_actions(event_source_arn)?;
    let parts: Vec<&str> = event_source_arn.splitn(6, ':').collect();
    let (region, account) = arn_region_account(Some(event_source_arn));
    let target = [Target {
        service: parts[2],
        region,
        account,
        resource: parts[5].to_string(),
    }];
    let missing: Vec<String> = actions
        .iter()
        .filter(|a| !role.allows_any(a, &target))
        .map(|a| format!("`{a}`"))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(Finding::new(
        RuleId::EventSourceMissingPermissions,
        Severity::Medium,
        format!(
            "role `{}` reads {kind} `{event_source_arn}` through an event source mapping but does not allow {} on it",
            role.name,
            missing.join(", ")
        ),
        format!(
            "allow {} on `{event_source_arn}` in the function's role",
            actions
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> NamedPolicy {
        NamedPolicy {
            name: "inline".into(),
            policy: parse_document(json).unwrap(),
        }
    }

    fn role(policies: Vec<NamedPolicy>) -> ExecutionRole {
        ExecutionRole {
            name: "order-processor".into(),
            arn: Some("arn:aws:iam::111122223333:role/order-processor".into()),
            trust: Some(
                parse_document(
                    r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
                )
                .unwrap(),
            ),
            policies,
        }
    }

    const FN_ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:orders";

    #[test]
    fn basic_execution_role_gives_logs() {
        let r = role(vec![NamedPolicy::aws_managed(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        )
        .unwrap()]);
        assert_eq!(missing_logs(&r, Some("orders"), Some(FN_ARN)), None);
        assert_eq!(missing_logs(&r, None, None), None);
    }

    #[test]
    fn no_logs_policy_fires_with_a_clear_message() {
        let r = role(vec![policy(
            r#"{"Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}}"#,
        )]);
        let f = missing_logs(&r, Some("orders"), Some(FN_ARN)).unwrap();
        assert_eq!(f.rule, RuleId::MissingLogs);
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(
            f.message,
            "role `order-processor` of orders does not allow `logs:CreateLogStream` and `logs:PutLogEvents` on log group `/aws/lambda/orders`: the function runs but its logs are lost"
        );
    }

    #[test]
    fn scoped_logs_grant_counts_and_other_functions_group_does_not() {
        let scoped = |group: &str| {
            role(vec![policy(&format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111122223333:log-group:{group}:*"}}}}"#
            ))])
        };
        assert_eq!(
            missing_logs(&scoped("/aws/lambda/orders"), Some("orders"), Some(FN_ARN)),
            None
        );
        assert!(
            missing_logs(&scoped("/aws/lambda/billing"), Some("orders"), Some(FN_ARN)).is_some()
        );
        // Unknown function name (a template): a grant for another named
        // function does not count, a wildcard does.
        assert!(missing_logs(&scoped("/aws/lambda/billing"), None, None).is_some());
        assert_eq!(missing_logs(&scoped("/aws/lambda/*"), None, None), None);
        // Another account's log group does not count.
        let other = role(vec![policy(
            r#"{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"arn:aws:logs:*:444455556666:*"}}"#,
        )]);
        assert!(missing_logs(&other, Some("orders"), Some(FN_ARN)).is_some());
    }

    #[test]
    fn a_logs_wildcard_arn_covers_every_group() {
        // `*` crosses `:` and `/`: `arn:aws:logs:*` is every log group and stream.
        for resource in ["arn:aws:logs:*", "arn:aws:logs:*:*:*", "arn:aws:*"] {
            let r = role(vec![policy(&format!(
                r#"{{"Statement":{{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"{resource}"}}}}"#
            ))]);
            assert_eq!(
                missing_logs(&r, Some("orders"), Some(FN_ARN)),
                None,
                "{resource}"
            );
            assert_eq!(missing_logs(&r, None, None), None, "{resource}");
        }
        // ...and a Deny on `arn:aws:logs:*` takes it all away again.
        let denied = role(vec![
            policy(r#"{"Statement":{"Effect":"Allow","Action":"logs:*","Resource":"*"}}"#),
            policy(
                r#"{"Statement":{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"arn:aws:logs:*"}}"#,
            ),
        ]);
        assert!(missing_logs(&denied, Some("orders"), Some(FN_ARN)).is_some());
    }

    #[test]
    fn only_one_of_the_two_actions_names_the_missing_one() {
        let r = role(vec![policy(
            r#"{"Statement":{"Effect":"Allow","Action":"logs:CreateLogStream","Resource":"*"}}"#,
        )]);
        let f = missing_logs(&r, Some("orders"), None).unwrap();
        assert!(f.message.contains("does not allow `logs:PutLogEvents` on"));
    }

    #[test]
    fn deny_and_not_action_are_honoured() {
        let denied = role(vec![
            NamedPolicy::aws_managed("AWSLambdaBasicExecutionRole").unwrap(),
            policy(r#"{"Statement":{"Effect":"Deny","Action":"logs:Put*","Resource":"*"}}"#),
        ]);
        assert!(missing_logs(&denied, Some("orders"), None).is_some());
        // NotAction allowing everything but IAM includes logs.
        let not_action = role(vec![policy(
            r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
        )]);
        assert_eq!(missing_logs(&not_action, Some("orders"), None), None);
        let not_logs = role(vec![policy(
            r#"{"Statement":{"Effect":"Allow","NotAction":"logs:*","Resource":"*"}}"#,
        )]);
        assert!(missing_logs(&not_logs, Some("orders"), None).is_some());
    }

    #[test]
    fn unresolved_template_resource_counts_as_a_grant() {
        let r = role(vec![policy(
            r#"{"Statement":{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"${LogGroup.Arn}"}}"#,
        )]);
        assert_eq!(missing_logs(&r, None, None), None);
    }

    #[test]
    fn shared_role_fires_for_two_functions_only() {
        let r = role(vec![]);
        assert_eq!(shared_execution_role(&r, &["a"]), None);
        let f = shared_execution_role(&r, &["a", "b"]).unwrap();
        assert_eq!(f.rule, RuleId::SharedExecutionRole);
        assert_eq!(
            f.message,
            "role `order-processor` is the execution role of 2 functions (`a`, `b`): each can do what any of them needs"
        );
    }

    #[test]
    fn role_trusting_another_service_is_not_lambda_trusted() {
        let mut r = role(vec![]);
        assert_eq!(role_not_lambda_trusted(&r), None);
        r.trust = Some(
            parse_document(
                r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
            )
            .unwrap(),
        );
        let f = role_not_lambda_trusted(&r).unwrap();
        assert_eq!(f.rule, RuleId::RoleNotLambdaTrusted);
        assert_eq!(f.severity, Severity::Low);
        r.trust = None;
        assert_eq!(
            role_not_lambda_trusted(&r),
            None,
            "unknown trust: no finding"
        );
    }

    #[test]
    fn sqs_mapping_needs_the_three_polling_actions_on_the_queue() {
        let queue = "arn:aws:sqs:us-east-1:111122223333:orders";
        let partial = role(vec![policy(&format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"{queue}"}}}}"#
        ))]);
        let f = event_source_missing_permissions(&partial, queue).unwrap();
        assert_eq!(f.rule, RuleId::EventSourceMissingPermissions);
        assert!(
            f.message
                .ends_with("does not allow `sqs:DeleteMessage`, `sqs:GetQueueAttributes` on it"),
            "{}",
            f.message
        );
        let full = role(vec![policy(&format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes"],"Resource":"{queue}"}}}}"#
        ))]);
        assert_eq!(event_source_missing_permissions(&full, queue), None);
        // Granted on another queue: still missing.
        let other = role(vec![policy(
            r#"{"Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-1:111122223333:billing"}}"#,
        )]);
        assert!(event_source_missing_permissions(&other, queue).is_some());
    }

    #[test]
    fn managed_execution_policies_cover_their_sources() {
        let kinesis = role(vec![NamedPolicy::aws_managed(
            "AWSLambdaKinesisExecutionRole",
        )
        .unwrap()]);
        assert_eq!(
            event_source_missing_permissions(
                &kinesis,
                "arn:aws:kinesis:us-east-1:111122223333:stream/clicks"
            ),
            None
        );
        let ddb = role(vec![NamedPolicy::aws_managed(
            "AWSLambdaDynamoDBExecutionRole",
        )
        .unwrap()]);
        let stream =
            "arn:aws:dynamodb:us-east-1:111122223333:table/Orders/stream/2024-01-01T00:00:00.000";
        assert_eq!(event_source_missing_permissions(&ddb, stream), None);
        let basic = role(vec![NamedPolicy::aws_managed(
            "AWSLambdaBasicExecutionRole",
        )
        .unwrap()]);
        let f = event_source_missing_permissions(&basic, stream).unwrap();
        assert!(f.message.contains("DynamoDB stream"));
        // Sources the rule does not cover: no finding.
        assert_eq!(
            event_source_missing_permissions(
                &basic,
                "arn:aws:kafka:us-east-1:111122223333:cluster/c/abc"
            ),
            None
        );
    }
}
