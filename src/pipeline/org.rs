//! Organization mode (SPEC §14): one doorman judges the events every
//! member account forwards to its bus. An event of another account is
//! judged with a resolver working in that account (its `doorman-reader`
//! role), and calls on the member side (member.yaml's rules and roles) are
//! `guardrail-tampering` there. The central account's own events are judged
//! as in single-account mode.

use super::guard::short_name;
use crate::event::{GuardrailCall, GuardrailTarget};

pub use crate::resolve::{MemberResolvers, NoMembers, READER_ROLE};

/// The organization deployment, as the central stack configures it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organization {
    /// `o-...` (`DOORMAN_ORGANIZATION_ID`).
    pub id: String,
    /// The account doorman runs in: its events are not a member's.
    pub own_account: String,
    /// member.yaml's `NamePrefix` (the central stack's; `DOORMAN_NAME_PREFIX`).
    pub name_prefix: String,
}

impl Organization {
    /// The member account an event is of, when it is not doorman's own.
    /// An event without an account is judged as doorman's own (as in
    /// single-account mode): there is no other account to read.
    pub fn member<'a>(&self, account: &'a str) -> Option<&'a str> {
        (!account.is_empty() && account != self.own_account).then_some(account)
    }

    /// Which part of the member side a call is on, if any (for the
    /// finding's wording).
    pub fn member_target(&self, call: &GuardrailCall) -> Option<&'static str> {
        let p = &self.name_prefix;
        match call.target {
            GuardrailTarget::EventRule => {
                let name = short_name(&call.resource);
                if name == format!("{p}-forward-changes") {
                    Some("the rule that forwards this account's changes to doorman")
                } else if name == format!("{p}-forward-tampering") {
                    Some("the rule that forwards this account's tampering events to doorman")
                } else if name == format!("{p}-audit") {
                    Some("the rule that asks doorman to audit this account daily")
                } else {
                    None
                }
            }
            GuardrailTarget::Role => {
                let name = crate::resolve::role_name(&call.resource);
                if name.eq_ignore_ascii_case(READER_ROLE) {
                    Some("the role doorman reads this account with (doorman-reader)")
                } else if name
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}-forward-", p.to_ascii_lowercase()))
                {
                    Some("the role that forwards this account's events to doorman")
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// `subject` (`[doorman] HIGH ...`) with the member account after the tag,
/// within SNS's 100 characters (the end is clipped, marked `...`).
pub fn subject_with_account(subject: &str, account: &str) -> String {
    let rest = subject.strip_prefix("[doorman] ").unwrap_or(subject);
    let mut out = format!("[doorman] {account} {rest}");
    if out.len() > 100 {
        // Subjects are printable ASCII: any byte is a character boundary.
        out.truncate(97);
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Organization {
        Organization {
            id: "o-a1b2c3d4e5".into(),
            own_account: "999988887777".into(),
            name_prefix: "doorman".into(),
        }
    }

    fn call(target: GuardrailTarget, resource: &str) -> GuardrailCall {
        GuardrailCall {
            target,
            resource: resource.into(),
            effect: "deleted",
            detail: String::new(),
        }
    }

    #[test]
    fn only_other_accounts_are_members() {
        let o = org();
        assert_eq!(o.member("111122223333"), Some("111122223333"));
        assert_eq!(o.member("999988887777"), None);
        assert_eq!(o.member(""), None);
    }

    #[test]
    fn the_member_side_is_recognised_by_name_and_nothing_else() {
        let o = org();
        for (target, resource) in [
            (GuardrailTarget::EventRule, "doorman-forward-changes"),
            (
                GuardrailTarget::EventRule,
                "arn:aws:events:eu-west-1:111122223333:rule/doorman-forward-tampering",
            ),
            (GuardrailTarget::EventRule, "doorman-audit"),
            (GuardrailTarget::Role, "doorman-reader"),
            (GuardrailTarget::Role, "Doorman-Reader"),
            (GuardrailTarget::Role, "doorman-forward-eu-west-1"),
        ] {
            assert!(
                o.member_target(&call(target, resource)).is_some(),
                "{resource}"
            );
        }
        for (target, resource) in [
            (GuardrailTarget::EventRule, "doorman-changes"),
            (GuardrailTarget::EventRule, "other-forward-changes"),
            (GuardrailTarget::Role, "doorman-readers"),
            (GuardrailTarget::Role, "app"),
            (GuardrailTarget::Function, "doorman-reader"),
        ] {
            assert!(
                o.member_target(&call(target, resource)).is_none(),
                "{resource}"
            );
        }
    }

    #[test]
    fn the_subject_names_the_account_within_100_characters() {
        assert_eq!(
            subject_with_account("[doorman] CRITICAL public-invoke on f", "111122223333"),
            "[doorman] 111122223333 CRITICAL public-invoke on f"
        );
        let long = format!("[doorman] HIGH x on {}", "n".repeat(80));
        let s = subject_with_account(&long, "111122223333");
        assert_eq!(s.len(), 100);
        assert!(s.starts_with("[doorman] 111122223333 HIGH") && s.ends_with("..."));
    }
}
