//! EventBridge "AWS API Call via CloudTrail" events as AWS delivers them:
//! the envelope, then CloudTrail's record with its real field names and
//! casing (modelled on the samples in events/).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::aws::{ACCOUNT, REGION};

static COUNTER: AtomicU64 = AtomicU64::new(1);

/// A fresh UUID-shaped id, unique within this test run.
pub fn new_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let salt = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        salt,
        std::process::id() & 0xffff,
        (n >> 12) & 0xfff,
        n & 0xfff,
        n
    )
}

/// Which service the call went to.
#[derive(Clone, Copy)]
pub enum Service {
    Iam,
    Lambda,
}

/// A successful API call by an engineer's assumed-role session.
pub fn api_call(service: Service, event_name: &str, request: Value, response: Value) -> Value {
    let (source, event_source, user_agent) = match service {
        Service::Iam => (
            "aws.iam",
            "iam.amazonaws.com",
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023 command/iam",
        ),
        Service::Lambda => (
            "aws.lambda",
            "lambda.amazonaws.com",
            "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023 command/lambda",
        ),
    };
    let time = "2026-11-22T12:00:00Z";
    json!({
        "version": "0",
        "id": new_id(),
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": [],
        "detail": {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "AssumedRole",
                "principalId": "AROAEXAMPLEROLEID0001:alice",
                "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/PlatformEngineer/alice"),
                "accountId": ACCOUNT,
                "accessKeyId": "ASIAEXAMPLEKEYID0001",
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": "AROAEXAMPLEROLEID0001",
                        "arn": format!("arn:aws:iam::{ACCOUNT}:role/PlatformEngineer"),
                        "accountId": ACCOUNT,
                        "userName": "PlatformEngineer"
                    },
                    "attributes": {
                        "creationDate": "2026-11-22T11:50:00Z",
                        "mfaAuthenticated": "true"
                    }
                }
            },
            "eventTime": time,
            "eventSource": event_source,
            "eventName": event_name,
            "awsRegion": REGION,
            "sourceIPAddress": "203.0.113.24",
            "userAgent": user_agent,
            "requestParameters": request,
            "responseElements": response,
            "requestID": new_id(),
            "eventID": new_id(),
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
            "tlsDetails": {
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": match service {
                    Service::Iam => "iam.amazonaws.com".to_owned(),
                    Service::Lambda => format!("lambda.{REGION}.amazonaws.com"),
                }
            }
        }
    })
}

/// The CloudTrail event id (what doorman reports as `event_id`).
pub fn event_id(event: &Value) -> String {
    event["detail"]["eventID"]
        .as_str()
        .expect("events built here carry an eventID")
        .to_owned()
}

pub fn attach_role_policy(role: &str, policy_arn: &str) -> Value {
    api_call(
        Service::Iam,
        "AttachRolePolicy",
        json!({ "roleName": role, "policyArn": policy_arn }),
        Value::Null,
    )
}

pub fn set_default_policy_version(policy_arn: &str, version: &str) -> Value {
    api_call(
        Service::Iam,
        "SetDefaultPolicyVersion",
        json!({ "policyArn": policy_arn, "versionId": version }),
        Value::Null,
    )
}

/// PutRolePolicy carries the document as the caller sent it (a JSON string).
pub fn put_role_policy(role: &str, policy_name: &str, document: &Value) -> Value {
    api_call(
        Service::Iam,
        "PutRolePolicy",
        json!({
            "roleName": role,
            "policyName": policy_name,
            "policyDocument": document.to_string()
        }),
        Value::Null,
    )
}

/// CreateFunction as CloudTrail records it (`CreateFunction20150331`), with
/// the response describing the new function.
pub fn create_function(function_name: &str, role_arn: &str) -> Value {
    let function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}");
    api_call(
        Service::Lambda,
        "CreateFunction20150331",
        json!({
            "functionName": function_name,
            "runtime": "python3.12",
            "role": role_arn,
            "handler": "app.handler",
            "code": {},
            "timeout": 30,
            "memorySize": 128,
            "publish": false,
            "packageType": "Zip",
            "architectures": ["arm64"]
        }),
        json!({
            "functionName": function_name,
            "functionArn": function_arn,
            "runtime": "python3.12",
            "role": role_arn,
            "handler": "app.handler",
            "codeSize": 22,
            "description": "",
            "timeout": 30,
            "memorySize": 128,
            "lastModified": "2026-11-22T12:00:00.000+0000",
            "codeSha256": "OIzA7FWFFo0rW8DW7O8/MMuhvRhDm0E39LU1Z2qxWW0=",
            "version": "$LATEST",
            "tracingConfig": { "mode": "PassThrough" },
            "revisionId": new_id(),
            "state": "Pending",
            "stateReason": "The function is being created.",
            "stateReasonCode": "Creating",
            "packageType": "Zip",
            "architectures": ["arm64"],
            "ephemeralStorage": { "size": 512 },
            "snapStart": { "applyOn": "None", "optimizationStatus": "Off" },
            "loggingConfig": {
                "logFormat": "Text",
                "logGroup": format!("/aws/lambda/{function_name}")
            }
        }),
    )
}

/// AddPermission as CloudTrail records it (`AddPermission20150331v2`):
/// `responseElements.statement` is the resulting statement as a JSON string
/// (here: the one the emulator returned to the real API call).
pub fn add_permission(
    function_name: &str,
    statement_id: &str,
    principal: &str,
    statement: &str,
) -> Value {
    api_call(
        Service::Lambda,
        "AddPermission20150331v2",
        json!({
            "functionName": function_name,
            "statementId": statement_id,
            "action": "lambda:InvokeFunction",
            "principal": principal
        }),
        json!({ "statement": statement }),
    )
}

/// PutFunctionConcurrency as CloudTrail records it
/// (`PutFunctionConcurrency20171031`).
pub fn put_function_concurrency(function_name: &str, reserved: u32) -> Value {
    api_call(
        Service::Lambda,
        "PutFunctionConcurrency20171031",
        json!({ "functionName": function_name, "reservedConcurrentExecutions": reserved }),
        json!({ "reservedConcurrentExecutions": reserved }),
    )
}

/// EventBridge's "Scheduled Event", as the daily reconcile rule sends it.
pub fn scheduled(id: &str, time: &str) -> Value {
    json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/doorman-reconcile")],
        "detail": {}
    })
}
