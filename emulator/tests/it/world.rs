//! The world at runtime: accounts, users (federated ones too), resource groups and API keys
//! added through the admin API behave as seeded ones do, are refused as a seed would be, are
//! budgeted, and are gone after a reset.

use iam_emulator::Running;
use iam_emulator::seed::{DEMO_ACCOUNT, DEMO_SERVICE_ID};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn add(emu: &Running, what: &str, body: Value) -> (u16, Value) {
    admin(emu, Method::POST, &format!("/emulator/{what}"), Some(body))
}

fn added(emu: &Running, what: &str, body: Value) -> Value {
    let (status, answer) = add(emu, what, body);
    assert_eq!(status, 201, "{what}: {answer}");
    answer
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn added_accounts_users_groups_and_keys_work_like_seeded_ones() {
    let emu = start();
    let acc = added(
        &emu,
        "accounts",
        json!({"id": "acc-ci", "name": "CI", "ims_account": "4242"}),
    );
    assert_eq!(acc["resource_groups"][0]["name"], "Default", "{acc}");
    assert_eq!(acc["owner_iam_id"], Value::Null, "no member yet: {acc}");
    let ci = added(
        &emu,
        "users",
        json!({"username": "ci@example.com", "password": "ci-pass", "accounts": ["acc-ci", DEMO_ACCOUNT],
               "given_name": "C", "family_name": "I"}),
    );
    let ci_id = ci["iam_id"].as_str().unwrap().to_owned();
    assert!(ci_id.starts_with("IBMid-"), "{ci}");
    let fed = added(
        &emu,
        "users",
        json!({"username": "fed@example.com", "password": "idp-pass", "federated": true, "accounts": ["acc-ci"]}),
    );
    let rg = added(
        &emu,
        "resource-groups",
        json!({"account_id": "acc-ci", "name": "ci"}),
    );
    let key = added(
        &emu,
        "apikeys",
        json!({"name": "ci-key", "owner": "ci@example.com", "description": "made by a test"}),
    );
    let value = key["apikey"].as_str().unwrap().to_owned();
    assert_eq!(value.len(), 44, "made as IBM makes them: {key}");
    assert_eq!(key["account_id"], "acc-ci", "the owner's first account");
    let skey = added(
        &emu,
        "apikeys",
        json!({"name": "deployer", "owner": DEMO_SERVICE_ID, "apikey": "a-fixed-service-key-value-0123456789"}),
    );

    // The password user logs in, lands in the new account and owns it (the first member).
    let (status, pw) = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "ci@example.com"),
            ("password", "ci-pass"),
        ],
        true,
    );
    assert_eq!(status, 200, "{pw}");
    let t = pw["access_token"].as_str().unwrap().to_owned();
    let c = verify_jwt(&emu, &t);
    assert_eq!(
        (c["iam_id"].as_str(), c["account"]["bss"].as_str()),
        (Some(ci_id.as_str()), Some("acc-ci"))
    );
    assert_eq!(c["account"]["ims"], "4242");
    let (_, accounts) = json(get(&emu, "/coe/v2/accounts", Some(&t)).send().unwrap());
    let listed: Vec<&str> = accounts["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["metadata"]["guid"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [DEMO_ACCOUNT, "acc-ci"]);
    let ci_account = accounts["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["metadata"]["guid"] == "acc-ci")
        .unwrap();
    assert_eq!(ci_account["entity"]["owner_iam_id"], ci_id.as_str());
    let (_, groups) = json(
        get(&emu, "/v2/resource_groups?account_id=acc-ci", Some(&t))
            .send()
            .unwrap(),
    );
    let names: Vec<&str> = groups["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Default", "ci"]);
    assert_eq!(groups["resources"][1]["id"], rg["id"]);

    // The federated user: no password grant, passcodes from the admin API and the page.
    assert_token_error(
        &token(
            &emu,
            &[
                ("grant_type", "password"),
                ("username", "fed@example.com"),
                ("password", "idp-pass"),
            ],
            true,
        ),
        400,
        "BXNIM0608E",
    );
    let code = passcode_for(&emu, Some("fed@example.com"));
    let (status, sso) = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", &code)],
        true,
    );
    assert_eq!(status, 200, "{sso}");
    assert_eq!(
        claims(sso["access_token"].as_str().unwrap())["iam_id"],
        fed["iam_id"]
    );
    let page = client()
        .post(format!("{}/identity/passcode", emu.url()))
        .form(&[("username", "fed@example.com"), ("password", "idp-pass")])
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("id=\"passcode\""), "{page}");

    // The keys log in, and read back exactly as seeded keys do (fields, history).
    let by_key = apikey_login(&emu, &value, false);
    assert_eq!(
        claims(by_key["access_token"].as_str().unwrap())["iam_id"],
        ci_id.as_str()
    );
    let by_skey = apikey_login(&emu, skey["apikey"].as_str().unwrap(), false);
    assert_eq!(
        claims(by_skey["access_token"].as_str().unwrap())["sub_type"],
        "ServiceId"
    );
    let details = |bearer: &str, v: &str| {
        json(
            client()
                .get(format!(
                    "{}/v1/apikeys/details?include_history=true",
                    emu.url()
                ))
                .bearer_auth(bearer)
                .header("IAM-ApiKey", v)
                .send()
                .unwrap(),
        )
    };
    let (status, ours) = details(&t, &value);
    assert_eq!(status, 200, "{ours}");
    let (_, seeded) = details(&access_token(&emu), &emu.info().apikey);
    assert_eq!(sorted_keys(&ours), sorted_keys(&seeded));
    assert_eq!(ours["history"][0]["action"], "create");
    assert_eq!(ours["history"][0]["iam_id"], ci_id.as_str());
    assert_eq!(ours["id"], key["id"]);

    // A reset removes all of it.
    assert_eq!(add(&emu, "reset", json!({})).0, 200);
    assert_token_error(
        &token(
            &emu,
            &[("grant_type", APIKEY_GRANT), ("apikey", &value)],
            false,
        ),
        400,
        "BXNIM0415E",
    );
    assert_token_error(
        &token(
            &emu,
            &[
                ("grant_type", "password"),
                ("username", "ci@example.com"),
                ("password", "ci-pass"),
            ],
            true,
        ),
        400,
        "BXNIM0602E",
    );
    let (status, _) = add(&emu, "passcodes", json!({"user": "fed@example.com"}));
    assert_eq!(status, 404);
}

#[test]
fn what_a_seed_refuses_the_admin_api_refuses() {
    let emu = start();
    added(&emu, "accounts", json!({"id": "acc-1", "name": "One"}));
    added(
        &emu,
        "users",
        json!({"username": "one@example.com", "accounts": ["acc-1"]}),
    );
    for (what, body, status, says) in [
        (
            "accounts",
            json!({"id": "acc-1", "name": "Again"}),
            409,
            "listed twice",
        ),
        (
            "accounts",
            json!({"id": " ", "name": "Blank"}),
            400,
            "empty id",
        ),
        (
            "accounts",
            json!({"id": "acc-2", "name": "Two", "owner": "who@example.com"}),
            400,
            "unknown owner",
        ),
        (
            "accounts",
            json!({"id": "acc-2"}),
            400,
            "missing field `name`",
        ),
        (
            "users",
            json!({"username": "ONE@example.com", "accounts": ["acc-1"]}),
            409,
            "listed twice",
        ),
        (
            "users",
            json!({"username": "two@example.com", "accounts": ["nope"]}),
            400,
            "unknown account",
        ),
        (
            "users",
            json!({"username": "two@example.com", "accounts": []}),
            400,
            "no account",
        ),
        (
            "users",
            json!({"username": "two@example.com", "accounts": ["acc-1"], "role": "admin"}),
            400,
            "unknown field",
        ),
        (
            "resource-groups",
            json!({"account_id": "acc-1", "name": "Default"}),
            409,
            "listed twice",
        ),
        (
            "resource-groups",
            json!({"account_id": "acc-1", "name": "x", "default": true}),
            409,
            "default resource group already",
        ),
        (
            "resource-groups",
            json!({"account_id": "nope", "name": "x"}),
            400,
            "unknown account",
        ),
        (
            "apikeys",
            json!({"name": "k", "owner": "nobody"}),
            400,
            "unknown owner",
        ),
        (
            "apikeys",
            json!({"name": "k", "owner": "one@example.com", "account_id": DEMO_ACCOUNT}),
            400,
            "does not belong",
        ),
        (
            "apikeys",
            json!({"name": "k", "owner": "one@example.com", "apikey": emu.info().apikey}),
            409,
            "repeats another key",
        ),
        (
            "apikeys",
            json!({"name": "k", "owner": "one@example.com", "apikey": ""}),
            400,
            "empty value",
        ),
    ] {
        let (got, answer) = add(&emu, what, body.clone());
        assert_eq!(got, status, "{what} {body}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{what} {body}: {error}");
    }
    // The same name for the same owner is the same derived id, as in a seed.
    added(
        &emu,
        "apikeys",
        json!({"name": "k", "owner": "one@example.com"}),
    );
    let (status, _) = add(
        &emu,
        "apikeys",
        json!({"name": "k", "owner": "one@example.com"}),
    );
    assert_eq!(status, 409);
}

/// What the admin API adds is budgeted per world (4 MiB of requests, 10,000 things): past
/// it a 429, and a reset makes room again.
#[test]
fn additions_are_budgeted_and_a_reset_makes_room() {
    let emu = start();
    let ids: Vec<String> = (0..100)
        .map(|i| format!("{i:03}-{}", "a".repeat(1000)))
        .collect();
    for id in &ids {
        added(&emu, "accounts", json!({"id": id, "name": "n"}));
    }
    let mut refused = None;
    for i in 0..60 {
        let (status, answer) = add(
            &emu,
            "users",
            json!({"username": format!("u{i}@example.com"), "accounts": ids}),
        );
        if status != 201 {
            refused = Some((i, status, answer));
            break;
        }
    }
    let (i, status, answer) = refused.expect("the budget ends before 60 users of 100 KB");
    assert_eq!(status, 429, "{answer}");
    assert!((38..=42).contains(&i), "refused after {i} users");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("POST /emulator/reset"),
        "{answer}"
    );
    assert_eq!(add(&emu, "reset", json!({})).0, 200);
    added(&emu, "accounts", json!({"id": ids[0], "name": "n"}));
    added(
        &emu,
        "users",
        json!({"username": "u0@example.com", "accounts": [ids[0]]}),
    );
}
