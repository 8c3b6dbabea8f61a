//! API keys kept with `--keyring NAME`: the secret in the secret store (the OS keyring, or
//! the file store only on explicit opt-in) under `<iam endpoint>|stored-key|<name>` (the keyring
//! prefixes the home), what is
//! needed to find and describe it (never the secret) in `stored-keys.json` (0600).
//!
//! `stored-keys` lists them, `stored-key-delete` forgets one (the key stays valid in IAM), and
//! `login --keyring NAME` logs in with one. None of these talk to IAM, so none needs a login.

use super::confirm;
use crate::cli::{ListArgs, StoredKeyDeleteArgs};
use crate::error::{CliError, Result, io_error};
use crate::iam::identity::ApiKey;
use crate::output::Out;
use crate::secrets::{self, SecretId, SecretStore, StoreKind};
use crate::session::{Home, Session, create_private_dir, open_lock_file, write_atomic};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;

const FILE: &str = "stored-keys.json";
const LOCK: &str = "stored-keys.lock";

/// One stored key, as `stored-keys.json` and `stored-keys --output json` show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredKey {
    /// The name given to `--keyring`.
    pub name: String,
    /// The API key's ID (`ApiKey-...`).
    pub id: String,
    /// The API key's name in IAM.
    #[serde(default)]
    pub key_name: String,
    /// Whose key it is: `iam-ServiceId-...` or a user's IAM ID.
    pub iam_id: String,
    pub account_id: String,
    #[serde(default)]
    pub created_at: String,
    pub api_endpoint: String,
    pub iam_endpoint: String,
    /// Where the secret is.
    pub store: StoreKind,
}

impl StoredKey {
    fn secret_id(&self) -> SecretId {
        SecretId::stored_key(&self.iam_endpoint, &self.name)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Contents {
    #[serde(default)]
    keys: Vec<StoredKey>,
}

fn path(home: &Home) -> PathBuf {
    home.dir.join(FILE)
}

/// Names become part of keyring entries and shell commands: keep them plain.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "Invalid stored key name '{name}': use up to 64 letters, digits, '-', '_' and '.'."
        )))
    }
}

pub fn load(home: &Home) -> Result<Vec<StoredKey>> {
    let p = path(home);
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice::<Contents>(&bytes)
            .map(|c| c.keys)
            .map_err(|e| {
                CliError::failed(format!("{} is corrupt: {e}", p.display()))
                    .hint("fix or delete it; the secrets themselves are still in the secret store")
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io_error("read", &p, &e)),
    }
}

/// Read-modify-write of `stored-keys.json` under its own lock.
fn update(home: &Home, f: impl FnOnce(&mut Vec<StoredKey>)) -> Result<()> {
    create_private_dir(&home.dir)?;
    let lock_path = home.dir.join(LOCK);
    let lock = open_lock_file(&lock_path).map_err(|e| io_error("open", &lock_path, &e))?;
    lock.lock().map_err(|e| io_error("lock", &lock_path, &e))?;
    let mut keys = load(home)?;
    f(&mut keys);
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    let mut bytes = serde_json::to_vec_pretty(&Contents { keys })
        .map_err(|e| CliError::failed(format!("Could not encode stored keys: {e}")))?;
    bytes.push(b'\n');
    write_atomic(&home.dir, &path(home), &bytes)
}

/// The stored key of this name, or exit 1 naming `stored-keys`.
pub fn find(home: &Home, name: &str) -> Result<StoredKey> {
    validate_name(name)?;
    load(home)?
        .into_iter()
        .find(|k| k.name == name)
        .ok_or_else(|| {
            CliError::failed(format!("There is no stored key named '{name}'."))
                .hint("list them with 'iamctl stored-keys'")
        })
}

/// The secret of a stored key, for `login --keyring NAME` against `iam_endpoint`.
pub fn secret_for_login(home: &Home, key: &StoredKey, iam_endpoint: &str) -> Result<String> {
    if key.iam_endpoint != iam_endpoint {
        return Err(CliError::usage(format!(
            "Stored key '{}' belongs to IAM at {}, but this login goes to {iam_endpoint}.",
            key.name, key.iam_endpoint
        ))
        .hint(format!(
            "log in with -a {} (or leave -a out)",
            key.api_endpoint
        )));
    }
    let store = secrets::open(key.store, home)?;
    match store.get(&key.secret_id())? {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        _ => Err(CliError::failed(format!(
            "The secret store has no secret for stored key '{}' (it was removed outside iamctl).",
            key.name
        ))
        .hint(format!(
            "forget the entry with 'iamctl stored-key-delete {} -f'",
            key.name
        ))),
    }
}

/// A `--keyring NAME` destination, made ready (store reachable, name free or `-f`) before
/// the key is created.
pub struct Pending {
    name: String,
    home: Home,
    store: Box<dyn SecretStore>,
    replaced: Option<StoredKey>,
    api_endpoint: String,
    iam_endpoint: String,
}

impl Pending {
    pub fn prepare(name: &str, force: bool, session: &Session) -> Result<Pending> {
        validate_name(name)?;
        let home = Home::locate()?;
        let replaced = load(&home)?.into_iter().find(|k| k.name == name);
        if replaced.is_some() && !force {
            return Err(CliError::failed(format!(
                "A stored key named '{name}' already exists; no API key was created."
            ))
            .hint(
                "pass -f to replace it (its old secret is then forgotten), or choose another name",
            )
            .hint(format!(
                "or remove it first: 'iamctl stored-key-delete {name}'"
            )));
        }
        let kind = secrets::configured_kind(&home)?;
        let store = secrets::open(kind, &home)?;
        // Reading the entry proves the store answers (and is unlocked) before IAM makes a
        // key that would otherwise have nowhere to go.
        store.get(&SecretId::stored_key(&session.iam_endpoint, name))?;
        Ok(Pending {
            name: name.to_string(),
            home,
            store,
            replaced,
            api_endpoint: session.api_endpoint.clone(),
            iam_endpoint: session.iam_endpoint.clone(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stores the secret, then its description.
    pub fn commit(self, key: &ApiKey, secret: &str) -> Result<()> {
        let entry = StoredKey {
            name: self.name.clone(),
            id: key.id.clone(),
            key_name: key.name.clone(),
            iam_id: key.iam_id.clone(),
            account_id: key.account_id.clone(),
            created_at: key.created_at.clone(),
            api_endpoint: self.api_endpoint.clone(),
            iam_endpoint: self.iam_endpoint.clone(),
            store: self.store.kind(),
        };
        self.store.set(&entry.secret_id(), secret)?;
        let name = self.name.clone();
        let stored = entry.clone();
        update(&self.home, move |keys| {
            keys.retain(|k| k.name != name);
            keys.push(stored);
        })
        .inspect_err(|_| {
            // Without its entry nobody would find the secret again: take it back out rather
            // than leave it behind unseen (the caller shows the key once instead).
            let _ = self.store.delete(&entry.secret_id());
        })?;
        // A replaced entry under another endpoint or store would otherwise linger unseen.
        if let Some(old) = self.replaced
            && (old.secret_id() != entry.secret_id() || old.store != entry.store)
            && let Err(e) =
                secrets::open(old.store, &self.home).and_then(|s| s.delete(&old.secret_id()))
        {
            crate::output::warn(&format!(
                "could not delete the replaced secret of '{}': {}",
                old.name, e.message
            ));
        }
        Ok(())
    }
}

pub fn list(_args: &ListArgs, out: &Out) -> Result<()> {
    let home = Home::locate()?;
    let keys = load(&home)?;
    if out.json() {
        out.print_json(&keys);
        return Ok(());
    }
    if keys.is_empty() {
        out.say("No stored keys. Keep one with --keyring NAME on api-key-create or service-api-key-create.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.name.clone(),
                k.id.clone(),
                k.key_name.clone(),
                k.iam_id.clone(),
                k.account_id.clone(),
                k.created_at.clone(),
            ]
        })
        .collect();
    out.data(&out.table(
        &[
            "Name",
            "Key ID",
            "Key Name",
            "IAM ID",
            "Account",
            "Created At",
        ],
        &rows,
    ));
    Ok(())
}

pub fn delete(args: &StoredKeyDeleteArgs, out: &Out) -> Result<()> {
    let home = Home::locate()?;
    let key = find(&home, &args.name)?;
    confirm(
        &args.force,
        &format!(
            "Really remove stored key {} ({}) from this machine? The API key stays valid in IAM.",
            key.name, key.id
        ),
        &format!("remove stored key {}", key.name),
    )?;
    out.say(&format!("Removing stored key {}...", out.em(&key.name)));
    let store = secrets::open(key.store, &home)?;
    store.delete(&key.secret_id())?;
    let name = key.name.clone();
    update(&home, move |keys| keys.retain(|k| k.name != name))?;
    if out.json() {
        out.print_json(&json!({ "name": key.name, "id": key.id, "deleted": true }));
        return Ok(());
    }
    out.ok();
    out.say(&format!(
        "Stored key {} is removed. API key {} still exists in IAM; delete it there with 'iamctl api-key-delete' or 'iamctl service-api-key-delete' if it is no longer needed.",
        out.em(&key.name),
        key.id
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain() {
        assert!(validate_name("ci-key_1.prod").is_ok());
        for bad in ["", "-x", ".x", "a b", "a|b", "a/b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_round_trips_privately_without_secrets() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let home = Home {
            dir: tmp.path().join("h"),
        };
        assert_eq!(load(&home).map(|k| k.len()).ok(), Some(0));
        let key = StoredKey {
            name: "ci".into(),
            id: "ApiKey-1".into(),
            key_name: "k".into(),
            iam_id: "iam-ServiceId-1".into(),
            account_id: "acc".into(),
            created_at: "2026-01-01T00:00+0000".into(),
            api_endpoint: "https://cloud.ibm.com".into(),
            iam_endpoint: "https://iam.cloud.ibm.com".into(),
            store: StoreKind::Keyring,
        };
        let k = key.clone();
        update(&home, move |keys| keys.push(k)).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(find(&home, "ci").ok(), Some(key.clone()));
        assert!(find(&home, "other").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(&home))
                .map(|m| m.permissions().mode() & 0o777)
                .ok();
            assert_eq!(mode, Some(0o600));
        }
        assert_eq!(
            key.secret_id().user(),
            "https://iam.cloud.ibm.com|stored-key|ci"
        );
        update(&home, |keys| keys.clear()).unwrap_or_else(|e| panic!("{}", e.message));
        assert!(find(&home, "ci").is_err());
    }
}
