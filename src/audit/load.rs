//! The offline source: a folder (or one file) of the AWS CLI's own JSON
//! outputs, recognised by content, never by file name:
//!
//! | top-level key | command |
//! |---|---|
//! | `RoleDetailList`, `UserDetailList`, `GroupDetailList`, `Policies` | `aws iam get-account-authorization-details` (whole, or one file per page) |
//! | `Functions` | `aws lambda list-functions` |
//! | `Policy` (a string) | `aws lambda get-policy` or `get-layer-version-policy`: the statements' `Resource` names the function or layer version; a function policy without one is matched by its file name (`<FunctionName>.json`) |
//! | `FunctionUrlConfigs`, or `FunctionUrl` + `AuthType` | `aws lambda list-function-url-configs` / `get-function-url-config` |
//! | `EventSourceMappings` | `aws lambda list-event-source-mappings` |
//!
//! Documents may be JSON objects (what the CLI prints) or URL-encoded strings
//! (what the API returns). A file that cannot be read or parsed is an error
//! naming the file and the problem; the other files are still audited. JSON
//! in a folder that is none of these is skipped and counted.

use super::inventory::{
    Document, Function, Group, InlinePolicy, Inventory, LayerPolicy, ManagedPolicy, Mapping, Role,
    User,
};
use crate::policy::{parse_document, parse_value, Resources};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The largest file read: 2 GiB. An authorization-details dump of a very
/// large account (tens of thousands of roles) is a few hundred MB; anything
/// bigger is not an AWS CLI output.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A file that could not be audited, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub message: String,
}

/// What the loader produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub inventory: Inventory,
    pub errors: Vec<FileError>,
    /// JSON files in folders that are no AWS CLI output doorman reads.
    pub skipped: Vec<String>,
    /// Things left unjudged and why (a policy for a function not listed).
    pub notes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct CliOutput {
    role_detail_list: Option<Vec<RoleDetail>>,
    user_detail_list: Option<Vec<UserDetail>>,
    group_detail_list: Option<Vec<GroupDetail>>,
    policies: Option<Vec<PolicyDetail>>,
    functions: Option<Vec<FunctionConfig>>,
    policy: Option<String>,
    function_url_configs: Option<Vec<UrlConfig>>,
    function_url: Option<String>,
    auth_type: Option<String>,
    function_arn: Option<String>,
    event_source_mappings: Option<Vec<MappingDetail>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleDetail {
    role_name: String,
    arn: String,
    assume_role_policy_document: Option<Value>,
    #[serde(default)]
    role_policy_list: Option<Vec<PolicyItem>>,
    #[serde(default)]
    attached_managed_policies: Option<Vec<Attached>>,
    permissions_boundary: Option<Boundary>,
    #[serde(default)]
    tags: Option<Vec<Tag>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserDetail {
    user_name: String,
    arn: String,
    #[serde(default)]
    user_policy_list: Option<Vec<PolicyItem>>,
    #[serde(default)]
    group_list: Option<Vec<String>>,
    #[serde(default)]
    attached_managed_policies: Option<Vec<Attached>>,
    permissions_boundary: Option<Boundary>,
    #[serde(default)]
    tags: Option<Vec<Tag>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupDetail {
    group_name: String,
    arn: String,
    #[serde(default)]
    group_policy_list: Option<Vec<PolicyItem>>,
    #[serde(default)]
    attached_managed_policies: Option<Vec<Attached>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyItem {
    policy_name: String,
    policy_document: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Attached {
    policy_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Boundary {
    permissions_boundary_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDetail {
    /// Always in AWS's output; moto leaves it out, and the ARN ends with it.
    policy_name: Option<String>,
    arn: String,
    default_version_id: Option<String>,
    #[serde(default)]
    attachment_count: Option<u64>,
    #[serde(default)]
    permissions_boundary_usage_count: Option<u64>,
    #[serde(default)]
    policy_version_list: Option<Vec<PolicyVersion>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVersion {
    document: Option<Value>,
    version_id: Option<String>,
    #[serde(default)]
    is_default_version: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FunctionConfig {
    function_name: String,
    function_arn: String,
    role: Option<String>,
    #[serde(default)]
    layers: Option<Vec<LayerRef>>,
    logging_config: Option<LoggingConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LayerRef {
    arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LoggingConfig {
    log_group: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UrlConfig {
    function_arn: String,
    auth_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MappingDetail {
    #[serde(rename = "UUID", default)]
    uuid: Option<String>,
    event_source_arn: Option<String>,
    function_arn: String,
}

/// Which element of which list does not have the shape of the AWS CLI's
/// output (`Functions[3]: missing field `FunctionArn``), for the error.
fn locate_data_error(text: &str) -> Option<String> {
    fn first<T: serde::de::DeserializeOwned>(key: &str, v: &Value) -> Option<String> {
        let list = v.get(key)?;
        let Some(items) = list.as_array() else {
            return Some(format!("`{key}` is not a list"));
        };
        items.iter().enumerate().find_map(|(i, item)| {
            serde_json::from_value::<T>(item.clone())
                .err()
                .map(|e| format!("`{key}[{i}]`: {e}"))
        })
    }
    let v: Value = serde_json::from_str(text).ok()?;
    first::<RoleDetail>("RoleDetailList", &v)
        .or_else(|| first::<UserDetail>("UserDetailList", &v))
        .or_else(|| first::<GroupDetail>("GroupDetailList", &v))
        .or_else(|| first::<PolicyDetail>("Policies", &v))
        .or_else(|| first::<FunctionConfig>("Functions", &v))
        .or_else(|| first::<UrlConfig>("FunctionUrlConfigs", &v))
        .or_else(|| first::<MappingDetail>("EventSourceMappings", &v))
}

/// A document as the CLI prints it (an object) or the API returns it (a
/// JSON or URL-encoded string).
fn document(v: &Value) -> Document {
    match v {
        Value::String(s) => parse_document(s).map_err(|e| e.to_string()),
        other => parse_value(other).map_err(|e| e.to_string()),
    }
}

fn inline(items: Option<Vec<PolicyItem>>) -> Vec<InlinePolicy> {
    items
        .unwrap_or_default()
        .into_iter()
        .map(|p| InlinePolicy {
            document: document(&p.policy_document),
            name: p.policy_name,
        })
        .collect()
}

fn attached(items: Option<Vec<Attached>>) -> Vec<String> {
    items
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.policy_arn)
        .collect()
}

fn tags(items: Option<Vec<Tag>>) -> Vec<(String, String)> {
    items
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect()
}

/// The function without a version or alias qualifier:
/// `arn:aws:lambda:us-east-1:1:function:f:prod` → `...:function:f`.
pub fn unqualified(arn: &str) -> &str {
    let mut colons = arn.match_indices(':').map(|(i, _)| i);
    match colons.nth(6) {
        Some(i) => &arn[..i],
        None => arn,
    }
}

/// What a `Policy` string's statements name: a function or a layer version.
enum PolicyTarget {
    Function(String),
    Layer(String),
    Unknown,
}

fn policy_target(doc: &Document) -> PolicyTarget {
    let Ok(policy) = doc else {
        return PolicyTarget::Unknown;
    };
    for s in &policy.statements {
        let Some(Resources::Resource(patterns)) = &s.resources else {
            continue;
        };
        for p in patterns {
            let parts: Vec<&str> = p.split(':').collect();
            if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" {
                match parts[5] {
                    "function" => return PolicyTarget::Function(unqualified(p).to_string()),
                    "layer" => return PolicyTarget::Layer(p.clone()),
                    _ => {}
                }
            }
        }
    }
    PolicyTarget::Unknown
}

/// Everything read, before functions get their inbound settings.
#[derive(Default)]
struct Collector {
    loaded: Loaded,
    seen: HashSet<String>,
    functions: Option<Vec<Function>>,
    /// (function ARN or name, document, file)
    function_policies: Vec<(String, Document, String)>,
    urls: Vec<(String, String, String)>,
    mappings: Vec<Mapping>,
    /// Whether any file was recognised.
    recognised: bool,
}

/// Loads every path: a folder means every `*.json` under it (hidden files
/// and folders left out), in path order; a file is read whatever its name.
pub fn load<P: AsRef<Path>>(paths: &[P]) -> Loaded {
    let mut c = Collector::default();
    for path in paths {
        let path = path.as_ref();
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                if let Err(e) = walk(path, &mut files, 0) {
                    c.error(path, e);
                }
                files.sort();
                let before = c.loaded.errors.len();
                let recognised = c.recognised;
                c.recognised = false;
                for f in &files {
                    c.file(f, true);
                }
                if !c.recognised && c.loaded.errors.len() == before {
                    c.error(
                        path,
                        "no AWS CLI output doorman reads in this folder (see `doorman audit --help` for the layout)".into(),
                    );
                }
                c.recognised |= recognised;
            }
            Ok(_) => c.file(path, false),
            Err(e) => c.error(path, format!("cannot read it: {e}")),
        }
    }
    c.finish()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), String> {
    if depth > 32 {
        return Err("folders nested more than 32 deep (a symbolic link loop?)".into());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list it: {e}"))?;
    for entry in entries.flatten() {
        let p = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, out, depth + 1)?,
            Ok(_)
                if p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
            {
                out.push(p)
            }
            _ => {}
        }
    }
    Ok(())
}

impl Collector {
    fn error(&mut self, path: &Path, message: String) {
        self.loaded.errors.push(FileError {
            file: path.display().to_string(),
            message,
        });
    }

    fn file(&mut self, path: &Path, in_folder: bool) {
        let shown = path.display().to_string();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return self.error(path, format!("cannot read it: {e}")),
        };
        if !meta.is_file() {
            return self.error(path, "not a regular file".into());
        }
        if meta.len() > MAX_FILE_BYTES {
            return self.error(
                path,
                format!("{} bytes is more than the 2 GiB doorman reads", meta.len()),
            );
        }
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return self.error(path, format!("cannot read it: {e}")),
        };
        let text = text.trim_start_matches('\u{feff}');
        if !text.trim_start().starts_with('{') {
            if in_folder {
                self.loaded.skipped.push(shown);
            } else {
                self.error(
                    path,
                    "not a JSON object, so no AWS CLI output doorman reads".into(),
                );
            }
            return;
        }
        let out: CliOutput = match serde_json::from_str(text) {
            Ok(o) => o,
            Err(e) if e.is_data() => {
                let problem = locate_data_error(text).unwrap_or_else(|| e.to_string());
                return self.error(
                    path,
                    format!("not an AWS CLI output doorman reads: {problem}"),
                );
            }
            Err(e) => return self.error(path, format!("not valid JSON: {e}")),
        };
        if !self.take(out, &shown, path) {
            if in_folder {
                self.loaded.skipped.push(shown);
            } else {
                self.error(path, "none of `RoleDetailList`, `UserDetailList`, `GroupDetailList`, `Policies`, `Functions`, `Policy`, `FunctionUrlConfigs`, `EventSourceMappings`: no AWS CLI output doorman reads".into());
            }
        }
    }

    /// Adds what one file holds; `false` when it held nothing doorman reads.
    fn take(&mut self, out: CliOutput, file: &str, path: &Path) -> bool {
        let mut any = false;
        let inv = &mut self.loaded.inventory;
        for r in out.role_detail_list.into_iter().flatten() {
            any = true;
            if self.seen.insert(r.arn.clone()) {
                inv.roles.push(Role {
                    trust: r.assume_role_policy_document.as_ref().map(document),
                    inline: inline(r.role_policy_list),
                    attached: attached(r.attached_managed_policies),
                    boundary: r.permissions_boundary.map(|b| b.permissions_boundary_arn),
                    tags: tags(r.tags),
                    name: r.role_name,
                    arn: r.arn,
                    file: file.to_string(),
                });
            }
        }
        for u in out.user_detail_list.into_iter().flatten() {
            any = true;
            if self.seen.insert(u.arn.clone()) {
                inv.users.push(User {
                    inline: inline(u.user_policy_list),
                    attached: attached(u.attached_managed_policies),
                    boundary: u.permissions_boundary.map(|b| b.permissions_boundary_arn),
                    groups: u.group_list.unwrap_or_default(),
                    tags: tags(u.tags),
                    name: u.user_name,
                    arn: u.arn,
                    file: file.to_string(),
                });
            }
        }
        for g in out.group_detail_list.into_iter().flatten() {
            any = true;
            if self.seen.insert(g.arn.clone()) {
                inv.groups.push(Group {
                    inline: inline(g.group_policy_list),
                    attached: attached(g.attached_managed_policies),
                    name: g.group_name,
                    arn: g.arn,
                    file: file.to_string(),
                });
            }
        }
        for p in out.policies.into_iter().flatten() {
            any = true;
            if !self.seen.insert(p.arn.clone()) {
                continue;
            }
            let versions = p.policy_version_list.unwrap_or_default();
            let default = versions.iter().find(|v| v.is_default_version).or_else(|| {
                versions
                    .iter()
                    .find(|v| v.version_id.is_some() && v.version_id == p.default_version_id)
            });
            inv.policies.push(ManagedPolicy {
                document: default.and_then(|v| v.document.as_ref()).map(document),
                attachments: p.attachment_count.unwrap_or(0),
                boundary_uses: p.permissions_boundary_usage_count.unwrap_or(0),
                name: p
                    .policy_name
                    .unwrap_or_else(|| p.arn.rsplit('/').next().unwrap_or(&p.arn).to_string()),
                arn: p.arn,
                file: file.to_string(),
            });
        }
        if let Some(functions) = out.functions {
            any = true;
            let list = self.functions.get_or_insert_with(Vec::new);
            for f in functions {
                if !self.seen.insert(f.function_arn.clone()) {
                    continue;
                }
                list.push(Function {
                    role: f.role,
                    layers: f
                        .layers
                        .unwrap_or_default()
                        .into_iter()
                        .map(|l| l.arn)
                        .collect(),
                    log_group: f.logging_config.and_then(|l| l.log_group),
                    policy: None,
                    url_auth: Vec::new(),
                    mappings: Vec::new(),
                    name: f.function_name,
                    arn: f.function_arn,
                    file: file.to_string(),
                });
            }
        }
        if let Some(text) = out.policy {
            any = true;
            let doc = parse_document(&text).map_err(|e| e.to_string());
            match policy_target(&doc) {
                PolicyTarget::Layer(arn) => self.loaded.inventory.layers.push(LayerPolicy {
                    arn,
                    document: doc,
                    file: file.to_string(),
                }),
                PolicyTarget::Function(arn) => {
                    self.function_policies.push((arn, doc, file.to_string()))
                }
                PolicyTarget::Unknown => {
                    let stem = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    self.function_policies.push((stem, doc, file.to_string()));
                }
            }
        }
        for u in out.function_url_configs.into_iter().flatten() {
            any = true;
            self.urls.push((
                unqualified(&u.function_arn).to_string(),
                u.auth_type,
                file.to_string(),
            ));
        }
        if let (Some(_), Some(auth), Some(arn)) =
            (out.function_url, out.auth_type, out.function_arn)
        {
            any = true;
            self.urls
                .push((unqualified(&arn).to_string(), auth, file.to_string()));
        }
        for m in out.event_source_mappings.into_iter().flatten() {
            any = true;
            let Some(source) = m.event_source_arn else {
                continue; // Kafka / MQ mappings name their source otherwise
            };
            self.mappings.push(Mapping {
                uuid: m.uuid.unwrap_or_default(),
                event_source_arn: source,
                function_arn: unqualified(&m.function_arn).to_string(),
                file: file.to_string(),
            });
        }
        self.recognised |= any;
        any
    }

    /// Gives each function its policy, URLs and mappings; whatever names a
    /// function that `list-functions` did not list is a note.
    fn finish(mut self) -> Loaded {
        let Some(mut functions) = self.functions.take() else {
            if !self.function_policies.is_empty()
                || !self.urls.is_empty()
                || !self.mappings.is_empty()
            {
                self.loaded.notes.push(
                    "function policies, URLs or event source mappings were given without `list-functions`: they were not judged".into(),
                );
            }
            return self.loaded;
        };
        let mut by_key: HashMap<String, usize> = HashMap::with_capacity(functions.len() * 2);
        for (i, f) in functions.iter().enumerate() {
            by_key.insert(f.arn.clone(), i);
            by_key.entry(f.name.clone()).or_insert(i);
        }
        for (key, doc, file) in self.function_policies {
            match by_key.get(&key) {
                Some(&i) => functions[i].policy = Some(doc),
                None => self.loaded.notes.push(format!(
                    "{file}: the function policy names `{key}`, which `list-functions` did not list: not judged"
                )),
            }
        }
        for (arn, auth, file) in self.urls {
            match by_key.get(&arn) {
                Some(&i) => functions[i].url_auth.push(auth),
                None => self.loaded.notes.push(format!(
                    "{file}: a function URL of `{arn}`, which `list-functions` did not list: not judged"
                )),
            }
        }
        for m in self.mappings {
            match by_key.get(&m.function_arn) {
                Some(&i) => functions[i].mappings.push(m),
                None => self.loaded.notes.push(format!(
                    "{}: event source mapping `{}` of `{}`, which `list-functions` did not list: not judged",
                    m.file, m.uuid, m.function_arn
                )),
            }
        }
        self.loaded.inventory.functions = Some(functions);
        self.loaded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_are_dropped() {
        assert_eq!(
            unqualified("arn:aws:lambda:us-east-1:111122223333:function:f:prod"),
            "arn:aws:lambda:us-east-1:111122223333:function:f"
        );
        assert_eq!(
            unqualified("arn:aws:lambda:us-east-1:111122223333:function:f"),
            "arn:aws:lambda:us-east-1:111122223333:function:f"
        );
    }
}
