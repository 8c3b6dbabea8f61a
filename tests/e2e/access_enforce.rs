//! Policies made with iamctl decide what an identity may do on an emulator that enforces
//! access (`--enforce-access`): a service ID without a policy is refused, with one (direct,
//! through an access group, or as a trusted profile it assumes) it is allowed.

use crate::fixtures::*;
use std::path::PathBuf;

/// The account owner's session on an enforcing emulator.
fn owner() -> TestEnv {
    let env = TestEnv::enforcing();
    env.login();
    env
}

/// A new service ID with an API key in a file (the owner's doing); the key file.
fn service_id_with_key(env: &TestEnv, name: &str) -> PathBuf {
    env.iamctl(["service-id-create", name]).run().success();
    let file = env.user_home().join(format!("{name}-key.json"));
    env.iamctl([
        "service-api-key-create",
        &format!("{name}-key"),
        name,
        "--file",
        file.to_str().unwrap_or(""),
    ])
    .run()
    .success();
    file
}

/// `iamctl --session SESSION login --apikey @FILE` (and `extra`), checked to succeed.
fn login_as(env: &TestEnv, session: &str, key: &std::path::Path, extra: &[&str]) {
    let url = env.url();
    let at = format!("@{}", key.display());
    let mut args = vec![
        "--session",
        session,
        "login",
        "-a",
        &url,
        "--apikey",
        &at,
        "--no-region",
    ];
    args.extend_from_slice(extra);
    env.iamctl(args).run().success();
}

/// Whether the identity of `session` may see the account's service IDs: an enforcing IAM
/// lists only what the caller may read, so without a policy the list is empty.
fn may_list_service_ids(env: &TestEnv, session: &str) -> bool {
    let list = env
        .iamctl(["--session", session, "service-ids", "--output", "json"])
        .run()
        .success()
        .json();
    list.as_array()
        .is_some_and(|a| a.iter().any(|s| s["name"] == "demo-service"))
}

#[test]
fn a_service_id_is_refused_without_a_policy_and_allowed_with_one() {
    let env = owner();
    let key = service_id_with_key(&env, "worker");
    login_as(&env, "worker", &key, &[]);
    assert!(!may_list_service_ids(&env, "worker"));
    let p = env
        .iamctl([
            "service-policy-create",
            "worker",
            "--roles",
            "Viewer",
            "--service-name",
            "iam-identity",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert!(may_list_service_ids(&env, "worker"));
    // Reading is not writing: Viewer does not create service IDs.
    env.iamctl(["--session", "worker", "service-id-create", "not-allowed"])
        .run()
        .code(1);
    let id = p["id"].as_str().unwrap_or("");
    env.iamctl(["service-policy-delete", "worker", id, "-f"])
        .run()
        .success();
    assert!(!may_list_service_ids(&env, "worker"));
}

#[test]
fn a_group_policy_applies_to_its_members() {
    let env = owner();
    let key = service_id_with_key(&env, "member");
    login_as(&env, "member", &key, &[]);
    env.iamctl(["access-group-create", "identity-readers"])
        .run()
        .success();
    env.iamctl([
        "access-group-policy-create",
        "identity-readers",
        "--roles",
        "Viewer",
        "--service-name",
        "iam-identity",
    ])
    .run()
    .success();
    assert!(!may_list_service_ids(&env, "member"));
    env.iamctl(["access-group-service-id-add", "identity-readers", "member"])
        .run()
        .success();
    assert!(may_list_service_ids(&env, "member"));
    env.iamctl([
        "access-group-service-id-remove",
        "identity-readers",
        "member",
    ])
    .run()
    .success();
    assert!(!may_list_service_ids(&env, "member"));
}

#[test]
fn a_trusted_profiles_policy_applies_to_who_assumes_it() {
    let env = owner();
    let key = service_id_with_key(&env, "assumer");
    let sid = env
        .iamctl(["service-id", "assumer", "--uuid"])
        .run()
        .success()
        .stdout
        .trim()
        .to_string();
    env.iamctl(["trusted-profile-create", "deployer"])
        .run()
        .success();
    env.iamctl([
        "trusted-profile-identity-create",
        "deployer",
        "--id-type",
        "serviceid",
        "--identifier",
        &sid,
    ])
    .run()
    .success();
    login_as(&env, "profile", &key, &["--profile", "deployer"]);
    assert!(!may_list_service_ids(&env, "profile"));
    env.iamctl([
        "trusted-profile-policy-create",
        "deployer",
        "--roles",
        "Viewer",
        "--service-name",
        "iam-identity",
    ])
    .run()
    .success();
    assert!(may_list_service_ids(&env, "profile"));
    // The service ID itself still has no access of its own.
    login_as(&env, "assumer", &key, &[]);
    assert!(!may_list_service_ids(&env, "assumer"));
}
