//! The session file under stress: corrupt or unreadable state gives a clear error and a way
//! out; a failed login leaves the previous session byte-identical; insecure endpoints are
//! refused.

use crate::fixtures::*;

#[test]
fn corrupt_session_file_is_a_clear_error_with_a_way_out() {
    let env = TestEnv::new();
    env.login();
    std::fs::write(env.session_file(), b"{\"api_endpoint\": tru").unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["oauth-tokens"])
        .run()
        .code(1)
        .stderr_contains("is corrupt")
        .stderr_contains("Tip: run 'iamctl logout'");
    env.iamctl(["target"])
        .run()
        .code(1)
        .stderr_contains("is corrupt");
    // Way out 1: logout removes it.
    env.iamctl(["logout"])
        .run()
        .success()
        .stderr_contains("removed the corrupt session file");
    env.iamctl(["oauth-tokens"]).run().code(3);
    // Way out 2: login replaces it.
    std::fs::write(env.session_file(), b"garbage").unwrap_or_else(|e| panic!("{e}"));
    env.login();
    env.iamctl(["oauth-tokens"]).run().success();
}

#[cfg(unix)]
#[test]
fn unreadable_session_file_is_a_clear_error() {
    let env = TestEnv::new();
    env.login();
    // A directory where the file should be cannot be read, even by root.
    std::fs::remove_file(env.session_file()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(env.session_file()).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["oauth-tokens"])
        .run()
        .code(1)
        .stderr_contains("Could not read the session file")
        .stderr_contains("Tip:");
}

#[test]
fn failed_login_leaves_the_previous_session_byte_identical() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["-r", "us-south"])
        .run()
        .success();
    let before = std::fs::read(env.session_file()).unwrap_or_default();
    let entries_before = env.keyring_entries();
    // Wrong key, wrong password, IAM down, bad region, several accounts without -c.
    env.login_with(Creds::ApiKey, &[])
        .stdin("wrong-key")
        .run()
        .code(4);
    env.login_with(Creds::Password(DEMO_USER, "nope"), &[])
        .run()
        .code(4);
    env.login_with(Creds::Password(DEMO_USER, DEMO_PASSWORD), &[])
        .run()
        .code(2);
    env.login_with(Creds::ApiKey, &["-r", "nowhere"])
        .run()
        .code(2);
    env.fault(json!({"path": "/identity/token", "status": 500, "count": 1000}));
    env.login_with(Creds::ApiKey, &[])
        .env("IBMCLOUD_HTTP_TIMEOUT", "2")
        .run()
        .code(5);
    env.clear_faults();
    let after = std::fs::read(env.session_file()).unwrap_or_default();
    assert!(before == after, "the session file changed");
    assert_eq!(env.keyring_entries(), entries_before);
    env.iamctl(["oauth-tokens"]).run().success();
}

#[test]
fn plain_http_is_refused_except_for_loopback() {
    let env = TestEnv::new();
    for url in [
        "http://cloud.ibm.com",
        "http://10.1.2.3:8080",
        "http://iam.example.com",
    ] {
        env.iamctl(["login", "-a", url, "--apikey", "-"])
            .stdin("key")
            .run()
            .code(2)
            .stderr_contains("Refusing plain http://");
    }
    env.login_with(Creds::ApiKey, &[])
        .env("IAM_ENDPOINT", "http://iam.example.com")
        .stdin("key")
        .run()
        .code(2)
        .stderr_contains("IAM_ENDPOINT");
    // Loopback by name works.
    let localhost = env.url().replace("127.0.0.1", "localhost");
    env.iamctl(["login", "-a", &localhost, "--apikey", "-", "--no-region"])
        .stdin(env.apikey())
        .run()
        .success();
}

#[test]
fn iam_endpoint_overrides_the_iam_url() {
    let env = TestEnv::new();
    let other = TestEnv::without_keyring_check();
    // API endpoint: a dead port; IAM (and thus login) on the emulator... accounts on the
    // dead port fail, which shows the IAM URL really came from IAM_ENDPOINT.
    env.iamctl([
        "login",
        "-a",
        &other.url(),
        "--apikey",
        "-",
        "--no-account",
        "--no-region",
    ])
    .env("IAM_ENDPOINT", env.url())
    .stdin(env.apikey())
    .run()
    .success();
    assert_eq!(env.grants("urn:ibm:params:oauth:grant-type:apikey"), 1);
    assert_eq!(other.grants("urn:ibm:params:oauth:grant-type:apikey"), 0);
    assert_eq!(env.session()["iam_endpoint"], env.url());
    assert_eq!(env.session()["api_endpoint"], other.url());
}

#[test]
fn skip_ssl_validation_is_remembered_and_warns_every_time() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["--no-region", "--skip-ssl-validation"])
        .run()
        .success()
        .stderr_contains("SSL certificate validation is disabled");
    assert_eq!(env.session()["skip_ssl_validation"], true);
    env.iamctl(["target", "-g", "Default"])
        .run()
        .success()
        .stderr_contains("SSL certificate validation is disabled");
}

#[test]
fn redirects_are_not_followed_so_credentials_reach_only_the_chosen_endpoint() {
    let env = TestEnv::new();
    env.login();
    let before = std::fs::read(env.session_file()).unwrap_or_default();
    // Where a redirect would send iamctl: an emulator that counts every request it gets.
    let elsewhere = TestEnv::without_keyring_check();
    let redirect = |path: &str, to: &str, status: u16| {
        env.fault(json!({
            "path": path,
            "redirect": format!("{}{to}", elsewhere.url()),
            "status": status,
            "count": 100,
        }));
    };

    // The API key of a login.
    redirect("/identity/token", "/identity/token", 307);
    env.login_with(Creds::ApiKey, &["--no-region"])
        .run()
        .code(5)
        .stderr_contains(&format!(
            "redirected to {}/identity/token (HTTP 307)",
            elsewhere.url()
        ))
        .stderr_contains("does not follow redirects")
        .stderr_contains("Tip: check the API endpoint: 'iamctl login -a URL'")
        .stderr_lacks(&env.apikey());
    // The bearer token of an identity call.
    redirect("/v1/serviceids*", "/v1/serviceids/", 308);
    env.iamctl(["service-ids"])
        .run()
        .code(5)
        .stderr_contains("redirected to");
    // The discovery document that names the one-time code page.
    redirect(
        "/identity/.well-known/openid-configuration",
        "/identity/.well-known/openid-configuration",
        302,
    );
    env.iamctl(["login", "--sso", "-a", &env.url(), "--no-region"])
        .stdin("Abc123\n")
        .run()
        .code(5)
        .stderr_contains("redirected to");

    assert_eq!(elsewhere.requests(), json!({}));
    env.clear_faults();
    let after = std::fs::read(env.session_file()).unwrap_or_default();
    assert!(before == after, "the session file changed");
    env.iamctl(["oauth-tokens"]).run().success();
}
