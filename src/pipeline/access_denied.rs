//! The Lambda's AccessDenied diagnosis (SPEC §13, `DiagnoseAccessDenied`):
//! a call refused to a session of a Lambda execution role becomes one
//! `access-denied` alert (low) naming the door that refused it and the one
//! statement to add, at most once per role, action and resource a day.
//!
//! Only when the deployment turns it on (the template then sets
//! `DOORMAN_ACCESS_DENIED_TABLE` and adds the rule that delivers denied
//! calls); otherwise a denied call is a failed call, as it always was.
//! The diagnosis is `doorman tighten`'s ([`crate::tighten::denied`]), read
//! from the single record the event carries.
//!
//! For each denied call, in this order (cheapest first):
//! 1. the pipeline judges it as any failed call: an attempt on doorman's
//!    own doors is `guardrail-tampering` and nothing more is done;
//! 2. the caller must be a session of a role (`userIdentity.sessionContext
//!    .sessionIssuer`); an IAM user, a root or service call is not judged,
//!    nor are doorman's own roles (a refusal of doorman's own call would
//!    otherwise be handled by the same call, refused again: a loop);
//! 3. the alert is built, so that a suppressed one (minimum severity above
//!    low, `access-denied` ignored, an ignored principal) costs no call;
//! 4. the role must trust `lambda.amazonaws.com`: one `GetRole` per role,
//!    remembered for the execution environment (bounded); other roles'
//!    denials are dropped quietly (debug log);
//! 5. the (role, action, resource) key is claimed in the dedupe table for
//!    24 hours; only the first claim publishes.
//!
//! Error semantics (SPEC §2): throttling of `GetRole` and any failure of
//! the dedupe table fail the invocation, so Lambda retries; so does a
//! failed publish, after releasing its claim so that the retry can claim
//! the key again. The same event delivered twice alerts once. A role whose trust cannot be
//! read for good (a refused `GetRole`, a member account doorman cannot
//! assume into) is an `unprocessable-event`, deduplicated the same way.

use super::{time, Evaluation, HandlerError, MemberResolvers, Pipeline, Verdict};
use crate::alert::{self, AlertInput, EventFinding, Subject};
use crate::event::{EventInfo, CLOUDTRAIL_DETAIL_TYPE};
use crate::notify::Notifier;
use crate::resolve::denied::{Claim, DedupeEntry, DedupeStore, RoleTrust};
use crate::resolve::{ResolveError, Resolver};
use crate::rules::execution_role::{is_lambda_trusted, ExecutionRole};
use crate::rules::{account, Finding, RuleId, Severity};
use crate::tighten::denied::{self, Diagnosis};
use crate::tighten::{actions, evidence};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long one alert covers a role, action and resource (SPEC §13).
pub const DEDUPE_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// The most roles whose trust one execution environment remembers. A role
/// ARN is under 2 KB, so the cache stays under a few MB of the function's
/// 128; when full it is emptied and refilled (one `GetRole` per role again).
pub const TRUST_CACHE_MAX: usize = 1024;

/// DynamoDB keys are at most 2,048 bytes; a longer (role, action,
/// resource) is clipped and a hash of the whole appended.
const MAX_KEY_BYTES: usize = 1024;

/// The step, built once per process when the table is configured.
#[derive(Debug)]
pub struct AccessDenied<D> {
    store: D,
    /// Role ARN → whether it trusts Lambda.
    trust: Mutex<HashMap<String, bool>>,
    /// Denied calls dropped because their role does not trust Lambda.
    dropped: AtomicU64,
    /// Denied calls already alerted within the window.
    duplicates: AtomicU64,
}

/// What one denied call is, read from its record.
struct Denial {
    role: String,
    diagnosis: Diagnosis,
}

/// Whether a role may be a function's: known, not, or not knowable.
enum Trust {
    Lambda,
    NotLambda,
    Unknown(String),
}

/// The `errorCode` of `event` when it is a call refused for lack of
/// permission, recorded by CloudTrail (an EventBridge event of an `aws.*`
/// source, or a bare record). Anything else is not this step's.
pub fn denied_code(event: &Value) -> Option<&str> {
    let record = if event.get("detail-type").is_some() || event.get("detail").is_some() {
        let source = event.get("source").and_then(Value::as_str)?;
        if event.get("detail-type").and_then(Value::as_str) != Some(CLOUDTRAIL_DETAIL_TYPE)
            || !source.starts_with("aws.")
        {
            return None;
        }
        event.get("detail")?
    } else {
        event
    };
    let code = record.get("errorCode")?.as_str()?;
    denied::is_denied(code).then_some(code)
}

/// The dedupe key of a denial: role ARN, action and resource, one per line
/// (none of them holds a newline that matters: a longer key is clipped and
/// hashed, so two keys never collide by clipping).
pub fn dedupe_key(role: &str, action: &str, resource: &str) -> String {
    let key = format!("{role}\n{action}\n{resource}");
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    // FNV-1a, 64 bits: stable across builds (the key outlives a deploy).
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut end = MAX_KEY_BYTES - 20;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...#{hash:016x}", &key[..end])
}

impl<D: DedupeStore> AccessDenied<D> {
    pub fn new(store: D) -> Self {
        AccessDenied {
            store,
            trust: Mutex::new(HashMap::new()),
            dropped: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
        }
    }

    /// Handles `event` if it is a denied call (`None` otherwise: the
    /// pipeline's, as before). `own` reads roles of doorman's own account;
    /// in organization mode a member's roles are read through
    /// `pipeline.members`. Publishes at most one alert.
    pub async fn handle<R, N, M, T>(
        &self,
        pipeline: &Pipeline<R, N, M>,
        own: &T,
        event: &Value,
    ) -> Result<Option<Evaluation>, HandlerError>
    where
        R: Resolver,
        N: Notifier,
        M: MemberResolvers,
        M::Resolver: RoleTrust,
        T: RoleTrust,
    {
        if denied_code(event).is_none() {
            return Ok(None);
        }
        // 1. As any failed call first: an attempt on doorman's own doors.
        let evaluation = pipeline.evaluate(event).await?;
        let info = match evaluation.verdict {
            Verdict::Evaluated { .. } => {
                if let Some(alert) = evaluation.alert() {
                    pipeline.notifier.publish(alert).await?;
                }
                return Ok(Some(evaluation));
            }
            Verdict::Ignored { .. } => evaluation.event,
        };
        // 2. A session of a role.
        let Some(denial) = read_denial(event) else {
            return Ok(Some(ignored(
                info,
                "a denied call, but not by a session of a role".to_string(),
            )));
        };
        let member = pipeline
            .organization
            .as_ref()
            .and_then(|o| o.member(&info.account))
            .map(str::to_string);
        if is_doormans_own(&pipeline.settings.guarded, member.as_deref(), &denial.role) {
            tracing::warn!(event_id = %info.id, role = %denial.role, action = %denial.diagnosis.action, "doorman's own role was refused a call: not diagnosed (the refused invocation fails and alarms)");
            return Ok(Some(ignored(
                info,
                format!(
                    "`{}` is doorman's own role: diagnosing its refusal could be refused again, each refusal an event for the next",
                    denial.role
                ),
            )));
        }
        // 3. An alert that would be suppressed costs no call.
        let input = access_denied_input(&info, &denial);
        if alert::build(&input, &pipeline.settings.suppressions).is_none() {
            return Ok(Some(ignored(
                info,
                "access-denied is suppressed by this deployment's settings".to_string(),
            )));
        }
        // 4. A Lambda role.
        let trust = match self
            .trust_of(pipeline, own, member.as_deref(), &info, &denial.role)
            .await?
        {
            Some(t) => t,
            None => {
                return Ok(Some(ignored(
                    info,
                    format!("role `{}` no longer exists", denial.role),
                )))
            }
        };
        let input = match trust {
            Trust::Lambda => input,
            Trust::NotLambda => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::debug!(event_id = %info.id, role = %denial.role, dropped, "denied call of a role that does not trust Lambda: dropped");
                return Ok(Some(ignored(
                    info,
                    format!("role `{}` does not trust lambda.amazonaws.com", denial.role),
                )));
            }
            Trust::Unknown(reason) => unknown_trust_input(&info, &denial, &reason),
        };
        // 5. Once a day per role, action and resource.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let d = &denial.diagnosis;
        let entry = DedupeEntry {
            key: dedupe_key(&denial.role, &d.action, &d.resource),
            role: denial.role.clone(),
            action: d.action.clone(),
            resource: d.resource.clone(),
            event_id: info.id.clone(),
            now,
            expires_at: now + DEDUPE_WINDOW.as_secs() as i64,
        };
        match self.store.claim(&entry).await {
            Ok(Claim::First) => {}
            Ok(Claim::Duplicate) => {
                let duplicates = self.duplicates.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::debug!(event_id = %info.id, role = %denial.role, action = %d.action, resource = %d.resource, duplicates, "denied call already alerted within 24 hours");
                return Ok(Some(ignored(
                    info,
                    format!(
                        "`{}` on `{}` by role `{}` was already alerted within 24 hours",
                        d.action, d.resource, denial.role
                    ),
                )));
            }
            Err(reason) => {
                return Err(HandlerError::Transient {
                    event_id: info.id,
                    reason,
                })
            }
        }
        let alert = alert::build(&input, &pipeline.settings.suppressions);
        let account = info.account.clone();
        let evaluation = Evaluation {
            event: info,
            verdict: Verdict::Evaluated {
                input,
                alert,
                skipped: Vec::new(),
            },
        };
        // The account's alias and, for a member, its id in the subject, as
        // on every alert.
        let evaluation = pipeline
            .name_account(member.as_deref(), &account, evaluation)
            .await;
        if let Some(alert) = evaluation.alert() {
            if let Err(e) = pipeline.notifier.publish(alert).await {
                // Lambda retries the event: it must find the key free.
                if let Err(release) = self.store.release(&entry).await {
                    tracing::warn!(event_id = %entry.event_id, %release, "the dedupe claim of an unpublished alert could not be released: the retry will take it for a duplicate");
                }
                return Err(e.into());
            }
        }
        Ok(Some(evaluation))
    }

    /// Whether `role` trusts Lambda: remembered, or one `GetRole` in the
    /// role's account. `None`: the role no longer exists.
    async fn trust_of<R, N, M, T>(
        &self,
        pipeline: &Pipeline<R, N, M>,
        own: &T,
        member: Option<&str>,
        info: &EventInfo,
        role: &str,
    ) -> Result<Option<Trust>, HandlerError>
    where
        R: Resolver,
        N: Notifier,
        M: MemberResolvers,
        M::Resolver: RoleTrust,
        T: RoleTrust,
    {
        if let Some(known) = self.trust.lock().ok().and_then(|c| c.get(role).copied()) {
            return Ok(Some(if known {
                Trust::Lambda
            } else {
                Trust::NotLambda
            }));
        }
        let name = crate::resolve::role_name(role);
        let fetched = match member {
            None => own.trust_policy(name).await,
            Some(account) => match pipeline.members.resolver_for(account, &info.region).await {
                Ok(resolver) => resolver.trust_policy(name).await,
                Err(e) => Err(e),
            },
        };
        let text = match fetched {
            Ok(text) => text,
            Err(ResolveError::Transient(reason)) => {
                return Err(HandlerError::Transient {
                    event_id: info.id.clone(),
                    reason,
                })
            }
            // IAM is eventually consistent (SPEC §7): a role just created
            // may not be readable yet.
            Err(ResolveError::NotFound(reason))
                if time::within_consistency_window(&info.time, SystemTime::now()) =>
            {
                return Err(HandlerError::Transient {
                    event_id: info.id.clone(),
                    reason,
                })
            }
            Err(ResolveError::NotFound(_)) => return Ok(None),
            Err(e) => return Ok(Some(Trust::Unknown(e.to_string()))),
        };
        let trust = match crate::policy::parse_document(&text) {
            Ok(policy) => is_lambda_trusted(&ExecutionRole {
                name: name.to_string(),
                arn: Some(role.to_string()),
                trust: Some(policy),
                policies: Vec::new(),
            }),
            Err(e) => {
                return Ok(Some(Trust::Unknown(format!(
                    "the trust policy of role `{role}` is not a valid policy: {e}"
                ))))
            }
        };
        if let Ok(mut cache) = self.trust.lock() {
            if cache.len() >= TRUST_CACHE_MAX {
                cache.clear();
            }
            cache.insert(role.to_string(), trust);
        }
        Ok(Some(if trust {
            Trust::Lambda
        } else {
            Trust::NotLambda
        }))
    }
}

/// Whether `role` is doorman's: its execution role in its own account, or
/// `doorman-reader` in a member account. Their refusals come from doorman's
/// own calls (a `GetRole`, the dedupe write), and handling one would make
/// the same call, be refused again and feed the next event: a loop.
fn is_doormans_own(guarded: &super::Guarded, member: Option<&str>, role: &str) -> bool {
    let name = crate::resolve::role_name(role);
    match member {
        None => guarded.role_name.as_deref() == Some(name),
        Some(_) => name.eq_ignore_ascii_case(crate::resolve::READER_ROLE),
    }
}

/// The role and the diagnosis of the event's denied call, when a role's
/// session made it. The record is read by `doorman tighten`'s own reader.
fn read_denial(event: &Value) -> Option<Denial> {
    let text = serde_json::to_vec(event).ok()?;
    let mut out = None;
    // One event holds one record; a parse error leaves `out` empty.
    let _ = evidence::parse(&text, &mut |r| {
        if out.is_some() || !r.error_code.as_deref().is_some_and(denied::is_denied) {
            return;
        }
        let (Some(role), Some(source), Some(name)) = (
            r.role_arn(),
            r.event_source.as_deref(),
            r.event_name.as_deref(),
        ) else {
            return;
        };
        let mapping = actions::map(source, name);
        out = Some(Denial {
            role: role.to_string(),
            diagnosis: denied::diagnose_call(r, role, mapping, None, None),
        });
    });
    out
}

fn ignored(event: EventInfo, reason: String) -> Evaluation {
    tracing::debug!(event_id = %event.id, event_name = %event.name, %reason, "denied call not alerted");
    Evaluation {
        event,
        verdict: Verdict::Ignored { reason },
    }
}

fn role_subject(role: &str) -> Subject {
    Subject {
        kind: "role".to_string(),
        arn: Some(role.to_string()),
        name: crate::resolve::role_name(role).to_string(),
    }
}

fn refused(d: &Diagnosis) -> String {
    format!(
        "was refused (`{}`): `{}` on `{}`",
        d.error_code, d.action, d.resource
    )
}

/// The `access-denied` alert of a Lambda role's refused call.
fn access_denied_input(info: &EventInfo, denial: &Denial) -> AlertInput {
    AlertInput {
        event: info.clone(),
        subject: role_subject(&denial.role),
        change: refused(&denial.diagnosis),
        findings: vec![EventFinding {
            finding: finding(&denial.role, &denial.diagnosis),
            document: None,
        }],
        tag_ignored: BTreeSet::new(),
    }
}

/// `access-denied`: the door and the one statement to add.
pub fn finding(role: &str, d: &Diagnosis) -> Finding {
    let door = if d.explicit {
        format!("an explicit Deny in a {}", d.door.label())
    } else if d.door == denied::Door::NotStated {
        "a policy AWS's message does not name".to_string()
    } else {
        format!("no {} allows it", d.door.label())
    };
    let fix = match &d.statement {
        Some(statement) => format!("{}: {statement}", d.fix),
        None => d.fix.clone(),
    };
    Finding::new(
        RuleId::AccessDenied,
        Severity::Low,
        format!(
            "Lambda role `{}` was refused `{}` on `{}` (`{}`): {door}",
            crate::resolve::role_name(role),
            d.action,
            d.resource,
            d.error_code
        ),
        fix,
    )
}

/// A denied call of a role whose trust doorman could not read for good.
fn unknown_trust_input(info: &EventInfo, denial: &Denial, reason: &str) -> AlertInput {
    AlertInput {
        event: info.clone(),
        subject: role_subject(&denial.role),
        change: refused(&denial.diagnosis),
        findings: vec![EventFinding {
            finding: account::unprocessable_event(
                &info.id,
                &format!(
                    "doorman cannot tell whether role `{}` is a Lambda role, to diagnose its denied call: {reason}",
                    denial.role
                ),
            ),
            document: None,
        }],
        tag_ignored: BTreeSet::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Suppressions;
    use crate::notify::MemoryNotifier;
    use crate::pipeline::Settings;
    use crate::resolve::offline::OfflineResolver;
    use serde_json::json;
    use std::sync::atomic::AtomicBool;

    /// A real refusal of a Lambda role (tests/fixtures/tighten/public: the
    /// errorMessage is verbatim from AWS's CDK integration test), in the
    /// EventBridge envelope that delivers it, with `event_id`.
    fn cdk_denied(event_id: &str) -> Value {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/tighten/public/cdk-lambda-role-createbucket-denied.json"
        ));
        let file: Value = serde_json::from_str(text).unwrap();
        let mut record = file["Records"][0].clone();
        record["eventID"] = json!(event_id);
        json!({
            "version": "0",
            "id": format!("eb-{event_id}"),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.s3",
            "account": "053108159643",
            "time": "2026-07-08T14:02:13Z",
            "region": "us-east-1",
            "resources": [],
            "detail": record,
        })
    }

    const ROLE: &str =
        "arn:aws:iam::053108159643:role/IamDeniedCustomResourceSt-CrHandlerServiceRole2D0F6-UlztxgkpoGK1";
    const BUCKET: &str = "arn:aws:s3:::iam-denied-setup-27a9ec06-7d94-4a45-9318-e6f08c9aea4d";

    fn trust_of(service: &str) -> String {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        .to_string()
    }

    /// `GetRole` answers, counted.
    struct FakeTrust {
        answer: Mutex<Result<String, ResolveError>>,
        calls: AtomicU64,
    }

    impl FakeTrust {
        fn new(answer: Result<String, ResolveError>) -> Self {
            FakeTrust {
                answer: Mutex::new(answer),
                calls: AtomicU64::new(0),
            }
        }
        fn calls(&self) -> u64 {
            self.calls.load(Ordering::Relaxed)
        }
    }

    impl RoleTrust for FakeTrust {
        async fn trust_policy(&self, _name: &str) -> Result<String, ResolveError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            self.answer.lock().unwrap().clone()
        }
    }

    /// The table's condition, in memory; `failing` makes every put fail.
    #[derive(Default)]
    struct FakeStore {
        items: Mutex<HashMap<String, (String, i64)>>,
        failing: AtomicBool,
    }

    impl DedupeStore for FakeStore {
        async fn claim(&self, e: &DedupeEntry) -> Result<Claim, String> {
            if self.failing.load(Ordering::Relaxed) {
                return Err(
                    "dynamodb:PutItem on table `t`: ProvisionedThroughputExceededException".into(),
                );
            }
            let mut items = self.items.lock().unwrap();
            match items.get(&e.key) {
                Some((_, expires)) if *expires >= e.now => Ok(Claim::Duplicate),
                _ => {
                    items.insert(e.key.clone(), (e.event_id.clone(), e.expires_at));
                    Ok(Claim::First)
                }
            }
        }

        async fn release(&self, e: &DedupeEntry) -> Result<(), String> {
            let mut items = self.items.lock().unwrap();
            if items
                .get(&e.key)
                .is_some_and(|(event, _)| *event == e.event_id)
            {
                items.remove(&e.key);
            }
            Ok(())
        }
    }

    /// Publishes into memory unless told to fail.
    #[derive(Default)]
    struct FlakyNotifier {
        inner: MemoryNotifier,
        failing: AtomicBool,
    }

    impl Notifier for FlakyNotifier {
        async fn publish(
            &self,
            alert: &crate::alert::Alert,
        ) -> Result<(), crate::notify::NotifyError> {
            if self.failing.load(Ordering::Relaxed) {
                return Err(crate::notify::NotifyError {
                    event_id: alert.event_id().to_string(),
                    reason: "SNS: Throttling".into(),
                });
            }
            self.inner.publish(alert).await
        }
    }

    fn pipeline(min: Severity) -> Pipeline<OfflineResolver, MemoryNotifier> {
        Pipeline::new(
            OfflineResolver,
            MemoryNotifier::new(),
            Settings {
                suppressions: Suppressions {
                    min_severity: min,
                    ..Suppressions::default()
                },
                ..Settings::default()
            },
        )
    }

    #[tokio::test]
    async fn a_lambda_role_gets_one_alert_with_the_statement_to_add() {
        let p = pipeline(Severity::Low);
        let trust = FakeTrust::new(Ok(trust_of("lambda.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        let e = step.handle(&p, &trust, &cdk_denied("e-1")).await.unwrap();
        let alerts = p.notifier.take();
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(e.unwrap().alert(), Some(a));
        assert_eq!(a.body.findings.len(), 1);
        let f = &a.body.findings[0];
        assert_eq!((f.rule, f.severity), (RuleId::AccessDenied, Severity::Low));
        assert!(
            f.message.contains("no identity-based policy allows it"),
            "{}",
            f.message
        );
        assert!(f.message.contains("`s3:CreateBucket`"), "{}", f.message);
        let statement =
            format!(r#"{{"Effect":"Allow","Action":"s3:CreateBucket","Resource":"{BUCKET}"}}"#);
        assert!(f.fix.ends_with(&statement), "{}", f.fix);
        assert!(f.fix.contains(ROLE), "{}", f.fix);
        assert_eq!(a.body.subject.arn.as_deref(), Some(ROLE));
        assert_eq!(a.event_id(), "e-1");
        let items = step.store.items.lock().unwrap();
        assert!(items.contains_key(&format!("{ROLE}\ns3:CreateBucket\n{BUCKET}")));
    }

    #[tokio::test]
    async fn a_repeated_refusal_is_one_alert_and_one_get_role() {
        let p = pipeline(Severity::Low);
        let trust = FakeTrust::new(Ok(trust_of("lambda.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        for i in 0..50 {
            let e = step
                .handle(&p, &trust, &cdk_denied(&format!("e-{i}")))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(e.alert().is_some(), i == 0, "event {i}");
        }
        assert_eq!(p.notifier.take().len(), 1);
        assert_eq!(trust.calls(), 1, "the role's trust is cached");
        assert_eq!(step.duplicates.load(Ordering::Relaxed), 49);
    }

    #[tokio::test]
    async fn a_role_that_does_not_trust_lambda_is_dropped_quietly() {
        let p = pipeline(Severity::Low);
        let trust = FakeTrust::new(Ok(trust_of("ec2.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        for i in 0..3 {
            let e = step
                .handle(&p, &trust, &cdk_denied(&format!("e-{i}")))
                .await
                .unwrap()
                .unwrap();
            assert!(
                matches!(&e.verdict, Verdict::Ignored { reason } if reason.contains("does not trust"))
            );
        }
        assert!(p.notifier.take().is_empty());
        assert!(step.store.items.lock().unwrap().is_empty());
        assert_eq!(
            (trust.calls(), step.dropped.load(Ordering::Relaxed)),
            (1, 3)
        );
    }

    #[tokio::test]
    async fn a_failing_table_fails_the_invocation_and_the_retry_alerts() {
        let p = pipeline(Severity::Low);
        let trust = FakeTrust::new(Ok(trust_of("lambda.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        step.store.failing.store(true, Ordering::Relaxed);
        let err = step
            .handle(&p, &trust, &cdk_denied("e-1"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, HandlerError::Transient { event_id, reason } if event_id == "e-1" && reason.contains("PutItem")),
            "{err:?}"
        );
        assert!(p.notifier.take().is_empty());
        // Lambda retries the event once the table answers: one alert, and
        // the same event delivered again is a duplicate too.
        step.store.failing.store(false, Ordering::Relaxed);
        step.handle(&p, &trust, &cdk_denied("e-1")).await.unwrap();
        step.handle(&p, &trust, &cdk_denied("e-1")).await.unwrap();
        assert_eq!(p.notifier.take().len(), 1);
    }

    #[tokio::test]
    async fn a_failed_publish_releases_the_key_for_the_retry() {
        let p = Pipeline::new(
            OfflineResolver,
            FlakyNotifier::default(),
            Settings::default(),
        );
        let trust = FakeTrust::new(Ok(trust_of("lambda.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        p.notifier.failing.store(true, Ordering::Relaxed);
        let err = step
            .handle(&p, &trust, &cdk_denied("e-1"))
            .await
            .unwrap_err();
        assert!(matches!(err, HandlerError::Notify(_)), "{err:?}");
        assert!(
            step.store.items.lock().unwrap().is_empty(),
            "the claim is released"
        );
        p.notifier.failing.store(false, Ordering::Relaxed);
        step.handle(&p, &trust, &cdk_denied("e-1")).await.unwrap();
        assert_eq!(p.notifier.inner.take().len(), 1, "the retry publishes");
    }

    #[tokio::test]
    async fn throttled_get_role_fails_the_invocation_and_is_not_cached() {
        let p = pipeline(Severity::Low);
        let trust = FakeTrust::new(Err(ResolveError::Transient("GetRole: Throttling".into())));
        let step = AccessDenied::new(FakeStore::default());
        let err = step
            .handle(&p, &trust, &cdk_denied("e-1"))
            .await
            .unwrap_err();
        assert!(matches!(err, HandlerError::Transient { .. }), "{err:?}");
        *trust.answer.lock().unwrap() = Ok(trust_of("lambda.amazonaws.com"));
        step.handle(&p, &trust, &cdk_denied("e-1")).await.unwrap();
        assert_eq!((trust.calls(), p.notifier.take().len()), (2, 1));
    }

    #[tokio::test]
    async fn a_refused_get_role_is_one_unprocessable_event() {
        let p = pipeline(Severity::Low);
        let trust = FakeTrust::new(Err(ResolveError::Permanent(
            "GetRole `x`: AccessDenied: no".into(),
        )));
        let step = AccessDenied::new(FakeStore::default());
        step.handle(&p, &trust, &cdk_denied("e-1")).await.unwrap();
        step.handle(&p, &trust, &cdk_denied("e-2")).await.unwrap();
        let alerts = p.notifier.take();
        assert_eq!(alerts.len(), 1, "deduplicated like the diagnosis");
        let f = &alerts[0].body.findings[0];
        assert_eq!(f.rule, RuleId::UnprocessableEvent);
        assert!(
            f.message.contains("GetRole `x`: AccessDenied"),
            "{}",
            f.message
        );
    }

    #[tokio::test]
    async fn a_suppressed_alert_costs_no_call() {
        let p = pipeline(Severity::Medium);
        let trust = FakeTrust::new(Ok(trust_of("lambda.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        let e = step
            .handle(&p, &trust, &cdk_denied("e-1"))
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(e.verdict, Verdict::Ignored { .. }));
        assert_eq!(trust.calls(), 0);
        assert!(step.store.items.lock().unwrap().is_empty());
        assert!(p.notifier.take().is_empty());
    }

    #[tokio::test]
    async fn other_events_are_left_to_the_pipeline() {
        let p = pipeline(Severity::Low);
        let trust = FakeTrust::new(Ok(trust_of("lambda.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        let mut ok = cdk_denied("e-1");
        ok["detail"]["errorCode"] = Value::Null;
        let mut other_error = cdk_denied("e-2");
        other_error["detail"]["errorCode"] = json!("BucketAlreadyExists");
        // Sent with PutEvents, not recorded by CloudTrail.
        let mut forged = cdk_denied("e-3");
        forged["source"] = json!("my.app");
        for e in [ok, other_error, forged] {
            assert!(step.handle(&p, &trust, &e).await.unwrap().is_none());
        }
        assert_eq!(trust.calls(), 0);
        // An IAM user's refusal is a denied call, but of no role.
        let mut user = cdk_denied("e-4");
        user["detail"]["userIdentity"] = json!({"type": "IAMUser",
            "arn": "arn:aws:iam::053108159643:user/alice", "userName": "alice"});
        let e = step.handle(&p, &trust, &user).await.unwrap().unwrap();
        assert!(e.alert().is_none());
        assert_eq!(trust.calls(), 0);
    }

    #[tokio::test]
    async fn doormans_own_role_is_not_diagnosed() {
        let mut p = pipeline(Severity::Low);
        p.settings.guarded.role_name = Some(crate::resolve::role_name(ROLE).to_string());
        let trust = FakeTrust::new(Ok(trust_of("lambda.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        let e = step
            .handle(&p, &trust, &cdk_denied("e-1"))
            .await
            .unwrap()
            .unwrap();
        assert!(
            matches!(&e.verdict, Verdict::Ignored { reason } if reason.contains("doorman's own role"))
        );
        assert_eq!(trust.calls(), 0);
        assert!(step.store.items.lock().unwrap().is_empty());
        assert!(p.notifier.take().is_empty());
    }

    /// Member accounts read through a resolver of their own (offline
    /// here: it cannot read a trust policy), counted per account.
    #[derive(Default)]
    struct FakeMembers {
        asked: Mutex<Vec<String>>,
    }

    impl MemberResolvers for FakeMembers {
        type Resolver = OfflineResolver;

        async fn resolver_for(
            &self,
            account: &str,
            region: &str,
        ) -> Result<OfflineResolver, ResolveError> {
            self.asked
                .lock()
                .unwrap()
                .push(format!("{account} {region}"));
            Ok(OfflineResolver)
        }
    }

    #[tokio::test]
    async fn a_member_accounts_role_is_read_in_that_account() {
        let org = crate::pipeline::Organization {
            id: "o-a1b2c3d4e5".into(),
            own_account: "999988887777".into(),
            name_prefix: "doorman".into(),
        };
        let p = pipeline(Severity::Low).for_organization(org, FakeMembers::default());
        let own = FakeTrust::new(Ok(trust_of("lambda.amazonaws.com")));
        let step = AccessDenied::new(FakeStore::default());
        step.handle(&p, &own, &cdk_denied("e-1")).await.unwrap();
        assert_eq!(own.calls(), 0, "not read with doorman's own account's IAM");
        assert_eq!(
            *p.members.asked.lock().unwrap(),
            vec!["053108159643 us-east-1".to_string()]
        );
        // The member's resolver could not tell: one unprocessable-event,
        // naming the member account in the subject.
        let alerts = p.notifier.take();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].body.findings[0].rule, RuleId::UnprocessableEvent);
        assert!(
            alerts[0].subject.starts_with("[doorman] 053108159643 "),
            "{}",
            alerts[0].subject
        );
        // doorman-reader's own refusals in a member account are not diagnosed.
        let mut reader = cdk_denied("e-2");
        let text = reader.to_string().replace(
            "IamDeniedCustomResourceSt-CrHandlerServiceRole2D0F6-UlztxgkpoGK1",
            "doorman-reader",
        );
        reader = serde_json::from_str(&text).unwrap();
        let e = step.handle(&p, &own, &reader).await.unwrap().unwrap();
        assert!(
            matches!(&e.verdict, Verdict::Ignored { reason } if reason.contains("doorman's own role"))
        );
        assert_eq!(p.members.asked.lock().unwrap().len(), 1);
    }

    #[test]
    fn long_keys_are_clipped_and_hashed_apart() {
        let a = dedupe_key(
            "r",
            "s3:GetObject",
            &format!("arn:aws:s3:::b/{}a", "x".repeat(2000)),
        );
        let b = dedupe_key(
            "r",
            "s3:GetObject",
            &format!("arn:aws:s3:::b/{}b", "x".repeat(2000)),
        );
        assert!(a.len() <= MAX_KEY_BYTES && b.len() <= MAX_KEY_BYTES);
        assert_ne!(a, b);
        assert_eq!(dedupe_key("r", "a", "b"), "r\na\nb");
    }
}
