//! Permission policies of a role, user or group (SPEC §3.1).
use super::{Context, Finding};
use crate::policy::Policy;

pub fn check(_policy: &Policy, _ctx: &Context) -> Vec<Finding> {
    Vec::new()
}
