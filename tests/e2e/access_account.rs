//! The account-wide access commands against the emulator: `role-create` (a custom role,
//! granted by a policy afterwards); bad input refused before any request, IAM's refusals
//! with a way out; what TAB offers for it.

use crate::access_policies::{access_stable, service_id};
use crate::fixtures::*;
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

/// `iamctl ARGS --output json`, checked to succeed with nothing on stderr.
fn json_of(env: &TestEnv, args: &[&str]) -> Value {
    env.iamctl(args.iter().chain(&["--output", "json"]))
        .run()
        .success()
        .stderr_is("")
        .json()
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
fn tab_offers_the_service_and_learns_the_custom_role() {
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
    assert!(tab(&["role-create", "KeyWrapper", "--service-name", ""]).contains(&"kms".to_string()));

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
