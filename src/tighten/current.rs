//! The roles' current policies, from one of three places:
//! - policy files (the one role being tightened);
//! - a template and the logical id of a role or function;
//! - an audit folder: `aws iam get-account-authorization-details` output
//!   (whole or split by page, any file name, found by its
//!   `RoleDetailList` key), which also says which roles trust Lambda.

use crate::catalog::managed;
use crate::policy::{parse_document, parse_value, Policy};
use crate::rules::execution_role::{role_not_lambda_trusted, ExecutionRole, NamedPolicy};
use serde_json::Value;
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
    let mut out = String::with_capacity(p.len());
    let mut rest = p.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('*');
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
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

/// Every role of an authorization-details dump: a file, or a folder whose
/// `.json` files (recursively) hold its pages. Files without
/// `RoleDetailList` or `Policies` (other dumps of an audit folder) are
/// left alone.
pub fn from_authorization_details(path: &Path) -> Result<Vec<RolePolicies>, String> {
    let mut files = Vec::new();
    collect_json(path, &mut files)?;
    let mut roles: Vec<Value> = Vec::new();
    let mut customer: BTreeMap<String, Value> = BTreeMap::new();
    let mut seen = false;
    for f in &files {
        let text = read(f)?;
        if !text.contains("RoleDetailList") && !text.contains("PolicyVersionList") {
            continue;
        }
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not valid JSON: {e}", f.display()))?;
        if let Some(list) = v.get("RoleDetailList").and_then(Value::as_array) {
            seen = true;
            roles.extend(list.iter().cloned());
        }
        for p in v
            .get("Policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let (Some(arn), Some(doc)) =
                (p.get("Arn").and_then(Value::as_str), default_version(p))
            {
                customer.insert(arn.to_string(), doc.clone());
            }
        }
    }
    if !seen {
        return Err(format!(
            "{}: no `aws iam get-account-authorization-details` output (RoleDetailList) found",
            path.display()
        ));
    }
    roles
        .iter()
        .map(|r| role(r, &customer))
        .collect::<Result<Vec<_>, _>>()
}

fn collect_json(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: cannot read folder: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        let Ok(m) = std::fs::symlink_metadata(&e) else {
            continue;
        };
        if m.is_dir() {
            collect_json(&e, out)?;
        } else if e.extension().is_some_and(|x| x == "json") {
            out.push(e);
        }
    }
    Ok(())
}

fn default_version(p: &Value) -> Option<&Value> {
    let versions = p.get("PolicyVersionList")?.as_array()?;
    versions
        .iter()
        .find(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
        .or_else(|| versions.first())?
        .get("Document")
}

/// A document as the CLI prints it (an object) or as the API returns it
/// (URL-encoded JSON text).
fn document(v: &Value) -> Result<Policy, String> {
    match v {
        Value::String(s) => parse_document(s).map_err(|e| e.to_string()),
        other => parse_value(other).map_err(|e| e.to_string()),
    }
}

fn role(r: &Value, customer: &BTreeMap<String, Value>) -> Result<RolePolicies, String> {
    let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
    let name = s("RoleName").unwrap_or_default();
    let arn = s("Arn");
    let mut out = RolePolicies {
        name: name.clone(),
        arn: arn.clone(),
        ..RolePolicies::default()
    };
    let trust = match r.get("AssumeRolePolicyDocument") {
        Some(doc) => Some(document(doc).map_err(|e| format!("role `{name}`: trust policy: {e}"))?),
        None => None,
    };
    out.trusts_lambda = trust.as_ref().map(|t| {
        role_not_lambda_trusted(&ExecutionRole {
            name: name.clone(),
            arn: arn.clone(),
            trust: Some(t.clone()),
            policies: Vec::new(),
        })
        .is_none()
    });
    for p in r
        .get("RolePolicyList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pname = p
            .get("PolicyName")
            .and_then(Value::as_str)
            .unwrap_or("inline");
        if let Some(doc) = p.get("PolicyDocument") {
            let policy =
                document(doc).map_err(|e| format!("role `{name}`, policy `{pname}`: {e}"))?;
            out.policies.push(NamedPolicy {
                name: pname.to_string(),
                policy,
            });
        }
    }
    for p in r
        .get("AttachedManagedPolicies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(parn) = p.get("PolicyArn").and_then(Value::as_str) else {
            continue;
        };
        if let Some(doc) = customer.get(parn) {
            let policy = document(doc).map_err(|e| format!("policy `{parn}`: {e}"))?;
            out.policies.push(NamedPolicy {
                name: parn.to_string(),
                policy,
            });
        } else if let Some(np) =
            managed::managed_policy_document(parn).and_then(|d| parse_document(d).ok())
        {
            out.policies.push(NamedPolicy {
                name: parn.to_string(),
                policy: np,
            });
        } else {
            out.unknown.push(parn.to_string());
        }
    }
    if let Some(barn) = r
        .get("PermissionsBoundary")
        .and_then(|b| b.get("PermissionsBoundaryArn"))
        .and_then(Value::as_str)
    {
        let doc = match customer.get(barn) {
            Some(doc) => Some(document(doc).map_err(|e| format!("boundary `{barn}`: {e}"))?),
            None => managed::managed_policy_document(barn).and_then(|d| parse_document(d).ok()),
        };
        match doc {
            Some(policy) => {
                out.boundary = Some(NamedPolicy {
                    name: barn.to_string(),
                    policy,
                })
            }
            None => out.unknown.push(format!("{barn} (permissions boundary)")),
        }
    }
    Ok(out)
}
