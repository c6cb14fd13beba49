//! One short page per rule — why it matters, an example that fires, the fix —
//! so that a finding is never a dead end (SPEC §11). `doorman explain RULE`
//! prints it; SARIF carries it as each rule's help text.
//!
//! [`doc`] matches on every [`RuleId`], so a new rule without a page does not
//! compile.

use super::{PolicyKind, RuleId, Severity};

/// The documentation of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDoc {
    pub id: RuleId,
    /// The severity it usually has (the highest, for rules whose severity
    /// depends on what they find).
    pub severity: Severity,
    /// Every severity it can have, as shown to the user: `critical / high / medium`.
    pub severities: &'static str,
    pub title: &'static str,
    /// One line: when it fires.
    pub summary: &'static str,
    pub why: &'static str,
    /// Something that makes it fire: a policy document, a template snippet,
    /// or the API call.
    pub example: &'static str,
    /// When `example` is a policy document: the kind to judge it as.
    pub example_kind: Option<PolicyKind>,
    pub fix: &'static str,
}

macro_rules! page {
    ($id:ident, $sev:ident, $sevs:literal, $kind:expr,
     title: $title:literal, summary: $summary:literal, why: $why:literal,
     example: $example:literal, fix: $fix:literal $(,)?) => {
        RuleDoc {
            id: RuleId::$id,
            severity: Severity::$sev,
            severities: $sevs,
            title: $title,
            summary: $summary,
            why: $why,
            example: $example,
            example_kind: $kind,
            fix: $fix,
        }
    };
}

const PERMISSION: Option<PolicyKind> = Some(PolicyKind::Permission);
const TRUST: Option<PolicyKind> = Some(PolicyKind::Trust);
const RESOURCE: Option<PolicyKind> = Some(PolicyKind::Resource);

/// The page of `id`.
pub fn doc(id: RuleId) -> RuleDoc {
    use RuleId::*;
    match id {
        AdminAccess => page!(AdminAccess, Critical, "critical", PERMISSION,
            title: "Administrator access",
            summary: "the Allow statements together grant every action (`*`, `*:*`, or `NotAction` with a tiny exclusion) on every resource (`*`, `arn:*`, `arn:aws:*`...), with no condition that restricts who may use them",
            why: "Whoever holds this policy can do anything in the account: read every secret, delete every table, create new users and keys, and switch off the logging that would show it. For a Lambda function it means a single code-injection bug is a full account takeover.\n\ndoorman judges what IAM would allow, not how the policy is spelled: `Resource: \"arn:*\"` is every resource; a `Deny` subtracts only what it denies unconditionally (`\"Deny\", \"NotResource\": \"arn:*\"` denies nothing); a condition everyone satisfies (`aws:SourceIp` `0.0.0.0/0`, `StringLike` `*`, `ForAllValues:` on `aws:PrincipalOrgID`, `aws:SecureTransport`) restricts nothing; and `*` split over several statements is still `*`, so the finding names every statement it takes.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "*", "Resource": "*" }
  ]
}"#,
            fix: "List the actions the function really calls and the ARNs it calls them on. IAM Access Analyzer's policy generation or `doorman replay` on CloudTrail events shows what is used.",
        ),
        BroadManagedPolicy => page!(BroadManagedPolicy, Critical, "critical / high / medium", None,
            title: "Broad AWS managed policy attached",
            summary: "`AdministratorAccess` (critical), `PowerUserAccess` or `IAMFullAccess` (high), or another AWS `*FullAccess` policy (medium) is attached to a role, user or group",
            why: "AWS managed `*FullAccess` policies grant every action of a service on every resource, and `AdministratorAccess` every action of every service. They are written for humans exploring a service, not for a function that touches one table or one bucket.",
            example: r#"OrderProcessor:
  Type: AWS::Serverless::Function
  Properties:
    Policies:
      - AmazonDynamoDBFullAccess"#,
            fix: "Replace the managed policy with an inline policy that names the actions and resources the function uses; for SAM, a policy template such as `DynamoDBCrudPolicy: {TableName: !Ref OrdersTable}` scopes to one table.",
        ),
        ServiceWildcard => page!(ServiceWildcard, High, "high", PERMISSION,
            title: "Every action of a service",
            summary: "an Allow grants every action of a service (`s3:*`, however spelled, or all but a few)",
            why: "`s3:*` includes `s3:DeleteBucket`, `s3:PutBucketPolicy` (make the bucket public) and every action AWS adds to the service in the future. A function that reads objects never needs them.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::orders-receipts/*" }
  ]
}"#,
            fix: "Name the actions: `s3:GetObject` and `s3:PutObject` rather than `s3:*`.",
        ),
        PrivilegeEscalation => page!(PrivilegeEscalation, Critical, "critical", PERMISSION,
            title: "Privilege escalation path",
            summary: "what the policy allows on every resource holds every action of a known escalation path (pathfinding.cloud ids such as `lambda-001`, `codebuild-001`, `ssm-002`, plus doorman's own)",
            why: "These combinations let the holder give itself more than the policy says: pass an admin role to a new function, CodeBuild project, SageMaker notebook or ECS task and run code as it; run commands on an instance (`ssm:SendCommand`, `ssm:StartSession`, EC2 Instance Connect) or rewrite a function or stack (`lambda:UpdateFunctionCode`, `cloudformation:UpdateStack`) whose role is stronger; attach `AdministratorAccess` to itself. The policy looks limited; its effect is not. The paths are the public pathfinding.cloud catalogue (ids such as `lambda-001`, `sagemaker-002`, `ssm-002`, `iam-009`; generated by `scripts/gen-escalation-paths`, licence in NOTICE) plus doorman's own (`doorman-lambda-001`: `lambda:UpdateFunctionConfiguration`; `doorman-iam-001`: `iam:SetDefaultPolicyVersion`). A path counts when the policy's statements together allow each of its actions, so splitting `iam:PassRole` and `lambda:CreateFunction` into two statements changes nothing. An `iam:PassedToService` condition naming the path's own service (`lambda.amazonaws.com` for the Lambda paths) does not close that path, since that is exactly where the role goes; naming another service does.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
      "Resource": "*"
    }
  ]
}"#,
            fix: "Scope the dangerous half to exact ARNs: `iam:PassRole` only on the one role the workload must pass, `lambda:UpdateFunctionCode` only on its own function, `ssm:SendCommand` only on its own instances and documents. `iam:PassedToService` alone is not enough when it names the service the path uses. Break the chain rather than trimming around it.",
        ),
        PassRoleWildcard => page!(PassRoleWildcard, High, "high / medium", PERMISSION,
            title: "`iam:PassRole` on any role",
            summary: "`iam:PassRole` on every role (`*`, `arn:aws:iam::*:role/*`, `NotResource`...); medium on every role of one account",
            why: "Passing a role hands its permissions to a service (a new Lambda function, an EC2 instance, a Glue job). On `*` the holder can pass the most powerful role in the account.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*" }
  ]
}"#,
            fix: "Name the role ARNs that may be passed, and add `\"Condition\": {\"StringEquals\": {\"iam:PassedToService\": \"lambda.amazonaws.com\"}}`.",
        ),
        PermissionsManagement => page!(PermissionsManagement, High, "high / medium", PERMISSION,
            title: "Permissions management on any resource",
            summary: "Permissions-management actions (`iam:Put*Policy`, `iam:Attach*Policy`, `iam:CreatePolicyVersion`, `lambda:AddPermission`, ...) on every resource; medium on every resource of one account",
            why: "These actions change who may do what. On `*` they let the holder rewrite any role's policy or open any function to the world — including its own.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*" }
  ]
}"#,
            fix: "Restrict to the exact roles, policies or functions the automation manages (e.g. `arn:aws:iam::111122223333:role/app-*`), and add a permissions boundary to the roles it creates.",
        ),
        CredentialsExposure => page!(CredentialsExposure, High, "high / medium", PERMISSION,
            title: "Actions that return credentials",
            summary: "actions that return credentials (`iam:CreateAccessKey`, `sts:AssumeRole`, `ec2:GetPasswordData`, ...) on every resource; medium on every resource of one account",
            why: "Credentials outlive the function call that created them: an access key created for any user, or a role assumed anywhere, is a door that stays open after the bug is fixed.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*" }
  ]
}"#,
            fix: "Name the users or roles: `sts:AssumeRole` on `arn:aws:iam::111122223333:role/reporting-reader`, `iam:CreateAccessKey` only on `arn:aws:iam::*:user/${aws:username}`.",
        ),
        SensitiveDataRead => page!(SensitiveDataRead, Medium, "medium / low", PERMISSION,
            title: "Reads sensitive data anywhere",
            summary: "`s3:GetObject`, `secretsmanager:GetSecretValue`, `ssm:GetParameter*`, `kms:Decrypt`, `dynamodb:Scan`/`Query` on every resource; low on every resource of one account",
            why: "These actions read data, not metadata: every object in every bucket, every secret, every parameter. A function compromised through its input can exfiltrate all of it.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*" }
  ]
}"#,
            fix: "Name the secret, bucket prefix, parameter path or key: `arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/db-*`.",
        ),
        ResourceWildcard => page!(ResourceWildcard, Medium, "medium / low", PERMISSION,
            title: "`Resource: \"*\"` where an ARN is possible",
            summary: "every resource (`*`, `arn:*`, `arn:aws:s3:::*`...) on an action that accepts resource ARNs: medium for Write/Tagging, low for Read/List; never for actions that accept only `*`",
            why: "The action can be scoped, so `*` is a choice: it lets the function write to every table or queue in the account instead of its own. (Actions such as `xray:PutTraceSegments` or `lambda:ListFunctions` accept only `*`; doorman knows them and stays quiet.)",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*" }
  ]
}"#,
            fix: "Use the ARN of the resource: `arn:aws:dynamodb:us-east-1:111122223333:table/Orders` (in SAM, `!GetAtt OrdersTable.Arn`).",
        ),
        NotActionAllow => page!(NotActionAllow, High, "high", PERMISSION,
            title: "Allow with `NotAction`",
            summary: "an Allow statement uses `NotAction`",
            why: "`Allow` + `NotAction` grants everything except the listed actions — including every action and service AWS adds later. It is almost always broader than its author meant.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "NotAction": "iam:*", "Resource": "*" }
  ]
}"#,
            fix: "List the allowed actions with `Action`. If the intent is a guard rail, use a `Deny` statement with `Action` (or an SCP / permissions boundary) instead.",
        ),
        NotResourceAllow => page!(NotResourceAllow, Medium, "medium", PERMISSION,
            title: "Allow with `NotResource`",
            summary: "an Allow statement uses `NotResource`",
            why: "`Allow` + `NotResource` grants the actions on every resource except the listed ones — including resources created later, in any account the action can reach.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::payroll/*" }
  ]
}"#,
            fix: "List the resources the statement applies to with `Resource`; express exceptions as a `Deny`.",
        ),
        UnknownAction => page!(UnknownAction, Medium, "medium", PERMISSION,
            title: "Unknown action",
            summary: "an action or pattern matches nothing in the IAM action catalog",
            why: "IAM accepts the policy and silently grants nothing for a misspelt action, so the function fails at run time with AccessDenied — usually in production, usually on the rare path. A pattern that matches nothing is the same mistake.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:GetObjects", "Resource": "arn:aws:s3:::orders-receipts/*" }
  ]
}"#,
            fix: "Correct the name (doorman suggests the closest action); the Service Authorization Reference lists every action.",
        ),
        ResourceMismatch => page!(ResourceMismatch, Low, "low", PERMISSION,
            title: "Resource ARN the action does not accept",
            summary: "a resource ARN matches no resource type the action accepts",
            why: "The statement grants nothing for that pair: `s3:PutObject` applies to objects (`bucket/*`), not to the bucket ARN. The function gets AccessDenied although the policy seems to allow it, and someone 'fixes' it with `*`.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::orders-receipts" }
  ]
}"#,
            fix: "Use the ARN form of the action's resource type: `arn:aws:s3:::orders-receipts/*` for object actions, the bucket ARN for bucket actions (often two statements).",
        ),
        InvalidPolicy => page!(InvalidPolicy, High, "high", PERMISSION,
            title: "Invalid policy",
            summary: "not a valid IAM policy: missing `Effect`/`Action`/`Resource`, unknown element, unknown condition operator, bad `Version`",
            why: "IAM rejects the whole document, so the deploy or API call fails — or, for elements IAM ignores, the policy does something other than what it reads. A `Version` other than `2012-10-17` disables policy variables such as `${aws:username}`. IAM also rejects a `Sid` used twice in one policy, a `Sid` of an identity or trust policy with anything but ASCII letters and digits (Lambda statement ids may also hold `-` and `_`), and a wildcard inside a principal name or ARN (`arn:aws:iam::*:root`, `arn:aws:iam::111122223333:role/*`): `*` is accepted only as the whole principal.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Alow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::orders-receipts/*" }
  ]
}"#,
            fix: "Correct the element the message names; use `\"Version\": \"2012-10-17\"`. Give each statement its own letters-and-digits `Sid`. Instead of a wildcard in a principal ARN, name the principals, or use `\"AWS\": \"*\"` with a condition on `aws:PrincipalArn` or `aws:PrincipalOrgID`.",
        ),
        TrustAnyPrincipal => page!(TrustAnyPrincipal, Critical, "critical", TRUST,
            title: "Anyone may assume the role",
            summary: "`{\"AWS\": \"*\"}` or `\"*\"` may assume the role without a condition restricting it to an account or organization",
            why: "Any AWS account in the world — any attacker with a free account — can call `sts:AssumeRole` on this role and get its permissions. A standalone document is a trust policy when a statement with a principal grants a way into a role as IAM reads the action: `sts:AssumeRole`, but also `sts:*`, `sts:Assume*` or `*` (without a `Resource`), so the wildcard spellings are judged by these rules too.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Principal": { "AWS": "*" }, "Action": "sts:AssumeRole" }
  ]
}"#,
            fix: "Name the principal (`arn:aws:iam::111122223333:role/deployer`), or keep `*` only with `\"Condition\": {\"StringEquals\": {\"aws:PrincipalOrgID\": \"o-abc123\"}}`.",
        ),
        TrustCrossAccount => page!(TrustCrossAccount, High, "high", TRUST,
            title: "Another account may assume the role",
            summary: "an AWS principal of another account may assume the role without `sts:ExternalId`, `aws:PrincipalOrgID` or `aws:PrincipalOrgPaths`",
            why: "Trusting another account's root trusts every identity that account lets assume roles. Without an external id, a third-party service can be tricked into using your role for someone else (the confused deputy).",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::444455556666:root" },
      "Action": "sts:AssumeRole"
    }
  ]
}"#,
            fix: "Add `\"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<secret agreed with the vendor>\"}}`, or `aws:PrincipalOrgID` for accounts of your organization; name a role rather than `:root`. Pass `--account` so your own account is not counted as another. Accounts you vouch for (your other accounts, a vendor you have reviewed) go in `trusted-accounts` (`doorman.toml`, or the Lambda's `TrustedAccounts` parameter): every cross-account rule treats them like your own account. With `trusted-orgs` set, an `aws:PrincipalOrgID` or `aws:PrincipalOrgPaths` condition guards only when it names one of those organizations; a condition naming another organization, or `*` limited to one, is reported.",
        ),
        TrustOidcUnrestricted => page!(TrustOidcUnrestricted, Critical, "critical", TRUST,
            title: "Web identity (OIDC) trust without audience and subject",
            summary: "a federated OIDC principal without `:aud` and `:sub` conditions; for GitHub Actions, a `sub` that does not pin a repository",
            why: "Without a `sub` condition every token the provider issues is accepted: for `token.actions.githubusercontent.com` that is any workflow in any repository on GitHub, including an attacker's.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" },
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" }
      }
    }
  ]
}"#,
            fix: "Add `\"StringLike\": {\"token.actions.githubusercontent.com:sub\": \"repo:my-org/my-repo:ref:refs/heads/main\"}` next to the `aud` condition.",
        ),
        TrustWildcardAction => page!(TrustWildcardAction, Medium, "medium", TRUST,
            title: "Wildcard action in a trust policy",
            summary: "the trust policy grants `sts:*`, `*` or another wildcard",
            why: "A trust policy should name the one way in (`sts:AssumeRole`, `sts:AssumeRoleWithWebIdentity`, ...). A wildcard also grants `sts:TagSession` and `sts:SetSourceIdentity`, which let the caller set the session tags and identity other policies trust.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:*" }
  ]
}"#,
            fix: "Name the action: `\"Action\": \"sts:AssumeRole\"`.",
        ),
        TrustNotPrincipal => page!(TrustNotPrincipal, High, "high", TRUST,
            title: "Allow with `NotPrincipal`",
            summary: "a trust statement allows with `NotPrincipal`",
            why: "`Allow` + `NotPrincipal` lets everyone except the listed principals assume the role — anonymous and other-account callers included.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "NotPrincipal": { "AWS": "arn:aws:iam::111122223333:role/auditor" },
      "Action": "sts:AssumeRole"
    }
  ]
}"#,
            fix: "Name who may assume the role with `Principal`.",
        ),
        TrustExtraPrincipals => page!(TrustExtraPrincipals, Medium, "medium", TRUST,
            title: "Lambda execution role also assumable by others",
            summary: "a role that trusts `lambda.amazonaws.com` is also assumable by other principals",
            why: "An execution role is sized for one function. Letting people or other services assume it too blurs who did what in CloudTrail, and anyone who may assume it gets the function's data access.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "lambda.amazonaws.com",
        "AWS": "arn:aws:iam::111122223333:role/developer"
      },
      "Action": "sts:AssumeRole"
    }
  ]
}"#,
            fix: "Trust only `lambda.amazonaws.com` (with an `aws:SourceAccount` condition); give the other principal its own role.",
        ),
        PublicInvoke => page!(PublicInvoke, Critical, "critical", RESOURCE,
            title: "Anyone may invoke the function",
            summary: "principal `*` may invoke without `aws:SourceArn`, `aws:SourceAccount`, `aws:PrincipalOrgID` or `lambda:EventSourceToken`",
            why: "Any AWS account can call the function directly: run up its bill, feed it crafted input, and reach whatever its role can reach.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": "*",
      "Action": "lambda:InvokeFunction",
      "Resource": "arn:aws:lambda:us-east-1:111122223333:function:orders"
    }
  ]
}"#,
            fix: "Name the principal (a service with `aws:SourceArn`, or an account), e.g. `aws lambda add-permission --principal apigateway.amazonaws.com --source-arn arn:aws:execute-api:us-east-1:111122223333:abc123/*`.",
        ),
        ServiceInvokeNoSource => page!(ServiceInvokeNoSource, High, "high", RESOURCE,
            title: "Service may invoke without a source",
            summary: "a service principal may invoke without `aws:SourceArn` (for `s3.amazonaws.com` also without `aws:SourceAccount`)",
            why: "A permission for `s3.amazonaws.com` alone lets any bucket of any account trigger the function (the confused deputy). Bucket ARNs carry no account, so S3 needs `SourceAccount` as well. The message says what is left open: with `aws:SourceAccount` but no `aws:SourceArn`, any resource of that account can trigger the function; with a bucket ARN but no account, a bucket of that name in another account (once yours is deleted) can.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "Service": "s3.amazonaws.com" },
      "Action": "lambda:InvokeFunction",
      "Resource": "arn:aws:lambda:us-east-1:111122223333:function:thumbnails"
    }
  ]
}"#,
            fix: "Add `--source-arn arn:aws:s3:::uploads-bucket --source-account 111122223333` to `aws lambda add-permission` (in CloudFormation, `SourceArn` and `SourceAccount` on `AWS::Lambda::Permission`).",
        ),
        ResourcePolicyBroadAction => {
            page!(ResourcePolicyBroadAction, Critical, "critical", RESOURCE,
                title: "Resource policy grants more than invoke",
                summary: "a function's resource policy grants `lambda:*` or an action other than `lambda:InvokeFunction`, `lambda:InvokeFunctionUrl`, `lambda:GetFunction`",
                why: "With `lambda:UpdateFunctionCode` or `lambda:*` the other principal can replace the function's code and run anything with its role.",
                example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::444455556666:root" },
      "Action": "lambda:*",
      "Resource": "arn:aws:lambda:us-east-1:111122223333:function:orders"
    }
  ]
}"#,
                fix: "Grant only `lambda:InvokeFunction` (`aws lambda add-permission --action lambda:InvokeFunction`).",
            )
        }
        CrossAccountInvoke => page!(CrossAccountInvoke, Medium, "medium", RESOURCE,
            title: "Another account may invoke",
            summary: "another account may invoke the function, without `aws:PrincipalOrgID`",
            why: "A cross-account invoke permission is sometimes intended; it should be deliberate and visible, and limited to accounts of your organization where possible.",
            example: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::444455556666:root" },
      "Action": "lambda:InvokeFunction",
      "Resource": "arn:aws:lambda:us-east-1:111122223333:function:orders"
    }
  ]
}"#,
            fix: "Add `--principal-org-id o-abc123` to `aws lambda add-permission`, or suppress the rule for this function if the other account is a known partner. Pass `--account` so your own account is not counted as another. Accounts you vouch for (your other accounts, a vendor you have reviewed) go in `trusted-accounts` (`doorman.toml`, or the Lambda's `TrustedAccounts` parameter): every cross-account rule treats them like your own account. With `trusted-orgs` set, an `aws:PrincipalOrgID` or `aws:PrincipalOrgPaths` condition guards only when it names one of those organizations; a condition naming another organization, or `*` limited to one, is reported.",
        ),
        PublicFunctionUrl => page!(PublicFunctionUrl, High, "high", None,
            title: "Public function URL",
            summary: "a function URL with `AuthType: NONE`",
            why: "The function gets an HTTPS endpoint that anyone on the internet can call without signing. That is right for a public webhook that checks its own signatures, and wrong everywhere else.",
            example: r#"aws lambda create-function-url-config --function-name orders --auth-type NONE"#,
            fix: "Use `--auth-type AWS_IAM` and sign requests, or put API Gateway with an authorizer in front; if the URL must be public, verify a signature in the handler and suppress the rule for this function.",
        ),
        PublicLayer => page!(PublicLayer, High, "high", None,
            title: "Public layer",
            summary: "a layer version permission to principal `*` without an organization id",
            why: "Every AWS account can use (and download) the layer's content, which often contains internal code or configuration.",
            example: r#"aws lambda add-layer-version-permission --layer-name shared-utils --version-number 3 \
        --statement-id public --action lambda:GetLayerVersion --principal '*'"#,
            fix: "Grant to named accounts, or add `--organization-id o-abc123`.",
        ),
        CrossAccountLayer => page!(CrossAccountLayer, Medium, "medium", None,
            title: "Layer from another account",
            summary: "a function uses a layer published by another account",
            why: "Layer code runs inside the function with its role. A layer owned by another account can change under you (a new version) or disappear and break deploys. Layers AWS publishes itself are not reported: Powertools for AWS Lambda (Python, TypeScript), the Lambda Insights, Parameters and Secrets and AppConfig extensions, ADOT and the CodeGuru Profiler agent, from the accounts their AWS documentation lists (per Region where it lists one per Region).",
            example: r#"aws lambda update-function-configuration --function-name orders \
        --layers arn:aws:lambda:us-east-1:444455556666:layer:utils:7"#,
            fix: "Copy the layer into your account (or use an AWS-published layer), pin the version, and review its content. A publisher you have reviewed (your organization's layer account, a vendor) goes in `trusted-accounts` (`doorman.toml`, or the Lambda's `TrustedAccounts` parameter): every cross-account rule treats it like your own account.",
        ),
        MissingLogs => page!(MissingLogs, Medium, "medium", None,
            title: "Function cannot write logs",
            summary: "none of the execution role's policies allows `logs:CreateLogStream` and `logs:PutLogEvents` for the function's log group",
            why: "The function runs but logs nothing: errors are invisible and incidents cannot be investigated.",
            example: r#"Role policies of the function `orders` allow only:
        { "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Orders" }"#,
            fix: "Attach `AWSLambdaBasicExecutionRole`, or allow `logs:CreateLogStream` and `logs:PutLogEvents` on `arn:aws:logs:<region>:<account>:log-group:/aws/lambda/<function>:*`.",
        ),
        SharedExecutionRole => page!(SharedExecutionRole, Medium, "medium", None,
            title: "Execution role shared by functions",
            summary: "the role is the execution role of more than one function",
            why: "A shared role holds the union of every function's needs, so each function gets permissions it does not use, and a bug in one reaches the data of all.",
            example: r#"aws lambda create-function --function-name billing --role arn:aws:iam::111122223333:role/orders-role ...
        (`orders-role` is already the role of the function `orders`)"#,
            fix: "Give each function its own role (SAM does this when you use `Policies` instead of `Role`).",
        ),
        RoleNotLambdaTrusted => page!(RoleNotLambdaTrusted, Low, "low", None,
            title: "Role does not trust Lambda",
            summary: "a function is given a role whose trust policy does not allow `lambda.amazonaws.com`",
            why: "Lambda cannot assume the role, so creating or updating the function fails; or the role was meant for something else and is being reused.",
            example: r#"aws lambda create-function --function-name orders --role arn:aws:iam::111122223333:role/ec2-app ...
        (the trust policy of `ec2-app` allows only `ec2.amazonaws.com`)"#,
            fix: "Use a role whose trust policy allows `lambda.amazonaws.com` to `sts:AssumeRole`.",
        ),
        EventSourceMissingPermissions => {
            page!(EventSourceMissingPermissions, Medium, "medium", None,
                title: "Event source without polling permissions",
                summary: "an SQS / Kinesis / DynamoDB Streams event source mapping whose function role lacks the polling actions",
                why: "Lambda polls the source with the function's role. Without `sqs:ReceiveMessage`, `sqs:DeleteMessage` and `sqs:GetQueueAttributes` (or the Kinesis / Streams equivalents) the mapping is created but never delivers, or redelivers forever.",
                example: r#"aws lambda create-event-source-mapping --function-name orders \
  --event-source-arn arn:aws:sqs:us-east-1:111122223333:orders-queue
(the role of `orders` has no sqs: actions)"#,
                fix: "Attach `AWSLambdaSQSQueueExecutionRole` scoped to the queue, or allow the three sqs: actions on the queue ARN.",
            )
        }
        UnusedExecutionRole => page!(UnusedExecutionRole, Low, "low", None,
            title: "Lambda role no function uses",
            summary: "`doorman audit`: a role that trusts `lambda.amazonaws.com` is the execution role of no function in the audited inventory",
            why: "A Lambda role nobody uses is standing access with no owner: it keeps its permissions, anyone who may pass it (`iam:PassRole`) can give it to a new function, and nobody notices when it is changed. Roles left behind by deleted functions are the usual case. The audit sees only the functions it was given, so collect `list-functions` in every Region you use before deleting anything.",
            example: r#"aws lambda delete-function --function-name old-report
        (its role `old-report-role` stays, still trusted by Lambda, with its policies)"#,
            fix: "Delete the role (`aws iam delete-role` after detaching its policies) or remove `lambda.amazonaws.com` from its trust policy; if a function in a Region you did not collect uses it, collect that Region too.",
        ),
        PermissionsBoundaryRemoved => page!(PermissionsBoundaryRemoved, High, "high", None,
            title: "Permissions boundary removed",
            summary: "`DeleteRolePermissionsBoundary` or `DeleteUserPermissionsBoundary` was called, or `Put*PermissionsBoundary` set a boundary that allows everything",
            why: "A boundary caps what a role or user can ever do, whatever policies it gets. Removing it is how a delegated admin escapes the cap; swapping it for `AdministratorAccess` (or any policy IAM reads as every action on every resource, however it is spelled) does the same while looking like a boundary is still there.",
            example: r#"aws iam delete-role-permissions-boundary --role-name orders-role
        aws iam put-role-permissions-boundary --role-name orders-role \
        --permissions-boundary arn:aws:iam::aws:policy/AdministratorAccess"#,
            fix: "Put a real boundary back (`aws iam put-role-permissions-boundary` with a policy that allows only what the role may ever need), find out who changed it, and deny `iam:Delete*PermissionsBoundary` and `iam:Put*PermissionsBoundary` to everyone but break-glass roles.",
        ),
        CrossAccountDestination => page!(CrossAccountDestination, Medium, "medium", None,
            title: "Invocation records sent to another account",
            summary: "`PutFunctionEventInvokeConfig` or `UpdateFunctionEventInvokeConfig` sends a function's `OnSuccess` or `OnFailure` records to a destination in another account",
            why: "An asynchronous invocation record carries the invocation's whole payload (and the response or the error). A destination in another account (an SQS queue, SNS topic, Lambda function or event bus there) copies every such payload out of the account. Destinations whose ARN names no account (S3 buckets) are not judged.",
            example: r#"aws lambda put-function-event-invoke-config --function-name orders \
        --destination-config '{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:444455556666:collector"}}'"#,
            fix: "Send invocation records to a destination in this account. An account you vouch for (your organization's log archive, a reviewed partner) goes in `trusted-accounts` (`doorman.toml`, or the Lambda's `TrustedAccounts` parameter).",
        ),
        UnprocessableEvent => page!(UnprocessableEvent, Medium, "medium", None,
            title: "Event doorman could not evaluate",
            summary: "doorman could not evaluate an event it is subscribed to; the alert names the event id and why",
            why: "A change doorman cannot judge is a change nobody judged. The alert keeps it visible instead of dropping it.",
            example: r#"A PutRolePolicy event whose policy document is not valid JSON,
        or whose referenced policy was deleted before doorman fetched it."#,
            fix: "Look up the event id in CloudTrail and review the change by hand; if doorman is wrong, report it with the event.",
        ),
        SuppressionAdded => page!(SuppressionAdded, High, "high", None,
            title: "Suppression tag added",
            summary: "a `doorman:ignore` tag was set or changed on a role, user, policy or function (TagRole, TagUser, TagPolicy, Lambda TagResource); never suppressible",
            why: "The `doorman:ignore` tag silences doorman's rules for what it is on, and whoever may tag a role or function may set it: the person doorman watches can switch off the alert on their next change. So the tag itself is alerted, naming who silenced which rules on what, and no filter (minimum severity, ignored rules or principals, tags) can hide this alert. Tag keys are compared as IAM compares them, ignoring case (`DOORMAN:IGNORE` is the same key).",
            example: r#"aws iam tag-role --role-name orders-role \
        --tags '[{"Key": "doorman:ignore", "Value": "admin-access,privilege-escalation"}]'"#,
            fix: "If nobody agreed to the suppression, remove the tag (`aws iam untag-role --tag-keys doorman:ignore`, `aws lambda untag-resource`) and review the findings it would hide. Allow the `doorman:ignore` key only to the team that owns doorman: deny `iam:TagRole`, `iam:TagUser`, `iam:TagPolicy` and `lambda:TagResource` with `\"ForAnyValue:StringEqualsIgnoreCase\": {\"aws:TagKeys\": \"doorman:ignore\"}` in an SCP.",
        ),
        GuardrailTampering => page!(GuardrailTampering, Critical, "critical", None,
            title: "Guardrail tampering",
            summary: "doorman's own role, KMS key, rules, function, topic or subscriptions, failure queue or log group, the CloudTrail trail that feeds it, the scheduled audit's rule or report bucket (its policy, encryption, public access block, lifecycle), or in an organization a member's forwarding rules, reader role or stack and the member StackSet, were disabled, deleted or changed (critical); a failed attempt is reported at low, and the README's self-test event at info, labelled SELF-TEST",
            why: "Switching off the alarm is the first step of an attack that wants to stay unseen. This alert is the last one doorman may be able to send, so it is never suppressed: not by `IgnoredRules`, a `doorman:ignore` tag, an ignored principal or the minimum severity, even when the change itself sets them. A call that failed (an `errorCode`) changed nothing but shows someone trying, and is reported at low.",
            example: r#"aws cloudtrail stop-logging --name management-events
        aws events disable-rule --name doorman-changes
        aws kms disable-key --key-id 1234abcd-12ab-34cd-56ef-1234567890ab
        aws iam detach-role-policy --role-name doorman-DoormanRole-1A2B --policy-arn ...
        aws lambda update-function-configuration --function-name doorman \
        --environment 'Variables={DOORMAN_IGNORE_RULES=guardrail-tampering}'
        aws s3api delete-public-access-block --bucket doorman-reportbucket-1q2w3e4r5t6y"#,
            fix: "Restore the resource (redeploy doorman, `aws cloudtrail start-logging`, `aws kms enable-key`), find out who changed it, and deny these actions to everyone but deployment roles with an SCP.",
        ),
        AccessDenied => page!(AccessDenied, Low, "low", None,
            title: "Lambda role refused a call",
            summary: "the Lambda (`DiagnoseAccessDenied`): a role that trusts `lambda.amazonaws.com` was refused a call (`AccessDenied`, `UnauthorizedOperation`, ...); the alert names the policy type that refused it and the one statement to add, once per role, action and resource a day",
            why: "A function that gets AccessDenied is usually fixed in a hurry, and the hurried fix is `AdministratorAccess` or `Action: \"*\"`. The denied call itself says exactly what is missing: the action, the resource and, in AWS's message, which policy refused it (\"no identity-based policy allows\", \"with an explicit deny in a service control policy\"). doorman turns it into the one statement to add, scoped to that resource, so the narrow fix is the quick one. A function retrying the call a thousand times makes one alert: the role, action and resource are remembered for 24 hours in the stack's DynamoDB table.",
            example: r#"A function whose role `orders-fn-role` may only read its table calls PutItem:
        errorCode: AccessDeniedException
        errorMessage: User: arn:aws:sts::111122223333:assumed-role/orders-fn-role/orders is not
          authorized to perform: dynamodb:PutItem on resource:
          arn:aws:dynamodb:us-east-1:111122223333:table/Orders because no identity-based
          policy allows the dynamodb:PutItem action"#,
            fix: "Add the statement the alert gives to a policy of the role (`{\"Effect\": \"Allow\", \"Action\": \"dynamodb:PutItem\", \"Resource\": \"arn:aws:dynamodb:us-east-1:111122223333:table/Orders\"}`), or to the resource-based policy, boundary or organization policy it names; for an explicit Deny, change the policy it points at, or do without the call. `doorman tighten` gives the same diagnosis from CloudTrail log files.",
        ),
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The page as plain text, for `doorman explain RULE` and SARIF `help.text`.
pub fn text(id: RuleId) -> String {
    let d = doc(id);
    format!(
        "{id} ({sevs}): {title}\n\nFires when {summary}.\n\nWhy it matters\n{why}\n\nExample that fires\n{example}\n\nFix\n{fix}\n",
        sevs = d.severities,
        title = d.title,
        summary = d.summary,
        why = indent(d.why),
        example = indent(d.example),
        fix = indent(d.fix),
    )
}

/// The page as Markdown, for SARIF `help.markdown` (GitHub shows it beside
/// each alert).
pub fn markdown(id: RuleId) -> String {
    let d = doc(id);
    let lang = if d.example.trim_start().starts_with('{') {
        "json"
    } else if d.example.starts_with("aws ") {
        "sh"
    } else if d.example_kind.is_none() && d.example.contains(":\n") {
        "yaml"
    } else {
        "text"
    };
    format!(
        "**{title}** (`{id}`, {sevs})\n\nFires when {summary}.\n\n### Why it matters\n{why}\n\n### Example that fires\n```{lang}\n{example}\n```\n\n### Fix\n{fix}\n",
        title = d.title,
        sevs = d.severities,
        summary = d.summary,
        why = d.why,
        example = d.example,
        fix = d.fix,
    )
}

/// One line per rule: id, severity, summary — for `doorman explain` and
/// the README's rule table.
pub fn list() -> String {
    let width = RuleId::ALL
        .iter()
        .map(|r| r.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for id in RuleId::ALL {
        let d = doc(*id);
        out.push_str(&format!(
            "{:width$}  {:<24}  {}\n",
            id.as_str(),
            d.severities,
            d.summary
        ));
    }
    out
}

/// The rule table of the README: id, severity, when it fires. A test keeps
/// the README in step with this.
pub fn markdown_table() -> String {
    let mut out = String::from("| rule | severity | fires when |\n|---|---|---|\n");
    for id in RuleId::ALL {
        let d = doc(*id);
        out.push_str(&format!("| `{id}` | {} | {} |\n", d.severities, d.summary));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;
    use crate::rules::{evaluate, Context};

    #[test]
    fn every_rule_has_a_complete_page() {
        for id in RuleId::ALL {
            let d = doc(*id);
            assert_eq!(d.id, *id, "page of {id} is labelled {}", d.id);
            for (field, text) in [
                ("title", d.title),
                ("summary", d.summary),
                ("why", d.why),
                ("example", d.example),
                ("fix", d.fix),
            ] {
                assert!(!text.trim().is_empty(), "{id}: empty {field}");
            }
            assert!(
                d.severities.starts_with(d.severity.as_str()),
                "{id}: the default severity is the first listed"
            );
        }
    }

    #[test]
    fn policy_examples_are_valid_json_policies() {
        for id in RuleId::ALL {
            let d = doc(*id);
            if d.example_kind.is_some() {
                let parsed = parse_document(d.example);
                assert!(parsed.is_ok(), "{id}: example does not parse: {parsed:?}");
            }
        }
    }

    /// The example on each page really fires its rule, so the docs cannot
    /// drift from the rules.
    #[test]
    fn policy_examples_fire_their_rule() {
        let mut silent = Vec::new();
        for id in RuleId::ALL {
            let d = doc(*id);
            let Some(kind) = d.example_kind else { continue };
            let policy = parse_document(d.example).unwrap();
            let findings = evaluate(&policy, kind, &Context::default());
            if !findings.iter().any(|f| f.rule == *id) {
                silent.push(id.as_str());
            }
        }
        assert!(silent.is_empty(), "examples that do not fire: {silent:?}");
    }

    #[test]
    fn text_page_has_every_part() {
        let t = text(RuleId::PublicInvoke);
        assert!(t.starts_with("public-invoke (critical): Anyone may invoke the function\n"));
        for heading in ["Why it matters", "Example that fires", "Fix"] {
            assert!(t.contains(&format!("\n{heading}\n")), "{heading}");
        }
    }

    #[test]
    fn list_has_one_line_per_rule() {
        assert_eq!(list().lines().count(), RuleId::ALL.len());
        assert!(list().lines().any(|l| l.starts_with("admin-access ")));
    }

    #[test]
    fn readme_rule_table_is_generated_from_these_pages() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md at the crate root");
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "the rule table in README.md is out of date; replace it with:\n\n{table}"
        );
    }
}
