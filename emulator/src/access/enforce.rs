//! Access decisions: whether a caller may take an action on a resource. The account owner may
//! do anything and a user anything to their own API keys; other users' API keys are the
//! owner's alone unless enforcement is on. With enforcement on (`--enforce-access`), every
//! other action needs an active access policy of the caller's, direct, through one of its
//! access groups or through the account's Public Access group, whose resource covers the
//! target and whose roles grant the action (`model::catalog`, custom roles).

use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError};
use crate::model::access::{Attr, PUBLIC_ACCESS_GROUP, Policy, PolicyKind};
use crate::model::catalog::{self, IAM_SERVICE_GROUP, ServiceType};
use crate::model::world::World;

/// What an action is done to: the attributes a policy's resource is matched against.
#[derive(Debug, Clone)]
pub struct Target {
    attrs: Vec<(String, String)>,
}

impl Target {
    /// A whole service of the account (creating a service ID, listing groups).
    pub fn service(account_id: &str, service: &str) -> Target {
        Target::from_pairs(vec![
            ("accountId".into(), account_id.into()),
            ("serviceName".into(), service.into()),
        ])
    }

    /// One resource of a service: IBM's `resourceType` and `resource` attributes.
    pub fn entity(account_id: &str, service: &str, resource_type: &str, id: &str) -> Target {
        Target::from_pairs(vec![
            ("accountId".into(), account_id.into()),
            ("serviceName".into(), service.into()),
            ("resourceType".into(), resource_type.into()),
            ("resource".into(), id.into()),
        ])
    }

    /// What a policy grants access to, for deciding who may read or change that policy.
    pub fn of_policy(p: &Policy) -> Target {
        let mut pairs: Vec<(String, String)> = p
            .resource
            .iter()
            .filter_map(|a| Some((a.key.clone(), a.value.as_str()?.to_owned())))
            .collect();
        if p.kind == PolicyKind::Authorization {
            // Its target service is what it opens; managing it is that service's business.
            pairs.retain(|(k, _)| k != "serviceType");
        }
        Target::from_pairs(pairs)
    }

    /// Adds what a known service implies: its service type, and the `IAM` group for the
    /// account management services IBM puts in it.
    fn from_pairs(mut attrs: Vec<(String, String)>) -> Target {
        let service = attrs
            .iter()
            .find(|(k, _)| k == "serviceName")
            .and_then(|(_, v)| catalog::service(v));
        if let Some(s) = service {
            attrs.retain(|(k, _)| k != "serviceType" && k != "service_group_id");
            attrs.push(("serviceType".into(), s.service_type.as_str().into()));
            if s.iam_group {
                attrs.push(("service_group_id".into(), IAM_SERVICE_GROUP.into()));
            }
        }
        Target { attrs }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn account(&self) -> &str {
        self.get("accountId").unwrap_or("")
    }

    /// How IBM's refusal names the resource: a CRN for one resource, `a/<account>` else.
    fn describe(&self) -> String {
        match (
            self.get("serviceName"),
            self.get("resourceType"),
            self.get("resource"),
        ) {
            (Some(s), Some(t), Some(r)) => {
                format!("crn:v1:bluemix:public:{s}::a/{}::{t}:{r}", self.account())
            }
            _ => format!("a/{}", self.account()),
        }
    }
}

/// What an operation needs.
#[derive(Debug, Clone)]
pub enum Need {
    /// Nothing beyond being in the account: a user's own API keys, reading one's own policies.
    Free,
    /// `action` on the target; without enforcement anyone in the account may.
    Action(&'static str, Target),
    /// `action` on the target; without enforcement only the account owner may (other users'
    /// API keys: IBM lets users manage only their own).
    OwnerOnly(&'static str, Target),
}

/// A refusal: who was refused what, on what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub action: &'static str,
    pub subject: String,
    pub resource: String,
    /// Refused because the target is another user's, not for want of a policy.
    pub not_yours: bool,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.not_yours {
            write!(
                f,
                "Reason: Users can manage only their own API keys; '{}' is not the account owner.",
                self.subject
            )
        } else {
            write!(
                f,
                "Reason: Access check for action '{}' for subject '{}' for resource '{}' was denied due to lack of access policy.",
                self.action, self.subject, self.resource
            )
        }
    }
}

impl std::error::Error for Denied {}

impl Denied {
    /// The refusal in the body of an API whose 403 code is `code` (`forbidden` for IAM
    /// Identity and access groups; IBM's policy service spells it `insufficent_permissions`).
    pub fn into_api(self, code: &'static str) -> ApiError {
        ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            code,
            codes::FORBIDDEN,
            "You are not authorized to use this API.",
        )
        .details(self.to_string())
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> ApiError {
        d.into_api("forbidden")
    }
}

/// Decides `need` for `caller`.
pub fn require(world: &World, caller: &Caller, need: &Need) -> Result<(), Denied> {
    let (action, target, owner_only) = match need {
        Need::Free => return Ok(()),
        Need::Action(a, t) => (*a, t, false),
        Need::OwnerOnly(a, t) => (*a, t, true),
    };
    if caller.owner {
        return Ok(());
    }
    if !caller.enforce {
        return if owner_only {
            Err(denied(caller, action, target, true))
        } else {
            Ok(())
        };
    }
    if allowed(world, &caller.iam_id, action, target) {
        Ok(())
    } else {
        Err(denied(caller, action, target, false))
    }
}

pub fn permits(world: &World, caller: &Caller, need: &Need) -> bool {
    require(world, caller, need).is_ok()
}

fn denied(caller: &Caller, action: &'static str, target: &Target, not_yours: bool) -> Denied {
    Denied {
        action,
        subject: caller.iam_id.clone(),
        resource: target.describe(),
        not_yours,
    }
}

/// Whether an active access policy of `iam_id`'s grants `action` on `target`.
pub fn allowed(world: &World, iam_id: &str, action: &str, target: &Target) -> bool {
    let account = target.account();
    let groups: Vec<&str> = world
        .groups_of(account, iam_id)
        .map(|g| g.id.as_str())
        .chain([PUBLIC_ACCESS_GROUP])
        .collect();
    world
        .policies
        .values()
        .filter(|p| p.active() && p.kind == PolicyKind::Access && p.account_id == account)
        .filter(|p| {
            p.subject_value("iam_id") == Some(iam_id)
                || p.subject_value("access_group_id")
                    .is_some_and(|g| groups.contains(&g))
        })
        .filter(|p| covers(p, target))
        .any(|p| p.roles.iter().any(|r| grants(world, r, target, action)))
}

/// Whether the policy's resource takes in the target: each of its attributes holds for it.
/// A target carries no tags, so a policy scoped by access tags never does.
pub fn covers(p: &Policy, target: &Target) -> bool {
    p.tags.is_empty() && p.resource.iter().all(|a| holds(a, target))
}

fn holds(a: &Attr, target: &Target) -> bool {
    let have = target.get(&a.key);
    let same = |want: &str, have: &str| {
        if a.key == "serviceType" {
            ServiceType::parse(want).is_some()
                && ServiceType::parse(want) == ServiceType::parse(have)
        } else {
            want == have
        }
    };
    let texts = || {
        a.value
            .as_array()
            .map(|vs| vs.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    match a.operator.as_deref().unwrap_or("stringEquals") {
        "stringExists" => have.is_some() == a.value.as_bool().unwrap_or(true),
        "stringMatch" => have.zip(a.value.as_str()).is_some_and(|(h, w)| glob(w, h)),
        "stringEqualsAnyOf" => have.is_some_and(|h| texts().iter().any(|w| same(w, h))),
        "stringMatchAnyOf" => have.is_some_and(|h| texts().iter().any(|w| glob(w, h))),
        _ => have.zip(a.value.as_str()).is_some_and(|(h, w)| same(w, h)),
    }
}

/// IBM's wildcard match: `*` any run of characters, `?` one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether the role `crn` grants `action` on the target's service.
fn grants(world: &World, crn: &str, target: &Target, action: &str) -> bool {
    let service_name = target.get("serviceName");
    if let Some(custom) = world.custom_role_by_crn(crn) {
        return Some(custom.service_name.as_str()) == service_name
            && custom.actions.iter().any(|a| a == action);
    }
    catalog::actions(service_name.and_then(catalog::service), crn).contains(&action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_ibm_describes() {
        assert!(glob("ServiceId-*", "ServiceId-123"));
        assert!(glob("a?c", "abc"));
        assert!(glob("*", ""));
        assert!(!glob("a*d", "abc"));
        assert!(glob("*b*", "abc"));
    }

    #[test]
    fn a_known_service_implies_its_type_and_group() {
        let t = Target::service("acc", "iam-identity");
        assert_eq!(t.get("serviceType"), Some("platform_service"));
        assert_eq!(t.get("service_group_id"), Some("IAM"));
        let t = Target::service("acc", "kms");
        assert_eq!(t.get("serviceType"), Some("service"));
        assert_eq!(t.get("service_group_id"), None);
        let a = Attr::equals("serviceType", "platform-service");
        assert!(holds(&a, &Target::service("acc", "iam-groups")));
        assert!(!holds(&a, &Target::service("acc", "kms")));
    }
}
