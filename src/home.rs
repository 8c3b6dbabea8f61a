//! The iamctl home directory and the private-file helpers every store in it uses.
//!
//! `$IAMCTL_HOME`, else the platform's config directory for iamctl. Directories are created
//! 0700 and files written 0600, atomically (temp file in the same directory, fsync, rename),
//! so a failed or killed command never leaves a half-written file behind.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file operation that failed, with the path and the OS error as its cause.
#[derive(Debug)]
pub struct FileError {
    /// What iamctl tried: "read", "write", "create the directory", ...
    pub action: &'static str,
    pub path: PathBuf,
    pub source: std::io::Error,
    /// Why iamctl would not use a file or directory of its home that it found there.
    pub distrust: Option<Distrust>,
}

/// What makes a file or directory in the iamctl home unfit to use: someone else could have
/// put it there or could change it (an IAM endpoint in a session file, say, decides where
/// the next login sends its API key), or reading it would block or never end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distrust {
    /// A symbolic link, which iamctl does not follow in its home.
    Link,
    /// Not a regular file (a FIFO would block, a device never end).
    NotRegular,
    /// Owned by another user.
    OtherOwner,
    /// Writable by other users (the mode, for the message).
    Writable(u32),
    /// Larger than any file iamctl writes there.
    TooLarge(u64),
}

impl std::fmt::Display for Distrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Distrust::Link => {
                f.write_str("it is a symbolic link, which iamctl does not follow in its home")
            }
            Distrust::NotRegular => f.write_str("it is not a regular file"),
            Distrust::OtherOwner => f.write_str("it belongs to another user"),
            Distrust::Writable(mode) => write!(f, "other users may write it (mode {mode:04o})"),
            Distrust::TooLarge(limit) => {
                write!(
                    f,
                    "it is larger than {} KiB, more than iamctl ever writes",
                    limit / 1024
                )
            }
        }
    }
}

impl FileError {
    pub fn new(action: &'static str, path: &Path, source: std::io::Error) -> FileError {
        FileError {
            action,
            path: path.to_path_buf(),
            source,
            distrust: None,
        }
    }

    fn distrusted(action: &'static str, path: &Path, why: Distrust) -> FileError {
        FileError {
            action,
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string()),
            distrust: Some(why),
        }
    }

    /// What the machine refused, when it is the limit, disk or permissions rather than the
    /// file: the user's to fix (or to route around by writing elsewhere), so the error can say
    /// how.
    pub fn refusal(&self) -> Option<Refusal> {
        use std::io::ErrorKind as K;
        if self.distrust.is_some() {
            return None;
        }
        Some(match self.source.kind() {
            K::FileTooLarge => Refusal::SizeLimit,
            K::StorageFull => Refusal::DiskFull,
            K::QuotaExceeded => Refusal::Quota,
            K::ReadOnlyFilesystem => Refusal::ReadOnly,
            K::PermissionDenied => Refusal::Denied,
            K::NotADirectory => Refusal::NotADirectory,
            _ => return None,
        })
    }
}

/// Why the machine would not let a file be written (`FileError::refusal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// EFBIG: past the process's file-size limit (`ulimit -f`).
    SizeLimit,
    /// ENOSPC.
    DiskFull,
    /// EDQUOT.
    Quota,
    /// EROFS.
    ReadOnly,
    /// EACCES (or EPERM).
    Denied,
    /// A path component is a file.
    NotADirectory,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Could not {} {}: {}",
            self.action,
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// No place for iamctl's state: neither IAMCTL_HOME nor a platform config directory.
#[derive(Debug)]
pub struct NoHome;

impl std::fmt::Display for NoHome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cannot find a home directory for iamctl's configuration.")
    }
}

impl std::error::Error for NoHome {}

/// The home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    /// `$IAMCTL_HOME`, else the platform's config directory for iamctl.
    pub fn locate() -> Result<Home, NoHome> {
        if let Some(dir) = std::env::var_os("IAMCTL_HOME").filter(|v| !v.is_empty()) {
            // Absolute, so that a relative IAMCTL_HOME names the same keyring entries from
            // any working directory.
            let dir = PathBuf::from(dir);
            return Ok(Home {
                dir: std::path::absolute(&dir).unwrap_or(dir),
            });
        }
        match directories::ProjectDirs::from("", "", "iamctl") {
            Some(p) => Ok(Home {
                dir: p.config_dir().to_path_buf(),
            }),
            None => Err(NoHome),
        }
    }

    /// A file directly in the home.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Opens (creating it 0600 if needed) a file that exists only to be locked; its contents
/// are never written.
pub fn open_lock_file(path: &Path) -> Result<File, FileError> {
    open_lock(path, "open the lock file")
}

fn open_lock(path: &Path, action: &'static str) -> Result<File, FileError> {
    let mut opts = OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A link planted at the lock's name would make iamctl create a file elsewhere; a
        // FIFO would block the open.
        opts.mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = opts.open(path).map_err(|e| opened(action, path, e))?;
    check_file(&file, path, action)?;
    Ok(file)
}

/// An error of opening a file of the home: a link where the file should be is distrust.
fn opened(action: &'static str, path: &Path, e: std::io::Error) -> FileError {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return FileError::distrusted(action, path, Distrust::Link);
    }
    FileError::new(action, path, e)
}

/// Whether `meta` is safe to use: ours, and not writable by other users (a group of our own
/// may write it: on systems with a group per user that is the default).
fn trusted(meta: &fs::Metadata) -> Result<(), Distrust> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid and getegid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        if meta.uid() != uid {
            return Err(Distrust::OtherOwner);
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o002 != 0 || (mode & 0o020 != 0 && meta.gid() != gid) {
            return Err(Distrust::Writable(mode));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// An open file of the home is a regular file we can trust.
fn check_file(file: &File, path: &Path, action: &'static str) -> Result<(), FileError> {
    let meta = file
        .metadata()
        .map_err(|e| FileError::new(action, path, e))?;
    if !meta.is_file() {
        return Err(FileError::distrusted(action, path, Distrust::NotRegular));
    }
    trusted(&meta).map_err(|why| FileError::distrusted(action, path, why))
}

/// A directory of the home (the home itself, `sessions/`) that we can trust.
pub fn check_dir(dir: &Path) -> Result<(), FileError> {
    match fs::metadata(dir) {
        Ok(meta) => trusted(&meta).map_err(|why| FileError::distrusted("use", dir, why)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileError::new("use", dir, e)),
    }
}

/// Takes an exclusive lock on a lock file, waiting as long as it takes (for short,
/// read-modify-write updates of small files).
pub fn lock_exclusive(path: &Path) -> Result<File, FileError> {
    let file = open_lock(path, "open")?;
    file.lock().map_err(|e| FileError::new("lock", path, e))?;
    Ok(file)
}

/// Creates a directory of the home (0700), or checks the one that is there: a directory
/// others may write (or someone else's) is refused, since what iamctl reads from it decides
/// where credentials go.
pub fn create_private_dir(dir: &Path) -> Result<(), FileError> {
    if dir.is_dir() {
        return check_dir(dir);
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| FileError::new("create the directory", dir, e))
}

/// Free file descriptors a command needs before it talks to IAM or the keyring: the HTTP
/// client's runtime (epoll, eventfd, signal pipe) and sockets, the keyring's D-Bus connection
/// and reactor, lock and state files. Short of that, those libraries' own threads panic at
/// EMFILE instead of returning an error, so iamctl stops first and says why.
pub const DESCRIPTORS_NEEDED: u64 = 32;

/// The open descriptors and the limit when fewer than `DESCRIPTORS_NEEDED` are free.
pub fn descriptors_short() -> Option<(u64, u64)> {
    #[cfg(target_os = "linux")]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one rlimit into the struct we own.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
        if rc != 0 || lim.rlim_cur == libc::RLIM_INFINITY {
            return None;
        }
        let limit: u64 = lim.rlim_cur;
        // Listing the directory takes a descriptor itself (counted too): not getting one is
        // the answer.
        let open = fs::read_dir("/proc/self/fd").map_or(limit, |d| d.count() as u64);
        (limit.saturating_sub(open) < DESCRIPTORS_NEEDED).then_some((open, limit))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// What `descriptors_short` found, as one line with the fix.
pub fn descriptors_message(what: &str, open: u64, limit: u64) -> String {
    format!(
        "Too few file descriptors are free to talk to {what}: {open} of the limit of {limit} are open, and it needs about {DESCRIPTORS_NEEDED} more; raise the limit (ulimit -n 1024) and run the command again."
    )
}

/// The most a file of the home may hold: sessions, the config, the caches and indexes are
/// kilobytes; a file past this was not written by iamctl (`config.json` -> `/dev/zero`).
pub const HOME_FILE_LIMIT: u64 = 4 * 1024 * 1024;

/// Reads a file of the home; `Ok(None)` when it does not exist. Refuses a link, a FIFO or
/// device, a file of another user or one others may write, in a directory others may write,
/// and a file larger than `HOME_FILE_LIMIT`, before reading any of it.
pub fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    use std::io::Read;
    if let Some(dir) = path.parent() {
        check_dir(dir)?;
    }
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(opened("read", path, e)),
    };
    check_file(&file, path, "read")?;
    let mut bytes = Vec::new();
    file.take(HOME_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::new("read", path, e))?;
    if bytes.len() as u64 > HOME_FILE_LIMIT {
        return Err(FileError::distrusted(
            "read",
            path,
            Distrust::TooLarge(HOME_FILE_LIMIT),
        ));
    }
    Ok(Some(bytes))
}

/// The most a secret file (an API key file, a compute-resource token) may hold: IBM's key
/// files and Kubernetes' tokens are a few kilobytes at most.
pub const SECRET_FILE_LIMIT: u64 = 64 * 1024;

/// A small file holding a secret, trimmed. Refuses what is not a regular file (a FIFO or a
/// device could block or never end) and what is larger than `SECRET_FILE_LIMIT`.
pub fn read_secret_file(path: &Path) -> Result<String, FileError> {
    use std::io::Read;
    let err = |e| FileError::new("read", path, e);
    let meta = fs::metadata(path).map_err(err)?;
    if !meta.is_file() {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(SECRET_FILE_LIMIT + 1).read_to_end(&mut bytes))
        .map_err(err)?;
    if bytes.len() as u64 > SECRET_FILE_LIMIT {
        return Err(err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {} KiB", SECRET_FILE_LIMIT / 1024),
        )));
    }
    String::from_utf8(bytes)
        .map(|s| s.trim().to_string())
        .map_err(|_| {
            err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8 text",
            ))
        })
}

/// tempfile adds the temporary file's path to its errors' text (`... at path "/dir/.tmp-.."`),
/// a name the user never chose: keep only the OS error, so messages name the file the user
/// knows. (tempfile keeps the original error out of reach, so the suffix is cut from the text.)
pub fn without_temp_path(e: std::io::Error) -> std::io::Error {
    if e.raw_os_error().is_some() {
        return e;
    }
    let text = e.to_string();
    match text.rfind(" at path \"") {
        Some(i) => std::io::Error::new(e.kind(), text[..i].to_string()),
        None => e,
    }
}

/// Temp file in `dir` (0600), write, fsync, rename over `path`, fsync the directory.
///
/// Every failure is reported against `path`, the file the user knows, never the temporary
/// sibling (which is removed again on every error path: `NamedTempFile` deletes itself when
/// dropped), and leaves `path` as it was.
pub fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    prepare_atomic(dir, path, bytes)?.commit()
}

/// A private (0600) file beside `path`, in `path`'s directory, that takes `path`'s place
/// only once it is complete and on disk: renamed over it (`replace`), or linked only while
/// `path` is still free (`link_new`, which never replaces what appeared meanwhile), then the
/// directory synced so the name lasts too. Dropped before that, it removes itself.
pub struct Beside {
    tmp: tempfile::NamedTempFile,
    dir: PathBuf,
    path: PathBuf,
}

impl Beside {
    /// An empty one named `<prefix><random>` in `dir`.
    pub fn create(dir: &Path, path: &Path, prefix: &str) -> std::io::Result<Beside> {
        let tmp = tempfile::Builder::new().prefix(prefix).tempfile_in(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o600))?;
        }
        Ok(Beside {
            tmp,
            dir: dir.to_path_buf(),
            path: path.to_path_buf(),
        })
    }

    /// The path it will take.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` and syncs them.
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.tmp.as_file_mut().write_all(bytes)?;
        self.tmp.as_file().sync_all()
    }

    /// Renames it over `path`.
    pub fn replace(self) -> std::io::Result<()> {
        let Beside { tmp, dir, path } = self;
        tmp.persist(&path).map_err(|e| e.error)?;
        sync_dir(&dir);
        Ok(())
    }

    /// Links it in at `path`, which must still be free.
    pub fn link_new(self) -> std::io::Result<()> {
        let Beside { tmp, dir, path } = self;
        tmp.persist_noclobber(&path).map_err(|e| e.error)?;
        sync_dir(&dir);
        Ok(())
    }
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A replacement written in full beside its file but not yet in its place: what a full or
/// read-only disk would refuse has been refused by now, and `commit` only renames. Dropped
/// without `commit`, it removes itself and the file stays as it was.
pub struct Prepared {
    file: Beside,
}

/// The first half of `write_atomic`: the temp file written and synced.
pub fn prepare_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> Result<Prepared, FileError> {
    remove_stale_temps(dir);
    let err = |e: std::io::Error| FileError::new("write", path, without_temp_path(e));
    let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
    let mut file = Beside::create(dir, path, &prefix).map_err(err)?;
    file.write(bytes).map_err(err)?;
    Ok(Prepared { file })
}

impl Prepared {
    /// Renames the written file over its target and syncs the directory.
    pub fn commit(self) -> Result<(), FileError> {
        let path = self.file.path.clone();
        self.file
            .replace()
            .map_err(|e| FileError::new("write", &path, without_temp_path(e)))
    }
}

/// Temp files are `.tmp-<pid>-<random>`. A writer killed between creating one and renaming
/// it (SIGKILL, OOM, power loss) leaves it behind and nothing else would ever remove it, so
/// every write first removes those of processes that no longer exist. Removing one whose
/// process is alive would make that writer's rename fail (its old file stays intact), so
/// anything that might be alive is left alone.
const TEMP_PREFIX: &str = ".tmp-";

fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !process_may_be_alive(pid)
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(unix)]
fn process_may_be_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_may_be_alive(_pid: u32) -> bool {
    true
}

/// Removes a file; a file that is already gone is no error.
pub fn remove_if_exists(path: &Path) -> Result<(), FileError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FileError::new("remove", path, e)),
    }
}

/// Pretty JSON with a final newline: every state file iamctl writes looks the same.
pub fn json_bytes<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_temp_files_name_no_temp_path() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("no");
        let Err(e) = tempfile::Builder::new().prefix(".x-").tempfile_in(&missing) else {
            panic!("a temp file in a missing directory")
        };
        assert!(e.to_string().contains("at path"), "{e}");
        let e = without_temp_path(e);
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(!e.to_string().contains(".x-"), "{e}");
        assert!(e.to_string().contains("os error 2"), "{e}");
    }

    #[test]
    fn a_write_removes_temp_files_of_writers_that_died_and_keeps_live_ones() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // A process that has exited: what a writer killed mid-write leaves behind.
        let dead = std::process::Command::new("true")
            .spawn()
            .and_then(|mut c| c.wait().map(|_| c.id()))
            .unwrap_or_else(|e| panic!("{e}"));
        let stale = dir.path().join(format!(".tmp-{dead}-abc123"));
        let live = dir
            .path()
            .join(format!(".tmp-{}-def456", std::process::id()));
        let other = dir.path().join(".tmp-notapid");
        for p in [&stale, &live, &other] {
            fs::write(p, b"partial").unwrap_or_else(|e| panic!("{e}"));
        }
        let target = dir.path().join("session.json");
        write_atomic(dir.path(), &target, b"{}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fs::read(&target).ok(), Some(b"{}".to_vec()));
        assert!(!stale.exists(), "a dead writer's temp file was left");
        assert!(live.exists(), "a live writer's temp file was removed");
        assert!(other.exists(), "a file iamctl did not name was removed");
        // The write's own temp file is gone too: only these three names remain.
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        assert_eq!(names.len(), 3, "{names:?}");
    }
}
