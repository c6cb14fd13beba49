//! The roles' current policies, from one of three places:
//! - policy files (the one role being tightened);
//! - a template and the logical id of a role or function;
//! - an audit folder (`doorman audit`'s offline layout, read by its loader):
//!   `aws iam get-account-authorization-details` output, which also says
//!   which roles trust Lambda and what their boundaries are.

use crate::audit::inventory::{Document, Role as AuditRole};
use crate::catalog::managed;
use crate::policy::{parse_document, Policy};
use crate::rules::execution_role::{role_not_lambda_trusted, ExecutionRole, NamedPolicy};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What is known of one role's identity policies.
#[derive(Debug, Clone, Default)]
pub struct RolePolicies {
    pub arn: Option<String>,
    pub name: String,
    /// Whether the trust policy lets `lambda.amazonaws.com` assume it;
    /// `None` when the trust policy is not known.
    pub trusts_lambda: Option<bool>,
    pub policies: Vec<NamedPolicy>,
    /// The permissions boundary: a ceiling on what the policies grant.
    pub boundary: Option<NamedPolicy>,
    /// Managed policies attached whose document is not known: they may
    /// grant more than doorman sees.
    pub unknown: Vec<String>,
}

/// Policy files: each a JSON policy document.
pub fn from_policy_files(paths: &[PathBuf]) -> Result<RolePolicies, String> {
    let mut out = RolePolicies::default();
    for p in paths {
        let text = read(p)?;
        let policy = parse_document(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        out.policies.push(NamedPolicy {
            name: p.display().to_string(),
            policy,
        });
    }
    Ok(out)
}

/// A role or function of a template.
#[cfg(feature = "cli")]
pub fn from_template(path: &Path, logical_id: &str) -> Result<RolePolicies, String> {
    let text = read(path)?;
    let (mut policies, complete) = crate::template::role_policies(&text, logical_id)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for np in &mut policies {
        for s in &mut np.policy.statements {
            use crate::policy::Resources;
            if let Some(Resources::Resource(ps) | Resources::NotResource(ps)) = &mut s.resources {
                for p in ps.iter_mut() {
                    *p = deployed(p);
                }
            }
        }
    }
    Ok(RolePolicies {
        name: logical_id.to_string(),
        policies,
        unknown: if complete {
            Vec::new()
        } else {
            vec!["a managed policy of the template doorman cannot read".to_string()]
        },
        ..RolePolicies::default()
    })
}

/// A template's pattern as it reads once deployed in some account and
/// region: the stand-in account and every value known only at deploy time
/// (`${AWS::Region}`, a parameter) match anything, as the evidence's ARNs
/// name the real ones.
#[cfg(feature = "cli")]
fn deployed(pattern: &str) -> String {
    let p = pattern.replace(crate::template::TEMPLATE_ACCOUNT, "*");
    let (glob, _) = crate::catalog::placeholders_as_stars(&p);
    // Only whole ASCII `${...}` spans were replaced: the bytes are still
    // the UTF-8 they were.
    String::from_utf8_lossy(&glob).into_owned()
}

fn read(p: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", p.display()));
    }
    if meta.len() > 256 << 20 {
        return Err(format!("{}: larger than 256 MiB", p.display()));
    }
    std::fs::read_to_string(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))
}

/// Every role of an audit folder (SPEC §12; `doorman audit`'s offline
/// layout) or of one authorization-details dump, read by the audit's own
/// loader so both commands see one account alike: inline policies, customer
/// managed policies at their default version, AWS managed policies from the
/// built-in set, trust policies and permissions boundaries.
pub fn from_authorization_details(path: &Path) -> Result<Vec<RolePolicies>, String> {
    let loaded = crate::audit::load::load(&[path]);
    if let Some(e) = loaded.errors.first() {
        return Err(format!("{}: {}", e.file, e.message));
    }
    let inv = &loaded.inventory;
    if inv.roles.is_empty() && inv.policies.is_empty() {
        return Err(format!(
            "{}: no `aws iam get-account-authorization-details` output (RoleDetailList) found",
            path.display()
        ));
    }
    let customer: BTreeMap<&str, &Document> = inv
        .policies
        .iter()
        .filter_map(|p| p.document.as_ref().map(|d| (p.arn.as_str(), d)))
        .collect();
    inv.roles.iter().map(|r| role(r, &customer)).collect()
}

/// A managed policy's document, by ARN: the dump's customer policy, or an
/// AWS managed policy of the built-in set.
fn managed_document(
    arn: &str,
    customer: &BTreeMap<&str, &Document>,
) -> Option<Result<Policy, String>> {
    match customer.get(arn) {
        Some(doc) => Some((*doc).clone().map_err(|e| format!("policy `{arn}`: {e}"))),
        None => managed::managed_policy_document(arn)
            .and_then(|d| parse_document(d).ok())
            .map(Ok),
    }
}

fn role(r: &AuditRole, customer: &BTreeMap<&str, &Document>) -> Result<RolePolicies, String> {
    let name = &r.name;
    let mut out = RolePolicies {
        name: name.clone(),
        arn: Some(r.arn.clone()),
        ..RolePolicies::default()
    };
    let trust = match &r.trust {
        Some(Ok(t)) => Some(t.clone()),
        Some(Err(e)) => return Err(format!("role `{name}`: trust policy: {e}")),
        None => None,
    };
    out.trusts_lambda = trust.map(|t| {
        role_not_lambda_trusted(&ExecutionRole {
            name: name.clone(),
            arn: Some(r.arn.clone()),
            trust: Some(t),
            policies: Vec::new(),
        })
        .is_none()
    });
    for p in &r.inline {
        let policy = p
            .document
            .clone()
            .map_err(|e| format!("role `{name}`, policy `{}`: {e}", p.name))?;
        out.policies.push(NamedPolicy {
            name: p.name.clone(),
            policy,
        });
    }
    for arn in &r.attached {
        match managed_document(arn, customer) {
            Some(doc) => out.policies.push(NamedPolicy {
                name: arn.clone(),
                policy: doc?,
            }),
            None => out.unknown.push(arn.clone()),
        }
    }
    if let Some(barn) = &r.boundary {
        match managed_document(barn, customer) {
            Some(doc) => {
                out.boundary = Some(NamedPolicy {
                    name: barn.clone(),
                    policy: doc?,
                })
            }
            None => out.unknown.push(format!("{barn} (permissions boundary)")),
        }
    }
    Ok(out)
}
