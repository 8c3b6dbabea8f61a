//! Failures a new user meets, following the guide: each refused before anything changes or
//! is spent, at once, in one clear line that names the fix. A locked keyring (a private
//! Secret Service whose collection is locked), malformed settings, a session named but never
//! logged in, a local server given without a scheme, an IAM that is down while the cached
//! token is still good, retries, the Docker helper's `version`, and typos.

use crate::fixtures::*;
use std::time::Duration;

/// Runs `script` (with `$IAMCTL`) on a private D-Bus session whose gnome-keyring has its
/// login collection locked: the keyring answers, and refuses every write.
fn with_locked_keyring<'a>(env: &'a TestEnv, script: &str) -> Cmd<'a> {
    // secret-tool locks the collection, then may crash on the way out: its status says
    // nothing, the refused write below does.
    let setup = format!(
        "eval \"$(printf 'pw\\n' | gnome-keyring-daemon --unlock --components=secrets)\" && \
         {{ secret-tool lock --collection=login; true; }} && \
         ! printf x | secret-tool store --label=probe iamctl-test locked 2>/dev/null && {script}"
    );
    let dir = env.home().join("locked-keyring");
    for sub in ["data", "run"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::set_permissions(
        dir.join("run"),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    env.sh(&format!(
        "exec dbus-run-session -- sh -c '{}' 2>&1",
        setup.replace('\'', r"'\''")
    ))
    .env("IAMCTL", BIN)
    .env("XDG_DATA_HOME", dir.join("data"))
    .env("XDG_RUNTIME_DIR", dir.join("run"))
}

#[test]
fn a_locked_keyring_stops_a_login_before_ok_and_spends_no_one_time_code() {
    let env = TestEnv::new();
    std::fs::write(env.home().join("key"), env.apikey()).unwrap_or_else(|e| panic!("{e}"));
    let url = env.url();
    let out = with_locked_keyring(
        &env,
        &format!(
            "\"$IAMCTL\" login -a {url} --apikey @\"$IAMCTL_HOME/key\" --no-region; echo \"exit=$?\""
        ),
    )
    .run()
    .success();
    assert!(out.stdout.contains("exit=6"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("\nOK\n"),
        "OK before the failure:\n{}",
        out.stdout
    );

    // A one-time code: refused before it is sent, so it still logs in afterwards.
    let code = env.passcode(&env.info().sso_user);
    let out = with_locked_keyring(
        &env,
        &format!(
            "echo {code} | \"$IAMCTL\" login -a {url} --sso --no-region --no-account; echo \"exit=$?\""
        ),
    )
    .run()
    .success();
    assert!(out.stdout.contains("exit=6"), "{}", out.stdout);
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:passcode"), 0);
    env.iamctl(["login", "-a", &url, "--sso", "--no-region", "--no-account"])
        .stdin(format!("{code}\n"))
        .run()
        .success();
}

#[test]
fn a_malformed_setting_is_refused_before_anything_changes() {
    let env = TestEnv::new();
    env.login();
    let before = std::fs::read(env.session_file()).ok();
    let secrets = env.keyring_entries();
    env.iamctl(["logout"])
        .env("IAMCTL_KEYRING_TIMEOUT", "abc")
        .run()
        .code(2)
        .stderr_contains("IAMCTL_KEYRING_TIMEOUT must be a positive number of seconds, not 'abc'.");
    assert_eq!(std::fs::read(env.session_file()).ok(), before);
    assert_eq!(env.keyring_entries(), secrets);
    // Refused even where no request would be sent (a cached token).
    env.iamctl(["oauth-tokens"])
        .env("IBMCLOUD_HTTP_TIMEOUT", "abc")
        .run()
        .code(2)
        .stderr_contains("IBMCLOUD_HTTP_TIMEOUT must be a positive number of seconds, not 'abc'.");
    // A fraction is a positive number of seconds.
    env.iamctl(["target", "-r", "eu-de"])
        .env("IBMCLOUD_HTTP_TIMEOUT", "1.5")
        .run()
        .success();
}

#[test]
fn the_default_session_named_before_any_login_is_not_logged_in() {
    let env = TestEnv::new();
    env.iamctl(["--session", "default", "oauth-tokens"])
        .run()
        .code(3)
        .stderr_contains("iamctl login");
    // Another name nobody made is still a mistyped name.
    env.iamctl(["--session", "nosuch", "oauth-tokens"])
        .run()
        .code(2);
}

#[test]
fn a_local_server_given_without_a_scheme_is_said_at_once_and_fails_fast() {
    let env = TestEnv::new();
    let hostport = env.url().trim_start_matches("http://").to_string();
    let (out, took) = env
        .iamctl(["login", "-a", &hostport, "--apikey", "-", "--no-region"])
        .stdin(env.apikey())
        .run_within(Duration::from_secs(30));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let out = out.code(5);
    assert!(
        out.stderr.contains(&format!(
            "WARNING: no scheme in -a: using https://{hostport}; a local server that speaks plain http needs -a http://{hostport}"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("-a http://{hostport}")),
        "{}",
        out.stderr
    );
}

/// Moves the session's token into its refresh window, still valid for `left` seconds.
fn age_token(env: &TestEnv, left: i64) {
    let mut s = env.session();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    s["login"]["token_issued_at"] = json!(now - 3000);
    s["login"]["token_expires_at"] = json!(now + left);
    std::fs::write(env.session_file(), s.to_string()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_valid_token_comes_back_at_once_while_iam_is_down_or_hangs() {
    let env = TestEnv::new();
    env.login();
    for fault in [
        json!({ "path": "/identity/token", "status": 503, "count": 100 }),
        json!({ "path": "/identity/token", "delay_ms": 30000, "count": 100 }),
    ] {
        env.fault(fault.clone());
        age_token(&env, 60);
        let token = env.session()["login"]["access_token"].clone();
        let (out, took) = env
            .iamctl(["oauth-tokens", "--output", "raw"])
            .env("IBMCLOUD_HTTP_TIMEOUT", "60")
            .run_within(Duration::from_secs(90));
        assert!(took < Duration::from_secs(4), "{fault}: took {took:?}");
        let out = out.success();
        assert_eq!(json!(out.stdout.trim()), token, "{fault}");
        assert!(
            out.stderr.contains("using the cached one"),
            "{fault}: {}",
            out.stderr
        );
        env.clear_faults();
    }
}

#[test]
fn a_retry_says_what_failed_and_when_it_tries_again() {
    let env = TestEnv::new();
    env.fault(json!({ "path": "/identity/token", "status": 503, "count": 2 }));
    env.login_with(Creds::ApiKey, &["--no-region"])
        .run()
        .success()
        .stderr_contains("/identity/token: HTTP 503; trying again in 0.2 s (attempt 2 of at most 8")
        .stderr_contains("trying again in 0.5 s (attempt 3 of at most 8");
}

#[test]
fn a_logout_without_a_keyring_says_what_is_left_and_no_file_store() {
    let env = TestEnv::new();
    env.login();
    let out = env
        .iamctl(["logout"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .code(6);
    assert!(!out.stderr.contains("without saving"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("IAMCTL_SECRET_STORE=file"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("run 'iamctl logout' again once the keyring is reachable"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_docker_helper_answers_version_and_a_missing_directory_is_named() {
    let env = TestEnv::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let helper = dir.path().join("docker-credential-iamctl");
    std::os::unix::fs::symlink(BIN, &helper).unwrap_or_else(|e| panic!("{e}"));
    let out = env
        .command(&helper)
        .arg("version")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("docker-credential-iamctl (iamctl) "),
        "{:?}",
        out
    );
    let missing = dir.path().join("bin");
    env.iamctl(["credential", "docker", "--install"])
        .arg(&missing)
        .run()
        .code(2)
        .stderr_contains("does not exist")
        .stderr_contains("mkdir -p");
}

#[test]
fn typos_get_a_suggestion_and_a_missing_profile_one_exit_code() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["--region", "us-south"])
        .run()
        .success()
        .stdout_contains("Targeted region us-south");
    env.iamctl(["target", "-r", "us-soth"])
        .run()
        .success()
        .stderr_contains("region 'us-soth' is not one iamctl knows (did you mean us-south?)");
    // No trusted profile of that name: the same exit code whichever login names it.
    env.login_with(
        Creds::ApiKey,
        &["--no-region", "--profile", "no-such-profile"],
    )
    .run()
    .code(4);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let token = dir.path().join("token");
    std::fs::write(&token, env.cr_token(600)).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl([
        "login",
        "-a",
        &env.url(),
        "--no-region",
        "--profile",
        "no-such-profile",
    ])
    .arg("--cr-token")
    .arg(format!("@{}", token.display()))
    .run()
    .code(4);
}
