//! The access data: policies, custom roles and access groups as the world keeps them, what a
//! custom role is made of, and why a policy can be refused (`access_rules.rs` checks it
//! against the world). Both API versions of policies read and write the one `Policy`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::catalog::{self, Service};

/// The access group every account has and everyone, signed in or not, is in. IBM gives it
/// this id in every account.
pub const PUBLIC_ACCESS_GROUP: &str = "AccessGroupId-PublicAccess";
pub const PUBLIC_ACCESS_NAME: &str = "Public Access";
pub const PUBLIC_ACCESS_DESCRIPTION: &str = "Public access group. All users, including unauthenticated users, are automatically members of this group.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    Access,
    Authorization,
}

impl PolicyKind {
    pub fn parse(s: &str) -> Option<PolicyKind> {
        match s {
            "access" => Some(PolicyKind::Access),
            "authorization" => Some(PolicyKind::Authorization),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Access => "access",
            PolicyKind::Authorization => "authorization",
        }
    }
}

/// A deleted policy is kept, so that `PATCH {"state": "active"}` can restore it as IBM's can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyState {
    Active,
    Deleted,
}

impl PolicyState {
    pub fn parse(s: &str) -> Option<PolicyState> {
        match s {
            "active" => Some(PolicyState::Active),
            "deleted" => Some(PolicyState::Deleted),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyState::Active => "active",
            PolicyState::Deleted => "deleted",
        }
    }
}

/// The API version a policy was created through: its `href` names it, as IBM's does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    V1,
    V2,
}

/// A subject or resource attribute. v1 calls the key `name` and has no operator on subjects;
/// the value is a string except for `stringExists` (a boolean) and the `AnyOf` operators (a
/// list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attr {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    pub value: Value,
}

impl Attr {
    pub fn equals(key: &str, value: &str) -> Attr {
        Attr {
            key: key.to_owned(),
            operator: None,
            value: Value::String(value.to_owned()),
        }
    }
}

/// An access tag on a policy's resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Policy {
    pub id: String,
    pub account_id: String,
    pub kind: PolicyKind,
    #[serde(default)]
    pub description: Option<String>,
    pub subject: Vec<Attr>,
    pub resource: Vec<Attr>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Role CRNs.
    pub roles: Vec<String>,
    /// v2's conditions, kept as sent; enforcement does not evaluate them.
    #[serde(default)]
    pub rule: Option<Value>,
    #[serde(default)]
    pub pattern: Option<String>,
    pub state: PolicyState,
    pub origin: Origin,
    pub created_at: i64,
    pub created_by_id: String,
    pub last_modified_at: i64,
    pub last_modified_by_id: String,
    pub version: u64,
    pub seq: u64,
}

/// The string value of `key` among `attrs`, if it has one.
pub fn attr<'a>(attrs: &'a [Attr], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_str())
}

impl Policy {
    pub fn subject_value(&self, key: &str) -> Option<&str> {
        attr(&self.subject, key)
    }

    pub fn resource_value(&self, key: &str) -> Option<&str> {
        attr(&self.resource, key)
    }

    pub fn active(&self) -> bool {
        self.state == PolicyState::Active
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomRole {
    pub id: String,
    pub account_id: String,
    /// Alphanumeric and capitalised; the last part of the CRN.
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub service_name: String,
    pub actions: Vec<String>,
    pub created_at: i64,
    pub created_by_id: String,
    pub last_modified_at: i64,
    pub last_modified_by_id: String,
    pub version: u64,
    pub seq: u64,
}

impl CustomRole {
    pub fn crn(&self) -> String {
        custom_role_crn(&self.account_id, &self.name)
    }
}

pub fn custom_role_crn(account_id: &str, name: &str) -> String {
    format!("crn:v1:bluemix:public:iam::a/{account_id}::customRole:{name}")
}

/// What a member of an access group is; IBM's `type` of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberKind {
    User,
    Service,
    Profile,
}

impl MemberKind {
    pub fn parse(s: &str) -> Option<MemberKind> {
        match s {
            "user" => Some(MemberKind::User),
            "service" => Some(MemberKind::Service),
            "profile" => Some(MemberKind::Profile),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberKind::User => "user",
            MemberKind::Service => "service",
            MemberKind::Profile => "profile",
        }
    }

    /// The kind an IAM ID's prefix says it is.
    pub fn of(iam_id: &str) -> Option<MemberKind> {
        if iam_id.starts_with("IBMid-") {
            Some(MemberKind::User)
        } else if iam_id.starts_with("iam-ServiceId-") {
            Some(MemberKind::Service)
        } else if iam_id.starts_with("iam-Profile-") {
            Some(MemberKind::Profile)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub iam_id: String,
    pub kind: MemberKind,
    pub created_at: i64,
    pub created_by_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessGroup {
    pub id: String,
    pub account_id: String,
    pub name: String,
    /// IBM answers `""` for a group created without one.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub members: Vec<Member>,
    pub created_at: i64,
    pub created_by_id: String,
    pub last_modified_at: i64,
    pub last_modified_by_id: String,
    pub version: u64,
    pub seq: u64,
}

impl AccessGroup {
    pub fn has_member(&self, iam_id: &str) -> bool {
        self.members.iter().any(|m| m.iam_id == iam_id)
    }
}

/// Why a custom role cannot be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomRoleProblem {
    /// IBM: "alphanumeric and capitalized".
    BadName(String),
    UnknownService(String),
    NoActions,
    /// An action that is not the service's.
    ForeignAction {
        action: String,
        service: String,
    },
}

impl std::fmt::Display for CustomRoleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CustomRoleProblem::BadName(n) => write!(
                f,
                "Invalid role name '{n}': it must be alphanumeric, start with a capital letter and be at most 64 characters."
            ),
            CustomRoleProblem::UnknownService(s) => write!(f, "Invalid service name: '{s}'."),
            CustomRoleProblem::NoActions => {
                write!(
                    f,
                    "A custom role must include at least one action of its service."
                )
            }
            CustomRoleProblem::ForeignAction { action, service } => {
                write!(
                    f,
                    "Action '{action}' is not an action of service '{service}'."
                )
            }
        }
    }
}

impl std::error::Error for CustomRoleProblem {}

/// Checks what a custom role is made of: its name, its service (one of the catalogue's) and
/// its actions, each the service's (named `<service>.<...>`, or granted by one of its roles).
pub fn check_custom_role(
    name: &str,
    service_name: &str,
    actions: &[String],
) -> Result<&'static Service, CustomRoleProblem> {
    let capitalised = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name.len() <= 64;
    if !capitalised {
        return Err(CustomRoleProblem::BadName(name.to_owned()));
    }
    let service = catalog::service(service_name)
        .ok_or_else(|| CustomRoleProblem::UnknownService(service_name.to_owned()))?;
    if actions.is_empty() {
        return Err(CustomRoleProblem::NoActions);
    }
    let granted = |a: &str| {
        service
            .platform_roles
            .iter()
            .chain(service.service_roles)
            .any(|r| r.actions.contains(&a))
    };
    if let Some(a) = actions
        .iter()
        .find(|a| !a.starts_with(&format!("{}.", service.name)) && !granted(a))
    {
        return Err(CustomRoleProblem::ForeignAction {
            action: a.clone(),
            service: service.name.to_owned(),
        });
    }
    Ok(service)
}

/// Why a policy cannot be: what IBM's policy service answers 400 for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyProblem {
    NoRoles,
    /// Roles unknown, or not roles of the policy's service; IBM's message lists them.
    InvalidRoles(Vec<String>),
    /// An access policy's subject is one `iam_id` or one `access_group_id`.
    AccessSubject,
    /// An authorization policy's subject names its source service.
    AuthorizationSubject,
    UnknownSubjectAttribute(String),
    UnknownIdentity(String),
    UnknownGroup(String),
    /// A locked service ID cannot be given access, as at IBM.
    LockedServiceId(String),
    /// `accountId` missing from the subject or resource of `part`.
    MissingAccount(&'static str),
    /// `accountId` of `part` is not the policy's account.
    OtherAccount {
        part: &'static str,
        account: String,
    },
    /// The resource names no service, service type, service group or resource group.
    NoServiceScope,
    /// An authorization policy's resource names its target service.
    AuthorizationTarget,
    UnknownService(String),
    InvalidServiceType(String),
    InvalidServiceGroup(String),
    InvalidOperator(String),
    /// A value that is empty, over 1,000 characters, or of the wrong JSON type for its operator.
    InvalidValue(String),
}

impl std::fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use PolicyProblem::*;
        match self {
            NoRoles => write!(f, "A policy grants at least one role."),
            InvalidRoles(roles) => write!(f, "Invalid role(s): {}", roles.join(", ")),
            AccessSubject => write!(
                f,
                "The subject of an access policy has exactly one attribute: 'iam_id' or 'access_group_id'."
            ),
            AuthorizationSubject => write!(
                f,
                "The subject of an authorization policy must include 'serviceName' and 'accountId'."
            ),
            UnknownSubjectAttribute(key) => {
                write!(f, "Subject attribute '{key}' is not supported.")
            }
            UnknownIdentity(id) => write!(f, "Subject '{id}' was not found in the account."),
            UnknownGroup(id) => write!(f, "Access group '{id}' was not found in the account."),
            LockedServiceId(id) => write!(
                f,
                "Service ID '{id}' is locked; unlock it before changing its access."
            ),
            MissingAccount(part) => write!(f, "The {part} must include the 'accountId' attribute."),
            OtherAccount { part, account } => write!(
                f,
                "The {part} attribute 'accountId' ('{account}') is not the account of the request."
            ),
            NoServiceScope => write!(
                f,
                "The policy resource must include either the 'serviceType', 'serviceName', 'resourceGroupId' or 'service_group_id' attribute."
            ),
            AuthorizationTarget => write!(
                f,
                "The resource of an authorization policy must include 'serviceName' and 'accountId'."
            ),
            UnknownService(name) => write!(f, "Invalid service name: '{name}'."),
            InvalidServiceType(t) => write!(
                f,
                "Invalid serviceType '{t}'; valid values: service, platform_service."
            ),
            InvalidServiceGroup(g) => {
                write!(f, "Invalid service_group_id '{g}'; valid values: IAM.")
            }
            InvalidOperator(op) => write!(
                f,
                "Invalid operator '{op}'; valid operators: stringEquals, stringMatch, stringEqualsAnyOf, stringMatchAnyOf, stringExists."
            ),
            InvalidValue(key) => write!(
                f,
                "The value of attribute '{key}' must be between 1 and 1,000 characters, a boolean for stringExists, or a list for the AnyOf operators."
            ),
        }
    }
}

impl std::error::Error for PolicyProblem {}
