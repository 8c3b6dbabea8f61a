//! The token service: every grant, client credentials, JWT claims and keys, and every error.

use crate::common::*;
use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iam_emulator::seed;
use serde_json::{Value, json};

#[test]
fn ready_info_describes_the_demo_world() {
    let emu = start();
    let info = emu.info();
    assert!(info.url.starts_with("http://127.0.0.1:"));
    assert!(!info.url.ends_with('/'));
    assert_eq!(emu.url(), info.url);
    assert_eq!(info.apikey, seed::DEMO_APIKEY);
    assert_eq!(info.username, "demo@example.com");
    assert_eq!(info.password, "demo-password");
    assert_eq!(info.sso_user, "sso@example.com");
    assert_eq!(info.accounts.len(), 3);
    let line: Value = serde_json::from_str(&info.to_json_line()).unwrap();
    for k in [
        "url", "apikey", "username", "password", "sso_user", "accounts",
    ] {
        assert!(!line[k].is_null(), "{k}");
    }
    assert_eq!(line["accounts"][0]["id"], seed::DEMO_ACCOUNT);
    assert_eq!(line["accounts"][0]["name"], "Demo Account");
}

#[test]
fn seed_curl_forms_all_succeed() {
    let emu = start();
    let key = &emu.info().apikey;
    let raw = format!("grant_type=urn:ibm:params:oauth:grant-type:apikey&apikey={key}");
    let encoded =
        format!("grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey&apikey={key}");
    for body in [&raw, &encoded] {
        let (status, tok) = token_raw(&emu, body, false);
        assert_eq!(status, 200, "{tok}");
        assert_eq!(tok["token_type"], "Bearer");
        assert_eq!(tok["expires_in"], 3600);
        assert_eq!(tok["scope"], "ibm openid");
        assert_eq!(tok["refresh_token"], "not_supported");
        assert!(tok.get("refresh_token_expiration").is_none());
        assert!(tok["expiration"].as_i64().unwrap() > 1_700_000_000);
        assert!(tok["session_id"].is_string());
        assert_eq!(tok["ims_user_id"], 7_100_001);
    }
    // Without an Accept header and with a lowercase content type, as some seeds write it.
    let resp = client()
        .post(format!("{}/identity/token", emu.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encoded.clone())
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // --data-urlencode style: every field percent-encoded by the client.
    apikey_login(&emu, key, false);
}

#[test]
fn bx_client_gets_a_real_refresh_token_that_refreshes() {
    let emu = start();
    let tok = apikey_login(&emu, &emu.info().apikey, true);
    let rt = tok["refresh_token"].as_str().unwrap();
    assert_ne!(rt, "not_supported");
    assert!(rt.len() > 40);
    let rexp = tok["refresh_token_expiration"].as_i64().unwrap();
    assert!(rexp > tok["expiration"].as_i64().unwrap() + 29 * 24 * 3600);
    assert_eq!(
        claims(tok["access_token"].as_str().unwrap())["client_id"],
        "bx"
    );

    let (status, again) = token(
        &emu,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        true,
    );
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["session_id"], tok["session_id"]);
    let c = claims(again["access_token"].as_str().unwrap());
    assert_eq!(c["iam_id"], "IBMid-6650001DMO");
    assert_eq!(c["account"]["bss"], seed::DEMO_ACCOUNT);
    assert_eq!(c["grant_type"], APIKEY_GRANT);
    assert_ne!(again["refresh_token"], "not_supported");
}

#[test]
fn access_tokens_carry_ibm_claims_and_verify_against_jwks() {
    let emu = start();
    let tok = apikey_login(&emu, &emu.info().apikey, false);
    let jwt = tok["access_token"].as_str().unwrap();
    let c = claims(jwt);
    for k in [
        "iam_id",
        "id",
        "realmid",
        "session_id",
        "jti",
        "identifier",
        "given_name",
        "family_name",
        "name",
        "email",
        "sub",
        "sub_type",
        "iss",
        "grant_type",
        "scope",
        "client_id",
    ] {
        assert!(c[k].is_string(), "claim {k}: {c}");
    }
    assert_eq!(c["iss"], format!("{}/identity", emu.url()));
    assert_eq!(c["email"], "demo@example.com");
    assert_eq!(c["client_id"], "default");
    assert_eq!(c["scope"], "ibm openid");
    assert_eq!(c["session_id"], tok["session_id"]);
    assert_eq!(
        c["account"],
        json!({"boundary": "global", "valid": true, "bss": seed::DEMO_ACCOUNT, "ims": "1234567", "frozen": true})
    );
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(tok["expiration"], c["exp"]);
    assert!(c["acr"].is_number() && c["amr"].is_array());

    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    let (status, jwks) = json(get(&emu, "/identity/keys", None).send().unwrap());
    assert_eq!(status, 200);
    let key = &jwks["keys"][0];
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["kid"], header["kid"]);
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &sig)
        .expect("token verifies against the JWKS");
}

#[test]
fn discovery_document_points_at_our_endpoints() {
    let emu = start();
    let (status, doc) = json(
        get(&emu, "/identity/.well-known/openid-configuration", None)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let u = emu.url();
    assert_eq!(doc["issuer"], format!("{u}/identity"));
    assert_eq!(doc["token_endpoint"], format!("{u}/identity/token"));
    assert_eq!(doc["passcode_endpoint"], format!("{u}/identity/passcode"));
    assert_eq!(doc["jwks_uri"], format!("{u}/identity/keys"));
    let grants = doc["grant_types_supported"].as_array().unwrap();
    for g in [APIKEY_GRANT, PASSCODE_GRANT, "refresh_token", "password"] {
        assert!(grants.contains(&json!(g)), "{g}");
    }
}

#[test]
fn service_id_keys_log_in_as_the_service_id() {
    let emu = start();
    let tok = apikey_login(&emu, &emu.info().service_apikey, false);
    let c = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(c["sub_type"], "ServiceId");
    assert_eq!(c["realmid"], "iam");
    let iam_id = c["iam_id"].as_str().unwrap();
    assert!(iam_id.starts_with("iam-ServiceId-"), "{iam_id}");
    assert_eq!(c["id"], iam_id);
    assert_eq!(c["sub"], iam_id.strip_prefix("iam-").unwrap());
    assert_eq!(c["identifier"], c["sub"]);
    assert!(c.get("email").is_none());
    assert!(tok.get("ims_user_id").is_none());
}

#[test]
fn api_key_grant_scopes_to_the_keys_account() {
    let emu = start();
    let tok = apikey_login(&emu, seed::OTHER_APIKEY, false);
    let c = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(c["account"]["bss"], seed::PARTNER_ACCOUNT);
    assert!(c["account"].get("ims").is_none());
}

#[test]
fn password_grant() {
    let emu = start();
    let (status, tok) = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "demo@example.com"),
            ("password", "demo-password"),
        ],
        true,
    );
    assert_eq!(status, 200, "{tok}");
    let c = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(c["grant_type"], "password");
    assert_eq!(c["account"]["bss"], seed::DEMO_ACCOUNT);
    // Usernames are case-insensitive, like IBMid.
    let (status, _) = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "Demo@Example.com"),
            ("password", "demo-password"),
        ],
        false,
    );
    assert_eq!(status, 200);

    let wrong = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "demo@example.com"),
            ("password", "nope"),
        ],
        true,
    );
    assert_token_error(&wrong, 400, "BXNIM0602E");
    let unknown = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "ghost@example.com"),
            ("password", "x"),
        ],
        true,
    );
    assert_token_error(&unknown, 400, "BXNIM0602E");
    let federated = token(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "sso@example.com"),
            ("password", "sso-password"),
        ],
        true,
    );
    assert_token_error(&federated, 400, "BXNIM0608E");
    let text = format!(
        "{}{}",
        federated.1["errorMessage"], federated.1["errorDetails"]
    );
    assert!(text.contains("passcode"), "{text}");
    let missing = token(
        &emu,
        &[("grant_type", "password"), ("username", "demo@example.com")],
        true,
    );
    assert_token_error(&missing, 400, "BXNIM0109E");
    assert!(
        missing.1["errorMessage"]
            .as_str()
            .unwrap()
            .contains("'password'")
    );
    let missing = token(&emu, &[("grant_type", "password"), ("password", "x")], true);
    assert_token_error(&missing, 400, "BXNIM0109E");
    assert!(
        missing.1["errorMessage"]
            .as_str()
            .unwrap()
            .contains("'username'")
    );
}

#[test]
fn passcode_grant_is_single_use() {
    let emu = start();
    let code = passcode_for(&emu, None);
    let (status, tok) = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", &code)],
        true,
    );
    assert_eq!(status, 200, "{tok}");
    let c = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(c["email"], "sso@example.com");
    assert_eq!(c["grant_type"], PASSCODE_GRANT);

    let reused = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", &code)],
        true,
    );
    assert_token_error(&reused, 400, "BXNIM0420E");
    let unknown = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", "NOPE123456")],
        true,
    );
    assert_token_error(&unknown, 400, "BXNIM0420E");
    let missing = token(&emu, &[("grant_type", PASSCODE_GRANT)], true);
    assert_token_error(&missing, 400, "BXNIM0109E");

    // A named user, by email; a password user may use passcodes too.
    let code = passcode_for(&emu, Some("demo@example.com"));
    let (status, tok) = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", &code)],
        false,
    );
    assert_eq!(status, 200);
    assert_eq!(
        claims(tok["access_token"].as_str().unwrap())["email"],
        "demo@example.com"
    );
    let (status, body) = admin(
        &emu,
        reqwest::Method::POST,
        "/emulator/passcodes",
        Some(json!({"user": "ghost@example.com"})),
    );
    assert_eq!(status, 404, "{body}");
}

fn refresh(
    emu: &iam_emulator::Running,
    rt: &str,
    extra: &[(&str, &str)],
    basic: bool,
) -> (u16, Value) {
    let mut fields = vec![("grant_type", "refresh_token"), ("refresh_token", rt)];
    fields.extend_from_slice(extra);
    token(emu, &fields, basic)
}

#[test]
fn refresh_grant_rescopes_to_member_accounts_only() {
    let emu = start();
    let code = passcode_for(&emu, None);
    let (_, tok) = token(
        &emu,
        &[("grant_type", PASSCODE_GRANT), ("passcode", &code)],
        true,
    );
    let rt = tok["refresh_token"].as_str().unwrap();

    let (status, scoped) = refresh(&emu, rt, &[("account", seed::PARTNER_ACCOUNT)], true);
    assert_eq!(status, 200, "{scoped}");
    let c = claims(scoped["access_token"].as_str().unwrap());
    assert_eq!(c["account"]["bss"], seed::PARTNER_ACCOUNT);
    assert_eq!(c["email"], "sso@example.com");

    // The new refresh token keeps the new scope.
    let rt2 = scoped["refresh_token"].as_str().unwrap();
    let (_, again) = refresh(&emu, rt2, &[], true);
    assert_eq!(
        claims(again["access_token"].as_str().unwrap())["account"]["bss"],
        seed::PARTNER_ACCOUNT
    );

    let (status, ims) = refresh(
        &emu,
        rt,
        &[("account", seed::DEMO_ACCOUNT), ("ims_account", "1234567")],
        true,
    );
    assert_eq!(status, 200, "{ims}");
    let c = claims(ims["access_token"].as_str().unwrap());
    assert_eq!(c["account"]["bss"], seed::DEMO_ACCOUNT);
    assert_eq!(c["account"]["ims"], "1234567");
    let (status, _) = refresh(&emu, rt, &[("ims_account", "1234567")], true);
    assert_eq!(status, 200);

    // The SSO user is not in the staging account.
    let refused = refresh(&emu, rt, &[("account", seed::STAGING_ACCOUNT)], true);
    assert_token_error(&refused, 400, "BXNIM0425E");
    let refused = refresh(&emu, rt, &[("account", "0000")], true);
    assert_token_error(&refused, 400, "BXNIM0425E");
}

#[test]
fn refresh_grant_errors() {
    let emu = start();
    let unknown = refresh(&emu, "not-a-token", &[], true);
    assert_token_error(&unknown, 400, "BXNIM0407E");
    let missing = token(&emu, &[("grant_type", "refresh_token")], true);
    assert_token_error(&missing, 400, "BXNIM0109E");
    assert!(
        missing.1["errorMessage"]
            .as_str()
            .unwrap()
            .contains("'refresh_token'")
    );

    // A refresh token only works for the client it was issued to.
    let tok = apikey_login(&emu, &emu.info().apikey, true);
    let rt = tok["refresh_token"].as_str().unwrap().to_owned();
    let other_client = refresh(&emu, &rt, &[], false);
    assert_token_error(&other_client, 400, "BXNIM0407E");

    // "not_supported" is not a refresh token.
    let ns = refresh(&emu, "not_supported", &[], false);
    assert_token_error(&ns, 400, "BXNIM0407E");

    // Expired.
    let (status, _) = admin(
        &emu,
        reqwest::Method::PUT,
        "/emulator/config",
        Some(json!({"refresh_token_ttl": 1})),
    );
    assert_eq!(status, 200);
    let short = apikey_login(&emu, &emu.info().apikey, true);
    let short_rt = short["refresh_token"].as_str().unwrap().to_owned();
    assert!(
        short["refresh_token_expiration"].as_i64().unwrap()
            <= short["expiration"].as_i64().unwrap()
    );
    advance_clock(&emu, 2);
    let expired = refresh(&emu, &short_rt, &[], true);
    assert_token_error(&expired, 400, "BXNIM0408E");

    // Revoked: every refresh token issued so far dies, new ones work.
    let (status, _) = refresh(&emu, &rt, &[], true);
    assert_eq!(status, 200);
    let (status, body) = admin(
        &emu,
        reqwest::Method::POST,
        "/emulator/refresh-tokens/revoke",
        None,
    );
    assert_eq!(status, 200, "{body}");
    let revoked = refresh(&emu, &rt, &[], true);
    assert_token_error(&revoked, 400, "BXNIM0407E");
    let (status, _) = admin(
        &emu,
        reqwest::Method::PUT,
        "/emulator/config",
        Some(json!({"refresh_token_ttl": 3600})),
    );
    assert_eq!(status, 200);
    let fresh = apikey_login(&emu, &emu.info().apikey, true);
    let (status, _) = refresh(&emu, fresh["refresh_token"].as_str().unwrap(), &[], true);
    assert_eq!(status, 200);
}

#[test]
fn request_errors() {
    let emu = start();
    let e = token_raw(&emu, "apikey=x", false);
    assert_token_error(&e, 400, "BXNIM0109E");
    assert!(
        e.1["errorMessage"]
            .as_str()
            .unwrap()
            .contains("'grant_type'"),
        "{}",
        e.1
    );
    let e = token_raw(&emu, "", false);
    assert_token_error(&e, 400, "BXNIM0109E");
    let e = token(&emu, &[("grant_type", APIKEY_GRANT), ("apikey", "")], false);
    assert_token_error(&e, 400, "BXNIM0109E");
    assert!(e.1["errorMessage"].as_str().unwrap().contains("'apikey'"));
    let e = token(
        &emu,
        &[("grant_type", APIKEY_GRANT), ("apikey", "does-not-exist")],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0415E");
    let e = token(&emu, &[("grant_type", "client_credentials")], false);
    assert_token_error(&e, 400, "BXNIM0103E");
    let e = token(
        &emu,
        &[
            ("grant_type", APIKEY_GRANT),
            ("apikey", seed::DEMO_APIKEY),
            ("response_type", "uaa"),
        ],
        false,
    );
    assert_token_error(&e, 400, "BXNIM0106E");
    let (status, _) = token(
        &emu,
        &[
            ("grant_type", APIKEY_GRANT),
            ("apikey", seed::DEMO_APIKEY),
            ("response_type", "cloud_iam"),
        ],
        false,
    );
    assert_eq!(status, 200);

    let bad_client = client()
        .post(format!("{}/identity/token", emu.url()))
        .basic_auth("bx", Some("wrong"))
        .form(&[("grant_type", APIKEY_GRANT), ("apikey", seed::DEMO_APIKEY)])
        .send()
        .unwrap();
    assert_token_error(&json(bad_client), 400, "BXNIM0409E");

    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let resp = client()
            .request(method, format!("{}/identity/token", emu.url()))
            .send()
            .unwrap();
        assert_token_error(&json(resp), 405, "BXNIM0060E");
    }
}

#[test]
fn token_ttl_is_configurable_at_runtime() {
    let emu = start_with(iam_emulator::Config {
        token_ttl: 120,
        ..Default::default()
    });
    let tok = apikey_login(&emu, &emu.info().apikey, false);
    assert_eq!(tok["expires_in"], 120);
    let (status, cfg) = admin(
        &emu,
        reqwest::Method::PUT,
        "/emulator/config",
        Some(json!({"token_ttl": 60})),
    );
    assert_eq!(status, 200);
    assert_eq!(cfg["token_ttl"], 60);
    assert_eq!(cfg["refresh_token_ttl"], 30 * 24 * 3600);
    let tok = apikey_login(&emu, &emu.info().apikey, false);
    assert_eq!(tok["expires_in"], 60);
    let c = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 60);
    let (status, _) = admin(
        &emu,
        reqwest::Method::PUT,
        "/emulator/config",
        Some(json!({"token_ttl": 0})),
    );
    assert_eq!(status, 400);
}

// A lifetime so long that "now + lifetime" overflows used to panic the request (the
// connection closed without an answer); lifetimes are bounded to 100 years instead.
#[test]
fn absurd_lifetimes_are_refused_or_bounded_never_a_panic() {
    let emu = start();
    for field in ["token_ttl", "refresh_token_ttl", "passcode_ttl"] {
        for value in [json!(9_223_372_036_854_775_807u64), json!(u64::MAX)] {
            let (status, body) = admin(
                &emu,
                reqwest::Method::PUT,
                "/emulator/config",
                Some(json!({ field: value })),
            );
            assert_eq!(status, 400, "{field}={value}: {body}");
            assert!(
                body["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{body}"
            );
        }
    }
    let (_, cfg) = admin(&emu, reqwest::Method::GET, "/emulator/config", None);
    assert_eq!(
        cfg["token_ttl"], 3600,
        "refused values change nothing: {cfg}"
    );
    let century = 100 * 366 * 24 * 3600u64;
    let (status, _) = admin(
        &emu,
        reqwest::Method::PUT,
        "/emulator/config",
        Some(json!({"token_ttl": century, "refresh_token_ttl": century, "passcode_ttl": century})),
    );
    assert_eq!(status, 200);
    let tok = apikey_login(&emu, &emu.info().apikey, true);
    assert_eq!(tok["expires_in"], century);
    passcode_for(&emu, None);

    // The library and the binary's flags take any u64; beyond a century is a century.
    let emu = start_with(iam_emulator::Config {
        token_ttl: u64::MAX,
        refresh_token_ttl: u64::MAX,
        ..Default::default()
    });
    let tok = apikey_login(&emu, &emu.info().apikey, true);
    assert_eq!(tok["expires_in"], century, "{tok}");
    let c = claims(tok["access_token"].as_str().unwrap());
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        century as i64
    );
    assert!(tok["refresh_token_expiration"].as_i64().unwrap() > real_now());
}
