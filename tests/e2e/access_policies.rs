//! Access policies against the emulator: service-ID, user, trusted-profile and access-group
//! policies through both API versions, in text (snapshots) and JSON; roles; `--file`; IBM's
//! wording for bad input; confirmations without a terminal; what TAB offers afterwards.

use crate::fixtures::*;
use insta::assert_snapshot;

/// `stable`, plus policy IDs (bare UUIDs) as `<POLICY#n>`, access group IDs as
/// `AccessGroupId-#n` and resource group IDs as `<RG:name>`.
pub fn access_stable(env: &TestEnv, text: &str) -> String {
    use std::collections::HashMap;
    let mut s = env.normalize(&stable(text, &[]));
    let groups = regex::Regex::new(
        r"AccessGroupId-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut seen: HashMap<String, String> = HashMap::new();
    s = groups
        .replace_all(&s, |c: &regex::Captures| {
            let n = seen.len() + 1;
            seen.entry(c[0].to_string())
                .or_insert_with(|| format!("AccessGroupId-#{n}"))
                .clone()
        })
        .into_owned();
    let uuid =
        regex::Regex::new(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
            .unwrap_or_else(|e| panic!("{e}"));
    let mut policies: HashMap<String, String> = HashMap::new();
    s = uuid
        .replace_all(&s, |c: &regex::Captures| {
            let n = policies.len() + 1;
            policies
                .entry(c[0].to_string())
                .or_insert_with(|| format!("<POLICY#{n}>"))
                .clone()
        })
        .into_owned();
    let rg = regex::Regex::new(r"\b[0-9a-f]{32}\b").unwrap_or_else(|e| panic!("{e}"));
    rg.replace_all(&s, "<RG>").into_owned()
}

/// Creates a service ID through iamctl; its ID.
pub fn service_id(env: &TestEnv, name: &str) -> String {
    env.iamctl(["service-id-create", name, "--output", "json"])
        .run()
        .success()
        .json()["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id"))
        .to_string()
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// The attribute `key` of a v1 policy's resource.
fn resource_attr(p: &Value, key: &str) -> Option<String> {
    p["resources"][0]["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["name"] == key)
        .and_then(|a| a["value"].as_str())
        .map(str::to_string)
}

#[test]
fn service_policy_create_text_is_ibms() {
    let env = TestEnv::logged_in();
    service_id(&env, "kms-writer");
    let out = env
        .iamctl([
            "service-policy-create",
            "kms-writer",
            "--roles",
            "Writer",
            "--service-name",
            "kms",
        ])
        .run()
        .success()
        .stderr_is("");
    assert_snapshot!("service_policy_create_text", access_stable(&env, out.out()));
    // The same through the `iam` namespace, by ID, two roles.
    let sid = service_id(&env, "second");
    let out = env
        .iamctl([
            "iam",
            "service-policy-create",
            &sid,
            "-r",
            "Reader,Writer",
            "--service-name",
            "kms",
            "--region",
            "us-south",
        ])
        .run()
        .success();
    assert!(
        out.out().contains("Roles:       Reader, Writer\n"),
        "{}",
        out.out()
    );
    assert!(
        out.out().contains("Region         us-south\n"),
        "{}",
        out.out()
    );
}

#[test]
fn service_policies_list_show_update_delete() {
    let env = TestEnv::logged_in();
    service_id(&env, "lifecycle");
    let created = env
        .iamctl([
            "service-policy-create",
            "lifecycle",
            "--roles",
            "Reader",
            "--service-name",
            "kms",
            "--output",
            "json",
        ])
        .run()
        .success()
        .stderr_is("")
        .json();
    let id = id_of(&created);
    assert_eq!(created["type"], "access");
    assert_eq!(
        created["roles"][0]["role_id"],
        "crn:v1:bluemix:public:iam::::serviceRole:Reader"
    );
    assert_eq!(
        resource_attr(&created, "serviceName").as_deref(),
        Some("kms")
    );
    assert_eq!(
        resource_attr(&created, "accountId").as_deref(),
        Some(DEMO_ACCOUNT)
    );

    let list = env
        .iamctl(["service-policies", "lifecycle", "--output", "json"])
        .run()
        .success()
        .json();
    let ids: Vec<String> = list
        .as_array()
        .map(|a| a.iter().map(id_of).collect())
        .unwrap_or_default();
    assert_eq!(ids, std::slice::from_ref(&id));
    let out = env
        .iamctl(["service-policies", "lifecycle"])
        .run()
        .success();
    assert_snapshot!("service_policies_text", access_stable(&env, out.out()));
    let out = env
        .iamctl(["service-policy", "lifecycle", &id])
        .run()
        .success();
    assert_snapshot!("service_policy_text", access_stable(&env, out.out()));

    // Update: the roles change, the resource stays.
    let out = env
        .iamctl([
            "service-policy-update",
            "lifecycle",
            &id,
            "--roles",
            "Writer",
        ])
        .run()
        .success();
    assert_snapshot!("service_policy_update_text", access_stable(&env, out.out()));
    let now = env
        .iamctl(["service-policy", "lifecycle", &id, "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(
        now["roles"][0]["role_id"],
        "crn:v1:bluemix:public:iam::::serviceRole:Writer"
    );
    assert_eq!(resource_attr(&now, "serviceName").as_deref(), Some("kms"));

    // Delete: no terminal, no -f: refused naming -f, nothing deleted.
    env.iamctl(["service-policy-delete", "lifecycle", &id])
        .run()
        .code(2)
        .stderr_contains("Tip: pass -f to delete policy");
    env.iamctl(["service-policy", "lifecycle", &id])
        .run()
        .success();
    let out = env
        .iamctl(["service-policy-delete", "lifecycle", &id, "-f"])
        .run()
        .success();
    assert_snapshot!("service_policy_delete_text", access_stable(&env, out.out()));
    let out = env
        .iamctl(["service-policies", "lifecycle"])
        .run()
        .success();
    assert!(
        out.out()
            .contains("No policy found for service ID lifecycle."),
        "{}",
        out.out()
    );
    env.iamctl(["service-policy", "lifecycle", &id])
        .run()
        .code(1)
        .stderr_contains(&format!("Policy {id} of service ID lifecycle was deleted."));
}

#[test]
fn v2_policies_have_the_v2_shape() {
    let env = TestEnv::logged_in();
    service_id(&env, "v2-sid");
    let created = env
        .iamctl([
            "service-policy-create",
            "v2-sid",
            "--roles",
            "Manager",
            "--service-name",
            "kms",
            "--api-version",
            "v2",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(
        created["control"]["grant"]["roles"][0]["role_id"],
        "crn:v1:bluemix:public:iam::::serviceRole:Manager"
    );
    assert!(created["subject"]["attributes"].is_array(), "{created}");
    let id = id_of(&created);
    let out = env
        .iamctl(["service-policy", "v2-sid", &id, "--api-version", "v2"])
        .run()
        .success();
    assert!(
        out.out().contains("Roles:       Manager\n"),
        "{}",
        out.out()
    );
    assert!(out.out().contains("Service Name   kms\n"), "{}", out.out());
    let list = env
        .iamctl([
            "service-policies",
            "v2-sid",
            "--api-version",
            "v2",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    // A v2 update of the roles.
    env.iamctl([
        "service-policy-update",
        "v2-sid",
        &id,
        "--roles",
        "Reader",
        "--api-version",
        "v2",
    ])
    .run()
    .success();
    let now = env
        .iamctl([
            "service-policy",
            "v2-sid",
            &id,
            "--api-version",
            "v2",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(
        now["control"]["grant"]["roles"][0]["role_id"],
        "crn:v1:bluemix:public:iam::::serviceRole:Reader"
    );
}

#[test]
fn an_unknown_role_names_the_valid_ones() {
    let env = TestEnv::logged_in();
    service_id(&env, "typo");
    let out = env
        .iamctl([
            "service-policy-create",
            "typo",
            "--roles",
            "Writr",
            "--service-name",
            "kms",
        ])
        .run()
        .code(1);
    let err = out.err();
    assert!(
        err.contains("The role 'Writr' is not a valid role of service kms. Valid roles: "),
        "{err}"
    );
    for role in ["Viewer", "Reader", "Writer", "Manager"] {
        assert!(err.contains(role), "{role} not named: {err}");
    }
    assert!(
        err.contains("Tip: list them with 'iamctl roles --service kms'"),
        "{err}"
    );
    // Nothing was created.
    let list = env
        .iamctl(["service-policies", "typo", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(list, serde_json::json!([]));
}

#[test]
fn policy_files_are_checked_and_named() {
    let env = TestEnv::logged_in();
    service_id(&env, "from-file");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let good = dir.path().join("policy.json");
    std::fs::write(
        &good,
        r#"{"roles":[{"role_id":"crn:v1:bluemix:public:iam::::serviceRole:Writer"}],
            "resources":[{"attributes":[{"name":"serviceName","value":"kms"}]}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let at = format!("@{}", good.display());
    let p = env
        .iamctl([
            "service-policy-create",
            "from-file",
            "--file",
            &at,
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(resource_attr(&p, "serviceName").as_deref(), Some("kms"));
    assert_eq!(
        resource_attr(&p, "accountId").as_deref(),
        Some(DEMO_ACCOUNT)
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"roles":[{"role":"Writer"}],"resources":[]}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = env
        .iamctl([
            "service-policy-create",
            "from-file",
            "--file",
            &format!("@{}", bad.display()),
        ])
        .run()
        .code(1);
    assert!(
        out.err().contains(&format!(
            "The policy file {} is not valid: 'roles[0].role_id' is missing.",
            bad.display()
        )),
        "{}",
        out.err()
    );
    // Not JSON at all; a v2 policy for the v1 API.
    std::fs::write(&bad, "roles: Writer").unwrap_or_else(|e| panic!("{e}"));
    let out = env
        .iamctl([
            "service-policy-create",
            "from-file",
            "--file",
            bad.to_str().unwrap_or(""),
        ])
        .run()
        .code(1);
    assert!(out.err().contains("is not valid JSON"), "{}", out.err());
    std::fs::write(&bad, r#"{"control":{"grant":{"roles":[{"role_id":"r"}]}}}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    env.iamctl([
        "service-policy-create",
        "from-file",
        "--file",
        &format!("@{}", bad.display()),
    ])
    .run()
    .code(1)
    .stderr_contains("holds a v2 policy")
    .stderr_contains("Tip: pass --api-version v2");
    // --file with flags is clap's usage error; a missing file names it.
    env.iamctl([
        "service-policy-create",
        "from-file",
        "--file",
        &at,
        "--roles",
        "Writer",
    ])
    .run()
    .code(2);
    env.iamctl([
        "service-policy-create",
        "from-file",
        "--file",
        "@/nonexistent/p.json",
    ])
    .run()
    .code(1)
    .stderr_contains("/nonexistent/p.json");
}

#[test]
fn bad_flags_are_refused_before_anything_is_sent() {
    let env = TestEnv::logged_in();
    let before = env.requests();
    env.iamctl(["service-policy-create", "nobody"])
        .run()
        .code(2)
        .stderr_contains("No roles given")
        .stderr_contains("--roles");
    env.iamctl([
        "service-policy-create",
        "nobody",
        "--roles",
        "Viewer",
        "--attributes",
        "instanceId",
    ])
    .run()
    .code(2)
    .stderr_contains("'instanceId' in --attributes is not name=value.");
    env.iamctl([
        "service-policy-create",
        "nobody",
        "--roles",
        "Viewer",
        "--tags",
        "env=dev",
    ])
    .run()
    .code(2)
    .stderr_contains("--tags");
    env.iamctl(["service-policy-update", "nobody", "some-id"])
        .run()
        .code(2)
        .stderr_contains("Nothing to update");
    env.iamctl([
        "service-policy-create",
        "nobody",
        "--roles",
        "Viewer",
        "--resource-group-name",
        "Default",
        "--resource-group-id",
        "x",
    ])
    .run()
    .code(2);
    assert_eq!(env.requests(), before, "a refused command talked to IAM");
}

#[test]
fn a_policy_of_another_subject_is_refused() {
    let env = TestEnv::logged_in();
    service_id(&env, "alpha");
    service_id(&env, "beta");
    let p = env
        .iamctl([
            "service-policy-create",
            "alpha",
            "--roles",
            "Viewer",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    let id = id_of(&p);
    env.iamctl(["service-policy-delete", "beta", &id, "-f"])
        .run()
        .code(1)
        .stderr_contains(&format!("Policy {id} is not a policy of service ID beta."))
        .stderr_contains("'iamctl service-policies beta'");
    env.iamctl(["service-policy", "alpha", &id]).run().success();
}

#[test]
fn account_management_and_resource_groups_by_name() {
    let env = TestEnv::logged_in();
    service_id(&env, "admin");
    let p = env
        .iamctl([
            "service-policy-create",
            "admin",
            "--roles",
            "Administrator",
            "--account-management",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(
        resource_attr(&p, "serviceType").as_deref(),
        Some("platform_service")
    );
    // All IAM-enabled services when nothing is named.
    let p = env
        .iamctl([
            "service-policy-create",
            "admin",
            "--roles",
            "Viewer",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(resource_attr(&p, "serviceType").as_deref(), Some("service"));
    // A resource group by name becomes its ID.
    let groups: Value = env
        .iamctl(["target", "--output", "json"])
        .run()
        .success()
        .json();
    let default_id = groups["resource_group"]["guid"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let p = env
        .iamctl([
            "service-policy-create",
            "admin",
            "--roles",
            "Viewer",
            "--resource-group-name",
            "Default",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(resource_attr(&p, "resourceGroupId"), Some(default_id));
    env.iamctl([
        "service-policy-create",
        "admin",
        "--roles",
        "Viewer",
        "--resource-group-name",
        "nope",
    ])
    .run()
    .code(1)
    .stderr_contains("Resource group 'nope' was not found")
    .stderr_contains("available: ");
}

#[test]
fn trusted_profile_and_user_policies() {
    let env = TestEnv::logged_in();
    let out = env
        .iamctl([
            "trusted-profile-policy-create",
            "demo-workload",
            "--roles",
            "Viewer",
            "--service-name",
            "iam-identity",
        ])
        .run()
        .success();
    assert_snapshot!(
        "trusted_profile_policy_create_text",
        access_stable(&env, out.out())
    );
    let list = env
        .iamctl([
            "trusted-profile-policies",
            "demo-workload",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let id = id_of(&list[0]);
    env.iamctl(["trusted-profile-policy-delete", "demo-workload", &id, "-f"])
        .run()
        .success();

    // A user by IAM ID.
    let sso = "IBMid-6650002SSO";
    let p = env
        .iamctl([
            "user-policy-create",
            sso,
            "--roles",
            "Viewer",
            "--service-name",
            "kms",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(p["subjects"][0]["attributes"][0]["value"], sso);
    let out = env.iamctl(["user-policies", sso]).run().success();
    assert!(out.out().starts_with(&format!(
        "Getting policies of user {sso} under current account as demo@example.com...\nOK\n"
    )));
    let id = id_of(&p);
    env.iamctl(["user-policy-update", sso, &id, "--roles", "Editor"])
        .run()
        .success();
    env.iamctl(["user-policy", sso, &id])
        .run()
        .success()
        .stdout_contains("Roles:       Editor\n");
    env.iamctl(["user-policy-delete", sso, &id, "-f"])
        .run()
        .success();
}

#[test]
fn roles_lists_a_services_roles() {
    let env = TestEnv::logged_in();
    let out = env.iamctl(["roles", "--service", "kms"]).run().success();
    let text = out.out();
    assert!(
        text.starts_with(
            "Getting roles of service kms under current account as demo@example.com...\nOK\n"
        ),
        "{text}"
    );
    for role in ["Viewer", "Administrator", "Reader", "Writer", "Manager"] {
        assert!(
            text.contains(&format!("\n{role} ")),
            "{role} missing: {text}"
        );
    }
    let json = env
        .iamctl(["roles", "--service", "kms", "--output", "json"])
        .run()
        .success()
        .json();
    assert!(
        json["service_roles"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{json}"
    );
    let one = env
        .iamctl([
            "roles",
            "--service",
            "kms",
            "--roles",
            "writer",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(one[0]["display_name"], "Writer");
    env.iamctl(["roles", "--service", "kms", "--roles", "Nope"])
        .run()
        .code(1)
        .stderr_contains("The role 'Nope' is not a valid role of service kms.");
    // Platform roles without --service.
    let out = env.iamctl(["roles"]).run().success();
    assert!(out.out().contains("\nViewer "), "{}", out.out());
}

#[test]
fn tab_offers_the_roles_of_the_service_on_the_line_and_policy_ids() {
    let env = TestEnv::logged_in();
    service_id(&env, "tabbed");
    let p = env
        .iamctl([
            "service-policy-create",
            "tabbed",
            "--roles",
            "Writer",
            "--service-name",
            "kms",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    let id = id_of(&p);
    let tab = |words: &[&str]| -> String {
        let mut args = vec!["--", "iamctl"];
        args.extend_from_slice(words);
        env.iamctl(args)
            .env("IAMCTL_COMPLETE", "fish")
            .run()
            .success()
            .stdout
    };
    let before = env.requests();
    let roles = tab(&[
        "service-policy-create",
        "tabbed",
        "--service-name",
        "kms",
        "--roles",
        "",
    ]);
    for r in ["Writer", "Reader", "Manager", "Viewer"] {
        assert!(
            roles.lines().any(|l| l.starts_with(&format!("{r}\t"))),
            "{r}: {roles}"
        );
    }
    let more = tab(&[
        "service-policy-create",
        "tabbed",
        "--service-name",
        "kms",
        "--roles",
        "Reader,W",
    ]);
    assert!(
        more.lines().any(|l| l.starts_with("Reader,Writer")),
        "{more}"
    );
    let ids = tab(&["service-policy", "tabbed", ""]);
    assert!(
        ids.lines().any(|l| l.starts_with(&format!("{id}\t"))),
        "{ids}"
    );
    assert!(ids.contains("service ID tabbed: Writer on kms"), "{ids}");
    let services = tab(&["service-policy-create", "tabbed", "--service-name", ""]);
    assert!(services.lines().any(|l| l == "kms"), "{services}");
    assert_eq!(env.requests(), before, "TAB sent requests to IAM");
    // Access groups, once a command listed them.
    env.iamctl(["access-group-create", "tab-group"])
        .run()
        .success();
    let groups = tab(&["access-group-users", ""]);
    assert!(
        groups.lines().any(|l| l.starts_with("tab-group\t")),
        "{groups}"
    );
}
