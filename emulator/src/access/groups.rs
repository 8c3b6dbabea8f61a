//! IAM Access Groups' groups: list (with IBM's search, member, sort and paging parameters),
//! create, get, update under If-Match, delete (with `force` when it has members, taking its
//! policies along), and every account's Public Access group, which is not stored and cannot be
//! changed.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::enforce::{self, Need, Target};
use super::policy_json::ibm_time;
use super::{etag, if_match, with_etag};
use crate::app::{App, read, write};
use crate::http::caller::Caller;
use crate::http::errors::{self as codes, ApiError, ApiResult};
use crate::http::params::{json_body, opt_string};
use crate::model::access::{
    AccessGroup, PUBLIC_ACCESS_DESCRIPTION, PUBLIC_ACCESS_GROUP, PUBLIC_ACCESS_NAME,
};
use crate::model::world::World;

pub fn bad(message: impl Into<String>) -> ApiError {
    ApiError::access(StatusCode::BAD_REQUEST, codes::GROUP_INVALID, message)
}

pub fn not_found(id: &str) -> ApiError {
    ApiError::access(
        StatusCode::NOT_FOUND,
        codes::GROUP_NOT_FOUND,
        format!("Access group '{id}' was not found."),
    )
}

fn other_account(what: &str) -> ApiError {
    ApiError::access(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!(
            "You are not authorized to access {what}: it belongs to another account than the one your token is scoped to."
        ),
    )
}

/// A group as the access check sees it (IBM: `serviceName=iam-groups`, the group's id as
/// `resource`).
pub fn group_target(account_id: &str, id: &str) -> Target {
    Target::entity(account_id, "iam-groups", "group", id)
}

/// May the caller take `action` on the group (the Public Access group is everyone's to read).
pub fn may(world: &World, caller: &Caller, action: &'static str, id: &str) -> Result<(), ApiError> {
    if id == PUBLIC_ACCESS_GROUP && (action.ends_with(".read") || action.ends_with(".list")) {
        return Ok(());
    }
    enforce::require(
        world,
        caller,
        &Need::Action(action, group_target(&caller.account_id, id)),
    )
    .map_err(ApiError::from)
}

/// `true` or `false` query flags (IBM's SDKs send them as text).
pub fn flag(q: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match q.get(name).map(String::as_str) {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(bad(format!(
            "Invalid value '{other}' for '{name}'; expected true or false."
        ))),
    }
}

/// `limit` (0 to 100, default 100) and `offset` of a list.
pub fn paging(q: &HashMap<String, String>) -> Result<(usize, usize), ApiError> {
    let limit = match q.get("limit").filter(|v| !v.is_empty()) {
        None => 100,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 100)
            .ok_or_else(|| {
                bad(format!(
                    "Invalid value '{l}' for 'limit'; valid range is 0 to 100."
                ))
            })?,
    };
    let offset = match q.get("offset").filter(|v| !v.is_empty()) {
        None => 0,
        Some(o) => o
            .parse::<usize>()
            .map_err(|_| bad(format!("Invalid value '{o}' for 'offset'.")))?,
    };
    Ok((limit, offset))
}

/// IBM's list envelope: `limit`, `offset`, `total_count`, and `first`, `previous`, `next`,
/// `last` links whose `offset` a pager follows.
pub fn envelope(
    base: &str,
    q: &HashMap<String, String>,
    limit: usize,
    offset: usize,
    total: usize,
    field: &str,
    items: Vec<Value>,
) -> Value {
    let link = |at: usize| {
        let mut pairs: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "offset" && k.as_str() != "limit")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        pairs.sort();
        pairs.push(("limit".into(), limit.to_string()));
        pairs.push(("offset".into(), at.to_string()));
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        json!({"href": format!("{base}?{query}")})
    };
    let step = limit.max(1);
    let last = if total == 0 {
        0
    } else {
        (total - 1) / step * step
    };
    let mut out = json!({
        "limit": limit,
        "offset": offset,
        "total_count": total,
        "first": link(0),
        "last": link(last),
    });
    out[field] = Value::Array(items);
    if limit > 0 && offset + limit < total {
        out["next"] = link(offset + limit);
    }
    if offset > 0 {
        out["previous"] = link(offset.saturating_sub(step));
    }
    out
}

fn group_json(url: &str, g: &AccessGroup, q: &HashMap<String, String>) -> Value {
    let mut v = json!({
        "id": g.id,
        "name": g.name,
        "description": g.description,
        "account_id": g.account_id,
        "created_at": ibm_time(g.created_at),
        "created_by_id": g.created_by_id,
        "last_modified_at": ibm_time(g.last_modified_at),
        "last_modified_by_id": g.last_modified_by_id,
        "href": format!("{url}/v2/groups/{}", g.id),
    });
    // Rules (dynamic membership) are not emulated, so no group is federated.
    if q.get("show_federated").is_some_and(|v| v == "true") {
        v["is_federated"] = json!(false);
    }
    if q.get("show_crn").is_some_and(|v| v == "true") {
        v["crn"] = json!(format!(
            "crn:v1:bluemix:public:iam-groups::a/{}::group:{}",
            g.account_id, g.id
        ));
    }
    v
}

/// The account's Public Access group, as a group of the account (created with the account).
pub fn public_access(world: &World, account_id: &str) -> AccessGroup {
    let (created_at, owner) = world
        .account(account_id)
        .map(|a| (a.created_at, a.owner_iam_id.clone()))
        .unwrap_or_default();
    AccessGroup {
        id: PUBLIC_ACCESS_GROUP.into(),
        account_id: account_id.into(),
        name: PUBLIC_ACCESS_NAME.into(),
        description: PUBLIC_ACCESS_DESCRIPTION.into(),
        members: vec![],
        created_at,
        created_by_id: owner.clone(),
        last_modified_at: created_at,
        last_modified_by_id: owner,
        version: 1,
        seq: 0,
    }
}

/// A group of the caller's account (the Public Access group included): 404, or 403 for
/// another account's.
pub fn find(world: &World, caller: &Caller, id: &str) -> Result<AccessGroup, ApiError> {
    if id == PUBLIC_ACCESS_GROUP {
        return Ok(public_access(world, &caller.account_id));
    }
    let g = world.access_group(id).ok_or_else(|| not_found(id))?;
    if g.account_id != caller.account_id {
        return Err(other_account(&format!("access group '{id}'")));
    }
    Ok(g.clone())
}

fn account_param(q: &HashMap<String, String>, caller: &Caller) -> Result<String, ApiError> {
    let account = q
        .get("account_id")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("Query parameter 'account_id' is required."))?;
    if *account != caller.account_id {
        return Err(other_account(&format!("account '{account}'")));
    }
    Ok(account.clone())
}

/// `GET /v2/groups?account_id=`: `iam_id` (with `membership_type`), `search`
/// (`id:`, `name:`, `description:`), `hide_public_access`, `sort`, `show_federated`,
/// `show_crn`, `limit`, `offset`.
pub async fn list(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let account = account_param(&q, &caller)?;
    let (limit, offset) = paging(&q)?;
    let hide_public = flag(&q, "hide_public_access")?;
    flag(&q, "show_federated")?;
    flag(&q, "show_crn")?;
    let iam_id = q.get("iam_id").filter(|v| !v.is_empty());
    let dynamic_only = match q.get("membership_type").map(String::as_str) {
        None | Some("" | "static" | "all") => false,
        Some("dynamic") => true,
        Some(other) => {
            return Err(bad(format!(
                "Invalid value '{other}' for 'membership_type'; valid values: static, dynamic, all."
            )));
        }
    };
    let search = match q.get("search").filter(|v| !v.is_empty()) {
        None => None,
        Some(s) => {
            let (field, text) = s.split_once(':').ok_or_else(|| {
                bad(format!(
                    "Invalid value '{s}' for 'search'; use id:<ID>, name:<NAME> or description:<TEXT>."
                ))
            })?;
            if !["id", "name", "description"].contains(&field) {
                return Err(bad(format!(
                    "Invalid search field '{field}'; valid fields: id, name, description."
                )));
            }
            Some((field.to_owned(), text.to_lowercase()))
        }
    };
    let sort = q.get("sort").filter(|v| !v.is_empty()).cloned();
    if let Some(s) = &sort
        && !["id", "name", "description", "is_federated"].contains(&s.trim_start_matches('-'))
    {
        return Err(bad(format!(
            "Invalid value '{s}' for 'sort'; valid values: id, name, description, is_federated."
        )));
    }
    let world = read(&app.world);
    let mut groups: Vec<AccessGroup> = Vec::new();
    if !hide_public && iam_id.is_none() {
        groups.push(public_access(&world, &account));
    }
    let mut own: Vec<&AccessGroup> = world
        .access_groups
        .values()
        .filter(|g| g.account_id == account)
        .filter(|g| iam_id.is_none_or(|i| !dynamic_only && g.has_member(i)))
        .filter(|g| may(&world, &caller, "iam-groups.groups.read", &g.id).is_ok())
        .collect();
    own.sort_by_key(|g| g.seq);
    groups.extend(own.into_iter().cloned());
    if let Some((field, text)) = &search {
        groups.retain(|g| {
            let value = match field.as_str() {
                "id" => &g.id,
                "name" => &g.name,
                _ => &g.description,
            };
            value.to_lowercase().contains(text.as_str())
        });
    }
    if let Some(s) = &sort {
        let field = s.trim_start_matches('-');
        groups.sort_by(|a, b| match field {
            "id" => a.id.cmp(&b.id),
            "description" => a.description.cmp(&b.description),
            "name" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            _ => std::cmp::Ordering::Equal,
        });
        if s.starts_with('-') {
            groups.reverse();
        }
    }
    let total = groups.len();
    let items = groups
        .iter()
        .skip(offset)
        .take(limit)
        .map(|g| group_json(&app.url, g, &q))
        .collect();
    drop(world);
    let base = format!("{}/v2/groups", app.url);
    Ok(axum::Json(envelope(&base, &q, limit, offset, total, "groups", items)).into_response())
}

fn name_taken(world: &World, account_id: &str, name: &str, except: &str) -> bool {
    name.eq_ignore_ascii_case(PUBLIC_ACCESS_NAME)
        || world.access_groups.values().any(|g| {
            g.account_id == account_id && g.id != except && g.name.eq_ignore_ascii_case(name)
        })
}

fn taken(name: &str) -> ApiError {
    ApiError::access(
        StatusCode::CONFLICT,
        codes::GROUP_CONFLICT,
        format!(
            "An access group named '{name}' already exists in the account; group names are unique (ignoring case)."
        ),
    )
}

/// A name of at most 100 characters and a description of at most 250, as IBM limits them.
fn check_text(name: Option<&str>, description: Option<&str>) -> Result<(), ApiError> {
    if let Some(n) = name
        && (n.trim().is_empty() || n.chars().count() > 100)
    {
        return Err(bad("Property 'name' must be 1 to 100 characters."));
    }
    if description.is_some_and(|d| d.chars().count() > 250) {
        return Err(bad(
            "Property 'description' must be at most 250 characters.",
        ));
    }
    Ok(())
}

/// `POST /v2/groups?account_id=` `{"name", "description"}`: 201 with the group.
pub async fn create(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let account = account_param(&q, &caller)?;
    let body = json_body(&bytes).map_err(|e| bad(e.message))?;
    let name = opt_string(&body, "name")
        .map_err(|e| bad(e.message))?
        .ok_or_else(|| bad("Property 'name' is required."))?;
    let description = opt_string(&body, "description").map_err(|e| bad(e.message))?;
    check_text(Some(&name), description.as_deref())?;
    let mut world = write(&app.world);
    enforce::require(
        &world,
        &caller,
        &Need::Action(
            "iam-groups.groups.create",
            Target::service(&account, "iam-groups"),
        ),
    )?;
    if name_taken(&world, &account, &name, "") {
        return Err(taken(&name));
    }
    let now = app.now();
    let g = AccessGroup {
        id: format!("AccessGroupId-{}", uuid::Uuid::new_v4()),
        account_id: account,
        name,
        description: description.unwrap_or_default(),
        members: vec![],
        created_at: now,
        created_by_id: caller.iam_id.clone(),
        last_modified_at: now,
        last_modified_by_id: caller.iam_id.clone(),
        version: 1,
        seq: world.take_seq(),
    };
    let (tag, out) = (etag(&g.id, g.version), group_json(&app.url, &g, &q));
    world.access_groups.insert(g.id.clone(), g);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

/// `GET /v2/groups/{id}` (`show_federated`, `show_crn`), with its `ETag`.
pub async fn get(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    flag(&q, "show_federated")?;
    flag(&q, "show_crn")?;
    let world = read(&app.world);
    let g = find(&world, &caller, &id)?;
    may(&world, &caller, "iam-groups.groups.read", &id)?;
    Ok(with_etag(
        StatusCode::OK,
        &etag(&g.id, g.version),
        group_json(&app.url, &g, &q),
    ))
}

/// `PATCH /v2/groups/{id}` with `If-Match`: `name` and/or `description`.
pub async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes).map_err(|e| bad(e.message))?;
    let name = opt_string(&body, "name").map_err(|e| bad(e.message))?;
    let description = opt_string(&body, "description").map_err(|e| bad(e.message))?;
    if name.is_none() && description.is_none() {
        return Err(bad("Give 'name', 'description' or both."));
    }
    check_text(name.as_deref(), description.as_deref())?;
    let mut world = write(&app.world);
    let current = find(&world, &caller, &id)?;
    if id == PUBLIC_ACCESS_GROUP {
        return Err(bad("The Public Access group cannot be changed."));
    }
    may(&world, &caller, "iam-groups.groups.update", &id)?;
    if_match(&headers, &etag(&current.id, current.version))?;
    if let Some(n) = &name
        && name_taken(&world, &current.account_id, n, &id)
    {
        return Err(taken(n));
    }
    let now = app.now();
    let g = world
        .access_groups
        .get_mut(&id)
        .ok_or_else(|| not_found(&id))?;
    if let Some(n) = name {
        g.name = n;
    }
    if let Some(d) = description {
        g.description = d;
    }
    g.last_modified_at = now;
    g.last_modified_by_id = caller.iam_id.clone();
    g.version = g.version.saturating_add(1);
    let (tag, out) = (
        etag(&g.id, g.version),
        group_json(&app.url, g, &HashMap::new()),
    );
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::OK, &tag, out))
}

/// `DELETE /v2/groups/{id}` (`force`): 204; the group's policies go with it. A group with
/// members needs `force=true`, as at IBM.
pub async fn delete(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let force = flag(&q, "force")?;
    let mut world = write(&app.world);
    let g = find(&world, &caller, &id)?;
    if id == PUBLIC_ACCESS_GROUP {
        return Err(bad("The Public Access group cannot be deleted."));
    }
    may(&world, &caller, "iam-groups.groups.delete", &id)?;
    if !g.members.is_empty() && !force {
        return Err(bad(format!(
            "Access group '{id}' has members; delete it with force=true to remove them too."
        )));
    }
    world.access_groups.remove(&id);
    world
        .policies
        .retain(|_, p| p.subject_value("access_group_id") != Some(id.as_str()));
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}
