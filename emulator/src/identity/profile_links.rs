//! A trusted profile's links to compute resources: `/v1/profiles/{id}/links` (create, list,
//! delete by parameters) and `/v1/profiles/{id}/links/{link-id}` (get, delete). The rules a
//! link follows are `trust::check_link`'s, shared with seeds.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::entity::{Op, entity_tag, for_caller, for_caller_mut, ibm_minute, with_etag};
use crate::app::{App, read, write};
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::{json_body, opt_bool, opt_string, req_string};
use crate::model::trust::{self, LinkTarget, ProfileLink};
use crate::model::world::TrustedProfile;

pub fn link_json(l: &ProfileLink) -> Value {
    let mut v = json!({
        "id": l.id,
        "entity_tag": entity_tag(&l.id, l.version),
        "created_at": ibm_minute(l.created_at),
        "modified_at": ibm_minute(l.modified_at),
        "cr_type": l.cr_type,
        "is_cross_account": l.is_cross_account,
        "link": l.target,
    });
    if let Some(n) = &l.name {
        v["name"] = json!(n);
    }
    v
}

fn link_not_found(profile_id: &str, link_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        codes::NOT_FOUND,
        format!("Link '{link_id}' of trusted profile '{profile_id}' not found."),
    )
}

/// The `link` object of a request: `crn` required, the rest optional strings.
fn link_target(body: &Map<String, Value>) -> Result<LinkTarget, ApiError> {
    let link = match body.get("link") {
        None | Some(Value::Null) => return Err(ApiError::missing("link")),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(ApiError::bad_request("Property 'link' must be an object.")),
    };
    let crn = match opt_string(link, "crn")? {
        Some(c) if !c.trim().is_empty() => c,
        _ => return Err(ApiError::missing("link.crn")),
    };
    Ok(LinkTarget {
        crn,
        namespace: opt_string(link, "namespace")?,
        name: opt_string(link, "name")?,
        component_type: opt_string(link, "component_type")?,
        component_name: opt_string(link, "component_name")?,
    }
    .normalized())
}

/// `POST /v1/profiles/{id}/links`: `cr_type` and `link.crn` required; IKS_SA and ROKS_SA also
/// need `link.namespace` and `link.name`; a resource of another account needs
/// `is_cross_account`. The same resource twice is a 409.
pub async fn create(
    State(app): State<Arc<App>>,
    Path(profile_id): Path<String>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    let cr_type = req_string(&body, "cr_type")?;
    let target = link_target(&body)?;
    let name = opt_string(&body, "name")?.filter(|n| !n.is_empty());
    let is_cross_account = opt_bool(&body, "is_cross_account")?.unwrap_or(false);
    let mut world = write(&app.world);
    let p = for_caller_mut::<TrustedProfile>(&mut world, &caller, &profile_id, Op::Update)?;
    trust::check_link(&cr_type, &target, is_cross_account, &p.account_id)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let t = app.now();
    let link = ProfileLink {
        id: format!("ProfileLink-{}", uuid::Uuid::new_v4()),
        name,
        cr_type,
        target,
        is_cross_account,
        created_at: t,
        modified_at: t,
        version: 1,
    };
    if let Some(other) = p.links.iter().find(|o| o.same_resource(&link)) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            codes::ALREADY_EXISTS,
            format!(
                "Trusted profile '{profile_id}' already has a link to this compute resource ('{}').",
                other.id
            ),
        ));
    }
    let out = link_json(&link);
    let tag = entity_tag(&link.id, link.version);
    p.links.push(link);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

/// `GET /v1/profiles/{id}/links`: `{"links": [...]}`, oldest first.
pub async fn list(
    State(app): State<Arc<App>>,
    Path(profile_id): Path<String>,
    caller: Caller,
) -> ApiResult {
    let world = read(&app.world);
    let p = for_caller::<TrustedProfile>(&world, &caller, &profile_id, Op::Read)?;
    let links: Vec<Value> = p.links.iter().map(link_json).collect();
    Ok(axum::Json(json!({ "links": links })).into_response())
}

/// `GET /v1/profiles/{id}/links/{link-id}`, with the link's `ETag`.
pub async fn get(
    State(app): State<Arc<App>>,
    Path((profile_id, link_id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult {
    let world = read(&app.world);
    let p = for_caller::<TrustedProfile>(&world, &caller, &profile_id, Op::Read)?;
    let l = p
        .links
        .iter()
        .find(|l| l.id == link_id)
        .ok_or_else(|| link_not_found(&profile_id, &link_id))?;
    Ok(with_etag(
        StatusCode::OK,
        &entity_tag(&l.id, l.version),
        link_json(l),
    ))
}

/// `DELETE /v1/profiles/{id}/links/{link-id}`.
pub async fn delete(
    State(app): State<Arc<App>>,
    Path((profile_id, link_id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult {
    let mut world = write(&app.world);
    let p = for_caller_mut::<TrustedProfile>(&mut world, &caller, &profile_id, Op::Update)?;
    let before = p.links.len();
    p.links.retain(|l| l.id != link_id);
    if p.links.len() == before {
        return Err(link_not_found(&profile_id, &link_id));
    }
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /v1/profiles/{id}/links?type=&crn=&namespace=&name=&component_type=&component_name=`:
/// deletes the links of that type whose fields equal every parameter given (404 when none).
pub async fn delete_by_parameters(
    State(app): State<Arc<App>>,
    Path(profile_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(cr_type) = get("type") else {
        return Err(ApiError::missing("type"));
    };
    let mut world = write(&app.world);
    let p = for_caller_mut::<TrustedProfile>(&mut world, &caller, &profile_id, Op::Update)?;
    let same = |given: Option<&str>, have: Option<&str>| given.is_none_or(|g| have == Some(g));
    let before = p.links.len();
    p.links.retain(|l| {
        let t = &l.target;
        !(l.cr_type == cr_type
            && same(get("crn"), Some(&t.crn))
            && same(get("namespace"), t.namespace.as_deref())
            && same(get("name"), t.name.as_deref())
            && same(get("component_type"), t.component_type.as_deref())
            && same(get("component_name"), t.component_name.as_deref()))
    });
    if p.links.len() == before {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            codes::NOT_FOUND,
            format!("Trusted profile '{profile_id}' has no {cr_type} link with these parameters."),
        ));
    }
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}
