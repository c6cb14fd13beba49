//! A permissions boundary as a ceiling: what a role or user may really do is
//! what its identity policies allow *and* its boundary allows. A role with
//! `AdministratorAccess` under a boundary that allows only `s3:*` can do
//! everything in S3 and nothing else, so it is judged as an S3 role, not as
//! an administrator.
//!
//! [`cap`] rewrites an identity policy into the policy IAM effectively
//! enforces, so the ordinary rules judge its meaning: each `Allow` is
//! intersected with each `Allow` of the boundary (actions through the
//! catalog, resources by IAM's wildcard algebra, conditions of both), and
//! the boundary's `Deny` statements are added. Findings still name the
//! identity statement that grants, since the rewritten statements keep its
//! index and `Sid`.
//!
//! Resources are intersected conservatively: when neither side covers every
//! resource, the identity statement's patterns that meet some boundary
//! pattern are kept as written, which can only overstate what is left.

use crate::catalog::{self, ActionSet};
use crate::eval::glob;
use crate::eval::grant::expand;
use crate::policy::{Actions, Policy, Resources, Statement};

/// `policy` as IAM enforces it under `boundary`.
pub fn cap(policy: &Policy, boundary: &Policy) -> Policy {
    let bounds: Vec<(&Statement, ActionSet)> = boundary
        .statements
        .iter()
        .filter(|b| b.is_allow())
        .map(|b| (b, expand(b).actions))
        .collect();
    let mut statements = Vec::new();
    for s in &policy.statements {
        if !s.is_allow() {
            statements.push(s.clone());
            continue;
        }
        let own = expand(s).actions;
        for (b, theirs) in &bounds {
            let both = own.intersection(theirs);
            if both.is_empty() {
                continue;
            }
            let actions = if both.len() == own.len() {
                s.actions.clone()
            } else if both.len() == theirs.len() {
                b.actions.clone()
            } else {
                Actions::Action(spell(&both))
            };
            let Some(resources) = intersect_resources(s.resources.as_ref(), b.resources.as_ref())
            else {
                continue;
            };
            let mut conditions = s.conditions.clone();
            conditions.extend(b.conditions.iter().cloned());
            statements.push(Statement {
                at: s.at.clone(),
                effect: s.effect,
                principal: s.principal.clone(),
                not_principal: s.not_principal.clone(),
                actions,
                resources,
                conditions,
            });
        }
    }
    statements.extend(
        boundary
            .statements
            .iter()
            .filter(|b| !b.is_allow())
            .cloned(),
    );
    Policy {
        version: policy.version.clone(),
        id: policy.id.clone(),
        statements,
        problems: policy.problems.clone(),
    }
}

/// An action set as patterns: `svc:*` for a whole service, names otherwise.
fn spell(actions: &ActionSet) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<(&'static str, Vec<String>)> = None;
    let flush = |cur: Option<(&'static str, Vec<String>)>, out: &mut Vec<String>| {
        if let Some((svc, names)) = cur {
            if names.len() == catalog::service_len(svc) {
                out.push(format!("{svc}:*"));
            } else {
                out.extend(names);
            }
        }
    };
    for id in actions.iter() {
        let info = id.info();
        match &mut current {
            Some((svc, names)) if *svc == info.service => names.push(info.to_string()),
            _ => {
                flush(current.take(), &mut out);
                current = Some((info.service, vec![info.to_string()]));
            }
        }
    }
    flush(current, &mut out);
    out
}

/// Whether a pattern list names every resource (`*`, `arn:*`...).
fn universal(patterns: &[String]) -> bool {
    patterns.iter().any(|p| glob::covers(p, "arn:*"))
}

/// The resources both sides allow; `None` when they share none.
fn intersect_resources(
    own: Option<&Resources>,
    bound: Option<&Resources>,
) -> Option<Option<Resources>> {
    match (own, bound) {
        (_, None) => Some(own.cloned()),
        (None, Some(b)) => Some(Some(b.clone())),
        (Some(Resources::Resource(o)), Some(Resources::Resource(b))) => {
            if universal(b) {
                Some(Some(Resources::Resource(o.clone())))
            } else if universal(o) {
                Some(Some(Resources::Resource(b.clone())))
            } else {
                let kept: Vec<String> = o
                    .iter()
                    .filter(|p| b.iter().any(|q| glob::intersects_arn(p, q)))
                    .cloned()
                    .collect();
                (!kept.is_empty()).then_some(Some(Resources::Resource(kept)))
            }
        }
        // One side is `NotResource`: the other side's list, or the
        // `NotResource` itself when the other covers everything.
        (Some(Resources::Resource(o)), Some(Resources::NotResource(_))) => {
            Some(Some(Resources::Resource(o.clone())))
        }
        (Some(Resources::NotResource(_)), Some(Resources::Resource(b))) if !universal(b) => {
            Some(Some(Resources::Resource(b.clone())))
        }
        (Some(o), Some(_)) => Some(Some(o.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse_document;
    use crate::rules::{evaluate, Context, PolicyKind, RuleId};

    fn rules(policy: &Policy) -> Vec<RuleId> {
        let mut r: Vec<RuleId> = evaluate(policy, PolicyKind::Permission, &Context::default())
            .into_iter()
            .map(|f| f.rule)
            .collect();
        r.sort();
        r.dedup();
        r
    }

    const ADMIN: &str = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

    #[test]
    fn a_boundary_that_allows_only_s3_makes_admin_an_s3_role() {
        let admin = parse_document(ADMIN).unwrap();
        let s3 =
            parse_document(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#)
                .unwrap();
        let capped = cap(&admin, &s3);
        let r = rules(&capped);
        assert!(!r.contains(&RuleId::AdminAccess), "{r:?}");
        assert!(!r.contains(&RuleId::PrivilegeEscalation), "{r:?}");
        assert!(r.contains(&RuleId::ServiceWildcard), "{r:?}");
    }

    #[test]
    fn a_boundary_spelled_otherwise_caps_alike() {
        // `NotAction` everything but S3 and a scoped bucket are the same
        // ceiling on an administrator as far as escalation goes.
        let admin = parse_document(ADMIN).unwrap();
        for boundary in [
            r#"{"Statement":{"Effect":"Allow","Action":["S3:*"],"Resource":"arn:aws:s3:::*"}}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}"#,
        ] {
            let capped = cap(&admin, &parse_document(boundary).unwrap());
            let r = rules(&capped);
            assert!(!r.contains(&RuleId::AdminAccess), "{boundary}: {r:?}");
            assert!(
                !r.contains(&RuleId::PrivilegeEscalation),
                "{boundary}: {r:?}"
            );
        }
    }

    #[test]
    fn a_broad_boundary_changes_nothing() {
        let admin = parse_document(ADMIN).unwrap();
        let all = parse_document(ADMIN).unwrap();
        assert!(rules(&cap(&admin, &all)).contains(&RuleId::AdminAccess));
    }

    #[test]
    fn a_boundary_without_the_service_leaves_nothing() {
        let dynamo = parse_document(
            r#"{"Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#,
        )
        .unwrap();
        let s3 =
            parse_document(r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#)
                .unwrap();
        assert!(cap(&dynamo, &s3).statements.is_empty());
        assert!(rules(&cap(&dynamo, &s3)).is_empty());
    }
}
