//! The Lambda function: EventBridge delivers CloudTrail events, doorman
//! evaluates each and publishes at most one SNS alert. All logic is in the
//! library's `pipeline`; this file wires the AWS clients to it.
//!
//! The audit schedule's "Scheduled Event" (SPEC §12) goes to
//! `audit::reconcile` instead: a live audit, its reports in the bucket named
//! by `DOORMAN_REPORT_BUCKET`, and one digest of what is new. In
//! organization mode a member's forwarded "audit this account" event runs
//! the same audit in that account (`Pipeline::audit_member`).
//!
//! With `DiagnoseAccessDenied` on (`DOORMAN_ACCESS_DENIED_TABLE` set), a
//! denied call goes through `pipeline::access_denied` (SPEC §13): one
//! `access-denied` alert per Lambda role, action and resource a day.
//!
//! Configuration is read and checked once, before the first event; SDK
//! clients are built once and reused by every invocation. The SDK honours
//! `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_IAM`, `_LAMBDA`, `_SNS`), so the
//! same binary runs against an emulator.

use doorman::audit::reconcile::{self, ReconcileSettings, ScheduledRun};
use doorman::config::LambdaConfig;
use doorman::lint::Options;
use doorman::notify::sns::SnsNotifier;
use doorman::pipeline::access_denied::AccessDenied;
use doorman::pipeline::org::MemberAudit;
use doorman::pipeline::{MemberResolvers, Organization, Pipeline};
use doorman::resolve::assume::MemberReaders;
use doorman::resolve::aws::AwsResolver;
use doorman::resolve::dynamo::DynamoDedupe;
use doorman::resolve::s3::{LiveAccount, S3Reports};
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
    // The scheduled audit: set by the template only when `AuditSchedule`
    // is not empty.
    let reports = std::env::var("DOORMAN_REPORT_BUCKET")
        .ok()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .map(|bucket| S3Reports::new(&sdk, bucket));
    // The AccessDenied diagnosis: set by the template only when
    // `DiagnoseAccessDenied` is "true" (its dedupe table).
    let access_denied = std::env::var("DOORMAN_ACCESS_DENIED_TABLE")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .map(|table| AccessDenied::new(DynamoDedupe::new(&sdk, table)));
    let access_denied = &access_denied;
    let account = LiveAccount::new(&sdk);
    let reconcile_settings = ReconcileSettings {
        options: Options {
            trusted_accounts: config.settings.trusted_accounts.clone(),
            trusted_orgs: config.settings.trusted_orgs.clone(),
            ..Options::default()
        },
        suppressions: config.settings.suppressions.clone(),
    };
    // Member accounts are read through their doorman-reader (one set of
    // credentials per account, cached); unused in single-account mode.
    let partition = organization.as_ref().map_or("aws", |(_, p)| p.as_str());
    // The own account (from the topic's ARN) is named with doorman's own
    // role (iam:ListAccountAliases), never through an AssumeRole.
    let own = config.topic_arn.split(':').nth(4).unwrap_or_default();
    let members = MemberReaders::new(&sdk, partition).with_own_account(own);
    let pipeline = Pipeline {
        resolver: AwsResolver::new(&sdk),
        notifier: SnsNotifier::new(aws_sdk_sns::Client::new(&sdk), config.topic_arn.clone()),
        settings: config.settings,
        members,
        organization: organization.map(|(o, _)| o),
    };
    let pipeline = &pipeline;
    // This account (from the topic's ARN): only its own schedule starts a
    // reconcile; a member's forwarded audit event goes to the pipeline.
    let own_account = config
        .topic_arn
        .split(':')
        .nth(4)
        .unwrap_or_default()
        .to_string();
    let (reports, account, reconcile_settings) = (&reports, &account, &reconcile_settings);
    let own_account = own_account.as_str();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        if let Some(run) = ScheduledRun::from_event(&event.payload, own_account) {
            let mut run = run.inspect_err(|e| tracing::error!("{e}"))?;
            let Some(reports) = reports else {
                tracing::warn!(event_id = %run.id, "scheduled event ignored: DOORMAN_REPORT_BUCKET is not set (AuditSchedule is empty)");
                return Ok(serde_json::json!({"event_id": run.id, "audit": null}));
            };
            // The digest names the account by its alias too, when it has one.
            run.account_name = pipeline.members.account_name(&run.account).await;
            let outcome = reconcile::run(account, reports, &pipeline.notifier, reconcile_settings, &run)
                .await
                .inspect_err(|e| {
                    tracing::error!(request_id = %event.context.request_id, "{e}");
                })?;
            let published = outcome.alert.as_ref().map(|a| a.subject.clone());
            tracing::info!(
                event_id = %run.id,
                report = %outcome.json_key,
                previous = outcome.previous.as_deref().unwrap_or("none (baseline)"),
                findings = outcome.findings,
                new = outcome.new,
                alert = published.as_deref().unwrap_or("none"),
                "scheduled audit done"
            );
            return Ok(serde_json::json!({
                "event_id": run.id,
                "audit": {
                    "report": outcome.json_key,
                    "html": outcome.html_key,
                    "previous": outcome.previous,
                    "findings": outcome.findings,
                    "new": outcome.new,
                },
                "alert": published,
            }));
        }
        // A member account's daily "audit this account" (organization mode).
        if let Some(audit) = pipeline
            .audit_member(&pipeline.members, reports.as_ref(), reconcile_settings, &event.payload)
            .await
        {
            let audit = audit.inspect_err(|e| {
                tracing::error!(request_id = %event.context.request_id, "member audit: {e}");
            })?;
            return Ok(match audit {
                MemberAudit::Done(outcome) => {
                    let published = outcome.alert.as_ref().map(|a| a.subject.clone());
                    tracing::info!(
                        report = %outcome.json_key,
                        previous = outcome.previous.as_deref().unwrap_or("none (baseline)"),
                        findings = outcome.findings,
                        new = outcome.new,
                        alert = published.as_deref().unwrap_or("none"),
                        "member account audit done"
                    );
                    serde_json::json!({
                        "audit": {
                            "report": outcome.json_key,
                            "html": outcome.html_key,
                            "previous": outcome.previous,
                            "findings": outcome.findings,
                            "new": outcome.new,
                        },
                        "alert": published,
                    })
                }
                MemberAudit::Unprocessable(evaluation) => serde_json::json!({
                    "event_id": evaluation.event.id,
                    "audit": null,
                    "alert": evaluation.alert().map(|a| a.subject.clone()),
                }),
                MemberAudit::NoReportBucket => serde_json::json!({"audit": null}),
            });
        }
        let denied = match access_denied {
            Some(step) => step
                .handle(pipeline, &pipeline.resolver, &event.payload)
                .await
                .inspect_err(|e| {
                    tracing::error!(request_id = %event.context.request_id, "{e}");
                })?,
            None => None,
        };
        let evaluation = match denied {
            Some(evaluation) => evaluation,
            None => pipeline.handle(&event.payload).await.inspect_err(|e| {
                tracing::error!(request_id = %event.context.request_id, "{e}");
            })?,
        };
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
