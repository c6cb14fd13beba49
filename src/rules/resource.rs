//! Lambda resource policies: who may invoke a function (SPEC §3.3).
//!
//! Judges the function policy document (what `GetPolicy` returns and
//! `AddPermission` appends to). A statement usually grants
//! `lambda:InvokeFunction` on the function ARN to one principal. Only `Allow`
//! statements count: a Deny never opens the door.

use super::{describe_principal, Context, Finding, OrgGuard, RuleId, Severity};
use crate::catalog::{self, glob_match_ignore_case};
use crate::eval::condition::{is_pinning, is_restricting, pins_any_of, ACCOUNT_OR_ORG_KEYS};
use crate::policy::{Actions, Policy, Principal, PrincipalKind, Resources, Statement};

/// The actions that run the function through the Lambda API.
/// `InvokeAsync` is deprecated but still runs the function.
const INVOKE_ACTIONS: &[&str] = &["lambda:InvokeFunction", "lambda:InvokeAsync"];
const INVOKE_URL: &str = "lambda:InvokeFunctionUrl";
const URL_AUTH_KEY: &str = "lambda:FunctionUrlAuthType";
const VIA_URL_KEY: &str = "lambda:InvokedViaFunctionUrl";

/// What another principal may be granted without managing the function.
const NARROW_ACTIONS: &[&str] = &[
    "lambda:InvokeFunction",
    "lambda:InvokeAsync",
    "lambda:InvokeFunctionUrl",
    "lambda:GetFunction",
];

/// Conditions that keep `*` from meaning "anyone": the caller's source
/// resource, account or organization, or an Alexa skill's event-source token.
fn public_keys() -> impl Iterator<Item = &'static str> {
    ACCOUNT_OR_ORG_KEYS
        .iter()
        .copied()
        .chain(["lambda:EventSourceToken"])
}

/// Services whose invocations carry no source ARN to pin (AWS Config custom
/// rules: the rule is created after the permission, so `aws:SourceAccount` is
/// what AWS recommends).
const ACCOUNT_ONLY_SERVICES: &[&str] = &["config.amazonaws.com"];

/// Alexa skills and smart-home skills are pinned by the skill id, given as
/// the event-source token.
const ALEXA_SERVICES: &[&str] = &["alexa-appkit.amazon.com", "alexa-connectedhome.amazon.com"];

pub fn check(policy: &Policy, ctx: &Context) -> Vec<Finding> {
    let document_owner = policy.statements.iter().find_map(function_account);
    let mut findings = Vec::new();
    for s in policy.statements.iter().filter(|s| s.is_allow()) {
        let owner = ctx
            .account_id
            .as_deref()
            .or_else(|| function_account(s))
            .or(document_owner);
        let grant = Grant::of(s);
        public(s, &grant, &mut findings);
        service_without_source(s, &grant, &mut findings);
        broad_action(s, owner, &mut findings);
        cross_account(s, &grant, ctx, owner, &mut findings);
    }
    findings
}

/// How a statement lets callers in.
struct Grant {
    /// `lambda:InvokeFunction` (or `InvokeAsync`) through the Lambda API.
    invoke: bool,
    /// `lambda:InvokeFunctionUrl` through the function URL.
    url: bool,
    /// The `lambda:FunctionUrlAuthType` the statement is limited to, upper case.
    url_auth: Option<String>,
}

impl Grant {
    fn of(s: &Statement) -> Grant {
        let url_auth = s
            .conditions_on(URL_AUTH_KEY)
            .find(|c| is_restricting(c))
            .and_then(|c| c.values.first())
            .map(|v| v.to_ascii_uppercase());
        // Since October 2025 a function URL call needs `lambda:InvokeFunction`
        // too, granted by a companion statement limited with
        // `Bool lambda:InvokedViaFunctionUrl = true`. That statement opens
        // nothing alone: the `lambda:InvokeFunctionUrl` statement is the door
        // and is judged instead.
        let via_url_only = s
            .conditions_on(VIA_URL_KEY)
            .any(|c| is_restricting(c) && c.values.iter().all(|v| v.eq_ignore_ascii_case("true")));
        Grant {
            // The auth-type key exists only in function-URL requests: a
            // statement that tests it grants no API invocation.
            invoke: !via_url_only
                && url_auth.is_none()
                && INVOKE_ACTIONS.iter().any(|a| grants(s, a)),
            url: !via_url_only && grants(s, INVOKE_URL),
            url_auth,
        }
    }

    fn any(&self) -> bool {
        self.invoke || self.url
    }

    fn action(&self, s: &Statement) -> String {
        let names = match &s.actions {
            Actions::Action(p) => p,
            Actions::NotAction(_) => return "every action but those in `NotAction`".to_string(),
        };
        let relevant: Vec<String> = names
            .iter()
            .filter(|p| {
                (self.invoke && INVOKE_ACTIONS.iter().any(|a| glob_match_ignore_case(p, a)))
                    || (self.url && glob_match_ignore_case(p, INVOKE_URL))
            })
            .map(|p| format!("`{p}`"))
            .collect();
        relevant.join(", ")
    }
}

/// Whether the statement's `Action`/`NotAction` lets `action` through.
fn grants(s: &Statement, action: &str) -> bool {
    match &s.actions {
        Actions::Action(p) => p.iter().any(|p| glob_match_ignore_case(p, action)),
        Actions::NotAction(p) => !p.iter().any(|p| glob_match_ignore_case(p, action)),
    }
}

/// The account in the statement's function ARN
/// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`), when it names one.
fn function_account(s: &Statement) -> Option<&str> {
    let Some(Resources::Resource(arns)) = &s.resources else {
        return None;
    };
    arns.iter().find_map(|arn| {
        let parts: Vec<&str> = arn.splitn(7, ':').collect();
        match parts.as_slice() {
            ["arn", _, "lambda", _, account, "function", ..]
                if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(*account)
            }
            _ => None,
        }
    })
}

fn finding(rule: RuleId, severity: Severity, s: &Statement, msg: String, fix: String) -> Finding {
    Finding::new(rule, severity, format!("{}: {msg}", s.at), fix).at(&s.at)
}

fn describe(p: &Principal) -> String {
    describe_principal(&p.kind, &p.value)
}

/// Who "anyone" is in this statement: `*`, `{"AWS": "*"}`, or `Allow` +
/// `NotPrincipal` (everyone but a few).
fn anyone(s: &Statement) -> Option<String> {
    if let Some(p) = s.principals().iter().find(|p| p.is_anyone()) {
        return Some(describe(p));
    }
    s.not_principal.as_ref().map(|excluded| {
        let names: Vec<String> = excluded.iter().map(describe).collect();
        format!("everyone except {}", names.join(", "))
    })
}

const ORG_FIX: &str =
    "`\"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-xxxxxxxxxx\"}}`";

/// `public-invoke`, and for function URLs `public-function-url`.
///
/// A function-URL statement for `*` limited to `AuthType` `NONE` is the
/// shape AWS writes for a public URL: `public-function-url`. Limited to
/// `AWS_IAM`, any AWS account's signed requests get in — the same exposure
/// as `*` on `lambda:InvokeFunction` (which also takes any signature), so it
/// is `public-invoke` too unless pinned to an account or organization. With no
/// auth-type condition it covers a `NONE` URL as well: `public-invoke`.
fn public(s: &Statement, grant: &Grant, out: &mut Vec<Finding>) {
    let Some(who) = anyone(s) else {
        return;
    };
    let keys: Vec<&str> = public_keys().collect();
    let pinned = pins_any_of(s, &keys);
    match grant.url_auth.as_deref() {
        Some("NONE") if grant.url => out.push(finding(
            RuleId::PublicFunctionUrl,
            Severity::High,
            s,
            format!("{who} may invoke the function URL with no authentication (`lambda:FunctionUrlAuthType` is `NONE`)"),
            "set the function URL's `AuthType` to `AWS_IAM` and grant `lambda:InvokeFunctionUrl` to the callers' roles; if it must be public, validate requests in the function and suppress `public-function-url` for it".to_string(),
        )),
        Some("AWS_IAM") if grant.url && !pinned => out.push(finding(
            RuleId::PublicInvoke,
            Severity::Critical,
            s,
            format!("{who} may invoke the function URL with requests signed by any AWS account (`lambda:FunctionUrlAuthType` is `AWS_IAM`)"),
            format!("name the callers' roles in `Principal` instead of `*`, or add {ORG_FIX}"),
        )),
        None if grant.any() && !pinned => out.push(finding(
            RuleId::PublicInvoke,
            Severity::Critical,
            s,
            format!(
                "{who} may invoke the function ({}) with no condition on the caller",
                grant.action(s)
            ),
            "name the caller in `Principal`, or add a condition on the caller, e.g. `\"Condition\": {\"ArnLike\": {\"aws:SourceArn\": \"arn:aws:execute-api:REGION:ACCOUNT:API_ID/*\"}}` or `{\"StringEquals\": {\"aws:SourceAccount\": \"ACCOUNT\"}}`".to_string(),
        )),
        _ => {}
    }
}

/// A service principal without a condition naming the resource it acts for:
/// any account's S3 bucket, SNS topic or API can then trigger the function.
fn service_without_source(s: &Statement, grant: &Grant, out: &mut Vec<Finding>) {
    if !grant.any() {
        return;
    }
    for p in s.principals() {
        if p.kind != PrincipalKind::Service {
            continue;
        }
        let service = p.value.as_str();
        let is = |names: &[&str]| names.iter().any(|n| service.eq_ignore_ascii_case(n));
        let has_arn = pins_any_of(s, &["aws:SourceArn"]);
        let has_account = pins_any_of(s, &["aws:SourceAccount"]);
        let (missing, fix) = if service.eq_ignore_ascii_case("s3.amazonaws.com") {
            // Bucket ARNs carry no account: a deleted bucket's name can be
            // taken by another account, so both are needed.
            let missing: Vec<&str> = [
                (!has_arn).then_some("`aws:SourceArn`"),
                (!has_account).then_some("`aws:SourceAccount`"),
            ]
            .into_iter()
            .flatten()
            .collect();
            (
                missing.join(" or "),
                "add `\"Condition\": {\"ArnLike\": {\"aws:SourceArn\": \"arn:aws:s3:::BUCKET\"}, \"StringEquals\": {\"aws:SourceAccount\": \"ACCOUNT\"}}`: bucket ARNs carry no account, so both are needed".to_string(),
            )
        } else if is(ACCOUNT_ONLY_SERVICES) {
            let ok = has_arn || has_account;
            (
                if ok {
                    String::new()
                } else {
                    "`aws:SourceAccount` or `aws:SourceArn`".to_string()
                },
                "add `\"Condition\": {\"StringEquals\": {\"aws:SourceAccount\": \"ACCOUNT\"}}`"
                    .to_string(),
            )
        } else if is(ALEXA_SERVICES) {
            let ok = has_arn || pins_any_of(s, &["lambda:EventSourceToken"]);
            (
                if ok { String::new() } else { "`lambda:EventSourceToken`".to_string() },
                "add `\"Condition\": {\"StringEquals\": {\"lambda:EventSourceToken\": \"amzn1.ask.skill.SKILL_ID\"}}` (`--event-source-token` of `aws lambda add-permission`)".to_string(),
            )
        } else {
            (
                if has_arn { String::new() } else { "`aws:SourceArn`".to_string() },
                format!(
                    "add `\"Condition\": {{\"ArnLike\": {{\"aws:SourceArn\": \"{}\"}}}}` naming the resource that triggers the function",
                    source_arn_example(service)
                ),
            )
        };
        if missing.is_empty() {
            continue;
        }
        let who_can = if has_account {
            format!(
                "any `{service}` resource of {} can trigger it",
                pinned_accounts(s)
            )
        } else if has_arn {
            // S3: the source ARN names a bucket, and bucket names are global.
            format!("a `{service}` resource with that name in another account (a deleted bucket's name can be taken) can trigger it")
        } else {
            format!("any `{service}` resource, in any account, can trigger it")
        };
        out.push(finding(
            RuleId::ServiceInvokeNoSource,
            Severity::High,
            s,
            format!(
                "{} may invoke the function ({}) with no {missing} condition: {who_can}",
                describe(p),
                grant.action(s)
            ),
            fix,
        ));
    }
}

/// The accounts an `aws:SourceAccount` condition pins the statement to, for
/// messages: ``account `111122223333` ``.
fn pinned_accounts(s: &Statement) -> String {
    let mut accounts: Vec<String> = Vec::new();
    for c in s
        .conditions_on("aws:SourceAccount")
        .filter(|c| is_pinning(c, s))
    {
        for v in &c.values {
            let v = format!("`{v}`");
            if !accounts.contains(&v) {
                accounts.push(v);
            }
        }
    }
    match accounts.len() {
        1 => format!("account {}", accounts[0]),
        _ => format!("accounts {}", accounts.join(", ")),
    }
}

/// The shape of the source ARN a service invokes for, for fixes.
fn source_arn_example(service: &str) -> String {
    let prefix = service
        .split('.')
        .next()
        .unwrap_or(service)
        .to_ascii_lowercase();
    match prefix.as_str() {
        "apigateway" => "arn:aws:execute-api:REGION:ACCOUNT:API_ID/*".to_string(),
        "events" => "arn:aws:events:REGION:ACCOUNT:rule/RULE_NAME".to_string(),
        "sns" => "arn:aws:sns:REGION:ACCOUNT:TOPIC_NAME".to_string(),
        "sqs" => "arn:aws:sqs:REGION:ACCOUNT:QUEUE_NAME".to_string(),
        "logs" => "arn:aws:logs:REGION:ACCOUNT:log-group:LOG_GROUP:*".to_string(),
        "elasticloadbalancing" => {
            "arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID".to_string()
        }
        "iot" => "arn:aws:iot:REGION:ACCOUNT:rule/RULE_NAME".to_string(),
        "cognito-idp" => "arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID".to_string(),
        "secretsmanager" => "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME".to_string(),
        "scheduler" => "arn:aws:scheduler:REGION:ACCOUNT:schedule/GROUP/NAME".to_string(),
        "cloudfront" => "arn:aws:cloudfront::ACCOUNT:distribution/DISTRIBUTION_ID".to_string(),
        other => format!("arn:aws:{other}:REGION:ACCOUNT:RESOURCE"),
    }
}

/// Whether a principal is the account that owns the function.
fn is_owner(p: &Principal, owner: Option<&str>) -> bool {
    owner.is_some() && p.account() == owner
}

/// `resource-policy-broad-action`: more than invoking, for someone else. An
/// action pattern is narrow when every action it matches is one of
/// [`NARROW_ACTIONS`] (so `lambda:Invoke*` is narrow, `lambda:*` is not); a
/// pattern that matches nothing grants nothing.
fn broad_action(s: &Statement, owner: Option<&str>, out: &mut Vec<Finding>) {
    let broad: Vec<String> = match &s.actions {
        Actions::NotAction(p) => vec![format!(
            "every action except {}",
            p.iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )],
        Actions::Action(patterns) => patterns
            .iter()
            .filter(|p| !is_narrow(p))
            .map(|p| format!("`{p}`"))
            .collect(),
    };
    if broad.is_empty() {
        return;
    }
    let others: Vec<String> = s
        .principals()
        .iter()
        .filter(|p| !is_owner(p, owner))
        .map(describe)
        .chain(anyone(s).filter(|_| s.not_principal.is_some()))
        .collect();
    for who in others {
        out.push(finding(
            RuleId::ResourcePolicyBroadAction,
            Severity::Critical,
            s,
            format!(
                "{who} is granted {} on the function, more than invoking it",
                broad.join(", ")
            ),
            "grant only `lambda:InvokeFunction` (or `lambda:InvokeFunctionUrl`); manage the function from its own account".to_string(),
        ));
    }
}

fn is_narrow(pattern: &str) -> bool {
    if NARROW_ACTIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(pattern))
    {
        return true;
    }
    catalog::matching(pattern).all(|id| {
        let info = id.info();
        NARROW_ACTIONS
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&format!("{}:{}", info.service, info.name)))
    })
}

/// `cross-account-invoke`: an AWS principal of another account may invoke,
/// with no organization condition naming a trusted organization (any
/// organization when `trusted-orgs` is unset). Accounts in
/// `trusted-accounts` are not "another account". When the owner is unknown
/// (no context, no function ARN), every other named account counts as
/// another. With `trusted-orgs` set, anyone (`*`) limited only by an
/// organization condition naming other organizations fires too.
fn cross_account(
    s: &Statement,
    grant: &Grant,
    ctx: &Context,
    owner: Option<&str>,
    out: &mut Vec<Finding>,
) {
    if !grant.any() {
        return;
    }
    let org = ctx.org_guard(s);
    if org == OrgGuard::Trusted {
        return;
    }
    let named_orgs = org.untrusted_list();
    let guard = match &named_orgs {
        None => "without an `aws:PrincipalOrgID` condition".to_string(),
        Some(orgs) => {
            format!("and its organization condition names {orgs}, not one of `trusted-orgs`")
        }
    };
    for p in &super::effective_principals(s) {
        let Some(account) = p.account() else {
            continue;
        };
        if !ctx.is_other_account_than(owner, account) {
            continue;
        }
        let whose = match owner {
            Some(own) => format!("account `{account}`, not the function's account `{own}`"),
            None => format!(
                "account `{account}`; the function's account is unknown, so it counts as another"
            ),
        };
        out.push(finding(
            RuleId::CrossAccountInvoke,
            Severity::Medium,
            s,
            format!(
                "{} ({whose}) may invoke the function ({}) {guard}",
                describe(p),
                grant.action(s)
            ),
            format!("if `{account}` is in your organization, add {ORG_FIX}; if you vouch for it, list it in `trusted-accounts`; otherwise make sure it should invoke the function and suppress `cross-account-invoke` for it"),
        ));
    }
    let Some(orgs) = named_orgs else { return };
    if let Some(who) = anyone(s) {
        if pins_any_of(
            s,
            &[
                "aws:PrincipalAccount",
                "aws:PrincipalArn",
                "aws:SourceAccount",
                "aws:SourceArn",
            ],
        ) {
            return;
        }
        out.push(finding(
            RuleId::CrossAccountInvoke,
            Severity::Medium,
            s,
            format!(
                "{who} may invoke the function ({}) from any account of organization {orgs}, which is not one of `trusted-orgs`",
                grant.action(s)
            ),
            "pin `aws:PrincipalOrgID` to your own organization, or add the organization to `trusted-orgs` if you vouch for every account in it".to_string(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;
    use crate::rules::testing::{of, only};
    use crate::rules::{evaluate, PolicyKind};

    const FN: &str = "arn:aws:lambda:us-east-1:111122223333:function:orders";

    fn doc(statements: &str) -> Policy {
        parse_document(&format!(
            r#"{{"Version":"2012-10-17","Id":"default","Statement":[{statements}]}}"#
        ))
        .unwrap()
    }

    /// One statement invoking the function, with a principal and conditions.
    fn invoke(principal: &str, action: &str, cond: &str) -> String {
        format!(
            r#"{{"Sid":"s1","Effect":"Allow","Principal":{principal},"Action":"{action}","Resource":"{FN}","Condition":{cond}}}"#
        )
    }

    fn run_in(ctx: &Context, statements: &str) -> Vec<Finding> {
        check(&doc(statements), ctx)
    }

    fn run(statements: &str) -> Vec<Finding> {
        run_in(&Context::default(), statements)
    }

    #[test]
    fn api_gateway_scoped_by_source_arn_is_clean_at_medium_and_above() {
        let policy = doc(&invoke(
            r#"{"Service":"apigateway.amazonaws.com"}"#,
            "lambda:InvokeFunction",
            r#"{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/*/GET/orders"}}"#,
        ));
        let findings = evaluate(&policy, PolicyKind::Resource, &Context::default());
        assert!(
            findings.iter().all(|f| f.severity < Severity::Medium),
            "{findings:#?}"
        );
    }

    #[test]
    fn public_invoke_fires_for_principal_star() {
        let f = evaluate(
            &doc(&invoke(r#""*""#, "lambda:InvokeFunction", "{}")),
            PolicyKind::Resource,
            &Context::default(),
        );
        let hit = only(&f, RuleId::PublicInvoke);
        assert_eq!(hit.severity, Severity::Critical);
        assert_eq!(
            hit.message,
            "Statement[0] (Sid `s1`): `*` (anyone) may invoke the function (`lambda:InvokeFunction`) with no condition on the caller"
        );
        assert!(hit.fix.contains("aws:SourceArn"));
        // `{"AWS": "*"}`, a wildcard action and a non-scoping condition change nothing.
        let f = run(&invoke(
            r#"{"AWS":"*"}"#,
            "lambda:Invoke*",
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        ));
        assert_eq!(of(&f, RuleId::PublicInvoke).len(), 1, "{f:#?}");
    }

    #[test]
    fn public_invoke_is_silenced_by_a_caller_condition() {
        for cond in [
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:orders"}}"#,
            r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            r#"{"StringEquals":{"lambda:EventSourceToken":"amzn1.ask.skill.1234"}}"#,
        ] {
            let f = run(&invoke(r#""*""#, "lambda:InvokeFunction", cond));
            assert!(of(&f, RuleId::PublicInvoke).is_empty(), "{cond}: {f:#?}");
        }
        // A wildcard account pins nothing.
        let f = run(&invoke(
            r#""*""#,
            "lambda:InvokeFunction",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:execute-api:us-east-1:*:*"}}"#,
        ));
        assert_eq!(of(&f, RuleId::PublicInvoke).len(), 1);
    }

    #[test]
    fn deny_statements_never_fire() {
        let f = run(&invoke(r#""*""#, "lambda:*", "{}").replace("Allow", "Deny"));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn public_function_url_is_its_own_rule() {
        let f = run(&invoke(
            r#""*""#,
            "lambda:InvokeFunctionUrl",
            r#"{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}"#,
        ));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].rule, RuleId::PublicFunctionUrl);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(
            f[0].message,
            "Statement[0] (Sid `s1`): `*` (anyone) may invoke the function URL with no authentication (`lambda:FunctionUrlAuthType` is `NONE`)"
        );
    }

    #[test]
    fn a_public_url_as_aws_writes_it_since_october_2025_is_one_finding() {
        let f = run(&format!(
            r#"{},{}"#,
            invoke(
                r#""*""#,
                "lambda:InvokeFunctionUrl",
                r#"{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}"#,
            ),
            invoke(
                r#""*""#,
                "lambda:InvokeFunction",
                r#"{"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}"#,
            )
        ));
        let rules: Vec<RuleId> = f.iter().map(|f| f.rule).collect();
        assert_eq!(rules, [RuleId::PublicFunctionUrl], "{f:#?}");
    }

    #[test]
    fn cloudfront_to_a_function_url_needs_the_distribution() {
        let f = run(&invoke(
            r#"{"Service":"cloudfront.amazonaws.com"}"#,
            "lambda:InvokeFunctionUrl",
            "{}",
        ));
        let hit = only(&f, RuleId::ServiceInvokeNoSource);
        assert!(hit
            .fix
            .contains("arn:aws:cloudfront::ACCOUNT:distribution/DISTRIBUTION_ID"));
        let f = run(&invoke(
            r#"{"Service":"cloudfront.amazonaws.com"}"#,
            "lambda:InvokeFunctionUrl",
            r#"{"ArnLike":{"AWS:SourceArn":"arn:aws:cloudfront::111122223333:distribution/E1ABCDEF"}}"#,
        ));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn function_url_for_any_signed_caller_is_public_invoke() {
        let f = run(&invoke(
            r#""*""#,
            "lambda:InvokeFunctionUrl",
            r#"{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM"}}"#,
        ));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            (f[0].rule, f[0].severity),
            (RuleId::PublicInvoke, Severity::Critical)
        );
        assert_eq!(
            f[0].message,
            "Statement[0] (Sid `s1`): `*` (anyone) may invoke the function URL with requests signed by any AWS account (`lambda:FunctionUrlAuthType` is `AWS_IAM`)"
        );
        let f = run(&invoke(
            r#""*""#,
            "lambda:InvokeFunctionUrl",
            r#"{"StringEquals":{"lambda:FunctionUrlAuthType":"AWS_IAM","aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
        ));
        assert!(f.is_empty(), "{f:#?}");
        // Without an auth-type condition it covers a public URL too.
        let f = run(&invoke(r#""*""#, "lambda:InvokeFunctionUrl", "{}"));
        assert_eq!(of(&f, RuleId::PublicInvoke).len(), 1, "{f:#?}");
    }

    #[test]
    fn s3_without_source_is_reported_naming_what_is_missing() {
        let f = evaluate(
            &doc(&invoke(
                r#"{"Service":"s3.amazonaws.com"}"#,
                "lambda:InvokeFunction",
                "{}",
            )),
            PolicyKind::Resource,
            &Context::default(),
        );
        let hit = only(&f, RuleId::ServiceInvokeNoSource);
        assert_eq!(hit.severity, Severity::High);
        assert_eq!(
            hit.message,
            "Statement[0] (Sid `s1`): Service `s3.amazonaws.com` may invoke the function (`lambda:InvokeFunction`) with no `aws:SourceArn` or `aws:SourceAccount` condition: any `s3.amazonaws.com` resource, in any account, can trigger it"
        );
        let f = run(&invoke(
            r#"{"Service":"s3.amazonaws.com"}"#,
            "lambda:InvokeFunction",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::receipts"}}"#,
        ));
        assert!(of(&f, RuleId::ServiceInvokeNoSource)[0]
            .message
            .contains("with no `aws:SourceAccount` condition"));
        let f = run(&invoke(
            r#"{"Service":"s3.amazonaws.com"}"#,
            "lambda:InvokeFunction",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::receipts"},"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
        ));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn other_services_need_a_source_arn() {
        let f = run(&invoke(
            r#"{"Service":"sns.amazonaws.com"}"#,
            "lambda:InvokeFunction",
            r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
        ));
        let hit = only(&f, RuleId::ServiceInvokeNoSource);
        assert!(hit.message.contains("with no `aws:SourceArn` condition"));
        assert!(hit.fix.contains("arn:aws:sns:REGION:ACCOUNT:TOPIC_NAME"));
        let f = run(&invoke(
            r#"{"Service":"events.amazonaws.com"}"#,
            "lambda:InvokeFunction",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:events:us-east-1:111122223333:rule/nightly"}}"#,
        ));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn config_and_alexa_are_pinned_their_own_way() {
        let f = run(&invoke(
            r#"{"Service":"config.amazonaws.com"}"#,
            "lambda:InvokeFunction",
            r#"{"StringEquals":{"AWS:SourceAccount":"111122223333"}}"#,
        ));
        assert!(f.is_empty(), "{f:#?}");
        let f = run(&invoke(
            r#"{"Service":"alexa-appkit.amazon.com"}"#,
            "lambda:InvokeFunction",
            "{}",
        ));
        assert!(of(&f, RuleId::ServiceInvokeNoSource)[0]
            .message
            .contains("no `lambda:EventSourceToken` condition"));
        let f = run(&invoke(
            r#"{"Service":"alexa-appkit.amazon.com"}"#,
            "lambda:InvokeFunction",
            r#"{"StringEquals":{"lambda:EventSourceToken":"amzn1.ask.skill.1234"}}"#,
        ));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn broad_actions_for_another_principal_fire() {
        let f = run(&invoke(
            r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
            "lambda:*",
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
        ));
        let hit = only(&f, RuleId::ResourcePolicyBroadAction);
        assert_eq!(hit.severity, Severity::Critical);
        assert_eq!(
            hit.message,
            "Statement[0] (Sid `s1`): AWS `arn:aws:iam::444455556666:root` is granted `lambda:*` on the function, more than invoking it"
        );
        let f = run(&invoke(
            r#"{"Service":"events.amazonaws.com"}"#,
            "lambda:UpdateFunctionCode",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:events:us-east-1:111122223333:rule/x"}}"#,
        ));
        assert_eq!(of(&f, RuleId::ResourcePolicyBroadAction).len(), 1);
    }

    #[test]
    fn invoke_and_get_function_are_not_broad_nor_is_the_owner() {
        let f = run(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::444455556666:root"}},"Action":["lambda:InvokeFunction","lambda:GetFunction","lambda:InvokeFunction*"],"Resource":"{FN}","Condition":{{"StringEquals":{{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}}}}"#
        ));
        assert!(f.is_empty(), "{f:#?}");
        // The function's own account may be granted anything here.
        let f = run(&invoke(
            r#"{"AWS":"arn:aws:iam::111122223333:role/deployer"}"#,
            "lambda:*",
            "{}",
        ));
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn anyone_narrowed_to_another_account_may_invoke_cross_account() {
        let ctx = Context {
            account_id: Some("111122223333".to_string()),
            ..Context::default()
        };
        let f = run_in(
            &ctx,
            &invoke(
                r#""*""#,
                "lambda:InvokeFunction",
                r#"{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}"#,
            ),
        );
        let hit = only(&f, RuleId::CrossAccountInvoke);
        assert!(hit.message.contains("`444455556666`"), "{}", hit.message);
    }

    #[test]
    fn cross_account_invoke_fires_without_org_condition() {
        let ctx = Context {
            account_id: Some("111122223333".to_string()),
            ..Context::default()
        };
        let f = run_in(
            &ctx,
            &invoke(r#"{"AWS":"444455556666"}"#, "lambda:InvokeFunction", "{}"),
        );
        let hit = only(&f, RuleId::CrossAccountInvoke);
        assert_eq!(hit.severity, Severity::Medium);
        assert_eq!(
            hit.message,
            "Statement[0] (Sid `s1`): AWS `444455556666` (account `444455556666`, not the function's account `111122223333`) may invoke the function (`lambda:InvokeFunction`) without an `aws:PrincipalOrgID` condition"
        );
        let f = run_in(
            &ctx,
            &invoke(
                r#"{"AWS":"444455556666"}"#,
                "lambda:InvokeFunction",
                r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            ),
        );
        assert!(f.is_empty(), "{f:#?}");
    }

    #[test]
    fn cross_account_infers_the_owner_from_the_function_arn() {
        // No context: the function ARN says the owner is 111122223333.
        let f = run(&invoke(
            r#"{"AWS":"arn:aws:iam::111122223333:role/caller"}"#,
            "lambda:InvokeFunction",
            "{}",
        ));
        assert!(f.is_empty(), "{f:#?}");
        let f = run(&invoke(
            r#"{"AWS":"arn:aws:iam::444455556666:role/caller"}"#,
            "lambda:InvokeFunction",
            "{}",
        ));
        assert!(of(&f, RuleId::CrossAccountInvoke)[0]
            .message
            .contains("not the function's account `111122223333`"));
        // No ARN either: every named account counts as another.
        let f = run(
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"lambda:InvokeFunction","Resource":"*"}"#,
        );
        assert!(of(&f, RuleId::CrossAccountInvoke)[0]
            .message
            .contains("the function's account is unknown"));
    }

    #[test]
    fn service_invoke_message_names_the_pinned_account_instead_of_any_account() {
        let f = run(&invoke(
            r#"{"Service":"sns.amazonaws.com"}"#,
            "lambda:InvokeFunction",
            r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
        ));
        let hits = of(&f, RuleId::ServiceInvokeNoSource);
        assert_eq!(
            hits[0].message,
            "Statement[0] (Sid `s1`): Service `sns.amazonaws.com` may invoke the function (`lambda:InvokeFunction`) with no `aws:SourceArn` condition: any `sns.amazonaws.com` resource of account `111122223333` can trigger it"
        );
        assert!(!hits[0].message.contains("any account"));
        // S3 with the bucket pinned but no account: the bucket name is what is open.
        let f = run(&invoke(
            r#"{"Service":"s3.amazonaws.com"}"#,
            "lambda:InvokeFunction",
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::receipts"}}"#,
        ));
        let hits = of(&f, RuleId::ServiceInvokeNoSource);
        assert!(
            hits[0].message.ends_with("with no `aws:SourceAccount` condition: a `s3.amazonaws.com` resource with that name in another account (a deleted bucket's name can be taken) can trigger it"),
            "{}",
            hits[0].message
        );
    }

    fn trusting(accounts: &[&str], orgs: &[&str]) -> Context {
        Context {
            account_id: Some("111122223333".to_string()),
            trusted_accounts: accounts.iter().map(|a| a.to_string()).collect(),
            trusted_orgs: orgs.iter().map(|o| o.to_string()).collect(),
            ..Context::default()
        }
    }

    #[test]
    fn cross_account_invoke_spares_trusted_accounts() {
        let statement = invoke(r#"{"AWS":"444455556666"}"#, "lambda:InvokeFunction", "{}");
        let f = run_in(&trusting(&["444455556666"], &[]), &statement);
        assert!(of(&f, RuleId::CrossAccountInvoke).is_empty(), "{f:#?}");
        let f = run_in(&trusting(&["777788889999"], &[]), &statement);
        assert_eq!(of(&f, RuleId::CrossAccountInvoke).len(), 1);
        // The owner read from the function ARN, with no account in the context.
        let ctx = Context {
            trusted_accounts: vec!["444455556666".into()],
            ..Context::default()
        };
        assert!(of(&run_in(&ctx, &statement), RuleId::CrossAccountInvoke).is_empty());
    }

    #[test]
    fn trusted_orgs_decide_which_org_conditions_guard() {
        let org = |o: &str| {
            invoke(
                r#"{"AWS":"444455556666"}"#,
                "lambda:InvokeFunction",
                &format!(r#"{{"StringEquals":{{"aws:PrincipalOrgID":"{o}"}}}}"#),
            )
        };
        // Without trusted-orgs, any organization condition guards.
        assert!(run_in(&trusting(&[], &[]), &org("o-zzzzzzzzzz")).is_empty());
        let ctx = trusting(&[], &["o-a1b2c3d4e5"]);
        assert!(run_in(&ctx, &org("o-a1b2c3d4e5")).is_empty());
        let f = run_in(&ctx, &org("o-zzzzzzzzzz"));
        let hit = only(&f, RuleId::CrossAccountInvoke);
        assert!(hit.message.ends_with(
            "and its organization condition names `o-zzzzzzzzzz`, not one of `trusted-orgs`"
        ));
        // Anyone, limited to an organization the user does not trust.
        let f = run_in(
            &ctx,
            &invoke(
                r#""*""#,
                "lambda:InvokeFunction",
                r#"{"StringEquals":{"aws:PrincipalOrgID":"o-zzzzzzzzzz"}}"#,
            ),
        );
        let hit = only(&f, RuleId::CrossAccountInvoke);
        assert!(hit
            .message
            .contains("from any account of organization `o-zzzzzzzzzz`"));
        assert!(of(&f, RuleId::PublicInvoke).is_empty());
    }
}
