//! Access groups against the emulator: create, list, show, update, delete; users, service IDs
//! and trusted profiles as members (add, list, remove, purge); group policies; and
//! authorization policies between services.

use crate::access_policies::{access_stable, service_id};
use crate::fixtures::*;
use insta::assert_snapshot;

const SSO_IAM_ID: &str = "IBMid-6650002SSO";

fn group(env: &TestEnv, name: &str) -> String {
    env.iamctl(["access-group-create", name, "--output", "json"])
        .run()
        .success()
        .json()["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id"))
        .to_string()
}

#[test]
fn groups_create_list_show_update_delete() {
    let env = TestEnv::logged_in();
    let out = env
        .iamctl([
            "access-group-create",
            "example_group",
            "-d",
            "example access group",
        ])
        .run()
        .success()
        .stderr_is("");
    assert_snapshot!("access_group_create_text", access_stable(&env, out.out()));
    let out = env.iamctl(["access-groups"]).run().success();
    assert_snapshot!("access_groups_text", access_stable(&env, out.out()));
    let json = env
        .iamctl(["iam", "access-groups", "--output", "json"])
        .run()
        .success()
        .json();
    let names: Vec<&str> = json
        .as_array()
        .map(|a| a.iter().filter_map(|g| g["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&"example_group"), "{json}");
    let out = env
        .iamctl(["access-group", "example_group"])
        .run()
        .success();
    assert_snapshot!("access_group_text", access_stable(&env, out.out()));
    let id = env
        .iamctl(["access-group", "EXAMPLE_GROUP", "--id"])
        .run()
        .success()
        .stdout;
    assert!(
        id.starts_with("AccessGroupId-") && id.ends_with('\n'),
        "{id}"
    );
    let out = env
        .iamctl([
            "access-group-update",
            "example_group",
            "--name",
            "hello_world_group",
        ])
        .run()
        .success();
    assert_snapshot!("access_group_update_text", access_stable(&env, out.out()));
    env.iamctl(["access-group", "example_group"])
        .run()
        .code(1)
        .stderr_contains("Access group 'example_group' was not found");
    env.iamctl(["access-group-delete", "hello_world_group"])
        .run()
        .code(2)
        .stderr_contains("Tip: pass -f to delete access group hello_world_group");
    let out = env
        .iamctl(["access-group-delete", "hello_world_group", "-f"])
        .run()
        .success();
    assert_snapshot!("access_group_delete_text", access_stable(&env, out.out()));
    env.iamctl(["access-group", id.trim()]).run().code(1);
}

#[test]
fn members_are_added_listed_removed_and_purged() {
    let env = TestEnv::logged_in();
    group(&env, "crew");
    group(&env, "other-crew");
    service_id(&env, "crew-sid");

    // Users, by IAM ID (positional and --iam-ids).
    let out = env
        .iamctl(["access-group-user-add", "crew", SSO_IAM_ID])
        .run()
        .success();
    assert_snapshot!("access_group_user_add_text", access_stable(&env, out.out()));
    env.iamctl([
        "access-group-user-add",
        "other-crew",
        "--iam-ids",
        SSO_IAM_ID,
    ])
    .run()
    .success();
    let users = env
        .iamctl(["access-group-users", "crew", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(users[0]["iam_id"], SSO_IAM_ID, "{users}");
    let out = env.iamctl(["access-group-users", "crew"]).run().success();
    assert!(out.out().contains(SSO_IAM_ID), "{}", out.out());

    // Service IDs, by name; trusted profiles, by name.
    let out = env
        .iamctl(["access-group-service-id-add", "crew", "crew-sid"])
        .run()
        .success();
    assert!(
        out.out()
            .contains("Service ID crew-sid is added to access group crew\n"),
        "{}",
        out.out()
    );
    let out = env
        .iamctl(["access-group-service-ids", "crew"])
        .run()
        .success();
    assert_snapshot!(
        "access_group_service_ids_text",
        access_stable(&env, out.out())
    );
    env.iamctl(["access-group-trusted-profile-add", "crew", "demo-workload"])
        .run()
        .success()
        .stdout_contains("Trusted profile demo-workload is added to access group crew\n");
    let profiles = env
        .iamctl(["access-group-trusted-profiles", "crew", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(profiles.as_array().map(Vec::len), Some(1), "{profiles}");
    // Each list holds its own kind only.
    let sids = env
        .iamctl(["access-group-service-ids", "crew", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(sids.as_array().map(Vec::len), Some(1), "{sids}");

    // The groups a member is in.
    let groups = env
        .iamctl(["access-groups", "-u", SSO_IAM_ID, "--output", "json"])
        .run()
        .success()
        .json();
    let mut names: Vec<&str> = groups
        .as_array()
        .map(|a| a.iter().filter_map(|g| g["name"].as_str()).collect())
        .unwrap_or_default();
    names.retain(|n| *n != "Public Access");
    names.sort();
    assert_eq!(names, ["crew", "other-crew"]);
    let out = env
        .iamctl(["access-groups", "-s", "crew-sid"])
        .run()
        .success();
    assert!(out.out().contains("crew"), "{}", out.out());

    // Remove from one group; purge from all (needs -f without a terminal).
    env.iamctl(["access-group-service-id-add", "other-crew", "crew-sid"])
        .run()
        .success();
    env.iamctl([
        "access-group-trusted-profile-add",
        "other-crew",
        "demo-workload",
    ])
    .run()
    .success();
    env.iamctl(["access-group-service-id-remove", "crew", "crew-sid"])
        .run()
        .success()
        .stdout_contains("Service ID crew-sid is removed from access group crew\n");
    env.iamctl([
        "access-group-trusted-profile-remove",
        "crew",
        "demo-workload",
    ])
    .run()
    .success();
    env.iamctl(["access-group-user-purge", SSO_IAM_ID])
        .run()
        .code(2)
        .stderr_contains("pass -f");
    let out = env
        .iamctl(["access-group-user-purge", SSO_IAM_ID, "-f"])
        .run()
        .success();
    assert_snapshot!(
        "access_group_user_purge_text",
        access_stable(&env, out.out())
    );
    for g in ["crew", "other-crew"] {
        let users = env
            .iamctl(["access-group-users", g, "--output", "json"])
            .run()
            .success()
            .json();
        assert_eq!(users, json!([]), "{g}");
    }
    env.iamctl(["access-group-service-id-purge", "crew-sid", "--force"])
        .run()
        .success();
    env.iamctl(["access-group-trusted-profile-purge", "demo-workload", "-f"])
        .run()
        .success();
    // Nothing left to purge, nothing left to remove.
    env.iamctl(["access-group-trusted-profile-purge", "demo-workload", "-f"])
        .run()
        .code(1);
    env.iamctl(["access-group-user-remove", "crew", SSO_IAM_ID])
        .run()
        .code(1);
}

#[test]
fn a_group_with_members_is_deleted_only_recursively() {
    let env = TestEnv::logged_in();
    group(&env, "busy");
    service_id(&env, "busy-sid");
    env.iamctl(["access-group-service-id-add", "busy", "busy-sid"])
        .run()
        .success();
    let refused = env.iamctl(["access-group-delete", "busy", "-f"]).run();
    if refused.code == Some(1) {
        assert!(refused.err().contains("-r -f"), "{}", refused.err());
        env.iamctl(["access-group-delete", "busy", "-f", "-r"])
            .run()
            .success();
    } else {
        refused.success();
    }
    env.iamctl(["access-group", "busy"]).run().code(1);
}

#[test]
fn group_policies() {
    let env = TestEnv::logged_in();
    group(&env, "readers");
    let out = env
        .iamctl([
            "access-group-policy-create",
            "readers",
            "--roles",
            "Viewer",
            "--service-name",
            "iam-identity",
        ])
        .run()
        .success();
    assert_snapshot!(
        "access_group_policy_create_text",
        access_stable(&env, out.out())
    );
    let list = env
        .iamctl(["access-group-policies", "readers", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let id = list[0]["id"].as_str().unwrap_or("").to_string();
    assert_eq!(
        list[0]["subjects"][0]["attributes"][0]["name"],
        "access_group_id"
    );
    // IBM's -f is --file for group policies.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("policy.json");
    std::fs::write(
        &file,
        r#"{"roles":[{"role_id":"crn:v1:bluemix:public:iam::::role:Operator"}],"resources":[{"attributes":[{"name":"serviceName","value":"iam-identity"}]}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    env.iamctl([
        "access-group-policy-update",
        "readers",
        &id,
        "-f",
        &format!("@{}", file.display()),
    ])
    .run()
    .success()
    .stdout_contains("Roles:       Operator\n");
    env.iamctl(["access-group-policy", "readers", &id])
        .run()
        .success()
        .stdout_contains("Service Name   iam-identity\n");
    env.iamctl(["access-group-policy-delete", "readers", &id, "-f"])
        .run()
        .success();
    env.iamctl(["access-group-policies", "readers"])
        .run()
        .success()
        .stdout_contains("No policy found for access group readers.");
}

#[test]
fn authorization_policies() {
    let env = TestEnv::logged_in();
    let out = env
        .iamctl([
            "authorization-policy-create",
            "secrets-manager",
            "kms",
            "Reader",
        ])
        .run()
        .success()
        .stderr_is("");
    assert_snapshot!(
        "authorization_policy_create_text",
        access_stable(&env, out.out())
    );
    let list = env
        .iamctl(["authorization-policies", "--output", "json"])
        .run()
        .success()
        .json();
    // The demo world has one (cloud-object-storage to kms) already.
    let mine: Vec<&Value> = list
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|p| {
                    p["subjects"][0]["attributes"]
                        .to_string()
                        .contains("secrets-manager")
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(mine.len(), 1, "{list}");
    let id = mine[0]["id"].as_str().unwrap_or("").to_string();
    assert_eq!(mine[0]["type"], "authorization");
    let out = env.iamctl(["authorization-policy", &id]).run().success();
    assert_snapshot!("authorization_policy_text", access_stable(&env, out.out()));
    env.iamctl(["authorization-policies"])
        .run()
        .success()
        .stdout_contains("Target service name:       kms\n");
    // An unknown role names the roles the source may get.
    env.iamctl(["authorization-policy-create", "cloud-object-storage", "kms", "Writr"])
        .run()
        .code(1)
        .stderr_contains("The role 'Writr' is not a valid role of authorizations from service cloud-object-storage to service kms.");
    env.iamctl(["authorization-policy", &id]).run().success();
    // An access policy is not an authorization.
    service_id(&env, "not-auth");
    let p = env
        .iamctl([
            "service-policy-create",
            "not-auth",
            "--roles",
            "Viewer",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    env.iamctl(["authorization-policy", p["id"].as_str().unwrap_or("")])
        .run()
        .code(1)
        .stderr_contains("is an access policy, not an authorization policy");
    env.iamctl(["authorization-policy-delete", &id])
        .run()
        .code(2)
        .stderr_contains("pass -f");
    env.iamctl(["authorization-policy-delete", &id, "-f"])
        .run()
        .success()
        .stdout_contains(&format!(
            "Authorization policy {id} is deleted successfully\n"
        ));
    env.iamctl(["authorization-policy", &id])
        .run()
        .code(1)
        .stderr_contains(&format!("Authorization policy {id} was deleted."));
    let left = env
        .iamctl(["authorization-policies", "--output", "json"])
        .run()
        .success()
        .json();
    assert!(!left.to_string().contains(&id), "{left}");
}
