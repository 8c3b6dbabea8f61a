//! The access data: policies, custom roles and access groups as the world keeps them, the
//! rules a policy must follow (checked against the role catalogue), and the lookups access
//! decisions make. Both API versions of policies read and write the one `Policy`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::catalog::{self, IAM_SERVICE_GROUP, Service, ServiceType};
use crate::model::world::World;

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

const OPERATORS: &[&str] = &[
    "stringEquals",
    "stringMatch",
    "stringEqualsAnyOf",
    "stringMatchAnyOf",
    "stringExists",
];

/// Attributes an authorization policy's subject may carry besides `serviceName` and
/// `accountId` (IBM's list).
const SOURCE_ATTRIBUTES: &[&str] = &[
    "serviceName",
    "accountId",
    "serviceInstance",
    "region",
    "resourceType",
    "resource",
    "resourceGroupId",
];

/// What a policy's resource is about, for the roles it may grant.
enum Scope {
    Service(&'static Service),
    /// `service_group_id=IAM`.
    IamGroup,
    Type(ServiceType),
    /// Only a resource group: every service in it.
    ResourceGroup,
}

fn check_value(a: &Attr) -> Result<(), PolicyProblem> {
    let op = a.operator.as_deref().unwrap_or("stringEquals");
    if !OPERATORS.contains(&op) {
        return Err(PolicyProblem::InvalidOperator(op.to_owned()));
    }
    let text_ok = |v: &Value| v.as_str().is_some_and(|s| (1..=1000).contains(&s.len()));
    let ok = match op {
        "stringExists" => a.value.is_boolean(),
        "stringEqualsAnyOf" | "stringMatchAnyOf" => a
            .value
            .as_array()
            .is_some_and(|vs| !vs.is_empty() && vs.iter().all(text_ok)),
        _ => text_ok(&a.value),
    };
    if ok {
        Ok(())
    } else {
        Err(PolicyProblem::InvalidValue(a.key.clone()))
    }
}

impl World {
    pub fn custom_role_by_crn(&self, crn: &str) -> Option<&CustomRole> {
        self.custom_roles.values().find(|r| r.crn() == crn)
    }

    pub fn access_group(&self, id: &str) -> Option<&AccessGroup> {
        self.access_groups.get(id)
    }

    /// The groups of `account_id` that list `iam_id` as a member.
    pub fn groups_of<'a>(
        &'a self,
        account_id: &'a str,
        iam_id: &'a str,
    ) -> impl Iterator<Item = &'a AccessGroup> + 'a {
        self.access_groups
            .values()
            .filter(move |g| g.account_id == account_id && g.has_member(iam_id))
    }

    /// A group of the account by id or (in a seed) name; the Public Access group by either.
    pub fn group_ref(&self, account_id: &str, r: &str) -> Option<String> {
        if r == PUBLIC_ACCESS_GROUP || r == PUBLIC_ACCESS_NAME {
            return Some(PUBLIC_ACCESS_GROUP.to_owned());
        }
        self.access_groups
            .values()
            .find(|g| g.account_id == account_id && (g.id == r || g.name == r))
            .map(|g| g.id.clone())
    }

    /// Takes an identity out of every group and deletes the policies whose subject it is, as
    /// IBM does when a service ID or trusted profile is deleted.
    pub fn forget_identity(&mut self, iam_id: &str) {
        for g in self.access_groups.values_mut() {
            g.members.retain(|m| m.iam_id != iam_id);
        }
        self.policies
            .retain(|_, p| p.subject_value("iam_id") != Some(iam_id));
    }

    /// Checks a policy against the catalogue and the rest of the world: its subject, its
    /// resource's account and scope, and that each role is one its service offers.
    pub fn check_policy(&self, p: &Policy) -> Result<(), PolicyProblem> {
        use PolicyProblem::*;
        for a in p.subject.iter().chain(&p.resource) {
            check_value(a)?;
        }
        if p.roles.is_empty() {
            return Err(NoRoles);
        }
        let account = |attrs: &[Attr], part: &'static str| match attr(attrs, "accountId") {
            None => Err(MissingAccount(part)),
            Some(a) if a != p.account_id => Err(OtherAccount {
                part,
                account: a.to_owned(),
            }),
            Some(_) => Ok(()),
        };
        account(&p.resource, "resource")?;
        match p.kind {
            PolicyKind::Access => {
                self.check_access_subject(p)?;
                let scope = self.scope(&p.resource)?;
                let invalid: Vec<String> = p
                    .roles
                    .iter()
                    .filter(|r| !self.grants_on(&p.account_id, &scope, r))
                    .cloned()
                    .collect();
                if !invalid.is_empty() {
                    return Err(InvalidRoles(invalid));
                }
            }
            PolicyKind::Authorization => {
                account(&p.subject, "subject")?;
                if let Some(a) = p
                    .subject
                    .iter()
                    .find(|a| !SOURCE_ATTRIBUTES.contains(&a.key.as_str()))
                {
                    return Err(UnknownSubjectAttribute(a.key.clone()));
                }
                let source = p.subject_value("serviceName").ok_or(AuthorizationSubject)?;
                catalog::service(source).ok_or_else(|| UnknownService(source.to_owned()))?;
                let target = p.resource_value("serviceName").ok_or(AuthorizationTarget)?;
                let target =
                    catalog::service(target).ok_or_else(|| UnknownService(target.to_owned()))?;
                let invalid: Vec<String> = p
                    .roles
                    .iter()
                    .filter(|r| !target.service_roles.iter().any(|d| d.crn == r.as_str()))
                    .cloned()
                    .collect();
                if !invalid.is_empty() {
                    return Err(InvalidRoles(invalid));
                }
            }
        }
        Ok(())
    }

    fn check_access_subject(&self, p: &Policy) -> Result<(), PolicyProblem> {
        use PolicyProblem::*;
        let [only] = p.subject.as_slice() else {
            return Err(AccessSubject);
        };
        let value = only.value.as_str().ok_or(AccessSubject)?;
        match only.key.as_str() {
            "iam_id" => match MemberKind::of(value) {
                // IBM takes policies for IBMids it cannot see (its own SDK tests make up
                // users), so only service IDs and trusted profiles must exist.
                Some(MemberKind::User) => Ok(()),
                Some(MemberKind::Service) => {
                    let s = value
                        .strip_prefix("iam-")
                        .and_then(|id| self.service_ids.get(id))
                        .filter(|s| s.account_id == p.account_id)
                        .ok_or_else(|| UnknownIdentity(value.to_owned()))?;
                    if s.locked {
                        return Err(LockedServiceId(s.id.clone()));
                    }
                    Ok(())
                }
                Some(MemberKind::Profile) => value
                    .strip_prefix("iam-")
                    .and_then(|id| self.profiles.get(id))
                    .filter(|pr| pr.account_id == p.account_id)
                    .map(|_| ())
                    .ok_or_else(|| UnknownIdentity(value.to_owned())),
                None => Err(UnknownIdentity(value.to_owned())),
            },
            "access_group_id" => {
                let known = value == PUBLIC_ACCESS_GROUP
                    || self
                        .access_group(value)
                        .is_some_and(|g| g.account_id == p.account_id);
                if known {
                    Ok(())
                } else {
                    Err(UnknownGroup(value.to_owned()))
                }
            }
            other => Err(UnknownSubjectAttribute(other.to_owned())),
        }
    }

    fn scope(&self, resource: &[Attr]) -> Result<Scope, PolicyProblem> {
        use PolicyProblem::*;
        if let Some(name) = attr(resource, "serviceName") {
            return catalog::service(name)
                .map(Scope::Service)
                .ok_or_else(|| UnknownService(name.to_owned()));
        }
        if let Some(group) = attr(resource, "service_group_id") {
            return if group == IAM_SERVICE_GROUP {
                Ok(Scope::IamGroup)
            } else {
                Err(InvalidServiceGroup(group.to_owned()))
            };
        }
        if let Some(t) = attr(resource, "serviceType") {
            return ServiceType::parse(t)
                .map(Scope::Type)
                .ok_or_else(|| InvalidServiceType(t.to_owned()));
        }
        if attr(resource, "resourceGroupId").is_some() {
            return Ok(Scope::ResourceGroup);
        }
        Err(NoServiceScope)
    }

    /// Whether an access policy on `scope` may grant the role `crn`.
    fn grants_on(&self, account_id: &str, scope: &Scope, crn: &str) -> bool {
        match scope {
            Scope::Service(s) => {
                s.role(crn).is_some()
                    || self
                        .custom_role_by_crn(crn)
                        .is_some_and(|r| r.account_id == account_id && r.service_name == s.name)
            }
            Scope::IamGroup => {
                catalog::is_platform_role(crn)
                    || catalog::iam_group_service_roles()
                        .iter()
                        .any(|r| r.crn == crn)
            }
            Scope::Type(ServiceType::PlatformService) => catalog::is_platform_role(crn),
            Scope::Type(ServiceType::Service) | Scope::ResourceGroup => {
                catalog::is_platform_role(crn) || catalog::is_generic_service_role(crn)
            }
        }
    }
}
