//! The data model: accounts, users, service IDs, API keys, resource groups, trusted profiles
//! and the virtual server the metadata service plays. Built from a seed, persisted whole by
//! `state.rs`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::profile::{self, LinkTarget, ProfileIdentity, ProfileLink};
use crate::model::seed::{Seed, SeedProfile};

/// Fixed creation time of everything in a seed (2024-01-15T10:00:00Z), so seeded worlds are
/// byte-for-byte reproducible and users' CI can assert on them.
pub const SEED_EPOCH: i64 = 1_705_312_800;

/// A name-based UUID, so seeded entities without explicit ids still get the same id every run.
pub fn stable_uuid(parts: &[&str]) -> uuid::Uuid {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, parts.join("\u{1f}").as_bytes())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub ims: Option<String>,
    pub owner_iam_id: String,
    pub owner_email: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub iam_id: String,
    pub username: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub password: Option<String>,
    pub federated: bool,
    pub accounts: Vec<String>,
    pub ims_user_id: u64,
}

impl User {
    pub fn name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_owned()
    }

    pub fn identifier(&self) -> &str {
        self.iam_id.strip_prefix("IBMid-").unwrap_or(&self.iam_id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    pub timestamp: i64,
    pub iam_id: String,
    pub iam_id_account: String,
    pub action: String,
    pub params: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceId {
    pub id: String,
    pub iam_id: String,
    pub account_id: String,
    pub name: String,
    pub description: Option<String>,
    pub unique_instance_crns: Vec<String>,
    pub locked: bool,
    pub created_at: i64,
    pub modified_at: i64,
    pub version: u64,
    /// Creation order, the default list order.
    pub seq: u64,
    pub history: Vec<History>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: String,
    pub account_id: String,
    /// The owner: a user's `IBMid-...` or a service ID's `iam-ServiceId-...`.
    pub iam_id: String,
    pub name: String,
    pub description: Option<String>,
    pub value: String,
    pub store_value: bool,
    pub locked: bool,
    pub disabled: bool,
    pub support_sessions: bool,
    pub action_when_leaked: String,
    pub expires_at: Option<String>,
    pub created_at: i64,
    pub modified_at: i64,
    pub created_by: String,
    pub version: u64,
    pub seq: u64,
    pub history: Vec<History>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceGroup {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub default: bool,
    pub created_at: i64,
}

/// A trusted profile: an identity that compute resources (through its links) and other
/// identities (through its trusted identities) can take on. Its links and identities live in
/// it, so deleting the profile deletes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustedProfile {
    pub id: String,
    pub iam_id: String,
    pub account_id: String,
    pub name: String,
    pub description: Option<String>,
    pub email: Option<String>,
    pub created_at: i64,
    pub modified_at: i64,
    pub version: u64,
    pub seq: u64,
    pub history: Vec<History>,
    pub links: Vec<ProfileLink>,
    pub identities: Vec<ProfileIdentity>,
    /// The identity list has its own entity tag (`PUT .../identities` needs it in If-Match).
    pub identities_version: u64,
}

impl TrustedProfile {
    pub fn crn(&self) -> String {
        format!(
            "crn:v1:bluemix:public:iam-identity::a/{}::profile:{}",
            self.account_id, self.id
        )
    }
}

/// Why an identity cannot be trusted: it names nothing the emulator holds, or it is not valid.
#[derive(Debug)]
pub enum IdentityError {
    Unknown(String),
    Invalid(String),
}

impl IdentityError {
    pub fn into_message(self) -> String {
        match self {
            IdentityError::Unknown(m) | IdentityError::Invalid(m) => m,
        }
    }
}

/// Who a token speaks for.
#[derive(Debug, Clone, Copy)]
pub enum Principal<'a> {
    User(&'a User),
    Service(&'a ServiceId),
    Profile(&'a TrustedProfile),
}

impl Principal<'_> {
    pub fn belongs_to(&self, account_id: &str) -> bool {
        match self {
            Principal::User(u) => u.accounts.iter().any(|a| a == account_id),
            Principal::Service(s) => s.account_id == account_id,
            Principal::Profile(p) => p.account_id == account_id,
        }
    }

    /// The accounts a token of this identity may act in.
    pub fn accounts(&self) -> Vec<String> {
        match self {
            Principal::User(u) => u.accounts.clone(),
            Principal::Service(s) => vec![s.account_id.clone()],
            Principal::Profile(p) => vec![p.account_id.clone()],
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct World {
    pub accounts: Vec<Account>,
    pub users: Vec<User>,
    pub service_ids: BTreeMap<String, ServiceId>,
    pub api_keys: BTreeMap<String, ApiKey>,
    pub resource_groups: Vec<ResourceGroup>,
    /// Absent in state files written before trusted profiles existed.
    #[serde(default)]
    pub profiles: BTreeMap<String, TrustedProfile>,
    /// The CRN of the one virtual server the VPC metadata service plays (derived from the
    /// first account when a seed or an older state file does not name one).
    #[serde(default)]
    pub vpc_instance_crn: String,
    pub next_seq: u64,
    /// API key value -> key id: the token endpoint's hot lookup.
    #[serde(skip)]
    by_value: HashMap<String, String>,
}

impl World {
    pub fn from_seed(seed: &Seed) -> Result<World, String> {
        let mut w = World::default();
        for a in &seed.accounts {
            if a.id.trim().is_empty() {
                return Err("an account has an empty id".into());
            }
            if w.account(&a.id).is_some() {
                return Err(format!("account {} is listed twice", a.id));
            }
            w.accounts.push(Account {
                id: a.id.clone(),
                name: a.name.clone(),
                ims: a.ims_account.clone().filter(|s| !s.is_empty()),
                owner_iam_id: String::new(),
                owner_email: String::new(),
                created_at: SEED_EPOCH,
            });
        }
        for (i, u) in seed.users.iter().enumerate() {
            if u.username.trim().is_empty() {
                return Err("a user has an empty username".into());
            }
            if w.user_by_login(&u.username).is_some() {
                return Err(format!("user {} is listed twice", u.username));
            }
            for acc in &u.accounts {
                if w.account(acc).is_none() {
                    return Err(format!(
                        "user {} belongs to unknown account {acc}",
                        u.username
                    ));
                }
            }
            if u.accounts.is_empty() {
                return Err(format!("user {} belongs to no account", u.username));
            }
            let iam_id = u.iam_id.clone().unwrap_or_else(|| {
                let hex = stable_uuid(&["user", &u.username]).simple().to_string();
                format!("IBMid-{}", hex[..10].to_uppercase())
            });
            w.users.push(User {
                iam_id,
                username: u.username.clone(),
                email: u.email.clone().unwrap_or_else(|| u.username.clone()),
                given_name: u.given_name.clone().unwrap_or_default(),
                family_name: u.family_name.clone().unwrap_or_default(),
                password: u.password.clone(),
                federated: u.federated,
                accounts: u.accounts.clone(),
                ims_user_id: u.ims_user_id.unwrap_or(7_000_000 + i as u64 + 1),
            });
        }
        for (i, a) in seed.accounts.iter().enumerate() {
            let owner = match &a.owner {
                Some(login) => w
                    .user_by_login(login)
                    .ok_or_else(|| format!("account {} has unknown owner {login}", a.id))?,
                None => match w.users.iter().find(|u| u.accounts.contains(&a.id)) {
                    Some(u) => u,
                    None => continue,
                },
            };
            let (iam_id, email) = (owner.iam_id.clone(), owner.email.clone());
            w.accounts[i].owner_iam_id = iam_id;
            w.accounts[i].owner_email = email;
        }
        for s in &seed.service_ids {
            if w.account(&s.account_id).is_none() {
                return Err(format!(
                    "service ID {} is in unknown account {}",
                    s.name, s.account_id
                ));
            }
            let id = s.id.clone().unwrap_or_else(|| {
                format!(
                    "ServiceId-{}",
                    stable_uuid(&["serviceid", &s.account_id, &s.name])
                )
            });
            if w.service_ids.contains_key(&id) {
                return Err(format!("service ID {id} is listed twice"));
            }
            let seq = w.take_seq();
            w.service_ids.insert(
                id.clone(),
                ServiceId {
                    iam_id: format!("iam-{id}"),
                    id,
                    account_id: s.account_id.clone(),
                    name: s.name.clone(),
                    description: s.description.clone(),
                    unique_instance_crns: s.unique_instance_crns.clone(),
                    locked: s.locked,
                    created_at: SEED_EPOCH,
                    modified_at: SEED_EPOCH,
                    version: 1,
                    seq,
                    history: vec![],
                },
            );
        }
        for k in &seed.api_keys {
            if k.apikey.is_empty() {
                return Err(format!("API key {} has an empty value", k.name));
            }
            if w.by_value.contains_key(&k.apikey) {
                return Err(format!("API key {} repeats another key's value", k.name));
            }
            let (owner_iam_id, home) = if let Some(u) = w.user_by_login(&k.owner) {
                (
                    u.iam_id.clone(),
                    u.accounts.first().cloned().unwrap_or_default(),
                )
            } else if let Some(s) = w.service_id_by_ref(&k.owner) {
                (s.iam_id.clone(), s.account_id.clone())
            } else {
                return Err(format!("API key {} has unknown owner {}", k.name, k.owner));
            };
            let account_id = k.account_id.clone().unwrap_or(home);
            let allowed = w
                .principal(&owner_iam_id)
                .is_some_and(|p| p.belongs_to(&account_id));
            if !allowed {
                return Err(format!(
                    "API key {}: owner {} does not belong to account {account_id}",
                    k.name, k.owner
                ));
            }
            let id = k.id.clone().unwrap_or_else(|| {
                format!(
                    "ApiKey-{}",
                    stable_uuid(&["apikey", &owner_iam_id, &account_id, &k.name])
                )
            });
            if w.api_keys.contains_key(&id) {
                return Err(format!("API key {id} is listed twice"));
            }
            let seq = w.take_seq();
            let created_by = owner_iam_id.clone();
            w.insert_api_key(ApiKey {
                id,
                account_id,
                iam_id: owner_iam_id,
                name: k.name.clone(),
                description: k.description.clone(),
                value: k.apikey.clone(),
                store_value: k.store_value,
                locked: k.locked,
                disabled: k.disabled,
                support_sessions: false,
                action_when_leaked: "none".into(),
                expires_at: None,
                created_at: SEED_EPOCH,
                modified_at: SEED_EPOCH,
                created_by,
                version: 1,
                seq,
                history: vec![],
            });
        }
        for g in &seed.resource_groups {
            if w.account(&g.account_id).is_none() {
                return Err(format!(
                    "resource group {} is in unknown account {}",
                    g.name, g.account_id
                ));
            }
            let id = g.id.clone().unwrap_or_else(|| {
                stable_uuid(&["rg", &g.account_id, &g.name])
                    .simple()
                    .to_string()
            });
            w.resource_groups.push(ResourceGroup {
                id,
                account_id: g.account_id.clone(),
                name: g.name.clone(),
                default: g.default,
                created_at: SEED_EPOCH,
            });
        }
        // Every IBM account has a default resource group; seeds need not spell it out.
        let missing: Vec<String> = w
            .accounts
            .iter()
            .filter(|a| {
                !w.resource_groups
                    .iter()
                    .any(|g| g.account_id == a.id && g.default)
            })
            .map(|a| a.id.clone())
            .collect();
        for account_id in missing {
            w.resource_groups.push(ResourceGroup {
                id: stable_uuid(&["rg", &account_id, "Default"])
                    .simple()
                    .to_string(),
                account_id,
                name: "Default".into(),
                default: true,
                created_at: SEED_EPOCH,
            });
        }
        for p in &seed.profiles {
            w.seed_profile(p)?;
        }
        if let Some(crn) = &seed.vpc_instance_crn {
            if profile::crn_account(crn).is_none() {
                return Err(format!(
                    "vpc_instance_crn '{crn}' is not a CRN with an account scope (crn:v1:...:a/<account>:...)"
                ));
            }
            w.vpc_instance_crn = crn.clone();
        } else if let Some(a) = w.accounts.first() {
            w.vpc_instance_crn = default_vpc_instance_crn(&a.id);
        }
        Ok(w)
    }

    fn seed_profile(&mut self, p: &SeedProfile) -> Result<(), String> {
        if self.account(&p.account_id).is_none() {
            return Err(format!(
                "trusted profile {} is in unknown account {}",
                p.name, p.account_id
            ));
        }
        if p.name.trim().is_empty() {
            return Err("a trusted profile has an empty name".into());
        }
        if self.profile_by_name(&p.account_id, &p.name).is_some() {
            return Err(format!(
                "trusted profile {} is listed twice in account {}",
                p.name, p.account_id
            ));
        }
        let id = p.id.clone().unwrap_or_else(|| {
            format!(
                "Profile-{}",
                stable_uuid(&["profile", &p.account_id, &p.name])
            )
        });
        if self.profiles.contains_key(&id) {
            return Err(format!("trusted profile {id} is listed twice"));
        }
        let at = |e: String| format!("trusted profile {}: {e}", p.name);
        let mut links: Vec<ProfileLink> = Vec::new();
        for (i, l) in p.links.iter().enumerate() {
            let target = LinkTarget {
                crn: l.link.crn.clone(),
                namespace: l.link.namespace.clone(),
                name: l.link.name.clone(),
                component_type: l.link.component_type.clone(),
                component_name: l.link.component_name.clone(),
            }
            .normalized();
            profile::check_link(&l.cr_type, &target, l.is_cross_account, &p.account_id)
                .map_err(at)?;
            let link = ProfileLink {
                id: l.id.clone().unwrap_or_else(|| {
                    format!(
                        "ProfileLink-{}",
                        stable_uuid(&["link", &id, &i.to_string()])
                    )
                }),
                name: l.name.clone().filter(|n| !n.is_empty()),
                cr_type: l.cr_type.clone(),
                target,
                is_cross_account: l.is_cross_account,
                created_at: SEED_EPOCH,
                modified_at: SEED_EPOCH,
                version: 1,
            };
            if links
                .iter()
                .any(|o| o.id == link.id || o.same_resource(&link))
            {
                return Err(at(format!("link {} is listed twice", link.id)));
            }
            links.push(link);
        }
        let mut identities: Vec<ProfileIdentity> = Vec::new();
        for i in &p.identities {
            let identity = self
                .trusted_identity(
                    &i.kind,
                    &i.identifier,
                    i.accounts.clone(),
                    i.description.clone(),
                    true,
                )
                .map_err(|e| at(e.into_message()))?;
            if identities.iter().any(|o| o.iam_id == identity.iam_id) {
                return Err(at(format!("identity {} is listed twice", i.identifier)));
            }
            identities.push(identity);
        }
        let seq = self.take_seq();
        self.profiles.insert(
            id.clone(),
            TrustedProfile {
                iam_id: format!("iam-{id}"),
                id,
                account_id: p.account_id.clone(),
                name: p.name.clone(),
                description: p.description.clone(),
                email: p.email.clone(),
                created_at: SEED_EPOCH,
                modified_at: SEED_EPOCH,
                version: 1,
                seq,
                history: vec![],
                links,
                identities,
                identities_version: 1,
            },
        );
        Ok(())
    }

    /// An identity a profile may trust, resolved to its IAM ID: a user by IAM ID (or
    /// username or email), a service ID by ID or IAM ID (or, in a seed, name), a CRN as it is.
    /// A seed (`lenient`) may name a user's IAM ID or a service ID the world does not hold:
    /// IAM keeps trusting an identity it cannot see, and a seed may drop the service IDs of
    /// the demo world without dropping its profile.
    pub fn trusted_identity(
        &self,
        kind: &str,
        identifier: &str,
        accounts: Vec<String>,
        description: Option<String>,
        lenient: bool,
    ) -> Result<ProfileIdentity, IdentityError> {
        use IdentityError::{Invalid, Unknown};
        profile::check_identity_type(kind).map_err(Invalid)?;
        let identifier = identifier.trim();
        if identifier.is_empty() {
            return Err(Invalid(
                "Property 'identifier' either missing or empty.".into(),
            ));
        }
        if kind != "user" && !accounts.is_empty() {
            return Err(Invalid(format!(
                "Property 'accounts' is only valid for identities of type user, not {kind}."
            )));
        }
        let (iam_id, identifier) = match kind {
            "user" => match self.user_by_login(identifier) {
                Some(u) => (u.iam_id.clone(), u.iam_id.clone()),
                None if lenient && identifier.starts_with("IBMid-") => {
                    (identifier.to_owned(), identifier.to_owned())
                }
                None => return Err(Unknown(format!("User '{identifier}' not found."))),
            },
            "serviceid" => {
                let found = if lenient {
                    self.service_id_by_ref(identifier)
                } else {
                    self.service_ids
                        .get(identifier)
                        .or_else(|| self.service_ids.values().find(|s| s.iam_id == identifier))
                };
                match found {
                    Some(s) => (s.iam_id.clone(), s.id.clone()),
                    None if lenient && identifier.starts_with("ServiceId-") => {
                        (format!("iam-{identifier}"), identifier.to_owned())
                    }
                    None => {
                        return Err(Unknown(format!("Service ID '{identifier}' not found.")));
                    }
                }
            }
            _ => {
                if profile::crn_account(identifier).is_none() {
                    return Err(Invalid(format!(
                        "Identifier '{identifier}' of type crn is not a CRN with an account scope."
                    )));
                }
                (format!("crn-{identifier}"), identifier.to_owned())
            }
        };
        Ok(ProfileIdentity {
            iam_id,
            identifier,
            kind: kind.to_owned(),
            accounts,
            description: description.filter(|d| !d.is_empty()),
        })
    }

    /// Rebuilds lookup indexes after deserialising a persisted world, and fills in what older
    /// state files lack.
    pub fn reindex(&mut self) {
        self.by_value = self
            .api_keys
            .values()
            .map(|k| (k.value.clone(), k.id.clone()))
            .collect();
        if self.vpc_instance_crn.is_empty()
            && let Some(a) = self.accounts.first()
        {
            self.vpc_instance_crn = default_vpc_instance_crn(&a.id);
        }
    }

    pub fn take_seq(&mut self) -> u64 {
        // A state file may hold any number; at the end of u64 new entities share the last
        // one (it only orders lists) rather than overflow.
        self.next_seq = self.next_seq.saturating_add(1);
        self.next_seq
    }

    /// What a world read from a state file must hold for lookups to mean what they say:
    /// every entity filed under its own id, with the IAM ID its id implies, and no account,
    /// user or API key value twice. (Seeds are checked as they are built, in `from_seed`.)
    pub fn check(&self) -> Result<(), String> {
        // Sets, not pairwise comparisons: a hostile file may list a million accounts.
        let mut accounts = std::collections::HashSet::new();
        for a in &self.accounts {
            if !accounts.insert(a.id.as_str()) {
                return Err(format!("account {} is listed twice", a.id));
            }
        }
        let mut users = std::collections::HashSet::new();
        for u in &self.users {
            if !users.insert(u.iam_id.as_str()) {
                return Err(format!("user {} is listed twice", u.iam_id));
            }
        }
        let filed = |kind: &str, key: &str, id: &str, iam_id: &str| {
            if key != id {
                Err(format!("{kind} {id} is filed under {key}"))
            } else if iam_id != format!("iam-{id}") {
                Err(format!("{kind} {id} has IAM ID {iam_id}"))
            } else {
                Ok(())
            }
        };
        for (key, s) in &self.service_ids {
            filed("service ID", key, &s.id, &s.iam_id)?;
        }
        for (key, p) in &self.profiles {
            filed("trusted profile", key, &p.id, &p.iam_id)?;
        }
        let mut values = std::collections::HashSet::new();
        for (key, k) in &self.api_keys {
            if *key != k.id {
                return Err(format!("API key {} is filed under {key}", k.id));
            }
            if !values.insert(k.value.as_str()) {
                return Err(format!("API key {} repeats another key's value", k.id));
            }
        }
        // Found by the `state` fuzz target: an API key of an account the file does not hold
        // made every grant with it a 500 ("account vanished"). References must resolve.
        for u in &self.users {
            if let Some(a) = u.accounts.iter().find(|a| !accounts.contains(a.as_str())) {
                return Err(format!("user {} belongs to unknown account {a}", u.iam_id));
            }
        }
        let known = |kind: &str, id: &str, account: &str| {
            if accounts.contains(account) {
                Ok(())
            } else {
                Err(format!("{kind} {id} belongs to unknown account {account}"))
            }
        };
        for s in self.service_ids.values() {
            known("service ID", &s.id, &s.account_id)?;
        }
        for p in self.profiles.values() {
            known("trusted profile", &p.id, &p.account_id)?;
        }
        for k in self.api_keys.values() {
            known("API key", &k.id, &k.account_id)?;
            let owner = users.contains(k.iam_id.as_str())
                || k.iam_id.strip_prefix("iam-").is_some_and(|id| {
                    self.service_ids.contains_key(id) || self.profiles.contains_key(id)
                });
            if !owner {
                return Err(format!("API key {} belongs to unknown {}", k.id, k.iam_id));
            }
        }
        Ok(())
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn account_by_ims(&self, ims: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.ims.as_deref() == Some(ims))
    }

    /// Finds a user by username or email, ignoring case as IBMid does.
    pub fn user_by_login(&self, login: &str) -> Option<&User> {
        self.users.iter().find(|u| {
            u.username.eq_ignore_ascii_case(login)
                || u.email.eq_ignore_ascii_case(login)
                || u.iam_id == login
        })
    }

    pub fn user(&self, iam_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.iam_id == iam_id)
    }

    pub fn profile(&self, id: &str) -> Option<&TrustedProfile> {
        self.profiles.get(id)
    }

    pub fn profile_by_name(&self, account_id: &str, name: &str) -> Option<&TrustedProfile> {
        self.profiles
            .values()
            .find(|p| p.account_id == account_id && p.name == name)
    }

    pub fn profile_by_crn(&self, crn: &str) -> Option<&TrustedProfile> {
        let id = crn.rsplit_once("::profile:")?.1;
        self.profiles.get(id).filter(|p| p.crn() == crn)
    }

    fn service_id_by_ref(&self, r: &str) -> Option<&ServiceId> {
        self.service_ids
            .get(r)
            .or_else(|| self.service_ids.values().find(|s| s.iam_id == r))
            .or_else(|| self.service_ids.values().find(|s| s.name == r))
    }

    pub fn principal(&self, iam_id: &str) -> Option<Principal<'_>> {
        if let Some(u) = self.user(iam_id) {
            return Some(Principal::User(u));
        }
        let id = iam_id.strip_prefix("iam-")?;
        if let Some(s) = self.service_ids.get(id) {
            return Some(Principal::Service(s));
        }
        self.profiles.get(id).map(Principal::Profile)
    }

    pub fn api_key_by_value(&self, value: &str) -> Option<&ApiKey> {
        self.by_value
            .get(value)
            .and_then(|id| self.api_keys.get(id))
    }

    pub fn value_taken(&self, value: &str) -> bool {
        self.by_value.contains_key(value)
    }

    pub fn insert_api_key(&mut self, key: ApiKey) {
        self.by_value.insert(key.value.clone(), key.id.clone());
        self.api_keys.insert(key.id.clone(), key);
    }

    pub fn remove_api_key(&mut self, id: &str) -> Option<ApiKey> {
        let key = self.api_keys.remove(id)?;
        self.by_value.remove(&key.value);
        Some(key)
    }
}

/// The virtual server of a world whose seed names none: a VPC instance in `account`.
pub fn default_vpc_instance_crn(account: &str) -> String {
    format!(
        "crn:v1:bluemix:public:is:us-south-1:a/{account}::instance:0717_{}",
        stable_uuid(&["vpc-instance", account])
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::seed::{DEMO_ACCOUNT, DEMO_APIKEY, DEMO_SERVICE_APIKEY};

    #[test]
    fn demo_world_is_consistent() {
        let w = World::from_seed(&Seed::demo()).unwrap();
        assert_eq!(w.accounts.len(), 3);
        let key = w.api_key_by_value(DEMO_APIKEY).unwrap();
        assert_eq!(key.account_id, DEMO_ACCOUNT);
        let skey = w.api_key_by_value(DEMO_SERVICE_APIKEY).unwrap();
        assert!(matches!(
            w.principal(&skey.iam_id),
            Some(Principal::Service(_))
        ));
        for a in &w.accounts {
            let groups: Vec<_> = w
                .resource_groups
                .iter()
                .filter(|g| g.account_id == a.id)
                .collect();
            assert!(groups.len() >= 2);
            assert_eq!(groups.iter().filter(|g| g.default).count(), 1);
            assert!(!a.owner_iam_id.is_empty());
        }
    }

    #[test]
    fn seeds_without_ids_are_deterministic() {
        let text = r#"{"accounts":[{"id":"acc1","name":"One"}],
            "users":[{"username":"a@b.c","password":"pw","accounts":["acc1"]}],
            "service_ids":[{"account_id":"acc1","name":"svc"}],
            "api_keys":[{"name":"k","owner":"svc","apikey":"0123456789abcdef0123456789abcdef"}]}"#;
        let seed: Seed = serde_json::from_str(text).unwrap();
        let a = World::from_seed(&seed).unwrap();
        let b = World::from_seed(&seed).unwrap();
        assert_eq!(a.users[0].iam_id, b.users[0].iam_id);
        assert!(a.users[0].iam_id.starts_with("IBMid-"));
        assert_eq!(
            a.api_keys.keys().collect::<Vec<_>>(),
            b.api_keys.keys().collect::<Vec<_>>()
        );
        assert_eq!(a.resource_groups.len(), 1);
        assert!(a.resource_groups[0].default);
    }

    #[test]
    fn demo_world_has_a_workload_profile() {
        use crate::model::seed::{DEMO_PROFILE_ID, DEMO_SERVICE_ID, DEMO_VPC_INSTANCE_CRN};
        let w = World::from_seed(&Seed::demo()).unwrap();
        let p = w.profile(DEMO_PROFILE_ID).unwrap();
        assert_eq!(p.iam_id, format!("iam-{DEMO_PROFILE_ID}"));
        assert_eq!(p.links.len(), 2);
        assert_eq!(p.identities.len(), 2);
        assert_eq!(p.identities[0].iam_id, format!("iam-{DEMO_SERVICE_ID}"));
        assert_eq!(p.identities[1].accounts, [DEMO_ACCOUNT]);
        assert!(matches!(
            w.principal(&p.iam_id),
            Some(Principal::Profile(_))
        ));
        assert_eq!(w.vpc_instance_crn, DEMO_VPC_INSTANCE_CRN);
        assert_eq!(w.profile_by_crn(&p.crn()).unwrap().id, DEMO_PROFILE_ID);
        assert!(
            w.profile_by_crn(&p.crn().replace("::profile:", ":x:profile:"))
                .is_none()
        );
        assert_eq!(
            w.profile_by_name(DEMO_ACCOUNT, "demo-workload").unwrap().id,
            p.id
        );
    }

    #[test]
    fn the_demo_profile_survives_a_seed_without_service_ids() {
        // iamctl's tests start from the demo world without its service IDs and keys.
        let seed = Seed {
            service_ids: vec![],
            api_keys: vec![],
            ..Seed::demo()
        };
        let w = World::from_seed(&seed).unwrap();
        assert_eq!(w.profiles.len(), 1);
    }

    #[test]
    fn seeded_profiles_are_checked() {
        let base = r#"{"accounts":[{"id":"acc1","name":"One"}],
            "service_ids":[{"account_id":"acc1","name":"svc"}],
            "profiles":[PROFILES]}"#;
        let world = |profiles: &str| {
            let seed: Seed = serde_json::from_str(&base.replace("PROFILES", profiles)).unwrap();
            World::from_seed(&seed)
        };
        let ok = world(
            r#"{"account_id":"acc1","name":"p","links":[{"cr_type":"CE",
                "link":{"crn":"crn:v1:bluemix:public:codeengine:us-south:a/acc1:p1::"}}],
                "identities":[{"type":"serviceid","identifier":"svc"}]}"#,
        )
        .unwrap();
        let p = ok.profiles.values().next().unwrap();
        assert!(p.id.starts_with("Profile-") && p.links[0].id.starts_with("ProfileLink-"));
        assert!(p.identities[0].identifier.starts_with("ServiceId-"));
        let vpc = &ok.vpc_instance_crn;
        assert!(vpc.starts_with("crn:v1:bluemix:public:is:us-south-1:a/acc1::instance:0717_"));
        for (bad, why) in [
            (r#"{"account_id":"nope","name":"p"}"#, "unknown account"),
            (
                r#"{"account_id":"acc1","name":"p"},{"account_id":"acc1","name":"p"}"#,
                "listed twice",
            ),
            (
                r#"{"account_id":"acc1","name":"p","links":[{"cr_type":"IKS_SA",
                    "link":{"crn":"crn:v1:bluemix:public:containers-kubernetes:us-south:a/acc1:c::"}}]}"#,
                "namespace",
            ),
            (
                r#"{"account_id":"acc1","name":"p","links":[{"cr_type":"VSI",
                    "link":{"crn":"crn:v1:bluemix:public:is:us-south-1:a/other::instance:1"}}]}"#,
                "is_cross_account",
            ),
            (
                r#"{"account_id":"acc1","name":"p","identities":[{"type":"user","identifier":"who@example.com"}]}"#,
                "not found",
            ),
            (
                r#"{"account_id":"acc1","name":"p","identities":[{"type":"serviceid","identifier":"svc","accounts":["acc1"]}]}"#,
                "only valid",
            ),
        ] {
            let err = world(bad).unwrap_err();
            assert!(err.contains(why), "{why}: {err}");
        }
    }

    #[test]
    fn seeds_with_dangling_references_are_refused() {
        let seed: Seed =
            serde_json::from_str(r#"{"users":[{"username":"a","accounts":["nope"]}]}"#).unwrap();
        assert!(
            World::from_seed(&seed)
                .unwrap_err()
                .contains("unknown account")
        );
    }
}
