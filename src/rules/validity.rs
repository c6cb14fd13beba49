//! `invalid-policy`: a document IAM (or Lambda) would reject.
//!
//! IAM rejects the whole document on any of these, so a change carrying one
//! fails — or, in a template, fails the deploy. Reported for every kind,
//! alongside whatever the other rules find in the parts that are readable.

use super::{Finding, PolicyKind, RuleId, Severity};
use crate::policy::{Policy, Problem, Statement};

pub fn check(policy: &Policy, kind: PolicyKind) -> Vec<Finding> {
    let mut findings: Vec<Finding> = policy.problems.iter().map(from_problem).collect();
    for s in &policy.statements {
        let has_principal = s.principal.is_some() || s.not_principal.is_some();
        let problem = match kind {
            PolicyKind::Permission if has_principal => Some((
                "has a `Principal`, which an identity policy must not have",
                "remove `Principal`: an identity policy applies to whoever it is attached to; or lint it as `--kind resource`/`--kind trust`",
            )),
            PolicyKind::Permission if s.resources.is_none() => Some((
                "`Resource` is missing",
                "add `Resource` with the ARNs the actions apply to",
            )),
            PolicyKind::Trust if s.resources.is_some() => Some((
                "has a `Resource`, which a trust policy must not have",
                "remove `Resource`: the role itself is the resource of its trust policy",
            )),
            PolicyKind::Trust | PolicyKind::Resource if !has_principal => Some((
                "`Principal` is missing",
                "add `Principal` naming who the statement applies to",
            )),
            PolicyKind::Resource if s.resources.is_none() => Some((
                "`Resource` is missing",
                "add `Resource` with the function ARN",
            )),
            _ => None,
        };
        if let Some(finding) = bad_sid(s, kind) {
            findings.push(finding);
        }
        if let Some((message, fix)) = problem {
            findings.push(
                Finding::new(
                    RuleId::InvalidPolicy,
                    Severity::High,
                    format!("{}: {message}", s.at),
                    fix.to_string(),
                )
                .at(&s.at),
            );
        }
    }
    findings
}

/// A `Sid` with characters the service that stores the document rejects:
/// IAM (identity and trust policies) takes only ASCII letters and digits;
/// Lambda takes statement ids of letters, digits, `-` and `_`
/// (`AddPermission`'s `StatementId`). An empty `Sid` is accepted by IAM.
fn bad_sid(s: &Statement, kind: PolicyKind) -> Option<Finding> {
    let sid = s.at.sid.as_deref()?;
    let (ok, allowed): (fn(u8) -> bool, &str) = match kind {
        PolicyKind::Permission | PolicyKind::Trust => {
            (|b| b.is_ascii_alphanumeric(), "ASCII letters and digits")
        }
        PolicyKind::Resource => (
            |b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_',
            "letters, digits, `-` and `_`",
        ),
    };
    if sid.bytes().all(ok) {
        return None;
    }
    let suggestion: String = sid.bytes().filter(|b| ok(*b)).map(char::from).collect();
    let who = match kind {
        PolicyKind::Resource => "Lambda",
        _ => "IAM",
    };
    Some(
        Finding::new(
            RuleId::InvalidPolicy,
            Severity::High,
            format!(
                "{}: `Sid` `{sid}` has characters {who} rejects; a {kind} policy's `Sid` may hold only {allowed}",
                s.at
            ),
            if suggestion.is_empty() {
                "rename the `Sid` with only the allowed characters, or remove it".to_string()
            } else {
                format!("rename the `Sid`, e.g. to `{suggestion}`")
            },
        )
        .at(&s.at),
    )
}

fn from_problem(p: &Problem) -> Finding {
    let finding = Finding::new(
        RuleId::InvalidPolicy,
        Severity::High,
        p.to_string(),
        "correct the element as the message says; IAM rejects the whole document until then"
            .to_string(),
    );
    match &p.statement {
        Some(at) => finding.at(at),
        None => finding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;

    fn messages(doc: &str, kind: PolicyKind) -> Vec<String> {
        check(&parse_document(doc).unwrap(), kind)
            .into_iter()
            .map(|f| {
                assert_eq!(f.rule, RuleId::InvalidPolicy);
                f.message
            })
            .collect()
    }

    #[test]
    fn fires_on_missing_effect_and_missing_resource() {
        assert_eq!(
            messages(
                r#"{"Version":"2012-10-17","Statement":[{"Sid":"WriteReceipts","Action":"s3:PutObject","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject"}]}"#,
                PolicyKind::Permission
            ),
            [
                "Statement[0] (Sid `WriteReceipts`): `Effect` is missing",
                "Statement[1]: `Resource` is missing"
            ]
        );
    }

    #[test]
    fn fires_on_resource_in_trust_policy() {
        assert_eq!(
            messages(
                r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}"#,
                PolicyKind::Trust
            ),
            ["Statement[0]: has a `Resource`, which a trust policy must not have"]
        );
    }

    #[test]
    fn does_not_fire_on_valid_documents_of_each_kind() {
        assert!(messages(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
            PolicyKind::Permission
        )
        .is_empty());
        assert!(messages(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
            PolicyKind::Trust
        )
        .is_empty());
    }

    #[test]
    fn fires_on_a_repeated_sid() {
        assert_eq!(
            messages(
                r#"{"Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"Write","Effect":"Allow","Action":"s3:PutObject","Resource":"*"},{"Sid":"Read","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#,
                PolicyKind::Permission
            ),
            ["Statement[2] (Sid `Read`): `Sid` `Read` is also the `Sid` of Statement[0]; IAM requires each `Sid` to be unique within a policy, so rename one"]
        );
    }

    #[test]
    fn fires_on_a_sid_iam_rejects_but_not_on_lambda_statement_ids() {
        let doc = |sid: &str, rest: &str| {
            format!(r#"{{"Statement":{{"Sid":"{sid}","Effect":"Allow",{rest}}}}}"#)
        };
        let identity = r#""Action":"s3:GetObject","Resource":"*""#;
        let f = check(
            &parse_document(&doc("read-receipts", identity)).unwrap(),
            PolicyKind::Permission,
        );
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(
            f[0].message,
            "Statement[0] (Sid `read-receipts`): `Sid` `read-receipts` has characters IAM rejects; a permission policy's `Sid` may hold only ASCII letters and digits"
        );
        assert_eq!(f[0].fix, "rename the `Sid`, e.g. to `readreceipts`");
        let trust = r#""Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole""#;
        assert_eq!(
            messages(&doc("Lambda_Trust", trust), PolicyKind::Trust).len(),
            1
        );
        assert!(messages(&doc("LambdaTrust1", trust), PolicyKind::Trust).is_empty());
        assert!(messages(&doc("", identity), PolicyKind::Permission).is_empty());
        // Lambda statement ids take `-` and `_` (AddPermission's pattern).
        let function = r#""Principal":{"Service":"sns.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f""#;
        assert!(messages(&doc("sns-invoke_1", function), PolicyKind::Resource).is_empty());
        assert_eq!(
            messages(&doc("sns invoke", function), PolicyKind::Resource).len(),
            1
        );
    }

    #[test]
    fn fires_on_a_wildcard_inside_a_principal_arn() {
        for principal in [
            r#"{"AWS":"arn:aws:iam::*:root"}"#,
            r#"{"AWS":["arn:aws:iam::111122223333:role/ci","arn:aws:iam::111122223333:role/*"]}"#,
        ] {
            let m = messages(
                &format!(
                    r#"{{"Statement":{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}}}"#
                ),
                PolicyKind::Trust,
            );
            assert_eq!(m.len(), 1, "{principal}: {m:?}");
            assert!(
                m[0].starts_with("Statement[0]: `Principal.AWS` value `arn:aws:iam::")
                    && m[0].contains(
                        "has a wildcard inside it; IAM accepts `*` only as the whole principal"
                    ),
                "{}",
                m[0]
            );
        }
        // A bare `*` is how IAM spells anyone.
        assert!(messages(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}"#,
            PolicyKind::Trust
        )
        .is_empty());
    }
}
