//! Permission policies of a role, user or group (SPEC §3.1).
//!
//! The rules ask the semantic core ([`crate::eval`]) what each statement
//! effectively grants: its actions through the catalog (`s3:Get*`,
//! `NotAction`), the scope of its resources per action (some, every resource
//! of one account, every resource: `*`, `arn:*` and `arn:aws:iam::*:role/*`
//! are all every role), minus what unconditional `Deny` statements take away,
//! and whether a condition restricts who may use it. Nothing here compares a
//! string with `"*"`.
//!
//! Severity by scope: a grant on every resource fires at the rule's
//! severity; on every resource of one account, `pass-role-wildcard`,
//! `permissions-management` and `credentials-exposure` fire one level lower
//! (medium) and `sensitive-data-read` at low, because the holder reaches
//! every role, policy or secret of that account; `privilege-escalation`
//! counts both, since an escalation inside the account is the whole risk.

use super::escalation::OpenGrant;
use super::{Context, Finding, RuleId, Severity};
use crate::catalog::{self, AccessLevels, ActionId, ActionSet};
use crate::eval::condition::is_restricting_in;
use crate::eval::grant::{expand, grants, Expansion, Grant};
use crate::policy::{Actions, Policy, Resources, Statement, StatementRef};
use std::borrow::Cow;

/// An `Allow` that leaves out at most this many actions still counts as
/// "everything" (`NotAction: ["iam:DeleteUser"]` is administrator access).
const TINY_EXCLUSION: usize = 50;

/// How many action names a message lists before it says "and N more".
const LISTED: usize = 5;

pub fn check(policy: &Policy, ctx: &Context) -> Vec<Finding> {
    let known = Known::get();
    let expansions: Vec<Expansion<'_>> = policy.statements.iter().map(expand).collect();
    let mut findings = Vec::new();
    for (s, e) in policy.statements.iter().zip(&expansions) {
        findings.extend(unknown_actions(s, &e.unknown));
    }
    let grants = grants(policy, &expansions);
    let admin = admin_access(&grants);
    let admin_statements: Vec<usize> = admin
        .as_ref()
        .map(|(_, at)| at.iter().map(|a| a.index).collect())
        .unwrap_or_default();
    let exact_of = |s: &Statement| {
        policy
            .statements
            .iter()
            .zip(&expansions)
            .find(|(t, _)| std::ptr::eq(*t, s))
            .map(|(_, e)| e.exact.as_slice())
            .unwrap_or(&[])
    };

    for g in &grants {
        let s = g.statement;
        if matches!(s.actions, Actions::NotAction(_)) {
            findings.push(not_action_allow(s));
        }
        if matches!(s.resources, Some(Resources::NotResource(_))) {
            findings.push(not_resource_allow(s));
        }
        if admin_statements.contains(&s.at.index) {
            continue; // everything else this statement grants is implied
        }
        if g.granted == 0 {
            continue;
        }
        findings.extend(resource_mismatches(s, exact_of(s)));
        findings.extend(pass_role_wildcard(g, known.pass_role));
        if g.restricted {
            continue;
        }
        for class in [
            &known.permissions_management,
            &known.credentials,
            &known.sensitive_reads,
        ] {
            findings.extend(class_rule(g, class));
        }
        if !is_allow_listed(ctx) {
            findings.extend(resource_wildcard(g, known));
        }
    }
    let judged: Vec<&Grant> = grants
        .iter()
        .filter(|g| !admin_statements.contains(&g.statement.at.index))
        .collect();
    findings.extend(service_wildcards(&judged));
    match admin {
        Some((finding, _)) => findings.push(finding),
        None => findings.extend(privilege_escalation(&grants, known)),
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
    expand(s).actions
}

/// The catalog ids the rules name, looked up once per process (on first
/// use: one pass over the catalog and a few dozen binary searches).
struct Known {
    permissions_management: Class,
    credentials: Class,
    sensitive_reads: Class,
    pass_role: Option<ActionId>,
    /// Actions that accept a resource ARN (the others need `*`), at the
    /// Write, Tagging or Permissions-management level...
    scopable_writes: ActionSet,
    /// ... and at the others (Read, List).
    scopable_reads: ActionSet,
}

impl Known {
    fn get() -> &'static Known {
        static KNOWN: std::sync::OnceLock<Known> = std::sync::OnceLock::new();
        KNOWN.get_or_init(|| Known {
            permissions_management: Class {
                rule: RuleId::PermissionsManagement,
                severity: Severity::High,
                on_one_account: Severity::Medium,
                actions: catalog_where(|id| {
                    id.info().access.contains(AccessLevels::PERMISSIONS_MANAGEMENT)
                        && id.info().accepts_resource()
                }),
                what: "lets the holder change permissions",
                fix: "scope these actions to the exact ARNs they manage (e.g. `arn:aws:iam::ACCOUNT:role/app-*`), or remove them: a function rarely needs to change IAM or resource policies",
            },
            credentials: Class {
                rule: RuleId::CredentialsExposure,
                severity: Severity::High,
                on_one_account: Severity::Medium,
                actions: scopable_in(set_of(CREDENTIAL_ACTIONS)),
                what: "returns credentials",
                fix: "scope these actions to the specific users, roles or clusters they are for; never `*`",
            },
            sensitive_reads: Class {
                rule: RuleId::SensitiveDataRead,
                severity: Severity::Medium,
                on_one_account: Severity::Low,
                actions: scopable_in(set_of(SENSITIVE_READS)),
                what: "reads sensitive data",
                fix: "scope these actions to the bucket objects, secrets, parameters, keys or tables the function reads (e.g. `arn:aws:s3:::BUCKET/prefix/*`)",
            },
            pass_role: catalog::lookup("iam:PassRole"),
            scopable_writes: catalog_where(|id| id.info().accepts_resource() && is_write(id)),
            scopable_reads: catalog_where(|id| id.info().accepts_resource() && !is_write(id)),
        })
    }
}

/// A family of actions one rule reports when granted on every resource.
struct Class {
    rule: RuleId,
    severity: Severity,
    /// The severity when the grant covers every resource of one account.
    on_one_account: Severity,
    /// The actions it reports, those that accept a resource ARN only.
    actions: ActionSet,
    what: &'static str,
    fix: &'static str,
}

fn is_write(id: ActionId) -> bool {
    let l = id.info().access;
    l.contains(AccessLevels::WRITE)
        || l.contains(AccessLevels::TAGGING)
        || l.contains(AccessLevels::PERMISSIONS_MANAGEMENT)
}

/// Actions of the catalog that accept a resource ARN and are in `set`:
/// what a class rule reports (an action that accepts only `*` cannot be
/// scoped, so it is not the policy's fault).
fn scopable_in(set: ActionSet) -> ActionSet {
    catalog_where(|id| set.contains(id) && id.info().accepts_resource())
}

fn catalog_where(keep: impl Fn(ActionId) -> bool) -> ActionSet {
    let mut set = ActionSet::new();
    for id in ActionSet::all().iter().filter(|&id| keep(id)) {
        set.insert(id);
    }
    set
}

/// The catalog ids of a curated list of action names.
fn set_of(names: &[&str]) -> ActionSet {
    let mut set = ActionSet::new();
    for id in names.iter().filter_map(|n| catalog::lookup(n)) {
        set.insert(id);
    }
    set
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

/// The statements a finding is about, for its message: `Statement[0]`, or
/// `Statement[0] + Statement[2]` when several combine.
fn statements_label(at: &[StatementRef]) -> String {
    at.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// How the statement's resources read in a message: `` `*` ``, `` `arn:*` ``,
/// or `` `NotResource` ``.
fn resources_label(s: &Statement) -> String {
    match &s.resources {
        Some(Resources::Resource(r)) => {
            let wide = r
                .iter()
                .find(|p| *p == "*")
                .or_else(|| r.iter().find(|p| p.contains('*')));
            format!("`{}`", wide.or(r.first()).map(String::as_str).unwrap_or(""))
        }
        Some(Resources::NotResource(_)) => "`NotResource`".to_string(),
        None => "no `Resource`".to_string(),
    }
}

/// `admin-access`: the unrestricted grants on every resource, together,
/// cover every action (but a tiny exclusion). Names every statement needed.
fn admin_access(grants: &[Grant<'_>]) -> Option<(Finding, Vec<StatementRef>)> {
    let open: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.open() && !g.every.is_empty())
        .collect();
    let everything = |gs: &[&Grant]| {
        let mut union = ActionSet::new();
        for g in gs {
            union.union_with(&g.every);
        }
        union.len() + TINY_EXCLUSION >= catalog::len()
    };
    if !everything(&open) {
        return None;
    }
    // Keep only the statements the union needs, in document order.
    let mut needed = open.clone();
    let mut i = 0;
    while i < needed.len() {
        let mut without = needed.clone();
        without.remove(i);
        if everything(&without) {
            needed = without;
        } else {
            i += 1;
        }
    }
    let at: Vec<StatementRef> = needed.iter().map(|g| g.statement.at.clone()).collect();
    let message = match needed.as_slice() {
        [g] => {
            let s = g.statement;
            let what = match &s.actions {
                Actions::Action(p) => format!(
                    "every action ({})",
                    p.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                ),
                Actions::NotAction(p) => format!(
                    "every action except {} (`NotAction`)",
                    p.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                ),
            };
            format!(
                "{}: allows {what} on every resource with no restricting condition: this is administrator access",
                s.at
            )
        }
        _ => format!(
            "{}: together allow every action on every resource with no restricting condition: this is administrator access",
            statements_label(&at)
        ),
    };
    let finding = Finding::new(
        RuleId::AdminAccess,
        Severity::Critical,
        message,
        "grant only the actions the function calls, on the ARNs it uses, e.g. `{\"Effect\": \"Allow\", \"Action\": [\"dynamodb:GetItem\"], \"Resource\": \"arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE\"}`".to_string(),
    )
    .at(&at[0]);
    Some((finding, at))
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

/// A service counts as wholly granted when the statement allows every one of
/// its actions, or all but this many of a service with more than
/// [`SMALL_SERVICE`] actions: a `Deny` of one obscure action does not make
/// `s3:*` any narrower.
const SERVICE_EXCLUSION: usize = 3;
const SMALL_SERVICE: usize = 10;

/// The services `granted` holds wholly, with how many actions it leaves out.
fn whole_services(granted: &ActionSet) -> Vec<(&'static str, usize)> {
    granted
        .by_service()
        .into_iter()
        .filter_map(|(service, count, total)| {
            let missing = total.saturating_sub(count);
            (missing == 0 || (total > SMALL_SERVICE && missing <= SERVICE_EXCLUSION))
                .then_some((service, missing))
        })
        .collect()
}

/// `service-wildcard`: an Allow of every action of a service, however it is
/// spelled (`s3:*`, `S3:*`, `s3:*Object*` plus the rest, a `NotAction`...),
/// in one statement or split over several (then the finding names them
/// all). Not for statements that grant (nearly) everything: `admin-access`
/// and `not-action-allow` say that.
fn service_wildcards(grants: &[&Grant<'_>]) -> Vec<Finding> {
    let broad = |g: &Grant| g.named.len() + TINY_EXCLUSION >= catalog::len();
    let mut findings = Vec::new();
    let mut alone: Vec<&'static str> = Vec::new();
    for g in grants.iter().filter(|g| !broad(g)) {
        let whole = whole_services(&g.named);
        alone.extend(whole.iter().map(|(svc, _)| *svc));
        findings.extend(service_finding(
            std::slice::from_ref(&g.statement.at),
            &whole,
        ));
    }
    // Services only the statements together grant wholly.
    let mut union = ActionSet::new();
    for g in grants.iter().filter(|g| !broad(g)) {
        union.union_with(&g.named);
    }
    let together: Vec<(&'static str, usize)> = whole_services(&union)
        .into_iter()
        .filter(|(svc, _)| !alone.contains(svc))
        .collect();
    if !together.is_empty() {
        let at: Vec<StatementRef> = grants
            .iter()
            .filter(|g| {
                !broad(g)
                    && g.named
                        .iter()
                        .any(|id| together.iter().any(|(svc, _)| *svc == id.info().service))
            })
            .map(|g| g.statement.at.clone())
            .collect();
        findings.extend(service_finding(&at, &together));
    }
    findings
}

fn service_finding(at: &[StatementRef], whole: &[(&'static str, usize)]) -> Option<Finding> {
    let first = whole.first()?.0;
    let named: Vec<String> = whole
        .iter()
        .take(LISTED)
        .map(|(svc, missing)| match missing {
            0 => format!("`{svc}:*`"),
            n => format!("`{svc}:*` (all but {n})"),
        })
        .collect();
    let more = match whole.len().saturating_sub(LISTED) {
        0 => String::new(),
        n => format!(" and {n} more services"),
    };
    let verb = if at.len() > 1 {
        "together allow"
    } else {
        "allows"
    };
    Some(
        Finding::new(
            RuleId::ServiceWildcard,
            Severity::High,
            format!(
                "{}: {verb} every action of a service ({}{more}), including ones that delete data or change permissions",
                statements_label(at),
                named.join(", ")
            ),
            format!(
                "list the `{first}:` actions the function calls (e.g. `{first}:Get*` for reads only) instead of `{first}:*`"
            ),
        )
        .at(at.first()?),
    )
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

/// `pass-role-wildcard`: `iam:PassRole` on every role (high), or every role
/// of one account (medium). `iam:PassedToService` narrows the service, not
/// the role, so it does not silence the finding.
fn pass_role_wildcard(g: &Grant<'_>, pass_role: Option<ActionId>) -> Option<Finding> {
    let pass_role = pass_role?;
    let s = g.statement;
    let (severity, scope) = if g.every.contains(pass_role) {
        (
            Severity::High,
            format!("every role ({})", resources_label(s)),
        )
    } else if g.account.contains(pass_role) {
        (
            Severity::Medium,
            format!("every role of account {}", accounts_label(g)),
        )
    } else {
        return None;
    };
    let scoped = s.conditions.iter().any(|c| {
        is_restricting_in(c, s)
            && !c.key_is("iam:PassedToService")
            && !c.key_is("iam:AssociatedResourceArn")
    });
    if scoped {
        return None;
    }
    Some(
        Finding::new(
            RuleId::PassRoleWildcard,
            severity,
            format!(
                "{}: allows `iam:PassRole` on {scope}, so the holder can hand any of them (an admin one too) to a service it controls",
                s.at
            ),
            "scope `iam:PassRole` to the role ARNs it must pass, e.g. `arn:aws:iam::ACCOUNT:role/my-app-*`, and add `\"StringEquals\": {\"iam:PassedToService\": \"lambda.amazonaws.com\"}`".to_string(),
        )
        .at(&s.at),
    )
}

fn accounts_label(g: &Grant<'_>) -> String {
    g.accounts
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A rule that fires when a statement grants actions of one class on every
/// resource (or every resource of one account, one level lower). Actions
/// that accept only `*` cannot be scoped: not the policy's fault.
fn class_rule(g: &Grant<'_>, class: &Class) -> Option<Finding> {
    let hits = |set: &ActionSet| -> Vec<ActionId> { set.iter_both(&class.actions).collect() };
    let s = g.statement;
    let every = hits(&g.every);
    let (ids, severity, scope) = if !every.is_empty() {
        (
            every,
            class.severity,
            format!("every resource ({})", resources_label(s)),
        )
    } else {
        let account = hits(&g.account);
        if account.is_empty() {
            return None;
        }
        (
            account,
            class.on_one_account,
            format!("every resource of account {}", accounts_label(g)),
        )
    };
    Some(
        Finding::new(
            class.rule,
            severity,
            format!(
                "{}: allows {} on {scope}; {} {}",
                s.at,
                list_actions(&ids),
                if ids.len() == 1 { "it" } else { "each" },
                class.what
            ),
            class.fix.to_string(),
        )
        .at(&s.at),
    )
}

/// `resource-wildcard`: every resource (`*`, `arn:*`...) on actions that
/// accept resource ARNs. Write, tagging and permissions-management actions
/// make it medium, and are named as such; read and list actions are named
/// apart.
fn resource_wildcard(g: &Grant<'_>, known: &Known) -> Option<Finding> {
    let s = g.statement;
    let writes: Vec<ActionId> = g.every.iter_both(&known.scopable_writes).collect();
    let reads: Vec<ActionId> = g.every.iter_both(&known.scopable_reads).collect();
    let what = match (writes.is_empty(), reads.is_empty()) {
        (true, true) => return None,
        (false, true) => format!(
            "write actions that accept resource ARNs: {}",
            list_actions(&writes)
        ),
        (true, false) => format!(
            "read actions that accept resource ARNs: {}",
            list_actions(&reads)
        ),
        (false, false) => format!(
            "write actions that accept resource ARNs: {}; and on read actions: {}",
            list_actions(&writes),
            list_actions(&reads)
        ),
    };
    let severity = if writes.is_empty() {
        Severity::Low
    } else {
        Severity::Medium
    };
    let spelled = match &s.resources {
        Some(Resources::NotResource(_)) => "`NotResource`".to_string(),
        _ => format!("`Resource: \"{}\"`", resources_label(s).trim_matches('`')),
    };
    Some(
        Finding::new(
            RuleId::ResourceWildcard,
            severity,
            format!("{}: {spelled} on {what}", s.at),
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

/// `privilege-escalation` (in [`super::escalation`]) gets, per statement,
/// what it allows on every resource or every resource of one account to
/// anyone: the escalation happens inside that account. A statement whose
/// only restriction is `iam:PassedToService` still passes roles, to the
/// services it names; it contributes `iam:PassRole` alone (the key is absent
/// from its other actions' requests, so the condition blocks them).
fn privilege_escalation(grants: &[Grant<'_>], known: &Known) -> Option<Finding> {
    let open: Vec<OpenGrant> = grants
        .iter()
        .filter_map(|g| {
            if g.every.is_empty() && g.account.is_empty() {
                return None;
            }
            // Borrowed unless one account adds to what every resource gives.
            let actions: Cow<ActionSet> = if g.account.is_empty() {
                Cow::Borrowed(&*g.every)
            } else {
                let mut both = g.every.clone().into_owned();
                both.union_with(&g.account);
                Cow::Owned(both)
            };
            if g.open() {
                return Some(OpenGrant {
                    at: &g.statement.at,
                    actions,
                    passed_to_service: None,
                });
            }
            let s = g.statement;
            let restricting: Vec<_> = s
                .conditions
                .iter()
                .filter(|c| is_restricting_in(c, s))
                .collect();
            let pass_role = known.pass_role?;
            if !actions.contains(pass_role)
                || !restricting.iter().all(|c| c.key_is("iam:PassedToService"))
            {
                return None;
            }
            let mut only = ActionSet::new();
            only.insert(pass_role);
            Some(OpenGrant {
                at: &s.at,
                actions: Cow::Owned(only),
                passed_to_service: Some(
                    restricting
                        .iter()
                        .flat_map(|c| c.values.iter().cloned())
                        .collect(),
                ),
            })
        })
        .collect();
    super::escalation::privilege_escalation(&open)
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

    /// The spellings of issue 9 that IAM treats like `*` on `*`.
    #[test]
    fn cheap_equivalents_of_admin_get_admin_access() {
        for doc in [
            r#"[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:*"}]"#,
            r#"{"Effect":"Allow","Action":"*","Resource":"arn:*"}"#,
            r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:*:*:*:*"}"#,
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["0.0.0.0/0","::/0"]}}}"#,
            r#"{"Effect":"Allow","Action":"*:*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"*"}}}"#,
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}"#,
        ] {
            let doc = format!(r#"{{"Version":"2012-10-17","Statement":{doc}}}"#);
            let r = rules(&doc);
            assert!(r.contains(&RuleId::AdminAccess), "{doc}: {r:?}");
        }
    }

    #[test]
    fn admin_access_split_in_statements_names_every_one() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":["a*:*","b*:*","c*:*","d*:*","e*:*","f*:*","g*:*","h*:*","i*:*","j*:*","k*:*","l*:*"],"Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Action":["m*:*","n*:*","o*:*","p*:*","q*:*","r*:*","s*:*","t*:*","u*:*","v*:*","w*:*","x*:*","y*:*","z*:*"],"Resource":"arn:*"}"#,
        ));
        let admin: Vec<_> = f.iter().filter(|f| f.rule == RuleId::AdminAccess).collect();
        assert_eq!(admin.len(), 1, "{f:?}");
        assert!(
            admin[0]
                .message
                .starts_with("Statement[0] + Statement[2]: together allow every action"),
            "{}",
            admin[0].message
        );
    }

    #[test]
    fn a_real_fence_or_an_organization_condition_removes_admin_access() {
        for doc in [
            r#"[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::one-bucket/*"}]"#,
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}"#,
            r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#,
        ] {
            let doc = format!(r#"{{"Version":"2012-10-17","Statement":{doc}}}"#);
            assert!(!rules(&doc).contains(&RuleId::AdminAccess), "{doc}");
        }
    }

    #[test]
    fn escalation_on_arn_aws_star_is_found_and_names_the_statements() {
        let r = rules(&stmt(
            r#"{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"arn:aws:*"}"#,
        ));
        assert!(r.contains(&RuleId::PrivilegeEscalation), "{r:?}");
        assert!(r.contains(&RuleId::PassRoleWildcard), "{r:?}");
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*"},{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}"#,
        ));
        let esc = f
            .iter()
            .find(|f| f.rule == RuleId::PrivilegeEscalation)
            .expect("fires");
        assert!(
            esc.message.starts_with("Statement[1] + Statement[2]: "),
            "{}",
            esc.message
        );
        assert_eq!(esc.statement.as_ref().map(|s| s.index), Some(1));
    }

    #[test]
    fn one_account_is_reported_one_level_lower() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":["iam:PassRole","iam:PutRolePolicy"],"Resource":"arn:aws:iam::111122223333:role/*"}"#,
        ));
        let sev = |rule| f.iter().find(|f| f.rule == rule).map(|f| f.severity);
        assert_eq!(
            sev(RuleId::PassRoleWildcard),
            Some(Severity::Medium),
            "{f:?}"
        );
        assert_eq!(
            sev(RuleId::PermissionsManagement),
            Some(Severity::Medium),
            "{f:?}"
        );
        assert_eq!(
            sev(RuleId::PrivilegeEscalation),
            Some(Severity::Critical),
            "{f:?}"
        );
        assert!(f
            .iter()
            .any(|f| f.message.contains("every role of account `111122223333`")));
    }

    #[test]
    fn resource_wildcard_names_reads_as_reads() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:DescribeTable"],"Resource":"*"}"#,
        ));
        let rw = f
            .iter()
            .find(|f| f.rule == RuleId::ResourceWildcard)
            .expect("fires");
        assert_eq!(rw.severity, Severity::Medium);
        assert_eq!(
            rw.message,
            "Statement[0]: `Resource: \"*\"` on write actions that accept resource ARNs: `dynamodb:PutItem`; and on read actions: `dynamodb:DescribeTable`"
        );
    }

    #[test]
    fn service_wildcard_split_over_statements_names_them_all() {
        let f = run(&stmt(
            r#"{"Effect":"Allow","Action":["s3:A*","s3:B*","s3:C*","s3:D*","s3:E*","s3:F*","s3:G*","s3:H*","s3:I*","s3:J*","s3:K*","s3:L*"],"Resource":"*"},{"Effect":"Allow","Action":["s3:M*","s3:N*","s3:O*","s3:P*","s3:Q*","s3:R*","s3:S*","s3:T*","s3:U*","s3:V*","s3:W*","s3:X*","s3:Y*","s3:Z*"],"Resource":"*"}"#,
        ));
        let sw: Vec<_> = f
            .iter()
            .filter(|f| f.rule == RuleId::ServiceWildcard)
            .collect();
        assert_eq!(sw.len(), 1, "{f:?}");
        assert!(
            sw[0].message.starts_with(
                "Statement[0] + Statement[1]: together allow every action of a service (`s3:*`)"
            ),
            "{}",
            sw[0].message
        );
    }

    #[test]
    fn service_wildcard_is_judged_by_meaning() {
        for doc in [
            r#"{"Effect":"Allow","Action":"S3:*","Resource":"arn:aws:s3:::b/*"}"#,
            r#"{"Effect":"Allow","Action":["s3:*Object*","s3:*"],"Resource":"arn:aws:s3:::b/*"}"#,
            r#"[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Action":"s3:PutBucketTagging","Resource":"*"}]"#,
        ] {
            let doc = format!(r#"{{"Version":"2012-10-17","Statement":{doc}}}"#);
            assert!(rules(&doc).contains(&RuleId::ServiceWildcard), "{doc}");
        }
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
