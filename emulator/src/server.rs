//! The router, its middleware (error bodies, stats, faults), and the accept loop (hand-rolled
//! rather than `axum::serve` so a `drop` fault can cut a connection without answering).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

use crate::app::{App, FaultKind, GrantCounted};
use crate::errors::{self as codes, ApiError, Ctx, TokenError, render};
use crate::{accounts, admin, form, identity, passcode, token, vpc};

/// Lets a handler end its own connection without a response (the `drop` fault).
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(
            "/identity/token",
            post(token::token).fallback(token::method_not_allowed),
        )
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
        .route("/emulator/passcodes", post(admin::create_passcode))
        .route("/emulator/cr-tokens", post(admin::create_cr_token))
        .route("/emulator/stats", get(admin::stats))
        .route(
            "/emulator/faults",
            post(admin::add_fault)
                .get(admin::list_faults)
                .delete(admin::clear_faults),
        )
        .route(
            "/emulator/config",
            get(admin::get_config).put(admin::put_config),
        )
        .route(
            "/emulator/refresh-tokens/revoke",
            post(admin::revoke_refresh_tokens),
        )
        .route(
            "/emulator/clock",
            get(admin::get_clock).post(admin::advance_clock),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        // Outermost, so that faults' errors get their context in the same place as handlers'.
        .layer(middleware::from_fn_with_state(app.clone(), render_errors))
        .with_state(app)
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
/// context (request id, URL, host, times), so no handler has to carry the context.
async fn render_errors(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let ctx = Ctx::from_parts(
        req.method(),
        req.uri().path(),
        req.headers(),
        app.clock.timestamp(),
    );
    let resp = next.run(req).await;
    render(resp, &ctx, &app.url)
}

/// Counts requests per path and applies armed faults. The emulator's own `/emulator/` API is
/// neither counted nor faultable, so tests can always inspect and reset it.
async fn observe(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/emulator/") {
        return next.run(req).await;
    }
    app.count_request(&path);
    let Some(fault) = app.take_fault(&path) else {
        return next.run(req).await;
    };
    // Faulted token requests still count by grant type, so tests can count a client's retries.
    let req = if path == "/identity/token" && req.method() == Method::POST {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
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
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        FaultKind::Drop => {
            if let Some(kill) = req.extensions().get::<ConnKill>() {
                kill.0.notify_one();
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

/// Serves connections until `shutdown` completes; open connections are closed then.
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                eprintln!("iam-emulator: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let kill = Arc::new(Notify::new());
            let handle = ConnKill(kill.clone());
            let svc = router.map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(handle.clone());
                req
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = stop.changed() => {}
            }
        });
    }
    let _ = stop_tx.send(true);
}
