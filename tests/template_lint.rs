//! `doorman lint` on SAM / CloudFormation templates (issue 3, SPEC §6):
//! the findings a template gives, where they are, and the errors for inputs
//! that are not templates.

use doorman::lint::LocatedFinding;
use doorman::template::lint_template;
use proptest::prelude::*;
use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/templates")
        .join(name)
}

fn lint_fixture(name: &str) -> Vec<LocatedFinding> {
    let path = fixture(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    lint_template(name, &text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `(rule, logical id, line)` of each finding, in report order.
fn summary(findings: &[LocatedFinding]) -> Vec<(String, String, usize)> {
    findings
        .iter()
        .map(|f| {
            (
                f.finding.rule.to_string(),
                f.location.logical_id.clone().unwrap_or_default(),
                f.location.line.unwrap_or(0),
            )
        })
        .collect()
}

/// The findings are exactly `want` (rule, logical id, line), in order.
fn assert_summary(findings: &[LocatedFinding], want: &[(&str, &str, usize)]) {
    let want: Vec<(String, String, usize)> = want
        .iter()
        .map(|(r, id, l)| (r.to_string(), id.to_string(), *l))
        .collect();
    assert_eq!(summary(findings), want, "{findings:#?}");
}

#[test]
fn acceptance_template_gives_exactly_its_six_findings() {
    let findings = lint_fixture("acceptance.yaml");
    let want = [
        // (a) Policies: [AdministratorAccess]
        ("broad-managed-policy", "AdminFunction", 14),
        // (b) Lambda permission to `*`
        ("public-invoke", "PublicInvoke", 17),
        // (c) a role anyone may assume
        ("trust-any-principal", "AnyoneRole", 31),
        // (d) a public function URL
        ("public-function-url", "UrlFunction", 46),
        // (e) one role for two functions
        ("shared-execution-role", "SharedRole", 49),
        // (f) a role without logs permissions
        ("missing-logs", "SilentFunction", 101),
    ];
    assert_summary(&findings, &want);
    for f in &findings {
        assert_eq!(f.location.file, "acceptance.yaml");
    }
    let admin = &findings[0].finding;
    assert_eq!(admin.severity.to_string(), "critical");
    assert_eq!(
        admin.message,
        "AWS managed policy `AdministratorAccess` is attached to function `AdminFunction`: it allows every action on every resource"
    );
    let shared = &findings[4].finding;
    assert!(
        shared
            .message
            .contains("2 functions (`FirstSharer`, `SecondSharer`)"),
        "{}",
        shared.message
    );
}

#[test]
fn order_processor_of_the_spec_gives_no_finding() {
    let findings = lint_fixture("order-processor.yaml");
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn json_template_is_judged_with_lines() {
    let text = r#"{
  "Resources": {
    "Admin": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {
          "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        },
        "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess"}]
      }
    }
  }
}"#;
    let findings = lint_template("t.json", text).unwrap();
    // PowerUserAccess allows `sts:AssumeRole` on every role: judged from
    // its built-in document.
    assert_eq!(
        summary(&findings),
        [
            ("broad-managed-policy".to_string(), "Admin".to_string(), 9),
            ("privilege-escalation".to_string(), "Admin".to_string(), 9)
        ]
    );
    assert_eq!(findings[0].finding.severity.to_string(), "high");
}

#[test]
fn intrinsics_never_cause_findings() {
    let text = r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
      Layers:
        - !Ref SharedLayer
        - !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:layer:tools:3
      Policies:
        - AWSLambdaBasicExecutionRole
        - Statement:
            - Effect: Allow
              Action: [s3:GetObject, s3:PutObject]
              Resource: !Join ['', [!GetAtt Bucket.Arn, '/*']]
            - Effect: Allow
              Action: sqs:SendMessage
              Resource: !If [HasQueue, !GetAtt Queue.Arn, !Ref AWS::NoValue]
            - Effect: Allow
              Action: kms:Decrypt
              Resource: !ImportValue shared-key-arn
            - Effect: Allow
              Action: sns:Publish
              Resource: !Ref Topic
  S3Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: s3.amazonaws.com
      SourceArn: !GetAtt Bucket.Arn
      SourceAccount: !Ref AWS::AccountId
  Trusting:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:root
            Action: sts:AssumeRole
"#;
    let findings = lint_template("t.yaml", text).unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn errors_name_the_problem_and_line() {
    let text = std::fs::read_to_string(fixture("invalid-yaml.yaml")).unwrap();
    let err = lint_template("invalid-yaml.yaml", &text).unwrap_err();
    assert!(err.starts_with("not valid YAML: "), "{err}");
    assert!(err.contains("at line 6 column"), "{err}");
    let text = std::fs::read_to_string(fixture("not-a-template.yaml")).unwrap();
    assert_eq!(
        lint_template("not-a-template.yaml", &text).unwrap_err(),
        "not a CloudFormation template: it has no `Resources` section"
    );
}

#[test]
fn binary_reports_bad_templates_with_exit_2_and_still_checks_the_others() {
    let out = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "lint",
            "--format",
            "json",
            "tests/fixtures/templates/invalid-yaml.yaml",
            "tests/fixtures/templates/acceptance.yaml",
            "tests/fixtures/templates/not-a-template.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let err0 = results[0]["error"].as_str().unwrap();
    assert!(
        err0.contains("not valid YAML") && err0.contains("line 6"),
        "{err0}"
    );
    assert_eq!(results[1]["error"], serde_json::Value::Null);
    assert_eq!(results[1]["findings"].as_array().unwrap().len(), 6);
    assert_eq!(
        results[1]["findings"][0]["location"],
        serde_json::json!({
            "file": "tests/fixtures/templates/acceptance.yaml",
            "line": 14,
            "statement": null,
            "sid": null,
            "logical_id": "AdminFunction"
        })
    );
    assert!(results[2]["error"]
        .as_str()
        .unwrap()
        .contains("not a CloudFormation template"));
    // The text format names the file with the error.
    let text = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["lint", "tests/fixtures/templates/invalid-yaml.yaml"])
        .output()
        .unwrap();
    assert_eq!(text.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&text.stdout),
        String::from_utf8_lossy(&text.stderr)
    );
    assert!(
        all.contains("tests/fixtures/templates/invalid-yaml.yaml") && all.contains("line 6"),
        "{all}"
    );
}

#[test]
fn doormans_own_template_reports_nothing() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("template.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let findings = lint_template("template.yaml", &text).unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary text gives findings or an error, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = lint_template("fuzz.yaml", &text);
    }

    /// YAML-significant tokens in any order (tags, anchors, aliases, flow
    /// and block indicators, quotes, escapes) give findings or an error,
    /// never a panic, even where the parser itself would panic.
    #[test]
    fn yaml_token_soup_never_panics(
        body in prop::collection::vec(prop::sample::select(vec![
            "!Ref", "!Sub", "!If", "!!str", "!<x>", "!%C3", "&a", "*a", "[", "]", "{", "}", ",",
            ":", "- ", "? ", "|", ">", "'", "\"", "\\", "\\u", "#", "%TAG", "---", "...",
            "\n", "\n  ", "\t", " ", "x", "Resources", "Statement", "\r\n",
        ]), 0..60),
    ) {
        let text = format!("Resources:\n  R:\n    Properties: {}", body.concat());
        let _ = lint_template("fuzz.yaml", &text);
        let _ = lint_template("fuzz.yaml", &body.concat());
    }

    /// JSON-looking text with escapes (surrogate pairs, quotes, backslashes)
    /// never panics either.
    #[test]
    fn json_with_escapes_never_panics(
        body in prop::collection::vec(prop::sample::select(vec![
            "\\ud83d", "\\ude00", "\\u", "\\\"", "\\\\", "\\", "\"", ":", ",", "{", "}", "x", "\n", "é",
        ]), 0..40),
    ) {
        let text = format!("{{\"Resources\": \"{}", body.concat());
        let _ = lint_template("fuzz.json", &text);
    }

    /// Template-shaped text with random values and tags never panics either.
    #[test]
    fn template_shaped_text_never_panics(
        ty in prop::sample::select(vec![
            "AWS::IAM::Role", "AWS::Serverless::Function", "AWS::Lambda::Permission",
            "AWS::Lambda::Url", "AWS::Lambda::LayerVersionPermission", "AWS::IAM::Policy",
        ]),
        key in prop::sample::select(vec![
            "Policies", "Role", "Principal", "AuthType", "AssumeRolePolicyDocument",
            "ManagedPolicyArns", "PolicyDocument", "Layers", "FunctionUrlConfig",
        ]),
        tag in prop::sample::select(vec!["", "!Ref ", "!Sub ", "!GetAtt ", "!If ", "!Join ", "!Select "]),
        value in "[ -~]{0,40}",
    ) {
        let text = format!("Resources:\n  R:\n    Type: {ty}\n    Properties:\n      {key}: {tag}{value}\n");
        let _ = lint_template("fuzz.yaml", &text);
    }
}

#[test]
fn sam_policy_templates_expand_to_scoped_statements() {
    let text = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
      Policies:
        - S3ReadPolicy: {BucketName: !Ref B}
        - S3CrudPolicy: {BucketName: my-bucket}
        - DynamoDBCrudPolicy: {TableName: !Ref T}
        - DynamoDBStreamReadPolicy: {TableName: !Ref T, StreamName: !GetAtt T.StreamArn}
        - SQSPollerPolicy: {QueueName: !GetAtt Q.QueueName}
        - SQSSendMessagePolicy: {QueueName: orders}
        - SNSPublishMessagePolicy: {TopicName: !GetAtt Topic.TopicName}
        - LambdaInvokePolicy: {FunctionName: !Ref G}
        - KMSDecryptPolicy: {KeyId: !Ref K}
        - KMSEncryptPolicy: {KeyId: 1234abcd-12ab-34cd-56ef-1234567890ab}
        - KinesisStreamReadPolicy: {StreamName: !Ref S}
        - SSMParameterReadPolicy: {ParameterName: app/config}
        - AWSSecretsManagerGetSecretValuePolicy: {SecretArn: !Ref Secret}
        - StepFunctionsExecutionPolicy: {StateMachineName: !GetAtt SM.Name}
        - EventBridgePutEventsPolicy: {EventBusName: default}
        - FirehoseWritePolicy: {DeliveryStreamName: !Ref FH}
        - SomeFutureSamPolicyTemplate: {Anything: at-all}
"#;
    let findings = lint_template("t.yaml", text).unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn broad_managed_policies_by_name_and_arn_with_their_severities() {
    let text = r#"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
      Policies:
        - AmazonS3FullAccess
        - arn:aws:iam::aws:policy/IAMFullAccess
        - AWSLambdaBasicExecutionRole
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess
"#;
    let findings = lint_template("t.yaml", text).unwrap();
    let got: Vec<(String, String, usize)> = findings
        .iter()
        .map(|f| {
            (
                f.finding.severity.to_string(),
                f.location.logical_id.clone().unwrap(),
                f.location.line.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("medium".to_string(), "F".to_string(), 9),
            ("high".to_string(), "F".to_string(), 10),
            // IAMFullAccess, judged by its document too.
            ("critical".to_string(), "F".to_string(), 10),
            ("critical".to_string(), "R".to_string(), 21),
        ]
    );
    assert_eq!(findings[2].finding.rule.to_string(), "privilege-escalation");
    assert!(findings[3].finding.message.contains("role `R`"));
}

#[test]
fn policy_document_as_a_json_string_is_judged_and_garbage_is_invalid() {
    let text = r#"
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
  Q:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: q
      PolicyDocument: [not, a, policy]
"#;
    let findings = lint_template("t.yaml", text).unwrap();
    let rules: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f.finding.rule.to_string(),
                f.location.logical_id.clone().unwrap(),
            )
        })
        .collect();
    assert!(
        rules.contains(&("admin-access".to_string(), "P".to_string())),
        "{rules:?}"
    );
    let invalid = findings
        .iter()
        .find(|f| f.location.logical_id.as_deref() == Some("Q"))
        .unwrap();
    assert_eq!(invalid.finding.rule.to_string(), "invalid-policy");
    assert_eq!(
        invalid.finding.message,
        "PolicyDocument of `Q`: not an IAM policy: the document is a JSON array, not an object"
    );
    assert_eq!(invalid.location.line, Some(11));
}

// --- templates as CloudFormation reads them (issue 9) -----------------------

/// Whether a message shows a stand-in account or a placeholder spelt the
/// internal way (`${AWS.Region}`) instead of as the template wrote it.
fn shows_internal_spelling(text: &str) -> bool {
    let stand_in = text
        .split(|c: char| !c.is_ascii_digit())
        .any(|digits| digits.len() == 12 && digits.starts_with("9900000000"));
    stand_in
        || text.contains(doorman::template::TEMPLATE_ACCOUNT)
        || text.contains("000000000000")
        || text.contains("${AWS.")
        || text.contains("${Fn.")
}

#[test]
fn yaml_forms_pyyaml_accepts_parse_with_findings_at_their_lines() {
    // Continuation lines less indented than their key: a flow sequence (the
    // trust policy), a flow mapping (the admin policy), a double-quoted and
    // a single-quoted JSON string.
    let findings = lint_fixture("yaml-forms.yaml");
    let got = summary(&findings);
    let want = [
        ("admin-access", "FlowRole", 16),
        ("pass-role-wildcard", "QuotedPolicy", 20),
        ("resource-wildcard", "QuotedPolicy", 20),
        ("privilege-escalation", "SingleQuotedPolicy", 27),
        ("credentials-exposure", "SingleQuotedPolicy", 27),
        ("resource-wildcard", "SingleQuotedPolicy", 27),
    ];
    for (rule, id, line) in want {
        assert!(
            got.contains(&(rule.to_string(), id.to_string(), line)),
            "{rule} on {id} at line {line} missing from {got:?}"
        );
    }
    // The trust policy in a flow sequence was read: it trusts Lambda only.
    assert!(
        !got.iter().any(|(r, _, _)| r.starts_with("trust-")),
        "{got:?}"
    );
}

#[test]
fn duplicate_keys_are_an_error_naming_both_lines() {
    let text = std::fs::read_to_string(fixture("duplicate-keys.yaml")).unwrap();
    let err = lint_template("duplicate-keys.yaml", &text).unwrap_err();
    assert!(
        err.starts_with("duplicate key `AuthType` at line 9 (first at line 8)"),
        "{err}"
    );
    // Through the binary: an error result (exit 2), never a silent pick.
    let out = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "lint",
            "--format",
            "json",
            "tests/fixtures/templates/duplicate-keys.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = v["results"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("line 9") && error.contains("line 8"),
        "{error}"
    );
    // The same key in a JSON template is caught too.
    let json = "{\"Resources\": {\"U\": {\"Type\": \"AWS::Lambda::Url\",\n \"Properties\": {\"AuthType\": \"AWS_IAM\",\n \"AuthType\": \"NONE\"}}}}";
    let err = lint_template("t.json", json).unwrap_err();
    assert!(err.contains("line 3 (first at line 2)"), "{err}");
}

#[test]
fn intrinsics_are_judged_as_cloudformation_resolves_them() {
    let findings = lint_fixture("intrinsics-judged.yaml");
    let want = [
        // Globals layers: on each function that inherits them, at their line.
        ("cross-account-layer", "First", 22),
        ("cross-account-layer", "Second", 22),
        // An account known only at deploy time is another account.
        ("trust-cross-account", "CrossAccountRole", 29),
        // The false branch of `Fn::If`, with the parameter's Default `*`.
        ("pass-role-wildcard", "BranchPolicy", 48),
        ("resource-wildcard", "BranchPolicy", 48),
        // RolePolicy, GroupPolicy and UserPolicy are permission policies.
        ("admin-access", "RoleInline", 58),
        ("admin-access", "GroupInline", 78),
        ("admin-access", "UserAdmin", 86),
        // `!If [IsProd, AWS_IAM, NONE]`: public when the condition is false.
        ("public-function-url", "Second", 102),
    ];
    assert_summary(&findings, &want);
    let message = |rule: &str, id: &str| {
        findings
            .iter()
            .find(|f| {
                f.finding.rule.to_string() == rule && f.location.logical_id.as_deref() == Some(id)
            })
            .map(|f| f.finding.message.clone())
            .unwrap()
    };
    let trust = message("trust-cross-account", "CrossAccountRole");
    assert!(
        trust.contains("AWS `arn:aws:iam::${SourceAcct}:root` (account `${SourceAcct}`, not the role's account `${AWS::AccountId}`)"),
        "{trust}"
    );
    // `IsProd` follows `Stage`, whose allowed values are all judged.
    let when = "(when condition `IsProd` is false and parameter `Stage` is `dev`)";
    assert!(message("pass-role-wildcard", "BranchPolicy").ends_with(when));
    assert!(message("public-function-url", "Second").ends_with(when));
    assert!(message("cross-account-layer", "Second").starts_with("function `Second` uses layer"));
    for f in &findings {
        assert!(
            !shows_internal_spelling(&f.finding.message)
                && !shows_internal_spelling(&f.finding.fix),
            "{:#?}",
            f.finding
        );
    }
    // The `AWS::Include` document is not judged (no `invalid-policy`), and a
    // note says so.
    let text = std::fs::read_to_string(fixture("intrinsics-judged.yaml")).unwrap();
    let (_, notes) = doorman::template::lint_template_with_notes(
        "intrinsics-judged.yaml",
        &text,
        &doorman::rules::Context::default(),
    )
    .unwrap();
    assert_eq!(
        notes,
        ["PolicyDocument of `UserInline` (line 67) is not judged: `Fn::Transform` (e.g. `AWS::Include`) makes it at deploy time"]
    );
}

#[test]
fn a_parameter_with_allowed_values_is_judged_at_each_of_them() {
    let text = r#"
Parameters:
  Scope:
    Type: String
    AllowedValues: ["arn:aws:iam::111122223333:role/app-*", "*"]
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: iam:PassRole
            Resource: !Ref Scope
"#;
    let findings = lint_template("t.yaml", text).unwrap();
    let pass_role: Vec<&str> = findings
        .iter()
        .filter(|f| f.finding.rule.to_string() == "pass-role-wildcard")
        .map(|f| f.finding.message.as_str())
        .collect();
    assert_eq!(pass_role.len(), 1, "{findings:#?}");
    assert!(
        pass_role[0].ends_with("(when parameter `Scope` is `*`)"),
        "{}",
        pass_role[0]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// However an account, region or principal is written with intrinsics,
    /// no message shows a stand-in account or a mangled intrinsic.
    #[test]
    fn messages_show_intrinsics_as_written(
        account in prop::sample::select(vec![
            "${AWS::AccountId}", "${SourceAcct}", "${Defaulted}", "444455556666", "${Cust.AccountId}",
        ]),
        region in prop::sample::select(vec!["${AWS::Region}", "us-east-1", "*"]),
        principal in prop::sample::select(vec![
            "!Ref SourceAcct", "!Ref AWS::AccountId", "'*'", "!GetAtt Other.Arn", "!ImportValue shared",
        ]),
        resource in prop::sample::select(vec!["'*'", "!Ref Defaulted", "!Ref SourceAcct"]),
    ) {
        let text = format!(r#"
Parameters:
  SourceAcct: {{Type: String}}
  Defaulted: {{Type: String, Default: "*"}}
Globals:
  Function:
    Layers: [!Sub "arn:aws:lambda:{region}:{account}:layer:l:1"]
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{AWS: !Sub "arn:aws:iam::{account}:root"}}
            Action: sts:AssumeRole
          - Effect: Allow
            Principal: {{AWS: {principal}}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [iam:PassRole, sqs:SendMessage]
                Resource: [{resource}, !Sub "arn:aws:sqs:{region}:{account}:q"]
  F:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt R.Arn
  Perm:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref F
      Principal: {principal}
      SourceAccount: !Sub "{account}"
"#);
        let findings = lint_template("t.yaml", &text).unwrap();
        for f in &findings {
            prop_assert!(
                !shows_internal_spelling(&f.finding.message) && !shows_internal_spelling(&f.finding.fix),
                "{:#?}", f.finding
            );
        }
        // An account of a parameter without a value is another account.
        if account == "${SourceAcct}" {
            let reported = findings.iter().any(|f| f.finding.rule.to_string() == "trust-cross-account"
                && f.finding.message.contains("${SourceAcct}"));
            prop_assert!(reported, "{:#?}", findings);
        }
    }
}
