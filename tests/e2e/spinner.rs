//! The spinner: drawn on a terminal's stderr when a request takes more than a moment, never
//! with `-q`, never when stderr is a pipe, never for quick requests.
#![cfg(unix)]

use crate::fixtures::*;

const SPINNER: &str = "Waiting for 127.0.0.1";

/// Runs `iamctl ARGS` on a pseudo-terminal to the end and returns everything it drew.
fn on_terminal(env: &TestEnv, args: &[&str]) -> String {
    // A terminal always names itself; without TERM (or with TERM=dumb) nothing is drawn.
    env.iamctl_pty(args, &[("TERM", "xterm")]).finish()
}

fn slow_token_endpoint(env: &TestEnv) {
    env.fault(json!({"path": "/identity/token", "delay_ms": 1200, "count": 1}));
}

#[test]
fn a_slow_request_shows_a_spinner_on_a_terminal_and_erases_it() {
    let env = TestEnv::new();
    env.login();
    slow_token_endpoint(&env);
    let screen = on_terminal(&env, &["target", "-c", STAGING_ACCOUNT]);
    assert!(screen.contains(SPINNER), "no spinner:\n{screen:?}");
    // The spinner line is erased before the summary is printed after it.
    let after = &screen[screen.rfind(SPINNER).unwrap_or(0)..];
    assert!(
        after.contains("\x1b[2K") || after.contains("\r"),
        "{after:?}"
    );
    assert!(after.contains("Account:"), "{after:?}");
    assert!(
        !after
            .split("Account:")
            .nth(1)
            .unwrap_or_default()
            .contains("Waiting")
    );
}

#[test]
fn quick_requests_and_quiet_runs_draw_nothing() {
    let env = TestEnv::new();
    env.login();
    let screen = on_terminal(&env, &["target", "-c", STAGING_ACCOUNT]);
    assert!(!screen.contains("Waiting for"), "{screen:?}");
    slow_token_endpoint(&env);
    let screen = on_terminal(&env, &["-q", "target", "-c", STAGING_ACCOUNT]);
    assert!(!screen.contains("Waiting for"), "{screen:?}");
    slow_token_endpoint(&env);
    let screen = env
        .iamctl_pty(&["target", "-c", STAGING_ACCOUNT], &[("TERM", "dumb")])
        .finish();
    assert!(!screen.contains("Waiting for"), "{screen:?}");
}

#[test]
fn piped_stderr_gets_nothing_extra() {
    let env = TestEnv::new();
    env.login();
    slow_token_endpoint(&env);
    let out = env
        .iamctl(["target", "-c", STAGING_ACCOUNT])
        .run()
        .success();
    assert_eq!(out.stderr, "");
    // A trace on stderr keeps the spinner away even on a terminal.
    slow_token_endpoint(&env);
    let screen = env
        .iamctl_pty(
            &["target", "-c", STAGING_ACCOUNT],
            &[("IAMCTL_TRACE", "true")],
        )
        .finish();
    assert!(screen.contains("REQUEST: ["), "{screen:?}");
    assert!(!screen.contains("Waiting for"), "{screen:?}");
}
