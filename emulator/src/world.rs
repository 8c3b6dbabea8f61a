//! The data model: accounts, users, service IDs, API keys, resource groups. Built from a seed,
//! persisted whole by `state.rs`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::seed::Seed;
use crate::util::{SEED_EPOCH, stable_uuid};

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

/// Who a token speaks for.
#[derive(Debug, Clone, Copy)]
pub enum Principal<'a> {
    User(&'a User),
    Service(&'a ServiceId),
}

impl Principal<'_> {
    pub fn belongs_to(&self, account_id: &str) -> bool {
        match self {
            Principal::User(u) => u.accounts.iter().any(|a| a == account_id),
            Principal::Service(s) => s.account_id == account_id,
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
        Ok(w)
    }

    /// Rebuilds lookup indexes after deserialising a persisted world.
    pub fn reindex(&mut self) {
        self.by_value = self
            .api_keys
            .values()
            .map(|k| (k.value.clone(), k.id.clone()))
            .collect();
    }

    pub fn take_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
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
        self.service_ids.get(id).map(Principal::Service)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{DEMO_ACCOUNT, DEMO_APIKEY, DEMO_SERVICE_APIKEY};

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
