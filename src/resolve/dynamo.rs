//! The AccessDenied dedupe in the stack's DynamoDB table (template.yaml's
//! `AccessDeniedTable`, `DOORMAN_ACCESS_DENIED_TABLE`): one conditional
//! `PutItem` per refused call. Here because no SDK type may leave `resolve`
//! (SPEC §2).
//!
//! The item's key is `pk`; `expires_at` (seconds since the epoch) is the
//! table's TTL attribute. The put succeeds when no item holds the key, or
//! when the one that does has expired (DynamoDB deletes expired items only
//! eventually, up to days later). When the alert then cannot be published,
//! the claim is marked expired again (only if this event still holds it),
//! so that Lambda's retry publishes instead of falling silent.

use super::denied::{Claim, DedupeEntry, DedupeStore};
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

/// The condition of the put (see the module's doc).
pub const CONDITION: &str = "attribute_not_exists(pk) OR expires_at < :now";

/// The stack's dedupe table.
#[derive(Debug, Clone)]
pub struct DynamoDedupe {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoDedupe {
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoDedupe {
            client: aws_sdk_dynamodb::Client::new(config),
            table: table.into(),
        }
    }
}

impl DedupeStore for DynamoDedupe {
    async fn claim(&self, e: &DedupeEntry) -> Result<Claim, String> {
        let s = |v: &str| AttributeValue::S(v.to_string());
        let n = |v: i64| AttributeValue::N(v.to_string());
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&e.key))
            .item("role", s(&e.role))
            .item("action", s(&e.action))
            .item("resource", s(&e.resource))
            .item("event_id", s(&e.event_id))
            .item("first_seen", n(e.now))
            .item("expires_at", n(e.expires_at))
            .condition_expression(CONDITION)
            .expression_attribute_values(":now", n(e.now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::First),
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                Ok(Claim::Duplicate)
            }
            Err(err) => Err(format!(
                "dynamodb:PutItem on table `{}`: {}",
                self.table,
                DisplayErrorContext(&err)
            )),
        }
    }

    /// Marks the claim expired (`expires_at` 0), if this event still holds
    /// it: the next claim's condition then passes, and DynamoDB's TTL
    /// deletes the item. A put, not a `DeleteItem`: one operation of the
    /// SDK in the Lambda package instead of two (its size bar is 12 MB).
    async fn release(&self, e: &DedupeEntry) -> Result<(), String> {
        let s = |v: &str| AttributeValue::S(v.to_string());
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&e.key))
            .item("event_id", s(&e.event_id))
            .item("expires_at", AttributeValue::N("0".to_string()))
            .condition_expression("event_id = :event")
            .expression_attribute_values(":event", s(&e.event_id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Another event holds it now: nothing of ours to release.
            Err(SdkError::ServiceError(se)) if se.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(err) => Err(format!(
                "dynamodb:PutItem (release) on table `{}`: {}",
                self.table,
                DisplayErrorContext(&err)
            )),
        }
    }
}
