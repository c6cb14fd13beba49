//! Which rules judge which change (SPEC §4), with what the resolver fetches.
//!
//! Each kind of change has one function here; the rules themselves live in
//! `rules` (document rules, `managed`, `execution_role`, `lambda_config`,
//! `account`). What the resolver cannot know (offline) is skipped and said
//! so; what no longer exists makes the event unprocessable; a transient
//! failure stops the event so that Lambda retries it.

use super::guard::guarded_target;
use super::subject::{describe, function_name_or, subject_of};
use super::time::within_consistency_window;
use super::Guarded;
use crate::alert::{EventFinding, Subject};
use crate::catalog::managed::aws_managed_name;
use crate::event::{
    is_ignore_tag_key, Change, Function, GuardrailCall, GuardrailTarget, Identity, IdentityKind,
    What, HIDDEN_ENVIRONMENT,
};
use crate::policy::{parse_document, Policy};
use crate::resolve::{self, ResolveError, Resolver, RolePolicy};
use crate::rules::execution_role::{self, ExecutionRole, NamedPolicy};
use crate::rules::{self, account, lambda_config, managed, Context, Finding, PolicyKind, RuleId};
use std::collections::BTreeSet;

/// The tag whose value lists the rule ids to silence for a role or function.
pub const IGNORE_TAG: &str = crate::event::IGNORE_TAG_KEY;

/// Why an event's evaluation stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// Retry later: the invocation fails.
    Transient(String),
    /// This event cannot be judged: an `unprocessable-event` alert.
    Unprocessable(String),
}

/// The outcome of judging one change.
#[derive(Debug)]
pub(super) struct Assessment {
    pub subject: Subject,
    pub change: String,
    pub findings: Vec<EventFinding>,
    pub tag_ignored: BTreeSet<RuleId>,
    pub skipped: Vec<String>,
}

struct Judge<'a, R> {
    resolver: &'a R,
    /// Whether the event is so recent that IAM may not show what it names
    /// yet: a `NoSuchEntity` is then transient (SPEC §7).
    recent: bool,
    account: Option<String>,
    /// The deployment's trusted accounts and organizations.
    base: &'a Context,
    findings: Vec<EventFinding>,
    tag_ignored: BTreeSet<RuleId>,
    skipped: Vec<String>,
}

pub(super) async fn assess<R: Resolver>(
    resolver: &R,
    guarded: &Guarded,
    base: &Context,
    change: &Change,
) -> Result<Assessment, Stop> {
    let account = Some(change.info.account.clone()).filter(|a| !a.is_empty());
    let mut j = Judge {
        resolver,
        recent: within_consistency_window(&change.info.time, std::time::SystemTime::now()),
        account,
        base,
        findings: Vec::new(),
        tag_ignored: BTreeSet::new(),
        skipped: Vec::new(),
    };
    let what_changed = match &change.what {
        What::RoleTrust { role, document } => {
            let holder = Identity {
                kind: IdentityKind::Role,
                name: role.clone(),
            };
            j.holder_tags(&holder).await?;
            j.document(document, PolicyKind::Trust, None, None, "the trust policy")?;
            if change.info.name == "CreateRole" {
                format!("created {holder}")
            } else {
                format!("replaced the trust policy of {holder}")
            }
        }
        What::InlinePolicy {
            holder,
            policy_name,
            document,
        } => {
            j.holder_tags(holder).await?;
            let label = match policy_name {
                Some(p) => format!("inline policy `{p}`"),
                None => "the inline policy".to_string(),
            };
            j.document(document, PolicyKind::Permission, None, None, &label)?;
            match policy_name {
                Some(p) => format!("put inline policy `{p}` on {holder}"),
                None => format!("put an inline policy on {holder}"),
            }
        }
        What::AttachPolicy { holder, policy_arn } => {
            j.holder_tags(holder).await?;
            j.attached_policy(policy_arn, &holder.to_string(), None)
                .await?;
            format!("attached managed policy `{policy_arn}` to {holder}")
        }
        What::CreatePolicy {
            policy_name,
            document,
            ..
        } => {
            let label = match policy_name {
                Some(p) => format!("managed policy `{p}`"),
                None => "the managed policy".to_string(),
            };
            j.document(document, PolicyKind::Permission, None, None, &label)?;
            match policy_name {
                Some(p) => format!("created managed policy `{p}`"),
                None => "created a managed policy the event does not name".to_string(),
            }
        }
        What::DefaultPolicyVersion {
            policy_arn,
            version_id,
            document,
        } => {
            j.default_version(policy_arn, version_id.as_deref(), document.as_deref())
                .await?
        }
        What::BoundaryRemoved { holder } => {
            j.holder_tags(holder).await?;
            j.push(
                account::permissions_boundary_removed(&holder.to_string()),
                None,
            );
            format!("removed the permissions boundary of {holder}")
        }
        What::FunctionPermission {
            function,
            document,
            function_url_auth_type,
        } => {
            if let Some(function) = function {
                j.function_tags(function).await?;
            }
            let policy = j.document(
                document,
                PolicyKind::Resource,
                None,
                None,
                "the permission statement",
            )?;
            let url_auth_none = function_url_auth_type
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case("NONE"))
                || grants_public_url(&policy);
            // The resource rules may already have reported the statement's
            // `lambda:FunctionUrlAuthType` condition; one finding is enough.
            let reported = j
                .findings
                .iter()
                .any(|f| f.finding.rule == RuleId::PublicFunctionUrl);
            if url_auth_none && !reported {
                if let Some(f) =
                    lambda_config::public_function_url("NONE", function_name_or(function))
                {
                    j.push(f, None);
                }
            }
            format!(
                "added a statement to the resource policy of {}",
                describe(&subject_of(&change.what))
            )
        }
        What::FunctionUrl {
            function,
            auth_type,
        } => {
            if let Some(function) = function {
                j.function_tags(function).await?;
            }
            let auth = auth_type.as_deref().unwrap_or("(not given)");
            if let Some(f) = lambda_config::public_function_url(auth, function_name_or(function)) {
                j.push(f, None);
            }
            match function {
                Some(f) => format!("set the function URL of `{}` to `AuthType: {auth}`", f.name),
                None => format!(
                    "set the function URL of a function the event does not name to `AuthType: {auth}`"
                ),
            }
        }
        What::LayerPermission {
            layer,
            principal,
            organization_id,
        } => {
            if let Some(f) =
                lambda_config::public_layer(principal, organization_id.as_deref(), layer)
            {
                j.push(f, None);
            }
            format!("allowed principal `{principal}` to use layer `{layer}`")
        }
        What::FunctionRole {
            function,
            role_arn,
            layers,
        } => {
            j.function_tags(function).await?;
            let ctx = Context {
                account_id: arn_account(&function.arn).or(j.account.clone()),
                ..j.context(None)
            };
            for layer in layers {
                if let Some(f) = lambda_config::cross_account_layer(layer, &ctx, &function.name) {
                    j.push(f, None);
                }
            }
            if let Some(role_arn) = role_arn {
                j.execution_role(function, role_arn).await?;
            }
            let name = &function.name;
            let role = role_arn.as_deref().map(resolve::role_name);
            match (change.info.name == "CreateFunction", role) {
                (true, Some(r)) => format!("created function `{name}` with role `{r}`"),
                (true, None) => format!("created function `{name}`"),
                (false, Some(r)) => format!("gave function `{name}` the role `{r}`"),
                (false, None) => format!(
                    "set the layers of function `{name}` to {}",
                    if layers.is_empty() {
                        "none".to_string()
                    } else {
                        layers
                            .iter()
                            .map(|l| format!("`{l}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            }
        }
        What::EventSourceMapping {
            function,
            event_source_arn,
        } => {
            j.function_tags(function).await?;
            j.event_source(function, event_source_arn).await?;
            let verb = if change.info.name == "UpdateEventSourceMapping" {
                "updated the mapping of"
            } else {
                "mapped"
            };
            format!(
                "{verb} event source `{event_source_arn}` to function `{}`",
                function.name
            )
        }
        What::Guardrail(call) => format!("{} `{}`", call.effect, call.resource),
        What::BoundarySet { holder, policy_arn } => {
            j.holder_tags(holder).await?;
            j.boundary(holder, policy_arn).await?;
            format!(
                "set the permissions boundary of {holder} to `{}`",
                resolve::policy_name(policy_arn)
            )
        }
        What::RolePolicyRemoved {
            role,
            policy,
            managed,
        } => {
            j.role_tags(role).await?;
            j.remaining_role(role).await?;
            if *managed {
                format!("detached managed policy `{policy}` from role `{role}`")
            } else {
                format!("deleted inline policy `{policy}` of role `{role}`")
            }
        }
        What::GroupMember { user, group } => {
            let user = Identity {
                kind: IdentityKind::User,
                name: user.clone(),
            };
            j.group(group, &user).await?;
            format!("added {user} to group `{group}`")
        }
        What::InvokeConfig {
            function,
            destinations,
        } => {
            j.function_tags(function).await?;
            let ctx = Context {
                account_id: arn_account(&function.arn).or(j.account.clone()),
                ..j.context(None)
            };
            for (which, arn) in destinations {
                if let Some(f) =
                    lambda_config::cross_account_destination(arn, which, &ctx, &function.name)
                {
                    j.push(f, None);
                }
            }
            if destinations.is_empty() {
                format!(
                    "changed the retries or maximum event age of function `{}`",
                    function.name
                )
            } else {
                let list: Vec<String> = destinations
                    .iter()
                    .map(|(which, arn)| format!("{which} `{arn}`"))
                    .collect();
                format!(
                    "set the invocation destinations of function `{}` to {}",
                    function.name,
                    list.join(", ")
                )
            }
        }
        What::IgnoreTag { tags, .. } => {
            let on = describe(&subject_of(&change.what));
            let keys: Vec<String> = tags.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
            format!(
                "set the tag{} {} on {on}",
                if keys.len() == 1 { "" } else { "s" },
                keys.join(", ")
            )
        }
    };
    if let Some(mut finding) = tampering(guarded, change) {
        if let Some(now) = j.deployed_doorman_variables(change).await? {
            if let Some(call) = change.guardrail_call() {
                let detail = format!("{}; doorman's variables now read {now}", call.detail);
                finding = tampering_worded(guarded, call, &detail).unwrap_or(finding);
            }
        }
        j.findings.push(finding);
    }
    j.findings.extend(suppressions_set(change));
    Ok(Assessment {
        subject: subject_of(&change.what),
        change: what_changed,
        findings: j.findings,
        tag_ignored: j.tag_ignored,
        skipped: j.skipped,
    })
}

/// `guardrail-tampering` when the change touches one of doorman's own
/// doors, whatever else it is, judged by the names doorman was deployed
/// with (never by what the event sets). From the event alone, so it holds
/// even when the rest of the event cannot be judged.
pub(super) fn tampering(guarded: &Guarded, change: &Change) -> Option<EventFinding> {
    let call = change.guardrail_call()?;
    tampering_worded(guarded, call, &call.detail)
}

/// [`tampering`] of `call`, with `detail` saying what else it set.
fn tampering_worded(guarded: &Guarded, call: &GuardrailCall, detail: &str) -> Option<EventFinding> {
    let what = guarded_target(guarded, call)?;
    Some(EventFinding {
        finding: account::guardrail_tampering(call.effect, &call.resource, &what, detail),
        document: None,
    })
}

/// `suppression-added` for each `doorman:ignore` tag the call itself set: a
/// TagRole, or the `tags` of the CreateRole / CreateFunction / CreatePolicy
/// that made the subject. Judged from the event alone, so it holds even when
/// the rest of the event cannot be judged.
pub(super) fn suppressions_set(change: &Change) -> Vec<EventFinding> {
    let subject = describe(&subject_of(&change.what));
    let set_tags = match &change.what {
        What::IgnoreTag { tags, .. } => tags,
        _ => &change.ignore_tags,
    };
    set_tags
        .iter()
        .map(|(key, value)| EventFinding {
            finding: account::suppression_added(&change.info.actor, key, value, &subject),
            document: None,
        })
        .collect()
}

impl<R: Resolver> Judge<'_, R> {
    /// For an UpdateFunctionConfiguration of doorman whose variables the
    /// event hides: doorman's own variables as deployed now, in words
    /// (``DOORMAN_IGNORE_RULES=guardrail-tampering``...), so the alert
    /// says what the update set. Best effort: `None` when they cannot be
    /// read (offline, access denied), which only makes the alert vaguer.
    async fn deployed_doorman_variables(
        &mut self,
        change: &Change,
    ) -> Result<Option<String>, Stop> {
        let Some(call) = change.guardrail_call() else {
            return Ok(None);
        };
        if call.target != GuardrailTarget::Function || !call.detail.contains(HIDDEN_ENVIRONMENT) {
            return Ok(None);
        }
        match self.resolver.function(&call.resource).await {
            Ok(config) => {
                let ours: Vec<String> = config
                    .environment
                    .iter()
                    .filter(|(k, _)| k.starts_with("DOORMAN_"))
                    .map(|(k, v)| format!("`{k}={v}`"))
                    .collect();
                Ok((!ours.is_empty()).then(|| ours.join(", ")))
            }
            Err(ResolveError::Transient(why)) => Err(Stop::Transient(why)),
            Err(_) => Ok(None),
        }
    }

    fn push(&mut self, finding: Finding, document: Option<String>) {
        self.findings.push(EventFinding { finding, document });
    }

    fn context(&self, managed_policy_name: Option<&str>) -> Context {
        Context {
            account_id: self.account.clone(),
            managed_policy_name: managed_policy_name.map(str::to_string),
            ..self.base.clone()
        }
    }

    /// Parses and judges one document; `label` names it in the reason when
    /// it is not a policy, `document` in the findings when there are several.
    fn document(
        &mut self,
        text: &str,
        kind: PolicyKind,
        document: Option<String>,
        managed_policy_name: Option<&str>,
        label: &str,
    ) -> Result<Policy, Stop> {
        let policy = parse(text, label)?;
        let ctx = self.context(managed_policy_name);
        for f in rules::evaluate(&policy, kind, &ctx) {
            self.push(f, document.clone());
        }
        Ok(policy)
    }

    /// A resolver answer: `Ok(None)` when this resolver cannot know it (the
    /// check is skipped and `skipped` says which).
    fn fetched<T>(
        &mut self,
        r: Result<T, ResolveError>,
        consequence: &str,
    ) -> Result<Option<T>, Stop> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(ResolveError::Unavailable(why)) => {
                self.skipped.push(format!("{why}: {consequence}"));
                Ok(None)
            }
            Err(ResolveError::Transient(why)) => Err(Stop::Transient(why)),
            // IAM is eventually consistent: just after the event, what it
            // names may not be readable yet, so Lambda retries.
            Err(ResolveError::NotFound(why)) if self.recent => Err(Stop::Transient(format!(
                "{why}; the event is less than two minutes old and IAM is eventually consistent, so this is retried"
            ))),
            Err(ResolveError::NotFound(why)) => Err(Stop::Unprocessable(format!(
                "it refers to something that no longer exists ({why})"
            ))),
            Err(ResolveError::Permanent(why)) => Err(Stop::Unprocessable(why)),
        }
    }

    /// Tags are best effort: a role or function that is already gone, or a
    /// resolver that cannot read tags, just means no `doorman:ignore`.
    fn tags(&mut self, r: Result<Vec<(String, String)>, ResolveError>) -> Result<(), Stop> {
        match r {
            Ok(tags) => {
                self.tag_ignored.extend(ignored_rules(&tags));
                Ok(())
            }
            Err(ResolveError::Transient(why)) => Err(Stop::Transient(why)),
            Err(_) => Ok(()),
        }
    }

    async fn role_tags(&mut self, role: &str) -> Result<(), Stop> {
        let r = self.resolver.role_tags(role).await;
        self.tags(r)
    }

    async fn holder_tags(&mut self, holder: &Identity) -> Result<(), Stop> {
        match (&holder.kind, &holder.name) {
            (IdentityKind::Role, Some(name)) => self.role_tags(name).await,
            _ => Ok(()),
        }
    }

    async fn function_tags(&mut self, function: &Function) -> Result<(), Stop> {
        let r = self.resolver.function_tags(&function.arn).await;
        self.tags(r)
    }

    /// A managed policy attached to `holder`: `broad-managed-policy` by name,
    /// then the document's own findings. For an AWS managed policy that is
    /// already reported as broad, the document adds nothing the name did not
    /// say (AdministratorAccess is `*` on `*`), so it is not judged again.
    async fn attached_policy(
        &mut self,
        policy_arn: &str,
        holder: &str,
        document_label: Option<String>,
    ) -> Result<(), Stop> {
        let is_aws = policy_arn.contains(":iam::aws:policy/");
        let aws_name = if is_aws {
            aws_managed_name(policy_arn)
        } else {
            None
        };
        if is_aws {
            if let Some(f) = managed::check_attachment(policy_arn, holder) {
                self.push(f, document_label);
                return Ok(());
            }
        }
        let r = self.resolver.managed_policy(policy_arn).await;
        let consequence = format!(
            "the statements of `{}` were not checked",
            resolve::policy_name(policy_arn)
        );
        if let Some(policy) = self.fetched(r, &consequence)? {
            // A built-in copy used because the live one failed: the alert says so.
            let document_label = match (&policy.fallback, document_label) {
                (Some(note), Some(label)) => Some(format!("{label} ({note})")),
                (Some(note), None) => Some(format!("managed policy `{}` ({note})", policy.name)),
                (None, label) => label,
            };
            self.document(
                &policy.document,
                PolicyKind::Permission,
                document_label,
                aws_name,
                &format!("managed policy `{policy_arn}`"),
            )?;
        }
        Ok(())
    }

    async fn default_version(
        &mut self,
        policy_arn: &str,
        version_id: Option<&str>,
        document: Option<&str>,
    ) -> Result<String, Stop> {
        let name = resolve::policy_name(policy_arn).to_string();
        let version = version_id.unwrap_or("(new)");
        let mut what = format!("made version `{version}` the default of managed policy `{name}`");
        let text = match (document, version_id) {
            (Some(doc), _) => Some(doc.to_string()),
            (None, Some(v)) => {
                let r = self.resolver.policy_version(policy_arn, v).await;
                self.fetched(r, "its statements were not checked")?
            }
            (None, None) => None,
        };
        // Who holds the policy only makes the alert clearer: a resolver that
        // cannot tell (offline) is no skipped check.
        let entities = match self.resolver.policy_entities(policy_arn).await {
            Err(ResolveError::Unavailable(_)) => None,
            r => self.fetched(r, "")?,
        };
        if let Some(e) = entities {
            let holders: Vec<String> = e
                .roles
                .iter()
                .map(|n| format!("role `{n}`"))
                .chain(e.users.iter().map(|n| format!("user `{n}`")))
                .chain(e.groups.iter().map(|n| format!("group `{n}`")))
                .collect();
            if holders.is_empty() {
                what.push_str(" (attached to nothing yet)");
            } else {
                what.push_str(&format!(", which applies to {}", holders.join(", ")));
            }
        }
        if let Some(text) = text {
            self.document(
                &text,
                PolicyKind::Permission,
                None,
                None,
                &format!("version `{version}` of `{name}`"),
            )?;
        }
        Ok(what)
    }

    /// Fetches a whole role and judges it as an execution role: every
    /// document it holds, and the SPEC §3.4 rules for `function`.
    async fn fetch_execution_role(
        &mut self,
        role_arn: &str,
        consequence: &str,
    ) -> Result<Option<ExecutionRole>, Stop> {
        let role_name = resolve::role_name(role_arn).to_string();
        let r = self.resolver.role(&role_name).await;
        let Some(details) = self.fetched(r, consequence)? else {
            return Ok(None);
        };
        self.role_tags(&role_name).await?;
        let holder = format!("role `{role_name}`");
        let trust = if details.trust.trim().is_empty() {
            None
        } else {
            Some(self.document(
                &details.trust,
                PolicyKind::Trust,
                Some(format!("the trust policy of {holder}")),
                None,
                &format!("the trust policy of {holder}"),
            )?)
        };
        let mut policies = Vec::new();
        for p in &details.policies {
            let policy = self.held_policy(p, &holder)?;
            policies.push(NamedPolicy {
                name: p.name.clone(),
                policy,
            });
        }
        Ok(Some(ExecutionRole {
            name: role_name,
            arn: Some(details.arn),
            trust,
            policies,
        }))
    }

    async fn execution_role(&mut self, function: &Function, role_arn: &str) -> Result<(), Stop> {
        let consequence = "missing-logs, shared-execution-role, role-not-lambda-trusted and the role's own policies were not checked";
        let Some(role) = self.fetch_execution_role(role_arn, consequence).await? else {
            return Ok(());
        };
        if let Some(f) = execution_role::role_not_lambda_trusted(&role) {
            self.push(f, None);
        }
        if let Some(f) =
            execution_role::missing_logs(&role, Some(&function.name), Some(&function.arn))
        {
            self.push(f, None);
        }
        let r = self.resolver.functions_using_role(role_arn).await;
        if let Some(mut names) = self.fetched(r, "shared-execution-role was not checked")? {
            if !names.contains(&function.name) {
                names.push(function.name.clone());
                names.sort();
            }
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            if let Some(f) = execution_role::shared_execution_role(&role, &names) {
                self.push(f, None);
            }
        }
        Ok(())
    }

    /// Judges one policy a role or group holds (`holder`: ``role `r` ``):
    /// an AWS managed policy that is broad by name is reported by name,
    /// anything else by its statements.
    fn held_policy(&mut self, p: &RolePolicy, holder: &str) -> Result<Policy, Stop> {
        let label = if p.managed {
            format!(
                "managed policy `{}` of {holder}",
                resolve::policy_name(&p.name)
            )
        } else {
            format!("inline policy `{}` of {holder}", p.name)
        };
        let label = match &p.fallback {
            Some(note) => format!("{label} ({note})"),
            None => label,
        };
        let policy = parse(&p.document, &label)?;
        let is_aws = p.managed && p.name.contains(":iam::aws:policy/");
        let broad = if is_aws {
            managed::check_attachment(&p.name, holder)
        } else {
            None
        };
        match broad {
            Some(f) => self.push(f, Some(label)),
            None => {
                let ctx = self.context(if is_aws {
                    aws_managed_name(&p.name)
                } else {
                    None
                });
                for f in rules::evaluate(&policy, PolicyKind::Permission, &ctx) {
                    self.push(f, Some(label.clone()));
                }
            }
        }
        Ok(policy)
    }

    /// Put*PermissionsBoundary: a boundary that allows every action on
    /// every resource (judged by what IAM would allow, however it is
    /// spelled) caps nothing, as bad as removing it.
    async fn boundary(&mut self, holder: &Identity, policy_arn: &str) -> Result<(), Stop> {
        let r = self.resolver.managed_policy(policy_arn).await;
        let consequence = "whether the new permissions boundary allows everything was not checked";
        let Some(boundary) = self.fetched(r, consequence)? else {
            return Ok(());
        };
        let name = resolve::policy_name(policy_arn);
        let policy = parse(
            &boundary.document,
            &format!("permissions boundary `{name}`"),
        )?;
        let admin = rules::permission::check(&policy, &self.context(None))
            .into_iter()
            .find(|f| f.rule == RuleId::AdminAccess);
        if let Some(admin) = admin {
            let mut f = account::permissions_boundary_allows_everything(&holder.to_string(), name);
            f.statement = admin.statement;
            self.push(f, Some(format!("permissions boundary `{name}`")));
        }
        Ok(())
    }

    /// DetachRolePolicy, DeleteRolePolicy: what the role still holds,
    /// judged for every function that uses it (`missing-logs`).
    async fn remaining_role(&mut self, role_name: &str) -> Result<(), Stop> {
        let consequence = "missing-logs was not re-judged for the functions that use the role";
        let r = self.resolver.role(role_name).await;
        let Some(details) = self.fetched(r, consequence)? else {
            return Ok(());
        };
        let r = self.resolver.functions_using_role(&details.arn).await;
        let Some(functions) = self.fetched(r, consequence)? else {
            return Ok(());
        };
        if functions.is_empty() {
            return Ok(());
        }
        let role = ExecutionRole {
            name: role_name.to_string(),
            arn: Some(details.arn.clone()),
            trust: None,
            policies: role_policies(&details.policies, role_name)?,
        };
        for name in functions {
            // The ARN gives the log group's region and account; a function
            // deleted meanwhile is judged by name alone.
            let arn = match self.resolver.function(&name).await {
                Ok(config) => Some(config.arn),
                Err(ResolveError::Transient(why)) => return Err(Stop::Transient(why)),
                Err(_) => None,
            };
            if let Some(f) = execution_role::missing_logs(&role, Some(&name), arn.as_deref()) {
                self.push(f, None);
            }
        }
        Ok(())
    }

    /// AddUserToGroup: every policy of the group now applies to `user`.
    async fn group(&mut self, group: &str, user: &Identity) -> Result<(), Stop> {
        let r = self.resolver.group_policies(group).await;
        let consequence = "they were not judged for the user";
        let Some(policies) = self.fetched(r, consequence)? else {
            return Ok(());
        };
        let holder = format!("group `{group}` (now applying to {user})");
        for p in &policies {
            self.held_policy(p, &holder)?;
        }
        Ok(())
    }

    async fn event_source(&mut self, function: &Function, source_arn: &str) -> Result<(), Stop> {
        if execution_role::polling_actions(source_arn).is_none() {
            return Ok(());
        }
        let consequence = "event-source-missing-permissions was not checked";
        let r = self.resolver.function(&function.arn).await;
        let Some(config) = self.fetched(r, consequence)? else {
            return Ok(());
        };
        let Some(role_arn) = config.role else {
            return Err(Stop::Unprocessable(format!(
                "function `{}` has no execution role",
                function.name
            )));
        };
        // The role's own documents are judged when it is given to a
        // function; here only what the mapping needs.
        let role_name = resolve::role_name(&role_arn).to_string();
        let r = self.resolver.role(&role_name).await;
        let Some(details) = self.fetched(r, consequence)? else {
            return Ok(());
        };
        let role = ExecutionRole {
            name: role_name.clone(),
            arn: Some(details.arn),
            trust: None,
            policies: role_policies(&details.policies, &role_name)?,
        };
        self.role_tags(&role_name).await?;
        if let Some(f) = execution_role::event_source_missing_permissions(&role, source_arn) {
            self.push(f, None);
        }
        Ok(())
    }
}

/// A role's policies, parsed, for the execution-role rules.
fn role_policies(policies: &[RolePolicy], role_name: &str) -> Result<Vec<NamedPolicy>, Stop> {
    policies
        .iter()
        .map(|p| {
            Ok(NamedPolicy {
                name: p.name.clone(),
                policy: parse(
                    &p.document,
                    &format!("policy `{}` of role `{role_name}`", p.name),
                )?,
            })
        })
        .collect()
}

fn parse(text: &str, label: &str) -> Result<Policy, Stop> {
    parse_document(text)
        .map_err(|e| Stop::Unprocessable(format!("{label} is not a policy document: {e}")))
}

/// Rule ids listed in a `doorman:ignore` tag (comma-separated; unknown ids
/// are logged and skipped, so one typo does not disable the rest).
pub fn ignored_rules(tags: &[(String, String)]) -> BTreeSet<RuleId> {
    let mut rules = BTreeSet::new();
    for (key, value) in tags {
        if !is_ignore_tag_key(key) {
            continue;
        }
        for id in value
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match id.parse::<RuleId>() {
                Ok(r) => {
                    rules.insert(r);
                }
                Err(e) => tracing::warn!(tag = IGNORE_TAG, "{e}"),
            }
        }
    }
    rules
}

/// Whether a resource policy grants a function URL with `AuthType: NONE`
/// (`lambda:FunctionUrlAuthType` = `NONE`, as AddPermission writes it).
fn grants_public_url(policy: &Policy) -> bool {
    policy.statements.iter().any(|s| {
        s.is_allow()
            && s.conditions_on("lambda:FunctionUrlAuthType")
                .any(|c| c.values.iter().any(|v| v.eq_ignore_ascii_case("NONE")))
    })
}

fn arn_account(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_tag_lists_rule_ids() {
        let tags = vec![
            (
                IGNORE_TAG.to_string(),
                "missing-logs, shared-execution-role,nope".to_string(),
            ),
            ("team".to_string(), "admin-access".to_string()),
        ];
        let got: Vec<RuleId> = ignored_rules(&tags).into_iter().collect();
        assert_eq!(got, vec![RuleId::MissingLogs, RuleId::SharedExecutionRole]);
    }
}
