//! API-key login in all its input forms, the summary block, oauth-tokens text/JSON and the
//! seeds' pipelines, target, logout.

use crate::fixtures::*;

#[test]
fn apikey_login_prints_ibm_summary_and_stores_secrets_in_keyring() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["--no-region"])
        .stdin(format!("{}\n", env.apikey()))
        .run()
        .success()
        .stdout_is(
            "API endpoint: <URL>\n\
             Authenticating...\n\
             OK\n\
             \n\
             Targeted account Demo Account (<ACCOUNT:Demo Account>) <-> 1234567\n\
             \n\
             Targeted resource group Default\n\
             \n\
             API endpoint:     <URL>\n\
             Region:\n\
             User:             demo@example.com\n\
             Account:          Demo Account (<ACCOUNT:Demo Account>) <-> 1234567\n\
             Resource group:   Default\n",
        )
        .stderr_is("");
    let mut entries = env.keyring_entries();
    entries.sort();
    let base = format!(
        "{}|{}|default|IBMid-6650001DMO",
        env.home().display(),
        env.url()
    );
    assert_eq!(
        entries,
        vec![format!("{base}|apikey"), format!("{base}|refresh_token")]
    );
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:apikey"), 1);
}

#[test]
fn apikey_from_file_env_and_equals_form() {
    let env = TestEnv::new();
    let file = env.home().join("..").join(format!(
        "key-{}.json",
        std::process::id() as u64 + env.url().len() as u64
    ));
    // IBM's downloaded key file is JSON with an `apikey` field.
    std::fs::write(
        &file,
        json!({"name": "k", "apikey": env.apikey()}).to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let at = format!("@{}", file.display());
    env.iamctl(["login", "-a", &env.url(), "--apikey", &at, "--no-region"])
        .run()
        .success();
    let plain = env
        .home()
        .join("..")
        .join(format!("key-{}.txt", env.url().len()));
    std::fs::write(&plain, format!("{}\n", env.apikey())).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["login", "-a", &env.url(), "--no-region"])
        .env("IBMCLOUD_API_KEY", format!("@{}", plain.display()))
        .run()
        .success();
    env.iamctl(["login", "-a", &env.url(), "--no-region"])
        .env("IBMCLOUD_API_KEY", env.apikey())
        .run()
        .success();
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&plain);
    // A key that starts with '-' works as --apikey=-KEY (and is refused by IAM here).
    env.iamctl([
        "login",
        "-a",
        &env.url(),
        "--apikey=-not-a-key",
        "--no-region",
    ])
    .run()
    .code(4)
    .stderr_contains("Unable to authenticate")
    .stderr_contains("BXNIM0415E");
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:apikey"), 4);
}

#[test]
fn oauth_tokens_text_json_and_the_seeds_pipelines() {
    let env = TestEnv::new();
    env.login();
    let text = env.iamctl(["iam", "oauth-tokens"]).run().success();
    assert_eq!(text.out(), "IAM token:  Bearer <JWT>\n");
    assert_eq!(text.stderr, "");
    let jwt = text.iam_token();
    env.iamctl(["oauth-tokens"])
        .run()
        .success()
        .stdout_is("IAM token:  Bearer <JWT>\n");

    // IBM's documented pipelines, run through a real shell, unchanged.
    let bearer = env
        .sh("iamctl iam oauth-tokens | grep IAM | cut -d \\: -f 2 | sed 's/^ *//'")
        .run()
        .success();
    assert_eq!(bearer.stdout, format!("Bearer {jwt}\n"));
    let bare = env
        .sh("iamctl iam oauth-tokens | grep IAM | cut -d ' ' -f 5 | sed 's/^ *//'")
        .run()
        .success();
    assert_eq!(bare.stdout, format!("{jwt}\n"));
    let jq = env
        .sh("export IAM_TOKEN=`iamctl iam oauth-tokens --output json | jq -r '.iam_token'`; echo \"$IAM_TOKEN\"")
        .run()
        .success();
    assert_eq!(jq.stdout, format!("Bearer {jwt}\n"));

    let json = env
        .iamctl(["oauth-tokens", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["iam_token"], format!("Bearer {jwt}"));
    assert!(json["expiration"].as_i64().unwrap_or(0) > 1_700_000_000);
    // The hot path made no request: one apikey grant, no refresh.
    assert_eq!(env.grants("refresh_token"), 0);
}

#[test]
fn target_shows_and_changes_account_region_and_group() {
    let env = TestEnv::new();
    env.login();
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["api_endpoint"], env.url());
    assert_eq!(json["user"]["user_email"], "demo@example.com");
    assert_eq!(json["account"]["guid"], DEMO_ACCOUNT);
    assert_eq!(json["account"]["name"], "Demo Account");
    assert_eq!(json["account"]["owner"], "demo@example.com");
    assert_eq!(json["resource_group"]["name"], "Default");
    assert_eq!(json["resource_group"]["default"], true);
    assert_eq!(json["resource_group"]["state"], "ACTIVE");
    assert_eq!(json["region"]["name"], "");

    env.iamctl(["target", "-c", STAGING_ACCOUNT, "-r", "eu-de"])
        .run()
        .success()
        .stdout_is(
            "Targeted account Staging Account (<ACCOUNT:Staging Account>)\n\
             \n\
             Targeted region eu-de\n\
             \n\
             API endpoint:     <URL>\n\
             Region:           eu-de\n\
             User:             demo@example.com\n\
             Account:          Staging Account (<ACCOUNT:Staging Account>)\n\
             Resource group:   Default\n",
        );
    // The token itself was re-scoped to the new account.
    assert_eq!(env.token_claims()["account"]["bss"], STAGING_ACCOUNT);

    env.iamctl(["target", "--unset-region", "--unset-resource-group"])
        .run()
        .success()
        .stdout_contains("Region:\n")
        .stdout_contains(
            "Resource group:   No resource group targeted, use 'iamctl target -g RESOURCE_GROUP'",
        );
    env.iamctl(["target", "-g", "no-such-group"])
        .run()
        .code(1)
        .stderr_contains("Resource group 'no-such-group' was not found");
    // A failed change claims nothing and changes nothing, not even the valid part of it.
    let before = std::fs::read(env.session_file()).unwrap_or_default();
    let failed = env
        .iamctl(["target", "-r", "eu-de", "-g", "no-such-group"])
        .run()
        .code(1);
    assert!(
        !failed.out().contains("Targeted region"),
        "{}",
        failed.out()
    );
    assert_eq!(
        std::fs::read(env.session_file()).unwrap_or_default(),
        before
    );
    // A name no IBM region could have is refused (a well-formed unknown one is accepted
    // with a warning: see compat::a_well_formed_unknown_region_is_used_with_a_warning).
    env.iamctl(["target", "-r", "mars_north"])
        .run()
        .code(2)
        .stderr_contains("Invalid region 'mars_north'");
    env.iamctl(["target", "-c", "not-my-account"])
        .run()
        .code(2)
        .stderr_contains("-c");
}

#[test]
fn logout_clears_session_and_keyring_but_keeps_endpoint_and_region() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["-r", "us-south"])
        .run()
        .success()
        .stdout_contains("Targeted region us-south");
    assert_eq!(env.keyring_entries().len(), 2);
    env.iamctl(["logout"])
        .run()
        .success()
        .stdout_is("Logging out...\nOK\n");
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
    let session = env.session();
    assert_eq!(session["api_endpoint"], env.url());
    assert_eq!(session["region"], "us-south");
    assert!(session["login"].is_null());
    for args in [&["oauth-tokens"][..], &["target"][..]] {
        env.iamctl(args)
            .run()
            .code(3)
            .stderr_is("FAILED\nNot logged in. Use 'iamctl login' to log in.\n");
    }
    // Logging out twice is fine; the remembered endpoint is used by the next login.
    env.iamctl(["logout"]).run().success();
    env.iamctl(["login", "--apikey", "-", "--no-region"])
        .stdin(env.apikey())
        .run()
        .success()
        .stdout_contains("API endpoint: <URL>\n");
}

#[test]
fn quiet_and_json_login() {
    let env = TestEnv::new();
    env.iamctl([
        "login",
        "-q",
        "-a",
        &env.url(),
        "--apikey",
        "-",
        "--no-region",
    ])
    .stdin(env.apikey())
    .run()
    .success()
    .stdout_is("");
    let json = env
        .login_with(Creds::ApiKey, &["--no-region", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["account"]["guid"], DEMO_ACCOUNT);
    assert_eq!(json["user"]["user_email"], "demo@example.com");
}

#[test]
fn usage_errors_exit_2() {
    let env = TestEnv::new();
    for args in [
        &["login", "--apikey", "k", "--sso"][..],
        &["login", "--no-such-flag"][..],
        &["oauth-tokens", "--output", "yaml"][..],
        &["frobnicate"][..],
    ] {
        env.iamctl(args).run().code(2);
    }
    env.iamctl(["--version"]).run().success();
}

#[test]
fn colour_only_when_asked_for_or_on_a_terminal() {
    let env = TestEnv::new();
    env.login();
    // Piped output: no colour, even without NO_COLOR.
    let plain = env
        .iamctl(["logout"])
        .env_remove("NO_COLOR")
        .run()
        .success();
    assert!(!plain.stdout.contains('\x1b'), "{:?}", plain.stdout);
    env.login();
    // IBMCLOUD_COLOR=true forces it (unless NO_COLOR says otherwise).
    let forced = env
        .iamctl(["logout"])
        .env_remove("NO_COLOR")
        .env("IBMCLOUD_COLOR", "true")
        .run()
        .success();
    assert!(
        forced.stdout.contains("\x1b[32;1mOK\x1b[0m"),
        "{:?}",
        forced.stdout
    );
    env.login();
    let vetoed = env
        .iamctl(["logout"])
        .env("IBMCLOUD_COLOR", "true")
        .run()
        .success();
    assert!(!vetoed.stdout.contains('\x1b'));
    // The token line never carries colour, whatever the settings.
    env.login();
    let token = env
        .iamctl(["oauth-tokens"])
        .env_remove("NO_COLOR")
        .env("IBMCLOUD_COLOR", "true")
        .run()
        .success();
    assert!(token.stdout.starts_with("IAM token:  Bearer "));
}

#[test]
fn a_closed_stdout_does_not_stop_the_login_half_way() {
    let env = TestEnv::new();
    // The reader is gone before iamctl writes a byte, so every write meets a broken pipe.
    let mut cmd = env.command(BIN);
    cmd.args(["login", "-a", &env.url(), "--apikey", "-", "--no-region"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
    drop(child.stdout.take());
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, env.apikey().as_bytes())
            .unwrap_or_else(|e| panic!("stdin: {e}"));
    }
    let done = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"));
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    env.iamctl(["target"])
        .run()
        .success()
        .stdout_contains("User:             demo@example.com");
}
