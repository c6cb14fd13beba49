//! Organization mode (SPEC §14): one doorman judges the events every
//! member account forwards to its bus. An event of another account is
//! judged with a resolver working in that account (its `doorman-reader`
//! role), and calls on the member side (member.yaml's rules and roles) are
//! `guardrail-tampering` there. The central account's own events are judged
//! as in single-account mode.
//!
//! A member's daily "audit this account" event ([`Pipeline::audit_member`])
//! runs the scheduled audit (`audit::reconcile`) in that account through
//! the same cached doorman-reader credentials, with the reports under the
//! account's own prefix and one digest naming the account.

use super::guard::short_name;
use super::{Evaluation, HandlerError, Pipeline};
use crate::audit::reconcile::{self, Outcome, ReconcileError, ReconcileSettings, ScheduledRun};
use crate::event::{EventInfo, GuardrailCall, GuardrailTarget};
use crate::notify::Notifier;
use crate::resolve::reports::{MemberAccounts, ReportStore};
use crate::resolve::{ResolveError, Resolver};
use serde_json::Value;

pub use crate::alert::subject_with_account;
pub use crate::resolve::{MemberResolvers, NoMembers, READER_ROLE};

/// The organization deployment, as the central stack configures it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organization {
    /// `o-...` (`DOORMAN_ORGANIZATION_ID`).
    pub id: String,
    /// The account doorman runs in: its events are not a member's.
    pub own_account: String,
    /// member.yaml's `NamePrefix` (the central stack's; `DOORMAN_NAME_PREFIX`).
    pub name_prefix: String,
}

impl Organization {
    /// The member account an event is of, when it is not doorman's own.
    /// An event without an account is judged as doorman's own (as in
    /// single-account mode): there is no other account to read.
    pub fn member<'a>(&self, account: &'a str) -> Option<&'a str> {
        (!account.is_empty() && account != self.own_account).then_some(account)
    }

    /// Which part of the member side a call is on, if any (for the
    /// finding's wording).
    pub fn member_target(&self, call: &GuardrailCall) -> Option<&'static str> {
        let p = &self.name_prefix;
        match call.target {
            GuardrailTarget::EventRule => {
                let name = short_name(&call.resource);
                if name == format!("{p}-forward-changes") {
                    Some("the rule that forwards this account's changes to doorman")
                } else if name == format!("{p}-forward-tampering") {
                    Some("the rule that forwards this account's tampering events to doorman")
                } else if name == format!("{p}-audit") {
                    Some("the rule that asks doorman to audit this account daily")
                } else {
                    None
                }
            }
            GuardrailTarget::Role => {
                let name = crate::resolve::role_name(&call.resource);
                if name.eq_ignore_ascii_case(READER_ROLE) {
                    Some("the role doorman reads this account with (doorman-reader)")
                } else if name
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}-forward-", p.to_ascii_lowercase()))
                {
                    Some("the role that forwards this account's events to doorman")
                } else {
                    None
                }
            }
            GuardrailTarget::Stack => self
                .is_member_stack(&short_name(&call.resource))
                .then_some("the StackSet instance that deploys doorman's member side here"),
            _ => None,
        }
    }

    /// The StackSet that deploys member.yaml: `<NamePrefix>-member` (README
    /// "Deploy for an organization"), by name, `name:id` or ARN.
    pub fn stack_set_name(&self) -> String {
        format!("{}-member", self.name_prefix)
    }

    /// Which part of the organization deployment a call in doorman's own
    /// account is on: the StackSet that puts the member side in every
    /// account (its calls are recorded where it lives, the management or
    /// delegated-administrator account, which is the central stack's), or
    /// the rule that watches it (`<NamePrefix>-stackset-tampering`).
    pub fn own_target(&self, call: &GuardrailCall) -> Option<&'static str> {
        let name = short_name(&call.resource);
        match call.target {
            GuardrailTarget::StackSet => {
                let name = name.split_once(':').map_or(name.as_str(), |(n, _)| n);
                (name == self.stack_set_name())
                    .then_some("the StackSet that deploys doorman's member side to every account")
            }
            GuardrailTarget::EventRule => (name == format!("{}-stackset-tampering", self.name_prefix))
                .then_some("doorman's StackSet tamper rule (it watches the StackSet that deploys the member side)"),
            _ => None,
        }
    }

    /// A stack of member.yaml: the StackSet's instance,
    /// `StackSet-<NamePrefix>-member-<uuid>` (CloudFormation names each
    /// instance's stack so), or one deployed by hand as `<NamePrefix>-member`
    /// (the management account, which service-managed StackSets skip).
    /// Stack names are case-sensitive.
    fn is_member_stack(&self, stack: &str) -> bool {
        let set = self.stack_set_name();
        stack == set
            || stack
                .strip_prefix("StackSet-")
                .and_then(|rest| rest.strip_prefix(set.as_str()))
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(is_uuid)
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What a member's "audit this account" event became.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum MemberAudit {
    /// The audit ran: where its reports are, and its digest (if any).
    Done(Outcome),
    /// The event is not member.yaml's audit event, or the account cannot be
    /// read: an `unprocessable-event` naming the account (published).
    Unprocessable(Evaluation),
    /// The stack has no report bucket (`AuditSchedule` is empty): nothing
    /// is audited, and the log says so.
    NoReportBucket,
}

/// Why a member's audit failed the invocation (Lambda retries it, then
/// keeps the event in the failure queue).
#[derive(Debug, thiserror::Error)]
pub enum MemberAuditError {
    #[error(transparent)]
    Handler(#[from] HandlerError),
    #[error("account {account}: {error}")]
    Audit {
        account: String,
        error: ReconcileError,
    },
}

impl<R: Resolver, N: Notifier, M: MemberResolvers> Pipeline<R, N, M> {
    /// Runs the scheduled audit a member account's daily event asks for
    /// (SPEC §14), or `None` when `event` is not a member's audit event (or
    /// doorman is not deployed for an organization). The account is read
    /// through `accounts` (its doorman-reader, the credentials cached with
    /// those of change events); its reports go under `audit/<account>/` in
    /// `store`; one digest names the account.
    pub async fn audit_member<A: MemberAccounts, S: ReportStore>(
        &self,
        accounts: &A,
        store: Option<&S>,
        settings: &ReconcileSettings,
        event: &Value,
    ) -> Option<Result<MemberAudit, MemberAuditError>> {
        let org = self.organization.as_ref()?;
        let run = ScheduledRun::for_member(event, &org.own_account, &org.name_prefix)?;
        Some(
            self.run_member_audit(accounts, store, settings, event, run)
                .await,
        )
    }

    async fn run_member_audit<A: MemberAccounts, S: ReportStore>(
        &self,
        accounts: &A,
        store: Option<&S>,
        settings: &ReconcileSettings,
        event: &Value,
        run: Result<ScheduledRun, String>,
    ) -> Result<MemberAudit, MemberAuditError> {
        let mut run = match run {
            Ok(run) => run,
            // Refused before any role is assumed.
            Err(reason) => return self.audit_refused(event, &reason).await,
        };
        let Some(store) = store else {
            tracing::warn!(event_id = %run.id, account = %run.account, "member audit event ignored: DOORMAN_REPORT_BUCKET is not set (AuditSchedule is empty)");
            return Ok(MemberAudit::NoReportBucket);
        };
        let source = match accounts.account(&run.account, &run.region).await {
            Ok(source) => source,
            Err(ResolveError::Transient(reason)) => {
                return Err(HandlerError::Transient {
                    event_id: run.id,
                    reason,
                }
                .into())
            }
            Err(e) => return self.audit_refused(event, &e.to_string()).await,
        };
        run.account_name = self.members.account_name(&run.account).await;
        reconcile::run(&source, store, &self.notifier, settings, &run)
            .await
            .map(MemberAudit::Done)
            .map_err(|error| MemberAuditError::Audit {
                account: run.account.clone(),
                error,
            })
    }

    /// The `unprocessable-event` for an audit event doorman will not (or
    /// cannot) run, published.
    async fn audit_refused(
        &self,
        event: &Value,
        reason: &str,
    ) -> Result<MemberAudit, MemberAuditError> {
        let text = |k: &str| {
            event
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let info = EventInfo {
            id: text("id"),
            name: reconcile::EVENT_NAME.to_string(),
            time: text("time"),
            account: text("account"),
            region: text("region"),
            actor: "doorman (scheduled audit)".to_string(),
            service: "events".to_string(),
            ..Default::default()
        };
        let account = info.account.clone();
        // The subject names the account only when it is an account id.
        let member = crate::resolve::is_account_id(&account).then_some(account.as_str());
        let evaluation = self.unprocessable(info, reason);
        let evaluation = self.name_account(member, &account, evaluation).await;
        if let Some(alert) = evaluation.alert() {
            self.notifier
                .publish(alert)
                .await
                .map_err(HandlerError::from)?;
        }
        Ok(MemberAudit::Unprocessable(evaluation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Organization {
        Organization {
            id: "o-a1b2c3d4e5".into(),
            own_account: "999988887777".into(),
            name_prefix: "doorman".into(),
        }
    }

    fn call(target: GuardrailTarget, resource: &str) -> GuardrailCall {
        GuardrailCall {
            target,
            resource: resource.into(),
            effect: "deleted",
            detail: String::new(),
        }
    }

    #[test]
    fn only_other_accounts_are_members() {
        let o = org();
        assert_eq!(o.member("111122223333"), Some("111122223333"));
        assert_eq!(o.member("999988887777"), None);
        assert_eq!(o.member(""), None);
    }

    #[test]
    fn the_member_side_is_recognised_by_name_and_nothing_else() {
        let o = org();
        for (target, resource) in [
            (GuardrailTarget::EventRule, "doorman-forward-changes"),
            (
                GuardrailTarget::EventRule,
                "arn:aws:events:eu-west-1:111122223333:rule/doorman-forward-tampering",
            ),
            (GuardrailTarget::EventRule, "doorman-audit"),
            (GuardrailTarget::Role, "doorman-reader"),
            (GuardrailTarget::Role, "Doorman-Reader"),
            (GuardrailTarget::Role, "doorman-forward-eu-west-1"),
            (
                GuardrailTarget::Stack,
                "StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
            ),
            (
                GuardrailTarget::Stack,
                "arn:aws:cloudformation:eu-west-1:111122223333:stack/StackSet-doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9/5e6f7a80-91a2-11ef-b3c4-0a1b2c3d4e5f",
            ),
            (GuardrailTarget::Stack, "doorman-member"),
        ] {
            assert!(
                o.member_target(&call(target, resource)).is_some(),
                "{resource}"
            );
        }
        for (target, resource) in [
            (GuardrailTarget::EventRule, "doorman-changes"),
            (GuardrailTarget::EventRule, "other-forward-changes"),
            (GuardrailTarget::Role, "doorman-readers"),
            (GuardrailTarget::Role, "app"),
            (GuardrailTarget::Function, "doorman-reader"),
            // Another StackSet's instance, a near miss, another case.
            (
                GuardrailTarget::Stack,
                "StackSet-orders-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
            ),
            (
                GuardrailTarget::Stack,
                "StackSet-doorman-member-old-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
            ),
            (
                GuardrailTarget::Stack,
                "StackSet-Doorman-member-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9",
            ),
            (GuardrailTarget::Stack, "doorman"),
            (GuardrailTarget::StackSet, "doorman-member"),
        ] {
            assert!(
                o.member_target(&call(target, resource)).is_none(),
                "{resource}"
            );
        }
    }

    #[test]
    fn the_stack_set_and_its_rule_are_recognised_in_doormans_account() {
        let o = org();
        for (target, resource) in [
            (GuardrailTarget::StackSet, "doorman-member"),
            (
                GuardrailTarget::StackSet,
                "doorman-member:7c1d1f6a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
            ),
            (
                GuardrailTarget::StackSet,
                "arn:aws:cloudformation:us-east-1:999988887777:stackset/doorman-member:7c1d1f6a-2b3c-4d5e-8f90-a1b2c3d4e5f6",
            ),
            (GuardrailTarget::EventRule, "doorman-stackset-tampering"),
        ] {
            assert!(o.own_target(&call(target, resource)).is_some(), "{resource}");
        }
        for (target, resource) in [
            (GuardrailTarget::StackSet, "doorman-member-old"),
            (GuardrailTarget::StackSet, "orders"),
            (GuardrailTarget::StackSet, "doorman"),
            (GuardrailTarget::Stack, "doorman-member"),
            (GuardrailTarget::EventRule, "doorman-stackset-tampering-old"),
        ] {
            assert!(
                o.own_target(&call(target, resource)).is_none(),
                "{resource}"
            );
        }
    }
}
