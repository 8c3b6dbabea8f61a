//! The emulator's own API under `/emulator/`: passcodes for automation, stats, fault
//! injection, token lifetimes, refresh-token revocation and the clock for tests. Not
//! authenticated: the emulator binds loopback by default.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::app::{App, Fault, FaultKind};
use crate::clock::{MAX_SPAN, Reading};
use crate::util::{lock, read};

fn bad(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

/// Parses a JSON body, treating an empty body as `{}`.
fn body<T: for<'de> Deserialize<'de>>(bytes: &Bytes) -> Result<T, String> {
    let text = if bytes.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        &bytes[..]
    };
    serde_json::from_slice(text).map_err(|e| format!("invalid JSON body: {e}"))
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
