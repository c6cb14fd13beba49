//! What each `Allow` statement of a policy effectively grants (SPEC §3.0):
//! its actions through the catalog (globs, `NotAction`), each judged by how
//! much of the action's resources it covers ([`Scope`]), minus what the
//! policy's unconditional `Deny` statements take away, and whether a
//! condition restricts who may use it.
//!
//! Deny semantics, for "can an attacker use this":
//! - a `Deny` with any condition subtracts nothing (the attacker may be the
//!   one it does not apply to);
//! - a `Deny` whose `Resource` covers every resource of an action removes the
//!   action; one on some resources leaves the grant as wide as it was;
//! - a `Deny` with `NotResource: X` denies everything but `X`, so what is
//!   left is at most as wide as `X` (`NotResource: "arn:*"` subtracts nothing).

use super::condition::has_restricting_condition;
use super::resource::{scope_of_type, type_service, Scope};
use crate::catalog::{self, ActionId, ActionInfo, ActionSet};
use crate::policy::{Actions, Policy, Resources, Statement};
use std::borrow::Cow;

/// One `Allow` statement's effective grant. The sets borrow the statement's
/// expansion when nothing changes them (the common case), so judging a
/// large policy copies little.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub statement: &'a Statement,
    /// How many of the actions it names some resource is left for.
    pub granted: usize,
    /// The actions the statement names, less those the `Deny` statements
    /// take away entirely (whatever resources the statement lists).
    pub named: Cow<'a, ActionSet>,
    /// The actions granted on every resource ([`Scope::Every`]).
    pub every: Cow<'a, ActionSet>,
    /// The actions granted on every resource of one account, not in `every`.
    pub account: ActionSet,
    /// Those accounts, as written (for messages).
    pub accounts: Vec<String>,
    /// Whether a condition restricts who may use the grant.
    pub restricted: bool,
}

impl Grant<'_> {
    /// What the grant gives on every resource, or on every resource of one
    /// account, to anyone it applies to.
    pub fn open(&self) -> bool {
        !self.restricted
    }
}

/// What a statement's action patterns name, each pattern through the catalog
/// once.
#[derive(Debug, Clone)]
pub struct Expansion<'a> {
    /// What the statement's `Action` names (for `NotAction`, everything else).
    pub actions: ActionSet,
    /// Patterns that match no action.
    pub unknown: Vec<&'a str>,
    /// The actions named exactly, without a wildcard.
    pub exact: Vec<ActionId>,
}

/// Expands a statement's `Action`/`NotAction`.
pub fn expand(s: &Statement) -> Expansion<'_> {
    let mut named = ActionSet::new();
    let mut unknown = Vec::new();
    let mut exact = Vec::new();
    for p in s.actions.patterns() {
        let any = if p.bytes().any(|b| b == b'*' || b == b'?') {
            catalog::add_matching(p, &mut named)
        } else {
            let id = catalog::lookup(p);
            if let Some(id) = id {
                named.insert(id);
                exact.push(id);
            }
            id.is_some()
        };
        if !any {
            unknown.push(p.as_str());
        }
    }
    let actions = match s.actions {
        Actions::Action(_) => named,
        Actions::NotAction(_) => {
            let mut all = ActionSet::all();
            all.subtract(&named);
            all
        }
    };
    Expansion {
        actions,
        unknown,
        exact,
    }
}

/// The effective grant of every `Allow` statement of `policy`, in document
/// order. `expansions` are [`expand`] of each statement, in the same order
/// (the caller needs them too, for `unknown-action` and `resource-mismatch`).
pub fn grants<'a>(policy: &'a Policy, expansions: &'a [Expansion<'a>]) -> Vec<Grant<'a>> {
    let mut denies: Vec<(&ActionSet, Resolver)> = policy
        .statements
        .iter()
        .zip(expansions)
        .filter(|(s, _)| !s.is_allow() && s.conditions.is_empty())
        .map(|(s, e)| (&e.actions, Resolver::new(s.resources.as_ref())))
        .collect();
    policy
        .statements
        .iter()
        .zip(expansions)
        .filter(|(s, _)| s.is_allow())
        .map(|(s, e)| grant(s, &e.actions, &mut denies))
        .collect()
}

fn grant<'a>(
    s: &'a Statement,
    named: &'a ActionSet,
    denies: &mut [(&ActionSet, Resolver)],
) -> Grant<'a> {
    let mut allow = Resolver::new(s.resources.as_ref());
    let mut removed: Vec<ActionId> = Vec::new();
    let mut account = ActionSet::new();
    let mut accounts: Vec<String> = Vec::new();
    let mut granted = 0;
    // `Resource: "*"` (or `arn:*`...) allows every action it names on every
    // resource: only the actions a Deny names need a closer look.
    let universal = allow.universal && matches!(s.resources, Some(Resources::Resource(_)));
    let mut denied = ActionSet::new();
    if universal {
        for (d, _) in denies.iter() {
            denied.union_with(d);
        }
    }
    let touched = named.intersection(&denied);
    let (to_judge, mut every): (&ActionSet, ActionSet) = if universal {
        granted = named.len() - touched.len();
        (&touched, ActionSet::new())
    } else {
        (named, ActionSet::new())
    };
    for id in to_judge.iter() {
        let info = id.info();
        let allowed = allow.allowed(&info);
        let mut level = allowed.clone();
        for (denied, resolver) in denies.iter_mut() {
            if level == Scope::Nothing {
                break;
            }
            if denied.contains(id) {
                level = resolver.after_deny(&info, level);
            }
        }
        match level {
            Scope::Nothing => {
                if allowed != Scope::Nothing {
                    removed.push(id);
                }
                continue;
            }
            Scope::Scoped => {}
            Scope::Account(a) => {
                account.insert(id);
                if !accounts.contains(&a) {
                    accounts.push(a);
                }
            }
            Scope::Every => every.insert(id),
        }
        granted += 1;
    }
    let every = if !universal {
        Cow::Owned(every)
    } else if touched.is_empty() {
        Cow::Borrowed(named)
    } else {
        let mut all = named.clone();
        all.subtract(&touched);
        all.union_with(&every);
        Cow::Owned(all)
    };
    let named = if removed.is_empty() {
        Cow::Borrowed(named)
    } else {
        let mut left = named.clone();
        for id in removed {
            left.remove(id);
        }
        Cow::Owned(left)
    };
    Grant {
        statement: s,
        granted,
        named,
        every,
        account,
        accounts,
        restricted: has_restricting_condition(s),
    }
}

/// A statement's `Resource`/`NotResource`, judged per resource type with a
/// cache: the actions of one service share a handful of types.
struct Resolver<'r> {
    resources: Option<&'r Resources>,
    patterns: Vec<Pattern>,
    /// Some pattern covers every ARN (`*`, `arn:*`, `arn:aws:*`...): every
    /// resource of every action, without a closer look.
    universal: bool,
    /// Per resource type (catalog index): the widest scope of any pattern.
    /// A statement touches a handful of types: a short list beats a hash.
    by_type: Vec<(u16, Scope)>,
}

/// One pattern, normalised once.
struct Pattern {
    text: String,
    wild: bool,
    /// The service field when it is written out (`s3` in `arn:aws:s3:::b/*`):
    /// such a pattern names no resource of another service's types.
    service: Option<String>,
}

impl<'r> Resolver<'r> {
    fn new(resources: Option<&'r Resources>) -> Self {
        let patterns: Vec<Pattern> = resources
            .map(|r| r.patterns())
            .unwrap_or(&[])
            .iter()
            .map(|p| {
                let text = super::resource::normalise(p);
                let mut fields = text.splitn(4, ':');
                let service = match (fields.nth(2), fields.next()) {
                    (Some(service), Some(_)) if !service.contains(['*', '?']) => {
                        Some(service.to_string())
                    }
                    _ => None,
                };
                Pattern {
                    wild: text.contains(['*', '?']),
                    service,
                    text,
                }
            })
            .collect();
        // A pattern that covers every ARN matches the shortest one first:
        // that cheap test spares most patterns the full comparison.
        let universal = patterns.iter().any(|p| {
            p.text == "*"
                || (p.wild
                    && super::glob::matches(&p.text, SHORTEST_ARN)
                    && super::glob::covers(&p.text, ANY_ARN))
        });
        Resolver {
            resources,
            patterns,
            universal,
            by_type: Vec::new(),
        }
    }

    /// The widest scope any of the patterns gives `action`.
    fn widest(&mut self, action: &ActionInfo) -> Scope {
        if self.universal {
            return Scope::Every;
        }
        if !action.accepts_resource() {
            // Only a pattern covering every ARN grants these, and there is none.
            return Scope::Nothing;
        }
        let mut widest = Scope::Nothing;
        for &idx in action.resources {
            let s = match self.by_type.iter().find(|(t, _)| *t == idx) {
                Some((_, s)) => s.clone(),
                None => {
                    let type_service = type_service(idx).unwrap_or("");
                    let s = self
                        .patterns
                        .iter()
                        .map(|p| {
                            if !p.wild {
                                // One ARN (or an unresolved value): some resources.
                                Scope::Scoped
                            } else if p.service.as_deref().is_some_and(|svc| svc != type_service) {
                                Scope::Nothing
                            } else {
                                scope_of_type(&p.text, idx)
                            }
                        })
                        .max()
                        .unwrap_or(Scope::Nothing);
                    self.by_type.push((idx, s.clone()));
                    s
                }
            };
            if s > widest {
                widest = s;
                if widest == Scope::Every {
                    break; // nothing is wider
                }
            }
        }
        widest
    }

    /// What an `Allow` with these resources grants of `action`.
    fn allowed(&mut self, action: &ActionInfo) -> Scope {
        match self.resources {
            Some(Resources::Resource(_)) => self.widest(action),
            // Everything but the listed: every resource, unless the list
            // itself covers them all.
            Some(Resources::NotResource(_)) => match self.widest(action) {
                Scope::Every => Scope::Nothing,
                _ => Scope::Every,
            },
            // An identity-policy statement without `Resource` is invalid
            // (reported by `invalid-policy`) and grants nothing.
            None => Scope::Nothing,
        }
    }

    /// What is left of a grant at `level` after an unconditional `Deny`
    /// with these resources that names `action`.
    fn after_deny(&mut self, action: &ActionInfo, level: Scope) -> Scope {
        match self.resources {
            Some(Resources::Resource(_)) => match (self.widest(action), &level) {
                (Scope::Every, _) => Scope::Nothing,
                (Scope::Account(d), Scope::Account(a)) if &d == a => Scope::Nothing,
                _ => level,
            },
            // Denies everything but the listed: what is left is at most the list.
            Some(Resources::NotResource(_)) => {
                let kept = self.widest(action);
                if kept == Scope::Nothing {
                    Scope::Nothing
                } else {
                    level.min(kept)
                }
            }
            None => level,
        }
    }
}

/// Any ARN at all, in the `aws` partition.
const ANY_ARN: &str = "arn:aws:*:*:*:*";

/// The shortest string [`ANY_ARN`] matches.
const SHORTEST_ARN: &str = "arn:aws:::::";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;

    fn analyse(doc: &str) -> Vec<(usize, usize, usize, bool)> {
        let policy = parse_document(doc).unwrap();
        let exp: Vec<_> = policy.statements.iter().map(expand).collect();
        grants(&policy, &exp)
            .iter()
            .map(|g| (g.granted, g.every.len(), g.account.len(), g.restricted))
            .collect()
    }

    fn every_of(doc: &str, action: &str) -> bool {
        let policy = parse_document(doc).unwrap();
        let exp: Vec<_> = policy.statements.iter().map(expand).collect();
        let id = catalog::lookup(action).unwrap();
        grants(&policy, &exp).iter().any(|g| g.every.contains(id))
    }

    #[test]
    fn a_deny_fence_that_denies_nothing_subtracts_nothing() {
        let all = catalog::len();
        let fenced = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:*"}]}"#;
        assert_eq!(analyse(fenced)[0].1, all);
        let real_fence = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::one-bucket/*"}]}"#;
        assert_eq!(analyse(real_fence)[0].1, 0);
        let conditional = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}"#;
        assert_eq!(analyse(conditional)[0].1, all);
        let total = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"arn:*"}]}"#;
        assert_eq!(analyse(total), vec![(0, 0, 0, false)]);
    }

    #[test]
    fn arn_spellings_of_star_grant_everything() {
        for r in ["arn:*", "arn:aws:*", "arn:aws:*:*:*:*"] {
            let doc =
                format!(r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"{r}"}}}}"#);
            assert_eq!(analyse(&doc)[0].1, catalog::len(), "{r}");
        }
        assert!(every_of(
            r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*"}}"#,
            "iam:PassRole"
        ));
        assert!(!every_of(
            r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/*"}}"#,
            "iam:PassRole"
        ));
    }

    #[test]
    fn account_wide_grants_are_their_own_level() {
        let g = analyse(
            r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/*"}}"#,
        );
        assert_eq!(g, vec![(1, 0, 1, false)]);
    }

    #[test]
    fn not_resource_allow_is_every_resource_unless_it_excludes_them_all() {
        let g = analyse(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}}"#,
        );
        assert_eq!(g, vec![(1, 1, 0, false)]);
        let g = analyse(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"*"}}"#,
        );
        assert_eq!(g, vec![(0, 0, 0, false)]);
    }
}
