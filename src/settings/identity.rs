//! The settings of the IAM Identity commands (service IDs, API keys, trusted profiles, their
//! links and trusted identities) and of the stored-key commands. One shape serves every kind
//! where the commands do the same thing: create, list, show, update, delete, lock, unlock.

use crate::cli::{
    CrType, FilterArgs, IdentityType, KeyCreateArgs, ProfileListArgs, ServiceIdCreateArgs,
    TrustedProfileCreateArgs, TrustedProfileIdentitiesArgs, TrustedProfileIdentityArgs,
    TrustedProfileIdentityCreateArgs, TrustedProfileIdentityDeleteArgs,
    TrustedProfileLinkCreateArgs, TrustedProfileLinkDeleteArgs, TrustedProfileLinksArgs,
    UuidListArgs,
};
use std::path::PathBuf;

/// A new service ID or trusted profile.
pub struct Create {
    pub name: String,
    pub description: Option<String>,
    /// Service IDs only.
    pub lock: bool,
    /// Trusted profiles only.
    pub email: Option<String>,
}

impl From<ServiceIdCreateArgs> for Create {
    fn from(a: ServiceIdCreateArgs) -> Create {
        Create {
            name: a.name,
            description: a.description,
            lock: a.lock,
            email: None,
        }
    }
}

impl From<TrustedProfileCreateArgs> for Create {
    fn from(a: TrustedProfileCreateArgs) -> Create {
        Create {
            name: a.name,
            description: a.description,
            lock: false,
            email: a.email,
        }
    }
}

pub struct List {
    /// `--uuid` (`--id` for trusted profiles): the IDs alone, one per line.
    pub ids_only: bool,
    pub filter: Filter,
    /// Trusted profiles only: those the logged-in identity may assume.
    pub can_assume: bool,
}

/// `-n STRING`, `-d STRING`: entries whose name, description includes the string.
#[derive(Default)]
pub struct Filter {
    pub name: Option<String>,
    pub description: Option<String>,
}

impl Filter {
    pub fn keeps(&self, name: &str, description: Option<&str>) -> bool {
        self.name.as_deref().is_none_or(|n| name.contains(n))
            && self
                .description
                .as_deref()
                .is_none_or(|d| description.unwrap_or_default().contains(d))
    }
}

impl From<FilterArgs> for Filter {
    fn from(a: FilterArgs) -> Filter {
        Filter {
            name: a.name,
            description: a.description,
        }
    }
}

impl From<UuidListArgs> for List {
    fn from(a: UuidListArgs) -> List {
        List {
            ids_only: a.uuid,
            filter: a.filter.into(),
            can_assume: false,
        }
    }
}

impl From<ProfileListArgs> for List {
    fn from(a: ProfileListArgs) -> List {
        List {
            ids_only: a.id,
            filter: a.filter.into(),
            can_assume: a.can_assume,
        }
    }
}

/// One entity, by name or ID.
pub struct Show {
    pub target: String,
    pub ids_only: bool,
}

pub struct Update {
    pub target: String,
    pub new_name: Option<String>,
    pub description: Option<String>,
    /// Trusted profiles only; empty removes it.
    pub email: Option<String>,
    /// API keys only: IAM's `action_when_leaked`.
    pub action_if_leaked: Option<&'static str>,
}

impl Update {
    pub fn new(target: String, new_name: Option<String>, description: Option<String>) -> Update {
        Update {
            target,
            new_name,
            description,
            email: None,
            action_if_leaked: None,
        }
    }
}

/// Delete, lock, unlock.
pub struct Change {
    pub target: String,
    /// `-f`: no confirmation.
    pub force: bool,
}

/// Whose API keys: the user's own, a service ID's (by name or ID), or (listing only) every
/// service ID's in the account.
pub enum Owner {
    User,
    ServiceId(String),
    AllServiceIds,
}

pub struct KeyCreate {
    pub name: String,
    pub description: Option<String>,
    pub file: Option<PathBuf>,
    pub keyring: Option<String>,
    /// `--replace`: an existing `--file` or `--keyring` entry may be replaced.
    pub replace: bool,
    pub lock: bool,
    /// IAM's `action_when_leaked`: `none`, `disable`, `delete`.
    pub action_if_leaked: Option<&'static str>,
}

impl From<KeyCreateArgs> for KeyCreate {
    fn from(a: KeyCreateArgs) -> KeyCreate {
        KeyCreate {
            name: a.name,
            description: a.description,
            file: a.file,
            keyring: a.keyring,
            replace: a.replace,
            lock: a.lock,
            action_if_leaked: a.action_if_leaked.map(|l| l.as_str()),
        }
    }
}

pub struct LinkCreate {
    pub profile: String,
    pub name: String,
    /// IAM's `cr_type`: `VSI`, `IKS_SA`, ...
    pub cr_type: &'static str,
    pub link_crn: String,
    pub link_namespace: Option<String>,
    pub link_name: Option<String>,
}

impl From<TrustedProfileLinkCreateArgs> for LinkCreate {
    fn from(a: TrustedProfileLinkCreateArgs) -> LinkCreate {
        LinkCreate {
            profile: a.profile,
            name: a.name,
            cr_type: cr_type(a.cr_type),
            link_crn: a.link_crn,
            link_namespace: a.link_namespace,
            link_name: a.link_name,
        }
    }
}

fn cr_type(t: CrType) -> &'static str {
    t.as_str()
}

pub struct LinkDelete {
    pub profile: String,
    pub link: String,
    pub force: bool,
}

impl From<TrustedProfileLinkDeleteArgs> for LinkDelete {
    fn from(a: TrustedProfileLinkDeleteArgs) -> LinkDelete {
        LinkDelete {
            profile: a.profile,
            link: a.link,
            force: a.force.force,
        }
    }
}

pub struct IdentityCreate {
    pub profile: String,
    /// IAM's identity `type`: `user`, `serviceid`, `crn`.
    pub id_type: &'static str,
    pub identifier: String,
    pub accounts: Vec<String>,
    pub description: Option<String>,
}

impl From<TrustedProfileIdentityCreateArgs> for IdentityCreate {
    fn from(a: TrustedProfileIdentityCreateArgs) -> IdentityCreate {
        IdentityCreate {
            profile: a.profile,
            id_type: id_type(a.id_type),
            identifier: a.identifier,
            accounts: a.accounts,
            description: a.description,
        }
    }
}

pub struct IdentityDelete {
    pub profile: String,
    pub id_type: &'static str,
    pub identifier: String,
    pub force: bool,
}

impl From<TrustedProfileIdentityDeleteArgs> for IdentityDelete {
    fn from(a: TrustedProfileIdentityDeleteArgs) -> IdentityDelete {
        IdentityDelete {
            profile: a.profile,
            id_type: id_type(a.id_type),
            identifier: a.identifier.or(a.old_identifier).unwrap_or_default(),
            force: a.force.force,
        }
    }
}

fn id_type(t: IdentityType) -> &'static str {
    t.as_str()
}

/// `trusted-profile-links PROFILE [--id]`.
pub struct Links {
    pub profile: String,
    pub ids_only: bool,
}

impl From<TrustedProfileLinksArgs> for Links {
    fn from(a: TrustedProfileLinksArgs) -> Links {
        Links {
            profile: a.profile,
            ids_only: a.id,
        }
    }
}

/// `trusted-profile-identities PROFILE [--id-type TYPE] [--id]`.
pub struct Identities {
    pub profile: String,
    pub id_type: Option<&'static str>,
    pub ids_only: bool,
}

impl From<TrustedProfileIdentitiesArgs> for Identities {
    fn from(a: TrustedProfileIdentitiesArgs) -> Identities {
        Identities {
            profile: a.profile,
            id_type: a.id_type.map(id_type),
            ids_only: a.id,
        }
    }
}

/// `trusted-profile-identity PROFILE IDENTIFIER --id-type TYPE [--id]`.
pub struct IdentityShow {
    pub profile: String,
    pub id_type: &'static str,
    pub identifier: String,
    pub ids_only: bool,
}

impl From<TrustedProfileIdentityArgs> for IdentityShow {
    fn from(a: TrustedProfileIdentityArgs) -> IdentityShow {
        IdentityShow {
            profile: a.profile,
            id_type: id_type(a.id_type),
            identifier: a.identifier,
            ids_only: a.id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_keep_what_includes_the_strings() {
        let f = Filter {
            name: Some("dep".into()),
            description: Some("CI".into()),
        };
        assert!(f.keeps("deployer", Some("from CI")));
        assert!(!f.keeps("Deployer", Some("from CI")));
        assert!(!f.keeps("deployer", None));
        assert!(Filter::default().keeps("x", None));
    }
}
