//! API keys kept with `--keyring NAME`: the secret in the secret store (the OS keyring, or
//! the file store only on explicit opt-in) under `<iam endpoint>|stored-key|<name>` (the keyring
//! prefixes the home), and what is needed to find and describe it (never the secret) in the
//! index `stored-keys.json` (0600).
//!
//! `stored-keys` lists them, `stored-key-delete` forgets one (the key stays valid in IAM), and
//! `login --keyring NAME` logs in with one. None of these talk to IAM, so none needs a login.

use super::record::Session;
use super::vault::Vault;
use super::{AuthError, Services, Warning};
use crate::home::{
    FileError, Home, create_private_dir, lock_exclusive, read_if_exists, write_atomic,
};
use crate::iam::identity::ApiKey;
use crate::secrets::{SecretId, StoreKind};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

const FILE: &str = "stored-keys.json";
const LOCK: &str = "stored-keys.lock";

/// What can go wrong with stored keys.
#[derive(Debug)]
pub enum StoredKeyError {
    InvalidName(String),
    NotFound(String),
    /// `--keyring NAME` on a create, and NAME is taken.
    Exists(String),
    /// The key belongs to another IAM than the login goes to.
    OtherEndpoint {
        name: String,
        key_iam: String,
        key_api: String,
        login_iam: String,
    },
    /// The index names a key whose secret is gone from the store.
    SecretMissing(String),
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    Encode(serde_json::Error),
    File(FileError),
    Store(Box<AuthError>),
}

impl std::fmt::Display for StoredKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredKeyError::InvalidName(name) => write!(
                f,
                "Invalid stored key name '{name}': use up to 64 letters, digits, '-', '_' and '.'."
            ),
            StoredKeyError::NotFound(name) => write!(f, "There is no stored key named '{name}'."),
            StoredKeyError::Exists(name) => write!(
                f,
                "A stored key named '{name}' already exists; no API key was created."
            ),
            StoredKeyError::OtherEndpoint {
                name,
                key_iam,
                login_iam,
                ..
            } => write!(
                f,
                "Stored key '{name}' belongs to IAM at {key_iam}, but this login goes to {login_iam}."
            ),
            StoredKeyError::SecretMissing(name) => write!(
                f,
                "The secret store has no secret for stored key '{name}' (it was removed outside iamctl)."
            ),
            StoredKeyError::Corrupt { path, source } => {
                write!(
                    f,
                    "{} is corrupt: {}",
                    path.display(),
                    crate::error::one_line(source)
                )
            }
            StoredKeyError::Encode(e) => write!(f, "Could not encode stored keys: {e}"),
            StoredKeyError::File(e) => e.fmt(f),
            StoredKeyError::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StoredKeyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoredKeyError::Corrupt { source, .. } | StoredKeyError::Encode(source) => Some(source),
            StoredKeyError::File(e) => Some(e),
            StoredKeyError::Store(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<FileError> for StoredKeyError {
    fn from(e: FileError) -> Self {
        StoredKeyError::File(e)
    }
}

impl From<AuthError> for StoredKeyError {
    fn from(e: AuthError) -> Self {
        StoredKeyError::Store(Box::new(e))
    }
}

impl From<crate::secrets::SecretError> for StoredKeyError {
    fn from(e: crate::secrets::SecretError) -> Self {
        StoredKeyError::Store(Box::new(e.into()))
    }
}

type Result<T, E = StoredKeyError> = std::result::Result<T, E>;

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
        Err(StoredKeyError::InvalidName(name.to_string()))
    }
}

pub fn load(home: &Home) -> Result<Vec<StoredKey>> {
    let path = path(home);
    match read_if_exists(&path)? {
        Some(bytes) => parse(&bytes).map_err(|source| StoredKeyError::Corrupt { path, source }),
        None => Ok(Vec::new()),
    }
}

/// The keys of `stored-keys.json` (also the fuzz target's way in).
pub fn parse(bytes: &[u8]) -> serde_json::Result<Vec<StoredKey>> {
    serde_json::from_slice::<Contents>(bytes).map(|c| c.keys)
}

/// `stored-keys.json` as `update` writes it: sorted by name.
pub fn encode(mut keys: Vec<StoredKey>) -> serde_json::Result<Vec<u8>> {
    keys.sort_by(|a, b| a.name.cmp(&b.name));
    crate::home::json_bytes(&Contents { keys })
}

/// Read-modify-write of `stored-keys.json` under its own lock.
fn update(home: &Home, f: impl FnOnce(&mut Vec<StoredKey>)) -> Result<()> {
    create_private_dir(&home.dir)?;
    let _lock = lock_exclusive(&home.file(LOCK))?;
    let mut keys = load(home)?;
    f(&mut keys);
    let bytes = encode(keys).map_err(StoredKeyError::Encode)?;
    Ok(write_atomic(&home.dir, &path(home), &bytes)?)
}

/// The stored key of this name, or exit 1 naming `stored-keys`.
pub fn find(home: &Home, name: &str) -> Result<StoredKey> {
    validate_name(name)?;
    load(home)?
        .into_iter()
        .find(|k| k.name == name)
        .ok_or_else(|| StoredKeyError::NotFound(name.to_string()))
}

/// The secret of a stored key, for `login --keyring NAME` against `iam_endpoint`.
pub fn secret_for_login(
    home: &Home,
    services: &Services,
    key: &StoredKey,
    iam_endpoint: &str,
) -> Result<String> {
    if key.iam_endpoint != iam_endpoint {
        return Err(StoredKeyError::OtherEndpoint {
            name: key.name.clone(),
            key_iam: key.iam_endpoint.clone(),
            key_api: key.api_endpoint.clone(),
            login_iam: iam_endpoint.to_string(),
        });
    }
    let vault = Vault::open(key.store, home, services)?;
    match vault.store().get(&key.secret_id())? {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        _ => Err(StoredKeyError::SecretMissing(key.name.clone())),
    }
}

/// A `--keyring NAME` destination, made ready (store reachable, name free or `-f`) before
/// the key is created.
pub struct Pending {
    name: String,
    home: Home,
    services: Services,
    vault: Vault,
    replaced: Option<StoredKey>,
    api_endpoint: String,
    iam_endpoint: String,
}

impl Pending {
    pub fn prepare(
        home: &Home,
        services: &Services,
        name: &str,
        force: bool,
        session: &Session,
    ) -> Result<Pending> {
        validate_name(name)?;
        let replaced = load(home)?.into_iter().find(|k| k.name == name);
        if replaced.is_some() && !force {
            return Err(StoredKeyError::Exists(name.to_string()));
        }
        let vault = Vault::configured(home, services)?;
        // Before IAM makes a key that would otherwise have nowhere to go.
        vault.probe()?;
        Ok(Pending {
            name: name.to_string(),
            home: home.clone(),
            services: services.clone(),
            vault,
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
            store: self.vault.kind(),
        };
        self.vault.store().set(&entry.secret_id(), secret)?;
        let name = self.name.clone();
        let stored = entry.clone();
        update(&self.home, move |keys| {
            keys.retain(|k| k.name != name);
            keys.push(stored);
        })
        .inspect_err(|_| {
            // Without its entry nobody would find the secret again: take it back out rather
            // than leave it behind unseen (the caller shows the key once instead).
            let _ = self.vault.store().delete(&entry.secret_id());
        })?;
        // A replaced entry under another endpoint or store would otherwise linger unseen.
        if let Some(old) = self.replaced
            && (old.secret_id() != entry.secret_id() || old.store != entry.store)
            && let Err(cause) = Vault::open(old.store, &self.home, &self.services)
                .and_then(|v| Ok(v.store().delete(&old.secret_id())?))
        {
            (self.services.warn)(Warning::ReplacedStoredKeyLeft {
                name: old.name.clone(),
                cause,
            });
        }
        Ok(())
    }
}

/// Forgets a stored key: its secret leaves the store, then its entry leaves the index. The
/// API key itself stays valid in IAM.
pub fn forget(home: &Home, services: &Services, key: &StoredKey) -> Result<()> {
    let vault = Vault::open(key.store, home, services)?;
    vault.store().delete(&key.secret_id())?;
    let name = key.name.clone();
    update(home, move |keys| keys.retain(|k| k.name != name))
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
        update(&home, move |keys| keys.push(k)).unwrap_or_else(|e| panic!("{e}"));
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
        update(&home, |keys| keys.clear()).unwrap_or_else(|e| panic!("{e}"));
        assert!(find(&home, "ci").is_err());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        prop_compose! {
            fn a_key()(
                (name, id, key_name, iam_id) in (any::<String>(), any::<String>(), any::<String>(), any::<String>()),
                (account_id, created_at, api_endpoint, iam_endpoint) in (any::<String>(), any::<String>(), any::<String>(), any::<String>()),
                file in any::<bool>(),
            ) -> StoredKey {
                let store = if file { StoreKind::File } else { StoreKind::Keyring };
                StoredKey { name, id, key_name, iam_id, account_id, created_at, api_endpoint, iam_endpoint, store }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// The index reads back as written: every key, sorted by name.
            #[test]
            fn the_index_survives_its_file(keys in proptest::collection::vec(a_key(), 0..5)) {
                let bytes = encode(keys.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let mut sorted = keys;
                sorted.sort_by(|a, b| a.name.cmp(&b.name));
                let back = parse(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, sorted);
            }
        }
    }
}
