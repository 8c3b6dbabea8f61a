//! API keys of service IDs and of the user against the emulator: text (snapshots) and JSON,
//! IBM's `awk`/`jq` extractions, a new service-ID key logging in as the service ID, `--file`
//! (mode, exclusivity, `--force`, refusals that leave no orphan key), locked keys, ambiguous
//! names, keys of another owner.

use crate::fixtures::*;
use insta::assert_snapshot;

fn new_service_id(env: &TestEnv, name: &str) -> String {
    let v = env
        .iamctl(["service-id-create", name, "--output", "json"])
        .run()
        .success()
        .json();
    v["id"].as_str().unwrap_or_default().to_string()
}

/// The names of a service ID's keys, as `service-api-keys --output json` reports them.
fn service_key_names(env: &TestEnv, sid: &str) -> Vec<String> {
    env.iamctl(["service-api-keys", sid, "--output", "json"])
        .run()
        .success()
        .json_names()
}

#[test]
fn service_key_create_text_awk_and_json_jq() {
    let env = TestEnv::logged_in();
    new_service_id(&env, "sid_demo");
    let out = env
        .iamctl([
            "service-api-key-create",
            "demo-key",
            "sid_demo",
            "-d",
            "API key",
        ])
        .run()
        .success()
        .stderr_is("");
    let secret = shown_api_key(out.out());
    assert_eq!(secret.len(), 44, "{}", out.out());
    assert_eq!(
        out.out().matches("API Key").count(),
        1,
        "only one line may match"
    );
    assert_snapshot!("service_api_key_create_text", stable(out.out(), &[&secret]));

    // IBM's documented scrape, and the JSON way.
    let awk = env
        .sh("iamctl service-api-key-create k2 sid_demo | awk '/API Key/{print $3}'")
        .run()
        .success();
    assert_eq!(awk.stdout.trim().len(), 44, "{}", awk.stdout);
    let jq = env
        .sh("iamctl iam service-api-key-create k3 sid_demo --output json | jq -r .apikey")
        .run()
        .success();
    assert_eq!(jq.stdout.trim().len(), 44, "{}", jq.stdout);
    let v = env
        .iamctl([
            "service-api-key-create",
            "k4",
            "sid_demo",
            "--output",
            "json",
            "--action-if-leaked",
            "disable",
            "--lock",
        ])
        .run()
        .success()
        .json();
    assert!(v["id"].as_str().is_some_and(|s| s.starts_with("ApiKey-")));
    assert_eq!(v["action_when_leaked"], "disable");
    assert_eq!(v["locked"], true);
    assert!(
        v["iam_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("iam-ServiceId-"))
    );
    assert_eq!(
        service_key_names(&env, "sid_demo"),
        ["demo-key", "k2", "k3", "k4"]
    );
}

#[test]
fn a_new_service_key_logs_in_as_the_service_id() {
    let env = TestEnv::logged_in();
    let sid = new_service_id(&env, "robot");
    let file = env.home().join("robot-key.json");
    let out = env
        .iamctl(["service-api-key-create", "robot-key", &sid, "--file"])
        .arg(&file)
        .run()
        .success();
    assert_snapshot!(
        "service_api_key_create_file_text",
        stable(
            &out.out().replace(&file.display().to_string(), "<FILE>"),
            &[]
        )
    );
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = saved["apikey"].as_str().unwrap_or_default().to_string();
    assert_eq!(secret.len(), 44);
    // The secret went to the file only.
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));
    for field in [
        "name",
        "description",
        "created_at",
        "id",
        "iam_id",
        "account_id",
    ] {
        assert!(saved.get(field).is_some(), "{field} missing in {saved}");
    }
    assert_eq!(saved["name"], "robot-key");

    let at = format!("@{}", file.display());
    env.iamctl(["login", "-a", &env.url(), "--apikey", &at, "--no-region"])
        .run()
        .success()
        .stdout_contains(&format!("User:             {sid}"));
    let token = env
        .iamctl(["oauth-tokens", "--output", "json"])
        .run()
        .success()
        .json();
    let jwt = token["iam_token"]
        .as_str()
        .and_then(|t| t.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let c = jwt_claims(&jwt);
    assert_eq!(c["sub_type"], "ServiceId");
    assert_eq!(c["sub"], sid.as_str());
    assert_eq!(c["iam_id"], format!("iam-{sid}").as_str());
}

#[test]
fn file_json_output_has_no_secret_but_names_the_file() {
    let env = TestEnv::logged_in();
    new_service_id(&env, "s");
    let file = env.home().join("k.json");
    let v = env
        .iamctl([
            "service-api-key-create",
            "k",
            "s",
            "--output",
            "json",
            "--file",
        ])
        .arg(&file)
        .run()
        .success()
        .json();
    assert!(v.get("apikey").is_none(), "{v}");
    assert_eq!(v["file"], file.display().to_string().as_str());
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap_or_default()).unwrap_or(Value::Null);
    assert_eq!(saved["id"], v["id"]);
}

#[test]
fn existing_files_are_refused_without_force_and_replaced_with_it() {
    let env = TestEnv::logged_in();
    new_service_id(&env, "s");
    let file = env.home().join("exists.json");
    std::fs::write(&file, b"precious").unwrap_or_else(|e| panic!("{e}"));
    let out = env
        .iamctl(["service-api-key-create", "k", "s", "--file"])
        .arg(&file)
        .run()
        .code(1);
    assert_snapshot!(
        "key_file_exists",
        out.err().replace(&file.display().to_string(), "<FILE>")
    );
    assert_eq!(std::fs::read(&file).ok(), Some(b"precious".to_vec()));
    assert!(
        service_key_names(&env, "s").is_empty(),
        "orphan key created"
    );

    // -f is IBM's "no confirmation": it replaces nothing.
    env.iamctl(["service-api-key-create", "k", "s", "-f", "--file"])
        .arg(&file)
        .run()
        .code(1)
        .stderr_contains("pass --replace to replace it");
    assert_eq!(std::fs::read(&file).ok(), Some(b"precious".to_vec()));
    env.iamctl(["service-api-key-create", "k", "s", "--replace", "--file"])
        .arg(&file)
        .run()
        .success();
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap_or_default()).unwrap_or(Value::Null);
    assert_eq!(saved["name"], "k");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    assert_eq!(service_key_names(&env, "s"), ["k"]);
    // The user's own keys take --file too.
    let mine = env.home().join("mine.json");
    env.iamctl(["api-key-create", "mine", "--file"])
        .arg(&mine)
        .run()
        .success();
    #[cfg(unix)]
    assert_eq!(mode(&mine), 0o600);
    env.iamctl(["api-key-create", "mine2", "--file"])
        .arg(&mine)
        .run()
        .code(1);
}

#[test]
fn unwritable_paths_are_refused_before_any_key_exists() {
    let env = TestEnv::logged_in();
    new_service_id(&env, "s");
    let plain = env.home().join("plain-file");
    std::fs::write(&plain, b"x").unwrap_or_else(|e| panic!("{e}"));
    let mut bad: Vec<(std::path::PathBuf, bool)> = vec![
        (env.home().join("no/such/dir/key.json"), false),
        (env.home().join("no/such/dir/key.json"), true),
        (plain.join("key.json"), false),
        // A directory is never replaced, even with -f.
        (env.home().to_path_buf(), true),
    ];
    // EACCES even for root.
    #[cfg(target_os = "linux")]
    bad.push((std::path::PathBuf::from("/sys/iamctl-key.json"), false));
    #[cfg(unix)]
    {
        // A read-only directory stops everyone but root.
        let ro = env.home().join("ro");
        std::fs::create_dir(&ro).unwrap_or_else(|e| panic!("{e}"));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500))
            .unwrap_or_else(|e| panic!("{e}"));
        if std::fs::File::create(ro.join("probe")).is_err() {
            bad.push((ro.join("key.json"), false));
        }
    }
    for (path, force) in &bad {
        let mut args = vec!["service-api-key-create", "k", "s"];
        if *force {
            args.push("--replace");
        }
        args.push("--file");
        let out = env.iamctl(args).arg(path).run().code(1);
        assert!(
            out.err().contains("no API key was created"),
            "{path:?}: {}",
            out.err()
        );
        assert!(!out.stdout.contains("OK"), "{}", out.stdout);
    }
    assert!(
        service_key_names(&env, "s").is_empty(),
        "orphan key created"
    );
    assert!(!env.home().join("no").exists());
    let out = env
        .iamctl(["api-key-create", "k", "--file"])
        .arg(env.home().join("no/key.json"))
        .run()
        .code(1);
    assert_snapshot!(
        "key_file_missing_dir",
        out.err()
            .replace(&env.home().display().to_string(), "<HOME>")
    );
}

#[test]
fn a_failed_create_removes_the_file_it_made() {
    let env = TestEnv::logged_in();
    new_service_id(&env, "s");
    // IAM fails the create.
    env.fault(json!({"path": "/v1/apikeys", "status": 500, "count": 1}));
    let file = env.home().join("k.json");
    env.iamctl(["service-api-key-create", "k", "s", "--file"])
        .arg(&file)
        .run()
        .code(1);
    assert!(!file.exists(), "the empty key file was left behind");
}

#[test]
fn service_key_list_show_update_delete_text_and_json() {
    let env = TestEnv::logged_in();
    new_service_id(&env, "svc");
    let empty = env.iamctl(["service-api-keys", "svc"]).run().success();
    assert_snapshot!("service_api_keys_empty", empty.out());
    env.iamctl(["service-api-keys", "svc", "--output", "json"])
        .run()
        .success()
        .stdout_is("[]\n");
    for (name, desc) in [("one", "first key"), ("two", "")] {
        env.iamctl(["service-api-key-create", name, "svc", "-d", desc])
            .run()
            .success();
    }
    let list = env
        .iamctl(["iam", "service-api-keys", "svc"])
        .run()
        .success();
    assert_snapshot!("service_api_keys_text", stable(list.out(), &[]));

    let show = env
        .iamctl(["service-api-key", "one", "svc"])
        .run()
        .success();
    assert_snapshot!("service_api_key_show_text", stable(show.out(), &[]));
    let v = env
        .iamctl(["service-api-key", "one", "svc", "--output", "json"])
        .run()
        .success()
        .json();
    let id = v["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(v["name"], "one");
    // No secret after creation.
    assert!(v["apikey"].as_str().unwrap_or_default().is_empty(), "{v}");
    let by_id = env
        .iamctl(["service-api-key", &id, "svc", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(by_id["id"], v["id"]);

    let upd = env
        .iamctl([
            "service-api-key-update",
            "one",
            "svc",
            "-n",
            "uno",
            "-d",
            "renamed",
        ])
        .run()
        .success();
    assert_snapshot!("service_api_key_update_text", stable(upd.out(), &[]));
    let v = env
        .iamctl([
            "iam",
            "service-api-key-update",
            &id,
            "svc",
            "-d",
            "again",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(v["name"], "uno");
    assert_eq!(v["description"], "again");

    let del = env
        .iamctl(["service-api-key-delete", "uno", "svc", "-f"])
        .run()
        .success();
    assert_snapshot!("service_api_key_delete_text", del.out());
    let v = env
        .iamctl([
            "service-api-key-delete",
            "two",
            "svc",
            "-f",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(v["name"], "two");
    assert_eq!(v["deleted"], true);
    assert!(service_key_names(&env, "svc").is_empty());
}

#[test]
fn locked_keys_refuse_changes_with_the_unlock_hint() {
    let env = TestEnv::logged_in();
    let sid = new_service_id(&env, "svc");
    env.iamctl(["service-api-key-create", "k", "svc"])
        .run()
        .success();
    let lock = env
        .iamctl(["service-api-key-lock", "k", "svc", "-f"])
        .run()
        .success();
    assert_snapshot!("service_api_key_lock_text", lock.out());
    let upd = env
        .iamctl(["service-api-key-update", "k", "svc", "-d", "x"])
        .run()
        .code(1);
    assert_snapshot!("service_api_key_update_locked", stable(upd.err(), &[]));
    let del = env
        .iamctl(["service-api-key-delete", "k", "svc", "-f"])
        .run()
        .code(1);
    assert!(
        del.err()
            .contains("Tip: it is locked; unlock it first: 'iamctl service-api-key-unlock ApiKey-"),
        "{}",
        del.err()
    );
    // A locked service ID's key list still works; the locked key stays.
    assert_eq!(service_key_names(&env, &sid), ["k"]);
    let v = env
        .iamctl([
            "service-api-key-unlock",
            "k",
            "svc",
            "-f",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(v["locked"], false);
    let v = env
        .iamctl([
            "iam",
            "service-api-key-lock",
            "k",
            &sid,
            "-f",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(v["locked"], true);
    let un = env
        .iamctl(["service-api-key-unlock", "k", "svc", "-f"])
        .run()
        .success();
    assert!(
        un.out().ends_with("Service ID API key k is unlocked\n"),
        "{}",
        un.out()
    );
    env.iamctl(["service-api-key-delete", "k", "svc", "-f"])
        .run()
        .success();
}

#[test]
fn ambiguous_key_names_and_keys_of_other_owners() {
    let env = TestEnv::logged_in();
    new_service_id(&env, "a");
    new_service_id(&env, "b");
    env.iamctl(["service-api-key-create", "dup", "a"])
        .run()
        .success();
    env.iamctl(["service-api-key-create", "dup", "a"])
        .run()
        .success();
    let out = env
        .iamctl(["service-api-key-delete", "dup", "a", "-f"])
        .run()
        .code(2);
    assert_snapshot!("service_api_key_ambiguous", stable(out.err(), &[]));
    // A key ID of service ID a, named with service ID b, is refused.
    let v = env
        .iamctl(["service-api-keys", "a", "--output", "json"])
        .run()
        .success()
        .json();
    let id = v[0]["id"].as_str().unwrap_or_default().to_string();
    let out = env
        .iamctl(["service-api-key-delete", &id, "b", "-f"])
        .run()
        .code(1);
    assert!(
        out.err().contains("is not an API key of service ID b"),
        "{}",
        out.err()
    );
    // ... and by the user's own key commands too.
    let out = env.iamctl(["api-key-delete", &id, "-f"]).run().code(1);
    assert!(out.err().contains("service-api-key-*"), "{}", out.err());
    assert_eq!(service_key_names(&env, "a").len(), 2);
    // A key name that does not exist.
    env.iamctl(["service-api-key", "ghost", "a"])
        .run()
        .code(1)
        .stderr_contains("API key 'ghost' of service ID a was not found");
}

#[test]
fn user_keys_every_command_text_and_json() {
    let env = TestEnv::logged_in();
    let create = env
        .iamctl(["api-key-create", "MyKey", "-d", "this is my API key"])
        .run()
        .success();
    let secret = shown_api_key(create.out());
    assert_snapshot!("api_key_create_text", stable(create.out(), &[&secret]));
    let v = env
        .iamctl(["iam", "api-key-create", "second", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["iam_id"], "IBMid-6650001DMO");
    assert_eq!(v["apikey"].as_str().map(str::len), Some(44));

    let list = env.iamctl(["api-keys"]).run().success();
    assert_snapshot!("api_keys_text", stable(list.out(), &[]));
    let names = env
        .iamctl(["api-keys", "--output", "json"])
        .run()
        .success()
        .json_names();
    assert_eq!(names, ["demo-key", "MyKey", "second"]);

    let show = env.iamctl(["api-key", "MyKey"]).run().success();
    assert_snapshot!("api_key_show_text", stable(show.out(), &[]));
    let v = env
        .iamctl(["iam", "api-key", "MyKey", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["description"], "this is my API key");

    let upd = env
        .iamctl(["api-key-update", "MyKey", "-n", "MyKey2"])
        .run()
        .success();
    assert_snapshot!("api_key_update_text", stable(upd.out(), &[]));
    let lock = env.iamctl(["api-key-lock", "MyKey2", "-f"]).run().success();
    assert_snapshot!("api_key_lock_text", lock.out());
    let del = env.iamctl(["api-key-delete", "MyKey2", "-f"]).run().code(1);
    assert!(
        del.err().contains("'iamctl api-key-unlock ApiKey-"),
        "{}",
        del.err()
    );
    let v = env
        .iamctl(["api-key-unlock", "MyKey2", "-f", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["locked"], false);
    let del = env
        .iamctl(["api-key-delete", "MyKey2", "-f"])
        .run()
        .success();
    assert_snapshot!("api_key_delete_text", del.out());
    let v = env
        .iamctl(["iam", "api-key-delete", "second", "-f", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["deleted"], true);
    for verb in ["api-key-delete", "api-key-lock", "api-key-unlock"] {
        env.iamctl([verb, "demo-key"])
            .run()
            .code(2)
            .stderr_contains("pass -f");
    }
    for verb in [
        "service-api-key-delete",
        "service-api-key-lock",
        "service-api-key-unlock",
    ] {
        env.iamctl([verb, "demo-service-key", "demo-service"])
            .run()
            .code(2)
            .stderr_contains("pass -f");
    }
    // The secret of the created key is nowhere on disk.
    for (path, bytes) in env.home_files() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&secret),
            "{path:?} holds the secret"
        );
    }
}
