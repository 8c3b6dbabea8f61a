//! `POST /emulator/reset`: back to the world the emulator started with, or to a named
//! snapshot; keys, sessions, the clock, lifetimes, faults, passcodes, stats and the journal
//! alike, and no token signed before a reset is accepted after it.

use iam_emulator::Running;
use iam_emulator::seed::DEMO_ACCOUNT;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

fn post(emu: &Running, path: &str, body: Value) -> (u16, Value) {
    admin(emu, Method::POST, path, Some(body))
}

fn create_service_id(emu: &Running, token: &str, name: &str) -> Value {
    let (status, sid) = json(
        api(emu, Method::POST, "/v1/serviceids/", token)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": name, "apikey": {"name": "k"}}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{sid}");
    sid
}

fn service_id_names(emu: &Running, token: &str) -> Vec<String> {
    let (status, list) = json(
        api(
            emu,
            Method::GET,
            &format!("/v1/serviceids/?account_id={DEMO_ACCOUNT}&pagesize=100"),
            token,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200, "{list}");
    list["serviceids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

fn kid(emu: &Running) -> String {
    let (_, keys) = json(get(emu, "/identity/keys", None).send().unwrap());
    keys["keys"][0]["kid"].as_str().unwrap().to_owned()
}

#[test]
fn a_reset_puts_everything_back_as_it_started() {
    let emu = start();
    let bearer = access_token(&emu);
    let first_kid = kid(&emu);
    // Change everything a test can change.
    let sid = create_service_id(&emu, &bearer, "made-by-a-test");
    let key = sid["apikey"]["apikey"].as_str().unwrap().to_owned();
    apikey_login(&emu, &key, false);
    let rt = apikey_login(&emu, &emu.info().apikey, true)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = passcode_for(&emu, None);
    advance_clock(&emu, 5000);
    assert_eq!(
        post(
            &emu,
            "/emulator/faults",
            json!({"path": "/nowhere", "status": 503})
        )
        .0,
        200
    );
    assert_eq!(
        admin(
            &emu,
            Method::PUT,
            "/emulator/config",
            Some(json!({"token_ttl": 60}))
        )
        .0,
        200
    );
    let cr = demo_sa_token(&emu);

    let (status, answer) = post(&emu, "/emulator/reset", json!({}));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["restored"], "start");
    assert_eq!(answer["kid"], kid(&emu));
    assert_ne!(
        kid(&emu),
        first_kid,
        "a new key id: tokens from before are retired"
    );

    // Tokens of before: none is accepted.
    let old = json(get(&emu, "/coe/v2/accounts", Some(&bearer)).send().unwrap());
    assert_api_error(&old, 401, "BXNIM0302E");
    assert_token_error(
        &token_at(
            emu.url(),
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
            true,
        ),
        400,
        "BXNIM0407E",
    );
    assert_token_error(
        &token(
            &emu,
            &[("grant_type", PASSCODE_GRANT), ("passcode", &code)],
            true,
        ),
        400,
        "BXNIM0420E",
    );
    assert_token_error(
        &token(
            &emu,
            &[
                ("grant_type", CR_TOKEN_GRANT),
                ("cr_token", &cr),
                ("profile_id", &emu.info().profile_id),
            ],
            false,
        ),
        400,
        "BXNIM0450E",
    );
    // The world: what the test made is gone, its key logs in no more, the seed is back.
    assert_token_error(
        &token(
            &emu,
            &[("grant_type", APIKEY_GRANT), ("apikey", &key)],
            false,
        ),
        400,
        "BXNIM0415E",
    );
    let fresh = access_token(&emu);
    assert_eq!(service_id_names(&emu, &fresh), ["demo-service"]);
    // Clock, lifetimes, faults, stats, journal.
    let (_, clock) = admin(&emu, Method::GET, "/emulator/clock", None);
    assert_eq!(clock["offset_seconds"], 0);
    assert_eq!(
        claims(&fresh)["exp"].as_i64().unwrap() - claims(&fresh)["iat"].as_i64().unwrap(),
        3600
    );
    let (_, faults) = admin(&emu, Method::GET, "/emulator/faults", None);
    assert_eq!(faults["faults"], json!([]));
    let (_, stats) = admin(&emu, Method::GET, "/emulator/stats", None);
    assert!(
        stats["requests"].get("/v2/resource_groups").is_none(),
        "only what came after: {stats}"
    );
    assert_eq!(stats["requests"]["/identity/keys"], 2, "{stats}");
    let (_, journal) = admin(
        &emu,
        Method::GET,
        "/emulator/requests?path=/emulator/reset",
        None,
    );
    assert_eq!(
        journal["requests"][0]["seq"], 1,
        "the reset is the journal's first entry"
    );
}

#[test]
fn a_snapshot_is_what_a_reset_can_go_back_to() {
    let emu = start();
    let token = access_token(&emu);
    create_service_id(&emu, &token, "fixture");
    let rt = apikey_login(&emu, &emu.info().apikey, true)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    advance_clock(&emu, 100);
    let (status, taken) = post(&emu, "/emulator/snapshots", json!({"name": "after-setup"}));
    assert_eq!(status, 201, "{taken}");
    assert_eq!(taken["name"], "after-setup");

    for round in 0..2 {
        create_service_id(&emu, &access_token(&emu), &format!("test-only-{round}"));
        advance_clock(&emu, 1000);
        let (status, answer) = post(&emu, "/emulator/reset", json!({"snapshot": "after-setup"}));
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["restored"], "after-setup");
        let fresh = access_token(&emu);
        assert_eq!(
            service_id_names(&emu, &fresh),
            ["demo-service", "fixture"],
            "round {round}"
        );
        let (_, clock) = admin(&emu, Method::GET, "/emulator/clock", None);
        assert_eq!(clock["offset_seconds"], 100);
        // The snapshot holds the refresh session: its refresh token still works.
        let (status, refreshed) = token_at(
            emu.url(),
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
            true,
        );
        assert_eq!(status, 200, "{refreshed}");
    }
    // Back to the very start: no fixture.
    assert_eq!(post(&emu, "/emulator/reset", json!({})).0, 200);
    assert_eq!(
        service_id_names(&emu, &access_token(&emu)),
        ["demo-service"]
    );

    // Listing, replacing, deleting, refusals.
    let (_, list) = admin(&emu, Method::GET, "/emulator/snapshots", None);
    assert_eq!(list["snapshots"][0]["name"], "after-setup");
    assert_eq!(
        post(&emu, "/emulator/snapshots", json!({"name": "after-setup"})).0,
        201
    );
    for (body, status) in [
        (json!({"name": "a/b"}), 400),
        (json!({"name": ""}), 400),
        (json!({"nome": "x"}), 400),
    ] {
        assert_eq!(
            post(&emu, "/emulator/snapshots", body.clone()).0,
            status,
            "{body}"
        );
    }
    let (status, missing) = post(&emu, "/emulator/reset", json!({"snapshot": "nope"}));
    assert_eq!(status, 404, "{missing}");
    for i in 1..16 {
        assert_eq!(
            post(
                &emu,
                "/emulator/snapshots",
                json!({"name": format!("s{i}")})
            )
            .0,
            201
        );
    }
    let (status, full) = post(&emu, "/emulator/snapshots", json!({"name": "s16"}));
    assert_eq!(status, 429, "{full}");
    assert!(
        full["error"]
            .as_str()
            .unwrap()
            .contains("at most 16 snapshots"),
        "{full}"
    );
    assert_eq!(
        admin(&emu, Method::DELETE, "/emulator/snapshots/s1", None).0,
        204
    );
    assert_eq!(
        admin(&emu, Method::DELETE, "/emulator/snapshots/s1", None).0,
        404
    );
    assert_eq!(
        post(&emu, "/emulator/snapshots", json!({"name": "s16"})).0,
        201
    );
}

/// With `--state` a reset is written to the state file like any change: a restart resumes
/// the restored world, with the new key id.
#[test]
fn a_reset_reaches_the_state_file() {
    let dir = TempDir::new("reset-state");
    let state = dir.path("state.json");
    let (mut child, info) = start_binary(&[], &state);
    let url = info["url"].as_str().unwrap().to_owned();
    let (status, body) = ready_line_grant(&info, false);
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let made = client()
        .post(format!("{url}/v1/serviceids/"))
        .bearer_auth(&token)
        .json(&json!({"account_id": DEMO_ACCOUNT, "name": "gone-after-reset"}))
        .send()
        .unwrap();
    assert_eq!(made.status().as_u16(), 201);
    let reset: Value = client()
        .post(format!("{url}/emulator/reset"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    // SAFETY: kill(2) sends SIGTERM to the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert!(child.wait().unwrap().success());
    let (mut child, info) = start_binary(&[], &state);
    let url = info["url"].as_str().unwrap().to_owned();
    let (_, keys) = json(client().get(format!("{url}/identity/keys")).send().unwrap());
    assert_eq!(keys["keys"][0]["kid"], reset["kid"]);
    let (status, _) = json(
        client()
            .get(format!("{url}/coe/v2/accounts"))
            .bearer_auth(&token)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 401, "a token of before the reset, after a restart");
    let (_, body) = ready_line_grant(&info, false);
    let fresh = body["access_token"].as_str().unwrap();
    let (_, list) = json(
        client()
            .get(format!("{url}/v1/serviceids/?account_id={DEMO_ACCOUNT}"))
            .bearer_auth(fresh)
            .send()
            .unwrap(),
    );
    assert_eq!(list["serviceids"].as_array().unwrap().len(), 1, "{list}");
    let _ = child.kill();
    let _ = child.wait();
}
