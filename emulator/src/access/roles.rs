//! IAM Policy Management's roles: `/v2/roles` lists the catalogue's system and service roles
//! (for a service, a service group, or an authorization's target) and the account's custom
//! roles; custom roles are created, read, replaced under If-Match and deleted.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::enforce::{self, Need, Target};
use super::policy_json::{ibm_time, invalid};
use super::{etag, if_match, with_etag};
use crate::app::{App, read, write};
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::json_body;
use crate::model::access::{CustomRole, PolicyKind, check_custom_role};
use crate::model::catalog::{self, IAM_SERVICE_GROUP, RoleDef, Service};
use crate::model::world::World;

fn role_json(r: &RoleDef, service: Option<&Service>) -> Value {
    json!({
        "display_name": r.display_name,
        "description": r.description,
        "actions": catalog::actions(service, r.crn),
        "crn": r.crn,
    })
}

fn custom_json(url: &str, r: &CustomRole) -> Value {
    let mut v = json!({
        "id": r.id,
        "display_name": r.display_name,
        "actions": r.actions,
        "crn": r.crn(),
        "name": r.name,
        "account_id": r.account_id,
        "service_name": r.service_name,
        "created_at": ibm_time(r.created_at),
        "created_by_id": r.created_by_id,
        "last_modified_at": ibm_time(r.last_modified_at),
        "last_modified_by_id": r.last_modified_by_id,
        "href": format!("{url}/v2/roles/{}", r.id),
    });
    if let Some(d) = &r.description {
        v["description"] = json!(d);
    }
    v
}

fn not_found(id: &str) -> ApiError {
    ApiError::access(
        StatusCode::NOT_FOUND,
        codes::ROLE_NOT_FOUND,
        format!("Role with id '{id}' not found."),
    )
}

fn need(account_id: &str, action: &'static str) -> Need {
    Need::Action(action, Target::service(account_id, "iam-access-management"))
}

fn require(world: &World, caller: &Caller, action: &'static str) -> Result<(), ApiError> {
    enforce::require(world, caller, &need(&caller.account_id, action))
        .map_err(|d| d.into_api(codes::INSUFFICIENT_PERMISSIONS))
}

/// `GET /v2/roles`: `service_name` (or `service_group_id`, not both), `source_service_name`
/// and `policy_type`, and `account_id` for its custom roles (those the caller may read).
pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if get("service_name").is_some() && get("service_group_id").is_some() {
        return Err(invalid(
            "The parameters 'service_name' and 'service_group_id' are mutually exclusive.",
        ));
    }
    let policy_type = match get("policy_type") {
        None => None,
        Some(t) => Some(PolicyKind::parse(t).ok_or_else(|| {
            invalid(format!(
                "Invalid value '{t}' for 'policy_type'; valid values: access, authorization."
            ))
        })?),
    };
    if let Some(a) = get("account_id")
        && a != caller.account_id
    {
        return Err(ApiError::access(
            StatusCode::FORBIDDEN,
            codes::INSUFFICIENT_PERMISSIONS,
            format!("You are not allowed to list the roles of account '{a}'."),
        ));
    }
    let service = get("service_name").map(catalog::service);
    let source_known = get("source_service_name").is_none_or(|s| catalog::service(s).is_some());
    let (system, service_roles): (Vec<Value>, Vec<Value>) = match (service, get("service_group_id"))
    {
        // An unknown service (or group, or source) has no roles.
        (Some(None), _) => (vec![], vec![]),
        _ if !source_known => (vec![], vec![]),
        (Some(Some(s)), _) => {
            let system = if policy_type == Some(PolicyKind::Authorization) {
                vec![]
            } else {
                s.platform_roles
                    .iter()
                    .map(|r| role_json(r, Some(s)))
                    .collect()
            };
            (
                system,
                s.service_roles
                    .iter()
                    .map(|r| role_json(r, Some(s)))
                    .collect(),
            )
        }
        (None, Some(IAM_SERVICE_GROUP)) => (
            catalog::SYSTEM_ROLES
                .iter()
                .map(|r| role_json(r, None))
                .collect(),
            catalog::iam_group_service_roles()
                .iter()
                .map(|r| role_json(r, catalog::service("iam-identity")))
                .collect(),
        ),
        (None, Some(_)) => (vec![], vec![]),
        (None, None) if policy_type == Some(PolicyKind::Authorization) => (vec![], vec![]),
        (None, None) => (
            catalog::SYSTEM_ROLES
                .iter()
                .map(|r| role_json(r, None))
                .collect(),
            catalog::GENERIC_SERVICE_ROLES
                .iter()
                .map(|r| role_json(r, None))
                .collect(),
        ),
    };
    let world = read(&app.world);
    let custom: Vec<Value> = match get("account_id") {
        Some(account)
            if policy_type != Some(PolicyKind::Authorization)
                && enforce::permits(&world, &caller, &need(account, "iam.role.read")) =>
        {
            let mut roles: Vec<&CustomRole> = world
                .custom_roles
                .values()
                .filter(|r| r.account_id == account)
                .filter(|r| get("service_name").is_none_or(|s| r.service_name == s))
                .filter(|r| {
                    get("service_group_id").is_none_or(|_| {
                        catalog::service(&r.service_name).is_some_and(|s| s.iam_group)
                    })
                })
                .collect();
            roles.sort_by_key(|r| r.seq);
            roles.iter().map(|r| custom_json(&app.url, r)).collect()
        }
        _ => vec![],
    };
    Ok(axum::Json(json!({
        "custom_roles": custom,
        "service_roles": service_roles,
        "system_roles": system,
    }))
    .into_response())
}

fn text(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            invalid(format!(
                "Property '{key}' is required and must be a non-empty string."
            ))
        })
}

fn opt_text(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("Property '{key}' must be a string."))),
    }
}

/// `actions`: an array of strings.
fn actions(body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    body.get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("Property 'actions' must be a non-empty array of actions."))?
        .iter()
        .map(|a| {
            a.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid("Property 'actions' must be an array of strings."))
        })
        .collect()
}

/// `POST /v2/roles`: `name` (alphanumeric, capitalised, unique in the account),
/// `display_name`, `account_id`, `service_name`, `actions`, `description`.
pub async fn create(State(app): State<Arc<App>>, caller: Caller, bytes: Bytes) -> ApiResult {
    let body = json_body(&bytes).map_err(|e| invalid(e.message))?;
    let name = text(&body, "name")?;
    let display_name = text(&body, "display_name")?;
    let account_id = text(&body, "account_id")?;
    let service_name = text(&body, "service_name")?;
    let description = opt_text(&body, "description")?;
    let actions = actions(&body)?;
    check_custom_role(&name, &service_name, &actions).map_err(|e| invalid(e.to_string()))?;
    if account_id != caller.account_id {
        return Err(ApiError::access(
            StatusCode::FORBIDDEN,
            codes::INSUFFICIENT_PERMISSIONS,
            format!("You are not allowed to create roles in account '{account_id}'."),
        ));
    }
    let mut world = write(&app.world);
    require(&world, &caller, "iam.role.create")?;
    if let Some(other) = world
        .custom_roles
        .values()
        .find(|r| r.account_id == account_id && r.name == name)
    {
        return Err(ApiError::access(
            StatusCode::CONFLICT,
            codes::ROLE_CONFLICT,
            format!("A custom role named '{name}' already exists in the account."),
        )
        .details_object(
            json!({"conflicts_with": {"etag": etag(&other.id, other.version), "role": other.id}}),
        ));
    }
    let now = app.now();
    let role = CustomRole {
        id: uuid::Uuid::new_v4().to_string(),
        account_id,
        name,
        display_name,
        description,
        service_name,
        actions,
        created_at: now,
        created_by_id: caller.iam_id.clone(),
        last_modified_at: now,
        last_modified_by_id: caller.iam_id.clone(),
        version: 1,
        seq: world.take_seq(),
    };
    let (tag, out) = (etag(&role.id, role.version), custom_json(&app.url, &role));
    world.custom_roles.insert(role.id.clone(), role);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

fn find<'w>(world: &'w World, caller: &Caller, id: &str) -> Result<&'w CustomRole, ApiError> {
    let r = world.custom_roles.get(id).ok_or_else(|| not_found(id))?;
    if r.account_id != caller.account_id {
        return Err(ApiError::access(
            StatusCode::FORBIDDEN,
            codes::INSUFFICIENT_PERMISSIONS,
            format!("You are not allowed to access role '{id}': it belongs to another account."),
        ));
    }
    Ok(r)
}

/// `GET /v2/roles/{id}`: a custom role, with its `ETag`.
pub async fn get(State(app): State<Arc<App>>, Path(id): Path<String>, caller: Caller) -> ApiResult {
    let world = read(&app.world);
    let r = find(&world, &caller, &id)?;
    require(&world, &caller, "iam.role.read")?;
    Ok(with_etag(
        StatusCode::OK,
        &etag(&r.id, r.version),
        custom_json(&app.url, r),
    ))
}

/// `PUT /v2/roles/{id}` with `If-Match`: `display_name`, `actions`, `description`; the name,
/// account and service stay.
pub async fn replace(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes).map_err(|e| invalid(e.message))?;
    let display_name = text(&body, "display_name")?;
    let description = opt_text(&body, "description")?;
    let mut world = write(&app.world);
    let current = find(&world, &caller, &id)?;
    require(&world, &caller, "iam.role.update")?;
    if_match(&headers, &etag(&current.id, current.version))?;
    let actions = actions(&body)?;
    check_custom_role(&current.name, &current.service_name, &actions)
        .map_err(|e| invalid(e.to_string()))?;
    let now = app.now();
    let r = world
        .custom_roles
        .get_mut(&id)
        .ok_or_else(|| not_found(&id))?;
    r.display_name = display_name;
    r.actions = actions;
    if description.is_some() {
        r.description = description;
    }
    r.last_modified_at = now;
    r.last_modified_by_id = caller.iam_id.clone();
    r.version = r.version.saturating_add(1);
    let (tag, out) = (etag(&r.id, r.version), custom_json(&app.url, r));
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::OK, &tag, out))
}

/// `DELETE /v2/roles/{id}`: 204; refused (409) while an active policy grants the role.
pub async fn delete(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    let mut world = write(&app.world);
    let crn = find(&world, &caller, &id)?.crn();
    require(&world, &caller, "iam.role.delete")?;
    if let Some(p) = world
        .policies
        .values()
        .find(|p| p.active() && p.roles.contains(&crn))
    {
        return Err(ApiError::access(
            StatusCode::CONFLICT,
            codes::ROLE_CONFLICT,
            format!(
                "Role '{id}' is granted by policy '{}'; delete or change that policy first.",
                p.id
            ),
        ));
    }
    world.custom_roles.remove(&id);
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}
