//! The router: every route of the emulator, and the middleware around them that gives errors
//! IBM's bodies with the request's context, refuses bodies over the limit, counts requests
//! and applies armed faults.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;

use super::caller::CallerSlot;
use super::errors::{self as codes, ApiError, Ctx, TokenError, render};
use super::limits::Limits;
use super::server::{ConnActivity, ConnKill};
use crate::app::{App, FaultKind, GrantCounted};
use crate::model::journal::{Entry, redact_path, redact_query};
use crate::token::vpc::VpcError;
use crate::token::{endpoint as token, form, passcode, vpc};
use crate::{access, accounts, admin, identity};

/// What the middleware shares: the app and the body limit.
#[derive(Clone)]
struct Edge {
    app: Arc<App>,
    max_body: usize,
}

pub fn router(app: Arc<App>, limits: &Limits) -> Router {
    let edge = Edge {
        app: app.clone(),
        max_body: limits.max_body_bytes,
    };
    Router::new()
        .route(
            "/identity/token",
            post(token::token).fallback(token::method_not_allowed),
        )
        .route("/health", get(health))
        .route("/identity/keys", get(token::keys))
        .route(
            "/identity/.well-known/openid-configuration",
            get(token::openid_configuration),
        )
        .route(
            "/identity/passcode",
            get(passcode::page).post(passcode::sign_in),
        )
        .route("/coe/v2/accounts", get(accounts::list_accounts))
        .route("/coe/v2/accounts/{id}", get(accounts::get_account))
        .route("/v2/resource_groups", get(accounts::list_resource_groups))
        .route(
            "/v2/resource_groups/{id}",
            get(accounts::get_resource_group),
        )
        .merge(identity::routes())
        .merge(access::routes())
        // The VPC instance metadata service of the virtual server the emulator plays, in both
        // API versions' paths.
        .route(
            "/instance_identity/v1/token",
            put(vpc::create_access_token).fallback(vpc::method_not_allowed),
        )
        .route(
            "/identity/v1/token",
            put(vpc::create_access_token).fallback(vpc::method_not_allowed),
        )
        .route(
            "/instance_identity/v1/iam_token",
            post(vpc::create_iam_token).fallback(vpc::method_not_allowed),
        )
        .route(
            "/identity/v1/iam_tokens",
            post(vpc::create_iam_token).fallback(vpc::method_not_allowed),
        )
        .merge(admin::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Bodies sent chunked are counted as they arrive (the extractors refuse one past the
        // limit); `limit_body` refuses a declared length past it before reading a byte.
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(edge.clone(), limit_body))
        .layer(middleware::from_fn_with_state(edge.clone(), observe))
        // Outside the faults, so that faults' errors get their context in the same place as
        // handlers'.
        .layer(middleware::from_fn_with_state(edge.clone(), render_errors))
        // Before anything reads an admin request's body.
        .layer(middleware::from_fn_with_state(edge.clone(), admin_auth))
        // Outermost: the journal sees every answer as it leaves, refusals included.
        .layer(middleware::from_fn_with_state(edge, journal))
        .with_state(app)
}

/// `GET /health`: the emulator answers. No token, no state read, for a container's health
/// check or a script waiting for the port.
async fn health() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

/// Paths that are not part of what the emulator emulates nor of the admin API: neither
/// counted, faulted nor journaled, so probing them changes nothing.
fn is_probe(path: &str) -> bool {
    path == "/health"
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        codes::NOT_FOUND,
        format!("No such endpoint: {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        codes::METHOD_NOT_ALLOWED,
        format!("Method {method} is not allowed on {}.", uri.path()),
    )
}

/// Gives every error a handler, extractor or fault returned IBM's body with this request's
/// context (request id, URL, host, times), so no handler has to carry the context. Errors of
/// axum's extractors (a body over the limit, a path segment that is not UTF-8) come as plain
/// text; they get the endpoint's error body too.
async fn render_errors(State(edge): State<Edge>, req: Request, next: Next) -> Response {
    let app = &edge.app;
    let ctx = Ctx::from_parts(
        req.method(),
        req.uri().path(),
        req.headers(),
        app.clock.timestamp(),
    );
    let resp = next.run(req).await;
    let resp = reshape_rejection(resp, &ctx.path, edge.max_body).await;
    render(resp, &ctx)
}

/// Which error body an endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The token service's (`errorCode`, `errorMessage`, ...).
    Token,
    /// The VPC metadata service's (`errors` with `more_info`, no `context`).
    Vpc,
    /// The admin API's `{"error": "..."}`.
    Admin,
    /// The platform APIs' (`errors`, `trace`, `status_code`, `context`).
    Platform,
}

impl Shape {
    pub fn of(path: &str) -> Shape {
        if path == "/identity/token" || path == "/identity/passcode" {
            Shape::Token
        } else if vpc::PATHS.contains(&path) {
            Shape::Vpc
        } else if path.starts_with("/emulator/") {
            Shape::Admin
        } else {
            Shape::Platform
        }
    }
}

/// A refusal of the request itself (its size, its encoding) in the endpoint's error shape.
fn refuse(path: &str, status: StatusCode, message: String) -> Response {
    let too_large = status == StatusCode::PAYLOAD_TOO_LARGE;
    let code = if too_large {
        codes::REQUEST_TOO_LARGE
    } else {
        codes::INVALID_PROPERTY
    };
    match Shape::of(path) {
        Shape::Token => TokenError::new(
            code,
            if too_large {
                "Request body too large."
            } else {
                "Invalid request."
            },
            message,
        )
        .status(status)
        .into_response(),
        Shape::Vpc => VpcError::new(
            status,
            if too_large {
                "request_too_large"
            } else {
                "invalid_request"
            },
            message,
        )
        .into_response(),
        Shape::Admin => (status, axum::Json(json!({ "error": message }))).into_response(),
        Shape::Platform => ApiError::new(
            status,
            if too_large {
                "request_too_large"
            } else {
                "invalid_request"
            },
            code,
            message,
        )
        .into_response(),
    }
}

fn too_large(path: &str, max_body: usize) -> Response {
    refuse(
        path,
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The request body is larger than {max_body} bytes, the most this server accepts."),
    )
}

/// axum's extractors refuse with a plain-text body; every other answer of the emulator is
/// JSON (or the passcode page's HTML), so plain text at 4xx/5xx is an extractor's refusal.
async fn reshape_rejection(resp: Response, path: &str, max_body: usize) -> Response {
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    let status = resp.status();
    if !plain || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large(path, max_body);
    }
    let text = axum::body::to_bytes(resp.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        format!("The request was refused ({status}).")
    } else {
        text
    };
    refuse(path, status, message)
}

/// Journals every request but the health probe and the journal's own: method, path and
/// query (secrets redacted), status, the verified caller, time. A request whose connection is
/// dropped before it is answered (a `drop` fault, a client that left) is journaled with
/// status 0, when its future is dropped.
async fn journal(State(edge): State<Edge>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !edge.app.journal.enabled() || is_probe(path) || path == admin::journal::PATH {
        return next.run(req).await;
    }
    let (path, query) = (redact_path(path), req.uri().query().map(redact_query));
    let slot = CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut pending = Pending {
        entry: Some(Entry {
            seq: 0,
            time: edge
                .app
                .clock
                .timestamp()
                .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
            method: req.method().to_string(),
            path,
            query,
            status: 0,
            iam_id: None,
            duration_ms: 0,
        }),
        app: edge.app.clone(),
        slot,
        started: Instant::now(),
    };
    let resp = next.run(req).await;
    pending.finish(resp.status().as_u16());
    resp
}

/// A request on its way through: journaled when answered, or when dropped unanswered.
struct Pending {
    app: Arc<App>,
    slot: CallerSlot,
    started: Instant,
    entry: Option<Entry>,
}

impl Pending {
    fn finish(&mut self, status: u16) {
        if let Some(mut e) = self.entry.take() {
            e.status = status;
            e.iam_id = self.slot.iam_id();
            e.duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.app.journal.record(e);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.finish(0);
    }
}

/// Whether a path is the admin API's (`/emulator` and below).
fn is_admin(path: &str) -> bool {
    path == "/emulator" || path.starts_with("/emulator/")
}

/// The admin API, when it has a token (given, or generated for a listener beyond loopback),
/// answers only requests that bear it; everything else passes.
async fn admin_auth(State(edge): State<Edge>, req: Request, next: Next) -> Response {
    let Some(expected) = edge.app.admin_token.as_ref() else {
        return next.run(req).await;
    };
    if !is_admin(req.uri().path()) {
        return next.run(req).await;
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let message = match given {
        Some(token) if expected.matches(token) => return next.run(req).await,
        Some(_) => "the admin token is not this emulator's",
        None => {
            "the admin API needs Authorization: Bearer <admin token> (the ready line's admin_token)"
        }
    };
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": message })),
    )
        .into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"iam-emulator admin\""),
    );
    resp
}

/// A request whose declared length is over the limit is refused before its body is read.
async fn limit_body(State(edge): State<Edge>, req: Request, next: Next) -> Response {
    if declared_length(req.headers()).is_some_and(|n| n > edge.max_body as u64) {
        return too_large(req.uri().path(), edge.max_body);
    }
    next.run(req).await
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Counts requests per path and applies armed faults. The emulator's own `/emulator/` API is
/// neither counted nor faultable, so tests can always inspect and reset it.
async fn observe(State(edge): State<Edge>, req: Request, next: Next) -> Response {
    let app = &edge.app;
    let path = req.uri().path().to_owned();
    if is_admin(&path) || is_probe(&path) {
        return next.run(req).await;
    }
    app.count_request(&path);
    let Some(fault) = app.take_fault(&path) else {
        return next.run(req).await;
    };
    // Faulted token requests still count by grant type, so tests can count a client's retries.
    let req = if path == "/identity/token" && req.method() == Method::POST {
        let (parts, body) = req.into_parts();
        if declared_length(&parts.headers).is_some_and(|n| n > edge.max_body as u64) {
            return too_large(&path, edge.max_body);
        }
        let Ok(bytes) = axum::body::to_bytes(body, edge.max_body).await else {
            return too_large(&path, edge.max_body);
        };
        let form = form::parse_form(&bytes);
        app.count_grant(form.get("grant_type").map(String::as_str).unwrap_or(""));
        // A delayed request goes on to the handler, which must not count it again.
        let mut req = Request::from_parts(parts, axum::body::Body::from(bytes));
        req.extensions_mut().insert(GrantCounted);
        req
    } else {
        req
    };
    match fault {
        FaultKind::Delay { delay_ms } => {
            // The connection is busy answering, not idle, however long the delay.
            let _busy = req
                .extensions()
                .get::<ConnActivity>()
                .map(ConnActivity::busy);
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        FaultKind::Drop => {
            if let Some(kill) = req.extensions().get::<ConnKill>() {
                kill.kill();
            }
            // The connection task drops this request's future along with the socket.
            return std::future::pending().await;
        }
        FaultKind::Redirect { status, location } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
            let mut resp = status.into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            return resp;
        }
        FaultKind::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = format!(
                "Injected fault: {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            let mut resp = if path == "/identity/token" {
                TokenError::new(
                    codes::INJECTED_FAULT,
                    message,
                    "Fault injected by POST /emulator/faults.",
                )
                .status(status)
                .into_response()
            } else {
                ApiError::new(status, "fault_injected", codes::INJECTED_FAULT, message)
                    .into_response()
            };
            if let Some(secs) = retry_after
                && let Ok(v) = HeaderValue::from_str(&secs.to_string())
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return resp;
        }
    }
    next.run(req).await
}
