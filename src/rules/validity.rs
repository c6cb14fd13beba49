//! `invalid-policy`: a document IAM (or Lambda) would reject.
//!
//! IAM rejects the whole document on any of these, so a change carrying one
//! fails — or, in a template, fails the deploy. Reported for every kind,
//! alongside whatever the other rules find in the parts that are readable.

use super::{Finding, PolicyKind, RuleId, Severity};
use crate::policy::{Policy, Problem};

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
}
