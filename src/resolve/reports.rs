//! The seams of the scheduled audit (SPEC §12): where the account is read
//! from and where its reports are kept. Two traits, like [`super::Resolver`],
//! so the reconcile runs against the SDK in the Lambda ([`super::s3`]) and
//! against fakes in tests. No SDK type appears here.

use super::ResolveError;
use std::future::Future;
use std::path::Path;

/// Reads an account into a folder in the AWS CLI layout of README "Audit an
/// account" (what `doorman audit --collect DIR` writes), for
/// [`crate::audit::load`].
pub trait AccountSource: Send + Sync {
    fn collect(&self, dir: &Path) -> impl Future<Output = Result<(), String>> + Send;
}

/// A place for report objects: the stack's S3 bucket in the Lambda.
/// Errors are one line naming the key and the problem.
pub trait ReportStore: Send + Sync {
    /// Every key under `prefix`, in any order.
    fn keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, String>> + Send;
    /// The object's text.
    fn get(&self, key: &str) -> impl Future<Output = Result<String, String>> + Send;
    /// Writes (or overwrites) the object.
    fn put(
        &self,
        key: &str,
        body: String,
        content_type: &'static str,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// How a person finds the object (`s3://bucket/key`).
    fn location(&self, key: &str) -> String {
        key.to_string()
    }
}

/// The accounts of an organization, each read through its `doorman-reader`
/// (SPEC §14), for the per-account scheduled audit.
pub trait MemberAccounts: Send + Sync {
    type Source: AccountSource;

    /// `account` as an [`AccountSource`] (its Lambda functions in
    /// `region`). A `Transient` error is retried by Lambda; any other (the
    /// role cannot be assumed) names the account and what is missing.
    fn account(
        &self,
        account: &str,
        region: &str,
    ) -> impl Future<Output = Result<Self::Source, ResolveError>> + Send;
}
