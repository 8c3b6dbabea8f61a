//! The flags and commands of IBM's CLI reference that iamctl lacked (issue 21), each with
//! IBM's meaning, run against the emulator; and the table in docs/ibm-flags.tsv: every flag
//! IBM documents for a command iamctl mirrors parses, and every row says how its meaning is
//! checked.

use crate::fixtures::*;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `NAME` created with `-d DESC`, its ID.
fn service_id(env: &TestEnv, name: &str, description: &str) -> String {
    let v = env
        .iamctl([
            "service-id-create",
            name,
            "-d",
            description,
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    v["id"].as_str().unwrap_or_default().to_string()
}

fn lines(out: &Out) -> Vec<String> {
    out.stdout.lines().map(str::to_string).collect()
}

fn names(env: &TestEnv, args: &[&str]) -> Vec<String> {
    env.iamctl(args)
        .args(["--output", "json"])
        .run()
        .success()
        .json_names()
}

// ---- commands IBM documents ---------------------------------------------------------------

#[test]
fn bearer_token_is_the_access_token_alone() {
    let env = TestEnv::new();
    // Before a login: the not-logged-in exit code, as oauth-tokens.
    env.iamctl(["iam", "bearer-token"])
        .run()
        .code(3)
        .stderr_contains("Not logged in");
    env.login();
    let raw = env.raw_token();
    for args in [&["iam", "bearer-token"][..], &["bearer-token"]] {
        let out = env.iamctl(args).run().success().stderr_is("");
        assert_eq!(out.stdout, format!("{raw}\n"));
    }
    assert!(raw.starts_with("eyJ") && !raw.contains("Bearer"));
}

#[test]
fn disabled_keys_cannot_log_in_until_enabled() {
    let env = TestEnv::logged_in();
    service_id(&env, "svc", "");
    let key = env
        .iamctl(["service-api-key-create", "k", "svc", "--output", "json"])
        .run()
        .success()
        .json();
    let secret = key["apikey"].as_str().unwrap_or_default().to_string();
    let login = |expect: i32| {
        env.iamctl([
            "--session",
            "svc",
            "login",
            "-a",
            &env.url(),
            "--apikey",
            "-",
        ])
        .args(["--no-region"])
        .stdin(&secret)
        .run()
        .code(expect)
    };
    for disable in ["-f", "--force"] {
        env.iamctl(["service-api-key-disable", "k", "svc", disable])
            .run()
            .success()
            .stdout_contains("Service ID API key k is disabled");
        let shown = env.iamctl(["service-api-key", "k", "svc"]).run().success();
        assert!(
            shown.out().contains("Disabled       true"),
            "{}",
            shown.out()
        );
        login(4);
        env.iamctl(["iam", "service-api-key-enable", "k", "svc", disable])
            .run()
            .success()
            .stdout_contains("Service ID API key k is enabled");
        login(0);
    }
    // Without a terminal, disabling asks for -f.
    env.iamctl(["service-api-key-disable", "k", "svc"])
        .run()
        .code(2)
        .stderr_contains("pass -f to disable API key k without confirmation");

    // The user's own keys.
    env.iamctl(["api-key-create", "mine"]).run().success();
    let v = env
        .iamctl(["api-key-disable", "mine", "-f", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["disabled"], true, "{v}");
    let v = env
        .iamctl(["api-key-enable", "mine", "--force", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["disabled"], false, "{v}");
}

#[test]
fn trusted_profile_identity_shows_one_identity() {
    let env = TestEnv::logged_in();
    let sid = service_id(&env, "runner", "");
    env.iamctl(["trusted-profile-create", "p"]).run().success();
    // IBM's --id (iamctl's earlier --identifier still works).
    env.iamctl([
        "trusted-profile-identity-create",
        "p",
        "--id-type",
        "serviceid",
    ])
    .args(["--id", &sid, "--description", "the runner"])
    .run()
    .success();
    env.iamctl(["trusted-profile-identity-create", "p", "--id-type", "USER"])
        .args([
            "--identifier",
            "IBMid-6650001DMO",
            "--account",
            DEMO_ACCOUNT,
        ])
        .run()
        .success();
    let one = env
        .iamctl([
            "trusted-profile-identity",
            "p",
            &sid,
            "--id-type",
            "serviceid",
        ])
        .run()
        .success();
    assert!(
        one.out().contains(&format!("Identifier    {sid}")),
        "{}",
        one.out()
    );
    assert!(
        one.out().contains("Description   the runner"),
        "{}",
        one.out()
    );
    env.iamctl([
        "iam",
        "trusted-profile-identity",
        "p",
        &sid,
        "--id-type",
        "serviceid",
    ])
    .args(["--id"])
    .run()
    .success()
    .stdout_is(&format!("{sid}\n"));
    let v = env
        .iamctl([
            "trusted-profile-identity",
            "p",
            "IBMid-6650001DMO",
            "--id-type",
            "user",
        ])
        .args(["--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["accounts"], json!([DEMO_ACCOUNT]));
    // Identities: --id-type narrows, --id prints identifiers, -f is accepted.
    let all = env
        .iamctl(["trusted-profile-identities", "p", "--id", "-f"])
        .run()
        .success();
    assert_eq!(lines(&all).len(), 2, "{}", all.out());
    env.iamctl([
        "trusted-profile-identities",
        "p",
        "--id-type",
        "serviceid",
        "--id",
    ])
    .run()
    .success()
    .stdout_is(&format!("{sid}\n"));
    let users = env
        .iamctl(["trusted-profile-identities", "p", "--id-type", "user"])
        .args(["--force", "--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");
    // Delete takes IBM's positional IDENTIFIER.
    env.iamctl([
        "trusted-profile-identity-delete",
        "p",
        &sid,
        "--id-type",
        "serviceid",
        "-f",
    ])
    .run()
    .success();
    env.iamctl([
        "trusted-profile-identity",
        "p",
        &sid,
        "--id-type",
        "serviceid",
    ])
    .run()
    .code(1);
}

// ---- flags IBM documents --------------------------------------------------------------------

#[test]
fn list_filters_keep_what_includes_the_string() {
    let env = TestEnv::logged_in();
    service_id(&env, "deploy-eu", "from CI");
    service_id(&env, "deploy-us", "by hand");
    service_id(&env, "audit", "from CI");
    for (args, want) in [
        (
            vec!["service-ids", "-n", "deploy"],
            vec!["deploy-eu", "deploy-us"],
        ),
        (vec!["service-ids", "--name", "eu"], vec!["deploy-eu"]),
        (vec!["service-ids", "-d", "CI"], vec!["deploy-eu", "audit"]),
        (
            vec!["service-ids", "--description", "CI", "-n", "audit"],
            vec!["audit"],
        ),
        // Case-sensitive, as IBM's "includes".
        (vec!["service-ids", "-n", "DEPLOY"], vec![]),
    ] {
        let mut got = names(&env, &args);
        let mut want: Vec<String> = want.into_iter().map(str::to_string).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{args:?}");
    }
    // --uuid prints the IDs of what the filter keeps.
    let ids = env
        .iamctl(["service-ids", "--uuid", "-n", "audit"])
        .run()
        .success();
    assert_eq!(lines(&ids).len(), 1, "{}", ids.out());

    for k in ["laptop", "desktop", "ci"] {
        env.iamctl(["api-key-create", k, "-d", &format!("{k} key")])
            .run()
            .success();
    }
    assert_eq!(names(&env, &["api-keys", "-n", "top"]).len(), 2);
    assert_eq!(
        names(&env, &["api-keys", "--description", "ci key"]),
        ["ci"]
    );

    for k in ["k1", "k2"] {
        env.iamctl([
            "service-api-key-create",
            k,
            "audit",
            "-d",
            &format!("{k} of audit"),
        ])
        .run()
        .success();
    }
    assert_eq!(
        names(&env, &["service-api-keys", "audit", "-n", "1"]),
        ["k1"]
    );
    assert_eq!(
        names(&env, &["service-api-keys", "audit", "--description", "k2"]),
        ["k2"]
    );

    env.iamctl(["trusted-profile-create", "ci-pods", "-d", "pods of CI"])
        .run()
        .success();
    assert_eq!(
        names(&env, &["trusted-profiles", "-n", "pods"]),
        ["ci-pods"]
    );
    assert_eq!(
        names(&env, &["trusted-profiles", "--name", "demo"]),
        ["demo-workload"]
    );
    assert_eq!(names(&env, &["trusted-profiles", "-d", "CI"]), ["ci-pods"]);
}

#[test]
fn service_api_keys_all_lists_every_service_ids_keys() {
    let env = TestEnv::logged_in();
    let a = service_id(&env, "a", "");
    let b = service_id(&env, "b", "");
    env.iamctl(["service-api-key-create", "ka", "a"])
        .run()
        .success();
    env.iamctl(["service-api-key-create", "kb", "b", "-d", "b's"])
        .run()
        .success();
    env.iamctl(["api-key-create", "mine"]).run().success();
    for all in ["-a", "--all"] {
        let v = env
            .iamctl(["service-api-keys", all, "--output", "json"])
            .run()
            .success()
            .json();
        let owners: Vec<String> = v
            .as_array()
            .map(|keys| {
                keys.iter()
                    .map(|k| k["iam_id"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        // Every service ID's keys (the demo world's service ID has one too), not the user's.
        for sid in [&a, &b] {
            assert!(owners.contains(&format!("iam-{sid}")), "{v}");
        }
        assert!(
            owners.iter().all(|o| o.starts_with("iam-ServiceId-")),
            "{v}"
        );
    }
    let text = env
        .iamctl(["service-api-keys", "-a", "-d", "b's"])
        .run()
        .success();
    assert!(text.out().contains(&format!("iam-{b}")), "{}", text.out());
    assert!(!text.out().contains("ka"), "{}", text.out());
    // A service ID and --all together, or neither: a usage error.
    env.iamctl(["service-api-keys", "a", "--all"]).run().code(2);
    env.iamctl(["service-api-keys"]).run().code(2);
    // -f (IBM: no confirmation) changes nothing.
    let plain = env.iamctl(["service-api-keys", "a"]).run().success();
    for f in ["-f", "--force"] {
        let forced = env.iamctl(["service-api-keys", "a", f]).run().success();
        assert_eq!(forced.stdout, plain.stdout);
        env.iamctl(["service-api-key", "ka", "a", f, "--uuid"])
            .run()
            .success();
    }
}

#[test]
fn key_updates_set_what_iam_does_with_a_leaked_key() {
    let env = TestEnv::logged_in();
    service_id(&env, "svc", "");
    env.iamctl([
        "service-api-key-create",
        "k",
        "svc",
        "--action-if-leaked",
        "none",
    ])
    .run()
    .success();
    let v = env
        .iamctl([
            "service-api-key-update",
            "k",
            "svc",
            "--action-if-leaked",
            "DELETE",
        ])
        .args(["--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["action_when_leaked"], "delete", "{v}");
    env.iamctl(["api-key-create", "mine"]).run().success();
    let v = env
        .iamctl(["api-key-update", "mine", "--action-if-leaked", "disable"])
        .args(["--output", "json"])
        .run()
        .success()
        .json();
    assert_eq!(v["action_when_leaked"], "disable", "{v}");
    // Anything else is refused before anything is sent.
    env.iamctl(["api-key-update", "mine", "--action-if-leaked", "shred"])
        .run()
        .code(2);
}

#[test]
fn trusted_profiles_have_emails_and_can_assume_lists_the_callers() {
    let env = TestEnv::logged_in();
    let v = env
        .iamctl([
            "trusted-profile-create",
            "p",
            "-e",
            "p@example.com",
            "--output",
            "json",
        ])
        .run()
        .success()
        .json();
    assert_eq!(v["email"], "p@example.com");
    let shown = env.iamctl(["trusted-profile", "p"]).run().success();
    assert!(
        shown.out().contains("Email         p@example.com"),
        "{}",
        shown.out()
    );
    for (flag, force, email) in [("-e", "-f", "q@example.com"), ("--email", "--force", "")] {
        let v = env
            .iamctl(["trusted-profile-update", "p", flag, email, force])
            .args(["--output", "json"])
            .run()
            .success()
            .json();
        let want = if email.is_empty() {
            Value::Null
        } else {
            json!(email)
        };
        assert_eq!(v["email"], want, "{v}");
    }
    // The demo world's profile trusts the demo user from the demo account; "p" trusts nobody.
    assert_eq!(
        names(&env, &["trusted-profiles", "--can-assume"]),
        ["demo-workload"]
    );
    env.iamctl(["trusted-profile-identity-create", "p", "--id-type", "user"])
        .args(["--id", "IBMid-6650001DMO"])
        .run()
        .success();
    let mut got = names(&env, &["trusted-profiles", "--can-assume"]);
    got.sort();
    assert_eq!(got, ["demo-workload", "p"]);
}

#[test]
fn links_print_their_ids_and_ibms_minus_f_is_accepted() {
    let env = TestEnv::logged_in();
    let info = env.info().clone();
    let ids = env
        .iamctl(["trusted-profile-links", &info.profile_name, "--id"])
        .run()
        .success();
    assert_eq!(lines(&ids).len(), 2, "{}", ids.out());
    assert!(lines(&ids).iter().all(|l| l.starts_with("ProfileLink-")));
    env.iamctl(["trusted-profile-links", &info.profile_name, "-f"])
        .run()
        .success()
        .stdout_contains("Link Name");
    env.iamctl([
        "trusted-profile-link-create",
        &info.profile_name,
        "--name",
        "x",
    ])
    .args([
        "--cr-type",
        "VSI",
        "--link-crn",
        &info.vpc_instance_crn.replace("0717_", "0718_"),
        "-f",
    ])
    .run()
    .success();
}

#[test]
fn private_endpoints_need_ibms_region_or_vpc_before_anything_is_sent() {
    let env = TestEnv::logged_in();
    let before = read(&env.session_file());
    let requests = env.requests();
    for (args, says) in [
        (
            vec!["-a", "private.cloud.ibm.com"],
            "serves Classic infrastructure per region, and no region is targeted",
        ),
        (
            vec!["-a", "https://private.cloud.ibm.com", "-r", "eu-de"],
            "in us-south and us-east only, not in eu-de",
        ),
        (
            vec!["-a", "private.cloud.ibm.com", "--no-region"],
            "no region is targeted",
        ),
        (
            vec!["-a", "cloud.ibm.com", "--vpc"],
            "is not a private endpoint",
        ),
    ] {
        env.iamctl(["login", "--apikey", "x"])
            .args(&args)
            .run()
            .code(2)
            .stderr_contains(says)
            .stderr_contains("Tip:");
    }
    // The emulator is no private endpoint either.
    let url = env.url();
    env.iamctl(["login", "-a", &url, "--vpc", "--apikey", "-"])
        .stdin(env.apikey())
        .run()
        .code(2)
        .stderr_contains("is not a private endpoint");
    assert_eq!(read(&env.session_file()), before, "the session changed");
    assert_eq!(env.requests(), requests, "a request was sent");
}

#[test]
fn accept_needs_the_account_and_says_what_iamctl_cannot_do() {
    let env = TestEnv::new();
    env.login_with(Creds::ApiKey, &["--accept", "--no-region"])
        .run()
        .code(2)
        .stderr_contains("-c <ACCOUNT_ID>");
    // An account the user already belongs to: nothing to accept.
    env.login_with(
        Creds::ApiKey,
        &["--accept", "-c", DEMO_ACCOUNT, "--no-region"],
    )
    .run()
    .success();
    env.login_with(
        Creds::ApiKey,
        &["--accept", "-c", "0000aaaa1111bbbb2222cccc3333dddd"],
    )
    .args(["--no-region"])
    .run()
    .code(2)
    .stderr_contains("accept the invitation from its email first");
}

#[test]
fn policy_definitions_take_instances_and_resource_types() {
    let env = TestEnv::logged_in();
    service_id(&env, "svc", "");
    let v = env
        .iamctl([
            "service-policy-create",
            "svc",
            "--roles",
            "Viewer",
            "--service-name",
            "kms",
        ])
        .args([
            "--service-instance",
            "inst-1",
            "--resource-type",
            "key",
            "--resource",
            "k1",
        ])
        .args(["--output", "json"])
        .run()
        .success()
        .json();
    let attrs = v["resources"][0]["attributes"].to_string();
    for (name, value) in [
        ("serviceInstance", "inst-1"),
        ("resourceType", "key"),
        ("resource", "k1"),
    ] {
        assert!(
            attrs.contains(&format!(r#"{{"name":"{name}","value":"{value}"}}"#)),
            "{attrs}"
        );
    }
}

#[test]
fn authorization_policies_take_ibms_source_and_target_flags() {
    let env = TestEnv::logged_in();
    let create = |extra: &[&str]| {
        env.iamctl([
            "authorization-policy-create",
            "cloud-object-storage",
            "kms",
            "Reader",
        ])
        .args(extra)
        .args(["--output", "json"])
        .run()
        .success()
        .json()
    };
    let v = create(&[
        "--source-service-instance-id",
        "src-1",
        "--source-resource-type",
        "bucket",
        "--source-resource",
        "b1",
        "--source-service-account",
        DEMO_ACCOUNT,
        "--target-service-instance-id",
        "t-1",
        "--target-resource-type",
        "key",
        "--target-resource",
        "k1",
    ]);
    let (subjects, resources) = (v["subjects"].to_string(), v["resources"].to_string());
    for (json, name, value) in [
        (&subjects, "serviceInstance", "src-1"),
        (&subjects, "resourceType", "bucket"),
        (&subjects, "resource", "b1"),
        (&subjects, "accountId", DEMO_ACCOUNT),
        (&resources, "serviceInstance", "t-1"),
        (&resources, "resourceType", "key"),
        (&resources, "resource", "k1"),
    ] {
        assert!(
            json.contains(&format!(r#"{{"name":"{name}","value":"{value}"}}"#)),
            "{name}={value} not in {json}"
        );
    }
    let v = create(&[
        "--source-resource-group-id",
        "rg-s",
        "--target-resource-group-id",
        "rg-t",
    ]);
    assert!(v["subjects"].to_string().contains("rg-s"), "{v}");
    assert!(v["resources"].to_string().contains("rg-t"), "{v}");
    // Instances by name are not looked up: refused before anything is sent, naming the flag
    // that works.
    for flag in [
        "--source-service-instance-name",
        "--target-service-instance-name",
    ] {
        env.iamctl([
            "authorization-policy-create",
            "cloud-object-storage",
            "kms",
            "Reader",
        ])
        .args([flag, "my-bucket"])
        .run()
        .code(2)
        .stderr_contains(&flag.replace("-name", "-id"));
    }
    env.iamctl(["roles", "--service", "kms", "--resource-type", "key"])
        .run()
        .code(2)
        .stderr_contains("iamctl roles --service kms");
    // The roles an authorization from the source service may give on the target.
    env.iamctl([
        "roles",
        "--source-service",
        "cloud-object-storage",
        "--service",
        "kms",
    ])
    .run()
    .success()
    .stdout_contains("ReaderPlus");
}

#[test]
fn access_groups_of_a_profile_and_every_group_of_a_name() {
    let env = TestEnv::logged_in();
    let info = env.info().clone();
    env.iamctl(["access-group-create", "g1"]).run().success();
    env.iamctl(["access-group-trusted-profile-add", "g1", &info.profile_name])
        .run()
        .success();
    assert_eq!(
        names(&env, &["access-groups", "-p", &info.profile_name]),
        ["g1"]
    );
    env.iamctl(["access-group-delete", "g1", "-a", "-r", "-f"])
        .run()
        .success();
    env.iamctl(["access-group-create", "g2"]).run().success();
    env.iamctl([
        "access-group-delete",
        "g2",
        "--all",
        "--recursive",
        "--force",
    ])
    .run()
    .success();
    assert!(names(&env, &["access-groups", "-p", &info.profile_name]).is_empty());
}

// ---- the table ----------------------------------------------------------------------------

/// One row of docs/ibm-flags.tsv.
struct Row {
    line: usize,
    command: String,
    spellings: Vec<String>,
    checked: String,
}

/// The rows, and each command's synopsis as IBM documents it (the `# ibmcloud ...` lines).
fn table() -> (Vec<Row>, Vec<(String, String)>) {
    let text = read(&repo().join("docs/ibm-flags.tsv"));
    let mut rows = Vec::new();
    let mut synopses = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(syn) = line.strip_prefix("# ibmcloud ") {
            let command = syn
                .split_whitespace()
                .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                .collect::<Vec<_>>()
                .join(" ");
            synopses.push((command, syn.to_string()));
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "docs/ibm-flags.tsv:{}: {line:?}", n + 1);
        rows.push(Row {
            line: n + 1,
            command: cols[0].to_string(),
            spellings: match cols[1] {
                "-" => vec![],
                f => f.split(", ").map(str::to_string).collect(),
            },
            checked: cols[3].to_string(),
        });
    }
    (rows, synopses)
}

/// `iamctl iam X` for IBM's `iam X`, and `iamctl login` for `login`.
fn argv(command: &str) -> Vec<String> {
    command.split_whitespace().map(str::to_string).collect()
}

#[test]
fn every_flag_ibm_documents_for_a_mirrored_command_parses() {
    let (rows, synopses) = table();
    assert!(rows.len() > 300, "{} rows", rows.len());
    // Each documented command exists, as `iamctl iam X` and as `iamctl X`.
    for (command, _) in &synopses {
        let mut forms = vec![argv(command)];
        if let Some(flat) = command.strip_prefix("iam ") {
            forms.push(argv(flat));
        }
        for form in forms {
            let out = std::process::Command::new(BIN)
                .args(&form)
                .arg("--help")
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(out.status.success(), "iamctl {form:?} does not exist");
        }
    }
    // Each flag of each synopsis has its row.
    let flag =
        regex::Regex::new(r"(?:^|[\s\[(|,])(--?[A-Za-z][\w-]*)").unwrap_or_else(|e| panic!("{e}"));
    for (command, syn) in &synopses {
        for m in flag.captures_iter(syn) {
            let f = &m[1];
            let has = rows
                .iter()
                .any(|r| &r.command == command && r.spellings.iter().any(|s| s == f));
            assert!(has, "no row for {command} {f} (IBM: {syn})");
        }
    }
    // Each spelling parses: with a value or without, then --help (which stops clap before
    // it checks for required arguments, and not before it refuses an unknown flag).
    let mut refused = Vec::new();
    for r in &rows {
        assert!(
            synopses.iter().any(|(c, _)| *c == r.command),
            "docs/ibm-flags.tsv:{}: no synopsis line for {}",
            r.line,
            r.command
        );
        for s in &r.spellings {
            // No value, or one of IBM's documented values for the flags that take a set.
            let values = ["x", "json", "v2", "delete", "user", "VSI"];
            let tries: Vec<Vec<&str>> = std::iter::once(vec![s.as_str()])
                .chain(values.iter().map(|v| vec![s.as_str(), v]))
                .collect();
            let parses = tries.iter().any(|extra| {
                std::process::Command::new(BIN)
                    .args(argv(&r.command))
                    .args(extra)
                    .arg("--help")
                    .output()
                    .is_ok_and(|o| o.status.success())
            });
            if !parses {
                refused.push(format!("{} {s} (docs/ibm-flags.tsv:{})", r.command, r.line));
            }
        }
    }
    assert!(refused.is_empty(), "refused: {refused:#?}");
    // And the check itself can fail.
    let bogus = std::process::Command::new(BIN)
        .args(["iam", "service-ids", "--no-such-flag", "--help"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!bogus.status.success());
}

/// The body of the test function `name` in tests/e2e/`module`.rs, if there is one.
fn test_body(module: &str, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(repo().join(format!("tests/e2e/{module}.rs"))).ok()?;
    let start = text.find(&format!("fn {name}()"))?;
    let before = &text[..start];
    if !before.trim_end().ends_with("#[test]") {
        return None;
    }
    let rest = &text[start..];
    let end = rest[1..].find("\n#[test]").map_or(rest.len(), |e| e + 1);
    Some(rest[..end].to_string())
}

#[test]
fn every_row_says_how_its_meaning_is_checked() {
    let (rows, _) = table();
    let guide = read(&repo().join("docs/user-guide.md"));
    let differences = guide
        .split("\n## Differences from ibmcloud\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_default()
        .to_string();
    let mut bad = Vec::new();
    for r in &rows {
        let at = format!("docs/ibm-flags.tsv:{}", r.line);
        let how = r.checked.as_str();
        // `e2e MODULE::TEST`, possibly after `shared WHAT: ` for a flag defined once for many
        // commands: the test exists and names the flag (or, for a flagless row, the command).
        let e2e = how.rsplit_once("e2e ").map(|(_, t)| t);
        if let Some(test) = e2e {
            let Some((module, name)) = test.split_once("::") else {
                bad.push(format!("{at}: {how}"));
                continue;
            };
            let Some(body) = test_body(module, name) else {
                bad.push(format!("{at}: no test {test}"));
                continue;
            };
            let named = if r.spellings.is_empty() {
                let last = r.command.rsplit(' ').next().unwrap_or_default();
                body.contains(&format!("\"{last}\""))
            } else {
                r.spellings
                    .iter()
                    .any(|s| body.contains(&format!("\"{s}\"")) || body.contains(&format!(" {s} ")))
            };
            if !named {
                bad.push(format!("{at}: {test} does not use {:?}", r.spellings));
            }
        } else if let Some(why) = how.strip_prefix("accepted: ") {
            // Parsed (the other test) and documented as changing nothing; say why.
            if why.len() < 10 {
                bad.push(format!("{at}: say why it is accepted"));
            }
        } else if how.starts_with("differs: ") {
            if !r.spellings.iter().any(|s| differences.contains(s.as_str())) {
                bad.push(format!(
                    "{at}: the guide's differences table does not name {:?}",
                    r.spellings
                ));
            }
        } else {
            bad.push(format!("{at}: unknown check {how:?}"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}
