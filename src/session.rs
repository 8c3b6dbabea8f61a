//! Session files on disk: where they are, which one is active, their lock, and their atomic
//! writes. What a file holds (endpoints, targets, the login record) is the credentials
//! layer's (`auth::record`); here it is any serde value.
//!
//! Layout under the home directory (`$IAMCTL_HOME`, else the platform config dir):
//! `sessions/<name>.json` (0600), `sessions/<name>.lock` (exclusive lock for writers),
//! `current` (optional one-line name of the active session). Writes are atomic (temp file in
//! the same directory, fsync, rename) and happen under the lock; commands that fail never
//! write, so the previous session stays byte-identical.

use crate::home::{
    FileError, Home, Prepared, create_private_dir, open_lock_file, prepare_atomic, read_if_exists,
    write_atomic,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::{self, File};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const DEFAULT_SESSION: &str = "default";
const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

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

/// A session named for this run by `--session` or `IAMCTL_SESSION`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub selection: Selection,
}

/// The session this run names: `flag` (`--session NAME`; `from_env` when clap took it from
/// `IAMCTL_SESSION`, which it declares on the flag), else `IAMCTL_SESSION` read by hand (the
/// oauth-tokens shortcut and TAB answer without clap). `None`: the home decides.
pub fn named(flag: Option<&str>, from_env: bool) -> Result<Option<Named>> {
    if let Some(name) = flag {
        let (place, selection) = if from_env {
            (SESSION_VAR, Selection::Env)
        } else {
            ("--session", Selection::Flag)
        };
        return Ok(Some(Named {
            name: validate_name(name, place)?,
            selection,
        }));
    }
    match std::env::var(SESSION_VAR) {
        Ok(name) if !name.is_empty() => Ok(Some(Named {
            name: validate_name(&name, SESSION_VAR)?,
            selection: Selection::Env,
        })),
        _ => Ok(None),
    }
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

/// Which sessions a home holds and which one is active.
impl Home {
    pub fn sessions_dir(&self) -> PathBuf {
        self.dir.join("sessions")
    }

    /// The active session's name and what selected it: the session `named` for this run,
    /// else the `current` file, else `default`.
    pub fn active_session(&self, named: Option<&Named>) -> Result<(String, Selection)> {
        if let Some(n) = named {
            return Ok((n.name.clone(), n.selection));
        }
        match self.current_file_name()? {
            Some(name) => Ok((name, Selection::Current)),
            None => Ok((DEFAULT_SESSION.to_string(), Selection::Default)),
        }
    }

    /// The name in the `current` file, if it exists and is not empty.
    pub fn current_file_name(&self) -> Result<Option<String>> {
        let Some(bytes) = read_if_exists(&self.current_path())? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes);
        let name = text.trim();
        if name.is_empty() {
            Ok(None)
        } else {
            validate_name(name, "the 'current' file").map(Some)
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
    pub fn path(&self) -> PathBuf {
        self.home.sessions_dir().join(format!("{}.json", self.name))
    }

    pub fn lock_path(&self) -> PathBuf {
        self.home.sessions_dir().join(format!("{}.lock", self.name))
    }

    /// Reads the session; `Ok(None)` when none was ever written. The hot path of
    /// `oauth-tokens`: one small file, nothing else.
    pub fn load<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        let path = self.path();
        // The home above `sessions/` too: whoever may write it may replace `sessions/`.
        crate::home::check_dir(&self.home.dir).map_err(SessionError::Unreadable)?;
        let bytes = match read_if_exists(&path) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(None),
            Err(mut e) => {
                e.action = "read the session file";
                return Err(SessionError::Unreadable(e));
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| SessionError::Corrupt { path, source })
    }

    /// Like `load`, but a corrupt file counts as no session (for `login`, `logout` and
    /// `session-delete`, which are the ways out of a corrupt file). Unreadable files are
    /// still errors.
    pub fn load_lenient<T: DeserializeOwned>(&self) -> Result<(Option<T>, bool)> {
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
    pub fn save(&self, lock: &SessionLock, session: &impl Serialize) -> Result<()> {
        Ok(self.prepare(lock, session)?.commit()?)
    }

    /// Writes the new session file beside the old one without replacing it yet (see
    /// `home::Prepared`): a home that cannot take the file fails here, before the caller
    /// changes anything else. The caller holds the lock until it commits.
    pub fn prepare(&self, _lock: &SessionLock, session: &impl Serialize) -> Result<Prepared> {
        let bytes = crate::home::json_bytes(session).map_err(SessionError::Encode)?;
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
mod tests {
    use super::*;
    use serde_json::{Value, json};
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
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = store_in(&tmp.path().join("home"));
        assert!(matches!(store.load::<Value>(), Ok(None)));
        let session = json!({"api_endpoint": "https://cloud.ibm.com", "region": "us-south"});
        let lock = store.lock().unwrap_or_else(|e| panic!("{e}"));
        store
            .save(&lock, &session)
            .unwrap_or_else(|e| panic!("{e}"));
        drop(lock);
        let loaded: Option<Value> = store.load().ok().flatten();
        assert_eq!(loaded, Some(session));
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
    fn corrupt_file_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = store_in(tmp.path());
        store.home.ensure_dirs().unwrap_or_else(|e| panic!("{e}"));
        fs::write(store.path(), b"{not json").unwrap_or_else(|e| panic!("{e}"));
        let err = match store.load::<Value>() {
            Err(e) => e,
            Ok(_) => panic!("corrupt file accepted"),
        };
        assert!(matches!(err, SessionError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("is corrupt"));
        assert!(matches!(store.load_lenient::<Value>(), Ok((None, true))));
    }

    #[test]
    fn session_names_are_validated() {
        assert!(validate_name("work-2", "x").is_ok());
        assert!(validate_name("../etc", "x").is_err());
        assert!(validate_name(".hidden", "x").is_err());
        assert!(validate_name("a/b", "x").is_err());
    }
}
