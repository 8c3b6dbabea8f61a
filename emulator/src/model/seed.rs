//! The seed file format (`--seed FILE`) and reading it. The built-in demo world (`demo.rs`) is
//! a seed too, so that both go through the same validation and id derivation (`seeding.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::access::{CustomRoleProblem, PolicyProblem};
use crate::model::trust::{IdentityError, LinkError};

/// A world to start from. Every list may be omitted. Ids that are not given are derived from
/// names, so the same seed always produces the same ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub accounts: Vec<SeedAccount>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub service_ids: Vec<SeedServiceId>,
    #[serde(default)]
    pub api_keys: Vec<SeedApiKey>,
    #[serde(default)]
    pub resource_groups: Vec<SeedResourceGroup>,
    /// Trusted profiles with their compute-resource links and trusted identities.
    #[serde(default)]
    pub profiles: Vec<SeedProfile>,
    /// The CRN of the virtual server the VPC metadata service plays; default: an instance
    /// in the first account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_instance_crn: Option<String>,
    /// Access groups with their members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_groups: Vec<SeedAccessGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_roles: Vec<SeedCustomRole>,
    /// Access and authorization policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<SeedPolicy>,
    /// Decide every call of the emulator's own APIs from policies, as `--enforce-access` does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enforce_access: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedAccessGroup {
    /// `AccessGroupId-<uuid>`; derived from account and name when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    /// Unique in the account, ignoring case.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Users (IAM ID, username or email), service IDs (ID, IAM ID or name) and trusted
    /// profiles (ID, IAM ID or name) of the account.
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedCustomRole {
    /// Derived from account and name when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    /// Alphanumeric and capitalised (the end of its CRN); unique in the account.
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub service_name: String,
    pub actions: Vec<String>,
}

/// A policy, written as attributes rather than IBM's attribute lists:
/// `{"subject": {"iam_id": "ci@example.com"}, "roles": ["Viewer"], "resource": {"serviceName": "iam-identity"}}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedPolicy {
    /// A UUID; derived from the policy when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    /// `access` (the default) or `authorization`.
    #[serde(rename = "type", default = "access_kind")]
    pub kind: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Access: `iam_id` (a user, service ID or trusted profile, named as for group members)
    /// or `access_group_id` (a group's ID or name, or `Public Access`). Authorization: the
    /// source's attributes (`serviceName`, `serviceInstance`, ...). `accountId` defaults to the
    /// policy's account.
    pub subject: BTreeMap<String, String>,
    /// Role CRNs, or role names as IBM displays them (`Viewer`, `Reader`, `Content Reader`,
    /// a custom role's name or display name) on the resource's service.
    pub roles: Vec<String>,
    /// `serviceName`, `serviceType`, `service_group_id`, `resourceGroupId`, `resourceType`,
    /// `resource`, ...; `accountId` defaults to the policy's account.
    pub resource: BTreeMap<String, String>,
}

fn access_kind() -> String {
    "access".into()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedAccount {
    /// BSS account id (32 hex digits at IBM; any non-empty text is accepted).
    pub id: String,
    pub name: String,
    /// Linked classic-infrastructure (IMS) account number, if any.
    #[serde(default)]
    pub ims_account: Option<String>,
    /// Username or email of the owning user; defaults to the first member.
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    /// Login name for the password grant and the passcode page (usually the email).
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    /// `IBMid-...`; derived from the username when omitted.
    #[serde(default)]
    pub iam_id: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    /// For non-federated users the IBMid password; for federated users the password their
    /// identity provider (the emulator's passcode page) accepts.
    #[serde(default)]
    pub password: Option<String>,
    /// Federated (SSO-only) users cannot use the password grant.
    #[serde(default)]
    pub federated: bool,
    /// Account ids the user belongs to; the first is where password/passcode logins land.
    pub accounts: Vec<String>,
    #[serde(default)]
    pub ims_user_id: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedServiceId {
    /// `ServiceId-<uuid>`; derived from account and name when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub unique_instance_crns: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedApiKey {
    /// `ApiKey-<uuid>`; derived from owner and name when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// A user (username, email or iam_id) or a service ID (id, iam_id or name).
    pub owner: String,
    /// Defaults to the owner's first account (a service ID's own account).
    #[serde(default)]
    pub account_id: Option<String>,
    /// The secret value used with the apikey grant.
    pub apikey: String,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub store_value: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedResourceGroup {
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedProfile {
    /// `Profile-<uuid>`; derived from account and name when omitted.
    #[serde(default)]
    pub id: Option<String>,
    pub account_id: String,
    /// Unique within the account.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub links: Vec<SeedProfileLink>,
    #[serde(default)]
    pub identities: Vec<SeedProfileIdentity>,
}

/// A link to a compute resource, as `POST /v1/profiles/{id}/links` takes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedProfileLink {
    /// `ProfileLink-<uuid>`; derived from the profile and the link's place when omitted.
    #[serde(default)]
    pub id: Option<String>,
    /// The link's own name.
    #[serde(default)]
    pub name: Option<String>,
    /// VSI, PVS, BMS, IKS_SA, ROKS_SA or CE.
    pub cr_type: String,
    pub link: SeedLinkTarget,
    /// Needed when the resource's CRN is in another account than the profile.
    #[serde(default)]
    pub is_cross_account: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedLinkTarget {
    pub crn: String,
    /// Kubernetes namespace (required for IKS_SA and ROKS_SA).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Kubernetes service account (required for IKS_SA and ROKS_SA), or the resource's name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub component_type: Option<String>,
    #[serde(default)]
    pub component_name: Option<String>,
}

/// An identity that may assume the profile.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedProfileIdentity {
    /// `user`, `serviceid` or `crn`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A user (IAM ID, username or email), a service ID (ID, IAM ID or name) or a CRN.
    pub identifier: String,
    /// Users only: the accounts whose tokens may assume the profile (empty: any).
    #[serde(default)]
    pub accounts: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

impl Seed {
    pub fn from_file(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| SeedError::Parse {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Why a seed cannot be used: its file cannot be read or is no seed, or it describes a world
/// that cannot be.
#[derive(Debug)]
pub enum SeedError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not JSON, or JSON that is not a seed (an unknown field, a missing one).
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// The world it describes cannot be; `file` is the seed file it was read from, if any.
    Invalid {
        file: Option<PathBuf>,
        problem: SeedProblem,
    },
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedError::Read { path, source } => {
                write!(f, "cannot read seed file {}: {source}", path.display())
            }
            SeedError::Parse { path, source } => {
                write!(f, "invalid seed file {}: {source}", path.display())
            }
            SeedError::Invalid {
                file: Some(path),
                problem,
            } => write!(f, "seed file {}: {problem}", path.display()),
            SeedError::Invalid {
                file: None,
                problem,
            } => write!(f, "{problem}"),
        }
    }
}

impl std::error::Error for SeedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SeedError::Read { source, .. } => Some(source),
            SeedError::Parse { source, .. } => Some(source),
            SeedError::Invalid { problem, .. } => Some(problem),
        }
    }
}

/// What is wrong with the world a seed describes: an empty name, an entity listed twice, a
/// reference to nothing, a link or trusted identity IAM would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedProblem {
    /// An account's id, a user's username or a trusted profile's name.
    Empty {
        kind: &'static str,
        field: &'static str,
    },
    Twice {
        kind: &'static str,
        id: String,
    },
    ProfileNameTwice {
        name: String,
        account: String,
    },
    UserInUnknownAccount {
        user: String,
        account: String,
    },
    UserWithoutAccount(String),
    UnknownAccountOwner {
        account: String,
        owner: String,
    },
    /// A service ID, resource group or trusted profile in an account the seed does not list.
    InUnknownAccount {
        kind: &'static str,
        name: String,
        account: String,
    },
    EmptyApiKey(String),
    RepeatedApiKey(String),
    UnknownApiKeyOwner {
        key: String,
        owner: String,
    },
    ApiKeyOutsideAccount {
        key: String,
        owner: String,
        account: String,
    },
    /// `vpc_instance_crn` names no account.
    VpcInstanceCrn(String),
    /// An account has one default resource group.
    DefaultGroupTwice {
        account: String,
    },
    Link {
        profile: String,
        error: LinkError,
    },
    LinkTwice {
        profile: String,
        link: String,
    },
    Identity {
        profile: String,
        error: IdentityError,
    },
    IdentityTwice {
        profile: String,
        identity: String,
    },
    /// Access group names are unique in an account, ignoring case.
    GroupNameTwice {
        name: String,
        account: String,
    },
    UnknownMember {
        group: String,
        member: String,
    },
    CustomRole {
        role: String,
        problem: CustomRoleProblem,
    },
    CustomRoleNameTwice {
        name: String,
        account: String,
    },
    /// A policy `type` other than `access` and `authorization`.
    PolicyType {
        policy: String,
        kind: String,
    },
    UnknownSubject {
        policy: String,
        subject: String,
    },
    /// A role name no role of the policy's service has.
    UnknownRole {
        policy: String,
        role: String,
    },
    Policy {
        policy: String,
        problem: PolicyProblem,
    },
}

impl std::fmt::Display for SeedProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use SeedProblem::*;
        match self {
            Empty { kind, field } => write!(f, "a {kind} has an empty {field}"),
            Twice { kind, id } => write!(f, "{kind} {id} is listed twice"),
            ProfileNameTwice { name, account } => {
                write!(
                    f,
                    "trusted profile {name} is listed twice in account {account}"
                )
            }
            UserInUnknownAccount { user, account } => {
                write!(f, "user {user} belongs to unknown account {account}")
            }
            UserWithoutAccount(user) => write!(f, "user {user} belongs to no account"),
            UnknownAccountOwner { account, owner } => {
                write!(f, "account {account} has unknown owner {owner}")
            }
            InUnknownAccount {
                kind,
                name,
                account,
            } => write!(f, "{kind} {name} is in unknown account {account}"),
            EmptyApiKey(key) => write!(f, "API key {key} has an empty value"),
            RepeatedApiKey(key) => write!(f, "API key {key} repeats another key's value"),
            UnknownApiKeyOwner { key, owner } => {
                write!(f, "API key {key} has unknown owner {owner}")
            }
            ApiKeyOutsideAccount {
                key,
                owner,
                account,
            } => write!(
                f,
                "API key {key}: owner {owner} does not belong to account {account}"
            ),
            DefaultGroupTwice { account } => {
                write!(f, "account {account} has a default resource group already")
            }
            VpcInstanceCrn(crn) => write!(
                f,
                "vpc_instance_crn '{crn}' is not a CRN with an account scope (crn:v1:...:a/<account>:...)"
            ),
            Link { profile, error } => write!(f, "trusted profile {profile}: {error}"),
            LinkTwice { profile, link } => {
                write!(f, "trusted profile {profile}: link {link} is listed twice")
            }
            Identity { profile, error } => write!(f, "trusted profile {profile}: {error}"),
            IdentityTwice { profile, identity } => {
                write!(
                    f,
                    "trusted profile {profile}: identity {identity} is listed twice"
                )
            }
            GroupNameTwice { name, account } => {
                write!(
                    f,
                    "access group {name} is listed twice in account {account}"
                )
            }
            UnknownMember { group, member } => write!(
                f,
                "access group {group}: member {member} is no user, service ID or trusted profile of its account"
            ),
            CustomRole { role, problem } => write!(f, "custom role {role}: {problem}"),
            CustomRoleNameTwice { name, account } => {
                write!(f, "custom role {name} is listed twice in account {account}")
            }
            PolicyType { policy, kind } => write!(
                f,
                "policy {policy}: type {kind} is neither access nor authorization"
            ),
            UnknownSubject { policy, subject } => write!(
                f,
                "policy {policy}: subject {subject} is no identity or access group of its account"
            ),
            UnknownRole { policy, role } => write!(
                f,
                "policy {policy}: role {role} is not a role of the policy's service"
            ),
            Policy { policy, problem } => write!(f, "policy {policy}: {problem}"),
        }
    }
}

impl std::error::Error for SeedProblem {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SeedProblem::Link { error, .. } => Some(error),
            SeedProblem::Identity { error, .. } => Some(error),
            SeedProblem::CustomRole { problem, .. } => Some(problem),
            SeedProblem::Policy { problem, .. } => Some(problem),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_round_trips_through_json() {
        let seed = Seed::demo();
        let text = serde_json::to_string(&seed).unwrap();
        let back: Seed = serde_json::from_str(&text).unwrap();
        assert_eq!(back, seed);
    }
}
