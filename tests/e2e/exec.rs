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
