//! doorman's own role (`DoormanRole` in `template.yaml`) grants exactly what
//! its code calls: every AWS API call of `src/resolve/aws.rs`,
//! `src/notify/sns.rs`, the scheduled audit's `src/resolve/collect.rs`
//! and `src/resolve/s3.rs`, organization mode's `src/resolve/assume.rs`
//! (STS `AssumeRole`, in `OrganizationReadPolicy`; the account alias) and the
//! AccessDenied dedupe's `src/resolve/dynamo.rs` has an action in the role,
//! scoped to the resource type it reads, and the role grants no IAM, Lambda,
//! SNS, S3, STS or DynamoDB action the code never calls (the README's "every action in the role is one that ... calls").
//! A new SDK call without its statement fails here, not in production with
//! `AccessDenied`.

use std::collections::BTreeSet;

/// The `DoormanRole` resource of `template.yaml`, as text.
fn role_block() -> String {
    resource_block("DoormanRole")
}

/// The policies doorman's role holds: `DoormanRole` and, in organization
/// mode, `OrganizationReadPolicy` (the AssumeRole into member accounts).
fn policies_block() -> String {
    role_block() + &resource_block("OrganizationReadPolicy")
}

/// The resource `logical_id` of `template.yaml`, as text.
fn resource_block(logical_id: &str) -> String {
    let template =
        std::fs::read_to_string("template.yaml").expect("template.yaml (run from the crate root)");
    let start = template
        .find(&format!("\n  {logical_id}:\n"))
        .unwrap_or_else(|| panic!("template.yaml has a {logical_id} resource"));
    let rest = &template[start + 1..];
    // The role ends where the next resource (two spaces, a name) starts.
    let mut end = rest.len();
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let next_resource =
            line.starts_with("  ") && line[2..].starts_with(|c: char| c.is_ascii_alphabetic());
        if offset > 0 && next_resource {
            end = offset;
            break;
        }
        offset += line.len();
    }
    rest[..end].to_string()
}

/// The statements of the role's policy: (Sid, actions, resource text).
fn statements(role: &str) -> Vec<(String, Vec<String>, String)> {
    let mut out: Vec<(String, Vec<String>, String)> = Vec::new();
    let mut in_actions = false;
    let mut in_resources = false;
    for line in role.lines() {
        let t = line.trim();
        if let Some(sid) = t.strip_prefix("- Sid: ") {
            out.push((sid.to_string(), Vec::new(), String::new()));
            in_actions = false;
            in_resources = false;
            continue;
        }
        let Some(current) = out.last_mut() else {
            continue;
        };
        if let Some(action) = t.strip_prefix("Action: ") {
            current.1.push(action.to_string());
            in_actions = false;
            in_resources = false;
        } else if t == "Action:" {
            in_actions = true;
            in_resources = false;
        } else if let Some(resource) = t.strip_prefix("Resource: ") {
            current.2 = resource.to_string();
            in_actions = false;
            in_resources = false;
        } else if t == "Resource:" {
            in_resources = true;
            in_actions = false;
        } else if let Some(item) = t.strip_prefix("- ") {
            if in_actions {
                current.1.push(item.to_string());
            } else if in_resources {
                current.2.push_str(item);
                current.2.push('\n');
            }
        } else if !t.starts_with('#') {
            in_actions = false;
            in_resources = false;
        }
    }
    out
}

/// `get_role_policy` → `GetRolePolicy`.
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The IAM actions `file` calls: a client field (`.iam`, `.lambda`,
/// `.client` for SNS) followed by the operation on the next line, as
/// rustfmt writes every call chain there.
fn calls_in(file: &str, clients: &[(&str, &str)]) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut actions = BTreeSet::new();
    for pair in lines.windows(2) {
        for (field, service) in clients {
            // `.iam` alone on its line, or ending it (`self.iam`), then the
            // operation on the next line, as rustfmt lays chains out.
            if pair[0].ends_with(&format!(".{field}")) {
                let op = pair[1]
                    .strip_prefix('.')
                    .and_then(|s| s.strip_suffix("()"))
                    .unwrap_or_else(|| panic!("{file}: `.{field}` then `{}`", pair[1]));
                actions.insert(format!("{service}:{}", camel(op)));
            }
        }
    }
    actions
}

/// The operations called on a variable or field named `client` in `text`
/// (line breaks and indentation ignored, so any layout rustfmt picks is
/// read), as
/// `service:Operation`.
fn client_calls(text: &str, service: &str) -> BTreeSet<String> {
    // Whitespace runs become one space, and go away next to a `.`.
    let spaced = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let flat = spaced.replace(" .", ".").replace(". ", ".");
    let mut actions = BTreeSet::new();
    for (at, _) in flat.match_indices("client.") {
        let before = flat[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &flat[at + "client.".len()..];
        let op: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if rest[op.len()..].starts_with('(') {
            actions.insert(format!("{service}:{}", camel(&op)));
        }
    }
    actions
}

/// The scheduled audit's calls: `collect.rs` reads IAM in `fn iam` and
/// Lambda in `fn lambda`; `s3.rs` reads and writes the report bucket.
fn audit_calls() -> BTreeSet<String> {
    let collect = std::fs::read_to_string("src/resolve/collect.rs").expect("collect.rs");
    let iam_at = collect.find("async fn iam(").expect("collect.rs: fn iam");
    let lambda_at = collect
        .find("async fn lambda(")
        .expect("collect.rs: fn lambda");
    assert!(
        iam_at < lambda_at,
        "collect.rs: fn iam comes before fn lambda"
    );
    let mut calls = client_calls(&collect[iam_at..lambda_at], "iam");
    calls.extend(client_calls(&collect[lambda_at..], "lambda"));
    let s3 = std::fs::read_to_string("src/resolve/s3.rs").expect("s3.rs");
    // S3's IAM action for ListObjectsV2 is s3:ListBucket.
    calls.extend(client_calls(&s3, "s3").into_iter().map(|a| {
        if a == "s3:ListObjectsV2" {
            "s3:ListBucket".to_string()
        } else {
            a
        }
    }));
    calls
}

fn code_calls() -> BTreeSet<String> {
    let mut calls = calls_in(
        "src/resolve/aws.rs",
        &[("iam", "iam"), ("lambda", "lambda")],
    );
    calls.extend(calls_in("src/notify/sns.rs", &[("client", "sns")]));
    calls.extend(audit_calls());
    // Organization mode: the AssumeRole into member accounts, and the
    // account alias (doorman's own account's with its own role).
    calls.extend(calls_in("src/resolve/assume.rs", &[("sts", "sts")]));
    let assume = std::fs::read_to_string("src/resolve/assume.rs").expect("assume.rs");
    calls.extend(client_calls(&assume, "iam"));
    // The AccessDenied diagnosis's dedupe table (its GetRole is in aws.rs).
    let dynamo = std::fs::read_to_string("src/resolve/dynamo.rs").expect("dynamo.rs");
    calls.extend(client_calls(&dynamo, "dynamodb"));
    calls
}

#[test]
fn the_code_calls_are_found() {
    // The reader above would pass vacuously if it found nothing.
    let calls = code_calls();
    for known in [
        "iam:GetRole",
        "iam:ListGroupPolicies",
        "lambda:ListFunctions",
        "lambda:GetFunctionConfiguration",
        "sns:Publish",
        "iam:GetAccountAuthorizationDetails",
        "lambda:ListEventSourceMappings",
        "lambda:GetLayerVersionPolicy",
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "sts:AssumeRole",
        "iam:ListAccountAliases",
        "dynamodb:PutItem",
    ] {
        assert!(calls.contains(known), "{known} not found in {calls:?}");
    }
}

#[test]
fn every_call_of_the_code_is_granted_and_nothing_else_of_those_services() {
    let role = policies_block();
    let statements = statements(&role);
    assert!(statements.len() >= 8, "{statements:?}");
    let granted: BTreeSet<String> = statements
        .iter()
        .flat_map(|(_, actions, _)| actions.iter().cloned())
        .collect();
    let calls = code_calls();
    for call in &calls {
        assert!(
            granted.contains(call),
            "doorman calls {call} but DoormanRole does not grant it"
        );
    }
    for action in &granted {
        let service = action.split(':').next().unwrap_or("");
        if ["iam", "lambda", "sns", "s3", "sts", "dynamodb"].contains(&service) {
            assert!(
                calls.contains(action),
                "DoormanRole grants {action}, which doorman's code never calls"
            );
        }
    }
}

#[test]
fn each_read_is_scoped_to_the_resource_type_it_reads() {
    let statements = statements(&role_block());
    let resource_of = |action: &str| -> String {
        statements
            .iter()
            .find(|(_, actions, _)| actions.iter().any(|a| a == action))
            .map(|(_, _, r)| r.clone())
            .unwrap_or_else(|| panic!("{action} is not granted"))
    };
    let account = "${AWS::AccountId}";
    for (actions, scope) in [
        (
            &[
                "iam:GetRole",
                "iam:ListRolePolicies",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRoleTags",
            ][..],
            format!(":iam::{account}:role/*"),
        ),
        (
            &[
                "iam:ListGroupPolicies",
                "iam:GetGroupPolicy",
                "iam:ListAttachedGroupPolicies",
            ][..],
            format!(":iam::{account}:group/*"),
        ),
        (
            &[
                "lambda:GetFunctionConfiguration",
                "lambda:ListTags",
                "lambda:GetPolicy",
                "lambda:GetFunctionUrlConfig",
            ][..],
            format!(":lambda:${{AWS::Region}}:{account}:function:*"),
        ),
        (
            &["lambda:GetLayerVersionPolicy"][..],
            format!(":lambda:${{AWS::Region}}:{account}:layer:*:*"),
        ),
        (
            &["s3:ListBucket"][..],
            "!GetAtt ReportBucket.Arn".to_string(),
        ),
        (
            &["s3:GetObject", "s3:PutObject"][..],
            "${ReportBucket.Arn}/audit/*".to_string(),
        ),
        (
            &["dynamodb:PutItem"][..],
            "!GetAtt AccessDeniedTable.Arn".to_string(),
        ),
    ] {
        for action in actions {
            let resource = resource_of(action);
            assert!(
                resource.contains(&scope) && !resource.contains("\"*\""),
                "{action} is granted on {resource}, not only {scope}"
            );
        }
    }
    // `Resource: "*"` only for actions that accept no ARN (the catalog
    // says so), in statements whose Sid says so and that carry a comment.
    let star: Vec<_> = statements
        .iter()
        .filter(|(_, _, r)| r.trim() == "\"*\"")
        .collect();
    let star_actions: BTreeSet<&str> = star
        .iter()
        .flat_map(|(_, actions, _)| actions.iter().map(String::as_str))
        .collect();
    assert_eq!(
        star_actions,
        BTreeSet::from([
            "lambda:ListFunctions",
            "iam:GetAccountAuthorizationDetails",
            "lambda:ListEventSourceMappings",
            "lambda:ListLayers",
            "lambda:ListLayerVersions",
            "iam:ListAccountAliases",
        ])
    );
    let role = role_block();
    for (sid, actions, _) in &star {
        assert!(sid.ends_with("OnlyStar"), "{sid}");
        let at = role.find(&format!("- Sid: {sid}\n")).expect("sid in role");
        let comment: String = role[..at]
            .lines()
            .rev()
            .skip(1)
            .take_while(|l| {
                let t = l.trim();
                t.starts_with('#') || t == "- !If" || t == "- AuditsOnSchedule"
            })
            .collect();
        assert!(
            comment.contains("Resource: \"*\"` because"),
            "{sid}: no comment saying why"
        );
        for action in actions {
            let id = doorman::catalog::lookup(action).unwrap_or_else(|| panic!("{action}"));
            assert!(
                !id.info().accepts_resource(),
                "{action} accepts an ARN: scope it"
            );
        }
    }
}
