//! The scheduled audit's AWS side: the live account through
//! [`super::collect`] and the report bucket through S3. Here because no SDK
//! type may leave `resolve` (SPEC §2).

use super::reports::{AccountSource, ReportStore};
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use std::path::Path;

/// The account doorman runs in, read through the SDK, as `doorman audit
/// --live` reads it (its functions in the function's own Region).
#[derive(Debug, Clone)]
pub struct LiveAccount {
    config: aws_config::SdkConfig,
}

impl LiveAccount {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        LiveAccount {
            config: config.clone(),
        }
    }
}

impl AccountSource for LiveAccount {
    async fn collect(&self, dir: &Path) -> Result<(), String> {
        let c = super::collect::collect(&self.config, &[], dir).await?;
        tracing::info!(
            roles = c.roles,
            functions = c.functions,
            files = c.files,
            "account collected"
        );
        Ok(())
    }
}

/// The stack's report bucket.
#[derive(Debug, Clone)]
pub struct S3Reports {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Reports {
    pub fn new(config: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        // AWS's own (virtual-hosted) addressing, except against a custom
        // endpoint (`AWS_ENDPOINT_URL`: an emulator), which serves buckets
        // by path.
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        S3Reports {
            client: aws_sdk_s3::Client::from_conf(s3),
            bucket: bucket.into(),
        }
    }
}

fn err<E, R>(what: String, e: SdkError<E, R>) -> String
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    format!("{what}: {}", DisplayErrorContext(&e))
}

impl ReportStore for S3Reports {
    async fn keys(&self, prefix: &str) -> Result<Vec<String>, String> {
        let pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| err(format!("s3:ListBucket `{}/{prefix}`", self.bucket), e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.contents())
            .filter_map(|o| o.key().map(str::to_string))
            .collect())
    }

    async fn get(&self, key: &str) -> Result<String, String> {
        let what = || format!("s3:GetObject `s3://{}/{key}`", self.bucket);
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| err(what(), e))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| format!("{}: {e}", what()))?
            .into_bytes();
        String::from_utf8(bytes.to_vec()).map_err(|e| format!("{}: not UTF-8: {e}", what()))
    }

    async fn put(&self, key: &str, body: String, content_type: &'static str) -> Result<(), String> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body.into_bytes()))
            .send()
            .await
            .map_err(|e| err(format!("s3:PutObject `s3://{}/{key}`", self.bucket), e))?;
        Ok(())
    }

    fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}
