//! Fetching what an event lacks: the managed policy behind an ARN, a whole
//! execution role, tags, which identities hold a policy, which functions
//! share a role.
//!
//! Behind one trait with two implementations: [`aws::AwsResolver`] (IAM and
//! Lambda APIs; `aws` feature) and [`offline::OfflineResolver`] (only what
//! doorman knows without AWS: the built-in AWS managed policy documents).
//! Documents are returned as the text AWS gives (URL-encoded JSON for most
//! IAM read APIs); `policy::parse_document` decodes both forms.

pub mod denied;
pub mod offline;
pub mod reports;

#[cfg(feature = "aws")]
pub mod assume;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod collect;
#[cfg(feature = "aws")]
pub mod dynamo;
#[cfg(feature = "aws")]
pub mod s3;

use std::future::Future;

/// A managed policy and its default document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    /// The policy document text, plain or URL-encoded JSON.
    pub document: String,
    /// Set when `document` is doorman's built-in copy because the live one
    /// could not be fetched: why, for the alert.
    pub fallback: Option<String>,
}

/// A policy a role (or group) holds, with its document text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePolicy {
    /// The inline policy name, or the managed policy ARN.
    pub name: String,
    /// Whether it is an attached managed policy (`name` is then its ARN).
    pub managed: bool,
    pub document: String,
    /// As [`ManagedPolicy::fallback`].
    pub fallback: Option<String>,
}

/// Everything about a role that the execution-role rules judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDetails {
    pub name: String,
    pub arn: String,
    /// The trust policy text.
    pub trust: String,
    /// Inline policies first (by name), then attached managed policies (by
    /// ARN), each in the order IAM lists them.
    pub policies: Vec<RolePolicy>,
}

/// The roles, users and groups a managed policy is attached to (names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyEntities {
    pub roles: Vec<String>,
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

/// A function's configuration, as far as doorman needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionConfig {
    pub name: String,
    pub arn: String,
    /// The execution role ARN.
    pub role: Option<String>,
    /// The environment variables as deployed now (sorted), when the answer
    /// carries them: CloudTrail hides them in update events, so this is
    /// how an update of doorman's own variables is worded.
    pub environment: Vec<(String, String)>,
}

/// Why something could not be fetched. The pipeline decides what each
/// means (SPEC §2): a transient error fails the invocation so Lambda
/// retries; the others become an `unprocessable-event` alert or, for
/// `Unavailable`, a check that is skipped and said so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// Throttling, a timeout, a 5xx after the SDK's own retries.
    #[error("{0}")]
    Transient(String),
    /// The role, policy or function no longer exists (`NoSuchEntity`).
    #[error("{0}")]
    NotFound(String),
    /// Anything retrying will not fix (access denied, a malformed request).
    #[error("{0}")]
    Permanent(String),
    /// This resolver cannot know it (the offline resolver has no AWS).
    #[error("{0}")]
    Unavailable(String),
}

/// What the pipeline asks of AWS. Every method paginates to the end.
pub trait Resolver: Send + Sync {
    /// `GetPolicy` + `GetPolicyVersion` of the default version.
    fn managed_policy(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<ManagedPolicy, ResolveError>> + Send;

    /// `GetPolicyVersion`: the document text of one version.
    fn policy_version(
        &self,
        arn: &str,
        version_id: &str,
    ) -> impl Future<Output = Result<String, ResolveError>> + Send;

    /// `GetRole`, `ListRolePolicies` + `GetRolePolicy`,
    /// `ListAttachedRolePolicies` + the managed documents.
    fn role(&self, name: &str) -> impl Future<Output = Result<RoleDetails, ResolveError>> + Send;

    /// `ListGroupPolicies` + `GetGroupPolicy`, `ListAttachedGroupPolicies` +
    /// the managed documents: every policy a group gives its members, in
    /// the order of [`RoleDetails::policies`].
    fn group_policies(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<RolePolicy>, ResolveError>> + Send;

    /// `ListRoleTags`, as (key, value) pairs.
    fn role_tags(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, ResolveError>> + Send;

    /// Lambda `ListTags` of a function ARN.
    fn function_tags(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, ResolveError>> + Send;

    /// `ListEntitiesForPolicy`.
    fn policy_entities(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<PolicyEntities, ResolveError>> + Send;

    /// `ListFunctions`, filtered to those whose execution role is `role_arn`
    /// (names, sorted).
    fn functions_using_role(
        &self,
        role_arn: &str,
    ) -> impl Future<Output = Result<Vec<String>, ResolveError>> + Send;

    /// `GetFunctionConfiguration`.
    fn function(
        &self,
        name_or_arn: &str,
    ) -> impl Future<Output = Result<FunctionConfig, ResolveError>> + Send;
}

/// The role member.yaml creates in every account and the central function
/// assumes (its name is fixed: the central role may assume no other).
pub const READER_ROLE: &str = "doorman-reader";

/// Twelve ASCII digits: an AWS account id, safe in an ARN.
pub fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// Resolvers that work in a member account, one per account.
pub trait MemberResolvers: Send + Sync {
    type Resolver: Resolver;

    /// A resolver reading `account` (through its `doorman-reader`), its
    /// regional services (Lambda) in `region`, the event's. A `Transient`
    /// error is retried by Lambda; any other makes the event an
    /// `unprocessable-event` whose reason is the error's text, so it names
    /// the account and what is missing.
    fn resolver_for(
        &self,
        account: &str,
        region: &str,
    ) -> impl Future<Output = Result<Self::Resolver, ResolveError>> + Send;

    /// The alias of `account` (`iam:ListAccountAliases`) for the alerts,
    /// when it can be known; cached by the implementation. A failed lookup
    /// is `None` (and logged there): a name never fails an event.
    fn account_name(&self, account: &str) -> impl Future<Output = Option<String>> + Send {
        let _ = account;
        async { None }
    }
}

/// Single-account mode: no member account is ever read.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMembers;

impl MemberResolvers for NoMembers {
    type Resolver = offline::OfflineResolver;

    async fn resolver_for(
        &self,
        account: &str,
        _region: &str,
    ) -> Result<Self::Resolver, ResolveError> {
        Err(ResolveError::Permanent(format!(
            "account {account} is not doorman's, and doorman is not deployed for an organization"
        )))
    }
}

/// The role name in a role ARN (`arn:aws:iam::1:role/path/name` → `name`),
/// or the input when it is not a role ARN.
pub fn role_name(role_arn: &str) -> &str {
    match role_arn.split_once(":role/") {
        Some((_, path)) => path.rsplit('/').next().unwrap_or(path),
        None => role_arn,
    }
}

/// The policy name in a policy ARN (`arn:aws:iam::aws:policy/service-role/X` → `X`).
pub fn policy_name(policy_arn: &str) -> &str {
    match policy_arn.split_once(":policy/") {
        Some((_, path)) => path.rsplit('/').next().unwrap_or(path),
        None => policy_arn,
    }
}

/// What a live resolver answers when `GetPolicy`/`GetPolicyVersion` of
/// `arn` failed with `err`: for an AWS managed policy doorman carries, its
/// built-in document, with a [`ManagedPolicy::fallback`] note saying so (AWS
/// changes its policies, so live documents are preferred, but an alert on
/// a slightly old document beats no alert); otherwise `err`.
pub fn built_in_fallback(arn: &str, err: ResolveError) -> Result<ManagedPolicy, ResolveError> {
    use crate::catalog::managed;
    if !arn.contains(":iam::aws:policy/") {
        return Err(err);
    }
    let Some(document) = managed::managed_policy_document(arn) else {
        return Err(err);
    };
    Ok(ManagedPolicy {
        arn: arn.to_string(),
        name: policy_name(arn).to_string(),
        document: document.to_string(),
        fallback: Some(format!(
            "judged by doorman's built-in copy ({} {}), as the live document could not be fetched: {err}",
            managed::SOURCE_PACKAGE,
            managed::SOURCE_VERSION
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fetch_of_an_aws_managed_policy_falls_back_to_the_built_in_one() {
        let arn = "arn:aws:iam::aws:policy/AmazonEC2FullAccess";
        let err = ResolveError::Permanent("GetPolicy `x`: AccessDenied: no".into());
        let p = built_in_fallback(arn, err).unwrap();
        assert_eq!(p.name, "AmazonEC2FullAccess");
        assert!(p.document.contains("ec2:*"));
        let note = p.fallback.unwrap();
        assert!(
            note.contains("built-in copy") && note.contains("AccessDenied"),
            "{note}"
        );
        // A customer managed policy, or a name AWS does not publish, keeps its error.
        let err = ResolveError::NotFound("gone".into());
        assert_eq!(
            built_in_fallback(
                "arn:aws:iam::111122223333:policy/AmazonEC2FullAccess",
                err.clone()
            ),
            Err(err.clone())
        );
        assert_eq!(
            built_in_fallback("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere", err.clone()),
            Err(err)
        );
    }

    #[test]
    fn names_come_from_arns_with_paths() {
        assert_eq!(
            role_name("arn:aws:iam::111122223333:role/service/app"),
            "app"
        );
        assert_eq!(role_name("arn:aws:iam::111122223333:role/app"), "app");
        assert_eq!(role_name("app"), "app");
        assert_eq!(
            policy_name("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
            "AWSLambdaBasicExecutionRole"
        );
    }
}
