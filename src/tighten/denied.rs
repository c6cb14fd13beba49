//! AccessDenied diagnosis: which door refused a call, and the one change
//! that opens it, scoped to the resource.
//!
//! AWS's error messages name the policy type that denied when they can
//! ("... because no identity-based policy allows the s3:GetObject action",
//! "... with an explicit deny in a service control policy"; see the IAM User
//! Guide, "Access denied error messages",
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_denied_error_messages.html>).
//! When the message does not say (older formats, S3's bare "Access Denied",
//! EC2's encoded message), the role's current policies decide what can be
//! told: if they do not grant the call, the identity door is the one to
//! open; if they do, the refusal came from another policy, which is named.

use super::evidence::Record;
use crate::catalog::ActionId;
use crate::eval::{glob, grant};
use crate::policy::{Resources, Statement};
use crate::rules::execution_role::NamedPolicy;
use serde::Serialize;
use serde_json::{json, Value};

/// Error codes of a refused authorization, across services.
pub const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "Client.UnauthorizedOperation",
    "UnauthorizedOperation",
    "Client.UnauthorizedAccess",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Forbidden",
];

pub fn is_denied(code: &str) -> bool {
    DENIED_CODES.contains(&code)
}

/// The policy type that refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Door {
    IdentityPolicy,
    ResourcePolicy,
    ServiceControlPolicy,
    ResourceControlPolicy,
    PermissionsBoundary,
    SessionPolicy,
    VpcEndpointPolicy,
    /// The message does not say, and nothing else tells.
    NotStated,
}

impl Door {
    pub fn label(self) -> &'static str {
        match self {
            Door::IdentityPolicy => "identity-based policy",
            Door::ResourcePolicy => "resource-based policy",
            Door::ServiceControlPolicy => "service control policy",
            Door::ResourceControlPolicy => "resource control policy",
            Door::PermissionsBoundary => "permissions boundary",
            Door::SessionPolicy => "session policy",
            Door::VpcEndpointPolicy => "VPC endpoint policy",
            Door::NotStated => "not stated",
        }
    }
}

/// What AWS's message says: the action, the resource, the door and whether
/// the deny was explicit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub action: Option<String>,
    pub resource: Option<String>,
    pub door: Option<(Door, bool)>,
}

/// Reads an AccessDenied message of the documented shape:
/// `User: ARN is not authorized to perform: ACTION [on resource: RES]
/// [because no POLICY allows the ACTION action | with an explicit deny in a
/// POLICY]`.
pub fn read_message(msg: &str) -> Message {
    let mut out = Message::default();
    if let Some(rest) = msg.split_once("not authorized to perform: ").map(|x| x.1) {
        let action: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != ',' && *c != '"')
            .collect();
        if action.contains(':') {
            out.action = Some(action);
        }
        if let Some(r) = rest.split_once(" on resource: ").map(|x| x.1) {
            let end = [" because ", " with an explicit deny", " due to "]
                .iter()
                .filter_map(|m| r.find(m))
                .min()
                .unwrap_or(r.len());
            let res = r[..end].trim().trim_matches('"').trim_end_matches('.');
            if !res.is_empty() {
                out.resource = Some(res.to_string());
            }
        }
    }
    const TYPES: &[(&str, Door)] = &[
        ("identity-based policy", Door::IdentityPolicy),
        ("resource-based policy", Door::ResourcePolicy),
        ("service control policy", Door::ServiceControlPolicy),
        ("resource control policy", Door::ResourceControlPolicy),
        ("permissions boundary", Door::PermissionsBoundary),
        ("session policy", Door::SessionPolicy),
        ("VPC endpoint policy", Door::VpcEndpointPolicy),
    ];
    for (text, door) in TYPES {
        if msg.contains(&format!("explicit deny in a {text}"))
            || msg.contains(&format!("explicit deny in an {text}"))
        {
            out.door = Some((*door, true));
            break;
        }
        if msg.contains(&format!("no {text} allows")) {
            out.door = Some((*door, false));
            break;
        }
    }
    out
}

/// One diagnosed refusal (the same role, action, resource and door
/// counted once).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diagnosis {
    pub action: String,
    pub resource: String,
    pub door: Door,
    pub explicit: bool,
    /// How the door was found: `message` (AWS said it), `current policies`
    /// (they do not grant it / they do), or `unknown`.
    pub basis: &'static str,
    pub calls: u64,
    pub last: String,
    pub error_code: String,
    pub message: String,
    /// The statement to add, when an Allow can open the door.
    pub statement: Option<Value>,
    /// What to do, in one sentence.
    pub fix: String,
}

/// Diagnoses one denied call of `role_arn`. `action`/`resource` are what
/// the record says when the message does not; `current` the role's
/// identity policies when known.
pub fn diagnose(
    r: &Record<'_>,
    role_arn: &str,
    action: Option<String>,
    resource: Option<String>,
    current: Option<&[NamedPolicy]>,
    boundary: Option<&NamedPolicy>,
) -> Diagnosis {
    let message = r.error_message.as_deref().unwrap_or_default();
    let said = read_message(message);
    let action = said.action.clone().or(action).unwrap_or_else(|| {
        format!(
            "{}:{}",
            r.event_source.as_deref().unwrap_or("?"),
            r.event_name.as_deref().unwrap_or("?")
        )
    });
    // AWS spells some prefixes in capitals (`SNS:Publish`): the catalog's spelling.
    let action = crate::catalog::lookup(&action).map_or(action, |id| id.info().to_string());
    // A message may name the resource by name, not ARN (Secrets Manager's
    // "on resource: ChimeChannelID"): the record's ARN, or one built from the name.
    let region = r.aws_region.as_deref().unwrap_or("*");
    let account = r.recipient_account_id.as_deref().unwrap_or("*");
    let resource = match said.resource.clone() {
        Some(res) if res.starts_with("arn:") || res == "*" => res,
        Some(name) => resource
            .or_else(|| named_arn(&action, &name, region, account))
            .unwrap_or_else(|| "*".to_string()),
        None => resource.unwrap_or_else(|| "*".to_string()),
    };
    let (door, explicit, basis) = match said.door {
        Some((d, e)) => (d, e, "message"),
        None => match current {
            Some(policies) => match crate::catalog::lookup(&action) {
                Some(id)
                    if allows(policies, id, &resource)
                        && boundary
                            .is_some_and(|b| !allows(std::slice::from_ref(b), id, &resource)) =>
                {
                    (
                        Door::PermissionsBoundary,
                        false,
                        "the permissions boundary does not allow it",
                    )
                }
                Some(id) if allows(policies, id, &resource) => {
                    (Door::NotStated, false, "current policies allow it")
                }
                Some(_) => (
                    Door::IdentityPolicy,
                    false,
                    "current policies do not allow it",
                ),
                None => (Door::NotStated, false, "unknown"),
            },
            None => (Door::NotStated, false, "unknown"),
        },
    };
    let allow = json!({"Effect": "Allow", "Action": action, "Resource": resource});
    let role = role_arn;
    let (statement, fix) = if explicit {
        // The role's own Deny, when its policies are known: name it.
        let denies = match (door, current, crate::catalog::lookup(&action)) {
            (Door::IdentityPolicy, Some(p), Some(id)) => denying_statements(p, id, &resource),
            _ => Vec::new(),
        };
        let look = if denies.is_empty() {
            where_to_look(door, role, &resource)
        } else {
            denies.join(", ")
        };
        (
            None,
            format!(
                "an explicit Deny in a {} refuses `{action}`: no Allow can override it; find the Deny that names `{action}` in {look} and narrow it, or do without the call",
                door.label(),
            ),
        )
    } else {
        match door {
            Door::IdentityPolicy => (
                Some(allow),
                format!("add this statement to a policy of role `{role}`"),
            ),
            Door::ResourcePolicy => (
                Some(json!({"Effect": "Allow", "Principal": {"AWS": role}, "Action": action, "Resource": resource})),
                format!("add this statement to the resource-based policy of `{resource}` (bucket, key, queue or topic policy)"),
            ),
            Door::PermissionsBoundary => (
                Some(allow),
                format!("add this statement to the permissions boundary of role `{role}` (aws iam get-role shows which)"),
            ),
            Door::SessionPolicy => (
                Some(allow),
                "add this statement to the session policy passed when the session was created (AssumeRole `Policy`/`PolicyArns`)".to_string(),
            ),
            Door::ServiceControlPolicy | Door::ResourceControlPolicy => (
                Some(allow),
                format!("no {} of the organization allows `{action}`: add it to the allow list that applies to this account (aws organizations list-policies-for-target)", door.label()),
            ),
            Door::VpcEndpointPolicy => (
                Some(json!({"Effect": "Allow", "Principal": {"AWS": role}, "Action": action, "Resource": resource})),
                "add this statement to the policy of the VPC endpoint the call went through".to_string(),
            ),
            Door::NotStated if basis == "current policies allow it" => (
                None,
                format!("the role's policies already allow `{action}` on `{resource}`: the refusal came from another policy: the resource-based policy of `{resource}`, a service control or resource control policy, a permissions boundary or a session policy{}", decode_hint(r)),
            ),
            Door::NotStated => (
                Some(allow),
                format!("AWS did not say which policy refused it; most often it is the role's own: add this statement to a policy of role `{role}`{}", decode_hint(r)),
            ),
        }
    };
    Diagnosis {
        action,
        resource,
        door,
        explicit,
        basis,
        calls: 1,
        last: r.event_time.as_deref().unwrap_or_default().to_string(),
        error_code: r.error_code.as_deref().unwrap_or_default().to_string(),
        message: message.to_string(),
        statement,
        fix,
    }
}

/// Diagnoses a denied call of `role_arn` from its record: the action is
/// `mapping` (the record's `eventSource`/`eventName`) unless the message
/// names one, the resource the first the record touched. `doorman tighten`
/// and the Lambda's `access-denied` alert both diagnose through here.
pub fn diagnose_call(
    r: &Record<'_>,
    role_arn: &str,
    mapping: super::actions::Mapping,
    current: Option<&[NamedPolicy]>,
    boundary: Option<&NamedPolicy>,
) -> Diagnosis {
    let (action, resource) = match mapping {
        super::actions::Mapping::Action(id) => {
            let info = id.info();
            let res = super::resources::touched(r, &info).into_iter().next();
            (Some(info.to_string()), res)
        }
        super::actions::Mapping::Unmapped => (None, None),
    };
    diagnose(r, role_arn, action, resource, current, boundary)
}

/// The ARN of a resource a message names only by name.
fn named_arn(action: &str, name: &str, region: &str, account: &str) -> Option<String> {
    let service = action.split_once(':')?.0;
    Some(match service {
        // A secret's ARN ends in `-` and six random characters.
        "secretsmanager" => {
            format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}-??????")
        }
        "dynamodb" => format!("arn:aws:dynamodb:{region}:{account}:table/{name}"),
        "lambda" => format!("arn:aws:lambda:{region}:{account}:function:{name}"),
        "ssm" => format!(
            "arn:aws:ssm:{region}:{account}:parameter/{}",
            name.trim_start_matches('/')
        ),
        "sqs" => format!("arn:aws:sqs:{region}:{account}:{name}"),
        "sns" => format!("arn:aws:sns:{region}:{account}:{name}"),
        "s3" => format!("arn:aws:s3:::{name}"),
        _ => return None,
    })
}

fn decode_hint(r: &Record<'_>) -> &'static str {
    if r.error_message
        .as_deref()
        .is_some_and(|m| m.contains("Encoded authorization failure message"))
    {
        " (aws sts decode-authorization-message --encoded-message ... tells which)"
    } else {
        ""
    }
}

fn where_to_look(door: Door, role: &str, resource: &str) -> String {
    match door {
        Door::IdentityPolicy => format!("the policies of role `{role}`"),
        Door::ResourcePolicy => format!("the resource-based policy of `{resource}`"),
        Door::ServiceControlPolicy => {
            "the service control policies of the account and its OUs (aws organizations list-policies-for-target --filter SERVICE_CONTROL_POLICY)".to_string()
        }
        Door::ResourceControlPolicy => {
            "the resource control policies of the account and its OUs (aws organizations list-policies-for-target --filter RESOURCE_CONTROL_POLICY)".to_string()
        }
        Door::PermissionsBoundary => format!("the permissions boundary of role `{role}`"),
        Door::SessionPolicy => "the session policy passed when the session was created".to_string(),
        Door::VpcEndpointPolicy => "the policy of the VPC endpoint the call went through".to_string(),
        Door::NotStated => "the policies that apply".to_string(),
    }
}

/// A function an AWS service (API Gateway, S3, EventBridge, ...) was
/// refused invoking: the function's resource-based policy has no statement
/// for the service.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceDenial {
    pub function: String,
    pub service: String,
    pub calls: u64,
    pub last: String,
    pub error_code: String,
    /// The statement the function's policy needs.
    pub statement: Value,
    /// The `aws lambda add-permission` command that adds it.
    pub fix: String,
}

/// A refused `Invoke` whose caller is an AWS service (`userIdentity.type`
/// `AWSService`): the door is the function's resource-based policy, opened
/// with `lambda:AddPermission` scoped by `SourceArn` (or `SourceAccount`).
pub fn service_invoke_denied(r: &Record<'_>) -> Option<ServiceDenial> {
    if !r.error_code.as_deref().is_some_and(is_denied) {
        return None;
    }
    let id = r.user_identity.as_ref()?;
    if id.kind.as_deref() != Some("AWSService")
        || r.event_source.as_deref() != Some("lambda.amazonaws.com")
    {
        return None;
    }
    let event = super::actions::strip_version(r.event_name.as_deref()?);
    if !matches!(event, "Invoke" | "InvokeAsync" | "InvokeWithResponseStream") {
        return None;
    }
    let service = id
        .invoked_by
        .as_deref()
        .unwrap_or("SERVICE.amazonaws.com")
        .to_string();
    let region = r.aws_region.as_deref().unwrap_or("REGION");
    let account = r.recipient_account_id.as_deref().unwrap_or("ACCOUNT");
    let from_resources = r
        .resources
        .iter()
        .flatten()
        .filter_map(|x| x.arn.as_deref())
        .find(|a| a.contains(":function:"))
        .map(|a| super::resources::function_arn(a, region, account));
    let function = from_resources.or_else(|| {
        r.request_parameters
            .as_ref()?
            .first(super::evidence::Param::FunctionName)
            .map(|f| super::resources::function_arn(f, region, account))
    })?;
    let (condition, flag) = match service.as_str() {
        "apigateway.amazonaws.com" => {
            let arn = format!("arn:aws:execute-api:{region}:{account}:API_ID/*");
            (
                json!({"ArnLike": {"aws:SourceArn": arn}}),
                format!("--source-arn '{arn}'"),
            )
        }
        _ => (
            json!({"StringEquals": {"aws:SourceAccount": account}}),
            format!("--source-account {account}"),
        ),
    };
    let label = service.split('.').next().unwrap_or("service");
    Some(ServiceDenial {
        statement: json!({
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "lambda:InvokeFunction",
            "Resource": function,
            "Condition": condition,
        }),
        fix: format!(
            "aws lambda add-permission --function-name {function} --statement-id {label}-invoke --action lambda:InvokeFunction --principal {service} {flag}"
        ),
        function,
        service,
        calls: 1,
        last: r.event_time.as_deref().unwrap_or_default().to_string(),
        error_code: r.error_code.as_deref().unwrap_or_default().to_string(),
    })
}

/// Whether the identity policies allow `action` on `resource`: an Allow
/// naming the action whose `Resource` matches (or whose `NotResource` does
/// not), and no unconditional Deny that does. A `*` resource (not known)
/// matches only a grant on every resource.
pub fn allows(policies: &[NamedPolicy], action: ActionId, resource: &str) -> bool {
    let mut allowed = false;
    for np in policies {
        for s in &np.policy.statements {
            if !applies(s, action, resource) {
                continue;
            }
            if s.is_allow() {
                allowed = true;
            } else if s.conditions.is_empty() {
                return false;
            }
        }
    }
    allowed
}

/// The unconditional Deny statements of `policies` that refuse `action` on
/// `resource`, as `policy Statement[i] (Sid)`.
fn denying_statements(policies: &[NamedPolicy], action: ActionId, resource: &str) -> Vec<String> {
    let mut out = Vec::new();
    for np in policies {
        for s in np.policy.statements.iter().filter(|s| !s.is_allow()) {
            if applies(s, action, resource) {
                out.push(format!("`{}` {}", np.name, s.at));
            }
        }
    }
    out
}

/// Whether statement `s` names `action` (globs, `NotAction`) on `resource`.
fn applies(s: &Statement, action: ActionId, resource: &str) -> bool {
    if !grant::expand(s).actions.contains(action) {
        return false;
    }
    match &s.resources {
        Some(Resources::Resource(ps)) => ps.iter().any(|p| covers(p, resource)),
        Some(Resources::NotResource(ps)) => !ps.iter().any(|p| glob::intersects_arn(p, resource)),
        None => false,
    }
}

fn covers(pattern: &str, resource: &str) -> bool {
    pattern == "*" || glob::covers_arn(pattern, resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_messages_name_the_door() {
        let m = read_message("User: arn:aws:sts::111122223333:assumed-role/R/f is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Orders because no identity-based policy allows the dynamodb:PutItem action");
        assert_eq!(m.action.as_deref(), Some("dynamodb:PutItem"));
        assert_eq!(
            m.resource.as_deref(),
            Some("arn:aws:dynamodb:us-east-1:111122223333:table/Orders")
        );
        assert_eq!(m.door, Some((Door::IdentityPolicy, false)));
        let m = read_message("User: arn:aws:sts::1:assumed-role/R/f is not authorized to perform: s3:GetObject on resource: \"arn:aws:s3:::b/k\" with an explicit deny in a service control policy");
        assert_eq!(m.resource.as_deref(), Some("arn:aws:s3:::b/k"));
        assert_eq!(m.door, Some((Door::ServiceControlPolicy, true)));
        let m = read_message("User: X is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:1:key/k because no resource-based policy allows the kms:Decrypt action");
        assert_eq!(m.door, Some((Door::ResourcePolicy, false)));
        let m = read_message("Access Denied");
        assert_eq!(m, Message::default());
    }

    #[test]
    fn an_explicit_deny_of_the_role_names_its_statement() {
        let policy = crate::policy::parse_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"arn:aws:s3:::b/*"}]}"#,
        )
        .unwrap();
        let policies = [NamedPolicy {
            name: "app".into(),
            policy,
        }];
        let text = r#"{"eventName":"DeleteObject","eventSource":"s3.amazonaws.com","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::1:assumed-role/R/f is not authorized to perform: s3:DeleteObject on resource: \"arn:aws:s3:::b/k\" with an explicit deny in an identity-based policy"}"#;
        super::super::evidence::parse(text.as_bytes(), &mut |r| {
            let d = diagnose(
                r,
                "arn:aws:iam::1:role/R",
                None,
                None,
                Some(&policies),
                None,
            );
            assert_eq!(
                (d.door, d.explicit, d.statement.is_none()),
                (Door::IdentityPolicy, true, true)
            );
            assert!(
                d.fix.contains("`app` Statement[1] (Sid `NoDelete`)"),
                "{}",
                d.fix
            );
        })
        .unwrap();
    }
}
