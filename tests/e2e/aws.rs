//! Real SDK clients pointed at the emulator, and the SNS topic → SQS queue
//! the test reads alerts from.
//!
//! The SDK config is built in code (endpoint, region, static test
//! credentials): tests run on parallel threads and never touch the process
//! environment, and nothing here can reach a real AWS account.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sqs::config::{Credentials, SharedCredentialsProvider};
use serde_json::Value;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";
/// moto accepts any credentials; these only have to be present.
pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "doorman-e2e-not-a-secret";

/// One client per service the scenarios use.
#[derive(Clone)]
pub struct Aws {
    pub iam: aws_sdk_iam::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
}

/// The SDK config for the emulator at `endpoint`: its region, the static
/// test credentials.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "doorman-e2e",
        )))
        .build()
}

/// An S3 client for the emulator; path-style, as moto serves buckets
/// under its one endpoint.
pub fn s3(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&sdk_config(endpoint))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Points a process using the AWS SDK (`doorman audit --live`) at the
/// emulator: its endpoint, the test credentials and region, and none of
/// the machine's config or credentials files or instance metadata.
pub fn sdk_env<'c>(c: &'c mut Command, endpoint: &str) -> &'c mut Command {
    c.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

impl Aws {
    pub fn new(endpoint: &str) -> Self {
        let config = sdk_config(endpoint);
        Self {
            iam: aws_sdk_iam::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
        }
    }
}

/// An SNS topic with an SQS queue subscribed to it (no raw delivery: the
/// queue receives the full SNS envelope, message attributes included).
#[derive(Clone)]
pub struct AlertQueue {
    pub topic_arn: String,
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl AlertQueue {
    /// Creates (or, after a restart of the emulator, re-creates) the topic,
    /// the queue and the subscription. Same name → same ARN.
    pub async fn create(aws: &Aws, name: &str) -> Self {
        let topic_arn = aws
            .sns
            .create_topic()
            .name(format!("{name}-alerts"))
            .send()
            .await
            .expect("create topic")
            .topic_arn
            .expect("topic arn");
        let queue_url = aws
            .sqs
            .create_queue()
            .queue_name(format!("{name}-inbox"))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("queue url");
        let attributes = aws
            .sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("get queue attributes");
        let queue_arn = attributes
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("queue arn");
        aws.sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .expect("subscribe queue to topic");
        Self {
            topic_arn,
            queue_url,
            sqs: aws.sqs.clone(),
        }
    }

    /// Receives (and deletes) what is in the queue until `until` says enough
    /// or nothing new arrived for `quiet`, and at most for `limit`.
    pub async fn receive_until(
        &self,
        until: impl Fn(&[Alert]) -> bool,
        quiet: Duration,
        limit: Duration,
    ) -> Vec<Alert> {
        let started = Instant::now();
        let mut last_new = Instant::now();
        let mut alerts = Vec::new();
        loop {
            if until(&alerts) || last_new.elapsed() >= quiet || started.elapsed() >= limit {
                return alerts;
            }
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive from the alert queue");
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            last_new = Instant::now();
            let mut entries = Vec::new();
            for (i, message) in messages.into_iter().enumerate() {
                alerts.push(Alert::from_envelope(message.body().unwrap_or_default()));
                if let Some(handle) = message.receipt_handle {
                    entries.push(
                        aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                            .id(i.to_string())
                            .receipt_handle(handle)
                            .build()
                            .expect("delete entry"),
                    );
                }
            }
            // Deleted, so a message can never be counted twice.
            self.sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .expect("delete from the alert queue");
        }
    }

    /// Everything that arrives until the queue has been quiet for `quiet`.
    pub async fn drain(&self, quiet: Duration) -> Vec<Alert> {
        self.receive_until(|_| false, quiet, Duration::from_secs(120))
            .await
    }

    /// Waits for `n` alerts (and a short quiet period after, so a duplicate
    /// would be seen), failing with what did arrive if they do not.
    pub async fn expect(&self, n: usize) -> Vec<Alert> {
        let mut alerts = self
            .receive_until(
                |a| a.len() >= n,
                Duration::from_secs(10),
                Duration::from_secs(60),
            )
            .await;
        // Anything more (a duplicate) would already be in the queue: doorman
        // publishes before it answers the invocation and moto delivers to
        // SQS inside Publish. A short extra look catches it anyway.
        alerts.extend(self.drain(Duration::from_millis(500)).await);
        assert_eq!(
            alerts.len(),
            n,
            "expected {n} alert(s) in SQS, got {}:\n{alerts:#?}",
            alerts.len()
        );
        alerts
    }
}

/// One alert as a subscriber receives it: the SNS envelope, its message
/// attributes, and the `sqs` member of the JSON message.
#[derive(Debug, Clone)]
pub struct Alert {
    pub subject: Option<String>,
    /// Message attribute name → (Type, Value).
    pub attributes: BTreeMap<String, (String, String)>,
    /// The JSON alert (SPEC §5).
    pub message: Value,
}

impl Alert {
    pub fn from_envelope(body: &str) -> Self {
        let envelope: Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("SQS body is not an SNS envelope ({e}): {body}"));
        assert_eq!(envelope["Type"], "Notification", "envelope: {envelope:#}");
        let text = envelope["Message"]
            .as_str()
            .unwrap_or_else(|| panic!("envelope without Message: {envelope:#}"));
        let message: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("the `sqs` message is not the JSON alert ({e}): {text}"));
        let mut attributes = BTreeMap::new();
        if let Some(map) = envelope["MessageAttributes"].as_object() {
            for (name, attr) in map {
                attributes.insert(
                    name.clone(),
                    (
                        attr["Type"].as_str().unwrap_or_default().to_owned(),
                        attr["Value"].as_str().unwrap_or_default().to_owned(),
                    ),
                );
            }
        }
        Self {
            subject: envelope["Subject"].as_str().map(str::to_owned),
            attributes,
            message,
        }
    }

    pub fn attribute(&self, name: &str) -> &str {
        match self.attributes.get(name) {
            Some((_, value)) => value,
            None => panic!("alert without message attribute `{name}`: {self:#?}"),
        }
    }

    pub fn event_id(&self) -> &str {
        self.attribute("event_id")
    }

    pub fn severity(&self) -> &str {
        self.attribute("severity")
    }

    /// The `rules` attribute (String.Array).
    pub fn rules(&self) -> Vec<String> {
        let (kind, value) = self
            .attributes
            .get("rules")
            .unwrap_or_else(|| panic!("alert without `rules` attribute: {self:#?}"));
        assert_eq!(kind, "String.Array", "`rules` attribute type");
        serde_json::from_str(value)
            .unwrap_or_else(|e| panic!("`rules` is not a JSON array ({e}): {value}"))
    }

    /// rule id → severity, from the JSON message's findings.
    pub fn findings(&self) -> HashMap<String, String> {
        self.message["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("alert JSON without findings: {:#}", self.message))
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or_default().to_owned(),
                    f["severity"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    pub fn has_rule(&self, rule: &str) -> bool {
        self.rules().iter().any(|r| r == rule)
    }
}
