//! The router, its middleware (error bodies, body limit, stats, faults), and the accept loop
//! (hand-rolled rather than `axum::serve` so a `drop` fault can cut a connection without
//! answering, and so connections are bounded in number and idle time).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tower::ServiceExt as _;

use crate::app::{App, FaultKind, GrantCounted};
use crate::http::errors::{self as codes, ApiError, Ctx, TokenError, render};
use crate::http::limits::Limits;
use crate::token::vpc::VpcError;
use crate::token::{endpoint as token, form, passcode, vpc};
use crate::{accounts, admin, identity};

/// Lets a handler end its own connection without a response (the `drop` fault).
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

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
        // Bodies sent chunked are counted as they arrive (the extractors refuse one past the
        // limit); `limit_body` refuses a declared length past it before reading a byte.
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(edge.clone(), limit_body))
        .layer(middleware::from_fn_with_state(edge.clone(), observe))
        // Outermost, so that faults' errors get their context in the same place as handlers'.
        .layer(middleware::from_fn_with_state(edge, render_errors))
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
    render(resp, &ctx, &app.url)
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
            let _busy = req.extensions().get::<ConnActivity>().map(|a| a.0.busy());
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

/// When bytes last moved on a connection, and whether a request on it is being answered.
struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last read or write that moved bytes.
    last: AtomicU64,
    /// Requests on the connection that are being answered slowly on purpose (a delay fault).
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        let since_open = self.opened.elapsed();
        since_open.saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)))
    }

    fn busy(self: &Arc<Self>) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::AcqRel);
        BusyGuard(self.clone())
    }

    /// Completes once the connection has been quiet for `idle` while not busy.
    async fn idle(&self, idle: Duration) {
        loop {
            let quiet = self.quiet_for();
            if quiet >= idle && self.busy.load(Ordering::Acquire) == 0 {
                return;
            }
            tokio::time::sleep(idle.saturating_sub(quiet).max(idle / 4)).await;
        }
    }
}

struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
        // The delay was the emulator's, not the client's silence.
        self.0.touch();
    }
}

/// The connection's activity, for handlers that keep it busy on purpose.
#[derive(Clone)]
struct ConnActivity(Arc<Activity>);

/// A socket that records when bytes move through it.
struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Serves connections until `shutdown` completes; open connections are closed then. At most
/// `limits.max_connections` are served at once: the next is accepted when one closes, so
/// clients beyond the bound wait in the listen queue and the process never runs out of file
/// descriptors on their account.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_header_size(limits.max_header_bytes)
        .max_headers(limits.max_headers)
        .header_read_timeout(limits.idle_timeout);
    let http = Arc::new(http);
    let mut last_accept_error: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot,
        };
        // The semaphore is never closed.
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning, and say
                // so at most once a second.
                if last_accept_error.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    eprintln!("iam-emulator: accept failed: {e}");
                    last_accept_error = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let http = http.clone();
        let mut stop = stop_rx.clone();
        let idle = limits.idle_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            let kill = Arc::new(Notify::new());
            let activity = Arc::new(Activity::new());
            let handles = (ConnKill(kill.clone()), ConnActivity(activity.clone()));
            let svc = router.map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(handles.0.clone());
                req.extensions_mut().insert(handles.1.clone());
                req
            });
            let io = Tracked {
                stream,
                activity: activity.clone(),
            };
            let conn = http.serve_connection(TokioIo::new(io), TowerToHyperService::new(svc));
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = stop.changed() => {}
                _ = activity.idle(idle) => {}
            }
        });
    }
    let _ = stop_tx.send(true);
}
