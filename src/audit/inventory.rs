//! What an account holds, as the audit needs it: the IAM principals and
//! policies of `get-account-authorization-details` and the Lambda functions
//! with their inbound settings. One model for every source, so the offline
//! loader and a live collection produce the same thing and the judging never
//! knows where the inventory came from.

use crate::policy::Policy;

/// A policy document as the inventory holds it: parsed, or why it could not
/// be (the audit reports that as the document's own error instead of
/// dropping the holder).
pub type Document = Result<Policy, String>;

/// A policy a principal holds inline.
#[derive(Debug, Clone)]
pub struct InlinePolicy {
    pub name: String,
    pub document: Document,
}

/// A role of `RoleDetailList`.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub arn: String,
    /// The trust policy (`AssumeRolePolicyDocument`).
    pub trust: Option<Document>,
    pub inline: Vec<InlinePolicy>,
    /// ARNs of the attached managed policies.
    pub attached: Vec<String>,
    /// ARN of the permissions boundary, when it has one.
    pub boundary: Option<String>,
    pub tags: Vec<(String, String)>,
    /// The file it was read from (for locations).
    pub file: String,
}

/// A user of `UserDetailList`.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub arn: String,
    pub inline: Vec<InlinePolicy>,
    pub attached: Vec<String>,
    pub boundary: Option<String>,
    pub groups: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub file: String,
}

/// A group of `GroupDetailList`.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub arn: String,
    pub inline: Vec<InlinePolicy>,
    pub attached: Vec<String>,
    pub file: String,
}

/// A managed policy of `Policies`, with its default version's document.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    /// The default version (`IsDefaultVersion`); `None` when the dump did not
    /// carry it.
    pub document: Option<Document>,
    /// `AttachmentCount` and `PermissionsBoundaryUsageCount`: a policy with
    /// neither is judged on its own, since attaching it is one call away.
    pub attachments: u64,
    pub boundary_uses: u64,
    pub file: String,
}

/// An event source mapping of `list-event-source-mappings`.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub uuid: String,
    pub event_source_arn: String,
    pub function_arn: String,
    pub file: String,
}

/// A function of `list-functions`, with its inbound settings attached.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub arn: String,
    /// The execution role's ARN.
    pub role: Option<String>,
    /// Layer version ARNs.
    pub layers: Vec<String>,
    /// `LoggingConfig.LogGroup`, when set.
    pub log_group: Option<String>,
    /// The resource policy (`get-policy`), when it has one.
    pub policy: Option<Document>,
    /// `AuthType` of each function URL (`NONE`, `AWS_IAM`).
    pub url_auth: Vec<String>,
    pub mappings: Vec<Mapping>,
    pub file: String,
}

/// A layer version's permission policy (`get-layer-version-policy`).
#[derive(Debug, Clone)]
pub struct LayerPolicy {
    /// The layer version ARN its statements name.
    pub arn: String,
    pub document: Document,
    pub file: String,
}

/// A whole account (or what was collected of it).
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub roles: Vec<Role>,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub policies: Vec<ManagedPolicy>,
    /// `None` when no Lambda inventory (`list-functions`) was provided: the
    /// report says so, and no function rule (nor `unused-execution-role`)
    /// is judged.
    pub functions: Option<Vec<Function>>,
    pub layers: Vec<LayerPolicy>,
}

/// The account id in an ARN (`arn:aws:iam::111122223333:role/x`).
pub fn arn_account(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

impl Inventory {
    /// The account the inventory belongs to, read from the first role,
    /// user, group, customer policy or function ARN.
    pub fn account(&self) -> Option<&str> {
        self.roles
            .iter()
            .map(|r| r.arn.as_str())
            .chain(self.users.iter().map(|u| u.arn.as_str()))
            .chain(self.groups.iter().map(|g| g.arn.as_str()))
            .chain(self.policies.iter().map(|p| p.arn.as_str()))
            .chain(self.functions.iter().flatten().map(|f| f.arn.as_str()))
            .find_map(arn_account)
    }
}
