//! The session file: where iamctl keeps endpoints, the targeted account/region/resource group
//! and the current access token (never the refresh token or API key: those live in the
//! secret store).
//!
//! Layout under the home directory (`$IAMCTL_HOME`, else the platform config dir):
//! `sessions/<name>.json` (0600), `sessions/<name>.lock` (exclusive lock for writers),
//! `current` (optional one-line name of the active session). Writes are atomic (temp file in
//! the same directory, fsync, rename) and happen under the lock; commands that fail never
//! write, so the previous session stays byte-identical.

use crate::endpoints::Endpoints;
use crate::home::{
    FileError, Home, Prepared, create_private_dir, open_lock_file, prepare_atomic, write_atomic,
};
use crate::secrets::{SecretKind, StoreKind};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const DEFAULT_SESSION: &str = "default";
const FORMAT_VERSION: u32 = 1;
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// The global `--session NAME` flag, set once by `main` before any command runs. A process
/// global rather than a parameter so every `SessionStore::open()` (including commands
/// written before the flag existed) honours it, with the same precedence everywhere.
static SESSION_FLAG: OnceLock<(String, Selection)> = OnceLock::new();

/// The variable that names the session when `--session` does not.
pub const SESSION_VAR: &str = "IAMCTL_SESSION";

/// What can go wrong with session files.
#[derive(Debug)]
pub enum SessionError {
    File(FileError),
    /// The session file exists but cannot be read (permissions, a directory in its place).
    Unreadable(FileError),
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    Encode(serde_json::Error),
    LockTimeout {
        path: PathBuf,
        waited: Duration,
    },
    /// A session name that is not a plain word, and where it came from (`--session`, ...).
    InvalidName {
        name: String,
        place: String,
    },
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionError::File(e) | SessionError::Unreadable(e) => e.fmt(f),
            SessionError::Corrupt { path, source } => {
                write!(
                    f,
                    "The session file {} is corrupt ({}).",
                    path.display(),
                    crate::error::one_line(source)
                )
            }
            SessionError::Encode(e) => write!(f, "Could not encode the session: {e}"),
            SessionError::LockTimeout { path, waited } => write!(
                f,
                "Another iamctl has held the session lock {} for over {} s.",
                path.display(),
                waited.as_secs()
            ),
            SessionError::InvalidName { name, place } => {
                let place = if place.is_empty() {
                    String::new()
                } else {
                    format!(" in {place}")
                };
                write!(
                    f,
                    "Invalid session name '{name}'{place}: use letters, digits, '-', '_' and '.' (at most 64)."
                )
            }
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::File(e) | SessionError::Unreadable(e) => Some(e),
            SessionError::Corrupt { source, .. } => Some(source),
            SessionError::Encode(e) => Some(e),
            SessionError::LockTimeout { .. } | SessionError::InvalidName { .. } => None,
        }
    }
}

impl From<FileError> for SessionError {
    fn from(e: FileError) -> Self {
        SessionError::File(e)
    }
}

type Result<T, E = SessionError> = std::result::Result<T, E>;

/// Records `--session NAME` (validated); it wins over `IAMCTL_SESSION` and `current`.
/// `from_env` says clap took it from `IAMCTL_SESSION` (declared on the flag) rather than
/// the command line.
pub fn set_session_flag(name: &str, from_env: bool) -> Result<()> {
    let (place, selection) = if from_env {
        (SESSION_VAR, Selection::Env)
    } else {
        ("--session", Selection::Flag)
    };
    let name = validate_name(name, place)?;
    let _ = SESSION_FLAG.set((name, selection));
    Ok(())
}

/// Where the active session's name came from (shown by `sessions`, checked by
/// `session-switch`, which cannot override the first two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Flag,
    Env,
    Current,
    Default,
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Session {
    #[serde(default)]
    pub version: u32,
    pub api_endpoint: String,
    pub iam_endpoint: String,
    #[serde(default)]
    pub accounts_endpoint: String,
    #[serde(default)]
    pub resource_controller_endpoint: String,
    /// Remembered from `login --skip-ssl-validation`; warns on every network use.
    #[serde(default)]
    pub skip_ssl_validation: bool,
    #[serde(default)]
    pub region: Option<String>,
    /// `None` once logged out (endpoint and region stay).
    #[serde(default)]
    pub login: Option<Login>,
    /// Secrets a `logout` could not delete (keyring unreachable); the next `logout` retries.
    /// Names only, never values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_deletes: Vec<PendingDelete>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingDelete {
    pub store: StoreKind,
    pub iam_endpoint: String,
    pub iam_id: String,
    pub kind: SecretKind,
}

/// How the session logged in, and so how its token is renewed (`auth::renew` has the rule
/// for each). Stored in the login as `method` plus the kind's own fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum LoginKind {
    Apikey,
    Password,
    Sso,
    /// A compute-resource token traded for a trusted profile's token. Renewed by reading
    /// the token again: from `token_file` (platforms rotate it), else from the secret store
    /// (a token given inline).
    CrToken {
        profile: ProfileRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_file: Option<PathBuf>,
    },
    /// The VPC instance metadata service's identity, optionally as a trusted profile.
    /// Renewed by asking the metadata service again.
    VpcCri {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<ProfileRef>,
        metadata_url: String,
    },
    /// A trusted profile assumed by another login, the caller. Renewed by renewing the
    /// caller's token and assuming the profile again.
    Assume {
        profile: ProfileRef,
        /// The account of a profile named by name. Not `account`: the kind's fields sit
        /// beside the login's own, and the login has an `account`.
        #[serde(
            rename = "profile_account",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        account: Option<String>,
        caller: Box<LoginKind>,
    },
}

impl LoginKind {
    /// The trusted profile the session acts as, if any.
    pub fn profile(&self) -> Option<&ProfileRef> {
        match self {
            LoginKind::CrToken { profile, .. } | LoginKind::Assume { profile, .. } => Some(profile),
            LoginKind::VpcCri { profile, .. } => profile.as_ref(),
            LoginKind::Apikey | LoginKind::Password | LoginKind::Sso => None,
        }
    }

    /// How the token is renewed, in a few words for `sessions` and `target`.
    pub fn renewal(&self) -> String {
        match self {
            LoginKind::Apikey => "refresh token, else the stored API key".into(),
            LoginKind::Password | LoginKind::Sso => "refresh token".into(),
            LoginKind::CrToken {
                token_file: Some(f),
                ..
            } => format!("re-reading the compute-resource token in {}", f.display()),
            LoginKind::CrToken { .. } => {
                "the compute-resource token in the secret store, until it expires".into()
            }
            LoginKind::VpcCri { metadata_url, .. } => {
                format!("the VPC instance metadata service at {metadata_url}")
            }
            LoginKind::Assume { caller, .. } => format!(
                "assuming the profile again with a fresh token of the {} login",
                caller.describe()
            ),
        }
    }

    /// The kind in words: "API key", "SSO", ...
    fn describe(&self) -> &'static str {
        match self {
            LoginKind::Apikey => "API key",
            LoginKind::Password => "password",
            LoginKind::Sso => "SSO",
            LoginKind::CrToken { .. } => "compute-resource token",
            LoginKind::VpcCri { .. } => "VPC instance identity",
            LoginKind::Assume { .. } => "assumed profile",
        }
    }

    /// The kind's name as stored (`apikey`, `cr_token`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            LoginKind::Apikey => "apikey",
            LoginKind::Password => "password",
            LoginKind::Sso => "sso",
            LoginKind::CrToken { .. } => "cr_token",
            LoginKind::VpcCri { .. } => "vpc_cri",
            LoginKind::Assume { .. } => "assume",
        }
    }
}

/// A trusted profile as the user named it: `Profile-...` is an ID, `crn:...` a CRN, anything
/// else a name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProfileRef {
    Id(String),
    Crn(String),
    Name(String),
}

impl ProfileRef {
    pub fn parse(s: &str) -> ProfileRef {
        let s = s.trim();
        if s.starts_with("Profile-") {
            ProfileRef::Id(s.to_string())
        } else if s.starts_with("crn:") {
            ProfileRef::Crn(s.to_string())
        } else {
            ProfileRef::Name(s.to_string())
        }
    }

    pub fn value(&self) -> &str {
        match self {
            ProfileRef::Id(v) | ProfileRef::Crn(v) | ProfileRef::Name(v) => v,
        }
    }
}

impl std::fmt::Display for ProfileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.value())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Login {
    #[serde(flatten)]
    pub kind: LoginKind,
    /// What the summary shows as `User:` (email, or the identifier for service IDs).
    pub user: String,
    pub iam_id: String,
    #[serde(default)]
    pub sub_type: Option<String>,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub resource_group: Option<ResourceGroup>,
    /// `Bearer` is not included; `oauth-tokens` adds it.
    pub access_token: String,
    pub token_issued_at: i64,
    pub token_expires_at: i64,
    #[serde(default)]
    pub refresh_token_expires_at: Option<i64>,
    pub login_at: i64,
    /// Which secrets exist for this login, and where. Metadata only, never the values.
    pub secrets: SecretsMeta,
    /// Tokens issued to other OAuth clients (`kube` for kubectl) through delegated refresh
    /// tokens, cached like the access token: short-lived, never a refresh token.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub delegated: std::collections::BTreeMap<String, CachedToken>,
}

/// A short-lived token kept in the session file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CachedToken {
    pub token: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl CachedToken {
    /// The refresh window every token iamctl caches uses: 80% of its lifetime gone, or
    /// under 10 s left.
    pub fn needs_refresh(&self, now: i64) -> bool {
        needs_refresh(self.issued_at, self.expires_at, now)
    }
}

fn needs_refresh(issued_at: i64, expires_at: i64, now: i64) -> bool {
    // The times come from a file anyone may have edited (or from IAM): in i128 no pair of
    // them overflows, where i64 panicked in debug builds and wrapped in release ones.
    let (issued_at, expires_at, now) = (
        i128::from(issued_at),
        i128::from(expires_at),
        i128::from(now),
    );
    let lifetime = (expires_at - issued_at).max(0);
    let refresh_at = issued_at + lifetime * 8 / 10;
    now >= refresh_at || now >= expires_at - 10
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SecretsMeta {
    pub store: StoreKind,
    #[serde(default)]
    pub refresh_token: bool,
    #[serde(default)]
    pub apikey: bool,
    /// A compute-resource token given inline (one read from a file stays in the file).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cr_token: bool,
}

impl SecretsMeta {
    pub fn none(store: StoreKind) -> SecretsMeta {
        SecretsMeta {
            store,
            refresh_token: false,
            apikey: false,
            cr_token: false,
        }
    }

    /// The kinds of secret this login keeps.
    pub fn kinds(&self) -> Vec<SecretKind> {
        [
            (self.refresh_token, SecretKind::RefreshToken),
            (self.apikey, SecretKind::ApiKey),
            (self.cr_token, SecretKind::CrToken),
        ]
        .into_iter()
        .filter_map(|(present, kind)| present.then_some(kind))
        .collect()
    }

    pub fn keeps(&self, kind: SecretKind) -> bool {
        self.kinds().contains(&kind)
    }

    pub fn mark(&mut self, kind: SecretKind) {
        match kind {
            SecretKind::RefreshToken => self.refresh_token = true,
            SecretKind::ApiKey => self.apikey = true,
            SecretKind::CrToken => self.cr_token = true,
            SecretKind::StoredKey => {}
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub guid: String,
    pub name: String,
    #[serde(default)]
    pub owner: String,
    /// Linked classic-infrastructure account, shown as `<-> NNN`.
    #[serde(default)]
    pub ims: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResourceGroup {
    pub guid: String,
    pub name: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub default: bool,
    /// The group's quota, shown by `target --output json` as IBM's CLI does.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub quota_id: String,
}

impl Login {
    /// Refresh window: 80% of the lifetime gone, or under 10 s left.
    pub fn needs_refresh(&self, now: i64) -> bool {
        needs_refresh(self.token_issued_at, self.token_expires_at, now)
    }

    pub fn expired(&self, now: i64) -> bool {
        now >= self.token_expires_at
    }
}

impl Session {
    /// The service URLs the session talks to.
    pub fn endpoints(&self) -> Endpoints {
        let or_api = |v: &str| {
            if v.is_empty() {
                self.api_endpoint.clone()
            } else {
                v.to_string()
            }
        };
        Endpoints {
            api: self.api_endpoint.clone(),
            iam: self.iam_endpoint.clone(),
            accounts: or_api(&self.accounts_endpoint),
            resource_controller: or_api(&self.resource_controller_endpoint),
        }
    }
}

/// Which sessions a home holds and which one is active.
impl Home {
    pub fn sessions_dir(&self) -> PathBuf {
        self.dir.join("sessions")
    }

    /// The active session: `--session`, else `IAMCTL_SESSION`, else the `current` file, else
    /// `default`.
    pub fn active_session_name(&self) -> Result<String> {
        self.active_session().map(|(name, _)| name)
    }

    /// The active session's name and what selected it.
    pub fn active_session(&self) -> Result<(String, Selection)> {
        if let Some((name, selection)) = SESSION_FLAG.get() {
            return Ok((name.clone(), *selection));
        }
        // Read by hand too: the oauth-tokens shortcut and TAB answer without clap.
        if let Ok(name) = std::env::var(SESSION_VAR)
            && !name.is_empty()
        {
            return Ok((validate_name(&name, SESSION_VAR)?, Selection::Env));
        }
        match self.current_file_name()? {
            Some(name) => Ok((name, Selection::Current)),
            None => Ok((DEFAULT_SESSION.to_string(), Selection::Default)),
        }
    }

    /// The name in the `current` file, if it exists and is not empty.
    pub fn current_file_name(&self) -> Result<Option<String>> {
        let path = self.current_path();
        match fs::read_to_string(&path) {
            Ok(s) => {
                let name = s.trim();
                if name.is_empty() {
                    Ok(None)
                } else {
                    validate_name(name, "the 'current' file").map(Some)
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FileError::new("read", &path, e).into()),
        }
    }

    pub fn current_path(&self) -> PathBuf {
        self.dir.join("current")
    }

    /// Makes `name` the session used when neither `--session` nor `IAMCTL_SESSION` says
    /// otherwise (atomic replace, like every other write).
    pub fn set_current(&self, name: &str) -> Result<()> {
        let name = validate_name(name, "the session name")?;
        self.ensure_dirs()?;
        Ok(write_atomic(
            &self.dir,
            &self.current_path(),
            format!("{name}\n").as_bytes(),
        )?)
    }

    /// Removes the `current` file, so `default` is active again.
    pub fn clear_current(&self) -> Result<()> {
        Ok(crate::home::remove_if_exists(&self.current_path())?)
    }

    /// Every session with a file in `sessions/`, sorted by name. Temporary files and names
    /// that are not valid session names are skipped.
    pub fn session_names(&self) -> Result<Vec<String>> {
        let dir = self.sessions_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(FileError::new("read the directory", &dir, e).into()),
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| {
                let file = e.file_name().into_string().ok()?;
                let name = file.strip_suffix(".json")?;
                validate_name(name, "").ok()
            })
            .collect();
        names.sort();
        Ok(names)
    }

    /// The store of a named session (which need not exist yet).
    pub fn store(&self, name: &str) -> Result<SessionStore> {
        Ok(SessionStore {
            home: self.clone(),
            name: validate_name(name, "the session name")?,
        })
    }

    /// Creates the home and sessions directories (0700) if needed.
    pub fn ensure_dirs(&self) -> Result<()> {
        create_private_dir(&self.dir)?;
        Ok(create_private_dir(&self.sessions_dir())?)
    }
}

/// A session file's contents, as `SessionStore::load` reads them (and the fuzz target).
pub fn parse(bytes: &[u8]) -> serde_json::Result<Session> {
    serde_json::from_slice(bytes)
}

pub fn validate_name(name: &str, source: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(SessionError::InvalidName {
            name: name.to_string(),
            place: source.to_string(),
        })
    }
}

/// One named session on disk.
#[derive(Debug, Clone)]
pub struct SessionStore {
    pub home: Home,
    pub name: String,
}

/// Held while a command reads, changes and writes the session. Dropping it releases the lock.
pub struct SessionLock {
    _file: File,
}

impl SessionStore {
    /// The active session of `home`.
    pub fn active(home: Home) -> Result<SessionStore> {
        let name = home.active_session_name()?;
        Ok(SessionStore { home, name })
    }

    pub fn path(&self) -> PathBuf {
        self.home.sessions_dir().join(format!("{}.json", self.name))
    }

    pub fn lock_path(&self) -> PathBuf {
        self.home.sessions_dir().join(format!("{}.lock", self.name))
    }

    /// Reads the session; `Ok(None)` when none was ever written. The hot path of
    /// `oauth-tokens`: one small file, nothing else.
    pub fn load(&self) -> Result<Option<Session>> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(SessionError::Unreadable(FileError::new(
                    "read the session file",
                    &path,
                    e,
                )));
            }
        };
        parse(&bytes)
            .map(Some)
            .map_err(|source| SessionError::Corrupt { path, source })
    }

    /// Like `load`, but a corrupt file counts as no session (for `login`, `logout` and
    /// `session-delete`, which are the ways out of a corrupt file). Unreadable files are
    /// still errors.
    pub fn load_lenient(&self) -> Result<(Option<Session>, bool)> {
        match self.load() {
            Ok(s) => Ok((s, false)),
            Err(SessionError::Corrupt { .. }) => Ok((None, true)),
            Err(e) => Err(e),
        }
    }

    /// Takes the session's exclusive lock, waiting up to 30 s for another iamctl.
    pub fn lock(&self) -> Result<SessionLock> {
        self.home.ensure_dirs()?;
        let path = self.lock_path();
        let file = open_lock_file(&path)?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(SessionLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) => {
                    if start.elapsed() > LOCK_TIMEOUT {
                        return Err(SessionError::LockTimeout {
                            path,
                            waited: LOCK_TIMEOUT,
                        });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(FileError::new("lock", &path, e).into());
                }
            }
        }
    }

    /// Atomically replaces the session file. The caller holds the lock.
    pub fn save(&self, lock: &SessionLock, session: &Session) -> Result<()> {
        Ok(self.prepare(lock, session)?.commit()?)
    }

    /// Writes the new session file beside the old one without replacing it yet (see
    /// `home::Prepared`): a home that cannot take the file fails here, before the caller
    /// changes anything else. The caller holds the lock until it commits.
    pub fn prepare(&self, _lock: &SessionLock, session: &Session) -> Result<Prepared> {
        let mut session = session.clone();
        session.version = FORMAT_VERSION;
        let bytes = crate::home::json_bytes(&session).map_err(SessionError::Encode)?;
        Ok(prepare_atomic(
            &self.home.sessions_dir(),
            &self.path(),
            &bytes,
        )?)
    }

    /// The session file's bytes as they are (`None`: no file), to put back with `restore`.
    pub fn raw(&self, _lock: &SessionLock) -> Result<Option<Vec<u8>>> {
        Ok(crate::home::read_if_exists(&self.path())?)
    }

    /// Puts back what `raw` read: the file byte for byte, or no file.
    pub fn restore(&self, _lock: &SessionLock, raw: Option<&[u8]>) -> Result<()> {
        match raw {
            Some(bytes) => Ok(write_atomic(
                &self.home.sessions_dir(),
                &self.path(),
                bytes,
            )?),
            None => Ok(crate::home::remove_if_exists(&self.path())?),
        }
    }

    /// Removes the session file and its lock file. The caller holds the lock.
    pub fn remove(&self, lock: SessionLock) -> Result<()> {
        crate::home::remove_if_exists(&self.path())?;
        drop(lock);
        let _ = fs::remove_file(self.lock_path());
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An API-key login whose token was issued at `iat` and expires at `exp`.
    pub(crate) fn login(iat: i64, exp: i64) -> Login {
        Login {
            kind: LoginKind::Apikey,
            user: "u".into(),
            iam_id: "IBMid-1".into(),
            sub_type: None,
            account: None,
            resource_group: None,
            access_token: "t".into(),
            token_issued_at: iat,
            token_expires_at: exp,
            refresh_token_expires_at: None,
            login_at: iat,
            secrets: SecretsMeta {
                refresh_token: true,
                ..SecretsMeta::none(StoreKind::Keyring)
            },
            delegated: Default::default(),
        }
    }

    #[test]
    fn refresh_window_is_80_percent_or_10_seconds() {
        let l = login(1000, 4600);
        assert!(!l.needs_refresh(1000));
        assert!(!l.needs_refresh(3879));
        assert!(l.needs_refresh(3880));
        let short = login(1000, 1030);
        assert!(!short.needs_refresh(1019));
        assert!(short.needs_refresh(1020));
        let tiny = login(1000, 1005);
        assert!(tiny.needs_refresh(1000));
    }

    #[test]
    fn the_refresh_window_of_extreme_times_needs_no_overflow() {
        // Found by the session fuzz target: a session file with times at the ends of i64.
        let far = login(i64::MIN, i64::MAX);
        assert!(!far.needs_refresh(0));
        assert!(far.needs_refresh(i64::MAX));
        let backwards = login(i64::MAX, i64::MIN);
        assert!(backwards.needs_refresh(i64::MIN));
        assert!(login(i64::MAX - 5, i64::MAX).needs_refresh(i64::MAX - 10));
    }

    use std::path::Path;

    fn store_in(dir: &Path) -> SessionStore {
        SessionStore {
            home: Home {
                dir: dir.to_path_buf(),
            },
            name: DEFAULT_SESSION.into(),
        }
    }

    #[test]
    fn save_then_load_round_trips_with_private_modes() {
        let tmp = match tempfile::tempdir() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let store = store_in(&tmp.path().join("home"));
        assert!(matches!(store.load(), Ok(None)));
        let session = Session {
            api_endpoint: "https://cloud.ibm.com".into(),
            iam_endpoint: "https://iam.cloud.ibm.com".into(),
            region: Some("us-south".into()),
            login: Some(login(1, 2)),
            ..Session::default()
        };
        let lock = store.lock().unwrap_or_else(|e| panic!("{e}"));
        store
            .save(&lock, &session)
            .unwrap_or_else(|e| panic!("{e}"));
        drop(lock);
        let loaded = store.load().ok().flatten();
        assert_eq!(loaded.map(|s| s.region), Some(Some("us-south".to_string())));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
            assert_eq!(mode(&store.path()), Some(0o600));
            assert_eq!(mode(&store.home.dir), Some(0o700));
            assert_eq!(mode(&store.home.sessions_dir()), Some(0o700));
        }
    }

    #[test]
    fn a_corrupt_file_is_named_on_one_line() {
        // Found by the session fuzz target: serde quotes the unknown login method, line
        // break and all.
        let source = match parse(
            br#"{"api_endpoint":"a","iam_endpoint":"b","login":{"method":"api\nkey","user":"u",
                "iam_id":"i","access_token":"t","token_issued_at":1,"token_expires_at":2,
                "login_at":1,"secrets":{"store":"keyring"}}}"#,
        ) {
            Err(e) => e,
            Ok(_) => panic!("an unknown method was accepted"),
        };
        let e = SessionError::Corrupt {
            path: "s.json".into(),
            source,
        };
        let text = e.to_string();
        assert!(!text.contains('\n') && text.contains(r"api\nkey"), "{text}");
    }

    #[test]
    fn corrupt_file_is_a_clear_error() {
        let tmp = match tempfile::tempdir() {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let store = store_in(tmp.path());
        store.home.ensure_dirs().unwrap_or_else(|e| panic!("{e}"));
        fs::write(store.path(), b"{not json").unwrap_or_else(|e| panic!("{e}"));
        let err = match store.load() {
            Err(e) => e,
            Ok(_) => panic!("corrupt file accepted"),
        };
        assert!(matches!(err, SessionError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("is corrupt"));
        assert!(matches!(store.load_lenient(), Ok((None, true))));
    }

    #[test]
    fn logins_of_every_kind_round_trip_and_old_files_still_read() {
        // A session file written before login kinds carried data.
        let old = r#"{"method":"apikey","user":"u","iam_id":"IBMid-1","access_token":"t",
            "token_issued_at":1,"token_expires_at":2,"login_at":1,
            "secrets":{"store":"keyring","refresh_token":true,"apikey":true}}"#;
        let login: Login = serde_json::from_str(old).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(login.kind, LoginKind::Apikey);
        assert_eq!(
            login.secrets.kinds(),
            [SecretKind::RefreshToken, SecretKind::ApiKey]
        );
        let kinds = [
            LoginKind::CrToken {
                profile: ProfileRef::parse("ci-workload"),
                token_file: Some("/var/run/secrets/tokens/sa-token".into()),
            },
            LoginKind::VpcCri {
                profile: Some(ProfileRef::parse("Profile-1")),
                metadata_url: "http://127.0.0.1:1".into(),
            },
            LoginKind::Assume {
                profile: ProfileRef::parse("crn:v1:x"),
                account: None,
                caller: Box::new(LoginKind::Sso),
            },
            LoginKind::Assume {
                profile: ProfileRef::parse("deployer"),
                account: Some("acc".into()),
                caller: Box::new(LoginKind::Apikey),
            },
        ];
        for kind in kinds {
            let mut l = login.clone();
            l.kind = kind.clone();
            // The login's own fields must survive beside the kind's.
            l.account = Some(Account {
                guid: "acc".into(),
                name: "A".into(),
                owner: String::new(),
                ims: None,
            });
            let text = serde_json::to_string(&l).unwrap_or_default();
            let back: Login = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert_eq!(back, l, "{text}");
            assert!(
                text.contains(&format!("\"method\":\"{}\"", kind.name())),
                "{text}"
            );
        }
    }

    #[test]
    fn profiles_are_told_apart_by_their_form() {
        assert_eq!(
            ProfileRef::parse("Profile-1"),
            ProfileRef::Id("Profile-1".into())
        );
        assert_eq!(
            ProfileRef::parse("crn:v1:a"),
            ProfileRef::Crn("crn:v1:a".into())
        );
        assert_eq!(ProfileRef::parse(" ci "), ProfileRef::Name("ci".into()));
    }

    mod props {
        use super::*;
        use proptest::collection::btree_map;
        use proptest::option::of;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            any::<String>()
        }

        fn profile() -> impl Strategy<Value = ProfileRef> {
            prop_oneof![
                text().prop_map(ProfileRef::Id),
                text().prop_map(ProfileRef::Crn),
                text().prop_map(ProfileRef::Name),
            ]
        }

        fn kind() -> impl Strategy<Value = LoginKind> {
            let leaf = prop_oneof![
                Just(LoginKind::Apikey),
                Just(LoginKind::Password),
                Just(LoginKind::Sso),
                (profile(), of(text().prop_map(PathBuf::from))).prop_map(
                    |(profile, token_file)| LoginKind::CrToken {
                        profile,
                        token_file
                    }
                ),
                (of(profile()), text()).prop_map(|(profile, metadata_url)| LoginKind::VpcCri {
                    profile,
                    metadata_url
                }),
            ];
            // An assumed profile's caller is any other login, assumed ones included.
            leaf.prop_recursive(3, 4, 1, |caller| {
                (profile(), of(text()), caller).prop_map(|(profile, account, caller)| {
                    LoginKind::Assume {
                        profile,
                        account,
                        caller: Box::new(caller),
                    }
                })
            })
        }

        fn store() -> impl Strategy<Value = StoreKind> {
            prop_oneof![Just(StoreKind::Keyring), Just(StoreKind::File)]
        }

        fn secret_kind() -> impl Strategy<Value = SecretKind> {
            prop_oneof![
                Just(SecretKind::RefreshToken),
                Just(SecretKind::ApiKey),
                Just(SecretKind::StoredKey),
                Just(SecretKind::CrToken),
            ]
        }

        fn cached() -> impl Strategy<Value = CachedToken> {
            (text(), any::<i64>(), any::<i64>()).prop_map(|(token, issued_at, expires_at)| {
                CachedToken {
                    token,
                    issued_at,
                    expires_at,
                }
            })
        }

        prop_compose! {
            fn a_login()(
                kind in kind(),
                (user, iam_id, sub_type) in (text(), text(), of(text())),
                account in of((text(), text(), text(), of(text())).prop_map(|(guid, name, owner, ims)| {
                    Account { guid, name, owner, ims }
                })),
                resource_group in of((text(), text(), text(), any::<bool>(), text()).prop_map(
                    |(guid, name, state, default, quota_id)| ResourceGroup { guid, name, state, default, quota_id },
                )),
                access_token in text(),
                times in (any::<i64>(), any::<i64>(), of(any::<i64>()), any::<i64>()),
                secrets in (store(), any::<bool>(), any::<bool>(), any::<bool>()),
                delegated in btree_map(text(), cached(), 0..3),
            ) -> Login {
                let (store, refresh_token, apikey, cr_token) = secrets;
                Login {
                    kind,
                    user,
                    iam_id,
                    sub_type,
                    account,
                    resource_group,
                    access_token,
                    token_issued_at: times.0,
                    token_expires_at: times.1,
                    refresh_token_expires_at: times.2,
                    login_at: times.3,
                    secrets: SecretsMeta { store, refresh_token, apikey, cr_token },
                    delegated,
                }
            }
        }

        prop_compose! {
            fn a_session()(
                endpoints in (text(), text(), text(), text()),
                skip_ssl_validation in any::<bool>(),
                region in of(text()),
                login in of(a_login()),
                pending_deletes in proptest::collection::vec(
                    (store(), text(), text(), secret_kind()).prop_map(|(store, iam_endpoint, iam_id, kind)| {
                        PendingDelete { store, iam_endpoint, iam_id, kind }
                    }),
                    0..3,
                ),
            ) -> Session {
                Session {
                    version: FORMAT_VERSION,
                    api_endpoint: endpoints.0,
                    iam_endpoint: endpoints.1,
                    accounts_endpoint: endpoints.2,
                    resource_controller_endpoint: endpoints.3,
                    skip_ssl_validation,
                    region,
                    login,
                    pending_deletes,
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            /// Whatever a session holds, the file `save` writes reads back as that session.
            #[test]
            fn every_session_survives_its_file(session in a_session()) {
                let bytes = crate::home::json_bytes(&session).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let back = parse(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(back, session);
            }
        }
    }

    #[test]
    fn session_names_are_validated() {
        assert!(validate_name("work-2", "x").is_ok());
        assert!(validate_name("../etc", "x").is_err());
        assert!(validate_name(".hidden", "x").is_err());
        assert!(validate_name("a/b", "x").is_err());
    }
}
