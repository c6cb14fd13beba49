//! Trust policies: who may assume a role (SPEC §3.2).
//!
//! Only `Allow` statements that grant a way into the role count (an
//! `sts:AssumeRole*` action, `sts:TagSession`, or a wildcard covering one):
//! a Deny never opens the door, and an action like `s3:GetObject` in a trust
//! policy grants nothing.

use super::{describe_principal, Context, Finding, OrgGuard, RuleId, Severity};
use crate::catalog::glob_match_ignore_case;
use crate::eval::condition::{is_globbing, is_restricting, pins_any_of, ACCOUNT_OR_ORG_KEYS};
use crate::policy::{Actions, Condition, Policy, Principal, PrincipalKind, Statement};

/// The actions that let a principal into a role (or shape its session).
const TRUST_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
];

/// The actions that actually hand out the role's credentials.
const ASSUME_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
];

const WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

/// The Lambda service principals: `edgelambda` is required next to `lambda`
/// for Lambda@Edge, so it is not an extra principal.
const LAMBDA_SERVICES: &[&str] = &["lambda.amazonaws.com", "edgelambda.amazonaws.com"];

pub fn check(policy: &Policy, ctx: &Context) -> Vec<Finding> {
    let trust: Vec<&Statement> = policy
        .statements
        .iter()
        .filter(|s| s.is_allow() && TRUST_ACTIONS.iter().any(|a| grants(s, a)))
        .collect();
    let mut findings = Vec::new();
    for s in &trust {
        any_principal(s, &mut findings);
        not_principal(s, &mut findings);
        cross_account(s, ctx, &mut findings);
        oidc_unrestricted(s, &mut findings);
        wildcard_action(s, &mut findings);
    }
    extra_principals(&trust, &mut findings);
    findings
}

/// Whether the statement's `Action`/`NotAction` lets `action` through.
fn grants(s: &Statement, action: &str) -> bool {
    match &s.actions {
        Actions::Action(p) => p.iter().any(|p| glob_match_ignore_case(p, action)),
        Actions::NotAction(p) => !p.iter().any(|p| glob_match_ignore_case(p, action)),
    }
}

fn finding(rule: RuleId, severity: Severity, s: &Statement, msg: String, fix: String) -> Finding {
    Finding::new(rule, severity, format!("{}: {msg}", s.at), fix).at(&s.at)
}

fn describe(p: &Principal) -> String {
    describe_principal(&p.kind, &p.value)
}

fn describe_all(ps: &[Principal]) -> String {
    ps.iter().map(describe).collect::<Vec<_>>().join(", ")
}

/// `"*"`, `{"AWS": "*"}`, or `Allow` + `NotPrincipal` (everyone but a few):
/// critical unless a condition pins the caller to an account or organization.
/// `sts:ExternalId` alone does not: AWS documents it as not secret, and it
/// does nothing about who calls.
fn any_principal(s: &Statement, out: &mut Vec<Finding>) {
    let who = if let Some(p) = s.principals().iter().find(|p| p.is_anyone()) {
        describe(p)
    } else if let Some(excluded) = &s.not_principal {
        format!(
            "everyone except the `NotPrincipal` list ({})",
            describe_all(excluded)
        )
    } else {
        return;
    };
    if pins_any_of(s, ACCOUNT_OR_ORG_KEYS) {
        return;
    }
    let why = match restricting_keys(s) {
        keys if keys.is_empty() => {
            "with no condition restricting it to an account or organization".to_string()
        }
        keys => {
            format!("and its conditions on {keys} do not restrict it to an account or organization")
        }
    };
    out.push(finding(
        RuleId::TrustAnyPrincipal,
        Severity::Critical,
        s,
        format!("{who} may assume the role {why}"),
        "name the principals that need the role, e.g. `\"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:role/NAME\"}`, or add `\"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-xxxxxxxxxx\"}}`".to_string(),
    ));
}

/// The keys of the statement's restricting conditions, for messages.
fn restricting_keys(s: &Statement) -> String {
    let mut keys: Vec<String> = Vec::new();
    for c in s.conditions.iter().filter(|c| is_restricting(c)) {
        let k = format!("`{}`", c.key);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.join(", ")
}

fn not_principal(s: &Statement, out: &mut Vec<Finding>) {
    let Some(excluded) = &s.not_principal else {
        return;
    };
    out.push(finding(
        RuleId::TrustNotPrincipal,
        Severity::High,
        s,
        format!(
            "`Allow` with `NotPrincipal` lets everyone except {} assume the role",
            describe_all(excluded)
        ),
        "replace `NotPrincipal` with a `Principal` naming the principals that may assume the role"
            .to_string(),
    ));
}

/// An AWS principal of another account without a confused-deputy guard: an
/// `sts:ExternalId`, or an organization condition naming a trusted
/// organization (any organization when `trusted-orgs` is unset). Accounts in
/// `trusted-accounts` are not "another account". When the role's account is
/// unknown, every other named account counts as other.
///
/// With `trusted-orgs` set, anyone (`*`) limited only by an organization
/// condition naming other organizations is reported too: that is every
/// account of an organization the user does not vouch for.
fn cross_account(s: &Statement, ctx: &Context, out: &mut Vec<Finding>) {
    if pins_any_of(s, &["sts:ExternalId"]) {
        return;
    }
    let org = ctx.org_guard(s);
    if org == OrgGuard::Trusted {
        return;
    }
    let named_orgs = org.untrusted_list();
    let guard = match &named_orgs {
        None => "without an `sts:ExternalId`, `aws:PrincipalOrgID` or `aws:PrincipalOrgPaths` condition".to_string(),
        Some(orgs) => format!(
            "without an `sts:ExternalId` condition, and its organization condition names {orgs}, not one of `trusted-orgs`"
        ),
    };
    for p in &super::effective_principals(s) {
        let Some(account) = p.account() else {
            continue;
        };
        if !ctx.is_other_account(account) {
            continue;
        }
        let whose = match &ctx.account_id {
            Some(own) => format!("account `{account}`, not the role's account `{own}`"),
            None => format!(
                "account `{account}`; the role's account is unknown, so it counts as another"
            ),
        };
        out.push(finding(
            RuleId::TrustCrossAccount,
            Severity::High,
            s,
            format!("{} ({whose}) may assume the role {guard}", describe(p)),
            format!(
                "if `{account}` is a third party, add `\"Condition\": {{\"StringEquals\": {{\"sts:ExternalId\": \"<secret agreed with the other account>\"}}}}`; if it is in your organization, add `\"Condition\": {{\"StringEquals\": {{\"aws:PrincipalOrgID\": \"o-xxxxxxxxxx\"}}}}`; if you vouch for it, list it in `trusted-accounts`"
            ),
        ));
    }
    let Some(orgs) = named_orgs else { return };
    if let Some(anyone) = s.principals().iter().find(|p| p.is_anyone()) {
        if pins_any_of(s, &["aws:PrincipalAccount", "aws:PrincipalArn"]) {
            return;
        }
        out.push(finding(
            RuleId::TrustCrossAccount,
            Severity::High,
            s,
            format!(
                "{} may assume the role from any account of organization {orgs}, which is not one of `trusted-orgs`",
                describe(anyone)
            ),
            "pin `aws:PrincipalOrgID` to your own organization, or add the organization to `trusted-orgs` if you vouch for every account in it".to_string(),
        ));
    }
}

/// What a web-identity provider's tokens are checked by: the claim that names
/// the audience (the app) and the claims that name the subject (the user or
/// workload), as IAM condition key suffixes.
struct Claims {
    audience: &'static [&'static str],
    subject: &'static [&'static str],
}

const GENERIC_OIDC: Claims = Claims {
    audience: &["aud"],
    subject: &["sub"],
};

/// The web-identity providers IAM knows by name, and their claim keys.
/// Cognito identity pools are scoped by `aud` (the pool id) and then by `amr`
/// (`authenticated`/`unauthenticated`) or `sub` (one identity).
const WELL_KNOWN_PROVIDERS: &[(&str, Claims)] = &[
    (
        "cognito-identity.amazonaws.com",
        Claims {
            audience: &["aud"],
            subject: &["amr", "sub"],
        },
    ),
    (
        "accounts.google.com",
        Claims {
            audience: &["aud", "oaud"],
            subject: &["sub"],
        },
    ),
    (
        "graph.facebook.com",
        Claims {
            audience: &["app_id"],
            subject: &["id"],
        },
    ),
    (
        "www.amazon.com",
        Claims {
            audience: &["app_id"],
            subject: &["user_id"],
        },
    ),
];

/// The condition-key prefix and claims of an OIDC `Federated` principal:
/// `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH` has keys `HOST/PATH:aud`...
/// SAML providers (`saml-provider/`) are not OIDC and yield `None`.
fn oidc_provider(p: &Principal) -> Option<(&str, &'static Claims)> {
    if p.kind != PrincipalKind::Federated {
        return None;
    }
    if let Some(rest) = p.value.strip_prefix("arn:") {
        let resource = rest.splitn(5, ':').nth(4)?;
        let prefix = resource.strip_prefix("oidc-provider/")?;
        return Some((prefix, &GENERIC_OIDC));
    }
    WELL_KNOWN_PROVIDERS
        .iter()
        .find(|(name, _)| p.value.eq_ignore_ascii_case(name))
        .map(|(_, claims)| (p.value.as_str(), claims))
}

/// GitHub Actions issuers: github.com, GHE.com data residency, and GitHub
/// Enterprise Server (`HOST/_services/token`).
fn is_github(prefix: &str) -> bool {
    let host = prefix.split('/').next().unwrap_or("").to_ascii_lowercase();
    host == "token.actions.githubusercontent.com"
        || (host.starts_with("token.actions.") && host.ends_with(".ghe.com"))
        || prefix.to_ascii_lowercase().ends_with("/_services/token")
}

/// Whether a GitHub `sub` value names one repository: `repo:OWNER/REPO:...`
/// (or a customized subject with `repository:OWNER/REPO` or
/// `repository_id:N`) where, under a wildcard operator, nothing up to the
/// repository is a wildcard. `repo:org/*` lets every repository of `org` in.
fn pins_github_repo(value: &str, globbing: bool) -> bool {
    let wild = |t: &str| globbing && t.contains(['*', '?']);
    let mut tokens = value.split(':');
    while let Some(claim) = tokens.next() {
        if wild(claim) {
            return false;
        }
        let Some(claim_value) = tokens.next() else {
            return false;
        };
        if wild(claim_value) {
            return false;
        }
        match claim {
            "repo" | "repository" => {
                if let Some((owner, repo)) = claim_value.split_once('/') {
                    return !owner.is_empty() && !repo.is_empty();
                }
                return false;
            }
            "repository_id" => {
                return !claim_value.is_empty() && claim_value.bytes().all(|b| b.is_ascii_digit())
            }
            _ => {}
        }
    }
    false
}

fn conditions_on_claim<'a>(
    s: &'a Statement,
    prefix: &'a str,
    claims: &'a [&'a str],
) -> impl Iterator<Item = &'a Condition> + 'a {
    s.conditions.iter().filter(move |c| {
        is_restricting(c)
            && c.key.len() > prefix.len()
            && c.key.is_char_boundary(prefix.len())
            && c.key[..prefix.len()].eq_ignore_ascii_case(prefix)
            && c.key[prefix.len()..]
                .strip_prefix(':')
                .is_some_and(|claim| claims.iter().any(|k| claim.eq_ignore_ascii_case(k)))
    })
}

fn oidc_unrestricted(s: &Statement, out: &mut Vec<Finding>) {
    if !grants(s, WEB_IDENTITY) {
        return;
    }
    for p in s.principals() {
        let Some((prefix, claims)) = oidc_provider(p) else {
            continue;
        };
        let keys = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("`{prefix}:{n}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let has_aud = conditions_on_claim(s, prefix, claims.audience)
            .next()
            .is_some();
        let mut subject = conditions_on_claim(s, prefix, claims.subject).peekable();
        let has_sub = subject.peek().is_some();
        let mut missing = Vec::new();
        if !has_aud {
            missing.push(keys(claims.audience));
        }
        if !has_sub {
            missing.push(keys(claims.subject));
        }
        let github = is_github(prefix);
        let message = if !missing.is_empty() {
            let who = if github {
                "any GitHub Actions workflow"
            } else {
                "any token from this provider"
            };
            format!(
                "{} may assume the role with no condition on {}: {who} that passes the other checks gets in",
                describe(p),
                missing.join(" or ")
            )
        } else if github
            && !subject.any(|c| c.values.iter().all(|v| pins_github_repo(v, is_globbing(c))))
        {
            let values: Vec<String> = conditions_on_claim(s, prefix, claims.subject)
                .flat_map(|c| c.values.iter().map(|v| format!("`{v}`")))
                .collect();
            format!(
                "{} may assume the role from GitHub Actions, but its `{prefix}:sub` condition ({}) does not pin a repository: other repositories can match",
                describe(p),
                values.join(", ")
            )
        } else {
            continue;
        };
        let fix = if github {
            let aud = if has_aud {
                String::new()
            } else {
                format!("`\"StringEquals\": {{\"{prefix}:aud\": \"sts.amazonaws.com\"}}` and ")
            };
            format!(
                "add {aud}`\"StringLike\": {{\"{prefix}:sub\": \"repo:OWNER/REPO:ref:refs/heads/main\"}}` naming the one repository (and branch or environment) that needs the role"
            )
        } else if prefix.eq_ignore_ascii_case("cognito-identity.amazonaws.com") {
            "add `\"StringEquals\": {\"cognito-identity.amazonaws.com:aud\": \"<identity pool id>\"}` and `\"ForAnyValue:StringLike\": {\"cognito-identity.amazonaws.com:amr\": \"authenticated\"}`".to_string()
        } else {
            format!(
                "add `\"StringEquals\": {{\"{prefix}:{}\": \"<client id>\", \"{prefix}:{}\": \"<subject>\"}}` naming your app and the identities that need the role",
                claims.audience[0], claims.subject[0]
            )
        };
        out.push(finding(
            RuleId::TrustOidcUnrestricted,
            Severity::Critical,
            s,
            message,
            fix,
        ));
    }
}

/// `sts:*`, `*`, `sts:AssumeRole*`, or `NotAction`: the principals get every
/// way into the role, including ones STS adds later.
fn wildcard_action(s: &Statement, out: &mut Vec<Finding>) {
    let what = match &s.actions {
        Actions::NotAction(p) => format!(
            "`NotAction` ({}) allows every other action",
            p.iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Actions::Action(patterns) => {
            let wild: Vec<String> = patterns
                .iter()
                .filter(|p| p.contains(['*', '?']))
                .filter(|p| TRUST_ACTIONS.iter().any(|a| glob_match_ignore_case(p, a)))
                .map(|p| format!("`{p}`"))
                .collect();
            if wild.is_empty() {
                return;
            }
            format!("trust action {} is a wildcard", wild.join(", "))
        }
    };
    let needed = if s.principals().iter().any(|p| oidc_provider(p).is_some()) {
        WEB_IDENTITY
    } else if s
        .principals()
        .iter()
        .any(|p| p.kind == PrincipalKind::Federated && p.value.contains(":saml-provider/"))
    {
        "sts:AssumeRoleWithSAML"
    } else {
        "sts:AssumeRole"
    };
    out.push(finding(
        RuleId::TrustWildcardAction,
        Severity::Medium,
        s,
        format!("{what}: the trusted principals get every way into the role, including ones added later"),
        format!("list the actions the principals use, e.g. `\"Action\": \"{needed}\"` (add `sts:TagSession` only if they pass session tags)"),
    ));
}

fn is_lambda_service(p: &Principal) -> bool {
    p.kind == PrincipalKind::Service
        && LAMBDA_SERVICES
            .iter()
            .any(|l| p.value.eq_ignore_ascii_case(l))
}

/// A Lambda execution role that others may assume too: whoever assumes it
/// gets the function's permissions, outside the function.
fn extra_principals(trust: &[&Statement], out: &mut Vec<Finding>) {
    let lambda_trusted = trust.iter().any(|s| {
        grants(s, "sts:AssumeRole")
            && s.principals().iter().any(|p| {
                p.kind == PrincipalKind::Service
                    && p.value.eq_ignore_ascii_case("lambda.amazonaws.com")
            })
    });
    if !lambda_trusted {
        return;
    }
    let fix = |who: &str| {
        format!("give {who} a role of its own with only what it needs, and keep this role's trust policy to `lambda.amazonaws.com`")
    };
    for s in trust {
        if !ASSUME_ACTIONS.iter().any(|a| grants(s, a)) {
            continue;
        }
        for p in s.principals().iter().filter(|p| !is_lambda_service(p)) {
            let who = describe(p);
            out.push(finding(
                RuleId::TrustExtraPrincipals,
                Severity::Medium,
                s,
                format!("{who} may also assume this Lambda execution role (it trusts `lambda.amazonaws.com`) and use the function's permissions"),
                fix(&who),
            ));
        }
        if let Some(excluded) = &s.not_principal {
            let who = format!("everyone except {}", describe_all(excluded));
            out.push(finding(
                RuleId::TrustExtraPrincipals,
                Severity::Medium,
                s,
                format!("{who} may also assume this Lambda execution role (it trusts `lambda.amazonaws.com`) and use the function's permissions"),
                fix("each other principal"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;
    use crate::rules::testing::{of, only};
    use crate::rules::{evaluate, PolicyKind};

    fn trust_doc(statements: &str) -> Policy {
        parse_document(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#
        ))
        .unwrap()
    }

    fn run_in(ctx: &Context, statements: &str) -> Vec<Finding> {
        check(&trust_doc(statements), ctx)
    }

    fn run(statements: &str) -> Vec<Finding> {
        run_in(&Context::default(), statements)
    }

    fn own_account() -> Context {
        Context {
            account_id: Some("111122223333".to_string()),
            ..Context::default()
        }
    }

    const LAMBDA: &str = r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#;

    #[test]
    fn lambda_trust_policy_is_clean_at_medium_and_above() {
        let findings = evaluate(&trust_doc(LAMBDA), PolicyKind::Trust, &Context::default());
        assert!(
            findings.iter().all(|f| f.severity < Severity::Medium),
            "{findings:#?}"
        );
    }

    #[test]
    fn any_principal_fires_for_aws_star() {
        let f = evaluate(
            &trust_doc(
                r#"{"Sid":"Open","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}"#,
            ),
            PolicyKind::Trust,
            &Context::default(),
        );
        let hit = only(&f, RuleId::TrustAnyPrincipal);
        assert_eq!(hit.severity, Severity::Critical);
        assert_eq!(
            hit.message,
            "Statement[0] (Sid `Open`): AWS `*` may assume the role with no condition restricting it to an account or organization"
        );
        assert!(hit.fix.contains("aws:PrincipalOrgID"));
    }

    #[test]
    fn any_principal_is_not_made_safe_by_external_id_or_a_wildcard_account() {
        let f = run(
            r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"shared"}}}"#,
        );
        assert_eq!(
            of(&f, RuleId::TrustAnyPrincipal)[0].message,
            "Statement[0]: `*` (anyone) may assume the role and its conditions on `sts:ExternalId` do not restrict it to an account or organization"
        );
        // Any account can create a role named `deploy`.
        let f = run(
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/deploy"}}}"#,
        );
        assert_eq!(of(&f, RuleId::TrustAnyPrincipal).len(), 1);
    }

    #[test]
    fn any_principal_is_silenced_by_an_org_or_account_pin() {
        for cond in [
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/deploy-*"}}"#,
            r#"{"StringEquals":{"AWS:PrincipalAccount":"111122223333"}}"#,
        ] {
            let f = run(&format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"sts:AssumeRole","Condition":{cond}}}"#
            ));
            assert!(
                of(&f, RuleId::TrustAnyPrincipal).is_empty(),
                "{cond}: {f:#?}"
            );
        }
    }

    #[test]
    fn deny_statements_never_fire() {
        let f = run(
            r#"{"Effect":"Deny","Principal":"*","Action":"sts:*"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}"#,
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn cross_account_fires_for_another_account_without_external_id() {
        let f = run_in(
            &own_account(),
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}"#,
        );
        let hit = only(&f, RuleId::TrustCrossAccount);
        assert_eq!(hit.severity, Severity::High);
        assert_eq!(
            hit.message,
            "Statement[0]: AWS `arn:aws:iam::444455556666:root` (account `444455556666`, not the role's account `111122223333`) may assume the role without an `sts:ExternalId`, `aws:PrincipalOrgID` or `aws:PrincipalOrgPaths` condition"
        );
        assert!(hit.fix.contains("sts:ExternalId"));
    }

    #[test]
    fn anyone_narrowed_to_another_account_by_a_condition_is_cross_account() {
        for cond in [
            r#"{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}"#,
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:role/deploy"}}"#,
        ] {
            let f = run_in(
                &own_account(),
                &format!(
                    r#"{{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{cond}}}"#
                ),
            );
            let hits = of(&f, RuleId::TrustCrossAccount);
            assert_eq!(hits.len(), 1, "{cond}: {f:#?}");
            assert!(
                hits[0].message.contains("`444455556666`"),
                "{}",
                hits[0].message
            );
            assert!(of(&f, RuleId::TrustAnyPrincipal).is_empty(), "{f:#?}");
        }
        // Narrowed to the role's own account: nothing.
        let f = run_in(
            &own_account(),
            r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}"#,
        );
        assert!(of(&f, RuleId::TrustCrossAccount).is_empty(), "{f:#?}");
    }

    #[test]
    fn cross_account_counts_every_account_when_the_owner_is_unknown() {
        let f = run(
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#,
        );
        assert!(of(&f, RuleId::TrustCrossAccount)[0]
            .message
            .contains("the role's account is unknown"));
    }

    #[test]
    fn cross_account_is_silent_for_the_own_account_or_with_a_guard() {
        let own = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci"},"Action":"sts:AssumeRole"}"#;
        assert!(run_in(&own_account(), own).is_empty());
        for cond in [
            r#"{"StringEquals":{"sts:ExternalId":"7d0f3c9e"}}"#,
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            r#"{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}"#,
        ] {
            let f = run_in(
                &own_account(),
                &format!(
                    r#"{{"Effect":"Allow","Principal":{{"AWS":"444455556666"}},"Action":"sts:AssumeRole","Condition":{cond}}}"#
                ),
            );
            assert!(f.is_empty(), "{cond}: {f:#?}");
        }
        // IfExists passes callers that omit the key: no guard.
        let f = run_in(
            &own_account(),
            r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"sts:ExternalId":"7d0f3c9e"}}}"#,
        );
        assert_eq!(of(&f, RuleId::TrustCrossAccount).len(), 1);
    }

    fn github(cond: &str) -> String {
        format!(
            r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{cond}}}"#
        )
    }

    #[test]
    fn github_oidc_with_only_aud_is_unrestricted() {
        let f = evaluate(
            &trust_doc(&github(
                r#"{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}"#,
            )),
            PolicyKind::Trust,
            &own_account(),
        );
        let hit = only(&f, RuleId::TrustOidcUnrestricted);
        assert_eq!(hit.severity, Severity::Critical);
        assert_eq!(
            hit.message,
            "Statement[0]: Federated `arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com` may assume the role with no condition on `token.actions.githubusercontent.com:sub`: any GitHub Actions workflow that passes the other checks gets in"
        );
        assert!(hit.fix.contains(
            r#""token.actions.githubusercontent.com:sub": "repo:OWNER/REPO:ref:refs/heads/main""#
        ));
        // The `aud` condition is there already: the fix asks only for `sub`.
        assert!(!hit.fix.contains(":aud"), "{}", hit.fix);
    }

    #[test]
    fn github_sub_must_pin_a_repository() {
        for sub in [
            "*",
            "repo:*",
            "repo:octo-org/*",
            "repo:octo-org/app*",
            "*:octo-org/app:*",
        ] {
            let f = run(&github(&format!(
                r#"{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}},"StringLike":{{"token.actions.githubusercontent.com:sub":"{sub}"}}}}"#
            )));
            let hits = of(&f, RuleId::TrustOidcUnrestricted);
            assert_eq!(hits.len(), 1, "{sub}: {f:#?}");
            if sub == "repo:octo-org/*" {
                assert_eq!(
                    hits[0].message,
                    "Statement[0]: Federated `arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com` may assume the role from GitHub Actions, but its `token.actions.githubusercontent.com:sub` condition (`repo:octo-org/*`) does not pin a repository: other repositories can match"
                );
            }
        }
        for sub in [
            r#""repo:octo-org/app:*""#,
            r#""repo:octo-org/app:ref:refs/heads/main""#,
            r#"["repo:octo-org/app:environment:prod","repo:octo-org/infra:ref:refs/tags/v*"]"#,
        ] {
            let f = run(&github(&format!(
                r#"{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}},"StringLike":{{"token.actions.githubusercontent.com:sub":{sub}}}}}"#
            )));
            assert!(f.is_empty(), "{sub}: {f:#?}");
        }
        // One broad value among pinned ones opens the door.
        let f = run(&github(
            r#"{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":["repo:octo-org/app:*","repo:octo-org/*"]}}"#,
        ));
        assert_eq!(of(&f, RuleId::TrustOidcUnrestricted).len(), 1);
    }

    #[test]
    fn pinning_a_github_repository() {
        assert!(pins_github_repo("repo:o/r:*", true));
        assert!(pins_github_repo(
            "repository_owner:o:repository:o/r:ref:x",
            true
        ));
        assert!(pins_github_repo("repository_id:123456:environment:*", true));
        assert!(!pins_github_repo("repository_owner:o:*", true));
        assert!(!pins_github_repo("repo:o/r*", true));
        // Under StringEquals `*` is a plain character.
        assert!(pins_github_repo("repo:o/r*", false));
        assert!(!pins_github_repo("repo:o", false));
    }

    #[test]
    fn other_oidc_providers_need_aud_and_sub() {
        let eks = |cond: &str| {
            format!(
                r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{cond}}}"#
            )
        };
        let f = run(&eks(
            r#"{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud":"sts.amazonaws.com"}}"#,
        ));
        let hits = of(&f, RuleId::TrustOidcUnrestricted);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains(
            "no condition on `oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub`"
        ));
        let f = run(&eks(
            r#"{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:aud":"sts.amazonaws.com","oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub":"system:serviceaccount:default:app"}}"#,
        ));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn cognito_needs_the_pool_and_amr_or_sub() {
        let cognito = |cond: &str| {
            format!(
                r#"{{"Effect":"Allow","Principal":{{"Federated":"cognito-identity.amazonaws.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{cond}}}"#
            )
        };
        let f = run(&cognito("{}"));
        assert_eq!(
            of(&f, RuleId::TrustOidcUnrestricted)[0].message,
            "Statement[0]: Federated `cognito-identity.amazonaws.com` may assume the role with no condition on `cognito-identity.amazonaws.com:aud` or `cognito-identity.amazonaws.com:amr` or `cognito-identity.amazonaws.com:sub`: any token from this provider that passes the other checks gets in"
        );
        let f = run(&cognito(
            r#"{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:12345678-1234-1234-1234-123456789012"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}"#,
        ));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn saml_providers_and_plain_assume_role_are_not_oidc() {
        let f = run(
            r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}"#,
        );
        assert!(of(&f, RuleId::TrustOidcUnrestricted).is_empty(), "{f:#?}");
        // An OIDC principal with only sts:AssumeRole cannot use a token.
        let f = run(
            r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRole"}"#,
        );
        assert!(of(&f, RuleId::TrustOidcUnrestricted).is_empty(), "{f:#?}");
    }

    #[test]
    fn wildcard_trust_actions_fire() {
        let f = run(
            r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:*"}"#,
        );
        let hit = only(&f, RuleId::TrustWildcardAction);
        assert_eq!(hit.severity, Severity::Medium);
        assert_eq!(
            hit.message,
            "Statement[0]: trust action `sts:*` is a wildcard: the trusted principals get every way into the role, including ones added later"
        );
        assert!(hit.fix.contains(r#"`"Action": "sts:AssumeRole"`"#));
        for action in [r#""*""#, r#""sts:AssumeRole*""#] {
            let f = run(&format!(
                r#"{{"Effect":"Allow","Principal":{{"Service":"lambda.amazonaws.com"}},"Action":{action}}}"#
            ));
            assert_eq!(of(&f, RuleId::TrustWildcardAction).len(), 1, "{action}");
        }
        let f = run(
            r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"NotAction":"sts:AssumeRoleWithSAML"}"#,
        );
        assert_eq!(of(&f, RuleId::TrustWildcardAction).len(), 1);
    }

    #[test]
    fn listed_trust_actions_do_not_fire_wildcard() {
        let f = run(
            r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}"#,
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn not_principal_fires_and_counts_as_anyone() {
        let f = run(
            r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:user/mallory"},"Action":"sts:AssumeRole"}"#,
        );
        let hit = only(&f, RuleId::TrustNotPrincipal);
        assert_eq!(hit.severity, Severity::High);
        assert_eq!(
            hit.message,
            "Statement[0]: `Allow` with `NotPrincipal` lets everyone except AWS `arn:aws:iam::444455556666:user/mallory` assume the role"
        );
        assert_eq!(of(&f, RuleId::TrustAnyPrincipal).len(), 1);
        assert!(of(&run(LAMBDA), RuleId::TrustNotPrincipal).is_empty());
    }

    #[test]
    fn extra_principals_on_a_lambda_role_fire() {
        let f = run_in(
            &own_account(),
            &format!(
                r#"{LAMBDA},{{"Sid":"Dev","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:role/developer"}},"Action":"sts:AssumeRole"}}"#
            ),
        );
        let hit = only(&f, RuleId::TrustExtraPrincipals);
        assert_eq!(hit.severity, Severity::Medium);
        assert_eq!(
            hit.message,
            "Statement[1] (Sid `Dev`): AWS `arn:aws:iam::111122223333:role/developer` may also assume this Lambda execution role (it trusts `lambda.amazonaws.com`) and use the function's permissions"
        );
        // Same statement, two principals.
        let f = run(
            r#"{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}"#,
        );
        assert_eq!(of(&f, RuleId::TrustExtraPrincipals).len(), 1);
    }

    #[test]
    fn lambda_at_edge_is_not_an_extra_principal() {
        let f = run(
            r#"{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","edgelambda.amazonaws.com"]},"Action":"sts:AssumeRole"}"#,
        );
        assert!(f.is_empty(), "{f:#?}");
        // Not a Lambda role: other principals are not "extra".
        let f = run(
            r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    fn trusting(accounts: &[&str], orgs: &[&str]) -> Context {
        Context {
            trusted_accounts: accounts.iter().map(|a| a.to_string()).collect(),
            trusted_orgs: orgs.iter().map(|o| o.to_string()).collect(),
            ..own_account()
        }
    }

    #[test]
    fn trusted_accounts_are_not_cross_account() {
        let doc = r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:role/ci","777788889999"]},"Action":"sts:AssumeRole"}"#;
        let f = run_in(&trusting(&["444455556666"], &[]), doc);
        let hit = only(&f, RuleId::TrustCrossAccount);
        assert!(hit.message.contains("`777788889999`"));
        let f = run_in(&trusting(&["444455556666", "777788889999"], &[]), doc);
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn trusted_orgs_decide_which_org_conditions_guard() {
        let doc = |org: &str| {
            format!(
                r#"{{"Effect":"Allow","Principal":{{"AWS":"444455556666"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"{org}"}}}}}}"#
            )
        };
        assert!(run_in(&trusting(&[], &[]), &doc("o-zzzzzzzzzz")).is_empty());
        let ctx = trusting(&[], &["o-a1b2c3d4e5"]);
        assert!(run_in(&ctx, &doc("o-a1b2c3d4e5")).is_empty());
        let f = run_in(&ctx, &doc("o-zzzzzzzzzz"));
        assert_eq!(
            of(&f, RuleId::TrustCrossAccount)[0].message,
            "Statement[0]: AWS `444455556666` (account `444455556666`, not the role's account `111122223333`) may assume the role without an `sts:ExternalId` condition, and its organization condition names `o-zzzzzzzzzz`, not one of `trusted-orgs`"
        );
        // An external id still guards a third party, whatever the organization.
        let f = run_in(
            &ctx,
            r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"7d0f3c9e"}}}"#,
        );
        assert!(f.is_empty(), "{f:#?}");
        // Anyone in an organization the user does not vouch for.
        let f = run_in(
            &ctx,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}}"#,
        );
        let hit = only(&f, RuleId::TrustCrossAccount);
        assert_eq!(
            hit.message,
            "Statement[0]: AWS `*` may assume the role from any account of organization `o-zzzzzzzzzz`, which is not one of `trusted-orgs`"
        );
        let f = run_in(
            &ctx,
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#,
        );
        assert!(f.is_empty(), "{f:#?}");
    }
}
