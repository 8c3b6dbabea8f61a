//! IAM access management: IAM Policy Management (v1 and v2 policies over one store, roles and
//! custom roles), IAM Access Groups (groups and their members), and the access decisions every
//! API of the emulator asks for (`enforce`). Their errors have the policy service's lean shape
//! (`http::errors::access_api`).

pub mod enforce;
mod groups;
mod members;
mod policies;
mod policy_json;
mod roles;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::Value;

use crate::app::App;
use crate::http::errors::{self as codes, ApiError};
use crate::model::world::stable_uuid;
use policies::routes as p;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/policies", get(p::list_v1).post(p::create_v1))
        .route(
            "/v1/policies/{id}",
            get(p::get_v1)
                .put(p::replace_v1)
                .patch(p::update_state_v1)
                .delete(p::delete_any),
        )
        .route("/v2/policies", get(p::list_v2).post(p::create_v2))
        .route(
            "/v2/policies/{id}",
            get(p::get_v2).put(p::replace_v2).delete(p::delete_any),
        )
        .route("/v2/roles", get(roles::list).post(roles::create))
        .route(
            "/v2/roles/{id}",
            get(roles::get).put(roles::replace).delete(roles::delete),
        )
        .route("/v2/groups", get(groups::list).post(groups::create))
        .route(
            "/v2/groups/{id}",
            get(groups::get)
                .patch(groups::update)
                .delete(groups::delete),
        )
        .route(
            "/v2/groups/{id}/members",
            get(members::list).put(members::add),
        )
        .route("/v2/groups/{id}/members/delete", post(members::remove_many))
        .route(
            "/v2/groups/{id}/members/{iam_id}",
            axum::routing::head(members::check).delete(members::remove),
        )
        .route(
            "/v2/groups/_allgroups/members/{iam_id}",
            put(members::add_to_groups).delete(members::remove_from_all),
        )
}

/// `<version>-<32 hex>`, as IBM's policy ETags look (`1-d2308696e0e857ef052c4560234a1119`).
pub fn etag(id: &str, version: u64) -> String {
    let hex = stable_uuid(&[id, &version.to_string()])
        .simple()
        .to_string();
    format!("{version}-{hex}")
}

pub fn with_etag(status: StatusCode, tag: &str, body: Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// `If-Match` must name the current ETag (or be `*`): 428 without one, 412 for a stale one.
/// IBM's SDKs refuse to send these updates without it, so 428 is the emulator's choice.
pub fn if_match(headers: &HeaderMap, current: &str) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::access(
            StatusCode::PRECONDITION_REQUIRED,
            codes::PRECONDITION_REQUIRED,
            "Header 'If-Match' is required: send the ETag of the current revision.",
        ));
    };
    let given = value.to_str().unwrap_or("").trim();
    let given = given.strip_prefix("W/").unwrap_or(given).trim_matches('"');
    if given == "*" || given == current {
        return Ok(());
    }
    Err(ApiError::access(
        StatusCode::PRECONDITION_FAILED,
        codes::PRECONDITION_FAILED,
        format!(
            "The revision '{given}' in If-Match is not the current revision '{current}'; get it again and retry."
        ),
    ))
}
