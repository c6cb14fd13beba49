//! What a `Resource` pattern covers, for one action (SPEC §3.0).
//!
//! A pattern is judged by the set of ARNs it matches, not by its spelling:
//! `*`, `arn:*`, `arn:aws:*` and `arn:aws:iam::*:role/*` are all *every role*
//! for `iam:PassRole`. The levels, from narrow to wide:
//! - [`Scope::Scoped`]: some resources, named or by a narrower pattern;
//! - [`Scope::Account`]: every resource of the action's type in one account
//!   (`arn:aws:iam::111122223333:role/*`), which the rules report at their
//!   own, lower severity;
//! - [`Scope::Every`]: every ARN of a resource type the action accepts, in
//!   any account and region.
//!
//! The resource types and their ARN formats come from the catalog
//! (`arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`). Only the
//! `aws` partition is judged. An action that accepts no resource ARN is
//! granted by a pattern that covers every ARN (`*`, `arn:*`, `arn:aws:*`):
//! doorman reads such a grant as IAM's `*`, so writing `arn:*` instead of
//! `*` never hides a finding.

use super::glob;
use crate::catalog::{self, arn_fields, has_placeholder, ActionInfo};

/// How much of an action's resources a grant covers. Ordered narrow to wide.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// The pattern names none of the action's resources.
    Nothing,
    /// Some resources.
    Scoped,
    /// Every resource of the action in this one account (the id as written,
    /// or `${AWS::AccountId}` in a template).
    Account(String),
    /// Every resource of the action.
    Every,
}

/// The template pseudo parameter for the stack's own account, as written
/// and as [`normalise`] leaves it (without the colons that would split it).
const OWN_ACCOUNT: &str = "${AWS::AccountId}";
const OWN_ACCOUNT_NORMALISED: &str = "${AWS\u{1}\u{1}AccountId}";

/// Every account id: exactly twelve digits, so `????????????` covers them all.
const ANY_ACCOUNT: &str = "????????????";

/// Any ARN at all, in the `aws` partition: what an action without resource
/// types is judged against.
const ANY_ARN: &str = "arn:aws:*:*:*:*";

/// What `pattern` (as written in `Resource`) covers of `action`'s resources.
pub fn scope(pattern: &str, action: &ActionInfo) -> Scope {
    if pattern == "*" {
        return Scope::Every;
    }
    let pattern = &normalise(pattern);
    if !action.accepts_resource() {
        return if glob::covers(pattern, ANY_ARN) {
            Scope::Every
        } else {
            Scope::Nothing
        };
    }
    action
        .resources
        .iter()
        .map(|&t| scope_of_type(pattern, t))
        .max()
        .unwrap_or(Scope::Nothing)
}

/// What `pattern` ([`normalise`]d) covers of one resource type, given as
/// the catalog's index of its ARN format (`${...}` placeholders).
///
/// Called for every (pattern, type) pair of every statement, so the type's
/// side is prepared once per process ([`TypeGlobs`]) and the pattern is
/// split without allocating.
pub fn scope_of_type(pattern: &str, type_index: u16) -> Scope {
    // The same patterns recur across the statements and files of one run
    // (`arn:aws:ec2:*:*:instance/*` against every EC2 type).
    crate::memo!(static SEEN: Memo<Scope> = limit 50_000;);
    SEEN.get_or(pattern, type_index, || {
        judge_type(pattern, TypeGlobs::of(type_index))
    })
}

/// The service field of a resource type's ARN format (`iam` for a role).
pub fn type_service(type_index: u16) -> Option<&'static str> {
    TypeGlobs::of(type_index).fields.get(2).copied()
}

/// A resource type's ARN format and the globs it stands for, built on first
/// use and kept for the life of the process (a few thousand types at most).
struct TypeGlobs {
    format: &'static str,
    /// The format's six fields (fewer for a malformed format).
    fields: Vec<&'static str>,
    /// Any region, any account: [`type_glob`]`(format, "*", ANY_ACCOUNT)`.
    every: glob::Prepared,
    /// Any region, any account, placeholders loose: `type_glob(format, "*", "*")`.
    loose: glob::Prepared,
}

impl TypeGlobs {
    fn of(index: u16) -> &'static TypeGlobs {
        use std::sync::OnceLock;
        static TYPES: OnceLock<Box<[OnceLock<TypeGlobs>]>> = OnceLock::new();
        let types = TYPES.get_or_init(|| {
            (0..catalog::resource_type_count())
                .map(|_| OnceLock::new())
                .collect()
        });
        types[index as usize].get_or_init(|| {
            let format = catalog::resource_arn(index);
            TypeGlobs {
                format,
                fields: format.splitn(6, ':').collect(),
                every: glob::Prepared::new(type_glob(format, "*", ANY_ACCOUNT)),
                loose: glob::Prepared::new(type_glob(format, "*", "*")),
            }
        })
    }
}

fn judge_type(pattern: &str, t: &TypeGlobs) -> Scope {
    let (fields, n) = arn_fields(pattern);
    let field = |i: usize| (i < n).then(|| fields[i]);
    // Judge the region a pattern fixes as "any region": one region of an
    // account is as good as all of them to whoever holds the grant.
    let region = match field(3) {
        Some(r) if !r.is_empty() && !r.contains(['*', '?', '$']) => r,
        _ => "*",
    };
    // Cheap answers first (the corpus has thousands of scoped patterns):
    // a literal service other than the type's names none of its resources,
    // and a literal account cannot cover every account.
    let literal = |f: &str| !f.contains(['*', '?']);
    if let (Some(service), Some(type_service)) = (field(2), t.fields.get(2)) {
        if n > 3 && literal(service) && service != *type_service {
            return Scope::Nothing;
        }
    }
    let placeholder = |i: usize| t.fields.get(i).is_some_and(|f| has_placeholder(f));
    if n == 6 && !fields[5].contains('*') && placeholder(5) {
        // A resource name without a star covers no placeholder: scoped.
        return if literal(fields[2]) || glob::intersects_arn_prepared(pattern, &t.loose) {
            Scope::Scoped
        } else {
            Scope::Nothing
        };
    }
    let account_fixed = n == 6 && literal(fields[4]) && placeholder(4);
    if !account_fixed {
        let every = if region == "*" {
            glob::covers_arn_prepared(pattern, &t.every)
        } else {
            glob::covers_arn(pattern, &type_glob(t.format, region, ANY_ACCOUNT))
        };
        if every {
            return Scope::Every;
        }
    }
    if let Some(account) = field(4).filter(|a| is_account(a)) {
        if glob::covers_arn(pattern, &type_glob(t.format, region, account)) {
            let written = if account == OWN_ACCOUNT_NORMALISED {
                OWN_ACCOUNT
            } else {
                account
            };
            return Scope::Account(written.to_string());
        }
    }
    // An unresolved template value (`${Role.Arn}`) or policy variable
    // (`${aws:username}`) names some resource doorman cannot see. A pattern
    // of the type's own service counts as naming some of its resources
    // without a closer look: only "every" and "one account" change a
    // verdict, and "some" is the cautious answer for a `Deny`'s exceptions.
    let same_service = n > 3 && field(2) == t.fields.get(2).copied();
    if has_placeholder(pattern) || same_service || glob::intersects_arn_prepared(pattern, &t.loose)
    {
        Scope::Scoped
    } else {
        Scope::Nothing
    }
}

fn is_account(field: &str) -> bool {
    field == OWN_ACCOUNT_NORMALISED
        || (field.len() == 12 && field.bytes().all(|b| b.is_ascii_digit()))
}

/// Prepares a pattern as written for judging: template pseudo parameters
/// for "this partition/region" mean the same in any stack, so they become
/// `aws` and any region; the colons inside other `${...}` values become a
/// control character, so that splitting the ARN at `:` keeps them whole.
pub fn normalise(pattern: &str) -> String {
    if !pattern.contains('$') {
        return pattern.to_string();
    }
    let replaced = pattern
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::Region}", "*");
    let mut out = String::with_capacity(replaced.len());
    let mut depth = 0usize;
    let mut chars = replaced.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek() == Some(&'{') => {
                depth += 1;
                out.push(c);
            }
            '}' if depth > 0 => {
                depth -= 1;
                out.push(c);
            }
            ':' if depth > 0 => out.push('\u{1}'),
            _ => out.push(c),
        }
    }
    out
}

/// A resource type's ARN format as a glob: the partition `aws`, the region
/// and account as given, every other placeholder `*`.
fn type_glob(format: &str, region: &str, account: &str) -> String {
    let mut out = String::with_capacity(format.len());
    for (i, field) in format.splitn(6, ':').enumerate() {
        if i > 0 {
            out.push(':');
        }
        match i {
            1 => out.push_str("aws"),
            3 if field.starts_with("${") => out.push_str(region),
            4 if field.starts_with("${") => out.push_str(account),
            _ => push_with_stars(&mut out, field),
        }
    }
    out
}

fn push_with_stars(out: &mut String, field: &str) {
    let mut rest = field;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                // A name or id is never empty: `role/?*` is every role.
                out.push_str("?*");
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    fn of(pattern: &str, action: &str) -> Scope {
        scope(pattern, &catalog::lookup(action).unwrap().info())
    }

    #[test]
    fn every_spelling_of_every_resource_is_every() {
        for p in [
            "*",
            "arn:*",
            "arn:aws:*",
            "arn:aws:*:*:*:*",
            "arn:aws:iam::*:*",
            "arn:aws:iam::*:role/*",
            "arn:${AWS::Partition}:iam::*:role/*",
            "arn:aws:iam::*:role/?*",
            "arn:aws:iam::????????????:role/*",
        ] {
            assert_eq!(of(p, "iam:PassRole"), Scope::Every, "{p}");
        }
        assert_eq!(
            of("arn:aws:lambda:*:*:function:*", "lambda:UpdateFunctionCode"),
            Scope::Every
        );
        assert_eq!(of("arn:aws:s3:::*/*", "s3:GetObject"), Scope::Every);
        assert_eq!(
            of("arn:aws:s3:::*", "s3:GetObject"),
            Scope::Every,
            "`*` crosses `/`"
        );
    }

    #[test]
    fn one_account_is_a_level_of_its_own() {
        assert_eq!(
            of("arn:aws:iam::111122223333:role/*", "iam:PassRole"),
            Scope::Account("111122223333".into())
        );
        assert_eq!(
            of(
                "arn:aws:lambda:us-east-1:111122223333:function:*",
                "lambda:UpdateFunctionCode"
            ),
            Scope::Account("111122223333".into())
        );
        assert_eq!(
            of(
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*",
                "iam:PassRole"
            ),
            Scope::Account(OWN_ACCOUNT.into())
        );
    }

    #[test]
    fn narrower_patterns_are_scoped_and_other_types_nothing() {
        assert_eq!(
            of("arn:aws:iam::111122223333:role/app-*", "iam:PassRole"),
            Scope::Scoped
        );
        assert_eq!(of("arn:aws:iam::*:role/app", "iam:PassRole"), Scope::Scoped);
        assert_eq!(of("arn:aws:s3:::bucket/*", "s3:GetObject"), Scope::Scoped);
        assert_eq!(of("arn:aws:s3:::bucket/*", "iam:PassRole"), Scope::Nothing);
        assert_eq!(of("${Role.Arn}", "iam:PassRole"), Scope::Scoped);
    }

    #[test]
    fn actions_without_resource_types_need_a_pattern_covering_every_arn() {
        assert_eq!(of("arn:*", "s3:ListAllMyBuckets"), Scope::Every);
        assert_eq!(of("arn:aws:s3:::*", "s3:ListAllMyBuckets"), Scope::Nothing);
    }
}
