//! Who may assume a trusted profile: `/v1/profiles/{id}/identities` (get the list with its
//! entity tag, replace it under `If-Match`), `/v1/profiles/{id}/identities/{type}` (add one)
//! and `/v1/profiles/{id}/identities/{type}/{identifier}` (get, delete). The list has its own
//! entity tag, which every change moves. Identities resolve like seeds' (`World::
//! trusted_identity`), except that the API only trusts identities the emulator holds.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::entity::{Op, check_if_match, entity_tag, for_caller, for_caller_mut, with_etag};
use crate::app::{App, read, write};
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::{json_body, opt_string, opt_strings};
use crate::model::trust::{self, ProfileIdentity};
use crate::model::world::{TrustedProfile, World};

pub fn identity_json(i: &ProfileIdentity) -> Value {
    let mut v = json!({
        "iam_id": i.iam_id,
        "identifier": i.identifier,
        "type": i.kind,
    });
    if !i.accounts.is_empty() {
        v["accounts"] = json!(i.accounts);
    }
    if let Some(d) = &i.description {
        v["description"] = json!(d);
    }
    v
}

fn identities_tag(p: &TrustedProfile) -> String {
    entity_tag(&format!("{}/identities", p.id), p.identities_version)
}

fn list_json(p: &TrustedProfile) -> Value {
    let identities: Vec<Value> = p.identities.iter().map(identity_json).collect();
    json!({ "entity_tag": identities_tag(p), "identities": identities })
}

/// An identity from a request body (`type` and `identifier` required); `path_type`, when the
/// path names the type too, must agree with it.
fn identity_from(
    world: &World,
    spec: &Map<String, Value>,
    path_type: Option<&str>,
) -> Result<ProfileIdentity, ApiError> {
    let kind = match opt_string(spec, "type")? {
        Some(k) if !k.trim().is_empty() => k,
        _ => return Err(ApiError::missing("type")),
    };
    let identifier = match opt_string(spec, "identifier")? {
        Some(i) if !i.trim().is_empty() => i,
        _ => return Err(ApiError::missing("identifier")),
    };
    trust::check_identity_type(&kind).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Some(t) = path_type
        && t != kind
    {
        return Err(ApiError::bad_request(format!(
            "The identity type in the path ('{t}') and the property 'type' ('{kind}') differ."
        )));
    }
    let accounts = opt_strings(spec, "accounts")?.unwrap_or_default();
    let description = opt_string(spec, "description")?;
    world
        .trusted_identity(&kind, &identifier, accounts, description, false)
        .map_err(|e| {
            if e.is_unknown() {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    codes::NOT_FOUND,
                    e.to_string(),
                )
            } else {
                ApiError::bad_request(e.to_string())
            }
        })
}

fn already_trusted(profile_id: &str, i: &ProfileIdentity) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        codes::ALREADY_EXISTS,
        format!(
            "Trusted profile '{profile_id}' already trusts {} '{}'.",
            i.kind, i.identifier
        ),
    )
}

fn identity_not_found(profile_id: &str, kind: &str, identifier: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        codes::NOT_FOUND,
        format!("Trusted profile '{profile_id}' has no trusted identity {kind} '{identifier}'."),
    )
}

fn matches(i: &ProfileIdentity, kind: &str, identifier: &str) -> bool {
    i.kind == kind && (i.identifier == identifier || i.iam_id == identifier)
}

/// `GET /v1/profiles/{id}/identities`: `{"entity_tag", "identities": [...]}` (and the tag as
/// `ETag`).
pub async fn list(
    State(app): State<Arc<App>>,
    Path(profile_id): Path<String>,
    caller: Caller,
) -> ApiResult {
    let world = read(&app.world);
    let p = for_caller::<TrustedProfile>(&world, &caller, &profile_id, Op::Read)?;
    Ok(with_etag(StatusCode::OK, &identities_tag(p), list_json(p)))
}

/// `PUT /v1/profiles/{id}/identities` with `If-Match` (the list's entity tag, or `*`):
/// `{"identities": [...]}` replaces the list.
pub async fn replace(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(profile_id): Path<String>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    let specs: Vec<Map<String, Value>> = match body.get("identities") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::Object(m) => Ok(m.clone()),
                _ => Err(ApiError::bad_request(
                    "Property 'identities' must be an array of objects.",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::bad_request(
                "Property 'identities' must be an array.",
            ));
        }
    };
    let mut world = write(&app.world);
    let current = for_caller::<TrustedProfile>(&world, &caller, &profile_id, Op::Update)?;
    check_if_match(&headers, &identities_tag(current))?;
    let mut identities: Vec<ProfileIdentity> = Vec::new();
    for spec in &specs {
        let i = identity_from(&world, spec, None)?;
        if identities.iter().any(|o| o.iam_id == i.iam_id) {
            return Err(already_trusted(&profile_id, &i));
        }
        identities.push(i);
    }
    let p = for_caller_mut::<TrustedProfile>(&mut world, &caller, &profile_id, Op::Update)?;
    p.identities = identities;
    p.identities_version = p.identities_version.saturating_add(1);
    let (tag, out) = (identities_tag(p), list_json(p));
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::OK, &tag, out))
}

/// `POST /v1/profiles/{id}/identities/{identity-type}`: adds one identity (`identifier`,
/// `type`, `accounts` for users, `description`); one already trusted is a 409.
pub async fn add(
    State(app): State<Arc<App>>,
    Path((profile_id, kind)): Path<(String, String)>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    trust::check_identity_type(&kind).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut world = write(&app.world);
    for_caller::<TrustedProfile>(&world, &caller, &profile_id, Op::Update)?;
    let identity = identity_from(&world, &body, Some(&kind))?;
    let p = for_caller_mut::<TrustedProfile>(&mut world, &caller, &profile_id, Op::Update)?;
    if p.identities.iter().any(|o| o.iam_id == identity.iam_id) {
        return Err(already_trusted(&profile_id, &identity));
    }
    let out = identity_json(&identity);
    p.identities.push(identity);
    p.identities_version = p.identities_version.saturating_add(1);
    drop(world);
    app.mark_dirty();
    Ok((StatusCode::OK, axum::Json(out)).into_response())
}

/// `GET /v1/profiles/{id}/identities/{identity-type}/{identifier-id}` (the identifier or the
/// IAM ID).
pub async fn get(
    State(app): State<Arc<App>>,
    Path((profile_id, kind, identifier)): Path<(String, String, String)>,
    caller: Caller,
) -> ApiResult {
    trust::check_identity_type(&kind).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let world = read(&app.world);
    let p = for_caller::<TrustedProfile>(&world, &caller, &profile_id, Op::Read)?;
    let i = p
        .identities
        .iter()
        .find(|i| matches(i, &kind, &identifier))
        .ok_or_else(|| identity_not_found(&profile_id, &kind, &identifier))?;
    Ok(axum::Json(identity_json(i)).into_response())
}

/// `DELETE /v1/profiles/{id}/identities/{identity-type}/{identifier-id}`.
pub async fn delete(
    State(app): State<Arc<App>>,
    Path((profile_id, kind, identifier)): Path<(String, String, String)>,
    caller: Caller,
) -> ApiResult {
    trust::check_identity_type(&kind).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut world = write(&app.world);
    let p = for_caller_mut::<TrustedProfile>(&mut world, &caller, &profile_id, Op::Update)?;
    let before = p.identities.len();
    p.identities.retain(|i| !matches(i, &kind, &identifier));
    if p.identities.len() == before {
        return Err(identity_not_found(&profile_id, &kind, &identifier));
    }
    p.identities_version = p.identities_version.saturating_add(1);
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}
