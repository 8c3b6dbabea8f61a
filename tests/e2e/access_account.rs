//! The account-wide access commands against the emulator: `role-create` (a custom role,
//! granted by a policy afterwards), `access-policies` (every access policy of the account, by
//! kind of subject, sorted by IAM) and `account-policies` (access and authorization policies,
//! by type); bad values refused before any request; what TAB offers for them.

use crate::access_policies::{access_stable, service_id};
use crate::fixtures::*;
use iam_emulator::seed::{
    DEMO_ADMINS_GROUP_ID, DEMO_ADMINS_POLICY_ID, DEMO_AUTHORIZATION_POLICY_ID,
    DEMO_VIEWER_POLICY_ID,
};
use insta::assert_snapshot;

const KMS_WRAPPER: [&str; 8] = [
    "role-create",
    "KeyWrapper",
    "--display-name",
    "Key Wrapper",
    "--service-name",
    "kms",
    "--actions",
    "kms.secrets.wrap,kms.secrets.unwrap",
];

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|p| p["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `iamctl ARGS --output json`, checked to succeed with nothing on stderr.
fn json_of(env: &TestEnv, args: &[&str]) -> Value {
    env.iamctl(args.iter().chain(&["--output", "json"]))
        .run()
        .success()
        .stderr_is("")
        .json()
}

/// A policy through iamctl; its ID.
fn policy(env: &TestEnv, args: &[&str]) -> String {
    json_of(env, args)["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id"))
        .to_string()
}

#[test]
fn role_create_makes_a_custom_role_that_policies_grant() {
    let env = TestEnv::logged_in();
    let out = env
        .iamctl(KMS_WRAPPER)
        .args(["-d", "Wraps and unwraps with Key Protect keys"])
        .run()
        .success()
        .stderr_is("");
    assert_snapshot!("role_create_text", access_stable(&env, out.out()));

    // The API's object, through the `iam` namespace, with IBM's short flag.
    let role = json_of(
        &env,
        &[
            "iam",
            "role-create",
            "ServiceIDCreator",
            "--display-name",
            "Service ID Creator",
            "--service-name",
            "iam-identity",
            "-a",
            "iam-identity.serviceid.create",
        ],
    );
    assert_eq!(role["name"], "ServiceIDCreator");
    assert_eq!(role["display_name"], "Service ID Creator");
    assert_eq!(role["service_name"], "iam-identity");
    assert_eq!(role["account_id"], DEMO_ACCOUNT);
    assert_eq!(role["actions"], json!(["iam-identity.serviceid.create"]));
    assert_eq!(
        role["crn"],
        format!("crn:v1:bluemix:public:iam::a/{DEMO_ACCOUNT}::customRole:ServiceIDCreator")
    );
    assert!(role.get("description").is_none(), "{role}");

    // IAM lists it among kms's roles, and a policy on kms grants it by its name.
    let roles = json_of(&env, &["roles", "--service", "kms"]);
    let custom = &roles["custom_roles"];
    assert_eq!(custom.as_array().map(Vec::len), Some(1), "{roles}");
    assert_eq!(custom[0]["display_name"], "Key Wrapper");
    assert_eq!(
        custom[0]["description"],
        "Wraps and unwraps with Key Protect keys"
    );
    let crn = custom[0]["crn"].as_str().unwrap_or_default().to_string();
    service_id(&env, "wrapper");
    let p = json_of(
        &env,
        &[
            "service-policy-create",
            "wrapper",
            "--roles",
            "Key Wrapper",
            "--service-name",
            "kms",
        ],
    );
    assert_eq!(p["roles"][0]["role_id"], crn.as_str());
}

#[test]
fn role_create_refuses_bad_input_before_any_request() {
    let env = TestEnv::logged_in();
    let before = env.requests();
    let refused = |args: &[&str]| env.iamctl(args).run().code(2);
    // IBM's rule for a role's name: alphanumeric, capitalised.
    for name in ["keyWrapper", "Key-Wrapper", "Key Wrapper", ""] {
        let mut args = KMS_WRAPPER;
        args[1] = name;
        let out = refused(&args);
        let err = out.err();
        assert!(
            err.starts_with(&format!(
                "FAILED\nThe role name '{}' is not valid: it is alphanumeric and starts with a capital letter.\nTip: ",
                name.trim()
            )),
            "{name:?}: {err}"
        );
        assert_eq!(err.lines().count(), 3, "{err}");
    }
    // At least one action: the API needs one, and -a is IBM's flag for them.
    refused(&KMS_WRAPPER[..6])
        .stderr_contains(
            "FAILED\nNo actions given: a custom role grants at least one action of its service.\n",
        )
        .stderr_contains(
            "Tip: name them with -a ACTION1,ACTION2 (the actions of kms's roles: 'iamctl roles --service kms --output json')",
        );
    refused(&[
        "role-create",
        "R",
        "--display-name",
        " ",
        "--service-name",
        "kms",
        "-a",
        "kms.x",
    ])
    .stderr_is("FAILED\nThe value of --display-name is empty.\n");
    // IBM's synopsis: --display-name and --service-name are required.
    refused(&["role-create", "R", "--service-name", "kms", "-a", "kms.x"])
        .stderr_contains("--display-name <DISPLAY_NAME>");
    refused(&["role-create", "R", "--display-name", "R", "-a", "kms.x"])
        .stderr_contains("--service-name <SERVICE_NAME>");
    assert_eq!(env.requests(), before, "a refused command talked to IAM");
}

#[test]
fn role_create_shows_iams_refusals_with_a_way_out() {
    let env = TestEnv::logged_in();
    // An action of another service: IAM's 400, and where the service's actions are listed.
    let mut args = KMS_WRAPPER.to_vec();
    args[7] = "iam-identity.serviceid.create";
    env.iamctl(&args)
        .run()
        .code(1)
        .stderr_contains(
            "Could not create role KeyWrapper: Action 'iam-identity.serviceid.create' is not an action of service 'kms'.",
        )
        .stderr_contains(
            "Tip: the actions of kms's roles: 'iamctl roles --service kms --output json'",
        );
    // A service IAM does not know.
    let mut args = KMS_WRAPPER.to_vec();
    args[5] = "no-such-service";
    env.iamctl(&args)
        .run()
        .code(1)
        .stderr_contains("Invalid service name: 'no-such-service'.");
    // The same name twice in an account: IAM's 409.
    env.iamctl(KMS_WRAPPER).run().success();
    env.iamctl(KMS_WRAPPER)
        .run()
        .code(1)
        .stderr_contains("A custom role named 'KeyWrapper' already exists in the account.")
        .stderr_contains("Tip: the account's custom roles of kms: 'iamctl roles --service kms'");
}

#[test]
fn access_policies_lists_every_subjects_policies_by_kind() {
    let env = TestEnv::logged_in();
    service_id(&env, "lister");
    let sid = policy(
        &env,
        &[
            "service-policy-create",
            "lister",
            "--roles",
            "Writer",
            "--service-name",
            "kms",
        ],
    );
    let tp = policy(
        &env,
        &[
            "trusted-profile-policy-create",
            "demo-workload",
            "--roles",
            "Viewer",
            "--service-name",
            "iam-identity",
        ],
    );
    let mut every = vec![
        DEMO_ADMINS_POLICY_ID.to_string(),
        DEMO_VIEWER_POLICY_ID.to_string(),
        sid.clone(),
        tp.clone(),
    ];
    every.sort();
    let mut all = ids(&json_of(&env, &["access-policies"]));
    all.sort();
    // Every access policy, and no authorization policy.
    assert_eq!(all, every);
    for (kind, want) in [
        ("service_id", &sid),
        ("trusted_profile", &tp),
        ("user", &DEMO_VIEWER_POLICY_ID.to_string()),
        ("access_group", &DEMO_ADMINS_POLICY_ID.to_string()),
    ] {
        assert_eq!(
            ids(&json_of(&env, &["access-policies", "--type", kind])),
            std::slice::from_ref(want),
            "--type {kind}"
        );
    }
    // IBM's -t, any case, the v2 API's shape.
    let v2 = json_of(
        &env,
        &[
            "iam",
            "access-policies",
            "-t",
            "USER",
            "--api-version",
            "v2",
        ],
    );
    assert_eq!(ids(&v2), [DEMO_VIEWER_POLICY_ID]);
    assert!(v2[0]["control"]["grant"]["roles"].is_array(), "{v2}");

    // Text: IBM's policy blocks, with whose each policy is.
    let out = env
        .iamctl(["access-policies", "--type", "service_id"])
        .run()
        .success()
        .stderr_is("");
    assert_snapshot!(
        "access_policies_service_id_text",
        access_stable(&env, out.out())
    );
    let out = env.iamctl(["access-policies"]).run().success();
    for line in [
        "Subject:     IBMid-6650002SSO (user)\n".to_string(),
        format!("Subject:     {DEMO_ADMINS_GROUP_ID} (access_group)\n"),
        "Service Type   platform_service\n".to_string(),
    ] {
        assert!(
            out.out().contains(&line),
            "{line:?} missing:\n{}",
            out.out()
        );
    }
    assert!(
        !out.out().contains(DEMO_AUTHORIZATION_POLICY_ID),
        "{}",
        out.out()
    );
    env.iamctl(["access-policies", "--type", "trusted_profile", "-q"])
        .run()
        .success()
        .stdout_contains("(trusted_profile)\n");

    // No policy of a kind: said, not an error.
    env.iamctl(["service-policy-delete", "lister", &sid, "-f"])
        .run()
        .success();
    env.iamctl(["access-policies", "-t", "service_id"])
        .run()
        .success()
        .stdout_is(
            "Getting access policies of type service_id under current account as demo@example.com...\nOK\nNo access policy of type service_id found.\n",
        );
}

#[test]
fn access_policies_are_sorted_by_iam_in_either_order() {
    let env = TestEnv::logged_in();
    service_id(&env, "sorted");
    for (service, role) in [
        ("kms", "Writer"),
        ("is", "Reader"),
        ("iam-identity", "Viewer"),
    ] {
        policy(
            &env,
            &[
                "service-policy-create",
                "sorted",
                "--roles",
                role,
                "--service-name",
                service,
            ],
        );
    }
    let by_id = ids(&json_of(&env, &["access-policies", "--sort-by", "id"]));
    let mut sorted = by_id.clone();
    sorted.sort();
    assert_eq!(by_id, sorted);
    assert_eq!(by_id.len(), 5);
    // IBM's spelling of descending: a '-' as the value's first character.
    let mut down = ids(&json_of(&env, &["access-policies", "--sort-by", "-id"]));
    down.reverse();
    assert_eq!(down, by_id);
    let newest_first = ids(&json_of(
        &env,
        &[
            "access-policies",
            "--type",
            "service_id",
            "--sort-by=-created_at",
        ],
    ));
    let mut oldest_first = ids(&json_of(
        &env,
        &[
            "access-policies",
            "--type",
            "service_id",
            "--sort-by",
            "created_at",
        ],
    ));
    assert_eq!(oldest_first.len(), 3);
    oldest_first.reverse();
    assert_eq!(newest_first, oldest_first);
    // IAM sorts (across pages); iamctl sends the sort and the type it lists.
    let out = env
        .iamctl(["access-policies", "--sort-by", "-last_modified_at", "-q"])
        .env("IAMCTL_TRACE", "true")
        .run()
        .success();
    assert!(
        out.err().lines().any(|l| l.contains("/v1/policies?")
            && l.contains("type=access")
            && l.contains("sort=-last_modified_at")),
        "{}",
        out.err()
    );
}

#[test]
fn bad_types_and_sort_fields_are_refused_before_any_request() {
    let env = TestEnv::logged_in();
    let before = env.requests();
    env.iamctl(["access-policies", "--type", "robot"])
        .run()
        .code(2)
        .stderr_is("FAILED\nInvalid value 'robot' for -t, --type; valid values: user, service_id, access_group, trusted_profile.\n");
    env.iamctl(["access-policies", "--sort-by", "-name"])
        .run()
        .code(2)
        .stderr_is("FAILED\nInvalid value '-name' for --sort-by; valid values: id, type, href, created_at, created_by_id, last_modified_at, last_modified_by_id, state.\nTip: put a '-' before the field to sort in reverse, for example --sort-by -last_modified_at\n");
    env.iamctl(["account-policies", "-t", "authorization"])
        .run()
        .code(2)
        .stderr_is(
            "FAILED\nInvalid value 'authorization' for -t, --type; valid values: access, auth.\n",
        );
    env.iamctl(["access-policies", "--api-version", "v3"])
        .run()
        .code(2);
    assert_eq!(env.requests(), before, "a refused command talked to IAM");
}

#[test]
fn account_policies_lists_access_and_authorization_policies() {
    let env = TestEnv::logged_in();
    let auth = policy(
        &env,
        &[
            "authorization-policy-create",
            "secrets-manager",
            "kms",
            "Reader",
        ],
    );
    let all = json_of(&env, &["account-policies"]);
    let types: Vec<&str> = all
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["type"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        types.iter().filter(|t| **t == "authorization").count(),
        2,
        "{all}"
    );
    assert_eq!(types.iter().filter(|t| **t == "access").count(), 2, "{all}");
    // IBM: "-t auth provides the same list as authorization-policies", "-t access the same
    // list as access-policies"; text and JSON alike.
    for (account, same) in [
        (
            &["account-policies", "-t", "auth"][..],
            &["authorization-policies"][..],
        ),
        (
            &["account-policies", "--type", "access"][..],
            &["access-policies"][..],
        ),
    ] {
        assert_eq!(json_of(&env, account), json_of(&env, same), "{account:?}");
        let text = env.iamctl(account).run().success().stdout;
        assert_eq!(text, env.iamctl(same).run().success().stdout, "{account:?}");
    }
    assert_eq!(
        ids(&json_of(
            &env,
            &[
                "iam",
                "account-policies",
                "-t",
                "AUTH",
                "--api-version",
                "v2"
            ]
        )),
        [DEMO_AUTHORIZATION_POLICY_ID.to_string(), auth]
    );
    let out = env
        .iamctl(["account-policies"])
        .run()
        .success()
        .stderr_is("");
    assert_snapshot!("account_policies_text", access_stable(&env, out.out()));
}

#[test]
fn tab_offers_the_types_sort_fields_and_what_the_listings_saw() {
    let env = TestEnv::logged_in();
    let tab = |words: &[&str]| -> Vec<String> {
        let mut args = vec!["--", "iamctl"];
        args.extend_from_slice(words);
        env.iamctl(args)
            .env("IAMCTL_COMPLETE", "fish")
            .run()
            .success()
            .stdout
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        tab(&["access-policies", "--type", ""]),
        ["user", "service_id", "access_group", "trusted_profile"]
    );
    let sorts = tab(&["access-policies", "--sort-by", ""]);
    assert_eq!(sorts.len(), 16, "{sorts:?}");
    for want in ["created_at\tascending", "-last_modified_at\tdescending"] {
        assert!(sorts.iter().any(|s| s == want), "{want}: {sorts:?}");
    }
    assert_eq!(
        tab(&["account-policies", "-t", ""]),
        ["access\taccess", "auth\tauthorization"]
    );
    assert!(tab(&["role-create", "KeyWrapper", "--service-name", ""]).contains(&"kms".to_string()));

    // A listing of the account teaches TAB the policy IDs it showed, by subject ID.
    env.iamctl(["account-policies"]).run().success();
    let policies = tab(&["user-policy", "IBMid-6650002SSO", ""]);
    assert!(
        policies.iter().any(|l| l
            == &format!("{DEMO_VIEWER_POLICY_ID}\tuser IBMid-6650002SSO: Viewer on iam-identity")),
        "{policies:?}"
    );
    // The subject on the line is matched by its ID: only its policy is offered there.
    assert!(
        !policies
            .iter()
            .any(|l| l.starts_with(DEMO_AUTHORIZATION_POLICY_ID)),
        "{policies:?}"
    );
    let policies = tab(&["authorization-policy", ""]);
    assert!(
        policies.iter().any(|l| l
            == &format!(
                "{DEMO_AUTHORIZATION_POLICY_ID}\tauthorization cloud-object-storage -> kms: Reader"
            )),
        "{policies:?}"
    );
    // A custom role joins the roles TAB knows for its service.
    env.iamctl(["roles", "--service", "kms"]).run().success();
    env.iamctl(KMS_WRAPPER).run().success();
    let roles = tab(&[
        "service-policy-create",
        "x",
        "--service-name",
        "kms",
        "--roles",
        "",
    ]);
    assert!(
        roles.iter().any(|r| r.starts_with("Key Wrapper\tcrn:")),
        "{roles:?}"
    );
    assert!(roles.iter().any(|r| r.starts_with("Writer\t")), "{roles:?}");
}
