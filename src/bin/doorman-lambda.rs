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
use doorman::pipeline::Pipeline;
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
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(sdk_timeouts())
        .load()
        .await;
    let pipeline = Pipeline::new(
        AwsResolver::new(&sdk),
        SnsNotifier::new(aws_sdk_sns::Client::new(&sdk), config.topic_arn.clone()),
        config.settings,
    );
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
