//! The emulator's own API under `/emulator/`: passcodes for automation, stats, fault
//! injection, token lifetimes, refresh-token revocation, the clock, and compute-resource tokens
//! for tests. Not authenticated: the emulator binds loopback by default.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::app::{App, Fault, FaultKind, lock, read};
use crate::crypto::claims::CrClaims;
use crate::crypto::jwt::Kind;
use crate::model::clock::{MAX_SPAN, Reading};
use crate::model::trust::{self, ComputeResource, LinkTarget};

fn bad(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, axum::Json(json!({"error": message.to_string()}))).into_response()
}

/// A body that is not the JSON object an endpoint takes.
#[derive(Debug)]
struct BadBody(serde_json::Error);

impl std::fmt::Display for BadBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid JSON body: {}", self.0)
    }
}

impl std::error::Error for BadBody {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Parses a JSON body, treating an empty body as `{}`.
fn body<T: for<'de> Deserialize<'de>>(bytes: &Bytes) -> Result<T, BadBody> {
    let text = if bytes.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &bytes[..]
    };
    serde_json::from_slice(text).map_err(BadBody)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasscodeRequest {
    #[serde(default)]
    user: Option<String>,
}

/// `POST /emulator/passcodes`: a one-time passcode for a user, as if they had signed in on the
/// passcode page. No user: the demo world's first federated (SSO) user.
pub async fn create_passcode(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let req: PasscodeRequest = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let iam_id = {
        let world = read(&app.world);
        let user = match req.user.as_deref().filter(|u| !u.is_empty()) {
            Some(login) => world.user_by_login(login),
            None => world
                .users
                .iter()
                .find(|u| u.federated)
                .or(world.users.first()),
        };
        match user {
            Some(u) => u.iam_id.clone(),
            None => {
                return bad(
                    StatusCode::NOT_FOUND,
                    format!("no user '{}'", req.user.unwrap_or_default()),
                );
            }
        }
    };
    let code = app.new_passcode(&iam_id);
    (
        StatusCode::OK,
        axum::Json(json!({"passcode": code, "iam_id": iam_id, "expires_in": app.passcode_ttl()})),
    )
        .into_response()
}

pub async fn stats(State(app): State<Arc<App>>) -> Response {
    let stats = lock(&app.stats);
    axum::Json(json!({
        "token_grants": stats.token_grants,
        "requests": stats.requests,
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    path: String,
    #[serde(default)]
    count: Option<u32>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    drop: bool,
    #[serde(default)]
    redirect: Option<String>,
}

/// `POST /emulator/faults`: the next `count` (default 1) requests to `path` fail with
/// `status`, are delayed by `delay_ms`, lose their connection (`drop`), or are redirected
/// to `redirect` (a misconfigured proxy or endpoint, for clients that must not follow).
pub async fn add_fault(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let req: FaultRequest = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    if !req.path.starts_with('/') {
        return bad(StatusCode::BAD_REQUEST, "'path' must start with '/'");
    }
    let count = req.count.unwrap_or(1);
    if count == 0 {
        return bad(StatusCode::BAD_REQUEST, "'count' must be at least 1");
    }
    let kind = match (req.status, req.delay_ms, req.drop, req.redirect) {
        (status, None, false, Some(location)) => {
            let status = status.unwrap_or(307);
            if ![301, 302, 303, 307, 308].contains(&status) {
                return bad(
                    StatusCode::BAD_REQUEST,
                    "'status' with 'redirect' must be 301, 302, 303, 307 or 308",
                );
            }
            if HeaderValue::from_str(&location).is_err() {
                return bad(StatusCode::BAD_REQUEST, "'redirect' is not a valid URL");
            }
            FaultKind::Redirect { status, location }
        }
        (Some(status), None, false, None) => {
            if !(400..=599).contains(&status) {
                return bad(StatusCode::BAD_REQUEST, "'status' must be 400..599");
            }
            FaultKind::Status {
                status,
                retry_after: req.retry_after,
            }
        }
        (None, Some(delay_ms), false, None) => FaultKind::Delay { delay_ms },
        (None, None, true, None) => FaultKind::Drop,
        _ => {
            return bad(
                StatusCode::BAD_REQUEST,
                "give exactly one of 'status', 'delay_ms', 'drop': true or 'redirect'",
            );
        }
    };
    let fault = Fault {
        path: req.path,
        kind,
        remaining: count,
    };
    lock(&app.faults).push(fault.clone());
    (StatusCode::OK, axum::Json(fault)).into_response()
}

pub async fn list_faults(State(app): State<Arc<App>>) -> Response {
    let faults = lock(&app.faults).clone();
    axum::Json(json!({ "faults": faults })).into_response()
}

pub async fn clear_faults(State(app): State<Arc<App>>) -> Response {
    lock(&app.faults).clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigRequest {
    #[serde(default)]
    token_ttl: Option<u64>,
    #[serde(default)]
    refresh_token_ttl: Option<u64>,
    #[serde(default)]
    passcode_ttl: Option<u64>,
}

fn config_json(app: &App) -> Response {
    axum::Json(json!({
        "token_ttl": app.token_ttl(),
        "refresh_token_ttl": app.refresh_ttl(),
        "passcode_ttl": app.passcode_ttl(),
    }))
    .into_response()
}

pub async fn get_config(State(app): State<Arc<App>>) -> Response {
    config_json(&app)
}

/// `PUT /emulator/config`: lifetimes of tokens and passcodes issued from now on.
pub async fn put_config(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let req: ConfigRequest = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let lifetimes = [req.token_ttl, req.refresh_token_ttl, req.passcode_ttl];
    if lifetimes.contains(&Some(0)) {
        return bad(
            StatusCode::BAD_REQUEST,
            "lifetimes must be at least 1 second",
        );
    }
    if lifetimes.into_iter().flatten().any(|t| t > MAX_SPAN as u64) {
        return bad(
            StatusCode::BAD_REQUEST,
            format!("lifetimes must be at most {MAX_SPAN} seconds (100 years)"),
        );
    }
    if let Some(t) = req.token_ttl {
        app.token_ttl.store(t, Ordering::Relaxed);
    }
    if let Some(t) = req.refresh_token_ttl {
        app.refresh_ttl.store(t, Ordering::Relaxed);
    }
    if let Some(t) = req.passcode_ttl {
        app.passcode_ttl.store(t, Ordering::Relaxed);
    }
    config_json(&app)
}

pub async fn revoke_refresh_tokens(State(app): State<Arc<App>>) -> Response {
    let n = app.revoke_sessions();
    axum::Json(json!({ "revoked": n })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    advance_seconds: i64,
}

fn clock_json(r: Reading) -> Response {
    axum::Json(json!({"now": r.now, "offset_seconds": r.offset})).into_response()
}

pub async fn get_clock(State(app): State<Arc<App>>) -> Response {
    clock_json(app.clock.read())
}

/// `POST /emulator/clock`: moves the emulator's time (back when negative); offsets add up.
/// Persisted with `--state`, so a resumed emulator agrees with the tokens it issued.
pub async fn advance_clock(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let req: ClockRequest = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    match app.clock.advance(req.advance_seconds) {
        Ok(reading) => {
            app.mark_dirty();
            clock_json(reading)
        }
        Err(e) => bad(StatusCode::BAD_REQUEST, e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrTokenRequest {
    #[serde(default)]
    cr_type: Option<String>,
    #[serde(default)]
    crn: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    component_type: Option<String>,
    #[serde(default)]
    component_name: Option<String>,
    #[serde(default)]
    ttl: Option<i64>,
}

/// Lifetime of a compute-resource token when the request names none (IKS projects its service
/// account tokens for about an hour).
const CR_TOKEN_TTL: i64 = 3600;

/// `POST /emulator/cr-tokens`: a compute-resource token, as the platform would project it into
/// a workload: `{"cr_type", "crn", "namespace", "name", "component_type", "component_name",
/// "ttl"}` (IKS_SA and ROKS_SA need `namespace` and `name`). Signed under its own key id, so
/// it is a cr_token for the cr-token grant and nothing else.
pub async fn create_cr_token(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let req: CrTokenRequest = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return bad(StatusCode::BAD_REQUEST, e),
    };
    let Some(cr_type) = req.cr_type.filter(|t| !t.is_empty()) else {
        return bad(StatusCode::BAD_REQUEST, "'cr_type' is required");
    };
    let Some(crn) = req.crn.filter(|c| !c.trim().is_empty()) else {
        return bad(StatusCode::BAD_REQUEST, "'crn' is required");
    };
    let ttl = req.ttl.unwrap_or(CR_TOKEN_TTL);
    if !(1..=MAX_SPAN).contains(&ttl) {
        return bad(
            StatusCode::BAD_REQUEST,
            format!("'ttl' must be 1..{MAX_SPAN} seconds"),
        );
    }
    let target = LinkTarget {
        crn,
        namespace: req.namespace,
        name: req.name,
        component_type: req.component_type,
        component_name: req.component_name,
    }
    .normalized();
    // The rules of a link, with the resource's own account as the profile's.
    let account = trust::crn_account(&target.crn)
        .unwrap_or_default()
        .to_owned();
    if let Err(e) = trust::check_link(&cr_type, &target, false, &account) {
        return bad(StatusCode::BAD_REQUEST, e);
    }
    let resource = ComputeResource {
        cr_type,
        crn: target.crn,
        namespace: target.namespace,
        name: target.name,
        component_type: target.component_type,
        component_name: target.component_name,
    };
    let iat = app.now();
    let claims = CrClaims::new(&app.url, resource, iat, iat + ttl);
    match app.signer.sign_as(Kind::ComputeResource, &claims) {
        Ok(token) => (
            StatusCode::OK,
            axum::Json(json!({"cr_token": token, "exp": claims.exp})),
        )
            .into_response(),
        Err(e) => bad(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}
