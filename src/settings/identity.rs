//! The settings of the IAM Identity commands (service IDs, API keys, trusted profiles, their
//! links and trusted identities) and of the stored-key commands. One shape serves every kind
//! where the commands do the same thing: create, list, show, update, delete, lock, unlock.

use crate::cli::{
    CrType, IdentityType, KeyCreateArgs, ProfileListArgs, ServiceIdCreateArgs,
    TrustedProfileCreateArgs, TrustedProfileIdentityCreateArgs, TrustedProfileIdentityDeleteArgs,
    TrustedProfileLinkCreateArgs, TrustedProfileLinkDeleteArgs, UuidListArgs,
};
use std::path::PathBuf;

/// A new service ID or trusted profile.
pub struct Create {
    pub name: String,
    pub description: Option<String>,
    /// Service IDs only.
    pub lock: bool,
}

impl From<ServiceIdCreateArgs> for Create {
    fn from(a: ServiceIdCreateArgs) -> Create {
        Create {
            name: a.name,
            description: a.description,
            lock: a.lock,
        }
    }
}

impl From<TrustedProfileCreateArgs> for Create {
    fn from(a: TrustedProfileCreateArgs) -> Create {
        Create {
            name: a.name,
            description: a.description,
            lock: false,
        }
    }
}

pub struct List {
    /// `--uuid` (`--id` for trusted profiles): the IDs alone, one per line.
    pub ids_only: bool,
}

impl From<UuidListArgs> for List {
    fn from(a: UuidListArgs) -> List {
        List { ids_only: a.uuid }
    }
}

impl From<ProfileListArgs> for List {
    fn from(a: ProfileListArgs) -> List {
        List { ids_only: a.id }
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
}

/// Delete, lock, unlock.
pub struct Change {
    pub target: String,
    /// `-f`: no confirmation.
    pub force: bool,
}

/// Whose API keys: the user's own, or a service ID's (by name or ID).
pub enum Owner {
    User,
    ServiceId(String),
}

pub struct KeyCreate {
    pub name: String,
    pub description: Option<String>,
    pub file: Option<PathBuf>,
    pub keyring: Option<String>,
    pub force: bool,
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
            force: a.force,
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
            identifier: a.identifier,
            force: a.force.force,
        }
    }
}

fn id_type(t: IdentityType) -> &'static str {
    t.as_str()
}
