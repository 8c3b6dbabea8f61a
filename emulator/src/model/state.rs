//! The state file (`--state FILE`): everything that changes (world, refresh-token sessions,
//! delegated refresh tokens, the clock's offset) and the signing key. Read and checked at
//! start; written atomically (temp file, fsync, rename). When it is written is `persist`'s
//! business.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::crypto::jwt::{KeyError, Signer, StoredKey};
use crate::model::clock::{Clock, ClockError};
use crate::model::session::{Delegation, Delegations, Session, Sessions};
use crate::model::world::{Inconsistency, World};

const FORMAT: u32 = 1;

/// Why the state file cannot be used; each names the file.
#[derive(Debug)]
pub enum StateError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Read, but refused by the checks of `parse`.
    Invalid {
        path: PathBuf,
        problem: StateProblem,
    },
    /// The state could not be turned into JSON.
    Encode {
        path: PathBuf,
        source: serde_json::Error,
    },
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateError::Read { path, source } => {
                write!(f, "cannot read state file {}: {source}", path.display())
            }
            StateError::Invalid { path, problem } => {
                write!(
                    f,
                    "state file {} {problem}; fix or remove it",
                    path.display()
                )
            }
            StateError::Encode { path, source } => {
                write!(f, "cannot write state file {}: {source}", path.display())
            }
            StateError::Write { path, source } => {
                write!(f, "cannot write state file {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Read { source, .. } | StateError::Write { source, .. } => Some(source),
            StateError::Invalid { problem, .. } => Some(problem),
            StateError::Encode { source, .. } => Some(source),
        }
    }
}

/// What is wrong with a state file's contents; the Display completes "state file FILE ...".
#[derive(Debug)]
pub enum StateProblem {
    NotJson(serde_json::Error),
    Format(u32),
    Inconsistent(Inconsistency),
    Clock(ClockError),
    Key(KeyError),
}

impl std::fmt::Display for StateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateProblem::NotJson(e) => write!(f, "is not valid: {e}"),
            StateProblem::Format(n) => {
                write!(f, "has format {n}, this emulator reads format {FORMAT}")
            }
            StateProblem::Inconsistent(e) => write!(f, "is not consistent: {e}"),
            StateProblem::Clock(e) => write!(f, "is not valid: {e}"),
            StateProblem::Key(e) => write!(f, "is not valid: {e}"),
        }
    }
}

impl std::error::Error for StateProblem {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateProblem::NotJson(e) => Some(e),
            StateProblem::Format(_) => None,
            StateProblem::Inconsistent(e) => Some(e),
            StateProblem::Clock(e) => Some(e),
            StateProblem::Key(e) => Some(e),
        }
    }
}

#[derive(Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub signing_key: StoredKey,
    pub world: World,
    pub sessions: HashMap<String, Session>,
    /// Delegated refresh tokens; files from before they existed have none.
    #[serde(default)]
    pub delegations: HashMap<String, Delegation>,
    /// Seconds the clock was moved (`POST /emulator/clock`); files from before the clock
    /// existed have none, which is the same as 0.
    #[serde(default)]
    pub clock_offset: i64,
}

impl Snapshot {
    pub fn sessions(&mut self) -> Sessions {
        std::mem::take(&mut self.sessions)
            .into_iter()
            .map(|(k, v)| (Arc::from(k), Arc::new(v)))
            .collect()
    }

    pub fn delegations(&mut self) -> Delegations {
        std::mem::take(&mut self.delegations)
            .into_iter()
            .map(|(k, v)| (Arc::from(k), Arc::new(v)))
            .collect()
    }
}

/// What is written: the same shape as `Snapshot`, built from shared pointers, so the maps
/// are copied under their locks in a fraction of the time deep clones would take.
#[derive(Serialize)]
pub struct SnapshotOut {
    format: u32,
    signing_key: StoredKey,
    world: World,
    sessions: MapOut<Session>,
    delegations: MapOut<Delegation>,
    clock_offset: i64,
}

impl SnapshotOut {
    pub fn new(
        signing_key: StoredKey,
        world: World,
        sessions: Vec<(Arc<str>, Arc<Session>)>,
        delegations: Vec<(Arc<str>, Arc<Delegation>)>,
        clock_offset: i64,
    ) -> SnapshotOut {
        SnapshotOut {
            format: FORMAT,
            signing_key,
            world,
            sessions: MapOut(sessions),
            delegations: MapOut(delegations),
            clock_offset,
        }
    }
}

/// A map of shared pointers, written as a JSON object.
struct MapOut<T>(Vec<(Arc<str>, Arc<T>)>);

impl<T: Serialize> Serialize for MapOut<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (&**k, &**v)))
    }
}

/// A state file read and checked: what it holds, its signing key and its clock.
pub struct Loaded {
    pub snapshot: Snapshot,
    pub signer: Arc<Signer>,
    pub clock: Clock,
}

/// Reads a state file; `Ok(None)` when it does not exist yet (first run). Every refusal is one
/// line naming the file.
pub fn load(path: &Path) -> Result<Option<Loaded>, StateError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    remove_stale_temp_files(path);
    parse(&bytes, &|key| Signer::from_stored(key).map(Arc::new))
        .map(Some)
        .map_err(|problem| StateError::Invalid {
            path: path.to_path_buf(),
            problem,
        })
}

/// The checks of `load` on a file's bytes. `signer` turns the stored key into a signer (the fuzz target remembers keys it has seen).
pub fn parse(
    bytes: &[u8],
    signer: &dyn Fn(&StoredKey) -> Result<Arc<Signer>, KeyError>,
) -> Result<Loaded, StateProblem> {
    let mut snapshot: Snapshot = serde_json::from_slice(bytes).map_err(StateProblem::NotJson)?;
    if snapshot.format != FORMAT {
        return Err(StateProblem::Format(snapshot.format));
    }
    snapshot.world.check().map_err(StateProblem::Inconsistent)?;
    snapshot.world.reindex();
    // The moved clock comes back too, or the tokens and sessions issued on it would jump in
    // time.
    let clock = Clock::with_offset(snapshot.clock_offset).map_err(StateProblem::Clock)?;
    let signer = signer(&snapshot.signing_key).map_err(StateProblem::Key)?;
    Ok(Loaded {
        snapshot,
        signer,
        clock,
    })
}

/// Temp files of writers that died mid-write (SIGKILL, power loss) would pile up, one per
/// process: remove those whose process is gone. Only Linux tells cheaply (`/proc`).
fn remove_stale_temp_files(path: &Path) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let ours = pid == std::process::id().to_string();
        let alive = Path::new("/proc").join(pid).exists();
        if pid.parse::<u32>().is_ok() && !ours && !alive {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` so that readers see either the old file or the new one, never a torn one,
/// even across a crash. The file holds the signing key, API key values and refresh sessions,
/// so it is created owner-only (0600) from its first byte; the directory is left as it is.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A new file only its owner can read. A leftover temp file (a crash of a process with the
/// same id) is replaced rather than reused, so its mode is never inherited.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        let f = options.open(path)?;
        // The umask may have taken bits away; the owner needs exactly read and write.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(f)
    }
    #[cfg(not(unix))]
    options.open(path)
}

/// Writes a snapshot to `path`, atomically.
pub fn save(path: &Path, snapshot: &SnapshotOut) -> Result<(), StateError> {
    let bytes = serde_json::to_vec(snapshot).map_err(|source| StateError::Encode {
        path: path.to_path_buf(),
        source,
    })?;
    write_atomic(path, &bytes).map_err(|source| StateError::Write {
        path: path.to_path_buf(),
        source,
    })
}
