//! Fault injection: the next requests to a path fail with a status, wait, lose their
//! connection or are redirected. At most `MAX_FAULTS` are armed at once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{AdminError, AdminResult, body};
use crate::app::{App, Fault, FaultKind, lock};

/// Faults armed at once: tests arm a handful; each is a few hundred bytes at most.
pub const MAX_FAULTS: usize = 100;
/// The longest delay a fault may hold a request for: an hour is past any client's timeout.
pub const MAX_DELAY_MS: u64 = 3_600_000;

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
pub async fn add(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let req: FaultRequest = body(&bytes)?;
    if !req.path.starts_with('/') {
        return Err(AdminError::invalid("'path' must start with '/'"));
    }
    let count = req.count.unwrap_or(1);
    if count == 0 {
        return Err(AdminError::invalid("'count' must be at least 1"));
    }
    let kind = match (req.status, req.delay_ms, req.drop, req.redirect) {
        (status, None, false, Some(location)) => {
            let status = status.unwrap_or(307);
            if ![301, 302, 303, 307, 308].contains(&status) {
                return Err(AdminError::invalid(
                    "'status' with 'redirect' must be 301, 302, 303, 307 or 308",
                ));
            }
            if HeaderValue::from_str(&location).is_err() {
                return Err(AdminError::invalid("'redirect' is not a valid URL"));
            }
            FaultKind::Redirect { status, location }
        }
        (Some(status), None, false, None) => {
            if !(400..=599).contains(&status) {
                return Err(AdminError::invalid("'status' must be 400..599"));
            }
            FaultKind::Status {
                status,
                retry_after: req.retry_after,
            }
        }
        (None, Some(delay_ms), false, None) => {
            if delay_ms > MAX_DELAY_MS {
                return Err(AdminError::invalid(format!(
                    "'delay_ms' must be at most {MAX_DELAY_MS} (an hour)"
                )));
            }
            FaultKind::Delay { delay_ms }
        }
        (None, None, true, None) => FaultKind::Drop,
        _ => {
            return Err(AdminError::invalid(
                "give exactly one of 'status', 'delay_ms', 'drop': true or 'redirect'",
            ));
        }
    };
    let fault = Fault {
        path: req.path,
        kind,
        remaining: count,
    };
    {
        let mut faults = lock(&app.faults);
        if faults.len() >= MAX_FAULTS {
            return Err(AdminError::Full {
                what: "armed faults",
                limit: MAX_FAULTS,
                hint: "clear them with DELETE /emulator/faults",
            });
        }
        faults.push(fault.clone());
    }
    Ok((StatusCode::OK, axum::Json(fault)).into_response())
}

pub async fn list(State(app): State<Arc<App>>) -> Response {
    let faults = lock(&app.faults).clone();
    axum::Json(json!({ "faults": faults })).into_response()
}

pub async fn clear(State(app): State<Arc<App>>) -> Response {
    lock(&app.faults).clear();
    StatusCode::NO_CONTENT.into_response()
}
