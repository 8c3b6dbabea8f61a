//! Inputs that never end or never come: every `@FILE` and `-` (stdin) iamctl reads a secret
//! or a token from is bounded (64 KiB, regular files only), so `@/dev/zero`, a FIFO nobody
//! writes, a directory, `/dev/tty` without a terminal and a stdin that never ends each stop
//! within seconds with a one-line error, and the session already there stays as it was.

use crate::fixtures::*;
use std::path::Path;
use std::time::Duration;

/// Far more than any of these should take; a command still running then is a hang.
const LIMIT: Duration = Duration::from_secs(10);

/// Logs in, and returns the session file's bytes to compare with after the hostile inputs.
fn logged_in() -> (TestEnv, Vec<u8>) {
    let env = TestEnv::logged_in();
    let before = std::fs::read(env.session_file()).unwrap_or_else(|e| panic!("{e}"));
    (env, before)
}

/// The session is byte-identical and still gives tokens.
#[track_caller]
fn session_intact(env: &TestEnv, before: &[u8]) {
    let after = std::fs::read(env.session_file()).unwrap_or_default();
    assert!(after == before, "the session file changed");
    env.iamctl(["oauth-tokens"]).run().success();
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(status.success(), "mkfifo {} failed", path.display());
}

#[cfg(unix)]
#[test]
fn apikey_files_that_never_end_block_or_are_no_files_are_refused_at_once() {
    let (env, before) = logged_in();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fifo = dir.path().join("key.fifo");
    mkfifo(&fifo);
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b'k'; 64 * 1024 + 1]).unwrap_or_else(|e| panic!("{e}"));
    let url = env.url();
    let cases: [(&Path, &str); 6] = [
        (Path::new("/dev/zero"), "not a regular file"),
        (Path::new("/dev/urandom"), "not a regular file"),
        (&fifo, "not a regular file"),
        (dir.path(), "not a regular file"),
        (Path::new("/dev/tty"), "not a regular file"),
        (&big, "larger than 64 KiB"),
    ];
    for (path, why) in cases {
        let spec = format!("@{}", path.display());
        // setsid: no controlling terminal, so /dev/tty is what a cron job or CI would meet.
        let (out, took) = env
            .sh(&format!(
                "exec setsid -w iamctl login -a '{url}' --no-region --apikey '{spec}' </dev/null"
            ))
            .run_within(LIMIT);
        out.code(1)
            .stderr_contains(&format!(
                "Could not read the API key file '{}' (--apikey): {why}",
                path.display()
            ))
            .stderr_lacks("panicked");
        assert!(took < Duration::from_secs(5), "{spec} took {took:?}");
    }
    session_intact(&env, &before);
}

#[test]
fn a_stdin_that_never_ends_is_refused_past_64_kib() {
    let (env, before) = logged_in();
    let url = env.url();
    for (what, args) in [
        ("the API key", "--apikey -"),
        ("the compute-resource token", "--cr-token - --profile p"),
    ] {
        let (out, took) = env
            .sh(&format!(
                "exec iamctl login -a '{url}' --no-region {args} </dev/zero"
            ))
            .run_within(LIMIT);
        out.code(2)
            .stderr_contains(&format!(
                "More than 64 KiB on stdin where {what} was expected."
            ))
            .stderr_lacks("panicked");
        assert!(took < Duration::from_secs(5), "{args} took {took:?}");
    }
    session_intact(&env, &before);
}

#[test]
fn token_decode_reads_a_bounded_stdin() {
    let env = TestEnv::without_keyring_check();
    let (out, took) = env
        .sh("exec iamctl token decode - </dev/zero")
        .run_within(LIMIT);
    out.code(2)
        .stderr_contains("More than 64 KiB on stdin where the token was expected.")
        .stderr_lacks("panicked");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // A token piped in as before still decodes.
    let token = jwt_like();
    env.iamctl(["token", "decode", "-", "--output", "json"])
        .stdin(format!("Bearer {token}\n"))
        .run()
        .success()
        .stdout_contains("\"iam_id\": \"IBMid-1\"");
}

/// An unsigned token with one claim: `token decode` reads the payload only.
fn jwt_like() -> String {
    use base64::Engine;
    let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    format!(
        "{}.{}.sig",
        b64(r#"{"alg":"none"}"#),
        b64(r#"{"iam_id":"IBMid-1"}"#)
    )
}
