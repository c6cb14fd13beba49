//! The semantic core (SPEC §3.0): what IAM would *allow*, whatever the
//! spelling. Every rule asks these questions instead of comparing strings,
//! so the cheapest equivalent spelling of a risky policy gets the same
//! findings as the obvious one.
//!
//! - [`glob`]: IAM's wildcard algebra on resource strings (match, covers,
//!   intersects).
//! - [`resource`]: how much of an action's resources a pattern covers:
//!   some, every resource of one account, or every resource.
//! - [`condition`]: which conditions restrict who may use a grant.
//! - [`grant`]: what each `Allow` statement effectively grants after the
//!   policy's `Deny` statements.
//!
//! Depends on `policy` and `catalog` only; `rules` sits on top.

pub mod condition;
pub mod glob;
pub mod grant;
mod ip;
pub mod resource;
