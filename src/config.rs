//! The Lambda's configuration, from environment variables, checked once at
//! start so that a bad deployment fails loudly on its first invocation
//! rather than alerting wrongly for months.
//!
//! | variable | meaning |
//! |---|---|
//! | `DOORMAN_TOPIC_ARN` | SNS topic alerts go to (required) |
//! | `DOORMAN_MIN_SEVERITY` | `critical`, `high`, `medium`, `low` (default), `info` |
//! | `DOORMAN_IGNORE_RULES` | comma-separated rule ids never alerted |
//! | `DOORMAN_IGNORE_PRINCIPALS` | comma-separated ARN patterns (`*`, `?`) of actors not alerted on (break-glass roles) |
//! | `DOORMAN_FUNCTION_NAME` | doorman's own function (default: `AWS_LAMBDA_FUNCTION_NAME`) |
//! | `DOORMAN_CHANGE_RULE_NAME`, `DOORMAN_TAMPER_RULE_NAME` | doorman's EventBridge rules |
//! | `DOORMAN_TRAIL_NAME` | the trail that feeds doorman; unset: any change to any trail is tampering |
//! | `DOORMAN_ROLE_NAME` | doorman's execution role (name): its policy, trust and boundary changes are tampering |
//! | `DOORMAN_KEY_ARN` | the KMS key of its topic, logs and queue: disabling, deleting or re-policing it is tampering (matched by key id) |
//! | `DOORMAN_QUEUE_ARN` | its on-failure SQS queue (matched by account and name against the queue URL SQS events carry) |
//! | `DOORMAN_LOG_GROUP` | its log group name |
//! | `DOORMAN_REPORT_BUCKET` | the scheduled audit's report bucket: its policy, encryption, public access block and lifecycle changes are tampering |
//! | `DOORMAN_RECONCILE_RULE_NAME`, `DOORMAN_AUDIT_TAMPER_RULE_NAME` | the audit's schedule rule and the rule that watches it and the bucket |
//! | `DOORMAN_ACCESS_DENIED_RULE_NAME` | the rule that delivers denied calls to the AccessDenied diagnosis |
//! | `DOORMAN_TRUSTED_ACCOUNTS` | comma-separated 12-digit account ids every cross-account rule treats as your own |
//! | `DOORMAN_TRUSTED_ORGS` | comma-separated organization ids (`o-...`); set: only conditions naming these guard a cross-account grant |

use crate::alert::Suppressions;
use crate::pipeline::{Guarded, Settings};
use crate::rules::{RuleId, Severity};
use std::collections::BTreeSet;

/// A configuration problem, naming the variable and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad configuration: {0}")]
pub struct ConfigError(pub String);

/// Everything the Lambda reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaConfig {
    pub topic_arn: String,
    pub settings: Settings,
}

impl LambdaConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads variables through `get`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let topic_arn = var("DOORMAN_TOPIC_ARN").ok_or_else(|| {
            ConfigError(
                "`DOORMAN_TOPIC_ARN` is not set; set it to the ARN of the SNS topic alerts go to"
                    .to_string(),
            )
        })?;
        if !topic_arn.starts_with("arn:") || !topic_arn.contains(":sns:") {
            return Err(ConfigError(format!(
                "`DOORMAN_TOPIC_ARN` is `{topic_arn}`, not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            )));
        }
        let min_severity = match var("DOORMAN_MIN_SEVERITY") {
            Some(s) => s
                .parse::<Severity>()
                .map_err(|e| ConfigError(format!("`DOORMAN_MIN_SEVERITY`: {e}")))?,
            None => Severity::Low,
        };
        let mut ignore_rules = BTreeSet::new();
        for id in list(var("DOORMAN_IGNORE_RULES")) {
            ignore_rules.insert(
                id.parse::<RuleId>()
                    .map_err(|e| ConfigError(format!("`DOORMAN_IGNORE_RULES`: {e}")))?,
            );
        }
        if let Some(r) = ignore_rules
            .iter()
            .find(|r| crate::alert::never_suppressed(**r))
        {
            tracing::warn!(
                "`DOORMAN_IGNORE_RULES` lists `{r}`, which is never suppressed: its alerts are sent all the same"
            );
        }
        let ignore_principals = list(var("DOORMAN_IGNORE_PRINCIPALS"));
        if let Some(bad) = ignore_principals.iter().find(|p| !p.starts_with("arn:")) {
            return Err(ConfigError(format!(
                "`DOORMAN_IGNORE_PRINCIPALS`: `{bad}` is not an ARN pattern; write e.g. `arn:aws:iam::123456789012:role/BreakGlass*`"
            )));
        }
        let guarded = Guarded {
            topic_arn: Some(topic_arn.clone()),
            ..guarded_from_lookup(&get)
        };
        check_guarded(&guarded)?;
        let (trusted_accounts, trusted_orgs) = trusted_from_lookup(&get)?;
        Ok(LambdaConfig {
            topic_arn,
            settings: Settings {
                suppressions: Suppressions {
                    min_severity,
                    ignore_rules,
                    ignore_principals,
                },
                guarded,
                trusted_accounts,
                trusted_orgs,
            },
        })
    }
}

/// The names of doorman's own resources (all optional), as the Lambda and
/// `doorman replay` read them.
pub fn guarded_from_lookup(get: impl Fn(&str) -> Option<String>) -> Guarded {
    let var = |k: &str| {
        get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Guarded {
        function_name: var("DOORMAN_FUNCTION_NAME").or_else(|| var("AWS_LAMBDA_FUNCTION_NAME")),
        runtime_function_name: var("AWS_LAMBDA_FUNCTION_NAME"),
        change_rule_name: var("DOORMAN_CHANGE_RULE_NAME"),
        tamper_rule_name: var("DOORMAN_TAMPER_RULE_NAME"),
        topic_arn: var("DOORMAN_TOPIC_ARN"),
        trail_name: var("DOORMAN_TRAIL_NAME"),
        role_name: var("DOORMAN_ROLE_NAME"),
        key_arn: var("DOORMAN_KEY_ARN"),
        queue_arn: var("DOORMAN_QUEUE_ARN"),
        log_group: var("DOORMAN_LOG_GROUP"),
        reconcile_rule_name: var("DOORMAN_RECONCILE_RULE_NAME"),
        audit_tamper_rule_name: var("DOORMAN_AUDIT_TAMPER_RULE_NAME"),
        access_denied_rule_name: var("DOORMAN_ACCESS_DENIED_RULE_NAME"),
        report_bucket: var("DOORMAN_REPORT_BUCKET"),
    }
}

/// Names that could never match what events carry are a deployment error:
/// a key given by alias (KMS events name the key by id and ARN), a queue
/// not given by ARN.
fn check_guarded(g: &Guarded) -> Result<(), ConfigError> {
    if let Some(key) = &g.key_arn {
        let parts: Vec<&str> = key.split(':').collect();
        let is_key_arn = parts.len() == 6
            && parts[0] == "arn"
            && parts[2] == "kms"
            && parts[5].starts_with("key/");
        if !is_key_arn {
            return Err(ConfigError(format!(
                "`DOORMAN_KEY_ARN` is `{}`, not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID); an alias cannot be matched with the key id KMS events carry",
                key.escape_debug()
            )));
        }
    }
    if let Some(queue) = &g.queue_arn {
        let parts: Vec<&str> = queue.split(':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sqs" {
            return Err(ConfigError(format!(
                "`DOORMAN_QUEUE_ARN` is `{}`, not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)",
                queue.escape_debug()
            )));
        }
    }
    Ok(())
}

/// The trusted accounts and organizations (`DOORMAN_TRUSTED_ACCOUNTS`,
/// `DOORMAN_TRUSTED_ORGS`), as the Lambda and `doorman replay` read them.
pub fn trusted_from_lookup(
    get: impl Fn(&str) -> Option<String>,
) -> Result<(Vec<String>, Vec<String>), ConfigError> {
    let accounts = account_ids(list(get("DOORMAN_TRUSTED_ACCOUNTS")))
        .map_err(|e| ConfigError(format!("`DOORMAN_TRUSTED_ACCOUNTS`: {e}")))?;
    let orgs = org_ids(list(get("DOORMAN_TRUSTED_ORGS")))
        .map_err(|e| ConfigError(format!("`DOORMAN_TRUSTED_ORGS`: {e}")))?;
    Ok((accounts, orgs))
}

/// Checks a list of AWS account ids (12 digits each); the error names the
/// first bad one.
pub fn account_ids(ids: Vec<String>) -> Result<Vec<String>, String> {
    let ids: Vec<String> = ids.into_iter().map(|i| i.trim().to_string()).collect();
    if let Some(bad) = ids
        .iter()
        .find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "`{}` is not an AWS account id; it has 12 digits, e.g. `111122223333`",
            bad.escape_debug()
        ));
    }
    Ok(ids)
}

/// Checks a list of AWS Organizations ids (`o-` and 10 to 32 lower-case
/// letters or digits); the error names the first bad one.
pub fn org_ids(ids: Vec<String>) -> Result<Vec<String>, String> {
    let ids: Vec<String> = ids.into_iter().map(|i| i.trim().to_string()).collect();
    let valid = |o: &str| {
        o.strip_prefix("o-").is_some_and(|rest| {
            (10..=32).contains(&rest.len())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
    };
    if let Some(bad) = ids.iter().find(|o| !valid(o)) {
        return Err(format!(
            "`{}` is not an organization id; it looks like `o-a1b2c3d4e5`",
            bad.escape_debug()
        ));
    }
    Ok(ids)
}

/// A comma-separated list (CloudFormation `CommaDelimitedList` parameters
/// arrive this way), blanks dropped.
fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<LambdaConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LambdaConfig::from_lookup(|k| map.get(k).cloned())
    }

    const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:doorman-alerts";

    #[test]
    fn topic_is_required_and_checked() {
        assert_eq!(
            config(&[]).unwrap_err().to_string(),
            "bad configuration: `DOORMAN_TOPIC_ARN` is not set; set it to the ARN of the SNS topic alerts go to"
        );
        assert!(config(&[("DOORMAN_TOPIC_ARN", "doorman-alerts")])
            .unwrap_err()
            .to_string()
            .contains("not an SNS topic ARN"));
    }

    #[test]
    fn everything_else_has_defaults() {
        let c = config(&[
            ("DOORMAN_TOPIC_ARN", TOPIC),
            ("AWS_LAMBDA_FUNCTION_NAME", "doorman-fn"),
        ])
        .unwrap();
        assert_eq!(c.settings.suppressions, Suppressions::default());
        assert_eq!(
            c.settings.guarded.function_name.as_deref(),
            Some("doorman-fn")
        );
        assert_eq!(c.settings.guarded.topic_arn.as_deref(), Some(TOPIC));
        assert_eq!(c.settings.guarded.trail_name, None);
    }

    #[test]
    fn lists_and_severity_are_parsed_with_clear_errors() {
        let c = config(&[
            ("DOORMAN_TOPIC_ARN", TOPIC),
            ("DOORMAN_MIN_SEVERITY", "HIGH"),
            (
                "DOORMAN_IGNORE_RULES",
                "missing-logs, shared-execution-role",
            ),
            (
                "DOORMAN_IGNORE_PRINCIPALS",
                "arn:aws:iam::*:role/BreakGlass*,",
            ),
        ])
        .unwrap();
        assert_eq!(c.settings.suppressions.min_severity, Severity::High);
        assert_eq!(c.settings.suppressions.ignore_rules.len(), 2);
        assert_eq!(
            c.settings.suppressions.ignore_principals,
            vec!["arn:aws:iam::*:role/BreakGlass*"]
        );
        assert_eq!(
            config(&[("DOORMAN_TOPIC_ARN", TOPIC), ("DOORMAN_IGNORE_RULES", "admn-access")])
                .unwrap_err()
                .to_string(),
            "bad configuration: `DOORMAN_IGNORE_RULES`: unknown rule `admn-access`; did you mean `admin-access`?"
        );
        assert!(config(&[
            ("DOORMAN_TOPIC_ARN", TOPIC),
            ("DOORMAN_MIN_SEVERITY", "urgent")
        ])
        .unwrap_err()
        .to_string()
        .contains("unknown severity `urgent`"));
    }

    #[test]
    fn trusted_accounts_and_orgs_are_read_and_checked() {
        let c = config(&[
            ("DOORMAN_TOPIC_ARN", TOPIC),
            ("DOORMAN_TRUSTED_ACCOUNTS", " 444455556666, 777788889999 ,"),
            ("DOORMAN_TRUSTED_ORGS", "o-a1b2c3d4e5"),
        ])
        .unwrap();
        assert_eq!(
            c.settings.trusted_accounts,
            vec!["444455556666", "777788889999"]
        );
        assert_eq!(c.settings.trusted_orgs, vec!["o-a1b2c3d4e5"]);
        assert_eq!(
            config(&[
                ("DOORMAN_TOPIC_ARN", TOPIC),
                ("DOORMAN_TRUSTED_ACCOUNTS", "444455556666,12345")
            ])
            .unwrap_err()
            .to_string(),
            "bad configuration: `DOORMAN_TRUSTED_ACCOUNTS`: `12345` is not an AWS account id; it has 12 digits, e.g. `111122223333`"
        );
        assert_eq!(
            config(&[("DOORMAN_TOPIC_ARN", TOPIC), ("DOORMAN_TRUSTED_ORGS", "r-ab12")])
                .unwrap_err()
                .to_string(),
            "bad configuration: `DOORMAN_TRUSTED_ORGS`: `r-ab12` is not an organization id; it looks like `o-a1b2c3d4e5`"
        );
        let c = config(&[("DOORMAN_TOPIC_ARN", TOPIC)]).unwrap();
        assert!(c.settings.trusted_accounts.is_empty() && c.settings.trusted_orgs.is_empty());
    }

    #[test]
    fn doormans_own_names_are_read_and_checked() {
        let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let queue = "arn:aws:sqs:us-east-1:111122223333:doorman-failures";
        let c = config(&[
            ("DOORMAN_TOPIC_ARN", TOPIC),
            ("DOORMAN_ROLE_NAME", "doorman-DoormanRole-1A2B"),
            ("DOORMAN_KEY_ARN", key),
            ("DOORMAN_QUEUE_ARN", queue),
            ("DOORMAN_LOG_GROUP", "/aws/lambda/doorman"),
            ("DOORMAN_FUNCTION_NAME", "doorman"),
            ("AWS_LAMBDA_FUNCTION_NAME", "doorman-Function-X"),
        ])
        .unwrap();
        let g = c.settings.guarded;
        assert_eq!(g.role_name.as_deref(), Some("doorman-DoormanRole-1A2B"));
        assert_eq!(g.key_arn.as_deref(), Some(key));
        assert_eq!(g.queue_arn.as_deref(), Some(queue));
        assert_eq!(g.log_group.as_deref(), Some("/aws/lambda/doorman"));
        assert_eq!(g.function_name.as_deref(), Some("doorman"));
        assert_eq!(
            g.runtime_function_name.as_deref(),
            Some("doorman-Function-X")
        );
        assert_eq!(
            config(&[("DOORMAN_TOPIC_ARN", TOPIC), ("DOORMAN_KEY_ARN", "alias/doorman")])
                .unwrap_err()
                .to_string(),
            "bad configuration: `DOORMAN_KEY_ARN` is `alias/doorman`, not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID); an alias cannot be matched with the key id KMS events carry"
        );
        assert!(config(&[
            ("DOORMAN_TOPIC_ARN", TOPIC),
            (
                "DOORMAN_QUEUE_ARN",
                "https://sqs.us-east-1.amazonaws.com/111122223333/q"
            )
        ])
        .unwrap_err()
        .to_string()
        .contains("not an SQS queue ARN"));
    }
}
