//! Delegated refresh tokens: asked for on the API-key and refresh-token grants, redeemed by a
//! receiver client (`kube`) for tokens and an ID token; every refusal. Expiry is reached by
//! moving the emulator's clock.

use reqwest::Method;
use serde_json::Value;

use crate::common::*;
use iam_emulator::Running;
use iam_emulator::seed::DEMO_ACCOUNT;

const DELEGATED_GRANT: &str = "urn:ibm:params:oauth:grant-type:delegated-refresh-token";
const BX: Option<(&str, &str)> = Some(("bx", "bx"));
const KUBE: Option<(&str, &str)> = Some(("kube", "kube"));
const KUBE_SCOPE: &str = "ibm openid containers-kubernetes";

/// A `bx` refresh token of the demo user (API-key login).
fn bx_refresh_token(emu: &Running) -> String {
    let tok = apikey_login(emu, &emu.info().apikey, true);
    tok["refresh_token"]
        .as_str()
        .expect("refresh_token")
        .to_owned()
}

/// The keys of a JSON object, sorted.
fn keys(body: &Value) -> Vec<String> {
    let mut k: Vec<String> = body
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// The answer to `response_type=delegated_refresh_token` alone is the token and nothing else,
/// as IBM's "Setting up the API" shows it.
fn delegated_only(got: (u16, Value)) -> String {
    let (status, body) = got;
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), ["delegated_refresh_token"], "{body}");
    let t = body["delegated_refresh_token"].as_str().unwrap().to_owned();
    assert!(t.len() >= 40, "{t}");
    t
}

/// iamctl's request (a): the session's refresh token, Basic bx:bx.
fn delegate(emu: &Running, rt: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut fields = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("response_type", "delegated_refresh_token"),
        ("receiver_client_ids", "kube"),
    ];
    fields.extend_from_slice(extra);
    token_as(emu, &fields, BX)
}

/// IBM's documented redemption (no response_type), as `client`.
fn redeem(emu: &Running, drt: &str, client: Option<(&str, &str)>) -> (u16, Value) {
    token_as(
        emu,
        &[("grant_type", DELEGATED_GRANT), ("refresh_token", drt)],
        client,
    )
}

/// Asserts the receiver's answer and its tokens; returns the ID token's claims.
fn assert_kube_tokens(emu: &Running, got: &(u16, Value)) -> Value {
    let (status, body) = got;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(body["scope"], KUBE_SCOPE, "{body}");
    assert_eq!(body["expires_in"], 3600, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap();
    assert!(refresh.len() > 40 && refresh != "not_supported", "{body}");
    assert!(body.get("delegated_refresh_token").is_none(), "{body}");

    let access = verify_jwt(emu, body["access_token"].as_str().unwrap());
    assert_eq!(access["client_id"], "kube", "{access}");
    assert_eq!(access["scope"], KUBE_SCOPE, "{access}");
    assert_eq!(access["iss"], format!("{}/identity", emu.url()));
    assert_eq!(body["expiration"], access["exp"], "{body}");

    let id = verify_jwt(emu, body["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], "kube", "{id}");
    assert_eq!(id["client_id"], "kube", "{id}");
    assert_eq!(id["iss"], format!("{}/identity", emu.url()));
    assert_eq!(id["iam_id"], "IBMid-6650001DMO", "{id}");
    assert_eq!(id["sub"], "demo@example.com", "{id}");
    assert_eq!(id["email"], "demo@example.com", "{id}");
    assert!(id["name"].as_str().is_some_and(|n| !n.is_empty()), "{id}");
    assert_eq!(id["account"]["bss"], DEMO_ACCOUNT, "{id}");
    assert_eq!(id["exp"], access["exp"], "{id}");
    assert_eq!(id["iat"], access["iat"], "{id}");
    assert_eq!(
        id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap(),
        3600
    );
    assert_ne!(id["jti"], access["jti"], "{id}");
    id
}

#[test]
fn iamctls_two_requests_give_kube_an_id_token() {
    let emu = start();
    let rt = bx_refresh_token(&emu);
    let drt = delegated_only(delegate(&emu, &rt, &[]));
    // (b): kube:kube and response_type=cloud_iam.
    let got = token_as(
        &emu,
        &[
            ("grant_type", DELEGATED_GRANT),
            ("refresh_token", &drt),
            ("response_type", "cloud_iam"),
        ],
        KUBE,
    );
    let id = assert_kube_tokens(&emu, &got);
    // The ID token's times follow the emulator's clock.
    let (_, clock) = admin(&emu, Method::GET, "/emulator/clock", None);
    assert!((id["iat"].as_i64().unwrap() - clock["now"].as_i64().unwrap()).abs() <= 2);
    // The delegating refresh token still works: delegation neither used nor rotated it.
    let (status, again) = token_as(
        &emu,
        &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        BX,
    );
    assert_eq!(status, 200, "{again}");
}

#[test]
fn ibms_documented_kubernetes_flow_with_an_expiry() {
    let emu = start();
    let rt = bx_refresh_token(&emu);
    // "Setting up the API": delegated_refresh_token_expiry=600, then the redemption without
    // a response_type.
    let drt = delegated_only(delegate(
        &emu,
        &rt,
        &[("delegated_refresh_token_expiry", "600")],
    ));
    assert_kube_tokens(&emu, &redeem(&emu, &drt, KUBE));
    // Not single use: the token works for its receivers until it expires.
    advance_clock(&emu, 590);
    assert_kube_tokens(&emu, &redeem(&emu, &drt, KUBE));
    advance_clock(&emu, 11);
    let expired = redeem(&emu, &drt, KUBE);
    assert_token_error(&expired, 400, "BXNIM0408E");
    assert!(
        expired.1["errorMessage"]
            .as_str()
            .unwrap()
            .contains("delegated refresh token is expired"),
        "{}",
        expired.1
    );
}

#[test]
fn default_expiry_is_six_days() {
    let emu = start();
    let drt = delegated_only(delegate(&emu, &bx_refresh_token(&emu), &[]));
    advance_clock(&emu, 518_400 - 10);
    assert_kube_tokens(&emu, &redeem(&emu, &drt, KUBE));
    advance_clock(&emu, 11);
    assert_token_error(&redeem(&emu, &drt, KUBE), 400, "BXNIM0408E");
}

#[test]
fn api_key_grant_delegates_as_ibms_cos_sdk_asks() {
    let emu = start();
    let key = emu.info().apikey.clone();
    // IBM COS SDK's DelegatedTokenManager: API key, Basic bx:bx, no response_type besides.
    let form = [
        ("grant_type", APIKEY_GRANT),
        ("response_type", "delegated_refresh_token"),
        ("apikey", key.as_str()),
        ("receiver_client_ids", "kube"),
    ];
    let drt = delegated_only(token_as(&emu, &form, BX));
    assert_kube_tokens(&emu, &redeem(&emu, &drt, KUBE));
    // IBM's API reference needs no client credentials for this grant.
    let drt = delegated_only(token_as(&emu, &form, None));
    assert_kube_tokens(&emu, &redeem(&emu, &drt, KUBE));
    // A service ID delegates too; its ID token names the service ID.
    let service = emu.info().service_apikey.clone();
    let form = [
        ("grant_type", APIKEY_GRANT),
        ("response_type", "delegated_refresh_token"),
        ("apikey", service.as_str()),
        ("receiver_client_ids", "kube"),
    ];
    let drt = delegated_only(token_as(&emu, &form, None));
    let (status, body) = redeem(&emu, &drt, KUBE);
    assert_eq!(status, 200, "{body}");
    let id = verify_jwt(&emu, body["id_token"].as_str().unwrap());
    assert_eq!(id["sub_type"], "ServiceId", "{id}");
    assert!(
        id["iam_id"].as_str().unwrap().starts_with("iam-ServiceId-"),
        "{id}"
    );
    assert_eq!(id["aud"], "kube");
}

#[test]
fn combined_response_types_add_the_token_to_the_usual_answer() {
    let emu = start();
    let key = emu.info().apikey.clone();
    for response_type in [
        "cloud_iam delegated_refresh_token",
        "delegated_refresh_token cloud_iam",
        "cloud_iam,delegated_refresh_token",
    ] {
        let (status, body) = token_as(
            &emu,
            &[
                ("grant_type", APIKEY_GRANT),
                ("apikey", key.as_str()),
                ("response_type", response_type),
                ("receiver_client_ids", "kube"),
            ],
            BX,
        );
        assert_eq!(status, 200, "{response_type}: {body}");
        let c = claims(body["access_token"].as_str().unwrap());
        assert_eq!(c["client_id"], "bx");
        assert_eq!(body["scope"], "ibm openid");
        assert_ne!(body["refresh_token"], "not_supported", "{body}");
        assert!(body.get("id_token").is_none(), "{body}");
        let drt = body["delegated_refresh_token"].as_str().unwrap();
        let (status, kube) = redeem(&emu, drt, KUBE);
        assert_eq!(status, 200, "{kube}");
        // The receiver's tokens belong to the delegator's session.
        assert_eq!(
            claims(kube["access_token"].as_str().unwrap())["session_id"],
            body["session_id"]
        );
    }
    // A raw form body as curl sends it: `+` is a space.
    let raw = format!(
        "grant_type={APIKEY_GRANT}&apikey={key}&response_type=cloud_iam+delegated_refresh_token&receiver_client_ids=kube"
    );
    let (status, body) = token_raw(&emu, &raw, true);
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string() && body["delegated_refresh_token"].is_string());
    // The refresh grant combines the same way.
    let rt = bx_refresh_token(&emu);
    let (status, body) = token_as(
        &emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("response_type", "cloud_iam delegated_refresh_token"),
            ("receiver_client_ids", "kube"),
        ],
        BX,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].is_string() && body["delegated_refresh_token"].is_string());
}

#[test]
fn kube_renews_its_id_token_with_its_refresh_token() {
    let emu = start();
    let drt = delegated_only(delegate(&emu, &bx_refresh_token(&emu), &[]));
    let (_, body) = redeem(&emu, &drt, KUBE);
    let kube_rt = body["refresh_token"].as_str().unwrap().to_owned();
    // What kubectl's oidc auth provider does: refresh_token grant as kube:kube.
    advance_clock(&emu, 3601);
    let got = token_as(
        &emu,
        &[("grant_type", "refresh_token"), ("refresh_token", &kube_rt)],
        KUBE,
    );
    assert_kube_tokens(&emu, &got);
    // kube's refresh token is kube's.
    let other = token_as(
        &emu,
        &[("grant_type", "refresh_token"), ("refresh_token", &kube_rt)],
        BX,
    );
    assert_token_error(&other, 400, "BXNIM0407E");
}

#[test]
fn requests_for_a_delegated_token_are_validated() {
    let emu = start();
    let rt = bx_refresh_token(&emu);
    for receivers in ["nope", "kube,nope", "bx", "default"] {
        let e = token_as(
            &emu,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("response_type", "delegated_refresh_token"),
                ("receiver_client_ids", receivers),
            ],
            BX,
        );
        assert_token_error(&e, 400, "BXNIM0106E");
        let msg = e.1["errorMessage"].as_str().unwrap();
        assert!(msg.contains("not a known receiver"), "{msg}");
        let unknown = receivers.rsplit(',').next().unwrap();
        assert!(msg.contains(&format!("'{unknown}'")), "{msg}");
    }
    let missing = token_as(
        &emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("response_type", "delegated_refresh_token"),
        ],
        BX,
    );
    assert_token_error(&missing, 400, "BXNIM0109E");
    assert!(
        missing.1["errorMessage"]
            .as_str()
            .unwrap()
            .contains("'receiver_client_ids'")
    );
    for expiry in [
        "0",
        "-1",
        "1.5",
        "soon",
        "2592001",
        "99999999999999999999999",
    ] {
        let e = delegate(&emu, &rt, &[("delegated_refresh_token_expiry", expiry)]);
        assert_token_error(&e, 400, "BXNIM0106E");
        assert!(
            e.1["errorMessage"]
                .as_str()
                .unwrap()
                .contains("'delegated_refresh_token_expiry'"),
            "{}",
            e.1
        );
    }
    delegated_only(delegate(
        &emu,
        &rt,
        &[("delegated_refresh_token_expiry", "2592000")],
    ));
    // Only the API-key and refresh-token grants delegate.
    let e = token_as(
        &emu,
        &[
            ("grant_type", "password"),
            ("username", "demo@example.com"),
            ("password", "demo-password"),
            ("response_type", "delegated_refresh_token"),
            ("receiver_client_ids", "kube"),
        ],
        BX,
    );
    assert_token_error(&e, 400, "BXNIM0106E");
    // Unknown response types keep their error, alone or in a list.
    for rt_value in ["uaa", "cloud_iam uaa", "delegated_refresh_token,ims_portal"] {
        let e = token_as(
            &emu,
            &[
                ("grant_type", APIKEY_GRANT),
                ("apikey", &emu.info().apikey),
                ("response_type", rt_value),
                ("receiver_client_ids", "kube"),
            ],
            BX,
        );
        assert_token_error(&e, 400, "BXNIM0106E");
        assert!(
            e.1["errorMessage"]
                .as_str()
                .unwrap()
                .contains("response_type"),
            "{}",
            e.1
        );
    }
    // The refresh grant's own checks still come first for a bad refresh token.
    let e = delegate(&emu, "not-a-token", &[]);
    assert_token_error(&e, 400, "BXNIM0407E");
    let e = token_as(
        &emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("response_type", "delegated_refresh_token"),
            ("receiver_client_ids", "kube"),
        ],
        None,
    );
    assert_token_error(&e, 400, "BXNIM0407E");
}

/// Each refusal of the redemption, with its own message.
#[test]
fn redemption_refusals() {
    let emu = start();
    let rt = bx_refresh_token(&emu);
    let drt = delegated_only(delegate(&emu, &rt, &[]));
    let message = |got: &(u16, Value)| got.1["errorMessage"].as_str().unwrap().to_owned();
    let mut messages = Vec::new();

    // A client that is not among the receivers.
    let e = redeem(&emu, &drt, BX);
    assert_token_error(&e, 400, "BXNIM0407E");
    assert!(message(&e).contains("not issued to this client"), "{}", e.1);
    assert!(
        e.1["errorDetails"].as_str().unwrap().contains("kube"),
        "{}",
        e.1
    );
    messages.push(message(&e));
    // No client credentials at all.
    let e = redeem(&emu, &drt, None);
    assert_token_error(&e, 400, "BXNIM0308E");
    messages.push(message(&e));
    // Wrong secret.
    let e = redeem(&emu, &drt, Some(("kube", "bx")));
    assert_token_error(&e, 400, "BXNIM0409E");
    messages.push(message(&e));
    // A delegated token presented as a normal refresh token.
    let e = token_as(
        &emu,
        &[("grant_type", "refresh_token"), ("refresh_token", &drt)],
        BX,
    );
    assert_token_error(&e, 400, "BXNIM0407E");
    assert!(
        message(&e).contains("is a delegated refresh token"),
        "{}",
        e.1
    );
    messages.push(message(&e));
    let e = token_as(
        &emu,
        &[("grant_type", "refresh_token"), ("refresh_token", &drt)],
        KUBE,
    );
    assert_token_error(&e, 400, "BXNIM0407E");
    // A normal refresh token presented to the delegated grant.
    let e = redeem(&emu, &rt, KUBE);
    assert_token_error(&e, 400, "BXNIM0407E");
    assert!(
        message(&e).contains("not a delegated refresh token"),
        "{}",
        e.1
    );
    messages.push(message(&e));
    // Unknown, and missing.
    let e = redeem(&emu, "no-such-token", KUBE);
    assert_token_error(&e, 400, "BXNIM0407E");
    messages.push(message(&e));
    let e = token_as(&emu, &[("grant_type", DELEGATED_GRANT)], KUBE);
    assert_token_error(&e, 400, "BXNIM0109E");
    messages.push(message(&e));
    // The redemption itself delegates nothing further.
    let e = token_as(
        &emu,
        &[
            ("grant_type", DELEGATED_GRANT),
            ("refresh_token", &drt),
            ("response_type", "delegated_refresh_token"),
            ("receiver_client_ids", "kube"),
        ],
        KUBE,
    );
    assert_token_error(&e, 400, "BXNIM0106E");
    messages.push(message(&e));
    // Expired (by the clock).
    let short = delegated_only(delegate(
        &emu,
        &rt,
        &[("delegated_refresh_token_expiry", "1")],
    ));
    advance_clock(&emu, 2);
    let e = redeem(&emu, &short, KUBE);
    assert_token_error(&e, 400, "BXNIM0408E");
    messages.push(message(&e));

    let mut distinct = messages.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), messages.len(), "{messages:#?}");
    // After all that, the token still works for its receiver.
    assert_kube_tokens(&emu, &redeem(&emu, &drt, KUBE));
}

#[test]
fn revocation_and_ended_sessions_end_delegated_tokens() {
    let emu = start();
    let drt = delegated_only(delegate(&emu, &bx_refresh_token(&emu), &[]));
    let (status, body) = admin(&emu, Method::POST, "/emulator/refresh-tokens/revoke", None);
    assert_eq!(status, 200, "{body}");
    let e = redeem(&emu, &drt, KUBE);
    assert_token_error(&e, 400, "BXNIM0407E");
    assert!(
        e.1["errorMessage"].as_str().unwrap().contains("revoked"),
        "{}",
        e.1
    );

    // The API key that delegated is disabled: the session behind the token is over.
    let key = emu.info().apikey.clone();
    let drt = delegated_only(delegate(&emu, &bx_refresh_token(&emu), &[]));
    let t = access_token(&emu);
    let (status, details) = json(
        client()
            .get(format!("{}/v1/apikeys/details", emu.url()))
            .bearer_auth(&t)
            .header("IAM-ApiKey", key.as_str())
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{details}");
    let resp = client()
        .post(format!(
            "{}/v1/apikeys/{}/disable",
            emu.url(),
            details["id"].as_str().unwrap()
        ))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_token_error(&redeem(&emu, &drt, KUBE), 400, "BXNIM0439E");
}

#[test]
fn discovery_names_the_delegated_grant() {
    let emu = start();
    let (_, doc) = json(
        get(&emu, "/identity/.well-known/openid-configuration", None)
            .send()
            .unwrap(),
    );
    let grants = doc["grant_types_supported"].as_array().unwrap();
    assert!(grants.iter().any(|g| g == DELEGATED_GRANT), "{doc}");
    let types = doc["response_types_supported"].as_array().unwrap();
    assert!(
        types.iter().any(|t| t == "delegated_refresh_token"),
        "{doc}"
    );
}

/// Issue 23: the ID token a receiver gets (what `iamctl credential kubectl` hands a cluster)
/// was accepted as a bearer token by IAM Identity and created a permanent API key. It proves
/// a login to `kube` and grants nothing: every IAM API refuses it (401 BXNIM0302E), as does
/// the assume grant, while the receiver's access token from the same answer still works.
#[test]
fn an_id_token_is_no_bearer_token() {
    let emu = start();
    let drt = delegated_only(delegate(&emu, &bx_refresh_token(&emu), &[]));
    let (status, body) = redeem(&emu, &drt, KUBE);
    assert_eq!(status, 200, "{body}");
    let id_token = body["id_token"].as_str().expect("id_token").to_owned();
    let access = body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    assert_eq!(verify_jwt(&emu, &id_token)["aud"], "kube");

    let create_key = |bearer: &str| {
        let me = claims(bearer)["iam_id"].as_str().unwrap().to_owned();
        json(
            api(&emu, Method::POST, "/v1/apikeys", bearer)
                .json(&serde_json::json!({"name": "from-a-cluster", "iam_id": me}))
                .send()
                .unwrap(),
        )
    };
    let refused = create_key(&id_token);
    assert_api_error(&refused, 401, "BXNIM0302E");
    assert!(
        refused.1["errors"][0]["details"]
            .as_str()
            .is_some_and(|d| d.contains("ID token")),
        "{}",
        refused.1
    );
    let reads = [
        format!("/v1/apikeys?account_id={DEMO_ACCOUNT}"),
        format!("/v1/serviceids/?account_id={DEMO_ACCOUNT}"),
        format!("/v1/profiles?account_id={DEMO_ACCOUNT}"),
        "/coe/v2/accounts".to_owned(),
        format!("/v2/resource_groups?account_id={DEMO_ACCOUNT}"),
    ];
    for path in &reads {
        let got = json(api(&emu, Method::GET, path, &id_token).send().unwrap());
        assert_api_error(&got, 401, "BXNIM0302E");
    }
    for path in [
        format!("/v1/policies?account_id={DEMO_ACCOUNT}"),
        format!("/v2/groups?account_id={DEMO_ACCOUNT}"),
    ] {
        let (status, body) = json(api(&emu, Method::GET, &path, &id_token).send().unwrap());
        assert_eq!(status, 401, "{path}: {body}");
        assert_eq!(body["errors"][0]["code"], "invalid_token", "{body}");
    }
    let assume = token(
        &emu,
        &[
            ("grant_type", ASSUME_GRANT),
            ("access_token", &id_token),
            ("profile_id", &emu.info().profile_id),
        ],
        false,
    );
    assert_token_error(&assume, 400, "BXNIM0454E");
    assert!(
        assume.1["errorDetails"]
            .as_str()
            .is_some_and(|d| d.contains("ID token")),
        "{}",
        assume.1
    );

    // The receiver's access token is an access token: it acts for the delegating user.
    let (status, body) = create_key(&access);
    assert_eq!(status, 201, "{body}");
    for path in &reads {
        let (status, body) = json(api(&emu, Method::GET, path, &access).send().unwrap());
        assert_eq!(status, 200, "{path}: {body}");
    }
}
