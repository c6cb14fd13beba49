//! `doorman audit` (SPEC §12): both doors of every function in an account,
//! as the account is today, on the same engine as `lint` and the Lambda.
//!
//! - [`inventory`]: the model of an account (principals, policies,
//!   functions with their inbound settings), whatever the source;
//! - [`load`]: the offline source, a folder of the AWS CLI's JSON outputs;
//! - [`boundary`]: a permissions boundary as a ceiling on identity policies;
//! - [`judge`]: every role, user, group, policy, function and layer through
//!   the rules, into a [`Report`];
//! - [`output`]: text, JSON and SARIF; [`html`]: the self-contained page;
//! - [`diff`]: the findings of one report that the previous one lacked.
//!
//! Sits beside `pipeline`: it consumes `policy`, `catalog` and `rules`, and
//! nothing below depends on it.

pub mod boundary;
pub mod diff;
pub mod html;
pub mod inventory;
pub mod judge;
pub mod load;
pub mod output;

use crate::rules::{Finding, Severity};
use serde::Serialize;

pub use judge::judge;
pub use load::{load, FileError, Loaded};

/// What a subject of the report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Function,
    Role,
    User,
    Group,
    Policy,
    Layer,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Function => "function",
            Kind::Role => "role",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Policy => "policy",
            Kind::Layer => "layer",
        }
    }
}

/// Which door of a function a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Door {
    /// What the function (its execution role) may do.
    Outbound,
    /// Who may invoke the function or use its layers.
    Inbound,
}

/// A finding and the document it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub finding: Finding,
    /// `trust policy`, ``inline policy `x` ``, a managed policy ARN,
    /// `resource policy`, `function URL`...; `None` for the whole subject.
    pub document: Option<String>,
    pub door: Door,
}

/// One role, user, group, policy, function or layer and what was found.
#[derive(Debug, Clone)]
pub struct Subject {
    pub kind: Kind,
    pub name: String,
    pub arn: String,
    /// The file of the inventory it was read from.
    pub file: String,
    pub findings: Vec<Located>,
    /// What was left unjudged and why.
    pub notes: Vec<String>,
    /// A function's execution role ARN.
    pub role: Option<String>,
    /// A role's functions (names, sorted): the role belongs to them.
    pub functions: Vec<String>,
}

/// The whole audit.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub account: Option<String>,
    /// Whether a Lambda inventory (`list-functions`) was provided.
    pub lambda_inventory: bool,
    /// Functions first (by name), then roles, users, groups, unattached
    /// policies and layers.
    pub subjects: Vec<Subject>,
    pub errors: Vec<FileError>,
    pub skipped: usize,
    pub notes: Vec<String>,
}

impl Report {
    /// Findings per severity, indexed like [`Severity::ALL`].
    pub fn by_severity(&self) -> [usize; 5] {
        let mut n = [0; 5];
        for f in self.subjects.iter().flat_map(|s| &s.findings) {
            n[f.finding.severity as usize] += 1;
        }
        n
    }

    pub fn findings(&self) -> usize {
        self.subjects.iter().map(|s| s.findings.len()).sum()
    }

    /// As `lint` (SPEC §6): 2 when an input could not be read, 1 with
    /// findings, 0 otherwise.
    pub fn exit_status(&self) -> u8 {
        if !self.errors.is_empty() {
            2
        } else if self.findings() > 0 {
            1
        } else {
            0
        }
    }

    /// The subject with this ARN.
    pub fn subject(&self, arn: &str) -> Option<&Subject> {
        self.subjects.iter().find(|s| s.arn == arn)
    }
}

/// The note a report carries when it was given no Lambda inventory.
pub const NO_LAMBDA_INVENTORY: &str = "the Lambda inventory was not provided (no `aws lambda list-functions` output): roles, users, groups and policies were judged; functions, their inbound door and `unused-execution-role` were not";

/// The highest severity among `findings`.
pub fn highest(findings: &[Located]) -> Option<Severity> {
    findings.iter().map(|f| f.finding.severity).max()
}
