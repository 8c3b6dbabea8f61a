//! Helpers shared by the emulator's integration tests: every test starts its own emulator via
//! `spawn()` and talks real HTTP to it.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iam_emulator::{Config, Running};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

pub const APIKEY_GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";
pub const PASSCODE_GRANT: &str = "urn:ibm:params:oauth:grant-type:passcode";

pub fn start() -> Running {
    start_with(Config::default())
}

pub fn start_with(config: Config) -> Running {
    iam_emulator::spawn(config).expect("emulator starts")
}

pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// Status and JSON body of a response.
pub fn json(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

/// POSTs a raw form body to the token endpoint.
pub fn token_raw(emu: &Running, body: &str, basic: bool) -> (u16, Value) {
    let mut req = client()
        .post(format!("{}/identity/token", emu.url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body.to_owned());
    if basic {
        req = req.basic_auth("bx", Some("bx"));
    }
    json(req.send().expect("token request"))
}

/// POSTs form fields (properly encoded) to the token endpoint.
pub fn token(emu: &Running, fields: &[(&str, &str)], basic: bool) -> (u16, Value) {
    token_at(emu.url(), fields, basic)
}

/// `token` for an emulator known by its URL (a binary's, say).
pub fn token_at(url: &str, fields: &[(&str, &str)], basic: bool) -> (u16, Value) {
    let mut req = client()
        .post(format!("{url}/identity/token"))
        .header("Accept", "application/json")
        .form(fields);
    if basic {
        req = req.basic_auth("bx", Some("bx"));
    }
    json(req.send().expect("token request"))
}

/// POSTs form fields to the token endpoint with the Basic credentials of any client (or
/// none).
pub fn token_as(
    emu: &Running,
    fields: &[(&str, &str)],
    client: Option<(&str, &str)>,
) -> (u16, Value) {
    let mut req = self::client()
        .post(format!("{}/identity/token", emu.url()))
        .header("Accept", "application/json")
        .form(fields);
    if let Some((id, secret)) = client {
        req = req.basic_auth(id, Some(secret));
    }
    json(req.send().expect("token request"))
}

/// Verifies an RS256 JWT's signature against `GET /identity/keys` (the key its `kid` names)
/// and returns its claims.
pub fn verify_jwt(emu: &Running, jwt: &str) -> Value {
    use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
    let (header, _) = jwt.split_once('.').expect("a JWT");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url")).expect("json");
    assert_eq!(header["alg"], "RS256", "{header}");
    let (status, jwks) = json(get(emu, "/identity/keys", None).send().expect("keys"));
    assert_eq!(status, 200, "{jwks}");
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == header["kid"]))
        .unwrap_or_else(|| panic!("no key {} in {jwks}", header["kid"]));
    let n = URL_SAFE_NO_PAD
        .decode(key["n"].as_str().expect("n"))
        .expect("n");
    let e = URL_SAFE_NO_PAD
        .decode(key["e"].as_str().expect("e"))
        .expect("e");
    let (signed, sig) = jwt.rsplit_once('.').expect("a JWT");
    let sig = URL_SAFE_NO_PAD.decode(sig).expect("base64url signature");
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &sig)
        .expect("the token verifies against /identity/keys");
    claims(jwt)
}

pub fn apikey_login(emu: &Running, key: &str, basic: bool) -> Value {
    let (status, body) = token(emu, &[("grant_type", APIKEY_GRANT), ("apikey", key)], basic);
    assert_eq!(status, 200, "{body}");
    body
}

pub fn access_token(emu: &Running) -> String {
    apikey_login(emu, &emu.info().apikey, false)["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

/// Asserts an IBM token-service error: status, code and the body's shape.
pub fn assert_token_error(got: &(u16, Value), status: u16, code: &str) {
    let (s, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert!(
        body["errorMessage"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["errorDetails"].is_string(), "{body}");
    let ctx = &body["context"];
    assert_eq!(ctx["requestType"], "incoming.Identity_Token", "{body}");
    for k in [
        "requestId",
        "url",
        "host",
        "startTime",
        "endTime",
        "elapsedTime",
    ] {
        assert!(ctx[k].is_string(), "context.{k} missing: {body}");
    }
}

/// Asserts an IBM platform-API error: status, message code and the v1 body shape.
pub fn assert_api_error(got: &(u16, Value), status: u16, message_code: &str) {
    let (s, body) = got;
    assert_eq!(*s, status, "{body}");
    assert_eq!(body["status_code"], status, "{body}");
    let err = &body["errors"][0];
    assert_eq!(err["message_code"], message_code, "{body}");
    assert!(
        err["code"].is_string() && err["message"].is_string(),
        "{body}"
    );
    assert!(
        body["trace"].is_string() && body["context"].is_object(),
        "{body}"
    );
}

pub fn get(emu: &Running, path: &str, token: Option<&str>) -> RequestBuilder {
    let req = client().get(format!("{}{path}", emu.url()));
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
}

pub fn admin(
    emu: &Running,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client().request(method, format!("{}{path}", emu.url()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().expect("admin request");
    let status = resp.status().as_u16();
    let text = resp.text().expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub fn passcode_for(emu: &Running, user: Option<&str>) -> String {
    let body = user.map(|u| serde_json::json!({ "user": u }));
    let (status, resp) = admin(emu, reqwest::Method::POST, "/emulator/passcodes", body);
    assert_eq!(status, 200, "{resp}");
    resp["passcode"].as_str().expect("passcode").to_owned()
}

/// Moves the emulator's clock (`POST /emulator/clock`) and returns its answer
/// (`{"now", "offset_seconds"}`), so tests see expiry without waiting for it.
pub fn advance_clock(emu: &Running, seconds: i64) -> Value {
    let (status, body) = admin(
        emu,
        reqwest::Method::POST,
        "/emulator/clock",
        Some(serde_json::json!({ "advance_seconds": seconds })),
    );
    assert_eq!(status, 200, "{body}");
    body
}

/// Real time in epoch seconds, to compare the emulator's (moved) clock against.
pub fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

pub const CR_TOKEN_GRANT: &str = "urn:ibm:params:oauth:grant-type:cr-token";
pub const ASSUME_GRANT: &str = "urn:ibm:params:oauth:grant-type:assume";

/// A request with a bearer token to a path of the emulator (or a full URL, as `next` links).
pub fn api(emu: &Running, method: reqwest::Method, path: &str, token: &str) -> RequestBuilder {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{}{path}", emu.url())
    };
    client().request(method, url).bearer_auth(token)
}

/// A compute-resource token from `POST /emulator/cr-tokens`.
pub fn cr_token(emu: &Running, body: Value) -> String {
    let (status, resp) = admin(
        emu,
        reqwest::Method::POST,
        "/emulator/cr-tokens",
        Some(body),
    );
    assert_eq!(status, 200, "{resp}");
    resp["cr_token"].as_str().expect("cr_token").to_owned()
}

/// The compute-resource token of the demo profile's linked service account (ready line).
pub fn demo_sa_token(emu: &Running) -> String {
    let info = emu.info();
    cr_token(
        emu,
        serde_json::json!({
            "cr_type": "IKS_SA",
            "crn": info.iks_cluster_crn,
            "namespace": info.iks_namespace,
            "name": info.iks_service_account,
        }),
    )
}

/// The demo profile's access token through the cr-token grant.
pub fn demo_profile_token(emu: &Running) -> String {
    let cr = demo_sa_token(emu);
    let (status, body) = token(
        emu,
        &[
            ("grant_type", CR_TOKEN_GRANT),
            ("cr_token", &cr),
            ("profile_id", &emu.info().profile_id),
        ],
        false,
    );
    assert_eq!(status, 200, "{body}");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// A directory of its own for one test, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "iam-emu-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, file: &str) -> std::path::PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The API-key grant of a binary's demo user, with the key its ready line names (the CLI's
/// client credentials too when `basic`, so the grant opens a refresh session).
pub fn ready_line_grant(info: &Value, basic: bool) -> (u16, Value) {
    let url = info["url"].as_str().expect("ready line: url");
    let apikey = info["apikey"].as_str().expect("ready line: apikey");
    token_at(
        url,
        &[("grant_type", APIKEY_GRANT), ("apikey", apikey)],
        basic,
    )
}

/// Starts the `iam-emulator` binary with `args` and `--state STATE` and reads its ready line;
/// without one, fails the test with what the emulator said on stderr.
pub fn start_binary(args: &[&str], state: &std::path::Path) -> (std::process::Child, Value) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_iam-emulator"))
        .args(args)
        .arg("--state")
        .arg(state)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info = serde_json::from_str(&line).unwrap_or_else(|_| {
        let mut err = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut err);
        panic!("no ready line ({line:?}): {err}")
    });
    (child, info)
}
