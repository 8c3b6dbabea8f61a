//! Workload identity: logging in as a trusted profile with a compute-resource token (from a
//! file a platform rotates), with the VPC instance identity, and by assuming a profile from
//! an API-key login; renewal without a refresh token; each bad input refused before anything
//! changes; the trusted-profile commands.

use crate::fixtures::*;
use std::path::{Path, PathBuf};

/// A file holding `token`, as a platform mounts it.
fn token_file(dir: &Path, token: &str) -> PathBuf {
    let path = dir.join("token");
    std::fs::write(&path, token).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn at(path: &Path) -> String {
    format!("@{}", path.display())
}

#[test]
fn a_pod_logs_in_from_its_token_file_and_renews_from_the_rotated_file() {
    let env = TestEnv::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Every access token lives 5 s: inside the renewal window at once.
    env.set_ttl(5, 86_400);
    let file = token_file(dir.path(), &env.cr_token(60));
    let profile = &env.info().profile_name;
    env.iamctl(["login", "-a", &env.url(), "--no-region", "--cr-token"])
        .arg(at(&file))
        .args(["--profile", profile])
        .run()
        .success()
        .stdout_contains(&format!("Trusted profile:   {profile}\n"))
        .stdout_contains(&format!(
            "Renewed by:        re-reading the compute-resource token in {}\n",
            file.display()
        ));
    let claims = env.token_claims();
    assert_eq!(claims["sub_type"], "Profile");
    assert_eq!(claims["iam_id"], format!("iam-{}", env.info().profile_id));
    // The platform rotates the token; the first one then expires.
    let rotated = env.cr_token(3600);
    std::fs::write(&file, &rotated).unwrap_or_else(|e| panic!("{e}"));
    env.advance_clock(120);
    let before = env.grants("urn:ibm:params:oauth:grant-type:cr-token");
    env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(
        env.grants("urn:ibm:params:oauth:grant-type:cr-token"),
        before + 1
    );
    // A token file whose token expired (the platform stopped rotating it) says so, and what
    // to check. The token is made an hour ago by the emulator's clock, and the session's
    // token is put inside its renewal window.
    env.advance_clock(-3600);
    let stale = env.cr_token(60);
    env.advance_clock(3600);
    std::fs::write(&file, &stale).unwrap_or_else(|e| panic!("{e}"));
    let mut session = env.session();
    let exp = session["login"]["token_expires_at"].as_i64().unwrap_or(0);
    session["login"]["token_issued_at"] = json!(exp - 1000);
    std::fs::write(env.session_file(), session.to_string()).unwrap_or_else(|e| panic!("{e}"));
    env.iamctl(["oauth-tokens"])
        .run()
        .code(3)
        .stderr_contains("IAM refused the compute-resource token")
        .stderr_contains("Tip: check that the compute resource is still linked");
    // Nothing secret was stored: the token stays the platform's, in its file.
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
    let session = std::fs::read_to_string(env.session_file()).unwrap_or_default();
    assert!(!session.contains(&rotated) && !session.contains(&stale));
}

#[test]
fn a_token_given_inline_is_kept_in_the_keyring_and_never_in_a_file() {
    let env = TestEnv::new();
    let token = env.cr_token(3600);
    env.iamctl(["login", "-a", &env.url(), "--no-region", "--cr-token", "-"])
        .args(["--profile", &env.info().profile_id])
        .stdin(&token)
        .run()
        .success();
    assert!(env.keyring_secrets().contains(&token));
    for (path, bytes) in env.home_files() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&token),
            "{} holds the token",
            path.display()
        );
    }
    // Renewal reads it back from the keyring.
    env.set_ttl(5, 86_400);
    env.iamctl(["login", "-a", &env.url(), "--no-region", "--cr-token", "-"])
        .args(["--profile", &env.info().profile_id])
        .stdin(&token)
        .run()
        .success();
    env.iamctl(["oauth-tokens"]).run().success();
    env.iamctl(["logout"]).run().success();
    assert_eq!(env.keyring_entries(), Vec::<String>::new());
}

#[test]
fn a_virtual_server_logs_in_through_its_metadata_service() {
    let env = TestEnv::new();
    let profile = env.info().profile_id.clone();
    env.iamctl(["login", "-a", &env.url(), "--no-region", "--vpc-cri"])
        .args(["--profile", &profile])
        .env("IBMCLOUD_CR_VPC_URL", env.url())
        .run()
        .success()
        .stdout_contains(&format!("Trusted profile:   {profile}\n"));
    assert_eq!(env.token_claims()["sub_type"], "Profile");
    // Renewal asks the metadata service again (the URL is remembered with the login).
    env.set_ttl(5, 86_400);
    env.iamctl(["login", "-a", &env.url(), "--no-region", "--vpc-cri"])
        .env("IBMCLOUD_CR_VPC_URL", env.url())
        .run()
        .success();
    let before = env.requests()["/identity/v1/iam_tokens"]
        .as_u64()
        .unwrap_or(0);
    env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(
        env.requests()["/identity/v1/iam_tokens"].as_u64(),
        Some(before + 1),
        "{}",
        env.stats()
    );
}

#[test]
fn an_api_key_login_assumes_a_profile_and_assumes_it_again_to_renew() {
    let env = TestEnv::new();
    let name = env.info().profile_name.clone();
    env.login_with(Creds::ApiKey, &["--no-region", "--profile", &name])
        .run()
        .success()
        .stdout_contains("Renewed by:        assuming the profile again with a fresh token of the API key login\n");
    assert_eq!(env.token_claims()["sub_type"], "Profile");
    let json = env
        .iamctl(["sessions", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json[0]["login"]["method"], "assume");
    assert_eq!(json[0]["login"]["trusted_profile"], json!({ "name": name }));
    // The session acts as the profile in its account.
    env.iamctl(["trusted-profiles", "--output", "json"])
        .run()
        .success();
    env.set_ttl(5, 86_400);
    env.login_with(Creds::ApiKey, &["--no-region", "--profile", &name])
        .run()
        .success();
    let before = env.grants("urn:ibm:params:oauth:grant-type:assume");
    env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(
        env.grants("urn:ibm:params:oauth:grant-type:assume"),
        before + 1
    );
}

#[test]
fn bad_workload_input_is_refused_and_the_previous_session_stays() {
    let env = TestEnv::new();
    env.login();
    let before = std::fs::read(env.session_file()).unwrap_or_default();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let profile = env.info().profile_name.clone();
    let url = env.url();
    let login = |extra: &[&str]| {
        let mut args = vec!["login", "-a", url.as_str(), "--no-region"];
        args.extend_from_slice(extra);
        env.iamctl(args)
    };
    let missing = at(&dir.path().join("nope"));
    login(&["--cr-token", &missing, "--profile", &profile])
        .run()
        .code(1)
        .stderr_contains("Could not read the compute-resource token file");
    let not_jwt = at(&token_file(dir.path(), "just text"));
    login(&["--cr-token", &not_jwt, "--profile", &profile])
        .run()
        .code(2)
        .stderr_contains("is not a JWT");
    let good = at(&token_file(dir.path(), &env.cr_token(600)));
    login(&["--cr-token", &good])
        .run()
        .code(2)
        .stderr_contains("--profile");
    login(&["--cr-token", &good, "--profile", "no-such-profile"])
        .run()
        .code(4);
    login(&["--cr-token", &good, "--apikey", "x", "--profile", &profile])
        .run()
        .code(2);
    login(&["--vpc-cri", "--profile", &profile])
        .env("IBMCLOUD_CR_VPC_URL", &url)
        .run()
        .code(2)
        .stderr_contains("not its name");
    // A metadata service that does not answer is bounded by IBMCLOUD_HTTP_TIMEOUT.
    login(&["--vpc-cri"])
        .env("IBMCLOUD_CR_VPC_URL", "http://127.0.0.1:1")
        .env("IBMCLOUD_HTTP_TIMEOUT", "2")
        .run()
        .code(5);
    assert_eq!(
        std::fs::read(env.session_file()).unwrap_or_default(),
        before
    );
}

#[test]
fn trusted_profiles_links_and_identities_from_create_to_delete() {
    let env = TestEnv::new();
    env.login();
    let created = env
        .iamctl([
            "trusted-profile-create",
            "ci-pods",
            "-d",
            "CI",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    let id = created["id"].as_str().unwrap_or_default().to_string();
    assert!(id.starts_with("Profile-"), "{created}");
    env.iamctl(["trusted-profile", "ci-pods"])
        .run()
        .success()
        .stdout_contains(&id);
    env.iamctl([
        "trusted-profile-link-create",
        "ci-pods",
        "--name",
        "ci-sa",
        "--cr-type",
        "IKS_SA",
        "--link-crn",
        &env.info().iks_cluster_crn,
        "--link-namespace",
        "ci",
        "--link-name",
        "runner",
    ])
    .run()
    .success()
    .stdout_contains("Link ci-sa is created successfully");
    let links = env
        .iamctl(["trusted-profile-links", "ci-pods", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(links[0]["link"]["namespace"], "ci", "{links}");
    let sid = env
        .iamctl(["service-id-create", "deployer", "--output", "json"])
        .run()
        .success()
        .json()["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    env.iamctl([
        "trusted-profile-identity-create",
        "ci-pods",
        "--id-type",
        "serviceid",
        "--id",
        &sid,
    ])
    .run()
    .success();
    let ids = env
        .iamctl(["trusted-profile-identities", "ci-pods", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(ids[0]["identifier"], sid.as_str(), "{ids}");
    env.iamctl(["trusted-profile-update", "ci-pods", "-n", "ci-runners"])
        .run()
        .success()
        .stdout_contains("Trusted profile ci-runners is updated successfully");
    // Without a terminal, deleting needs -f.
    env.iamctl(["trusted-profile-link-delete", "ci-runners", "ci-sa"])
        .run()
        .code(2)
        .stderr_contains("pass -f");
    env.iamctl(["trusted-profile-link-delete", "ci-runners", "ci-sa", "-f"])
        .run()
        .success();
    env.iamctl([
        "trusted-profile-identity-delete",
        "ci-runners",
        &sid,
        "--id-type",
        "serviceid",
        "-f",
    ])
    .run()
    .success();
    env.iamctl(["trusted-profile-delete", "ci-runners", "-f"])
        .run()
        .success()
        .stdout_contains("Trusted profile ci-runners is deleted successfully");
    env.iamctl(["trusted-profile", "ci-runners"])
        .run()
        .code(1)
        .stderr_contains("was not found");
}

/// Runs `script` in a private mount namespace whose `/run` (and so `/var/run`) is an empty
/// tmpfs, so a test can mount a platform's token where IBM's SDKs look for it without
/// touching the machine's own `/run`.
fn in_private_run<'a>(env: &'a TestEnv, script: &str) -> Cmd<'a> {
    env.in_private_mounts(
        "to mount a token at /var/run/secrets",
        &format!("mount -t tmpfs tmpfs /run && {script}"),
    )
}

#[test]
fn without_a_token_given_the_platforms_default_file_is_used_and_named() {
    let env = TestEnv::new();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let token = token_file(dir.path(), &env.cr_token(600));
    in_private_run(
        &env,
        &format!(
            "mkdir -p /run/secrets/tokens && cp '{}' /run/secrets/tokens/sa-token && \
             '{BIN}' login -a '{}' --no-region --profile '{}'",
            token.display(),
            env.url(),
            env.info().profile_name
        ),
    )
    .run()
    .success()
    .stdout_contains("Using the compute-resource token in /var/run/secrets/tokens/sa-token\n");
    assert_eq!(
        env.session()["login"]["token_file"],
        "/var/run/secrets/tokens/sa-token"
    );
}
