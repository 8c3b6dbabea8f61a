//! The hot path of `oauth-tokens`, proven with strace: with a valid cached token the binary
//! opens only the session file (and probes the `current` pointer), and makes no socket, so
//! no keyring (D-Bus), no network, no HTTP client.
#![cfg(target_os = "linux")]

use crate::fixtures::*;

#[test]
fn cached_oauth_tokens_opens_one_file_and_no_socket() {
    let env = TestEnv::new();
    env.login();
    let (stdout, trace) = strace_iamctl(
        env.command("strace"),
        "openat,open,socket,connect",
        &["oauth-tokens"],
    );
    assert!(stdout.starts_with("IAM token:  Bearer "));
    assert!(!trace.contains("socket("), "a socket was opened:\n{trace}");
    assert!(
        !trace.contains("connect("),
        "a connection was made:\n{trace}"
    );
    let home = env.home().display().to_string();
    let opened: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("open"))
        .filter_map(|l| l.split('"').nth(1))
        .filter(|p| {
            !p.starts_with("/lib") && !p.starts_with("/usr/lib") && !p.starts_with("/etc/ld.so")
        })
        .filter(|p| *p != "/proc/self/maps")
        .collect();
    assert_eq!(
        opened,
        vec![
            format!("{home}/current"),
            format!("{home}/sessions/default.json")
        ],
        "{trace}"
    );
}
