//! The resolver of `doorman replay`: no AWS, so it knows only the AWS managed
//! policy documents built into doorman (every one, latest version). Everything else is
//! [`ResolveError::Unavailable`], and the checks that need it are skipped
//! (and reported as skipped), never guessed.

use super::{
    FunctionConfig, ManagedPolicy, PolicyEntities, ResolveError, Resolver, RoleDetails, RolePolicy,
};
use crate::catalog::managed::{aws_managed_name, managed_policy_document};

/// Resolves from built-in knowledge only.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineResolver;

fn unavailable<T>(what: String) -> Result<T, ResolveError> {
    Err(ResolveError::Unavailable(format!(
        "{what} cannot be fetched offline"
    )))
}

impl Resolver for OfflineResolver {
    async fn managed_policy(&self, arn: &str) -> Result<ManagedPolicy, ResolveError> {
        let is_aws_arn = arn.contains(":iam::aws:policy/");
        match (is_aws_arn, managed_policy_document(arn)) {
            (true, Some(doc)) => Ok(ManagedPolicy {
                arn: arn.to_string(),
                name: aws_managed_name(arn).unwrap_or(arn).to_string(),
                document: doc.to_string(),
                // The built-in set is this resolver's only source: expected, not a fallback.
                fallback: None,
            }),
            _ => unavailable(format!("the document of managed policy `{arn}`")),
        }
    }

    async fn policy_version(&self, arn: &str, version_id: &str) -> Result<String, ResolveError> {
        unavailable(format!("version `{version_id}` of policy `{arn}`"))
    }

    async fn role(&self, name: &str) -> Result<RoleDetails, ResolveError> {
        unavailable(format!("role `{name}`"))
    }

    async fn group_policies(&self, name: &str) -> Result<Vec<RolePolicy>, ResolveError> {
        unavailable(format!("the policies of group `{name}`"))
    }

    async fn role_tags(&self, name: &str) -> Result<Vec<(String, String)>, ResolveError> {
        unavailable(format!("the tags of role `{name}`"))
    }

    async fn function_tags(&self, arn: &str) -> Result<Vec<(String, String)>, ResolveError> {
        unavailable(format!("the tags of function `{arn}`"))
    }

    async fn policy_entities(&self, arn: &str) -> Result<PolicyEntities, ResolveError> {
        unavailable(format!("the holders of policy `{arn}`"))
    }

    async fn functions_using_role(&self, role_arn: &str) -> Result<Vec<String>, ResolveError> {
        unavailable(format!("the functions using role `{role_arn}`"))
    }

    async fn function(&self, name_or_arn: &str) -> Result<FunctionConfig, ResolveError> {
        unavailable(format!("the configuration of function `{name_or_arn}`"))
    }
}
