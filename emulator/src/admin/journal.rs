//! `GET /emulator/requests`: the request journal, newest first, filtered; `DELETE` forgets
//! it. What an entry holds, and what it never holds, is `model::journal`'s business.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{AdminError, AdminResult, MAX_FIELD_BYTES};
use crate::app::App;
use crate::model::journal::{Filter, JOURNAL_SIZE, StatusFilter};

/// The journal's path: reading or clearing it is not journaled, or every look would push
/// out what it looks for.
pub const PATH: &str = "/emulator/requests";

fn off() -> AdminError {
    AdminError::NotFound("the request journal is off (--no-journal)".into())
}

/// The filter a query asks for: `path` (exact, or a prefix ending in `*`), `method`,
/// `status` (`404` or `4xx`), `iam_id`, `after` (a `seq`) and `limit` (1 to 1000).
fn filter(q: &HashMap<String, String>) -> Result<Filter, AdminError> {
    if let Some((name, _)) = q.iter().find(|(_, v)| v.len() > MAX_FIELD_BYTES) {
        return Err(AdminError::TooLarge {
            field: name.chars().take(64).collect(),
            limit: MAX_FIELD_BYTES,
            unit: "bytes",
        });
    }
    let text = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let status = match text("status") {
        None => None,
        Some(s) => Some(StatusFilter::parse(&s).ok_or_else(|| {
            AdminError::invalid(format!(
                "'status' must be a status (404) or a class (4xx), not '{s}'"
            ))
        })?),
    };
    let after = match text("after") {
        None => None,
        Some(s) => Some(s.parse::<u64>().map_err(|_| {
            AdminError::invalid(format!("'after' must be an entry's seq, not '{s}'"))
        })?),
    };
    let limit = match text("limit") {
        None => None,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=JOURNAL_SIZE).contains(&n) => Some(n),
            _ => {
                return Err(AdminError::invalid(format!(
                    "'limit' must be 1..{JOURNAL_SIZE}, not '{s}'"
                )));
            }
        },
    };
    Ok(Filter {
        path: text("path"),
        method: text("method"),
        status,
        iam_id: text("iam_id"),
        after,
        limit,
    })
}

pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> AdminResult {
    if !app.journal.enabled() {
        return Err(off());
    }
    let requests = app.journal.list(&filter(&q)?);
    Ok(axum::Json(json!({"capacity": JOURNAL_SIZE, "requests": requests})).into_response())
}

pub async fn clear(State(app): State<Arc<App>>) -> Response {
    if !app.journal.enabled() {
        return off().into_response();
    }
    app.journal.clear();
    StatusCode::NO_CONTENT.into_response()
}
