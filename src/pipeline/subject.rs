//! What an alert says a change is about: its subject (the role, function,
//! policy... by kind, name and ARN) and how findings name it, including
//! when the event leaves the name out.

use super::guard::{guardrail_kind, short_name};
use crate::alert::Subject;
use crate::event::{Function, IdentityKind, TagTarget, What};
use crate::resolve;

/// What a change is about, for the alert's subject.
pub(super) fn subject_of(what: &What) -> Subject {
    let named = |kind: &str, arn: Option<String>, name: &str| Subject {
        kind: kind.to_string(),
        arn,
        name: name.to_string(),
    };
    match what {
        What::RoleTrust { role, .. } => identity_subject(&IdentityKind::Role, role.as_deref()),
        What::InlinePolicy { holder, .. }
        | What::AttachPolicy { holder, .. }
        | What::BoundaryRemoved { holder }
        | What::BoundarySet { holder, .. }
        | What::IgnoreTag {
            target: TagTarget::Identity(holder),
            ..
        } => identity_subject(&holder.kind, holder.name.as_deref()),
        What::IgnoreTag {
            target: TagTarget::Policy(arn),
            ..
        } => named(
            "policy",
            arn.clone(),
            arn.as_deref().map(resolve::policy_name).unwrap_or_default(),
        ),
        What::IgnoreTag {
            target: TagTarget::Lambda(resource),
            ..
        } => lambda_resource_subject(resource.as_deref()),
        What::CreatePolicy {
            policy_name,
            policy_arn,
            ..
        } => named(
            "policy",
            policy_arn.clone(),
            policy_name.as_deref().unwrap_or_default(),
        ),
        What::DefaultPolicyVersion { policy_arn, .. } => named(
            "policy",
            Some(policy_arn.clone()),
            resolve::policy_name(policy_arn),
        ),
        What::FunctionPermission { function, .. } | What::FunctionUrl { function, .. } => {
            match function {
                Some(f) => function_subject(f),
                None => named("function", None, ""),
            }
        }
        What::FunctionRole { function, .. }
        | What::EventSourceMapping { function, .. }
        | What::InvokeConfig { function, .. } => function_subject(function),
        What::RolePolicyRemoved { role, .. } => identity_subject(&IdentityKind::Role, Some(role)),
        What::GroupMember { user, group } => match user {
            Some(user) => identity_subject(&IdentityKind::User, Some(user)),
            None => identity_subject(&IdentityKind::Group, Some(group)),
        },
        What::LayerPermission { layer, .. } => named("layer", None, layer),
        What::Guardrail(call) => named(
            guardrail_kind(call.target),
            call.resource
                .starts_with("arn:")
                .then(|| call.resource.clone()),
            &short_name(&call.resource),
        ),
    }
}

/// A role, user or group; an empty name when the event does not give it
/// (the alert then says the name is unknown).
fn identity_subject(kind: &IdentityKind, name: Option<&str>) -> Subject {
    Subject {
        kind: kind.to_string(),
        arn: None,
        name: name.unwrap_or_default().to_string(),
    }
}

/// What a Lambda TagResource tagged, from its ARN: a function, or another
/// Lambda resource type (`event-source-mapping`, `code-signing-config`).
fn lambda_resource_subject(resource: Option<&str>) -> Subject {
    let Some(resource) = resource else {
        return Subject {
            kind: "function".into(),
            arn: None,
            name: String::new(),
        };
    };
    let parts: Vec<&str> = resource.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => Subject {
            kind: "function".into(),
            arn: Some(parts[..7].join(":")),
            name: (*name).to_string(),
        },
        ["arn", _, "lambda", _, _, kind, name, ..] => Subject {
            kind: (*kind).to_string(),
            arn: Some(resource.to_string()),
            name: (*name).to_string(),
        },
        _ => Subject {
            kind: "Lambda resource".into(),
            arn: None,
            name: resource.to_string(),
        },
    }
}

/// How a finding names a subject: ``role `app` ``, or `a role the event
/// does not name`.
pub(super) fn describe(subject: &Subject) -> String {
    if subject.name.is_empty() {
        format!("a {} the event does not name", subject.kind)
    } else {
        format!("{} `{}`", subject.kind, subject.name)
    }
}

/// A function's name for a finding's message, or what stands for it when
/// the event does not name the function.
pub(super) fn function_name_or(function: &Option<Function>) -> &str {
    function
        .as_ref()
        .map_or("(not named in the event)", |f| f.name.as_str())
}

fn function_subject(function: &Function) -> Subject {
    Subject {
        kind: "function".into(),
        arn: Some(function.arn.clone()),
        name: function.name.clone(),
    }
}
