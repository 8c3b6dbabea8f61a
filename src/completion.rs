//! Shell completion: the TAB-time engine, the registration scripts, and the small cache that
//! value completion reads.
//!
//! Structure and values both come from the clap definition in `cli.rs` through
//! clap_complete's dynamic engine: the shell's script calls `IAMCTL_COMPLETE=<shell> iamctl --
//! <words>` on every TAB, and `answer_tab_if_asked` (the first thing `main` does) prints the
//! candidates and exits. Without that variable it costs one environment lookup.
//!
//! Values that IAM knows (accounts, resource groups, service IDs, your own API keys) are
//! offered from
//! `completion-cache.json` in the iamctl home, which the commands that already fetch them fill
//! on success. Names and IDs only, never a token or key; keyed by IAM endpoint and account (and
//! identity, for the account list and API keys) so another account's names are never offered. TAB reads
//! that file, the session files and `stored-keys.json`: never the network, never the keyring.
//! A missing or corrupt cache simply gives no candidates; writing it never fails a command.

use crate::cli::CompletionShell;
use crate::session::{Home, Login, ResourceGroup, Session, open_lock_file, write_atomic};
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::EnvCompleter;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The variable the registration scripts set to ask for candidates. Not clap's default
/// `COMPLETE`, so a stray `COMPLETE=...` in someone's environment cannot hijack iamctl.
pub const ENV_VAR: &str = "IAMCTL_COMPLETE";
/// What the scripts call: `iamctl` as found on PATH, so the committed scripts are portable.
const BIN: &str = "iamctl";
const CACHE_FILE: &str = "completion-cache.json";
const CACHE_LOCK: &str = "completion-cache.lock";
const CACHE_VERSION: u32 = 1;
/// Bounds the file (and TAB's parse time) for accounts with huge numbers of service IDs.
const MAX_ENTRIES: usize = 5000;
/// How long a command waits for another iamctl writing the cache before giving up (silently).
const LOCK_WAIT: Duration = Duration::from_millis(500);

/// Answers a completion request and exits when `IAMCTL_COMPLETE` is set; otherwise returns
/// at once without building the clap tree.
pub fn answer_tab_if_asked() {
    if std::env::var_os(ENV_VAR).is_none() {
        return;
    }
    clap_complete::CompleteEnv::with_factory(crate::cli::command)
        .var(ENV_VAR)
        .bin(BIN)
        .completer(BIN)
        .complete();
}

/// The registration script for a shell: what `iamctl completion SHELL` prints and what
/// `completions/` holds.
pub fn registration(shell: CompletionShell) -> Vec<u8> {
    use clap_complete::env::{Bash, Elvish, Fish, Powershell, Zsh};
    let adapter: &dyn EnvCompleter = match shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
        CompletionShell::Powershell => &Powershell,
        CompletionShell::Elvish => &Elvish,
    };
    let mut buf = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = adapter.write_registration(ENV_VAR, BIN, BIN, BIN, &mut buf);
    buf
}

// ---- the cache ---------------------------------------------------------------------------

/// One cached thing: its ID and its name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Entry {
    id: String,
    name: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
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
    fs::read(cache_path(home))
        .ok()
        .and_then(|b| serde_json::from_slice::<Cache>(&b).ok())
        .filter(|c| c.version == CACHE_VERSION)
        .unwrap_or_default()
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
    let lock = open_lock_file(&home.dir.join(CACHE_LOCK)).ok()?;
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
    let mut bytes = serde_json::to_vec_pretty(&cache).ok()?;
    bytes.push(b'\n');
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
    accounts: Option<&[crate::session::Account]>,
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

// ---- TAB time: candidates ----------------------------------------------------------------

/// What TAB knows: the home and the session the completed command would use.
struct Context {
    home: Home,
    session: Option<Session>,
}

/// `--session NAME` / `--session=NAME` among the words being completed (the shell passes
/// them after `--`), so `iamctl --session prod target -c <TAB>` offers prod's accounts.
fn session_in_words(words: &[OsString]) -> Option<String> {
    let words: Vec<&str> = words.iter().filter_map(|w| w.to_str()).collect();
    let start = words.iter().position(|w| *w == "--").map_or(0, |i| i + 1);
    let words = &words[start..];
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        if *w == "--session" {
            found = words.get(i + 1).map(|s| s.to_string());
        } else if let Some(v) = w.strip_prefix("--session=") {
            found = Some(v.to_string());
        }
    }
    found.filter(|s| !s.is_empty())
}

fn context() -> Option<Context> {
    let home = Home::locate().ok()?;
    let args: Vec<OsString> = std::env::args_os().collect();
    let name = match session_in_words(&args) {
        Some(n) => n,
        None => home.active_session_name().ok()?,
    };
    let session = home.store(&name).ok()?.load().ok().flatten();
    Some(Context { home, session })
}

impl Context {
    fn login(&self) -> Option<&Login> {
        self.session.as_ref()?.login.as_ref()
    }

    fn account_id(&self) -> Option<&str> {
        self.login()?.account.as_ref().map(|a| a.guid.as_str())
    }

    fn iam_endpoint(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.iam_endpoint.as_str())
    }

    fn iam_id(&self) -> Option<&str> {
        self.login().map(|l| l.iam_id.as_str())
    }
}

/// By ID (help: the name), or by name (help: the ID). Names need not be unique (service IDs):
/// a name several entries share would be an ambiguous argument, so those are offered by ID.
fn candidates(list: &[Entry], by_name: bool) -> Vec<CompletionCandidate> {
    let shared = |name: &str| list.iter().filter(|e| e.name == name).count() > 1;
    list.iter()
        .map(|e| {
            if by_name && !shared(&e.name) {
                CompletionCandidate::new(&e.name).help(Some(e.id.clone().into()))
            } else {
                CompletionCandidate::new(&e.id).help(Some(e.name.clone().into()))
            }
        })
        .collect()
}

/// `-c ACCOUNT_ID`: the accounts of the session's identity (after a logout, of every
/// identity cached for the session's IAM endpoint), with the account name as help.
pub fn account_candidates() -> Vec<CompletionCandidate> {
    let Some(ctx) = context() else {
        return Vec::new();
    };
    let Some(iam) = ctx.iam_endpoint() else {
        return Vec::new();
    };
    let cache = read_cache(&ctx.home);
    let list: Vec<Entry> = match ctx.iam_id() {
        Some(id) => cache
            .accounts
            .get(&key(iam, id))
            .cloned()
            .unwrap_or_default(),
        None => {
            let prefix = format!("{iam}|");
            cache
                .accounts
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .flat_map(|(_, v)| v.iter().cloned())
                .collect()
        }
    };
    candidates(&list, false)
}

/// `-g RESOURCE_GROUP`: the targeted account's resource groups, by name, with the ID as help.
pub fn resource_group_candidates() -> Vec<CompletionCandidate> {
    account_scoped(|cache, in_account, _| cache.resource_groups.get(in_account).cloned())
}

/// Every `SERVICE_ID` / service-ID `NAME|ID`: the targeted account's service IDs, by name,
/// with the ID as help.
pub fn service_id_candidates() -> Vec<CompletionCandidate> {
    account_scoped(|cache, in_account, _| cache.service_ids.get(in_account).cloned())
}

/// `api-key NAME|ID` and its siblings: the logged-in identity's own API keys in the targeted
/// account, by name, with the ID as help.
pub fn api_key_candidates() -> Vec<CompletionCandidate> {
    account_scoped(|cache, in_account, iam_id| {
        cache
            .api_keys
            .get(&own_keys_key(in_account, iam_id))
            .cloned()
    })
}

/// The cached list of the targeted account that `pick` finds, given the key
/// `<iam endpoint>|<account id>` and the session's `iam_id`.
fn account_scoped(
    pick: impl Fn(&Cache, &str, &str) -> Option<Vec<Entry>>,
) -> Vec<CompletionCandidate> {
    let Some(ctx) = context() else {
        return Vec::new();
    };
    let (Some(iam), Some(account), Some(iam_id)) =
        (ctx.iam_endpoint(), ctx.account_id(), ctx.iam_id())
    else {
        return Vec::new();
    };
    let cache = read_cache(&ctx.home);
    let list = pick(&cache, &key(iam, account), iam_id).unwrap_or_default();
    candidates(&list, true)
}

/// `-r REGION`: IBM Cloud's public regions (the only ones `-r` accepts), with their city.
pub fn region_candidates() -> Vec<CompletionCandidate> {
    crate::commands::REGIONS
        .iter()
        .map(|(name, city)| CompletionCandidate::new(*name).help(Some((*city).into())))
        .collect()
}

/// `--session NAME`, `session-switch NAME`, `session-delete NAME`: the sessions on disk, with
/// who is logged in to which account as help.
pub fn session_candidates() -> Vec<CompletionCandidate> {
    let Ok(home) = Home::locate() else {
        return Vec::new();
    };
    let Ok(names) = home.session_names() else {
        return Vec::new();
    };
    names
        .into_iter()
        .map(|name| {
            let session = home.store(&name).ok().and_then(|s| s.load().ok().flatten());
            let help = match session.as_ref().and_then(|s| s.login.as_ref()) {
                Some(l) => match &l.account {
                    Some(a) => format!("{}, {}", l.user, a.name),
                    None => l.user.clone(),
                },
                None => "logged out".to_string(),
            };
            CompletionCandidate::new(name).help(Some(help.into()))
        })
        .collect()
}

/// `login --keyring NAME`, `stored-key-delete NAME`: the names in `stored-keys.json` (the
/// index, never the keyring), with the key's IAM name and account as help.
pub fn stored_key_candidates() -> Vec<CompletionCandidate> {
    let Ok(home) = Home::locate() else {
        return Vec::new();
    };
    crate::commands::stored_keys::load(&home)
        .unwrap_or_default()
        .into_iter()
        .map(|k| {
            let help = if k.key_name.is_empty() {
                format!("account {}", k.account_id)
            } else {
                format!("{}, account {}", k.key_name, k.account_id)
            };
            CompletionCandidate::new(k.name).help(Some(help.into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_session_flag_is_found_among_the_completed_words() {
        let w = os(&[
            "iamctl",
            "--",
            "iamctl",
            "--session",
            "prod",
            "target",
            "-c",
            "",
        ]);
        assert_eq!(session_in_words(&w).as_deref(), Some("prod"));
        let w = os(&["iamctl", "--", "iamctl", "--session=ci", "service-id", ""]);
        assert_eq!(session_in_words(&w).as_deref(), Some("ci"));
        let w = os(&["iamctl", "--", "iamctl", "--session", ""]);
        assert_eq!(session_in_words(&w), None);
        let w = os(&["iamctl", "--", "iamctl", "service-id", ""]);
        assert_eq!(session_in_words(&w), None);
    }

    #[test]
    fn every_region_has_a_city() {
        let offered = region_candidates();
        assert_eq!(offered.len(), crate::commands::REGIONS.len());
        for c in offered {
            assert!(
                c.get_help().is_some_and(|h| !h.to_string().is_empty()),
                "{c:?}"
            );
        }
    }

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

    #[test]
    fn shared_names_are_offered_by_id() {
        let e = |id: &str, name: &str| Entry {
            id: id.into(),
            name: name.into(),
        };
        let list = vec![
            e("ServiceId-1", "dup"),
            e("ServiceId-2", "dup"),
            e("ServiceId-3", "one"),
        ];
        let values = |c: Vec<CompletionCandidate>| {
            c.iter()
                .map(|c| c.get_value().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            values(candidates(&list, true)),
            ["ServiceId-1", "ServiceId-2", "one"]
        );
        assert_eq!(
            values(candidates(&list, false)),
            ["ServiceId-1", "ServiceId-2", "ServiceId-3"]
        );
    }

    #[test]
    fn every_shell_has_a_registration_naming_the_variable() {
        use clap::ValueEnum;
        for shell in CompletionShell::value_variants() {
            let script = String::from_utf8(registration(*shell)).unwrap_or_default();
            assert!(script.contains(ENV_VAR), "{shell:?}:\n{script}");
        }
    }
}
