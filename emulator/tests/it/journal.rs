//! The request journal (`GET /emulator/requests`): what each answered request was, newest
//! first, filterable, bounded to 1,000, off with `--no-journal`; and never a secret, after
//! logins of every kind and clients that put secrets where they should not.

use iam_emulator::Config;
use iam_emulator::seed::{DEMO_ACCOUNT, DEMO_USER_IAM_ID};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

const DELEGATED_GRANT: &str = "urn:ibm:params:oauth:grant-type:delegated-refresh-token";

fn journal(emu: &iam_emulator::Running, query: &str) -> (u16, Value) {
    admin(
        emu,
        Method::GET,
        &format!("/emulator/requests{query}"),
        None,
    )
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_owned()
}

/// Remembers the secrets of an answer (the values of `keys` in it).
fn keep(secrets: &mut Vec<String>, v: &Value, keys: &[&str]) {
    for k in keys {
        if let Some(s) = v[*k].as_str().filter(|s| s.len() > 8) {
            secrets.push(s.to_owned());
        }
    }
}

#[test]
fn no_secret_reaches_the_journal_after_logins_of_every_kind() {
    let emu = start();
    let info = emu.info().clone();
    let mut secrets: Vec<String> = vec![
        info.apikey.clone(),
        info.password.clone(),
        info.sso_password.clone(),
        info.service_apikey.clone(),
    ];
    // API key (user and service ID, with the CLI's client: a refresh token too).
    let user = apikey_login(&emu, &info.apikey, true);
    keep(&mut secrets, &user, &["access_token", "refresh_token"]);
    keep(
        &mut secrets,
        &apikey_login(&emu, &info.service_apikey, false),
        &["access_token"],
    );
    // Password.
    let (status, pw) = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", &info.username),
            ("password", &info.password),
        ],
        true,
    );
    assert_eq!(status, 200, "{pw}");
    keep(&mut secrets, &pw, &["access_token", "refresh_token"]);
    // Passcodes: from the admin API and from the passcode page.
    let code = passcode_for(&emu, None);
    secrets.push(code.clone());
    let (status, sso) = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", &code)],
        true,
    );
    assert_eq!(status, 200, "{sso}");
    keep(&mut secrets, &sso, &["access_token", "refresh_token"]);
    let page = client()
        .post(format!("{}/identity/passcode", emu.url()))
        .form(&[
            ("username", info.sso_user.as_str()),
            ("password", info.sso_password.as_str()),
        ])
        .send()
        .unwrap()
        .text()
        .unwrap();
    let page_code = page
        .split("<code id=\"passcode\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("a code on the page")
        .to_owned();
    secrets.push(page_code.clone());
    let (status, sso2) = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", &page_code)],
        true,
    );
    assert_eq!(status, 200, "{sso2}");
    keep(&mut secrets, &sso2, &["access_token", "refresh_token"]);
    // Refresh, and a delegated refresh token redeemed by kube (an ID token too).
    let rt = text(&user, "refresh_token");
    let (status, refreshed) = token(
        &emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("response_type", "cloud_iam delegated_refresh_token"),
            ("receiver_client_ids", "kube"),
        ],
        true,
    );
    assert_eq!(status, 200, "{refreshed}");
    keep(
        &mut secrets,
        &refreshed,
        &["access_token", "refresh_token", "delegated_refresh_token"],
    );
    let (status, kube) = token_as(
        &emu,
        &[
            ("grant_type", DELEGATED_GRANT),
            (
                "refresh_token",
                &text(&refreshed, "delegated_refresh_token"),
            ),
        ],
        Some(("kube", "kube")),
    );
    assert_eq!(status, 200, "{kube}");
    keep(
        &mut secrets,
        &kube,
        &["access_token", "refresh_token", "id_token"],
    );
    // A workload: cr-token grant, assume, and the VPC metadata service.
    let cr = demo_sa_token(&emu);
    secrets.push(cr.clone());
    let (status, wl) = token(
        &emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &cr),
            ("profile_id", &info.profile_id),
        ],
        false,
    );
    assert_eq!(status, 200, "{wl}");
    keep(&mut secrets, &wl, &["access_token"]);
    let (status, assumed) = token(
        &emu,
        &[
            ("grant_type", ASSUME_GRANT),
            ("access_token", &text(&user, "access_token")),
            ("profile_id", &info.profile_id),
        ],
        false,
    );
    assert_eq!(status, 200, "{assumed}");
    keep(&mut secrets, &assumed, &["access_token"]);
    let (status, ii) = json(
        client()
            .put(format!(
                "{}/identity/v1/token?version=2025-08-26",
                emu.url()
            ))
            .header("Metadata-Flavor", "ibm")
            .body("{}")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{ii}");
    keep(&mut secrets, &ii, &["access_token"]);
    let (status, vsi) = json(
        client()
            .post(format!(
                "{}/identity/v1/iam_tokens?version=2025-08-26",
                emu.url()
            ))
            .bearer_auth(text(&ii, "access_token"))
            .body(r#"{"trusted_profile": {"name": "demo-workload"}}"#)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{vsi}");
    keep(&mut secrets, &vsi, &["access_token"]);
    // Bearer calls, a key sent in a header, and careless clients: secrets in the query and
    // a token in the path.
    let bearer = text(&user, "access_token");
    let (status, _) = json(
        api(
            &emu,
            Method::GET,
            &format!("/v1/apikeys?account_id={DEMO_ACCOUNT}"),
            &bearer,
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200);
    let details = client()
        .get(format!("{}/v1/apikeys/details", emu.url()))
        .bearer_auth(&bearer)
        .header("IAM-ApiKey", &info.apikey)
        .send()
        .unwrap();
    assert_eq!(details.status().as_u16(), 200);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("apikey", &info.apikey)
        .append_pair("refresh_token", &rt)
        .append_pair("passcode", "X")
        .append_pair("account", "kept")
        .finish();
    let careless = client()
        .post(format!("{}/identity/token?{query}", emu.url()))
        .form(&[
            ("grant_type", APIKEY_GRANT),
            ("apikey", info.apikey.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(careless.status().as_u16(), 200);
    let in_query = get(
        &emu,
        &format!(
            "/coe/v2/accounts?token_hint={bearer}&x={}",
            text(&kube, "id_token")
        ),
        None,
    )
    .send()
    .unwrap();
    assert_eq!(in_query.status().as_u16(), 401);
    let in_path = get(
        &emu,
        &format!("/v1/apikeys/{}", text(&kube, "id_token")),
        Some(&bearer),
    )
    .send()
    .unwrap();
    assert_eq!(in_path.status().as_u16(), 404);

    let (status, got) = journal(&emu, "");
    assert_eq!(status, 200, "{got}");
    let raw = got.to_string();
    secrets.sort();
    secrets.dedup();
    assert!(secrets.len() >= 25, "{} secrets", secrets.len());
    for s in &secrets {
        assert!(
            !raw.contains(s.as_str()),
            "a secret ({}...) is in the journal: {raw}",
            &s[..8]
        );
    }
    assert!(!raw.contains("eyJ"), "a JWT is in the journal: {raw}");
    let entries = got["requests"].as_array().unwrap();
    // Newest first: the request with a token in its path was the last.
    assert_eq!(entries[0]["path"], "/v1/apikeys/[REDACTED]");
    assert_eq!(entries[0]["status"], 404);
    assert_eq!(
        entries[0]["iam_id"], DEMO_USER_IAM_ID,
        "the verified bearer names the caller"
    );
    assert_eq!(entries[1]["query"], "token_hint=[REDACTED]&x=[REDACTED]");
    assert_eq!(entries[1]["iam_id"], Value::Null, "no bearer, no caller");
    assert_eq!(
        entries[2]["query"],
        "apikey=[REDACTED]&refresh_token=[REDACTED]&passcode=[REDACTED]&account=kept"
    );
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] == w[1] + 1), "{seqs:?}");
    for e in entries {
        for key in ["seq", "time", "method", "path", "status", "duration_ms"] {
            assert!(!e[key].is_null(), "{key} missing: {e}");
        }
        assert!(e.get("body").is_none() && e.get("headers").is_none(), "{e}");
    }
    let tokens = entries
        .iter()
        .filter(|e| e["path"] == "/identity/token")
        .count();
    assert_eq!(tokens, 10, "every grant is journaled");
}

#[test]
fn the_journal_filters_is_bounded_and_clears() {
    let emu = start();
    let t = access_token(&emu);
    for path in ["/coe/v2/accounts", "/v2/resource_groups", "/nowhere"] {
        let _ = get(&emu, path, Some(&t)).send().unwrap();
    }
    let (_, all) = journal(&emu, "");
    let newest = all["requests"][0]["seq"].as_u64().unwrap();
    let q = |query: &str| {
        let (status, body) = journal(&emu, query);
        assert_eq!(status, 200, "{query}: {body}");
        body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(q("?path=/nowhere"), ["/nowhere"]);
    assert_eq!(q("?path=/coe/*"), ["/coe/v2/accounts"]);
    assert_eq!(q("?status=4xx"), ["/nowhere"]);
    assert_eq!(q("?status=404&method=get"), ["/nowhere"]);
    assert_eq!(q("?method=POST"), ["/identity/token"]);
    // No route matched /nowhere, so no bearer was checked there: its caller is not named.
    assert_eq!(
        q(&format!("?iam_id={DEMO_USER_IAM_ID}&limit=1")),
        ["/v2/resource_groups"]
    );
    assert_eq!(q(&format!("?after={}", newest - 1)), ["/nowhere"]);
    for bad in ["?status=six", "?limit=0", "?limit=1001", "?after=x"] {
        let (status, body) = journal(&emu, bad);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    // The admin API is journaled too (the journal's own path is not).
    assert_eq!(admin(&emu, Method::GET, "/emulator/clock", None).0, 200);
    assert_eq!(q("?limit=1"), ["/emulator/clock"]);

    // At most 1,000, the oldest forgotten first.
    let c = client();
    for _ in 0..1005 {
        let _ = c
            .get(format!("{}/identity/keys", emu.url()))
            .send()
            .unwrap();
    }
    let (_, full) = journal(&emu, "");
    let entries = full["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 1000);
    assert_eq!(full["capacity"], 1000);
    assert!(entries.iter().all(|e| e["path"] == "/identity/keys"));
    assert_eq!(entries[0]["seq"].as_u64().unwrap(), newest + 1 + 1005);

    assert_eq!(
        admin(&emu, Method::DELETE, "/emulator/requests", None).0,
        204
    );
    let (_, empty) = journal(&emu, "");
    assert_eq!(empty["requests"], json!([]));
}

#[test]
fn a_dropped_request_is_journaled_without_a_status() {
    let emu = start();
    let got = admin(
        &emu,
        Method::POST,
        "/emulator/faults",
        Some(json!({"path": "/identity/keys", "drop": true})),
    );
    assert_eq!(got.0, 200);
    assert!(
        client()
            .get(format!("{}/identity/keys", emu.url()))
            .send()
            .is_err()
    );
    // The connection task drops the request's future once the socket is gone.
    let mut last = Value::Null;
    for _ in 0..50 {
        let (_, got) = journal(&emu, "?path=/identity/keys");
        last = got["requests"][0].clone();
        if !last.is_null() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(last["status"], 0, "{last}");
}

#[test]
fn without_a_journal_nothing_is_kept_and_the_reader_says_so() {
    let emu = start_with(Config {
        journal: false,
        ..Config::default()
    });
    let _ = access_token(&emu);
    let (status, body) = journal(&emu, "");
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("--no-journal"),
        "{body}"
    );
    assert_eq!(
        admin(&emu, Method::DELETE, "/emulator/requests", None).0,
        404
    );

    // The binary's switch.
    let dir = TempDir::new("no-journal");
    let (mut child, info) = start_binary(&["--no-journal"], &dir.path("state.json"));
    let url = info["url"].as_str().unwrap();
    let resp = client()
        .get(format!("{url}/emulator/requests"))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let _ = child.kill();
    let _ = child.wait();
}
