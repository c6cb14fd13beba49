//! doorman: a least-privilege guardrail for both doors of every AWS Lambda
//! function — the execution role it carries and the resource policy that
//! says who may invoke it.
//!
//! Dependencies point one way (SPEC §2): [`policy`] and [`catalog`] depend on
//! nothing of ours; [`eval`] (what IAM would allow) on those two; [`rules`]
//! on all three.

pub mod catalog;
#[cfg(feature = "cli")]
pub mod cli;
pub mod eval;
pub mod lint;
pub(crate) mod memo;
pub mod policy;
pub mod report;
pub mod rules;
// The event pipeline (SPEC §2): event → resolve → rules → alert → notify.
pub mod alert;
pub mod audit;
pub mod config;
pub mod event;
pub mod notify;
pub mod pipeline;
pub mod resolve;
#[cfg(feature = "cli")]
pub mod template;
// `doorman tighten` (SPEC §13): beside `pipeline`, on policy, catalog, eval
// and rules.
pub mod tighten;
