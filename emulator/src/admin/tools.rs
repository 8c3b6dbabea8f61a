//! The admin API's small tools: passcodes without a browser, the stats, token lifetimes,
//! refresh-token revocation, the clock and compute-resource tokens.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{AdminError, AdminResult, body};
use crate::app::{App, lock, read};
use crate::crypto::claims::CrClaims;
use crate::crypto::jwt::Kind;
use crate::model::clock::{MAX_SPAN, Reading};
use crate::model::trust::{self, ComputeResource, LinkTarget};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasscodeRequest {
    #[serde(default)]
    user: Option<String>,
}

/// `POST /emulator/passcodes`: a one-time passcode for a user, as if they had signed in on the
/// passcode page. No user: the demo world's first federated (SSO) user.
pub async fn create_passcode(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let req: PasscodeRequest = body(&bytes)?;
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
                return Err(AdminError::NotFound(format!(
                    "no user '{}'",
                    req.user.unwrap_or_default()
                )));
            }
        }
    };
    let code = app.new_passcode(&iam_id).map_err(|full| AdminError::Full {
        what: "passcodes waiting to be used",
        limit: full.limit,
        hint: "use some, wait for them to expire, or lower passcode_ttl (PUT /emulator/config)",
    })?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"passcode": code, "iam_id": iam_id, "expires_in": app.passcode_ttl()})),
    )
        .into_response())
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
pub async fn put_config(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let req: ConfigRequest = body(&bytes)?;
    let lifetimes = [req.token_ttl, req.refresh_token_ttl, req.passcode_ttl];
    if lifetimes.contains(&Some(0)) {
        return Err(AdminError::invalid("lifetimes must be at least 1 second"));
    }
    if lifetimes.into_iter().flatten().any(|t| t > MAX_SPAN as u64) {
        return Err(AdminError::invalid(format!(
            "lifetimes must be at most {MAX_SPAN} seconds (100 years)"
        )));
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
    Ok(config_json(&app))
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
pub async fn advance_clock(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let req: ClockRequest = body(&bytes)?;
    let reading = app
        .clock
        .advance(req.advance_seconds)
        .map_err(AdminError::invalid)?;
    app.mark_dirty();
    Ok(clock_json(reading))
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
pub async fn create_cr_token(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let req: CrTokenRequest = body(&bytes)?;
    let Some(cr_type) = req.cr_type.filter(|t| !t.is_empty()) else {
        return Err(AdminError::invalid("'cr_type' is required"));
    };
    let Some(crn) = req.crn.filter(|c| !c.trim().is_empty()) else {
        return Err(AdminError::invalid("'crn' is required"));
    };
    let ttl = req.ttl.unwrap_or(CR_TOKEN_TTL);
    if !(1..=MAX_SPAN).contains(&ttl) {
        return Err(AdminError::invalid(format!(
            "'ttl' must be 1..{MAX_SPAN} seconds"
        )));
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
    trust::check_link(&cr_type, &target, false, &account).map_err(AdminError::invalid)?;
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
    let token = app
        .signer
        .sign_as(Kind::ComputeResource, &claims)
        .map_err(|e| AdminError::Internal(e.to_string()))?;
    Ok((
        StatusCode::OK,
        axum::Json(json!({"cr_token": token, "exp": claims.exp})),
    )
        .into_response())
}
