//! The world: accounts, users, service IDs, API keys, resource groups, trusted profiles, the
//! virtual server the metadata service plays, and the access data (`access.rs`: policies,
//! custom roles, access groups), with the lookups every endpoint makes. Built from a seed
//! (`seeding.rs`), saved whole in the state file (`state.rs`).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::access::{AccessGroup, CustomRole, Policy};
use crate::model::trust::{self, IdentityError, ProfileIdentity, ProfileLink};

/// A name-based UUID: the same names give the same id every run (seeded entities without
/// explicit ids, entity tags).
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

impl History {
    /// The first entry of every entity's history: who created it, in which account, when.
    pub fn created(at: i64, by: &str, account: &str, message: &str) -> History {
        History {
            timestamp: at,
            iam_id: by.to_owned(),
            iam_id_account: account.to_owned(),
            action: "create".into(),
            params: vec![],
            message: message.into(),
        }
    }
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

/// What makes a world read from a state file inconsistent: lookups would not mean what they
/// say, or a reference would lead nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inconsistency {
    Twice {
        kind: &'static str,
        id: String,
    },
    /// An entity filed under a key that is not its id.
    FiledUnder {
        kind: &'static str,
        id: String,
        key: String,
    },
    /// An IAM ID its id does not imply.
    WrongIamId {
        kind: &'static str,
        id: String,
        iam_id: String,
    },
    RepeatedApiKey(String),
    UnknownAccount {
        kind: &'static str,
        id: String,
        account: String,
    },
    /// An API key whose owner the file does not hold.
    UnknownOwner {
        key: String,
        owner: String,
    },
}

impl std::fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use Inconsistency::*;
        match self {
            Twice { kind, id } => write!(f, "{kind} {id} is listed twice"),
            FiledUnder { kind, id, key } => write!(f, "{kind} {id} is filed under {key}"),
            WrongIamId { kind, id, iam_id } => write!(f, "{kind} {id} has IAM ID {iam_id}"),
            RepeatedApiKey(id) => write!(f, "API key {id} repeats another key's value"),
            UnknownAccount { kind, id, account } => {
                write!(f, "{kind} {id} belongs to unknown account {account}")
            }
            UnknownOwner { key, owner } => write!(f, "API key {key} belongs to unknown {owner}"),
        }
    }
}

impl std::error::Error for Inconsistency {}

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
    /// Access policies and authorization policies (deleted ones too, restorable); absent, like
    /// custom roles and access groups, in state files written before access management.
    #[serde(default)]
    pub policies: BTreeMap<String, Policy>,
    #[serde(default)]
    pub custom_roles: BTreeMap<String, CustomRole>,
    /// The account's own groups; the Public Access group of every account is not stored.
    #[serde(default)]
    pub access_groups: BTreeMap<String, AccessGroup>,
    /// The seed asked for access enforcement (`"enforce_access": true`); the flag
    /// `--enforce-access` turns it on too.
    #[serde(default)]
    pub enforce_access: bool,
    pub next_seq: u64,
    /// API key value -> key id: the token endpoint's hot lookup.
    #[serde(skip)]
    by_value: HashMap<String, String>,
}

impl World {
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
        trust::check_identity_type(kind)?;
        let identifier = identifier.trim();
        if identifier.is_empty() {
            return Err(IdentityError::MissingIdentifier);
        }
        if kind != "user" && !accounts.is_empty() {
            return Err(IdentityError::AccountsNotAllowed(kind.to_owned()));
        }
        let (iam_id, identifier) = match kind {
            "user" => match self.user_by_login(identifier) {
                Some(u) => (u.iam_id.clone(), u.iam_id.clone()),
                None if lenient && identifier.starts_with("IBMid-") => {
                    (identifier.to_owned(), identifier.to_owned())
                }
                None => return Err(IdentityError::UnknownUser(identifier.to_owned())),
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
                        return Err(IdentityError::UnknownServiceId(identifier.to_owned()));
                    }
                }
            }
            _ => {
                if trust::crn_account(identifier).is_none() {
                    return Err(IdentityError::NotACrn(identifier.to_owned()));
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
    pub fn check(&self) -> Result<(), Inconsistency> {
        use Inconsistency::*;
        // Sets, not pairwise comparisons: a hostile file may list a million accounts.
        let mut accounts = std::collections::HashSet::new();
        for a in &self.accounts {
            if !accounts.insert(a.id.as_str()) {
                return Err(Twice {
                    kind: "account",
                    id: a.id.clone(),
                });
            }
        }
        let mut users = std::collections::HashSet::new();
        for u in &self.users {
            if !users.insert(u.iam_id.as_str()) {
                return Err(Twice {
                    kind: "user",
                    id: u.iam_id.clone(),
                });
            }
        }
        let filed = |kind: &'static str, key: &str, id: &str, iam_id: &str| {
            if key != id {
                Err(FiledUnder {
                    kind,
                    id: id.to_owned(),
                    key: key.to_owned(),
                })
            } else if iam_id != format!("iam-{id}") {
                Err(WrongIamId {
                    kind,
                    id: id.to_owned(),
                    iam_id: iam_id.to_owned(),
                })
            } else {
                Ok(())
            }
        };
        let filed_plain = |kind: &'static str, key: &str, id: &str| {
            if key == id {
                Ok(())
            } else {
                Err(FiledUnder {
                    kind,
                    id: id.to_owned(),
                    key: key.to_owned(),
                })
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
                return Err(FiledUnder {
                    kind: "API key",
                    id: k.id.clone(),
                    key: key.clone(),
                });
            }
            if !values.insert(k.value.as_str()) {
                return Err(RepeatedApiKey(k.id.clone()));
            }
        }
        // Found by the `state` fuzz target: an API key of an account the file does not hold
        // made every grant with it a 500 ("account vanished"). References must resolve.
        for u in &self.users {
            if let Some(a) = u.accounts.iter().find(|a| !accounts.contains(a.as_str())) {
                return Err(UnknownAccount {
                    kind: "user",
                    id: u.iam_id.clone(),
                    account: a.clone(),
                });
            }
        }
        let known = |kind: &'static str, id: &str, account: &str| {
            if accounts.contains(account) {
                Ok(())
            } else {
                Err(UnknownAccount {
                    kind,
                    id: id.to_owned(),
                    account: account.to_owned(),
                })
            }
        };
        for s in self.service_ids.values() {
            known("service ID", &s.id, &s.account_id)?;
        }
        for p in self.profiles.values() {
            known("trusted profile", &p.id, &p.account_id)?;
        }
        for (key, p) in &self.policies {
            filed_plain("policy", key, &p.id)?;
            known("policy", &p.id, &p.account_id)?;
        }
        for (key, r) in &self.custom_roles {
            filed_plain("custom role", key, &r.id)?;
            known("custom role", &r.id, &r.account_id)?;
        }
        for (key, g) in &self.access_groups {
            filed_plain("access group", key, &g.id)?;
            known("access group", &g.id, &g.account_id)?;
        }
        for k in self.api_keys.values() {
            known("API key", &k.id, &k.account_id)?;
            let owner = users.contains(k.iam_id.as_str())
                || k.iam_id.strip_prefix("iam-").is_some_and(|id| {
                    self.service_ids.contains_key(id) || self.profiles.contains_key(id)
                });
            if !owner {
                return Err(UnknownOwner {
                    key: k.id.clone(),
                    owner: k.iam_id.clone(),
                });
            }
        }
        Ok(())
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// Who a seed's (or the admin API's) entity of `account` was created by, for its history:
    /// the account's owner, or `fallback` (the entity itself) in an account without users.
    pub fn creator_in(&self, account: &str, fallback: &str) -> String {
        self.account(account)
            .map(|a| a.owner_iam_id.as_str())
            .filter(|o| !o.is_empty())
            .unwrap_or(fallback)
            .to_owned()
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

    /// A service ID by ID, IAM ID or (as seeds name them) name.
    pub fn service_id_by_ref(&self, r: &str) -> Option<&ServiceId> {
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
