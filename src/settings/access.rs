//! The settings of the access commands: policies of users, service IDs, trusted profiles and
//! access groups, roles, access groups and their members, authorization policies.
//!
//! Flags are checked here: `--attributes` and `--tags` are parsed, `--file` is read (at most
//! 64 KiB, a regular file) and checked against the API version, and a policy without roles
//! is refused, all before anything is sent.

use crate::cli::{
    AccessGroupsArgs, AuthorizationPolicyCreateArgs, GroupPolicyCreateArgs, GroupPolicyUpdateArgs,
    GroupSubject, PolicyApiArgs, PolicyApiVersion, PolicyCreateArgs, PolicyDefinitionArgs,
    PolicyUpdateArgs, ProfileSubject, RolesArgs, ServiceIdSubject, UserSubject,
};
use crate::error::{CliError, Result};
pub use crate::iam::policy::ApiVersion;
use crate::iam::policy::{self, Attr, PolicyType, Tag};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Whose policies: named as the user named them, resolved by the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A user name (email) or IAM ID.
    User(String),
    /// A service ID's name or ID.
    ServiceId(String),
    /// A trusted profile's name or ID.
    Profile(String),
    /// An access group's name or ID.
    Group(String),
}

/// The subject positional of a policy command.
pub trait SubjectArg {
    fn subject(self) -> Subject;
}

impl SubjectArg for UserSubject {
    fn subject(self) -> Subject {
        Subject::User(self.user)
    }
}

impl SubjectArg for ServiceIdSubject {
    fn subject(self) -> Subject {
        Subject::ServiceId(self.service_id)
    }
}

impl SubjectArg for ProfileSubject {
    fn subject(self) -> Subject {
        Subject::Profile(self.profile)
    }
}

impl SubjectArg for GroupSubject {
    fn subject(self) -> Subject {
        Subject::Group(self.group)
    }
}

pub fn version(a: &PolicyApiArgs) -> ApiVersion {
    match a.api_version {
        PolicyApiVersion::V1 => ApiVersion::V1,
        PolicyApiVersion::V2 => ApiVersion::V2,
    }
}

/// A policy file, read and checked.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    pub body: Map<String, Value>,
}

/// What a policy grants, from flags or a file.
#[derive(Debug, Clone, Default)]
pub struct Definition {
    /// Role names (or CRNs) as given.
    pub roles: Vec<String>,
    /// Resource attributes from flags, `accountId` not included.
    pub resource: Vec<Attr>,
    /// `--resource-group-name`: resolved to its ID by the command.
    pub resource_group_name: Option<String>,
    pub account_management: bool,
    pub tags: Vec<Tag>,
    pub file: Option<PolicyFile>,
}

impl Definition {
    /// Whether any flag says what the policy is on.
    pub fn names_resource(&self) -> bool {
        !self.resource.is_empty()
            || self.resource_group_name.is_some()
            || self.account_management
            || !self.tags.is_empty()
    }

    /// The service the policy is on, if a flag names one.
    pub fn service(&self) -> Option<&str> {
        policy::attr(&self.resource, "serviceName")
    }
}

pub struct PolicyCreate {
    pub subject: Subject,
    pub definition: Definition,
    pub version: ApiVersion,
}

pub struct PolicyUpdate {
    pub subject: Subject,
    pub id: String,
    pub definition: Definition,
    pub version: ApiVersion,
}

/// One policy of a subject (show, delete).
pub struct PolicyRef {
    pub subject: Subject,
    pub id: String,
    pub force: bool,
    pub version: ApiVersion,
}

pub struct Policies {
    pub subject: Subject,
    pub version: ApiVersion,
}

/// `name=value,name=value`; a value may hold `=` (only the first splits).
pub fn attributes(text: &str) -> Result<Vec<Attr>> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                Ok(Attr::new(k.trim(), v.trim()))
            }
            _ => Err(CliError::usage(format!(
                "'{pair}' in --attributes is not name=value."
            ))
            .hint("write the attributes as name=value,name=value (for example --attributes \"instanceId=*\")")),
        })
        .collect()
}

/// `name:value,name:value`.
pub fn tags(text: &str) -> Result<Vec<Tag>> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| match pair.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => Ok(Tag {
                name: k.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => Err(
                CliError::usage(format!("'{pair}' in --tags is not name:value."))
                    .hint("write the tags as name:value,name:value (for example --tags env:dev)"),
            ),
        })
        .collect()
}

/// The path of `--file @FILE` (or `--file FILE`; a leading `~/` is the home directory).
pub fn file_path(given: &str) -> PathBuf {
    let path = given.strip_prefix('@').unwrap_or(given);
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Reads and checks a policy file.
pub fn read_policy_file(given: &str, version: ApiVersion, kind: PolicyType) -> Result<PolicyFile> {
    let path = file_path(given);
    if given.trim_start_matches('@').is_empty() {
        return Err(CliError::usage(
            "--file needs a file name: --file @policy.json",
        ));
    }
    let text = crate::home::read_secret_file(&path)?;
    let body = policy::check_file(&path, text.as_bytes(), version, kind)?;
    Ok(PolicyFile { body })
}

fn definition(
    d: PolicyDefinitionArgs,
    file: Option<String>,
    version: ApiVersion,
) -> Result<Definition> {
    let mut resource = Vec::new();
    for (key, value) in [
        ("serviceName", &d.service_name),
        ("serviceInstance", &d.service_instance),
        ("region", &d.region),
        ("resourceType", &d.resource_type),
        ("resource", &d.resource),
        ("resourceGroupId", &d.resource_group_id),
    ] {
        if let Some(v) = value {
            if v.trim().is_empty() {
                return Err(CliError::usage(format!(
                    "The value of --{} is empty.",
                    flag_of(key)
                )));
            }
            resource.push(Attr::new(key, v.trim()));
        }
    }
    if let Some(a) = &d.attributes {
        resource.extend(attributes(a)?);
    }
    let file = match file {
        Some(f) => Some(read_policy_file(&f, version, PolicyType::Access)?),
        None => None,
    };
    Ok(Definition {
        roles: d
            .roles
            .into_iter()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        resource,
        resource_group_name: d.resource_group_name,
        account_management: d.account_management,
        tags: match &d.tags {
            Some(t) => tags(t)?,
            None => Vec::new(),
        },
        file,
    })
}

fn flag_of(key: &str) -> &'static str {
    match key {
        "serviceName" => "service-name",
        "serviceInstance" => "service-instance",
        "region" => "region",
        "resourceType" => "resource-type",
        "resource" => "resource",
        _ => "resource-group-id",
    }
}

/// A new policy needs roles, from `--roles` or the file.
fn needs_roles(d: &Definition) -> Result<()> {
    if d.file.is_none() && d.roles.is_empty() {
        return Err(CliError::usage("No roles given: a policy grants at least one role.")
            .hint("name them with --roles ROLE_NAME1,ROLE_NAME2 (see 'iamctl roles --service SERVICE_NAME'), or give the whole policy with --file @policy.json"));
    }
    Ok(())
}

pub fn create<S: SubjectArg + clap::Args>(a: PolicyCreateArgs<S>) -> Result<PolicyCreate> {
    let version = version(&a.api);
    let definition = definition(a.definition, a.file, version)?;
    needs_roles(&definition)?;
    Ok(PolicyCreate {
        subject: a.subject.subject(),
        definition,
        version,
    })
}

pub fn group_create(a: GroupPolicyCreateArgs) -> Result<PolicyCreate> {
    let version = version(&a.api);
    let definition = definition(a.definition, a.file, version)?;
    needs_roles(&definition)?;
    Ok(PolicyCreate {
        subject: a.subject.subject(),
        definition,
        version,
    })
}

/// An update needs something to change.
fn needs_change(d: &Definition) -> Result<()> {
    if d.file.is_none() && d.roles.is_empty() && !d.names_resource() {
        return Err(CliError::usage("Nothing to update: no roles, resource flags or --file given.")
            .hint("pass --roles, --service-name, --resource-group-name, ... or the whole policy with --file @policy.json"));
    }
    Ok(())
}

pub fn update<S: SubjectArg + clap::Args>(a: PolicyUpdateArgs<S>) -> Result<PolicyUpdate> {
    let version = version(&a.api);
    let definition = definition(a.definition, a.file, version)?;
    needs_change(&definition)?;
    Ok(PolicyUpdate {
        subject: a.subject.subject(),
        id: a.policy_id,
        definition,
        version,
    })
}

pub fn group_update(a: GroupPolicyUpdateArgs) -> Result<PolicyUpdate> {
    let version = version(&a.api);
    let definition = definition(a.definition, a.file, version)?;
    needs_change(&definition)?;
    Ok(PolicyUpdate {
        subject: a.subject.subject(),
        id: a.policy_id,
        definition,
        version,
    })
}

/// `roles`.
pub struct Roles {
    pub service: Option<String>,
    pub roles: Vec<String>,
    pub source_service: Option<String>,
}

/// The kinds of access-group member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    User,
    ServiceId,
    Profile,
}

impl MemberKind {
    /// The Access Groups API's `type`.
    pub fn api_type(self) -> &'static str {
        match self {
            MemberKind::User => "user",
            MemberKind::ServiceId => "service",
            MemberKind::Profile => "profile",
        }
    }
}

pub struct GroupList {
    /// Only the groups this member belongs to.
    pub member: Option<(MemberKind, String)>,
}

impl From<AccessGroupsArgs> for GroupList {
    fn from(a: AccessGroupsArgs) -> GroupList {
        let member = match (a.user, a.service_id, a.profile) {
            (Some(u), _, _) => Some((MemberKind::User, u)),
            (_, Some(s), _) => Some((MemberKind::ServiceId, s)),
            (_, _, Some(p)) => Some((MemberKind::Profile, p)),
            _ => None,
        };
        GroupList { member }
    }
}

pub struct GroupShow {
    pub group: String,
    pub id_only: bool,
}

pub struct GroupCreate {
    pub name: String,
    pub description: Option<String>,
}

pub struct GroupUpdate {
    pub group: String,
    pub new_name: Option<String>,
    pub description: Option<String>,
}

pub struct GroupDelete {
    pub group: String,
    pub force: bool,
    /// `-r`: even with members.
    pub recursive: bool,
    /// `-a`: every group with the name.
    pub all: bool,
}

pub struct MembersAdd {
    pub group: String,
    pub kind: MemberKind,
    /// Names or IDs, resolved by the command.
    pub members: Vec<String>,
    /// IAM IDs used as given (`--iam-ids`).
    pub iam_ids: Vec<String>,
}

pub struct MemberRemove {
    pub group: String,
    pub kind: MemberKind,
    pub member: String,
}

pub struct Members {
    pub group: String,
    pub kind: MemberKind,
}

pub struct MemberPurge {
    pub kind: MemberKind,
    pub member: String,
    pub force: bool,
}

/// `authorization-policy-create`, from positionals and flags or from a file.
pub enum AuthorizationCreate {
    Flags(Box<AuthorizationSpec>),
    File(PolicyFile),
}

pub struct AuthorizationSpec {
    pub source: String,
    pub target: String,
    pub roles: Vec<String>,
    /// Source attributes besides `serviceName` and `accountId`.
    pub source_attrs: Vec<Attr>,
    /// The source's account, when it is another.
    pub source_account: Option<String>,
    /// Target attributes besides `serviceName` and `accountId`.
    pub target_attrs: Vec<Attr>,
}

/// `roles`: `--resource-type` is refused before anything is sent.
pub fn roles(a: RolesArgs) -> Result<Roles> {
    if let Some(t) = a.resource_type {
        let service = a.service.unwrap_or_default();
        return Err(CliError::usage(format!(
            "--resource-type {t} is not supported: IAM lists a service's roles, not a resource type's."
        ))
        .hint(format!("list the roles of the service: 'iamctl roles --service {service}'")));
    }
    Ok(Roles {
        service: a.service,
        roles: a.roles,
        source_service: a.source_service,
    })
}

pub fn authorization_create(a: AuthorizationPolicyCreateArgs) -> Result<AuthorizationCreate> {
    for (flag, given) in [
        (
            "--source-service-instance-name",
            &a.source_service_instance_name,
        ),
        (
            "--target-service-instance-name",
            &a.target_service_instance_name,
        ),
    ] {
        if given.is_some() {
            return Err(CliError::usage(format!(
                "{flag} is not supported: iamctl does not look service instances up by name."
            ))
            .hint(format!(
                "give the instance's ID with {}",
                flag.replace("-name", "-id")
            )));
        }
    }
    if let Some(f) = a.file {
        return Ok(AuthorizationCreate::File(read_policy_file(
            &f,
            ApiVersion::V1,
            PolicyType::Authorization,
        )?));
    }
    let (Some(source), Some(target)) = (a.source, a.target) else {
        return Err(CliError::usage(
            "Name the source and target services and the roles: SOURCE_SERVICE_NAME TARGET_SERVICE_NAME ROLE_NAME1,ROLE_NAME2...",
        ));
    };
    let roles: Vec<String> = a
        .roles
        .into_iter()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect();
    if roles.is_empty() {
        return Err(CliError::usage("No roles given: an authorization grants at least one role.")
            .hint(format!("list the roles {source} may get on {target}: 'iamctl roles --source-service {source} --service {target}'")));
    }
    let attrs = |pairs: [(&str, Option<String>); 4]| -> Vec<Attr> {
        pairs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| Attr::new(k, &v)))
            .collect()
    };
    Ok(AuthorizationCreate::Flags(Box::new(AuthorizationSpec {
        source,
        target,
        roles,
        source_attrs: attrs([
            ("serviceInstance", a.source_service_instance_id),
            ("resourceGroupId", a.source_resource_group_id),
            ("resourceType", a.source_resource_type),
            ("resource", a.source_resource),
        ]),
        source_account: a.source_service_account,
        target_attrs: attrs([
            ("serviceInstance", a.target_service_instance_id),
            ("resourceGroupId", a.target_resource_group_id),
            ("resourceType", a.target_resource_type),
            ("resource", a.target_resource),
        ]),
    })))
}

/// One authorization policy (show, delete).
pub struct AuthorizationRef {
    pub id: String,
    pub force: bool,
    pub version: ApiVersion,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_name_value_pairs() {
        let a = attributes("instanceId=*, region=us-south,").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            a,
            [
                Attr::new("instanceId", "*"),
                Attr::new("region", "us-south")
            ]
        );
        let a = attributes("expr=a=b").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a, [Attr::new("expr", "a=b")]);
        for bad in ["instanceId", "=x", "x="] {
            let e = attributes(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert_eq!(e.exit_code(), 2);
            assert!(e.render().contains("--attributes"), "{}", e.render());
        }
    }

    #[test]
    fn tags_are_name_colon_value() {
        let t = tags("env:dev,team:ci").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.len(), 2);
        assert_eq!((t[1].name.as_str(), t[1].value.as_str()), ("team", "ci"));
        assert!(tags("env=dev").is_err());
    }

    #[test]
    fn file_paths_take_an_at_or_not() {
        assert_eq!(file_path("@policy.json"), PathBuf::from("policy.json"));
        assert_eq!(file_path("policy.json"), PathBuf::from("policy.json"));
    }

    #[test]
    fn policy_files_are_read_bounded_and_named_in_errors() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("p.json");
        std::fs::write(&path, r#"{"roles":[{"role_id":"crn:r"}],"resources":[{"attributes":[{"name":"serviceName"}]}]}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        let given = format!("@{}", path.display());
        let e = read_policy_file(&given, ApiVersion::V1, PolicyType::Access)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(e.exit_code(), 1);
        let text = e.render();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("resources[0].attributes[0].value"), "{text}");
        // Over 64 KiB: refused before parsing.
        std::fs::write(&path, vec![b' '; 70 * 1024]).unwrap_or_else(|e| panic!("{e}"));
        let e = read_policy_file(&given, ApiVersion::V1, PolicyType::Access)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(e.render().contains("larger than 64 KiB"), "{}", e.render());
        // Missing.
        let e = read_policy_file("@/nonexistent/p.json", ApiVersion::V1, PolicyType::Access)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(e.render().contains("/nonexistent/p.json"), "{}", e.render());
        assert!(read_policy_file("@", ApiVersion::V1, PolicyType::Access).is_err());
    }
}
