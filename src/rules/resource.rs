//! Lambda resource policies: who may invoke a function (SPEC §3.3).
use super::{Context, Finding};
use crate::policy::Policy;

pub fn check(_policy: &Policy, _ctx: &Context) -> Vec<Finding> {
    Vec::new()
}
