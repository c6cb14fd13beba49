//! The resolver of the Lambda: IAM and Lambda read APIs through the AWS SDK.
//!
//! Every list call goes through the SDK's paginators, so a role with many
//! policies or an account with many functions is read to the end. The SDK
//! retries throttling and 5xx itself (standard retry mode); what is left
//! after its retries is classified here (SPEC §2).

use super::{
    FunctionConfig, ManagedPolicy, PolicyEntities, ResolveError, Resolver, RoleDetails, RolePolicy,
};
use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Error codes that mean "try again later".
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ServiceFailure",
    "ServiceUnavailable",
    "ServiceException",
    "InternalFailure",
    "RequestTimeout",
];

/// Error codes that mean "it is gone".
const NOT_FOUND_CODES: &[&str] = &["NoSuchEntity", "ResourceNotFoundException"];

/// Turns an SDK error into a [`ResolveError`]: throttling, timeouts, network
/// failures and 5xx are transient; a missing entity is not found; the rest
/// (access denied, validation) is permanent.
pub(super) fn classify<E>(what: &str, err: SdkError<E, HttpResponse>) -> ResolveError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("");
            let status = se.raw().status().as_u16();
            let message = format!("{what}: {code}: {}", se.err().message().unwrap_or(""));
            if NOT_FOUND_CODES.contains(&code) {
                ResolveError::NotFound(message)
            } else if TRANSIENT_CODES.contains(&code) || status >= 500 || status == 429 {
                ResolveError::Transient(message)
            } else {
                ResolveError::Permanent(message)
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ResolveError::Transient(format!("{what}: {detail}"))
        }
        _ => ResolveError::Permanent(format!("{what}: {detail}")),
    }
}

/// IAM and Lambda clients, built once per process.
#[derive(Debug, Clone)]
pub struct AwsResolver {
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
}

impl AwsResolver {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsResolver {
            iam: aws_sdk_iam::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
        }
    }

    pub fn from_clients(iam: aws_sdk_iam::Client, lambda: aws_sdk_lambda::Client) -> Self {
        AwsResolver { iam, lambda }
    }
}

impl AwsResolver {
    /// `GetPolicy` + `GetPolicyVersion` of the default version, live.
    async fn live_managed_policy(&self, arn: &str) -> Result<ManagedPolicy, ResolveError> {
        let what = format!("GetPolicy `{arn}`");
        let out = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| classify(&what, e))?;
        let policy = out
            .policy()
            .ok_or_else(|| ResolveError::Permanent(format!("{what}: no policy in the answer")))?;
        let name = policy
            .policy_name()
            .unwrap_or(super::policy_name(arn))
            .to_string();
        let version = policy.default_version_id().ok_or_else(|| {
            ResolveError::Permanent(format!("{what}: the policy has no default version"))
        })?;
        let document = self.policy_version(arn, version).await?;
        Ok(ManagedPolicy {
            arn: arn.to_string(),
            name,
            document,
            fallback: None,
        })
    }
}

impl Resolver for AwsResolver {
    /// The live document (AWS changes its managed policies); for an AWS
    /// managed policy whose live document cannot be fetched, even after the
    /// SDK's retries, the built-in one, marked as such for the alert.
    async fn managed_policy(&self, arn: &str) -> Result<ManagedPolicy, ResolveError> {
        // Boxed: one more async level inline overflows rustc's layout depth
        // limit for the handler's future.
        match Box::pin(self.live_managed_policy(arn)).await {
            Ok(p) => Ok(p),
            Err(e) => super::built_in_fallback(arn, e),
        }
    }

    async fn policy_version(&self, arn: &str, version_id: &str) -> Result<String, ResolveError> {
        let what = format!("GetPolicyVersion `{arn}` `{version_id}`");
        let out = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version_id)
            .send()
            .await
            .map_err(|e| classify(&what, e))?;
        out.policy_version()
            .and_then(|v| v.document())
            .map(str::to_string)
            .ok_or_else(|| ResolveError::Permanent(format!("{what}: no document in the answer")))
    }

    async fn role(&self, name: &str) -> Result<RoleDetails, ResolveError> {
        let role = self.get_role(name).await?;
        let trust = role.assume_role_policy_document().unwrap_or("").to_string();
        let arn = role.arn().to_string();

        let what = format!("ListRolePolicies `{name}`");
        let inline_names: Vec<String> = self
            .iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify(&what, e))?;
        let mut policies = Vec::new();
        for policy_name in inline_names {
            let what = format!("GetRolePolicy `{name}` `{policy_name}`");
            let out = self
                .iam
                .get_role_policy()
                .role_name(name)
                .policy_name(&policy_name)
                .send()
                .await
                .map_err(|e| classify(&what, e))?;
            policies.push(RolePolicy {
                name: policy_name,
                managed: false,
                document: out.policy_document().to_string(),
                fallback: None,
            });
        }

        let what = format!("ListAttachedRolePolicies `{name}`");
        let attached = self
            .iam
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify(&what, e))?;
        for policy in attached {
            let Some(policy_arn) = policy.policy_arn() else {
                continue;
            };
            // Live, with the built-in copy only when that fails.
            let fetched = self.managed_policy(policy_arn).await?;
            policies.push(RolePolicy {
                name: policy_arn.to_string(),
                managed: true,
                document: fetched.document,
                fallback: fetched.fallback,
            });
        }
        Ok(RoleDetails {
            name: name.to_string(),
            arn,
            trust,
            policies,
        })
    }

    async fn group_policies(&self, name: &str) -> Result<Vec<RolePolicy>, ResolveError> {
        let what = format!("ListGroupPolicies `{name}`");
        let inline_names: Vec<String> = self
            .iam
            .list_group_policies()
            .group_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify(&what, e))?;
        let mut policies = Vec::new();
        for policy_name in inline_names {
            let what = format!("GetGroupPolicy `{name}` `{policy_name}`");
            let out = self
                .iam
                .get_group_policy()
                .group_name(name)
                .policy_name(&policy_name)
                .send()
                .await
                .map_err(|e| classify(&what, e))?;
            policies.push(RolePolicy {
                name: policy_name,
                managed: false,
                document: out.policy_document().to_string(),
                fallback: None,
            });
        }
        let what = format!("ListAttachedGroupPolicies `{name}`");
        let attached = self
            .iam
            .list_attached_group_policies()
            .group_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify(&what, e))?;
        for policy in attached {
            let Some(policy_arn) = policy.policy_arn() else {
                continue;
            };
            let fetched = self.managed_policy(policy_arn).await?;
            policies.push(RolePolicy {
                name: policy_arn.to_string(),
                managed: true,
                document: fetched.document,
                fallback: fetched.fallback,
            });
        }
        Ok(policies)
    }

    async fn role_tags(&self, name: &str) -> Result<Vec<(String, String)>, ResolveError> {
        let what = format!("ListRoleTags `{name}`");
        let tags = self
            .iam
            .list_role_tags()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify(&what, e))?;
        Ok(tags
            .into_iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }

    async fn function_tags(&self, arn: &str) -> Result<Vec<(String, String)>, ResolveError> {
        let what = format!("ListTags `{arn}`");
        let out = self
            .lambda
            .list_tags()
            .resource(arn)
            .send()
            .await
            .map_err(|e| classify(&what, e))?;
        let mut tags: Vec<(String, String)> = out
            .tags()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        tags.sort();
        Ok(tags)
    }

    async fn policy_entities(&self, arn: &str) -> Result<PolicyEntities, ResolveError> {
        let what = format!("ListEntitiesForPolicy `{arn}`");
        let mut pages = self
            .iam
            .list_entities_for_policy()
            .policy_arn(arn)
            .into_paginator()
            .send();
        let mut entities = PolicyEntities::default();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&what, e))?;
            entities.roles.extend(
                page.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name().map(str::to_string)),
            );
            entities.users.extend(
                page.policy_users()
                    .iter()
                    .filter_map(|u| u.user_name().map(str::to_string)),
            );
            entities.groups.extend(
                page.policy_groups()
                    .iter()
                    .filter_map(|g| g.group_name().map(str::to_string)),
            );
        }
        Ok(entities)
    }

    async fn functions_using_role(&self, role_arn: &str) -> Result<Vec<String>, ResolveError> {
        let what = "ListFunctions".to_string();
        let functions = self
            .lambda
            .list_functions()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify(&what, e))?;
        let mut names: Vec<String> = functions
            .iter()
            .filter(|f| f.role() == Some(role_arn))
            .filter_map(|f| f.function_name().map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    async fn function(&self, name_or_arn: &str) -> Result<FunctionConfig, ResolveError> {
        let what = format!("GetFunctionConfiguration `{name_or_arn}`");
        let out = self
            .lambda
            .get_function_configuration()
            .function_name(name_or_arn)
            .send()
            .await
            .map_err(|e| classify(&what, e))?;
        Ok(FunctionConfig {
            name: out.function_name().unwrap_or(name_or_arn).to_string(),
            arn: out.function_arn().unwrap_or(name_or_arn).to_string(),
            role: out.role().map(str::to_string),
            environment: {
                let mut vars: Vec<(String, String)> = out
                    .environment()
                    .and_then(|e| e.variables())
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default();
                vars.sort();
                vars
            },
        })
    }
}

/// The AccessDenied step's one call per role (SPEC §13): `GetRole`, for
/// whether the role trusts Lambda. Nothing else of the role is read.
impl super::denied::RoleTrust for AwsResolver {
    async fn trust_policy(&self, name: &str) -> Result<String, ResolveError> {
        self.get_role(name)
            .await?
            .assume_role_policy_document()
            .map(str::to_string)
            .ok_or_else(|| {
                ResolveError::Permanent(format!("GetRole `{name}`: no trust policy in the answer"))
            })
    }
}

impl AwsResolver {
    /// `GetRole`, shared by the resolver (the role's trust and ARN) and the
    /// AccessDenied step (its trust only).
    async fn get_role(&self, name: &str) -> Result<aws_sdk_iam::types::Role, ResolveError> {
        let what = format!("GetRole `{name}`");
        self.iam
            .get_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| classify(&what, e))?
            .role
            .ok_or_else(|| ResolveError::Permanent(format!("{what}: no role in the answer")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::error::ErrorMetadata;

    fn service_error(status: u16, code: &str) -> SdkError<ErrorMetadata, HttpResponse> {
        let err = ErrorMetadata::builder()
            .code(code)
            .message("from the service")
            .build();
        let raw = HttpResponse::new(status.try_into().unwrap(), "".into());
        SdkError::service_error(err, raw)
    }

    #[test]
    fn sdk_errors_are_classified_as_spec_section_2_says() {
        assert_eq!(
            classify("GetRole `r`", service_error(404, "NoSuchEntity")),
            ResolveError::NotFound("GetRole `r`: NoSuchEntity: from the service".into())
        );
        assert!(matches!(
            classify("x", service_error(404, "ResourceNotFoundException")),
            ResolveError::NotFound(_)
        ));
        for (status, code) in [
            (400, "Throttling"),
            (429, "TooManyRequestsException"),
            (500, "ServiceFailure"),
            (503, "Anything"),
        ] {
            assert!(
                matches!(
                    classify("x", service_error(status, code)),
                    ResolveError::Transient(_)
                ),
                "{status} {code}"
            );
        }
        assert!(matches!(
            classify("x", service_error(403, "AccessDenied")),
            ResolveError::Permanent(_)
        ));
        let timeout: SdkError<ErrorMetadata, HttpResponse> =
            SdkError::timeout_error("operation timed out");
        assert!(matches!(classify("x", timeout), ResolveError::Transient(_)));
        let construction: SdkError<ErrorMetadata, HttpResponse> =
            SdkError::construction_failure("bad input");
        assert!(matches!(
            classify("x", construction),
            ResolveError::Permanent(_)
        ));
    }
}
