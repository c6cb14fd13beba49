//! The Lambda function: EventBridge delivers CloudTrail events, doorman
//! evaluates each and publishes at most one SNS alert. All logic is in the
//! library's `pipeline`; this file wires the AWS clients to it.
//!
//! Configuration is read and checked once, before the first event; SDK
//! clients are built once and reused by every invocation. The SDK honours
//! `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_IAM`, `_LAMBDA`, `_SNS`), so the
//! same binary runs against an emulator.

use doorman::config::LambdaConfig;
use doorman::notify::sns::SnsNotifier;
use doorman::pipeline::{Organization, Pipeline};
use doorman::resolve::assume::MemberReaders;
use doorman::resolve::aws::AwsResolver;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

/// Bounds on every AWS call. The SDK sets no operation timeout by default, so
/// a hung IAM or SNS endpoint would hold the invocation until Lambda's own
/// timeout; bounded, it becomes a timeout error, which the pipeline treats as
/// transient: the invocation fails and Lambda retries the event. Three
/// attempts of 5 s fit in the 15 s operation bound, and a few sequential
/// calls per event fit in the function's 60 s timeout.
fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// Organization mode (`DOORMAN_ORGANIZATION_ID` set; SPEC §14): the
/// organization, doorman's own account and partition (from its topic's ARN,
/// which is in that account), and member.yaml's name prefix
/// (`DOORMAN_NAME_PREFIX`, default `doorman`). `Ok(None)`: single account.
fn organization(topic_arn: &str) -> Result<Option<(Organization, String)>, String> {
    let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_string());
    let Some(id) = var("DOORMAN_ORGANIZATION_ID").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = |e: String| format!("bad configuration: `DOORMAN_ORGANIZATION_ID`: {e}");
    let id = doorman::config::org_ids(vec![id])
        .map_err(bad)?
        .into_iter()
        .next()
        .ok_or_else(|| bad("no organization id".to_string()))?;
    let parts: Vec<&str> = topic_arn.split(':').collect();
    let (partition, account) = match parts.as_slice() {
        ["arn", partition, "sns", _, account, _] => (*partition, *account),
        _ => {
            return Err(format!(
                "bad configuration: `DOORMAN_TOPIC_ARN` `{}` is not an SNS topic ARN, so doorman cannot tell its own account in organization mode",
                topic_arn.escape_debug()
            ))
        }
    };
    let name_prefix = var("DOORMAN_NAME_PREFIX")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "doorman".to_string());
    Ok(Some((
        Organization {
            id,
            own_account: account.to_string(),
            name_prefix,
        },
        partition.to_string(),
    )))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // JSON logs when the function's log format is JSON; level from
    // AWS_LAMBDA_LOG_LEVEL (or RUST_LOG).
    lambda_runtime::tracing::init_default_subscriber();

    let config = match LambdaConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            // Logged once, plainly; the exit fails the init phase, so the
            // deployment's first invocation shows the problem.
            tracing::error!("{e}");
            std::process::exit(1);
        }
    };
    let organization = match organization(&config.topic_arn) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!("{e}");
            std::process::exit(1);
        }
    };
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(sdk_timeouts())
        .load()
        .await;
    // Member accounts are read through their doorman-reader (one set of
    // credentials per account, cached); unused in single-account mode.
    let partition = organization.as_ref().map_or("aws", |(_, p)| p.as_str());
    let members = MemberReaders::new(&sdk, partition);
    let pipeline = Pipeline {
        resolver: AwsResolver::new(&sdk),
        notifier: SnsNotifier::new(aws_sdk_sns::Client::new(&sdk), config.topic_arn.clone()),
        settings: config.settings,
        members,
        organization: organization.map(|(o, _)| o),
    };
    let pipeline = &pipeline;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let evaluation = pipeline.handle(&event.payload).await.inspect_err(|e| {
            tracing::error!(request_id = %event.context.request_id, "{e}");
        })?;
        let published = evaluation.alert().map(|a| a.subject.clone());
        tracing::info!(
            event_id = %evaluation.event.id,
            event_name = %evaluation.event.name,
            alert = published.as_deref().unwrap_or("none"),
            "event processed"
        );
        Ok::<Value, Error>(serde_json::json!({
            "event_id": evaluation.event.id,
            "alert": published,
        }))
    }))
    .await
}
