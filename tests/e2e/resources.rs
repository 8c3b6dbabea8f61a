//! Exhausted resources: a file-size limit, a full disk, a read-only or unwritable home, a
//! keyring that never answers or whose items other processes replace mid-read, an IAM that
//! accepts connections and never answers, few file descriptors. Each ends in a one-line
//! error naming what to do (or in success), within a bound, with the previous session intact.
//!
//! Root (as in CI) is not stopped by file modes, so the permission test drops the capability
//! that lets root write anywhere, and the full-disk and read-only tests mount a tiny tmpfs or a
//! read-only bind in a private mount namespace (`unshare --mount`, as `workload` does): these
//! need root, and fail rather than skip without it.

use crate::fixtures::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A bound no healthy command comes near; past it the test fails as a hang.
const LIMIT: Duration = Duration::from_secs(60);

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// No temporary sibling (`.tmp-*`) left anywhere under the home.
#[track_caller]
fn no_temp_files(env: &TestEnv) {
    let left: Vec<_> = env
        .home_files()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".tmp-"))
        })
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

fn is_root() -> bool {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .unwrap_or_else(|e| panic!("id: {e}"));
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// `sh -c SCRIPT` where the test may mount over the home.
fn in_private_mounts<'a>(env: &'a TestEnv, script: &str) -> Cmd<'a> {
    env.in_private_mounts(
        "to mount a full or read-only file system over the home",
        script,
    )
}

#[cfg(unix)]
#[test]
fn a_file_size_limit_is_a_clear_error_naming_the_file_and_the_session_survives() {
    let env = TestEnv::logged_in();
    let before = read(&env.session_file());
    let url = env.url();
    // Without SIGXFSZ ignored, the kernel kills iamctl at its first write and it says nothing.
    let (out, _) = env
        .sh(&format!(
            "ulimit -f 0; exec iamctl login -a '{url}' --no-region --apikey -"
        ))
        .stdin(env.apikey())
        .run_within(LIMIT);
    out.code(1)
        .stderr_contains(&format!(
            "Could not write {}: File too large",
            env.session_file().display()
        ))
        .stderr_contains("Tip: a file-size limit ('ulimit -f') stopped the write")
        .stderr_lacks(".tmp-");
    assert!(read(&env.session_file()) == before, "the session changed");
    no_temp_files(&env);
    env.iamctl(["oauth-tokens"]).run().success();
    // The other files in the home are named the same way: `current`, config.json.
    for (args, file) in [
        (vec!["session-switch", "default"], "current"),
        (vec!["config", "secret-store", "keyring"], "config.json"),
    ] {
        let (out, _) = env
            .sh(&format!("ulimit -f 0; exec iamctl {}", args.join(" ")))
            .run_within(LIMIT);
        out.code(1).stderr_contains(&format!(
            "Could not write {}: File too large",
            env.home().join(file).display()
        ));
        assert!(!env.home().join(file).exists(), "{file} was written");
    }
    no_temp_files(&env);
}

#[cfg(unix)]
#[test]
fn an_unwritable_home_is_a_clear_error_naming_the_session_file() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::logged_in();
    let before = read(&env.session_file());
    let sessions = env.home().join("sessions");
    let chmod = |mode| {
        std::fs::set_permissions(&sessions, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("chmod: {e}"))
    };
    chmod(0o500);
    // Root writes anywhere through CAP_DAC_OVERRIDE: without it, root too meets the mode.
    let drop_override = if is_root() {
        "setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search "
    } else {
        ""
    };
    let (out, _) = env
        .sh(&format!(
            "exec {drop_override}iamctl login -a '{}' --no-region --apikey -",
            env.url()
        ))
        .stdin(env.apikey())
        .run_within(LIMIT);
    chmod(0o700);
    out.code(1)
        .stderr_contains(&format!(
            "Could not write {}: Permission denied",
            env.session_file().display()
        ))
        .stderr_contains("Tip: you may not write there")
        .stderr_contains("IAMCTL_HOME");
    assert!(read(&env.session_file()) == before, "the session changed");
    no_temp_files(&env);
    env.iamctl(["oauth-tokens"]).run().success();
}

/// `iamctl login --apikey -` with `apikey`, onto the home copied to a tiny tmpfs mounted over
/// it and filled up: the same path (so the same keyring entries), a full disk, and the
/// machine's own home untouched. Prints `login exit N`, `session unchanged` when it is, the
/// count of temp files left, then runs `after`.
#[cfg(target_os = "linux")]
fn login_onto_a_full_disk(env: &TestEnv, apikey: &str, after: &str) -> Out {
    let home = env.home().display().to_string();
    let session = env.session_file().display().to_string();
    let script = format!(
        r#"set -e
stage=$(mktemp -d)
cp -a "{home}/." "$stage/"
mount -t tmpfs -o size=256k,mode=0700 tmpfs "{home}"
cp -a "$stage/." "{home}/"
dd if=/dev/zero of="{home}/filler" bs=4096 2>/dev/null || true
set +e
iamctl login -a "{url}" --no-region --apikey -
echo "login exit $?"
cmp -s "$stage/sessions/default.json" "{session}" && echo "session unchanged"
ls -a "{home}/sessions" | grep -c '^\.tmp-' | sed 's/^/temp files /'
{after}
"#,
        url = env.url()
    );
    in_private_mounts(env, &script)
        .stdin(apikey)
        .run_within(LIMIT)
        .0
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_clear_error_and_the_session_survives() {
    let env = TestEnv::logged_in();
    let session = env.session_file().display().to_string();
    let out = login_onto_a_full_disk(
        &env,
        &env.apikey(),
        "iamctl oauth-tokens >/dev/null && echo \"tokens still work\"",
    );
    out.code(0)
        .stdout_contains("login exit 1\n")
        .stdout_contains("session unchanged\n")
        .stdout_contains("temp files 0\n")
        .stdout_contains("tokens still work\n")
        .stderr_contains(&format!(
            "Could not write {session}: No space left on device"
        ))
        .stderr_contains("Tip: its file system is full: free some space and try again");
}

/// A login as someone else onto a full disk: the new session file cannot be written, so the
/// previous login's secrets must still be there (deleting them first would leave a session
/// whose refresh token and API key are gone).
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_keeps_the_previous_identitys_secrets_when_another_identity_logs_in() {
    let env = TestEnv::new();
    // Issued an hour ago by the emulator's clock: the next command must renew it, with the
    // refresh token this test proves is still stored.
    env.advance_clock(-3590);
    env.login();
    env.advance_clock(3590);
    let entries = env.keyring_entries();
    let secrets = env.keyring_secrets();
    assert_eq!(
        entries.len(),
        2,
        "an API-key login keeps a refresh token and its key: {entries:?}"
    );
    let session = env.session_file().display().to_string();
    let out = login_onto_a_full_disk(&env, iam_emulator::seed::DEMO_SERVICE_APIKEY, "");
    out.code(0)
        .stdout_contains("login exit 1\n")
        .stdout_contains("session unchanged\n")
        .stdout_contains("temp files 0\n")
        .stderr_contains(&format!(
            "Could not write {session}: No space left on device"
        ));
    assert_eq!(
        env.keyring_entries(),
        entries,
        "the keyring entries changed"
    );
    assert_eq!(
        env.keyring_secrets(),
        secrets,
        "the previous login's secrets changed"
    );
    let before = env.grants("refresh_token");
    env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(env.grants("refresh_token"), before + 1, "{}", env.stats());
}

#[cfg(target_os = "linux")]
#[test]
fn a_read_only_home_is_a_clear_error_and_the_session_survives() {
    let env = TestEnv::logged_in();
    let home = env.home().display().to_string();
    let before = read(&env.session_file());
    let script = format!(
        r#"set -e
mount --bind "{home}" "{home}"
mount -o remount,ro,bind "{home}"
set +e
iamctl login -a "{url}" --no-region --apikey -
echo "login exit $?"
iamctl session-switch default
echo "switch exit $?"
iamctl oauth-tokens >/dev/null && echo "tokens still work"
"#,
        url = env.url()
    );
    let (out, _) = in_private_mounts(&env, &script)
        .stdin(env.apikey())
        .run_within(LIMIT);
    out.code(0)
        .stdout_contains("login exit 1\n")
        .stdout_contains("switch exit 1\n")
        .stdout_contains("tokens still work\n")
        .stderr_contains(&format!(
            "{}: Read-only file system",
            env.home().join("sessions").join("default.lock").display()
        ))
        .stderr_contains(&format!(
            "Could not write {}: Read-only file system",
            env.home().join("current").display()
        ))
        .stderr_contains("Tip: its file system is mounted read-only; or point IAMCTL_HOME");
    assert!(read(&env.session_file()) == before, "the session changed");
    no_temp_files(&env);
}

/// A Secret Service that takes every call and never answers: `org.freedesktop.secrets` on a
/// private D-Bus, whose `OpenSession` (the first call a client makes) never returns.
#[cfg(target_os = "linux")]
mod silent_keyring {
    use std::io::BufRead;
    use std::process::{Child, ChildStdout, Command, Stdio};

    struct NeverAnswers;

    #[zbus::interface(name = "org.freedesktop.Secret.Service")]
    impl NeverAnswers {
        async fn open_session(
            &self,
            _algorithm: &str,
            _input: zbus::zvariant::Value<'_>,
        ) -> (zbus::zvariant::OwnedValue, zbus::zvariant::OwnedObjectPath) {
            std::future::pending().await
        }
    }

    pub struct SilentKeyring {
        pub address: String,
        daemon: Child,
        _stdout: std::io::BufReader<ChildStdout>,
        _owner: zbus::blocking::Connection,
    }

    impl SilentKeyring {
        pub fn start() -> SilentKeyring {
            let mut daemon = Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "dbus-daemon: {e} (run the tests with scripts/test: Debian package dbus)"
                    )
                });
            let mut stdout = std::io::BufReader::new(
                daemon.stdout.take().unwrap_or_else(|| panic!("no stdout")),
            );
            let mut address = String::new();
            stdout
                .read_line(&mut address)
                .unwrap_or_else(|e| panic!("dbus-daemon address: {e}"));
            let address = address.trim().to_string();
            let owner = zbus::blocking::connection::Builder::address(address.as_str())
                .and_then(|b| b.name("org.freedesktop.secrets"))
                .and_then(|b| b.serve_at("/org/freedesktop/secrets", NeverAnswers))
                .and_then(|b| b.build())
                .unwrap_or_else(|e| panic!("fake Secret Service: {e}"));
            SilentKeyring {
                address,
                daemon,
                _stdout: stdout,
                _owner: owner,
            }
        }
    }

    impl Drop for SilentKeyring {
        fn drop(&mut self) {
            let _ = self.daemon.kill();
            let _ = self.daemon.wait();
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_keyring_that_never_answers_is_bounded_by_a_timeout() {
    let env = TestEnv::logged_in();
    let before = read(&env.session_file());
    let silent = silent_keyring::SilentKeyring::start();
    let (out, took) = env
        .login_with(Creds::ApiKey, &["--no-region"])
        .env("DBUS_SESSION_BUS_ADDRESS", &silent.address)
        .env("IAMCTL_KEYRING_TIMEOUT", "2")
        .run_within(LIMIT);
    out.code(6)
        .stderr_contains("No usable OS keyring (Secret Service (D-Bus)): it did not answer within 2 s (IAMCTL_KEYRING_TIMEOUT).")
        .stderr_contains("IAMCTL_SECRET_STORE=file");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(8),
        "took {took:?}"
    );
    eprintln!("a silent keyring stopped the login after {took:?}");
    assert!(read(&env.session_file()) == before, "the session changed");
    env.iamctl(["oauth-tokens"]).run().success();
    // A timeout that is no number of seconds is a usage error, before any wait.
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("IAMCTL_KEYRING_TIMEOUT", "soon")
        .run()
        .code(2)
        .stderr_contains(
            "IAMCTL_KEYRING_TIMEOUT must be a positive number of seconds, not 'soon'.",
        );
}

/// A TCP port on loopback that accepts connections and never says a word.
fn silent_endpoint() -> String {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.extend(conn.ok());
        }
    });
    format!("http://{addr}")
}

#[test]
fn an_iam_that_accepts_and_never_answers_is_bounded_by_ibmcloud_http_timeout() {
    let env = TestEnv::logged_in();
    let before = read(&env.session_file());
    let silent = silent_endpoint();
    let (out, took) = env
        .iamctl(["login", "-a", &silent, "--no-region", "--apikey", "-"])
        .stdin(env.apikey())
        .env("IBMCLOUD_HTTP_TIMEOUT", "1")
        .run_within(LIMIT);
    let out = out.code(5).stderr_contains(
        "Tip: check the API endpoint (-a), your network, and IBMCLOUD_HTTP_TIMEOUT",
    );
    let cause: Vec<&str> = out
        .err()
        .lines()
        .filter(|l| !l.starts_with("Tip:"))
        .collect();
    assert_eq!(cause.len(), 2, "FAILED and one line of cause: {cause:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    eprintln!("a silent IAM stopped the login after {took:?}");
    assert!(read(&env.session_file()) == before, "the session changed");
    env.iamctl(["oauth-tokens"]).run().success();
}

#[test]
fn parallel_logins_and_logouts_in_one_session_all_succeed() {
    let env = TestEnv::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key = dir.path().join("apikey");
    std::fs::write(&key, env.apikey()).unwrap_or_else(|e| panic!("{e}"));
    let url = env.url();
    let spec = format!("@{}", key.display());
    let (rounds, parallel) = (4, 16);
    let mut failures = Vec::new();
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        // Logins beside logouts: a logout deletes the items a login is about to write, and
        // a login creates new ones, so items vanish between other processes' search and use.
        let children: Vec<_> = (0..parallel)
            .map(|i| {
                let args = if i % 4 == 3 {
                    vec!["logout"]
                } else {
                    vec!["login", "-a", &url, "--no-region", "--apikey", &spec]
                };
                let mut cmd = env.iamctl(args).cmd;
                cmd.stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("spawn: {e}"))
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
            if !out.status.success() {
                failures.push(format!(
                    "{:?}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    eprintln!(
        "{} of {} parallel logins and logouts failed, in {:?}",
        failures.len(),
        rounds * parallel,
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} parallel logins and logouts failed; the first:\n{}",
        failures.len(),
        rounds * parallel,
        failures[..failures.len().min(3)].join("\n")
    );
    // A last login, alone, and the session works with no duplicate or stray secret.
    env.iamctl(["login", "-a", &url, "--no-region", "--apikey", &spec])
        .run()
        .success();
    env.iamctl(["oauth-tokens"]).run().success();
    // One refresh token and one API key: no duplicate left by the races.
    assert_eq!(
        env.keyring_entries().len(),
        2,
        "{:?}",
        env.keyring_entries()
    );
}

#[cfg(unix)]
#[test]
fn few_file_descriptors_leave_cached_commands_working_and_stop_a_login_in_one_line() {
    let env = TestEnv::logged_in();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let key = dir.path().join("apikey");
    std::fs::write(&key, env.apikey()).unwrap_or_else(|e| panic!("{e}"));
    let login = format!(
        "login -a '{}' --no-region --apikey '@{}'",
        env.url(),
        key.display()
    );
    // Cached commands read one file and work; a login needs the HTTP client's runtime and the
    // keyring's connection, whose threads would panic at EMFILE, so it must stop first with
    // one line saying how to raise the limit.
    for args in ["oauth-tokens", "target", login.as_str()] {
        let (out, took) = env
            .sh(&format!("ulimit -n 12; exec iamctl {args}"))
            .env("IBMCLOUD_HTTP_TIMEOUT", "5")
            .run_within(LIMIT);
        eprintln!(
            "ulimit -n 12, {args}: exit {:?} in {took:?}\n{}",
            out.code,
            out.err()
        );
        let out = out.stderr_lacks("panicked");
        if args == login {
            assert_eq!(
                out.code,
                Some(1),
                "login under ulimit -n 12:\n{}",
                out.err()
            );
            assert!(
                out.err().contains("Too few file descriptors") && out.err().contains("ulimit -n"),
                "login under ulimit -n 12:\n{}",
                out.err()
            );
        }
        if out.code != Some(0) {
            // FAILED, one line of cause, then only tips.
            let lines: Vec<&str> = out.err().lines().collect();
            assert!(
                matches!(out.code, Some(1 | 5 | 6)) && lines.first() == Some(&"FAILED"),
                "ulimit -n 12, {args}:\n{}",
                out.err()
            );
            assert!(
                lines.len() >= 2 && lines[2..].iter().all(|l| l.starts_with("Tip:")),
                "{args}: {lines:?}"
            );
        }
    }
    // Whatever happened, the session still works once descriptors are back.
    env.iamctl(["oauth-tokens"]).run().success();
}

/// `EDQUOT` on every kind of file iamctl writes. No file system here has quotas (tmpfs
/// quotas and ext4's quota format are not in every kernel), so strace makes the kernel's
/// answer to the file's `fsync` "Disk quota exceeded", as a file system over quota (or NFS
/// at its limit) answers it: the real binary, the real errno, one write at a time.
#[cfg(target_os = "linux")]
#[test]
fn a_used_up_quota_is_a_clear_error_naming_each_file_and_changes_nothing() {
    let env = TestEnv::logged_in();
    let session_before = read(&env.session_file());
    let kubeconfig = env.user_home().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:6443\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user: {}\ncurrent-context: c\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let kube_before = read(&kubeconfig);
    let key_file = env.user_home().join("key.json");
    let home = env.home();
    // (fsync to fail, command, the file the error must name)
    let cases: Vec<(u32, String, std::path::PathBuf)> = vec![
        (
            1,
            format!("iamctl login -a {} --no-region --apikey -", env.url()),
            env.session_file(),
        ),
        (
            1,
            "iamctl config secret-store file".into(),
            home.join("config.json"),
        ),
        (
            1,
            format!(
                "iamctl service-api-key-create quota-key {} --file {}",
                iam_emulator::seed::DEMO_SERVICE_ID,
                key_file.display()
            ),
            key_file.clone(),
        ),
        (
            1,
            format!(
                "iamctl credential kubectl --install --cluster c --kubeconfig {}",
                kubeconfig.display()
            ),
            kubeconfig.clone(),
        ),
        (
            1,
            format!(
                "iamctl service-api-key-create stored-key {} --keyring stored-key",
                iam_emulator::seed::DEMO_SERVICE_ID
            ),
            home.join("stored-keys.json"),
        ),
        // The session file is written (not yet in place) first, then the file store.
        (
            2,
            format!(
                "IAMCTL_SECRET_STORE=file iamctl login -a {} --no-region --apikey -",
                env.url()
            ),
            home.join("secrets.json"),
        ),
    ];
    for (when, command, file) in cases {
        let script = format!(
            "exec strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:error=EDQUOT:when={when} env {command}"
        );
        let out = env.sh(&script).stdin(env.apikey()).run().code(1);
        let err = out.err().to_string();
        assert!(
            err.contains(&file.display().to_string()) && err.contains("Disk quota exceeded"),
            "{command}: the error does not name {} and the quota: {err}",
            file.display()
        );
        if command.contains("--file") || command.contains("--keyring") {
            // The key exists in IAM by then: it is shown once, with how to delete it.
            assert!(err.contains("was created, but"), "{err}");
            assert!(
                err.contains("Tip: if you cannot save it, delete the key"),
                "{err}"
            );
        }
        if command.contains("--file") {
            continue;
        }
        assert!(
            err.contains("Tip: your disk quota there is used up"),
            "{command}: {err}"
        );
        if command.contains("--keyring") {
            continue;
        }
        // One line of cause (after IBM's `FAILED`, and the file store's standing warning),
        // then tips.
        let cause = err
            .lines()
            .filter(|l| *l != "FAILED" && !l.starts_with("Tip:"))
            .filter(|l| !l.starts_with("WARNING: secrets are kept unencrypted"))
            .count();
        assert_eq!(cause, 1, "{command}: {err}");
    }
    assert!(
        read(&env.session_file()) == session_before,
        "the session changed"
    );
    assert!(read(&kubeconfig) == kube_before, "the kubeconfig changed");
    assert!(!key_file.exists(), "a key file was left");
    assert!(
        !home.join("config.json").exists(),
        "config.json was written"
    );
    let home_text = home.display().to_string();
    let stored: Vec<String> = keyring_usernames()
        .into_iter()
        .filter(|u| u.contains(&home_text) && u.contains("stored-key"))
        .collect();
    assert!(
        stored.is_empty(),
        "a stored key's secret outlived its index: {stored:?}"
    );
    no_temp_files(&env);
    env.iamctl(["oauth-tokens"]).run().success();
}

/// Killed between storing another identity's secrets and putting its session file in place (a
/// SIGKILL at the rename that would), a login leaves the previous session as it was, with the
/// new secrets named for the next logout: nothing in the keyring is left that no file names.
#[cfg(target_os = "linux")]
#[test]
fn a_login_killed_before_its_session_file_lands_orphans_no_secret() {
    let env = TestEnv::logged_in();
    let before = env.session();
    let session = env.session_file().display().to_string();
    // The first rename onto the session file names the new secrets; the second would put the
    // new login in place: it is killed there.
    let script = format!(
        "strace -f -qq -o /dev/null -P {session} -e trace=rename,renameat,renameat2 \
         -e inject=rename,renameat,renameat2:signal=KILL:when=2 \
         iamctl login -a {} --no-region --apikey - >/dev/null 2>&1; echo \"login exit $?\"",
        env.url()
    );
    let out = env
        .sh(&script)
        .stdin(iam_emulator::seed::DEMO_SERVICE_APIKEY)
        .run();
    // 128 + SIGKILL: strace dies of its tracee's signal.
    assert_eq!(out.out(), "login exit 137\n", "{}", out.err());
    let after = env.session();
    assert_eq!(
        after["login"], before["login"],
        "the previous login changed"
    );
    let pending = after["pending_deletes"].to_string();
    assert!(
        pending.contains("iam-ServiceId-"),
        "the new secrets are not named: {pending}"
    );
    let service: Vec<String> = env
        .keyring_entries()
        .into_iter()
        .filter(|e| e.contains("|iam-ServiceId-"))
        .collect();
    assert_eq!(
        service.len(),
        2,
        "the new identity's secrets were stored: {service:?}"
    );
    // The previous login still works, and its logout deletes everything.
    env.iamctl(["oauth-tokens"]).run().success();
    env.iamctl(["logout"]).run().success();
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
}
