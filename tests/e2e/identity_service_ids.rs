//! Service IDs against the emulator: every command in text (snapshots) and JSON, with and
//! without the `iam` prefix; names vs IDs, ambiguous names, locked entities, ETag updates,
//! pagination through 250 service IDs, the login requirement and the fresh-token rule.

use crate::fixtures::*;
use insta::assert_snapshot;

const DEMO_SID: &str = "ServiceId-5e0b3c0a-7d1e-4d5f-9a62-3f0c8e1b2a41";

/// Creates a service ID through iamctl and returns its API object.
fn create(env: &TestEnv, name: &str, desc: &str) -> Value {
    env.iamctl(["service-id-create", name, "-d", desc, "--output", "json"])
        .run()
        .success()
        .json()
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

#[test]
fn create_text_is_ibms() {
    let env = TestEnv::logged_in();
    let out = env
        .iamctl([
            "service-id-create",
            "sid_demo",
            "-d",
            "Technical Service ID",
        ])
        .run()
        .success()
        .stderr_is("");
    assert_snapshot!("service_id_create_text", stable(out.out(), &[]));
    // The same through the `iam` namespace.
    let out = env
        .iamctl(["iam", "service-id-create", "sid_two"])
        .run()
        .success();
    assert!(
        out.out()
            .contains("Service ID sid_two is created successfully\n")
    );
}

#[test]
fn create_json_is_the_api_object_and_quiet_keeps_the_table() {
    let env = TestEnv::logged_in();
    let v = create(&env, "sid_json", "d");
    assert!(id_of(&v).starts_with("ServiceId-"));
    assert_eq!(v["name"], "sid_json");
    assert_eq!(v["description"], "d");
    assert_eq!(v["locked"], false);
    assert!(
        v["iam_id"]
            .as_str()
            .is_some_and(|s| s.starts_with("iam-ServiceId-"))
    );
    assert!(
        v["entity_tag"]
            .as_str()
            .is_some_and(|s| s.starts_with("1-"))
    );
    // jq -r .id works on it.
    let id = env
        .sh("iamctl service-id-create piped --output json | jq -r .id")
        .run()
        .success();
    assert!(id.stdout.trim().starts_with("ServiceId-"), "{}", id.stdout);
    // -q: no progress, no OK, only the table.
    let q = env
        .iamctl(["-q", "service-id-create", "quiet"])
        .run()
        .success();
    assert!(q.out().starts_with("ID "), "{}", q.out());
    assert!(!q.out().contains("OK"));
}

#[test]
fn create_locked_then_update_and_delete_are_refused_with_the_unlock_hint() {
    let env = TestEnv::logged_in();
    let out = env
        .iamctl(["service-id-create", "frozen", "--lock", "--output", "json"])
        .run()
        .success();
    let id = id_of(&out.json());
    assert_eq!(out.json()["locked"], true);

    let upd = env
        .iamctl(["service-id-update", "frozen", "-d", "new"])
        .run()
        .code(1);
    assert_snapshot!("service_id_update_locked", stable(upd.err(), &[]));
    let del = env
        .iamctl(["service-id-delete", "frozen", "-f"])
        .run()
        .code(1);
    assert!(
        del.err().contains(&format!(
            "Tip: it is locked; unlock it first: 'iamctl service-id-unlock {id} -f'"
        )),
        "{}",
        del.err()
    );
    assert!(del.err().contains("is locked"), "{}", del.err());

    // Unlock (text), then the delete goes through.
    let un = env
        .iamctl(["service-id-unlock", "frozen", "-f"])
        .run()
        .success();
    assert_snapshot!("service_id_unlock_text", stable(un.out(), &[]));
    env.iamctl(["service-id-delete", &id, "-f"]).run().success();
    env.iamctl(["service-id", &id]).run().code(1);
}

#[test]
fn lock_and_unlock_text_and_json() {
    let env = TestEnv::logged_in();
    let id = id_of(&create(&env, "lockme", "x"));
    let lock = env
        .iamctl(["service-id-lock", "lockme", "-f"])
        .run()
        .success();
    assert_snapshot!("service_id_lock_text", stable(lock.out(), &[]));
    let shown = env
        .iamctl(["service-id", &id, "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(shown[0]["locked"], true);
    let v = env
        .iamctl(["iam", "service-id-unlock", &id, "-f", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["locked"], false);
    let v = env
        .iamctl(["service-id-lock", &id, "--force", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["locked"], true);
}

#[test]
fn list_text_json_and_empty() {
    let env = TestEnv::with_seed(iam_emulator::Seed {
        service_ids: vec![],
        api_keys: vec![],
        ..iam_emulator::Seed::demo()
    });
    // The seed without keys has none for the demo user either: log in by password.
    env.login_by_password();
    let empty = env.iamctl(["service-ids"]).run().success();
    assert_snapshot!("service_ids_empty_text", empty.out());
    env.iamctl(["service-ids", "--output", "json"])
        .run()
        .success()
        .stdout_is("[]\n");

    create(&env, "alpha", "first one");
    create(&env, "beta", "");
    let list = env.iamctl(["iam", "service-ids"]).run().success();
    assert_snapshot!("service_ids_text", stable(list.out(), &[]));
    let names = env
        .iamctl(["service-ids", "--output", "json"])
        .run()
        .success()
        .json_names();
    assert_eq!(names, ["alpha", "beta"]);
}

#[test]
fn two_hundred_fifty_service_ids_are_all_listed() {
    let mut seed = iam_emulator::Seed::demo();
    for i in 0..250 {
        seed.service_ids.push(iam_emulator::seed::SeedServiceId {
            id: None,
            account_id: DEMO_ACCOUNT.to_string(),
            name: format!("bulk-{i:03}"),
            description: Some(format!("number {i}")),
            locked: false,
            unique_instance_crns: vec![],
        });
    }
    let env = TestEnv::with_seed(seed);
    env.login();
    let v = env
        .iamctl(["service-ids", "--output", "json"])
        .run()
        .success()
        .json();
    let items = v.as_array().cloned().unwrap_or_default();
    // 250 seeded plus the demo world's own.
    assert_eq!(items.len(), 251);
    let mut ids: Vec<&str> = items.iter().filter_map(|s| s["id"].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 251, "a page was listed twice");
    for i in [0, 99, 100, 199, 249] {
        let name = format!("bulk-{i:03}");
        assert!(
            items.iter().any(|s| s["name"] == name.as_str()),
            "{name} missing"
        );
    }
    let text = env.iamctl(["service-ids"]).run().success();
    let rows = text
        .out()
        .lines()
        .filter(|l| l.starts_with("ServiceId-"))
        .count();
    assert_eq!(rows, 251);
    // A name is found even when it is on the last page.
    env.iamctl(["service-id", "bulk-249", "--output", "json"])
        .run()
        .success();
}

#[test]
fn show_by_name_and_id_text_and_json() {
    let env = TestEnv::logged_in();
    let text = env.iamctl(["service-id", "demo-service"]).run().success();
    assert_snapshot!("service_id_show_text", stable(text.out(), &[]));
    let by_name = env
        .iamctl(["service-id", "demo-service", "--output", "json"])
        .run()
        .success()
        .json();
    let by_id = env
        .iamctl(["iam", "service-id", DEMO_SID, "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(by_name, by_id);
    assert_eq!(by_name.as_array().map(Vec::len), Some(1));
    assert_eq!(by_name[0]["id"], DEMO_SID);

    let missing = env.iamctl(["service-id", "nope"]).run().code(1);
    assert_snapshot!("service_id_not_found", missing.err());
    let missing_id = env
        .iamctl([
            "service-id",
            "ServiceId-00000000-0000-4000-8000-000000000000",
        ])
        .run()
        .code(1);
    assert!(
        missing_id.err().contains("not found"),
        "{}",
        missing_id.err()
    );
}

#[test]
fn ambiguous_names_list_the_candidates_and_ids_pick_one() {
    let env = TestEnv::logged_in();
    let a = id_of(&create(&env, "twin", "first"));
    let b = id_of(&create(&env, "twin", "second"));
    // Showing a shared name shows all of them.
    let v = env
        .iamctl(["service-id", "twin", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    let text = env.iamctl(["service-id", "twin"]).run().success();
    assert_eq!(
        text.out().matches("Name           twin").count(),
        2,
        "{}",
        text.out()
    );
    // Changing by a shared name is refused (exit 2) and names the IDs.
    for args in [
        &["service-id-delete", "twin", "-f"][..],
        &["service-id-update", "twin", "-n", "x"][..],
        &["service-id-lock", "twin", "-f"][..],
        &["service-api-keys", "twin"][..],
        &["service-api-key-create", "k", "twin"][..],
    ] {
        let out = env.iamctl(args).run().code(2);
        assert!(
            out.err().contains(&a) && out.err().contains(&b),
            "{args:?}: {}",
            out.err()
        );
    }
    let out = env
        .iamctl(["service-id-delete", "twin", "-f"])
        .run()
        .code(2);
    assert_snapshot!("service_id_ambiguous", stable(out.err(), &[]));
    // By ID it works, and nothing else was touched.
    env.iamctl(["service-id-delete", &a, "-f"]).run().success();
    let v = env
        .iamctl(["service-id", "twin", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v[0]["id"], b.as_str());
}

#[test]
fn update_renames_with_the_etag_and_reports_text_and_json() {
    let env = TestEnv::logged_in();
    let v = create(&env, "old-name", "old");
    let id = id_of(&v);
    let out = env
        .iamctl([
            "service-id-update",
            "old-name",
            "-n",
            "new-name",
            "-d",
            "new description",
        ])
        .run()
        .success();
    assert_snapshot!("service_id_update_text", stable(out.out(), &[]));
    let v = env
        .iamctl([
            "iam",
            "service-id-update",
            &id,
            "-d",
            "third",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(v["name"], "new-name");
    assert_eq!(v["description"], "third");
    assert!(
        v["entity_tag"]
            .as_str()
            .is_some_and(|t| t.starts_with("3-")),
        "{v}"
    );
    // Nothing to change is a usage error.
    env.iamctl(["service-id-update", &id]).run().code(2);
}

#[test]
fn delete_text_json_and_keys_go_with_it() {
    let env = TestEnv::logged_in();
    create(&env, "doomed", "");
    env.iamctl(["service-api-key-create", "k1", "doomed"])
        .run()
        .success();
    let out = env
        .iamctl(["service-id-delete", "doomed", "-f"])
        .run()
        .success();
    assert_snapshot!("service_id_delete_text", out.out());
    env.iamctl(["service-id", "doomed"]).run().code(1);

    let id = id_of(&create(&env, "doomed2", ""));
    let v = env
        .iamctl(["iam", "service-id-delete", &id, "-f", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v, json!({"id": id, "name": "doomed2", "deleted": true}));
}

#[test]
fn changes_without_a_terminal_need_f() {
    let env = TestEnv::logged_in();
    create(&env, "keep", "");
    for verb in ["service-id-delete", "service-id-lock", "service-id-unlock"] {
        let out = env.iamctl([verb, "keep"]).run().code(2);
        assert!(out.err().contains("pass -f"), "{verb}: {}", out.err());
    }
    let out = env.iamctl(["service-id-delete", "keep"]).run().code(2);
    assert_snapshot!("service_id_delete_needs_f", out.err());
    // Still there, unlocked.
    let v = env
        .iamctl(["service-id", "keep", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v[0]["locked"], false);
}

#[test]
fn every_command_needs_a_login() {
    let env = TestEnv::new();
    let cmds: &[&[&str]] = &[
        &["service-id-create", "x"],
        &["service-ids"],
        &["service-id", "x"],
        &["service-id-update", "x", "-n", "y"],
        &["service-id-delete", "x", "-f"],
        &["service-id-lock", "x", "-f"],
        &["service-id-unlock", "x", "-f"],
        &["service-api-key-create", "k", "x"],
        &["service-api-keys", "x"],
        &["service-api-key", "k", "x"],
        &["service-api-key-update", "k", "x", "-d", "y"],
        &["service-api-key-delete", "k", "x", "-f"],
        &["service-api-key-lock", "k", "x", "-f"],
        &["service-api-key-unlock", "k", "x", "-f"],
        &["api-key-create", "k"],
        &["api-keys"],
        &["api-key", "k"],
        &["api-key-update", "k", "-d", "y"],
        &["api-key-delete", "k", "-f"],
        &["api-key-lock", "k", "-f"],
        &["api-key-unlock", "k", "-f"],
    ];
    for args in cmds {
        env.iamctl(*args)
            .run()
            .code(3)
            .stderr_is("FAILED\nNot logged in. Use 'iamctl login' to log in.\n");
        let mut with_iam = vec!["iam"];
        with_iam.extend_from_slice(args);
        env.iamctl(with_iam).run().code(3);
    }
}

#[test]
fn a_token_near_expiry_is_refreshed_before_use() {
    let env = TestEnv::new();
    // Tokens that are inside the refresh window (under 10 s left) from the start.
    env.set_ttl(8, 3600);
    env.login();
    let before = env.grants("refresh_token");
    env.iamctl(["service-ids", "--output", "json"])
        .run()
        .success();
    assert_eq!(env.grants("refresh_token"), before + 1);
    env.set_ttl(3600, 3600);
    env.iamctl(["service-id-create", "after-refresh"])
        .run()
        .success();
}

#[test]
fn a_session_without_an_account_is_told_to_target_one() {
    let env = TestEnv::new();
    env.iamctl([
        "login",
        "-a",
        &env.url(),
        "--apikey",
        &env.apikey(),
        "--no-account",
        "--no-region",
    ])
    .run()
    .success();
    for args in [
        &["service-ids"][..],
        &["api-keys"][..],
        &["api-key-create", "k"][..],
    ] {
        env.iamctl(args)
            .run()
            .code(1)
            .stderr_contains("Tip: target one: 'iamctl target -c ACCOUNT_ID'");
    }
}
