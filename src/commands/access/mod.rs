//! The access commands: access policies of users, service IDs, trusted profiles and access
//! groups (`policies`), roles (`roles`), access groups and their members (`groups`), and
//! authorization policies between services (`authorizations`). This module holds what they
//! share: who a policy is for, role names to role IDs, resource groups by name, access groups
//! by name, and IBM's text for a policy.

pub mod authorizations;
pub mod groups;
pub mod policies;
pub mod roles;

use super::identity::{IamCtx, ambiguous, is_id};
use crate::completion_cache::{self, PoliciesLearnt, PolicyEntry};
use crate::error::{CliError, Result};
use crate::iam::access::{AccessGroup, RoleQuery, Roles, User};
use crate::iam::policy::{self, Attr, PolicyType, SubjectKind};
use crate::output::Out;
use crate::settings::access::Subject;
use serde_json::Value;

/// Who a policy is for, resolved: how IBM's lines name it, the subject attribute, and the
/// words a command line may name it by (for TAB).
pub struct Whose {
    /// "user", "service ID", "trusted profile", "access group".
    pub noun: &'static str,
    /// As the user gave it.
    pub name: String,
    pub attr: Attr,
    pub names: Vec<String>,
}

impl Whose {
    /// `service ID ci-deployer`.
    pub fn label(&self, out: &Out) -> String {
        format!("{} {}", self.noun, out.em(&self.name))
    }

    /// `Service policy`, `User policy`, ...: how IBM's success lines name the policy.
    pub fn policy_noun(&self) -> &'static str {
        match self.noun {
            "user" => "User policy",
            "service ID" => "Service policy",
            "trusted profile" => "Trusted profile policy",
            _ => "Access group policy",
        }
    }
}

/// Whether a user argument is a user name (an email, looked up) rather than an IAM ID.
fn is_user_name(arg: &str) -> bool {
    arg.contains('@')
}

/// The IAM ID of the user with this user name or email, in any case.
fn find_user(users: &[User], name: &str) -> Option<String> {
    users
        .iter()
        .find(|u| u.email.eq_ignore_ascii_case(name) || u.user_id.eq_ignore_ascii_case(name))
        .map(|u| u.iam_id.clone())
}

/// A user's IAM ID: an IAM ID is used as given; a user name (with `@`) is looked up among
/// the account's users.
pub fn resolve_user(ctx: &IamCtx, arg: &str) -> Result<String> {
    if !is_user_name(arg) {
        return Ok(arg.to_string());
    }
    let users = ctx.access().list_users(ctx.account_id()).map_err(|e| {
        e.into_cli(&format!("Could not look up user {arg}"))
            .hint("name the user by IAM ID (IBMid-...) instead")
    })?;
    find_user(&users, arg).ok_or_else(|| {
        CliError::failed(format!(
            "User '{arg}' was not found in account {}.",
            ctx.account_id()
        ))
        .hint("invite the user to the account first, or name the user by IAM ID (IBMid-...)")
    })
}

/// The subject of a policy command, resolved in the targeted account.
pub fn resolve_subject(ctx: &IamCtx, subject: &Subject) -> Result<Whose> {
    Ok(match subject {
        Subject::User(arg) => {
            let iam_id = resolve_user(ctx, arg)?;
            Whose {
                noun: "user",
                name: arg.clone(),
                names: vec![arg.clone(), iam_id.clone()],
                attr: Attr::new("iam_id", &iam_id),
            }
        }
        Subject::ServiceId(arg) => {
            let s = super::service_ids::resolve_service_id(ctx, arg)?;
            Whose {
                noun: "service ID",
                name: arg.clone(),
                names: vec![arg.clone(), s.name.clone(), s.id.clone()],
                attr: Attr::new("iam_id", &s.iam_id),
            }
        }
        Subject::Profile(arg) => {
            let p = super::trusted_profiles::resolve_profile(ctx, arg)?;
            Whose {
                noun: "trusted profile",
                name: arg.clone(),
                names: vec![arg.clone(), p.name.clone(), p.id.clone()],
                attr: Attr::new("iam_id", &p.iam_id),
            }
        }
        Subject::Group(arg) => {
            let g = resolve_group(ctx, arg)?;
            Whose {
                noun: "access group",
                name: arg.clone(),
                names: vec![arg.clone(), g.name.clone(), g.id.clone()],
                attr: Attr::new("access_group_id", &g.id),
            }
        }
    })
}

/// Every access group with this name (any case, as IAM compares them), or the one with this
/// ID.
pub fn find_groups(ctx: &IamCtx, arg: &str) -> Result<Vec<AccessGroup>> {
    if is_id(arg, "AccessGroupId-") {
        let g = ctx
            .access()
            .get_group(arg)
            .map_err(|e| e.into_cli(&format!("Could not get access group {arg}")))?;
        return Ok(vec![g.value]);
    }
    let all = ctx
        .access()
        .list_groups(ctx.account_id(), None)
        .map_err(|e| e.into_cli("Could not list access groups"))?;
    ctx.remember_access_groups(completion_cache::Learnt::All(&all));
    Ok(all
        .into_iter()
        .filter(|g| g.name.eq_ignore_ascii_case(arg))
        .collect())
}

/// Exactly one access group for a name or ID.
pub fn resolve_group(ctx: &IamCtx, arg: &str) -> Result<AccessGroup> {
    let mut found = find_groups(ctx, arg)?;
    match found.len() {
        0 => Err(CliError::failed(format!(
            "Access group '{arg}' was not found in account {}.",
            ctx.account_id()
        ))
        .hint("list them with 'iamctl access-groups'")),
        1 => Ok(found.remove(0)),
        _ => {
            let ids: Vec<&str> = found.iter().map(|g| g.id.as_str()).collect();
            Err(ambiguous(
                "access group",
                arg,
                &format!("in account {}", ctx.account_id()),
                &ids,
            ))
        }
    }
}

/// The role CRNs for role names (or CRNs) given on the command line, from `/v2/roles` for
/// `query`; an unknown name is refused naming the valid ones. `of` says whose roles they are
/// in that error ("service kms").
pub fn role_ids(
    ctx: &IamCtx,
    given: &[String],
    query: &RoleQuery<'_>,
    of: &str,
) -> Result<Vec<String>> {
    let roles: Roles = ctx
        .access()
        .roles(query)
        .map_err(|e| e.into_cli(&format!("Could not list the roles of {of}")))?;
    ctx.remember_roles(query.service_name.unwrap_or(""), &roles);
    given
        .iter()
        .map(|name| match roles.find(name) {
            Some(r) => Ok(r.crn.clone()),
            // A custom role of another service, say: IAM decides.
            None if name.starts_with("crn:") => Ok(name.clone()),
            None => {
                let valid: Vec<&str> = roles.all().map(|(_, r)| r.display_name.as_str()).collect();
                Err(CliError::failed(format!(
                    "The role '{name}' is not a valid role of {of}. Valid roles: {}.",
                    valid.join(", ")
                ))
                .hint(match query.service_name {
                    Some(s) => format!("list them with 'iamctl roles --service {s}'"),
                    None => "list them with 'iamctl roles'".to_string(),
                }))
            }
        })
        .collect()
}

/// A resource group's ID for `--resource-group-name` (`*`: every group).
pub fn resource_group_id(ctx: &IamCtx, name: &str) -> Result<String> {
    if name == "*" {
        return Ok(name.to_string());
    }
    let groups = ctx
        .access()
        .resource_groups(ctx.account_id())
        .map_err(|e| e.into_cli("Could not list resource groups"))?;
    match groups.iter().find(|g| g.name == name) {
        Some(g) => Ok(g.guid.clone()),
        None => Err(CliError::failed(format!(
            "Resource group '{name}' was not found in account {}.",
            ctx.account_id()
        ))
        .hint(format!(
            "available: {}",
            groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The kind of an access policy's subject, the attribute that names it and its ID (an IAM
/// ID or an access group's ID).
fn subject_of(v: &policy::View) -> Option<(SubjectKind, &'static str, &str)> {
    let kind = SubjectKind::of(&v.subject)?;
    let key = match kind {
        SubjectKind::AccessGroup => "access_group_id",
        _ => "iam_id",
    };
    Some((kind, key, policy::attr(&v.subject, key)?))
}

/// IBM's text for a policy: ID, version (the ETag, when known), roles, the resource's
/// attributes (all but the account), tags, description.
pub fn policy_block(out: &Out, policy: &Value, etag: Option<&str>) -> String {
    block(out, policy, etag, false)
}

/// IBM's text for a policy of any subject (the account's listings): `policy_block` with
/// whose it is, as `Subject:   <IAM ID or access group ID> (<kind>)`.
pub fn policy_block_with_subject(out: &Out, policy: &Value) -> String {
    block(out, policy, None, true)
}

fn block(out: &Out, policy: &Value, etag: Option<&str>, with_subject: bool) -> String {
    let v = policy::view(policy);
    let mut rows: Vec<(&str, String)> = vec![("Policy ID", v.id.clone())];
    if let Some(e) = etag.filter(|e| *e != "*") {
        rows.push(("Version", e.to_string()));
    }
    if with_subject {
        let subject = match subject_of(&v) {
            Some((kind, _, id)) => format!("{id} ({})", kind.as_str()),
            None => v
                .subject
                .iter()
                .map(|a| format!("{}={}", a.key, a.value))
                .collect::<Vec<_>>()
                .join(", "),
        };
        rows.push(("Subject", subject));
    }
    rows.push(("Roles", v.roles.join(", ")));
    let resource: Vec<(String, String)> = v
        .resource
        .iter()
        .filter(|a| a.key != "accountId")
        .map(|a| (policy::attr_label(&a.key), a.value.clone()))
        .collect();
    rows.push(("Resources", String::new()));
    let top = crate::output::aligned(&rows);
    let indent = rows.iter().map(|(l, _)| l.len() + 1).max().unwrap_or(0) + 3;
    let mut text = top;
    if !resource.is_empty() {
        let pairs: Vec<(&str, String)> = resource
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        for line in out.key_values(&pairs).lines() {
            text.push_str(&format!("{}{line}\n", " ".repeat(indent)));
        }
    }
    let mut tail: Vec<(&str, String)> = Vec::new();
    if !v.tags.is_empty() {
        let tags: Vec<String> = v
            .tags
            .iter()
            .map(|t| format!("{}:{}", t.name, t.value))
            .collect();
        tail.push(("Tags", tags.join(", ")));
    }
    if !v.description.is_empty() {
        tail.push(("Description", v.description.clone()));
    }
    for (label, value) in tail {
        let l = format!("{label}:");
        text.push_str(&format!("{l:<indent$}{value}\n"));
    }
    text
}

/// IBM's text for an authorization policy.
pub fn authorization_block(p: &Value) -> String {
    let v = policy::view(p);
    let instance = |attrs: &[Attr]| {
        policy::attr(attrs, "serviceInstance")
            .unwrap_or("All instances")
            .to_string()
    };
    let mut rows = vec![
        ("ID", v.id.clone()),
        (
            "Source service name",
            policy::attr(&v.subject, "serviceName")
                .unwrap_or("")
                .to_string(),
        ),
        ("Source service instance", instance(&v.subject)),
    ];
    if let Some(g) = policy::attr(&v.subject, "resourceGroupId") {
        rows.push(("Source resource group ID", g.to_string()));
    }
    rows.push((
        "Target service name",
        policy::attr(&v.resource, "serviceName")
            .unwrap_or("")
            .to_string(),
    ));
    rows.push(("Target service instance", instance(&v.resource)));
    if let Some(g) = policy::attr(&v.resource, "resourceGroupId") {
        rows.push(("Target resource group ID", g.to_string()));
    }
    rows.push(("Roles", v.roles.join(", ")));
    crate::output::aligned(&rows)
}

pub fn is_authorization(p: &Value) -> bool {
    policy::view(p).kind == PolicyType::Authorization.as_str()
}

/// What TAB shows beside a policy's ID.
fn summary(whose: Option<&Whose>, policy: &Value) -> String {
    let v = policy::view(policy);
    let on = policy::attr(&v.resource, "serviceName").unwrap_or("all resources");
    let roles = v.roles.join(",");
    match whose {
        Some(w) => format!("{} {}: {roles} on {on}", w.noun, w.name),
        None => {
            let from = policy::attr(&v.subject, "serviceName").unwrap_or("?");
            format!("authorization {from} -> {on}: {roles}")
        }
    }
}

fn entry(whose: Option<&Whose>, policy: &Value) -> PolicyEntry {
    PolicyEntry {
        id: policy::view(policy).id,
        subject: whose.map(|w| w.names.clone()).unwrap_or_default(),
        summary: summary(whose, policy),
    }
}

/// Whose a policy of the account's listings is, named by its subject's ID (looking up names
/// would cost a request per subject); `None` for an authorization.
fn whose_by_id(policy: &Value) -> Option<Whose> {
    let v = policy::view(policy);
    let (kind, key, id) = subject_of(&v)?;
    let noun = match kind {
        SubjectKind::User => "user",
        SubjectKind::ServiceId => "service ID",
        SubjectKind::TrustedProfile => "trusted profile",
        SubjectKind::AccessGroup => "access group",
    };
    Some(Whose {
        noun,
        name: id.to_string(),
        attr: Attr::new(key, id),
        names: vec![id.to_string()],
    })
}

/// The service names policies are on, for TAB's `--service-name`.
fn services_of(policies: &[Value]) -> Vec<String> {
    policies
        .iter()
        .flat_map(|p| {
            let v = policy::view(p);
            [
                policy::attr(&v.resource, "serviceName").map(str::to_string),
                policy::attr(&v.subject, "serviceName").map(str::to_string),
            ]
        })
        .flatten()
        .collect()
}

impl IamCtx {
    /// Updates what TAB offers for access groups.
    pub fn remember_access_groups(&self, what: completion_cache::Learnt<AccessGroup>) {
        completion_cache::remember_access_groups(
            self.home(),
            &self.session.iam_endpoint,
            self.account_id(),
            what,
        );
    }

    /// Policies seen: `whose` (all of them when `all`), or authorizations (`None`).
    pub fn remember_policies(&self, whose: Option<&Whose>, policies: &[Value], all: bool) {
        let entries: Vec<PolicyEntry> = policies.iter().map(|p| entry(whose, p)).collect();
        let learnt = match (all, whose) {
            (true, Some(w)) => PoliciesLearnt::AllOf {
                subject: &w.names,
                policies: entries,
            },
            _ => PoliciesLearnt::Seen(entries),
        };
        self.learn_policies(learnt, policies);
    }

    /// Policies of the account's listings, of any subject: known by their subject's ID only,
    /// so one TAB already knows by its subject's names keeps them.
    pub fn remember_account_policies(&self, policies: &[Value]) {
        let entries: Vec<PolicyEntry> = policies
            .iter()
            .map(|p| entry(whose_by_id(p).as_ref(), p))
            .collect();
        self.learn_policies(PoliciesLearnt::Listed(entries), policies);
    }

    /// What TAB learns from policies: their IDs, and the services they are on.
    fn learn_policies(&self, learnt: PoliciesLearnt, policies: &[Value]) {
        let (home, iam, account) = (self.home(), &self.session.iam_endpoint, self.account_id());
        completion_cache::remember_policies(home, iam, account, learnt);
        let services = services_of(policies);
        let names: Vec<&str> = services.iter().map(String::as_str).collect();
        completion_cache::remember_services(home, iam, account, &names);
    }

    pub fn forget_policy(&self, id: &str) {
        completion_cache::remember_policies(
            self.home(),
            &self.session.iam_endpoint,
            self.account_id(),
            PoliciesLearnt::Deleted(id),
        );
    }

    /// A custom role created for a service, for TAB's `--roles`.
    pub fn remember_custom_role(&self, service: &str, crn: &str, display_name: &str) {
        completion_cache::add_role(
            self.home(),
            &self.session.iam_endpoint,
            self.account_id(),
            service,
            (crn, display_name),
        );
    }

    /// The roles listed for a service (`""`: none named), for TAB's `--roles`.
    pub fn remember_roles(&self, service: &str, roles: &Roles) {
        let pairs: Vec<(&str, &str)> = roles
            .all()
            .map(|(_, r)| (r.crn.as_str(), r.display_name.as_str()))
            .collect();
        completion_cache::remember_roles(
            self.home(),
            &self.session.iam_endpoint,
            self.account_id(),
            service,
            &pairs,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Format;
    use serde_json::json;

    #[test]
    fn users_are_named_by_iam_id_or_by_user_name_in_any_case() {
        assert!(is_user_name("Name@Example.com"));
        assert!(!is_user_name("IBMid-6650001DMO"));
        let users: Vec<User> = serde_json::from_value(json!([
            {"iam_id": "IBMid-1", "user_id": "first@example.com", "email": "first@example.com"},
            {"iam_id": "IBMid-2", "user_id": "second", "email": "Second@Example.com"}
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            find_user(&users, "FIRST@example.com").as_deref(),
            Some("IBMid-1")
        );
        assert_eq!(
            find_user(&users, "second@example.com").as_deref(),
            Some("IBMid-2")
        );
        assert_eq!(find_user(&users, "third@example.com"), None);
    }

    #[test]
    fn policy_nouns_are_ibms() {
        let whose = |noun| Whose {
            noun,
            name: "x".into(),
            attr: Attr::new("iam_id", "i"),
            names: vec![],
        };
        assert_eq!(whose("service ID").policy_noun(), "Service policy");
        assert_eq!(whose("user").policy_noun(), "User policy");
        assert_eq!(
            whose("trusted profile").policy_noun(),
            "Trusted profile policy"
        );
        assert_eq!(whose("access group").policy_noun(), "Access group policy");
        assert_eq!(whose("user").label(&Out::new(true, Format::Text)), "user x");
    }

    #[test]
    fn policies_read_like_ibms() {
        let out = Out::new(true, Format::Text);
        let p = json!({
            "id": "4364da1a-5bde-4c76-9f12-9022b7baa258",
            "roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Reader", "display_name": "Reader"},
                      {"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Writer", "display_name": "Writer"}],
            "resources": [{"attributes": [
                {"name": "accountId", "value": "acc"},
                {"name": "serviceName", "value": "container-registry"},
                {"name": "region", "value": "us-south"},
                {"name": "resourceType", "value": "namespace"},
                {"name": "resource", "value": "pydemo"}]}]
        });
        assert_eq!(
            policy_block(&out, &p, Some("1-a87c6b7290bb93dbac52c73f04848456")),
            "Policy ID:   4364da1a-5bde-4c76-9f12-9022b7baa258\n\
             Version:     1-a87c6b7290bb93dbac52c73f04848456\n\
             Roles:       Reader, Writer\n\
             Resources:\n\
             \x20            Service Name    container-registry\n\
             \x20            Region          us-south\n\
             \x20            Resource Type   namespace\n\
             \x20            Resource        pydemo\n"
        );
        assert_eq!(
            summary(
                None,
                &json!({"type": "authorization", "subjects": [{"attributes": [{"name": "serviceName", "value": "cloud-object-storage"}]}], "roles": [{"role_id": "crn:x:Reader"}], "resources": [{"attributes": [{"name": "serviceName", "value": "kms"}]}]})
            ),
            "authorization cloud-object-storage -> kms: Reader"
        );
    }

    #[test]
    fn authorizations_read_like_ibms() {
        let p = json!({
            "id": "5a1e", "type": "authorization",
            "subjects": [{"attributes": [{"name": "accountId", "value": "a"}, {"name": "serviceName", "value": "cloud-object-storage"}]}],
            "roles": [{"role_id": "crn:v1:bluemix:public:iam::::serviceRole:Reader", "display_name": "Reader"}],
            "resources": [{"attributes": [{"name": "accountId", "value": "a"}, {"name": "serviceName", "value": "kms"}]}]
        });
        assert_eq!(
            authorization_block(&p),
            "ID:                        5a1e\n\
             Source service name:       cloud-object-storage\n\
             Source service instance:   All instances\n\
             Target service name:       kms\n\
             Target service instance:   All instances\n\
             Roles:                     Reader\n"
        );
        assert!(is_authorization(&p));
    }
}
