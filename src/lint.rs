//! `doorman lint`: judge policy files and SAM / CloudFormation templates.
//!
//! The types here are shared by every input kind: a policy JSON file and a
//! template both produce [`FileResult`]s made of [`LocatedFinding`]s.

use crate::rules::Finding;
use serde::Serialize;

/// Where a finding is, as precisely as the input allows (SPEC §6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    /// 1-based line in `file`, where known.
    pub line: Option<usize>,
    /// Zero-based index of the statement in its `Statement` array.
    pub statement: Option<usize>,
    pub sid: Option<String>,
    /// The template resource the finding belongs to.
    pub logical_id: Option<String>,
}

/// A finding and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedFinding {
    pub finding: Finding,
    pub location: Location,
}

/// The outcome of checking one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    /// The input as the user named it (a path, or `-`).
    pub source: String,
    pub findings: Vec<LocatedFinding>,
    /// Why the input could not be checked at all (unreadable, not JSON, not a
    /// policy or template). The other inputs are still checked.
    pub error: Option<String>,
}
