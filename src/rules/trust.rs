//! Trust policies: who may assume a role (SPEC §3.2).
use super::{Context, Finding};
use crate::policy::Policy;

pub fn check(_policy: &Policy, _ctx: &Context) -> Vec<Finding> {
    Vec::new()
}
