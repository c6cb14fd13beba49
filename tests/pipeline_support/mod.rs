//! Shared by the pipeline tests: an in-memory resolver, sample loading.
#![allow(dead_code)]

use doorman::resolve::{
    FunctionConfig, ManagedPolicy, PolicyEntities, ResolveError, Resolver, RoleDetails, RolePolicy,
};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;

/// A resolver answering from maps, or failing every call with `fail_with`.
#[derive(Debug, Default, Clone)]
pub struct MemoryResolver {
    pub managed: HashMap<String, ManagedPolicy>,
    pub versions: HashMap<(String, String), String>,
    pub roles: HashMap<String, RoleDetails>,
    /// Group name → the policies it gives its members.
    pub groups: HashMap<String, Vec<RolePolicy>>,
    pub role_tags: HashMap<String, Vec<(String, String)>>,
    pub function_tags: HashMap<String, Vec<(String, String)>>,
    pub entities: HashMap<String, PolicyEntities>,
    /// Functions by name.
    pub functions: HashMap<String, FunctionConfig>,
    pub fail_with: Option<ResolveError>,
}

impl MemoryResolver {
    fn check(&self) -> Result<(), ResolveError> {
        match &self.fail_with {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    pub fn with_role(mut self, role: RoleDetails) -> Self {
        self.roles.insert(role.name.clone(), role);
        self
    }

    /// AWS managed policies, with doorman's built-in documents.
    pub fn with_aws_managed(mut self, arns: &[&str]) -> Self {
        for arn in arns {
            let document = doorman::catalog::managed::managed_policy_document(arn)
                .expect("a managed policy doorman carries");
            self.managed.insert(
                arn.to_string(),
                ManagedPolicy {
                    arn: arn.to_string(),
                    name: doorman::resolve::policy_name(arn).to_string(),
                    document: document.to_string(),
                    fallback: None,
                },
            );
        }
        self
    }

    pub fn with_function(mut self, name: &str, arn: &str, role: &str) -> Self {
        self.functions.insert(
            name.to_string(),
            FunctionConfig {
                name: name.to_string(),
                arn: arn.to_string(),
                role: Some(role.to_string()),
                environment: Vec::new(),
            },
        );
        self
    }
}

fn not_found<T>(what: String) -> Result<T, ResolveError> {
    Err(ResolveError::NotFound(format!("NoSuchEntity: {what}")))
}

impl Resolver for MemoryResolver {
    async fn managed_policy(&self, arn: &str) -> Result<ManagedPolicy, ResolveError> {
        self.check()?;
        match self.managed.get(arn) {
            Some(p) => Ok(p.clone()),
            None => not_found(format!("policy `{arn}`")),
        }
    }

    async fn policy_version(&self, arn: &str, version_id: &str) -> Result<String, ResolveError> {
        self.check()?;
        match self
            .versions
            .get(&(arn.to_string(), version_id.to_string()))
        {
            Some(d) => Ok(d.clone()),
            None => not_found(format!("version `{version_id}` of `{arn}`")),
        }
    }

    async fn role(&self, name: &str) -> Result<RoleDetails, ResolveError> {
        self.check()?;
        match self.roles.get(name) {
            Some(r) => Ok(r.clone()),
            None => not_found(format!("role `{name}`")),
        }
    }

    async fn group_policies(&self, name: &str) -> Result<Vec<RolePolicy>, ResolveError> {
        self.check()?;
        match self.groups.get(name) {
            Some(p) => Ok(p.clone()),
            None => not_found(format!("group `{name}`")),
        }
    }

    async fn role_tags(&self, name: &str) -> Result<Vec<(String, String)>, ResolveError> {
        self.check()?;
        Ok(self.role_tags.get(name).cloned().unwrap_or_default())
    }

    async fn function_tags(&self, arn: &str) -> Result<Vec<(String, String)>, ResolveError> {
        self.check()?;
        Ok(self.function_tags.get(arn).cloned().unwrap_or_default())
    }

    async fn policy_entities(&self, arn: &str) -> Result<PolicyEntities, ResolveError> {
        self.check()?;
        Ok(self.entities.get(arn).cloned().unwrap_or_default())
    }

    async fn functions_using_role(&self, role_arn: &str) -> Result<Vec<String>, ResolveError> {
        self.check()?;
        let mut names: Vec<String> = self
            .functions
            .values()
            .filter(|f| f.role.as_deref() == Some(role_arn))
            .map(|f| f.name.clone())
            .collect();
        names.sort();
        Ok(names)
    }

    async fn function(&self, name_or_arn: &str) -> Result<FunctionConfig, ResolveError> {
        self.check()?;
        let name = doorman::event::function_name(name_or_arn);
        match self.functions.get(&name) {
            Some(f) => Ok(f.clone()),
            None => not_found(format!("function `{name_or_arn}`")),
        }
    }
}

pub const ACCOUNT: &str = "111122223333";

/// URL-encodes a document the way IAM read APIs return it.
pub fn url_encoded(doc: &str) -> String {
    percent_encoding::utf8_percent_encode(doc, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub fn lambda_trust() -> String {
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.to_string()
}

/// A role trusted by Lambda holding `policies` (inline name → document).
pub fn role(name: &str, policies: &[(&str, &str)], managed: &[&str]) -> RoleDetails {
    let mut list: Vec<RolePolicy> = policies
        .iter()
        .map(|(n, d)| RolePolicy {
            name: n.to_string(),
            managed: false,
            document: url_encoded(d),
            fallback: None,
        })
        .collect();
    for arn in managed {
        list.push(RolePolicy {
            name: arn.to_string(),
            managed: true,
            document: doorman::catalog::managed::managed_policy_document(arn)
                .expect("a managed policy doorman carries")
                .to_string(),
            fallback: None,
        });
    }
    RoleDetails {
        name: name.to_string(),
        arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        trust: url_encoded(&lambda_trust()),
        policies: list,
    }
}

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// One sample event from `events/`.
pub fn sample(name: &str) -> Value {
    let path = events_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read sample `{}`: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("sample `{name}` is not JSON: {e}"))
}
