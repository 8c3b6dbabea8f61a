//! The one test environment: an in-process emulator, a temp `IAMCTL_HOME` and `HOME`, a
//! pinned environment for every command, and a fluent builder to run the real binary.
//!
//! ```ignore
//! let env = TestEnv::new();
//! env.iamctl(["login", "-a", &env.url(), "--apikey", "-"]).stdin(env.apikey()).run().success();
//! ```
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_iamctl");

/// Variables passed through from the test process; everything else is cleared, so no
/// developer `IBMCLOUD_*`/`IAMCTL_*`/`IAM_ENDPOINT`, proxy or display leaks in.
const KEEP: &[&str] = &[
    "PATH",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "TMPDIR",
    "LANG",
    "LC_ALL",
];

/// Fails (never skips) when no Secret Service is reachable: the suite must run under
/// `scripts/test`, which starts a private D-Bus with an unlocked gnome-keyring.
pub fn require_secret_service() {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = PROBE.get_or_init(|| {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err("DBUS_SESSION_BUS_ADDRESS is not set".into());
        }
        let label = format!("iamctl-test-probe-{}", std::process::id());
        let stored = Command::new("secret-tool")
            .args(["store", "--label", &label, "iamctl-test-probe", &label])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                if let Some(mut s) = c.stdin.take() {
                    s.write_all(b"probe")?;
                }
                c.wait_with_output()
            });
        match stored {
            Ok(o) if o.status.success() => {
                let _ = Command::new("secret-tool")
                    .args(["clear", "iamctl-test-probe", &label])
                    .status();
                Ok(())
            }
            Ok(o) => Err(format!(
                "secret-tool store failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!("cannot run secret-tool: {e}")),
        }
    });
    if let Err(why) = result {
        panic!(
            "no Secret Service is reachable ({why}). Run the tests with scripts/test, or locally: \
             source scripts/lib.sh; with_secret_service cargo test"
        );
    }
}

pub struct TestEnv {
    pub emu: iam_emulator::Running,
    home: tempfile::TempDir,
    user_home: tempfile::TempDir,
    env: Vec<(String, String)>,
    http: reqwest::blocking::Client,
}

impl TestEnv {
    /// An emulator with the demo world, an empty `IAMCTL_HOME`, and a reachable keyring.
    pub fn new() -> TestEnv {
        require_secret_service();
        Self::without_keyring_check()
    }

    /// For tests that deliberately run without a keyring.
    pub fn without_keyring_check() -> TestEnv {
        Self::with_config(iam_emulator::Config::default())
    }

    /// An emulator started from this seed (a world built for one test), keyring checked.
    pub fn with_seed(seed: iam_emulator::Seed) -> TestEnv {
        require_secret_service();
        Self::with_config(iam_emulator::Config {
            seed: Some(seed.into()),
            ..iam_emulator::Config::default()
        })
    }

    fn with_config(config: iam_emulator::Config) -> TestEnv {
        let emu = iam_emulator::spawn(config)
            .unwrap_or_else(|e| panic!("cannot start the emulator: {e}"));
        let home = tempfile::Builder::new()
            .prefix("iamctl-home-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{e}"));
        let user_home = tempfile::Builder::new()
            .prefix("iamctl-user-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{e}"));
        let http = reqwest::blocking::Client::new();
        TestEnv {
            emu,
            home,
            user_home,
            env: Vec::new(),
            http,
        }
    }

    pub fn url(&self) -> String {
        self.emu.url().to_string()
    }

    pub fn info(&self) -> &iam_emulator::ReadyInfo {
        self.emu.info()
    }

    pub fn apikey(&self) -> String {
        self.info().apikey.clone()
    }

    /// `IAMCTL_HOME` of this environment.
    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn session_file(&self) -> PathBuf {
        self.home().join("sessions").join("default.json")
    }

    /// The session file, parsed.
    pub fn session(&self) -> Value {
        let bytes = std::fs::read(self.session_file()).unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Adds a variable to every command this environment runs.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_string(), value.to_string()));
    }

    /// A `Command` with the pinned environment (for pipelines and pseudo-terminals).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear();
        for k in KEEP {
            if let Some(v) = std::env::var_os(k) {
                cmd.env(k, v);
            }
        }
        cmd.env("HOME", self.user_home.path())
            .env("IAMCTL_HOME", self.home())
            .env("NO_COLOR", "1")
            .env("IBMCLOUD_HTTP_TIMEOUT", "20");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn iamctl<I, S>(&self, args: I) -> Cmd<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(BIN);
        cmd.args(args);
        Cmd {
            env: self,
            cmd,
            stdin: Vec::new(),
        }
    }

    /// `sh -c SCRIPT` with the pinned environment and `$IAMCTL` pointing at the binary.
    pub fn sh(&self, script: &str) -> Cmd<'_> {
        let mut cmd = self.command("sh");
        let bin_dir = Path::new(BIN)
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.env("PATH", path).arg("-c").arg(script);
        Cmd {
            env: self,
            cmd,
            stdin: Vec::new(),
        }
    }

    /// The usual API-key login, checked to succeed.
    pub fn login(&self) -> Out {
        self.iamctl(["login", "-a", &self.url(), "--apikey", "-", "--no-region"])
            .stdin(self.apikey())
            .run()
            .success()
    }

    // ---- the emulator's admin API -------------------------------------------------

    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url());
        let req = match method {
            "GET" => self.http.get(&url),
            "POST" => self.http.post(&url),
            "PUT" => self.http.put(&url),
            "DELETE" => self.http.delete(&url),
            other => panic!("method {other}"),
        };
        let req = match body {
            Some(b) => req
                .header("Content-Type", "application/json")
                .body(b.to_string()),
            None => req,
        };
        let resp = req
            .send()
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status();
        let text = resp.text().unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub fn stats(&self) -> Value {
        self.admin("GET", "/emulator/stats", None)
    }

    /// How many token grants of a type the emulator has served.
    pub fn grants(&self, grant_type: &str) -> u64 {
        self.stats()["token_grants"][grant_type]
            .as_u64()
            .unwrap_or(0)
    }

    pub fn passcode(&self, user: &str) -> String {
        let v = self.admin("POST", "/emulator/passcodes", Some(json!({ "user": user })));
        v["passcode"]
            .as_str()
            .unwrap_or_else(|| panic!("no passcode in {v}"))
            .to_string()
    }

    pub fn set_ttl(&self, token_ttl: u64, refresh_token_ttl: u64) {
        self.admin(
            "PUT",
            "/emulator/config",
            Some(json!({"token_ttl": token_ttl, "refresh_token_ttl": refresh_token_ttl})),
        );
    }

    pub fn fault(&self, fault: Value) {
        self.admin("POST", "/emulator/faults", Some(fault));
    }

    // ---- normalisation ----------------------------------------------------------------

    /// Emulator URL -> `<URL>`, JWTs -> `<JWT>`, account ids -> `<ACCOUNT:name>`.
    pub fn normalize(&self, text: &str) -> String {
        let mut s = text.replace(&self.url(), "<URL>");
        s = replace_jwts(&s);
        for a in &self.info().accounts {
            s = s.replace(&a.id, &format!("<ACCOUNT:{}>", a.name));
            if a.id.len() > 11 {
                let short = format!("{}...{}", &a.id[..4], &a.id[a.id.len() - 4..]);
                s = s.replace(&short, &format!("<SHORT:{}>", a.name));
            }
        }
        s
    }

    /// Every file under `IAMCTL_HOME`, with its bytes.
    pub fn home_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if let Ok(b) = std::fs::read(&p) {
                    out.push((p, b));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.home(), &mut out);
        out
    }

    /// This environment's keyring entries (its home and its emulator: a port can be reused
    /// within a run, a home cannot) as usernames, sorted.
    pub fn keyring_entries(&self) -> Vec<String> {
        let prefix = format!("{}|{}|", self.home().display(), self.url());
        keyring_usernames()
            .into_iter()
            .filter(|u| u.starts_with(&prefix))
            .collect()
    }
}

/// Every `username` of service `iamctl` in the Secret Service, sorted.
///
/// `secret-tool search` fails as a whole ("No such secret item") when any matching item is
/// deleted while it reads them, which other tests running in parallel do all the time. Its
/// output from such a run is partial, so it is thrown away and the search repeated; a search
/// that keeps failing for another reason fails the test instead of reading as "no entries".
pub fn keyring_usernames() -> Vec<String> {
    let mut last_error = String::new();
    for _ in 0..50 {
        let out = Command::new("secret-tool")
            .args(["search", "--all", "service", "iamctl"])
            .output()
            .unwrap_or_else(|e| panic!("secret-tool: {e}"));
        // Attributes go to stderr (secrets and labels to stdout), so a failed run is told
        // apart by its status and an error line.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let error = stderr
            .lines()
            .find(|l| l.starts_with("secret-tool:"))
            .map(str::to_string);
        if out.status.success() && error.is_none() {
            let mut users: Vec<String> = stderr
                .lines()
                .filter_map(|l| l.trim_start().strip_prefix("attribute.username = "))
                .map(str::to_string)
                .collect();
            users.sort();
            return users;
        }
        last_error = error.unwrap_or_else(|| format!("{}: {stderr}", out.status));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("secret-tool search kept failing: {last_error}")
}

/// The secret stored under service `iamctl` and `username`, if any.
pub fn keyring_lookup(username: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "iamctl", "username", username])
        .output()
        .unwrap_or_else(|e| panic!("secret-tool: {e}"));
    let secret = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!secret.is_empty()).then_some(secret)
}

/// Runs this build's iamctl with `args` under `strace -f -qq -e trace=SYSCALLS`; `cmd` is a
/// `strace` command whose environment the caller has set. Fails unless both succeed, naming
/// scripts/test when strace is missing; returns iamctl's stdout and the system-call log.
pub fn strace_iamctl(mut cmd: Command, syscalls: &str, args: &[&str]) -> (String, String) {
    let probe = Command::new("strace").arg("-V").output();
    assert!(
        probe.map(|o| o.status.success()).unwrap_or(false),
        "strace is missing: run the tests with scripts/test (Debian package strace)"
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("strace.log");
    cmd.args(["-f", "-qq", "-e", &format!("trace={syscalls}"), "-o"])
        .arg(&log)
        .arg(BIN)
        .args(args);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("no strace log: {e}"));
    (String::from_utf8_lossy(&out.stdout).into_owned(), trace)
}

/// A file's permission bits (0 when it cannot be read), for the 0600/0700 checks.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

/// Replaces what differs between runs in IAM Identity output: `ServiceId-<uuid>` and
/// `ApiKey-<uuid>` become `ServiceId-#1`, `ApiKey-#1`, ... numbered by first appearance,
/// minute timestamps `<TIME>`, entity tags `N-<TAG>`, and the given secrets `<SECRET>`.
pub fn stable(text: &str, secrets: &[&str]) -> String {
    use std::collections::HashMap;
    let mut s = text.to_string();
    for secret in secrets.iter().filter(|x| !x.is_empty()) {
        s = s.replace(secret, "<SECRET>");
    }
    let uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    let ids =
        regex::Regex::new(&format!("(ServiceId|ApiKey)-{uuid}")).unwrap_or_else(|e| panic!("{e}"));
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    s = ids
        .replace_all(&s, |c: &regex::Captures| {
            let whole = c[0].to_string();
            let kind = c[1].to_string();
            seen.entry(whole)
                .or_insert_with(|| {
                    let n = counts.entry(kind.clone()).or_insert(0);
                    *n += 1;
                    format!("{kind}-#{n}")
                })
                .clone()
        })
        .into_owned();
    let time = regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[+-]\d{4}")
        .unwrap_or_else(|e| panic!("{e}"));
    s = time.replace_all(&s, "<TIME>").into_owned();
    let tag = regex::Regex::new(r"\b(\d+)-[0-9a-f]{32}\b").unwrap_or_else(|e| panic!("{e}"));
    tag.replace_all(&s, "$1-<TAG>").into_owned()
}

fn replace_jwts(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find("eyJ") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .unwrap_or(tail.len());
        let candidate = &tail[..end];
        if candidate.matches('.').count() == 2 {
            out.push_str("<JWT>");
        } else {
            out.push_str(candidate);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

pub struct Cmd<'a> {
    env: &'a TestEnv,
    pub cmd: Command,
    stdin: Vec<u8>,
}

impl<'a> Cmd<'a> {
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = input.as_ref().to_vec();
        self
    }

    /// One more argument (a path, say, that is not UTF-8-safe to format).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    pub fn run(mut self) -> Out {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", self.cmd));
        if let Some(mut s) = child.stdin.take() {
            let _ = s.write_all(&self.stdin);
        }
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("wait: {e}"));
        Out {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            normalized: None,
        }
        .normalize_with(self.env)
    }
}

/// A finished command, with assertions that print both streams on failure.
#[derive(Clone)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    normalized: Option<(String, String)>,
}

impl Out {
    fn normalize_with(mut self, env: &TestEnv) -> Self {
        self.normalized = Some((env.normalize(&self.stdout), env.normalize(&self.stderr)));
        self
    }

    fn describe(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}--- stderr\n{}---",
            self.code, self.stdout, self.stderr
        )
    }

    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, Some(0), "expected success\n{}", self.describe());
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\n{}",
            self.describe()
        );
        self
    }

    /// Normalised stdout.
    pub fn out(&self) -> &str {
        self.normalized
            .as_ref()
            .map(|n| n.0.as_str())
            .unwrap_or(&self.stdout)
    }

    /// Normalised stderr.
    pub fn err(&self) -> &str {
        self.normalized
            .as_ref()
            .map(|n| n.1.as_str())
            .unwrap_or(&self.stderr)
    }

    #[track_caller]
    pub fn stdout_is(self, expected: &str) -> Self {
        assert_eq!(self.out(), expected, "\n{}", self.describe());
        self
    }

    #[track_caller]
    pub fn stdout_contains(self, needle: &str) -> Self {
        assert!(
            self.out().contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stderr_is(self, expected: &str) -> Self {
        assert_eq!(self.err(), expected, "\n{}", self.describe());
        self
    }

    #[track_caller]
    pub fn stderr_contains(self, needle: &str) -> Self {
        assert!(
            self.err().contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.describe()
        );
        self
    }

    #[track_caller]
    pub fn stderr_lacks(self, needle: &str) -> Self {
        assert!(
            !self.stderr.contains(needle),
            "stderr contains {needle:?}\n{}",
            self.describe()
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{}", self.describe()))
    }

    /// The `name` of every object in stdout's JSON array, in order (a list command's
    /// `--output json`).
    pub fn json_names(&self) -> Vec<String> {
        self.json()
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

// ---- named sessions, keyring secrets, token claims (extras) ------------------------------

impl TestEnv {
    /// `sessions/<name>.json` of this environment.
    pub fn named_session_file(&self, name: &str) -> PathBuf {
        self.home().join("sessions").join(format!("{name}.json"))
    }

    /// The secret values of this environment's keyring entries (refresh tokens, API keys),
    /// for tests that prove a secret never shows up somewhere.
    pub fn keyring_secrets(&self) -> Vec<String> {
        self.keyring_entries()
            .iter()
            .filter_map(|u| keyring_lookup(u))
            .collect()
    }
}

/// The payload of a JWT (with or without `Bearer `), as JSON.
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let token = token.trim().trim_start_matches("Bearer ").trim();
    let payload = token
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {token:?}"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .unwrap_or_else(|e| panic!("payload: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("claims: {e}"))
}
