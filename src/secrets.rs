//! Where refresh tokens and API keys live: the OS keyring (through `keyring-core` and the
//! platform store crates) or, only on explicit opt-in, a plain file store.
//!
//! Keyring entries: service `iamctl`, user
//! `<iamctl home>|<iam endpoint>|<session>|<iam_id>|<kind>`, so different homes
//! (`IAMCTL_HOME`), IAM environments, sessions and identities never collide. When no keyring
//! is reachable and the user has not opted in to the file store, every command that needs a
//! secret fails closed (exit 6) and says how to get a keyring or opt in.

use crate::home::{FileError, Home, create_private_dir, lock_exclusive, write_atomic};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub const SERVICE: &str = "iamctl";
/// Keyring calls can hang (a locked collection waiting for a prompt nobody sees, a Secret
/// Service that takes the call and never answers); bound them. `IAMCTL_KEYRING_TIMEOUT`
/// (seconds) overrides.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(20);
pub const KEYRING_TIMEOUT_VAR: &str = "IAMCTL_KEYRING_TIMEOUT";
/// Tries of one keyring operation whose item vanished under it (another process replaced or
/// deleted it between the search and the read or write): each try searches again.
const VANISHED_TRIES: u32 = 8;

/// What can go wrong with a secret store.
#[derive(Debug)]
pub enum SecretError {
    /// The OS keyring cannot be used: `detail` is its own words (or that it did not answer in
    /// time). `home` names where the file store would be, for the way out.
    Unreachable {
        detail: String,
        home: PathBuf,
        source: Option<keyring_core::Error>,
    },
    /// `IAMCTL_KEYRING_TIMEOUT` is not a number of seconds.
    BadTimeout(String),
    /// The keyring item kept vanishing between iamctl's search and its read or write: other
    /// processes are replacing the same secret right now. The keyring itself works.
    Contended {
        tries: u32,
        source: keyring_core::Error,
    },
    /// Too few file descriptors are free for the keyring client (open, limit).
    Descriptors {
        open: u64,
        limit: u64,
    },
    /// The opt-in file store could not be read or written.
    File(FileError),
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    Encode(serde_json::Error),
}

impl std::fmt::Display for SecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretError::Unreachable { detail, .. } => {
                write!(f, "No usable OS keyring ({KEYRING_NAME}): {detail}.")
            }
            SecretError::BadTimeout(v) => write!(
                f,
                "{KEYRING_TIMEOUT_VAR} must be a positive number of seconds, not '{v}'."
            ),
            SecretError::Contended { tries, .. } => write!(
                f,
                "The keyring entry changed under iamctl {tries} times in a row (other iamctl commands are replacing the same secret), so it stopped."
            ),
            SecretError::Descriptors { open, limit } => f.write_str(
                &crate::home::descriptors_message("the OS keyring", *open, *limit),
            ),
            SecretError::File(e) => e.fmt(f),
            SecretError::Corrupt { path, source } => {
                write!(
                    f,
                    "The secret file {} is corrupt: {}",
                    path.display(),
                    crate::error::one_line(source)
                )
            }
            SecretError::Encode(e) => write!(f, "Could not encode secrets: {e}"),
        }
    }
}

impl std::error::Error for SecretError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SecretError::Unreachable { source, .. } => source
                .as_ref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            SecretError::Contended { source, .. } => Some(source),
            SecretError::BadTimeout(_) | SecretError::Descriptors { .. } => None,
            SecretError::File(e) => Some(e),
            SecretError::Corrupt { source, .. } => Some(source),
            SecretError::Encode(e) => Some(e),
        }
    }
}

impl From<FileError> for SecretError {
    fn from(e: FileError) -> Self {
        SecretError::File(e)
    }
}

type Result<T, E = SecretError> = std::result::Result<T, E>;

/// Whether the platform has a Secret Service (for the hint on how to start one).
pub const HAS_SECRET_SERVICE: bool = cfg!(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd"
));

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Keyring,
    File,
}

/// Which secret of a login an entry holds (`refresh_token`, `apikey`, ...). The credentials
/// layer names the slots, one per kind of secret a login keeps; here a slot is only the last
/// part of an entry's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slot(Cow<'static, str>);

impl Slot {
    pub const fn new(name: &'static str) -> Slot {
        Slot(Cow::Borrowed(name))
    }

    /// A slot named in a file (a session's list of what it keeps).
    pub fn named(name: String) -> Slot {
        Slot(Cow::Owned(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Names one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretId {
    /// A login's secret: one identity's, in one session, at one IAM.
    Login {
        iam_endpoint: String,
        session: String,
        iam_id: String,
        slot: Slot,
    },
    /// An API key kept with `--keyring NAME`: belongs to no session.
    StoredKey { iam_endpoint: String, name: String },
    /// Written and deleted at once, to learn that the store takes writes (a locked keyring
    /// answers, but takes none) before a login spends anything.
    Probe,
}

impl SecretId {
    pub fn new(iam_endpoint: &str, session: &str, iam_id: &str, slot: Slot) -> SecretId {
        SecretId::Login {
            iam_endpoint: iam_endpoint.to_string(),
            session: session.to_string(),
            iam_id: iam_id.to_string(),
            slot,
        }
    }

    pub fn stored_key(iam_endpoint: &str, name: &str) -> SecretId {
        SecretId::StoredKey {
            iam_endpoint: iam_endpoint.to_string(),
            name: name.to_string(),
        }
    }

    /// The secret's name within one home: `<iam endpoint>|<session>|<iam_id>|<slot>`, or
    /// `<iam endpoint>|stored-key|<name>` for stored keys. The keyring prefixes the home.
    pub fn user(&self) -> String {
        match self {
            SecretId::Login {
                iam_endpoint,
                session,
                iam_id,
                slot,
            } => format!("{iam_endpoint}|{session}|{iam_id}|{slot}"),
            SecretId::StoredKey { iam_endpoint, name } => {
                format!("{iam_endpoint}|stored-key|{name}")
            }
            SecretId::Probe => "probe".to_string(),
        }
    }
}

pub trait SecretStore {
    fn get(&self, id: &SecretId) -> Result<Option<String>>;
    fn set(&self, id: &SecretId, value: &str) -> Result<()>;
    /// Deleting a missing secret is not an error.
    fn delete(&self, id: &SecretId) -> Result<()>;
    fn kind(&self) -> StoreKind;
}

/// Opens a store. The keyring connection is made here (and only here), so commands that
/// need no secret never touch D-Bus or the keychain.
pub fn open(
    kind: StoreKind,
    home: &Home,
    keyring_timeout: Duration,
) -> Result<Box<dyn SecretStore + Send>> {
    match kind {
        StoreKind::Keyring => Ok(Box::new(KeyringStore::connect(home, keyring_timeout)?)),
        StoreKind::File => Ok(Box::new(FileStore::open(home)?)),
    }
}

// ---------------------------------------------------------------------------------------
// OS keyring

pub struct KeyringStore {
    store: Arc<keyring_core::CredentialStore>,
    home_dir: PathBuf,
    /// How long one keyring call may take.
    limit: Duration,
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let s: Arc<keyring_core::CredentialStore> = zbus_secret_service_keyring_store::Store::new()?;
    Ok(s)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let s: Arc<keyring_core::CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(s)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    let s: Arc<keyring_core::CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(s)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore(
        "no OS keyring support on this platform".into(),
    ))
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
const KEYRING_NAME: &str = "Secret Service (D-Bus)";
#[cfg(target_os = "macos")]
const KEYRING_NAME: &str = "macOS Keychain";
#[cfg(target_os = "windows")]
const KEYRING_NAME: &str = "Windows Credential Manager";
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
const KEYRING_NAME: &str = "OS keyring";

/// How long a keyring call may take: `IAMCTL_KEYRING_TIMEOUT` seconds, else 20 s. Read once,
/// before any command runs, so a malformed value changes nothing.
pub fn keyring_timeout_from_env() -> Result<Duration> {
    let Some(v) = std::env::var_os(KEYRING_TIMEOUT_VAR).filter(|v| !v.is_empty()) else {
        return Ok(KEYRING_TIMEOUT);
    };
    let text = v.to_string_lossy().trim().to_string();
    match text.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= 86_400.0 => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(SecretError::BadTimeout(text)),
    }
}

/// The name of the threads keyring calls run on: their panics are caught and reported as
/// errors, so the default hook's message is kept off stderr.
const KEYRING_THREAD: &str = "iamctl-keyring";

/// What a bounded keyring call came to.
enum Bounded<T> {
    Done(T),
    /// The keyring client panicked (with few file descriptors, its I/O reactor cannot start).
    Crashed(String),
    TimedOut,
}

/// Runs a keyring call on a helper thread and gives up after `limit`. The thread is left
/// blocked behind: iamctl exits soon after, which ends it.
fn bounded<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Bounded<T> {
    silence_keyring_panics();
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(KEYRING_THREAD.into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(outcome.map_err(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "its client failed".into())
            }));
        });
    if let Err(e) = spawned {
        return Bounded::Crashed(format!("cannot start a thread for it: {e}"));
    }
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => Bounded::Done(v),
        Ok(Err(why)) => Bounded::Crashed(why),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Bounded::Crashed("its client failed".into())
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Bounded::TimedOut,
    }
}

/// A panic inside the keyring client (its own threads included: async-io's reactor thread)
/// becomes a one-line error; the default hook would print it and a backtrace hint first.
fn silence_keyring_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().map(str::to_string);
            if !matches!(name.as_deref(), Some(KEYRING_THREAD | "async-io")) {
                previous(info);
            }
        }));
    });
}

fn crashed(home: &std::path::Path, why: String) -> SecretError {
    SecretError::Unreachable {
        detail: format!("its client failed: {why}"),
        home: home.to_path_buf(),
        source: None,
    }
}

fn keyring_failure(err: keyring_core::Error, home: &std::path::Path) -> SecretError {
    if vanished(&err) {
        return SecretError::Contended {
            tries: VANISHED_TRIES,
            source: err,
        };
    }
    SecretError::Unreachable {
        detail: err.to_string(),
        home: home.to_path_buf(),
        source: Some(err),
    }
}

fn no_answer(home: &std::path::Path, limit: Duration) -> SecretError {
    SecretError::Unreachable {
        detail: format!(
            "it did not answer within {} s ({KEYRING_TIMEOUT_VAR})",
            limit.as_secs_f64()
        ),
        home: home.to_path_buf(),
        source: None,
    }
}

/// Whether the Secret Service said that the item iamctl had just found is gone (D-Bus
/// `UnknownObject`, or GDBus' "No such interface ... on object at path" for an unexported
/// object): another process replaced or deleted it in between. A race to retry, not a
/// broken keyring.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn vanished(err: &keyring_core::Error) -> bool {
    use zbus::DBusError;
    let (keyring_core::Error::PlatformFailure(inner) | keyring_core::Error::NoStorageAccess(inner)) =
        err
    else {
        return false;
    };
    let Some(ss) = inner.downcast_ref::<secret_service::Error>() else {
        return false;
    };
    let name = match ss {
        secret_service::Error::Zbus(zbus::Error::MethodError(name, _, _)) => name.to_string(),
        secret_service::Error::Zbus(zbus::Error::FDO(fdo)) => fdo.name().to_string(),
        secret_service::Error::ZbusFdo(fdo) => fdo.name().to_string(),
        _ => return false,
    };
    matches!(
        name.as_str(),
        "org.freedesktop.DBus.Error.UnknownObject"
            | "org.freedesktop.DBus.Error.UnknownInterface"
            | "org.freedesktop.DBus.Error.UnknownMethod"
    )
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn vanished(_err: &keyring_core::Error) -> bool {
    false
}

/// A pause of about `base` (between half and all of it), so that processes that collided
/// do not collide again in lockstep.
fn jittered(base: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let fraction = (h.finish() % 1000) as u32;
    base / 2 + base / 2 * fraction / 1000
}

impl KeyringStore {
    pub fn connect(home: &Home, limit: Duration) -> Result<KeyringStore> {
        let home_dir = home.dir.clone();
        if let Some((open, limit)) = crate::home::descriptors_short() {
            return Err(SecretError::Descriptors { open, limit });
        }
        match bounded(limit, platform_store) {
            Bounded::Done(Ok(store)) => Ok(KeyringStore {
                store,
                home_dir,
                limit,
            }),
            Bounded::Done(Err(e)) => Err(keyring_failure(e, &home_dir)),
            Bounded::Crashed(why) => Err(crashed(&home_dir, why)),
            Bounded::TimedOut => Err(no_answer(&home_dir, limit)),
        }
    }

    /// Runs `f` on the entry, bounded in time. An item that vanished under `f` is searched
    /// for again, a few times with short jittered pauses, all within the one time bound.
    fn with_entry<T: Send + 'static>(
        &self,
        id: &SecretId,
        f: impl Fn(&keyring_core::Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.store.clone();
        // The keyring is shared by every home of the OS user; without the home in the name,
        // a logout under one IAMCTL_HOME would delete another home's secrets.
        let user = format!("{}|{}", self.home_dir.display(), id.user());
        let limit = self.limit;
        let outcome = bounded(limit, move || {
            let entry = store.build(SERVICE, &user, None)?;
            let mut pause = Duration::from_millis(4);
            let mut tries = 1;
            loop {
                match f(&entry) {
                    Err(e) if tries < VANISHED_TRIES && vanished(&e) => {
                        std::thread::sleep(jittered(pause));
                        pause = (pause * 2).min(Duration::from_millis(200));
                        tries += 1;
                    }
                    other => return other,
                }
            }
        });
        match outcome {
            Bounded::Done(Ok(v)) => Ok(v),
            Bounded::Done(Err(e)) => Err(keyring_failure(e, &self.home_dir)),
            Bounded::Crashed(why) => Err(crashed(&self.home_dir, why)),
            Bounded::TimedOut => Err(no_answer(&self.home_dir, limit)),
        }
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, id: &SecretId) -> Result<Option<String>> {
        self.with_entry(id, |entry| match entry.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn set(&self, id: &SecretId, value: &str) -> Result<()> {
        let value = value.to_string();
        self.with_entry(id, move |entry| entry.set_password(&value))
    }

    fn delete(&self, id: &SecretId) -> Result<()> {
        self.with_entry(id, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(keyring_core::Error::Ambiguous(entries)) => {
                for e in entries {
                    match e.delete_credential() {
                        Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            Err(e) => Err(e),
        })
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Keyring
    }
}

// ---------------------------------------------------------------------------------------
// Explicit file store

/// `secrets.json` (0600) in the home directory. Used only on explicit opt-in, and every
/// use prints a warning.
pub struct FileStore {
    home: Home,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FileContents {
    #[serde(default)]
    entries: BTreeMap<String, String>,
}

/// The entries of `secrets.json` (also the fuzz target's way in).
pub fn parse_file_store(bytes: &[u8]) -> serde_json::Result<BTreeMap<String, String>> {
    serde_json::from_slice::<FileContents>(bytes).map(|c| c.entries)
}

/// `secrets.json` as `FileStore` writes it.
pub fn encode_file_store(entries: BTreeMap<String, String>) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec_pretty(&FileContents { entries })
}

impl FileStore {
    /// The credentials layer says, on each use, that the secrets are in a plain file.
    pub fn open(home: &Home) -> Result<FileStore> {
        Ok(FileStore { home: home.clone() })
    }

    fn path(&self) -> PathBuf {
        self.home.dir.join("secrets.json")
    }

    fn read(&self) -> Result<FileContents> {
        let path = self.path();
        match crate::home::read_if_exists(&path)? {
            Some(b) => parse_file_store(&b)
                .map(|entries| FileContents { entries })
                .map_err(|source| SecretError::Corrupt { path, source }),
            None => Ok(FileContents::default()),
        }
    }

    fn update(&self, f: impl FnOnce(&mut FileContents)) -> Result<()> {
        create_private_dir(&self.home.dir)?;
        let _lock = lock_exclusive(&self.home.file("secrets.lock"))?;
        let mut contents = self.read()?;
        f(&mut contents);
        let bytes = encode_file_store(contents.entries).map_err(SecretError::Encode)?;
        Ok(write_atomic(&self.home.dir, &self.path(), &bytes)?)
    }
}

impl SecretStore for FileStore {
    fn get(&self, id: &SecretId) -> Result<Option<String>> {
        Ok(self.read()?.entries.get(&id.user()).cloned())
    }

    fn set(&self, id: &SecretId, value: &str) -> Result<()> {
        let value = value.to_string();
        self.update(|c| {
            c.entries.insert(id.user(), value);
        })
    }

    fn delete(&self, id: &SecretId) -> Result<()> {
        if self.read()?.entries.contains_key(&id.user()) {
            self.update(|c| {
                c.entries.remove(&id.user());
            })
        } else {
            Ok(())
        }
    }

    fn kind(&self) -> StoreKind {
        StoreKind::File
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_carry_endpoint_session_identity_and_kind() {
        let id = SecretId::new(
            "https://iam.cloud.ibm.com",
            "default",
            "IBMid-123",
            Slot::new("refresh_token"),
        );
        assert_eq!(
            id.user(),
            "https://iam.cloud.ibm.com|default|IBMid-123|refresh_token"
        );
    }

    #[test]
    fn stored_key_entries_are_named_by_endpoint_and_name() {
        let id = SecretId::stored_key("https://iam.cloud.ibm.com", "ci");
        assert_eq!(id.user(), "https://iam.cloud.ibm.com|stored-key|ci");
    }

    #[test]
    fn file_store_round_trip_is_private() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let home = Home {
            dir: tmp.path().join("h"),
        };
        let store = FileStore::open(&home).unwrap_or_else(|e| panic!("{e}"));
        let id = SecretId::new("i", "s", "u", Slot::new("apikey"));
        assert_eq!(store.get(&id).ok().flatten(), None);
        store.set(&id, "v").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.get(&id).ok().flatten(), Some("v".to_string()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.dir.join("secrets.json"))
                .map(|m| m.permissions().mode() & 0o777)
                .ok();
            assert_eq!(mode, Some(0o600));
        }
        store.delete(&id).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.get(&id).ok().flatten(), None);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// Any secrets the file store holds read back from the file it writes.
            #[test]
            fn file_store_contents_survive_their_file(
                entries in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..6),
            ) {
                let bytes = encode_file_store(entries.clone())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let back = parse_file_store(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, entries);
            }
        }
    }
}
