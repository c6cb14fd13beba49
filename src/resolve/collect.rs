//! `doorman audit --collect DIR` and the live audit: reads an account through
//! the SDK and writes what the AWS CLI commands of README "Audit an account"
//! write, in the same layout and JSON shapes, so a live audit is by
//! construction the offline audit ([`crate::audit::load`]) of what it
//! collected. Lives in `resolve` because no SDK type may leave it (SPEC §2).
//!
//! Every list call goes through the SDK's paginators; calls are made one at
//! a time (concurrency 1, the gentlest bound on IAM's and Lambda's rate
//! limits), and the SDK's standard retry mode honours throttling. A missing
//! function policy, URL or layer policy (`ResourceNotFoundException`) is
//! not an error; anything else stops the collection with the call named.

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use serde_json::{json, Value};
use std::path::Path;

/// What was collected, for the user.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Collected {
    pub roles: usize,
    pub functions: usize,
    pub files: usize,
}

fn err<E, R>(what: &str, e: SdkError<E, R>) -> String
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    format!("{what}: {}", DisplayErrorContext(&e))
}

fn not_found<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ResourceNotFoundException")
}

fn write(dir: &Path, rel: &str, value: &Value, n: &mut usize) -> Result<(), String> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    *n += 1;
    Ok(())
}

/// A file name for a function or layer name (they are `[A-Za-z0-9-_]`, but
/// nothing from the account becomes a path unchecked).
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn attached(list: &[aws_sdk_iam::types::AttachedPolicy]) -> Value {
    Value::Array(
        list.iter()
            .map(|a| json!({"PolicyName": a.policy_name(), "PolicyArn": a.policy_arn()}))
            .collect(),
    )
}

fn inline(list: &[aws_sdk_iam::types::PolicyDetail]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| json!({"PolicyName": p.policy_name(), "PolicyDocument": p.policy_document()}))
            .collect(),
    )
}

fn boundary(b: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>) -> Value {
    match b.and_then(|b| b.permissions_boundary_arn()) {
        Some(arn) => json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}),
        None => Value::Null,
    }
}

fn tags(list: &[aws_sdk_iam::types::Tag]) -> Value {
    Value::Array(
        list.iter()
            .map(|t| json!({"Key": t.key(), "Value": t.value()}))
            .collect(),
    )
}

/// `aws iam get-account-authorization-details`, every page, as one file.
async fn iam(config: &aws_config::SdkConfig, dir: &Path, c: &mut Collected) -> Result<(), String> {
    let client = aws_sdk_iam::Client::new(config);
    let pages = client
        .get_account_authorization_details()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("iam:GetAccountAuthorizationDetails", e))?;
    let (mut roles, mut users, mut groups, mut policies) = (vec![], vec![], vec![], vec![]);
    for page in &pages {
        for r in page.role_detail_list() {
            roles.push(json!({
                "Path": r.path(), "RoleName": r.role_name(), "RoleId": r.role_id(), "Arn": r.arn(),
                "AssumeRolePolicyDocument": r.assume_role_policy_document(),
                "RolePolicyList": inline(r.role_policy_list()),
                "AttachedManagedPolicies": attached(r.attached_managed_policies()),
                "PermissionsBoundary": boundary(r.permissions_boundary()),
                "Tags": tags(r.tags()),
            }));
        }
        for u in page.user_detail_list() {
            users.push(json!({
                "Path": u.path(), "UserName": u.user_name(), "UserId": u.user_id(), "Arn": u.arn(),
                "UserPolicyList": inline(u.user_policy_list()),
                "GroupList": u.group_list(),
                "AttachedManagedPolicies": attached(u.attached_managed_policies()),
                "PermissionsBoundary": boundary(u.permissions_boundary()),
                "Tags": tags(u.tags()),
            }));
        }
        for g in page.group_detail_list() {
            groups.push(json!({
                "Path": g.path(), "GroupName": g.group_name(), "GroupId": g.group_id(), "Arn": g.arn(),
                "GroupPolicyList": inline(g.group_policy_list()),
                "AttachedManagedPolicies": attached(g.attached_managed_policies()),
            }));
        }
        for p in page.policies() {
            let versions: Vec<Value> = p
                .policy_version_list()
                .iter()
                .map(|v| {
                    json!({"Document": v.document(), "VersionId": v.version_id(),
                           "IsDefaultVersion": v.is_default_version()})
                })
                .collect();
            policies.push(json!({
                "PolicyName": p.policy_name(), "PolicyId": p.policy_id(), "Arn": p.arn(), "Path": p.path(),
                "DefaultVersionId": p.default_version_id(),
                "AttachmentCount": p.attachment_count(),
                "PermissionsBoundaryUsageCount": p.permissions_boundary_usage_count(),
                "PolicyVersionList": versions,
            }));
        }
    }
    c.roles = roles.len();
    write(
        dir,
        "iam/authorization-details.json",
        &json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles,
                "Policies": policies, "IsTruncated": false}),
        &mut c.files,
    )
}

/// `list-functions`, `list-event-source-mappings`, and per function
/// `get-policy` and `get-function-url-config`; the account's layer version
/// policies.
async fn lambda(
    config: &aws_config::SdkConfig,
    region: &str,
    dir: &Path,
    c: &mut Collected,
) -> Result<(), String> {
    let lambda_config = aws_sdk_lambda::config::Builder::from(config)
        .region(aws_sdk_lambda::config::Region::new(region.to_string()))
        .build();
    let client = aws_sdk_lambda::Client::from_conf(lambda_config);
    let base = format!("lambda/{}", safe(region));
    let pages = client
        .list_functions()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("lambda:ListFunctions", e))?;
    let mut functions = Vec::new();
    let mut names = Vec::new();
    for f in pages.iter().flat_map(|p| p.functions()) {
        let name = f.function_name().unwrap_or_default().to_string();
        functions.push(json!({
            "FunctionName": name,
            "FunctionArn": f.function_arn(),
            "Role": f.role(),
            "Layers": f.layers().iter().map(|l| json!({"Arn": l.arn()})).collect::<Vec<_>>(),
            "LoggingConfig": {"LogGroup": f.logging_config().and_then(|l| l.log_group())},
        }));
        names.push(name);
    }
    c.functions += functions.len();
    write(
        dir,
        &format!("{base}/functions.json"),
        &json!({ "Functions": functions }),
        &mut c.files,
    )?;

    let pages = client
        .list_event_source_mappings()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("lambda:ListEventSourceMappings", e))?;
    let mappings: Vec<Value> = pages
        .iter()
        .flat_map(|p| p.event_source_mappings())
        .map(|m| json!({"UUID": m.uuid(), "EventSourceArn": m.event_source_arn(), "FunctionArn": m.function_arn(), "State": m.state()}))
        .collect();
    write(
        dir,
        &format!("{base}/event-source-mappings.json"),
        &json!({ "EventSourceMappings": mappings }),
        &mut c.files,
    )?;

    for name in &names {
        match client.get_policy().function_name(name).send().await {
            Ok(p) => write(
                dir,
                &format!("{base}/policies/{}.json", safe(name)),
                &json!({"Policy": p.policy(), "RevisionId": p.revision_id()}),
                &mut c.files,
            )?,
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(err(&format!("lambda:GetPolicy `{name}`"), e)),
        }
        match client
            .get_function_url_config()
            .function_name(name)
            .send()
            .await
        {
            Ok(u) => write(
                dir,
                &format!("{base}/urls/{}.json", safe(name)),
                &json!({"FunctionUrl": u.function_url(), "FunctionArn": u.function_arn(), "AuthType": u.auth_type().as_str()}),
                &mut c.files,
            )?,
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(err(&format!("lambda:GetFunctionUrlConfig `{name}`"), e)),
        }
    }

    let layers = client
        .list_layers()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| err("lambda:ListLayers", e))?;
    for layer in layers.iter().flat_map(|p| p.layers()) {
        let Some(layer_name) = layer.layer_name() else {
            continue;
        };
        let versions = client
            .list_layer_versions()
            .layer_name(layer_name)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| err(&format!("lambda:ListLayerVersions `{layer_name}`"), e))?;
        for v in versions.iter().flat_map(|p| p.layer_versions()) {
            let number = v.version();
            match client
                .get_layer_version_policy()
                .layer_name(layer_name)
                .version_number(number)
                .send()
                .await
            {
                Ok(p) => write(
                    dir,
                    &format!("{base}/layers/{}-{number}.json", safe(layer_name)),
                    &json!({"Policy": p.policy(), "RevisionId": p.revision_id()}),
                    &mut c.files,
                )?,
                Err(e) if not_found(&e) => {}
                Err(e) => {
                    return Err(err(
                        &format!("lambda:GetLayerVersionPolicy `{layer_name}` {number}"),
                        e,
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Collects the account into `dir`: IAM once, Lambda in each of `regions`
/// (the config's Region when empty).
pub async fn collect(
    config: &aws_config::SdkConfig,
    regions: &[String],
    dir: &Path,
) -> Result<Collected, String> {
    let mut c = Collected::default();
    iam(config, dir, &mut c).await?;
    let default = config.region().map(|r| r.to_string());
    let regions: Vec<String> = if regions.is_empty() {
        default.into_iter().collect()
    } else {
        regions.to_vec()
    };
    if regions.is_empty() {
        return Err("no Region: set AWS_REGION or pass --region".into());
    }
    for region in &regions {
        lambda(config, region, dir, &mut c).await?;
    }
    Ok(c)
}

/// [`collect`] with the default credentials, Region and endpoint
/// (`AWS_ENDPOINT_URL`), on a runtime of its own: what the CLI calls, so no
/// SDK type reaches it.
pub fn collect_default(regions: &[String], dir: &Path) -> Result<Collected, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        collect(&config, regions, dir).await
    })
}
