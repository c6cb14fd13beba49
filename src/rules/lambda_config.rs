//! The inbound door outside the function policy (SPEC §3.3): function URLs
//! and layers. Each rule judges one setting, as an event or a template
//! carries it, so it takes plain values rather than a policy document.

use super::{aws_layers, Context, Finding, RuleId, Severity};

/// `public-function-url`: a function URL with `AuthType: NONE` lets anyone on
/// the internet invoke the function without signing the request.
///
/// `auth_type` as the API or template writes it (`NONE`, `AWS_IAM`);
/// `function` is the name messages use.
pub fn public_function_url(auth_type: &str, function: &str) -> Option<Finding> {
    if !auth_type.trim().eq_ignore_ascii_case("NONE") {
        return None;
    }
    Some(Finding::new(
        RuleId::PublicFunctionUrl,
        Severity::High,
        format!("function URL of `{function}` has `AuthType: NONE`: anyone on the internet can invoke it"),
        "use `AuthType: AWS_IAM` and grant `lambda:InvokeFunctionUrl` to the callers; if it must be public, make the function authenticate requests itself and keep its role minimal".to_string(),
    ))
}

/// `public-layer`: a layer version permission to principal `*` without an
/// organization id lets every AWS account read the layer's code.
///
/// `principal` and `organization_id` as `AddLayerVersionPermission` or
/// `AWS::Lambda::LayerVersionPermission` give them; `layer` names the layer
/// version in the message.
pub fn public_layer(
    principal: &str,
    organization_id: Option<&str>,
    layer: &str,
) -> Option<Finding> {
    let org_set = organization_id.is_some_and(|o| !o.trim().is_empty());
    if principal.trim() != "*" || org_set {
        return None;
    }
    Some(Finding::new(
        RuleId::PublicLayer,
        Severity::High,
        format!("layer `{layer}` may be used by principal `*` (every AWS account): its code and anything bundled in it are public"),
        "grant the layer to specific account ids, or keep principal `*` with `OrganizationId` set to your organization".to_string(),
    ))
}

/// The account id in a layer version ARN
/// (`arn:aws:lambda:us-east-1:123456789012:layer:name:3`).
pub fn layer_account(layer_arn: &str) -> Option<&str> {
    layer_region_account(layer_arn).map(|(_, account)| account)
}

/// The Region and account of a layer version ARN; the Region as written
/// (a template placeholder stays one).
fn layer_region_account(layer_arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = layer_arn.splitn(7, ':').collect();
    if parts.len() < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "layer" {
        return None;
    }
    let account = parts[4];
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then_some((parts[3], account))
}

/// `cross-account-layer`: a function runs code from a layer published by
/// another account, which that account can change for new versions and which
/// runs with the function's role.
///
/// `ctx.account_id` is the account of the function; when it is unknown, any
/// named account counts as another one. Accounts in `trusted-accounts` and
/// the accounts AWS publishes its own layers from ([`aws_layers`]: Powertools,
/// Lambda Insights, ADOT...) are not reported: a function on Lambda trusts
/// AWS's code already. A layer ARN whose account cannot be read (a template
/// placeholder) never fires.
pub fn cross_account_layer(layer_arn: &str, ctx: &Context, function: &str) -> Option<Finding> {
    let (region, account) = layer_region_account(layer_arn)?;
    if !ctx.is_other_account(account) || aws_layers::publisher(region, account).is_some() {
        return None;
    }
    Some(Finding::new(
        RuleId::CrossAccountLayer,
        Severity::Medium,
        format!("function `{function}` uses layer `{layer_arn}` from account `{account}`: that code runs with the function's role"),
        "publish the layer in your own account (or your organization's), pinned to a reviewed version; keep third-party layers only from publishers you trust, and list their accounts in `trusted-accounts`".to_string(),
    ))
}

/// `cross-account-destination`: an invoke config sends a function's
/// invocation records (with each invocation's payload) to `destination` in
/// another account. Trusted accounts are not another account; a destination
/// whose ARN names no account (an S3 bucket) cannot be judged and never
/// fires.
pub fn cross_account_destination(
    destination: &str,
    which: &str,
    ctx: &Context,
    function: &str,
) -> Option<Finding> {
    let account = destination.split(':').nth(4)?;
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !ctx.is_other_account(account) {
        return None;
    }
    Some(Finding::new(
        RuleId::CrossAccountDestination,
        Severity::Medium,
        format!("function `{function}` sends its {which} invocation records to `{destination}` in account `{account}`: every such invocation's payload leaves this account"),
        "send invocation records to a destination in this account (or your organization's log account, listed in `trusted-accounts`); if the other account is a reviewed partner, list it in `trusted-accounts`".to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_type_none_is_a_public_url() {
        let f = public_function_url("NONE", "orders").unwrap();
        assert_eq!(f.rule, RuleId::PublicFunctionUrl);
        assert_eq!(f.severity, Severity::High);
        assert_eq!(
            f.message,
            "function URL of `orders` has `AuthType: NONE`: anyone on the internet can invoke it"
        );
        assert_eq!(public_function_url("AWS_IAM", "orders"), None);
    }

    #[test]
    fn layer_shared_with_everyone_is_public_unless_pinned_to_an_org() {
        let f = public_layer("*", None, "shared-libs:3").unwrap();
        assert_eq!(f.rule, RuleId::PublicLayer);
        assert_eq!(f.severity, Severity::High);
        assert!(public_layer("*", Some(""), "l").is_some());
        assert_eq!(public_layer("*", Some("o-a1b2c3d4e5"), "l"), None);
        assert_eq!(public_layer("111122223333", None, "l"), None);
    }

    fn in_account(account: Option<&str>) -> Context {
        Context {
            account_id: account.map(str::to_string),
            ..Context::default()
        }
    }

    #[test]
    fn layer_from_another_account_fires_and_own_does_not() {
        let layer = "arn:aws:lambda:us-east-1:444455556666:layer:tools:7";
        let own = in_account(Some("111122223333"));
        let f = cross_account_layer(layer, &own, "orders").unwrap();
        assert_eq!(f.rule, RuleId::CrossAccountLayer);
        assert_eq!(f.severity, Severity::Medium);
        assert!(f.message.contains("from account `444455556666`"));
        assert_eq!(
            cross_account_layer(layer, &in_account(Some("444455556666")), "orders"),
            None
        );
        // Unknown function account: any named account is another one.
        assert!(cross_account_layer(layer, &in_account(None), "orders").is_some());
        // A placeholder carries no account: nothing to judge.
        assert_eq!(
            cross_account_layer("${SharedLayer}", &in_account(None), "orders"),
            None
        );
    }

    #[test]
    fn aws_published_layers_are_not_cross_account() {
        let own = in_account(Some("111122223333"));
        for layer in [
            "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:7",
            "arn:aws:lambda:us-east-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:44",
            "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:38",
            "arn:aws:lambda:af-south-1:012438385374:layer:LambdaInsightsExtension:28",
            "arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:4",
            "arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-python-amd64-ver-1-20-0:3",
            "arn:aws:lambda:us-west-2:359756378197:layer:AWS-AppConfig-Extension:146",
            "arn:aws:lambda:us-east-1:157417159150:layer:AWSCodeGuruProfilerPythonAgentLambdaLayer:11",
            // A template's `!Sub ...${AWS::Region}...`.
            "arn:aws:lambda:${AWS.Region}:580247275435:layer:LambdaInsightsExtension:38",
        ] {
            assert_eq!(cross_account_layer(layer, &own, "orders"), None, "{layer}");
        }
        // An AWS publisher account outside the Region it publishes in is not AWS's layer.
        assert!(cross_account_layer(
            "arn:aws:lambda:af-south-1:580247275435:layer:LambdaInsightsExtension:1",
            &own,
            "orders"
        )
        .is_some());
    }

    #[test]
    fn trusted_accounts_publish_layers_without_a_finding() {
        let ctx = Context {
            account_id: Some("111122223333".into()),
            trusted_accounts: vec!["444455556666".into()],
            ..Context::default()
        };
        let layer = "arn:aws:lambda:us-east-1:444455556666:layer:tools:7";
        assert_eq!(cross_account_layer(layer, &ctx, "orders"), None);
        let other = "arn:aws:lambda:us-east-1:777788889999:layer:tools:7";
        assert!(cross_account_layer(other, &ctx, "orders").is_some());
    }

    #[test]
    fn destinations_in_another_account_fire_and_own_or_trusted_do_not() {
        let own = in_account(Some("111122223333"));
        let dest = "arn:aws:sqs:us-east-1:444455556666:collector";
        let f = cross_account_destination(dest, "OnFailure", &own, "orders").unwrap();
        assert_eq!(
            (f.rule, f.severity),
            (RuleId::CrossAccountDestination, Severity::Medium)
        );
        assert!(f.message.contains("`444455556666`"), "{}", f.message);
        let mine = "arn:aws:sqs:us-east-1:111122223333:failures";
        assert_eq!(
            cross_account_destination(mine, "OnFailure", &own, "orders"),
            None
        );
        let trusted = Context {
            trusted_accounts: vec!["444455556666".into()],
            ..own.clone()
        };
        assert_eq!(
            cross_account_destination(dest, "OnSuccess", &trusted, "orders"),
            None
        );
        // An S3 bucket ARN names no account.
        assert_eq!(
            cross_account_destination("arn:aws:s3:::records", "OnFailure", &own, "orders"),
            None
        );
    }
}
