//! The world's access data read and checked: lookups of groups and custom roles, what goes
//! when an identity does, and the rules a policy must follow, against the role catalogue and
//! the rest of the world.

use serde_json::Value;

use crate::model::access::{
    AccessGroup, Attr, CustomRole, MemberKind, PUBLIC_ACCESS_GROUP, PUBLIC_ACCESS_NAME, Policy,
    PolicyKind, PolicyProblem, attr,
};
use crate::model::catalog::{self, IAM_SERVICE_GROUP, Service, ServiceType};
use crate::model::world::World;

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
