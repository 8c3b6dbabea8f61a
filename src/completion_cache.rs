//! What TAB offers for values IAM knows (accounts, resource groups, service IDs, your own API
//! keys): `completion-cache.json` in the iamctl home, filled by the commands that already fetch
//! those lists, read by the TAB engine (`complete.rs`).
//!
//! Names and IDs only, never a token or key; keyed by IAM endpoint and account (and identity,
//! for the account list and API keys) so another account's names are never offered. A missing
//! or corrupt cache simply gives no candidates; writing it never fails a command.

use crate::home::{Home, open_lock_file, write_atomic};
use crate::iam::{Account, ResourceGroup};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const CACHE_FILE: &str = "completion-cache.json";
const CACHE_LOCK: &str = "completion-cache.lock";
const CACHE_VERSION: u32 = 1;
/// Bounds the file (and TAB's parse time) for accounts with huge numbers of service IDs.
const MAX_ENTRIES: usize = 5000;
/// How long a command waits for another iamctl writing the cache before giving up (silently).
const LOCK_WAIT: Duration = Duration::from_millis(500);

/// One cached thing: its ID and its name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cache {
    #[serde(default)]
    version: u32,
    /// The accounts an identity can use, by `<iam endpoint>|<iam_id>`.
    #[serde(default)]
    accounts: BTreeMap<String, Vec<Entry>>,
    /// Resource groups, by `<iam endpoint>|<account id>`.
    #[serde(default)]
    resource_groups: BTreeMap<String, Vec<Entry>>,
    /// Service IDs, by `<iam endpoint>|<account id>`.
    #[serde(default)]
    service_ids: BTreeMap<String, Vec<Entry>>,
    /// The logged-in identity's own API keys, by `<iam endpoint>|<account id>|<iam_id>`.
    #[serde(default)]
    api_keys: BTreeMap<String, Vec<Entry>>,
    /// Trusted profiles, by `<iam endpoint>|<account id>`.
    #[serde(default)]
    trusted_profiles: BTreeMap<String, Vec<Entry>>,
    /// Access groups, by `<iam endpoint>|<account id>`.
    #[serde(default)]
    access_groups: BTreeMap<String, Vec<Entry>>,
    /// Policies (access and authorization), by `<iam endpoint>|<account id>`.
    #[serde(default)]
    policies: BTreeMap<String, Vec<PolicyEntry>>,
    /// The roles of a service (`""`: the platform's), by `<iam endpoint>|<account id>|<service>`.
    #[serde(default)]
    roles: BTreeMap<String, Vec<Entry>>,
    /// Service names seen in policies and role lists, by `<iam endpoint>|<account id>`.
    #[serde(default)]
    services: BTreeMap<String, Vec<String>>,
}

fn key(iam_endpoint: &str, id: &str) -> String {
    format!("{iam_endpoint}|{id}")
}

/// The key of an identity's own API keys, from its account's `key`.
fn own_keys_key(in_account: &str, iam_id: &str) -> String {
    format!("{in_account}|{iam_id}")
}

fn cache_path(home: &Home) -> PathBuf {
    home.dir.join(CACHE_FILE)
}

/// The cache as it is on disk; anything unreadable counts as empty.
fn read_cache(home: &Home) -> Cache {
    crate::home::read_if_exists(&cache_path(home))
        .ok()
        .flatten()
        .and_then(|b| parse(&b))
        .unwrap_or_default()
}

/// The cache in a file's bytes; `None` for anything unreadable or of another version.
pub fn parse(bytes: &[u8]) -> Option<Cache> {
    serde_json::from_slice::<Cache>(bytes)
        .ok()
        .filter(|c| c.version == CACHE_VERSION)
}

/// The file's bytes for a cache.
pub fn encode(cache: &Cache) -> Option<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(cache).ok()?;
    bytes.push(b'\n');
    Some(bytes)
}

/// Read-modify-write of the cache under its own lock. Best effort: any failure (no home, a
/// busy lock, a full disk) leaves the cache as it was and the command undisturbed.
fn update(home: &Home, change: impl FnOnce(&mut Cache)) {
    let _ = try_update(home, change);
}

fn try_update(home: &Home, change: impl FnOnce(&mut Cache)) -> Option<()> {
    // The commands that fill the cache have a session, so the home exists; never create it
    // just for the cache.
    if !home.dir.is_dir() {
        return None;
    }
    let lock = open_lock_file(&home.file(CACHE_LOCK)).ok()?;
    let start = Instant::now();
    loop {
        match lock.try_lock() {
            Ok(()) => break,
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return None,
        }
    }
    let mut cache = read_cache(home);
    cache.version = CACHE_VERSION;
    change(&mut cache);
    let bytes = encode(&cache)?;
    write_atomic(&home.dir, &cache_path(home), &bytes).ok()
}

fn entries<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Entry> {
    let mut v: Vec<Entry> = items
        .into_iter()
        .map(|(id, name)| Entry {
            id: id.to_string(),
            name: name.to_string(),
        })
        .take(MAX_ENTRIES)
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    v
}

/// After a `login` or `target` is saved: the accounts the identity can use and an account's
/// resource groups, whichever the command fetched (what TAB offers for `-c` and `-g`).
pub fn remember_targets(
    home: &Home,
    iam_endpoint: &str,
    iam_id: &str,
    accounts: Option<&[Account]>,
    groups: Option<&(String, Vec<ResourceGroup>)>,
) {
    update(home, |c| {
        if let Some(accounts) = accounts {
            let list = entries(accounts.iter().map(|a| (a.guid.as_str(), a.name.as_str())));
            c.accounts.insert(key(iam_endpoint, iam_id), list);
        }
        if let Some((account_id, groups)) = groups {
            let list = entries(groups.iter().map(|g| (g.guid.as_str(), g.name.as_str())));
            c.resource_groups
                .insert(key(iam_endpoint, account_id), list);
        }
    });
}

/// Something IAM lists with an ID and a name.
pub trait Named {
    fn id(&self) -> &str;
    fn name(&self) -> &str;
}

impl Named for crate::iam::identity::ServiceId {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for crate::iam::identity::TrustedProfile {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

impl Named for crate::iam::identity::ApiKey {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// What a command learnt about a list of service IDs or API keys.
pub enum Learnt<'a, T: Named> {
    /// The complete list (`service-ids`, `api-keys`): replaces what was cached.
    All(&'a [T]),
    /// Some that exist now (created, shown, renamed, locked): added or updated by ID.
    Seen(&'a [T]),
    /// One that was deleted.
    Deleted(&'a str),
}

impl<T: Named> Learnt<'_, T> {
    fn apply(self, list: &mut Vec<Entry>) {
        let pairs = |items: &[T]| entries(items.iter().map(|x| (x.id(), x.name())));
        match self {
            Learnt::All(all) => *list = pairs(all),
            Learnt::Seen(seen) => {
                list.retain(|e| !seen.iter().any(|s| s.id() == e.id));
                list.extend(pairs(seen));
                list.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
                list.truncate(MAX_ENTRIES);
            }
            Learnt::Deleted(id) => list.retain(|e| e.id != id),
        }
    }
}

pub fn remember_service_ids(
    home: &Home,
    iam_endpoint: &str,
    account_id: &str,
    what: Learnt<crate::iam::identity::ServiceId>,
) {
    update(home, |c| {
        what.apply(
            c.service_ids
                .entry(key(iam_endpoint, account_id))
                .or_default(),
        );
    });
}

pub fn remember_profiles(
    home: &Home,
    iam_endpoint: &str,
    account_id: &str,
    what: Learnt<crate::iam::identity::TrustedProfile>,
) {
    update(home, |c| {
        what.apply(
            c.trusted_profiles
                .entry(key(iam_endpoint, account_id))
                .or_default(),
        );
    });
}

pub fn remember_api_keys(
    home: &Home,
    iam_endpoint: &str,
    account_id: &str,
    iam_id: &str,
    what: Learnt<crate::iam::identity::ApiKey>,
) {
    update(home, |c| {
        what.apply(
            c.api_keys
                .entry(own_keys_key(&key(iam_endpoint, account_id), iam_id))
                .or_default(),
        );
    });
}

// ---- access: groups, policies, roles, services -------------------------------------------

impl Named for crate::iam::access::AccessGroup {
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// A policy TAB offers: its ID, whose it is (the names the subject was given by: name and
/// ID), and a summary for the help text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PolicyEntry {
    pub id: String,
    #[serde(default)]
    pub subject: Vec<String>,
    #[serde(default)]
    pub summary: String,
}

/// What a command learnt about policies.
pub enum PoliciesLearnt<'a> {
    /// Every policy of one subject (`user-policies`, ...): replaces that subject's.
    AllOf {
        subject: &'a [String],
        policies: Vec<PolicyEntry>,
    },
    /// Some that exist now (created, updated, shown).
    Seen(Vec<PolicyEntry>),
    /// Some that exist now, listed without their subject's names (the account's listings):
    /// one already known keeps its entry.
    Listed(Vec<PolicyEntry>),
    Deleted(&'a str),
}

pub fn remember_access_groups(
    home: &Home,
    iam_endpoint: &str,
    account_id: &str,
    what: Learnt<crate::iam::access::AccessGroup>,
) {
    update(home, |c| {
        what.apply(
            c.access_groups
                .entry(key(iam_endpoint, account_id))
                .or_default(),
        );
    });
}

pub fn remember_policies(home: &Home, iam_endpoint: &str, account_id: &str, what: PoliciesLearnt) {
    update(home, |c| {
        let list = c.policies.entry(key(iam_endpoint, account_id)).or_default();
        match what {
            PoliciesLearnt::AllOf { subject, policies } => {
                list.retain(|p| !p.subject.iter().any(|s| subject.contains(s)));
                list.extend(policies);
            }
            PoliciesLearnt::Seen(seen) => {
                list.retain(|p| !seen.iter().any(|s| s.id == p.id));
                list.extend(seen);
            }
            PoliciesLearnt::Listed(listed) => {
                let new: Vec<PolicyEntry> = listed
                    .into_iter()
                    .filter(|l| !list.iter().any(|p| p.id == l.id))
                    .collect();
                list.extend(new);
            }
            PoliciesLearnt::Deleted(id) => list.retain(|p| p.id != id),
        }
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list.dedup_by(|a, b| a.id == b.id);
        list.truncate(MAX_ENTRIES);
    });
}

/// The roles `/v2/roles` listed for a service (`""`: no service), and the service's name.
pub fn remember_roles(
    home: &Home,
    iam_endpoint: &str,
    account_id: &str,
    service: &str,
    roles: &[(&str, &str)],
) {
    update(home, |c| {
        let in_account = key(iam_endpoint, account_id);
        c.roles
            .insert(key(&in_account, service), entries(roles.iter().copied()));
        if !service.is_empty() {
            add_services(c, &in_account, &[service]);
        }
    });
}

/// A custom role just created (`role-create`): added to its service's roles if TAB knows
/// them (a list of that one role would hide the others), and the service remembered.
pub fn add_role(
    home: &Home,
    iam_endpoint: &str,
    account_id: &str,
    service: &str,
    role: (&str, &str),
) {
    update(home, |c| {
        let in_account = key(iam_endpoint, account_id);
        if let Some(list) = c.roles.get_mut(&key(&in_account, service)) {
            let others = list.iter().filter(|e| e.id != role.0);
            let pairs = others.map(|e| (e.id.as_str(), e.name.as_str()));
            *list = entries(pairs.chain([role]).collect::<Vec<_>>());
        }
        add_services(c, &in_account, &[service]);
    });
}

/// Service names seen (in policies, on the command line of a command that succeeded).
pub fn remember_services(home: &Home, iam_endpoint: &str, account_id: &str, names: &[&str]) {
    if names.is_empty() {
        return;
    }
    update(home, |c| {
        add_services(c, &key(iam_endpoint, account_id), names)
    });
}

fn add_services(c: &mut Cache, in_account: &str, names: &[&str]) {
    let list = c.services.entry(in_account.to_string()).or_default();
    list.extend(
        names
            .iter()
            .filter(|n| !n.is_empty())
            .map(|n| n.to_string()),
    );
    list.sort();
    list.dedup();
    list.truncate(MAX_ENTRIES);
}

pub fn policies(home: &Home, iam_endpoint: &str, account_id: &str) -> Vec<PolicyEntry> {
    read_cache(home)
        .policies
        .get(&key(iam_endpoint, account_id))
        .cloned()
        .unwrap_or_default()
}

pub fn roles(home: &Home, iam_endpoint: &str, account_id: &str, service: &str) -> Vec<Entry> {
    read_cache(home)
        .roles
        .get(&key(&key(iam_endpoint, account_id), service))
        .cloned()
        .unwrap_or_default()
}

pub fn services(home: &Home, iam_endpoint: &str, account_id: &str) -> Vec<String> {
    read_cache(home)
        .services
        .get(&key(iam_endpoint, account_id))
        .cloned()
        .unwrap_or_default()
}

// ---- what TAB reads -------------------------------------------------------------------------

/// The accounts an identity can use; with no identity (logged out), those of every identity
/// cached for the IAM endpoint.
pub fn accounts(home: &Home, iam_endpoint: &str, iam_id: Option<&str>) -> Vec<Entry> {
    let cache = read_cache(home);
    match iam_id {
        Some(id) => cache
            .accounts
            .get(&key(iam_endpoint, id))
            .cloned()
            .unwrap_or_default(),
        None => {
            let prefix = format!("{iam_endpoint}|");
            cache
                .accounts
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .flat_map(|(_, v)| v.iter().cloned())
                .collect()
        }
    }
}

/// Which account-scoped list TAB wants.
#[derive(Debug, Clone, Copy)]
pub enum InAccount {
    ResourceGroups,
    ServiceIds,
    /// The identity's own API keys.
    ApiKeys,
    TrustedProfiles,
    AccessGroups,
}

/// An account-scoped list for the identity `iam_id` in `account_id`.
pub fn in_account(
    home: &Home,
    what: InAccount,
    iam_endpoint: &str,
    account_id: &str,
    iam_id: &str,
) -> Vec<Entry> {
    let cache = read_cache(home);
    let in_account = key(iam_endpoint, account_id);
    let list = match what {
        InAccount::ResourceGroups => cache.resource_groups.get(&in_account),
        InAccount::ServiceIds => cache.service_ids.get(&in_account),
        InAccount::ApiKeys => cache.api_keys.get(&own_keys_key(&in_account, iam_id)),
        InAccount::TrustedProfiles => cache.trusted_profiles.get(&in_account),
        InAccount::AccessGroups => cache.access_groups.get(&in_account),
    };
    list.cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_updates_are_keyed_and_survive_corruption() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let home = Home {
            dir: tmp.path().to_path_buf(),
        };
        fs::write(cache_path(&home), b"{not json").unwrap_or_else(|e| panic!("{e}"));
        let sid = |id: &str, name: &str| -> crate::iam::identity::ServiceId {
            serde_json::from_value(serde_json::json!({ "id": id, "name": name }))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let all = [sid("ServiceId-2", "b"), sid("ServiceId-1", "a")];
        remember_service_ids(&home, "iam", "acct", Learnt::All(&all));
        remember_service_ids(
            &home,
            "iam",
            "acct",
            Learnt::Seen(&[sid("ServiceId-2", "c")]),
        );
        remember_service_ids(&home, "iam", "acct", Learnt::Deleted("ServiceId-1"));
        remember_service_ids(
            &home,
            "iam",
            "other",
            Learnt::Seen(&[sid("ServiceId-9", "z")]),
        );
        let cache = read_cache(&home);
        assert_eq!(
            cache.service_ids.get("iam|acct"),
            Some(&vec![Entry {
                id: "ServiceId-2".into(),
                name: "c".into()
            }])
        );
        assert_eq!(cache.service_ids.get("iam|other").map(Vec::len), Some(1));
        // API keys are kept per identity too: another user's keys in the account stay apart.
        let key = |id: &str, name: &str| -> crate::iam::identity::ApiKey {
            serde_json::from_value(serde_json::json!({ "id": id, "name": name }))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        remember_api_keys(
            &home,
            "iam",
            "acct",
            "me",
            Learnt::All(&[key("ApiKey-1", "k")]),
        );
        remember_api_keys(
            &home,
            "iam",
            "acct",
            "you",
            Learnt::All(&[key("ApiKey-2", "y")]),
        );
        let cache = read_cache(&home);
        assert_eq!(
            cache.api_keys.get("iam|acct|me"),
            Some(&vec![Entry {
                id: "ApiKey-1".into(),
                name: "k".into()
            }])
        );
        assert_eq!(cache.api_keys.get("iam|acct|you").map(Vec::len), Some(1));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(cache_path(&home)).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
    }

    mod props {
        use super::super::*;
        use proptest::collection::{btree_map, vec};
        use proptest::prelude::*;

        fn lists() -> impl Strategy<Value = BTreeMap<String, Vec<Entry>>> {
            let entry =
                (any::<String>(), any::<String>()).prop_map(|(id, name)| Entry { id, name });
            btree_map(any::<String>(), vec(entry, 0..4), 0..3)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// Whatever the cache holds, TAB reads back from the file a command writes.
            #[test]
            fn the_cache_survives_its_file(
                (accounts, resource_groups, service_ids) in (lists(), lists(), lists()),
                (api_keys, trusted_profiles, access_groups, roles) in (lists(), lists(), lists(), lists()),
                policy in (any::<String>(), vec(any::<String>(), 0..3), any::<String>()),
                services in btree_map(any::<String>(), vec(any::<String>(), 0..3), 0..3),
            ) {
                let (id, subject, summary) = policy;
                let mut policies = BTreeMap::new();
                policies.insert(id.clone(), vec![PolicyEntry { id, subject, summary }]);
                let cache = Cache {
                    version: CACHE_VERSION,
                    accounts,
                    resource_groups,
                    service_ids,
                    api_keys,
                    trusted_profiles,
                    access_groups,
                    policies,
                    roles,
                    services,
                };
                let bytes = encode(&cache).ok_or_else(|| TestCaseError::fail("no bytes"))?;
                prop_assert_eq!(parse(&bytes), Some(cache));
            }
        }
    }
}
