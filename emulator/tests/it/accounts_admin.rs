//! Accounts, resource groups, the admin API (stats, faults), the passcode page, and the
//! binary's contract.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use iam_emulator::seed;
use reqwest::Method;
use serde_json::{Value, json};

#[test]
fn accounts_lists_only_the_callers_accounts_with_ims_links() {
    let emu = start();
    let t = access_token(&emu);
    let (status, body) = json(get(&emu, "/coe/v2/accounts", Some(&t)).send().unwrap());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_results"], 2);
    assert!(body.get("next_url").is_some());
    let res = body["resources"].as_array().unwrap();
    let ids: Vec<_> = res
        .iter()
        .map(|r| r["metadata"]["guid"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [seed::DEMO_ACCOUNT, seed::STAGING_ACCOUNT]);
    assert_eq!(
        res[0]["metadata"]["linked_accounts"],
        json!([{"origin": "IMS", "id": "1234567"}])
    );
    assert_eq!(res[1]["metadata"]["linked_accounts"], json!([]));
    let entity = &res[0]["entity"];
    assert_eq!(entity["name"], "Demo Account");
    assert_eq!(entity["state"], "ACTIVE");
    assert_eq!(entity["owner_iam_id"], "IBMid-6650001DMO");
    for k in ["created_at", "updated_at", "url"] {
        assert!(res[0]["metadata"][k].is_string(), "{k}");
    }

    // The service ID belongs to its one account.
    let st = apikey_login(&emu, &emu.info().service_apikey, false)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = json(get(&emu, "/coe/v2/accounts", Some(&st)).send().unwrap());
    assert_eq!(body["total_results"], 1);
}

#[test]
fn platform_apis_require_a_valid_bearer_token() {
    let emu = start();
    for path in ["/coe/v2/accounts", "/v2/resource_groups"] {
        let none = json(get(&emu, path, None).send().unwrap());
        assert_api_error(&none, 401, "BXNIM0308E");
        assert_eq!(
            none.1["errors"][0]["message"],
            "No authorization header found"
        );
        let garbage = json(get(&emu, path, Some("garbage")).send().unwrap());
        assert_api_error(&garbage, 401, "BXNIM0302E");
        let basic = json(
            client()
                .get(format!("{}{path}", emu.url()))
                .basic_auth("bx", Some("bx"))
                .send()
                .unwrap(),
        );
        assert_api_error(&basic, 401, "BXNIM0302E");
    }
    // A token signed by another emulator (another key) is refused.
    let other = start();
    let foreign = access_token(&other);
    let e = json(
        get(&emu, "/coe/v2/accounts", Some(&foreign))
            .send()
            .unwrap(),
    );
    assert_api_error(&e, 401, "BXNIM0302E");
    // Expired.
    admin(
        &emu,
        Method::PUT,
        "/emulator/config",
        Some(json!({"token_ttl": 1})),
    );
    let short = access_token(&emu);
    advance_clock(&emu, 2);
    let e = json(get(&emu, "/coe/v2/accounts", Some(&short)).send().unwrap());
    assert_api_error(&e, 401, "BXNIM0303E");
}

#[test]
fn resource_groups_per_account() {
    let emu = start();
    let t = access_token(&emu);
    let path = format!("/v2/resource_groups?account_id={}", seed::DEMO_ACCOUNT);
    let (status, body) = json(get(&emu, &path, Some(&t)).send().unwrap());
    assert_eq!(status, 200, "{body}");
    let groups = body["resources"].as_array().unwrap();
    assert!(groups.len() >= 2);
    let default: Vec<_> = groups.iter().filter(|g| g["default"] == true).collect();
    assert_eq!(default.len(), 1);
    assert_eq!(default[0]["name"], "Default");
    for g in groups {
        assert_eq!(g["account_id"], seed::DEMO_ACCOUNT);
        assert_eq!(g["state"], "ACTIVE");
        for k in ["id", "crn", "name", "quota_id", "created_at", "updated_at"] {
            assert!(g[k].is_string(), "{k}: {g}");
        }
    }
    // Another member account of the same user works too.
    let path = format!("/v2/resource_groups?account_id={}", seed::STAGING_ACCOUNT);
    let (status, body) = json(get(&emu, &path, Some(&t)).send().unwrap());
    assert_eq!(status, 200);
    assert!(body["resources"].as_array().unwrap().len() >= 2);
    // No account_id: the token's account.
    let (_, body) = json(get(&emu, "/v2/resource_groups", Some(&t)).send().unwrap());
    assert_eq!(body["resources"][0]["account_id"], seed::DEMO_ACCOUNT);
    // Filters.
    let path = format!(
        "/v2/resource_groups?account_id={}&default=true",
        seed::DEMO_ACCOUNT
    );
    let (_, body) = json(get(&emu, &path, Some(&t)).send().unwrap());
    assert_eq!(body["resources"].as_array().unwrap().len(), 1);
    let path = format!(
        "/v2/resource_groups?account_id={}&name=dev",
        seed::DEMO_ACCOUNT
    );
    let (_, body) = json(get(&emu, &path, Some(&t)).send().unwrap());
    assert_eq!(body["resources"][0]["name"], "dev");
    // Not a member: refused.
    let path = format!("/v2/resource_groups?account_id={}", seed::PARTNER_ACCOUNT);
    let e = json(get(&emu, &path, Some(&t)).send().unwrap());
    assert_api_error(&e, 403, "BXNIM0513E");
    // One group by id.
    let id = default[0]["id"].as_str().unwrap();
    let (status, g) = json(
        get(&emu, &format!("/v2/resource_groups/{id}"), Some(&t))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(g["name"], "Default");
}

#[test]
fn stats_count_grants_and_paths() {
    let emu = start();
    apikey_login(&emu, &emu.info().apikey, false);
    token(
        &emu,
        &[("grant_type", APIKEY_GRANT), ("apikey", "wrong")],
        false,
    );
    token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "x"),
            ("password", "y"),
        ],
        false,
    );
    let t = access_token(&emu);
    get(&emu, "/coe/v2/accounts", Some(&t)).send().unwrap();
    let (status, stats) = admin(&emu, Method::GET, "/emulator/stats", None);
    assert_eq!(status, 200);
    assert_eq!(stats["token_grants"][APIKEY_GRANT], 3);
    assert_eq!(stats["token_grants"]["password"], 1);
    assert_eq!(stats["requests"]["/identity/token"], 4);
    assert_eq!(stats["requests"]["/coe/v2/accounts"], 1);
    assert!(stats["requests"].get("/emulator/stats").is_none());
}

#[test]
fn status_faults_answer_ibm_errors_then_recover() {
    let emu = start();
    let (status, _) = admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/identity/token", "status": 503, "count": 2, "retry_after": 7})),
    );
    assert_eq!(status, 200);
    for _ in 0..2 {
        let resp = client()
            .post(format!("{}/identity/token", emu.url()))
            .form(&[("grant_type", APIKEY_GRANT), ("apikey", seed::DEMO_APIKEY)])
            .send()
            .unwrap();
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_token_error(&json(resp), 503, "BXNIM0001E");
    }
    apikey_login(&emu, seed::DEMO_APIKEY, false);

    // Platform paths get the platform error shape; no Retry-After unless asked.
    admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/coe/v2/accounts", "status": 500})),
    );
    let t = access_token(&emu);
    let resp = get(&emu, "/coe/v2/accounts", Some(&t)).send().unwrap();
    assert!(resp.headers().get("retry-after").is_none());
    assert_api_error(&json(resp), 500, "BXNIM0001E");
    let (status, _) = json(get(&emu, "/coe/v2/accounts", Some(&t)).send().unwrap());
    assert_eq!(status, 200);

    // DELETE clears armed faults.
    admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/identity/token", "status": 500, "count": 100})),
    );
    let (status, _) = admin(&emu, Method::DELETE, "/emulator/faults", None);
    assert_eq!(status, 204);
    apikey_login(&emu, seed::DEMO_APIKEY, false);

    // Malformed fault requests are refused.
    for bad in [
        json!({"status": 503}),
        json!({"path": "/identity/token"}),
        json!({"path": "/identity/token", "status": 503, "drop": true}),
        json!({"path": "/identity/token", "status": 200}),
        json!({"path": "/identity/token", "redirect": "http://x.test/", "status": 404}),
        json!({"path": "/identity/token", "redirect": "http://x.test/", "drop": true}),
        json!({"path": "/identity/token", "redirect": "bad\nurl"}),
    ] {
        let (status, _) = admin(&emu, Method::POST, "/emulator/faults", Some(bad.clone()));
        assert_eq!(status, 400, "{bad}");
    }
}

#[test]
fn redirect_faults_send_clients_elsewhere_once() {
    let emu = start();
    let (status, _) = admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(
            json!({"path": "/identity/token", "redirect": "http://elsewhere.test/identity/token"}),
        ),
    );
    assert_eq!(status, 200);
    let resp = client()
        .post(format!("{}/identity/token", emu.url()))
        .form(&[("grant_type", APIKEY_GRANT), ("apikey", seed::DEMO_APIKEY)])
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 307);
    assert_eq!(
        resp.headers()["location"],
        "http://elsewhere.test/identity/token"
    );
    // The redirected request still counts, like any faulted token request.
    let (_, stats) = admin(&emu, Method::GET, "/emulator/stats", None);
    assert_eq!(stats["token_grants"][APIKEY_GRANT], 1);

    admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/identity/keys", "redirect": "/identity/elsewhere", "status": 301})),
    );
    let resp = get(&emu, "/identity/keys", None).send().unwrap();
    assert_eq!(resp.status().as_u16(), 301);
    assert_eq!(resp.headers()["location"], "/identity/elsewhere");
    let (status, _) = json(get(&emu, "/identity/keys", None).send().unwrap());
    assert_eq!(status, 200);
}

#[test]
fn delay_and_drop_faults() {
    let emu = start();
    admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/identity/keys", "delay_ms": 400, "count": 1})),
    );
    let t0 = Instant::now();
    let (status, _) = json(get(&emu, "/identity/keys", None).send().unwrap());
    assert_eq!(status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(400));
    let t0 = Instant::now();
    get(&emu, "/identity/keys", None).send().unwrap();
    assert!(t0.elapsed() < Duration::from_millis(400));

    admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/identity/token", "drop": true, "count": 1})),
    );
    let err = client()
        .post(format!("{}/identity/token", emu.url()))
        .form(&[("grant_type", APIKEY_GRANT), ("apikey", seed::DEMO_APIKEY)])
        .send()
        .expect_err("connection is cut without a response");
    assert!(!err.is_status(), "{err}");
    apikey_login(&emu, seed::DEMO_APIKEY, false);
}

#[test]
fn passcode_page_signs_in_and_shows_a_code() {
    let emu = start();
    let page = client()
        .get(format!("{}/identity/passcode", emu.url()))
        .send()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().unwrap();
    assert!(html.contains("<form") && html.contains("name=\"password\""));

    let post = |user: &str, pw: &str| {
        client()
            .post(format!("{}/identity/passcode", emu.url()))
            .form(&[("username", user), ("password", pw)])
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    let wrong = post("sso@example.com", "nope");
    assert!(wrong.contains("id=\"error\"") && wrong.contains("<form"));
    assert!(!wrong.contains("id=\"passcode\""));
    let ok = post("sso@example.com", "sso-password");
    let start = ok.find("id=\"passcode\">").expect("passcode element") + "id=\"passcode\">".len();
    let code = &ok[start..start + ok[start..].find('<').unwrap()];
    assert_eq!(code.len(), 10);
    let (status, tok) = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", code)],
        true,
    );
    assert_eq!(status, 200, "{tok}");
    assert_eq!(
        claims(tok["access_token"].as_str().unwrap())["email"],
        "sso@example.com"
    );
    let reused = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", code)],
        true,
    );
    assert_token_error(&reused, 400, "BXNIM0420E");
}

#[test]
fn binary_prints_the_ready_line_first_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
        .args(["--listen", "127.0.0.1:0", "--token-ttl", "900"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("ready line: {line}"));
    let url = info["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with('/'));
    for k in ["apikey", "username", "password", "sso_user"] {
        assert!(info[k].as_str().is_some_and(|v| !v.is_empty()), "{k}");
    }
    assert_eq!(info["accounts"].as_array().unwrap().len(), 3);
    let (status, tok) = ready_line_grant(&info, false);
    assert_eq!(status, 200);
    assert_eq!(tok["expires_in"], 900);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

// SIGTERM the moment the ready line is read must stop the binary cleanly (exit 0), never
// kill it: a script may stop the emulator as soon as it has the line. The race was lost
// about 3 times in 30, so the test runs many rounds, each bounded.
#[cfg(unix)]
#[test]
fn binary_stops_cleanly_on_sigterm_right_after_the_ready_line() {
    for round in 0..40 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("{\"url\":"), "round {round}: {line}");
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: kill(2) with our own child's pid and a standard signal.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("round {round}: still running 20 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(status.code(), Some(0), "round {round}: {status}");
    }
}

#[test]
fn binary_refuses_a_bad_seed() {
    let dir = std::env::temp_dir().join(format!("iam-emu-badseed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(&seed, r#"{"accounts": [{"id": "a"}]}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
        .arg("--seed")
        .arg(&seed)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("seed"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn faulted_token_requests_still_count_by_grant_type() {
    let emu = start();
    admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/identity/token", "status": 503, "count": 2})),
    );
    admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/identity/token", "delay_ms": 10, "count": 1})),
    );
    for _ in 0..2 {
        let (status, _) = token(
            &emu,
            &[("grant_type", APIKEY_GRANT), ("apikey", seed::DEMO_APIKEY)],
            false,
        );
        assert_eq!(status, 503);
    }
    apikey_login(&emu, seed::DEMO_APIKEY, false); // delayed, then answered
    apikey_login(&emu, seed::DEMO_APIKEY, false);
    let (_, stats) = admin(&emu, Method::GET, "/emulator/stats", None);
    assert_eq!(stats["token_grants"][APIKEY_GRANT], 4, "{stats}");
    assert_eq!(stats["requests"]["/identity/token"], 4, "{stats}");
}

#[test]
fn wrong_methods_on_platform_apis_answer_405() {
    let emu = start();
    let t = access_token(&emu);
    let resp = client()
        .patch(format!("{}/v1/serviceids/", emu.url()))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_api_error(&json(resp), 405, "BXNIM0060E");
    let resp = client()
        .post(format!("{}/identity/keys", emu.url()))
        .send()
        .unwrap();
    assert_api_error(&json(resp), 405, "BXNIM0060E");
    let resp = client().get(format!("{}/nope", emu.url())).send().unwrap();
    assert_api_error(&json(resp), 404, "BXNIM0102E");
}
