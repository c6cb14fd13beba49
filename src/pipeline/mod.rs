//! The Lambda handler, generic over where context comes from and where
//! alerts go: decode → resolve → rules → alert → notify (SPEC §2).
//!
//! Error semantics (SPEC §2):
//! - a transient failure (throttling, timeout, 5xx after the SDK's retries,
//!   or SNS failing) is an `Err`: the invocation fails and Lambda retries;
//!   so is a role or policy that is not found within two minutes of the
//!   event's time (IAM is eventually consistent, SPEC §7);
//! - a permanent problem with one event (undecodable, a document that is not
//!   JSON, a policy that no longer exists) becomes an `unprocessable-event`
//!   alert, and the invocation succeeds;
//! - the README's self-test event (source `doorman.selftest`) is an info
//!   alert whose subject says SELF-TEST; any other event whose source is not
//!   AWS's (`aws.*`) is ignored: it was sent with `PutEvents`, not recorded;
//! - an irrelevant event or a failed call succeeds silently, except a failed
//!   call on one of doorman's own doors: a low `guardrail-tampering`
//!   (someone tried).
//!
//! In organization mode ([`org`], SPEC §14) an event of another account of
//! the organization is judged with a resolver working in that account; an
//! account doorman cannot read is an `unprocessable-event` naming it.
//!
//! `doorman replay` runs [`Pipeline::evaluate`] with the offline resolver;
//! the Lambda runs [`Pipeline::handle`], which also publishes.

pub mod access_denied;
mod checks;
mod guard;
pub mod org;
mod subject;
mod time;

pub use org::{MemberResolvers, NoMembers, Organization};

use crate::alert::{self, Alert, AlertInput, EventFinding, Subject, Suppressions};
use crate::event::{self, Decoded, EventInfo};
use crate::notify::{Notifier, NotifyError};
use crate::resolve::Resolver;
use crate::rules::account;
use serde_json::Value;
use std::collections::BTreeSet;

/// The names of doorman's own resources, to recognise tampering with them
/// (`guardrail-tampering`). Unset names are not watched, except trails:
/// without a configured trail name, any change to any trail counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guarded {
    /// `DOORMAN_FUNCTION_NAME`, else `AWS_LAMBDA_FUNCTION_NAME`.
    pub function_name: Option<String>,
    /// `AWS_LAMBDA_FUNCTION_NAME`, which Lambda sets and no update can
    /// change: doorman still knows itself after an update that rewrites
    /// `DOORMAN_FUNCTION_NAME`.
    pub runtime_function_name: Option<String>,
    pub change_rule_name: Option<String>,
    pub tamper_rule_name: Option<String>,
    pub topic_arn: Option<String>,
    pub trail_name: Option<String>,
    /// doorman's execution role (`DOORMAN_ROLE_NAME`).
    pub role_name: Option<String>,
    /// The KMS key of its topic, logs and queue (`DOORMAN_KEY_ARN`).
    pub key_arn: Option<String>,
    /// Its on-failure queue (`DOORMAN_QUEUE_ARN`).
    pub queue_arn: Option<String>,
    /// Its log group name (`DOORMAN_LOG_GROUP`).
    pub log_group: Option<String>,
    /// The scheduled audit's rule (`DOORMAN_RECONCILE_RULE_NAME`): disabled
    /// or deleted, the daily reconcile silently stops.
    pub reconcile_rule_name: Option<String>,
    /// The rule that watches the reconcile rule and the report bucket
    /// (`DOORMAN_AUDIT_TAMPER_RULE_NAME`).
    pub audit_tamper_rule_name: Option<String>,
    /// The rule that delivers denied calls to the AccessDenied diagnosis
    /// (`DOORMAN_ACCESS_DENIED_RULE_NAME`).
    pub access_denied_rule_name: Option<String>,
    /// The bucket of the audit reports (`DOORMAN_REPORT_BUCKET`): its
    /// policy, encryption, public access block and lifecycle keep the
    /// reports (a map of the account's weak spots) private and expiring.
    pub report_bucket: Option<String>,
}

/// Everything the pipeline needs to know about its deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub suppressions: Suppressions,
    pub guarded: Guarded,
    /// Accounts every cross-account rule treats as the owner's own
    /// (`DOORMAN_TRUSTED_ACCOUNTS`).
    pub trusted_accounts: Vec<String>,
    /// Organizations whose `aws:PrincipalOrgID` conditions guard a
    /// cross-account grant (`DOORMAN_TRUSTED_ORGS`); empty: any organization.
    pub trusted_orgs: Vec<String>,
}

/// What became of one event. One per event and short-lived, so the size
/// difference between the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not a change doorman evaluates (a failed call, an uncovered name).
    Ignored { reason: String },
    /// Evaluated: every finding before suppression, and the alert that is
    /// (or would be) published, if any.
    Evaluated {
        input: AlertInput,
        alert: Option<Alert>,
        /// Checks that could not run, and why (the offline resolver cannot
        /// fetch a role, for example).
        skipped: Vec<String>,
    },
}

/// One event's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub event: EventInfo,
    pub verdict: Verdict,
}

impl Evaluation {
    pub fn alert(&self) -> Option<&Alert> {
        match &self.verdict {
            Verdict::Evaluated { alert, .. } => alert.as_ref(),
            Verdict::Ignored { .. } => None,
        }
    }
}

/// Why an invocation fails (so that Lambda retries it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    #[error("transient failure on event `{event_id}`, to be retried: {reason}")]
    Transient { event_id: String, reason: String },
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// The pipeline with its resolver, notifier and settings, built once per
/// process and used for every event. In organization mode it also has
/// resolvers for the member accounts ([`Pipeline::for_organization`]).
#[derive(Debug)]
pub struct Pipeline<R, N, M = NoMembers> {
    pub resolver: R,
    pub notifier: N,
    pub settings: Settings,
    /// Resolvers for member accounts; used only with `organization`.
    pub members: M,
    pub organization: Option<Organization>,
}

impl<R: Resolver, N: Notifier> Pipeline<R, N> {
    pub fn new(resolver: R, notifier: N, settings: Settings) -> Self {
        Pipeline {
            resolver,
            notifier,
            settings,
            members: NoMembers,
            organization: None,
        }
    }

    /// Organization mode: events of accounts other than
    /// `organization.own_account` are judged through `members`.
    pub fn for_organization<M: MemberResolvers>(
        self,
        organization: Organization,
        members: M,
    ) -> Pipeline<R, N, M> {
        Pipeline {
            resolver: self.resolver,
            notifier: self.notifier,
            settings: self.settings,
            members,
            organization: Some(organization),
        }
    }
}

impl<R: Resolver, N: Notifier, M: MemberResolvers> Pipeline<R, N, M> {
    /// The member account `account` is, in organization mode.
    fn member_of<'a>(&self, account: &'a str) -> Option<&'a str> {
        self.organization.as_ref()?.member(account)
    }

    /// doorman's own names, against which tampering is judged: the
    /// deployment's for its own account; none for a member account, whose
    /// trails still count (member.yaml forwards every trail's changes) and
    /// whose member side is judged by [`Organization::member_target`].
    fn guarded_for(&self, member: Option<&str>) -> Guarded {
        match member {
            None => self.settings.guarded.clone(),
            Some(_) => Guarded::default(),
        }
    }

    /// `guardrail-tampering` for a call on the member side of `member`, or,
    /// in doorman's own account, on the StackSet that deploys it (and the
    /// rule that watches the StackSet).
    fn member_tampering(
        &self,
        member: Option<&str>,
        change: &event::Change,
    ) -> Option<EventFinding> {
        let org = self.organization.as_ref()?;
        let call = change.guardrail_call()?;
        let Some(account) = member else {
            let what = org.own_target(call)?;
            return Some(EventFinding {
                finding: account::guardrail_tampering(
                    call.effect,
                    &call.resource,
                    what,
                    &call.detail,
                ),
                document: None,
            });
        };
        let what = org.member_target(call)?;
        Some(EventFinding {
            finding: account::member_tampering(call.effect, &call.resource, what, account),
            document: None,
        })
    }

    /// The alert carries the account's name (alias) when it is known, and
    /// for a member account its subject names the account. The name is
    /// asked for only when there is an alert to send.
    async fn name_account(
        &self,
        member: Option<&str>,
        account: &str,
        mut evaluation: Evaluation,
    ) -> Evaluation {
        if let Verdict::Evaluated {
            input,
            alert: Some(alert),
            ..
        } = &mut evaluation.verdict
        {
            let name = match account {
                "" => None,
                account => self.members.account_name(account).await,
            };
            if name.is_some() {
                if let Some(named) =
                    alert::build_named(input, &self.settings.suppressions, name.as_deref())
                {
                    *alert = named;
                }
            }
            if let Some(account) = member {
                alert.subject =
                    alert::subject_with_account(&alert.subject, account, name.as_deref());
            }
        }
        evaluation
    }

    /// Evaluates one event without publishing.
    pub async fn evaluate(&self, event: &Value) -> Result<Evaluation, HandlerError> {
        let change = match event::decode(event) {
            Ok(Decoded::Change(change)) => change,
            Ok(Decoded::Ignored { info, reason }) => {
                tracing::debug!(event_id = %info.id, event_name = %info.name, %reason, "event ignored");
                return Ok(Evaluation {
                    event: info,
                    verdict: Verdict::Ignored { reason },
                });
            }
            Ok(Decoded::SelfTest { info }) => return Ok(self.self_test(info)),
            Err(e) => {
                let account = e.info.account.clone();
                let evaluation = self.unprocessable(*e.info, &e.reason);
                return Ok(self
                    .name_account(self.member_of(&account), &account, evaluation)
                    .await);
            }
        };
        let member = self.member_of(&change.info.account);
        let guarded = self.guarded_for(member);
        if let Some(code) = &change.error_code {
            let evaluation = self.failed_attempt(&guarded, member, &change, code);
            return Ok(self
                .name_account(member, &change.info.account, evaluation)
                .await);
        }
        let base = crate::rules::Context {
            trusted_accounts: self.settings.trusted_accounts.clone(),
            trusted_orgs: self.settings.trusted_orgs.clone(),
            ..Default::default()
        };
        let outcome = match member {
            None => checks::assess(&self.resolver, &guarded, &base, &change).await,
            Some(account) => match self
                .members
                .resolver_for(account, &change.info.region)
                .await
            {
                Ok(resolver) => checks::assess(&resolver, &guarded, &base, &change).await,
                Err(crate::resolve::ResolveError::Transient(reason)) => {
                    Err(checks::Stop::Transient(reason))
                }
                Err(e) => Err(checks::Stop::Unprocessable(e.to_string())),
            },
        };
        let evaluation = self.judged(outcome, &guarded, member, &change)?;
        Ok(self
            .name_account(member, &change.info.account, evaluation)
            .await)
    }

    /// The evaluation of an assessed change (or why it could not be).
    fn judged(
        &self,
        outcome: Result<checks::Assessment, checks::Stop>,
        guarded: &Guarded,
        member: Option<&str>,
        change: &event::Change,
    ) -> Result<Evaluation, HandlerError> {
        let info = change.info.clone();
        match outcome {
            Ok(assessment) => {
                let mut findings = assessment.findings;
                findings.extend(self.member_tampering(member, change));
                let input = AlertInput {
                    event: info.clone(),
                    subject: assessment.subject,
                    change: assessment.change,
                    findings,
                    tag_ignored: assessment.tag_ignored,
                };
                let alert = alert::build(&input, &self.settings.suppressions);
                Ok(Evaluation {
                    event: info,
                    verdict: Verdict::Evaluated {
                        input,
                        alert,
                        skipped: assessment.skipped,
                    },
                })
            }
            Err(checks::Stop::Transient(reason)) => Err(HandlerError::Transient {
                event_id: info.id,
                reason,
            }),
            Err(checks::Stop::Unprocessable(reason)) => {
                let mut evaluation = self.unprocessable(info, &reason);
                // The event was decoded: the alert is about what it changed.
                if let Verdict::Evaluated { input, alert, .. } = &mut evaluation.verdict {
                    input.subject = subject::subject_of(&change.what);
                    input.findings.extend(checks::tampering(guarded, change));
                    input.findings.extend(self.member_tampering(member, change));
                    input.findings.extend(checks::suppressions_set(change));
                    *alert = alert::build(input, &self.settings.suppressions);
                }
                Ok(evaluation)
            }
        }
    }

    /// Evaluates one event and publishes its alert, if any.
    pub async fn handle(&self, event: &Value) -> Result<Evaluation, HandlerError> {
        let evaluation = self.evaluate(event).await?;
        if let Some(alert) = evaluation.alert() {
            self.notifier.publish(alert).await?;
        }
        Ok(evaluation)
    }

    /// A failed call (the decoder keeps only those on a door doorman
    /// depends on): on doorman's own resource it is a low
    /// `guardrail-tampering` (someone tried); on any other it is ignored,
    /// as every failed call is.
    fn failed_attempt(
        &self,
        guarded: &Guarded,
        member: Option<&str>,
        change: &event::Change,
        code: &str,
    ) -> Evaluation {
        let member_side = |call| {
            let org = self.organization.as_ref()?;
            match member {
                Some(_) => org.member_target(call),
                None => org.own_target(call),
            }
            .map(str::to_string)
        };
        let ours = change.guardrail_call().and_then(|call| {
            Some((
                call,
                guard::guarded_target(guarded, call).or_else(|| member_side(call))?,
            ))
        });
        let Some((call, what)) = ours else {
            let reason = format!("the call failed (`{code}`)");
            tracing::debug!(event_id = %change.info.id, event_name = %change.info.name, %reason, "event ignored");
            return Evaluation {
                event: change.info.clone(),
                verdict: Verdict::Ignored { reason },
            };
        };
        let input = AlertInput {
            event: change.info.clone(),
            subject: subject::subject_of(&change.what),
            change: format!(
                "made a call that would have {} `{}`, which failed (`{code}`)",
                call.effect, call.resource
            ),
            findings: vec![EventFinding {
                finding: account::guardrail_attempt(call.effect, &call.resource, &what, code),
                document: None,
            }],
            tag_ignored: BTreeSet::new(),
        };
        let alert = alert::build(&input, &self.settings.suppressions);
        Evaluation {
            event: change.info.clone(),
            verdict: Verdict::Evaluated {
                input,
                alert,
                skipped: Vec::new(),
            },
        }
    }

    /// The README's self-test event: an info alert whose subject says
    /// SELF-TEST, about the event itself, never a judgement of the call its
    /// record names (anyone allowed `events:PutEvents` can send it).
    fn self_test(&self, info: EventInfo) -> Evaluation {
        tracing::info!(event_id = %info.id, "self-test event");
        let input = AlertInput {
            subject: Subject {
                kind: "event".to_string(),
                arn: None,
                name: info.id.clone(),
            },
            change: format!(
                "is a SELF-TEST (source `{}`): not a real change",
                event::SELF_TEST_SOURCE
            ),
            findings: vec![EventFinding {
                finding: account::self_test(&info.id, event::SELF_TEST_SOURCE),
                document: None,
            }],
            tag_ignored: BTreeSet::new(),
            event: info.clone(),
        };
        let alert = alert::build(&input, &self.settings.suppressions).map(|mut alert| {
            alert.subject = alert::SELF_TEST_SUBJECT.to_string();
            alert
        });
        Evaluation {
            event: info,
            verdict: Verdict::Evaluated {
                input,
                alert,
                skipped: Vec::new(),
            },
        }
    }

    fn unprocessable(&self, info: EventInfo, reason: &str) -> Evaluation {
        tracing::warn!(event_id = %info.id, %reason, "event cannot be evaluated");
        let input = AlertInput {
            subject: Subject {
                kind: "event".to_string(),
                arn: None,
                // Empty when the event has no id: the alert then says
                // "an unidentified event".
                name: info.id.clone(),
            },
            change: "could not be evaluated".to_string(),
            findings: vec![EventFinding {
                finding: account::unprocessable_event(&info.id, reason),
                document: None,
            }],
            tag_ignored: BTreeSet::new(),
            event: info.clone(),
        };
        let alert = alert::build(&input, &self.settings.suppressions);
        Evaluation {
            event: info,
            verdict: Verdict::Evaluated {
                input,
                alert,
                skipped: Vec::new(),
            },
        }
    }
}
