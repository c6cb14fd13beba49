//! Publishing an alert to SNS: `MessageStructure: json` (text for email,
//! JSON for SQS, Lambda and HTTPS subscribers) with the message attributes
//! subscribers filter on.

use super::{Notifier, NotifyError};
use crate::alert::Alert;
use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;

/// Publishes to one topic with a client built once per process.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsNotifier {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        SnsNotifier {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

impl Notifier for SnsNotifier {
    async fn publish(&self, alert: &Alert) -> Result<(), NotifyError> {
        let fail = |reason: String| NotifyError {
            event_id: alert.event_id().to_string(),
            reason,
        };
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&alert.subject)
            .message(&alert.message)
            .message_structure("json");
        for (name, attr) in &alert.attributes {
            let value = MessageAttributeValue::builder()
                .data_type(attr.data_type)
                .string_value(&attr.value)
                .build()
                .map_err(|e| fail(format!("attribute `{name}`: {e}")))?;
            request = request.message_attributes(name, value);
        }
        let out = request
            .send()
            .await
            .map_err(|e| fail(DisplayErrorContext(&e).to_string()))?;
        tracing::info!(
            event_id = alert.event_id(),
            message_id = out.message_id().unwrap_or(""),
            severity = alert.highest_severity().as_str(),
            "alert published"
        );
        Ok(())
    }
}
