//! `POST /emulator/reset` and the snapshots it can go back to: a test that shares one
//! emulator with others starts from a known world, the start's or one it built and named.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{AdminError, AdminResult, body};
use crate::app::{App, lock};
use crate::model::clock::timestamp;
use crate::model::saved::{MAX_SNAPSHOTS, Saved, Snapshots, check_name};

fn time(secs: i64) -> String {
    timestamp(secs).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    #[serde(default)]
    snapshot: Option<String>,
}

/// `POST /emulator/reset`, `{}` (or no body): back to the world the emulator started with;
/// `{"snapshot": NAME}`: back to that snapshot.
pub async fn reset(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let req: ResetRequest = body(&bytes)?;
    let saved = {
        let snapshots = lock(&app.snapshots);
        match &req.snapshot {
            None => snapshots.start.clone(),
            Some(name) => Some(
                snapshots
                    .named
                    .get(name)
                    .cloned()
                    .ok_or_else(|| AdminError::NotFound(format!("no snapshot '{name}'")))?,
            ),
        }
    };
    let saved = saved.ok_or_else(|| AdminError::Internal("the start was not kept".into()))?;
    let kid = app.restore(&saved);
    Ok(axum::Json(json!({
        "restored": req.snapshot.as_deref().unwrap_or("start"),
        "taken_at": time(saved.taken_at),
        "kid": kid,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotRequest {
    #[serde(default)]
    name: String,
}

/// `POST /emulator/snapshots` `{"name"}`: remembers everything a reset restores, as it is
/// now, under that name (replacing a snapshot of the same name).
pub async fn take(State(app): State<Arc<App>>, bytes: Bytes) -> AdminResult {
    let req: SnapshotRequest = body(&bytes)?;
    check_name(&req.name).map_err(AdminError::invalid)?;
    let room = |s: &Snapshots| {
        if s.named.len() >= MAX_SNAPSHOTS && !s.named.contains_key(&req.name) {
            return Err(AdminError::Full {
                what: "snapshots",
                limit: MAX_SNAPSHOTS,
                hint: "delete one with DELETE /emulator/snapshots/NAME",
            });
        }
        Ok(())
    };
    room(&lock(&app.snapshots))?;
    // Taken outside the snapshots' lock, since copying a big world takes a while; so the
    // room is checked again before it is kept.
    let saved: Arc<Saved> = Arc::new(app.save_point());
    let taken_at = saved.taken_at;
    {
        let mut snapshots = lock(&app.snapshots);
        room(&snapshots)?;
        snapshots.named.insert(req.name.clone(), saved);
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"name": req.name, "taken_at": time(taken_at)})),
    )
        .into_response())
}

/// `GET /emulator/snapshots`: their names and when each was taken, by name.
pub async fn list(State(app): State<Arc<App>>) -> Response {
    let snapshots = lock(&app.snapshots);
    let named: Vec<_> = snapshots
        .named
        .iter()
        .map(|(name, s)| json!({"name": name, "taken_at": time(s.taken_at)}))
        .collect();
    axum::Json(json!({"snapshots": named})).into_response()
}

/// `DELETE /emulator/snapshots/{name}`.
pub async fn delete(State(app): State<Arc<App>>, Path(name): Path<String>) -> AdminResult {
    match lock(&app.snapshots).named.remove(&name) {
        Some(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        None => Err(AdminError::NotFound(format!("no snapshot '{name}'"))),
    }
}
