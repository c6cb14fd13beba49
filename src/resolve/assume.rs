//! Organization mode (SPEC §14): reading a member account through its
//! `doorman-reader` role. The central function assumes the role with STS,
//! keeps the credentials per account until five minutes before they expire
//! (one `AssumeRole` per account and hour, not per event), and builds IAM
//! and Lambda clients on them for the event's region.
//!
//! Each account's alias (`iam:ListAccountAliases`, for the alerts) is kept
//! as long as the account's credentials; doorman's own account's (read with
//! its own role) for an hour.
//!
//! A refused `AssumeRole` is permanent: the member stack (the StackSet
//! instance that creates the role) is missing in that account, or the role
//! was changed. The pipeline turns it into an `unprocessable-event` naming
//! the account; throttling and timeouts stay transient (Lambda retries).

use super::aws::{classify, AwsResolver};
use super::reports::MemberAccounts;
use super::s3::LiveAccount;
use super::{is_account_id, MemberResolvers, ResolveError, READER_ROLE};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Credentials are renewed this long before they expire, so that no call of
/// an event runs on credentials that lapse under it.
pub const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// How long doorman's own account's alias is kept (no credentials expire
/// for it).
pub const OWN_NAME_FOR: Duration = Duration::from_secs(60 * 60);

/// Whether credentials expiring at `expires` are still used at `now`.
pub fn fresh(expires: SystemTime, now: SystemTime) -> bool {
    now + RENEW_BEFORE < expires
}

/// The credentials of one member account, until `expires`.
#[derive(Debug, Clone)]
struct Cached {
    credentials: SharedCredentialsProvider,
    expires: SystemTime,
}

/// Member resolvers through STS `AssumeRole` into each account's
/// `doorman-reader`.
#[derive(Debug)]
pub struct MemberReaders {
    sts: aws_sdk_sts::Client,
    /// The function's own configuration (region, timeouts, endpoints):
    /// member clients are built from it with the member's credentials.
    base: aws_config::SdkConfig,
    /// `aws`, `aws-cn`, `aws-us-gov`: the partition of the role ARNs.
    partition: String,
    /// doorman's own account, read with its own role (no AssumeRole).
    own_account: Option<String>,
    cache: Mutex<HashMap<String, Cached>>,
    /// Each account's alias (`None`: it has none, or it could not be read),
    /// until the instant it is looked up again.
    names: Mutex<HashMap<String, (Option<String>, SystemTime)>>,
}

impl MemberReaders {
    pub fn new(base: &aws_config::SdkConfig, partition: &str) -> Self {
        MemberReaders {
            sts: aws_sdk_sts::Client::new(base),
            base: base.clone(),
            partition: partition.to_string(),
            own_account: None,
            cache: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
        }
    }

    /// doorman's own account: its name is read with the function's own
    /// role, never through an AssumeRole.
    pub fn with_own_account(mut self, account: &str) -> Self {
        self.own_account = Some(account.to_string()).filter(|a| !a.is_empty());
        self
    }

    /// The configuration of a client acting in `account` (through its
    /// doorman-reader; the credentials cached), in `region` (the function's
    /// own when empty).
    pub async fn config_for(
        &self,
        account: &str,
        region: &str,
    ) -> Result<aws_config::SdkConfig, ResolveError> {
        // The account comes from the event: only an account id may become
        // part of an ARN.
        if !is_account_id(account) {
            return Err(ResolveError::Permanent(format!(
                "the event's account `{}` is not a 12-digit account id",
                account.escape_debug()
            )));
        }
        let credentials = match self.cached(account) {
            Some(c) => c,
            None => self.assume(account).await?,
        };
        let mut config = self.base.to_builder();
        config.set_credentials_provider(Some(credentials));
        if !region.is_empty() {
            config.set_region(Some(aws_config::Region::new(region.to_string())));
        }
        Ok(config.build())
    }

    /// The cached alias of `account`, if it is still fresh.
    fn cached_name(&self, account: &str, now: SystemTime) -> Option<Option<String>> {
        let names = self.names.lock().ok()?;
        let (name, until) = names.get(account)?;
        (now < *until).then(|| name.clone())
    }

    /// The credentials `account`'s alias is read with and until when it is
    /// kept: the function's own for its own account, the cached reader
    /// credentials for a member (never a new AssumeRole just for a name).
    fn name_reader(
        &self,
        account: &str,
        now: SystemTime,
    ) -> Option<(aws_config::SdkConfig, SystemTime)> {
        if self.own_account.as_deref() == Some(account) {
            return Some((self.base.clone(), now + OWN_NAME_FOR));
        }
        let cache = self.cache.lock().ok()?;
        let c = cache.get(account).filter(|c| fresh(c.expires, now))?;
        let mut config = self.base.to_builder();
        config.set_credentials_provider(Some(c.credentials.clone()));
        Some((config.build(), c.expires))
    }

    /// The reader role's ARN in `account`.
    pub fn role_arn(&self, account: &str) -> String {
        format!("arn:{}:iam::{account}:role/{READER_ROLE}", self.partition)
    }

    fn cached(&self, account: &str) -> Option<SharedCredentialsProvider> {
        let cache = self.cache.lock().ok()?;
        let c = cache.get(account)?;
        fresh(c.expires, SystemTime::now()).then(|| c.credentials.clone())
    }

    async fn assume(&self, account: &str) -> Result<SharedCredentialsProvider, ResolveError> {
        let role = self.role_arn(account);
        let what = format!("AssumeRole `{role}`");
        let out = self
            .sts
            .assume_role()
            .role_arn(&role)
            .role_session_name("doorman")
            .send()
            .await
            .map_err(|e| match classify(&what, e) {
                ResolveError::Transient(m) => ResolveError::Transient(m),
                other => ResolveError::Permanent(format!(
                    "doorman cannot read account {account}: {other}. The doorman member stack (StackSet instance of member.yaml) is missing in account {account}, or its {READER_ROLE} role was deleted or changed; add the account to the StackSet's targets (or restore its instance)"
                )),
            })?;
        let c = out.credentials().ok_or_else(|| {
            ResolveError::Permanent(format!("{what}: no credentials in the answer"))
        })?;
        let expires = SystemTime::try_from(*c.expiration()).map_err(|e| {
            ResolveError::Permanent(format!("{what}: the credentials' expiry: {e}"))
        })?;
        let credentials = SharedCredentialsProvider::new(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            Some(expires),
            "doorman-reader",
        ));
        // One line per AssumeRole: how often accounts are re-read shows here.
        tracing::info!(account, role = %role, "assumed the member account's reader role");
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(
                account.to_string(),
                Cached {
                    credentials: credentials.clone(),
                    expires,
                },
            );
        }
        Ok(credentials)
    }
}

impl MemberResolvers for MemberReaders {
    type Resolver = AwsResolver;

    async fn resolver_for(&self, account: &str, region: &str) -> Result<AwsResolver, ResolveError> {
        Ok(AwsResolver::new(&self.config_for(account, region).await?))
    }

    async fn account_name(&self, account: &str) -> Option<String> {
        let now = SystemTime::now();
        if let Some(name) = self.cached_name(account, now) {
            return name;
        }
        let (config, until) = self.name_reader(account, now)?;
        let client = aws_sdk_iam::Client::new(&config);
        let answer = client.list_account_aliases().send().await;
        let name = match answer {
            Ok(out) => {
                let alias = out.account_aliases().first().cloned();
                match alias.as_deref().map(crate::alert::account_alias) {
                    Some(None) => {
                        tracing::warn!(account, alias = ?alias, "the account alias is not a valid alias; not shown");
                        None
                    }
                    _ => alias,
                }
            }
            Err(e) => {
                let e = classify(&format!("iam:ListAccountAliases in account {account}"), e);
                // The alert goes out without the name; said here.
                tracing::warn!(account, "the account's name is unknown: {e}");
                if matches!(e, ResolveError::Transient(_)) {
                    // Tried again with the next event.
                    return None;
                }
                None
            }
        };
        if let Ok(mut names) = self.names.lock() {
            names.insert(account.to_string(), (name.clone(), until));
        }
        name
    }
}

impl MemberAccounts for MemberReaders {
    type Source = LiveAccount;

    async fn account(&self, account: &str, region: &str) -> Result<LiveAccount, ResolveError> {
        Ok(LiveAccount::new(&self.config_for(account, region).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_renewed_five_minutes_before_they_expire() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(fresh(now + Duration::from_secs(3600), now));
        assert!(fresh(now + Duration::from_secs(301), now));
        assert!(!fresh(now + Duration::from_secs(300), now));
        assert!(!fresh(now - Duration::from_secs(1), now));
    }
}
