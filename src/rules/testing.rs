//! Helpers for the rule modules' tests: picking the findings of one rule.
use super::{Finding, RuleId};

/// The findings of `rule`, in report order.
pub fn of(findings: &[Finding], rule: RuleId) -> Vec<&Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

/// The one finding of `rule`; the test fails, showing every finding, when
/// there is not exactly one.
pub fn only(findings: &[Finding], rule: RuleId) -> &Finding {
    let hits = of(findings, rule);
    assert_eq!(hits.len(), 1, "{findings:#?}");
    hits[0]
}
