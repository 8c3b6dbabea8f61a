//! Keys kept with `--keyring NAME` under the real Secret Service: create, list, log in by
//! name (with silent re-login), remove; the secret never appears in an output or a file.

use crate::fixtures::*;
use insta::assert_snapshot;

/// The secret of a stored key, read straight from the Secret Service.
fn keyring_secret(env: &TestEnv, name: &str) -> String {
    let user = format!("{}|{}|stored-key|{name}", env.home().display(), env.url());
    keyring_lookup(&user).unwrap_or_default()
}

fn assert_secret_nowhere(env: &TestEnv, secret: &str, outputs: &[&Out]) {
    assert!(secret.len() >= 32, "no secret to look for: {secret:?}");
    for (path, bytes) in env.home_files() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{path:?} holds the secret"
        );
    }
    for o in outputs {
        assert!(
            !o.stdout.contains(secret) && !o.stderr.contains(secret),
            "an output shows the secret"
        );
    }
}

fn key_count(env: &TestEnv, sid: &str) -> usize {
    env.iamctl(["service-api-keys", sid, "--output", "json"])
        .run()
        .success()
        .json()
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
}

#[test]
fn store_list_login_and_remove_a_service_key() {
    let env = TestEnv::new();
    env.set_ttl(8, 3600);
    env.login();
    let sid = env
        .iamctl(["service-id-create", "robot", "--output", "json"])
        .run()
        .success()
        .json()["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let create = env
        .iamctl([
            "service-api-key-create",
            "robot-key",
            "robot",
            "--keyring",
            "ci",
        ])
        .run()
        .success();
    let secret = keyring_secret(&env, "ci");
    assert_eq!(secret.len(), 44);
    assert_snapshot!("keyring_create_text", stable(create.out(), &[]));
    assert!(!create.out().contains("API Key"), "awk must find nothing");

    let list = env.iamctl(["stored-keys"]).run().success();
    assert_snapshot!("stored_keys_text", stable(&env.normalize(list.out()), &[]));
    let json_list = env
        .iamctl(["iam", "stored-keys", "--output", "json"])
        .run()
        .success();
    let v = json_list.json();
    assert_eq!(v.as_array().map(Vec::len), Some(1));
    assert_eq!(v[0]["name"], "ci");
    assert_eq!(v[0]["key_name"], "robot-key");
    assert_eq!(v[0]["iam_id"], format!("iam-{sid}").as_str());
    assert_eq!(v[0]["account_id"], DEMO_ACCOUNT);
    assert_eq!(v[0]["store"], "keyring");
    assert!(
        v[0]["id"]
            .as_str()
            .is_some_and(|s| s.starts_with("ApiKey-"))
    );
    #[cfg(unix)]
    assert_eq!(mode(&env.home().join("stored-keys.json")), 0o600);

    // Log in by name: no -a needed, the key knows its endpoint.
    env.iamctl(["logout"]).run().success();
    let login = env
        .iamctl(["login", "--keyring", "ci", "--no-region"])
        .run()
        .success()
        .stdout_contains(&format!("User:             {sid}"));
    let c = env.token_claims();
    assert_eq!(c["sub_type"], "ServiceId");
    assert_eq!(c["sub"], sid.as_str());

    // An API-key login in every respect: when the refresh token dies, it logs in again
    // silently with the key.
    env.revoke_refresh_tokens();
    let apikey_grants = env.grants("urn:ibm:params:oauth:grant-type:apikey");
    let tokens = env.iamctl(["oauth-tokens"]).run().success();
    assert_eq!(
        env.grants("urn:ibm:params:oauth:grant-type:apikey"),
        apikey_grants + 1
    );
    assert_secret_nowhere(
        &env,
        &secret,
        &[&create, &list, &json_list, &login, &tokens],
    );

    // Removing it leaves the key valid in IAM.
    env.iamctl(["stored-key-delete", "ci"])
        .run()
        .code(2)
        .stderr_contains("pass -f");
    let del = env
        .iamctl(["stored-key-delete", "ci", "-f"])
        .run()
        .success();
    assert_snapshot!("stored_key_delete_text", stable(del.out(), &[]));
    assert_eq!(keyring_secret(&env, "ci"), "");
    env.iamctl(["stored-keys", "--output", "json"])
        .run()
        .success()
        .stdout_is("[]\n");
    let empty = env.iamctl(["stored-keys"]).run().success();
    assert_snapshot!("stored_keys_empty_text", empty.out());
    env.login();
    assert_eq!(key_count(&env, &sid), 1);
    // A name this machine does not know: a usage error, like an unknown session name.
    env.iamctl(["login", "--keyring", "ci"])
        .run()
        .code(2)
        .stderr_contains("Tip: list them with 'iamctl stored-keys'");
}

#[test]
fn user_keys_in_json_a_taken_name_and_force() {
    let env = TestEnv::new();
    env.login();
    let first = env
        .iamctl([
            "api-key-create",
            "mine",
            "--keyring",
            "me",
            "--output",
            "json",
        ])
        .run()
        .success();
    let v = first.json();
    assert!(v.get("apikey").is_none(), "{v}");
    assert_eq!(v["keyring"], "me");
    assert_eq!(v["iam_id"], "IBMid-6650001DMO");
    let secret1 = keyring_secret(&env, "me");
    assert_eq!(secret1.len(), 44);

    // The name is taken: refused before IAM makes a key.
    let before = env
        .iamctl(["api-keys", "--output", "json"])
        .run()
        .success()
        .json();
    let taken = env
        .iamctl(["api-key-create", "mine2", "--keyring", "me"])
        .run()
        .code(1);
    assert_snapshot!("keyring_name_taken", taken.err());
    let after = env
        .iamctl(["api-keys", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(before, after, "a key was created anyway");

    // -f is IBM's "no confirmation" and replaces nothing; --replace replaces the entry (and
    // its secret).
    env.iamctl(["api-key-create", "mine2", "--keyring", "me", "-f"])
        .run()
        .code(1)
        .stderr_contains("pass --replace");
    assert_eq!(keyring_secret(&env, "me"), secret1);
    let second = env
        .iamctl(["api-key-create", "mine2", "--keyring", "me", "--replace"])
        .run()
        .success();
    let secret2 = keyring_secret(&env, "me");
    assert_ne!(secret1, secret2);
    let v = env
        .iamctl(["stored-keys", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v.as_array().map(Vec::len), Some(1));
    assert_eq!(v[0]["key_name"], "mine2");
    assert_secret_nowhere(&env, &secret1, &[&first, &second]);
    assert_secret_nowhere(&env, &secret2, &[&first, &second]);

    // Log in as the user with it.
    env.iamctl(["login", "--keyring", "me", "-a", &env.url(), "--no-region"])
        .run()
        .success()
        .stdout_contains("User:             demo@example.com");
}

#[test]
fn bad_uses_are_refused_without_creating_a_key() {
    let env = TestEnv::new();
    env.login();
    let count = |env: &TestEnv| {
        env.iamctl(["api-keys", "--output", "json"])
            .run()
            .success()
            .json()
            .as_array()
            .map(Vec::len)
            .unwrap_or(0)
    };
    let n = count(&env);
    let file = env.home().join("k.json");
    env.iamctl(["api-key-create", "k", "--keyring", "x", "--file"])
        .arg(&file)
        .run()
        .code(2);
    env.iamctl(["api-key-create", "k", "--keyring", "bad name"])
        .run()
        .code(2)
        .stderr_contains("Invalid stored key name");
    // No Secret Service on the bus: exit 6 before IAM is asked.
    let out = env
        .iamctl(["api-key-create", "k", "--keyring", "x"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .run()
        .code(6);
    assert!(
        out.err().contains("IAMCTL_SECRET_STORE=file"),
        "{}",
        out.err()
    );
    assert_eq!(count(&env), n);
    assert!(!file.exists());
    env.iamctl(["login", "--keyring", "x", "--apikey", "k"])
        .run()
        .code(2);
}

#[test]
fn the_file_store_is_used_only_on_opt_in_and_says_so() {
    let env = TestEnv::new();
    env.login();
    let out = env
        .iamctl(["api-key-create", "k", "--keyring", "filed"])
        .env("IAMCTL_SECRET_STORE", "file")
        .run()
        .success();
    assert!(
        out.err().contains("WARNING: secrets are kept unencrypted"),
        "{}",
        out.err()
    );
    let v = env
        .iamctl(["stored-keys", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v[0]["store"], "file");
    assert_eq!(keyring_secret(&env, "filed"), "");
    // Removal goes to the store the key is in, whatever is configured now.
    env.iamctl(["stored-key-delete", "filed", "-f"])
        .run()
        .success();
    let secrets = std::fs::read_to_string(env.home().join("secrets.json")).unwrap_or_default();
    assert!(!secrets.contains("stored-key|filed"), "{secrets}");
}

#[test]
fn a_key_that_cannot_be_kept_after_creation_is_shown_once() {
    let env = TestEnv::new();
    env.login();
    // Only the final bookkeeping step can fail: its lock file is a directory.
    std::fs::create_dir(env.home().join("stored-keys.lock")).unwrap_or_else(|e| panic!("{e}"));
    let out = env
        .iamctl(["api-key-create", "late", "--keyring", "late"])
        .run()
        .code(1);
    let secret = shown_api_key(out.out());
    assert_eq!(secret.len(), 44, "{}", out.out());
    assert_snapshot!(
        "keyring_failed_after_create",
        stable(
            &format!("{}--- stderr\n{}", out.out(), out.err())
                .replace(&env.home().display().to_string(), "<HOME>"),
            &[&secret]
        )
    );
    // Nothing left behind unseen; the key works.
    assert_eq!(keyring_secret(&env, "late"), "");
    // The = form: a generated key may start with '-'.
    env.iamctl([
        "login",
        "-a",
        &env.url(),
        &format!("--apikey={secret}"),
        "--no-region",
    ])
    .run()
    .success();
}
