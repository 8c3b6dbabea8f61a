//! `iamctl exec -- CMD ARGS`: the token in the command's environment, the command's own
//! exit status, signals and standard streams, shell-like 127/126, and never the token in
//! iamctl's own output.
#![cfg(unix)]

use crate::fixtures::*;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

#[test]
fn the_command_gets_both_variables_and_its_exit_status_is_kept() {
    let env = TestEnv::new();
    env.login();
    let token = env.raw_token();
    let out = env
        .iamctl([
            "exec",
            "--",
            "sh",
            "-c",
            r#"test "$IBMCLOUD_IAM_TOKEN" = "$IC_IAM_TOKEN" || exit 99; printf '%s|%s' "$IC_IAM_TOKEN" "$IAMCTL_SESSION"; exit 7"#,
        ])
        .run()
        .code(7)
        .stderr_is("");
    assert_eq!(out.stdout, format!("Bearer {token}|default"));
}

#[test]
fn standard_streams_are_the_commands_own() {
    let env = TestEnv::new();
    env.login();
    env.iamctl(["exec", "cat"])
        .stdin("piped through\n")
        .run()
        .success()
        .stdout_is("piped through\n");
    env.iamctl(["exec", "--", "sh", "-c", "echo to-stderr >&2"])
        .run()
        .success()
        .stdout_is("")
        .stderr_is("to-stderr\n");
    // Arguments that look like iamctl's flags belong to the command.
    env.iamctl(["exec", "--", "echo", "--output", "json", "-q"])
        .run()
        .success()
        .stdout_is("--output json -q\n");
}

#[test]
fn a_signal_that_kills_the_command_is_seen_by_the_caller() {
    let env = TestEnv::new();
    env.login();
    let status = env
        .command(BIN)
        .args(["exec", "--", "sh", "-c", "kill -TERM $$"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

/// iamctl ignores SIGXFSZ for itself; an ignored signal stays ignored across exec, so
/// without giving the default back the command would run with a disposition it never chose.
#[cfg(target_os = "linux")]
#[test]
fn the_command_gets_the_default_file_size_signal_back() {
    let env = TestEnv::new();
    env.login();
    let out = env
        .iamctl([
            "exec",
            "--",
            "sh",
            "-c",
            "grep '^SigIgn:' /proc/self/status",
        ])
        .run()
        .success();
    let mask = out
        .out()
        .trim()
        .strip_prefix("SigIgn:")
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or_else(|| panic!("no SigIgn mask in {:?}", out.out()));
    let sigxfsz = 25;
    assert_eq!(
        mask & (1 << (sigxfsz - 1)),
        0,
        "SIGXFSZ is ignored in the command: {mask:x}"
    );
    // And past `ulimit -f` the command dies of the signal, as it would outside iamctl.
    let status = env
        .command("sh")
        .env("PATH", path_with_bin())
        .args([
            "-c",
            "ulimit -f 8; exec iamctl exec -- sh -c 'exec head -c 65536 /dev/zero > big'",
        ])
        .current_dir(env.user_home())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.status.signal(), Some(sigxfsz), "{status:?}");
}

#[test]
fn missing_and_unrunnable_commands_exit_like_a_shell() {
    let env = TestEnv::new();
    env.login();
    let token = env.raw_token();
    let missing = env
        .iamctl(["exec", "--", "no-such-command-iamctl", "arg"])
        .run()
        .code(127)
        .stdout_is("")
        .stderr_is(
            "FAILED\nCommand 'no-such-command-iamctl' not found.\n\
             Tip: check its name and PATH (a shell builtin needs: iamctl exec -- sh -c '...')\n",
        );
    let not_executable = env.home().join("not-executable");
    std::fs::write(&not_executable, "#!/bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
    let denied = env
        .iamctl(["exec", "--"])
        .arg(&not_executable)
        .run()
        .code(126)
        .stderr_contains("Could not run");
    for out in [missing, denied] {
        assert!(!out.stdout.contains(&token) && !out.stderr.contains(&token));
    }
    // Nothing to run is a usage error.
    env.iamctl(["exec"]).run().code(2);
}

#[test]
fn not_logged_in_exits_3_and_runs_nothing() {
    let env = TestEnv::new();
    let marker = env.home().join("ran");
    env.iamctl(["exec", "--", "touch"])
        .arg(&marker)
        .run()
        .code(3)
        .stderr_contains("Not logged in");
    assert!(!marker.exists());
}

#[test]
fn a_token_about_to_expire_is_renewed_first() {
    let env = TestEnv::new();
    env.set_ttl(5, 86_400);
    env.login();
    let old = env.raw_token();
    env.set_ttl(3600, 86_400);
    let before = env.grants("refresh_token");
    let out = env
        .iamctl([
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"$IBMCLOUD_IAM_TOKEN\"",
        ])
        .run()
        .success();
    assert_eq!(env.grants("refresh_token"), before + 1);
    assert!(out.stdout.starts_with("Bearer eyJ") && !out.stdout.contains(&old));
    // The renewed token is the session's from now on.
    assert_eq!(out.stdout, format!("Bearer {}", env.raw_token()));
}

#[test]
fn the_session_used_is_passed_on_to_nested_iamctl() {
    let env = TestEnv::new();
    env.iamctl([
        "--session",
        "work",
        "login",
        "-a",
        &env.url(),
        "--apikey",
        "-",
        "--no-region",
    ])
    .stdin(env.apikey())
    .run()
    .success();
    // The outer session was chosen by flag only; the inner iamctl still finds it.
    env.sh("iamctl --session work exec -- sh -c 'echo $IAMCTL_SESSION; iamctl oauth-tokens --output raw >/dev/null && echo inner-ok'")
        .run()
        .success()
        .stdout_is("work\ninner-ok\n");
}

#[test]
fn a_long_running_command_reads_a_token_file_that_iamctl_keeps_fresh() {
    let env = TestEnv::new();
    // Every token the emulator issues now looks ten seconds from expiry, so iamctl renews
    // the file about every second while the command runs.
    env.advance_clock(-3590);
    env.login();
    let out = env
        .iamctl([
            "exec",
            "--",
            "sh",
            "-c",
            r#"f="$IAMCTL_TOKEN_FILE"; first=$(cat "$f"); sleep 4; second=$(cat "$f")
               test "$first" != "$second" && echo renewed
               test "Bearer $first" = "$IC_IAM_TOKEN" && echo env-has-the-first
               stat -c '%a' "$f" "$(dirname "$f")"; echo "$f""#,
        ])
        .run()
        .success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        &lines[..4],
        ["renewed", "env-has-the-first", "600", "700"],
        "{}",
        out.stdout
    );
    assert!(env.grants("refresh_token") >= 2, "{}", env.stats());
    // The file and its directory leave with the command.
    let file = std::path::Path::new(lines[4]);
    assert!(!file.exists() && !file.parent().is_some_and(|d| d.exists()));
}

#[test]
fn signals_sent_to_iamctl_reach_the_command_and_its_exit_status_comes_back() {
    use std::io::{BufRead, BufReader};
    let env = TestEnv::new();
    env.login();
    let mut child = env
        .command(BIN)
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.1; done",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("stdout")));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(line, "ready\n");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed.success());
    line.clear();
    stdout
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(line, "got-term\n");
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.code(), Some(7), "{status:?}");
}

#[test]
fn the_refresh_token_reaches_the_command_only_when_asked() {
    let env = TestEnv::new();
    env.login();
    let script = r#"printf %s "${IC_IAM_REFRESH_TOKEN:-none}""#;
    env.iamctl(["exec", "--", "sh", "-c", script])
        .run()
        .success()
        .stdout_is("none");
    let out = env
        .iamctl(["exec", "--with-refresh-token", "--", "sh", "-c", script])
        .run()
        .success()
        .stderr_is("");
    let stored = env.keyring_secrets();
    assert!(
        stored.iter().any(|s| s == &out.stdout),
        "the command got something other than the session's refresh token"
    );
}
