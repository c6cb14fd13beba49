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

/// Whether a restricting condition pins its key to one account, organization
/// or resource, rather than to a pattern anyone can satisfy: with `StringLike`
/// or the `Arn*` operators, `arn:aws:iam::*:role/deploy` names a role any
/// account can create, and `1111*` is no account. Literal operators
/// (`StringEquals`) compare `*` as a plain character, so their values pin.
pub fn is_pinning(c: &Condition) -> bool {
    is_restricting(c) && c.values.iter().all(|v| value_pins(c, v))
}

/// Whether the statement has a pinning test ([`is_pinning`]) on one of `keys`.
pub fn pins_any_of(s: &Statement, keys: &[&str]) -> bool {
    s.conditions
        .iter()
        .any(|c| is_pinning(c) && keys.iter().any(|k| c.key_is(k)))
}

/// Whether the operator reads `*` and `?` as wildcards.
pub fn is_globbing(c: &Condition) -> bool {
    let base = c.base_operator();
    base.contains("Like") || base.starts_with("Arn")
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

fn value_pins(c: &Condition, value: &str) -> bool {
    if !is_globbing(c) {
        return true;
    }
    if let Some(rest) = value.strip_prefix("arn:") {
        // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return match parts.as_slice() {
            [_, _, _, "", resource] => {
                // S3 bucket ARNs carry no account: the bucket name must be fixed.
                !resource.is_empty() && !resource.starts_with(['*', '?'])
            }
            [_, _, _, account, _] => !has_wildcard(account),
            _ => false,
        };
    }
    if c.key.to_ascii_lowercase().ends_with("orgpaths") {
        // o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*: the organization must be fixed.
        let org = value.split('/').next().unwrap_or("");
        return !org.is_empty() && !has_wildcard(org);
    }
    !has_wildcard(value)
}

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
