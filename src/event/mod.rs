//! From a CloudTrail event, as EventBridge delivers it or as a raw record, to
//! a [`Change`]: what changed, on which resource, by whom, and the new policy
//! document when the event carries it.
//!
//! One lenient decoder serves the Lambda and `doorman replay` alike, so the
//! two can never disagree. It does not use `aws_lambda_events`: its
//! `EventBridgeEvent<T>` is only a thin envelope (ours is ten lines), its
//! `AWSAPICall` rejects real events (`"sessionIssuer": {}` from IAM-user
//! sessions, a missing `userAgent`) and drops `errorCode`, and this module must
//! build without the `aws` feature.
//!
//! CloudTrail writes Lambda event names with the API version appended
//! (`AddPermission20150331v2`); [`strip_api_version`] removes it before
//! matching. Names doorman does not cover are [`Decoded::Ignored`], not
//! errors; so are failed calls (`errorCode`), except an attempt on one of
//! doorman's own doors ([`Change::error_code`]), which is reconnaissance.
//! An EventBridge event whose `source` is not AWS's (`aws.*`) was sent with
//! `PutEvents` by someone in the account, not recorded by CloudTrail: it is
//! never judged as a change (the self-test's source is
//! [`Decoded::SelfTest`], any other is ignored).
//!
//! Three parts: `decode` (the envelope and the record), `calls` (the
//! per-call table of SPEC §4: which [`What`] each call is), `guardrail`
//! (the calls that could blind doorman, and the door a judged change also
//! opens).

mod calls;
mod decode;
mod guardrail;

pub use calls::function_name;
pub use decode::{decode, strip_api_version};

use std::fmt;

/// The `detail-type` EventBridge gives CloudTrail management events.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// How a [`GuardrailCall::detail`] says an update replaced a function's
/// environment variables without the event showing them (CloudTrail writes
/// `HIDDEN_DUE_TO_SECURITY_REASONS`): the pipeline then reads them.
pub const HIDDEN_ENVIRONMENT: &str =
    "replaces its environment variables (the event does not show their values)";

/// The EventBridge `source` of the README's self-test event
/// (`scripts/selftest-tamper-event.json`). AWS reserves `aws.*` for its own
/// events, so anyone allowed `events:PutEvents` can send this one: it is
/// never judged as a change, only reported as a self-test.
pub const SELF_TEST_SOURCE: &str = "doorman.selftest";

/// The tag whose value lists the rule ids to silence for a role or function.
pub const IGNORE_TAG_KEY: &str = "doorman:ignore";

/// Whether a tag key is [`IGNORE_TAG_KEY`]. IAM tag keys are unique ignoring
/// case (`DOORMAN:IGNORE` replaces `doorman:ignore`), so case is ignored
/// here, and everywhere doorman reads the tag: what silences a rule and what
/// reports a suppression must be the same keys.
pub fn is_ignore_tag_key(key: &str) -> bool {
    key.eq_ignore_ascii_case(IGNORE_TAG_KEY)
}

/// Who made the call and from where, when, in which account: what every alert
/// shows about the event. All text is as the event wrote it (unescaped).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EventInfo {
    /// CloudTrail's `eventID` (the same in the raw record and under
    /// EventBridge, so a retry or a replay is recognisable).
    pub id: String,
    /// The event name with its API-version suffix stripped (`AddPermission`).
    pub name: String,
    pub time: String,
    pub account: String,
    pub region: String,
    /// The caller's ARN (`userIdentity.arn`), else its session issuer's ARN,
    /// else its principal id or the invoking service.
    pub actor: String,
    /// The role or user behind an assumed-role session
    /// (`sessionContext.sessionIssuer.arn`), when there is one.
    #[serde(skip)]
    pub actor_issuer: Option<String>,
    pub source_ip: String,
    #[serde(skip)]
    pub user_agent: String,
    /// `eventSource` without `.amazonaws.com` (`iam`, `lambda`, `sns`, ...).
    #[serde(skip)]
    pub service: String,
}

/// What kind of IAM identity holds a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    Role,
    User,
    Group,
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentityKind::Role => "role",
            IdentityKind::User => "user",
            IdentityKind::Group => "group",
        })
    }
}

/// A role, user or group, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub kind: IdentityKind,
    /// `None` when the event does not give it (or not as text): the change
    /// is judged all the same, and the alert says the name is unknown.
    pub name: Option<String>,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} `{name}`", self.kind),
            None => write!(f, "a {} the event does not name", self.kind),
        }
    }
}

/// A function as an event names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The bare function name (from a name, a partial ARN or a full ARN).
    pub name: String,
    /// The unqualified function ARN, from the event or built from the
    /// event's account and region.
    pub arn: String,
}

/// What an event changed. Documents are the text the event carries (plain
/// or URL-encoded JSON); they are parsed by the pipeline, where a document
/// that is not JSON becomes an `unprocessable-event`.
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// CreateRole, UpdateAssumeRolePolicy: a role's trust policy. The role
    /// name only words the alert: `None` when the event lacks it.
    RoleTrust {
        role: Option<String>,
        document: String,
    },
    /// PutRolePolicy, PutUserPolicy, PutGroupPolicy.
    InlinePolicy {
        holder: Identity,
        policy_name: Option<String>,
        document: String,
    },
    /// AttachRolePolicy, AttachUserPolicy, AttachGroupPolicy.
    AttachPolicy {
        holder: Identity,
        policy_arn: String,
    },
    /// CreatePolicy: a new customer managed policy.
    CreatePolicy {
        policy_name: Option<String>,
        policy_arn: Option<String>,
        document: String,
    },
    /// CreatePolicyVersion with `setAsDefault`, SetDefaultPolicyVersion:
    /// a managed policy's effective document changes. The document is carried
    /// by CreatePolicyVersion and fetched for SetDefaultPolicyVersion.
    DefaultPolicyVersion {
        policy_arn: String,
        version_id: Option<String>,
        document: Option<String>,
    },
    /// DeleteRolePermissionsBoundary, DeleteUserPermissionsBoundary.
    BoundaryRemoved { holder: Identity },
    /// PutRolePermissionsBoundary, PutUserPermissionsBoundary: the new
    /// boundary is judged (one that allows everything caps nothing).
    BoundarySet {
        holder: Identity,
        policy_arn: String,
    },
    /// DetachRolePolicy, DeleteRolePolicy: the role's remaining policies
    /// are re-judged for the functions that use it (`missing-logs`).
    RolePolicyRemoved {
        role: String,
        /// The inline policy name, or the managed policy ARN.
        policy: String,
        managed: bool,
    },
    /// AddUserToGroup: the group's policies now apply to the user.
    GroupMember { user: Option<String>, group: String },
    /// PutFunctionEventInvokeConfig, UpdateFunctionEventInvokeConfig: where
    /// the function's asynchronous invocation records go.
    InvokeConfig {
        function: Function,
        /// The `OnSuccess` / `OnFailure` destination ARNs the call sets,
        /// with which one each is.
        destinations: Vec<(&'static str, String)>,
    },
    /// AddPermission: one statement added to a function's resource policy.
    /// The function only words the alert (and finds its tags): `None` when
    /// neither the request nor the resulting statement names it.
    FunctionPermission {
        function: Option<Function>,
        /// The statement as a one-statement policy document.
        document: String,
        /// `FunctionUrlAuthType` of the permission, when set.
        function_url_auth_type: Option<String>,
    },
    /// CreateFunctionUrlConfig, UpdateFunctionUrlConfig. `None` when the
    /// event does not name the function.
    FunctionUrl {
        function: Option<Function>,
        auth_type: Option<String>,
    },
    /// AddLayerVersionPermission.
    LayerPermission {
        layer: String,
        principal: String,
        organization_id: Option<String>,
    },
    /// CreateFunction, or UpdateFunctionConfiguration that sets the role or
    /// the layers.
    FunctionRole {
        function: Function,
        role_arn: Option<String>,
        layers: Vec<String>,
    },
    /// CreateEventSourceMapping, UpdateEventSourceMapping.
    EventSourceMapping {
        function: Function,
        event_source_arn: String,
    },
    /// A call that can disable or change doorman itself (or the trail that
    /// feeds it); whether it concerns doorman's own resources is decided
    /// with the deployment's names (see `pipeline`).
    Guardrail(GuardrailCall),
    /// TagRole, TagUser, TagPolicy, Lambda TagResource that set a
    /// `doorman:ignore` key (other tag calls are ignored).
    IgnoreTag {
        target: TagTarget,
        /// The `doorman:ignore` keys set, as the call spelled them, with
        /// their values.
        tags: Vec<(String, String)>,
    },
}

/// What a tag call tagged. Names only word the alert: `None` when the
/// event lacks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagTarget {
    /// TagRole, TagUser.
    Identity(Identity),
    /// TagPolicy: the policy's ARN.
    Policy(Option<String>),
    /// Lambda TagResource: the resource's ARN (a function, an event source
    /// mapping, a code signing configuration).
    Lambda(Option<String>),
}

/// A call on something doorman depends on: its role, KMS key, EventBridge
/// rules, function, SNS topic or subscription, failure queue, log group, or
/// a CloudTrail trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailCall {
    pub target: GuardrailTarget,
    /// The name, URL, id or ARN the call names, as written.
    pub resource: String,
    /// What the call does, for the message (`stopped logging of trail`).
    pub effect: &'static str,
    /// What else the call set, in words, when it matters for the alert
    /// (an `UpdateFunctionConfiguration` of doorman that sets
    /// `DOORMAN_IGNORE_RULES`): empty otherwise.
    pub detail: String,
}

/// Which kind of resource a [`GuardrailCall`] is on; the pipeline compares
/// the resource with doorman's own of that kind (`Guarded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardrailTarget {
    /// Any change to a trail: every trail counts when doorman does not know
    /// which one feeds it.
    Trail,
    EventRule,
    Function,
    Topic,
    Subscription,
    /// doorman's execution role (its policies, trust and boundary).
    Role,
    /// doorman's KMS key: the resource is a key id, key ARN, alias name or
    /// alias ARN (the event's `resources[]` key ARN is preferred).
    Key,
    /// doorman's failure queue: the resource is the queue URL.
    Queue,
    LogGroup,
    /// The bucket of the scheduled audit's reports: its policy (TLS only),
    /// encryption, public access block, lifecycle, the bucket itself.
    Bucket,
    /// A CloudFormation stack (by name or stack id): in organization mode,
    /// a member account's StackSet instance of member.yaml.
    Stack,
    /// A CloudFormation StackSet (by name or `name:id`): in organization
    /// mode, the StackSet that deploys member.yaml.
    StackSet,
}

/// A decoded event.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub info: EventInfo,
    pub what: What,
    /// `doorman:ignore` tags the call set on what it created (CreateRole,
    /// CreatePolicy, CreateFunction accept `tags`), as spelled, with their
    /// values: a suppression as much as a TagRole is.
    pub ignore_tags: Vec<(String, String)>,
    /// For a change that also touches a door doorman depends on (a policy
    /// change of a role that may be doorman's, an invoke config of a
    /// function that may be doorman's): that call. [`What::Guardrail`]
    /// carries its own.
    pub door: Option<GuardrailCall>,
    /// The `errorCode` of a failed call. Only calls on a door doorman
    /// depends on are decoded when they failed (an attempt is
    /// reconnaissance); every other failed call is [`Decoded::Ignored`].
    pub error_code: Option<String>,
}

impl Change {
    /// The call on one of doorman's doors this change makes, if any.
    pub fn guardrail_call(&self) -> Option<&GuardrailCall> {
        match &self.what {
            What::Guardrail(call) => Some(call),
            _ => self.door.as_ref(),
        }
    }
}

/// What the decoder made of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    Change(Change),
    /// Nothing to evaluate: a failed call, an event doorman does not cover.
    /// The reason is for the debug log and `replay`.
    Ignored {
        info: EventInfo,
        reason: String,
    },
    /// The self-test event ([`SELF_TEST_SOURCE`]): proof that an event put
    /// on the bus reaches doorman, reported as such and never judged (what
    /// its record says happened did not). `info` is read from its record.
    SelfTest {
        info: EventInfo,
    },
}

/// An event that cannot be decoded. Permanent: retrying will not help, so
/// the pipeline turns it into an `unprocessable-event` alert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DecodeError {
    /// As much of the event as could be read, for the alert.
    pub info: Box<EventInfo>,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The change `ev` decodes to; the test fails on anything else.
    fn change(ev: &Value) -> Change {
        match decode(ev).unwrap() {
            Decoded::Change(c) => c,
            other => panic!("not a change: {other:?}"),
        }
    }

    #[test]
    fn api_version_suffixes_are_stripped() {
        for (raw, name) in [
            ("AddPermission20150331v2", "AddPermission"),
            ("AddPermission20150331", "AddPermission"),
            ("CreateFunction20150331", "CreateFunction"),
            (
                "UpdateFunctionConfiguration20150331v2",
                "UpdateFunctionConfiguration",
            ),
            (
                "CreateEventSourceMapping20150331",
                "CreateEventSourceMapping",
            ),
            ("CreateFunctionUrlConfig20211031", "CreateFunctionUrlConfig"),
            (
                "AddLayerVersionPermission20181031",
                "AddLayerVersionPermission",
            ),
            ("PutFunctionConcurrency20171031", "PutFunctionConcurrency"),
            ("AttachRolePolicy", "AttachRolePolicy"),
            ("UpdateFunctionCode20150331v2", "UpdateFunctionCode"),
            ("TagResource20170331v2", "TagResource"),
            ("TagResource20170331", "TagResource"),
            ("S3Thing123", "S3Thing123"),
            ("20150331", "20150331"),
            ("Get2", "Get2"),
        ] {
            assert_eq!(strip_api_version(raw), name, "{raw}");
        }
    }

    fn record(name: &str, source: &str, req: Value, resp: Value) -> Value {
        json!({
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLE",
                "arn": "arn:aws:iam::111122223333:user/alice",
                "accountId": "111122223333",
                "sessionContext": {"sessionIssuer": {}, "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"}}
            },
            "eventTime": "2026-01-01T00:00:00Z",
            "eventSource": source,
            "eventName": name,
            "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.7",
            "requestParameters": req,
            "responseElements": resp,
            "eventID": "e-1",
            "recipientAccountId": "111122223333"
        })
    }

    #[test]
    fn iam_user_session_with_empty_issuer_decodes() {
        let ev = record(
            "AttachRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "app", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            Value::Null,
        );
        let c = change(&ev);
        assert_eq!(c.info.actor, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(c.info.actor_issuer, None);
        assert_eq!(c.info.account, "111122223333");
        assert_eq!(
            c.what,
            What::AttachPolicy {
                holder: Identity {
                    kind: IdentityKind::Role,
                    name: Some("app".into())
                },
                policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess".into()
            }
        );
    }

    #[test]
    fn failed_calls_and_uncovered_names_are_ignored() {
        let mut ev = record("PutRolePolicy", "iam.amazonaws.com", json!({}), Value::Null);
        ev["errorCode"] = json!("AccessDenied");
        assert!(matches!(
            decode(&ev).unwrap(),
            Decoded::Ignored { reason, .. } if reason == "the call failed (`AccessDenied`)"
        ));
        let ev = record("ListRoles", "iam.amazonaws.com", json!({}), Value::Null);
        assert!(matches!(decode(&ev).unwrap(), Decoded::Ignored { .. }));
    }

    #[test]
    fn envelope_and_raw_record_decode_the_same() {
        let raw = record(
            "PutRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "app", "policyName": "p", "policyDocument": "{\"Statement\":[]}"}),
            Value::Null,
        );
        let wrapped = json!({
            "version": "0", "id": "eb-id", "detail-type": CLOUDTRAIL_DETAIL_TYPE,
            "source": "aws.iam", "account": "111122223333", "time": "2026-01-01T00:00:00Z",
            "region": "us-east-1", "resources": [], "detail": raw.clone()
        });
        assert_eq!(decode(&raw).unwrap(), decode(&wrapped).unwrap());
    }

    #[test]
    fn add_permission_statement_comes_from_the_response_or_the_request() {
        let stmt = r#"{"Sid":"pub","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}"#;
        let ev = record(
            "AddPermission20150331v2",
            "lambda.amazonaws.com",
            json!({"functionName": "f", "statementId": "pub", "action": "lambda:InvokeFunction", "principal": "*"}),
            json!({"statement": stmt}),
        );
        let c = change(&ev);
        let What::FunctionPermission {
            document, function, ..
        } = c.what
        else {
            panic!()
        };
        assert_eq!(
            function.map(|f| f.arn).as_deref(),
            Some("arn:aws:lambda:us-east-1:111122223333:function:f")
        );
        let from_response: Value = serde_json::from_str(&document).unwrap();
        let ev = record(
            "AddPermission20150331v2",
            "lambda.amazonaws.com",
            json!({"functionName": "f", "statementId": "pub", "action": "lambda:InvokeFunction", "principal": "*"}),
            Value::Null,
        );
        let c = change(&ev);
        let What::FunctionPermission { document, .. } = c.what else {
            panic!()
        };
        let from_request: Value = serde_json::from_str(&document).unwrap();
        assert_eq!(from_response, from_request);
    }

    #[test]
    fn add_permission_without_a_function_name_is_judged_on_its_statement() {
        let stmt = r#"{"Sid":"pub","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f"}"#;
        let ev = record(
            "AddPermission20150331v2",
            "lambda.amazonaws.com",
            json!({"statementId": "pub", "action": "lambda:InvokeFunction", "principal": "*"}),
            json!({"statement": stmt}),
        );
        let c = change(&ev);
        let What::FunctionPermission { function, .. } = c.what else {
            panic!()
        };
        assert_eq!(function.map(|f| f.name).as_deref(), Some("f"));
        // Without the statement, the request alone cannot say which function.
        let ev = record(
            "AddPermission20150331v2",
            "lambda.amazonaws.com",
            json!({"statementId": "pub", "action": "lambda:InvokeFunction", "principal": "*"}),
            Value::Null,
        );
        assert_eq!(
            decode(&ev).unwrap_err().reason,
            "`AddPermission` has no `requestParameters.functionName`"
        );
        // A function URL event without a name is judged all the same.
        let ev = record(
            "CreateFunctionUrlConfig20211031",
            "lambda.amazonaws.com",
            json!({"authType": "NONE"}),
            Value::Null,
        );
        let c = change(&ev);
        assert_eq!(
            c.what,
            What::FunctionUrl {
                function: None,
                auth_type: Some("NONE".into())
            }
        );
    }

    #[test]
    fn undecodable_events_name_the_problem() {
        assert_eq!(
            decode(&json!([1])).unwrap_err().reason,
            "the event is a JSON array, not an object"
        );
        assert_eq!(
            decode(&json!({"hello": 1})).unwrap_err().reason,
            "neither an EventBridge event (`detail-type`, `detail`) nor a CloudTrail record (`eventName`)"
        );
        let ev = record(
            "PutRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "r", "policyName": "p"}),
            Value::Null,
        );
        assert_eq!(
            decode(&ev).unwrap_err().reason,
            "`PutRolePolicy` has no `requestParameters.policyDocument`"
        );
    }

    #[test]
    fn tag_calls_read_iam_lists_and_lambda_maps() {
        let ev = record(
            "TagRole",
            "iam.amazonaws.com",
            json!({"roleName": "app", "tags": [{"key": "team", "value": "a"}, {"key": "Doorman:Ignore", "value": "admin-access"}]}),
            Value::Null,
        );
        let c = change(&ev);
        assert_eq!(
            c.what,
            What::IgnoreTag {
                target: TagTarget::Identity(Identity {
                    kind: IdentityKind::Role,
                    name: Some("app".into())
                }),
                tags: vec![("Doorman:Ignore".into(), "admin-access".into())],
            }
        );
        let fn_arn = "arn:aws:lambda:us-east-1:111122223333:function:f";
        let ev = record(
            "TagResource20170331v2",
            "lambda.amazonaws.com",
            json!({"resource": fn_arn, "tags": {"doorman:ignore": "public-invoke"}}),
            Value::Null,
        );
        let c = change(&ev);
        assert_eq!(
            c.what,
            What::IgnoreTag {
                target: TagTarget::Lambda(Some(fn_arn.into())),
                tags: vec![("doorman:ignore".into(), "public-invoke".into())],
            }
        );
        // Another key: nothing to judge, and the reason says why.
        let ev = record(
            "TagPolicy",
            "iam.amazonaws.com",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/p", "tags": [{"key": "doorman:owner", "value": "x"}]}),
            Value::Null,
        );
        assert!(matches!(
            decode(&ev).unwrap(),
            Decoded::Ignored { reason, .. } if reason.starts_with("`TagPolicy` sets no `doorman:ignore` tag")
        ));
        // A tag without a key cannot be judged.
        let ev = record(
            "TagUser",
            "iam.amazonaws.com",
            json!({"userName": "u", "tags": [{"value": "x"}]}),
            Value::Null,
        );
        assert_eq!(
            decode(&ev).unwrap_err().reason,
            "`TagUser`: tag 0 has no `key`"
        );
    }

    #[test]
    fn create_calls_keep_the_doorman_ignore_tags_they_set() {
        let ev = record(
            "CreateFunction20150331",
            "lambda.amazonaws.com",
            json!({"functionName": "f", "role": "arn:aws:iam::111122223333:role/r", "tags": {"DOORMAN:IGNORE": "missing-logs", "team": "a"}}),
            Value::Null,
        );
        let c = change(&ev);
        assert_eq!(
            c.ignore_tags,
            vec![("DOORMAN:IGNORE".to_string(), "missing-logs".to_string())]
        );
    }

    #[test]
    fn fields_that_only_word_the_alert_may_be_missing_or_odd() {
        let mut ev = record(
            "UpdateAssumeRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": 12, "policyDocument": "{\"Statement\":[]}"}),
            Value::Null,
        );
        ev["userAgent"] = json!({"agent": "x"});
        ev["eventTime"] = json!(1767225600);
        ev["sourceIPAddress"] = Value::Null;
        let wrapped = json!({
            "detail-type": CLOUDTRAIL_DETAIL_TYPE, "id": 5, "time": [], "region": {},
            "detail": ev
        });
        let c = change(&wrapped);
        assert_eq!(c.info.time, "1767225600");
        assert_eq!(c.info.user_agent, "");
        assert_eq!(c.info.source_ip, "");
        assert_eq!(c.info.region, "us-east-1");
        assert_eq!(
            c.what,
            What::RoleTrust {
                role: None,
                document: "{\"Statement\":[]}".into()
            }
        );
        // A non-string `errorCode` is still a failed call.
        let mut ev = record("TagRole", "iam.amazonaws.com", json!({}), Value::Null);
        ev["errorCode"] = json!({"code": "AccessDenied"});
        assert!(matches!(decode(&ev).unwrap(), Decoded::Ignored { .. }));
    }

    #[test]
    fn function_names_come_from_names_and_arns() {
        assert_eq!(function_name("f"), "f");
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:111122223333:function:f:prod"),
            "f"
        );
        assert_eq!(function_name("111122223333:function:f"), "f");
    }

    #[test]
    fn failed_calls_on_a_door_are_kept_with_their_error_code() {
        let mut ev = record(
            "DisableKey",
            "kms.amazonaws.com",
            json!({"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}),
            Value::Null,
        );
        ev["errorCode"] = json!("AccessDenied");
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!("a failed call on a door is kept")
        };
        assert_eq!(c.error_code.as_deref(), Some("AccessDenied"));
        let call = c.guardrail_call().expect("a door");
        assert_eq!(call.target, GuardrailTarget::Key);
        // A failed call that opens no door is ignored, as before.
        let mut ev = record(
            "CreatePolicy",
            "iam.amazonaws.com",
            json!({"policyName": "p", "policyDocument": "{}"}),
            Value::Null,
        );
        ev["errorCode"] = json!("MalformedPolicyDocument");
        assert!(matches!(decode(&ev).unwrap(), Decoded::Ignored { .. }));
        // A failed call whose request is too partial to read is ignored too...
        let mut ev = record("DisableKey", "kms.amazonaws.com", Value::Null, Value::Null);
        ev["errorCode"] = json!("AccessDenied");
        assert!(matches!(decode(&ev).unwrap(), Decoded::Ignored { .. }));
        // ... unless it still names the role it was an attempt on.
        let mut ev = record(
            "PutRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "doorman-role"}),
            Value::Null,
        );
        ev["errorCode"] = json!("AccessDenied");
        let Decoded::Change(c) = decode(&ev).unwrap() else {
            panic!("an attempt on a role is kept")
        };
        let call = c.guardrail_call().expect("the role door");
        assert_eq!(
            (call.target, call.resource.as_str()),
            (GuardrailTarget::Role, "doorman-role")
        );
    }

    #[test]
    fn role_changes_open_the_role_door_and_invoke_configs_the_function_door() {
        let ev = record(
            "DetachRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "doorman-role", "policyArn": "arn:aws:iam::111122223333:policy/p"}),
            Value::Null,
        );
        let c = change(&ev);
        assert_eq!(
            c.what,
            What::RolePolicyRemoved {
                role: "doorman-role".into(),
                policy: "arn:aws:iam::111122223333:policy/p".into(),
                managed: true
            }
        );
        let door = c.door.expect("the role door");
        assert_eq!(
            (door.target, door.resource.as_str()),
            (GuardrailTarget::Role, "doorman-role")
        );
        let ev = record(
            "PutFunctionEventInvokeConfig20190925",
            "lambda.amazonaws.com",
            json!({"functionName": "f", "destinationConfig": {
                "onSuccess": {"destination": "arn:aws:sns:us-east-1:444455556666:t"},
                "onFailure": {}
            }}),
            Value::Null,
        );
        let c = change(&ev);
        let What::InvokeConfig { destinations, .. } = &c.what else {
            panic!("{:?}", c.what)
        };
        assert_eq!(
            destinations,
            &vec![(
                "OnSuccess",
                "arn:aws:sns:us-east-1:444455556666:t".to_string()
            )]
        );
        assert_eq!(c.door.map(|d| d.target), Some(GuardrailTarget::Function));
    }

    #[test]
    fn an_update_of_a_function_says_which_doorman_variables_it_sets() {
        let ev = record(
            "UpdateFunctionConfiguration20150331v2",
            "lambda.amazonaws.com",
            json!({"functionName": "doorman", "timeout": 1, "environment": {"variables": {
                "DOORMAN_IGNORE_RULES": "guardrail-tampering", "OTHER": "x"
            }}}),
            Value::Null,
        );
        let c = change(&ev);
        let call = c.guardrail_call().expect("the function door");
        assert_eq!(
            call.detail,
            "sets `DOORMAN_IGNORE_RULES=guardrail-tampering`; leaves out `DOORMAN_TOPIC_ARN`, `DOORMAN_TAMPER_RULE_NAME`; changes `timeout`"
        );
    }

    #[test]
    fn an_event_source_mapping_update_needs_the_source_from_its_response() {
        let ev = record(
            "UpdateEventSourceMapping20150331",
            "lambda.amazonaws.com",
            json!({"uUID": "u-1", "batchSize": 5}),
            json!({"uUID": "u-1", "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:f", "eventSourceArn": "arn:aws:sqs:us-east-1:111122223333:q"}),
        );
        let c = change(&ev);
        assert_eq!(
            c.what,
            What::EventSourceMapping {
                function: Function {
                    name: "f".into(),
                    arn: "arn:aws:lambda:us-east-1:111122223333:function:f".into()
                },
                event_source_arn: "arn:aws:sqs:us-east-1:111122223333:q".into()
            }
        );
        let ev = record(
            "UpdateEventSourceMapping20150331",
            "lambda.amazonaws.com",
            json!({"uUID": "u-1", "functionName": "f"}),
            Value::Null,
        );
        assert_eq!(
            decode(&ev).unwrap_err().reason,
            "`UpdateEventSourceMapping` has no `responseElements.eventSourceArn`"
        );
    }

    #[test]
    fn an_update_whose_variables_the_event_hides_still_says_they_changed() {
        for environment in [
            json!({}),
            json!({"variables": "HIDDEN_DUE_TO_SECURITY_REASONS"}),
        ] {
            let ev = record(
                "UpdateFunctionConfiguration20150331v2",
                "lambda.amazonaws.com",
                json!({"functionName": "doorman", "environment": environment}),
                Value::Null,
            );
            let c = change(&ev);
            assert_eq!(
                c.guardrail_call().map(|g| g.detail.as_str()),
                Some("replaces its environment variables (the event does not show their values)")
            );
        }
    }
}
