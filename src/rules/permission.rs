//! Permission policies of a role, user or group (SPEC §3.1).
//!
//! The rules reason about what a statement *effectively* grants: its actions
//! expanded through the catalog (`s3:Get*`, `NotAction`), minus what an
//! unconditional `Deny` on every resource takes away. A grant is "on every
//! resource" when `Resource` holds `*` (or `NotResource` is used), and
//! "unrestricted" when no condition narrows it (see [`super::conditions`]).

use super::conditions::{has_restricting_condition, is_restricting};
use super::{Context, Finding, RuleId, Severity};
use crate::catalog::{self, AccessLevels, ActionId, ActionSet};
use crate::policy::{Actions, Policy, Resources, Statement};

/// An `Allow` that leaves out at most this many actions still counts as
/// "everything" (`NotAction: ["iam:DeleteUser"]` is administrator access).
const TINY_EXCLUSION: usize = 50;

/// How many action names a message lists before it says "and N more".
const LISTED: usize = 5;

pub fn check(policy: &Policy, ctx: &Context) -> Vec<Finding> {
    let denied = denied_everywhere(policy);
    let known = Known::get();
    let mut findings = Vec::new();
    // What the whole policy allows on `*` without a restricting condition:
    // the input of `privilege-escalation`, with the statement granting each part.
    let mut open_grants: Vec<(&Statement, ActionSet)> = Vec::new();
    let mut any_admin = false;

    for s in &policy.statements {
        let Expansion {
            mut granted,
            unknown,
            exact,
        } = expansion(s);
        findings.extend(unknown_actions(s, &unknown));
        if !s.is_allow() {
            continue;
        }
        granted.subtract(&denied);
        let on_any = s.resource_is_any();
        let restricted = has_restricting_condition(s);

        if matches!(s.actions, Actions::NotAction(_)) {
            findings.push(not_action_allow(s));
        }
        if matches!(s.resources, Some(Resources::NotResource(_))) {
            findings.push(not_resource_allow(s));
        }
        if on_any && !restricted && granted.len() + TINY_EXCLUSION >= catalog::len() {
            findings.push(admin_access(s));
            any_admin = true;
            continue; // everything else this statement grants is implied
        }
        findings.extend(service_wildcards(s, &granted));
        if granted.is_empty() {
            continue;
        }
        findings.extend(resource_mismatches(s, &exact));
        if !on_any {
            continue;
        }
        findings.extend(pass_role_wildcard(s, &granted, known.pass_role));
        if restricted {
            continue;
        }
        findings.extend(level_rule(
            s,
            &granted,
            |id| id.info().access.contains(AccessLevels::PERMISSIONS_MANAGEMENT),
            RuleId::PermissionsManagement,
            Severity::High,
            "lets the holder change permissions",
            "scope these actions to the exact ARNs they manage (e.g. `arn:aws:iam::ACCOUNT:role/app-*`), or remove them: a function rarely needs to change IAM or resource policies",
        ));
        findings.extend(level_rule(
            s,
            &granted,
            |id| known.credential_actions.contains(&id),
            RuleId::CredentialsExposure,
            Severity::High,
            "returns credentials",
            "scope these actions to the specific users, roles or clusters they are for; never `*`",
        ));
        findings.extend(level_rule(
            s,
            &granted,
            |id| known.sensitive_reads.contains(&id),
            RuleId::SensitiveDataRead,
            Severity::Medium,
            "reads sensitive data",
            "scope these actions to the bucket objects, secrets, parameters, keys or tables the function reads (e.g. `arn:aws:s3:::BUCKET/prefix/*`)",
        ));
        if !is_allow_listed(ctx) {
            findings.extend(resource_wildcard(s, &granted));
        }
        open_grants.push((s, granted));
    }
    if !any_admin {
        findings.extend(privilege_escalation(&open_grants, known));
    }
    findings
}

/// Whether the document is an AWS managed execution policy that must not make
/// every SAM function noisy (SPEC §3.1).
fn is_allow_listed(ctx: &Context) -> bool {
    ctx.managed_policy_name
        .as_deref()
        .is_some_and(catalog::managed::is_allow_listed_execution_policy)
}

/// The actions a statement's `Action`/`NotAction` names, through the catalog.
pub fn granted_actions(s: &Statement) -> ActionSet {
    expansion(s).granted
}

/// What a statement's action patterns name, each pattern through the
/// catalog once.
struct Expansion<'a> {
    /// What the statement grants (for `NotAction`, everything else).
    granted: ActionSet,
    /// Patterns that match nothing.
    unknown: Vec<&'a str>,
    /// The actions named exactly, without a wildcard.
    exact: Vec<ActionId>,
}

fn expansion(s: &Statement) -> Expansion<'_> {
    let mut named = ActionSet::new();
    let mut unknown = Vec::new();
    let mut exact = Vec::new();
    for p in s.actions.patterns() {
        let wildcard = p.contains(['*', '?']);
        let mut any = false;
        for id in catalog::matching(p) {
            named.insert(id);
            any = true;
            if !wildcard {
                exact.push(id);
            }
        }
        if !any {
            unknown.push(p.as_str());
        }
    }
    let granted = match s.actions {
        Actions::Action(_) => named,
        Actions::NotAction(_) => {
            let mut all = ActionSet::all();
            all.subtract(&named);
            all
        }
    };
    Expansion {
        granted,
        unknown,
        exact,
    }
}

/// The catalog ids the rules name, looked up once per process (a few dozen
/// binary searches, on first use).
struct Known {
    credential_actions: Vec<ActionId>,
    sensitive_reads: Vec<ActionId>,
    pass_role: Option<ActionId>,
    /// Per escalation path, the ids of its actions (`None` if the catalog
    /// lacks one, which disables that path).
    paths: Vec<Option<Vec<ActionId>>>,
}

impl Known {
    fn get() -> &'static Known {
        static KNOWN: std::sync::OnceLock<Known> = std::sync::OnceLock::new();
        KNOWN.get_or_init(|| Known {
            credential_actions: ids(CREDENTIAL_ACTIONS),
            sensitive_reads: ids(SENSITIVE_READS),
            pass_role: catalog::lookup("iam:PassRole"),
            paths: ESCALATION_PATHS
                .iter()
                .map(|p| p.needs.iter().map(|a| catalog::lookup(a)).collect())
                .collect(),
        })
    }
}

/// What unconditional `Deny` statements take away everywhere. A conditional
/// deny, or one on named resources only, does not reliably subtract.
fn denied_everywhere(policy: &Policy) -> ActionSet {
    let mut denied = ActionSet::new();
    for s in &policy.statements {
        if !s.is_allow() && s.resource_is_any() && s.conditions.is_empty() {
            denied.union_with(&granted_actions(s));
        }
    }
    denied
}

/// The catalog ids of a curated list of action names.
fn ids(names: &[&str]) -> Vec<ActionId> {
    names.iter().filter_map(|n| catalog::lookup(n)).collect()
}

fn list_actions(ids: &[ActionId]) -> String {
    let mut names: Vec<String> = ids
        .iter()
        .take(LISTED)
        .map(|id| format!("`{}`", id.info()))
        .collect();
    if ids.len() > LISTED {
        names.push(format!("and {} more", ids.len() - LISTED));
    }
    names.join(", ")
}

fn admin_access(s: &Statement) -> Finding {
    let what = match &s.actions {
        Actions::Action(_) => "every action (`*`)".to_string(),
        Actions::NotAction(p) => format!(
            "every action except {} (`NotAction`)",
            p.iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Finding::new(
        RuleId::AdminAccess,
        Severity::Critical,
        format!(
            "{}: allows {what} on every resource with no restricting condition: this is administrator access",
            s.at
        ),
        "grant only the actions the function calls, on the ARNs it uses, e.g. `{\"Effect\": \"Allow\", \"Action\": [\"dynamodb:GetItem\"], \"Resource\": \"arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE\"}`".to_string(),
    )
    .at(&s.at)
}

fn not_action_allow(s: &Statement) -> Finding {
    Finding::new(
        RuleId::NotActionAllow,
        Severity::High,
        format!(
            "{}: `Allow` with `NotAction` grants every action except the ones listed, including any AWS adds later",
            s.at
        ),
        "list the allowed actions in `Action` instead; keep `NotAction` for `Deny` statements".to_string(),
    )
    .at(&s.at)
}

fn not_resource_allow(s: &Statement) -> Finding {
    Finding::new(
        RuleId::NotResourceAllow,
        Severity::Medium,
        format!(
            "{}: `Allow` with `NotResource` grants the actions on every resource except the ones listed",
            s.at
        ),
        "list the resources the actions apply to in `Resource` instead".to_string(),
    )
    .at(&s.at)
}

/// `service-wildcard`: an Allow of `svc:*`.
fn service_wildcards(s: &Statement, granted: &ActionSet) -> Vec<Finding> {
    let Actions::Action(patterns) = &s.actions else {
        return Vec::new();
    };
    patterns
        .iter()
        .filter_map(|p| {
            let (svc, name) = p.split_once(':')?;
            if name != "*" || !catalog::service_known(svc) {
                return None;
            }
            // Nothing of it left after the denies: harmless.
            catalog::matching(p).find(|id| granted.contains(*id))?;
            Some(
                Finding::new(
                    RuleId::ServiceWildcard,
                    Severity::High,
                    format!(
                        "{}: allows every action of a service (`{p}`), including ones that delete data or change permissions",
                        s.at
                    ),
                    format!(
                        "list the `{svc}:` actions the function calls (e.g. `{svc}:Get*` for reads only) instead of `{p}`"
                    ),
                )
                .at(&s.at),
            )
        })
        .collect()
}

/// `unknown-action`: a pattern that matches nothing in the catalog.
fn unknown_actions(s: &Statement, unknown: &[&str]) -> Vec<Finding> {
    unknown
        .iter()
        .map(|p| {
            let hint = match catalog::suggest(p) {
                Some(best) => format!("did you mean `{best}`? "),
                None => String::new(),
            };
            Finding::new(
                RuleId::UnknownAction,
                Severity::Medium,
                format!(
                    "{}: `{p}` matches no IAM action (catalog of {}): a typo grants nothing and becomes an AccessDenied",
                    s.at,
                    &catalog::SOURCE_DATE[..10.min(catalog::SOURCE_DATE.len())]
                ),
                format!("{hint}write the action as `service:ActionName`, as the Service Authorization Reference spells it"),
            )
            .at(&s.at)
        })
        .collect()
}

/// `resource-mismatch`: an action (named exactly) that accepts resource ARNs,
/// none of which the statement's `Resource` entries can be.
fn resource_mismatches(s: &Statement, exact: &[ActionId]) -> Vec<Finding> {
    let (Actions::Action(_), Some(Resources::Resource(resources))) = (&s.actions, &s.resources)
    else {
        return Vec::new();
    };
    if resources.iter().any(|r| r == "*") {
        return Vec::new();
    }
    exact
        .iter()
        .filter(|id| {
            let a = id.info();
            a.accepts_resource()
                && !resources
                    .iter()
                    .any(|r| a.resource_arns().any(|t| catalog::arn_matches_type(r, t)))
        })
        .map(|id| {
            let a = id.info();
            let expected: Vec<String> = a.resource_arns().map(|t| format!("`{t}`")).collect();
            Finding::new(
                RuleId::ResourceMismatch,
                Severity::Low,
                format!(
                    "{}: `{a}` applies to none of the listed resources ({}), so it grants nothing",
                    s.at,
                    resources
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "give `{a}` a resource of the form {}",
                    expected.join(" or ")
                ),
            )
            .at(&s.at)
        })
        .collect()
}

/// `pass-role-wildcard`: `iam:PassRole` on any role. `iam:PassedToService`
/// narrows the service, not the role, so it does not silence the finding.
fn pass_role_wildcard(
    s: &Statement,
    granted: &ActionSet,
    pass_role: Option<ActionId>,
) -> Option<Finding> {
    if !granted.contains(pass_role?) {
        return None;
    }
    let scoped = s.conditions.iter().any(|c| {
        is_restricting(c)
            && !c.key_is("iam:PassedToService")
            && !c.key_is("iam:AssociatedResourceArn")
    });
    if scoped {
        return None;
    }
    Some(
        Finding::new(
            RuleId::PassRoleWildcard,
            Severity::High,
            format!(
                "{}: allows `iam:PassRole` on every role, so the holder can hand any role (an admin one too) to a service it controls",
                s.at
            ),
            "scope `iam:PassRole` to the role ARNs it must pass, e.g. `arn:aws:iam::ACCOUNT:role/my-app-*`, and add `\"StringEquals\": {\"iam:PassedToService\": \"lambda.amazonaws.com\"}`".to_string(),
        )
        .at(&s.at),
    )
}

/// A rule that fires when a statement grants, on `*`, actions of one class.
fn level_rule(
    s: &Statement,
    granted: &ActionSet,
    class: impl Fn(ActionId) -> bool,
    rule: RuleId,
    severity: Severity,
    what: &str,
    fix: &str,
) -> Option<Finding> {
    let hits: Vec<ActionId> = granted
        .iter()
        // Actions that accept only `*` cannot be scoped: not the policy's fault.
        .filter(|&id| id.info().accepts_resource() && class(id))
        .collect();
    if hits.is_empty() {
        return None;
    }
    Some(
        Finding::new(
            rule,
            severity,
            format!(
                "{}: allows {} on every resource (`*`); {} {what}",
                s.at,
                list_actions(&hits),
                if hits.len() == 1 { "it" } else { "each" }
            ),
            fix.to_string(),
        )
        .at(&s.at),
    )
}

/// `resource-wildcard`: `Resource: "*"` on actions that accept resource ARNs.
fn resource_wildcard(s: &Statement, granted: &ActionSet) -> Option<Finding> {
    if !matches!(&s.resources, Some(Resources::Resource(r)) if r.iter().any(|r| r == "*")) {
        return None;
    }
    let scopable: Vec<ActionId> = granted
        .iter()
        .filter(|id| id.info().accepts_resource())
        .collect();
    if scopable.is_empty() {
        return None;
    }
    let writes = scopable.iter().any(|id| {
        let l = id.info().access;
        l.contains(AccessLevels::WRITE)
            || l.contains(AccessLevels::TAGGING)
            || l.contains(AccessLevels::PERMISSIONS_MANAGEMENT)
    });
    let (severity, kind) = if writes {
        (Severity::Medium, "write")
    } else {
        (Severity::Low, "read")
    };
    Some(
        Finding::new(
            RuleId::ResourceWildcard,
            severity,
            format!(
                "{}: `Resource: \"*\"` on {kind} actions that accept resource ARNs: {}",
                s.at,
                list_actions(&scopable)
            ),
            "replace `*` with the ARNs of the resources the function uses (actions that accept only `*`, such as `xray:PutTraceSegments`, may stay in a statement of their own)".to_string(),
        )
        .at(&s.at),
    )
}

/// Actions whose response carries credentials (SPEC §3.1 `credentials-exposure`).
const CREDENTIAL_ACTIONS: &[&str] = &[
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials",
    "ec2:GetPasswordData",
    "lightsail:GetInstanceAccessDetails",
    "codeartifact:GetAuthorizationToken",
    "rds-db:connect",
];

/// Reads of data that is sensitive by nature (SPEC §3.1 `sensitive-data-read`).
const SENSITIVE_READS: &[&str] = &[
    "s3:GetObject",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
    "dynamodb:Scan",
    "dynamodb:Query",
];

/// A known way to turn a permission into more permissions: the Rhino
/// Security Labs methods and the Lambda ones of SPEC §3.1. Every action of
/// `needs` must be allowed on `*`.
struct EscalationPath {
    needs: &'static [&'static str],
    how: &'static str,
}

const ESCALATION_PATHS: &[EscalationPath] = &[
    EscalationPath {
        needs: &["iam:CreatePolicyVersion"],
        how: "write a new default version of a policy the holder already has",
    },
    EscalationPath {
        needs: &["iam:SetDefaultPolicyVersion"],
        how: "roll a policy back to an older, broader version",
    },
    EscalationPath {
        needs: &["iam:AttachUserPolicy"],
        how: "attach `AdministratorAccess` to a user",
    },
    EscalationPath {
        needs: &["iam:AttachGroupPolicy"],
        how: "attach `AdministratorAccess` to a group",
    },
    EscalationPath {
        needs: &["iam:AttachRolePolicy"],
        how: "attach `AdministratorAccess` to a role",
    },
    EscalationPath {
        needs: &["iam:PutUserPolicy"],
        how: "write an inline admin policy on a user",
    },
    EscalationPath {
        needs: &["iam:PutGroupPolicy"],
        how: "write an inline admin policy on a group",
    },
    EscalationPath {
        needs: &["iam:PutRolePolicy"],
        how: "write an inline admin policy on a role",
    },
    EscalationPath {
        needs: &["iam:AddUserToGroup"],
        how: "join a more privileged group",
    },
    EscalationPath {
        needs: &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
        how: "make a privileged role trust the holder, then assume it",
    },
    EscalationPath {
        needs: &["iam:CreateAccessKey"],
        how: "create access keys for another user",
    },
    EscalationPath {
        needs: &["iam:CreateLoginProfile"],
        how: "set a console password for another user",
    },
    EscalationPath {
        needs: &["iam:UpdateLoginProfile"],
        how: "change another user's console password",
    },
    EscalationPath {
        needs: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
        how: "create a function with a privileged role and invoke it",
    },
    EscalationPath {
        needs: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
        how: "create a function with a privileged role and trigger it from an event source",
    },
    EscalationPath {
        needs: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:AddPermission",
        ],
        how: "create a function with a privileged role and open it to invocation",
    },
    EscalationPath {
        needs: &["lambda:UpdateFunctionCode"],
        how: "replace the code of a function that has a privileged role",
    },
    EscalationPath {
        needs: &["lambda:UpdateFunctionConfiguration"],
        how: "add a layer or change the handler of a function that has a privileged role",
    },
    EscalationPath {
        needs: &["iam:PassRole", "ec2:RunInstances"],
        how: "start an instance with a privileged instance profile",
    },
    EscalationPath {
        needs: &["iam:PassRole", "glue:CreateDevEndpoint"],
        how: "create a Glue endpoint with a privileged role",
    },
    EscalationPath {
        needs: &["glue:UpdateDevEndpoint"],
        how: "add an SSH key to a Glue endpoint with a privileged role",
    },
    EscalationPath {
        needs: &["iam:PassRole", "cloudformation:CreateStack"],
        how: "create a stack that runs with a privileged role",
    },
    EscalationPath {
        needs: &[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
        how: "run a pipeline with a privileged role",
    },
];

/// `privilege-escalation`: the union of unrestricted grants on `*` contains
/// every action of a known escalation path.
fn privilege_escalation(open_grants: &[(&Statement, ActionSet)], known: &Known) -> Option<Finding> {
    if open_grants.is_empty() {
        return None;
    }
    let granting = |id: ActionId| -> Option<&Statement> {
        open_grants
            .iter()
            .find(|(_, set)| set.contains(id))
            .map(|(s, _)| *s)
    };
    let found: Vec<(&EscalationPath, &Statement)> = ESCALATION_PATHS
        .iter()
        .zip(&known.paths)
        .filter_map(|(path, ids)| {
            let statements: Option<Vec<&Statement>> =
                ids.as_ref()?.iter().map(|&id| granting(id)).collect();
            Some((path, statements?.into_iter().next()?))
        })
        .collect();
    let (first, at) = found.first()?;
    let others = found.len() - 1;
    let needs = first
        .needs
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(" + ");
    let more = if others > 0 {
        format!(" ({others} more known paths too)")
    } else {
        String::new()
    };
    Some(
        Finding::new(
            RuleId::PrivilegeEscalation,
            Severity::Critical,
            format!(
                "{}: allows {needs} on every resource: the holder can {} and so gain more permissions than granted{more}",
                at.at, first.how
            ),
            "scope these actions to the exact resources they are for (e.g. `iam:PassRole` on one role ARN, `lambda:UpdateFunctionCode` on one function ARN), or remove them".to_string(),
        )
        .at(&at.at),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;

    fn run(doc: &str) -> Vec<Finding> {
        check(&parse_document(doc).unwrap(), &Context::default())
    }

    fn run_with(doc: &str, ctx: &Context) -> Vec<Finding> {
        check(&parse_document(doc).unwrap(), ctx)
    }

    fn rules(doc: &str) -> Vec<RuleId> {
        run(doc).into_iter().map(|f| f.rule).collect()
    }

    fn stmt(body: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#)
    }

    /// SPEC §9: AWSLambdaBasicExecutionRole's grant written out, plus
    /// dynamodb:GetItem/Query on one table and s3:PutObject on one bucket's objects.
    const ORDER_PROCESSOR: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["logs:CreateLogGroup"],"Resource":"arn:aws:logs:us-east-1:111122223333:*"},
        {"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/order-processor:*"},
        {"Sid":"ReadOrders","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Orders"},
        {"Sid":"WriteReceipts","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::receipts-bucket/*"}]}"#;

    #[test]
    fn order_processor_role_has_no_finding() {
        assert_eq!(run(ORDER_PROCESSOR), vec![]);
    }

    #[test]
    fn admin_access_fires_on_star_star() {
        let f = run(&stmt(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, RuleId::AdminAccess);
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(
            f[0].message,
            "Statement[0]: allows every action (`*`) on every resource with no restricting condition: this is administrator access"
        );
    }

    #[test]
    fn admin_access_fires_on_not_action_with_a_tiny_exclusion() {
        let r = rules(&stmt(
            r#"{"Effect":"Allow","NotAction":"iam:DeleteUser","Resource":"*"}"#,
        ));
        assert!(r.contains(&RuleId::AdminAccess), "{r:?}");
        assert!(r.contains(&RuleId::NotActionAllow), "{r:?}");
    }

    #[test]
    fn admin_access_is_cancelled_by_a_deny_and_silenced_by_a_scoping_condition() {
        assert_eq!(
            rules(&stmt(
                r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*"}"#
            )),
            vec![]
        );
        assert_eq!(
            rules(&stmt(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#)),
            vec![]
        );
        let r = rules(&stmt(
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}"#,
        ));
        assert!(!r.contains(&RuleId::AdminAccess), "{r:?}");
    }

    #[test]
    fn a_non_scoping_condition_does_not_silence_admin_access() {
        let r = rules(&stmt(
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
        ));
        assert_eq!(r, vec![RuleId::AdminAccess]);
    }

    #[test]
    fn service_wildcard_fires_on_svc_star_only() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#,
        ));
        assert_eq!(
            f.iter().map(|f| f.rule).collect::<Vec<_>>(),
            [RuleId::ServiceWildcard]
        );
        assert!(f[0].message.contains("`s3:*`"));
        assert_eq!(
            rules(&stmt(
                r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}"#
            )),
            vec![]
        );
    }

    #[test]
    fn privilege_escalation_fires_on_lambda_pass_role_path() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}"#,
        ));
        let esc: Vec<_> = f
            .iter()
            .filter(|f| f.rule == RuleId::PrivilegeEscalation)
            .collect();
        assert_eq!(esc.len(), 1, "{f:?}");
        assert!(
            esc[0]
                .message
                .contains("`iam:PassRole` + `lambda:CreateFunction` + `lambda:InvokeFunction`"),
            "{}",
            esc[0].message
        );
    }

    #[test]
    fn privilege_escalation_needs_every_action_of_a_path_on_star() {
        // PassRole scoped to one role: the path is closed.
        let r = rules(&stmt(
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app"},{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}"#,
        ));
        assert!(!r.contains(&RuleId::PrivilegeEscalation), "{r:?}");
        assert!(rules(&stmt(
            r#"{"Effect":"Allow","Action":"lambda:UpdateFunctionCode","Resource":"*"}"#
        ))
        .contains(&RuleId::PrivilegeEscalation));
    }

    #[test]
    fn pass_role_wildcard_fires_on_star_even_with_passed_to_service() {
        let r = rules(&stmt(
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}"#,
        ));
        assert!(r.contains(&RuleId::PassRoleWildcard), "{r:?}");
        let r = rules(&stmt(
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app"}"#,
        ));
        assert_eq!(r, vec![]);
    }

    #[test]
    fn permissions_management_fires_on_star_not_on_scoped() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"*"}"#,
        ));
        let pm = f
            .iter()
            .find(|f| f.rule == RuleId::PermissionsManagement)
            .expect("fires");
        assert_eq!(
            pm.message,
            "Statement[0]: allows `iam:PutRolePolicy` on every resource (`*`); it lets the holder change permissions"
        );
        assert!(!rules(&stmt(r#"{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"arn:aws:iam::111122223333:role/app-*"}"#))
            .contains(&RuleId::PermissionsManagement));
    }

    #[test]
    fn credentials_exposure_fires_on_star() {
        assert!(rules(&stmt(
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#
        ))
        .contains(&RuleId::CredentialsExposure));
        assert_eq!(
            rules(&stmt(
                r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/reader"}"#
            )),
            vec![]
        );
    }

    #[test]
    fn sensitive_data_read_fires_on_star() {
        let r = rules(&stmt(
            r#"{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#,
        ));
        assert!(r.contains(&RuleId::SensitiveDataRead), "{r:?}");
        assert!(r.contains(&RuleId::ResourceWildcard), "{r:?}");
        assert_eq!(
            rules(&stmt(
                r#"{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}"#
            )),
            vec![]
        );
    }

    #[test]
    fn resource_wildcard_grades_by_access_level_and_spares_star_only_actions() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"*"}"#,
        ));
        assert_eq!(
            (f[0].rule, f[0].severity),
            (RuleId::ResourceWildcard, Severity::Medium)
        );
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"*"}"#,
        ));
        assert_eq!(
            (f[0].rule, f[0].severity),
            (RuleId::ResourceWildcard, Severity::Low)
        );
        // Accept only `*`: required, not lazy.
        assert_eq!(
            rules(&stmt(
                r#"{"Effect":"Allow","Action":["xray:PutTraceSegments","lambda:ListFunctions"],"Resource":"*"}"#
            )),
            vec![]
        );
    }

    #[test]
    fn resource_wildcard_spares_allow_listed_execution_policies() {
        let doc = stmt(
            r#"{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}"#,
        );
        assert!(rules(&doc).contains(&RuleId::ResourceWildcard));
        let ctx = Context {
            managed_policy_name: Some("AWSLambdaBasicExecutionRole".into()),
            ..Context::default()
        };
        assert_eq!(run_with(&doc, &ctx), vec![]);
    }

    #[test]
    fn not_action_and_not_resource_allow_fire_only_on_allow() {
        let r = rules(&stmt(
            r#"{"Effect":"Allow","NotAction":"s3:*","Resource":"arn:aws:s3:::b"}"#,
        ));
        assert!(r.contains(&RuleId::NotActionAllow), "{r:?}");
        let r = rules(&stmt(
            r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}"#,
        ));
        assert!(r.contains(&RuleId::NotResourceAllow), "{r:?}");
        assert_eq!(
            rules(&stmt(
                r#"{"Effect":"Deny","NotAction":"s3:*","NotResource":"arn:aws:s3:::b"}"#
            )),
            vec![]
        );
    }

    #[test]
    fn unknown_action_fires_with_a_hint() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":"s3:GetObjet","Resource":"arn:aws:s3:::b/*"}"#,
        ));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, RuleId::UnknownAction);
        assert!(
            f[0].fix.starts_with("did you mean `s3:GetObject`?"),
            "{}",
            f[0].fix
        );
        assert_eq!(
            rules(&stmt(
                r#"{"Effect":"Allow","Action":"S3:getobject","Resource":"arn:aws:s3:::b/*"}"#
            )),
            vec![]
        );
    }

    #[test]
    fn resource_mismatch_fires_when_no_resource_fits_the_action() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket"}"#,
        ));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].rule, f[0].severity),
            (RuleId::ResourceMismatch, Severity::Low)
        );
        assert_eq!(
            rules(&stmt(
                r#"{"Effect":"Allow","Action":["s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"]}"#
            )),
            vec![]
        );
    }
}
