//! IAM Identity v1: service IDs and API keys (create, list with pagination, get with ETag,
//! update with If-Match, delete, lock/unlock, disable/enable, lookup by value).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::auth::Caller;
use crate::errors::{self as codes, ApiError, ApiResult};
use crate::util::{ibm_minute, now, random_token, read, stable_uuid, write};
use crate::world::{ApiKey, History, Principal, ServiceId, World};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/v1/serviceids",
            get(list_service_ids).post(create_service_id),
        )
        .route(
            "/v1/serviceids/",
            get(list_service_ids).post(create_service_id),
        )
        .route(
            "/v1/serviceids/{id}",
            get(get_service_id)
                .put(update_service_id)
                .delete(delete_service_id),
        )
        .route(
            "/v1/serviceids/{id}/lock",
            post(lock_service_id).delete(unlock_service_id),
        )
        .route("/v1/apikeys", get(list_api_keys).post(create_api_key))
        .route("/v1/apikeys/", get(list_api_keys).post(create_api_key))
        .route("/v1/apikeys/details", get(api_key_details))
        .route(
            "/v1/apikeys/{id}",
            get(get_api_key).put(update_api_key).delete(delete_api_key),
        )
        .route(
            "/v1/apikeys/{id}/lock",
            post(lock_api_key).delete(unlock_api_key),
        )
        .route(
            "/v1/apikeys/{id}/disable",
            post(disable_api_key).delete(enable_api_key),
        )
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn entity_tag(id: &str, version: u64) -> String {
    let hex = stable_uuid(&[id, &version.to_string()])
        .simple()
        .to_string();
    format!("{version}-{hex}")
}

fn history_json(h: &[History]) -> Value {
    h.iter()
        .map(|r| {
            json!({
                "timestamp": ibm_minute(r.timestamp),
                "iam_id": r.iam_id,
                "iam_id_account": r.iam_id_account,
                "action": r.action,
                "params": r.params,
                "message": r.message,
            })
        })
        .collect()
}

fn service_id_json(s: &ServiceId, include_history: bool) -> Value {
    let mut v = json!({
        "id": s.id,
        "iam_id": s.iam_id,
        "entity_tag": entity_tag(&s.id, s.version),
        "crn": format!("crn:v1:bluemix:public:iam-identity::a/{}::serviceid:{}", s.account_id, s.id),
        "locked": s.locked,
        "created_at": ibm_minute(s.created_at),
        "modified_at": ibm_minute(s.modified_at),
        "account_id": s.account_id,
        "name": s.name,
        "unique_instance_crns": s.unique_instance_crns,
    });
    if let Some(d) = &s.description {
        v["description"] = json!(d);
    }
    if include_history {
        v["history"] = history_json(&s.history);
    }
    v
}

/// `with_value`: the secret is shown on create (and to whoever presents it); otherwise only
/// when the owner asked IAM to store it. The SDK's model requires the field, so it is `""`.
fn api_key_json(k: &ApiKey, include_history: bool, with_value: bool) -> Value {
    let value = if with_value || k.store_value {
        k.value.as_str()
    } else {
        ""
    };
    let mut v = json!({
        "id": k.id,
        "entity_tag": entity_tag(&k.id, k.version),
        "crn": format!("crn:v1:bluemix:public:iam-identity::a/{}::apikey:{}", k.account_id, k.id),
        "locked": k.locked,
        "disabled": k.disabled,
        "created_at": ibm_minute(k.created_at),
        "created_by": k.created_by,
        "modified_at": ibm_minute(k.modified_at),
        "name": k.name,
        "support_sessions": k.support_sessions,
        "action_when_leaked": k.action_when_leaked,
        "iam_id": k.iam_id,
        "account_id": k.account_id,
        "apikey": value,
    });
    if let Some(d) = &k.description {
        v["description"] = json!(d);
    }
    if let Some(e) = &k.expires_at {
        v["expires_at"] = json!(e);
    }
    if include_history {
        v["history"] = history_json(&k.history);
    }
    v
}

fn with_etag(status: StatusCode, tag: &str, body: Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(tag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// Request helpers

fn json_body(bytes: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad_request(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::bad_request(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

fn opt_string(body: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request(format!(
            "Property '{name}' must be a string."
        ))),
    }
}

fn req_string(body: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match opt_string(body, name)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::missing(name)),
    }
}

fn opt_bool(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::bad_request(format!(
            "Property '{name}' must be a boolean."
        ))),
    }
}

fn opt_strings(body: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::bad_request(format!("Property '{name}' must be an array of strings."))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::bad_request(format!(
            "Property '{name}' must be an array of strings."
        ))),
    }
}

fn header_flag(headers: &HeaderMap, name: &str) -> Result<bool, ApiError> {
    match headers.get(name).map(|v| v.to_str().map(str::trim)) {
        None => Ok(false),
        Some(Ok(v)) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(Ok(v)) if v.eq_ignore_ascii_case("false") || v.is_empty() => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "Header '{name}' must be 'true' or 'false'."
        ))),
    }
}

fn query_flag(q: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match q.get(name).map(String::as_str) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid value '{other}' for '{name}'; expected true or false."
        ))),
    }
}

fn action_when_leaked(value: Option<String>) -> Result<Option<String>, ApiError> {
    match value.as_deref() {
        None => Ok(None),
        Some("none" | "disable" | "delete") => Ok(value),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid value '{other}' for 'action_when_leaked'; valid values: none, disable, delete."
        ))),
    }
}

/// `If-Match` must name the current entity tag, or be `*`.
fn check_if_match(headers: &HeaderMap, current: &str) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "missing_header",
            codes::MISSING_PROPERTY,
            "Header 'If-Match' either missing or empty; send the entity_tag (ETag) of the entity, or '*'.",
        ));
    };
    let given = value.to_str().unwrap_or("").trim();
    let given = given.strip_prefix("W/").unwrap_or(given).trim_matches('"');
    if given == "*" || given == current {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        codes::STALE_ETAG,
        format!(
            "The entity tag '{given}' in If-Match does not match the current entity tag '{current}'; get the entity again and retry."
        ),
    ))
}

fn locked(kind: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "entity_locked",
        codes::ENTITY_LOCKED,
        format!("{kind} '{id}' is locked; unlock it before changing or deleting it."),
    )
    .details("Locked entities cannot be updated or deleted (DELETE .../lock unlocks them).")
}

fn other_account(kind: &str, id: &str) -> ApiError {
    ApiError::forbidden(format!(
        "You are not authorized to access {kind} '{id}': it belongs to another account than the one your token is scoped to."
    ))
}

fn history(caller: &Caller, action: &str, message: &str) -> History {
    History {
        timestamp: now(),
        iam_id: caller.iam_id.clone(),
        iam_id_account: caller.account_id.clone(),
        action: action.into(),
        params: vec![],
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Pagination

/// Everything needed to continue a listing; the `pagetoken` is this, base64url JSON, so a
/// page token alone (as IBM's SDKs send it) suffices.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
struct Listing {
    #[serde(rename = "a")]
    account_id: String,
    #[serde(rename = "o")]
    offset: usize,
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    iam_id: Option<String>,
    #[serde(rename = "sc", default, skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    sort: Option<String>,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    order: Option<String>,
    #[serde(rename = "h", default)]
    history: bool,
}

impl Listing {
    fn token(&self, offset: usize) -> String {
        let mut l = self.clone();
        l.offset = offset;
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&l).unwrap_or_default())
    }

    fn from_token(token: &str) -> Result<Listing, ApiError> {
        URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| ApiError::bad_request("The pagetoken is not valid."))
    }
}

fn page_size(q: &HashMap<String, String>) -> Result<usize, ApiError> {
    match q.get("pagesize").filter(|s| !s.is_empty()) {
        None => Ok(20),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(format!(
                "Invalid value '{s}' for 'pagesize'; valid range is 1 to 100."
            ))),
        },
    }
}

fn sort_order(l: &Listing) -> Result<(), ApiError> {
    match l.sort.as_deref() {
        None | Some("name" | "description" | "created_at" | "modified_at") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{other}' for 'sort'; valid values: name, description, created_at, modified_at."
            )));
        }
    }
    match l.order.as_deref() {
        None | Some("asc" | "desc") => Ok(()),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid value '{other}' for 'order'; valid values: asc, desc."
        ))),
    }
}

struct SortKey<'a> {
    name: &'a str,
    description: &'a str,
    created_at: i64,
    modified_at: i64,
    seq: u64,
}

fn sort_by<T>(items: &mut [&T], l: &Listing, key: impl Fn(&T) -> SortKey<'_>) {
    items.sort_by(|a, b| {
        let (a, b) = (key(a), key(b));
        let primary = match l.sort.as_deref() {
            Some("name") => a.name.cmp(b.name),
            Some("description") => a.description.cmp(b.description),
            Some("modified_at") => a.modified_at.cmp(&b.modified_at),
            _ => a.created_at.cmp(&b.created_at),
        };
        primary.then(a.seq.cmp(&b.seq))
    });
    if l.order.as_deref() == Some("desc") {
        items.reverse();
    }
}

/// The list envelope: `offset`, `limit`, `first`, `previous`, `next` (URLs whose `pagetoken`
/// fetches that page) and the items under `field`.
fn page(app: &App, path: &str, l: &Listing, size: usize, all: Vec<Value>, field: &str) -> Value {
    let total = all.len();
    let start = l.offset.min(total);
    let end = (start + size).min(total);
    let items: Vec<Value> = all.into_iter().skip(start).take(end - start).collect();
    let link = |offset: usize| {
        format!(
            "{}{path}?pagetoken={}&pagesize={size}",
            app.url,
            l.token(offset)
        )
    };
    let mut v = json!({
        "offset": start,
        "limit": size,
        "first": link(0),
        field: items,
    });
    if start > 0 {
        v["previous"] = json!(link(start.saturating_sub(size)));
    }
    if end < total {
        v["next"] = json!(link(end));
    }
    v
}

/// The listing a request asks for: from its pagetoken when it has one, else from its query.
/// The flag says whether it came from a pagetoken (whose context is already complete).
fn listing(q: &HashMap<String, String>) -> Result<(Listing, bool), ApiError> {
    if let Some(token) = q.get("pagetoken").filter(|t| !t.is_empty()) {
        return Ok((Listing::from_token(token)?, true));
    }
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let l = Listing {
        account_id: get("account_id").unwrap_or_default(),
        offset: 0,
        name: get("name"),
        iam_id: get("iam_id"),
        scope: get("scope"),
        kind: get("type"),
        sort: get("sort"),
        order: get("order"),
        history: query_flag(q, "include_history")?,
    };
    Ok((l, false))
}

// ---------------------------------------------------------------------------------------------
// Service IDs

async fn list_service_ids(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let (l, _) = listing(&q)?;
    if l.account_id.is_empty() {
        return Err(ApiError::missing("account_id"));
    }
    if l.account_id != caller.account_id {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to list service IDs of account '{}'.",
            l.account_id
        )));
    }
    sort_order(&l)?;
    let size = page_size(&q)?;
    let world = read(&app.world);
    let mut items: Vec<&ServiceId> = world
        .service_ids
        .values()
        .filter(|s| s.account_id == l.account_id)
        .filter(|s| l.name.as_ref().is_none_or(|n| &s.name == n))
        .collect();
    sort_by(&mut items, &l, |s| SortKey {
        name: &s.name,
        description: s.description.as_deref().unwrap_or(""),
        created_at: s.created_at,
        modified_at: s.modified_at,
        seq: s.seq,
    });
    let all = items
        .into_iter()
        .map(|s| service_id_json(s, l.history))
        .collect();
    Ok(axum::Json(page(&app, "/v1/serviceids/", &l, size, all, "serviceids")).into_response())
}

fn new_api_key(
    world: &mut World,
    caller: &Caller,
    spec: &Map<String, Value>,
    owner_iam_id: &str,
    account_id: &str,
    lock: bool,
    disable: bool,
) -> Result<ApiKey, ApiError> {
    let name = req_string(spec, "name")?;
    let description = opt_string(spec, "description")?;
    let value = match opt_string(spec, "apikey")? {
        Some(v) if !v.is_empty() => {
            if v.len() < 32 {
                return Err(ApiError::bad_request(
                    "Property 'apikey' must be at least 32 characters long.",
                ));
            }
            if world.value_taken(&v) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    codes::CONFLICT,
                    "The given API key value is already in use; choose another value.",
                ));
            }
            v
        }
        // 33 random bytes: 44 characters, like IBM's keys.
        _ => random_token(33),
    };
    let store_value = opt_bool(spec, "store_value")?.unwrap_or(false);
    if store_value && !owner_iam_id.starts_with("iam-ServiceId-") {
        return Err(ApiError::bad_request(
            "Property 'store_value' can only be true for service ID API keys; IAM does not store user API keys.",
        ));
    }
    let action =
        action_when_leaked(opt_string(spec, "action_when_leaked")?)?.unwrap_or("none".into());
    let support_sessions = opt_bool(spec, "support_sessions")?.unwrap_or(false);
    let expires_at = opt_string(spec, "expires_at")?;
    let t = now();
    let id = format!("ApiKey-{}", uuid::Uuid::new_v4());
    let seq = world.take_seq();
    Ok(ApiKey {
        id,
        account_id: account_id.to_owned(),
        iam_id: owner_iam_id.to_owned(),
        name,
        description,
        value,
        store_value,
        locked: lock,
        disabled: disable,
        support_sessions,
        action_when_leaked: action,
        expires_at,
        created_at: t,
        modified_at: t,
        created_by: caller.iam_id.clone(),
        version: 1,
        seq,
        history: vec![history(caller, "create", "API key created")],
    })
}

async fn create_service_id(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    let account_id = req_string(&body, "account_id")?;
    let name = req_string(&body, "name")?;
    let description = opt_string(&body, "description")?;
    let crns = opt_strings(&body, "unique_instance_crns")?.unwrap_or_default();
    let lock = header_flag(&headers, "Entity-Lock")?;
    let key_spec = match body.get("apikey") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Property 'apikey' must be an object.",
            ));
        }
    };
    if account_id != caller.account_id {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to create service IDs in account '{account_id}'."
        )));
    }
    let mut world = write(&app.world);
    if world.account(&account_id).is_none() {
        return Err(ApiError::not_found("Account", &account_id));
    }
    let t = now();
    let id = format!("ServiceId-{}", uuid::Uuid::new_v4());
    let seq = world.take_seq();
    let sid = ServiceId {
        iam_id: format!("iam-{id}"),
        id: id.clone(),
        account_id: account_id.clone(),
        name,
        description,
        unique_instance_crns: crns,
        locked: lock,
        created_at: t,
        modified_at: t,
        version: 1,
        seq,
        history: vec![history(&caller, "create", "Service ID created")],
    };
    let key = match &key_spec {
        Some(spec) => Some(new_api_key(
            &mut world,
            &caller,
            spec,
            &sid.iam_id,
            &account_id,
            false,
            false,
        )?),
        None => None,
    };
    let mut out = service_id_json(&sid, false);
    if let Some(k) = &key {
        out["apikey"] = api_key_json(k, false, true);
        world.insert_api_key(k.clone());
    }
    let tag = entity_tag(&sid.id, sid.version);
    world.service_ids.insert(id, sid);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

/// Looks a service ID up for the caller: 404 when unknown, 403 when in another account.
fn service_id_for<'w>(
    world: &'w World,
    caller: &Caller,
    id: &str,
) -> Result<&'w ServiceId, ApiError> {
    let s = world
        .service_ids
        .get(id)
        .ok_or_else(|| ApiError::not_found("Service ID", id))?;
    if s.account_id != caller.account_id {
        return Err(other_account("service ID", id));
    }
    Ok(s)
}

async fn get_service_id(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let include_history = query_flag(&q, "include_history")?;
    query_flag(&q, "include_activity")?;
    let world = read(&app.world);
    let s = service_id_for(&world, &caller, &id)?;
    Ok(with_etag(
        StatusCode::OK,
        &entity_tag(&s.id, s.version),
        service_id_json(s, include_history),
    ))
}

async fn update_service_id(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    let name = opt_string(&body, "name")?;
    let description = opt_string(&body, "description")?;
    let crns = opt_strings(&body, "unique_instance_crns")?;
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::missing("name"));
    }
    let mut world = write(&app.world);
    let current = entity_tag(&id, service_id_for(&world, &caller, &id)?.version);
    let s = world
        .service_ids
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Service ID", &id))?;
    if s.locked {
        return Err(locked("Service ID", &id));
    }
    check_if_match(&headers, &current)?;
    if let Some(n) = name {
        s.name = n;
    }
    if let Some(d) = description {
        s.description = Some(d);
    }
    if let Some(c) = crns {
        s.unique_instance_crns = c;
    }
    s.version += 1;
    s.modified_at = now();
    s.history
        .push(history(&caller, "update", "Service ID updated"));
    let out = service_id_json(s, false);
    let tag = entity_tag(&s.id, s.version);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::OK, &tag, out))
}

async fn delete_service_id(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    let mut world = write(&app.world);
    let s = service_id_for(&world, &caller, &id)?;
    if s.locked {
        return Err(locked("Service ID", &id));
    }
    let iam_id = s.iam_id.clone();
    // A service ID's keys go with it (synchronously: no 409 "keys being removed" window).
    let keys: Vec<String> = world
        .api_keys
        .values()
        .filter(|k| k.iam_id == iam_id)
        .map(|k| k.id.clone())
        .collect();
    for k in keys {
        world.remove_api_key(&k);
    }
    world.service_ids.remove(&id);
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn set_service_id_lock(app: &App, caller: &Caller, id: &str, lock: bool) -> ApiResult {
    let mut world = write(&app.world);
    service_id_for(&world, caller, id)?;
    if let Some(s) = world.service_ids.get_mut(id)
        && s.locked != lock
    {
        s.locked = lock;
        s.modified_at = now();
        let (action, message) = if lock {
            ("lock", "Service ID locked")
        } else {
            ("unlock", "Service ID unlocked")
        };
        s.history.push(history(caller, action, message));
    }
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn lock_service_id(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    set_service_id_lock(&app, &caller, &id, true)
}

async fn unlock_service_id(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    set_service_id_lock(&app, &caller, &id, false)
}

// ---------------------------------------------------------------------------------------------
// API keys

async fn list_api_keys(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let (mut l, from_token) = listing(&q)?;
    if !from_token {
        if l.account_id.is_empty() {
            l.account_id = caller.account_id.clone();
        }
        // scope=entity (the default) lists one identity's keys, the caller's unless named.
        if l.scope.as_deref().unwrap_or("entity") == "entity" && l.iam_id.is_none() {
            l.iam_id = Some(caller.iam_id.clone());
        }
    }
    match l.scope.as_deref() {
        None | Some("entity" | "account") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{other}' for 'scope'; valid values: entity, account."
            )));
        }
    }
    match l.kind.as_deref() {
        None | Some("user" | "serviceid") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{other}' for 'type'; valid values: user, serviceid."
            )));
        }
    }
    if l.account_id != caller.account_id {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to list API keys of account '{}'.",
            l.account_id
        )));
    }
    sort_order(&l)?;
    let size = page_size(&q)?;
    let world = read(&app.world);
    let mut items: Vec<&ApiKey> = world
        .api_keys
        .values()
        .filter(|k| k.account_id == l.account_id)
        .filter(|k| l.iam_id.as_ref().is_none_or(|i| &k.iam_id == i))
        .filter(|k| match l.kind.as_deref() {
            Some("serviceid") => k.iam_id.starts_with("iam-ServiceId-"),
            Some("user") => !k.iam_id.starts_with("iam-ServiceId-"),
            _ => true,
        })
        .filter(|k| l.name.as_ref().is_none_or(|n| &k.name == n))
        .collect();
    sort_by(&mut items, &l, |k| SortKey {
        name: &k.name,
        description: k.description.as_deref().unwrap_or(""),
        created_at: k.created_at,
        modified_at: k.modified_at,
        seq: k.seq,
    });
    let all = items
        .into_iter()
        .map(|k| api_key_json(k, l.history, false))
        .collect();
    Ok(axum::Json(page(&app, "/v1/apikeys", &l, size, all, "apikeys")).into_response())
}

async fn create_api_key(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    req_string(&body, "name")?;
    let iam_id = req_string(&body, "iam_id")?;
    let account_id = opt_string(&body, "account_id")?
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| caller.account_id.clone());
    let lock = header_flag(&headers, "Entity-Lock")?;
    let disable = header_flag(&headers, "Entity-Disable")?;
    if account_id != caller.account_id {
        return Err(ApiError::forbidden(format!(
            "You are not authorized to create API keys in account '{account_id}'."
        )));
    }
    let mut world = write(&app.world);
    match world.principal(&iam_id) {
        None => return Err(ApiError::not_found("Identity", &iam_id)),
        Some(Principal::User(u)) => {
            if u.iam_id != caller.iam_id {
                return Err(ApiError::forbidden(
                    "Users can only create API keys for themselves.",
                ));
            }
            if !u.accounts.contains(&account_id) {
                return Err(ApiError::forbidden(format!(
                    "User '{iam_id}' does not belong to account '{account_id}'."
                )));
            }
        }
        Some(Principal::Service(s)) => {
            if s.account_id != account_id {
                return Err(other_account("service ID", &s.id));
            }
        }
    }
    let key = new_api_key(
        &mut world,
        &caller,
        &body,
        &iam_id,
        &account_id,
        lock,
        disable,
    )?;
    let out = api_key_json(&key, false, true);
    let tag = entity_tag(&key.id, key.version);
    world.insert_api_key(key);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::CREATED, &tag, out))
}

fn api_key_for<'w>(world: &'w World, caller: &Caller, id: &str) -> Result<&'w ApiKey, ApiError> {
    let k = world
        .api_keys
        .get(id)
        .ok_or_else(|| ApiError::not_found("API key", id))?;
    if k.account_id != caller.account_id {
        return Err(other_account("API key", id));
    }
    Ok(k)
}

async fn api_key_details(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let include_history = query_flag(&q, "include_history")?;
    let value = headers
        .get("IAM-ApiKey")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "missing_header",
                codes::MISSING_PROPERTY,
                "Header 'IAM-ApiKey' either missing or empty.",
            )
        })?;
    let world = read(&app.world);
    let k = world
        .api_key_by_value(value)
        .ok_or_else(|| ApiError::not_found("API key", "(by value)"))?;
    if k.account_id != caller.account_id {
        return Err(other_account("API key", &k.id));
    }
    // Whoever presents the value already knows it.
    Ok(with_etag(
        StatusCode::OK,
        &entity_tag(&k.id, k.version),
        api_key_json(k, include_history, true),
    ))
}

async fn get_api_key(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    caller: Caller,
) -> ApiResult {
    let include_history = query_flag(&q, "include_history")?;
    query_flag(&q, "include_activity")?;
    let world = read(&app.world);
    let k = api_key_for(&world, &caller, &id)?;
    Ok(with_etag(
        StatusCode::OK,
        &entity_tag(&k.id, k.version),
        api_key_json(k, include_history, false),
    ))
}

async fn update_api_key(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    caller: Caller,
    bytes: Bytes,
) -> ApiResult {
    let body = json_body(&bytes)?;
    let name = opt_string(&body, "name")?;
    let description = opt_string(&body, "description")?;
    let support_sessions = opt_bool(&body, "support_sessions")?;
    let action = action_when_leaked(opt_string(&body, "action_when_leaked")?)?;
    let expires_at = opt_string(&body, "expires_at")?;
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(ApiError::missing("name"));
    }
    let mut world = write(&app.world);
    let current = entity_tag(&id, api_key_for(&world, &caller, &id)?.version);
    let k = world
        .api_keys
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("API key", &id))?;
    if k.locked {
        return Err(locked("API key", &id));
    }
    check_if_match(&headers, &current)?;
    if let Some(n) = name {
        k.name = n;
    }
    if let Some(d) = description {
        k.description = Some(d);
    }
    if let Some(s) = support_sessions {
        k.support_sessions = s;
    }
    if let Some(a) = action {
        k.action_when_leaked = a;
    }
    if let Some(e) = expires_at {
        k.expires_at = Some(e).filter(|e| !e.is_empty());
    }
    k.version += 1;
    k.modified_at = now();
    k.history
        .push(history(&caller, "update", "API key updated"));
    let out = api_key_json(k, false, false);
    let tag = entity_tag(&k.id, k.version);
    drop(world);
    app.mark_dirty();
    Ok(with_etag(StatusCode::OK, &tag, out))
}

async fn delete_api_key(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    let mut world = write(&app.world);
    if api_key_for(&world, &caller, &id)?.locked {
        return Err(locked("API key", &id));
    }
    world.remove_api_key(&id);
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Clone, Copy)]
enum KeyChange {
    Lock(bool),
    Disable(bool),
}

fn change_api_key(app: &App, caller: &Caller, id: &str, change: KeyChange) -> ApiResult {
    let mut world = write(&app.world);
    api_key_for(&world, caller, id)?;
    if let Some(k) = world.api_keys.get_mut(id) {
        let (field, value, action) = match change {
            KeyChange::Lock(v) => (&mut k.locked, v, if v { "lock" } else { "unlock" }),
            KeyChange::Disable(v) => (&mut k.disabled, v, if v { "disable" } else { "enable" }),
        };
        if *field != value {
            *field = value;
            k.modified_at = now();
            k.history
                .push(history(caller, action, &format!("API key {action}d")));
        }
    }
    drop(world);
    app.mark_dirty();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn lock_api_key(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    change_api_key(&app, &caller, &id, KeyChange::Lock(true))
}

async fn unlock_api_key(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    change_api_key(&app, &caller, &id, KeyChange::Lock(false))
}

async fn disable_api_key(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    change_api_key(&app, &caller, &id, KeyChange::Disable(true))
}

async fn enable_api_key(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    caller: Caller,
) -> ApiResult {
    change_api_key(&app, &caller, &id, KeyChange::Disable(false))
}
