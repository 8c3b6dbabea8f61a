//! Token renewal: single-flight across 50 processes, silent re-login with the stored API key
//! when the refresh token dies, a clear exit 3 when nothing can renew the session, and
//! retries on 503/429.

use crate::fixtures::*;
use std::time::Instant;

#[test]
fn fifty_parallel_oauth_tokens_around_expiry_make_one_refresh() {
    let env = TestEnv::new();
    // Log in with a token that is already inside the refresh window (5 s lifetime)...
    env.set_ttl(5, 86_400);
    env.login();
    let old = env.iamctl(["oauth-tokens"]).run().success().iam_token();
    let refreshes_before = env.grants("refresh_token");
    // ...and let the renewed token be long-lived, so it is outside the window.
    env.set_ttl(3600, 86_400);

    let children: Vec<_> = (0..50)
        .map(|_| {
            let mut cmd = env.command(BIN);
            cmd.arg("oauth-tokens")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let mut tokens = std::collections::BTreeSet::new();
    for child in children {
        let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let stdout = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(
            o.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        tokens.insert(stdout);
    }
    assert_eq!(tokens.len(), 1, "processes printed different tokens");
    let new = tokens.into_iter().next().unwrap_or_default();
    assert!(!new.contains(&old), "the token was not renewed");
    assert_eq!(
        env.grants("refresh_token") - refreshes_before,
        1,
        "exactly one refresh request: {}",
        env.stats()
    );
}

#[test]
fn dead_refresh_token_falls_back_to_the_stored_api_key() {
    let env = TestEnv::new();
    env.set_ttl(5, 86_400);
    env.login();
    env.set_ttl(3600, 86_400);
    env.revoke_refresh_tokens();
    let apikey_grants = env.grants("urn:ibm:params:oauth:grant-type:apikey");
    env.iamctl(["oauth-tokens"])
        .run()
        .success()
        .stderr_is("")
        .stdout_is("IAM token:  Bearer <JWT>\n");
    assert_eq!(
        env.grants("urn:ibm:params:oauth:grant-type:apikey"),
        apikey_grants + 1
    );
    // The session still targets the same account, and the new refresh token works.
    let json = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["account"]["name"], "Demo Account");
    assert_eq!(env.keyring_entries().len(), 2);
}

#[test]
fn dead_refresh_token_without_api_key_is_login_required() {
    let env = TestEnv::new();
    env.set_ttl(5, 86_400);
    env.login_by_password();
    env.revoke_refresh_tokens();
    env.iamctl(["oauth-tokens"])
        .run()
        .code(3)
        .stderr_contains("FAILED\nSession expired")
        .stderr_contains("iamctl login");
}

#[test]
fn token_requests_are_retried_on_503_and_429() {
    let env = TestEnv::new();
    env.fault(json!({"path": "/identity/token", "status": 503, "count": 2}));
    env.login();
    env.fault(json!({"path": "/identity/token", "status": 429, "retry_after": 1, "count": 1}));
    let start = Instant::now();
    env.login();
    assert!(
        start.elapsed().as_millis() >= 900,
        "Retry-After was not honoured"
    );
    let requests = env.requests()["/identity/token"].as_u64().unwrap_or(0);
    assert_eq!(requests, 5, "{}", env.stats());
}

#[test]
fn persistent_503_gives_up_within_the_timeout_with_exit_5() {
    let env = TestEnv::new();
    env.fault(json!({"path": "/identity/token", "status": 503, "count": 1000}));
    let start = Instant::now();
    env.login_with(Creds::ApiKey, &["--no-region"])
        .env("IBMCLOUD_HTTP_TIMEOUT", "3")
        .run()
        .code(5)
        .stderr_contains("IAM is unavailable");
    assert!(start.elapsed().as_secs() < 10);
    assert!(!env.session_file().exists());
}

#[test]
fn unreachable_iam_is_exit_5() {
    let env = TestEnv::new();
    // A privileged loopback port nobody listens on. Not a free port picked and released
    // here: the emulators of tests running alongside bind free ports and could take it.
    env.iamctl(["login", "-a", "http://127.0.0.1:1", "--apikey", "-"])
        .env("IBMCLOUD_HTTP_TIMEOUT", "2")
        .stdin("key")
        .run()
        .code(5)
        .stderr_contains("Could not reach");
}

#[test]
fn cached_token_is_used_when_iam_is_down_but_token_still_valid() {
    let env = TestEnv::new();
    env.set_ttl(30, 86_400); // 30 s lifetime: inside the window after 24 s, valid for 30.
    env.login();
    // Force the window: rewrite issue time so 80% of the lifetime is gone.
    let mut session = env.session();
    let exp = session["login"]["token_expires_at"].as_i64().unwrap_or(0);
    session["login"]["token_issued_at"] = json!(exp - 1000);
    std::fs::write(env.session_file(), session.to_string()).unwrap_or_else(|e| panic!("{e}"));
    env.fault(json!({"path": "/identity/token", "status": 503, "count": 1000}));
    env.iamctl(["oauth-tokens"])
        .env("IBMCLOUD_HTTP_TIMEOUT", "2")
        .run()
        .success()
        .stderr_contains("WARNING: could not renew the token")
        .stdout_is("IAM token:  Bearer <JWT>\n");
}

#[test]
fn a_token_the_emulator_issued_in_the_past_is_renewed_before_use() {
    let env = TestEnv::new();
    // Issued an hour ago by the emulator's clock: by real time it has 10 s left, inside the
    // refresh window, so the next command renews it once.
    env.advance_clock(-3590);
    env.login();
    env.advance_clock(3590);
    let before = env.grants("refresh_token");
    let old = env.session()["login"]["access_token"].clone();
    env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(env.grants("refresh_token"), before + 1, "{}", env.stats());
    assert_ne!(env.session()["login"]["access_token"], old);
    // The new token is a fresh hour: the next command reads the file and nothing else.
    env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(env.grants("refresh_token"), before + 1);
}

#[test]
fn a_token_iam_considers_expired_is_renewed_once_and_the_request_repeated() {
    let env = TestEnv::new();
    env.login();
    let old = env.session()["login"]["access_token"].clone();
    // iamctl still holds the token for valid; IAM's clock has passed its exp.
    env.advance_clock(7200);
    let before = env.grants("refresh_token");
    env.iamctl(["service-ids", "--output", "json"])
        .run()
        .success()
        .stderr_is("");
    assert_eq!(env.grants("refresh_token"), before + 1, "{}", env.stats());
    assert_ne!(env.session()["login"]["access_token"], old);
    // The renewed token is saved: the next command sends it and renews nothing.
    env.iamctl(["service-ids"]).run().success();
    assert_eq!(env.grants("refresh_token"), before + 1, "{}", env.stats());
    // A create refused with 401 was not carried out, so repeating it makes exactly one.
    env.advance_clock(7200);
    env.iamctl(["service-id-create", "after-401"])
        .run()
        .success();
    assert_eq!(env.grants("refresh_token"), before + 2, "{}", env.stats());
    let ids = env
        .iamctl(["service-ids", "--output", "json"])
        .run()
        .success()
        .json();
    let named = ids
        .as_array()
        .map(|a| a.iter().filter(|s| s["name"] == "after-401").count());
    assert_eq!(named, Some(1), "{ids:#}");
}

#[test]
fn target_renews_a_token_iam_considers_expired_and_goes_on() {
    let env = TestEnv::new();
    env.login();
    env.advance_clock(7200);
    let before = env.grants("refresh_token");
    // -g alone: the resource groups are listed with the renewed token; -r is kept.
    env.iamctl(["target", "-g", "Default", "-r", "eu-de"])
        .run()
        .success()
        .stderr_is("");
    assert_eq!(env.grants("refresh_token"), before + 1, "{}", env.stats());
    assert_eq!(env.session()["region"], "eu-de");
    assert_eq!(env.session()["login"]["resource_group"]["name"], "Default");
    // -c: the accounts are listed with a renewed token, then the switch re-scopes it.
    env.advance_clock(7200);
    env.iamctl(["target", "-c", STAGING_ACCOUNT])
        .run()
        .success()
        .stderr_is("");
    assert_eq!(env.session()["login"]["account"]["guid"], STAGING_ACCOUNT);
    assert_eq!(env.session()["region"], "eu-de");
}

#[test]
fn a_refused_token_that_cannot_be_renewed_asks_for_a_new_login() {
    let env = TestEnv::new();
    env.login_by_password();
    let before = std::fs::read(env.session_file()).unwrap_or_default();
    env.revoke_refresh_tokens();
    env.advance_clock(7200);
    env.iamctl(["service-ids"])
        .run()
        .code(3)
        .stderr_contains("WARNING: could not renew the token IAM refused: ")
        .stderr_contains("expired")
        .stderr_contains("Tip: run 'iamctl login' to log in again");
    assert_eq!(
        std::fs::read(env.session_file()).unwrap_or_default(),
        before,
        "the session is left as it was"
    );
}

#[test]
fn a_token_refused_again_after_its_renewal_is_not_renewed_twice() {
    let env = TestEnv::new();
    env.login();
    env.fault(json!({"path": "/v1/serviceids/", "status": 401, "count": 2}));
    let before = env.grants("refresh_token");
    env.iamctl(["service-ids"]).run().code(3);
    assert_eq!(env.grants("refresh_token"), before + 1, "{}", env.stats());
}
