//! The least-privilege rules: pure functions from a policy document to findings.
//!
//! One file per family, so a rule is found by its id:
//! - [`permission`]: identity policies of a role, user or group (SPEC §3.1);
//! - [`trust`]: who may assume a role (SPEC §3.2);
//! - [`resource`]: Lambda resource policies (SPEC §3.3);
//! - [`validity`]: `invalid-policy`, for every kind.
//!
//! Rules never do I/O. What they need besides the document comes in [`Context`].

pub mod account;
pub mod aws_layers;
pub mod docs;
pub mod escalation;
pub mod execution_role;
pub mod lambda_config;
pub mod managed;
pub mod permission;
pub mod resource;
pub mod trust;
pub mod validity;

#[cfg(test)]
mod testing;

use crate::policy::{Policy, Principal, PrincipalKind, Statement, StatementRef};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}`; use one of critical, high, medium, low, info")
            })
    }
}

macro_rules! rule_ids {
    ($($variant:ident => $id:literal,)*) => {
        /// Every rule doorman knows, by its stable kebab-case id (SPEC §3).
        /// Users suppress findings by these ids, so they never change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId { $($variant,)* }

        impl RuleId {
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$variant => $id,)* }
            }
        }
    };
}

rule_ids! {
    // §3.1 permission policies
    AdminAccess => "admin-access",
    BroadManagedPolicy => "broad-managed-policy",
    ServiceWildcard => "service-wildcard",
    PrivilegeEscalation => "privilege-escalation",
    PassRoleWildcard => "pass-role-wildcard",
    PermissionsManagement => "permissions-management",
    CredentialsExposure => "credentials-exposure",
    SensitiveDataRead => "sensitive-data-read",
    ResourceWildcard => "resource-wildcard",
    NotActionAllow => "not-action-allow",
    NotResourceAllow => "not-resource-allow",
    UnknownAction => "unknown-action",
    ResourceMismatch => "resource-mismatch",
    InvalidPolicy => "invalid-policy",
    // §3.2 trust policies
    TrustAnyPrincipal => "trust-any-principal",
    TrustCrossAccount => "trust-cross-account",
    TrustOidcUnrestricted => "trust-oidc-unrestricted",
    TrustWildcardAction => "trust-wildcard-action",
    TrustNotPrincipal => "trust-not-principal",
    TrustExtraPrincipals => "trust-extra-principals",
    // §3.3 Lambda resource policies, function URLs, layers
    PublicInvoke => "public-invoke",
    ServiceInvokeNoSource => "service-invoke-no-source",
    ResourcePolicyBroadAction => "resource-policy-broad-action",
    CrossAccountInvoke => "cross-account-invoke",
    PublicFunctionUrl => "public-function-url",
    PublicLayer => "public-layer",
    CrossAccountLayer => "cross-account-layer",
    // §3.4 execution-role hygiene
    MissingLogs => "missing-logs",
    SharedExecutionRole => "shared-execution-role",
    RoleNotLambdaTrusted => "role-not-lambda-trusted",
    EventSourceMissingPermissions => "event-source-missing-permissions",
    UnusedExecutionRole => "unused-execution-role",
    // §3.5 account level
    PermissionsBoundaryRemoved => "permissions-boundary-removed",
    CrossAccountDestination => "cross-account-destination",
    UnprocessableEvent => "unprocessable-event",
    SuppressionAdded => "suppression-added",
    GuardrailTampering => "guardrail-tampering",
    // §13 least privilege from evidence (the Lambda's DiagnoseAccessDenied)
    AccessDenied => "access-denied",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl FromStr for RuleId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(id) = RuleId::ALL.iter().find(|r| r.as_str() == s) {
            return Ok(*id);
        }
        let mut msg = format!("unknown rule `{s}`");
        let closest = RuleId::ALL
            .iter()
            .min_by_key(|r| strsim::levenshtein(r.as_str(), s));
        if let Some(r) = closest.filter(|r| strsim::levenshtein(r.as_str(), s) <= 4) {
            msg.push_str(&format!("; did you mean `{r}`?"));
        } else {
            msg.push_str("; `doorman explain` lists the rules");
        }
        Err(msg)
    }
}

/// One violation of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// One line naming the offending statement, action or principal. User
    /// input is quoted in backticks.
    pub message: String,
    /// A concrete change that makes the finding go away.
    pub fix: String,
    /// The statement it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementRef>,
}

impl Finding {
    pub fn new(rule: RuleId, severity: Severity, message: String, fix: String) -> Self {
        Finding {
            rule,
            severity,
            message,
            fix,
            statement: None,
        }
    }

    pub fn at(mut self, statement: &StatementRef) -> Self {
        self.statement = Some(statement.clone());
        self
    }
}

/// What a document is, which decides the rules that judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// An identity policy: what a role, user or group may do.
    Permission,
    /// A role's trust policy: who may assume it.
    Trust,
    /// A Lambda function's resource policy: who may invoke it.
    Resource,
}

impl PolicyKind {
    /// Tells the kind from the content, by what the statements grant as IAM
    /// reads them: statements with a principal make a trust policy when an
    /// action pattern (a case-insensitive glob, or a `NotAction` leaving it
    /// out) lets `sts:AssumeRole*`, `sts:TagSession` or
    /// `sts:SetSourceIdentity` through, so `sts:*`, `sts:Assume*` and `*`
    /// count; a resource policy otherwise. Without principals, a permission
    /// policy. A pattern that also grants `lambda:InvokeFunction` (`*`) on a
    /// statement with a `Resource` is a Lambda resource policy: trust
    /// policies have no `Resource`.
    pub fn detect(policy: &Policy) -> PolicyKind {
        let with_principal: Vec<_> = policy
            .statements
            .iter()
            .filter(|s| s.principal.is_some() || s.not_principal.is_some())
            .collect();
        if with_principal.is_empty() {
            return PolicyKind::Permission;
        }
        if with_principal.iter().any(|s| grants_trust(s)) {
            PolicyKind::Trust
        } else {
            PolicyKind::Resource
        }
    }
}

/// The actions that make a document a trust policy.
const TRUST_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
];

fn grants_trust(s: &Statement) -> bool {
    use crate::catalog::glob_match_ignore_case as glob;
    use crate::policy::Actions;
    let invoke = "lambda:InvokeFunction";
    let function_statement = |grants_invoke: bool| grants_invoke && s.resources.is_some();
    match &s.actions {
        Actions::Action(patterns) => patterns.iter().any(|p| {
            TRUST_ACTIONS.iter().any(|a| glob(p, a)) && !function_statement(glob(p, invoke))
        }),
        Actions::NotAction(patterns) => {
            let allows = |a: &str| !patterns.iter().any(|p| glob(p, a));
            TRUST_ACTIONS.iter().any(|a| allows(a)) && !function_statement(allows(invoke))
        }
    }
}

impl FromStr for PolicyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "permission" => Ok(PolicyKind::Permission),
            "trust" => Ok(PolicyKind::Trust),
            "resource" => Ok(PolicyKind::Resource),
            other => Err(format!(
                "unknown policy kind `{other}`; use permission, trust or resource"
            )),
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyKind::Permission => "permission",
            PolicyKind::Trust => "trust",
            PolicyKind::Resource => "resource",
        })
    }
}

/// What the rules know beyond the document.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The account that owns the role or function, when known (from the
    /// event, the resource ARNs, or `--account`). When unknown, any named
    /// account counts as another account.
    pub account_id: Option<String>,
    /// The AWS managed policy this document is, if it is one
    /// (`AWSLambdaBasicExecutionRole`): some are allow-listed.
    pub managed_policy_name: Option<String>,
    /// Accounts the user vouches for (`trusted-accounts`, the Lambda's
    /// `TrustedAccounts`): every cross-account rule treats them like the
    /// owner's own account.
    pub trusted_accounts: Vec<String>,
    /// Organizations the user vouches for (`trusted-orgs`). When set, an
    /// organization condition guards a cross-account grant only when it names
    /// one of them; unset, any organization condition does.
    pub trusted_orgs: Vec<String>,
}

/// What the organization conditions of a statement say about its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgGuard {
    /// No condition pins the caller to an organization.
    None,
    /// Pinned to organizations the context trusts (any organization, when
    /// no `trusted-orgs` are set).
    Trusted,
    /// Pinned only to organizations outside `trusted-orgs`: these.
    Untrusted(Vec<String>),
}

impl OrgGuard {
    /// The organizations of [`OrgGuard::Untrusted`] for a message:
    /// `` `o-a`, `o-b` ``; `None` for the other cases.
    pub fn untrusted_list(&self) -> Option<String> {
        match self {
            OrgGuard::Untrusted(orgs) => Some(
                orgs.iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        }
    }
}

/// The condition keys that pin the calling principal to an organization; `...OrgPaths` values start with the organization id.
const ORG_KEYS: &[&str] = &["aws:PrincipalOrgID", "aws:PrincipalOrgPaths"];

impl Context {
    /// Whether `account` is another account than the owner's, and not one
    /// the user trusts. Every cross-account rule asks this (or
    /// [`Context::is_other_account_than`]), so `trusted-accounts` is
    /// honoured in one place.
    pub fn is_other_account(&self, account: &str) -> bool {
        self.is_other_account_than(self.account_id.as_deref(), account)
    }

    /// [`Context::is_other_account`] with the owner given, for rules that
    /// read it from the document when the context does not know it (a
    /// function policy's own ARN).
    pub fn is_other_account_than(&self, owner: Option<&str>, account: &str) -> bool {
        owner != Some(account) && !self.is_trusted_account(account)
    }

    pub fn is_trusted_account(&self, account: &str) -> bool {
        self.trusted_accounts.iter().any(|a| a == account)
    }

    /// Whether the organization id `org` (`o-a1b2c3d4e5`) is trusted; with
    /// no `trusted-orgs`, every organization is, as before the setting.
    pub fn is_trusted_org(&self, org: &str) -> bool {
        self.trusted_orgs.is_empty()
            || self
                .trusted_orgs
                .iter()
                .any(|o| o.eq_ignore_ascii_case(org))
    }

    /// What the statement's organization conditions guarantee: only a
    /// restricting, pinning test counts ([`crate::eval::condition::is_pinning`]), and it
    /// is trusted when every value it allows names a trusted organization.
    pub fn org_guard(&self, s: &Statement) -> OrgGuard {
        let mut untrusted = Vec::new();
        let mut any = false;
        for c in s.conditions.iter().filter(|c| {
            crate::eval::condition::is_pinning(c, s) && ORG_KEYS.iter().any(|k| c.key_is(k))
        }) {
            any = true;
            let orgs: Vec<&str> = c
                .values
                .iter()
                .map(|v| v.split('/').next().unwrap_or(v))
                .collect();
            if orgs.iter().all(|o| self.is_trusted_org(o)) {
                return OrgGuard::Trusted;
            }
            for o in orgs.into_iter().filter(|o| !self.is_trusted_org(o)) {
                if !untrusted.iter().any(|u: &String| u == o) {
                    untrusted.push(o.to_string());
                }
            }
        }
        if any {
            OrgGuard::Untrusted(untrusted)
        } else {
            OrgGuard::None
        }
    }
}

/// Judges one document of a known kind with every rule of that kind.
pub fn evaluate(policy: &Policy, kind: PolicyKind, ctx: &Context) -> Vec<Finding> {
    let mut findings = validity::check(policy, kind);
    match kind {
        PolicyKind::Permission => findings.extend(permission::check(policy, ctx)),
        PolicyKind::Trust => findings.extend(trust::check(policy, ctx)),
        PolicyKind::Resource => findings.extend(resource::check(policy, ctx)),
    }
    findings
}

/// The principals a statement lets in, by meaning: its `Principal` list,
/// and when that is anyone (`*`), the accounts and principals a pinning
/// `aws:PrincipalAccount` / `aws:PrincipalArn` condition narrows it to.
/// `"Principal": "*"` with `aws:PrincipalAccount = 444455556666` is the same
/// grant as `{"AWS": "arn:aws:iam::444455556666:root"}`, so the cross-account
/// rules see it alike.
pub fn effective_principals(s: &Statement) -> Vec<Principal> {
    let mut out: Vec<Principal> = s.principals().to_vec();
    if s.principals().iter().any(Principal::is_anyone) {
        for c in s.conditions.iter().filter(|c| {
            (c.key_is("aws:PrincipalAccount") || c.key_is("aws:PrincipalArn"))
                && crate::eval::condition::is_pinning(c, s)
        }) {
            out.extend(c.values.iter().map(|v| Principal {
                kind: PrincipalKind::Aws,
                value: v.clone(),
            }));
        }
    }
    out
}

/// The readable name of a principal for messages: `AWS` `*`, `Service` `s3.amazonaws.com`.
pub fn describe_principal(kind: &PrincipalKind, value: &str) -> String {
    match kind {
        PrincipalKind::Everyone => "`*` (anyone)".to_string(),
        kind => format!("{kind} `{value}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;

    #[test]
    fn rule_ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for r in RuleId::ALL {
            assert!(seen.insert(r.as_str()), "duplicate id {r}");
            assert!(r
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'));
            assert_eq!(r.as_str().parse::<RuleId>(), Ok(*r));
        }
    }

    #[test]
    fn unknown_rule_id_suggests_the_closest() {
        assert_eq!(
            "admn-access".parse::<RuleId>().unwrap_err(),
            "unknown rule `admn-access`; did you mean `admin-access`?"
        );
    }

    #[test]
    fn kind_is_detected_from_content() {
        let kind = |s: &str| PolicyKind::detect(&parse_document(s).unwrap());
        assert_eq!(
            kind(r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#),
            PolicyKind::Permission
        );
        assert_eq!(
            kind(
                r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#
            ),
            PolicyKind::Trust
        );
        assert_eq!(
            kind(
                r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}}"#
            ),
            PolicyKind::Resource
        );
    }

    #[test]
    fn trust_policies_are_detected_by_what_their_actions_grant() {
        let kind = |stmt: &str| {
            PolicyKind::detect(&parse_document(&format!(r#"{{"Statement":{stmt}}}"#)).unwrap())
        };
        for action in [
            r#""Action":"sts:*""#,
            r#""Action":"*""#,
            r#""Action":"sts:Assume*""#,
            r#""Action":"STS:assumerole""#,
            r#""Action":"sts:AssumeRole?ithSAML""#,
            r#""NotAction":"s3:*""#,
        ] {
            assert_eq!(
                kind(&format!(
                    r#"{{"Effect":"Allow","Principal":{{"AWS":"*"}},{action}}}"#
                )),
                PolicyKind::Trust,
                "{action}"
            );
        }
        // `*` on a function ARN is a Lambda resource policy: trust policies
        // have no `Resource`.
        assert_eq!(
            kind(
                r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}"#
            ),
            PolicyKind::Resource
        );
        assert_eq!(
            kind(r#"{"Effect":"Allow","Principal":"*","Action":"lambda:*","Resource":"*"}"#),
            PolicyKind::Resource
        );
        assert_eq!(
            kind(r#"{"Effect":"Allow","Principal":"*","NotAction":"sts:*","Resource":"*"}"#),
            PolicyKind::Resource
        );
    }

    #[test]
    fn trusted_accounts_are_not_other_accounts() {
        let ctx = Context {
            account_id: Some("111122223333".into()),
            trusted_accounts: vec!["444455556666".into()],
            ..Context::default()
        };
        assert!(!ctx.is_other_account("111122223333"));
        assert!(!ctx.is_other_account("444455556666"));
        assert!(ctx.is_other_account("777788889999"));
        assert!(!ctx.is_other_account_than(Some("777788889999"), "777788889999"));
    }

    #[test]
    fn org_guard_reads_org_id_and_org_paths_conditions() {
        let stmt = |cond: &str| {
            parse_document(&format!(
                r#"{{"Statement":{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"sts:AssumeRole","Condition":{cond}}}}}"#
            ))
            .unwrap()
            .statements
            .remove(0)
        };
        let open = Context::default();
        let strict = Context {
            trusted_orgs: vec!["o-a1b2c3d4e5".into()],
            ..Context::default()
        };
        let org_id = stmt(r#"{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}"#);
        assert_eq!(open.org_guard(&org_id), OrgGuard::Trusted);
        assert_eq!(
            strict.org_guard(&org_id),
            OrgGuard::Untrusted(vec!["o-zzzzzzzzzz".into()])
        );
        let paths = stmt(
            r#"{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}"#,
        );
        assert_eq!(strict.org_guard(&paths), OrgGuard::Trusted);
        // Negated or `IfExists` tests pin nothing.
        let negated = stmt(r#"{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#);
        assert_eq!(strict.org_guard(&negated), OrgGuard::None);
        // One trusted value among untrusted ones lets the others in.
        let mixed =
            stmt(r#"{"StringEquals":{"aws:PrincipalOrgID":["o-a1b2c3d4e5","o-zzzzzzzzzz"]}}"#);
        assert_eq!(
            strict.org_guard(&mixed),
            OrgGuard::Untrusted(vec!["o-zzzzzzzzzz".into()])
        );
    }
}
