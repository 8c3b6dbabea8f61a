//! The emulator's clock (`GET`/`POST /emulator/clock`): tokens, refresh sessions, passcodes and
//! entity times follow it, so expiry is tested by moving it rather than by waiting.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;
use iam_emulator::seed::DEMO_ACCOUNT;
use iam_emulator::{Config, Running};

/// Every bearer-authenticated API: identity v1, accounts, resource groups.
const BEARER_PATHS: &[&str] = &[
    "/v1/apikeys",
    "/v1/serviceids/?account_id=b028e1c4a7d94f3e8c6f2a1d5e7b9793",
    "/coe/v2/accounts",
    "/v2/resource_groups",
];

fn statuses(emu: &Running, token: &str) -> Vec<(u16, Value)> {
    BEARER_PATHS
        .iter()
        .map(|p| json(get(emu, p, Some(token)).send().unwrap()))
        .collect()
}

#[test]
fn clock_api_reports_and_adds_up_offsets() {
    let emu = start();
    let (status, c) = admin(&emu, Method::GET, "/emulator/clock", None);
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["offset_seconds"], 0);
    assert!((c["now"].as_i64().unwrap() - real_now()).abs() <= 2, "{c}");

    let c = advance_clock(&emu, 3600);
    assert_eq!(c["offset_seconds"], 3600);
    assert!(
        (c["now"].as_i64().unwrap() - real_now() - 3600).abs() <= 2,
        "{c}"
    );
    let c = advance_clock(&emu, -5000);
    assert_eq!(c["offset_seconds"], -1400);
    assert!(
        (c["now"].as_i64().unwrap() - real_now() + 1400).abs() <= 2,
        "{c}"
    );

    // Bad bodies answer the admin API's 400 and leave the clock alone.
    for body in [
        "",
        "{}",
        "not json",
        r#"{"advance_seconds": "10"}"#,
        r#"{"advance_seconds": 1.5}"#,
        r#"{"advance_seconds": 10, "extra": 1}"#,
        r#"{"advance_seconds": 9223372036854775807}"#,
        r#"{"advance_seconds": -9223372036854775808}"#,
        r#"{"advance_seconds": 99999999999999999999}"#,
    ] {
        let resp = client()
            .post(format!("{}/emulator/clock", emu.url()))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .unwrap();
        let (status, err) = json(resp);
        assert_eq!(status, 400, "{body}: {err}");
        assert!(
            err["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{err}"
        );
    }
    let (_, c) = admin(&emu, Method::GET, "/emulator/clock", None);
    assert_eq!(c["offset_seconds"], -1400);
    // Admin requests are never counted.
    let (_, stats) = admin(&emu, Method::GET, "/emulator/stats", None);
    assert!(
        stats["requests"].get("/emulator/clock").is_none(),
        "{stats}"
    );
}

#[test]
fn access_tokens_expire_when_the_clock_passes_exp() {
    let emu = start();
    let tok = apikey_login(&emu, &emu.info().apikey, false);
    let t = tok["access_token"].as_str().unwrap();
    let exp = claims(t)["exp"].as_i64().unwrap();
    for (status, body) in statuses(&emu, t) {
        assert_eq!(status, 200, "{body}");
    }
    // Shortly before exp it still works; once the clock passes exp it is expired on every
    // bearer API. (30 s of margin: real time moves on while the test runs.)
    let now = advance_clock(&emu, 0)["now"].as_i64().unwrap();
    advance_clock(&emu, exp - now - 30);
    for (status, body) in statuses(&emu, t) {
        assert_eq!(status, 200, "{body}");
    }
    advance_clock(&emu, 31);
    for got in statuses(&emu, t) {
        assert_api_error(&got, 401, "BXNIM0303E");
        assert_eq!(
            got.1["errors"][0]["message"],
            "The provided access token is expired."
        );
    }
    // The clock is the only judge: back in time, the same token is valid again.
    advance_clock(&emu, -31);
    for (status, body) in statuses(&emu, t) {
        assert_eq!(status, 200, "{body}");
    }
    // A token issued on the moved clock lives its full lifetime from there.
    let now = advance_clock(&emu, 10_000)["now"].as_i64().unwrap();
    let fresh = access_token(&emu);
    let c = claims(&fresh);
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600
    );
    assert!((c["iat"].as_i64().unwrap() - now).abs() <= 2, "{c}");
    for (status, body) in statuses(&emu, &fresh) {
        assert_eq!(status, 200, "{body}");
    }
}

#[test]
fn refresh_tokens_expire_when_the_clock_passes_their_lifetime() {
    let emu = start_with(Config {
        refresh_token_ttl: 7200,
        ..Default::default()
    });
    let tok = apikey_login(&emu, &emu.info().apikey, true);
    let rt = tok["refresh_token"].as_str().unwrap().to_owned();
    let now = advance_clock(&emu, 0)["now"].as_i64().unwrap();
    let rexp = tok["refresh_token_expiration"].as_i64().unwrap();
    assert!((rexp - now - 7200).abs() <= 2, "{tok}");

    let refresh = |emu: &Running| {
        token(
            emu,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
            true,
        )
    };
    let moved = advance_clock(&emu, rexp - now - 30)["now"]
        .as_i64()
        .unwrap();
    let (status, again) = refresh(&emu);
    assert_eq!(status, 200, "{again}");
    // The refresh token it hands out lives from the moved clock on.
    let next = again["refresh_token_expiration"].as_i64().unwrap();
    assert!((next - moved - 7200).abs() <= 2, "{again}");
    advance_clock(&emu, 31);
    let expired = refresh(&emu);
    assert_token_error(&expired, 400, "BXNIM0408E");
    assert_eq!(
        expired.1["errorMessage"],
        "Provided refresh token is expired."
    );
}

#[test]
fn a_clock_moved_back_issues_tokens_about_to_expire() {
    let emu = start();
    let c = advance_clock(&emu, -3590);
    assert_eq!(c["offset_seconds"], -3590);
    let tok = apikey_login(&emu, &emu.info().apikey, true);
    let at = claims(tok["access_token"].as_str().unwrap());
    let exp = at["exp"].as_i64().unwrap();
    // What a client sees: a token with ten seconds left by its own (real) clock.
    assert!((exp - real_now() - 10).abs() <= 2, "exp {exp}");
    assert_eq!(exp - at["iat"].as_i64().unwrap(), 3600);
    assert_eq!(tok["expiration"].as_i64(), Some(exp));
    assert_eq!(tok["expires_in"], 3600);
    let rexp = tok["refresh_token_expiration"].as_i64().unwrap();
    assert!(
        (rexp - real_now() + 3590 - 30 * 24 * 3600).abs() <= 2,
        "{tok}"
    );
    // The emulator itself still accepts it: by its clock the token is fresh.
    for (status, body) in statuses(&emu, tok["access_token"].as_str().unwrap()) {
        assert_eq!(status, 200, "{body}");
    }
}

#[test]
fn passcodes_expire_by_the_clock() {
    let emu = start();
    let exchange = |emu: &Running, code: &str| {
        token(
            emu,
            &[("grant_type", PASSCODE_GRANT), ("passcode", code)],
            true,
        )
    };
    let code = passcode_for(&emu, None);
    advance_clock(&emu, 270);
    let (status, body) = exchange(&emu, &code);
    assert_eq!(status, 200, "a passcode works for its five minutes: {body}");

    let code = passcode_for(&emu, None);
    advance_clock(&emu, 301);
    let expired = exchange(&emu, &code);
    assert_token_error(&expired, 400, "BXNIM0420E");
    assert!(
        expired.1["errorDetails"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{}",
        expired.1
    );
    // The passcode page's codes follow the same clock.
    let page = client()
        .post(format!("{}/identity/passcode", emu.url()))
        .form(&[
            ("username", "sso@example.com"),
            ("password", "sso-password"),
        ])
        .send()
        .unwrap()
        .text()
        .unwrap();
    let code = page
        .split("<code id=\"passcode\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    advance_clock(&emu, 301);
    assert_token_error(&exchange(&emu, &code), 400, "BXNIM0420E");
}

#[test]
fn entity_times_and_error_times_follow_the_clock() {
    let emu = start();
    // 400 days on: a day no test run can be on by accident.
    let c = advance_clock(&emu, 400 * 24 * 3600);
    let now = c["now"].as_i64().unwrap();
    let t = access_token(&emu);
    let (status, sid) = json(
        client()
            .post(format!("{}/v1/serviceids/", emu.url()))
            .bearer_auth(&t)
            .json(&json!({"account_id": DEMO_ACCOUNT, "name": "future"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{sid}");
    let created = ibm_minute_secs(sid["created_at"].as_str().unwrap());
    assert!(
        (created - now).abs() <= 120,
        "{} vs {now}",
        sid["created_at"]
    );
    assert_eq!(sid["modified_at"], sid["created_at"]);
    // An update (and its history entry) an hour later carries the later time.
    advance_clock(&emu, 3600);
    let t = access_token(&emu);
    let path = format!("/v1/serviceids/{}", sid["id"].as_str().unwrap());
    let (status, updated) = json(
        client()
            .put(format!("{}{path}", emu.url()))
            .bearer_auth(&t)
            .header("If-Match", "*")
            .json(&json!({"name": "later"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{updated}");
    let modified = ibm_minute_secs(updated["modified_at"].as_str().unwrap());
    assert!((modified - now - 3600).abs() <= 120, "{updated}");
    let (_, got) = json(
        get(&emu, &format!("{path}?include_history=true"), Some(&t))
            .send()
            .unwrap(),
    );
    assert_eq!(got["history"][1]["timestamp"], updated["modified_at"]);

    // Error bodies' context times are the emulator's too.
    let (status, err) = json(
        get(&emu, "/v1/apikeys/ApiKey-none", Some(&t))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404, "{err}");
    let year = |s: &str| s.split(['.', ' ']).nth(2).unwrap().parse::<i64>().unwrap();
    let start = err["context"]["start_time"].as_str().unwrap();
    let expected_year = 1970 + (now + 3600) / 31_556_952;
    assert!((year(start) - expected_year).abs() <= 1, "{start}");
}

/// Epoch seconds of an IAM v1 timestamp (`2026-02-19T18:59+0000`).
fn ibm_minute_secs(s: &str) -> i64 {
    let t: jiff::Timestamp = format!("{}:00Z", s.trim_end_matches("+0000"))
        .parse()
        .unwrap_or_else(|e| panic!("{s}: {e}"));
    t.as_second()
}

#[test]
fn the_clock_offset_survives_a_restart_with_state() {
    let dir = std::env::temp_dir().join(format!(
        "iam-emu-clock-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    let config = || Config {
        state: Some(state.clone()),
        ..Default::default()
    };
    let emu = start_with(config());
    advance_clock(&emu, 5000);
    let t = access_token(&emu);
    drop(emu);

    let emu = start_with(config());
    let (_, c) = admin(&emu, Method::GET, "/emulator/clock", None);
    assert_eq!(c["offset_seconds"], 5000);
    // The token issued on the moved clock is as valid as before the restart...
    for (status, body) in statuses(&emu, &t) {
        assert_eq!(status, 200, "{body}");
    }
    // ...and expires on the same clock.
    advance_clock(&emu, 3601);
    assert_api_error(
        &json(get(&emu, "/coe/v2/accounts", Some(&t)).send().unwrap()),
        401,
        "BXNIM0303E",
    );
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}
