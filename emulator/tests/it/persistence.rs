//! `--seed` worlds and `--state` persistence (library and binary).

use std::path::Path;
use std::process::Command;

use crate::common::*;
use iam_emulator::{Config, Seed};
use reqwest::Method;
use serde_json::{Value, json};

const SEED: &str = r#"{
  "accounts": [
    {"id": "acc-main", "name": "Main", "ims_account": "999", "owner": "ci@example.com"},
    {"id": "acc-side", "name": "Side"}
  ],
  "users": [
    {"username": "ci@example.com", "password": "ci-pass", "given_name": "CI", "family_name": "Bot",
     "accounts": ["acc-main", "acc-side"]},
    {"username": "fed@example.com", "password": "idp-pass", "federated": true, "accounts": ["acc-side"]}
  ],
  "service_ids": [{"account_id": "acc-main", "name": "deployer", "locked": true}],
  "api_keys": [
    {"name": "ci-key", "owner": "ci@example.com", "apikey": "ci-fixed-api-key-value-000000000000000"},
    {"name": "deploy-key", "owner": "deployer", "apikey": "deployer-fixed-key-value-00000000000000", "disabled": true}
  ],
  "resource_groups": [{"account_id": "acc-main", "name": "Default", "default": true},
                      {"account_id": "acc-main", "name": "ci"}]
}"#;

#[test]
fn custom_seed_defines_the_world() {
    let seed: Seed = serde_json::from_str(SEED).unwrap();
    let emu = start_with(Config {
        seed: Some(seed.into()),
        ..Default::default()
    });
    let info = emu.info();
    assert_eq!(info.apikey, "ci-fixed-api-key-value-000000000000000");
    assert_eq!(info.username, "ci@example.com");
    assert_eq!(info.password, "ci-pass");
    assert_eq!(info.sso_user, "fed@example.com");
    assert_eq!(info.sso_password, "idp-pass");
    assert_eq!(info.service_apikey, "", "the only service key is disabled");
    assert_eq!(info.accounts.len(), 2);

    let tok = apikey_login(&emu, &info.apikey, false);
    let c = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(c["account"]["bss"], "acc-main");
    assert_eq!(c["account"]["ims"], "999");
    assert_eq!(c["name"], "CI Bot");
    let e = token(
        &emu,
        &[
            ("grant_type", APIKEY_GRANT),
            ("apikey", "deployer-fixed-key-value-00000000000000"),
        ],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0416E");
    let e = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "fed@example.com"),
            ("password", "idp-pass"),
        ],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0608E");

    let t = tok["access_token"].as_str().unwrap();
    // acc-side got a Default group although the seed names none.
    let (_, side) = json(
        get(&emu, "/v2/resource_groups?account_id=acc-side", Some(t))
            .send()
            .unwrap(),
    );
    assert_eq!(side["resources"][0]["name"], "Default");
    assert_eq!(side["resources"][0]["default"], true);
    let (_, main) = json(
        get(&emu, "/v2/resource_groups?account_id=acc-main", Some(t))
            .send()
            .unwrap(),
    );
    assert_eq!(main["resources"].as_array().unwrap().len(), 2);
    let (_, sids) = json(
        get(&emu, "/v1/serviceids/?account_id=acc-main", Some(t))
            .send()
            .unwrap(),
    );
    assert_eq!(sids["serviceids"][0]["name"], "deployer");
    assert_eq!(sids["serviceids"][0]["locked"], true);

    // Ids derive from names: a second emulator from the same seed agrees.
    let again = start_with(Config {
        seed: Some(serde_json::from_str::<Seed>(SEED).unwrap().into()),
        ..Default::default()
    });
    let t2 = access_token(&again);
    let (_, sids2) = json(
        get(&again, "/v1/serviceids/?account_id=acc-main", Some(&t2))
            .send()
            .unwrap(),
    );
    assert_eq!(sids["serviceids"][0]["id"], sids2["serviceids"][0]["id"]);
}

#[test]
fn state_survives_a_restart_including_the_signing_key() {
    let dir = TempDir::new("state");
    let state = dir.path("state.json");
    let config = || Config {
        state: Some(state.clone()),
        ..Default::default()
    };
    let emu = start_with(config());
    assert!(state.exists(), "the state file is written at start");
    let session = apikey_login(&emu, &emu.info().apikey, true);
    let t = session["access_token"].as_str().unwrap().to_owned();
    let (status, sid) = json(
        client()
            .post(format!("{}/v1/serviceids/", emu.url()))
            .bearer_auth(&t)
            .json(&json!({"account_id": iam_emulator::seed::DEMO_ACCOUNT, "name": "persisted"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    let (_, key) = json(
        client()
            .post(format!("{}/v1/apikeys", emu.url()))
            .bearer_auth(&t)
            .json(&json!({"name": "k", "iam_id": sid["iam_id"]}))
            .send()
            .unwrap(),
    );
    let value = key["apikey"].as_str().unwrap().to_owned();
    drop(emu);

    let emu = start_with(config());
    // The old access token still verifies (same key), and the world is as we left it.
    let path = format!("/v1/serviceids/{}", sid["id"].as_str().unwrap());
    let (status, got) = json(get(&emu, &path, Some(&t)).send().unwrap());
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["name"], "persisted");
    apikey_login(&emu, &value, false);
    let (status, _) = token(
        &emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", session["refresh_token"].as_str().unwrap()),
        ],
        true,
    );
    assert_eq!(status, 200, "refresh tokens survive too");
    // No temp files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "state.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn delegated_refresh_tokens_survive_a_restart() {
    let dir = TempDir::new("delegated");
    let state = dir.path("state.json");
    let config = || Config {
        state: Some(state.clone()),
        ..Default::default()
    };
    let emu = start_with(config());
    let form = [
        ("grant_type", APIKEY_GRANT),
        ("apikey", emu.info().apikey.as_str()),
        ("response_type", "delegated_refresh_token"),
        ("receiver_client_ids", "kube"),
    ];
    let (status, body) = token_as(&emu, &form, Some(("bx", "bx")));
    assert_eq!(status, 200, "{body}");
    let drt = body["delegated_refresh_token"].as_str().unwrap().to_owned();
    drop(emu);

    let emu = start_with(config());
    let (status, body) = token_as(
        &emu,
        &[
            (
                "grant_type",
                "urn:ibm:params:oauth:grant-type:delegated-refresh-token",
            ),
            ("refresh_token", &drt),
        ],
        Some(("kube", "kube")),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        verify_jwt(&emu, body["id_token"].as_str().unwrap())["aud"],
        "kube"
    );
}

#[test]
fn state_is_flushed_in_the_background_while_running() {
    let dir = TempDir::new("bg");
    let state = dir.path("state.json");
    let emu = start_with(Config {
        state: Some(state.clone()),
        ..Default::default()
    });
    let t = access_token(&emu);
    let (status, _) = json(
        client()
            .post(format!("{}/v1/serviceids/", emu.url()))
            .bearer_auth(&t)
            .json(&json!({"account_id": iam_emulator::seed::DEMO_ACCOUNT, "name": "background"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    wait_for_state(&state, "\"background\"");
}

/// Waits (bounded) until the state file contains `text`: the background writer has run.
fn wait_for_state(state: &Path, text: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !std::fs::read_to_string(state)
        .unwrap_or_default()
        .contains(text)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "state was not written while running"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

// The state file holds the signing key, API key values and refresh sessions: owner-only,
// whether written at start, in the background or at shutdown, and even when a world-readable
// temp file of a crashed writer is in the way. The directory is not the emulator's to change.
#[cfg(unix)]
#[test]
fn the_state_file_is_owner_only_and_its_directory_is_left_alone() {
    use std::fs::Permissions;
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = TempDir::new("mode");
    std::fs::set_permissions(&dir.0, Permissions::from_mode(0o755)).unwrap();
    let state = dir.path("state.json");
    let stale = dir.path(&format!(".state.json.tmp-{}", std::process::id()));
    std::fs::write(&stale, "left by a crash").unwrap();
    std::fs::set_permissions(&stale, Permissions::from_mode(0o666)).unwrap();
    let config = || Config {
        state: Some(state.clone()),
        ..Default::default()
    };

    let emu = start_with(config());
    assert_eq!(mode(&state), 0o600, "written at start");
    let t = access_token(&emu);
    let (status, _) = json(
        client()
            .post(format!("{}/v1/serviceids/", emu.url()))
            .bearer_auth(&t)
            .json(&json!({"account_id": iam_emulator::seed::DEMO_ACCOUNT, "name": "private"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    wait_for_state(&state, "\"private\"");
    assert_eq!(mode(&state), 0o600, "written in the background");
    drop(emu);
    assert_eq!(mode(&state), 0o600, "written at shutdown");

    // A file an older emulator wrote world-readable is private after its next write.
    std::fs::set_permissions(&state, Permissions::from_mode(0o644)).unwrap();
    let emu = start_with(config());
    advance_clock(&emu, 1);
    drop(emu);
    assert_eq!(mode(&state), 0o600, "rewritten at shutdown");

    assert_eq!(
        mode(&dir.0),
        0o755,
        "the directory's mode is not the emulator's to change"
    );
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state.json"], "no temp file is left behind");
}

#[test]
fn a_corrupt_state_file_is_refused() {
    let dir = TempDir::new("corrupt");
    let state = dir.path("state.json");
    std::fs::write(&state, "{ not json").unwrap();
    let err = iam_emulator::spawn(Config {
        state: Some(state.clone()),
        ..Default::default()
    })
    .err()
    .expect("refused");
    // One line naming the file once, and what to do.
    let err = err.to_string();
    let want = format!("state file {} is not valid: ", state.display());
    assert!(err.starts_with(&want), "{err}");
    assert!(err.ends_with("; fix or remove it"), "{err}");
}

#[test]
fn binary_flushes_state_on_sigterm_and_resumes() {
    let dir = TempDir::new("bin");
    let state = dir.path("state.json");
    let seed = dir.path("seed.json");
    std::fs::write(&seed, SEED).unwrap();
    let (mut child, info) = start_binary(&["--seed", seed.to_str().unwrap()], &state);
    let url = info["url"].as_str().unwrap().to_owned();
    let (status, tok) = ready_line_grant(&info, false);
    assert_eq!(status, 200);
    let t = tok["access_token"].as_str().unwrap().to_owned();
    let (status, sid) = json(
        client()
            .post(format!("{url}/v1/serviceids/"))
            .bearer_auth(&t)
            .json(&json!({"account_id": "acc-main", "name": "from-binary"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());

    // Resumed: the state wins over the seed, the token from before still works.
    let (mut child, info) = start_binary(&[], &state);
    let url = info["url"].as_str().unwrap().to_owned();
    assert_eq!(info["username"], "ci@example.com");
    let resp = client()
        .request(
            Method::GET,
            format!("{url}/v1/serviceids/{}", sid["id"].as_str().unwrap()),
        )
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_state_file_that_cannot_be_written_at_shutdown_fails_the_stop_naming_the_file_once() {
    use std::io::Read as _;
    let dir = TempDir::new("gone");
    let sub = dir.path("sub");
    std::fs::create_dir(&sub).unwrap();
    let state = sub.join("state.json");
    let (mut child, info) = start_binary(&[], &state);
    std::fs::remove_dir_all(&sub).unwrap();
    // A grant with client credentials opens a refresh session: a change the stop must write.
    let (status, _) = ready_line_grant(&info, true);
    assert_eq!(status, 200);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let code = child.wait().unwrap().code();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(code, Some(1), "{err}");
    let want = format!(
        "iam-emulator: cannot write state file {}: ",
        state.display()
    );
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with(&want), "{err}");
    // The background writer may have said it too, each time in the same one line.
    for line in err.lines().filter(|l| l.contains("state")) {
        assert!(line.starts_with(&want), "{err}");
        assert_eq!(line.matches("state file").count(), 1, "{err}");
    }
}

#[test]
fn trusted_profiles_survive_a_restart() {
    use iam_emulator::seed::DEMO_ACCOUNT;
    let dir = TempDir::new("profiles");
    let state = dir.path("state.json");
    let config = || Config {
        state: Some(state.clone()),
        ..Default::default()
    };
    let emu = start_with(config());
    let t = access_token(&emu);
    let (status, p) = json(
        api(&emu, Method::POST, "/v1/profiles", &t)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": "kept"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    let crn = emu.info().iks_cluster_crn.clone();
    let (status, link) = json(
        api(&emu, Method::POST, &format!("/v1/profiles/{id}/links"), &t)
            .json(&json!({"cr_type": "IKS_SA", "link": {"crn": crn, "namespace": "ci", "name": "bot"}}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{link}");
    let (status, _) = json(
        api(
            &emu,
            Method::POST,
            &format!("/v1/profiles/{id}/identities/user"),
            &t,
        )
        .json(&json!({"identifier": iam_emulator::seed::DEMO_USER_IAM_ID, "type": "user"}))
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200);
    let cr = cr_token(
        &emu,
        json!({"cr_type": "IKS_SA", "crn": crn, "namespace": "ci", "name": "bot"}),
    );
    let (status, tok) = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &cr),
            ("profile_name", "kept"),
        ],
        false,
    );
    assert_eq!(status, 200, "{tok}");
    let profile_token = tok["access_token"].as_str().unwrap().to_owned();
    drop(emu);

    let emu = start_with(config());
    assert_eq!(
        emu.info().vpc_instance_crn,
        iam_emulator::seed::DEMO_VPC_INSTANCE_CRN
    );
    let (status, links) = json(
        api(&emu, Method::GET, &format!("/v1/profiles/{id}/links"), &t)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{links}");
    assert_eq!(links["links"][0], link);
    let (_, ids) = json(
        api(
            &emu,
            Method::GET,
            &format!("/v1/profiles/{id}/identities"),
            &t,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(ids["identities"].as_array().unwrap().len(), 1);
    // The cr token and the profile's token still verify after the restart.
    let (status, _) = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &cr),
            ("profile_id", &id),
        ],
        false,
    );
    assert_eq!(status, 200);
    let (status, _) = json(
        get(&emu, "/coe/v2/accounts", Some(&profile_token))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
}

#[test]
fn a_state_file_from_before_trusted_profiles_still_loads() {
    let dir = TempDir::new("old-state");
    let state = dir.path("state.json");
    let config = || Config {
        state: Some(state.clone()),
        ..Default::default()
    };
    drop(start_with(config()));
    // What an emulator without trusted profiles wrote: the same format, without the fields.
    let mut snap: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(snap["format"], 1);
    let world = snap["world"].as_object_mut().unwrap();
    assert!(world.remove("profiles").is_some());
    assert!(world.remove("vpc_instance_crn").is_some());
    std::fs::write(&state, serde_json::to_vec(&snap).unwrap()).unwrap();

    let emu = start_with(config());
    assert_eq!(emu.info().profile_id, "");
    let vpc = &emu.info().vpc_instance_crn;
    let first = &emu.info().accounts[0].id;
    assert!(
        vpc.starts_with(&format!(
            "crn:v1:bluemix:public:is:us-south-1:a/{first}::instance:0717_"
        )),
        "{vpc}"
    );
    let t = access_token(&emu);
    let (status, list) = json(
        get(&emu, &format!("/v1/profiles?account_id={first}"), Some(&t))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["profiles"], json!([]));
}

#[test]
fn seeds_declare_profiles_links_identities_and_the_virtual_server() {
    let vpc = "crn:v1:bluemix:public:is:eu-de-1:a/acc-main::instance:02c7_0000";
    let ce = "crn:v1:bluemix:public:codeengine:eu-de:a/acc-main:proj1::";
    let mut seed: Value = serde_json::from_str(SEED).unwrap();
    seed["vpc_instance_crn"] = json!(vpc);
    seed["profiles"] = json!([
        {"account_id": "acc-main", "name": "apps", "description": "Code Engine apps",
         "links": [{"name": "web", "cr_type": "CE",
                    "link": {"crn": ce, "component_type": "application", "component_name": "web"}},
                   {"cr_type": "VSI", "link": {"crn": vpc}}],
         "identities": [{"type": "user", "identifier": "ci@example.com", "accounts": ["acc-main"]},
                        {"type": "serviceid", "identifier": "deployer"}]}
    ]);
    let seed: Seed = serde_json::from_value(seed).unwrap();
    let emu = start_with(Config {
        seed: Some(seed.into()),
        ..Default::default()
    });
    let info = emu.info();
    assert_eq!(info.vpc_instance_crn, vpc);
    assert_eq!(info.profile_name, "apps");
    assert!(info.profile_id.starts_with("Profile-"));
    assert_eq!(info.iks_cluster_crn, "", "no service-account link");

    // A Code Engine app of that component gets the profile's token; another does not.
    let app = cr_token(
        &emu,
        json!({"cr_type": "CE", "crn": ce, "component_type": "application", "component_name": "web"}),
    );
    let (status, tok) = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &app),
            ("profile_name", "apps"),
        ],
        false,
    );
    assert_eq!(status, 200, "{tok}");
    let c = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(c["account"]["bss"], "acc-main");
    assert_eq!(c["account"]["ims"], "999");
    let job = cr_token(
        &emu,
        json!({"cr_type": "CE", "crn": ce, "component_type": "job", "component_name": "web"}),
    );
    let e = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &job),
            ("profile_name", "apps"),
        ],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0453E");

    // The seeded user assumes it; the virtual server is the seed's.
    let user = access_token(&emu);
    let (status, body) = token(
        &emu,
        &[
            ("grant_type", ASSUME_GRANT),
            ("access_token", &user),
            ("profile_name", "apps"),
            ("account", "acc-main"),
        ],
        false,
    );
    assert_eq!(status, 200, "{body}");
    let (status, ii) = json(
        client()
            .put(format!(
                "{}/identity/v1/token?version=2025-08-26",
                emu.url()
            ))
            .header("Metadata-Flavor", "ibm")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{ii}");
    assert_eq!(claims(ii["access_token"].as_str().unwrap())["crn"], vpc);

    // A seed whose profile names an unknown user is refused at start.
    let mut bad: Value = serde_json::from_str(SEED).unwrap();
    bad["profiles"] = json!([{"account_id": "acc-main", "name": "p",
        "identities": [{"type": "user", "identifier": "nobody@example.com"}]}]);
    let err = iam_emulator::spawn(Config {
        seed: Some(serde_json::from_value::<Seed>(bad).unwrap().into()),
        ..Default::default()
    })
    .err()
    .expect("refused");
    assert!(err.to_string().contains("nobody@example.com"), "{err}");
}
