//! Which conditions restrict a grant, and to what.
//!
//! A condition only silences a rule when it really narrows who can use the
//! grant or on what: a positive match (`StringEquals`, `ArnLike`, `Bool`...),
//! not `...IfExists` (absent keys pass), not negated, with a value other than
//! a bare `*`, on a key that scopes. `aws:SecureTransport` or a time window
//! restrict nothing about *who*, so they never silence a finding.

use crate::policy::{Condition, Statement};

/// Keys whose tests say nothing about who calls or on which resource.
const NON_SCOPING_KEYS: &[&str] = &[
    "aws:securetransport",
    "aws:requestedregion",
    "aws:currenttime",
    "aws:epochtime",
    "aws:tokenissuetime",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:useragent",
    "aws:referer",
];

/// Whether this one condition test narrows the grant.
pub fn is_restricting(c: &Condition) -> bool {
    c.is_positive_match()
        && !c.if_exists()
        && !c.values.is_empty()
        && !c.values.iter().all(|v| v == "*")
        && !NON_SCOPING_KEYS
            .iter()
            .any(|k| c.key.eq_ignore_ascii_case(k))
}

/// Whether any condition of the statement narrows the grant.
pub fn has_restricting_condition(s: &Statement) -> bool {
    s.conditions.iter().any(is_restricting)
}

/// Whether the statement has a restricting test on one of `keys`
/// (case-insensitive, as IAM compares keys).
pub fn restricts_any_of(s: &Statement, keys: &[&str]) -> bool {
    s.conditions
        .iter()
        .any(|c| is_restricting(c) && keys.iter().any(|k| c.key_is(k)))
}

/// Keys that pin a grant to one account or organization.
pub const ACCOUNT_OR_ORG_KEYS: &[&str] = &[
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalArn",
    "aws:SourceArn",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;

    fn first(cond: &str) -> Statement {
        let doc = format!(
            r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{cond}}}}}"#
        );
        parse_document(&doc).unwrap().statements.remove(0)
    }

    #[test]
    fn scoping_conditions_restrict() {
        assert!(has_restricting_condition(&first(
            r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#
        )));
        assert!(has_restricting_condition(&first(
            r#"{"Bool":{"aws:IsMcpServiceAction":"true"}}"#
        )));
        assert!(restricts_any_of(
            &first(
                r#"{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:111122223333:abc/*"}}"#
            ),
            &["aws:SourceArn"]
        ));
    }

    #[test]
    fn non_scoping_conditions_do_not_restrict() {
        for cond in [
            r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
            r#"{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}"#,
            r#"{"StringNotEquals":{"aws:SourceAccount":"111122223333"}}"#,
            r#"{"StringLike":{"aws:SourceArn":"*"}}"#,
            r#"{"Null":{"aws:SourceArn":"false"}}"#,
        ] {
            assert!(!has_restricting_condition(&first(cond)), "{cond}");
        }
    }
}
