//! Exhausted resources: a file-size limit, a full disk, a read-only or unwritable home. Each
//! ends in a one-line error naming the file and what to do, within a bound, with the previous
//! session intact.
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

/// `sh -c SCRIPT` in a private mount namespace, so the test can mount over the home without
/// the machine seeing it. Needs root; fails (never skips) without it.
fn in_private_mounts<'a>(env: &'a TestEnv, script: &str) -> Cmd<'a> {
    let probe = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs 'unshare --mount' (root, util-linux) to mount a full or read-only file system over the home: {probe:?}"
    );
    env.sh(&format!(
        "exec unshare --mount --propagation private sh -c '{}'",
        script.replace('\'', r"'\''")
    ))
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

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_clear_error_and_the_session_survives() {
    let env = TestEnv::logged_in();
    let home = env.home().display().to_string();
    let session = env.session_file().display().to_string();
    // The home, copied onto a tiny tmpfs mounted over it, then filled up: the same path (so
    // the same keyring entries), a full disk, and the machine's own home untouched.
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
iamctl oauth-tokens >/dev/null && echo "tokens still work"
"#,
        url = env.url()
    );
    let (out, _) = in_private_mounts(&env, &script)
        .stdin(env.apikey())
        .run_within(LIMIT);
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
