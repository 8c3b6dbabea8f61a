//! Entry points of the fuzz targets in `emulator/fuzz/` (cargo-fuzz): one per parser of
//! outside data, each taking raw bytes as a file or a request would bring them and running
//! the emulator's own code on them, without a server or a socket. Compiled only for cargo-fuzz
//! (`--cfg fuzzing`) and hidden from the docs: no API, it changes with the targets. The
//! promises the unit tests check too live beside the code they are about
//! (`pagination::check_page_links`, `endpoint::check_token_request`).
//!
//! A function panics when it finds a bug: a panic in the emulator's code (the fuzzer reports
//! it as a crash), or an answer that breaks a promise of `docs/emulator.md`: an error without
//! one of IAM's error bodies, a 5xx nobody injected, a page token that does not lead back to
//! its page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::ReadyInfo;
use crate::app::{App, Stats, lock, read, write};
use crate::crypto::claims::{CrClaims, InstanceClaims};
use crate::crypto::jwt::{KeyError, Kind, Signer, StoredKey};
use crate::http::errors::INJECTED_FAULT;
use crate::http::limits::Limits;
use crate::http::router;
use crate::identity::pagination::check_page_links;
use crate::model::clock::{Clock, MAX_SPAN};
use crate::model::demo as seed;
use crate::model::seed::Seed;
use crate::model::session::{Delegations, Sessions};
use crate::model::state;
use crate::model::trust::ComputeResource;
use crate::model::world::World;
use crate::token::endpoint::check_token_request;
use crate::token::grants::GRANT_APIKEY;
use crate::token::{endpoint as token, form};

const URL: &str = "http://127.0.0.1:1";

/// The one signing key of the targets' own worlds: generating an RSA key per input would be
/// all the fuzzer did.
fn signer() -> Arc<Signer> {
    static SIGNER: OnceLock<Arc<Signer>> = OnceLock::new();
    SIGNER
        .get_or_init(|| Arc::new(Signer::generate().expect("an RSA key for the fuzz targets")))
        .clone()
}

fn new_app(world: World, signer: Arc<Signer>, sessions: Sessions, clock: Clock) -> App {
    App::new(
        URL.into(),
        signer,
        world,
        sessions,
        clock,
        3600,
        30 * 24 * 3600,
        None,
    )
}

/// A seed file's bytes (`--seed FILE`): parsed, built into a world as at start, and, when
/// that works, served a few requests. A seed that parses must also survive its own JSON.
pub async fn seed(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(seed) = serde_json::from_str::<Seed>(text) else {
        return;
    };
    let again: Seed = serde_json::to_string(&seed)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .expect("a parsed seed is written and read back");
    assert_eq!(again, seed, "a seed changes through its JSON");
    let Ok(mut world) = World::from_seed(&seed) else {
        return;
    };
    world.reindex();
    let _ = ReadyInfo::from_world(URL, "", &world);
    let app = Arc::new(new_app(world, signer(), HashMap::new(), Clock::default()));
    exercise(&app).await;
}

/// A state file's bytes (`--state FILE`): read and checked as at start and, when it loads,
/// served a few requests. The signing keys of files that loaded are remembered, so a mutated
/// world behind a known key costs no RSA key parse.
pub async fn state(data: &[u8]) {
    static KEYS: OnceLock<Mutex<HashMap<String, Arc<Signer>>>> = OnceLock::new();
    let keys = KEYS.get_or_init(Default::default);
    let remembered = |key: &StoredKey| -> Result<Arc<Signer>, KeyError> {
        if let Some(s) = lock(keys).get(&key.pkcs8) {
            return Ok(s.clone());
        }
        let s = Arc::new(Signer::from_stored(key)?);
        let mut keys = lock(keys);
        if keys.len() < 16 {
            keys.insert(key.pkcs8.clone(), s.clone());
        }
        Ok(s)
    };
    let Ok(loaded) = state::parse(data, &remembered) else {
        return;
    };
    let state::Loaded {
        mut snapshot,
        signer,
        clock,
    } = loaded;
    let sessions = snapshot.sessions();
    let delegations = snapshot.delegations();
    let _ = ReadyInfo::from_world(URL, "", &snapshot.world);
    let app = Arc::new(
        new_app(snapshot.world, signer, sessions, clock).with_delegations(delegations.clone()),
    );
    exercise(&app).await;
    // The refresh and delegated grants on what the file brought back.
    let first_session = lock(&app.sessions).keys().next().cloned();
    if let Some(rt) = first_session {
        let form = format!("grant_type=refresh_token&refresh_token={rt}");
        check_token_request(&app, Some(b"Basic Yng6Yng="), form.as_bytes());
    }
    if let Some(dt) = delegations.keys().next() {
        let form = format!(
            "grant_type=urn:ibm:params:oauth:grant-type:delegated-refresh-token&refresh_token={dt}"
        );
        check_token_request(&app, Some(b"Basic a3ViZTprdWJl"), form.as_bytes());
    }
}

/// Requests every world must answer without a panic or an unexplained 5xx: an API-key grant
/// with its first key, and with that token the account, resource group and IAM Identity
/// lists and changes of its first service ID, API key and trusted profile.
async fn exercise(app: &Arc<App>) {
    let router = router::router(app.clone(), &Limits::default());
    let (key, service_id, api_key_id, profile_id) = {
        let w = read(&app.world);
        (
            w.api_keys
                .values()
                .next()
                .map(|k| (k.value.clone(), k.account_id.clone())),
            w.service_ids.keys().next().cloned(),
            w.api_keys.keys().next().cloned(),
            w.profiles.keys().next().cloned(),
        )
    };
    let Some((key, account)) = key else { return };
    // Ids and account ids come from the file and may hold any character: a client puts them
    // in the URL percent-encoded.
    let enc = |s: String| {
        form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    let create = serde_json::json!({"account_id": account, "name": "fuzz"}).to_string();
    let account = enc(account);
    let (service_id, api_key_id, profile_id) = (
        service_id.map(enc),
        api_key_id.map(enc),
        profile_id.map(enc),
    );
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", GRANT_APIKEY)
        .append_pair("apikey", &key)
        .finish();
    let (status, answer) = send(
        &router,
        Method::POST,
        "/identity/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        body.into_bytes(),
    )
    .await;
    let Some(access) = (status == StatusCode::OK)
        .then(|| answer["access_token"].as_str().map(str::to_owned))
        .flatten()
    else {
        return;
    };
    let bearer = format!("Bearer {access}");
    let auth = [("authorization", bearer.as_str())];
    let json_auth = [
        ("authorization", bearer.as_str()),
        ("content-type", "application/json"),
        ("if-match", "*"),
    ];
    let mut calls: Vec<(Method, String, Vec<u8>)> = vec![
        (Method::GET, "/coe/v2/accounts".into(), vec![]),
        (Method::GET, "/v2/resource_groups".into(), vec![]),
        (
            Method::GET,
            format!("/v1/serviceids/?account_id={account}&pagesize=1&include_history=true"),
            vec![],
        ),
        (
            Method::GET,
            "/v1/apikeys?scope=account&pagesize=1&sort=name&order=desc".into(),
            vec![],
        ),
        (
            Method::GET,
            format!("/v1/profiles?account_id={account}&pagesize=1"),
            vec![],
        ),
        (Method::POST, "/v1/serviceids/".into(), create.into_bytes()),
    ];
    if let Some(id) = service_id {
        calls.push((
            Method::PUT,
            format!("/v1/serviceids/{id}"),
            br#"{"name":"renamed","description":"d"}"#.to_vec(),
        ));
        calls.push((Method::POST, format!("/v1/serviceids/{id}/lock"), vec![]));
    }
    if let Some(id) = api_key_id {
        calls.push((
            Method::PUT,
            format!("/v1/apikeys/{id}"),
            br#"{"name":"renamed"}"#.to_vec(),
        ));
        calls.push((Method::POST, format!("/v1/apikeys/{id}/disable"), vec![]));
    }
    if let Some(id) = profile_id {
        calls.push((Method::GET, format!("/v1/profiles/{id}"), vec![]));
        calls.push((Method::GET, format!("/v1/profiles/{id}/links"), vec![]));
        calls.push((
            Method::PUT,
            format!("/v1/profiles/{id}/identities"),
            br#"{"identities":[]}"#.to_vec(),
        ));
        calls.push((Method::DELETE, format!("/v1/profiles/{id}"), vec![]));
    }
    for (method, path, body) in calls {
        let headers: &[(&str, &str)] = if body.is_empty() { &auth } else { &json_auth };
        send(&router, method, &path, headers, body).await;
    }
}

/// One request through the router, checked; its status and JSON body (`Null` if none).
async fn send(
    router: &Router,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method.clone()).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .expect("a request the harness built");
    let answer = answer(router, req).await.expect("no fault was armed");
    check(&method, path, &answer, false);
    let json = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    (answer.status, json)
}

/// An answer as a client sees it.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Runs a request through the router. `None` when no answer came (a `drop` fault): the
/// targets run on a runtime with paused time, which skips ahead to the timeout at once.
async fn answer(router: &Router, req: Request<Body>) -> Option<Answer> {
    let call = router.clone().oneshot(req);
    let resp = match tokio::time::timeout(Duration::from_secs(24 * 3600), call).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(never)) => match never {},
        Err(_) => return None,
    };
    let (parts, body) = resp.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("the emulator's answers are in memory");
    Some(Answer {
        status: parts.status,
        headers: parts.headers,
        body: body.to_vec(),
    })
}

/// The promises every answer keeps: an error (4xx, 5xx) has one of IAM's error bodies with a
/// message (the token service's on `/identity/token`), and a 5xx was injected.
pub fn check(method: &Method, path: &str, a: &Answer, faults_armed: bool) {
    let status = a.status;
    if method == Method::HEAD || status.as_u16() < 400 {
        return;
    }
    let text = String::from_utf8_lossy(&a.body);
    let v: Value = serde_json::from_slice(&a.body).unwrap_or_else(|e| {
        panic!("{method} {path}: {status} with a body that is not JSON ({e}): {text}")
    });
    let nonempty = |v: &Value| v.as_str().is_some_and(|s| !s.trim().is_empty());
    let token_shape = v["errorCode"].is_string() && nonempty(&v["errorMessage"]);
    let platform_shape =
        nonempty(&v["errors"][0]["message"]) && v["status_code"] == status.as_u16();
    let admin_shape = nonempty(&v["error"]);
    assert!(
        token_shape || platform_shape || admin_shape,
        "{method} {path}: {status} without an IAM error body: {text}"
    );
    if path == "/identity/token" {
        assert!(
            token_shape,
            "{method} {path}: {status} without the token service's error body: {text}"
        );
    }
    if status.is_server_error() {
        let code = v["errorCode"]
            .as_str()
            .or(v["errors"][0]["message_code"].as_str());
        assert!(
            faults_armed && code == Some(INJECTED_FAULT),
            "{method} {path}: {status} that no fault injected: {text}"
        );
    }
}

/// The demo world behind a router, with tokens of every kind minted once, reset before each
/// input. Requests are written as text (`METHOD /path?query`, header lines, a blank line, the
/// body; `~~~` on a line of its own separates requests), so seeds are readable and the fuzzer
/// mutates what matters. `$NAME` stands for a minted token (`$USER_TOKEN`, ...), for the `id`
/// of the last answer (`$LAST_ID`) or its `ETag` (`$LAST_ETAG`).
pub struct Http {
    app: Arc<App>,
    router: Router,
    /// The key id the tokens were minted under: an input's `POST /emulator/reset` moves it on.
    kid: String,
    fresh: World,
    sessions: Sessions,
    delegations: Delegations,
    vars: Vec<(&'static str, String)>,
}

/// The most requests of one input that are run.
const MAX_REQUESTS: usize = 16;

impl Http {
    pub fn new() -> Http {
        let mut world = World::from_seed(&Seed::demo()).expect("the demo world");
        world.reindex();
        let fresh = world.clone();
        let app = Arc::new(new_app(world, signer(), HashMap::new(), Clock::default()));
        // Tokens that outlive any move of the clock the inputs make (up to a century).
        app.token_ttl
            .store(MAX_SPAN as u64, std::sync::atomic::Ordering::Relaxed);
        app.refresh_ttl
            .store(MAX_SPAN as u64, std::sync::atomic::Ordering::Relaxed);
        let grant = |basic: Option<&[u8]>, form: &str| -> Value {
            let headers = basic_header(basic);
            let form = form::parse_form(form.as_bytes());
            match token::handle(&app, &headers, &form) {
                Ok(answer) => serde_json::to_value(answer).expect("a token answer"),
                Err(e) => panic!("minting a token for the fuzz targets: {e:?}"),
            }
        };
        let apikey = |key: &str| {
            format!(
                "grant_type={}&apikey={key}",
                GRANT_APIKEY.replace(':', "%3A")
            )
        };
        let user = grant(None, &apikey(seed::DEMO_APIKEY));
        let other = grant(None, &apikey(seed::OTHER_APIKEY));
        let service = grant(None, &apikey(seed::DEMO_SERVICE_APIKEY));
        let with_refresh = grant(
            Some(b"Basic Yng6Yng="),
            &format!(
                "{}&response_type=cloud_iam%20delegated_refresh_token&receiver_client_ids=kube",
                apikey(seed::DEMO_APIKEY)
            ),
        );
        let text = |v: &Value, k: &str| v[k].as_str().expect("a token field").to_owned();
        let service_token = text(&service, "access_token");
        let profile = grant(
            None,
            &format!(
                "grant_type=urn:ibm:params:oauth:grant-type:assume&access_token={service_token}&profile_id={}",
                seed::DEMO_PROFILE_ID
            ),
        );
        let now = app.now();
        let exp = now + MAX_SPAN;
        let cr_resource = ComputeResource {
            cr_type: "IKS_SA".into(),
            crn: seed::DEMO_IKS_CLUSTER_CRN.into(),
            namespace: Some(seed::DEMO_IKS_NAMESPACE.into()),
            name: Some(seed::DEMO_IKS_SERVICE_ACCOUNT.into()),
            ..ComputeResource::default()
        };
        let cr = app
            .signer
            .sign_as(
                Kind::ComputeResource,
                &CrClaims::new(URL, cr_resource, now, exp),
            )
            .expect("a cr token");
        let instance = app
            .signer
            .sign_as(
                Kind::InstanceIdentity,
                &InstanceClaims::new(URL, seed::DEMO_VPC_INSTANCE_CRN, now, exp),
            )
            .expect("an instance identity token");
        let vars = vec![
            ("$USER_TOKEN", text(&user, "access_token")),
            ("$OTHER_TOKEN", text(&other, "access_token")),
            ("$SERVICE_TOKEN", service_token),
            ("$PROFILE_TOKEN", text(&profile, "access_token")),
            ("$REFRESH_TOKEN", text(&with_refresh, "refresh_token")),
            (
                "$DELEGATED_TOKEN",
                text(&with_refresh, "delegated_refresh_token"),
            ),
            ("$CR_TOKEN", cr),
            ("$II_TOKEN", instance),
        ];
        let sessions = lock(&app.sessions).clone();
        let delegations = lock(&app.delegations).clone();
        let router = router::router(app.clone(), &Limits::default());
        let http = Http {
            kid: app.signer.kid(),
            app,
            router,
            fresh,
            sessions,
            delegations,
            vars,
        };
        http.reset();
        http
    }

    /// Back to the world and tokens of `new`: what one input did is not seen by the next.
    pub fn reset(&self) {
        let app = &self.app;
        *write(&app.world) = self.fresh.clone();
        *lock(&app.sessions) = self.sessions.clone();
        *lock(&app.delegations) = self.delegations.clone();
        lock(&app.passcodes).clear();
        lock(&app.faults).clear();
        *lock(&app.stats) = Stats::default();
        let _ = app.clock.advance(-app.clock.offset());
        use std::sync::atomic::Ordering::Relaxed;
        app.token_ttl.store(3600, Relaxed);
        app.refresh_ttl.store(30 * 24 * 3600, Relaxed);
        app.passcode_ttl.store(crate::app::PASSCODE_TTL, Relaxed);
        app.journal.clear();
        *lock(&app.snapshots) = Default::default();
        *lock(&app.added) = Default::default();
        app.signer.set_kid(&self.kid);
    }

    /// Runs the requests of one input (after a reset) and checks every answer.
    pub async fn run(&self, input: &[u8]) {
        self.reset();
        let passcode = self
            .app
            .new_passcode("IBMid-6650002SSO")
            .unwrap_or_default();
        let mut vars = self.vars.clone();
        vars.push(("$PASSCODE", passcode));
        vars.push(("$LAST_ID", String::new()));
        vars.push(("$LAST_ETAG", String::new()));
        for raw in split(input, b"\n~~~\n").take(MAX_REQUESTS) {
            let raw = substitute(raw, &vars);
            let Some((method, path, req)) = parse_request(&raw) else {
                continue;
            };
            let armed = !lock(&self.app.faults).is_empty();
            let Some(answer) = answer(&self.router, req).await else {
                continue;
            };
            check(&method, &path, &answer, armed);
            if let Ok(v) = serde_json::from_slice::<Value>(&answer.body)
                && let Some(id) = v["id"].as_str()
            {
                set(&mut vars, "$LAST_ID", id);
            }
            if let Some(tag) = answer
                .headers
                .get(header::ETAG)
                .and_then(|t| t.to_str().ok())
            {
                set(&mut vars, "$LAST_ETAG", tag);
            }
        }
    }

    /// The token endpoint's own parsing and grants, without the router: the first line of
    /// the input is the `Authorization` header (empty: none), the rest the form body.
    pub fn token(&self, input: &[u8]) {
        self.reset();
        let passcode = self
            .app
            .new_passcode("IBMid-6650002SSO")
            .unwrap_or_default();
        let mut vars = self.vars.clone();
        vars.push(("$PASSCODE", passcode));
        let input = substitute(input, &vars);
        let (auth, body) = match input.iter().position(|&b| b == b'\n') {
            Some(i) => (&input[..i], &input[i + 1..]),
            None => (&input[..], &[][..]),
        };
        check_token_request(&self.app, (!auth.is_empty()).then_some(auth), body);
    }

    /// Tokens as the emulator verifies them. The first byte chooses: `0` takes the rest as a
    /// token; `1`..`3` signs the rest as the payload of an access, compute-resource or
    /// instance identity token, so the claims behind a valid signature are parsed too. The
    /// token is verified as each kind and presented where tokens go: as a bearer token, to
    /// the cr-token and assume grants, to the metadata service.
    pub async fn jwt(&self, input: &[u8]) {
        let Some((&mode, rest)) = input.split_first() else {
            return;
        };
        self.reset();
        let kinds = [Kind::Access, Kind::ComputeResource, Kind::InstanceIdentity];
        let token = match mode % 4 {
            0 => match std::str::from_utf8(rest) {
                Ok(text) => text.to_owned(),
                Err(_) => return,
            },
            m => self
                .app
                .signer
                .sign_payload(kinds[usize::from(m) - 1], rest)
                .expect("signing"),
        };
        for kind in kinds {
            let _ = self.app.signer.verify_as::<Value>(kind, &token);
        }
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let requests = [
            format!("GET /coe/v2/accounts\nAuthorization: Bearer {token}\n\n"),
            format!(
                "POST /identity/token\ncontent-type: application/x-www-form-urlencoded\n\ngrant_type=urn:ibm:params:oauth:grant-type:cr-token&profile_name=demo-workload&cr_token={}",
                enc(&token)
            ),
            format!(
                "POST /identity/token\ncontent-type: application/x-www-form-urlencoded\n\ngrant_type=urn:ibm:params:oauth:grant-type:assume&profile_id={}&access_token={}",
                seed::DEMO_PROFILE_ID,
                enc(&token)
            ),
            format!(
                "POST /identity/v1/iam_tokens?version=2025-08-26\nAuthorization: Bearer {token}\n\n"
            ),
        ];
        for raw in requests {
            let Some((method, path, req)) = parse_request(raw.as_bytes()) else {
                continue;
            };
            if let Some(answer) = answer(&self.router, req).await {
                check(&method, &path, &answer, false);
            }
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        Http::new()
    }
}

fn basic_header(value: Option<&[u8]>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(v) = value.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(header::AUTHORIZATION, v);
    }
    headers
}

/// A query string (`pagetoken`, `pagesize`, `sort`, ... as a list's URL carries them) through
/// the listing parameters, and every page link of the envelope back to its listing: see
/// `pagination::check_page_links`.
pub fn page_token(query: &[u8]) {
    check_page_links(query);
}

fn split<'a>(input: &'a [u8], separator: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(input);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(separator.len()).position(|w| w == separator) {
            Some(i) => {
                rest = Some(&r[i + separator.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn set(vars: &mut [(&'static str, String)], name: &str, value: &str) {
    if let Some(v) = vars.iter_mut().find(|(n, _)| *n == name) {
        v.1 = value.to_owned();
    }
}

/// Replaces every `$NAME` of `vars` in `raw`.
fn substitute(raw: &[u8], vars: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'$'
            && let Some((name, value)) = vars
                .iter()
                .find(|(name, _)| raw[i..].starts_with(name.as_bytes()))
        {
            out.extend_from_slice(value.as_bytes());
            i += name.len();
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// A request written as text, as a client's HTTP/1.1 would deliver it to the router: what
/// hyper refuses before the router (a bad method, target or header) is skipped, and the body
/// carries its own length.
fn parse_request(raw: &[u8]) -> Option<(Method, String, Request<Body>)> {
    let (head, body) = match raw.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&raw[..i], &raw[i + 2..]),
        None => (raw, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n').map(|l| l.trim_ascii());
    let mut first = lines
        .next()?
        .split(|&b| b == b' ')
        .filter(|p| !p.is_empty());
    let method = Method::from_bytes(first.next()?).ok()?;
    let target = first.next()?;
    if !target.starts_with(b"/") {
        return None;
    }
    let uri = axum::http::Uri::try_from(target).ok()?;
    let path = uri.path().to_owned();
    let mut req = Request::builder().method(method.clone()).uri(uri);
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(line[..colon].trim_ascii()),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        if name == header::CONTENT_LENGTH || name == header::TRANSFER_ENCODING {
            continue;
        }
        req = req.header(name, value);
    }
    if !body.is_empty() {
        req = req.header(header::CONTENT_LENGTH, body.len());
    }
    let req = req.body(Body::from(body.to_vec())).ok()?;
    Some((method, path, req))
}
