//! `doorman tighten` on the generated trail (tests/fixtures/tighten/trail,
//! written by `scripts/gen-cloudtrail --files 3 --records 40 --plain-every 3`):
//! the used calls, the unused grants, the proposed policy and the
//! AccessDenied fixes, exactly.

use doorman::catalog;
use doorman::tighten::denied::Door;
use doorman::tighten::{current, Current, Options, Report, Tightener};
use serde_json::{json, Value};
use std::collections::BTreeSet;
mod tighten_support;

use std::path::{Path, PathBuf};
use tighten_support::{fixture, json_bytes, tempdir, walk};

const ROLE: &str = "arn:aws:iam::111122223333:role/orders-fn-role";

fn run(opts: Options, paths: &[PathBuf]) -> Report {
    let mut t = Tightener::new(opts);
    t.read_paths(paths);
    t.finish()
}

fn with_policy_file(paths: &[PathBuf]) -> Report {
    let mut p = current::from_policy_files(&[fixture("current-policy.json")]).unwrap();
    p.name = "orders-fn-role".into();
    run(
        Options {
            roles: vec!["orders-fn-role".into()],
            current: Current::Single(p),
        },
        paths,
    )
}

fn expected_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DynamodbGetItem", "Effect": "Allow",
             "Action": ["dynamodb:GetItem", "dynamodb:Query"],
             "Resource": ["arn:aws:dynamodb:us-east-1:111122223333:table/Orders"]},
            {"Sid": "KmsDecrypt", "Effect": "Allow", "Action": ["kms:Decrypt"],
             "Resource": ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]},
            {"Sid": "S3ListBucket", "Effect": "Allow", "Action": ["s3:ListBucket"],
             "Resource": ["arn:aws:s3:::orders-bucket"]},
            {"Sid": "S3GetObject", "Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": ["arn:aws:s3:::orders-bucket/incoming/2026/11/*"]},
            {"Sid": "S3PutObject", "Effect": "Allow", "Action": ["s3:PutObject"],
             "Resource": ["arn:aws:s3:::orders-bucket/processed/*"]},
            {"Sid": "SqsSendMessage", "Effect": "Allow", "Action": ["sqs:SendMessage"],
             "Resource": ["arn:aws:sqs:us-east-1:111122223333:orders-events"]},
            {"Sid": "StsGetCallerIdentity", "Effect": "Allow", "Action": ["sts:GetCallerIdentity"],
             "Resource": ["*"]},
            {"Sid": "Logs", "Effect": "Allow",
             "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": ["arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/orders-fn:*"]}
        ]
    })
}

#[test]
fn proposed_policy_is_the_used_calls_on_the_narrowest_resources() {
    let report = with_policy_file(&[fixture("trail")]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.roles.len(), 1);
    let role = &report.roles[0];
    assert_eq!(role.role, ROLE);
    assert_eq!(role.functions, ["orders-fn"]);
    assert_eq!(role.proposed_policy, expected_policy());
    assert!(role.lint.is_empty(), "{:?}", role.lint);
    assert_eq!(report.window.first.as_deref(), Some("2026-11-01T00:00:00Z"));
    assert_eq!(report.window.last.as_deref(), Some("2026-11-01T00:14:52Z"));
    assert_eq!(report.evidence.files, 3);
    assert_eq!(report.evidence.records, 120);
}

#[test]
fn used_calls_name_their_actions_and_resources() {
    let report = with_policy_file(&[fixture("trail")]);
    let role = &report.roles[0];
    let used: Vec<(&str, Vec<&str>)> = role
        .used
        .iter()
        .map(|u| {
            (
                u.action.as_str(),
                u.resources.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        used,
        [
            (
                "dynamodb:GetItem",
                vec!["arn:aws:dynamodb:us-east-1:111122223333:table/Orders"]
            ),
            (
                "dynamodb:Query",
                vec!["arn:aws:dynamodb:us-east-1:111122223333:table/Orders"]
            ),
            (
                "kms:Decrypt",
                vec!["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
            ),
            // GetObject and HeadObject, under two days' folders.
            (
                "s3:GetObject",
                vec!["arn:aws:s3:::orders-bucket/incoming/2026/11/0*"]
            ),
            // ListObjects is s3:ListBucket, on the bucket.
            ("s3:ListBucket", vec!["arn:aws:s3:::orders-bucket"]),
            (
                "s3:PutObject",
                vec!["arn:aws:s3:::orders-bucket/processed/order-*"]
            ),
            // From the queue URL: SQS puts no resources[] in the record.
            (
                "sqs:SendMessage",
                vec!["arn:aws:sqs:us-east-1:111122223333:orders-events"]
            ),
            ("sts:GetCallerIdentity", vec!["*"]),
        ]
    );
    assert!(role.used.iter().all(|u| u.calls >= 1 && u.unresolved == 0));
    let unmapped: Vec<(&str, &str)> = role
        .unmapped
        .iter()
        .map(|u| (u.event_source.as_str(), u.event_name.as_str()))
        .collect();
    assert_eq!(unmapped, [("apigateway.amazonaws.com", "GetRestApis")]);
}

#[test]
fn unused_is_every_grant_never_called_after_deny() {
    let report = with_policy_file(&[fixture("trail")]);
    let unused: BTreeSet<String> = report.roles[0]
        .unused
        .clone()
        .unwrap()
        .into_iter()
        .collect();
    // s3:* less its Deny (DeleteBucket, PutBucketPolicy) less what was used,
    // plus the exact grants never called.
    let mut expected: BTreeSet<String> = catalog::matching("s3:*")
        .map(|id| id.info().to_string())
        .filter(|a| {
            ![
                "s3:DeleteBucket",
                "s3:PutBucketPolicy",
                "s3:GetObject",
                "s3:PutObject",
                "s3:ListBucket",
            ]
            .contains(&a.as_str())
        })
        .collect();
    expected.extend(["dynamodb:Scan", "dynamodb:DeleteItem", "kms:Encrypt"].map(String::from));
    assert_eq!(unused, expected);
    assert!(unused.contains("s3:DeleteObject"));
}

#[test]
fn diff_names_removed_and_narrowed_grants() {
    let report = with_policy_file(&[fixture("trail")]);
    let diff = &report.roles[0].diff;
    let file = fixture("current-policy.json").display().to_string();
    for line in [
        format!("- {file} Statement[0] (Orders): remove `dynamodb:Scan` (1 action(s), none called)"),
        format!("- {file} Statement[3] (Key): remove `kms:Encrypt` (1 action(s), none called)"),
        format!("~ {file} Statement[1] (Bucket): Resource arn:aws:s3:::orders-bucket, arn:aws:s3:::orders-bucket/* → arn:aws:s3:::orders-bucket/processed/* for s3:PutObject"),
    ] {
        assert!(diff.contains(&line), "missing {line}\nin {diff:#?}");
    }
    assert!(diff
        .iter()
        .any(|l| l.contains("(Bucket): `s3:*` → s3:GetObject, s3:ListBucket, s3:PutObject")));
    assert!(report.exit_status() == 1);
}

/// action, resource, door, explicit, basis, statement to add.
type Fix<'a> = (String, String, Door, bool, &'a str, Option<Value>);

#[test]
fn access_denied_names_the_door_and_the_statement() {
    let report = with_policy_file(&[fixture("trail")]);
    let got: Vec<Fix> = report.roles[0]
        .access_denied
        .iter()
        .map(|d| {
            (
                d.action.clone(),
                d.resource.clone(),
                d.door,
                d.explicit,
                d.basis,
                d.statement.clone(),
            )
        })
        .collect();
    let role = ROLE;
    let key = "arn:aws:kms:us-east-1:444455556666:key/0987dcba-09fe-87dc-65ba-ab0987654321";
    let object = "arn:aws:s3:::orders-bucket/incoming/2026/11/01/order-1.json";
    let table = "arn:aws:dynamodb:us-east-1:111122223333:table/Orders";
    let topic = "arn:aws:sns:us-east-1:111122223333:order-alerts";
    let expected = vec![
        (
            "dynamodb:PutItem".into(),
            table.into(),
            Door::IdentityPolicy,
            false,
            "message",
            Some(json!({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table})),
        ),
        (
            "kms:Decrypt".into(),
            key.into(),
            Door::ResourcePolicy,
            false,
            "message",
            Some(
                json!({"Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:Decrypt", "Resource": key}),
            ),
        ),
        (
            "s3:DeleteObject".into(),
            object.into(),
            Door::ServiceControlPolicy,
            true,
            "message",
            None,
        ),
        // The message names no policy type; the current policy grants no
        // sns:Publish, so the identity door is the one to open.
        (
            "sns:Publish".into(),
            topic.into(),
            Door::IdentityPolicy,
            false,
            "current policies do not allow it",
            Some(json!({"Effect": "Allow", "Action": "sns:Publish", "Resource": topic})),
        ),
    ];
    assert_eq!(got, expected);
    let scp = &report.roles[0].access_denied[2];
    assert!(scp.fix.contains("no Allow can override it"), "{}", scp.fix);
    assert!(scp.fix.contains("service control policies"), "{}", scp.fix);
}

#[test]
fn audit_folder_knows_trust_and_managed_policies() {
    let roles = current::from_authorization_details(&fixture("audit")).unwrap();
    let report = run(
        Options {
            roles: Vec::new(),
            current: Current::Account(roles),
        },
        &[fixture("trail")],
    );
    // Only the Lambda-trusted role is tightened; the reporting role's
    // sessions are in the trail too.
    assert_eq!(report.roles.len(), 1);
    assert_eq!(report.roles[0].role, ROLE);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(
        report.skipped[0].role,
        "arn:aws:iam::111122223333:role/reporting-role"
    );
    let role = &report.roles[0];
    assert_eq!(
        role.current.as_deref().unwrap(),
        [
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::111122223333:policy/orders-data"
        ]
    );
    // The customer policy's default version (v2), not v1's `*`.
    let unused = role.unused.as_ref().unwrap();
    assert!(!unused.iter().any(|a| a.starts_with("ec2:")));
    // Logs are written by the Lambda service, never in CloudTrail: used.
    assert!(unused.contains(&"logs:CreateLogGroup".to_string()));
    assert!(!unused.contains(&"logs:PutLogEvents".to_string()));
    assert!(!unused.contains(&"logs:CreateLogStream".to_string()));
    assert_eq!(role.proposed_policy, expected_policy());
}

#[test]
fn template_function_policies_are_the_current_grant() {
    let p = current::from_template(&fixture("template.yaml"), "OrdersFunction").unwrap();
    let report = run(
        Options {
            roles: vec![ROLE.into()],
            current: Current::Single(p),
        },
        &[fixture("trail")],
    );
    let role = &report.roles[0];
    let unused = role.unused.as_ref().unwrap();
    for a in ["dynamodb:Scan", "dynamodb:BatchGetItem", "s3:DeleteObject"] {
        assert!(unused.contains(&a.to_string()), "{a} in {unused:?}");
    }
    for a in [
        "dynamodb:GetItem",
        "s3:GetObject",
        "sqs:SendMessage",
        "logs:PutLogEvents",
    ] {
        assert!(!unused.contains(&a.to_string()), "{a} in {unused:?}");
    }
    assert!(role.current.as_ref().unwrap()[0].contains("AWSLambdaBasicExecutionRole"));
    // The template's `${AWS::Region}` and account are the deployed stack's:
    // its grant covers the table the trail shows.
    let p = current::from_template(&fixture("template.yaml"), "OrdersFunction").unwrap();
    let get = catalog::lookup("dynamodb:GetItem").unwrap();
    assert!(doorman::tighten::denied::allows(
        &p.policies,
        get,
        "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"
    ));
    assert!(!doorman::tighten::denied::allows(
        &p.policies,
        get,
        "arn:aws:dynamodb:us-east-1:111122223333:table/Users"
    ));
    assert!(current::from_template(&fixture("template.yaml"), "Nope")
        .unwrap_err()
        .contains("no resource `Nope`"));
}

/// The trail's records, from its files.
fn trail_records() -> Vec<Value> {
    let mut out = Vec::new();
    for f in walk(&fixture("trail")) {
        let doc: Value = serde_json::from_slice(&json_bytes(&f)).unwrap();
        out.extend(doc["Records"].as_array().unwrap().iter().cloned());
    }
    out
}

#[test]
fn eventbridge_json_lines_give_the_same_result_as_log_files() {
    let dir = tempdir("eventbridge");
    let lines: Vec<String> = trail_records()
        .into_iter()
        .map(|r| {
            json!({"version": "0", "id": "x", "detail-type": "AWS API Call via CloudTrail",
                   "source": "aws.s3", "account": "111122223333", "time": r["eventTime"],
                   "region": "us-east-1", "resources": [], "detail": r})
            .to_string()
        })
        .collect();
    std::fs::write(dir.join("events.jsonl"), lines.join("\n")).unwrap();
    let a = with_policy_file(&[fixture("trail")]);
    let b = with_policy_file(std::slice::from_ref(&dir));
    assert_eq!(b.evidence.records, 120);
    assert_eq!(a.roles[0].proposed_policy, b.roles[0].proposed_policy);
    assert_eq!(a.roles[0].used, b.roles[0].used);
    assert_eq!(a.roles[0].access_denied, b.roles[0].access_denied);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_bad_file_is_reported_by_name_and_the_rest_still_read() {
    let dir = tempdir("bad");
    std::fs::write(dir.join("broken.json.gz"), [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    std::fs::write(
        dir.join("truncated.json"),
        "{\"Records\": [{\"eventName\": ",
    )
    .unwrap();
    let report = with_policy_file(&[fixture("trail"), dir.clone()]);
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
    assert!(report.errors[0].contains("broken.json.gz") && report.errors[0].contains("gzip"));
    assert!(
        report.errors[1].contains("truncated.json") && report.errors[1].contains("not valid JSON")
    );
    assert_eq!(report.roles[0].proposed_policy, expected_policy());
    assert_eq!(report.exit_status(), 2);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn generator_writes_the_committed_fixture() {
    let dir = tempdir("gen");
    let status = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/gen-cloudtrail"))
        .args([
            "--files",
            "3",
            "--records",
            "40",
            "--plain-every",
            "3",
            "--out",
        ])
        .arg(&dir)
        .status()
        .expect("python3 runs scripts/gen-cloudtrail");
    assert!(status.success());
    // The JSON each file holds: gzip's bytes depend on the zlib Python
    // links, the content must not.
    let listing = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        walk(root)
            .into_iter()
            .map(|p| (p.strip_prefix(root).unwrap().to_path_buf(), json_bytes(&p)))
            .collect()
    };
    assert!(
        listing(&dir) == listing(&fixture("trail")),
        "the generator no longer writes tests/fixtures/tighten/trail"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn real_denied_records_from_public_sources() {
    // A Lambda role's refusal, as AWS's own CDK integration test published it.
    let report = run(
        Options {
            roles: vec!["IamDeniedCustomResourceSt-CrHandlerServiceRole2D0F6-UlztxgkpoGK1".into()],
            current: Current::None,
        },
        &[fixture("public/cdk-lambda-role-createbucket-denied.json")],
    );
    let d = &report.roles[0].access_denied[0];
    let bucket = "arn:aws:s3:::iam-denied-setup-27a9ec06-7d94-4a45-9318-e6f08c9aea4d";
    assert_eq!(
        (d.action.as_str(), d.resource.as_str(), d.door),
        ("s3:CreateBucket", bucket, Door::IdentityPolicy)
    );
    assert_eq!(
        d.statement,
        Some(json!({"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": bucket}))
    );
    assert_eq!(
        report.roles[0].functions,
        ["IamDeniedCustomResourceStack-CrHandler8F2F7DBF-llNoqKZOJ9iS"]
    );
    // No message: the door is not stated; the resource comes from the request.
    let report = run(
        Options {
            roles: vec!["AWSReservedSSO_DevAdmin_635426549a280cc6".into()],
            current: Current::None,
        },
        &[fixture("public/stratus-getsecretvalue-denied.json")],
    );
    let d = &report.roles[0].access_denied[0];
    assert_eq!(d.door, Door::NotStated);
    assert_eq!(d.action, "secretsmanager:GetSecretValue");
    assert_eq!(
        d.resource,
        "arn:aws:secretsmanager:us-west-2:123123123123:secret:stratus-red-team-retrieve-secret-3-gscOm8"
    );
    // Not a Lambda role (no trust known, no Lambda runtime): no Logs statement.
    assert_eq!(report.roles[0].proposed_policy["Statement"], json!([]));
}

#[test]
fn a_service_refused_invoking_the_function_points_at_add_permission() {
    let report = with_policy_file(&[fixture("trail")]);
    assert_eq!(report.service_denied.len(), 1);
    let d = &report.service_denied[0];
    let function = "arn:aws:lambda:us-east-1:111122223333:function:orders-fn";
    assert_eq!(d.function, function);
    assert_eq!(d.service, "apigateway.amazonaws.com");
    assert_eq!(
        d.statement,
        json!({"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
               "Action": "lambda:InvokeFunction", "Resource": function,
               "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:execute-api:us-east-1:111122223333:API_ID/*"}}})
    );
    assert!(
        d.fix
            .starts_with("aws lambda add-permission --function-name "),
        "{}",
        d.fix
    );
    assert!(d.fix.contains("--source-arn"), "{}", d.fix);
    // Not a call of the role: not among its denials, not in its used calls.
    assert!(!report.roles[0]
        .access_denied
        .iter()
        .any(|x| x.action == "lambda:InvokeFunction"));
}

/// The proposed policy as a policy doorman can judge.
fn proposed(report: &Report) -> doorman::rules::execution_role::NamedPolicy {
    doorman::rules::execution_role::NamedPolicy {
        name: "proposed".into(),
        policy: doorman::policy::parse_value(&report.roles[0].proposed_policy).unwrap(),
    }
}

#[test]
fn the_proposed_policy_allows_every_call_that_succeeded() {
    use doorman::tighten::actions::{self, Mapping};
    let report = with_policy_file(&[fixture("trail")]);
    let policy = [proposed(&report)];
    let mut checked = 0;
    for r in trail_records() {
        let text = r.to_string();
        doorman::tighten::evidence::parse(text.as_bytes(), &mut |rec| {
            if rec.role_arn() != Some(ROLE) || rec.error_code.is_some() {
                return;
            }
            let Mapping::Action(id) = actions::map(
                rec.event_source.as_deref().unwrap(),
                rec.event_name.as_deref().unwrap(),
            ) else {
                return;
            };
            for arn in doorman::tighten::resources::touched(rec, &id.info()) {
                assert!(
                    doorman::tighten::denied::allows(&policy, id, &arn),
                    "{} on {arn} would be refused",
                    id.info()
                );
                checked += 1;
            }
        })
        .unwrap();
    }
    assert!(checked > 50, "{checked}");
    // And nothing that was refused or never called.
    for (action, arn) in [
        (
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
        ),
        (
            "s3:DeleteObject",
            "arn:aws:s3:::orders-bucket/incoming/2026/11/01/order-1.json",
        ),
        (
            "s3:GetObject",
            "arn:aws:s3:::orders-bucket/processed/order-1.json",
        ),
        (
            "dynamodb:Scan",
            "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
        ),
    ] {
        let id = catalog::lookup(action).unwrap();
        assert!(
            !doorman::tighten::denied::allows(&policy, id, arn),
            "{action} on {arn}"
        );
    }
}

#[test]
fn every_proposed_resource_is_within_the_current_grant() {
    let report = with_policy_file(&[fixture("trail")]);
    let current = current::from_policy_files(&[fixture("current-policy.json")]).unwrap();
    let proposed = proposed(&report);
    for s in &proposed.policy.statements {
        if s.at.sid.as_deref() == Some("Logs") {
            continue; // granted by Lambda's basic execution role, not this file
        }
        let patterns = s.resources.as_ref().unwrap().patterns();
        for action in s.actions.patterns() {
            let id = catalog::lookup(action).unwrap();
            for p in patterns {
                let covered = current
                    .policies
                    .iter()
                    .flat_map(|np| &np.policy.statements)
                    .any(|c| {
                        c.is_allow()
                            && doorman::eval::grant::expand(c).actions.contains(id)
                            && c.resources
                                .as_ref()
                                .unwrap()
                                .patterns()
                                .iter()
                                .any(|g| g == "*" || doorman::eval::glob::covers_arn(g, p))
                    });
                assert!(covered, "{action} on {p} is wider than the current grant");
            }
        }
    }
}

#[test]
fn a_function_in_two_regions_logs_in_both() {
    let dir = tempdir("regions");
    let rec = |region: &str| {
        json!({"eventTime": "2026-11-01T00:00:00Z", "eventSource": "sqs.amazonaws.com",
               "eventName": "SendMessage", "awsRegion": region, "recipientAccountId": "111122223333",
               "userAgent": "aws-sdk-rust/1.3.9 exec-env/AWS_Lambda_provided.al2023",
               "requestParameters": {"queueUrl": format!("https://sqs.{region}.amazonaws.com/111122223333/jobs")},
               "userIdentity": {"type": "AssumedRole",
                   "arn": "arn:aws:sts::111122223333:assumed-role/orders-fn-role/orders-fn",
                   "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}}})
        .to_string()
    };
    std::fs::write(
        dir.join("calls.jsonl"),
        format!("{}\n{}\n", rec("us-east-1"), rec("eu-west-1")),
    )
    .unwrap();
    let report = run(
        Options {
            roles: vec![ROLE.into()],
            current: Current::None,
        },
        std::slice::from_ref(&dir),
    );
    let statements = report.roles[0].proposed_policy["Statement"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        statements,
        [
            json!({"Sid": "SqsSendMessage", "Effect": "Allow", "Action": ["sqs:SendMessage"],
                   "Resource": ["arn:aws:sqs:eu-west-1:111122223333:jobs", "arn:aws:sqs:us-east-1:111122223333:jobs"]}),
            json!({"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                   "Resource": ["arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/orders-fn:*",
                                "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/orders-fn:*"]}),
        ]
    );
    assert_eq!(report.roles[0].functions, ["orders-fn"]);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_permissions_boundary_caps_unused_and_is_named_as_the_door() {
    let dir = tempdir("boundary");
    let mut dump: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("audit/authorization-details.json")).unwrap(),
    )
    .unwrap();
    let boundary = "arn:aws:iam::111122223333:policy/orders-boundary";
    dump["RoleDetailList"][0]["PermissionsBoundary"] =
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary});
    dump["Policies"].as_array_mut().unwrap().push(json!({
        "PolicyName": "orders-boundary", "Arn": boundary, "DefaultVersionId": "v1",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true, "Document": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
                "s3:*", "sqs:*", "kms:*", "sts:*", "logs:*", "sns:*",
                "dynamodb:GetItem", "dynamodb:Query"]}]}}]
    }));
    std::fs::write(dir.join("authorization-details.json"), dump.to_string()).unwrap();
    // A refused Scan whose message names no policy type: the role's policy
    // allows Scan, its boundary does not.
    let scan = json!({"eventTime": "2026-11-01T00:20:00Z", "eventSource": "dynamodb.amazonaws.com",
        "eventName": "Scan", "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
        "errorCode": "AccessDeniedException",
        "errorMessage": "User: arn:aws:sts::111122223333:assumed-role/orders-fn-role/orders-fn is not authorized to perform: dynamodb:Scan on resource: arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
        "requestParameters": {"tableName": "Orders"},
        "userIdentity": {"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/orders-fn-role/orders-fn",
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": ROLE}}}});
    let evidence = dir.join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::write(evidence.join("scan.json"), scan.to_string()).unwrap();
    let roles =
        current::from_authorization_details(&dir.join("authorization-details.json")).unwrap();
    let report = run(
        Options {
            roles: vec![ROLE.into()],
            current: Current::Account(roles),
        },
        &[fixture("trail"), evidence],
    );
    let role = &report.roles[0];
    assert_eq!(role.boundary.as_deref(), Some(boundary));
    let unused = role.unused.as_ref().unwrap();
    // Scan and DeleteItem are past the boundary: not granted, so not unused.
    assert!(
        !unused
            .iter()
            .any(|a| a == "dynamodb:Scan" || a == "dynamodb:DeleteItem"),
        "{unused:?}"
    );
    assert!(unused.contains(&"kms:Encrypt".to_string()));
    let d = role
        .access_denied
        .iter()
        .find(|d| d.action == "dynamodb:Scan")
        .unwrap();
    assert_eq!(d.door, Door::PermissionsBoundary);
    assert_eq!(d.basis, "the permissions boundary does not allow it");
    assert!(d.fix.contains("permissions boundary of role"), "{}", d.fix);
    std::fs::remove_dir_all(dir).ok();
}
