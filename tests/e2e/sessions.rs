//! Named sessions side by side: created by `--session`/`IAMCTL_SESSION` on login, listed,
//! switched without a new login, chosen per command (flag > variable > switch > default),
//! parallel jobs that never step on each other, logout vs session-delete.

use crate::fixtures::*;
use std::collections::BTreeMap;
use std::process::Stdio;

/// `default` on the Demo account, `staging` (made with IAMCTL_SESSION) on Staging.
fn two_sessions() -> TestEnv {
    let env = TestEnv::new();
    env.login();
    env.login_with(Creds::ApiKey, &["--no-region", "-c", STAGING_ACCOUNT])
        .env("IAMCTL_SESSION", "staging")
        .run()
        .success();
    env
}

/// The account the token of the selected session is scoped to.
fn account_of(out: Out) -> String {
    let out = out.success();
    jwt_claims(out.stdout.trim())["account"]["bss"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn login_with_a_session_name_leaves_the_default_alone() {
    let env = two_sessions();
    assert!(env.named_session_file("staging").is_file());
    assert!(
        !env.home().join("current").exists(),
        "login must not switch"
    );
    assert_eq!(
        account_of(env.iamctl(["oauth-tokens", "--output", "raw"]).run()),
        DEMO_ACCOUNT
    );
    assert_eq!(
        account_of(
            env.iamctl(["--session", "staging", "oauth-tokens", "--output", "raw"])
                .run()
        ),
        STAGING_ACCOUNT
    );
    // Each session has its own keyring entries.
    let entries = env.keyring_entries();
    assert!(
        entries.iter().any(|e| e.contains("|default|")),
        "{entries:?}"
    );
    assert!(
        entries.iter().any(|e| e.contains("|staging|")),
        "{entries:?}"
    );
}

#[test]
fn sessions_lists_both_in_text_and_json() {
    let env = two_sessions();
    let out = env.iamctl(["sessions"]).run().success().stderr_is("");
    let lines: Vec<&str> = out.out().lines().collect();
    assert!(
        lines[0].starts_with("  Name      User               Account     ")
            && lines[0].contains("   API endpoint   ")
            && lines[0].ends_with("   Token"),
        "{}",
        out.out()
    );
    assert!(lines[1].starts_with("* default   demo@example.com   Demo Account (<SHORT:Demo Account>) <-> 1234567   <URL>   valid "), "{}", out.out());
    assert!(
        lines[2].starts_with(
            "  staging   demo@example.com   Staging Account (<SHORT:Staging Account>)"
        ),
        "{}",
        out.out()
    );
    assert!(
        out.out().ends_with("\nActive: default (the default)\n"),
        "{}",
        out.out()
    );

    let sessions = env.iamctl(["sessions", "--output", "json"]).run().success();
    assert_eq!(sessions.json_names(), ["default", "staging"]);
    let json = sessions.json();
    assert_eq!(json[0]["active"], true);
    assert_eq!(json[1]["active"], false);
    assert_eq!(json[1]["account"]["guid"], STAGING_ACCOUNT);
    assert_eq!(json[1]["logged_in"], true);
    assert_eq!(json[1]["token_valid"], true);
    assert_eq!(json[1]["api_endpoint"], env.url());
}

#[test]
fn flag_beats_variable_beats_switch_beats_default() {
    let env = two_sessions();
    let account = |extra: &[&str], var: Option<&str>| {
        let mut cmd = env.iamctl(
            extra
                .iter()
                .copied()
                .chain(["oauth-tokens", "--output", "raw"]),
        );
        if let Some(v) = var {
            cmd = cmd.env("IAMCTL_SESSION", v);
        }
        account_of(cmd.run())
    };
    assert_eq!(account(&[], None), DEMO_ACCOUNT);
    assert_eq!(account(&[], Some("staging")), STAGING_ACCOUNT);
    assert_eq!(
        account(&["--session", "default"], Some("staging")),
        DEMO_ACCOUNT
    );

    let before = env.stats();
    env.iamctl(["session-switch", "staging"])
        .run()
        .success()
        .stdout_contains("Switched to session 'staging'.")
        .stdout_contains("Account:          Staging Account");
    assert_eq!(env.stats(), before, "switching must not log in again");
    assert_eq!(account(&[], None), STAGING_ACCOUNT);
    assert_eq!(account(&[], Some("default")), DEMO_ACCOUNT);
    assert_eq!(account(&["--session", "default"], None), DEMO_ACCOUNT);
    env.iamctl(["sessions"])
        .run()
        .success()
        .stdout_contains("* staging")
        .stdout_contains("Active: staging ('iamctl session-switch')");

    // A variable that overrides the switch is pointed out.
    env.iamctl(["session-switch", "default"])
        .env("IAMCTL_SESSION", "staging")
        .run()
        .success()
        .stderr_contains("IAMCTL_SESSION=staging is set in this environment and takes precedence");
}

#[test]
fn unknown_and_invalid_names_are_usage_errors() {
    let env = two_sessions();
    env.iamctl(["session-switch", "prod"])
        .run()
        .code(2)
        .stderr_is(
            "FAILED\nThere is no session named 'prod'.\nTip: known sessions: default, staging\n\
             Tip: create it with 'iamctl --session prod login ...'\n",
        );
    assert!(!env.home().join("current").exists());
    env.iamctl(["--session", "../etc", "oauth-tokens"])
        .run()
        .code(2)
        .stderr_contains("Invalid session name '../etc' in --session");
    env.iamctl(["oauth-tokens"])
        .env("IAMCTL_SESSION", "a/b")
        .run()
        .code(2)
        .stderr_contains("in IAMCTL_SESSION");
    // A session that does not exist is an unknown name for every command but `login`
    // (which creates it), as for session-switch.
    env.iamctl(["--session", "prod", "oauth-tokens"])
        .run()
        .code(2)
        .stderr_contains("There is no session named 'prod'.");
}

#[test]
fn parallel_jobs_in_different_sessions_never_step_on_each_other() {
    let env = TestEnv::new();
    // Both sessions start inside the refresh window, so every job below has to renew.
    env.set_ttl(5, 86_400);
    env.login();
    env.iamctl([
        "--session",
        "staging",
        "login",
        "-a",
        &env.url(),
        "--apikey",
        "-",
        "--no-region",
        "-c",
        STAGING_ACCOUNT,
    ])
    .stdin(env.apikey())
    .run()
    .success();
    env.set_ttl(3600, 86_400);
    let before = env.grants("refresh_token");
    let jobs: Vec<_> = (0..16)
        .map(|i| {
            let session = if i % 2 == 0 { "default" } else { "staging" };
            let mut cmd = env.command(BIN);
            // Half select by flag, half by variable.
            if i % 4 < 2 {
                cmd.args(["--session", session]);
            } else {
                cmd.env("IAMCTL_SESSION", session);
            }
            cmd.args(["oauth-tokens", "--output", "raw"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            (session, cmd.spawn().unwrap_or_else(|e| panic!("{e}")))
        })
        .collect();
    let mut tokens: BTreeMap<&str, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (session, child) in jobs {
        let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let stdout = String::from_utf8_lossy(&o.stdout).trim().to_string();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let want = if session == "default" {
            DEMO_ACCOUNT
        } else {
            STAGING_ACCOUNT
        };
        assert_eq!(jwt_claims(&stdout)["account"]["bss"], want, "{session}");
        tokens.entry(session).or_default().insert(stdout);
    }
    assert_eq!(tokens["default"].len(), 1, "one renewal per session");
    assert_eq!(tokens["staging"].len(), 1, "one renewal per session");
    assert_eq!(env.grants("refresh_token") - before, 2, "{}", env.stats());
}

#[test]
fn logout_clears_a_named_session_and_session_delete_removes_it() {
    let env = two_sessions();
    env.iamctl(["--session", "staging", "logout"])
        .run()
        .success();
    let json = env
        .iamctl(["sessions", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json[1]["name"], "staging");
    assert_eq!(json[1]["logged_in"], false);
    assert_eq!(
        json[1]["api_endpoint"],
        env.url(),
        "logout keeps the endpoint"
    );
    assert!(
        env.keyring_entries()
            .iter()
            .all(|e| !e.contains("|staging|"))
    );
    assert!(
        env.keyring_entries()
            .iter()
            .any(|e| e.contains("|default|"))
    );
    env.iamctl(["sessions"])
        .run()
        .success()
        .stdout_contains("logged out");
    env.iamctl(["session-switch", "staging"])
        .run()
        .success()
        .stderr_contains("session 'staging' is not logged in");

    // Log it in again, then delete it while it is the switched-to session.
    env.login_with(Creds::ApiKey, &["--no-region", "-c", STAGING_ACCOUNT])
        .run()
        .success();
    assert!(
        env.keyring_entries()
            .iter()
            .any(|e| e.contains("|staging|"))
    );
    env.iamctl(["session-delete", "staging"])
        .run()
        .success()
        .stdout_is("Removed session 'staging'; the 'default' session is active again.\nOK\n");
    assert!(!env.named_session_file("staging").exists());
    assert!(!env.home().join("current").exists());
    assert!(
        env.keyring_entries()
            .iter()
            .all(|e| !e.contains("|staging|"))
    );
    let json = env
        .iamctl(["sessions", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json.as_array().map(Vec::len), Some(1));
    assert_eq!(json[0]["active"], true);
    env.iamctl(["session-delete", "staging"]).run().code(2);
}

/// The Secret Service race of issue 12 (an item replaced between one process's search and
/// its read, exit 6): a known bug fixed separately, so it is the one failure tolerated here.
fn known_keyring_race(stderr: &str) -> bool {
    stderr.contains("org.freedesktop.Secret.Item")
        || stderr.contains("org.freedesktop.DBus.Properties")
        || stderr.contains("Object does not exist at path")
}

#[test]
fn parallel_logins_of_two_identities_into_one_session_leave_it_consistent() {
    let env = TestEnv::new();
    let url = env.url();
    let keys = [env.apikey(), env.info().service_apikey.clone()];
    let prefix = format!("{}|{url}|race|", env.home().display());
    for round in 0..6 {
        // Each login deletes the previous identity's secrets and stores its own; without
        // one lock around both and the file write, a login could delete what another had
        // just stored and named (bench/concurrency.sh found a session whose secrets were gone).
        let jobs: Vec<_> = (0..8)
            .map(|i| {
                let mut cmd = env.command(BIN);
                cmd.args(["--session", "race", "login", "-a", &url])
                    .args(["--apikey", "-", "--no-region", "-q"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped());
                let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
                if let Some(mut stdin) = child.stdin.take() {
                    use std::io::Write;
                    let _ = stdin.write_all(keys[i % 2].as_bytes());
                }
                child
            })
            .collect();
        for child in jobs {
            let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(
                o.status.success() || (o.status.code() == Some(6) && known_keyring_race(&stderr)),
                "round {round}: {stderr}"
            );
        }
        let bytes = std::fs::read(env.named_session_file("race")).unwrap_or_else(|e| panic!("{e}"));
        let session: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let login = &session["login"];
        if login.is_null() {
            continue;
        }
        let mut named: Vec<String> = ["refresh_token", "apikey"]
            .iter()
            .filter(|k| login["secrets"][**k] == true)
            .map(|k| {
                format!(
                    "{prefix}{}|{k}",
                    login["iam_id"].as_str().unwrap_or_default()
                )
            })
            .collect();
        named.sort();
        // Secrets a logout or login could not delete (the race above) stay listed as pending
        // deletes; those may still exist. Nothing else may.
        let pending: Vec<String> = session["pending_deletes"]
            .as_array()
            .map(|p| {
                p.iter()
                    .map(|d| {
                        format!(
                            "{prefix}{}|{}",
                            d["iam_id"].as_str().unwrap_or_default(),
                            d["kind"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut stored: Vec<String> = env
            .keyring_entries()
            .into_iter()
            .filter(|u| u.starts_with(&prefix) && !pending.contains(u))
            .collect();
        stored.sort();
        assert_eq!(
            stored, named,
            "round {round}: the keyring holds other secrets than the session file names"
        );
    }
}
