//! The seams of the Lambda's AccessDenied diagnosis (SPEC §13,
//! `DiagnoseAccessDenied`): a role's trust policy (one `GetRole`) and the
//! 24-hour dedupe store (a conditional put in the stack's DynamoDB table,
//! [`super::dynamo`]). Traits, like [`super::Resolver`], so the step runs
//! against the SDK in the Lambda and against fakes in tests; no SDK type
//! appears here.

use super::offline::OfflineResolver;
use super::ResolveError;
use std::future::Future;

/// Reads a role's trust policy.
pub trait RoleTrust: Send + Sync {
    /// `GetRole`: the trust policy text as IAM returns it (URL-encoded
    /// JSON; `policy::parse_document` reads both forms).
    fn trust_policy(
        &self,
        role_name: &str,
    ) -> impl Future<Output = Result<String, ResolveError>> + Send;
}

/// `doorman replay` has no AWS: a role's trust is not known offline.
impl RoleTrust for OfflineResolver {
    async fn trust_policy(&self, role_name: &str) -> Result<String, ResolveError> {
        Err(ResolveError::Unavailable(format!(
            "the trust policy of role `{role_name}` cannot be fetched offline"
        )))
    }
}

/// One refused call, as the dedupe store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupeEntry {
    /// The table's key: role ARN, action and resource (see
    /// `pipeline::access_denied::dedupe_key`).
    pub key: String,
    pub role: String,
    pub action: String,
    pub resource: String,
    /// The CloudTrail event that claimed the key (for the log, and so that
    /// only its own claim is released).
    pub event_id: String,
    /// Now, in seconds since the Unix epoch: an entry that expired before
    /// this no longer counts, even if DynamoDB has not deleted it yet (TTL
    /// deletion can lag by days).
    pub now: i64,
    /// When the entry stops counting (the table's TTL attribute).
    pub expires_at: i64,
}

/// What became of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The first refusal of this role, action and resource in the window:
    /// alert.
    First,
    /// Already alerted within the window (by another event, or by this one
    /// delivered again): stay quiet.
    Duplicate,
}

/// Where "already alerted" is remembered.
pub trait DedupeStore: Send + Sync {
    /// Writes `entry` unless a live (unexpired) entry holds its key.
    /// An error (throttling, a missing table, a refused write) is one line
    /// naming the table and the problem; the pipeline treats every error as
    /// transient, so Lambda retries the event rather than drop or repeat
    /// the alert.
    fn claim(&self, entry: &DedupeEntry) -> impl Future<Output = Result<Claim, String>> + Send;

    /// Gives up `entry`'s claim if this event still holds it: its alert
    /// could not be published, and Lambda's retry of the event must be
    /// able to claim the key again rather than be taken for a duplicate.
    fn release(&self, entry: &DedupeEntry) -> impl Future<Output = Result<(), String>> + Send;
}
