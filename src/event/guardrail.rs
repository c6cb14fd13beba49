//! The guardrail table: every call that could blind doorman (SPEC §3.5
//! `guardrail-tampering`), by the kind of resource it is on and the request
//! field that names it. Whether the resource is doorman's own is decided by
//! the pipeline, which knows the deployment's names.
//!
//! Two kinds of calls are here: those doorman judges for nothing else
//! ([`call`]: StopLogging, DisableKey, DeleteQueue...), and the door a
//! judged change also opens ([`door`]: a PutRolePolicy is judged as a
//! policy and, on doorman's role, is also tampering).

use super::calls::{required, Call};
use super::{GuardrailCall, GuardrailTarget, What, HIDDEN_ENVIRONMENT};
use serde_json::{Map, Value};

/// A call that only touches doorman's doors, or `Ok(None)` when the call is
/// not one (or, for PutFunctionConcurrency, sets a limit above 0).
pub(super) fn call(c: &Call) -> Result<Option<GuardrailCall>, String> {
    use GuardrailTarget as T;
    let event = format!("`{}`", c.info.name);
    let (key, target, effect): (&str, GuardrailTarget, &'static str) =
        match (c.info.service.as_str(), c.info.name.as_str()) {
            ("lambda", "DeleteFunction") => ("functionName", T::Function, "deleted"),
            ("lambda", "UpdateFunctionCode") => {
                ("functionName", T::Function, "replaced the code of")
            }
            ("lambda", "UpdateFunctionConfiguration") => {
                let mut call = guarded(
                    c.req,
                    "functionName",
                    T::Function,
                    "changed the configuration of",
                    &event,
                )?;
                call.detail = function_update(c.req);
                return Ok(Some(call));
            }
            ("lambda", "RemovePermission") => (
                "functionName",
                T::Function,
                "removed an invoke permission of",
            ),
            ("lambda", "PutFunctionConcurrency") => {
                let zero = match c.req.get("reservedConcurrentExecutions") {
                    Some(Value::Number(n)) => n.as_u64() == Some(0),
                    Some(Value::String(s)) => s.trim() == "0",
                    _ => false,
                };
                if !zero {
                    return Ok(None);
                }
                (
                    "functionName",
                    T::Function,
                    "set reserved concurrency to 0 (throttled every invocation) of",
                )
            }
            ("lambda", "DeleteFunctionEventInvokeConfig") => (
                "functionName",
                T::Function,
                "removed the retries and on-failure destination of",
            ),
            ("iam", "DeleteRole") => ("roleName", T::Role, "deleted role"),
            ("cloudtrail", "StopLogging") => ("name", T::Trail, "stopped logging of trail"),
            ("cloudtrail", "DeleteTrail") => ("name", T::Trail, "deleted trail"),
            ("cloudtrail", "UpdateTrail") => ("name", T::Trail, "changed trail"),
            ("cloudtrail", "PutEventSelectors") => (
                "trailName",
                T::Trail,
                "changed the event selectors of trail",
            ),
            ("events", "DisableRule") => ("name", T::EventRule, "disabled EventBridge rule"),
            ("events", "DeleteRule") => ("name", T::EventRule, "deleted EventBridge rule"),
            ("events", "PutRule") => (
                "name",
                T::EventRule,
                "changed the pattern or state of EventBridge rule",
            ),
            ("events", "RemoveTargets") => {
                ("rule", T::EventRule, "removed targets of EventBridge rule")
            }
            ("events", "PutTargets") => (
                "rule",
                T::EventRule,
                "replaced or added targets of EventBridge rule",
            ),
            ("sns", "DeleteTopic") => ("topicArn", T::Topic, "deleted SNS topic"),
            ("sns", "SetTopicAttributes") => (
                "topicArn",
                T::Topic,
                "changed the attributes (policy, encryption, delivery) of SNS topic",
            ),
            ("sns", "RemovePermission") => {
                ("topicArn", T::Topic, "removed a permission of SNS topic")
            }
            ("sns", "Unsubscribe") => ("subscriptionArn", T::Subscription, "removed subscription"),
            ("sns", "SetSubscriptionAttributes") => (
                "subscriptionArn",
                T::Subscription,
                "changed the attributes (filter policy, delivery) of subscription",
            ),
            // Every way to make the key unusable for SNS, Logs and SQS:
            // disabled, deleted, its policy replaced, a grant revoked, its
            // imported material deleted. (Rotation and the description do
            // not stop anyone from using it.)
            ("kms", name) => {
                let effect = match name {
                    "DisableKey" => "disabled KMS key",
                    "ScheduleKeyDeletion" => "scheduled the deletion of KMS key",
                    "PutKeyPolicy" => "replaced the key policy of KMS key",
                    "RevokeGrant" => "revoked a grant of KMS key",
                    "DeleteImportedKeyMaterial" => "deleted the key material of KMS key",
                    _ => return Ok(None),
                };
                // `resources[]` names the key by ARN whatever alias or id
                // the request used.
                let resource = match c.resources.iter().find(|a| a.contains(":key/")) {
                    Some(arn) => arn.clone(),
                    None => required(c.req, "keyId", &event)?,
                };
                return Ok(Some(GuardrailCall {
                    target: T::Key,
                    resource,
                    effect,
                    detail: String::new(),
                }));
            }
            ("sqs", "SetQueueAttributes") => (
                "queueUrl",
                T::Queue,
                "changed the attributes (policy, encryption, retention) of SQS queue",
            ),
            ("sqs", "PurgeQueue") => ("queueUrl", T::Queue, "purged SQS queue"),
            ("sqs", "DeleteQueue") => ("queueUrl", T::Queue, "deleted SQS queue"),
            ("logs", "DeleteLogGroup") => ("logGroupName", T::LogGroup, "deleted log group"),
            ("cloudformation", name) => return stack_call(c, name),
            ("s3", name) => match bucket_effect(name) {
                Some(effect) => ("bucketName", T::Bucket, effect),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
    guarded(c.req, key, target, effect, &event).map(Some)
}

/// What an S3 call does to a bucket that keeps reports private, encrypted
/// and expiring: its policy (TLS only), default encryption, public access
/// block, lifecycle, ACL and object ownership, replication (a copy of every
/// report elsewhere), the bucket itself. CloudTrail names some calls
/// differently from the API (`PutPublicAccessBlock` is logged as
/// `PutBucketPublicAccessBlock`, `PutBucketLifecycleConfiguration` as
/// `PutBucketLifecycle`); both spellings are here. Tags, CORS,
/// notifications and the like do not open the reports to anyone: `None`.
fn bucket_effect(name: &str) -> Option<&'static str> {
    Some(match name {
        "DeleteBucket" => "deleted S3 bucket",
        "PutBucketPolicy" => "replaced the bucket policy of S3 bucket",
        "DeleteBucketPolicy" => "deleted the bucket policy (TLS only) of S3 bucket",
        "PutBucketEncryption" => "changed the default encryption of S3 bucket",
        "DeleteBucketEncryption" => {
            "removed the default encryption (doorman's KMS key) of S3 bucket"
        }
        "PutBucketPublicAccessBlock" | "PutPublicAccessBlock" => {
            "changed the public access block of S3 bucket"
        }
        "DeleteBucketPublicAccessBlock" | "DeletePublicAccessBlock" => {
            "removed the public access block of S3 bucket"
        }
        "PutBucketLifecycle" | "PutBucketLifecycleConfiguration" => {
            "changed the lifecycle (report expiry) of S3 bucket"
        }
        "DeleteBucketLifecycle" => "removed the lifecycle (report expiry) of S3 bucket",
        "PutBucketAcl" => "changed the ACL of S3 bucket",
        "PutBucketOwnershipControls" | "DeleteBucketOwnershipControls" => {
            "changed the object ownership (ACLs disabled) of S3 bucket"
        }
        "PutBucketReplication" => {
            "set up replication (a copy of every object elsewhere) of S3 bucket"
        }
        _ => return None,
    })
}

/// The CloudFormation calls that remove or reshape doorman's member side
/// in organization mode: on a member's StackSet instance (recorded in the
/// member account) and on the StackSet itself (recorded where it lives,
/// the management or delegated-administrator account).
///
/// An `UpdateStack` made by the StackSet's execution role
/// (`stacksets-exec-*`, the role service-managed StackSets act through in
/// each member) is the StackSet's own update reaching the instance: it is
/// judged where it was made (`UpdateStackSet`, `UpdateStackInstances`), and
/// anything it changes on the member's rules and roles is forwarded and
/// judged call by call, so it is `Ok(None)` here (an `ExecuteChangeSet`
/// is an update too). A `DeleteStack` is kept
/// whoever makes it: the account goes dark either way.
fn stack_call(c: &Call, name: &str) -> Result<Option<GuardrailCall>, String> {
    use GuardrailTarget as T;
    let event = format!("`{}`", c.info.name);
    let (key, target, effect): (&str, GuardrailTarget, &'static str) = match name {
        "DeleteStack" => ("stackName", T::Stack, "deleted stack"),
        "UpdateStack" | "ExecuteChangeSet" if by_stackset_execution_role(c) => return Ok(None),
        "UpdateStack" => (
            "stackName",
            T::Stack,
            "updated (template or parameters) stack",
        ),
        // A change set named by its ARN alone names no stack: nothing to
        // compare (member.yaml forwards only those that name its stack).
        "ExecuteChangeSet" if !c.req.contains_key("stackName") => return Ok(None),
        "ExecuteChangeSet" => (
            "stackName",
            T::Stack,
            "executed a change set (an update) on stack",
        ),
        "DeleteStackSet" => ("stackSetName", T::StackSet, "deleted StackSet"),
        "DeleteStackInstances" => (
            "stackSetName",
            T::StackSet,
            "deleted stack instances of StackSet",
        ),
        "UpdateStackSet" => (
            "stackSetName",
            T::StackSet,
            "updated (template, parameters or targets of every instance) StackSet",
        ),
        "UpdateStackInstances" => (
            "stackSetName",
            T::StackSet,
            "overrode the parameters of stack instances of StackSet",
        ),
        "StopStackSetOperation" => (
            "stackSetName",
            T::StackSet,
            "stopped an operation (a deployment or a repair) of StackSet",
        ),
        _ => return Ok(None),
    };
    let mut call = guarded(c.req, key, target, effect, &event)?;
    if target == T::StackSet {
        call.detail = stackset_targets(c.req);
    }
    Ok(Some(call))
}

/// Whether the caller is the role a service-managed StackSet acts through
/// in a member account (`stacksets-exec-<id>`, created by
/// AWSServiceRoleForCloudFormationStackSetsOrgMember).
fn by_stackset_execution_role(c: &Call) -> bool {
    let issuer = c.info.actor_issuer.as_deref().unwrap_or(&c.info.actor);
    issuer.rsplit_once(":role/").is_some_and(|(_, role)| {
        role.rsplit('/')
            .next()
            .unwrap_or(role)
            .starts_with("stacksets-exec-")
    })
}

/// Where a StackSet call reaches, in words: the accounts or OUs and the
/// regions it names, whether the stacks are kept, and `callAs`.
fn stackset_targets(req: &Map<String, Value>) -> String {
    let list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(|s| format!("`{s}`"))
                .collect(),
            Some(Value::String(s)) => vec![format!("`{s}`")],
            _ => Vec::new(),
        }
    };
    let targets = req.get("deploymentTargets");
    let mut parts = Vec::new();
    let accounts = [req.get("accounts"), targets.and_then(|t| t.get("accounts"))]
        .into_iter()
        .flat_map(list)
        .collect::<Vec<_>>();
    if !accounts.is_empty() {
        parts.push(format!("accounts {}", accounts.join(", ")));
    }
    let units = list(targets.and_then(|t| t.get("organizationalUnitIds")));
    if !units.is_empty() {
        parts.push(format!("organizational units {}", units.join(", ")));
    }
    let regions = list(req.get("regions"));
    if !regions.is_empty() {
        parts.push(format!("regions {}", regions.join(", ")));
    }
    if matches!(req.get("retainStacks"), Some(Value::Bool(true))) {
        parts.push("keeping the stacks (`retainStacks`)".to_string());
    }
    if let Some(Value::String(who)) = req.get("callAs") {
        parts.push(format!("acting as `{who}`"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("targeted {}", parts.join("; "))
    }
}

fn guarded(
    req: &Map<String, Value>,
    key: &str,
    target: GuardrailTarget,
    effect: &'static str,
    event: &str,
) -> Result<GuardrailCall, String> {
    Ok(GuardrailCall {
        target,
        resource: required(req, key, event)?,
        effect,
        detail: String::new(),
    })
}

/// The door a judged change also opens: a change of a role (doorman's role
/// is one), an update or invoke config of a function (doorman is one).
pub(super) fn door(c: &Call, what: &What) -> Option<GuardrailCall> {
    use GuardrailTarget as T;
    match what {
        What::FunctionRole { function, .. } if c.info.name == "UpdateFunctionConfiguration" => {
            Some(GuardrailCall {
                target: T::Function,
                resource: function.name.clone(),
                effect: "changed the configuration of",
                detail: function_update(c.req),
            })
        }
        What::InvokeConfig { function, .. } => Some(GuardrailCall {
            target: T::Function,
            resource: function.name.clone(),
            effect: "changed the retries and destinations of",
            detail: String::new(),
        }),
        _ => role_door(c),
    }
}

/// The role door of an IAM call on a role's policies, trust or boundary,
/// read from `roleName` alone: a failed call whose request lacks the rest
/// is still an attempt on the role.
pub(super) fn role_door(c: &Call) -> Option<GuardrailCall> {
    if c.info.service != "iam" {
        return None;
    }
    let effect = match c.info.name.as_str() {
        "PutRolePolicy" => "put an inline policy on role",
        "DeleteRolePolicy" => "deleted an inline policy of role",
        "AttachRolePolicy" => "attached a managed policy to role",
        "DetachRolePolicy" => "detached a managed policy from role",
        "UpdateAssumeRolePolicy" => "replaced the trust policy of role",
        "PutRolePermissionsBoundary" => "replaced the permissions boundary of role",
        "DeleteRolePermissionsBoundary" => "removed the permissions boundary of role",
        _ => return None,
    };
    let role = c.req.get("roleName")?.as_str()?.trim();
    (!role.is_empty()).then(|| GuardrailCall {
        target: GuardrailTarget::Role,
        resource: role.to_string(),
        effect,
        detail: String::new(),
    })
}

/// What an UpdateFunctionConfiguration set, in words: doorman's own
/// variables with their values (a `DOORMAN_IGNORE_RULES` the update adds is
/// the point of the alert), and the names of the other settings.
fn function_update(req: &Map<String, Value>) -> String {
    let mut parts = Vec::new();
    let variables = req
        .get("environment")
        .map(|e| e.get("variables").or_else(|| e.get("Variables")));
    match variables {
        Some(Some(Value::Object(vars))) => {
            let ours: Vec<String> = vars
                .iter()
                .filter(|(k, _)| k.starts_with("DOORMAN_"))
                .map(|(k, v)| match v {
                    Value::String(s) => format!("`{k}={s}`"),
                    other => format!("`{k}={other}`"),
                })
                .collect();
            if !ours.is_empty() {
                parts.push(format!("sets {}", ours.join(", ")));
            }
            // Lambda replaces the whole set: what is left out is removed.
            let missing: Vec<String> = ["DOORMAN_TOPIC_ARN", "DOORMAN_TAMPER_RULE_NAME"]
                .into_iter()
                .filter(|k| !vars.contains_key(*k))
                .map(|k| format!("`{k}`"))
                .collect();
            if !missing.is_empty() {
                parts.push(format!("leaves out {}", missing.join(", ")));
            }
        }
        // CloudTrail may hide the values; the change itself still counts.
        Some(_) => parts.push(HIDDEN_ENVIRONMENT.to_string()),
        None => {}
    }
    let others: Vec<String> = req
        .keys()
        .filter(|k| !matches!(k.as_str(), "functionName" | "environment"))
        .map(|k| format!("`{k}`"))
        .collect();
    if !others.is_empty() {
        parts.push(format!("changes {}", others.join(", ")));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use crate::event::{decode, Decoded, GuardrailTarget};
    use serde_json::{json, Value};

    /// A CloudFormation call as CloudTrail records it, by the session of
    /// role `role`.
    fn record(name: &str, role: &str, req: Value) -> Value {
        json!({
            "eventVersion": "1.10",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": format!("arn:aws:sts::111122223333:assumed-role/{role}/s"),
                "sessionContext": {"sessionIssuer": {"type": "Role",
                    "arn": format!("arn:aws:iam::111122223333:role/{role}")}}
            },
            "eventTime": "2026-11-30T09:14:27Z",
            "eventSource": "cloudformation.amazonaws.com",
            "eventName": name,
            "awsRegion": "eu-west-1",
            "requestParameters": req,
            "responseElements": null,
            "eventID": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
            "recipientAccountId": "111122223333"
        })
    }

    #[test]
    fn stackset_calls_say_where_they_reach() {
        let ev = record(
            "UpdateStackInstances",
            "admin",
            json!({"stackSetName": "doorman-member", "deploymentTargets": {"accounts": ["111122223333"]},
                "regions": ["us-east-1"], "callAs": "SELF"}),
        );
        let Decoded::Change(c) = decode(&ev).expect("decodes") else {
            panic!("a change")
        };
        let call = c.guardrail_call().expect("a guardrail call");
        assert_eq!(call.target, GuardrailTarget::StackSet);
        assert_eq!(call.resource, "doorman-member");
        assert_eq!(
            call.detail,
            "targeted accounts `111122223333`; regions `us-east-1`; acting as `SELF`"
        );
    }

    #[test]
    fn the_stacksets_own_update_of_an_instance_is_not_a_guardrail_call() {
        let req =
            json!({"stackName": "StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"});
        let by_stackset = record(
            "UpdateStack",
            "stacksets-exec-8b1d0c4f6e2a4b7c9d3e5f60718293a4",
            req.clone(),
        );
        assert!(matches!(
            decode(&by_stackset).expect("decodes"),
            Decoded::Ignored { .. }
        ));
        // Its DeleteStack, and anyone else's UpdateStack, are.
        for ev in [
            record(
                "DeleteStack",
                "stacksets-exec-8b1d0c4f6e2a4b7c9d3e5f60718293a4",
                req.clone(),
            ),
            record("UpdateStack", "admin", req.clone()),
            record(
                "ExecuteChangeSet",
                "admin",
                json!({"changeSetName": "awscli-cloudformation-package-deploy-1764493200",
                    "stackName": req["stackName"]}),
            ),
        ] {
            let Decoded::Change(c) = decode(&ev).expect("decodes") else {
                panic!("a change: {ev}")
            };
            assert_eq!(
                c.guardrail_call().map(|g| g.target),
                Some(GuardrailTarget::Stack)
            );
        }
    }

    #[test]
    fn a_stack_call_without_its_stack_is_an_error_naming_the_field() {
        let err = decode(&record("DeleteStack", "admin", json!({}))).expect_err("unreadable");
        assert!(
            err.reason.contains("`DeleteStack`") && err.reason.contains("stackName"),
            "{}",
            err.reason
        );
    }
}
