//! `trusted-profile-assume` and `trusted-profile-leave`: a logged-in session acts as a
//! trusted profile (its tokens are the profile's for every command), renews by assuming it
//! again, and returns to its caller; refusals change nothing; the caller's secrets stay in
//! the keyring where they were.

use crate::fixtures::*;

const ASSUME_GRANT: &str = "urn:ibm:params:oauth:grant-type:assume";

/// Every keyring entry of this environment with its secret.
fn keyring(env: &TestEnv) -> Vec<(String, Option<String>)> {
    env.keyring_entries()
        .into_iter()
        .map(|u| {
            let secret = keyring_lookup(&u);
            (u, secret)
        })
        .collect()
}

fn session_bytes(env: &TestEnv) -> Vec<u8> {
    std::fs::read(env.session_file()).unwrap_or_else(|e| panic!("{e}"))
}

/// A profile of the demo account named `name` that trusts the demo user, made with
/// iamctl's own commands.
fn profile_trusting_the_user(env: &TestEnv, name: &str, user_iam_id: &str) -> String {
    let created = env
        .iamctl(["trusted-profile-create", name, "--output", "json"])
        .run()
        .success()
        .json();
    env.iamctl(["trusted-profile-identity-create", name, "--id-type", "user"])
        .args(["--identifier", user_iam_id, "--account", DEMO_ACCOUNT])
        .run()
        .success();
    created["id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_session_acts_as_the_profile_it_assumes_by_name_then_returns_to_its_caller() {
    let env = TestEnv::logged_in();
    let user = env.token_claims();
    let user_iam_id = user["iam_id"].as_str().unwrap_or_default().to_string();
    assert!(user_iam_id.starts_with("IBMid-"), "{user}");
    let secrets = keyring(&env);
    assert_eq!(
        secrets.len(),
        2,
        "the API key and the refresh token: {secrets:?}"
    );
    let (name, id) = (
        env.info().profile_name.clone(),
        env.info().profile_id.clone(),
    );

    env.iamctl(["trusted-profile-assume", &name])
        .run()
        .success()
        .stdout_contains(&format!(
            "Assuming trusted profile {name} as {DEMO_USER}...\nOK\n\n"
        ))
        .stdout_contains(&format!("User:              {name} ({id})\n"))
        .stdout_contains(&format!("Trusted profile:   {id}\n"))
        .stderr_is("");
    // Every token the session hands out is the profile's.
    let claims = env.token_claims();
    assert_eq!(claims["sub_type"], "Profile");
    assert_eq!(claims["iam_id"], format!("iam-{id}"));
    assert_eq!(
        claims["authn"]["iam_id"], user_iam_id,
        "assumed by the user"
    );
    let exec = env
        .iamctl([
            "exec",
            "--",
            "sh",
            "-c",
            "printf %s \"$IBMCLOUD_IAM_TOKEN\"",
        ])
        .run()
        .success();
    assert_eq!(jwt_claims(&exec.stdout)["iam_id"], format!("iam-{id}"));
    env.iamctl(["target"])
        .run()
        .success()
        .stdout_contains(&format!("User:              {name} ({id})\n"))
        .stdout_contains("Account:           Demo Account (<ACCOUNT:Demo Account>)");
    let target = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(target["iam_id"], format!("iam-{id}"));
    assert_eq!(target["login"]["method"], "assume");
    assert_eq!(target["account"]["guid"], DEMO_ACCOUNT);
    // IAM commands act as the profile too.
    env.iamctl(["iam", "trusted-profiles"])
        .run()
        .success()
        .stdout_contains(&format!("as {name} ({id})..."));
    // The caller's secrets did not move or multiply.
    assert_eq!(keyring(&env), secrets);

    // Without an argument: what is assumed, and by whom.
    env.iamctl(["trusted-profile-assume"])
        .run()
        .success()
        .stdout_contains(&format!("Trusted profile   {name}\n"))
        .stdout_contains(&format!("ID                {id}\n"))
        .stdout_contains(&format!("IAM ID            iam-{id}\n"))
        .stdout_contains(&format!("Caller            {DEMO_USER} (API key)\n"));
    let shown = env
        .iamctl(["iam", "trusted-profile-assume", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(
        shown,
        json!({
            "trusted_profile": {
                "id": id,
                "name": name,
                "iam_id": format!("iam-{id}"),
                "account_id": DEMO_ACCOUNT,
            },
            "caller": { "method": "apikey", "user": DEMO_USER, "iam_id": user_iam_id },
        })
    );

    // The profile stays in its account, the only one it sees; re-scoping it with the
    // caller's refresh token would have made the session the caller.
    let assumed = session_bytes(&env);
    env.iamctl(["target", "-c", STAGING_ACCOUNT])
        .run()
        .code(2)
        .stderr_contains("Tip: your accounts: <ACCOUNT:Demo Account> (Demo Account)");
    assert_eq!(session_bytes(&env), assumed);
    env.iamctl(["target", "-c", DEMO_ACCOUNT]).run().success();
    assert_eq!(env.token_claims()["iam_id"], format!("iam-{id}"));

    env.iamctl(["trusted-profile-leave"])
        .run()
        .success()
        .stdout_contains(&format!(
            "Leaving trusted profile {name} ({id}) for {DEMO_USER} (API key)...\nOK\n\n"
        ))
        .stdout_contains(&format!("User:             {DEMO_USER}\n"))
        .stdout_contains("Account:          Demo Account (<ACCOUNT:Demo Account>)")
        .stderr_is("");
    let back = env.token_claims();
    assert_eq!(back["iam_id"], user_iam_id);
    assert!(back.get("authn").is_none(), "{back}");
    assert!(!String::from_utf8_lossy(&session_bytes(&env)).contains("iam-Profile"));
    // The same two secrets, the API key as it was (the refresh token was renewed leaving).
    let now = keyring(&env);
    assert_eq!(
        now.iter().map(|(u, _)| u).collect::<Vec<_>>(),
        secrets.iter().map(|(u, _)| u).collect::<Vec<_>>()
    );
    assert!(
        now.iter()
            .any(|(u, s)| u.ends_with("|apikey") && s.as_deref() == Some(env.apikey().as_str()))
    );
    env.iamctl(["trusted-profile-assume"])
        .run()
        .success()
        .stdout_is("No trusted profile is assumed.\n");
    let none = env
        .iamctl(["trusted-profile-assume", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(none, json!({ "trusted_profile": null, "caller": null }));
    // The caller's secrets still work, and logout takes every one.
    env.iamctl(["oauth-tokens", "--delegate-to", "kube"])
        .run()
        .success();
    env.iamctl(["logout"]).run().success();
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
}

#[test]
fn a_profile_assumed_by_id_renews_by_assuming_it_again() {
    let env = TestEnv::logged_in();
    let id = env.info().profile_id.clone();
    // Every access token lives 5 s from now on: the profile's is due for renewal at once.
    env.set_ttl(5, 86_400);
    env.iamctl(["iam", "trusted-profile-assume", &id, "-q"])
        .run()
        .success()
        .stdout_is("")
        .stderr_is("");
    let first = env.raw_token();
    let before = env.grants(ASSUME_GRANT);
    let renewed = env.raw_token();
    assert_ne!(renewed, first);
    assert_eq!(env.grants(ASSUME_GRANT), before + 1);
    assert_eq!(jwt_claims(&renewed)["iam_id"], format!("iam-{id}"));
    // Even once the caller's refresh tokens are gone: its API key logs in again.
    env.revoke_refresh_tokens();
    env.advance_clock(60);
    let again = env.raw_token();
    assert_eq!(jwt_claims(&again)["iam_id"], format!("iam-{id}"));
    assert_eq!(env.grants(ASSUME_GRANT), before + 2);
    env.iamctl(["trusted-profile-leave", "-q"])
        .run()
        .success()
        .stdout_is("");
    assert_eq!(env.token_claims()["sub_type"], "User");
}

#[test]
fn a_profile_iam_refuses_leaves_the_session_and_keyring_as_they_were() {
    let env = TestEnv::logged_in();
    let user_iam_id = env.token_claims()["iam_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let before = session_bytes(&env);
    let secrets = keyring(&env);
    env.iamctl(["trusted-profile-assume", "no-such-profile"])
        .run()
        .code(4)
        .stderr_contains("IAM did not let this identity assume trusted profile no-such-profile: ")
        .stderr_contains(&format!(
            "Tip: nothing changed: the session still acts as {DEMO_USER}\n"
        ))
        .stderr_contains("'iamctl trusted-profile-identities no-such-profile'");
    assert_eq!(session_bytes(&env), before);
    assert_eq!(keyring(&env), secrets);

    // A profile that does not trust the user, until an identity is made trusted.
    env.iamctl(["trusted-profile-create", "untrusting"])
        .run()
        .success();
    let before = session_bytes(&env);
    env.iamctl(["trusted-profile-assume", "untrusting"])
        .run()
        .code(4)
        .stderr_contains("not trusted");
    assert_eq!(session_bytes(&env), before);
    assert_eq!(keyring(&env), secrets);
    env.iamctl([
        "trusted-profile-identity-create",
        "untrusting",
        "--id-type",
        "user",
    ])
    .args(["--identifier", &user_iam_id, "--account", DEMO_ACCOUNT])
    .run()
    .success();
    env.iamctl(["trusted-profile-assume", "untrusting"])
        .run()
        .success();
    assert_eq!(env.token_claims()["name"], "untrusting");

    // Refused while a profile is assumed: that profile stays.
    let assumed = session_bytes(&env);
    let names: Vec<String> = env.keyring_entries();
    env.iamctl(["trusted-profile-assume", "no-such-profile"])
        .run()
        .code(4)
        .stderr_contains("Tip: nothing changed: the session still acts as untrusting (");
    assert_eq!(session_bytes(&env), assumed);
    assert_eq!(env.keyring_entries(), names);
    assert_eq!(env.token_claims()["name"], "untrusting");
}

#[test]
fn assuming_another_profile_switches_to_it_and_one_leave_returns_to_the_caller() {
    let env = TestEnv::logged_in();
    let user_iam_id = env.token_claims()["iam_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let second = profile_trusting_the_user(&env, "second-profile", &user_iam_id);
    let (name, id) = (
        env.info().profile_name.clone(),
        env.info().profile_id.clone(),
    );
    let secrets = env.keyring_entries();
    env.iamctl(["trusted-profile-assume", &name])
        .run()
        .success();
    env.iamctl(["trusted-profile-assume", "second-profile"])
        .run()
        .success()
        .stdout_contains(&format!(
            "Switching from trusted profile {name} ({id}) to second-profile as {DEMO_USER} (API key)...\nOK\n"
        ));
    let claims = env.token_claims();
    assert_eq!(claims["iam_id"], format!("iam-{second}"));
    // Assumed by the user, not by the first profile: nothing nests.
    assert_eq!(claims["authn"]["iam_id"], user_iam_id);
    assert_eq!(env.keyring_entries(), secrets);
    env.iamctl(["trusted-profile-leave"])
        .run()
        .success()
        .stdout_contains("Leaving trusted profile second-profile (");
    assert_eq!(env.token_claims()["iam_id"], user_iam_id);
    env.iamctl(["trusted-profile-leave"]).run().code(1);
}

#[test]
fn leaving_without_a_profile_and_assuming_without_a_login_are_refused() {
    let env = TestEnv::new();
    for args in [
        vec!["trusted-profile-assume", "demo-workload"],
        vec!["trusted-profile-assume"],
        vec!["trusted-profile-leave"],
    ] {
        env.iamctl(&args)
            .run()
            .code(3)
            .stderr_contains("Not logged in");
    }
    env.login();
    let before = session_bytes(&env);
    env.iamctl(["trusted-profile-leave"])
        .run()
        .code(1)
        .stderr_is(
            "FAILED\nThis session has not assumed a trusted profile, so there is none to leave.\n\
             Tip: 'iamctl trusted-profile-assume' with no argument shows what the session acts as\n",
        );
    env.iamctl(["trusted-profile-assume", " "])
        .run()
        .code(2)
        .stderr_contains("The trusted profile to assume is empty.");
    assert_eq!(session_bytes(&env), before);
    env.iamctl(["logout"]).run().success();
    env.iamctl(["trusted-profile-assume", "demo-workload"])
        .run()
        .code(3);
}

#[test]
fn a_workloads_session_is_a_profile_already_and_has_no_caller_to_return_to() {
    let env = TestEnv::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("token");
    std::fs::write(&file, env.cr_token(3600)).unwrap_or_else(|e| panic!("{e}"));
    let id = env.info().profile_id.clone();
    env.iamctl(["login", "-a", &env.url(), "--no-region", "--profile", &id])
        .arg("--cr-token")
        .arg(format!("@{}", file.display()))
        .run()
        .success();
    let before = session_bytes(&env);
    env.iamctl(["trusted-profile-assume"])
        .run()
        .success()
        .stdout_is(&format!(
            "No trusted profile is assumed: this session logged in as trusted profile {id} itself (with a compute-resource token).\n"
        ));
    // IAM lets no trusted profile assume another; its answer is passed on.
    env.iamctl(["trusted-profile-assume", &env.info().profile_name])
        .run()
        .code(4)
        .stderr_contains("IAM lets no trusted profile assume another");
    env.iamctl(["trusted-profile-leave"])
        .run()
        .code(1)
        .stderr_contains(&format!(
            "This session logged in as trusted profile {id} itself (with a compute-resource token)"
        ));
    assert_eq!(session_bytes(&env), before);
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
}

#[test]
fn a_profile_that_stops_trusting_the_caller_ends_the_assumption_and_leave_still_returns() {
    let env = TestEnv::logged_in();
    let user_iam_id = env.token_claims()["iam_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = env.info().profile_name.clone();
    // Tokens live 5 s: the profile's is renewed (assumed again) by every command.
    env.set_ttl(5, 86_400);
    env.iamctl(["trusted-profile-assume", &name])
        .run()
        .success();
    // The profile stops trusting the user (done by the profile itself: access is not
    // enforced in the demo world).
    env.iamctl([
        "trusted-profile-identity-delete",
        &name,
        "--id-type",
        "user",
    ])
    .args(["--identifier", &user_iam_id, "-f"])
    .run()
    .success();
    env.iamctl(["oauth-tokens"])
        .run()
        .code(3)
        .stderr_contains("Session expired and could not be renewed: ")
        .stderr_contains(&format!(
            "Tip: check that the profile still trusts this identity: 'iamctl trusted-profile-identities {}'",
            env.info().profile_id
        ))
        .stderr_contains("Tip: or act as that identity again: 'iamctl trusted-profile-leave'");
    env.iamctl(["trusted-profile-leave"]).run().success();
    assert_eq!(env.token_claims()["iam_id"], user_iam_id);
}
