//! The IAM policy document model and its parser.
//!
//! Pure: no I/O, no evaluation. The parser accepts every legal shape of an IAM
//! policy (a `Statement` object or array, string-or-array elements, principal
//! maps, conditions with string/bool/number values) in plain JSON or in the
//! RFC 3986 URL-encoded form that IAM read APIs return.
//!
//! Parsing is two-level on purpose:
//! - a [`ParseError`] means the text is not a policy at all (not JSON, no
//!   `Statement`): nothing can be judged;
//! - a [`Problem`] means the text is a policy that IAM would reject (missing
//!   `Effect`, unknown element, bad `Version`, ...). The rest of the document is
//!   still modelled so that every other rule can judge it too; the
//!   `invalid-policy` rule reports the problems.

pub mod locate;
mod parse;
mod tree;

pub(crate) use parse::type_name;
pub use parse::{parse_document, parse_value, ParseError};
pub(crate) use tree::Key;

use std::fmt;

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub version: Option<String>,
    pub id: Option<String>,
    /// The statements that could be modelled, in document order. A statement
    /// without a usable `Effect` or action list is left out (and reported in
    /// [`Policy::problems`]): it can grant nothing.
    pub statements: Vec<Statement>,
    /// Everything that makes the document invalid in IAM's eyes.
    pub problems: Vec<Problem>,
}

/// Where a statement stands in its document: `Statement[index]`, with its `Sid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct StatementRef {
    /// Zero-based position in the `Statement` array (0 when `Statement` is a
    /// single object), the same number a JSON path would use.
    pub index: usize,
    pub sid: Option<String>,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Statement[{}]", self.index)?;
        if let Some(sid) = &self.sid {
            write!(f, " (Sid `{sid}`)")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction`: the patterns as written (`s3:Get*`, `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actions {
    Action(Vec<String>),
    NotAction(Vec<String>),
}

impl Actions {
    pub fn patterns(&self) -> &[String] {
        match self {
            Actions::Action(p) | Actions::NotAction(p) => p,
        }
    }
}

/// `Resource` or `NotResource`: ARNs or patterns as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resources {
    Resource(Vec<String>),
    NotResource(Vec<String>),
}

impl Resources {
    pub fn patterns(&self) -> &[String] {
        match self {
            Resources::Resource(p) | Resources::NotResource(p) => p,
        }
    }
}

/// The kind of a principal, from the key of the `Principal` map.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// `"Principal": "*"`: everyone, authenticated or not.
    Everyone,
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PrincipalKind::Everyone => "*",
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        })
    }
}

/// One principal named in a `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// As written: `*`, an account id, an ARN, a service name, a provider.
    pub value: String,
}

impl Principal {
    /// `"*"` or `{"AWS": "*"}`: anyone.
    pub fn is_anyone(&self) -> bool {
        matches!(self.kind, PrincipalKind::Everyone)
            || (self.kind == PrincipalKind::Aws && self.value == "*")
    }

    /// The 12-digit account this principal belongs to, for AWS principals
    /// (`123456789012` or `arn:aws:iam::123456789012:...`).
    pub fn account(&self) -> Option<&str> {
        if self.kind != PrincipalKind::Aws {
            return None;
        }
        let v = self.value.as_str();
        if is_account_id(v) {
            return Some(v);
        }
        let account = v.strip_prefix("arn:")?.split(':').nth(3)?;
        is_account_id(account).then_some(account)
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// One condition test: `"StringEquals": {"aws:SourceAccount": ["1", "2"]}`
/// becomes one `Condition` with two values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// As written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator: String,
    /// As written; IAM compares keys case-insensitively, so use [`Condition::key_is`].
    pub key: String,
    /// Values as strings (`true`, `42` for JSON bools and numbers).
    pub values: Vec<String>,
}

impl Condition {
    /// The operator without `ForAllValues:`/`ForAnyValue:` and `IfExists`.
    pub fn base_operator(&self) -> &str {
        let op = self.operator.as_str();
        let op = op
            .strip_prefix("ForAllValues:")
            .or_else(|| op.strip_prefix("ForAnyValue:"))
            .unwrap_or(op);
        op.strip_suffix("IfExists").unwrap_or(op)
    }

    /// Whether the test passes when the key is absent from the request
    /// (`...IfExists`), which makes it no restriction for callers that omit it.
    pub fn if_exists(&self) -> bool {
        self.operator.ends_with("IfExists")
    }

    /// Case-insensitive key comparison, as IAM does it.
    pub fn key_is(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }

    /// Whether the operator is a positive match (`StringEquals`, `ArnLike`, ...),
    /// as opposed to a negated one (`StringNotEquals`) or `Null`.
    pub fn is_positive_match(&self) -> bool {
        let base = self.base_operator();
        !base.contains("Not") && base != "Null"
    }
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub at: StatementRef,
    pub effect: Effect,
    pub principal: Option<Vec<Principal>>,
    pub not_principal: Option<Vec<Principal>>,
    pub actions: Actions,
    /// Absent in trust policies (and invalid elsewhere).
    pub resources: Option<Resources>,
    pub conditions: Vec<Condition>,
}

impl Statement {
    pub fn is_allow(&self) -> bool {
        self.effect == Effect::Allow
    }

    /// All principals of `Principal` (not `NotPrincipal`).
    pub fn principals(&self) -> &[Principal] {
        self.principal.as_deref().unwrap_or(&[])
    }

    /// The conditions whose key is `key` (case-insensitive).
    pub fn conditions_on<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Condition> + 'a {
        self.conditions.iter().filter(move |c| c.key_is(key))
    }

    /// Whether `Resource` is exactly a wildcard `*` (or contains one).
    pub fn resource_is_any(&self) -> bool {
        match &self.resources {
            Some(Resources::Resource(r)) => r.iter().any(|r| r == "*"),
            Some(Resources::NotResource(_)) => true,
            // Trust policies have no Resource: the role itself is the resource.
            None => false,
        }
    }
}

/// Something that makes a document an invalid IAM policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The statement it is in, or `None` for the document level.
    pub statement: Option<StatementRef>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.statement {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The IAM condition operators (without `IfExists` and set prefixes).
pub const CONDITION_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// The two policy language versions IAM knows.
pub const POLICY_VERSIONS: &[&str] = &["2012-10-17", "2008-10-17"];
