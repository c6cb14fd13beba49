//! Scenario resources created through the real SDK in the emulator, and the
//! whole stack one test needs (emulator, alert queue, running function).

use std::time::Duration;

use aws_sdk_iam::types::Tag as IamTag;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use serde_json::{json, Value};

use crate::aws::{AlertQueue, Aws, ACCOUNT};
use crate::lambda::Function;
use crate::moto::Moto;

/// Emulator + SDK clients + SNS topic → SQS queue + `doorman-lambda`
/// processes publishing to that topic. Everything stops when dropped.
pub struct Stack {
    pub name: String,
    pub aws: Aws,
    pub alerts: AlertQueue,
    // Dropped after `function` (field order): the binary never sees the
    // emulator vanish unless a test stops it on purpose.
    pub function: Function,
    pub moto: Moto,
}

impl Stack {
    /// One emulator and one warm `doorman-lambda` with default settings.
    pub async fn start(name: &str) -> Self {
        Self::start_with(name, &[], 1).await
    }

    /// `env` adds doorman settings (DOORMAN_MIN_SEVERITY, ...) to the
    /// function's environment; `processes` warm copies share the runtime.
    pub async fn start_with(name: &str, env: &[(&str, String)], processes: usize) -> Self {
        let moto = Moto::start(name).unwrap_or_else(|e| panic!("{e}"));
        let aws = Aws::new(&moto.endpoint());
        let alerts = AlertQueue::create(&aws, name).await;
        let mut all_env = vec![("DOORMAN_TOPIC_ARN", alerts.topic_arn.clone())];
        all_env.extend(env.iter().cloned());
        let function = Function::start(name, &moto.endpoint(), &all_env, processes).await;
        Self {
            name: name.to_owned(),
            aws,
            alerts,
            function,
            moto,
        }
    }

    /// Waits a bounded time and asserts no alert arrived.
    pub async fn assert_no_alert(&self, why: &str) {
        let alerts = self.alerts.drain(Duration::from_secs(2)).await;
        assert!(
            alerts.is_empty(),
            "{why}: expected no alert, got {alerts:#?}"
        );
    }
}

/// A trust policy for Lambda execution roles.
pub fn lambda_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "lambda.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }]
    })
}

/// `Action: "*"` on `Resource: "*"`: full admin.
pub fn admin_document() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{ "Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*" }]
    })
}

/// A scoped, harmless permission policy (no finding expected).
pub fn read_one_table_document() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadOrders",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/Orders")
        }]
    })
}

/// Creates a Lambda-trusted role; returns its ARN.
pub async fn create_role(aws: &Aws, name: &str, tags: &[(&str, &str)]) -> String {
    let mut request = aws
        .iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(lambda_trust().to_string());
    for (key, value) in tags {
        request = request.tags(
            IamTag::builder()
                .key(*key)
                .value(*value)
                .build()
                .expect("tag"),
        );
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("create role `{name}`: {e:?}"))
        .role
        .expect("role")
        .arn
}

/// Creates a customer-managed policy; returns its ARN.
pub async fn create_policy(aws: &Aws, name: &str, document: &Value) -> String {
    aws.iam
        .create_policy()
        .policy_name(name)
        .policy_document(document.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("create policy `{name}`: {e:?}"))
        .policy
        .and_then(|p| p.arn)
        .expect("policy arn")
}

/// Adds a policy version; returns its id (`v2`, ...).
pub async fn create_policy_version(
    aws: &Aws,
    arn: &str,
    document: &Value,
    set_as_default: bool,
) -> String {
    aws.iam
        .create_policy_version()
        .policy_arn(arn)
        .policy_document(document.to_string())
        .set_as_default(set_as_default)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create policy version of `{arn}`: {e:?}"))
        .policy_version
        .and_then(|v| v.version_id)
        .expect("version id")
}

pub async fn set_default_policy_version(aws: &Aws, arn: &str, version: &str) {
    aws.iam
        .set_default_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .unwrap_or_else(|e| panic!("set default version of `{arn}`: {e:?}"));
}

pub async fn attach_role_policy(aws: &Aws, role: &str, policy_arn: &str) {
    aws.iam
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("attach `{policy_arn}` to `{role}`: {e:?}"));
}

pub async fn put_role_policy(aws: &Aws, role: &str, name: &str, document: &Value) {
    aws.iam
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(document.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put inline policy `{name}` on `{role}`: {e:?}"));
}

/// The smallest valid zip archive (an empty one): moto stores the code
/// without running it.
pub const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// Creates a function with the given execution role; returns its ARN.
pub async fn create_function(aws: &Aws, name: &str, role_arn: &str) -> String {
    create_function_with_layers(aws, name, role_arn, &[]).await
}

/// Creates a function with the given execution role running `layers`
/// (none: the request names no layers); returns its ARN.
pub async fn create_function_with_layers(
    aws: &Aws,
    name: &str,
    role_arn: &str,
    layers: &[&str],
) -> String {
    let layers = (!layers.is_empty()).then(|| layers.iter().map(|l| l.to_string()).collect());
    aws.lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Python312)
        .role(role_arn)
        .handler("app.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .set_layers(layers)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create function `{name}`: {e:?}"))
        .function_arn
        .expect("function arn")
}

/// Grants `lambda:InvokeFunction` to `principal`; returns the resulting
/// statement as the API returns it (a JSON string).
pub async fn add_permission(
    aws: &Aws,
    function: &str,
    statement_id: &str,
    principal: &str,
) -> String {
    aws.lambda
        .add_permission()
        .function_name(function)
        .statement_id(statement_id)
        .action("lambda:InvokeFunction")
        .principal(principal)
        .send()
        .await
        .unwrap_or_else(|e| panic!("add permission to `{function}`: {e:?}"))
        .statement
        .expect("statement")
}
