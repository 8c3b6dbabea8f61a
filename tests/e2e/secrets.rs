//! Secrets stay secret: never in files under IAMCTL_HOME, never in output or errors; without
//! a keyring iamctl fails closed, and the explicit file store works with its warning.

use crate::fixtures::*;

/// The refresh tokens iamctl holds, read back from the keyring.
fn refresh_tokens_in_keyring(env: &TestEnv) -> Vec<String> {
    env.keyring_entries()
        .iter()
        .filter(|u| u.ends_with("|refresh_token"))
        .filter_map(|user| keyring_lookup(user))
        .collect()
}

#[test]
fn no_api_key_or_refresh_token_in_files_or_output() {
    let env = TestEnv::new();
    let key = env.apikey();
    let info = env.info().clone();
    let mut outputs = Vec::new();
    let mut refresh_tokens = Vec::new();
    outputs.push(env.login());
    refresh_tokens.extend(refresh_tokens_in_keyring(&env));
    outputs.push(env.iamctl(["oauth-tokens"]).run().success());
    outputs.push(
        env.iamctl(["oauth-tokens", "--output", "json"])
            .run()
            .success(),
    );
    outputs.push(env.iamctl(["target", "--output", "json"]).run().success());
    outputs.push(
        env.iamctl(["target", "-c", STAGING_ACCOUNT])
            .run()
            .success(),
    );
    refresh_tokens.extend(refresh_tokens_in_keyring(&env));
    // Failures too: a wrong key, a wrong password.
    outputs.push(
        env.login_with(Creds::ApiKey, &[])
            .stdin(format!("{key}-wrong"))
            .run()
            .code(4),
    );
    outputs.push(
        env.login_with(Creds::Password(&info.username, "pw-secret-xyz"), &[])
            .run()
            .code(4),
    );
    assert!(
        !refresh_tokens.is_empty(),
        "no refresh token found in the keyring"
    );

    let mut secrets = vec![key.clone(), "pw-secret-xyz".to_string()];
    secrets.extend(refresh_tokens);
    for (path, bytes) in env.home_files() {
        let text = String::from_utf8_lossy(&bytes);
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{} contains a secret",
                path.display()
            );
        }
    }
    for out in &outputs {
        for s in &secrets {
            assert!(
                !out.stdout.contains(s.as_str()) && !out.stderr.contains(s.as_str()),
                "a secret was printed:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    #[cfg(unix)]
    {
        for (path, _) in env.home_files() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
        assert_eq!(mode(&env.home().join("sessions")), 0o700);
    }
}

#[test]
fn without_keyring_login_fails_closed_then_file_store_works_with_warning() {
    let env = TestEnv::without_keyring_check();
    let failed = env
        .login_with(Creds::ApiKey, &["--no-region"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .code(6)
        .stderr_contains("IAMCTL_SECRET_STORE=file")
        .stderr_contains("dbus-run-session");
    // It never looks like a success, not even for a moment.
    assert!(
        !failed.out().contains("OK") && !failed.out().contains("Targeted"),
        "{}",
        failed.out()
    );
    // Nothing was saved anywhere (the API-key grant may have run alongside the keyring
    // connection; its tokens were dropped).
    assert!(!env.session_file().exists());
    assert!(!env.home().join("secrets.json").exists());
    // A one-time code is never spent when no keyring can keep the session.
    let code = env.passcode(&env.info().sso_user.clone());
    env.iamctl(["login", "--sso", "-a", &env.url(), "--no-region"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .stdin(format!("{code}\n"))
        .run()
        .code(6);
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:passcode"), 0);

    let warning = "WARNING: secrets are kept unencrypted in";
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("IAMCTL_SECRET_STORE", "file")
        .run()
        .success()
        .stderr_contains(warning);
    let secrets_file = env.home().join("secrets.json");
    assert!(secrets_file.exists());
    // Every file of the store, its lock included, is private.
    #[cfg(unix)]
    for (path, _) in env.home_files() {
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    let stored: Value = serde_json::from_slice(&std::fs::read(&secrets_file).unwrap_or_default())
        .unwrap_or(Value::Null);
    assert_eq!(stored["entries"].as_object().map(|o| o.len()), Some(2));

    // The session remembers its store: renewing uses the file (with the warning) even
    // without the variable, and the hot path touches neither.
    env.iamctl(["oauth-tokens"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .success()
        .stderr_is("");
    let mut session = env.session();
    session["login"]["token_issued_at"] = json!(0);
    std::fs::write(env.session_file(), session.to_string()).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["oauth-tokens"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .success()
        .stderr_contains(warning);
    assert_eq!(env.grants("refresh_token"), 1);

    let logout = env
        .iamctl(["logout"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .success()
        .stderr_contains(warning);
    assert_eq!(logout.err().matches(warning).count(), 1, "{}", logout.err());
    let stored: Value = serde_json::from_slice(&std::fs::read(&secrets_file).unwrap_or_default())
        .unwrap_or(Value::Null);
    assert_eq!(stored["entries"].as_object().map(|o| o.len()), Some(0));
}

#[test]
fn hot_path_needs_no_keyring() {
    let env = TestEnv::new();
    env.login();
    // With the bus gone, a valid cached token is still printed: no keyring, no network.
    env.iamctl(["oauth-tokens"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("IAM_ENDPOINT", "http://127.0.0.1:1")
        .run()
        .success()
        .stdout_is("IAM token:  Bearer <JWT>\n");
}

#[test]
fn config_setting_opts_in_to_the_file_store() {
    let env = TestEnv::without_keyring_check();
    env.iamctl(["config", "secret-store"])
        .run()
        .success()
        .stdout_is("keyring\n");
    env.iamctl(["config", "secret-store", "file"])
        .run()
        .success()
        .stderr_contains("unencrypted");
    env.iamctl(["config", "secret-store"])
        .run()
        .success()
        .stdout_is("file\n");
    // The variable overrides the setting.
    env.iamctl(["config", "secret-store"])
        .env("IAMCTL_SECRET_STORE", "keyring")
        .run()
        .success()
        .stdout_is("keyring\n");
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .success()
        .stderr_contains("WARNING: secrets are kept unencrypted in");
    env.iamctl(["config", "secret-store", "nowhere"])
        .run()
        .code(2);
}

#[test]
fn logout_without_keyring_clears_the_token_and_retries_the_secrets_later() {
    let env = TestEnv::new();
    env.login();
    assert_eq!(env.keyring_entries().len(), 2);
    env.iamctl(["logout"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .code(6)
        .stderr_contains("run 'iamctl logout' again");
    let session = env.session();
    assert!(session["login"].is_null());
    assert_eq!(
        session["pending_deletes"].as_array().map(|a| a.len()),
        Some(2)
    );
    assert_eq!(env.keyring_entries().len(), 2);
    env.iamctl(["oauth-tokens"]).run().code(3);
    // With the keyring back, the next logout finishes the job.
    env.iamctl(["logout"]).run().success();
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
    assert!(env.session()["pending_deletes"].is_null());
}

#[test]
fn session_delete_after_a_logout_without_keyring_leaves_no_secret_behind() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["--no-region"])
        .arg("--session")
        .arg("ci")
        .run()
        .success();
    let ours = || {
        env.keyring_entries()
            .into_iter()
            .filter(|e| e.contains("|ci|"))
            .count()
    };
    assert_eq!(ours(), 2);
    env.iamctl(["--session", "ci", "logout"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .code(6);
    assert_eq!(ours(), 2, "the keyring was unreachable, so nothing left it");
    // Without the keyring, session-delete keeps the file (the only record of the secrets)
    // and names the command that finishes.
    env.iamctl(["session-delete", "ci"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .code(6)
        .stderr_contains("run 'iamctl session-delete ci' again");
    assert!(env.named_session_file("ci").exists());
    // With the keyring back, the secrets the failed logout left behind go with the session.
    env.iamctl(["session-delete", "ci"]).run().success();
    assert!(!env.named_session_file("ci").exists());
    assert_eq!(ours(), 0, "{:?}", env.keyring_entries());
}

#[test]
fn two_homes_logged_in_as_the_same_identity_keep_their_own_secrets() {
    let env = TestEnv::new();
    env.login();
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let other_home = other.path().join("iamctl");
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("IAMCTL_HOME", &other_home)
        .run()
        .success();
    let refresh_entries = |home: &std::path::Path| {
        let prefix = format!("{}|{}|", home.display(), env.url());
        keyring_usernames()
            .into_iter()
            .filter(|u| u.starts_with(&prefix) && u.ends_with("|refresh_token"))
            .count()
    };
    assert_eq!(refresh_entries(env.home()), 1, "{:?}", keyring_usernames());
    assert_eq!(refresh_entries(&other_home), 1, "{:?}", keyring_usernames());

    // Logging out of the other home must leave this home's refresh token and API key alone.
    env.iamctl(["logout"])
        .env("IAMCTL_HOME", &other_home)
        .run()
        .success();
    assert_eq!(refresh_entries(&other_home), 0, "{:?}", keyring_usernames());
    assert_eq!(refresh_entries(env.home()), 1, "{:?}", keyring_usernames());
    let mut session = env.session();
    session["login"]["token_issued_at"] = json!(0);
    std::fs::write(env.session_file(), session.to_string()).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(env.grants("refresh_token"), 1);
}

#[test]
fn a_login_that_cannot_reach_the_previous_logins_keyring_lists_its_secrets_for_logout() {
    let env = TestEnv::new();
    env.login();
    let previous = env.keyring_entries();
    assert_eq!(previous.len(), 2);
    // The keyring is gone and the user opts in to the file store: the new login works, and
    // the previous login's keyring secrets, which it could not delete, are not forgotten.
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("IAMCTL_SECRET_STORE", "file")
        .run()
        .success()
        .stderr_contains("could not delete the previous login's secrets")
        .stderr_contains("`iamctl logout` deletes them later");
    assert_eq!(env.keyring_entries(), previous);
    let pending = env.session()["pending_deletes"].clone();
    assert_eq!(pending.as_array().map(|a| a.len()), Some(2), "{pending}");
    assert!(pending.to_string().contains("\"keyring\""), "{pending}");
    // The new login's own secrets are in the file, and the next logout, with the keyring
    // back, deletes both.
    env.iamctl(["oauth-tokens"]).run().success();
    env.iamctl(["logout"]).run().success();
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
    assert!(env.session()["pending_deletes"].is_null());
    let stored: Value =
        serde_json::from_slice(&std::fs::read(env.home().join("secrets.json")).unwrap_or_default())
            .unwrap_or(Value::Null);
    assert_eq!(stored["entries"].as_object().map(|o| o.len()), Some(0));
}
