//! Password and SSO logins without a terminal: never a prompt, never a hang; a needed choice
//! fails naming its flag; `echo CODE | iamctl login --sso` works.

use crate::fixtures::*;

#[test]
fn password_login_with_account_flag() {
    let env = TestEnv::new();
    env.login_by_password()
        .stdout_contains("Targeted account Demo Account (<ACCOUNT:Demo Account>) <-> 1234567")
        .stdout_contains("User:             demo@example.com");
    assert_eq!(env.grants("password"), 1);
    // The password is never kept: only the refresh token is in the keyring.
    let entries = env.keyring_entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].ends_with("|refresh_token"));
}

#[test]
fn password_from_stdin_when_p_is_omitted() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let url = env.url();
    // No -p, and `-p -` as `--apikey -` has it: both read the password from stdin.
    for p in [&[][..], &["-p", "-"]] {
        env.iamctl(["login", "-a", &url, "-u", &info.username])
            .args(p)
            .args(["-c", DEMO_ACCOUNT, "--no-region"])
            .stdin(format!("{}\n", info.password))
            .run()
            .success();
    }
    assert_eq!(env.grants("password"), 2);
    env.iamctl([
        "login",
        "-a",
        &env.url(),
        "-u",
        &info.username,
        "-c",
        DEMO_ACCOUNT,
    ])
    .run()
    .code(2)
    .stderr_contains("-p PASSWORD");
}

#[test]
fn wrong_password_is_an_auth_error() {
    let env = TestEnv::new();
    let info = env.info().clone();
    env.login_with(Creds::Password(&info.username, "wrong"), &[])
        .run()
        .code(4)
        .stderr_contains("FAILED\nUnable to authenticate")
        .stderr_lacks("wrong");
}

#[test]
fn federated_user_password_login_explains_sso_or_apikey() {
    let env = TestEnv::new();
    let info = env.info().clone();
    env.login_with(Creds::Password(&info.sso_user, &info.sso_password), &[])
        .run()
        .code(4)
        .stderr_contains("federated")
        .stderr_contains("iamctl login --sso")
        .stderr_contains("--apikey");
    assert!(!env.session_file().exists());
}

#[test]
fn several_accounts_without_terminal_fail_naming_c() {
    let env = TestEnv::new();
    let info = env.info().clone();
    env.login_with(Creds::Password(&info.username, &info.password), &[])
        .run()
        .code(2)
        .stderr_contains("-c ACCOUNT_ID")
        .stderr_contains("<ACCOUNT:Demo Account> (Demo Account)");
    assert!(
        !env.session_file().exists(),
        "a failed login wrote a session"
    );
}

#[test]
fn no_credentials_without_terminal_fail_naming_flags() {
    let env = TestEnv::new();
    env.iamctl(["login", "-a", &env.url()])
        .run()
        .code(2)
        .stderr_contains("--apikey")
        .stderr_contains("--sso");
}

#[test]
fn sso_code_from_stdin() {
    let env = TestEnv::new();
    let info = env.info().clone();
    let code = env.passcode(&info.sso_user);
    let out = env
        .iamctl([
            "login",
            "--sso",
            "-a",
            &env.url(),
            "-c",
            PARTNER_ACCOUNT,
            "-r",
            "eu-gb",
        ])
        .stdin(format!("{code}\n"))
        .run()
        .success()
        .stderr_contains("Get a one-time code from <URL>/identity/passcode to proceed.")
        .stdout_contains("Targeted account Partner Account (<ACCOUNT:Partner Account>)")
        .stdout_contains("Targeted region eu-gb")
        .stdout_contains("User:             sso@example.com");
    assert!(!out.stdout.contains(&code));
    assert!(!out.stderr.contains(&code));
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:passcode"), 1);
    // The passcode token was re-scoped with a refresh grant carrying the account.
    assert_eq!(env.grants("refresh_token"), 1);
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["account"]["guid"], PARTNER_ACCOUNT);

    // The one-time code is one-time.
    env.iamctl(["login", "--sso", "-a", &env.url(), "-c", PARTNER_ACCOUNT])
        .stdin(format!("{code}\n"))
        .run()
        .code(4);
    // Without a code on stdin: a usage error, not a hang.
    env.iamctl(["login", "--sso", "-a", &env.url(), "-c", PARTNER_ACCOUNT])
        .run()
        .code(2)
        .stderr_contains("echo CODE | iamctl login --sso");
}

#[test]
fn single_account_is_picked_without_asking() {
    let env = TestEnv::new();
    // other@example.com belongs to one account only.
    env.login_with(Creds::Password(OTHER_USER, OTHER_PASSWORD), &[])
        .run()
        .success()
        .stdout_contains("Targeted account Partner Account");
}

#[test]
fn no_account_flag_targets_none() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["--no-account", "--no-region"])
        .run()
        .success()
        .stdout_contains(
            "Account:          No account targeted, use 'iamctl target -c ACCOUNT_ID'",
        );
}
