//! The settings of the access commands: policies of users, service IDs, trusted profiles and
//! access groups, roles, access groups and their members, authorization policies.
//!
//! Flags are checked here: `--attributes` and `--tags` are parsed, `--file` is read (at most
//! 64 KiB, a regular file) and checked against the API version, and a policy without roles
//! is refused, all before anything is sent.

use crate::cli::{
    AccessGroupsArgs, AccessPoliciesArgs, AccountPoliciesArgs, AuthorizationPolicyCreateArgs,
    GroupPolicyCreateArgs, GroupPolicyUpdateArgs, GroupSubject, PolicyApiArgs, PolicyApiVersion,
    PolicyCreateArgs, PolicyDefinitionArgs, PolicyUpdateArgs, ProfileSubject, RoleCreateArgs,
    RolesArgs, ServiceIdSubject, UserSubject,
};
use crate::error::{CliError, Result};
pub use crate::iam::policy::ApiVersion;
use crate::iam::policy::{self, Attr, PolicyType, SORT_FIELDS, SubjectKind, Tag};
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

/// The items of a comma-separated list flag, trimmed; empty ones (`a,,b`, `a,`) dropped.
fn items(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
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
        roles: items(d.roles),
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

/// `role-create`: a custom role, its name and actions checked as IBM's API wants them.
pub struct RoleCreate {
    /// The name in the role's CRN: alphanumeric, capitalised.
    pub name: String,
    pub display_name: String,
    pub service_name: String,
    pub actions: Vec<String>,
    pub description: Option<String>,
}

pub fn role_create(a: RoleCreateArgs) -> Result<RoleCreate> {
    let name = a.name.trim().to_string();
    let capitalised = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    if !capitalised {
        return Err(CliError::usage(format!(
            "The role name '{name}' is not valid: it is alphanumeric and starts with a capital letter."
        ))
        .hint("name the role like IBM's examples, for example CloudDBAdmin; --display-name takes the name shown in the console"));
    }
    let nonempty = |flag: &str, v: String| {
        let v = v.trim().to_string();
        if v.is_empty() {
            return Err(CliError::usage(format!("The value of --{flag} is empty.")));
        }
        Ok(v)
    };
    let display_name = nonempty("display-name", a.display_name)?;
    let service_name = nonempty("service-name", a.service_name)?;
    let actions = items(a.actions);
    if actions.is_empty() {
        return Err(CliError::usage(
            "No actions given: a custom role grants at least one action of its service.",
        )
        .hint(format!("name them with -a ACTION1,ACTION2 (the actions of {service_name}'s roles: 'iamctl roles --service {service_name} --output json')")));
    }
    Ok(RoleCreate {
        name,
        display_name,
        service_name,
        actions,
        description: a.description,
    })
}

/// `access-policies` and `account-policies`: the account's policies, of one type, of one
/// kind of subject, sorted.
pub struct AccountPolicies {
    /// `None`: access and authorization policies.
    pub kind: Option<PolicyType>,
    /// Only access policies of this kind of subject.
    pub subject: Option<SubjectKind>,
    /// The API's `sort`: one of `SORT_FIELDS`, `-` before it for descending.
    pub sort: Option<String>,
    pub version: ApiVersion,
}

/// The one of `values` that `given` names (in any case), or a usage error naming `flag`
/// and the valid values.
fn one_of<T: Copy>(flag: &str, given: &str, values: &[(&'static str, T)]) -> Result<T> {
    values
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(given.trim()))
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            CliError::usage(format!(
                "Invalid value '{given}' for {flag}; valid values: {}.",
                names.join(", ")
            ))
        })
}

pub fn access_policies(a: AccessPoliciesArgs) -> Result<AccountPolicies> {
    let kinds = SubjectKind::ALL.map(|k| (k.as_str(), k));
    let subject = match &a.subject_type {
        Some(t) => Some(one_of("-t, --type", t, &kinds)?),
        None => None,
    };
    let sort = match &a.sort_by {
        Some(s) => {
            let (desc, field) = match s.trim().strip_prefix('-') {
                Some(f) => ("-", f),
                None => ("", s.trim()),
            };
            let Some(field) = SORT_FIELDS.iter().find(|f| f.eq_ignore_ascii_case(field)) else {
                return Err(CliError::usage(format!(
                    "Invalid value '{s}' for --sort-by; valid values: {}.",
                    SORT_FIELDS.join(", ")
                ))
                .hint("put a '-' before the field to sort in reverse, for example --sort-by -last_modified_at"));
            };
            Some(format!("{desc}{field}"))
        }
        None => None,
    };
    Ok(AccountPolicies {
        kind: Some(PolicyType::Access),
        subject,
        sort,
        version: version(&a.api),
    })
}

pub fn account_policies(a: AccountPoliciesArgs) -> Result<AccountPolicies> {
    let types = PolicyType::ALL.map(|t| (t.short_name(), t));
    let kind = match &a.policy_type {
        Some(t) => Some(one_of("-t, --type", t, &types)?),
        None => None,
    };
    Ok(AccountPolicies {
        kind,
        subject: None,
        sort: None,
        version: version(&a.api),
    })
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
    let roles = items(a.roles);
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

    fn policies_args(kind: Option<&str>, sort: Option<&str>) -> AccessPoliciesArgs {
        AccessPoliciesArgs {
            subject_type: kind.map(str::to_string),
            sort_by: sort.map(str::to_string),
            api: PolicyApiArgs {
                api_version: PolicyApiVersion::V2,
            },
            output: crate::cli::OutputArgs {
                output: crate::output::Format::Text,
            },
        }
    }

    #[test]
    fn access_policies_take_ibms_types_and_sort_fields_in_any_case() {
        let s = access_policies(policies_args(Some("Service_ID"), Some("-Created_At")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.kind, Some(PolicyType::Access));
        assert_eq!(s.subject, Some(SubjectKind::ServiceId));
        assert_eq!(s.sort.as_deref(), Some("-created_at"));
        assert_eq!(s.version, ApiVersion::V2);
        let s =
            access_policies(policies_args(None, Some("state"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.subject, s.sort.as_deref()), (None, Some("state")));
        for (kind, sort, flag) in [
            (Some("group"), None, "-t, --type"),
            (None, Some("name"), "--sort-by"),
            (None, Some("--id"), "--sort-by"),
            (None, Some("-"), "--sort-by"),
        ] {
            let e = access_policies(policies_args(kind, sort))
                .err()
                .unwrap_or_else(|| panic!("{kind:?} {sort:?} accepted"));
            assert_eq!(e.exit_code(), 2);
            assert!(
                e.render().lines().next().is_some_and(|l| l.contains(flag)),
                "{}",
                e.render()
            );
        }
    }

    #[test]
    fn account_policies_take_access_or_auth() {
        let args = |t: &str| AccountPoliciesArgs {
            policy_type: Some(t.to_string()),
            api: PolicyApiArgs {
                api_version: PolicyApiVersion::V1,
            },
            output: crate::cli::OutputArgs {
                output: crate::output::Format::Json,
            },
        };
        let kind = |t: &str| account_policies(args(t)).map(|s| s.kind);
        assert_eq!(kind("auth").ok(), Some(Some(PolicyType::Authorization)));
        assert_eq!(kind("ACCESS").ok(), Some(Some(PolicyType::Access)));
        assert!(kind("authorization").is_err());
    }

    #[test]
    fn custom_roles_are_named_as_ibm_says_and_grant_an_action() {
        let args = |name: &str, actions: &[&str]| RoleCreateArgs {
            name: name.to_string(),
            display_name: " Key Wrapper ".to_string(),
            service_name: "kms".to_string(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            description: None,
            output: crate::cli::OutputArgs {
                output: crate::output::Format::Text,
            },
        };
        let r = role_create(args("KeyWrapper2", &[" kms.secrets.wrap", ""]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.display_name, "Key Wrapper");
        assert_eq!(r.actions, ["kms.secrets.wrap"]);
        for bad in ["keyWrapper", "Key_Wrapper", "2Key", "Kéy", ""] {
            let e = role_create(args(bad, &["kms.secrets.wrap"]))
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert_eq!(e.exit_code(), 2);
        }
        let e = role_create(args("KeyWrapper", &[" "]))
            .err()
            .unwrap_or_else(|| panic!("no actions accepted"));
        assert!(e.render().contains("-a ACTION1,ACTION2"), "{}", e.render());
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
